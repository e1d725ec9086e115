from __future__ import annotations

from pathlib import Path

import pytest

from eval.baselines import LlamaIndexBaseline, build_config, make_llamaindex_embedding
from index.embedder import FakeEmbedder
from newsqa.errors import InvalidInput
from newsqa.settings import Settings
from newsqa.types import Article

ARTICLES = [
    Article(
        id="strike", title="", text="The US drone strike hit an ISIS-K planner in Nangarhar province. " * 3
    ),
    Article(id="cat", title="", text="Biscuit the Maine Coon cat from Ohio measures 41.5 inches long. " * 3),
]


class TestLlamaIndexEmbedding:
    def test_adapter_returns_our_vectors(self) -> None:
        embedder = FakeEmbedder(dim=16)
        adapter = make_llamaindex_embedding(embedder)
        assert adapter.get_query_embedding("drone strike") == pytest.approx(
            [float(x) for x in embedder.embed_query("drone strike")]
        )
        assert len(adapter.get_text_embedding_batch(["a", "b"])) == 2


class TestLlamaIndexBaseline:
    def test_retrieves_article_ids_and_reuses_built_collection(self, tmp_path: Path) -> None:
        folder = tmp_path / "llamaindex"
        baseline = LlamaIndexBaseline(FakeEmbedder(dim=64), folder, ARTICLES, top_k=2)
        answer = baseline.ask("Which cat from Ohio measures 41.5 inches?", as_of="2022-10-07")
        assert answer.retrieved is not None and answer.retrieved[0].chunk.article_id == "cat"
        assert answer.answer == "" and not answer.citations
        assert (folder / LlamaIndexBaseline.marker_name).is_file()
        assert baseline.chunk_size == 1024
        # Rebuilt from the persisted collection: no articles needed the second time.
        reused = LlamaIndexBaseline(FakeEmbedder(dim=64), folder, [], top_k=2)
        hits = reused.ask("drone strike in Nangarhar").retrieved
        assert hits is not None and hits[0].chunk.article_id == "strike"


class TestBuildConfig:
    def test_unknown_name(self, tmp_path: Path) -> None:
        with pytest.raises(InvalidInput, match="unknown eval config 'nope'"):
            build_config("nope", Settings(data_dir=tmp_path), index_dir=tmp_path, articles=[])
