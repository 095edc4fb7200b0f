"""What a check run knows about its towns, computed once per run, so that work per message is
proportional to what differs between towns, not to the number of towns.

A national workspace has ~1,741 towns; most of them render a national text identically apart
from a few fields, and most have no block at a given stage. :class:`TownScope` holds, for the
towns in scope of one run:

* each town's template context (built once, not once per message);
* the towns that send in each locale, and the tuple of senders of a message (shared between
  messages nobody suppresses, so later steps can memoise on it);
* the towns of each *channel class* (channels and e-mail encoding), in scope order;
* per template field (``town.contacts.phone``): the towns that lack it, the longest value, and
  the towns whose value ISO-2022-JP cannot carry.

With these, a rule can prove "no town of this class gets a finding" once per class (see
:func:`template_bound`) and look at single towns only where a finding may be.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Iterable, Sequence

from kizuna.catalog.channels import SMS_LIMITS, jis_encodable, utf16_units
from kizuna.catalog.templating import RenderMemo, _split_fields, field_value, has_path, stage_context

#: how many scopes one check configuration remembers (a run needs one; workbooks reuse it)
_MAX_SCOPES = 4


@dataclass(frozen=True)
class FieldStats:
    """One template field over the towns in scope."""

    #: codes of towns without the field (a template using it fails for them)
    lacking: frozenset[str]
    #: the longest printed value in UTF-16 units (0 when no town has a printable one)
    max_units: int
    #: (units, code) of each town with a printable value, longest first
    by_length: tuple[tuple[int, str], ...]
    #: codes of towns whose value is not text or a number (Jinja2 prints it its own way)
    unprintable: frozenset[str]
    #: codes of towns whose printed value ISO-2022-JP cannot carry
    not_jis: frozenset[str]


@dataclass
class TownScope:
    """The towns of one check run and what is computed about them once."""

    towns: tuple[Any, ...]
    source_locale: str = "ja"
    contexts: dict[str, dict[str, Any]] = field(default_factory=dict)
    position: dict[str, int] = field(default_factory=dict)
    _by_locale: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    _senders: dict[tuple[str, frozenset[str], str | None], tuple[Any, ...]] = field(default_factory=dict)
    _sets: dict[int, tuple[tuple[Any, ...], frozenset[str]]] = field(default_factory=dict)
    _fields: dict[str, FieldStats] = field(default_factory=dict)
    _suppressors: dict[str, frozenset[str]] = field(default_factory=dict)
    _classes: dict[int, tuple[tuple[Any, ...], dict[tuple[Any, ...], tuple[Any, ...]]]] = field(default_factory=dict)
    #: what other parts of the run remember (coverage calendars per class of towns)
    memo: dict[Any, Any] = field(default_factory=dict)
    #: the run's renderings, one per distinct (template, field values)
    renders: RenderMemo = field(default_factory=RenderMemo)

    def __post_init__(self) -> None:
        self.block_codes: dict[Any, frozenset[str]] = {}
        at: dict[Any, set[str]] = {}
        for i, town in enumerate(self.towns):
            self.contexts[town.code] = town.template_context()
            self.position[town.code] = i
            for stage in town.blocks:
                at.setdefault(stage, set()).add(town.code)
        self.block_codes = {k: frozenset(v) for k, v in at.items()}
        suppressors: dict[str, set[str]] = {}
        for town in self.towns:
            for mid in town.suppress:
                suppressors.setdefault(mid, set()).add(town.code)
        self._suppressors = {k: frozenset(v) for k, v in suppressors.items()}

    # who sends what ---------------------------------------------------------------------------
    def in_locale(self, locale: str) -> tuple[Any, ...]:
        if locale not in self._by_locale:
            self._by_locale[locale] = tuple(t for t in self.towns if locale in t.locales)
        return self._by_locale[locale]

    def senders(self, message: Any, locale: str) -> tuple[Any, ...]:
        """The towns in scope that send ``message`` in ``locale`` (the same tuple object for
        every message with the same senders)."""
        gone = self._suppressors.get(message.id, frozenset()) if message.town is None else frozenset()
        key = (locale, gone, message.town)
        found = self._senders.get(key)
        if found is None:
            found = tuple(t for t in self.in_locale(locale)
                          if (t.code == message.town if message.town else t.code not in gone))
            self._senders[key] = found
        return found

    def codes(self, towns: tuple[Any, ...]) -> frozenset[str]:
        """The codes of ``towns`` as a set (remembered per tuple)."""
        hit = self._sets.get(id(towns))
        if hit is None or hit[0] is not towns:
            hit = (towns, frozenset(t.code for t in towns))
            self._sets[id(towns)] = hit
        return hit[1]

    def channel_classes(self, towns: tuple[Any, ...]) -> dict[tuple[Any, ...], tuple[Any, ...]]:
        """``towns`` grouped by (channels, e-mail encoding), each group in scope order."""
        hit = self._classes.get(id(towns))
        if hit is None or hit[0] is not towns:
            lists: dict[tuple[Any, ...], list[Any]] = {}
            for t in towns:
                lists.setdefault((t.channels, t.email_encoding), []).append(t)
            groups = {k: tuple(v) for k, v in lists.items()}
            for group in groups.values():
                self.codes(group)
            hit = (towns, groups)
            self._classes[id(towns)] = hit
        return hit[1]

    # template fields --------------------------------------------------------------------------
    def field(self, path: str) -> FieldStats:
        """What the towns in scope hold at ``path`` (a ``town.*`` path)."""
        stats = self._fields.get(path)
        if stats is None:
            lacking, unprintable, not_jis = set(), set(), set()
            lengths = []
            for town in self.towns:
                context = {"town": self.contexts[town.code]}
                if not has_path(context, path):
                    lacking.add(town.code)
                    continue
                value = field_value(context, path)
                if not isinstance(value, (str, int, float)):
                    unprintable.add(town.code)
                    continue
                shown = str(value)
                lengths.append((utf16_units(shown), town.code))
                if not jis_encodable(shown):
                    not_jis.add(town.code)
            lengths.sort(key=lambda x: (-x[0], self.position[x[1]]))
            stats = FieldStats(frozenset(lacking), lengths[0][0] if lengths else 0, tuple(lengths),
                               frozenset(unprintable), frozenset(not_jis))
            self._fields[path] = stats
        return stats

    def lacking(self, paths: Iterable[str], towns: tuple[Any, ...]) -> list[Any]:
        """The towns among ``towns`` without one of ``paths``, in scope order."""
        codes: set[str] = set()
        for path in paths:
            if path.startswith("town."):
                codes |= self.field(path).lacking
        if not codes:
            return []
        wanted = codes & self.codes(towns)
        return sorted((t for t in towns if t.code in wanted), key=lambda t: self.position[t.code]) \
            if len(wanted) * 8 > len(towns) else [self._town(c) for c in sorted(wanted, key=self.position.get)]

    def totals(self, paths: tuple[str, ...]) -> tuple[tuple[int, str], ...]:
        """``(units, code)`` of each town, longest first: the UTF-16 units the town's values at
        ``paths`` (``town.*``) print together (a town lacking one is left out: it cannot render)."""
        key = ("totals", paths)
        found = self.memo.get(key)
        if found is None:
            sums: dict[str, int] = {t.code: 0 for t in self.towns}
            for path in paths:
                stats = self.field(path)
                for units, code in stats.by_length:
                    if code in sums:
                        sums[code] += units
                for code in stats.lacking | stats.unprintable:
                    sums.pop(code, None)
            found = tuple(sorted(((u, c) for c, u in sums.items()), key=lambda x: (-x[0], self.position[x[1]])))
            self.memo[key] = found
        return found

    def _town(self, code: str) -> Any:
        return self.towns[self.position[code]]

    def longest(self, path: str, towns: tuple[Any, ...]) -> int | None:
        """The longest printed value of ``path`` among ``towns`` (UTF-16 units), ``None`` when
        none of them has a printable one."""
        codes = self.codes(towns)
        for units, code in self.field(path).by_length:
            if code in codes:
                return units
        return None


def scope_for(cache: dict[Any, Any], ws: Any, towns: Sequence[Any]) -> TownScope:
    """The :class:`TownScope` of ``towns`` (remembered in a check configuration's run cache,
    keyed by the identity of every town object: a changed town is a new object)."""
    key = ("town-scope", id(ws), tuple(map(id, towns)))
    scopes = cache.setdefault("town-scopes", {})
    found = scopes.get(key)
    if found is not None and found[0] is ws and all(a is b for a, b in zip(found[1].towns, towns)):
        return found[1]
    if len(scopes) >= _MAX_SCOPES:
        scopes.clear()
    scope = TownScope(tuple(towns), ws.config.source_locale)
    scopes[key] = (ws, scope)
    return scope


# bounds on what a template prints -------------------------------------------------------------

@dataclass(frozen=True)
class TemplateBound:
    """The most a fields-only template can print for the towns in a group, and whether every
    character of it is sure to fit ISO-2022-JP."""

    max_units: int
    jis_safe: bool


@lru_cache(maxsize=4096)
def _split(source: str) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    split = _split_fields(source)
    return (tuple(split[0]), tuple(split[1])) if split is not None else None


def template_bound(source: str, scope: TownScope, towns: Sequence[Any], stage: Any) -> TemplateBound | None:
    """A bound over ``towns`` on what ``source`` renders to at ``stage``, or ``None`` when it
    cannot be bounded without rendering (statements, filters, unprintable values)."""
    split = _split(source)
    if split is None:
        return None
    literals, paths = split
    units = sum(utf16_units(x) for x in literals)
    jis_safe = all(jis_encodable(x) for x in literals)
    stage_ctx = {"stage": stage_context(stage)}
    codes = None
    for path in paths:
        if path.startswith("stage."):
            value = field_value(stage_ctx, path)
            if not isinstance(value, str):
                return None
            units += utf16_units(value)
            jis_safe = jis_safe and jis_encodable(value)
            continue
        if not path.startswith("town."):
            return None
        stats = scope.field(path)
        codes = codes if codes is not None else _codes(scope, towns)
        if stats.unprintable & codes:
            return None
        units += stats.max_units
        jis_safe = jis_safe and not (stats.not_jis & codes)
    return TemplateBound(units, jis_safe)


def towns_over(source: str, scope: TownScope, towns: Sequence[Any], stage: Any, limit: int) -> set[str] | None:
    """Codes of the towns among ``towns`` for which the fields-only template ``source`` may print
    more than ``limit`` UTF-16 units at ``stage`` (exactly those), or ``None`` when it cannot be
    told without rendering."""
    split = _split(source)
    if split is None:
        return None
    literals, paths = split
    fixed = sum(utf16_units(x) for x in literals)
    stage_ctx = {"stage": stage_context(stage)}
    town_paths = []
    for path in paths:
        if path.startswith("stage."):
            value = field_value(stage_ctx, path)
            if not isinstance(value, str):
                return None
            fixed += utf16_units(value)
        elif path.startswith("town."):
            town_paths.append(path)
        else:
            return None
    codes = _codes(scope, towns)
    over: set[str] = set()
    for units, code in scope.totals(tuple(town_paths)):
        if units + fixed <= limit:
            break
        if code in codes:
            over.add(code)
    return over


def _codes(scope: TownScope, towns: Sequence[Any]) -> frozenset[str]:
    return scope.codes(towns) if isinstance(towns, tuple) else frozenset(t.code for t in towns)


def sms_parts_at_most(units: int) -> int:
    """The most SMS parts a text of at most ``units`` UTF-16 units can need, in either
    encoding (GSM-7 counts an extension character twice)."""
    alone, per_part = SMS_LIMITS["ucs2"]
    ucs2 = 1 if units <= alone else -(-units // per_part)
    g_alone, g_per = SMS_LIMITS["gsm7"]
    septets = 2 * units
    gsm = 1 if septets <= g_alone else -(-septets // g_per)
    return max(ucs2, gsm)


def context_of(scope: TownScope, town: Any, stage: Any) -> dict[str, Any]:
    """The template context of ``town`` at ``stage`` (the town part built once per run)."""
    return {"town": scope.contexts[town.code], "stage": stage_context(stage)}
