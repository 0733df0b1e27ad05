"""A published delta read together with its base: one ``ReadView`` (index/store/protocol.py).

The base's results lose what the delta removed; the delta's are added; both are merged by score.
Dense scores are cosines, comparable as they are.  BM25 scores depend on corpus statistics, so both
sides are scored with the whole index's: the delta's paragraphs here, by the formula bm25s uses
("lucene": idf = ln(1 + (N - df + 0.5) / (df + 0.5)), k1 = 1.5, b = 0.75) with the document
frequencies of base and delta together and their paragraph count; the base's with bm25s's stored
per-term scores, each term's rescaled from the base's IDF to the whole's.  Only the base's average
paragraph length stays the base's until the next merge.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from index import lexical
from index.lexical import Vocabulary
from index.store.protocol import DocumentRow, ParagraphRow
from index.store.snapshot import Snapshot

K1, B = 1.5, 0.75  # bm25s's defaults, which the base was built with


class DeltaLexical:
    """BM25 over a delta's paragraphs with the whole index's statistics."""

    def __init__(self, delta: Snapshot, average_length: float | None):
        self.postings: dict[str, list[tuple[int, int]]] = {}
        self.lengths: dict[int, int] = {}
        for pid, lex in delta.db.execute("SELECT id, lex FROM paragraphs"):
            tokens = lex.split()
            self.lengths[pid] = len(tokens) or 1  # as bm25s counts an empty paragraph
            counts: dict[str, int] = {}
            for token in tokens:
                counts[token] = counts.get(token, 0) + 1
            for token, tf in counts.items():
                self.postings.setdefault(token, []).append((pid, tf))
        # The whole index's average length, as a single bm25s index would have it; the delta's own for a base
        # written before the manifest recorded its token count.
        self.average = average_length or ((sum(self.lengths.values()) / len(self.lengths)) if self.lengths else 1.0)

    def search(self, tokens: Sequence[str], k: int, vocabulary: Vocabulary) -> list[tuple[int, float]]:
        scores: dict[int, float] = {}
        n = vocabulary.paragraphs
        for token in dict.fromkeys(tokens):
            postings = self.postings.get(token)
            if not postings:
                continue
            df = vocabulary.doc_freq.get(token, len(postings))
            idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
            for pid, tf in postings:
                norm = K1 * (1 - B + B * self.lengths[pid] / self.average)
                scores[pid] = scores.get(pid, 0.0) + idf * tf / (tf + norm)
        return sorted(scores.items(), key=lambda item: -item[1])[:k]


class CompositeView:
    """A base ``Snapshot`` less the delta's removals, plus the delta ``Snapshot``.  Safe to share between threads."""

    def __init__(self, base: Snapshot, delta: Snapshot, removed_documents: frozenset[str], removed_paragraphs: frozenset[int]):
        self.base = base
        self.delta = delta
        self.removed_documents = removed_documents
        self.removed_paragraphs = removed_paragraphs
        self.manifest = delta.manifest  # the whole index's counts; the delta's own under "delta"
        self.location = delta.location
        self.folder: Path = delta.folder
        self.base_max_id = base.max_paragraph_id()
        tokens, paragraphs = self.manifest.get("lexical_tokens"), base.size + delta.size
        self._delta_lexical = DeltaLexical(delta, tokens / paragraphs if tokens and paragraphs else None)

    @property
    def size(self) -> int:
        return self.base.size - len(self.removed_paragraphs) + self.delta.size

    def _in_base(self, pid: int) -> bool:
        return pid <= self.base_max_id

    def dense_search(self, vector: np.ndarray, k: int) -> list[tuple[int, float]]:
        base = [(i, s) for i, s in self.base.dense_search(vector, k + len(self.removed_paragraphs)) if i not in self.removed_paragraphs]
        return sorted(base + self.delta.dense_search(vector, k), key=lambda hit: -hit[1])[:k]

    def lexical_search(self, tokens: Sequence[str], k: int) -> list[tuple[int, float]]:
        vocabulary = self.vocabulary()
        n = vocabulary.paragraphs
        idf = {t: math.log(1 + (n - df + 0.5) / (df + 0.5)) for t in tokens if (df := vocabulary.doc_freq.get(t))}
        base = self.base.lexical.search_reweighted(tokens, k, idf, exclude=self.removed_paragraphs)
        delta = self._delta_lexical.search(tokens, k, vocabulary)
        return sorted(base + delta, key=lambda hit: -hit[1])[:k]

    @functools.cached_property
    def _vocabulary(self) -> Vocabulary:
        doc_freq = dict(self.base.vocabulary().doc_freq)
        for token, postings in self._delta_lexical.postings.items():
            doc_freq[token] = doc_freq.get(token, 0) + len(postings)
        return Vocabulary(doc_freq, self.size)

    def vocabulary(self) -> Vocabulary:
        return self._vocabulary

    def term_weights(self, tokens: Sequence[str]) -> dict[str, float]:
        return lexical.idf_weights(self._vocabulary.doc_freq, self.size, tokens)

    def vectors_of(self, ids: Sequence[int]) -> np.ndarray:
        ids = list(ids)
        out = np.zeros((len(ids), self.manifest["dimension"]), np.float32)
        base = [n for n, pid in enumerate(ids) if self._in_base(pid)]
        delta = [n for n, pid in enumerate(ids) if not self._in_base(pid)]
        if base:
            out[base] = self.base.vectors_of([ids[n] for n in base])
        if delta:
            out[delta] = self.delta.vectors_of([ids[n] for n in delta])
        return out

    def paragraphs(self, ids: Sequence[int]) -> dict[int, ParagraphRow]:
        base_ids = [i for i in ids if self._in_base(i) and i not in self.removed_paragraphs]
        out = self.delta.paragraphs([i for i in ids if not self._in_base(i)])
        if base_ids:
            also = self.delta.documents_of(base_ids)  # wire copies of base stories added since
            for pid, row in self.base.paragraphs(base_ids).items():
                documents = [d for d in row.documents if d.id not in self.removed_documents] + also.get(pid, [])
                documents.sort(key=lambda d: (d.date is None, d.date or "", d.id))
                out[pid] = ParagraphRow(row.id, row.text, row.lex, tuple(dict.fromkeys(documents)), row.sentence_vectors)
        return out

    def paragraph_dates(self, ids: Sequence[int]) -> dict[int, list[str]]:
        base_ids = [i for i in ids if self._in_base(i) and i not in self.removed_paragraphs]
        out = self.delta.paragraph_dates([i for i in ids if not self._in_base(i)])
        if base_ids:
            carried, also = self.base.document_dates(base_ids), self.delta.document_dates(base_ids)  # wire copies, as above
            for pid in base_ids:
                out[pid] = [day for document, day in carried.get(pid, []) if document not in self.removed_documents] + \
                    [day for _, day in also.get(pid, [])]
        return out

    def documents(self) -> list[DocumentRow]:
        rows = [d for d in self.base.documents() if d.id not in self.removed_documents] + self.delta.documents()
        rows.sort(key=lambda d: d.title)
        rows.sort(key=lambda d: d.date or "", reverse=True)
        return rows

    def close(self) -> None:
        self.delta.close()
