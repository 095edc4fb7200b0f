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
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from kizuna.catalog import yamlio
from kizuna.catalog.fields import Fields
from kizuna.catalog.workspace import Workspace
from kizuna.authoring.merge import Proposal, Target

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


CHANGES = ("edit", "new", "delete")
TARGET_KINDS = ("message", "town")


def _optional_text(f: Fields, key: str) -> str | None:
    return f.str(key) if f.has(key) else None


def suggestion_from_data(data: Any, path: str | Path = "", prefix: str = "") -> Suggestion:
    """One suggestion from its YAML mapping; a malformed one is a ``WorkspaceError`` naming the
    file and the field."""
    f = Fields(data, path, prefix)
    t = f.sub("target")
    kind = t.str("kind", "message")
    if kind not in TARGET_KINDS:
        raise t.error("kind", f"must be one of {', '.join(TARGET_KINDS)}")
    change = f.str("change", "edit")
    if change not in CHANGES:
        raise f.error("change", f"must be one of {', '.join(CHANGES)}")
    return Suggestion(
        id=f.str("id"),
        target=Target(kind, t.str("key"), _optional_text(t, "locale"), t.str("part", "")),
        change=change, text=_optional_text(f, "text"), stage=_optional_text(f, "stage"),
        base_hash=_optional_text(f, "base_hash"), current_hash=_optional_text(f, "current_hash"),
        source=f.str("from", ""), by=_optional_text(f, "by"), at=f.str("at", ""),
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
    folder = "messages" if target.kind == "message" else "towns"
    return root / SUGGESTIONS_DIR / folder / f"{target.key}.yaml"


def read_suggestions(path: Path) -> list[Suggestion]:
    if not path.is_file():
        return []
    f = Fields(yamlio.read(path) or {}, path)
    items = f.data.get("suggestions") or []
    if not isinstance(items, list):
        raise f.error("suggestions", "must be a list of suggestions")
    return [suggestion_from_data(item, path, f"suggestions[{i}]") for i, item in enumerate(items)]


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
    yamlio.write(path, {"suggestions": [s.to_data() for s in existing] + [entry.to_data()]})
    return path, True


def all_suggestions(root: Path) -> list[Suggestion]:
    folder = root / SUGGESTIONS_DIR
    found: list[Suggestion] = []
    for path in sorted(folder.glob("*/*.yaml")):
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
    for path in sorted((root / SUGGESTIONS_DIR).glob("*/*.yaml")):
        kept = read_suggestions(path)
        left = [s for s in kept if s.id != suggestion_id_]
        if len(left) != len(kept):
            if left:
                yamlio.write(path, {"suggestions": [s.to_data() for s in left]})
            else:
                path.unlink()
            return path
    return None
