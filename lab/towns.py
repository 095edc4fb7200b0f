"""Town profiles as notebooks in ``kizuna lab``: ``notebooks/towns/<code>.ipynb``, one per town.

A town editor edits the town's profile where writers edit messages, and saving writes
``towns/<code>.yaml`` straight back. The notebook holds:

* three Markdown tables, one cell each: 連絡先 (contacts: ``desk``, ``phone``, ``hours``, ``url``),
  サービス (services: one row per service; ``提供なし`` in the source column for a service the town
  does not offer) and 配信の設定 (``send_time``, ``checkup_months``). Contacts and services have a
  column per locale of the town: the source locale is the text, another locale's cell is its
  translation (empty: the source text is sent);
* one Markdown cell per local block and locale, first line ``<!-- B8d ja -->`` (stage, locale;
  invisible when rendered), the block's text below; above it a read-only note: the stage, how the
  block reads under the town's national message of that stage, and the town checks' findings there.

Why tables and not YAML in a raw cell: a table has one rule (``|`` between cells), is shown as a
table when rendered, and nothing in a cell changes type: in YAML ``10:30`` becomes the number 630,
``no`` becomes ``false``, and a ``: `` inside a Japanese sentence breaks the file.

Every unit (``contacts.desk@ja``, ``services.consultation@en``, ``blocks.B8d@ja``, ``send_time``,
``checkup_months``) is recorded with its hash when the notebook is made (sealed with the
workspace's seal key). Saving is a three-way merge per unit (:func:`kizuna.authoring.merge.three_way`)
against the file as it is on disk: a unit only the editor changed is applied, one someone else
changed meanwhile too is a conflict, and then the whole save is refused (nothing written; the
editor's edits stay in the browser tab, the other change stays in the file).

The notebook is a Japanese document (its tables, notes and help); a refused save is an error
message, in the language of kizuna's messages (:mod:`kizuna.catalog.i18n`: Japanese for a
Japanese user, ``KIZUNA_LANG=en`` gives English).
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field, replace
from typing import Any, Iterable, Mapping, Union

import nbformat
from nbformat import NotebookNode

from kizuna.authoring.merge import Verdict, clean_text, three_way
from kizuna.authoring.notebooks import INFO_TAG, METADATA_KEY
from kizuna.authoring.targets import SERVICE_KEY_RE
from kizuna.catalog.errors import KizunaError, StageError
from kizuna.catalog.fields import LOCALE_RE
from kizuna.catalog.hashing import normalise_text
from kizuna.catalog.i18n import N_, _
from kizuna.catalog.limits import MAX_TEXT_CHARS, shorten
from kizuna.catalog.sealkey import mac, same
from kizuna.catalog.stages import Stage
from kizuna.catalog.templating import render_for_town, stage_context
from kizuna.catalog.towns import CONTACT_FIELDS, TIME_RE, Town
from kizuna.catalog.workspace import Workspace

FOLDER = "notebooks/towns"
NAME = re.compile(r"(?P<code>[0-9]{6})\.ipynb", re.ASCII)
VERSION = 1
KIND = "town"
NOT_OFFERED = "提供なし"
KEY_HEADER = "項目"
VALUE_HEADER = "値"
SETTINGS = ("send_time", "checkup_months")
MAX_PROBLEMS_SHOWN = 20
#: town check rules whose findings a town notebook shows (the per-message text rules are the writers')
TOWN_RULES = ("town", "coverage", "length/channel", "template")

PART_TITLES = {"contacts": "連絡先", "services": "サービス", "settings": "配信の設定"}
#: the tables and sections as errors name them (translated)
TABLE_NAMES = {"contacts": N_("the contacts table"), "services": N_("the services table"),
               "settings": N_("the delivery settings table")}
SECTION_NAMES = {"contacts": N_("contacts"), "services": N_("services"), "settings": N_("delivery settings"),
                 "blocks": N_("local block")}
CONTACT_LABELS = {"desk": "窓口", "phone": "電話番号", "hours": "受付時間", "url": "ウェブサイト"}
SETTING_LABELS = {"send_time": "配信時刻（例: 08:00）", "checkup_months": "乳児健診の月齢（例: 4, 10）"}

#: first line of a block cell: ``<!-- B8d ja -->`` (the locale may be left out: the source locale)
BLOCK_HEADER = re.compile(r"\s*<!--\s*(?P<stage>[^\s>]+)(?:\s+(?P<locale>[^\s>]+))?\s*-->\s*")
_PIPE = re.compile(r"(?<!\\)\|")
_SEPARATOR = re.compile(r"\|?(\s*:?-+:?\s*\|)*\s*:?-+:?\s*\|?")
_MONTH_SPLIT = re.compile(r"[\s,、，]+")

Value = Union[str, bool]  # text, or False: a service the town does not offer


class TownNotebookError(KizunaError):
    """A town notebook that cannot be saved: what is wrong, cell by cell and field by field."""


class TownNotebookNotFound(KizunaError):
    """A path under notebooks/towns/ that is not one of the workspace's towns."""


# --- names -------------------------------------------------------------------------------------------
def parse_town_view(ws: Workspace, name: str) -> str:
    """The municipality code a file name under ``notebooks/towns/`` stands for; refused unless it
    is ``<six digits>.ipynb`` and the workspace has that town."""
    found = NAME.fullmatch(name)
    if not found or found["code"] not in ws.towns:
        raise TownNotebookNotFound(_("'{name}' is not a town notebook of this workspace; they are named "
                                     "<code>.ipynb, one per town: {codes}").format(
                                         name=shorten(name, 80), codes=", ".join(sorted(ws.towns)) or _("none")),
                                   path=FOLDER)
    return found["code"]


def view_path(code: str) -> str:
    return f"{FOLDER}/{code}.ipynb"


# --- units ----------------------------------------------------------------------------------------------
def _q(value: str, limit: int) -> str:
    """``value`` as quoted in a message (clipped to ``limit`` characters)."""
    return value if len(value) <= limit else value[:limit] + "…"


def unit_name(section: str, key: str, locale: str | None = None) -> str:
    return f"{section}.{key}@{locale}" if locale else section if not key else f"{section}.{key}"


def _months(values: Iterable[int]) -> str:
    return ", ".join(str(v) for v in values)


def town_units(town: Town, source: str) -> dict[str, Value]:
    """Every editable unit of ``town`` with its value, in the file's order."""
    units: dict[str, Value] = {}
    for section in ("contacts", "services"):
        for key, text in getattr(town, section).items():
            units[unit_name(section, key, source)] = text
            for loc, other in town.localized.get(f"{section}.{key}", {}).items():
                units[unit_name(section, key, loc)] = other
    for key in town.not_offered:
        units[unit_name("services", key, source)] = False
    for stage, by_locale in town.blocks.items():
        for loc, text in by_locale.items():
            units[unit_name("blocks", str(stage), loc)] = text
    units["send_time"] = town.send_time
    if town.checkup_months:
        units["checkup_months"] = _months(town.checkup_months)
    return units


def digest(unit: str, value: Value | None) -> str | None:
    if value is None:
        return None
    payload = f"kizuna-town-unit-v1\n{unit}\n{json.dumps(value, ensure_ascii=False)}"
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]


def record_of(units: Mapping[str, Value]) -> dict[str, str]:
    return {u: digest(u, v) or "" for u, v in units.items()}


def seal(key: bytes, code: str, record: Mapping[str, str]) -> str:
    return mac(key, "kizuna-town-notebook-v1", code, *(f"{u}={record[u]}" for u in sorted(record)))


def describe_unit(unit: str) -> str:
    """``連絡先 phone（ja）`` (``contacts phone (ja)``) for ``contacts.phone@ja``."""
    name, _at, locale = unit.partition("@")
    section, _dot, key = name.partition(".")
    title = _(SECTION_NAMES.get(section, SECTION_NAMES["settings"]))
    what = f"{title} {key}" if key else f"{title} {section}"
    return _("{what} ({locale})").format(what=what, locale=locale) if locale else what


# --- building -------------------------------------------------------------------------------------------
def _cell_text(value: Value | None) -> str:
    if value is False:
        return NOT_OFFERED
    return "" if value is None else str(value).replace("|", "\\|").replace("\n", "<br>")


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def table_locales(ws: Workspace, town: Town) -> list[str]:
    source = ws.config.source_locale
    extra = [loc for per in town.localized.values() for loc in per]
    return list(dict.fromkeys([source, *town.locales, *extra]))


def _section_table(town: Town, section: str, keys: list[str], locales: list[str], source: str) -> str:
    rows = []
    for key in keys:
        src: Value | None = False if section == "services" and key in town.not_offered else getattr(town, section).get(key)
        others = town.localized.get(f"{section}.{key}", {})
        rows.append([key] + [_cell_text(src if loc == source else others.get(loc)) for loc in locales])
    return _table([KEY_HEADER, *locales], rows)


PART_HELP = {
    "contacts": "項目は " + "、".join(f"`{k}`（{v}）" for k, v in CONTACT_LABELS.items())
                + "。言語の列が空なら、その言語でも原文を送ります。行を消す（または原文を空にする）とその項目を削除します。",
    "services": "1行に1つのサービスです。項目名は半角の英小文字・数字・`_`（例: `postpartum_care`）。"
                f"町で行っていないサービスは原文の列に「{NOT_OFFERED}」と書きます。行を足すと追加、消すと削除です。",
    "settings": "、".join(f"`{k}`: {v}" for k, v in SETTING_LABELS.items()) + "。",
}


def _part_cell(part: str, table: str) -> NotebookNode:
    source = f"## {PART_TITLES[part]}\n\n{PART_HELP[part]}\n\n{table}"
    return nbformat.v4.new_markdown_cell(source, id=f"town_{part}", metadata={METADATA_KEY: {"part": part}})


def _info(source: str, cid: str) -> NotebookNode:
    return nbformat.v4.new_markdown_cell(source, id=cid, metadata={"editable": False, "tags": [INFO_TAG]})


def sample_rendering(ws: Workspace, town: Town, stage: Stage, locale: str, block: str) -> str:
    """How ``block`` reads under the town's national message of ``stage`` in ``locale``."""
    source = ws.config.source_locale
    sent = [m for m in ws.town_messages(town) if m.stage == stage and m.town is None]
    message = next((m for m in sent if locale in m.texts), None) or next((m for m in sent if source in m.texts), None)
    if message is None:
        return f"この時期（{stage.label_ja}）に{town.name}が送る全国のメッセージはありません。"
    text_locale = locale if locale in message.texts else source
    context = {"town": town.template_context(locale, source), "stage": stage_context(message.stage)}
    try:
        rendered = render_for_town(message.text(text_locale) or "", block, context, town=town.code,
                                   message=message.id, locale=locale)
    except KizunaError as exc:
        return f"表示できません（{exc.message}）"
    whole = "\n\n".join(x for x in (rendered.national, rendered.block) if x)
    quoted = "\n".join(f"> {line}" if line else ">" for line in whole.split("\n"))
    return f"`{message.id}` に続けて送るときの表示:\n\n{quoted}"


def _finding_line(f: Any) -> str:
    return f"- {f.level} `{f.rule}`: {f.message}"


def town_findings(ws: Workspace, town: Town) -> list[Any]:
    """The findings of the town checks about ``town`` (the rules in :data:`TOWN_RULES`)."""
    from kizuna.review.checks import run_checks  # noqa: PLC0415 - review depends on catalog only

    return [f for f in run_checks(ws, towns=[town.code], rules=list(TOWN_RULES)) if f.town == town.code and f.counts]


INTRO = """# {name}（{code}）の自治体プロフィール

`towns/{code}.yaml` の内容です。**保存（Ctrl+S）すると、そのまま `towns/{code}.yaml` に書き込まれます。**

- 連絡先・サービス・配信の設定は、下の表のセルをダブルクリックして直します。表の区切りは `|` です（文字としての `|` は `\\|`、改行は `<br>`）。
- 地域ブロック（「{name}より」の文）は、1つのセルが1つの時期と言語です。1行目の `<!-- B8d ja -->` は時期と言語なので消さないでください。
  新しいブロックは、Markdown セルを追加して1行目に `<!-- 時期 言語 -->`（例: `<!-- B2m ja -->`）、2行目から本文を書きます。ブロックを消すには、そのセルを削除します。
- ブロックの上の見出しセル（表示例・指摘）は参照用で、編集できません。保存したあと「ファイル ▸ ディスクから再読み込み」で最新になります。
- 間違いがあると保存されず、どのセルのどの項目かが表示されます（ファイルは変わりません）。
  開いたあとでほかの人が同じ項目を変えていた場合も保存されません。編集はこのタブに残っています。
"""


def build_town_notebook(ws: Workspace, town: Town, *, key: bytes, generated_at: str = "",
                        findings: list[Any] | None = None) -> NotebookNode:
    """The notebook of one town profile as the workspace is now (the same workspace gives the same
    notebook), its record of units sealed with the workspace's seal ``key``."""
    source = ws.config.source_locale
    locales = table_locales(ws, town)
    nb = nbformat.v4.new_notebook()
    nb.cells.append(_info(INTRO.format(name=town.name, code=town.code), "kizuna_intro"))
    contact_keys = list(dict.fromkeys([*town.contacts, *CONTACT_FIELDS]))
    nb.cells.append(_part_cell("contacts", _section_table(town, "contacts", contact_keys, locales, source)))
    nb.cells.append(_part_cell("services", _section_table(
        town, "services", list(dict.fromkeys([*town.services, *town.not_offered])), locales, source)))
    settings = {"send_time": town.send_time, "checkup_months": _months(town.checkup_months)}
    nb.cells.append(_part_cell("settings", _table([KEY_HEADER, VALUE_HEADER],
                                                  [[k, _cell_text(settings[k])] for k in SETTINGS])))
    found = list(findings or [])
    shown: set[int] = set()
    block_cells: list[NotebookNode] = []
    for stage, by_locale in town.blocks.items():
        for loc, text in by_locale.items():
            here = [i for i, f in enumerate(found) if f.stage and str(f.stage) == str(stage)
                    and (f.locale is None or f.locale == loc)]
            shown.update(here)
            note = [f"#### {stage} {stage.label_ja}（{loc}）", sample_rendering(ws, town, stage, loc, text),
                    "\n".join(_finding_line(found[i]) for i in here) or "指摘はありません。"]
            block_cells.append(_info("\n\n".join(note), f"info_{stage}_{loc}"))
            block_cells.append(nbformat.v4.new_markdown_cell(f"<!-- {stage} {loc} -->\n{text}", id=f"block_{stage}_{loc}"))
    general = [f for i, f in enumerate(found) if i not in shown and f.level != "info"]
    infos = sum(1 for i, f in enumerate(found) if i not in shown and f.level == "info")
    lines = [_finding_line(f) for f in general[:MAX_PROBLEMS_SHOWN]]
    if len(general) > MAX_PROBLEMS_SHOWN:
        lines.append(f"- ほか {len(general) - MAX_PROBLEMS_SHOWN} 件")
    if infos:
        lines.append(f"- 参考（info）{infos} 件: `kizuna check --town {town.code}` で見られます")
    nb.cells.append(_info("## 地域ブロック\n\n### 町全体の指摘\n\n" + ("\n".join(lines) or "指摘はありません。"),
                          "kizuna_town_findings"))
    nb.cells.extend(block_cells)
    record = record_of(town_units(town, source))
    nb.metadata[METADATA_KEY] = {"version": VERSION, "kind": KIND, "code": town.code, "generated_at": generated_at,
                                 "units": record, "seal": seal(key, town.code, record)}
    # no kernel: a town notebook holds no code; these two keep JupyterLab from marking it unsaved
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    return nb


# --- reading an edited notebook -------------------------------------------------------------------------
@dataclass
class Edited:
    """What a saved notebook says: every unit's value, where each came from, and its base record."""

    record: dict[str, str]
    units: dict[str, Value] = field(default_factory=dict)
    where: dict[str, str] = field(default_factory=dict)


def _cell_label(index: int, part: str | None = None) -> str:
    if part:
        return _("cell {number} ({table})").format(number=index + 1, table=_(TABLE_NAMES[part]))
    return _("cell {number}").format(number=index + 1)


def _split(line: str) -> list[str]:
    text = line.strip()
    text = text[1:] if text.startswith("|") else text
    text = text[:-1] if text.endswith("|") and not text.endswith("\\|") else text
    return [c.strip().replace("\\|", "|").replace("<br>", "\n") for c in _PIPE.split(text)]


def parse_table(source: str, label: str, problems: list[str]) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header and rows (with their line numbers) of the one Markdown table in ``source``."""
    lines = [(n, line) for n, line in enumerate(str(source).split("\n"), 1) if line.strip().startswith("|")]
    if len(lines) < 2 or not _SEPARATOR.fullmatch(lines[1][1].strip()):
        problems.append(_("{cell}: no table found (make the first line the header and the second |---|---|)")
                        .format(cell=label))
        return [], []
    header = _split(lines[0][1])
    rows = []
    for n, line in lines[2:]:
        cells = _split(line)
        if len(cells) != len(header):
            problems.append(_("{cell} line {line}: {count} columns, but the header has {header} "
                              "(write a | in the text as \\|)").format(cell=label, line=n, count=len(cells),
                                                                      header=len(header)))
            continue
        rows.append((n, cells))
    return header, rows


def _clean(value: str, where: str, problems: list[str]) -> str:
    text, _changed = clean_text(value)
    text = normalise_text(text)
    if len(text) > MAX_TEXT_CHARS:
        problems.append(_("{where}: {length} characters, over the limit of {limit}").format(
            where=where, length=f"{len(text):,}", limit=f"{MAX_TEXT_CHARS:,}"))
    return text


def _read_section(part: str, source: str, index: int, ws: Workspace, out: Edited, problems: list[str]) -> None:
    label = _cell_label(index, part)
    header, rows = parse_table(source, label, problems)
    if not header:
        return
    src_locale = ws.config.source_locale
    locales = header[1:]
    for loc in locales:
        if not LOCALE_RE.match(loc) or loc not in ws.config.locales:
            problems.append(_("{cell} header: '{locale}' is not a language of this workspace ({locales})").format(
                cell=label, locale=_q(loc, 20), locales=", ".join(ws.config.locales)))
            return
    if src_locale not in locales or len(set(locales)) != len(locales):
        problems.append(_("{cell} header: give each language's column once, and always the source language "
                          "({source})").format(cell=label, source=src_locale))
        return
    seen: set[str] = set()
    for n, cells in rows:
        key, values = cells[0], dict(zip(locales, cells[1:]))
        where = _("{cell} line {line} ({key})").format(cell=label, line=n, key=key or _("no key"))
        if part == "contacts" and key not in CONTACT_FIELDS:
            problems.append(_("{where}: a contact is one of {fields}").format(where=where, fields=", ".join(CONTACT_FIELDS)))
            continue
        if part == "services" and not SERVICE_KEY_RE.match(key):
            problems.append(_("{where}: write a service's name in lower-case ASCII letters, digits and _ "
                              "(e.g. postpartum_care)").format(where=where))
            continue
        if key in seen:
            problems.append(_("{where}: {key} is there twice").format(where=where, key=key))
            continue
        seen.add(key)
        texts = {loc: _clean(v, f"{where} {loc}", problems) for loc, v in values.items()}
        if not texts[src_locale]:
            if any(texts.values()):
                problems.append(_("{where}: the source text ({source}) is empty; a translation cannot stand alone")
                                .format(where=where, source=src_locale))
            continue  # an empty row: the field is deleted (or was never there)
        if part == "services" and texts[src_locale] == NOT_OFFERED:
            if any(t for loc, t in texts.items() if loc != src_locale):
                problems.append(_("{where}: a service marked '{not_offered}' takes no translation").format(
                    where=where, not_offered=NOT_OFFERED))
                continue
            out.units[unit_name(part, key, src_locale)] = False
            out.where[unit_name(part, key, src_locale)] = where
            continue
        for loc, text in texts.items():
            if text:
                out.units[unit_name(part, key, loc)] = text
                out.where[unit_name(part, key, loc)] = f"{where} {loc}"


def _read_settings(source: str, index: int, out: Edited, problems: list[str]) -> None:
    label = _cell_label(index, "settings")
    header, rows = parse_table(source, label, problems)
    if not header:
        return
    if len(header) != 2:
        problems.append(_("{cell}: make the table two columns, '{key} | {value}'").format(
            cell=label, key=KEY_HEADER, value=VALUE_HEADER))
        return
    found: dict[str, str] = {}
    for n, (key, value) in rows:
        where = _("{cell} line {line} ({key})").format(cell=label, line=n, key=key or _("no key"))
        if key not in SETTINGS or key in found:
            problems.append(_("{where}: the rows are {fields}, once each").format(where=where, fields=", ".join(SETTINGS)))
            continue
        found[key] = value
        if key == "send_time":
            if not TIME_RE.match(value):
                problems.append(_("{where}: write the send time as hours:minutes, like 08:00 ('{value}')").format(
                    where=where, value=_q(value, 20)))
                continue
        else:
            parts = [p for p in _MONTH_SPLIT.split(value) if p]
            if not all(p.isascii() and p.isdigit() and 1 <= int(p) <= 47 for p in parts):
                problems.append(_("{where}: write the checkup months as numbers from 1 to 47 separated by commas, "
                                  "like 4, 10 ('{value}')").format(where=where, value=_q(value, 20)))
                continue
            value = _months(int(p) for p in parts)
            if not value:
                continue
        out.units[key] = value
        out.where[key] = where
    if "send_time" not in found:
        problems.append(_("{cell}: the send_time row is missing (do not delete it)").format(cell=label))


def _source(cell: Mapping[str, Any]) -> str:
    """A cell's text (nbformat allows a list of lines as well as one string)."""
    source = cell.get("source", "")
    return "".join(str(line) for line in source) if isinstance(source, list) else str(source)


def _read_block(cell: Mapping[str, Any], index: int, ws: Workspace, out: Edited, problems: list[str],
                blocks_at: dict[str, int]) -> None:
    first, _newline, rest = _source(cell).partition("\n")
    header = BLOCK_HEADER.fullmatch(first)
    label = _cell_label(index)
    if header is None:
        problems.append(_("{cell}: kizuna does not read this cell. For a local block, write <!-- stage language --> "
                          "on its first line (e.g. <!-- B2m ja -->); delete the cell if it is not needed")
                        .format(cell=label))
        return
    locale = header["locale"] or ws.config.source_locale
    try:
        stage = Stage.parse(header["stage"])
    except StageError:
        problems.append(_("{cell} line 1: '{stage}' is not a stage (e.g. P12w3d is week 12 day 3 of pregnancy, "
                          "B2m is 2 months after birth)").format(cell=label, stage=_q(header["stage"], 20)))
        return
    if locale not in ws.config.locales:
        problems.append(_("{cell} line 1: '{locale}' is not a language of this workspace ({locales})").format(
            cell=label, locale=_q(locale, 20), locales=", ".join(ws.config.locales)))
        return
    unit = unit_name("blocks", str(stage), locale)
    where = _("{cell} (local block {stage} {locale})").format(cell=label, stage=stage, locale=locale)
    if unit in blocks_at:
        problems.append(_("{where}: the same stage and language as the block in {other}; merge the two").format(
            where=where, other=_cell_label(blocks_at[unit])))
        return
    blocks_at[unit] = index
    text = _clean(rest, where, problems)
    if not text:
        problems.append(_("{where}: the text is empty; to remove a block, delete its cell").format(where=where))
        return
    out.units[unit] = text
    out.where[unit] = where


def read_town_notebook(nb: Mapping[str, Any], ws: Workspace, code: str, key: bytes) -> Edited:
    """Read an edited town notebook completely; every problem found is raised at once, naming the
    cell, row and field (nothing is merged from a notebook with a problem)."""
    meta = (nb.get("metadata") or {}).get(METADATA_KEY) or {}
    record = meta.get("units") if isinstance(meta, Mapping) else None
    if (not isinstance(meta, Mapping) or meta.get("kind") != KIND or meta.get("code") != code
            or not isinstance(record, dict) or not all(isinstance(v, str) for v in record.values())
            or not isinstance(meta.get("seal"), str) or not same(meta["seal"], seal(key, code, record))):
        raise TownNotebookError(_("this notebook's record (metadata {key}) cannot be confirmed as town {code}'s; "
                                  "open {path} again and redo your edits").format(
                                      key=METADATA_KEY, code=code, path=view_path(code)), path=view_path(code))
    out = Edited(record=dict(record))
    problems: list[str] = []
    parts: dict[str, int] = {}
    blocks_at: dict[str, int] = {}
    for index, cell in enumerate(nb.get("cells") or []):
        cmeta = cell.get("metadata") or {}
        source = _source(cell)
        if INFO_TAG in (cmeta.get("tags") or []):
            continue
        part = (cmeta.get(METADATA_KEY) or {}).get("part") if isinstance(cmeta.get(METADATA_KEY), Mapping) else None
        if cell.get("cell_type") != "markdown":
            if source.strip():
                problems.append(_("{cell}: the text of a {kind} cell cannot be read; make it a Markdown cell "
                                  "(select it, press M) and write <!-- stage language --> on its first line")
                                .format(cell=_cell_label(index), kind=cell.get("cell_type")))
            continue
        if part in PART_TITLES:
            if part in parts:
                problems.append(_("{cell}: the same table as {other} once more; keep one").format(
                    cell=_cell_label(index, part), other=_cell_label(parts[part])))
                continue
            parts[part] = index
            if part == "settings":
                _read_settings(source, index, out, problems)
            else:
                _read_section(part, source, index, ws, out, problems)
            continue
        if source.strip():
            _read_block(cell, index, ws, out, problems, blocks_at)
    for part in PART_TITLES:
        if part not in parts:
            problems.append(_("the cell with {table} is missing; if you deleted it, bring it back with Edit ▸ Undo, "
                              "or open the notebook again").format(table=_(TABLE_NAMES[part])))
    if problems:
        shown = problems[:MAX_PROBLEMS_SHOWN]
        hidden = len(problems) - MAX_PROBLEMS_SHOWN
        more = [_("and {count} more").format(count=hidden)] if hidden > 0 else []
        raise TownNotebookError("\n".join(shown + more), path=view_path(code))
    return out


# --- merging and the new town ---------------------------------------------------------------------------
@dataclass
class Merge:
    units: dict[str, Value]
    applied: list[str]
    conflicts: list[tuple[str, Value | None, Value | None]]


def merge_units(edited: Edited, current: Mapping[str, Value]) -> Merge:
    """Three-way merge, unit by unit, of the edited notebook with the town as it is on disk now."""
    merged = dict(current)
    applied: list[str] = []
    conflicts: list[tuple[str, Value | None, Value | None]] = []
    for unit in dict.fromkeys([*edited.record, *edited.units]):
        base = edited.record.get(unit) or None
        mine = edited.units.get(unit)
        now = current.get(unit)
        verdict = three_way(base, digest(unit, mine), digest(unit, now))
        if verdict is Verdict.CONFLICT:
            conflicts.append((unit, mine, now))
        elif verdict is Verdict.APPLIED:
            applied.append(unit)
            if mine is None:
                merged.pop(unit, None)
            else:
                merged[unit] = mine
    return Merge(merged, applied, conflicts)


def town_with_units(town: Town, units: Mapping[str, Value], source: str) -> Town:
    """``town`` with its contacts, services, blocks and settings taken from ``units``."""
    values: dict[str, dict[str, str]] = {"contacts": {}, "services": {}}
    localized: dict[str, dict[str, str]] = {}
    not_offered: list[str] = []
    blocks: dict[Stage, dict[str, str]] = {}
    for unit, value in units.items():
        name, _at, locale = unit.partition("@")
        section, _dot, key = name.partition(".")
        if section == "blocks":
            blocks.setdefault(Stage.parse(key), {})[locale] = str(value)
        elif section in values:
            if value is False:
                not_offered.append(key)
            elif locale == source:
                values[section][key] = str(value)
            else:
                localized.setdefault(name, {})[locale] = str(value)
    for name in localized:
        section, _dot, key = name.partition(".")
        if key not in values[section]:
            raise TownNotebookError(_("{unit}: there is a translation but no source text ({source}); someone may "
                                      "have deleted it. Write the source text").format(
                                          unit=describe_unit(name), source=source), field=name)
    months = [int(m) for m in str(units.get("checkup_months", "")).split(", ") if m]
    return replace(town, contacts=values["contacts"], services=values["services"], localized=localized,
                   not_offered=tuple(not_offered), blocks=dict(sorted(blocks.items())),
                   send_time=str(units.get("send_time", town.send_time)), checkup_months=tuple(months))


def conflict_message(code: str, conflicts: list[tuple[str, Value | None, Value | None]]) -> str:
    def show(value: Value | None) -> str:
        if value is None:
            return _("(none)")
        text = NOT_OFFERED if value is False else f"{value[:60]}…" if len(value) > 60 else value
        return _("'{value}'").format(value=text)

    lines = [_("Not saved; towns/{code}.yaml is unchanged.").format(code=code),
             _("Since this notebook was opened, someone else changed the same entries:")]
    lines += [_("- {unit}: the workspace has {theirs}, your edit {mine}").format(
                  unit=describe_unit(u), theirs=show(now), mine=show(mine))
              for u, mine, now in conflicts[:MAX_PROBLEMS_SHOWN]]
    lines.append(_("Your edits are still in this tab: copy what you need, open the latest version with "
                   "File ▸ Reload Notebook from Disk, edit it again and save."))
    return "\n".join(lines)
