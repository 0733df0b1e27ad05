"""The dense index: every FAISS call behind add / remove / search / save / load / count.

Vectors are unit-normalised float32 rows keyed by paragraph id (int64); the
score is the inner product, i.e. cosine similarity.  The index type follows the
size of the corpus:

- up to ``FLAT_LIMIT`` vectors (50k), ``IndexIDMap2(IndexFlatIP)``: exact, no training,
  the format every index before this module was written in;
- above it, ``IndexIVFFlat`` (inner product) with a hash-table direct map, so
  ``remove`` and ``vectors`` (reconstruct by id) keep working.  HNSW is faster
  still but cannot remove by id, which adding and removing sources needs.
  ``nlist`` grows with the square root of the size (``lists_for``) and ``nprobe`` is set so
  recall@10 against exact search stays at or above 0.95 (bench/scale.py, bench/scale_pipeline.py); a
  loaded index searches with the ``nprobe`` this version sets, whatever it was saved with.

An IVF index is (re)trained when it is first needed and again when the corpus
has grown ``RETRAIN_GROWTH`` times since, so its lists stay balanced; a corpus
that shrinks back under half the limit returns to exact search.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path

import faiss
import numpy as np

log = logging.getLogger(__name__)

# Exact search up to here.  A flat scan is memory-bound: 6 ms at 100k on a quiet machine, but 40-55 ms beside
# busy neighbours, where IVF with MIN_NPROBE probes took 10 ms (interleaved) at recall@10 0.977 on real question
# and sentence vectors (bench/scale_pipeline.py).
FLAT_LIMIT = 50_000
RETRAIN_GROWTH = 4.0
LISTS_PER_ROOT = 2  # IVF lists per square root of the vector count (lists_for; read back by _trained_for)
TRAIN_POINTS_PER_LIST = 40  # k-means sample size per list (FAISS warns under 39)
NPROBE_SHARE = 0.05  # share of the lists searched, at least MIN_NPROBE
# Real questions sit farther from their paragraphs than bench/scale.py's synthetic queries: at 100k, 32 of 632
# lists gave recall@10 0.92 and 100 gave 0.977; at 1M, 100 of 2,000 gave 0.978 (bench/scale_pipeline.py).
MIN_NPROBE = 100
SERIAL_QUERIES = 8  # searches of at most this many queries run on the calling thread alone
EXACT_BATCH = 256  # queries per BLAS product in a many-query exact search (256 x 200k scores: 200 MB at most)
# Written into manifests, so a reader knows what it loads.
FLAT = "flat"
IVF = "ivf"


def _as_matrix(vectors: np.ndarray, dimension: int) -> np.ndarray:
    matrix = np.ascontiguousarray(np.asarray(vectors, dtype=np.float32).reshape(-1, dimension))
    return matrix


def _as_ids(ids) -> np.ndarray:
    return np.ascontiguousarray(np.asarray(list(ids) if not isinstance(ids, np.ndarray) else ids, dtype=np.int64).reshape(-1))


def lists_for(count: int) -> int:
    """IVF lists for ``count`` vectors: about 2 * sqrt(n), between 16 and 8192 (2000 at 1M)."""
    return int(min(8192, max(16, LISTS_PER_ROOT * math.sqrt(max(count, 1)))))


def probes_for(nlist: int) -> int:
    return int(min(nlist, max(MIN_NPROBE, round(nlist * NPROBE_SHARE))))


class VectorIndex:
    """Unit vectors by id, searched by inner product.  Not thread-safe for writes."""

    def __init__(self, dimension: int, *, flat_limit: int | None = None, _index=None):
        self.dimension = dimension
        self.flat_limit = FLAT_LIMIT if flat_limit is None else flat_limit
        self._index = _index if _index is not None else self._flat()
        # What an IVF index was trained for, recovered from its list count (see lists_for).
        self._trained_for = int((self._index.nlist / LISTS_PER_ROOT) ** 2) if self.kind == IVF else 0

    # .. the FAISS types ..

    def _flat(self):
        return faiss.IndexIDMap2(faiss.IndexFlatIP(self.dimension))

    def _ivf(self, training: np.ndarray):
        nlist = lists_for(len(training))
        quantizer = faiss.IndexFlatIP(self.dimension)
        index = faiss.IndexIVFFlat(quantizer, self.dimension, nlist, faiss.METRIC_INNER_PRODUCT)
        index.set_direct_map_type(faiss.DirectMap.Hashtable)  # reconstruct and remove by id
        sample = training
        most = nlist * TRAIN_POINTS_PER_LIST
        if len(training) > most:
            rows = np.random.default_rng(0).choice(len(training), most, replace=False)
            sample = training[np.sort(rows)]
        index.train(sample)
        index.nprobe = probes_for(nlist)
        return index

    @property
    def kind(self) -> str:
        return IVF if isinstance(self._index, faiss.IndexIVF) else FLAT

    def describe(self) -> str:
        if self.kind == IVF:
            return f"IVF{self._index.nlist},Flat nprobe={self._index.nprobe} (inner product)"
        return "IDMap2,Flat (inner product)"

    # .. the interface ..

    def count(self) -> int:
        return int(self._index.ntotal)

    def add(self, vectors: np.ndarray, ids) -> None:
        matrix = _as_matrix(vectors, self.dimension)
        keys = _as_ids(ids)
        if len(matrix) != len(keys):
            raise ValueError(f"{len(matrix)} vectors but {len(keys)} ids")
        if len(keys):
            self._index.add_with_ids(matrix, keys)

    def remove(self, ids) -> int:
        keys = _as_ids(ids)
        if not len(keys):
            return 0
        return int(self._index.remove_ids(keys))

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(scores, ids), each (len(queries), k'); k' = min(k, count); missing ids are -1."""
        matrix = _as_matrix(queries, self.dimension)
        k = min(k, self.count())
        if k <= 0:
            return np.zeros((len(matrix), 0), np.float32), np.zeros((len(matrix), 0), np.int64)
        if len(matrix) > SERIAL_QUERIES:
            if self.kind == FLAT:
                return self._exact_batch(matrix, k)
            return self._index.search(matrix, k)
        # A few queries: one thread.  FAISS would open an OpenMP team whose threads
        # compete with torch's still-spinning ones, which costs milliseconds for
        # microseconds of work.  The thread count is per calling thread, so restore it.
        threads = faiss.omp_get_max_threads()
        faiss.omp_set_num_threads(1)
        try:
            return self._index.search(matrix, k)
        finally:
            faiss.omp_set_num_threads(threads)

    def _exact_batch(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Exact search for many queries as one BLAS product over the stored vectors (no copy of them):
        five times FAISS's flat search on our machines for a write's batch of new paragraphs (dedup)."""
        n = self.count()
        stored = faiss.rev_swig_ptr(faiss.downcast_index(self._index.index).get_xb(), n * self.dimension).reshape(n, self.dimension)
        ids = faiss.rev_swig_ptr(self._index.id_map.data(), n)
        scores = np.empty((len(queries), k), np.float32)
        found = np.empty((len(queries), k), np.int64)
        for start in range(0, len(queries), EXACT_BATCH):
            block = queries[start : start + EXACT_BATCH] @ stored.T
            top = np.argpartition(-block, k - 1, axis=1)[:, :k] if k < n else np.broadcast_to(np.arange(n), (len(block), n))
            best = np.take_along_axis(block, top, axis=1)
            order = np.argsort(-best, axis=1, kind="stable")
            scores[start : start + len(block)] = np.take_along_axis(best, order, axis=1)
            found[start : start + len(block)] = ids[np.take_along_axis(top, order, axis=1)]
        return scores, found

    def vectors(self, ids) -> np.ndarray:
        """The stored vectors of ``ids`` (each must be present)."""
        keys = _as_ids(ids)
        if not len(keys):
            return np.zeros((0, self.dimension), np.float32)
        return self._index.reconstruct_batch(keys)  # IDMap2 and the IVF direct map both look ids up

    def ids(self) -> np.ndarray:
        """Every id held, in no particular order."""
        if self.kind == FLAT:
            return faiss.vector_to_array(self._index.id_map).astype(np.int64)
        invlists = self._index.invlists
        parts = [
            faiss.rev_swig_ptr(invlists.get_ids(i), invlists.list_size(i)).copy()
            for i in range(self._index.nlist)
            if invlists.list_size(i)
        ]
        return np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, np.int64)

    def fit(self) -> bool:
        """Switch index type if the size now calls for another; True when it rebuilt."""
        n = self.count()
        if self.kind == FLAT and n > self.flat_limit:
            target, reason = IVF, f"{n} vectors > {self.flat_limit}: exact -> IVF"
        elif self.kind == IVF and n < self.flat_limit // 2:
            target, reason = FLAT, f"{n} vectors < {self.flat_limit // 2}: IVF -> exact"
        elif self.kind == IVF and n > RETRAIN_GROWTH * max(self._trained_for, 1):
            target, reason = IVF, f"{n} vectors, trained for {self._trained_for}: retraining IVF"
        else:
            return False
        log.info("dense index: %s", reason)
        ids = self.ids()
        vectors = self.vectors(ids)
        self._index = self._ivf(vectors) if target == IVF else self._flat()
        self._trained_for = n if target == IVF else 0
        self.add(vectors, ids)
        return True

    def save(self, path: Path) -> None:
        faiss.write_index(self._index, str(path))

    @classmethod
    def load(cls, path: Path, dimension: int | None = None, *, flat_limit: int | None = None) -> VectorIndex:
        index = faiss.read_index(str(path))
        if isinstance(index, faiss.IndexIVF):
            # A hash-table direct map is saved with the index; older files may lack one.
            if index.direct_map.type != faiss.DirectMap.Hashtable:
                index.set_direct_map_type(faiss.DirectMap.Hashtable)
            index.nprobe = probes_for(index.nlist)  # an index saved with fewer probes gets today's recall
        elif not isinstance(index, faiss.IndexIDMap2):
            raise ValueError(f"{path} holds a {type(index).__name__}, not an index this version writes")
        return cls(dimension or index.d, flat_limit=flat_limit, _index=index)
