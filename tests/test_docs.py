"""The README's settings table and `.env.example` name exactly the settings the code reads."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import AliasChoices

from bot.settings import Settings
from credits.config import CreditsConfig

ROOT = Path(__file__).resolve().parent.parent


def environment_names() -> set[str]:
    names = set()
    for name, field in Settings.model_fields.items():
        if name == "credits":
            continue
        alias = field.validation_alias
        assert isinstance(alias, AliasChoices), name
        first = alias.choices[0]
        assert isinstance(first, str)
        names.add(first)
    prefix = str(CreditsConfig.model_config.get("env_prefix", ""))
    names |= {prefix + name.upper() for name in CreditsConfig.model_fields}
    return names


def readme_settings_table() -> set[str]:
    text = (ROOT / "README.md").read_text()
    header = text.index("| variable | default | meaning |")
    rows = []
    for line in text[header:].splitlines()[2:]:
        if not line.startswith("|"):
            break
        rows.append(line.split("|")[1])
    return {name for row in rows for name in re.findall(r"`([A-Za-z_]+)`", row)}


def test_every_setting_is_in_the_readme_table_and_nothing_else() -> None:
    assert readme_settings_table() == environment_names()


def test_env_example_names_only_real_settings() -> None:
    lines = (ROOT / ".env.example").read_text().splitlines()
    named = {
        line.lstrip("# ").split("=", 1)[0] for line in lines if re.match(r"^#? ?[A-Za-z_]+=", line)
    }
    assert named and named <= environment_names()
    assert {"MicrosoftAppId", "MicrosoftAppPassword"} <= named
