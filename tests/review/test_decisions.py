"""The decisions log: append-only, hash-chained; edited, reordered and deleted entries are found."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

import pytest
from click.testing import CliRunner

from kizuna.catalog.errors import KizunaError, WorkspaceError
from kizuna.cli import main
from kizuna.review.decisions import (GENESIS, append, entry_digest, head, log_path, read_log,
                              verify_log)


def fields(n: int, decision: str = "approve") -> dict[str, Any]:
    return {"at": f"2026-04-{n:02d}T09:00:00+09:00", "message": f"m{n}", "locale": "ja", "town": None,
            "reviewer": "ed", "roles": ["editor"], "decision": decision, "comment": f"コメント{n}",
            "stage": "P10w", "hash": f"{n:016x}", "text": f"本文{n}\n二行目", "required": {"editor": 1}}


@pytest.fixture
def log(tmp_path: Path) -> Path:
    for n in range(1, 6):
        append(tmp_path, fields(n))
    return tmp_path


def lines(root: Path) -> list[str]:
    return log_path(root).read_text(encoding="utf-8").splitlines()


def write_lines(root: Path, rows: list[str]) -> None:
    log_path(root).write_text("\n".join(rows) + "\n", encoding="utf-8")


def test_append_chains_entries_and_reads_back(log: Path) -> None:
    decisions = read_log(log)
    assert [d.seq for d in decisions] == [1, 2, 3, 4, 5] and [d.line for d in decisions] == [1, 2, 3, 4, 5]
    assert decisions[0].prev == GENESIS
    assert all(b.prev == a.digest for a, b in zip(decisions, decisions[1:]))
    first = json.loads(lines(log)[0])
    assert list(first)[:3] == ["v", "seq", "at"] and first["digest"] == entry_digest(first)
    assert "コメント1" in lines(log)[0] and len(lines(log)) == 5  # Japanese unescaped, one line each
    assert verify_log(log) == [] and head(log) == (5, decisions[-1].digest)
    assert decisions[2].text == "本文3\n二行目" and decisions[2].at.utcoffset().total_seconds() == 9 * 3600


def test_no_log_is_an_empty_whole_chain(tmp_path: Path) -> None:
    assert read_log(tmp_path) == [] and verify_log(tmp_path) == [] and head(tmp_path) == (0, GENESIS)


def test_edited_entry_is_found_and_named(log: Path) -> None:
    rows = lines(log)
    rows[2] = rows[2].replace("コメント3", "コメント三")
    write_lines(log, rows)
    problems = verify_log(log)
    assert [(p.line, p.seq) for p in problems] == [(3, 3)]
    assert "changed after it was written" in problems[0].message
    assert str(problems[0]).startswith("decisions.jsonl line 3 (entry #3)")
    assert read_log(log)[2].comment == "コメント三"  # still readable; verify is the judge


def test_edited_last_entry_is_found(log: Path) -> None:
    rows = lines(log)
    rows[-1] = rows[-1].replace('"approve"', '"changes"')
    write_lines(log, rows)
    assert [p.line for p in verify_log(log)] == [5]


def test_deleted_entry_is_found(log: Path) -> None:
    rows = lines(log)
    del rows[1]
    write_lines(log, rows)
    problems = verify_log(log)
    assert [(p.line, p.seq) for p in problems] == [(2, 3)]
    assert "expected #2" in problems[0].message and "does not follow" in problems[0].message


def test_reordered_entries_are_found(log: Path) -> None:
    rows = lines(log)
    rows[1], rows[2] = rows[2], rows[1]
    write_lines(log, rows)
    assert verify_log(log)[0].line == 2


def test_rewritten_entry_with_recomputed_digest_breaks_the_next_link(log: Path) -> None:
    rows = lines(log)
    entry = json.loads(rows[1])
    entry["decision"] = "changes"
    entry["digest"] = entry_digest(entry)
    rows[1] = json.dumps(entry, ensure_ascii=False)
    write_lines(log, rows)
    assert [(p.line, p.seq) for p in verify_log(log)] == [(3, 3)]


def test_malformed_line_is_a_problem_and_read_log_names_it(log: Path) -> None:
    rows = lines(log)
    rows[3] = rows[3][:40]
    write_lines(log, rows)
    assert verify_log(log)[0].line == 4 and "not valid JSON" in verify_log(log)[0].message
    with pytest.raises(WorkspaceError, match="line 4.*kizuna review verify"):
        read_log(log)
    write_lines(log, rows[:4])
    before = log_path(log).read_bytes()
    with pytest.raises(WorkspaceError, match="line 4.*nothing was recorded"):
        append(log, fields(9))
    assert log_path(log).read_bytes() == before


def test_append_refuses_a_log_with_a_malformed_line_anywhere(log: Path) -> None:
    rows = lines(log)
    rows[1] = "{not json"
    write_lines(log, rows)
    before = log_path(log).read_bytes()
    with pytest.raises(WorkspaceError, match="line 2.*nothing was recorded"):
        append(log, fields(9))
    assert log_path(log).read_bytes() == before


def test_append_refuses_a_broken_chain_that_verify_reports(log: Path) -> None:
    rows = lines(log)
    entry = json.loads(rows[1])
    entry["comment"] = "書き換え"
    rows[1] = json.dumps(entry, ensure_ascii=False)  # digest no longer matches
    write_lines(log, rows)
    assert verify_log(log)
    before = log_path(log).read_bytes()
    with pytest.raises(WorkspaceError, match="broken at decisions.jsonl line 2"):
        append(log, fields(9))
    assert log_path(log).read_bytes() == before


def test_append_refuses_a_log_that_is_a_symbolic_link(log: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere.jsonl"
    elsewhere.write_bytes(log_path(log).read_bytes())
    log_path(log).unlink()
    log_path(log).symlink_to(elsewhere)
    with pytest.raises(KizunaError, match="symbolic link"):
        append(log, fields(9))
    assert elsewhere.read_bytes().count(b"\n") == len(lines(log))


def test_append_after_a_missing_final_newline(log: Path) -> None:
    log_path(log).write_text(log_path(log).read_text(encoding="utf-8").rstrip("\n"), encoding="utf-8")
    append(log, fields(6, "comment"))
    assert verify_log(log) == [] and len(read_log(log)) == 6


def test_malformed_fields_are_refused(tmp_path: Path) -> None:
    with pytest.raises(WorkspaceError, match="unknown decision"):
        append(tmp_path, fields(1, "veto"))
    bad = {**fields(1), "at": "2026-04-01T09:00:00"}
    with pytest.raises(WorkspaceError, match="UTC offset"):
        append(tmp_path, bad)
    assert not log_path(tmp_path).exists() or log_path(tmp_path).read_text() == ""


def test_cli_verify_exit_codes(make_workspace: Callable[..., Path]) -> None:
    root = make_workspace()
    for n in range(1, 4):
        append(root, fields(n))
    ok = CliRunner().invoke(main, ["-w", str(root), "review", "verify"])
    assert ok.exit_code == 0 and ok.output.startswith("decisions log ok: 3 entries, head ")
    rows = lines(root)
    del rows[0]
    write_lines(root, rows)
    broken = CliRunner().invoke(main, ["-w", str(root), "review", "verify"])
    assert broken.exit_code == 1
    assert "broken at decisions.jsonl line 1 (entry #2)" in broken.stderr


@pytest.mark.parametrize("damage", ["malformed line", "edited entry"])
def test_decide_on_a_damaged_log_exits_2_and_appends_nothing(sample_path: Path, damage: str) -> None:
    log = log_path(sample_path)
    rows = lines(sample_path)
    if damage == "malformed line":
        rows[2] = "{broken"
    else:
        entry = json.loads(rows[2])
        entry["comment"] = "あとから書き換え"
        rows[2] = json.dumps(entry, ensure_ascii=False)
    write_lines(sample_path, rows)
    before = log.read_bytes()
    result = CliRunner().invoke(main, ["-w", str(sample_path), "review", "decide", "b00d-congratulations",
                                       "--by", "sato", "--decision", "comment", "--comment", "追加"])
    assert result.exit_code == 2
    assert "line 3" in result.output and "nothing was recorded" in result.output
    assert log.read_bytes() == before
