"""Incremental export: reuse the previous export's files whose inputs did not change.

Every export records in its manifest a fingerprint (a SHA-256, cut to 32 hex digits) of every
input that can change its bytes (``inputs`` at the top, ``inputs`` of each town):

* ``export`` — what every file depends on: kizuna's own code (every file of its packages), the
  Python version and the versions of the libraries that write bytes (Jinja2, orjson, openpyxl,
  ...), the request (``--include-unapproved``, ``--as-of``) and the config that rendering reads
  (source locale, locales, ``fallbacks``, ``registrants``);
* ``format:<name>`` — each format used: its module's source, its distribution's version (a
  plug-in) and its options (``exports.<name>`` in kizuna.yaml);
* ``message:<id>`` — each national message: the message as loaded (every text, translation
  source hash, stage, track, topics, ...) and its sign-off state in every locale (status and
  approval reference), with its stage;
* per town — the town file as loaded (profile, blocks, suppressions, local messages), the
  sign-off state of its blocks and local messages, and the locales and formats it exports.

Checks, review and policy settings, titles and the workspace's other files are not inputs: they
cannot change an exported byte (sign-off reaches an export only through the approvals above).

The next export into the same folder compares them with its own (:func:`reuse_plans`):

* a town whose fingerprints all match, none of whose messages changed, is **copied**: its
  files stay as they are in the previous export (the export is updated in place:
  :mod:`exports.atomic`);
* a town whose own fingerprints match but that sends a changed message is **patched** when every
  one of its formats has a :class:`~exports.registry.Layout`: only its messages at the stages of
  the changed messages are rendered again (a town block goes to the first message at its stage,
  so a whole stage is redone) and spliced into the previous files (:func:`splice_document_at`:
  only the lines of the messages at those stages, or changed, are looked for and replaced);
* every other town is rendered as in a full export.

The previous export is trusted only as far as its manifest goes: before anything is reused, the
export checks (under its lock) that every file the previous manifest lists is there with its
SHA-256 — or with the inode, size and times the stat cache recorded for it
(:mod:`exports.statcache`) — and that nothing else is there
(:func:`exports.atomic.ownership_problem`; a changed file stops the export, naming the file);
a listed file that is missing is rendered again. Only the files whose bytes change are written.
The files of an incremental export are byte-identical to those of a full one; ``kizuna export
--full`` renders everything.
"""
from __future__ import annotations

import dataclasses
import hashlib
import importlib
import json
import re
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from kizuna.catalog.stages import Stage

#: the kind and version of the fingerprints (a change makes every export a full one)
INPUTS_FORMAT = "kizuna-export-inputs-v1"
#: kizuna's packages whose files are hashed into the code fingerprint
PACKAGES = ("kizuna", "kizuna.catalog", "kizuna.review", "kizuna.exports", "kizuna.authoring")
#: libraries whose version can change exported bytes
LIBRARIES = ("jinja2", "markupsafe", "orjson", "openpyxl", "et-xmlfile", "pyyaml", "ruamel.yaml")
SKIP = {"__pycache__", ".ipynb_checkpoints", ".pytest_cache"}


def stable_repr(value: Any) -> str:
    """``repr`` that is the same in every process: dataclasses field by field, mappings in their
    order, sets sorted (a set's own ``repr`` follows string hashing, which changes per process)."""
    if isinstance(value, (str, int, float, bool, type(None))):
        return repr(value)
    if isinstance(value, (set, frozenset)):
        return "{" + ", ".join(sorted(stable_repr(v) for v in value)) + "}"
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        inner = ", ".join(f"{f.name}={stable_repr(getattr(value, f.name))}" for f in dataclasses.fields(value)
                          if f.repr)
        return f"{type(value).__qualname__}({inner})"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{stable_repr(k)}: {stable_repr(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return type(value).__name__ + "[" + ", ".join(stable_repr(v) for v in value) + "]"
    return repr(value)


def fingerprint(*parts: Any) -> str:
    """SHA-256 (32 hex digits) of the :func:`stable_repr` of each part."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(stable_repr(part).encode("utf-8"))
        digest.update(b"\0")
    return digest.hexdigest()[:32]


def _tree_digest(folder: Path, digest: Any) -> None:
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not SKIP.intersection(path.relative_to(folder).parts) and path.suffix != ".pyc":
            digest.update(path.relative_to(folder).as_posix().encode("utf-8") + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """kizuna's code (every file of its packages), Python's version and the libraries' versions."""
    digest = hashlib.sha256(sys.version.encode("utf-8"))
    for name in PACKAGES:
        module = importlib.import_module(name)
        digest.update(name.encode("utf-8") + b"\0")
        _tree_digest(Path(module.__file__ or "").parent, digest)
    for lib in LIBRARIES:
        try:
            digest.update(f"{lib}={metadata.version(lib)}\0".encode("utf-8"))
        except metadata.PackageNotFoundError:
            digest.update(f"{lib}=-\0".encode("utf-8"))
    return digest.hexdigest()[:32]


def _options_text(options: Mapping[str, Any]) -> str:
    return json.dumps(options, sort_keys=True, ensure_ascii=False, default=str)


def format_fingerprint(name: str, exporter: Any, options: Mapping[str, Any]) -> str:
    """The exporter's module source, its distribution's version, and its options."""
    function = getattr(exporter, "function", None)
    module_name = getattr(function, "__module__", None) or type(exporter).__module__
    module = sys.modules.get(module_name)
    source = ""
    path = getattr(module, "__file__", None)
    if path and Path(path).is_file():
        source = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    from kizuna.exports import registry

    found = registry.discovered().get(name)
    dist = getattr(getattr(found, "dist", None), "version", None)
    return fingerprint(INPUTS_FORMAT, name, module_name, source, dist, type(exporter).__qualname__,
                       getattr(exporter, "layout", None), _options_text(options))


@dataclass(frozen=True)
class Inputs:
    """The fingerprints of one export (see the module docstring)."""

    export: str
    formats: Mapping[str, str]
    #: national message id -> (fingerprint, stage)
    messages: Mapping[str, tuple[str, str]]
    towns: Mapping[str, str]

    def to_data(self) -> dict[str, Any]:
        """The manifest's ``inputs`` mapping (one member a line)."""
        data: dict[str, Any] = {"export": self.export}
        data.update({f"format:{n}": fp for n, fp in sorted(self.formats.items())})
        data.update({f"message:{m}": {"inputs": fp, "stage": stage}
                     for m, (fp, stage) in sorted(self.messages.items())})
        return data


def _approvals_by_town(approval_map: Mapping[tuple[str, str], Any]) -> dict[str, list[Any]]:
    """The sign-off state of each town's blocks (items ``town:CODE:STAGE``), by town code."""
    out: dict[str, list[Any]] = {}
    for (key, locale), approval in approval_map.items():
        if key.startswith("town:"):
            out.setdefault(key.split(":", 2)[1], []).append((key, locale, approval))
    for items in out.values():
        items.sort(key=lambda item: (item[0], item[1]))
    return out


def compute_inputs(workspace: Any, plans: Sequence[Any], approval_map: Mapping[tuple[str, str], Any],
                   options: Mapping[str, Mapping[str, Any]], *, include_unapproved: bool,
                   as_of: Any) -> Inputs:
    """Every fingerprint of an export of ``plans`` (see the module docstring)."""
    from kizuna.exports import registry

    config = workspace.config
    locales = tuple(config.locales)
    export = fingerprint(INPUTS_FORMAT, code_fingerprint(), include_unapproved, as_of, config.source_locale,
                         locales, sorted(config.fallbacks.items()), config.registrants)
    used = sorted({name for plan in plans for name in plan.formats})
    formats = {name: format_fingerprint(name, registry.get(name), options.get(name, {})) for name in used}

    def signed(message_id: str, message_locales: Iterable[str]) -> list[Any]:
        return [approval_map.get((message_id, loc)) for loc in sorted(set(locales) | set(message_locales))]

    messages = {mid: (fingerprint(m, signed(mid, m.texts)), str(m.stage))
                for mid, m in workspace.messages.items()}
    blocks = _approvals_by_town(approval_map)
    towns = {}
    for plan in plans:
        town = workspace.town(plan.code)
        local = [(m.id, signed(m.id, m.texts)) for m in town.local_messages]
        towns[plan.code] = fingerprint(town, plan.locales, plan.formats, blocks.get(plan.code, []), local)
    return Inputs(export, formats, messages, towns)


# --- what to reuse (pure) ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Reuse:
    """How a worker reuses the previous export for one town (plain data, sent to the worker).

    ``mode``: ``copy`` — every file of the town, as listed in ``files``; ``patch`` — render again
    only its messages at the ``dirty`` stages and splice them into the previous files."""

    old: Path
    mode: str
    files: Mapping[str, Mapping[str, Any]]
    locales: Mapping[str, Any] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    dirty: frozenset[Stage] = frozenset()
    #: the national messages added, removed or changed (:func:`changed_messages`)
    changed: frozenset[str] = frozenset()


def previous_inputs(previous: Mapping[str, Any] | None) -> Mapping[str, Any]:
    inputs = previous.get("inputs") if isinstance(previous, Mapping) else None
    return inputs if isinstance(inputs, Mapping) else {}


def changed_messages(before: Mapping[str, Any], now: Inputs) -> tuple[set[str], frozenset[Stage]]:
    """The national messages added, removed or changed, and the stages they were or are at."""
    changed: set[str] = set()
    stages: set[Stage] = set()
    old_ids = {key[len("message:"):] for key in before if key.startswith("message:")}
    for mid in old_ids | set(now.messages):
        old = before.get(f"message:{mid}")
        new = now.messages.get(mid)
        old_pair = (old.get("inputs"), old.get("stage")) if isinstance(old, Mapping) else None
        if old_pair == new:
            continue
        changed.add(mid)
        for pair in (old_pair, new):
            if pair is not None and isinstance(pair[1], str):
                stages.add(Stage.parse(pair[1]))
    return changed, frozenset(stages)


def files_by_town(previous: Mapping[str, Any]) -> dict[str, dict[str, Mapping[str, Any]]]:
    out: dict[str, dict[str, Mapping[str, Any]]] = {}
    files = previous.get("files")
    if isinstance(files, Mapping):
        for rel, record in files.items():
            code, _, rest = str(rel).partition("/")
            if rest and isinstance(record, Mapping):
                out.setdefault(code, {})[rel] = record
    return out


def reuse_plans(previous: Mapping[str, Any] | None, old: Path, now: Inputs, plans: Sequence[Any],
                workspace: Any, has_layout: Mapping[str, bool]) -> dict[str, Reuse]:
    """Town code -> how to reuse the previous export (towns not named are rendered)."""
    before = previous_inputs(previous)
    if not before or before.get("export") != now.export or previous is None:
        return {}
    changed, dirty = changed_messages(before, now)
    towns = previous.get("towns") if isinstance(previous.get("towns"), Mapping) else {}
    warnings = [w for w in previous.get("warnings", []) if isinstance(w, str)]
    by_town = files_by_town(previous)
    out: dict[str, Reuse] = {}
    for plan in plans:
        record = towns.get(plan.code)
        if not isinstance(record, Mapping) or record.get("inputs") != now.towns.get(plan.code):
            continue
        if any(before.get(f"format:{name}") != now.formats.get(name) for name in plan.formats):
            continue
        files = by_town.get(plan.code, {})
        town = workspace.town(plan.code)
        if not changed - set(town.suppress):
            prefix = f"town {plan.code} ("
            out[plan.code] = Reuse(old, "copy", files, record.get("locales", {}),
                                   tuple(w for w in warnings if w.startswith(prefix)))
        elif all(has_layout.get(name) for name in plan.formats):
            out[plan.code] = Reuse(old, "patch", files, dirty=dirty, changed=frozenset(changed))
    return out


# --- splicing (pure) ------------------------------------------------------------------------------------

_MESSAGE_ID = re.compile(rb'"message_id":"([^"\\]*)"')


class NotSpliceable(Exception):
    """The previous file is not what the layout says: render the catalog again instead."""


_TWO_IDS = re.compile(rb'"message_id":"[^\n]*"message_id":"')


def _ids(body: bytes, count: int) -> list[str]:
    """The message id of each of the ``count`` lines of ``body``, which must hold exactly one
    each (found in one pass over the bytes: an export's files hold a million lines)."""
    found = _MESSAGE_ID.findall(body)
    if len(found) != count or _TWO_IDS.search(body):  # no line with two, as many as lines: one each
        raise NotSpliceable("an item line without exactly one message id")
    return b"\0".join(found).decode("utf-8").split("\0") if found else []


def _document(data: bytes) -> tuple[bytes, dict[str, bytes], bytes] | None:
    """Head (up to the list's first item), items by message id (each with its indent, without
    its comma), tail (from the end of the list) of a :func:`exports.jsonio.document`."""
    opening = data.find(b": [\n")
    if opening < 0:
        return None
    start = opening + 4
    end = data.find(b"\n ]\n", start - 1)
    if end < 0:
        if not data.endswith(b"\n ]"):
            raise NotSpliceable("no end of the list")
        end = len(data) - 3
    body = data[start:end]
    items = body.split(b",\n")
    if body.count(b"\n") != len(items) - 1 or body.count(b",\n  ") != len(items) - 1 \
            or not body.startswith(b"  ") or body.endswith(b","):
        raise NotSpliceable("an item line without its indent")
    return data[:start], dict(zip(_ids(body, len(items)), items)), data[end:]


def document_parts(data: bytes) -> tuple[list[bytes], dict[str, bytes], list[bytes]] | None:
    """Head lines, items by message id, tail lines of a :func:`exports.jsonio.document` with one
    list (``None``: the list is empty, ``"key": []`` on one line)."""
    found = _document(data)
    if found is None:
        return None
    head, items, tail = found
    return head[:-1].split(b"\n"), {mid: item[2:] for mid, item in items.items()}, tail[1:].split(b"\n")


def splice_document(old: bytes, fresh: bytes, order: Sequence[str], redone: set[str]) -> bytes:
    """The document whose items are, in ``order``, those of ``fresh`` for the ids in ``redone``
    and those of ``old`` for the others (head and tail: of ``fresh``, else of ``old``)."""
    before = _document(old)
    if before is None:
        raise NotSpliceable("the previous list is empty")
    after = _document(fresh)
    head, tail = (after[0], after[2]) if after else (before[0], before[2])
    new_items = after[1] if after else {}
    old_items = before[1]
    try:
        items = [new_items[mid] if mid in redone else old_items[mid] for mid in order]
    except KeyError as missing:
        raise NotSpliceable(f"no item for {missing}") from None
    if not items:
        raise NotSpliceable("the new list is empty")
    return head + b",\n".join(items) + tail


_KEY = b'"message_id":"'


def _line_of(data: bytes, mid: str, start: int, end: int) -> tuple[int, int] | None:
    """Where the item line of ``mid`` starts and where its item ends (before its comma) in the
    list ``data[start:end]`` (``None``: no such line); the line must hold no other id."""
    pos = data.find(_KEY + mid.encode("utf-8") + b'"', start, end)
    if pos < 0:
        return None
    first = data.rfind(b"\n", start - 1, pos) + 1
    last = data.find(b"\n", pos, end)
    last = end if last < 0 else last
    if data.find(_KEY, first, pos) >= 0 or data.find(_KEY, pos + 1, last) >= 0:
        raise NotSpliceable("an item line with two message ids")
    return first, last - 1 if data[last - 1:last] == b"," else last


def splice_document_at(old: bytes, fresh: bytes, order: Sequence[str], redone: set[str],
                       candidates: Iterable[str]) -> bytes:
    """:func:`splice_document` without reading every line of ``old``: ``candidates`` are the ids
    whose lines may go (every message at a stage redone, every message that changed); the
    lines of the others stay where they are, and the ``redone`` items of ``fresh`` go after the
    line of the id before them in ``order``. Used when every line of ``old`` is either a
    candidate or an id of ``order`` not redone, in the same order — what an unchanged town's
    previous file is — and checked by counting its lines; otherwise :class:`NotSpliceable`."""
    opening = old.find(b": [\n")
    if opening < 0:
        raise NotSpliceable("the previous list is empty")
    start = opening + 4
    end = old.find(b"\n ]\n", start - 1)
    if end < 0:
        raise NotSpliceable("no end of the list")
    after = _document(fresh)
    head, tail = (after[0], after[2]) if after else (old[:start], old[end:])
    new_items = after[1] if after else {}
    events: list[tuple[int, int, int, list[bytes]]] = []  # (line start, item end, kind, items)
    for mid in set(candidates):
        found = _line_of(old, mid, start, end)
        if found is not None:
            events.append((found[0], found[1], 0, []))
    dropped = len(events)
    kept = 0
    run: list[bytes] = []
    anchor: str | None = None
    for mid in [*order, None]:
        if mid is not None and mid in redone:
            try:
                run.append(new_items[mid])
            except KeyError:
                raise NotSpliceable(f"no item for {mid}") from None
            continue
        if run:
            if anchor is None:
                events.append((start, start, 1, run))
            else:
                found = _line_of(old, anchor, start, end)
                if found is None:
                    raise NotSpliceable(f"no line for {anchor}")
                events.append((found[0], found[1], 2, run))
            run = []
        if mid is not None:
            kept += 1
            anchor = mid
    if old.count(b"\n", start, end) + 1 != kept + dropped:
        raise NotSpliceable("the previous list holds other lines")
    chunks: list[bytes] = []
    cursor = start
    for first, last, kind, items in sorted(events, key=lambda e: (e[0], e[2])):
        if kind == 1:  # before the first line
            chunks.extend(items)
            continue
        if kind == 0:  # a line that goes
            if first > cursor:
                chunks.append(old[cursor:first - 2])
            cursor = last + 2
            continue
        chunks.append(old[cursor:last])  # the lines up to the anchor, then the new items
        chunks.extend(items)
        cursor = last + 2
    if cursor < end:
        chunks.append(old[cursor:end])
    if not chunks:
        raise NotSpliceable("the new list is empty")
    return head + b",\n".join(chunks) + tail


def splice_lines(old: bytes, fresh: bytes, order: Sequence[str], redone: set[str]) -> bytes:
    """NDJSON: the lines of ``fresh`` for the ids in ``redone``, of ``old`` for the others."""
    def by_id(data: bytes) -> dict[str, bytes]:
        if data and not data.endswith(b"\n"):
            raise NotSpliceable("no final newline")
        lines = data.split(b"\n")[:-1]
        return dict(zip(_ids(data, len(lines)), lines))

    before, after = by_id(old), by_id(fresh)
    try:
        return b"".join((after[mid] if mid in redone else before[mid]) + b"\n" for mid in order)
    except KeyError as missing:
        raise NotSpliceable(f"no line for {missing}") from None


__all__ = ["INPUTS_FORMAT", "Inputs", "NotSpliceable", "Reuse", "changed_messages", "code_fingerprint",
           "compute_inputs", "document_parts", "fingerprint", "format_fingerprint", "reuse_plans",
           "splice_document", "splice_document_at", "splice_lines"]
