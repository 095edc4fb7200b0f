"""A local memo of sign-off statuses across runs, so that after one edit only the edited items'
status is derived again, and a command that only needs to know what is approved (what ships:
the checks, coverage) does not read the decisions log at all when it did not change.

:func:`review.signoff.derive` is a pure function of an item (its key, locale, stage, text,
required roles and town), the item's decisions, the re-review period and the moment ``now``.
The memo keeps, per item, those inputs — the item's fields, the period, and for its decisions
the number of each one's line in ``decisions.jsonl`` with a digest of the line as written —
and the status derived from them, with the span of moments over which that status holds:
``now`` enters :func:`derive` only through whether an approval is younger than the period
(``at + period > now``), so the status is the same for every ``now`` between two consecutive
expiry moments of the item's approvals. A status is reused only for the same inputs and a
``now`` inside its span; anything else is derived again.

Which lines hold each item's decisions (the *index*) is kept with the log file's size,
modification and change time and inode (:func:`catalog.loadcache.file_stamp`). While the file
keeps that stamp, the index stands and the log is not read (an item derived again reads only its
own lines). When the stamp changed, the whole log is read and checked as always
(:func:`review.decisions.read_log`) and the index is made again; a line edited by hand has
another digest, so the items it concerns are derived again, whatever its ``digest`` field says.

It lives in ``<workspace>/.kizuna/cache/signoff.pickle`` (local state: never committed, safe to
delete), is keyed by the kizuna version and a fingerprint of the code that derives statuses, and
is written only by commands that ran to the end (:func:`catalog.loadcache.save_loader`), only
where kizuna already keeps local state, and only when it changed by more than a few items
(deriving a handful of statuses again costs less than writing the memo).
"""
from __future__ import annotations

import hashlib
import pickle
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Sequence

from kizuna.catalog.loadcache import CACHE_DIR, file_stamp, remember_pending, save_pickle

if TYPE_CHECKING:
    from kizuna.review.decisions import Decision
    from kizuna.review.signoff import Item, MessageStatus

MEMO_FILE = "signoff.pickle"
MEMO_FORMAT = 3
#: the modules whose code decides a status (a change of any of them starts the memo afresh)
CODE = ("signoff.py", "decisions.py", "policy.py", "selection.py", "statusmemo.py")
#: the memo is written when more statuses than this were derived again (or the log changed)
REWRITE_AFTER = 64

Key = tuple[str, str]


def code_fingerprint() -> str:
    """The kizuna version and the size and modification time of the modules that derive statuses."""
    from kizuna import __version__

    here = Path(__file__).parent
    h = hashlib.sha256(f"{MEMO_FORMAT}:{__version__}".encode())
    for name in CODE:
        st = (here / name).stat()
        h.update(f"{name}:{st.st_size}:{st.st_mtime_ns}".encode())
    return h.hexdigest()


def item_part(item: Item, period_days: int) -> tuple[Any, ...]:
    """What the status of ``item`` depends on besides its decisions and ``now``."""
    text = hashlib.blake2b(item.text.encode("utf-8", "surrogatepass"), digest_size=16).digest()
    return (str(item.stage), text, tuple(item.required.items()), item.town, period_days)


def valid_span(decisions: Sequence[Decision], period_days: int,
               now: datetime) -> tuple[datetime | None, datetime | None]:
    """``(from, until)``: the moments between which the status derived at ``now`` holds — the
    last expiry moment of an approval at or before ``now`` and the first after it (``None``: none)."""
    period = timedelta(days=period_days)
    ends = {d.at + period for d in decisions if d.decision == "approve"}
    before = [t for t in ends if t <= now]
    after = [t for t in ends if t > now]
    return (max(before) if before else None, min(after) if after else None)


def _pack(status: MessageStatus, item: Item, decisions: Sequence[Decision]) -> tuple[Any, ...]:
    """The status without what the item and its decisions already hold (texts by reference)."""
    position = {id(d): i for i, d in enumerate(decisions)}
    text: Any = status.approved_text
    if text is not None:
        if text == item.text:
            text = True
        else:
            text = next((i for i, d in enumerate(decisions) if d.text == text), text)
    return (status.state, status.current_hash, dict(status.missing_roles),
            tuple(position[id(d)] for d in status.approvals), status.reasons, status.approved_hash,
            text, status.approved_stage, status.approved_at, status.expires_at)


def _unpack(packed: tuple[Any, ...], item: Item, decisions: Sequence[Decision]) -> MessageStatus:
    from kizuna.review.signoff import MessageStatus

    (state, current_hash, missing, approvals, reasons, approved_hash, text, approved_stage,
     approved_at, expires_at) = packed
    if text is True:
        text = item.text
    elif type(text) is int:
        text = decisions[text].text
    return MessageStatus(message_id=item.key, locale=item.locale, state=state, stage=item.stage,
                         current_hash=current_hash, required=dict(item.required), missing_roles=dict(missing),
                         decisions=tuple(decisions), approvals=tuple(decisions[i] for i in approvals),
                         town=item.town, reasons=reasons, approved_hash=approved_hash, approved_text=text,
                         approved_stage=approved_stage, approved_at=approved_at, expires_at=expires_at)


@dataclass(frozen=True)
class State:
    """What an item's status says about shipping: its state and, when approved, when that runs out."""

    state: str
    expires_at: datetime | None = None


@dataclass
class StatusMemo:
    """The statuses of one workspace and the index of its log, as the last run left them."""

    root: Path | None
    key: str = ""
    #: (message id, locale) -> (inputs, valid from, valid until, packed status)
    items: dict[Key, tuple[Any, ...]] = field(default_factory=dict)
    #: (message id, locale) -> ((line number, line digest), ...) of its decisions, in log order
    index: dict[Key, tuple[tuple[int, bytes], ...]] = field(default_factory=dict)
    #: ``("stamp", file stamp)`` of the log the index was made from (``None``: not made yet)
    log_stamp: Any = None
    used: dict[Key, tuple[Any, ...]] = field(default_factory=dict)
    changed: bool = False
    derived: int = 0
    #: the log's lines by number, read for the items derived again in this run
    _lines: dict[int, str] | None = field(default=None, repr=False)
    #: the decisions by line number, when :meth:`sync` read the whole log
    _by_line: dict[int, Decision] | None = field(default=None, repr=False)

    # --- the log ---------------------------------------------------------------------------------
    def sync(self) -> list[Decision] | None:
        """Make the index current: nothing to do while the log keeps its stamp (``None`` is
        returned); otherwise the whole log is read and checked, and returned."""
        if self.root is None:
            return None
        from kizuna.review.decisions import line_digests, log_path, read_log

        path = log_path(self.root)
        stamp = ("stamp", file_stamp(path))
        if stamp == self.log_stamp:
            return None
        self._lines = None
        decisions = read_log(self.root)
        self._by_line = {d.line: d for d in decisions}
        digests = line_digests(self.root)
        index: dict[Key, list[tuple[int, bytes]]] = {}
        for d in decisions:
            index.setdefault(d.key, []).append((d.line, digests.get(d.line, b"")))
        self.index = {key: tuple(lines) for key, lines in index.items()}
        # the file may have changed while it was read: then the index is made again next time
        self.log_stamp = stamp if stamp == ("stamp", file_stamp(path)) else None
        self.changed = True
        return decisions

    def _decisions_of(self, key: Key) -> list[Decision]:
        """The decisions of one item, parsed from its own lines (the log's lines are read once per
        run, and only when an item is derived again)."""
        if self.root is None:
            return []
        from kizuna.review.decisions import line_digest, log_lines, read_lines

        wanted = self.index.get(key, ())
        if self._by_line is not None:  # the whole log was read and indexed in this process
            return [self._by_line[n] for n, _digest in wanted]
        if self._lines is None:
            self._lines = log_lines(self.root)
        if any(line_digest(self._lines.get(n, "")) != digest for n, digest in wanted):
            # the file changed since it was indexed (while this run went on): read it all again
            self.log_stamp = None
            self.sync()
            assert self._by_line is not None
            return [self._by_line[n] for n, _digest in self.index.get(key, ())]
        numbers = [n for n, _digest in wanted]
        found = read_lines(self.root, numbers, self._lines)
        return [found[n] for n in numbers]

    # --- statuses --------------------------------------------------------------------------------
    def _hit(self, item: Item, inputs: tuple[Any, ...], now: datetime) -> tuple[Any, ...] | None:
        key = (item.key, item.locale)
        hit = self.items.get(key)
        if (hit is not None and hit[0] == inputs and (hit[1] is None or hit[1] <= now)
                and (hit[2] is None or now < hit[2])):
            self.used[key] = hit
            return hit
        return None

    def _derive(self, item: Item, inputs: tuple[Any, ...], decisions: Sequence[Decision], period_days: int,
                now: datetime, derive: Callable[..., MessageStatus]) -> MessageStatus:
        found = derive(item, decisions, period_days=period_days, now=now)
        entry = (inputs, *valid_span(decisions, period_days, now), _pack(found, item, decisions))
        key = (item.key, item.locale)
        self.items[key] = self.used[key] = entry
        self.derived += 1
        return found

    def status(self, item: Item, decisions: Sequence[Decision], *, period_days: int, now: datetime,
               derive: Callable[..., MessageStatus]) -> MessageStatus:
        """The status of ``item`` now (``decisions``: its decisions, read from the log after
        :meth:`sync`): the remembered one when its inputs are the same and ``now`` lies in its
        span, else ``derive(...)``'s (remembered)."""
        inputs = (item_part(item, period_days), self.index.get((item.key, item.locale), ()))
        hit = self._hit(item, inputs, now)
        if hit is not None:
            return _unpack(hit[3], item, decisions)
        return self._derive(item, inputs, decisions, period_days, now, derive)

    def state(self, item: Item, *, period_days: int, now: datetime, derive: Callable[..., MessageStatus]) -> State:
        """Only the state of ``item`` now and its expiry, without the log: an item derived again
        reads its own lines (after :meth:`sync`)."""
        inputs = (item_part(item, period_days), self.index.get((item.key, item.locale), ()))
        hit = self._hit(item, inputs, now)
        if hit is not None:
            return State(hit[3][0], hit[3][-1])
        found = self._derive(item, inputs, self._decisions_of((item.key, item.locale)), period_days, now, derive)
        return State(found.state, found.expires_at)

    def save(self) -> None:
        """Write what this run used (atomically; a memo that cannot be written is not an error),
        when the log changed or more than :data:`REWRITE_AFTER` statuses were derived again or
        dropped."""
        dropped = len(self.items) - len(self.used)
        if self.root is None or not (self.changed or self.derived + dropped > REWRITE_AFTER):
            return
        try:
            save_pickle(self.root, CACHE_DIR / MEMO_FILE,
                        {"format": MEMO_FORMAT, "key": self.key, "log": self.log_stamp, "index": self.index,
                         "items": self.used})
        except Exception:  # noqa: BLE001 - a read-only workspace still shows its status
            return
        self.changed, self.derived = False, 0


_OPEN: dict[Path, StatusMemo] = {}


def status_memo(root: Path | None) -> StatusMemo:
    """The memo of the workspace at ``root``, read once per process and kept up to date in memory;
    a command that ran to the end writes it (:func:`catalog.loadcache.save_loader`). Without a
    ``.kizuna`` folder (a workspace kizuna has not run in) the memo lives in memory only."""
    if root is None:
        return StatusMemo(None)
    resolved = Path(root).resolve()
    key = code_fingerprint()
    memo = _OPEN.get(resolved)
    if memo is not None and memo.key == key:
        memo.used = {}
    else:
        memo = _OPEN[resolved] = _read(resolved, key)
    if (resolved / ".kizuna").is_dir():
        remember_pending(resolved, "signoff", memo)
    return memo


def _read(root: Path, key: str) -> StatusMemo:
    memo = StatusMemo(root, key)
    if not (root / ".kizuna").is_dir():
        return memo
    try:
        with open(root / CACHE_DIR / MEMO_FILE, "rb") as handle:
            data = pickle.load(handle)
    except Exception:  # noqa: BLE001 - a missing or broken memo is an empty one
        return memo
    if isinstance(data, dict) and data.get("format") == MEMO_FORMAT and data.get("key") == key:
        memo.log_stamp, memo.index, memo.items = data["log"], data["index"], data["items"]
    return memo
