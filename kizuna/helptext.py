"""Command help in the user's language: ``kizuna --help`` in Japanese for a Japanese locale.

Click reads a command's help (its docstring) and each option's ``help=`` when the module is
imported, before ``--lang`` or the locale is known. So the texts stay English in the code and
are translated when click *formats* help: :func:`translate_help` gives every command of the
tree (and each of its options) help-formatting methods that look the text up in the
gettext catalog (:mod:`kizuna.catalog.i18n`) at that moment, so ``kizuna --lang ja check
--help`` and ``LANG=ja_JP.UTF-8 kizuna check --help`` both read Japanese.

What is translated: command docstrings (extracted by :func:`extract`, the Babel extraction
method ``babel.cfg`` names for ``kizuna/cli.py`` and ``kizuna/commands/``), option ``help=``
texts (marked with ``N_`` in the code), click's own section headings and its ``--help`` and
``--version`` option texts.
"""
from __future__ import annotations

import ast
import inspect
from types import MethodType
from typing import IO, Any, Iterator

import click

from kizuna.catalog.i18n import N_, _

#: click's own texts kizuna's help shows (translated in kizuna's catalog)
CLICK_TEXTS = {
    "Usage: ": N_("Usage: "),
    "Options": N_("Options"),
    "Commands": N_("Commands"),
    "Positional arguments": N_("Positional arguments"),
    "Show this message and exit.": N_("Show this message and exit."),
    "Show the version and exit.": N_("Show the version and exit."),
}


def _tr(text: str | None) -> str | None:
    """``text`` in the current language (itself when the catalog has no translation)."""
    return _(text) if text else text


class _Formatter(click.HelpFormatter):
    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, args, prefix=_tr(prefix or "Usage: "))

    def section(self, name: str):  # type: ignore[no-untyped-def]
        return super().section(_tr(name) or name)


class _Context(click.Context):
    formatter_class = _Formatter


def _param_help_record(param: click.Parameter, ctx: click.Context) -> Any:
    """An option's help record with its help in the current language."""
    saved = param.help  # type: ignore[attr-defined]
    param.help = _tr(saved)  # type: ignore[attr-defined]
    try:
        return type(param).get_help_record(param, ctx)
    finally:
        param.help = saved  # type: ignore[attr-defined]


def _help_now(command: click.Command) -> str | None:
    return _tr(inspect.cleandoc(command.help)) if command.help else command.help


def _format_help_text(command: click.Command, ctx: click.Context, formatter: click.HelpFormatter) -> None:
    saved = command.help
    command.help = _help_now(command)
    try:
        type(command).format_help_text(command, ctx, formatter)
    finally:
        command.help = saved


def _short_help(command: click.Command, limit: int = 45) -> str:
    """The first sentence of the translated help (click's own shortening for English)."""
    english = inspect.cleandoc(command.help) if command.help else ""
    text = _tr(english)
    if command.short_help or not text or text == english:
        return type(command).get_short_help_str(command, limit)
    first = " ".join(text.split("\n\n", 1)[0].split())  # the first paragraph, on one line
    return first.split("。", 1)[0] + "。" if "。" in first else first


def _help_option(command: click.Command, ctx: click.Context) -> click.Option | None:
    option = type(command).get_help_option(command, ctx)
    if option is not None:
        _translate_parameter(option)
    return option


def _translate_parameter(param: click.Parameter) -> None:
    if isinstance(param, click.Option):
        param.get_help_record = MethodType(_param_help_record, param)  # type: ignore[method-assign]


def translate_help(command: click.Command) -> click.Command:
    """Make ``command`` and every command under it format their help in the current language
    (the methods are replaced on the objects, which keep their classes)."""
    command.context_class = _Context
    command.format_help_text = MethodType(_format_help_text, command)  # type: ignore[method-assign]
    command.get_short_help_str = MethodType(_short_help, command)  # type: ignore[method-assign]
    command.get_help_option = MethodType(_help_option, command)  # type: ignore[method-assign]
    for param in command.params:
        _translate_parameter(param)
    for sub in getattr(command, "commands", {}).values():
        translate_help(sub)
    return command


# --- extraction (pybabel extract, through babel.cfg) ------------------------------------------------

def _is_command(decorator: ast.expr) -> bool:
    """``@click.command(...)``, ``@author.command(...)``, ``@click.group(...)`` and the like."""
    func = decorator.func if isinstance(decorator, ast.Call) else decorator
    return isinstance(func, ast.Attribute) and func.attr in ("command", "group")


def command_docstrings(source: str) -> Iterator[tuple[int, str]]:
    """``(line, help text)`` of every click command's docstring in ``source``, as click shows it."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and any(map(_is_command, node.decorator_list)):
            doc = ast.get_docstring(node, clean=False)
            if doc:
                yield node.lineno, inspect.cleandoc(doc)


def extract(fileobj: IO[bytes], keywords: Any, comment_tags: Any, options: Any) -> Iterator[tuple[Any, ...]]:
    """Babel extraction method: what ``python`` extracts (``_``, ``N_``) plus command docstrings."""
    from babel.messages.extract import extract_python

    yield from extract_python(fileobj, keywords, comment_tags, options)
    fileobj.seek(0)
    source = fileobj.read().decode(options.get("encoding", "utf-8") if options else "utf-8")
    for line, text in command_docstrings(source):
        yield line, None, text, []
