"""Japanese tone rules, on UniDic morphemes (fugashi + unidic-lite): warm, plain, never commanding.

Four rules port textlint rules to UniDic and agree with them on their published test cases
(see ``tests/review/test_check_textlint_parity.py``):

* ``tone/mixed-style`` — textlint-rule-no-mix-dearu-desumasu (default options: the majority wins,
  only sentence-final forms count, so conjunctive ですが / であるが do not; headings, list items
  and body text are counted apart);
* ``tone/doubled-particle`` — textlint-rule-no-doubled-joshi (min_interval 1; の, を, て,
  parallel particles and 〜かどうか are exceptions unless ``strict``; 、 and brackets add distance);
* ``tone/too-many-commas`` — textlint-rule-max-ten (more than 3 読点 in a sentence; a 読点 between
  two nouns does not count unless ``strict``);
* ``tone/ranuki`` — textlint-rule-no-dropping-the-ra (ら抜き言葉: 食べれる, 見れる, 来れる).

Where UniDic and kuromoji's IPADIC differ the port says so in the rule: UniDic tags ら抜き forms
as one potential verb (食べれる, lemma 食べる), tags some imperatives as potential verbs (洗え →
洗える 連用形), has no 連体化 / 並立助詞 tags (の and parallel と are 格助詞), and tags single
Latin letters as nouns (IPADIC: 記号,アルファベット).

``tone/ranuki`` also reads UniDic's second analysis of a ら抜き form, a 一段 verb's 未然形 followed by
the auxiliary れる (いつでも食べれる → 食べ + れる), which kuromoji's IPADIC gives too.

``tone/command`` finds commanding forms (命令形 like 休め, 〜なさい, disguised imperatives like
洗え, 〜べき, 〜しなければならない / いけない, 〜なきゃ・〜なくちゃ・〜ねば, 〜でなければならない,
〜してはいけない / 〜しちゃだめ, 〜するな) and offers a softer wording. It leaves alone what only
looks like one: set phrases (おやすみなさい, ごめんなさい, いってらっしゃい), quoted speech
(「早く寝なさい」と言わなくても), questions (受診すべきか迷ったら, 〜しなければなりませんか),
the reader's own thoughts (しなければと思いがちですが) and denials (〜しなければならないわけでは
ありません, 〜してはいけないことはありません) — reassurance a parenting message is full of.
``tone/terms`` and ``tone/wordlist`` read workspace data files (see :mod:`review.checks.wordlists`).
"""
from __future__ import annotations

from typing import Iterable, Iterator, Mapping, Sequence

from kizuna.catalog.errors import KizunaError
from kizuna.catalog.i18n import N_, _
from kizuna.review.checks.engine import Hit, require_at_least, require_texts, rule
from kizuna.review.checks.text import SENTENCE_END, TextDoc, Token, verb_type

DESUMASU = "ですます"
DEARU = "である"
STYLE_LABEL = {DESUMASU: N_("desu/masu style"), DEARU: N_("de-aru style (da/de aru)")}


def _is_bracket(t: Token) -> bool:
    return t.pos1 == "補助記号" and t.pos2.startswith("括弧") or t.surface in ("(", ")")


def _is_noun(t: Token | None, *, ipadic: bool = False) -> bool:
    """UniDic's 名詞 or 代名詞. With ``ipadic``, what IPADIC (kuromoji, which textlint uses) calls
    名詞: also UniDic's 形状詞 (IPADIC 名詞,形容動詞語幹: 元気, 大切) and noun-forming suffixes
    (IPADIC 名詞,接尾: the さ of 明るさ), but not a lone Latin letter (IPADIC 記号,アルファベット)."""
    if t is None:
        return False
    if t.pos1 not in ("名詞", "代名詞"):
        return ipadic and (t.pos1 == "形状詞" or (t.pos1 == "接尾辞" and t.pos2 == "名詞的"))
    return not (ipadic and len(t.surface) == 1 and t.surface.isascii() and t.surface.isalpha())


# --- tone/mixed-style -----------------------------------------------------------------------------

_FINAL_SKIP_POS = ("助動詞",)


def _is_final(tokens: Sequence[Token], after: int) -> bool:
    """True when nothing but auxiliaries, sentence-final particles, closing brackets and sentence
    punctuation follows ``tokens[after - 1]`` in its sentence (textlint's "文末")."""
    for t in tokens[after:]:
        if t.surface in SENTENCE_END:
            return True
        if t.pos1 in _FINAL_SKIP_POS or t.pos2 == "終助詞" or (t.pos1 == "補助記号" and t.pos2 == "括弧閉"):
            continue
        return False
    return True


def style_markers(tokens: Sequence[Token], strict: bool = False) -> Iterator[tuple[str, int, int]]:
    """``(style, start, end)`` of each です/ます and だ/である in one sentence; without ``strict``
    only the sentence-final ones (conjunctive ですが, であるが, だが are not counted)."""
    for i, t in enumerate(tokens):
        if t.pos1 != "助動詞":
            continue
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        if t.lemma in ("です", "ます"):
            style, last = DESUMASU, i
        elif t.lemma == "だ" and t.cform.startswith("連用形") and nxt is not None \
                and nxt.pos1 == "動詞" and nxt.lemma in ("有る", "ある"):
            style, last = DEARU, i + 1
        elif t.lemma == "だ" and t.cform.startswith(("終止形", "意志推量形")):
            style, last = DEARU, i
        else:
            continue
        if strict or _is_final(tokens, last + 1):
            yield style, t.start, tokens[last].end


_PREFER = {"": "", "ですます": DESUMASU, "です": DESUMASU, "である": DEARU, "だ": DEARU}


def _validate_mixed(opts: Mapping) -> None:
    if opts["prefer"] not in _PREFER:
        raise KizunaError(f"'{opts['prefer']}' is not a style; write ですます or である (or leave it out: "
                          "the majority wins)", field="prefer")


@rule("tone/mixed-style", "敬体と常体の混在", level="warning", scope="text", languages=["ja"], lint=True,
      options={"prefer": "", "strict": False}, validate=_validate_mixed,
      description="です・ます調とだ・である調が一つのテキストに混在している "
                  "(textlint no-mix-dearu-desumasu と同じ判定)")
def mixed_style(doc: TextDoc, opts: Mapping) -> Iterator[Hit]:
    prefer = _PREFER.get(opts["prefer"], "")
    groups: dict[str, list[tuple[str, int, int]]] = {}
    for sentence, tokens in zip(doc.sentences, doc.sentence_tokens):
        kind = doc.blocks[sentence.block].kind
        groups.setdefault(kind, []).extend(style_markers(tokens, opts["strict"]))
    for markers in groups.values():
        counts = {DESUMASU: 0, DEARU: 0}
        for style, _start, _end in markers:
            counts[style] += 1
        if not counts[DESUMASU] or not counts[DEARU]:
            continue
        winner = prefer or (DEARU if counts[DEARU] > counts[DESUMASU] else DESUMASU)
        for style, start, end in markers:
            if style == winner:
                continue
            yield Hit(
                _("The text mixes {desumasu} and {dearu} (desu/masu {n_desumasu}, de aru {n_dearu}); "
                  "\"{words}\" is {style}.").format(
                    desumasu=_(STYLE_LABEL[DESUMASU]), dearu=_(STYLE_LABEL[DEARU]), n_desumasu=counts[DESUMASU],
                    n_dearu=counts[DEARU], words=doc.plain[start:end], style=_(STYLE_LABEL[style])), start, end,
                suggestion=_("Write the whole text in {style}").format(style=_(STYLE_LABEL[winner])))


# --- tone/command ---------------------------------------------------------------------------------

#: 命令形 that are polite requests or set phrases, not commands (〜ください, いらっしゃい, 召し上がれ)
_POLITE_IMPERATIVES = {"下さる", "くださる", "頂戴", "いらっしゃる", "召し上がる"}
#: greetings and apologies built on なさい (おやすみなさい, ごめんなさい, おかえりなさい)
_NASAI_SET_PHRASES = {"ごめん", "御免", "休む", "帰る", "返る"}  # UniDic: お帰り → 返る
#: verbs that report what someone says or thinks: 「早く寝なさい」と言う, しなければと思う
_REPORTING_VERBS = {"言う", "思う", "考える", "感じる", "悩む", "焦る", "気負う", "頑張る", "責める",
                    "伝える", "叱る", "怒る", "聞く", "話す", "書く", "教わる", "言い聞かせる"}
_QUOTES = {"「": "」", "『": "』"}
_SOFTER = {
    "imperative": N_("Invite instead, like 「〜しましょう」 or 「〜してみませんか」"),
    "should": N_("Say it another way, like 「〜するとよいでしょう」 or 「〜がおすすめです」"),
    "must": N_("Say it another way, like 「〜しましょう」 or 「〜することが大切です」"),
    "prohibit": N_("Say it another way, like 「〜は控えましょう」 or 「〜しないようにしましょう」"),
}


def _bare_end(tokens: Sequence[Token], after: int) -> bool:
    """Nothing but よ, ね or sentence punctuation follows (a bare verb ends the sentence)."""
    for t in tokens[after:]:
        if t.surface in SENTENCE_END or (t.pos2 == "終助詞" and t.surface in ("よ", "ね")):
            continue
        if t.pos1 == "補助記号" and t.pos2 == "括弧閉":
            continue
        return False
    return True


_E_TO_U = str.maketrans("えけげせてねべめれ", "うくぐすつぬぶむる")


def _disguised_imperative(t: Token, tokens: Sequence[Token], i: int) -> bool:
    """UniDic reads some imperatives as 下一段 連用形: 洗え as the potential 洗える, 休め (alone) as
    the transitive 休める. A bare 下一段 連用形 ending a sentence is an imperative when it is a
    potential form (reading differs from the lemma's) or the 命令形 of a 五段 verb (休め → 休む)."""
    if not (t.pos1 == "動詞" and t.ctype.startswith("下一段") and t.cform.startswith("連用形")
            and _bare_end(tokens, i + 1)):
        return False
    if t.kana_base and t.lform and t.kana_base != t.lform:
        return True
    godan = t.surface[:-1] + t.surface[-1].translate(_E_TO_U)
    return godan != t.surface and verb_type(godan).startswith("五段")


def _quoted(tokens: Sequence[Token], i: int) -> bool:
    """``tokens[i]`` stands inside 「」 or 『』 (quoted speech: 「早く寝なさい」と言わなくても)."""
    open_quotes: list[str] = []
    for t in tokens[:i]:
        if t.surface in _QUOTES:
            open_quotes.append(_QUOTES[t.surface])
        elif open_quotes and t.surface == open_quotes[-1]:
            open_quotes.pop()
    return bool(open_quotes)


def _negated_after(tokens: Sequence[Token], j: int) -> bool:
    """A negation (ない, ません, ず) follows ``tokens[j]`` in the sentence: 〜わけではありません."""
    return any(t.pos1 in ("助動詞", "形容詞") and t.lemma in ("ない", "無い", "ず", "ぬ") for t in tokens[j:])


def _not_an_order(tokens: Sequence[Token], after: int, kind: str) -> bool:
    """What follows a commanding form shows it is not said to the reader: it is reported
    (〜と言う, 〜と思いがち; not for 〜べき: 〜すべきだと思います still prescribes), asked
    (〜すべきか迷ったら, 〜しなければなりませんか), or denied (〜しなければならないわけではありません,
    〜してはいけないことはありません)."""
    j = after
    while j < len(tokens) and (tokens[j].pos1 == "助動詞" or tokens[j].pos2 == "準体助詞"
                               or (tokens[j].pos1 == "補助記号" and tokens[j].pos2 == "括弧閉")
                               or tokens[j].surface in ("よ", "ね")):
        j += 1
    if j >= len(tokens):
        return False
    t = tokens[j]
    if t.surface == "か" and t.pos1 == "助詞":
        return True
    if t.surface in ("と", "って") and t.pos1 == "助詞" and kind != "should":
        verb = next((v for v in tokens[j + 1:j + 4] if v.pos1 == "動詞"), None)
        if verb is not None and verb.lemma in _REPORTING_VERBS:
            return verb.lemma != "言う" or _negated_after(tokens, j + 1) or tokens[j + 1].surface != "いう"
        return False
    if t.pos1 == "名詞" and t.lemma in ("訳", "事", "必要", "決まり"):
        return _negated_after(tokens, j + 1)
    return False


def command_forms(tokens: Sequence[Token]) -> Iterator[tuple[str, int, int]]:
    """``(kind, start, end)`` of each commanding form in one sentence; quoted speech, questions,
    reported thoughts and denials (〜しなければならないわけではありません) are not commands."""
    for kind, first, last, start in _command_candidates(tokens):
        if _quoted(tokens, first) or _not_an_order(tokens, last + 1, kind):
            continue
        yield kind, start, tokens[last].end


def _command_candidates(tokens: Sequence[Token]) -> Iterator[tuple[str, int, int, int]]:
    """``(kind, first token, last token, start offset)`` of each form that may command."""
    for i, t in enumerate(tokens):
        prev = tokens[i - 1] if i else None
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        if t.pos1 == "動詞" and t.cform == "命令形" and t.lemma not in _POLITE_IMPERATIVES \
                and not (nxt is not None and nxt.pos1 == "助動詞"):  # 眠れ+る (UniDic's 文語 り) is not one
            if t.lemma == "為さる" and prev is not None:
                if prev.lemma in _NASAI_SET_PHRASES and (prev.pos1 == "名詞" or (
                        i >= 2 and tokens[i - 2].pos1 == "接頭辞")):
                    continue  # ごめんなさい, おやすみなさい, おかえりなさい
                yield "imperative", i - 1, i, prev.start
            else:
                yield "imperative", i, i, t.start
        elif _disguised_imperative(t, tokens, i):
            yield "imperative", i, i, t.start
        elif t.pos1 == "助動詞" and t.lemma == "べし":
            yield "should", max(i - 1, 0), i, (prev.start if prev else t.start)
        elif t.pos1 == "助動詞" and t.surface in ("なきゃ", "なけりゃ") and nxt is not None and _follows(nxt):
            yield "must", i, i + 1, t.start  # 〜しなきゃいけない (UniDic: なきゃ is ない 仮定形-融合)
        elif t.pos1 == "助詞" and t.surface in ("ば", "と", "は", "ちゃ", "じゃ") and prev is not None \
                and nxt is not None and _follows(nxt):
            kind = _obligation(tokens, i, prev)
            if kind:
                yield kind, i - 1, i + 1, prev.start
        elif t.pos2 == "終助詞" and t.surface == "な" and prev is not None and _is_final(tokens, i + 1) \
                and (prev.pos1 == "動詞" or prev.lemma in ("せる", "させる", "れる", "られる")) \
                and prev.cform.startswith(("終止形", "連体形")):
            yield "prohibit", i - 1, i, prev.start


def _follows(nxt: Token) -> bool:
    """ならない / いけない / だめ after 〜ば, 〜と, 〜ては."""
    return nxt.lemma in ("成る", "行く") and nxt.surface.startswith(("なら", "なり", "いけ", "行け")) \
        or nxt.lemma == "駄目"


_NEGATIVE = ("ない", "無い", "ず", "ぬ")


def _obligation(tokens: Sequence[Token], i: int, prev: Token) -> str | None:
    """〜なければならない, 〜ねばならない, 〜でなければいけない, 〜ないといけない,
    〜なくては(ちゃ)いけない (must); 〜てはいけない, 〜ちゃだめ (prohibit)."""
    particle = tokens[i].surface
    if particle in ("ば", "と"):
        return "must" if prev.lemma in _NEGATIVE and (particle == "ば" or prev.lemma != "ず") else None
    if particle in ("ちゃ", "じゃ"):  # 〜しちゃいけない, 〜なくちゃいけない (ちゃ = ては)
        return "must" if prev.lemma in _NEGATIVE else "prohibit"
    if prev.surface in ("て", "で") and prev.pos2 == "接続助詞":
        before = tokens[i - 2] if i >= 2 else None
        return "must" if before is not None and before.lemma in _NEGATIVE else "prohibit"
    return None


_COMMAND_LABEL = {"imperative": N_("an imperative"), "should": N_("a 「〜べき」 (should)"),
                  "must": N_("an obligation"), "prohibit": N_("a prohibition")}


@rule("tone/command", "命令・義務の口調", level="warning", scope="text", languages=["ja"], lint=True,
      description="命令形・〜なさい・〜べき・〜しなければならない・〜してはいけない など指示する口調")
def command(doc: TextDoc, opts: Mapping) -> Iterator[Hit]:
    for tokens in doc.sentence_tokens:
        for kind, start, end in command_forms(tokens):
            yield Hit(_("\"{words}\" is {kind}: it orders the reader about.").format(
                          words=doc.plain[start:end], kind=_(_COMMAND_LABEL[kind])),
                      start, end, suggestion=_(_SOFTER[kind]))


# --- tone/ranuki ----------------------------------------------------------------------------------

def ranuki_offset(t: Token) -> int | None:
    """Offset of the れ of a ら抜き form in ``t`` (食べれる → 2), or ``None``.

    UniDic reads 食べれる as one potential verb (下一段-ラ行, lemma 食べる); it is ら抜き when the
    plain verb is 一段 or カ変 (帰れる from 五段 帰る is a correct potential form)."""
    if t.pos1 != "動詞" or t.ctype != "下一段-ラ行" or not t.orth_base.endswith("れる"):
        return None
    if not t.kana_base or t.kana_base == t.lform:
        return None
    if t.lemma != "来る" and not verb_type(t.orth_base[:-2] + "る").startswith(("上一段", "下一段", "カ行変格")):
        return None
    k = len(t.orth_base) - 2
    return k if k < len(t.surface) else None


def ranuki_split(t: Token, nxt: Token | None) -> bool:
    """UniDic's other reading of a ら抜き form: a 一段 or カ変 verb in 未然形 followed by the
    auxiliary れる (食べ + れる in いつでも食べれる); 一段 verbs take られる, so this is ら抜き
    (五段 書か + れる and サ変 さ + れる are passives, not ら抜き)."""
    return (t.pos1 == "動詞" and t.cform.startswith("未然形")
            and t.ctype.startswith(("上一段", "下一段", "カ行変格")) and nxt is not None
            and nxt.pos1 == "助動詞" and nxt.lemma == "れる" and nxt.start == t.end)


@rule("tone/ranuki", "ら抜き言葉", level="warning", scope="text", languages=["ja"], lint=True,
      description="ら抜き言葉（食べれる・見れる・来れる）(textlint no-dropping-the-ra と同じ判定)")
def ranuki(doc: TextDoc, opts: Mapping) -> Iterator[Hit]:
    for tokens in doc.sentence_tokens:
        for i, t in enumerate(tokens):
            nxt = tokens[i + 1] if i + 1 < len(tokens) else None
            if ranuki_split(t, nxt):
                assert nxt is not None
                word = t.surface + nxt.surface
                yield Hit(_("\"{word}\" drops the ら of the potential form (ら抜き言葉).").format(word=word),
                          nxt.start, nxt.start + 1,
                          suggestion=f"「{t.surface}ら{nxt.surface}」")
                continue
            k = ranuki_offset(t)
            if k is None:
                continue
            fixed = t.surface[:k] + "ら" + t.surface[k:]
            yield Hit(_("\"{word}\" drops the ら of the potential form (ら抜き言葉).").format(word=t.surface),
                      t.start + k, t.start + k + 1,
                      suggestion=f"「{fixed}」")


# --- tone/too-many-commas -------------------------------------------------------------------------

def _neighbour(tokens: Sequence[Token], i: int, step: int) -> Token | None:
    j = i + step
    while 0 <= j < len(tokens) and _is_bracket(tokens[j]):
        j += step
    return tokens[j] if 0 <= j < len(tokens) else None


def _validate_commas(opts: Mapping) -> None:
    for name in ("touten", "kuten"):
        if not opts[name]:
            raise KizunaError("must be a punctuation mark, like 、 or 。", field=name)


@rule("tone/too-many-commas", "読点の多すぎる文", level="warning", scope="text", languages=["ja"],
      lint=True, options={"max": 3, "strict": False, "touten": "、", "kuten": "。"}, validate=_validate_commas,
      description="一文の読点が多すぎる（既定で4つ以上。名詞の並列の読点は数えない）"
                  "(textlint max-ten と同じ判定)")
def too_many_commas(doc: TextDoc, opts: Mapping) -> Iterator[Hit]:
    limit, touten = opts["max"], opts["touten"]
    ends = {opts["kuten"], "?", "!", "？", "！"}  # textlint max-ten's sentence ends
    for tokens in doc.block_tokens():
        count = 0
        for i, t in enumerate(tokens):
            if t.surface in ends:
                count = 0
            if t.surface != touten:
                continue
            if not opts["strict"] and _is_noun(_neighbour(tokens, i, -1), ipadic=True) \
                    and _is_noun(_neighbour(tokens, i, 1), ipadic=True):
                continue
            count += 1
            if count > limit:
                yield Hit(_("The sentence uses \"{comma}\" {count} or more times.").format(
                              comma=touten, count=limit + 1), t.start, t.end,
                          suggestion=_("Split the sentence in two, or use fewer commas"))
                count = 0


# --- tone/doubled-particle ------------------------------------------------------------------------

_PARALLEL = {"たり", "だり", "や", "とか", "やら"}


def _split_by(tokens: Sequence[Token], separators: set[str]) -> Iterator[list[Token]]:
    """Sentences of a block by the rule's own separators (not inside brackets)."""
    current: list[Token] = []
    depth = 0
    for t in tokens:
        current.append(t)
        if t.pos1 == "補助記号" and t.pos2 == "括弧開":
            depth += 1
        elif t.pos1 == "補助記号" and t.pos2 == "括弧閉":
            depth = max(depth - 1, 0)
        elif depth == 0 and t.surface in separators:
            yield current
            current = []
    if current:
        yield current


class _Joshi:
    """One particle, or a run of particles read as one (に + は → には)."""

    __slots__ = ("tokens", "index")

    def __init__(self, token: Token, index: int) -> None:
        self.tokens = [token]
        self.index = index  # position among all tokens of the sentence

    @property
    def surface(self) -> str:
        return "".join(t.surface for t in self.tokens)

    @property
    def key(self) -> str:
        first = self.tokens[0]
        return f"{self.surface}:{first.pos2}{''.join(t.surface for t in self.tokens[1:])}"


def _is_parallel(j: _Joshi, tokens: Sequence[Token]) -> bool:
    if len(j.tokens) != 1:
        return False
    t = j.tokens[0]
    if t.surface in _PARALLEL:
        return True
    before = tokens[j.index - 1] if j.index else None
    after = tokens[j.index + 1] if j.index + 1 < len(tokens) else None
    return t.surface == "と" and t.pos2 == "格助詞" and _is_noun(before) and _is_noun(after)


def _exempt(group: list[_Joshi], tokens: Sequence[Token]) -> bool:
    """textlint's exceptions (non-strict): の, を, て, two parallel particles, 〜かどうか."""
    first = group[0].tokens[0]
    if len(group[0].tokens) == 1:
        if first.surface == "の" and first.pos2 == "格助詞":
            return True
        if first.surface == "を" and first.pos2 == "格助詞":
            return True
        if first.surface == "て" and first.pos2 == "接続助詞":
            return True
    if len(group) == 2 and all(_is_parallel(j, tokens) for j in group):
        return True
    if len(group) == 2 and group[0].surface == group[1].surface == "か":
        before = tokens[group[1].index - 1] if group[1].index else None
        return before is not None and before.surface == "どう"
    return False


def doubled_particles(tokens: Sequence[Token], *, min_interval: int = 1, strict: bool = False,
                      allow: Iterable[str] = (), separators: Iterable[str] = (),
                      commas: Iterable[str] = ()) -> Iterator[_Joshi]:
    """The later particle of each too-close pair in one sentence."""
    seps, comma_set, allowed = set(separators), set(commas), set(allow)
    countable: list[object] = []
    joshi: list[_Joshi] = []
    for i, t in enumerate(tokens):
        if t.pos1 == "助詞":
            if countable and isinstance(countable[-1], _Joshi) and countable[-1].index + len(countable[-1].tokens) == i:
                countable[-1].tokens.append(t)
                continue
            j = _Joshi(t, i)
            countable.append(j)
            joshi.append(j)
        elif not strict and (_is_bracket(t) or t.surface in seps or t.surface in comma_set):
            countable.append(t)
    where = {id(c): n for n, c in enumerate(countable)}
    groups: dict[str, list[_Joshi]] = {}
    for j in joshi:
        groups.setdefault(j.key, []).append(j)
    for group in groups.values():
        if len(group) < 2 or group[0].surface in allowed or (not strict and _exempt(group, tokens)):
            continue
        for prev, current in zip(group, group[1:]):
            if where[id(current)] - where[id(prev)] <= min_interval:
                yield current


def _validate_doubled(opts: Mapping) -> None:
    require_at_least(opts, 1, "min_interval")
    require_texts(opts, "allow")


@rule("tone/doubled-particle", "同じ助詞の連続", level="warning", scope="text", languages=["ja"],
      lint=True, validate=_validate_doubled,
      options={"min_interval": 1, "strict": False, "allow": [],
               "separator_characters": [".", "．", "。", "?", "!", "？", "！"],
               "comma_characters": ["、", "，"]},
      description="一文で同じ助詞が近くに重なっている (textlint no-doubled-joshi と同じ判定)")
def doubled_particle(doc: TextDoc, opts: Mapping) -> Iterator[Hit]:
    for tokens in doc.block_tokens():
        for sentence in _split_by(tokens, set(opts["separator_characters"])):
            for j in doubled_particles(sentence, min_interval=opts["min_interval"], strict=opts["strict"],
                                       allow=opts["allow"], separators=opts["separator_characters"],
                                       commas=opts["comma_characters"]):
                start, end = j.tokens[0].start, j.tokens[-1].end
                yield Hit(_("The particle \"{particle}\" is used twice or more in one sentence.").format(
                              particle=j.surface), start, end,
                          suggestion=_("Change the word order or split the sentence so the same particle "
                                       "does not come twice"))
