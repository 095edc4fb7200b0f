"""``registrant/missing-value``: a text must read well for a reader without a nickname.

A registrant field (``{{ reader.nickname }}``, ``{{ child.nickname }}``) may be empty: the
reader did not give one. The text (and its twins variant) is read with each field replaced by
what such a reader gets — the field's ``missing`` value of ``registrants.fields`` in
``kizuna.yaml``, empty by default — and reported when that leaves

* an honorific with no name before it (``さん、おはようございます``),
* a line or sentence starting with a comma or a particle (``、ご出産…``, ``の成長…``),
* two punctuation marks in a row (``こんにちは、。``), or a doubled space.
"""
from __future__ import annotations

import re
from typing import Any, Iterator, Mapping

from kizuna.catalog.placeholders import PLACEHOLDER_RE, fill
from kizuna.catalog.tracks import Registrants
from kizuna.catalog.i18n import N_, _
from kizuna.review.checks.engine import Hit, rule

_BREAK = r"(?:^|(?<=[\n。！？!?「」（）()、\s]))"
PROBLEMS = (
    (re.compile(_BREAK + r"(さん|ちゃん|くん|君|様|さま|殿)"), N_("\"{found}\" is left with no name before it")),
    (re.compile(r"(?:^|(?<=[\n。！？!?]))([、，,．。]|[のにへとがはを](?=[^\s]))"),
     N_("a sentence starts with \"{found}\"")),
    (re.compile(r"([、。，．,！？!?]{2})"), N_("the punctuation marks \"{found}\" come in a row")),
    (re.compile(r"(  |　　)"), N_("two spaces come in a row")),
)
#: the same for English texts: punctuation left with no word before it
ENGLISH_PROBLEMS = (re.compile(r"(?:^|(?<=[\n.!?]))\s*([,;:])"), re.compile(r"(\s[,.!?])"))


def missing_value_problems(source: str, registrants: Registrants) -> list[tuple[str, str]]:
    """``(field, problem)`` for each way ``source`` reads badly without the registrant values."""
    if "{{" not in source or not PLACEHOLDER_RE.search(source):
        return []
    out: list[tuple[str, str]] = []
    for m in dict.fromkeys(x.group(1) for x in PLACEHOLDER_RE.finditer(source)):
        values = {path: rule.missing if path == m else "x" for path, rule in registrants.fields.items()}
        text = fill(source, values)
        for pattern, what in PROBLEMS:
            found = pattern.search(text)
            if found:
                out.append((m, _(what).format(found=found.group(1))))
                break
        else:
            for pattern in ENGLISH_PROBLEMS:
                found = pattern.search(text)
                if found:
                    out.append((m, _("\"{found}\" is left without a word before it").format(
                        found=found.group(1).strip())))
                    break
    return out


@rule("registrant/missing-value", "ニックネームがないとき", level="error", scope="message",
      description="ニックネームなど登録者の項目がない読者に、文が不自然に届く（「さん、」で始まるなど）")
def missing_value(ctx: Any, opts: Mapping) -> Iterator[Hit]:
    entry = ctx.message.texts.get(ctx.locale)
    if entry is None:
        return
    registrants = getattr(ctx.ws.config, "registrants", None) or Registrants()
    source = entry.text  # the twins variant is checked as a text of its own (checks.variant_findings)
    for path, problem in missing_value_problems(source, registrants):
        missing = registrants.fields[path].missing
        yield Hit(_("For a reader without {field}, {problem} (the value when missing: \"{missing}\").").format(
                      field=f"{{{{ {path} }}}}", problem=problem, missing=missing),
                  max(source.find(path), 0), text=source,
                  suggestion=_("Write the text so it reads well without the name, or put the words for a "
                               "missing value in registrants.fields.{path}.missing in kizuna.yaml").format(path=path))
