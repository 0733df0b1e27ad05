"""Auto-answer latency in a forum: from a post's THREAD_CREATE dispatch to the bot's answer reaching Discord.

    .venv/bin/python bench/forum_latency.py [--posts 50] [--data-dir DIR]

The real discord.py bot talks to the wire-level Discord double with forum channels
(tests/discord_double/forums.py) on 127.0.0.1; the index is the bundled corpus, built into
a temporary data dir.  A moderator adds the forum with /autoanswer, then posts go in one at a
time: the dev set's answerable questions as post titles (cycled to ``--posts``), with its
off-topic questions interleaved (one after every third post).  Reported: median, p95 and
spread of dispatch -> POST /channels/{thread}/messages over the answered posts (3 warm-up posts
not counted), how many on-topic posts were answered, and that no off-topic post was.  Then
the evidence bar itself over the whole dev set (no Discord): answered and off-topic shares
at a few values of CRISISBOT_AUTOANSWER_MIN_EVIDENCE.  The per-channel rate limit is raised
for the run (50 posts in a minute would hit it).  Network latency to Discord is not included.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.discord_latency import ready_service  # noqa: E402
from bot.app import create_bot  # noqa: E402
from bot.cogs.autoanswer import strength  # noqa: E402
from bot.config import BotSettings  # noqa: E402
from index.answer import evidence  # noqa: E402
from index.eval import load_questions, percentile  # noqa: E402
from index.service import CrisisService  # noqa: E402
from tests.discord_double import point_discord_at  # noqa: E402
from tests.discord_double.forums import FORUM_ID, ForumDouble  # noqa: E402
from tests.discord_double.server import MANAGE_GUILD, MEMBER_PERMISSIONS  # noqa: E402

WARM_UP = 3
BARS = (0.40, 0.50, 0.55, 0.60, 0.70)


class Decisions(logging.Handler):
    """The auto-answer cog's log lines: each names the post's thread id once it has decided."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())

    async def wait(self, thread_id: str, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.lines:
                if f"({thread_id})" in line:
                    return line
            await asyncio.sleep(0.005)
        raise TimeoutError(f"no decision for post {thread_id}")


def posted(double: ForumDouble, thread_id: str):
    return next((r for r in double.requests if r.method == "POST" and r.path == f"/channels/{thread_id}/messages"), None)


async def forum_run(service: CrisisService, data_dir: Path, on_topic: list[str], off_topic: list[str], n_posts: int) -> dict:
    decisions = Decisions()
    cog_log = logging.getLogger("bot.cogs.autoanswer")
    cog_log.addHandler(decisions)
    cog_log.setLevel(logging.INFO)
    double = ForumDouble()
    await double.start()
    point_discord_at(double.api_base, double.gateway_url)
    settings = BotSettings(_env_file=None, data_dir=data_dir, autoanswer_per_minute=10_000)
    bot = create_bot(settings, service)
    task = asyncio.create_task(bot.start("bench-token"))
    seconds, unanswered, off_answered, off_posts = [], [], 0, 0
    try:
        await double.wait_ready()
        await asyncio.wait_for(bot.wait_until_ready(), 30)
        added = await double.slash_in("autoanswer add", FORUM_ID, permissions=MEMBER_PERMISSIONS | MANAGE_GUILD)
        await double.wait_for(lambda r: r.method == "POST" and added["id"] in r.path)
        for i in range(WARM_UP + n_posts):
            title = on_topic[i % len(on_topic)]
            thread = await double.forum_post(title, author=30_000 + i)
            decision = await decisions.wait(thread["id"])
            request = posted(double, thread["id"])
            if request is None:
                unanswered.append((title, decision))
            elif i >= WARM_UP:
                seconds.append(request.at - double.sent_at[thread["id"]])
            if i % 3 == 2:  # an off-topic post between on-topic ones
                stray = await double.forum_post(off_topic[off_posts % len(off_topic)], author=40_000 + i)
                await decisions.wait(stray["id"])
                off_posts += 1
                off_answered += posted(double, stray["id"]) is not None
    finally:
        await bot.close()
        await asyncio.wait_for(task, 10)
        await double.close()
        cog_log.removeHandler(decisions)
    return {"seconds": seconds, "unanswered": unanswered, "off_posts": off_posts, "off_answered": off_answered}


def bar_table(service: CrisisService, questions) -> list[str]:
    """Answered and off-topic shares of the dev set at each evidence bar (the service's own abstention first)."""
    weight = service.settings.evidence_coverage_weight
    answers = [(q.answerable, service.ask(q.q)) for q in questions]
    scores = [(ok, strength(a, weight)) for ok, a in answers]
    raw_off_topic = max((evidence(p, weight) for ok, a in answers if not ok for p in a.passages), default=0.0)
    rows = ["| CRISISBOT_AUTOANSWER_MIN_EVIDENCE | answerable answered | off-topic answered |", "|---|---|---|"]
    for bar in BARS:
        answered = sum(1 for ok, s in scores if ok and s > 0 and s >= bar)
        stray = sum(1 for ok, s in scores if not ok and s > 0 and s >= bar)
        mark = " (default)" if bar == BotSettings.model_fields["autoanswer_min_evidence"].default else ""
        rows.append(f"| {bar:.2f}{mark} | {answered}/{sum(ok for ok, _ in scores)} | {stray}/{sum(not ok for ok, _ in scores)} |")
    lowest = min((s for ok, s in scores if ok and s > 0), default=0.0)
    highest = max((s for ok, s in scores if not ok), default=0.0)
    rows.append(f"\nweakest answered question's evidence {lowest:.3f}; strongest off-topic {highest:.3f} (0: the service "
                f"abstained on all; their best passage's evidence before abstaining at most {raw_off_topic:.3f})")
    return rows


async def run(n_posts: int, data_dir: Path) -> None:
    service = ready_service(data_dir)
    questions = load_questions(ROOT / "tests" / "eval" / "dev.jsonl")
    on_topic = [q.q for q in questions if q.answerable]
    off_topic = [q.q for q in questions if not q.answerable]
    result = await forum_run(service, data_dir, on_topic, off_topic, n_posts)
    seconds = result["seconds"]

    cpu = f"{os.cpu_count()} CPU, {platform.processor() or platform.machine()}, Python {platform.python_version()}"
    print(f"forum auto-answer latency (THREAD_CREATE dispatch -> answer POST), real discord.py client against the loopback double; {cpu}")
    print("")
    print("| measure | value |")
    print("|---|---|")
    print(f"| on-topic posts (after {WARM_UP} warm-up) | {n_posts} |")
    print(f"| answered | {len(seconds)} (not answered: {len(result['unanswered'])} of all posts) |")
    if seconds:
        print(f"| median dispatch -> answer | {statistics.median(seconds) * 1000:.0f} ms |")
        print(f"| p95 dispatch -> answer | {percentile(seconds, 0.95) * 1000:.0f} ms |")
        print(f"| spread (min / max) | {min(seconds) * 1000:.0f} ms / {max(seconds) * 1000:.0f} ms |")
    print(f"| off-topic posts answered | {result['off_answered']}/{result['off_posts']} |")
    for title, decision in result["unanswered"][:5]:
        print(f"\nnot answered: {title!r}: {decision}")
    print("")
    print("\n".join(bar_table(service, questions)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=50, help="on-topic forum posts, one at a time (default 50)")
    parser.add_argument("--data-dir", type=Path, help="an existing data dir (default: build the bundled corpus in a temp dir)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(run(args.posts, args.data_dir or Path(tmp) / "data"))


if __name__ == "__main__":
    main()
