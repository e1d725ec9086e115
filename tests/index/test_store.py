from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from index.chunker import SentenceChunker
from index.embedder import FakeEmbedder
from index.store import ArticleStore, ArticleWrite, filters_where
from newsqa.errors import InvalidInput, NotFound
from newsqa.types import Article, Filters, published_timestamp
from tests.index.conftest import WriteParts

MARSH = (
    "Lena Marsh said it is not a sure thing that she will be healthy enough to play Ada Brook. "
    "Marsh had back pain and needed a medical timeout in the second set. "
    "The Canadian had battled through foot pain to win her first major title in June."
)
FLOODS = (
    "Heavy monsoon rain flooded large parts of Pakistan. Millions of people were displaced. "
    "The government asked for international aid as the floods destroyed crops and homes."
)
SENATE = (
    "The state senate passed the school meals bill on Sunday. The vote was 26 to 25. "
    "Lieutenant Governor Rosa Delgado cast the tie-breaking vote after an all-night session."
)


def _write(store: ArticleStore, chunker: SentenceChunker, embedder: FakeEmbedder, article: Article) -> None:
    chunks = chunker.chunk(article)
    store.write_article(
        article, chunks, embedder.embed_texts([c.text for c in chunks]), signature="sig-" + article.id
    )


@pytest.fixture
def filled(
    fake_store: ArticleStore,
    fake_chunker: SentenceChunker,
    fake_embedder: FakeEmbedder,
    make_test_article: Callable[..., Article],
) -> ArticleStore:
    for aid, text, source, published in [
        ("marsh", MARSH, "cnn.com", "2022-07-06"),
        ("floods", FLOODS, "usatoday.com", "2022-08-30"),
        ("senate", SENATE, "cnn.com", None),
    ]:
        article = make_test_article(id=aid, text=text, source=source, published=published, title=aid.upper())
        _write(fake_store, fake_chunker, fake_embedder, article)
    return fake_store


def _chunk_records(store: ArticleStore) -> dict[str, dict]:
    got = store._chunks_col.get(include=["metadatas"])
    return dict(zip(got["ids"], got["metadatas"], strict=True))


class TestArticleStore:
    def test_write_then_read_back(self, filled: ArticleStore) -> None:
        article = filled.get_article("marsh")
        assert article is not None and article.text == MARSH and article.source == "cnn.com"
        assert article.published == "2022-07-06" and article.title == "MARSH"
        assert filled.has_article("marsh") == article.content_hash
        assert filled.has_article("missing") is None
        chunks = filled.get_chunks("marsh")
        assert [c.n for c in chunks] == list(range(len(chunks)))
        assert all(c.text == MARSH[c.start : c.end] for c in chunks)
        assert filled.get_chunk_texts([chunks[0].id]) == {chunks[0].id: chunks[0].text}
        assert filled.signatures() == {"marsh": "sig-marsh", "floods": "sig-floods", "senate": "sig-senate"}

    def test_get_articles_in_one_call(self, filled: ArticleStore) -> None:
        got = filled.get_articles(["marsh", "missing", "floods", "marsh"])
        assert set(got) == {"marsh", "floods"}
        assert got["floods"].text == FLOODS and got["marsh"].source == "cnn.com"
        assert filled.get_articles([]) == {}

    def test_list_stats_and_filters(self, filled: ArticleStore) -> None:
        assert [a["id"] for a in filled.list_articles()] == ["floods", "marsh", "senate"]
        assert [a["id"] for a in filled.list_articles(sources=["cnn.com"])] == ["marsh", "senate"]
        assert [
            a["id"] for a in filled.list_articles(published_from="2022-07-06", published_to="2022-07-06")
        ] == ["marsh"]
        assert [a["id"] for a in filled.list_articles(limit=1, offset=1)] == ["marsh"]
        stats = filled.stats()
        assert stats["articles"] == 3 and stats["sources"] == {"cnn.com": 2, "usatoday.com": 1}
        assert stats["published_min"] == "2022-07-06" and stats["published_max"] == "2022-08-30"
        assert stats["chunks"] == filled._chunks_col.count()

    def test_dense_search_scores_and_chroma_filters(
        self, filled: ArticleStore, fake_embedder: FakeEmbedder
    ) -> None:
        query = fake_embedder.embed_query("Marsh back pain medical timeout")
        hits = filled.dense_search(query, k=3)
        assert hits and hits[0].chunk.article_id == "marsh"
        assert hits[0].scores["dense"] == pytest.approx(hits[0].score)
        assert -1.0 <= hits[-1].score <= hits[0].score <= 1.0
        only_usa = filled.dense_search(query, k=10, filters=Filters(sources=["usatoday.com"]))
        assert only_usa and {h.chunk.article_id for h in only_usa} == {"floods"}
        august = filled.dense_search(
            query, k=10, filters=Filters(published_from="2022-08-01", published_to="2022-08-30")
        )
        assert {h.chunk.article_id for h in august} == {"floods"}

    @pytest.mark.parametrize(
        "filters",
        [
            Filters(published_to="2022-08-30"),  # passed by most chunks: filtered after the query
            Filters(sources=["cnn.com"]),
            Filters(sources=["usatoday.com"]),  # passed by few: filtered inside Chroma
            Filters(published_from="2022-07-01", published_to="2022-07-31"),
        ],
    )
    @pytest.mark.parametrize(
        ("max_overfetch", "max_id_filter"),
        [
            (1000, 50_000),  # post-filtered over-fetch
            (1, 50_000),  # too few results: Chroma searches the passing chunks by id
            (1, 0),  # too many passing ids: a where clause
        ],
    )
    def test_post_filtering_matches_the_chroma_where_clause(
        self,
        filled: ArticleStore,
        fake_embedder: FakeEmbedder,
        filters: Filters,
        max_overfetch: int,
        max_id_filter: int,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        monkeypatch.setattr("index.store._MAX_OVERFETCH", max_overfetch)
        monkeypatch.setattr("index.store._MAX_ID_FILTER", max_id_filter)
        query = fake_embedder.embed_query("vote pain floods")
        inside = filled._dense_query(query.tolist(), 10, filters_where(filters), 10, None)[0]
        got = filled.dense_search(query, k=10, filters=filters)
        assert [h.chunk.id for h in got] == [h.chunk.id for h in inside]
        assert got, "each filter matches something"

    def test_id_filtered_search_falls_back_when_chroma_lacks_an_id(
        self, filled: ArticleStore, fake_embedder: FakeEmbedder, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr("index.store._MAX_OVERFETCH", 1)
        filters = Filters(sources=["usatoday.com"])
        real = filled._lexical.chunk_ids
        monkeypatch.setattr(filled._lexical, "chunk_ids", lambda **kw: [*real(**kw), "deleted-elsewhere:v:0"])
        query = fake_embedder.embed_query("vote pain floods")
        inside = filled._dense_query(query.tolist(), 10, filters_where(filters), 10, None)[0]
        got = filled.dense_search(query, k=10, filters=filters)
        assert got and [h.chunk.id for h in got] == [h.chunk.id for h in inside]

    def test_filters_become_a_where_clause(self) -> None:
        where = filters_where(Filters(sources=["a.com"], published_to="2022-01-01"))
        assert where == {
            "$and": [
                {"source": {"$in": ["a.com"]}},
                {"published_ts": {"$lte": published_timestamp("2022-01-02") - 1}},
            ]
        }
        assert filters_where(Filters()) is None
        with pytest.raises(InvalidInput):
            filters_where(Filters(published_from="last week"))

    def test_update_replaces_every_chunk(
        self,
        filled: ArticleStore,
        write_parts: WriteParts,
    ) -> None:
        old_ids = {c.id for c in filled.get_chunks("marsh")}
        new = write_parts.article(
            id="marsh", text="Marsh withdrew from the tournament with a torn muscle. " * 3, source="cnn.com"
        )
        _write(filled, write_parts.chunker, write_parts.embedder, new)
        stored = _chunk_records(filled)
        assert not old_ids & set(stored)
        assert {m["version"] for m in stored.values() if m["article_id"] == "marsh"} == {new.content_hash}
        assert filled.get_article("marsh").text == new.text  # type: ignore[union-attr]
        lexical_ids = {h.chunk.id for h in filled.lexical_search("back pain Canadian torn muscle", k=20)}
        assert lexical_ids and not lexical_ids & old_ids

    def test_delete_removes_article_chunks_and_lexical(self, filled: ArticleStore) -> None:
        assert filled.delete_article("floods") is True
        assert filled.get_article("floods") is None
        assert all(m["article_id"] != "floods" for m in _chunk_records(filled).values())
        assert filled.lexical_search("monsoon Pakistan floods", k=5) == []
        assert filled.delete_article("floods") is False

    def test_reprints_are_linked_once(self, filled: ArticleStore) -> None:
        reprint = {"id": "copy1", "source": "yahoo.com", "url": "https://yahoo.com/x", "title": "Copy"}
        filled.add_reprint("marsh", reprint)
        filled.add_reprint("marsh", reprint)
        assert filled.get_article("marsh").also_reported_by == [reprint]  # type: ignore[union-attr]
        assert filled.list_articles(sources=["cnn.com"])[0]["also_reported_by"] == [reprint]
        with pytest.raises(NotFound):
            filled.add_reprint("missing", reprint)

    def test_orphan_chunks_are_invisible_and_repaired(
        self,
        filled: ArticleStore,
        write_parts: WriteParts,
    ) -> None:
        # Simulate a crash after the chunks of a new article were written, before its record.
        ghost = write_parts.article(id="ghost", text="Marsh ghost chunk about back pain and timeouts. " * 3)
        chunks = write_parts.chunker.chunk(ghost)
        nodes = [
            filled._node(ghost, ghost.content_hash, c, v)
            for c, v in zip(chunks, write_parts.embedder.embed_texts([c.text for c in chunks]), strict=True)
        ]
        filled.vector_store.add(nodes)
        hits = filled.dense_search(write_parts.embedder.embed_query(chunks[0].text), k=5)
        assert hits and all(h.chunk.article_id != "ghost" for h in hits)
        assert filled.repair() == len(chunks)
        assert filled.repair() == 0
        assert all(m["article_id"] != "ghost" for m in _chunk_records(filled).values())

    def test_reopen_sees_everything_and_checks_the_model(self, filled: ArticleStore) -> None:
        again = ArticleStore(filled.data_dir, filled.dim, model_id=filled.model_id)
        assert again.stats() == filled.stats()
        assert again.lexical_search("monsoon", k=1)[0].chunk.article_id == "floods"
        with pytest.raises(InvalidInput, match="model"):
            ArticleStore(filled.data_dir, filled.dim, model_id="other-model@torch")
        with pytest.raises(InvalidInput, match="-d"):
            ArticleStore(filled.data_dir, filled.dim + 1, model_id=filled.model_id)

    def test_rejects_inconsistent_writes(
        self,
        fake_store: ArticleStore,
        fake_chunker: SentenceChunker,
        make_test_article: Callable[..., Article],
    ) -> None:
        article = make_test_article(id="a", text=MARSH)
        chunks = fake_chunker.chunk(article)
        with pytest.raises(InvalidInput, match="shape"):
            fake_store.write_article(article, chunks, np.zeros((len(chunks), 5), dtype=np.float32))
        with pytest.raises(InvalidInput, match="no chunks"):
            fake_store.write_article(article, [], np.zeros((0, 32), dtype=np.float32))
        assert fake_store.has_article("a") is None

    def test_write_articles_commits_many_in_few_calls(
        self,
        fake_store: ArticleStore,
        write_parts: WriteParts,
    ) -> None:
        articles = [write_parts.article(id=aid, text=text) for aid, text in [("n", MARSH), ("f", FLOODS)]]
        writes = []
        for a in articles:
            chunks = write_parts.chunker.chunk(a)
            writes.append(ArticleWrite(a, chunks, write_parts.embedder.embed_texts([c.text for c in chunks])))
        calls: list[int] = []
        upsert = fake_store._articles_col.upsert
        fake_store._articles_col.upsert = lambda **kw: calls.append(len(kw["ids"])) or upsert(**kw)
        fake_store.write_articles(writes)
        assert calls == [2]  # one commit for both
        assert set(fake_store.versions()) == {"n", "f"}
        for w in writes:
            assert [c.id for c in fake_store.get_chunks(w.article.id)] == [c.id for c in w.chunks]
        assert fake_store.lexical_search("monsoon Pakistan", k=1)[0].chunk.article_id == "f"

        bad = ArticleWrite(write_parts.article(id="s", text=SENATE), writes[0].chunks, writes[0].embeddings)
        with pytest.raises(InvalidInput, match="does not belong"):
            fake_store.write_articles([bad])
        with pytest.raises(InvalidInput, match="twice"):
            fake_store.write_articles([writes[0], writes[0]])
        assert set(fake_store.versions()) == {"n", "f"}

    def test_vector_store_is_usable_by_llama_index(
        self, filled: ArticleStore, fake_embedder: FakeEmbedder
    ) -> None:
        from llama_index.core.vector_stores.types import VectorStoreQuery

        result = filled.vector_store.query(
            VectorStoreQuery(
                query_embedding=fake_embedder.embed_query("Senate vote").tolist(), similarity_top_k=2
            )
        )
        assert len(result.nodes) == 2
        assert {"article_id", "version", "published_ts"} <= set(result.nodes[0].metadata)
        assert result.nodes[0].ref_doc_id == result.nodes[0].metadata["article_id"]


class TestRealModel:
    def test_dense_search_finds_the_right_article(
        self, tmp_path: Path, real_embedder, make_test_article: Callable[..., Article]
    ) -> None:
        store = ArticleStore(tmp_path, real_embedder.dim, model_id=real_embedder.model_id)
        chunker = SentenceChunker(real_embedder, chunk_tokens=64, overlap_tokens=16)
        for aid, text in [("marsh", MARSH), ("floods", FLOODS), ("senate", SENATE)]:
            article = make_test_article(id=aid, text=text)
            chunks = chunker.chunk(article)
            store.write_article(article, chunks, real_embedder.embed_texts([c.text for c in chunks]))
        hits = store.dense_search(real_embedder.embed_query("Who cast the deciding vote on the bill?"), k=1)
        assert hits[0].chunk.article_id == "senate" and hits[0].score > 0.3


@pytest.fixture
def chroma_server(tmp_path: Path):
    """A real `chroma run` server on a free port; yields its URL and stops it afterwards."""
    import os
    import socket
    import subprocess
    import sys
    import time

    import httpx

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    chroma = Path(sys.executable).parent / "chroma"
    if not chroma.is_file():
        pytest.skip("the chroma CLI is not installed")
    proc = subprocess.Popen(
        [str(chroma), "run", "--path", str(tmp_path / "server"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=dict(os.environ, ANONYMIZED_TELEMETRY="False"),
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/api/v2/heartbeat", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail("chroma server did not start")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)


class TestChromaServer:
    def test_second_store_sees_writes_after_refresh(
        self,
        tmp_path: Path,
        chroma_server: str,
        fake_embedder: FakeEmbedder,
        fake_chunker: SentenceChunker,
        make_test_article: Callable[..., Article],
    ) -> None:
        writer = ArticleStore(
            tmp_path / "a", fake_embedder.dim, chroma_url=chroma_server, model_id=fake_embedder.model_id
        )
        reader = ArticleStore(
            tmp_path / "b",
            fake_embedder.dim,
            chroma_url=chroma_server,
            model_id=fake_embedder.model_id,
            sync_interval_s=3600,
        )
        assert reader.stats()["articles"] == 0
        _write(
            writer, fake_chunker, fake_embedder, make_test_article(id="floods", text=FLOODS, source="x.com")
        )
        assert reader.lexical_search("monsoon", k=1) == []  # not yet synced
        assert reader.refresh() is True
        assert reader.refresh() is False
        assert reader.has_article("floods") == writer.has_article("floods")
        assert reader.lexical_search("monsoon", k=1)[0].chunk.article_id == "floods"
        assert reader.dense_search(fake_embedder.embed_query(FLOODS), k=1)[0].chunk.article_id == "floods"
        # Automatic sync on search once the interval has passed.
        reader.sync_interval_s = 0.0
        writer.delete_article("floods")
        assert reader.lexical_search("monsoon", k=1) == []
        assert reader.stats()["articles"] == 0


def test_equal_vectors_come_back_in_one_order(
    fake_store: ArticleStore,
    fake_chunker: SentenceChunker,
    fake_embedder: FakeEmbedder,
    make_test_article: Callable[..., Article],
) -> None:
    # Wire reprints: one text under three ids, so three chunks with the same vector tie exactly.
    for aid in ("reprint-b", "reprint-c", "reprint-a"):
        article = make_test_article(
            id=aid, text=SENATE, source="cnn.com", published="2022-08-30", title="Vote"
        )
        _write(fake_store, fake_chunker, fake_embedder, article)
    first = fake_store.get_chunks("reprint-a")[0]
    hits = fake_store.dense_search(np.asarray(fake_embedder.embed_query(first.text)), 3)
    assert len({round(h.score, 6) for h in hits}) == 1
    assert [h.chunk.id for h in hits] == sorted(h.chunk.id for h in hits)


def test_dense_search_explores_wide_also_in_a_store_made_with_chromas_default(
    tmp_path: Path, fake_embedder: FakeEmbedder
) -> None:
    from index.chroma_collections import HNSW_EF_SEARCH

    store = ArticleStore(tmp_path / "data", fake_embedder.dim, model_id=fake_embedder.model_id)
    assert store._collections.chunks.configuration_json["hnsw"]["ef_search"] == HNSW_EF_SEARCH
    store._collections.chunks.modify(configuration={"hnsw": {"ef_search": 100}})  # as Chroma makes it
    again = ArticleStore(tmp_path / "data", fake_embedder.dim, model_id=fake_embedder.model_id)
    assert again._collections.chunks.configuration_json["hnsw"]["ef_search"] == HNSW_EF_SEARCH
