"""Measure answer quality: retrieval recall and MRR, abstention, per-question misses.

A QA set is JSON Lines, one question per line, in one of three shapes:

* ``{"q": ..., "gold": [substring, ...]}``: a passage is relevant if it
  contains any gold substring (compared without case or whitespace, so a
  gold written from the raw text matches the cleaned, re-spaced passage);
* ``{"q": ..., "gold_ids": [document id, ...]}``: relevant if it comes from
  one of those documents (its indexed id, or the id it has in its own file);
* ``{"q": ..., "answerable": false}``: off-topic; the right answer is to abstain.

Every mode of ``index.search.MODES`` runs through the same service call
(``CrisisService.ask(mode=...)``), so the comparison is of ranking alone plus
the abstention it leads to.
"""

from __future__ import annotations

import json
import re
import statistics
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from index.answer import supported
from index.errors import BadQASet
from index.search import MODES, Passage
from index.service import CrisisService

CUTOFFS = (1, 3, 5)
DEPTH = 5  # passages retrieved per question


@dataclass(frozen=True)
class Question:
    q: str
    gold: tuple[str, ...] = ()
    gold_ids: tuple[str, ...] = ()
    answerable: bool = True
    line: int = 0


@dataclass
class Miss:
    question: str
    problem: str  # "refused", "answered off-topic", "not in top 5", "rank 3"
    top: str = ""  # start of the best passage, to see what came instead


@dataclass
class Report:
    mode: str
    questions: int
    answerable: int
    unanswerable: int
    recall: dict[int, float]
    mrr: float
    abstention_precision: float  # of the refusals, the share that were off-topic
    abstention_recall: float  # of the off-topic questions, the share refused
    answer_rate: float  # of the answerable questions, the share answered
    took_ms_p50: float
    # Of the answerable questions with gold text, the share whose composed answer quotes it
    # (None when answers were not composed): does sentence extraction keep the answer?
    answer_hit: float | None = None
    misses: list[Miss] = field(default_factory=list)

    def to_json(self) -> dict:
        data = asdict(self)
        data["recall"] = {f"@{k}": round(v, 4) for k, v in self.recall.items()}
        for key in ("mrr", "abstention_precision", "abstention_recall", "answer_rate", "took_ms_p50", "answer_hit"):
            data[key] = None if data[key] is None else round(data[key], 4)
        return data


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text.casefold())


def percentile(values: Sequence[float], share: float) -> float:
    """The value at ``share`` (0.5 for p50, 0.95 for p95) of the sorted values, nearest rank; for every
    latency the project reports (eval, bench/, the load test), so all use the same definition."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def question_texts(path: Path | str) -> list[str]:
    """Just the questions of a QA set (the benchmarks ask them)."""
    return [question.q for question in load_questions(path)]


def load_questions(path: Path | str) -> list[Question]:
    """Read a QA JSON Lines file; BadQASet names the first bad line."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise BadQASet(f"cannot read {path}: {exc.strerror or exc}") from None
    questions = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise BadQASet(f"{path}:{number}: invalid JSON ({exc.msg})") from None
        if not isinstance(obj, dict) or not isinstance(obj.get("q"), str) or not obj["q"].strip():
            raise BadQASet(f'{path}:{number}: expected an object with a "q" string')
        gold = tuple(str(g) for g in obj.get("gold") or ())
        gold_ids = tuple(str(g) for g in obj.get("gold_ids") or ())
        answerable = bool(obj.get("answerable", True))
        if answerable and not gold and not gold_ids:
            raise BadQASet(f'{path}:{number}: needs "gold", "gold_ids" or "answerable": false')
        questions.append(Question(obj["q"], gold, gold_ids, answerable, number))
    if not questions:
        raise BadQASet(f"{path}: no questions")
    return questions


def is_relevant(question: Question, passage: Passage) -> bool:
    if question.gold_ids and any({d.id, d.id_in_source} & set(question.gold_ids) for d in passage.paragraph.documents):
        return True
    text = _squash(passage.paragraph.text)
    return any(_squash(g) in text for g in question.gold)


def first_relevant_rank(question: Question, passages: Sequence[Passage]) -> int | None:
    """1-based rank of the first relevant passage, or None."""
    for rank, passage in enumerate(passages, 1):
        if is_relevant(question, passage):
            return rank
    return None


def _run(service: CrisisService, question: str, mode: str, full: bool) -> tuple[list[Passage], bool, str, float, str | None]:
    """Passages, abstained?, why, took_ms.  ``full`` composes the whole answer as /ask does;
    otherwise only retrieval and the abstention decision run (same outcome, no sentence embedding)."""
    if full:
        answer = service.ask(question, DEPTH, mode=mode)
        return answer.passages, answer.abstained, answer.reason, answer.took_ms, answer.answer
    start = time.perf_counter()
    passages = service.retrieve(question, DEPTH, mode=mode)[2]
    settings = service.settings
    ok, reason = supported(passages, min_evidence=settings.min_evidence, coverage_weight=settings.evidence_coverage_weight)
    return passages, not ok, reason, (time.perf_counter() - start) * 1000, None


def evaluate(service: CrisisService, questions: Iterable[Question], mode: str, *, full: bool = True) -> Report:
    """Ask every question in ``mode`` and score the ranking and the abstentions.

    ``full=False`` skips composing answers (sentence extraction), which cannot
    change the scores, for speed; took_ms is then retrieval time only.
    """
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}; one of {', '.join(MODES)}")
    questions = list(questions)
    hits = {k: 0 for k in CUTOFFS}
    reciprocal = 0.0
    refused_offtopic = refused_answerable = answered_offtopic = 0
    took: list[float] = []
    misses: list[Miss] = []
    with_gold = answer_hits = 0
    for question in questions:
        passages, abstained, reason, took_ms, text = _run(service, question.q, mode, full)
        took.append(took_ms)
        top = passages[0].paragraph.text[:80] if passages else ""
        if not question.answerable:
            if abstained:
                refused_offtopic += 1
            else:
                answered_offtopic += 1
                misses.append(Miss(question.q, "answered off-topic", top))
            continue
        if abstained:
            refused_answerable += 1
            misses.append(Miss(question.q, f"refused ({reason})", top))
        if text is not None and question.gold:
            with_gold += 1
            squashed = _squash(text)
            answer_hits += any(_squash(g) in squashed for g in question.gold)
        rank = first_relevant_rank(question, passages)
        if rank is None:
            misses.append(Miss(question.q, f"not in top {DEPTH}", top))
            continue
        reciprocal += 1 / rank
        for k in CUTOFFS:
            hits[k] += rank <= k
        if rank > 1:
            misses.append(Miss(question.q, f"rank {rank}", top))
    answerable = sum(q.answerable for q in questions)
    unanswerable = len(questions) - answerable
    refused = refused_offtopic + refused_answerable
    return Report(
        mode=mode,
        questions=len(questions),
        answerable=answerable,
        unanswerable=unanswerable,
        recall={k: hits[k] / answerable if answerable else 0.0 for k in CUTOFFS},
        mrr=reciprocal / answerable if answerable else 0.0,
        abstention_precision=refused_offtopic / refused if refused else 1.0,
        abstention_recall=refused_offtopic / unanswerable if unanswerable else 1.0,
        answer_rate=(answerable - refused_answerable) / answerable if answerable else 1.0,
        took_ms_p50=statistics.median(took) if took else 0.0,
        answer_hit=answer_hits / with_gold if with_gold else None,
        misses=misses,
    )


def compare(service: CrisisService, questions: Sequence[Question], modes: Sequence[str] = MODES, *, full: bool = True) -> list[Report]:
    return [evaluate(service, questions, mode, full=full) for mode in modes]


def markdown_table(reports: Sequence[Report]) -> str:
    """One row per mode: the comparison table for the README."""
    head = "| mode | R@1 | R@3 | R@5 | MRR | abstain P | abstain R | answer rate | answer quotes gold | p50 ms |"
    rows = [head, "|" + "---|" * 10]
    for r in reports:
        rows.append(
            f"| {r.mode} | {r.recall[1]:.3f} | {r.recall[3]:.3f} | {r.recall[5]:.3f} | {r.mrr:.3f} | "
            f"{r.abstention_precision:.3f} | {r.abstention_recall:.3f} | {r.answer_rate:.3f} | "
            f"{'-' if r.answer_hit is None else format(r.answer_hit, '.3f')} | {r.took_ms_p50:.0f} |"
        )
    return "\n".join(rows)
