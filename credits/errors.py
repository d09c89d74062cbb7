"""Errors the domain raises. Each message is a short sentence fit to show a billing admin, in
the language of the moment when it was raised (credits/i18n.py)."""

from __future__ import annotations

from credits import shown
from credits.i18n import t


class CreditsError(Exception):
    """Base class: something the caller asked for was refused, and nothing was changed."""


class ValidationError(CreditsError, ValueError):
    """The input is not acceptable; the message says what is allowed."""


class IdempotencyConflict(CreditsError):
    """The idempotency key was used before for a different request."""


class StaleError(CreditsError):
    """The request was made from an out-of-date view (settings changed since)."""


class RequestCancelled(CreditsError):
    """The request was cancelled (Cancel on its card) before it was confirmed."""

    def __init__(self) -> None:
        super().__init__(t("This request was cancelled; nothing was changed."))


class NotFoundError(CreditsError):
    """The thing asked for does not exist (for this tenant)."""


class PaymentDeclined(CreditsError):
    """The payment gateway declined the charge; nothing was credited."""

    def __init__(self, reason: str) -> None:
        """`reason` as stored (the gateway's, or the bot's own in English), shown translated
        when it is one of the bot's own."""
        shown_reason = shown.reason(reason) or reason
        super().__init__(
            t("The payment was declined: {reason}. Nothing was added.", reason=shown_reason)
        )
        self.reason = reason


class PaymentUnavailable(CreditsError):
    """The payment gateway did not answer in time; it is safe to try again with the same key."""
