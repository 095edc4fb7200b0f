"""Dated messages: sent by calendar date to readers in a stage range, not at one stage.

Two kinds, both written in a message file under ``dated:`` instead of ``stage:``::

    dated:
      kind: seasonal               # every year, in a calendar window
      window: {from: 07-01, to: 08-31}
      stages: {from: B0d, until: B3y}   # readers whose stage is in this range (until: exclusive)

    dated:
      kind: urgent                 # once, in a date window, to a set of towns
      window: {from: 2026-12-01, to: 2026-12-14}
      stages: {from: P4w, until: B3y}
      towns: ['202029']            # required for urgent notices
      expires: 2026-12-14          # never sent after this day, whatever the window says

A reader gets a dated message once per window: on the first day of the window on which their
stage is in the range (so a baby born in mid-July still gets the summer message). A stage range
may cross birth (``P4w`` to ``B3y``): pregnancy stages count from the due date and end at the
birth, after-birth stages count from the birth date.

On a day with a staged message and dated ones, every message is sent, in this order:
urgent notices, then the staged message(s), then seasonal messages (:data:`DAY_ORDER`).

Windows are inclusive; a window that ends before it starts is an error. A yearly window cannot
cross the new year: it is the window in which the message is *sent* (a 年末年始 closure notice
is sent in late December, before the closure).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Iterator, Literal

from kizuna.catalog.fields import Fields
from kizuna.catalog.stages import Stage
from kizuna.catalog.i18n import N_
from kizuna.catalog.i18n import _

Kind = Literal["seasonal", "urgent"]
KINDS = ("seasonal", "urgent")
#: the order of one day's messages: urgent notices, staged messages, seasonal messages
DAY_ORDER = {"urgent": 0, "staged": 1, "seasonal": 2}
DATED_FIELDS = {"kind", "window", "stages", "towns", "expires"}
_MONTH_DAY_RE = re.compile(r"^(\d{2})-(\d{2})$")
_TOWN_CODE_RE = re.compile(r"^\d{6}$")
#: a leap year, so 02-29 is a valid month-day in a yearly window
_LEAP = 2024


@dataclass(frozen=True)
class DatedRule:
    """When a dated message is sent: its window, the stage range of its readers, its towns."""

    kind: Kind
    #: inclusive window; for ``seasonal`` the year of these dates is meaningless (month-day only)
    start: date
    end: date
    stage_from: Stage
    stage_until: Stage
    #: towns an urgent notice goes to (empty for seasonal messages: every town sending it)
    towns: tuple[str, ...] = ()
    expires: date | None = None

    @property
    def yearly(self) -> bool:
        return self.kind == "seasonal"

    def windows(self, first: date, last: date) -> Iterator[tuple[date, date]]:
        """The concrete windows that overlap ``first``..``last`` (one per year for seasonal)."""
        if not self.yearly:
            if self.start <= last and self.end >= first:
                yield self.start, self.end
            return
        for year in range(first.year, last.year + 1):
            start, end = _in_year(self.start, year), _in_year(self.end, year)
            if start <= last and end >= first:
                yield start, end

    def sends_on(self, day: date) -> bool:
        """True when ``day`` is inside a window (and before the expiry)."""
        if self.expires is not None and day > self.expires:
            return False
        return any(True for _ in self.windows(day, day))

    def for_town(self, code: str) -> bool:
        return not self.towns or code in self.towns

    def to_data(self) -> dict[str, Any]:
        fmt = (lambda d: d.strftime("%m-%d")) if self.yearly else (lambda d: d.isoformat())
        data: dict[str, Any] = {"kind": self.kind, "window": {"from": fmt(self.start), "to": fmt(self.end)},
                                "stages": {"from": str(self.stage_from), "until": str(self.stage_until)}}
        if self.towns:
            data["towns"] = list(self.towns)
        if self.expires is not None:
            data["expires"] = self.expires.isoformat()
        return data


def _in_year(day: date, year: int) -> date:
    """``day``'s month and day in ``year`` (02-29 becomes 02-28 in a common year)."""
    try:
        return day.replace(year=year)
    except ValueError:
        return date(year, 2, 28)


def _day(f: Fields, key: str, raw: Any, yearly: bool) -> date:
    text = raw.isoformat() if isinstance(raw, date) else str(raw)
    try:
        if yearly:
            m = _MONTH_DAY_RE.match(text)
            if not m:
                raise ValueError
            return date(_LEAP, int(m.group(1)), int(m.group(2)))
        return date.fromisoformat(text)
    except ValueError:
        form = "MM-DD, like 07-01 (every year)" if yearly else "YYYY-MM-DD, like 2026-12-01"
        raise f.error(key, _("'{raw}' is not a date; write {form}").format(raw=raw, form=form)) from None


def dated_from_data(data: Any, path: Any, prefix: str = "dated") -> DatedRule:
    """The ``dated:`` mapping of a message; errors name the file and the field."""
    f = Fields(data, path, prefix)
    f.refuse_unknown(DATED_FIELDS)
    kind = f.str("kind")
    if kind not in KINDS:
        raise f.error("kind", _("'{kind}' is not a kind of dated message; write seasonal or urgent").format(kind=kind))
    yearly = kind == "seasonal"
    w = f.sub("window")
    if not w.data:
        raise f.error("window", _("is required: {from: ..., to: ...}"))
    w.refuse_unknown({"from", "to"})
    for key in ("from", "to"):
        if not w.has(key):
            raise w.error(key, _("is required"))
    start, end = _day(w, "from", w.data["from"], yearly), _day(w, "to", w.data["to"], yearly)
    if end < start:
        raise w.error("to", _("the window ends ({to}) before it starts ({value}); "
                            "a yearly window cannot cross the new year — send the notice before it").format(to=w.data['to'], value=w.data['from']))
    s = f.sub("stages")
    if not s.data:
        raise f.error("stages", _("is required: {from: B0d, until: B3y}"))
    s.refuse_unknown({"from", "until"})
    stage_from, stage_until = s.stage("from"), s.stage("until")
    if not stage_from < stage_until:
        raise s.error("until", _("the stage range ends ({stage_until}) before it starts ({stage_from})").format(stage_until=stage_until, stage_from=stage_from))
    towns = tuple(f.str_list("towns", pattern=_TOWN_CODE_RE, hint=N_("a 6-digit town code in quotes")))
    expires = None
    if f.has("expires"):
        expires = _day(f, "expires", f.data["expires"], False)
    if kind == "urgent":
        if not towns:
            raise f.error("towns", _("an urgent notice names the towns it goes to, like towns: ['202029']"))
        if expires is None:
            raise f.error("expires", _("an urgent notice needs an expiry date (YYYY-MM-DD)"))
        if expires < start:
            raise f.error("expires", _("expires ({expires}) before the window starts ({start})").format(expires=expires, start=start))
    elif towns or expires is not None:
        raise f.error("towns" if towns else "expires", _("only urgent notices have towns and an expiry"))
    return DatedRule(kind, start, end, stage_from, stage_until, towns, expires)  # type: ignore[arg-type]


def stage_span(rule: DatedRule, *, due: date, birth: date | None) -> tuple[date, date] | None:
    """The days (inclusive) on which a reader with this due date (and birth date, or ``None``
    while pregnant or after a loss) is in the rule's stage range; ``None`` when never."""
    end_of_pregnancy = birth or date.max
    parts: list[tuple[date, date]] = []
    if rule.stage_from.phase == "P":
        start = rule.stage_from.resolve(due=due)
        if rule.stage_until.phase == "P":
            stop = min(rule.stage_until.resolve(due=due), end_of_pregnancy)
        else:
            stop = end_of_pregnancy
        if start < stop:
            parts.append((start, stop - timedelta(days=1)))
    if rule.stage_until.phase == "B" and birth is not None:
        start = birth if rule.stage_from.phase == "P" else rule.stage_from.resolve(birth=birth)
        stop = rule.stage_until.resolve(birth=birth)
        if start < stop:
            parts.append((start, stop - timedelta(days=1)))
    if not parts:
        return None
    return min(p[0] for p in parts), max(p[1] for p in parts)


def send_day(rule: DatedRule, *, due: date, birth: date | None, first: date, last: date,
             stopped: date | None = None) -> list[date]:
    """Days (within ``first``..``last``) a reader gets the message: in each window, the first
    day on which they are in the stage range, before ``stopped`` (a loss, an opt-out) and not
    after the expiry."""
    span = stage_span(rule, due=due, birth=birth)
    if span is None:
        return []
    out = []
    for w_start, w_end in rule.windows(first, last):
        day = max(w_start, span[0], first)
        end = min(w_end, span[1], last)
        if rule.expires is not None:
            end = min(end, rule.expires)
        if stopped is not None:
            end = min(end, stopped - timedelta(days=1))
        if day <= end:
            out.append(day)
    return out
