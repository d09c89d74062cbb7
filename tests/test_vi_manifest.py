"""The Teams app package in Vietnamese: `localizationInfo` in the manifest and `vi.json` in the
zip, checked against the rules of Teams' localization file schema (the same manifest version's
MicrosoftTeams.Localization.schema.json: its known keys, the key patterns of the command lists,
the length limits, the required keys), and each Vietnamese command title, which Teams sends as
the message when a Vietnamese user picks it, parsed to the English command's intent."""

from __future__ import annotations

import json
import re
import unicodedata
import zipfile
from pathlib import Path
from typing import Any

import pytest

from bot import cli
from bot.manifest import MANIFEST_VERSION, build_manifest, build_vi_localization
from credits.i18n import Lang, speaking
from credits.money import AmountLimits, currency
from dialogs.intents import Kind, parse_intent

APP_ID = "1B2C3D4E-5F60-4718-9A0B-C1D2E3F4A5B6"

# MicrosoftTeams.Localization.schema.json (the keys a bot's package can use) and their limits
FIXED = {"name.short": 30, "name.full": 100, "description.short": 80, "description.full": 4000}
REQUIRED = ("name.short", "description.short", "description.full")
PATTERNS = {
    re.compile(r"^bots\[0\]\.commandLists\[[0-2]\]\.commands\[[0-9]\]\.title$"): 32,
    re.compile(r"^bots\[0\]\.commandLists\[[0-2]\]\.commands\[[0-9]\]\.description$"): 128,
}


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("package") / "credits-bot.zip"
    argv = ["manifest", "--app-id", APP_ID, "--developer", "Contoso"]
    argv += ["--website", "https://contoso.example/credits", "--out", str(out)]
    assert cli.main(argv) == 0
    with zipfile.ZipFile(out) as z:
        assert z.testzip() is None
        files = {info.filename: z.read(info) for info in z.infolist()}
    return {
        "names": sorted(files),
        "manifest": json.loads(files["manifest.json"]),
        "vi": json.loads(files["vi.json"].decode("utf-8")),
    }


def test_the_manifest_names_english_and_the_vietnamese_file(package: dict[str, Any]) -> None:
    assert package["names"] == ["color.png", "manifest.json", "outline.png", "vi.json"]
    assert package["manifest"]["localizationInfo"] == {
        "defaultLanguageTag": "en",
        "additionalLanguages": [{"languageTag": "vi", "file": "vi.json"}],
    }


def test_vi_json_fits_the_localization_schema(package: dict[str, Any]) -> None:
    vi = package["vi"]
    assert vi["$schema"] == (
        f"https://developer.microsoft.com/json-schemas/teams/v{MANIFEST_VERSION}/"
        "MicrosoftTeams.Localization.schema.json"
    )
    for key in REQUIRED:
        assert key in vi, key
    for key, value in vi.items():
        if key == "$schema":
            continue
        assert isinstance(value, str) and value.strip(), key
        assert unicodedata.is_normalized("NFC", value), key
        limit = FIXED.get(key)
        if limit is None:
            [limit] = [n for pattern, n in PATTERNS.items() if pattern.match(key)] or [None]
        assert limit is not None, f"{key} is not a key of the localization schema"
        assert len(value) <= limit, (key, len(value), limit)


def test_vi_json_translates_the_name_descriptions_and_every_command(
    package: dict[str, Any],
) -> None:
    manifest, vi = package["manifest"], package["vi"]
    assert vi["name.short"] == "Tín dụng Liên lạc"  # the default name "Credits"
    assert vi["name.full"] == "Tín dụng Liên lạc Teams: số dư, nạp tiền, cảnh báo"
    assert "Tín dụng Liên lạc" in vi["name.full"]
    assert "Tín dụng Liên lạc" in vi["description.short"]
    assert "Tín dụng Liên lạc" in vi["description.full"]
    assert '"nạp 50 đô"' in vi["description.full"]
    english = {
        manifest["name"]["full"],
        manifest["description"]["short"],
        manifest["description"]["full"],
    }
    assert not english & set(vi.values())
    [bot] = manifest["bots"]
    for n, entry in enumerate(bot["commandLists"]):
        for c, command in enumerate(entry["commands"]):
            key = f"bots[0].commandLists[{n}].commands[{c}]"
            assert vi[f"{key}.title"] != command["title"], key
            assert vi[f"{key}.description"] != command["description"], key
    titles = [vi[f"bots[0].commandLists[0].commands[{c}].title"] for c in range(10)]
    assert len(set(titles)) == len(titles)
    # a channel's list says "this conversation", like the English one
    assert (
        vi["bots[0].commandLists[1].commands[7].description"]
        != (vi["bots[0].commandLists[0].commands[7].description"])
    )


def test_each_vietnamese_title_means_what_the_english_command_means(
    package: dict[str, Any],
) -> None:
    """Picking a command in a Vietnamese Teams sends the Vietnamese title: the same intent,
    the same amounts, no refusal."""
    manifest, vi = package["manifest"], package["vi"]
    usd, limits = currency("USD"), AmountLimits()
    [bot] = manifest["bots"]
    for n, entry in enumerate(bot["commandLists"]):
        for c, command in enumerate(entry["commands"]):
            title = vi[f"bots[0].commandLists[{n}].commands[{c}].title"]
            want = parse_intent(command["title"], usd, limits)
            with speaking(Lang.VI):
                got = parse_intent(title, usd, limits, lang=Lang.VI)
            assert got.kind is want.kind, (title, got.kind, want.kind)
            assert got.error is None, (title, got.error)
            assert (got.amount, got.trigger) == (want.amount, want.trigger), title


def test_a_name_the_admin_chose_is_kept(tmp_path: Path) -> None:
    vi = build_vi_localization(build_manifest(APP_ID, "Contoso Calls"))
    assert vi["name.short"] == "Contoso Calls"
    assert vi["name.full"].startswith("Contoso Calls - ")
    assert "Contoso Calls" in vi["description.full"]


def test_the_phrases_the_vietnamese_description_suggests_are_understood(
    package: dict[str, Any],
) -> None:
    phrases = re.findall(r'"([^"]+)"', package["vi"]["description.full"])
    usd, limits = currency("USD"), AmountLimits()
    with speaking(Lang.VI):
        kinds = [parse_intent(p, usd, limits, lang=Lang.VI).kind for p in phrases]
    assert kinds == [
        Kind.ADD_FUNDS,
        Kind.RECHARGE,
        Kind.ALERTS_HERE,
        Kind.ALERTS_STOP,
        Kind.HELP,
    ], phrases
