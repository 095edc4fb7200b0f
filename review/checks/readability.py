"""``readability``: Japanese by jReadability on the morphological analysis, other languages by
textstat, with targets per locale and per stage band.

**Japanese — jReadability** (李在鎬・長谷部陽一郎): Lee, J.-H. & Hasebe, Y. (2016), "Readability
measurement of Japanese texts based on levelled corpora"
(http://jhlee.sakura.ne.jp/papers/lee-et-al2016rb.pdf), the system of Hasebe & Lee (2015),
"Introducing a readability evaluation system for Japanese language education" (CASTEL/J,
https://jreadability.net/). The model, fitted on levelled textbook corpora (R² = .896), as the
final report of the authors' KAKENHI project 25370573 states it
(https://kaken.nii.ac.jp/en/report/KAKENHI-PROJECT-25370573/25370573seika)::

    X = {mean length of sentence (morphemes)} × −0.056
      + {proportion of kango (%)}              × −0.126     (語種 漢)
      + {proportion of wago (%)}               × −0.042     (語種 和)
      + {proportion of verbs (%)}              × −0.145     (動詞, every one)
      + {proportion of auxiliary verbs (%)}    × −0.044     (助動詞)
      + 11.724

The fifth term counts auxiliary verbs (助動詞: です, ます, た, ない), not particles (助詞): some
write-ups of the formula say "particles", but the authors' report and jreadability.net say
auxiliary verbs. Proportions are over all morphemes, punctuation included, computed here on
UniDic (unidic-lite) as the authors' system does (MeCab + UniDic). Higher is easier: 0.5–1.4 上級後半,
1.5–2.4 上級前半, 2.5–3.4 中級後半, 3.5–4.4 中級前半, 4.5–5.4 初級後半, 5.5–6.4 初級前半. The scale
was built for learners of Japanese; for native readers it is a relative measure of plainness
(short sentences, 和語 over 漢語), which is what a message to tired parents needs. Default
targets follow the level bands: ``ja_min`` 2.5 (no message at 上級, advanced, level) and
``ja-easy`` (やさしい日本語) 3.5 (nothing harder than 中級前半).

**Other languages — textstat 0.7.8** (pinned: later versions download NLTK data at run time):
``formula`` (default ``flesch_kincaid_grade``) must give a school grade; the target is
``grade_max`` (8). Texts shorter than ``min_words`` (morphemes or words) are not scored.

**Per stage band** (``bands``): ``[{from: B0d, to: B3m, ja_min: 4.0, grade_max: 6}]`` — the first
band holding the message's stage overrides the targets (the first weeks after birth are when
readers have the least time). ``locale_targets`` sets the target of one locale
(``{ja-easy: 4.5}``: a number is a ja_min for Japanese locales, a grade_max for others).
"""
from __future__ import annotations

from typing import Any, Iterator, Mapping

from kizuna.catalog.errors import KizunaError, StageError
from kizuna.catalog.stages import Stage
from kizuna.catalog.i18n import N_, _
from kizuna.review.checks.engine import Hit, rule
from kizuna.review.checks.text import TextDoc, Token

#: the coefficients of jReadability (see the module docstring)
JREADABILITY = {"sentence": -0.056, "kango": -0.126, "wago": -0.042, "verb": -0.145,
                "auxiliary": -0.044, "intercept": 11.724}
#: the levels of the jReadability scale (初級前半 … 上級後半), translated when a finding names one
JREADABILITY_LEVELS = ((5.5, N_("lower beginner")), (4.5, N_("upper beginner")), (3.5, N_("lower intermediate")),
                       (2.5, N_("upper intermediate")), (1.5, N_("lower advanced")),
                       (float("-inf"), N_("upper advanced")))
GRADE_FORMULAS = ("flesch_kincaid_grade", "gunning_fog", "smog_index", "coleman_liau_index",
                  "automated_readability_index", "linsear_write_formula")
TEXTSTAT_LANGS = {"en": "en_US"}


def jreadability(sentences: list[list[Token]]) -> float | None:
    """The jReadability score of tokenised sentences (``None`` for an empty text)."""
    tokens = [t for s in sentences for t in s]
    if not tokens:
        return None
    n = len(tokens)
    counted = [s for s in sentences if s]
    kango = sum(1 for t in tokens if t.goshu == "漢")
    wago = sum(1 for t in tokens if t.goshu == "和")
    verbs = sum(1 for t in tokens if t.pos1 == "動詞")
    auxiliaries = sum(1 for t in tokens if t.pos1 == "助動詞")
    c = JREADABILITY
    return (n / len(counted) * c["sentence"] + 100 * kango / n * c["kango"] + 100 * wago / n * c["wago"]
            + 100 * verbs / n * c["verb"] + 100 * auxiliaries / n * c["auxiliary"] + c["intercept"])


def jreadability_level(score: float) -> str:
    """The level of a jReadability score, in the current language (上級前半 in Japanese)."""
    return _(next(label for floor, label in JREADABILITY_LEVELS if score >= floor))


def grade(text: str, lang: str, formula: str = "flesch_kincaid_grade") -> float | None:
    """A textstat school grade, or ``None`` when textstat has no hyphenation for ``lang``."""
    from textstat.backend import metrics

    from kizuna.review.checks.syllables import install

    install()  # CMUdict is read only for words not looked up before (review.checks.syllables)
    try:
        return float(getattr(metrics, formula)(text, TEXTSTAT_LANGS.get(lang, lang)))
    except (KeyError, ValueError, ZeroDivisionError, LookupError):
        return None


def _validate(opts: Mapping[str, Any]) -> None:
    if opts["formula"] not in GRADE_FORMULAS:
        raise KizunaError(f"'{opts['formula']}' is not a grade formula; use one of {', '.join(GRADE_FORMULAS)}",
                          field="formula")
    for locale, value in opts["locale_targets"].items():
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise KizunaError("a locale target is a number", field=f"locale_targets.{locale}")
    for i, band in enumerate(opts["bands"]):
        where = f"bands[{i}]"
        if not isinstance(band, Mapping) or not {"from", "to"} <= set(band):
            raise KizunaError("a band is {from: STAGE, to: STAGE, ja_min: N, grade_max: N}", field=where)
        unknown = set(band) - {"from", "to", "ja_min", "grade_max"}
        if unknown:
            raise KizunaError(f"unknown key(s) {', '.join(sorted(map(str, unknown)))}", field=where)
        for key in ("ja_min", "grade_max"):
            value = band.get(key, 0)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise KizunaError(f"must be a number, not {value!r}", field=f"{where}.{key}")
        try:
            if Stage.parse(band["from"]) > Stage.parse(band["to"]):
                raise KizunaError("'from' is after 'to'", field=where)
        except StageError as exc:
            raise KizunaError(exc.message, field=where) from None


def targets(opts: Mapping[str, Any], locale: str, stage: Stage | None, japanese: bool) -> float:
    """The target for one text: the locale's, overridden by the first stage band holding it."""
    value = opts["locale_targets"].get(locale, opts["ja_min"] if japanese else opts["grade_max"])
    if stage is not None:
        for band in opts["bands"]:
            if Stage.parse(band["from"]) <= stage <= Stage.parse(band["to"]):
                return band.get("ja_min" if japanese else "grade_max", value)
    return value


@rule("readability", "読みやすさ", level="warning", scope="text", lint=True, validate=_validate,
      options={"ja_min": 2.5, "grade_max": 8.0, "locale_targets": {"ja-easy": 3.5}, "bands": [],
               "formula": "flesch_kincaid_grade", "min_words": 20},
      description="読みやすさが目標に届かない（日本語は jReadability、ほかの言語は textstat の学年）")
def readability(doc: TextDoc, opts: Mapping) -> Iterator[Hit]:
    target = targets(opts, doc.locale, doc.stage, doc.is_japanese)
    end = len(doc.plain.rstrip())
    if doc.is_japanese:
        sentences = doc.sentence_tokens
        if sum(len(s) for s in sentences) < opts["min_words"]:
            return
        score = jreadability(sentences)
        if score is not None and score < target:
            yield Hit(_("Readability (jReadability) is {score} ({level}), below the target of {target}.").format(
                          score=f"{score:.2f}", level=jreadability_level(score), target=target), 0, end,
                      suggestion=_("Use shorter sentences, and everyday words instead of kango "
                                   "(〜をする for 〜を実施する)"))
        return
    if len(doc.plain.split()) < opts["min_words"]:
        return
    value = grade(doc.plain, doc.lang, opts["formula"])
    if value is not None and value > target:
        yield Hit(_("Reading grade {grade} ({formula}) is above the target of {target}.").format(
                      grade=f"{value:.2f}", formula=opts["formula"], target=target), 0, end,
                  suggestion=_("Use shorter sentences and everyday words"))
