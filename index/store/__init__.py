"""The index store: where published indexes are kept, read and written.

One job per module:

- ``protocol``: the narrow ``Store`` contract the service uses, its small dataclasses and errors;
- ``layout``: the data dir's numbered folders, write lock, staging, publishing, garbage collection;
- ``schema``: the SQLite schema and its migrations, the manifest;
- ``dedup``: which paragraphs of a batch are new (pure planning);
- ``writer``: ``IndexWriter``, one write into an unpublished folder;
- ``snapshot``: ``Snapshot``, one published folder read-only;
- ``delta``: ``DeltaWriter``, a small write kept apart from a large base, and ``merge``;
- ``composite``: ``CompositeView``, a delta read with its base;
- ``local``: ``LocalStore``, the folder store composing the above.

The names below are the ones the rest of the code (doctor, the CLI, tests,
benchmarks) imports as ``index.store.<name>``.
"""

from index.store.composite import CompositeView
from index.store.layout import (
    BUILDING_SUFFIX,
    CURRENT,
    INDEXES,
    Staging,
    _by_creation,
    _collect_garbage,
    current_folder,
    discard,
    new_folder,
    publish,
    staging,
    write_lock,
)
from index.store.local import LocalStore, LocalTransaction, load_view
from index.store.protocol import (
    ChangeReport,
    DocumentRow,
    IndexMismatch,
    IndexProblem,
    NoIndex,
    NothingToIndex,
    ParagraphRow,
    ReadView,
    Store,
    Transaction,
    WriteInProgress,
)
from index.store.schema import FORMAT_VERSION, SCHEMA_VERSION, check_model, read_manifest
from index.store.schema import now as _now
from index.store.snapshot import Snapshot
from index.store.writer import IndexWriter


def open_store(settings, data_dir, model: str) -> Store:
    """The store ``settings`` name: Postgres when ``database_url`` is set, else the folders of ``data_dir``."""
    if settings.database_url is not None:
        from index.store.postgres import PostgresStore  # psycopg is imported only by those who use it

        return PostgresStore(settings.database_url.get_secret_value(), model)
    return LocalStore(data_dir, model)


__all__ = [
    "BUILDING_SUFFIX", "CURRENT", "FORMAT_VERSION", "INDEXES", "SCHEMA_VERSION",
    "ChangeReport", "CompositeView", "DocumentRow", "IndexMismatch", "IndexProblem", "IndexWriter", "LocalStore", "LocalTransaction",
    "NoIndex", "NothingToIndex", "ParagraphRow", "ReadView", "Snapshot", "Staging", "Store", "Transaction", "WriteInProgress",
    "_by_creation", "_collect_garbage", "_now", "check_model", "current_folder", "discard", "new_folder", "publish",
    "load_view", "open_store", "read_manifest", "staging", "write_lock",
]
