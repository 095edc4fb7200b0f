"""JSON Schema violations as sentences a writer or town editor can act on, in their language.

jsonschema's own messages speak the schema (``'7日目' does not match '^(P[0-9]{1,2}w…'``,
``Additional properties are not allowed``). :func:`explain` turns one ``ValidationError`` into a
sentence by its kind (required, pattern, enum, type, lengths, …) and by the field it is about
(``id``, ``stage``, ``locale``, ``town``, …): what is expected, with an example, never the pattern.
:func:`where` names the place as the file writes it (``questions[0].choices[1].id``).
"""
from __future__ import annotations

from typing import Any, Iterable

from jsonschema.exceptions import ValidationError, best_match

from kizuna.catalog.i18n import N_, _
from kizuna.catalog.limits import clip, shorten

#: What a field holds, by its YAML/JSON key (the last key on the error's path).
FIELD_HINTS: dict[str, str] = {
    "id": N_("lower-case letters, digits and hyphens, like b17d-nail-care"),
    "message": N_("a message id: lower-case letters, digits and hyphens, like b17d-nail-care"),
    "topics": N_("a topic id: lower-case letters, digits and hyphens, like daily-life"),
    "stage": N_("a stage like P12w3d (妊娠12週3日), B45d (生後45日), B2m (生後2か月) or B1y6m (1歳6か月)"),
    "locale": N_("a language code like ja, ja-easy or en"),
    "town": N_("the 6-digit municipality code (半角数字6桁), like 202029"),
    "base_hash": N_("16 characters 0-9 and a-f that kizuna wrote; do not edit it"),
    "checksum": N_("16 characters 0-9 and a-f that kizuna wrote; do not edit it"),
    "seal": N_("32 characters 0-9 and a-f that kizuna wrote; do not edit it"),
    "cells": N_("16 characters 0-9 and a-f that kizuna wrote; do not edit it"),
}

#: What the keys of a mapping are, by the mapping's own key (``propertyNames``).
KEY_HINTS: dict[str, str] = {
    "cells": N_("a message id: lower-case letters, digits and hyphens, like b17d-nail-care"),
    "text": N_("a language code like ja, ja-easy or en"),
    "title": N_("a language code like ja, ja-easy or en"),
    "intro": N_("a language code like ja, ja-easy or en"),
    "notice": N_("a language code like ja, ja-easy or en"),
}

TYPE_WORDS: dict[str, str] = {
    "string": N_("text"),
    "integer": N_("a whole number"),
    "number": N_("a number"),
    "boolean": N_("true or false"),
    "array": N_("a list"),
    "object": N_("a mapping of names to values"),
    "null": N_("empty"),
}


def where(path: Iterable[Any]) -> str:
    """``questions[0].choices[1].id`` for the path ``questions, 0, choices, 1, id``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return clip(out, 80)


def _field(error: ValidationError) -> str | None:
    """The key the error is about: the last name on its path (``topics`` for ``topics[2]``)."""
    schema_path = list(error.absolute_schema_path)
    named = [schema_path[i + 1] for i, p in enumerate(schema_path[:-1]) if p == "properties"]
    if named:
        return str(named[-1])
    names = [p for p in error.absolute_path if isinstance(p, str)]
    return names[-1] if names else None


def _value(value: Any) -> str:
    shown = shorten(value, 60)
    return shown[1:-1] if isinstance(value, str) and shown.startswith("'") and shown.endswith("'") else shown


def _list(values: Iterable[Any]) -> str:
    return ", ".join(_value(v) for v in values)


def _hint(name: str | None, table: dict[str, str] = FIELD_HINTS) -> str | None:
    return _(table[name]) if name in table else None


def explain(error: ValidationError) -> str:
    """One sentence for ``error``: what is wrong and what to write instead (no schema syntax)."""
    kind, expected, value = error.validator, error.validator_value, error.instance
    field = _field(error)
    if kind in ("oneOf", "anyOf") and error.context:
        return explain(best_match(error.context))
    if kind == "required":
        # one error per missing name; jsonschema's message starts with that name
        missing = [p for p in expected if str(error.message).startswith(repr(p))] or list(expected)
        hint = _hint(missing[0])
        if hint:
            return _("{field} is missing; add it ({hint})").format(field=missing[0], hint=hint)
        return _("{field} is missing; add it").format(field=missing[0])
    if kind == "dependentRequired" and isinstance(value, dict):
        for name, needs in expected.items():
            lacking = [n for n in needs if name in value and n not in value
                       and str(error.message).startswith(repr(n))]
            if lacking:
                return _("{missing} is missing (it goes with {field}); add it, or remove {field}").format(
                    missing=", ".join(lacking), field=name)
    if kind == "additionalProperties" and isinstance(value, dict):
        allowed = list((error.schema or {}).get("properties", {}))
        extra = [k for k in value if k not in allowed]
        if allowed:
            return _("{names}: no such field here; remove it or fix its spelling (the fields are {allowed})").format(
                names=_list(extra), allowed=", ".join(allowed))
    if kind == "pattern":
        if "propertyNames" in error.schema_path:
            hint = _hint(field, KEY_HINTS)
            if hint:
                return _("the name '{value}' is not {hint}").format(value=_value(value), hint=hint)
            return _("the name '{value}' is not written the way this field needs").format(value=_value(value))
        hint = _hint(field)
        if hint:
            return _("'{value}' is not {hint}").format(value=_value(value), hint=hint)
        return _("'{value}' is not written the way this field needs").format(value=_value(value))
    if kind == "enum":
        return _("'{value}' is not one of {choices}; write one of them").format(
            value=_value(value), choices=_list(expected))
    if kind == "const":
        return _("must be {expected}").format(expected=_value(expected))
    if kind == "type":
        wanted = [expected] if isinstance(expected, str) else list(expected)
        words = " / ".join(_(TYPE_WORDS[t]) if t in TYPE_WORDS else t for t in wanted)
        if "string" in wanted:
            return _("'{value}' must be {words} (put it in quotes if it looks like a number)").format(
                value=_value(value), words=words)
        return _("'{value}' must be {words}").format(value=_value(value), words=words)
    if kind in ("minLength", "minProperties") and expected == 1:
        return _("is empty; write something here")
    if kind == "minLength":
        return _("is too short: write at least {count} characters").format(count=expected)
    if kind == "maxLength":
        return _("is too long: write at most {count} characters").format(count=expected)
    if kind == "minItems":
        return _("needs at least {count} items").format(count=expected)
    if kind == "maxItems":
        return _("has too many items: at most {count}").format(count=expected)
    if kind in ("minimum", "exclusiveMinimum"):
        return _("{value} is too small: write {limit} or more").format(value=_value(value), limit=expected)
    if kind in ("maximum", "exclusiveMaximum"):
        return _("{value} is too large: write {limit} or less").format(value=_value(value), limit=expected)
    if kind == "uniqueItems":
        return _("lists the same item twice; remove the repeat")
    if kind == "format":
        return _("'{value}' is not a valid {format}").format(value=_value(value), format=expected)
    return _("does not have the form this field needs (rule: {rule})").format(rule=kind)


def explain_at(error: ValidationError) -> str:
    """``place: sentence`` (just the sentence for the top of the document)."""
    place = where(error.absolute_path)
    return f"{place}: {explain(error)}" if place else explain(error)
