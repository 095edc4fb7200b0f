"""Notebooks: the catalog as Jupyter notebooks for writers, and the merge of their edits.

One notebook per stage band (or per topic) and locale. Each message is a Markdown cell whose
source is exactly the message's text and whose metadata sits under one key, ``"kizuna"``,
validated by ``authoring/schema/cell-metadata-v1.schema.json``::

    {"kizuna": {"version": 1, "id": "p12w-checkup", "stage": "P12w", "locale": "ja",
                "base_hash": "<content hash when generated>", "checksum": "<cell as generated>"}}

Above each message cell a read-only note cell (no ``kizuna`` key; ignored on import) shows the
stage in Japanese, the findings and any pending suggestions. The notebook's own metadata
(``notebook-metadata-v1.schema.json``) records the locale and, for every generated message cell,
its id and base hash, so a deleted cell is told from one that was never there.

What a writer can do in JupyterLab, and what import makes of it:

* edit a cell's text, or its ``stage`` in the cell metadata → an edit of that message;
* add a Markdown cell with ``{"kizuna": {"id": "new-id", "stage": "P13w"}}`` (``locale`` and
  ``topics`` optional) → a new message (in the source locale) or a new translation;
* delete a message cell → the message is deleted (a translation notebook: the translation), but
  only a message the notebook was made with: the notebook's record of its cells carries a seal
  keyed with the workspace's seal key (:mod:`catalog.sealkey`), and a deletion from a record that
  does not verify (edited, copied from another notebook, made elsewhere) is refused and reported.

A notebook nbformat rejects, or a cell whose ``kizuna`` metadata fails the schema, is an error
naming the cell (counted from 1 at the top, with its cell id); nothing is applied.
"""
from __future__ import annotations

import copy
import hashlib
import json
import re
import warnings
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Iterable, Mapping

import jsonschema
import nbformat
import nbformat.validator
from nbformat import NotebookNode

from kizuna.catalog.errors import KizunaError, StageError
from kizuna.catalog.hashing import content_hash, normalise_text
from kizuna.catalog.limits import (MAX_JSON_DEPTH, MAX_NOTEBOOK_BYTES, MAX_TEXT_CHARS, check_text_length,
                                   clip, lone_surrogate, shorten)
from kizuna.catalog.messages import Message
from kizuna.catalog.lock import workspace_lock
from kizuna.catalog.safepaths import output_target
from kizuna.catalog.sealkey import mac, read_key, same, seal_key
from kizuna.catalog.stages import Stage
from kizuna.catalog.workspace import Workspace
from kizuna.authoring.merge import ImportReport, Proposal, Target, Verdict, clean_text
from kizuna.catalog.i18n import N_, _
from kizuna.catalog.schema_text import explain, explain_at, where as schema_where

METADATA_KEY = "kizuna"
CELL_SCHEMA = "cell-metadata-v1.schema.json"
NOTEBOOK_SCHEMA = "notebook-metadata-v1.schema.json"
SCHEMA_VERSION = 1
INFO_TAG = "kizuna-info"
MAX_PROBLEMS_SHOWN = 20


class NotebookError(KizunaError):
    """A notebook that cannot be imported; names the file and the cell(s)."""


@dataclass(frozen=True)
class Band:
    name: str
    label: str
    start: Stage
    until: Stage | None

    def holds(self, stage: Stage) -> bool:
        return self.start <= stage and (self.until is None or stage < self.until)


#: The default stage bands: one notebook each.
BANDS: tuple[Band, ...] = (
    Band("pregnancy-early", "妊娠初期（〜15週）", Stage.pregnancy(0), Stage.pregnancy(16)),
    Band("pregnancy-middle", "妊娠中期（16〜27週）", Stage.pregnancy(16), Stage.pregnancy(28)),
    Band("pregnancy-late", "妊娠後期（28週〜）", Stage.pregnancy(28), Stage.after_birth()),
    Band("newborn", "新生児期（生後0〜27日）", Stage.after_birth(), Stage.after_birth(days=28)),
    Band("infant", "乳児期（生後28日〜1歳未満）", Stage.after_birth(days=28), Stage.after_birth(1)),
    Band("age-1", "1歳", Stage.after_birth(1), Stage.after_birth(2)),
    Band("age-2-plus", "2歳以上", Stage.after_birth(2), None),
)


# --- schemas --------------------------------------------------------------------------------
@lru_cache(maxsize=None)
def load_schema(name: str) -> dict[str, Any]:
    """A JSON Schema shipped in ``authoring/schema``."""
    text = resources.files("kizuna.authoring").joinpath("schema", name).read_text(encoding="utf-8")
    return json.loads(text)


@lru_cache(maxsize=None)
def _validator(name: str) -> jsonschema.protocols.Validator:
    schema = load_schema(name)
    return jsonschema.validators.validator_for(schema)(schema)


def schema_problems(data: Any, schema_name: str) -> list[str]:
    """Readable schema violations of ``data`` (empty when valid)."""
    problems = []
    for err in sorted(_validator(schema_name).iter_errors(data), key=lambda e: list(e.path)):
        problem = explain_at(err)  # a sentence naming the field, never the schema's pattern
        if problem not in problems:
            problems.append(problem)
    return problems


# --- grouping ---------------------------------------------------------------------------------
def band_of(stage: Stage, bands: Iterable[Band] = BANDS) -> Band:
    for band in bands:
        if band.holds(stage):
            return band
    raise StageError(_("no band holds stage {stage}").format(stage=stage))


def group_messages(messages: Iterable[Message], group_by: str) -> dict[str, tuple[str, list[Message]]]:
    """``{name: (title, messages)}`` by stage band or by (first) topic, in catalog order."""
    groups: dict[str, tuple[str, list[Message]]] = {}
    if group_by == "band":
        for band in BANDS:
            groups[band.name] = (band.label, [])
        for m in messages:
            groups[band_of(m.stage).name][1].append(m)
        return {k: v for k, v in groups.items() if v[1]}
    if group_by == "topic":
        for m in messages:
            topic = m.topics[0] if m.topics else "other"
            groups.setdefault(topic, (f"トピック: {topic}", []))[1].append(m)
        return groups
    raise KizunaError(_("unknown grouping '{group_by}'; use band or topic").format(group_by=group_by))


# --- building -----------------------------------------------------------------------------------
def cell_checksum(source: str, message_id: str, stage: str, locale: str) -> str:
    """Checksum of a message cell as generated: its source, id, stage and locale."""
    payload = f"kizuna-cell-v1\n{message_id}\n{stage}\n{locale}\n{normalise_text(source)}"
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]


def cell_id(prefix: str, message_id: str) -> str:
    """A valid nbformat cell id (``[A-Za-z0-9_-]{1,64}``) derived from a message id."""
    raw = f"{prefix}{message_id}"
    if len(raw) <= 64:
        return raw
    return raw[:47] + "_" + hashlib.sha256(raw.encode()).hexdigest()[:16]


def message_metadata(message: Message, locale: str) -> dict[str, Any]:
    text = message.text(locale) or ""
    return {
        "version": SCHEMA_VERSION, "id": message.id, "stage": str(message.stage), "locale": locale,
        "base_hash": message.content_hash(locale),
        "checksum": cell_checksum(text, message.id, str(message.stage), locale),
    }


def info_markdown(message: Message, locale: str, findings: list[str], pending: list[str]) -> str:
    """The read-only note shown above a message cell."""
    lines = [f"#### {message.stage} {message.stage.label_ja} · `{message.id}` ({locale})"]
    lines += [f"- {f}" for f in findings]
    lines += [f"> **未解決の提案** {p}" for p in pending]
    return "\n".join(lines)


INTRO = """# {title}

このノートブックは kizuna のワークスペースから作られました（言語: `{locale}`）。

- 本文を直すには、メッセージのセルを編集してください（セルの中身がそのまま本文です）。
- 配信時期を変えるには、セルのメタデータ `kizuna.stage` を書き換えてください（例: `P12w3d`, `B2m`）。
- 新しいメッセージは、Markdown セルを追加してメタデータに `{{"kizuna": {{"id": "new-id", "stage": "P13w"}}}}` を書きます。
- メッセージを削除するには、そのセルを削除します。
- 各メッセージの上の見出しセル（段階・指摘・提案）は参照用で、取り込み時には無視されます。

編集が終わったら `kizuna author import {filename}` で取り込みます。取り込む前にワークスペース側で変わったメッセージは上書きされず、提案として残ります。
"""


INTRO_LAB = """# {title}

kizuna のワークスペースのメッセージです（言語: `{locale}`）。**保存（Ctrl+S）すると、そのままワークスペースに取り込まれます。**

- 本文を直すには、メッセージのセルを編集してください（セルの中身がそのまま本文です）。
- 新しいメッセージは、Markdown セルを追加して、1行目に `<!-- 配信時期 メッセージID -->` と書き、2行目から本文を書きます（例: `<!-- B17d b17d-nail-care -->`）。
  セルの種類は Markdown にしてください（セルを選んで `M` キー）。Code セルの文章は取り込まれず、保存できません。
- メッセージを削除するには、そのセルを削除します。
- 各メッセージの上の見出しセル（時期・指摘・承認の状態・町での表示）は参照用です。保存すると、そのつど最新になります。
- 保存する前にほかの人が同じメッセージを変えていた場合、あなたの編集は上書きせず「提案」として残り、見出しセルに表示されます。
"""


def scope_seal(key: bytes, locale: str, group: str, cells: Mapping[str, str]) -> str:
    """Keyed seal of what a notebook was made for: its locale, group and message cells (id and
    base hash). Only the workspace's seal key makes it, so a ``cells`` record someone edited (say,
    to list another notebook's message) does not verify."""
    return mac(key, "kizuna-notebook-v1", locale, group, *(f"{k}={cells[k]}" for k in sorted(cells)))


def build_notebook(messages: list[Message], *, title: str, locale: str, group: str, filename: str,
                   findings: Mapping[str, list[str]] | None = None,
                   pending: Mapping[str, list[str]] | None = None,
                   generated_at: str = "", key: bytes | None = None, lab: bool = False) -> NotebookNode:
    """A notebook for ``messages`` in ``locale`` (messages without that locale are skipped);
    with the workspace's seal ``key``, its record of cells is sealed (deleting a cell then deletes
    the message on import). ``lab``: the view ``kizuna lab`` serves (saved straight back; it holds
    no code and ``kizuna lab`` starts no kernel when a notebook opens)."""
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_markdown_cell(
        (INTRO_LAB if lab else INTRO).format(title=title, locale=locale, filename=filename), id="kizuna_intro",
        metadata={"editable": False, "tags": [INFO_TAG]}))
    record: dict[str, str] = {}
    for m in messages:
        if locale not in m.texts:
            continue
        meta = message_metadata(m, locale)
        record[m.id] = meta["base_hash"]
        nb.cells.append(nbformat.v4.new_markdown_cell(
            info_markdown(m, locale, list((findings or {}).get(m.id, [])), list((pending or {}).get(m.id, []))),
            id=cell_id("info_", m.id), metadata={"editable": False, "tags": [INFO_TAG]}))
        nb.cells.append(nbformat.v4.new_markdown_cell(m.text(locale) or "", id=cell_id("", m.id),
                                                      metadata={METADATA_KEY: meta}))
    nb.metadata[METADATA_KEY] = {"version": SCHEMA_VERSION, "kind": "messages", "locale": locale,
                                 "group": group, "generated_at": generated_at, "cells": record}
    if key is not None:
        nb.metadata[METADATA_KEY]["seal"] = scope_seal(key, locale, group, record)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    if lab:
        # JupyterLab fills these two in when they are missing and so marks a notebook it has just
        # opened as unsaved; kizuna lab starts no kernel when a notebook opens
        nb.metadata["language_info"] = {"name": "python"}
    return nb


def _findings_lines(ws: Workspace, message: Message, locale: str) -> list[str]:
    try:
        from kizuna.review.checks import check_message  # noqa: PLC0415 - optional until checks exist
    except ImportError:
        return []
    from kizuna.review.findings import in_language  # noqa: PLC0415

    with in_language():  # a notebook is a Japanese-first document, whatever the CLI speaks
        return [f"{f.level} `{f.rule}`: {f.message}" for f in check_message(ws, message, locale)
                if f.counts]


def _pending_lines(ws: Workspace, locale: str) -> dict[str, list[str]]:
    from kizuna.authoring.suggestions import pending  # noqa: PLC0415

    out: dict[str, list[str]] = {}
    for s in pending(ws):
        if s.target.kind == "message" and s.target.locale == locale:
            body = "（削除の提案）" if s.text is None else s.text.replace("\n", " ")
            out.setdefault(s.target.key, []).append(f"（{s.by or '不明'}, {s.source}）{body}")
    return out


def write_notebooks(ws: Workspace, out_dir: Path, *, group_by: str = "band", only: Iterable[str] = (),
                    locale: str | None = None, findings: bool = True) -> list[Path]:
    """Write one notebook per group into ``out_dir``; returns the paths written."""
    locale = locale or ws.config.source_locale
    if locale not in ws.config.locales:
        raise KizunaError(_("locale '{locale}' is not one of the workspace's ({locales})").format(locale=locale, locales=', '.join(ws.config.locales)))
    groups = group_messages(ws.messages.values(), group_by)
    wanted = list(only)
    unknown = [w for w in wanted if w not in groups and w not in {b.name for b in BANDS}]
    if unknown:
        raise KizunaError(_("no {group_by} named {unknown}; known: {groups}").format(group_by=group_by, unknown=', '.join(unknown), groups=', '.join(groups)))
    pending = _pending_lines(ws, locale)
    stamp = datetime.now(timezone.utc).astimezone().isoformat(timespec="seconds")
    output_target(ws.root, out_dir / "x")  # the folder is checked before it is made
    key = seal_key(ws.root)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, (title, messages) in groups.items():
        if wanted and name not in wanted:
            continue
        filename = f"{name}.{locale}.ipynb"
        lines = {m.id: _findings_lines(ws, m, locale) for m in messages if locale in m.texts} if findings else {}
        nb = build_notebook(messages, title=title, locale=locale, group=f"{group_by}:{name}",
                            filename=filename, findings=lines, pending=pending, generated_at=stamp, key=key)
        path = output_target(ws.root, out_dir / filename)
        nbformat.write(nb, str(path))
        written.append(path)
    return written


# --- reading ------------------------------------------------------------------------------------
def read_notebook(path: Path) -> NotebookNode:
    """Read and validate a notebook; an invalid one is a ``NotebookError`` naming the cell(s).

    The file is validated *as written* against nbformat's schema for its version: nbformat's own
    reader would quietly repair a 4.5 notebook (give a cell without an id a random one, rename a
    duplicated id) and warn on the terminal; kizuna names the cell instead and imports nothing.
    """
    try:
        size = path.stat().st_size
        if size > MAX_NOTEBOOK_BYTES:
            raise NotebookError(_("the notebook is {size:,} bytes, over the limit of {MAX_NOTEBOOK_BYTES:,}; "
                                "nothing was applied").format(size=size, MAX_NOTEBOOK_BYTES=MAX_NOTEBOOK_BYTES), path=path)
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise NotebookError(_("cannot read the notebook: {exc}").format(exc=shorten(str(exc), 200)), path=path) from None
    check_json_depth(text, path)
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise NotebookError(_("not a notebook: invalid JSON ({msg})").format(msg=exc.msg), path=path,
                            location=_("line {lineno}, column {colno}").format(lineno=exc.lineno, colno=exc.colno)) from None
    except RecursionError:  # not reached after check_json_depth; kept as a named error all the same
        raise NotebookError(_("the notebook is nested more than {MAX_JSON_DEPTH} levels deep").format(MAX_JSON_DEPTH=MAX_JSON_DEPTH), path=path) from None
    except ValueError as exc:  # a number of thousands of digits (Python refuses to convert it)
        raise NotebookError(_("not a notebook: {exc}").format(exc=clip(str(exc), 200)), path=path) from None
    check_cell_texts(raw, path)
    if not isinstance(raw, dict) or not isinstance(raw.get("cells"), list):
        raise NotebookError(_("nbformat rejects the notebook: it is not a version 4 notebook "
                            "(no list of cells)"), path=path)
    if raw.get("nbformat") != 4:
        raise NotebookError(_("nbformat rejects the notebook: kizuna reads nbformat 4 notebooks, this one "
                            "says nbformat {get}").format(get=shorten(raw.get('nbformat'))), path=path)
    if not isinstance(raw.get("nbformat_minor"), int):
        raise NotebookError(_("nbformat rejects the notebook: nbformat_minor is {get}, "
                            "not a whole number").format(get=shorten(raw.get('nbformat_minor'))), path=path)
    problems = [(where, clip(what)) for where, what in nbformat_problems(raw)]
    if problems:
        located = [f"{where}: {what}" if where else what for where, what in problems[:MAX_PROBLEMS_SHOWN]]
        if len(problems) > MAX_PROBLEMS_SHOWN:
            located.append(_("... and {count} more").format(count=len(problems) - MAX_PROBLEMS_SHOWN))
        message = (_("nbformat rejects the notebook: {problem}; nothing was applied").format(problem=problems[0][1])
                   if len(problems) == 1 else
                   _("nbformat rejects the notebook; nothing was applied:\n  ") + "\n  ".join(located))
        raise NotebookError(message, path=path, location=problems[0][0] if len(problems) == 1 else None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return nbformat.reads(text, as_version=4)  # valid as written: nothing to repair


_JSON_STRING_RE = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_JSON_BRACKET_RE = re.compile(r"[\[\]{}]")


def check_json_depth(text: str, path: Path) -> None:
    """Refuse JSON nested deeper than ``MAX_JSON_DEPTH`` before it is parsed (Python's parser
    recurses once per level and fails with a RecursionError on a notebook nested 100,000 deep).
    Brackets inside strings do not count."""
    depth = 0
    for match in _JSON_BRACKET_RE.finditer(_JSON_STRING_RE.sub("", text)):
        depth += 1 if match.group() in "[{" else -1
        if depth > MAX_JSON_DEPTH:
            raise NotebookError(_("the notebook is nested more than {MAX_JSON_DEPTH} levels deep; it is not "
                                "a notebook kizuna made (nothing was applied)").format(MAX_JSON_DEPTH=MAX_JSON_DEPTH), path=path)


def check_cell_texts(raw: Any, path: Path) -> None:
    """Refuse a cell whose text is over ``MAX_TEXT_CHARS`` (it would be applied as a message text,
    and a sentence that long crashes morphological analysis) or holds a lone surrogate (a
    ``\\ud800`` escape that no UTF-8 file can store), naming the cell."""
    cells = raw.get("cells") if isinstance(raw, dict) else None
    for index, cell in enumerate(cells if isinstance(cells, list) else []):
        if not isinstance(cell, dict):
            continue
        source = cell.get("source")
        text = "".join(s for s in source if isinstance(s, str)) if isinstance(source, list) else source
        where = describe_cell(index, cell.get("id") if isinstance(cell.get("id"), str) else None, None)
        if isinstance(text, str):
            too_long = check_text_length(text, what=N_("the cell"), limit=MAX_TEXT_CHARS)
            if too_long:
                raise NotebookError(_("{too_long}; nothing was applied").format(too_long=too_long), path=path, location=where)
        at = lone_surrogate(json.dumps(cell, ensure_ascii=False))
        if at is not None:
            raise NotebookError(_("holds a lone surrogate (an escape like \\ud800 that is not a character); "
                                "remove it, nothing was applied"), path=path, location=where)
    if lone_surrogate(json.dumps(raw, ensure_ascii=False)) is not None:
        raise NotebookError(_("the notebook's metadata holds a lone surrogate (an escape like \\ud800 that is "
                            "not a character); nothing was applied"), path=path)


def nbformat_problems(raw: dict[str, Any]) -> list[tuple[str | None, str]]:
    """``(cell, problem)`` for everything nbformat's schema rejects in ``raw`` (not repaired),
    and for cell ids a 4.5 notebook must have and keep unique."""
    problems: list[tuple[str | None, str]] = []
    try:
        errors = list(nbformat.validator.iter_validate(copy.deepcopy(raw)))
    except Exception as exc:  # noqa: BLE001 - nbformat raises several kinds for a malformed file
        return [(None, str(exc))]
    for err in errors:
        at = list(getattr(err, "absolute_path", []))
        inner = schema_where(at[2:] if _error_location(raw, at) else at)
        problems.append((_error_location(raw, at), f"{inner}: {explain(err)}" if inner else explain(err)))
    if raw.get("nbformat_minor", 0) >= 5:
        first: dict[str, int] = {}
        for index, cell in enumerate(raw["cells"]):
            cid = cell.get("id") if isinstance(cell, dict) else None
            if isinstance(cid, str) and cid in first:
                problems.append((describe_cell(index, cid, None), _("cell id '{cid}' is also the id of "
                                 "cell {number}; nbformat 4.5 needs unique cell ids").format(cid=cid, number=first[cid] + 1)))
            elif isinstance(cid, str):
                first[cid] = index
    return sorted(set(problems), key=lambda p: (_cell_number(p[0]), p[1]))


def _cell_number(where: str | None) -> int:
    match = re.match(r"\D*(\d+)", where or "")
    return int(match.group(1)) if match else 0


def _error_location(raw: Any, error_path: list[Any]) -> str | None:
    if len(error_path) >= 2 and error_path[0] == "cells" and isinstance(error_path[1], int):
        index = error_path[1]
        cells = raw.get("cells") if isinstance(raw, dict) else None
        cell = cells[index] if isinstance(cells, list) and index < len(cells) else None
        cid = cell.get("id") if isinstance(cell, dict) and isinstance(cell.get("id"), str) else None
        return describe_cell(index, cid, None)
    return None


def describe_cell(index: int, cid: str | None, message_id: str | None) -> str:
    """``cell 5 (id abc, message p12w-x)``; cells are counted from 1 at the top."""
    parts = [_("id {id}").format(id=clip(str(cid), 60)) if cid else _("no id")]
    if message_id and message_id != cid:
        parts.append(_("message {id}").format(id=clip(str(message_id), 60)))
    return _("cell {number} ({parts})").format(number=index + 1, parts=_(", ").join(parts))


@dataclass
class _Cell:
    index: int
    cid: str | None
    meta: dict[str, Any]
    source: str

    @property
    def where(self) -> str:
        return describe_cell(self.index, self.cid, self.meta.get("id"))


#: first line of a Markdown cell that adds a message: ``<!-- B17d b17d-nail-care -->``
NEW_HEADER = re.compile(r"\s*<!--\s*(?P<stage>\S+)\s+(?P<id>\S+)\s*-->\s*")


def header_cell(source: str) -> tuple[dict[str, Any], str] | None:
    """``({"id", "stage"}, text)`` of a cell whose first line is a new-message header, else None."""
    first, _, rest = str(source).partition("\n")
    found = NEW_HEADER.fullmatch(first)
    if not found:
        return None
    return {"id": found["id"], "stage": found["stage"]}, rest.strip("\n")


def _message_cells(nb: NotebookNode, problems: list[str], notes: list[str], name: str) -> list[_Cell]:
    cells = []
    for index, cell in enumerate(nb.cells):
        meta = cell.get("metadata", {}).get(METADATA_KEY)
        if meta is None:
            tags = cell.get("metadata", {}).get("tags") or []
            header = header_cell(cell.source) if cell.cell_type == "markdown" else None
            if header is not None:
                here = describe_cell(index, cell.get("id"), header[0]["id"])
                bad = schema_problems(header[0], CELL_SCHEMA)
                if bad:
                    problems.append(_("{here}: the first line <!-- {stage} {id} --> "
                                    "is not a stage and a message id (e.g. <!-- B17d b17d-nail-care -->: "
                                    "id in lower-case letters, digits and hyphens): ").format(here=here, stage=header[0]['stage'], id=header[0]['id']) + "; ".join(bad))
                    continue
                cells.append(_Cell(index, cell.get("id"), header[0], header[1]))
                continue
            if cell.cell_type == "code" and str(cell.source).strip():
                if cell.get("execution_count") is not None or cell.get("outputs"):
                    notes.append(_("{name}: {describe_cell}: a Code cell that "
                                 "was run is code, not a message; it was not imported").format(name=name, describe_cell=describe_cell(index, cell.get('id'), None)))
                    continue
                problems.append(_("{describe_cell}: a Code cell holds text; "
                                "message text must be in a Markdown cell (select the cell and press M, "
                                "then start it with <!-- STAGE new-id -->), or delete the cell").format(describe_cell=describe_cell(index, cell.get('id'), None)))
                continue
            if cell.cell_type == "markdown" and INFO_TAG not in tags and str(cell.source).strip():
                # text a writer typed into a cell kizuna does not read: say so, never drop it silently
                notes.append(_("{name}: {describe_cell}: a Markdown cell "
                             "without '{METADATA_KEY}' metadata was not imported; to add it as a "
                             "message start it with a line <!-- STAGE new-id --> (e.g. <!-- B17d "
                             'b17d-nail-care -->) or give it {{"{METADATA_KEY}": {{"id": "new-id", "stage": "P13w"}}}}').format(name=name, describe_cell=describe_cell(index, cell.get('id'), None), METADATA_KEY=METADATA_KEY))
            continue
        here = describe_cell(index, cell.get("id"), meta.get("id") if isinstance(meta, dict) else None)
        if cell.cell_type != "markdown":
            problems.append(_("{here}: a message cell must be a Markdown cell, not {cell_type}").format(here=here, cell_type=cell.cell_type))
            continue
        bad = schema_problems(meta, CELL_SCHEMA)
        if bad:
            problems.append(_("{here}: metadata '{METADATA_KEY}' is not valid ({CELL_SCHEMA}): ").format(here=here, METADATA_KEY=METADATA_KEY, CELL_SCHEMA=CELL_SCHEMA)
                            + "; ".join(bad))
            continue
        cells.append(_Cell(index, cell.get("id"), dict(meta), cell.source))
    return cells


def _proposal_for(cell: _Cell, name: str, locale: str, record: Mapping[str, str],
                  problems: list[str], notes: list[str]) -> Proposal | None:
    meta = cell.meta
    try:
        stage = str(Stage.parse(meta["stage"]))
    except StageError as exc:
        problems.append(_("{where}: stage: {message}").format(where=cell.where, message=exc.message))
        return None
    cell_locale = meta.get("locale", locale)
    base = meta.get("base_hash")
    where = f"{name}: {cell.where}"
    target = Target("message", meta["id"], cell_locale)
    # A generated cell nobody touched proposes its text exactly as generated, so that cleaning
    # (control characters) never turns an untouched cell into an edit.
    untouched = base is not None and cell_checksum(cell.source, meta["id"], meta["stage"], cell_locale) == meta["checksum"]
    if untouched:
        text = normalise_text(cell.source)
    else:
        text, done = clean_text(cell.source)
        if done:
            notes.append(_("{name}: {where}: {done}").format(name=name, where=cell.where, done='; '.join(done)))
        text = normalise_text(text)
    if base is None:
        if meta["id"] in record:
            problems.append(_("{where}: id '{id}' belongs to a message of this notebook; "
                            "give the new message another id").format(where=cell.where, id=meta['id']))
            return None
        return Proposal(target, None, text, where, stage=stage, topics=tuple(meta.get("topics", ())))
    if cell_locale != locale:
        problems.append(_("{where}: locale '{cell_locale}' is not the notebook's ({locale})").format(where=cell.where, cell_locale=cell_locale, locale=locale))
        return None
    if record.get(meta["id"]) != base:
        problems.append(_("{where}: id or base_hash do not match what this notebook was made "
                        "with (was the id edited, or the cell copied from another notebook?); to add "
                        "a new message from a copied cell, keep only 'id' and 'stage' in its "
                        "'{METADATA_KEY}' metadata").format(where=cell.where, METADATA_KEY=METADATA_KEY))
        return None
    if untouched and content_hash(stage, cell_locale, cell.source) != base:
        problems.append(_("{where}: base_hash was edited (it does not match the unchanged cell)").format(where=cell.where))
        return None
    return Proposal(target, base, text, where, stage=stage)


def notebook_proposals(nb: NotebookNode, name: str, *, path: Path | None = None) -> tuple[list[Proposal], list[str]]:
    """The proposals of a validated notebook, and notes; raises ``NotebookError`` listing every
    bad cell (nothing is applied then). ``name`` labels the report lines, ``path`` the errors."""
    problems: list[str] = []
    notes: list[str] = []
    where = path or name
    nb_meta = nb.metadata.get(METADATA_KEY)
    if nb_meta is None:
        raise NotebookError(_("not a kizuna notebook: the notebook metadata has no '{METADATA_KEY}' key "
                            "(make one with 'kizuna author notebook')").format(METADATA_KEY=METADATA_KEY), path=where)
    bad = schema_problems(nb_meta if not isinstance(nb_meta, Mapping) else dict(nb_meta), NOTEBOOK_SCHEMA)
    if bad:
        raise NotebookError(_("notebook metadata '{METADATA_KEY}' is not valid ({NOTEBOOK_SCHEMA}): ").format(METADATA_KEY=METADATA_KEY, NOTEBOOK_SCHEMA=NOTEBOOK_SCHEMA)
                            + "; ".join(bad), path=where)
    locale, record = nb_meta["locale"], dict(nb_meta["cells"])
    cells = _message_cells(nb, problems, notes, name)
    first: dict[str, _Cell] = {}
    for cell in cells:
        mid = cell.meta["id"]
        if mid in first:
            problems.append(_("{where}: message id '{mid}' is also used by {where2} (a copied "
                            "cell?): delete the copy, or make it a new message by removing its "
                            "'{METADATA_KEY}' metadata and starting it with <!-- STAGE new-id -->").format(where=cell.where, mid=mid, where2=first[mid].where, METADATA_KEY=METADATA_KEY))
        else:
            first[mid] = cell
    proposals = []
    for cell in cells:
        if first[cell.meta["id"]] is not cell:
            continue
        proposal = _proposal_for(cell, name, locale, record, problems, notes)
        if proposal is not None:
            proposals.append(proposal)
    if problems:
        raise NotebookError(_("the notebook cannot be imported; nothing was applied:\n  ")
                            + "\n  ".join(problems), path=where)
    for mid, base in record.items():
        if mid not in first:
            proposals.append(Proposal(Target("message", mid, locale), base, None,
                                      f"{name}: deleted cell of {mid}"))
    return proposals, notes


def _in_group(message: Message, group: str) -> bool:
    kind, _, name = group.partition(":")
    if kind == "band":
        return band_of(message.stage).name == name
    if kind == "topic":
        return (message.topics[0] if message.topics else "other") == name
    return False


def scoped_deletions(ws: Workspace, nb: NotebookNode, proposals: list[Proposal],
                     report: ImportReport) -> list[Proposal]:
    """``proposals`` without the deletions the notebook may not make (each reported as refused).

    A deleted cell deletes a message only when the notebook really was made with that message:
    its record of cells must carry a seal made with this workspace's seal key (an edited record,
    one copied from another notebook, or a notebook made in another copy of the workspace does
    not verify), and the message must belong to the notebook's group (its stage band or topic)."""
    deletions = [p for p in proposals if p.text is None and p.target.kind == "message"]
    if not deletions:
        return proposals
    meta = dict(nb.metadata.get(METADATA_KEY) or {})
    key = read_key(ws.root)
    sealed = key is not None and isinstance(meta.get("seal"), str) and same(
        meta["seal"], scope_seal(key, meta["locale"], str(meta.get("group", "")), dict(meta["cells"])))
    refused: set[int] = set()
    for p in deletions:
        why = None
        current = ws.messages.get(p.target.key)
        if not sealed:
            why = _("this notebook's record of the cells it was made with is not sealed by this workspace "
                    "(it was edited, or the notebook was made in another copy of the workspace or by an "
                    "older kizuna); delete the message from a fresh notebook")
        elif current is not None and not _in_group(current, str(meta.get("group", ""))):
            why = _("the message is not in this notebook's group ({group})").format(group=meta.get('group'))
        if why:
            report.add(Verdict.REFUSED, p.where, _("{describe}: not deleted: {why}").format(describe=p.target.describe(), why=why))
            refused.add(id(p))
    return [p for p in proposals if id(p) not in refused]


def import_notebook(ws: Workspace, path: Path, *, now: datetime | None = None) -> ImportReport:
    """Validate ``path`` completely, then merge its edits into ``ws`` (holding the workspace lock)."""
    from kizuna.authoring.apply import apply_proposals  # noqa: PLC0415
    from kizuna.authoring.apply import preflight  # noqa: PLC0415

    with workspace_lock(ws.root, "author import"):
        nb = read_notebook(path)
        proposals, notes = notebook_proposals(nb, path.name, path=path)
        report = ImportReport(path.name, notes=notes)
        proposals = scoped_deletions(ws, nb, proposals, report)
        preflight(ws)  # every suggestions file readable, nothing to write is a link: before any write
        apply_proposals(ws, proposals, report, now=now)
    return report
