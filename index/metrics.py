"""What the service counts, in Prometheus terms: the one module of the core that knows prometheus-client.

Each ``CrisisService`` has its own ``Metrics`` with its own ``CollectorRegistry`` (never the
process-wide default one): two services in one process, as in the tests, count apart.  The
front end that serves ``/metrics`` (bot/health.py) renders ``registry``; the bot adds what
only it sees (how fast Discord interactions are acknowledged).

Counted where it happens: questions, refusals and answer latency in ``CrisisService.ask``,
writes in the service's write paths, feed polls in ``CrisisService.poll_feeds``.  The index
size is read when scraped, from the service's current view.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Histogram, ProcessCollector
from prometheus_client.core import GaugeMetricFamily

from index.insights import refusal_kind

log = logging.getLogger(__name__)

# Answer latency: a cached question takes milliseconds, a cold cross-lingual one seconds.
ANSWER_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
# Discord wants an acknowledgement within 3 s: the buckets are dense below that.
ACK_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 5.0)
WRITE_BUCKETS = (0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 1800.0)


class _IndexSize:
    """Paragraphs and documents of the index in use, read at scrape time (no index: no samples)."""

    def __init__(self, read: Callable[[], tuple[int, int] | None]):
        self._read = read

    def collect(self):
        try:
            sizes = self._read()
        except Exception:  # no index yet, or one being replaced: say nothing rather than fail the scrape
            log.debug("index size unavailable", exc_info=True)
            sizes = None
        paragraphs = GaugeMetricFamily("crisisbot_index_paragraphs", "Paragraphs in the index in use.")
        documents = GaugeMetricFamily("crisisbot_index_documents", "Documents in the index in use.")
        if sizes is not None:
            paragraphs.add_metric([], sizes[0])
            documents.add_metric([], sizes[1])
        yield paragraphs
        yield documents


class Metrics:
    """The counters and histograms of one service, in a registry of their own."""

    def __init__(self, index_size: Callable[[], tuple[int, int] | None] | None = None):
        self.registry = CollectorRegistry()
        registry = self.registry
        self.questions = Counter("crisisbot_questions", "Questions asked, by language of the question.", ["language"],
                                 registry=registry)
        self.refusals = Counter("crisisbot_refusals", "Questions the corpus did not answer, by reason.", ["reason"],
                                registry=registry)
        self.answer_seconds = Histogram("crisisbot_answer_seconds", "Time from a question to its answer or refusal.",
                                        buckets=ANSWER_BUCKETS, registry=registry)
        self.ack_seconds = Histogram("crisisbot_discord_ack_seconds",
                                     "Time from a Discord interaction's creation to the bot's acknowledgement.",
                                     buckets=ACK_BUCKETS, registry=registry)
        self.feed_polls = Counter("crisisbot_feed_polls", "Polls of feed and sitemap subscriptions, by outcome.", ["outcome"],
                                  registry=registry)
        self.feed_errors = Counter("crisisbot_feed_errors", "Feed polls that failed, and unreadable items in polls that did not.",
                                   ["kind"], registry=registry)
        self.writes = Counter("crisisbot_index_writes", "Writes to the index that were published, by kind.", ["kind"],
                              registry=registry)
        self.write_seconds = Histogram("crisisbot_index_write_seconds", "Time a published write of the index took.",
                                       buckets=WRITE_BUCKETS, registry=registry)
        ProcessCollector(namespace="crisisbot", registry=registry)  # memory, CPU, open files (Linux /proc)
        if index_size is not None:
            registry.register(_IndexSize(index_size))

    def observe_answer(self, answer) -> None:
        """An ``index.answer.Answer`` given to someone: counted, its latency (``took_ms``) recorded."""
        self.questions.labels(answer.language or "en").inc()
        if answer.abstained:
            self.refusals.labels(refusal_kind(answer.reason)).inc()
        self.answer_seconds.observe(max(0.0, answer.took_ms / 1000))

    def observe_ack(self, seconds: float) -> None:
        self.ack_seconds.observe(max(0.0, seconds))

    def observe_polls(self, report) -> None:
        """An ``index.polls.PollReport``: one count per subscription polled."""
        for poll in report.polls:
            self.feed_polls.labels(poll.outcome).inc()
            if poll.outcome == "failed":
                self.feed_errors.labels("poll").inc()
            if poll.item_errors:
                self.feed_errors.labels("item").inc(len(poll.item_errors))

    def observe_write(self, kind: str, seconds: float) -> None:
        self.writes.labels(kind).inc()
        self.write_seconds.observe(max(0.0, seconds))

