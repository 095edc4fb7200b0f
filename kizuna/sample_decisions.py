"""Generate the bundled sample's decisions log (``kizuna/sample/decisions.jsonl``).

The sample needs a realistic sign-off history: most items approved by the roles the sample's
policy requires, some stale (approved, then the text was edited or the message moved to another
stage), some with changes requested, some in review, some expired, some never reviewed. Real
logs are written one decision at a time; this script writes a plausible one in a single run,
through the same :func:`review.signoff.record_decision` (so every entry is checked and chained
exactly like a real one). For the stale items it records the approvals against an *earlier*
version of the text or stage, held in memory only; the message files are never touched.

Run it again whenever the sample's messages, towns, roster or policy change::

    .venv/bin/python -m kizuna.sample_decisions                 # kizuna/sample, today
    .venv/bin/python -m kizuna.sample_decisions --today 2026-11-27 --seed 7 --workspace DIR

A translation (a message's or a town block's text in another locale) is approved only after
its source: it gets decisions only when the source text ends approved and, for a message, the
translation's ``source_hash`` is the current source text's hash; its decisions come after the
source's last approval. Messages of a safety-critical topic (``review/data/safety.yaml`` and
the workspace's ``safety.yaml``) end approved in the source locale: a service does not start
without them, and the demo export shows them in every locale (their translations too, when
made from the current source). So the log never approves a translation whose source is unapproved or
changed since it was translated (those stay drafts until someone reviews them).

The output depends only on the workspace, ``--today`` and ``--seed``. Current approvals lie 20
to 200 days before ``--today`` (the expired ones 400 to 470), so with the yearly re-review
period the first of them expire about 165 days after generation, as they would in a real
service: regenerate the log before a demo that must show "most approved".
Messages of a track other than ``main`` (the bereavement and NICU tracks) and dated messages
were added after the first log; they are all approved — the bereavement track is reviewed
before it is sent — each with a random stream of its own, so adding them leaves every other
item's history as it was. An urgent notice is approved by the one role of ``review.urgent``
2 to 6 days before ``--today``, inside its short validity.
The log is replaced as a whole — the one place where kizuna ever rewrites a decisions log: it
is generated sample data, not a record of real decisions.

A translation (or a town block's translation) is approved only when its source text is: a
translation of a source still in review does not ship (:mod:`review.selection`), and a log that
approved it anyway would not be one a clinician signs.
"""
from __future__ import annotations

import argparse
import random
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Sequence

from kizuna.catalog.hashing import text_hash
from kizuna.catalog.messages import LocaleText
from kizuna.catalog.roster import Reviewer
from kizuna.catalog.stages import Stage
from kizuna.catalog.workspace import Workspace, load_workspace
from kizuna.review.checks.safety import SafetyData, safety_data
from kizuna.review.decisions import log_path
from kizuna.review.signoff import Item, all_items, counts, record_decision, status

JST = timezone(timedelta(hours=9))

#: share of source-locale items per scenario (translations and town items use their own mix)
SCENARIOS = (("approved", 66), ("stale_text", 9), ("stale_stage", 2), ("changes", 5), ("in_review", 8),
             ("expired", 4), ("draft", 6))
TRANSLATION_SCENARIOS = (("approved", 75), ("stale_text", 5), ("in_review", 5), ("draft", 15))
TOWN_SCENARIOS = (("approved", 80), ("stale_text", 8), ("draft", 12))

APPROVE_COMMENTS = {
    "editor": ("やさしい言い方で、読みやすいです。", "父親・パートナーが読んでも自然な書き方です。",
               "", ""),
    "town_editor": ("窓口名と電話番号を確認しました。", "今年度の日程に合わせてあります。", ""),
    "expert": ("専門的な内容を確認しました。", "最新の手引きの記載と一致しています。",
               "受診の目安がはっきりしていて良いと思います。", "", ""),
}
CHANGES_COMMENTS = {
    "editor": ("「〜しましょう」が続くので、語尾を変えてください。",
               "命令形に読める箇所があります。やわらかい表現にしてください。",
               "お母さんだけが世話をする前提に読めます。どちらの親にも届く書き方に。"),
    "town_editor": ("町ブロックの内容と重なるので、全国版と分担を確認してください。",),
    "expert": ("受診の目安を具体的に書いてください。", "数値の出典を notes に書き足してください。",
               "現在の手引きでは推奨が変わっています。最新の記載に合わせてください。"),
}
NOTE_COMMENTS = (
    "用語は母子健康手帳の表記に合わせました。", "次の改訂で、先輩パパの声を入れたいです。",
    "SMSでも2通に収まる長さです。", "アンケートで「長い」との声がありました。次回短くできそうです。",
)
#: messages with this topic (reader-survey invitations) are approved, from a random stream of their own
SURVEY_TOPIC = "survey"
SURVEY_SEED_OFFSET = 1300
ADDED_SENTENCE = "気になることは、健診のときに相談できます。"


@dataclass(frozen=True)
class Event:
    """One decision to record, possibly on an earlier version of the item."""

    at: datetime
    item: Item
    reviewer: str
    decision: str
    comment: str = ""
    text: str | None = None
    stage: Stage | None = None


def earlier_text(text: str) -> str:
    """A plausible earlier version: without its last sentence, or with one sentence more."""
    sentences = [s for s in text.split("。") if s.strip()]
    if len(sentences) >= 2 and text.rstrip().endswith("。"):
        return text[: text.rstrip().rstrip("。").rfind("。") + 1]
    return text.rstrip() + ADDED_SENTENCE


def earlier_stage(stage: Stage) -> Stage:
    """The stage the message was at before it moved (one week earlier in pregnancy, one day
    later after birth)."""
    if stage.phase == "P":
        return Stage("P", days=stage.days - 7 if stage.days >= 5 * 7 else stage.days + 7)
    return Stage.after_birth(stage.years, stage.months, stage.days + 1)


def pick(rng: random.Random, weighted: Sequence[tuple[str, int]]) -> str:
    return rng.choices([name for name, _ in weighted], [w for _, w in weighted])[0]


def signers(item: Item, reviewers: Sequence[Reviewer], rng: random.Random) -> list[Reviewer]:
    """Distinct reviewers filling the item's requirement (a town item: its own town's editor)."""
    chosen: list[Reviewer] = []
    for role, count in item.required.items():
        for _ in range(count):
            pool = [r for r in reviewers if role in r.roles and r not in chosen
                    and (role != "town_editor" or item.town in r.towns)]
            if pool:
                chosen.append(rng.choice(sorted(pool, key=lambda r: r.id)))
    return chosen


def comment_for(reviewer: Reviewer, pool: dict[str, tuple[str, ...]], rng: random.Random) -> str:
    """A comment fitting the reviewer's kind (editor, town editor, or expert)."""
    kind = next((r for r in ("editor", "town_editor") if reviewer.roles == (r,)), "expert")
    return rng.choice(pool[kind])


def moment(today: date, days_ago: float, rng: random.Random) -> datetime:
    day = today - timedelta(days=int(days_ago))
    return datetime.combine(day, time(9), tzinfo=JST) + timedelta(minutes=rng.randrange(0, 9 * 60))


def events_for(item: Item, scenario: str, people: list[Reviewer], today: date,
               rng: random.Random, after: datetime | None = None) -> list[Event]:
    """The decisions that make ``item`` end in ``scenario`` (all of them after ``after``, when
    given: a translation is reviewed after its source)."""
    if scenario == "draft" or not people:
        return []
    start = rng.uniform(400, 470) if scenario == "expired" else rng.uniform(20, 200)
    if after is not None:
        room = (datetime.combine(today, time(0), tzinfo=JST) - after).days - 2
        if room < 14:  # decisions lie up to 12 days before ``start``: keep them in the past
            return []
        start = rng.uniform(13, room)
    old_text = earlier_text(item.text) if scenario == "stale_text" else None
    old_stage = earlier_stage(item.stage) if scenario == "stale_stage" else None
    people = rng.sample(people, len(people))
    signing = people[:-1] if scenario in ("in_review", "changes") else people
    out = [Event(moment(today, start - rng.uniform(0, 12), rng), item, who.id, "approve",
                 comment_for(who, APPROVE_COMMENTS, rng), old_text, old_stage) for who in signing]
    if rng.random() < 0.15 or (scenario == "in_review" and not signing):
        out.append(Event(moment(today, start - 13, rng), item, rng.choice(people).id, "comment",
                         rng.choice(NOTE_COMMENTS), old_text, old_stage))
    later = max(1.0, start - rng.uniform(14, 60))
    if scenario == "changes":
        out.append(Event(moment(today, later, rng), item, people[-1].id, "changes",
                         comment_for(people[-1], CHANGES_COMMENTS, rng)))
    if scenario == "stale_text" and len(people) > 1 and rng.random() < 0.5:
        out.append(Event(moment(today, later, rng), item, people[0].id, "approve", "修正後の本文も確認しました。"))
    return out


def translation_ready(item: Item, source: Item | None, approved_at: dict[str, datetime]) -> bool:
    """A translation may be reviewed when its source ended approved and (for a message) the
    translation was made from the current source text."""
    if source is None or source.key not in approved_at:
        return False
    if item.message is None:
        return True
    recorded = item.message.texts[item.locale].source_hash
    return recorded is not None and recorded == text_hash(source.text)


def with_every_state(chosen: list[tuple[Item, str]], safety: SafetyData) -> list[tuple[Item, str]]:
    """The scenarios, with each kind of state present at least once (a rare one may not come
    up by chance): the first national, non-safety messages that drew ``approved`` take the
    missing ones."""
    present = {scenario for _, scenario in chosen}
    missing = [s for s, _ in SCENARIOS if s not in present]
    out = []
    for item, scenario in chosen:
        if missing and scenario == "approved" and item.message is not None and item.town is None \
                and not safety.is_critical(item.message.topics):
            scenario = missing.pop(0)
        out.append((item, scenario))
    return out


def recent_approval(item: Item, people: list[Reviewer], today: date, rng: random.Random) -> list[Event]:
    """An urgent notice's expedited approval, a few days before ``today``."""
    return [Event(moment(today, rng.uniform(2, 6), rng), item, who.id, "approve",
                  "緊急のお知らせとして、内容と対象を確認しました。") for who in people]


def plan(ws: Workspace, today: date, seed: int) -> list[Event]:
    """Every event of the sample log, in time order: sources first, then translations (see the
    module docstring)."""
    rng = random.Random(seed)
    reviewers = list(ws.reviewers.values())
    source_locale = ws.config.source_locale
    items = all_items(ws)
    events: list[Event] = []
    approved_at: dict[str, datetime] = {}
    safety = safety_data(ws.root)
    chosen: list[tuple[Item, str]] = []
    invitations: list[Item] = []
    for item in items.values():
        if item.message is not None and SURVEY_TOPIC in item.message.topics:
            invitations.append(item)  # planned apart, so adding them leaves every other item's history as it was
            continue
        message = item.message
        if message is not None and (message.track != "main" or message.dated is not None):
            # other tracks and dated messages: their own random stream, approved (urgent: expedited)
            own = random.Random(f"{seed}/{item.key}/{item.locale}")
            urgent = message.dated is not None and message.dated.kind == "urgent"
            events += recent_approval(item, signers(item, reviewers, own), today, own) if urgent else \
                events_for(item, "approved", signers(item, reviewers, own), today, own)
            continue
        if item.locale != source_locale:
            continue
        scenario = pick(rng, TOWN_SCENARIOS if item.town is not None else SCENARIOS)
        if scenario == "stale_text" and item.message is not None and item.town is not None:
            scenario = "approved"  # local messages live in town files: keep them simple
        if item.message is not None and safety.is_critical(item.message.topics):
            scenario = "approved"  # safety messages are signed off before a service starts
        chosen.append((item, scenario))
    chosen = with_every_state(chosen, safety)
    for item, scenario in chosen:
        found = events_for(item, scenario, signers(item, reviewers, rng), today, rng)
        approvals = [e.at for e in found if e.decision == "approve" and e.text is None and e.stage is None]
        if scenario == "approved" and approvals:
            approved_at[item.key] = max(approvals)
        events += found
    for item in items.values():
        if item.locale == source_locale or (item.message is not None and SURVEY_TOPIC in item.message.topics):
            continue
        scenario = pick(rng, TOWN_SCENARIOS if item.is_block else TRANSLATION_SCENARIOS)
        source = items.get((item.key, source_locale))
        if not translation_ready(item, source, approved_at):
            continue  # never approve a translation of an unapproved or changed source
        if scenario in ("stale_text", "expired", "stale_stage") or (
                item.message is not None and safety.is_critical(item.message.topics)):
            scenario = "approved"  # earlier versions would predate the source's approval
        events += events_for(item, scenario, signers(item, reviewers, rng), today, rng,
                             after=approved_at[item.key])
    survey_rng = random.Random(seed + SURVEY_SEED_OFFSET)
    for item in invitations:  # reader-survey invitations: approved, as the sample's report needs them sent
        events += events_for(item, "approved", signers(item, reviewers, survey_rng), today, survey_rng)
    return sorted(events, key=lambda e: (e.at, e.item.key, e.item.locale, e.reviewer))


def as_it_was(ws: Workspace, event: Event) -> None:
    """Put the earlier text or stage of the event's item into the in-memory workspace."""
    item = event.item
    if item.is_block:
        town = ws.towns[item.town]  # type: ignore[index]
        blocks = {**town.blocks, item.stage: {**town.blocks[item.stage], item.locale: event.text or item.text}}
        ws.towns[town.code] = replace(town, blocks=blocks)
        return
    message = ws.messages[item.key]
    texts = {**message.texts, item.locale: LocaleText(event.text or item.text, message.texts[item.locale].source_hash)}
    ws.messages[item.key] = replace(message, texts=texts, stage=event.stage or message.stage)


def generate(root: Path, *, today: date, seed: int = 7) -> dict[str, int]:
    """Replace ``root``'s decisions log with a generated one; returns the status counts."""
    ws = load_workspace(root)
    log_path(root).unlink(missing_ok=True)
    for event in plan(ws, today, seed):
        changed = event.text is not None or event.stage is not None
        saved = (dict(ws.messages), dict(ws.towns))
        if changed:
            as_it_was(ws, event)
        record_decision(ws, message_id=event.item.key, locale=event.item.locale, reviewer=event.reviewer,
                        decision=event.decision, comment=event.comment, now=event.at)
        if changed:
            ws.messages, ws.towns = saved
    return counts(status(load_workspace(root), now=datetime.combine(today, time(12), tzinfo=JST)))


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m kizuna.sample_decisions", description=__doc__.split("\n\n")[0])
    parser.add_argument("--workspace", type=Path, default=Path(__file__).with_name("sample"))
    parser.add_argument("--today", type=date.fromisoformat, default=date.today())
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    found = generate(args.workspace, today=args.today, seed=args.seed)
    print(f"{log_path(args.workspace)}: " + ", ".join(f"{state} {n}" for state, n in found.items()))


if __name__ == "__main__":
    main()
