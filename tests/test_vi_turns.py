"""Whole turns over HTTP in the turn's language (the Speaking middleware on the real adapter):
the root `locale` first, then the clientInfo entity; `vi`, `vi-VN`, `vi-vn` alike; anything
else English. Invokes use their own locale; a failed turn apologises in the turn's language;
the host's own words (a redelivered button, the install subscription, the consent page) and the
terminal chat (`credits-bot chat --locale vi-VN`) follow it too."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from card_helpers import button, texts
from helpers import (
    ALEX,
    BOT_ACCOUNT,
    TEAM,
    TENANT,
    Client,
    ClientFactory,
    card_invoke,
    channel_message,
    execute,
    last_card,
    local_settings,
    personal_message,
    post,
)
from stub_connector import StubConnector

from bot.adapter import TURN_ERROR_MESSAGE
from bot.app import create_app
from bot.appkeys import BOT, SERVICE
from bot.consent import page_lang
from cards import actions as verbs
from credits.i18n import Lang, current, speaking, t
from credits.money import AmountLimits, currency
from dialogs.intents import Kind, parse_intent

ROOT = Path(__file__).resolve().parent.parent
NBSP = "\u00a0"  # Babel puts a no-break space before the currency symbol
APOLOGY_VI = "Xin lỗi, đã có lỗi ở phía tôi. Không có gì thay đổi."


@pytest.fixture
async def client(aiohttp_client: ClientFactory, tmp_path: Path) -> Client:
    return await aiohttp_client(create_app(local_settings(tmp_path)))


def in_locale(
    activity: dict[str, Any], root: str | None, client_info: str | None
) -> dict[str, Any]:
    """``activity`` with this root locale and clientInfo locale (None: left out)."""
    activity = dict(activity)
    activity.pop("locale", None)
    if root is not None:
        activity["locale"] = root
    entities = [e for e in activity.get("entities") or [] if e.get("type") != "clientInfo"]
    if client_info is not None:
        entities.append({"type": "clientInfo", "locale": client_info, "country": "VN"})
    activity["entities"] = entities
    return activity


LOCALES = [
    pytest.param("vi-VN", "vi-VN", Lang.VI, id="root vi-VN"),
    pytest.param("vi-vn", None, Lang.VI, id="root vi-vn"),
    pytest.param("vi", None, Lang.VI, id="root vi"),
    pytest.param(None, "vi-VN", Lang.VI, id="only clientInfo vi-VN"),
    pytest.param("en-US", "vi-VN", Lang.EN, id="root en-US wins over clientInfo vi"),
    pytest.param("fr-FR", "fr-FR", Lang.EN, id="fr-FR is English"),
    pytest.param("fr-FR", "vi-VN", Lang.EN, id="root fr-FR, clientInfo vi: English"),
    pytest.param(None, None, Lang.EN, id="no locale at all"),
]


# --------------------------------------------------------------------------- the language


@pytest.mark.parametrize(("root", "info", "lang"), LOCALES)
async def test_a_message_turn_runs_in_its_language(
    client: Client,
    connector: StubConnector,
    monkeypatch: pytest.MonkeyPatch,
    root: str | None,
    info: str | None,
    lang: Lang,
) -> None:
    async def say_language(turn_context: Any) -> None:
        await turn_context.send_activity(f"speaking {current().value}")

    monkeypatch.setattr(client.app[BOT], "on_turn", say_language)
    await post(client, in_locale(personal_message(connector.url, "balance"), root, info))
    assert connector.texts() == [f"speaking {lang.value}"]


@pytest.mark.parametrize(("root", "info", "lang"), LOCALES)
async def test_the_balance_card_is_in_the_turns_language(
    client: Client, connector: StubConnector, root: str | None, info: str | None, lang: Lang
) -> None:
    await post(client, in_locale(personal_message(connector.url, "balance"), root, info))
    card, _ = last_card(connector)
    shown = texts(card)
    if lang is Lang.VI:
        assert "Số dư" in shown, shown
        assert f"0,00{NBSP}US$" in shown, shown
        assert "Balance" not in shown and "$0.00" not in shown, shown
    else:
        assert "Balance" in shown and "$0.00" in shown, shown
        assert "Số dư" not in shown, shown


async def test_an_invoke_uses_its_own_locale(
    client: Client, connector: StubConnector, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A message in English, then a button pressed from a Vietnamese client: the invoke's own
    locale decides."""
    seen: list[str] = []
    real = client.app[BOT].on_turn

    async def note_language(turn_context: Any) -> None:
        seen.append(current().value)
        await real(turn_context)

    monkeypatch.setattr(client.app[BOT], "on_turn", note_language)
    await post(client, personal_message(connector.url, "balance"))
    answer = await post(client, in_locale(card_invoke(connector.url), "vi-VN", "vi-VN"))
    assert seen == ["en", "vi"]
    assert answer["statusCode"] == 200
    shown = texts(answer["value"])
    assert "Số dư" in shown and f"0,00{NBSP}US$" in shown, shown


async def test_action_execute_confirm_answers_a_vietnamese_receipt(
    client: Client, connector: StubConnector
) -> None:
    vi = in_locale(personal_message(connector.url, "add $50 credits"), "vi-VN", "vi-VN")
    await post(client, vi)
    confirm, _ = last_card(connector)
    assert f"50,00{NBSP}US$" in texts(confirm)
    press = in_locale(
        execute(connector.url, button(confirm, verbs.ADD_FUNDS_CONFIRM)), "vi-VN", None
    )
    answer = await post(client, press)
    assert answer["statusCode"] == 200
    shown = texts(answer["value"])
    assert f"Đã nạp 50,00{NBSP}US$" in shown, shown
    assert (await client.app[SERVICE].account(TENANT)).balance.minor == 5000


async def test_a_failed_turn_apologises_in_the_turns_language(
    client: Client, connector: StubConnector, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(turn_context: Any) -> None:
        raise RuntimeError("database password is hunter2")

    monkeypatch.setattr(client.app[BOT], "on_turn", broken)
    await post(client, in_locale(personal_message(connector.url), "vi-VN", None))
    assert connector.texts() == [APOLOGY_VI]

    response = await client.post(
        "/api/messages", json=in_locale(card_invoke(connector.url), "vi", None)
    )
    assert response.status == 500
    assert await response.json() == {"error": APOLOGY_VI}

    await post(client, personal_message(connector.url))  # English stays English
    assert connector.texts() == [APOLOGY_VI, APOLOGY_VI, TURN_ERROR_MESSAGE]
    with speaking(Lang.VI):
        assert t(TURN_ERROR_MESSAGE) == APOLOGY_VI


async def test_a_redelivered_button_says_so_in_vietnamese(
    client: Client, connector: StubConnector
) -> None:
    press = in_locale(card_invoke(connector.url), "vi-VN", None)
    await post(client, press)
    again = await post(client, press)  # Teams redelivers after 15 s, same id
    shown = texts(again["value"])
    assert "Đã xong" in shown and "Yêu cầu này đã được xử lý rồi." in shown, shown


async def test_installing_in_a_team_in_vietnamese(client: Client, connector: StubConnector) -> None:
    install = in_locale(channel_message(connector.url, ""), "vi-VN", None)
    del install["text"]
    install.update(type="conversationUpdate", membersAdded=[BOT_ACCOUNT])
    install["conversation"] = {**install["conversation"], "id": TEAM}
    await post(client, install)
    [sub] = await client.app[SERVICE].list_subscriptions(TENANT)
    assert sub.reference["locale"] == "vi-VN"
    said = connector.texts()
    assert any("Tôi sẽ gửi cảnh báo số dư vào kênh này" in text for text in said), said
    assert not any("post balance alerts" in text for text in said)
    welcome = texts(connector.cards()[0])
    assert "Tín dụng Liên lạc" in welcome, welcome


async def test_a_welcome_in_a_personal_chat_in_vietnamese(
    client: Client, connector: StubConnector
) -> None:
    update = in_locale(personal_message(connector.url), None, "vi-VN")
    del update["text"]
    update.update(type="conversationUpdate", membersAdded=[BOT_ACCOUNT, ALEX], id=str(uuid.uuid4()))
    await post(client, update)
    [card] = connector.cards()
    assert "Tín dụng Liên lạc" in texts(card)
    assert "Communications Credits" not in texts(card)


# --------------------------------------------------------------------------- what the host says


@pytest.mark.parametrize(
    ("message", "values", "kinds"),
    [
        (
            'I\'ll post balance alerts in this channel. Say "stop alerts here" to stop them.',
            {},
            [Kind.ALERTS_STOP],
        ),
        (
            "Thank you. The bot will read your organisation's calls within a minute. Back in "
            'Teams, say "usage status" to see the first pull.',
            {},
            [Kind.USAGE_STATUS],
        ),
        (
            'The permission was not granted. Nothing was changed. To try again, say "connect '
            'usage" in Teams.',
            {},
            [Kind.USAGE_CONNECT],
        ),
        (
            "The permission was not granted (Microsoft said: {description}). Nothing was "
            'changed. To try again, say "connect usage" in Teams.',
            {"description": "no"},
            [Kind.USAGE_CONNECT],
        ),
        (
            'This page only works from the link on the bot\'s "Connect usage" card. '
            'In Teams, say "connect usage" to get a new one.',
            {},
            [Kind.USAGE_CONNECT],
        ),
    ],
)
def test_what_the_host_tells_people_to_say_is_understood_in_vietnamese(
    message: str, values: dict[str, str], kinds: list[Kind]
) -> None:
    with speaking(Lang.VI):
        said = t(message, **values)
        phrases = re.findall(r'"([^"]+)"', said)
        assert said != message.format(**values)
        assert [
            parse_intent(p, currency("USD"), AmountLimits(), lang=Lang.VI).kind for p in phrases
        ] == kinds, said


# --------------------------------------------------------------------------- the consent page


@pytest.mark.parametrize(
    ("header", "lang"),
    [
        ("", Lang.EN),
        ("vi-VN,vi;q=0.9,en-US;q=0.8,en;q=0.7", Lang.VI),
        ("en-US,en;q=0.9,vi;q=0.8", Lang.EN),
        ("fr-FR,fr;q=0.9,vi;q=0.8,en;q=0.7", Lang.VI),
        ("en;q=0.5, vi", Lang.VI),
        ("vi;q=0, en", Lang.EN),
        ("vi;q=oops, en;q=0.1", Lang.EN),
        ("*", Lang.EN),
    ],
)
def test_the_consent_page_speaks_the_browsers_language(header: str, lang: Lang) -> None:
    assert page_lang(header) is lang


async def test_the_consent_page_in_vietnamese(client: Client) -> None:
    response = await client.get(
        "/api/graph/consent?state=forged&admin_consent=True",
        headers={"Accept-Language": "vi-VN,vi;q=0.9"},
    )
    assert response.status == 400
    page = await response.text()
    assert "<html lang=vi>" in page and "Không nhận ra liên kết" in page
    assert response.headers["Content-Language"] == "vi"
    english = await client.get("/api/graph/consent?state=forged&admin_consent=True")
    assert "Link not recognised" in await english.text()


# --------------------------------------------------------------------------- the terminal


def chat_in(lines: list[str], db: Path, *args: str, **env: str) -> str:
    environment = dict(os.environ, CREDITS_DATABASE_URL=f"sqlite:///{db}", **env)
    environment.pop("MicrosoftAppId", None)
    environment.pop("CREDITS_CHAT_LOCALE", None)
    environment.update(env)
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "chat", *args],
        input="\n".join(lines) + "\n",
        env=environment,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_chat_with_locale_vi_is_vietnamese_end_to_end(tmp_path: Path) -> None:
    out = chat_in(["số dư", "nạp 50 đô", "1", "thoát"], tmp_path / "chat.db", "--locale", "vi-VN")
    assert "credits-bot chat: hãy gõ như một người quản trị" in out
    assert "Cơ sở dữ liệu:" in out
    assert "Tín dụng Liên lạc" in out  # the welcome card, as text
    assert "Số dư" in out and f"0,00{NBSP}US$" in out
    assert f"Đã nạp 50,00{NBSP}US$" in out
    assert "[1] Xác nhận  [2] Hủy" in out
    for english in ("Balance", "Confirm", "Communications Credits", "type what an admin"):
        assert english not in out, english


def test_chat_locale_from_the_environment(tmp_path: Path) -> None:
    out = chat_in(["quit"], tmp_path / "chat.db", CREDITS_CHAT_LOCALE="vi-VN")
    assert "hãy gõ như một người quản trị" in out
    flag_wins = chat_in(
        ["quit"], tmp_path / "chat.db", "--locale", "en-US", CREDITS_CHAT_LOCALE="vi"
    )
    assert "type what an admin would type" in flag_wins


def test_chat_defaults_to_english(tmp_path: Path) -> None:
    out = chat_in(["balance", "quit"], tmp_path / "chat.db")
    assert "type what an admin would type" in out
    assert "$0.00" in out and "Số dư" not in out
