"""The analysed text every text rule reads: plain text, blocks, sentences and tokens, made once.

A :class:`TextDoc` is built from a message text (templates masked) or from a Markdown or plain
draft (``kizuna lint``). It keeps

* ``plain`` — the text the rules read: Jinja2 ``{{ ... }}`` becomes ``〇`` and ``{% ... %}`` is
  dropped; in Markdown, inline code becomes ``ー`` of the same length (as textlint's
  no-doubled-joshi masks it), emphasis marks, link targets, images, HTML tags, quotes, fenced
  code and reference definitions are removed; every plain offset maps back to the source.
* ``blocks`` — paragraphs (split at blank lines); in Markdown each heading and list item is its
  own block with ``kind`` ``header`` / ``list``, as textlint treats them.
* ``sentences`` — split after 。．！？!? (and ``.`` before a space), never inside 「」『』（）or "",
  with closing brackets kept; a single line break does not end a sentence (as textlint's
  sentence-splitter), a blank line does.
* ``tokens`` — UniDic morphemes (fugashi + unidic-lite), tokenised once per sentence on first
  use and shared by every Japanese rule. The tagger is a lazy module-level singleton.
"""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Iterator, Mapping

from kizuna.catalog.limits import MAX_SENTENCE_CHARS, LimitError, shorten

SENTENCE_END = frozenset("。．！？!?")
OPENERS = {"「": "」", "『": "』", "（": "）", "(": ")", "【": "】", "〔": "〕", "《": "》", "〈": "〉"}
CLOSERS = frozenset(OPENERS.values()) | frozenset("\"'”’")
LEADING_SPACE = " \t\n\r\u3000"

_TEMPLATE_RE = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)
_BLANK_LINE_RE = re.compile(r"\n[ \t\u3000]*\n")


# --- tokens ---------------------------------------------------------------------------------------

class Token:
    """One UniDic morpheme with its offsets in the document's plain text."""

    __slots__ = ("surface", "pos1", "pos2", "ctype", "cform", "lemma", "orth_base", "kana_base",
                 "lform", "goshu", "start", "end")

    def __init__(self, surface: str, feature: Any, start: int) -> None:
        self.surface = surface
        self.pos1: str = feature.pos1 or ""
        self.pos2: str = feature.pos2 or ""
        self.ctype: str = feature.cType or ""
        self.cform: str = feature.cForm or ""
        self.lemma: str = feature.lemma or surface
        self.orth_base: str = feature.orthBase or surface
        self.kana_base: str = feature.kanaBase or ""
        self.lform: str = feature.lForm or ""
        self.goshu: str = feature.goshu or ""
        self.start = start
        self.end = start + len(surface)

    @property
    def is_particle(self) -> bool:
        return self.pos1 == "助詞"

    def __repr__(self) -> str:
        return f"Token({self.surface!r}, {self.pos1},{self.pos2}, {self.cform}, @{self.start})"


_TAGGER: Any = None


def tagger() -> Any:
    """The shared fugashi tagger (UniDic via unidic-lite), built on first use."""
    global _TAGGER
    if _TAGGER is None:
        import fugashi

        _TAGGER = fugashi.Tagger()
    return _TAGGER


def tokenize(text: str, offset: int = 0) -> list[Token]:
    """Morphemes of ``text`` with offsets shifted by ``offset``.

    A text over ``MAX_SENTENCE_CHARS`` is refused (``LimitError``) before MeCab sees it: MeCab
    crashes the whole process on a sentence of about a million characters."""
    if len(text) > MAX_SENTENCE_CHARS:
        raise LimitError(f"a sentence of {len(text):,} characters is too long for morphological analysis "
                         f"(the limit is {MAX_SENTENCE_CHARS:,}): {shorten(text, 40)}; split it")
    tokens: list[Token] = []
    pos = 0
    for node in tagger()(text):
        surface = node.surface
        found = text.find(surface, pos)
        start = found if found >= 0 else pos
        tokens.append(Token(surface, node.feature, offset + start))
        pos = start + len(surface)
    return tokens


@lru_cache(maxsize=4096)
def verb_type(base_form: str) -> str:
    """The conjugation type UniDic gives ``base_form`` read alone (``食べる`` → 下一段-バ行)."""
    tokens = tokenize(base_form)
    return tokens[0].ctype if len(tokens) == 1 and tokens[0].pos1 == "動詞" else ""


# --- plain text with an offset map ------------------------------------------------------------

class _Builder:
    """Accumulates plain text and remembers where each piece came from in the source."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.starts: list[int] = []  # plain start of each piece
        self.origins: list[int] = []  # source start of each piece
        self.exact: list[bool] = []
        self.length = 0

    def add(self, text: str, origin: int, exact: bool = True) -> None:
        if not text:
            return
        self.parts.append(text)
        self.starts.append(self.length)
        self.origins.append(origin)
        self.exact.append(exact)
        self.length += len(text)


@dataclass
class OffsetMap:
    starts: list[int] = field(default_factory=list)
    origins: list[int] = field(default_factory=list)
    exact: list[bool] = field(default_factory=list)

    def to_source(self, offset: int) -> int:
        if not self.starts:
            return offset
        i = max(bisect.bisect_right(self.starts, offset) - 1, 0)
        delta = offset - self.starts[i]
        return self.origins[i] + (delta if self.exact[i] else 0)


_FIELD_EXPR_RE = re.compile(r"^\{\{\s*([A-Za-z][\w.]*)\s*\}\}$")


def mask_templates(source: str) -> tuple[str, OffsetMap | None, dict[int, str]]:
    """Plain text of a message: ``{{ x }}`` → ``〇``, ``{% ... %}`` and ``{# ... #}`` removed;
    with the offsets in the plain text of the ``〇`` that stand for a field (``town.name``)."""
    if "{" not in source:
        return source, None, {}
    b = _Builder()
    fields: dict[int, str] = {}
    pos = 0
    for m in _TEMPLATE_RE.finditer(source):
        b.add(source[pos:m.start()], pos)
        if m.group().startswith("{{"):
            if field_match := _FIELD_EXPR_RE.match(m.group()):
                fields[b.length] = field_match.group(1)
            b.add("〇", m.start(), exact=False)
        pos = m.end()
    b.add(source[pos:], pos)
    return "".join(b.parts), OffsetMap(b.starts, b.origins, b.exact), fields


# --- Markdown -------------------------------------------------------------------------------------

_FENCE_RE = re.compile(r"^\s*(```|~~~)")
_HEADING_RE = re.compile(r"^(#{1,6})\s+")
_LIST_RE = re.compile(r"^\s*(?:[-*+]|\d{1,3}[.)])\s+")
_REFDEF_RE = re.compile(r"^\s*\[[^\]]+\]:\s*\S+")
_SINGLE_LINK_RE = re.compile(r"^\s*\[[^\]]*\]\([^)]*\)\s*$")
_INLINE_RE = re.compile(
    r"(?P<code>`+)(?P<code_body>.+?)(?P=code)"
    r"|!\[[^\]]*\]\([^)]*\)"
    r"|\[(?P<link_text>[^\]]*)\]\((?P<link_url>[^)\s]*)(?:\s+\"[^\"]*\")?\)"
    r"|\[(?P<ref_text>[^\]]+)\]\[[^\]]*\]"
    r"|<(?:https?://[^>]+|/?[A-Za-z][^>]*)>"
    r"|(?P<em>\*\*|__|\*|_)(?=\S)(?P<em_body>.+?)(?<=\S)(?P=em)"
)


@dataclass(frozen=True)
class Block:
    """A paragraph, heading or list item: ``[start, end)`` in the plain text."""

    start: int
    end: int
    kind: str = "body"
    single_link: bool = False


def _inline(b: _Builder, line: str, origin: int) -> None:
    pos = 0
    for m in _INLINE_RE.finditer(line):
        b.add(line[pos:m.start()], origin + pos)
        if m.group("code"):
            body_start = m.start("code_body")
            b.add("ー" * len(m.group("code_body")), origin + body_start)
        elif m.group("link_text") is not None:
            text, url = m.group("link_text"), m.group("link_url")
            if text and text != url:
                _inline(b, text, origin + m.start("link_text"))
        elif m.group("ref_text") is not None:
            _inline(b, m.group("ref_text"), origin + m.start("ref_text"))
        elif m.group("em"):
            _inline(b, m.group("em_body"), origin + m.start("em_body"))
        pos = m.end()
    b.add(line[pos:], origin + pos)


def strip_markdown(source: str) -> tuple[str, OffsetMap, list[Block]]:
    """Plain text, offset map and blocks of a Markdown draft (see the module docstring)."""
    b = _Builder()
    blocks: list[Block] = []
    para_start: int | None = None
    para_link = False
    in_fence = False
    offset = 0

    def close_paragraph() -> None:
        nonlocal para_start, para_link
        if para_start is not None:
            end = b.length
            blocks.append(Block(para_start, end, "body", para_link))
            b.add("\n", offset, exact=False)
        para_start, para_link = None, False

    for raw in source.splitlines(keepends=True):
        line = raw.rstrip("\r\n")
        line_origin = offset
        offset += len(raw)
        if _FENCE_RE.match(line):
            close_paragraph()
            in_fence = not in_fence
            continue
        if in_fence or not line.strip() or line.lstrip().startswith(">") or _REFDEF_RE.match(line):
            close_paragraph()
            continue
        marker = _HEADING_RE.match(line) or _LIST_RE.match(line)
        if marker:
            close_paragraph()
            kind = "header" if line.lstrip().startswith("#") else "list"
            start = b.length
            content = line[marker.end():].rstrip("# ") if kind == "header" else line[marker.end():]
            _inline(b, content, line_origin + marker.end())
            blocks.append(Block(start, b.length, kind, bool(_SINGLE_LINK_RE.match(content))))
            b.add("\n", line_origin + len(line), exact=False)
            continue
        if para_start is None:
            para_start = b.length
            para_link = bool(_SINGLE_LINK_RE.match(line))
        else:
            para_link = False
            b.add("\n", line_origin - 1)
        _inline(b, line, line_origin)
    close_paragraph()
    return "".join(b.parts), OffsetMap(b.starts, b.origins, b.exact), blocks


def plain_blocks(plain: str) -> list[Block]:
    """Paragraph blocks of a plain text, split at blank lines."""
    blocks = []
    pos = 0
    for m in _BLANK_LINE_RE.finditer(plain):
        blocks.append(Block(pos, m.start()))
        pos = m.end()
    blocks.append(Block(pos, len(plain)))
    return [b for b in blocks if plain[b.start:b.end].strip()]


# --- sentences --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Sentence:
    start: int
    end: int
    block: int  # index into TextDoc.blocks


def _is_end(text: str, i: int) -> bool:
    ch = text[i]
    if ch in SENTENCE_END:
        return True
    return ch == "." and (i + 1 == len(text) or text[i + 1] in " \n\t")


def split_sentences(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    """``(start, end)`` of each sentence in ``text[start:end]``, whitespace trimmed."""
    depth: list[str] = []
    i = start
    s = start
    while i < end:
        ch = text[i]
        if ch == '"' and not (depth and depth[-1] == '"'):
            depth.append('"')  # an ASCII quote opens, the next one closes
        elif ch in OPENERS:
            depth.append(OPENERS[ch])
        elif depth and ch == depth[-1]:
            depth.pop()
        elif not depth and _is_end(text, i):
            j = i + 1
            while j < end and (text[j] in SENTENCE_END or text[j] in CLOSERS):
                j += 1
            yield from _trimmed(text, s, j)
            s = i = j
            continue
        i += 1
    yield from _trimmed(text, s, end)


def _trimmed(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    while start < end and text[start] in LEADING_SPACE:
        start += 1
    while end > start and text[end - 1] in LEADING_SPACE:
        end -= 1
    if end > start:
        yield start, end


# --- the document -----------------------------------------------------------------------------------

def language(locale: str) -> str:
    """The language part of a locale: ``ja-easy`` → ``ja``."""
    return locale.split("-")[0].lower()


class TextDoc:
    """One text, analysed once and shared by every text rule (see the module docstring)."""

    def __init__(self, source: str, locale: str = "ja", *, markdown: bool = False,
                 stage: Any = None, root: Any = None, cache: dict[Any, Any] | None = None,
                 field_lengths: Mapping[str, int] | None = None, topics: Any = (),
                 plain_language: bool | None = None) -> None:
        self.source = source
        #: the message's topics (empty for a draft outside a workspace): safety rules read them
        self.topics = tuple(topics or ())
        #: written in plain language (やさしい日本語): the ``easy/*`` rules apply; by default the
        #: ``*-easy`` locales (a workspace lists its own in ``kizuna.yaml``'s ``plain_language``)
        self.plain_language = locale.endswith("-easy") if plain_language is None else plain_language
        #: longest value of each template field among the towns that send the text, so lengths
        #: count a field as it will be read, not as the one ``〇`` that stands for it
        self.field_lengths = dict(field_lengths or {})
        self._fields: dict[int, str] = {}
        #: the workspace folder (data files of tone/terms and tone/wordlist) and a per-run cache
        self.root = root
        self.cache = cache
        self.locale = locale
        self.lang = language(locale)
        self.stage = stage
        self.markdown = markdown
        if markdown:
            self.plain, self._map, self.blocks = strip_markdown(source)
        else:
            self.plain, omap, self._fields = mask_templates(source)
            self._map = omap
            self.blocks = plain_blocks(self.plain)
        self.sentences = [Sentence(s, e, bi) for bi, blk in enumerate(self.blocks)
                          for s, e in split_sentences(self.plain, blk.start, blk.end)]
        self._tokens: list[list[Token]] | None = None

    @property
    def is_japanese(self) -> bool:
        return self.lang == "ja"

    def text_of(self, start: int, end: int) -> str:
        return self.plain[start:end]

    def field_extra(self, start: int, end: int) -> int:
        """What the fields in ``plain[start:end]`` add to its length as a reader gets it: each
        field's one ``〇`` stands for its longest value among the towns that send the text."""
        return sum(self.field_lengths[path] - 1 for offset, path in self._fields.items()
                   if start <= offset < end and path in self.field_lengths)

    def to_source(self, offset: int) -> int:
        return self._map.to_source(offset) if self._map is not None else offset

    def source_span(self, start: int, end: int) -> tuple[int, int]:
        s = self.to_source(start)
        e = self.to_source(max(end - 1, start)) + (1 if end > start else 0)
        return s, max(e, s)

    @property
    def sentence_tokens(self) -> list[list[Token]]:
        """Tokens of each sentence (tokenised on first use, Japanese documents only)."""
        if self._tokens is None:
            self._tokens = [tokenize(self.plain[s.start:s.end], s.start) if self.is_japanese else []
                            for s in self.sentences]
        return self._tokens

    def block_tokens(self) -> list[list[Token]]:
        """Tokens of each block (its sentences' tokens, in order)."""
        out: list[list[Token]] = [[] for _ in self.blocks]
        for sentence, tokens in zip(self.sentences, self.sentence_tokens):
            out[sentence.block].extend(tokens)
        return out

    @property
    def tokens(self) -> list[Token]:
        return [t for ts in self.sentence_tokens for t in ts]
