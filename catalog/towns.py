"""Town profiles: one file per municipality that sends the service.

A town is keyed by its 6-digit municipality code (validated by check digit and against the
official list, and its name must be the official name). It holds contacts, services, the months
of its infant checkups, send time, channels, locales, cadence policy and end age, local blocks
by stage ("〇〇市より"), suppressed national messages and its own local messages.

Contacts and services are text in the source locale, or a mapping with a value per locale
(``desk: {ja: こども育成課, en: Child Development Division}``; the source locale is
required). Templates of a locale see that locale's value, else the source text
(:meth:`Town.template_context`). A service the town does not offer is written ``false``
(``parents_class: false``): it is not in the template context, and the checks report a national
text that mentions it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from kizuna.catalog import yamlio
from kizuna.catalog.cadence import format_age, parse_age
from kizuna.catalog.errors import StageError, TownError, WorkspaceError
from kizuna.catalog.fields import ID_RE, LOCALE_RE, Fields
from kizuna.catalog.hashing import normalise_text
from kizuna.catalog.messages import Message, message_from_data, message_to_data
from kizuna.catalog.municipalities import lookup
from kizuna.catalog.stages import Stage
from kizuna.catalog.i18n import N_, _

CHANNELS = ("line", "sms", "email")
EMAIL_ENCODINGS = ("iso-2022-jp", "utf-8")
CONTACT_FIELDS = ("desk", "phone", "hours", "url")
TIME_RE = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
TOWN_FIELDS = {
    "code", "name", "prefecture", "contacts", "services", "checkup_months", "send_time",
    "channels", "email_encoding", "backend", "locales", "policy", "end_age", "blocks",
    "suppress", "local_messages",
}


@dataclass(frozen=True)
class Town:
    code: str
    name: str
    prefecture: str
    contacts: Mapping[str, str]
    services: Mapping[str, str] = field(default_factory=dict)
    checkup_months: tuple[int, ...] = ()
    send_time: str = "08:00"
    channels: tuple[str, ...] = ("line",)
    email_encoding: str = "utf-8"
    backend: tuple[str, ...] = ()
    locales: tuple[str, ...] = ("ja",)
    policy: str = "reference"
    end_age: Stage = field(default_factory=lambda: Stage.after_birth(3))
    #: local blocks by stage, then by locale (a plain string in the file is the source locale)
    blocks: Mapping[Stage, Mapping[str, str]] = field(default_factory=dict)
    suppress: tuple[str, ...] = ()
    local_messages: tuple[Message, ...] = ()
    #: per-locale values of contacts and services other than the source text, keyed by
    #: ``contacts.desk`` / ``services.<key>``, then by locale
    localized: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    #: services the town marks as not offered (``parents_class: false``)
    not_offered: tuple[str, ...] = ()

    def block(self, stage: Stage, locale: str, source_locale: str = "ja") -> str | None:
        """The local block for ``stage`` in ``locale``, falling back to the source locale."""
        by_locale = self.blocks.get(stage)
        if not by_locale:
            return None
        return by_locale.get(locale, by_locale.get(source_locale))

    def value(self, section: str, key: str, locale: str | None = None) -> str | None:
        """The value of ``contacts.<key>`` or ``services.<key>`` for ``locale`` readers: the
        locale's own value, else the source text (``None``: the town has no such field)."""
        source = getattr(self, section).get(key)
        if source is None or locale is None:
            return source
        return self.localized.get(f"{section}.{key}", {}).get(locale, source)

    def has_locale_value(self, section: str, key: str, locale: str) -> bool:
        return locale in self.localized.get(f"{section}.{key}", {})

    def template_context(self, locale: str | None = None, source_locale: str | None = None) -> dict[str, Any]:
        """What templates see as ``town`` (the town profile schema of ``template/variables``),
        with the contacts and services of ``locale`` (default: the source texts)."""
        loc = None if locale is None or locale == source_locale or not self.localized else locale
        return {
            "code": self.code, "name": self.name, "prefecture": self.prefecture,
            "contacts": {k: self.value("contacts", k, loc) for k in self.contacts} if loc else dict(self.contacts),
            "services": {k: self.value("services", k, loc) for k in self.services} if loc else dict(self.services),
            "checkup_months": list(self.checkup_months), "send_time": self.send_time,
        }


def _localized_value(section: Fields, key: str, source_locale: str,
                     localized: dict[str, dict[str, str]]) -> str:
    """The source text of a contact or service written as text or as ``{locale: text}``; the
    other locales' values go into ``localized``."""
    raw = section.data.get(key)
    if not isinstance(raw, Mapping):
        return section.text(key)
    per_locale = section.sub(key)
    for loc in per_locale.data:
        if not isinstance(loc, str) or not LOCALE_RE.match(loc):
            raise per_locale.error(str(loc), _("is not a locale code like ja or en"))
    if source_locale not in per_locale.data:
        raise section.error(key, _("a value per locale needs the source locale '{source_locale}' "
                                 "(write {key}: {{{source_locale}: ..., en: ...}})").format(source_locale=source_locale, key=key))
    others = {loc: per_locale.text(loc) for loc in per_locale.data if loc != source_locale}
    if others:
        localized[section.name(key)] = others
    return per_locale.text(source_locale)


def town_from_data(data: Any, path: str | Path, source_locale: str = "ja") -> Town:
    """Build and validate a town profile; errors name the file and the field."""
    f = Fields(data, path)
    f.refuse_unknown(TOWN_FIELDS)
    code = f.data.get("code")
    if isinstance(code, int):
        raise f.error("code", _("write the code in quotes (code: '011002'), or YAML drops leading zeros"))
    code = f.str("code")
    try:
        official = lookup(code)
    except TownError as exc:
        raise f.error("code", exc.message) from None
    name = f.str("name", official.name)
    if name != official.name:
        raise f.error("name", _("'{name}' is not the official name of {code}: {name2}").format(name=name, code=code, name2=official.name))
    prefecture = f.str("prefecture", official.prefecture)
    if prefecture != official.prefecture:
        raise f.error("prefecture", _("{code} is in {prefecture}, not {prefecture2}").format(code=code, prefecture=official.prefecture, prefecture2=prefecture))
    contacts = f.sub("contacts")
    contacts.refuse_unknown(set(CONTACT_FIELDS))
    localized: dict[str, dict[str, str]] = {}
    contact_values = {k: _localized_value(contacts, k, source_locale, localized) for k in contacts.data}
    services = f.sub("services")
    service_values: dict[str, str] = {}
    not_offered: list[str] = []
    for key, value in services.data.items():
        if not isinstance(key, str) or not ID_RE.match(key.replace("_", "-")):
            raise services.error(str(key), _("a service key is lowercase letters, digits and _"))
        if value is False:
            not_offered.append(key)
        elif value is True:
            raise services.error(key, _("write what the service is (text), or false when the town does not offer it"))
        else:
            service_values[key] = _localized_value(services, key, source_locale, localized)
    send_time = f.data.get("send_time", "08:00")
    if isinstance(send_time, int):
        raise f.error("send_time", _("write the time in quotes, like send_time: '08:00'"))
    send_time = f.str("send_time", "08:00", pattern=TIME_RE, hint=N_("a time of day like '08:00'"))
    channels = f.str_list("channels") or ["line"]
    for ch in channels:
        if ch not in CHANNELS:
            raise f.error("channels", _("unknown channel '{ch}'; known: {CHANNELS}").format(ch=ch, CHANNELS=', '.join(CHANNELS)))
    email_encoding = f.str("email_encoding", "utf-8")
    if email_encoding not in EMAIL_ENCODINGS:
        raise f.error("email_encoding", _("must be one of {EMAIL_ENCODINGS}").format(EMAIL_ENCODINGS=', '.join(EMAIL_ENCODINGS)))
    backend_raw = f.data.get("backend")
    backend = [backend_raw] if isinstance(backend_raw, str) else f.str_list("backend")
    locales = f.str_list("locales", pattern=LOCALE_RE, hint=N_("a locale like ja or en")) or ["ja"]
    try:
        end_age = parse_age(f.data.get("end_age", "3y"))
    except StageError as exc:
        raise f.error("end_age", exc.message) from None
    blocks: dict[Stage, dict[str, str]] = {}
    block_fields = f.sub("blocks")
    for key, value in block_fields.data.items():
        try:
            stage = Stage.parse(key)
        except StageError as exc:
            raise block_fields.error(str(key), exc.message) from None
        if stage in blocks:
            raise block_fields.error(str(key), _("a second block for stage {stage}").format(stage=stage))
        if isinstance(value, Mapping):
            per_locale = block_fields.sub(key)
            for loc in per_locale.data:
                if not isinstance(loc, str) or not LOCALE_RE.match(loc):
                    raise per_locale.error(str(loc), _("is not a locale code like ja or en"))
            blocks[stage] = {loc: normalise_text(per_locale.text(loc)) for loc in per_locale.data}
        else:
            blocks[stage] = {source_locale: normalise_text(block_fields.text(key))}
    raw_locals = f.data.get("local_messages") or []
    if not isinstance(raw_locals, list):
        raise f.error("local_messages", _("must be a list of messages"))
    local_messages = tuple(
        message_from_data(m, path, prefix=f"local_messages[{i}]", town=code)
        for i, m in enumerate(raw_locals))
    return Town(
        code=code, name=name, prefecture=prefecture,
        contacts=contact_values, services=service_values,
        checkup_months=tuple(f.int_list("checkup_months", 1, 47)),
        send_time=send_time, channels=tuple(channels), email_encoding=email_encoding,
        backend=tuple(backend), locales=tuple(locales),
        policy=f.str("policy", "reference"), end_age=end_age, blocks=dict(sorted(blocks.items())),
        suppress=tuple(f.str_list("suppress", pattern=ID_RE, hint=N_("a message id"))),
        local_messages=local_messages, localized=localized, not_offered=tuple(not_offered),
    )


def _section_to_data(town: Town, section: str, source_locale: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, text in getattr(town, section).items():
        others = town.localized.get(f"{section}.{key}")
        out[key] = {source_locale: text, **others} if others else text
    return out


def town_to_data(town: Town, source_locale: str = "ja") -> dict[str, Any]:
    """The YAML mapping of a town, keys in a fixed order (stable diffs)."""
    data: dict[str, Any] = {
        "code": town.code, "name": town.name, "prefecture": town.prefecture,
        "contacts": _section_to_data(town, "contacts", source_locale),
    }
    if town.services or town.not_offered:
        data["services"] = {**_section_to_data(town, "services", source_locale),
                            **{key: False for key in town.not_offered}}
    if town.checkup_months:
        data["checkup_months"] = list(town.checkup_months)
    data["send_time"] = town.send_time
    data["channels"] = list(town.channels)
    if "email" in town.channels or town.email_encoding != "utf-8":
        data["email_encoding"] = town.email_encoding
    if town.backend:
        data["backend"] = town.backend[0] if len(town.backend) == 1 else list(town.backend)
    data["locales"] = list(town.locales)
    data["policy"] = town.policy
    data["end_age"] = format_age(town.end_age)
    if town.blocks:
        data["blocks"] = {
            str(stage): (yamlio.literal(by_locale[source_locale]) if list(by_locale) == [source_locale]
                         else {loc: yamlio.literal(text) for loc, text in by_locale.items()})
            for stage, by_locale in town.blocks.items()
        }
    if town.suppress:
        data["suppress"] = list(town.suppress)
    if town.local_messages:
        data["local_messages"] = [message_to_data(m) for m in town.local_messages]
    return data


def check_town_refs(town: Town, path: str | Path, *, policies: set[str], locales: set[str],
                    message_ids: set[str]) -> None:
    """Cross-file checks: the policy, locales and suppressed ids a town names must exist."""
    if town.policy not in policies:
        raise WorkspaceError(_("unknown cadence policy '{policy}'; defined: {policies}").format(policy=town.policy, policies=', '.join(sorted(policies))),
                             path=path, field="policy")
    for loc in town.locales:
        if loc not in locales:
            raise WorkspaceError(_("locale '{loc}' is not in the workspace's locales ({locales})").format(loc=loc, locales=', '.join(sorted(locales))),
                                 path=path, field="locales")
    for name, per_locale in town.localized.items():
        for loc in per_locale:
            if loc not in locales:
                raise WorkspaceError(_("locale '{loc}' is not in the workspace's locales "
                                     "({locales})").format(loc=loc, locales=', '.join(sorted(locales))), path=path, field=f"{name}.{loc}")
    for mid in town.suppress:
        if mid not in message_ids:
            raise WorkspaceError(_("suppresses '{mid}', which is not a national message").format(mid=mid), path=path,
                                 field="suppress")
