"""Check commands: ``check`` (a workspace), ``lint`` (drafts outside one) and ``coverage``.

Exit codes: 0 no error-level finding (warnings and info are shown), 1 at least one error-level
finding that no ignore covers, 2 bad input (a broken file, an unknown town, rule or option).
"""
from __future__ import annotations

import json
import sys
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Iterable

import click

from kizuna.catalog import yamlio
from kizuna.catalog.errors import KizunaError, WorkspaceError
from kizuna.catalog.workspace import CONFIG_FILE, Workspace, config_from_data, find_root
from kizuna import __version__
from kizuna.app import EXIT_FINDINGS, App, fail, handle_errors, pass_app
from kizuna.review.checks import CheckConfig, lint_text, parse_config, run_checks, with_plain_locales
from kizuna.catalog.loadcache import save_loader
from kizuna.review.checks.cache import clear_cache
from kizuna.review.checks.engine import default_config
from kizuna.review.checks.sarif import Origins, file_position, to_sarif
from kizuna.review.coverage import coverage_band_heatmap, coverage_heatmap, coverage_rows, towns_in_prefectures
from kizuna.review.findings import Finding, has_errors
from kizuna.catalog.i18n import N_, _

MARKDOWN_SUFFIXES = {".md", ".markdown", ".mdown"}


def summary(findings: Iterable[Finding]) -> str:
    """``3 errors, 12 warnings, 1 info (2 ignored)`` — ignored findings are not counted."""
    findings = list(findings)
    counted = Counter(f.level for f in findings if f.counts)
    ignored = sum(1 for f in findings if not f.counts)
    text = _("{errors} errors, {warnings} warnings, {info} info").format(
        errors=counted["error"], warnings=counted["warning"], info=counted["info"])
    return text + (_(" ({ignored} ignored)").format(ignored=ignored) if ignored else "")


def format_text(f: Finding, position: tuple[int, int] | None = None) -> str:
    """One finding as ``file:line:col: level rule [message locale town stage] text``.

    ``position`` is the line and column in the file (for a workspace file, where the message
    text sits in the YAML); without it, a finding in a workspace file shows the file alone and
    its place in the text as ``text L:C``, and any other (a linted draft) its own line and column."""
    if position is not None:
        where = f"{f.path}:{position[0]}:{position[1]}"
    elif f.path is not None and f.message_id is None and f.stage is None:
        where = ":".join(str(p) for p in (f.path, f.line, f.column) if p is not None)
    else:
        where = f.path or "-"
    about = " ".join(p for p in (f.message_id, f.locale, f.town, f.stage) if p)
    if position is None and f.line is not None and (f.message_id is not None or f.stage is not None):
        about = f"{about} text {f.line}:{f.column}".strip()
    head = f"{where}: {f.level} {f.rule}" + (f" [{about}]" if about else "")
    lines = [f"{head} {f.message}"]
    if f.suggestion:
        lines.append(f"    → {f.suggestion}")
    if f.ignored_reason is not None:
        lines.append("    " + _("(ignored: {reason})").format(reason=f.ignored_reason))
    return "\n".join(lines)


def finding_dict(f: Finding, position: tuple[int, int] | None) -> dict:
    """A finding as JSON: its fields (``line``/``column`` in the checked text) and, for a
    workspace file, ``file_line``/``file_column`` where that is in the file (or null)."""
    data = f.to_dict()
    if f.message_id is not None or f.stage is not None:
        data["file_line"], data["file_column"] = position if position else (None, None)
    return data


def emit(findings: list[Finding], fmt: str, *, root: Path | None = None) -> None:
    files = Origins(root) if root is not None and fmt != "sarif" else None  # where texts start, kept
    positions = [file_position(f, root, files) if files is not None else None for f in findings]
    if files is not None:
        files.save()
    if fmt == "json":
        click.echo(json.dumps([finding_dict(f, p) for f, p in zip(findings, positions)],
                              ensure_ascii=False, indent=2))
    elif fmt == "sarif":
        click.echo(json.dumps(to_sarif(findings, root=root, version=__version__), ensure_ascii=False, indent=2))
    else:
        lines = [format_text(f, p) for f, p in zip(findings, positions)]
        click.echo("\n".join(lines + [summary(findings)]))  # one write: a national run prints 100,000 lines


def _check_locales(app: App, locales: tuple[str, ...]) -> None:
    known = app.workspace().config.locales
    for loc in locales:
        if loc not in known:
            fail(_("locale '{loc}' is not one of the workspace's locales ({known})").format(loc=loc, known=', '.join(known)))


@click.command()
@click.option("--town", "towns", multiple=True, metavar="CODE", help=N_("Only this town (repeatable)."))
@click.option("--locale", "locales", multiple=True, metavar="L", help=N_("Only this locale (repeatable)."))
@click.option("--format", "fmt", type=click.Choice(["text", "json", "sarif"]), default="text", show_default=True)
@click.option("--no-cache", is_flag=True,
              help=N_("Check everything afresh (the cache in .kizuna/cache/ is still brought up to date)."))
@pass_app
@handle_errors
def check(app: App, towns: tuple[str, ...], locales: tuple[str, ...], fmt: str, no_cache: bool) -> None:
    """Run every check on the workspace: tone, length, readability, templates, coverage.

    Exits 1 when an error-level finding remains (ignores with a reason do not count). Findings
    of what did not change since the last run come from .kizuna/cache/ (safe to delete)."""
    ws = app.workspace()
    _check_locales(app, locales)
    check_sections(ws)
    if no_cache:
        clear_cache(ws.root)
    findings = run_checks(ws, towns=list(towns) or None, locales=list(locales) or None, cache=True)
    save_loader(ws.root)
    emit(findings, fmt, root=ws.root)
    if has_errors(findings):
        sys.exit(EXIT_FINDINGS)


def check_sections(ws: Workspace) -> None:
    """Read the ``review:`` and ``exports:`` sections of kizuna.yaml as review and export will,
    so a broken one fails ``kizuna check`` (exit 2) instead of passing and breaking them later."""
    from kizuna.exports import registry
    from kizuna.exports.runner import export_options
    from kizuna.review.policy import load_policy

    load_policy(ws)
    export_options(ws, registry.names())


def lint_config(app: App) -> CheckConfig:
    """The ``checks`` settings of the workspace around us, or the defaults outside one."""
    try:
        root = find_root(app.workspace_option or Path.cwd())
    except WorkspaceError:
        return default_config()
    config = config_from_data(yamlio.read(root / CONFIG_FILE), root / CONFIG_FILE)
    return with_plain_locales(parse_config(config.section("checks"), root=root), config)


def _read(path: str) -> str:
    if path == "-":
        return sys.stdin.read()
    file = Path(path)
    if not file.is_file():
        raise KizunaError(_("file not found"), path=file)
    try:
        return file.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise KizunaError(_("is not UTF-8 text; save it as UTF-8"), path=file) from None


@click.command()
@click.argument("files", nargs=-1, required=True, metavar="FILE...")
@click.option("--locale", default="ja", show_default=True, help=N_("Language of the drafts (ja, ja-easy, en, ...)."))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--strict", is_flag=True, help=N_("Exit 1 on warnings too."))
@click.option("--markdown", "force_markdown", is_flag=True,
              help=N_("Read every FILE as Markdown (standard input too); by default only *.md files are."))
@pass_app
@handle_errors
def lint(app: App, files: tuple[str, ...], locale: str, fmt: str, strict: bool, force_markdown: bool) -> None:
    """Check plain-text or Markdown drafts (tone, sentence length, commas, readability), as
    textlint does. FILE may be '-' for standard input; *.md files (or all, with --markdown) are
    read as Markdown."""
    config = lint_config(app)
    findings: list[Finding] = []
    for name in files:
        text = _read(name)
        markdown = force_markdown or Path(name).suffix.lower() in MARKDOWN_SUFFIXES
        findings.extend(lint_text(text, locale, path=name, markdown=markdown, config=config))
    emit(findings, fmt)
    if has_errors(findings) or (strict and any(f.counts and f.level == "warning" for f in findings)):
        sys.exit(EXIT_FINDINGS)


@click.command()
@click.option("--town", "towns", multiple=True, metavar="CODE", help=N_("Only this town (repeatable)."))
@click.option("--prefecture", "prefectures", multiple=True, metavar="NAME",
              help=N_("Only the towns of this prefecture: 長野県, 長野 or its code 20 (repeatable)."))
@click.option("--locale", "locales", multiple=True, metavar="L", help=N_("Only this locale (repeatable)."))
@click.option("--png", type=click.Path(dir_okay=False, path_type=Path),
              help=N_("Write a heatmap here: stage × town for a few towns; for more, the national view "
                   "(gaps by prefecture and stage band, or by town within the prefectures asked for)."))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--policy", metavar="NAME", help=N_("Hold every town to this cadence policy instead of its own."))
@pass_app
@handle_errors
def coverage(app: App, towns: tuple[str, ...], prefectures: tuple[str, ...], locales: tuple[str, ...],
             png: Path | None, fmt: str, policy: str | None) -> None:
    """Show which slots of each town's calendar have no message or several, and which
    milestones (milestones.yaml) are missing. Exits 1 when a gap or collision remains.
    With --policy, hold every town to that cadence instead of its own (e.g. the daily
    'reference' policy, to see how far the catalog is from it)."""
    ws = app.workspace()
    _check_locales(app, locales)
    if policy is not None:
        if policy not in ws.config.policies:
            raise WorkspaceError(_("unknown cadence policy '{policy}'; defined: {policies}").format(policy=policy, policies=', '.join(ws.config.policies)),
                                 path=ws.root / "kizuna.yaml", field="policies")
        ws = replace(ws, towns={code: replace(t, policy=policy) for code, t in ws.towns.items()})
    codes = list(towns) + [c for c in towns_in_prefectures(ws, prefectures) if c not in towns] if prefectures \
        else list(towns)
    codes_or_all, locs = codes or None, list(locales) or None
    memo: dict = {}
    rows = list(coverage_rows(ws, codes_or_all, locs, memo))
    findings = run_checks(ws, towns=codes_or_all, locales=locs, rules=["coverage"], cache=True)
    save_loader(ws.root)
    if png is not None:
        if len(rows) <= SMALL_HEATMAP_ROWS:
            coverage_heatmap(ws, png, codes_or_all, locs)
        else:
            coverage_band_heatmap(ws, png, codes_or_all, locs, by="town" if codes else "prefecture", memo=memo)
    from kizuna.review.track_coverage import coverage_by_track  # per track (issue 12)

    per_track = coverage_by_track(ws, [ws.town(c) for c in codes] if codes else None, locs, memo)
    if fmt == "json":
        shown = [{k: v for k, v in r.items() if k != "prefecture"} for r in rows]
        click.echo(json.dumps({"towns": shown, "tracks": per_track, "findings": [f.to_dict() for f in findings]},
                              ensure_ascii=False, indent=2))
    else:
        row_text = _("{town} {name} [{locale}]: {slots} slots, {ok} ok ({fallback} in a fallback locale), "
                     "{gaps} gaps, {collisions} collisions")
        unsent_text = _("; {unsent} not signed off yet (nothing ships there)")
        lines = [row_text.format(town=r["town"], name=r["name"], locale=r["locale"], slots=r["slots"], ok=r["ok"],
                                 fallback=r["fallback"], gaps=r["gaps"], collisions=r["collisions"])
                 + (unsent_text.format(unsent=r["unsent"]) if r["unsent"] else "")
                 for r in rows]
        lines += [_("track {name}: {slots} slots, {gaps} gaps, {collisions} collisions").format(
                      name=name, slots=t["slots"], gaps=t["gap"], collisions=t["collision"])
                  for name, t in per_track.items() if name != "main"]
        lines += [format_text(f) for f in findings] + prefecture_lines(rows)
        lines.append(summary(findings) + (_("; heatmap written to {path}").format(path=png) if png else ""))
        click.echo("\n".join(lines))
    if has_errors(findings):
        sys.exit(EXIT_FINDINGS)


#: up to this many town × locale rows, ``--png`` draws every slot; above, the national view
SMALL_HEATMAP_ROWS = 40


def prefecture_lines(rows: list[dict]) -> list[str]:
    """A summary per prefecture when the rows span more than one (the national view in text)."""
    by: dict[str, list[int]] = {}
    for r in rows:
        counts = by.setdefault(r["prefecture"], [0, 0, 0, 0])
        counts[0] += 1
        counts[1] += r["slots"]
        counts[2] += r["gaps"]
        counts[3] += r["collisions"]
    if len(by) < 2:
        return []
    row_text = _("  {name}: {rows} rows, {slots} slots, {gaps} gaps, {collisions} collisions")
    return [_("by prefecture (town × locale rows, slots, gaps, collisions):")] + [
        row_text.format(name=name, rows=n, slots=slots, gaps=gaps, collisions=collisions)
        for name, (n, slots, gaps, collisions) in by.items()]


def register(group: click.Group) -> None:
    for command in (check, lint, coverage):
        group.add_command(command)


def demo_step(root: Path) -> list[str]:
    """``kizuna demo``: check the sample and draw its coverage heatmap into ``out/``."""
    from kizuna.catalog.workspace import load_workspace

    ws = load_workspace(root)
    findings = run_checks(ws)
    png = coverage_heatmap(ws, Path(root) / "out" / "coverage.png")
    by_family = Counter(f.rule.split("/")[0] for f in findings if f.counts)
    families = ", ".join(f"{name} {n}" for name, n in sorted(by_family.items()))
    return [f"{len(findings)} findings: {summary(findings)} — {families}",
            f"coverage heatmap: {png.relative_to(root)}"]
