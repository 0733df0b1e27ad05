"""The other ways a Ukrainian place name is written in English: Kiev and Kyiv, Kharkov and Kharkiv.

English news switched from the Russian-derived spellings to Ukrainian ones (Kyiv, Odesa, Luhansk)
around 2019-2022, but readers still type the old ones, and romanisations of one name differ
(Vinnitsa, Vinnytsia, Vinnitsya).  A question's word the corpus does not hold is matched to the
corpus's spelling of the same name in two ways:

* ``EXONYMS``: the old spellings that no letter rule reaches (Kiev, Nikolaev, Zaporozhye, Artemovsk);
* ``fold``: a key that makes the usual romanisation differences equal: g/h, y/i, kh/h, zh/z,
  ts/c, double letters, "-ov" and "-ev" for "-iv", "-ia"/"-ya" for "-a", "-ug" for "-uk".  "vinitsya", "vinnitsa" and
  "vinnytsia" all fold to "vinica".

Both work on lexical tokens (``text.lexical_tokens``: lowercase, stemmed), as the vocabulary holds them.

English words are spelt two ways too, American and British ("theater" / "theatre", "ruble" / "rouble"):
``corpus_spellings`` reads a question's word the corpus lacks as the corpus's spelling of it.
"""

from __future__ import annotations

import re
from collections.abc import Container, Iterable

from index.text import lexical_tokens

# Groups of spellings of one name; the first is today's (Ukrainian) form.  Only pairs the letter rules
# of ``fold`` do not already join.
EXONYMS: tuple[tuple[str, ...], ...] = (
    ("kyiv", "kiev"),
    ("mykolaiv", "nikolaev", "nikolayev", "nikolaiev"),
    ("zaporizhzhia", "zaporozhye", "zaporozhe", "zaporozhie", "zaporizhia", "zaporozhia"),
    ("dnipro", "dnepr", "dnipropetrovsk", "dnepropetrovsk"),
    ("bakhmut", "artemovsk", "artemivsk"),
    ("chornobyl", "chernobyl"),
    ("rivne", "rovno"),
    ("ternopil", "ternopol"),
    ("irpin", "irpen"),
    ("makiivka", "makeevka", "makeyevka"),
    ("sievierodonetsk", "severodonetsk", "sieverodonetsk"),
    ("kropyvnytskyi", "kirovograd", "kirovohrad"),
    ("khmelnytskyi", "khmelnitsky", "khmelnytsky", "khmelnitskiy"),
    ("kryvyi", "krivoy", "kryvyy"),
    ("rih", "rog"),
    ("bilhorod", "belgorod"),  # Bilhorod-Dnistrovskyi in Ukraine; Belgorod (Russia) is only joined when one is missing
    ("chernivtsi", "chernovtsy"),
    ("uzhhorod", "uzhgorod"),
    ("pivdennyi", "yuzhny"),
    ("sviatohirsk", "svyatogorsk"),
    ("vuhledar", "ugledar"),
    ("avdiivka", "avdeevka", "avdeyevka"),
    ("kupiansk", "kupyansk"),
    ("okhtyrka", "akhtyrka"),
    ("zelensky", "zelenskyy", "zelenskiy", "zelenskyi"),
)
# As lexical tokens (stemmed: "zaporozhye" -> "zaporozhy"), which is what a vocabulary holds.
_STEMMED = tuple(tuple(dict.fromkeys(lexical_tokens(s)[0] for s in group)) for group in EXONYMS)
_GROUP = {spelling: group for group in _STEMMED for spelling in group}

_RULES = (
    (re.compile(r"['’ʼ]"), ""),
    (re.compile(r"ug$"), "uk"),  # Kremenchug, Kremenchuk
    (re.compile(r"kh"), "h"),
    (re.compile(r"zh"), "z"),
    (re.compile(r"g"), "h"),
    (re.compile(r"(?:tz|ts)"), "c"),
    (re.compile(r"[yj]"), "i"),
    (re.compile(r"w"), "v"),
    (re.compile(r"(.)\1+"), r"\1"),
    (re.compile(r"(?<=[^aeiou])[oe]v$"), "iv"),
    (re.compile(r"(?<=.)i?a$"), "a"),  # not a first i: "ia" keeps the letter it is looked up under
    (re.compile(r"(.)\1+"), r"\1"),
)


def fold(term: str) -> str:
    """The romanisation-blind key of a lowercase term: "vinnytsia", "vinitsya" and "vinnitsa" give "vinica"."""
    for pattern, replacement in _RULES:
        term = pattern.sub(replacement, term)
    return term


def other_spellings(term: str) -> tuple[str, ...]:
    """The other spellings ``EXONYMS`` knows for the lexical token ``term`` ("kiev" -> ("kyiv",)), today's first."""
    return tuple(s for s in _GROUP.get(term, ()) if s != term)


# The first letters a term can have when its fold starts with a letter: fold changes a first letter only in
# these ways (kh- and g- to h-, y- and j- to i-, w- to v-, ts- and tz- to c-).
_FIRST_LETTERS = {"h": "hkg", "i": "iyj", "v": "vw", "c": "ct"}


def first_letters(key: str) -> str:
    """The first letters of the terms that may fold to ``key``: where to look for them."""
    return _FIRST_LETTERS.get(key[:1], key[:1])


def by_fold(terms: Iterable[tuple[str, int]]) -> dict[str, str]:
    """fold -> the most frequent of (term, paragraph count) ``terms`` with that key (alphabetic, 4+ letters)."""
    best: dict[str, tuple[int, str]] = {}
    for term, count in terms:
        if len(term) >= 4 and term.isascii() and term.isalpha():
            key = fold(term)
            if key not in best or (-count, term) < (-best[key][0], best[key][1]):  # ties: the first in the alphabet
                best[key] = (count, term)
    return {key: term for key, (_, term) in best.items()}


# American and British spellings ("defense" / "defence", "mobilization" / "mobilisation", "ruble" / "rouble"): people
# type one, a corpus writes the other.  Endings, read both ways, then whole words.
_SPELLING_ENDINGS = (("ization", "isation"), ("izations", "isations"), ("ize", "ise"), ("izes", "ises"), ("ized", "ised"),
                     ("izing", "ising"), ("ense", "ence"), ("or", "our"), ("ors", "ours"), ("ored", "oured"), ("oring", "ouring"),
                     ("er", "re"), ("ers", "res"), ("eled", "elled"), ("eling", "elling"), ("og", "ogue"))
_SPELLING_WORDS = (("ruble", "rouble"), ("rubles", "roubles"), ("program", "programme"), ("programs", "programmes"),
                   ("gray", "grey"), ("jewelry", "jewellery"), ("maneuver", "manoeuvre"), ("maneuvers", "manoeuvres"),
                   ("aluminum", "aluminium"), ("plow", "plough"))
_MIN_SPELLING_STEM = 3  # letters before an ending: "or" / "our" never makes "f" + "our"


def spelling_variants(word: str) -> tuple[str, ...]:
    """The other ways English spells lowercase ``word`` ("defense" -> "defence", "centre" -> "center"); a caller keeps
    those its corpus holds."""
    found = [b for a, b in _SPELLING_WORDS if word == a] + [a for a, b in _SPELLING_WORDS if word == b]
    for one, other in _SPELLING_ENDINGS:
        for end, replacement in ((one, other), (other, one)):
            if word.endswith(end) and len(word) - len(end) >= _MIN_SPELLING_STEM:
                found.append(word[: len(word) - len(end)] + replacement)
    return tuple(dict.fromkeys(w for w in found if w != word))


def corpus_spellings(text: str, vocabulary: Container[str]) -> dict[str, str]:
    """Each token of ``text``'s words that ``vocabulary`` lacks -> the token of the word's other English spelling that
    it holds ("ruble" -> "roubl", not the typo "rubbl"; "theater" -> "theatr")."""
    found: dict[str, str] = {}
    for word in re.findall(r"[a-z]+", text.casefold()):
        own = lexical_tokens(word)[:1]
        if own and own[0] not in vocabulary and (variant := corpus_variant(word, vocabulary)):
            found[own[0]] = lexical_tokens(variant)[0]
    return found


def corpus_variant(word: str, vocabulary: Container[str]) -> str | None:
    """The other English spelling of the lowercase ``word`` whose token ``vocabulary`` holds ("ruble" -> "rouble"), or None."""
    for variant in spelling_variants(word):
        other = lexical_tokens(variant)[:1]
        if other and other[0] in vocabulary:
            return variant
    return None
