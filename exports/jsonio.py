"""Deterministic JSON text for exports: sorted keys, real UTF-8, one list item per line.

Export documents put their main lists (entries, pushes, the manifest's files) one item per line
(compact, keys sorted) after a head of fixed keys, so that a changed message is a changed line
in any text diff. Small documents are indented.
"""
from __future__ import annotations

import json
from typing import Any, Iterable, Mapping, Sequence

import orjson


def compact(value: Any) -> str:
    """One-line JSON with sorted keys (what every item line is), made by orjson: several times
    faster than the standard library's encoder, and item lines are most of an export."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode("utf-8")


def _body(key: str, items: Iterable[Any] | Mapping[str, Any]) -> str:
    """``"key": [...]`` with one item a line, or ``"key": {...}`` with one member a line."""
    if isinstance(items, Mapping):
        rendered = [f"{compact(k)}: {compact(v)}" for k, v in items.items()]
        opening, closing = "{", "}"
    else:
        rendered = [compact(item) for item in items]
        opening, closing = "[", "]"
    if not rendered:
        return f" {compact(key)}: {opening}{closing}"
    return f" {compact(key)}: {opening}\n" + ",\n".join("  " + r for r in rendered) + f"\n {closing}"


def document(head: Sequence[tuple[str, Any]], *bodies: tuple[str, Iterable[Any] | Mapping[str, Any]]) -> bytes:
    """A JSON object: the ``head`` keys in the given order, one a line, then each body — a list
    with one item a line, or a mapping with one member a line; UTF-8, ``\n`` line ends, a final
    newline."""
    parts = [f" {compact(key)}: {compact(value)}" for key, value in head]
    parts += [_body(key, items) for key, items in bodies]
    return ("{\n" + ",\n".join(parts) + "\n}\n").encode("utf-8")


def pretty(value: Any) -> bytes:
    """Indented JSON with sorted keys, UTF-8, final newline (manifests, small files)."""
    return (json.dumps(value, ensure_ascii=False, sort_keys=True, indent=2) + "\n").encode("utf-8")


def lines(items: Iterable[Any]) -> bytes:
    """NDJSON: one compact object a line."""
    return "".join(compact(item) + "\n" for item in items).encode("utf-8")
