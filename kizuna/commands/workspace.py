"""Workspace commands: ``init``, ``demo``, ``stages`` and ``towns``."""
from __future__ import annotations

import csv
import io
import shutil
from datetime import date
from pathlib import Path

import click

from kizuna.catalog.errors import StageError
from kizuna.catalog.municipalities import lookup, search
from kizuna.catalog.stages import Stage
from kizuna.catalog.lock import workspace_lock
from kizuna.catalog.workspace import check_new_workspace, init_workspace
from kizuna.app import EXIT_FINDINGS, fail, handle_errors
from kizuna.demo import run_demo, sample_root
from kizuna.review.coverage import MILESTONES_FILE
from kizuna.catalog.i18n import N_, _


def _date(ctx: click.Context, param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(_("'{value}' is not a date; write YYYY-MM-DD").format(value=value)) from None


@click.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--title", default="", help=N_("A title for the workspace."))
@handle_errors
def init(directory: Path, title: str) -> None:
    """Create an empty workspace in DIRECTORY (a git repository), with the dated milestones
    (milestones.yaml) the coverage check holds a catalog to, for experts to review."""
    check_new_workspace(directory)  # before anything is written
    directory.mkdir(parents=True, exist_ok=True)
    with workspace_lock(directory, "init"):
        init_workspace(directory, title=title)
        shutil.copyfile(sample_root() / MILESTONES_FILE, directory / MILESTONES_FILE)
    click.echo(_("empty workspace created in {directory} (with {milestones}: review its dates and windows)").format(
        directory=directory, milestones=MILESTONES_FILE))


@click.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path), default="kizuna-demo")
@handle_errors
def demo(directory: Path) -> None:
    """Copy the sample workspace into DIRECTORY and run the main job end to end."""
    check_new_workspace(directory)  # before anything is written
    directory.mkdir(parents=True, exist_ok=True)
    with workspace_lock(directory, "demo"):
        run_demo(directory, click.echo)


@click.command()
@click.argument("stage")
@click.option("--due", callback=_date, help=N_("Due date (出産予定日), YYYY-MM-DD."))
@click.option("--birth", callback=_date, help=N_("Birth date (生年月日), YYYY-MM-DD."))
@click.option("--legal", is_flag=True,
              help=N_("With --birth, also the legal days (年齢計算ニ関スル法律): the day the age is reached "
                   "(the day before the anniversary), the last day of a period 'until' STAGE and the "
                   "first day of one 'from' STAGE."))
@handle_errors
def stages(stage: str, due: date | None, birth: date | None, legal: bool) -> None:
    """Show the label of STAGE and, given --due or --birth, its calendar date."""
    if due and birth:
        fail(_("give --due or --birth, not both"))
    parsed = Stage.parse(stage)
    if legal and (birth is None or parsed.phase != "B"):
        fail(_("--legal needs an after-birth stage and --birth DATE (legal ages count from the birth)"))
    line = f"{parsed}\t{parsed.label_ja}"
    if due or birth:
        try:
            line += f"\t{parsed.resolve(due=due, birth=birth).isoformat()}"
        except StageError as exc:
            fail(_("{message}; {value} stage "
                 "is counted from the {value2}").format(message=exc.message, value=_('a pregnancy') if parsed.phase == 'P' else _('an after-birth'), value2=_('due date (--due)') if parsed.phase == 'P' else _('birth date (--birth)')))
    click.echo(line)
    if legal and birth is not None:
        end, start = parsed.legal_end(birth), parsed.legal_start(birth)
        if parsed.is_age:
            click.echo(f"{parsed.label_ja}に達する日 {end.isoformat()}（年齢計算ニ関スル法律: 応当日の前日）")
        click.echo(f"{parsed.label_ja}に至るまで: {end.isoformat()} まで\t{parsed.label_ja}から: "
                   f"{start.isoformat()} から")


@click.command()
@click.argument("query", required=False, default="")
@click.option("--format", "fmt", type=click.Choice(["text", "csv"]), default="text", show_default=True)
@handle_errors
def towns(query: str, fmt: str) -> None:
    """Look up municipalities by code or name; with no QUERY, list all 1,741."""
    q = query.strip()
    if len(q) == 6 and q.isdigit():
        found = [lookup(q)]
    else:
        found = search(q)
    if not found:
        click.echo(_("kizuna: no municipality matches '{query}'").format(query=query), err=True)
        raise SystemExit(EXIT_FINDINGS)
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(["code", "prefecture", "name"])
        writer.writerows([m.code, m.prefecture, m.name] for m in found)
        click.echo(buf.getvalue(), nl=False)
    else:
        for m in found:
            click.echo(f"{m.code}  {m.prefecture}  {m.name}")


def register(group: click.Group) -> None:
    for command in (init, demo, stages, towns):
        group.add_command(command)
