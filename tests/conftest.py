"""Shared fixtures: the bundled sample workspace (copied, never touched in place) and a small
workspace builder for tests that need exact content."""
from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any, Callable

import pytest

# Tests assert the English text unless they choose Japanese themselves (tests/test_i18n.py);
# set before kizuna is imported so subprocesses started by tests inherit it too.
os.environ["KIZUNA_LANG"] = "en"

from kizuna.catalog import yamlio
from kizuna.catalog.workspace import Workspace, load_workspace
from kizuna.demo import sample_root

SMALL_CONFIG: dict[str, Any] = {
    "kizuna": 1,
    "source_locale": "ja",
    "locales": ["ja", "ja-easy", "en"],
    "policies": {
        "tiny": {"end_age": "1y", "segments": [
            {"from": "P8w", "to": "P12w", "every": "2w"},
            {"from": "B0d", "to": "B2d", "every": "1d"},
            {"from": "B1m", "until": "B1y", "every": "3m"},
        ]},
    },
}

SMALL_TOWN: dict[str, Any] = {
    "code": "202029", "name": "松本市", "prefecture": "長野県",
    "contacts": {"desk": "こども育成課（サンプル）", "phone": "000-0000-0001",
                 "hours": "平日 8:30〜17:15", "url": "https://matsumoto.example.jp/"},
    "services": {"consultation": "子育て相談（サンプル）"},
    "checkup_months": [4, 10], "send_time": "08:00", "channels": ["line", "sms"],
    "locales": ["ja", "en"], "policy": "tiny", "end_age": "1y",
    "blocks": {"B0d": "【松本市より】出生届は14日以内に提出できます。"},
}


def small_message(mid: str, stage: str, text: str, **extra: Any) -> dict[str, Any]:
    return {"id": mid, "stage": stage, "topics": ["daily-life"], "texts": {"ja": {"text": text}}, **extra}


@pytest.fixture
def sample_path(tmp_path: Path) -> Path:
    """A fresh copy of the bundled sample workspace."""
    target = tmp_path / "sample"
    shutil.copytree(sample_root(), target, ignore=shutil.ignore_patterns("out", ".ipynb_checkpoints"))
    return target


@pytest.fixture
def sample_ws(sample_path: Path) -> Workspace:
    return load_workspace(sample_path)


@pytest.fixture
def make_workspace(tmp_path: Path) -> Callable[..., Path]:
    """Build a small workspace: ``make_workspace(messages=[...], towns=[...], config=...)``."""

    def build(messages: list[dict[str, Any]] | None = None, towns: list[dict[str, Any]] | None = None,
              config: dict[str, Any] | None = None, roster: dict[str, Any] | None = None,
              name: str = "ws") -> Path:
        root = tmp_path / name
        (root / "messages").mkdir(parents=True)
        (root / "towns").mkdir()
        yamlio.write(root / "kizuna.yaml", config or SMALL_CONFIG)
        default_messages = [
            small_message("p08w-hello", "P8w", "妊娠8週です。体調に合わせて過ごしましょう。"),
            small_message("b00d-birth", "B0d", "ご出産おめでとうございます。"),
        ]
        for m in messages if messages is not None else default_messages:
            yamlio.write(root / "messages" / f"{m['id']}.yaml", m)
        for t in towns if towns is not None else [SMALL_TOWN]:
            yamlio.write(root / "towns" / f"{t['code']}.yaml", t)
        if roster is not None:
            yamlio.write(root / "roster.yaml", roster)
        return root

    return build
