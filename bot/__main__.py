"""``python -m bot``: run the Discord bot with DISCORD_TOKEN from the environment or .env.

SIGTERM (``systemctl stop``) stops it gracefully and it exits 0.  Settings are built once,
here; ``CRISISBOT_LOG_LEVEL`` (default WARNING, as for the CLI) sets the log level, ``CRISISBOT_LOG_FORMAT=json`` JSON lines.
"""

from __future__ import annotations

import sys

from pydantic import ValidationError

from bot import logs
from bot.config import BotSettings


def main() -> int:
    try:
        settings = BotSettings()
    except ValidationError as exc:
        problem = exc.errors()[0]
        message = problem["msg"].removeprefix("Value error, ")
        where = f"CRISISBOT_{str(problem['loc'][0]).upper()}: " if problem["loc"] else ""  # a check across settings has none
        print(f"error: {where}{message}", file=sys.stderr)
        return 2
    if settings.discord_token is None:
        print("error: DISCORD_TOKEN is not set (environment or .env); see 'The Discord bot' in README.md", file=sys.stderr)
        return 2
    logs.configure(settings.log_level, settings.log_format)
    from bot.app import run_bot

    run_bot(settings=settings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
