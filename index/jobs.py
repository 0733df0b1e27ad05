"""A full rebuild running in the background, with progress anyone can read.

Only one rebuild runs at a time in a process; a second request gets the
running job back (who started it, how far it is).  Queries keep using the
published index until the rebuild swaps the new one in.

``Rebuilder.cancel()`` stops a rebuild at its next progress report (between two
embedding batches, never inside the native code); the build then discards its
working folder and the previous index stays published.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from index.errors import AlreadyRunning
from index.service import CrisisService, WriteResult

# Rough share of a rebuild's time spent in each stage, for a single % figure.
_STAGE_WEIGHTS = {"reading sources": 0.05, "embedding": 0.85, "lexical index": 0.10}


class RebuildCancelled(BaseException):
    """Raised from a job's progress callback once cancel is requested.  A BaseException, like
    KeyboardInterrupt, so no ``except Exception`` on the way out of the build swallows it."""


def already_running(job: RebuildJob) -> AlreadyRunning:
    return AlreadyRunning(f"a re-index is already running (started by {job.started_by}, {job.percent:.0f}% done)", job)


@dataclass
class RebuildJob:
    started_by: str
    started_at: float = field(default_factory=time.monotonic)
    stage: str = "starting"
    done: int = 0
    total: int = 0
    finished_at: float | None = None
    result: WriteResult | None = None
    error: str | None = None
    cancelled: bool = False  # stopped by cancel(): nothing was published
    _stage_starts: dict[str, float] = field(default_factory=dict)
    _cancel: threading.Event = field(default_factory=threading.Event)

    def update(self, stage: str, done: int, total: int) -> None:
        """The build's progress callback; raises RebuildCancelled once cancel is requested."""
        if self._cancel.is_set():
            raise RebuildCancelled()
        if stage not in self._stage_starts:
            self._stage_starts[stage] = time.monotonic()
        self.stage, self.done, self.total = stage, done, total

    @property
    def running(self) -> bool:
        return self.finished_at is None

    @property
    def percent(self) -> float:
        if not self.running:
            return 100.0
        before = 0.0
        for stage, weight in _STAGE_WEIGHTS.items():
            if stage == self.stage:
                share = self.done / self.total if self.total else 0.0
                return 100.0 * (before + weight * share)
            before += weight
        return 0.0

    @property
    def eta_seconds(self) -> float | None:
        """Seconds left in the embedding stage, from its rate so far; None when unknown."""
        start = self._stage_starts.get(self.stage)
        if self.stage != "embedding" or not start or not self.done or not self.total:
            return None
        rate = self.done / max(time.monotonic() - start, 1e-6)
        return (self.total - self.done) / rate

    @property
    def elapsed(self) -> float:
        return (self.finished_at or time.monotonic()) - self.started_at


class Rebuilder:
    """Runs ``service.build()`` in a thread, one at a time."""

    def __init__(self, service: CrisisService):
        self.service = service
        self._lock = threading.Lock()
        self.current: RebuildJob | None = None
        self._done = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, started_by: str) -> RebuildJob:
        with self._lock:
            if self.current is not None and self.current.running:
                raise already_running(self.current)
            job = self.current = RebuildJob(started_by)
            self._done.clear()
        self._thread = threading.Thread(target=self._run, args=(job,), name="crisisbot-rebuild", daemon=True)
        self._thread.start()
        return job

    def _run(self, job: RebuildJob) -> None:
        try:
            job.result = self.service.build(progress=job.update)
        except RebuildCancelled:
            job.cancelled = True
        except Exception as exc:  # reported to whoever started it; the old index keeps serving
            job.error = str(exc) or exc.__class__.__name__
        finally:
            job.finished_at = time.monotonic()
            self._done.set()

    def wait(self, timeout: float | None = None) -> bool:
        """True when no rebuild is running (any more) within ``timeout`` s."""
        return self._done.wait(timeout)

    def cancel(self) -> None:
        """Ask the running rebuild to stop at its next progress report (see ``join``)."""
        job = self.current
        if job is not None and job.running:
            job._cancel.set()

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the rebuild's thread to end; True when it has (or none was started)."""
        thread = self._thread
        if thread is None:
            return True
        thread.join(timeout)
        return not thread.is_alive()
