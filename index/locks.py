"""Every PostgreSQL advisory lock key crisisbot takes, in one place so no two jobs share one.

Advisory locks are per database and keyed by one bigint; two jobs that picked the same key
would wait on each other (the leader's lock, held for the process's life, would stall every
other process's state migration).  ``tests/test_locks.py`` checks the keys differ.
"""

INDEX_MIGRATE = 0x63726973_0001  # index schema migrations (index/store/postgres/schema.py), per transaction
INDEX_WRITE = 0x63726973_0002  # the one index writer (index/store/postgres/store.py), per session
STATE_MIGRATE = 0x63726973_0003  # bot state and feeds migrations (index/database.py), per transaction
LEADER = 0x63726973_0004  # the process that runs feed polls and refreshes (bot/leader.py), per session
