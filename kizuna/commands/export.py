"""Export commands: ``kizuna export`` (and ``export diff``, ``export formats``) and ``kizuna preview``.

``kizuna export [--town CODE ... | --all] [--locale L ...] [--format F ...] [--out DIR]`` writes
one folder per town and locale with the canonical JSON and the town's formats, and a manifest,
replacing the previous export atomically. Only signed-off text is exported unless
``--include-unapproved`` (a preview: marked in every file, written to ``out/preview`` by
default so it never replaces the delivery export). Exit codes: 0 done, 2 bad input (a template
naming a missing field, a text a channel cannot carry, an unknown format...; nothing written).
"""
from __future__ import annotations

import os
import sys
import tempfile
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Iterator

import click

from kizuna.catalog.lock import workspace_lock
from kizuna.catalog.workspace import load_workspace
from kizuna.exports import registry
from kizuna.exports.approval import approvals
from kizuna.exports.changeset import write_html, write_json, write_text
from kizuna.exports.diff import DiffTally, check_comparable, iter_diffs, open_export
from kizuna.exports.preview import render_text, schedule
from kizuna.catalog.errors import KizunaError
from kizuna.catalog.stages import MAX_GESTATIONAL_DAYS, Stage
from kizuna.catalog.tracks import date_at_gestation, gestational_days
from kizuna.exports.registrant import Registrant, header, render_timeline, timeline
from kizuna.exports.render import town_catalog
from kizuna.exports.runner import ExportRequest, ExportResult, Progress, run_export
from kizuna.app import App, fail, handle_errors, pass_app
from kizuna.catalog.i18n import N_, _

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
    lines = [_("exported {towns} towns, {catalogs} catalogs, {entries} messages, {files} files to {out}").format(
                 towns=counts["towns"], catalogs=counts["catalogs"], entries=counts["entries"],
                 files=counts["files"], out=result.out),
             _("catalog revision {revision}").format(revision=result.manifest["catalog_revision"])]
    if result.towns.get("copied") or result.towns.get("patched"):
        lines.append(_("from the previous export: {copied} towns unchanged (files reused), {patched} patched, "
                       "{rendered} rendered (--full renders all)").format(
            copied=result.towns.get("copied", 0), patched=result.towns.get("patched", 0),
            rendered=result.towns.get("rendered", 0)))
    left_out = counts["left_out"]
    if left_out:
        lines.append(_("left out: {reasons}").format(reasons=_(", ").join(
            _(LEFT_OUT[why]).format(count=n) if why in LEFT_OUT else f"{n} {why}" for why, n in left_out.items())))
    if result.manifest["include_unapproved"]:
        lines.append(_("includes text that is not signed off (marked 【未承認】): a preview, not for delivery"))
    elif left_out.get("unapproved") and not counts["entries"]:
        lines.append(_("nothing is signed off yet; --include-unapproved makes a marked preview"))
    return lines


#: why messages were left out of an export (the manifest's ``counts.left_out`` keys), as printed
LEFT_OUT = {"unapproved": N_("{count} unapproved"), "unapproved_block": N_("{count} unapproved_block"),
            "untranslated": N_("{count} untranslated"), "after_end_age": N_("{count} after_end_age")}


def export_into(root: Path, request: ExportRequest, out: Path | None = None) -> ExportResult:
    """Load the workspace at ``root`` and export it (default folder by approval mode), holding the
    workspace lock from reading the files and the decisions log to the swap of the new export."""
    with workspace_lock(root, "export"):
        ws = load_workspace(root)
        target = out or root / (DEFAULT_PREVIEW_OUT if request.include_unapproved else DEFAULT_OUT)
        with progress_bar(_("exporting")) as progress:
            return run_export(ws, request, target, progress=progress)


@click.group(invoke_without_command=True)
@click.option("--town", "towns", multiple=True, metavar="CODE", help=N_("Town to export (repeatable)."))
@click.option("--all", "all_towns", is_flag=True, help=N_("Every town of the workspace (the default)."))
@click.option("--locale", "locales", multiple=True, metavar="L",
              help=N_("Only these locales (repeatable or comma-separated; default: each town's)."))
@click.option("--format", "formats", multiple=True, metavar="F",
              help=N_("Only these formats (repeatable or comma-separated; default: canonical JSON plus "
                   "the town's channels and backend). See 'kizuna export formats'."))
@click.option("--out", type=click.Path(file_okay=False, path_type=Path),
              help=N_("Export folder, replaced atomically (default: out/exports in the workspace, "
                   "out/preview with --include-unapproved)."))
@click.option("--include-unapproved", is_flag=True,
              help=N_("Include text that is not signed off, marked as such in every file (a preview)."))
@click.option("--as-of", type=DATE, callback=_day, metavar="DATE",
              help=N_("Judge approvals (re-review expiry) as of this date, recorded in the manifest."))
@click.option("--jobs", "-j", type=click.IntRange(min=1), help=N_("Worker processes (default: one per CPU)."))
@click.option("--full", is_flag=True,
              help=N_("Render every town again, reusing nothing from the previous export in the folder "
                      "(default: files whose inputs did not change are reused; the result is the same)."))
@click.pass_context
@handle_errors
def export(ctx: click.Context, towns: tuple[str, ...], all_towns: bool, locales: tuple[str, ...],
           formats: tuple[str, ...], out: Path | None, include_unapproved: bool, as_of: date | None,
           jobs: int | None, full: bool = False) -> None:
    """Export each town's catalog per locale for its delivery backends."""
    if ctx.invoked_subcommand is not None:
        return
    if towns and all_towns:
        fail(_("give --town CODE or --all, not both"))
    app = ctx.ensure_object(App)
    request = ExportRequest(towns=split_names(towns), locales=split_names(locales),
                            formats=split_names(formats), include_unapproved=include_unapproved,
                            as_of=as_of, jobs=jobs, full=full)
    result = export_into(app.root, request, out)
    for line in summary(result):
        click.echo(line)
    for warning in result.warnings[:MAX_WARNINGS]:
        click.echo(_("kizuna: warning: {warning}").format(warning=warning), err=True)
    if len(result.warnings) > MAX_WARNINGS:
        click.echo(_("kizuna: warning: ... and {value} more "
                   "(all in {value2})").format(value=len(result.warnings) - MAX_WARNINGS, value2=result.out / 'manifest.json'), err=True)


@export.command("diff")
@click.argument("old", type=click.Path(file_okay=False, path_type=Path))
@click.argument("new", type=click.Path(file_okay=False, path_type=Path))
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help=N_("text: a summary to read; json: the changeset a delivery system applies "
              "(schema: exports/schema/changeset-v1.schema.json)."))
@click.option("--json", "as_json", is_flag=True, help=N_("Same as --format json."))
@click.option("--html", "html_dir", type=click.Path(path_type=Path), metavar="DIR",
              help=N_("Also write a Japanese page per changed town (DIR/<code>.html, DIR/index.html)."))
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help=N_("Worker processes comparing catalogs (default: the CPUs available)."))
@click.option("--verify-all", is_flag=True,
              help=N_("Check the SHA-256 of every file of both exports, not only of the files compared."))
@handle_errors
def diff_command(old: Path, new: Path, output_format: str, as_json: bool, html_dir: Path | None,
                 jobs: int | None, verify_all: bool) -> None:
    """What changed from export OLD to export NEW, per town and locale.

    Starts from the two manifests: catalogs whose files have the same SHA-256 are skipped unread;
    the others are read one pair at a time (memory bounded by one catalog).
    """
    old_side = open_export(old, verify_all=verify_all)
    new_side = open_export(new, verify_all=verify_all)
    check_comparable(old_side, new_side)
    tally = DiffTally()
    diffs = iter_diffs(old_side, new_side, tally, jobs=jobs or len(os.sched_getaffinity(0)))
    if html_dir is not None:
        diffs = write_html(html_dir, diffs, old_side, new_side)
    # spooled, then printed: an export found broken halfway prints nothing but the error
    with tempfile.SpooledTemporaryFile(max_size=64 << 20, mode="w+", encoding="utf-8") as buffer:
        if as_json or output_format == "json":
            write_json(buffer, old_side, new_side, diffs, tally)
        else:
            write_text(buffer, diffs, tally)
        buffer.seek(0)
        for block in iter(lambda: buffer.read(1 << 20), ""):
            click.echo(block, nl=False)


@export.command("formats")
@handle_errors
def formats_command() -> None:
    """List the installed export formats (entry point group kizuna.exporters)."""
    for name, description in registry.describe().items():
        click.echo(f"{name:<10} {description}")


@click.command()
@click.option("--town", "code", required=True, metavar="CODE", help=N_("Town code."))
@click.option("--due", type=DATE, callback=_day, metavar="DATE",
              help=N_("Due date (出産予定日), YYYY-MM-DD; leave out for a registrant who gave only a birth date."))
@click.option("--birth", type=DATE, callback=_day, metavar="DATE",
              help=N_("Birth date (生年月日); default: born on the due date. Give --due, --birth or both."))
@click.option("--days", type=click.IntRange(min=1), help=N_("Only this many days from the start."))
@click.option("--from", "start", type=DATE, callback=_day, metavar="DATE",
              help=N_("Start of the list (default: the first message)."))
@click.option("--locale", help=N_("Locale (default: the town's first)."))
@click.option("--include-unapproved", is_flag=True,
              help=N_("Include text not signed off (marked 【未承認】)."))
@click.option("--as-of", type=DATE, callback=_day, metavar="DATE", help=N_("Judge approvals as of this date."))
@click.option("--track", metavar="NAME", help=N_("Only the messages of this track (default: every track "
              "the registrant is on)."))
@click.option("--birth-weeks", metavar="W[dD]", help=N_("Born at this gestational age (32 or 32w3d) instead "
              "of --birth: a birth before 37w is preterm (corrected age for some topics)."))
@click.option("--babies", type=click.IntRange(1, 9), default=1, show_default=True,
              help=N_("Number of babies (2 or more: twins variants)."))
@click.option("--nickname", help=N_("The reader's nickname ({{ reader.nickname }}); default: none."))
@click.option("--child-nickname", help=N_("The child's nickname ({{ child.nickname }})."))
@click.option("--loss-date", type=DATE, callback=_day, metavar="DATE",
              help=N_("Day of a pregnancy loss (流産・死産): pregnancy messages stop, the loss event's track starts."))
@click.option("--pause", metavar="FROM:TO", help=N_("Messages paused from one day to another (inclusive), "
              "e.g. 2026-10-01:2026-10-14."))
@click.option("--opt-out", type=DATE, callback=_day, metavar="DATE", help=N_("The registrant stops the service on DATE."))
@pass_app
@handle_errors
def preview(app: App, code: str, due: date | None, birth: date | None, days: int | None,
            start: date | None, locale: str | None, include_unapproved: bool,
            as_of: date | None, track: str | None = None, birth_weeks: str | None = None, babies: int = 1,
            nickname: str | None = None, child_nickname: str | None = None,
            loss_date: date | None = None, pause: str | None = None, opt_out: date | None = None) -> None:
    """The dated list of messages one registrant of a town would get, with the track and the
    age (gestational, chronological, corrected) that chose each."""
    if due is None and birth is None and birth_weeks is None:
        fail(_("give --due DATE (出産予定日), --birth DATE (生年月日), or both"))
    due_given = due is not None
    if due is None:
        if birth is None or loss_date is not None:
            fail(_("--birth-weeks and --loss-date count from the due date: give --due DATE (出産予定日)"))
        # a registrant who gave only a birth date: the list starts at the birth, with no
        # pregnancy to date and chronological age (no due date to correct from)
        due, start = birth, max(start or birth, birth)
    ws = app.workspace()
    town = ws.town(code)
    chosen = locale or town.locales[0]
    if chosen not in town.locales:
        fail(_("town {code} sends in {locales}, not '{chosen}'").format(code=code, locales=', '.join(town.locales), chosen=chosen))
    config = ws.config.registrants
    if track is not None and track not in config.tracks:
        fail(_("--track: '{track}' is not a track of kizuna.yaml ({tracks})").format(track=track, tracks=', '.join(config.tracks)))
    born = registrant_birth(due, birth, birth_weeks)
    if loss_date is not None and born is not None:
        fail(_("--loss-date is a pregnancy loss: give it without --birth or --birth-weeks"))
    if loss_date is not None and not 0 <= gestational_days(loss_date, due) <= MAX_GESTATIONAL_DAYS:
        fail(_("--loss-date {loss_date} is not during the pregnancy of due date {due}").format(loss_date=loss_date, due=due))
    reg = Registrant(due=due, birth=born, babies=babies, nickname=nickname, child_nickname=child_nickname,
                     loss=loss_date, pause=pause_span(pause), opt_out=opt_out)
    catalog = town_catalog(ws, town, chosen, approvals(ws, now=as_of),
                           include_unapproved=include_unapproved)
    try:
        planned = timeline(catalog.entries, catalog.send_time, reg, config, end_age=town.end_age,
                           start=start, days=days, track=track)
    except OverflowError:
        fail(_("the registrant's dates (due {due}) reach a day that falls outside the calendar "
             "(years 1 to 9999); give a real due or birth date").format(due=due))
    head = header(town.name, town.code, chosen, reg, birth_given=born is not None, due_given=due_given)
    click.echo(render_timeline(head, planned, config, chosen), nl=False)


def pause_span(text: str | None) -> tuple[date, date] | None:
    """``--pause 2026-10-01:2026-10-14`` as two dates (the first not after the second)."""
    if text is None:
        return None
    try:
        first, last = (date.fromisoformat(part.strip()) for part in text.split(":"))
    except ValueError:
        fail(_("--pause: '{text}' is not FROM:TO, like 2026-10-01:2026-10-14").format(text=text))
    if last < first:
        fail(_("--pause: the pause ends ({last}) before it starts ({first})").format(last=last, first=first))
    return first, last


def registrant_birth(due: date, birth: date | None, birth_weeks: str | None) -> date | None:
    """The birth date from ``--birth`` or ``--birth-weeks`` (``32``, ``32w``, ``32w3d``)."""
    if birth_weeks is None:
        return birth
    if birth is not None:
        fail(_("give --birth or --birth-weeks, not both"))
    raw = birth_weeks.strip()
    try:
        stage = Stage.parse("P" + (raw if "w" in raw else raw + "w"))
    except KizunaError:
        fail(_("--birth-weeks: '{birth_weeks}' is not a gestational age; write 32 or 32w3d").format(birth_weeks=birth_weeks))
    if not 22 * 7 <= stage.days <= 44 * 7 + 6:
        fail(_("--birth-weeks: {label_ja} is outside 22w0d–44w6d").format(label_ja=stage.label_ja))
    return date_at_gestation(due, 0, stage.days)


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
