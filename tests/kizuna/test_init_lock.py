"""``init`` and ``demo`` into an existing folder: under the workspace lock, and nothing written
(not even the lock) when the folder is refused."""
from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from kizuna.catalog.lock import holds_lock
from kizuna.cli import main


def test_init_into_an_empty_existing_folder_takes_the_lock_and_leaves_only_the_workspace(
        tmp_path: Path, monkeypatch) -> None:
    seen = []
    import kizuna.commands.workspace as commands

    real = commands.init_workspace

    def spy(root: Path, **kw):  # type: ignore[no-untyped-def]
        seen.append(holds_lock(root))
        return real(root, **kw)

    monkeypatch.setattr(commands, "init_workspace", spy)
    folder = tmp_path / "ws"
    folder.mkdir()
    result = CliRunner().invoke(main, ["init", str(folder)])
    assert result.exit_code == 0, result.output
    assert seen == [True]
    assert (folder / "kizuna.yaml").is_file() and not (folder / ".kizuna").exists()


def test_init_and_demo_into_a_non_empty_folder_write_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "notes.txt").write_text("keep")
    for args in (["init", str(folder)], ["demo", str(folder)]):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 2 and "not empty" in result.output
        assert sorted(p.name for p in folder.iterdir()) == ["notes.txt"]
