"""``tone/terms`` and ``tone/wordlist``: vocabulary the workspace keeps in its own data files.

**Term dictionary** (``tone/terms``), in prh's format (https://github.com/prh/prh), so existing
prh dictionaries load as they are::

    version: 1
    rules:
      - expected: 子ども
        pattern: 子供                  # or patterns: [...]; /regex/ for a regular expression
        prh: 表記を「子ども」にそろえます  # shown with the finding
        specs:                         # examples checked when the file loads
          - {from: 子供の健診, to: 子どもの健診}

``expected`` may use ``$1`` for a group of a regular expression. A match that already equals the
expected text is not reported. An optional ``lang`` (default ``ja``) limits an entry to a language.

**Word lists** (``tone/wordlist``): words that blame, frighten or stigmatise — the service must
not read as "support for people with problems"::

    blame:
      reason: 読み手を責める言い方です
      words: [母親失格, /親のせいで?/, {word: ダメな親, suggestion: ...}]

In a message of a safety-critical topic, the words of ``allowed_words`` in ``safety.yaml`` are
not flagged: 「命に関わる」「死に至ることがある」 are what clinicians require of a safety message
(see :mod:`review.checks.safety`).

The built-in files are ``review/data/terms.yaml`` and ``review/data/wordlist.yaml``; a workspace
adds its own (options ``dictionary`` and ``lists``, paths relative to the workspace) and may turn
the built-in ones off (``defaults: false``). Files are read once per change (cached by mtime);
a broken file is an error naming the file and the field.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Iterator, Mapping

from kizuna.catalog import yamlio
from kizuna.catalog.errors import WorkspaceError
from kizuna.catalog.i18n import _
from kizuna.review.checks.engine import CONFIG_FILE, Hit, require_texts, rule
from kizuna.review.checks.text import TextDoc

_REGEX_RE = re.compile(r"^/(.+)/([imsux]*)$", re.S)
_FLAGS = {"i": re.I, "m": re.M, "s": re.S, "u": 0, "x": re.X}


def compile_pattern(pattern: str, *, where: str = "", path: str | Path | None = None) -> re.Pattern[str]:
    """A ``/regex/flags`` string as a regular expression, anything else matched literally."""
    m = _REGEX_RE.match(pattern)
    if not m:
        return re.compile(re.escape(pattern))
    flags = 0
    for f in m.group(2):
        flags |= _FLAGS[f]
    try:
        return re.compile(m.group(1), flags)
    except re.error as exc:
        raise WorkspaceError(f"'{pattern}' is not a valid regular expression: {exc}", path=path,
                             field=where or None) from None


@lru_cache(maxsize=8)
def builtin_path(name: str) -> Path:
    return Path(str(resources.files("kizuna.review").joinpath("data", name)))


def _mtime(path: Path) -> float:
    return path.stat().st_mtime if path.is_file() else -1.0


@lru_cache(maxsize=64)
def _load(parse: Any, path: Path, mtime: float) -> Any:
    """``parse`` of a YAML data file, read again only when its mtime changes."""
    return parse(yamlio.read(path), path)


# --- term dictionary ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Term:
    expected: str
    patterns: tuple[re.Pattern[str], ...]
    note: str = ""
    lang: str = "ja"

    def replacement(self, match: re.Match[str]) -> str:
        return match.expand(re.sub(r"\$(\d)", r"\\\1", self.expected))

    def apply(self, text: str) -> str:
        for p in self.patterns:
            text = p.sub(lambda m: self.replacement(m), text)
        return text


def _as_list(value: Any, f_path: Path, where: str) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, list):
        return value
    if isinstance(value, (str, Mapping)):
        return [value]
    raise WorkspaceError("must be a list", path=f_path, field=where)


def terms_from_data(data: Any, path: Path) -> tuple[Term, ...]:
    """Parse a prh-style dictionary; each spec must turn ``from`` into ``to``."""
    if not isinstance(data, Mapping) or not isinstance(data.get("rules"), list):
        raise WorkspaceError("a term dictionary is a mapping with 'rules: [...]' (prh format)", path=path)
    terms = []
    for i, raw in enumerate(data["rules"]):
        where = f"rules[{i}]"
        if not isinstance(raw, Mapping) or not isinstance(raw.get("expected"), str):
            raise WorkspaceError("each rule needs 'expected' (the preferred wording)", path=path, field=where)
        unknown = set(raw) - {"expected", "pattern", "patterns", "prh", "specs", "lang"}
        if unknown:
            raise WorkspaceError(f"unknown key(s) {', '.join(sorted(map(str, unknown)))}", path=path, field=where)
        raw_patterns = _as_list(raw.get("patterns", raw.get("pattern")), path, f"{where}.patterns")
        if not raw_patterns:
            raise WorkspaceError("needs 'pattern' or 'patterns'", path=path, field=where)
        if not all(isinstance(p, str) for p in raw_patterns):
            raise WorkspaceError("patterns are text (/.../ for a regular expression)", path=path,
                                 field=f"{where}.patterns")
        term = Term(raw["expected"], tuple(compile_pattern(p, where=f"{where}.patterns", path=path)
                                           for p in raw_patterns),
                    str(raw.get("prh") or ""), str(raw.get("lang") or "ja"))
        for k, spec in enumerate(_as_list(raw.get("specs"), path, f"{where}.specs")):
            if not isinstance(spec, Mapping) or not {"from", "to"} <= set(spec):
                raise WorkspaceError("a spec is {from: ..., to: ...}", path=path, field=f"{where}.specs[{k}]")
            got = term.apply(str(spec["from"]))
            if got != str(spec["to"]):
                raise WorkspaceError(f"spec fails: '{spec['from']}' becomes '{got}', not '{spec['to']}'",
                                     path=path, field=f"{where}.specs[{k}]")
        terms.append(term)
    return tuple(terms)


def load_terms(path: Path) -> tuple[Term, ...]:
    return _load(terms_from_data, path, _mtime(path))


# --- word lists ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Word:
    pattern: re.Pattern[str]
    category: str
    reason: str
    suggestion: str | None = None
    lang: str = "ja"


def words_from_data(data: Any, path: Path) -> tuple[Word, ...]:
    if not isinstance(data, Mapping):
        raise WorkspaceError("a word list is a mapping of category to {reason, words}", path=path)
    words = []
    for category, raw in data.items():
        where = str(category)
        if not isinstance(raw, Mapping) or not isinstance(raw.get("words"), list):
            raise WorkspaceError("each category is {reason: ..., words: [...]}", path=path, field=where)
        unknown = set(raw) - {"reason", "words", "lang"}
        if unknown:
            raise WorkspaceError(f"unknown key(s) {', '.join(sorted(map(str, unknown)))}", path=path, field=where)
        reason = str(raw.get("reason") or category)
        lang = str(raw.get("lang") or "ja")
        for i, entry in enumerate(raw["words"]):
            w = f"{where}.words[{i}]"
            if isinstance(entry, str):
                words.append(Word(compile_pattern(entry, where=w, path=path), where, reason, None, lang))
            elif isinstance(entry, Mapping) and isinstance(entry.get("word"), str):
                words.append(Word(compile_pattern(entry["word"], where=w, path=path), where,
                                  str(entry.get("reason") or reason), entry.get("suggestion"), lang))
            else:
                raise WorkspaceError("a word is text, or {word: ..., suggestion: ...}", path=path, field=w)
    return tuple(words)


def load_words(path: Path) -> tuple[Word, ...]:
    return _load(words_from_data, path, _mtime(path))


# --- which files -----------------------------------------------------------------------------------------

def data_files(doc: TextDoc, builtin: str, configured: list[str], use_defaults: bool,
               default_name: str, option: str = "") -> list[Path]:
    """Built-in file (unless turned off), then the workspace's: configured paths must exist;
    the conventional ``default_name`` in the workspace root is used when present. Looked up once
    per check run (``doc.cache``)."""
    root, cache = doc.root, doc.cache
    key = ("data_files", root, builtin, tuple(configured), use_defaults)
    if cache is not None and key in cache:
        return cache[key]
    files = [builtin_path(builtin)] if use_defaults else []
    for name in configured:
        path = Path(name) if Path(name).is_absolute() or root is None else root / name
        if not path.is_file():
            raise WorkspaceError(f"the file '{name}' does not exist (looked for {path})", path=CONFIG_FILE,
                                 field=option or None)
        files.append(path)
    if not configured and root is not None and (root / default_name).is_file():
        files.append(root / default_name)
    if cache is not None:
        cache[key] = files
    return files


def _validate_files(option: str) -> Any:
    def validate(opts: Mapping) -> None:
        require_texts(opts, option)
    return validate


@rule("tone/terms", "用語の統一", level="warning", scope="text", lint=True, validate=_validate_files("dictionary"),
      options={"dictionary": [], "defaults": True},
      description="用語辞書（prh 形式）にそって表記をそろえる。保護者を限定しない言い方もここで扱う")
def terms(doc: TextDoc, opts: Mapping) -> Iterator[Hit]:
    for path in data_files(doc, "terms.yaml", list(opts["dictionary"]), opts["defaults"], "terms.yaml",
                           "checks.rules.tone/terms.options.dictionary"):
        for term in load_terms(path):
            if term.lang != doc.lang:
                continue
            for pattern in term.patterns:
                for m in pattern.finditer(doc.plain):
                    wanted = term.replacement(m)
                    if m.group() == wanted or not m.group():
                        continue
                    note = _(" ({note})").format(note=term.note) if term.note else ""
                    yield Hit(_("Write \"{wanted}\", not \"{found}\"{note}.").format(
                                  wanted=wanted, found=m.group(), note=note), m.start(), m.end(),
                              suggestion=f"「{wanted}」" if doc.is_japanese else f'"{wanted}"')


@rule("tone/wordlist", "責める・不安をあおる・偏見につながる言葉", level="warning", scope="text", lint=True,
      validate=_validate_files("lists"), options={"lists": [], "defaults": True},
      description="読み手を責める、不安をあおる、支援を「問題のある人のため」に見せる言葉")
def wordlist(doc: TextDoc, opts: Mapping) -> Iterator[Hit]:
    from kizuna.review.checks.safety import allowed_in  # safety imports this module
    for path in data_files(doc, "wordlist.yaml", list(opts["lists"]), opts["defaults"], "wordlist.yaml",
                           "checks.rules.tone/wordlist.options.lists"):
        for word in load_words(path):
            if word.lang != doc.lang:
                continue
            for m in word.pattern.finditer(doc.plain):
                if not m.group() or allowed_in(doc, m.group()):
                    continue  # a safety word in a safety-critical message (review/checks/safety.py)
                text = _("\"{words}\": {reason} ({category}).").format(
                    words=m.group(), reason=word.reason, category=word.category)
                yield Hit(text, m.start(), m.end(), suggestion=word.suggestion)
