"""Shared pieces of the kizuna lab tests: a contents manager on a copy of the sample, a way to
run its coroutines, and a snapshot of the workspace files to prove nothing was written."""
from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from kizuna.lab.contents import KizunaContentsManager


def files_of(root: Path) -> dict[str, bytes]:
    """Every workspace file's bytes (local state under .kizuna/ left out)."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and ".kizuna" not in p.parts}


def run(coro: Any) -> Any:
    return asyncio.run(coro)


@pytest.fixture
def cm(sample_path: Path) -> KizunaContentsManager:
    return KizunaContentsManager(root_dir=str(sample_path))
