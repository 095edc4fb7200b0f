"""The manifest of an export (``manifest.json``): what was exported, from which revision, and
the SHA-256 of every file, so a delivery team can verify a copy and see which files changed.

Described by ``exports/schema/manifest-v1.schema.json``. ``decisions`` anchors the approval
references of the export in the decisions log: its number of entries and the digest of its
last entry when the export was made (:func:`exports.approval.decisions_anchor`). The head keys
come in a fixed order, then ``towns`` and ``files`` one member a line (keys sorted within);
nothing comes from the clock (``as_of`` is the date given to ``--as-of``, else null).
"""
from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Iterable, Mapping

from kizuna.exports import jsonio
from kizuna.exports.atomic import MANIFEST, MANIFEST_FORMAT
from kizuna.exports.model import SCHEMA_VERSION

HEAD_KEYS = ("format", "schema_version", "kizuna_version", "catalog_revision", "decisions", "as_of",
             "include_unapproved", "counts", "warnings")


@dataclass(frozen=True)
class FileRecord:
    sha256: str
    bytes: int

    @classmethod
    def of(cls, data: bytes) -> "FileRecord":
        return cls(hashlib.sha256(data).hexdigest(), len(data))

    def to_data(self) -> dict[str, Any]:
        return {"sha256": self.sha256, "bytes": self.bytes}


@dataclass
class TownResult:
    """What exporting one town produced (returned by a worker; small: no file contents)."""

    code: str
    name: str
    formats: tuple[str, ...]
    #: locale -> {"entries": n, "left_out": {...}}
    locales: dict[str, dict[str, Any]] = field(default_factory=dict)
    files: dict[str, FileRecord] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    #: the fingerprint of the town's own inputs (:mod:`exports.incremental`)
    inputs: str | None = None
    #: ``rendered``, or ``copied`` / ``patched`` from the previous export (not in the manifest)
    how: str = "rendered"
    #: the files of the previous export kept as they are (their records: the previous manifest's)
    kept: list[str] = field(default_factory=list)
    #: the stat of each file written into a staging folder (for :mod:`exports.statcache`)
    stats: dict[str, tuple[int, int, int, int]] = field(default_factory=dict)


def _sum_counters(counters: Iterable[Mapping[str, int]]) -> dict[str, int]:
    total: Counter[str] = Counter()
    for c in counters:
        total.update(c)
    return dict(sorted(total.items()))


def _record(record: FileRecord | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(record, FileRecord):
        return record.to_data()
    return {"sha256": record["sha256"], "bytes": record["bytes"]}


def manifest_data(results: Iterable[TownResult], extra_files: Mapping[str, FileRecord], *,
                  revision: str, as_of: date | None, include_unapproved: bool,
                  kizuna_version: str, decisions: Mapping[str, Any] | None = None,
                  inputs: Mapping[str, Any] | None = None,
                  kept: Mapping[str, Mapping[str, Any]] | None = None) -> dict[str, Any]:
    """The manifest mapping (towns in code order; every path relative to the export folder);
    ``inputs``: the fingerprints of the export's inputs (:mod:`exports.incremental`); ``kept``:
    the previous manifest's ``files``, where the records of the files a town kept are."""
    ordered = sorted(results, key=lambda r: r.code)
    files: dict[str, FileRecord | Mapping[str, Any]] = {**extra_files}
    for r in ordered:
        files.update(r.files)
        if r.kept:
            assert kept is not None
            files.update((rel, kept[rel]) for rel in r.kept)
    per_locale = [loc for r in ordered for loc in r.locales.values()]
    data = {
        "format": MANIFEST_FORMAT,
        "schema_version": SCHEMA_VERSION,
        "kizuna_version": kizuna_version,
        "catalog_revision": revision,
        "decisions": dict(decisions or {"entries": 0, "head": "0" * 64}),
        "as_of": as_of.isoformat() if as_of else None,
        "include_unapproved": include_unapproved,
        "counts": {
            "towns": len(ordered),
            "catalogs": len(per_locale),
            "entries": sum(loc["entries"] for loc in per_locale),
            "files": len(files),
            "left_out": _sum_counters(loc["left_out"] for loc in per_locale),
        },
        "towns": {r.code: {"name": r.name, "formats": list(r.formats), "locales": r.locales,
                           **({"inputs": r.inputs} if r.inputs is not None else {})}
                  for r in ordered},
        "warnings": sorted(w for r in ordered for w in r.warnings),
        "files": {path: _record(files[path]) for path in sorted(files)},
    }
    if inputs is not None:
        data["inputs"] = dict(inputs)
    return data


def manifest_bytes(manifest: Mapping[str, Any]) -> bytes:
    """The manifest file: head keys one a line, then towns and files one a line."""
    bodies = [("towns", manifest["towns"]), ("files", manifest["files"])]
    if "inputs" in manifest:
        bodies.append(("inputs", manifest["inputs"]))
    return jsonio.document([(key, manifest[key]) for key in HEAD_KEYS], *bodies)


__all__ = ["MANIFEST", "FileRecord", "TownResult", "manifest_bytes", "manifest_data"]
