"""The kizuna lab contents manager: message notebooks served from the workspace and saved back
through the merge (edits applied, conflicts kept as suggestions, broken notebooks refused)."""
from __future__ import annotations

import copy
import dataclasses
from pathlib import Path
from typing import Any

import pytest
from tornado import web

from kizuna.catalog.workspace import load_workspace
from kizuna.lab.contents import KizunaContentsManager
from tests.lab.conftest import files_of, run


def message_cell(nb: dict[str, Any], message_id: str) -> dict[str, Any]:
    return next(c for c in nb["cells"] if c["metadata"].get("kizuna", {}).get("id") == message_id)


def test_folder_and_views_are_listed(cm: KizunaContentsManager) -> None:
    root = run(cm.get(""))
    assert "notebooks" in {m["name"] for m in root["content"]}
    listed = {m["name"] for m in run(cm.get("notebooks"))["content"]}
    assert {"newborn.ja.ipynb", "newborn.en.ipynb", "pregnancy-early.ja.ipynb"} <= listed
    model = run(cm.get("notebooks/newborn.ja.ipynb"))
    nb = model["content"]
    assert model["type"] == "notebook" and nb.metadata["kizuna"]["kind"] == "messages"
    again = run(cm.get("notebooks/newborn.ja.ipynb", require_hash=True))
    assert again["hash"] and again["content"] == nb   # the same workspace gives the same notebook
    assert "保存（Ctrl+S）すると、そのままワークスペースに取り込まれます" in nb.cells[0].source
    info = "\n".join(c.source for c in nb.cells if "kizuna" not in c.metadata)
    assert "承認: **" in info and "での表示:" in info


@pytest.mark.parametrize("path", ["notebooks/../kizuna.yaml", "notebooks/x.ja.ipynb", "notebooks/newborn.fr.ipynb",
                                  "notebooks/newborn.ja.ipynb/../../etc"])
def test_unknown_views_are_not_found(cm: KizunaContentsManager, path: str) -> None:
    with pytest.raises(web.HTTPError) as err:
        run(cm.get(path))
    assert err.value.status_code == 404


def _save(cm: KizunaContentsManager, path: str, nb: Any) -> dict[str, Any]:
    return run(cm.save({"type": "notebook", "format": "json", "content": nb}, path))


def test_save_applies_edits_and_adds_messages(cm: KizunaContentsManager, sample_path: Path) -> None:
    nb = copy.deepcopy(run(cm.get("notebooks/newborn.ja.ipynb"))["content"])
    mid = next(c.metadata["kizuna"]["id"] for c in nb.cells if "kizuna" in c.metadata)
    message_cell(nb, mid)["source"] = "書き直した本文です。\n2行目です。"
    nb.cells.append({"cell_type": "markdown", "id": "new1", "metadata": {},
                     "source": "<!-- B17d b17d-nail-care -->\n赤ちゃんの爪は、眠っているときに切ると安全です。"})
    model = _save(cm, "notebooks/newborn.ja.ipynb", nb)
    assert model["path"] == "notebooks/newborn.ja.ipynb" and model["content"] is None
    ws = load_workspace(sample_path)
    assert ws.messages[mid].text("ja") == "書き直した本文です。\n2行目です。"
    assert ws.messages["b17d-nail-care"].text("ja") == "赤ちゃんの爪は、眠っているときに切ると安全です。"
    assert str(ws.messages["b17d-nail-care"].stage) == "B17d"
    fresh = run(cm.get("notebooks/newborn.ja.ipynb"))["content"]
    assert message_cell(fresh, "b17d-nail-care")["source"].startswith("赤ちゃんの爪")


def test_a_conflict_is_kept_as_a_suggestion_and_shown(cm: KizunaContentsManager, sample_path: Path) -> None:
    nb = copy.deepcopy(run(cm.get("notebooks/newborn.ja.ipynb"))["content"])
    mid = next(c.metadata["kizuna"]["id"] for c in nb.cells if "kizuna" in c.metadata)
    path = sample_path / "messages" / f"{mid}.yaml"
    ws = load_workspace(sample_path)
    m = ws.messages[mid]
    ws.save_message(dataclasses.replace(m, texts={**m.texts, "ja": dataclasses.replace(
        m.texts["ja"], text="ほかの人が先に直した本文です。")}))   # someone else, meanwhile
    other = path.read_text(encoding="utf-8")
    message_cell(nb, mid)["source"] = "わたしの編集です。"
    _save(cm, "notebooks/newborn.ja.ipynb", nb)
    assert path.read_text(encoding="utf-8") == other              # the other edit is not overwritten
    assert list((sample_path / "suggestions").rglob("*.yaml"))     # ours is kept
    fresh = run(cm.get("notebooks/newborn.ja.ipynb"))["content"]
    assert "未解決の提案" in "\n".join(c.source for c in fresh.cells) and "わたしの編集です。" in \
        "\n".join(c.source for c in fresh.cells)


def test_a_code_cell_with_text_is_refused_and_nothing_written(cm: KizunaContentsManager, sample_path: Path) -> None:
    before = files_of(sample_path)
    nb = copy.deepcopy(run(cm.get("notebooks/newborn.ja.ipynb"))["content"])
    mid = next(c.metadata["kizuna"]["id"] for c in nb.cells if "kizuna" in c.metadata)
    message_cell(nb, mid)["source"] = "この編集は取り込まれない"
    nb.cells.append({"cell_type": "code", "id": "typed", "metadata": {}, "outputs": [], "execution_count": None,
                     "source": "新しいメッセージのつもりの文章"})
    with pytest.raises(web.HTTPError) as err:
        _save(cm, "notebooks/newborn.ja.ipynb", nb)
    assert err.value.status_code == 400
    shown = err.value.log_message   # what JupyterLab shows in its save-error dialog, as it is
    assert "Not saved; nothing in the workspace changed" in shown and "Code cell" in shown and "%s" not in shown
    assert files_of(sample_path) == before


def test_views_cannot_be_deleted_or_renamed(cm: KizunaContentsManager) -> None:
    for call in (cm.delete_file("notebooks/newborn.ja.ipynb"),
                 cm.rename_file("notebooks/newborn.ja.ipynb", "x.ipynb")):
        with pytest.raises(web.HTTPError):
            run(call)
    assert run(cm.list_checkpoints("notebooks/newborn.ja.ipynb")) == []


def test_session_settings_live_in_the_workspace(sample_path: Path) -> None:
    import sys

    from kizuna.lab.launch import command, prepare

    env = prepare(sample_path, japanese=True)
    settings = Path(env["JUPYTERLAB_SETTINGS_DIR"])
    assert settings.is_relative_to(sample_path / ".kizuna")
    assert '"ja_JP"' in (settings / "@jupyterlab" / "translation-extension" / "plugin.jupyterlab-settings").read_text()
    assert env["PATH"].split(":")[0] == str(Path(sys.executable).parent)   # kizuna in the lab's terminal
    argv = command(sample_path, port=8899, browser=False)
    assert "--ServerApp.ip=127.0.0.1" in argv and "--LabServerApp.notebook_starts_kernel=False" in argv
    assert not any(a.startswith("--IdentityProvider.token=") for a in argv)   # JupyterLab's random token


def test_deleting_a_cell_and_saving_deletes_the_message(cm: KizunaContentsManager, sample_path: Path) -> None:
    nb = copy.deepcopy(run(cm.get("notebooks/newborn.ja.ipynb"))["content"])
    mid = next(c.metadata["kizuna"]["id"] for c in nb.cells if "kizuna" in c.metadata)
    nb.cells = [c for c in nb.cells if c.metadata.get("kizuna", {}).get("id") != mid]
    _save(cm, "notebooks/newborn.ja.ipynb", nb)
    assert mid not in load_workspace(sample_path).messages
