"""Channel rules: LINE UTF-16 limits, SMS parts, ISO-2022-JP replacement or refusal."""
from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from kizuna.catalog.channels import sms_size
from kizuna.exports.channels import (channel_text, line_messages, sms_parts, to_iso2022jp,
                              utf16_units)
from kizuna.exports.errors import ChannelError

WHERE = "town 202029, message p10w-hello (ja)"


def test_utf16_units_count_astral_characters_twice() -> None:
    assert utf16_units("あい") == 2
    assert utf16_units("😀") == 2


def test_line_text_up_to_5000_units_is_one_message() -> None:
    assert line_messages("あ" * 5000) == ["あ" * 5000]


def test_line_splits_long_text_at_paragraphs() -> None:
    text = "あ" * 3000 + "\n\n" + "い" * 3000
    assert line_messages(text) == ["あ" * 3000, "い" * 3000]


def test_line_never_splits_a_surrogate_pair() -> None:
    chunks = line_messages("😀" * 2600)
    assert all(utf16_units(c) <= 5000 for c in chunks)
    assert "".join(chunks) == "😀" * 2600


def test_line_refuses_more_than_five_messages() -> None:
    with pytest.raises(ChannelError, match="town 202029, message p10w-hello.*at most 5"):
        line_messages("あ" * 25001, where=WHERE)


def test_sms_ucs2_70_alone_67_per_part() -> None:
    assert sms_parts("あ" * 70) == ("ucs2", ["あ" * 70])
    encoding, parts = sms_parts("あ" * 71)
    assert encoding == "ucs2" and [len(p) for p in parts] == [67, 4]
    assert len(sms_parts("あ" * 670)[1]) == 10


def test_sms_over_670_is_an_error_naming_the_message() -> None:
    with pytest.raises(ChannelError, match="p10w-hello.*671.*at most 670"):
        sms_parts("あ" * 671, where=WHERE)


def test_sms_gsm7_for_plain_english() -> None:
    assert sms_size("Hello, world")[0] == "gsm7"
    assert sms_parts("a" * 160)[1] == ["a" * 160]
    assert [len(p) for p in sms_parts("a" * 161)[1]] == [153, 8]
    assert sms_size("Hello 😀")[0] == "ucs2"


@settings(max_examples=60, deadline=None)
@given(st.text(min_size=1, max_size=670))
def test_sms_parts_rejoin_to_the_text_and_fit(text: str) -> None:
    try:
        encoding, parts = sms_parts(text)
    except ChannelError:
        return
    assert "".join(parts) == text
    if len(parts) > 1:
        limit = 153 if encoding == "gsm7" else 67
        cost = (lambda ch: 2 if ch in "^{}\\[~]|€\f" else 1) if encoding == "gsm7" else utf16_units
        assert all(sum(cost(ch) for ch in p) <= limit for p in parts)


def test_iso2022jp_leaves_encodable_text_alone() -> None:
    assert to_iso2022jp("こんにちは、世界。ＡＢＣ〜") == ("こんにちは、世界。ＡＢＣ〜", [])


@pytest.mark.parametrize("source, expected", [
    ("①②", "(1)(2)"), ("ｶﾞｷﾞ", "ガギ"), ("㈱", "(株)"), ("～", "〜"), ("－", "−"), ("№", "No"),
])
def test_iso2022jp_replacement_rule(source: str, expected: str) -> None:
    text, replacements = to_iso2022jp(f"前{source}後")
    assert text == f"前{expected}後"
    assert replacements == [(source, expected)]
    text.encode("iso2022_jp")


@pytest.mark.parametrize("bad", ["髙", "😀"])
def test_iso2022jp_refuses_what_it_cannot_replace(bad: str) -> None:
    with pytest.raises(ChannelError) as info:
        to_iso2022jp(f"一行目\n二{bad}行目", where=WHERE)
    message = str(info.value)
    assert "town 202029, message p10w-hello (ja)" in message
    assert f"'{bad}'" in message and "line 2, column 2" in message and "email_encoding: utf-8" in message


def test_channel_text_facts() -> None:
    assert channel_text("line", "あ😀").facts == {"messages": 1, "utf16_length": 3}
    assert channel_text("sms", "あ" * 71).facts == {"encoding": "ucs2", "parts": 2}
    email = channel_text("email", "①", email_encoding="iso-2022-jp")
    assert email.text == "(1)" and email.facts == {"charset": "iso-2022-jp", "replacements": [["①", "(1)"]]}
    assert channel_text("email", "①", email_encoding="utf-8").text == "①"
