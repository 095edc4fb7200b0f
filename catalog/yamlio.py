"""YAML reading and writing for workspace files: strict on read, stable on write.

Reading refuses duplicate keys (PyYAML would silently keep the last one and lose the other),
and, before anything is built, a file over :data:`~kizuna.catalog.limits.MAX_YAML_FILE_BYTES`,
anchors and aliases (a few hundred characters of nested aliases expand to gigabytes), nesting
deeper than :data:`~kizuna.catalog.limits.MAX_YAML_DEPTH`, a list or mapping used as a mapping
key, and whole numbers of more than :data:`~kizuna.catalog.limits.MAX_INT_DIGITS` digits; each is a
``WorkspaceError`` naming the file, the line and the field.
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
from kizuna.catalog.limits import MAX_INT_DIGITS, MAX_YAML_DEPTH, MAX_YAML_FILE_BYTES, shorten
from kizuna.catalog.i18n import _

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
                None, None, f"duplicate key {shorten(str(key))} (the second would silently replace the first)",
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


class _Frame:
    """One open mapping or list while the events of a file are walked."""

    __slots__ = ("mapping", "name", "key", "expect_key", "index")

    def __init__(self, mapping: bool, name: str) -> None:
        self.mapping, self.name, self.key, self.expect_key, self.index = mapping, name, None, True, 0

    def child(self) -> str:
        """The field name of the value that comes next in this container."""
        if self.mapping:
            part = self.key if self.key is not None else "?"
            return f"{self.name}.{part}" if self.name else str(part)
        return f"{self.name}[{self.index}]"


_INT_TAG = "tag:yaml.org,2002:int"
_resolver = yaml.resolver.Resolver()


def _refuse(path: str | Path, mark: Any, field: str | None, message: str) -> WorkspaceError:
    where = _("line {line}, column {column}").format(line=mark.line + 1, column=mark.column + 1) if mark is not None else None
    return WorkspaceError(message, path=path, location=where, field=field or None)


def check_events(text: str, path: str | Path) -> None:
    """Walk the parser's events of ``text`` (linear, nothing is built) and refuse what a
    workspace file never needs and an attacker would use: anchors and aliases, nesting deeper
    than ``MAX_YAML_DEPTH``, a list or mapping as a mapping key, and huge whole numbers."""
    stack: list[_Frame] = []
    events = yaml.parse(text, Loader=_BaseLoader)
    while True:
        try:
            event = next(events)
        except StopIteration:
            return
        except yaml.YAMLError:
            return  # the loader reports syntax errors with its own message and place
        top = stack[-1] if stack else None
        is_key = top is not None and top.mapping and top.expect_key
        field = top.name if is_key and top is not None else top.child() if top is not None else ""
        if isinstance(event, yaml.AliasEvent):
            raise _refuse(path, event.start_mark, field, _("uses a YAML alias (*name); workspace files "
                          "may not use anchors or aliases: write the value out in full"))
        if getattr(event, "anchor", None):
            raise _refuse(path, event.start_mark, field, _("uses a YAML anchor (&name); workspace files "
                          "may not use anchors or aliases: write the value out in full"))
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            if is_key:
                raise _refuse(path, event.start_mark, field, _("a list or mapping is used as a key "
                              "(? [a, b]: ...); keys must be plain text"))
            if len(stack) >= MAX_YAML_DEPTH:
                raise _refuse(path, event.start_mark, field, _("is nested more than {MAX_YAML_DEPTH} "
                              "levels deep; a workspace file never needs that").format(MAX_YAML_DEPTH=MAX_YAML_DEPTH))
            stack.append(_Frame(isinstance(event, yaml.MappingStartEvent), field))
            continue
        if isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            stack.pop()
            event = None
        elif isinstance(event, yaml.ScalarEvent):
            value = event.value
            if (event.implicit[0] and len(value) > MAX_INT_DIGITS
                    and _resolver.resolve(yaml.ScalarNode, value, event.implicit) == _INT_TAG):
                raise _refuse(path, event.start_mark, field, _("the number {value} has more "
                              "than {MAX_INT_DIGITS} digits; write it in quotes if it is text").format(value=shorten(value, 30), MAX_INT_DIGITS=MAX_INT_DIGITS))
        else:
            continue
        if top is not None and top is (stack[-1] if stack else None):
            if top.mapping:
                if top.expect_key:
                    top.key = shorten(event.value, 40).strip("'") if event is not None else "?"
                top.expect_key = not top.expect_key
            else:
                top.index += 1
        elif stack:  # a container just closed: it was the value (or item) of the one below
            below = stack[-1]
            if below.mapping:
                below.expect_key = True
            else:
                below.index += 1


def loads(text: str, path: str | Path) -> Any:
    """Parse YAML text; a syntax error becomes a ``WorkspaceError`` naming file, line, column,
    and so does anything :func:`check_events` refuses."""
    check_events(text, path)
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a safe loader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = _("line {line}, column {column}").format(line=mark.line + 1, column=mark.column + 1) if mark else None
        problem = getattr(exc, "problem", None) or shorten(str(exc), 200)
        raise WorkspaceError(_("not valid YAML: {problem}").format(problem=problem), path=path, location=where) from None


def read(path: Path) -> Any:
    """Read and parse one workspace YAML file (see the module docstring for what is refused)."""
    try:
        if path.is_dir():
            raise WorkspaceError(_("is a folder, not a file; remove or rename it"), path=path)
        size = path.stat().st_size
        if size > MAX_YAML_FILE_BYTES:
            raise WorkspaceError(_("is {size:,} bytes, over the limit of {MAX_YAML_FILE_BYTES:,} bytes for "
                                 "a workspace file; split it or remove what does not belong").format(size=size, MAX_YAML_FILE_BYTES=MAX_YAML_FILE_BYTES), path=path)
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise WorkspaceError(_("is not UTF-8 text; save it as UTF-8"), path=path) from None
    except FileNotFoundError:
        raise WorkspaceError(_("file not found"), path=path) from None
    except OSError as exc:
        raise WorkspaceError(_("cannot be read: {value}").format(value=exc.strerror or type(exc).__name__), path=path) from None
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
