"""Setting the low-balance thresholds from chat, and what it says back.

"alert me below $50 and $20" sets the thresholds (they replace the ones set); "also alert me
below $5", "add a threshold at $5", "thêm ngưỡng cảnh báo 5 đô" (dialogs/audit_intents.py) add
to them. Either way at most three (credits/account_settings.py): a fourth is refused, saying
so, and nothing changes. The reply says what the thresholds are now, and what they were when a
new list replaced them."""

from __future__ import annotations

from credits.errors import StaleError
from credits.i18n import fmt_number, t
from credits.money import Money
from credits.service import MAX_THRESHOLDS, CreditsService
from dialogs.alerts_chat import amount_list
from dialogs.caller import Caller
from dialogs.intents_core import Intent


async def thresholds_reply(service: CreditsService, caller: Caller, intent: Intent) -> str:
    """Set (or add to) the low-balance thresholds, and say what they are now; a fourth is
    refused with the rule, changing nothing."""
    if intent.error:
        return intent.error
    view = await service.account(caller.tenant_id)
    before = view.thresholds
    wanted = list(intent.thresholds)
    if intent.adding:  # to what is watched now: the default alert too, when no threshold is set
        before = view.thresholds or view.effective_thresholds
        wanted = list(dict.fromkeys([*before, *wanted]))
        if len(wanted) == len(before):
            return t(
                "Alerts below {amounts} are set already; nothing was changed.",
                amounts=amount_list(intent.thresholds),
            )
        if len(wanted) > MAX_THRESHOLDS:
            return _too_many(before)
    version = view.version if intent.adding else None  # added to what was read: still so
    try:
        after = await service.set_alert_thresholds(
            caller.tenant_id, caller.actor, wanted, expected_version=version
        )
    except StaleError:  # no card was shown: the settings changed between the read and the write
        return t(
            "The settings changed meanwhile, so no threshold was added. Say it again, e.g. "
            '"also alert me below $5".'
        )
    said = t(
        "I'll alert when the balance falls below {amounts}.", amounts=amount_list(after.thresholds)
    )
    if before and set(before) != set(after.thresholds) and not intent.adding:
        said += " " + t("Until now they were {amounts}.", amounts=amount_list(before))
    return said


def _too_many(now: tuple[Money, ...]) -> str:
    return t(
        "You can set at most {most} low-balance thresholds, and {amounts} are set already. "
        'Say all the thresholds you want and they replace these, e.g. "alert me below $50 and '
        '$20". Nothing was changed.',
        most=fmt_number(MAX_THRESHOLDS),
        amounts=amount_list(now),
    )
