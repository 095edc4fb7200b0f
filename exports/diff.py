"""What changed between two exports, per town and locale, for a delivery team.

Compares the canonical entries (``catalog.json``, or ``catalog.ndjson`` when only that was
exported) of two export folders, matching entries by message id: **added**, **removed**,
**moved** (same message, other stage) and **text** (the rendered text changed). A catalog present
in only one export is reported as added or removed whole; a changed send time is reported too.
"""
from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from kizuna.exports.atomic import MANIFEST, is_export
from kizuna.exports.errors import ExportError

CatalogKey = tuple[str, str]  # (town code, locale)


@dataclass(frozen=True)
class Change:
    kind: str  # added, removed, moved, text
    message_id: str
    stage: str
    old_stage: str | None = None
    old_text: str | None = None
    new_text: str | None = None


@dataclass
class CatalogDiff:
    town: str
    name: str
    locale: str
    #: ``added``/``removed`` when the whole catalog is only in one export, else ``changed``
    status: str = "changed"
    changes: list[Change] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for c in self.changes:
            out[c.kind] = out.get(c.kind, 0) + 1
        return out


# --- loading (I/O) ---------------------------------------------------------------------------------

def _read_entries(folder: Path) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
    json_file, ndjson_file = folder / "catalog.json", folder / "catalog.ndjson"
    if json_file.is_file():
        data = json.loads(json_file.read_text(encoding="utf-8"))
        return data.get("town", {}), data.get("entries", [])
    if ndjson_file.is_file():
        entries = [json.loads(line) for line in ndjson_file.read_text(encoding="utf-8").splitlines() if line]
        return ({"send_time": entries[0]["send_time"]} if entries else {}), entries
    return None


def load_export(folder: Path) -> dict[CatalogKey, tuple[dict[str, Any], list[dict[str, Any]]]]:
    """(town, locale) -> (town head, entries) of one export folder."""
    folder = Path(folder)
    if not is_export(folder):
        raise ExportError(f"is not a kizuna export (no {MANIFEST})", path=folder)
    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    out: dict[CatalogKey, tuple[dict[str, Any], list[dict[str, Any]]]] = {}
    for code, town in sorted(manifest.get("towns", {}).items()):
        for locale in sorted(town.get("locales", {})):
            found = _read_entries(folder / code / locale)
            if found is None:
                raise ExportError(f"town {code} ({locale}) has neither catalog.json nor catalog.ndjson; "
                                  "export with the json format to compare", path=folder)
            head, entries = found
            out[(code, locale)] = ({"name": town.get("name", ""), **head}, entries)
    return out


# --- comparing (pure) ----------------------------------------------------------------------------------

def diff_entries(old: list[Mapping[str, Any]], new: list[Mapping[str, Any]]) -> list[Change]:
    """Changes from ``old`` to ``new`` entries, in the new delivery order (removed ones last)."""
    before = {e["message_id"]: e for e in old}
    after = {e["message_id"]: e for e in new}
    changes = []
    for mid, e in after.items():
        o = before.get(mid)
        if o is None:
            changes.append(Change("added", mid, e["stage"], new_text=e["text"]))
            continue
        if o["stage"] != e["stage"]:
            changes.append(Change("moved", mid, e["stage"], old_stage=o["stage"]))
        if o["text"] != e["text"]:
            changes.append(Change("text", mid, e["stage"], old_text=o["text"], new_text=e["text"]))
    changes.extend(Change("removed", mid, o["stage"], old_text=o["text"])
                   for mid, o in before.items() if mid not in after)
    return changes


def diff_exports(old: Mapping[CatalogKey, tuple[dict[str, Any], list[dict[str, Any]]]],
                 new: Mapping[CatalogKey, tuple[dict[str, Any], list[dict[str, Any]]]]) -> list[CatalogDiff]:
    """Per (town, locale), only those that changed, in code order."""
    diffs = []
    for key in sorted(set(old) | set(new)):
        code, locale = key
        if key not in old:
            head, entries = new[key]
            diffs.append(CatalogDiff(code, head.get("name", ""), locale, "added",
                                     diff_entries([], entries)))
            continue
        if key not in new:
            head, entries = old[key]
            diffs.append(CatalogDiff(code, head.get("name", ""), locale, "removed",
                                     diff_entries(entries, [])))
            continue
        (old_head, old_entries), (new_head, new_entries) = old[key], new[key]
        d = CatalogDiff(code, new_head.get("name", ""), locale, "changed",
                        diff_entries(old_entries, new_entries))
        times = (old_head.get("send_time"), new_head.get("send_time"))
        if None not in times and times[0] != times[1]:
            d.notes.append(f"send time {old_head.get('send_time')} → {new_head.get('send_time')}")
        if d.changes or d.notes:
            diffs.append(d)
    return diffs


# --- showing ---------------------------------------------------------------------------------------

def _text_lines(old: str, new: str) -> list[str]:
    out = []
    for line in difflib.unified_diff(old.split("\n"), new.split("\n"), lineterm="", n=0):
        if line.startswith(("---", "+++", "@@")):
            continue
        out.append(f"      {line[0]} {line[1:]}")
    return out


def format_text(diffs: list[CatalogDiff]) -> str:
    """A plain-text report a delivery team can read."""
    if not diffs:
        return "no changes\n"
    lines: list[str] = []
    symbols = {"added": "+", "removed": "-", "moved": ">", "text": "~"}
    for d in diffs:
        counts = ", ".join(f"{n} {kind}" for kind, n in sorted(d.counts().items()))
        status = {"added": "new in this export", "removed": "no longer exported"}.get(d.status, counts)
        whole = f" ({counts})" if d.status != "changed" and counts else ""
        lines.append(f"{d.town} {d.name} [{d.locale}]: {status}{whole}")
        lines.extend(f"  ! {note}" for note in d.notes)
        if d.status != "changed":
            continue
        for c in d.changes:
            head = f"  {symbols[c.kind]} {c.kind:<7} {c.message_id}  {c.stage}"
            if c.kind == "moved":
                head = f"  > moved   {c.message_id}  {c.old_stage} → {c.stage}"
            lines.append(head)
            if c.kind == "text":
                lines.extend(_text_lines(c.old_text or "", c.new_text or ""))
    return "\n".join(lines) + "\n"


def to_data(diffs: list[CatalogDiff]) -> list[dict[str, Any]]:
    """The report as plain data (for ``--json``)."""
    return [{"town": d.town, "name": d.name, "locale": d.locale, "status": d.status,
             "notes": d.notes, "counts": d.counts(),
             "changes": [{k: v for k, v in c.__dict__.items() if v is not None} for c in d.changes]}
            for d in diffs]
