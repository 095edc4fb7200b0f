"""NDJSON: one canonical entry a line, each carrying its town code and locale
(``catalog.ndjson``), for streaming loaders and ``jq``."""
from __future__ import annotations

from typing import Any, Mapping

from kizuna.exports import jsonio
from kizuna.exports.formats.canonical import entry_data
from kizuna.exports.model import OutputFile, TownCatalog
from kizuna.exports.registry import FunctionExporter, Layout

FILENAME = "catalog.ndjson"


def export(catalog: TownCatalog, options: Mapping[str, Any]) -> list[OutputFile]:
    records = ({"town": catalog.town.code, "locale": catalog.locale, **entry_data(e, catalog)}
               for e in catalog.entries)
    return [OutputFile(FILENAME, jsonio.lines(records))]


EXPORTER = FunctionExporter("NDJSON, one canonical entry a line (catalog.ndjson)", export,
                              Layout("lines", FILENAME))
