"""api.application over fake services: routes, the error shape, keys, limits and uploads (no model loaded)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.application import create_app
from api.security import ApiKeyChecker, RateLimitExceeded, TokenBucketLimiter, Unauthorized, UploadSpool
from newsqa.settings import Settings
from tests.api.api_fakes import FakeAnswerer, FakeIngestor, FakeStore, fake_services


def make_client(tmp_path: Path, **settings: Any) -> tuple[TestClient, Any]:
    services = fake_services(tmp_path)
    app = create_app(Settings(data_dir=tmp_path / "data", **settings), services=services)
    return TestClient(app, raise_server_exceptions=False), services


@pytest.fixture
def client(tmp_path: Path) -> TestClient:
    return make_client(tmp_path)[0]


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and body["error"]["code"] == code and body["error"]["message"]
    return body


def sse_events(text: str) -> list[tuple[str, Any]]:
    events = []
    for block in text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines())
        events.append((lines["event"], json.loads(lines["data"])))
    return events


class TestAsk:
    def test_answer_shape_with_citation(self, client: TestClient) -> None:
        response = client.post("/ask", json={"question": "Where did the drone strike happen?"})
        assert response.status_code == 200
        body = response.json()
        assert body["abstained"] is False
        citation = body["citations"][0]
        assert citation["n"] == 1 and citation["article_id"] == "drone1"
        assert set(body) >= {"answer", "citations", "related", "query", "timings_ms"}

    def test_passes_every_option_to_the_answerer(self, tmp_path: Path) -> None:
        client, services = make_client(tmp_path)
        body = {
            "question": "drone?",
            "history": [{"role": "user", "content": "hi"}],
            "top_k": 3,
            "filters": {"sources": ["dawn.com"], "published_from": "2021-08-01"},
            "as_of": "2021-09-01",
            "choices": ["a", "b"],
            "mode": "generative",
            "debug": True,
        }
        assert client.post("/ask", json=body).status_code == 200
        call = services.answerer.calls[-1]
        assert call["history"] == [{"role": "user", "content": "hi"}]
        assert call["filters"].sources == ["dawn.com"] and call["filters"].published_from == "2021-08-01"
        assert (call["top_k"], call["as_of"], call["choices"], call["mode"], call["debug"]) == (
            3,
            "2021-09-01",
            ["a", "b"],
            "generative",
            True,
        )

    def test_abstention(self, client: TestClient) -> None:
        body = client.post("/ask", json={"question": "Who won Wimbledon?"}).json()
        assert body["abstained"] is True and body["citations"] == []

    def test_question_over_the_limit_is_400(self, tmp_path: Path) -> None:
        client, _ = make_client(tmp_path, max_question_chars=20)
        assert_error(client.post("/ask", json={"question": "x" * 21}), 400, "invalid_input")

    @pytest.mark.parametrize(
        "body",
        [
            {},
            {"question": ""},
            {"question": "q", "as_of": "yesterday"},
            {"question": "q", "mode": "poetry"},
            {"question": "q", "unknown": 1},
            {"question": "q", "top_k": 0},
        ],
    )
    def test_invalid_bodies_are_422_in_the_error_shape(
        self, client: TestClient, body: dict[str, Any]
    ) -> None:
        assert_error(client.post("/ask", json=body), 422, "validation_error")

    def test_malformed_json_is_422(self, client: TestClient) -> None:
        response = client.post("/ask", content=b"{not json", headers={"content-type": "application/json"})
        assert_error(response, 422, "validation_error")

    def test_newsqa_errors_keep_their_status(self, client: TestClient) -> None:
        body = assert_error(client.post("/ask", json={"question": "invalid! please"}), 400, "invalid_input")
        assert "refuses" in body["error"]["message"]

    def test_unexpected_errors_are_500_without_details(self, client: TestClient) -> None:
        response = client.post("/ask", json={"question": "crash! now"})
        assert_error(response, 500, "internal_error")
        assert "secret" not in response.text and "Traceback" not in response.text


class TestAskStream:
    def test_tokens_then_citations_then_answer(self, client: TestClient) -> None:
        response = client.post("/ask/stream", json={"question": "Where did the drone strike happen?"})
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        events = sse_events(response.text)
        names = [name for name, _ in events]
        assert names[-2:] == ["citations", "answer"] and set(names[:-2]) == {"token"}
        final = events[-1][1]
        assert "".join(data for name, data in events if name == "token") == final["answer"]
        assert events[-2][1] == final["citations"]

    def test_errors_before_the_first_event_get_a_status(self, client: TestClient) -> None:
        assert_error(client.post("/ask/stream", json={"question": "invalid! x"}), 400, "invalid_input")


class TestErrors:
    def test_unknown_route_is_404_in_the_error_shape(self, client: TestClient) -> None:
        assert_error(client.get("/no/such/route"), 404, "not_found")

    def test_wrong_method_is_405(self, client: TestClient) -> None:
        assert_error(client.get("/ask"), 405, "method_not_allowed")

    def test_openapi_docs(self, client: TestClient) -> None:
        assert client.get("/docs").status_code == 200 and client.get("/redoc").status_code == 200
        spec = client.get("/openapi.json").json()
        assert {"/ask", "/ask/stream", "/v1/chat/completions", "/articles", "/articles/{article_id}"} <= set(
            spec["paths"]
        )
        assert "IngestRequest" in spec["components"]["schemas"]


class TestArticles:
    def test_add_json_articles_then_get_list_delete(self, tmp_path: Path) -> None:
        client, services = make_client(tmp_path)
        article = {
            "text": "Floods hit Karachi on Monday.",
            "title": "Floods",
            "source": "dawn.com",
            "published": "2022-08-01",
            "id": "flood1",
        }
        summary = client.post("/articles", json={"articles": [article]}).json()
        assert summary["added"] == 1 and summary["items"][0]["id"] == "flood1"
        got = client.get("/articles/flood1").json()
        assert got["text"] == article["text"] and got["published"] == "2022-08-01"
        page = client.get("/articles", params={"limit": 1}).json()
        assert [a["id"] for a in page["articles"]] == ["flood1"] and page["next_offset"] == 1
        assert (
            client.get("/articles", params={"limit": 1, "offset": 1}).json()["articles"][0]["id"] == "drone1"
        )
        assert client.delete("/articles/flood1").json() == {"deleted": "flood1"}
        assert_error(client.get("/articles/flood1"), 404, "not_found")
        assert_error(client.delete("/articles/flood1"), 404, "not_found")

    def test_list_filters(self, client: TestClient) -> None:
        assert len(client.get("/articles", params={"source": "dawn.com"}).json()["articles"]) == 1
        assert client.get("/articles", params={"source": "cnn.com"}).json()["articles"] == []
        assert client.get("/articles", params={"published_from": "2022-01-01"}).json()["articles"] == []
        assert_error(client.get("/articles", params={"published_to": "soon"}), 422, "validation_error")
        assert_error(client.get("/articles", params={"limit": 0}), 422, "validation_error")

    def test_urls_go_to_the_ingestor(self, tmp_path: Path) -> None:
        client, services = make_client(tmp_path)
        summary = client.post("/articles", json={"urls": ["https://example.com/a"]}).json()
        assert services.ingestor.ingested_paths == ["https://example.com/a"] and len(summary["failed"]) == 1

    @pytest.mark.parametrize("body", [{"urls": ["file:///etc/passwd"]}, {"articles": [{"title": "no text"}]}])
    def test_bad_ingest_bodies_are_422(self, client: TestClient, body: dict[str, Any]) -> None:
        assert_error(client.post("/articles", json=body), 422, "validation_error")

    def test_empty_ingest_is_400(self, client: TestClient) -> None:
        assert_error(client.post("/articles", json={}), 400, "invalid_input")

    @pytest.mark.parametrize(
        "name", ["../../etc/passwd", "/etc/passwd", "..\\..\\evil.html", "a/../../b.txt"]
    )
    def test_uploads_stay_inside_the_upload_dir(self, tmp_path: Path, name: str) -> None:
        client, services = make_client(tmp_path)
        files = [("files", (name, b"Rain fell in Lahore on Tuesday.", "text/plain"))]
        response = client.post("/articles", files=files)
        assert response.status_code == 200 and response.json()["added"] == 1
        uploads = (tmp_path / "data" / "uploads").resolve()
        (saved,) = services.ingestor.ingested_paths
        assert Path(saved).resolve().is_relative_to(uploads) and ".." not in Path(saved).name
        assert services.ingestor.path_texts[saved] == "Rain fell in Lahore on Tuesday."
        assert list(uploads.iterdir()) == []  # the request's folder is removed afterwards
        assert not (tmp_path / "etc").exists()

    def test_upload_over_the_limit_is_413(self, tmp_path: Path) -> None:
        client, _ = make_client(tmp_path, max_upload_bytes=1000)
        files = [("files", ("big.txt", b"x" * 5000, "text/plain"))]
        assert_error(client.post("/articles", files=files), 413, "too_large")

    def test_text_fields_are_not_files(self, client: TestClient) -> None:
        assert_error(client.post("/articles", data={"files": "abc"}), 400, "invalid_input")


class TestBodyLimit:
    def test_declared_length_over_the_limit(self, tmp_path: Path) -> None:
        client, _ = make_client(tmp_path, max_body_bytes=100)
        assert_error(client.post("/ask", json={"question": "q" * 200}), 413, "too_large")

    def test_streamed_body_over_the_limit(self, tmp_path: Path) -> None:
        client, _ = make_client(tmp_path, max_body_bytes=100)
        chunks = iter([b'{"question": "', b"q" * 200, b'"}'])
        response = client.post("/ask", content=chunks, headers={"content-type": "application/json"})
        assert_error(response, 413, "too_large")


class TestApiKeys:
    def test_writes_need_a_key(self, tmp_path: Path) -> None:
        client, _ = make_client(tmp_path, api_keys=["k1", "k2"])
        body = {"articles": [{"text": "Some news."}]}
        response = client.post("/articles", json=body)
        assert_error(response, 401, "unauthorized")
        assert response.headers["www-authenticate"] == "Bearer"
        assert_error(
            client.post("/articles", json=body, headers={"Authorization": "Bearer nope"}), 401, "unauthorized"
        )
        assert_error(client.delete("/articles/drone1"), 401, "unauthorized")
        assert client.post("/articles", json=body, headers={"Authorization": "Bearer k2"}).status_code == 200
        assert client.get("/articles").status_code == 200
        assert client.post("/ask", json={"question": "drone?"}).status_code == 200

    def test_reads_need_a_key_when_configured(self, tmp_path: Path) -> None:
        client, _ = make_client(tmp_path, api_keys=["k1"], require_key_for_reads=True)
        assert_error(client.get("/articles"), 401, "unauthorized")
        assert_error(client.post("/ask", json={"question": "drone?"}), 401, "unauthorized")
        assert client.get("/stats", headers={"Authorization": "Bearer k1"}).status_code == 200
        assert client.get("/healthz").status_code == 200  # probes never need a key

    def test_checker_rejects_malformed_headers(self) -> None:
        checker = ApiKeyChecker(["k"], require_for_reads=False)
        assert checker.check(None, write=False) is None
        with pytest.raises(Unauthorized):
            checker.check("Basic k", write=True)
        assert checker.check("Bearer k", write=True) == "k"


class TestRateLimit:
    def test_third_question_in_a_minute_is_429_with_retry_after(self, tmp_path: Path) -> None:
        client, _ = make_client(tmp_path, rate_limit_per_minute=2)
        for _ in range(2):
            assert client.post("/ask", json={"question": "drone?"}).status_code == 200
        response = client.post(
            "/v1/chat/completions", json={"messages": [{"role": "user", "content": "drone?"}]}
        )
        assert_error(response, 429, "rate_limited")
        assert int(response.headers["retry-after"]) >= 1
        assert client.get("/articles").status_code == 200  # reads have buckets of their own

    def test_keys_get_their_own_buckets(self, tmp_path: Path) -> None:
        client, _ = make_client(tmp_path, rate_limit_per_minute=1, api_keys=["a", "b"])
        for key in ("a", "b"):
            headers = {"Authorization": f"Bearer {key}"}
            assert client.post("/ask", json={"question": "drone?"}, headers=headers).status_code == 200
        assert client.post("/ask", json={"question": "drone?"}, headers=headers).status_code == 429

    def test_bucket_refills_over_time(self) -> None:
        now = [0.0]
        limiter = TokenBucketLimiter(60, clock=lambda: now[0])
        for _ in range(60):
            limiter.acquire("c")
        with pytest.raises(RateLimitExceeded) as exc:
            limiter.acquire("c")
        assert exc.value.headers == {"Retry-After": "1"}
        now[0] = 1.0
        limiter.acquire("c")
        limiter.acquire("other")

    def test_zero_disables(self) -> None:
        limiter = TokenBucketLimiter(0)
        for _ in range(1000):
            limiter.acquire("c")


class TestHealth:
    def test_health_ready_stats(self, client: TestClient) -> None:
        assert client.get("/healthz").json() == {"status": "ok"}
        assert client.get("/readyz").json() == {"status": "ready", "articles": 1}
        stats = client.get("/stats").json()
        assert stats["articles"] == 1 and stats["llm_enabled"] is False

    def test_not_ready_when_the_store_is_down(self, tmp_path: Path) -> None:
        client, services = make_client(tmp_path)
        services.store.fail_stats = True
        assert_error(client.get("/readyz"), 503, "unavailable")

    def test_not_ready_before_services_load(self, tmp_path: Path) -> None:
        client = TestClient(create_app(Settings(data_dir=tmp_path)), raise_server_exceptions=False)
        assert_error(client.get("/readyz"), 503, "unavailable")
        assert_error(client.post("/ask", json={"question": "q"}), 503, "unavailable")
        assert client.get("/healthz").status_code == 200


class TestCors:
    def test_configured_origin_is_allowed(self, tmp_path: Path) -> None:
        client, _ = make_client(tmp_path, cors_origins=["https://news.example"])
        response = client.get("/healthz", headers={"Origin": "https://news.example"})
        assert response.headers["access-control-allow-origin"] == "https://news.example"
        other = client.get("/healthz", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers


class TestUploadSpool:
    @pytest.mark.parametrize(
        ("name", "suffix"),
        [
            ("../../etc/passwd", "_passwd"),
            ("/abs/page.HTML", "_page.html"),
            ("x.exe", "_x"),
            (None, "_upload"),
            ("..", "_upload"),
        ],
    )
    def test_safe_names(self, tmp_path: Path, name: str | None, suffix: str) -> None:
        spool = UploadSpool(tmp_path / "uploads")
        folder = spool.new_folder()
        path = spool.path_for(folder, name)
        assert path.parent == folder.resolve() and path.name.endswith(suffix)

    def test_refuses_folders_outside_its_root(self, tmp_path: Path) -> None:
        from newsqa.errors import InvalidInput

        with pytest.raises(InvalidInput):
            UploadSpool(tmp_path / "uploads").path_for(tmp_path, "a.txt")


def test_fakes_match_the_protocols() -> None:
    store = FakeStore()
    assert FakeAnswerer(store).ask("q").abstained and FakeIngestor(store).ingest_articles([]).added == 0
