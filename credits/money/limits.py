"""Purchase limits: the least and most an admin may buy at once, and the sentence saying so."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Context, Decimal

from credits.i18n import t
from credits.money.amounts import Money
from credits.money.currencies import Currency
from credits.money.errors import AmountError


def _limit_value(value: object, name: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise TypeError(f"AmountLimits.{name} must be a Decimal, not {type(value).__name__}")
    result = Decimal(value)
    if not result.is_finite():
        raise ValueError(f"AmountLimits.{name} must be finite")
    return result


@dataclass(frozen=True, slots=True)
class AmountLimits:
    """Inclusive purchase limits in major units of the account currency."""

    minimum: Decimal = Decimal("10")
    maximum: Decimal = Decimal("10000")

    def __post_init__(self) -> None:
        minimum = _limit_value(self.minimum, "minimum")
        maximum = _limit_value(self.maximum, "maximum")
        if minimum < 0 or maximum < minimum:
            raise ValueError("AmountLimits needs 0 <= minimum <= maximum")
        object.__setattr__(self, "minimum", minimum)
        object.__setattr__(self, "maximum", maximum)

    def describe(self, cur: Currency) -> str:
        """``"Enter an amount from $10.00 to $10,000.00."``"""
        context = Context(prec=64)
        low = self.minimum.quantize(cur.quantum, rounding=ROUND_CEILING, context=context)
        high = self.maximum.quantize(cur.quantum, rounding=ROUND_FLOOR, context=context)
        return t(
            "Enter an amount from {low} to {high}.",
            low=Money(low, cur).format(),
            high=Money(high, cur).format(),
        )

    def check(self, money: Money) -> Money:
        """``money`` if within the limits, else AmountError naming the allowed range."""
        if money.amount < self.minimum:
            below = t("That amount is below the minimum.")
            raise AmountError(f"{below} {self.describe(money.currency)}")
        if money.amount > self.maximum:
            over = t("That amount is over the maximum.")
            raise AmountError(f"{over} {self.describe(money.currency)}")
        return money
