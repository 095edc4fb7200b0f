"""Findings, their hints and command help speak the user's language: Japanese for a Japanese
locale (or ``--lang ja``), English otherwise; rule ids stay as they are; cached findings never
come back in the other language; Japanese-first documents (notebooks, workbooks, packets) carry
Japanese findings whatever the command line speaks."""
from __future__ import annotations

import inspect
import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from kizuna.catalog import i18n
from kizuna.catalog.workspace import load_workspace
from kizuna.cli import main
from tests.conftest import small_message

JAPANESE = {"KIZUNA_LANG": "", "LANGUAGE": "", "LC_ALL": "", "LC_MESSAGES": "", "LANG": "ja_JP.UTF-8"}
ENGLISH = {"KIZUNA_LANG": "", "LANGUAGE": "", "LC_ALL": "", "LC_MESSAGES": "", "LANG": "en_US.UTF-8"}

#: one sentence of 120 characters (over length/sentence's 100) and a command (tone/command)
LONG = "赤ちゃんの" + "ようすを" * 27 + "見てください。"
TEXT = LONG + "\n夜は早く寝ろ。"


@pytest.fixture(autouse=True)
def _back_to_the_environment():
    yield
    i18n.set_language(None)


@pytest.fixture
def workspace(make_workspace) -> Path:  # noqa: ANN001
    return make_workspace(messages=[small_message("b00d-long", "B0d", TEXT)])


def kizuna(*args: str, env: dict[str, str]) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), env=env, prog_name="kizuna")
    i18n.set_language(None)
    return result.exit_code, result.output


def test_a_japanese_user_gets_japanese_findings_and_hints(workspace: Path) -> None:
    code, out = kizuna("-w", str(workspace), "check", "--no-cache", env=JAPANESE)
    assert code in (0, 1), out
    assert "length/sentence" in out and "tone/command" in out  # rule ids are not translated
    assert "一文が" in out and "文字長すぎます" in out and "→ 二つの文に分けましょう" in out
    assert "「寝ろ」は命令の形で、読み手に指示する口調になります。" in out
    assert "The sentence is" not in out and "Split it" not in out


def test_an_english_user_gets_english_findings_and_lang_overrides_the_locale(workspace: Path) -> None:
    _, english = kizuna("-w", str(workspace), "check", "--no-cache", env=ENGLISH)
    assert "over the maximum of 100" in english and "→ Split it into two sentences" in english
    assert '"寝ろ" is an imperative: it orders the reader about.' in english
    assert "一文が" not in english
    _, overridden = kizuna("--lang", "en", "-w", str(workspace), "check", "--no-cache", env=JAPANESE)
    assert overridden == english
    _, japanese = kizuna("--lang", "ja", "-w", str(workspace), "check", "--no-cache", env=ENGLISH)
    assert "二つの文に分けましょう" in japanese


def test_cached_findings_come_back_in_the_language_of_the_run(workspace: Path) -> None:
    _, english = kizuna("-w", str(workspace), "check", env=ENGLISH)          # computes and caches in English
    assert (workspace / ".kizuna" / "cache" / "checks.pickle").is_file()
    _, japanese = kizuna("-w", str(workspace), "check", env=JAPANESE)        # must not reuse the English
    assert "二つの文に分けましょう" in japanese and "Split it" not in japanese
    _, again = kizuna("-w", str(workspace), "check", env=ENGLISH)            # both languages stay cached
    assert again == english
    _, fresh = kizuna("-w", str(workspace), "check", "--no-cache", env=JAPANESE)
    assert fresh == japanese


def test_sarif_carries_the_language_of_its_messages(workspace: Path) -> None:
    _, out = kizuna("-w", str(workspace), "check", "--format", "sarif", env=JAPANESE)
    run = json.loads(out)["runs"][0]
    assert run["language"] == "ja"
    texts = [r["message"]["text"] for r in run["results"] if r["ruleId"] == "length/sentence"]
    assert texts and "二つの文に分けましょう" in texts[0]
    _, out = kizuna("--lang", "en", "-w", str(workspace), "check", "--format", "sarif", env=JAPANESE)
    assert json.loads(out)["runs"][0]["language"] == "en"


def test_notebook_and_packet_findings_are_japanese_whatever_the_cli_speaks(workspace: Path) -> None:
    from kizuna.authoring.notebooks import _findings_lines
    from kizuna.review.packet import item_findings
    from kizuna.review.signoff import all_items

    i18n.set_language("en")
    ws = load_workspace(workspace)
    lines = _findings_lines(ws, ws.messages["b00d-long"], "ja")
    assert any("一文が" in line for line in lines) and not any("The sentence" in line for line in lines)
    item = next(i for i in all_items(ws).values() if i.message is not None and i.message.id == "b00d-long")
    found, _note = item_findings(ws, item)
    assert found and all("The sentence" not in f.message for f in found)
    assert i18n.current_language() == "en"  # the command line's language is back afterwards


def test_help_is_japanese_for_a_japanese_locale_and_english_with_lang_en() -> None:
    code, top = kizuna("--help", env=JAPANESE)
    assert code == 0 and "使い方: kizuna" in top and "コマンド:" in top
    assert "子育て支援メッセージのカタログを書き、検査し、承認し、書き出します。" in top
    assert "ワークスペースのすべての検査をします" in top  # a command's short help in the list
    _, check = kizuna("check", "--help", env=JAPANESE)
    assert "オプション:" in check and "この町だけ（くり返し指定できます）。" in check
    assert "このヘルプを表示して終わります。" in check
    _, english = kizuna("--lang", "en", "check", "--help", env=JAPANESE)
    assert "Usage: kizuna check" in english and "Only this town (repeatable)." in english
    assert "オプション" not in english
    _, eager = kizuna("--lang", "ja", "--help", env=ENGLISH)
    assert "使い方: kizuna" in eager


def _commands(command: click.Command, path: str = "kizuna"):
    yield path, command
    for name, sub in getattr(command, "commands", {}).items():
        yield from _commands(sub, f"{path} {name}")


def test_every_command_and_option_help_has_japanese() -> None:
    i18n.set_language("ja")
    missing = []
    for path, command in _commands(main):
        texts = [command.help] + [p.help for p in command.params if isinstance(p, click.Option)]
        cleaned = [inspect.cleandoc(t) for t in texts if t]
        missing += [f"{path}: {t}" for t in cleaned if i18n._(t) == t]
    assert not missing, "help without Japanese (mark option help with N_, run make messages):\n" + "\n".join(missing)


def test_a_japanese_reviewer_meets_errors_in_japanese_that_say_what_to_do(sample_path: Path) -> None:
    from kizuna.catalog.errors import KizunaError
    from kizuna.review.signoff import record_decision

    ws = load_workspace(sample_path)
    reviewer, message_id = next(iter(ws.reviewers)), next(iter(ws.messages))
    i18n.set_language("ja")
    with pytest.raises(KizunaError, match="「maybe」という判定はありません。approve.*のどれかを使ってください"):
        record_decision(ws, message_id=message_id, locale="ja", reviewer=reviewer, decision="maybe")
    with pytest.raises(KizunaError, match="town:202029:B8d のように書いてください"):
        record_decision(ws, message_id="town:202029", locale="ja", reviewer=reviewer, decision="approve")
    assert not (sample_path / "decisions.jsonl").exists() or "maybe" not in (sample_path / "decisions.jsonl").read_text()
