"""Why a pull from Microsoft Graph stopped, in terms an admin can act on.

The host's Graph client (bot/graph_client.py, bot/graph_auth.py) turns each failure of the token
endpoint (Entra ID's AADSTS codes) or of Graph (HTTP status and error code) into one
`SourceProblem`; the domain stores it and shows `plain_words(problem)`, in the language of the
moment (the catalogue's). docs/graph-usage.md has the codes and where their meanings come from.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from credits.i18n import N_, t


class SourceProblem(StrEnum):
    CONSENT_MISSING = "consent_missing"  # AADSTS700016 / 7000229 / 65001, unauthorized_client
    PERMISSION_REMOVED = "permission_removed"  # Graph 403 (Forbidden, accessDenied, ...)
    BAD_CREDENTIALS = "bad_credentials"  # AADSTS7000215, invalid_client, a bad certificate
    SECRET_EXPIRED = "secret_expired"  # AADSTS7000222
    TENANT_NOT_FOUND = "tenant_not_found"  # AADSTS90002 / 900023, or a malformed tenant id
    THROTTLED = "throttled"  # 429, still after the retries
    UNAVAILABLE = "unavailable"  # 5xx after the retries, connection errors, timeouts
    SIGN_IN_REJECTED = "sign_in_rejected"  # Graph 401 again after a new token
    BAD_REQUEST = "bad_request"  # Graph 400 (the date range)
    UNEXPECTED = "unexpected"  # anything else: an answer we cannot read


_WORDS = {
    SourceProblem.CONSENT_MISSING: N_(
        "The app isn't installed in this organisation (no admin consent yet, or it was "
        'removed), or the tenant ID is wrong: an admin must say "connect usage" and grant consent.'
    ),
    SourceProblem.PERMISSION_REMOVED: N_(
        "The app no longer has permission to read call records: an admin must grant "
        'CallRecords.Read.All again (say "connect usage" and give admin consent).'
    ),
    SourceProblem.BAD_CREDENTIALS: N_(
        "Microsoft refused the app's client secret or certificate: the bot's operator must "
        "check the app registration's credentials in the bot's settings."
    ),
    SourceProblem.SECRET_EXPIRED: N_(
        "The app's client secret has expired: the bot's operator must create a new one in "
        "the app registration and put it in the bot's settings."
    ),
    SourceProblem.TENANT_NOT_FOUND: N_(
        "That organisation (tenant) wasn't found, or its ID is malformed: check the tenant ID."
    ),
    SourceProblem.THROTTLED: N_(
        "Microsoft is asking us to slow down; the bot will try again later by itself."
    ),
    SourceProblem.UNAVAILABLE: N_(
        "Microsoft's service is temporarily unavailable or couldn't be reached; the bot will "
        "try again later by itself."
    ),
    SourceProblem.SIGN_IN_REJECTED: N_(
        "Microsoft rejected the app's sign-in even with a new token; the bot will try again "
        "later, and if it keeps happening the operator should check the app registration."
    ),
    SourceProblem.BAD_REQUEST: N_(
        "Microsoft rejected the request for call records (the date range); the bot will try "
        "again later, and if it keeps happening the operator should report it."
    ),
    SourceProblem.UNEXPECTED: N_(
        "Microsoft answered in a way the bot didn't expect; the bot will try again later, and "
        "the operator can find the details in the bot's log."
    ),
}

# Entra ID's AADSTS numbers (docs/graph-usage.md, "error codes -> plain words")
_AADSTS = {
    700016: SourceProblem.CONSENT_MISSING,  # the app wasn't found in the tenant
    7000229: SourceProblem.CONSENT_MISSING,  # no service principal in the tenant
    65001: SourceProblem.CONSENT_MISSING,  # consent not granted
    7000215: SourceProblem.BAD_CREDENTIALS,  # invalid client secret
    700027: SourceProblem.BAD_CREDENTIALS,  # client assertion failed signature validation
    7000222: SourceProblem.SECRET_EXPIRED,
    90002: SourceProblem.TENANT_NOT_FOUND,  # InvalidTenantName
    900023: SourceProblem.TENANT_NOT_FOUND,  # the tenant id is malformed
}
# the OAuth `error` field, when no AADSTS number says more
_OAUTH_ERRORS = {
    "unauthorized_client": SourceProblem.CONSENT_MISSING,
    "invalid_client": SourceProblem.BAD_CREDENTIALS,
    "temporarily_unavailable": SourceProblem.UNAVAILABLE,
}


def plain_words(problem: SourceProblem) -> str:
    """One sentence an admin understands: what went wrong and what to do about it."""
    return t(_WORDS[problem])


def token_problem(error_codes: Iterable[int], error: str) -> SourceProblem:
    """The problem a token endpoint's error answer names: its AADSTS numbers first (the first
    one known wins), then the OAuth `error` field; UNEXPECTED for anything else."""
    for code in error_codes:
        if code in _AADSTS:
            return _AADSTS[code]
    return _OAUTH_ERRORS.get(error, SourceProblem.UNEXPECTED)


class GraphError(Exception):
    """A pull from Graph failed. `problem` is what to tell the admin; `detail` is for operators
    (codes, HTTP status, AADSTS number; never a secret or a token); `retry_after` is Microsoft's
    hint, in seconds, when it asked us to come back later."""

    def __init__(
        self, problem: SourceProblem, detail: str, retry_after: float | None = None
    ) -> None:
        super().__init__(f"{problem.value}: {detail}")
        self.problem = problem
        self.detail = detail
        self.retry_after = retry_after
