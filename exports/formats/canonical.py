"""Canonical JSON: the export contract, one file per town and locale (``catalog.json``).

Described by the JSON Schema ``exports/schema/catalog-v1.schema.json`` (shipped in every export
as ``schema/catalog-v1.schema.json``). Head keys in a fixed order, then ``entries`` one per line
in delivery order (stage, then message id). Per entry: message id, source, stage key and label,
anchor (``due`` or ``birth``) and offset (months and days), send time, the rendered text and
the locale it is written in (a fallback when the message has no text in the locale), per
channel its facts and — when it differs from ``text`` (an unapproved marker, e-mail
replacements) — the text that channel delivers, the content hash the approval is bound to, and
the approval (status and reference). Since 1.1: the track, the age basis after a preterm birth,
and when present the gestation range, the dated window, the twins variant and the registrant
placeholders (``{{ reader.nickname }}``, kept as written).
"""
from __future__ import annotations

from typing import Any, Iterator, Mapping

from kizuna.catalog.cadence import format_age
from kizuna.exports import jsonio
from kizuna.exports.channels import for_entry
from kizuna.exports.model import SCHEMA_VERSION, Entry, OutputFile, TownCatalog, stage_fields
from kizuna.exports.registry import FunctionExporter, Layout

FILENAME = "catalog.json"
FORMAT_ID = "kizuna-catalog"


def schedule(entry: Entry, catalog: TownCatalog) -> dict[str, Any]:
    """When an entry is sent: id, stage, anchor, offset and send time (shared by formats)."""
    key, _, anchor, offset = stage_fields(entry.stage)
    return {"message_id": entry.message_id, "stage": key, "anchor": anchor,
            "offset": dict(offset), "send_time": catalog.send_time}


def delivery_items(catalog: TownCatalog, channel: str) -> Iterator[tuple[Entry, str, dict[str, Any]]]:
    """Each entry with the text ``channel`` delivers and its schedule fields plus ``approved``
    (what every delivery adapter starts from)."""
    for entry in catalog.entries:
        text = for_entry(catalog, entry, channel).text
        yield entry, text, {**schedule(entry, catalog), "approved": entry.approved}


def approval_data(entry: Entry) -> dict[str, Any]:
    """``approved`` for the whole entry; ``status`` and ``ref`` of the message; ``block``: the
    same of the attached town block (``null`` without one)."""
    block = entry.block_approval
    return {"approved": entry.approved, "status": entry.approval.status, "ref": entry.approval.ref,
            "block": {"status": block.status, "ref": block.ref} if block else None}


def channel_data(entry: Entry) -> dict[str, Any]:
    """Per channel its facts, and its ``text`` only when it is not the entry's ``text`` (a
    【未承認】 marker, or e-mail replacements)."""
    text = entry.text
    return {ch: ct.facts if ct.text == text else {"text": ct.text, **ct.facts}
            for ch, ct in entry.channels.items()}


def entry_data(entry: Entry, catalog: TownCatalog) -> dict[str, Any]:
    """The canonical mapping of one entry."""
    key, label, anchor, offset = stage_fields(entry.stage)
    return {
        "message_id": entry.message_id, "stage": key, "anchor": anchor, "offset": dict(offset),
        "send_time": catalog.send_time, "source": entry.source, "stage_label": label,
        "text": entry.text, "text_locale": entry.text_locale, "has_block": entry.has_block,
        "channels": channel_data(entry),
        "content_hash": entry.content_hash, "approval": approval_data(entry),
        **track_data(entry),
    }


def track_data(entry: Entry) -> dict[str, Any]:
    """(1.1) Track, age basis, and when present the gestation range, dated window, twins variant
    and registrant placeholders of an entry."""
    data: dict[str, Any] = {"track": entry.track, "age_basis": entry.basis}
    lo, hi = entry.gestation
    if lo is not None or hi is not None:
        data["gestation"] = {**({"from": str(lo)} if lo else {}), **({"until": str(hi)} if hi else {})}
    if entry.dated is not None:
        data["dated"] = entry.dated.to_data()
    if entry.multiples_text is not None:
        data["multiples_text"] = entry.multiples_text
    if entry.placeholders:
        data["placeholders"] = list(entry.placeholders)
    return data


def town_data(catalog: TownCatalog) -> dict[str, Any]:
    town = catalog.town
    return {"code": town.code, "name": town.name, "prefecture": town.prefecture,
            "send_time": town.send_time, "channels": list(town.channels),
            "email_encoding": town.email_encoding, "backend": list(town.backend),
            "policy": town.policy, "end_age": format_age(town.end_age)}


def head(catalog: TownCatalog, format_id: str = FORMAT_ID) -> list[tuple[str, Any]]:
    """The fixed head of every JSON document of one town and locale."""
    return [("format", format_id), ("schema_version", SCHEMA_VERSION),
            ("town", town_data(catalog)), ("locale", catalog.locale),
            ("include_unapproved", catalog.include_unapproved)]


def catalog_bytes(catalog: TownCatalog) -> bytes:
    return jsonio.document(head(catalog), ("entries", (entry_data(e, catalog) for e in catalog.entries)))


def export(catalog: TownCatalog, options: Mapping[str, Any]) -> list[OutputFile]:
    return [OutputFile(FILENAME, catalog_bytes(catalog))]


EXPORTER = FunctionExporter("canonical JSON per town and locale (catalog.json), the contract", export,
                              Layout("document", FILENAME))
