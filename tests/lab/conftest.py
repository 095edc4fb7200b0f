"""Shared pieces of the kizuna lab tests: a contents manager on a copy of the sample, a way to
run its coroutines, a snapshot of the workspace files to prove nothing was written, and the
language JupyterLab's save errors are in (``speaking("ja")``: what a Japanese user reads; the
tests run in English otherwise, tests/conftest.py)."""
from __future__ import annotations

import asyncio
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import pytest

from kizuna.catalog import i18n
from kizuna.lab.contents import KizunaContentsManager


@contextmanager
def speaking(language: str) -> Iterator[None]:
    """kizuna's messages in ``language`` inside the block (as ``--lang`` or ``KIZUNA_LANG``)."""
    i18n.set_language(language)
    try:
        yield
    finally:
        i18n.set_language(None)


def files_of(root: Path) -> dict[str, bytes]:
    """Every workspace file's bytes (local state under .kizuna/ left out)."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and ".kizuna" not in p.parts}


def run(coro: Any) -> Any:
    return asyncio.run(coro)


@pytest.fixture
def cm(sample_path: Path) -> KizunaContentsManager:
    return KizunaContentsManager(root_dir=str(sample_path))
