"""Running an export: plan, render and write every town in parallel, then swap into place.

``run_export(workspace, request, out)``:

1. plans the export — which towns, locales and formats (by default each town gets the canonical
   JSON plus its channels and backend; ``formats`` overrides) — and checks every name first;
2. checks the decisions log's chain and reads its head, the sign-off status and the catalog
   revision, once each (:mod:`exports.approval`, :mod:`exports.revision`);
3. exports each town (render each locale, run each exporter, write its files) in a pool of
   worker processes, or in this process for one town or ``jobs=1``; the files go into a
   staging folder, or, into a previous export, only the files whose bytes change go into a
   pending folder (:mod:`exports.atomic`, :mod:`exports.incremental`);
4. writes the schemas and the manifest, and swaps the staging folder into place (or commits
   the pending files into the previous export).

The output depends only on the workspace and the request, never on the number of workers or
the order they finish in. On any error nothing is swapped in: the previous export stays as it
was, and the error (of the first town in code order that failed) is raised.
"""
from __future__ import annotations

import hashlib
import os
from collections import Counter
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from datetime import date
from importlib import metadata, resources
from pathlib import Path, PurePosixPath
from typing import Any, Callable, Iterable, Mapping

import orjson

from kizuna.catalog.towns import Town
from kizuna.catalog.workspace import Workspace
from kizuna.exports import registry
from kizuna.exports.approval import ApprovalMap, approvals, decisions_anchor
from kizuna.exports.atomic import MANIFEST, Writing, staged
from kizuna.exports.errors import ExportError
from kizuna.exports.manifest import FileRecord, TownResult, manifest_bytes, manifest_data
from kizuna.exports.registrant import withdraw_expired_notices
from kizuna.exports.incremental import (NotSpliceable, Reuse, compute_inputs, files_by_town, reuse_plans,
                                       splice_document, splice_document_at, splice_lines)
from kizuna.exports.model import TownCatalog
from kizuna.exports.render import SelectionMemo, catalog_parts
from kizuna.exports.revision import catalog_revision
from kizuna.exports.statcache import stat_of
from kizuna.catalog.i18n import _

#: canonical format every town gets by default
CANONICAL = "json"
SCHEMA_FILES = ("catalog-v1.schema.json", "manifest-v1.schema.json", "entry-v1.schema.json")

Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class ExportRequest:
    """What to export; empty tuples mean "all towns", "each town's locales", "its formats"."""

    towns: tuple[str, ...] = ()
    locales: tuple[str, ...] = ()
    formats: tuple[str, ...] = ()
    include_unapproved: bool = False
    #: evaluate approvals (expiry) as of this date, and record it in the manifest
    as_of: date | None = None
    #: worker processes; ``None``: one per CPU (at most one per town)
    jobs: int | None = None
    #: render every town, reusing nothing from the previous export (``--full``)
    full: bool = False


@dataclass(frozen=True)
class TownPlan:
    code: str
    locales: tuple[str, ...]
    formats: tuple[str, ...]
    #: how to reuse the previous export for this town (``None``: render it)
    reuse: Reuse | None = None
    #: the fingerprint of the town's own inputs (recorded in the manifest)
    inputs: str | None = None


@dataclass(frozen=True)
class ExportJob:
    """Everything a worker needs to export a town (plain data, sent once per worker)."""

    workspace: Workspace
    approvals: ApprovalMap
    include_unapproved: bool
    options: Mapping[str, Mapping[str, Any]]
    #: the folder the files are written into (staging, or pending for an in-place export)
    staging: Path
    #: the choice of each message per locale chain, shared by the towns a process exports
    memo: SelectionMemo = field(default_factory=dict, compare=False)
    #: in place: each town's files in the previous export that are there (town code -> path ->
    #: manifest record; a file with the same bytes is not written again); ``None``: staging.
    #: Sent to the workers once, with the job (the plans carry no file lists).
    previous: Mapping[str, Mapping[str, Mapping[str, Any]]] | None = None

    def previous_files(self, code: str) -> Mapping[str, Mapping[str, Any]] | None:
        return None if self.previous is None else self.previous.get(code, {})


@dataclass
class ExportResult:
    out: Path
    manifest: dict[str, Any]
    warnings: list[str] = field(default_factory=list)
    #: how many towns were ``rendered``, ``copied`` or ``patched`` from the previous export
    towns: Mapping[str, int] = field(default_factory=dict)


# --- planning (pure) ------------------------------------------------------------------------------

def default_formats(town: Town) -> tuple[str, ...]:
    """The canonical JSON, then the town's channels, then its backend (each once)."""
    return tuple(dict.fromkeys((CANONICAL, *town.channels, *town.backend)))


def _check_formats(names: Iterable[str], known: set[str], *, town: Town | None = None) -> None:
    for name in names:
        if name not in known:
            where = dict(path=f"towns/{town.code}.yaml", field="backend") if town else {}
            raise ExportError(_("unknown export format '{name}'; known formats: {known}").format(name=name, known=', '.join(sorted(known))),
                              **where)


def plan_export(workspace: Workspace, request: ExportRequest,
                known_formats: Iterable[str]) -> list[TownPlan]:
    """The towns, locales and formats to export, every name checked (towns in code order)."""
    known = set(known_formats)
    _check_formats(request.formats, known)
    for locale in request.locales:
        if locale not in workspace.config.locales:
            raise ExportError(_("unknown locale '{locale}'; the workspace's locales: "
                              "{locales}").format(locale=locale, locales=', '.join(workspace.config.locales)))
    codes = sorted(set(request.towns)) if request.towns else list(workspace.towns)
    plans = []
    for code in codes:
        town = workspace.town(code)
        formats = request.formats or default_formats(town)
        if not request.formats:
            _check_formats(formats, known, town=town)
        locales = tuple(loc for loc in town.locales if not request.locales or loc in request.locales)
        if not locales:
            if request.towns:  # a town asked for by name in a locale it does not send
                raise ExportError(_("town {code} ({name}) does not send in "
                                  "{locales}; its locales: {locales2}").format(code=code, name=town.name, locales=', '.join(request.locales), locales2=', '.join(town.locales)))
            continue  # --locale with every town: only the towns that send in it
        plans.append(TownPlan(code, locales, tuple(dict.fromkeys(formats))))
    if not plans and request.locales:
        raise ExportError(_("no town sends in {locales}; nothing to export").format(locales=', '.join(request.locales)))
    return plans


def export_options(workspace: Workspace,
                   known_formats: Iterable[str]) -> tuple[dict[str, Mapping[str, Any]], list[str]]:
    """Per-format options from the ``exports`` section of kizuna.yaml, and warnings for keys
    that name no known format."""
    section = workspace.config.section("exports")
    known = set(known_formats)
    options: dict[str, Mapping[str, Any]] = {}
    warnings = []
    for name, value in section.items():
        if not isinstance(value, Mapping):
            raise ExportError(_("must be a mapping of options"), path="kizuna.yaml", field=f"exports.{name}")
        if name not in known:
            warnings.append(_("kizuna.yaml: exports.{name}: no export format of that name is installed").format(name=name))
        options[str(name)] = value
    return options, warnings


def safe_relative(path: str, *, exporter: str) -> str:
    """An exporter's file path, checked to stay inside its folder."""
    pure = PurePosixPath(path)
    if pure.is_absolute() or not pure.parts or any(p in ("", ".", "..") for p in pure.parts):
        raise ExportError(_("the exporter '{exporter}' made a file path outside its folder: '{path}'").format(exporter=exporter, path=path))
    return pure.as_posix()


# --- one town (the I/O edge of a worker) -------------------------------------------------------------

def write_file(path: Path, data: bytes) -> os.stat_result:
    """Write ``data`` to ``path`` (its folders made); the file's stat right after."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as handle:
        handle.write(data)
        handle.flush()
        return os.fstat(handle.fileno())


def _catalog(job: ExportJob, messages: list[Any], town: Town, locale: str,
             only: frozenset[Any] | None = None) -> tuple[TownCatalog, list[str]]:
    ws = job.workspace
    return catalog_parts(messages, town, locale, job.approvals, include_unapproved=job.include_unapproved,
                         source_locale=ws.config.source_locale, fallbacks=ws.config.locale_chain(locale)[1:],
                         registrants=ws.config.registrants, memo=job.memo, only=only)


def _outputs(job: ExportJob, plan: TownPlan, catalog: TownCatalog) -> dict[str, bytes]:
    """Every format's files of one catalog, by path relative to the export folder."""
    out: dict[str, bytes] = {}
    for name in plan.formats:
        for output in registry.get(name).export(catalog, job.options.get(name, {})):
            rel = f"{plan.code}/{catalog.locale}/{safe_relative(output.path, exporter=name)}"
            if rel in out:
                raise ExportError(_("two formats write the same file {rel}").format(rel=rel))
            out[rel] = output.data
    return out


def _patched(job: ExportJob, plan: TownPlan, reuse: Reuse, catalog: TownCatalog, order: list[str],
             redone: set[str], candidates: set[str]) -> dict[str, bytes | None] | None:
    """The files of one catalog made from the previous export's and the entries in ``redone``
    (``None``: the previous file, kept as it is); ``None``: render it all. ``candidates``: the
    messages whose entries may have changed (at a stage redone, or changed)."""
    out: dict[str, bytes | None] = {}
    base = f"{plan.code}/{catalog.locale}"
    try:
        for name in plan.formats:
            exporter = registry.get(name)
            layout = getattr(exporter, "layout", None)
            fresh = {f"{base}/{safe_relative(o.path, exporter=name)}": o.data
                     for o in exporter.export(catalog, job.options.get(name, {}))}
            if layout.kind == "per-entry":
                for mid in order:
                    rel = f"{base}/{layout.path}/{mid}{layout.suffix}"
                    if mid in redone:
                        out[rel] = fresh.pop(rel)
                    elif rel in reuse.files:
                        out[rel] = None
                    else:
                        return None
                if fresh:
                    return None
                continue
            rel = f"{base}/{layout.path}"
            if set(fresh) - {rel} or rel not in reuse.files:
                return None
            old = (reuse.old / rel).read_bytes()
            if layout.kind == "document":
                try:
                    out[rel] = splice_document_at(old, fresh.get(rel, b""), order, redone, candidates)
                except NotSpliceable:
                    out[rel] = splice_document(old, fresh.get(rel, b""), order, redone)
            else:
                out[rel] = splice_lines(old, fresh.get(rel, b""), order, redone)
    except (NotSpliceable, KeyError, FileNotFoundError, AttributeError):
        return None
    return out


def _write(job: ExportJob, code: str, files: Mapping[str, bytes | None], result: TownResult) -> None:
    """Write the files whose bytes are not already in the previous export (in place), or every
    file (staging, recording its stat); ``None`` is a previous file kept as it is."""
    previous = job.previous_files(code)
    for rel, data in files.items():
        if data is None:
            assert previous is not None and rel in previous, rel  # reuse happens only in place
            result.kept.append(rel)
            continue
        record = result.files[rel] = FileRecord.of(data)
        if previous is not None:
            old = previous.get(rel)
            if old is not None and old.get("sha256") == record.sha256 and old.get("bytes") == record.bytes:
                continue  # the same bytes are there
            write_file(job.staging / rel, data)
        else:
            result.stats[rel] = stat_of(write_file(job.staging / rel, data))


def _copied(job: ExportJob, plan: TownPlan, reuse: Reuse) -> TownResult | None:
    """The town's files kept as they are in the previous export (``None``: render it)."""
    result = TownResult(plan.code, job.workspace.town(plan.code).name, plan.formats, inputs=plan.inputs)
    if set(reuse.locales) != set(plan.locales) or not reuse.files or job.previous is None:
        return None
    result.kept.extend(reuse.files)
    result.locales = {loc: dict(reuse.locales[loc]) for loc in plan.locales}
    result.warnings.extend(reuse.warnings)
    result.how = "copied"
    return result


def _candidates(job: ExportJob, town: Town, reuse: Reuse) -> set[str]:
    """The messages whose entries a patched town may have to change: those at a stage redone
    (national ones found once per process) and those that changed."""
    key = ("candidates", reuse.dirty)
    national = job.memo.get(key)
    if national is None:
        national = job.memo[key] = frozenset(m.id for m in job.workspace.messages.values() if m.stage in reuse.dirty)
    return {m.id for m in town.local_messages if m.stage in reuse.dirty} | national | reuse.changed


def export_town(job: ExportJob, plan: TownPlan) -> TownResult:
    """Render one town in each locale, run each exporter, write the files into staging (or reuse
    the previous export's, as ``plan.reuse`` says: :mod:`exports.incremental`)."""
    ws = job.workspace
    reuse = plan.reuse
    if reuse is not None:
        reuse = replace(reuse, files=job.previous_files(plan.code) or {})
    if reuse is not None and reuse.mode == "copy":
        copied = _copied(job, plan, reuse)
        if copied is not None:
            return copied
        reuse = None
    town = ws.town(plan.code)
    messages = ws.town_messages(town)
    result = TownResult(town.code, town.name, plan.formats, inputs=plan.inputs)
    candidates = set() if reuse is None else _candidates(job, town, reuse)
    for locale in plan.locales:
        files: Mapping[str, bytes | None] | None = None
        if reuse is not None:
            catalog, order = _catalog(job, messages, town, locale, only=reuse.dirty)
            redone = {e.message_id for e in catalog.entries}  # every kept message at a stage redone
            files = _patched(job, plan, reuse, catalog, order, redone, candidates)
            result.how = "patched" if files is not None and result.how != "rendered again" else "rendered again"
        if files is None:
            catalog, order = _catalog(job, messages, town, locale)
            files = _outputs(job, plan, catalog)
        result.locales[locale] = {"entries": len(order), "left_out": dict(catalog.left_out)}
        result.warnings.extend(catalog.warnings)
        _write(job, plan.code, files, result)
    return result


_JOB: ExportJob | None = None


def _init_worker(job: ExportJob) -> None:
    global _JOB
    _JOB = job


def _export_in_worker(plan: TownPlan) -> TownResult:
    assert _JOB is not None, "worker not initialised"
    return export_town(_JOB, plan)


def _first_error(errors: list[tuple[str, BaseException]]) -> BaseException:
    return min(errors, key=lambda e: e[0])[1]


def export_towns(job: ExportJob, plans: list[TownPlan], jobs: int,
                 progress: Progress | None = None) -> list[TownResult]:
    """Every planned town, in ``jobs`` processes (1: in this process)."""
    total = len(plans)
    if jobs <= 1 or total <= 1:
        results = []
        for i, plan in enumerate(plans, 1):
            results.append(export_town(job, plan))
            if progress:
                progress(i, total, plan.code)
        return results
    results, errors = [], []
    with ProcessPoolExecutor(max_workers=jobs, initializer=_init_worker, initargs=(job,)) as pool:
        futures: dict[Future[TownResult], str] = {pool.submit(_export_in_worker, p): p.code for p in plans}
        done = 0
        for future in as_completed(futures):
            if future.cancelled():
                continue
            error = future.exception()
            if error is not None:
                errors.append((futures[future], error))
                for other in futures:
                    other.cancel()
                continue
            results.append(future.result())
            done += 1
            if progress:
                progress(done, total, futures[future])
    if errors:
        raise _first_error(errors)
    return results


# --- the whole export ---------------------------------------------------------------------------------

def schema_bytes(name: str) -> bytes:
    return resources.files("kizuna.exports").joinpath("schema", name).read_bytes()


def tool_version() -> str:
    try:
        return metadata.version("kizuna")
    except metadata.PackageNotFoundError:
        return "unknown"


def worker_count(requested: int | None, towns: int) -> int:
    available = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(requested or available, towns))


def previous_files(writing: Writing) -> dict[str, dict[str, Mapping[str, Any]]] | None:
    """In place: each town's files in the previous export that are there (town code -> path ->
    record; the schemas under ``schema``), else ``None``."""
    if writing.previous is None:
        return None
    by_town = files_by_town(writing.previous.manifest)
    for rel in writing.previous.missing:
        by_town.get(rel.partition("/")[0], {}).pop(rel, None)
    return by_town


def reuse_in_place(plans: list[TownPlan], writing: Writing, reuse: Mapping[str, Reuse]) -> list[TownPlan]:
    """The plans with what each town reuses (only in place, and not for a town with a listed
    file missing: it is rendered, and the file written again). The plans carry no file lists:
    a worker finds them in :attr:`ExportJob.previous`."""
    if writing.previous is None:
        return plans
    broken = {rel.partition("/")[0] for rel in writing.previous.missing}
    return [replace(p, reuse=replace(reuse[p.code], files={}))
            if p.code in reuse and p.code not in broken else p for p in plans]


def previous_manifest(out: Path) -> dict[str, Any] | None:
    """The manifest of the export in ``out`` (read after :func:`exports.atomic.staged` checked
    every file it lists), or ``None``."""
    try:
        data = orjson.loads((out / MANIFEST).read_bytes())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def run_export(workspace: Workspace, request: ExportRequest, out: Path, *,
               progress: Progress | None = None) -> ExportResult:
    """Export as ``request`` says into ``out`` (replaced atomically); see the module docstring."""
    out = Path(out)
    known = registry.names()
    plans = plan_export(workspace, request, known)
    for name in sorted({f for p in plans for f in p.formats}):
        registry.get(name)  # load every exporter now: a broken plugin fails before any work
    options, warnings = export_options(workspace, known)
    if request.as_of and "send_date" not in options.get("email", {}):
        options["email"] = {**options.get("email", {}), "send_date": request.as_of}  # e-mail Date
    anchor = decisions_anchor(workspace)
    approval_map = approvals(workspace, now=request.as_of, check_log=False)
    approval_map = withdraw_expired_notices(workspace, approval_map, request.as_of or date.today())
    revision = catalog_revision(workspace.root, exclude=[out])
    inputs = compute_inputs(workspace, plans, approval_map, options,
                            include_unapproved=request.include_unapproved, as_of=request.as_of)
    with staged(out, workspace.root, in_place=not request.full) as writing:
        previous = writing.previous.manifest if writing.previous is not None else None
        layouts = {name: getattr(registry.get(name), "layout", None) is not None for name in inputs.formats}
        reuse = reuse_plans(previous, Path(os.path.normpath(out.absolute())), inputs, plans, workspace, layouts)
        plans = reuse_in_place([replace(p, inputs=inputs.towns[p.code]) for p in plans], writing, reuse)
        job = ExportJob(workspace, approval_map, request.include_unapproved, options, writing.folder,
                        previous=previous_files(writing))
        results = export_towns(job, plans, worker_count(request.jobs, len(plans)), progress)
        schema = TownResult("schema", "", ())
        _write(job, "schema", {f"schema/{name}": schema_bytes(name) for name in SCHEMA_FILES}, schema)
        manifest = manifest_data(results, schema.files, revision=revision, as_of=request.as_of,
                                 include_unapproved=request.include_unapproved,
                                 kizuna_version=tool_version(), decisions=anchor, inputs=inputs.to_data(),
                                 kept=previous["files"] if previous is not None else None)
        manifest["warnings"] = sorted(set(manifest["warnings"]) | set(warnings))
        data = manifest_bytes(manifest)
        write_file(writing.folder / MANIFEST, data)
        writing.files = manifest["files"]
        writing.manifest_digest = hashlib.sha256(data).hexdigest()
        for result in (*results, schema):
            writing.stats.update(result.stats)
    how = Counter("rendered" if r.how == "rendered again" else r.how for r in results)
    return ExportResult(out, manifest, manifest["warnings"], dict(sorted(how.items())))
