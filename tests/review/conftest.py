"""Languages for the review tests. The check tests read findings as a Japanese user does
(``kizuna --lang ja``): they check Japanese texts and assert the Japanese wording (the textlint
parity tests assert textlint's own messages); such a module says
``pytestmark = pytest.mark.usefixtures("japanese")``, and a test in it that asserts English
findings asks for ``english``. Everything else runs in English (tests/conftest.py)."""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import pytest

from kizuna.catalog import i18n


@pytest.fixture
def japanese() -> Iterator[None]:
    i18n.set_language("ja")
    yield
    i18n.set_language(None)


@pytest.fixture
def english(japanese: None) -> Iterator[None]:  # noqa: ARG001 - after the module's Japanese
    i18n.set_language("en")
    yield
    i18n.set_language(None)


@contextmanager
def recording_cache_saves() -> Iterator[list[tuple[int, int]]]:
    """``(computed, reused)`` of each checks-cache save made inside the block, in order."""
    from kizuna.review.checks import cache as check_cache

    counts: list[tuple[int, int]] = []
    original = check_cache.FindingsCache.save

    def spy(self: check_cache.FindingsCache) -> None:
        counts.append((self.computed, self.reused))
        original(self)

    check_cache.FindingsCache.save = spy  # type: ignore[method-assign]
    try:
        yield counts
    finally:
        check_cache.FindingsCache.save = original  # type: ignore[method-assign]
