"""The pure merge rules: three hashes in, one verdict out; and the pure edits of catalog objects."""
from __future__ import annotations

from hypothesis import given, strategies as st

from kizuna.catalog.messages import LocaleText, Message
from kizuna.catalog.stages import Stage
from kizuna.catalog.towns import Town
from kizuna.authoring.merge import (ImportReport, Proposal, Target, Verdict, clean_text, edit_message, edit_town,
                             formula_like, strip_controls, three_way, unit_hash, with_local_message)

hashes = st.one_of(st.none(), st.sampled_from(["a" * 16, "b" * 16, "c" * 16]))


def test_the_table() -> None:
    A, B, C = "a" * 16, "b" * 16, "c" * 16
    assert three_way(A, A, B) is Verdict.UNCHANGED      # not edited in the view
    assert three_way(A, B, A) is Verdict.APPLIED        # edited on a current base
    assert three_way(A, B, C) is Verdict.CONFLICT       # base changed meanwhile
    assert three_way(A, B, B) is Verdict.UNCHANGED      # already there (re-import)
    assert three_way(None, B, None) is Verdict.APPLIED  # new
    assert three_way(None, B, C) is Verdict.CONFLICT    # someone added another meanwhile
    assert three_way(A, None, A) is Verdict.APPLIED     # deleted
    assert three_way(A, None, C) is Verdict.CONFLICT    # deleted, but changed meanwhile
    assert three_way(A, None, None) is Verdict.UNCHANGED


@given(hashes, hashes, hashes)
def test_never_overwrites_a_change_made_meanwhile(base: str | None, edited: str | None, current: str | None) -> None:
    verdict = three_way(base, edited, current)
    if verdict is Verdict.APPLIED:
        assert current == base and edited != base
    if current not in (base, edited) and edited != base:
        assert verdict is Verdict.CONFLICT


@given(hashes, hashes, hashes)
def test_applying_twice_changes_nothing_more(base: str | None, edited: str | None, current: str | None) -> None:
    if three_way(base, edited, current) is Verdict.APPLIED:
        assert three_way(base, edited, edited) is Verdict.UNCHANGED


def _message() -> Message:
    return Message("p8", Stage.parse("P8w"), {"ja": LocaleText("本文"), "en": LocaleText("text", "x" * 16)})


def test_message_hash_is_the_approval_hash() -> None:
    m = _message()
    assert unit_hash(Target("message", "p8", "ja"), "P8w", "本文") == m.content_hash("ja")


def test_edit_message_text_stage_and_translation() -> None:
    m = _message()
    edited = edit_message(m, Proposal(Target("message", "p8", "ja"), "h", "新しい本文", "x", stage="P9w"), "ja")
    assert edited is not None and edited.text("ja") == "新しい本文" and str(edited.stage) == "P9w"
    assert edited.texts["en"].source_hash == "x" * 16
    tr = edit_message(m, Proposal(Target("message", "p8", "en"), "h", "new", "x", stage="P8w",
                                  source_hash="s" * 16), "ja")
    assert tr is not None and tr.texts["en"] == LocaleText("new", "s" * 16)


def test_delete_and_create() -> None:
    m = _message()
    assert edit_message(m, Proposal(Target("message", "p8", "ja"), "h", None, "x"), "ja") is None
    only_ja = edit_message(m, Proposal(Target("message", "p8", "en"), "h", None, "x"), "ja")
    assert only_ja is not None and only_ja.locales == ["ja"]
    new = edit_message(None, Proposal(Target("message", "n1", "ja"), None, "新", "x", stage="B2m", topics=("a",)), "ja")
    assert new == Message("n1", Stage.parse("B2m"), {"ja": LocaleText("新")}, topics=("a",))


def test_edit_town_blocks_and_profile() -> None:
    town = Town("202029", "松本市", "長野県", {"phone": "1"}, blocks={Stage.parse("B0d"): {"ja": "x"}})
    t = edit_town(town, Proposal(Target("block", "202029", "ja", "B1d"), None, "new", "w"))
    assert t.blocks[Stage.parse("B1d")] == {"ja": "new"}
    t = edit_town(t, Proposal(Target("block", "202029", "ja", "B0d"), "h", None, "w"))
    assert Stage.parse("B0d") not in t.blocks
    t = edit_town(t, Proposal(Target("profile", "202029", None, "contacts.url"), None, "https://x", "w"))
    assert t.contacts == {"phone": "1", "url": "https://x"}
    local = Message("l1", Stage.parse("B1d"), {"ja": LocaleText("地域")}, town="202029")
    assert with_local_message(t, "l1", local).local_messages == (local,)
    assert with_local_message(with_local_message(t, "l1", local), "l1", None).local_messages == ()


def test_cleaning() -> None:
    assert strip_controls("a\x07b\r\nc\x1b") == ("ab\nc", ["U+0007", "U+001B"])
    assert strip_controls("tab\tok\n") == ("tab\tok\n", [])
    assert clean_text("\ufefftab\tok\x07") == ("tab ok", ["removed control characters U+0007",
                                                          "replaced TAB by a space", "removed U+FEFF"])
    assert clean_text("普通の文\n二行目") == ("普通の文\n二行目", [])
    assert all(formula_like(s) for s in ("=1+1", "+81", "-x", "@SUM"))
    assert not formula_like("「=」")


def test_report_summary() -> None:
    r = ImportReport("f.xlsx")
    r.add(Verdict.APPLIED, "row 2", "x")
    r.add(Verdict.UNCHANGED, "row 3", "y")
    assert r.summary() == "f.xlsx: 1 applied, 0 conflicted, 0 refused, 1 unchanged"
    assert len(r.render()) == 2 and len(r.render(verbose=True)) == 3
