from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from index.embedder import Embedder, FakeEmbedder
from index.onnx_export import OnnxExporter
from newsqa.errors import InvalidInput

SENTENCES = [
    "The state senate passed the Clean Harbors Act on Sunday after an all-night session.",
    "Lena Marsh said it's not a sure thing that she'll be healthy enough to play her semifinal.",
    "Heavy rain flooded parts of Pakistan, displacing millions of people.",
    "short",
    "A much longer passage about the economy. " * 40,
]


class TestEmbedder:
    def test_shape_norm_and_identity(self, real_embedder: Embedder) -> None:
        vectors = real_embedder.embed_texts(SENTENCES)
        assert vectors.shape == (len(SENTENCES), 384)
        assert vectors.dtype == np.float32
        np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
        assert real_embedder.dim == 384
        assert real_embedder.max_tokens == 254
        assert real_embedder.model_id.endswith("@torch")

    def test_rows_keep_input_order(self, real_embedder: Embedder) -> None:
        forward = real_embedder.embed_texts(SENTENCES)
        backward = real_embedder.embed_texts(SENTENCES[::-1])
        np.testing.assert_allclose(forward, backward[::-1], atol=1e-5)

    def test_query_matches_related_text(self, real_embedder: Embedder) -> None:
        vectors = real_embedder.embed_texts(SENTENCES[:3])
        query = real_embedder.embed_query("Which tennis player had an injury?")
        assert int(np.argmax(vectors @ query)) == 1

    def test_token_counting_and_offsets(self, real_embedder: Embedder) -> None:
        text = "Unbelievably, the U.S. won."
        offsets = real_embedder.token_offsets(text)
        assert real_embedder.count_tokens(text) == len(offsets) > 5
        assert all(0 <= a < b <= len(text) for a, b in offsets)
        assert real_embedder.tokenizer is not None
        assert real_embedder.count_tokens_batch([text, "a"]) == [len(offsets), 1]

    def test_onnx_fp32_matches_torch(self, real_embedder: Embedder, onnx_embedder: Embedder) -> None:
        torch_vectors = real_embedder.embed_texts(SENTENCES)
        onnx_vectors = onnx_embedder.embed_texts(SENTENCES)
        cosines = (torch_vectors * onnx_vectors).sum(axis=1)
        assert cosines.min() >= 0.9999  # the same fp32 weights, fused ops
        assert onnx_embedder.model_id != real_embedder.model_id
        assert onnx_embedder.batch_size == 8 and real_embedder.batch_size == 32

    def test_onnx_query_session_gives_the_batch_vectors(self, int8_embedder: Embedder) -> None:
        # Queries run on their own non-spinning session of the same graph.
        for text in SENTENCES:
            assert np.allclose(
                int8_embedder.embed_query(text), int8_embedder.embed_texts([text])[0], atol=1e-6
            )
        assert int8_embedder._query_session is not int8_embedder._batch_session

    def test_onnx_int8_stays_close_to_fp32(self, real_embedder: Embedder, int8_embedder: Embedder) -> None:
        torch_vectors = real_embedder.embed_texts(SENTENCES)
        int8_vectors = int8_embedder.embed_texts(SENTENCES)
        cosines = (torch_vectors * int8_vectors).sum(axis=1)
        assert 0.97 <= cosines.min() < 0.9999  # quantized: close, not identical
        assert int8_embedder.model_id.endswith("@onnx-int8")
        queries = int8_embedder.embed_texts(["Which tennis player had an injury?"])[0]
        assert int(np.argmax(int8_vectors[:3] @ queries)) == 1

    def test_cache_returns_same_vectors_without_recomputing(
        self, tmp_path: Path, onnx_embedder: Embedder
    ) -> None:
        cached = Embedder(backend="onnx", cache_dir=tmp_path)
        first = cached.embed_texts(SENTENCES[:3])
        calls: list[int] = []
        original = cached._encode
        cached._encode = lambda texts: calls.append(len(texts)) or original(texts)  # type: ignore[method-assign]
        again = cached.embed_texts(SENTENCES[:3] + ["a new sentence"])
        np.testing.assert_allclose(again[:3], first, atol=1e-6)
        assert calls == [1]
        assert (tmp_path / "embeddings.sqlite").is_file()

    def test_rejects_bad_config(self) -> None:
        with pytest.raises(InvalidInput):
            Embedder(backend="tensorflow")  # type: ignore[arg-type]
        with pytest.raises(InvalidInput):
            Embedder(batch_size=0)

    @pytest.mark.parametrize("text", ["Who runs the \ud800 plant?", "\udfff"])
    def test_text_that_is_not_unicode_is_invalid_input(self, real_embedder: Embedder, text: str) -> None:
        """The tokenizer fails on a lone surrogate with a bare TypeError; the embedder names the problem."""
        for embedder in (real_embedder, FakeEmbedder()):
            with pytest.raises(InvalidInput, match="not valid Unicode text: a lone surrogate"):
                embedder.embed_query(text)
            with pytest.raises(InvalidInput, match="text 1 to embed is not valid Unicode"):
                embedder.embed_texts(["fine", text])


class TestOnnxExporter:
    def test_exports_once_and_reuses_the_files(self, tmp_path: Path, onnx_embedder: Embedder) -> None:
        exporter = OnnxExporter(tmp_path)
        folder = Path(onnx_embedder.model_path)
        first = exporter.model_file(folder, "fp32")
        assert first.is_file() and first.parent.parent == tmp_path
        stamp = first.stat().st_mtime_ns
        assert exporter.model_file(folder, "fp32") == first
        assert first.stat().st_mtime_ns == stamp
        assert not list(first.parent.glob("tmp*")), "no staging leftovers"

    def test_unwritable_export_dir_says_what_to_do(self, tmp_path: Path, onnx_embedder: Embedder) -> None:
        blocker = tmp_path / "file"
        blocker.write_text("not a folder")
        with pytest.raises(InvalidInput, match="NEWSQA_ONNX_EXPORT_DIR"):
            OnnxExporter(blocker / "onnx").model_file(Path(onnx_embedder.model_path), "fp32")

    def test_refuses_models_it_cannot_export(self, tmp_path: Path) -> None:
        folder = tmp_path / "gpt"
        folder.mkdir()
        (folder / "config.json").write_text(json.dumps({"model_type": "gpt2"}))
        with pytest.raises(InvalidInput, match="BERT"):
            OnnxExporter(tmp_path / "out").model_file(folder, "fp32")
        (folder / "config.json").write_text(
            json.dumps({"model_type": "bert", "num_attention_heads": 12, "hidden_size": 384})
        )
        with pytest.raises(InvalidInput, match="no weights"):
            OnnxExporter(tmp_path / "out").model_file(folder, "fp32")
        (folder / "1_Pooling").mkdir()
        (folder / "1_Pooling" / "config.json").write_text(json.dumps({"pooling_mode_cls_token": True}))
        with pytest.raises(InvalidInput, match="mean pooling"):
            OnnxExporter(tmp_path / "out").model_file(folder, "fp32")
        with pytest.raises(InvalidInput, match="precision"):
            OnnxExporter(tmp_path / "out").model_file(folder, "fp16")  # type: ignore[arg-type]


class TestFakeEmbedder:
    def test_deterministic_unit_vectors(self) -> None:
        a, b = FakeEmbedder(dim=32), FakeEmbedder(dim=32)
        va, vb = a.embed_texts(SENTENCES), b.embed_texts(SENTENCES)
        np.testing.assert_array_equal(va, vb)
        np.testing.assert_allclose(np.linalg.norm(va, axis=1), 1.0, atol=1e-5)

    def test_shared_words_give_higher_cosine(self) -> None:
        fake = FakeEmbedder(dim=256)
        query = fake.embed_query("Marsh injury Open semifinal")
        vectors = fake.embed_texts(["Marsh has an injury before the Open semifinal", "Pakistan floods rain"])
        assert vectors[0] @ query > vectors[1] @ query

    def test_token_interface(self) -> None:
        fake = FakeEmbedder()
        assert fake.count_tokens("Hello, world!") == 4
        assert fake.token_offsets("Hi there") == [(0, 2), (3, 8)]
