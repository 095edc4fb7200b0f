"""Applying the proposals and decisions read from a view to the workspace on disk.

The readers (:mod:`authoring.notebooks`, :mod:`authoring.workbooks`) validate the whole file
first and raise before anything is written; this module then takes the proposals one owner at a
time (a national message file, or a town file holding blocks, profile and local messages):

1. the owner is read again from disk just before it is changed, and every verdict is taken
   against that fresh copy, so an edit racing a change made by someone else meanwhile becomes a
   conflict instead of overwriting it;
2. applied proposals are written with the workspace's atomic, stable writers; a result that
   would not load again (say, an invalid send time) is refused, not written;
3. conflicts are kept as suggestions (:mod:`authoring.suggestions`);
4. decisions go through :func:`review.signoff.record_decision`, bound to the text the reviewer
   saw: a decision on a text that has changed since is refused (and reported), one already in the
   log (same reviewer, item, hash, decision and comment) is not logged again. A refused decision
   does not stop the others: each row is its own request, as if made one by one at the CLI.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterable, TypeVar

from kizuna.catalog import yamlio
from kizuna.catalog.errors import KizunaError
from kizuna.catalog.messages import Message, message_from_data, message_to_data
from kizuna.catalog.stages import Stage
from kizuna.catalog.towns import Town, town_from_data, town_to_data
from kizuna.catalog.safepaths import check_folder_files, write_target
from kizuna.catalog.workspace import MESSAGES_DIR, TOWNS_DIR, Workspace
from kizuna.authoring import suggestions
from kizuna.authoring.merge import (DECISION_NAMES, DecisionRequest, ImportReport, Proposal, Target,
                             Verdict, edit_message, edit_town, three_way, unit_hash,
                             with_local_message)
from kizuna.catalog.i18n import _


# --- before the first write ---------------------------------------------------------------------
def preflight(ws: Workspace, *, log: bool = False) -> None:
    """Everything an import could write, checked before it writes anything: every suggestions
    file reads (a mapping holding a list of well-formed entries), no folder or file an import
    writes (messages, towns, suggestions, the decisions log) is a symbolic link, and, with
    ``log`` (the file carries decisions), the decisions log is well formed and its chain whole."""
    from kizuna.review.decisions import DECISIONS_FILE, verify_log  # noqa: PLC0415 - review is imported lazily

    root = ws.root
    for name in (MESSAGES_DIR, TOWNS_DIR, suggestions.SUGGESTIONS_DIR, DECISIONS_FILE):
        write_target(root, root / name)
    for folder in (MESSAGES_DIR, TOWNS_DIR, f"{suggestions.SUGGESTIONS_DIR}/messages",
                   f"{suggestions.SUGGESTIONS_DIR}/towns"):
        if (root / folder).is_dir():
            check_folder_files(root, root / folder)
    suggestions.check_all(root)
    problems = verify_log(root) if log else []
    if problems:
        raise KizunaError(_("the decisions log is broken at {problems}, so the decisions in this file "
                          "cannot be recorded; nothing was applied. Run 'kizuna review verify' and restore "
                          "the log from version control").format(problems=problems[0]), path=root / DECISIONS_FILE)


# --- current state ----------------------------------------------------------------------------
def _local_owner(ws: Workspace, message_id: str) -> str | None:
    for code, town in ws.towns.items():
        if any(m.id == message_id for m in town.local_messages):
            return code
    return None


def find_message(ws: Workspace, message_id: str) -> Message | None:
    if message_id in ws.messages:
        return ws.messages[message_id]
    code = _local_owner(ws, message_id)
    if code is None:
        return None
    return next(m for m in ws.towns[code].local_messages if m.id == message_id)


def message_unit_hash(message: Message | None, locale: str | None) -> str | None:
    if message is None or locale not in message.texts:
        return None
    return message.content_hash(locale)


def town_unit(town: Town | None, target: Target) -> str | None:
    """The current text of a block or profile field (``None`` when absent)."""
    if town is None:
        return None
    if target.kind == "block":
        return (town.blocks.get(Stage.parse(target.part)) or {}).get(target.locale or "")
    section, _, name = target.part.partition(".")
    if section in ("contacts", "services"):
        return getattr(town, section).get(name)
    if target.part == "send_time":
        return town.send_time
    return None


def _town_unit_hash(town: Town | None, target: Target) -> str | None:
    text = town_unit(town, target)
    return None if text is None else unit_hash(target, None, text)


def current_hash(ws: Workspace, target: Target) -> str | None:
    """The hash of ``target`` in the loaded workspace (``None`` when absent)."""
    if target.kind == "message":
        return message_unit_hash(find_message(ws, target.key), target.locale)
    return _town_unit_hash(ws.towns.get(target.key), target)


# --- reading owners fresh from disk -------------------------------------------------------------
def _fresh_message(ws: Workspace, message_id: str) -> Message | None:
    path = ws.message_path(message_id)
    if not path.is_file():
        return None
    return message_from_data(yamlio.read(path), path)


def _fresh_town(ws: Workspace, code: str) -> Town | None:
    path = ws.town_path(code)
    if not path.is_file():
        return None
    return town_from_data(yamlio.read(path), path, ws.config.source_locale)


def _owner(ws: Workspace, target: Target) -> tuple[str, str]:
    if target.kind != "message":
        return ("town", target.key)
    if target.key in ws.messages or ws.message_path(target.key).is_file():
        return ("message", target.key)
    code = _local_owner(ws, target.key)
    return ("town", code) if code else ("message", target.key)


def _checked_message(message: Message | None, path: Path) -> Message | None:
    """``message`` when it would load again (``None`` stays ``None``: a deletion)."""
    if message is not None:
        message_from_data(message_to_data(message), path)
    return message


# --- one proposal ---------------------------------------------------------------------------------
def _refusal(ws: Workspace, proposal: Proposal, current: Message | None) -> str | None:
    """Why a proposal cannot be applied whatever the merge says, or ``None``."""
    t = proposal.target
    if t.locale is not None and t.locale not in ws.config.locales:
        return _("locale '{locale}' is not one of the workspace's ({locales})").format(locale=t.locale, locales=', '.join(ws.config.locales))
    if t.kind == "message" and proposal.text is not None and not proposal.text.strip():
        return _("the text is empty; to delete a message delete its notebook cell")
    if t.kind == "block" and proposal.text is not None and not proposal.text.strip():
        return _("the block is empty; a town's blocks are deleted in the town's own workbook")
    if t.kind == "message" and proposal.text is None and t.locale == ws.config.source_locale:
        holders = [code for code, town in ws.towns.items() if t.key in town.suppress]
        if holders:
            return (_("town(s) {holders} suppress this message; take it out of their "
                    "'suppress' list before deleting it").format(holders=', '.join(holders)))
    if (t.kind == "message" and proposal.base_hash is None and current is None
            and t.locale != ws.config.source_locale):
        return (_("a new message starts in the source locale ({source_locale}); "
                "'{key}' does not exist").format(source_locale=ws.config.source_locale, key=t.key))
    return None


def _kept(ws: Workspace, report: ImportReport, proposal: Proposal, current: str | None,
          by: str | None, now: datetime, why: str) -> None:
    path, new = suggestions.keep(ws.root, proposal, current_hash=current, by=by, now=now)
    rel = path.relative_to(ws.root)
    note = f"kept as a suggestion in {rel}" if new else f"already kept as a suggestion in {rel}"
    report.add(Verdict.CONFLICT, proposal.where, f"{proposal.target.describe()}: {why}; {note}")


def _conflict_reason(proposal: Proposal, current: str | None, owner_exists: bool) -> str:
    if not owner_exists:
        return "the town is no longer in the workspace"
    if current and proposal.base_hash:
        return ("changed in the workspace since the file was made (if by an earlier import of this "
                "same file, make a fresh file before editing again)")
    if proposal.base_hash:
        return "deleted from the workspace since the file was made"
    return ("already in the workspace (added meanwhile, taken by another message, or by an earlier "
            "import of this same file)")


def _to_apply(ws: Workspace, p: Proposal, owner: Message | None, current: str | None,
              report: ImportReport, by: str | None, now: datetime, *, owner_exists: bool = True) -> bool:
    """Report a refused, unchanged or conflicting proposal; True when it is to be applied."""
    refusal = _refusal(ws, p, owner)
    if refusal:
        report.add(Verdict.REFUSED, p.where, _("{describe}: {refusal}").format(describe=p.target.describe(), refusal=refusal))
        return False
    verdict = three_way(p.base_hash, p.edited_hash, current)
    if verdict is Verdict.APPLIED and not owner_exists:
        verdict = Verdict.CONFLICT
    if verdict is Verdict.CONFLICT:
        _kept(ws, report, p, current, by, now, _conflict_reason(p, current, owner_exists))
        return False
    if verdict is Verdict.UNCHANGED:
        report.add(Verdict.UNCHANGED, p.where, p.target.describe())
        return False
    return True


def _follow_stage(ws: Workspace, p: Proposal, owner: Message | None, report: ImportReport) -> Proposal:
    """A translation follows its message's stage: the stage is the whole message's, for every
    locale, and only a source-locale view moves it. A translation whose view says another stage
    (typed in a translation notebook, or the message moved since the file was made) is merged at
    the message's stage, and a note says the file's stage was not applied."""
    source = ws.config.source_locale
    if (p.target.kind != "message" or p.text is None or owner is None or not p.stage
            or p.target.locale == source or Stage.parse(p.stage) == owner.stage):
        return p
    report.notes.append(_("{where}: {describe}: stage {stage} not applied: a translation "
                        "follows its message's stage ({stage2}); the stage is changed in a "
                        "{source} view").format(where=p.where, describe=p.target.describe(), stage=p.stage, stage2=owner.stage, source=source))
    return replace(p, stage=str(owner.stage))


T = TypeVar("T")


def _attempt(report: ImportReport, p: Proposal, make: Callable[[], T]) -> tuple[bool, T | None]:
    """``make()`` the edited owner; a result that would not load again is refused and reported."""
    try:
        result = make()
    except (KizunaError, ValueError) as exc:
        report.add(Verdict.REFUSED, p.where, _("{describe}: {value}").format(describe=p.target.describe(), value=getattr(exc, 'message', None) or exc))
        return False, None
    text = _("deleted") if p.text is None else _("added") if p.base_hash is None else _("changed")
    report.add(Verdict.APPLIED, p.where, _("{describe}: {value}").format(describe=p.target.describe(), value=text))
    return True, result


def _apply_message_group(ws: Workspace, message_id: str, proposals: list[Proposal],
                         report: ImportReport, by: str | None, now: datetime) -> None:
    message = _fresh_message(ws, message_id)
    path, source = ws.message_path(message_id), ws.config.source_locale
    changed = False
    for p in proposals:
        current = message_unit_hash(message, p.target.locale)
        p = _follow_stage(ws, p, message, report)
        if not _to_apply(ws, p, message, current, report, by, now):
            continue
        ok, candidate = _attempt(report, p, lambda: _checked_message(edit_message(message, p, source), path))
        if ok:
            message, changed = candidate, True
    if changed:
        if message is None:
            ws.delete_message(message_id)
        else:
            ws.save_message(message)


def _edited_town(ws: Workspace, town: Town, p: Proposal, local: Message | None) -> Town:
    if p.target.kind == "message":
        candidate = with_local_message(town, p.target.key, edit_message(local, p, ws.config.source_locale))
    else:
        candidate = edit_town(town, p)
    town_from_data(town_to_data(candidate, ws.config.source_locale), ws.town_path(town.code),
                   ws.config.source_locale)
    return candidate


def _apply_town_group(ws: Workspace, code: str, proposals: list[Proposal], report: ImportReport,
                      by: str | None, now: datetime) -> None:
    town = _fresh_town(ws, code)
    changed = False
    for p in proposals:
        local = None
        if p.target.kind == "message" and town is not None:
            local = next((m for m in town.local_messages if m.id == p.target.key), None)
        if p.target.kind == "message":
            current = message_unit_hash(local, p.target.locale)
            p = _follow_stage(ws, p, local, report)
        else:
            current = _town_unit_hash(town, p.target)
        if not _to_apply(ws, p, local, current, report, by, now, owner_exists=town is not None):
            continue
        assert town is not None
        ok, candidate = _attempt(report, p, lambda: _edited_town(ws, town, p, local))
        if ok:
            town, changed = candidate, True
    if changed and town is not None:
        ws.save_town(town)


def apply_proposals(ws: Workspace, proposals: Iterable[Proposal], report: ImportReport, *,
                    by: str | None = None, now: datetime | None = None) -> None:
    """Merge every proposal into the workspace, one owner file at a time."""
    when = now or datetime.now(timezone.utc).astimezone()
    groups: dict[tuple[str, str], list[Proposal]] = defaultdict(list)
    for p in proposals:
        groups[_owner(ws, p.target)].append(p)
    for (kind, key), items in groups.items():
        if kind == "message":
            _apply_message_group(ws, key, items, report, by, when)
        else:
            _apply_town_group(ws, key, items, report, by, when)


# --- decisions ------------------------------------------------------------------------------------
def log_item(target: Target) -> tuple[str, str | None]:
    """The sign-off log's ``(message, town)`` for a target."""
    if target.kind == "block":
        return f"town:{target.key}:{target.part}", target.key
    return target.key, None


def already_logged(ws: Workspace, request: DecisionRequest, content_hash: str) -> bool:
    """True when the log has this very decision (reviewer, item, hash, decision, comment)."""
    from kizuna.review.decisions import read_log  # noqa: PLC0415 - review is imported lazily

    message_id, _ = log_item(request.target)
    return any(d.message_id == message_id and d.locale == request.target.locale
               and d.reviewer == request.reviewer and d.content_hash == content_hash
               and d.decision == request.decision and d.comment == request.comment
               for d in read_log(ws.root))


def _refresh(ws: Workspace, target: Target) -> None:
    """Load the owner of ``target`` again from disk into ``ws`` (a change saved by someone else
    since ``ws`` was loaded must be what a decision is checked against and bound to)."""
    kind, key = _owner(ws, target)
    if kind == "message":
        message = _fresh_message(ws, key)
        if message is None:
            ws.messages.pop(key, None)
        else:
            ws.messages[key] = message
        return
    town = _fresh_town(ws, key)
    if town is None:
        ws.towns.pop(key, None)
    else:
        ws.towns[key] = town


def _not_current(saw: str | None, now_hash: str | None, locale: str | None) -> str:
    if now_hash is None and saw is None:
        return f"there is no {locale or ''} text to decide on yet".replace("  ", " ")
    if now_hash is None:
        return _("the text was deleted since the file was made")
    return _("the text changed since the file was made; decide on the current text in a new file")


def apply_decisions(ws: Workspace, requests: Iterable[DecisionRequest], seen: dict[Target, str | None],
                    report: ImportReport, *, now: datetime | None = None) -> None:
    """Record each decision against the text its reviewer saw (``seen[target]``, else the base),
    checked against the workspace as it is on disk now."""
    from kizuna.review.signoff import record_decision  # noqa: PLC0415

    for r in requests:
        label = f"{r.target.describe()}: {DECISION_NAMES.get(r.decision, r.decision)}"
        said = f"{label} 「{r.comment}」" if r.comment else label
        if not r.reviewer:
            report.add(Verdict.REFUSED, r.where, _("{said} not recorded: this file names no reviewer "
                       "(make it with --by REVIEWER)").format(said=said))
            continue
        saw = seen.get(r.target, r.base_hash)
        try:
            _refresh(ws, r.target)
        except KizunaError as exc:
            report.add(Verdict.REFUSED, r.where, _("{said} not recorded: {exc}").format(said=said, exc=exc))
            continue
        now_hash = current_hash(ws, r.target)
        if now_hash is None or now_hash != saw:
            report.add(Verdict.REFUSED, r.where, _("{said} not recorded: {not_current}").format(said=said, not_current=_not_current(saw, now_hash, r.target.locale)))
            continue
        if already_logged(ws, r, now_hash):
            report.add(Verdict.UNCHANGED, r.where, f"{label} (already in the log)")
            continue
        message_id, town = log_item(r.target)
        try:
            record_decision(ws, message_id=message_id, locale=r.target.locale or ws.config.source_locale,
                            reviewer=r.reviewer, decision=r.decision, comment=r.comment, town=town,
                            now=now)
        except KizunaError as exc:
            report.add(Verdict.REFUSED, r.where, _("{said} refused: {message}").format(said=said, message=exc.message))
            continue
        report.add(Verdict.APPLIED, r.where, f"{label} recorded")


def seen_hashes(proposals: Iterable[Proposal]) -> dict[Target, str | None]:
    """For rows whose text was edited and is now in the workspace, the reviewer decided on the
    edited text; for the others, on the base."""
    return {p.target: p.edited_hash for p in proposals if p.text is not None and p.base_hash != p.edited_hash}
