"""The PostgreSQL schema, its numbered migrations, and connecting.

``MIGRATIONS[n]`` turns version n - 1 into version n; ``schema_migrations`` records each version
applied.  ``migrate`` applies the pending ones in one transaction, under an advisory lock so two
processes starting at once do not both apply them.  A reader never migrates: it refuses a database
behind this code (``crisisbot migrate``) or ahead of it (upgrade crisisbot).

The tables::

    store_state       one row: the published generation (bumped by every commit) and its manifest
    documents         a source's metadata
    paragraphs        text, dedup key, search tokens and their count, sentence vectors, and the
                      paragraph's unit vector (pgvector; HNSW index, cosine), made once the
                      model's dimension is known (``ensure_dimension``)
    occurrences       which document carries which paragraph where
    terms             search token -> paragraph, with its count there and the paragraph's length (BM25)
    term_stats        search token -> paragraphs holding it (BM25's document frequency)
    kept_sources      the copies of added files and fetched pages a rebuild reads (index/store/postgres/kept.py)
"""

from __future__ import annotations

import psycopg
from pgvector.psycopg import register_vector

from index import locks
from index.errors import IndexMismatch

FORMAT_VERSION = 1  # the manifest's, as the local store's (index/store/schema.py)
LOCK_MIGRATE = locks.INDEX_MIGRATE
LOCK_WRITE = locks.INDEX_WRITE
EMBEDDING_INDEX = "paragraphs_embedding"

MIGRATIONS: dict[int, str] = {
    1: """
CREATE EXTENSION IF NOT EXISTS vector;
CREATE TABLE store_state (
    id int PRIMARY KEY CHECK (id = 1),
    generation bigint NOT NULL DEFAULT 0,
    manifest jsonb  -- NULL until a write is published
);
INSERT INTO store_state (id) VALUES (1);
CREATE TABLE documents (
    id text COLLATE "C" PRIMARY KEY,
    title text NOT NULL,
    outlet text NOT NULL DEFAULT '',
    date text COLLATE "C",
    url text,
    origin text NOT NULL,
    meta jsonb NOT NULL DEFAULT '{}',
    added_at text NOT NULL
);
CREATE TABLE paragraphs (
    id bigint PRIMARY KEY,
    text text NOT NULL,
    key text COLLATE "C" NOT NULL,
    lex text NOT NULL,
    length int NOT NULL,  -- search tokens, as bm25s counts them (an empty paragraph has one)
    sentences bytea,  -- float16 vectors of its sentences (text.sentence_spans), or NULL
    embedding vector NOT NULL
);
CREATE INDEX paragraphs_key ON paragraphs (key);
CREATE TABLE occurrences (
    document_id text COLLATE "C" NOT NULL,
    position int NOT NULL,
    paragraph_id bigint NOT NULL,
    PRIMARY KEY (document_id, position)
);
CREATE INDEX occurrences_paragraph ON occurrences (paragraph_id);
CREATE TABLE terms (
    term text COLLATE "C" NOT NULL,
    paragraph_id bigint NOT NULL,
    tf int NOT NULL,
    length int NOT NULL,
    PRIMARY KEY (term, paragraph_id) INCLUDE (tf, length)  -- a term's postings read from the index alone (BM25)
);
CREATE INDEX terms_paragraph ON terms (paragraph_id);
CREATE TABLE term_stats (
    term text COLLATE "C" PRIMARY KEY,
    paragraphs int NOT NULL
);
""",
    2: """
CREATE TABLE kept_sources (
    name text COLLATE "C" PRIMARY KEY,  -- an added file's name, or web/<id>.jsonl for a fetched page
    kind text NOT NULL CHECK (kind IN ('file', 'page')),
    data bytea NOT NULL,
    sha256 text NOT NULL,
    added_at timestamptz NOT NULL DEFAULT now()
);
""",
}
SCHEMA_VERSION = max(MIGRATIONS)


def connect(url: str, *, autocommit: bool = True) -> psycopg.Connection:
    return psycopg.connect(url, autocommit=autocommit)


def schema_version(conn: psycopg.Connection) -> int:
    """The newest migration applied (0 for a database crisisbot never touched)."""
    if conn.execute("SELECT to_regclass('schema_migrations')").fetchone()[0] is None:
        return 0
    return conn.execute("SELECT COALESCE(MAX(version), 0) FROM schema_migrations").fetchone()[0]


def check_version(conn: psycopg.Connection, location: str) -> int:
    """The schema version, when it is this code's; IndexMismatch saying what to do when it is not (0: no schema yet)."""
    version = schema_version(conn)
    if version > SCHEMA_VERSION:
        raise IndexMismatch(f"{location} has schema version {version}, this version reads up to {SCHEMA_VERSION}; upgrade crisisbot")
    if 0 < version < SCHEMA_VERSION:
        raise IndexMismatch(f"{location} has schema version {version}, this version needs {SCHEMA_VERSION}; run `crisisbot migrate`")
    return version


def migrate(conn: psycopg.Connection, location: str) -> tuple[int, list[int]]:
    """Apply the pending migrations in one transaction; the schema version, and the versions applied."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK_MIGRATE,))
        conn.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version int PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())")
        version = schema_version(conn)
        if version > SCHEMA_VERSION:
            raise IndexMismatch(f"{location} has schema version {version}, this version knows up to {SCHEMA_VERSION}; upgrade crisisbot")
        applied = list(range(version + 1, SCHEMA_VERSION + 1))
        for n in applied:
            conn.execute(MIGRATIONS[n])
            conn.execute("INSERT INTO schema_migrations (version) VALUES (%s)", (n,))
    return SCHEMA_VERSION, applied


def register(conn: psycopg.Connection) -> None:
    """Teach ``conn`` the vector type (NumPy arrays in and out); the extension must exist."""
    register_vector(conn)


def embedding_dimension(conn: psycopg.Connection) -> int | None:
    """The dimension the embedding column is typed with, None while it is untyped."""
    typmod = conn.execute(
        "SELECT atttypmod FROM pg_attribute WHERE attrelid = 'paragraphs'::regclass AND attname = 'embedding'"
    ).fetchone()[0]
    return typmod if typmod > 0 else None


def ensure_dimension(conn: psycopg.Connection, dimension: int) -> None:
    """Type the (empty) embedding column ``vector(dimension)`` if it is not yet, in the caller's transaction;
    its HNSW index is made by ``create_embedding_index``."""
    if embedding_dimension(conn) != dimension:
        conn.execute(f"DROP INDEX IF EXISTS {EMBEDDING_INDEX}")
        conn.execute(f"ALTER TABLE paragraphs ALTER COLUMN embedding TYPE vector({int(dimension)})")


def has_embedding_index(conn: psycopg.Connection) -> bool:
    return conn.execute("SELECT to_regclass(%s)", (EMBEDDING_INDEX,)).fetchone()[0] is not None


def create_embedding_index(conn: psycopg.Connection) -> None:
    """The HNSW index over the paragraphs' vectors (cosine), built in bulk from what the table holds."""
    conn.execute("SET LOCAL maintenance_work_mem = '1GB'")
    conn.execute(f"CREATE INDEX IF NOT EXISTS {EMBEDDING_INDEX} ON paragraphs USING hnsw (embedding vector_cosine_ops)")
