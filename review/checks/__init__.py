"""The checks: tone, length, readability, templates, translations and stage coverage.

Public API (the names other packages call):

* :func:`run_checks` — every enabled rule over a workspace (optionally some towns / locales),
  configured from ``kizuna.yaml``'s ``checks`` section;
* :func:`check_message` — the rules about one message in one locale (its text, its templates,
  its translation, what each town that sends it can carry);
* :func:`check_text` — the text-only rules on one text (``kizuna lint``, review packets,
  workbooks);
* :data:`RULES`, :func:`config_for`, :func:`parse_config` — the registry and its configuration.

Rules live one family per module (:mod:`.tone`, :mod:`.wordlists`, :mod:`.length`,
:mod:`.readability`, :mod:`.templates`, :mod:`.coverage`, :mod:`.safety`, :mod:`.easy` for
やさしい日本語) and register themselves with the
engine (:mod:`.engine`) on import.
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from kizuna.catalog.channels import utf16_units
from kizuna.catalog.errors import KizunaError, WorkspaceError
from kizuna.catalog.i18n import _
from kizuna.catalog.messages import Message
from kizuna.catalog.templating import field_value, stage_context, variables_used
from kizuna.catalog.towns import Town
from kizuna.catalog.tracks import field_max_lengths
from kizuna.review.checks import coverage as _coverage  # noqa: F401  (registers rules)
from kizuna.review.checks import easy as _easy  # noqa: F401
from kizuna.review.checks import length as _length  # noqa: F401
from kizuna.review.checks import readability as _readability  # noqa: F401
from kizuna.review.checks import safety as _safety  # noqa: F401
from kizuna.review.checks import registrant as _registrant  # noqa: F401
from kizuna.review import track_coverage as _track_coverage  # noqa: F401
from kizuna.review.checks import templates as _templates  # noqa: F401
from kizuna.review.checks import tone as _tone  # noqa: F401
from kizuna.review.checks import towns as _towns  # noqa: F401
from kizuna.review.checks import wordlists as _wordlists  # noqa: F401
from kizuna.review.checks.engine import (RULES, CheckConfig, MessageContext, Rule, Subject, WorkspaceContext,
                                  default_config, did_you_mean, hits_to_findings, parse_config, run_text_rules)
from kizuna.review.checks.cache import SHIPS, open_cache, rule_inputs
from kizuna.review.checks.scope import TownScope, scope_for
from kizuna.review.checks.syllables import open_store
from kizuna.review.checks.text import TextDoc
from kizuna.review.findings import Finding, sort_findings

__all__ = ["RULES", "CheckConfig", "Rule", "check_message", "check_text", "config_for", "parse_config",
           "run_checks", "lint_text"]


def config_for(ws: Any) -> CheckConfig:
    """The effective check configuration of a workspace (errors name kizuna.yaml and field)."""
    cfg = parse_config(ws.config.section("checks"), root=Path(ws.root))
    return with_plain_locales(cfg, ws.config)


def with_plain_locales(cfg: CheckConfig, ws_config: Any) -> CheckConfig:
    """``cfg`` knowing which locales the workspace writes in plain language (``plain_language``)."""
    plain = getattr(ws_config, "plain_locales", None)
    return cfg if plain is None else replace(cfg, plain_locales=frozenset(plain))


def _resolve(config: Any) -> CheckConfig:
    if config is None:
        return default_config()
    if isinstance(config, CheckConfig):
        return config
    if isinstance(config, Mapping):
        return parse_config(config)
    if hasattr(config, "config") and hasattr(config, "root"):
        return config_for(config)
    raise TypeError(f"config must be a CheckConfig, a checks mapping or a Workspace, not {type(config).__name__}")


def _doc(text: str, locale: str, config: CheckConfig, **kw: Any) -> TextDoc:
    return TextDoc(text, locale, root=config.root, cache=config.cache, plain_language=config.is_plain(locale), **kw)


def check_text(text: str, locale: str, *, config: Any = None, markdown: bool = False,
               stage: Any = None, path: str | None = None, lint_only: bool = False) -> list[Finding]:
    """Findings of the text-only rules on one text (no workspace needed).

    ``config`` is a :class:`CheckConfig`, a ``checks`` mapping, a workspace, or ``None`` for the
    defaults; ``lint_only`` runs only the rules ``kizuna lint`` runs."""
    cfg = _resolve(config)
    doc = _doc(text, locale, cfg, markdown=markdown, stage=stage)
    return sort_findings(run_text_rules(doc, cfg, Subject(locale=locale, path=path), lint_only=lint_only))


def lint_text(text: str, locale: str, *, path: str | None = None, markdown: bool = False,
              config: Any = None) -> list[Finding]:
    """What ``kizuna lint`` reports for one draft (tone, sentence length, commas, readability)."""
    return check_text(text, locale, config=config, markdown=markdown, path=path, lint_only=True)


def message_path(ws: Any, message: Message) -> str:
    """The workspace-relative file a message lives in (a town file for a local message)."""
    return ws.town_file(message.town) if message.town else ws.message_file(message.id)


def senders(ws: Any, towns: Iterable[Town], locale: str, message: Message) -> tuple[Town, ...]:
    return tuple(t for t in towns if locale in t.locales and (
        message.town == t.code if message.town else message.id not in t.suppress))


def check_ignores(ws: Any, message: Message) -> None:
    """An ``ignore`` naming no rule (a typo) would silently ignore nothing: it is bad input,
    like an unknown rule in kizuna.yaml (the error names the file and the field)."""
    if not message.ignores:
        return
    known = set(RULES) | {r.family for r in RULES.values()}
    prefix = ""
    if message.town:
        town = ws.towns.get(message.town)
        index = next((i for i, m in enumerate(town.local_messages) if m.id == message.id), None) if town else None
        prefix = f"local_messages[{index}]." if index is not None else ""
    for i, ignore in enumerate(message.ignores):
        if ignore.rule not in known:
            raise WorkspaceError(_("unknown rule '{rule}'{hint}; write a rule id like length/sentence or a family "
                                   "like tone (docs/checks.md lists them)").format(
                                     rule=ignore.rule, hint=did_you_mean(ignore.rule, sorted(known))),
                                 path=message_path(ws, message), field=f"{prefix}ignore[{i}].rule")


def check_message(ws: Any, message: Message, locale: str, *, config: CheckConfig | None = None,
                  towns: Sequence[Town] | None = None, scope: TownScope | None = None) -> list[Finding]:
    """Findings about one message in one locale: its text (every text rule), its templates and
    translation, and what each town that sends it (default: every town) can carry.

    ``scope`` is what a run computed once about ``towns`` (:func:`review.checks.scope.scope_for`);
    without it, it is looked up in (or added to) the configuration's run cache."""
    cfg = config or config_for(ws)
    check_ignores(ws, message)
    text = message.text(locale)
    if text is None:
        return []
    open_store(ws.root)  # the English words looked up before (review.checks.syllables), once per workspace
    path = message_path(ws, message)
    if scope is None:
        scope = scope_for(cfg.cache, ws, tuple(towns) if towns is not None else tuple(ws.towns.values()))
    sending = scope.senders(message, locale)
    lengths = dict(scoped_field_lengths(text, scope, sending, message))
    if "{" in text:  # registrant fields count at their longest (registrants.fields)
        lengths.update({p: n for p, n in field_max_lengths(getattr(ws, "config", None)).items() if p in text})
    doc = _doc(text, locale, cfg, stage=message.stage, field_lengths=lengths, topics=message.topics)
    subject = Subject(message.id, locale, path, ignores=message)
    findings = list(run_text_rules(doc, cfg, subject))
    ctx = MessageContext(ws, message, locale, sending, doc, scope)
    for rule_obj in cfg.enabled_rules():
        if rule_obj.message is not None:
            findings.extend(hits_to_findings(rule_obj, cfg.setting(rule_obj.id),
                                             rule_obj.message(ctx, cfg.setting(rule_obj.id).options), subject))
    findings.extend(variant_findings(ws, message, locale, cfg, towns))
    return sort_findings(findings)


def variant_findings(ws: Any, message: Message, locale: str, cfg: CheckConfig,
                     towns: Sequence[Town] | None) -> list[Finding]:
    """The findings of the twins variant (``texts.<locale>.multiples``), checked like the text
    and marked 「双子以上の文」 (without a position: the variant is its own block of the file)."""
    from dataclasses import replace as _replace

    entry = message.texts.get(locale)
    if entry is None or not entry.multiples:
        return []
    variant = _replace(message, texts={**message.texts, locale: type(entry)(entry.multiples, entry.source_hash)})
    twins = _("(text for twins or more) ")
    return [_replace(f, message=twins + f.message, line=None, column=None, span=None)
            for f in check_message(ws, variant, locale, config=cfg, towns=towns)]


def field_lengths(text: str, towns: Sequence[Town], message: Message) -> dict[str, int]:
    """The longest value of each field ``text`` prints, among ``towns`` (what a reader gets in
    place of ``{{ town.services.postpartum_care }}``); fields a town lacks are left out."""
    out: dict[str, int] = {}
    if "{" not in text:
        return out
    try:
        paths = variables_used(text)
    except KizunaError:
        return out  # template/variables reports the syntax error
    for town in towns:
        context = {"town": town.template_context(), "stage": stage_context(message.stage)}
        for path in paths:
            value = field_value(context, path)
            if isinstance(value, (str, int, float)):
                out[path] = max(out.get(path, 0), utf16_units(str(value)))
    return out


def scoped_field_lengths(text: str, scope: TownScope, towns: tuple[Town, ...], message: Message) -> dict[str, int]:
    """:func:`field_lengths` from what the run knows about its towns (the same result without a
    pass over every town per text)."""
    out: dict[str, int] = {}
    if "{" not in text or not towns:
        return out
    try:
        paths = variables_used(text)
    except KizunaError:
        return out
    stage = stage_context(message.stage)
    for path in paths:
        if path.startswith("town."):
            units = scope.longest(path, towns)
            if units is not None:
                out[path] = units
        else:
            value = field_value({"stage": stage}, path)
            if isinstance(value, (str, int, float)):
                out[path] = utf16_units(str(value))
    return out


def _messages_in_scope(ws: Any, towns: Sequence[Town] | None) -> list[Message]:
    if towns is None:
        return list(ws.messages.values()) + [m for t in ws.towns.values() for m in t.local_messages]
    seen: dict[str, Message] = {}
    for town in towns:
        for m in ws.town_messages(town):
            seen.setdefault(m.id, m)
    return list(seen.values())


def run_checks(ws: Any, *, towns: list[str] | None = None, locales: list[str] | None = None,
               config: CheckConfig | None = None, rules: Iterable[str] | None = None,
               cache: bool = False, messages: Iterable[str] | None = None) -> list[Finding]:
    """Every enabled rule over the workspace, or over the messages and calendars of ``towns``
    (codes) in ``locales``; with ``rules`` (ids or families like ``coverage``), only those;
    with ``messages`` (ids), only the findings about each of those messages in each locale, as
    :func:`check_message` gives them (no workspace rule runs; what an import changed).
    With ``cache``, findings whose inputs did not change since the last cached run are read from
    ``.kizuna/cache/`` (see :mod:`review.checks.cache`) and the cache is brought up to date.
    Findings come sorted by file, message, locale and position."""
    cfg = config or config_for(ws)
    if rules is not None:
        wanted = set(rules)
        cfg = CheckConfig({rid: (s if rid in wanted or rid.split("/")[0] in wanted else replace(s, enabled=False))
                           for rid, s in cfg.settings.items()}, cfg.root, cfg.cache)
    selected = [ws.town(code) for code in towns] if towns else None
    town_scope = tuple(selected) if selected is not None else tuple(ws.towns.values())
    findings: list[Finding] = []
    scope = scope_for(cfg.cache, ws, town_scope)
    store = open_cache(ws, cfg, town_scope, partial=messages is not None) if cache else None
    per_message = any(r.text is not None or r.message is not None for r in cfg.enabled_rules())
    in_scope = _messages_in_scope(ws, selected)
    if messages is not None:
        wanted_ids = set(messages)
        in_scope = [m for m in in_scope if m.id in wanted_ids]
    for message in in_scope:
        check_ignores(ws, message)  # a typo in an ignore is bad input whichever rules run, cached or not
        if not per_message:
            continue
        for locale in message.texts:
            if locales is None or locale in locales:
                def compute(message: Message = message, locale: str = locale) -> list[Finding]:
                    return check_message(ws, message, locale, config=cfg, towns=town_scope, scope=scope)

                if store is None:
                    findings.extend(compute())
                else:
                    key = store.message_key(message, locale, message_path(ws, message), ws.config.source_locale)
                    findings.extend(store.get(key, compute))
    wanted = tuple(locales) if locales else None
    if messages is not None:
        if store is not None:
            store.save()
        return sort_findings(findings)

    def workspace_findings(kind: str | None = None) -> list[Finding]:
        ctx = WorkspaceContext(ws, town_scope, wanted, scope)
        out: list[Finding] = []
        for rule_obj in cfg.enabled_rules():
            if rule_obj.workspace is None or (kind is not None and rule_inputs(rule_obj.id) != kind):
                continue
            setting = cfg.setting(rule_obj.id)
            for finding in hits_to_findings(rule_obj, setting, rule_obj.workspace(ctx, setting.options), Subject()):
                out.append(_with_message_file(ws, finding))
        return out

    if store is None:
        findings.extend(workspace_findings())
    else:
        # each kind of workspace rule is keyed on just what its rules read (review.checks.cache)
        kinds = sorted({rule_inputs(r.id) for r in cfg.enabled_rules() if r.workspace is not None})
        where = lambda m: message_path(ws, m)  # noqa: E731
        for kind in kinds:
            key = store.ships_key(ws, wanted, where) if kind == SHIPS else store.group_key(kind, ws, wanted, where)
            findings.extend(store.get(key, lambda kind=kind: workspace_findings(kind)))
        store.save()
    return sort_findings(findings)


def _with_message_file(ws: Any, finding: Finding) -> Finding:
    """A workspace-rule finding about one message points at its file and honours its ignores."""
    if finding.message_id is None:
        return finding
    try:
        message = ws.message(finding.message_id)
    except Exception:  # noqa: BLE001 - the finding stands without a file
        return finding
    from dataclasses import replace

    ignore = message.ignored(finding.rule, finding.locale)
    return replace(finding, path=finding.path or message_path(ws, message),
                   ignored_reason=ignore.reason if ignore else finding.ignored_reason)
