"""A Japanese writer or town editor meets every kind of error in Japanese that says what to do:
the catalog readers, notebook and workbook import, exports, survey import, JupyterLab's save,
schema violations (never the schema's pattern) and click's own usage errors; English users keep
the English text."""
from __future__ import annotations

import asyncio
import copy
import gettext
import io
import json
import re
from pathlib import Path
from typing import Any, Iterator

import jsonschema
import nbformat
import openpyxl
import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from click.testing import CliRunner
from tornado import web

from kizuna.authoring.notebooks import write_notebooks
from kizuna.authoring.workbooks import REVIEW, write_workbook
from kizuna.catalog import i18n, yamlio
from kizuna.catalog.schema_text import explain_at
from kizuna.catalog.workspace import load_workspace
from kizuna.cli import main
from kizuna.lab.contents import KizunaContentsManager
from tests.conftest import small_message

JA = {"KIZUNA_LANG": "ja"}
CLICK_PO = i18n.LOCALE_DIR / "ja" / "LC_MESSAGES" / "click.po"


@pytest.fixture(autouse=True)
def _back_to_the_environment() -> Iterator[None]:
    yield
    i18n.set_language(None)


def kizuna(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), env=env or JA)
    i18n.set_language(None)
    return result.exit_code, result.output


# --- catalog readers ------------------------------------------------------------------------------------

def test_a_message_file_named_after_another_id_is_explained_in_japanese(make_workspace) -> None:  # noqa: ANN001
    root = make_workspace()
    (root / "messages" / "p08w-hello.yaml").rename(root / "messages" / "p08w-hallo.yaml")
    code, output = kizuna("-w", str(root), "check")
    assert code == 2
    assert "p08w-hallo.yaml" in output and "id" in output
    assert "メッセージID「p08w-hello」が書かれていますが、ファイル名は p08w-hallo.yaml です" in output
    assert "p08w-hello.yaml に名前を変えてください" in output


def test_a_town_field_error_names_file_and_field_in_japanese(make_workspace) -> None:  # noqa: ANN001
    root = make_workspace()
    town = yamlio.read(root / "towns" / "202029.yaml")
    town["send_time"] = 800
    yamlio.write(root / "towns" / "202029.yaml", town)
    code, output = kizuna("-w", str(root), "check")
    assert code == 2 and "202029.yaml" in output and "send_time" in output
    assert "時刻は send_time: '08:00' のように引用符で囲んでください" in output
    english = kizuna("-w", str(root), "check", env={"KIZUNA_LANG": "en"})[1]
    assert "write the time in quotes, like send_time: '08:00'" in english


def test_an_unknown_field_in_a_message_is_named_in_japanese(make_workspace) -> None:  # noqa: ANN001
    root = make_workspace(messages=[small_message("b00d-hello", "B0d", "こんにちは。", colour="red")])
    code, output = kizuna("-w", str(root), "check")
    assert code == 2 and "b00d-hello.yaml" in output
    assert "知らない項目があります: colour" in output and "使える項目:" in output


# --- authoring: notebook and workbook import -------------------------------------------------------------

def _notebook(root: Path, out: Path) -> Path:
    [path] = write_notebooks(load_workspace(root), out, only=["newborn"], findings=False)
    return path


def test_a_bad_stage_in_a_notebook_cell_is_explained_without_the_pattern(sample_path: Path, tmp_path: Path) -> None:
    path = _notebook(sample_path, tmp_path / "nb")
    nb = nbformat.read(str(path), as_version=4)
    index, cell = next((i, c) for i, c in enumerate(nb.cells) if "kizuna" in c.metadata)
    cell.metadata["kizuna"]["stage"] = "7日目"
    nbformat.write(nb, str(path))
    before = {p: p.read_bytes() for p in (sample_path / "messages").iterdir()}
    code, output = kizuna("-w", str(sample_path), "author", "import", str(path))
    assert code == 2 and path.name in output
    assert f"セル {index + 1}（" in output and "stage: 「7日目」は書き方が違います" in output
    assert "B45d（生後45日）" in output and "のような形で書いてください" in output
    assert "^(" not in output and "[0-9]" not in output  # never the schema's pattern
    assert {p: p.read_bytes() for p in (sample_path / "messages").iterdir()} == before


def _import_with_a_new_cell(sample_path: Path, tmp_path: Path, source: str) -> tuple[int, str]:
    """Import a writer notebook of the sample to which a Markdown cell holding ``source`` was added."""
    path = _notebook(sample_path, tmp_path / "nb")
    nb = nbformat.read(str(path), as_version=4)
    nb.cells.append(nbformat.v4.new_markdown_cell(source))
    nbformat.write(nb, str(path))
    return kizuna("-w", str(sample_path), "author", "import", str(path))


def test_a_header_line_new_message_with_a_bad_id_is_explained(sample_path: Path, tmp_path: Path) -> None:
    code, output = _import_with_a_new_cell(sample_path, tmp_path, "<!-- B17d 爪のケア -->\n爪を切りましょう。")
    assert code == 2
    assert "1行目 <!-- B17d 爪のケア --> が時期とメッセージIDになっていません" in output
    assert "id: 「爪のケア」は書き方が違います。半角の小文字・数字・ハイフン（例: b17d-nail-care）で書いてください" in output


def test_a_markdown_cell_kizuna_does_not_read_is_noted_in_japanese(sample_path: Path, tmp_path: Path) -> None:
    code, output = _import_with_a_new_cell(sample_path, tmp_path, "爪は短く切りましょう。")
    assert code == 0
    assert "メタデータのない Markdown セルは取り込んでいません" in output
    assert "1行目を <!-- STAGE new-id -->（例: <!-- B17d b17d-nail-care -->）にする" in output


def test_a_wrong_decision_in_a_workbook_names_sheet_row_and_column_in_japanese(sample_path: Path,
                                                                                 tmp_path: Path) -> None:
    path = write_workbook(load_workspace(sample_path), tmp_path / "sato.xlsx", reviewer="sato", findings=False)
    book = openpyxl.load_workbook(path)
    sheet = book[REVIEW.sheet]
    column = [c.key for c in REVIEW.columns].index("decision") + 1
    sheet.cell(row=2, column=column).value = "OK"
    book.save(path)
    code, output = kizuna("-w", str(sample_path), "author", "import", str(path))
    assert code == 2 and "sato.xlsx" in output
    assert "ワークブックを取り込めません。何も反映していません" in output
    assert f"シート {REVIEW.sheet}、2 行目" in output and "「OK」は判断ではありません。承認、修正依頼、コメントのどれかを選んでください" in output


# --- exports ---------------------------------------------------------------------------------------------

def test_an_export_over_a_folder_of_other_files_is_refused_in_japanese(sample_path: Path) -> None:
    target = sample_path / "mine"
    target.mkdir()
    (target / "notes.txt").write_text("my notes", encoding="utf-8")
    code, output = kizuna("-w", str(sample_path), "export", "--town", "202029", "--out", str(target))
    assert code == 2 and "mine" in output
    assert "kizuna が置き換えてよい書き出しではありません" in output and "何も書き込まず、何も消していません" in output
    assert (target / "notes.txt").read_text(encoding="utf-8") == "my notes"
    code, output = kizuna("-w", str(sample_path), "export", "--town", "999999")
    assert code == 2 and "999999" in output and "市区町村" in output and "Error" not in output


# --- surveys ---------------------------------------------------------------------------------------------

def test_a_survey_schema_error_is_a_japanese_sentence_naming_the_field(sample_path: Path) -> None:
    core = sample_path / "surveys" / "core.yaml"
    data = yamlio.read(core)
    data["questions"][0]["type"] = "stars"
    yamlio.write(core, data)
    code, output = kizuna("-w", str(sample_path), "survey", "form", "--format", "json")
    assert code == 2 and "core.yaml" in output and "questions[0].type" in output
    assert "「stars」は使えません。single, multiple, scale5, screening, text のどれかを書いてください" in output
    assert "docs/surveys.md を見てください" in output


def test_an_empty_response_file_is_refused_in_japanese(sample_path: Path, tmp_path: Path) -> None:
    empty = tmp_path / "answers.csv"
    empty.write_bytes(b"")
    code, output = kizuna("-w", str(sample_path), "survey", "import", str(empty), "--town", "202029")
    assert code == 2 and "answers.csv" in output
    assert "1 件の問題があります。何も取り込んでいません" in output and "ファイルが空です（見出しの行がありません）" in output


# --- JupyterLab's save dialog ----------------------------------------------------------------------------

def test_a_refused_save_in_jupyterlab_says_what_to_do_in_japanese(sample_path: Path) -> None:
    cm = KizunaContentsManager(root_dir=str(sample_path))
    nb = copy.deepcopy(asyncio.run(cm.get("notebooks/newborn.ja.ipynb"))["content"])
    nb.cells.append({"cell_type": "code", "id": "typed", "metadata": {}, "outputs": [], "execution_count": None,
                     "source": "新しいメッセージのつもりの文章"})
    i18n.set_language("ja")
    with pytest.raises(web.HTTPError) as err:
        asyncio.run(cm.save({"type": "notebook", "format": "json", "content": nb}, "notebooks/newborn.ja.ipynb"))
    shown = err.value.log_message % err.value.args
    assert err.value.status_code == 400
    assert shown.startswith("保存できませんでした。ワークスペースは何も変わっていません。")
    assert "コードセルに文字が入っています" in shown and "セルを選んで M キーを押し" in shown and "セル " in shown
    i18n.set_language("en")
    with pytest.raises(web.HTTPError) as err:
        asyncio.run(cm.delete_file("notebooks/newborn.ja.ipynb"))
    assert "to delete a message, delete its cell in the notebook and save" in err.value.log_message % err.value.args


# --- click's own messages --------------------------------------------------------------------------------

def test_a_usage_error_speaks_japanese_under_a_japanese_locale(tmp_path: Path) -> None:
    code, output = kizuna("check", "--bogus", env={"KIZUNA_LANG": "", "LANG": "ja_JP.UTF-8"})
    assert code == 2
    assert "使い方: " in output and "check [OPTIONS]" in output and "エラー: オプション「--bogus」はありません。" in output
    code, output = kizuna("--lang", "ja", "chek")
    assert code == 2 and "コマンド「chek」はありません" in output and "'check' のことですか" in output
    code, output = kizuna("check", "--bogus", env={"KIZUNA_LANG": "en", "LANG": "ja_JP.UTF-8"})
    assert "Usage: " in output and "No such option '--bogus'" in output


def test_click_path_type_names_follow_the_lang_option_not_the_locale(tmp_path: Path) -> None:
    """click names a path option's type (File, Directory) when the option is declared, at import:
    the name follows --lang / KIZUNA_LANG when the error is shown, like the rest of the sentence."""
    folder = tmp_path / "a-folder"
    folder.mkdir()
    file = tmp_path / "a-file"
    file.write_text("x")
    wants_file = ["author", "workbook", "--locale", "en", "--out", str(folder)]
    wants_folder = ["export", "--out", str(file)]
    for lang, env in (("ja", {"KIZUNA_LANG": "en", "LANG": "C"}), ("en", {"KIZUNA_LANG": "ja", "LANG": "ja_JP.UTF-8"})):
        code, said_file = kizuna("--lang", lang, *wants_file, env=env)
        assert code == 2
        code, said_folder = kizuna("--lang", lang, *wants_folder, env=env)
        assert code == 2
        if lang == "ja":
            assert f"ファイル「{folder}」はフォルダーです" in said_file and "File" not in said_file
            assert f"フォルダー「{file}」はファイルです" in said_folder and "Directory" not in said_folder
        else:
            assert f"File '{folder}' is a directory." in said_file and "ファイル" not in said_file
            assert f"Directory '{file}' is a file." in said_folder and "フォルダー" not in said_folder
    for env in ({"KIZUNA_LANG": "ja"}, {"KIZUNA_LANG": "en"}):  # the environment, without --lang
        code, said = kizuna(*wants_file, env=env)
        assert ("ファイル「" in said) == (env["KIZUNA_LANG"] == "ja")
    # help keeps click's English placeholders (like TEXT), in either language, so its columns line up
    for lang in ("ja", "en"):
        code, said = kizuna("--lang", lang, "author", "workbook", "--help")
        assert code == 0 and "--out FILE " in said


def test_the_click_catalog_matches_the_installed_click() -> None:
    """Every translated click text is still one click says (an upgrade that rewords one fails
    here), and click.mo is compiled from click.po."""
    import click  # noqa: PLC0415

    said = set()
    for _file, _line, message, _c, _ctx in extract_from_dir(
            str(Path(click.__file__).parent), method_map=[("**.py", "python")],
            keywords={"_": None, "ngettext": (1, 2)}, comment_tags=()):
        said.add(message[0] if isinstance(message, tuple) else message)
    with CLICK_PO.open("rb") as handle:
        catalog = read_po(handle, locale="ja")
    ids = [m.id[0] if isinstance(m.id, tuple) else m.id for m in catalog if m.id]
    assert len(ids) > 30 and not [i for i in ids if i not in said]
    assert all(m.string for m in catalog if m.id)
    fresh = io.BytesIO()
    write_mo(fresh, catalog)
    fresh.seek(0)
    with CLICK_PO.with_suffix(".mo").open("rb") as handle:
        assert gettext.GNUTranslations(handle)._catalog == gettext.GNUTranslations(fresh)._catalog  # type: ignore[attr-defined]


# --- schema violations as sentences ----------------------------------------------------------------------

CELL_SCHEMA = json.loads((Path(__file__).resolve().parents[1] / "authoring" / "schema" /
                          "cell-metadata-v1.schema.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize(("data", "english", "japanese"), [
    ({"id": "B17d Nail", "stage": "B17d"}, "id: 'B17d Nail' is not lower-case letters, digits and hyphens",
     "id: 「B17d Nail」は書き方が違います。半角の小文字・数字・ハイフン（例: b17d-nail-care）で書いてください"),
    ({"id": "a", "stage": 12}, "stage: '12' must be text", "stage: 「12」は文字で書いてください"),
    ({"stage": "B1d"}, "id is missing; add it", "id がありません。追加してください"),
    ({"id": "a", "stage": "B1d", "colour": 1}, "colour: no such field here", "colour: ここにはない項目です"),
    ({"id": "a", "stage": "B1d", "topics": ["x", "x"]}, "topics: lists the same item twice",
     "topics: 同じものが2回書かれています"),
    ({"id": "a", "stage": "B1d", "base_hash": "zz"}, "checksum is missing (it goes with base_hash)",
     "checksum がありません（base_hash と組で必要です）"),
])
def test_schema_errors_are_sentences_in_both_languages(data: dict[str, Any], english: str, japanese: str) -> None:
    validator = jsonschema.Draft202012Validator(CELL_SCHEMA)
    for language, expected in (("en", english), ("ja", japanese)):
        i18n.set_language(language)
        said = [explain_at(e) for e in validator.iter_errors(data)]
        assert any(expected in s for s in said), said
        assert not any(re.search(r"\^|\$\)|\[0-9|\{0,79\}", s) for s in said), said
