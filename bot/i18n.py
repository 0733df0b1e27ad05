"""Every fixed text the bot sends, in English, Ukrainian and Russian.

Texts live in ``bot/locales/<language>/<area>.toml`` as flat ``key = "text"``
pairs with ``{name}`` placeholders (``str.format``).  Each area (one per cog or
job) has its own file in every language; a key missing in one language fails
``tests/test_i18n.py``.  A sentence is one key: never build text by
concatenating translations.

``text(key, locale, **values)`` picks the member's language from a Discord
locale (``interaction.locale``), a language code, or ``None`` (English).
"""

from __future__ import annotations

import functools
import tomllib
from pathlib import Path

LOCALES_DIR = Path(__file__).with_name("locales")
LANGUAGES = ("en", "uk", "ru")
DEFAULT_LANGUAGE = "en"


def language_of(locale: object) -> str:
    """'uk', 'ru' or 'en' for a ``discord.Locale``, a code such as 'uk' or 'en-US', or None."""
    code = str(getattr(locale, "value", locale) or "").lower()
    base = code.split("-")[0]
    return base if base in LANGUAGES else DEFAULT_LANGUAGE


@functools.cache
def catalog(language: str) -> dict[str, str]:
    """Every key of one language, from all its area files."""
    texts: dict[str, str] = {}
    for path in sorted((LOCALES_DIR / language).glob("*.toml")):
        with path.open("rb") as file:
            texts.update(tomllib.load(file))
    return texts


def text(key: str, locale: object = None, /, **values: object) -> str:
    """The text of ``key`` in the language of ``locale`` (English when that language lacks it)."""
    language = language_of(locale)
    template = catalog(language).get(key) or catalog(DEFAULT_LANGUAGE)[key]
    return template.format(**values) if values else template
