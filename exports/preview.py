"""The dated list of messages one registrant would get.

A registrant gives a due date (出産予定日) and, once the baby is born, a birth date. Messages of
pregnancy stages are dated from the due date and sent only *before* the birth date; messages
after birth are dated from the birth date (day of birth = day 0, months clamped to the month's
end). So a birth before the due date drops the remaining pregnancy messages, and a birth after it
keeps the late-pregnancy ones until the birth. With no birth date, the birth is assumed to be on
the due date (and the list says so).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Iterable

from kizuna.exports.model import Entry, TownCatalog


@dataclass(frozen=True)
class Delivery:
    day: date
    time: str
    entry: Entry


def delivery_date(entry: Entry, *, due: date, birth: date) -> date | None:
    """The date ``entry`` is sent to this registrant, or ``None`` when it is not sent."""
    if entry.anchor == "due":
        day = entry.stage.resolve(due=due)
        return day if day < birth else None
    return entry.stage.resolve(birth=birth)


def schedule(entries: Iterable[Entry], send_time: str, *, due: date, birth: date | None = None,
             start: date | None = None, days: int | None = None) -> list[Delivery]:
    """Deliveries in date order; from ``start`` (default: the first delivery) for ``days`` days."""
    born = birth or due
    dated = [Delivery(d, send_time, e) for e in entries
             if (d := delivery_date(e, due=due, birth=born)) is not None]
    dated.sort(key=lambda d: (d.day, d.entry.stage.sort_key, d.entry.message_id))
    if not dated:
        return []
    first = start or dated[0].day
    try:
        last = first + timedelta(days=days - 1) if days is not None else None
    except OverflowError:  # more days than the calendar has left: every later delivery
        last = None
    return [d for d in dated if d.day >= first and (last is None or d.day <= last)]


def render_text(catalog: TownCatalog, deliveries: list[Delivery], *, due: date,
                birth: date | None) -> str:
    """The list as plain text: a header, then each delivery and its text, indented."""
    town = catalog.town
    born = (f"出生日 {birth.isoformat()}" if birth
            else f"出生日未登録（予定日 {due.isoformat()} に生まれたと仮定）")
    lines = [f"{town.name} ({town.code}) [{catalog.locale}]  出産予定日 {due.isoformat()}  {born}",
             f"{len(deliveries)} messages"]
    for d in deliveries:
        lines.append("")
        lines.append(f"{d.day.isoformat()} {d.time}  {d.entry.stage} {d.entry.stage.label_ja}  "
                     f"{d.entry.message_id}")
        lines.extend("    " + line for line in d.entry.delivered_text.split("\n"))
    return "\n".join(lines) + "\n"
