"""BM25 in SQL over the same search tokens the local store indexes with bm25s (index/lexical.py).

Each paragraph's stored tokens (``lex``: title's first, then its own, ``text.lexical_tokens``) become
rows of ``terms`` (token, paragraph, count there, paragraph length); ``term_stats`` keeps how many
paragraphs hold each token.  A search scores with bm25s's formula ("lucene": idf = ln(1 + (N - df +
0.5) / (df + 0.5)), tf / (tf + k1 * (1 - b + b * length / average length)), k1 = 1.5, b = 0.75),
the IDF worked out here from the view's vocabulary, so its scores are the local store's up to
float32 rounding.  Postgres's own full-text ranking (``ts_rank``) scores differently, and its
stemmer is not ours: the answers would drift from the local store's.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence

import psycopg

from index.lexical import Vocabulary
from index.store.composite import K1, B


def length_of(lex: str) -> int:
    """A paragraph's length as bm25s counts it: its tokens, one for an empty paragraph."""
    return len(lex.split()) or 1


def term_rows(paragraphs: Iterable[tuple[int, str]]) -> list[tuple[str, int, int, int]]:
    """(term, paragraph id, count, length) for each distinct token of each (id, lex)."""
    rows = []
    for pid, lex in paragraphs:
        tokens = lex.split()
        length = len(tokens) or 1
        rows.extend((term, pid, tf, length) for term, tf in Counter(tokens).items())
    return rows


def add_terms(conn: psycopg.Connection, rows: Sequence[tuple[str, int, int, int]]) -> None:
    """Insert ``term_rows`` and count their paragraphs into ``term_stats``."""
    if not rows:
        return
    with conn.cursor() as cur, cur.copy("COPY terms (term, paragraph_id, tf, length) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
    counts = Counter(term for term, *_ in rows)
    conn.execute(
        """INSERT INTO term_stats (term, paragraphs) SELECT * FROM unnest(%s::text[], %s::int[])
           ON CONFLICT (term) DO UPDATE SET paragraphs = term_stats.paragraphs + EXCLUDED.paragraphs""",
        (list(counts), list(counts.values())),
    )


def remove_terms(conn: psycopg.Connection, paragraph_ids: Sequence[int]) -> None:
    """Drop the terms of ``paragraph_ids`` and uncount them from ``term_stats``."""
    if not paragraph_ids:
        return
    conn.execute(
        """UPDATE term_stats s SET paragraphs = s.paragraphs - gone.n
           FROM (SELECT term, COUNT(*) AS n FROM terms WHERE paragraph_id = ANY(%s) GROUP BY term) gone WHERE s.term = gone.term""",
        (list(paragraph_ids),),
    )
    conn.execute("DELETE FROM term_stats WHERE paragraphs <= 0")
    conn.execute("DELETE FROM terms WHERE paragraph_id = ANY(%s)", (list(paragraph_ids),))


def vocabulary(conn: psycopg.Connection, paragraphs: int) -> Vocabulary:
    return Vocabulary({term: n for term, n in conn.execute("SELECT term, paragraphs FROM term_stats")}, paragraphs)


SEARCH = """
SELECT t.paragraph_id, SUM(q.idf * t.tf / (t.tf + %(fixed)s + %(per_token)s * t.length)) AS score
FROM unnest(%(terms)s::text[], %(idf)s::float8[]) AS q(term, idf)
JOIN terms t ON t.term = q.term
GROUP BY t.paragraph_id
ORDER BY score DESC, t.paragraph_id
LIMIT %(k)s
"""


def search(conn: psycopg.Connection, tokens: Sequence[str], k: int, vocab: Vocabulary, average_length: float) -> list[tuple[int, float]]:
    """(paragraph id, BM25 score) of the best ``k`` paragraphs sharing a token with ``tokens``, best first."""
    n = vocab.paragraphs
    known = [t for t in dict.fromkeys(tokens) if t in vocab.doc_freq]
    if not known or k <= 0:
        return []
    idf = [math.log(1 + (n - vocab.doc_freq[t] + 0.5) / (vocab.doc_freq[t] + 0.5)) for t in known]
    # k1 * (1 - b + b * length / average) as fixed + per_token * length, worked out once here
    fixed, per_token = K1 * (1 - B), K1 * B / (average_length or 1.0)
    rows = conn.execute(SEARCH, {"terms": known, "idf": idf, "k": k, "fixed": fixed, "per_token": per_token})
    return [(int(pid), float(score)) for pid, score in rows if score > 0]
