"""Other spellings of Ukrainian place names (index/spellings.py) and how a question's words are read with them."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from index import spellings
from index.lexical import Vocabulary
from index.question import respelled
from index.search import make_query
from index.text import lexical_tokens

SAME_PLACE = [
    ("Kharkov", "Kharkiv"), ("Odessa", "Odesa"), ("Lugansk", "Luhansk"), ("Chernigov", "Chernihiv"), ("Lvov", "Lviv"),
    ("Zhitomir", "Zhytomyr"), ("Lisichansk", "Lysychansk"), ("Gostomel", "Hostomel"), ("Izyum", "Izium"),
    ("Berdyansk", "Berdiansk"), ("Borodyanka", "Borodianka"), ("Energodar", "Enerhodar"), ("Vinnitsa", "Vinnytsia"),
    ("Vinitsya", "Vinnytsia"), ("Kremenchug", "Kremenchuk"), ("Zaporizhia", "Zaporizhzhia"), ("Podolyak", "Podoliak"),
]
DIFFERENT_PLACES = [("Kherson", "Kharkiv"), ("Sumy", "Sambir"), ("Irpin", "Izium"), ("Bucha", "Buhas"), ("Mariupol", "Melitopol")]


def token(word: str) -> str:
    return lexical_tokens(word)[0]


@pytest.mark.parametrize(("typed", "corpus"), SAME_PLACE)
def test_romanisations_of_one_name_fold_to_one_key(typed, corpus):
    assert spellings.fold(token(typed)) == spellings.fold(token(corpus))


@pytest.mark.parametrize(("one", "other"), DIFFERENT_PLACES)
def test_different_names_keep_different_keys(one, other):
    assert spellings.fold(token(one)) != spellings.fold(token(other))


@given(st.text(max_size=60))
def test_fold_takes_any_text(text):
    assert isinstance(spellings.fold(text.casefold()), str)


def test_exonyms_name_each_spelling_once():
    seen = [s for group in spellings.EXONYMS for s in group]
    assert len(seen) == len(set(seen))
    assert all(s == s.casefold() and s.isalpha() for s in seen)


VOCABULARY = Vocabulary({"kyiv": 40, "kharkiv": 12, "vinnytsia": 3, "zaporizhzhia": 7, "strike": 30, "missil": 20,
                         "kill": 25, "ukrain": 90}, 100)


@pytest.mark.parametrize(("typed", "corpus"), [("kiev", "kyiv"), ("kharkov", "kharkiv"), ("vinnitsa", "vinnytsia"),
                                               ("zaporozhye", "zaporizhzhia"), ("zaporizhia", "zaporizhzhia")])
def test_a_term_the_corpus_lacks_is_read_as_the_corpus_spelling(typed, corpus):
    assert VOCABULARY.other_spelling(token(typed)) == corpus
    assert VOCABULARY.closest(token(typed)) == corpus


def test_a_spelling_the_corpus_holds_is_kept_and_an_unrelated_one_is_not_guessed():
    assert VOCABULARY.other_spelling("kyiv") is None
    assert VOCABULARY.other_spelling("mykolaiv") is None  # the corpus has no spelling of it at all
    both = Vocabulary({"kiev": 5, "kyiv": 50}, 100)
    assert both.closest("kiev") is None  # a corpus that holds the old spelling finds it as typed


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=20))
def test_another_spelling_is_always_a_term_of_the_corpus(term):
    found = VOCABULARY.other_spelling(term)
    assert found is None or found in VOCABULARY.doc_freq


def test_the_embedded_question_is_written_as_meant():
    assert respelled("vinitsya missle strike how many killed", VOCABULARY) == "vinnytsia missile strike how many killed"
    assert respelled("What happened in Kiev and Kharkov?", VOCABULARY) == "What happened in Kyiv and Kharkiv?"
    # Words the corpus or English knows are left as typed, Cyrillic too.
    assert respelled("How many Ukrainian soldiers?", VOCABULARY) == "How many Ukrainian soldiers?"
    assert respelled("Що сталося у Києві?", VOCABULARY) == "Що сталося у Києві?"


def test_a_slip_is_read_as_the_word_the_corpus_writes():
    # "what did zelenskyy say the night herson was liberated" was embedded as "... the night heron was liberated" and
    # "how much stuff did the russians leave behind when they ran from izyum" as "... from izumo": rare English words
    # one slip away, which no report mentions, won over the corpus's Kherson and Izium.  "tryin" was searched as the
    # corpus's closest term, "train", and "ruble" embedded as "rubbl" (the corpus's "rubble", folded).
    vocabulary = Vocabulary({"kherson": 30, "izium": 5, "tri": 10, "train": 4, "roubl": 6, "rubbl": 3, "russian": 50}, 100)
    assert respelled("the night herson was liberated", vocabulary) == "the night kherson was liberated"
    assert respelled("they ran from izyum", vocabulary) == "they ran from izium"
    assert respelled("wat r the russians tryin to do", vocabulary) == "wat r the russians trying to do"
    assert respelled("after the ruble crashed", vocabulary) == "after the rouble crashed"
    tokens = make_query("wat r the russians tryin to do", np.zeros(4), vocabulary=vocabulary).tokens
    assert "tri" in tokens and "train" not in tokens


def test_a_slip_of_a_rare_word_the_corpus_writes_is_read_as_that_word():
    # holdout40: "wat exactly r these invincibilty points evry1 keeps talkin about" was refused: "invincibility" is no
    # common word, and the corpus's term for it, "invinc", is no slip of "invincibilti", so the typo was neither
    # embedded nor searched as the word meant.  A name one slip from a word still reads as the corpus's name.
    vocabulary = Vocabulary({"invinc": 2, "point": 40, "kherson": 30, "person": 20, "heat": 5}, 100)
    assert respelled("wat exactly r these invincibilty points", vocabulary) == "wat exactly r these invincibility points"
    assert respelled("the night herson was liberated", vocabulary) == "the night kherson was liberated"
    assert "invinc" in make_query("these invincibilty points", np.zeros(4), vocabulary=vocabulary).tokens


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz'", min_size=1, max_size=20))
def test_a_fold_is_looked_for_under_every_first_letter_it_can_come_from(term):
    key = spellings.fold(term)
    assert not key or term.lstrip("'")[:1] in spellings.first_letters(key)


def test_a_first_i_before_a_final_a_is_kept():
    # hypothesis found "ia": its fold was "a", looked up under "a" only, never under "i"
    assert spellings.fold("ia") == "ia" and "i" in spellings.first_letters(spellings.fold("ia"))
    assert spellings.fold("vinnytsia") == spellings.fold("vinitsya") == "vinica"


@given(st.permutations([("station", 40), ("staten", 3), ("stanton", 2), ("statin", 1), ("chaplyne", 2), ("chaplino", 1),
                        ("kharkiv", 30), ("kharkov", 2), ("kherson", 25), ("vinnytsia", 2), ("vinnitsa", 2)]))
def test_a_typo_reads_the_same_whatever_order_the_vocabulary_came_in(terms):
    # bm25s gives its vocabulary in another order each build: "staton" read as "stanton" after one build and
    # "station" after another, and an answer changed with the build.  A tie goes to the more common term.
    vocabulary, reference = Vocabulary(dict(terms), 100), Vocabulary(dict(sorted(terms)), 100)
    assert vocabulary.closest("staton") == "station"
    assert vocabulary.other_spelling("vinitsya") == "vinnitsa"  # as common as "vinnytsia": the first in the alphabet
    for typed in ("chaplyn", "kharkof", "kherzon", "statn", "kharkiw"):
        assert vocabulary.closest(typed) == reference.closest(typed)
