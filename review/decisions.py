"""The decisions log: an append-only, hash-chained JSON Lines file in the workspace.

``decisions.jsonl`` at the workspace root holds one decision per line (approve, request changes,
or comment), in the order they were made. Nothing is ever rewritten; status is derived from it
(:mod:`review.signoff`). Each line is a JSON object (format version 1):

=========== ==================================================================================
``v``        format version, ``1``
``seq``      1, 2, 3, ... (one more than the previous entry)
``at``       when, ISO 8601 with a UTC offset (``2026-04-01T09:30:00+09:00``)
``message``  message id, or ``town:CODE:STAGE`` for a town block (see :mod:`review.signoff`)
``locale``   the locale decided on
``town``     municipality code for a town block or a town's local message, else ``null``
``reviewer`` reviewer id in ``roster.yaml``
``roles``    the reviewer's roles that counted for this item when the decision was made
``decision`` ``approve`` | ``changes`` | ``comment``
``comment``  free text (may be empty)
``stage``    the stage of the text decided on
``hash``     :func:`catalog.hashing.content_hash` of that stage, locale and text
``text``     the text decided on (so the last approved text can be shown and diffed)
``required`` ``{role: count}`` the policy required at that moment
``prev``     ``digest`` of the previous entry (64 zeros for the first)
``digest``   SHA-256 (hex) of this entry's canonical JSON without ``digest``
=========== ==================================================================================

Canonical JSON is ``json.dumps(entry, sort_keys=True, ensure_ascii=False,
separators=(",", ":"))`` encoded as UTF-8. Because each entry carries its own digest and the
digest of the previous one, an edited entry (digest mismatch), a deleted or reordered entry
(``prev`` or ``seq`` mismatch) is found by :func:`verify_log`. A chain cannot show that its last
entries were cut off or that someone rewrote the whole chain: the log is under version control,
and :func:`head` (count and last digest) is what to record elsewhere (an export manifest, a
signed tag) to anchor it.
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any, Iterable, Iterator, Mapping

from kizuna.catalog.errors import WorkspaceError
from kizuna.catalog.i18n import _
from kizuna.catalog.limits import MAX_LOG_LINE_BYTES, LimitError, lone_surrogate, shorten
from kizuna.catalog.safepaths import write_target

try:  # POSIX: serialise concurrent appends; elsewhere appends are not locked
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

DECISIONS_FILE = "decisions.jsonl"
LOG_VERSION = 1
GENESIS = "0" * 64
DECISIONS = ("approve", "changes", "comment")
ENTRY_FIELDS = ("v", "seq", "at", "message", "locale", "town", "reviewer", "roles", "decision",
                "comment", "stage", "hash", "text", "required", "prev", "digest")


@dataclass(frozen=True)
class Decision:
    """One entry of the log, as read back."""

    seq: int
    at: datetime
    message_id: str
    locale: str
    reviewer: str
    decision: str
    content_hash: str
    stage: str
    text: str
    roles: tuple[str, ...] = ()
    required: Mapping[str, int] = field(default_factory=dict)
    comment: str = ""
    town: str | None = None
    prev: str = GENESIS
    digest: str = ""
    #: 1-based line number in ``decisions.jsonl``
    line: int = 0

    @property
    def key(self) -> tuple[str, str]:
        return (self.message_id, self.locale)


@dataclass(frozen=True)
class Problem:
    """A place where the chain is broken."""

    line: int
    seq: int | None
    message: str

    def __str__(self) -> str:
        entry = f" (entry #{self.seq})" if self.seq is not None else ""
        return f"{DECISIONS_FILE} line {self.line}{entry}: {self.message}"


def log_path(root: Path) -> Path:
    return Path(root) / DECISIONS_FILE


def canonical(entry: Mapping[str, Any]) -> bytes:
    return json.dumps(entry, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def entry_digest(entry: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical JSON of ``entry`` without its ``digest`` field."""
    return hashlib.sha256(canonical({k: v for k, v in entry.items() if k != "digest"})).hexdigest()


def seal(fields: Mapping[str, Any], *, seq: int, prev: str) -> dict[str, Any]:
    """The entry to write: ``fields`` (the entry fields other than ``v``, ``seq``, ``prev`` and
    ``digest``; others are dropped) with those four added, keys in the documented order."""
    entry = {"v": LOG_VERSION, "seq": seq, **{k: fields.get(k) for k in ENTRY_FIELDS[2:-2]}, "prev": prev}
    entry["digest"] = entry_digest(entry)
    return entry


def dumps_entry(entry: Mapping[str, Any]) -> str:
    return json.dumps(entry, ensure_ascii=False, separators=(", ", ": "))


# reading --------------------------------------------------------------------------------------
def _lines(path: Path) -> Iterator[tuple[int, str]]:
    """Non-blank lines with their 1-based numbers."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return
    except UnicodeDecodeError:
        raise WorkspaceError(_("is not UTF-8 text; restore the log from version control"), path=path) from None
    for number, line in enumerate(text.split("\n"), start=1):
        if line.strip():
            yield number, line


def _parse_time(value: Any) -> datetime:
    if not isinstance(value, str):
        raise ValueError("'at' must be an ISO 8601 time")
    at = datetime.fromisoformat(value)
    if at.tzinfo is None:
        raise ValueError("'at' must carry a UTC offset, like +09:00")
    return at


def entry_problem(entry: Any) -> str | None:
    """What is wrong with the shape of one parsed entry, or ``None``."""
    if not isinstance(entry, dict):
        return "not a JSON object"
    missing = [k for k in ENTRY_FIELDS if k not in entry]
    if missing:
        return f"missing field(s) {', '.join(missing)}"
    if entry["v"] != LOG_VERSION:
        return f"format version {shorten(entry['v'])} is not {LOG_VERSION}"
    if entry["decision"] not in DECISIONS:
        return f"unknown decision {shorten(entry['decision'])}"
    if type(entry["seq"]) is not int:
        return "'seq' must be a whole number"
    for key in ("message", "locale", "reviewer", "hash", "stage", "text", "comment", "prev", "digest"):
        if not isinstance(entry[key], str):
            return f"'{key}' must be text"
    if not isinstance(entry["roles"], list) or not isinstance(entry["required"], dict):
        return "'roles' must be a list and 'required' a mapping"
    try:
        _parse_time(entry["at"])
    except ValueError as exc:
        return str(exc)
    return None


def decision_from_entry(entry: Mapping[str, Any], line: int = 0) -> Decision:
    return Decision(
        seq=entry["seq"], at=_parse_time(entry["at"]), message_id=entry["message"],
        locale=entry["locale"], reviewer=entry["reviewer"], decision=entry["decision"],
        content_hash=entry["hash"], stage=entry["stage"], text=entry["text"],
        roles=tuple(entry["roles"]), required=dict(entry["required"]), comment=entry["comment"],
        town=entry["town"], prev=entry["prev"], digest=entry["digest"], line=line,
    )


def _parse_line(number: int, line: str) -> tuple[Any, str | None]:
    if len(line) * 4 > MAX_LOG_LINE_BYTES and len(line.encode("utf-8", "surrogatepass")) > MAX_LOG_LINE_BYTES:
        return None, f"the line is over the limit of {MAX_LOG_LINE_BYTES:,} bytes"
    try:
        entry = json.loads(line)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError is a ValueError; so is a 5,000-digit number
        return None, f"not valid JSON ({getattr(exc, 'msg', None) or 'nested too deep or a number too long'})"
    if lone_surrogate(line if "\\u" not in line else json.dumps(entry, ensure_ascii=False)) is not None:
        return None, "holds a lone surrogate (an escape like \\ud800 that is not a character)"
    return entry, entry_problem(entry)


_CACHE: dict[Path, tuple[tuple[int, int, int], list[Decision]]] = {}


def _stat_key(path: Path) -> tuple[int, int, int] | None:
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def read_log(root: Path) -> list[Decision]:
    """All decisions in log order (an empty list when there is no log yet).

    A line that is not a well-formed entry raises ``WorkspaceError`` naming the line; a chain
    that is broken but well formed is still read (use :func:`verify_log` to check it). Results
    are cached while the file is unchanged (inode, size and modification time)."""
    path = log_path(root).resolve()
    key = _stat_key(path)
    if key is None:
        return []
    cached = _CACHE.get(path)
    if cached and cached[0] == key:
        return cached[1]
    decisions = []
    for number, line in _lines(path):
        entry, problem = _parse_line(number, line)
        if problem:
            raise WorkspaceError(_("{problem}; run 'kizuna review verify'").format(problem=problem), path=path,
                                 location=f"line {number}")
        decisions.append(decision_from_entry(entry, number))
    _CACHE[path] = (key, decisions)
    return decisions


def read_lines(root: Path, numbers: Iterable[int], lines: Mapping[int, str] | None = None) -> dict[int, Decision]:
    """The decisions on the given lines (1-based) of the log, parsed as :func:`read_log` parses
    them, without parsing the other lines (a line that is not a well-formed entry raises);
    ``lines``: the log's lines by number, already read (:func:`log_lines`)."""
    wanted = set(numbers)
    found: dict[int, Decision] = {}
    if not wanted:
        return found
    path = log_path(root)
    text = lines if lines is not None else log_lines(root)
    for number in sorted(wanted):
        entry, problem = _parse_line(number, text.get(number, ""))
        if problem:
            raise WorkspaceError(_("{problem}; run 'kizuna review verify'").format(problem=problem), path=path,
                                 location=f"line {number}")
        found[number] = decision_from_entry(entry, number)
    return found


def log_lines(root: Path) -> dict[int, str]:
    """The non-blank lines of the log by their 1-based number."""
    return dict(_lines(log_path(root)))


def line_digests(root: Path) -> dict[int, bytes]:
    """A short digest of every non-blank line of the log by its number (what tells that a line
    is the same as before, whatever it holds)."""
    return {number: line_digest(line) for number, line in _lines(log_path(root))}


def line_digest(line: str) -> bytes:
    """A short digest of one line of the log as written."""
    return hashlib.blake2b(line.encode("utf-8", "surrogatepass"), digest_size=8).digest()


def verify_log(root: Path) -> list[Problem]:
    """Every place where the chain is broken, first one first (empty: the chain is whole).

    Always reads the file from disk. Each entry is compared with the one before it as
    written, so one edited entry is one problem and a deleted entry is one problem."""
    problems: list[Problem] = []
    prev_digest, prev_seq = GENESIS, 0
    for number, line in _lines(log_path(root)):
        entry, problem = _parse_line(number, line)
        seq = entry.get("seq") if isinstance(entry, dict) else None
        if problem:
            problems.append(Problem(number, seq if isinstance(seq, int) else None, problem))
            if isinstance(entry, dict) and isinstance(entry.get("digest"), str):
                prev_digest = entry["digest"]
            prev_seq = seq if isinstance(seq, int) else prev_seq + 1
            continue
        reasons = []
        if entry_digest(entry) != entry["digest"]:
            reasons.append("the entry was changed after it was written (its digest does not match)")
        if entry["prev"] != prev_digest:
            reasons.append("it does not follow the entry before it (an entry before it was "
                           "deleted, changed or moved)")
        if seq != prev_seq + 1:
            reasons.append(f"its number is #{seq}, expected #{prev_seq + 1}")
        if reasons:
            problems.append(Problem(number, seq, "; ".join(reasons)))
        prev_digest, prev_seq = entry["digest"], seq
    return problems


def head(root: Path) -> tuple[int, str]:
    """``(number of entries, digest of the last entry)`` — what anchors the log elsewhere."""
    decisions = read_log(root)
    return (len(decisions), decisions[-1].digest) if decisions else (0, GENESIS)


# appending ------------------------------------------------------------------------------------
def _last_line(handle: IO[bytes], path: Path | None = None) -> bytes:
    """The last non-blank line of an open binary file, read backwards in blocks: constant time
    in the size of the file, and refused (``LimitError``) past ``MAX_LOG_LINE_BYTES``."""
    handle.seek(0, os.SEEK_END)
    end = handle.tell()
    block = 8192
    blocks: list[bytes] = []
    seen = 0
    while end > 0:
        start = max(0, end - block)
        handle.seek(start)
        chunk = handle.read(end - start)
        end = start
        if not blocks:
            chunk = chunk.rstrip(b"\n\r ")
            if not chunk:
                continue
        cut = chunk.rfind(b"\n")
        if cut >= 0:
            blocks.append(chunk[cut + 1:])
            break
        blocks.append(chunk)
        seen += len(chunk)
        if seen > MAX_LOG_LINE_BYTES:
            raise LimitError(_("the last line is over {limit} bytes, longer than any entry kizuna writes; run "
                               "'kizuna review verify'").format(limit=f"{MAX_LOG_LINE_BYTES:,}"), path=path)
    line = b"".join(reversed(blocks))
    if len(line) > MAX_LOG_LINE_BYTES:
        raise LimitError(_("the last line is {size} bytes, over the limit of {limit}; run 'kizuna review "
                           "verify'").format(size=f"{len(line):,}", limit=f"{MAX_LOG_LINE_BYTES:,}"), path=path)
    return line


def _tail(handle: IO[bytes], path: Path) -> tuple[int, str]:
    last = _last_line(handle, path)
    if not last.strip():
        return 0, GENESIS
    try:
        entry = json.loads(last.decode("utf-8"))
        return int(entry["seq"]), str(entry["digest"])
    except (ValueError, KeyError, TypeError, RecursionError):
        raise WorkspaceError(_("the last line is not a valid entry, so nothing can be added after it; "
                               "run 'kizuna review verify'"), path=path) from None


def append(root: Path, fields: Mapping[str, Any]) -> Decision:
    """Seal ``fields`` onto the end of the chain and write them as one line.

    ``fields`` are the entry fields other than ``v``, ``seq``, ``prev`` and ``digest``. On POSIX
    the file is locked while the tail is read and the line written, so two processes cannot
    both chain onto the same entry. A log with a malformed line or a broken chain is refused
    before anything is written (a chain ``verify`` reports broken never grows), and so is a log
    that is a symbolic link."""
    path = write_target(root, log_path(root))  # never through a symbolic link
    fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o644)
    with os.fdopen(fd, "a+b") as handle:
        if fcntl is not None:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            _check_chain(root, path)
            seq, prev = _tail(handle, path)
            entry = seal(fields, seq=seq + 1, prev=prev)
            problem = entry_problem(entry)
            if problem:
                raise WorkspaceError(_("refusing to write a malformed entry: {problem}").format(problem=problem),
                                     path=path)
            if len(dumps_entry(entry).encode("utf-8", "surrogatepass")) > MAX_LOG_LINE_BYTES:
                raise LimitError(_("the entry would be a line over {limit} bytes; shorten the comment").format(
                    limit=f"{MAX_LOG_LINE_BYTES:,}"), path=path)
            handle.seek(0, os.SEEK_END)
            needs_newline = handle.tell() > 0 and _ends_without_newline(handle)
            handle.write((("\n" if needs_newline else "") + dumps_entry(entry) + "\n").encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())
            _VERIFIED[path.resolve()] = _stat_key(path)
        finally:
            if fcntl is not None:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    return decision_from_entry(entry)


#: log file -> (inode, size, mtime) when its whole chain was last found whole (by this process)
_VERIFIED: dict[Path, tuple[int, int, int] | None] = {}


def _check_chain(root: Path, path: Path) -> None:
    """Refuse to append to a log with a malformed line or a broken chain (nothing is written).
    The whole log is read once per process; after that only while it changed behind our back."""
    key = _stat_key(path)
    if key is None or (key[1] == 0) or _VERIFIED.get(path.resolve()) == key:
        return
    problems = verify_log(root)
    if problems:
        raise WorkspaceError(_("the decisions log is broken at {problem}; nothing was recorded. Run 'kizuna "
                               "review verify' and restore the log from version control").format(problem=problems[0]),
                             path=path)
    _VERIFIED[path.resolve()] = key


def _ends_without_newline(handle: IO[bytes]) -> bool:
    handle.seek(-1, os.SEEK_END)
    last = handle.read(1)
    handle.seek(0, os.SEEK_END)
    return last != b"\n"
