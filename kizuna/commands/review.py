"""Sign-off commands: ``kizuna review decide|status|queue|verify|packet``.

Exit codes follow :mod:`kizuna.app`: 0 done, 1 ``verify`` found a broken chain, 2 bad input or
a refused decision (nothing logged).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from kizuna.catalog.lock import workspace_lock
from kizuna.catalog.roster import ROLES, find_reviewer
from kizuna.catalog.safepaths import output_target
from kizuna.catalog.workspace import ROSTER_FILE, load_workspace
from kizuna.app import EXIT_FINDINGS, App, handle_errors, pass_app
from kizuna.review.decisions import DECISIONS, head, verify_log
from kizuna.review.signoff import STATES, MessageStatus, counts, queue, record_decision, status
from kizuna.catalog.i18n import N_, _


def _missing(st: MessageStatus) -> str:
    return ", ".join(f"{ROLES.get(r, r)}×{n}" for r, n in st.missing_roles.items())


def status_line(st: MessageStatus) -> str:
    """``approved  p12w-checkup  ja  P12w  承認済み`` (+ what is missing, and why a stale,
    expired or changes-requested item is so)."""
    missing = f"  不足: {_missing(st)}" if st.missing_roles and st.state != "approved" else ""
    why = f"  理由: {'／'.join(st.reasons)}" if st.reasons else ""
    return f"{st.state:<17} {st.message_id}  {st.locale}  {st.stage}  {st.label_ja}{missing}{why}"


def status_json(st: MessageStatus) -> dict[str, Any]:
    return {
        "message": st.message_id, "locale": st.locale, "town": st.town, "stage": str(st.stage),
        "state": st.state, "label_ja": st.label_ja, "required": st.required,
        "missing_roles": st.missing_roles, "current_hash": st.current_hash,
        "approved_hash": st.approved_hash,
        "approved_at": st.approved_at.isoformat() if st.approved_at else None,
        "expires_at": st.expires_at.isoformat() if st.expires_at else None,
        "reasons": list(st.reasons), "decisions": len(st.decisions),
    }


def counts_line(found: dict[str, int]) -> str:
    return ", ".join(f"{state} {n}" for state, n in found.items())


@click.group()
def review() -> None:
    """Sign-off by several experts: decisions, status, queues, the log's chain, packets."""


@review.command()
@click.argument("message_id")
@click.option("--by", "by", required=True, help=N_("Reviewer id or exact name in roster.yaml."))
@click.option("--decision", type=click.Choice(DECISIONS), required=True,
              help=N_("approve, request changes, or comment."))
@click.option("--locale", help=N_("Locale decided on (default: the source locale)."))
@click.option("--comment", default="", help=N_("A comment (recommended with 'changes')."))
@click.option("--town", help=N_("Town code, for a town block named by its stage (B8d --town 202029)."))
@pass_app
@handle_errors
def decide(app: App, message_id: str, by: str, decision: str, locale: str | None, comment: str,
           town: str | None) -> None:
    """Record a decision on MESSAGE_ID (or town:CODE:STAGE for a town block)."""
    with workspace_lock(app.root, "review decide"):
        ws = app.workspace()
        made = record_decision(ws, message_id=message_id, locale=locale or ws.config.source_locale,
                               reviewer=by, decision=decision, comment=comment, town=town)
        now = status(ws)[made.key]
    click.echo(_("recorded #{seq}: {decision} by {reviewer} on {message} ({locale}), text {hash}; "
                 "status now {state} ({label})").format(
        seq=made.seq, decision=made.decision, reviewer=made.reviewer, message=made.message_id,
        locale=made.locale, hash=made.content_hash, state=now.state, label=now.label_ja))


@review.command(name="status")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--state", "states", multiple=True, type=click.Choice(STATES),
              help=N_("Only items in this state (repeatable)."))
@pass_app
@handle_errors
def status_command(app: App, fmt: str, states: tuple[str, ...]) -> None:
    """Sign-off status of every message and town block, per locale (derived from the log)."""
    ws = app.workspace()
    found = status(ws)
    problems = verify_log(ws.root)
    if problems:
        click.echo(_("kizuna: warning: the decisions log is broken at {problems}; this status "
                   "cannot be trusted (run 'kizuna review verify')").format(problems=problems[0]), err=True)
    shown = [st for st in found.values() if not states or st.state in states]
    if fmt == "json":
        click.echo(json.dumps({"counts": counts(found), "items": [status_json(st) for st in shown]},
                              ensure_ascii=False, indent=2))
        return
    click.echo(_("{count} items: {counts}").format(count=len(found), counts=counts_line(counts(found))))
    for st in shown:
        click.echo(status_line(st))


@review.command(name="queue")
@click.option("--by", "by", required=True, help=N_("Reviewer id or exact name in roster.yaml."))
@pass_app
@handle_errors
def queue_command(app: App, by: str) -> None:
    """What awaits this reviewer's sign-off."""
    ws = app.workspace()
    person = find_reviewer(ws.reviewers, by, ws.root / ROSTER_FILE)
    keys = queue(ws, person.id)
    found = status(ws)
    click.echo(_("{name} ({id}): {count} item(s) await sign-off").format(name=person.name, id=person.id,
                                                                       count=len(keys)))
    for key in keys:
        click.echo(status_line(found[key]))
    from kizuna.review.annotations import collect, flagged_keys  # noqa: PLC0415 - readers' evidence, etc.

    notes = collect(ws)
    for note in notes.get("", ()):
        click.echo(_("kizuna: warning: ") + "; ".join(note.lines), err=True)
    again = flagged_keys(ws, person.id, notes, skip=set(keys))
    if again:
        click.echo(_("{count} item(s) to re-review from readers' evidence").format(count=len(again)))
        for key in again:
            click.echo(status_line(found[key]))
            for note in notes[key[0]]:
                click.echo("".join(f"    {line}\n" for line in note.lines).rstrip("\n"))


@review.command()
@pass_app
@handle_errors
def verify(app: App) -> None:
    """Check the decisions log's hash chain; exit 1 naming the first bad entry."""
    root = app.root
    problems = verify_log(root)
    if problems:
        click.echo(_("kizuna: the decisions log is broken at {problems}").format(problems=problems[0]), err=True)
        for more in problems[1:]:
            click.echo(_("  also: {more}").format(more=more), err=True)
        raise SystemExit(EXIT_FINDINGS)
    count, digest = head(root)
    click.echo(_("decisions log ok: {count} entries, head {digest}").format(count=count, digest=digest))


@review.command()
@click.option("--by", "by", help=N_("Reviewer id or name: the packet holds their queue."))
@click.option("--message", "messages", multiple=True,
              help=N_("A message id or town:CODE:STAGE instead of a queue (repeatable)."))
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help=N_("The HTML file to write."))
@click.option("--town", help=N_("Town whose profile and blocks show the rendered text (default: the first)."))
@click.option("--notebook", type=click.Path(dir_okay=False, path_type=Path),
              help=N_("Also write the review notebook (.ipynb) the packet was made from."))
@pass_app
@handle_errors
def packet(app: App, by: str | None, messages: tuple[str, ...], out: Path, town: str | None,
           notebook: Path | None) -> None:
    """Write an HTML review packet (nbconvert, kizuna-review exporter)."""
    from kizuna.review.packet import write_packet  # noqa: PLC0415 - nbconvert is slow to import

    with workspace_lock(app.root, "review packet"):
        out = output_target(app.root, out)
        notebook = output_target(app.root, notebook) if notebook is not None else None
        path, n = write_packet(app.workspace(), out, reviewer=by, message_ids=messages, town=town,
                               notebook=notebook)
    click.echo(_("review packet with {count} item(s) written to {path}").format(count=n, path=path))


def demo_step(root: Path) -> list[str]:
    """``kizuna demo``: the sign-off status, and a packet for the reviewer with the longest queue
    written to ``out/review-<id>.html``."""
    from kizuna.review.packet import write_packet  # noqa: PLC0415

    ws = load_workspace(root)
    found = status(ws)
    lines = [f"sign-off of {len(found)} items: {counts_line(counts(found))}"]
    problems = verify_log(root)
    lines.append(f"decisions log: {'broken at ' + str(problems[0]) if problems else 'chain ok'}")
    queues = {r.id: queue(ws, r.id) for r in ws.reviewers.values()}
    if not any(queues.values()):
        return lines
    busiest = max(queues, key=lambda rid: len(queues[rid]))
    path, n = write_packet(ws, output_target(root, root / "out" / f"review-{busiest}.html"), reviewer=busiest)
    lines.append(f"review packet for {ws.reviewers[busiest].name}: {n} item(s) -> {path.relative_to(root)}")
    return lines


def register(group: click.Group) -> None:
    group.add_command(review)
