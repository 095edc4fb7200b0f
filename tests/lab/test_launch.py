"""kizuna lab's command line loads kizuna's prebuilt JupyterLab extension (the refresh after
save), and the extension is complete: JupyterLab finds it where the command line points."""
from __future__ import annotations

import json
from pathlib import Path

from jupyterlab_server.config import get_federated_extensions

from kizuna.lab.launch import command


def test_the_command_line_loads_the_prebuilt_extension(tmp_path: Path) -> None:
    argv = command(tmp_path, browser=False)
    paths = [a.split("=", 1)[1] for a in argv if a.startswith("--LabApp.extra_labextensions_path=")]
    assert len(paths) == 1
    found = get_federated_extensions(paths)
    assert "kizuna-lab" in found
    ext = found["kizuna-lab"]
    built = Path(ext["ext_path"])
    assert (built / ext["jupyterlab"]["_build"]["load"]).is_file()  # the remote entry the package.json names was built
    source = json.loads((Path(__file__).parents[2] / "lab" / "frontend" / "package.json").read_text())
    assert json.loads((built / "package.json").read_text())["dependencies"] == source["dependencies"]
