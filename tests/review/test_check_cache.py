"""The checks cache after an edit gives exactly the findings of a run without it (``kizuna check
--no-cache``), and redoes only what the edit touched: a text edit of an approved message (it
loses its sign-off, so what ships changes), an edit of a draft (what ships does not), an edit of
a town block, and a decision appended to the log."""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Callable

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kizuna.catalog import yamlio
from kizuna.catalog.workspace import load_workspace
from kizuna.demo import sample_root
from kizuna.review.checks import run_checks
from kizuna.review.signoff import DecisionRefused, effective_roles, record_decision, status
from tests.review.conftest import recording_cache_saves

APPROVED = "p10w-maternity-handbook"  # ja, ja-easy and en signed off in the sample
DRAFT = "p04w-confirm-pregnancy"  # nothing signed off


def edit_text(root: Path, message_id: str, locale: str = "ja", tail: str = "ゆっくりで大丈夫です。") -> None:
    path = root / "messages" / f"{message_id}.yaml"
    data = yamlio.read(path)
    data["texts"][locale]["text"] = data["texts"][locale]["text"] + tail
    yamlio.write(path, data)


def edit_block(root: Path, code: str = "202029", stage: str = "B8d", tail: str = "予約はいりません。") -> None:
    path = root / "towns" / f"{code}.yaml"
    data = yamlio.read(path)
    block = data["blocks"][stage]
    data["blocks"][stage] = {k: v + tail for k, v in block.items()} if isinstance(block, dict) else block + tail
    yamlio.write(path, data)


def approve_something(root: Path, skip: int = 0) -> bool:
    """Append an approval to the log from a reviewer who may give it (the ``skip``-th possible)."""
    ws = load_workspace(root)
    for (key, locale), s in status(ws).items():
        if s.state == "approved" or key.startswith("town:"):
            continue
        for person in ws.reviewers.values():
            if not set(effective_roles(person, s.town)) & set(s.missing_roles):
                continue
            if skip:
                skip -= 1
                continue
            try:
                record_decision(ws, message_id=key, locale=locale, reviewer=person.id, decision="approve")
                return True
            except DecisionRefused:
                continue
    return False


def cached_equals_fresh(root: Path) -> tuple[int, int]:
    """Run with the cache and without it on a fresh load; they must agree. Returns what the cached
    run computed and reused."""
    with recording_cache_saves() as counts:
        cached = run_checks(load_workspace(root), cache=True)
    assert cached == run_checks(load_workspace(root))
    return counts[0]


def copy_sample(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    shutil.copytree(sample_root(), root, ignore=shutil.ignore_patterns("out", ".ipynb_checkpoints"))
    return root


def test_each_kind_of_edit_gives_the_findings_of_a_fresh_run(tmp_path: Path) -> None:
    root = copy_sample(tmp_path)
    run_checks(load_workspace(root), cache=True)
    assert cached_equals_fresh(root)[0] == 0  # nothing changed: nothing computed
    ws = load_workspace(root)

    edit_text(root, DRAFT)  # a draft: what ships is the same, coverage is reused
    computed, _ = cached_equals_fresh(root)
    assert computed == len(ws.messages[DRAFT].texts) + 1  # its locales and the rules reading every text

    edit_text(root, APPROVED)  # loses its sign-off: what ships changes, coverage is redone
    computed, _ = cached_equals_fresh(root)
    assert computed == len(ws.messages[APPROVED].texts) + 2

    edit_block(root)  # a town: every unit reads the towns (a block adds to each text it follows)
    computed, reused = cached_equals_fresh(root)
    assert reused == 0 and computed > 0

    assert approve_something(root)  # the log: what ships may change; no message unit is redone
    computed, _ = cached_equals_fresh(root)
    assert computed <= 2


EDITS: list[Callable[[Path, int], object]] = [
    lambda root, n: edit_text(root, APPROVED, "ja", "。" * (n % 3 + 1)),
    lambda root, n: edit_text(root, DRAFT, "ja", "です。" * (n % 3 + 1)),
    lambda root, n: edit_text(root, APPROVED, "en", " Thanks." * (n % 2 + 1)),
    lambda root, n: edit_block(root, "202029", "B8d", "。" * (n % 2 + 1)),
    lambda root, n: approve_something(root, n % 3),
]


@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.tuples(st.integers(0, len(EDITS) - 1), st.integers(0, 5)), min_size=1, max_size=2))
def test_any_sequence_of_edits_gives_the_findings_of_a_fresh_run(tmp_path_factory, steps) -> None:
    root = copy_sample(tmp_path_factory.mktemp("edits"))
    run_checks(load_workspace(root), cache=True)
    for which, n in steps:
        EDITS[which](root, n)
        cached_equals_fresh(root)
