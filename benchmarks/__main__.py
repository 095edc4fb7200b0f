"""Run every benchmark in turn: ``python -m benchmarks`` (``make bench``); ``python -m benchmarks
national [ARGS]`` runs only the national one (1,741 towns, every command; see
``benchmarks/bench_national.py``)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCHMARKS = ("bench_checks.py", "bench_export.py", "bench_diff.py", "bench_surveys.py", "bench_hostile.py",
              "bench_national.py")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    here = Path(__file__).parent
    if argv:
        name = f"bench_{argv[0]}.py"
        if name not in BENCHMARKS:
            print(f"unknown benchmark '{argv[0]}'; choose from "
                  f"{', '.join(b[6:-3] for b in BENCHMARKS)}", file=sys.stderr)
            return 2
        return subprocess.call([sys.executable, str(here / name), *argv[1:]])
    status = 0
    for name in BENCHMARKS:
        print(f"== {name}", flush=True)
        status |= subprocess.call([sys.executable, str(here / name)])
    return status


if __name__ == "__main__":
    sys.exit(main())
