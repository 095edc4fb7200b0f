"""CSV for spreadsheet users and vendors' importers (``catalog.csv``).

UTF-8 with a byte order mark (so Excel opens Japanese correctly), CRLF line ends, RFC 4180
quoting, the columns of :mod:`exports.formats.tabular`. A text cell that a spreadsheet could take
for a formula — one starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return, or
their full-width forms ``＝ ＋ － ＠`` — gets a leading apostrophe ``'`` (the OWASP rule for CSV
injection); numbers are written as numbers, booleans as ``true``/``false``.

Read it as text: a town code ``011002`` loses its leading zero in any reader that guesses
types — ``pandas.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")``, and
in Excel *Data → From Text/CSV* with the columns set to Text (opening the file directly
converts them).
"""
from __future__ import annotations

import csv
import io
from typing import Any, Mapping

from kizuna.exports.formats.tabular import COLUMNS, rows
from kizuna.exports.model import OutputFile, TownCatalog
from kizuna.exports.registry import FunctionExporter

FILENAME = "catalog.csv"
BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")


def neutralise(value: Any) -> Any:
    """A cell value that no spreadsheet evaluates (text only; numbers pass; a boolean is
    ``true``/``false``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_text(header: tuple[str, ...] | list[str], data: list[list[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([neutralise(v) for v in row] for row in data)
    return BOM + buffer.getvalue()


def export(catalog: TownCatalog, options: Mapping[str, Any]) -> list[OutputFile]:
    return [OutputFile(FILENAME, csv_text(COLUMNS, rows(catalog)).encode("utf-8"))]


EXPORTER = FunctionExporter("CSV, UTF-8 with BOM, formula cells neutralised (catalog.csv)", export)
