"""Rendering per town and locale: suppressions, local messages, end age, approval, blocks and
strict, sandboxed templates."""
from __future__ import annotations

from pathlib import Path

import pytest

from kizuna.catalog.errors import TemplateError
from kizuna.catalog.workspace import Workspace, load_workspace
from kizuna.exports.approval import approvals
from kizuna.exports.model import UNAPPROVED_MARK
from kizuna.exports.render import town_catalog

from .conftest import MESSAGES, TOWNS, write_workspace


def catalog_of(ws: Workspace, code: str, locale: str = "ja", **kw):
    return town_catalog(ws, ws.town(code), locale, approvals(ws), **kw)


def ids(catalog) -> list[str]:
    return [e.message_id for e in catalog.entries]


def test_suppressions_local_messages_and_end_age(ws: Workspace, signoff) -> None:
    setagaya = catalog_of(ws, "131121")
    assert "p41w-late" not in ids(setagaya)          # suppressed by the town
    assert "b2m-setagaya-local" in ids(setagaya)     # the town's own message, in stage order
    assert ids(setagaya).index("b1m-month") < ids(setagaya).index("b2m-setagaya-local")
    assert "b3y-after-end" not in ids(setagaya)      # at the end age (3y): not sent
    assert setagaya.left_out == {"after_end_age": 1}
    local = next(e for e in setagaya.entries if e.message_id == "b2m-setagaya-local")
    assert local.source == "local"


def test_templates_see_the_town_profile(ws: Workspace, signoff) -> None:
    matsumoto = catalog_of(ws, "202029")
    first = matsumoto.entries[0]
    assert first.text.startswith("妊娠10週のメッセージです。\n松本市からのお知らせもあります。")
    assert first.text.endswith("\n\n【松本市より】窓口はこども課（000-0000-0001）です。")


def test_block_goes_with_the_first_message_of_its_stage_only(ws: Workspace, signoff) -> None:
    entries = {e.message_id: e for e in catalog_of(ws, "202029").entries}
    assert entries["p10w-hello"].has_block and not entries["p10w-second"].has_block
    assert "【松本市より】" not in entries["p10w-second"].text


def test_unused_block_is_a_warning(ws: Workspace, signoff) -> None:
    warnings = catalog_of(ws, "202029").warnings
    assert any("B2y" in w and "not sent" in w for w in warnings)


def test_untranslated_messages_are_left_out(ws: Workspace, signoff) -> None:
    en = catalog_of(ws, "202029", "en")
    assert ids(en) == ["p10w-hello", "b0d-born"]
    assert en.left_out["untranslated"] == 5
    # the block has no English text: the source-locale block is used
    assert en.entries[0].text.endswith("【松本市より】窓口はこども課（000-0000-0001）です。")


def test_unapproved_left_out_by_default_and_marked_when_included(ws: Workspace, signoff) -> None:
    signoff(overrides={("p40w-due", "ja"): "in_review"})
    assert "p40w-due" not in ids(catalog_of(ws, "202029"))
    assert catalog_of(ws, "202029").left_out["unapproved"] == 1
    preview = catalog_of(ws, "202029", include_unapproved=True)
    entry = next(e for e in preview.entries if e.message_id == "p40w-due")
    assert not entry.approved and entry.approval.status == "in_review"
    assert entry.delivered_text.startswith(UNAPPROVED_MARK)
    assert all(ct.text.startswith(UNAPPROVED_MARK) for ct in entry.channels.values())
    assert not entry.text.startswith(UNAPPROVED_MARK)


def test_unapproved_block_is_not_attached(ws: Workspace, signoff) -> None:
    signoff(overrides={("town:202029:P10w", "ja"): "draft"})
    catalog = catalog_of(ws, "202029")
    assert not catalog.entries[0].has_block
    assert catalog.left_out["unapproved_block"] == 1
    preview = catalog_of(ws, "202029", include_unapproved=True).entries[0]
    assert preview.has_block and not preview.approved and preview.approval.approved
    assert preview.delivered_text.startswith(UNAPPROVED_MARK)


def test_approval_reference_is_the_decision_digest(ws: Workspace, signoff) -> None:
    entry = catalog_of(ws, "202029").entries[0]
    assert entry.approval.ref and entry.approval.ref.startswith("decision:")
    assert entry.block_approval is not None and entry.block_approval.approved


def test_missing_field_names_town_message_and_field(tmp_path: Path, signoff) -> None:
    towns = [dict(TOWNS[0], blocks={"P10w": "電話は{{ town.contacts.fax }}へ"})]
    ws = load_workspace(write_workspace(tmp_path / "w", towns=towns))
    with pytest.raises(TemplateError) as info:
        catalog_of(ws, "202029")
    message = str(info.value)
    assert "town 202029" in message and "p10w-hello" in message and "town.contacts.fax" in message


def test_templates_cannot_reach_python_internals(tmp_path: Path, signoff) -> None:
    messages = [dict(MESSAGES[0], texts={"ja": {"text": "{{ town.name.__class__.__mro__ }}"}})]
    ws = load_workspace(write_workspace(tmp_path / "w", messages=messages, towns=[TOWNS[2]]))
    with pytest.raises(TemplateError, match="town 264652, message p10w-hello"):
        catalog_of(ws, "264652")


def test_locale_fallbacks_send_the_fallback_text_under_its_own_approval(tmp_path: Path, signoff) -> None:
    config = {"kizuna": 1, "source_locale": "ja", "locales": ["ja", "en"], "fallbacks": {"en": "ja"}}
    ws = load_workspace(write_workspace(tmp_path / "w", config=config))
    signoff(overrides={("p40w-due", "ja"): "draft", ("p40w-due", "en"): "approved"})
    en = catalog_of(ws, "202029", "en")
    by_id = {e.message_id: e for e in en.entries}
    assert by_id["p10w-hello"].text_locale == "en" and by_id["b1m-month"].text_locale == "ja"
    assert by_id["b1m-month"].text == "生後1か月です。"
    assert "p40w-due" not in by_id            # its ja text (the one sent) is not approved
    assert "untranslated" not in en.left_out and en.left_out["unapproved"] == 1


def test_broken_template_in_text_not_signed_off_is_still_an_error(tmp_path: Path, signoff) -> None:
    """A town editor's broken block is found when it is written, not on the day it is approved:
    the block (edited, so not signed off) is not attached, but the export still refuses it."""
    towns = [dict(TOWNS[0], blocks={"P10w": "電話は{{ town.contacts.fax }}へ"})]
    ws = load_workspace(write_workspace(tmp_path / "w", towns=towns))
    signoff(overrides={("town:202029:P10w", "ja"): "stale"})
    with pytest.raises(TemplateError, match=r"town 202029, message p10w-hello \(ja\), town block: .*town.contacts.fax"):
        catalog_of(ws, "202029")
    # a message not signed off, with a broken template
    messages = [*MESSAGES, {"id": "b2m-draft", "stage": "B2m", "texts": {"ja": {"text": "{{ town.contacts.fax }}"}}}]
    ws = load_workspace(write_workspace(tmp_path / "w2", messages=messages, towns=[TOWNS[2]]))
    signoff(overrides={("b2m-draft", "ja"): "draft"})
    with pytest.raises(TemplateError, match=r"town 264652, message b2m-draft \(ja\).*town.contacts.fax"):
        catalog_of(ws, "264652")


def test_broken_block_with_no_message_at_its_stage_is_an_error(tmp_path: Path, signoff) -> None:
    towns = [dict(TOWNS[0], blocks={"B5d": "{{ town.contacts.fax }}"})]
    ws = load_workspace(write_workspace(tmp_path / "w", towns=towns))
    with pytest.raises(TemplateError, match=r"town 202029, message town:202029:B5d \(ja\), town block"):
        catalog_of(ws, "202029")


def test_templates_cannot_change_the_town_profile_other_messages_read(tmp_path: Path, signoff) -> None:
    """Jinja2's sandbox lets a template call dict.update; the profile handed to templates is
    read-only, so a block cannot rewrite the phone number that later messages print."""
    messages = [dict(MESSAGES[0], texts={"ja": {"text": "窓口：{{ town.contacts.desk }}"}}),
                {"id": "b0d-born", "stage": "B0d", "texts": {"ja": {"text": "窓口：{{ town.contacts.desk }}"}}}]
    for block in ("{{ town.contacts.update(desk='偽の窓口') }}", "{{ town.checkup_months.append(99) }}"):
        towns = [dict(TOWNS[0], checkup_months=[4, 10], blocks={"P10w": "【松本市より】" + block})]
        ws = load_workspace(write_workspace(tmp_path / "w", messages=messages, towns=towns))
        with pytest.raises(TemplateError, match="town 202029, message p10w-hello"):
            catalog_of(ws, "202029")
    towns = [dict(TOWNS[0], blocks={})]
    ws = load_workspace(write_workspace(tmp_path / "ok", messages=messages, towns=towns))
    assert [e.text for e in catalog_of(ws, "202029").entries] == ["窓口：こども課", "窓口：こども課"]


def test_unsent_block_warning_names_the_message_waiting_for_sign_off(ws: Workspace, signoff) -> None:
    signoff(overrides={("p10w-hello", "ja"): "draft", ("p10w-second", "ja"): "stale"})
    warnings = catalog_of(ws, "202029").warnings
    assert any("P10w" in w and "(p10w-hello, p10w-second) is not signed off" in w for w in warnings)
    assert any("B2y" in w and "no message is sent at that stage" in w for w in warnings)
