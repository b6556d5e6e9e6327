"""Relative and absolute due dates in English, resolved against the user's local date.

Conventions (also in the README):
- a bare weekday ("friday", "on friday", "this friday") is the next such day after today (today excluded:
  on a Friday, "friday" means in 7 days; say "today" for today);
- "next <weekday>" is that weekday in the following Monday-to-Sunday week;
- "end of the week" is the coming Sunday (today if Sunday), matching the "this week" list filter (Mon-Sun);
- "this weekend" is the coming Saturday (today on a weekend day);
- numeric dates are ISO (2026-12-05) or month/day in US order ("12/5", "12/5/2027");
- a day-month date without a year ("Dec 5", "5 December") is the next such date (this year, else next year).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta

# full names only: "sat", "sun", "wed" are too often ordinary words in titles ("buy sun cream")
WEEKDAYS = {
    "monday": 0,
    "tuesday": 1,
    "tues": 1,
    "wednesday": 2,
    "weds": 2,
    "thursday": 3,
    "thurs": 3,
    "friday": 4,
    "saturday": 5,
    "sunday": 6,
}
# the short forms are read only right after a preposition and at the end of a clause ("on fri", "by wed,",
# "next sat"), where they cannot be words of a title ("buy sun cream", "a holder for sat nav")
SHORT_WEEKDAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "thur": 3, "fri": 4, "sat": 5, "sun": 6}
MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
MONTHS["sept"] = 9
NUMBER_WORDS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "couple of": 2,
    "a couple of": 2,
}

_WD = "|".join(sorted(WEEKDAYS, key=len, reverse=True))
_SWD = "|".join(sorted(SHORT_WEEKDAYS, key=len, reverse=True))
_CLAUSE_END = r"(?=\s*$|\s*[,.;!?]|\s+(?:morning|afternoon|evening|night|at|to|and)\b)"
_MON = "|".join(sorted(MONTHS, key=len, reverse=True))
_NUM = r"\d{1,3}|" + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True))
_ORD = r"(?P<d>\d{1,2})(?:st|nd|rd|th)?"
# a preposition in front of a date belongs to it ("due friday", "by Dec 5"), so it leaves the title with it
_PREP = r"(?:(?:due|by|on|for|until|till|before|at|no later than)\s+)?(?:(?:the|this|coming)\s+)?"

_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    (name, re.compile(rf"\b{_PREP}{body}\b", re.IGNORECASE))
    for name, body in [
        ("iso", r"(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})"),
        ("numeric", r"(?P<m>\d{1,2})/(?P<d>\d{1,2})(?:/(?P<y>\d{4}|\d{2}))?"),
        ("day_after_tomorrow", r"day after (?:tomorrow|tmrw|tomorow)"),
        (
            "today",
            r"(?:today|tonight|tonite|this evening|this afternoon|this morning|end of (?:the )?day|eod)",
        ),
        ("tomorrow", r"(?:tomorrow|tmrw|tmr|tomorow|tommorow|tommorrow)"),
        # "in 3 days", "in 3 days' time", "in a week's time"
        ("in_n", rf"in (?P<n>{_NUM}) (?P<unit>days?|weeks?|fortnights?|months?)(?:(?:'s|')? time)?"),
        # "a week from today", "two weeks today", "3 days from now"
        ("in_n", rf"(?P<n>{_NUM}) (?P<unit>days?|weeks?|fortnights?|months?) (?:from )?(?:today|now)"),
        ("end_of_week", r"end of (?:the |this )?week"),
        ("end_of_month", r"end of (?:the |this )?month"),
        ("next_week", r"next week"),
        ("next_month", r"next month"),
        ("weekend", r"(?P<next>next )?weekend"),
        # "friday the 4th", "tuesday 1st": the day of the month (the weekday only picks between months)
        ("weekday_nth", rf"(?P<wd>{_WD}),? (?:the )?(?P<d>\d{{1,2}})(?:st|nd|rd|th)"),
        ("next_weekday", rf"next (?P<wd>{_WD})"),
        ("weekday", rf"(?P<wd>{_WD})"),
        ("next_weekday", rf"next (?P<swd>{_SWD})\.?{_CLAUSE_END}"),
        ("weekday", rf"(?:on|by|for|until|till|before|due|this) (?P<swd>{_SWD})\.?{_CLAUSE_END}"),
        # "Dec 5", "december the 10th" (round 12)
        ("month_day", rf"(?P<mon>{_MON})\.? (?:the )?{_ORD}(?:,? (?P<y>\d{{4}}))?"),
        ("day_month", rf"{_ORD} (?:of )?(?P<mon>{_MON})\.?(?:,? (?P<y>\d{{4}}))?"),
    ]
]


@dataclass(frozen=True)
class DateMatch:
    value: date
    start: int
    end: int


def _next_weekday(today: date, weekday: int) -> date:
    return today + timedelta(days=(weekday - today.weekday() - 1) % 7 + 1)


def _upcoming(today: date, month: int, day: int, year: int | None) -> date | None:
    try:
        if year is not None:
            return date(year if year >= 100 else 2000 + year, month, day)
        candidate = date(today.year, month, day)
        return candidate if candidate >= today else date(today.year + 1, month, day)
    except ValueError:
        return None


def _weekday_nth(today: date, weekday: int, day: int) -> date | None:
    """The next day `day` of a month (today included): the first of the next three that falls on `weekday`,
    else the nearest."""
    found: list[date] = []
    year, month = today.year, today.month
    for _ in range(3):
        try:
            candidate = date(year, month, day)
        except ValueError:
            candidate = None
        if candidate is not None and candidate >= today:
            if candidate.weekday() == weekday:
                return candidate
            found.append(candidate)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return found[0] if found else None


def _weekday(g: dict[str, str | None]) -> int:
    full, short = g.get("wd"), g.get("swd")
    return WEEKDAYS[full.lower()] if full else SHORT_WEEKDAYS[(short or "").lower()]


def _resolve(name: str, m: re.Match[str], today: date) -> date | None:
    g = m.groupdict()
    year = int(g["y"]) if g.get("y") else None
    match name:
        case "iso" | "numeric":
            return _upcoming(today, int(g["m"]), int(g["d"]), year)
        case "today":
            return today
        case "tomorrow":
            return today + timedelta(days=1)
        case "day_after_tomorrow":
            return today + timedelta(days=2)
        case "in_n":
            raw = g["n"].lower()
            n = int(raw) if raw.isdigit() else NUMBER_WORDS[raw]
            unit = g["unit"].lower().rstrip("s")
            delta = {
                "day": relativedelta(days=n),
                "week": relativedelta(weeks=n),
                "fortnight": relativedelta(weeks=2 * n),
                "month": relativedelta(months=n),
            }
            return today + delta[unit]
        case "end_of_week":
            return today + timedelta(days=6 - today.weekday())
        case "end_of_month":
            return date(today.year, today.month, calendar.monthrange(today.year, today.month)[1])
        case "next_week":
            return today + timedelta(days=7 - today.weekday())
        case "next_month":
            return (today + relativedelta(months=1)).replace(day=1)
        case "weekend":
            saturday = today if today.weekday() >= 5 else today + timedelta(days=5 - today.weekday())
            return saturday + timedelta(days=7) if g.get("next") else saturday
        case "weekday_nth":
            return _weekday_nth(today, _weekday(g), int(g["d"]))
        case "next_weekday":
            monday_next_week = today + timedelta(days=7 - today.weekday())
            return monday_next_week + timedelta(days=_weekday(g))
        case "weekday":
            return _next_weekday(today, _weekday(g))
        case "month_day" | "day_month":
            return _upcoming(today, MONTHS[g["mon"].lower()], int(g["d"]), year)
    return None


def find_date(text: str, today: date) -> DateMatch | None:
    """The first date phrase in `text` (earliest start, longest match wins), with its span."""
    best: DateMatch | None = None
    for name, pattern in _PATTERNS:
        for m in pattern.finditer(text):
            if best is not None and (
                m.start() > best.start or (m.start() == best.start and m.end() <= best.end)
            ):
                continue
            value = _resolve(name, m, today)
            if value is not None:
                best = DateMatch(value, m.start(), m.end())
            break
    return best


def parse_date(text: str, today: date) -> date | None:
    """`text` as a whole is one date phrase ("next friday", "by Dec 5"), else None."""
    found = find_date(text.strip(" .!?"), today)
    if found is None or found.start != 0 or found.end != len(text.strip(" .!?")):
        return None
    return found.value
