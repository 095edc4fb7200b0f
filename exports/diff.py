"""What changed between two exports, per town and locale: a changeset a delivery system can apply.

The diff starts from the two manifests. A catalog (one town in one locale) whose file has the
same SHA-256 in both manifests is unchanged and never opened; only catalogs whose hashes differ
are read, one pair at a time, checked against their manifest's hash as they are read, and
compared entry by entry (matched by message id). Memory is bounded by one catalog, not by the
export, and the result is a stream of :class:`CatalogDiff` that the writers
(:mod:`exports.changeset`) print or save as they come.

Per catalog: entries **added**, **removed** and **changed** (which of stage, text, approval
changed, with the old and new content hash, stage and offset, approval reference and text), the
town profile fields that changed (name, send time, channels, ...), and per delivery backend the
actions it needs (:func:`backend_hints`).
"""
from __future__ import annotations

import hashlib
import multiprocessing
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping

import orjson

from kizuna.exports.atomic import MANIFEST, MANIFEST_FORMAT
from kizuna.exports.errors import ExportError
from kizuna.catalog.i18n import _

CatalogKey = tuple[str, str]  # (town code, locale)
CATALOG_FILES = ("catalog.json", "catalog.ndjson")
TOWN_CODE = re.compile(r"[0-9]{6}", re.ASCII)
LOCALE = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{1,8})*", re.ASCII)
#: what an entry carries into the changeset, old and new
ENTRY_KEYS = ("stage", "stage_label", "anchor", "offset", "content_hash", "text", "text_locale")
#: town profile fields compared (canonical ``town`` head)
TOWN_KEYS = ("name", "prefecture", "send_time", "channels", "email_encoding", "backend", "policy", "end_age")


# --- the two exports ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class ExportSide:
    """One export folder and its manifest (read once; file contents are read on demand)."""

    folder: Path
    manifest: Mapping[str, Any]

    @property
    def files(self) -> Mapping[str, Mapping[str, Any]]:
        return self.manifest["files"]

    @property
    def major(self) -> str:
        return str(self.manifest.get("schema_version", "")).split(".")[0]

    def summary(self) -> dict[str, Any]:
        """What identifies this export in a changeset."""
        return {"folder": str(self.folder), "catalog_revision": self.manifest.get("catalog_revision"),
                "schema_version": self.manifest.get("schema_version"),
                "decisions": self.manifest.get("decisions"), "as_of": self.manifest.get("as_of")}

    def catalogs(self) -> dict[CatalogKey, str]:
        """(town, locale) -> the relative path of its canonical file (json preferred)."""
        out: dict[CatalogKey, str] = {}
        for code, town in self.manifest["towns"].items():
            for locale in town.get("locales", {}):
                path = next((f"{code}/{locale}/{name}" for name in CATALOG_FILES
                             if f"{code}/{locale}/{name}" in self.files), None)
                if path is None:
                    raise ExportError(_("town {code} ({locale}) has neither catalog.json nor catalog.ndjson; "
                                      "export with the json or ndjson format to compare").format(code=code, locale=locale),
                                      path=self.folder / MANIFEST)
                out[(code, locale)] = path
        return out

    def read(self, relative: str) -> bytes:
        """A file's bytes, refused when they do not match the manifest."""
        path = self.folder / relative
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise ExportError(_("is listed in the manifest but cannot be read ({strerror})").format(strerror=exc.strerror), path=path) from None
        if hashlib.sha256(data).hexdigest() != self.files[relative]["sha256"]:
            raise ExportError(_("does not match its SHA-256 in manifest.json: the export was changed after "
                              "it was made; export again or restore it"), path=path)
        return data


def _shape_error(folder: Path, what: str) -> ExportError:
    return ExportError(_("is not a valid kizuna export manifest: {what}").format(what=what), path=folder / MANIFEST)


def open_export(folder: Path, *, verify_all: bool = False) -> ExportSide:
    """Read and check an export's manifest: its format, its towns and files, and that every file
    it lists is there with its size (``verify_all``: and its SHA-256)."""
    folder = Path(folder)
    path = folder / MANIFEST
    if not folder.is_dir():
        raise ExportError(_("is not a folder"), path=folder)
    try:
        manifest = orjson.loads(path.read_bytes())
    except FileNotFoundError:
        raise ExportError(_("is not a kizuna export (no {MANIFEST})").format(MANIFEST=MANIFEST), path=folder) from None
    except (OSError, orjson.JSONDecodeError) as exc:
        raise ExportError(_("cannot be read as JSON ({exc})").format(exc=str(exc)[:120]), path=path) from None
    if not isinstance(manifest, dict) or manifest.get("format") != MANIFEST_FORMAT:
        raise ExportError(_("is not a kizuna export (its {MANIFEST} has no format '{MANIFEST_FORMAT}')").format(MANIFEST=MANIFEST, MANIFEST_FORMAT=MANIFEST_FORMAT), path=folder)
    towns, files = manifest.get("towns"), manifest.get("files")
    if not isinstance(towns, dict) or not isinstance(files, dict):
        raise _shape_error(folder, _("'towns' and 'files' must be objects"))
    if not re.fullmatch(r"[0-9]+\.[0-9]+\.[0-9]+", str(manifest.get("schema_version", ""))):
        raise _shape_error(folder, _("'schema_version' must be MAJOR.MINOR.PATCH"))
    for code, town in towns.items():
        if not TOWN_CODE.fullmatch(code) or not isinstance(town, dict) \
                or not isinstance(town.get("locales", {}), dict) \
                or not all(LOCALE.fullmatch(loc) for loc in town.get("locales", {})):
            raise _shape_error(folder, _("town '{code}' is not a 6-digit code with locales").format(code=code[:20]))
    for relative, record in files.items():
        parts = Path(relative).parts
        if Path(relative).is_absolute() or ".." in parts or not parts:
            raise _shape_error(folder, _("file path '{relative}' leaves the export folder").format(relative=relative[:80]))
        if not isinstance(record, dict) or not isinstance(record.get("sha256"), str) \
                or not isinstance(record.get("bytes"), int):
            raise _shape_error(folder, _("file '{relative}' needs sha256 and bytes").format(relative=relative[:80]))
        target = folder / relative
        try:
            size = target.stat().st_size
        except OSError:
            raise ExportError(_("is listed in the manifest but missing: the export is incomplete"),
                              path=target) from None
        if size != record["bytes"]:
            raise ExportError(_("has {size} bytes, the manifest says {bytes}: the export was "
                              "changed after it was made").format(size=size, bytes=record['bytes']), path=target)
    side = ExportSide(folder, manifest)
    if verify_all:
        for relative in files:
            side.read(relative)
    return side


def check_comparable(old: ExportSide, new: ExportSide) -> None:
    """Two exports can be compared only within one major version of the export contract."""
    if old.major != new.major:
        raise ExportError(_("the exports have different schema major versions ({schema_version} "
                          "and {schema_version2}); a delivery system must re-import the new "
                          "export whole").format(schema_version=old.manifest['schema_version'], schema_version2=new.manifest['schema_version']), path=new.folder / MANIFEST)


# --- one catalog -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class EntryChange:
    """One message's change in one catalog."""

    change: str  # added, removed, changed
    message_id: str
    #: for ``changed``: which of stage, text, approval changed
    what: tuple[str, ...] = ()
    old: Mapping[str, Any] | None = None
    new: Mapping[str, Any] | None = None

    @property
    def current(self) -> Mapping[str, Any]:
        return self.new if self.new is not None else self.old  # type: ignore[return-value]

    def to_data(self) -> dict[str, Any]:
        out: dict[str, Any] = {"change": self.change, "message_id": self.message_id}
        if self.what:
            out["what"] = list(self.what)
        if self.old is not None:
            out["old"] = dict(self.old)
        if self.new is not None:
            out["new"] = dict(self.new)
        return out


@dataclass
class CatalogDiff:
    """What changed in one town's catalog in one locale."""

    town: str
    name: str
    locale: str
    #: ``added``/``removed`` when the whole catalog is only in one export, else ``changed``
    status: str = "changed"
    entries: list[EntryChange] = field(default_factory=list)
    #: town profile field -> {"old": ..., "new": ...}
    town_changes: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: backend -> actions it needs
    hints: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for c in self.entries:
            out[c.change] = out.get(c.change, 0) + 1
        return dict(sorted(out.items()))

    def to_data(self) -> dict[str, Any]:
        return {"town": self.town, "name": self.name, "locale": self.locale, "status": self.status,
                "counts": self.counts(), "town_changes": self.town_changes,
                "entries": [c.to_data() for c in self.entries], "hints": self.hints}


def _entry_view(entry: Mapping[str, Any]) -> dict[str, Any]:
    approval = entry.get("approval") or {}
    view = {k: entry[k] for k in ENTRY_KEYS if k in entry}
    view["approval_ref"] = approval.get("ref")
    view["approved"] = approval.get("approved", entry.get("approved"))
    return view


def diff_entries(old: list[Mapping[str, Any]], new: list[Mapping[str, Any]]) -> list[EntryChange]:
    """Changes from ``old`` to ``new`` entries, in the new delivery order (removed ones last)."""
    before = {e["message_id"]: e for e in old}
    after = {e["message_id"]: e for e in new}
    changes = []
    for mid, e in after.items():
        o = before.get(mid)
        if o is None:
            changes.append(EntryChange("added", mid, new=_entry_view(e)))
            continue
        a, b = _entry_view(o), _entry_view(e)
        what = tuple(name for name, keys in (("stage", ("stage", "anchor", "offset")),
                                            ("text", ("text", "content_hash", "text_locale")),
                                            ("approval", ("approval_ref", "approved")))
                     if any(a.get(k) != b.get(k) for k in keys))
        if what:
            changes.append(EntryChange("changed", mid, what, old=a, new=b))
    changes.extend(EntryChange("removed", mid, old=_entry_view(o)) for mid, o in before.items() if mid not in after)
    return changes


def diff_town(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The town profile fields whose values differ."""
    return {k: {"old": old.get(k), "new": new.get(k)} for k in TOWN_KEYS
            if k in old and k in new and old.get(k) != new.get(k)}


def catalog_lines(data: bytes, relative: str) -> tuple[dict[str, Any], list[bytes]]:
    """(town head, one compact JSON line per entry) of a canonical file.

    ``catalog.json`` puts one entry a line after a fixed head (:func:`exports.jsonio.document`),
    so an unchanged entry is an identical line and need not be parsed; a file of another layout
    is parsed whole and its entries re-encoded the same way.
    """
    try:
        if relative.endswith(".ndjson"):
            return {}, [line for line in data.split(b"\n") if line.strip()]
        lines = data.split(b"\n")
        for i, line in enumerate(lines):
            if line.startswith(b' "entries": ['):
                head = orjson.loads(b"{" + b"\n".join(lines[1:i]).rstrip().rstrip(b",") + b"}")
                if line == b' "entries": []':
                    return dict(head.get("town") or {}), []
                end = lines.index(b" ]", i)
                return dict(head.get("town") or {}), [raw.strip().rstrip(b",") for raw in lines[i + 1:end]]
        doc = orjson.loads(data)
        if not isinstance(doc, dict) or not isinstance(doc.get("entries"), list):
            raise ExportError(_("is not a kizuna catalog (no entries list)"), path=relative)
        return dict(doc.get("town") or {}), [orjson.dumps(e, option=orjson.OPT_SORT_KEYS) for e in doc["entries"]]
    except (orjson.JSONDecodeError, ValueError) as exc:
        raise ExportError(_("is not a kizuna catalog ({exc})").format(exc=str(exc)[:120]), path=relative) from None


def differing_entries(old_lines: list[bytes], new_lines: list[bytes]) -> tuple[list[dict], list[dict]]:
    """The entries whose lines are not in the other file, parsed (identical lines are skipped)."""
    old_set, new_set = set(old_lines), set(new_lines)
    try:
        return ([orjson.loads(line) for line in old_lines if line not in new_set],
                [orjson.loads(line) for line in new_lines if line not in old_set])
    except orjson.JSONDecodeError as exc:
        raise ExportError(_("has an entry that is not valid JSON ({exc})").format(exc=str(exc)[:120])) from None


# --- backend hints (pure) ----------------------------------------------------------------------------

def backend_hints(diff: CatalogDiff, town_head: Mapping[str, Any], rapidpro: bool) -> dict[str, list[dict[str, Any]]]:
    """Per backend, the actions a delivery system takes for this catalog's changes.

    RapidPro (when the export has its campaign file): the campaign events to create, delete or
    update, by the stable event UUID of the ``rapidpro`` format; a changed send time changes
    every event's delivery hour. LINE, SMS, e-mail: a schedule to rebuild when entries are added,
    removed or moved, or the send time changed; texts to replace when only wording changed.
    """
    from kizuna.exports.formats.rapidpro import PHASE_NAMES, stable_uuid

    hints: dict[str, list[dict[str, Any]]] = {}
    reschedule = "send_time" in diff.town_changes or diff.status != "changed"
    if rapidpro:
        actions: list[dict[str, Any]] = []
        if diff.status != "changed" or "send_time" in diff.town_changes:
            actions.append({"action": "reimport_campaigns",
                            "reason": "catalog " + diff.status if diff.status != "changed" else "send time changed"})
        for c in diff.entries:
            anchor = c.current.get("anchor", "due")
            event = {"event": stable_uuid(diff.town, diff.locale, "event", c.message_id),
                     "campaign": f"{town_head.get('name', diff.name)}({diff.town}) {PHASE_NAMES.get(anchor, anchor)} "
                                 f"{diff.locale}", "message_id": c.message_id}
            if c.change == "added":
                actions.append({"action": "create_event", **event})
            elif c.change == "removed":
                actions.append({"action": "delete_event", **event})
            else:
                if "stage" in c.what:
                    actions.append({"action": "update_event_offset", **event})
                if "text" in c.what:
                    actions.append({"action": "update_event_message", **event})
        if actions:
            hints["rapidpro"] = actions
    for channel in town_head.get("channels") or []:
        actions = []
        moved = [c.message_id for c in diff.entries if c.change != "changed" or "stage" in c.what]
        if reschedule or moved:
            actions.append({"action": "rebuild_schedule", "message_ids": moved})
        texts = [c.message_id for c in diff.entries if c.change == "changed" and "text" in c.what]
        if texts:
            actions.append({"action": "replace_texts", "message_ids": texts})
        if actions:
            hints[str(channel)] = actions
    return hints


# --- the whole diff, streamed ------------------------------------------------------------------------

@dataclass
class DiffTally:
    """Counts over the whole diff, filled in while the stream is consumed."""

    catalogs_compared: int = 0
    catalogs_unchanged: int = 0
    catalogs_opened: int = 0
    entries: dict[str, int] = field(default_factory=dict)

    def add(self, diff: CatalogDiff) -> None:
        for kind, n in diff.counts().items():
            self.entries[kind] = self.entries.get(kind, 0) + n

    def to_data(self) -> dict[str, Any]:
        return {"catalogs_compared": self.catalogs_compared, "catalogs_unchanged": self.catalogs_unchanged,
                "catalogs_opened": self.catalogs_opened, "entries": dict(sorted(self.entries.items()))}


def changed_catalogs(old: ExportSide, new: ExportSide, old_paths: Mapping[CatalogKey, str],
                     new_paths: Mapping[CatalogKey, str]) -> set[CatalogKey]:
    """The catalogs whose canonical files differ by SHA-256 (or exist on one side only)."""
    out = set()
    for key in set(old_paths) | set(new_paths):
        op, np_ = old_paths.get(key), new_paths.get(key)
        if op is None or np_ is None or op != np_ or old.files[op]["sha256"] != new.files[np_]["sha256"]:
            out.add(key)
    return out


def diff_catalog(old: ExportSide, new: ExportSide, key: CatalogKey, op: str | None,
                 np_: str | None) -> CatalogDiff | None:
    """One catalog whose files differ: read both (checked against their manifests), compare only
    the entry lines that differ; ``None`` when the content is the same after all."""
    code, locale = key
    old_town = old.manifest["towns"].get(code, {})
    new_town = new.manifest["towns"].get(code, {})
    old_head, old_lines = catalog_lines(old.read(op), op) if op else ({}, [])
    new_head, new_lines = catalog_lines(new.read(np_), np_) if np_ else ({}, [])
    old_entries, new_entries = differing_entries(old_lines, new_lines)
    for head, town, lines_ in ((old_head, old_town, old_lines), (new_head, new_town, new_lines)):
        head.setdefault("name", town.get("name", ""))
        if lines_ and "send_time" not in head:  # NDJSON: the send time is on every entry
            head["send_time"] = orjson.loads(lines_[0]).get("send_time")
    status = "added" if op is None else "removed" if np_ is None else "changed"
    head = new_head if np_ else old_head
    diff = CatalogDiff(code, str(head.get("name", "")), locale, status, diff_entries(old_entries, new_entries),
                       diff_town(old_head, new_head) if status == "changed" else {})
    if status == "changed" and not diff.entries and not diff.town_changes:
        return None  # same content, other bytes (e.g. a head field a diff does not track)
    side = new if np_ else old
    diff.hints = backend_hints(diff, head, f"{code}/{locale}/rapidpro.json" in side.files)
    return diff


_SIDES: tuple[ExportSide, ExportSide] | None = None  # for worker processes (inherited by fork)


def _diff_job(job: tuple[CatalogKey, str | None, str | None]) -> CatalogDiff | None:
    assert _SIDES is not None
    return diff_catalog(*_SIDES, *job)


def iter_diffs(old: ExportSide, new: ExportSide, tally: DiffTally | None = None, *,
               jobs: int = 1, parallel_from: int = 16) -> Iterator[CatalogDiff]:
    """Per (town, locale) in code order, the catalogs that changed; unchanged ones (same SHA-256
    in both manifests) are skipped without being opened. ``jobs`` > 1 compares catalogs in that
    many worker processes when at least ``parallel_from`` catalogs differ (results still come in
    code order)."""
    global _SIDES
    check_comparable(old, new)
    tally = tally if tally is not None else DiffTally()
    old_paths, new_paths = old.catalogs(), new.catalogs()
    changed = changed_catalogs(old, new, old_paths, new_paths)
    tally.catalogs_compared = len(set(old_paths) | set(new_paths))
    tally.catalogs_unchanged = tally.catalogs_compared - len(changed)
    work = [(key, old_paths.get(key), new_paths.get(key)) for key in sorted(changed)]
    pool = None
    if jobs > 1 and len(work) >= parallel_from and "fork" in multiprocessing.get_all_start_methods():
        _SIDES = (old, new)
        pool = multiprocessing.get_context("fork").Pool(jobs)
        results: Iterable[CatalogDiff | None] = pool.imap(_diff_job, work, chunksize=8)
    else:
        results = (diff_catalog(old, new, *job) for job in work)
    try:
        for (_, op, np_), diff in zip(work, results):
            tally.catalogs_opened += (op is not None) + (np_ is not None)
            if diff is None:
                tally.catalogs_unchanged += 1
                continue
            tally.add(diff)
            yield diff
    finally:
        if pool is not None:
            pool.terminate()
            pool.join()
            _SIDES = None
