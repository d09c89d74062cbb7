"""The usage card: this month's and the last 7 days' calls and spend, by caller and by destination.

A pure function of :class:`credits.usage_report.UsageSummary` (what "usage" or "top callers"
shows an admin): per period the totals, the top callers and destinations with calls, minutes and
spend, and the rest folded into one "others" line. A period without calls says so plainly.
"""

from __future__ import annotations

from collections.abc import Sequence

import cards.actions as act
from cards._elements import Card, Element, card, column, column_set, fmt_datetime, heading, text
from cards._elements import facts as fact_set
from credits.usage_report import Others, Period, UsageBreakdown, UsageLine, UsageSummary

__all__ = ["period_title", "usage_card"]

NAME_MAX = 40  # characters of a name shown in a row (a display name, a destination)
DETAIL_MAX = 60  # characters of the detail under it (a UPN, "International")
UNKNOWN_CALLER = "Unknown caller"
UNKNOWN_DESTINATION = "Unknown destination"
NO_CALLS = (
    "No calls were recorded this month or in the last 7 days. Calls arrive from Microsoft "
    'Graph once usage is connected, or through the usage API and "credits-bot usage import".'
)

_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def period_title(period: Period) -> str:
    """``"November 2026"`` for a calendar month, ``"Last 7 days"`` for a rolling window."""
    if period.days is not None:
        return f"Last {period.days} day{'s' if period.days != 1 else ''}"
    return f"{_MONTHS[period.start.month - 1]} {period.start.year}"


def _cut(value: str, limit: int) -> str:
    return value if len(value) <= limit else value[: limit - 1].rstrip() + "…"


def _row(name: str, detail: str | None, spend: str, calls: int, minutes: int) -> Element:
    """Who (and the detail under it) on the left; the spend over calls and minutes on the right."""
    who = [text(_cut(name, NAME_MAX), size="Small", weight="Bolder")]
    if detail:
        who.append(text(_cut(detail, DETAIL_MAX), size="Small", subtle=True, spacing="None"))
    count = f"{calls:,} call{'s' if calls != 1 else ''} · {minutes:,} min"
    return column_set(
        [
            column(who, width=3),
            column(
                [
                    text(spend, size="Small", weight="Bolder", align="Right"),
                    text(count, size="Small", subtle=True, spacing="None", align="Right"),
                ],
                width=2,
            ),
        ],
        separator=True,
    )


def _table(
    lines: Sequence[UsageLine], others: Others | None, noun: str, unknown: str
) -> list[Element]:
    rows = [
        _row(line.name or unknown, line.detail, line.spend.format(), line.calls, line.minutes)
        for line in lines
    ]
    if others is not None:
        plural = noun if others.count != 1 else noun.rstrip("s")
        label = f"Others ({others.count:,} {plural})"
        rows.append(_row(label, None, others.spend.format(), others.calls, others.minutes))
    return rows


def _period(breakdown: UsageBreakdown, when: str) -> list[Element]:
    title = text(period_title(breakdown.period), weight="Bolder", size="Medium")
    title["separator"] = True
    if breakdown.empty:
        return [title, text(f"No calls {when}.", spacing="None")]
    totals = fact_set(
        [
            ("Spend", breakdown.spend.format()),
            ("Calls", f"{breakdown.calls:,}"),
            ("Minutes", f"{breakdown.minutes:,}"),
        ]
    )
    by_user = text("By caller", weight="Bolder", size="Small")
    by_destination = text("By destination", weight="Bolder", size="Small")
    return [
        title,
        totals,
        by_user,
        *_table(breakdown.users, breakdown.other_users, "callers", UNKNOWN_CALLER),
        by_destination,
        *_table(
            breakdown.destinations,
            breakdown.other_destinations,
            "destinations",
            UNKNOWN_DESTINATION,
        ),
    ]


def usage_card(summary: UsageSummary) -> Card:
    """Calls and spend this month and in the last 7 days, most spend first."""
    body: list[Element] = [
        heading("Calls and spend"),
        text(
            f"From the call records, as of {fmt_datetime(summary.as_of)}. Minutes are rounded up "
            "per call.",
            subtle=True,
            spacing="None",
        ),
    ]
    if summary.month.empty and summary.week.empty:
        body.append(text(NO_CALLS))
    else:
        body += _period(summary.month, "this month")
        body += _period(summary.week, "in the last 7 days")
    buttons = [act.execute("Show balance", act.BALANCE), act.execute("History", act.HISTORY)]
    return card(body, buttons)
