"""Coverage rules: every slot of every town's calendar has exactly one message, and the dated
milestones are met (the data and the frame are in :mod:`review.coverage`).

* ``coverage/gap`` — slots with no message, one finding per run of consecutive empty slots;
  a slot emptied by the town's own suppression of a national message says so;
* ``coverage/collision`` — a slot with more than one message;
* ``coverage/fallback`` — slots a town fills in a fallback locale (``fallbacks:`` in
  kizuna.yaml) because the message has no text in the town's locale that may ship (none yet,
  not signed off, or made from another source text; :mod:`review.selection`): one finding
  per run, naming the reason;
* ``coverage/off-cadence`` — a message the town sends whose stage is not on its cadence (it is
  delivered on a day outside the town's rhythm, maybe next to another message);
* ``coverage/milestone`` — a milestone of ``milestones.yaml`` with no tagged message inside its
  window for a town and locale; a message tagged with an unknown milestone id.
"""
from __future__ import annotations

from typing import Any, Iterator, Mapping

from kizuna.review.checks.engine import Hit, rule
from kizuna.review.selection import REASONS_JA
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


def _span(run: tuple[Slot, ...]) -> str:
    first, last = run[0].stage, run[-1].stage
    return first.label_ja if first == last else f"{first.label_ja}〜{last.label_ja}"


@rule("coverage/gap", "配信日の抜け", level="error", scope="workspace",
      description="町の配信日に送るメッセージがない（全国メッセージを止めて代わりがない日も含む）")
def gaps(ctx: Any, opts: Mapping) -> Iterator[Hit]:
    memo = _memo(ctx)
    for town, path, locale, cal in _calendars(ctx):
        key = ("gap-lines", id(cal))
        if key not in memo:
            memo[key] = (cal, [(f"（{locale}）: {_span(run)}の{len(run)}回分の配信日に送るメッセージがありません。",
                                str(run[0].stage)) for run in cal.gap_runs])
        for said, stage in memo[key][1]:
            yield Hit(town.name + said, town=town.code, locale=locale, stage=stage, path=path,
                      suggestion="この時期のメッセージを書くか、町の配信間隔（policy）を見直しましょう")
        for slot in cal.suppressed:
            if slot.suppressed:
                yield Hit(f"{town.name}（{locale}）: {slot.stage.label_ja}の全国メッセージ "
                          f"{', '.join(slot.suppressed)} を止めていますが、代わりの町のメッセージがありません。",
                          town=town.code, locale=locale, stage=str(slot.stage), path=path,
                          suggestion="local_messages に同じ時期の町のメッセージを書きましょう")


@rule("coverage/collision", "配信日の重なり", level="error", scope="workspace",
      description="町の同じ配信日に二つ以上のメッセージがある")
def collisions(ctx: Any, opts: Mapping) -> Iterator[Hit]:
    for town, path, locale, cal in _calendars(ctx):
        for slot in cal.collisions:
            if slot.message_ids:
                yield Hit(f"{town.name}（{locale}）: {slot.stage.label_ja}に{len(slot.message_ids)}件の"
                          f"メッセージがあります（{', '.join(slot.message_ids)}）。",
                          town=town.code, locale=locale, stage=str(slot.stage), path=path,
                          suggestion="一つにまとめるか、別の配信日に移しましょう")


@rule("coverage/fallback", "翻訳がなく代わりの言語で送る日", level="info", scope="workspace",
      description="町の言語の本文がまだなく、fallbacks で決めた言語の本文を送る配信日")
def fallbacks(ctx: Any, opts: Mapping) -> Iterator[Hit]:
    memo = _memo(ctx)
    for town, path, locale, cal in _calendars(ctx):
        key = ("fallback-lines", id(cal))
        if key not in memo:  # what the findings say, once per calendar class (not per town)
            used = "/".join(ctx.ws.config.locale_chain(locale)[1:])
            lines = []
            for run in cal.fallback_runs:
                # a translation that exists but may not ship is named, always; untranslated ones up to 3
                held = [f"{mid}: {REASONS_JA.get(why, why)}" for s in run for mid, why in s.reasons
                        if why != "untranslated"]
                missing = [mid for s in run for mid, why in s.reasons if why == "untranslated"]
                if missing:
                    held.append(f"{REASONS_JA['untranslated']}: {', '.join(missing[:3])}"
                                f"{' ほか' if len(missing) > 3 else ''}")
                suggestion = (f"{locale}の翻訳を追加しましょう" if not any(why != "untranslated" for s in run
                                                                      for _, why in s.reasons)
                              else f"{locale}の翻訳を追加し、翻訳と原文の承認を進めましょう")
                lines.append((f"（{locale}）: {_span(run)}の{len(run)}回分は{locale}の送れる本文がなく、"
                              f"{used}の本文を送ります（{'、'.join(held)}）。", str(run[0].stage), suggestion))
            memo[key] = (cal, lines)
        for said, stage, suggestion in memo[key][1]:
            yield Hit(town.name + said, town=town.code, locale=locale, stage=stage, path=path,
                      suggestion=suggestion)


@rule("coverage/off-cadence", "配信日にないメッセージ", level="warning", scope="workspace",
      description="メッセージの時期が町の配信日にないため、その町では送られない")
def not_on_cadence(ctx: Any, opts: Mapping) -> Iterator[Hit]:
    for town in ctx.towns:
        path = ctx.ws.town_file(town.code)
        for m in off_cadence(ctx.ws, town, _memo(ctx)):
            yield Hit(f"{town.name}: {m.id} の時期（{m.stage.label_ja}）は町の配信日（policy: {town.policy}）に"
                      "ありません。配信の間隔からはずれた日に届きます。", town=town.code, stage=str(m.stage),
                      message_id=m.id, path=path, suggestion="メッセージの stage を配信日に合わせましょう")


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
                yield Hit(f"{m.id} の milestones にある '{tag}' は milestones.yaml にありません。",
                          message_id=m.id, town=m.town,
                          suggestion=f"milestones.yaml の id（{', '.join(sorted(ids))}）から選びましょう")
    memo = _memo(ctx)
    for town in ctx.towns:
        path = ctx.ws.town_file(town.code)
        for locale in town_locales(town, ctx.locales):
            for milestone, tagged in milestone_misses(ctx.ws, town, locale, known, memo):
                where = "".join(f"、{m.id} は {m.stage.label_ja}" for m in tagged)
                yield Hit(f"{town.name}（{locale}）: {milestone.name}（{milestone.window_label}）を伝える"
                          f"メッセージが期間内にありません{where}。",
                          town=town.code, locale=locale, stage=str(milestone.start), path=path,
                          suggestion=f"{milestone.window_label}のメッセージに milestones: [{milestone.id}] を付けましょう")


def _sent_by_any(ctx: Any) -> list[Any]:
    """The messages some town in scope sends (national ones not suppressed by every town, and
    the towns' own), without listing each town's messages."""
    if not ctx.towns:
        return []
    everywhere = set.intersection(*(set(t.suppress) for t in ctx.towns))
    national = [m for m in ctx.ws.messages.values() if m.id not in everywhere]
    return national + [m for t in ctx.towns for m in t.local_messages]
