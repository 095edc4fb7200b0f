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
from kizuna.catalog.i18n import _
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
            _("stage has only {fields}").format(fields=", ".join(sorted(STAGE_FIELDS)))
    if root in ("reader", "child"):
        return None if path in REGISTRANT_FIELDS else \
            _("the registrant fields are {fields}").format(fields=", ".join(REGISTRANT_FIELDS))
    if root != "town":
        return _("templates may use town.*, stage.* and the registrant fields reader.* and child.* only")
    if len(parts) < 2 or parts[1] not in TOWN_FIELDS:
        return _("the town profile has {fields}").format(fields=", ".join(sorted(TOWN_FIELDS)))
    field = parts[1]
    if field in _MAPPING_FIELDS:
        allowed = _MAPPING_FIELDS[field]
        if len(parts) != 3:
            return _("write town.{field}.<name>").format(field=field)
        if allowed is not None and parts[2] not in allowed:
            return _("town.{field} has {fields}").format(field=field, fields=", ".join(sorted(allowed)))
        return None
    return None if len(parts) == 2 else _("town.{field} has no fields").format(field=field)


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
        yield Hit(_("{what}The template is not written right ({found}).").format(what=what, found=found),
                  _syntax_line_offset(source, found),
                  text=source, suggestion=_("Close the braces, like {example}").format(example="{{ town.name }}"))
        return
    for path in sorted(found):
        problem = schema_problem(path)
        if problem:
            yield Hit(_("{what}The variable {variable} is not in the town profile ({problem}).").format(
                          what=what, variable=f"{{{{ {path} }}}}", problem=problem),
                      max(source.find(path), 0), text=source)
    if scope is not None:
        towns = tuple(scope.lacking([p for p in found if schema_problem(p) is None], towns))
    for town in towns:
        context = {"town": town.template_context(), "stage": stage_context(stage), **PLACEHOLDER_CONTEXT}
        for path in sorted(found):
            if schema_problem(path) is None and not has_path(context, path):
                yield Hit(_("{what}The profile of {town} ({code}) has no {path}.").format(
                              what=what, town=town.name, code=town.code, path=path),
                          max(source.find(path), 0), text=source, town=town.code,
                          suggestion=_("Write {field} in towns/{code}.yaml").format(
                              field=path.split(".", 1)[1], code=town.code))


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
    detail = _("; ").join(filter(None, [
        _("missing: {names}").format(names=", ".join(missing)) if missing else "",
        _("not in the source: {names}").format(names=", ".join(extra)) if extra else ""]))
    yield Hit(_("The variables of the translation ({locale}) differ from the source ({source}): {detail}.").format(
                  locale=ctx.locale, source=source_locale, detail=detail), 0, text=text,
              suggestion=_("Use the same variables as the source"), level="warning")


@rule("template/variables", "テンプレートの変数", level="error", scope="workspace")
def block_variables(ctx: Any, opts: Mapping) -> Iterator[Hit]:
    for town in ctx.towns:
        path = ctx.ws.town_file(town.code)
        for stage, by_locale in town.blocks.items():
            for locale, text in by_locale.items():
                if ctx.locales is not None and locale not in ctx.locales:
                    continue
                for hit in template_hits(text, (town,), stage,
                                         what=_("{town} block ({stage}): ").format(town=town.name, stage=stage)):
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
        yield Hit(_("The translation ({locale}) has no source hash (source_hash): which source text it was "
                    "translated from is unknown.").format(locale=ctx.locale),
                  suggestion=_("Compare it with the source text, then record source_hash"))
    else:
        yield Hit(_("The source text ({source}) changed after the translation ({locale}) was made.").format(
                      source=source_locale, locale=ctx.locale),
                  suggestion=_("Bring the change of the source into the translation, and update source_hash"))
