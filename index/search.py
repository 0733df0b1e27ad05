"""Hybrid retrieval: dense (FAISS) and lexical (BM25) candidates, fused and diversified."""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Iterable, Sequence, Set
from dataclasses import dataclass, field, replace

import numpy as np

from index import lexical, spellings
from index.families import aliases, demonym_forms, everyday_words, number_twin, phrasal_words, relatives
from index.question import asks_how_many, asks_when, by_alias, typed_for
from index.store.protocol import ParagraphRow, ReadView
from index.text import lexical_tokens

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
# For a "latest" question, the passages scoring at least this share of the best are relevant enough
# to be put newest first.
RECENT_RELEVANT_SHARE = 0.85
STORY_SHARE = 0.65  # ... and of a story the headlines name, for "first" and "final" (in_story_order)
# Taken off a passage's fused score for the share of the question's key terms (index/question.py)
# it lacks: a passage about another place or event ranks below one about the one asked about.
KEY_TERM_PENALTY = 0.1
# A later report of the same event (both hold every key term, published 1 to UPDATE_DAYS days apart)
# goes before the earlier one when it scores at most UPDATE_MARGIN less: the toll "rose to 52".
UPDATE_DAYS = 10
UPDATE_MARGIN = 0.1
# A "when" question's earlier report is looked for among this many times the passages returned: told in nearly the
# words of the later one ("said on Saturday it was suspending its participation", then "said on Wednesday it would
# resume its participation"), it is what the passages chosen for variety leave out.
UPDATE_POOL = 2
UPDATE_SIMILARITY = 0.75  # and the two passages are this close, or both titles name every key term: one story
# ... and it holds as much of the question's words (coverage): a later report that lacks some of what the
# question asks ("the four leaders who came by *train*") tells another event of the story, not an update.
# Not for "how many", where the newest figure is wanted in whatever words it comes ("toll rises to 23"), nor
# for "when", where the story's first report gives the day.
COVERAGE_TIE = 1e-9
# Taken off a passage whose report's headline names none of the question's key terms it names (a key term
# only mentioned in passing: "ten times larger than Chernobyl" in a report on Zaporizhzhia): half the
# penalty for not naming it at all.
HEADLINE_PENALTY = KEY_TERM_PENALTY / 2
# Taken off a report after the month or day asked that states it (``Query.stated``): a report of the month tells its
# news first, when it tells it at all ("the evacuation that began in October", in November, is not October's report).
# Not after a year: its figures come out after it ("shrank by about 30 percent in 2022", in March 2023).
STATED_AFTER_PENALTY = 0.05
# Taken off a passage holding a name or figure of what the question sets aside ("not Chernobyl"): the neighbour's.
SET_ASIDE_PENALTY = 0.1
# Words that ask for the first or the last of several reports of a story ("the aid package that *first*
# included HIMARS", "the *final* death toll", "once the toll was *updated*"): of the passages relevant enough
# (RECENT_RELEVANT_SHARE of the best, as for "latest"), the earliest or the newest goes first.  "First" before a
# unit of time is a time phrase (index/timeframe.py) and asks for early reports all the same.
_CLITIC = re.compile(r"(?<=[^\W\d_])(?:['’](?:s|re|ve|ll|d|m)|n['’]t)\b", re.IGNORECASE)
_IRREGULAR_NOT = re.compile(r"\b(ca|wo|sha)n['’]t\b", re.IGNORECASE)
# (Not "for the very first time", "the first time since the invasion", "first-ever", "its first anniversary": what was
# unheard of, or a day, asks for no first report; "extended for the first time", "the very first count" ask for the first.)
# Nor does who "got first priority", "went first" or was "first in line": who came before whom, in one report.
_FIRST = re.compile(r"\b(?<!\bgo\s)(?<!\bgot\s)(?<!\bget\s)(?<!\bgoes\s)(?<!\bwent\s)"
                    r"(first(?![-\s]+(?:time\s+(?:ever|since|in)|ever|anniversary|priority|in\s+line)\b)(?!(?<=very\sfirst)\s+time\b)|earliest"
                    r"|initial|initially|originally|same-day)\b", re.IGNORECASE)
# ("right after the Crimea bridge blew up": what followed the story's first day, as "the day after" it; not "right after
# Russia left Snake Island", a clause that dates another story.)
_NEXT = re.compile(r"\b(?:(?:the\s+)?(?:day|morning)\s+after\b|(?:right|immediately|straight|just)\s+after(?=\s+the\b))"
                   r"(?!\s+(?:the\s+)?(?:invasion|war)\b)|\bnext\s+day\b"
                   r"|\bsecond\s+day\s+of\b|\ba\s+day\s+later\b|\bfollowing\s+day\b|\bafter\s+the\s+(?:first|initial)\b",
                   re.IGNORECASE)
_FINAL = re.compile(r"\b(final|finally|eventually|ultimately|in\s+the\s+end|end(?:s|ed)?\s+up|updated|revised"
                    r"|bump(?:ed)?\s+(?:[\w'’-]+\s+){0,3}?up)\b", re.IGNORECASE)  # "first said 63, what did it bump the number up to?"
# A rescue's end is its story's last report: "once rescuers finished at the Sloviansk apartment block", "by the time the
# search ended at the Dnipro high-rise", "when the emergency service wrapped up".
_RESCUE_OVER = re.compile(r"\b(?:once|when|after|by\s+the\s+time)\s+(?:the\s+)?(?:[\w'’-]+\s+){0,3}?(?:search|rescue\w*"
                          r"|emergency\s+service|recovery)\b[^,?;]{0,40}?\b(?:ended|over|finished|wrapped\s+up|completed|done)\b",
                          re.IGNORECASE)
# What came before a story's end or revision is its first report: "before the toll was revised", "before rescuers finished".
# So is what came before its toll rose: "before the toll went up the next day", "Before Moscow raised the toll to 89".
_BEFORE_LAST = re.compile(r"\bbefore\s+(?:[\w'’-]+\s+){0,4}?(?:final|updated|revised|revision|finished|completed|ended|over"
                          r"|published|released|estimate|estimated|went\s+up|rose|risen|raised|climbed|increased)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Passage:
    paragraph: ParagraphRow
    score: float  # fused relevance used for ranking
    dense: float  # cosine similarity to the question
    lexical: float  # BM25 score, 0 when the passage shares no term
    coverage: float  # IDF-weighted share of the question's terms found in the passage
    # the terms of the passage's reports, of their paragraphs among the candidates it was ranked with (report_terms):
    # a report's lead may name what a detail paragraph is about beyond the passages returned.  Worked out while ranking,
    # kept as it was made (no copy per candidate), and no part of what makes two passages the same.
    report_lex: Set[str] = field(default=frozenset(), compare=False)

    @property
    def id(self) -> int:
        return self.paragraph.id


@dataclass(frozen=True)
class Query:
    text: str  # what is searched: the question, in English words for a question asked in another language
    vector: np.ndarray
    tokens: tuple[str, ...]
    since: dt.date | None = None
    until: dt.date | None = None
    key_terms: tuple[str, ...] = ()  # index/question.py: the named things a passage must hold
    unknown: tuple[str, ...] = ()  # names the question gives that the corpus never mentions
    # Whether an answer must come from passages holding the key terms (not when they were found for a question
    # asked in another language: then they only rank).
    terms_required: bool = True
    # Each search token with the stems of its word family the corpus holds (index/families.py): "invad" with
    # "invas", so a report of the "invasion" holds what "When did Russia invade?" asks.
    related: tuple[tuple[str, frozenset[str]], ...] = ()
    # The question asks how things stood by the end of its dates ("How many had fled by late May?"): the newest
    # reports first, as for "latest".
    as_of: bool = False
    # Reports after ``until`` are of the dates searched too when one of these (last day, tokens) holds: reported by that
    # day, holding every token.  A year's figures come out in the months after it ("How much did the economy shrink in
    # 2022?": "... in 2022", in March 2023); a day's news is retold by its date ("20 soldiers were freed on 13 October",
    # on 18 October) or its weekday ("Austin said on Wednesday").
    stated: tuple[tuple[dt.date, tuple[str, ...]], ...] = ()
    # The key terms only ordinary words typed in lower case gave (index/question.py ``Terms.plain``): no passage
    # holding them refuses nothing.
    plain_terms: tuple[str, ...] = ()
    # The names and figures of what the question sets aside (index/question.py ``set_aside``): a passage holding them is
    # likelier the neighbour's.
    set_aside: tuple[str, ...] = ()

    def holding(self, terms: set[str] | frozenset[str]) -> set[str] | frozenset[str]:
        """``terms`` (a passage's or sentence's) with the search tokens whose relatives are among them."""
        implied = {token for token, family in self.related if family & terms}
        return terms | implied if implied else terms

    def search_tokens(self) -> tuple[str, ...]:
        """The tokens searched in the lexical index: the question's, then their relatives."""
        return tuple(dict.fromkeys([*self.tokens, *(r for _, family in self.related for r in sorted(family))]))

    def key_coverage(self, row: ParagraphRow, lex: set[str] | None = None) -> float:
        """The share of the key terms ``row`` holds (1 when the question names nothing); ``lex``: its terms as a set, if made already."""
        if not self.key_terms:
            return 1.0
        return self.key_share(set(row.lex) if lex is None else lex)

    def key_share(self, terms: set[str] | frozenset[str]) -> float:
        """The share of the key terms ``terms`` hold, each in any of its spellings or by the words reports write
        for it ("POWs": "prisoners of war")."""
        held = self.holding(terms)
        return sum(holds(term, held) for term in self.key_terms) / len(self.key_terms)


def holds(term: str, terms: set[str] | frozenset[str]) -> bool:
    """Whether ``terms`` hold the key term ``term``: a number in either of its spellings ("4", "four"), a capital
    by its country's name ("Washington", "the United States"; index/families.py ALIASES), a place by its people's
    name ("Europe", "the European Commission")."""
    if term in terms:
        return True
    if (twin := number_twin(term)) is not None:
        return twin in terms
    if any(other in terms for other in demonym_forms(term)):
        return True
    return any(all(t in terms for t in alias) for alias in aliases(term))


def _in_range(row: ParagraphRow, since: dt.date | None, until: dt.date | None) -> bool:
    return _days_in_range([doc.date for doc in row.documents], since, until)


def in_dates(row: ParagraphRow, query: Query) -> bool:
    """Is ``row`` of the dates ``query`` searches: reported within them, or after them stating them?"""
    if _in_range(row, query.since, query.until):
        return True
    return any(_states(row, query.until, last, tokens) for last, tokens in query.stated)


def _states(row: ParagraphRow, after: dt.date | None, last: dt.date, tokens: Sequence[str]) -> bool:
    """Is ``row`` reported after ``after`` up to ``last``, holding every one of ``tokens``?"""
    return all(token in row.lex for token in tokens) and _in_range(row, after, last)


def _stated_until(query: Query) -> dt.date | None:
    """The last day a report of the dates ``query`` searches may come: its end, or later when a later report may state them."""
    return max((last for last, _ in query.stated), default=query.until)


def _days_in_range(dates: Sequence[str | None], since: dt.date | None, until: dt.date | None) -> bool:
    """Is one of ``dates`` (ISO days of the reports carrying a paragraph; None or "" when undated) within the range?"""
    if since is None and until is None:
        return True
    for date in dates:
        if not date:
            continue
        day = dt.date.fromisoformat(date)
        if (since is None or day >= since) and (until is None or day <= until):
            return True
    return False


def wants_recent(text: str) -> bool:
    """Does the question ask for the newest coverage?"""
    return bool(_RECENT.search(text))


def asks_order(text: str) -> str | None:
    """"first" when the question asks for the first of several reports, "final" for the last, "next" for the one
    after the first ("the day after the Dnipro apartment block was hit"), else None."""
    if _BEFORE_LAST.search(text):
        return "first"
    if _FINAL.search(text) or _RESCUE_OVER.search(text):
        return "final"
    if _NEXT.search(text):
        return "next"
    return "first" if _FIRST.search(text) else None


def headline_coverage(query: Query, row: ParagraphRow) -> float:
    """The share of the key terms the headline of a report carrying ``row`` names (1 when the question
    names nothing)."""
    if not query.key_terms:
        return 1.0
    return max(query.key_share(_title_terms(doc.title))
               for doc in row.documents)


def reports_terms(rows: Iterable[ParagraphRow]) -> dict[str, set[str]]:
    """Each report's terms, of its paragraphs among ``rows``."""
    reports: dict[str, set[str]] = {}
    for row in rows:
        for doc in row.documents:
            reports.setdefault(doc.id, set()).update(row.lex)
    return reports


def report_terms(row: ParagraphRow, reports: dict[str, set[str]]) -> set[str]:
    """``row``'s terms, with those of the other paragraphs of its reports (``reports_terms``): a report names
    what it is about in its lead, and a detail paragraph after it ("The man killed was the girl's father")
    is about the same."""
    held = set(row.lex)
    for doc in row.documents:
        held |= reports.get(doc.id, set())
    return held


@functools.lru_cache(maxsize=4096)
def _title_terms(title: str) -> frozenset[str]:
    return frozenset(lexical.query_tokens(title))


def _report_days(row: ParagraphRow) -> list[dt.date]:
    """The dates of the reports that carried ``row``."""
    return [dt.date.fromisoformat(d.date) for d in row.documents if d.date]


def _earliest(row: ParagraphRow) -> dt.date | None:
    return min(_report_days(row), default=None)


def _newest(row: ParagraphRow) -> dt.date | None:
    return max(_report_days(row), default=None)


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


def retrieve(view: ReadView, query: Query, k: int, *, dense_weight: float, mode: str = DEFAULT_MODE,
             found: dict | None = None) -> list[Passage]:
    """The best ``k`` passages for ``query``, best first, ranked as ``mode`` says (see MODES).

    ``found`` keeps the dense and lexical candidates between calls whose queries differ in their dates
    alone (a question searched again over an earlier year): the same vector and words in the same ``view``
    find the same candidates, which are then filtered by each call's dates."""
    if mode not in MODES:
        raise ValueError(f"unknown retrieval mode {mode!r}; one of {', '.join(MODES)}")
    filtered = query.since is not None or query.until is not None
    pool = CANDIDATES * (4 if filtered else 1)
    hits = found.get(pool) if found is not None else None
    if hits is None:
        hits = dict(view.dense_search(query.vector, pool)), dict(view.lexical_search(query.search_tokens(), pool))
        if found is not None:
            found[pool] = hits
    dense_hits, lexical_hits = hits
    ids = list(dict.fromkeys([*dense_hits, *lexical_hits]))
    if not ids:
        return []
    if filtered:  # only the candidates within the dates are read whole
        dates = view.paragraph_dates(ids)
        ids = [i for i in ids if _days_in_range(dates.get(i, ()), query.since, _stated_until(query))]
    rows = view.paragraphs(ids)
    ids = [i for i in ids if i in rows and (not filtered or in_dates(rows[i], query))]
    if not ids:
        return []
    vectors = view.vectors_of(ids)
    cosines = vectors @ query.vector
    bm25_max = max(lexical_hits.values(), default=0.0)
    recency = _recency(rows, ids) if mode == "final" and (query.as_of or wants_recent(query.text)) else {}
    weights = view.term_weights(query.tokens)
    reports = reports_terms(rows[pid] for pid in ids) if mode == "final" and query.key_terms else {}
    # a later report than a day's or a month's (not a year's, whose one token is the year)
    stated_later = filtered and any(not (len(tokens) == 1 and tokens[0].isdigit()) for _, tokens in query.stated)
    candidates = []
    for i, pid in enumerate(ids):
        cos = float(cosines[i])
        bm25 = lexical_hits.get(pid, 0.0)
        lex = set(rows[pid].lex)
        cov = lexical.coverage(weights, query.holding(lex))
        lex_norm = bm25 / bm25_max if bm25_max else 0.0
        held: Set[str] = frozenset()
        if mode == "dense":
            score = cos
        elif mode == "bm25":
            score = lex_norm
        else:
            score = dense_weight * cos + (1 - dense_weight) * lex_norm * cov + recency.get(pid, 0.0)
            if mode == "final":
                named = 1.0
                if query.key_terms:
                    held = report_terms(rows[pid], reports)
                    named = query.key_share(held)
                score -= KEY_TERM_PENALTY * (1 - named)
                if named > 0 and headline_coverage(query, rows[pid]) == 0:
                    score -= HEADLINE_PENALTY
                if stated_later and not _in_range(rows[pid], query.since, query.until):
                    score -= STATED_AFTER_PENALTY
                if query.set_aside and not lex.isdisjoint(query.set_aside):
                    score -= SET_ASIDE_PENALTY
        candidates.append(Passage(rows[pid], score, cos, bm25, cov, held))
    order = np.argsort([-c.score for c in candidates], kind="stable")
    candidates = [candidates[i] for i in order]
    vectors = vectors[order]
    if mode == "bm25":
        candidates = [c for c in candidates if c.lexical > 0]
    if mode in ("dense", "bm25"):
        return candidates[:k]
    pool = _mmr(candidates, vectors, UPDATE_POOL * k if mode == "final" and asks_when(query.text) else k)
    chosen = pool[:k]
    if recency:
        return newest_first(chosen)
    if mode != "final":
        return chosen
    order = asks_order(query.text)
    if order is not None:
        reports = in_story_order(candidates, query, first=order != "final", after_first=order == "next")[:k]
        return reports + [p for p in chosen if p.id not in {r.id for r in reports}][: k - len(reports)]
    return updates_first(pool, query, view)[:k]


def updates_first(passages: list[Passage], query: Query, view: ReadView) -> list[Passage]:
    """Each passage preceded by any later report of the same story that scores nearly as well; for a "when"
    question, which asks for the event's day, by any earlier one (the story's first report goes first)."""
    if not query.key_terms or len(passages) < 2:
        return passages
    earlier = asks_when(query.text)
    vectors = view.vectors_of([p.id for p in passages])
    titled = {p.id for p in passages if query.key_share(_title_terms(p.paragraph.document.title)) == 1}
    similar = {(a.id, b.id) for i, a in enumerate(passages) for j, b in enumerate(passages)
               if float(vectors[i] @ vectors[j]) >= UPDATE_SIMILARITY or {a.id, b.id} <= titled}
    ordered = list(passages)
    day, sign = (_earliest, -1) if earlier else (_newest, 1)
    counting = asks_how_many(query.text)
    complete = {p.id for p in passages if query.key_coverage(p.paragraph) == 1}  # reports holding every key term
    i = 0
    while i < len(ordered):
        here = ordered[i]
        here_day = day(here.paragraph)
        # A report after the dates asked, searched only for stating them, retells them: it is no update of their own.
        here_within = _in_range(here.paragraph, query.since, query.until)
        moved = [
            j for j in range(i + 1, len(ordered))
            if here_day is not None and (other := day(ordered[j].paragraph)) is not None
            and 0 < sign * (other - here_day).days <= UPDATE_DAYS and ordered[j].score >= here.score - UPDATE_MARGIN
            and (here.id, ordered[j].id) in similar and here.id in complete and ordered[j].id in complete
            and (earlier or counting or ordered[j].coverage >= here.coverage - COVERAGE_TIE)
            and (not here_within or _in_range(ordered[j].paragraph, query.since, query.until))
        ]
        if moved:
            ordered.insert(i, ordered.pop(max(moved, key=lambda j: sign * day(ordered[j].paragraph).toordinal())))
            continue
        i += 1
    return ordered


def newest_first(passages: list[Passage]) -> list[Passage]:
    """The relevant passages (close to the best score) newest first, then the rest: "the latest on Kherson"."""
    if not passages:
        return passages
    floor = passages[0].score * RECENT_RELEVANT_SHARE if passages[0].score > 0 else passages[0].score
    relevant = [p for p in passages if p.score >= floor]
    rest = [p for p in passages if p.score < floor]
    relevant.sort(key=lambda p: (_newest(p.paragraph) or dt.date.min), reverse=True)
    return relevant + rest


# What "the first ..." may be that is a report of a story, not a thing of it ("the first reports", "its first statement").
_REPORT_WORDS = frozenset(lexical_tokens("""report reports reported reporting statement statements figure figures count counts
    toll tolls tally estimate estimates number numbers update announcement claim claims day days night week weeks hours
    official police account accounts list word news time said say says"""))
# "the first evacuation train", "its very first Patriot systems": a thing's name (at most two words) after "the first".
_FIRST_THING = re.compile(r"\b(?:the|its|their|his|her|that|this)\s+(?:very\s+)?first\s+((?:[\w'’-]+\s+)?[\w'’-]+)", re.IGNORECASE)


def _first_of(text: str) -> tuple[str, ...]:
    """The tokens of the thing a question calls the first ("the first evacuation train": evacu, train), when it is no
    report: a story's first report is one that holds them."""
    m = _FIRST_THING.search(text)
    if m is None:
        return ()
    tokens = lexical_tokens(m.group(1))
    if any(t in _REPORT_WORDS or t.isdigit() or number_twin(t) for t in tokens):
        return ()
    return tuple(tokens)


def in_story_order(passages: list[Passage], query: Query, *, first: bool, after_first: bool = False) -> list[Passage]:
    """Of ``passages`` (best first), the reports of the story asked about, earliest first (``first``) or newest
    first: "the first package", "the final toll"; with ``after_first``, the reports after the first day's go first,
    earliest first ("the day after the block was hit").  A report of the story scores close to the best (as for
    "latest") and names as many of the key terms as the best does, in its text and in its headline."""
    if not passages:
        return passages
    best = passages[0]
    # A figure the question names ("a week after the first 410 figure") is of one report, not of the story.
    query = replace(query, key_terms=tuple(t for t in query.key_terms if not is_number(t)))
    named, headlined = query.key_coverage(best.paragraph), headline_coverage(query, best.paragraph)
    # A story the headlines name (every key term in them) is told by every report so headlined that scores
    # STORY_SHARE of the best: an earlier report of a toll is asked about in other words than the later one.
    share = STORY_SHARE if query.key_terms and headlined == 1 else RECENT_RELEVANT_SHARE
    floor = best.score * share if best.score > 0 else best.score
    reports = [p for p in passages if p.score >= floor and query.key_coverage(p.paragraph) >= named
               and headline_coverage(query, p.paragraph) >= headlined]
    # "The first evacuation train": of the reports that tell of the train, when the best does.
    thing = _first_of(query.text) if first and not after_first else ()
    holding = {p.paragraph.document.id for p in passages if thing and set(thing) <= set(p.paragraph.lex)}
    if best.paragraph.document.id in holding:
        reports = [p for p in reports if p.paragraph.document.id in holding]
    # One passage per report, its best: a report's other paragraphs do not push the next report down.
    reports = list({p.paragraph.document.id: p for p in reversed(reports)}.values())[::-1]
    if first:
        reports = sorted(reports, key=lambda p: _earliest(p.paragraph) or dt.date.max)
        if after_first and (anchor := _earliest(best.paragraph)) is not None:
            # The story's days around the best report ("the day after the Dnipro block was hit" is not a day after
            # a strike on Dnipro ten months before): the reports after its first day go first, earliest first.
            near = [p for p in reports if (day := _earliest(p.paragraph)) is not None and abs((day - anchor).days) <= UPDATE_DAYS]
            start = min(_earliest(p.paragraph) for p in near) if near else anchor
            later = [p for p in near if _earliest(p.paragraph) > start]
            reports = later + [p for p in reports if p not in later]
        return reports
    return sorted(reports, key=lambda p: _newest(p.paragraph) or dt.date.min, reverse=True)


def is_number(term: str) -> bool:
    """Whether a key term is a number ("19", or a number word's stem)."""
    return term.isdigit() or number_twin(term) is not None


def _mmr(candidates: list[Passage], vectors: np.ndarray, k: int) -> list[Passage]:
    """Maximal marginal relevance: relevant, but not the same paragraph twice."""
    chosen: list[int] = []
    remaining = list(range(len(candidates)))
    # The gains in the vectors' precision, as scalar sums gave them (a Python float less a float32 is a float32).
    relevance = np.array([MMR_LAMBDA * c.score for c in candidates], vectors.dtype)
    while remaining and len(chosen) < k:
        if not chosen:
            best = remaining[0]
        else:
            sims = vectors[remaining] @ vectors[chosen].T
            redundancy = sims.max(axis=1)
            gains = relevance[remaining] - vectors.dtype.type(1 - MMR_LAMBDA) * redundancy
            best = remaining[int(np.argmax(gains))]
        chosen.append(best)
        remaining.remove(best)
    return [candidates[i] for i in chosen]


def without_clitics(text: str) -> str:
    """``text`` with the clitics of English contractions dropped ("What's" -> "What", "didn't" -> "did"): glued
    on, they make words no list holds ("whats"), which were then read as typos of corpus terms ("wheat")."""
    return _CLITIC.sub("", _IRREGULAR_NOT.sub(lambda m: {"ca": "can", "wo": "will", "sha": "shall"}[m[1].casefold()], text))


def make_query(text: str, vector: np.ndarray, since: dt.date | None = None, until: dt.date | None = None, *,
               vocabulary: lexical.Vocabulary | None = None, key_terms: tuple[str, ...] = (), unknown: tuple[str, ...] = (),
               also: str = "", terms_required: bool = True, plain_terms: tuple[str, ...] = (),
               set_aside: tuple[str, ...] = ()) -> Query:
    """The query for ``text`` (and the words of ``also``: a question as asked, when ``text`` is its English
    rendering); with the index's ``vocabulary``, a word it does not know is read as the known term it most
    likely misspells ("kramatorks" finds "kramatorsk")."""
    text_words = without_clitics(text)
    tokens = tuple(dict.fromkeys(lexical.query_tokens(text_words) + lexical.query_tokens(also)))
    related: tuple[tuple[str, frozenset[str]], ...] = ()
    if vocabulary is not None:
        # A word the corpus spells the other way ("defense": "defence") is searched as it spells it, before typos are read.
        spelt = spellings.corpus_spellings(text_words, vocabulary)
        # A name the corpus gives only by another name ("Minsk": "Belarus") is no typo, and is searched by that name.
        named_otherwise = {t for t in tokens if t not in vocabulary and by_alias(t, vocabulary)}
        # A common word typed with a slip is searched as that word, not as the corpus's closest term ("tryin": not "train").
        typed = typed_for(text_words, vocabulary)
        keep = lexical.ordinary_tokens(text_words) | set(spelt.values()) | named_otherwise | set(typed.values())
        tokens = vocabulary.corrected(tuple(dict.fromkeys(typed.get(t, spelt.get(t, t)) for t in tokens)), keep=keep)
        # A token's word family, and the other spellings of a name the corpus writes both ways ("chernobyl", "chornobyl").
        found = {t: {r for r in (*relatives(t), *spellings.other_spellings(t)) if r in vocabulary and r not in tokens}
                 for t in tokens}
        for t in named_otherwise:
            found[t] |= {alias[0] for alias in aliases(t) if len(alias) == 1}
        # "pulled out", "nukes": reports write "withdrew", "nuclear"; also when the question writes it too ("POWs in the
        # first prisoner swap": a report of "prisoners of war" holds what "POWs" asks)
        for verb, written in (*phrasal_words(text_words), *everyday_words(text_words)):
            verb_tokens = lexical.query_tokens(verb)
            if verb_tokens and verb_tokens[0] in found:
                found[verb_tokens[0]] |= {w for word in written for w in lexical.query_tokens(word)[:1]
                                          if w in vocabulary and w != verb_tokens[0]}
        related = tuple((t, frozenset(family)) for t, family in found.items() if family)
    return Query(text, vector.astype(np.float32), tokens, since, until, key_terms, unknown, terms_required, related,
                 plain_terms=plain_terms, set_aside=set_aside)
