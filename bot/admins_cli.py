"""`credits-bot admins`: a tenant's billing admins from the command line, as in chat ("admins",
"make @Ada an admin", "remove Ada as admin"), and the claim code of a fresh deployment.

    credits-bot admins list --tenant T
    credits-bot admins grant --tenant T --aad-id ID --name NAME
    credits-bot admins revoke --tenant T --aad-id ID
    credits-bot admins claim-code --tenant T     # the first admin types "claim CODE" in Teams

A grant or a revoke is audited with the person at the terminal as its actor (``cli:<user>``)
and refused as in chat (an admin of CREDITS_ADMINS, the last admin: exit 2, nothing changed).
A grant's --aad-id must be a Microsoft Entra object id, a GUID (kept in lower case, as Teams
sends it): anything else could never speak to the bot, yet would count as an admin. A revoke
takes any id, compared without regard to case, so a row from before can be removed. A claim
code is only for a tenant with no admin; only its hash is kept, and printing it is audited.
This module only adds the commands; `bot/cli.py` runs them with the facade and its refusals."""

from __future__ import annotations

import argparse
import getpass
import re

from bot.settings import Settings
from credits.errors import ValidationError
from credits.i18n import fmt_datetime
from credits.models import Actor, Admin, AdminSource
from credits.service import CreditsService


def add_admins_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `admins list|grant|revoke|claim-code` to the `credits-bot` command line."""
    p = sub.add_parser(
        "admins",
        help="list, grant or revoke a tenant's billing admins; print a first-run claim code",
        description="A tenant's billing admins: those of CREDITS_ADMINS and those granted. "
        "Grants and revokes are audited with your user name.",
    )
    admins = p.add_subparsers(dest="admins_command", required=True, metavar="ACTION")
    listed = admins.add_parser("list", help="the tenant's admins, and how each is one")
    listed.set_defaults(handler=_list)
    grant = admins.add_parser("grant", help="make someone a billing admin of the tenant")
    grant.add_argument("--aad-id", required=True, help="their Microsoft Entra object id (a GUID)")
    grant.add_argument("--name", required=True, help="their name, as the admins card shows it")
    grant.set_defaults(handler=_grant)
    revoke = admins.add_parser("revoke", help="remove a granted admin (never the last one)")
    revoke.add_argument("--aad-id", required=True, help="their Microsoft Entra object id")
    revoke.set_defaults(handler=_revoke)
    code = admins.add_parser(
        "claim-code",
        help="print a one-time code with which the first admin claims the bot in Teams",
        description="For a tenant with no admin (no CREDITS_ADMINS, none granted): a code, "
        "valid for 24 hours, that the first admin types to the bot in Teams as 'claim CODE'. "
        "A new code replaces one not used yet.",
    )
    code.set_defaults(handler=_claim_code)
    for action in (listed, grant, revoke, code):
        action.add_argument("--tenant", required=True, help="the tenant (directory) id")


_GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _object_id(typed: str) -> str:
    """A grant's --aad-id: a GUID, in lower case (as Teams sends it); refused otherwise."""
    found = typed.strip().lower()
    if not _GUID.fullmatch(found):
        raise ValidationError(
            f"--aad-id must be a Microsoft Entra object id, a GUID such as "
            f"00000000-0000-0000-0000-000000000000 (not {typed.strip()[:60]!r}). "
            "Nothing was changed."
        )
    return found


def _actor() -> Actor:
    user = getpass.getuser()
    return Actor(f"cli:{user}", user)


def _how(admin: Admin) -> str:
    when = f"{admin.granted_at:%Y-%m-%d %H:%M} UTC" if admin.granted_at is not None else ""
    if admin.source is AdminSource.CONFIG:
        return "configured (CREDITS_ADMINS)"
    if admin.source is AdminSource.CLAIMED:
        return f"claimed with a claim code, {when}"
    by = admin.granted_by_name or admin.granted_by or "?"
    return f"granted by {by}, {when}"


async def _list(service: CreditsService, args: argparse.Namespace) -> int:
    listed = await service.list_admins(args.tenant)
    if not listed:
        print(f"Tenant {args.tenant.strip()} has no billing admin.")
        print(f"Make the first one with: credits-bot admins claim-code --tenant {args.tenant}")
    for admin in listed:
        print(f"{admin.aad_object_id:<38} {admin.name:<30} {_how(admin)}")
    return 0


async def _grant(service: CreditsService, args: argparse.Namespace) -> int:
    person = _object_id(args.aad_id)
    done = await service.grant_admin(args.tenant, person, args.name, _actor())
    print(f"{args.name} is now a billing admin." if done else f"{args.name} is an admin already.")
    return 0


async def _revoke(service: CreditsService, args: argparse.Namespace) -> int:
    await service.revoke_admin(args.tenant, args.aad_id, _actor())
    print(f"{args.aad_id} is no longer a billing admin.")
    return 0


async def _claim_code(service: CreditsService, args: argparse.Namespace) -> int:
    made = await service.new_claim_code(args.tenant, _actor())
    print(f"Claim code for tenant {made.tenant_id}: {made.code}")
    print(f"The first admin types this to the bot in Teams (a 1:1 chat):  claim {made.code}")
    print(f"It works once, for 24 hours (until {fmt_datetime(made.expires_at)}); five wrong codes")
    print("void it. Give it only to that person: whoever types it first becomes the admin.")
    if Settings().local_mode:
        print(
            "Note: without MicrosoftAppId the bot runs in local mode, where everyone is an "
            "admin; the code is for the bot running with its app id."
        )
    return 0
