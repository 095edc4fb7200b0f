"""``kizuna demo``: copy the bundled sample workspace and run the main job end to end.

The sample is package data (``kizuna/sample``). After copying, the folder is a workspace like any
other (a git repository with the sample as its first commit). Each step of the main job is a
function in :data:`DEMO_STEPS` taking the workspace root and returning lines to print.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from importlib import resources
from pathlib import Path
from typing import Callable

from kizuna.catalog.errors import WorkspaceError
from kizuna.catalog.workspace import is_empty_folder, load_workspace, write_gitignore
from kizuna.commands.author import demo_step as author_step
from kizuna.commands.check import demo_step as check_step
from kizuna.commands.export import demo_step as export_step
from kizuna.commands.review import demo_step as review_step
from kizuna.commands.survey import demo_step as survey_step
from kizuna.catalog.i18n import _

DemoStep = Callable[[Path], list[str]]


def sample_root() -> Path:
    """The bundled sample workspace inside the installed package."""
    return Path(str(resources.files("kizuna").joinpath("sample")))


def copy_sample(target: Path) -> Path:
    """Copy the sample into ``target`` (new or empty), make it a git repository, commit it."""
    if target.exists() and (not target.is_dir() or not is_empty_folder(target)):
        raise WorkspaceError(_("already exists and is not empty; choose a new folder for the demo"),
                             path=target)
    shutil.copytree(sample_root(), target, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints", "out"))
    write_gitignore(target)
    commit_all(target, "kizuna demo: bundled sample workspace")
    return target


def commit_all(root: Path, message: str) -> bool:
    """``git init`` (if needed), add everything and commit; False when git is unavailable."""
    env = {**os.environ, "GIT_AUTHOR_NAME": "kizuna", "GIT_AUTHOR_EMAIL": "kizuna@example.jp",
           "GIT_COMMITTER_NAME": "kizuna", "GIT_COMMITTER_EMAIL": "kizuna@example.jp"}
    try:
        for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "--no-gpg-sign", "-m", message]):
            subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, env=env)
    except (OSError, subprocess.CalledProcessError):
        return False
    return True


def step_load(root: Path) -> list[str]:
    ws = load_workspace(root)
    return [f"workspace: {len(ws.messages)} messages, {len(ws.towns)} towns, "
            f"{len(ws.reviewers)} reviewers, locales {', '.join(ws.config.locales)}"]


#: The main job, in order. Each package adds its step here.
DEMO_STEPS: list[tuple[str, DemoStep]] = [
    ("load", step_load),
    ("check", check_step),
    ("review", review_step),
    ("author", author_step),
    ("export", export_step),
    ("survey", survey_step),
]


def run_demo(target: Path, echo: Callable[[str], None]) -> Path:
    target = Path(target).absolute()  # every step names its files relative to the workspace
    copy_sample(target)
    echo(f"sample workspace copied to {target}")
    for name, step in DEMO_STEPS:
        for line in step(target):
            echo(f"[{name}] {line}")
    return target
