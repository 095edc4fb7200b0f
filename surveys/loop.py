"""The loop back: readers' answers linked to messages, and the yearly re-review queue.

A response is *evidence* when it has a low score (a 5-point answer at or under
``settings.low_score``) or a free-text answer. Evidence is linked to messages three ways:

* **invitation**: the response's ``kz-message`` names a message (a feedback link sent with
  that message); survey invitations themselves (topic ``survey``) are not linked;
* **stage window**: the messages the response's town sends in the ``settings.window_days``
  before the stage of the invitation, whose topics meet the response's topics (the topics of
  the low-scored question or chosen choices, and of the themes of its free text,
  :mod:`.themes`);
* **tagging**: a reviewer names the message for a response in a tag sheet
  (``response,message,note`` CSV or XLSX, imported with ``kizuna survey import --tags``, kept
  in ``.kizuna/surveys/tags.csv`` next to the responses).

Every message with evidence in the year enters the re-review queue with the evidence:
responses, low scores per question, themes and up to :data:`MAX_QUOTES` free-text quotes with
e-mail addresses, phone numbers and long digit runs masked. The queue is shown by
``kizuna review queue`` and in review packets through :func:`annotations` (registered as the
``kizuna.review_annotations`` entry point ``surveys``).
"""
from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import pandas as pd

from kizuna.catalog.errors import KizunaError
from kizuna.catalog.lock import LOCAL_DIR, workspace_lock
from kizuna.catalog.safepaths import write_target
from kizuna.catalog.stages import Stage
from kizuna.catalog.workspace import Workspace
from kizuna.surveys.model import SURVEYS_DIR, Surveys, SurveyError, load_surveys
from kizuna.surveys.responses import ResponseImportError, load_responses, read_table
from kizuna.surveys.themes import response_themes, themes
from kizuna.catalog.i18n import _

TAGS_FILE = f"{LOCAL_DIR}/surveys/tags.csv"
MAX_QUOTES = 5
SURVEY_TOPIC = "survey"
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
_PHONE = re.compile(r"\+?\d[\d\-‐－ー( )（）]{8,}\d")


def mask(text: str) -> str:
    """A quote safe to show a reviewer: e-mail addresses and phone-like digit runs replaced."""
    return _PHONE.sub("［番号］", _EMAIL.sub("［メール］", text))


@dataclass
class Evidence:
    """What readers said about one message in one year."""

    message: str
    year: int | None
    responses: set[str] = field(default_factory=set)
    how: set[str] = field(default_factory=set)
    low: dict[str, int] = field(default_factory=dict)
    themes: dict[str, int] = field(default_factory=dict)
    quotes: list[str] = field(default_factory=list)
    towns: set[str] = field(default_factory=set)
    #: responses per town
    per_town: dict[str, int] = field(default_factory=dict)

    def summary_ja(self) -> str:
        how = {"invitation": "案内リンク", "window": "配信時期", "tag": "レビュアーのタグ"}
        low = "、".join(f"{q} {n}件" for q, n in sorted(self.low.items()))
        labels = {t.id: t.label for t in themes()}
        th = "、".join(f"{labels.get(t, t)} {n}件" for t, n in sorted(self.themes.items(), key=lambda kv: -kv[1])[:4])
        parts = [f"{self.year}年度 読者の声 {len(self.responses)}件（{'・'.join(how[h] for h in sorted(self.how))}）"]
        if low:
            parts.append(f"低い評価：{low}")
        if th:
            parts.append(f"自由記述のテーマ：{th}")
        return "／".join(parts)


def read_tags(path: Path, ws: Workspace) -> pd.DataFrame:
    """A reviewer's tag sheet: columns ``response`` and ``message`` (``note`` optional)."""
    header, rows = read_table(path)
    names = [h.strip().lower() for h in header]
    problems = [_("row 1: the tag sheet needs a '{c}' column").format(c=c) for c in ("response", "message") if c not in names]
    if problems:
        raise ResponseImportError(problems, path=path)
    frame = pd.DataFrame(rows, columns=names).fillna("")
    frame = frame[(frame["response"].str.strip() != "") | (frame["message"].str.strip() != "")]
    for n, row in frame.iterrows():
        if not re.fullmatch(r"[0-9a-f]{16}", row["response"].strip()):
            problems.append(_("row {value}, column 'response': '{response}' is not a response pseudonym").format(value=n + 2, response=row['response']))
        for mid in filter(None, re.split(r"[\s,;]+", row["message"])):
            try:
                ws.message(mid)
            except KizunaError:
                problems.append(_("row {value}, column 'message': no message '{mid}' in this workspace").format(value=n + 2, mid=mid))
    if problems:
        raise ResponseImportError(problems, path=path)
    note = frame["note"] if "note" in frame else ""
    return pd.DataFrame({"response": frame["response"].str.strip(), "message": frame["message"].str.strip(),
                         "note": note}).reset_index(drop=True)


def import_tags(ws: Workspace, path: Path) -> int:
    """Add a tag sheet to ``.kizuna/surveys/tags.csv`` (replacing earlier tags of the same responses)."""
    new = read_tags(path, ws)
    with workspace_lock(ws.root, "kizuna survey import --tags"):
        target = write_target(ws.root, ws.root / TAGS_FILE)
        old = load_tags(ws.root)
        merged = pd.concat([old[~old["response"].isin(new["response"])], new], ignore_index=True)
        target.parent.mkdir(parents=True, exist_ok=True)
        buf = io.StringIO()
        merged.to_csv(buf, index=False, lineterminator="\n")
        from kizuna.catalog.yamlio import write_atomic  # noqa: PLC0415

        write_atomic(target, buf.getvalue())
    return len(new)


TAG_SHEET_HEAD = ("response", "message", "note", "town", "year", "stage", "answers")


def tag_sheet_rows(surveys: Surveys, table: pd.DataFrame, *, year: int | None = None) -> list[list[Any]]:
    """The free-text answers of ``year`` (default: the latest), masked, one row per response, with
    empty ``message`` and ``note`` columns for a reviewer to fill (then ``import --tags``)."""
    texts = [q.id for q in surveys.all_questions().values() if q.type == "text" and q.id in table]
    if table.empty or not texts:
        return [list(TAG_SHEET_HEAD)]
    if year is None:
        year = int(table["year"].dropna().max())
    part = table[(table["year"] == year) & table[texts].notna().any(axis=1)]
    rows = [list(TAG_SHEET_HEAD)]
    for rec in part[["response", "town", "year", "stage", *texts]].to_dict("records"):
        said = " ／ ".join(mask(str(rec[t])) for t in texts if isinstance(rec[t], str) and rec[t].strip())
        rows.append([rec["response"], "", "", rec["town"], int(rec["year"]), rec["stage"], said])
    return rows


def write_tag_sheet(ws: Workspace, surveys: Surveys, table: pd.DataFrame, path: Path) -> int:
    """Write the tag sheet (XLSX) to ``path``: inside the workspace and ignored by git, like the
    responses it quotes. Returns the number of responses in it."""
    from openpyxl import Workbook  # noqa: PLC0415
    from openpyxl.styles import Font  # noqa: PLC0415

    from kizuna.catalog.yamlio import write_atomic  # noqa: PLC0415
    from kizuna.surveys.responses import private_target  # noqa: PLC0415

    rows = tag_sheet_rows(surveys, table)
    with workspace_lock(ws.root, "kizuna survey summary --tag-sheet"):
        target = private_target(ws.root, Path(path))
        wb = Workbook()
        sheet = wb.active
        sheet.title = "タグ付け"
        for row in rows:
            sheet.append(row)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
        sheet.column_dimensions["G"].width = 80
        buf = io.BytesIO()
        wb.save(buf)
        target.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(target, buf.getvalue())
    return len(rows) - 1


def load_tags(root: Path) -> pd.DataFrame:
    path = Path(root) / TAGS_FILE
    if not path.is_file():
        return pd.DataFrame(columns=["response", "message", "note"])
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def _sent_before(ws: Workspace, town: str, stage: Stage, days: int) -> list[tuple[str, frozenset[str]]]:
    """Messages ``town`` sends from ``days`` before ``stage`` up to it (by the stages' day positions)."""
    end = stage.sort_key[1] + (0 if stage.phase == "P" else 280)
    out = []
    for m in ws.town_messages(ws.towns[town]):
        pos = m.stage.sort_key[1] + (0 if m.stage.phase == "P" else 280)
        if end - days <= pos <= end and SURVEY_TOPIC not in m.topics:
            out.append((m.id, frozenset(m.topics)))
    return out


def link_evidence(ws: Workspace, surveys: Surveys, table: pd.DataFrame, *, year: int | None = None,
                  tags: pd.DataFrame | None = None) -> dict[str, Evidence]:
    """Message id -> evidence, for the responses of ``year`` (default: the latest year present)."""
    if table.empty:
        return {}
    if year is None:
        year = int(table["year"].dropna().max()) if table["year"].notna().any() else None
    part = table if year is None else table[table["year"] == year]
    settings = surveys.settings
    questions = surveys.all_questions()
    scale = [q for q in questions.values() if q.type == "scale5" and q.id in part]
    texts = [q.id for q in questions.values() if q.type == "text" and q.id in part]
    themed = response_themes(part, texts)
    theme_topics = {t.id: set(t.topics) for t in themes()}
    low = pd.DataFrame({q.id: part[q.id].astype(float) <= settings.low_score for q in scale}, index=part.index)
    has_text = part[texts].notna().any(axis=1) if texts else pd.Series(False, index=part.index)
    is_evidence = (low.any(axis=1) if scale else False) | has_text
    tagged = tags if tags is not None else load_tags(ws.root)
    tag_map: dict[str, list[str]] = {}
    for r, mids in zip(tagged["response"], tagged["message"]):
        tag_map.setdefault(r, []).extend(filter(None, re.split(r"[\s,;]+", mids)))
    found: dict[str, Evidence] = {}
    windows: dict[tuple[str, str], list[tuple[str, frozenset[str]]]] = {}
    invitation_ok: dict[str, bool] = {}
    chosen = part[(is_evidence | part["response"].isin(tag_map)).to_numpy()]
    low_rows = low.loc[chosen.index].to_numpy() if scale else None
    theme_ids = list(themed.columns)
    theme_rows = themed.loc[chosen.index].to_numpy()
    text_rows = chosen[texts].to_numpy(dtype=object) if texts else None
    columns = [chosen[c].tolist() for c in ("response", "town", "stage", "message")]
    for i, (response, town, stage, mid) in enumerate(zip(*columns)):
        links: dict[str, str] = {}
        if mid:
            if mid not in invitation_ok:
                try:
                    invitation_ok[mid] = SURVEY_TOPIC not in ws.message(mid).topics
                except KizunaError:
                    invitation_ok[mid] = False
            if invitation_ok[mid]:
                links[mid] = "invitation"
        topics: set[str] = set()
        lows = [q.id for j, q in enumerate(scale) if low_rows[i, j]] if low_rows is not None else []
        for j, q in enumerate(scale):
            if low_rows[i, j]:
                topics |= set(q.topics)
        row_themes = [t for j, t in enumerate(theme_ids) if theme_rows[i, j]]
        for t in row_themes:
            topics |= theme_topics.get(t, set())
        if topics and stage and town in ws.towns:
            key = (town, stage)
            if key not in windows:
                windows[key] = _sent_before(ws, town, Stage.parse(stage), settings.window_days)
            for m, mt in windows[key]:
                if mt & topics:
                    links.setdefault(m, "window")
        for m in tag_map.get(response, []):
            links[m] = "tag"
        if not links:
            continue
        said = [v.replace("\n", " ") for v in (text_rows[i] if text_rows is not None else ()) if isinstance(v, str)]
        quote = " ／ ".join(v for v in said if v.strip())
        for m, how in links.items():
            ev = found.setdefault(m, Evidence(m, year))
            ev.responses.add(response)
            ev.how.add(how)
            ev.towns.add(town)
            ev.per_town[town] = ev.per_town.get(town, 0) + 1
            for q in lows:
                ev.low[q] = ev.low.get(q, 0) + 1
            for t in row_themes:
                ev.themes[t] = ev.themes.get(t, 0) + 1
            if quote and len(ev.quotes) < MAX_QUOTES:
                ev.quotes.append(mask(quote)[:300])
    return dict(sorted(found.items(), key=lambda kv: (-len(kv[1].responses), kv[0])))


def rereview_queue(ws: Workspace, *, year: int | None = None, store: Path | None = None) -> dict[str, Evidence]:
    """The yearly re-review queue from the stored responses (empty without surveys or responses)."""
    if not (ws.root / SURVEYS_DIR).is_dir():
        return {}
    surveys = load_surveys(ws)
    if surveys.core is None:
        return {}
    return link_evidence(ws, surveys, load_responses(ws.root, store), year=year)


def annotations(ws: Workspace) -> Mapping[str, list[Any]]:
    """The ``kizuna.review_annotations`` provider: message id -> notes for review queues and packets."""
    from kizuna.review.annotations import Annotation  # noqa: PLC0415

    out: dict[str, list[Any]] = {}
    try:
        queue = rereview_queue(ws)
    except SurveyError as exc:
        return {"": [Annotation("", "読者アンケート", (f"アンケートを読み込めませんでした：{exc}",))]}
    for mid, ev in queue.items():
        lines = (ev.summary_ja(), *[f"「{q}」" for q in ev.quotes])
        out[mid] = [Annotation(mid, "読者アンケートからの再確認", lines)]
    return out


def evidence_rows(queue: Mapping[str, Evidence]) -> list[dict[str, Any]]:
    """The queue as plain rows (for JSON and tables)."""
    return [{"message": m, "year": ev.year, "responses": len(ev.responses), "how": sorted(ev.how),
             "towns": sorted(ev.towns), "low": ev.low, "themes": ev.themes, "quotes": ev.quotes}
            for m, ev in queue.items()]

