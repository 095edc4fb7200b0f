"""The ``kizuna`` command line: a thin shell over catalog, review, authoring and exports.

Commands act on the workspace in the current folder (or a parent), or on ``--workspace DIR``,
the way git finds its repository. Each family of commands lives in ``kizuna/commands/``.
"""
from __future__ import annotations

import importlib
from pathlib import Path

import click

from kizuna import __version__
from kizuna.app import App
from kizuna.catalog.i18n import LANGUAGES, N_, set_language, translate_click
from kizuna.helptext import translate_help

#: Modules under kizuna.commands; each has ``register(group)``.
COMMAND_MODULES = (
    "workspace",
    "check",
    "review",
    "author",
    "export",
    "lab",
    "survey",
)


translate_click()  # click's own usage errors speak the user's language too


def _choose_language(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """``--lang`` takes effect as soon as it is read, before click checks the rest of the line."""
    if value:
        set_language(value)
    return value


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--workspace", "-w", "workspace", type=click.Path(file_okay=False, path_type=Path),
              help=N_("Workspace folder (default: the current folder or the nearest parent with kizuna.yaml)."))
@click.option("--lang", type=click.Choice(LANGUAGES), default=None, is_eager=True, callback=_choose_language,
              help=N_("Language of messages and errors (default: ja when the locale is Japanese, else en; "
                      "or KIZUNA_LANG)."))
@click.version_option(__version__, prog_name="kizuna")
@click.pass_context
def main(ctx: click.Context, workspace: Path | None, lang: str | None) -> None:
    """Draft, check, sign off and export a parenting-support message catalog."""
    if lang:
        set_language(lang)
    ctx.obj = App(workspace)


for _name in COMMAND_MODULES:
    importlib.import_module(f"kizuna.commands.{_name}").register(main)
translate_help(main)  # help in the user's language, looked up when click formats it (kizuna.helptext)
