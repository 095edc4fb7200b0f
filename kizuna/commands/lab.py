"""``kizuna lab``: JupyterLab on the workspace, with message notebooks that save straight back."""
from __future__ import annotations

import os

import click

from kizuna.app import App, handle_errors, pass_app
from kizuna.catalog.i18n import N_, _


@click.command(context_settings={"ignore_unknown_options": True})
@click.option("--port", type=click.IntRange(1, 65535), help=N_("Port (default: JupyterLab's, 8888 or the next free)."))
@click.option("--no-browser", is_flag=True, help=N_("Do not open a browser; print the address with its token."))
@click.option("--token", help=N_("The access token (default: a random one JupyterLab prints)."))
@click.argument("jupyter_args", nargs=-1, type=click.UNPROCESSED)
@pass_app
@handle_errors
def lab(app: App, port: int | None, no_browser: bool, token: str | None, jupyter_args: tuple[str, ...]) -> None:
    """Start JupyterLab on the workspace (loopback, token on).

    The folder notebooks/ holds one notebook per stage band and locale; saving one (Ctrl+S)
    merges it into the message files, as 'kizuna author import' does. Further arguments go to
    JupyterLab.
    """
    from kizuna.lab.launch import command, prepare, run  # noqa: PLC0415 - only this command needs Jupyter

    from kizuna.catalog.lock import workspace_lock  # noqa: PLC0415

    ws = app.workspace()  # a broken workspace stops here, with its error
    with workspace_lock(ws.root, "kizuna lab: session settings"):
        env = {**os.environ, **prepare(ws.root)}
    argv = command(ws.root, port=port, browser=not no_browser, token=token, extra=jupyter_args)
    click.echo(_("kizuna lab: JupyterLab on {root} (notebooks/ saves into the workspace; Ctrl+C stops)").format(root=ws.root),
               err=True)
    raise SystemExit(run(argv, env, on_stop=lambda: click.echo(_("kizuna lab: stopping JupyterLab …"), err=True)))


def register(group: click.Group) -> None:
    group.add_command(lab)
