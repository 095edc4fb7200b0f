"""The workspace store: loading validates and names file and field; saving is stable."""
from __future__ import annotations

import difflib
import shutil
import unicodedata
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from kizuna.catalog import yamlio
from kizuna.catalog.errors import WorkspaceError
from kizuna.catalog.hashing import content_hash, text_hash
from kizuna.catalog.messages import LocaleText, Message, message_from_data, message_to_data
from kizuna.catalog.stages import Stage
from kizuna.catalog.workspace import init_workspace, load_workspace
from tests.conftest import SMALL_CONFIG, SMALL_TOWN, small_message


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_small_workspace_loads(make_workspace: Callable[..., Path]) -> None:
    ws = load_workspace(make_workspace())
    assert list(ws.messages) == ["p08w-hello", "b00d-birth"]  # stage order
    town = ws.town("202029")
    assert town.name == "松本市" and town.block(Stage.parse("B0d"), "en").startswith("【松本市より】")
    assert [str(s) for s in ws.town_slots(town)] == ["P8w", "P10w", "P12w", "B0d", "B1d", "B2d", "B1m", "B4m", "B7m", "B10m"]


def test_save_then_load_round_trip_is_byte_identical(make_workspace: Callable[..., Path]) -> None:
    root = make_workspace()
    ws = load_workspace(root)
    ws.save_all()
    first = snapshot(root)
    again = load_workspace(root)
    assert again.messages == ws.messages and again.towns == ws.towns and again.config == ws.config
    again.save_all()
    assert snapshot(root) == first


def test_one_word_edit_is_a_one_line_diff(make_workspace: Callable[..., Path]) -> None:
    long_text = "妊娠8週です。\n体調に合わせて過ごしましょう。\n気になることは相談できます。"
    root = make_workspace(messages=[small_message("p08w-hello", "P8w", long_text)])
    ws = load_workspace(root)
    ws.save_message(ws.messages["p08w-hello"])
    path = root / "messages" / "p08w-hello.yaml"
    before = path.read_text(encoding="utf-8").splitlines()
    edited = ws.messages["p08w-hello"].with_text("ja", long_text.replace("相談", "ご相談"))
    ws.save_message(edited)
    after = path.read_text(encoding="utf-8").splitlines()
    changed = [l for l in difflib.unified_diff(before, after, lineterm="", n=0) if l[:1] in "+-" and l[:3] not in ("+++", "---")]
    assert len(changed) == 2  # one line removed, one added


texts = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1, max_size=80).filter(lambda t: t.strip() == t and t and unicodedata.normalize("NFC", t) == t)


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ja=texts, en=texts, notes=texts)
def test_message_file_round_trip(ja: str, en: str, notes: str) -> None:
    message = Message("m-1", Stage.parse("B2m"), {"ja": LocaleText(ja), "en": LocaleText(en, text_hash(ja))},
                      topics=("vaccination",), notes=notes)
    data = yamlio.loads(yamlio.dumps(message_to_data(message)), "m-1.yaml")
    assert message_from_data(data, "m-1.yaml") == message


def test_content_hash_changes_with_text_and_stage_only() -> None:
    m = Message("m", Stage.parse("B2m"), {"ja": LocaleText("こんにちは。")})
    assert m.content_hash("ja") == content_hash("B2m", "ja", "こんにちは。")
    assert m.content_hash("ja") == m.with_text("ja", "こんにちは。\r\n").content_hash("ja")
    assert m.content_hash("ja") != m.with_text("ja", "こんばんは。").content_hash("ja")
    assert m.content_hash("ja") != replace(m, stage=Stage.parse("B3m")).content_hash("ja")
    assert m.content_hash("ja") == replace(m, notes="x", topics=("a",)).content_hash("ja")


def test_translation_staleness() -> None:
    m = Message("m", Stage.parse("B2m"), {"ja": LocaleText("元の文。")})
    m = m.with_text("en", "Original.", source_locale="ja")
    assert not m.is_stale_translation("en", "ja")
    m = m.with_text("ja", "変えた文。")
    assert m.is_stale_translation("en", "ja")


def test_init_creates_a_loading_git_workspace(tmp_path: Path) -> None:
    ws = init_workspace(tmp_path / "new")
    assert ws.messages == {} and (tmp_path / "new" / "kizuna.yaml").is_file()
    assert (tmp_path / "new" / ".git").is_dir() or shutil.which("git") is None
    with pytest.raises(WorkspaceError, match="already"):
        init_workspace(tmp_path / "new")


BAD_CASES: list[tuple[str, Callable[[Path], None], str, str | None]] = [
    ("yaml syntax", lambda r: (r / "messages" / "p08w-hello.yaml").write_text("id: [unclosed\n", encoding="utf-8"), "p08w-hello.yaml", None),
    ("not utf-8", lambda r: (r / "messages" / "p08w-hello.yaml").write_bytes("id: あ".encode("shift_jis")), "UTF-8", None),
    ("duplicate key", lambda r: (r / "messages" / "p08w-hello.yaml").write_text("id: a\nid: b\n", encoding="utf-8"), "duplicate key", None),
    ("unknown stage", lambda r: yamlio.write(r / "messages" / "x.yaml", small_message("x", "P12x", "あ")), "x.yaml", "stage"),
    ("missing text", lambda r: yamlio.write(r / "messages" / "x.yaml", {"id": "x", "stage": "B1d", "texts": {"ja": {}}}), "x.yaml", "texts.ja.text"),
    ("bad id", lambda r: yamlio.write(r / "messages" / "x.yaml", small_message("Bad Id", "B1d", "あ")), "x.yaml", "id"),
    ("unknown field", lambda r: yamlio.write(r / "messages" / "x.yaml", small_message("x", "B1d", "あ", colour="red")), "x.yaml", None),
    ("unknown locale", lambda r: yamlio.write(r / "messages" / "x.yaml", {"id": "x", "stage": "B1d", "texts": {"fr": {"text": "a"}}}), "x.yaml", "texts.fr"),
    ("duplicate ids", lambda r: yamlio.write(r / "messages" / "copy.yaml", small_message("p08w-hello", "P9w", "あ")), "duplicate message id 'p08w-hello'", "id"),
    ("wrong check digit", lambda r: yamlio.write(r / "towns" / "202029.yaml", {**SMALL_TOWN, "code": "202028"}), "check digit", "code"),
    ("code not official", lambda r: yamlio.write(r / "towns" / "202029.yaml", {**SMALL_TOWN, "code": "209996"}), "official list", "code"),
    ("unquoted code", lambda r: (r / "towns" / "202029.yaml").write_text(yamlio.dumps({**SMALL_TOWN}).replace("'202029'", "202029"), encoding="utf-8"), "quotes", "code"),
    ("wrong name", lambda r: yamlio.write(r / "towns" / "202029.yaml", {**SMALL_TOWN, "name": "松本町"}), "official name", "name"),
    ("unknown policy", lambda r: yamlio.write(r / "towns" / "202029.yaml", {**SMALL_TOWN, "policy": "weekly"}), "unknown cadence policy 'weekly'", "policy"),
    ("bad send time", lambda r: yamlio.write(r / "towns" / "202029.yaml", {**SMALL_TOWN, "send_time": "25:00"}), "202029.yaml", "send_time"),
    ("unknown channel", lambda r: yamlio.write(r / "towns" / "202029.yaml", {**SMALL_TOWN, "channels": ["fax"]}), "fax", "channels"),
    ("bad block stage", lambda r: yamlio.write(r / "towns" / "202029.yaml", {**SMALL_TOWN, "blocks": {"B0x": "a"}}), "202029.yaml", "blocks.B0x"),
    ("suppress unknown", lambda r: yamlio.write(r / "towns" / "202029.yaml", {**SMALL_TOWN, "suppress": ["nope"]}), "nope", "suppress"),
    ("bad policy", lambda r: yamlio.write(r / "kizuna.yaml", {"kizuna": 1, "policies": {"p": {"segments": [{"from": "B0d", "every": "1d"}]}}}), "kizuna.yaml", "policies.p.segments[0]"),
    ("fallback cycle", lambda r: yamlio.write(r / "kizuna.yaml", {**SMALL_CONFIG, "fallbacks": {"en": "ja-easy", "ja-easy": "en"}}), "circle", "fallbacks"),
    ("fallback unknown", lambda r: yamlio.write(r / "kizuna.yaml", {**SMALL_CONFIG, "fallbacks": {"fr": "ja"}}), "not in locales", "fallbacks"),
    ("future format", lambda r: yamlio.write(r / "kizuna.yaml", {"kizuna": 9}), "not supported", "kizuna"),
    ("bad role", lambda r: yamlio.write(r / "roster.yaml", {"reviewers": [{"id": "a", "name": "A", "roles": ["wizard"]}]}), "wizard", "reviewers[0].roles"),
]


@pytest.mark.parametrize(("case", "breaker", "text", "field"), BAD_CASES, ids=[c[0] for c in BAD_CASES])
def test_broken_files_name_file_and_field_and_write_nothing(
        make_workspace: Callable[..., Path], case: str, breaker: Callable[[Path], None], text: str,
        field: str | None) -> None:
    root = make_workspace()
    breaker(root)
    before = snapshot(root)
    with pytest.raises(WorkspaceError) as info:
        load_workspace(root)
    assert text in str(info.value)
    if field:
        assert info.value.field == field
    assert info.value.path is not None
    assert snapshot(root) == before


def test_missing_config_is_not_a_workspace(tmp_path: Path) -> None:
    with pytest.raises(WorkspaceError, match="kizuna.yaml is missing"):
        load_workspace(tmp_path)


def test_town_view_applies_suppression_and_local_messages(make_workspace: Callable[..., Path]) -> None:
    local = small_message("202029-local", "B0d", "【松本市】地域のお知らせです。")
    town: dict[str, Any] = {**SMALL_TOWN, "suppress": ["b00d-birth"], "local_messages": [local]}
    ws = load_workspace(make_workspace(towns=[town]))
    ids = [m.id for m in ws.town_messages(ws.town("202029"))]
    assert ids == ["p08w-hello", "202029-local"]
    assert ws.message("202029-local").town == "202029"


def test_fallback_chain_picks_the_first_locale_with_a_text(make_workspace: Callable[..., Path]) -> None:
    root = make_workspace(config={**SMALL_CONFIG, "fallbacks": {"en": "ja-easy", "ja-easy": "ja"}})
    ws = load_workspace(root)
    m = ws.messages["p08w-hello"]
    assert ws.config.locale_chain("en") == ["en", "ja-easy", "ja"]
    assert ws.config.text_locale(m, "en") == "ja"
    m = m.with_text("ja-easy", "にんしん8しゅうです。", source_locale="ja")
    assert ws.config.text_locale(m, "en") == "ja-easy"
    assert ws.config.text_locale(m, "ja") == "ja"
    ws.save_config()
    assert load_workspace(root).config.fallbacks == {"en": "ja-easy", "ja-easy": "ja"}


def test_texts_are_kept_normalised_so_files_stay_literal_blocks(make_workspace: Callable[..., Path]) -> None:
    root = make_workspace()
    ws = load_workspace(root)
    edited = ws.messages["p08w-hello"].with_text("ja", "一行目  \r\n二行目\u3000\n")
    assert edited.text("ja") == "一行目\n二行目"
    ws.save_message(edited)
    assert "text: |-\n      一行目\n      二行目\n" in (root / "messages" / "p08w-hello.yaml").read_text(encoding="utf-8")
