"""Findings as SARIF 2.1.0 (https://docs.oasis-open.org/sarif/sarif/v2.1.0/), for code-scanning
views and editors.

One run, tool ``kizuna`` with every registered rule as a ``reportingDescriptor``. Each result has
the rule, the level (``info`` → ``note``), the message (with the suggestion), the file
(workspace-relative ``artifactLocation.uri``), and — when the finding has a position in a message
text or a town block stored as a YAML literal block (``text: |-``) — the region in the *file*, so
an editor marks the right line. A finding the message ignores carries a ``suppressions`` entry
(``inSource``, with the written reason).
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Iterable

from review.checks.engine import RULES
from review.findings import Finding

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
_LEVELS = {"error": "error", "warning": "warning", "info": "note"}
_KEY_RE = re.compile(r"^(\s*)(?:- )?([^\s:#][^:]*):\s*(.*)$")


def _find_key(lines: list[str], key: str, start: int, min_indent: int = -1) -> int | None:
    for i in range(start, len(lines)):
        m = _KEY_RE.match(lines[i])
        if m and m.group(2).strip("'\"") == key and len(m.group(1)) > min_indent:
            return i
    return None


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" -"))


def text_origin(path: Path, finding: Finding) -> tuple[int, int] | None:
    """``(line, indent)`` in the YAML file where the checked text's first line starts (0-based
    line), for a message text or a town block written as a literal block; ``None`` otherwise."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    if finding.message_id:
        anchor = next((i for i, ln in enumerate(lines)
                       if re.match(rf"^\s*(?:- )?id:\s*['\"]?{re.escape(finding.message_id)}['\"]?\s*$", ln)), None)
        texts = _find_key(lines, "texts", anchor or 0) if anchor is not None else None
        loc = _find_key(lines, finding.locale or "", texts + 1, _indent(lines[texts])) if texts is not None else None
        key = _find_key(lines, "text", loc + 1, _indent(lines[loc])) if loc is not None else None
    elif finding.stage:
        blocks = _find_key(lines, "blocks", 0)
        key = _find_key(lines, finding.stage, blocks + 1, _indent(lines[blocks])) if blocks is not None else None
        if key is not None and not _KEY_RE.match(lines[key]).group(3).startswith("|"):  # type: ignore[union-attr]
            key = _find_key(lines, finding.locale or "", key + 1, _indent(lines[key]))
    else:
        return None
    if key is None or key + 1 >= len(lines):
        return None
    value = _KEY_RE.match(lines[key]).group(3)  # type: ignore[union-attr]
    if not value.startswith("|"):
        return None
    first = lines[key + 1]
    return key + 1, len(first) - len(first.lstrip(" "))


def _region(finding: Finding, root: Path | None) -> dict[str, int] | None:
    if finding.line is None or finding.path is None or root is None:
        return None
    origin = text_origin(root / finding.path, finding)
    if origin is None:
        return None
    line0, indent = origin
    region = {"startLine": line0 + finding.line, "startColumn": indent + (finding.column or 1)}
    return region


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
    for f in findings:
        text = f.message + (f"\n→ {f.suggestion}" if f.suggestion else "")
        result: dict[str, Any] = {"ruleId": f.rule, "ruleIndex": index[f.rule], "level": _LEVELS[f.level],
                                  "message": {"text": text}}
        location: dict[str, Any] = {}
        if f.path:
            physical: dict[str, Any] = {"artifactLocation": {"uri": Path(f.path).as_posix(),
                                                            "uriBaseId": "WORKSPACE"}}
            region = _region(f, root)
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
    }
    if root is not None:
        run["originalUriBaseIds"] = {"WORKSPACE": {"uri": Path(root).resolve().as_uri() + "/"}}
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}
