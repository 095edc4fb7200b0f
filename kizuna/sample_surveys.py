"""Generate the bundled sample's SYNTHETIC survey responses (``kizuna/sample/surveys/synthetic/``).

No real reader wrote any of these rows. The file imitates what Google Forms exports for a
national form: a ``タイムスタンプ`` column (``2025/06/01 9:30:12``), one column per question
titled with its Japanese wording (numbered ``1. ``, one title edited as a town would), the four
prefilled fields titled as the form showed them, multiple choices joined with ``, ``, answers of
the English form in English, a free-text column, and a ``合成データ（synthetic）`` column that
marks every row as generated. Scores lean lower for long or off-time messages so the summaries
and the re-review queue have something to show; the small town gets few answers so small-cell
suppression shows too.

Run it again when the sample's questionnaire changes (the output depends only on ``--seed``)::

    .venv/bin/python -m kizuna.sample_surveys                  # kizuna/sample, seed 13
    .venv/bin/python -m kizuna.sample_surveys --workspace DIR --seed 13 --rows 480
"""
from __future__ import annotations

import argparse
import csv
import io
import random
from datetime import datetime, timedelta
from pathlib import Path
from typing import Sequence

from kizuna.catalog.workspace import Workspace, load_workspace
from kizuna.catalog.yamlio import write_atomic
from kizuna.surveys.model import SYSTEM_FIELDS, SYSTEM_LABELS, Question, load_surveys

OUT = Path("surveys") / "synthetic" / "responses-synthetic.csv"
MARK = "合成データ（synthetic）"
#: share of the responses per town (the small town gets few, to show suppression)
TOWN_WEIGHTS = {"202029": 45, "131121": 40, "473243": 11, "264652": 4}
#: a town's edit of a question title, as forms services keep it
EDITED = {"helpful": "メッセージは、妊娠中や子育ての役に立っていますか"}
COMMENTS = (
    "毎朝届くのが楽しみです。励まされました。", "夜泣きで眠れない時期に、同じような人がいると知って安心しました。",
    "メッセージが長くて、最後まで読めないことがあります。", "予防接種の日程がわかりやすかったです。",
    "離乳食の進め方をもう少し詳しく知りたいです。", "健診の案内が、受診のあとに届いたことがありました。時期が遅いと思います。",
    "夫も読んでいて、家族で話すきっかけになりました。", "産後ケアの窓口を知ることができて助かりました。",
    "言葉が難しいところがありました。", "つらい時期に、相談先が書いてあって心強かったです。",
    "授乳のことで不安でしたが、ミルクでもいいとわかって気持ちが楽になりました。", "特にありません。",
    "保育園の手続きのことも知りたいです。", "発達のことが気になっていたので、相談の窓口がわかってよかったです。",
)
WISHES = ("", "", "", "寝かしつけのコツを知りたい。", "保育園の情報がほしい。", "パパ向けの内容も増やしてほしい。",
          "夜泣きがつらいです。", "離乳食が進まず困っています。", "仕事復帰のことが不安です。")
EN_COMMENTS = ("The messages about checkups were very helpful.", "Some messages are long for me to read.",
               "I want more information about daycare.", "")
STAGES = (("P20w", 22), ("B4m7d", 34), ("B1y7d", 30), ("B1y6m", 14))
INVITATION_MESSAGES = {"B4m7d": "survey-b04m-invitation", "B1y7d": "survey-b1y-invitation"}
#: feedback links sent with a content message (kz-message), per invitation stage
FEEDBACK = {"B4m7d": ("b03m15d-parents-mood", "b04m-hand-regard"), "B1y7d": ("b11m15d-mr-varicella",)}


def header(question: Question, n: int) -> str:
    return f"{n}. {EDITED.get(question.id, question.wording('ja'))}"


def answer(question: Question, locale: str, mood: float, rng: random.Random) -> str:
    """One cell as the forms service writes it (labels in the form's locale)."""
    loc = locale if locale in ("ja", "en") else "ja"
    if question.type == "scale5":
        score = max(1, min(5, round(rng.gauss(3.6 + mood, 0.9))))
        return str(score)
    if question.type == "multiple":
        picked = [c for c in question.choices if rng.random() < 0.3]
        return ", ".join(c.text.get(loc, c.text["ja"]) for c in picked)
    if question.type in ("single", "screening"):
        weights = [max(0.05, 1.0 - 0.25 * i + (0.2 * i if mood < -0.5 else 0)) for i in range(len(question.choices))]
        choice = rng.choices(question.choices, weights)[0]
        return choice.text.get(loc, choice.text["ja"])
    if question.id == "comments":
        if rng.random() < 0.45:
            return ""
        return rng.choice(EN_COMMENTS) if loc == "en" else rng.choice(COMMENTS)
    return "" if loc == "en" else rng.choice(WISHES)


def rows(ws: Workspace, count: int, seed: int) -> list[list[str]]:
    surveys = load_surveys(ws)
    core = surveys.questionnaire(None).questions
    town_qs = [q for s in surveys.towns.values() for q in s.questions]
    questions = list(core) + town_qs
    head = ["タイムスタンプ"] + [header(q, i) for i, q in enumerate(questions, start=1)]
    head += [SYSTEM_LABELS[f] for f in SYSTEM_FIELDS] + [MARK]
    rng = random.Random(seed)
    towns = [c for c in TOWN_WEIGHTS if c in ws.towns]
    out = [head]
    start = datetime(2024, 5, 1, 8, 0)
    for i in range(count):
        town = rng.choices(towns, [TOWN_WEIGHTS[c] for c in towns])[0]
        locales = ws.towns[town].locales
        locale = rng.choices(list(locales), [90 if loc == "ja" else 6 for loc in locales])[0]
        stage = rng.choices([s for s, _ in STAGES], [w for _, w in STAGES])[0]
        year_two = i >= count * 0.45  # 2024年度, then 2025年度 (slightly better scores)
        moment = start + timedelta(days=365 * year_two + rng.randrange(0, 330), seconds=rng.randrange(0, 12 * 3600))
        mood = rng.gauss(0.15 if year_two else 0.0, 0.6) - (0.5 if town == "473243" else 0.0)
        cells = [f"{moment:%Y/%m/%d} {moment.hour}:{moment:%M:%S}"]
        for q in questions:
            cells.append(answer(q, locale, mood, rng) if q.town in (None, town) else "")
        message = INVITATION_MESSAGES.get(stage, "")
        if stage in FEEDBACK and rng.random() < 0.12:
            message = rng.choice(FEEDBACK[stage])
        cells += [town, stage, locale, message, "synthetic"]
        out.append(cells)
    return out


def generate(root: Path, *, count: int = 480, seed: int = 13) -> Path:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(rows(load_workspace(root), count, seed))
    path = Path(root) / OUT
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, buf.getvalue().encode("utf-8"))
    return path


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m kizuna.sample_surveys", description=__doc__.split("\n\n")[0])
    parser.add_argument("--workspace", type=Path, default=Path(__file__).with_name("sample"))
    parser.add_argument("--rows", type=int, default=480)
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args(argv)
    print(generate(args.workspace, count=args.rows, seed=args.seed))


if __name__ == "__main__":
    main()
