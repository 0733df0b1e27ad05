"""Which paragraphs of a batch are new, as pure functions over plain data.

A batch of documents becomes a ``Plan`` in two steps: ``plan_exact`` finds the
paragraphs whose dedup key (``text.dedup_key``) repeats one earlier in the batch
or one in the index, before anything is embedded; ``plan_near``, once the new
paragraphs are embedded, merges those close to another in meaning *and* in
characters.  ``assign_ids`` then numbers what is left.  The writer looks things
up and writes; nothing here touches the index.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from rapidfuzz import fuzz

from index import text as textlib
from index.ann import VectorIndex
from index.ingest import Document

# Cosine above which two paragraphs are compared character by character for near-duplication.
NEAR_DUPLICATE_COSINE = 0.85
INDEX_NEIGHBOURS = 4  # paragraphs of the index compared with each new one
BATCH_NEIGHBOURS = 5  # paragraphs of the batch compared with each new one (itself included)

# Where a document's paragraph is: ("index", paragraph id) or ("batch", i), the i-th new paragraph.
Ref = tuple[str, int]


@dataclass
class Plan:
    texts: list[str] = field(default_factory=list)  # paragraphs that are new by key, in batch order
    keys: list[str] = field(default_factory=list)
    lex: list[str] = field(default_factory=list)  # their search tokens, title's first, space-separated
    placements: list[tuple[str, int, Ref]] = field(default_factory=list)  # (document id, position, paragraph)
    exact_duplicates: int = 0
    # merges[i]: the paragraph the i-th new one duplicates in meaning, or None to keep it (plan_near)
    merges: list[Ref | None] = field(default_factory=list)

    @property
    def near_duplicates(self) -> int:
        return sum(m is not None for m in self.merges)


def keys_of(documents: Sequence[Document]) -> list[str]:
    """Every paragraph's dedup key, for looking them up in the index before planning."""
    return [textlib.dedup_key(p) for doc in documents for p in doc.paragraphs]


def plan_exact(documents: Sequence[Document], indexed: Mapping[str, int]) -> Plan:
    """Place every paragraph: on a new paragraph, an earlier one of the batch, or one in the index.

    ``indexed`` maps dedup keys found in the index to their paragraph id.  Of
    documents repeating an id in the batch, the first wins.
    """
    plan = Plan()
    batch: dict[str, int] = {}  # key -> index into plan.texts
    seen: set[str] = set()
    for doc in documents:
        if doc.id in seen:
            continue
        seen.add(doc.id)
        title_lex = " ".join(textlib.lexical_tokens(doc.title))
        for position, paragraph in enumerate(doc.paragraphs):
            key = textlib.dedup_key(paragraph)
            if key in batch:
                plan.placements.append((doc.id, position, ("batch", batch[key])))
                plan.exact_duplicates += 1
            elif key in indexed:
                plan.placements.append((doc.id, position, ("index", indexed[key])))
                plan.exact_duplicates += 1
            else:
                batch[key] = len(plan.texts)
                plan.placements.append((doc.id, position, ("batch", len(plan.texts))))
                plan.texts.append(paragraph)
                plan.keys.append(key)
                plan.lex.append(title_lex + " " + " ".join(textlib.lexical_tokens(paragraph)))
    plan.merges = [None] * len(plan.texts)
    return plan


def plan_near(plan: Plan, vectors: np.ndarray, neighbours: Sequence[Sequence[tuple[int, float, str]]], ratio: float) -> None:
    """Fill ``plan.merges``: a new paragraph close to another in embedding space and in characters
    (``fuzz.ratio`` of their keys at least ``ratio``) merges into it, an indexed one first.

    ``vectors`` are the new paragraphs' unit vectors; ``neighbours[i]``, the (paragraph id,
    cosine, key) of the indexed paragraphs nearest to the i-th, best first.
    """
    close = lambda a, b: fuzz.ratio(a, b) >= ratio
    n = len(plan.texts)
    for i in range(n):
        for pid, score, key in neighbours[i]:
            if score >= NEAR_DUPLICATE_COSINE and close(plan.keys[i], key):
                plan.merges[i] = ("index", pid)
                break
    if not n:
        return
    batch = VectorIndex(vectors.shape[1], flat_limit=n)  # exact, never refitted
    batch.add(vectors, np.arange(n))
    scores, ids = batch.search(vectors, BATCH_NEIGHBOURS)
    for i in range(n):
        if plan.merges[i] is not None:
            continue
        for score, j in zip(scores[i], ids[i]):
            if 0 <= j < i and score >= NEAR_DUPLICATE_COSINE and close(plan.keys[i], plan.keys[j]):
                plan.merges[i] = plan.merges[j] or ("batch", int(j))
                break


def assign_ids(plan: Plan, first_id: int) -> tuple[list[int], dict[int, int]]:
    """The new paragraphs kept (indexes into ``plan.texts``), and every new paragraph's id.

    Kept paragraphs are numbered from ``first_id`` in batch order; a merged one takes
    the id of the paragraph it merged into.
    """
    kept = [i for i, merge in enumerate(plan.merges) if merge is None]
    ids = {i: first_id + n for n, i in enumerate(kept)}
    for i, merge in enumerate(plan.merges):
        if merge is not None:
            ids[i] = merge[1] if merge[0] == "index" else ids[merge[1]]
    return kept, ids


def resolve(ids: Mapping[int, int], ref: Ref) -> int:
    """The paragraph id a placement refers to."""
    kind, n = ref
    return n if kind == "index" else ids[n]
