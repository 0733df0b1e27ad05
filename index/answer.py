"""Extractive answers: the sentences that best answer the question, each cited."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from index import lexical
from index import text as textlib
from index.config import Settings
from index.embed import Embedder
from index.search import Passage, Query
from index.store.protocol import ReadView

ABSTAIN_TEXT = "I could not find this in my sources, so I won't guess."
MAX_SENTENCES = 3
# A further sentence must score at least this share of the best one.
SENTENCE_KEEP_RATIO = 0.8
SENTENCE_LEXICAL_WEIGHT = 0.3
# Abstention: answer only when some passage's dense + weight * coverage reaches MIN_EVIDENCE.
# The defaults are the settings' (CRISISBOT_MIN_EVIDENCE, CRISISBOT_EVIDENCE_COVERAGE_WEIGHT): one place.
MIN_EVIDENCE = Settings.model_fields["min_evidence"].default
EVIDENCE_COVERAGE_WEIGHT = Settings.model_fields["evidence_coverage_weight"].default


@dataclass
class Citation:
    n: int
    title: str
    url: str | None
    date: str | None
    source: str  # outlet, or the URL's domain
    text: str  # the whole cited paragraph
    score: float
    paragraph_id: int
    document_id: str
    also_in: list[str] = field(default_factory=list)  # titles of other sources carrying it

    def to_json(self) -> dict:
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in asdict(self).items()}


@dataclass
class Answer:
    question: str
    answer: str
    abstained: bool
    citations: list[Citation]
    passages: list[Passage]  # everything retrieved, best first (cited or not)
    searched: int  # paragraphs in the index
    took_ms: float = 0.0
    reason: str = ""  # why it abstained, for logs and evaluation

    def to_json(self) -> dict:
        return {
            "question": self.question,
            "answer": self.answer,
            "abstained": self.abstained,
            "citations": [c.to_json() for c in self.citations],
            "took_ms": round(self.took_ms, 1),
        }


def _is_question(sentence: str) -> bool:
    """A sentence that asks rather than tells ("Who are the key players?"): never an answer."""
    return sentence.rstrip("\"”’') ").endswith("?")


def evidence(passage: Passage, coverage_weight: float = EVIDENCE_COVERAGE_WEIGHT) -> float:
    """How strongly one passage supports an answer: meaning plus a share of the question's terms."""
    return passage.dense + coverage_weight * passage.coverage


def supported(
    passages: list[Passage],
    *,
    min_evidence: float = MIN_EVIDENCE,
    coverage_weight: float = EVIDENCE_COVERAGE_WEIGHT,
) -> tuple[bool, str]:
    """Is there evidence in the corpus for an answer?

    Dense and lexical evidence are taken together, per passage: cosine
    similarity plus a weighted IDF coverage of the question's terms.  A
    paraphrase scores on meaning, a keyword query on its terms, an off-topic
    question on neither.  Calibrated on tests/eval (docs/readme-quality.md).
    """
    if not passages:
        return False, "nothing retrieved"
    best = max(passages, key=lambda p: evidence(p, coverage_weight))
    score = evidence(best, coverage_weight)
    detail = f"evidence {score:.2f} (dense {best.dense:.2f}, coverage {best.coverage:.2f})"
    if score >= min_evidence:
        return True, detail
    return False, f"weak {detail}"


def _sentences(embedder: Embedder, pool: list[Passage]) -> tuple[list[tuple[Passage, str]], np.ndarray]:
    """The candidate sentences of ``pool`` (statements of 20 characters or more) and their vectors.

    The vectors were stored with the paragraph at index time (late chunking,
    ``Embedder.encode_with_sentences``); sentences of a paragraph without them
    (an index written before they were) are embedded now, once per process.
    """
    sentences: list[tuple[Passage, str]] = []
    rows: list[np.ndarray | None] = []
    for passage in pool:
        text = passage.paragraph.text
        spans = textlib.sentence_spans(text)
        stored = passage.paragraph.sentence_vectors
        if stored is None or len(stored) != len(spans):
            stored = [None] * len(spans)
        for (a, b), vector in zip(spans, stored):
            sentence = text[a:b]
            if len(sentence) >= 20 and not _is_question(sentence):
                sentences.append((passage, sentence))
                rows.append(vector)
    if not sentences:
        sentences = [(p, p.paragraph.text) for p in pool]
        rows = [None] * len(sentences)
    missing = [i for i, vector in enumerate(rows) if vector is None]
    if missing:
        for i, vector in zip(missing, embedder.encode_cached([sentences[i][1] for i in missing])):
            rows[i] = vector
    return sentences, np.vstack(rows) if rows else np.zeros((0, embedder.dimension), np.float32)


def compose(
    view: ReadView,
    embedder: Embedder,
    query: Query,
    passages: list[Passage],
    *,
    max_citations: int,
    min_dense: float,
    min_coverage: float,
    min_evidence: float = MIN_EVIDENCE,
    coverage_weight: float = EVIDENCE_COVERAGE_WEIGHT,
) -> Answer:
    ok, reason = supported(passages, min_evidence=min_evidence, coverage_weight=coverage_weight)
    if not ok:
        return Answer(query.text, ABSTAIN_TEXT, True, [], passages, view.size, reason=reason)

    # Score every sentence of the strongest passages.
    pool = [p for p in passages[: max_citations * 2] if p.dense >= min_dense * 0.6 or p.coverage >= min_coverage]
    sentences, vectors = _sentences(embedder, pool)
    cos = vectors @ query.vector
    weights = view.term_weights(query.tokens)
    scores = []
    for (passage, sentence), c in zip(sentences, cos):
        cov = lexical.coverage(weights, set(textlib.lexical_tokens(sentence)))
        # A sentence inherits some of its passage's standing: context counts.
        scores.append(float(c) + SENTENCE_LEXICAL_WEIGHT * cov + 0.5 * passage.score)
    order = np.argsort(scores)[::-1]
    best = scores[order[0]]

    picked: list[tuple[Passage, str]] = []
    cited: dict[int, int] = {}  # paragraph id -> n
    for i in order:
        passage, sentence = sentences[i]
        if len(picked) >= MAX_SENTENCES or scores[i] < best * SENTENCE_KEEP_RATIO:
            break
        if passage.id not in cited and len(cited) >= max_citations:
            continue
        if any(textlib.dedup_key(sentence) == textlib.dedup_key(s) for _, s in picked):
            continue
        cited.setdefault(passage.id, len(cited) + 1)
        picked.append((passage, sentence))

    # Read in the order the sources tell it: by citation, then by position in the paragraph.
    picked.sort(key=lambda ps: (cited[ps[0].id], ps[0].paragraph.text.find(ps[1])))
    answer = " ".join(f"{sentence} [{cited[passage.id]}]" for passage, sentence in picked)
    by_id = {p.id: p for p, _ in picked}
    citations = [
        Citation(
            n=n,
            title=by_id[pid].paragraph.document.title,
            url=by_id[pid].paragraph.document.url,
            date=by_id[pid].paragraph.document.date,
            source=by_id[pid].paragraph.document.outlet,
            text=by_id[pid].paragraph.text,
            score=by_id[pid].score,
            paragraph_id=pid,
            document_id=by_id[pid].paragraph.document.id,
            also_in=[d.title for d in by_id[pid].paragraph.documents[1:]],
        )
        for pid, n in sorted(cited.items(), key=lambda kv: kv[1])
    ]
    return Answer(query.text, answer, False, citations, passages, view.size, reason=reason)
