"""`credits-bot caps`: a tenant's auto-recharge caps, shown or changed from the command line as
in chat ("at most 3 recharges a day", "a monthly cap of $500", "limit each recharge to $150").

    credits-bot caps --tenant T                       # the caps and what is left of them
    credits-bot caps --tenant T --per-day 3 --monthly 500 --max-recharge 150
    credits-bot caps --tenant T --no-monthly --no-max-recharge

A change is checked as in chat (refused with the reason: exit 2, nothing changed) and audited
with the person at the terminal as its actor (``cli:<user>``), like `credits-bot auto-recharge`.
This module only adds the command; `bot/cli.py` runs it with the facade and its refusals."""

from __future__ import annotations

import argparse
import getpass

from credits.models import AccountView, Actor, CapStatus, CapStop
from credits.service import CreditsService


def add_caps_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `caps` to the `credits-bot` command line."""
    p = sub.add_parser(
        "caps",
        help="show or change a tenant's auto-recharge caps (per day, per month, per recharge)",
        description="Show a tenant's auto-recharge caps and what is left of them today and this "
        "month (UTC), or change them: the number of recharges a day, the most recharged in a "
        "month, and the largest single recharge. A change is audited with your user name.",
    )
    p.add_argument("--tenant", required=True)
    p.add_argument("--per-day", type=int, metavar="N", help="recharges a day, 1 to 100")
    monthly = p.add_mutually_exclusive_group()
    monthly.add_argument("--monthly", metavar="AMOUNT", help="monthly recharge cap, e.g. 500")
    monthly.add_argument("--no-monthly", action="store_true", help="remove the monthly cap")
    largest = p.add_mutually_exclusive_group()
    largest.add_argument("--max-recharge", metavar="AMOUNT", help="largest single recharge")
    largest.add_argument(
        "--no-max-recharge", action="store_true", help="remove the largest single recharge cap"
    )
    p.set_defaults(handler=run_caps)


def _actor() -> Actor:
    user = getpass.getuser()
    return Actor(f"cli:{user}", user)


async def run_caps(service: CreditsService, args: argparse.Namespace) -> int:
    """Show the caps, or change them and show them after the change."""
    changing = (
        args.per_day is not None
        or args.monthly is not None
        or args.no_monthly
        or args.max_recharge is not None
        or args.no_max_recharge
    )
    if not changing:
        view = await service.account(args.tenant)
    else:
        view = await service.set_recharge_caps(
            args.tenant,
            _actor(),
            daily_limit=args.per_day,
            monthly_cap=args.monthly,
            clear_monthly_cap=args.no_monthly,
            max_recharge=args.max_recharge,
            clear_max_recharge=args.no_max_recharge,
        )
        print("Caps saved.")
    _print_caps(view)
    return 0


def _print_caps(view: AccountView) -> None:
    caps, recharge = view.caps, view.recharge
    assert caps is not None  # the facade's account view has them
    month = "none"
    if caps.monthly_cap is not None:
        month = (
            f"{caps.monthly_cap}: {caps.recharged_this_month} recharged this month, "
            f"{caps.left_this_month} left"
        )
    largest = caps.max_recharge if caps.max_recharge is not None else "none"
    print(f"Tenant                   {view.tenant_id}")
    per_day = f"{caps.daily_limit}: {caps.used_today} today, {caps.left_today} left"
    print(f"Recharges a day          {per_day}")
    print(f"Monthly cap              {month}")
    print(f"Largest single recharge  {largest}")
    if recharge.enabled and recharge.amount is not None and recharge.trigger is not None:
        state = "paused" if recharge.paused else "on"
        auto = f"{state}: add {recharge.amount} when below {recharge.trigger}"
    else:
        auto = "off"
    print(f"Auto-recharge            {auto}")
    stopped = _stopped(caps)
    if stopped:
        print(f"Stopped                  {stopped}")


def _stopped(caps: CapStatus) -> str | None:
    when = f"{caps.resumes_at:%Y-%m-%d %H:%M} UTC" if caps.resumes_at is not None else None
    if caps.stopped is CapStop.DAILY_LIMIT:
        n = caps.daily_limit
        return f"the limit of {n} recharge{'s' if n != 1 else ''} a day was reached; resumes {when}"
    if caps.stopped is CapStop.MONTHLY_CAP:
        return (
            f"the next recharge would go over the monthly cap of {caps.monthly_cap}; resumes {when}"
        )
    if caps.stopped is CapStop.MAX_RECHARGE:
        return (
            f"the recharge amount is more than the largest single recharge of {caps.max_recharge}"
        )
    return None
