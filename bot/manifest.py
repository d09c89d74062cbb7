"""`credits-bot manifest`: the Teams app package an admin uploads to install the bot.

A Teams app package is a zip with `manifest.json`, `color.png` (192x192, full colour) and
`outline.png` (32x32, white on transparent) at its root. The manifest follows the current
Microsoft 365 app manifest schema (v1.30): one bot in the personal, team and groupChat scopes,
with a command list per scope for the main commands. It asks for no permissions: a bot that only
answers the messages sent to it needs neither the legacy `identity` / `messageTeamMembers`
permissions nor any resource-specific consent, and it opens no web content, so `validDomains` is
empty.

The package is localised: `localizationInfo` names English as the manifest's own language and
`vi.json` (bot/manifest_vi.py, Teams' localization file schema of the same version) for
Vietnamese, translating the name, the descriptions and every command list.

The icons are drawn here (a coin with a "C" for credits) and encoded as RGBA PNGs with zlib and
struct only, so packaging needs nothing beyond the standard library.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import struct
import sys
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bot import manifest_vi

MANIFEST_VERSION = "1.30"
SCHEMA_URL = (
    f"https://developer.microsoft.com/json-schemas/teams/v{MANIFEST_VERSION}/"
    "MicrosoftTeams.schema.json"
)
LOCALIZATION_SCHEMA_URL = (
    f"https://developer.microsoft.com/json-schemas/teams/v{MANIFEST_VERSION}/"
    "MicrosoftTeams.Localization.schema.json"
)
DEFAULT_LANGUAGE_TAG = "en"
SCOPES = ("personal", "team", "groupChat")
ACCENT_COLOR = "#0F6CBD"
COLOR_SIZE = 192
OUTLINE_SIZE = 32

DEFAULT_NAME = "Credits"
DEFAULT_DEVELOPER = "Credits Bot"
DEFAULT_WEBSITE = "https://example.com"
DEFAULT_APP_VERSION = "1.0.0"

# Schema limits (MicrosoftTeams.schema.json)
MAX_SHORT_NAME = 30
MAX_FULL_NAME = 100
MAX_DEVELOPER_NAME = 32
MAX_SHORT_DESCRIPTION = 80
MAX_FULL_DESCRIPTION = 4000
MAX_COMMAND_TITLE = 32
MAX_COMMAND_DESCRIPTION = 128
MAX_COMMANDS = 10  # 12 since v1.24; 10 keeps the package valid for older clients too
MAX_URL = 2048

GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")
HEX_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")

SHORT_DESCRIPTION = "Check and top up your organisation's Teams Communications Credits."
FULL_DESCRIPTION = (
    "{name} lets billing admins run the prepaid Communications Credits that pay for Teams "
    "calling and audio conferencing, in chat. Ask for the balance to see what is left, how fast "
    'it is being used and when it will run out. Say "add $50 credits" to buy more: nothing is '
    'charged until you press Confirm on the card that comes back. Set auto-recharge ("set '
    'auto-recharge to $100 when below $20") so calls never stop, or turn it off. Look through '
    'the history of every top-up, recharge and usage charge. Say "send alerts here" in a '
    'channel or chat to have low-balance, recharge and failure alerts posted there, and "stop '
    'alerts here" to stop them. Say "help" at any time to see what it can do.'
)

# (title, description in a personal chat, description in a channel or group chat)
COMMANDS: tuple[tuple[str, str, str], ...] = (
    ("balance", "Show the balance, auto-recharge and runway", ""),
    ("add $50 credits", "Buy credits; you confirm on a card before anything is charged", ""),
    (
        "set auto-recharge $100 below $20",
        "Top up automatically by an amount whenever the balance falls below a trigger",
        "",
    ),
    ("turn off auto-recharge", "Stop automatic top-ups", ""),
    ("history", "Recent top-ups, recharges and usage charges, newest first", ""),
    ("top callers", "This month's and the last 7 days' spend by caller and destination", ""),
    (
        "connect usage",
        "Let the bot read your calls from Microsoft 365, so the balance follows them",
        "",
    ),
    (
        "send alerts here",
        "Send low-balance and recharge alerts to this chat",
        "Post low-balance and recharge alerts in this conversation",
    ),
    (
        "stop alerts here",
        "Stop sending alerts to this chat",
        "Stop posting alerts in this conversation",
    ),
    ("help", "What the bot can do and how to say it", ""),
)


class ManifestError(ValueError):
    """A value the manifest cannot carry: the command line reports it and exits 2."""


# ---------------------------------------------------------------------- the manifest


def _https_url(value: str, what: str) -> str:
    if not re.match(r"^https://[^\s/?#]+[^\s]*$", value) or len(value) > MAX_URL:
        raise ManifestError(f"{what} must be an https:// URL, got {value!r}")
    return value


def _limited(value: str, limit: int, what: str) -> str:
    value = value.strip()
    if not value:
        raise ManifestError(f"{what} must not be empty")
    if len(value) > limit:
        raise ManifestError(f"{what} is {len(value)} characters; the limit is {limit}: {value!r}")
    return value


def check_app_id(app_id: str) -> str:
    """The Microsoft App ID (client id) of the bot registration, a GUID, lower-cased."""
    if not GUID.match(app_id.strip()):
        raise ManifestError(
            f"--app-id must be a GUID like 00000000-0000-0000-0000-000000000000 (the bot's "
            f"Microsoft App ID), got {app_id!r}"
        )
    return app_id.strip().lower()


def _command_lists() -> list[dict[str, Any]]:
    lists: list[dict[str, Any]] = []
    for scope in SCOPES:
        commands = [
            {"title": title, "description": (shared if scope != "personal" and shared else own)}
            for title, own, shared in COMMANDS
        ]
        lists.append({"scopes": [scope], "commands": commands})
    return lists


def _localization_info() -> dict[str, Any]:
    return {
        "defaultLanguageTag": DEFAULT_LANGUAGE_TAG,
        "additionalLanguages": [
            {"languageTag": manifest_vi.LANGUAGE_TAG, "file": manifest_vi.FILE}
        ],
    }


def build_vi_localization(manifest: dict[str, Any]) -> dict[str, str]:
    """The content of `vi.json` for ``manifest``: its name, descriptions and command lists in
    Vietnamese, keyed as Teams' localization file schema says (`name.short`,
    `bots[0].commandLists[0].commands[0].title`...). A name the admin chose is kept as it is;
    a command with no Vietnamese keeps its English."""
    name = manifest["name"]["short"]
    short = manifest_vi.DEFAULT_SHORT_NAME if name == DEFAULT_NAME else name
    out = {
        "$schema": LOCALIZATION_SCHEMA_URL,
        "name.short": _limited(short, MAX_SHORT_NAME, "Vietnamese name"),
        "name.full": _limited(
            manifest_vi.DEFAULT_FULL_NAME
            if name == DEFAULT_NAME
            else manifest_vi.FULL_NAME.format(name=short),
            MAX_FULL_NAME,
            "Vietnamese full name",
        ),
        "description.short": _limited(
            manifest_vi.SHORT_DESCRIPTION, MAX_SHORT_DESCRIPTION, "Vietnamese short description"
        ),
        "description.full": _limited(
            manifest_vi.FULL_DESCRIPTION.format(name=short),
            MAX_FULL_DESCRIPTION,
            "Vietnamese full description",
        ),
    }
    for b, bot in enumerate(manifest.get("bots", [])):
        for n, entry in enumerate(bot.get("commandLists", [])):
            shared_scope = entry["scopes"] != ["personal"]
            for c, command in enumerate(entry["commands"]):
                found = manifest_vi.COMMANDS.get(command["title"])
                if found is None:
                    continue
                title, own, shared = found
                key = f"bots[{b}].commandLists[{n}].commands[{c}]"
                out[f"{key}.title"] = _limited(title, MAX_COMMAND_TITLE, "Vietnamese title")
                out[f"{key}.description"] = _limited(
                    shared if shared_scope and shared else own,
                    MAX_COMMAND_DESCRIPTION,
                    "Vietnamese description",
                )
    return out


def localization_files(manifest: dict[str, Any]) -> dict[str, dict[str, str]]:
    """The language files the manifest's `localizationInfo` names, by file name."""
    info = manifest.get("localizationInfo") or {}
    builders = {manifest_vi.FILE: build_vi_localization}
    return {
        language["file"]: builders[language["file"]](manifest)
        for language in info.get("additionalLanguages", [])
    }


def build_manifest(
    app_id: str,
    name: str = DEFAULT_NAME,
    *,
    developer: str = DEFAULT_DEVELOPER,
    website: str = DEFAULT_WEBSITE,
    privacy_url: str | None = None,
    terms_url: str | None = None,
    version: str = DEFAULT_APP_VERSION,
    accent_color: str = ACCENT_COLOR,
) -> dict[str, Any]:
    """The manifest.json content. The app id is both the Teams app id and the bot id, as for
    a single-bot app registered in Azure Bot Service. Raises ManifestError for any value the
    schema would refuse."""
    bot_id = check_app_id(app_id)
    short_name = _limited(name, MAX_SHORT_NAME, "--name")
    full_name = _limited(f"{short_name} - Teams Communications Credits", MAX_FULL_NAME, "full name")
    developer = _limited(developer, MAX_DEVELOPER_NAME, "--developer")
    website = _https_url(website, "--website")
    base = website.rstrip("/")
    privacy = _https_url(privacy_url or f"{base}/privacy", "--privacy-url")
    terms = _https_url(terms_url or f"{base}/terms", "--terms-url")
    if not SEMVER.match(version):
        raise ManifestError(f"--app-version must look like 1.0.0, got {version!r}")
    if not HEX_COLOR.match(accent_color):
        raise ManifestError(f"accent colour must look like #0F6CBD, got {accent_color!r}")
    description = {
        "short": _limited(SHORT_DESCRIPTION, MAX_SHORT_DESCRIPTION, "short description"),
        "full": _limited(
            FULL_DESCRIPTION.format(name=short_name), MAX_FULL_DESCRIPTION, "full description"
        ),
    }
    return {
        "$schema": SCHEMA_URL,
        "manifestVersion": MANIFEST_VERSION,
        "version": version,
        "id": bot_id,
        "developer": {
            "name": developer,
            "websiteUrl": website,
            "privacyUrl": privacy,
            "termsOfUseUrl": terms,
        },
        "name": {"short": short_name, "full": full_name},
        "description": description,
        "icons": {"color": "color.png", "outline": "outline.png"},
        "accentColor": accent_color,
        "bots": [
            {
                "botId": bot_id,
                "scopes": list(SCOPES),
                "supportsFiles": False,
                "isNotificationOnly": False,
                "commandLists": _command_lists(),
            }
        ],
        "validDomains": [],
        "localizationInfo": _localization_info(),
    }


# ---------------------------------------------------------------------- the icons

Pixel = tuple[int, int, int, int]


def encode_png(width: int, height: int, pixels: Sequence[Pixel]) -> bytes:
    """An 8-bit RGBA PNG (colour type 6), rows unfiltered, one IDAT chunk."""
    if len(pixels) != width * height:
        raise ValueError(f"{len(pixels)} pixels for a {width}x{height} image")

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    raw = bytearray()
    for y in range(height):
        raw.append(0)  # filter type None
        for r, g, b, a in pixels[y * width : (y + 1) * width]:
            raw += bytes((r, g, b, a))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(bytes(raw), 9))
        + chunk(b"IEND", b"")
    )


def _clamp(value: float) -> float:
    return 0.0 if value < 0 else 1.0 if value > 1 else value


def _disc(d: float, radius: float) -> float:
    """Coverage of a pixel whose centre is `d` from the centre of a disc (anti-aliased edge)."""
    return _clamp(radius - d + 0.5)


def _ring(d: float, outer: float, inner: float) -> float:
    return _clamp(_disc(d, outer) - _disc(d, inner))


def _letter_c(dx: float, dy: float, outer: float, inner: float) -> float:
    """A "C": a ring with a 90-degree gap opening to the right."""
    ring = _ring(math.hypot(dx, dy), outer, inner)
    gap = _clamp((dx - abs(dy)) / math.sqrt(2) + 0.5)  # inside the wedge |dy| < dx
    return ring * (1 - gap)


def _hex(color: str) -> tuple[int, int, int]:
    return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)


def _draw(size: int, shade: Callable[[float, float], Pixel]) -> bytes:
    centre = size / 2
    pixels = [shade(x + 0.5 - centre, y + 0.5 - centre) for y in range(size) for x in range(size)]
    return encode_png(size, size, pixels)


def color_icon(accent_color: str = ACCENT_COLOR) -> bytes:
    """192x192: a gold coin with a "C" on a solid accent-coloured background."""
    background = _hex(accent_color)
    rim, face, letter = (222, 155, 20), (250, 199, 72), (166, 104, 0)
    scale = COLOR_SIZE / 192

    def shade(dx: float, dy: float) -> Pixel:
        d = math.hypot(dx, dy)
        layers = (
            (rim, _disc(d, 60 * scale)),
            (face, _disc(d, 51 * scale)),
            (letter, _letter_c(dx, dy, 32 * scale, 20 * scale)),
        )
        r, g, b = (float(c) for c in background)
        for (lr, lg, lb), a in layers:
            r, g, b = r + (lr - r) * a, g + (lg - g) * a, b + (lb - b) * a
        return round(r), round(g), round(b), 255

    return _draw(COLOR_SIZE, shade)


def outline_icon() -> bytes:
    """32x32: the same coin as a white outline on a transparent background. Every pixel is
    white; only its alpha varies (anti-aliased edges)."""

    def shade(dx: float, dy: float) -> Pixel:
        rim = _ring(math.hypot(dx, dy), 15, 13)
        letter = _letter_c(dx, dy, 8.5, 5.5)
        return 255, 255, 255, round(255 * _clamp(rim + letter))

    return _draw(OUTLINE_SIZE, shade)


# ---------------------------------------------------------------------- the package


def write_package(path: Path | str, manifest: dict[str, Any], color: bytes, outline: bytes) -> Path:
    """Write the zip (manifest.json, color.png, outline.png and the language files its
    `localizationInfo` names, at its root), atomically. Refuses a path that does not end in
    .zip, and an existing file that is not a zip."""
    target = Path(path)
    if target.suffix.lower() != ".zip":
        raise ManifestError(f"--out must be a .zip file, got {str(target)!r}")
    if target.is_dir():
        raise ManifestError(f"--out {str(target)!r} is a directory")
    if target.exists() and not zipfile.is_zipfile(target):
        raise ManifestError(f"{str(target)!r} exists and is not a zip file: not overwriting it")
    if not target.parent.is_dir():
        raise ManifestError(f"directory {str(target.parent)!r} does not exist")
    body = json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
    languages = {
        name: json.dumps(content, indent=2, ensure_ascii=False) + "\n"
        for name, content in localization_files(manifest).items()
    }
    fd, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle, zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("manifest.json", body)
            z.writestr("color.png", color)
            z.writestr("outline.png", outline)
            for name, text in languages.items():
                z.writestr(name, text)
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target


# ---------------------------------------------------------------------- the command


def add_manifest_command(sub: Any) -> None:
    """Register `credits-bot manifest` on the CLI's subparsers."""
    p: argparse.ArgumentParser = sub.add_parser(
        "manifest",
        help="write the Teams app package (manifest.json, icons, vi.json) to upload to Teams",
        description="Write a Teams app package: a zip with manifest.json, color.png, "
        "outline.png and vi.json (Vietnamese), ready to upload in Teams (Apps > Manage your "
        "apps > Upload an app) or in the Teams admin centre.",
    )
    p.set_defaults(handler=None, direct=run_manifest)
    p.add_argument(
        "--app-id", required=True, help="the bot's Microsoft App ID (MicrosoftAppId), a GUID"
    )
    p.add_argument("--name", default=DEFAULT_NAME, help=f"app name (default {DEFAULT_NAME!r})")
    p.add_argument("--developer", default=DEFAULT_DEVELOPER, help="publisher name shown in Teams")
    p.add_argument("--website", default=DEFAULT_WEBSITE, help="publisher website (https)")
    p.add_argument("--privacy-url", help="privacy statement (default: <website>/privacy)")
    p.add_argument("--terms-url", help="terms of use (default: <website>/terms)")
    p.add_argument(
        "--app-version",
        default=DEFAULT_APP_VERSION,
        help="package version; raise it for every update you upload (default 1.0.0)",
    )
    p.add_argument(
        "--out", default="credits-bot.zip", help="zip to write (default credits-bot.zip)"
    )


def run_manifest(args: argparse.Namespace) -> int:
    try:
        manifest = build_manifest(
            args.app_id,
            args.name,
            developer=args.developer,
            website=args.website,
            privacy_url=args.privacy_url,
            terms_url=args.terms_url,
            version=args.app_version,
        )
        path = write_package(args.out, manifest, color_icon(), outline_icon())
    except ManifestError as error:
        print(f"credits-bot manifest: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"credits-bot manifest: cannot write {args.out!r}: {error}", file=sys.stderr)
        return 2
    if args.website == DEFAULT_WEBSITE:
        print(
            "note: the developer URLs are placeholders; pass --website (and --privacy-url, "
            "--terms-url) before publishing the app to your organisation",
            file=sys.stderr,
        )
    print(f"wrote Teams app package {path.resolve()} (app id {manifest['id']})")
    return 0
