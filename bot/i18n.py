"""Every fixed text the bot sends, in English, Ukrainian and Russian.

Texts live in ``bot/locales/<language>/<area>.toml`` as flat ``key = "text"``
pairs with ``{name}`` placeholders (``str.format``).  Each area (one per cog or
job) has its own file in every language; a key missing in one language fails
``tests/test_i18n.py``.  A sentence is one key: never build text by
concatenating translations.

``text(key, locale, **values)`` picks the member's language from a Discord
locale (``interaction.locale``), a language code, ``None`` (English), or the
interaction itself: then the member's own locale when the bot speaks it, else
the server's default language (``/language``), else the server's Discord
locale, else English.

A text that depends on a number has one key per plural form, ``<key>.one``,
``<key>.few`` and ``<key>.many`` (English uses ``one`` and ``many``; Ukrainian
and Russian all three); ``text(key, locale, count=n)`` picks the form.

Slash commands are localised by ``CatalogTranslator`` from ``commands.*`` keys
derived from where a string sits (``commands.ask.description``,
``commands.sources.remove.source.name`` for an option by its Python name,
``commands.choice.feed`` for a choice by its value), or from a
``locale_str(..., key="...")``.  They live in ``commands.toml``, or for a cog of
its own in ``commands-<area>.toml`` (the part of a file's name before "-" is the
prefix of its keys).
"""

from __future__ import annotations

import functools
import tomllib
from pathlib import Path

from discord import Locale, app_commands

LOCALES_DIR = Path(__file__).with_name("locales")
LANGUAGES = ("en", "uk", "ru")
DEFAULT_LANGUAGE = "en"
PLURAL_FORMS = ("one", "few", "many")


def supported_language(locale: object) -> str | None:
    """'uk', 'ru' or 'en' for a locale the bot speaks ('uk', 'en-US', ``discord.Locale.russian``), else None."""
    code = str(getattr(locale, "value", locale) or "").lower()
    base = code.split("-")[0]
    return base if base in LANGUAGES else None


def _server_default(interaction: object) -> str | None:
    """The language a moderator set for the interaction's server with /language, if any."""
    guild_id = getattr(interaction, "guild_id", None)
    state = getattr(getattr(interaction, "client", None), "state", None)
    lookup = getattr(state, "guild_language", None)
    return lookup(guild_id) if guild_id and lookup else None


def language_of(locale: object) -> str:
    """'uk', 'ru' or 'en' for a ``discord.Locale``, a code such as 'uk' or 'en-US', None, or an interaction.

    For an interaction: the member's locale when the bot speaks it, else the server's
    default (/language), else the server's Discord locale, else English.
    """
    if hasattr(locale, "guild_locale") and hasattr(locale, "locale"):  # a discord.Interaction
        return (supported_language(locale.locale) or _server_default(locale)
                or supported_language(locale.guild_locale) or DEFAULT_LANGUAGE)
    return supported_language(locale) or DEFAULT_LANGUAGE


def server_language(guild_default: str | None, guild_locale: object = None) -> str:
    """The language for a reply with no member locale (a mention): the server's default, its locale, English."""
    return supported_language(guild_default) or supported_language(guild_locale) or DEFAULT_LANGUAGE


def _flat(table: dict, prefix: str = "") -> dict[str, str]:
    """TOML's dotted keys (``ask.cooldown = ...`` is a table ``ask``) back to flat dotted keys."""
    flat: dict[str, str] = {}
    for key, value in table.items():
        if isinstance(value, dict):
            flat.update(_flat(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


@functools.cache
def catalog(language: str) -> dict[str, str]:
    """Every key of one language, from all its area files."""
    texts: dict[str, str] = {}
    for path in sorted((LOCALES_DIR / language).glob("*.toml")):
        with path.open("rb") as file:
            texts.update(_flat(tomllib.load(file)))
    return texts


def number(value: int, language: str) -> str:
    """An integer with the thousands grouped as the language writes it (1,234 / 1 234)."""
    grouped = f"{value:,}"
    return grouped if language == "en" else grouped.replace(",", "\u00a0")


def plural_form(language: str, count: int) -> str:
    """CLDR's plural category of ``count`` for integers: 'one', 'few' or 'many'."""
    count = abs(int(count))
    if language in ("uk", "ru"):
        if count % 10 == 1 and count % 100 != 11:
            return "one"
        if 2 <= count % 10 <= 4 and not 12 <= count % 100 <= 14:
            return "few"
        return "many"
    return "one" if count == 1 else "many"


def _template(key: str, language: str, values: dict[str, object]) -> str:
    texts = catalog(language)
    if key not in texts and f"{key}.one" in texts and "count" in values:
        key = f"{key}.{plural_form(language, values['count'])}"  # type: ignore[arg-type]
    return texts.get(key) or catalog(DEFAULT_LANGUAGE)[key]


def text(key: str, locale: object = None, /, **values: object) -> str:
    """The text of ``key`` in the language of ``locale`` (English when that language lacks it).

    A number passed as ``count`` picks the plural form of a key that has them; every
    integer value is shown with the language's thousands separator."""
    language = language_of(locale)
    template = _template(key, language, values)
    shown = {name: number(value, language) if isinstance(value, int) and not isinstance(value, bool) else value
             for name, value in values.items()}
    return template.format(**shown) if values else template


# --- slash commands ----------------------------------------------------------------------


def command_key(context: app_commands.TranslationContext) -> str | None:
    """The catalog key of a command, group, option or choice name or description; None for others."""
    where, data = context.location, context.data
    path = None
    if where in (app_commands.TranslationContextLocation.command_name,
                 app_commands.TranslationContextLocation.command_description,
                 app_commands.TranslationContextLocation.group_name,
                 app_commands.TranslationContextLocation.group_description):
        path = data.qualified_name.replace(" ", ".")
    elif where in (app_commands.TranslationContextLocation.parameter_name,
                   app_commands.TranslationContextLocation.parameter_description):
        path = f"{data.command.qualified_name.replace(' ', '.')}.{data.name}"
    elif where == app_commands.TranslationContextLocation.choice_name:
        return f"commands.choice.{data.value}"
    if path is None:
        return None
    kind = "name" if where.name.endswith("_name") else "description"
    return f"commands.{path}.{kind}"


TRANSLATED_LOCALES = {Locale.ukrainian: "uk", Locale.russian: "ru"}  # English is what the code declares


class CatalogTranslator(app_commands.Translator):
    """Localises command names, descriptions, options and choices into Ukrainian and Russian from the
    ``commands`` catalogs (English is what the code declares; other locales are left to it)."""

    async def translate(self, string: app_commands.locale_str, locale: Locale,
                        context: app_commands.TranslationContext) -> str | None:
        language = TRANSLATED_LOCALES.get(locale)
        if language is None:
            return None
        key = string.extras.get("key") or command_key(context)
        return catalog(language).get(key) if key else None
