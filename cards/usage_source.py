"""Cards about usage pulled from Microsoft Graph: "connect usage" (the admin-consent link, what it
grants and why) and "usage status" (the last pull, its counts, a problem in plain words).
Their words come from the catalogue (usage.po) in the language of the moment."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import cards.actions as act
from cards._elements import Card, Element, card, fmt_datetime, heading, text
from cards._elements import facts as fact_set
from credits.consent import PERMISSION
from credits.graph_problems import plain_words
from credits.i18n import N_, fmt_number, t
from credits.sources import UsageSource

WHY = N_(
    "The bot asks for one application permission, **{permission}**: it reads your organisation's "
    "PSTN call records (who called, where, how long, what it cost) to take each call's cost off "
    "the balance as it happens, to fire auto-recharge on time, and to spot unusual spend. It "
    "cannot make calls, read chats, mail or files, or change anything in your organisation."
)
WHO = N_(
    "A Global Administrator or Privileged Role Administrator of your organisation grants it "
    "once, on Microsoft's consent page."
)


@dataclass(frozen=True, slots=True)
class ConnectView:
    consent_url: str
    connected_before: bool
    returns_here: bool  # the consent page sends the admin back to the bot (a redirect URL)


@dataclass(frozen=True, slots=True)
class StatusView:
    graph_on: bool
    off_reason: str  # why not, for the operator, when graph_on is False
    source: UsageSource | None
    checking: bool = False  # a pull was just asked for


def connect_card(view: ConnectView) -> Card:
    after = (
        t(
            "After you accept, Microsoft brings you back to a page that says so; then press "
            "**Check now**."
        )
        if view.returns_here
        else t(
            "After you accept (Microsoft may then show a page that cannot be reached: that is "
            "fine), come back here and press **Check now**."
        )
    )
    body: list[Element] = [
        heading(t("Connect usage from Microsoft 365")),
        text(t(WHY, permission=PERMISSION)),
        text(t(WHO)),
        text(after, subtle=True),
    ]
    if view.connected_before:
        body.append(
            text(t("Usage is already connected; this checks the permission again."), subtle=True)
        )
    actions = [
        {"type": "Action.OpenUrl", "title": t("Grant permission"), "url": view.consent_url},
        act.execute(t("Check now"), act.USAGE_CHECK),
    ]
    return card(body, actions)


def status_card(view: StatusView) -> Card:
    body: list[Element] = [heading(t("Usage from Microsoft 365"))]
    if not view.graph_on:
        body.append(
            text(
                t(
                    "This bot is not set up to read usage from Microsoft, so the balance only "
                    "moves with usage posted to it. Ask whoever runs the bot to set it up "
                    "({reason}).",
                    reason=view.off_reason,
                )
            )
        )
        return card(body, [act.execute(t("Show balance"), act.BALANCE)])
    source = view.source
    if source is None:
        body.append(text(t('Not connected yet. Say "connect usage" to connect it.')))
        return card(body, [act.execute(t("Connect usage"), act.USAGE_CONNECT)])
    body.append(fact_set(_facts(source)))
    if source.last_problem is not None:
        body.append(text(plain_words(source.last_problem), color="attention"))
    if view.checking:
        body.append(text(t("A pull was asked for: it starts within seconds."), subtle=True))
    actions = [
        act.execute(t("Refresh"), act.USAGE_STATUS),
        act.execute(t("Check now"), act.USAGE_CHECK),
    ]
    if source.last_problem is not None:
        actions.append(act.execute(t("Connect again"), act.USAGE_CONNECT))
    return card(body, actions)


def _facts(source: UsageSource) -> list[tuple[str, str]]:
    last = source.last
    pairs = [(t("Connected"), fmt_datetime(source.connected_at))]
    if source.running:
        pairs.append((t("Now"), t("pulling")))
    if source.last_run_at is None:
        pairs.append((t("Last pull"), t("not yet")))
    else:
        when = fmt_datetime(source.last_run_at)
        pulled = (
            t("{when} (ok)", when=when)
            if source.last_problem is None
            else t("{when} (stopped)", when=when)
        )
        pairs.append((t("Last pull"), pulled))
        pairs.append(
            (
                t("Calls read"),
                t(
                    "{read}: {applied} new, {duplicates} seen before, "
                    "{skipped} not paid from credits",
                    read=fmt_number(last.read),
                    applied=fmt_number(last.applied),
                    duplicates=fmt_number(last.duplicates),
                    skipped=fmt_number(last.skipped),
                ),
            )
        )
        if last.conflicts or last.rejected:
            refused = t(
                "{conflicts} changed charges, {rejected} refused",
                conflicts=fmt_number(last.conflicts),
                rejected=fmt_number(last.rejected),
            )
            pairs.append((t("Not applied"), refused))
    if source.last_ok_at is not None and source.last_problem is not None:
        pairs.append((t("Last good pull"), fmt_datetime(source.last_ok_at)))
    if source.cursor_at is not None:
        pairs.append((t("Read up to"), fmt_datetime(source.cursor_at)))
    if source.next_run_at is not None and not source.running:
        pairs.append((t("Next pull"), _next(source.next_run_at)))
    return pairs


def _next(moment: datetime) -> str:
    return fmt_datetime(moment)
