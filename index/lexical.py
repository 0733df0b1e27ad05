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
import re
import shutil
from collections.abc import Collection, Iterable, Sequence
from pathlib import Path

import bm25s
import numpy as np
import scipy.sparse

from index import integrity, spellings
from index import text as textlib

logging.getLogger("bm25s").setLevel(logging.WARNING)  # it logs every build at DEBUG

FOLDER = "lexical"
IDS = "lexical_ids.npy"


def query_tokens(text: str) -> tuple[str, ...]:
    """A question's distinct search tokens, in order; a model's plural ("F-16s", "AT-4s": "16s", "4s") is searched
    with its singular ("16", "4"), which reports write as often."""
    return tuple(dict.fromkeys(form for token in textlib.lexical_tokens(text) for form in (token, MODEL_PLURAL.sub("", token))))


# A model's plural ending: "F-16s", "S-300's" (a question's word, index/question.py) and "16s" (a token).
MODEL_PLURAL = re.compile(r"(?<=\d)[’']?s$")


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

    @functools.cached_property
    def _listed_by_initial(self) -> dict[str, list[str]]:
        return textlib.by_initial(textlib.listed_words_of(self.doc_freq))

    def listed_spelling(self, word: str) -> str | None:
        """The word of the English word list that the lowercase ``word`` most likely misspells, of those whose term the
        corpus holds ("invincibilty": "invincibility", whose term "invinc" no slip of "invincibilti" reaches), or None."""
        if len(word) < TYPO_MIN_LENGTH or not word.isalpha():
            return None
        return textlib.closest_spelling(word, self._listed_by_initial, max_length_gap=1)

    def _closest(self, term: str) -> str | None:
        """The known term ``term`` most likely misspells or spells another way ("kramatorks" -> "kramatorsk",
        "kiev" -> "kyiv"), or None."""
        if term in self.doc_freq:
            return None
        if spelling := self.other_spelling(term):
            return spelling
        if len(term) < TYPO_MIN_LENGTH or not term.isalpha():
            return None
        # A typo as close to two terms reads as the more common one, then the first in the alphabet: the same
        # whatever order the index's vocabulary came in (bm25s's differs from build to build).
        return textlib.closest_spelling(term, self._by_initial, max_length_gap=TYPO_LENGTH_GAP,
                                        prefer=lambda t: (-self.doc_freq[t], t))

    def corrected(self, tokens: Iterable[str], keep: Collection[str] = ()) -> tuple[str, ...]:
        """``tokens`` with each unknown one replaced by the known term it most likely misspells, except
        those in ``keep`` (the tokens of ordinary English words: "latest" is no typo of "late")."""
        return tuple(dict.fromkeys(t if t in keep else (self.closest(t) or t) for t in tokens))


# A large index's best rows are picked from those scoring at least what a strided sample's best few score:
# a few hundred rows rather than every paragraph that shares a common word with the question.
SAMPLE_STRIDE = 16


def best_rows(scores: np.ndarray, k: int) -> np.ndarray:
    """The rows of the ``k`` best positive ``scores``, best first; equal scores: the earlier row first."""
    if k <= 0:
        return np.zeros(0, np.int64)
    rows = None
    if len(scores) > 64 * k:
        sample = scores[::SAMPLE_STRIDE]
        place = min(len(sample) - 1, 4 * k // SAMPLE_STRIDE)  # about 4k rows of the whole score this or more
        floor = np.partition(sample, len(sample) - 1 - place)[len(sample) - 1 - place]
        if floor > 0:
            rows = np.flatnonzero(scores >= floor)
            if len(rows) < k:  # then the k-th best is below the floor: look at all
                rows = None
    if rows is None:
        rows = np.flatnonzero(scores > 0)
    if len(rows) > k:
        kth = np.partition(scores[rows], len(rows) - k)[len(rows) - k]  # the k-th best score
        above, tied = rows[scores[rows] > kth], rows[scores[rows] == kth]
        rows = np.concatenate([above, tied[: k - len(above)]])  # ties at the cut: the earlier rows
    return rows[np.lexsort((rows, -scores[rows]))]


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
        """(paragraph id, BM25 score) of the best ``k`` paragraphs sharing a term with ``tokens``, best first
        (equal scores: the earlier row first)."""
        return self.search_reweighted(tokens, k, {})

    def search_reweighted(self, tokens: Sequence[str], k: int, idf: dict[str, float], exclude: Collection[int] = ()) -> list[tuple[int, float]]:
        """``search`` with each term's IDF replaced by ``idf[term]`` (a larger corpus's: index/store/composite.py;
        a term not in ``idf`` keeps its own) and the paragraphs ``exclude`` left out."""
        scores = self._scores(tokens, idf)
        if scores is None:
            return []
        if exclude:
            scores[np.isin(self.ids, np.fromiter(exclude, np.int64, len(exclude)))] = 0
        rows = best_rows(scores, k)
        return [(int(self.ids[r]), float(scores[r])) for r in rows]

    def _scores(self, tokens: Sequence[str], idf: dict[str, float]) -> np.ndarray | None:
        """Every row's BM25 score for ``tokens`` (None when no token is known): the sum of bm25s's stored
        per-term scores, each term's scaled by ``idf[term]`` over its own IDF when given.  Summed by one sparse
        product over the terms' postings: bm25s's ``retrieve`` sums them with ``np.add.at``, 12 ms a question at
        100k paragraphs, and numpy's fancy-index ``+=`` took 8 ms at 1M for ``scipy``'s 2 (bench/scale_pipeline.py)."""
        if self.bm25 is None:
            return None
        matrix = self.bm25.scores
        data, indices, indptr = matrix["data"], matrix["indices"], matrix["indptr"]
        n = len(self.ids)
        columns, weights = [], []
        for token in dict.fromkeys(tokens):
            column = self.bm25.vocab_dict.get(token) if token in self.doc_freq else None
            if column is None:
                continue
            df = self.doc_freq[token]
            own = float(np.log(1 + (n - df + 0.5) / (df + 0.5)))
            columns.append(column)
            weights.append(idf[token] / own if token in idf and own else 1.0)
        if not columns:
            return None
        starts, ends = indptr[columns], indptr[np.asarray(columns) + 1]
        postings = scipy.sparse.csc_matrix(
            (np.concatenate([data[a:b] for a, b in zip(starts, ends)]), np.concatenate([indices[a:b] for a, b in zip(starts, ends)]),
             np.concatenate([[0], np.cumsum(ends - starts)])),
            shape=(n, len(columns)),
        )
        return np.asarray(postings @ np.asarray(weights, np.float32), np.float32)

    def term_weights(self, tokens: Sequence[str]) -> dict[str, float]:
        """IDF of each distinct term, normalised to sum to 1 (empty when they sum to 0)."""
        return idf_weights(self.doc_freq, len(self.ids), tokens)
