"""Stage notation: parse, format, label, order, step and resolve to calendar dates.

A *stage* is the moment of a pregnancy or of a child's life that a message is written for.

Notation (short enough for a spreadsheet cell, exact):

* ``P{w}w`` or ``P{w}w{d}d`` — pregnancy, gestational week and day (``P12w3d`` = 妊娠12週3日,
  days 0–6). ``P12w`` is ``P12w0d``.
* ``B`` + any of ``{y}y``, ``{m}m``, ``{d}d`` in that order — after birth (``B45d`` = 生後45日,
  ``B2m`` = 生後2か月, ``B1y6m`` = 1歳6か月, ``B1y7d`` = 1歳と7日). Months above 11 are folded
  into years when parsed (``B18m`` is ``B1y6m``).

Day 0 rules (stated plainly, used everywhere):

* **Pregnancy**: the due date (出産予定日) is 40w0d, so ``P{w}w{d}d`` falls on
  ``due_date + (w*7 + d - 280)`` days.
* **After birth**: the day of birth is day 0 (``B0d`` = 生後0日). ``B{y}y{m}m{d}d`` falls on the
  birth date moved forward by ``12*y + m`` calendar months, clamped to the end of a shorter month
  (born Jan 31 → ``B1m`` is Feb 28, or Feb 29 in a leap year), then forward by ``d`` days. So the
  出生届 deadline "within 14 days counting the day of birth" is ``B13d``.

Legal ages (年齢計算ニ関スル法律, 民法143条) count differently from the calendar date of a
stage: an age is *reached* at the end of the day **before** the anniversary — born 4/1, the
child reaches 2 months (生後2月に至る日) on 5/31 — and when the anniversary month has no such
day, at the end of that month (born 1/31: 1 month on 2/28 or 2/29; born 2/29: 1 year on 2/28).
So a period "until age N" (「1歳に至るまで」) ends on :func:`age_reached` — the day before the
birthday — and one "from age N" starts the day after. :meth:`Stage.legal_end` and
:meth:`Stage.legal_start` give these days for a stage written as an age (``B1y``, ``B2m``); a
stage with days (``B13d``, ``B104d``) keeps its calendar date. :meth:`Stage.resolve` (when a
message is sent) keeps month-end clamping.
"""
from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Iterator, Literal

from kizuna.catalog.errors import StageError
from kizuna.catalog.i18n import _
from kizuna.catalog.limits import shorten

Phase = Literal["P", "B"]

#: Days from conception-dating day 0 (last menstrual period) to the due date.
DUE_DATE_GESTATIONAL_DAYS = 280
#: Latest pregnancy stage kizuna accepts (post-term pregnancies are induced long before).
MAX_GESTATIONAL_DAYS = 45 * 7 - 1
#: Mean Gregorian month in days, used only to *order* month-based stages against day-based ones.
MEAN_MONTH_DAYS = 365.2425 / 12

# ASCII digits only: ``\d`` would also take full-width and other scripts' digits (``B１d``)
_P_RE = re.compile(r"^P([0-9]{1,2})w(?:([0-9])d)?$")
_B_RE = re.compile(r"^B(?:([0-9]{1,2})y)?(?:([0-9]{1,3})m)?(?:([0-9]{1,4})d)?$")
_STEP_RE = re.compile(r"^([0-9]{1,4})([dwmy])$")


@dataclass(frozen=True)
class Stage:
    """One stage. For ``P`` only ``days`` is used (gestational days, ``w*7+d``)."""

    phase: Phase
    years: int = 0
    months: int = 0
    days: int = 0

    def __post_init__(self) -> None:
        if self.phase not in ("P", "B"):
            raise StageError(_("phase must be 'P' or 'B', not {phase!r}").format(phase=self.phase))
        if min(self.years, self.months, self.days) < 0:
            raise StageError(_("a stage cannot be negative: {years}y{months}m{days}d").format(years=self.years, months=self.months, days=self.days))
        if self.phase == "P":
            if self.years or self.months:
                raise StageError(_("a pregnancy stage is counted in weeks and days only"))
            if self.days > MAX_GESTATIONAL_DAYS:
                raise StageError(_("妊娠{value}週 is past the last accepted week (44w6d)").format(value=self.days // 7))
        elif self.months > 11:
            raise StageError(_("months must be 0–11 in a normalised stage; use Stage.after_birth()"))

    # construction -------------------------------------------------------------------------
    @classmethod
    def pregnancy(cls, weeks: int, days: int = 0) -> "Stage":
        if not 0 <= days <= 6:
            raise StageError(_("day of the gestational week must be 0–6, not {days}").format(days=days))
        return cls("P", days=weeks * 7 + days)

    @classmethod
    def after_birth(cls, years: int = 0, months: int = 0, days: int = 0) -> "Stage":
        total_months = years * 12 + months
        return cls("B", years=total_months // 12, months=total_months % 12, days=days)

    @classmethod
    def parse(cls, text: str) -> "Stage":
        """Parse the notation; raises :class:`StageError` naming the bad text."""
        if not isinstance(text, str):
            raise StageError(_("a stage is written as text like 'P12w3d' or 'B2m', not {text}").format(text=shorten(text)))
        raw = text.strip()
        if m := _P_RE.match(raw):
            days = int(m.group(2) or 0)
            if days > 6:
                raise StageError(_("'{raw}': the day of the week must be 0–6 (P12w3d)").format(raw=raw))
            return cls.pregnancy(int(m.group(1)), days)
        m = _B_RE.match(raw)
        if m and raw != "B":
            y, mo, d = (int(g or 0) for g in m.groups())
            return cls.after_birth(y, mo, d)
        raise StageError(
            _("{text} is not a stage (ASCII letters and digits only); write P12w3d (妊娠12週3日), B45d (生後45日), "
              "B2m (生後2か月) or B1y6m (1歳6か月)").format(text=shorten(text))
        )

    # views ----------------------------------------------------------------------------------
    @property
    def gestational_weeks(self) -> int:
        return self.days // 7 if self.phase == "P" else 0

    @property
    def total_months(self) -> int:
        return self.years * 12 + self.months

    def __str__(self) -> str:
        if self.phase == "P":
            w, d = divmod(self.days, 7)
            return f"P{w}w{d}d" if d else f"P{w}w"
        parts = []
        if self.years:
            parts.append(f"{self.years}y")
        if self.months:
            parts.append(f"{self.months}m")
        if self.days or not parts:
            parts.append(f"{self.days}d")
        return "B" + "".join(parts)

    def __repr__(self) -> str:
        return f"Stage('{self}')"

    @property
    def key(self) -> str:
        """The canonical notation (same as ``str()``)."""
        return str(self)

    @property
    def label_ja(self) -> str:
        """Japanese label: 妊娠12週3日, 生後45日, 生後2か月, 1歳6か月, 1歳7日."""
        if self.phase == "P":
            w, d = divmod(self.days, 7)
            return f"妊娠{w}週{d}日"
        if self.years:
            label = f"{self.years}歳"
            if self.months:
                label += f"{self.months}か月"
            if self.days:
                label += f"{self.days}日"
            return label
        if self.months:
            return f"生後{self.months}か月" + (f"{self.days}日" if self.days else "")
        return f"生後{self.days}日"

    @property
    def sort_key(self) -> tuple[int, float, int, int]:
        """Total order: every pregnancy stage before every stage after birth; month-based stages
        are placed by the mean month length, ties broken exactly."""
        if self.phase == "P":
            return (0, float(self.days), 0, self.days)
        return (1, self.total_months * MEAN_MONTH_DAYS + self.days, self.total_months, self.days)

    def __lt__(self, other: "Stage") -> bool:
        return self.sort_key < other.sort_key

    def __le__(self, other: "Stage") -> bool:
        return self.sort_key <= other.sort_key

    def __gt__(self, other: "Stage") -> bool:
        return self.sort_key > other.sort_key

    def __ge__(self, other: "Stage") -> bool:
        return self.sort_key >= other.sort_key

    # arithmetic -------------------------------------------------------------------------------
    def plus(self, step: "Step") -> "Stage":
        """This stage moved forward by ``step`` (days and weeks add days; months and years add
        calendar months, which a pregnancy stage does not have)."""
        if step.unit in ("d", "w"):
            n = step.count * (7 if step.unit == "w" else 1)
            if self.phase == "P":
                return Stage("P", days=self.days + n)
            return Stage.after_birth(self.years, self.months, self.days + n)
        if self.phase == "P":
            raise StageError(_("{self}: pregnancy stages step in days or weeks, not '{step}'").format(self=self, step=step))
        months = step.count * (12 if step.unit == "y" else 1)
        return Stage.after_birth(0, self.total_months + months, self.days)

    # calendar ------------------------------------------------------------------------------------
    def resolve(self, *, due: date | None = None, birth: date | None = None) -> date:
        """The calendar date of this stage for one registrant (see the module docstring)."""
        if self.phase == "P":
            if due is None:
                raise StageError(_("{self} ({label_ja}) needs a due date (出産予定日)").format(self=self, label_ja=self.label_ja))
            anchor, months, days = due, 0, self.days - DUE_DATE_GESTATIONAL_DAYS
        else:
            if birth is None:
                raise StageError(_("{self} ({label_ja}) needs a birth date (生年月日)").format(self=self, label_ja=self.label_ja))
            anchor, months, days = birth, self.total_months, self.days
        try:
            return add_months(anchor, months) + timedelta(days=days)
        except (OverflowError, ValueError):
            raise StageError(_("{self} ({label_ja}) from {isoformat} falls outside the calendar "
                             "(years 1 to 9999); check the date").format(self=self, label_ja=self.label_ja, isoformat=anchor.isoformat())) from None

    @property
    def is_age(self) -> bool:
        """An age in whole months or years after birth (``B2m``, ``B1y``, ``B1y6m``): legal
        periods counted from it follow 年齢計算ニ関スル法律."""
        return self.phase == "B" and self.total_months > 0 and self.days == 0

    def legal_end(self, birth: date) -> date:
        """The last day of a period that runs *until* this stage (exclusive), for a child born
        on ``birth``: for an age, the day it is reached (:func:`age_reached`, the day before
        the anniversary: 「1歳に至るまで」 ends the day before the birthday); for any other
        stage, the day before its date."""
        if self.is_age:
            return age_reached(birth, self.total_months)
        return self.resolve(birth=birth) - timedelta(days=1)

    def legal_start(self, birth: date) -> date:
        """The first day of a period that runs *from* this stage: for an age, the day after it
        is reached (「満3歳を超え」: the birthday, or 3/1 for a child born on 2/29); for any other
        stage, its date."""
        if self.is_age:
            return age_reached(birth, self.total_months) + timedelta(days=1)
        return self.resolve(birth=birth)

    def offset(self) -> dict[str, int | str]:
        """Anchor and offset for delivery backends: ``{"anchor": "due", "days": -196}`` or
        ``{"anchor": "birth", "months": 18, "days": 0}``."""
        if self.phase == "P":
            return {"anchor": "due", "days": self.days - DUE_DATE_GESTATIONAL_DAYS}
        return {"anchor": "birth", "months": self.total_months, "days": self.days}


def age_reached(birth: date, months: int) -> date:
    """The day a child born on ``birth`` reaches the age of ``months`` months under
    年齢計算ニ関スル法律 and 民法143条: the day before the anniversary, or the last day of the
    anniversary month when it has no such day (born 2024-04-01: 2 months on 2024-05-31; born
    2024-01-31: 1 month on 2024-02-29)."""
    if months < 1:
        raise StageError(_("an age is reached after a whole month or more, not {months} months").format(months=months))
    index = birth.year * 12 + (birth.month - 1) + months
    year, month0 = divmod(index, 12)
    last = calendar.monthrange(year, month0 + 1)[1]
    if birth.day > last:
        return date(year, month0 + 1, last)
    return date(year, month0 + 1, birth.day) - timedelta(days=1)


def add_months(start: date, months: int) -> date:
    """``start`` moved by whole calendar months, clamped to the last day of a shorter month."""
    index = start.year * 12 + (start.month - 1) + months
    year, month0 = divmod(index, 12)
    last = calendar.monthrange(year, month0 + 1)[1]
    return date(year, month0 + 1, min(start.day, last))


@dataclass(frozen=True)
class Step:
    """A cadence step: ``1d``, ``3d``, ``2w``, ``1m``, ``1y``."""

    count: int
    unit: Literal["d", "w", "m", "y"]

    @classmethod
    def parse(cls, text: str) -> "Step":
        m = _STEP_RE.match(str(text).strip())
        if not m or int(m.group(1)) == 0:
            raise StageError(_("{text} is not a step; write 1d, 3d, 2w, 1m or 1y").format(text=shorten(str(text))))
        return cls(int(m.group(1)), m.group(2))  # type: ignore[arg-type]

    def __str__(self) -> str:
        return f"{self.count}{self.unit}"


def stage_range(start: Stage, step: Step, *, to: Stage | None = None,
                until: Stage | None = None) -> Iterator[Stage]:
    """Stages from ``start`` by ``step`` up to ``to`` (inclusive) or ``until`` (exclusive)."""
    if (to is None) == (until is None):
        raise StageError(_("a stage range needs exactly one of 'to' (inclusive) or 'until' (exclusive)"))
    stop = to if to is not None else until
    assert stop is not None
    if start.phase != stop.phase:
        raise StageError(_("a range cannot cross birth: {start} to {stop}; split it in two").format(start=start, stop=stop))
    current = start
    while current < stop or (to is not None and current == stop):
        yield current
        current = current.plus(step)
