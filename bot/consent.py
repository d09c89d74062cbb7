"""`GET /api/graph/consent`: where Microsoft's admin-consent page sends an admin back
(CREDITS_GRAPH_CONSENT_REDIRECT_URL, registered as a Web redirect URI of the app).

The query is read once (credits/consent.py `read_answer`: an `error` wins over
`admin_consent=True`). The `state` must be one the bot signed for a tenant ("connect usage" made
it, dialogs/usage_source.py), so nobody can connect a tenant through this page; Microsoft's own
`tenant` parameter is never trusted for that. A grant makes the tenant's pull due at once: the pull
itself is the proof (a consent that did not take shows as a problem in "usage status"). The page
says what happened in a sentence, in the language the admin's browser asks for (Accept-Language:
Vietnamese or English), and never echoes what it was sent unescaped.
"""

from __future__ import annotations

import html

import structlog
from aiohttp import web

from bot.appkeys import HOST, SERVICE
from credits.consent import read_answer
from credits.i18n import Lang, current, lang_of, speaking, t
from credits.models import Actor
from dialogs.actions import CardSigner
from dialogs.usage_source import state_tenant

log = structlog.get_logger(__name__)
CONSENT = Actor("consent", "Admin consent")


def add_consent_routes(app: web.Application) -> None:
    app.router.add_get("/api/graph/consent", consent_returned)


async def consent_returned(request: web.Request) -> web.Response:
    with speaking(page_lang(request.headers.get("Accept-Language", ""))):
        return await _answer(request)


async def _answer(request: web.Request) -> web.Response:
    service, host = request.app.get(SERVICE), request.app.get(HOST)
    if service is None or host is None:
        return _page(503, t("Not ready"), t("The bot is starting. Try again in a minute."))
    answer = read_answer({k: v for k, v in request.query.items() if isinstance(v, str)})
    signer = CardSigner(bytes.fromhex(await host.deployment_secret("card-signing")))
    tenant_id = state_tenant(signer, answer.state)
    if tenant_id is None:
        log.info("consent redirect with a state the bot did not make")
        return _page(
            400,
            t("Link not recognised"),
            t(
                'This page only works from the link on the bot\'s "Connect usage" card. '
                'In Teams, say "connect usage" to get a new one.'
            ),
        )
    if answer.error is not None:
        log.info("admin consent declined", tenant_id=tenant_id, error=answer.error)
        return _page(200, t("Permission not granted"), _declined(answer.description))
    if not answer.granted or (answer.tenant_id not in (None, tenant_id)):
        return _page(
            400,
            t("Permission not granted"),
            t("Microsoft's answer was not a grant for your organisation. Nothing was changed."),
        )
    await service.connect_usage(tenant_id, CONSENT)
    log.info("admin consent granted; usage pull due", tenant_id=tenant_id)
    return _page(
        200,
        t("Permission granted"),
        t(
            "Thank you. The bot will read your organisation's calls within a minute. Back in "
            'Teams, say "usage status" to see the first pull.'
        ),
    )


def _declined(description: str | None) -> str:
    if description:
        return t(
            "The permission was not granted (Microsoft said: {description}). Nothing was "
            'changed. To try again, say "connect usage" in Teams.',
            description=description,
        )
    return t(
        'The permission was not granted. Nothing was changed. To try again, say "connect usage" '
        "in Teams."
    )


def page_lang(accept_language: str) -> Lang:
    """The language of the page: the first language the bot speaks among those the browser
    asks for (its Accept-Language header, by preference), else English."""
    ranked: list[tuple[float, int, Lang]] = []
    for index, part in enumerate(accept_language.split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        lang = lang_of(tag)
        if lang is None:
            continue
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality > 0:
            ranked.append((-quality, index, lang))
    return min(ranked)[2] if ranked else Lang.EN


def _page(status: int, title: str, sentence: str) -> web.Response:
    body = (
        f"<!doctype html><html lang={current().value}><meta charset=utf-8>"
        f"<title>{html.escape(title)}</title>"
        "<body style='font-family:system-ui,sans-serif;max-width:36em;margin:3em auto'>"
        f"<h1>{html.escape(title)}</h1><p>{html.escape(sentence)}</p></body></html>"
    )
    return web.Response(
        status=status,
        text=body,
        content_type="text/html",
        headers={
            "Cache-Control": "no-store",
            "Referrer-Policy": "no-referrer",
            "Content-Language": current().value,
            "Vary": "Accept-Language",
        },
    )
