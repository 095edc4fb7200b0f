"""LINE Messaging API push request bodies (``line-push.json``).

One push per message, in delivery order: the schedule (message id, stage, anchor, offset, send
time), whether it is approved, and ``body`` — the request body of ``POST /v2/bot/message/push``
with ``to`` set to the placeholder ``${LINE_USER_ID}`` that the sender replaces with each
registrant's user id. ``messages`` holds 1–5 text messages of at most 5,000 UTF-16 code units
(a longer text is split at paragraph, then line breaks; see :mod:`exports.channels`).
"""
from __future__ import annotations

from typing import Any, Mapping

from kizuna.exports import jsonio
from kizuna.exports.channels import line_messages
from kizuna.exports.formats.canonical import delivery_items, head
from kizuna.exports.model import Entry, OutputFile, TownCatalog
from kizuna.exports.registry import FunctionExporter, Layout

FILENAME = "line-push.json"
FORMAT_ID = "kizuna-line-push"
USER_PLACEHOLDER = "${LINE_USER_ID}"


def push(catalog: TownCatalog, entry: Entry, text: str, base: dict[str, Any]) -> dict[str, Any]:
    messages = [{"type": "text", "text": chunk} for chunk in line_messages(text, where=catalog.where(entry))]
    return {**base, "body": {"to": USER_PLACEHOLDER, "messages": messages}}


def pushes(catalog: TownCatalog) -> list[dict[str, Any]]:
    return [push(catalog, *item) for item in delivery_items(catalog, "line")]


def export(catalog: TownCatalog, options: Mapping[str, Any]) -> list[OutputFile]:
    data = jsonio.document(head(catalog, FORMAT_ID), ("pushes", pushes(catalog)))
    return [OutputFile(FILENAME, data)]


EXPORTER = FunctionExporter("LINE Messaging API push bodies (line-push.json)", export,
                              Layout("document", FILENAME))
