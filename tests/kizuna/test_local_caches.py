"""Every command that ran to the end keeps the workspace's local caches (``.kizuna/cache/``) up
to date for the next one; a command that refused its input writes none."""
from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from kizuna.cli import main
from kizuna.review import statusmemo


def cache_files(root: Path) -> set[str]:
    folder = root / ".kizuna" / "cache"
    return {p.name for p in folder.iterdir()} if folder.is_dir() else set()


def test_a_read_only_command_leaves_warm_caches(sample_path: Path) -> None:
    (sample_path / ".kizuna").mkdir(exist_ok=True)
    statusmemo._OPEN.clear()
    result = CliRunner().invoke(main, ["-w", str(sample_path), "review", "status"])
    assert result.exit_code == 0, result.output
    assert {"files.pickle", "signoff.pickle"} <= cache_files(sample_path)


def test_a_refused_command_writes_no_cache(sample_path: Path) -> None:
    (sample_path / ".kizuna").mkdir(exist_ok=True)
    statusmemo._OPEN.clear()
    result = CliRunner().invoke(main, ["-w", str(sample_path), "preview", "--town", "131016", "--due", "2026-06-01"])
    assert result.exit_code == 2 and "131016" in result.output  # not a town of the sample
    assert cache_files(sample_path) == set()


def test_a_workspace_kizuna_never_ran_in_gets_no_local_state(sample_path: Path) -> None:
    # a fresh clone (or the bundled sample) keeps no .kizuna folder until a check or a write
    statusmemo._OPEN.clear()
    result = CliRunner().invoke(main, ["-w", str(sample_path), "review", "status"])
    assert result.exit_code == 0 and not (sample_path / ".kizuna").exists()
