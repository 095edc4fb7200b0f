"""The table shared by the CSV and XLSX formats: one row per entry, fixed columns.

Columns (the contract; the header row holds these ids): town code and name, locale, the locale
the text is written in (a fallback when the message has no text in the locale), message id,
source, stage key and label, anchor, offset months and days, send time, the delivered text
(【未承認】 in front when not signed off), approved (a boolean: ``true``/``false`` in CSV, a
real boolean cell in XLSX), status, approval reference and content hash.

Every column but ``offset_months``, ``offset_days`` and ``approved`` is text, also when it looks
like a number: a town code ``011002`` or a content hash ``0123456789abcdef`` must keep its
leading zeros (``TEXT_COLUMNS``).
"""
from __future__ import annotations

from typing import Any

from kizuna.exports.model import TownCatalog

COLUMNS = (
    "town_code", "town_name", "locale", "text_locale", "message_id", "source", "stage", "stage_label", "anchor",
    "offset_months", "offset_days", "send_time", "text", "approved", "status", "approval_ref",
    "content_hash",
)


NUMBER_COLUMNS = ("offset_months", "offset_days")
BOOLEAN_COLUMNS = ("approved",)
TEXT_COLUMNS = tuple(c for c in COLUMNS if c not in NUMBER_COLUMNS + BOOLEAN_COLUMNS)


def rows(catalog: TownCatalog) -> list[list[Any]]:
    """The data rows (without the header) in delivery order."""
    town = catalog.town
    out = []
    for e in catalog.entries:
        offset = e.offset
        out.append([
            town.code, town.name, catalog.locale, e.text_locale, e.message_id, e.source, str(e.stage),
            e.stage.label_ja, e.anchor, offset["months"], offset["days"], catalog.send_time,
            e.delivered_text, e.approved, e.approval.status,
            e.approval.ref or "", e.content_hash,
        ])
    return out
