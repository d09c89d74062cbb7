"""`credits-bot manifest`: the Teams app package, checked the way Teams reads it — unzip it,
read manifest.json against the schema's rules, and decode the two PNGs byte by byte."""

from __future__ import annotations

import json
import re
import struct
import subprocess
import sys
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot import cli
from bot.manifest import (
    ACCENT_COLOR,
    MANIFEST_VERSION,
    ManifestError,
    build_manifest,
    color_icon,
    encode_png,
    outline_icon,
    write_package,
)
from credits.money import AmountLimits, currency
from dialogs.intents import Kind, parse_intent

APP_ID = "1B2C3D4E-5F60-4718-9A0B-C1D2E3F4A5B6"
GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
ROOT = Path(__file__).resolve().parent.parent
REQUIRED = ("manifestVersion", "version", "id", "developer", "name", "description", "icons")

# ---------------------------------------------------------------------- a PNG reader of our own


@dataclass
class Png:
    width: int
    height: int
    bit_depth: int
    color_type: int
    pixels: list[tuple[int, int, int, int]]  # RGBA, row by row

    def at(self, x: int, y: int) -> tuple[int, int, int, int]:
        return self.pixels[y * self.width + x]


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else b if pb <= pc else c


def read_png(data: bytes) -> Png:
    """Parse chunks (checking every CRC), read IHDR, inflate IDAT, undo the row filters."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG signature"
    offset, chunks = 8, []
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        body = data[offset + 8 : offset + 8 + length]
        (crc,) = struct.unpack(">I", data[offset + 8 + length : offset + 12 + length])
        assert crc == zlib.crc32(kind + body) & 0xFFFFFFFF, f"bad CRC in {kind!r}"
        chunks.append((kind, body))
        offset += 12 + length
    assert chunks[0][0] == b"IHDR" and chunks[-1][0] == b"IEND"
    width, height, depth, ctype, compression, filter_method, interlace = struct.unpack(
        ">IIBBBBB", chunks[0][1]
    )
    assert (depth, ctype, compression, filter_method, interlace) == (8, 6, 0, 0, 0)
    raw = zlib.decompress(b"".join(body for kind, body in chunks if kind == b"IDAT"))
    stride, bpp = width * 4, 4
    assert len(raw) == height * (stride + 1)
    rows: list[bytearray] = []
    previous = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind_of_filter, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            left = line[i - bpp] if i >= bpp else 0
            up, up_left = previous[i], previous[i - bpp] if i >= bpp else 0
            predictor = (0, left, up, (left + up) // 2, _paeth(left, up, up_left))[kind_of_filter]
            line[i] = (line[i] + predictor) & 0xFF
        rows.append(line)
        previous = line
    pixels = [
        (row[i], row[i + 1], row[i + 2], row[i + 3]) for row in rows for i in range(0, stride, 4)
    ]
    return Png(width, height, depth, ctype, pixels)


def ihdr_size(data: bytes) -> tuple[int, int]:
    """Width and height straight from the IHDR chunk, the first chunk after the signature."""
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


# ---------------------------------------------------------------------- the package, built once


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("package") / "credits-bot.zip"
    argv = ["manifest", "--app-id", APP_ID, "--name", "Credits", "--developer", "Contoso"]
    argv += ["--website", "https://contoso.example/credits", "--out", str(out)]
    assert cli.main(argv) == 0
    with zipfile.ZipFile(out) as z:
        assert z.testzip() is None
        names = z.namelist()
        files = {name: z.read(name) for name in names}
    return {
        "path": out,
        "names": names,
        "files": files,
        "manifest": json.loads(files["manifest.json"]),
    }


def test_the_zip_holds_exactly_its_four_files_at_its_root(package: dict[str, Any]) -> None:
    assert sorted(package["names"]) == ["color.png", "manifest.json", "outline.png", "vi.json"]
    manifest = package["manifest"]
    assert set(manifest["icons"].values()) == {"color.png", "outline.png"}


def test_manifest_has_the_required_fields_for_its_schema_version(package: dict[str, Any]) -> None:
    manifest = package["manifest"]
    for key in (*REQUIRED, "accentColor"):
        assert key in manifest, key
    version = manifest["manifestVersion"]
    assert version == MANIFEST_VERSION
    assert manifest["$schema"] == (
        f"https://developer.microsoft.com/json-schemas/teams/v{version}/MicrosoftTeams.schema.json"
    )
    assert tuple(int(part) for part in version.split(".")) >= (1, 19)
    assert re.fullmatch(r"\d+\.\d+\.\d+", manifest["version"])
    assert re.fullmatch(r"#[0-9a-fA-F]{6}", manifest["accentColor"])


def test_app_id_and_bot_id_are_the_given_guid(package: dict[str, Any]) -> None:
    manifest = package["manifest"]
    assert GUID.match(manifest["id"])
    assert manifest["id"] == APP_ID.lower()
    (bot,) = manifest["bots"]
    assert bot["botId"] == manifest["id"]


def test_names_descriptions_and_developer_fit_the_schema(package: dict[str, Any]) -> None:
    manifest = package["manifest"]
    assert manifest["name"]["short"] == "Credits"
    assert len(manifest["name"]["short"]) <= 30
    assert 0 < len(manifest["name"]["full"]) <= 100
    assert 0 < len(manifest["description"]["short"]) <= 80
    assert len(manifest["description"]["short"]) < len(manifest["description"]["full"]) <= 4000
    developer = manifest["developer"]
    assert developer == {
        "name": "Contoso",
        "websiteUrl": "https://contoso.example/credits",
        "privacyUrl": "https://contoso.example/credits/privacy",
        "termsOfUseUrl": "https://contoso.example/credits/terms",
    }


def test_bot_is_conversational_in_all_three_scopes(package: dict[str, Any]) -> None:
    (bot,) = package["manifest"]["bots"]
    assert bot["scopes"] == ["personal", "team", "groupChat"]
    assert bot["supportsFiles"] is False
    assert bot["isNotificationOnly"] is False


def test_a_command_list_per_scope_with_the_main_commands(package: dict[str, Any]) -> None:
    (bot,) = package["manifest"]["bots"]
    lists = bot["commandLists"]
    assert [scope for entry in lists for scope in entry["scopes"]] == [
        "personal",
        "team",
        "groupChat",
    ]
    for entry in lists:
        commands = entry["commands"]
        assert 0 < len(commands) <= 10
        titles = [command["title"] for command in commands]
        assert len(set(titles)) == len(titles)
        for command in commands:
            assert set(command) == {"title", "description"}
            assert 0 < len(command["title"]) <= 32
            assert 0 < len(command["description"]) <= 128
        assert titles == [
            "balance",
            "add $50 credits",
            "set auto-recharge $100 below $20",
            "turn off auto-recharge",
            "history",
            "top callers",
            "connect usage",
            "send alerts here",
            "stop alerts here",
            "help",
        ]


def test_every_command_title_is_something_the_bot_understands(package: dict[str, Any]) -> None:
    """Picking a command in Teams sends its title as the message: each must parse."""
    (bot,) = package["manifest"]["bots"]
    usd, limits = currency("USD"), AmountLimits()
    kinds = {
        command["title"]: parse_intent(command["title"], usd, limits)
        for command in bot["commandLists"][0]["commands"]
    }
    assert {title: intent.kind for title, intent in kinds.items()} == {
        "balance": Kind.BALANCE,
        "add $50 credits": Kind.ADD_FUNDS,
        "set auto-recharge $100 below $20": Kind.RECHARGE,
        "turn off auto-recharge": Kind.RECHARGE_OFF,
        "history": Kind.HISTORY,
        "top callers": Kind.USAGE_REPORT,
        "connect usage": Kind.USAGE_CONNECT,
        "send alerts here": Kind.ALERTS_HERE,
        "stop alerts here": Kind.ALERTS_STOP,
        "help": Kind.HELP,
    }
    plain = {
        title: (
            intent.error,
            intent.amount.plain() if intent.amount else None,
            intent.trigger.plain() if intent.trigger else None,
        )
        for title, intent in kinds.items()
    }
    assert plain["add $50 credits"] == (None, "50.00", None)
    assert plain["set auto-recharge $100 below $20"] == (None, "100.00", "20.00")


def test_no_permissions_beyond_what_a_bot_needs(package: dict[str, Any]) -> None:
    manifest = package["manifest"]
    assert manifest.get("permissions", []) == []
    assert "authorization" not in manifest  # no resource-specific consent
    assert "webApplicationInfo" not in manifest
    assert manifest["validDomains"] == []
    assert set(manifest) <= {
        "$schema",
        *REQUIRED,
        "accentColor",
        "bots",
        "validDomains",
        "localizationInfo",
    }


def test_color_icon_is_192_square_and_opaque(package: dict[str, Any]) -> None:
    data = package["files"]["color.png"]
    assert ihdr_size(data) == (192, 192)
    png = read_png(data)
    assert (png.width, png.height, png.bit_depth, png.color_type) == (192, 192, 8, 6)
    assert all(alpha == 255 for *_, alpha in png.pixels)
    accent = tuple(int(ACCENT_COLOR[i : i + 2], 16) for i in (1, 3, 5))
    for x, y in ((0, 0), (191, 0), (0, 191), (191, 191)):
        assert png.at(x, y)[:3] == accent
    assert png.at(96, 40)[:3] != accent  # the coin is in the middle
    assert len(set(png.pixels)) > 20  # a picture, not a flat square


def test_outline_icon_is_32_square_white_on_transparent(package: dict[str, Any]) -> None:
    data = package["files"]["outline.png"]
    assert ihdr_size(data) == (32, 32)
    png = read_png(data)
    assert (png.width, png.height, png.color_type) == (32, 32, 6)
    visible = [pixel for pixel in png.pixels if pixel[3] > 0]
    assert visible, "the outline is empty"
    assert all(pixel[:3] == (255, 255, 255) for pixel in visible)
    assert sum(1 for pixel in png.pixels if pixel[3] == 0) > len(png.pixels) // 2
    assert any(pixel[3] == 255 for pixel in visible)
    for x, y in ((0, 0), (31, 0), (0, 31), (31, 31), (16, 16)):
        assert png.at(x, y)[3] == 0  # transparent corners and centre: an outline, not a fill


def test_command_prints_where_it_wrote(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "pkg.zip"
    assert cli.main(["manifest", "--app-id", APP_ID, "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert str(out.resolve()) in captured.out
    assert "placeholders" in captured.err  # the default example.com URLs are called out
    with zipfile.ZipFile(out) as z:
        manifest = json.loads(z.read("manifest.json"))
    assert manifest["name"]["short"] == "Credits"


@pytest.mark.parametrize("app_id", ["nope", "", "1b2c3d4e5f6047189a0bc1d2e3f4a5b6", APP_ID + "0"])
def test_an_app_id_that_is_not_a_guid_exits_2(
    app_id: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "pkg.zip"
    assert cli.main(["manifest", "--app-id", app_id, "--out", str(out)]) == 2
    assert "--app-id must be a GUID" in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--name", "A name far too long for the Teams app bar"], "the limit is 30"),
        (["--developer", "D" * 33], "the limit is 32"),
        (["--website", "http://contoso.example"], "https:// URL"),
        (["--privacy-url", "contoso.example/privacy"], "https:// URL"),
        (["--app-version", "1.0"], "1.0.0"),
    ],
)
def test_values_the_schema_would_refuse_exit_2(
    extra: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "pkg.zip"
    assert cli.main(["manifest", "--app-id", APP_ID, *extra, "--out", str(out)]) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()


def test_refuses_to_overwrite_a_file_that_is_not_a_zip(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    precious = tmp_path / "notes.zip"
    precious.write_text("not a zip at all")
    assert cli.main(["manifest", "--app-id", APP_ID, "--out", str(precious)]) == 2
    assert "not a zip file" in capsys.readouterr().err
    assert precious.read_text() == "not a zip at all"

    text = tmp_path / "manifest.json"
    assert cli.main(["manifest", "--app-id", APP_ID, "--out", str(text)]) == 2
    assert "must be a .zip" in capsys.readouterr().err
    assert not text.exists()

    assert cli.main(["manifest", "--app-id", APP_ID, "--out", str(tmp_path)]) == 2
    assert list(tmp_path.iterdir()) == [precious]  # nothing left behind


def test_overwrites_an_earlier_package(tmp_path: Path) -> None:
    out = tmp_path / "credits-bot.zip"
    assert cli.main(["manifest", "--app-id", APP_ID, "--out", str(out)]) == 0
    again = ["manifest", "--app-id", APP_ID, "--app-version", "1.0.1", "--out", str(out)]
    assert cli.main(again) == 0
    with zipfile.ZipFile(out) as z:
        assert json.loads(z.read("manifest.json"))["version"] == "1.0.1"
    assert [p.name for p in tmp_path.iterdir()] == ["credits-bot.zip"]


def test_console_command_end_to_end(tmp_path: Path) -> None:
    out = tmp_path / "credits-bot.zip"
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "manifest", "--app-id", APP_ID, "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert f"wrote Teams app package {out.resolve()}" in result.stdout
    with zipfile.ZipFile(out) as z:
        assert json.loads(z.read("manifest.json"))["bots"][0]["botId"] == APP_ID.lower()
    bad = subprocess.run(
        [sys.executable, "-m", "bot.cli", "manifest", "--app-id", "x", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert bad.returncode == 2 and "GUID" in bad.stderr


# ---------------------------------------------------------------------- the pure functions


def test_build_manifest_is_pure_and_deterministic() -> None:
    assert build_manifest(APP_ID, "Credits") == build_manifest(APP_ID, "Credits")
    with pytest.raises(ManifestError):
        build_manifest("not-a-guid", "Credits")


def test_icons_are_deterministic() -> None:
    assert color_icon() == color_icon()
    assert outline_icon() == outline_icon()


def test_png_encoder_round_trips() -> None:
    pixels = [(x * 60, y * 80, 7, 255 - x) for y in range(3) for x in range(4)]
    png = read_png(encode_png(4, 3, pixels))
    assert (png.width, png.height) == (4, 3)
    assert png.pixels == pixels
    with pytest.raises(ValueError):
        encode_png(2, 2, pixels)


def test_write_package_refuses_a_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match="does not exist"):
        write_package(tmp_path / "nowhere" / "p.zip", build_manifest(APP_ID), b"", b"")
