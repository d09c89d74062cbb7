"""The words of the alert cards that vary with what an alert's payload holds.

``Format`` shows a payload's values (its own currency's money, days, dates) for the language of
the moment, or None when there is nothing to show. The sentences that leave out a missing detail
are chosen whole here (one message per variant, never English fragments glued together).

A recharge alert's payload stores its reason as the domain wrote it, in English, when the alert
was written (before anyone knew who would read it): a refusal of the bot's own (the daily limit,
the monthly cap, a payment that never settled) or the payment provider's words. The bot's own
reasons are known sentences: in another language they are matched and said again in that
language, with their numbers and amounts formatted for it. The provider's words are shown as the
provider wrote them. English shows the stored reason exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from cards._elements import fmt_date
from credits import shown as stored_text
from credits.alert_payloads import AlertPayload, SpendShare
from credits.i18n import fmt_number, t, tn
from credits.money import Currency, Money, currency

__all__ = [
    "Format",
    "expire_line",
    "expire_summary",
    "reason_text",
    "runway_line",
    "shares",
    "spent_line",
    "spent_summary",
]


@dataclass(frozen=True, slots=True)
class Format:
    """The payload's values as the cards show them; None when there is nothing to show."""

    cur: Currency

    @classmethod
    def of(cls, payload: AlertPayload) -> Format:
        try:
            return cls(currency(payload.currency or "USD"))
        except (KeyError, ValueError):
            return cls(currency("USD"))

    def money(self, minor: int | Decimal | None) -> str | None:
        """Minor units (an int, or a decimal rounded to one) formatted."""
        if minor is None:
            return None
        try:
            whole = int(Decimal(minor).to_integral_value(rounding=ROUND_HALF_UP))
            return Money.from_minor(whole, self.cur).format()
        except (InvalidOperation, ValueError, TypeError, ArithmeticError):
            return None

    def balance(self, payload: AlertPayload) -> str:
        return self.money(payload.balance_minor) or t("unknown")

    @staticmethod
    def days(value: Decimal | None) -> str | None:
        if value is None:
            return None
        try:
            days = value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
        except (InvalidOperation, ValueError, TypeError, ArithmeticError):
            return None
        return fmt_number(days) if days.is_finite() else None

    @staticmethod
    def date(value: datetime | None) -> str | None:
        return None if value is None else fmt_date(value)

    def reason(self, value: str | None) -> str:
        """Why a recharge failed, in the language of the card."""
        if value is None or not value.strip():
            return t("the payment was declined")
        return reason_text(value.strip(), self.cur)


def expire_line(amount: str | None, when: str | None) -> str:
    if amount and when:
        return t(
            "{amount} of Communications Credits expire on {date} if not used.",
            amount=amount,
            date=when,
        )
    if amount:
        return t("{amount} of Communications Credits expire soon if not used.", amount=amount)
    if when:
        return t("Some funds of Communications Credits expire on {date} if not used.", date=when)
    return t("Some funds of Communications Credits expire soon if not used.")


def expire_summary(amount: str | None, when: str | None) -> str:
    if amount and when:
        return t("{amount} expire on {date}", amount=amount, date=when)
    if amount:
        return t("{amount} expire soon", amount=amount)
    return t("Some funds expire on {date}", date=when) if when else t("Some funds expire soon")


def runway_line(days: str | None, burn: str | None) -> str:
    if burn and days:
        return t(
            "At the current spend at {burn} a day, the balance lasts about {days} days.",
            burn=burn,
            days=days,
        )
    if burn:
        return t(
            "At the current spend at {burn} a day, the balance lasts only a few days.", burn=burn
        )
    if days:
        return t("At the current spend, the balance lasts about {days} days.", days=days)
    return t("At the current spend, the balance lasts only a few days.")


def shares(shares: tuple[SpendShare, ...], f: Format) -> str | None:
    """``"Megan Bowen $50.00 (4 calls), Alex $20.00"``: who or where, with spend."""
    shown = []
    for share in shares:
        spend = f.money(share.spend_minor)
        if spend and share.calls:
            shown.append(
                tn(
                    "{name} {spend} ({n} call)",
                    "{name} {spend} ({n} calls)",
                    share.calls,
                    name=share.name,
                    spend=spend,
                )
            )
        else:
            shown.append(f"{share.name} {spend}" if spend else share.name)
    return ", ".join(shown) or None


def spent_line(last: str | None, usual: str | None) -> str:
    if last and usual:
        return t(
            "{last} was spent in the last hour against a usual hour of {usual}.",
            last=last,
            usual=usual,
        )
    if last:
        return t("{last} was spent in the last hour.", last=last)
    if usual:
        return t(
            "Much more than usual was spent in the last hour against a usual hour of {usual}.",
            usual=usual,
        )
    return t("Much more than usual was spent in the last hour.")


def spent_summary(last: str | None, top: str | None) -> str:
    if last and top is not None:
        return t(
            "Unusual spend: {last} in the last hour; most by {name} (possible toll fraud)",
            last=last,
            name=top,
        )
    if last:
        return t("Unusual spend: {last} in the last hour (possible toll fraud)", last=last)
    if top is not None:
        return t(
            "Unusual spend: Much more than usual in the last hour; most by {name} "
            "(possible toll fraud)",
            name=top,
        )
    return t("Unusual spend: Much more than usual in the last hour (possible toll fraud)")


def reason_text(reason: str, cur: Currency) -> str:
    """The stored reason in the current language (exactly as stored in English)."""
    return stored_text.reason(reason, cur) or reason
