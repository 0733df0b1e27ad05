"""The lexical index: BM25 over each paragraph's search tokens, behind build / save / load / search.

Everything lexical lives here, as everything dense lives in index/ann.py: the
tokens of a question (``query_tokens``), the BM25 index (bm25s) built from the
token strings the writer stores with each paragraph (title tokens first, then
the paragraph's, ``text.lexical_tokens``), each term's IDF, and how much of a
question's weight a passage or sentence covers (``term_weights``, ``coverage``).

On disk, in an index folder::

    lexical/          bm25s's files
    lexical_ids.npy   row -> paragraph id (int64); empty, with no lexical/, for an empty index
"""

from __future__ import annotations

import functools
import logging
import shutil
from collections.abc import Collection, Iterable, Sequence
from pathlib import Path

import bm25s
import numpy as np

from index import integrity, spellings
from index import text as textlib

logging.getLogger("bm25s").setLevel(logging.WARNING)  # it logs every build at DEBUG

FOLDER = "lexical"
IDS = "lexical_ids.npy"


def query_tokens(text: str) -> tuple[str, ...]:
    """A question's distinct search tokens, in order."""
    return tuple(dict.fromkeys(textlib.lexical_tokens(text)))


def ordinary_tokens(text: str) -> set[str]:
    """The tokens of the ordinary English words of ``text`` (wordninja's word list): never read as typos."""
    return {found[0] for word in textlib.WORD.findall(text)
            if textlib.word_rank(word.casefold()) is not None and (found := textlib.lexical_tokens(word))}


def idf_weights(doc_freq: dict[str, int], paragraphs: int, tokens: Sequence[str]) -> dict[str, float]:
    """IDF of each distinct token over ``paragraphs`` paragraphs (BM25's, as bm25s computes it), normalised to
    sum to 1 (empty when they sum to 0)."""
    n = max(paragraphs, 1)
    weights = {t: float(np.log(1 + (n - doc_freq.get(t, 0) + 0.5) / (doc_freq.get(t, 0) + 0.5))) for t in set(tokens)}
    total = sum(weights.values())
    return {t: w / total for t, w in weights.items()} if total else {}


def coverage(weights: dict[str, float], passage_tokens: set[str]) -> float:
    """The share of a question's term weight (``LexicalIndex.term_weights``) present in a passage (0..1)."""
    return sum(w for t, w in weights.items() if t in passage_tokens)


# A question's word unknown to the corpus is read as a typo of the closest known term (text.closest_spelling)
# of a length within TYPO_LENGTH_GAP of its own; words shorter than TYPO_MIN_LENGTH are left alone.
TYPO_MIN_LENGTH = 4
TYPO_LENGTH_GAP = 2


class Vocabulary:
    """The terms of an index and how many paragraphs hold each: what a question's words can match."""

    def __init__(self, doc_freq: dict[str, int], paragraphs: int):
        self.doc_freq = doc_freq
        self.paragraphs = paragraphs
        # A question reads each of its words against the vocabulary more than once (key terms, search tokens).
        self.closest = functools.lru_cache(maxsize=10_000)(self._closest)
        self._folds: dict[str, dict[str, str]] = {}  # first letter -> spellings.by_fold of its terms

    def __contains__(self, term: str) -> bool:
        return term in self.doc_freq

    def __len__(self) -> int:
        return len(self.doc_freq)

    def __iter__(self):
        return iter(self.doc_freq)

    def share(self, term: str) -> float:
        """The share of paragraphs holding ``term`` (0 for an unknown term)."""
        return self.doc_freq.get(term, 0) / self.paragraphs if self.paragraphs else 0.0

    @functools.cached_property
    def _by_initial(self) -> dict[str, list[str]]:
        return textlib.by_initial(self.doc_freq)

    def _by_fold(self, letter: str) -> dict[str, str]:
        """The fold keys of the terms starting with ``letter``: worked out per letter, when first needed, as a
        large vocabulary has hundreds of thousands of terms and most questions never ask."""
        found = self._folds.get(letter)
        if found is None:
            found = self._folds[letter] = spellings.by_fold((t, self.doc_freq[t]) for t in self._by_initial.get(letter, ()))
        return found

    def other_spelling(self, term: str) -> str | None:
        """The corpus's spelling of the name ``term`` spells another way ("kiev" -> "kyiv", "vinnitsa" ->
        "vinnytsia": ``index.spellings``), or None."""
        if term in self.doc_freq:
            return None
        known = [s for s in spellings.other_spellings(term) if s in self.doc_freq]
        if known:
            return max(known, key=self.doc_freq.__getitem__)
        if len(term) < TYPO_MIN_LENGTH:
            return None
        key = spellings.fold(term)
        found = [t for letter in spellings.first_letters(key) if (t := self._by_fold(letter).get(key))]
        return max(found, key=self.doc_freq.__getitem__) if found else None

    def _closest(self, term: str) -> str | None:
        """The known term ``term`` most likely misspells or spells another way ("kramatorks" -> "kramatorsk",
        "kiev" -> "kyiv"), or None."""
        if term in self.doc_freq:
            return None
        if spelling := self.other_spelling(term):
            return spelling
        if len(term) < TYPO_MIN_LENGTH or not term.isalpha():
            return None
        return textlib.closest_spelling(term, self._by_initial, max_length_gap=TYPO_LENGTH_GAP)

    def corrected(self, tokens: Iterable[str], keep: Collection[str] = ()) -> tuple[str, ...]:
        """``tokens`` with each unknown one replaced by the known term it most likely misspells, except
        those in ``keep`` (the tokens of ordinary English words: "latest" is no typo of "late")."""
        return tuple(dict.fromkeys(t if t in keep else (self.closest(t) or t) for t in tokens))


class LexicalIndex:
    """BM25 over paragraphs keyed by id.  Read-only once built; safe to share between threads."""

    def __init__(self, ids: np.ndarray, bm25: bm25s.BM25 | None):
        self.ids = ids  # row -> paragraph id
        self.bm25 = bm25
        self.doc_freq: dict[str, int] = {}  # paragraphs holding each term
        if bm25 is not None:
            df = np.diff(bm25.scores["indptr"])
            self.doc_freq = {tok: int(df[i]) for tok, i in bm25.vocab_dict.items() if tok}

    @classmethod
    def build(cls, ids: Sequence[int], token_strings: Sequence[str]) -> LexicalIndex:
        """An index of paragraphs ``ids`` whose tokens are ``token_strings`` (space-separated, as stored)."""
        bm25 = None
        if len(ids):
            bm25 = bm25s.BM25()
            bm25.index([tokens.split() or [""] for tokens in token_strings], show_progress=False)
        return cls(np.asarray(ids, dtype=np.int64), bm25)

    def save(self, folder: Path) -> None:
        shutil.rmtree(folder / FOLDER, ignore_errors=True)
        if self.bm25 is not None:
            self.bm25.save(str(folder / FOLDER))
        np.save(folder / IDS, self.ids)

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex:
        """The index saved in ``folder``; any damage is IndexDamaged naming the file."""
        with integrity.reading(folder / IDS):
            ids = np.load(folder / IDS, allow_pickle=False)
        if not len(ids):
            return cls(ids, None)
        with integrity.reading(folder / FOLDER):
            return cls(ids, bm25s.BM25.load(str(folder / FOLDER), show_progress=False, verbosity=0))

    def count(self) -> int:
        return len(self.ids)

    @functools.cached_property
    def vocabulary(self) -> Vocabulary:
        return Vocabulary(self.doc_freq, len(self.ids))

    def search(self, tokens: Sequence[str], k: int) -> list[tuple[int, float]]:
        """(paragraph id, BM25 score) of the best ``k`` paragraphs sharing a term with ``tokens``, best first."""
        if self.bm25 is None or not tokens:
            return []
        known = [t for t in tokens if t in self.doc_freq]
        if not known:
            return []
        rows, scores = self.bm25.retrieve([known], k=min(k, len(self.ids)), show_progress=False)
        return [(int(self.ids[r]), float(s)) for r, s in zip(rows[0], scores[0]) if s > 0]

    def search_reweighted(self, tokens: Sequence[str], k: int, idf: dict[str, float], exclude: Collection[int] = ()) -> list[tuple[int, float]]:
        """``search`` with each term's IDF replaced by ``idf[term]`` (a larger corpus's: index/store/composite.py)
        and the paragraphs ``exclude`` left out.  Sums bm25s's stored per-term scores as bm25s does."""
        if self.bm25 is None or not tokens:
            return []
        matrix = self.bm25.scores
        data, indices, indptr = matrix["data"], matrix["indices"], matrix["indptr"]
        scores = np.zeros(len(self.ids), np.float32)
        n = len(self.ids)
        for token in dict.fromkeys(tokens):
            column = self.bm25.vocab_dict.get(token) if token in self.doc_freq else None
            if column is None:
                continue
            df = self.doc_freq[token]
            own = float(np.log(1 + (n - df + 0.5) / (df + 0.5)))
            start, end = indptr[column], indptr[column + 1]
            scores[indices[start:end]] += data[start:end] * np.float32(idf.get(token, own) / own if own else 1.0)
        if exclude:
            scores[np.isin(self.ids, np.fromiter(exclude, np.int64, len(exclude)))] = 0
        k = min(k, int(np.count_nonzero(scores)))
        if k <= 0:
            return []
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(int(self.ids[r]), float(scores[r])) for r in top]

    def term_weights(self, tokens: Sequence[str]) -> dict[str, float]:
        """IDF of each distinct term, normalised to sum to 1 (empty when they sum to 0)."""
        return idf_weights(self.doc_freq, len(self.ids), tokens)
