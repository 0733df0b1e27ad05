"""A full rebuild running in the background, with progress anyone can read.

Only one rebuild runs at a time in a process; a second request gets the
running job back (who started it, how far it is).  Queries keep using the
published index until the rebuild swaps the new one in.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from index.service import CrisisService, WriteResult

# Rough share of a rebuild's time spent in each stage, for a single % figure.
_STAGE_WEIGHTS = {"reading sources": 0.05, "embedding": 0.85, "lexical index": 0.10}


class AlreadyRunning(RuntimeError):
    def __init__(self, job: RebuildJob):
        super().__init__(f"a re-index is already running (started by {job.started_by}, {job.percent:.0f}% done)")
        self.job = job


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
    _stage_starts: dict[str, float] = field(default_factory=dict)

    def update(self, stage: str, done: int, total: int) -> None:
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

    def start(self, started_by: str) -> RebuildJob:
        with self._lock:
            if self.current is not None and self.current.running:
                raise AlreadyRunning(self.current)
            job = self.current = RebuildJob(started_by)
            self._done.clear()
        threading.Thread(target=self._run, args=(job,), name="crisisbot-rebuild", daemon=True).start()
        return job

    def _run(self, job: RebuildJob) -> None:
        try:
            job.result = self.service.build(progress=job.update)
        except Exception as exc:  # reported to whoever started it; the old index keeps serving
            job.error = str(exc) or exc.__class__.__name__
        finally:
            job.finished_at = time.monotonic()
            self._done.set()

    def wait(self, timeout: float | None = None) -> bool:
        return self._done.wait(timeout)
