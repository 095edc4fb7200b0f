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
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Sequence

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


def by_stage(messages: Iterable[Message], locale: str, config: "Config") -> dict[Stage, list[Message]]:
    """Messages with a text for ``locale`` readers (their own or a fallback's), by stage."""
    out: dict[Stage, list[Message]] = {}
    for m in messages:
        if config.text_locale(m, locale) is not None:
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
               approved: Approved | None = None) -> list[Slot]:
    """Every slot of the town's cadence in each of its locales (see the module docstring);
    ``approved`` (default: the workspace's sign-off status now) decides what ships."""
    slots = cadence_slots(ws, town)
    sent = ws.town_messages(town, track="main")  # other tracks: review.track_coverage
    suppressed = [ws.messages[mid] for mid in town.suppress if mid in ws.messages]
    approved = approved or workspace_approved(ws)
    out = []
    for locale in town_locales(town, locales):
        chain = ws.config.locale_chain(locale)
        picks = {m.id: select_text(m, chain, ws.config.source_locale, approved) for m in sent}
        here = by_stage(sent, locale, ws.config)
        gone = by_stage(suppressed, locale, ws.config)
        for stage in slots:
            present = here.get(stage, ())
            ids = tuple(m.id for m in present)
            lost = tuple(m.id for m in gone.get(stage, ())) if not ids else ()
            borrowed = tuple(i for i in ids if picks[i].fallback)
            unsent = tuple(i for i in ids if not picks[i].ships)
            why = tuple((i, picks[i].reason or "") for i in borrowed)
            out.append(Slot(town.code, locale, stage, ids, lost, borrowed, unsent, why))
    return out


def off_cadence(ws: "Workspace", town: Town) -> list[Message]:
    """Messages the town sends whose stage is not one of its slots (delivered outside its
    rhythm), leaving out those at or past the town's end age (a town may simply stop earlier)."""
    slots = set(cadence_slots(ws, town))
    return [m for m in ws.town_messages(town, track="main")
            if m.stage not in slots and (m.stage.phase == "P" or m.stage < town.end_age)]


def milestone_messages(sent: Iterable[Message], milestone: Milestone, locale: str,
                       config: "Config") -> list[Message]:
    """Messages among ``sent`` (what a town sends) for ``locale`` readers tagged with ``milestone``."""
    return [m for m in sent if milestone.id in m.milestones and config.text_locale(m, locale) is not None]


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
    fig.tight_layout()
    out = Path(png_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out)
    plt.close(fig)
    return out
