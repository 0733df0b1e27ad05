"""Hybrid retrieval: dense (FAISS) and lexical (BM25) candidates, fused and diversified."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import numpy as np

from index import lexical
from index.store.protocol import ParagraphRow, ReadView

CANDIDATES = 50  # per retriever, before fusion
MMR_LAMBDA = 0.75  # relevance vs. novelty when picking the top-k

# Ranking modes, so evaluation compares pipelines without duplicating them:
#   dense  - cosine only, no diversification (the plain "embed and take top-k" baseline)
#   bm25   - BM25 only
#   hybrid - weighted fusion of cosine and coverage-scaled BM25, then MMR
#   final  - hybrid plus recency awareness; what the service uses
MODES = ("dense", "bm25", "hybrid", "final")
DEFAULT_MODE = "final"
# Words that ask for the newest coverage ("what is the latest ...").
_RECENT = re.compile(r"\b(latest|newest|now|recent|recently|currently|current|today|right now|so far|update)\b", re.IGNORECASE)
RECENCY_BOOST = 0.05  # added to the newest document's passages, scaled down linearly with age
RECENCY_WINDOW_DAYS = 30  # passages older than the newest by this much get no boost


@dataclass(frozen=True)
class Passage:
    paragraph: ParagraphRow
    score: float  # fused relevance used for ranking
    dense: float  # cosine similarity to the question
    lexical: float  # BM25 score, 0 when the passage shares no term
    coverage: float  # IDF-weighted share of the question's terms found in the passage

    @property
    def id(self) -> int:
        return self.paragraph.id


@dataclass(frozen=True)
class Query:
    text: str
    vector: np.ndarray
    tokens: tuple[str, ...]
    since: dt.date | None = None
    until: dt.date | None = None


def _in_range(row: ParagraphRow, since: dt.date | None, until: dt.date | None) -> bool:
    if since is None and until is None:
        return True
    for doc in row.documents:
        if not doc.date:
            continue
        day = dt.date.fromisoformat(doc.date)
        if (since is None or day >= since) and (until is None or day <= until):
            return True
    return False


def wants_recent(text: str) -> bool:
    """Does the question ask for the newest coverage?"""
    return bool(_RECENT.search(text))


def _newest(row: ParagraphRow) -> dt.date | None:
    days = [dt.date.fromisoformat(d.date) for d in row.documents if d.date]
    return max(days) if days else None


def _recency(rows: dict[int, ParagraphRow], ids: list[int]) -> dict[int, float]:
    """A small boost for passages from the newest sources, 0 for undated or old ones."""
    dates = {pid: _newest(rows[pid]) for pid in ids}
    known = [d for d in dates.values() if d is not None]
    if not known:
        return {}
    latest = max(known)
    boost = {}
    for pid, day in dates.items():
        if day is not None:
            age = (latest - day).days
            boost[pid] = RECENCY_BOOST * max(0.0, 1 - age / RECENCY_WINDOW_DAYS)
    return boost


def retrieve(view: ReadView, query: Query, k: int, *, dense_weight: float, mode: str = DEFAULT_MODE) -> list[Passage]:
    """The best ``k`` passages for ``query``, best first, ranked as ``mode`` says (see MODES)."""
    if mode not in MODES:
        raise ValueError(f"unknown retrieval mode {mode!r}; one of {', '.join(MODES)}")
    filtered = query.since is not None or query.until is not None
    pool = CANDIDATES * (4 if filtered else 1)
    dense_hits = dict(view.dense_search(query.vector, pool))
    lexical_hits = dict(view.lexical_search(query.tokens, pool))
    ids = list(dict.fromkeys([*dense_hits, *lexical_hits]))
    if not ids:
        return []
    rows = view.paragraphs(ids)
    ids = [i for i in ids if i in rows and _in_range(rows[i], query.since, query.until)]
    if not ids:
        return []
    vectors = view.vectors_of(ids)
    cosines = vectors @ query.vector
    bm25_max = max(lexical_hits.values(), default=0.0)
    recency = _recency(rows, ids) if mode == "final" and wants_recent(query.text) else {}
    weights = view.term_weights(query.tokens)
    candidates = []
    for i, pid in enumerate(ids):
        cos = float(cosines[i])
        bm25 = lexical_hits.get(pid, 0.0)
        cov = lexical.coverage(weights, set(rows[pid].lex))
        lex_norm = bm25 / bm25_max if bm25_max else 0.0
        if mode == "dense":
            score = cos
        elif mode == "bm25":
            score = lex_norm
        else:
            score = dense_weight * cos + (1 - dense_weight) * lex_norm * cov + recency.get(pid, 0.0)
        candidates.append(Passage(rows[pid], score, cos, bm25, cov))
    order = np.argsort([-c.score for c in candidates], kind="stable")
    candidates = [candidates[i] for i in order]
    vectors = vectors[order]
    if mode == "bm25":
        candidates = [c for c in candidates if c.lexical > 0]
    if mode in ("dense", "bm25"):
        return candidates[:k]
    return _mmr(candidates, vectors, k)


def _mmr(candidates: list[Passage], vectors: np.ndarray, k: int) -> list[Passage]:
    """Maximal marginal relevance: relevant, but not the same paragraph twice."""
    chosen: list[int] = []
    remaining = list(range(len(candidates)))
    while remaining and len(chosen) < k:
        if not chosen:
            best = remaining[0]
        else:
            sims = vectors[remaining] @ vectors[chosen].T
            redundancy = sims.max(axis=1)
            gains = [MMR_LAMBDA * candidates[r].score - (1 - MMR_LAMBDA) * red for r, red in zip(remaining, redundancy)]
            best = remaining[int(np.argmax(gains))]
        chosen.append(best)
        remaining.remove(best)
    return [candidates[i] for i in chosen]


def make_query(text: str, vector: np.ndarray, since: dt.date | None = None, until: dt.date | None = None) -> Query:
    return Query(text, vector.astype(np.float32), lexical.query_tokens(text), since, until)
