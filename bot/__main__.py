"""``python -m bot``: run the Discord bot with DISCORD_TOKEN from the environment or .env.

SIGTERM (``systemctl stop``) stops it gracefully and it exits 0.
CRISISBOT_LOG_LEVEL sets the log level (default INFO).
"""

from __future__ import annotations

import logging
import os
import sys

from bot.config import BotSettings


def main() -> int:
    settings = BotSettings()
    if settings.discord_token is None:
        print("error: DISCORD_TOKEN is not set (environment or .env); see 'The Discord bot' in README.md", file=sys.stderr)
        return 2
    level = os.environ.get("CRISISBOT_LOG_LEVEL", "INFO").upper()
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from bot.app import run_bot

    run_bot(settings=settings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
