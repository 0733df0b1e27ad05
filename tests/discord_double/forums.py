"""Forum and help channels for the Discord double: a guild with forum channels (tags, one where the
bot may not post in threads) and text channels (one in slow mode), the bot's own member and role,
forum posts as Discord sends them, and the routes a bot uses to read a post's starter message.

A forum post is THREAD_CREATE (a public thread, type 11, ``parent_id`` the forum, ``applied_tags``,
``newly_created``) followed by MESSAGE_CREATE of its starter message, whose id is the thread's.
Without the message-content intent (bit 15 of IDENTIFY's intents) a message's ``content`` reaches
the bot empty, on the gateway and over REST alike, unless it mentions the bot.
"""

from __future__ import annotations

import datetime as dt
import json
import time

from aiohttp import web

from tests.discord_double.server import BOT_ID, GUILD_ID, MEMBER_PERMISSIONS, DiscordDouble, snowflake, user_payload

FORUM_ID = 900000000000000500  # "questions": every post, or the tag QUESTION_TAG_ID
CLOSED_FORUM_ID = 900000000000000501  # the bot may not send messages in its posts
HELP_CHANNEL_ID = 900000000000000502  # a text channel
SLOW_CHANNEL_ID = 900000000000000503  # a text channel in slow mode (60 s)
QUESTION_TAG_ID = 900000000000000600
DISCUSSION_TAG_ID = 900000000000000601
BOT_ROLE_ID = 900000000000000700
SLOW_MODE_SECONDS = 60

MESSAGE_CONTENT_INTENT = 1 << 15
VIEW_CHANNEL, SEND_MESSAGES, EMBED_LINKS, READ_MESSAGE_HISTORY = 1 << 10, 1 << 11, 1 << 14, 1 << 16
SEND_MESSAGES_IN_THREADS = 1 << 38
BOT_PERMISSIONS = VIEW_CHANNEL | SEND_MESSAGES | EMBED_LINKS | READ_MESSAGE_HISTORY | SEND_MESSAGES_IN_THREADS


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat()


def _tag(tag_id: int, name: str) -> dict:
    return {"id": str(tag_id), "name": name, "moderated": False, "emoji_id": None, "emoji_name": None}


def forum_channel(channel_id: int, name: str, position: int, overwrites: list | None = None) -> dict:
    return {
        "id": str(channel_id), "type": 15, "name": name, "position": position, "guild_id": str(GUILD_ID),
        "parent_id": None, "topic": None, "nsfw": False, "flags": 0, "rate_limit_per_user": 0,
        "default_thread_rate_limit_per_user": 0, "default_auto_archive_duration": 4320,
        "default_reaction_emoji": None, "default_sort_order": None, "default_forum_layout": 0,
        "available_tags": [_tag(QUESTION_TAG_ID, "Question"), _tag(DISCUSSION_TAG_ID, "Discussion")],
        "permission_overwrites": overwrites or [], "last_message_id": None,
    }


def text_channel(channel_id: int, name: str, position: int, slow_mode: int = 0) -> dict:
    return {"id": str(channel_id), "type": 0, "name": name, "position": position, "guild_id": str(GUILD_ID),
            "permission_overwrites": [], "rate_limit_per_user": slow_mode, "nsfw": False, "topic": None}


class ForumDouble(DiscordDouble):
    """The double with forum and help channels, and the bot's member in the guild (so it can check its permissions)."""

    def __init__(self) -> None:
        super().__init__()
        self.channels: dict[str, dict] = {}  # channel or thread id -> payload, for GET /channels/{id}

    def guild_payload(self) -> dict:  # type: ignore[override]
        guild = DiscordDouble.guild_payload()
        guild["roles"].append({"id": str(BOT_ROLE_ID), "name": "crisisbot", "permissions": str(BOT_PERMISSIONS),
                               "position": 2, "color": 0, "hoist": False, "managed": True, "mentionable": False,
                               "tags": {"bot_id": str(BOT_ID)}})
        closed = [{"id": str(BOT_ROLE_ID), "type": 0, "allow": "0", "deny": str(SEND_MESSAGES_IN_THREADS)}]
        guild["channels"] += [
            forum_channel(FORUM_ID, "questions", 2),
            forum_channel(CLOSED_FORUM_ID, "announcements-forum", 3, closed),
            text_channel(HELP_CHANNEL_ID, "help", 4),
            text_channel(SLOW_CHANNEL_ID, "slow-help", 5, SLOW_MODE_SECONDS),
        ]
        guild["members"].append({"user": user_payload(BOT_ID, "crisisbot", bot=True), "roles": [str(BOT_ROLE_ID)],
                                 "joined_at": "2024-01-01T00:00:00+00:00", "deaf": False, "mute": False, "flags": 0})
        guild["member_count"] = 3
        self.channels.update({c["id"]: c for c in guild["channels"]})
        return guild

    # --- REST: a channel, a message ---
    def _respond(self, method: str, path: str, body):
        parts = path.strip("/").split("/")
        if method == "GET" and parts[0] == "channels" and len(parts) == 2:
            return self.channels.get(parts[1]) or self._not_found("Unknown Channel", 10003)
        if method == "GET" and parts[0] == "channels" and len(parts) == 4 and parts[2] == "messages":
            message = self.messages.get(parts[3])
            return self._as_seen(message) if message else self._not_found("Unknown Message", 10008)
        return super()._respond(method, path, body)

    @staticmethod
    def _not_found(message: str, code: int):
        raise web.HTTPNotFound(text=json.dumps({"message": message, "code": code}), content_type="application/json")

    def _as_seen(self, message: dict) -> dict:
        """The message as the bot receives it: without its text unless the bot asked for message content or is mentioned."""
        mentioned = any(u["id"] == str(BOT_ID) for u in message.get("mentions", []))
        if self.intents & MESSAGE_CONTENT_INTENT or mentioned or message["author"]["id"] == str(BOT_ID):
            return message
        return dict(message, content="")

    # --- injecting posts and messages ---
    def _user_message(self, message_id: str, channel_id: str, content: str, author: int, bot: bool) -> dict:
        message = {
            "id": message_id, "channel_id": channel_id, "guild_id": str(GUILD_ID), "type": 0,
            "author": user_payload(author, f"user{author}", bot=bot), "content": content, "embeds": [],
            "components": [], "attachments": [], "mentions": [], "mention_roles": [], "mention_everyone": False,
            "pinned": False, "tts": False, "flags": 0, "timestamp": _now(), "edited_timestamp": None,
            "member": {"roles": [str(BOT_ROLE_ID)] if author == BOT_ID else [], "joined_at": "2024-01-01T00:00:00+00:00", "deaf": False, "mute": False, "flags": 0},
        }
        self.messages[message_id] = message
        return message

    async def forum_post(self, title: str, content: str = "", *, forum: int = FORUM_ID, tags: tuple[int, ...] = (),
                         author: int = 1001, bot: bool = False, starter_on_gateway: bool = True) -> dict:
        """A new post in ``forum``: THREAD_CREATE, then its starter message (or that only over REST, when
        ``starter_on_gateway`` is false); returns the thread payload (``sent_at[thread id]``: when it went out)."""
        thread_id = snowflake()
        thread = {
            "id": thread_id, "type": 11, "guild_id": str(GUILD_ID), "parent_id": str(forum), "owner_id": str(author),
            "name": title, "applied_tags": [str(t) for t in tags], "last_message_id": thread_id,
            "message_count": 0, "member_count": 1, "rate_limit_per_user": 0, "flags": 0, "total_message_sent": 0,
            "thread_metadata": {"archived": False, "auto_archive_duration": 4320, "archive_timestamp": _now(),
                                "locked": False, "create_timestamp": _now()},
            "newly_created": True,
        }
        self.channels[thread_id] = thread
        starter = self._user_message(thread_id, thread_id, content, author, bot)
        self.sent_at[thread_id] = time.perf_counter()
        await self.dispatch("THREAD_CREATE", thread)
        if starter_on_gateway:
            await self.dispatch("MESSAGE_CREATE", self._as_seen(starter))
        return thread

    async def delete_channel(self, channel_id: int) -> None:
        """CHANNEL_DELETE, as Discord sends it when a channel is deleted."""
        await self.dispatch("CHANNEL_DELETE", self.channels.pop(str(channel_id)))

    async def channel_message(self, content: str, *, channel: int = HELP_CHANNEL_ID, author: int = 1001,
                              bot: bool = False) -> dict:
        """A new message in a text channel (``sent_at[message id]`` is when it went out)."""
        message = self._user_message(snowflake(), str(channel), content, author, bot)
        self.sent_at[message["id"]] = time.perf_counter()
        await self.dispatch("MESSAGE_CREATE", self._as_seen(message))
        return message

    async def slash_in(self, name: str, channel: int, options: dict | None = None, **kwargs) -> dict:
        """A slash command whose ``channel`` option is ``channel`` (resolved as Discord sends it)."""
        data = self._command_data(name, options, None)
        listed = data["options"][0]["options"] if data["options"] and data["options"][0]["type"] == 1 else data["options"]
        listed.insert(0, {"name": "channel", "type": 7, "value": str(channel)})
        known = self.channels[str(channel)]
        data.setdefault("resolved", {})["channels"] = {str(channel): {
            "id": str(channel), "name": known["name"], "type": known["type"], "permissions": "0",
            "parent_id": known.get("parent_id"), "guild_id": str(GUILD_ID)}}
        return await self.slash_data(data, **kwargs)

    async def slash_data(self, data: dict, *, user: int = 1001, permissions: int | None = None,
                         roles: tuple[int, ...] = ()) -> dict:
        payload = self._interaction(2, data, user, True, permissions=permissions or MEMBER_PERMISSIONS, roles=roles)
        self.sent_at[payload["id"]] = time.perf_counter()
        await self.dispatch("INTERACTION_CREATE", payload)
        return payload
