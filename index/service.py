"""CrisisService: the one object the Discord bot and the CLI talk to.

It owns the embedding model (loaded once) and a ``Store`` (index/store/protocol.py;
by default the folders of the data dir, ``LocalStore``, or ``PostgresStore`` when ``database_url`` is set): questions are answered
from the store's current read view, and every write (build, add, remove) is one
store transaction, published whole or not at all.  The copies of sources kept for
rebuilds (``kept``, index/kept.py) live with the index: under ``sources_dir`` beside the
folders, or in the PostgreSQL database, where every host sees them.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import logging
import os
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from index.answer import Answer, compose, judge
from index.config import BUNDLED_CORPUS, Settings
from index.conversation import Turn, resolve
from index.crosslingual import CrossLingual, detect_language, spelt_in_cyrillic
from index.documents import document_id
from index.embed import Embedder, Progress
from index.errors import BadInput, BadQuestion
from index.feeds import Poller
from index.fetch import FetchPolicy, check_url, fetch_document
from index.importing import ByteProgress, ImportOptions, ImportResult, import_archives
from index.ingest import Document, LoadReport, Problem, load
from index.kept import WEB, KeptFolder, KeptSources, kept_sources
from index.lexical import Vocabulary
from index.metrics import Metrics
from index.phrases import phrase
from index.polls import PollReport
from index.question import Terms, is_instruction, key_terms, respelled, set_aside, time_words_respelled, without_contrast
from index.refresh import RefreshReport, refresh_url_sources
from index.search import DEFAULT_MODE, Passage, Query, make_query, retrieve, updates_first
from index.store import ChangeReport, DocumentRow, NothingToIndex, ReadView, Store, Transaction, WriteInProgress, open_store
from index.subscriptions import Subscription, SubscriptionStore
from index.text import lexical_tokens, load_word_lists, normalize_unicode
from index.timeframe import (
    Window,
    asked_window,
    format_day,
    format_window,
    reported_after,
    stated_on,
    strip_window,
    year_earlier,
)

log = logging.getLogger(__name__)

# A question asked in Ukrainian or Russian: this many candidates are re-ranked by the multilingual
# model's similarity to the question as asked, weighted so.
CROSSLINGUAL_CANDIDATES = 15
CROSSLINGUAL_WEIGHT = 0.5
# A time named in a question: reports published this many days after its end are searched too.
PUBLICATION_LAG_DAYS = 2
# "In late March" with no year: at most this many Marches, latest first.
MAX_YEARS_BACK = 5
# ... and the year before the latest one that answers is taken when its best passage scores this much higher.
EARLIER_YEAR_MARGIN = 0.1


def _best(answer: Answer) -> float:
    """The score of the answer's best passage."""
    return answer.passages[0].score if answer.passages else float("-inf")


@dataclass(frozen=True)
class Reach:
    """The first and last dates of the corpus's dated documents."""

    first: dt.date
    last: dt.date

    def overlaps(self, since: dt.date | None, until: dt.date | None) -> bool:
        return (since is None or since <= self.last) and (until is None or until >= self.first)


@dataclass
class _Search:
    """A question's query, worked out once however many windows it is searched in (``ask`` tries earlier
    years): its embedding, words and key terms, and the dense and lexical candidates found for them
    (``index.search.retrieve``'s ``found``)."""

    view: ReadView
    query: Query  # without dates: each search puts in its own
    searched: str  # the text searched: the question as asked, less a time phrase
    language: str
    found: dict = field(default_factory=dict)
    spelt: bool = False  # an English question whose names the corpus also writes in Cyrillic (``_spelt_in_cyrillic``)


@dataclass
class WriteResult:
    manifest: dict
    change: ChangeReport
    load: LoadReport = field(default_factory=LoadReport)
    seconds: float = 0.0


def check_question(question: str, limit: int) -> str:
    """The question, cleaned of what no model should see; BadQuestion if nothing usable is left.

    Lone surrogates (invalid UTF-16 halves), control, zero-width and bidi
    characters are dropped and Unicode is normalised (NFKC).
    """
    question = (question or "").encode("utf-8", "ignore").decode("utf-8")
    question = normalize_unicode(question)
    if not question:
        raise BadQuestion("the question is empty")
    if len(question) > limit:
        raise BadQuestion(f"the question is {len(question)} characters long; the limit is {limit}")
    return question


def _in_cyrillic(passage: Passage) -> bool:
    """Is ``passage`` written in Ukrainian or Russian (which MiniLM does not read)?"""
    return detect_language(passage.paragraph.text) != "en"


def _stated_later(window: Window, today: dt.date) -> tuple[tuple[dt.date, tuple[str, ...]], ...]:
    """How reports after ``window`` state it (``Query.stated``): a year or month by its term, a day by its weekday
    (index/timeframe.py ``reported_after``) and by its number and month (``stated_on``)."""
    rules = []
    if (after := reported_after(window, today)) is not None:
        rules.append((after[0], (after[1],)))
    if (on := stated_on(window, today)) is not None:
        rules.append(on)
    return tuple(rules)


class CrisisService:
    def __init__(self, settings: Settings | None = None, *, embedder: Embedder | None = None, store: Store | None = None):
        """``store`` defaults to the one the settings name (``index.store.open_store``: Postgres when
        ``database_url`` is set, else the index folders of ``settings.data_dir``), built with the embedder's model."""
        self.settings = settings or Settings()
        self.data_dir = Path(self.settings.data_dir).resolve()  # once: a relative path means the same folder for every write
        self.embedder = embedder or Embedder(self.settings.model, device=self.settings.device, batch_size=self.settings.batch_size,
                                             backend=self.settings.backend, onnx_cache=self.settings.onnx_cache)
        self.store: Store = store if store is not None else open_store(self.settings, self.data_dir, self.embedder.name)
        self.kept: KeptSources = kept_sources(self.store, self.data_dir / "sources")  # the store's database, else sources_dir
        self.fetch_policy = FetchPolicy.from_settings(self.settings)
        self._reach: tuple[ReadView, Reach | None] | None = None
        # A write that leaves the store due a merge (index/store/delta.py) runs it at once (the CLI: its process
        # ends with the command) or, when a long-lived front end sets this, on a thread of its own (the bot).
        self.merge_in_background = False
        self._merging = threading.Lock()
        self.metrics = Metrics(index_size=self._index_size)  # index/metrics.py: what /metrics shows

    @functools.cached_property
    def crosslingual(self) -> CrossLingual:
        """Ukrainian and Russian questions (index/crosslingual.py); its model loads on the first such question."""
        return CrossLingual()

    # --- the published index ---------------------------------------------------------

    @property
    def sources_dir(self) -> Path:
        """Where files added by moderators and operators are kept for rebuilds when the index is in folders
        (index/kept.py); with PostgreSQL they are kept in the database and this folder stays unused."""
        return self.data_dir / "sources"

    def has_index(self) -> bool:
        return self.store.has_index()

    def snapshot(self) -> ReadView:
        """The current index; picks up a newer one published by any process."""
        return self.store.current()

    # --- reading ---------------------------------------------------------------------

    def warm(self) -> ReadView:
        """Load the model, the index and the word lists now rather than on the first question; returns the index."""
        self.embedder.load()
        view = self.snapshot()
        load_word_lists()
        return view

    def warm_languages(self) -> None:
        """Load the multilingual model now: the first Ukrainian or Russian question waited about 5 s for it."""
        self.crosslingual.load()

    def retrieve(self, question: str, k: int | None = None, *, since: dt.date | None = None, until: dt.date | None = None,
                 mode: str = DEFAULT_MODE, language: str | None = None) -> tuple[ReadView, Query, list[Passage]]:
        """The passages for ``question`` as asked (no time phrase read from it: ``ask`` does that)."""
        search = self._search(question, language or detect_language(question), self.snapshot())
        query = replace(search.query, since=since, until=until)
        return search.view, query, self._ranked(search, query, k, mode)

    def _search(self, searched: str, language: str, view: ReadView, aside: tuple[str, ...] = ()) -> _Search:
        """The query for ``searched`` in ``view``: its words, key terms and embedding, no dates yet; ``aside``: the
        search tokens of what the question sets aside (index/question.py ``set_aside``)."""
        vocabulary = view.vocabulary()
        english = searched if language == "en" else self.crosslingual.english_query(searched, vocabulary)
        reach = self.reach(view)
        terms = key_terms(english, vocabulary, english=language == "en", years=reach and (reach.first.year, reach.last.year))
        # A name typed in English that the corpus never mentions is a subject it does not cover; names found
        # for a Ukrainian or Russian question are guesses, and only rank.
        embedded = respelled(english, vocabulary) if language == "en" else english
        query = make_query(english, self.embedder.encode_one(embedded), vocabulary=vocabulary, key_terms=terms.key,
                           unknown=terms.unknown if language == "en" else (), also="" if language == "en" else searched,
                           terms_required=language == "en", plain_terms=terms.plain, set_aside=aside)
        bridged = query if language != "en" else self._spelt_in_cyrillic(query, terms, vocabulary)
        return _Search(view, bridged, searched, language, spelt=bridged is not query)

    def _spelt_in_cyrillic(self, query: Query, terms: Terms, vocabulary: Vocabulary) -> Query:
        """``query`` with the Cyrillic spellings the corpus has of the names it gives ("Prigozhin": "пригожин") among
        their relatives: an English question finds the Ukrainian and Russian reports too, and a name only they write
        is no name the corpus never mentions."""
        spellings = self.crosslingual.cyrillic_spellings(vocabulary)
        unknown = {name: lexical_tokens(name)[:1] for name in terms.unknown}
        found = {t: cyrillic for t in (*terms.key, *(t for ts in unknown.values() for t in ts))
                 if (cyrillic := spelt_in_cyrillic(t, spellings))}
        if not found:
            return query
        related = dict(query.related)
        for token, cyrillic in found.items():
            related[token] = related.get(token, frozenset()) | cyrillic
        return replace(query, related=tuple(related.items()),
                       unknown=tuple(name for name, ts in unknown.items() if not (ts and ts[0] in found)))

    def _ranked(self, search: _Search, query: Query, k: int | None, mode: str) -> list[Passage]:
        """The passages for ``query`` (``search.query`` with the dates searched)."""
        view = search.view
        k = k or self.settings.top_k
        if search.language == "en":
            if search.spelt and (read := self._read_in_cyrillic(search, query, k, mode)):
                return read
            return retrieve(view, query, k, dense_weight=self.settings.dense_weight, mode=mode, found=search.found)
        # Asked in Ukrainian or Russian: the English words found for it retrieve, the multilingual model
        # re-ranks the candidates against the question as asked.
        wide = retrieve(view, query, max(k, CROSSLINGUAL_CANDIDATES), dense_weight=self.settings.dense_weight, mode=mode,
                        found=search.found)
        similarity = self._similarities(search.searched, wide)
        # MiniLM reads no Cyrillic: a Ukrainian or Russian passage's closeness in meaning is the multilingual model's.
        reranked = sorted((replace(p, score=p.score + CROSSLINGUAL_WEIGHT * s, dense=max(p.dense, s) if _in_cyrillic(p) else p.dense)
                           for p, s in zip(wide, similarity)), key=lambda p: -p.score)
        return updates_first(reranked[:k], query, view) if mode == "final" else reranked[:k]

    def _read_in_cyrillic(self, search: _Search, query: Query, k: int, mode: str) -> list[Passage]:
        """For an English question whose names the corpus also writes in Cyrillic: the candidates again, those in
        Ukrainian or Russian scored by the multilingual model's similarity instead of MiniLM's, which reads no
        Cyrillic ("Which country came third at Eurovision 2022?": "третє - Іспанія"); empty when no candidate is."""
        wide = retrieve(search.view, query, max(k, CROSSLINGUAL_CANDIDATES), dense_weight=self.settings.dense_weight,
                        mode=mode, found=search.found)
        foreign = [p for p in wide if _in_cyrillic(p)]
        if not foreign:
            return []
        weight = self.settings.dense_weight
        read = {p.id: replace(p, score=p.score + weight * (s - p.dense), dense=s)
                for p, s in zip(foreign, self._similarities(search.searched, foreign))}
        ranked = sorted((read.get(p.id, p) for p in wide), key=lambda p: -p.score)[:k]
        return updates_first(ranked, query, search.view) if mode == "final" else ranked

    def _similarities(self, searched: str, passages: list[Passage]) -> list[float]:
        """The multilingual model's similarity of ``searched`` to each passage, read with its document's title."""
        texts = [f"{p.paragraph.document.title}. {p.paragraph.text}" for p in passages]
        return [float(s) for s in self.crosslingual.similarities(searched, texts)]

    def reach(self, view: ReadView) -> Reach | None:
        """The dates the corpus covers (None when no document is dated), worked out once per published index."""
        cached = self._reach
        if cached is not None and cached[0] is view:
            return cached[1]
        dates = sorted(d.date for d in view.documents() if d.date)
        reach = Reach(dt.date.fromisoformat(dates[0]), dt.date.fromisoformat(dates[-1])) if dates else None
        self._reach = (view, reach)
        return reach

    def ask(self, question: str, k: int | None = None, *, since: dt.date | None = None, until: dt.date | None = None,
            mode: str = DEFAULT_MODE, today: dt.date | None = None, compose_answer: bool = True,
            language: str | None = None) -> Answer:
        """A cited answer, or an abstention when the corpus does not support one.

        A time the question names ("in March 2022", "last week") becomes the dates searched
        unless ``since``/``until`` are given; ``today`` is the day "last week" counts from
        (default: today).  A month named without its year is the latest such month of the
        corpus that answers it.  A time outside the corpus's dates is refused, saying what
        the corpus covers.  ``compose_answer=False`` stops after the decision to answer or not
        (for evaluating ranking fast).  ``took_ms`` runs from the question to the answer;
        the one-off model load of a cold process is not part of it (see ``warm``).  ``language`` is the
        question's ("en", "uk", "ru"; default: detected from it).
        """
        question = check_question(question, self.settings.max_question_chars)
        view = self.warm()
        start = time.perf_counter()
        language = language or detect_language(question)
        if is_instruction(question):
            answer = Answer(question, phrase("only_sources", language), True, [], [], view.size, reason="an instruction, not a question",
                            language=language)
            return self._timed(answer, start)
        reach = self.reach(view)
        today = today or dt.date.today()
        # What the question says it does not ask about ("not the all-women exchange in October") is searched neither
        # for its words nor for its time.
        asked = without_contrast(question) if language == "en" else question
        aside = set_aside(question) if language == "en" else ()
        dated = time_words_respelled(asked)  # "in janaury" names a time too
        end = reach.last if reach else None
        window = asked_window(dated, today, end)
        if window is None or since is not None or until is not None:
            return self._timed(self._answer(question, self._search(asked, language, view, aside), k, since, until, mode, compose_answer), start)
        searched = strip_window(dated, window) or dated
        if reach is not None and not reach.overlaps(window.since, window.until):
            text = phrase("reach", language, first=format_day(reach.first, language), last=format_day(reach.last, language),
                          what=format_window(window, language))
            answer = Answer(question, text, True, [], [], view.size, reason="outside the corpus's dates", language=language)
            answer.since, answer.until = window.since, window.until
            return self._timed(answer, start)
        # "In late March": the latest March of the corpus, else the one before it, and so on, while the corpus
        # reaches; and the one before it too when it answers far better (the April of 2022 for "How many marines
        # gave up in Mariupol in April?", where April 2023 has only a report naming Mariupol in passing).
        answer = None
        search = self._search(searched, language, view, aside)  # one embedding and one search, however many years are tried
        for _ in range(MAX_YEARS_BACK):
            found = self._in_window(question, search, k, window, today, mode, compose_answer)
            if answer is not None and not answer.abstained:  # the year before an answered one: only when far better
                if not found.abstained and _best(found) > _best(answer) + EARLIER_YEAR_MARGIN:
                    answer = found
                    answer.note = phrase("searching_best", language, window=format_window(window, language))
                break
            answer = found
            earlier = year_earlier(window)
            if window.relative_to != "corpus" or reach is None or not reach.overlaps(earlier.since, earlier.until):
                break
            window = earlier
        return self._timed(answer, start)

    def _in_window(self, question: str, search: _Search, k: int | None, window: Window, today: dt.date, mode: str,
                   compose_answer: bool) -> Answer:
        """The answer from ``window``'s reports, with its note ("Searching 1-31 Mar 2022.").  Reports come out a
        day or two after what they report: searched that much past the window's end, but not past the day the
        question is asked ("yesterday" asked on 15 Apr: nothing from 16 Apr)."""
        until = window.until + dt.timedelta(days=PUBLICATION_LAG_DAYS) if window.until else None
        if until is not None and window.until <= today < until:
            until = today
        # "By late May": how things stood then, the newest reports of the window first.
        answer = self._answer(question, search, k, window.since, until, mode, compose_answer, as_of=window.since is None,
                              stated=_stated_later(window, today))
        key = "searching_corpus" if window.relative_to == "corpus" else "searching"
        answer.note = phrase(key, search.language, window=format_window(window, search.language))
        return answer

    def converse(self, question: str, turns: Sequence[Turn] = (), **options) -> tuple[Answer, Turn]:
        """``ask`` for a question in a conversation: read against the earlier ``turns`` (oldest first).

        Only the last ``conversation_turns`` (setting) are read; a follow-up is searched with what they were
        about (index/conversation.py).  Returns the answer and the turn to keep for the next question;
        ``options`` as for ``ask``.
        """
        question = check_question(question, self.settings.max_question_chars)
        limit = self.settings.conversation_turns
        turns = tuple(turns)[-limit:] if limit else ()
        searched = resolve(question, turns, self.snapshot())[: self.settings.max_question_chars] if turns else question
        # A Ukrainian or Russian follow-up to English questions is searched with their English words, in its language.
        answer = self.ask(searched, language=detect_language(question), **options)
        answer.question = question
        return answer, Turn(question, searched, tuple(c.paragraph_id for c in answer.citations))

    def _answer(self, question: str, search: _Search, k: int | None, since: dt.date | None, until: dt.date | None, mode: str,
                compose_answer: bool, *, as_of: bool = False, stated: tuple[tuple[dt.date, tuple[str, ...]], ...] = ()) -> Answer:
        view, language = search.view, search.language
        query = replace(search.query, since=since, until=until, as_of=as_of, stated=stated)
        passages = self._ranked(search, query, k, mode)
        settings = self.settings
        if not compose_answer:
            ok, reason = judge(query, passages, min_evidence=settings.min_evidence, coverage_weight=settings.evidence_coverage_weight)
            answer = Answer(question, "", not ok, [], passages, view.size, reason=reason, language=language)
        else:
            answer = compose(view, self.embedder, query, passages, max_citations=settings.max_citations, min_dense=settings.min_dense_score,
                             min_coverage=settings.min_lexical_coverage, min_evidence=settings.min_evidence,
                             coverage_weight=settings.evidence_coverage_weight, question=question, language=language)
        answer.question, answer.since, answer.until = question, since, until
        reach = self.reach(view)
        if answer.abstained and query.unknown and reach is not None:
            answer.answer = phrase("reach", language, first=format_day(reach.first, language), last=format_day(reach.last, language),
                                   what=", ".join(query.unknown))
        return answer

    def _timed(self, answer: Answer, start: float) -> Answer:
        """Every answer ``ask`` gives passes here: its time taken, and the metrics counted."""
        answer.took_ms = (time.perf_counter() - start) * 1000
        self.metrics.observe_answer(answer)
        return answer

    def _index_size(self) -> tuple[int, int] | None:
        """(paragraphs, documents) of the index in use, for the metrics; None without one."""
        if not self.has_index():
            return None
        view = self.snapshot()
        return view.size, int(view.manifest.get("documents", 0))

    @contextlib.contextmanager
    def _writing(self, kind: str, **options):
        """``self.store.write(**options)``, counted in the metrics once it is published."""
        start = time.perf_counter()
        with self.store.write(**options) as tx:
            yield tx
        self.metrics.observe_write(kind, time.perf_counter() - start)

    def search(self, query: str, k: int = 10, *, since: dt.date | None = None, until: dt.date | None = None, mode: str = DEFAULT_MODE) -> list[Passage]:
        """Raw passages, best first (no answer, no abstention)."""
        return self.retrieve(check_question(query, self.settings.max_question_chars), k, since=since, until=until, mode=mode)[2]

    def documents(self) -> list[DocumentRow]:
        return self.snapshot().documents()

    def stats(self) -> dict:
        view = self.snapshot()
        docs = view.documents()
        dates = sorted(d.date for d in docs if d.date)
        return {
            **view.manifest,
            "index_folder": view.location,
            "backend": self.embedder.backend,  # as configured; "runtime" is what it resolved to
            "runtime": self.embedder.runtime,  # None until the model is loaded
            "date_range": [dates[0], dates[-1]] if dates else None,
            "outlets": sorted({d.outlet for d in docs if d.outlet}),
        }

    # --- writing ---------------------------------------------------------------------
    #
    # Every write is one store transaction (``with self.store.write() as tx``): it holds
    # the write lock before anything is read (sources, the current index), and kept
    # copies of sources are written, or removed, inside it and undone if the write fails.

    @property
    def web_dir(self) -> Path:
        """Fetched pages, kept as JSON Lines we wrote ourselves under ``sources_dir``: the only URL sources a refresh fetches."""
        return self.sources_dir / WEB

    def build(self, sources: Sequence[Path | str] | None = None, *, progress: Progress | None = None) -> WriteResult:
        """Rebuild the whole index from ``sources`` (default: the bundled corpus plus every source kept since)."""
        start = time.perf_counter()
        with self._writing("build", fresh=True, progress=progress) as tx, \
                (contextlib.nullcontext() if sources else self.kept.readable(tx)) as kept_root:
            paths = [Path(p) for p in sources] if sources else [BUNDLED_CORPUS, *([kept_root] if kept_root else [])]
            if progress:
                progress("reading sources", 0, len(paths))
            report = self._load(paths, kept_root)
            if not report.documents:
                raise NothingToIndex(f"nothing to index: {_reasons(report)}")
            change = self._add(tx, report.documents)
            seconds = time.perf_counter() - start
            tx.annotate(built_at=_now(), build_seconds=round(seconds, 2),
                        sources=[self.kept.location if p == kept_root else str(p) for p in paths])
        return WriteResult(tx.manifest, change, report, time.perf_counter() - start)

    def add_documents(self, documents: Sequence[Document], *, progress: Progress | None = None) -> WriteResult:
        """Add (or replace, by id) documents in a new version of the index, then swap it in."""
        start = time.perf_counter()
        with self._writing("add", progress=progress) as tx:
            change = self._add(tx, documents)
        self._merge_if_due()
        return WriteResult(tx.manifest, change, seconds=time.perf_counter() - start)

    def _add(self, tx: Transaction, documents: Sequence[Document]) -> ChangeReport:
        return tx.add_documents(documents, self.embedder, near_duplicate_ratio=self.settings.near_duplicate_ratio)

    def _load(self, roots: Sequence[Path], kept_root: Path | None = None) -> LoadReport:
        """Documents of every file under ``roots``, each id namespaced by the file it comes from.

        A document's id is a hash of its file's path below the root it was found
        under and the id the file gives it (or its place in the file), so two files
        cannot collide, and a rebuild gives every document the id it had.  Pages we
        fetched keep the id of their URL, so a refresh replaces them.  ``kept_root``:
        the folder the kept copies are read from (``KeptSources.readable``); what is
        read there gets the copy's origin.
        """
        report = load(roots, min_chars=self.settings.min_paragraph_chars, max_chars=self.settings.max_paragraph_chars,
                      max_paragraphs=self.settings.max_paragraphs_per_source)
        web = (kept_root or self.sources_dir) / WEB
        seen: dict[str, str] = {}
        documents = []
        for doc in report.documents:
            origin = Path(doc.origin)
            if origin.parent != web:
                doc.meta["id_in_source"] = doc.id
                doc.id = document_id(_namespace(origin, roots), doc.id)
            if doc.id in seen:
                report.warnings.append(Problem(doc.origin, f"{doc.title!r} repeats the id of {seen[doc.id]!r}; only the first is kept"))
                continue
            seen[doc.id] = doc.title
            documents.append(doc)
        report.documents = documents
        if kept_root is not None:
            self._relabel(report, kept_root)
        return report

    def _relabel(self, report: LoadReport, kept_root: Path) -> None:
        """What was read under ``kept_root`` named by its copy's origin (the same path for the folders)."""
        prefix = f"{kept_root}{os.sep}"

        def relabel(where: str) -> str:
            return self.kept.origin(where[len(prefix):].replace(os.sep, "/")) if where.startswith(prefix) else where

        for doc in report.documents:
            doc.origin = relabel(doc.origin)
        for problems in (report.skipped, report.warnings):
            problems[:] = [Problem(relabel(p.where), p.reason) for p in problems]

    # --- sources kept for rebuilds -----------------------------------------------------

    def add_paths(self, paths: Sequence[Path | str], *, progress: Progress | None = None) -> WriteResult:
        """Add files (or folders of them): keep a copy (``kept``), then index incrementally.

        What is indexed is read from the kept copy, so a rebuild reads the same
        bytes and gives the same ids.  Unreadable files are in ``result.load.skipped``;
        if nothing is usable, NothingToIndex says why and nothing changes.
        """
        start = time.perf_counter()
        with self._writing("add files", progress=progress) as tx:
            names, skipped = self.kept.keep_files([Path(p) for p in paths], tx)
            with self.kept.readable(tx, names) as kept_root:
                report = self._load([kept_root / name for name in names] if kept_root else [], kept_root)
            report.skipped[:0] = skipped
            used = {doc.origin for doc in report.documents}
            for name in names:
                if self.kept.origin(name) not in used and not self._indexed(self.kept.origin(name)):
                    self.kept.set_aside(name, tx)  # nothing usable in it: keep no copy
            if not report.documents:
                raise NothingToIndex(f"nothing to add: {_reasons(report)}")
            change = self._add(tx, report.documents)
        self._merge_if_due()
        return WriteResult(tx.manifest, change, report, time.perf_counter() - start)

    def import_archives(self, paths: Sequence[Path | str], options: ImportOptions | None = None,
                        progress: ByteProgress | None = None) -> ImportResult:
        """Import large archives (JSON Lines, CSV, folders of HTML) in batches, resumably (index/importing.py).

        Unlike ``add_paths`` no copy is kept and no file size limit applies:
        this is the operator's path, for archives of any size, read one record at a time.
        """
        return import_archives(self, paths, options or ImportOptions(), progress)

    def _indexed(self, origin: str) -> bool:
        """Whether the published index has documents read from ``origin``."""
        return self.has_index() and any(d.origin == origin for d in self.snapshot().documents())

    def add_fetched(self, document: Document, *, progress: Progress | None = None) -> WriteResult:
        """Add a document fetched from a URL; it is kept as JSON Lines so rebuilds need no network."""
        start = time.perf_counter()
        with self._writing("add page", progress=progress) as tx:
            self.kept.keep_page(document, tx)
            change = self._add(tx, [document])
        self._merge_if_due()
        report = LoadReport(documents=[document], warnings=list(document.warnings))
        return WriteResult(tx.manifest, change, report, seconds=time.perf_counter() - start)

    async def fetch_url(self, url: str):
        """A page fetched under the configured safety limits and extracted; FetchError says why not."""
        return await fetch_document(url, self.fetch_policy, min_chars=self.settings.min_paragraph_chars)

    async def add_url(self, url: str, *, progress: Progress | None = None) -> WriteResult:
        """Fetch a page and add it: the one way a URL becomes a source (CLI, bot and refresh alike)."""
        document = await self.fetch_url(url)
        return await asyncio.to_thread(self.add_fetched, document, progress=progress)

    async def refresh_urls(self) -> RefreshReport:
        """Fetch every URL source again; re-index the pages whose text changed."""
        return await refresh_url_sources(self)

    # --- feeds and news sitemaps (index/feeds.py) ---------------------------------------

    @functools.cached_property
    def subscriptions(self) -> SubscriptionStore:
        """Feed and sitemap subscriptions and their polls' state: in the PostgreSQL database with ``database_url``,
        else in ``<data dir>/feeds.sqlite``."""
        url = self.settings.database_url
        return SubscriptionStore(self.data_dir / "feeds.sqlite", database_url=url.get_secret_value() if url else None)

    def feeds_add(self, url: str, *, kind: str | None = None, interval_minutes: float | None = None, added_by: str = "") -> Subscription:
        """Subscribe to a feed or a (news) sitemap, due for a first poll now; BadInput when already subscribed.

        ``kind`` defaults to "sitemap" when the URL's path names one, else "feed".
        """
        url = check_url(url, self.fetch_policy)
        kind = kind or ("sitemap" if "sitemap" in url.rsplit("/", 1)[-1].lower() else "feed")
        if kind not in ("feed", "sitemap"):
            raise BadInput(f"the kind is 'feed' or 'sitemap', not {kind!r}")
        interval = self.settings.feed_interval_minutes if interval_minutes is None else interval_minutes
        if interval < self.settings.feed_min_interval_minutes:
            raise BadInput(f"the interval is at least {self.settings.feed_min_interval_minutes:g} minutes")
        subscription = Subscription(url, kind, float(interval), time.time(), added_by, next_poll=0.0)
        if not self.subscriptions.add(subscription):
            raise BadInput(f"{url} is already subscribed")
        return subscription

    def feeds_remove(self, url: str) -> Subscription:
        """Unsubscribe; what its items added stays indexed (see `sources remove`).  BadInput when not subscribed."""
        subscription = self.subscriptions.get(url.strip()) if self._has_subscriptions() else None
        if subscription is None:
            raise BadInput(f"no subscription to {url.strip()}; see `crisisbot feeds list`")
        self.subscriptions.remove(subscription.url)
        return subscription

    def feeds_list(self) -> list[Subscription]:
        return self.subscriptions.all() if self._has_subscriptions() else []

    def _has_subscriptions(self) -> bool:
        """Whether there may be subscriptions: in PostgreSQL, or feeds.sqlite exists (reading alone never creates it:
        a data dir without feeds stays as it was)."""
        return ("subscriptions" in self.__dict__ or self.settings.database_url is not None
                or (self.data_dir / "feeds.sqlite").exists())

    async def poll_feeds(self, *, force: bool = False, only: Sequence[str] | None = None) -> PollReport:
        """Poll the subscriptions that are due (every one with ``force``; ``only`` these URLs)."""
        if not self._has_subscriptions():
            return PollReport()
        subscriptions = await asyncio.to_thread(lambda: self.subscriptions)  # opening it may migrate a database: off the loop
        report = await Poller(self, subscriptions).poll(force=force, only=list(only) if only is not None else None)
        self.metrics.observe_polls(report)
        return report

    def write_pages(self, documents: Sequence[Document], remove_ids: Sequence[str] = ()) -> WriteResult:
        """One write: fetched pages added or replaced (kept as JSON Lines, like ``add_fetched``) and documents removed."""
        start = time.perf_counter()
        with self._writing("pages") as tx:
            origins = tx.origins() if remove_ids and self.has_index() else {}
            gone = sorted({i for i in remove_ids if i in origins})
            removed = tx.remove_documents(gone) if gone else ChangeReport()
            for document in documents:
                self.kept.keep_page(document, tx)
            change = self._add(tx, documents) if documents else ChangeReport()
            for origin in {origins[i] for i in gone}:
                self.kept.forget(origin, tx)
        change.documents_removed, change.paragraphs_removed = removed.documents_removed, removed.paragraphs_removed
        self._merge_if_due()
        return WriteResult(tx.manifest, change, seconds=time.perf_counter() - start)

    def kept_counts(self) -> dict[str, int]:
        """How many copies of added files ("file") and fetched pages ("page") are kept for rebuilds."""
        return self.kept.counts()

    def url_sources(self) -> list[dict]:
        """URL sources (id, url, content_hash): pages added as URLs, read from their kept copies."""
        return self.kept.url_sources()

    def remove_sources(self, ids: Sequence[str]) -> WriteResult:
        """Remove documents, and the kept copy of any file no remaining document comes from."""
        return self._remove(ids, drop_kept_files=True)

    def remove_documents(self, ids: Sequence[str]) -> WriteResult:
        """Remove documents from the index (their kept files stay)."""
        return self._remove(ids, drop_kept_files=False)

    def _remove(self, ids: Sequence[str], *, drop_kept_files: bool) -> WriteResult:
        start = time.perf_counter()
        with self._writing("remove") as tx:
            origins = tx.origins()  # NoIndex when there is none
            missing = set(ids) - origins.keys()
            if missing:
                raise NothingToIndex(f"no source with id {', '.join(sorted(missing))}; see `crisisbot sources list`")
            change = tx.remove_documents(ids)
            if drop_kept_files:
                still_used = set(tx.origins().values())
                for origin in {origins[i] for i in ids} - still_used:
                    self.kept.forget(origin, tx)
        self._merge_if_due()
        return WriteResult(tx.manifest, change, seconds=time.perf_counter() - start)

    def merge(self, *, progress: Progress | None = None) -> dict | None:
        """Fold the store's small writes into one version now (``Store.merge``); its manifest, or None if there was nothing."""
        return self.store.merge(progress=progress)

    # --- the store's schema, and a corpus moved between stores (index/store/portable.py) ---------

    def migrate_store(self) -> tuple[int, list[int]] | None:
        """Apply the store's pending schema migrations: (schema version, versions applied); None for a store that
        has no schema of its own to migrate (the folders migrate a copy when they write it).  Copies of sources an
        earlier version kept in ``sources_dir`` move into a store that keeps them itself (``adopt_kept_folder``)."""
        migrate = getattr(self.store, "migrate", None)
        if migrate is None:
            return None
        done = migrate()
        self.adopt_kept_folder()
        return done

    def adopt_kept_folder(self) -> list[str]:
        """With the kept copies in the database: move those an earlier version kept in ``sources_dir`` into it, in
        one write, then rename the folder ``sources.in-database-<time>`` (kept, for the operator to delete); the
        names moved.  Nothing to do without such copies, or without an index yet."""
        adopt = getattr(self.kept, "adopt", None)
        folder = KeptFolder(self.sources_dir)
        if adopt is None or not folder.names() or not self.has_index():
            return []
        aside = self.sources_dir.with_name(f"sources.in-database-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S}")
        with self._writing("adopt kept sources") as tx:
            names = adopt(folder, tx)
            tx.after_publish(lambda: os.replace(self.sources_dir, aside))
        log.warning("moved %d kept sources from %s into %s; the folder is now %s", len(names), self.sources_dir,
                    self.kept.location, aside)
        return names

    def migrate_subscriptions(self) -> tuple[str, int, list[int]] | None:
        """Apply the pending migrations of the feed subscriptions' tables in PostgreSQL: (where, schema version,
        versions applied); None when they are kept in feeds.sqlite."""
        url = self.settings.database_url
        return SubscriptionStore.migrate(url.get_secret_value()) if url is not None else None

    def export_corpus(self, folder: Path) -> tuple[int, int]:
        """Write the published corpus and the kept copies of its sources to the new folder ``folder``;
        (documents, paragraphs) written."""
        from index.store import portable

        corpus = portable.read_view(self.snapshot())
        corpus.kept = portable.read_kept(self.kept)
        portable.save(corpus, folder)
        return len(corpus.documents), len(corpus.paragraphs)

    def import_corpus(self, folder: Path) -> dict:
        """Replace the store's corpus, and the kept copies of sources, with those exported to ``folder``, in one
        write; the published manifest."""
        from index.store import portable

        return portable.import_into(self.store, portable.load(folder), self.embedder.name, self.kept)

    def _merge_if_due(self) -> None:
        if not self.store.merge_due():
            return
        if not self.merge_in_background:
            self.merge()
            return
        if self._merging.acquire(blocking=False):  # one merge at a time; the next write asks again
            threading.Thread(target=self._merge_in_background, name="index-merge", daemon=True).start()

    def _merge_in_background(self) -> None:
        try:
            self.merge()
        except WriteInProgress:
            log.info("index merge postponed: another write is running")
        except Exception:
            log.exception("index merge failed; the index keeps serving as it was")
        finally:
            self._merging.release()


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _namespace(origin: Path, roots: Sequence[Path]) -> str:
    """``origin``'s path below the root it was found under (its name for a file given directly)."""
    for root in roots:
        if root in origin.parents:
            return origin.relative_to(root).as_posix()
    return origin.name


def _reasons(report: LoadReport) -> str:
    return "; ".join(str(p) for p in report.skipped[:5]) or "no supported files"
