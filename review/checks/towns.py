"""Town rules: what a town sends is in the reader's language, about services the town has, at
the right time for its own checkups and within the legal windows.

* ``town/locale-text`` — a town that sends in a locale other than the source, whose contacts,
  services or blocks used there have no value in that locale: the source text is sent (an
  English message with a Japanese sentence mid-text). One finding per town and locale, listing
  the fields and blocks (per-locale values: ``desk: {ja: ..., en: ...}`` in the town file);
* ``town/service-not-offered`` — a national text the town sends mentions a service the town
  marks as not offered (``parents_class: false``), e.g. 両親学級 or ファミリー・サポート・センター
  (the words of each service key are in ``review/data/services.yaml``; option ``terms`` adds
  more);
* ``coverage/checkup-months`` — a month of the town's ``checkup_months`` with no message (tagged
  with a milestone of option ``milestones`` or a topic of option ``topics``) and no town block
  naming a checkup (option ``words``) from a month before that month to its end
  (``B{m-1}m`` to before ``B{m+1}m``);
* ``coverage/legal-window`` — a milestone whose notice window starts after its legal window has
  ended, and a message tagged with a milestone that is sent after the legal window has ended
  (``milestones.yaml``: ``legal: {from: B0d, until: B1y}``).
"""
from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources
from typing import Any, Iterable, Iterator, Mapping

from kizuna.catalog import yamlio
from kizuna.catalog.errors import KizunaError
from kizuna.catalog.stages import Stage
from kizuna.catalog.towns import Town
from kizuna.catalog.i18n import _
from kizuna.review.checks.engine import Hit, rule
from kizuna.review.findings import stage_label
from kizuna.review.coverage import load_milestones

#: a character of Japanese script (kana or kanji): text an English reader cannot read
_JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff66-\uff9f]")
_FIELD = re.compile(r"town\.(contacts|services)\.([A-Za-z0-9_]+)")


def _locales(ctx: Any, town: Town) -> list[str]:
    source = ctx.ws.config.source_locale
    return [loc for loc in town.locales if loc != source and (ctx.locales is None or loc in ctx.locales)]


def _fields_used(texts: Iterable[str]) -> set[tuple[str, str]]:
    """``(section, key)`` of every ``town.contacts.*`` / ``town.services.*`` the texts print."""
    return {(m.group(1), m.group(2)) for text in texts if "{" in text for m in _FIELD.finditer(text)}


# --- town/locale-text -------------------------------------------------------------------------------

@rule("town/locale-text", "町の情報が読者の言語にない", level="warning", scope="workspace",
      description="町の連絡先・サービス・ブロックにその言語の値がなく、原文（日本語）のまま送る")
def locale_text(ctx: Any, opts: Mapping) -> Iterator[Hit]:
    config = ctx.ws.config
    source = config.source_locale
    texts_of: dict[Any, set[tuple[str, str]]] = {}
    for town in ctx.towns:
        path = ctx.ws.town_file(town.code)
        for locale in _locales(ctx, town):
            sending = (ctx.ws.sending_class(town), locale)
            own = texts_of.get(sending)
            if own is None:  # once per class of towns sending the same messages
                own = texts_of[sending] = _fields_used(m.texts[locale].text for m in ctx.ws.town_messages(town)
                                                   if locale in m.texts)
            blocks_used = [by[loc] for by in town.blocks.values()
                           for loc in [next((c for c in (*config.locale_chain(locale), source) if c in by), None)]
                           if loc is not None]
            fields = sorted((section, key) for section, key in own | _fields_used(blocks_used)
                            if key in getattr(town, section) and not town.has_locale_value(section, key, locale)
                            and _JAPANESE.search(getattr(town, section)[key]))
            chain = [loc for loc in config.locale_chain(locale) if loc != source]
            blocks = [str(stage) for stage, by in town.blocks.items() if not any(loc in by for loc in chain)]
            if not fields and not blocks:
                continue
            what = []
            if fields:
                what.append(_("the profile's {fields}").format(fields=", ".join(f"{s}.{k}" for s, k in fields)))
            if blocks:
                what.append(_("the blocks {stages}").format(stages=", ".join(blocks)))
            yield Hit(_("{town} ({locale}): {what} have no {locale} value; the source text ({source}) is sent.").format(
                          town=town.name, locale=locale, what=_("; ").join(what), source=source),
                      town=town.code, locale=locale, stage=blocks[0] if blocks and not fields else None, path=path,
                      suggestion=_("Write the {locale} values in towns/{code}.yaml (for example desk: {example}, "
                                   "and a block as {example})").format(
                                       locale=locale, code=town.code, example=f"{{{source}: ..., {locale}: ...}}"))


# --- town/service-not-offered -------------------------------------------------------------------------

@lru_cache(maxsize=1)
def service_terms() -> dict[str, tuple[str, ...]]:
    """The words that name each service key (``review/data/services.yaml``)."""
    source = resources.files("kizuna.review").joinpath("data", "services.yaml")
    data = yamlio.loads(source.read_text(encoding="utf-8"), "review/data/services.yaml")
    return {str(k): tuple(str(t) for t in v) for k, v in (data.get("services") or {}).items()}


def _validate_terms(opts: Mapping[str, Any]) -> None:
    terms = opts["terms"]
    if not isinstance(terms, Mapping) or not all(
            isinstance(v, list) and all(isinstance(t, str) and t for t in v) for v in terms.values()):
        raise KizunaError("must map a service key to a list of words, like {parents_class: [両親学級]}",
                          field="terms")


@rule("town/service-not-offered", "町にないサービスへの言及", level="warning", scope="workspace",
      options={"terms": {}}, validate=_validate_terms,
      description="町が行っていない（services で false にした）サービスを、町が送る全国メッセージが案内している")
def service_not_offered(ctx: Any, opts: Mapping) -> Iterator[Hit]:
    known = service_terms()
    extra = opts.get("terms") or {}
    for town in ctx.towns:
        if not town.not_offered:
            continue
        path = ctx.ws.town_file(town.code)
        for key in town.not_offered:
            words = (*known.get(key, ()), *extra.get(key, ()))
            if not words:
                continue
            for message in ctx.ws.town_messages(town):
                if message.town is not None:
                    continue  # the town's own text
                for locale in town.locales:
                    if ctx.locales is not None and locale not in ctx.locales:
                        continue
                    text = message.text(locale)
                    found = next((w for w in words if text and w.lower() in text.lower()), None)
                    if found is None:
                        continue
                    yield Hit(_("{town}: {id} ({locale}) tells about \"{words}\", but the town profile says it does "
                                "not offer services.{key} (false).").format(town=town.name, id=message.id,
                                                                            locale=locale, words=found, key=key),
                              town=town.code, locale=locale, message_id=message.id, stage=str(message.stage),
                              path=path, suggestion=_("Add {id} to suppress and write a town message "
                                                      "(local_messages) instead, or check the town's services").format(
                                                          id=message.id))


# --- coverage/checkup-months -------------------------------------------------------------------------

def checkup_window(month: int) -> tuple[Stage, Stage]:
    """From a month before the checkup month (``B{m-1}m``) to before the next (``B{m+1}m``)."""
    return Stage.after_birth(0, month - 1), Stage.after_birth(0, month + 1)


@rule("coverage/checkup-months", "町の乳幼児健診の案内の抜け", level="error", scope="workspace",
      options={"milestones": ["infant-checkup"], "topics": ["checkup"], "words": ["健診", "健康診査", "checkup"]},
      description="町の checkup_months の健診を、その月の前月からその月のうちに案内するメッセージも町のブロックもない")
def checkup_months(ctx: Any, opts: Mapping) -> Iterator[Hit]:
    tags, topics, words = set(opts["milestones"]), set(opts["topics"]), tuple(opts["words"])
    per_class: dict[Any, list[Any]] = {}
    covered: dict[tuple[Any, int], bool] = {}
    for town in ctx.towns:
        path = ctx.ws.town_file(town.code)
        sending = ctx.ws.sending_class(town)
        messages = per_class.get(sending)
        if messages is None:  # once per class of towns sending the same messages
            messages = per_class[sending] = [m for m in ctx.ws.town_messages(town) if m.stage.phase == "B" and (
                tags & set(m.milestones) or topics & set(m.topics))]
        blocks = [stage for stage, by in town.blocks.items()
                  if stage.phase == "B" and any(w in text for text in by.values() for w in words)]
        for month in town.checkup_months:
            start, before = checkup_window(month)
            if start >= town.end_age or any(start <= s < before for s in blocks):
                continue
            told = covered.get((sending, month))
            if told is None:  # once per class of towns and month
                told = covered[(sending, month)] = any(start <= m.stage < before for m in messages)
            if told:
                continue
            yield Hit(_("{town}: neither a message nor a town block tells about the {month}-month checkup "
                        "(checkup_months) from {start} to before {before}.").format(
                          town=town.name, month=month, start=stage_label(start), before=stage_label(before)),
                      town=town.code, stage=str(start), path=path,
                      suggestion=_("In a town block from {start}, give the date and place of the {month}-month "
                                   "checkup").format(start=stage_label(start), month=month))


# --- coverage/legal-window ----------------------------------------------------------------------------

@rule("coverage/legal-window", "法定期間のあとの案内", level="error", scope="workspace",
      description="milestones.yaml の案内の期間が法定期間より後にある、または節目のメッセージが法定期間のあとに届く")
def legal_window(ctx: Any, opts: Mapping) -> Iterator[Hit]:
    known = [m for m in load_milestones(ctx.ws.root) if m.legal is not None]
    if not known:
        return
    for milestone in known:
        legal = milestone.legal
        assert legal is not None
        if not legal.contains(milestone.start) and milestone.start > legal.start:
            yield Hit(_("milestones.yaml: the notice window of {milestone} ({window}) starts after its legal "
                        "period ({legal}) has ended.").format(milestone=milestone.name,
                                                              window=milestone.window_label, legal=legal.label),
                      path="milestones.yaml",
                      suggestion=_("Start the notice window (window) before the legal period ends"))
    seen: dict[str, Any] = {}
    classes: set[Any] = set()
    for town in ctx.towns:
        sending = ctx.ws.sending_class(town)
        if sending in classes:
            continue  # a town of a class already seen sends the same messages
        classes.add(sending)
        for m in ctx.ws.town_messages(town):
            seen.setdefault(m.id, m)
    for message in seen.values():
        for milestone in known:
            legal = milestone.legal
            assert legal is not None
            if milestone.id in message.milestones and message.stage > legal.start and not legal.contains(message.stage):
                yield Hit(_("{id} ({stage}) arrives after the legal period of {milestone} ({legal}) has "
                            "ended.").format(id=message.id, stage=stage_label(message.stage),
                                             milestone=milestone.name, legal=legal.label),
                          message_id=message.id, town=message.town, stage=str(message.stage),
                          suggestion=_("Move it to a stage within the legal period ({legal})").format(
                              legal=legal.label))

