"""Fixtures for the exports tests: small workspaces written into tmp folders, and a stand-in for
the sign-off status (so a test says exactly what is approved)."""
from __future__ import annotations

import copy
import hashlib
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Callable

import pytest

from kizuna.catalog import yamlio
from kizuna.catalog.hashing import text_hash
from kizuna.catalog.workspace import Workspace, load_workspace

CONFIG: dict[str, Any] = {"kizuna": 1, "title": "test", "source_locale": "ja", "locales": ["ja", "en"]}

MESSAGES: list[dict[str, Any]] = [
    {"id": "p10w-hello", "stage": "P10w", "texts": {
        "ja": {"text": "妊娠10週のメッセージです。\n{{ town.name }}からのお知らせもあります。"},
        "en": {"text": "Week 10 message from {{ town.name }}.",
               "source_hash": text_hash("妊娠10週のメッセージです。\n{{ town.name }}からのお知らせもあります。")}}},
    {"id": "p10w-second", "stage": "P10w", "texts": {"ja": {"text": "同じ日の2通目です。"}}},
    {"id": "p40w-due", "stage": "P40w", "texts": {"ja": {"text": "予定日です。"}}},
    {"id": "p41w-late", "stage": "P41w", "texts": {"ja": {"text": "予定日を過ぎました。"}}},
    {"id": "b0d-born", "stage": "B0d", "texts": {
        "ja": {"text": "ご出産おめでとうございます。"},
        "en": {"text": "Congratulations.", "source_hash": text_hash("ご出産おめでとうございます。")}}},
    {"id": "b1m-month", "stage": "B1m", "texts": {"ja": {"text": "生後1か月です。"}}},
    {"id": "b1y6m-checkup", "stage": "B1y6m", "texts": {"ja": {"text": "1歳6か月児健診の時期です。"}}},
    {"id": "b3y-after-end", "stage": "B3y", "texts": {"ja": {"text": "3歳になりました。"}}},
]

TOWNS: list[dict[str, Any]] = [
    {"code": "202029", "name": "松本市", "contacts": {"desk": "こども課", "phone": "000-0000-0001"},
     "send_time": "08:00", "channels": ["line", "email"], "email_encoding": "iso-2022-jp",
     "backend": "csv", "locales": ["ja", "en"],
     "blocks": {"P10w": "【松本市より】窓口は{{ town.contacts.desk }}（{{ town.contacts.phone }}）です。",
                "B2y": "【松本市より】使われないブロックです。"}},
    {"code": "131121", "name": "世田谷区", "contacts": {"desk": "健康づくり課"}, "send_time": "07:30",
     "channels": ["line", "sms"], "backend": "rapidpro", "locales": ["ja"],
     "suppress": ["p41w-late"],
     "local_messages": [{"id": "b2m-setagaya-local", "stage": "B2m",
                         "texts": {"ja": {"text": "世田谷区の予防接種のご案内です。"}}}]},
    {"code": "264652", "name": "与謝野町", "contacts": {"desk": "子育て応援課"}, "send_time": "09:00",
     "channels": ["email"], "email_encoding": "utf-8", "backend": "xlsx", "locales": ["ja"]},
    {"code": "473243", "name": "読谷村", "contacts": {"desk": "健康推進課"}, "send_time": "08:15",
     "channels": ["sms", "line"], "backend": "ndjson", "locales": ["ja"]},
]

ROSTER = {"reviewers": [
    {"id": "ed", "name": "編集 太郎", "roles": ["editor"]},
    {"id": "matsu", "name": "松本 花子", "roles": ["town_editor"], "towns": ["202029"]},
]}


def write_workspace(root: Path, *, messages: list[dict[str, Any]] | None = None,
                    towns: list[dict[str, Any]] | None = None,
                    config: dict[str, Any] | None = None) -> Path:
    """A workspace folder from plain data (defaults: the module's small catalog)."""
    root.mkdir(parents=True, exist_ok=True)
    yamlio.write(root / "kizuna.yaml", config or CONFIG)
    codes = {t["code"] for t in (TOWNS if towns is None else towns)}
    yamlio.write(root / "roster.yaml", {"reviewers": [
        r for r in ROSTER["reviewers"] if set(r.get("towns", [])) <= codes]})
    (root / "messages").mkdir(exist_ok=True)
    (root / "towns").mkdir(exist_ok=True)
    for m in copy.deepcopy(MESSAGES if messages is None else messages):
        yamlio.write(root / "messages" / f"{m['id']}.yaml", m)
    for t in copy.deepcopy(TOWNS if towns is None else towns):
        yamlio.write(root / "towns" / f"{t['code']}.yaml", t)
    return root


def all_keys(ws: Workspace) -> list[tuple[str, str]]:
    """Every sign-off item of a workspace: messages and town blocks, per locale."""
    keys = [(m.id, loc) for m in ws.messages.values() for loc in m.texts]
    for town in ws.towns.values():
        keys += [(m.id, loc) for m in town.local_messages for loc in m.texts]
        keys += [(f"town:{town.code}:{stage}", loc) for stage, by in town.blocks.items() for loc in by]
    return keys


def status_of(state: str, key: tuple[str, str]) -> SimpleNamespace:
    ref = hashlib.sha256(repr(key).encode()).hexdigest() if state == "approved" else None
    return SimpleNamespace(state=state, approval_ref=ref, current_hash="0" * 16)


@pytest.fixture
def ws_root(tmp_path: Path) -> Path:
    return write_workspace(tmp_path / "ws")


@pytest.fixture
def ws(ws_root: Path) -> Workspace:
    return load_workspace(ws_root)


@pytest.fixture
def signoff(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """``signoff(default="approved", overrides={(id, locale): state})`` sets the sign-off status the
    exports see (through the one function that calls review.signoff)."""

    def set_states(default: str = "approved", overrides: dict[tuple[str, str], str] | None = None) -> None:
        overrides = overrides or {}

        def fake(workspace: Workspace, now: Any) -> dict[tuple[str, str], SimpleNamespace]:
            return {k: status_of(overrides.get(k, default), k) for k in all_keys(workspace)}

        monkeypatch.setattr("kizuna.exports.approval.signoff_status", fake)

    set_states()
    return set_states
