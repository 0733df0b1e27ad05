"""Child process for the shutdown and secrets tests: ``python -m bot`` against a Discord double.

    python -m tests.bot_worker PORT

Everything else comes from the environment, as in production (DISCORD_TOKEN,
CRISISBOT_DATA_DIR, CRISISBOT_LOG_LEVEL ...).
"""

import sys

import discord
import yarl


def main() -> int:
    port = int(sys.argv[1])
    discord.http.Route.BASE = f"http://127.0.0.1:{port}/api/v10"
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(f"ws://127.0.0.1:{port}/gateway")
    from bot.__main__ import main as bot_main

    return bot_main()


if __name__ == "__main__":
    sys.exit(main())
