"""Registrant placeholders: ``{{ reader.nickname }}``, ``{{ reader.babies }}``, ``{{ child.nickname }}``.

Templates may print these registrant fields. A catalog is rendered without knowing the
registrant, so each field renders as its own placeholder (:data:`PLACEHOLDER_CONTEXT`) and stays
in the text as written; exports write it in each backend's syntax (:mod:`exports.registrant`),
previews fill it for one registrant (:func:`fill`), and length checks count it at the field's
longest value (:func:`max_length_text`, ``registrants.fields`` in ``kizuna.yaml``).
"""
from __future__ import annotations

import re
from typing import Mapping

#: registrant field -> the placeholder a rendered text keeps
PLACEHOLDERS = {"reader.nickname": "{{ reader.nickname }}", "reader.babies": "{{ reader.babies }}",
                "child.nickname": "{{ child.nickname }}"}
#: what templates see while rendering a catalog: each field prints its own placeholder
PLACEHOLDER_CONTEXT = {"reader": {"nickname": PLACEHOLDERS["reader.nickname"],
                                  "babies": PLACEHOLDERS["reader.babies"]},
                       "child": {"nickname": PLACEHOLDERS["child.nickname"]}}
PLACEHOLDER_RE = re.compile(r"\{\{ (reader\.nickname|reader\.babies|child\.nickname) \}\}")


def placeholders_in(text: str) -> tuple[str, ...]:
    """Registrant fields a rendered text carries as placeholders, in order, each once."""
    if "{{" not in text:
        return ()
    return tuple(dict.fromkeys(m.group(1) for m in PLACEHOLDER_RE.finditer(text)))


def fill(text: str, values: Mapping[str, str]) -> str:
    """``text`` with each placeholder replaced by its value (a field without one: empty)."""
    return PLACEHOLDER_RE.sub(lambda m: values.get(m.group(1), ""), text) if "{{" in text else text


def max_length_text(text: str, lengths: Mapping[str, int]) -> str:
    """``text`` with each placeholder as long as its longest value (for length limits)."""
    return PLACEHOLDER_RE.sub(lambda m: "あ" * lengths.get(m.group(1), 10), text) if "{{" in text else text
