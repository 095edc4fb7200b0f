"""Writers for an export diff: the JSON changeset, the text summary and a Japanese HTML page per town.

Each writer consumes the stream of :class:`exports.diff.CatalogDiff` as it comes, so a diff where
every town changed is written without holding it whole. The JSON changeset
(``kizuna-export-changeset``) is described by ``exports/schema/changeset-v1.schema.json``:
``old`` and ``new`` (revision, decisions head, as-of date of each export), ``catalogs`` one per
line, then ``counts``.
"""
from __future__ import annotations

import difflib
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Iterable, Iterator, TextIO

import jinja2

from kizuna.exports import jsonio
from kizuna.exports.diff import TOWN_CODE, CatalogDiff, DiffTally, ExportSide
from kizuna.exports.errors import ExportError
from kizuna.catalog.i18n import _

CHANGESET_FORMAT = "kizuna-export-changeset"
CHANGESET_VERSION = "1.0.0"
SCHEMA_FILE = "changeset-v1.schema.json"


# --- JSON ------------------------------------------------------------------------------------------------

def write_json(stream: TextIO, old: ExportSide, new: ExportSide, diffs: Iterable[CatalogDiff],
               tally: DiffTally) -> None:
    """The changeset as JSON: head, then one catalog a line, then the counts (known only at the end)."""
    head = [("format", CHANGESET_FORMAT), ("schema_version", CHANGESET_VERSION),
            ("old", old.summary()), ("new", new.summary())]
    stream.write("{\n" + ",\n".join(f" {jsonio.compact(k)}: {jsonio.compact(v)}" for k, v in head))
    stream.write(',\n "catalogs": [')
    first = True
    for diff in diffs:
        stream.write(("\n  " if first else ",\n  ") + jsonio.compact(diff.to_data()))
        first = False
    stream.write("\n ]" if not first else "]")
    stream.write(f',\n "counts": {jsonio.compact(tally.to_data())}\n}}\n')


# --- text ------------------------------------------------------------------------------------------------

SYMBOLS = {"added": "+", "removed": "-", "changed": "~"}


def _text_lines(old: str, new: str) -> list[str]:
    return [f"      {line[0]} {line[1:]}"
            for line in difflib.unified_diff(old.split("\n"), new.split("\n"), lineterm="", n=0)
            if not line.startswith(("---", "+++", "@@"))]


def _value(v: Any) -> str:
    return ", ".join(map(str, v)) if isinstance(v, list) else str(v)


def text_lines(diff: CatalogDiff) -> Iterator[str]:
    """The plain-text lines of one catalog's changes."""
    counts = ", ".join(f"{n} {kind}" for kind, n in diff.counts().items())
    status = {"added": "new in this export", "removed": "no longer exported"}.get(diff.status, counts)
    whole = f" ({counts})" if diff.status != "changed" and counts else ""
    yield f"{diff.town} {diff.name} [{diff.locale}]: {status or 'town profile changed'}{whole}"
    for name, change in diff.town_changes.items():
        yield f"  ! {name.replace('_', ' ')} {_value(change['old'])} → {_value(change['new'])}"
    if diff.status != "changed":
        return
    for c in diff.entries:
        stage = c.current.get("stage", "")
        if c.change == "changed" and "stage" in c.what:
            stage = f"{c.old.get('stage')} → {c.new.get('stage')}"  # type: ignore[union-attr]
        what = f"  ({', '.join(c.what)})" if c.what else ""
        yield f"  {SYMBOLS[c.change]} {c.change:<7} {c.message_id}  {stage}{what}"
        if "text" in c.what:
            yield from _text_lines(str(c.old.get("text", "")), str(c.new.get("text", "")))  # type: ignore[union-attr]
    for backend, actions in diff.hints.items():
        names = sorted({a["action"] for a in actions})
        yield f"  [{backend}] {', '.join(names)}"


def write_text(stream: TextIO, diffs: Iterable[CatalogDiff], tally: DiffTally) -> None:
    """The plain-text summary a delivery team reads."""
    any_change = False
    for diff in diffs:
        any_change = True
        stream.write("\n".join(text_lines(diff)) + "\n")
    if not any_change:
        stream.write("no changes\n")
    stream.write(f"-- {tally.catalogs_compared} catalogs compared, {tally.catalogs_unchanged} unchanged "
                 f"(skipped by hash), {tally.catalogs_opened} files opened\n")


# --- Japanese HTML, one page per town ----------------------------------------------------------------

_ENV = jinja2.Environment(loader=jinja2.PackageLoader("kizuna.exports", "templates"),
                          autoescape=True, undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
CHANGE_JA = {"added": "追加", "removed": "配信終了", "changed": "変更"}
WHAT_JA = {"stage": "配信時期", "text": "文面", "approval": "承認"}
TOWN_FIELD_JA = {"name": "名称", "prefecture": "都道府県", "send_time": "配信時刻", "channels": "配信チャネル",
                 "email_encoding": "メールの文字コード", "backend": "配信システム", "policy": "配信ポリシー",
                 "end_age": "配信終了年齢"}


def town_page(code: str, diffs: list[CatalogDiff], old: ExportSide, new: ExportSide) -> str:
    """One town's page: what changes for its readers, from which date, per locale."""
    return _ENV.get_template("changes.html.j2").render(
        code=code, name=diffs[0].name, diffs=diffs, old=old.summary(), new=new.summary(),
        change_ja=CHANGE_JA, what_ja=WHAT_JA, field_ja=TOWN_FIELD_JA, value=_value)


def _check_html_folder(folder: Path) -> None:
    if folder.exists() and (not folder.is_dir() or folder.is_symlink()):
        raise ExportError(_("is not a folder; give a new or empty folder for the town pages"), path=folder)
    if folder.is_dir() and any(p.name != "index.html" and not TOWN_CODE.fullmatch(p.stem)
                               for p in folder.iterdir()):
        raise ExportError(_("holds files that are not town pages of an earlier diff; choose a new or empty "
                          "folder (kizuna will not write among other files)"), path=folder)


def _write(folder: Path, name: str, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", dir=folder)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.chmod(tmp, 0o644)
    os.replace(tmp, folder / name)


def write_html(folder: Path, diffs: Iterable[CatalogDiff], old: ExportSide, new: ExportSide) -> Iterator[CatalogDiff]:
    """Write ``<code>.html`` for each town with changes (and ``index.html``) while passing the
    diffs on; diffs arrive in code order, so one town's locales are written together. Pages go to
    a staging folder that replaces ``folder`` only when the whole diff succeeded."""
    folder = Path(folder)
    _check_html_folder(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.staging-", dir=folder.parent))
    towns: list[tuple[str, str]] = []
    pending: list[CatalogDiff] = []

    def flush() -> None:
        if pending:
            code = pending[0].town
            if not TOWN_CODE.fullmatch(code):  # never a path from data before it is validated
                raise ExportError(_("town code '{code}' is not 6 digits").format(code=code[:20]), path=new.folder)
            _write(staging, f"{code}.html", town_page(code, pending, old, new))
            towns.append((code, pending[0].name))
            pending.clear()

    try:
        for diff in diffs:
            if pending and pending[0].town != diff.town:
                flush()
            pending.append(diff)
            yield diff
        flush()
        _write(staging, "index.html", _ENV.get_template("changes-index.html.j2").render(
            towns=towns, old=old.summary(), new=new.summary()))
        staging.chmod(0o755)
        if folder.exists():  # empty, or only the pages of an earlier diff (checked above)
            shutil.rmtree(folder)
        os.rename(staging, folder)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
