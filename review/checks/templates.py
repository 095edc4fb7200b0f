"""``template/variables`` and ``translation/stale``: templates that render for every town, and
translations that follow their source.

``template/variables`` reports, as findings rather than crashes:

* a template syntax error in a message text or a town block (with its line);
* a variable outside the town profile schema — ``town.code``, ``town.name``,
  ``town.prefecture``, ``town.contacts.{desk,phone,hours,url}``, ``town.services.<key>``,
  ``town.checkup_months``, ``town.send_time`` — and ``stage.key`` / ``stage.label``
  (names a template sets itself, like a ``for`` loop variable, are its own);
* a field a town that sends the text does not fill (``town.services.sango_care`` in a town
  without that service), per town;
* a translation that uses other variables than its source text (a warning: it still renders).

``translation/stale`` reports a translation whose source text changed after it was translated
(its recorded ``source_hash`` is not the hash of the current source), or that records none.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any, Iterator, Mapping

from kizuna.catalog.errors import TemplateError
from kizuna.catalog.stages import Stage
from kizuna.catalog.templating import has_path, stage_context, variables_used
from kizuna.catalog.towns import CONTACT_FIELDS, Town
from kizuna.catalog.tracks import DEFAULT_FIELDS as REGISTRANT_FIELDS
from kizuna.review.checks.engine import Hit, rule
from kizuna.catalog.placeholders import PLACEHOLDER_CONTEXT

TOWN_FIELDS = frozenset(Town("000000", "", "", {}).template_context())
STAGE_FIELDS = frozenset(stage_context(Stage.after_birth()))
_MAPPING_FIELDS = {"contacts": frozenset(CONTACT_FIELDS), "services": None}


@lru_cache(maxsize=65536)
def template_variables(source: str) -> frozenset[str] | str:
    """Dotted paths a template reads from outside itself, or its syntax error as text."""
    try:
        return variables_used(source)
    except TemplateError as exc:
        return exc.message.removeprefix("template syntax error on ")


def schema_problem(path: str) -> str | None:
    """Why ``path`` is not in the town profile schema, or ``None`` when it is."""
    parts = path.split(".")
    root = parts[0]
    if root == "stage":
        return None if len(parts) == 2 and parts[1] in STAGE_FIELDS else \
            f"stage has only {', '.join(sorted(STAGE_FIELDS))}"
    if root in ("reader", "child"):
        return None if path in REGISTRANT_FIELDS else f"registrant fields are {', '.join(REGISTRANT_FIELDS)}"
    if root != "town":
        return "templates may use town.*, stage.* and the registrant fields reader.* and child.* only"
    if len(parts) < 2 or parts[1] not in TOWN_FIELDS:
        return f"the town profile has {', '.join(sorted(TOWN_FIELDS))}"
    field = parts[1]
    if field in _MAPPING_FIELDS:
        allowed = _MAPPING_FIELDS[field]
        if len(parts) != 3:
            return f"write town.{field}.<name>"
        if allowed is not None and parts[2] not in allowed:
            return f"town.{field} has {', '.join(sorted(allowed))}"
        return None
    return None if len(parts) == 2 else f"town.{field} has no fields"


def _syntax_line_offset(source: str, problem: str) -> int:
    try:
        line = int(problem.split(":")[0].split()[1])
    except (IndexError, ValueError):
        return 0
    offset = 0
    for _ in range(line - 1):
        nxt = source.find("\n", offset)
        if nxt < 0:
            break
        offset = nxt + 1
    return offset


def template_hits(source: str, towns: tuple[Town, ...], stage: Any, *, what: str = "",
                  scope: Any = None) -> Iterator[Hit]:
    """Syntax, schema and per-town findings of one template (``what`` names a town block).

    With ``scope`` (:class:`~review.checks.scope.TownScope`), only the towns that lack one of
    the template's fields are looked at one by one (the others have nothing to report)."""
    found = template_variables(source)
    if isinstance(found, str):
        yield Hit(f"{what}テンプレートの書き方に誤りがあります（{found}）。", _syntax_line_offset(source, found),
                  text=source, suggestion="{{ town.name }} のように、かっこを閉じて書きましょう")
        return
    for path in sorted(found):
        problem = schema_problem(path)
        if problem:
            yield Hit(f"{what}変数 {{{{ {path} }}}} は町のプロフィールにありません（{problem}）。",
                      max(source.find(path), 0), text=source)
    if scope is not None:
        towns = tuple(scope.lacking([p for p in found if schema_problem(p) is None], towns))
    for town in towns:
        context = {"town": town.template_context(), "stage": stage_context(stage), **PLACEHOLDER_CONTEXT}
        for path in sorted(found):
            if schema_problem(path) is None and not has_path(context, path):
                yield Hit(f"{what}{town.name}（{town.code}）のプロフィールに {path} がありません。",
                          max(source.find(path), 0), text=source, town=town.code,
                          suggestion=f"towns/{town.code}.yaml に {path.split('.', 1)[1]} を書きましょう")


@rule("template/variables", "テンプレートの変数", level="error", scope="message",
      description="テンプレートの誤り、町のプロフィールにない変数、原文と違う変数を使う翻訳")
def message_variables(ctx: Any, opts: Mapping) -> Iterator[Hit]:
    text = ctx.message.text(ctx.locale)
    yield from template_hits(text, ctx.towns, ctx.message.stage, scope=ctx.scope)
    source_locale = ctx.ws.config.source_locale
    source = ctx.message.text(source_locale)
    if ctx.locale == source_locale or source is None:
        return
    mine, theirs = template_variables(text), template_variables(source)
    if isinstance(mine, str) or isinstance(theirs, str) or mine == theirs:
        return
    missing, extra = sorted(theirs - mine), sorted(mine - theirs)
    detail = "、".join(filter(None, [f"足りない: {', '.join(missing)}" if missing else "",
                                     f"原文にない: {', '.join(extra)}" if extra else ""]))
    yield Hit(f"翻訳（{ctx.locale}）の変数が原文（{source_locale}）と違います（{detail}）。", 0, text=text,
              suggestion="原文と同じ変数を使いましょう", level="warning")


@rule("template/variables", "テンプレートの変数", level="error", scope="workspace")
def block_variables(ctx: Any, opts: Mapping) -> Iterator[Hit]:
    for town in ctx.towns:
        path = ctx.ws.town_file(town.code)
        for stage, by_locale in town.blocks.items():
            for locale, text in by_locale.items():
                if ctx.locales is not None and locale not in ctx.locales:
                    continue
                for hit in template_hits(text, (town,), stage, what=f"{town.name}のブロック（{stage}）の"):
                    yield Hit(hit.message, hit.start, hit.end, hit.suggestion, town=town.code, stage=str(stage),
                              locale=locale, path=path, text=hit.text)


@rule("translation/stale", "原文が変わった翻訳", level="warning", scope="message",
      description="翻訳のあとで原文が変わった（source_hash が原文と合わない）")
def stale_translation(ctx: Any, opts: Mapping) -> Iterator[Hit]:
    source_locale = ctx.ws.config.source_locale
    message = ctx.message
    if ctx.locale == source_locale or not message.is_stale_translation(ctx.locale, source_locale):
        return
    if message.texts[ctx.locale].source_hash is None:
        yield Hit(f"翻訳（{ctx.locale}）に原文のハッシュ（source_hash）がなく、どの原文から訳したか分かりません。",
                  suggestion="原文と照らし合わせて確認し、source_hash を記録しましょう")
    else:
        yield Hit(f"原文（{source_locale}）が、翻訳（{ctx.locale}）のあとで変更されています。",
                  suggestion="原文の変更を翻訳に反映し、source_hash を更新しましょう")
