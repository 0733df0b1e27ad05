"""Plain helpers and constants shared by several test modules; the fixtures live in conftest.py.

Test modules import these from here and never from one another.  A helper that only one module
uses stays in that module.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from bot.app import create_bot
from bot.config import BotSettings
from index.config import BUNDLED_CORPUS, Settings
from index.service import CrisisService
from tests.discord_double import DiscordDouble
from tests.discord_double.server import LOG_CHANNEL_ID, MANAGE_GUILD, MEMBER_PERMISSIONS, MODERATOR_ROLE

# --- paths, environment and settings ----------------------------------------------------------

ROOT = Path(__file__).resolve().parent.parent


def clean_env(prefixes: tuple[str, ...] = ("CRISISBOT_",)) -> dict[str, str]:
    """This process's environment without the developer's settings, for a child process; the
    test session's ONNX export cache (not a setting) is kept so children reuse its export."""
    return {k: v for k, v in os.environ.items() if not k.startswith(prefixes) or k == "CRISISBOT_ONNX_CACHE"}


def make_settings(data_dir: Path, **overrides) -> Settings:
    """Settings that ignore the developer's own .env file."""
    return Settings(_env_file=None, data_dir=data_dir, **overrides)


# --- questions the bundled corpus answers -----------------------------------------------------

QUESTION = "Who did Blinken write to proposing a meeting?"
BLINKEN = "Who did Blinken write to proposing a meeting?"


# --- the real bot against the Discord double --------------------------------------------------


def bot_settings(data_dir, **overrides) -> BotSettings:
    return BotSettings(_env_file=None, data_dir=data_dir, **overrides)


@contextlib.asynccontextmanager
async def running_bot(double: DiscordDouble, service, data_dir, **overrides):
    core = {k: v for k, v in overrides.items() if k in Settings.model_fields and k != "data_dir"}
    if core and isinstance(service, CrisisService):  # the core's settings (fetch limits, ...) are the service's, as in production
        service = CrisisService(service.settings.model_copy(update=core), embedder=service.embedder)
    bot = create_bot(bot_settings(data_dir, **overrides), service)
    task = asyncio.create_task(bot.start("test-token"))
    try:
        await double.wait_ready()
        await asyncio.wait_for(bot.wait_until_ready(), 30)
        yield bot
    finally:
        await bot.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, 10)


def callback_of(interaction):
    return lambda r: r.method == "POST" and r.path == f"/interactions/{interaction['id']}/{interaction['token']}/callback"


def edit_of(interaction):
    return lambda r: r.method == "PATCH" and r.path.startswith("/webhooks/") and interaction["token"] in r.path


def sent_for(double, interaction) -> list:
    """Every request the bot made for one interaction (its callback, edits and follow-ups)."""
    return [r for r in double.requests if interaction["token"] in r.path or interaction["id"] in r.path]


# --- moderators -------------------------------------------------------------------------------

MOD = {"permissions": MEMBER_PERMISSIONS | MANAGE_GUILD}


def moderated_bot(double, service, tmp_path, **overrides):
    """The bot with a moderator role, a log channel and loopback pages allowed; ``async with`` it."""
    options = dict(
        ask_cooldown_seconds=0, allow_private_urls=True, fetch_timeout_seconds=3,
        moderator_role=MODERATOR_ROLE, log_channel_id=LOG_CHANNEL_ID,
    )
    return running_bot(double, service, tmp_path / "bot", **{**options, **overrides})


async def command(double, name, options=None, **kwargs):
    """Run a moderator command; returns (interaction, its callback, the final edit or None)."""
    interaction = await double.slash(name, options, **kwargs)
    callback = await double.wait_for(callback_of(interaction))
    edit = None
    if callback.json["type"] == 5:
        edit = await double.wait_for(edit_of(interaction))
    return interaction, callback, edit


# --- the bot as a child process (``python -m tests.bot_worker``) ------------------------------


class Worker:
    """``python -m tests.bot_worker PORT`` with its stderr collected line by line."""

    def __init__(self, process: asyncio.subprocess.Process):
        self.process = process
        self.lines: list[str] = []
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.process.stderr is not None
        async for line in self.process.stderr:
            self.lines.append(line.decode(errors="replace"))

    async def wait_line(self, text: str, timeout: float = 30) -> None:
        async def seen() -> None:
            while not any(text in line for line in self.lines):
                await asyncio.sleep(0.02)

        await asyncio.wait_for(seen(), timeout)

    async def finish(self, timeout: float) -> int:
        returncode = await asyncio.wait_for(self.process.wait(), timeout)
        await self._reader
        return returncode

    @property
    def output(self) -> str:
        return "".join(self.lines)


async def start_worker(port: int, data_dir, cwd, token: str = "test-token", level: str = "INFO") -> Worker:
    env = clean_env(("CRISISBOT_", "DISCORD_"))
    env.update(PYTHONPATH=str(ROOT), DISCORD_TOKEN=token, CRISISBOT_DATA_DIR=str(data_dir), CRISISBOT_LOG_LEVEL=level)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.bot_worker", str(port), cwd=cwd, env=env,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )
    return Worker(process)


# --- a bigger corpus, so a rebuild takes a while ----------------------------------------------


def bigger_corpus(sources_dir, n_docs: int = 6) -> None:
    """Articles recombined from the bundled paragraphs, so a rebuild takes a few seconds."""
    lines = next(BUNDLED_CORPUS.glob("*.txt")).read_text(encoding="utf-8").splitlines()[3:]
    rng = random.Random(7)
    sources_dir.mkdir(parents=True, exist_ok=True)
    with open(sources_dir / "recombined.jsonl", "w", encoding="utf-8") as f:
        for i in range(n_docs):
            paragraphs = [" ".join(rng.sample(lines, 2)) for _ in range(40)]
            f.write(json.dumps({"id": f"mix-{i}", "title": f"Recombined coverage {i}", "date": "2022-02-20", "paragraphs": paragraphs}) + "\n")


# --- what the bot sent ---------------------------------------------------------------------------


def adds_killed(data_dir: Path, source: Path, env: dict[str, str], delays: Iterable[float | None], observe: Callable):
    """Run ``crisisbot``'s add of ``source`` in a worker process (tests/crash_worker.py) once per delay: SIGKILLed
    that many seconds after it is ready, or (None) left to finish; what ``observe()`` returns after each."""
    seen = []
    for delay in delays:
        proc = subprocess.Popen([sys.executable, "-m", "tests.crash_worker", str(data_dir), "add", str(source)],
                                cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        try:
            assert proc.stdout.readline().strip() == "READY"
            if delay is None:
                assert proc.stdout.readline().strip() == "DONE" and proc.wait(120) == 0
            else:
                time.sleep(delay)
                proc.send_signal(signal.SIGKILL)
                proc.wait(30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(30)
        seen.append(observe())
    return seen


def strings(value) -> list[str]:
    """Every string inside a JSON payload (content, embeds, fields...), to check them all."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in strings(v)]
    return []
