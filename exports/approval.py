"""Which texts are signed off: one call to ``review.signoff.status`` per export.

Exports take only approved text by default — the messages and the town blocks (a block is an
item of its own, keyed ``town:CODE:STAGE``). The sign-off status of every item is
read once, turned into plain :class:`~exports.model.Approval` values (so it can travel to worker
processes) and looked up per entry.

The approval reference is the hash of the latest decision-log entry that approved the current
text (``decision:<hash>``). When the sign-off status carries no such hash, the reference falls
back to the content hash the approval is bound to (``content:<hash>``), which still identifies
exactly what was approved.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any, Mapping

from catalog.stages import Stage
from exports.model import APPROVED, Approval

#: status of a (message, locale) that the sign-off status does not mention
UNKNOWN = "draft"
#: attributes of a sign-off status that may carry the approving decision's hash, in order
_REF_ATTRIBUTES = ("approval_ref", "decision_hash", "approved_hash", "entry_hash")

ApprovalMap = Mapping[tuple[str, str], Approval]


def signoff_status(workspace: Any, now: date | datetime | None) -> Mapping[tuple[str, str], Any]:
    """The sign-off package's status of every (message id, locale) (the one place that calls it)."""
    from review import signoff

    return signoff.status(workspace, now=now)


def _decision_ref(status: Any) -> str | None:
    for name in _REF_ATTRIBUTES:
        value = getattr(status, name, None)
        if isinstance(value, str) and value:
            return value if ":" in value else f"decision:{value}"
    decision = getattr(status, "decision", None) or getattr(status, "latest_approval", None)
    value = getattr(decision, "hash", None) if decision is not None else None
    return f"decision:{value}" if isinstance(value, str) and value else None


def to_approval(status: Any, content_hash: str | None) -> Approval:
    """A plain :class:`Approval` from one sign-off status object."""
    state = str(getattr(status, "state", status))
    ref = None
    if state == APPROVED:
        ref = _decision_ref(status) or (f"content:{content_hash}" if content_hash else None)
    return Approval(state, ref)


def approvals(workspace: Any, *, now: date | datetime | None = None) -> dict[tuple[str, str], Approval]:
    """Every item of the workspace — (message id, locale) and (block key, locale) — with its
    approval."""
    raw = signoff_status(workspace, now)
    return {(str(key[0]), str(key[1])): to_approval(status, getattr(status, "current_hash", None))
            for key, status in raw.items()}


def block_key(code: str, stage: Stage) -> str:
    """The sign-off item key of a town block (``town:202029:B8d``, as ``review.signoff``)."""
    return f"town:{code}:{stage}"


def lookup(approval_map: ApprovalMap, message_id: str, locale: str) -> Approval:
    return approval_map.get((message_id, locale)) or Approval(UNKNOWN)
