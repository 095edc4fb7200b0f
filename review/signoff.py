"""Sign-off: record who decided what (refusing what they may not decide) and derive status.

**What is signed off.** One *item* per message and locale, and per town block and locale:

* a national message: key ``(message_id, locale)``, for every locale the message has a text in;
* a town's local message: the same key (message ids are unique across the workspace), with the
  town taken from the message;
* a town block: key ``("town:CODE:STAGE", locale)``, e.g. ``("town:202029:B8d", "ja")``
  (:func:`block_key`), for every locale the block is written in. ``record_decision`` and
  ``is_approved`` also accept ``message_id="B8d", town="202029"``. A block moved to another
  stage is another block: it starts again as a draft.

A decision is bound to the item's :func:`catalog.hashing.content_hash` (stage + locale + text)
at the moment it is made, and the text itself is kept in the log, so an approval stops counting
as soon as the text or the stage changes, and the last approved text can be shown.

**Who may decide.** ``approve`` and ``changes`` (request changes) need a role the policy
requires for the item; a ``comment`` is open to every rostered reviewer. A town editor's
``town_editor`` role counts only for their own towns' blocks and local messages, and a reviewer
who is nothing but a town editor cannot act at all — not even comment — on another town's block
or local message. A refused decision raises :class:`DecisionRefused` and is not logged.

**Status** is derived from the log every time, never stored. For one item, with ``h`` its
current content hash and ``R`` the roles the policy requires now:

* each reviewer's *stance* is their latest ``approve`` or ``changes`` on ``h`` (comments do not
  change a stance; a later approve withdraws an earlier request for changes, and vice versa);
* ``changes_requested`` — someone's stance on ``h`` is ``changes``;
* ``approved`` — the approvals on ``h`` younger than the re-review period fill ``R`` (each
  reviewer fills one slot, with one of the roles they held when deciding);
* ``expired`` — they would fill ``R`` if the older ones still counted;
* ``stale`` — the item was fully approved before (some text, under the requirement of that
  moment), and the text, the stage or the required roles have changed since;
* ``in_review`` — decisions exist but none of the above holds; ``draft`` — no decision at all.

An approved translation whose source text is not approved, or that was made from another
source text, keeps its state but carries a reason saying it does not ship yet
(:mod:`review.selection`: a translation ships only with its signed-off source).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta, timezone
from typing import Iterable, Mapping, Sequence

from kizuna.catalog.errors import KizunaError, StageError, WorkspaceError
from kizuna.catalog.hashing import content_hash, normalise_text
from kizuna.catalog.i18n import _
from kizuna.catalog.messages import Message
from kizuna.catalog.roster import ROLES, Reviewer, find_reviewer
from kizuna.catalog.stages import Stage
from kizuna.catalog.workspace import ROSTER_FILE, Workspace
from kizuna.review.decisions import DECISIONS, Decision, append, read_log
from kizuna.review.policy import (TOWN_ROLE, Policy, Requirement, block_requirement, format_requirement,
                           load_policy, message_requirement)

BLOCK_PREFIX = "town:"
STATES = ("draft", "in_review", "changes_requested", "approved", "stale", "expired")
STATE_LABELS_JA = {
    "draft": "未レビュー",
    "in_review": "レビュー中",
    "changes_requested": "修正依頼あり",
    "approved": "承認済み",
    "stale": "要再承認（承認後に変更）",
    "expired": "要再承認（期限切れ）",
}
DECISION_LABELS_JA = {"approve": "承認", "changes": "修正依頼", "comment": "コメント"}

Key = tuple[str, str]


class DecisionRefused(KizunaError):
    """A decision the reviewer may not make; it was not logged."""

    def __init__(self, message: str, *, reviewer: str = "", roles: Sequence[str] = (),
                 message_id: str = "") -> None:
        self.reviewer = reviewer
        self.roles = tuple(roles)
        self.message_id = message_id
        super().__init__(message)


# items ----------------------------------------------------------------------------------------
def block_key(code: str, stage: Stage | str) -> str:
    """The item key of a town block: ``town:202029:B8d``."""
    return f"{BLOCK_PREFIX}{code}:{stage}"


def parse_block_key(key: str) -> tuple[str, Stage] | None:
    """``(code, stage)`` of a block key, ``None`` for a message id; a malformed block key
    raises ``KizunaError``."""
    if not key.startswith(BLOCK_PREFIX):
        return None
    parts = key.split(":")
    try:
        if len(parts) != 3:
            raise StageError("")
        return parts[1], Stage.parse(parts[2])
    except StageError:
        raise KizunaError(_("'{key}' is not a town block; write town:CODE:STAGE, like town:202029:B8d").format(
            key=key)) from None


@dataclass(frozen=True)
class Item:
    """One locale of a message or of a town block: what one decision is about."""

    key: str
    locale: str
    stage: Stage
    text: str
    required: Requirement
    town: str | None = None
    message: Message | None = None

    @property
    def content_hash(self) -> str:
        return content_hash(str(self.stage), self.locale, self.text)

    @property
    def is_block(self) -> bool:
        return self.message is None

    def describe(self, ws: Workspace | None = None) -> str:
        """``message p12w-checkup (ja)`` or ``the town block of 松本市 (202029) at B8d (ja)``."""
        if self.is_block:
            name = ws.towns[self.town].name + " " if ws and self.town in ws.towns else ""
            return _("the town block of {name}({town}) at {stage} ({locale})").format(
                name=name, town=self.town, stage=self.stage, locale=self.locale)
        if self.town:
            return _("message {key} of town {town} ({locale})").format(key=self.key, town=self.town,
                                                                       locale=self.locale)
        return _("message {key} ({locale})").format(key=self.key, locale=self.locale)


def _message_items(message: Message, policy: Policy, source_locale: str) -> list[Item]:
    return [Item(message.id, loc, message.stage, entry.reviewed_text,
                 message_requirement(policy, message, loc, source_locale), message.town, message)
            for loc, entry in message.texts.items()]


def all_items(ws: Workspace, policy: Policy | None = None) -> dict[Key, Item]:
    """Every item of the workspace, in stage order (then key, then locale)."""
    policy = policy or load_policy(ws)
    source = ws.config.source_locale
    found: list[Item] = []
    for message in ws.messages.values():
        found += _message_items(message, policy, source)
    for_blocks = block_requirement(policy)
    for town in ws.towns.values():
        for local in town.local_messages:
            found += _message_items(local, policy, source)
        for stage, by_locale in town.blocks.items():
            found += [Item(block_key(town.code, stage), loc, stage, text, dict(for_blocks), town.code)
                      for loc, text in by_locale.items()]
    locales = list(ws.config.locales)
    found.sort(key=lambda i: (i.stage.sort_key, i.town or "", i.key,
                              locales.index(i.locale) if i.locale in locales else len(locales)))
    return {(i.key, i.locale): i for i in found}


def resolve_key(message_id: str, town: str | None) -> str:
    """The item key for ``message_id`` given the optional ``town``: a block key stays as it is;
    a stage with a town becomes a block key; a message id stays as it is."""
    parsed = parse_block_key(message_id)
    if parsed is not None:
        if town is not None and town != parsed[0]:
            raise KizunaError(_("'{key}' is a block of town {code}, not of town {town}").format(
                key=message_id, code=parsed[0], town=town))
        return block_key(parsed[0], parsed[1])
    if town is not None:
        try:
            return block_key(town, Stage.parse(message_id))
        except StageError:
            pass
    return message_id


def find_item(ws: Workspace, message_id: str, locale: str, *, town: str | None = None,
              policy: Policy | None = None) -> Item:
    """The item a decision names; a clear ``KizunaError`` when there is none."""
    policy = policy or load_policy(ws)
    key = resolve_key(message_id, town)
    parsed = parse_block_key(key)
    if parsed is not None:
        code, stage = parsed
        by_locale = ws.town(code).blocks.get(stage)
        if not by_locale:
            raise WorkspaceError(_("town {code} has no block at stage {stage}; check the stage in "
                                   "towns/{code}.yaml").format(code=code, stage=stage), path=ws.town_path(code))
        if locale not in by_locale:
            raise WorkspaceError(_("the block at {stage} has no '{locale}' text (it has: {locales})").format(
                                     stage=stage, locale=locale, locales=", ".join(by_locale)),
                                 path=ws.town_path(code))
        return Item(key, locale, stage, by_locale[locale], block_requirement(policy), code)
    message = ws.message(key)
    if town is not None and message.town != town:
        where = (_("a local message of town {town}").format(town=message.town) if message.town
                 else _("a national message"))
        raise KizunaError(_("message {key} is {where}; --town {town} does not apply to it: leave --town out").format(
            key=key, where=where, town=town))
    if locale not in message.texts:
        raise WorkspaceError(_("message {key} has no '{locale}' text (it has: {locales})").format(
                                 key=key, locale=locale, locales=", ".join(message.texts)),
                             path=ws.message_path(key) if message.town is None else ws.town_path(message.town))
    return next(i for i in _message_items(message, policy, ws.config.source_locale) if i.locale == locale)


# who may decide -------------------------------------------------------------------------------
def effective_roles(person: Reviewer, town: str | None) -> tuple[str, ...]:
    """The reviewer's roles that can count for an item of ``town`` (``None``: national)."""
    return tuple(r for r in person.roles if r != TOWN_ROLE or (town is not None and town in person.towns))


def _who(person: Reviewer) -> str:
    roles = ", ".join(f"{ROLES.get(r, r)} ({r})" for r in person.roles)
    return f"{person.name} ({person.id}, {roles})"


def refusal(person: Reviewer, item: Item, decision: str, what: str) -> str | None:
    """Why ``person`` may not make ``decision`` on ``item`` (``what`` names it), or ``None``."""
    roles = effective_roles(person, item.town)
    counting = set(roles) & set(item.required)
    if item.town is not None and TOWN_ROLE in person.roles and item.town not in person.towns:
        if not (roles if decision == "comment" else counting):
            return _("{who} edits town(s) {towns} only; {what} belongs to town {town}, and a town editor may "
                     "not act on another town. Nothing was recorded.").format(
                         who=_who(person), towns=", ".join(person.towns), what=what, town=item.town)
    if decision == "comment" or counting:
        return None
    said = (_("{who} may not approve {what}: that needs {needs}. Nothing was recorded (any reviewer may add "
              "a comment instead).") if decision == "approve" else
            _("{who} may not request changes to {what}: that needs {needs}. Nothing was recorded (any reviewer "
              "may add a comment instead)."))
    return said.format(who=_who(person), what=what, needs=format_requirement(item.required))


def as_moment(moment: datetime | date | None) -> datetime:
    """``now`` as an aware datetime: the current time when ``None``, a naive datetime taken as
    UTC, a date as 00:00 UTC of that day."""
    if moment is None:
        return datetime.now(timezone.utc).astimezone()
    if not isinstance(moment, datetime):
        return datetime.combine(moment, time(0), tzinfo=timezone.utc)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def record_decision(ws: Workspace, *, message_id: str, locale: str, reviewer: str, decision: str,
                    comment: str = "", town: str | None = None, now: datetime | date | None = None) -> Decision:
    """Append one decision to the log, bound to the item's current content hash.

    ``reviewer`` is an id or exact name in the roster; ``decision`` is ``approve``, ``changes``
    or ``comment``; a naive ``now`` is taken as UTC. Raises :class:`DecisionRefused` (nothing
    logged) when the reviewer may not make it, ``KizunaError`` for an unknown item or decision."""
    if decision not in DECISIONS:
        raise KizunaError(_("unknown decision '{decision}'; use one of {decisions}").format(
            decision=decision, decisions=", ".join(DECISIONS)))
    item = find_item(ws, message_id, locale, town=town)
    try:
        person = find_reviewer(ws.reviewers, reviewer, ws.root / ROSTER_FILE)
    except WorkspaceError as exc:
        raise DecisionRefused(_("{problem}. Nothing was recorded.").format(problem=exc.message), reviewer=reviewer,
                              message_id=item.key) from None
    why = refusal(person, item, decision, item.describe(ws))
    if why:
        raise DecisionRefused(why, reviewer=person.id, roles=person.roles, message_id=item.key)
    return append(ws.root, {
        "at": as_moment(now).isoformat(timespec="seconds"), "message": item.key, "locale": item.locale,
        "town": item.town, "reviewer": person.id, "roles": list(effective_roles(person, item.town)),
        "decision": decision, "comment": comment, "stage": str(item.stage), "hash": item.content_hash,
        "text": item.text, "required": dict(item.required),
    })


# status ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class MessageStatus:
    """The derived sign-off status of one item."""

    message_id: str
    locale: str
    state: str
    stage: Stage
    current_hash: str
    required: Requirement
    #: role -> how many more approvals of that role are needed (iterates as role ids)
    missing_roles: dict[str, int]
    #: every decision on this item (any text), in log order
    decisions: tuple[Decision, ...]
    #: the approvals that count now (current text, within the re-review period)
    approvals: tuple[Decision, ...] = ()
    town: str | None = None
    #: the last text that was fully approved (``None`` if it never was)
    approved_hash: str | None = None
    approved_text: str | None = None
    approved_stage: str | None = None
    approved_at: datetime | None = None
    #: when the current approval runs out (approved items only)
    expires_at: datetime | None = None
    #: why the item is in this state, in Japanese (stale, expired, changes requested)
    reasons: tuple[str, ...] = field(default_factory=tuple)

    @property
    def key(self) -> Key:
        return (self.message_id, self.locale)

    @property
    def label_ja(self) -> str:
        return STATE_LABELS_JA[self.state]

    @property
    def approval_ref(self) -> str | None:
        """For an approved item, the log digest of the latest approval that counts (what an
        export can cite as the approval); ``None`` otherwise."""
        if self.state != "approved" or not self.approvals:
            return None
        return max(self.approvals, key=lambda d: d.seq).digest

    @property
    def is_block(self) -> bool:
        return self.message_id.startswith(BLOCK_PREFIX)


def assign(required: Mapping[str, int], approvals: Sequence[Decision]) -> tuple[dict[str, int], list[Decision]]:
    """Fill the required slots with approvals, each approval filling at most one slot with one
    of its roles (a maximum bipartite matching). Returns ``(missing roles, approvals used)``."""
    slots = [role for role, count in required.items() for _ in range(count)]
    holder: dict[int, int] = {}  # approval index -> slot index

    def place(slot: int, seen: set[int]) -> bool:
        for a, d in enumerate(approvals):
            if slots[slot] in d.roles and a not in seen:
                seen.add(a)
                if a not in holder or place(holder[a], seen):
                    holder[a] = slot
                    return True
        return False

    for slot in range(len(slots)):
        place(slot, set())
    filled = Counter(slots[s] for s in holder.values())
    missing = {role: count - filled[role] for role, count in required.items() if count > filled[role]}
    return missing, [approvals[a] for a in sorted(holder)]


def stances(decisions: Iterable[Decision], content: str) -> dict[str, Decision]:
    """Each reviewer's latest approve/changes on the text with hash ``content``."""
    out: dict[str, Decision] = {}
    for d in decisions:
        if d.content_hash == content and d.decision in ("approve", "changes"):
            out[d.reviewer] = d
    return out


def last_signoff(decisions: Sequence[Decision]) -> Decision | None:
    """The approval that last completed a full sign-off (of whatever text, under the
    requirement recorded with it), ignoring age; ``None`` if there never was one."""
    done = None
    for i, d in enumerate(decisions):
        if d.decision != "approve":
            continue
        current = [s for s in stances(decisions[: i + 1], d.content_hash).values() if s.decision == "approve"]
        if not assign(d.required, current)[0]:
            done = d
    return done


def stale_reasons(item: Item, signoff: Decision) -> tuple[str, ...]:
    """What changed since the last full sign-off, in Japanese."""
    reasons = []
    if signoff.stage != str(item.stage):
        reasons.append(f"承認後にステージが {signoff.stage} から {item.stage} に変わりました")
    if normalise_text(signoff.text) != normalise_text(item.text):
        reasons.append("承認後に本文が変わりました")
    if dict(signoff.required) != dict(item.required):
        reasons.append(f"必要な承認者の役割が変わりました（{format_requirement(signoff.required)} → "
                       f"{format_requirement(item.required)}）")
    return tuple(reasons)


def renewed_since(required: Mapping[str, int], approvals: Sequence[Decision]) -> datetime | None:
    """The latest moment ``t`` such that the approvals made at ``t`` or later still fill
    ``required`` (``None`` when all of them do not): the approval lasts until ``t`` + the period,
    however many redundant older approvals there are."""
    for moment in sorted({d.at for d in approvals}, reverse=True):
        if not assign(required, [d for d in approvals if d.at >= moment])[0]:
            return moment
    return None


def derive(item: Item, decisions: Sequence[Decision], *, period_days: int, now: datetime) -> MessageStatus:
    """The status of one item from its decisions (pure; see the module docstring)."""
    h = item.content_hash
    current = stances(decisions, h)
    requests = [d for d in current.values() if d.decision == "changes"]
    approvals = [d for d in current.values() if d.decision == "approve"]
    period = timedelta(days=period_days)
    fresh = [d for d in approvals if d.at + period > now]
    missing, used = assign(item.required, fresh)
    since = renewed_since(item.required, fresh) if not missing else None
    if since is not None:  # count the newest approvals that fill the requirement
        missing, used = assign(item.required, [d for d in fresh if d.at >= since])
    signoff = last_signoff(decisions)
    reasons: tuple[str, ...] = ()
    if requests:
        state = "changes_requested"
        reasons = tuple(f"{d.reviewer} が修正を依頼しています" + (f"：{d.comment}" if d.comment else "")
                        for d in requests)
    elif not missing:
        state = "approved"
    elif not assign(item.required, approvals)[0]:
        state = "expired"
        reasons = (f"承認から{period_days}日を過ぎました（再レビューの周期）",)
    elif signoff is not None and (signoff.content_hash != h or dict(signoff.required) != dict(item.required)):
        state = "stale"
        reasons = stale_reasons(item, signoff)
    else:
        state = "in_review" if decisions else "draft"
    base = dict(message_id=item.key, locale=item.locale, state=state, stage=item.stage, current_hash=h,
                required=dict(item.required), missing_roles=missing, decisions=tuple(decisions),
                approvals=tuple(used if state == "approved" else fresh), town=item.town, reasons=reasons)
    if state == "approved":
        return MessageStatus(**base, approved_hash=h, approved_text=item.text, approved_stage=str(item.stage),
                             approved_at=max(d.at for d in used),
                             expires_at=(since or min(d.at for d in used)) + period)
    if signoff is not None:
        return MessageStatus(**base, approved_hash=signoff.content_hash, approved_text=signoff.text,
                             approved_stage=signoff.stage, approved_at=signoff.at)
    return MessageStatus(**base)


def _by_key(decisions: Iterable[Decision]) -> dict[Key, list[Decision]]:
    index: dict[Key, list[Decision]] = {}
    for d in decisions:
        index.setdefault(d.key, []).append(d)
    return index


def status(ws: Workspace, *, now: datetime | date | None = None) -> dict[Key, MessageStatus]:
    """The status of every item, keyed by ``(message_id, locale)``, in stage order."""
    from kizuna.review.statusmemo import status_memo

    policy = load_policy(ws)
    moment = as_moment(now)
    memo = status_memo(ws.root)  # only the items whose inputs changed are derived again
    memo.sync()
    index = _by_key(read_log(ws.root))
    items = all_items(ws, policy)
    found = {key: memo.status(item, index.get(key, []), period_days=policy.period_for(item.message), now=moment,
                              derive=derive)
             for key, item in items.items()}
    return with_shipping_reasons(found, items, ws.config.source_locale)


def states(ws: Workspace, *, now: datetime | date | None = None) -> dict[Key, Any]:
    """The state of every item (``state``, ``expires_at``: :class:`review.statusmemo.State`), as
    :func:`status` derives it, for what needs only to know what is approved (what ships): read
    from the local memo, without reading the decisions log when it did not change."""
    from kizuna.review.statusmemo import status_memo

    policy = load_policy(ws)
    moment = as_moment(now)
    memo = status_memo(ws.root)
    memo.sync()
    return {key: memo.state(item, period_days=policy.period_for(item.message), now=moment, derive=derive)
            for key, item in all_items(ws, policy).items()}


def with_shipping_reasons(found: dict[Key, MessageStatus], items: Mapping[Key, Item],
                          source_locale: str) -> dict[Key, MessageStatus]:
    """Add to each approved translation that may not ship yet the reason (its source is not
    approved, or it was made from another source text); the state stays ``approved``."""
    from kizuna.review.selection import REASONS_JA, from_statuses, why_not

    approved = from_statuses(found)
    blocks: dict[str, dict[str, str]] = {}
    for (key, locale), item in items.items():
        if item.message is None:
            blocks.setdefault(key, {})[locale] = item.text
    for key, st in found.items():
        item = items[key]
        if st.state != "approved" or item.locale == source_locale:
            continue
        texts: Mapping[str, object] = item.message.texts if item.message is not None else blocks[item.key]
        why = why_not(item.key, texts, item.locale, source_locale, approved)
        if why is not None:
            found[key] = replace(st, reasons=(*st.reasons, f"まだ送られません（{REASONS_JA.get(why, why)}）"))
    return found


def item_status(ws: Workspace, message_id: str, locale: str, *, town: str | None = None,
                now: datetime | date | None = None) -> MessageStatus:
    """The status of one item (see :func:`find_item` for how it is named)."""
    policy = load_policy(ws)
    item = find_item(ws, message_id, locale, town=town, policy=policy)
    decisions = [d for d in read_log(ws.root) if d.key == (item.key, item.locale)]
    return derive(item, decisions, period_days=policy.period_for(item.message), now=as_moment(now))


def has_item(ws: Workspace, message_id: str, locale: str, *, town: str | None = None) -> bool:
    """Whether the message (or block) has a text in ``locale``; an unknown message or town
    raises ``WorkspaceError``."""
    key = resolve_key(message_id, town)
    parsed = parse_block_key(key)
    if parsed is None:
        return locale in ws.message(key).texts
    return locale in (ws.town(parsed[0]).blocks.get(parsed[1]) or {})


def is_approved(ws: Workspace, message_id: str, locale: str, *, town: str | None = None,
                now: datetime | date | None = None) -> bool:
    """True when this locale of the message (or block) is approved now; False as well when it
    has no text in ``locale``. An unknown message raises ``WorkspaceError``."""
    if not has_item(ws, message_id, locale, town=town):
        return False
    return item_status(ws, message_id, locale, town=town, now=now).state == "approved"


def counts(statuses: Mapping[Key, MessageStatus]) -> dict[str, int]:
    """How many items are in each state (every state listed, in :data:`STATES` order)."""
    found = Counter(s.state for s in statuses.values())
    return {state: found[state] for state in STATES}


def queue(ws: Workspace, reviewer_id: str, *, now: datetime | date | None = None) -> list[Key]:
    """What awaits this reviewer's sign-off, in stage order: items not approved whose missing
    roles include one of the reviewer's, on which the reviewer has no counting approval and no
    open request for changes (that waits for the writer)."""
    person = find_reviewer(ws.reviewers, reviewer_id, ws.root / ROSTER_FILE)
    out = []
    for key, st in status(ws, now=now).items():
        if st.state == "approved" or not set(effective_roles(person, st.town)) & set(st.missing_roles):
            continue
        mine = stances(st.decisions, st.current_hash).get(person.id)
        if mine is not None and (mine.decision == "changes" or mine in st.approvals):
            continue
        out.append(key)
    return out
