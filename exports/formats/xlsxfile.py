"""XLSX for town staff and vendors who work in Excel (``catalog.xlsx``), written with openpyxl.

One sheet ``messages`` with the columns of :mod:`exports.formats.tabular`, the header frozen.
Every text cell is stored as a string cell with the number format ``@`` (Text), so a text
starting with ``=`` is shown, never evaluated, and a code like ``011002`` stays text with its
leading zero in Excel and LibreOffice, also when a user edits the cell. pandas guesses types
from the values, so read the text columns as text:
``pandas.read_excel(path, dtype={c: str for c in tabular.TEXT_COLUMNS})``. ``approved`` is a
real boolean cell (TRUE/FALSE). The file is byte-identical for the same catalog: the document properties carry a
fixed date (2000-01-01T00:00:00Z, not the clock) and the ZIP entries a fixed time (1980-01-01).
"""
from __future__ import annotations

import io
import zipfile
from datetime import datetime
from typing import Any, Mapping

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter
from openpyxl.writer.excel import ExcelWriter

from kizuna.exports.errors import ExportError
from kizuna.exports.formats.tabular import COLUMNS, rows
from kizuna.exports.model import OutputFile, TownCatalog
from kizuna.exports.registry import FunctionExporter
from kizuna.catalog.i18n import _

FILENAME = "catalog.xlsx"
SHEET = "messages"
FIXED_PROPERTIES_TIME = datetime(2000, 1, 1)
FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
TEXT_FORMAT = "@"
_WIDTHS = {"text": 80, "stage_label": 14, "town_name": 12, "message_id": 28, "approval_ref": 24,
           "content_hash": 18}


def workbook(header: tuple[str, ...], data: list[list[Any]], title: str = SHEET) -> Workbook:
    """A one-sheet workbook with string cells kept as strings."""
    wb = Workbook()
    ws = wb.active
    ws.title = title
    ws.append(list(header))
    for row in data:
        ws.append(row)
    for row_cells in ws.iter_rows(min_row=2):
        for cell in row_cells:
            if isinstance(cell.value, str):
                cell.data_type = "s"
                cell.number_format = TEXT_FORMAT
    ws.freeze_panes = "A2"
    for i, name in enumerate(header, 1):
        ws.column_dimensions[get_column_letter(i)].width = _WIDTHS.get(name, 10)
    wb.properties.creator = "kizuna"
    wb.properties.created = FIXED_PROPERTIES_TIME
    wb.properties.modified = FIXED_PROPERTIES_TIME
    return wb


def normalised_zip(data: bytes) -> bytes:
    """The same ZIP with fixed entry times and permissions (openpyxl stamps the clock)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()


def workbook_bytes(wb: Workbook) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        ExcelWriter(wb, archive).write_data()  # not save_workbook(): it stamps the clock
    return normalised_zip(buffer.getvalue())


def check_cells(catalog: TownCatalog, data: list[list[Any]]) -> None:
    """A control character (other than tab and line breaks) cannot be stored in a worksheet:
    an error naming town, message, the character and the column, rather than openpyxl's."""
    for entry, row in zip(catalog.entries, data):
        for name, value in zip(COLUMNS, row):
            found = ILLEGAL_CHARACTERS_RE.search(value) if isinstance(value, str) else None
            if found:
                raise ExportError(_("the {name} holds the control character U+{ord:04X} at "
                                  "character {value}, which an XLSX sheet cannot store; "
                                  "remove it from the text").format(name=name, ord=ord(found.group()), value=found.start() + 1), location=catalog.where(entry))


def export(catalog: TownCatalog, options: Mapping[str, Any]) -> list[OutputFile]:
    data = rows(catalog)
    check_cells(catalog, data)
    return [OutputFile(FILENAME, workbook_bytes(workbook(COLUMNS, data)))]


EXPORTER = FunctionExporter("XLSX workbook, one row per message (catalog.xlsx)", export)
