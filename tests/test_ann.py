"""The dense index (index/ann.py): type by size, add/remove by id, recall against exact, save/load."""

from __future__ import annotations

import numpy as np
import pytest

from index.ann import FLAT, IVF, VectorIndex, lists_for, probes_for

DIM = 32


def unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


@pytest.fixture(scope="module")
def corpus() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Clustered unit vectors (like real embeddings), ids from 1, and queries near corpus rows."""
    rng = np.random.default_rng(7)
    centers = unit(rng.standard_normal((40, DIM)))
    vectors = unit(centers[rng.integers(0, 40, 6000)] + 0.5 * unit(rng.standard_normal((6000, DIM))))
    queries = unit(vectors[rng.choice(6000, 100, replace=False)] + 0.3 * unit(rng.standard_normal((100, DIM))))
    return vectors, np.arange(1, 6001, dtype=np.int64), queries


def exact(vectors, ids) -> VectorIndex:
    index = VectorIndex(DIM)
    index.add(vectors, ids)
    return index


def recall_at_10(index: VectorIndex, reference: VectorIndex, queries: np.ndarray) -> float:
    _, got = index.search(queries, 10)
    _, want = reference.search(queries, 10)
    return float(np.mean([len(set(g) & set(w)) / 10 for g, w in zip(got, want)]))


def test_small_index_stays_exact(corpus):
    vectors, ids, queries = corpus
    index = VectorIndex(DIM, flat_limit=10_000)
    index.add(vectors, ids)
    assert index.fit() is False
    assert index.kind == FLAT and index.count() == 6000
    scores, found = index.search(vectors[:3], 1)
    assert list(found[:, 0]) == [1, 2, 3]
    assert np.allclose(scores[:, 0], 1.0, atol=1e-5)


def test_large_index_becomes_ivf_with_good_recall(corpus):
    vectors, ids, queries = corpus
    index = VectorIndex(DIM, flat_limit=1000)
    index.add(vectors, ids)
    assert index.fit() is True
    assert index.kind == IVF
    assert index.count() == 6000
    assert "IVF" in index.describe()
    assert recall_at_10(index, exact(vectors, ids), queries) >= 0.95


def test_add_and_remove_by_id_in_both_kinds(corpus):
    vectors, ids, _ = corpus
    for limit in (10_000, 1000):
        index = VectorIndex(DIM, flat_limit=limit)
        index.add(vectors[:5000], ids[:5000])
        index.fit()
        assert index.remove([10, 11, 9999]) == 2
        index.add(vectors[5000:], ids[5000:])
        assert index.count() == 5998
        _, found = index.search(vectors[[9, 5500]], 1)
        assert found[0, 0] != 10
        assert found[1, 0] == 5501
        assert 10 not in set(index.ids()) and 5501 in set(index.ids())
        assert np.allclose(index.vectors([5501, 1]), vectors[[5500, 0]])


def test_save_load_round_trip(tmp_path, corpus):
    vectors, ids, queries = corpus
    for limit, kind in ((10_000, FLAT), (1000, IVF)):
        index = VectorIndex(DIM, flat_limit=limit)
        index.add(vectors, ids)
        index.fit()
        path = tmp_path / f"{kind}.faiss"
        index.save(path)
        loaded = VectorIndex.load(path, flat_limit=limit)
        assert loaded.kind == kind and loaded.count() == 6000 and loaded.dimension == DIM
        before = index.search(queries, 10)
        after = loaded.search(queries, 10)
        assert np.array_equal(before[1], after[1])
        assert np.allclose(loaded.vectors([42]), vectors[41])
        assert loaded.remove([42]) == 1 and loaded.count() == 5999  # still removable after a load
        assert loaded.fit() is False  # not grown: no retraining


def test_shrinking_returns_to_exact(corpus):
    vectors, ids, _ = corpus
    index = VectorIndex(DIM, flat_limit=4000)
    index.add(vectors, ids)
    index.fit()
    assert index.kind == IVF
    index.remove(ids[:4500])
    assert index.fit() is True and index.kind == FLAT and index.count() == 1500
    _, found = index.search(vectors[4600:4601], 1)
    assert found[0, 0] == 4601


def test_search_on_empty_and_k_above_count():
    index = VectorIndex(DIM)
    scores, found = index.search(np.ones((1, DIM), np.float32), 5)
    assert found.shape == (1, 0)
    index.add(unit(np.ones((2, DIM))), [7, 8])
    _, found = index.search(np.ones((1, DIM), np.float32), 5)
    assert sorted(found[0]) == [7, 8]


def test_list_and_probe_counts_grow_with_size():
    assert lists_for(10_000) == 200 and lists_for(1_000_000) == 2000
    assert lists_for(10) == 16 and lists_for(10**9) == 8192
    assert probes_for(16) == 16 and probes_for(2000) == 100


def test_store_writes_the_kind_in_the_manifest(shared_service):
    manifest = shared_service.snapshot().manifest
    assert manifest["faiss_index"] == "IDMap2,Flat (inner product)"


def test_store_over_ivf_answers_adds_and_removes(service, shared_service, monkeypatch):
    """The whole pipeline on an IVF index: the bundled corpus with the exact limit set below its size."""
    import index.ann as ann

    monkeypatch.setattr(ann, "FLAT_LIMIT", 20)
    service.build()
    snapshot = service.snapshot()
    assert snapshot.manifest["faiss_index"].startswith("IVF")
    question = "Who did Blinken write to proposing a meeting?"
    ivf_answer = service.ask(question)
    flat_answer = shared_service.ask(question)
    assert not ivf_answer.abstained
    assert [c.paragraph_id for c in ivf_answer.citations][:1] == [c.paragraph_id for c in flat_answer.citations][:1]
    assert "Lavrov" in ivf_answer.answer
    document = snapshot.documents()[0]
    service.remove_documents([document.id])
    assert service.snapshot().size == 0 and service.ask(question).abstained


def test_many_queries_on_an_exact_index_find_what_faiss_finds():
    rng = np.random.default_rng(3)
    vectors = rng.standard_normal((3000, 32)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    index = VectorIndex(32)
    index.add(vectors, np.arange(7, 3007) * 3)
    index.remove([21, 24])
    queries = vectors[:300] + 0.05 * rng.standard_normal((300, 32)).astype(np.float32)
    scores, ids = index.search(queries, 5)  # the BLAS path (many queries, exact index)
    faiss_scores, faiss_ids = index._index.search(queries, 5)
    assert (ids == faiss_ids).mean() > 0.999  # ties may order differently
    np.testing.assert_allclose(scores, faiss_scores, rtol=1e-4, atol=1e-5)
    small_scores, small_ids = VectorIndex.search(index, queries[:3], 5)  # the few-query path agrees
    np.testing.assert_array_equal(small_ids, ids[:3])
    _, every = index.search(queries[:20], 10_000)  # k over the count: everything, best first
    assert every.shape == (20, index.count()) and set(every[0]) == set(index.ids())


def test_a_loaded_ivf_index_searches_with_todays_probe_count(tmp_path):
    """An IVF index saved with fewer probes (an older version's 5 %) loads with probes_for's count."""
    rng = np.random.default_rng(3)
    vectors = unit(rng.standard_normal((3000, DIM)).astype(np.float32))
    index = VectorIndex(DIM, flat_limit=1000)
    index.add(vectors, np.arange(3000))
    index.fit()
    assert index.kind == IVF
    index._index.nprobe = 2
    index.save(tmp_path / "old.faiss")
    loaded = VectorIndex.load(tmp_path / "old.faiss")
    assert loaded._index.nprobe == probes_for(loaded._index.nlist) > 2
    _, found = loaded.search(vectors[:20], 1)
    assert found[:, 0].tolist() == list(range(20))
