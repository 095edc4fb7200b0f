"""One entry point for imports: a notebook (``.ipynb``) or a workbook (``.xlsx``) by suffix.

After a file applied something, the checks run on the workspace as it was and as it is now, and
every *new* error (say, a town block whose template names a profile field the town does not
have, or a profile field emptied while templates still use it) is added to the report as a note,
so the person importing hears of it at once rather than at the next ``kizuna check``.
"""
from __future__ import annotations

import copy
from datetime import datetime
from pathlib import Path
from typing import Any

from kizuna.authoring.apply import preflight
from kizuna.catalog.errors import KizunaError
from kizuna.catalog.lock import holds_lock, workspace_lock
from kizuna.catalog.workspace import Workspace, load_workspace
from kizuna.authoring.merge import ImportReport, Verdict
from kizuna.catalog.i18n import _

SUFFIXES = (".ipynb", ".xlsx")
MAX_ERRORS_SHOWN = 20


def import_file(ws: Workspace, path: Path, *, now: datetime | None = None,
                check: bool = True) -> ImportReport:
    """Check ``path`` completely (nothing is applied from a broken file), then merge it; with
    ``check``, report the check errors the applied changes brought in (see the module doc).

    The whole import holds the workspace lock: the workspace is read again under it, the
    suggestions files are checked, and only then is anything written."""
    path = Path(path)
    if not path.is_file():
        raise KizunaError(_("file not found"), path=path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise KizunaError(_("cannot import a '{suffix}' file; kizuna imports {SUFFIXES}").format(suffix=suffix, SUFFIXES=_(' and ').join(SUFFIXES)), path=path)
    if holds_lock(ws.root):  # the caller took the lock and loaded ``ws`` under it
        return _import_locked(ws, path, suffix, now=now, check=check)
    with workspace_lock(ws.root, "author import"):
        ws.reload()  # what another command wrote before we held the lock
        return _import_locked(ws, path, suffix, now=now, check=check)


def _import_locked(ws: Workspace, path: Path, suffix: str, *, now: datetime | None,
                   check: bool) -> ImportReport:
    preflight(ws)  # a broken suggestions file or a symlink stops the import before any write
    before = _copy(ws) if check else None
    if suffix == ".ipynb":
        from kizuna.authoring.notebooks import import_notebook  # noqa: PLC0415

        report = import_notebook(ws, path, now=now)
    else:
        from kizuna.authoring.workbooks import import_workbook  # noqa: PLC0415

        report = import_workbook(ws, path, now=now)
    if before is not None and report.of(Verdict.APPLIED):
        report.notes.extend(new_errors(before, load_workspace(ws.root)))
    return report


def _copy(ws: Workspace) -> Workspace:
    """A copy of ``ws`` an import cannot change (it replaces entries of these dicts, and
    messages and towns themselves are immutable)."""
    twin = copy.copy(ws)
    twin.messages, twin.towns, twin.paths = dict(ws.messages), dict(ws.towns), dict(ws.paths)
    return twin


def _key(f: Any) -> tuple[Any, ...]:
    return (f.rule, f.message_id, f.locale, f.town, f.stage, f.message)


def new_errors(before: Workspace, after: Workspace) -> list[str]:
    """Notes for the error-level findings of ``after`` that ``before`` did not have, among the
    findings the import can have changed: those of the messages it changed (every locale, every
    town), of the towns it changed, and coverage when what coverage reads changed. An import
    checks what it changed, not the whole workspace."""
    try:
        from kizuna.review.checks import run_checks  # noqa: PLC0415
    except ImportError:  # pragma: no cover - the checks ship with kizuna
        return []

    def affected(ws: Workspace) -> list[Any]:
        if before.config != after.config or before.reviewers != after.reviewers:
            return run_checks(ws, cache=True)
        # the changed messages in every locale, from the checks cache where a text is unchanged
        # (the workspace before the import is usually what the last ``kizuna check`` saw)
        found: list[Any] = run_checks(ws, messages=messages, cache=True) if messages else []
        if towns:
            found += run_checks(ws, towns=sorted(c for c in towns if c in ws.towns), cache=True)
        if coverage:
            found += run_checks(ws, rules=["coverage"], cache=True)
        return found

    messages = _changed(_all_messages(before), _all_messages(after))
    towns = _changed(before.towns, after.towns)
    coverage = bool(messages) and _coverage_view(before) != _coverage_view(after)
    try:
        old = {_key(f) for f in affected(before) if f.level == "error" and f.counts}
        found = list({_key(f): f for f in affected(after)
                      if f.level == "error" and f.counts and _key(f) not in old}.values())
    except KizunaError as exc:
        return [f"the checks could not run after the import: {exc}"]
    notes = []
    for f in found[:MAX_ERRORS_SHOWN]:
        subject = " ".join(x for x in (f.locale, f.town, f.message_id, f.stage) if x)
        notes.append(_("new check error after this import: {value}: {rule} [{subject}] {message}").format(value=f.path or '-', rule=f.rule, subject=subject, message=f.message))
    if len(found) > MAX_ERRORS_SHOWN:
        notes.append(_("... and {value} more new check errors (run 'kizuna check')").format(value=len(found) - MAX_ERRORS_SHOWN))
    return notes


def _all_messages(ws: Workspace) -> dict[str, Any]:
    found = dict(ws.messages)
    for town in ws.towns.values():
        for m in town.local_messages:
            found[m.id] = m
    return found


def _find(ws: Workspace, message_id: str) -> Any:
    return _all_messages(ws).get(message_id) if message_id not in ws.messages else ws.messages[message_id]


def _changed(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Keys added, removed or with a different value (in a stable order)."""
    return sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))


def _coverage_view(ws: Workspace) -> list[tuple[Any, ...]]:
    """What the coverage rules read of the messages (not their texts)."""
    return [(m.id, m.stage, tuple(sorted(m.texts)), m.milestones, m.ignores, m.town)
            for m in _all_messages(ws).values()]
