"""Stage coverage: what each town sends on each slot of its cadence, and the milestones it must meet.

For each town × locale × slot of the town's cadence up to its end age (``ws.town_slots``), the
messages the town sends (``ws.town_messages``: national ones minus its suppressions, plus its
own) that have a text for that locale's readers are counted: none is a *gap*, more than one a
*collision*. A text for the readers is the locale's own or, when the workspace names one in
``fallbacks:`` (``en: ja``), its fallback's. Which of them ships is decided by
:func:`review.selection.select_text`, the rule the export uses: a slot whose message ships in a
fallback locale — no translation, or one not signed off, or made from another source text — is
marked ``fallback`` (with the reason), and a slot whose message has no signed-off text at all is
marked ``unsent`` (nothing ships there until it is signed off).
A slot left empty because the town suppressed the national message there is a gap too, and says
so.

**Milestones** live in ``<workspace>/milestones.yaml``, a dated file experts keep (DESIGN §3)::

    milestones:
      - id: birth-registration
        name: 出生届
        window: {from: B0d, to: B13d}     # both inclusive
        basis: 戸籍法49条（出生の日から14日以内）
        as_of: 2025-04-01

``window`` (also written ``notice``) is the **notice window**: when messages should tell the
reader. ``legal`` is the optional **legal window**, the period the law sets, apart from the notice
(3歳児健診: legal ``{from: B3y, until: B4y}``, 満3歳を超え満4歳に達しない; notice from ``B2y10m``).
``until`` is exclusive and, for an age, ends on the day the age is reached — the day before the
anniversary (年齢計算ニ関スル法律; :meth:`catalog.stages.Stage.legal_end`): BCG ``until: B1y`` is
「1歳に至るまで」, the day before the first birthday. ``to`` is inclusive (``to: B13d``).

A town meets a milestone in a locale when a message it sends, tagged with the milestone
(``milestones: [birth-registration]``), has a text in that locale and a stage inside the window.
A window that starts at or after the town's end age does not apply. A workspace without the
file has no milestone checks.

:func:`coverage_frame` gives one row per town × locale × slot as a pandas DataFrame (for
notebooks); :func:`coverage_heatmap` draws stage × town as a PNG a person reads at a glance.
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import cached_property
from itertools import groupby
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Sequence

from kizuna.catalog import yamlio
from kizuna.catalog.errors import StageError, WorkspaceError
from kizuna.catalog.fields import ID_RE, Fields
from kizuna.catalog.messages import Message
from kizuna.catalog.stages import Stage
from kizuna.catalog.towns import Town
from kizuna.review.selection import Approved, select_text, workspace_approved

if TYPE_CHECKING:
    import pandas as pd

    from kizuna.catalog.workspace import Config, Workspace

MILESTONES_FILE = "milestones.yaml"
MILESTONE_FIELDS = {"id", "name", "window", "notice", "legal", "basis", "as_of", "notes"}
STATUS_OK, STATUS_GAP, STATUS_COLLISION = "ok", "gap", "collision"


# --- milestones -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class LegalWindow:
    """The period the law sets: from ``start`` to ``end`` inclusive, or ``until`` it
    (exclusive; for an age, to the day the age is reached)."""

    start: Stage
    end: Stage
    until: bool = False

    def contains(self, stage: Stage) -> bool:
        return self.start <= stage and (stage < self.end if self.until else stage <= self.end)

    def dates(self, *, due: date | None = None, birth: date | None = None) -> tuple[date, date]:
        """First and last day of the window for one registrant (legal ages after birth)."""
        if self.start.phase == "P":
            first = self.start.resolve(due=due)
        else:
            assert birth is not None, "an after-birth window needs the birth date"
            first = self.start.legal_start(birth) if self.start.is_age else self.start.resolve(birth=birth)
        if self.end.phase == "P":
            last = self.end.resolve(due=due)
            return first, last - timedelta(days=1) if self.until else last
        assert birth is not None, "an after-birth window needs the birth date"
        return first, self.end.legal_end(birth) if self.until else self.end.resolve(birth=birth)

    @property
    def label(self) -> str:
        if self.until and self.end.is_age:
            return f"{self.start.label_ja}から{self.end.label_ja}に達するまで"
        if self.until:
            return f"{self.start.label_ja}から{self.end.label_ja}の前日まで"
        return f"{self.start.label_ja}〜{self.end.label_ja}"


@dataclass(frozen=True)
class Milestone:
    id: str
    name: str
    #: the notice window (``window`` / ``notice`` in the file), both ends inclusive
    start: Stage
    end: Stage
    basis: str
    as_of: date
    #: the legal window, when the law sets one
    legal: LegalWindow | None = None

    def contains(self, stage: Stage) -> bool:
        return self.start <= stage <= self.end

    @property
    def window_label(self) -> str:
        return f"{self.start.label_ja}〜{self.end.label_ja}"


def _as_of(f: Fields) -> date:
    raw = f.data.get("as_of")
    if isinstance(raw, date):
        return raw
    if isinstance(raw, str):
        try:
            return date.fromisoformat(raw)
        except ValueError:
            pass
    raise f.error("as_of", "is required: the date the entry was last checked, like 2025-04-01")


def legal_from_data(f: Fields) -> LegalWindow | None:
    """The ``legal: {from, to | until}`` window of a milestone (``None`` without one)."""
    if not f.has("legal"):
        return None
    legal = f.sub("legal")
    legal.refuse_unknown({"from", "to", "until"})
    if legal.has("to") == legal.has("until"):
        raise f.error("legal", "give 'from' and one of 'to' (inclusive) or 'until' (exclusive: for an age, "
                               "to the day before the anniversary), like {from: B3y, until: B4y}")
    key = "until" if legal.has("until") else "to"
    start, end = legal.stage("from"), legal.stage(key)
    if end < start or (key == "until" and end == start):
        raise legal.error(key, f"{end} is not after {start}; a window runs from an earlier stage to a later one")
    return LegalWindow(start, end, key == "until")


def milestone_from_data(data: Any, path: Path, index: int) -> Milestone:
    f = Fields(data, path, f"milestones[{index}]")
    f.refuse_unknown(MILESTONE_FIELDS)
    if f.has("window") == f.has("notice"):
        raise f.error("window", "give the notice window once, as window: {from, to} (or notice: {from, to})")
    window = f.sub("window" if f.has("window") else "notice")
    window.refuse_unknown({"from", "to"})
    start, end = window.stage("from"), window.stage("to")
    if end < start:
        raise window.error("to", f"{end} is before {start}; a window runs from an earlier stage to a later one")
    return Milestone(f.str("id", pattern=ID_RE, hint="lowercase letters, digits and hyphens"),
                     f.text("name"), start, end, f.text("basis"), _as_of(f), legal_from_data(f))


def milestones_from_data(data: Any, path: Path) -> list[Milestone]:
    """Validate ``milestones.yaml``; errors name the file and the field."""
    f = Fields(data if data is not None else {}, path)
    f.refuse_unknown({"milestones"})
    raw = f.data.get("milestones")
    if not isinstance(raw, list):
        raise f.error("milestones", "must be a list of {id, name, window: {from, to}, basis, as_of}")
    found: dict[str, Milestone] = {}
    for i, entry in enumerate(raw):
        try:
            m = milestone_from_data(entry, path, i)
        except StageError as exc:  # pragma: no cover - Fields.stage already names the field
            raise WorkspaceError(exc.message, path=path, field=f"milestones[{i}]") from None
        if m.id in found:
            raise WorkspaceError(f"the id '{m.id}' is used twice", path=path, field=f"milestones[{i}].id")
        found[m.id] = m
    return list(found.values())


def load_milestones(root: Path) -> list[Milestone]:
    """The workspace's milestones; an empty list when it has no ``milestones.yaml``."""
    path = Path(root) / MILESTONES_FILE
    if not path.is_file():
        return []
    return milestones_from_data(yamlio.read(path), path)


# --- slots ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Slot:
    """One slot of one town in one locale: the messages sent there."""

    town: str
    locale: str
    stage: Stage
    message_ids: tuple[str, ...]
    #: national messages the town suppressed at this stage (when nothing replaces them)
    suppressed: tuple[str, ...] = ()
    #: messages among ``message_ids`` sent in a fallback locale (no text in ``locale`` yet, or
    #: one that may not ship: :mod:`review.selection`)
    fallback: tuple[str, ...] = ()
    #: messages among ``message_ids`` with no text that may ship (not signed off): nothing is
    #: sent for them until they are
    unsent: tuple[str, ...] = ()
    #: why each message of ``fallback`` does not ship in ``locale``: ``(id, reason)``
    reasons: tuple[tuple[str, str], ...] = ()

    @property
    def status(self) -> str:
        n = len(self.message_ids)
        return STATUS_GAP if n == 0 else STATUS_OK if n == 1 else STATUS_COLLISION


def text_for(message: Message, locale: str, config: "Config") -> str | None:
    """The one decision of what counts as covered: the locale whose text ``message`` sends to
    ``locale`` readers (its own, or a fallback's), ``None`` when it sends them nothing."""
    return config.text_locale(message, locale)


def by_stage(messages: Iterable[Message], locale: str, config: "Config") -> dict[Stage, list[Message]]:
    """Messages with a text for ``locale`` readers (their own or a fallback's), by stage."""
    out: dict[Stage, list[Message]] = {}
    for m in messages:
        if text_for(m, locale, config) is not None:
            out.setdefault(m.stage, []).append(m)
    return out


def town_locales(town: Town, locales: Sequence[str] | None) -> list[str]:
    return [loc for loc in town.locales if locales is None or loc in locales]


_SLOTS: dict[tuple[Any, Stage], tuple[Stage, ...]] = {}


def cadence_slots(ws: "Workspace", town: Town) -> tuple[Stage, ...]:
    """``ws.town_slots(town)``, remembered per cadence policy and end age (expanding a daily
    cadence to age 18 takes a while and every coverage rule needs it)."""
    key = (ws.policy(town.policy), town.end_age)
    if key not in _SLOTS:
        if len(_SLOTS) > 64:
            _SLOTS.clear()
        _SLOTS[key] = tuple(ws.town_slots(town))
    return _SLOTS[key]


def town_slots(ws: "Workspace", town: Town, locales: Sequence[str] | None = None,
               memo: dict[Any, Any] | None = None, approved: Approved | None = None) -> list[Slot]:
    """Every slot of the town's cadence in each of its locales (see the module docstring);
    ``approved`` (default: the workspace's sign-off status now) decides what ships."""
    out: list[Slot] = []
    memo = {} if memo is None else memo
    if approved is not None:
        memo[("approved", id(ws.messages))] = approved
    for locale in town_locales(town, locales):
        out += [replace(slot, town=town.code) for slot in calendar(ws, town, locale, memo).slots]
    return out


@dataclass(frozen=True)
class Calendar:
    """The slots of one locale for every town of one *calendar class*: towns with the same
    cadence policy, end age, suppressions and local messages get the same slots, so they are
    computed once (``town`` is left empty in these slots). A national workspace of 1,741 towns
    has a handful of classes, which keeps coverage fast and its memory small."""

    locale: str
    slots: tuple[Slot, ...]

    @cached_property
    def gap_runs(self) -> tuple[tuple[Slot, ...], ...]:
        """Runs of consecutive plain gaps (not caused by a suppression), in cadence order."""
        return _runs(self.slots, lambda s: s.status == STATUS_GAP and not s.suppressed)

    @cached_property
    def suppressed(self) -> tuple[Slot, ...]:
        return tuple(s for s in self.slots if s.suppressed)

    @cached_property
    def collisions(self) -> tuple[Slot, ...]:
        return tuple(s for s in self.slots if s.status == STATUS_COLLISION)

    @cached_property
    def fallback_runs(self) -> tuple[tuple[Slot, ...], ...]:
        return _runs(self.slots, lambda s: bool(s.fallback))

    @cached_property
    def counts(self) -> dict[str, int]:
        """``slots``, ``ok``, ``gaps``, ``collisions``, ``fallback`` (ok in a fallback locale) and
        ``unsent`` (slots whose message has nothing signed off to ship yet)."""
        status = [s.status for s in self.slots]
        return {"slots": len(self.slots), "ok": status.count(STATUS_OK), "gaps": status.count(STATUS_GAP),
                "collisions": status.count(STATUS_COLLISION), "fallback": sum(1 for s in self.slots if s.fallback),
                "unsent": sum(1 for s in self.slots if s.unsent)}


def _runs(slots: Sequence[Slot], wanted: Any) -> tuple[tuple[Slot, ...], ...]:
    return tuple(tuple(run) for hit, run in groupby(slots, key=wanted) if hit)


def calendar_key(ws: "Workspace", town: Town) -> tuple[Any, ...]:
    """What a town's slots depend on besides the national catalog: towns with equal keys have
    equal calendars."""
    local = ("town", town.code) if town.local_messages else ()
    return (town.policy, id(ws.policy(town.policy)), town.end_age, tuple(sorted(town.suppress)), local)


def _national_by_stage(ws: "Workspace", locale: str, memo: dict[Any, Any]) -> dict[Stage, list[Message]]:
    key = ("national-by-stage", id(ws.messages), locale)
    if key not in memo:
        memo[key] = {stage: sorted(found, key=lambda m: m.id)
                     for stage, found in by_stage(main_track(ws.messages.values()), locale, ws.config).items()}
    return memo[key]


def main_track(messages: Iterable[Message]) -> list[Message]:
    """The staged messages of the main track (other tracks: :mod:`review.track_coverage`)."""
    return [m for m in messages if m.track == "main" and m.dated is None]


def _picks(ws: "Workspace", town: Town, locale: str, memo: dict[Any, Any]) -> dict[str, Any]:
    """What ships of each message the town sends in ``locale`` (:func:`review.selection.select_text`,
    the export's rule), once per run and locale for the national messages."""
    approved_key = ("approved", id(ws.messages))
    if approved_key not in memo:
        memo[approved_key] = workspace_approved(ws)
    approved = memo[approved_key]
    key = ("picks", id(ws.messages), locale)
    if key not in memo:
        chain = ws.config.locale_chain(locale)
        memo[key] = {m.id: select_text(m, chain, ws.config.source_locale, approved)
                     for m in ws.messages.values()}
    picks = memo[key]
    if town.local_messages:
        chain = ws.config.locale_chain(locale)
        picks = {**picks, **{m.id: select_text(m, chain, ws.config.source_locale, approved)
                             for m in town.local_messages}}
    return picks


def calendar(ws: "Workspace", town: Town, locale: str, memo: dict[Any, Any] | None = None) -> Calendar:
    """The town's slots in ``locale`` (shared by every town of its class through ``memo``, a
    dict that lives for one run: pass the same one for every town)."""
    memo = {} if memo is None else memo
    key = ("calendar", id(ws.messages), locale, calendar_key(ws, town))
    found = memo.get(key)
    if found is not None:
        return found
    slots = cadence_slots(ws, town)
    national = _national_by_stage(ws, locale, memo)
    picks = _picks(ws, town, locale, memo)
    gone_ids = set(town.suppress)
    if gone_ids or town.local_messages:
        here: dict[Stage, list[Message]] = {}
        for stage, found_here in national.items():
            kept = [m for m in found_here if m.id not in gone_ids]
            if kept:
                here[stage] = kept
        for stage, local in by_stage(town.local_messages, locale, ws.config).items():
            here[stage] = sorted(here.get(stage, []) + local, key=lambda m: (m.stage.sort_key, m.id))
    else:
        here = national
    gone = by_stage([ws.messages[mid] for mid in town.suppress if mid in ws.messages], locale, ws.config)
    out = []
    for stage in slots:
        present = here.get(stage, ())
        ids = tuple(m.id for m in present)
        lost = tuple(m.id for m in gone.get(stage, ())) if not ids else ()
        borrowed = tuple(i for i in ids if picks[i].fallback)
        unsent = tuple(i for i in ids if not picks[i].ships)
        why = tuple((i, picks[i].reason or "") for i in borrowed)
        out.append(Slot("", locale, stage, ids, lost, borrowed, unsent, why))
    found = memo[key] = Calendar(locale, tuple(out))
    return found


def off_cadence(ws: "Workspace", town: Town, memo: dict[Any, Any] | None = None) -> list[Message]:
    """Messages the town sends whose stage is not one of its slots (delivered outside its
    rhythm), leaving out those at or past the town's end age (a town may simply stop earlier).
    ``memo`` shares the answer between towns of one calendar class (see :func:`calendar`)."""
    key = ("off-cadence", id(ws.messages), calendar_key(ws, town))
    if memo is not None and key in memo:
        return memo[key]
    slots = set(cadence_slots(ws, town))
    found = [m for m in ws.town_messages(town, track="main")
             if m.stage not in slots and (m.stage.phase == "P" or m.stage < town.end_age)]
    if memo is not None:
        memo[key] = found
    return found


def milestone_misses(ws: "Workspace", town: Town, locale: str, milestones: Sequence[Milestone],
                     memo: dict[Any, Any] | None = None) -> list[tuple[Milestone, list[Message]]]:
    """The milestones the town does not meet in ``locale``, each with the tagged messages it
    sends outside the window (shared between towns of one class through ``memo``)."""
    key = ("milestones", id(ws.messages), id(milestones), locale, calendar_key(ws, town))
    if memo is not None and key in memo:
        return memo[key]
    sent = [m for m in ws.town_messages(town, track="main") if m.milestones]
    misses = []
    for milestone in milestones:
        if milestone.start.phase == "B" and milestone.start >= town.end_age:
            continue  # the window is past the town's end age
        tagged = milestone_messages(sent, milestone, locale, ws.config)
        if not any(milestone.contains(m.stage) for m in tagged):
            misses.append((milestone, tagged))
    if memo is not None:
        memo[key] = misses
    return misses


def milestone_messages(sent: Iterable[Message], milestone: Milestone, locale: str,
                       config: "Config") -> list[Message]:
    """Messages among ``sent`` (what a town sends) for ``locale`` readers tagged with ``milestone``."""
    return [m for m in sent if milestone.id in m.milestones and text_for(m, locale, config) is not None]


# --- the frame ------------------------------------------------------------------------------------------

FRAME_COLUMNS = ["town", "town_name", "locale", "stage", "label", "phase", "order", "count",
                 "message_ids", "suppressed", "fallback", "status", "unsent"]


def coverage_frame(ws: "Workspace", towns: Sequence[str] | None = None,
                   locales: Sequence[str] | None = None) -> "pd.DataFrame":
    """One row per town × locale × slot: columns ``town, town_name, locale, stage, label,
    phase, order, count, message_ids, suppressed, fallback, status`` (``ok``, ``gap``,
    ``collision``), ``unsent`` (messages with nothing signed off to ship)."""
    import pandas as pd

    rows = []
    for town in select_towns(ws, towns):
        for order, slot in enumerate(town_slots(ws, town, locales)):
            rows.append({"town": town.code, "town_name": town.name, "locale": slot.locale,
                         "stage": str(slot.stage), "label": slot.stage.label_ja, "phase": slot.stage.phase,
                         "order": slot.stage.sort_key[1] + (0 if slot.stage.phase == "P" else 1000),
                         "count": len(slot.message_ids), "message_ids": list(slot.message_ids),
                         "suppressed": list(slot.suppressed), "fallback": list(slot.fallback),
                         "status": slot.status, "unsent": list(slot.unsent)})
    return pd.DataFrame(rows, columns=FRAME_COLUMNS)


def select_towns(ws: "Workspace", towns: Sequence[str] | None) -> list[Town]:
    return [ws.town(code) for code in towns] if towns else list(ws.towns.values())


def coverage_rows(ws: "Workspace", towns: Sequence[str] | None = None, locales: Sequence[str] | None = None,
                  memo: dict[Any, Any] | None = None) -> Iterator[dict[str, Any]]:
    """One summary per town × locale (``town, name, prefecture, locale, slots, ok, gaps,
    collisions, fallback``), streamed: nothing of size town × slot is held (towns of one
    calendar class share one :class:`Calendar`)."""
    memo = {} if memo is None else memo
    for town in select_towns(ws, towns):
        for locale in town_locales(town, locales):
            yield {"town": town.code, "name": town.name, "prefecture": town.prefecture, "locale": locale,
                   **calendar(ws, town, locale, memo).counts}


def towns_in_prefectures(ws: "Workspace", prefectures: Sequence[str]) -> list[str]:
    """Codes of the workspace's towns in the prefectures named (``長野県``, ``長野`` or the
    2-digit code ``20``); an unknown prefecture is an error naming the ones there are."""
    known = sorted({t.prefecture for t in ws.towns.values()})
    codes: list[str] = []
    for wanted in prefectures:
        match = [t.code for t in ws.towns.values()
                 if wanted in (t.prefecture, t.code[:2]) or t.prefecture[:-1] == wanted]
        if not match:
            raise WorkspaceError(f"no town of the workspace is in prefecture '{wanted}'; "
                                 f"prefectures: {', '.join(known) or 'none'}", path=ws.root / "towns")
        codes += [c for c in match if c not in codes]
    return codes


# --- the heatmap ------------------------------------------------------------------------------------------

_CJK_FAMILIES = ("Noto Sans CJK JP", "Noto Sans JP", "IPAexGothic", "IPAGothic", "TakaoGothic",
                 "Hiragino Sans", "Yu Gothic", "Meiryo", "VL Gothic", "Source Han Sans JP")


def japanese_font() -> str | None:
    """A font family that can draw Japanese: installed on the machine, or the IPAex Gothic that
    the ``japanize-matplotlib`` package ships (registered without importing the package)."""
    import importlib.util

    from matplotlib import font_manager

    names = {f.name for f in font_manager.fontManager.ttflist}
    for family in _CJK_FAMILIES:
        if family in names:
            return family
    spec = importlib.util.find_spec("japanize_matplotlib")
    if spec and spec.submodule_search_locations:
        font = Path(list(spec.submodule_search_locations)[0]) / "fonts" / "ipaexg.ttf"
        if font.is_file():
            font_manager.fontManager.addfont(str(font))
            return font_manager.FontProperties(fname=str(font)).get_name()
    return None


_TICK_STAGES = ("P4w", "P8w", "P12w", "P16w", "P20w", "P24w", "P28w", "P32w", "P36w", "P40w",
                "B0d", "B1m", "B2m", "B3m", "B4m", "B6m", "B9m", "B1y", "B1y6m", "B2y", "B2y6m",
                "B3y", "B4y", "B5y", "B6y", "B7y")
STATUS_FALLBACK = "fallback"
_COLORS = {"none": "#f2f2f2", STATUS_OK: "#4caf50", STATUS_FALLBACK: "#a5d6a7", STATUS_GAP: "#d32f2f",
           STATUS_COLLISION: "#ff9800"}
_CODES = {name: i for i, name in enumerate(_COLORS)}


def _cell(slot: Slot) -> str:
    return STATUS_FALLBACK if slot.status == STATUS_OK and slot.fallback else slot.status


def _save_figure(fig: Any, png_path: str | Path) -> Path:
    """Lay out, write and close a heatmap figure; returns the file written."""
    import matplotlib.pyplot as plt

    fig.tight_layout()
    out = Path(png_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out)
    plt.close(fig)
    return out


def tick_positions(columns: Sequence[Stage]) -> list[tuple[int, Stage]]:
    """Where the x-axis labels go: each landmark stage (P4w, B1m, B1y6m...) at the first column
    on or after it, so a calendar of day slots (B30d, B31d...) still shows B1m, B2m..."""
    out: list[tuple[int, Stage]] = []
    if not columns:
        return out
    for tick in (Stage.parse(t) for t in _TICK_STAGES):
        i = bisect.bisect_left(columns, tick)
        if tick < columns[0] or i >= len(columns) or (out and out[-1][0] == i):
            continue
        out.append((i, tick))
    return out


def coverage_heatmap(ws: "Workspace", png_path: str | Path, towns: Sequence[str] | None = None,
                     locales: Sequence[str] | None = None) -> Path:
    """Draw stage (x) × town and locale (y) as a PNG: green one message (light green in a
    fallback locale), red a gap, orange a
    collision, light grey a day the town's cadence does not send on. Town names are drawn in
    Japanese with the font japanize-matplotlib ships (or a CJK font of the system), else as codes."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    rows: list[tuple[Town, str, dict[Stage, str]]] = []
    for town in select_towns(ws, towns):
        by_locale: dict[str, dict[Stage, str]] = {}
        for slot in town_slots(ws, town, locales):
            by_locale.setdefault(slot.locale, {})[slot.stage] = _cell(slot)
        rows.extend((town, loc, cells) for loc, cells in by_locale.items())
    columns = sorted({s for _, _, cells in rows for s in cells})
    index = {s: i for i, s in enumerate(columns)}
    matrix = [[0] * len(columns) for _ in rows]
    for r, (_, _, cells) in enumerate(rows):
        for stage, status in cells.items():
            matrix[r][index[stage]] = _CODES[status]

    family = japanese_font()
    font = {"family": family} if family else {}
    labels = [f"{t.name}（{t.code}）{loc}" if family else f"{t.code} [{loc}]" for t, loc, _ in rows]
    fig_h = 1.6 + 0.42 * max(len(rows), 1)
    fig, ax = plt.subplots(figsize=(16, fig_h), dpi=120)
    cmap = ListedColormap(list(_COLORS.values()))
    if rows and columns:
        ax.imshow(matrix, aspect="auto", interpolation="nearest", cmap=cmap, vmin=0, vmax=len(_COLORS) - 1)
    ax.set_yticks(range(len(rows)), labels, fontsize=9, **font)
    ticks = tick_positions(columns)
    births = [i for i, s in enumerate(columns) if s.phase == "B"]
    ax.set_xticks([i for i, _ in ticks], [str(s) for _, s in ticks], fontsize=8, rotation=45)
    if births and births[0] > 0:
        ax.axvline(births[0] - 0.5, color="black", linewidth=1.2)
    for r in range(1, len(rows)):
        ax.axhline(r - 0.5, color="white", linewidth=1.5)
    gaps = sum(row.count(_CODES[STATUS_GAP]) for row in matrix)
    collisions = sum(row.count(_CODES[STATUS_COLLISION]) for row in matrix)
    ax.set_title(f"Stage coverage: {len(rows)} town × locale rows — {gaps} gaps, {collisions} collisions "
                 "(| = birth)", fontsize=11, loc="left")
    ax.set_xlabel("stage (P = pregnancy week, B = after birth: d days, m months, y years)", fontsize=9)
    ax.legend(handles=[Patch(color=_COLORS[STATUS_OK], label="1 message"),
                       Patch(color=_COLORS[STATUS_FALLBACK], label="1 message, fallback locale"),
                       Patch(color=_COLORS[STATUS_GAP], label="gap (no message)"),
                       Patch(color=_COLORS[STATUS_COLLISION], label="collision (2+)"),
                       Patch(color=_COLORS["none"], label="not a delivery day")],
              loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)
    return _save_figure(fig, png_path)


# --- the national view: gaps by prefecture (or town) and stage band ---------------------------------------

#: stage bands of the national view: (label, first stage); a band runs to the next one's start
STAGE_BANDS = (("妊娠初期", "P4w"), ("妊娠中期", "P16w"), ("妊娠後期", "P28w"), ("新生児", "B0d"),
               ("生後1〜2か月", "B28d"), ("3〜5か月", "B3m"), ("6〜11か月", "B6m"), ("1歳", "B1y"),
               ("2歳", "B2y"), ("3〜6歳", "B3y"), ("7歳〜", "B7y"))
_BAND_STARTS = [Stage.parse(start) for _, start in STAGE_BANDS]


def band_of(stage: Stage) -> int:
    """Index in :data:`STAGE_BANDS` of the band ``stage`` falls in (before the first: 0)."""
    return max(0, bisect.bisect_right(_BAND_STARTS, stage) - 1)


def _calendar_bands(cal: Calendar, memo: dict[Any, Any]) -> tuple[tuple[int, int], ...]:
    """(problem slots, slots) per band of one calendar (a gap or a collision is a problem)."""
    key = ("bands", id(cal))
    if key not in memo:
        counts = [[0, 0] for _ in STAGE_BANDS]
        for slot in cal.slots:
            band = counts[band_of(slot.stage)]
            band[1] += 1
            band[0] += slot.status != STATUS_OK
        memo[key] = (cal, tuple((a, b) for a, b in counts))
    return memo[key][1]


def gap_table(ws: "Workspace", towns: Sequence[str] | None = None, locales: Sequence[str] | None = None,
              by: str = "prefecture", memo: dict[Any, Any] | None = None) -> tuple[list[str], list[list[tuple[int, int]]]]:
    """Rows (prefectures, or towns with ``by="town"``) × :data:`STAGE_BANDS` of
    ``(problem slots, slots)`` summed over the rows' towns and locales, streamed town by town."""
    memo = {} if memo is None else memo
    labels: list[str] = []
    table: dict[str, list[list[int]]] = {}
    for town in select_towns(ws, towns):
        row = town.prefecture if by == "prefecture" else f"{town.name}（{town.code}）"
        if row not in table:
            labels.append(row)
            table[row] = [[0, 0] for _ in STAGE_BANDS]
        for locale in town_locales(town, locales):
            for cell, (bad, total) in zip(table[row], _calendar_bands(calendar(ws, town, locale, memo), memo)):
                cell[0] += bad
                cell[1] += total
    return labels, [[(a, b) for a, b in table[label]] for label in labels]


def coverage_band_heatmap(ws: "Workspace", png_path: str | Path, towns: Sequence[str] | None = None,
                          locales: Sequence[str] | None = None, by: str = "prefecture",
                          memo: dict[Any, Any] | None = None) -> Path:
    """The national view: rows are prefectures (or, drilled down, the towns of a selection),
    columns stage bands; a cell's colour is the share of its delivery days with a gap or a
    collision, and it is labelled with that number of days (summed over towns and locales)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels, rows = gap_table(ws, towns, locales, by, memo)
    share = [[(bad / total) if total else float("nan") for bad, total in row] for row in rows]
    family = japanese_font()
    font = {"family": family} if family else {}
    fig, ax = plt.subplots(figsize=(12, 1.6 + 0.28 * max(len(rows), 1)), dpi=110)
    if rows:
        image = ax.imshow(share, aspect="auto", interpolation="nearest", cmap="Reds", vmin=0, vmax=1)
        fig.colorbar(image, ax=ax, fraction=0.03, pad=0.01, label="share of delivery days with a gap or collision")
        for r, row in enumerate(rows):
            for c, (bad, total) in enumerate(row):
                if total and bad:
                    ax.text(c, r, str(bad), ha="center", va="center", fontsize=6,
                            color="white" if bad / total > 0.5 else "black")
    names = labels if family else [label.encode("ascii", "replace").decode() for label in labels]
    ax.set_yticks(range(len(rows)), names, fontsize=7, **font)
    ax.set_xticks(range(len(STAGE_BANDS)), [b for b, _ in STAGE_BANDS] if family else [s for _, s in STAGE_BANDS],
                  fontsize=8, rotation=30, **font)
    total_bad = sum(bad for row in rows for bad, _ in row)
    ax.set_title(f"Coverage gaps by {by} and stage band: {total_bad} problem days in {len(rows)} rows "
                 "(number = days with a gap or collision, summed over towns and locales)", fontsize=10, loc="left")
    return _save_figure(fig, png_path)
