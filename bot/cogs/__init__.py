"""The bot's cogs, one per user-facing job."""

EXTENSIONS = (
    "bot.cogs.ask",
    "bot.cogs.info",
    "bot.cogs.search",
    "bot.cogs.moderation",
    "bot.cogs.feeds",
    "bot.cogs.insights",
    "bot.cogs.autoanswer",
    "bot.cogs.threads",
    "bot.cogs.context_menu",
    "bot.cogs.language",
)
