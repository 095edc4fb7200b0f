"""Rendering one town's catalog in one locale: what it sends, rendered and checked per channel.

Rules, in order:

1. the town's messages are the national ones minus its suppressions, plus its own local
   messages (:meth:`catalog.workspace.Workspace.town_messages`), in stage order;
2. a message at or after the town's end age is left out (``after_end_age``);
3. the text sent to readers of a locale is chosen by :func:`review.selection.select_text`
   (the rule coverage and preview use too): the message's text in that locale when it is
   exportable — signed off and, for a translation, made from the signed-off source text — or
   else the first exportable text of the workspace's ``fallbacks`` for it (``en: ja``): a
   translation not signed off never removes a message from a locale. ``text_locale`` of an
   entry says which was sent. With no text for the readers the message is left out
   (``untranslated``);
4. with no exportable text, the message is left out (``unapproved``) — unless
   ``include_unapproved``: then the first text of the chain is kept and marked
   (``approval.approved`` false, and 【未承認】 in front of every delivered text);
5. the town's block for a stage is appended (after a blank line) to the *first* kept message at
   that stage, so a parent never reads the same block twice on one day; a block with no kept
   message at its stage is not sent and is reported as a warning. The block's text is chosen
   like a message's (:func:`review.selection.select_block`: the locale, its fallbacks, then the
   source locale), and is signed off on its own; a block with no exportable text is not
   attached (``unapproved_block``) unless ``include_unapproved``, which attaches it and marks
   the entry. Templates see the town profile in the language the text is written in (a
   contact or service with a value for that locale; else the source-locale value), so a
   Japanese fallback text or block keeps Japanese contacts;
6. texts and blocks are rendered with the sandboxed, strict renderer of
   :mod:`catalog.templating` (a missing field is an error naming town, message and field). The
   town profile is handed to templates read-only (:func:`frozen`), so a template cannot change
   what the town's other messages read (``{{ town.contacts.update(...) }}`` is an error). A
   template that cannot be rendered is an error even when its text is left out — a message or
   block not signed off, a block with no message at its stage — so a broken town block is found
   when it is written, not on the day it is approved (nothing is written; exit 2);
7. each channel of the town gets its delivered text and facts (:mod:`exports.channels`); a text
   a channel cannot carry is an error naming town and message;
8. every track's messages and the dated ones are in the catalog, each entry with its track, the
   age it follows after a preterm birth, its dated window and its twins variant; town blocks
   attach to staged messages of the main track only. Registrant fields (``{{ reader.nickname }}``)
   stay placeholders (:mod:`exports.registrant`).
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from functools import lru_cache
from types import MappingProxyType
from typing import Any, Callable, Container, Iterable, NamedTuple, Sequence

from kizuna.catalog.hashing import content_hash
from kizuna.catalog.messages import Message
from kizuna.catalog.stages import Stage
from kizuna.catalog.templating import BLOCK_SEPARATOR, render_for_town, stage_context
from kizuna.catalog.towns import Town
from kizuna.catalog.tracks import MAIN, AgeRules, Registrants
from kizuna.exports.approval import ApprovalMap, block_key, lookup
from kizuna.exports.channels import channel_text
from kizuna.exports.errors import ChannelError
from kizuna.exports.model import Approval, ChannelText, Entry, TownCatalog, mark_unapproved, where
from kizuna.review.selection import Approved, Selection, select_block, select_text
from kizuna.exports.registrant import (PLACEHOLDER_CONTEXT, check_registrant_use, max_length_text,
                                      placeholders_in, to_backend, uses_registrant)
from kizuna.catalog.i18n import _


class Kept(NamedTuple):
    """A message the town sends in a locale: the locale its text is written in, its approval."""

    message: Message
    text_locale: str
    approval: Approval


@lru_cache(maxsize=4096)
def _stage_context(stage: Stage) -> dict[str, str]:
    return stage_context(stage)


@lru_cache(maxsize=65536)
def _content_hash(stage: Stage, locale: str, text: str) -> str:
    return content_hash(str(stage), locale, text)  # the same for every town: computed once


DEFAULT_AGE = AgeRules()


@lru_cache(maxsize=4096)
def age_basis(rules: AgeRules, topics: tuple[str, ...], phase: str) -> str:
    """The age an after-birth message with ``topics`` follows after a preterm birth (computed
    once per topic set); pregnancy messages follow the gestational age: ``chronological``."""
    return rules.basis(topics) if phase == "B" else "chronological"


def text_locale(message: Message, chain: Sequence[str]) -> str | None:
    """The first locale of ``chain`` (the locale, then its fallbacks) the message has a text in."""
    return next((loc for loc in chain if loc in message.texts), None)


def frozen(value: Any) -> Any:
    """A read-only copy of a template context: mappings become ``MappingProxyType``, lists
    tuples (Jinja2's sandbox lets a template call ``dict.update`` or ``list.append``)."""
    if isinstance(value, Mapping):
        return MappingProxyType({k: frozen(v) for k, v in value.items()})
    if isinstance(value, (list, tuple)):
        return tuple(frozen(v) for v in value)
    return value


def approved_in(approval_map: ApprovalMap) -> Approved:
    """``approved(key, locale)`` of :mod:`review.selection` over an export's approval map."""
    return lambda key, locale: lookup(approval_map, key, locale).approved


def shown_approval(approval_map: ApprovalMap, key: str, choice: Selection, written: str) -> Approval:
    """The approval of the text shown: its own, or — for a translation signed off whose source
    is not (a preview only) — the reason it does not ship, as its status."""
    approval = lookup(approval_map, key, written)
    gate = choice.gate(written)
    if approval.approved and gate is not None:
        return Approval(gate)
    return approval


#: a run's memo of :func:`select`'s per-message choice: ``(id(message), chain, source,
#: include_unapproved) -> (message, (reason left out or None, Kept or None))``. Valid for ONE
#: approval map: the export runner makes one per run (per worker), so a national message is
#: chosen once per locale chain rather than once per town.
SelectionMemo = dict


def choose(message: Message, chain: Sequence[str], source: str, approval_map: ApprovalMap,
           include_unapproved: bool) -> tuple[str | None, Kept | None]:
    """Whether ``message`` is sent to readers of ``chain[0]`` (``(None, kept)``) or why not
    (``("untranslated", None)``, ``("unapproved", held)``), its end age aside."""
    choice = select_text(message, chain, source, approved_in(approval_map))
    if choice.first is None:
        return "untranslated", None
    written = choice.shown(include_unapproved)
    if written is None:
        return "unapproved", Kept(message, choice.first,
                                  shown_approval(approval_map, message.id, choice, choice.first))
    return None, Kept(message, written, shown_approval(approval_map, message.id, choice, written))


def select(messages: Iterable[Message], town: Town, chain: Sequence[str], approval_map: ApprovalMap,
           include_unapproved: bool, held: list[Kept] | None = None,
           source_locale: str | None = None,
           memo: SelectionMemo | None = None) -> tuple[list[Kept], Counter[str]]:
    """The messages the town sends to readers of ``chain[0]``, and counts of the rest by reason;
    the messages left out only because they are not signed off are added to ``held``.
    ``source_locale`` (default: the last locale of ``chain``) is the locale translations are
    made from. ``memo`` (:data:`SelectionMemo`, for one ``approval_map``) shares the choice of a
    message between towns."""
    source = source_locale or chain[-1]
    chain = tuple(chain)
    end_age = town.end_age
    if memo is not None:  # the same messages (towns of one sending class): chosen once
        messages = list(messages)
        whole = ("select", tuple(map(id, messages)), chain, source, include_unapproved, end_age)
        found = memo.get(whole)
        if found is None:
            held_all: list[Kept] = []
            kept_all, counts = _select_each(messages, chain, source, end_age, approval_map, include_unapproved,
                                            held_all, memo)
            found = memo[whole] = (messages, kept_all, counts, held_all)  # the messages kept: their id()s stay
        if held is not None:
            held.extend(found[3])
        return list(found[1]), Counter(found[2])
    return _select_each(messages, chain, source, end_age, approval_map, include_unapproved, held, None)


def _select_each(messages: Iterable[Message], chain: tuple[str, ...], source: str, end_age: Stage,
                 approval_map: ApprovalMap, include_unapproved: bool, held: list[Kept] | None,
                 memo: SelectionMemo | None) -> tuple[list[Kept], Counter[str]]:
    """:func:`select`, message by message (``memo``: each message's choice)."""
    kept: list[Kept] = []
    left_out: Counter[str] = Counter()
    for message in messages:
        if memo is None:
            if message.stage.phase == "B" and message.stage >= end_age:
                why, k = "after_end_age", None
            else:
                why, k = choose(message, chain, source, approval_map, include_unapproved)
        else:
            key = (id(message), chain, source, include_unapproved, end_age)
            hit = memo.get(key)
            if hit is None:  # the message is kept in the value: its id() stays its own
                hit = memo[key] = (message, ("after_end_age", None)
                                   if message.stage.phase == "B" and message.stage >= end_age
                                   else choose(message, chain, source, approval_map, include_unapproved))
            why, k = hit[1]
        if why is None:
            kept.append(k)  # type: ignore[arg-type]
            continue
        left_out[why] += 1
        if k is not None and held is not None:
            held.append(k)
    return kept, left_out


def block_owners(kept: Iterable[Kept], town: Town) -> dict[str, Stage]:
    """Message id -> stage of the block it carries (the first kept message at each stage)."""
    owners: dict[str, Stage] = {}
    taken: set[Stage] = set()
    for k in kept:
        stage = k.message.stage
        if k.message.track != MAIN or k.message.dated is not None:
            continue
        if stage in town.blocks and stage not in taken:
            owners[k.message.id] = stage
            taken.add(stage)
    return owners


def unused_block_warnings(town: Town, locale: str, used: Iterable[Stage],
                          held: Iterable[Kept] = ()) -> tuple[str, ...]:
    """A warning per block that no sent message carries (``held``: the messages left out as not
    signed off, named when one is at the block's stage)."""
    waiting: dict[Stage, list[str]] = {}
    for k in held:
        waiting.setdefault(k.message.stage, []).append(k.message.id)
    out = []
    for s in sorted(set(town.blocks) - set(used)):
        why = (_("the message at that stage ({ids}) is not signed off").format(ids=', '.join(waiting[s])) if s in waiting
               else _("no message is sent at that stage"))
        out.append(_("town {code} ({locale}): the block for {stage} ({label}) is not sent: {why}").format(
            code=town.code, locale=locale, stage=s, label=s.label_ja, why=why))
    return tuple(out)


def located_block(town: Town, stage: Stage, chain: Sequence[str], source_locale: str,
                  approval_map: ApprovalMap, include_unapproved: bool = False) -> tuple[str, Approval, str] | None:
    """:func:`town_block` and the locale the block's text is written in."""
    by_locale = town.blocks.get(stage) or {}
    choice = select_block(town.code, stage, by_locale, chain, source_locale, approved_in(approval_map))
    written = choice.shown(include_unapproved) or choice.first
    if written is None:
        return None
    key = block_key(town.code, stage)
    return by_locale[written], shown_approval(approval_map, key, choice, written), written


def town_block(town: Town, stage: Stage, chain: Sequence[str], source_locale: str,
               approval_map: ApprovalMap, include_unapproved: bool = False) -> tuple[str, Approval] | None:
    """The town's block at ``stage`` for readers of ``chain[0]`` and its approval: the text that
    ships, or (nothing ships) the first text of the chain with an approval that is not
    approved; ``include_unapproved`` prefers the first text of the chain, as for messages."""
    found = located_block(town, stage, chain, source_locale, approval_map, include_unapproved)
    return None if found is None else (found[0], found[1])


def channel_texts(town: Town, delivered: str, place: Callable[[], str],
                  registrants: Registrants | None = None) -> dict[str, ChannelText]:
    """The delivered text per channel of the town; a channel error names the place. Registrant
    placeholders are written as the channel's merge tags (``registrants.merge_tags``), and the
    text must fit the channel with each placeholder at its longest (``registrants.fields``)."""
    if registrants is not None and "{{" in delivered and placeholders_in(delivered):
        return {ch: registrant_channel_text(ch, town, delivered, place, registrants) for ch in town.channels}
    try:
        return {ch: channel_text(ch, delivered, email_encoding=town.email_encoding) for ch in town.channels}
    except ChannelError as exc:
        raise ChannelError(exc.message, location=place()) from None


def registrant_channel_text(channel: str, town: Town, delivered: str, place: Callable[[], str],
                            registrants: Registrants) -> ChannelText:
    """One channel's text of a message carrying registrant placeholders."""
    lengths = {path: rule.max_length for path, rule in registrants.fields.items()}
    try:
        channel_text(channel, max_length_text(delivered, lengths), email_encoding=town.email_encoding)
    except ChannelError as exc:
        raise ChannelError(_("{message} (counting each registrant field at its longest, "
                           "registrants.fields in kizuna.yaml)").format(message=exc.message), location=place()) from None
    tagged = to_backend(delivered, registrants.merge_tags.get(channel, {}), backend=channel, where=place())
    try:
        return channel_text(channel, tagged, email_encoding=town.email_encoding)
    except ChannelError as exc:
        raise ChannelError(exc.message, location=place()) from None


def build_entry(kept: Kept, town: Town, locale: str, block: tuple[str, Approval] | None,
                town_context: Mapping[str, Any], block_context: Mapping[str, Any] | None = None,
                registrants: Registrants | None = None) -> Entry:
    """Render one message (and the block it carries) for one town and locale, with its
    per-channel texts. ``town_context`` is the town profile in the language of the message's
    text, ``block_context`` (default: the same) in the language of the block's."""
    message = kept.message
    entry_text = message.texts[kept.text_locale]
    source = entry_text.text
    block_text, block_approval = block if block else (None, None)
    context = {"town": town_context, "stage": _stage_context(message.stage), **PLACEHOLDER_CONTEXT}
    for template in (source, entry_text.multiples or ""):
        if uses_registrant(template):
            check_registrant_use(template, where(town.code, message.id, locale))
    if block_text is None and "{" not in source:
        text = source  # nothing to render: no template syntax, no block
    elif block_context is None or block_context is town_context or block_text is None:
        text = render_for_town(source, block_text, context, town=town.code, message=message.id,
                               locale=locale).full
    else:  # the block is written in another language than the text: each gets its own profile
        national = render_for_town(source, None, context, town=town.code, message=message.id,
                                   locale=locale).national
        rendered = render_for_town("", block_text, {**context, "town": block_context}, town=town.code,
                                   message=message.id, locale=locale).block
        text = national + (BLOCK_SEPARATOR + rendered if rendered else "")
    multiples = None
    if entry_text.multiples:
        multiples = render_for_town(entry_text.multiples, block_text, context, town=town.code,
                                    message=message.id, locale=locale).full
    approved = kept.approval.approved and (block_approval is None or block_approval.approved)
    channels = channel_texts(town, mark_unapproved(text, approved),
                             lambda: where(town.code, message.id, locale), registrants)
    if multiples is not None:
        channel_texts(town, multiples, lambda: where(town.code, message.id, locale) + ", multiples", registrants)
    return Entry(
        message_id=message.id, source="local" if message.town else "national",
        stage=message.stage, text=text, text_locale=kept.text_locale,
        has_block=block_text is not None,
        content_hash=_content_hash(message.stage, kept.text_locale, entry_text.reviewed_text),
        approval=kept.approval, block_approval=block_approval, channels=channels,
        track=message.track,
        basis=age_basis(registrants.age if registrants else DEFAULT_AGE, message.topics, message.stage.phase),
        gestation=message.gestation, dated=message.dated, multiples_text=multiples,
        placeholders=placeholders_in(text + (multiples or "")))


def check_unsent(held: Iterable[Kept], town: Town, locale: str, blocks: Iterable[tuple[Stage, str, str]],
                 town_context: Mapping[str, Any]) -> None:
    """Render what the catalog does not send — the messages in ``held`` (not signed off) and
    ``blocks`` (``(stage, block text, message id to name)``) — only to find template errors;
    the first raises ``TemplateError`` naming town, message and field."""
    for k in held:
        source = k.message.texts[k.text_locale].text
        if "{" in source:
            render_for_town(source, None, {"town": town_context, "stage": _stage_context(k.message.stage),
                                           **PLACEHOLDER_CONTEXT},
                            town=town.code, message=k.message.id, locale=locale)
    for stage, text, name in blocks:
        if "{" in text:
            render_for_town("", text, {"town": town_context, "stage": _stage_context(stage), **PLACEHOLDER_CONTEXT},
                            town=town.code, message=name, locale=locale)


def build_catalog(messages: Iterable[Message], town: Town, locale: str, approval_map: ApprovalMap,
                  *, include_unapproved: bool = False, source_locale: str = "ja",
                  fallbacks: Sequence[str] = (), registrants: Registrants | None = None,
                  memo: SelectionMemo | None = None) -> TownCatalog:
    """The :class:`TownCatalog` of ``town`` in ``locale`` (``messages``: the town's messages in
    stage order, as :meth:`Workspace.town_messages` gives them; ``fallbacks``: the locales
    whose text is sent when a message has none in ``locale``, in order)."""
    return catalog_parts(messages, town, locale, approval_map, include_unapproved=include_unapproved,
                         source_locale=source_locale, fallbacks=fallbacks, registrants=registrants,
                         memo=memo)[0]


def catalog_parts(messages: Iterable[Message], town: Town, locale: str, approval_map: ApprovalMap,
                  *, include_unapproved: bool = False, source_locale: str = "ja",
                  fallbacks: Sequence[str] = (), registrants: Registrants | None = None,
                  memo: SelectionMemo | None = None,
                  only: Container[Stage] | None = None) -> tuple[TownCatalog, list[str]]:
    """:func:`build_catalog`, and the ids of every message the catalog sends, in order. With
    ``only`` (stages), the catalog's entries are those of the messages at those stages (the
    others are not rendered), while its counts and warnings, and the ids, are those of the whole
    catalog: an incremental export renders again only the stages whose messages changed, the
    rest being as in the previous export of the same town (so only the templates at those
    stages are checked again)."""
    chain = (locale, *fallbacks)
    messages = list(messages)
    held: list[Kept] = []
    kept, left_out = select(messages, town, chain, approval_map, include_unapproved, held, source_locale, memo)
    owners = block_owners(kept, town)
    contexts: dict[str, Mapping[str, Any]] = {}

    def profile(written: str) -> Mapping[str, Any]:
        """The town profile as a text written in ``written`` sees it (per-locale contacts)."""
        if written not in contexts:
            contexts[written] = frozen(town.template_context(written, source_locale))
        return contexts[written]

    town_context = profile(locale)
    entries = []
    unsent_blocks: list[tuple[Stage, str, str]] = []
    for k in kept:
        block = None
        block_context = None
        if k.message.id in owners:
            found = located_block(town, owners[k.message.id], chain, source_locale, approval_map,
                                  include_unapproved)
            block = (found[0], found[1]) if found else None
            block_context = profile(found[2]) if found else None
            if block and not block[1].approved and not include_unapproved:
                left_out["unapproved_block"] += 1
                unsent_blocks.append((owners[k.message.id], block[0], k.message.id))
                block = None
        if only is None or k.message.stage in only:
            entries.append(build_entry(k, town, locale, block, profile(k.text_locale), block_context,
                                       registrants))
    unsent_stages = sorted(s for s in set(town.blocks) - set(owners.values()) if only is None or s in only)
    if unsent_stages:
        first_at: dict[Stage, str] = {}
        for m in messages:
            first_at.setdefault(m.stage, m.id)
        for stage in unsent_stages:
            found = town_block(town, stage, chain, source_locale, approval_map)
            if found:
                unsent_blocks.append((stage, found[0], first_at.get(stage, block_key(town.code, stage))))
    if only is not None:
        unsent_blocks = [b for b in unsent_blocks if b[0] in only]
        held_checked: list[Kept] = [k for k in held if k.message.stage in only]
    check_unsent(held if only is None else held_checked, town, locale, unsent_blocks, town_context)
    catalog = TownCatalog(town=town, locale=locale, entries=tuple(entries),
                          include_unapproved=include_unapproved, left_out=dict(sorted(left_out.items())),
                          warnings=unused_block_warnings(town, locale, owners.values(), held),
                          registrants=registrants or Registrants())
    return catalog, [k.message.id for k in kept]


def town_catalog(workspace: Any, town: Town, locale: str, approval_map: ApprovalMap, *,
                 include_unapproved: bool = False) -> TownCatalog:
    """:func:`build_catalog` for a town of a loaded workspace (its source locale and fallbacks)."""
    return build_catalog(workspace.town_messages(town), town, locale, approval_map,
                         include_unapproved=include_unapproved,
                         source_locale=workspace.config.source_locale,
                         fallbacks=workspace.config.locale_chain(locale)[1:],
                         registrants=workspace.config.registrants)
