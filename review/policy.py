"""The sign-off policy: which roles must approve a message, how many of each, and for how long.

The policy lives in the ``review:`` section of ``kizuna.yaml``::

    review:
      period_days: 365            # an approval older than this is expired (re-review yearly)
      always: {editor: 1}         # required for every national or local message, every locale
      default: {public_health_nurse: 1}   # when none of a message's topics has a rule
                                          # (built-in default: {editor: 1})
      topics:
        nutrition: {dietitian: 2}         # "nutrition needs two 管理栄養士"
        medical:                          # a rule may differ before and after birth
          pregnancy: {obstetrician: 1, midwife: 1}
          after_birth: {pediatrician: 1, midwife: 1}
      translations: {editor: 1}   # optional: for locales other than the source, replaces the
                                  # topic roles (``always`` still applies) — but not their
                                  # clinical review (see below)
      town: {town_editor: 1}      # town blocks; added to a town's own local messages
      urgent: {role: public_health_nurse, valid_days: 14}   # expedited path of urgent notices:
                                  # one approval by this role, expiring after valid_days

A role count may also be written as a list (``[obstetrician, midwife]`` = one of each).

How the requirement of one message and locale is built (:func:`required_roles`):

* source locale: ``always`` + the rules of all its topics (the larger count wins when two topics
  ask for the same role), or ``default`` when none of its topics has a rule for the message's
  phase (a topic may be ruled for ``pregnancy`` only);
* another locale: ``always`` + ``translations`` when the policy has it, else as the source.
  A translation of a clinical topic (a topic whose rule names a clinical role — every role but
  ``editor`` and ``town_editor``) still needs one of each of the topic's clinical roles: an
  ``editor: 1`` rule for translations never replaces clinical review. A ``translations`` rule
  that itself names a clinical role (``{editor: 1, pediatrician: 1}``: a translation reviewer
  and a clinician) is taken as it is;
* a town's local message: the above + ``town``; a town block: ``town`` only.

A requirement is never empty: one that would be falls back to :data:`FALLBACK` (one editor), so
no text is ever approved without anyone signing it.

``town_editor`` can only be required through ``town``: a town editor signs for their own towns.
The requirement is a plain ``dict`` of role id -> count, in a stable order.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from kizuna.catalog.errors import WorkspaceError
from kizuna.catalog.i18n import _
from kizuna.catalog.messages import Message
from kizuna.catalog.roster import ROLES
from kizuna.catalog.stages import Stage
from kizuna.catalog.workspace import CONFIG_FILE, Workspace

DEFAULT_PERIOD_DAYS = 365
POLICY_FIELDS = {"period_days", "always", "default", "topics", "translations", "town", "urgent"}
PHASE_KEYS = {"pregnancy": "P", "after_birth": "B"}
TOWN_ROLE = "town_editor"
#: what a message needs when the policy would require nobody
FALLBACK: dict[str, int] = {"editor": 1}
#: roles that review content (not language or the town's own text)
CLINICAL_ROLES = frozenset(r for r in ROLES if r not in ("editor", TOWN_ROLE))

Requirement = dict[str, int]


@dataclass(frozen=True)
class PhasedRule:
    """A topic rule that may differ before (``P``) and after (``B``) birth."""

    by_phase: Mapping[str, Requirement]

    def for_stage(self, stage: Stage) -> Requirement:
        return dict(self.by_phase.get(stage.phase, {}))


@dataclass(frozen=True)
class Policy:
    period_days: int = DEFAULT_PERIOD_DAYS
    always: Requirement = field(default_factory=dict)
    default: Requirement = field(default_factory=lambda: dict(FALLBACK))
    topics: Mapping[str, PhasedRule] = field(default_factory=dict)
    translations: Requirement | None = None
    town: Requirement = field(default_factory=lambda: {TOWN_ROLE: 1})
    #: the expedited path of urgent notices: one named role, and how long its approval lasts
    urgent: "UrgentRule | None" = None

    def period_for(self, message: Message | None) -> int:
        """Days an approval of ``message`` lasts (an urgent notice's: ``urgent.valid_days``)."""
        if self.urgent is not None and is_urgent(message):
            return self.urgent.valid_days
        return self.period_days


@dataclass(frozen=True)
class UrgentRule:
    """``review.urgent: {role: public_health_nurse, valid_days: 14}``: an urgent notice (a dated
    message of kind ``urgent``) needs one approval by ``role`` instead of the topic rules, and
    that approval expires after ``valid_days``."""

    role: str
    valid_days: int


def is_urgent(message: Message | None) -> bool:
    dated = getattr(message, "dated", None)
    return dated is not None and dated.kind == "urgent"


def _urgent_rule(raw: Any) -> UrgentRule | None:
    if raw is None:
        return None
    where = _where("urgent")
    if not isinstance(raw, Mapping) or set(raw) - {"role", "valid_days"}:
        raise WorkspaceError(_("write urgent: {example}").format(example="{role: public_health_nurse, valid_days: 14}"),
                             path=CONFIG_FILE,
                             field=where)
    role = raw.get("role")
    if role not in ROLES or role == TOWN_ROLE:
        raise WorkspaceError(_("'{role}' is not a role that can approve an urgent notice; roles: {roles}").format(
                                 role=role, roles=", ".join(r for r in ROLES if r != TOWN_ROLE)), path=CONFIG_FILE,
                             field=f"{where}.role")
    days = raw.get("valid_days")
    if type(days) is not int or not 1 <= days <= 365:
        raise WorkspaceError(_("must be a whole number of days from 1 to 365, like 14"), path=CONFIG_FILE,
                             field=f"{where}.valid_days")
    return UrgentRule(str(role), days)


def merge(*requirements: Mapping[str, int]) -> Requirement:
    """Union of requirements; the larger count wins for a role asked for twice."""
    out: Requirement = {}
    for req in requirements:
        for role, count in req.items():
            out[role] = max(out.get(role, 0), count)
    return {role: out[role] for role in sorted(out, key=_role_order)}


#: each role's place in the roster's order of roles
_ROLE_RANK = {role: i for i, role in enumerate(ROLES)}


def _role_order(role: str) -> int:
    return _ROLE_RANK.get(role, len(ROLES))


def _where(*parts: str) -> str:
    return ".".join(("review", *parts))


def _requirement(raw: Any, where: str, *, allow_town: bool = False) -> Requirement:
    """Parse ``{role: count}`` or ``[role, ...]``; errors name ``kizuna.yaml`` and the field."""
    if isinstance(raw, list):
        raw = {role: raw.count(role) for role in raw}
    if not isinstance(raw, Mapping):
        raise WorkspaceError(_("write the roles as {form}, like {example}").format(
                                 form="{role: count}", example="{obstetrician: 1, midwife: 1}"),
                             path=CONFIG_FILE, field=where)
    req: Requirement = {}
    for role, count in raw.items():
        if role not in ROLES:
            raise WorkspaceError(_("unknown role '{role}'; known roles: {roles}").format(role=role, roles=", ".join(ROLES)),
                                 path=CONFIG_FILE, field=where)
        if role == TOWN_ROLE and not allow_town:
            raise WorkspaceError(_("town_editor can only be required under review.town (a town editor signs for "
                                   "their own towns)"), path=CONFIG_FILE, field=where)
        if type(count) is not int or count < 1:
            raise WorkspaceError(_("the count for '{role}' must be a whole number of 1 or more").format(role=role),
                                 path=CONFIG_FILE, field=where)
        req[str(role)] = count
    return merge(req)


def _topic_rule(raw: Any, where: str) -> PhasedRule:
    if isinstance(raw, Mapping) and raw and set(raw) <= set(PHASE_KEYS):
        return PhasedRule({PHASE_KEYS[k]: _requirement(v, f"{where}.{k}") for k, v in raw.items()})
    req = _requirement(raw, where)
    return PhasedRule({"P": req, "B": req})


def policy_from_data(data: Mapping[str, Any]) -> Policy:
    """Build the policy from the ``review:`` mapping; the first problem raises ``WorkspaceError``."""
    unknown = sorted(str(k) for k in data if k not in POLICY_FIELDS)
    if unknown:
        raise WorkspaceError(_("unknown field(s) {fields}; allowed: {allowed}").format(
                                 fields=", ".join(unknown), allowed=", ".join(sorted(POLICY_FIELDS))),
                             path=CONFIG_FILE, field="review")
    period = data.get("period_days", DEFAULT_PERIOD_DAYS)
    if type(period) is not int or period < 1:
        raise WorkspaceError(_("must be a whole number of days, like 365"), path=CONFIG_FILE,
                             field=_where("period_days"))
    raw_topics = data.get("topics") or {}
    if not isinstance(raw_topics, Mapping):
        raise WorkspaceError(_("must map topic ids to roles, like {example}").format(
            example="{medical: {obstetrician: 1}}"), path=CONFIG_FILE, field=_where("topics"))
    translations = data.get("translations")
    return Policy(
        period_days=period,
        always=_requirement(data.get("always") or {}, _where("always")),
        default=_requirement(data.get("default", FALLBACK) or {}, _where("default")),
        topics={str(t): _topic_rule(r, _where("topics", str(t))) for t, r in raw_topics.items()},
        translations=None if translations is None else _requirement(translations, _where("translations")),
        town=_requirement(data.get("town", {TOWN_ROLE: 1}), _where("town"), allow_town=True),
        urgent=_urgent_rule(data.get("urgent")),
    )


def load_policy(ws: Workspace) -> Policy:
    """The workspace's policy (defaults when ``kizuna.yaml`` has no ``review:`` section)."""
    return policy_from_data(ws.config.section("review"))


def message_requirement(policy: Policy, message: Message, locale: str, source_locale: str) -> Requirement:
    """Roles that must approve ``locale`` of ``message`` (see the module docstring)."""
    if policy.urgent is not None and is_urgent(message):
        return {policy.urgent.role: 1}  # the expedited path: one named role
    rules = [policy.topics[t].for_stage(message.stage) for t in message.topics if t in policy.topics]
    rules = [r for r in rules if r]  # a topic ruled for the other phase only has no rule here
    if locale != source_locale and policy.translations is not None:
        req = merge(policy.always, policy.translations)
        if not CLINICAL_ROLES & set(policy.translations):
            req = merge(req, *({role: 1 for role in r if role in CLINICAL_ROLES} for r in rules))
    else:
        req = merge(policy.always, *rules) if rules else merge(policy.always, policy.default)
    if message.town is not None:
        req = merge(req, policy.town)
    return req or dict(FALLBACK)


def block_requirement(policy: Policy) -> Requirement:
    """Roles that must approve a town block."""
    return merge(policy.town) or dict(FALLBACK)


def format_requirement(req: Mapping[str, int]) -> str:
    """``産婦人科医 (obstetrician) ×1, 助産師 (midwife) ×1`` — for errors and packets."""
    return ", ".join(f"{ROLES.get(role, role)} ({role}) ×{count}" for role, count in req.items()) or "なし (none)"
