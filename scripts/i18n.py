"""The message catalogues: extract every message marked in the code (``t``, ``tn``, ``N_``) with
Babel, keep each language's ``.po`` files in step with the code, and check them.

    python scripts/i18n.py update [cards.po ...]  # add new messages (empty), drop gone ones
    python scripts/i18n.py check    # list messages with no translation or wrong placeholders

Each message goes to one ``.po`` file, chosen by where the code that says it lives (``FILES``);
the bot reads every ``.po`` of a language (``credits/i18n.py``). The tests run the same check.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

with warnings.catch_warnings():  # Babel 2.9.1's catalogue module imports the old `cgi`
    warnings.simplefilter("ignore", DeprecationWarning)
    from babel.messages.catalog import Catalog
    from babel.messages.extract import extract_from_file
    from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
LOCALE_DIR = ROOT / "credits" / "locale"
LANGUAGES = ("vi",)
PACKAGES = ("bot", "cards", "credits", "dialogs")
KEYWORDS = {"t": None, "tn": (1, 2), "N_": None}
# (path prefix, .po file): the first prefix that matches a source file decides its catalogue
FILES = (
    *(  # the admin controls: each area's modules (credits/caps.py, dialogs/caps_intents.py...)
        (f"{package}/{area}", f"{area}.po")
        for area in ("caps", "admins", "audit", "statement")
        for package in ("credits", "dialogs", "cards", "bot")
    ),
    ("credits/money/", "money.po"),
    ("cards/alerts", "alerts.po"),
    ("cards/usage", "usage.po"),
    ("dialogs/intents", "intents.po"),
    ("dialogs/", "dialogs.po"),
    ("cards/", "cards.po"),
    ("credits/", "credits.po"),
    ("bot/", "bot.po"),
)


HEADER = (
    "# The bot's messages in this language. Kept in step with the code by\n"
    "# `python scripts/i18n.py update`; translate the empty msgstr entries."
)
FIXED = datetime(2026, 12, 7, tzinfo=UTC)  # no date churn in the files on every update


@dataclass(frozen=True, slots=True)
class Found:
    """One marked message: its id (a plural's singular and plural), where, and its .po file."""

    msgid: str | tuple[str, str]
    where: str
    po: str


def po_file(relative: str) -> str:
    return next(po for prefix, po in FILES if relative.startswith(prefix))


def extracted(root: Path = ROOT) -> Iterator[Found]:
    """Every message marked in the bot's code, in file order."""
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            relative = path.relative_to(root).as_posix()
            if "/migrations/" in relative:
                continue
            for lineno, message, _comments, _context in extract_from_file(
                "python", str(path), keywords=KEYWORDS
            ):
                msgid = tuple(message) if isinstance(message, tuple | list) else message
                yield Found(msgid, f"{relative}:{lineno}", po_file(relative))  # type: ignore[arg-type]


def read(path: Path, lang: str) -> Catalog:
    if not path.exists():
        return Catalog(locale=lang)
    with path.open("rb") as handle:
        return read_po(handle, locale=lang)


def update(root: Path = ROOT, only: set[str] | None = None) -> None:
    """Each .po file gets the messages its code says (new ones untranslated) and loses the
    messages no code says any more; translations already there are kept as they are."""
    wanted: dict[str, dict[str | tuple[str, str], list[str]]] = {}
    for found in extracted(root):
        wanted.setdefault(found.po, {}).setdefault(found.msgid, []).append(found.where)
    for lang in LANGUAGES:
        for _prefix, po in FILES:
            if only is not None and po not in only:
                continue
            path = root / "credits" / "locale" / lang / po
            old = read(path, lang)
            new = Catalog(
                locale=lang,
                header_comment=HEADER,
                project="credits-bot",
                creation_date=FIXED,
                revision_date=FIXED,
                last_translator="credits-bot",
                language_team="credits-bot",
                fuzzy=False,
            )
            for msgid, where in wanted.get(po, {}).items():
                key = msgid[0] if isinstance(msgid, tuple) else msgid
                kept = old.get(key)
                string = (
                    kept.string
                    if kept is not None
                    else ("", "")
                    if isinstance(msgid, tuple)
                    else ""
                )
                flags = kept.flags if kept is not None else ()
                new.add(msgid, string, locations=[_loc(w) for w in where], flags=flags)
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("wb") as handle:
                write_po(handle, new, width=100, sort_output=True, include_lineno=False)


def _loc(where: str) -> tuple[str, int]:
    file, line = where.rsplit(":", 1)
    return file, int(line)


def problems(root: Path = ROOT) -> list[str]:
    """Messages said in the code with no translation in some language, or whose translation
    has other ``{placeholders}`` than the English."""
    sys.path.insert(0, str(root))
    from credits.i18n import placeholders

    out: list[str] = []
    for lang in LANGUAGES:
        translated: dict[str, str | tuple[str, ...]] = {}
        for path in sorted((root / "credits" / "locale" / lang).glob("*.po")):
            for message in read(path, lang):
                if message.id and not message.fuzzy:
                    key = message.id[0] if isinstance(message.id, tuple | list) else message.id
                    string = message.string
                    value = tuple(string) if isinstance(string, tuple | list) else string
                    if not value or not all(value):
                        continue
                    if key in translated and translated[key] != value:
                        out.append(
                            f"{lang}: {path.name}: {key!r} is translated differently in two files"
                        )
                    translated[key] = value
        for found in extracted(root):
            key = found.msgid[0] if isinstance(found.msgid, tuple) else found.msgid
            english = found.msgid if isinstance(found.msgid, tuple) else (found.msgid,)
            forms = translated.get(key)
            strings = forms if isinstance(forms, tuple) else (forms,) if forms else ()
            if not strings or not all(strings):
                out.append(f"{lang}: {found.where}: no translation for {key!r}")
                continue
            want = placeholders(english[0]) | placeholders(english[-1])
            for string in strings:
                if placeholders(string) != want:
                    out.append(
                        f"{lang}: {found.where}: placeholders {sorted(placeholders(string))} "
                        f"in the translation of {key!r}, the English has {sorted(want)}"
                    )
    return out


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else "check"
    if command == "update":
        update(only=set(argv[2:]) or None)
        return 0
    if command == "check":
        found = problems()
        for line in found:
            print(line)
        print(f"{len(found)} problem(s)")
        return 1 if found else 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
