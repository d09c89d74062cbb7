"""The audit trail on cards: a settings change said in words with who did it (`describe`), its
row on the history card, the history card's title, paging data and scope buttons.

The history card itself is cards/account.py's `history_card`, which draws the money rows and
asks this module for the rest."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from babel.lists import format_list

import cards.actions as act
from cards._elements import Element, column, column_set, fmt_datetime, text
from credits import shown
from credits.audit import DELIVERY, ConversationKind, SettingsAction
from credits.audit_models import (
    ActivityPage,
    Conversation,
    FieldChange,
    HistoryCursor,
    SettingField,
    SettingsChange,
    SettingValue,
)
from credits.i18n import N_, Lang, current, fmt_number, t, tn
from credits.models import Actor, HistoryScope
from credits.money import Money

__all__ = [
    "SCOPE_TITLES",
    "describe",
    "empty_text",
    "history_buttons",
    "settings_row",
    "who",
]

SCOPE_TITLES: dict[HistoryScope, str] = {
    HistoryScope.ALL: N_("All activity"),  # money and settings ("Activity": the ledger alone)
    HistoryScope.MONEY: N_("Transactions"),
    HistoryScope.SETTINGS: N_("Settings changes"),
}
"""The history card's title for each scope (shown translated)."""

_SCOPE_BUTTONS = (
    (HistoryScope.ALL, N_("All activity")),
    (HistoryScope.MONEY, N_("Transactions only")),
    (HistoryScope.SETTINGS, N_("Settings changes only")),
)
_PLACES = {  # (named, unnamed)
    ConversationKind.CHANNEL: (N_("the channel “{name}”"), N_("a channel")),
    ConversationKind.GROUP_CHAT: (N_("the group chat “{name}”"), N_("a group chat")),
    ConversationKind.PERSONAL: (N_("the 1:1 chat “{name}”"), N_("a 1:1 chat with the bot")),
    ConversationKind.OTHER: (N_("the conversation “{name}”"), N_("a conversation")),
}


# --------------------------------------------------------------------------- in words


def who(actor: Actor) -> str:
    """The actor's name as shown: a system actor's translated, else the stored name."""
    if actor.id == DELIVERY.id and actor.name == DELIVERY.name:
        return t(DELIVERY.name)
    return shown.actor_name(actor.id, actor.name).strip() or t("Someone")


def describe(change: SettingsChange) -> str:
    """One sentence: who changed what ("Ada Admin set auto-recharge to $100.00 when below
    $20.00", "Ada Admin made Bob Builder an admin")."""
    by = who(change.actor)
    said = _SAYS.get(change.action)
    return said(change, by) if said is not None else t("{who} changed a setting", who=by)


def _auto_recharge(change: SettingsChange, by: str) -> str:
    enabled = change.field(SettingField.RECHARGE_ENABLED)
    amount = change.field(SettingField.RECHARGE_AMOUNT)
    trigger = change.field(SettingField.RECHARGE_TRIGGER)
    if enabled is not None and enabled.after is False:
        return _unchanged(t("{who} turned auto-recharge off", who=by), change)
    if amount is not None and trigger is not None:
        message = (
            N_("{who} set auto-recharge to {amount} when below {trigger}")
            if enabled is not None
            else N_("{who} changed auto-recharge to {amount} when below {trigger}")
        )
        said = t(message, who=by, amount=_value(amount.after), trigger=_value(trigger.after))
        return _recharge_was(said, enabled, amount, trigger)
    if amount is not None:
        said = t(
            "{who} changed the recharge amount to {amount}", who=by, amount=_value(amount.after)
        )
        return _was(said, amount)
    if trigger is not None:
        said = t(
            "{who} changed the auto-recharge trigger to {trigger}",
            who=by,
            trigger=_value(trigger.after),
        )
        return _was(said, trigger)
    return _unchanged(t("{who} turned auto-recharge on", who=by), change)


def _recharge_was(
    said: str, enabled: FieldChange | None, amount: FieldChange, trigger: FieldChange
) -> str:
    """What auto-recharge was before an amount and trigger were set: "(no change)", "(was
    off)", "(was $100.00 when below $20.00)", or nothing when that is not known (an old row)
    or there was no amount and trigger before."""
    if not (amount.known_before and trigger.known_before):
        return said
    fields = [f for f in (enabled, amount, trigger) if f is not None]
    if all(f.known_before and f.before == f.after for f in fields):
        return t("{said} (no change)", said=said)
    was_off = enabled is not None and enabled.known_before and enabled.before is False
    had = amount.before is not None and trigger.before is not None
    same = (amount.before, trigger.before) == (amount.after, trigger.after)
    if was_off and (same or not had):
        return t("{said} (was off)", said=said)
    if not had or same:
        return said
    before = {"amount": _value(amount.before), "trigger": _value(trigger.before)}
    if was_off:
        return t("{said} (was off, at {amount} when below {trigger})", said=said, **before)
    return t("{said} (was {amount} when below {trigger})", said=said, **before)


def _unchanged(said: str, change: SettingsChange) -> str:
    """``"<said> (no change)"`` when every setting it set already had that value."""
    fields = change.fields
    if fields and all(f.known_before and f.before == f.after for f in fields):
        return t("{said} (no change)", said=said)
    return said


def _caps(change: SettingsChange, by: str) -> str:
    parts = []
    for field in change.fields:
        if field.field is SettingField.DAILY_LIMIT and isinstance(field.after, int):
            part = tn("at most {n} recharge a day", "at most {n} recharges a day", int(field.after))
        elif field.field is SettingField.MONTHLY_CAP:
            part = (
                t("a monthly cap of {cap}", cap=_value(field.after))
                if field.after is not None
                else t("no monthly cap")
            )
        elif field.field is SettingField.MAX_RECHARGE:
            part = (
                t("a largest single recharge of {amount}", amount=_value(field.after))
                if field.after is not None
                else t("no largest single recharge")
            )
        else:
            continue
        parts.append(_was(part, field))
    said = t("{who} set the auto-recharge caps: {caps}", who=by, caps="; ".join(parts))
    return _unchanged(said, change)


def _thresholds(change: SettingsChange, by: str) -> str:
    field = change.field(SettingField.ALERT_THRESHOLDS)
    if field is None or not field.after:
        said = t("{who} went back to the default low-balance alert", who=by)
    else:
        said = t(
            "{who} set low-balance alerts below {amounts}", who=by, amounts=_value(field.after)
        )
    return _unchanged(_was(said, field), change) if field is not None else said


def _person(change: SettingsChange) -> str:
    person = change.person
    return (person.name or person.id) if person is not None else t("someone")


def _place(conversation: Conversation | None) -> str:
    if conversation is None:
        return t("a conversation")
    named, unnamed = _PLACES[conversation.kind]
    return t(named, name=conversation.name) if conversation.name else t(unnamed)


def _subscribed(change: SettingsChange, by: str) -> str:
    where = _place(change.conversation)
    if change.conversation is not None and change.conversation.automatic:
        return t("{who} added the bot to {where}, so alerts are posted there", who=by, where=where)
    return t("{who} turned on alerts in {where}", who=by, where=where)


def _unsubscribed(change: SettingsChange, by: str) -> str:
    where = _place(change.conversation)
    if change.conversation is not None and change.conversation.automatic:
        return t(
            "Alerts stopped in {where}: the bot was removed or the conversation is gone",
            where=where,
        )
    return t("{who} stopped alerts in {where}", who=by, where=where)


_SAYS: dict[SettingsAction, Callable[[SettingsChange, str], str]] = {
    SettingsAction.AUTO_RECHARGE: _auto_recharge,
    SettingsAction.RECHARGE_CAPS: _caps,
    SettingsAction.ALERT_THRESHOLDS: _thresholds,
    SettingsAction.ADMIN_GRANTED: lambda c, by: t(
        "{who} made {person} an admin", who=by, person=_person(c)
    ),
    SettingsAction.ADMIN_REVOKED: lambda c, by: t(
        "{who} removed {person} as admin", who=by, person=_person(c)
    ),
    SettingsAction.ADMIN_CLAIMED: lambda c, by: t(
        "{who} became the first admin with a claim code", who=by
    ),
    SettingsAction.CLAIM_CODE_ISSUED: lambda c, by: t(
        "{who} printed a one-time claim code for the first admin", who=by
    ),
    SettingsAction.ALERTS_SUBSCRIBED: _subscribed,
    SettingsAction.ALERTS_UNSUBSCRIBED: _unsubscribed,
}


def _was(said: str, field: FieldChange) -> str:
    """``"<said> (was <before>)"`` when the trail knows what the setting was."""
    if not field.known_before or field.before == field.after:
        return said
    return t("{said} (was {before})", said=said, before=_value(field.before))


def _value(value: SettingValue) -> str:
    if value is None:
        return t("none")
    if isinstance(value, Money):
        return value.format()
    if isinstance(value, tuple):
        return _amounts(value) if value else t("the default")
    if isinstance(value, bool):
        return t("on") if value else t("off")
    return fmt_number(value)


def _amounts(amounts: Iterable[Money]) -> str:
    said = [m.format() for m in amounts]
    if current() is Lang.EN:
        return ", ".join(said)
    return str(format_list(said, locale=current().babel))


# --------------------------------------------------------------------------- on the card


def settings_row(change: SettingsChange) -> Element:
    """A settings change's row on the history card: when, and what in words with who."""
    return column_set(
        [
            column([text(fmt_datetime(change.at), size="Small")], width=2),
            column(
                [
                    text(t("Settings change"), weight="Bolder", size="Small"),
                    text(describe(change), subtle=True, size="Small", spacing="None"),
                ],
                width=8,
            ),
        ],
        separator=True,
    )


def empty_text(scope: HistoryScope | None) -> str:
    if scope is HistoryScope.SETTINGS:
        return t("No settings changes yet.")
    if scope is HistoryScope.ALL:
        return t("No activity or settings changes yet.")
    return t("No activity yet.")  # the money alone


def history_buttons(page: ActivityPage, last_seq: int) -> list[Element]:
    """Older (carrying the cursor), Newest (when this page is not the newest: it started from
    a cursor, or the ledger has moved on since), and the other scopes."""
    buttons: list[Element] = []
    scope = page.scope or HistoryScope.MONEY
    if page.next_cursor is not None:
        buttons.append(act.execute(t("Older"), act.HISTORY, **_older(page)))
    entries = page.entries
    if page.cursor != HistoryCursor() or (entries and entries[0].seq < last_seq):
        buttons.append(act.execute(t("Newest"), act.HISTORY, **_scoped(page.scope)))
    if page.scope is not None:
        buttons += [
            act.execute(t(title), act.HISTORY, scope=other.value)
            for other, title in _SCOPE_BUTTONS
            if other is not scope
        ]
    return buttons


def _scoped(scope: HistoryScope | None) -> dict[str, Any]:
    return {} if scope is None else {"scope": scope.value}


def _older(page: ActivityPage) -> dict[str, Any]:
    """The Older button's data: the bounds its scope pages by, and the scope (a page of the
    ledger alone made from a `HistoryPage` carries only ``before``, as it always did)."""
    cursor = page.next_cursor
    assert cursor is not None
    data = _scoped(page.scope)
    if page.scope is not HistoryScope.SETTINGS and cursor.before_seq is not None:
        data["before"] = cursor.before_seq
    if page.scope in (HistoryScope.ALL, HistoryScope.SETTINGS) and cursor.before_change:
        data["before_change"] = cursor.before_change
    return data
