"""Messages: one national (or town-local) message with all its locales.

A message has an id, a stage, topics, the milestones it covers, a text per locale, notes, and
rule ignores with written reasons. Texts are kept normalised (NFC, ``\n`` line ends, no
trailing spaces; :func:`catalog.hashing.normalise_text`), which changes nothing a reader sees
and keeps every text a literal block in its file. A translation records ``source_hash``: the
:func:`~catalog.hashing.text_hash` of the source-locale text it was translated from, so a
changed source shows the translation as stale.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Mapping

from kizuna.catalog.fields import ID_RE, LOCALE_RE, Fields
from kizuna.catalog.hashing import content_hash, normalise_text, text_hash
from kizuna.catalog.stages import Stage

ID_HINT = "lowercase letters, digits and hyphens, like p12w-checkup"


@dataclass(frozen=True)
class LocaleText:
    text: str
    source_hash: str | None = None


@dataclass(frozen=True)
class RuleIgnore:
    """A check a message opts out of, with the written reason (kept and shown)."""

    rule: str
    reason: str
    locale: str | None = None


@dataclass(frozen=True)
class Message:
    id: str
    stage: Stage
    texts: Mapping[str, LocaleText]
    topics: tuple[str, ...] = ()
    milestones: tuple[str, ...] = ()
    notes: str = ""
    ignores: tuple[RuleIgnore, ...] = ()
    #: municipality code for a town's own local message; ``None`` for national messages
    town: str | None = field(default=None, compare=True)

    @property
    def locales(self) -> list[str]:
        return list(self.texts)

    def text(self, locale: str) -> str | None:
        entry = self.texts.get(locale)
        return entry.text if entry else None

    def content_hash(self, locale: str) -> str:
        """Hash of this locale's text and the stage (what an approval is bound to)."""
        return content_hash(str(self.stage), locale, self.texts[locale].text)

    def is_stale_translation(self, locale: str, source_locale: str) -> bool:
        """True when the source text changed since ``locale`` was translated from it."""
        if locale == source_locale or locale not in self.texts or source_locale not in self.texts:
            return False
        recorded = self.texts[locale].source_hash
        return recorded != text_hash(self.texts[source_locale].text)

    def with_text(self, locale: str, text: str, *, source_locale: str | None = None) -> "Message":
        """A copy with ``locale`` set to ``text``; a translation set through here records the
        current source hash (it was made from the current source)."""
        texts = dict(self.texts)
        source_hash = None
        if source_locale and locale != source_locale and source_locale in texts:
            source_hash = text_hash(texts[source_locale].text)
        elif locale in texts:
            source_hash = texts[locale].source_hash
        texts[locale] = LocaleText(normalise_text(text), source_hash)
        return replace(self, texts=texts)

    def ignored(self, rule: str, locale: str | None) -> RuleIgnore | None:
        for ig in self.ignores:
            if (ig.rule == rule or rule.startswith(ig.rule + "/")) and ig.locale in (None, locale):
                return ig
        return None


MESSAGE_FIELDS = {"id", "stage", "topics", "milestones", "texts", "notes", "ignore"}


def message_from_data(data: Any, path: str | Path, *, prefix: str = "",
                      town: str | None = None) -> Message:
    """Build a message from its YAML mapping; errors name the file and the field."""
    f = Fields(data, path, prefix)
    f.refuse_unknown(MESSAGE_FIELDS)
    msg_id = f.str("id", pattern=ID_RE, hint=ID_HINT)
    stage = f.stage("stage")
    raw_texts = f.mapping("texts")
    if not raw_texts:
        raise f.error("texts", "needs at least one locale with a text, e.g. texts: {ja: {text: ...}}")
    texts: dict[str, LocaleText] = {}
    for locale in raw_texts:
        if not isinstance(locale, str) or not LOCALE_RE.match(locale):
            raise f.error("texts", f"'{locale}' is not a locale code like ja, ja-easy or en")
        entry = f.sub("texts").sub(locale)
        entry.refuse_unknown({"text", "source_hash"})
        texts[locale] = LocaleText(normalise_text(entry.text("text")), entry.str("source_hash", "") or None)
    ignores = []
    raw_ignores = f.data.get("ignore") or []
    if not isinstance(raw_ignores, list):
        raise f.error("ignore", "must be a list of {rule, reason} entries")
    for i, raw in enumerate(raw_ignores):
        g = Fields(raw, path, f.name(f"ignore[{i}]"))
        g.refuse_unknown({"rule", "reason", "locale"})
        ignores.append(RuleIgnore(g.str("rule"), g.text("reason"), g.str("locale", "") or None))
    return Message(
        id=msg_id, stage=stage, texts=texts,
        topics=tuple(f.str_list("topics", pattern=ID_RE, hint=ID_HINT)),
        milestones=tuple(f.str_list("milestones", pattern=ID_RE, hint=ID_HINT)),
        notes=f.str("notes", ""), ignores=tuple(ignores), town=town,
    )


def message_to_data(message: Message) -> dict[str, Any]:
    """The YAML mapping of a message, keys in a fixed order (stable diffs)."""
    data: dict[str, Any] = {"id": message.id, "stage": str(message.stage)}
    if message.topics:
        data["topics"] = list(message.topics)
    if message.milestones:
        data["milestones"] = list(message.milestones)
    texts: dict[str, Any] = {}
    for locale, entry in message.texts.items():
        texts[locale] = {"text": entry.text}
        if entry.source_hash:
            texts[locale]["source_hash"] = entry.source_hash
    data["texts"] = texts
    if message.notes:
        data["notes"] = message.notes
    if message.ignores:
        data["ignore"] = [
            {"rule": ig.rule, **({"locale": ig.locale} if ig.locale else {}), "reason": ig.reason}
            for ig in message.ignores
        ]
    return data
