"""Suggestions: edits that conflicted on import, kept in the workspace next to the current text.

An edit whose base changed meanwhile is never applied over the newer text and never dropped.
It is written to ``suggestions/messages/<message-id>.yaml`` (or ``suggestions/towns/<code>.yaml``
for a town's blocks and profile), a plain YAML file under version control like the rest of the
workspace::

    suggestions:
    - id: 5c1d0e9a3b7f2a41          # stable key: target, base, edited content and author
      target: {kind: message, key: p12w-checkup, locale: ja}
      change: edit                  # edit | new | delete
      stage: P12w
      text: |-
        ...the text the reviewer wrote...
      base_hash: 0f3a...            # what the reviewer's view was made from
      current_hash: 9b1c...         # what the workspace held at import
      from: 'review-sato.xlsx: sheet 確認, row 5'
      by: sato
      at: '2025-05-01T09:30:00+09:00'

The views show pending suggestions next to the current text (a workbook column, a note above
the notebook cell), so the next writer can adopt or reject them. Importing the same edit again
does not add a second entry (the ``id`` is the same). A suggestion whose text the workspace now
holds counts as adopted and is no longer pending; removing an entry is deleting it from the file
(``kizuna author suggestions --drop ID``).
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Mapping

from kizuna.catalog import yamlio
from kizuna.catalog.errors import KizunaError
from kizuna.catalog.safepaths import write_target
from kizuna.catalog.workspace import Workspace
from kizuna.authoring.merge import Proposal, Target
from kizuna.authoring.targets import key_problem, target_problem
from kizuna.catalog.i18n import _

SUGGESTIONS_DIR = "suggestions"


@dataclass(frozen=True)
class Suggestion:
    id: str
    target: Target
    change: str
    text: str | None
    stage: str | None
    base_hash: str | None
    current_hash: str | None
    source: str
    by: str | None
    at: str

    def to_data(self) -> dict[str, Any]:
        target: dict[str, Any] = {"kind": self.target.kind, "key": self.target.key}
        if self.target.locale:
            target["locale"] = self.target.locale
        if self.target.part:
            target["part"] = self.target.part
        data: dict[str, Any] = {"id": self.id, "target": target, "change": self.change}
        if self.stage:
            data["stage"] = self.stage
        if self.text is not None:
            data["text"] = self.text
        data.update({"base_hash": self.base_hash, "current_hash": self.current_hash,
                     "from": self.source, "by": self.by, "at": self.at})
        return data


class SuggestionsError(KizunaError):
    """A suggestions file kizuna cannot read (nothing is written while one is broken)."""


SUGGESTION_FIELDS = {"id", "target", "change", "stage", "text", "base_hash", "current_hash", "from", "by", "at"}
_HASH_RE = re.compile(r"^[0-9a-f]{16}$")


def _opt_str(data: Mapping[str, Any], key: str, path: Path | str, where: str) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise SuggestionsError(_("must be text"), path=path, field=f"{where}.{key}")
    return value


def suggestion_from_data(data: Any, path: Path | str = SUGGESTIONS_DIR, where: str = "suggestions[0]") -> Suggestion:
    """One entry of a suggestions file, every name checked against its grammar."""
    if not isinstance(data, Mapping):
        raise SuggestionsError(_("must be a mapping (id, target, change, text, ...)"), path=path, field=where)
    unknown = sorted(str(k) for k in data if k not in SUGGESTION_FIELDS)
    if unknown:
        raise SuggestionsError(_("unknown field(s) {unknown}").format(unknown=', '.join(unknown)), path=path, field=where)
    t = data.get("target")
    if not isinstance(t, Mapping) or not set(t) <= {"kind", "key", "locale", "part"}:
        raise SuggestionsError(_("must be a mapping of kind, key, locale and part"), path=path,
                               field=f"{where}.target")
    target = Target(t.get("kind", "message"), t.get("key", ""), t.get("locale"), t.get("part", ""))
    bad = target_problem(target)
    if bad:
        raise SuggestionsError(bad, path=path, field=f"{where}.target")
    sid = data.get("id")
    if not isinstance(sid, str) or not _HASH_RE.match(sid):
        raise SuggestionsError(_("must be 16 hexadecimal digits"), path=path, field=f"{where}.id")
    change = data.get("change", "edit")
    if change not in ("edit", "new", "delete"):
        raise SuggestionsError(_("{change!r} is not edit, new or delete").format(change=change), path=path, field=f"{where}.change")
    for key in ("base_hash", "current_hash"):
        value = _opt_str(data, key, path, where)
        if value is not None and not _HASH_RE.match(value):
            raise SuggestionsError(_("must be 16 hexadecimal digits"), path=path, field=f"{where}.{key}")
    return Suggestion(
        id=sid, target=target, change=change, text=_opt_str(data, "text", path, where),
        stage=_opt_str(data, "stage", path, where), base_hash=data.get("base_hash"),
        current_hash=data.get("current_hash"), source=str(data.get("from") or ""),
        by=_opt_str(data, "by", path, where), at=str(data.get("at") or ""),
    )


def suggestion_id(proposal: Proposal, by: str | None) -> str:
    """Stable key of a suggestion: same target, base, edited content and author → same id."""
    t = proposal.target
    payload = "\n".join(str(x) for x in (t.kind, t.key, t.locale, t.part, proposal.base_hash,
                                          proposal.edited_hash or "deleted", by or ""))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]


def change_kind(proposal: Proposal) -> str:
    if proposal.text is None:
        return "delete"
    return "new" if proposal.base_hash is None else "edit"


def suggestion_path(root: Path, target: Target) -> Path:
    """``suggestions/messages/<id>.yaml`` or ``suggestions/towns/<code>.yaml``; the key is checked
    against its grammar first (it came from a file a person edited)."""
    bad = key_problem(target.kind, target.key)
    if bad:
        raise SuggestionsError(_("{bad}; nothing was written").format(bad=bad), path=Path(root) / SUGGESTIONS_DIR)
    folder = "messages" if target.kind == "message" else "towns"
    return Path(root) / SUGGESTIONS_DIR / folder / f"{target.key}.yaml"


def read_suggestions(path: Path) -> list[Suggestion]:
    """The entries of one suggestions file (none when it does not exist); a file that is not a
    mapping with a ``suggestions`` list, or an entry that belongs to another file, raises
    :class:`SuggestionsError`."""
    if not path.exists():
        return []
    if not path.is_file():
        raise SuggestionsError(_("is not a file; a suggestions file is YAML"), path=path)
    data = yamlio.read(path)
    if data is None:
        return []
    if not isinstance(data, Mapping) or set(data) - {"suggestions"}:
        raise SuggestionsError(_("must be a mapping with one key, 'suggestions', holding a list"), path=path)
    items = data.get("suggestions") or []
    if not isinstance(items, list):
        raise SuggestionsError(_("must be a list of suggestions"), path=path, field="suggestions")
    found = [suggestion_from_data(item, path, f"suggestions[{i}]") for i, item in enumerate(items)]
    folder = path.parent.name
    for i, s in enumerate(found):
        expected = ("messages" if s.target.kind == "message" else "towns", s.target.key)
        if (folder, path.stem) != expected:
            raise SuggestionsError(_("belongs in {SUGGESTIONS_DIR}/{expected}/{expected2}.yaml, not in "
                                   "this file (the file name must match the target's key)").format(SUGGESTIONS_DIR=SUGGESTIONS_DIR, expected=expected[0], expected2=expected[1]),
                                   path=path, field=f"suggestions[{i}].target")
    return found


def _write(root: Path, path: Path, entries: list[Suggestion]) -> None:
    target = write_target(root, path)
    yamlio.write(target, {"suggestions": [s.to_data() for s in entries]})


def keep(root: Path, proposal: Proposal, *, current_hash: str | None, by: str | None,
         now: datetime) -> tuple[Path, bool]:
    """Store ``proposal`` as a suggestion; returns the file and whether it was new (False when
    the same suggestion was kept before, so nothing was written)."""
    path = suggestion_path(root, proposal.target)
    existing = read_suggestions(path)
    sid = suggestion_id(proposal, by)
    if any(s.id == sid for s in existing):
        return path, False
    entry = Suggestion(sid, proposal.target, change_kind(proposal), proposal.text, proposal.stage,
                       proposal.base_hash, current_hash, proposal.where, by, now.isoformat(timespec="seconds"))
    _write(root, path, existing + [entry])
    return path, True


def suggestion_files(root: Path) -> list[Path]:
    """Every file under ``suggestions/`` that should be a suggestions file."""
    folder = Path(root) / SUGGESTIONS_DIR
    return sorted(p for p in folder.glob("*/*.yaml")) if folder.is_dir() else []


def check_all(root: Path) -> None:
    """Read every suggestions file; the first broken one raises (call before any write)."""
    for path in suggestion_files(root):
        read_suggestions(path)


def all_suggestions(root: Path) -> list[Suggestion]:
    found: list[Suggestion] = []
    for path in suggestion_files(root):
        found.extend(read_suggestions(path))
    return found


def pending(ws: Workspace, target: Target | None = None) -> list[Suggestion]:
    """Suggestions not yet adopted (the workspace does not hold their content), optionally
    for one target only."""
    from kizuna.authoring.apply import current_hash  # noqa: PLC0415 - avoids an import cycle

    found = read_suggestions(suggestion_path(ws.root, target)) if target else all_suggestions(ws.root)
    out = []
    for s in found:
        if target is not None and s.target != target:
            continue
        proposal = Proposal(s.target, s.base_hash, s.text, s.source, s.stage)
        if proposal.edited_hash != current_hash(ws, s.target):
            out.append(s)
    return out


def drop(root: Path, suggestion_id_: str) -> Path | None:
    """Remove one suggestion by id; returns the file it was in, or ``None`` when not found."""
    check_all(root)
    for path in suggestion_files(root):
        kept = read_suggestions(path)
        left = [s for s in kept if s.id != suggestion_id_]
        if len(left) != len(kept):
            if left:
                _write(root, path, left)
            else:
                write_target(root, path).unlink()
            return path
    return None
