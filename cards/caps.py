"""The auto-recharge caps on cards: the balance card's lines (what is left of each cap, and the
truth when a cap has stopped auto-recharge), the caps card, its form, and the confirm card of a
change (each cap before and after)."""

from __future__ import annotations

import cards.actions as act
from cards._elements import Card, Element, card, example_amount, heading, input_value, text
from cards._elements import facts as fact_set
from credits.i18n import N_, Lang, current, fmt_date, fmt_number, t, tn
from credits.models import AccountView, CapsChange, CapStatus, CapStop, RechargeSettings
from credits.money import AmountLimits, Money

__all__ = [
    "CAPS_INPUTS",
    "balance_rows",
    "caps_card",
    "caps_form",
    "confirm_caps_card",
    "held_note",
    "stopped_text",
]

CAPS_INPUTS = ("caps_per_day", "caps_monthly_cap", "caps_max_recharge")
"""The ids of the caps form's inputs (the fields of its Review press)."""
PER_DAY = N_("Recharges a day")
MONTHLY = N_("Monthly cap")
LARGEST = N_("Largest single recharge")
NONE = N_("No cap")


# --------------------------------------------------------------------------- sentences


def stopped_text(caps: CapStatus, amount: Money | None) -> str | None:
    """What stops auto-recharge now, and when it resumes; None when no cap does."""
    if caps.stopped is CapStop.DAILY_LIMIT:
        return tn(
            "Stopped for today: the limit of {n} recharge was reached; it resumes at 00:00 UTC.",
            "Stopped for today: the limit of {n} recharges was reached; it resumes at 00:00 UTC.",
            caps.daily_limit,
        )
    if caps.stopped is CapStop.MONTHLY_CAP and caps.monthly_cap is not None and amount:
        when = caps.resumes_at
        return t(
            "Stopped for this month: the next recharge of {amount} would go over the monthly "
            "cap of {cap}; it resumes on {date} at 00:00 UTC.",
            amount=amount.format(),
            cap=caps.monthly_cap.format(),
            date=fmt_date(when) if when is not None else "",
        )
    if caps.stopped is CapStop.MAX_RECHARGE and caps.max_recharge is not None and amount:
        return t(
            "Stopped: each recharge adds {amount}, more than the largest single recharge of "
            "{max}. Lower the recharge amount or raise that cap.",
            amount=amount.format(),
            max=caps.max_recharge.format(),
        )
    return None


def held_note(caps: CapStatus | None, amount: Money, trigger: Money) -> str | None:
    """Why a recharge of ``amount``, owed at once because the balance is already below
    ``trigger``, would not start right away under the caps (the auto-recharge confirm card says
    this instead of "a recharge will start right away"); None: it would start."""
    if caps is None:
        return None
    if caps.used_today >= caps.daily_limit:
        return tn(
            "The balance is already below {trigger}, but the limit of {n} recharge a day was "
            "reached today: the recharge of {amount} starts after 00:00 UTC.",
            "The balance is already below {trigger}, but the limit of {n} recharges a day was "
            "reached today: the recharge of {amount} starts after 00:00 UTC.",
            caps.daily_limit,
            trigger=trigger.format(),
            amount=amount.format(),
        )
    left = caps.left_this_month
    if left is not None and caps.monthly_cap is not None and amount > left:
        return t(
            "The balance is already below {trigger}, but a recharge of {amount} would go over "
            "the monthly cap of {cap} ({left} left this month): it starts after the 1st of next "
            "month, 00:00 UTC.",
            trigger=trigger.format(),
            amount=amount.format(),
            cap=caps.monthly_cap.format(),
            left=left.format(),
        )
    return None


def _month_left(caps: CapStatus) -> str | None:
    left = caps.left_this_month
    if left is None or caps.monthly_cap is None:
        return None
    return t("{left} of {cap} left", left=left.format(), cap=caps.monthly_cap.format())


# --------------------------------------------------------------------------- balance card


def balance_rows(view: AccountView, auto: tuple[str, str]) -> list[tuple[str, str]]:
    """The balance card's auto-recharge row (``auto``; the stop and when it ends instead, when a
    cap has stopped auto-recharge) and, while it is on, what is left of each cap."""
    recharge, caps = view.recharge, view.caps
    if caps is None:  # a view made without the caps: the monthly cap, as set
        rows = [auto]
        if recharge.monthly_cap is not None:
            rows.append((t(MONTHLY), recharge.monthly_cap.format()))
        return rows
    stopped = stopped_text(caps, recharge.amount)
    rows = [(auto[0], stopped) if stopped else auto]
    if not recharge.enabled or recharge.amount is None:
        return rows
    used = t(
        "{used} of {limit}", used=fmt_number(caps.used_today), limit=fmt_number(caps.daily_limit)
    )
    rows.append((t("Recharges today"), used))
    month = _month_left(caps)
    if month is not None:
        rows.append((t("This month"), month))
    if caps.max_recharge is not None:
        rows.append((t(LARGEST), caps.max_recharge.format()))
    return rows


# --------------------------------------------------------------------------- the caps card


def _cap_rows(view: AccountView) -> list[tuple[str, str]]:
    recharge, caps = view.recharge, view.caps
    rows: list[tuple[str, str]] = []
    if caps is None:
        rows.append((t(PER_DAY), t("At most {limit}", limit=fmt_number(recharge.daily_limit))))
    else:
        per_day = t(
            "At most {limit}; {used} today, {left} left",
            limit=fmt_number(caps.daily_limit),
            used=fmt_number(caps.used_today),
            left=fmt_number(caps.left_today),
        )
        rows.append((t(PER_DAY), per_day))
    month = _month_left(caps) if caps is not None else None
    if recharge.monthly_cap is None:
        rows.append((t(MONTHLY), t(NONE)))
    elif month is not None and caps is not None:
        rows.append(
            (
                t(MONTHLY),
                t(
                    "{cap}; {used} recharged this month, {left}",
                    cap=recharge.monthly_cap.format(),
                    used=caps.recharged_this_month.format(),
                    left=month,
                ),
            )
        )
    else:
        rows.append((t(MONTHLY), recharge.monthly_cap.format()))
    largest = recharge.max_recharge
    rows.append((t(LARGEST), largest.format() if largest is not None else t(NONE)))
    if recharge.amount is not None:
        rows.append((t("Recharge amount"), recharge.amount.format()))
    return rows


def caps_card(view: AccountView) -> Card:
    """The caps and what is left of them, with the buttons that change them."""
    body: list[Element] = [
        heading(t("Auto-recharge limits")),
        text(
            t(
                "They keep auto-recharge from charging more than you mean to: how many "
                "recharges a day, how much a month (UTC), and the most one recharge may add."
            )
        ),
    ]
    stopped = stopped_text(view.caps, view.recharge.amount) if view.caps else None
    if stopped:
        body.append(text(stopped, color="warning"))
    body.append(fact_set(_cap_rows(view)))
    if not view.recharge.enabled:
        body.append(text(t("Auto-recharge is off; the limits apply once it is on."), subtle=True))
    buttons = [
        act.execute(t("Change limits"), act.CAPS_FORM),
        act.execute(t("Show balance"), act.BALANCE),
    ]
    return card(body, buttons)


def _input(input_id: str, label: str, value: str, placeholder: str) -> Element:
    return {
        "type": "Input.Text",
        "id": input_id,
        "label": label,
        "value": value,
        "placeholder": placeholder,
        "maxLength": 32,
    }


def caps_form(view: AccountView, limits: AmountLimits, error: str | None = None) -> Card:
    """The caps, prefilled, to change; an amount left empty removes that cap."""
    recharge, cur = view.recharge, view.currency
    per_day = _input(
        CAPS_INPUTS[0],
        t("Recharges a day (1 to 100)"),
        str(recharge.daily_limit),
        t("e.g. {amount}", amount=fmt_number(3)),
    )
    per_day.update(isRequired=True, errorMessage=t("Enter a whole number from 1 to 100."))
    body: list[Element] = [
        heading(t("Change the auto-recharge limits")),
        text(t("Leave an amount empty for no such cap. You confirm before anything changes.")),
    ]
    if error:
        body.append(text(error, color="attention", weight="Bolder"))
    body += [
        per_day,
        _input(
            CAPS_INPUTS[1],
            t("Monthly cap ({code})", code=cur.code),
            input_value(recharge.monthly_cap),
            example_amount(cur, limits, 500),
        ),
        _input(
            CAPS_INPUTS[2],
            t("Largest single recharge ({code})", code=cur.code),
            input_value(recharge.max_recharge),
            example_amount(cur, limits, 150),
        ),
    ]
    lang = current()
    review = (
        act.execute(t("Review"), act.CAPS_REVIEW, "positive")
        if lang is Lang.EN
        else act.execute(t("Review"), act.CAPS_REVIEW, "positive", lang=lang.value)
    )
    cancel = act.execute(t("Cancel"), act.CANCEL, associated_inputs="none")
    return card(body, [review, cancel])


# --------------------------------------------------------------------------- confirm


def _money(money: Money | None) -> str:
    return money.format() if money is not None else t(NONE)


def _changes(now: RechargeSettings, change: CapsChange) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []

    def row(label: str, before: str, after: str) -> None:
        rows.append((t(label), t("{before} → {after}", before=before, after=after)))

    if change.daily_limit is not None and change.daily_limit != now.daily_limit:
        row(PER_DAY, fmt_number(now.daily_limit), fmt_number(change.daily_limit))
    monthly = change.monthly_cap is not None or change.clear_monthly_cap
    if monthly and change.monthly_cap != now.monthly_cap:
        row(MONTHLY, _money(now.monthly_cap), _money(change.monthly_cap))
    largest = change.max_recharge is not None or change.clear_max_recharge
    if largest and change.max_recharge != now.max_recharge:
        row(LARGEST, _money(now.max_recharge), _money(change.max_recharge))
    return rows


def confirm_caps_card(
    view: AccountView, change: CapsChange, request: str, after: CapStatus | None = None
) -> Card:
    """Each cap it changes, before → after (no cap: "No cap"); ``after`` (the caps as they
    would be now) warns when the change stops auto-recharge at once."""
    body: list[Element] = [
        heading(t("Change the auto-recharge limits?")),
        fact_set(_changes(view.recharge, change)),
    ]
    stopped = stopped_text(after, view.recharge.amount) if after is not None else None
    if stopped and view.recharge.enabled:
        body.append(text(t("After this change: {said}", said=stopped), color="warning"))
    confirm = act.execute(
        t("Confirm"),
        act.CAPS_CONFIRM,
        "positive",
        per_day="" if change.daily_limit is None else str(change.daily_limit),
        monthly_cap=change.monthly_cap.plain() if change.monthly_cap is not None else "",
        clear_monthly_cap="true" if change.clear_monthly_cap else "false",
        max_recharge=change.max_recharge.plain() if change.max_recharge is not None else "",
        clear_max_recharge="true" if change.clear_max_recharge else "false",
        version=view.version,
        request=request,
    )
    cancel = act.execute(t("Cancel"), act.CANCEL, associated_inputs="none", request=request)
    return card(body, [confirm, cancel])
