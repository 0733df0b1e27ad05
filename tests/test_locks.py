"""Advisory lock keys: one per job, or two jobs wait on each other (the leader's lock once stalled state migrations)."""

from index import locks


def test_every_advisory_lock_key_is_its_own():
    keys = {name: value for name, value in vars(locks).items() if name.isupper()}
    assert len(keys) >= 4
    assert len(set(keys.values())) == len(keys), keys
    assert all(isinstance(v, int) and -(2**63) <= v < 2**63 for v in keys.values())  # Postgres bigint
