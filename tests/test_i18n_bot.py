"""The bot in the member's language, through the wire-level Discord double: Ukrainian and Russian
command names in the synced commands, replies and buttons in the asker's locale, /language."""

from __future__ import annotations

import asyncio
import re

from bot.i18n import catalog, text
from tests.discord_double.server import GUILD_ID
from tests.helpers import MOD, QUESTION, callback_of, edit_of, running_bot

NAME = re.compile(r"^[-_\w]{1,32}$")


def buttons(request) -> dict[str, dict]:
    return {c.get("label") or c["custom_id"]: c for row in request.json.get("components", []) for c in row["components"]}


def followup_of(interaction):
    return lambda r: r.method == "POST" and r.path.startswith("/webhooks/") and interaction["token"] in r.path


def option_key(prefix: str, name: str) -> str:
    """The catalog key (without .name) of the option or subcommand shown as ``name`` under ``prefix``."""
    english = catalog("en")
    return next(k[: -len(".name")] for k, v in english.items()
                if v == name and k.startswith(prefix + ".") and k.count(".") == prefix.count(".") + 2 and k.endswith(".name"))


def check_localised(item: dict, key: str, counts: dict[str, int]) -> None:
    """``item`` (a command, group, subcommand or option) in English as the catalog has it, and in uk and ru."""
    english = catalog("en")
    assert item["name"] == english[f"{key}.name"] and item["description"] == english[f"{key}.description"], key
    for language in ("uk", "ru"):
        name, description = item["name_localizations"][language], item["description_localizations"][language]
        assert name == catalog(language)[f"{key}.name"] and description == catalog(language)[f"{key}.description"], key
        assert NAME.match(name) and name == name.lower() and 1 <= len(description) <= 100, (language, key)
    counts["items"] += 1
    for choice in item.get("choices", []):
        for language in ("uk", "ru"):
            assert choice["name_localizations"][language] == catalog(language)[f"commands.choice.{choice['value']}"]
        counts["choices"] += 1
    for option in item.get("options", []):
        check_localised(option, option_key(key, option["name"]), counts)


async def test_the_synced_commands_carry_ukrainian_and_russian_names_for_everything(double, bot):
    sync = await double.wait_for(lambda r: r.method == "PUT" and r.path.endswith("/commands"))
    counts = {"items": 0, "choices": 0}
    for command in sync.json:
        if command.get("type", 1) != 1:
            continue  # a context menu: no description; tests/test_context_menu_bot.py checks its names
        check_localised(command, f"commands.{command['name']}", counts)
    names = {c["name"]: c["name_localizations"] for c in sync.json}
    assert names["ask"] == {"uk": "запитати", "ru": "спросить"} and names["sources"]["uk"] == "джерела"
    # Every command text in the catalog is in the sync, and nothing more: no stale or missing keys.
    english = catalog("en")
    items = sum(k.startswith("commands.") and not k.startswith("commands.choice.") and k.endswith(".name") for k in english)
    choices = sum(k.startswith("commands.choice.") for k in english)
    assert counts == {"items": items, "choices": choices} and items > 30, (counts, items, choices)


async def test_a_ukrainian_member_gets_ukrainian_replies_and_buttons(double, bot):
    helped = await double.slash("help", locale="uk")
    embed = (await double.wait_for(callback_of(helped))).json["data"]["embeds"][0]
    assert embed["title"] == "Довідка crisisbot" and "**/запитати** `запитання`" in embed["description"]

    asked = await double.slash("ask", {"question": QUESTION}, locale="uk")
    edit = await double.wait_for(edit_of(asked))
    labels = buttons(edit)
    assert "Показати джерела" in labels and "Більше результатів" in labels, labels
    assert edit.json["embeds"][0]["fields"][0]["name"] == "Source 1"  # the answer's own words follow the question (English)

    vote = next(c["custom_id"] for c in labels.values() if c["custom_id"].startswith("crisisbot:vote:up:"))
    clicked = await double.click(vote, locale="uk")
    assert (await double.wait_for(callback_of(clicked))).json["data"]["content"] == "Дякуємо за відгук."

    refused = await double.slash("sources list", locale="uk")
    assert (await double.wait_for(callback_of(refused))).json["data"]["content"] == text("core.not_moderator", "uk")
    assert text("core.not_moderator", "uk").startswith("Керувати джерелами можуть лише модератори")


async def test_ukrainian_search_pages_turn_in_ukrainian(double, bot):
    searched = await double.slash("search", {"query": "Minsk agreement"}, locale="uk", user=41)
    page = await double.wait_for(edit_of(searched))
    embed = page.json["embeds"][0]
    assert embed["title"] == "Уривки за запитом: Minsk agreement" and embed["footer"]["text"] == "Сторінка 1"
    assert embed["fields"][0]["name"].startswith("1. оцінка ")
    pager = buttons(page)
    assert pager["Назад"]["disabled"]
    turned = await double.click(pager["Далі"]["custom_id"], locale="uk", user=41)
    assert (await double.wait_for(edit_of(turned))).json["embeds"][0]["footer"]["text"] == "Сторінка 2"


async def test_a_russian_member_gets_russian_refusals(double, shared_service, tmp_path):
    async with running_bot(double, shared_service, tmp_path / "bot", ask_cooldown_seconds=60):
        first = await double.slash("ask", {"question": QUESTION}, locale="ru", user=51)
        await double.wait_for(edit_of(first))
        again = await double.slash("ask", {"question": QUESTION}, locale="ru", user=51)
        cooldown = (await double.wait_for(callback_of(again))).json["data"]
        assert re.fullmatch(r"Вы спрашиваете слишком быстро: попробуйте снова через \d+ с\.", cooldown["content"])
        assert cooldown["flags"] & 64

        dated = await double.slash("search", {"query": "Minsk", "since": "вчера"}, locale="ru", user=52)
        refusal = (await double.wait_for(callback_of(dated))).json["data"]["content"]
        assert refusal.startswith("от: нужна дата в формате ГГГГ-ММ-ДД, например 2022-02-17"), refusal

        empty = await double.slash("source", {"n": 3}, locale="ru", user=53)
        reply = (await double.wait_for(callback_of(empty))).json["data"]["content"]
        assert reply == "У вас ещё нет ответа с источниками: задайте вопрос командой /спросить."


async def help_title(double, **locales) -> str:
    helped = await double.slash("help", **locales)
    return (await double.wait_for(callback_of(helped))).json["data"]["embeds"][0]["title"]


async def test_a_server_default_language_serves_members_whose_language_the_bot_lacks(double, bot):
    assert await help_title(double, locale="de") == "crisisbot help"
    assert await help_title(double, locale="de", guild_locale="ru") == "Справка crisisbot"

    member = await double.slash("language", {"language": "uk"}, locale="uk")
    assert "Керувати джерелами" in (await double.wait_for(callback_of(member))).json["data"]["content"]
    assert bot.state.guild_language(GUILD_ID) is None

    chosen = await double.slash("language", {"language": "uk"}, locale="en-US", **MOD)
    reply = (await double.wait_for(callback_of(chosen))).json["data"]
    assert reply["content"].startswith("Default language of this server: Ukrainian.") and reply["flags"] & 64
    assert bot.state.guild_language(GUILD_ID) == "uk"
    assert await help_title(double, locale="de", guild_locale="ru") == "Довідка crisisbot"  # the server's choice first
    assert await help_title(double, locale="en-US") == "crisisbot help"  # a member's own language still wins
    assert await help_title(double, locale="ru") == "Справка crisisbot"

    shown = await double.slash("language", locale="ru", **MOD)
    assert (await double.wait_for(callback_of(shown))).json["data"]["content"] == "Язык этого сервера по умолчанию: украинский."

    cleared = await double.slash("language", {"language": "auto"}, locale="de", **MOD)
    assert (await double.wait_for(callback_of(cleared))).json["data"]["content"] == text("language.cleared", "en")  # said after the change
    assert bot.state.guild_language(GUILD_ID) is None
    assert await help_title(double, locale="de", guild_locale="ru") == "Справка crisisbot"
    for _ in range(100):  # the audit row is written just after the reply
        audit = [(e.action, e.result) for e in bot.state.recent_audit(2)]
        if audit[0] == ("language", "auto"):
            break
        await asyncio.sleep(0.05)
    assert audit == [("language", "auto"), ("language", "uk")]


async def test_a_mention_is_answered_in_the_servers_language(double, bot):
    chosen = await double.slash("language", {"language": "ru"}, **MOD)
    await double.wait_for(callback_of(chosen))
    await double.mention(f"<@{bot.user.id}>   ")
    reply = await double.wait_for(lambda r: r.method == "POST" and r.path.endswith("/messages") and r.json.get("content"))
    assert reply.json["content"] == "Вопрос пустой."
    await double.mention(f"<@{bot.user.id}> {QUESTION}")
    answer = await double.wait_for(lambda r: r.method == "POST" and r.path.endswith("/messages") and r.json.get("embeds"))
    assert "Показать источники" in buttons(answer) and "Больше результатов" in buttons(answer)


async def test_a_ukrainian_moderator_manages_sources_in_ukrainian(double, bot):
    listed = await double.slash("sources list", locale="uk", **MOD)
    embed = (await double.wait_for(callback_of(listed))).json["data"]["embeds"][0]
    count = len(bot.service.documents())
    assert embed["title"] == f"Джерела ({count})" and embed["footer"]["text"] == "Сторінка 1 з 1"
    assert re.search(r"· \d+ абзац(и|ів)?$", embed["description"].splitlines()[0]), embed["description"]

    neither = await double.slash("sources add", locale="uk", **MOD)
    reply = (await double.wait_for(callback_of(neither))).json["data"]["content"]
    assert reply == "Укажіть або `посилання`, або `файл` (щось одне)."

    status = await double.slash("feeds status", locale="ru", **MOD)
    embed = (await double.wait_for(callback_of(status))).json["data"]["embeds"][0]
    assert embed["title"] == "Состояние лент" and embed["description"] == "Пока ни одной: /ленты добавить ссылка:"
    assert embed["footer"]["text"].startswith("Проверяю, не пора ли опрашивать, раз в ")


async def test_a_bot_without_an_index_says_so_in_the_members_language(double, empty_service, tmp_path):
    async with running_bot(double, empty_service, tmp_path / "bot", ask_cooldown_seconds=0):
        asked = await double.slash("ask", {"question": QUESTION}, locale="uk")
        reply = await double.wait_for(lambda r: asked["token"] in r.path and r.method in ("PATCH", "POST")
                                      and "content" in (r.json or {}) and r.json["content"])
        assert reply.json["content"] == "У мене ще немає індексу; модератор може запустити /переіндексувати."
