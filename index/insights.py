"""What moderators learn from the questions asked: pure functions over stored rows, no Discord, no database.

``compute`` takes the asked events and the votes of a period (as ``bot/state.py`` returns them) and
gives an ``Insights``: how many questions were answered and refused, the refused ones grouped by
topic (their key terms: which sources are missing), the answers voted down with their question and
citations, the most cited sources, and the questions per hour of the day (UTC).

Rows are plain dicts.  An asked event: ``time`` (Unix seconds), ``answer_id``, ``abstained``,
``language``, ``question`` (``"(private question)"`` when private), ``citations`` (dicts with
``title`` and ``url``), ``reason``.  A vote: ``answer_id``, ``question``, ``vote`` (1 or -1).
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field

from index import text as textlib
from index.lexical import Vocabulary
from index.question import key_terms

PRIVATE_QUESTION = "(private question)"
_WORD = re.compile(r"[^\W_](?:[\w'’.-]*[^\W_])?")
_YEAR = re.compile(r"(19|20)\d\d")
_RARE_RANK = 20_000  # an English word rarer than this is read as a name ("kramatorsk", "himars")

# A refusal's reason (index/answer.py, index/service.py) as one of a few kinds: a metric label, a heading.
_REFUSAL_KINDS = (
    ("the sources never mention", "unknown name"),
    ("no passage holds", "off topic"),
    ("weak evidence", "weak evidence"),
    ("nothing retrieved", "nothing retrieved"),
    ("an instruction", "instruction"),
    ("outside the corpus", "outside the dates"),
)


def refusal_kind(reason: str) -> str:
    """"unknown name", "off topic", "weak evidence", "nothing retrieved", "instruction", "outside the dates" or "other"."""
    text = (reason or "").casefold()
    return next((kind for start, kind in _REFUSAL_KINDS if text.startswith(start)), "other")


@dataclass(frozen=True)
class Topic:
    term: str  # as the questions wrote it, lowercased ("kramatorsk")
    questions: int  # refused questions holding it
    examples: list[str]  # a few of them, newest first


@dataclass(frozen=True)
class CitedSource:
    title: str
    url: str | None
    citations: int  # answers citing it


@dataclass(frozen=True)
class DownvotedAnswer:
    answer_id: str
    question: str
    down: int
    up: int
    citations: list[dict]  # title, url


@dataclass
class Insights:
    days: float
    since: str  # ISO time, UTC
    asked: int = 0
    answered: int = 0
    refused: int = 0
    languages: dict[str, int] = field(default_factory=dict)
    refusal_kinds: dict[str, int] = field(default_factory=dict)
    refused_topics: list[Topic] = field(default_factory=list)
    refused_without_topic: int = 0  # private, or naming nothing a topic could be read from
    downvoted: list[DownvotedAnswer] = field(default_factory=list)
    top_sources: list[CitedSource] = field(default_factory=list)
    hours: list[int] = field(default_factory=lambda: [0] * 24)  # questions per UTC hour, 0 to 23

    def busiest_hours(self, n: int = 3) -> list[int]:
        """The ``n`` hours with most questions (none without any), busiest first."""
        ranked = sorted(range(24), key=lambda h: (-self.hours[h], h))
        return [h for h in ranked[:n] if self.hours[h]]

    def to_json(self) -> dict:
        return {**asdict(self), "busiest_hours": self.busiest_hours()}


def compute(asked: Iterable[dict], votes: Iterable[dict] = (), *, days: float, now: float,
            vocabulary: Vocabulary | None = None, top: int = 10, examples: int = 3, only_known_answers: bool = False) -> Insights:
    """The insights of the period ``days`` up to ``now`` (Unix seconds) from its rows.

    ``vocabulary`` (the index's) makes the topics the questions' key terms; without it they are the
    words that look like names.  ``only_known_answers`` keeps only votes on answers among ``asked``
    (one server's view must not show another's).
    """
    asked = list(asked)
    since = dt.datetime.fromtimestamp(now - days * 86_400, dt.UTC).isoformat(timespec="seconds")
    insights = Insights(days=days, since=since, asked=len(asked))
    sources: Counter[tuple[str, str | None]] = Counter()
    refused: list[dict] = []
    for event in asked:
        insights.hours[dt.datetime.fromtimestamp(event["time"], dt.UTC).hour] += 1
        insights.languages[event["language"]] = insights.languages.get(event["language"], 0) + 1
        if event["abstained"]:
            refused.append(event)
            kind = refusal_kind(event["reason"])
            insights.refusal_kinds[kind] = insights.refusal_kinds.get(kind, 0) + 1
        for citation in {(c["title"], c.get("url")) for c in event["citations"]}:
            sources[citation] += 1
    insights.refused = len(refused)
    insights.answered = insights.asked - insights.refused
    insights.refused_topics, insights.refused_without_topic = group_by_topic(
        [e["question"] for e in reversed(refused)], vocabulary, top=top, examples=examples)
    insights.top_sources = [CitedSource(title, url, n) for (title, url), n in
                            sorted(sources.items(), key=lambda item: (-item[1], item[0][0]))[:top]]
    insights.downvoted = downvoted(asked, votes, top=top, only_known_answers=only_known_answers)
    return insights


def group_by_topic(questions: list[str], vocabulary: Vocabulary | None = None, *, top: int = 10,
                   examples: int = 3) -> tuple[list[Topic], int]:
    """The ``top`` terms most of ``questions`` hold (each question counted once per term), each with up to
    ``examples`` of them in the order given; and how many questions gave no term (private ones included)."""
    holding: dict[str, list[str]] = defaultdict(list)
    spelled: dict[str, Counter[str]] = defaultdict(Counter)
    without = 0
    for question in questions:
        terms = [] if question == PRIVATE_QUESTION else topic_terms(question, vocabulary)
        if not terms:
            without += 1
        for token, written in terms:
            holding[token].append(question)
            spelled[token][written] += 1
    ranked = sorted(holding, key=lambda token: (-len(holding[token]), token))[:top]
    topics = [Topic(spelled[t].most_common(1)[0][0], len(holding[t]), list(dict.fromkeys(holding[t]))[:examples]) for t in ranked]
    return topics, without


def topic_terms(question: str, vocabulary: Vocabulary | None = None) -> list[tuple[str, str]]:
    """What ``question`` is about, as (lexical token, word as written lowercased), each token once.

    With the index's vocabulary: its key terms (index/question.py) and the names the corpus lacks.
    Without one, or when those are none: the words that look like names (capitalised inside the
    sentence, acronyms, numbers, English words too rare to be ordinary ones).
    """
    words = [m.group() for m in _WORD.finditer(question)]
    written = {}
    for word in words:
        tokens = textlib.lexical_tokens(word)
        if tokens:
            written.setdefault(tokens[0], word.casefold())
    found: dict[str, str] = {}
    if vocabulary is not None:
        terms = key_terms(question, vocabulary)
        for token in terms.key:
            found.setdefault(token, written.get(token, token))
        for word in terms.unknown:
            tokens = textlib.lexical_tokens(word)
            found.setdefault(tokens[0] if tokens else word.casefold(), word.casefold())
    if not found:
        for i, word in enumerate(words):
            if _looks_like_name(word, first=i == 0):
                tokens = textlib.lexical_tokens(word)
                found.setdefault(tokens[0] if tokens else word.casefold(), word.casefold())
    return list(found.items())


def _looks_like_name(word: str, *, first: bool) -> bool:
    lower = word.casefold()
    if lower in textlib.STOPWORDS or len(word) < 2:
        return False
    if any(ch.isdigit() for ch in word):
        return not _YEAR.fullmatch(word)
    if word.isupper() or (word[0].isupper() and not first):
        return True
    if not word.isascii():  # a lowercase Ukrainian or Russian word: no word list to judge it by
        return False
    rank = textlib.word_rank(lower)
    return rank is None or rank > _RARE_RANK


def downvoted(asked: list[dict], votes: Iterable[dict], *, top: int = 10, only_known_answers: bool = False) -> list[DownvotedAnswer]:
    """Answers with more 👎 than 👍, most 👎 first, with their question and citations (when their event is known)."""
    events = {e["answer_id"]: e for e in asked if e.get("answer_id")}
    tally: dict[str, list] = {}
    for vote in votes:
        if only_known_answers and vote["answer_id"] not in events:
            continue
        entry = tally.setdefault(vote["answer_id"], [vote["question"], 0, 0])
        entry[1 if vote["vote"] < 0 else 2] += 1
    answers = []
    for answer_id, (question, down, up) in tally.items():
        if down > up:
            cited = events[answer_id]["citations"] if answer_id in events else []
            answers.append(DownvotedAnswer(answer_id, question, down, up, [{"title": c["title"], "url": c.get("url")} for c in cited]))
    return sorted(answers, key=lambda a: (-a.down, a.up, a.question))[:top]
