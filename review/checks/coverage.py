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

from itertools import groupby
from typing import Any, Callable, Iterator, Mapping

from kizuna.review.checks.engine import Hit, rule
from kizuna.review.selection import REASONS_JA
from kizuna.review.coverage import (STATUS_COLLISION, STATUS_GAP, Slot, load_milestones, milestone_messages,
                             off_cadence, town_locales, town_slots)


def _town_path(ctx: Any, code: str) -> str:
    path = ctx.ws.town_path(code)
    try:
        return str(path.relative_to(ctx.ws.root))
    except ValueError:
        return str(path)


def _runs(slots: list[Slot], wanted: Callable[[Slot], bool]) -> Iterator[list[Slot]]:
    """Consecutive slots (in cadence order) for which ``wanted`` holds."""
    for hit, run in groupby(slots, key=wanted):
        if hit:
            yield list(run)


def _is_plain_gap(slot: Slot) -> bool:
    return slot.status == STATUS_GAP and not slot.suppressed


def _slots_by_locale(ctx: Any) -> Iterator[tuple[Any, str, str, list[Slot]]]:
    """``(town, town file, locale, slots in cadence order)`` for every town and locale checked."""
    for town in ctx.towns:
        path = _town_path(ctx, town.code)
        for locale, slots in groupby(town_slots(ctx.ws, town, ctx.locales), key=lambda s: s.locale):
            yield town, path, locale, list(slots)


def _span(run: list[Slot]) -> str:
    first, last = run[0].stage, run[-1].stage
    return first.label_ja if first == last else f"{first.label_ja}〜{last.label_ja}"


@rule("coverage/gap", "配信日の抜け", level="error", scope="workspace",
      description="町の配信日に送るメッセージがない（全国メッセージを止めて代わりがない日も含む）")
def gaps(ctx: Any, opts: Mapping) -> Iterator[Hit]:
    for town, path, locale, slots in _slots_by_locale(ctx):
        for run in _runs(slots, _is_plain_gap):
            yield Hit(f"{town.name}（{locale}）: {_span(run)}の{len(run)}回分の配信日に送るメッセージがありません。",
                      town=town.code, locale=locale, stage=str(run[0].stage), path=path,
                      suggestion="この時期のメッセージを書くか、町の配信間隔（policy）を見直しましょう")
        for slot in slots:
            if slot.suppressed:
                yield Hit(f"{town.name}（{locale}）: {slot.stage.label_ja}の全国メッセージ "
                          f"{', '.join(slot.suppressed)} を止めていますが、代わりの町のメッセージがありません。",
                          town=town.code, locale=locale, stage=str(slot.stage), path=path,
                          suggestion="local_messages に同じ時期の町のメッセージを書きましょう")


@rule("coverage/collision", "配信日の重なり", level="error", scope="workspace",
      description="町の同じ配信日に二つ以上のメッセージがある")
def collisions(ctx: Any, opts: Mapping) -> Iterator[Hit]:
    for town, path, locale, slots in _slots_by_locale(ctx):
        for slot in slots:
            if slot.status == STATUS_COLLISION:
                yield Hit(f"{town.name}（{locale}）: {slot.stage.label_ja}に{len(slot.message_ids)}件の"
                          f"メッセージがあります（{', '.join(slot.message_ids)}）。",
                          town=town.code, locale=locale, stage=str(slot.stage), path=path,
                          suggestion="一つにまとめるか、別の配信日に移しましょう")


@rule("coverage/fallback", "翻訳がなく代わりの言語で送る日", level="info", scope="workspace",
      description="町の言語の本文がまだなく、fallbacks で決めた言語の本文を送る配信日")
def fallbacks(ctx: Any, opts: Mapping) -> Iterator[Hit]:
    for town, path, locale, slots in _slots_by_locale(ctx):
        used = "/".join(ctx.ws.config.locale_chain(locale)[1:])
        for run in _runs(slots, lambda s: bool(s.fallback)):
            # a translation that exists but may not ship is named, always; untranslated ones up to 3
            held = [f"{mid}: {REASONS_JA.get(why, why)}" for s in run for mid, why in s.reasons if why != "untranslated"]
            missing = [mid for s in run for mid, why in s.reasons if why == "untranslated"]
            if missing:
                held.append(f"{REASONS_JA['untranslated']}: {', '.join(missing[:3])}{' ほか' if len(missing) > 3 else ''}")
            yield Hit(f"{town.name}（{locale}）: {_span(run)}の{len(run)}回分は{locale}の送れる本文がなく、"
                      f"{used}の本文を送ります（{'、'.join(held)}）。",
                      town=town.code, locale=locale, stage=str(run[0].stage), path=path,
                      suggestion=f"{locale}の翻訳を追加しましょう" if not any(
                          why != "untranslated" for s in run for _, why in s.reasons)
                      else f"{locale}の翻訳を追加し、翻訳と原文の承認を進めましょう")


@rule("coverage/off-cadence", "配信日にないメッセージ", level="warning", scope="workspace",
      description="メッセージの時期が町の配信日にないため、その町では送られない")
def not_on_cadence(ctx: Any, opts: Mapping) -> Iterator[Hit]:
    for town in ctx.towns:
        path = _town_path(ctx, town.code)
        for m in off_cadence(ctx.ws, town):
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
    sent = {m.id: m for town in ctx.towns for m in ctx.ws.town_messages(town)}
    for m in sent.values():
        for tag in m.milestones:
            if tag not in ids:
                yield Hit(f"{m.id} の milestones にある '{tag}' は milestones.yaml にありません。",
                          message_id=m.id, town=m.town,
                          suggestion=f"milestones.yaml の id（{', '.join(sorted(ids))}）から選びましょう")
    for town in ctx.towns:
        path = _town_path(ctx, town.code)
        sent = [m for m in ctx.ws.town_messages(town, track="main") if m.milestones]
        for milestone in known:
            if milestone.start.phase == "B" and milestone.start >= town.end_age:
                continue  # the window is past the town's end age
            for locale in town_locales(town, ctx.locales):
                tagged = milestone_messages(sent, milestone, locale, ctx.ws.config)
                if any(milestone.contains(m.stage) for m in tagged):
                    continue
                where = "".join(f"、{m.id} は {m.stage.label_ja}" for m in tagged)
                yield Hit(f"{town.name}（{locale}）: {milestone.name}（{milestone.window_label}）を伝える"
                          f"メッセージが期間内にありません{where}。",
                          town=town.code, locale=locale, stage=str(milestone.start), path=path,
                          suggestion=f"{milestone.window_label}のメッセージに milestones: [{milestone.id}] を付けましょう")
