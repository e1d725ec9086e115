"""Generative mode against a tiny fake OpenAI-compatible server on loopback."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from newsqa.errors import Unavailable
from newsqa.types import Article, Chunk, Hit
from qa.answering.extract import SentenceIndex
from qa.answering.generate import GenerativeAnswerer, LLMClient

TEXT = (
    "Captain Bill Urban said the unmanned airstrike occurred in the Nangarhar province of Afghanistan. "
    "Over 100 people, including 13 US service members, were killed in the attacks."
)
# The second sentence is not in the passage (a name and a number the passage lacks): it must be dropped.
CANNED = (
    "The airstrike occurred in the Nangarhar province of Afghanistan [1]. "
    "General Mark Milley said 40 drones were used [1]. "
    "Over 100 people were killed in the attacks [1]."
)


class _FakeOpenAI(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append(body)  # type: ignore[attr-defined]
        if body.get("stream"):
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            for piece in CANNED.split(" "):
                chunk = {"choices": [{"delta": {"content": piece + " "}}]}
                self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
            self.wfile.write(b"data: [DONE]\n\n")
            return
        payload = json.dumps({"choices": [{"message": {"role": "assistant", "content": CANNED}}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def fake_llm() -> Iterator[tuple[LLMClient, list[dict]]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeOpenAI)
    server.requests = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield LLMClient(f"http://127.0.0.1:{server.server_port}", "fake-model", api_key="k"), server.requests  # type: ignore[attr-defined]
    server.shutdown()


@pytest.fixture
def passages() -> list:
    article = Article("a1", "US drone strike", TEXT, source="dawn.com")
    hit = Hit(Chunk("a1:0", "a1", 0, TEXT, 0, len(TEXT)), 1.0)
    return [SentenceIndex().passage(hit, article, 0)]


class TestGenerativeAnswerer:
    def test_unsupported_sentence_is_dropped(self, fake_llm, passages) -> None:
        client, requests = fake_llm
        result = GenerativeAnswerer(client).answer("Where was the strike?", passages)
        assert result is not None
        assert "Milley" not in result.answer
        assert result.answer.startswith("The airstrike occurred in the Nangarhar province")
        assert result.answer.count("[1]") == 2
        prompt = requests[-1]["messages"][-1]["content"]
        assert "[1] US drone strike" in prompt and "Where was the strike?" in prompt

    def test_streaming_yields_tokens_then_result(self, fake_llm, passages) -> None:
        client, _ = fake_llm
        events = list(GenerativeAnswerer(client).stream("Where was the strike?", passages))
        assert [k for k, _ in events[:-1]] == ["token"] * (len(events) - 1)
        assert "".join(v for _, v in events[:-1]).strip() == CANNED
        assert events[-1][0] == "result" and "Milley" not in events[-1][1].answer

    def test_nothing_supported_gives_none(self, passages) -> None:
        answerer = GenerativeAnswerer(LLMClient("http://127.0.0.1:9", "m"))
        assert answerer.verify("Paris is the capital of France [1].", passages) is None
        assert answerer.verify("The strike was in Nangarhar.", passages) is None  # no marker

    def test_two_passages_quoting_one_sentence_share_its_number(self) -> None:
        # Two overlapping chunks of one story: both markers name the same quote, cited once as [1].
        article = Article("a1", "US drone strike", TEXT, source="dawn.com")
        first_end = TEXT.index("Over")
        index = SentenceIndex()
        both = [
            index.passage(Hit(Chunk("a1:0", "a1", 0, TEXT[:first_end], 0, first_end), 1.0), article, 0),
            index.passage(Hit(Chunk("a1:1", "a1", 1, TEXT, 0, len(TEXT)), 0.9), article, 1),
        ]
        answerer = GenerativeAnswerer(LLMClient("http://127.0.0.1:9", "m"))
        text = "The airstrike occurred in the Nangarhar province [1]. It was in Nangarhar province of Afghanistan [2][1]."
        result = answerer.verify(text, both)
        assert result is not None
        assert len(result.support) == 1
        assert "[2]" not in result.answer and result.answer.count("[1]") == 2
        assert "[1][1]" not in result.answer and "[1] [1]" not in result.answer

    def test_unreachable_server_is_unavailable(self, passages) -> None:
        client = LLMClient("http://127.0.0.1:9", "m", timeout_s=2)
        with pytest.raises(Unavailable, match="LLM"):
            GenerativeAnswerer(client).answer("Where?", passages)

    def test_bad_url_rejected(self) -> None:
        with pytest.raises(ValueError, match="http"):
            LLMClient("ftp://x", "m")
