"""Extractive answers: the sentences that best answer the question, each cited."""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import re
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace

import numpy as np

from index import lexical, search
from index import text as textlib
from index.config import Settings
from index.embed import Embedder
from index.phrases import phrase
from index.question import asked_part, asks_how_many, asks_span_start, asks_when, counted_terms
from index.search import Passage, Query
from index.store.protocol import ReadView
from index.timeframe import NEWS_DAYS, WEEKDAY_NAME, bound_day, format_day, stated_date

MAX_SENTENCES = 3
# A further sentence must score at least this share of the best one; one from another passage
# (of the same event) at least the second share.
SENTENCE_KEEP_RATIO = 0.8
OTHER_PASSAGE_KEEP_RATIO = 0.9
SENTENCE_LEXICAL_WEIGHT = 0.3
# Added to a sentence that states a number, when the question asks how many.
NUMBER_BONUS = 0.1
# ... and instead, when the question names what it counts ("how many injured"), to a sentence that states a number
# and holds what is counted (none to one that holds a number of something else: the death toll, for the injured).
# Over the 27 war sets' 1,701 English questions with gold text, the first sentence held it 1,029 -> 1,041 times
# (0.1 / 0.3: 1,034 / 1,043); 12 answers gained it, none lost it.
COUNTED_BONUS = 2 * NUMBER_BONUS
# Two passages are about the same event when their sources are at most this many days apart.
SAME_EVENT_DAYS = 3
RETOLD_DAYS = 1  # another report of an event is of its day or the next (_dated_retelling)
# Abstention: answer only when some passage's dense + weight * coverage reaches MIN_EVIDENCE.
# The defaults are the settings' (CRISISBOT_MIN_EVIDENCE, CRISISBOT_EVIDENCE_COVERAGE_WEIGHT): one place.
MIN_EVIDENCE = Settings.model_fields["min_evidence"].default
EVIDENCE_COVERAGE_WEIGHT = Settings.model_fields["evidence_coverage_weight"].default
# A paragraph of the answering report whose sentence is this much closer to what the question asks (its setting aside)
# answers instead (``_answering_paragraph``; not for "how many", whose "how many died" is close to every toll): over
# the 27 war sets' 1,701 English questions with gold text, the first sentence held it 1,017 -> 1,029 times.
ASKED_MARGIN = 0.05
SENTENCE_TERMS_CACHE = 8192  # sentences whose terms are kept (a few hundred bytes each)
# The best-ranked passage, holding some of the question's names, answers when every passage holding more of them scores
# under this share of it (``about_the_question``).  Over holdout2-44 and dev + holdout (2,815 English answerable), the first
# sentence citing gold: 0.75 and 0.8 +2, 0.85 +3, none lost; 0.95 +5 -2 (confusable questions whose name tells the events apart).
LEAD_KEPT_BELOW = 0.8
_NUMBER = re.compile(r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|(?:thir|four|fif|six|seven|eigh|nine)teen|(?:twen|thir|for|fif|six|seven|eigh|nine)ty|dozen|dozens|hundred|hundreds|thousand|thousands|million)\b", re.I)


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


@dataclass(frozen=True)
class Sentence:
    n: int  # the citation it comes from
    text: str  # word for word from the cited paragraph


@dataclass
class Answer:
    question: str
    answer: str  # what a member reads: one line per source, "8 Apr 2022 — sentence. sentence. [1]"
    abstained: bool
    citations: list[Citation]
    passages: list[Passage]  # everything retrieved, best first (cited or not)
    searched: int  # paragraphs in the index
    took_ms: float = 0.0
    reason: str = ""  # why it abstained, for logs and evaluation
    sentences: list[Sentence] = field(default_factory=list)  # the quoted sentences, in reading order
    language: str = "en"  # of the question, and of the answer's fixed texts
    note: str = ""  # what was searched, when the question named a time ("Searching 1–31 Mar 2022.")
    since: dt.date | None = None  # the dates searched
    until: dt.date | None = None

    def to_json(self) -> dict:
        return {
            "question": self.question,
            "answer": self.answer,
            "abstained": self.abstained,
            "citations": [c.to_json() for c in self.citations],
            "language": self.language,
            "note": self.note,
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
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


@functools.lru_cache(maxsize=SENTENCE_TERMS_CACHE)
def _sentence_terms(sentence: str) -> frozenset[str]:
    """A sentence's terms: the same sentences are scored again for the next question on the same story."""
    return frozenset(textlib.lexical_tokens(sentence))


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


def _published(passage: Passage) -> dt.date | None:
    """The date of the (first) report carrying the passage."""
    date = passage.paragraph.document.date
    return dt.date.fromisoformat(date) if date else None


def _same_event(a: Passage, b: Passage, within: int = SAME_EVENT_DAYS) -> bool:
    """Whether two passages report one event: one source carries both, or they are dated ``within`` days apart at most."""
    if _same_report(a, b):
        return True
    da, db = _published(a), _published(b)
    return da is not None and db is not None and abs((da - db).days) <= within


def _number_bonus(counted: frozenset[str], terms: set[str] | frozenset[str], in_answering_report: bool) -> float:
    """What a sentence stating a number gains for a "how many" question: NUMBER_BONUS; when the question names what
    it counts, COUNTED_BONUS (NUMBER_BONUS outside the answering report) if the sentence holds it, else nothing."""
    if not counted:
        return NUMBER_BONUS
    if counted.isdisjoint(terms):
        return 0.0
    return COUNTED_BONUS if in_answering_report else NUMBER_BONUS


def _dated_retelling(query: Query, pool: list[Passage], passages: list[Passage]) -> Passage | None:
    """For a "when" question whose answering passages date nothing: another report's telling of that event (of the
    same day or the next), among ``passages``, that states its date and holds as many of the question's words ("The
    Super Puma ... with the interior minister aboard, which day?": "All nine people on board the Super Puma were
    killed", and in another report "the interior minister was killed on Wednesday morning when a helicopter crashed
    near a kindergarten")."""
    asked = _words_asked(query)
    held = max(1, asked(pool[0].paragraph.text))
    return next((p for p in passages if p not in pool and _same_event(pool[0], p, within=RETOLD_DAYS)
                 and _states_a_date(p) and asked(p.paragraph.text) >= held), None)


def _same_report(a: Passage, b: Passage) -> bool:
    """Whether one source carries both passages."""
    return not {d.id for d in a.paragraph.documents}.isdisjoint(d.id for d in b.paragraph.documents)


def _answering_paragraph(embedder: Embedder, question: str, anchor: Passage, sentences: list[tuple[Passage, str]],
                         vectors: np.ndarray) -> Passage:
    """Of the paragraphs of ``anchor``'s report among the candidate sentences', the one with the sentence closest to
    what the question asks, the event it sets it in aside (``asked_part``), when that sentence is closer by
    ASKED_MARGIN than any of ``anchor``'s: a report's lead tells the event, a later paragraph the reaction asked
    about ("How did the Kremlin react when the UN's top court told Russia to stop?": "Kremlin spokesman Dmitry
    Peskov said Russia could not take the ruling into account")."""
    asked = asked_part(question)
    report = [i for i, (passage, _) in enumerate(sentences) if passage.id == anchor.id or _same_report(anchor, passage)]
    if asked is None or all(sentences[i][0].id == anchor.id for i in report):
        return anchor
    closeness = dict(zip(report, vectors[report] @ embedder.encode_cached([asked])[0]))
    closest = max(report, key=closeness.__getitem__)
    own = max((c for i, c in closeness.items() if sentences[i][0].id == anchor.id), default=-1.0)
    return sentences[closest][0] if closeness[closest] - own > ASKED_MARGIN else anchor


def about_the_question(query: Query, passages: list[Passage], context: list[Passage] | None = None, *,
                       answering: bool = True) -> list[Passage]:
    """The passages about what the question names: those holding all its key terms, else those holding the
    most of them; none when no passage holds any.  A passage also holds what the passages of its report among
    ``context`` hold: a report names its subject in its lead and tells the rest in the paragraphs after it.  When
    ``answering``, it holds what its report names among all the paragraphs searched too (``_names_of_its_report``);
    whether to answer at all is decided on the passages found alone.

    The best-ranked passage stays when it holds every name the question gives: an ordinary lowercase word ("rubble",
    or "leav" of "leavin") or, when one report of a story is asked for, a figure ("before the toll was raised to 19")
    is no reason to answer from a passage ranked below it.  When ``answering`` (choosing the answer's passages, not
    whether to answer), it also stays when it holds some of the names and every passage holding more of them scores
    under LEAD_KEPT_BELOW of it: a name given in passing ("the Western alliance", "America's UN envoy") is no reason to
    answer from a report ranked far below, on something else."""
    if not query.key_terms or not query.terms_required or not passages:
        return passages
    reports = search.reports_terms(p.paragraph for p in context or ())
    terms = [search.report_terms(p.paragraph, reports) | (_names_of_its_report(query, p) if answering else set())
             for p in passages]
    coverage = [query.key_share(held) for held in terms]
    best = max(coverage)
    if best == 0:
        return []
    about = [p for p, c in zip(passages, coverage) if c == best]
    if about[0] is not passages[0]:
        ordered = search.asks_order(query.text) is not None
        names = tuple(t for t in query.key_terms if t not in query.plain_terms and not (ordered and search.is_number(t)))
        held = replace(query, key_terms=names).key_share(terms[0]) if names else 0.0
        every_name = len(names) < len(query.key_terms) and (not names or held == 1)
        far_below = answering and held > 0 and passages[0].score > 0 and all(
            p.score < LEAD_KEPT_BELOW * passages[0].score for p in about)
        if every_name or far_below:
            about.insert(0, passages[0])
    return about


def _names_of_its_report(query: Query, passage: Passage) -> set[str]:
    """What ``passage``'s report names among the paragraphs searched with it: a report names its subject ("Odesa") in a
    paragraph ranked below the passages returned.  A figure or an ordinary word the question asks with ("Western") is
    another paragraph's own."""
    return {t for t in passage.report_lex if t not in query.plain_terms and not search.is_number(t)}


def judge(query: Query, passages: list[Passage], *, min_evidence: float = MIN_EVIDENCE,
          coverage_weight: float = EVIDENCE_COVERAGE_WEIGHT) -> tuple[bool, str]:
    """Whether to answer: the corpus knows every name the question gives, some passage is strong enough,
    and about something the question names."""
    if query.unknown:
        return False, f"the sources never mention {', '.join(query.unknown)}"
    ok, reason = supported(passages, min_evidence=min_evidence, coverage_weight=coverage_weight)
    dated = not ok and _named_and_dated(query, passages)
    if dated:
        ok, reason = True, f"a report of the dates asked holds {', '.join(query.key_terms)} ({reason})"
    if not ok:
        return ok, reason
    # A passage holds what the passages of its report found with it hold ("addressing the summit by video", its report's
    # lead naming the summit in Madrid).
    about = about_the_question(query, passages, passages, answering=False)
    if not about:
        if set(query.key_terms) <= set(query.plain_terms):
            return ok, reason
        return False, f"no passage holds {', '.join(query.key_terms)}"
    if about is not passages and not dated:
        # The passages about what the question names must bear it out themselves: "How many people died in the earthquake
        # in Turkey?" is close to every death toll, but the only passage naming Turkey is about NATO.
        held, detail = supported(about, min_evidence=min_evidence, coverage_weight=coverage_weight)
        if not held:
            return False, f"weak evidence about {', '.join(query.key_terms)}: {detail.removeprefix('weak ')}"
    return ok, reason


def _named_and_dated(query: Query, passages: list[Passage]) -> bool:
    """A question that names its dates and its subject ("What happened in Mariupol on 9 March?") is answered by a
    report of those dates that holds every name it gives, however little the rest of its words say: "what
    happened" is close to no report in meaning.  An ordinary word among its key terms need not be held ("the
    Phoenix Ghost loitering munitions" of a report of "Phoenix Ghost tactical drones"), unless it gives nothing else."""
    names = tuple(t for t in query.key_terms if t not in query.plain_terms) or query.key_terms
    named = replace(query, key_terms=names)
    return (query.since is not None or query.until is not None) and bool(query.key_terms) and query.terms_required and any(
        named.key_coverage(p.paragraph) == 1 for p in passages)


def abstention(query: Query, passages: list[Passage], searched: int, reason: str, *, language: str = "en") -> Answer:
    return Answer(query.text, phrase("abstain", language), True, [], passages, searched, reason=reason,
                  language=language, since=query.since, until=query.until)


def _states_a_date(passage: Passage) -> bool:
    return stated_date(passage.paragraph.text, _published(passage)) is not None


def _words_asked(query: Query) -> Callable[[str], int]:
    """How many of the question's words (or their relatives: "withdrawn" for "pull out") a piece of text holds, its
    names aside: the name of what a story is about is in all of its clauses, said or meant ("the site")."""
    asked = set(query.tokens) - set(query.key_terms)
    return lambda text: len(asked & query.holding(_sentence_terms(text)))


# A weekday that dates a saying ("Russia said on Saturday", "told reporters on Monday", "threatened on Tuesday to
# retaliate"), and the words that make a sentence's day that of what came before, after or while its event happened
# ("after 20 soldiers were freed on 13 October").
_SAID_ON = re.compile(r"\b(?:said|says|announced|told|reported|confirmed|claimed|threatened|warned)"
                      r"\s+(?:[\w'’-]+\s+){0,2}?on\s+" + WEEKDAY_NAME + r"\b", re.IGNORECASE)
_AROUND = re.compile(r"\b(?:after|since|before|until|when)\b", re.IGNORECASE)


def _lead_date(picked: list[tuple[Passage, str]], language: str, query: Query, span_start: bool | None = None,
               pool: Sequence[Passage] = ()) -> tuple[str, tuple[Passage, str] | None]:
    """For a "when" question: the date the quoted sentences give, else the one their paragraphs give, else
    the date of the first report, saying which.  Of the days the first report's sentences give in the days
    before it was published, the earliest: the event comes before what was said about it ("destroyed the
    theatre on Wednesday", then "On Thursday, the ombudsman said"); when the first quoted sentence dates only what was
    said, its paragraphs among ``pool`` that are not quoted count too ("Russia said on Saturday it had used its Kinzhal
    ...", then "Konashenkov said the strike took place on Friday"), and the sentence that gives the day is returned to
    be quoted, so that a reader sees where the day comes from.  A sentence's background event is its day when it is
    what the question asks about (``stated_date``).  Asked "Since when ...?" (``span_start``) or "By when ...?"
    (false), the day a quoted sentence says a span starts or ends on first ("strikes since 10 October")."""
    first = picked[0][0]
    published = _published(first)
    if span_start is not None:
        day = next((day for passage, text in picked if (day := bound_day(text, _published(passage), start=span_start))), None)
        if day is not None:
            return phrase("stated", language, day=format_day(day, language)), None
    asked = _words_asked(query)
    stated = [(passage, text, stated_date(text, _published(passage), asked)) for passage, text in picked]
    quoted = {passage.id for passage, _ in picked}
    # When the quoted sentence dates only what was said ("Russia said on Saturday it had used ..."), the first report's
    # other paragraphs among those searched may date the event ("Konashenkov said the strike took place on Friday"); not
    # a sentence that dates what came before or after it ("after 20 soldiers were freed on 13 October").
    told = [(p, text, stated_date(text, _published(p), asked)) for p in pool if p.id not in quoted
            and p.paragraph.document == first.paragraph.document for text in textlib.split_sentences(p.paragraph.text)
            if not _AROUND.search(text)] if _SAID_ON.search(picked[0][1]) else []
    recent = sorted(((day, passage, text) for passage, text, day in [*stated, *told] if day is not None and published is not None
                     and passage.paragraph.document == first.paragraph.document and 0 <= (published - day).days <= NEWS_DAYS),
                    key=lambda told_day: told_day[0])
    if len(recent) > 1:
        day, passage, text = recent[0]
        return phrase("stated", language, day=format_day(day, language)), None if passage.id in quoted else (passage, text)
    paragraphs = ((p, stated_date(p.paragraph.text, _published(p), asked)) for p in dict.fromkeys(p for p, _ in picked))
    day = next((day for _, day in itertools.chain(((p, d) for p, _, d in stated), paragraphs) if day is not None), None)
    if day is not None:
        return phrase("stated", language, day=format_day(day, language)), None
    return (phrase("reported", language, day=format_day(published, language)) if published else ""), None


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
    question: str | None = None,
    language: str = "en",
) -> Answer:
    """The answer to ``question`` (as asked; ``query.text`` is what was searched): the sentences that best
    answer it, from the passage that answers it best and others about the same event only, one line per
    source with its date; or an abstention."""
    question = question or query.text
    ok, reason = judge(query, passages, min_evidence=min_evidence, coverage_weight=coverage_weight)
    if not ok:
        return abstention(query, passages, view.size, reason, language=language)

    # Score every sentence of the strongest passages about what the question names.
    pool = [p for p in passages[: max_citations * 2] if p.dense >= min_dense * 0.6 or p.coverage >= min_coverage]
    pool = about_the_question(query, pool, passages) or about_the_question(query, passages[:1]) or passages[:1]
    # Asked "when", a passage of the best one's event which states the date answers instead; when none does, another
    # report of the event that does is read too.
    when = asks_when(question) or asks_when(query.text)
    dated = next((p for p in pool if _same_event(pool[0], p) and _states_a_date(p)), None) if when else None
    if when and dated is None and (dated := _dated_retelling(query, pool, passages)) is not None:
        pool = [*pool, dated]
    sentences, vectors = _sentences(embedder, pool)
    cos = vectors @ query.vector
    weights = view.term_weights(query.tokens)
    how_many = asks_how_many(question) or asks_how_many(query.text)
    counted = counted_terms(question) if how_many and language == "en" else frozenset()
    # The best-ranked passage answers (the dated one, asked "when"); the others only add what they say about the same event.
    anchor = dated if dated is not None else pool[0]
    if not when and not how_many and language == "en":
        anchor = _answering_paragraph(embedder, question, anchor, sentences, vectors)
    # A question asking for one report of a story ("the first reports", "a day after", "updated", "latest") is answered
    # from that report alone: another day's report of the story is a neighbour with the figure set aside.
    one_report = search.asks_order(query.text) is not None or search.wants_recent(query.text)
    with_anchor = _same_report if one_report else _same_event
    scores = []
    for (passage, sentence), c in zip(sentences, cos):
        held = query.holding(_sentence_terms(sentence))
        cov = lexical.coverage(weights, held)
        # A sentence inherits some of its passage's standing: context counts.
        score = float(c) + SENTENCE_LEXICAL_WEIGHT * cov + 0.5 * passage.score
        if how_many and _NUMBER.search(sentence):
            score += _number_bonus(counted, held, _same_report(anchor, passage))
        scores.append(score)
    order = sorted(range(len(sentences)), key=lambda i: (sentences[i][0].id != anchor.id, -scores[i]))
    best = scores[order[0]]

    picked: list[tuple[Passage, str]] = []
    cited: dict[int, int] = {}  # paragraph id -> n
    for i in order:
        passage, sentence = sentences[i]
        if len(picked) >= MAX_SENTENCES or scores[i] < best * SENTENCE_KEEP_RATIO:
            break
        if passage.id != anchor.id and (scores[i] < best * OTHER_PASSAGE_KEEP_RATIO or not with_anchor(anchor, passage)):
            continue
        if passage.id not in cited and len(cited) >= max_citations:
            continue
        if any(textlib.dedup_key(sentence) == textlib.dedup_key(s) for _, s in picked):
            continue
        cited.setdefault(passage.id, len(cited) + 1)
        picked.append((passage, sentence))
    if not picked:  # the answering passage had no sentence to quote: its neighbour's best one, alone
        passage, sentence = sentences[order[0]]
        cited[passage.id] = 1
        picked.append((passage, sentence))

    # Read in the order the sources tell it: by citation, then by position in the paragraph.
    picked.sort(key=lambda ps: (cited[ps[0].id], ps[0].paragraph.text.find(ps[1])))
    lead, dating = _lead_date(picked, language, query, asks_span_start(question), pool) if when else ("", None)
    if dating is not None:  # the sentence that gives the day, quoted last (past the citation cap: it shows where the day is from)
        cited.setdefault(dating[0].id, len(cited) + 1)
        picked.append(dating)
    by_id = {p.id: p for p, _ in picked}
    lines = [lead] if when else []
    for pid, n in sorted(cited.items(), key=lambda kv: kv[1]):
        said = " ".join(sentence for passage, sentence in picked if passage.id == pid)
        published = _published(by_id[pid])
        lines.append(f"{format_day(published, language)} — {said} [{n}]" if published else f"{said} [{n}]")
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
    return Answer(
        question, "\n".join(line for line in lines if line), False, citations, passages, view.size, reason=reason,
        sentences=[Sentence(cited[p.id], s) for p, s in picked], language=language, since=query.since, until=query.until,
    )
