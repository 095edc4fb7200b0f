"""kizuna speaks Japanese to Japanese users: every marked text has a Japanese translation, the
compiled catalog matches its source, and the language follows the locale (or ``--lang``)."""
from __future__ import annotations

import gettext
import io
import string
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from click.testing import CliRunner

from kizuna.catalog import i18n
from kizuna.cli import main
from tests.conftest import small_message

ROOT = Path(__file__).resolve().parents[1]
PO = i18n.LOCALE_DIR / "ja" / "LC_MESSAGES" / "kizuna.po"
MO = PO.with_suffix(".mo")


def _source_folders() -> list[str]:
    """The folders babel.cfg extracts from (``[python: catalog/**.py]`` gives ``catalog``)."""
    folders = []
    for line in (ROOT / "babel.cfg").read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line.startswith("[python:") and line.endswith("]"):
            folders.append(line[len("[python:"):-1].strip().split("/")[0])
    return folders


def _marked_texts() -> set[str]:
    keywords = {"_": None, "N_": None, "ngettext": (1, 2)}
    found: set[str] = set()
    for folder in _source_folders():
        for _file, _line, message, _comments, _context in extract_from_dir(
                str(ROOT / folder), method_map=[("**.py", "python")], keywords=keywords, comment_tags=()):
            found.add(message[0] if isinstance(message, tuple) else message)
    return found


@pytest.fixture(scope="module")
def japanese_catalog():
    with PO.open("rb") as handle:
        return read_po(handle, locale="ja")


def test_every_marked_text_has_a_japanese_translation(japanese_catalog) -> None:
    marked = _marked_texts()
    assert marked, "no marked text found: is babel.cfg right?"
    missing = sorted(m for m in marked if not (japanese_catalog.get(m) and japanese_catalog.get(m).string))
    assert not missing, "no Japanese in kizuna.po for (run `make messages`, then translate):\n" + "\n".join(missing)
    fuzzy = sorted(m.id for m in japanese_catalog if m.id and m.fuzzy)
    assert not fuzzy, f"fuzzy (unchecked) translations: {fuzzy}"


def _fields(text: str) -> set[str]:
    return {name for _lit, name, _spec, _conv in string.Formatter().parse(text) if name is not None}


def test_translations_keep_every_field_of_the_english(japanese_catalog) -> None:
    wrong = [(m.id, m.string) for m in japanese_catalog
             if m.id and m.string and isinstance(m.id, str) and _fields(m.id) != _fields(m.string)]
    assert not wrong, f"a translation drops or invents a {{field}}: {wrong}"


def test_compiled_catalog_is_up_to_date(japanese_catalog) -> None:
    fresh = io.BytesIO()
    write_mo(fresh, japanese_catalog)
    fresh.seek(0)
    expected = gettext.GNUTranslations(fresh)
    with MO.open("rb") as handle:
        shipped = gettext.GNUTranslations(handle)
    assert shipped._catalog == expected._catalog, "kizuna.mo is stale: run `make messages`"  # type: ignore[attr-defined]


@pytest.mark.parametrize(("environ", "language"), [
    ({}, "en"),
    ({"LANG": "ja_JP.UTF-8"}, "ja"),
    ({"LANG": "C.UTF-8"}, "en"),
    ({"LANG": "en_US.UTF-8", "LC_ALL": "ja_JP.UTF-8"}, "ja"),
    ({"LANGUAGE": "en:ja", "LANG": "ja_JP.UTF-8"}, "en"),
    ({"LC_ALL": "", "LANG": "ja"}, "ja"),
    ({"KIZUNA_LANG": "en", "LANG": "ja_JP.UTF-8"}, "en"),
    ({"KIZUNA_LANG": "ja", "LANG": "C"}, "ja"),
])
def test_language_follows_the_locale(environ: dict[str, str], language: str) -> None:
    assert i18n.language_from_environment(environ) == language


def test_the_current_language_follows_the_environment_as_it_changes(monkeypatch) -> None:
    """current_language remembers what each combination of the variables gives (it is asked
    for every translated text): a change of the environment still changes the language."""
    for name in ("KIZUNA_LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    i18n.set_language(None)
    assert i18n.current_language() == "en"
    monkeypatch.setenv("LANG", "ja_JP.UTF-8")
    assert i18n.current_language() == "ja"
    monkeypatch.setenv("KIZUNA_LANG", "en")
    assert i18n.current_language() == "en"
    monkeypatch.delenv("KIZUNA_LANG")
    assert i18n.current_language() == "ja"
    i18n.set_language("en")
    assert i18n.current_language() == "en"
    i18n.set_language(None)


@pytest.fixture
def bad_stage_workspace(make_workspace) -> Path:  # noqa: ANN001
    return make_workspace(messages=[small_message("b00d-hello", "7日目", "こんにちは。")])


def _check(root: Path, *args: str, env: dict[str, str]) -> tuple[int, str]:
    result = CliRunner().invoke(main, [*args, "-w", str(root), "check"], env=env)
    i18n.set_language(None)
    return result.exit_code, result.output


def test_a_japanese_user_gets_the_error_in_japanese_with_what_to_do(bad_stage_workspace: Path) -> None:
    code, output = _check(bad_stage_workspace, env={"KIZUNA_LANG": "", "LANG": "ja_JP.UTF-8"})
    assert code == 2
    assert "エラー" in output and "時期の書き方ではありません" in output and "B45d（生後45日）" in output
    assert "7日目" in output and "b00d-hello.yaml" in output


def test_lang_option_overrides_the_locale(bad_stage_workspace: Path) -> None:
    code, output = _check(bad_stage_workspace, "--lang", "en", env={"KIZUNA_LANG": "", "LANG": "ja_JP.UTF-8"})
    assert code == 2
    assert "is not a stage" in output and "エラー" not in output
    code, output = _check(bad_stage_workspace, "--lang", "ja", env={"KIZUNA_LANG": "en"})
    assert "時期の書き方ではありません" in output
