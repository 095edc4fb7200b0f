"""The dated list of messages one registrant would get.

A registrant gives a due date (出産予定日) and, once the baby is born, a birth date. Messages of
pregnancy stages are dated from the due date and sent only *before* the birth date; messages
after birth are dated from the birth date (day of birth = day 0, months clamped to the month's
end). So a birth before the due date drops the remaining pregnancy messages, and a birth after it
keeps the late-pregnancy ones until the birth. With no birth date, the birth is assumed to be on
the due date (and the list says so). With a birth date and no due date (a parent who registers
after the birth), the list starts at the birth: there is no pregnancy to date.
This is the list of the main track's staged messages; other tracks, dated messages, twins and
nicknames: :func:`exports.registrant.timeline`.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Iterable

from kizuna.catalog.i18n import ngettext
from kizuna.exports.model import Entry, TownCatalog


@dataclass(frozen=True)
class Delivery:
    day: date
    time: str
    entry: Entry


def delivery_date(entry: Entry, *, due: date | None, birth: date) -> date | None:
    """The date ``entry`` is sent to this registrant, or ``None`` when it is not sent (a
    pregnancy message on or after the birth, or with no due date)."""
    if entry.track != "main" or entry.dated is not None:
        return None  # another track, or a dated message: see exports.registrant.timeline
    if entry.anchor == "due":
        if due is None:
            return None
        day = entry.stage.resolve(due=due)
        return day if day < birth else None
    return entry.stage.resolve(birth=birth)


def schedule(entries: Iterable[Entry], send_time: str, *, due: date | None = None, birth: date | None = None,
             start: date | None = None, days: int | None = None) -> list[Delivery]:
    """Deliveries in date order; from ``start`` (default: the first delivery) for ``days`` days.
    Give ``due``, ``birth`` or both."""
    born = birth or due
    if born is None:
        raise ValueError("a schedule needs a due date or a birth date")
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


def render_text(catalog: TownCatalog, deliveries: list[Delivery], *, due: date | None,
                birth: date | None) -> str:
    """The list as plain text: a header, then each delivery and its text, indented; a text sent
    in a fallback locale says so."""
    town = catalog.town
    if due is None and birth is None:
        raise ValueError("a preview needs a due date or a birth date")
    expected = (f"出産予定日 {due.isoformat()}" if due is not None
                else "出産予定日未登録（出生後の登録: 妊娠中のメッセージはありません）")
    born = (f"出生日 {birth.isoformat()}" if birth is not None
            else f"出生日未登録（予定日 {due.isoformat()} に生まれたと仮定）")  # type: ignore[union-attr]
    lines = [f"{town.name} ({town.code}) [{catalog.locale}]  {expected}  {born}",
             ngettext("{count} message", "{count} messages", len(deliveries)).format(count=len(deliveries))]
    for d in deliveries:
        lines.append("")
        lines.append(f"{d.day.isoformat()} {d.time}  {d.entry.stage} {d.entry.stage.label_ja}  "
                     f"{d.entry.message_id}")
        if d.entry.text_locale != catalog.locale:
            lines.append(f"    （{catalog.locale} の送れる本文がないため、{d.entry.text_locale} の本文を送ります）")
        lines.extend("    " + line for line in d.entry.delivered_text.split("\n"))
    return "\n".join(lines) + "\n"
