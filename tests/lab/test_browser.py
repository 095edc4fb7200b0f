"""A writer in a real browser: ``kizuna lab`` on a copy of the sample, JupyterLab in headless
Chromium (Debian's, driven by Playwright): open a message notebook, edit a message, add one,
save — and the YAML files change, while an edit that meets someone else's change is kept as a
suggestion and shows in the notebook.

Skipped, with the reason printed, when Chromium or Playwright is not installed (CI installs
Debian's chromium when it can).
"""
from __future__ import annotations

import dataclasses
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from kizuna.authoring.notebooks import group_messages
from kizuna.catalog.workspace import load_workspace

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
TOKEN = "kizuna-browser-test"

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - depends on the machine
    sync_playwright = None

pytestmark = pytest.mark.skipif(
    sync_playwright is None or not Path(CHROMIUM).exists(),
    reason="the kizuna lab browser test needs Debian's chromium (/usr/bin/chromium) and playwright")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"JupyterLab did not answer at {url} within {seconds} s")


@pytest.fixture
def lab(sample_path: Path, tmp_path: Path):
    port = free_port()
    log = (tmp_path / "lab.log").open("w")
    kizuna = Path(sys.executable).with_name("kizuna")
    proc = subprocess.Popen([str(kizuna), "-w", str(sample_path), "lab", "--no-browser", "--port", str(port),
                             "--token", TOKEN], stdout=log, stderr=subprocess.STDOUT,
                            env={**os.environ, "JUPYTER_PLATFORM_DIRS": "1"})
    try:
        wait_for(f"http://127.0.0.1:{port}/api/status?token={TOKEN}", 120)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def _cell_with(page, text: str):
    return page.locator(".jp-MarkdownCell", has_text=text).first


def _append_to_cell(page, text: str, addition: str) -> None:
    cell = _cell_with(page, text)
    cell.scroll_into_view_if_needed()
    cell.dblclick()
    editor = cell.locator(".cm-content")
    editor.wait_for()
    editor.click()
    page.keyboard.press("Control+End")
    page.keyboard.insert_text(addition)
    page.keyboard.press("Escape")


def test_edit_add_save_in_the_browser(lab: str, sample_path: Path) -> None:
    ws = load_workspace(sample_path)
    # messages without template fields: their text is in no note cell (notes quote filled-in templates)
    newborn = [m for m in group_messages(ws.messages.values(), "band")["newborn"][1]
               if "ja" in m.texts and "{{" not in m.text("ja")]
    edited, contested = newborn[0], newborn[1]
    first_line = lambda m: m.text("ja").split("\n")[0][:12]  # noqa: E731
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                    args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        try:
            page = browser.new_page()
            page.goto(f"{lab}/lab/tree/notebooks/newborn.ja.ipynb?token={TOKEN}", timeout=120_000)
            page.locator(".jp-MarkdownCell", has_text=first_line(edited)).first.wait_for(timeout=120_000)
            # opened clean, with no kernel to choose
            assert page.locator(".jp-Dialog").count() == 0
            assert page.locator(".lm-TabBar-tab.jp-mod-current.jp-mod-dirty").count() == 0
            # someone else changes a message after the notebook was opened
            m = load_workspace(sample_path).messages[contested.id]
            load_workspace(sample_path).save_message(dataclasses.replace(m, texts={**m.texts, "ja": dataclasses.replace(
                m.texts["ja"], text=m.text("ja") + "\n（ほかの人の修正）")}))
            _append_to_cell(page, first_line(edited), "\nブラウザで追記しました。")
            # a new message below it: a Markdown cell whose first line names stage and id
            page.keyboard.press("b")
            page.keyboard.press("m")
            page.keyboard.press("Enter")
            page.keyboard.insert_text("<!-- B17d b17d-nail-care -->\n赤ちゃんの爪は、眠っているときに切ると安全です。")
            page.keyboard.press("Escape")
            _append_to_cell(page, first_line(contested), "\nわたしの修正です。")
            page.keyboard.press("Control+s")
            # the workspace changed since the notebook was opened: JupyterLab asks; the writer
            # overwrites, and kizuna keeps the other change, ours becoming a suggestion
            page.locator(".jp-Dialog .jp-Dialog-button.jp-mod-warn").click(timeout=30_000)
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not (sample_path / "messages" / "b17d-nail-care.yaml").exists():
                time.sleep(0.5)
            now = load_workspace(sample_path)
            assert now.messages[edited.id].text("ja").endswith("ブラウザで追記しました。")
            assert now.messages["b17d-nail-care"].text("ja") == "赤ちゃんの爪は、眠っているときに切ると安全です。"
            assert now.messages[contested.id].text("ja").endswith("（ほかの人の修正）")  # not overwritten
            assert list((sample_path / "suggestions").rglob("*.yaml"))
            # the notebook, reloaded from the workspace, shows the kept suggestion
            page.reload()
            page.locator(".jp-MarkdownCell", has_text="未解決の提案").first.wait_for(timeout=60_000)
            assert "わたしの修正です。" in page.locator(".jp-MarkdownCell", has_text="未解決の提案").first.inner_text()
        finally:
            browser.close()


def test_a_town_editor_saves_the_profile_in_the_browser(lab: str, sample_path: Path) -> None:
    town_file = sample_path / "towns" / "202029.yaml"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                    args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        try:
            page = browser.new_page()
            page.goto(f"{lab}/lab/tree/notebooks/towns/202029.ipynb?token={TOKEN}", timeout=120_000)
            _cell_with(page, "postpartum_care").wait_for(timeout=120_000)
            # a new service: one more row at the end of the services table
            _append_to_cell(page, "postpartum_care", "\n| parents_class | 両親学級を月に1回開いています。 |  |")
            page.keyboard.press("Control+s")
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and "parents_class" not in town_file.read_text(encoding="utf-8"):
                time.sleep(0.5)
            assert load_workspace(sample_path).towns["202029"].services["parents_class"] == "両親学級を月に1回開いています。"
            saved = town_file.read_bytes()
            # a block naming a profile field the town does not have: refused in the save dialog
            # (the block's text is also quoted in the note above it: the block cell is the last)
            block = page.locator(".jp-MarkdownCell", has_text="【松本市より】新生児訪問では").last
            block.scroll_into_view_if_needed()
            block.dblclick()
            block.locator(".cm-content").click()
            page.keyboard.press("Control+End")
            page.keyboard.insert_text("{{ town.contacts.fax }}")
            page.keyboard.press("Escape")
            page.keyboard.press("Control+s")
            dialog = page.locator(".jp-Dialog", has_text="保存できませんでした")
            try:
                dialog.wait_for(timeout=30_000)
            except Exception:
                page.screenshot(path="/tmp/i14_town.png")
                raise
            assert "地域ブロック B8d ja" in dialog.inner_text() and town_file.read_bytes() == saved
        finally:
            browser.close()
