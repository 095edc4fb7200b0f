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

#: every command and the module under kizuna.commands that defines it (each module has
#: ``register(group)``); a module is imported only when one of its commands runs
COMMANDS = {
    "init": "workspace", "demo": "workspace", "stages": "workspace", "towns": "workspace",
    "check": "check", "lint": "check", "coverage": "check",
    "review": "review",
    "author": "author",
    "export": "export", "preview": "export",
    "lab": "lab",
    "survey": "survey",
}
#: the modules, in the order the commands were first listed
COMMAND_MODULES = tuple(dict.fromkeys(COMMANDS.values()))


class LazyGroup(click.Group):
    """The top-level group: a command's module is imported when the command is asked for (a
    ``kizuna check`` does not import the exporters, the Lab or the demo)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(COMMANDS) | set(self.commands))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            load_commands(self, COMMANDS[cmd_name])
        return self.commands.get(cmd_name)


def load_commands(group: click.Group, module: str) -> None:
    """Register the commands of ``kizuna.commands.<module>`` on ``group``, their help in the
    user's language (:mod:`kizuna.helptext`)."""
    before = set(group.commands)
    importlib.import_module(f"kizuna.commands.{module}").register(group)
    for name in set(group.commands) - before:
        translate_help(group.commands[name])


translate_click()  # click's own usage errors speak the user's language too


def _choose_language(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """``--lang`` takes effect as soon as it is read, before click checks the rest of the line."""
    if value:
        set_language(value)
    return value


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
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


translate_help(main)  # help in the user's language, looked up when click formats it (kizuna.helptext)
