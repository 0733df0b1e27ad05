"""A conversation: earlier turns that a follow-up question is read against.

``Turn`` is what is kept of one question and its answer (in state.sqlite for a
Discord thread, in memory for ``crisisbot chat``); ``CrisisService.converse``
answers a question given the turns before it (the last ``conversation_turns``).

``resolve`` decides what a new question is:

* **self-contained**: it names its own subject (a place, person or named thing the
  corpus knows, that the conversation has not been about; typed in lower case, a word English
  also has counts when the corpus writes it as a name standing as a noun: "poland", not
  "american") and does not point back ("it", "there", "in response"; a "he" or "her" after
  its own name points to that name):
  searched as asked, the conversation starts fresh;
* **a follow-up** ("What did Russia do in response?", "How many died there?",
  "What was the final death toll?"): searched together with what the conversation is
  about, the content words of the earlier questions since it last started fresh
  ("Kerch bridge attacked"); one asking for a response or what came next is searched
  after (or from) the day of the report the last answer cited first;
* **a question of what someone said**: names and words of saying alone ("What did Blinken
  say?", "whats lavrovs excuse") ask that speaker about the conversation's subject: a follow-up;
* **a question about something else**: one whose words the corpus mostly does not know
  ("How do I bake bread?"; words of casual speech such as "supposed", and chat spellings
  such as "nxt" for "next", do not count) is not read with the conversation either: alone,
  it is refused;
* **a swap** ("What about Kharkiv?", "And in July?", "same for Kharkiv?"): the last question searched again
  with the new place or time in place of the old.

English is resolved this way.  A Ukrainian or Russian question is a follow-up when it points
back with a word of its language ("там", "їй", "ей", "у відповідь", "в ответ"), is a short one opening with
"А" ("А в Харкові?"), or names nothing of its own (no capitalised word but the first); it is
searched with the earlier questions' words, English ones too, in its own language
(``CrisisService.converse``).
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

from index import text as textlib
from index.crosslingual import detect_language
from index.lexical import Vocabulary
from index.question import key_terms, mistyped_stopword
from index.search import asks_order
from index.timeframe import Window, parse_window, strip_window

if TYPE_CHECKING:
    from index.store import ReadView

# A name held by more paragraphs than this share does not tell a subject apart ("Ukraine", "Russia").
SUBJECT_MAX_SHARE = 0.15
# A swap ("what about Kharkiv?") is a short question: longer ones that start so are follow-ups.
SWAP_MAX_WORDS = 7
# A lower-case word is read as a name when the NAME_SAMPLE paragraphs holding it most write it with a capital
# inside a sentence at least NAME_MIN_CAPITALS times, and twice as often as not ("kyiv", "putin"; not "grain").
NAME_SAMPLE = 8
NAME_MIN_CAPITALS = 3
# ... and a lower-case word English also has ("poland") is a name when a fifth of those capitals (two at least)
# stand as nouns.
NOUN_MIN_SHARE = 0.2
# A Ukrainian or Russian question opening with "А"/"І" this short goes on even when it names a place.
SHORT_AND_WORDS = 4

# Words that point back to what was said before.
_POINTS_BACK = {
    "en": re.compile(
        r"\b(?:it|its|it's|they|them|their|there|that|this|these|those|he|him|his|she|her|then|afterwards|"
        r"in\s+response|in\s+return|after\s+that|the\s+same|in\s+the\s+end|else|also|too|again|"
        r"react|reacted|reaction|respond|responded|response|reply|replied|answer|answered)\b|^\W*and\s",
        re.IGNORECASE,
    ),
    "uk": re.compile(r"(?<!\w)(?:це|цей|ця|ці|того|цього|там|тоді|він|вона|вони|його|її|їх|йому|їй|їм|ним|нею|ними|ньому|ній|них|"
                     r"неї|нього|у\s+відповідь|після\s+цього|теж|також)(?!\w)",
                     re.IGNORECASE),
    "ru": re.compile(r"(?<!\w)(?:это|этот|эта|эти|того|этого|там|тогда|он|она|они|его|её|ее|их|ему|ей|им|ею|ими|нему|ней|ним|"
                     r"нём|нем|них|неё|нее|него|в\s+ответ|после\s+этого|тоже|также)(?!\w)",
                     re.IGNORECASE),
}
# A follow-up asking for a response ("What did Russia do in response?", "two days later"): searched after the day
# of the report the last answer cited first.
_RESPONSE = re.compile(r"\b(?:in\s+response|in\s+return|in\s+retaliation|retaliat\w*|(?:days?|weeks?|months?)\s+(?:later|after))\b",
                       re.IGNORECASE)
# One asking how someone reacted ("How did Kyiv react?", "What was the Kremlin's answer?") is about the conversation
# even when the corpus does not know its words.
_REACTION = re.compile(r"\b(?:react|reacted|reaction|respond|responded|response|reply|replied|answer|answered)\b", re.IGNORECASE)
# Words asking what someone said or made of it ("What did Blinken say?", "whats lavrovs excuse", "Kyiv's version"):
# a question of these and names alone asks the named speaker about the conversation's subject.
_SPEECH = re.compile(
    r"\b(?:say|says|said|saying|think|thinks|thought|call|called|claim|claims|claimed|excuse|excuses|version|account|"
    r"position|view|views|stance|comment|comments|commented|statement|statements|explain|explained|explanation|"
    r"justify|justified|justification|deny|denies|denied|blame|blamed|warn|warned|"
    r"react|reacted|reaction|respond|responded|response|reply|replied|answer|answered)\b",
    re.IGNORECASE,
)
_PERSONAL = re.compile(r"\b(?:he|him|his|she|her)\b", re.IGNORECASE)
_OPENING_AND = re.compile(r"^\W*(?:а|і|й|та|и)\s", re.IGNORECASE)
_RESPONSE_IN = {"uk": re.compile(r"у\s+відповідь", re.IGNORECASE), "ru": re.compile(r"в\s+ответ", re.IGNORECASE)}
# One asking what came next ("after that", "hours later") is searched from that day on, as is one asking how it
# ended ("in the end", "final": index/search.py's ``asks_order``).
_AFTERWARDS = re.compile(r"\b(?:after\s+that|afterwards|next|later|then)\b", re.IGNORECASE)
_SWAP = re.compile(r"^\W*(?:and\s+|but\s+)?(?:(?:what|how)\s+about|(?:the\s+)?same\s+(?:for|in|on|with))\b|"
                   r"^\W*and\s+(?:in|on|at|for|the|what|how|who|where)?\b", re.IGNORECASE)
_MONTH_END = re.compile(r"\bthe\s+end\s+of\s+the\s+month\b", re.IGNORECASE)
_ORDINAL_DAY = re.compile(r"\bthe\s+([1-9]|[12]\d|3[01])(?:st|nd|rd|th)\b", re.IGNORECASE)
_SWAP_LEAD = re.compile(r"^\W*(?:and\s+|but\s+)?(?:(?:what|how)\s+about\s+|(?:the\s+)?same\s+(?:(?:for|with)\s+)?)?", re.IGNORECASE)
_STANDS_AS_NOUN = re.compile(r"['’]s\b|[.,;:]|\s+(?:said|says|has|had|was|is|would|will)\b")
_SENTENCE_START = re.compile(r"(?:^|[.!?:;\"“”]\s*|\n\s*)\Z")
_WORD = re.compile(r"[^\W_](?:[\w'’.-]*[^\W_])?")
# A question whose answer names its subject: what it was answered with is what a follow-up is about.
_ASKS_WHICH = re.compile(r"^\W*(?:which|where|who)\b", re.IGNORECASE)
# Question words and verbs that say nothing about the subject, and the words of casual speech that shape a
# question without naming anything ("when were they supposed to finish", "did russia actually end up taking it").
_FILLER = frozenset(
    "what when where which who whom whose why how many much did does do was were is are be been being has have had "
    "the a an of in on at to for from by with about after before into over under and or but not no any some "
    "there their they them it its this that these those he she his her him say said says tell told happen happened long "
    "can could would will should may might get got go went make made give gave take took find found first "
    "supposed meant gonna wanna able actually really still even ever just yet already exactly".split()
)
# Chat spellings of ordinary words ("and by the nxt day?", "where did ppl go"), read as the words they stand for.
_CHAT_WORDS = {"ppl": "people", "nxt": "next", "u": "you", "ur": "your", "abt": "about", "b4": "before", "bc": "because",
               "cuz": "because", "coz": "because", "govt": "government", "tmrw": "tomorrow", "yday": "yesterday",
               "thx": "thanks", "pls": "please", "plz": "please", "rn": "now", "wat": "what", "wut": "what"}
_CHAT_WORD = re.compile(rf"(?<![\w'’.])(?:{'|'.join(_CHAT_WORDS)})(?![\w'’]|\.\w)")  # typed in lower case; not "U.S."


@dataclass(frozen=True)
class Turn:
    question: str  # as the member asked it
    searched: str  # the question as resolved and searched (== question when it started fresh)
    cited: tuple[int, ...] = ()  # paragraph ids the answer cited, in order

    @property
    def fresh(self) -> bool:
        """Did this turn start the conversation afresh (searched as asked)?"""
        return self.searched == self.question

    def to_json(self) -> dict:
        return {**asdict(self), "cited": list(self.cited)}

    @classmethod
    def from_json(cls, data: dict) -> Turn:
        return cls(str(data["question"]), str(data.get("searched") or data["question"]), tuple(int(i) for i in data.get("cited", ())))


def resolve(question: str, turns: Sequence[Turn], view: ReadView | None = None) -> str:
    """The text to search for ``question`` asked after ``turns`` (oldest first): the question itself when
    it is self-contained, else the question with the conversation's subject (see the module's docstring).
    ``view`` (the read view searched) gives the corpus's vocabulary and the cited reports' dates; without
    it, names are read from capitals alone and no date is used."""
    if not turns or not question.strip():
        return question
    language = detect_language(question)
    last = turns[-1]
    vocabulary = view.vocabulary() if view is not None else None
    points_back = bool(_POINTS_BACK[language].search(question))
    if language != "en":
        # "А в Харкові?" goes on; "А скільки людей лишилося в Балаклії?" asks about a place of its own.
        short_and = _OPENING_AND.match(question) and len(_WORD.findall(question)) <= SHORT_AND_WORDS
        if not points_back and not short_and and _cyrillic_names(question):
            return question  # a name of its own: start fresh
        # After English questions their English words are added; it is searched in its language (``converse``).
        searched = f"{question} {_subject(_chain(turns)) if detect_language(last.question) == 'en' else last.searched}"
        if _RESPONSE_IN[language].search(question) and (day := _cited_day(last, view)):
            return f"{searched} after {day.day} {day:%B %Y}"
        return searched
    chain = _chain(turns)
    question = _CHAT_WORD.sub(lambda m: _CHAT_WORDS[m.group()], question)
    own = set(_names(question, vocabulary)) | _lower_case_names(question, view)
    before = {name for turn in chain for name in (*_names(turn.searched, vocabulary), *_lower_case_names(turn.searched, view))}
    if own - before and points_back:
        points_back = bool(_POINTS_BACK[language].search(_own_pronouns_dropped(question, own - before, vocabulary)))
    question = _day_of_month(question, last.searched)
    window = parse_window(question, today=dt.date.today())
    if (_SWAP.search(question) and len(_WORD.findall(question)) <= SWAP_MAX_WORDS
            and (window or own - before and _only_names(_SWAP_LEAD.sub("", question), vocabulary))):
        return _swapped(question, last.searched, own, window, vocabulary)
    new_subject = bool(own - before) and not points_back
    if ((new_subject or _foreign(question, vocabulary) and not _REACTION.search(question))
            # unless it asks what someone said ("What did Macron say about Putin?" names a subject besides)
            and not (len(own - before) <= 1 and _asks_speaker(question, view))):
        return question  # a subject of its own, or none the corpus knows: start fresh
    searched = f"{question} {_subject(chain, view)}"
    if window is not None:
        return searched
    for word, asks in (("after", bool(_RESPONSE.search(question))),
                       ("since", bool(_AFTERWARDS.search(question)) or asks_order(question) == "final")):
        if asks and (day := _cited_day(last, view)):
            return f"{searched} {word} {day.day} {day:%B %Y}"
    return searched


def _cyrillic_names(question: str) -> list[str]:
    """The words of a Ukrainian or Russian question written with a capital, but the first: its names."""
    return [w for w in _WORD.findall(question)[1:] if w[:1].isupper()]


def _day_of_month(question: str, before: str) -> str:
    """``question`` with a bare day of the month ("And on the 29th?") or "the end of the month" written out
    in the month and year the earlier question named ("And on 29 December 2022?"); as it is when there is
    none to take."""
    month_end = _MONTH_END.search(question)
    match = _ORDINAL_DAY.search(question)
    earlier = parse_window(before, today=dt.date.today()) if match or month_end else None
    if earlier is None or earlier.since is None:
        return question
    if month_end:
        return f"{question[:month_end.start()]}the end of {earlier.since:%B %Y}{question[month_end.end():]}"
    try:
        day = earlier.since.replace(day=int(match.group(1)))
    except ValueError:
        return question
    return f"{question[:match.start()]}{day.day} {day:%B %Y}{question[match.end():]}"


def _only_names(text: str, vocabulary: Vocabulary | None) -> bool:
    """Is every word of ``text`` but question words a name ("Kharkiv", "the Donbas")?  Then "and ..." swaps
    the subject; "and once the rescuers finished?" does not."""
    words = [w for w in _WORD.findall(text) if w.casefold() not in _FILLER]
    return bool(words) and all(_names(f"x {w}" if w[:1].isupper() else w, vocabulary) for w in words)


def _capitals(word: str, view: ReadView) -> tuple[int, int, int]:
    """How the corpus writes ``word`` inside its sentences, in the NAME_SAMPLE paragraphs that hold it most:
    (with a capital, without, with a capital and standing as a noun: followed by "'s", a stop or comma, or a
    verb such as "said", as "Poland said" is and "Polish troops" is not)."""
    tokens = textlib.lexical_tokens(word)
    if not tokens or tokens[0] not in view.vocabulary():
        return 0, 0, 0
    token = tokens[0]
    stem = os.path.commonprefix([word.casefold(), token])  # the text's words begin so ("germani" is read off "Germany")
    pattern = re.compile(rf"(?<!\w){re.escape(stem)}\w*", re.IGNORECASE)
    upper = lower = noun = 0
    for row in view.paragraphs([i for i, _ in view.lexical_search([token], NAME_SAMPLE)]).values():
        for match in pattern.finditer(row.text):
            if _SENTENCE_START.search(row.text, 0, match.start()) or textlib.lexical_tokens(match.group())[:1] != [token]:
                continue  # a capital that starts a sentence says nothing; "Germany" is not "german"
            capital = row.text[match.start()].isupper()
            upper += capital
            lower += row.text[match.start()].islower()
            noun += capital and bool(_STANDS_AS_NOUN.match(row.text, match.end()))
    return upper, lower, noun


def _written_as_name(word: str, view: ReadView, *, as_noun: bool = False) -> bool:
    """Does the corpus write ``word`` with a capital inside its sentences (at least NAME_MIN_CAPITALS times, and
    twice as often as without), in the NAME_SAMPLE paragraphs that hold it most?  ``as_noun``: and do at least
    NOUN_MIN_SHARE of those capitals, and two, stand as nouns (``_capitals``)?"""
    upper, lower, noun = _capitals(word, view)
    return upper >= NAME_MIN_CAPITALS and upper >= 2 * lower and (not as_noun or noun >= max(2, NOUN_MIN_SHARE * upper))


def _lower_case_names(text: str, view: ReadView | None) -> set[str]:
    """The words of an all lower-case ``text`` that English also has as ordinary words ("poland", "putin",
    "nato") and that the corpus writes as names standing as nouns (``_written_as_name``), as vocabulary terms
    held by at most SUBJECT_MAX_SHARE of the paragraphs.  "american" and "russian" are written with a capital
    too, but stand before a noun: they name no subject."""
    if view is None or text != text.casefold():
        return set()
    vocabulary = view.vocabulary()
    names = set()
    for word in _WORD.findall(text):
        tokens = textlib.lexical_tokens(word)
        if (word in _FILLER or word in textlib.STOPWORDS or not tokens or tokens[0] not in vocabulary
                or vocabulary.share(tokens[0]) > SUBJECT_MAX_SHARE):
            continue
        if _written_as_name(word, view, as_noun=True):
            names.add(tokens[0])
    return names


def _asks_speaker(question: str, view: ReadView | None) -> bool:
    """Does ``question`` ask only what someone said or made of it ("What did Blinken say?", "whats lavrovs
    excuse", "Kyiv's version?"): its words are question words, ``_SPEECH`` words and names, nothing else?"""
    if not _SPEECH.search(question):
        return False
    for i, word in enumerate(_WORD.findall(question)):
        lower = word.casefold()
        if lower in _FILLER or _SPEECH.fullmatch(word) or mistyped_stopword(lower):
            continue
        if word[:1].isupper() and i or view is not None and (key_terms(word, view.vocabulary()).key or _written_as_name(word, view)):
            continue
        return False
    return True


def _own_pronouns_dropped(question: str, new: set[str], vocabulary: Vocabulary | None) -> str:
    """``question`` without the "he", "his", "she" or "her" that follow a new name of its own: they point to
    that name, not back ("What did Zelensky ask for when he spoke to Congress?")."""
    for match in _WORD.finditer(question):
        word = match.group()
        if set(_names(f"x {word}" if word[:1].isupper() else word, vocabulary)) & new:
            return question[: match.end()] + _PERSONAL.sub(" ", question[match.end():])
    return question


def _cited_day(turn: Turn, view: ReadView | None) -> dt.date | None:
    """The date of the report ``turn``'s answer cited first, if known."""
    if view is None or not turn.cited:
        return None
    row = view.paragraphs(turn.cited[:1]).get(turn.cited[0])
    try:
        return dt.date.fromisoformat(row.document.date) if row is not None and row.document.date else None
    except ValueError:
        return None


def _chain(turns: Sequence[Turn]) -> list[Turn]:
    """The turns the conversation's subject comes from: back from the last to the one that started fresh."""
    chain: list[Turn] = []
    for turn in reversed(turns):
        chain.append(turn)
        if turn.fresh:
            break
    return chain


def _names(text: str, vocabulary: Vocabulary | None) -> tuple[str, ...]:
    """The names ``text`` gives its subject by: its words written with a capital (but the first) and its
    acronyms; in a text typed all in lower case, its key terms (index/question.py).  With the corpus's
    vocabulary: as the corpus spells them, and only those that tell reports apart (held by at most
    SUBJECT_MAX_SHARE of the paragraphs: "Kramatorsk", not "Ukraine"); a rare ordinary word ("sheltering")
    names nothing."""
    if text == text.casefold():
        return key_terms(text, vocabulary, SUBJECT_MAX_SHARE).key if vocabulary is not None else ()
    words = _WORD.findall(text)
    named = [w for i, w in enumerate(words) if w[:1].isupper() and (i or (w.isupper() and len(w) > 1))]
    if vocabulary is None:
        return tuple(dict.fromkeys(w.casefold() for w in named))
    terms: dict[str, None] = {}
    for word in named:
        for token in textlib.lexical_tokens(word)[:1]:
            term = token if token in vocabulary else vocabulary.closest(token)
            if term and vocabulary.share(term) <= SUBJECT_MAX_SHARE:
                terms[term] = None
    return tuple(terms)


def _foreign(question: str, vocabulary: Vocabulary | None) -> bool:
    """Are half or more of the question's words (two or more) unknown to the corpus, even as typos ("How do I
    bake bread?", "Can you write me a poem about it?")?  Then it is not about the conversation's subject: read
    with it, it would be answered with what that subject's reports say; alone, it is refused."""
    if vocabulary is None:
        return False
    words = [w.casefold() for w in _WORD.findall(question)]
    tokens = [t for w in words if w not in _FILLER and not mistyped_stopword(w) for t in textlib.lexical_tokens(w)[:1]
              if t not in _FILLER]
    unknown = sum(not (t in vocabulary or vocabulary.closest(t)) for t in tokens)
    return len(tokens) >= 2 and 2 * unknown >= len(tokens)


def _content(text: str) -> str:
    """``text`` without its question words and its time phrase: what it is about ("When was the Kerch
    bridge attacked in October?" -> "Kerch bridge attacked").  The time an earlier question named does
    not bind a follow-up, which may ask what came after it."""
    window = parse_window(text, today=dt.date.today())
    if window is not None:
        text = strip_window(text, window)
    return " ".join(w for w in _WORD.findall(text) if w.casefold() not in _FILLER)


def _subject(chain: Sequence[Turn], view: ReadView | None = None) -> str:
    """What the conversation is about: the content words of its questions since it started fresh, latest first,
    and what a question asking "which", "where" or "who" was answered with (``_answered``).  (Names taken from
    every cited report were tried too: when an earlier answer cited the wrong report, they led the follow-up
    astray more often than they helped.)"""
    parts = []
    for turn in chain:
        parts.append(_content(turn.question))
        if view is not None and _ASKS_WHICH.search(turn.question):
            parts.append(_answered(turn, view))
    return " ".join(dict.fromkeys(part for part in parts if part))


def _answered(turn: Turn, view: ReadView) -> str:
    """The names the title of the report ``turn``'s answer cited first gives that its question did not: the
    place, country or person a "which" question was answered with ("Which country first promised tanks?" ->
    "Britain Challenger")."""
    if not turn.cited:
        return ""
    row = view.paragraphs(turn.cited[:1]).get(turn.cited[0])
    if row is None:
        return ""
    vocabulary = view.vocabulary()
    asked = set(_names(turn.question, vocabulary))
    words = _WORD.findall(row.document.title)
    answered = (word for word in words if word[:1].isalpha() and (names := _names(f"x {word}", vocabulary)) and not set(names) & asked)
    return " ".join(dict.fromkeys(answered))


def _swapped(question: str, before: str, own: set[str], window: Window | None, vocabulary: Vocabulary | None) -> str:
    """The earlier question asked again about what ``question`` names instead: its names replaced by the new
    ones, or its time by the new time."""
    new = _SWAP_LEAD.sub("", question).strip(" ?!.")
    if window is not None:
        earlier = parse_window(before, today=dt.date.today())
        base = strip_window(before, earlier) if earlier is not None else before
        return f"{base.rstrip(' ?!.')} {new}?"
    replaced = before
    for word in _WORD.findall(before):
        names = set(_names(f"x {word}", vocabulary))
        if own and names and not names & own:
            replaced = re.sub(rf"(?<!\w){re.escape(word)}(?!\w)", "", replaced)
    replaced = re.sub(r"\s{2,}", " ", replaced).strip()
    return f"{replaced.rstrip(' ?!.')} {new}?" if replaced != before else f"{new} {before}"
