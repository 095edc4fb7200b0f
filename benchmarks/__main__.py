"""Run every benchmark in turn: ``python -m benchmarks`` (``make bench``)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCHMARKS = ("bench_checks.py", "bench_export.py", "bench_diff.py", "bench_surveys.py", "bench_hostile.py")


def main() -> int:
    here = Path(__file__).parent
    status = 0
    for name in BENCHMARKS:
        print(f"== {name}", flush=True)
        status |= subprocess.call([sys.executable, str(here / name)])
    return status


if __name__ == "__main__":
    sys.exit(main())
