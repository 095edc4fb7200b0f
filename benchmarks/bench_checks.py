"""Benchmark: every check over a synthetic national-scale catalog.

Builds an in-memory workspace of ``--messages`` (default 5,000) messages, each in Japanese and
English (some English texts stale, some texts templated), on consecutive daily stages from
妊娠4週 onwards, and ``--towns`` (default 4) towns with LINE, SMS and ISO-2022-JP e-mail, local
blocks and a daily cadence to age 18 (one town on the reference cadence). Then runs
:func:`review.checks.run_checks` once and reports messages (message × locale) per second, the
findings by rule, and the peak resident memory of the process.

Run: ``.venv/bin/python benchmarks/bench_checks.py [--messages N] [--towns T]``. Target: the
whole check run under 10 s for 5,000 messages × 2 locales.
"""
from __future__ import annotations

import argparse
import random
import resource
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kizuna.catalog import yamlio  # noqa: E402
from kizuna.catalog.cadence import BUILTIN_POLICIES, policy_from_data  # noqa: E402
from kizuna.catalog.hashing import text_hash  # noqa: E402
from kizuna.catalog.messages import LocaleText, Message  # noqa: E402
from kizuna.catalog.stages import Stage  # noqa: E402
from kizuna.catalog.towns import Town  # noqa: E402
from kizuna.catalog.workspace import Config, Workspace  # noqa: E402
from kizuna.review.checks import run_checks  # noqa: E402

JA_OPENERS = ["今日で{label}です。", "{label}になりました。", "{label}のころのお話です。"]
JA_SENTENCES = [
    "赤ちゃんの{part}は少しずつ育っています。", "体調に合わせて、無理なく過ごしましょう。",
    "気になることがあれば、{{{{ town.contacts.desk }}}}に気軽に相談できます。",
    "{thing}は、できる範囲で少しずつ準備すると安心です。", "ご家族で{thing}について話してみませんか。",
    "眠れない日が続くときは、ひとりで抱えずに周りを頼ってください。",
    "{{{{ town.name }}}}では、{thing}の相談を電話でも受け付けています。",
    "水分をこまめにとり、ゆっくり休む時間をつくりましょう。", "{part}の変化には個人差があります。",
    "健診の日程は、母子健康手帳で確かめておくと安心です。",
]
EN_SENTENCES = [
    "Your baby's {part} keeps growing a little every day.", "Take things at your own pace today.",
    "If anything worries you, you can talk to {{{{ town.contacts.desk }}}}.",
    "Preparing {thing} a little at a time makes things easier.",
    "Try talking about {thing} together as a family.", "Drink water often and rest when you can.",
    "Every child develops at a different pace.",
]
PARTS = ["手足", "心臓", "耳", "目", "骨", "肺", "脳"]
THINGS = ["肌着", "ベビーカー", "産後の家事", "予防接種", "離乳食", "お風呂", "寝る場所"]
EN_PARTS = ["hands", "heart", "ears", "eyes", "bones", "lungs"]
EN_THINGS = ["baby clothes", "the pram", "housework after birth", "vaccinations", "first foods"]

DAILY = policy_from_data("national-daily", {
    "end_age": "18y",
    "segments": [{"from": "P4w", "to": "P41w6d", "every": "1d"},
                 {"from": "B0d", "until": "B18y", "every": "1d"}]})


def stages(n: int) -> list[Stage]:
    return DAILY.expand()[:n]


def message(i: int, stage: Stage, rng: random.Random) -> Message:
    ja = [rng.choice(JA_OPENERS).format(label=stage.label_ja)] + [
        rng.choice(JA_SENTENCES).format(part=rng.choice(PARTS), thing=rng.choice(THINGS))
        for _ in range(rng.randint(3, 5))]
    en = [rng.choice(EN_SENTENCES).format(part=rng.choice(EN_PARTS), thing=rng.choice(EN_THINGS))
          for _ in range(rng.randint(3, 5))]
    ja_text = ja[0] + "\n" + "".join(ja[1:])
    en_text = " ".join(en)
    stale = i % 50 == 0
    texts = {"ja": LocaleText(ja_text),
             "en": LocaleText(en_text, "0" * 16 if stale else text_hash(ja_text))}
    return Message(id=f"m{i:05d}-{str(stage).lower()}", stage=stage, texts=texts,
                   milestones=("birth-registration",) if str(stage) == "B3d" else ())


def town(code: str, name: str, prefecture: str, policy: str, rng: random.Random,
         slots: list[Stage]) -> Town:
    blocks = {s: {"ja": f"【{name}より】{{{{ town.contacts.desk }}}}（{{{{ town.contacts.phone }}}}）で"
                        "相談を受け付けています。①予約は不要です。"} for s in rng.sample(slots, 200)}
    return Town(code=code, name=name, prefecture=prefecture,
                contacts={"desk": "こども家庭センター", "phone": "000-0000-0000", "hours": "平日 9:00〜17:00",
                          "url": "https://example.jp/"},
                channels=("line", "sms", "email"), email_encoding="iso-2022-jp", locales=("ja", "en"),
                policy=policy, end_age=Stage.after_birth(18 if policy == "national-daily" else 3),
                blocks=blocks)


def build(root: Path, n_messages: int, n_towns: int, seed: int = 7) -> Workspace:
    rng = random.Random(seed)
    all_stages = stages(n_messages)
    messages = {m.id: m for m in (message(i, s, rng) for i, s in enumerate(all_stages))}
    places = [("011002", "札幌市", "北海道"), ("131121", "世田谷区", "東京都"), ("202029", "松本市", "長野県"),
              ("271004", "大阪市", "大阪府"), ("401307", "福岡市", "福岡県"), ("473243", "読谷村", "沖縄県")]
    towns = {}
    for k, (code, name, pref) in enumerate(places[:n_towns]):
        policy = "reference" if k == n_towns - 1 else "national-daily"
        towns[code] = town(code, name, pref, policy, rng, all_stages[:300])
    yamlio.write(root / "milestones.yaml", {"milestones": [
        {"id": "birth-registration", "name": "出生届", "window": {"from": "B0d", "to": "B13d"},
         "basis": "戸籍法49条", "as_of": "2025-04-01"},
        {"id": "checkup-1y6m", "name": "1歳6か月児健診", "window": {"from": "B1y5m", "to": "B1y11m"},
         "basis": "母子保健法12条", "as_of": "2025-04-01"}]})
    config = Config(title="bench", locales=("ja", "en"),
                    policies={**BUILTIN_POLICIES, "national-daily": DAILY})
    return Workspace(root, config, messages, towns, {})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--towns", type=int, default=4)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        ws = build(Path(tmp), args.messages, args.towns)
        t1 = time.perf_counter()
        findings = run_checks(ws)
        t2 = time.perf_counter()
    units = sum(len(m.texts) for m in ws.messages.values())
    elapsed = t2 - t1
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"catalog: {len(ws.messages)} messages × 2 locales = {units} texts, {len(ws.towns)} towns "
          f"(built in {t1 - t0:.2f} s)")
    print(f"checks:  {elapsed:.2f} s for everything — {units / elapsed:,.0f} message-locales/s, "
          f"{len(ws.messages) / elapsed:,.0f} messages/s")
    print(f"peak memory (max RSS): {peak_mb:.0f} MiB")
    print(f"findings: {len(findings)} — " + ", ".join(f"{r} {n}" for r, n in sorted(Counter(f.rule for f in findings).items())))
    print("target (< 10 s for 5,000 × 2): " + ("met" if elapsed < 10 or args.messages < 5000 else "MISSED"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
