"""Where a question's milliseconds go: each part of ``CrisisService.ask`` timed, exclusive of the parts inside it.

    timer = StageTimer()          # wraps the functions below, for this process
    with timer.size(100_000):
        service.ask(question)
    print(timer.table([100_000]))

A stage's time excludes the stages called inside it (the fusion is ``retrieve`` less its dense and lexical
search and its fetches); "other" is what ``ask`` spends outside every stage (language, checks, metrics).
"""

from __future__ import annotations

import contextlib
import functools
import statistics
import time

import numpy as np

from index import service
from index.embed import Embedder
from index.store.snapshot import Snapshot

# (object, attribute, stage)
WRAPPED = [
    (service.CrisisService, "ask", "other"),
    (Embedder, "encode", "embedding"),
    (service, "key_terms", "question words"),
    (service, "respelled", "question words"),
    (service, "make_query", "question words"),
    (service, "parse_window", "time words"),
    (service, "weekday_window", "time words"),
    (service, "strip_window", "time words"),
    (Snapshot, "dense_search", "dense (FAISS)"),
    (Snapshot, "lexical_search", "lexical (bm25s)"),
    (Snapshot, "paragraph_dates", "fetch (SQLite)"),
    (Snapshot, "paragraphs", "fetch (SQLite)"),
    (Snapshot, "vectors_of", "fetch vectors"),
    (service, "retrieve", "fusion, MMR"),
    (service, "compose", "answer extraction"),
]
STAGES = list(dict.fromkeys(stage for _, _, stage in WRAPPED[1:])) + ["other"]


class StageTimer:
    def __init__(self):
        self._stack: list[list] = []  # [stage, start, time in stages inside]
        self._question: dict[str, float] = {}
        self._size: int | None = None
        self.records: dict[int, list[dict[str, float]]] = {}
        for owner, name, stage in WRAPPED:
            setattr(owner, name, self._wrap(getattr(owner, name), stage, root=name == "ask"))

    @contextlib.contextmanager
    def size(self, size: int):
        self._size = size
        try:
            yield
        finally:
            self._size = None

    def _wrap(self, function, stage: str, *, root: bool):
        @functools.wraps(function)
        def timed(*args, **kwargs):
            if root and not self._stack:
                self._question = {}
            self._stack.append([stage, time.perf_counter(), 0.0])
            try:
                return function(*args, **kwargs)
            finally:
                _, start, inside = self._stack.pop()
                elapsed = time.perf_counter() - start
                self._question[stage] = self._question.get(stage, 0.0) + (elapsed - inside) * 1000
                if self._stack:
                    self._stack[-1][2] += elapsed
                elif root and self._size is not None:
                    self.records.setdefault(self._size, []).append(self._question)

        return timed

    def table(self, sizes: list[int]) -> str:
        """Per stage and size: median and p95 over the questions (ms), and its share of all the time."""
        head = "| stage | " + " | ".join(f"{size:,}: p50 / p95 (ms), share" for size in sizes) + " |"
        lines = [head, "|---|" + "---|" * len(sizes)]
        for stage in STAGES:
            cells = []
            for size in sizes:
                records = self.records.get(size, [])
                values = [r.get(stage, 0.0) for r in records]
                total = sum(sum(r.values()) for r in records) or 1.0
                cells.append(f"{statistics.median(values):.2f} / {np.percentile(values, 95):.2f}, {100 * sum(values) / total:.0f} %"
                             if values else "-")
            lines.append(f"| {stage} | " + " | ".join(cells) + " |")
        return "\n".join(lines)
