"""What every card-button handler shares: the answer to a press (`CardResult`), the signer of
confirm buttons (`CardSigner`) and the "Show balance" button. Kept apart from dialogs/actions.py
so the handlers of other areas (dialogs/controls.py and the modules it routes to) use them
without importing the card actions back."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any, Protocol

from cards import actions as verbs
from cards._elements import nodes
from cards.actions import execute
from credits.i18n import t
from credits.service import CreditsService


@dataclass(frozen=True, slots=True)
class CardResult:
    card: dict[str, Any]
    final: bool = False  # True: the acted-on card is finished; replace it in place


class SignedPress(Protocol):
    """A confirm button's press: its signature and the data it covers."""

    @property
    def sig(self) -> str | None: ...

    def signed_data(self) -> dict[str, Any]: ...


class CardSigner:
    """Signs what a confirm button will do, bound to the tenant, so a payload edited by the
    client (another amount, another tenant) is refused."""

    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def sign(self, tenant_id: str, data: dict[str, Any]) -> str:
        body = json.dumps(
            [tenant_id, {k: v for k, v in data.items() if k != "sig"}], sort_keys=True, default=str
        )
        return hmac.new(self._secret, body.encode(), hashlib.sha256).hexdigest()[:32]

    def verify(self, tenant_id: str, press: SignedPress) -> bool:
        """Whether the press carries this card's signature of its data (for this tenant)."""
        expected = self.sign(tenant_id, press.signed_data())
        return press.sig is not None and hmac.compare_digest(press.sig, expected)

    def sign_buttons(self, tenant_id: str, card: dict[str, Any]) -> dict[str, Any]:
        """Add a signature to every confirm button's data (verbs in `cards.actions.SIGNED`, and
        their Action.Execute copies)."""
        for action in card_actions(card):
            data = action.get("data")
            if isinstance(data, dict) and data.get("verb") in verbs.SIGNED:
                data["sig"] = self.sign(tenant_id, data)
        return card


def card_actions(card: dict[str, Any]) -> list[dict[str, Any]]:
    """Every action object anywhere in a card (a list: the caller changes their data)."""
    return [node for node in nodes(card) if str(node.get("type", "")).startswith("Action.")]


def show_balance() -> dict[str, Any]:
    """The "Show balance" button under an outcome."""
    return execute(t("Show balance"), verbs.BALANCE)


@dataclass(frozen=True, slots=True)
class Kit:
    """What a control's handler may use: the facade and the signer of confirm buttons."""

    service: CreditsService
    signer: CardSigner


@dataclass(frozen=True, slots=True)
class Said:
    """A control's answer to a message: a sentence, a card, or both (the sentence first)."""

    text: str | None = None
    card: dict[str, Any] | None = None  # a confirm card (a Cancel naming a request) is waited on
