"""Readable answers through the real HTTP API: the real Answerer over a real Chroma store of short
news stories, served by uvicorn, asked with httpx and the official `openai` client."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.application import create_app
from api.deps import Services
from api.openai_chat import count_tokens
from newsqa.settings import Settings
from tests.api.api_fakes import LiveServer

openai = pytest.importorskip("openai")

AS_OF = "2022-12-01"
# The story (tests/stores.py, published Wednesday 2022-09-07) says the game was "on Tuesday".
DATE_QUESTION = "When did Maya Lindqvist play her final game?"


@pytest.fixture(scope="module")
def base_url(
    tmp_path_factory: pytest.TempPathFactory, news_answerer: Any, search_store: Any
) -> Iterator[str]:
    from index.loaders import make_article
    from index.pipeline import build_ingestor

    tmp = tmp_path_factory.mktemp("answer_api")
    settings = Settings(data_dir=tmp / "data", rate_limit_per_minute=0)
    services = Services(
        answerer=news_answerer,
        ingestor=build_ingestor(settings, news_answerer.embedder, search_store, encoder_process=False),
        store=search_store,
        make_article=make_article,
        upload_dir=Path(settings.data_dir) / "uploads",
    )
    with LiveServer(create_app(settings, services=services)) as url:
        yield url


@pytest.fixture
def client(base_url: str) -> Any:
    return openai.OpenAI(base_url=base_url + "/v1", api_key="none", max_retries=0, timeout=120)


def assert_markers_match_sources(content: str) -> list[str]:
    text, _, sources = content.partition("\n\nSources:\n")
    listed = re.findall(r"^- \[(\d+)\] ", sources, flags=re.MULTILINE)
    markers = re.findall(r"\[(\d+)\]", text)
    assert markers and set(markers) == set(listed), content
    return listed


class TestAsk:
    def test_short_answer_readable_form_and_confidence(self, base_url: str) -> None:
        body = httpx.post(
            base_url + "/ask", json={"question": DATE_QUESTION, "as_of": AS_OF}, timeout=120
        ).json()
        assert body["answer"] == "Tuesday"
        assert body["answer_text"].startswith(
            "Tuesday (Sept. 6, 2022): “Maya Lindqvist played the final game"
        )
        assert body["answer_text"].endswith("[1]")
        assert 0.0 < body["confidence"] <= 1.0

    def test_abstention_has_a_confidence_too(self, base_url: str) -> None:
        body = httpx.post(
            base_url + "/ask", json={"question": "Who won Wimbledon?", "as_of": AS_OF}, timeout=120
        )
        out = body.json()
        assert out["abstained"] and out["answer_text"] == out["answer"] and "confidence" in out

    @pytest.mark.parametrize("path", ["/ask", "/ask/stream"])
    def test_generative_mode_without_an_llm_says_so(self, base_url: str, path: str) -> None:
        response = httpx.post(
            base_url + path, json={"question": DATE_QUESTION, "mode": "generative"}, timeout=120
        )
        assert response.status_code == 400, response.text
        error = response.json()["error"]
        assert error["code"] == "llm_not_configured" and "NEWSQA_LLM_URL" in error["message"]


class TestChat:
    def test_reply_is_readable_and_ends_with_its_sources(self, client: Any) -> None:
        completion = client.chat.completions.create(
            model="newsqa", messages=[{"role": "user", "content": DATE_QUESTION}], extra_body={"as_of": AS_OF}
        )
        content = completion.choices[0].message.content
        assert content.startswith("Tuesday (Sept. 6, 2022): “Maya Lindqvist played")
        assert assert_markers_match_sources(content)[0] == "1"
        assert (
            "- [1] Maya Lindqvist plays her final game — cnn.com, Sept. 7, 2022 — https://cnn.com/final-game"
            in content
        )
        extra = completion.model_extra
        assert extra["answer"] == "Tuesday" and 0.0 < extra["confidence"] <= 1.0
        assert completion.usage.completion_tokens == count_tokens(content)

    def test_streamed_reply_equals_the_plain_one(self, client: Any) -> None:
        messages = [{"role": "user", "content": "Who became king after the Queen died?"}]
        plain = client.chat.completions.create(model="newsqa", messages=messages, extra_body={"as_of": AS_OF})
        chunks = list(
            client.chat.completions.create(
                model="newsqa", messages=messages, stream=True, extra_body={"as_of": AS_OF}
            )
        )
        streamed = "".join(c.choices[0].delta.content or "" for c in chunks)
        assert streamed == plain.choices[0].message.content
        assert_markers_match_sources(streamed)
        assert chunks[-1].model_extra["citations"] == plain.model_extra["citations"]
        assert chunks[-1].usage.total_tokens == plain.usage.total_tokens

    @pytest.mark.parametrize("stream", [False, True])
    def test_generative_mode_without_an_llm_says_so(self, client: Any, stream: bool) -> None:
        with pytest.raises(openai.BadRequestError) as exc:
            client.chat.completions.create(
                model="newsqa",
                messages=[{"role": "user", "content": DATE_QUESTION}],
                stream=stream,
                extra_body={"mode": "generative"},
            )
        assert exc.value.body["code"] == "llm_not_configured"
