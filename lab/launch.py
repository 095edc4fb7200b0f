"""How ``kizuna lab`` starts JupyterLab on a workspace: the command line and its private settings.

JupyterLab runs on loopback with a token, its root at the workspace, the kizuna contents manager
(:mod:`kizuna.lab.contents`), no kernel started when a notebook opens (message notebooks hold no
code; the dashboard starts one when a cell is run), and the Japanese interface when the
``jupyterlab-language-pack-ja-JP`` package is installed. Its settings live in the workspace's
local folder ``.kizuna/lab/`` (never committed): user settings, JupyterLab workspaces, and a
style sheet that keeps a message's line breaks in rendered Markdown. It also loads kizuna's own
JupyterLab extension, shipped prebuilt in ``labextensions/`` (no node needed; its source is
``frontend/``, rebuilt with ``make labextension``): a message notebook refreshes its note cells
(findings, sign-off state, a town's text) after each save.

:func:`run` supervises JupyterLab: it runs in its own process group, and Ctrl+C, ``kill``
(SIGTERM) or a closed terminal (SIGHUP) on ``kizuna lab`` shut it down (its kernels and
terminals with it), then stop whatever of the group is left.
"""
from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from types import FrameType
from typing import Callable

from kizuna.catalog.lock import LOCAL_DIR
from kizuna.catalog.safepaths import write_target

LAB_DIR = "lab"
#: kizuna's prebuilt JupyterLab extension (package data; source in lab/frontend/)
LABEXTENSIONS = Path(__file__).resolve().parent / "labextensions"
#: a message's single line breaks are real line breaks (Markdown would join the lines)
CUSTOM_CSS = """/* kizuna lab: a message's line breaks stay line breaks in rendered Markdown */
.jp-MarkdownCell .jp-RenderedMarkdown p { white-space: pre-line; }
"""


def language_pack_installed() -> bool:
    return importlib.util.find_spec("jupyterlab_language_pack_ja_JP") is not None


def prepare(root: Path, *, japanese: bool | None = None) -> dict[str, str]:
    """Write the session's settings under ``.kizuna/lab/`` (call under the workspace lock);
    returns the environment to run with."""
    base = write_target(root, Path(root) / LOCAL_DIR / LAB_DIR)
    settings = base / "settings"
    files = {
        settings / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings":
            {"kernelShutdown": True},
        settings / "@jupyterlab" / "docmanager-extension" / "plugin.jupyterlab-settings":
            {"autosave": False},
    }
    if japanese if japanese is not None else language_pack_installed():
        files[settings / "@jupyterlab" / "translation-extension" / "plugin.jupyterlab-settings"] = {"locale": "ja_JP"}
    for path, data in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    custom = base / "config" / "custom"
    custom.mkdir(parents=True, exist_ok=True)
    (custom / "custom.css").write_text(CUSTOM_CSS, encoding="utf-8")
    (base / "workspaces").mkdir(exist_ok=True)
    # kizuna's own environment first on the PATH: `kizuna` works in JupyterLab's terminal
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    return {"JUPYTERLAB_SETTINGS_DIR": str(settings), "JUPYTERLAB_WORKSPACES_DIR": str(base / "workspaces"),
            "JUPYTER_CONFIG_DIR": str(base / "config"), "PATH": path}


def command(root: Path, *, port: int | None = None, browser: bool = True, token: str | None = None,
            extra: tuple[str, ...] = ()) -> list[str]:
    """The JupyterLab command line for the workspace at ``root``."""
    args = [sys.executable, "-m", "jupyterlab",
            f"--ServerApp.root_dir={Path(root).resolve()}",
            "--ServerApp.ip=127.0.0.1",
            "--ServerApp.contents_manager_class=kizuna.lab.contents.KizunaContentsManager",
            "--LabServerApp.notebook_starts_kernel=False",
            "--LabApp.custom_css=True",
            f"--LabApp.extra_labextensions_path={LABEXTENSIONS}",
            "--ServerApp.open_browser=" + ("True" if browser else "False")]
    if hasattr(os, "geteuid") and os.geteuid() == 0:  # containers and CI run as root
        args.append("--ServerApp.allow_root=True")
    if port is not None:
        args.append(f"--ServerApp.port={port}")
    if token is not None:
        args.append(f"--IdentityProvider.token={token}")
    return [*args, *extra]


#: the signals that stop a session: Ctrl+C, ``kill`` and a closed terminal
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
#: how long JupyterLab gets to shut down its kernels and terminals before it is killed
GRACE_SECONDS = 10.0


class _Stop(Exception):
    """A stop signal arrived while JupyterLab ran."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _raise_stop(signum: int, frame: FrameType | None) -> None:
    raise _Stop(signum)


def _signal_group(child: subprocess.Popen[bytes], signum: int) -> None:
    """Send ``signum`` to the child's process group (every process JupyterLab left in it)."""
    try:
        os.killpg(child.pid, signum)
    except (ProcessLookupError, PermissionError):  # the group is gone already
        pass


def exit_code(signum: int) -> int:
    """``kizuna lab``'s exit status after ``signum``: 0 for Ctrl+C (the way to stop a session),
    128 + the signal number for ``kill`` or a closed terminal, as a shell reports them."""
    return 0 if signum == signal.SIGINT else 128 + signum


def run(argv: list[str], env: dict[str, str], *, grace: float = GRACE_SECONDS,
        on_stop: Callable[[], None] | None = None) -> int:
    """Run JupyterLab (``argv``) in its own process group until it exits (its exit status) or a
    stop signal arrives (:func:`exit_code`). On a stop signal JupyterLab gets SIGTERM — it shuts
    down its kernels and terminals — and ``grace`` seconds; a second stop signal, or the grace
    running out, kills the group. Whatever is left of the group is killed on the way out."""
    previous = {signum: signal.signal(signum, _raise_stop) for signum in STOP_SIGNALS}
    child: subprocess.Popen[bytes] | None = None
    try:
        try:
            child = subprocess.Popen(argv, env=env, process_group=0)
            return child.wait()
        except _Stop as stop:
            if on_stop is not None:
                on_stop()
            if child is not None:
                _signal_group(child, signal.SIGTERM)
                try:
                    child.wait(grace)
                except (_Stop, subprocess.TimeoutExpired):
                    pass
            return exit_code(stop.signum)
    finally:
        for signum in STOP_SIGNALS:  # nothing to interrupt the clean-up; the group is killed anyway
            signal.signal(signum, signal.SIG_IGN)
        if child is not None:
            _signal_group(child, signal.SIGKILL)
            if child.poll() is None:
                child.wait()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
