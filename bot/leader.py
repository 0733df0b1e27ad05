"""Which of several bot processes runs the background jobs: feed polls and scheduled URL refreshes.

Processes that share ``CRISISBOT_DATABASE_URL`` elect a leader through a session-level PostgreSQL
advisory lock: each process tries ``pg_try_advisory_lock`` every ``leader_check_seconds``, on a
connection of its own kept open; the one that gets it is the leader for as long as that connection
lives.  When the leader dies its session ends (a killed process's socket is closed by its kernel; a
vanished host is noticed by TCP keepalives) and Postgres releases the lock, so another process
takes it at its next check.  A leader that can no longer reach the database steps down at once.

Answering never depends on this: every process answers the interactions of its own shards.
Moderator writes from any process are serialised by the store's own writer lock.  Without a
database URL there is one process, and it is always the leader.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import psycopg

from index import locks

log = logging.getLogger(__name__)

LOCK_LEADER = locks.LEADER
# The server ends a leader's session ~25 s after its host stops answering (the lock is then free);
# the client side notices a dead server as fast.
KEEPALIVES = {"keepalives": 1, "keepalives_idle": 10, "keepalives_interval": 5, "keepalives_count": 3,
              "options": "-c tcp_keepalives_idle=10 -c tcp_keepalives_interval=5 -c tcp_keepalives_count=3"}


class Leadership:
    """Always the leader: one process on its own data dir (no database URL)."""

    is_leader = True

    async def start(self) -> None:
        log.info("leader: this process runs feed polls and scheduled refreshes")

    async def stop(self) -> None:
        pass


class DatabaseLeadership(Leadership):
    """The leader is the process holding the advisory lock ``key`` in the database at ``url``."""

    def __init__(self, url: str, check_seconds: float = 5.0, key: int = LOCK_LEADER):
        self.url = url
        self.check_seconds = check_seconds
        self.key = key
        self.is_leader = False
        self._conn: psycopg.Connection | None = None
        self._task: asyncio.Task | None = None
        self._stopped = asyncio.Event()

    async def start(self) -> None:
        await self.check()  # the first process up leads from its start
        self._task = asyncio.create_task(self._keep_checking(), name="crisisbot-leadership")

    async def stop(self) -> None:
        """Give the leadership up (closing the connection releases the lock)."""
        self._stopped.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        was_leader, self.is_leader = self.is_leader, False
        await asyncio.to_thread(self._close)
        if was_leader:
            log.info("leader: stepped down")

    async def _keep_checking(self) -> None:
        while not self._stopped.is_set():
            await asyncio.sleep(self.check_seconds)
            await self.check()

    async def check(self) -> bool:
        """Keep (or take) the leadership now; whether this process leads."""
        try:
            leads = await asyncio.wait_for(asyncio.to_thread(self._try), timeout=max(self.check_seconds, 5.0))
        except Exception as exc:  # unreachable database, a timeout: not the leader until a check succeeds
            leads = False
            await asyncio.to_thread(self._close)
            if self.is_leader:
                log.warning("leader: lost the database connection (%s); stepping down", type(exc).__name__)
            else:
                log.debug("leadership check failed: %s", exc)
        if leads and not self.is_leader:
            log.info("leader: this process runs feed polls and scheduled refreshes")
        self.is_leader = leads
        return leads

    def _try(self) -> bool:
        conn = self._conn
        held = self.is_leader and conn is not None and not conn.closed and not conn.broken
        if conn is None or conn.closed or conn.broken:  # a new session holds no lock yet
            conn = self._conn = psycopg.connect(self.url, autocommit=True, connect_timeout=5,
                                                application_name="crisisbot-leader", **KEEPALIVES)
        if held:  # the session holding the lock: prove it is still alive
            conn.execute("SELECT 1")
            return True
        return bool(conn.execute("SELECT pg_try_advisory_lock(%s)", (self.key,)).fetchone()[0])

    def _close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.close()


def leadership_for(database_url: str | None, check_seconds: float = 5.0) -> Leadership:
    """The database's election when several processes can share it, else always the leader."""
    return Leadership() if database_url is None else DatabaseLeadership(database_url, check_seconds)
