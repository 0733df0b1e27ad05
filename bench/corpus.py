"""The benchmark corpora: the bundled one, a larger one derived from it, one extra article, the questions.

The derived corpus recombines sentences of the bundled paragraphs (two or three
from different paragraphs, plus a numbered dateline) so its paragraphs are
distinct, not near copies, and crisisbot's de-duplication keeps them all.  The
same texts go to every system.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from index.config import BUNDLED_CORPUS
from index.eval import question_texts
from index.ingest import load
from index.text import split_sentences

ROOT = Path(__file__).resolve().parent.parent
DEV_SET = ROOT / "tests" / "eval" / "dev.jsonl"
CITIES = ["Kyiv", "Moscow", "Brussels", "Washington", "London", "Munich", "Donetsk", "Kharkiv", "Minsk", "Warsaw"]


def bundled_documents():
    return load([BUNDLED_CORPUS]).documents


def bundled_paragraphs() -> list[dict]:
    """Every paragraph of the bundled corpus as {text, title, url, date}."""
    return [
        {"text": p, "title": d.title, "url": d.url or "", "date": d.date or ""}
        for d in bundled_documents()
        for p in d.paragraphs
    ]


def derived_articles(paragraph_count: int, *, per_article: int = 50, seed: int = 0) -> list[dict]:
    """``paragraph_count`` new paragraphs in articles of ``per_article``, as JSONL-ready dicts."""
    rng = random.Random(seed)
    sentences = [s for p in bundled_paragraphs() for s in split_sentences(p["text"]) if len(s) >= 30]
    articles = []
    n = 0
    while n < paragraph_count:
        a = len(articles)
        size = min(per_article, paragraph_count - n)
        paragraphs = []
        for i in range(size):
            picked = rng.sample(sentences, rng.choice((2, 3)))
            city = rng.choice(CITIES)
            paragraphs.append(f"({city}, report {a}-{i}) " + " ".join(picked))
        articles.append(
            {
                "id": f"derived-{seed}-{a}",
                "title": f"Ukraine crisis roundup {seed}-{a}",
                "date": f"2022-02-{1 + a % 28:02d}",
                "url": f"https://example.org/roundup/{seed}/{a}",
                "outlet": "Bench Wire",
                "text": "\n\n".join(paragraphs),
            }
        )
        n += size
    return articles


def article_paragraphs(article: dict) -> list[str]:
    return article["text"].split("\n\n")


def write_jsonl(articles: list[dict], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(a) + "\n" for a in articles), encoding="utf-8")
    return path


def questions() -> list[str]:
    return question_texts(DEV_SET)
