"""Which texts are signed off: one call to ``review.signoff.status`` per export.

Exports take only approved text by default — the messages and the town blocks (a block is an
item of its own, keyed ``town:CODE:STAGE``). The sign-off status of every item is
read once, turned into plain :class:`~exports.model.Approval` values (so it can travel to worker
processes) and looked up per entry.

The approval reference is the digest of the latest decision-log entry that counts for the
approval of the current text (``decision:<digest>``, the ``digest`` field of that line of
``decisions.jsonl``). When the sign-off status carries no such digest, the reference falls back
to the content hash the approval is bound to (``content:<hash>``), which still identifies
exactly what was approved.

Approvals are only as good as the log they come from: :func:`decisions_anchor` checks the log's
hash chain (an edited, reordered or deleted entry stops the export, naming the first bad
entry) and gives its head — number of entries and digest of the last — which the manifest
records, so that the references of an export can be checked against the log it was made from.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any, Mapping

from kizuna.catalog.stages import Stage
from kizuna.exports.errors import ExportError
from kizuna.exports.model import APPROVED, Approval
from kizuna.catalog.i18n import _

#: status of a (message, locale) that the sign-off status does not mention
UNKNOWN = "draft"
ApprovalMap = Mapping[tuple[str, str], Approval]


def signoff_status(workspace: Any, now: date | datetime | None) -> Mapping[tuple[str, str], Any]:
    """The sign-off package's status of every (message id, locale) (the one place that calls it)."""
    from kizuna.review import signoff

    return signoff.status(workspace, now=now)


def _decision_ref(status: Any) -> str | None:
    """``decision:<digest>`` from a sign-off status's ``approval_ref`` (``None`` without one)."""
    value = getattr(status, "approval_ref", None)
    if not isinstance(value, str) or not value:
        return None
    return value if value.startswith(("decision:", "content:")) else f"decision:{value}"


def decisions_anchor(workspace: Any) -> dict[str, Any]:
    """``{"entries": n, "head": digest of the last entry}`` of the workspace's decisions log,
    after checking its chain; a broken chain raises :class:`ExportError` naming the first bad
    entry (approvals read from a tampered log are not exported)."""
    from kizuna.review.decisions import DECISIONS_FILE, head, verify_log

    root = getattr(workspace, "root", None)
    if root is None:
        return {"entries": 0, "head": "0" * 64}
    problems = verify_log(root)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise ExportError(_("the hash chain is broken — {problems}{more}. Approvals read from it cannot "
                          "be trusted, so nothing is exported: run 'kizuna review verify' and restore the "
                          "log from version control").format(problems=problems[0], more=more), path=root / DECISIONS_FILE)
    count, digest = head(root)
    return {"entries": count, "head": digest}


def to_approval(status: Any, content_hash: str | None) -> Approval:
    """A plain :class:`Approval` from one sign-off status object."""
    state = str(getattr(status, "state", status))
    ref = None
    if state == APPROVED:
        ref = _decision_ref(status) or (f"content:{content_hash}" if content_hash else None)
    return Approval(state, ref)


def approvals(workspace: Any, *, now: date | datetime | None = None,
              check_log: bool = True) -> dict[tuple[str, str], Approval]:
    """Every item of the workspace — (message id, locale) and (block key, locale) — with its
    approval; the decisions log's chain is checked first (``check_log=False``: the caller did,
    with :func:`decisions_anchor`)."""
    if check_log:
        decisions_anchor(workspace)
    raw = signoff_status(workspace, now)
    return {(str(key[0]), str(key[1])): to_approval(status, getattr(status, "current_hash", None))
            for key, status in raw.items()}


def block_key(code: str, stage: Stage) -> str:
    """The sign-off item key of a town block (``town:202029:B8d``, as ``review.signoff``)."""
    return f"town:{code}:{stage}"


def lookup(approval_map: ApprovalMap, message_id: str, locale: str) -> Approval:
    return approval_map.get((message_id, locale)) or Approval(UNKNOWN)
