"""``python -m bot``: run the Discord bot with DISCORD_TOKEN from the environment or .env.

SIGTERM (``systemctl stop``) stops it gracefully and it exits 0.  Settings are built once,
here; ``CRISISBOT_LOG_LEVEL`` (default WARNING, as for the CLI) sets the log level.
"""

from __future__ import annotations

import logging
import sys

from pydantic import ValidationError

from bot.config import BotSettings


def main() -> int:
    try:
        settings = BotSettings()
    except ValidationError as exc:
        problem = exc.errors()[0]
        print(f"error: CRISISBOT_{str(problem['loc'][0]).upper()}: {problem['msg']}", file=sys.stderr)
        return 2
    if settings.discord_token is None:
        print("error: DISCORD_TOKEN is not set (environment or .env); see 'The Discord bot' in README.md", file=sys.stderr)
        return 2
    level = settings.log_level.upper()
    logging.basicConfig(level=level if level in logging.getLevelNamesMapping() else "WARNING",
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from bot.app import run_bot

    run_bot(settings=settings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
