"""Measure answer quality: retrieval recall and MRR, abstention, per-question misses.

A QA set is JSON Lines, one question per line, in one of three shapes:

* ``{"q": ..., "gold": [substring, ...]}``: a passage is relevant if it
  contains any gold substring (compared without case or whitespace, so a
  gold written from the raw text matches the cleaned, re-spaced passage);
* ``{"q": ..., "gold_ids": [document id, ...]}``: relevant if it comes from
  one of those documents (its indexed id, or the id it has in its own file);
* ``{"q": ..., "answerable": false}``: off-topic; the right answer is to abstain.

A line may hold a conversation instead of one question: ``{"turns": [question, ...],
"gold": ...}`` asks the turns in order through ``CrisisService.converse`` (each read
against the ones before it) and scores the last turn, with the gold fields above.
Its optional ``full`` is the last question with its context written out ("What did
Russia do in response to the Kerch bridge attack?"): the report's ``written_out``
scores those questions asked alone, so a follow-up's figures can be set beside the
question it stands for.

Optional fields on any line: ``kind`` (paraphrase, keyword, dated, when, factoid,
typo, confusable, beyond, offtopic, adversarial, uk, ru...: every figure is also
reported per kind), ``gold_date`` (ISO; the answer should state it),
``neighbour_ids`` (documents of a confusable neighbour event: an answer citing
them quotes the wrong event) and ``today`` (ISO; the day the question is asked,
for "last week" and "yesterday").

Every mode of ``index.search.MODES`` runs through the same service call
(``CrisisService.ask(mode=...)``), so the comparison is of ranking alone plus
the abstention it leads to.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import statistics
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from index.answer import Answer
from index.conversation import Turn
from index.errors import BadQASet
from index.search import MODES, Passage
from index.service import CrisisService
from index.timeframe import PRINTED, format_day

CUTOFFS = (1, 3, 5)
DEPTH = 5  # passages retrieved per question


@dataclass(frozen=True)
class Question:
    q: str
    gold: tuple[str, ...] = ()
    gold_ids: tuple[str, ...] = ()
    answerable: bool = True
    line: int = 0
    kind: str = ""
    gold_date: dt.date | None = None
    neighbour_ids: tuple[str, ...] = ()
    today: dt.date | None = None
    turns: tuple[str, ...] = ()  # a conversation: the questions asked before ``q``, oldest first
    full: str = ""  # a conversation's last question with its context written out


@dataclass
class Miss:
    question: str
    problem: str  # "refused", "answered off-topic", "not in top 5", "rank 3", "first sentence off", "no date", "quotes a neighbour"
    top: str = ""  # start of the best passage, to see what came instead
    kind: str = ""
    searched: str = ""  # a conversation's last question as resolved and searched


@dataclass
class Outcome:
    """What one question got."""

    question: Question
    abstained: bool
    rank: int | None  # of the first relevant passage, None if none in the top DEPTH
    took_ms: float
    answer_hit: bool | None = None  # the answer quotes a gold substring (answers composed, gold text given)
    first_hit: bool | None = None  # the answer's first sentence quotes one (answered, gold text given)
    first_gold: bool | None = None  # the answer's first sentence cites a relevant passage (answered, answerable)
    states_date: bool | None = None  # the answer text states the gold date (answered, gold_date given)
    neighbour: bool | None = None  # the answer cites a confusable neighbour's document (answered, neighbour_ids given)
    altered: int | None = None  # answer sentences not found word for word in the sources (None: not checked)
    top: str = ""  # start of the best passage, to see what came
    searched: str = ""  # a conversation's last question as resolved and searched


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
    # Of the answered questions with gold text, the share whose first answer sentence quotes it: the sentence a
    # member reads first says what was asked, not only something of the right report.
    first_sentence_quotes_gold: float | None = None
    # Of the answered answerable questions, the share whose first answer sentence cites a relevant passage.
    first_sentence_gold: float | None = None
    # Of the answered questions with a gold date, the share whose answer states it.
    states_date: float | None = None
    # Of the answered questions with a confusable neighbour, the share citing the neighbour.
    quotes_neighbour: float | None = None
    # Answer sentences whose words differ from the original source (checked when the sources are given).
    altered_sentences: int | None = None
    refused: int = 0  # answerable questions refused
    misses: list[Miss] = field(default_factory=list)
    by_kind: dict[str, Report] = field(default_factory=dict)
    # Conversations with a ``full`` question: those questions asked alone, context written out.
    written_out: Report | None = None

    def to_json(self) -> dict:
        data = asdict(self)
        data["recall"] = {f"@{k}": round(v, 4) for k, v in self.recall.items()}
        for key in ("mrr", "abstention_precision", "abstention_recall", "answer_rate", "took_ms_p50", "answer_hit",
                    "first_sentence_quotes_gold", "first_sentence_gold", "states_date", "quotes_neighbour"):
            data[key] = None if data[key] is None else round(data[key], 4)
        data["by_kind"] = {kind: report.to_json() for kind, report in self.by_kind.items()}
        data["written_out"] = self.written_out.to_json() if self.written_out is not None else None
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
        turns = obj.get("turns") if isinstance(obj, dict) else None
        if turns is not None:
            if not isinstance(turns, list) or not turns or not all(isinstance(t, str) and t.strip() for t in turns) or "q" in obj:
                raise BadQASet(f'{path}:{number}: "turns" must be a list of question strings (and no "q")')
            obj = {**obj, "q": turns[-1]}
        if not isinstance(obj, dict) or not isinstance(obj.get("q"), str) or not obj["q"].strip():
            raise BadQASet(f'{path}:{number}: expected an object with a "q" string or a "turns" list')
        gold = tuple(str(g) for g in obj.get("gold") or ())
        gold_ids = tuple(str(g) for g in obj.get("gold_ids") or ())
        answerable = bool(obj.get("answerable", True))
        if answerable and not gold and not gold_ids:
            raise BadQASet(f'{path}:{number}: needs "gold", "gold_ids" or "answerable": false')
        try:
            gold_date, today = (_iso(obj.get(key), key) for key in ("gold_date", "today"))
        except ValueError as exc:
            raise BadQASet(f"{path}:{number}: {exc}") from None
        questions.append(Question(
            obj["q"], gold, gold_ids, answerable, number, kind=str(obj.get("kind") or ""), gold_date=gold_date,
            neighbour_ids=tuple(str(g) for g in obj.get("neighbour_ids") or ()), today=today,
            turns=tuple(turns[:-1]) if turns else (), full=str(obj.get("full") or "") if turns else "",
        ))
    if not questions:
        raise BadQASet(f"{path}: no questions")
    return questions


def _iso(value: object, key: str) -> dt.date | None:
    if value in (None, ""):
        return None
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ValueError(f"{key} must be a date as YYYY-MM-DD, not {value!r}") from None


def original_texts(paths: Iterable[Path | str]) -> str:
    """The source text of every file under ``paths``, squashed (no case, no whitespace) and joined: an
    answer sentence whose squashed form is not in it had its words changed on the way.  JSON Lines are
    decoded (title, text, paragraphs); other files are read as they are."""
    pieces: list[str] = []
    for root in map(Path, paths):
        files = sorted(f for f in root.rglob("*") if f.is_file()) if root.is_dir() else [root]
        for file in files:
            content = file.read_text(encoding="utf-8", errors="replace")
            if file.suffix != ".jsonl":
                pieces.append(content)
                continue
            for line in content.splitlines():
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError:
                    continue
                if isinstance(obj, dict):
                    pieces.extend(str(x) for x in [obj.get("title", ""), obj.get("text", ""), *(obj.get("paragraphs") or [])])
    return "\x00".join(_squash(piece) for piece in pieces)


def _cites(passage: Passage, ids: Sequence[str]) -> bool:
    return any({d.id, d.id_in_source} & set(ids) for d in passage.paragraph.documents)


def states_date(text: str, day: dt.date) -> bool:
    """Does ``text`` state ``day`` in any of the ways an answer writes it (a Ukrainian or Russian answer
    prints its dates in its own language: "28 бер. 2022")?"""
    spellings = {day.isoformat(), f"{day.day} {day:%B %Y}", f"{day:%B} {day.day}, {day.year}",
                 *(format_day(day, language) for language in PRINTED)}
    return any(s in text for s in spellings)


def is_relevant(question: Question, passage: Passage) -> bool:
    if question.gold_ids and _cites(passage, question.gold_ids):
        return True
    text = _squash(passage.paragraph.text)
    return any(_squash(g) in text for g in question.gold)


def first_relevant_rank(question: Question, passages: Sequence[Passage]) -> int | None:
    """1-based rank of the first relevant passage, or None."""
    for rank, passage in enumerate(passages, 1):
        if is_relevant(question, passage):
            return rank
    return None


def written_out(questions: Iterable[Question]) -> list[Question]:
    """The conversations' ``full`` questions, each asked alone with the conversation's gold."""
    return [replace(q, q=q.full, turns=(), full="") for q in questions if q.turns and q.full]


def _ask(service: CrisisService, question: Question, mode: str, compose_answer: bool) -> tuple[Answer, str]:
    """The answer to the question (the last turn of a conversation, read against the turns before it,
    whose answers are composed as a member would see them) and the text searched for it."""
    if not question.turns:
        return service.ask(question.q, DEPTH, mode=mode, today=question.today, compose_answer=compose_answer), question.q
    kept: list[Turn] = []
    for earlier in question.turns:
        kept.append(service.converse(earlier, kept, k=DEPTH, mode=mode, today=question.today)[1])
    answer, turn = service.converse(question.q, kept, k=DEPTH, mode=mode, today=question.today, compose_answer=compose_answer)
    return answer, turn.searched


def _outcome(service: CrisisService, question: Question, mode: str, full: bool, originals: str | None) -> Outcome:
    """Ask one question.  ``full`` composes the whole answer as /ask does; otherwise only retrieval and
    the abstention decision run (same ranking and refusals, no sentence extraction), for speed."""
    if not full:
        start = time.perf_counter()
        answer, searched = _ask(service, question, mode, False)
        return Outcome(question, answer.abstained, first_relevant_rank(question, answer.passages),
                       (time.perf_counter() - start) * 1000, top=_top(answer.passages), searched=searched)
    answer, searched = _ask(service, question, mode, True)
    outcome = Outcome(question, answer.abstained, first_relevant_rank(question, answer.passages), answer.took_ms,
                      top=_top(answer.passages), searched=searched)
    if answer.abstained:
        return outcome
    cited = {c.n: c for c in answer.citations}
    passages = {p.id: p for p in answer.passages}
    cited_passages = [passages[c.paragraph_id] for c in answer.citations if c.paragraph_id in passages]
    if question.gold:
        squashed = _squash(answer.answer)
        outcome.answer_hit = any(_squash(g) in squashed for g in question.gold)
        if answer.sentences:
            first_sentence = _squash(answer.sentences[0].text)
            outcome.first_hit = any(_squash(g) in first_sentence for g in question.gold)
    if question.answerable and answer.sentences:
        first = cited[answer.sentences[0].n]
        outcome.first_gold = first.paragraph_id in passages and is_relevant(question, passages[first.paragraph_id])
    if question.gold_date is not None:
        outcome.states_date = states_date(answer.answer, question.gold_date)
    if question.neighbour_ids:
        outcome.neighbour = any(_cites(p, question.neighbour_ids) and not is_relevant(question, p) for p in cited_passages)
    if originals is not None:
        outcome.altered = sum(_squash(s.text) not in originals for s in answer.sentences)
    return outcome


def _top(passages: Sequence[Passage]) -> str:
    return passages[0].paragraph.text[:80] if passages else ""


def _share(flags: Iterable[bool | None]) -> float | None:
    known = [f for f in flags if f is not None]
    return sum(known) / len(known) if known else None


def _misses(outcome: Outcome) -> list[Miss]:
    q = outcome.question
    found: list[str] = []
    if not q.answerable:
        if not outcome.abstained:
            found.append("answered off-topic")
    else:
        if outcome.abstained:
            found.append("refused")
        if outcome.rank is None:
            found.append(f"not in top {DEPTH}")
        elif outcome.rank > 1:
            found.append(f"rank {outcome.rank}")
    if outcome.first_gold is False:
        found.append("first sentence off")
    if outcome.states_date is False:
        found.append("no date")
    if outcome.neighbour:
        found.append("quotes a neighbour")
    if outcome.altered:
        found.append(f"{outcome.altered} sentence(s) altered")
    searched = outcome.searched if outcome.searched != q.q else ""
    return [Miss(q.q, problem, outcome.top, q.kind, searched) for problem in found]


def summarise(mode: str, outcomes: Sequence[Outcome], misses: Sequence[Miss] = ()) -> Report:
    answerable = [o for o in outcomes if o.question.answerable]
    offtopic = [o for o in outcomes if not o.question.answerable]
    refused_offtopic = sum(o.abstained for o in offtopic)
    refused_answerable = sum(o.abstained for o in answerable)
    refused = refused_offtopic + refused_answerable
    ranks = [o.rank for o in answerable]
    n = len(answerable)
    altered = [o.altered for o in outcomes if o.altered is not None]
    return Report(
        mode=mode,
        questions=len(outcomes),
        answerable=n,
        unanswerable=len(offtopic),
        recall={k: sum(r is not None and r <= k for r in ranks) / n if n else 0.0 for k in CUTOFFS},
        mrr=sum(1 / r for r in ranks if r) / n if n else 0.0,
        abstention_precision=refused_offtopic / refused if refused else 1.0,
        abstention_recall=refused_offtopic / len(offtopic) if offtopic else 1.0,
        answer_rate=(n - refused_answerable) / n if n else 1.0,
        took_ms_p50=statistics.median(o.took_ms for o in outcomes) if outcomes else 0.0,
        answer_hit=_share(o.answer_hit for o in answerable),
        first_sentence_quotes_gold=_share(o.first_hit for o in answerable),
        first_sentence_gold=_share(o.first_gold for o in answerable),
        states_date=_share(o.states_date for o in outcomes),
        quotes_neighbour=_share(o.neighbour for o in outcomes),
        altered_sentences=sum(altered) if altered else None,
        refused=refused_answerable,
        misses=list(misses),
    )


def evaluate(service: CrisisService, questions: Iterable[Question], mode: str, *, full: bool = True,
             originals: str | None = None) -> Report:
    """Ask every question in ``mode`` and score the ranking, the abstentions and the answers, overall and per kind.

    ``full=False`` skips composing answers (sentence extraction), which cannot change
    the ranking or the refusals, for speed; took_ms is then retrieval time only and the
    answer figures are None.  ``originals`` (``original_texts`` of the sources) turns on
    the check that cited sentences are word for word in their source.
    """
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}; one of {', '.join(MODES)}")
    outcomes: list[Outcome] = []
    misses: list[Miss] = []
    for question in questions:
        outcome = _outcome(service, question, mode, full, originals)
        outcomes.append(outcome)
        misses.extend(_misses(outcome))
    report = summarise(mode, outcomes, misses)
    kinds = sorted({o.question.kind for o in outcomes if o.question.kind})
    report.by_kind = {
        kind: summarise(mode, [o for o in outcomes if o.question.kind == kind], [m for m in misses if m.kind == kind])
        for kind in kinds
    }
    alone = written_out(o.question for o in outcomes)
    if alone:
        report.written_out = evaluate(service, alone, mode, full=full, originals=originals)
    return report


def compare(service: CrisisService, questions: Sequence[Question], modes: Sequence[str] = MODES, *, full: bool = True,
            originals: str | None = None) -> list[Report]:
    return [evaluate(service, questions, mode, full=full, originals=originals) for mode in modes]


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


def _figure(value: float | int | None) -> str:
    if value is None:
        return "-"
    return str(value) if isinstance(value, int) else f"{value:.3f}"


def kind_table(report: Report) -> str:
    """One row per kind of question, then all: every figure of one mode."""
    head = ("| kind | n | R@1 | R@3 | MRR | refused | answer rate | abstain R | first sentence gold | "
            "first sentence quotes gold | states date | quotes neighbour | altered |")
    rows = [head, "|" + "---|" * 13]
    rows_of = [*report.by_kind.items(), ("all", report)]
    if report.written_out is not None:
        rows_of.append(("all, written out", report.written_out))
    for kind, r in rows_of:
        rows.append(
            f"| {kind} | {r.questions} | {_figure(r.recall[1] if r.answerable else None)} | "
            f"{_figure(r.recall[3] if r.answerable else None)} | {_figure(r.mrr if r.answerable else None)} | "
            f"{r.refused}/{r.answerable} | {_figure(r.answer_rate if r.answerable else None)} | "
            f"{_figure(r.abstention_recall if r.unanswerable else None)} | {_figure(r.first_sentence_gold)} | "
            f"{_figure(r.first_sentence_quotes_gold)} | {_figure(r.states_date)} | {_figure(r.quotes_neighbour)} | "
            f"{_figure(r.altered_sentences)} |"
        )
    return "\n".join(rows)
