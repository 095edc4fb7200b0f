"""The check after an import looks at what the import changed (messages, towns, coverage), and
reports the new errors it brought in."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from kizuna.authoring.importer import _copy, new_errors
from kizuna.catalog.messages import LocaleText
from kizuna.catalog.workspace import load_workspace


def test_an_edited_text_with_a_missing_field_is_reported(sample_path: Path) -> None:
    before = load_workspace(sample_path)
    after = _copy(before)
    assert new_errors(before, after) == []
    message = after.messages["b04m-hand-regard"]
    broken = message.text("ja") + "{{ town.services.no_such_service }}"
    after.messages["b04m-hand-regard"] = replace(message, texts={**message.texts, "ja": LocaleText(broken)})
    notes = new_errors(before, after)
    assert notes and all("b04m-hand-regard" in n and "template/variables" in n for n in notes[:4])


def test_a_moved_message_that_opens_a_gap_is_reported(sample_path: Path) -> None:
    before = load_workspace(sample_path)
    after = _copy(before)
    message = after.messages["b04m-hand-regard"]
    after.messages["b04m-hand-regard"] = replace(message, stage=message.stage.__class__.parse("B4m3d"))
    notes = new_errors(before, after)
    assert any("coverage/gap" in n for n in notes)
