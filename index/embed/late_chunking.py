"""Late chunking: sentence vectors pooled from the token outputs of their whole paragraph.

A paragraph goes through the model once; each of its sentences
(``text.sentence_spans``) gets the mean of its own tokens' outputs, which were
computed with the whole paragraph in view.  Only for mean-pooling models, where
that mean is what the model would give the sentence read on its own.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from index import text as textlib


def pool_spans(states: np.ndarray, offsets: np.ndarray, spans: Sequence[tuple[int, int]]) -> list[np.ndarray | None]:
    """Late chunking: a unit vector per character span of a text embedded whole, the mean of
    its tokens' outputs plus the special tokens around them (as when the span is embedded on its
    own, but in context), or None for a span the model did not see whole (cut off at max length)."""
    starts, ends = offsets[:, 0], offsets[:, 1]
    special = ends == starts
    seen = int(ends[~special].max()) if (~special).any() else 0  # where the model stopped reading
    out: list[np.ndarray | None] = []
    for a, b in spans:
        inside = (ends > starts) & (starts >= a) & (ends <= b)
        if b > seen or not inside.any():
            out.append(None)
            continue
        vector = states[inside | special].mean(axis=0)
        out.append(vector / max(float(np.linalg.norm(vector)), 1e-12))
    return out


def sentence_vectors(text: str, states: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, list[tuple[int, str]]]:
    """One row per sentence of ``text``, and (row, sentence) for each sentence the model did not
    see whole: its row is left zero for the caller to fill by embedding the sentence on its own."""
    spans = textlib.sentence_spans(text)
    rows = np.zeros((len(spans), states.shape[1]), np.float32)
    cut_off = []
    for j, ((a, b), vector) in enumerate(zip(spans, pool_spans(states, offsets, spans))):
        if vector is None:
            cut_off.append((j, text[a:b]))
        else:
            rows[j] = vector
    return rows, cut_off
