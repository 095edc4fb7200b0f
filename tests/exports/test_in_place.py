"""An incremental export updates the previous export in place: only the files whose bytes change
are written, the manifest last, through a journal; the previous export is trusted through the
stat cache (git's index model) and an edit by hand is still caught.

Each case ends by comparing the folder with a ``--full`` export of the same workspace: byte for
byte, the manifest included."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from kizuna.exports import atomic, runner, statcache
from kizuna.exports.errors import ExportError

from tests.exports.test_incremental import edit_message, export, tree


@pytest.fixture
def root(sample_path: Path) -> Path:
    (sample_path / ".kizuna").mkdir(exist_ok=True)  # a workspace kizuna has run in keeps local state
    return sample_path


def same_as_full(root: Path, out: Path, tmp_path: Path, **request: object) -> None:
    full = tmp_path / "full"
    export(root, full, jobs=1, full=True, **request)
    assert tree(out) == tree(full)


def siblings(out: Path) -> list[str]:
    return sorted(p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}."))


def count_hashing(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    hashed: list[str] = []
    real = atomic._sha256

    def counting(path: Path) -> str | None:
        hashed.append(Path(path).as_posix())
        return real(path)

    monkeypatch.setattr(atomic, "_sha256", counting)
    return hashed


def test_a_one_message_edit_writes_only_the_changed_files(root: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    export(root, out, jobs=1)
    before = {rel: os.stat(out / rel).st_ino for rel in tree(out)}
    edit_message(root)
    result = export(root, out, jobs=1)
    assert result.towns.get("patched") or result.towns.get("copied")
    after = {rel: os.stat(out / rel).st_ino for rel in tree(out)}
    rewritten = {rel for rel in after if before.get(rel) != after[rel]}
    assert "manifest.json" in rewritten
    assert len(rewritten) < len(after) // 2, rewritten  # the other files are the previous ones
    assert siblings(out) == []
    same_as_full(root, out, tmp_path)


def test_files_the_new_export_no_longer_has_are_removed(root: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    export(root, out, jobs=1)
    export(root, out, jobs=1, towns=("202029",))
    assert sorted(p.name for p in out.iterdir()) == ["202029", "manifest.json", "schema"]
    same_as_full(root, out, tmp_path, towns=("202029",))


def test_the_stat_cache_spares_reading_unchanged_files(root: Path, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(statcache, "file_system_now", lambda folder: 2 ** 62)  # nothing is racy
    out = tmp_path / "out"
    export(root, out, jobs=1)
    hashed = count_hashing(monkeypatch)
    export(root, out, jobs=1)
    assert hashed == []
    (root / ".kizuna" / "cache" / "exports").rename(tmp_path / "moved-cache")  # safe to delete
    export(root, out, jobs=1)
    assert len(hashed) == len(tree(out)) - 1  # every listed file read again (not the manifest)


def test_a_racy_file_is_hashed_again(root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file not strictly older than the moment its stat was recorded could change again
    within the same clock tick without its stat changing: it is not trusted."""
    monkeypatch.setattr(statcache, "file_system_now", lambda folder: 0)  # every file is racy
    out = tmp_path / "out"
    export(root, out, jobs=1)
    hashed = count_hashing(monkeypatch)
    export(root, out, jobs=1)
    assert len(hashed) == len(tree(out)) - 1
    assert statcache.not_racy({"a": (1, 2, 10, 10), "b": (1, 2, 10, 20), "c": (1, 2, 20, 10)}, 20) == {
        "a": (1, 2, 10, 10)}


def test_an_edit_by_hand_with_the_same_size_and_time_is_still_caught(root: Path, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(statcache, "file_system_now", lambda folder: 2 ** 62)
    out = tmp_path / "out"
    export(root, out, jobs=1)
    export(root, out, jobs=1)  # the stat cache now vouches for every file
    path = out / "202029" / "ja" / "catalog.json"
    st = os.stat(path)
    data = path.read_bytes()
    changed = data.replace(b'"ja"', b'"xx"', 1)
    assert changed != data and len(changed) == len(data)
    path.write_bytes(changed)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))  # the modification time put back
    now = os.stat(path)
    assert (now.st_ino, now.st_size, now.st_mtime_ns) == (st.st_ino, st.st_size, st.st_mtime_ns)
    hashed = count_hashing(monkeypatch)
    before = tree(out)
    with pytest.raises(ExportError, match="202029/ja/catalog.json changed since kizuna wrote it"):
        export(root, out, jobs=1)
    assert hashed == [path.as_posix()]  # caught by its change time, the others trusted
    assert tree(out) == before


def test_a_file_replaced_by_a_symbolic_link_is_named(root: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    export(root, out, jobs=1)
    export(root, out, jobs=1)
    path = out / "202029" / "ja" / "catalog.json"
    copy = tmp_path / "copy.json"
    copy.write_bytes(path.read_bytes())
    path.unlink()
    path.symlink_to(copy)
    with pytest.raises(ExportError, match="202029/ja/catalog.json, listed in its manifest.json, is not a file"):
        export(root, out, jobs=1)
    assert path.is_symlink()


def test_a_failure_while_writing_leaves_the_previous_export_and_the_next_export_succeeds(
        root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    export(root, out, jobs=1)
    before = tree(out)
    edit_message(root)
    real_write = runner.write_file
    calls = {"n": 0}

    def failing_write(path: Path, data: bytes) -> os.stat_result:
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt  # Ctrl+C after two files were written
        return real_write(path, data)

    monkeypatch.setattr(runner, "write_file", failing_write)
    with pytest.raises(KeyboardInterrupt):
        export(root, out, jobs=1)
    assert calls["n"] == 3
    assert tree(out) == before and siblings(out) == []
    monkeypatch.setattr(runner, "write_file", real_write)
    export(root, out, jobs=1)
    same_as_full(root, out, tmp_path)


@pytest.mark.parametrize("stop_after", [0, 2, 5])
def test_an_interrupted_commit_is_finished_by_the_next_export(root: Path, tmp_path: Path, stop_after: int,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """A process stopped during the commit (after the commit point, some files renamed in)
    leaves the journal; the next export finishes the commit, then exports as usual."""
    out = tmp_path / "out"
    export(root, out, jobs=1)
    edit_message(root)
    two = ("131121", "202029")  # files to remove too: the other towns'
    real_replace = os.replace
    calls = {"n": 0}

    def dying_replace(src: str | Path, dst: str | Path) -> None:
        if calls["n"] >= stop_after:
            raise KeyboardInterrupt
        calls["n"] += 1
        real_replace(src, dst)

    monkeypatch.setattr(atomic.os, "replace", dying_replace)
    with pytest.raises(KeyboardInterrupt):
        export(root, out, jobs=1, towns=two)
    monkeypatch.setattr(atomic.os, "replace", real_replace)
    assert [name.split("-")[0] for name in siblings(out)] == [".out.commit"]
    atomic.recover(out)  # what the next export does first, under its lock
    assert siblings(out) == []
    same_as_full(root, out, tmp_path, towns=two)
    export(root, out, jobs=1, towns=two)
    same_as_full(root, out, tmp_path, towns=two)


def interrupt_the_commit(root: Path, out: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An export, an edit, and a re-export stopped (Ctrl+C) at the first rename of its commit."""
    export(root, out, jobs=1)
    edit_message(root)
    with monkeypatch.context() as patch:
        patch.setattr(atomic.os, "replace", lambda src, dst: (_ for _ in ()).throw(KeyboardInterrupt))
        with pytest.raises(KeyboardInterrupt):
            export(root, out, jobs=1)


def test_a_failed_export_after_an_interrupted_commit_still_finishes_it(root: Path, tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    interrupt_the_commit(root, out, monkeypatch)
    export(root, out, jobs=1, full=True)  # a full export recovers first too
    assert siblings(out) == []
    same_as_full(root, out, tmp_path)


def test_finishing_a_commit_never_writes_through_a_symbolic_link(root: Path, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    interrupt_the_commit(root, out, monkeypatch)
    elsewhere = tmp_path / "elsewhere"
    (out / "202029").rename(elsewhere)
    (out / "202029").symlink_to(elsewhere)  # put there by hand before the next export
    before = tree(elsewhere)
    with pytest.raises(ExportError, match="202029 is not a folder kizuna wrote"):
        export(root, out, jobs=1)
    assert tree(elsewhere) == before
