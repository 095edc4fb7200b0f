"""Workbooks: one person's job as an Excel workbook, and the merge of what they wrote back.

Three kinds, made with openpyxl:

* **review** (``--by REVIEWER``): what awaits the reviewer's sign-off (their queue). Sheet 確認
  holds messages; sheet 地域ブロック the town blocks of the queue, if any.
* **translation** (``--locale L``): sheet 翻訳 with the source text and the target text of every
  message.
* **town** (``--town CODE``): sheets プロフィール (the town profile's editable fields),
  地域ブロック (the town's local blocks, plus empty rows for new ones) and プレビュー (the town's
  messages as rendered, read only).

Every data sheet has Japanese headers in row 1 (frozen), locked identity and base-text columns
(sheet protection without a password: it guards against slips, not against intent), unlocked
editable columns formatted as text, a decision drop-down (承認 / 修正依頼 / コメント), a comment
column, the findings, conditional formatting where the text passes the length limit of the
towns' channels (70 characters when any town sends SMS, else LINE's 5,000; a visual hint, the
exact rule is ``length/channel``), and hidden columns: the base hash of each row and a *seal*
(``照合``: a short hash of every locked cell) that tells which locked cell was edited even when
the protection was lifted. The hidden sheet ``_kizuna`` says what the workbook is for and whose
it is.

Text that begins with = + - or @ is written as a string with Excel's quote prefix (never a
formula); control characters cannot be stored in a workbook, so a text carrying one is refused
with the message and locale named (and removed, with a note, when read back from a cell).

Import reads and checks the whole workbook first. A broken workbook — a missing sheet or column,
an edited locked cell, a wrong type (a number, date or formula where text belongs, a decision
not in the list), merged cells, a duplicated row — raises :class:`WorkbookError` listing every
problem by sheet, row and column, and nothing at all is applied. Otherwise each row becomes a
proposal (and a decision request) for :mod:`authoring.apply`.
"""
from __future__ import annotations

import hashlib
import re
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Mapping

from openpyxl import Workbook, load_workbook
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils import get_column_letter, range_boundaries
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet._reader import WorkSheetParser
from openpyxl.worksheet.worksheet import Worksheet

from kizuna.catalog.errors import KizunaError, StageError, TemplateError
from kizuna.catalog.lock import workspace_lock
from kizuna.catalog.hashing import normalise_text, text_hash
from kizuna.catalog.limits import (MAX_CELL_CHARS, MAX_WORKBOOK_BYTES, MAX_WORKBOOK_COLUMNS, MAX_WORKBOOK_ROWS,
                                   MAX_WORKBOOK_UNZIPPED_BYTES, check_text_length, shorten)
from kizuna.catalog.messages import Message
from kizuna.catalog.roster import find_reviewer
from kizuna.catalog.safepaths import output_target
from kizuna.catalog.sealkey import KEY_ENV, mac, read_key, same, seal_key
from kizuna.catalog.stages import Stage
from kizuna.catalog.templating import render_for_town, stage_context
from kizuna.catalog.towns import CONTACT_FIELDS, Town
from kizuna.catalog.workspace import Workspace, message_sort_key
from kizuna.authoring.targets import target_problem
from kizuna.authoring.merge import (DECISION_LABELS, DecisionRequest, ImportReport,
                             Proposal, Target, clean_text, control_characters, formula_like, strip_controls,
                             unit_hash)
from kizuna.catalog.i18n import N_, _
from kizuna.catalog.i18n import _

FORMAT = "kizuna-workbook"
VERSION = "1"
META_SHEET = "_kizuna"
SEAL_VERSION = "v2"
SMS_LIMIT = 70
LINE_LIMIT = 5000
MAX_PROBLEMS_SHOWN = 40

HEADER_FILL = PatternFill("solid", start_color="DDEBF7", end_color="DDEBF7")
LOCKED_FILL = PatternFill("solid", start_color="F2F2F2", end_color="F2F2F2")
OVER_FILL = PatternFill("solid", start_color="FFC7CE", end_color="FFC7CE")
CONTACT_LABELS = {"desk": "担当窓口", "phone": "電話番号", "hours": "受付時間", "url": "ウェブサイト"}
LEVEL_MARKS = {"error": "✖", "warning": "⚠", "info": "ℹ"}


class WorkbookError(KizunaError):
    """A workbook that cannot be made or imported; lists sheet, row and column of each problem."""


# --- layout ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Column:
    key: str
    header: str
    width: float
    editable: bool = False
    sealed: bool = False
    hidden: bool = False
    wrap: bool = False


@dataclass(frozen=True)
class Layout:
    sheet: str
    columns: tuple[Column, ...]
    #: columns a person may fill on an added row (empty rows are left unlocked for them)
    new_row_columns: tuple[str, ...] = ()

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)

    @property
    def sealed(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.sealed)


def _c(key: str, header: str, width: float, flags: str = "") -> Column:
    """A column; ``flags``: e editable, s sealed (locked identity/base), h hidden, w wrap."""
    return Column(key, header, width, "e" in flags, "s" in flags, "h" in flags, "w" in flags)


DECISION = _c("decision", "判定", 11, "e")
COMMENT = _c("comment", "コメント", 30, "ew")
STATE = _c("state", "状態", 16, "w")
FINDINGS = _c("findings", "指摘", 40, "w")
PENDING = _c("pending", "未解決の提案", 36, "w")
BASE_HASH = _c("base_hash", "基準ハッシュ", 18, "sh")
SEAL = _c("seal", "照合", 30, "h")

REVIEW = Layout("確認", (
    _c("id", "メッセージID", 24, "s"), _c("stage", "段階", 9, "s"), _c("label", "時期", 14, "s"),
    _c("locale", "言語", 8, "s"), _c("base", "現在の本文", 50, "sw"), _c("text", "修正後の本文", 50, "ew"),
    DECISION, COMMENT, STATE, FINDINGS, PENDING, BASE_HASH, SEAL))
TRANSLATION = Layout("翻訳", (
    _c("id", "メッセージID", 24, "s"), _c("stage", "段階", 9, "s"), _c("label", "時期", 14, "s"),
    _c("source", "原文", 45, "sw"), _c("locale", "言語", 8, "s"), _c("base", "現在の訳文", 45, "sw"),
    _c("text", "修正後の訳文", 45, "ew"), DECISION, COMMENT, STATE, FINDINGS, PENDING, BASE_HASH,
    _c("source_hash", "原文ハッシュ", 18, "sh"), SEAL))
BLOCKS = Layout("地域ブロック", (
    _c("town", "自治体コード", 11, "s"), _c("stage", "段階", 9, "s"), _c("label", "時期", 14, "s"),
    _c("locale", "言語", 8, "s"), _c("base", "現在のブロック", 45, "sw"),
    _c("text", "修正後のブロック", 45, "ew"), DECISION, COMMENT, STATE, FINDINGS, PENDING, BASE_HASH, SEAL),
    new_row_columns=("stage", "locale", "text"))
PROFILE = Layout("プロフィール", (
    _c("field", "項目", 22, "s"), _c("label", "項目名", 18, "s"), _c("base", "現在の値", 45, "sw"),
    _c("text", "修正後の値", 45, "ew"), BASE_HASH, SEAL))
PREVIEW_SHEET = "プレビュー"
GUIDE_SHEET = "使い方"
LAYOUTS = {layout.sheet: layout for layout in (REVIEW, TRANSLATION, BLOCKS, PROFILE)}
NEW_BLOCK_ROWS = 10


# --- small pure helpers ------------------------------------------------------------------------
def seal_part(value: Any) -> str:
    return hashlib.sha256(normalise_text("" if value is None else str(value)).encode("utf-8")).hexdigest()[:6]


def _row_mac(layout: Layout, values: Mapping[str, Any], key: bytes) -> str:
    cells = [normalise_text("" if values.get(c.key) is None else str(values.get(c.key))) for c in layout.sealed]
    return mac(key, "kizuna-row-v2", layout.sheet, *cells)


def row_seal(layout: Layout, values: Mapping[str, Any], *, key: bytes) -> str:
    """``v2:``, six hex digits per sealed column (which cell changed: a hint, anyone can compute
    it), then ``:`` and a keyed HMAC-SHA256 of the sheet and every sealed cell (what proves the
    locked cells are as kizuna wrote them: only the workspace's seal key makes it)."""
    parts = ".".join(seal_part(values.get(c.key)) for c in layout.sealed)
    return f"{SEAL_VERSION}:{parts}:{_row_mac(layout, values, key)}"


def seal_mismatches(layout: Layout, values: Mapping[str, Any], seal: str, *, key: bytes) -> list[Column] | None:
    """The sealed columns whose value differs from the seal (empty: the row is as written);
    ``None`` when the seal itself is not a seal of this layout made with ``key`` (the hidden column
    was edited or recomputed, or the seal is of an older, unkeyed kind)."""
    m = re.fullmatch(rf"{SEAL_VERSION}:([0-9a-f]{{6}}(?:\.[0-9a-f]{{6}})*):([0-9a-f]{{32}})", seal or "")
    if m is None or len(m.group(1).split(".")) != len(layout.sealed):
        return None
    if same(m.group(2), _row_mac(layout, values, key)):
        return []
    bad = [c for c, p in zip(layout.sealed, m.group(1).split(".")) if seal_part(values.get(c.key)) != p]
    return bad or None


def length_limit(towns: Iterable[Town]) -> int:
    """The tightest channel limit among ``towns`` (SMS 70 characters, else LINE 5,000)."""
    return SMS_LIMIT if any("sms" in t.channels for t in towns) else LINE_LIMIT


def format_findings(findings: Iterable[Any]) -> str:
    return "\n".join(f"{LEVEL_MARKS.get(f.level, '')} {f.rule}: {f.message}" for f in findings if f.counts)


def profile_fields(town: Town) -> list[tuple[str, str, str | None]]:
    """``(field, Japanese label, current value)`` of the editable profile fields."""
    rows: list[tuple[str, str, str | None]] = [
        (f"contacts.{k}", CONTACT_LABELS[k], town.contacts.get(k)) for k in CONTACT_FIELDS]
    rows += [(f"services.{k}", f"サービス: {k}", v) for k, v in town.services.items()]
    rows.append(("send_time", "配信時刻", town.send_time))
    return rows


# --- what goes in the rows (reads the workspace, writes nothing) -------------------------------
@dataclass
class Sources:
    """What the rows show besides the texts: findings, sign-off states, pending suggestions."""

    ws: Workspace
    findings: bool = True
    statuses: Mapping[tuple[str, str], Any] = field(default_factory=dict)
    pending: Mapping[Target, str] = field(default_factory=dict)

    @classmethod
    def gather(cls, ws: Workspace, *, findings: bool = True) -> "Sources":
        return cls(ws, findings, _statuses(ws), _pending(ws))

    def checks(self, message: Message, locale: str) -> list[Any]:
        if not self.findings:
            return []
        from kizuna.review.checks import check_message, config_for  # noqa: PLC0415

        config = self.__dict__.get("_check_config")
        if config is None:  # one configuration for the whole workbook: what it computes about the towns is shared
            config = config_for(self.ws)
            object.__setattr__(self, "_check_config", config)
        from kizuna.review.findings import in_language  # noqa: PLC0415

        with in_language():  # a workbook is a Japanese-first document, whatever the CLI speaks
            return list(check_message(self.ws, message, locale, config=config))

    def state(self, key: tuple[str, str]) -> str:
        from kizuna.review.signoff import STATE_LABELS_JA  # noqa: PLC0415

        st = self.statuses.get(key)
        return STATE_LABELS_JA.get(st.state, st.state) if st is not None else ""


def _statuses(ws: Workspace) -> Mapping[tuple[str, str], Any]:
    from kizuna.review.signoff import status  # noqa: PLC0415

    return status(ws)


def _pending(ws: Workspace) -> dict[Target, str]:
    from kizuna.authoring.suggestions import pending  # noqa: PLC0415

    out: dict[Target, list[str]] = {}
    for s in pending(ws):
        body = "（削除の提案）" if s.text is None else s.text
        out.setdefault(s.target, []).append(f"[{s.by or '不明'} / {s.source}] {body}")
    return {k: "\n".join(v) for k, v in out.items()}


def _all_messages(ws: Workspace) -> dict[str, Message]:
    found = list(ws.messages.values()) + [m for t in ws.towns.values() for m in t.local_messages]
    return {m.id: m for m in sorted(found, key=message_sort_key)}


def _message_row(src: Sources, m: Message, locale: str) -> dict[str, Any]:
    text = m.text(locale) or ""
    return {"id": m.id, "stage": str(m.stage), "label": m.stage.label_ja, "locale": locale, "base": text,
            "text": text, "state": src.state((m.id, locale)),
            "findings": format_findings(src.checks(m, locale)),
            "pending": src.pending.get(Target("message", m.id, locale), ""), "base_hash": m.content_hash(locale)}


def _block_findings(src: Sources, town: Town, stage: Stage, locale: str) -> str:
    found = [f for m in src.ws.town_messages(town) if m.stage == stage and locale in m.texts
             for f in src.checks(m, locale) if f.town == town.code]
    return format_findings(found)


def _block_rows(src: Sources, town: Town, stages: Iterable[tuple[Stage, str]]) -> list[dict[str, Any]]:
    rows = []
    for stage, locale in stages:
        text = (town.blocks.get(stage) or {}).get(locale)
        if text is None:
            continue
        target = Target("block", town.code, locale, str(stage))
        rows.append({"town": town.code, "stage": str(stage), "label": stage.label_ja, "locale": locale,
                     "base": text, "text": text, "state": src.state((f"town:{town.code}:{stage}", locale)),
                     "findings": _block_findings(src, town, stage, locale),
                     "pending": src.pending.get(target, ""), "base_hash": unit_hash(target, None, text)})
    return rows


def review_rows(src: Sources, reviewer: str) -> dict[str, list[dict[str, Any]]]:
    """Rows of a reviewer's workbook, by sheet: their queue."""
    from kizuna.review.signoff import parse_block_key, queue  # noqa: PLC0415

    messages = _all_messages(src.ws)
    sheets: dict[str, list[dict[str, Any]]] = {REVIEW.sheet: [], BLOCKS.sheet: []}
    for key, locale in queue(src.ws, reviewer):
        block = parse_block_key(key)
        if block is None:
            sheets[REVIEW.sheet].append(_message_row(src, messages[key], locale))
        else:
            code, stage = block
            sheets[BLOCKS.sheet] += _block_rows(src, src.ws.town(code), [(stage, locale)])
    return {k: v for k, v in sheets.items() if v or k == REVIEW.sheet}


def translation_rows(src: Sources, locale: str) -> dict[str, list[dict[str, Any]]]:
    """Rows of a translator's workbook: every message with a source text."""
    source = src.ws.config.source_locale
    rows = []
    for m in _all_messages(src.ws).values():
        if source not in m.texts:
            continue
        target_text = m.text(locale)
        if target_text is None:
            state = "未翻訳"
        elif m.is_stale_translation(locale, source):
            state = "原文が更新されています"
        else:
            state = src.state((m.id, locale))
        rows.append({"id": m.id, "stage": str(m.stage), "label": m.stage.label_ja,
                     "source": m.text(source), "locale": locale, "base": target_text or "",
                     "text": target_text or "", "state": state,
                     "findings": format_findings(src.checks(m, locale)) if target_text else "",
                     "pending": src.pending.get(Target("message", m.id, locale), ""),
                     "base_hash": m.content_hash(locale) if target_text is not None else "",
                     "source_hash": text_hash(m.text(source) or "")})
    return {TRANSLATION.sheet: rows}


def town_rows(src: Sources, town: Town) -> dict[str, list[dict[str, Any]]]:
    """Rows of a town editor's workbook: the profile and the local blocks."""
    profile = []
    for name, label, value in profile_fields(town):
        target = Target("profile", town.code, None, name)
        profile.append({"field": name, "label": label, "base": value or "", "text": value or "",
                        "base_hash": unit_hash(target, None, value) if value is not None else ""})
    stages = [(stage, loc) for stage, by_locale in town.blocks.items() for loc in by_locale]
    return {PROFILE.sheet: profile, BLOCKS.sheet: _block_rows(src, town, stages)}


def preview_rows(ws: Workspace, town: Town) -> list[list[Any]]:
    """The town's messages as rendered in the source locale (text and town block together)."""
    source = ws.config.source_locale
    context = {"town": town.template_context()}
    rows = []
    for m in ws.town_messages(town):
        text = m.text(source)
        if text is None:
            continue
        try:
            rendered = render_for_town(text, town.block(m.stage, source, source),
                                       {**context, "stage": stage_context(m.stage)}, town=town.code,
                                       message=m.id, locale=source).full
        except TemplateError as exc:
            rendered = f"（表示できません: {exc.message}）"
        rows.append([str(m.stage), m.stage.label_ja, m.id, rendered, len(rendered)])
    return rows


# --- writing ------------------------------------------------------------------------------------
def _put(sheet: Worksheet, row: int, col: int, value: Any, what: str) -> None:
    """Write one cell; text is always a string cell (a quote prefix for formula-like text)."""
    cell = sheet.cell(row=row, column=col)
    if isinstance(value, str):
        bad = control_characters(value)
        if bad:
            raise WorkbookError(_("{what} contains control character(s) {bad}, which a "
                                "workbook cannot hold; remove them in the workspace first").format(what=what, bad=', '.join(bad)),
                                location=_("sheet {title}, row {row}").format(title=sheet.title, row=row))
        cell.value = value
        cell.data_type = "s"
        if formula_like(value):
            cell.quotePrefix = True
    else:
        cell.value = value


def _describe_row(values: Mapping[str, Any]) -> str:
    if "id" in values:
        return f"message {values['id']} ({values.get('locale')})"
    if "field" in values:
        return f"profile field {values['field']}"
    return f"block {values.get('stage')} ({values.get('locale')}) of town {values.get('town')}"


def write_sheet(book: Workbook, layout: Layout, rows: list[dict[str, Any]], *, limit: int, key: bytes,
                locales: Iterable[str] = (), new_rows: int = 0) -> Worksheet:
    """One protected data sheet: headers, rows, validation, formatting, hidden columns."""
    sheet = book.create_sheet(layout.sheet)
    for j, col in enumerate(layout.columns, start=1):
        cell = sheet.cell(row=1, column=j, value=col.header)
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        letter = get_column_letter(j)
        sheet.column_dimensions[letter].width = col.width
        sheet.column_dimensions[letter].hidden = col.hidden
    for i, values in enumerate(rows, start=2):
        values = {**values, "seal": row_seal(layout, values, key=key)}
        for j, col in enumerate(layout.columns, start=1):
            _put(sheet, i, j, values.get(col.key, ""), _describe_row(values))
            _style(sheet.cell(row=i, column=j), col, editable=col.editable)
    last = len(rows) + 1
    for i in range(last + 1, last + 1 + new_rows):
        for j, col in enumerate(layout.columns, start=1):
            _style(sheet.cell(row=i, column=j), col, editable=col.editable or col.key in layout.new_row_columns)
    end = last + new_rows
    letters = {c.key: get_column_letter(j) for j, c in enumerate(layout.columns, start=1)}
    if end >= 2:
        if "decision" in letters:
            dv = DataValidation(type="list", formula1='"' + ",".join(DECISION_LABELS) + '"',
                                allow_blank=True, showErrorMessage=True, errorTitle="判定",
                                error="承認・修正依頼・コメントのいずれかを選んでください。",
                                promptTitle="判定", prompt="承認・修正依頼・コメントから選びます。",
                                showInputMessage=True)
            dv.add(f"{letters['decision']}2:{letters['decision']}{end}")
            sheet.add_data_validation(dv)
        if new_rows and "locale" in letters and locales:
            lv = DataValidation(type="list", formula1='"' + ",".join(locales) + '"', allow_blank=True)
            lv.add(f"{letters['locale']}{last + 1}:{letters['locale']}{end}")
            sheet.add_data_validation(lv)
        t = letters["text"]
        sheet.conditional_formatting.add(f"{t}2:{t}{end}", FormulaRule(
            formula=[f"LEN({t}2)>{limit}"], fill=OVER_FILL, font=Font(color="9C0006")))
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(layout.columns))}{end}"
    sheet.freeze_panes = "B2"
    sheet.protection.sheet = True
    sheet.protection.formatColumns = False
    sheet.protection.formatRows = False
    sheet.protection.autoFilter = False
    return sheet


def _style(cell: Any, col: Column, *, editable: bool) -> None:
    cell.protection = Protection(locked=not editable)
    cell.alignment = Alignment(wrap_text=col.wrap, vertical="top")
    if editable:
        cell.number_format = "@"
    else:
        cell.fill = LOCKED_FILL


GUIDE = [
    "この作業票は kizuna のワークスペースから作られました。",
    "灰色の列は変更できません（シートは保護されています。パスワードはありません）。",
    "「修正後の…」列で本文を直し、「判定」で承認・修正依頼・コメントを選び、必要ならコメントを書いてください。",
    "「指摘」は自動チェックの結果、「未解決の提案」は取り込み時に衝突して保留になった他の人の修正です。",
    "文字数が上限を超えると「修正後の…」のセルが赤くなります。",
    "行の追加・削除・並べ替え、セルの結合、非表示の列の変更はしないでください（地域ブロックの空行への追加は可）。",
    "終わったら担当者が kizuna author import このファイル で取り込みます。",
    "取り込む前にワークスペースで本文が変わっていた場合、あなたの修正は上書きせず提案として残ります。",
]


def build_workbook(kind: str, sheets: Mapping[str, list[dict[str, Any]]], *, meta: Mapping[str, str],
                   limit: int, key: bytes, locales: Iterable[str] = (),
                   preview: list[list[Any]] | None = None) -> Workbook:
    """The whole workbook, from rows already gathered (no workspace access); ``key`` is the
    workspace's seal key (:mod:`catalog.sealkey`)."""
    book = Workbook()
    guide = book.active
    guide.title = GUIDE_SHEET
    guide.column_dimensions["A"].width = 110
    for i, line in enumerate(GUIDE, start=1):
        guide.cell(row=i, column=1, value=line)
    guide.protection.sheet = True
    for name, rows in sheets.items():
        write_sheet(book, LAYOUTS[name], rows, limit=limit, key=key, locales=locales,
                    new_rows=NEW_BLOCK_ROWS if kind == "town" and name == BLOCKS.sheet else 0)
    if preview is not None:
        sheet = book.create_sheet(PREVIEW_SHEET)
        for j, (header, width) in enumerate((("段階", 9), ("時期", 14), ("メッセージID", 24),
                                             ("表示例", 70), ("文字数", 8)), start=1):
            sheet.cell(row=1, column=j, value=header).font = Font(bold=True)
            sheet.column_dimensions[get_column_letter(j)].width = width
        for i, row in enumerate(preview, start=2):
            for j, value in enumerate(row, start=1):
                _put(sheet, i, j, value, f"preview of {row[2]}")
                sheet.cell(row=i, column=j).alignment = Alignment(wrap_text=j == 4, vertical="top")
        sheet.freeze_panes = "A2"
        sheet.protection.sheet = True
    info = book.create_sheet(META_SHEET)
    full = {"format": FORMAT, "version": VERSION, "kind": kind, **meta, "sheets": ",".join(sheets)}
    for i, (name, value) in enumerate(full.items(), start=1):
        info.cell(row=i, column=1, value=name)
        _put(info, i, 2, value, f"workbook setting {name}")
    info.cell(row=len(full) + 1, column=1, value="seal")
    info.cell(row=len(full) + 1, column=2, value=meta_seal(full, key=key))
    info.sheet_state = "hidden"
    info.protection.sheet = True
    return book


def meta_seal(meta: Mapping[str, str], *, key: bytes) -> str:
    """Keyed seal of the workbook's settings (kind, holder, town, locale, sheets...)."""
    return mac(key, "kizuna-meta-v2", *(f"{k}={v}" for k, v in meta.items() if k != "seal"))


def town_holder_problem(ws: Workspace, holder: str, code: str) -> str | None:
    """Why ``holder`` may not hold the workbook of town ``code``, or ``None``: a town editor
    edits their own town(s) only (national staff, with no towns in the roster, may edit any)."""
    person = ws.reviewers.get(holder)
    if person is not None and person.towns and code not in person.towns:
        return (_("{name} ({id}) edits town(s) {towns} only, not town "
                "{code}; a town editor's workbook never touches another town").format(name=person.name, id=person.id, towns=', '.join(person.towns), code=code))
    return None


def _default_holder(ws: Workspace, code: str) -> str:
    editors = [r.id for r in ws.reviewers.values() if code in r.towns]
    return editors[0] if len(editors) == 1 else ""


def write_workbook(ws: Workspace, out: Path, *, reviewer: str | None = None, town: str | None = None,
                   locale: str | None = None, findings: bool = True) -> Path:
    """Write the workbook for one job (exactly one of ``town``, ``locale`` or ``reviewer`` picks
    the kind; ``reviewer`` is also the holder of a town or translation workbook)."""
    stamp = datetime.now(timezone.utc).astimezone().isoformat(timespec="seconds")
    holder = find_reviewer(ws.reviewers, reviewer).id if reviewer else ""
    meta = {"holder": holder, "town": "", "locale": "", "source_locale": ws.config.source_locale,
            "generated_at": stamp}
    preview = None
    src = Sources.gather(ws, findings=findings)
    if town is not None:
        t = ws.town(town)
        why = town_holder_problem(ws, holder, t.code) if holder else None
        if why:
            raise WorkbookError(why)
        kind, sheets, towns, locales = "town", town_rows(src, t), [t], t.locales
        meta.update(town=t.code, holder=holder or _default_holder(ws, t.code))
        preview = preview_rows(ws, t)
    elif locale is not None:
        if locale not in ws.config.locales or locale == ws.config.source_locale:
            raise WorkbookError(_("'{locale}' is not a translation locale of this workspace "
                                "(source {source_locale}; locales {locales})").format(locale=locale, source_locale=ws.config.source_locale, locales=', '.join(ws.config.locales)))
        kind, sheets, towns, locales = "translation", translation_rows(src, locale), list(ws.towns.values()), [locale]
        meta.update(locale=locale)
    elif reviewer is not None:
        kind, sheets, towns, locales = "review", review_rows(src, holder), list(ws.towns.values()), ws.config.locales
    else:
        raise WorkbookError(_("say whose workbook: --by REVIEWER, --town CODE or --locale L"))
    out = output_target(ws.root, out)
    book = build_workbook(kind, sheets, meta=meta, limit=length_limit(towns), key=seal_key(ws.root),
                          locales=locales, preview=preview)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = output_target(ws.root, out.with_name(f".{out.name}.tmp"))
    book.save(tmp)
    tmp.replace(out)
    return out


# --- reading ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Problem:
    sheet: str
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = [_("sheet {sheet}").format(sheet=self.sheet)] + (
            [_("row {row}").format(row=self.row)] if self.row else []) + (
            [_("column {column}").format(column=self.column)] if self.column else [])
        return f"{_(', ').join(where)}: {self.message}"


@dataclass
class Row:
    sheet: str
    number: int
    values: dict[str, Any]
    types: dict[str, str]
    letters: dict[str, str]

    def at(self, key: str, layout: Layout) -> str:
        return f"{self.letters[key]} ({layout.column(key).header})"


@dataclass
class WorkbookData:
    meta: dict[str, str]
    rows: dict[str, list[Row]] = field(default_factory=dict)
    #: the seal key the workbook was checked with (its rows are checked with it too)
    key: bytes = b""


def _open(path: Path) -> Workbook:
    check_workbook_size(path)
    try:
        return load_workbook(path, data_only=False)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not xlsx
        raise WorkbookError(_("not an Excel workbook (.xlsx) kizuna can read: {kind}: "
                            "{exc}").format(kind=type(exc).__name__, exc=shorten(str(exc), 200)), path=path) from None


def check_workbook_size(path: Path) -> None:
    """Refuse, before openpyxl builds anything, a workbook over the limits of
    :mod:`kizuna.catalog.limits`: the file's size, its size once unzipped (from the zip's own
    directory; Python's zip reader never returns more than it declares), and each sheet's rows,
    columns, merged ranges and cell lengths, read in one streaming pass that creates no cells
    (openpyxl's full load would make a cell for every row up to the last one)."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise WorkbookError(_("cannot read the workbook: {value}").format(value=exc.strerror or type(exc).__name__), path=path) from None
    if size > MAX_WORKBOOK_BYTES:
        raise WorkbookError(_("the file is {size:,} bytes, over the limit of {MAX_WORKBOOK_BYTES:,}").format(size=size, MAX_WORKBOOK_BYTES=MAX_WORKBOOK_BYTES), path=path)
    try:
        with zipfile.ZipFile(path) as archive:
            unzipped = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise WorkbookError(_("not an Excel workbook (.xlsx) kizuna can read: {exc}").format(exc=shorten(str(exc), 200)),
                            path=path) from None
    if unzipped > MAX_WORKBOOK_UNZIPPED_BYTES:
        raise WorkbookError(_("the workbook holds {unzipped:,} bytes once unzipped, over the limit of "
                            "{MAX_WORKBOOK_UNZIPPED_BYTES:,}; a kizuna workbook is far smaller "
                            "(is there a huge cell or an image in it?)").format(unzipped=unzipped, MAX_WORKBOOK_UNZIPPED_BYTES=MAX_WORKBOOK_UNZIPPED_BYTES), path=path)
    try:
        book = load_workbook(path, read_only=True, data_only=False)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for a file that is not xlsx
        raise WorkbookError(_("not an Excel workbook (.xlsx) kizuna can read: {kind}: "
                            "{exc}").format(kind=type(exc).__name__, exc=shorten(str(exc), 200)), path=path) from None
    try:
        for sheet in book.worksheets:
            _scan_sheet(sheet, path)
    finally:
        book.close()


def _scan_sheet(sheet: Any, path: Path) -> None:
    """One streaming pass over a read-only sheet (see :func:`check_workbook_size`)."""
    def refuse(where: str, message: str) -> WorkbookError:
        return WorkbookError(_("{message}; nothing was applied").format(message=message), path=path, location=_("sheet {title}, {where}").format(title=sheet.title, where=where))

    with sheet._get_source() as source:  # openpyxl's own streaming parser, without the padding rows
        parser = WorkSheetParser(source, sheet._shared_strings, data_only=False)
        try:
            for number, cells in parser.parse():
                if number > MAX_WORKBOOK_ROWS:
                    raise refuse(_("row {number:,}").format(number=number), _("the sheet goes down to row {number:,}, over the limit of "
                                 "{MAX_WORKBOOK_ROWS:,} rows; delete the rows below the table").format(number=number, MAX_WORKBOOK_ROWS=MAX_WORKBOOK_ROWS))
                for cell in cells:
                    column = cell.get("column") or 0
                    if column > MAX_WORKBOOK_COLUMNS:
                        raise refuse(_("row {number:,}").format(number=number), _("a cell in column {column:,} is over the limit of "
                                     "{MAX_WORKBOOK_COLUMNS} columns; delete the columns right of the table").format(column=column, MAX_WORKBOOK_COLUMNS=MAX_WORKBOOK_COLUMNS))
                    value = cell.get("value")
                    if isinstance(value, str) and len(value) > MAX_CELL_CHARS:
                        raise refuse(_("cell {get_column_letter}{number}").format(get_column_letter=get_column_letter(column), number=number),
                                     check_text_length(value, what=N_("the cell"), limit=MAX_CELL_CHARS) or "")
        except WorkbookError:
            raise
        except Exception as exc:  # noqa: BLE001 - malformed sheet XML
            raise refuse("-", _("the sheet cannot be read: {kind}: {exc}").format(kind=type(exc).__name__, exc=shorten(str(exc), 200))) from None
        for merged in getattr(parser.merged_cells, "mergeCell", None) or ():
            bounds = range_boundaries(merged.ref)
            if bounds[2] > MAX_WORKBOOK_COLUMNS or bounds[3] > MAX_WORKBOOK_ROWS:
                raise refuse(_("merged cells {ref}").format(ref=merged.ref), _("the merged range reaches past the limits of "
                             "{MAX_WORKBOOK_ROWS:,} rows and {MAX_WORKBOOK_COLUMNS} columns; unmerge it").format(MAX_WORKBOOK_ROWS=MAX_WORKBOOK_ROWS, MAX_WORKBOOK_COLUMNS=MAX_WORKBOOK_COLUMNS))


def read_meta(book: Workbook, path: Path, key: bytes | None = None) -> dict[str, str]:
    if META_SHEET not in book.sheetnames:
        raise WorkbookError(_("not a kizuna workbook: the hidden sheet {META_SHEET} is missing "
                            "(make one with 'kizuna author workbook')").format(META_SHEET=META_SHEET), path=path)
    sheet = book[META_SHEET]
    meta = {str(r[0]): "" if r[1] is None else str(r[1])
            for r in sheet.iter_rows(min_row=1, max_col=2, values_only=True) if r[0] is not None}
    if meta.get("format") != FORMAT or meta.get("version") != VERSION:
        raise WorkbookError(_("not a kizuna workbook of version {VERSION} (sheet {META_SHEET} says "
                            "{get} {get2})").format(VERSION=VERSION, META_SHEET=META_SHEET, get=shorten(meta.get('format')), get2=shorten(meta.get('version'))), path=path)
    if key is None:
        raise WorkbookError(_("this workspace has no seal key, so the workbook's seals cannot be checked: "
                            "it was made in another copy of the workspace; copy that copy's "
                            ".kizuna/seal.key here (or set {KEY_ENV}), or make a new workbook").format(KEY_ENV=KEY_ENV), path=path)
    if not same(meta.get("seal", ""), meta_seal(meta, key=key)):
        raise WorkbookError(_("the hidden sheet {META_SHEET} was edited, or the workbook was made with another "
                            "seal key (another copy of the workspace: copy its .kizuna/seal.key here or set "
                            "{KEY_ENV}); make a new workbook").format(META_SHEET=META_SHEET, KEY_ENV=KEY_ENV), path=path, location=_("sheet {META_SHEET}").format(META_SHEET=META_SHEET))
    return meta


def _header_map(sheet: Worksheet, layout: Layout, problems: list[Problem]) -> dict[str, int] | None:
    found: dict[str, int] = {}
    for cell in next(sheet.iter_rows(min_row=1, max_row=1), ()):
        if isinstance(cell.value, str):
            found.setdefault(cell.value.strip(), cell.column)
    cols, missing = {}, []
    for col in layout.columns:
        if col.header in found:
            cols[col.key] = found[col.header]
        else:
            missing.append(col)
    for col in missing:
        problems.append(Problem(layout.sheet, 1, None, _("column '{header}' is missing from the header row").format(header=col.header)))
    return None if missing else cols


def _cell_problem(value: Any, data_type: str, *, editable: bool) -> str | None:
    if data_type == "f":
        return _("holds a formula; only text is taken (a formula is never run or imported)")
    if data_type == "e":
        return (_("holds the Excel error value {value}, not text; "
                "type the text again (書式: 文字列)").format(value=shorten(str(value), 20)))
    if isinstance(value, str) and len(value) > MAX_CELL_CHARS:
        return check_text_length(value, what=N_("the cell"), limit=MAX_CELL_CHARS)
    if value is None or isinstance(value, str):
        return None
    if isinstance(value, bool):
        kind = N_("a true/false value")
    elif isinstance(value, (int, float)):
        kind = N_("a number")
    else:
        kind = N_("a date or time")
    hint = N_("; format the cell as text (書式: 文字列) and type it again") if editable else ""
    return _("holds {kind} ({value}), not text{hint}").format(kind=_(kind), value=shorten(value), hint=_(hint) if hint else "")


def read_sheet(sheet: Worksheet, layout: Layout, problems: list[Problem]) -> list[Row]:
    """The non-empty data rows of one sheet, with cell-type problems recorded."""
    for merged in sheet.merged_cells.ranges:
        problems.append(Problem(layout.sheet, merged.min_row, get_column_letter(merged.min_col),
                                _("merged cells {coord}; unmerge them").format(coord=merged.coord)))
    cols = _header_map(sheet, layout, problems)
    if cols is None:
        return []
    letters = {k: get_column_letter(j) for k, j in cols.items()}
    rows = []
    for number in range(2, sheet.max_row + 1):
        values, types = {}, {}
        for key, j in cols.items():
            cell = sheet.cell(row=number, column=j)
            values[key], types[key] = cell.value, cell.data_type
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values.values()):
            continue
        row = Row(layout.sheet, number, values, types, letters)
        for col in layout.columns:
            bad = _cell_problem(values[col.key], types[col.key], editable=col.editable)
            if bad:
                problems.append(Problem(layout.sheet, number, row.at(col.key, layout), bad))
        rows.append(row)
    return rows


def read_workbook(path: Path, key: bytes | None = None) -> WorkbookData:
    """Open ``path`` and read every data sheet its settings name; raises on a broken workbook, or
    when its settings are not sealed with ``key`` (the workspace's seal key)."""
    book = _open(path)
    meta = read_meta(book, path, key)
    problems: list[Problem] = []
    data = WorkbookData(meta, key=key or b"")
    for name in filter(None, meta.get("sheets", "").split(",")):
        if name not in LAYOUTS:
            raise WorkbookError(_("unknown sheet {name} in the workbook settings").format(name=shorten(name)), path=path)
        if name not in book.sheetnames:
            problems.append(Problem(name, None, None, _("the sheet is missing (was it deleted or renamed?)")))
            continue
        data.rows[name] = read_sheet(book[name], LAYOUTS[name], problems)
    if problems:
        raise broken(path, problems)
    return data


def broken(path: Path | str, problems: list[Problem]) -> WorkbookError:
    shown = [str(p) for p in problems[:MAX_PROBLEMS_SHOWN]]
    if len(problems) > MAX_PROBLEMS_SHOWN:
        shown.append(_("... and {count} more").format(count=len(problems) - MAX_PROBLEMS_SHOWN))
    return WorkbookError(_("the workbook cannot be imported; nothing was applied:\n  ") + "\n  ".join(shown),
                         path=path)


# --- rows to proposals (pure) -------------------------------------------------------------------
def _s(value: Any) -> str:
    return "" if value is None else str(value)


@dataclass
class Changes:
    proposals: list[Proposal] = field(default_factory=list)
    decisions: list[DecisionRequest] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    #: the workspace's seal key, which the rows' seals are checked with
    key: bytes = b""

    def names_ok(self, row: Row, layout: Layout, target: Target) -> bool:
        """True when the target's id, town code, locale and stage fit their grammar (they become
        file names); else the problem is recorded against the row."""
        bad = target_problem(target)
        if bad:
            self.problems.append(Problem(layout.sheet, row.number, None, _("{bad}; nothing was applied").format(bad=bad)))
        return bad is None


_OOXML_CONTROL_RE = re.compile(r"_x(00[01][0-9A-Fa-f]|007[Ff]|008[0-9A-Fa-f]|009[0-9A-Fa-f])_")


def decode_control_escapes(text: str) -> str:
    """Excel writes a control character in a cell as ``_xHHHH_`` (``_x000D_`` for CR), and
    openpyxl hands the escape over as it is; turn those escapes back into the characters."""
    return _OOXML_CONTROL_RE.sub(lambda m: chr(int(m.group(1), 16)), text)


def _edited(row: Row, layout: Layout, changes: Changes, where: str) -> str:
    """The edited text of a row; a text cell left as generated (equal to the locked base cell)
    is taken as it is, so cleaning never turns an untouched row into an edit."""
    raw = _s(row.values["text"])
    if normalise_text(raw) == normalise_text(_s(row.values.get("base"))):
        return normalise_text(raw)
    text, done = clean_text(decode_control_escapes(raw))
    if done:
        changes.notes.append(_("{where}, column {at}: {done}").format(where=where, at=row.at('text', layout), done='; '.join(done)))
    return normalise_text(text)


def _identity_ok(row: Row, layout: Layout, changes: Changes) -> bool:
    """True when the locked cells are as generated (else the problems are recorded)."""
    bad = seal_mismatches(layout, row.values, _s(row.values["seal"]), key=changes.key)
    if bad is None:
        changes.problems.append(Problem(layout.sheet, row.number, row.at("seal", layout),
                                        _("the hidden seal column was edited; make a new workbook")))
        return False
    for col in bad:
        changes.problems.append(Problem(layout.sheet, row.number, row.at(col.key, layout),
                                        _("a locked cell was edited; restore it (or make a new workbook) "
                                        "and write changes in the editable columns only")))
    return not bad


def _clean(row: Row, layout: Layout, key: str, changes: Changes, where: str) -> str:
    """The text of an editable cell: Excel's ``_xHHHH_`` escapes decoded, control characters
    removed (with a note), line ends and spaces normalised as the hashes do."""
    text, removed = strip_controls(decode_control_escapes(_s(row.values.get(key))))
    if removed:
        changes.notes.append(_("{where}, column {at}: removed control characters "
                             "{removed}").format(where=where, at=row.at(key, layout), removed=', '.join(removed)))
    return normalise_text(text)


def _decision(row: Row, layout: Layout, target: Target, base: str | None, holder: str | None,
              where: str, changes: Changes) -> None:
    label = _s(row.values.get("decision")).strip()
    comment = _clean(row, layout, "comment", changes, where)
    if label and label not in DECISION_LABELS:
        changes.problems.append(Problem(layout.sheet, row.number, row.at("decision", layout),
                                        _("'{label}' is not a decision; choose 承認, 修正依頼 or コメント").format(label=label)))
        return
    if label or comment:
        changes.decisions.append(DecisionRequest(target, base, DECISION_LABELS.get(label, "comment"),
                                                 comment, holder, where))


def _row_place(file: str, layout: Layout, row: Row) -> str:
    """``en.xlsx: sheet 翻訳, row 2`` — where a change came from, in the user's language."""
    return _("{file}: sheet {sheet}, row {row}").format(file=file, sheet=layout.sheet, row=row.number)


def _message_changes(row: Row, layout: Layout, holder: str | None, file: str, changes: Changes) -> None:
    where = _row_place(file, layout, row)
    if not _s(row.values["seal"]) and not _s(row.values["base_hash"]) and not _s(row.values["base"]):
        changes.problems.append(Problem(layout.sheet, row.number, None, _("rows cannot be added to this "
                                        "sheet (a new message starts in a notebook)")))
        return
    if not _identity_ok(row, layout, changes):
        return
    target = Target("message", _s(row.values["id"]), _s(row.values["locale"]))
    if not changes.names_ok(row, layout, target):
        return
    base = _s(row.values["base_hash"]) or None
    text = _edited(row, layout, changes, where)
    if base is None and not text:
        pass  # an untranslated row left empty
    else:
        source_hash = _s(row.values.get("source_hash")) or None
        changes.proposals.append(Proposal(target, base, text, where, stage=_s(row.values["stage"]),
                                          source_hash=source_hash))
    _decision(row, layout, target, base, holder, where, changes)


def _new_block(row: Row, layout: Layout, town: str, locales: Iterable[str], where: str,
               changes: Changes) -> Target | None:
    problems_before = len(changes.problems)
    for key in ("label", "base", "base_hash"):
        if _s(row.values[key]).strip():
            changes.problems.append(Problem(layout.sheet, row.number, row.at(key, layout),
                                            _("a new row leaves this column empty")))
    if _s(row.values["town"]).strip() not in ("", town):
        changes.problems.append(Problem(layout.sheet, row.number, row.at("town", layout),
                                        _("this workbook is for town {town}").format(town=town)))
    try:
        stage = str(Stage.parse(_s(row.values["stage"])))
    except StageError as exc:
        changes.problems.append(Problem(layout.sheet, row.number, row.at("stage", layout), exc.message))
        stage = ""
    locale = _s(row.values["locale"]).strip()
    if locale not in locales:
        changes.problems.append(Problem(layout.sheet, row.number, row.at("locale", layout),
                                        _("'{locale}' is not one of the town's locales ({locales})").format(locale=locale, locales=', '.join(locales))))
    if len(changes.problems) > problems_before:
        return None
    target = Target("block", town, locale, stage)
    return target if changes.names_ok(row, layout, target) else None


def _block_changes(row: Row, layout: Layout, meta: Mapping[str, str], town_locales: Iterable[str],
                   holder: str | None, file: str, changes: Changes) -> None:
    where = _row_place(file, layout, row)
    if not _s(row.values["seal"]) and not _s(row.values["base_hash"]):
        if meta.get("kind") != "town":
            changes.problems.append(Problem(layout.sheet, row.number, None,
                                            _("rows cannot be added to this sheet")))
            return
        target = _new_block(row, layout, meta["town"], town_locales, where, changes)
        base = None
    else:
        if not _identity_ok(row, layout, changes):
            return
        target = Target("block", _s(row.values["town"]), _s(row.values["locale"]), _s(row.values["stage"]))
        if not changes.names_ok(row, layout, target):
            return
        base = _s(row.values["base_hash"])
        if meta.get("kind") == "town" and target.key != meta.get("town"):
            changes.problems.append(Problem(layout.sheet, row.number, row.at("town", layout),
                                            _("this workbook is for town {get}").format(get=meta.get('town'))))
            return
    if target is None:
        return
    text = _edited(row, layout, changes, where)
    # Emptying a block's cell deletes the block in the town's own workbook; anywhere else an
    # emptied cell is proposed as an empty text, which the merge refuses.
    changes.proposals.append(Proposal(target, base, text or (None if meta.get("kind") == "town" else ""), where))
    _decision(row, layout, target, base, holder, where, changes)


def _profile_changes(row: Row, layout: Layout, town: str, file: str, changes: Changes) -> None:
    where = _row_place(file, layout, row)
    if not _identity_ok(row, layout, changes):
        return
    target = Target("profile", town, None, _s(row.values["field"]))
    if not changes.names_ok(row, layout, target):
        return
    text = _edited(row, layout, changes, where)
    base = _s(row.values["base_hash"]) or None
    changes.proposals.append(Proposal(target, base, text or None, where))


def workbook_changes(data: WorkbookData, file: str, *, town_locales: Iterable[str] = ()) -> Changes:
    """Proposals and decisions of a read workbook; broken rows raise ``WorkbookError``."""
    meta = data.meta
    holder = meta.get("holder") or None
    changes = Changes(key=data.key)
    seen: dict[tuple[str, Target], int] = {}
    for sheet, rows in data.rows.items():
        layout = LAYOUTS[sheet]
        for row in rows:
            before = len(changes.proposals), len(changes.decisions)
            if layout in (REVIEW, TRANSLATION):
                _message_changes(row, layout, holder, file, changes)
            elif layout is BLOCKS:
                _block_changes(row, layout, meta, town_locales, holder, file, changes)
            else:
                _profile_changes(row, layout, meta.get("town", ""), file, changes)
            added = changes.proposals[before[0]:] or []
            targets = {p.target for p in added} | {d.target for d in changes.decisions[before[1]:]}
            for target in targets:
                key = (sheet, target)
                if key in seen:
                    changes.problems.append(Problem(sheet, row.number, None,
                                                    _("the same item as row {seen} ({describe})").format(seen=seen[key], describe=target.describe())))
                seen.setdefault(key, row.number)
    if changes.problems:
        raise broken(file, changes.problems)
    return changes


def import_workbook(ws: Workspace, path: Path, *, now: datetime | None = None) -> ImportReport:
    """Check ``path`` completely (its seals with the workspace's seal key), then merge its edits and
    decisions into ``ws``, holding the workspace lock."""
    with workspace_lock(ws.root, "author import"):
        data = read_workbook(path, read_key(ws.root))
        return _import_checked(ws, path, data, now=now)


def _import_checked(ws: Workspace, path: Path, data: WorkbookData, *, now: datetime | None) -> ImportReport:
    from kizuna.authoring.apply import apply_decisions, apply_proposals, seen_hashes  # noqa: PLC0415
    from kizuna.authoring.apply import preflight  # noqa: PLC0415

    town = data.meta.get("town") or ""
    locales = ws.towns[town].locales if town in ws.towns else ws.config.locales
    holder = data.meta.get("holder") or None
    if data.meta.get("kind") == "town" and holder:
        why = town_holder_problem(ws, holder, town)
        if why:
            raise WorkbookError(_("{why}; nothing was applied").format(why=why), path=path, location=_("sheet {META_SHEET}").format(META_SHEET=META_SHEET))
    try:
        changes = workbook_changes(data, path.name, town_locales=locales)
    except WorkbookError as exc:
        raise WorkbookError(exc.message, path=path) from None
    preflight(ws, log=bool(changes.decisions))  # suggestions, links and the log: before any write
    report = ImportReport(path.name, notes=changes.notes)
    apply_proposals(ws, changes.proposals, report, by=holder, now=now)
    apply_decisions(ws, changes.decisions, seen_hashes(changes.proposals), report, now=now)
    return report


__all__ = ["WorkbookError", "write_workbook", "read_workbook", "workbook_changes", "import_workbook"]
