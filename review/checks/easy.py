"""``easy/*``: the plain-language (やさしい日本語) rules, for the ``ja-easy`` edition and any locale
``kizuna.yaml`` lists under ``plain_language``.

They follow 在留支援のためのやさしい日本語ガイドライン (出入国在留管理庁・文化庁, 2020) and the
やさしい日本語 materials of 弘前大学 社会言語学研究室, read on the UniDic analysis every Japanese
rule shares (part of speech, conjugation, lemma, and the 語種 feature for loanwords):

* ``easy/sentence-length`` — a sentence over ``max`` (50) characters or joining more than
  ``max_links`` (2) clauses with が・ので・けれど・たら・ば… (one idea per sentence);
* ``easy/double-negative`` — 〜ないわけではない, 〜ないことはない, 〜ないとは限らない;
* ``easy/honorific`` — 尊敬語・謙譲語 (お伺いいたします, ご連絡申し上げます, お申し付けください,
  〜くださいませ, 〜しております); set greetings (おめでとうございます) are plain enough;
* ``easy/passive-causative`` — passives of 五段 and サ変 verbs (交付されます) and causatives
  (受けさせてください); verbs UniDic lists as words of their own (寝かせる, 見せる, 知らせる,
  生まれる) are not auxiliaries and are not reported; 一段 verb + られる is left alone, as it is
  mostly the potential form (食べられる);
* ``easy/hard-word`` — kanji above grade ``max_grade`` of the 教育漢字 (学年別漢字配当表, from
  KANJIDIC; see ``review/data/README.md``; default 4) and kanji compounds longer than ``max_compound`` (4),
  unless a reading in brackets follows (健診（けんしん）), the word is in the workspace glossary,
  or the channel prints ruby (``ruby: true``: only long compounds are reported);
* ``easy/loanword`` — katakana loanwords (UniDic 語種 外) outside a short list of everyday ones
  (``review/data/easy_loanwords.yaml``: ミルク, チャイルドシート, ワクチン…) and the glossary,
  unless an explanation in brackets follows;
* ``easy/onomatopoeia`` — 擬音語・擬態語 (にこにこ, きゃっきゃっ, ぐっすり): reduplicated kana
  adverbs and the 〜っ〜り kind, not everyday words (ゆっくり, いろいろ, ときどき);
* ``easy/notation`` — numbers in digits (三か月 → 3か月, full-width １ → 1), ages and months in
  one spelling (``age``: 歳 or さい; ``month``: か月), dates as 5月3日 rather than 5/3;
* ``easy/directive`` — 「〜ましょう」 tells the reader what to do: say plainly what they can do
  (〜できます), what helps (〜すると安心です), or ask (〜してください).

A word the workspace wants without a reading (a town name, 母子手帳, ロタウイルス) goes in its
glossary, ``easy_glossary.yaml`` (option ``glossary``)::

    words: [母子手帳, ロタウイルス, {word: 世田谷区, note: 区の名前}]

Each rule also reads the towns' blocks written in a plain-language locale
(``blocks: {B0d: {ja-easy: ...}}``), through a workspace-scope companion registered at the end.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Iterator, Mapping, Sequence

from kizuna.catalog.channels import utf16_units
from kizuna.catalog.errors import KizunaError, WorkspaceError
from kizuna.catalog.i18n import N_, _
from kizuna.review.checks.engine import Hit, require_at_least, require_texts, rule
from kizuna.review.checks.text import TextDoc, Token
from kizuna.review.checks.tone import _quoted
from kizuna.review.checks.wordlists import _load, _mtime

GLOSSARY_FILE = "easy_glossary.yaml"


def _applies(doc: TextDoc) -> bool:
    return doc.is_japanese and getattr(doc, "plain_language", False)


# --- data -------------------------------------------------------------------------------------

def _data_path(name: str) -> Path:
    return Path(str(resources.files("kizuna.review").joinpath("data", name)))


@lru_cache(maxsize=1)
def kanji_table() -> dict[str, tuple[int, int]]:
    """Kanji → (school grade: 1–6 教育漢字, 8 the other 常用漢字; old JLPT level 4 (easiest) to 1,
    0 for none), from ``review/data/kanji_grades.tsv``."""
    table: dict[str, tuple[int, int]] = {}
    for line in _data_path("kanji_grades.tsv").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            kanji, grade, jlpt = line.split("\t")
            table[kanji] = (int(grade), int(jlpt or 0))
    return table


@lru_cache(maxsize=8)
def easy_kanji(max_grade: int, jlpt_old: int) -> frozenset[str]:
    """Kanji read without help: 教育漢字 up to ``max_grade``, and those of the old JLPT levels
    ``jlpt_old`` to 4 (3: the 3級 and 4級 kanji; 0: none)."""
    return frozenset(k for k, (grade, jlpt) in kanji_table().items()
                     if grade <= max_grade or (jlpt_old and jlpt >= jlpt_old))


def _words_from_data(data: Any, path: Path) -> frozenset[str]:
    """Words of a glossary or word-list file: ``words: [word, {word: ..., note: ...}, ...]``."""
    if data is None:
        return frozenset()
    if not isinstance(data, Mapping) or not isinstance(data.get("words", []), list):
        raise WorkspaceError("a glossary is a mapping with 'words: [...]'", path=path)
    words = []
    for i, item in enumerate(data.get("words") or []):
        word = item.get("word") if isinstance(item, Mapping) else item
        if not isinstance(word, str) or not word.strip():
            raise WorkspaceError("each entry is a word, or a mapping with 'word'", path=path, field=f"words[{i}]")
        words.append(word.strip())
    return frozenset(words)


@lru_cache(maxsize=1)
def common_loanwords() -> frozenset[str]:
    """The built-in everyday loanwords (``review/data/easy_loanwords.yaml``)."""
    path = _data_path("easy_loanwords.yaml")
    return _load(_words_from_data, path, _mtime(path))


def glossary(doc: TextDoc, opts: Mapping[str, Any]) -> frozenset[str]:
    """Workspace glossary words (option ``glossary``, relative to the workspace) and ``allow``."""
    words = set(opts.get("allow", ()))
    name = opts.get("glossary") or ""
    if name and doc.root is not None:
        path = Path(doc.root) / name
        if path.is_file():
            words |= _load(_words_from_data, path, _mtime(path))
    return frozenset(words)


def covered(text: str, words: frozenset[str]) -> set[int]:
    """Offsets of ``text`` that lie inside an occurrence of one of ``words``."""
    out: set[int] = set()
    for word in words:
        start = text.find(word)
        while start >= 0:
            out.update(range(start, start + len(word)))
            start = text.find(word, start + 1)
    return out


_READING_RE = re.compile(r"[」』]?[（(《]\s*[ぁ-ゖァ-ヺー・･ 　]+\s*[）)》]")
_READING_AFTER_KANJI_RE = re.compile(r"(?<=[\u3400-\u9fff\uf900-\ufaff々」』])[（(《]\s*[ぁ-ゖァ-ヺー・･ 　]+\s*[）)》]")
_NOTE_RE = re.compile(r"[（(][^（()）]{1,40}[）)]")


def reading_spans(doc: TextDoc) -> list[tuple[int, int]]:
    """``(start, end)`` of each reading in brackets after kanji (健診（けんしん）): the token rules
    skip what is inside (a kana reading is not a word of the sentence), and lengths leave it out."""
    cache = doc.__dict__.setdefault("_easy_readings", None)
    if cache is None:
        cache = [(m.start(), m.end()) for m in _READING_AFTER_KANJI_RE.finditer(doc.plain)]
        doc.__dict__["_easy_readings"] = cache
    return cache


def sentence_tokens(doc: TextDoc) -> list[list[Token]]:
    """Each sentence's tokens without those inside a reading in brackets."""
    spans = reading_spans(doc)
    if not spans:
        return doc.sentence_tokens
    return [[t for t in tokens if not any(s <= t.start < e for s, e in spans)] for tokens in doc.sentence_tokens]


def reading_follows(text: str, end: int) -> bool:
    """A reading in kana brackets starts at ``end``: 健診（けんしん）, 防（ふせ）ぐ, 健診《けんしん》."""
    return _READING_RE.match(text, end) is not None


# --- easy/sentence-length -------------------------------------------------------------------------

#: conjunctive particles and forms that join one clause to the next
_LINKS = {"が", "けれど", "けれども", "けど", "ので", "から", "のに", "し", "ながら", "ば", "と", "ても", "でも"}


def clause_links(tokens: Sequence[Token]) -> list[Token]:
    """Tokens that join two clauses in one sentence: 接続助詞 が・ので・けれど・から・のに・し・ば・と,
    and 〜たら (助動詞 た 仮定形)."""
    out = []
    for t in tokens:
        if t.pos1 == "助詞" and t.pos2 == "接続助詞" and t.surface in _LINKS:
            out.append(t)
        elif t.pos1 == "助動詞" and t.lemma == "た" and t.cform.startswith("仮定形"):
            out.append(t)
    return out


def _validate_sentence(opts: Mapping) -> None:
    require_at_least(opts, 1, "max")


@rule("easy/sentence-length", "やさしい日本語：長い文", level="warning", scope="text", languages=["ja"], lint=True,
      options={"max": 50, "max_links": 2}, validate=_validate_sentence,
      description="やさしい日本語の一文が長い（既定で50文字を超える）か、が・ので・たら などで"
                  "3つ以上の節をつないでいる")
def sentence_length(doc: TextDoc, opts: Mapping) -> Iterator[Hit]:
    if not _applies(doc):
        return
    for s, tokens in zip(doc.sentences, sentence_tokens(doc)):
        readings = sum(min(e, s.end) - max(b, s.start) for b, e in reading_spans(doc) if b < s.end and e > s.start)
        n = utf16_units(doc.plain[s.start:s.end]) - readings  # a field (the town's own text) counts as one
        if n > opts["max"]:
            yield Hit(_("Too long for a sentence in plain Japanese ({n} characters; aim for {max} at most).").format(
                          n=n, max=opts["max"]),
                      s.start, s.end, suggestion=_("Say one thing in one sentence, and split the sentence"))
            continue
        links = clause_links(tokens)
        if len(links) > opts["max_links"]:
            words = "・".join(t.surface for t in links)
            yield Hit(_("The sentence has {count} clauses (joined by \"{words}\").").format(
                          count=len(links) + 1, words=words),
                      s.start, s.end, suggestion=_("Split the sentence with 「。」 and write one thing in each"))


# --- easy/double-negative ------------------------------------------------------------------------

_NEG_LEMMAS = {"ない", "無い", "ず", "ぬ"}
#: what may stand between the two negations: わけ・こと・はず, では・とは・も, 言う・限る, だ
_BETWEEN_LEMMAS = {"訳", "事", "筈", "は", "で", "も", "と", "じゃ", "言う", "限る", "だ", "ます", "有る", "ある"}


def _is_neg(t: Token) -> bool:
    return t.pos1 in ("助動詞", "形容詞") and t.lemma in _NEG_LEMMAS


def double_negatives(tokens: Sequence[Token]) -> Iterator[tuple[int, int]]:
    """``(first, last)`` token indexes of each double negative in one sentence."""
    for i, t in enumerate(tokens):
        if not _is_neg(t) or t.cform.startswith("連用形"):  # 〜なくて / 〜ないで go on, not deny
            continue
        between = 0
        for j in range(i + 1, min(i + 8, len(tokens))):
            u = tokens[j]
            if _is_neg(u) and between:
                yield i, j
                break
            if u.lemma in _BETWEEN_LEMMAS or (u.pos1 == "助詞" and u.surface in ("は", "も", "で", "と")):
                between += 1
                continue
            break


@rule("easy/double-negative", "やさしい日本語：二重否定", level="warning", scope="text", languages=["ja"],
      lint=True, description="二重否定（〜ないわけではない、〜ないことはない、〜ないとは限らない）")
def double_negative(doc: TextDoc, opts: Mapping) -> Iterator[Hit]:
    if not _applies(doc):
        return
    for tokens in sentence_tokens(doc):
        for i, j in double_negatives(tokens):
            start, end = tokens[max(i - 1, 0)].start, tokens[j].end
            yield Hit(_("\"{words}\" is a double negative and hard to follow.").format(words=doc.plain[start:end]),
                      start, end,
                      suggestion=_("Say it in the positive, like 「〜することもあります」 or 「〜できます」"))


# --- easy/honorific ---------------------------------------------------------------------------------

#: 尊敬語・謙譲語 verbs and nouns (UniDic lemmas) and their plain words
_HONORIFIC = {
    "伺う": "聞きます・行きます", "致す": "します", "申す": "言います", "申し上げる": "言います・します",
    "存じる": "知っています・思います", "存ずる": "知っています・思います", "参る": "行きます・来ます",
    "頂く": "もらいます", "戴く": "もらいます", "召し上がる": "食べます・飲みます", "御覧": "見てください",
    "いらっしゃる": "います・来ます・行きます", "仰る": "言います", "承る": "受けます・聞きます",
    "差し上げる": "あげます", "拝見": "見ます", "賜る": "もらいます", "申し付ける": "言います",
    "為さる": "します", "下さる": "〜てください",
}
#: greetings built on ござる that stay as they are (ありがとうございます; おめでとう, おはよう are
#: 形容詞 in ウ音便 before ござる)
_GREETINGS = {"有り難う", "ありがとう", "お早う", "おはよう", "お目出度う", "おめでとう"}


def _greeting(prev: Token | None) -> bool:
    return prev is not None and (prev.lemma in _GREETINGS or prev.surface in _GREETINGS
                                 or (prev.pos1 == "形容詞" and "ウ音便" in prev.cform))


def honorifics(tokens: Sequence[Token]) -> Iterator[tuple[int, int, str]]:
    """``(first, last, plain wording)`` of each honorific or humble form in one sentence."""
    for i, t in enumerate(tokens):
        prev = tokens[i - 1] if i else None
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        if t.pos1 == "動詞" and t.lemma == "下さる":
            if nxt is not None and nxt.lemma == "ます" and nxt.cform == "命令形":  # くださいませ
                yield i, i + 1, "〜てください"
            elif prev is not None and prev.pos1 in ("名詞", "動詞") and i >= 2 and tokens[i - 2].pos1 == "接頭辞" \
                    and tokens[i - 2].lemma == "御":  # お申し込みください, ご相談ください
                yield i - 2, i, f"{prev.surface}{'して' if prev.pos1 == '名詞' else ''}ください"
            continue
        if t.lemma == "為さる" and t.cform == "命令形":
            continue  # 〜なさい: tone/command reports it; おやすみなさい is a greeting
        if t.lemma == "居る" and t.surface.startswith("お") and t.pos1 == "動詞":
            yield i, i, "います"  # 〜しております
            continue
        if t.lemma in ("御座る", "ござる") and not _greeting(prev):
            yield i, i, "あります・です"
            continue
        if t.lemma in _HONORIFIC and t.lemma != "下さる":
            start = i - 1 if prev is not None and prev.pos1 == "接頭辞" and prev.lemma == "御" else i
            if prev is not None and prev.pos1 == "名詞" and i >= 2 and tokens[i - 2].lemma == "御" \
                    and tokens[i - 2].pos1 == "接頭辞":
                start = i - 2  # ご連絡申し上げます
            yield start, i, _HONORIFIC[t.lemma]
            continue
        if t.pos1 == "接頭辞" and t.lemma == "御" and nxt is not None and i + 3 < len(tokens) \
                and tokens[i + 2].surface == "に" and tokens[i + 3].lemma == "成る":
            yield i, i + 3, "〜します"  # お読みになる


@rule("easy/honorific", "やさしい日本語：尊敬語・謙譲語", level="warning", scope="text", languages=["ja"],
      lint=True, description="尊敬語・謙譲語（お伺いいたします、ご連絡申し上げます、お申し付けください、"
                             "〜くださいませ、〜しております）")
def honorific(doc: TextDoc, opts: Mapping) -> Iterator[Hit]:
    if not _applies(doc):
        return
    for tokens in sentence_tokens(doc):
        merged: list[list] = []
        for i, j, plain in honorifics(tokens):  # お伺い + いたします: one finding
            if merged and tokens[merged[-1][1]].end == tokens[i].start:
                merged[-1][1] = j
            else:
                merged.append([i, j, plain])
        for i, j, plain in merged:
            start, end = tokens[i].start, tokens[j].end
            yield Hit(_("\"{words}\" is an honorific (sonkeigo or kenjogo); plain Japanese uses plain "
                        "です・ます.").format(words=doc.plain[start:end]),
                      start, end, suggestion=_("Write plain です・ます, like \"{plain}\"").format(plain=plain))


# --- easy/passive-causative -----------------------------------------------------------------------

def passive_causative(tokens: Sequence[Token], allow: frozenset[str] = frozenset()
                      ) -> Iterator[tuple[str, int, int]]:
    """``(kind, first, last)`` of each passive (五段・サ変 + れる) or causative (せる・させる) form."""
    for i, t in enumerate(tokens):
        if t.pos1 != "助動詞" or not i:
            continue
        verb = tokens[i - 1]
        if verb.pos1 != "動詞" or verb.lemma in allow:
            continue
        if t.lemma == "れる" and verb.ctype.startswith(("五段", "サ行変格")) and verb.end == t.start:
            first = i - 2 if verb.ctype.startswith("サ行変格") and i >= 2 and tokens[i - 2].pos1 == "名詞" else i - 1
            yield "passive", first, i
        elif t.lemma in ("せる", "させる") and verb.end == t.start:
            first = i - 2 if verb.lemma == "為る" and i >= 2 and tokens[i - 2].pos1 == "名詞" else i - 1
            yield "causative", first, i


_PC_LABEL = {"passive": N_("\"{words}\" is a passive form."), "causative": N_("\"{words}\" is a causative form.")}
_PC_SUGGESTION = {
    "passive": N_("Say who does it (交付されます → もらえます, 言われています → 〜です)"),
    "causative": N_("Say it without 「〜させる」 (受けさせてください → 受けてください, 食べさせない → あげない)"),
}


@rule("easy/passive-causative", "やさしい日本語：受け身・使役", level="warning", scope="text", languages=["ja"],
      lint=True, options={"allow": ["済む"]}, validate=lambda o: require_texts(o, "allow"),
      description="受け身（交付されます）と使役（受けさせてください）。寝かせる・見せる のような"
                  "一語の動詞は対象外")
def passive_causative_rule(doc: TextDoc, opts: Mapping) -> Iterator[Hit]:
    if not _applies(doc):
        return
    allow = frozenset(opts["allow"])
    for tokens in sentence_tokens(doc):
        for kind, i, j in passive_causative(tokens, allow):
            start, end = tokens[i].start, tokens[j].end
            yield Hit(_(_PC_LABEL[kind]).format(words=doc.plain[start:end]), start, end,
                      suggestion=_(_PC_SUGGESTION[kind]))


# --- easy/hard-word -------------------------------------------------------------------------------

#: words of the JLPT N5 vocabulary every learner reads, though a kanji in them is taught after
#: grade 4 (the default ``allow`` of easy/hard-word; a workspace may replace the list)
EVERYDAY_KANJI_WORDS = ("歳", "大丈夫", "誕生日", "菓子")
_KANJI_RUN_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff々〆]+")


def hard_words(text: str, *, max_grade: int, max_compound: int, ruby: bool,
               allowed: frozenset[str], jlpt_old: int = 0) -> Iterator[tuple[int, int, str]]:
    """``(start, end, why)`` of the first occurrence of each hard kanji word without a reading."""
    easy = easy_kanji(max_grade, jlpt_old)
    ok = covered(text, allowed)
    explained: set[str] = set()
    reported: set[str] = set()
    for m in _KANJI_RUN_RE.finditer(text):
        word, start, end = m.group(), m.start(), m.end()
        if reading_follows(text, end):
            explained.add(word)
            continue
        if word in explained or word in reported:
            continue
        free = [k for k in range(start, end) if k not in ok]
        if not free:
            continue
        hard = [text[k] for k in free if text[k] != "々" and text[k] not in easy]
        long = len(word) > max_compound
        whys = []
        if hard and not ruby:
            kanji = "・".join(dict.fromkeys(hard))
            whys.append(_("{kanji} are not kanji of school years 1 to {grade}").format(kanji=kanji, grade=max_grade)
                        if max_grade <= 6 else _("{kanji} are not jōyō kanji").format(kanji=kanji))
        if long:
            whys.append(_("a long word of {count} kanji in a row").format(count=len(word)))
        if whys:
            reported.add(word)
            yield start, end, _("; ").join(whys)


def _validate_hard(opts: Mapping) -> None:
    require_at_least(opts, 1, "max_grade", "max_compound")
    if opts["jlpt_old"] > 4:
        raise KizunaError("must be 1–4 (the old JLPT level whose kanji are read without help) or 0", field="jlpt_old")
    if opts["max_grade"] > 8:
        raise KizunaError("must be 1–6 (教育漢字 by school year) or 8 (every 常用漢字)", field="max_grade")
    require_texts(opts, "allow")


@rule("easy/hard-word", "やさしい日本語：むずかしい漢字のことば", level="warning", scope="text",
      languages=["ja"], lint=True, validate=_validate_hard,
      options={"max_grade": 4, "jlpt_old": 3, "max_compound": 4, "ruby": False, "allow": list(EVERYDAY_KANJI_WORDS),
               "glossary": GLOSSARY_FILE},
      description="教育漢字の max_grade 年生（既定4）より上の漢字や、5字以上の漢字の複合語に、"
                  "読み方（けんしん）がない")
def hard_word(doc: TextDoc, opts: Mapping) -> Iterator[Hit]:
    if not _applies(doc):
        return
    for start, end, why in hard_words(doc.plain, max_grade=opts["max_grade"], max_compound=opts["max_compound"],
                                      ruby=opts["ruby"], allowed=glossary(doc, opts), jlpt_old=opts["jlpt_old"]):
        word = doc.plain[start:end]
        yield Hit(_("\"{word}\" has no reading ({why}).").format(word=word, why=why), start, end,
                  suggestion=_("Use an easier word, or add the reading like {example}. Words used without "
                               "a reading can be listed in {glossary}").format(
                                   example=f"「{word}（よみかた）」", glossary=opts["glossary"] or GLOSSARY_FILE))


# --- easy/loanword ---------------------------------------------------------------------------------

def _lemma_word(t: Token) -> str:
    return t.lemma.split("-")[0]


def loanwords(tokens: Sequence[Token], text: str, allowed: frozenset[str], ok: set[int]
              ) -> Iterator[tuple[int, int]]:
    """``(start, end)`` of each katakana loanword (語種 外; a compound like チャイルドシート as one)
    that is not everyday, not in the glossary and not explained in brackets right after it."""
    i = 0
    while i < len(tokens):
        t = tokens[i]
        if t.goshu != "外" or not re.search(r"[ァ-ヺ]", t.surface):
            i += 1
            continue
        j = i
        while j + 1 < len(tokens) and tokens[j + 1].goshu == "外" and tokens[j + 1].start == tokens[j].end \
                and re.search(r"[ァ-ヺ]", tokens[j + 1].surface):
            j += 1
        start, end = t.start, tokens[j].end
        word = text[start:end]
        parts = [_lemma_word(u) for u in tokens[i:j + 1]]
        known = word in allowed or "".join(parts) in allowed or all(
            p in allowed or u.surface in allowed for p, u in zip(parts, tokens[i:j + 1]))
        if not known and not all(k in ok for k in range(start, end)) and not _NOTE_RE.match(text, end):
            yield start, end
        i = j + 1


@rule("easy/loanword", "やさしい日本語：カタカナ語", level="warning", scope="text", languages=["ja"], lint=True,
      options={"allow": [], "defaults": True, "glossary": GLOSSARY_FILE},
      validate=lambda o: require_texts(o, "allow"),
      description="ふだん使わないカタカナ語（メンテナンス、リクライニング）。ミルク・チャイルドシート"
                  "のような身近なことばは対象外")
def loanword(doc: TextDoc, opts: Mapping) -> Iterator[Hit]:
    if not _applies(doc):
        return
    allowed = glossary(doc, opts) | (common_loanwords() if opts["defaults"] else frozenset())
    ok = covered(doc.plain, glossary(doc, opts))
    seen: set[str] = set()
    for tokens in sentence_tokens(doc):
        for start, end in loanwords(tokens, doc.plain, allowed, ok):
            word = doc.plain[start:end]
            if word in seen:
                continue
            seen.add(word)
            yield Hit(_("\"{word}\" is a katakana loanword that is hard to understand.").format(word=word),
                      start, end,
                      suggestion=_("Use an easier word, or add its meaning like {example}").format(
                          example=f"「{word}（〜のこと）」"))


# --- easy/onomatopoeia -----------------------------------------------------------------------------

_KANA_RE = re.compile(r"^[ぁ-ゖァ-ヺー]+$")
_REDUP_RE = re.compile(r"^(.{2,3})\1$")
_XTSU_RI_RE = re.compile(r"^.[っッ].[りリ]$")
#: everyday adverbs of the 〜っ〜り and reduplicated kind that every learner knows
_EVERYDAY = {"ゆっくり", "しっかり", "はっきり", "びっくり", "すっかり", "ぴったり", "たっぷり", "そろそろ"}


def mimetic(t: Token) -> bool:
    """UniDic gives 擬音語・擬態語 a kana lemma (にこにこ, きゃっきゃっ, ぐっすり; ゴロゴロ → ごろごろ);
    reduplicated everyday words have kanji lemmas (いろいろ → 色々, ときどき → 時々)."""
    if t.pos1 not in ("副詞", "名詞", "形状詞") or not _KANA_RE.match(t.lemma):
        return False
    lemma = t.lemma
    return (bool(_REDUP_RE.match(lemma)) or bool(_XTSU_RI_RE.match(lemma))) and lemma not in _EVERYDAY \
        and t.surface not in _EVERYDAY


@rule("easy/onomatopoeia", "やさしい日本語：擬音語・擬態語", level="warning", scope="text", languages=["ja"],
      lint=True, options={"allow": []}, validate=lambda o: require_texts(o, "allow"),
      description="擬音語・擬態語（にこにこ、きゃっきゃっ、ぐっすり）。ゆっくり・いろいろ は対象外")
def onomatopoeia(doc: TextDoc, opts: Mapping) -> Iterator[Hit]:
    if not _applies(doc):
        return
    allow = set(opts["allow"])
    for tokens in sentence_tokens(doc):
        for t in tokens:
            if mimetic(t) and t.surface not in allow and t.lemma not in allow:
                yield Hit(_("\"{word}\" is an onomatopoeic word, hard for learners of Japanese.").format(
                              word=t.surface),
                          t.start, t.end, suggestion=_("Say how it is in ordinary words (にこにこ → 笑って)"))


# --- easy/notation ------------------------------------------------------------------------------

_KANJI_NUMERALS = "一二三四五六七八九十百千万"  # not 〇: it stands for a template field
_KANJI_NUMERAL_RE = re.compile(f"^[{_KANJI_NUMERALS}]+$")
_FULLWIDTH_DIGITS_RE = re.compile(r"[０-９]+")
_AGE_RE = re.compile(r"(?<=[0-9０-９〇])\s*(歳|才|さい)")
_MONTH_RE = re.compile(r"(?<=[0-9０-９〇])\s*(か月|ヶ月|ケ月|カ月|ヵ月|ケ月)")
_SLASH_DATE_RE = re.compile(r"(?<![0-9A-Za-z/.:_-])(1[0-2]|0?[1-9])/(3[01]|[12][0-9]|0?[1-9])(?![0-9A-Za-z/])")
_AGES = ("歳", "さい")


def _validate_notation(opts: Mapping) -> None:
    if opts["age"] not in _AGES:
        raise KizunaError("write 歳 or さい", field="age")
    if opts["month"] not in ("か月", "ヶ月", "カ月"):
        raise KizunaError("write か月, ヶ月 or カ月", field="month")


def notation_problems(doc: TextDoc, opts: Mapping) -> Iterator[tuple[int, int, str, str]]:
    """``(start, end, message, suggestion)`` of each number, age, month or date written off style."""
    for tokens in sentence_tokens(doc):
        for i, t in enumerate(tokens):
            nxt = tokens[i + 1] if i + 1 < len(tokens) else None
            if t.pos2 == "数詞" and _KANJI_NUMERAL_RE.match(t.surface) and nxt is not None \
                    and nxt.pos2 != "数詞" and nxt.pos1 in ("名詞", "接尾辞") and nxt.start == t.end:
                digits = _kanji_number(t.surface)
                if digits is not None:
                    yield (t.start, t.end, _("The number in \"{words}\" is written in kanji.").format(
                               words=t.surface + nxt.surface),
                           _("Write it in digits, like \"{fixed}\"").format(fixed=f"{digits}{nxt.surface}"))
    text = doc.plain
    for m in _FULLWIDTH_DIGITS_RE.finditer(text):
        half = unicodedata.normalize("NFKC", m.group())
        yield (m.start(), m.end(), _("\"{digits}\" is written in full-width digits.").format(digits=m.group()),
               _("Write half-width \"{fixed}\"").format(fixed=half))
    for m in _AGE_RE.finditer(text):
        if m.group(1) != opts["age"]:
            yield (m.start(1), m.end(1), _("The age is written \"{found}\", unlike the other texts "
                                           "(\"{wanted}\").").format(found=m.group(1), wanted=opts["age"]),
                   _("Write \"{wanted}\"").format(wanted=opts["age"]))
    for m in _MONTH_RE.finditer(text):
        if m.group(1) != opts["month"]:
            yield (m.start(1), m.end(1), _("Months are counted with \"{found}\", not \"{wanted}\".").format(
                       found=m.group(1), wanted=opts["month"]),
                   _("Write \"{wanted}\"").format(wanted=opts["month"]))
    for m in _SLASH_DATE_RE.finditer(text):
        yield (m.start(), m.end(), _("The date \"{date}\" is written with a slash.").format(date=m.group()),
               _("Write it like \"{fixed}\"").format(fixed=f"{int(m.group(1))}月{int(m.group(2))}日"))


def _kanji_number(s: str) -> int | None:
    """The value of a kanji numeral up to 万 (三 → 3, 十二 → 12, 二百 → 200), or ``None``."""
    digits = {c: i for i, c in enumerate("〇一二三四五六七八九")}
    units = {"十": 10, "百": 100, "千": 1000}
    total, section, current = 0, 0, None
    for ch in s:
        if ch in digits:
            current = digits[ch] if current is None else current * 10 + digits[ch]
        elif ch in units:
            section += (current if current is not None else 1) * units[ch]
            current = None
        elif ch == "万":
            total += (section + (current or 0)) * 10000
            section, current = 0, None
        else:
            return None
    return total + section + (current or 0)


@rule("easy/notation", "やさしい日本語：数字・年齢・日付の書き方", level="warning", scope="text",
      languages=["ja"], lint=True, options={"age": "歳", "month": "か月"}, validate=_validate_notation,
      description="数は算用数字（三か月 → 3か月、全角１ → 1）、年齢（歳/さい）・月（か月）・日付（5月3日）"
                  "の書き方をそろえる")
def notation(doc: TextDoc, opts: Mapping) -> Iterator[Hit]:
    if not _applies(doc):
        return
    for start, end, message, suggestion in notation_problems(doc, opts):
        yield Hit(message, start, end, suggestion=suggestion)


# --- easy/directive ---------------------------------------------------------------------------------

def directives(tokens: Sequence[Token]) -> Iterator[tuple[int, int]]:
    """``(first, last)`` of each 「〜ましょう」 that is not a question (〜ましょうか) or quoted speech
    (「がんばりましょう」と言わなくても)."""
    for i, t in enumerate(tokens):
        if t.pos1 == "助動詞" and t.lemma == "ます" and t.cform.startswith("意志推量形") and not _quoted(tokens, i):
            j = i + 1 if i + 1 < len(tokens) and tokens[i + 1].lemma == "う" else i
            after = tokens[j + 1] if j + 1 < len(tokens) else None
            if after is not None and after.surface == "か" and after.pos1 == "助詞":
                continue
            first = i - 1 if i and tokens[i - 1].pos1 in ("動詞", "助動詞") else i
            if first == i - 1 and tokens[first].lemma == "為る" and first and tokens[first - 1].pos1 == "名詞":
                first -= 1  # 予約しましょう
            yield first, j


@rule("easy/directive", "やさしい日本語：「〜ましょう」の呼びかけ", level="warning", scope="text",
      languages=["ja"], lint=True,
      description="「〜ましょう」で読み手に指示している（やさしい日本語版の書き方）")
def directive(doc: TextDoc, opts: Mapping) -> Iterator[Hit]:
    if not _applies(doc):
        return
    for tokens in sentence_tokens(doc):
        for i, j in directives(tokens):
            start, end = tokens[i].start, tokens[j].end
            yield Hit(_("\"{words}\" tells the reader what to do.").format(words=doc.plain[start:end]), start, end,
                      suggestion=_("Write what the reader can do (〜できます) or what helps (〜すると安心です); "
                                   "to ask, write 「〜してください」"))



# --- town blocks --------------------------------------------------------------------------------

def _block_rule(text_rule: Any) -> Any:
    """A workspace-scope companion of an easy/* text rule: the same rule on each town's blocks
    written in a plain-language locale (``blocks: {B0d: {ja-easy: ...}}``)."""

    def on_blocks(ctx: Any, opts: Mapping) -> Iterator[Hit]:
        plain = set(getattr(ctx.ws.config, "plain_locales", ()) or ())
        for town in ctx.towns:
            path = ctx.ws.town_file(town.code)
            for stage, by_locale in town.blocks.items():
                for locale, text in by_locale.items():
                    if locale not in plain or (ctx.locales is not None and locale not in ctx.locales):
                        continue
                    doc = TextDoc(text, locale, stage=stage, root=ctx.ws.root, plain_language=True)
                    for hit in text_rule(doc, opts):
                        start, end = doc.source_span(hit.start or 0, hit.end if hit.end is not None else hit.start or 0)
                        yield Hit(_("{town} block ({stage}): ").format(town=town.name, stage=stage) + hit.message,
                                  start, end, hit.suggestion,
                                  town=town.code, stage=str(stage), locale=locale, path=path, text=text)

    on_blocks.__doc__ = f"{text_rule.__name__} on the towns' plain-language blocks"
    return on_blocks


for _rule_id, _func in (("easy/sentence-length", sentence_length), ("easy/double-negative", double_negative),
                        ("easy/honorific", honorific), ("easy/passive-causative", passive_causative_rule),
                        ("easy/hard-word", hard_word), ("easy/loanword", loanword),
                        ("easy/onomatopoeia", onomatopoeia), ("easy/notation", notation),
                        ("easy/directive", directive)):
    rule(_rule_id, "", level="warning", scope="workspace")(_block_rule(_func))
