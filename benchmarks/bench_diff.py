"""Benchmark: ``kizuna export diff`` of two national exports, next to the export that made them.

Run::

    .venv/bin/python benchmarks/bench_diff.py                 # all 1,741 towns × ja/en, 1,000 messages
    .venv/bin/python benchmarks/bench_diff.py --towns 100     # a quick look

Builds the synthetic national catalog of ``bench_export.py`` (every official municipality, the
reference cadence, ja and en, town blocks; every text counted as approved), and in one run:

1. exports it (canonical JSON) into ``old`` — the export's wall time is the yardstick;
2. edits three national messages and exports ``new``; diffs ``old`` → ``new`` (a handful changed);
3. changes every town's send time and exports ``all``; diffs ``old`` → ``all`` (every catalog changed).

Each diff runs as ``kizuna export diff --format json`` in a fresh process (output to a file);
reported: wall time, peak resident memory of that process, and the ratio to the export's time.
Targets (issue 15): a handful changed — under 1 GiB and at most a tenth of the export's time;
every town changed — streaming, under 1 GiB.
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for path in (ROOT, ROOT / "benchmarks"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from bench_export import approve_everything, synthetic_workspace  # noqa: E402

from kizuna.catalog.messages import LocaleText  # noqa: E402
from kizuna.exports.runner import ExportRequest, run_export  # noqa: E402

KIZUNA = Path(sys.executable).with_name("kizuna")


def export(ws, out: Path, jobs: int) -> float:
    start = time.perf_counter()
    run_export(ws, ExportRequest(jobs=jobs, formats=("json",)), out)
    return time.perf_counter() - start


def timed_diff(old: Path, new: Path, report: Path) -> tuple[float, float]:
    """(wall seconds, peak RSS MiB) of one ``kizuna export diff`` process."""
    start = time.perf_counter()
    with report.open("wb") as fh:
        proc = subprocess.Popen([str(KIZUNA), "export", "diff", "--format", "json", str(old), str(new)],
                                stdout=fh, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"export diff failed ({proc.returncode}): {proc.stderr.read().decode()[:500]}")
    return wall, usage.ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--towns", type=int, default=None, help="first N municipalities (default: all 1,741)")
    parser.add_argument("--jobs", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--work", default=None, help="scratch folder (default: a temporary one)")
    args = parser.parse_args(argv)
    work = Path(args.work or tempfile.mkdtemp(prefix="kizuna-bench-diff-"))
    approve_everything()
    try:
        ws = synthetic_workspace(work / "ws", args.messages, args.towns)
        export_wall = export(ws, work / "old", args.jobs)
        edited = dict(ws.messages)
        for mid in list(edited)[100:103]:
            m = edited[mid]
            edited[mid] = dataclasses.replace(m, texts={**m.texts, "ja": LocaleText(m.texts["ja"].text + "（改訂）")})
        export(dataclasses.replace(ws, messages=edited), work / "new", args.jobs)
        towns = {code: dataclasses.replace(t, send_time="10:30") for code, t in ws.towns.items()}
        export(dataclasses.replace(ws, towns=towns), work / "all", args.jobs)
        rows = [("export --format json (old)", export_wall, None)]
        for name, target in (("diff, 3 messages edited", "new"), ("diff, every town changed", "all")):
            wall, rss = timed_diff(work / "old", work / target, work / f"{target}.changeset.json")
            rows.append((name, wall, rss))
        catalogs = len(ws.towns) * 2
        print(f"{len(ws.towns)} towns × 2 locales = {catalogs} catalogs, {len(ws.messages)} messages, "
              f"jobs={args.jobs}")
        print(f"{'phase':<30} {'wall s':>8} {'peak MiB':>9} {'÷ export':>9}")
        for name, wall, rss in rows:
            print(f"{name:<30} {wall:8.2f} {'' if rss is None else f'{rss:9.0f}':>9} {wall / export_wall:9.3f}")
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
