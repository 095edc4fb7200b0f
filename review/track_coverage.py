"""Coverage per track: each track other than ``main`` against its own cadence.

A track of ``registrants.tracks`` in ``kizuna.yaml`` names a cadence policy (``policy:``; the
town's own when it names none) and may end early (``end:``). For each town × locale × slot of
that cadence before the track's end (or the town's end age), the track's staged messages the
town sends with a text for the locale's readers are counted, as :mod:`review.coverage` does for
the main track: none is a gap, more than one a collision. The ``coverage/track`` rule reports
them; ``kizuna coverage`` shows them with the other coverage findings.
"""
from __future__ import annotations

from itertools import groupby
from typing import Any, Iterator, Mapping, Sequence

from kizuna.catalog.stages import Stage
from kizuna.catalog.towns import Town
from kizuna.catalog.tracks import MAIN
from kizuna.catalog.i18n import _
from kizuna.review.checks.engine import Hit, rule
from kizuna.review.coverage import STATUS_COLLISION, STATUS_GAP, Slot, by_stage, town_locales
from kizuna.review.findings import stage_label


def track_slots(ws: Any, town: Town, track: str) -> list[Stage]:
    """The cadence slots of ``track`` for ``town`` (its policy, up to its end)."""
    t = ws.config.registrants.tracks[track]
    policy = ws.policy(t.policy or town.policy)
    end = t.end or town.end_age
    return [s for s in policy.expand(end) if s.phase == "B" or t.anchor == "due_birth"]


def track_coverage(ws: Any, town: Town, track: str, locales: Sequence[str] | None = None) -> list[Slot]:
    """One :class:`~review.coverage.Slot` per locale × slot of ``track`` for ``town``."""
    sent = ws.town_messages(town, track=track)
    out = []
    slots = track_slots(ws, town, track)
    for locale in town_locales(town, locales):
        here = by_stage(sent, locale, ws.config)
        for stage in slots:
            present = here.get(stage, ())
            out.append(Slot(town.code, locale, stage, tuple(m.id for m in present), (),
                            tuple(m.id for m in present if locale not in m.texts)))
    return out


def coverage_by_track(ws: Any, towns: Sequence[Town] | None = None, locales: Sequence[str] | None = None,
                      memo: dict[Any, Any] | None = None) -> dict[str, dict[str, int]]:
    """Per track: number of slots, gaps and collisions over the towns and locales (main included,
    from the calendar classes of :func:`review.coverage.calendar`; pass the run's ``memo``)."""
    from kizuna.review.coverage import calendar

    memo = {} if memo is None else memo
    out: dict[str, dict[str, int]] = {}
    for town in towns if towns is not None else ws.towns.values():
        for track in ws.config.registrants.tracks:
            row = out.setdefault(track, {"slots": 0, "gap": 0, "collision": 0})
            if track == MAIN:  # towns of one calendar class share their counts
                for locale in town_locales(town, locales):
                    counts = calendar(ws, town, locale, memo).counts
                    row["slots"] += counts["slots"]
                    row["gap"] += counts["gaps"]
                    row["collision"] += counts["collisions"]
                continue
            slots = track_coverage(ws, town, track, locales)
            row["slots"] += len(slots)
            row["gap"] += sum(s.status == STATUS_GAP for s in slots)
            row["collision"] += sum(s.status == STATUS_COLLISION for s in slots)
    return out


@rule("coverage/track", "トラックの配信日", level="error", scope="workspace",
      description="main 以外のトラック（流産・死産のあと、NICU など）の配信日の抜けと重なり")
def track_gaps(ctx: Any, opts: Mapping) -> Iterator[Hit]:
    tracks = [t for t in ctx.ws.config.registrants.tracks.values() if t.name != MAIN]
    for town in ctx.towns:
        for track in tracks:
            if not ctx.ws.town_messages(town, track=track.name):
                continue  # the town sends nothing of this track: nothing to cover
            label = track.label or track.name
            path = ctx.ws.town_file(town.code)
            for (locale, status), run in groupby(track_coverage(ctx.ws, town, track.name, ctx.locales),
                                                  key=lambda s: (s.locale, s.status)):
                run = list(run)
                if status == STATUS_GAP:
                    span = stage_label(run[0].stage) + ("" if len(run) == 1 else f"〜{stage_label(run[-1].stage)}")
                    yield Hit(_("{town} ({locale}): no message for {count} sending days of the track \"{track}\" at "
                                "{span}.").format(town=town.name, locale=locale, track=label, span=span,
                                                  count=len(run)),
                              town=town.code, locale=locale, stage=str(run[0].stage), path=path,
                              suggestion=_("Write a message with track: {track}, or check the track's policy").format(
                                  track=track.name))
                elif status == STATUS_COLLISION:
                    for slot in run:
                        yield Hit(_("{town} ({locale}): {count} messages of the track \"{track}\" at {stage} "
                                    "({ids}).").format(town=town.name, locale=locale, track=label,
                                                       stage=stage_label(slot.stage), count=len(slot.message_ids),
                                                       ids=", ".join(slot.message_ids)),
                                  town=town.code, locale=locale, stage=str(slot.stage), path=path,
                                  suggestion=_("Merge them into one, or move one to another sending day"))
