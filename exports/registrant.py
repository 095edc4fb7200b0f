"""Registrant fields and one registrant's timeline across tracks.

**Registrant fields.** Templates may print ``{{ reader.nickname }}`` (the reader's nickname),
``{{ reader.babies }}`` (number of babies) and ``{{ child.nickname }}``. The export does not
know the registrant, so these stay *placeholders*: the canonical JSON keeps them as written
(``{{ reader.nickname }}``), and each adapter writes them in its backend's syntax — RapidPro
``@contact.name``, ``@fields.babies``, ``@fields.child_nickname``; LINE and e-mail vendors
through the merge-tag map ``registrants.merge_tags.<backend>`` of ``kizuna.yaml``. A placeholder
a backend has no tag for is an error naming town, message and field. Registrant fields can only
be printed (``{{ reader.nickname }}``): a condition or filter on them cannot be expressed by a
backend and is refused.

**Timeline.** :func:`timeline` dates a town catalog's entries for one registrant: due date,
birth date (or assumed on the due date), number of babies, a pregnancy loss, a pause, an
opt-out. The tracks and events of ``registrants:`` (:mod:`catalog.tracks`) say which track each
message comes from and when a track starts and stops; the age rules say whether an after-birth
message follows chronological or corrected age; dated messages are placed by
:func:`catalog.dated.send_day`. Each delivery says which track and which age chose it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Iterable, Mapping

from kizuna.catalog.dated import DAY_ORDER, send_day
from kizuna.catalog.errors import TemplateError
from kizuna.catalog.i18n import ngettext
from kizuna.catalog.placeholders import (PLACEHOLDER_CONTEXT, PLACEHOLDER_RE, PLACEHOLDERS, fill,  # noqa: F401
                                         max_length_text, placeholders_in)
from kizuna.catalog.stages import Stage
from kizuna.catalog.tracks import (CORRECTED, MAIN, Registrants, corrected_anchor, gestational_days,
                                   gestational_stage, is_preterm)
from kizuna.exports.errors import ExportError
from kizuna.exports.model import Entry, mark_unapproved
from kizuna.catalog.i18n import _

#: RapidPro expressions for the registrant fields (contact name and contact fields)
RAPIDPRO_TAGS = {"reader.nickname": "@contact.name", "reader.babies": "@fields.babies",
                 "child.nickname": "@fields.child_nickname"}
_PRINT_RE = re.compile(r"\{\{-?\s*(?:reader|child)\.[A-Za-z_]+\s*-?\}\}")
_USE_RE = re.compile(r"\b(?:reader|child)\.[A-Za-z_]+")


def uses_registrant(source: str) -> bool:
    return "{" in source and bool(_USE_RE.search(source))


def check_registrant_use(source: str, where: str) -> None:
    """Registrant fields may only be printed (``{{ reader.nickname }}``); anything else —
    ``{% if reader.nickname %}``, ``{{ reader.nickname | upper }}`` — no backend can express."""
    rest = _PRINT_RE.sub("", source)
    if "{" in rest and _USE_RE.search(rest):
        raise TemplateError(_("{where}: registrant fields can only be printed as {{{{ reader.nickname }}}}; "
                            "a delivery backend cannot express a condition or a filter on them — write "
                            "the text so it reads well with and without the nickname").format(where=where))
    for m in _PRINT_RE.finditer(source):
        path = _USE_RE.search(m.group(0)).group(0)  # type: ignore[union-attr]
        if path not in PLACEHOLDERS:
            raise TemplateError(_("{where}: '{path}' is not a registrant field; fields: "
                                "{PLACEHOLDERS}").format(where=where, path=path, PLACEHOLDERS=', '.join(PLACEHOLDERS)))


def rapidpro_tags(fields: Mapping[str, Any]) -> dict[str, str]:
    """RapidPro expressions for the registrant fields; a field with a ``missing`` value falls
    back to it (``@(default(fields.child_nickname, "赤ちゃん"))``)."""
    tags = {}
    for path, tag in RAPIDPRO_TAGS.items():
        missing = getattr(fields.get(path), "missing", "")
        tags[path] = f'@(default({tag[1:]}, "{missing}"))' if missing else tag
    return tags


def to_backend(text: str, tags: Mapping[str, str], *, backend: str, where: str) -> str:
    """``text`` with each placeholder written as ``backend``'s merge tag; a placeholder the
    backend has no tag for is an :class:`ExportError`."""
    def swap(m: re.Match[str]) -> str:
        path = m.group(1)
        if path not in tags:
            raise ExportError(_("{backend} cannot express the registrant field {path}: add it to "
                              "registrants.merge_tags.{backend} in kizuna.yaml (the vendor's merge tag), "
                              "or leave it out of the text").format(backend=backend, path=path), location=where,
                              field=f"registrants.merge_tags.{backend}.{path}")
        return tags[path]
    return PLACEHOLDER_RE.sub(swap, text) if "{{" in text else text


def withdraw_expired_notices(workspace: Any, approval_map: Mapping[tuple[str, str], Any],
                             today: date) -> Mapping[tuple[str, str], Any]:
    """The approvals with every urgent notice past its ``expires`` day withdrawn (status
    ``expired_notice``): an export made after the expiry does not carry it."""
    from kizuna.exports.model import Approval

    messages = [*workspace.messages.values(), *(m for t in workspace.towns.values() for m in t.local_messages)]
    gone = {m.id for m in messages
            if m.dated is not None and m.dated.expires is not None and m.dated.expires < today}
    if not gone:
        return approval_map
    return {key: Approval("expired_notice") if key[0] in gone else value for key, value in approval_map.items()}


# --- one registrant ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Registrant:
    due: date
    #: ``None``: born on the due date (unless there was a loss)
    birth: date | None = None
    babies: int = 1
    nickname: str | None = None
    child_nickname: str | None = None
    #: the day of a pregnancy loss (流産・死産)
    loss: date | None = None
    #: messages paused from the first day to the second (inclusive)
    pause: tuple[date, date] | None = None
    opt_out: date | None = None

    @property
    def live_birth(self) -> date | None:
        if self.loss is not None:
            return None
        return self.birth or self.due

    @property
    def pregnancy_end(self) -> date:
        return self.loss or self.birth or self.due

    def values(self) -> dict[str, str]:
        return {"reader.nickname": self.nickname or "", "reader.babies": str(self.babies),
                "child.nickname": self.child_nickname or ""}


@dataclass
class TrackState:
    name: str
    start: date
    anchor: date | None
    stop: date = date.max
    pauses: list[tuple[date, date]] = field(default_factory=list)

    def active(self, day: date) -> bool:
        return self.start <= day < self.stop and not any(a <= day <= b for a, b in self.pauses)


@dataclass(frozen=True)
class Planned:
    """One delivery to one registrant and what chose it."""

    day: date
    time: str
    entry: Entry
    track: str
    #: ``gestational`` (pregnancy stage), ``chronological`` or ``corrected`` (age after birth),
    #: ``since-event`` (days since the event that started the track), ``dated``
    basis: str
    #: ``staged``, ``seasonal`` or ``urgent``
    kind: str
    text: str


def track_states(reg: Registrant, config: Registrants) -> dict[str, TrackState]:
    """Which tracks the registrant is on, from and until when, by the events of ``config``."""
    states = {MAIN: TrackState(MAIN, date.min, None)}
    events: list[tuple[date, str]] = []
    if reg.loss is not None:
        events.append((reg.loss, "loss"))
    if reg.live_birth is not None and is_preterm(reg.live_birth, reg.due, config.age.preterm_before):
        events.append((reg.live_birth, "preterm_birth"))
    if reg.pause is not None:
        events.append((reg.pause[0], "pause"))
    if reg.opt_out is not None:
        events.append((reg.opt_out, "opt_out"))
    for day, kind in sorted(events):
        ev = config.events.get(kind)
        if ev is None:  # undeclared: a loss ends the pregnancy; a pause and an opt-out are honoured
            if kind == "pause" and reg.pause:
                for st in states.values():
                    st.pauses.append(reg.pause)
            elif kind == "opt_out":
                for st in states.values():
                    st.stop = min(st.stop, day)
            continue
        for name in ev.from_tracks:
            st = states.get(name)
            if st is None or not st.start <= day < st.stop:
                continue
            if ev.rest == "stop":
                st.stop = day
            elif ev.rest == "pause" and reg.pause:
                st.pauses.append(reg.pause)
        if ev.to is not None and ev.to not in states:
            track = config.tracks[ev.to]
            anchor = day if track.anchor == "event" else reg.live_birth
            states[ev.to] = TrackState(ev.to, day, anchor)
    if reg.opt_out is not None:
        for st in states.values():
            st.stop = min(st.stop, reg.opt_out)
    return states


def staged_day(entry: Entry, reg: Registrant, config: Registrants, state: TrackState) -> tuple[date, str] | None:
    """The day a staged entry is sent to ``reg`` on its track, and the age that chose it."""
    stage = entry.stage
    track = config.tracks.get(entry.track)
    if track is None:
        return None
    if not entry_applies(entry, reg):
        return None
    if track.end is not None and stage.phase == "B" and stage >= track.end:
        return None
    if stage.phase == "P":
        day = stage.resolve(due=reg.due)
        if day >= reg.pregnancy_end:
            return None
        basis = "gestational"
    elif track.anchor == "event":
        if state.anchor is None:
            return None
        day, basis = stage.resolve(birth=state.anchor), "since-event"
    else:
        birth = reg.live_birth
        if birth is None:
            return None
        preterm = is_preterm(birth, reg.due, config.age.preterm_before)
        if entry.basis == CORRECTED and preterm:
            day, basis = stage.resolve(birth=corrected_anchor(birth, reg.due, config.age.preterm_before)), CORRECTED
        else:
            day, basis = stage.resolve(birth=birth), "chronological"
    return (day, basis) if state.active(day) else None


def entry_applies(entry: Entry, reg: Registrant) -> bool:
    lo, hi = entry.gestation
    if lo is None and hi is None:
        return True
    days = gestational_days(reg.pregnancy_end, reg.due)
    return (lo is None or days >= lo.days) and (hi is None or days < hi.days)


def timeline(entries: Iterable[Entry], send_time: str, reg: Registrant, config: Registrants, *,
             end_age: Stage = Stage.after_birth(3), start: date | None = None,
             days: int | None = None, track: str | None = None) -> list[Planned]:
    """Every delivery to ``reg`` in date order (urgent, staged, seasonal on one day), from
    ``start`` (default: the first) for ``days`` days, only from ``track`` when given."""
    states = track_states(reg, config)
    first = reg.due - timedelta(days=280)
    anchor = reg.live_birth or reg.pregnancy_end
    last = end_age.resolve(birth=anchor) - timedelta(days=1)
    out: list[Planned] = []
    for entry in entries:
        state = states.get(entry.track)
        if state is None or (track is not None and entry.track != track):
            continue
        chosen: list[tuple[date, str, str]] = []
        if entry.dated is not None:
            stopped = min(state.stop, reg.loss) if reg.loss else state.stop
            for day in send_day(entry.dated, due=reg.due, birth=reg.live_birth, first=first, last=last,
                                stopped=None if stopped == date.max else stopped):
                if state.active(day):
                    chosen.append((day, "dated", entry.dated.kind))
        else:
            found = staged_day(entry, reg, config, state)
            if found is not None:
                chosen.append((found[0], found[1], "staged"))
        raw = entry.multiples_text if reg.babies >= 2 and entry.multiples_text else entry.text
        values = {path: value or config.fields[path].missing if path in config.fields else value
                  for path, value in reg.values().items()}
        text = mark_unapproved(fill(raw, values), entry.approved)
        out += [Planned(day, send_time, entry, entry.track, basis, kind, text) for day, basis, kind in chosen]
    out.sort(key=lambda p: (p.day, DAY_ORDER[p.kind], p.entry.stage.sort_key, p.entry.message_id))
    if not out:
        return []
    begin = start or out[0].day
    # a window longer than the calendar has left lists the rest (no date past 9999-12-31)
    end = begin + timedelta(days=days - 1) if days is not None and days - 1 <= (date.max - begin).days else None
    return [p for p in out if p.day >= begin and (end is None or p.day <= end)]


BASIS_JA = {"gestational": "妊娠週数", "chronological": "暦月齢", "corrected": "修正月齢",
            "since-event": "起点の日から", "dated": "日付指定"}
KIND_JA = {"staged": "", "seasonal": "季節", "urgent": "緊急"}


def header(town_name: str, code: str, locale: str, reg: Registrant, *, birth_given: bool,
           due_given: bool = True) -> str:
    """The first line of a preview: town, locale and the registrant's facts."""
    parts = [f"{town_name} ({code}) [{locale}]",
             f"出産予定日 {reg.due.isoformat()}" if due_given else "出産予定日未登録（生年月日から）"]
    if reg.loss is not None:
        parts.append(f"流産・死産 {reg.loss.isoformat()}（{gestational_stage(reg.loss, reg.due).label_ja}）")
    elif birth_given and reg.birth is not None:
        parts.append(f"出生日 {reg.birth.isoformat()}（{gestational_stage(reg.birth, reg.due).label_ja}）")
    else:
        parts.append(f"出生日未登録（予定日 {reg.due.isoformat()} に生まれたと仮定）")
    if reg.babies >= 2:
        parts.append(f"多胎 {reg.babies}人")
    if reg.nickname:
        parts.append(f"ニックネーム {reg.nickname}")
    return "  ".join(parts)


def render_timeline(head: str, planned: list[Planned], config: Registrants, locale: str | None = None) -> str:
    """The timeline as text: per delivery the day, time, stage, message id, then which track
    and which age chose it (``[main 通常・修正月齢]``), then the text, indented."""
    lines = [head, ngettext("{count} message", "{count} messages", len(planned)).format(count=len(planned))]
    for p in planned:
        label = config.tracks[p.track].label if p.track in config.tracks else ""
        kind = f"・{KIND_JA[p.kind]}" if KIND_JA[p.kind] else ""
        if p.entry.dated is not None:
            what = f"{p.entry.dated.stage_from}〜{p.entry.dated.stage_until}"
        elif p.basis == "since-event":  # day 0 is the day of the event, not a birth
            what = f"{p.entry.stage} 起点から{p.entry.stage.label_ja.removeprefix('生後')}"
        else:
            what = f"{p.entry.stage} {p.entry.stage.label_ja}"
        lines += ["", f"{p.day.isoformat()} {p.time}  {what}  {p.entry.message_id}  "
                      f"[{p.track}{' ' + label if label else ''}・{BASIS_JA[p.basis]}{kind}]"]
        if locale is not None and p.entry.text_locale != locale:  # the one selection rule's fallback
            lines.append(f"    （{locale} の送れる本文がないため、{p.entry.text_locale} の本文を送ります）")
        lines.extend("    " + line for line in p.text.split("\n"))
    return "\n".join(lines) + "\n"
