"""Rendering message texts and town blocks with Jinja2, safely and strictly.

Texts may use the town's profile (``{{ town.name }}``, ``{{ town.contacts.phone }}``, ...) and
the stage (``{{ stage.label }}``). Templates run in Jinja2's ``ImmutableSandboxedEnvironment``
(a town editor's template cannot reach Python internals, nor change the profile another message
is rendered with), with ``*`` and ``**`` bounded so one template cannot build a gigabyte string,
and with ``StrictUndefined`` (a missing field is an error naming town, message and field, never
an empty string in a parent's phone).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Mapping

import jinja2
from jinja2 import meta, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

from kizuna.catalog.errors import TemplateError

#: Separator between the national text and the town's block.
BLOCK_SEPARATOR = "\n\n"

#: Longest string or list a template may build with ``*``, and largest ``**`` result.
MAX_PRODUCT = 10_000


class _Sandbox(ImmutableSandboxedEnvironment):
    """The immutable sandbox, with ``*`` and ``**`` limited (the sandbox bounds ``range`` only)."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and isinstance(right, (int, float)) and abs(right) > 64:
            raise SecurityError("exponent too large")
        if operator == "*":
            for seq, times in ((left, right), (right, left)):
                if isinstance(seq, (str, list, tuple)) and isinstance(times, int) and len(seq) * times > MAX_PRODUCT:
                    raise SecurityError("repetition too long")
        return super().call_binop(context, operator, left, right)


_ENV = _Sandbox(undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=False)


def _looks_templated(text: str) -> bool:
    return "{" in text


@lru_cache(maxsize=65536)
def _compile(source: str) -> jinja2.Template:
    return _ENV.from_string(source)


_FIELD_RE = re.compile(r"\{\{\s*([A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z][A-Za-z0-9_]*)*)\s*\}\}")
_DICT_ATTRIBUTES = frozenset(dir(dict))


def _field_text(context: Mapping[str, Any], path: str) -> str | None:
    """What Jinja2 prints for ``{{ path }}`` when every part is a plain mapping key holding
    text or a number at the end; ``None`` when Jinja2 itself must decide."""
    value: Any = context
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value or part in _DICT_ATTRIBUTES:
            return None
        value = value[part]
    return value if isinstance(value, str) else str(value) if type(value) in (int, float) else None


def _split_fields(source: str) -> tuple[list[str], list[str]] | None:
    """``(literals, paths)`` of a template that only prints fields (``{{ town.name }}``):
    ``literals`` has one more item than ``paths``; ``None`` for anything else (statements,
    filters, expressions), which Jinja2 must read."""
    if "{%" in source or "{#" in source or "\r" in source:
        return None
    literals: list[str] = []
    paths: list[str] = []
    pos = 0
    for match in _FIELD_RE.finditer(source):
        literal = source[pos:match.start()]
        if "{{" in literal or literal.endswith("{"):
            return None
        literals.append(literal)
        paths.append(match.group(1))
        pos = match.end()
    rest = source[pos:]
    if "{{" in rest:
        return None
    literals.append(rest[:-1] if rest.endswith("\n") else rest)  # Jinja2 drops one final newline
    return literals, paths


def _render_fields(source: str, context: Mapping[str, Any]) -> str | None:
    """The fast path of :func:`render`: a template that only prints fields filled in directly,
    exactly as Jinja2 would print it (tested against Jinja2); ``None`` when Jinja2 must render or
    report it. Compiling one Jinja2 template costs about half a millisecond, and a national
    catalog has thousands of texts that only print fields."""
    split = _split_fields(source)
    if split is None:
        return None
    literals, paths = split
    parts = [literals[0]]
    for path, literal in zip(paths, literals[1:]):
        value = _field_text(context, path)
        if value is None:
            return None
        parts += (value, literal)
    return "".join(parts)


def _dotted(node: nodes.Node) -> str | None:
    if isinstance(node, nodes.Name):
        return node.name
    if isinstance(node, nodes.Getattr):
        base = _dotted(node.node)
        return f"{base}.{node.attr}" if base else None
    if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
        base = _dotted(node.node)
        return f"{base}.{node.arg.value}" if base else None
    return None


@lru_cache(maxsize=65536)
def variables_used(source: str) -> frozenset[str]:
    """Dotted variable paths a template reads from outside itself (``town.contacts.phone``),
    longest form only; names the template sets itself (``{% for s in ... %}``) are left out.
    Raises ``TemplateError`` on a syntax error."""
    if not _looks_templated(source):
        return frozenset()
    split = _split_fields(source)
    if split is not None:
        return frozenset(split[1])
    return _variables_from_ast(source)


def _variables_from_ast(source: str) -> frozenset[str]:
    try:
        tree = _ENV.parse(source)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(f"template syntax error on line {exc.lineno}: {exc.message}") from None
    outside = meta.find_undeclared_variables(tree)
    paths: set[str] = set()
    inner: set[int] = set()
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        inner.add(id(node.node))
    for node in tree.find_all((nodes.Name, nodes.Getattr, nodes.Getitem)):
        if id(node) in inner:
            continue
        path = _dotted(node)
        if path and path.split(".")[0] in outside:
            paths.add(path)
    return frozenset(paths)


def field_value(context: Mapping[str, Any], path: str) -> Any:
    """The value at a dotted path of plain mappings (``town.contacts.phone``), or ``None``."""
    value: Any = context
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def has_path(context: Mapping[str, Any], path: str) -> bool:
    value: Any = context
    for part in path.split("."):
        if isinstance(value, Mapping) and part in value:
            value = value[part]
        else:
            return False
    return True


def missing_variables(source: str, context: Mapping[str, Any]) -> list[str]:
    return sorted(p for p in variables_used(source) if not has_path(context, p))


def render(source: str, context: Mapping[str, Any], *, where: str = "") -> str:
    """Render one template; every failure is a ``TemplateError`` that says where and what."""
    fast = _render_fields(source, context)
    if fast is not None:
        return fast
    prefix = f"{where}: " if where else ""
    try:
        return _compile(source).render(context)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(f"{prefix}template syntax error on line {exc.lineno}: {exc.message}") from None
    except jinja2.UndefinedError as exc:
        missing = missing_variables(source, context)
        what = ", ".join(missing) if missing else str(exc)
        raise TemplateError(f"{prefix}the town profile has no field {what}") from None
    except SecurityError:
        raise TemplateError(f"{prefix}the template tries to reach something it may not use; "
                            "use only town.* and stage.* fields") from None
    except Exception as exc:  # a template is user input: any failure is an input error
        raise TemplateError(f"{prefix}could not render the template: {exc}") from None


@dataclass(frozen=True)
class RenderedText:
    national: str
    block: str | None

    @property
    def full(self) -> str:
        return self.national + (BLOCK_SEPARATOR + self.block if self.block else "")


def stage_context(stage: Any) -> dict[str, str]:
    return {"key": str(stage), "label": stage.label_ja}


def render_for_town(text: str, block: str | None, context: Mapping[str, Any], *, town: str,
                    message: str, locale: str) -> RenderedText:
    """Render a message's text and the town's block for one town and locale."""
    where = f"town {town}, message {message} ({locale})"
    national = render(text, context, where=where)
    rendered_block = render(block, context, where=f"{where}, town block") if block else None
    return RenderedText(national, rendered_block)
