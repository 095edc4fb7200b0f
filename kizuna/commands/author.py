"""Authoring commands: ``kizuna author notebook | workbook | import | suggestions``.

``import`` prints a summary per file (applied, conflicted, refused, unchanged) and a line for
everything that was not unchanged. Exit codes: 0 when every change applied (or nothing changed),
1 when something conflicted or was refused (it is kept and reported, nothing is lost), 2 when a
file was broken (nothing applied from it; the other files given are still imported, each on its
own, and the broken ones are named again at the end).
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from kizuna.catalog.errors import KizunaError
from kizuna.catalog.lock import workspace_lock
from kizuna.app import EXIT_BAD_INPUT, EXIT_FINDINGS, App, fail, handle_errors, pass_app
from kizuna.catalog.i18n import N_, _

if TYPE_CHECKING:
    from kizuna.authoring.merge import Report as ImportReport


#: the verdict words of an import's report, as printed (the keys are authoring.merge.Verdict values)
VERDICT_WORDS = {"applied": N_("applied"), "conflict": N_("conflict"), "refused": N_("refused"),
                 "unchanged": N_("unchanged")}


def report_lines(report: "ImportReport", *, verbose: bool = False) -> list[str]:
    """An import's report as printed: its summary line, then a line per item that did not stay
    unchanged (all with ``verbose``) and the import's notes, in the user's language."""
    from kizuna.authoring.merge import Verdict  # noqa: PLC0415

    c = report.counts
    lines = [_("{source}: {applied} applied, {conflict} conflicted, {refused} refused, {unchanged} unchanged").format(
        source=report.source, applied=c["applied"], conflict=c["conflict"], refused=c["refused"],
        unchanged=c["unchanged"])]
    width = max(len(_(w)) for w in [*VERDICT_WORDS.values(), N_("note")])
    for line in report.lines:
        if verbose or line.verdict is not Verdict.UNCHANGED:
            word = _(VERDICT_WORDS.get(line.verdict.value, line.verdict.value))
            lines.append(f"  {word:<{width}} {line.where}: {line.what}")
    lines += [f"  {_('note'):<{width}} {n}" for n in report.notes]
    return lines


@click.group()
def author() -> None:
    """Edit the catalog in notebooks and workbooks, and merge the edits back."""


@author.command()
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help=N_("Folder to write the notebooks into."))
@click.option("--group-by", type=click.Choice(["band", "topic"]), default="band", show_default=True,
              help=N_("One notebook per stage band or per topic."))
@click.option("--band", "only", multiple=True, help=N_("Only this band (or topic); repeatable."))
@click.option("--locale", default=None, help=N_("Locale to edit (default: the source locale)."))
@click.option("--no-findings", is_flag=True, help=N_("Do not run the checks for the notes above each cell."))
@pass_app
@handle_errors
def notebook(app: App, out: Path, group_by: str, only: tuple[str, ...], locale: str | None,
             no_findings: bool) -> None:
    """Write notebooks for writers (one Markdown cell per message)."""
    from kizuna.authoring.notebooks import write_notebooks  # noqa: PLC0415

    with workspace_lock(app.root, "author notebook"):
        written = write_notebooks(app.workspace(), out, group_by=group_by, only=only, locale=locale,
                                  findings=not no_findings)
    for path in written:
        click.echo(str(path))


@author.command()
@click.option("--by", "reviewer", default=None,
              help=N_("Reviewer (id or name): their queue; also the holder of a town or translation workbook."))
@click.option("--town", default=None, help=N_("Municipality code: the town's profile and local blocks."))
@click.option("--locale", default=None, help=N_("Target locale: a translator's workbook."))
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help=N_("The .xlsx file to write."))
@click.option("--no-findings", is_flag=True, help=N_("Leave the findings column empty (do not run the checks)."))
@pass_app
@handle_errors
def workbook(app: App, reviewer: str | None, town: str | None, locale: str | None, out: Path,
             no_findings: bool) -> None:
    """Write a workbook for one person's job (--by REVIEWER | --town CODE | --locale L)."""
    from kizuna.authoring.workbooks import write_workbook  # noqa: PLC0415

    if town and locale:
        fail(_("give --town or --locale, not both"))
    if not (reviewer or town or locale):
        fail(_("say whose workbook: --by REVIEWER, --town CODE or --locale L"))
    with workspace_lock(app.root, "author workbook"):
        made = write_workbook(app.workspace(), out, reviewer=reviewer, town=town, locale=locale,
                              findings=not no_findings)
    click.echo(str(made))


@author.command(name="import")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--verbose", "-v", is_flag=True, help=N_("Also list the unchanged items."))
@pass_app
@handle_errors
def import_(app: App, files: tuple[Path, ...], verbose: bool) -> None:
    """Merge edited notebooks (.ipynb) or workbooks (.xlsx) back into the workspace."""
    from kizuna.authoring.importer import import_file  # noqa: PLC0415
    from kizuna.authoring.merge import Verdict  # noqa: PLC0415

    from kizuna.catalog.workspace import load_workspace  # noqa: PLC0415

    trouble, broken = False, []
    root = app.root
    for path in files:
        # each file against the workspace as it is now, read and merged under the workspace lock
        # (import_file takes it and reloads the workspace; a broken workspace stops here)
        with workspace_lock(root, "author import"):
            ws = load_workspace(root)
            try:
                report = import_file(ws, path)
            except KizunaError as exc:  # a broken file applies nothing; the other files still import
                click.echo(_("kizuna: error: {message}").format(message=exc), err=True)
                broken.append(str(path))
                continue
        for line in report_lines(report, verbose=verbose):
            click.echo(line)
        trouble |= bool(report.of(Verdict.CONFLICT) or report.of(Verdict.REFUSED))
    if broken:
        if len(files) > 1:
            click.echo(_("kizuna: error: nothing was applied from {count} broken file(s): "
                       "{broken}").format(count=len(broken), broken=', '.join(broken)), err=True)
        raise SystemExit(EXIT_BAD_INPUT)
    if trouble:
        raise SystemExit(EXIT_FINDINGS)


@author.command()
@click.option("--drop", "drop_id", default=None, help=N_("Remove the suggestion with this id."))
@pass_app
@handle_errors
def suggestions(app: App, drop_id: str | None) -> None:
    """List the pending suggestions (edits that conflicted on import), or drop one."""
    from kizuna.authoring import suggestions as store  # noqa: PLC0415

    if drop_id:
        with workspace_lock(app.root, "author suggestions --drop"):
            ws = app.workspace()
            path = store.drop(ws.root, drop_id)
        if path is None:
            fail(_("no suggestion with id {drop_id}").format(drop_id=drop_id))
        click.echo(_("dropped {id} from {path}").format(id=drop_id, path=path.relative_to(ws.root)))
        return
    ws = app.workspace()
    for s in store.pending(ws):
        body = _("(delete)") if s.text is None else s.text.replace("\n", " ")
        click.echo(_("{id}  {target}  by {by}  from {source}").format(
            id=s.id, target=s.target.describe(), by=s.by or "-", source=s.source) + f"\n    {body}")


def demo_step(root: Path) -> list[str]:
    """The demo's authoring views: the writers' notebooks, the first town's workbook and the
    workbook of the reviewer with the longest queue, in ``out/authoring``."""
    from kizuna.catalog.workspace import load_workspace  # noqa: PLC0415
    from kizuna.authoring.notebooks import write_notebooks  # noqa: PLC0415
    from kizuna.authoring.workbooks import write_workbook  # noqa: PLC0415
    from kizuna.review.signoff import queue  # noqa: PLC0415

    ws = load_workspace(root)
    out = root / "out" / "authoring"
    notebooks = write_notebooks(ws, out / "notebooks")
    lines = [f"{len(notebooks)} notebooks for writers in {out.relative_to(root) / 'notebooks'}"]
    waiting = {r: len(queue(ws, r)) for r in ws.reviewers}
    if waiting:
        busiest = max(waiting, key=lambda r: waiting[r])
        path = write_workbook(ws, out / f"review-{busiest}.xlsx", reviewer=busiest)
        lines.append(f"workbook for {busiest} ({waiting[busiest]} items waiting): {path.relative_to(root)}")
    if ws.towns:
        code = next(iter(ws.towns))
        path = write_workbook(ws, out / f"town-{code}.xlsx", town=code)
        lines.append(f"workbook for town {code}: {path.relative_to(root)}")
    lines.append("edit them, then: kizuna author import FILE")
    return lines


def register(group: click.Group) -> None:
    group.add_command(author)
