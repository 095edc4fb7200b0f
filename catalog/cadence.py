"""Cadence policies: a named policy expands to the stage slots it expects a message for.

A policy is a list of segments, each ``from`` a stage, ``every`` a step, ``to`` a stage
(inclusive) or ``until`` a stage (exclusive). A town picks a policy and an end age; slots at or
after the end age are dropped (``end_age: 3y`` stops before the 3rd birthday).

:data:`REFERENCE_POLICY` is the cadence of the reference service (DESIGN §3): every day from
妊娠4週0日 to 41週6日; after birth every day to day 100, about every 3 days for the rest of age 0,
every 7 days at age 1, every 14 days at age 2; most towns stop at the 3rd birthday.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from kizuna.catalog.errors import KizunaError, StageError
from kizuna.catalog.stages import Stage, Step, stage_range
from kizuna.catalog.i18n import _


@dataclass(frozen=True)
class Segment:
    start: Stage
    step: Step
    to: Stage | None = None
    until: Stage | None = None

    def slots(self) -> list[Stage]:
        return list(stage_range(self.start, self.step, to=self.to, until=self.until))

    def to_data(self) -> dict[str, str]:
        data = {"from": str(self.start)}
        if self.to is not None:
            data["to"] = str(self.to)
        else:
            data["until"] = str(self.until)
        data["every"] = str(self.step)
        return data


@dataclass(frozen=True)
class CadencePolicy:
    name: str
    segments: tuple[Segment, ...]
    end_age: Stage = field(default_factory=lambda: Stage.after_birth(3))
    description: str = ""

    def expand(self, end_age: Stage | None = None) -> list[Stage]:
        """Sorted, unique slots of this policy that fall before ``end_age`` (default: the
        policy's own)."""
        end = end_age or self.end_age
        slots = {s for seg in self.segments for s in seg.slots()}
        return sorted(s for s in slots if s.phase == "P" or s < end)

    def to_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        if self.description:
            data["description"] = self.description
        data["end_age"] = format_age(self.end_age)
        data["segments"] = [seg.to_data() for seg in self.segments]
        return data


def parse_age(text: Any) -> Stage:
    """An end age such as ``3y``, ``7y`` or ``2y6m`` (an after-birth stage without the ``B``)."""
    raw = str(text).strip()
    try:
        stage = Stage.parse(raw if raw.startswith("B") else "B" + raw)
    except StageError:
        raise StageError(_("'{text}' is not an age; write 3y, 7y, 18y or 2y6m").format(text=text)) from None
    if stage == Stage.after_birth():
        raise StageError(_("an end age must be after birth (for example 3y)"))
    return stage


def format_age(stage: Stage) -> str:
    return str(stage)[1:]


def policy_from_data(name: str, data: Mapping[str, Any]) -> CadencePolicy:
    """Build a policy from its YAML mapping; raises ``KizunaError`` naming the field."""
    if not isinstance(data, Mapping):
        raise KizunaError(_("a policy must be a mapping with 'segments'"), field=f"policies.{name}")
    raw_segments = data.get("segments")
    if not isinstance(raw_segments, list) or not raw_segments:
        raise KizunaError(_("needs a non-empty list of segments"), field=f"policies.{name}.segments")
    segments = []
    for i, raw in enumerate(raw_segments):
        where = f"policies.{name}.segments[{i}]"
        if not isinstance(raw, Mapping):
            raise KizunaError(_("a segment is a mapping with from, to/until and every"), field=where)
        unknown = set(raw) - {"from", "to", "until", "every"}
        if unknown:
            raise KizunaError(_("unknown keys {unknown}").format(unknown=sorted(unknown)), field=where)
        try:
            start = Stage.parse(raw["from"])
            step = Step.parse(raw["every"])
            to = Stage.parse(raw["to"]) if "to" in raw else None
            until = Stage.parse(raw["until"]) if "until" in raw else None
            seg = Segment(start, step, to, until)
            seg.slots()  # validate the range now, not at expansion time
        except KeyError as exc:
            raise KizunaError(_("missing '{args}'").format(args=exc.args[0]), field=where) from None
        except StageError as exc:
            raise KizunaError(exc.message, field=where) from None
        segments.append(seg)
    try:
        end_age = parse_age(data.get("end_age", "3y"))
    except StageError as exc:
        raise KizunaError(exc.message, field=f"policies.{name}.end_age") from None
    return CadencePolicy(name, tuple(segments), end_age, str(data.get("description", "")))


REFERENCE_POLICY = policy_from_data(
    "reference",
    {
        "description": "参照サービスの配信間隔（妊娠4週〜41週6日は毎日、生後100日まで毎日、"
        "0歳の残りは約3日ごと、1歳は7日ごと、2歳は14日ごと、3歳の誕生日で終了）",
        "end_age": "3y",
        "segments": [
            {"from": "P4w", "to": "P41w6d", "every": "1d"},
            {"from": "B0d", "to": "B100d", "every": "1d"},
            {"from": "B103d", "until": "B1y", "every": "3d"},
            {"from": "B1y", "until": "B2y", "every": "7d"},
            {"from": "B2y", "until": "B3y", "every": "14d"},
        ],
    },
)

BUILTIN_POLICIES: dict[str, CadencePolicy] = {"reference": REFERENCE_POLICY}
