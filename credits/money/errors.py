"""The one error every money check raises."""

from __future__ import annotations


class AmountError(ValueError):
    """Raised for every rejected amount.

    ``str(e)`` is a short user-facing sentence saying what was wrong and what is allowed.
    """
