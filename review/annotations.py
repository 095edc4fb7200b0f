"""Notes other parts of kizuna attach to review items, shown in ``kizuna review queue`` and packets.

A provider is a callable ``provider(ws) -> {message id: [Annotation, ...]}`` registered under the
entry-point group ``kizuna.review_annotations`` (the surveys part registers the readers'
evidence for the yearly re-review this way). Review depends on no provider: a provider that
fails to load or raises is reported as a note, never as a crash of the review command.
"""
from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any, Callable, Mapping

GROUP = "kizuna.review_annotations"


@dataclass(frozen=True)
class Annotation:
    """One note on one message: a Japanese title and lines of text (rendered escaped)."""

    message_id: str
    title: str
    lines: tuple[str, ...]


Provider = Callable[[Any], Mapping[str, list[Annotation]]]


def providers() -> dict[str, Provider]:
    return {ep.name: ep.load for ep in entry_points(group=GROUP)}  # loaded lazily in collect()


def collect(ws: Any) -> dict[str, list[Annotation]]:
    """Every provider's annotations, by message id (failures become a note under the key ``""``)."""
    out: dict[str, list[Annotation]] = {}
    for name, load in providers().items():
        try:
            found = load()(ws)
        except Exception as exc:  # noqa: BLE001 - a provider must never break review
            found = {"": [Annotation("", name, (f"{name}: {type(exc).__name__}: {exc}",))]}
        for mid, notes in found.items():
            out.setdefault(mid, []).extend(notes)
    return out


def flagged_keys(ws: Any, reviewer_id: str, notes: Mapping[str, list[Annotation]],
                 skip: set[tuple[str, str]] | frozenset = frozenset()) -> list[tuple[str, str]]:
    """Items (source locale) of annotated messages whose sign-off needs one of the reviewer's
    roles, in stage order, leaving out ``skip`` (keys already in the reviewer's queue)."""
    from kizuna.catalog.roster import find_reviewer  # noqa: PLC0415
    from kizuna.catalog.workspace import ROSTER_FILE  # noqa: PLC0415
    from kizuna.review.signoff import all_items, effective_roles  # noqa: PLC0415

    person = find_reviewer(ws.reviewers, reviewer_id, ws.root / ROSTER_FILE)
    source = ws.config.source_locale
    out = []
    for key, item in all_items(ws).items():
        if key[0] in notes and item.locale == source and key not in skip \
                and set(effective_roles(person, item.town)) & set(item.required):
            out.append(key)
    return out
