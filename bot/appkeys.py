"""The typed keys of the bot's aiohttp application (`app[SERVICE]`, `app[WORKERS]`, ...).

The composition root (bot/app.py) sets them; the handlers (bot/app.py, bot/ops.py,
bot/usage_api.py) and the tests read them. This module holds nothing but the keys, and imports
only the classes their types name, none of which imports it back: handlers take their keys from
here, never from bot/app.py, so the host's imports run one way.
"""

from __future__ import annotations

from aiohttp import web

from bot.adapter import CreditsAdapter
from bot.host_store import HostStore
from bot.metrics import Metrics
from bot.sending import Limits
from bot.settings import Settings
from bot.storage import SqlStorage
from bot.teams import CreditsBot
from bot.workers import Workers
from credits.service import CreditsService

__all__ = [
    "ADAPTER",
    "BOT",
    "HOST",
    "LIMITS",
    "METRICS",
    "SERVICE",
    "SETTINGS",
    "STORAGE",
    "WORKERS",
]

SETTINGS = web.AppKey("credits.settings", Settings)
METRICS = web.AppKey("credits.metrics", Metrics)
ADAPTER = web.AppKey("credits.adapter", CreditsAdapter)
# set on start-up, once the database is open (absent while the app starts)
SERVICE = web.AppKey("credits.service", CreditsService)
STORAGE = web.AppKey("credits.storage", SqlStorage)
HOST = web.AppKey("credits.host", HostStore)
BOT = web.AppKey("credits.bot", CreditsBot)
WORKERS = web.AppKey("credits.workers", Workers)
LIMITS = web.AppKey("credits.limits", Limits)
"""Teams' rate limits of this process, shared by alert delivery and the posting of kept replies."""
