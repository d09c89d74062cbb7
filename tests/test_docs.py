"""The README's settings table and `.env.example` name exactly the settings the code reads."""

from __future__ import annotations

import os
import re
import subprocess
import sys
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


def test_the_python_example_runs_as_documented(tmp_path: Path) -> None:
    """docs/python.md's example, run as a reader would, on a new database."""
    text = (ROOT / "docs" / "python.md").read_text()
    code = text.split("```python\n", 1)[1].split("```", 1)[0]
    script = tmp_path / "example.py"
    script.write_text(code)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("CREDITS_")},
        "CREDITS_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'example.db'}",
    }
    done = subprocess.run(
        [sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert "succeeded" in lines[0] and "100" in lines[0]
    assert lines[1] == "$115.00"
    assert "recharge_succeeded" in lines[2]
