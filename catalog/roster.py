"""The reviewer roster: who may sign off what.

Role ids are English (stable in files); each has its Japanese name for people. A town editor
lists the municipality codes of their towns.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kizuna.catalog.errors import WorkspaceError
from kizuna.catalog.fields import ID_RE, Fields
from kizuna.catalog.i18n import N_, _

ROLES: dict[str, str] = {
    "obstetrician": "産婦人科医",
    "pediatrician": "小児科医",
    "midwife": "助産師",
    "public_health_nurse": "保健師",
    "dietitian": "管理栄養士",
    "dentist": "歯科医",
    "perinatal_mental_health": "周産期メンタルヘルス専門家",
    "editor": "編集者",
    "town_editor": "自治体編集担当",
}


@dataclass(frozen=True)
class Reviewer:
    id: str
    name: str
    roles: tuple[str, ...]
    towns: tuple[str, ...] = ()
    email: str = ""

    def has_role(self, role: str) -> bool:
        return role in self.roles


def roster_from_data(data: Any, path: str | Path) -> dict[str, Reviewer]:
    """Reviewers keyed by id; errors name the file and the reviewer's entry."""
    if data is None:
        return {}
    f = Fields(data, path)
    raw = f.data.get("reviewers") or []
    if not isinstance(raw, list):
        raise f.error("reviewers", _("must be a list of reviewers"))
    reviewers: dict[str, Reviewer] = {}
    for i, entry in enumerate(raw):
        r = Fields(entry, path, f"reviewers[{i}]")
        r.refuse_unknown({"id", "name", "roles", "towns", "email"})
        rid = r.str("id", pattern=ID_RE, hint=N_("lowercase letters, digits and hyphens"))
        if rid in reviewers:
            raise r.error("id", _("'{rid}' is used by two reviewers").format(rid=rid))
        roles = r.str_list("roles")
        for role in roles:
            if role not in ROLES:
                raise r.error("roles", _("unknown role '{role}'; known roles: {ROLES}").format(role=role, ROLES=', '.join(ROLES)))
        if not roles:
            raise r.error("roles", _("a reviewer needs at least one role"))
        towns = r.str_list("towns")
        if towns and "town_editor" not in roles:
            raise r.error("towns", _("only a town_editor has towns"))
        if "town_editor" in roles and not towns:
            raise r.error("towns", _("a town_editor must list the codes of their towns"))
        reviewers[rid] = Reviewer(rid, r.text("name"), tuple(roles), tuple(towns), r.str("email", ""))
    return reviewers


def roster_to_data(reviewers: dict[str, Reviewer]) -> dict[str, Any]:
    out = []
    for r in reviewers.values():
        entry: dict[str, Any] = {"id": r.id, "name": r.name, "roles": list(r.roles)}
        if r.towns:
            entry["towns"] = list(r.towns)
        if r.email:
            entry["email"] = r.email
        out.append(entry)
    return {"reviewers": out}


def find_reviewer(reviewers: dict[str, Reviewer], who: str, path: str | Path = "roster.yaml") -> Reviewer:
    """A reviewer by id or exact name; a clear error otherwise."""
    if who in reviewers:
        return reviewers[who]
    for r in reviewers.values():
        if r.name == who or r.name.replace(" ", "") == who.replace(" ", ""):
            return r
    raise WorkspaceError(_("no reviewer '{who}' in the roster; known: {value}").format(who=who, value=', '.join(reviewers) or 'none'),
                         path=path)
