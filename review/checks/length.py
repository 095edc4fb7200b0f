"""Length rules: sentences, the lock-screen preview, and what each town's channels can carry.

* ``length/sentence`` — a sentence over ``max`` (100) UTF-16 code units, like
  textlint-rule-sentence-length (a paragraph that is a single link is skipped; ``skip_patterns``
  removes matches before counting).
* ``length/preview`` — the first line, which a lock screen shows, must carry the point: at most
  ``max`` (40) characters of Japanese or ``max_other`` (80) of other languages, and not only a
  greeting.
* ``length/channel`` — for each town that sends the message, on the national text and the town
  block together (rendered for that town, joined by a blank line):

  - LINE: at most 5,000 UTF-16 code units in one text message;
  - SMS: GSM-7 (160 alone, 153 per part, extension characters count 2) when every character
    fits, else UCS-2 (70 alone, 67 per part); more than ``sms_max_parts`` (10) parts is an
    error, more than ``sms_warn_parts`` (0 = off) a warning;
  - e-mail: the subject (``exports.email.subject``) over ``email_subject_max`` (30) characters
    is a warning, and in ISO-2022-JP a subject character it cannot carry an error;
  - e-mail in ISO-2022-JP (the town's ``email_encoding``): a character JIS X 0208 cannot carry is
    an error, unless the export replaces it (Windows look-alikes ～→〜, ①→(1), then NFKC:
    半角カナ→全角, ㈱→(株)) — then it is an info finding naming the replacement.
"""
from __future__ import annotations

import re
from dataclasses import replace
from typing import Any, Iterator, Mapping

from kizuna.catalog.channels import (EMAIL_SUBJECT_MAX, LINE_MAX_UNITS, email_subject_template, jis_encodable,
                              jis_replacement, sms_size, utf16_units)
from kizuna.catalog.errors import KizunaError, TemplateError
from kizuna.catalog.templating import BLOCK_SEPARATOR, RenderMemo, render, render_for_town, stage_context
from kizuna.catalog.tracks import field_max_lengths
from kizuna.catalog.placeholders import PLACEHOLDER_CONTEXT, max_length_text
from kizuna.catalog.i18n import _
from kizuna.review.checks.engine import Hit, require_at_least, require_texts, rule
from kizuna.review.checks.scope import sms_parts_at_most, template_bound, towns_over
from kizuna.review.checks.text import TextDoc
from kizuna.review.checks.wordlists import compile_pattern


def sms_parts(text: str) -> tuple[str, int, int]:
    """``(encoding, units, parts)`` of one SMS, the encoding spelled for people (GSM-7, UCS-2)."""
    encoding, units, parts = sms_size(text)
    return {"gsm7": "GSM-7", "ucs2": "UCS-2"}[encoding], units, parts


def jis_problems(text: str) -> Iterator[tuple[int, str, str | None]]:
    """``(offset, character, replacement or None)`` for each character ISO-2022-JP cannot carry
    (the replacement the export makes, when there is one)."""
    if jis_encodable(text):
        return
    for i, ch in enumerate(text):
        if not jis_encodable(ch):
            fixed = jis_replacement(ch)
            yield i, ch, fixed if fixed != ch and jis_encodable(fixed) else None


# --- length/sentence ----------------------------------------------------------------------------

def _validate_sentence(opts: Mapping) -> None:
    require_at_least(opts, 1, "max")
    require_texts(opts, "skip_patterns")
    for i, pattern in enumerate(opts["skip_patterns"]):
        compile_pattern(pattern, where=f"skip_patterns[{i}]")


@rule("length/sentence", "長すぎる文", level="warning", scope="text", lint=True, validate=_validate_sentence,
      options={"max": 100, "skip_patterns": []},
      description="一文が長すぎる（既定で100文字＝UTF-16単位を超える）(textlint sentence-length と同じ数え方)")
def sentence_length(doc: TextDoc, opts: Mapping) -> Iterator[Hit]:
    limit = opts["max"]
    skips = [compile_pattern(p) for p in opts["skip_patterns"]]
    for s in doc.sentences:
        if doc.blocks[s.block].single_link:
            continue
        text = doc.plain[s.start:s.end]
        for p in skips:
            text = p.sub("", text)
        n = utf16_units(text) + doc.field_extra(s.start, s.end)
        if n > limit:
            yield Hit(_("The sentence is {n} characters long, {over} over the maximum of {limit}.").format(
                          n=n, over=n - limit, limit=limit),
                      s.start, s.end,
                      suggestion=_("Split it into two sentences"))


# --- length/preview -----------------------------------------------------------------------------

_GREETING_STRIP = re.compile(r"[。、！!？?\s]+")


def _validate_preview(opts: Mapping) -> None:
    require_at_least(opts, 1, "max", "max_other")


@rule("length/preview", "1行目（ロック画面）", level="warning", scope="text", validate=_validate_preview,
      options={"max": 40, "max_other": 80,
               "greetings": ["おはようございます", "こんにちは", "こんばんは", "Good morning", "Hello", "Hi"]},
      description="ロック画面に出る1行目に要点がない（長すぎる、あいさつだけ）")
def preview(doc: TextDoc, opts: Mapping) -> Iterator[Hit]:
    first = doc.plain.lstrip()
    start = len(doc.plain) - len(first)
    line = first.split("\n", 1)[0].rstrip()
    if not line:
        return
    limit = opts["max"] if doc.is_japanese else opts["max_other"]
    n = utf16_units(line) + doc.field_extra(start, start + len(line))
    if _GREETING_STRIP.sub("", line) in {_GREETING_STRIP.sub("", g) for g in opts["greetings"]}:
        yield Hit(_("The first line is only a greeting; the lock screen shows nothing of the point."),
                  start, start + len(line),
                  suggestion=_("Put the main point of the day in the first line"))
    elif n > limit:
        yield Hit(_("The first line is {n} characters; a lock screen cuts it after about {limit}.").format(
                      n=n, limit=limit),
                  start, start + len(line),
                  suggestion=_("Put the point at the start, or shorten the first line"))


# --- length/channel -----------------------------------------------------------------------------

def _subject_hits(subject: str, town: Any, opts: Mapping, ja: bool) -> Iterator[Hit]:
    """The e-mail subject of this town and stage: its length and, in ISO-2022-JP, its characters."""
    if (n := utf16_units(subject)) > opts["email_subject_max"]:
        yield Hit(_("The e-mail subject for {town} is {n} characters; mail lists cut it after about "
                    "{limit}: {subject}").format(town=town.name, n=n, limit=opts["email_subject_max"],
                                                 subject=subject), town=town.code, level="warning",
                  suggestion=_("Shorten exports.email.subject in kizuna.yaml"))
    if town.email_encoding == "iso-2022-jp":
        for _offset, ch, fixed in jis_problems(subject):
            if fixed is None:
                yield Hit(_("The e-mail subject for {town} has \"{char}\" (U+{code}), which ISO-2022-JP cannot "
                            "carry.").format(town=town.name, char=ch, code=f"{ord(ch):04X}"),
                          town=town.code, suggestion=_("Change exports.email.subject in kizuna.yaml"))


def _channel_hits(full: str, national: str, town: Any, opts: Mapping, ja: bool) -> Iterator[Hit]:
    code = town.code
    if "line" in town.channels and (n := utf16_units(full)) > LINE_MAX_UNITS:
        yield Hit(_("Too long for one LINE message: {n} UTF-16 units with the {town} block "
                    "(at most {limit}).").format(n=n, town=town.name, limit=LINE_MAX_UNITS), town=code,
                  suggestion=_("Shorten the text or the town block"))
    if "sms" in town.channels:
        encoding, units, parts = sms_parts(full)
        max_parts, warn = opts["sms_max_parts"], opts["sms_warn_parts"]
        if parts > max_parts:
            yield Hit(_("SMS ({encoding}) needs {parts} parts for {units} units; at most {max_parts}.").format(
                          encoding=encoding, parts=parts, units=units, max_parts=max_parts),
                      town=code, suggestion=_("Shorten the text or the town block"))
        elif warn and parts > warn:
            yield Hit(_("SMS ({encoding}) needs {parts} parts ({units} units; aim for {warn}).").format(
                          encoding=encoding, parts=parts, units=units, warn=warn),
                      town=code, level="warning")
    if "email" in town.channels and town.email_encoding == "iso-2022-jp":
        for offset, ch, fixed in jis_problems(full):
            in_national = offset < len(national)
            start = offset if in_national else None
            if fixed is None:
                said = (_("\"{char}\" (U+{code}) cannot be sent in an ISO-2022-JP e-mail.") if in_national else
                        _("\"{char}\" (U+{code}) in the {town} block cannot be sent in an ISO-2022-JP e-mail."))
                yield Hit(said.format(char=ch, code=f"{ord(ch):04X}", town=town.name),
                          start, None if start is None else start + 1, town=code, text=national,
                          suggestion=_("Replace the character, or set the town's email_encoding to utf-8"))
            else:
                said = (_("\"{char}\" is sent as \"{fixed}\" in an ISO-2022-JP e-mail.") if in_national else
                        _("\"{char}\" in the {town} block is sent as \"{fixed}\" in an ISO-2022-JP e-mail."))
                yield Hit(said.format(char=ch, fixed=fixed, town=town.name),
                          start, None if start is None else start + 1, town=code, text=national,
                          level="info", suggestion=f"「{fixed}」")


def _validate_channel(opts: Mapping) -> None:
    require_at_least(opts, 1, "sms_max_parts", "email_subject_max")


@rule("length/channel", "チャネルの文字数・文字コード", level="error", scope="message", validate=_validate_channel,
      options={"sms_max_parts": 10, "sms_warn_parts": 0, "email_subject_max": EMAIL_SUBJECT_MAX},
      description="本文と町のブロックを合わせて、各町のチャネル（LINE・SMS・メール）で送れない")
def channel(ctx: Any, opts: Mapping) -> Iterator[Hit]:
    text = ctx.message.text(ctx.locale)
    ja = ctx.doc.is_japanese
    source = ctx.ws.config.source_locale
    towns = ctx.towns if ctx.scope is None else towns_to_check(ctx, text, opts, ja)
    renders = ctx.scope.renders if ctx.scope is not None else None
    for town in towns:
        rendered = render_or_none(text, town.block(ctx.message.stage, ctx.locale, source), town, ctx.message,
                                  ctx.locale, memo=renders)
        if rendered is None:
            continue  # template/variables reports it
        national, block = rendered
        if "{{" in national:  # registrant placeholders count at their longest (registrants.fields)
            national = max_length_text(national, field_max_lengths(ctx.ws.config))
        full = national + (BLOCK_SEPARATOR + block if block else "")
        for hit in _channel_hits(full, national, town, opts, ja):
            if hit.start is not None:  # a position in the rendered text is one in the source only
                hit = replace(hit, text=text) if national == text else replace(hit, start=None, end=None, text=None)
            yield hit
        if "email" in town.channels:
            subject = email_subject(ctx.ws, town, ctx.message.stage, ctx.locale, memo=renders)
            if subject is not None:
                yield from _subject_hits(subject, town, opts, ja)


def towns_to_check(ctx: Any, text: str, opts: Mapping, ja: bool) -> list[Any]:
    """The towns that may get a ``length/channel`` finding for this message, in scope order;
    every other town is proven to get none, a class of towns at a time (see
    :mod:`review.checks.scope`): towns with the same channels and e-mail encoding and no block
    at the stage print the same untemplated text, and a fields-only template is bounded by the
    longest value of each field it prints. Only the towns left are rendered one by one."""
    scope = ctx.scope
    stage = ctx.message.stage
    with_block = scope.block_codes.get(stage, frozenset())
    keep: set[str] = set()
    untemplated = None
    if "{" not in text:
        try:
            untemplated = render(text, {})
        except KizunaError:
            untemplated = None
    for (channels, encoding), group in scope.channel_classes(ctx.towns).items():
        if _class_clear(text, untemplated, channels, encoding, group, scope, stage, opts, ja):
            if with_block:
                keep.update(with_block & scope.codes(group))
        else:
            keep.update(t.code for t in group)
        if "email" in channels:
            keep.update(_subject_towns(ctx, encoding, group, opts))
    return sorted((scope.towns[scope.position[c]] for c in keep), key=lambda t: scope.position[t.code])


def _class_clear(text: str, untemplated: str | None, channels: tuple[str, ...], encoding: str, group: tuple[Any, ...],
                 scope: Any, stage: Any, opts: Mapping, ja: bool) -> bool:
    """Whether no town of ``group`` (same channels and encoding) without a block at the stage
    can get a channel finding on this text."""
    relevant = "line" in channels or "sms" in channels or ("email" in channels and encoding == "iso-2022-jp")
    if not relevant:
        return True
    if "{" not in text:
        if untemplated is None:
            return True  # the text does not render: template/variables reports it, no town gets more
        return not any(True for _ in _channel_hits(untemplated, untemplated, group[0], opts, ja))
    bound = template_bound(text, scope, group, stage)
    if bound is None:
        return False
    if "line" in channels and bound.max_units > LINE_MAX_UNITS:
        return False
    if "sms" in channels:
        parts = sms_parts_at_most(bound.max_units)
        warn = opts["sms_warn_parts"]
        if parts > opts["sms_max_parts"] or (warn and parts > warn):
            return False
    if "email" in channels and encoding == "iso-2022-jp" and not bound.jis_safe:
        return False
    return True


def _subject_towns(ctx: Any, encoding: str, group: tuple[Any, ...], opts: Mapping) -> set[str]:
    """Codes of the towns of ``group`` that may get an e-mail subject finding at this stage
    (the others are proven to get none)."""
    options = ctx.ws.config.section("exports").get("email") or {}
    source = email_subject_template(options, ctx.locale)
    stage = ctx.message.stage
    bound = template_bound(source, ctx.scope, group, stage)
    if bound is None:
        return {t.code for t in group}
    found: set[str] = set()
    if bound.max_units > opts["email_subject_max"]:
        over = towns_over(source, ctx.scope, group, stage, opts["email_subject_max"])
        if over is None:
            return {t.code for t in group}
        found |= over
    if encoding == "iso-2022-jp" and not bound.jis_safe:
        return {t.code for t in group}
    return found


def email_subject(ws: Any, town: Any, stage: Any, locale: str, *, memo: RenderMemo | None = None) -> str | None:
    """The subject the e-mail export gives this town's message at ``stage`` (``None`` when its
    template fails: the export reports that); ``memo``: the run's renderings."""
    options = ws.config.section("exports").get("email") or {}
    context = {"town": town.template_context(), "stage": stage_context(stage)}
    try:
        return (memo.render if memo is not None else render)(email_subject_template(options, locale), context)
    except KizunaError:
        return None


def render_or_none(text: str, block: str | None, town: Any, message: Any, locale: str, *,
                   memo: RenderMemo | None = None) -> tuple[str, str | None] | None:
    """The national text and block rendered for ``town``, or ``None`` when a template fails
    (``template/variables`` reports it); ``memo``: the run's renderings."""
    context = {"town": town.template_context(), "stage": stage_context(message.stage), **PLACEHOLDER_CONTEXT}
    try:
        rendered = (memo.render_for_town if memo is not None else render_for_town)(
            text, block, context, town=town.code, message=message.id, locale=locale)
    except TemplateError:
        return None
    return rendered.national, rendered.block
