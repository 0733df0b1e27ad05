"""The index in PostgreSQL with pgvector (``CRISISBOT_DATABASE_URL``).

- ``schema``: the tables, their numbered migrations, connecting;
- ``lexical``: BM25 in SQL over the local store's search tokens;
- ``view``: ``PostgresView``, one published generation read;
- ``writer``: ``PostgresTransaction``, one write in one database transaction;
- ``store``: ``PostgresStore``, the ``Store`` composing them;
- ``kept``: ``KeptInPostgres``, the copies of added sources (index/kept.py) in the same database.
"""

from index.store.postgres.store import PostgresStore

__all__ = ["PostgresStore"]
