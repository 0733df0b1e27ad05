"""The bot's texts in English, Ukrainian and Russian: complete, consistent, within Discord's limits,
and nothing the bot sends bypasses them (a walk over the bot's source)."""

from __future__ import annotations

import ast
import re
import string
import tomllib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.i18n import LANGUAGES, LOCALES_DIR, PLURAL_FORMS, _flat, catalog, language_of, plural_form, text

ROOT = Path(__file__).resolve().parent.parent
AREAS = sorted({path.stem for path in LOCALES_DIR.glob("*/*.toml")})
# Discord's rule for command and option names (Cyrillic lowercase letters are \w here).
NAME = re.compile(r"^[-_\w]{1,32}$")


def area_keys(language: str, area: str) -> dict[str, str]:
    path = LOCALES_DIR / language / f"{area}.toml"
    assert path.exists(), f"{path.relative_to(ROOT)} is missing"
    with path.open("rb") as file:
        return _flat(tomllib.load(file))


def fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


@pytest.mark.parametrize("area", AREAS)
def test_every_area_has_the_same_keys_in_every_language(area):
    english = area_keys("en", area)
    assert english, f"{area}.toml has no texts"
    for language in LANGUAGES:
        keys = area_keys(language, area)
        assert set(keys) == set(english), (language, area, sorted(set(english) ^ set(keys)))
        prefix = area.split("-")[0]  # commands-threads.toml holds commands.* keys of another cog's commands
        assert all(key.startswith(f"{prefix}.") for key in keys), (language, area)


@pytest.mark.parametrize("area", AREAS)
def test_placeholders_agree_and_no_text_is_empty(area):
    english = area_keys("en", area)
    for language in LANGUAGES:
        for key, value in area_keys(language, area).items():
            assert isinstance(value, str) and value.strip() == value and value, (language, key, value)
            assert fields(value) == fields(english[key]), (language, key)


def test_plural_texts_have_every_form():
    for language in LANGUAGES:
        texts = catalog(language)
        bases = {key.rsplit(".", 1)[0] for key in texts if key.rsplit(".", 1)[-1] in PLURAL_FORMS}
        for base in bases:
            assert all(f"{base}.{form}" in texts for form in PLURAL_FORMS), (language, base)
            assert all("{count}" in texts[f"{base}.{form}"] for form in PLURAL_FORMS), (language, base)


def test_command_names_and_descriptions_keep_discords_limits():
    for language in LANGUAGES:
        for key, value in catalog(language).items():
            if not key.startswith("commands."):
                continue
            if key.startswith("commands.choice."):
                assert 1 <= len(value) <= 100, (language, key)
            elif key.endswith(".name"):
                assert NAME.match(value) and value == value.lower(), (language, key, value)
            else:
                assert key.endswith(".description") and 1 <= len(value) <= 100, (language, key, len(value))


@pytest.mark.parametrize(("count", "uk", "ru"), [
    (1, "1 абзац", "1 абзац"), (3, "3 абзаци", "3 абзаца"), (5, "5 абзаців", "5 абзацев"),
    (11, "11 абзаців", "11 абзацев"), (21, "21 абзац", "21 абзац"), (112, "112 абзаців", "112 абзацев"),
    (1024, "1\u00a0024 абзаци", "1\u00a0024 абзаца"),
])
def test_plural_forms_follow_the_language(count, uk, ru):
    assert text("moderation.paragraphs", "uk", count=count) == uk
    assert text("moderation.paragraphs", "ru", count=count) == ru
    assert text("moderation.paragraphs", "en", count=count) == f"{count:,} paragraph" + ("" if count == 1 else "s")


@given(st.integers(min_value=0, max_value=10**9))
def test_every_count_has_a_form_and_shows_its_number(count):
    for language in LANGUAGES:
        assert plural_form(language, count) in PLURAL_FORMS
        shown = text("moderation.duplicates", language, count=count)
        assert re.sub(r"\D", "", shown) == str(count), shown


@given(st.text(max_size=20))
def test_any_locale_gives_a_language_the_bot_speaks(locale):
    assert language_of(locale) in LANGUAGES


def test_discord_locales_pick_their_language():
    import discord

    assert [language_of(x) for x in (discord.Locale.ukrainian, discord.Locale.russian, discord.Locale.american_english,
                                     discord.Locale.german, "uk", "ru-RU", None)] == ["uk", "ru", "en", "en", "uk", "ru", "en"]


# --- the bot's source sends no text that bypasses the catalogs -----------------------------------

SENDERS = {"send_message", "edit_original_response", "reply", "send", "reply_private", "edit"}
ERRORS = {"CheckFailure", "AppCommandError", "TransformerError", "CrisisError", "BadInput", "BadQuestion", "BadDate",
          "NotModerator"}
TEXT_KEYWORDS = {"content", "title", "description", "label", "name", "text", "placeholder", "value"}
WORD = re.compile(r"[^\W\d_]{2,}")  # two letters in a row: a word someone reads
# Fixed strings that are not language: (file, literal).  Keep this short.
ALLOWED: set[tuple[str, str]] = set()


WRAPPERS = {"shown", "escape", "truncate", "fit", "capitalize", "join"}  # pass a text on, still untranslated


def literal_words(node: ast.AST) -> str | None:
    """The text of a string literal (or an f-string's fixed parts) when it holds a word, looking
    through ``a if c else b``, ``a or b``, ``a + b`` and wrappers such as ``shown(...)``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        fixed = node.value
    elif isinstance(node, ast.JoinedStr):
        fixed = "".join(v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str))
    else:
        if isinstance(node, ast.IfExp):
            parts = [node.body, node.orelse]
        elif isinstance(node, ast.BoolOp):
            parts = node.values
        elif isinstance(node, ast.BinOp):
            parts = [node.left, node.right]
        elif isinstance(node, ast.Call) and call_name(node) in WRAPPERS:
            parts = list(node.args) + ([node.func.value] if isinstance(node.func, ast.Attribute) else [])
        else:
            parts = []
        return next((words for part in parts if (words := literal_words(part))), None)
    return fixed if WORD.search(fixed) else None


def call_name(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def untranslated(source: str, relative: str) -> list[str]:
    """Where ``source`` (the file ``relative``) hands a literal text to Discord, sorted by line."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        name = call_name(node)
        sent = []
        if name in SENDERS or name in ERRORS:
            sent = list(node.args) + [k.value for k in node.keywords if k.arg in TEXT_KEYWORDS]
        elif name in ("Embed", "Button", "add_field", "set_footer", "set_author", "Modal", "TextInput", "Select"):
            sent = [k.value for k in node.keywords if k.arg in TEXT_KEYWORDS]
        for arg in sent:
            words = literal_words(arg)
            if words and (relative, words) not in ALLOWED:
                found.append((arg.lineno, f"{relative}:{arg.lineno}: {words!r} in {name}(...)"))
    return [line for _, line in sorted(found)]


def discord_sources() -> list[Path]:
    return [p for p in sorted((ROOT / "bot").rglob("*.py")) if not p.name.startswith("cli")]


def test_no_text_sent_to_discord_bypasses_the_catalogs():
    found = [line for path in discord_sources()
             for line in untranslated(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))]
    assert not found, "texts to move into bot/locales (text(key, interaction)):\n" + "\n".join(found)


def test_the_walk_finds_an_untranslated_reply():
    sample = ('async def f(interaction, n):\n'
              '    await interaction.response.send_message(f"Try again in {n} s.")\n'
              '    raise CheckFailure("Only moderators")\n'
              '    await interaction.followup.send(embed=discord.Embed(title="Sources", description=f"<t:{n}:R>"))\n'
              '    await interaction.edit_original_response(content=shown("Nothing yet." if n else text("x", n)))\n'
              '    await interaction.response.send_message(text("ask.cooldown", interaction, seconds=n))\n')
    found = untranslated(sample, "bot/sample.py")
    assert len(found) == 4 and "Try again in" in found[0] and "Only moderators" in found[1], found
    assert "'Sources' in Embed" in found[2] and "'Nothing yet.' in edit_original_response" in found[3], found


def test_every_key_the_bot_asks_for_exists():
    english = catalog("en")
    missing = []
    for path in [*discord_sources()]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and call_name(node) in ("text", "translated") and node.args:
                key = node.args[0]
                literal = isinstance(key, ast.Constant) and isinstance(key.value, str)
                if literal and key.value not in english and f"{key.value}.one" not in english:
                    missing.append(f"{path.relative_to(ROOT)}:{node.lineno}: {key.value}")
    assert not missing, missing


def test_a_servers_language_survives_a_restart(tmp_path):
    from bot.state import BotState

    state = BotState(tmp_path / "state.sqlite", salt="s")
    state.set_guild_language(7, "uk")
    state.set_guild_language(8, "ru")
    state.set_guild_language(8, None)
    state.close()
    again = BotState(tmp_path / "state.sqlite", salt="s")
    assert (again.guild_language(7), again.guild_language(8)) == ("uk", None)
    again.close()
