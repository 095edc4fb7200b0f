"""Running an export: plan, render and write every town in parallel, then swap into place.

``run_export(workspace, request, out)``:

1. plans the export — which towns, locales and formats (by default each town gets the canonical
   JSON plus its channels and backend; ``formats`` overrides) — and checks every name first;
2. checks the decisions log's chain and reads its head, the sign-off status and the catalog
   revision, once each (:mod:`exports.approval`, :mod:`exports.revision`);
3. exports each town (render each locale, run each exporter, write its files) in a pool of
   worker processes, or in this process for one town or ``jobs=1``; the files go into a
   staging folder (:mod:`exports.atomic`);
4. writes the schemas and the manifest, and swaps the staging folder into place.

The output depends only on the workspace and the request, never on the number of workers or
the order they finish in. On any error nothing is swapped in: the previous export stays as it
was, and the error (of the first town in code order that failed) is raised.
"""
from __future__ import annotations

import os
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import date
from importlib import metadata, resources
from pathlib import Path, PurePosixPath
from typing import Any, Callable, Iterable, Mapping

from kizuna.catalog.towns import Town
from kizuna.catalog.workspace import Workspace
from kizuna.exports import registry
from kizuna.exports.approval import ApprovalMap, approvals, decisions_anchor
from kizuna.exports.atomic import MANIFEST, staged
from kizuna.exports.errors import ExportError
from kizuna.exports.manifest import FileRecord, TownResult, manifest_bytes, manifest_data
from kizuna.exports.registrant import withdraw_expired_notices
from kizuna.exports.render import build_catalog
from kizuna.exports.revision import catalog_revision
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


@dataclass(frozen=True)
class TownPlan:
    code: str
    locales: tuple[str, ...]
    formats: tuple[str, ...]


@dataclass(frozen=True)
class ExportJob:
    """Everything a worker needs to export a town (plain data, sent once per worker)."""

    workspace: Workspace
    approvals: ApprovalMap
    include_unapproved: bool
    options: Mapping[str, Mapping[str, Any]]
    staging: Path


@dataclass
class ExportResult:
    out: Path
    manifest: dict[str, Any]
    warnings: list[str] = field(default_factory=list)


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

def write_file(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def export_town(job: ExportJob, plan: TownPlan) -> TownResult:
    """Render one town in each locale, run each exporter, write the files into staging."""
    ws = job.workspace
    town = ws.town(plan.code)
    messages = ws.town_messages(town)
    result = TownResult(town.code, town.name, plan.formats)
    for locale in plan.locales:
        catalog = build_catalog(messages, town, locale, job.approvals,
                                include_unapproved=job.include_unapproved,
                                source_locale=ws.config.source_locale,
                                fallbacks=ws.config.locale_chain(locale)[1:],
                                registrants=ws.config.registrants)
        result.locales[locale] = {"entries": len(catalog.entries), "left_out": dict(catalog.left_out)}
        result.warnings.extend(catalog.warnings)
        for name in plan.formats:
            for output in registry.get(name).export(catalog, job.options.get(name, {})):
                rel = f"{town.code}/{locale}/{safe_relative(output.path, exporter=name)}"
                if rel in result.files:
                    raise ExportError(_("two formats write the same file {rel}").format(rel=rel))
                write_file(job.staging / rel, output.data)
                result.files[rel] = FileRecord.of(output.data)
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
    with staged(out, workspace.root) as staging:
        job = ExportJob(workspace, approval_map, request.include_unapproved, options, staging)
        results = export_towns(job, plans, worker_count(request.jobs, len(plans)), progress)
        extra: dict[str, FileRecord] = {}
        for name in SCHEMA_FILES:
            data = schema_bytes(name)
            write_file(staging / "schema" / name, data)
            extra[f"schema/{name}"] = FileRecord.of(data)
        manifest = manifest_data(results, extra, revision=revision, as_of=request.as_of,
                                 include_unapproved=request.include_unapproved,
                                 kizuna_version=tool_version(), decisions=anchor)
        manifest["warnings"] = sorted(set(manifest["warnings"]) | set(warnings))
        write_file(staging / MANIFEST, manifest_bytes(manifest))
    return ExportResult(out, manifest, manifest["warnings"])
