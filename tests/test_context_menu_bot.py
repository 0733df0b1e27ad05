"""'Ask crisisbot about this message' through the real bot and the Discord double: a message context-menu
command whose message text is checked as a claim, privately, saying plainly when no source supports it."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.cogs.context_menu import MENU_NAME, UncheckableClaim, claim_question
from tests.discord_double.server import CHANNEL_ID
from tests.helpers import callback_of, edit_of

pytestmark = pytest.mark.timeout(90)

SUPPORTED = "Blinken sent a letter to Lavrov proposing that they meet next week in Europe."
UNSUPPORTED = "The best chocolate chip cookies are made with browned butter and sea salt."


async def ask_about(double, content: str, *, user: int = 1001, guild: bool = True, locale: str = "en-US"):
    target = double.member_message(content, channel_id=CHANNEL_ID, user=2002, mentions_bot=False)
    target["content"] = content  # message commands carry the message's text, Message Content intent or not
    interaction = await double.message_command(MENU_NAME, target, user=user, guild=guild, locale=locale)
    return interaction, await double.wait_for(callback_of(interaction))


async def test_the_menu_is_synced_as_a_message_command(double, bot):
    sync = await double.wait_for(lambda r: r.method == "PUT" and r.path.endswith("/commands"))
    menu = next(c for c in sync.json if c["name"] == MENU_NAME)
    assert menu["type"] == 3 and sorted(menu["contexts"]) == [0, 1, 2]
    assert menu["name_localizations"] == {"uk": "Спитати crisisbot про це", "ru": "Спросить crisisbot об этом"}
    settings = next(c for c in sync.json if c["name"] == "settings")
    assert settings["name_localizations"] == {"uk": "налаштування", "ru": "настройки"}
    assert int(settings["default_member_permissions"]) == 32 and settings["contexts"] == [0]  # Manage Server, servers only


async def test_a_claim_the_sources_support_is_answered_privately_with_citations(double, bot):
    interaction, callback = await ask_about(double, f"<@{bot.user.id}> {SUPPORTED}")
    assert callback.json["type"] == 5 and callback.json["data"]["flags"] & 64
    edit = await double.wait_for(edit_of(interaction))
    assert edit.json["content"] == "Sources on this claim:" and edit.json["allowed_mentions"] == {"parse": []}
    embed = edit.json["embeds"][0]
    assert embed["title"] == SUPPORTED  # the mention stripped
    assert "[1]" in embed["description"] and "Lavrov" in embed["description"]
    assert "cnn.com" in " ".join(f["value"] for f in embed["fields"])


async def test_an_unsupported_claim_says_so_plainly(double, bot):
    interaction, callback = await ask_about(double, UNSUPPORTED, guild=False)
    assert callback.json["data"]["flags"] & 64
    edit = await double.wait_for(edit_of(interaction))
    assert edit.json["content"] == "I found nothing in my sources that supports this."
    assert "[1]" not in edit.json["embeds"][0]["description"] and not edit.json["embeds"][0].get("fields")


async def test_the_reply_is_in_the_members_language(double, bot):
    interaction, _ = await ask_about(double, UNSUPPORTED, locale="uk")
    edit = await double.wait_for(edit_of(interaction))
    assert edit.json["content"] == "Я не знайшов у своїх джерелах нічого, що це підтверджує."
    _, callback = await ask_about(double, "", locale="ru")
    assert callback.json["data"]["content"] == "В этом сообщении нет текста, который я могу проверить."


async def test_a_long_message_is_cut_to_its_first_sentences(double, bot):
    tail = "He also proposed meetings of the NATO-Russia Council and the OSCE. " * 10
    content = f"{SUPPORTED} {tail}"
    assert len(content) > 500 and len(SUPPORTED) < 500
    interaction, _ = await ask_about(double, content)
    edit = await double.wait_for(edit_of(interaction))
    title = edit.json["embeds"][0]["title"]
    assert title.startswith(SUPPORTED)  # answered, not refused as too long
    assert edit.json["content"] == "Sources on this claim:"


@pytest.mark.parametrize("content, says", [
    ("", "no text I can check"),
    ("<@123456789012345678>   ", "no text I can check"),
    ("word " * 200, "its first sentence alone is over 500 characters"),
])
async def test_a_message_that_cannot_be_checked_gets_a_short_private_reply(double, bot, content, says):
    _, callback = await ask_about(double, content)
    assert callback.json["type"] == 4 and callback.json["data"]["flags"] & 64
    assert says in callback.json["data"]["content"] and callback.json["data"]["allowed_mentions"] == {"parse": []}


@given(st.text(max_size=1500), st.integers(min_value=20, max_value=600))
def test_a_claim_fits_the_question_limit_or_is_refused(content, limit):
    try:
        claim = claim_question(content, limit)
    except UncheckableClaim as refused:
        assert refused.key in ("threads.claim_no_text", "threads.claim_too_long")
        return
    assert 1 <= len(claim) <= limit and claim == claim.strip()
