"""Coverage rules: every slot of every town's calendar has exactly one message, and the dated
milestones are met (the data and the frame are in :mod:`review.coverage`).

* ``coverage/gap`` — slots with no message, one finding per run of consecutive empty slots;
  a slot emptied by the town's own suppression of a national message says so;
* ``coverage/collision`` — a slot with more than one message;
* ``coverage/fallback`` — slots a town fills in a fallback locale (``fallbacks:`` in
  kizuna.yaml) because the message has no text in the town's locale that may ship (none yet,
  not signed off, or made from another source text; :mod:`review.selection`): one finding
  per message, locale and reason, counting the towns and naming a few;
* ``coverage/off-cadence`` — a message the town sends whose stage is not on its cadence (it is
  delivered on a day outside the town's rhythm, maybe next to another message);
* ``coverage/milestone`` — a milestone of ``milestones.yaml`` with no tagged message inside its
  window for a town and locale; a message tagged with an unknown milestone id.
"""
from __future__ import annotations

from typing import Any, Iterator, Mapping

from kizuna.review.checks.engine import Hit, rule
from kizuna.catalog.i18n import N_, _, current_language, ngettext
from kizuna.review.findings import stage_label
from kizuna.review.selection import (NO_SOURCE, SOURCE_CHANGED, SOURCE_UNAPPROVED, UNAPPROVED,
                                     UNTRANSLATED)

#: why a candidate locale was passed over (translated when a finding says it)
REASONS = {
    UNTRANSLATED: N_("no translation"),
    UNAPPROVED: N_("not approved"),
    SOURCE_UNAPPROVED: N_("the source text is not approved"),
    SOURCE_CHANGED: N_("translated from another source text than the approved one (source_hash)"),
    NO_SOURCE: N_("no source text"),
}


#: how many towns a ``coverage/fallback`` finding names (it counts them all)
FALLBACK_TOWNS_NAMED = 3


def _reason(why: str) -> str:
    return _(REASONS[why]) if why in REASONS else why
from kizuna.review.coverage import (Calendar, Slot, calendar, load_milestones, milestone_misses, off_cadence,
                                    town_locales)


def _memo(ctx: Any) -> dict[Any, Any]:
    """The run's memo of calendars (one per class of towns, see :func:`review.coverage.calendar`)."""
    if ctx.scope is not None:
        return ctx.scope.memo
    memo = ctx.__dict__.get("_coverage_memo")
    if memo is None:
        memo = {}
        object.__setattr__(ctx, "_coverage_memo", memo)
    return memo


def _calendars(ctx: Any) -> Iterator[tuple[Any, str, str, Calendar]]:
    """``(town, town file, locale, calendar)`` for every town and locale checked."""
    memo = _memo(ctx)
    for town in ctx.towns:
        path = ctx.ws.town_file(town.code)
        for locale in town_locales(town, ctx.locales):
            yield town, path, locale, calendar(ctx.ws, town, locale, memo)


def _towns_named(towns: list[Any]) -> str:
    """A few of ``towns`` by name and how many more (the form of the aggregated findings)."""
    names = _(", ").join(t.name for t in towns[:FALLBACK_TOWNS_NAMED])
    if len(towns) > FALLBACK_TOWNS_NAMED:
        names += _(" and {count} more towns").format(count=len(towns) - FALLBACK_TOWNS_NAMED)
    return names


def _towns_counted(towns: list[Any]) -> str:
    """``12 towns (A, B, C and 9 more towns)``: who an aggregated finding is about."""
    return ngettext("{count} town ({towns})", "{count} towns ({towns})", len(towns)).format(
        count=len(towns), towns=_towns_named(towns))


def _by_class(ctx: Any) -> list[tuple[Calendar, list[Any]]]:
    """Each distinct calendar of the run (towns of one class share it) and the towns that have it,
    in the order the towns come."""
    found: dict[int, tuple[Calendar, list[Any]]] = {}
    for town, _path, _locale, cal in _calendars(ctx):
        found.setdefault(id(cal), (cal, []))[1].append(town)
    return list(found.values())


def _grouped(ctx: Any, kind: str) -> Iterator[tuple[tuple[Any, ...], list[Any]]]:
    """``kind`` (``gap``: runs of empty slots; ``collision``: slots with several messages) of
    every calendar, each with the towns that have it, sorted by town code: a gap of the national
    catalog is one finding, not one per town."""
    found: dict[tuple[Any, ...], list[Any]] = {}
    for cal, towns in _by_class(ctx):
        if kind == "gap":
            keys = [(cal.locale, run[0].stage, run[-1].stage, len(run)) for run in cal.gap_runs]
        else:
            keys = [(cal.locale, slot.stage, tuple(slot.message_ids)) for slot in cal.collisions if slot.message_ids]
        for key in keys:
            found.setdefault(key, []).extend(towns)
    for key, towns in found.items():
        yield key, sorted(towns, key=lambda t: t.code)


@rule("coverage/gap", "配信日の抜け", level="error", scope="workspace",
      description="町の配信日に送るメッセージがない（全国メッセージを止めて代わりがない日も含む）。"
                  "同じ抜けは町ごとではなく一つにまとめ、町の数を数える")
def gaps(ctx: Any, opts: Mapping) -> Iterator[Hit]:
    """One finding per run of empty sending days, locale and span, counting the towns that have
    it (a gap of the national catalog is in every town: one finding, not 1,741); with one town
    the finding names that town and its file. A slot the town emptied itself (suppression) is
    that town's own finding."""
    advice = _("Write a message for this time, or check the town's sending policy (policy)")  # once per run
    for (locale, first, last, count), towns in _grouped(ctx, "gap"):
        span = stage_label(first) if first == last else f"{stage_label(first)}〜{stage_label(last)}"
        said = _(" ({locale}): no message for {count} sending days at {span}.").format(
            locale=locale, count=count, span=span)
        one = towns[0] if len(towns) == 1 else None
        yield Hit((one.name if one is not None else _towns_counted(towns)) + said,
                  town=one.code if one is not None else None, locale=locale, stage=str(first),
                  path=ctx.ws.town_file(one.code) if one is not None else None, suggestion=advice)
    for town, path, locale, cal in _calendars(ctx):
        for slot in cal.suppressed:
            if slot.suppressed:
                yield Hit(_("{town} ({locale}): the national message {ids} at {stage} is stopped, and no town "
                            "message takes its place.").format(town=town.name, locale=locale,
                                                               ids=", ".join(slot.suppressed),
                                                               stage=stage_label(slot.stage)),
                          town=town.code, locale=locale, stage=str(slot.stage), path=path,
                          suggestion=_("Write a town message for the same time under local_messages"))


@rule("coverage/collision", "配信日の重なり", level="error", scope="workspace",
      description="町の同じ配信日に二つ以上のメッセージがある。同じ重なりは町ごとではなく一つにまとめ、町の数を数える")
def collisions(ctx: Any, opts: Mapping) -> Iterator[Hit]:
    """One finding per slot, locale and set of messages, counting the towns that have it; with one
    town the finding names that town and its file."""
    advice = _("Merge them into one, or move one to another sending day")
    for (locale, stage, ids), towns in _grouped(ctx, "collision"):
        one = towns[0] if len(towns) == 1 else None
        yield Hit(_("{town} ({locale}): {count} messages at {stage} ({ids}).").format(
                      town=one.name if one is not None else _towns_counted(towns), locale=locale, count=len(ids),
                      stage=stage_label(stage), ids=", ".join(ids)),
                  town=one.code if one is not None else None, locale=locale, stage=str(stage),
                  path=ctx.ws.town_file(one.code) if one is not None else None, suggestion=advice)


@rule("coverage/fallback", "翻訳がなく代わりの言語で送る日", level="info", scope="workspace",
      description="町の言語の本文がまだなく、fallbacks で決めた言語の本文を送るメッセージ（メッセージ・言語・理由ごとに町の数）")
def fallbacks(ctx: Any, opts: Mapping) -> Iterator[Hit]:
    """One finding per message, locale and reason (not per town: at national scale that was
    a hundred thousand lines), counting the towns that send the fallback text instead and
    naming a few; with one town in scope (``--town``) the finding names that town."""
    # (locale, message id, reason) -> [stage, towns]; towns of one calendar class share its slots
    found: dict[tuple[str, str, str], list[Any]] = {}
    for cal, towns in _by_class(ctx):
        for slot in cal.slots:
            for mid, why in slot.reasons:
                entry = found.setdefault((cal.locale, mid, why), [slot.stage, []])
                entry[1].extend(towns)
    local = {m.id: t for t in ctx.towns for m in t.local_messages}
    for (locale, mid, why), (stage, towns) in found.items():
        used = "/".join(ctx.ws.config.locale_chain(locale)[1:])
        towns = sorted(towns, key=lambda t: t.code)
        names = _towns_named(towns)
        suggestion = (_("Add the {locale} translation") if why == UNTRANSLATED
                      else _("Get the translation and its source approved")).format(locale=locale)
        only = towns[0].code if len(towns) == 1 else None
        owner = local.get(mid)
        yield Hit(ngettext("{id}: {why} ({locale}); the {used} text is sent instead in {count} town at {stage} "
                           "({towns}).",
                           "{id}: {why} ({locale}); the {used} text is sent instead in {count} towns at {stage} "
                           "({towns}).", len(towns)).format(id=mid, locale=locale, why=_reason(why), count=len(towns),
                                               used=used, stage=stage_label(stage), towns=names),
                  town=only or (owner.code if owner is not None else None), locale=locale, stage=str(stage),
                  message_id=mid, path=ctx.ws.town_file(owner.code) if owner is not None else None,
                  suggestion=suggestion)


@rule("coverage/off-cadence", "配信日にないメッセージ", level="warning", scope="workspace",
      description="メッセージの時期が町の配信日にないため、その町では送られない")
def not_on_cadence(ctx: Any, opts: Mapping) -> Iterator[Hit]:
    for town in ctx.towns:
        path = ctx.ws.town_file(town.code)
        for m in off_cadence(ctx.ws, town, _memo(ctx)):
            yield Hit(_("{town}: the stage of {id} ({stage}) is not a sending day of the town (policy: {policy}); "
                        "it arrives off the town's rhythm.").format(town=town.name, id=m.id,
                                                                   stage=stage_label(m.stage), policy=town.policy),
                      town=town.code, stage=str(m.stage), message_id=m.id, path=path,
                      suggestion=_("Move the message's stage to a sending day"))


@rule("coverage/milestone", "マイルストーンの抜け", level="error", scope="workspace",
      description="milestones.yaml の節目（出生届、健診、予防接種など）を期間内に伝えるメッセージがない")
def milestones(ctx: Any, opts: Mapping) -> Iterator[Hit]:
    known = load_milestones(ctx.ws.root)
    if not known:
        return
    ids = {m.id for m in known}
    for m in _sent_by_any(ctx):
        for tag in m.milestones:
            if tag not in ids:
                yield Hit(_("The milestones of {id} name '{tag}', which milestones.yaml does not have.").format(
                              id=m.id, tag=tag), message_id=m.id, town=m.town,
                          suggestion=_("Choose one of the ids in milestones.yaml ({ids})").format(
                              ids=", ".join(sorted(ids))))
    memo = _memo(ctx)
    for town in ctx.towns:
        path = ctx.ws.town_file(town.code)
        for locale in town_locales(town, ctx.locales):
            for milestone, tagged in milestone_misses(ctx.ws, town, locale, known, memo):
                where = "".join(_("; {id} is at {stage}").format(id=m.id, stage=stage_label(m.stage))
                                for m in tagged)
                yield Hit(_("{town} ({locale}): no message tells about {milestone} ({window}) in time{where}.").format(
                              town=town.name, locale=locale, milestone=milestone.name,
                              window=milestone.window_label, where=where),
                          town=town.code, locale=locale, stage=str(milestone.start), path=path,
                          suggestion=_("Add milestones: [{id}] to a message for {window}").format(
                              id=milestone.id, window=milestone.window_label))


def _sent_by_any(ctx: Any) -> list[Any]:
    """The messages some town in scope sends (national ones not suppressed by every town, and
    the towns' own), without listing each town's messages."""
    if not ctx.towns:
        return []
    everywhere = set.intersection(*(set(t.suppress) for t in ctx.towns))
    national = [m for m in ctx.ws.messages.values() if m.id not in everywhere]
    return national + [m for t in ctx.towns for m in t.local_messages]
