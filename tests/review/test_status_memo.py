"""The sign-off memo (review.statusmemo): a status read back from the memo is the status derived
afresh, for any moment and after any edit; only the items an edit touched are derived again."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kizuna.catalog import yamlio
from kizuna.catalog.loadcache import save_loader
from kizuna.catalog.workspace import load_workspace
from kizuna.review import statusmemo
from kizuna.review.decisions import read_log
from kizuna.review.signoff import all_items, derive, load_policy, states, status, with_shipping_reasons

START = datetime(2025, 8, 1, tzinfo=timezone.utc)


def derived_afresh(root: Path, now: datetime) -> dict:
    """The status of every item from the log, with no memo at all (the reference)."""
    ws = load_workspace(root)
    policy = load_policy(ws)
    index: dict = {}
    for d in read_log(root):
        index.setdefault(d.key, []).append(d)
    items = all_items(ws, policy)
    found = {key: derive(item, index.get(key, []), period_days=policy.period_for(item.message), now=now)
             for key, item in items.items()}
    return with_shipping_reasons(found, items, ws.config.source_locale)


def fresh_process() -> None:
    """What a new ``kizuna`` process starts with: nothing of the memo in memory."""
    statusmemo._OPEN.clear()


def memo_of(root: Path) -> statusmemo.StatusMemo:
    return statusmemo._OPEN[root.resolve()]


NOW = datetime(2026, 11, 30, tzinfo=timezone.utc)


def remembered(root: Path) -> dict:
    """A first run in a workspace kizuna keeps local state in: every status derived, the memo
    written; the statuses it gave."""
    (root / ".kizuna").mkdir(exist_ok=True)
    fresh_process()
    found = status(load_workspace(root), now=NOW)
    save_loader(root)
    return found


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(first=st.integers(min_value=0, max_value=900), then=st.integers(min_value=0, max_value=900))
def test_a_remembered_status_is_the_derived_one_at_any_moment(sample_path: Path, first: int, then: int) -> None:
    # the sample's approvals expire over these 900 days: the memo of one moment is asked at another
    (sample_path / ".kizuna").mkdir(exist_ok=True)
    fresh_process()
    status(load_workspace(sample_path), now=START + timedelta(days=first, hours=first % 24))
    save_loader(sample_path)
    fresh_process()
    moment = START + timedelta(days=then, minutes=then)
    expected = derived_afresh(sample_path, moment)
    assert status(load_workspace(sample_path), now=moment) == expected
    fresh_process()
    light = states(load_workspace(sample_path), now=moment)
    assert {k: (s.state, s.expires_at) for k, s in light.items()} == {
        k: (s.state, s.expires_at) for k, s in expected.items()}


def test_after_a_text_edit_only_that_item_is_derived_again(sample_path: Path, monkeypatch) -> None:
    now = NOW
    everything = remembered(sample_path)
    assert (sample_path / ".kizuna" / "cache" / "signoff.pickle").is_file()
    fresh_process()
    assert status(load_workspace(sample_path), now=now) == everything
    assert memo_of(sample_path).derived == 0  # nothing changed: read back, not derived
    approved = next(key for key, s in everything.items() if s.state == "approved" and not s.is_block)
    path = sample_path / "messages" / f"{approved[0]}.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("。", "ね。", 1), encoding="utf-8")
    fresh_process()
    log = sample_path / "decisions.jsonl"
    lines = log.read_text(encoding="utf-8").split("\n")
    import kizuna.review.decisions as decisions

    parsed: list[int] = []
    real = decisions._parse_line
    monkeypatch.setattr(decisions, "_parse_line", lambda number, line: (parsed.append(number), real(number, line))[1])
    # what ships: the log, unchanged, is not read; the edited item reads its own lines
    light = states(load_workspace(sample_path), now=now)
    monkeypatch.undo()
    assert light[approved].state == "stale" and memo_of(sample_path).derived == 1
    assert parsed == [s.line for s in everything[approved].decisions] and len(lines) > 10
    fresh_process()
    after = status(load_workspace(sample_path), now=now)
    assert memo_of(sample_path).derived == 1
    assert after[approved].state == "stale"  # the sign-off is withdrawn, as without the memo
    assert after == derived_afresh(sample_path, now)


def test_a_hand_edited_log_entry_is_not_read_from_the_memo(sample_path: Path) -> None:
    # an entry changed by hand keeps its digest (the chain is broken, but the log is still read):
    # the memo compares a digest of each line as written, so the status follows the log as it is
    now = NOW
    before = remembered(sample_path)
    key, approved = next((k, s) for k, s in before.items() if s.state == "approved")
    log = sample_path / "decisions.jsonl"
    entries = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    for entry in entries:
        if entry["digest"] in {d.digest for d in approved.approvals}:
            entry["at"] = "2020-01-01T09:00:00+09:00"  # long expired
    log.write_text("\n".join(json.dumps(e, ensure_ascii=False) for e in entries) + "\n", encoding="utf-8")
    fresh_process()
    after = status(load_workspace(sample_path), now=now)
    assert after[key].state == "expired"
    assert after == derived_afresh(sample_path, now)


def test_a_broken_memo_is_an_empty_one(sample_path: Path) -> None:
    (sample_path / ".kizuna" / "cache").mkdir(parents=True)
    (sample_path / ".kizuna" / "cache" / "signoff.pickle").write_bytes(b"not a pickle")
    now = NOW
    fresh_process()
    assert status(load_workspace(sample_path), now=now) == derived_afresh(sample_path, now)
    save_loader(sample_path)
    fresh_process()
    status(load_workspace(sample_path), now=now)
    assert memo_of(sample_path).derived == 0  # rewritten by the run that ran to the end


def test_the_log_is_read_a_few_times_per_run_not_once_per_item(sample_path: Path, monkeypatch) -> None:
    # a national log is megabytes: reading it again for every item derived made a cold check
    # take minutes; a run reads it (to check it, to index it) a fixed number of times
    import kizuna.review.decisions as decisions

    (sample_path / ".kizuna").mkdir()
    now = NOW
    reads: list[Path] = []
    real = decisions._lines
    monkeypatch.setattr(decisions, "_lines", lambda path: (reads.append(path), real(path))[1])
    decisions._CACHE.clear()
    fresh_process()
    cold = states(load_workspace(sample_path), now=now)
    assert len(cold) > 50 and len(reads) <= 2  # read_log and the line digests
    save_loader(sample_path)
    everything = status(load_workspace(sample_path), now=now)
    approved = [k for k, s in everything.items() if s.state == "approved" and k[1] == "ja"
                and (sample_path / "messages" / f"{k[0]}.yaml").is_file()][:4]
    for mid, _locale in approved:
        path = sample_path / "messages" / f"{mid}.yaml"
        data = yamlio.read(path)
        data["texts"]["ja"]["text"] += "ゆっくりで大丈夫です。"
        yamlio.write(path, data)
    fresh_process()
    reads.clear()
    after = states(load_workspace(sample_path), now=now)
    assert len(reads) == 1 and memo_of(sample_path).derived >= len(approved) == 4
    assert all(after[k].state != "approved" for k in approved)
