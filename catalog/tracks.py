"""Tracks: the paths a registrant's messages follow, the events that move them, and which age
a topic follows after a preterm birth.

Every message belongs to a track (``track:`` in its file, default ``main``). The workspace
declares its tracks and events under ``registrants:`` in ``kizuna.yaml``::

    registrants:
      tracks:
        main: {label: 通常}
        bereavement:
          label: 流産・死産のあと
          anchor: event        # after-birth stages (B3d) count from the day of the event (day 0)
          policy: bereavement  # its own cadence (coverage per track)
          end: B56d            # the track ends here (exclusive)
        nicu: {label: NICU・早産, anchor: birth, policy: nicu, end: B3m}
      events:
        loss: {label: 流産・死産, from: [main, nicu], to: bereavement, rest: stop}
        preterm_birth: {label: 妊娠37週未満の出生, from: [main], to: nicu, rest: continue}
        pause: {label: 一時停止, from: [main, nicu, bereavement], rest: pause}
        opt_out: {label: 配信停止, from: [main, nicu, bereavement], rest: stop}
      fields:                  # registrant fields: longest value, what a reader without one reads
        reader.nickname: {max_length: 10}
        child.nickname: {max_length: 10, missing: 赤ちゃん}
      merge_tags:              # LINE and e-mail vendors' merge tags (RapidPro needs none)
        line: {reader.nickname: '{nickname}'}
      age:
        preterm_before: P37w            # births before this are preterm
        corrected: [development, feeding, nutrition, sleep]
        chronological: [vaccination, checkup, legal]

``rest`` says what happens to the rest of the old tracks from the event's day: ``stop`` (nothing
more from them), ``continue`` (they go on beside the new track) or ``pause`` (nothing from them
while paused; what fell in the pause is not sent later). The event kinds are fixed
(:data:`EVENT_KINDS`): the registrant's facts (a loss date, a birth before ``preterm_before``, a
pause, an opt-out) say which happened.

**Corrected age** (修正月齢): after a preterm birth, a message whose topics are listed under
``corrected`` is dated from the due date instead of the birth date (corrected age = age minus
the weeks born early); a message with any ``chronological`` topic (vaccinations, legal
deadlines such as 出生届) stays on the birth date, even if another of its topics is corrected.
A term birth (at or after ``preterm_before``) uses chronological age for everything.

**Pregnancy end**: pregnancy messages are sent only before the birth (or loss) date, so a birth
at P32w ends them on the birth day.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Iterable, Literal, Mapping

from kizuna.catalog.errors import WorkspaceError
from kizuna.catalog.fields import ID_RE, Fields
from kizuna.catalog.stages import DUE_DATE_GESTATIONAL_DAYS, Stage
from kizuna.catalog.i18n import _

MAIN = "main"
Anchor = Literal["due_birth", "birth", "event"]
ANCHORS = ("due_birth", "birth", "event")
Rest = Literal["stop", "continue", "pause"]
RESTS = ("stop", "continue", "pause")
EVENT_KINDS = ("loss", "preterm_birth", "pause", "opt_out")
Basis = Literal["chronological", "corrected"]
CORRECTED: Basis = "corrected"
CHRONOLOGICAL: Basis = "chronological"
#: a birth before 37w0d is preterm (早産)
PRETERM_BEFORE = Stage.pregnancy(37)
SECTION = "registrants"
SECTION_FIELDS = {"tracks", "events", "age", "fields", "merge_tags"}


@dataclass(frozen=True)
class Track:
    name: str
    label: str = ""
    #: ``due_birth``: pregnancy stages from the due date, after-birth ones from the birth (main);
    #: ``birth``: after-birth stages from the birth; ``event``: after-birth stages from the day
    #: of the event that started the track (day 0)
    anchor: Anchor = "due_birth"
    #: cadence policy of the track (for coverage per track); ``None``: the town's own
    policy: str | None = None
    #: the track ends before this stage (``None``: at the town's end age)
    end: Stage | None = None


@dataclass(frozen=True)
class TrackEvent:
    kind: str
    label: str
    from_tracks: tuple[str, ...]
    to: str | None
    rest: Rest


@dataclass(frozen=True)
class AgeRules:
    preterm_before: Stage = PRETERM_BEFORE
    corrected: frozenset[str] = frozenset()
    chronological: frozenset[str] = frozenset()

    def basis(self, topics: Iterable[str]) -> Basis:
        """The age a message with these topics follows after a preterm birth."""
        topics = set(topics)
        if topics & self.chronological or not topics & self.corrected:
            return CHRONOLOGICAL
        return CORRECTED


@dataclass(frozen=True)
class FieldRule:
    """A registrant field templates may print (``reader.nickname``) and its longest value."""

    path: str
    max_length: int
    label: str = ""
    #: what a reader without this value reads in its place (``""``: nothing; ``赤ちゃん``)
    missing: str = ""


#: registrant fields templates may print, and the length checks count them at
DEFAULT_FIELDS: dict[str, FieldRule] = {
    "reader.nickname": FieldRule("reader.nickname", 10, "登録者のニックネーム"),
    "reader.babies": FieldRule("reader.babies", 1, "赤ちゃんの人数"),
    "child.nickname": FieldRule("child.nickname", 10, "お子さんのニックネーム"),
}


@dataclass(frozen=True)
class Registrants:
    """The ``registrants:`` section: tracks, events, age rules, registrant fields, merge tags."""

    tracks: Mapping[str, Track] = field(default_factory=lambda: {MAIN: Track(MAIN, "通常")})
    events: Mapping[str, TrackEvent] = field(default_factory=dict)
    age: AgeRules = field(default_factory=AgeRules)
    fields: Mapping[str, FieldRule] = field(default_factory=lambda: dict(DEFAULT_FIELDS))
    #: backend -> registrant field -> the backend's merge tag (LINE and e-mail vendors)
    merge_tags: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def track(self, name: str) -> Track:
        return self.tracks[name]


def registrants_from_data(data: Any, path: Any) -> Registrants:
    """Build the section; an event naming an unknown track is an error naming the field."""
    f = Fields(data if data is not None else {}, path, SECTION)
    f.refuse_unknown(SECTION_FIELDS)
    tracks: dict[str, Track] = {MAIN: Track(MAIN, "通常")}
    for name, raw in f.mapping("tracks").items():
        if not isinstance(name, str) or not ID_RE.match(name):
            raise f.error("tracks", _("'{name}' is not a track name (lowercase letters, digits, hyphens)").format(name=name))
        t = Fields(raw if raw is not None else {}, path, f.name(f"tracks.{name}"))
        t.refuse_unknown({"label", "anchor", "policy", "end"})
        anchor = t.str("anchor", "due_birth" if name == MAIN else "birth")
        if anchor not in ANCHORS:
            raise t.error("anchor", _("'{anchor}' is not an anchor; write {ANCHORS}").format(anchor=anchor, ANCHORS=', '.join(ANCHORS)))
        if name == MAIN and anchor != "due_birth":
            raise t.error("anchor", _("the main track counts from the due date, then the birth date"))
        end = t.stage("end") if t.has("end") else None
        if end is not None and end.phase != "B":
            raise t.error("end", _("a track ends at an after-birth stage, like B56d or B3m"))
        tracks[name] = Track(name, t.str("label", ""), anchor, t.str("policy", "") or None, end)  # type: ignore[arg-type]
    events: dict[str, TrackEvent] = {}
    for kind, raw in f.mapping("events").items():
        where = f"events.{kind}"
        if kind not in EVENT_KINDS:
            raise f.error(where, _("'{kind}' is not an event; events are {EVENT_KINDS}").format(kind=kind, EVENT_KINDS=', '.join(EVENT_KINDS)))
        e = Fields(raw if raw is not None else {}, path, f.name(where))
        e.refuse_unknown({"label", "from", "to", "rest"})
        from_tracks = e.str_list("from") or [MAIN]
        for name in from_tracks:
            if name not in tracks:
                raise e.error("from", _("names the unknown track '{name}'; tracks: {tracks}").format(name=name, tracks=', '.join(tracks)))
        to = e.str("to", "") or None
        if to is not None and to not in tracks:
            raise e.error("to", _("names the unknown track '{to}'; tracks: {tracks}").format(to=to, tracks=', '.join(tracks)))
        if to == MAIN:
            raise e.error("to", _("an event moves a registrant off the main track, not onto it"))
        rest = e.str("rest", "stop")
        if rest not in RESTS:
            raise e.error("rest", _("'{rest}' is not valid; write {RESTS}").format(rest=rest, RESTS=', '.join(RESTS)))
        events[kind] = TrackEvent(kind, e.str("label", ""), tuple(from_tracks), to, rest)  # type: ignore[arg-type]
    a = f.sub("age")
    a.refuse_unknown({"preterm_before", "corrected", "chronological"})
    preterm = a.stage("preterm_before") if a.has("preterm_before") else PRETERM_BEFORE
    if preterm.phase != "P":
        raise a.error("preterm_before", _("is a gestational age like P37w"))
    corrected = frozenset(a.str_list("corrected", pattern=ID_RE))
    chrono = frozenset(a.str_list("chronological", pattern=ID_RE))
    both = corrected & chrono
    if both:
        raise a.error("corrected", _("{both} is listed as both corrected and chronological").format(both=', '.join(sorted(both))))
    fields = dict(DEFAULT_FIELDS)
    for name, raw in f.mapping("fields").items():
        if name not in DEFAULT_FIELDS:
            raise f.error(f"fields.{name}", _("is not a registrant field; fields: {DEFAULT_FIELDS}").format(DEFAULT_FIELDS=', '.join(DEFAULT_FIELDS)))
        r = Fields(raw, path, f.name(f"fields.{name}"))
        r.refuse_unknown({"max_length", "missing"})
        length = r.data.get("max_length", DEFAULT_FIELDS[name].max_length)
        if type(length) is not int or not 1 <= length <= 100:
            raise r.error("max_length", _("must be a whole number of characters from 1 to 100"))
        missing = r.str("missing", "")
        if "{" in missing or '"' in missing or "@" in missing:
            raise r.error("missing", _("is plain text, without { } \" or @"))
        fields[name] = FieldRule(name, length, DEFAULT_FIELDS[name].label, missing)
    merge_tags: dict[str, dict[str, str]] = {}
    for backend, raw in f.mapping("merge_tags").items():
        m = Fields(raw, path, f.name(f"merge_tags.{backend}"))
        m.refuse_unknown(set(DEFAULT_FIELDS))
        merge_tags[str(backend)] = {k: m.text(k) for k in m.data}
    return Registrants(tracks, events, AgeRules(preterm, corrected, chrono), fields, merge_tags)


def field_max_lengths(config: Any) -> dict[str, int]:
    """Registrant field -> its longest value, from a workspace config (or the defaults)."""
    registrants = getattr(config, "registrants", None) or Registrants()
    return {path: rule.max_length for path, rule in registrants.fields.items()}


def check_tracks(registrants: Registrants, policies: Iterable[str], path: Any) -> None:
    """A track's cadence policy must exist."""
    known = set(policies)
    for t in registrants.tracks.values():
        if t.policy is not None and t.policy not in known:
            raise WorkspaceError(_("names the unknown cadence policy '{policy}'; policies: "
                                 "{known}").format(policy=t.policy, known=', '.join(sorted(known))), path=path,
                                 field=f"{SECTION}.tracks.{t.name}.policy")


# --- age arithmetic (pure) --------------------------------------------------------------------

def gestational_days(day: date, due: date) -> int:
    """Gestational age in days on ``day`` (the due date is 40w0d = 280 days)."""
    return DUE_DATE_GESTATIONAL_DAYS + (day - due).days


def gestational_stage(day: date, due: date) -> Stage:
    """The pregnancy stage on ``day`` (``P32w3d``)."""
    return Stage("P", days=gestational_days(day, due))


def date_at_gestation(due: date, weeks: int, days: int = 0) -> date:
    """The day on which the pregnancy is ``weeks`` weeks and ``days`` days."""
    return due + timedelta(days=weeks * 7 + days - DUE_DATE_GESTATIONAL_DAYS)


def is_preterm(birth: date, due: date, before: Stage = PRETERM_BEFORE) -> bool:
    return gestational_days(birth, due) < before.days


def corrected_anchor(birth: date, due: date, before: Stage = PRETERM_BEFORE) -> date:
    """The day corrected age counts from: the due date after a preterm birth, else the birth."""
    return due if is_preterm(birth, due, before) else birth


def corrected_age_days(day: date, birth: date, due: date) -> int:
    """Corrected age in days on ``day``: chronological age minus the days born early."""
    return (day - birth).days - max(0, (due - birth).days)


def after_birth_date(stage: Stage, basis: Basis, *, birth: date, due: date,
                     before: Stage = PRETERM_BEFORE) -> date:
    """The day an after-birth stage falls on for this birth, by chronological or corrected age."""
    anchor = corrected_anchor(birth, due, before) if basis == CORRECTED else birth
    return stage.resolve(birth=anchor)
