"""Text clean-up, sentence splitting and the lexical tokenizer.

News text scraped from live pages has real defects: words glued together
("offabricating apretext"), sentences glued at the full stop ("concerns.As"),
apostrophes stripped ("Russias"), stray control and zero-width characters.
Two levels of repair live here:

* ``clean`` makes display text: conservative fixes a reader would agree with
  (whitespace, Unicode, glued sentence boundaries, camel-case and
  confident dictionary splits).  What is shown to users and cited is the
  cleaned text, so a cited sentence is always a substring of its paragraph.
* ``lexical_tokens`` makes search tokens: it is generous, indexing both the
  glued token and its dictionary split, dropping apostrophes and stemming,
  so "Russia's", "Russias" and "russia" meet.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import re
import unicodedata
from collections.abc import Callable, Collection, Iterable
from typing import Any

import Stemmer
import wordninja
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

# Zero-width and bidi control characters that carry no meaning in news text.
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\u00ad]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SPACES = re.compile(r"\s+")

# Sentence glued to the next one at its full stop: "concerns.As lead".
_GLUED_STOP = re.compile(r"(?<=[a-z0-9)\"”'’][.!?])(?=[A-Z“\"][a-z])|(?<=[A-Z]{2}\.)(?=[A-Z][a-z])")
# "ongoingRussia", "withUkrainian", "PresidentVolodymyr", "2015Minsk".
_GLUED_CASE = re.compile(r"(?<=\b[a-z]{2})(?=[A-Z][a-z])|(?<=[a-z]{3})(?=[A-Z][a-z])|(?<=\b\d{4})(?=[A-Z][a-z])")
# Comma glued to the next word: "forces,in a shelling".
_GLUED_COMMA = re.compile(r"(?<=[a-z]),(?=[a-z]{2})")
WORD = re.compile(r"[A-Za-z]+")  # a Latin-script word

# Short words a dictionary split may produce and a reader would accept.
_SHORT_WORDS = frozenset(
    "a i an as at be by do go he if in is it me my no of on or so to up us we".split()
)
_DISPLAY_SPLIT_MAX_RANK = 30_000
_LM = wordninja.DEFAULT_LANGUAGE_MODEL
_STEMMER = Stemmer.Stemmer("english")
# Cyrillic words (Ukrainian and Russian sources and questions): Snowball's Russian stemmer, which has no
# Ukrainian sibling, then the Ukrainian soft endings it leaves ("Азовсталі", "Азовсталь" -> "азовстал").
_CYRILLIC_STEMMER = Stemmer.Stemmer("russian")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_UKRAINIAN_ENDING = re.compile(r"[іїєьюяй]+$")

# Lines that are page furniture, not news.  Matched case-insensitively against
# the start of short paragraphs.
BOILERPLATE = (
    r"our live coverage (has|of this event has) (ended|moved)",
    r"you can (follow|read) (our|the) (latest|live) coverage",
    r"follow (the )?(latest|live) (updates|coverage)",
    r"(click|tap) here",
    r"sign up for",
    r"subscribe (to|for)",
    r"this (post|story|article) (has been|was) updated",
    r"(read|see) more:?$",
    r"advertisement$",
    r"(related|recommended|most read):",
)
_BOILERPLATE = re.compile(r"^\s*(?:" + "|".join(BOILERPLATE) + r")", re.IGNORECASE)
_BOILERPLATE_MAX_LEN = 200

STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is it
    its itself just me more most my myself no nor not now of off on once only or other our ours
    ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up very was we were
    what when where which while who whom why will with would you your yours yourself
    yourselves s t don dont isnt doesnt said says
    noone alot idk tbh btw pls plz thx gotta dunno kinda sorta yall nah yep nope lol omg smth sth tho cuz coz
    afaik imo imho wut""".split()  # the last two lines: chat words, which name nothing ("noone" was read as "noon")
)


@functools.lru_cache(maxsize=200_000)
def word_rank(word: str) -> int | None:
    """Frequency rank of lowercase ``word`` in wordninja's English unigram list (1 = most common), or None."""
    cost = _LM._wordcost.get(word)
    if cost is None:
        return None
    # wordninja stores cost = log(rank * log(N)); invert it.
    import math

    return int(math.exp(cost) / math.log(len(_LM._wordcost)))


ORDINARY_RANK = 20_000  # wordninja's most frequent words: the ordinary English a question is written in
# A word is read as a misspelling of a known one at least this similar (rapidfuzz ratio, 0-100), among
# those with the same first letter and a length close to its own.
TYPO_MIN_SIMILARITY = 80


def by_initial(words: Iterable[str]) -> dict[str, list[str]]:
    """``words`` grouped by their first letter: where ``closest_spelling`` looks."""
    groups: dict[str, list[str]] = {}
    for word in words:
        if word:
            groups.setdefault(word[0], []).append(word)
    return groups


def closest_spelling(word: str, candidates: dict[str, list[str]], max_length_gap: int,
                     prefer: Callable[[str], Any] | None = None) -> str | None:
    """The word of ``candidates`` (``by_initial``) that ``word`` most likely misspells, or None: of the words
    similar enough, the fewest slips away (a letter typed wrong, missed, added or two swapped: "speach" is one
    from "speech", two from "search", though both share five letters with it), then the most similar, then the
    first in ``candidates``, or the least by ``prefer``."""
    near = [w for w in candidates.get(word[0], ()) if abs(len(w) - len(word)) <= max_length_gap] if word else []
    found = process.extract(word, near, scorer=fuzz.ratio, score_cutoff=TYPO_MIN_SIMILARITY, limit=None)
    if not found:
        return None
    order = prefer or (lambda w: 0)
    return min(found, key=lambda hit: (OSA.distance(word, hit[0]), -hit[1], order(hit[0]), hit[2]))[0]


@functools.cache
def _ordinary_by_initial() -> dict[str, list[str]]:
    # wordninja's list is in frequency order (``word_rank`` is a word's place in it), so the
    # ordinary words are its first ORDINARY_RANK: 3 ms, where ranking all 125,000 took 120-400 ms.
    return by_initial(w for w in itertools.islice(_LM._wordcost, ORDINARY_RANK) if w.isalpha() and len(w) >= 3)


def listed_words_of(terms: Collection[str]) -> list[str]:
    """The words of the English word list whose search token is one of ``terms`` ("invincibility", whose token is
    "invinc"): the whole words a corpus writes, which its stemmed terms do not spell out."""
    words = [w for w in _LM._wordcost if w.isalpha() and len(w) >= 4 and w not in STOPWORDS]
    return [w for w, stem in zip(words, _STEMMER.stemWords(words)) if stem in terms]


def load_word_lists() -> None:
    """Build the word lists that typo reading needs now, rather than during the first question that has a typo."""
    _ordinary_by_initial()


@functools.lru_cache(maxsize=20_000)
def ordinary_spelling(word: str) -> str | None:
    """The common English word a lowercase ``word`` unknown to English most likely misspells
    ("janaury" -> "january", "peple" -> "people"), or None (a name, or already a word)."""
    if not word.isalpha() or len(word) < 4 or word_rank(word) is not None:
        return None
    return closest_spelling(word, _ordinary_by_initial(), max_length_gap=1)


RARE_TYPO_RATIO = 50  # a rare word is a slip of a common one this many times as common: "familly" (62,565th) of "family"


@functools.lru_cache(maxsize=20_000)
def slip_of_common_word(word: str) -> str | None:
    """The common word a rare lowercase ``word`` of the word list is by the slips a word list keeps as words of
    their own, a letter typed twice ("familly") or once where it is doubled ("writen", "occured"), or two letters
    swapped ("thier", "recieve"), when that word is far more common; None for a common word, a word no list holds,
    or a rare word of its own ("drone", "shelling")."""
    rank = word_rank(word)
    if rank is None or rank <= ORDINARY_RANK or not word.isalpha() or len(word) < 4:
        return None
    once = {word[:i] + word[i + 1:] for i in range(1, len(word)) if word[i] == word[i - 1]}
    twice = {word[:i] + word[i] + word[i:] for i in range(len(word))}
    swapped = {word[:i] + word[i + 1] + word[i] + word[i + 2:] for i in range(len(word) - 1) if word[i] != word[i + 1]}
    common = [w for w in once | twice | swapped if (r := word_rank(w)) is not None and r <= ORDINARY_RANK and r * RARE_TYPO_RATIO <= rank]
    return min(common, key=lambda w: word_rank(w) or ORDINARY_RANK) if common else None


# Longer "words" are not glued prose (a URL, a hash, junk): splitting them costs time
# linear in their length per character, and caching them would hold them all in memory.
MAX_GLUED_WORD = 40


def split_glued(word: str, *, strict: bool) -> tuple[str, ...]:
    """Split a glued lowercase word into dictionary words, or return it whole.

    ``strict`` is for display: every part must be a common word and short parts
    must be function words.  The lenient mode is for search tokens, where a
    wrong extra token costs little.
    """
    if len(word) > MAX_GLUED_WORD:
        return (word,)
    return _split_glued(word, strict=strict)


@functools.lru_cache(maxsize=200_000)
def _split_glued(word: str, *, strict: bool) -> tuple[str, ...]:
    rank = word_rank(word)
    if rank is not None and rank <= _DISPLAY_SPLIT_MAX_RANK:
        return (word,)
    parts = wordninja.split(word)
    if len(parts) < 2 or "".join(parts) != word:
        return (word,)
    for part in parts:
        part_rank = word_rank(part)
        if part_rank is None:
            return (word,)
        if len(part) <= 2 and part not in _SHORT_WORDS:
            return (word,)
        if strict and len(part) == 3 and part_rank > _DISPLAY_SPLIT_MAX_RANK:
            return (word,)
    return tuple(parts)


def _repair_word(match: re.Match[str]) -> str:
    word = match.group(0)
    # Only lowercase words are split: a capitalised word is a name or starts a sentence, and a
    # dictionary split cuts names ("Bucha" is "Buch a" to it).  "Ukraineby" stays as it is.
    if len(word) < 5 or not word.islower():
        return word
    parts = split_glued(word, strict=True)
    return word if len(parts) == 1 else " ".join(parts)


# A document shows the scraping defects the repairs are for when at least GLUE_MIN of its
# lowercase words split into common words, and at least one in GLUE_WORDS_PER of them.
GLUE_MIN = 3
GLUE_WORDS_PER = 200
GLUE_SAMPLE_WORDS = 5000  # enough to tell, and bounded for a huge document


def shows_glue(paragraphs: Iterable[str]) -> bool:
    """Whether a document's raw text has glued words ("offabricating apretext"), so ``clean`` may repair it.

    Clean prose has none, or one odd word; the seed article has one in fifty.  Only a
    document that shows them gets repaired: clean text is never changed by a guess.
    """
    words = glued = 0
    for paragraph in paragraphs:
        for match in WORD.finditer(paragraph):
            word = match.group(0)
            words += 1
            if len(word) >= 5 and word.islower() and len(split_glued(word, strict=True)) > 1:
                glued += 1
            if words >= GLUE_SAMPLE_WORDS:
                return glued >= GLUE_MIN and glued * GLUE_WORDS_PER >= words
    return glued >= GLUE_MIN and glued * GLUE_WORDS_PER >= words


def normalize_unicode(text: str) -> str:
    """NFKC, no invisible or control characters, single spaces."""
    text = unicodedata.normalize("NFKC", text)
    text = _INVISIBLE.sub("", text)
    text = _CONTROL.sub(" ", text)
    return _SPACES.sub(" ", text).strip()


def clean(text: str, *, repair: bool = True) -> str:
    """Display text: normalised; with ``repair``, confident repairs of glued words and sentences.

    Ingestion repairs only documents that ``shows_glue``: a repair is a guess, and clean
    text ("kyivindependent.com", "JavaScript") must come out as it went in.
    """
    text = normalize_unicode(text)
    if not repair:
        return text
    text = _GLUED_STOP.sub(" ", text)
    text = _GLUED_CASE.sub(" ", text)
    text = _GLUED_COMMA.sub(", ", text)
    text = WORD.sub(_repair_word, text)
    return _SPACES.sub(" ", text).strip()


def is_boilerplate(paragraph: str) -> bool:
    return len(paragraph) <= _BOILERPLATE_MAX_LEN and bool(_BOILERPLATE.match(paragraph))


def dedup_key(text: str) -> str:
    """Key under which two paragraphs are the same text.

    Case, spacing and punctuation are ignored, so a copy with glued words or
    stripped apostrophes collapses onto the clean one.
    """
    return re.sub(r"[\W_]+", "", unicodedata.normalize("NFKC", text).casefold())


def content_hash(text: str) -> str:
    """A page's text fingerprint: a refresh re-indexes a page only when this changes."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# Abbreviations whose full stop does not end a sentence.
_ABBREV = re.compile(
    r"\b(?:Mr|Mrs|Ms|Dr|Prof|Sen|Rep|Gen|Lt|Col|Sgt|Gov|St|Jr|Sr|No|vs|etc|e\.g|i\.e|U\.S|U\.K|U\.N|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\.$"
)
# Starts only where a run of stops starts, so a long run of them is scanned once, not once per stop.
_SENTENCE_END = re.compile(r"(?<![.!?…])[.!?…]+[\"”’')\]]*\s+")
_ABBREV_REACH = 8  # "Sept." is the longest abbreviation: look this far back from a stop, not further


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Where the sentences of display text start and end: ``text[a:b]`` is one sentence, stripped."""
    spans, start = [], 0

    def keep(a: int, b: int) -> None:
        piece = text[a:b]
        a += len(piece) - len(piece.lstrip())
        b -= len(piece) - len(piece.rstrip())
        if a < b:
            spans.append((a, b))

    for match in _SENTENCE_END.finditer(text):
        end = match.end()
        nxt = text[end : end + 1]
        # Only the few characters before the stop can make it an abbreviation; looking at the whole
        # sentence so far would make a long text of unsplit stops quadratic.
        before = text[max(start, match.start() - _ABBREV_REACH) : match.start() + 1]
        if _ABBREV.search(before) or (nxt and not (nxt.isupper() or nxt.isdigit() or nxt in "\"“'‘(")):
            continue
        keep(start, end)
        start = end
    keep(start, len(text))
    return spans


def split_sentences(text: str) -> list[str]:
    """Split display text into sentences; every sentence is a substring of ``text``."""
    return [text[a:b] for a, b in sentence_spans(text)]


_TOKEN = re.compile(r"\w+")


def lexical_tokens(text: str) -> list[str]:
    """Search tokens: lowercase, apostrophe-free, glued words split, stemmed.

    The same function serves documents and queries, so both sides agree.
    """
    text = unicodedata.normalize("NFKC", text).casefold()
    text = re.sub(r"['’‘`´]", "", text)  # "russia's" and "russias" become one token
    out: list[str] = []
    for token in _TOKEN.findall(text):
        if token.isdigit():
            out.append(token)
            continue
        if len(token) >= 6 and token.isascii() and token.isalpha():
            parts = split_glued(token, strict=False)
            if len(parts) > 1:
                out.append(token)  # keep the glued form: it may be a name
                out.extend(p for p in parts if p not in STOPWORDS)
                continue
        if len(token) > 1 and token not in STOPWORDS:
            out.append(token)
    return [_stem_cyrillic(t) if _CYRILLIC.search(t) else t for t in _STEMMER.stemWords(out)]


@functools.lru_cache(maxsize=100_000)
def _stem_cyrillic(token: str) -> str:
    stem = _CYRILLIC_STEMMER.stemWord(token)
    return _UKRAINIAN_ENDING.sub("", stem) if len(stem) > 4 else stem
