"""YAML reading and writing for workspace files: strict on read, stable on write.

Reading refuses duplicate keys (PyYAML would silently keep the last one and lose the other).
Writing is stable so that a one-word edit is a one-line diff: keys in the order given, no line
wrapping, multi-line strings and every ``text`` field as literal blocks (``|-``), Japanese
unescaped, files written atomically (temporary file, then rename).
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import yaml

from kizuna.catalog.errors import WorkspaceError

_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _StrictLoader(_BaseLoader):  # type: ignore[misc, valid-type]
    """Safe loader that refuses duplicate mapping keys."""


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    loader.flatten_mapping(node)
    seen: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key '{key}' (the second would silently replace the first)",
                key_node.start_mark)
        seen[key] = loader.construct_object(value_node, deep=deep)
    return seen


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)

BLOCK_KEYS = frozenset({"text"})


class _StableDumper(yaml.SafeDumper):
    """Dumper with literal blocks for text and no aliases."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


class _Literal(str):
    pass


def _literal_representer(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", str(data), style="|")


def _str_representer(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    if "\n" in data:
        return _literal_representer(dumper, data)
    return dumper.represent_scalar("tag:yaml.org,2002:str", data)


_StableDumper.add_representer(_Literal, _literal_representer)
_StableDumper.add_representer(str, _str_representer)


def literal(text: str) -> str:
    """Mark ``text`` to be written as a literal block (``|-``) wherever it sits."""
    return _Literal(text) if text and not text[-1].isspace() else text


def _mark_blocks(value: Any, key: str | None = None) -> Any:
    if isinstance(value, dict):
        return {k: _mark_blocks(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_mark_blocks(v) for v in value]
    if isinstance(value, str) and key in BLOCK_KEYS:
        return literal(value)
    return value


def loads(text: str, path: str | Path) -> Any:
    """Parse YAML text; a syntax error becomes a ``WorkspaceError`` naming file, line, column."""
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a safe loader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise WorkspaceError(f"not valid YAML: {problem}", path=path, location=where) from None


def read(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise WorkspaceError("is not UTF-8 text; save it as UTF-8", path=path) from None
    except FileNotFoundError:
        raise WorkspaceError("file not found", path=path) from None
    return loads(text, path)


def dumps(data: Any) -> str:
    return yaml.dump(_mark_blocks(data), Dumper=_StableDumper, allow_unicode=True,
                     sort_keys=False, width=10**6, default_flow_style=False, indent=2)


def write_atomic(path: Path, content: str | bytes) -> None:
    """Write ``content`` to ``path`` through a temporary file in the same folder and a rename,
    so a reader never sees half a file and an interrupted write leaves the old file intact."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = content.encode("utf-8") if isinstance(content, str) else content
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o666 & ~_umask()
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, mode)  # mkstemp makes 0600; keep the file's mode, or the umask's default
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    current = os.umask(0o022)
    os.umask(current)
    return current


def write(path: Path, data: Any, header: str = "") -> None:
    write_atomic(path, header + dumps(data))
