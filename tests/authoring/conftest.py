"""Fixtures of the authoring tests: a small workspace with a roster and a sign-off policy, built
from explicit content (so committed fixture files keep matching it)."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import pytest

from kizuna.catalog import yamlio
from kizuna.catalog.workspace import Workspace, load_workspace

CONFIG: dict[str, Any] = {
    "kizuna": 1,
    "source_locale": "ja",
    "locales": ["ja", "en"],
    "review": {"always": {"editor": 1}, "default": {"obstetrician": 1}, "town": {"town_editor": 1}},
}

MESSAGES: list[dict[str, Any]] = [
    {"id": "p08w-hello", "stage": "P8w", "topics": ["daily-life"],
     "texts": {"ja": {"text": "妊娠8週です。体調に合わせて過ごしましょう。"},
               "en": {"text": "You are 8 weeks pregnant.", "source_hash": "0000000000000000"}}},
    {"id": "p12w-checkup", "stage": "P12w", "topics": ["checkup"],
     "texts": {"ja": {"text": "妊婦健診は4週に1回が目安です。\n{{ town.name }}の案内を見てみましょう。"}}},
    {"id": "b00d-birth", "stage": "B0d", "topics": ["daily-life"],
     "texts": {"ja": {"text": "ご出産おめでとうございます。"}}},
]

TOWN: dict[str, Any] = {
    "code": "202029", "name": "松本市", "prefecture": "長野県",
    "contacts": {"desk": "こども育成課（サンプル）", "phone": "000-0000-0001", "hours": "平日 8:30〜17:15"},
    "services": {"consultation": "子育て相談（サンプル）"},
    "send_time": "08:00", "channels": ["line", "sms"], "locales": ["ja", "en"], "end_age": "1y",
    "blocks": {"B0d": "【松本市より】出生届は14日以内に提出できます。",
               "P8w": {"ja": "【松本市より】母子手帳は市役所で受け取れます。", "en": "[Matsumoto] Get your handbook at city hall."}},
}

ROSTER: dict[str, Any] = {"reviewers": [
    {"id": "aoki", "name": "青木 花子", "roles": ["editor"]},
    {"id": "baba", "name": "馬場 次郎", "roles": ["editor"]},
    {"id": "doi", "name": "土井 医師", "roles": ["obstetrician"]},
    {"id": "endo", "name": "遠藤 市職員", "roles": ["town_editor"], "towns": ["202029"]},
]}


def build_workspace(root: Path, messages: list[dict[str, Any]] | None = None,
                    towns: list[dict[str, Any]] | None = None) -> Path:
    """Write the small authoring workspace into ``root`` (must not exist yet)."""
    (root / "messages").mkdir(parents=True)
    (root / "towns").mkdir()
    yamlio.write(root / "kizuna.yaml", CONFIG)
    for m in MESSAGES if messages is None else messages:
        yamlio.write(root / "messages" / f"{m['id']}.yaml", m)
    for t in [TOWN] if towns is None else towns:
        yamlio.write(root / "towns" / f"{t['code']}.yaml", t)
    yamlio.write(root / "roster.yaml", ROSTER)
    return root


@pytest.fixture
def ws_root(tmp_path: Path) -> Path:
    return build_workspace(tmp_path / "ws")


@pytest.fixture
def ws(ws_root: Path) -> Workspace:
    return load_workspace(ws_root)


@pytest.fixture
def reload(ws_root: Path) -> Callable[[], Workspace]:
    return lambda: load_workspace(ws_root)


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file of a workspace, for 'nothing changed' assertions."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and ".kizuna" not in p.relative_to(root).parts}  # .kizuna/: local state


@pytest.fixture(scope="session")
def files_of() -> Callable[[Path], dict[str, bytes]]:
    """``snapshot`` as a fixture (test modules cannot import conftest under importlib mode)."""
    return snapshot


@pytest.fixture(scope="session")
def build() -> Callable[..., Path]:
    """``build_workspace`` as a fixture."""
    return build_workspace
