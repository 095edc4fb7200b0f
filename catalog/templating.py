"""Rendering message texts and town blocks with Jinja2, safely and strictly.

Texts may use the town's profile (``{{ town.name }}``, ``{{ town.contacts.phone }}``, ...) and
the stage (``{{ stage.label }}``). Templates run in Jinja2's ``ImmutableSandboxedEnvironment``
(a town editor's template cannot reach Python internals, nor change the profile another message
is rendered with), with ``StrictUndefined`` (a missing field is an error naming town, message and
field, never an empty string in a parent's phone), and within budgets (see
:mod:`kizuna.catalog.limits`): every loop together runs at most ``MAX_TEMPLATE_LOOP_ITERATIONS``
times, one rendering takes at most ``MAX_TEMPLATE_SECONDS`` and prints at most
``MAX_TEMPLATE_OUTPUT_CHARS``; ``*``, ``**``, ``%``, ``+``, ``~``, padding and formatting
(``|center``, ``|indent``, ``|format``, ``.ljust``, ``.zfill``, ``'%09d'``, ``.format``), ``.replace``
and ``.join`` cannot build a string longer than the output budget. The globals and filters that
are random or need no place in a message (``lipsum``, ``random``, ``cycler``, ``joiner``,
``namespace``) are removed, so an export stays deterministic.
"""
from __future__ import annotations

import contextvars
import functools
import re
import string
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable, Iterable, Iterator, Mapping

import jinja2
from jinja2 import meta, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError
from jinja2.visitor import NodeTransformer

from kizuna.catalog.errors import TemplateError
from kizuna.catalog.limits import (MAX_TEMPLATE_LOOP_ITERATIONS, MAX_TEMPLATE_OUTPUT_CHARS, MAX_TEMPLATE_PRODUCT,
                                   MAX_TEMPLATE_SECONDS, shorten)
from kizuna.catalog.i18n import _

#: Separator between the national text and the town's block.
BLOCK_SEPARATOR = "\n\n"

#: Longest string or list a template may build with ``*``, and largest ``**`` result.
MAX_PRODUCT = MAX_TEMPLATE_PRODUCT

#: Globals a message template may use (Jinja2's others are random or have no use in a message).
ALLOWED_GLOBALS = frozenset({"range", "dict"})
#: Jinja2 globals left out: ``lipsum`` is random text, the others keep state across a template.
REMOVED_GLOBALS = frozenset({"lipsum", "cycler", "joiner", "namespace"})
#: Filters removed from the sandbox: ``random`` makes exports non-deterministic.
REMOVED_FILTERS = frozenset({"random"})


class BudgetExceeded(SecurityError):
    """A template went over one of its budgets; the message says which."""


@dataclass
class _Budget:
    deadline: float
    iterations: int = 0

    def tick(self, steps: int = 1) -> None:
        self.iterations += steps
        if self.iterations > MAX_TEMPLATE_LOOP_ITERATIONS:
            raise BudgetExceeded(_("its loops run more than {MAX_TEMPLATE_LOOP_ITERATIONS:,} times").format(MAX_TEMPLATE_LOOP_ITERATIONS=MAX_TEMPLATE_LOOP_ITERATIONS))
        self.check_time()

    def check_time(self) -> None:
        if time.monotonic() > self.deadline:
            raise BudgetExceeded(_("it takes longer than {MAX_TEMPLATE_SECONDS:g} seconds to render").format(MAX_TEMPLATE_SECONDS=MAX_TEMPLATE_SECONDS))


_BUDGET: contextvars.ContextVar[_Budget | None] = contextvars.ContextVar("kizuna_template_budget", default=None)


def _budget() -> _Budget:
    budget = _BUDGET.get()
    # rendered outside render() (straight through Jinja2): each loop and call gets its own budget
    return budget if budget is not None else _Budget(time.monotonic() + MAX_TEMPLATE_SECONDS)


def _long(value: Any) -> bool:
    return isinstance(value, (str, list, tuple)) and len(value) > MAX_TEMPLATE_OUTPUT_CHARS


def _too_long(what: str) -> BudgetExceeded:
    return BudgetExceeded(_("{what} would be longer than {MAX_TEMPLATE_OUTPUT_CHARS:,} characters").format(what=what, MAX_TEMPLATE_OUTPUT_CHARS=MAX_TEMPLATE_OUTPUT_CHARS))


def _loop(iterable: Iterable[Any]) -> Iterator[Any]:
    """What every ``{% for %}`` iterates through: the loop budget and the clock, per step."""
    budget = _budget()
    for item in iterable:
        budget.tick()
        yield item


def _concat(*parts: Any) -> str:
    """``a ~ b``: the result may not pass the output budget."""
    texts = [str(p) for p in parts]
    if sum(len(t) for t in texts) > MAX_TEMPLATE_OUTPUT_CHARS:
        raise _too_long("the joined text")
    return "".join(texts)


def _range(*args: int) -> range:
    result = range(*args)
    if len(result) > MAX_TEMPLATE_LOOP_ITERATIONS:
        raise BudgetExceeded(_("range() of {count:,} numbers is over the loop budget of "
                             "{MAX_TEMPLATE_LOOP_ITERATIONS:,}").format(count=len(result), MAX_TEMPLATE_LOOP_ITERATIONS=MAX_TEMPLATE_LOOP_ITERATIONS))
    return result


_PERCENT_RE = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?")
_DIGITS_RE = re.compile(r"\d+")


def _percent_ok(fmt: str) -> bool:
    """True when no ``%`` conversion of ``fmt`` pads beyond the product budget (``%09d`` is fine,
    ``%0900000000d`` and ``%*d`` are not)."""
    for match in _PERCENT_RE.finditer(fmt):
        for width in match.groups():
            if width == "*" or (width and int(width) > MAX_PRODUCT):
                return False
    return True


def _format_ok(fmt: str) -> bool:
    """True when no replacement field of a ``str.format`` string pads beyond the budget."""
    try:
        fields = list(string.Formatter().parse(fmt))
    except ValueError:
        return True  # str.format itself will refuse it
    for _literal, _name, spec, _conversion in fields:
        if spec and (any(int(d) > MAX_PRODUCT for d in _DIGITS_RE.findall(spec)) or "{" in spec):
            return False
    return True


def _numbers_ok(args: Iterable[Any]) -> bool:
    return all(not (isinstance(a, (int, float)) and not isinstance(a, bool) and abs(a) > MAX_PRODUCT)
               for a in args)


_PADDING_METHODS = frozenset({"ljust", "rjust", "center", "zfill", "expandtabs"})


def _check_call(obj: Any, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> None:
    """Refuse, before it runs, a string method call that would build a huge string."""
    target = getattr(obj, "__wrapped__", obj)  # the sandbox wraps str.format
    owner = getattr(target, "__self__", None)
    name = getattr(target, "__name__", "")
    if not isinstance(owner, str):
        return
    if name in _PADDING_METHODS and not _numbers_ok([*args, *kwargs.values()]):
        raise _too_long(f".{name}()")
    if name in ("format", "format_map") and not _format_ok(owner):
        raise _too_long(".format()")
    if name == "replace" and len(args) >= 2 and isinstance(args[0], str) and isinstance(args[1], str):
        count = owner.count(args[0]) if args[0] else len(owner) + 1
        if len(owner) + count * (len(args[1]) - len(args[0])) > MAX_TEMPLATE_OUTPUT_CHARS:
            raise _too_long(".replace()")
    if name == "join" and args:
        items = args[0]
        if isinstance(items, (list, tuple)) and (
                sum(len(i) if isinstance(i, str) else 1 for i in items) + len(owner) * len(items)
                > MAX_TEMPLATE_OUTPUT_CHARS):
            raise _too_long(".join()")


#: Filters whose numeric arguments are sizes (a width, a count of parts), not values to print.
_SIZE_FILTERS = frozenset({"center", "indent", "batch", "slice", "wordwrap", "truncate"})


def _guarded_filter(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    """A filter that refuses huge sizes (``|center(1e9)``, ``|indent(1e9)``, ``|slice(1e9)``,
    ``|batch(1e9, 'x')``), a padding ``|format`` string, and a result over the output budget."""

    @functools.wraps(func)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        _budget().check_time()
        values = [a for a in args if not isinstance(a, (jinja2.runtime.Context, jinja2.nodes.EvalContext,
                                                           jinja2.Environment))]
        if name in _SIZE_FILTERS and not _numbers_ok([*values[1:], *kwargs.values()]):
            raise BudgetExceeded(_("|{name} is given a number over {MAX_PRODUCT:,}").format(name=name, MAX_PRODUCT=MAX_PRODUCT))
        if name == "format" and values and isinstance(values[0], str) and not _percent_ok(values[0]):
            raise _too_long("|format")
        if name == "replace" and len(values) >= 3:
            _check_call(str(values[0]).replace, tuple(values[1:3]), {})
        result = func(*args, **kwargs)
        if _long(result):
            raise _too_long(f"|{name}")
        return result

    return guarded


class _Guards(NodeTransformer):
    """Rewrites a parsed template so every loop and every ``~`` goes through the budget."""

    def __init__(self, environment: jinja2.Environment) -> None:
        self.environment = environment

    def _call(self, name: str, args: list[nodes.Expr], lineno: int) -> nodes.Call:
        call = nodes.Call(nodes.Name(name, "load"), args, [], None, None)
        call.set_lineno(lineno)
        call.set_environment(self.environment)
        return call

    def visit_For(self, node: nodes.For) -> nodes.Node:
        self.generic_visit(node)
        node.iter = self._call(_LOOP_GUARD, [node.iter], node.lineno)
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        self.generic_visit(node)
        return self._call(_CONCAT_GUARD, list(node.nodes), node.lineno)


_LOOP_GUARD = "_kizuna_loop"
_CONCAT_GUARD = "_kizuna_concat"


class _Sandbox(ImmutableSandboxedEnvironment):
    """The immutable sandbox, with the budgets of the module docstring."""

    intercepted_binops = frozenset({"*", "**", "%", "+"})

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.globals = {k: v for k, v in self.globals.items() if k in ALLOWED_GLOBALS}
        self.globals["range"] = _range
        self.globals[_LOOP_GUARD] = _loop
        self.globals[_CONCAT_GUARD] = _concat
        self.filters = {name: _guarded_filter(name, f) for name, f in self.filters.items()
                        if name not in REMOVED_FILTERS}

    def _generate(self, source: Any, name: Any, filename: Any, defer_init: bool = False) -> Any:
        if isinstance(source, nodes.Template):
            source = _Guards(self).visit(source)
        return super()._generate(source, name, filename, defer_init)

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        _budget().check_time()
        if operator == "**" and isinstance(right, (int, float)) and abs(right) > 64:
            raise SecurityError(_("exponent too large"))
        if operator == "*":
            for seq, times in ((left, right), (right, left)):
                if isinstance(seq, (str, list, tuple)) and isinstance(times, int) and len(seq) * times > MAX_PRODUCT:
                    raise SecurityError(_("repetition too long"))
        if operator == "%" and isinstance(left, str) and not _percent_ok(left):
            raise _too_long("the % format")
        if operator == "+" and isinstance(left, (str, list, tuple)) and isinstance(right, (str, list, tuple)) \
                and len(left) + len(right) > MAX_TEMPLATE_OUTPUT_CHARS:
            raise _too_long("the sum")
        return super().call_binop(context, operator, left, right)

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        _budget().check_time()
        _check_call(__obj, args, kwargs)
        result = super().call(__context, __obj, *args, **kwargs)
        if _long(result):
            raise _too_long("the call's result")
        return result


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
        raise TemplateError(_("template syntax error on line {lineno}: {message}").format(lineno=exc.lineno, message=exc.message)) from None
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


def _render_budgeted(template: jinja2.Template, context: Mapping[str, Any]) -> str:
    """Render within the budgets; the output is counted chunk by chunk as it is produced."""
    token = _BUDGET.set(_Budget(time.monotonic() + MAX_TEMPLATE_SECONDS))
    try:
        parts: list[str] = []
        total = 0
        for chunk in template.generate(context):
            total += len(chunk)
            if total > MAX_TEMPLATE_OUTPUT_CHARS:
                raise _too_long("the rendered text")
            parts.append(chunk)
        return "".join(parts)
    finally:
        _BUDGET.reset(token)


def render(source: str, context: Mapping[str, Any], *, where: str = "") -> str:
    """Render one template; every failure is a ``TemplateError`` that says where and what."""
    fast = _render_fields(source, context)
    if fast is not None:
        return fast
    prefix = f"{where}: " if where else ""
    try:
        return _render_budgeted(_compile(source), context)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(_("{prefix}template syntax error on line {lineno}: {message}").format(prefix=prefix, lineno=exc.lineno, message=exc.message)) from None
    except jinja2.UndefinedError as exc:
        missing = missing_variables(source, context)
        removed = sorted({p.split(".")[0] for p in missing} & REMOVED_GLOBALS)
        if removed:
            raise TemplateError(_("{prefix}{removed} may not be used in a message template "
                                "(random text or state that would make exports differ run to run)").format(prefix=prefix, removed=', '.join(removed))) from None
        what = ", ".join(missing) if missing else shorten(str(exc), 200)
        raise TemplateError(_("{prefix}the town profile has no field {what}").format(prefix=prefix, what=what)) from None
    except BudgetExceeded as exc:
        raise TemplateError(_("{prefix}the template is refused: {exc}; a message template only fills in "
                            "town.* and stage.* fields").format(prefix=prefix, exc=exc)) from None
    except SecurityError:
        raise TemplateError(_("{prefix}the template tries to reach something it may not use; "
                            "use only town.* and stage.* fields").format(prefix=prefix)) from None
    except RecursionError:
        raise TemplateError(_("{prefix}the template calls itself without end").format(prefix=prefix)) from None
    except Exception as exc:  # a template is user input: any failure is an input error
        raise TemplateError(_("{prefix}could not render the template: "
                            "{kind}: {exc}").format(prefix=prefix, kind=type(exc).__name__, exc=shorten(str(exc), 200))) from None


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


# --- one rendering per distinct (template, field values), shared by the consumers of a run -------

@lru_cache(maxsize=65536)
def _reads_known(source: str) -> bool:
    """Whether :func:`variables_used` names everything ``source`` reads from outside (no
    subscript by a computed key, no bare ``town``): then its output depends on the values at
    those paths alone."""
    if _split_fields(source) is not None:
        return True
    try:
        tree = _ENV.parse(source)
    except jinja2.TemplateSyntaxError:
        return False
    outside = meta.find_undeclared_variables(tree)
    inner = {id(node.node) for node in tree.find_all((nodes.Getattr, nodes.Getitem))}
    for node in tree.find_all((nodes.Name, nodes.Getattr, nodes.Getitem)):
        if id(node) in inner:
            continue
        root = node
        while isinstance(root, (nodes.Getattr, nodes.Getitem)):
            root = root.node
        if isinstance(root, nodes.Name) and root.name in outside and _dotted(node) is None:
            return False
    return True


def render_key(source: str, context: Mapping[str, Any]) -> tuple[Any, ...] | None:
    """What the rendering of ``source`` in ``context`` depends on: the template and the value at
    each path it reads; ``None`` when that cannot be told (a syntax error, a missing field, a
    value that is not text or a number, a read :func:`variables_used` cannot name)."""
    try:
        paths = variables_used(source)
    except TemplateError:
        return None
    if not _reads_known(source):
        return None
    values = []
    for path in sorted(paths):
        if not has_path(context, path):
            return None
        value = field_value(context, path)
        if not (value is None or isinstance(value, (str, int, float, bool))):
            return None
        values.append((path, type(value).__name__, value))
    return (source, tuple(values))


class RenderMemo:
    """Renders each distinct (template, field values) once, for every consumer that shares it
    (the checks of a run, coverage, a preview, an export worker): most towns render a national
    text from the same few field values. A failure is not remembered (its message names the
    town and message it was rendered for): it is rendered, and raised, again. Keep one memo
    per run; it holds every distinct rendering of the run."""

    def __init__(self) -> None:
        self._done: dict[tuple[Any, ...], str] = {}
        self.hits = 0
        self.renders = 0

    def render(self, source: str, context: Mapping[str, Any], *, where: str = "") -> str:
        """:func:`render`, once per distinct (template, field values)."""
        key = render_key(source, context) if _looks_templated(source) else None
        if key is None:
            self.renders += 1
            return render(source, context, where=where)
        found = self._done.get(key)
        if found is None:
            self.renders += 1
            found = self._done[key] = render(source, context, where=where)
        else:
            self.hits += 1
        return found

    def render_for_town(self, text: str, block: str | None, context: Mapping[str, Any], *, town: str,
                        message: str, locale: str) -> RenderedText:
        """:func:`render_for_town` through the memo."""
        where = f"town {town}, message {message} ({locale})"
        national = self.render(text, context, where=where)
        rendered_block = self.render(block, context, where=f"{where}, town block") if block else None
        return RenderedText(national, rendered_block)
