"""Safety language: what a supervising clinician requires of safety and mental-health messages.

The workspace marks topics (a message's ``topics``) in a data file, ``safety.yaml``, merged over
the built-in ``review/data/safety.yaml`` (lists are added to the built-in ones)::

    critical_topics: [safety, safe-sleep]        # 安全が最優先の話題
    mental_health_topics: [mental-health]
    allowed_words: {ja: [/命に(関わ|かかわ)/, /死に至/]}
    red_flag_conditions: {ja: [/(たら|ときは|場合は)/]}
    soft_advice: {ja: [/相談でき/, /様子を見/]}
    urgent_actions: {ja: [/すぐ(に)?/, /119/, 当日, 中毒110番]}
    crisis_contacts: {ja: [いのちの電話, '/[0-9]{2,5}-[0-9]{2,4}-[0-9]{3,4}/']}

Three things follow from it:

* ``tone/wordlist`` does not flag ``allowed_words`` in a message of a critical topic: 「命に関わる」
  is what a safety message must say (see :mod:`review.checks.wordlists`);
* ``safety/red-flag-advice``: in a message of a critical topic, a sentence that names a danger
  sign (a condition: 〜たら, 〜ときは, 〜場合は) and answers it only with soft advice
  (「相談できます」「様子を見ましょう」) and no urgent action (すぐに受診, 119, 当日中に) is a
  finding: the reader must learn what to do and when;
* ``safety/crisis-contact``: a message of a mental-health topic must carry a crisis contact —
  a telephone number, a national line (いのちの電話, よりそいホットライン), or the town's phone
  field (``{{ town.contacts.phone }}``).

The workspace's file is ``safety.yaml`` at its root (one place, read by all three rules); a
broken file is an error naming the file and the field.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterator, Mapping

from kizuna.catalog import yamlio
from kizuna.catalog.errors import WorkspaceError
from kizuna.catalog.i18n import _
from kizuna.review.checks.engine import Hit, MessageContext, rule
from kizuna.review.checks.text import TextDoc
from kizuna.review.checks.wordlists import builtin_path, compile_pattern

FILE_NAME = "safety.yaml"
TOPIC_KEYS = ("critical_topics", "mental_health_topics")
PATTERN_KEYS = ("allowed_words", "red_flag_conditions", "soft_advice", "urgent_actions", "crisis_contacts")


@dataclass(frozen=True)
class SafetyData:
    """The merged safety settings: topic ids, and patterns per language."""

    critical_topics: frozenset[str]
    mental_health_topics: frozenset[str]
    patterns: Mapping[str, Mapping[str, tuple[re.Pattern[str], ...]]]

    def words(self, key: str, lang: str) -> tuple[re.Pattern[str], ...]:
        return self.patterns.get(key, {}).get(lang, ())

    def any(self, key: str, lang: str, text: str) -> bool:
        return any(p.search(text) for p in self.words(key, lang))

    def is_critical(self, topics: Any) -> bool:
        return bool(self.critical_topics & set(topics or ()))

    def is_mental_health(self, topics: Any) -> bool:
        return bool(self.mental_health_topics & set(topics or ()))


def _parse(data: Any, path: Path) -> dict[str, Any]:
    """One safety file as plain data (topic sets, pattern lists per language), validated."""
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise WorkspaceError("a safety file is a mapping (critical_topics, mental_health_topics, ...)", path=path)
    unknown = set(data) - set(TOPIC_KEYS) - set(PATTERN_KEYS)
    if unknown:
        raise WorkspaceError(f"unknown key(s) {', '.join(sorted(map(str, unknown)))}; known: "
                             f"{', '.join(TOPIC_KEYS + PATTERN_KEYS)}", path=path)
    out: dict[str, Any] = {}
    for key in TOPIC_KEYS:
        value = data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise WorkspaceError("must be a list of topic ids, like [safety]", path=path, field=key)
        out[key] = set(value)
    for key in PATTERN_KEYS:
        value = data.get(key, {})
        if not isinstance(value, Mapping):
            raise WorkspaceError("must be a mapping of language to a list of words, like {ja: [すぐに受診]}",
                                 path=path, field=key)
        out[key] = {}
        for lang, words in value.items():
            where = f"{key}.{lang}"
            if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
                raise WorkspaceError("must be a list of words (/.../ for a regular expression)",
                                     path=path, field=where)
            out[key][str(lang)] = [compile_pattern(w, where=where, path=path) for w in words]
    return out


@lru_cache(maxsize=32)
def _load_at(path: Path, mtime: float) -> dict[str, Any]:
    return _parse(yamlio.read(path), path)


def _load(path: Path) -> dict[str, Any]:
    """One safety file, read again only when its mtime changes."""
    return _load_at(path, path.stat().st_mtime)


def safety_files(root: Any) -> list[Path]:
    """The built-in file, then the workspace's ``safety.yaml`` when it has one."""
    files = [builtin_path(FILE_NAME)]
    if root is not None and (Path(root) / FILE_NAME).is_file():
        files.append(Path(root) / FILE_NAME)
    return files


def merge(parts: list[dict[str, Any]]) -> SafetyData:
    topics: dict[str, set[str]] = {k: set() for k in TOPIC_KEYS}
    patterns: dict[str, dict[str, list[re.Pattern[str]]]] = {k: {} for k in PATTERN_KEYS}
    for part in parts:
        for key in TOPIC_KEYS:
            topics[key] |= part[key]
        for key in PATTERN_KEYS:
            for lang, words in part[key].items():
                patterns[key].setdefault(lang, []).extend(words)
    return SafetyData(frozenset(topics["critical_topics"]), frozenset(topics["mental_health_topics"]),
                      {k: {lang: tuple(ws) for lang, ws in v.items()} for k, v in patterns.items()})


def safety_data(root: Any, cache: dict[Any, Any] | None = None) -> SafetyData:
    """The merged safety settings of a workspace (built-in when ``root`` is ``None``), looked
    up once per check run."""
    key = ("safety", root)
    if cache is not None and key in cache:
        return cache[key]
    data = merge([_load(p) for p in safety_files(root)])
    if cache is not None:
        cache[key] = data
    return data


def for_doc(doc: TextDoc) -> SafetyData:
    return safety_data(doc.root, doc.cache)


def allowed_in(doc: TextDoc, text: str) -> bool:
    """Whether ``text`` (a word-list match) is a safety word allowed in this text: the text
    belongs to a message of a critical topic and the word is in ``allowed_words``."""
    topics = getattr(doc, "topics", ())
    if not topics:
        return False
    data = for_doc(doc)
    return data.is_critical(topics) and data.any("allowed_words", doc.lang, text)


@rule("safety/red-flag-advice", "危険のサインへの助言", level="warning", scope="message",
      description="安全が最優先の話題で、危険のサイン（〜たら・〜ときは）に「相談できます」だけで答え、"
                  "何を・いつするか（すぐに受診、119番）を伝えていない文")
def red_flag_advice(ctx: MessageContext, opts: Mapping) -> Iterator[Hit]:
    doc = ctx.doc
    data = for_doc(doc)
    if not data.is_critical(ctx.message.topics):
        return
    for sentence in doc.sentences:
        text = doc.text_of(sentence.start, sentence.end)
        if not (data.any("red_flag_conditions", doc.lang, text) and data.any("soft_advice", doc.lang, text)):
            continue
        if data.any("urgent_actions", doc.lang, text):
            continue
        soft = next(m for p in data.words("soft_advice", doc.lang) if (m := p.search(text)))
        start, end = sentence.start + soft.start(), sentence.start + soft.end()
        message = _("\"{words}\": for a danger sign, say what to do and when "
                    "(see a doctor at once, call 119, go the same day).").format(words=soft.group())
        # the suggestion is a wording for the text, in the text's language
        suggestion = "すぐに受診してください" if doc.is_japanese else "see a doctor at once"
        src_start, src_end = doc.source_span(start, end)
        yield Hit(message, src_start, src_end, suggestion=suggestion, text=doc.source)


@rule("safety/crisis-contact", "こころの健康の緊急連絡先", level="warning", scope="message",
      description="こころの健康の話題のメッセージに、緊急時の相談先（電話番号、いのちの電話などの窓口、"
                  "町の電話番号のフィールド）がない")
def crisis_contact(ctx: MessageContext, opts: Mapping) -> Iterator[Hit]:
    doc = ctx.doc
    data = for_doc(doc)
    if not data.is_mental_health(ctx.message.topics):
        return
    if data.any("crisis_contacts", doc.lang, doc.source):
        return
    yield Hit(_("A mental-health message needs a contact to talk to at once in hard times: a phone number, "
                "a national line (こころの健康相談統一ダイヤル 0570-064-556), or the town's phone field "
                "({field}).").format(field="{{ town.contacts.phone }}"))
