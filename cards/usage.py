"""The usage card: this month's and the last 7 days' calls and spend, by caller and by destination.

A pure function of :class:`credits.usage_report.UsageSummary` (what "usage" or "top callers"
shows an admin): per period the totals, the top callers and destinations with calls, minutes and
spend, and the rest folded into one "others" line. A period without calls says so plainly.
Its words come from the catalogue (usage.po) in the language of the moment; numbers, months and
dates are Babel's for it.
"""

from __future__ import annotations

from collections.abc import Sequence

from babel.dates import format_skeleton

import cards.actions as act
from cards._elements import Card, Element, card, column, column_set, fmt_datetime, heading, text
from cards._elements import facts as fact_set
from credits.i18n import N_, current, fmt_number, t, tn
from credits.usage_report import Others, Period, UsageBreakdown, UsageLine, UsageSummary

__all__ = ["period_title", "usage_card"]

NAME_MAX = 40  # characters of a name shown in a row (a display name, a destination)
DETAIL_MAX = 60  # characters of the detail under it (a UPN, "International")
UNKNOWN_CALLER = N_("Unknown caller")
UNKNOWN_DESTINATION = N_("Unknown destination")
NO_CALLS = N_(
    "No calls were recorded this month or in the last 7 days. Calls arrive from Microsoft "
    'Graph once usage is connected, or through the usage API and "credits-bot usage import".'
)
# Microsoft Graph's words for where a call went (a destination's detail, or its name)
_CONTEXTS = {"Domestic": N_("Domestic"), "International": N_("International")}


def period_title(period: Period) -> str:
    """``"November 2026"`` for a calendar month, ``"Last 7 days"`` for a rolling window
    (``"Tháng 11 năm 2026"``, ``"7 ngày qua"`` in Vietnamese)."""
    if period.days is not None:
        return tn("Last {n} day", "Last {n} days", period.days)
    month = str(format_skeleton("yMMMM", period.start, locale=current().babel))
    return month[:1].upper() + month[1:]


def _context(value: str | None) -> str | None:
    """Graph's "Domestic"/"International" in the card's language; any other value as it is."""
    return t(_CONTEXTS[value]) if value in _CONTEXTS else value


def _cut(value: str, limit: int) -> str:
    return value if len(value) <= limit else value[: limit - 1].rstrip() + "…"


def _row(name: str, detail: str | None, spend: str, calls: int, minutes: int) -> Element:
    """Who (and the detail under it) on the left; the spend over calls and minutes on the right."""
    who = [text(_cut(name, NAME_MAX), size="Small", weight="Bolder")]
    if detail:
        who.append(text(_cut(detail, DETAIL_MAX), size="Small", subtle=True, spacing="None"))
    count = tn(
        "{n} call · {minutes} min", "{n} calls · {minutes} min", calls, minutes=fmt_number(minutes)
    )
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


def _table(lines: Sequence[UsageLine], unknown: str) -> list[Element]:
    return [
        _row(
            _context(line.name) or t(unknown),
            _context(line.detail),
            line.spend.format(),
            line.calls,
            line.minutes,
        )
        for line in lines
    ]


def _others(others: Others, label: str) -> Element:
    return _row(label, None, others.spend.format(), others.calls, others.minutes)


def _nothing(period: Period) -> str:
    """``"No calls this month."``, ``"No calls in the last 7 days."``"""
    if period.days is None:
        return t("No calls this month.")
    return tn("No calls in the last {n} day.", "No calls in the last {n} days.", period.days)


def _period(breakdown: UsageBreakdown) -> list[Element]:
    title = text(period_title(breakdown.period), weight="Bolder", size="Medium")
    title["separator"] = True
    if breakdown.empty:
        return [title, text(_nothing(breakdown.period), spacing="None")]
    totals = fact_set(
        [
            (t("Spend"), breakdown.spend.format()),
            (t("Calls"), fmt_number(breakdown.calls)),
            (t("Minutes"), fmt_number(breakdown.minutes)),
        ]
    )
    users, destinations = breakdown.other_users, breakdown.other_destinations
    rows = [title, totals, text(t("By caller"), weight="Bolder", size="Small")]
    rows += _table(breakdown.users, UNKNOWN_CALLER)
    if users is not None:
        rows.append(_others(users, tn("Others ({n} caller)", "Others ({n} callers)", users.count)))
    rows.append(text(t("By destination"), weight="Bolder", size="Small"))
    rows += _table(breakdown.destinations, UNKNOWN_DESTINATION)
    if destinations is not None:
        label = tn("Others ({n} destination)", "Others ({n} destinations)", destinations.count)
        rows.append(_others(destinations, label))
    return rows


def usage_card(summary: UsageSummary) -> Card:
    """Calls and spend this month and in the last 7 days, most spend first."""
    body: list[Element] = [
        heading(t("Calls and spend")),
        text(
            t(
                "From the call records, as of {when}. Minutes are rounded up per call.",
                when=fmt_datetime(summary.as_of),
            ),
            subtle=True,
            spacing="None",
        ),
    ]
    if summary.month.empty and summary.week.empty:
        body.append(text(t(NO_CALLS)))
    else:
        body += _period(summary.month)
        body += _period(summary.week)
    buttons = [
        act.execute(t("Show balance"), act.BALANCE),
        act.execute(t("History"), act.HISTORY),
    ]
    return card(body, buttons)
