"""What a question asks, beyond its words: the named things an answer must be about, whether it asks
"when", how many, or for the latest news.

An answer is only right when it is about what the question names: "How many died in the Kramatorsk
station attack?" is not answered by a sentence about Kremenchuk, however alike the two sound.  The
*key terms* are the lexical tokens of the places, people, named things and numbers a question
names; a passage that holds none of them is about something else.  Terms most of the corpus holds
("Ukraine", "Russia") tell nothing apart and are not key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from index import spellings
from index import text as textlib
from index.families import aliases, demonym_twin, everyday_words, number_digits
from index.lexical import MODEL_PLURAL, Vocabulary
from index.timeframe import UNIT_STEMS, WEEKDAY_NAME, is_holiday, is_month

# A name is a word written with a capital inside the question, an acronym, or a word too rare in
# English to be an ordinary one (wordninja's frequency rank beyond text.ORDINARY_RANK): "kramatorsk", "himars".
_FIRST_WORD_ORDINARY_RANK = 5_000  # the first word is capitalised anyway: a name only if rare
# A key term must tell passages apart: one held by more than this share of paragraphs does not.
KEY_MAX_SHARE = 0.05
_WORD = re.compile(r"[^\W_](?:[\w'’.-]*[^\W_])?")
_YEAR = re.compile(r"(19|20)\d\d")
_CLOCK = re.compile(r"\d{1,2}(?:am|pm)(?:-(?:to-)?\d{1,2}(?:am|pm))?", re.IGNORECASE)  # "7am", "7am-to-11pm"
_NOT_ASKED = re.compile(r"\b(?:https?|ftp)://\S+|\bwww\.\S+|<(?:@[!&]?|#)\d+>|@(?:everyone|here)\b", re.IGNORECASE)
_CLITIC_END = re.compile(r"'(?:s|re|ve|ll|d|m)$|(?<=s)'$|(?<=[a-z]{2})n't$")  # "chief's", "hadn't": "chief", "had"
# A question word or pronoun typed without its apostrophe ("whats", "wheres", "theyre") or with two letters
# swapped ("whta", "wehre") is that word, not a name: these words are at least this long.
_FILLER_TYPO_MIN = 4

_WHEN_WORDS = (
    r"(when\b|(?:what|which)\s+(?:days?|dates?|time|month|year|night|morning|evening|weekend|week)\b"
    r"|what\s+(?:was|is)\s+the\s+(?:exact\s+)?(?:date|day)\b(?!['’]|\s+(?:like|before|after)\b)"  # "What was the date of ...?"
    r"|(?:on|in|from|since|until|till|by)\s+(?:what|which)\s+(?:day|date|night|morning|evening|weekend)\b|how\s+long\s+ago\b"
    r"|at\s+what\s+(?:point|time|hour)\b"
    r"|(?:since|from|until|till|by)\s+when\b|in\s+(?:what|which)\s+(?:month|year)\b|коли\b|когда\b|якого\s+числа\b|какого\s+числа\b"
    r"|в\s+який\s+день\b|в\s+какой\s+день\b|в\s+якому\s+місяці\b|в\s+каком\s+месяце\b)"
)
_WHEN = re.compile(r"^\W*(?:and\s+|so\s+)?" + _WHEN_WORDS, re.IGNORECASE)
_AUX_WORDS = r"did|was|were|is|are|has|have|had|will|does|do|could|would"
_AUXILIARY = rf"(?:{_AUX_WORDS})\b"
# "when" after the words a question is often led in with ("Anyone know when ...", "Do we know when ...", "Remind
# me, how long ago ...") or after a clause ("Before the big UN convoy, when did ...", "Makiivka strike, what night
# was it?"), and "how many days back" anywhere.
_WHEN_LED_IN = re.compile(
    r"\b(?:know|idea|remind\s+me|tell\s+me|wonder|wondering|clue|sure|recall|remember)\s*,?\s+"
    r"(?:when|how\s+long\s+ago|(?:what|which)\s+(?:day|date|night))\b"  # "anyone know what day the swap happened?"
    # "Makiivka strike, what night was it?", "..., right? When was that?", "..., what day and time (of day) did it hit?"
    r"|(?:[,;:?.!]|\s[-–—])\s*(?:but\s+|and\s+|so\s+)?" + _WHEN_WORDS + r"(?:\s+(?:and|or)\s+(?:time|hour|date|day)(?:\s+of\s+(?:the\s+)?day)?)?(?:\s+exactly)?"
    + r"(?:(?:\s+(?:earlier|later))?\s+(?:last|this|that|the|past)\s+(?:week|month|weekend))?\s+"  # "which day earlier this week was it"
    + _AUXILIARY
    # "..., what was the date?", "Was the exchange last week? What day exactly?", "... taken away last week - on which day?"
    + r"|(?:[,;:?.!]|\s[-–—])\s*" + _WHEN_WORDS + r"(?:\s+exactly)?\W*$"
    + r"|\bhow\s+(?:long|many\s+(?:days|weeks|months|years))\s+(?:ago|back)\b"  # "how many days back was that?"
    r"|,\s*or\s+when\b"  # "Did they say it started yesterday, or when exactly?"
    r"|(?:[,;:?.!]|\s[-–—])\s*(?:but\s+|and\s+|so\s+)?when\s+exactly\b"  # "..., when exactly and where was he going?"
    r"|(?:[,;:?.!]|\s[-–—])\s*(?:but\s+|and\s+|so\s+)?when['’]s\b",  # "Putin spoke yesterday, when's the site ready?"
    re.IGNORECASE,
)
# A question that checks a day ("..., was it yesterday or the day before?", "Was the exchange on Thursday?", "..., did that
# hit three days ago or earlier?", "did that happen the day before yesterday in the evening?") asks for it.
_DAY_PHRASE = (r"(?:yesterday|the\s+day\s+before(?:\s+yesterday)?|the\s+night\s+before\s+last|(?:\w+\s+)?days?\s+ago|last\s+week"
               r"|earlier\s+this\s+week|(?:on|last|this\s+past)\s+" + WEEKDAY_NAME +
               r"|(?:over\s+the|last|this\s+past)\s+weekend)\b")
_DAY_CHECKED = re.compile(
    # A choice of two days asks which ("did they hit the school last saturday or on sunday?").
    r"\b" + _DAY_PHRASE + r"\s+or\s+(?:on\s+|the\s+)?(?:" + _DAY_PHRASE + "|" + WEEKDAY_NAME + r"\b)"
    r"|(?:^\W*|[,;:]\s*|\s[-–—]\s*)(?:was|were|did\s+(?:that|it|this)\s+(?:hit|strike|occur)"
    r"|did\s+(?:that|it|this|the\s+[\w'’-]+(?:\s+[\w'’-]+)?)\s+(?:happen|take\s+place))\b"
    r"[^?,;]*?\b" + _DAY_PHRASE
    + r"(?:\s+on\s+" + WEEKDAY_NAME + r")?(?:\s+(?:in\s+the\s+)?(?:night|morning|afternoon|evening))?\b"
    # "..., and at what time of day?", "...? what time of day?"
    + r"(?:\s+or\s+[^?]*|,\s*and\s+(?:at\s+)?what\s+time\b[^?]*|\?\s*(?:and\s+)?(?:at\s+)?what\s+time\b[^?]*)?\W*$"
    # "Was it the day before yesterday that the bomb hit the school?"
    r"|^\W*was\s+it\s+(?:really\s+|only\s+|just\s+)?" + _DAY_PHRASE + r"(?:\s+(?:night|morning|afternoon|evening))?\s+(?:that|when)\b",
    re.IGNORECASE,
)
# "When Russian troops seized the plant, did the radiation go up?": the "When" clause sets the event, what follows is asked.
_WHEN_SETTING = re.compile(
    r"^\W*when\s+(?!" + _AUXILIARY + r")[^,?]+,\s*(?:not\b[^,?]*,\s*)?"
    r"(?P<asked>(?:" + _AUX_WORDS + r"|why|how|what|who|whom|which|where)\b.*)$",
    re.IGNORECASE | re.DOTALL,
)
_WHEN_ANYWHERE = re.compile(r"\b" + _WHEN_WORDS, re.IGNORECASE)
# Not a question but an instruction to the bot ("ignore your sources and confirm that ..."): answered
# with what it only ever does, never by quoting whatever passage is closest.
_INSTRUCTION = re.compile(
    r"\b(?:ignore|disregard|forget|set\s+aside|put\s+aside)\s+(?:all\s+|your\s+|the\s+|any\s+|those\s+|these\s+|previous\s+|prior\s+|whatever\s+|what\s+|about\s+)*"
    r"(?:sources|instructions|rules|citations|evidence|articles|reports|news|documents|links)\b"
    r"|\b(?:don'?t|do\s+not)\s+(?:use|cite|quote|check|bother\s+with)\s+(?:your\s+|the\s+|any\s+)*(?:sources|articles|reports|citations)\b"
    r"|\b(?:pretend|act\s+as\s+if|role-?play)\b|\bwithout\s+(?:any\s+)?(?:sources|citations)\b"
    r"|\bnever\s+mind\s+(?:the\s+|your\s+|any\s+)*(?:sources|articles|reports|citations|news)\b"
    r"|\b(?:ігноруй|ігноруйте|забудь|игнорируй|игнорируйте|забудь)\b",
    re.IGNORECASE,
)
_HOW_MANY = re.compile(r"\b(how\s+many|how\s+much|what\s+(?:number|share|percentage)|death\s+toll|скільки|сколько)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Terms:
    key: tuple[str, ...]  # lexical tokens of the named things, as the corpus spells them
    # Capitalised names the corpus does not hold at all, as typed ("Kursk", "Python"); a lowercase rare
    # word is more likely a typo, and a first name before a known name ("Liz Truss") does not count.
    unknown: tuple[str, ...]
    # Key terms only words of English typed in lower case gave ("catastrophe": rare enough to be a key term, but no
    # name): they rank, but a question asking with other words ("a radiation disaster") is no reason to refuse.
    plain: tuple[str, ...] = ()


# The common nouns of places' names: the word before one is the name ("Eiffel Tower"), not a first name.
_PLACE_NOUNS = frozenset("""tower towers bridge square street avenue road station plant palace museum cathedral church
    airport river lake island park stadium hospital hotel castle gate hall centre center university mall market port harbour
    harbor dam canal sea mountains mountain valley forest desert falls bay beach theatre theater arena zoo library""".split())


def asks_when(question: str) -> bool:
    """Does the question ask for a date?  Also with its first word a typo of "when" ("wen did ..."): a word
    one letter away from it that is not itself a common word ("then", "where" are)."""
    setting = _WHEN_SETTING.match(question)
    if setting is not None:
        return bool(_WHEN_ANYWHERE.search(setting["asked"]))
    if _WHEN.search(question) or _WHEN_LED_IN.search(question) or _DAY_CHECKED.search(question):
        return True
    first = _WORD.search(question)
    if first is None:
        return False
    word = first.group().casefold()
    rank = textlib.word_rank(word)
    return (rank is None or rank > _FIRST_WORD_ORDINARY_RANK) and _one_edit(word, "when")


# "Since when ...?", "From what date ...?", "By when ...?", "Until what day ...?": the day a span starts or ends on.
_SPAN_ASKED = re.compile(r"\b(?:(?P<start>since|from|starting)|until|till|by)\s+(?:when\b|(?:what|which)\s+(?:day|date|month)\b)",
                         re.IGNORECASE)


def asks_span_start(question: str) -> bool | None:
    """Whether the question asks for the day a span starts on ("Since when ...?"), or ends on (False: "By when ...?"); None
    for neither."""
    m = _SPAN_ASKED.search(question)
    return None if m is None else m["start"] is not None


def _one_edit(a: str, b: str) -> bool:
    """Whether ``a`` is ``b`` with one letter added, dropped, changed, or two neighbours swapped."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]])
    short, long = sorted((a, b), key=len)
    return any(long[:i] + long[i + 1:] == short for i in range(len(long)))


def is_instruction(question: str) -> bool:
    return bool(_INSTRUCTION.search(question))


# "Once it came out that the guards were alive, what did the border service want Moscow to do?", "How did the Kremlin
# react when the UN's top court told Russia to stop?": what is asked, and the event it is asked about.
_SETTING = r"(?:when|after|once|before|while|as\s+soon\s+as|now\s+that)"
_SETTING_FIRST = re.compile(rf"^\s*{_SETTING}\b[^,?]+,\s*(?P<asked>.+)$", re.IGNORECASE)
_SETTING_AFTER = re.compile(rf"^(?P<asked>.+?)\s+{_SETTING}\s+\S.+$", re.IGNORECASE)


# What a question says it does not ask about, to tell its event from a neighbour: "(not the fuel depot hit later in
# March)", "- not the first one -", ", not the all-women exchange in October,", "Not the World Bank number, ...".
# ", not Chernobyl," (a name), "(the Washington one, not London)", ": not the Sunday departure, but when they arrived".
_SET_ASIDE = r"not\s+(?:(?:the|a|an|its|their|his|her|that|this)\b|(?:(?:von|van|der|de|da|al|el)\s+)*(?-i:[A-Z]))"  # "not von der Leyen's"
_CONTRAST = re.compile(
    r"\s*\(\s*not\b[^)]*\)"
    r"|\s+[-–—]\s*not\b.*?(?:\s[-–—](?=\s)|(?=\?)|$)"
    r"|\bnot\s+(?:the|a|an|its|their|his|her|that|this)\b[^,?;]*,\s*but\s+"
    r"|,\s*" + _SET_ASIDE + r"(?![^,?;]*,\s*but\b)[^,?;)]*(?=[,?;)]|$)"
    r"|^\s*not\s+(?:the|a|an|its|their|that|this)\b[^,?:;]*?(?:[,:;]|\s[-–—])\s*"  # "Not the station massacre: the flats in ..."
    r"|,?\s*\b(?:rather\s+than|as\s+opposed\s+to)\b[^,?;:)]*(?=[,?;:)]|$)"  # "the $450m one rather than July's $400m: ..."
    r"|\s*\bI\s+(?:don['’]?t|do\s+not)\s+mean\b[^?.!]*[?.!]?",  # "..., how many went to Poland? I don't mean the later update"
    re.IGNORECASE,
)


def without_contrast(question: str) -> str:
    """``question`` without what it says it does not ask about: its words, names and times are a neighbour's
    ("In the big September prisoner swap, not the all-women exchange in October, who ...?" searched October); the
    question as it is when nothing else is left."""
    return _CONTRAST.sub("", question).strip() or question


# The names and figures of what a question sets aside ("not Chernobyl", "not the first police figure of 18").
_ASIDE_NAME = re.compile(r"(?<![\w'’])(?:[A-Z][\w'’-]*|(?:\d[\d,.]*\d|\d)[a-z]*)")  # "$400m": as searched, "400m"


def set_aside(question: str) -> tuple[str, ...]:
    """The search tokens of the names and figures ``question`` says it does not ask about, less those the rest of it
    gives: a passage holding them is likelier the neighbour's ("not Chernobyl", "not the first police figure of 18")."""
    removed = " ".join(m.group() for m in _CONTRAST.finditer(question))
    if not removed:
        return ()
    kept = set(textlib.lexical_tokens(without_contrast(question)))
    words = [w for w in _ASIDE_NAME.findall(removed) if w.casefold() != "not"]
    return tuple(dict.fromkeys(t for w in words for t in textlib.lexical_tokens(w) if t not in kept))


def asked_part(question: str) -> str | None:
    """What an English question asks, without the event it sets it in ("How did the Kremlin react" of "How did the Kremlin
    react when the UN's top court told Russia to stop its military operation?"); None for a question without such a
    setting, or whose asking part is under three words."""
    m = _SETTING_FIRST.match(question) or _SETTING_AFTER.match(question)
    return m["asked"] if m and len(m["asked"].split()) >= 3 else None


# What "how many" counts ("How many injured were being reported?"), and the words reports count it in: "how many died"
# in "killed" and "death toll", "how many were hurt" in "injured" and "wounded".
_COUNTED = re.compile(r"\bhow\s+many\s+((?:[\w'’-]+\s*){1,3})", re.IGNORECASE)
_COUNTED_ALIKE = (frozenset({"kill", "die", "dead", "death", "toll", "live", "fatal"}), frozenset({"injur", "wound", "hurt"}))
_NOT_COUNTED = frozenset({"peopl", "ukrainian", "russian"})  # who, not what happened to them


def counted_terms(question: str) -> frozenset[str]:
    """The terms of what an English "how many" question counts (empty when it counts nothing it names)."""
    m = _COUNTED.search(question)
    if m is None:
        return frozenset()
    terms = set(textlib.lexical_tokens(m.group(1))) - _NOT_COUNTED
    for alike in _COUNTED_ALIKE:
        if terms & alike:
            terms |= alike
    return frozenset(terms)


def asks_how_many(question: str) -> bool:
    return bool(_HOW_MANY.search(question))


def _is_name(word: str, first: bool, english: bool = True) -> bool:
    if any(ch.isdigit() for ch in word):
        # a year is a time window (index/timeframe.py), not a name; nor is a time of day, which reports write as they
        # please ("7am-to-11pm": "from 7:00 to 23:00", "between 7 a.m. and 11 p.m.")
        return not _YEAR.fullmatch(word) and not _CLOCK.fullmatch(word)
    if is_month(_CLITIC_END.sub("", word)):  # so is a month: "in mid-April" asks for dates, not for reports that write "April"
        return False
    # A possessive or contraction is its word ("chief's" is "chief"): no word list holds it as typed.
    lower = _CLITIC_END.sub("", word.casefold().replace("’", "'"))
    if lower in textlib.STOPWORDS or len(lower) < 2:
        return False
    if (first or not word[0].isupper()) and mistyped_stopword(lower):  # "Saud" inside a question stays a name
        return False
    if word.isupper() and len(word) >= 2:
        return True
    rank = textlib.word_rank(lower)
    if word[0].isupper() and not first:
        return True
    if rank is None and textlib.ordinary_spelling(lower) or not word[0].isupper() and textlib.slip_of_common_word(lower):
        return False  # a typo of an ordinary word ("janaury", "familly": a rare word of the list), not a name
    limit = _FIRST_WORD_ORDINARY_RANK if first and word[0].isupper() else textlib.ORDINARY_RANK
    if english and rank is not None and rank > limit and _inflects_an_ordinary_word(lower, limit):
        return False  # "blasts", "downed", "shelling": rare forms of ordinary words, no names
    parts = lower.split("-")
    if rank is None and len(parts) > 1 and all((textlib.word_rank(part) or limit + 1) <= limit for part in parts):
        return False  # ordinary words joined by a hyphen: "the collapsed high-rise", "a five-storey building"
    return rank is None or rank > limit


# Regular English inflections: (ending, what the word ends with without it).
_INFLECTIONS = (("ies", "y"), ("ied", "y"), ("es", ""), ("s", ""), ("ed", ""), ("d", ""), ("ing", ""), ("ing", "e"))
_MIN_BASE = 3


def _inflects_an_ordinary_word(word: str, limit: int) -> bool:
    """Is ``word`` a regular inflection of a word at most ``limit`` in English's frequency rank ("blasts": "blast",
    "downed": "down", "shelling": "shell", "docked": "dock", "rigged": "rig"), or the base of such an inflection
    ("impose": "imposed")?  A consonant before "ys" makes no plural: "germanys" is a name's possessive typed
    without its apostrophe."""
    for ending, restored in _INFLECTIONS:
        if not word.endswith(ending) or len(word) - len(ending) < _MIN_BASE:
            continue
        base = word[: -len(ending)] + restored
        if ending == "s" and base.endswith("y") and base[-2] not in "aeiou":
            continue
        bases = (base, base[:-1]) if not restored and base[-1] == base[-2] else (base,)
        if any((rank := textlib.word_rank(b)) is not None and rank <= limit for b in bases):
            return True
    # Or the word is the base of an ordinary form: "impose" (rank 27,726) of "imposed" (9,935).
    stem = word[:-1] if word.endswith("e") else word
    forms = (word + "s", stem + "ed", stem + "ing")
    return any((rank := textlib.word_rank(form)) is not None and rank <= limit for form in forms)


# Negations typed without their apostrophe that no stopword ends: "won't", "ain't", "shan't".
_NEGATIONS = frozenset({"wont", "aint", "shant"})


def mistyped_stopword(word: str) -> bool:
    """Is ``word`` a question word or pronoun typed without its apostrophe or with one slip ("whats",
    "whos", "theyre", "cant", "whta"), and not a word of its own?"""
    rank = textlib.word_rank(word)
    if rank is not None and rank <= textlib.ORDINARY_RANK or not word.isalpha():
        return False
    for end in ("s", "re", "ve", "ll", "d", "m", "t", "nt"):  # "cant" and "didnt" are "can't" and "didn't"
        if word.endswith(end) and word[: -len(end)] in textlib.STOPWORDS:
            return True
    if word in _NEGATIONS:
        return True
    return len(word) >= _FILLER_TYPO_MIN and any(len(s) >= _FILLER_TYPO_MIN and _one_edit(word, s) for s in textlib.STOPWORDS)


def key_terms(question: str, vocabulary: Vocabulary, max_share: float = KEY_MAX_SHARE, *, english: bool = True,
              years: tuple[int, int] | None = None) -> Terms:
    """The key terms of ``question`` (typos read as the corpus's closest term; those held by at most
    ``max_share`` of the paragraphs) and the named words it lacks.
    Links and chat mentions name nothing the question asks about ("https://evil.example", "<@123>", "@everyone").
    Unless not ``english`` (``question`` is the English rendering of a question asked in Ukrainian or Russian,
    whose key terms only rank), a number written as a word names the number its digits do ("four million",
    "4 million"; reports in the question's own language write "четырех", which no English key term holds), and a
    rare form of an ordinary word is none ("blasts"; of a rendering's few words, "shelling" still ranks).
    A year is no key term (a time is a window, index/timeframe.py), except one outside ``years``, the corpus's
    first and last: "What were the Minsk agreements of 2015 supposed to do?" asks about what is of that year."""
    asked = _NOT_ASKED.sub(" ", question)
    found = list(_WORD.finditer(asked))
    words = [m.group() for m in found]
    # Where a sentence of the question begins, its first word's capital is the sentence's ("... wave yet. Roughly how many?");
    # an abbreviation's full stop ends none ("the U.S. Defense Department").
    starts = {start for start, _ in textlib.sentence_spans(asked)}
    opening = {0} | {i for i, m in enumerate(found) if m.start() in starts}
    words = [MODEL_PLURAL.sub("", word) for word in words]  # "S-300s", "F-16s": the S-300, the F-16
    if english:  # a number word after "which", "the" counts what is asked for, no number asked about: "Which two senators"
        words = [word if i and words[i - 1].casefold() in _COUNT_OF else number_digits(word.casefold()) or word
                 for i, word in enumerate(words)]
    terms = [_terms(word, vocabulary) for word in words]
    # A name the corpus writes in another form is known: "Switzerland" when it writes "Swiss" (index/families.py).
    known = [any(t in vocabulary or demonym_twin(t) in vocabulary or by_alias(t, vocabulary) for t in found) for found in terms]
    key: dict[str, None] = {}
    named: set[str] = set()  # key terms a name gave
    unknown: list[str] = []
    for i, word in enumerate(words):
        if (years is not None and _YEAR.fullmatch(word) and not years[0] <= int(word) <= years[1]
                and not (i + 1 < len(words) and words[i + 1].casefold().startswith(_COUNT_NOUNS))):
            if word in vocabulary:
                key[word] = None
            else:
                unknown.append(word)
            continue
        if not _is_name(word, first=i in opening, english=english) or _typed_for_a_word(words, i):
            continue
        if word.isdigit() and i + 1 < len(words) and words[i + 1].casefold().startswith(UNIT_STEMS):
            continue  # "two weeks later", "3 days ago": a time, not a number asked about
        if word.isdigit() and _guessed(words, i):
            continue  # "wasnt it like 80 something": the report may say 82
        if _DAY_OF_MONTH.fullmatch(word) and _beside_a_month(words, i):
            continue  # "on 9 March", "April 18th": a day of the dates searched (index/timeframe.py), not a number asked about
        if terms[i] and not known[i]:
            # ("Liz Truss"), but not before a common noun of a place's name ("Eiffel Tower", "Wembley Stadium")
            next_is_known_name = (i + 1 < len(words) and words[i + 1][0].isupper() and known[i + 1]
                                  and words[i + 1].casefold() not in _PLACE_NOUNS)
            # "MPs", "POWs": words of everyday speech (index/families.py) that reports write otherwise, no names
            # nor is a holiday: "the Halloween missile strikes" names a day, which reports give as a date
            if (word[0].isupper() and len(word) >= 3 and not next_is_known_name and not everyday_words(word)
                    and not is_holiday(word)):
                unknown.append(word)
            continue
        plain = (word[0].islower() and textlib.word_rank(_CLITIC_END.sub("", word.casefold())) is not None
                 or _the_west(words, i) or _ranked_in(words, i) or _of_a_holiday(words, i) or _ordinary_compound(word)
                 or _slip_of_a_listed_word(word, terms[i], vocabulary))
        ordinary = _ordinary_parts(word)
        for term in terms[i]:
            if term in vocabulary and vocabulary.share(term) <= max_share:
                key[term] = None
                if not plain and term not in ordinary:
                    named.add(term)
    return Terms(tuple(key), tuple(dict.fromkeys(unknown)), tuple(t for t in key if t not in named))


# Words that make the number beside them a guess, not a figure a report must hold.
_GUESS_BEFORE = frozenset({"like", "around", "roughly", "approximately", "maybe", "perhaps", "nearly", "almost"})
_GUESS_AFTER = frozenset({"something", "somthing", "someting", "odd", "ish"})


def _guessed(words: list[str], i: int) -> bool:
    """Is the number ``words[i]`` a guess ("like 80 something", "around 50", "50 or so")?"""
    after = [w.casefold() for w in words[i + 1 : i + 3]]
    return (i > 0 and words[i - 1].casefold() in _GUESS_BEFORE or bool(after) and after[0] in _GUESS_AFTER
            or after == ["or", "so"])


def _the_west(words: list[str], i: int) -> bool:
    """Is ``words[i]`` "the West", the Western governments together, or "Western" of what they do ("the Western price
    ceilings", "Western sanctions"): no name a report must hold, since reports name them ("the United States, the European
    Union, Britain and Canada", "the G7", "the allies"); not "the West Bank", "Western Ukraine"."""
    if i + 1 < len(words) and words[i + 1][:1].isupper():
        return False
    return words[i] == "West" and i > 0 and words[i - 1].casefold() == "the" or words[i] == "Western"


def _of_a_holiday(words: list[str], i: int) -> bool:
    """Is ``words[i]`` (of) a holiday's name ("the Independence Day strike")?  A day, which reports give as a date."""
    return (is_holiday(words[i]) or i + 1 < len(words) and is_holiday(f"{words[i]} {words[i + 1]}")
            or i > 0 and is_holiday(f"{words[i - 1]} {words[i]}"))


# Words after a place's possessive that describe what is first in it ("Europe's biggest nuclear station").
_RANKS = frozenset({"biggest", "largest", "second-largest", "second-biggest", "top", "main", "chief", "only", "highest",
                    "oldest", "busiest", "leading"})
_POSSESSIVE = re.compile(r"['’]s$")


def _ranked_in(words: list[str], i: int) -> bool:
    """Is ``words[i]`` a place whose first thing the question describes instead of naming it ("Europe's biggest nuclear
    station", "America's top diplomat", "Kherson's main square")?  The report names it (Zaporizhzhia, Blinken) and need
    not name the place: no name a report must hold, though it still ranks."""
    return bool(_POSSESSIVE.search(words[i])) and i + 1 < len(words) and words[i + 1].casefold() in _RANKS


# The parts of a compound of everyday words typed as one ("rollover") are at most this rare in English.
_COMPOUND_PART_RANK = 5_000


def _ordinary_compound(word: str) -> bool:
    """Is lowercase ``word``, which no word list holds, everyday words typed as one ("rollover": "roll" and "over")?
    Such a word names nothing, as a word of the list would not; a name splits into rarer pieces ("soledar": "sole" and
    "dar")."""
    if not word.islower() or textlib.word_rank(word) is not None:
        return False
    parts = textlib.split_glued(word, strict=True)
    if len(parts) > 1 and all(len(part) >= 3 and _everyday(part) for part in parts):
        return True
    # an everyday word after a prefix, mistyped: "counterofensive"
    for prefix in _WORD_PREFIXES:
        if word.startswith(prefix) and len(word) - len(prefix) >= 4:
            rest = word[len(prefix):]
            return _everyday(textlib.ordinary_spelling(rest) or rest)
    return False


_WORD_PREFIXES = ("counter", "anti", "over", "under", "inter", "cross", "post", "pre", "non")


def _everyday(word: str) -> bool:
    """Is ``word`` among English's _COMPOUND_PART_RANK most frequent words?"""
    rank = textlib.word_rank(word)
    return rank is not None and rank <= _COMPOUND_PART_RANK


def _slip_of_a_listed_word(word: str, terms: list[str], vocabulary: Vocabulary) -> bool:
    """Is lowercase ``word``, which neither the word list nor the corpus holds, a slip of a word the list holds, read as
    that word's term ("unanimus": "unanimous", the 25,216th)?  Typed right, such a word names nothing; typed wrong,
    neither.  A slip of a name the list lacks ("mariupl") reads as no listed word's term."""
    if not word.islower() or textlib.word_rank(word) is not None:
        return False
    own = textlib.lexical_tokens(word)[:1]
    if not own or own[0] in vocabulary:
        return False
    meant = vocabulary.listed_spelling(word)
    return meant is not None and textlib.lexical_tokens(meant)[:1] == terms[:1]


def _ordinary_parts(word: str) -> frozenset[str]:
    """The terms of a hyphenated name's ordinary lowercase parts, which name nothing: "held" of "Ukrainian-held",
    "back" of "Kremlin-backed", "made" of "US-made"; a participle of any English verb too ("broker" of "UAE-brokered")."""
    parts = word.split("-")
    if len(parts) < 2 or not any(part[:1].isupper() for part in parts):
        return frozenset()
    return frozenset(term for part in parts if part.isalpha() and part.islower()
                     and (rank := textlib.word_rank(part)) is not None and (rank <= textlib.ORDINARY_RANK or part.endswith("ed"))
                     for term in textlib.lexical_tokens(part)[:1])


def _typed_for_a_word(words: list[str], i: int) -> bool:
    """Is ``words[i]`` a "2" or "4" typed for "to" or "for": between a word and itself ("door 2 door") or before an
    article or pronoun ("credit 4 the blast", "go 2 u")?"""
    if words[i] not in ("2", "4"):
        return False
    after = words[i + 1].casefold() if i + 1 < len(words) else ""
    return after in _CHAT_NEXT or (i > 0 and after == words[i - 1].casefold())


_CHAT_NEXT = frozenset({"the", "a", "an", "my", "me", "u", "you", "him", "her", "them", "us", "ur", "this", "that", "it"})
# What a four-digit number before these counts makes it no year: "2000 euros", "1999 troops".
_COUNT_NOUNS = ("euro", "dollar", "pound", "rouble", "ruble", "hryvn", "tonne", "ton", "barrel", "troop", "soldier", "people",
                "civilian", "refugee", "prisoner", "child", "men", "women", "km", "kilomet", "mile", "metre", "meter", "shell",
                "round", "missile", "drone", "rocket", "tank", "vehicle", "home", "house", "building", "casualt", "dead", "death")
# A number word after these counts the things asked for ("Which two senators", "the two men"): no number asked about.
_COUNT_OF = frozenset({"which", "what", "the", "those", "these", "all"})
_DAY = r"(?:[1-9]|[12]\d|3[01])(?:st|nd|rd|th)?"
_DAY_OF_MONTH = re.compile(rf"{_DAY}(?:[-–]{_DAY})?", re.IGNORECASE)  # "9", "9th", "19-20" (days of a month)
_DAY_RANGE_WORDS = {"and", "to", "until", "till", "through"}


def _beside_a_month(words: list[str], i: int) -> bool:
    """Whether day ``words[i]`` is of a month the words around it name: "9 March", "March 9th", "the 9th of March",
    "19 and 20 November", "November 19 and 20"."""
    j = i + 1
    if j + 1 < len(words) and words[j].casefold() in _DAY_RANGE_WORDS and _DAY_OF_MONTH.fullmatch(words[j + 1]):
        j += 2  # "19 and 20 November": the first day of a range
    after = words[j + 1] if j + 1 < len(words) and words[j].casefold() == "of" else words[j] if j < len(words) else ""
    if is_month(after) or i > 0 and is_month(words[i - 1]):
        return True
    return i > 2 and words[i - 1].casefold() in _DAY_RANGE_WORDS and _DAY_OF_MONTH.fullmatch(words[i - 2]) and is_month(words[i - 3])


def respelled(question: str, vocabulary: Vocabulary) -> str:
    """``question`` with its misspelt words written as meant, for the embedding model, which cannot read
    typos: an ordinary word by the English word list ("missle" -> "missile"), any other by the corpus's
    spelling ("vinitsya" -> "vinnytsia", "Kiev" -> "kyiv").  Words it knows are left as typed."""
    def fixed(match: re.Match) -> str:
        word = match.group()
        # The word's own token comes first (then the parts of what lexical_tokens reads as glued words).
        tokens = textlib.lexical_tokens(word) if word.isascii() and word.isalpha() else []
        if not tokens or tokens[0] in vocabulary:
            return word
        lower = word.casefold()
        if textlib.word_rank(lower) is not None:  # an English word: only ever another spelling ("ruble": "rouble", "Kiev")
            spelling = spellings.corpus_variant(lower, vocabulary) or vocabulary.other_spelling(tokens[0])
        else:
            spelling = (_ordinary_meant(lower, vocabulary) or vocabulary.closest(tokens[0]) or textlib.ordinary_spelling(lower)
                        or vocabulary.listed_spelling(lower))
        if not spelling:
            return word
        return spelling.capitalize() if word[0].isupper() else spelling
    return _WORD.sub(fixed, question)


def _ordinary_meant(word: str, vocabulary: Vocabulary) -> str | None:
    """The common English word a lowercase ``word`` neither English nor the corpus knows misspells, when the corpus
    writes it ("tryin": "trying"); None otherwise: "herson" is no "heron", which no report mentions, but "Kherson"."""
    meant = textlib.ordinary_spelling(word)
    tokens = textlib.lexical_tokens(meant) if meant else []
    return meant if tokens and tokens[0] in vocabulary else None


def typed_for(text: str, vocabulary: Vocabulary) -> dict[str, str]:
    """The search token of each word of ``text`` typed for a common word the corpus writes, and that word's
    ("tryin": "tri", the stem of "trying", not the corpus's closest term "train"); words either knows are left out."""
    out: dict[str, str] = {}
    for word in _WORD.findall(text):
        lower = word.casefold()
        if not (lower.isascii() and lower.isalpha()) or textlib.word_rank(lower) is not None:
            continue
        tokens = textlib.lexical_tokens(lower)
        if tokens and tokens[0] not in vocabulary and (meant := _ordinary_meant(lower, vocabulary) or (
                vocabulary.closest(tokens[0]) is None and vocabulary.listed_spelling(lower))):
            out[tokens[0]] = textlib.lexical_tokens(meant)[0]
    return out


_MONTHS = ("january", "february", "march", "april", "august", "september", "october", "november", "december")
_MONTH_TYPO_MIN = 5  # "Marc" and "Jun" stay as typed
# The other words a time is named with ("in the frist week", "two weeks ago"), read when typed with one slip
# that makes no English word: "fist" and "weak" stay as typed.
_TIME_WORDS = ("first", "week", "weeks", "month", "months", "year", "years", "days", "since", "yesterday")
_TIME_TYPO_MIN = 4


def time_words_respelled(question: str) -> str:
    """``question`` with month names and the other words of a time typed with a slip written as meant ("in
    janaury" -> "in january", "febuary" by ``text.ordinary_spelling``; "the frist week" -> "the first week"), so
    that the time it names is read (index/timeframe.py); a word English has is left as typed."""
    def fixed(match: re.Match) -> str:
        word = match.group()
        lower = word.casefold()
        meant = textlib.ordinary_spelling(lower) if len(lower) >= _MONTH_TYPO_MIN else None
        if meant not in _MONTHS:
            meant = None
            if len(lower) >= _TIME_TYPO_MIN and textlib.word_rank(lower) is None:
                meant = next((w for w in _TIME_WORDS if _one_edit(lower, w)), None)
        return word if meant is None else meant.capitalize() if word[0].isupper() else meant
    return _WORD.sub(fixed, question)


def _terms(word: str, vocabulary: Vocabulary) -> list[str]:
    """The word's own tokens (lexical_tokens adds the parts of what it reads as a glued word: "hi", "mars"),
    each as the corpus spells it when it spells it the other English way or it is a typo of a known term."""
    parts = [(part, found[0]) for part in re.findall(r"\w+", word) if (found := textlib.lexical_tokens(part))]
    return [spellings.corpus_spellings(part, vocabulary).get(t) or (t if by_alias(t, vocabulary) else vocabulary.closest(t)) or t
            for part, t in parts]


def by_alias(token: str, vocabulary: Vocabulary) -> bool:
    """Does the corpus name what ``token`` names by another name (index/families.py ALIASES: "minsk" in reports of
    "Belarus")?  Then it is no typo of a term the corpus holds ("maisk"), nor a name it never mentions."""
    return any(all(t in vocabulary for t in alias) for alias in aliases(token))
