"""Child process for the shutdown and secrets tests: ``python -m bot`` against a Discord double.

    python -m tests.bot_worker PORT

Everything else comes from the environment, as in production (DISCORD_TOKEN,
CRISISBOT_DATA_DIR, CRISISBOT_LOG_LEVEL ...).
"""

import sys

from tests.discord_double import point_discord_at


def main() -> int:
    port = int(sys.argv[1])
    point_discord_at(f"http://127.0.0.1:{port}/api/v10", f"ws://127.0.0.1:{port}/gateway")
    from bot.__main__ import main as bot_main

    return bot_main()


if __name__ == "__main__":
    sys.exit(main())
