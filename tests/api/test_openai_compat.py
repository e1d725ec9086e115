"""The OpenAI-compatible endpoints, driven by the official `openai` client against a live uvicorn server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.application import create_app
from api.openai_chat import count_tokens
from newsqa.settings import Settings
from qa.answering.present import add_citation_markers
from tests.api.api_fakes import LiveServer, fake_services

openai = pytest.importorskip("openai")

QUESTION = "Where did the unmanned airstrike occur?"


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any]]:
    tmp = tmp_path_factory.mktemp("openai")
    services = fake_services(tmp)
    app = create_app(Settings(data_dir=tmp / "data", api_keys=["sk-test"]), services=services)
    with LiveServer(app) as base_url:
        yield base_url, services


@pytest.fixture
def client(live: tuple[str, Any]) -> Any:
    return openai.OpenAI(base_url=live[0] + "/v1", api_key="sk-test", max_retries=0, timeout=30)


class TestChatCompletions:
    def test_non_streaming_answer_with_markers_and_citations(self, client: Any) -> None:
        completion = client.chat.completions.create(
            model="newsqa", messages=[{"role": "user", "content": QUESTION}]
        )
        content = completion.choices[0].message.content
        text, sources = content.split("\n\nSources:\n")
        assert "Nangarhar" in text and text.rstrip().endswith("[1]")
        assert sources == "- [1] US drone strike — dawn.com, Aug. 28, 2021 — https://www.dawn.com/news/1"
        assert completion.choices[0].finish_reason == "stop"
        citations = completion.model_extra["citations"]
        assert citations[0]["n"] == 1 and "Nangarhar" in citations[0]["quote"]

    def test_history_is_the_messages_before_the_last_user_message(self, client: Any, live: Any) -> None:
        client.chat.completions.create(
            model="newsqa",
            messages=[
                {"role": "system", "content": "be brief"},
                {"role": "user", "content": "Tell me about the drone strike."},
                {"role": "assistant", "content": "The US carried one out."},
                {"role": "user", "content": "Where did the airstrike occur?"},
            ],
        )
        call = live[1].answerer.calls[-1]
        assert call["question"] == "Where did the airstrike occur?"
        assert call["history"] == [
            {"role": "user", "content": "Tell me about the drone strike."},
            {"role": "assistant", "content": "The US carried one out."},
        ]

    def test_streaming_chunks_end_with_stop(self, client: Any) -> None:
        stream = client.chat.completions.create(
            model="newsqa", messages=[{"role": "user", "content": QUESTION}], stream=True
        )
        chunks = list(stream)
        text = "".join(c.choices[0].delta.content or "" for c in chunks)
        plain = client.chat.completions.create(
            model="newsqa", messages=[{"role": "user", "content": QUESTION}]
        )
        assert text == plain.choices[0].message.content
        assert "Nangarhar" in text and "\n\nSources:\n- [1] US drone strike" in text
        assert chunks[-1].choices[0].finish_reason == "stop"
        assert chunks[-1].usage.completion_tokens == plain.usage.completion_tokens > 0
        assert all(c.choices[0].finish_reason is None for c in chunks[:-1])
        assert chunks[-1].model_extra["citations"][0]["n"] == 1

    def test_abstention_has_no_markers(self, client: Any) -> None:
        completion = client.chat.completions.create(
            model="newsqa", messages=[{"role": "user", "content": "Who won Wimbledon?"}]
        )
        assert completion.choices[0].message.content.startswith("Not found")
        assert completion.model_extra["citations"] == []

    def test_last_message_must_be_from_the_user(self, client: Any) -> None:
        with pytest.raises(openai.BadRequestError) as exc:
            client.chat.completions.create(model="newsqa", messages=[{"role": "assistant", "content": "hi"}])
        assert exc.value.body["code"] == "invalid_input"  # openai unwraps {"error": {...}}

    def test_unknown_model_is_404_naming_the_served_one(self, client: Any) -> None:
        with pytest.raises(openai.NotFoundError) as exc:
            client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": QUESTION}])
        assert exc.value.body["code"] == "model_not_found"
        assert "'gpt-4o'" in exc.value.body["message"] and "'newsqa'" in exc.value.body["message"]

    @pytest.mark.parametrize("stream", [False, True])
    def test_more_than_one_choice_is_refused(self, client: Any, stream: bool) -> None:
        with pytest.raises(openai.UnprocessableEntityError) as exc:
            client.chat.completions.create(
                model="newsqa", messages=[{"role": "user", "content": QUESTION}], n=2, stream=stream
            )
        assert exc.value.body["code"] == "validation_error" and exc.value.body["message"].startswith("n:")

    def test_usage_counts_words_and_punctuation(self, client: Any) -> None:
        messages = [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": QUESTION},
        ]
        completion = client.chat.completions.create(model="newsqa", messages=messages)
        usage = completion.usage
        assert usage.prompt_tokens == count_tokens("Be brief.") + count_tokens(QUESTION) == 3 + 7
        assert usage.completion_tokens == count_tokens(completion.choices[0].message.content) > 10
        assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens

    def test_reads_need_no_key_by_default(self, live: Any) -> None:
        anyone = openai.OpenAI(base_url=live[0] + "/v1", api_key="not-a-key", max_retries=0)
        assert anyone.models.list().data[0].id == "newsqa"


class TestModels:
    def test_lists_the_one_model(self, client: Any) -> None:
        assert [m.id for m in client.models.list().data] == ["newsqa"]


class TestReadKeys:
    def test_chat_needs_a_key_when_reads_do(self, tmp_path: Path) -> None:
        app = create_app(
            Settings(data_dir=tmp_path, api_keys=["sk-test"], require_key_for_reads=True),
            services=fake_services(tmp_path),
        )
        client = TestClient(app)
        body = {"messages": [{"role": "user", "content": QUESTION}]}
        assert client.post("/v1/chat/completions", json=body).status_code == 401
        ok = client.post("/v1/chat/completions", json=body, headers={"Authorization": "Bearer sk-test"})
        assert ok.status_code == 200 and ok.json()["object"] == "chat.completion"


class TestCitationMarkers:
    def test_marker_goes_after_the_supporting_sentence(self) -> None:
        text = "The strike hit Nangarhar province. No civilians were reported hurt."
        citations = [
            {"n": 1, "quote": "We know of no civilian casualties reported."},
            {"n": 2, "quote": "The unmanned airstrike occurred in the Nangarhar province."},
        ]
        assert add_citation_markers(text, citations) == (
            "The strike hit Nangarhar province. [2] No civilians were reported hurt. [1]"
        )

    def test_existing_markers_are_kept(self) -> None:
        assert add_citation_markers("Nangarhar [1].", [{"n": 1, "quote": "x"}]) == "Nangarhar [1]."

    def test_unmatched_citation_goes_last(self) -> None:
        assert add_citation_markers("Nangarhar", [{"n": 1, "quote": "zzz"}]) == "Nangarhar [1]"
