"""The check engine: rules registered by id, configured per workspace, run into findings.

A rule is a small function with an id, a name, a description, a default level and default
options, registered with :func:`rule`. It reads one of three things and yields :class:`Hit`
objects (what and where), never prints:

* ``text`` — one analysed text (:class:`~review.checks.text.TextDoc`), with no workspace: these
  run for ``kizuna lint``, :func:`check_text` and every locale of every message;
* ``message`` — one message in one locale, with the workspace (templates, translations, what
  each town sends);
* ``workspace`` — the whole workspace (coverage, town blocks).

The engine turns hits into :class:`~review.findings.Finding` objects: it adds the rule id, the
configured level, line and column, the file, and — when the message carries an ignore for the
rule — the written reason (the finding is kept and shown, and does not count).

Configuration lives in ``kizuna.yaml`` under ``checks.rules``, keyed by rule id or by family
(``tone``), the way ``.textlintrc`` or ``.vale.ini`` do::

    checks:
      rules:
        tone/command: {level: error}
        length/sentence: {options: {max: 120}}
        readability: off
        coverage: {level: warning}

Unknown ids, levels and options are errors naming ``kizuna.yaml`` and the field.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping

from kizuna.catalog.errors import KizunaError, WorkspaceError
from kizuna.catalog.i18n import N_, _
from kizuna.review.findings import LEVEL_RANK, LEVELS, Finding, Level, position

CONFIG_FILE = "kizuna.yaml"


@dataclass(frozen=True)
class Hit:
    """What a rule found. Offsets are in the text the rule read (``doc.plain`` for text rules,
    ``text`` when given); message rules may name a town, a stage, a locale or another file."""

    message: str
    start: int | None = None
    end: int | None = None
    suggestion: str | None = None
    town: str | None = None
    stage: str | None = None
    locale: str | None = None
    message_id: str | None = None
    path: str | None = None
    text: str | None = None
    level: Level | None = None


TextFunc = Callable[[Any, Mapping[str, Any]], Iterable[Hit]]


@dataclass(frozen=True)
class Rule:
    id: str
    name: str
    description: str
    level: Level
    options: Mapping[str, Any] = field(default_factory=dict)
    #: languages a text rule applies to (``None``: every language)
    languages: frozenset[str] | None = None
    #: whether ``kizuna lint`` runs it on drafts outside a workspace
    lint: bool = False
    text: TextFunc | None = None
    message: TextFunc | None = None
    workspace: TextFunc | None = None
    validate: Callable[[Mapping[str, Any]], None] | None = None

    @property
    def family(self) -> str:
        return self.id.split("/")[0]

    def applies_to(self, lang: str) -> bool:
        return self.languages is None or lang in self.languages


RULES: dict[str, Rule] = {}


def rule(rule_id: str, name: str, *, level: Level, scope: str, description: str = "",
         options: Mapping[str, Any] | None = None, languages: Iterable[str] | None = None,
         lint: bool = False, validate: Callable[[Mapping[str, Any]], None] | None = None
         ) -> Callable[[TextFunc], TextFunc]:
    """Register the decorated function as (one scope of) rule ``rule_id``.

    A rule may have a function per scope (``text``, ``message``, ``workspace``); registering a
    second scope under the same id adds it to the rule."""

    def register(func: TextFunc) -> TextFunc:
        existing = RULES.get(rule_id)
        base = existing or Rule(
            id=rule_id, name=name, description=description or (func.__doc__ or "").strip().split("\n")[0],
            level=level, options=dict(options or {}),
            languages=frozenset(languages) if languages is not None else None, lint=lint,
            validate=validate)
        if existing is not None and options:
            base = replace(base, options={**base.options, **options})
        RULES[rule_id] = replace(base, **{scope: func})
        return func

    return register


# --- helpers for rules' option validators ---------------------------------------------------------

def require_texts(opts: Mapping[str, Any], *names: str) -> None:
    """Each option in ``names`` is a list of text (a validator's helper; errors name the option)."""
    for name in names:
        if not all(isinstance(v, str) for v in opts[name]):
            raise KizunaError("must be a list of text", field=name)


def require_at_least(opts: Mapping[str, Any], minimum: int, *names: str) -> None:
    """Each option in ``names`` is at least ``minimum``."""
    for name in names:
        if opts[name] < minimum:
            raise KizunaError(f"must be {minimum} or more", field=name)


# --- configuration ------------------------------------------------------------------------------

@dataclass(frozen=True)
class RuleSetting:
    enabled: bool
    level: Level
    options: Mapping[str, Any]


@dataclass(frozen=True)
class CheckConfig:
    """Effective settings of every rule, and the folder relative paths in options start from."""

    settings: Mapping[str, RuleSetting]
    root: Path | None = None
    #: locales held to the plain-language (``easy/*``) rules: ``kizuna.yaml``'s ``plain_language``;
    #: ``None`` outside a workspace: every locale named ``*-easy``
    plain_locales: frozenset[str] | None = None
    #: what rules look up once per run (data files); a new configuration starts empty
    cache: dict[Any, Any] = field(default_factory=dict, compare=False, hash=False, repr=False)

    def setting(self, rule_id: str) -> RuleSetting:
        return self.settings[rule_id]

    def is_plain(self, locale: str) -> bool:
        """Whether texts in ``locale`` are written in plain language (やさしい日本語)."""
        if self.plain_locales is not None:
            return locale in self.plain_locales
        return locale.endswith("-easy")

    def enabled_rules(self, rule_ids: Iterable[str] | None = None) -> list[Rule]:
        wanted = set(rule_ids) if rule_ids is not None else None
        return [r for r in RULES.values()
                if self.settings[r.id].enabled and (wanted is None or r.id in wanted)]


def _config_error(message: str, field_name: str) -> WorkspaceError:
    return WorkspaceError(message, path=CONFIG_FILE, field=field_name)


def did_you_mean(name: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(known), n=1)
    return _("; did you mean '{name}'?").format(name=close[0]) if close else ""


_KIND_NAMES = {bool: N_("true or false"), int: N_("a whole number"), float: N_("a number"), str: N_("text"),
               list: N_("a list"), dict: N_("a mapping (name: value lines)")}


def _kind_problem(default: Any, value: Any) -> str | None:
    """Why ``value`` cannot stand for an option whose default is ``default`` (``None``: it can).

    A whole-number option takes whole numbers of 0 or more, a number option any number, a
    list option a list whose items are like the default's items."""
    if default is None:
        return None
    if isinstance(default, bool) or isinstance(value, bool):
        return None if isinstance(default, bool) and isinstance(value, bool) else _("true or false")
    if isinstance(default, int):
        if not isinstance(value, int):
            return _(_KIND_NAMES[int])
        return None if value >= 0 else _("0 or more")
    if isinstance(default, float):
        return None if isinstance(value, (int, float)) else _(_KIND_NAMES[float])
    kind = dict if isinstance(default, Mapping) else type(default)
    if not isinstance(value, kind):
        return _(_KIND_NAMES[kind]) if kind in _KIND_NAMES else kind.__name__
    if isinstance(default, list) and default:
        item = type(default[0])
        if not all(isinstance(v, item) and not isinstance(v, bool) for v in value):
            return _("a list of {kind}").format(kind=_(_KIND_NAMES[item]) if item in _KIND_NAMES else item.__name__)
    return None


def _check_options(rule_obj: Rule, raw: Any, where: str) -> dict[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise _config_error(_("options must be a mapping (name: value lines)"), where)
    options: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in rule_obj.options:
            allowed = ", ".join(sorted(rule_obj.options)) or "none"
            raise _config_error(_("'{rule}' has no option '{key}'{hint} (options: {allowed})").format(
                rule=rule_obj.id, key=key, hint=did_you_mean(str(key), rule_obj.options), allowed=allowed),
                f"{where}.{key}")
        default = rule_obj.options[key]
        problem = _kind_problem(default, value)
        if problem:
            raise _config_error(_("must be {kind}, like {default}, not {value}").format(
                kind=problem, default=repr(default), value=repr(value)), f"{where}.{key}")
        options[key] = value
    return options


def _parse_entry(value: Any, where: str) -> tuple[bool | None, Level | None, Any]:
    """(enabled, level, raw options) of one ``rules`` entry."""
    if isinstance(value, bool):
        return value, None, None
    if isinstance(value, str) and value.lower() in ("on", "off"):
        return value.lower() == "on", None, None
    if isinstance(value, str) and value in LEVELS:
        return True, value, None  # type: ignore[return-value]
    if not isinstance(value, Mapping):
        raise _config_error(_("write on, off, a level (error, warning, info) or a mapping with enabled, level "
                              "and options"), where)
    unknown = set(value) - {"enabled", "level", "options"}
    if unknown:
        raise _config_error(_("unknown key(s) {keys}; allowed: {allowed}").format(
            keys=", ".join(sorted(map(str, unknown))), allowed="enabled, level, options"), where)
    enabled = value.get("enabled")
    if enabled is not None and not isinstance(enabled, bool):
        raise _config_error(_("must be true or false"), f"{where}.enabled")
    level = value.get("level")
    if level is not None and level not in LEVELS:
        raise _config_error(_("'{level}' is not a level; use error, warning or info").format(level=level),
                            f"{where}.level")
    return (True if enabled is None else enabled), level, value.get("options")


def parse_config(section: Mapping[str, Any] | None, *, root: Path | None = None) -> CheckConfig:
    """Effective settings from the ``checks`` section of ``kizuna.yaml`` (``None``: defaults).

    Family entries (``tone``) apply first, then rule entries (``tone/command``)."""
    section = section or {}
    if not isinstance(section, Mapping):
        raise _config_error(_("must be a mapping with 'rules'"), "checks")
    unknown = set(section) - {"rules"}
    if unknown:
        raise _config_error(_("unknown key(s) {keys}; allowed: {allowed}").format(
            keys=", ".join(sorted(map(str, unknown))), allowed="rules"), "checks")
    raw_rules = section.get("rules")
    raw_rules = {} if raw_rules is None else raw_rules
    if not isinstance(raw_rules, Mapping):
        raise _config_error(_("must be a mapping of rule id to settings"), "checks.rules")
    families = {r.family for r in RULES.values()}
    settings = {r.id: RuleSetting(True, r.level, dict(r.options)) for r in RULES.values()}
    ordered = sorted(raw_rules.items(), key=lambda kv: (str(kv[0]) in RULES, str(kv[0])))
    for key, value in ordered:
        key = str(key)
        where = f"checks.rules.{key}"
        if key not in RULES and key not in families:
            raise _config_error(_("unknown rule '{rule}'{hint}; the rules are listed in docs/checks.md").format(
                rule=key, hint=did_you_mean(key, list(RULES) + sorted(families))), where)
        enabled, level, raw_options = _parse_entry(value, where)
        targets = [RULES[key]] if key in RULES else [r for r in RULES.values() if r.family == key]
        if raw_options is not None and key not in RULES:
            raise _config_error(_("options belong to one rule, not a family; write them under {key}/<rule>").format(
                key=key), f"{where}.options")
        for target in targets:
            current = settings[target.id]
            options = {**current.options, **_check_options(target, raw_options, f"{where}.options")}
            if target.validate is not None and raw_options:
                try:
                    target.validate(options)
                except KizunaError as exc:
                    raise _config_error(exc.message, f"{where}.options{'.' + exc.field if exc.field else ''}") from None
            settings[target.id] = RuleSetting(
                current.enabled if enabled is None else enabled, level or current.level, options)
    return CheckConfig(settings, root)


def default_config() -> CheckConfig:
    return parse_config(None)


# --- turning hits into findings ---------------------------------------------------------------

@dataclass(frozen=True)
class Subject:
    """What a batch of hits is about: the message, locale, file and the ignores that apply."""

    message_id: str | None = None
    locale: str | None = None
    path: str | None = None
    town: str | None = None
    stage: str | None = None
    ignores: Any = None  # a Message (has .ignored(rule, locale)) or None


def make_finding(rule_obj: Rule, setting: RuleSetting, hit: Hit, subject: Subject,
                 text: str | None, span: tuple[int, int] | None) -> Finding:
    line = column = None
    if span is not None and text is not None:
        line, column = position(text, span[0])
    locale = hit.locale or subject.locale
    ignore = subject.ignores.ignored(rule_obj.id, locale) if subject.ignores is not None else None
    level = setting.level
    if hit.level is not None and LEVEL_RANK[hit.level] > LEVEL_RANK[level]:
        level = hit.level  # a milder kind of finding (a translation's variables); never above the configured level
    return Finding.from_row((  # in field order (a national run makes 150,000 findings)
        rule_obj.id, level, hit.message, hit.message_id or subject.message_id, locale,
        hit.town or subject.town, line, column, span, hit.suggestion, ignore.reason if ignore else None,
        hit.path or subject.path, hit.stage or subject.stage))


def run_text_rules(doc: Any, config: CheckConfig, subject: Subject, *,
                   lint_only: bool = False, rule_ids: Iterable[str] | None = None) -> Iterator[Finding]:
    """Every enabled text rule that applies to the document's language."""
    for rule_obj in config.enabled_rules(rule_ids):
        if rule_obj.text is None or not rule_obj.applies_to(doc.lang) or (lint_only and not rule_obj.lint):
            continue
        setting = config.setting(rule_obj.id)
        for hit in rule_obj.text(doc, setting.options):
            span = doc.source_span(hit.start, hit.end if hit.end is not None else hit.start) \
                if hit.start is not None else None
            yield make_finding(rule_obj, setting, hit, subject, doc.source, span)


def hits_to_findings(rule_obj: Rule, setting: RuleSetting, hits: Iterable[Hit],
                     subject: Subject) -> Iterator[Finding]:
    """Findings of message and workspace rules (offsets are in ``hit.text`` when given)."""
    for hit in hits:
        span = None
        if hit.start is not None and hit.text is not None:
            span = (hit.start, hit.end if hit.end is not None else hit.start)
        yield make_finding(rule_obj, setting, hit, subject, hit.text, span)


# --- what message and workspace rules read ----------------------------------------------------------

@dataclass(frozen=True)
class MessageContext:
    """One message in one locale, the towns in scope that send it in that locale, and its
    analysed text."""

    ws: Any
    message: Any
    locale: str
    towns: tuple[Any, ...]
    doc: Any
    #: what the run computed once about its towns (:class:`~review.checks.scope.TownScope`)
    scope: Any = None


@dataclass(frozen=True)
class WorkspaceContext:
    """The workspace, the towns in scope and the locales asked for (``None``: all)."""

    ws: Any
    towns: tuple[Any, ...]
    locales: tuple[str, ...] | None
    #: what the run computed once about its towns (:class:`~review.checks.scope.TownScope`)
    scope: Any = None
