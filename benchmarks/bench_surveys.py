"""Benchmark: import 100,000 survey responses across all 1,741 municipalities and build every
town's yearly report.

Run::

    .venv/bin/python benchmarks/bench_surveys.py                  # 100,000 responses, 1,741 towns
    .venv/bin/python benchmarks/bench_surveys.py --responses 20000 --towns 300

Set-up (not timed): a workspace in a temporary folder with the sample's messages, core
questionnaire and roster, and one town file per municipality of the official list (the sample
town 松本市 as the model, its own questions kept for 202029); a Google-Forms-shaped CSV of
synthetic responses (Japanese headers, the town's edited title, ``, ``-joined choices, free
text), seeded, towns weighted by a Zipf law so that many small towns fall under the
small-cell threshold as real ones do.

Timed (wall clock and this process's CPU time; on a shared machine the CPU time is the
steadier figure), each in this process:

* ``import``: :func:`kizuna.surveys.responses.import_responses` — read, map, validate every
  cell, pseudonymise and store (target: under 10 s);
* ``reports``: load the store, :func:`kizuna.surveys.report.prepare` (national figures,
  per-town groupings, free-text themes, linking answers to messages) and one HTML report per
  town (target: all under 2 minutes), reported with the ``prepare`` share.
"""
from __future__ import annotations

import argparse
import csv
import io
import random
import resource
import shutil
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from kizuna.catalog import yamlio  # noqa: E402
from kizuna.catalog.municipalities import municipalities  # noqa: E402
from kizuna.catalog.workspace import load_workspace  # noqa: E402
from kizuna.demo import sample_root  # noqa: E402
from kizuna.sample_surveys import MARK, STAGES, answer, header  # noqa: E402
from kizuna.surveys.model import SYSTEM_FIELDS, SYSTEM_LABELS, load_surveys  # noqa: E402
from kizuna.surveys.report import prepare, write_reports  # noqa: E402
from kizuna.surveys.responses import import_responses, load_responses  # noqa: E402


def build_workspace(root: Path, towns: int) -> list[str]:
    sample = sample_root()
    for name in ("kizuna.yaml", "roster.yaml", "messages", "surveys"):
        src = sample / name
        (shutil.copytree if src.is_dir() else shutil.copy)(src, root / name)
    shutil.rmtree(root / "surveys" / "synthetic")
    model = yamlio.read(sample / "towns" / "202029.yaml")
    (root / "towns").mkdir()
    chosen = [m for m in municipalities() if not m.is_prefecture][:towns]
    if "202029" not in {m.code for m in chosen}:
        chosen[-1] = next(m for m in municipalities() if m.code == "202029")
    for m in chosen:
        data = {**model, "code": m.code, "name": m.name, "prefecture": m.prefecture}
        yamlio.write(root / "towns" / f"{m.code}.yaml", data)
    # the roster's town editors name sample towns; keep only reviewers without towns
    roster = yamlio.read(root / "roster.yaml")
    codes = {m.code for m in chosen}
    roster["reviewers"] = [r for r in roster["reviewers"] if set(r.get("towns") or []) <= codes]
    yamlio.write(root / "roster.yaml", roster)
    return [m.code for m in chosen]


def write_responses(root: Path, codes: list[str], count: int, seed: int = 1) -> Path:
    ws = load_workspace(root)
    surveys = load_surveys(ws)
    questions = list(surveys.questionnaire(None).questions) + [q for s in surveys.towns.values() for q in s.questions]
    rng = random.Random(seed)
    weights = [1 / (rank + 1) ** 0.8 for rank in range(len(codes))]
    rng.shuffle(weights)
    buf = io.StringIO()
    out = csv.writer(buf, lineterminator="\r\n")
    out.writerow(["タイムスタンプ"] + [header(q, i) for i, q in enumerate(questions, 1)]
                 + [SYSTEM_LABELS[f] for f in SYSTEM_FIELDS] + [MARK])
    start = datetime(2024, 4, 1, 8)
    stages = [s for s, _ in STAGES]
    stage_w = [w for _, w in STAGES]
    towns = rng.choices(codes, weights, k=count)
    for i, town in enumerate(towns):
        moment = start + timedelta(days=365 * (i >= count * 0.4) + rng.randrange(0, 360), seconds=rng.randrange(43200))
        locale = "en" if rng.random() < 0.04 else "ja"
        mood = rng.gauss(0, 0.6)
        cells = [f"{moment:%Y/%m/%d} {moment.hour}:{moment:%M:%S}"]
        cells += [answer(q, locale, mood, rng) if q.town in (None, town) else "" for q in questions]
        cells += [town, rng.choices(stages, stage_w)[0], locale, "", "synthetic"]
        out.writerow(cells)
    path = root / "responses.csv"
    path.write_text(buf.getvalue(), encoding="utf-8-sig")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--responses", type=int, default=100_000)
    parser.add_argument("--towns", type=int, default=1741)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kizuna-bench-surveys-") as tmp:
        root = Path(tmp)
        t0 = time.perf_counter()
        codes = build_workspace(root, args.towns)
        source = write_responses(root, codes, args.responses)
        ws = load_workspace(root)
        surveys = load_surveys(ws)
        print(f"set-up: {len(codes)} towns, {args.responses:,} responses "
              f"({source.stat().st_size / 1e6:.1f} MB CSV) in {time.perf_counter() - t0:.1f} s", flush=True)

        t0, c0 = time.perf_counter(), time.process_time()
        result = import_responses(ws, surveys, source)
        t_import, c_import = time.perf_counter() - t0, time.process_time() - c0
        print(f"import: {len(result.table):,} responses in {t_import:.2f} s wall, {c_import:.2f} s CPU "
              f"({len(result.table) / t_import:,.0f}/s; target < 10 s)", flush=True)

        t0, c0 = time.perf_counter(), time.process_time()
        pool = prepare(ws, surveys, load_responses(root))
        t_prepare = time.perf_counter() - t0
        paths = write_reports(ws, pool, codes, root / "out" / "reports")
        t_reports, c_reports = time.perf_counter() - t0, time.process_time() - c0
        size = sum(p.stat().st_size for p in paths) / 1e6
        suppressed = sum(1 for c in codes if pool.town_n.get(c, 0) < pool.min_cell)
        print(f"reports: {len(paths)} towns in {t_reports:.1f} s wall, {c_reports:.1f} s CPU (prepare {t_prepare:.1f} s, "
              f"{(t_reports - t_prepare) / max(1, len(paths)) * 1000:.0f} ms per report, {size:.0f} MB; "
              f"{suppressed} towns under {pool.min_cell} answers; {len(pool.evidence)} messages in the "
              f"re-review queue; target < 120 s)", flush=True)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak memory: {peak:.0f} MB")


if __name__ == "__main__":
    main()
