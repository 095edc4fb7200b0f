"""Precision and recall of the easy/* (やさしい日本語) rules on the labelled set
``tests/review/data/easy_labelled.yaml`` (``items`` and the held-out ``holdout``), per rule and
in all, and how many easy/* findings the bundled sample's ja-easy and ja texts get.

    .venv/bin/python benchmarks/easy_precision.py
"""
from __future__ import annotations

import collections
from dataclasses import replace
from pathlib import Path

from kizuna.catalog import yamlio
from kizuna.catalog.workspace import load_workspace
from kizuna.review.checks import check_text, config_for

ROOT = Path(__file__).resolve().parent.parent
LABELLED = ROOT / "tests" / "review" / "data" / "easy_labelled.yaml"


def score(items: list[dict]) -> None:
    tp: collections.Counter[str] = collections.Counter()
    fp: collections.Counter[str] = collections.Counter()
    fn: collections.Counter[str] = collections.Counter()
    for item in items:
        got = {f.rule for f in check_text(item["text"], "ja-easy") if f.rule.startswith("easy/")}
        want = set(item["expect"])
        tp.update(got & want)
        fp.update(got - want)
        fn.update(want - got)
    for rule_id in sorted(set(tp) | set(fp) | set(fn)):
        t, f, n = tp[rule_id], fp[rule_id], fn[rule_id]
        print(f"  {rule_id:26} tp {t:3} fp {f:2} fn {n:2}  precision {t / max(t + f, 1):.3f}  recall {t / max(t + n, 1):.3f}")
    t, f, n = sum(tp.values()), sum(fp.values()), sum(fn.values())
    print(f"  {'all':26} tp {t:3} fp {f:2} fn {n:2}  precision {t / max(t + f, 1):.3f}  recall {t / max(t + n, 1):.3f}")


def sample_counts() -> None:
    ws = load_workspace(ROOT / "kizuna" / "sample")
    for locale in ("ja-easy", "ja"):
        cfg = replace(config_for(ws), plain_locales=frozenset({locale}))
        counts: collections.Counter[str] = collections.Counter()
        texts = 0
        for message in ws.messages.values():
            text = message.text(locale)
            if text:
                texts += 1
                counts.update(f.rule for f in check_text(text, locale, config=cfg) if f.rule.startswith("easy/"))
        print(f"  sample {locale} ({texts} texts, held to easy/*): {dict(sorted(counts.items())) or 'no findings'}")


def main() -> None:
    data = yamlio.read(LABELLED)
    for key in ("items", "holdout"):
        faulty = sum(1 for i in data[key] if i["expect"])
        print(f"{key}: {len(data[key])} texts ({faulty} faulty, {len(data[key]) - faulty} clean)")
        score(data[key])
    sample_counts()


if __name__ == "__main__":
    main()
