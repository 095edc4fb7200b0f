"""Export commands: ``kizuna export`` (and ``export diff``, ``export formats``) and ``kizuna preview``.

``kizuna export [--town CODE ... | --all] [--locale L ...] [--format F ...] [--out DIR]`` writes
one folder per town and locale with the canonical JSON and the town's formats, and a manifest,
replacing the previous export atomically. Only signed-off text is exported unless
``--include-unapproved`` (a preview: marked in every file, written to ``out/preview`` by
default so it never replaces the delivery export). Exit codes: 0 done, 2 bad input (a template
naming a missing field, a text a channel cannot carry, an unknown format...; nothing written).
"""
from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Iterator

import click

from kizuna.catalog.lock import workspace_lock
from kizuna.catalog.workspace import load_workspace
from kizuna.exports import registry
from kizuna.exports.approval import approvals
from kizuna.exports.diff import diff_exports, format_text, load_export, to_data
from kizuna.exports.preview import render_text, schedule
from kizuna.exports.render import town_catalog
from kizuna.exports.runner import ExportRequest, ExportResult, Progress, run_export
from kizuna.app import App, fail, handle_errors, pass_app

DEFAULT_OUT = Path("out") / "exports"
DEFAULT_PREVIEW_OUT = Path("out") / "preview"
MAX_WARNINGS = 10


DATE = click.DateTime(formats=["%Y-%m-%d"])


def _day(ctx: click.Context, param: click.Parameter, value: datetime | None) -> date | None:
    return value.date() if value else None


def split_names(values: tuple[str, ...]) -> tuple[str, ...]:
    """``--format csv,xlsx --format line`` -> ``("csv", "xlsx", "line")`` (each once)."""
    names = (v.strip() for value in values for v in value.split(","))
    return tuple(dict.fromkeys(n for n in names if n))


@contextmanager
def progress_bar(total_label: str) -> Iterator[Progress | None]:
    """A rich progress bar on stderr, or nothing when stderr is not a terminal."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress as RichProgress, TimeElapsedColumn

    with RichProgress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(total_label, total=None)

        def update(done: int, total: int, code: str) -> None:
            bar.update(task, completed=done, total=total, description=f"{total_label} {code}")

        yield update


def summary(result: ExportResult) -> list[str]:
    """What an export did, in a few lines."""
    counts = result.manifest["counts"]
    lines = [f"exported {counts['towns']} towns, {counts['catalogs']} catalogs, "
             f"{counts['entries']} messages, {counts['files']} files to {result.out}",
             f"catalog revision {result.manifest['catalog_revision']}"]
    left_out = counts["left_out"]
    if left_out:
        lines.append("left out: " + ", ".join(f"{n} {why}" for why, n in left_out.items()))
    if result.manifest["include_unapproved"]:
        lines.append("includes text that is not signed off (marked 【未承認】): "
                     "a preview, not for delivery")
    elif left_out.get("unapproved") and not counts["entries"]:
        lines.append("nothing is signed off yet; --include-unapproved makes a marked preview")
    return lines


def export_into(root: Path, request: ExportRequest, out: Path | None = None) -> ExportResult:
    """Load the workspace at ``root`` and export it (default folder by approval mode), holding the
    workspace lock from reading the files and the decisions log to the swap of the new export."""
    with workspace_lock(root, "export"):
        ws = load_workspace(root)
        target = out or root / (DEFAULT_PREVIEW_OUT if request.include_unapproved else DEFAULT_OUT)
        with progress_bar("exporting") as progress:
            return run_export(ws, request, target, progress=progress)


@click.group(invoke_without_command=True)
@click.option("--town", "towns", multiple=True, metavar="CODE", help="Town to export (repeatable).")
@click.option("--all", "all_towns", is_flag=True, help="Every town of the workspace (the default).")
@click.option("--locale", "locales", multiple=True, metavar="L",
              help="Only these locales (repeatable or comma-separated; default: each town's).")
@click.option("--format", "formats", multiple=True, metavar="F",
              help="Only these formats (repeatable or comma-separated; default: canonical JSON plus "
                   "the town's channels and backend). See 'kizuna export formats'.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path),
              help="Export folder, replaced atomically (default: out/exports in the workspace, "
                   "out/preview with --include-unapproved).")
@click.option("--include-unapproved", is_flag=True,
              help="Include text that is not signed off, marked as such in every file (a preview).")
@click.option("--as-of", type=DATE, callback=_day, metavar="DATE",
              help="Judge approvals (re-review expiry) as of this date, recorded in the manifest.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), help="Worker processes (default: one per CPU).")
@click.pass_context
@handle_errors
def export(ctx: click.Context, towns: tuple[str, ...], all_towns: bool, locales: tuple[str, ...],
           formats: tuple[str, ...], out: Path | None, include_unapproved: bool, as_of: date | None,
           jobs: int | None) -> None:
    """Export each town's catalog per locale for its delivery backends."""
    if ctx.invoked_subcommand is not None:
        return
    if towns and all_towns:
        fail("give --town CODE or --all, not both")
    app = ctx.ensure_object(App)
    request = ExportRequest(towns=split_names(towns), locales=split_names(locales),
                            formats=split_names(formats), include_unapproved=include_unapproved,
                            as_of=as_of, jobs=jobs)
    result = export_into(app.root, request, out)
    for line in summary(result):
        click.echo(line)
    for warning in result.warnings[:MAX_WARNINGS]:
        click.echo(f"kizuna: warning: {warning}", err=True)
    if len(result.warnings) > MAX_WARNINGS:
        click.echo(f"kizuna: warning: ... and {len(result.warnings) - MAX_WARNINGS} more "
                   f"(all in {result.out / 'manifest.json'})", err=True)


@export.command("diff")
@click.argument("old", type=click.Path(file_okay=False, path_type=Path))
@click.argument("new", type=click.Path(file_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the changes as JSON.")
@handle_errors
def diff_command(old: Path, new: Path, as_json: bool) -> None:
    """What changed from export OLD to export NEW, per town and locale."""
    diffs = diff_exports(load_export(old), load_export(new))
    if as_json:
        click.echo(json.dumps(to_data(diffs), ensure_ascii=False, indent=2, sort_keys=True))
    else:
        click.echo(format_text(diffs), nl=False)


@export.command("formats")
@handle_errors
def formats_command() -> None:
    """List the installed export formats (entry point group kizuna.exporters)."""
    for name, description in registry.describe().items():
        click.echo(f"{name:<10} {description}")


@click.command()
@click.option("--town", "code", required=True, metavar="CODE", help="Town code.")
@click.option("--due", type=DATE, callback=_day, required=True, metavar="DATE",
              help="Due date (出産予定日), YYYY-MM-DD.")
@click.option("--birth", type=DATE, callback=_day, metavar="DATE",
              help="Birth date (生年月日); default: born on the due date.")
@click.option("--days", type=click.IntRange(min=1), help="Only this many days from the start.")
@click.option("--from", "start", type=DATE, callback=_day, metavar="DATE",
              help="Start of the list (default: the first message).")
@click.option("--locale", help="Locale (default: the town's first).")
@click.option("--include-unapproved", is_flag=True,
              help="Include text not signed off (marked 【未承認】).")
@click.option("--as-of", type=DATE, callback=_day, metavar="DATE", help="Judge approvals as of this date.")
@pass_app
@handle_errors
def preview(app: App, code: str, due: date, birth: date | None, days: int | None,
            start: date | None, locale: str | None, include_unapproved: bool,
            as_of: date | None) -> None:
    """The dated list of messages one registrant of a town would get."""
    ws = app.workspace()
    town = ws.town(code)
    chosen = locale or town.locales[0]
    if chosen not in town.locales:
        fail(f"town {code} sends in {', '.join(town.locales)}, not '{chosen}'")
    catalog = town_catalog(ws, town, chosen, approvals(ws, now=as_of),
                           include_unapproved=include_unapproved)
    deliveries = schedule(catalog.entries, catalog.send_time, due=due, birth=birth, start=start, days=days)
    click.echo(render_text(catalog, deliveries, due=due, birth=birth), nl=False)


def demo_step(root: Path) -> list[str]:
    """The demo's export: the signed-off catalog into out/exports, and, when some text is not
    signed off yet, a marked preview into out/preview."""
    result = export_into(root, ExportRequest())
    lines = summary(result)
    if result.manifest["counts"]["left_out"].get("unapproved"):
        preview_result = export_into(root, ExportRequest(include_unapproved=True))
        lines += [f"preview with unapproved text (marked 【未承認】): "
                  f"{preview_result.manifest['counts']['entries']} messages in {preview_result.out}"]
    return lines


def register(group: click.Group) -> None:
    group.add_command(export)
    group.add_command(preview)
