"""The exporter registry: every format, built-in or not, is found through an entry point.

An exporter is registered in the entry point group ``kizuna.exporters`` of any installed
distribution; the entry point's name is the format name used by ``kizuna export --format`` and
by a town's ``backend``. The object it points to is an :class:`Exporter` (or a class whose
no-argument instance is one). kizuna's own formats are declared the same way in its
``pyproject.toml``; :data:`BUILTINS` repeats them only so that a source tree that was never
installed still exports (a test keeps the two lists equal).
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from functools import lru_cache
from importlib.metadata import entry_points
from typing import Any, Callable, Mapping, Protocol, runtime_checkable

from kizuna.exports.errors import ExportError
from kizuna.exports.model import OutputFile, TownCatalog
from kizuna.catalog.i18n import _

GROUP = "kizuna.exporters"

#: name -> "module:attribute" of the built-in exporters (as in pyproject.toml)
BUILTINS: dict[str, str] = {
    "json": "kizuna.exports.formats.canonical:EXPORTER",
    "ndjson": "kizuna.exports.formats.ndjson:EXPORTER",
    "csv": "kizuna.exports.formats.csvfile:EXPORTER",
    "xlsx": "kizuna.exports.formats.xlsxfile:EXPORTER",
    "line": "kizuna.exports.formats.line:EXPORTER",
    "sms": "kizuna.exports.formats.sms:EXPORTER",
    "email": "kizuna.exports.formats.eml:EXPORTER",
    "rapidpro": "kizuna.exports.formats.rapidpro:EXPORTER",
}


@runtime_checkable
class Exporter(Protocol):
    """What a format provides.

    ``export`` is pure: it reads one :class:`TownCatalog` and the format's options (the
    ``exports.<name>`` mapping of ``kizuna.yaml``) and returns the files to write, with paths
    relative to the catalog's folder ``<town code>/<locale>/``. It must be deterministic (no
    clock, no randomness, stable order) and raise a ``KizunaError`` naming town and message for
    input it cannot export.
    """

    description: str

    def export(self, catalog: TownCatalog, options: Mapping[str, Any]) -> list[OutputFile]: ...


@dataclass(frozen=True)
class Layout:
    """How an exporter's files are made of its entries, for an incremental export to re-render
    only the entries whose inputs changed (an optional ``layout`` attribute of an exporter):

    * ``document``: one file ``path``, a :func:`exports.jsonio.document` whose one list holds
      one item a line per entry, in entry order, each with its ``"message_id"``; the rest of the
      file depends on the town and locale only;
    * ``lines``: one file ``path``, one line per entry (NDJSON), each with its ``"message_id"``;
    * ``per-entry``: one file ``<path>/<message id><suffix>`` per entry, made from that entry
      (and the town and locale) alone.

    Each entry's part must depend only on that entry, the town, the locale and the options. An
    exporter without a layout is re-run on the whole catalog whenever anything in it changed."""

    kind: str
    path: str
    suffix: str = ""


@dataclass(frozen=True)
class FunctionExporter:
    """An :class:`Exporter` made of a description and a function (how the built-ins are made)."""

    description: str
    function: Callable[[TownCatalog, Mapping[str, Any]], list[OutputFile]]
    layout: Layout | None = None

    def export(self, catalog: TownCatalog, options: Mapping[str, Any]) -> list[OutputFile]:
        return self.function(catalog, options)


def _instantiate(name: str, obj: Any) -> Exporter:
    exporter = obj() if isinstance(obj, type) else obj
    if not isinstance(exporter, Exporter):
        raise ExportError(_("the exporter '{name}' of entry point group {GROUP} has no "
                          "export(catalog, options) method and description").format(name=name, GROUP=GROUP))
    return exporter


def _load_reference(reference: str) -> Any:
    module, _, attribute = reference.partition(":")
    value: Any = importlib.import_module(module)
    for part in attribute.split("."):
        value = getattr(value, part)
    return value


@lru_cache(maxsize=1)
def discovered() -> dict[str, Any]:
    """Entry points of the group by name (installed distributions), unloaded."""
    return {ep.name: ep for ep in entry_points(group=GROUP)}


def names() -> list[str]:
    """Every known format name, sorted."""
    return sorted(set(BUILTINS) | set(discovered()))


@lru_cache(maxsize=None)
def get(name: str) -> Exporter:
    """The exporter registered under ``name``; an unknown name is an error listing the known."""
    found = discovered().get(name)
    if found is not None:
        try:
            return _instantiate(name, found.load())
        except ExportError:
            raise
        except Exception as exc:
            raise ExportError(_("the exporter '{name}' ({value}) could not be loaded: {exc}").format(name=name, value=found.value, exc=exc)) from None
    if name in BUILTINS:
        return _instantiate(name, _load_reference(BUILTINS[name]))
    raise ExportError(_("unknown export format '{name}'; known formats: {names}").format(name=name, names=', '.join(names())))


def describe() -> dict[str, str]:
    """Format name -> one-line description."""
    return {name: get(name).description for name in names()}
