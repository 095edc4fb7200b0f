"""Reader surveys: ``kizuna survey form|import|summary|report``.

Exit codes follow :mod:`kizuna.app`: 0 done, 2 bad input (a named problem with file, row and
column; nothing written).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from kizuna.app import App, handle_errors, pass_app
from kizuna.catalog.errors import KizunaError
from kizuna.catalog.lock import workspace_lock
from kizuna.catalog.safepaths import write_target
from kizuna.catalog.workspace import load_workspace
from kizuna.catalog.yamlio import write_atomic
from kizuna.catalog.i18n import N_, _

FORMATS = ("json", "xlsx", "csv")
DEFAULT_FORMS = Path("out") / "surveys" / "forms"
DEFAULT_REPORTS = Path("out") / "surveys" / "reports"
SAMPLE_RESPONSES = Path("surveys") / "synthetic" / "responses-synthetic.csv"


def _out(root: Path, out: Path | None, default: Path) -> Path:
    return (out if out is not None and out.is_absolute() else root / (out or default))


@click.group()
def survey() -> None:
    """Reader surveys: forms, response import, summaries, the town's yearly report."""


@survey.command()
@click.option("--town", help=N_("Town code: the core questionnaire plus the town's own questions."))
@click.option("--locale", "locales", multiple=True, help=N_("Locale(s) of the form (default: the town's or all)."))
@click.option("--format", "formats", multiple=True, type=click.Choice(FORMATS), help=N_("json, xlsx, csv (default: all)."))
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help=N_("Folder (default: out/surveys/forms)."))
@pass_app
@handle_errors
def form(app: App, town: str | None, locales: tuple[str, ...], formats: tuple[str, ...], out: Path | None) -> None:
    """Write the questionnaire as a neutral JSON form and a sheet for forms services."""
    from kizuna.surveys.forms import build_form, form_to_json, sheet_rows, sheet_to_csv, sheet_to_xlsx  # noqa: PLC0415
    from kizuna.surveys.model import load_surveys  # noqa: PLC0415

    ws = app.workspace()
    surveys = load_surveys(ws)
    if town:
        ws.town(town)
    q = surveys.questionnaire(town)
    chosen = list(locales) or (list(ws.towns[town].locales) if town else list(ws.config.locales))
    forms = [build_form(q, loc, ws.config.source_locale) for loc in chosen]
    written = []
    with workspace_lock(ws.root, "kizuna survey form"):
        folder = write_target(ws.root, _out(ws.root, out, DEFAULT_FORMS))
        folder.mkdir(parents=True, exist_ok=True)
        for fmt in formats or FORMATS:
            if fmt == "xlsx":
                path = write_target(ws.root, folder / f"form-{q.id}.xlsx")
                write_atomic(path, sheet_to_xlsx(forms))
                written.append(path)
                continue
            for f in forms:
                path = write_target(ws.root, folder / f"form-{q.id}-{f.locale}.{fmt}")
                write_atomic(path, form_to_json(f) if fmt == "json" else sheet_to_csv(sheet_rows(f)))
                written.append(path)
    n = len(q.questions)
    click.echo(_("form {id}: {count} question(s) and 4 prefilled fields, locales {locales}").format(
        id=q.id, count=n, locales=", ".join(chosen)))
    for path in written:
        click.echo(f"  {path}")


@survey.command(name="import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--town", help=N_("Town code of every row (else a kz-town column must say it)."))
@click.option("--locale", help=N_("Locale of the form (else a kz-locale column, else the source locale)."))
@click.option("--stage", help=N_("Invitation stage of every row (else a kz-stage column)."))
@click.option("--mapping", type=click.Path(dir_okay=False, path_type=Path),
              help=N_("YAML 'column header: question-id' lines for columns the import cannot map."))
@click.option("--store", type=click.Path(file_okay=False, path_type=Path),
              help=N_("Folder for the responses, inside the workspace and ignored by git (default .kizuna/surveys/responses)."))
@click.option("--tags", "is_tags", is_flag=True, help=N_("FILE is a reviewer's tag sheet (response, message, note)."))
@click.option("--dry-run", is_flag=True, help=N_("Check and report the mapping; store nothing."))
@pass_app
@handle_errors
def import_command(app: App, file: Path, town: str | None, locale: str | None, stage: str | None,
                   mapping: Path | None, store: Path | None, is_tags: bool, dry_run: bool) -> None:
    """Import a response file exported by a forms service (CSV or XLSX)."""
    from kizuna.surveys.loop import import_tags  # noqa: PLC0415
    from kizuna.surveys.model import load_surveys  # noqa: PLC0415
    from kizuna.surveys.responses import import_responses, read_mapping  # noqa: PLC0415

    ws = app.workspace()
    if is_tags:
        n = import_tags(ws, file)
        click.echo(_("{count} tag(s) from {file} kept in .kizuna/surveys/tags.csv").format(count=n, file=file))
        return
    surveys = load_surveys(ws)
    explicit = read_mapping(mapping) if mapping else None
    result = import_responses(ws, surveys, file, town=town, locale=locale, stage=stage, mapping=explicit,
                              store=store, dry_run=dry_run)
    for col in result.columns.columns:
        target = col.target or "-"
        score = f" {col.score:.2f}" if col.how == "fuzzy" else ""
        click.echo(_("  column {number} {header}: {how} -> {target}").format(
            number=f"{col.index + 1:>2}", header=repr(col.header), how=f"{col.how}{score}", target=target))
    for what in result.dropped:
        click.echo(_("  dropped: {what}").format(what=what))
    if result.columns.unmapped:
        click.echo(_("unmapped column(s), ignored: {columns}").format(
            columns=", ".join(repr(c.header) for c in result.columns.unmapped)))
    if result.missing:
        click.echo(_("core question(s) with no column: {questions}").format(questions=", ".join(result.missing)))
    rows = len(result.table)
    if dry_run:
        click.echo(_("{count} response(s) checked; nothing stored (--dry-run)").format(count=rows))
    else:
        click.echo(_("{count} response(s) stored in {store}").format(count=rows, store=result.stored))


def _table_text(frame: Any) -> str:
    return frame.to_string(index=False, na_rep="（非表示）")


@survey.command()
@click.option("--by", "by", multiple=True, type=click.Choice(("town", "year", "stage", "locale")),
              help=N_("Group by (repeatable; default: the national pool)."))
@click.option("--town", help=N_("Only this town's responses (and its own questions)."))
@click.option("--min-cell", type=click.IntRange(1), help=N_("Smallest group shown (default settings.min_cell, 5)."))
@click.option("--format", "fmt", type=click.Choice(("text", "json")), default="text", show_default=True)
@click.option("--png", type=click.Path(dir_okay=False, path_type=Path), help=N_("Also plot the first choice question."))
@click.option("--queue", "show_queue", is_flag=True, help=N_("Show the re-review queue (messages linked to readers' evidence)."))
@click.option("--store", type=click.Path(file_okay=False, path_type=Path), help=N_("Response folder given to import."))
@click.option("--tag-sheet", type=click.Path(dir_okay=False, path_type=Path),
              help=N_("Also write the year's free-text answers as an XLSX for reviewers to tag with message ids "
                   "(a path git ignores, e.g. .kizuna/surveys/tag-sheet.xlsx)."))
@pass_app
@handle_errors
def summary(app: App, by: tuple[str, ...], town: str | None, min_cell: int | None, fmt: str, png: Path | None,
            show_queue: bool, store: Path | None, tag_sheet: Path | None) -> None:
    """Counts, distributions and scores with small-cell suppression."""
    from kizuna.surveys.loop import evidence_rows, link_evidence, write_tag_sheet  # noqa: PLC0415
    from kizuna.surveys.model import load_surveys  # noqa: PLC0415
    from kizuna.surveys.responses import load_responses  # noqa: PLC0415
    from kizuna.surveys.summary import plot_distribution, summary_tables  # noqa: PLC0415

    ws = app.workspace()
    surveys = load_surveys(ws)
    if town:
        ws.town(town)
    table = load_responses(ws.root, store)
    if table.empty:
        raise KizunaError(_("no survey responses are stored yet; run 'kizuna survey import FILE' first"))
    tables = summary_tables(table, surveys, by=by, town=town, min_cell=min_cell)
    queue = link_evidence(ws, surveys, table) if show_queue else {}
    if fmt == "json":
        data = {name: json.loads(frame.to_json(orient="records", force_ascii=False)) for name, frame in tables.items()}
        if show_queue:
            data["rereview_queue"] = evidence_rows(queue)
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        for name, frame in tables.items():
            click.echo(f"== {name}")
            click.echo(_table_text(frame))
        if show_queue:
            click.echo(_("== re-review queue: {count} message(s)").format(count=len(queue)))
            for mid, ev in queue.items():
                click.echo(f"{mid}: {ev.summary_ja()}")
    if tag_sheet is not None:
        target = tag_sheet if tag_sheet.is_absolute() else Path.cwd() / tag_sheet
        n = write_tag_sheet(ws, surveys, table, target)
        click.echo(_("tag sheet with {n} response(s) written to {target}; fill 'message', then "
                   "'kizuna survey import {tag_sheet} --tags'").format(n=n, target=target, tag_sheet=tag_sheet), err=fmt == "json")
    if png is not None:
        first = next((k for k in tables if k not in ("respondents", "scores")), None)
        if first is None:
            raise KizunaError(_("there is no choice question to plot"))
        q = surveys.all_questions()[first]
        fig = plot_distribution(tables[first], q.wording("ja"), group=by[0] if by else None)
        with workspace_lock(ws.root, "kizuna survey summary"):
            target = write_target(ws.root, png if png.is_absolute() else Path.cwd() / png)
            target.parent.mkdir(parents=True, exist_ok=True)
            fig.savefig(target, dpi=120)
        click.echo(_("plot written to {path}").format(path=target))


@survey.command()
@click.option("--town", "towns", multiple=True, help=N_("Town code (repeatable; default: every town with responses)."))
@click.option("--all", "all_towns", is_flag=True, help=N_("Every town of the workspace."))
@click.option("--year", type=int, help=N_("Fiscal year (年度; default: the latest with responses)."))
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help=N_("Folder (default: out/surveys/reports)."))
@click.option("--store", type=click.Path(file_okay=False, path_type=Path), help=N_("Response folder given to import."))
@pass_app
@handle_errors
def report(app: App, towns: tuple[str, ...], all_towns: bool, year: int | None, out: Path | None,
           store: Path | None) -> None:
    """Write the town's yearly report (事業報告) as HTML."""
    ws = app.workspace()
    paths, pool = write_town_reports(ws.root, towns=towns, all_towns=all_towns, year=year, out=out, store=store)
    click.echo(_("{count} report(s) of fiscal year {year} ({responses} responses in the pool):").format(
        count=len(paths), year=pool.year, responses=len(pool.table)))
    for path in paths:
        click.echo(f"  {path}")


def write_town_reports(root: Path, *, towns: tuple[str, ...] = (), all_towns: bool = False, year: int | None = None,
                       out: Path | None = None, store: Path | None = None) -> tuple[list[Path], Any]:
    from kizuna.exports.revision import catalog_revision  # noqa: PLC0415
    from kizuna.surveys.model import load_surveys  # noqa: PLC0415
    from kizuna.surveys.report import prepare, write_reports  # noqa: PLC0415
    from kizuna.surveys.responses import load_responses  # noqa: PLC0415

    ws = load_workspace(root)
    surveys = load_surveys(ws)
    pool = prepare(ws, surveys, load_responses(ws.root, store), year=year)
    codes = list(towns) or (list(ws.towns) if all_towns else sorted(c for c in pool.town_n.index if c in ws.towns))
    folder = _out(ws.root, out, DEFAULT_REPORTS)
    try:
        revision = catalog_revision(ws.root, exclude=[ws.root / "out", ws.root / ".kizuna"])
    except Exception:  # noqa: BLE001 - the revision is a label in the report, never a reason to fail
        revision = ""
    return write_reports(ws, pool, codes, folder, revision=revision), pool


def demo_step(root: Path) -> list[str]:
    """``kizuna demo``: import the sample's synthetic responses, write every town's report and
    count the re-review queue."""
    from kizuna.surveys.loop import rereview_queue  # noqa: PLC0415
    from kizuna.surveys.model import load_surveys  # noqa: PLC0415
    from kizuna.surveys.responses import import_responses  # noqa: PLC0415

    source = root / SAMPLE_RESPONSES
    if not source.is_file():
        return []
    ws = load_workspace(root)
    result = import_responses(ws, load_surveys(ws), source)
    paths, pool = write_town_reports(root)
    queue = rereview_queue(ws)
    lines = [f"{len(result.table)} synthetic survey responses imported (kept in .kizuna/, outside git)",
             f"{len(paths)} town report(s) of {pool.year}年度 -> {paths[0].parent.relative_to(root)}/"
             if paths else "no town report (no responses)",
             f"re-review queue from readers' evidence: {len(queue)} message(s)"]
    return lines


def register(group: click.Group) -> None:
    group.add_command(survey)
