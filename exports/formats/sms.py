"""SMS parts (``sms.json``): per message the schedule, the encoding (``ucs2`` for any Japanese,
``gsm7`` for GSM-alphabet text) and the parts in order (UCS-2: 70 characters alone, 67 per part
when split, 10 parts at most; see :mod:`exports.channels`). A sender that concatenates parts
itself sends ``parts`` as they are."""
from __future__ import annotations

from typing import Any, Mapping

from kizuna.exports import jsonio
from kizuna.exports.channels import sms_parts
from kizuna.exports.formats.canonical import delivery_items, head
from kizuna.exports.model import Entry, OutputFile, TownCatalog
from kizuna.exports.registry import FunctionExporter, Layout

FILENAME = "sms.json"
FORMAT_ID = "kizuna-sms"


def message(catalog: TownCatalog, entry: Entry, text: str, base: dict[str, Any]) -> dict[str, Any]:
    encoding, parts = sms_parts(text, where=catalog.where(entry))
    return {**base, "encoding": encoding, "parts": parts}


def messages(catalog: TownCatalog) -> list[dict[str, Any]]:
    return [message(catalog, *item) for item in delivery_items(catalog, "sms")]


def export(catalog: TownCatalog, options: Mapping[str, Any]) -> list[OutputFile]:
    data = jsonio.document(head(catalog, FORMAT_ID), ("messages", messages(catalog)))
    return [OutputFile(FILENAME, data)]


EXPORTER = FunctionExporter("SMS parts, UCS-2/GSM-7 split (sms.json)", export,
                              Layout("document", FILENAME))
