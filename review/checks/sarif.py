"""Findings as SARIF 2.1.0 (https://docs.oasis-open.org/sarif/sarif/v2.1.0/), for code-scanning
views and editors.

One run, tool ``kizuna`` with every registered rule as a ``reportingDescriptor``. Each result has
the rule, the level (``info`` → ``note``), the message (with the suggestion), the file
(workspace-relative ``artifactLocation.uri``), and — when the finding has a position in a message
text or a town block stored as a YAML literal block (``text: |-``) — the region in the *file*, so
an editor marks the right line. A plain or quoted one-line scalar (``text: 手を洗え。``) is placed
too; a folded block or an escaped scalar is not (its offsets do not map to the file). Columns
count Unicode code points (``columnKind: unicodeCodePoints``), as findings do. A finding the
message ignores carries a ``suppressions`` entry (``inSource``, with the written reason).
Messages and suggestions are in the run's language, like ``kizuna check``'s text output (a
Japanese CI job or reviewer reads Japanese annotations), and the run says which (``language``).
"""
from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any, Iterable

import yaml

from kizuna.catalog.errors import StageError
from kizuna.catalog.i18n import current_language
from kizuna.catalog.loadcache import file_stamp, save_pickle
from kizuna.catalog.stages import Stage
from kizuna.review.checks.engine import RULES
from kizuna.review.findings import Finding

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
_LEVELS = {"error": "error", "warning": "warning", "info": "note"}


_COMPOSER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _plain_style(node: Any) -> Any:
    """libyaml spells a plain scalar's style ``''``, PyYAML ``None``: make them one (the marks,
    character offsets, lines and columns, are the same in both)."""
    if isinstance(node, yaml.ScalarNode):
        if node.style == "":
            node.style = None
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _plain_style(item)
    elif isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            _plain_style(key)
            _plain_style(value)
    return node


def _compose(path: Path) -> tuple[str, Any] | None:
    """The text of ``path`` and its YAML node tree (marks give lines and columns), or ``None``.
    libyaml composes when it is there (about 15 times faster: a national catalog has a
    thousand message files with findings)."""
    try:
        source = path.read_text(encoding="utf-8")
        return source, _plain_style(yaml.compose(source, Loader=_COMPOSER))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None


def _get(node: Any, key: str, *, stage: bool = False) -> Any:
    """The value node under ``key`` in a mapping node (a stage key compared as a stage)."""
    if not isinstance(node, yaml.MappingNode):
        return None
    for k, v in node.value:
        if not isinstance(k, yaml.ScalarNode):
            continue
        if k.value == key:
            return v
        if stage:
            try:
                if str(Stage.parse(k.value)) == key:
                    return v
            except StageError:
                continue
    return None


def _message_node(root: Any, message_id: str) -> Any:
    """The mapping of one message: the file itself, or an entry of a town's ``local_messages``."""
    own = _get(root, "id")
    if isinstance(own, yaml.ScalarNode) and own.value == message_id:
        return root
    local = _get(root, "local_messages")
    if isinstance(local, yaml.SequenceNode):
        for item in local.value:
            mid = _get(item, "id")
            if isinstance(mid, yaml.ScalarNode) and mid.value == message_id:
                return item
    return None


def text_node(root: Any, finding: Finding) -> Any:
    """The scalar node holding the text ``finding`` is about: a message text
    (``texts.<locale>.text``) or a town block (``blocks.<stage>`` or ``blocks.<stage>.<locale>``)."""
    if finding.message_id:
        entry = _get(_get(_message_node(root, finding.message_id), "texts"), finding.locale or "")
        node = entry if isinstance(entry, yaml.ScalarNode) else _get(entry, "text")
    elif finding.stage:
        block = _get(_get(root, "blocks"), finding.stage, stage=True)
        node = block if isinstance(block, yaml.ScalarNode) else _get(block, finding.locale or "")
    else:
        return None
    return node if isinstance(node, yaml.ScalarNode) else None


def text_origin(path: Path, finding: Finding, *, parsed: tuple[str, Any] | None = None) -> tuple[int, int] | None:
    """``(line, column)``, 0-based, in the YAML file where the checked text starts, when a
    position in the text maps to one in the file: a literal block (``|-``: line ``n`` of the
    text is line ``n`` of the block, after the block's indentation), or a plain or quoted scalar
    on one line without escapes. ``None`` otherwise (a folded block, a scalar over several lines
    or with escapes, a text the file does not hold)."""
    parsed = parsed if parsed is not None else _compose(path)
    if parsed is None:
        return None
    source, root = parsed
    node = text_node(root, finding)
    if node is None or not node.value:
        return None
    if node.style == "|":
        lines = source.splitlines()
        first = node.start_mark.line + 1
        content = next((ln for ln in lines[first:node.end_mark.line + 1] if ln.strip()), None)
        if content is None:
            return None
        return first, len(content) - len(content.lstrip(" "))  # YAML takes the first line's indentation
    if node.start_mark.line != node.end_mark.line:
        return None
    raw = source[node.start_mark.index:node.end_mark.index]
    if node.style is None and raw == node.value:
        return node.start_mark.line, node.start_mark.column
    if node.style in ("'", '"') and raw[1:-1] == node.value:
        return node.start_mark.line, node.start_mark.column + 1
    return None


def file_position(finding: Finding, root: Path | None, files: dict[Path, Any] | None = None) -> tuple[int, int] | None:
    """1-based ``(line, column)`` in the workspace file of a finding's position in its text (see
    :func:`text_origin`), or ``None`` when it has none or it does not map. ``files`` caches the
    parsed files across findings, or is an :class:`Origins` (remembered across runs)."""
    if finding.line is None or finding.path is None or root is None:
        return None
    files = {} if files is None else files
    path = Path(root) / finding.path
    if isinstance(files, Origins):
        origin = files.origin(path, finding)
    else:
        if path not in files:
            files[path] = _compose(path)
        origin = text_origin(path, finding, parsed=files[path]) if files[path] is not None else None
    if origin is None:
        return None
    line0, column0 = origin
    return line0 + finding.line, column0 + (finding.column or 1)


def _region(finding: Finding, root: Path | None, files: dict[Path, Any]) -> dict[str, int] | None:
    position = file_position(finding, root, files)
    return {"startLine": position[0], "startColumn": position[1]} if position else None


def _rule_descriptor(rule_id: str) -> dict[str, Any]:
    r = RULES.get(rule_id)
    if r is None:
        return {"id": rule_id}
    return {"id": r.id, "name": r.id.replace("/", "-"), "shortDescription": {"text": r.name},
            "fullDescription": {"text": r.description or r.name},
            "defaultConfiguration": {"level": _LEVELS[r.level]}}


def to_sarif(findings: Iterable[Finding], *, root: Path | None = None, version: str = "0") -> dict[str, Any]:
    """A SARIF 2.1.0 log of ``findings`` (``root``: the workspace, to place regions in files)."""
    findings = list(findings)
    rule_ids = list(RULES) + sorted({f.rule for f in findings} - set(RULES))
    index = {rid: i for i, rid in enumerate(rule_ids)}
    results = []
    files: dict[Path, Any] = {}
    for f in findings:
        text = f.message + (f"\n→ {f.suggestion}" if f.suggestion else "")
        result: dict[str, Any] = {"ruleId": f.rule, "ruleIndex": index[f.rule], "level": _LEVELS[f.level],
                                  "message": {"text": text}}
        location: dict[str, Any] = {}
        if f.path:
            physical: dict[str, Any] = {"artifactLocation": {"uri": Path(f.path).as_posix(),
                                                            "uriBaseId": "WORKSPACE"}}
            region = _region(f, root, files)
            if region:
                physical["region"] = region
            location["physicalLocation"] = physical
        if f.message_id:
            location["logicalLocations"] = [{"name": f.message_id, "kind": "object",
                                             "fullyQualifiedName": "/".join(filter(None, [f.message_id, f.locale]))}]
        if location:
            result["locations"] = [location]
        if f.ignored_reason is not None:
            result["suppressions"] = [{"kind": "inSource", "justification": f.ignored_reason}]
        props = {k: v for k, v in (("locale", f.locale), ("town", f.town), ("stage", f.stage),
                                   ("suggestion", f.suggestion), ("textLine", f.line),
                                   ("textColumn", f.column)) if v is not None}
        if props:
            result["properties"] = props
        results.append(result)
    run: dict[str, Any] = {
        "tool": {"driver": {"name": "kizuna", "version": version, "informationUri": "https://example.jp/kizuna",
                            "rules": [_rule_descriptor(rid) for rid in rule_ids]}},
        "results": results,
        "columnKind": "unicodeCodePoints",
        # messages are in the run's language (kizuna --lang, KIZUNA_LANG or the locale), as in the
        # text output; SARIF says which (3.14.7, an RFC 5646 tag)
        "language": current_language(),
    }
    if root is not None:
        run["originalUriBaseIds"] = {"WORKSPACE": {"uri": Path(root).resolve().as_uri() + "/"}}
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}


#: where :class:`Origins` keeps the text origins of a workspace's files (local state, safe to delete)
ORIGINS_FILE = Path(".kizuna") / "cache" / "positions.pickle"
ORIGINS_FORMAT = 1


class Origins:
    """Where each text starts in its file (:func:`text_origin`), remembered per workspace in
    ``.kizuna/cache/positions.pickle`` while the file's size, modification time and inode stay
    the same: printing a national run's findings with their lines composed a thousand YAML
    files every time. Use it as ``files`` of :func:`file_position`; :meth:`save` writes it back."""

    def __init__(self, root: Path) -> None:
        from kizuna.review.checks.cache import code_fingerprint

        self.root = Path(root)
        self.code = code_fingerprint()
        self.parsed: dict[Path, Any] = {}
        self.entries: dict[str, list[Any]] = {}
        self.changed = False
        self.current: dict[str, list[Any]] = {}  # the files this run read
        try:
            with open(self.root / ORIGINS_FILE, "rb") as handle:
                data = pickle.load(handle)
            if isinstance(data, dict) and data.get("format") == ORIGINS_FORMAT and data.get("code") == self.code:
                self.entries = data["files"]
        except Exception:  # noqa: BLE001 - a missing or broken file is an empty one
            pass

    def origin(self, path: Path, finding: Finding) -> tuple[int, int] | None:
        name = str(path)
        entry = self.current.get(name)
        if entry is None:  # the file's stamp, once per run
            stamp = file_stamp(path)
            entry = self.entries.get(name)
            if entry is None or entry[0] != stamp:
                entry = self.entries[name] = [stamp, {}]
                self.changed = True
            self.current[name] = entry
        key = (finding.message_id, finding.locale, None if finding.message_id else finding.stage)
        if key not in entry[1]:
            if path not in self.parsed:
                self.parsed[path] = _compose(path)
            parsed = self.parsed[path]
            entry[1][key] = text_origin(path, finding, parsed=parsed) if parsed is not None else None
            self.changed = True
        return entry[1][key]

    def save(self) -> None:
        if not self.changed:
            return
        kept = {name: entry for name, entry in self.entries.items() if name in self.current}  # this run's files
        save_pickle(self.root, ORIGINS_FILE, {"format": ORIGINS_FORMAT, "code": self.code, "files": kept})
        self.changed = False
