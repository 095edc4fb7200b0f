"""``benchmarks/bench_national.py --only …`` runs any selection on its own: a selected step gets
what it needs (the workbook an import reads, the export before the re-export after an edit), run
first and untimed, instead of failing or measuring something else."""
from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "bench_national.py"


def _bench():
    spec = importlib.util.spec_from_file_location("bench_national_under_test", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


NAMES = ["review status", "check (cold)", "author workbook --locale en", "author import (untouched)",
         "export --all --format json", "one-message edit", "check (after edit)", "export json (after edit)",
         "check (unchanged)", "draft edit", "check (after a draft edit)"]


def test_a_selected_step_brings_what_it_needs_untimed_in_order() -> None:
    plan = _bench().plan
    assert plan(NAMES, ["author import (untouched)"]) == {
        "author workbook --locale en": False, "author import (untouched)": True}
    assert list(plan(NAMES, ["export json (after edit)"]).items()) == [
        ("export --all --format json", False), ("one-message edit", False), ("export json (after edit)", True)]
    # transitively: the checks before the draft edit keep the cache as the full run has it
    assert plan(NAMES, ["after a draft"]) == {
        "check (cold)": False, "one-message edit": False, "check (after edit)": False, "check (unchanged)": False,
        "draft edit": False, "check (after a draft edit)": True}
    # a selected prerequisite stays timed; nothing else runs
    assert plan(NAMES, ["author"]) == {"author workbook --locale en": True, "author import (untouched)": True}
    assert plan(NAMES, ["review status"]) == {"review status": True}
    assert all(plan(NAMES, None).values()) and list(plan(NAMES, None)) == NAMES


def test_only_the_untouched_import_runs_and_succeeds(tmp_path: Path) -> None:
    figures = tmp_path / "figures.json"
    done = subprocess.run([sys.executable, str(SCRIPT), "--towns", "3", "--messages", "20",
                           "--workspace", str(tmp_path / "national"), "--scratch-dir", str(tmp_path / "scratch"),
                           "--only", "author import (untouched)", "--json", str(figures)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    results = json.loads(figures.read_text())
    assert list(results) == ["author import (untouched)"]  # the workbook it reads was written, untimed
    assert results["author import (untouched)"]["exit"] == 0, done.stdout
