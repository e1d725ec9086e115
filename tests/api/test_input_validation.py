"""Bad input is a 4xx naming the field, never a 500: dates off the calendar, text that is not valid
Unicode, numbers given as strings or booleans; on every answering route, streaming included, and in
`Answerer.ask` itself (the CLI's and library's entry point).

The answering routes run the real Answerer (time parsing, search, extraction) over a small real
store with the fake embedder, so a check missing at the edge would reach the code that overflowed.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.application import create_app
from newsqa.errors import InvalidInput
from newsqa.settings import Settings
from newsqa.types import Answer
from qa.question.timeparse import AS_OF_MAX, AS_OF_MIN
from qa.service import Answerer
from tests.api.api_fakes import fake_services

AS_OF = "2022-09-15"


@pytest.fixture(scope="module")
def answerer(fake_news_answerer: Answerer) -> Answerer:
    return fake_news_answerer


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory, answerer: Answerer) -> TestClient:
    data_dir = tmp_path_factory.mktemp("input_api")
    services = fake_services(data_dir)
    services.answerer = answerer
    app = create_app(Settings(data_dir=data_dir, rate_limit_per_minute=0), services=services)
    return TestClient(app, raise_server_exceptions=False)


def ask_body(question: str, **extra: Any) -> dict[str, Any]:
    return {"question": question, **extra}


def chat_body(question: str, **extra: Any) -> dict[str, Any]:
    return {"model": "newsqa", "messages": [{"role": "user", "content": question}], **extra}


# (route, body builder, extra fields): every route that answers a question.
ROUTES = [
    ("/ask", ask_body, {}),
    ("/ask/stream", ask_body, {}),
    ("/v1/chat/completions", chat_body, {"stream": False}),
    ("/v1/chat/completions", chat_body, {"stream": True}),
]
ROUTE_IDS = ["ask", "ask-stream", "chat", "chat-stream"]


def post(client: TestClient, path: str, body: dict[str, Any]) -> Any:
    # json.dumps escapes a lone surrogate as "\ud800", as a client's JSON encoder would.
    return client.post(path, content=json.dumps(body), headers={"Content-Type": "application/json"})


def assert_422(response: Any, *words: str) -> str:
    assert response.status_code == 422, response.text
    body = response.json()
    assert set(body) == {"error"} and body["error"]["code"] == "validation_error"
    message = body["error"]["message"]
    for word in words:
        assert word in message
    return message


@pytest.mark.parametrize(("path", "body", "extra"), ROUTES, ids=ROUTE_IDS)
class TestEveryAnsweringRoute:
    @pytest.mark.parametrize(
        ("question", "as_of"),
        [
            ("Who died last week?", "9999-12-31"),
            ("Who died last week?", "0001-01-01"),
            ("Which plant failed in May?", "0001-01-01"),
            ("Who won this week?", "1899-12-31"),
            ("Who won this week?", "2101-01-01"),
        ],
    )
    def test_as_of_off_the_range_is_422(
        self, client: TestClient, path: str, body: Any, extra: dict, question: str, as_of: str
    ) -> None:
        response = post(client, path, body(question, as_of=as_of, **extra))
        assert_422(response, "as_of", as_of, "outside the supported range", str(AS_OF_MIN), str(AS_OF_MAX))

    @pytest.mark.parametrize("as_of", [AS_OF_MIN.isoformat(), AS_OF_MAX.isoformat()])
    def test_the_range_ends_are_answered(
        self, client: TestClient, path: str, body: Any, extra: dict, as_of: str
    ) -> None:
        response = post(client, path, body("Who died last week or in May?", as_of=as_of, **extra))
        assert response.status_code == 200, response.text
        assert '"internal_error"' not in response.text

    def test_lone_surrogate_in_the_question_is_422(
        self, client: TestClient, path: str, body: Any, extra: dict
    ) -> None:
        response = post(client, path, body("Who runs the \ud800 plant?", as_of=AS_OF, **extra))
        field = "question" if path.startswith("/ask") else "messages.0.content"
        assert_422(response, field, "not valid Unicode", "U+D800")

    @pytest.mark.parametrize("top_k", ["5", True, 5.0, 2.5])
    def test_top_k_must_be_a_json_integer(
        self, client: TestClient, path: str, body: Any, extra: dict, top_k: Any
    ) -> None:
        response = post(client, path, body("Who is the king?", as_of=AS_OF, top_k=top_k, **extra))
        assert_422(response, "top_k", "valid integer")

    def test_an_integer_top_k_is_accepted(
        self, client: TestClient, path: str, body: Any, extra: dict
    ) -> None:
        response = post(client, path, body("Who is the king?", as_of=AS_OF, top_k=2, **extra))
        assert response.status_code == 200, response.text


class TestStrictFields:
    def test_wrong_types_say_what_came(self, client: TestClient) -> None:
        assert_422(post(client, "/ask", ask_body("Who?", top_k="5")), "got string")
        assert_422(post(client, "/ask", ask_body("Who?", top_k=True)), "got boolean")

    def test_booleans_are_json_booleans(self, client: TestClient) -> None:
        assert_422(post(client, "/ask", ask_body("Who?", debug="yes")), "debug", "got string")
        assert_422(post(client, "/v1/chat/completions", chat_body("Who?", stream=1)), "stream", "got integer")


class TestUnicodeAnywhereInTheBody:
    @pytest.mark.parametrize(
        ("body", "field"),
        [
            (
                {"messages": [{"role": "user", "content": [{"type": "text", "text": "Who \ud800?"}]}]},
                "messages.0.content.0.text",
            ),
            ({"messages": [{"role": "user", "content": "Who?"}], "user": "\udfff"}, "user"),
            (
                {"messages": [{"role": "user", "content": "Who?"}], "metadata": {"\ud800": "x"}},
                "metadata",
            ),
        ],
    )
    def test_chat_parts_and_extras(self, client: TestClient, body: dict, field: str) -> None:
        assert_422(post(client, "/v1/chat/completions", body), field, "not valid Unicode")

    def test_deeply_nested_extra_field(self, client: TestClient) -> None:
        """An ignored extra parameter nested as deep as JSON parsing allows is still checked, without
        running out of stack."""
        nested = '"\\ud800"'
        for _ in range(900):
            nested = f"[{nested}]"
        content = '{"messages": [{"role": "user", "content": "Who?"}], "extra": ' + nested + "}"
        response = client.post(
            "/v1/chat/completions", content=content, headers={"Content-Type": "application/json"}
        )
        assert_422(response, "extra.0.0.0", "not valid Unicode")

    def test_history_and_choices(self, client: TestClient) -> None:
        history = [{"role": "user", "content": "fine"}, {"role": "assistant", "content": "\ud83d"}]
        assert_422(post(client, "/ask", ask_body("Who?", history=history)), "history.1.content")
        assert_422(post(client, "/ask", ask_body("Who?", choices=["a", "b\udc00"])), "choices.1")

    def test_articles_to_ingest(self, client: TestClient) -> None:
        """POST /articles parses its JSON strictly (jiter), which refuses the escape itself."""
        response = post(client, "/articles", {"articles": [{"text": "A story.", "title": "\ud800"}]})
        assert_422(response, "Invalid JSON")

    def test_valid_astral_characters_pass(self, client: TestClient) -> None:
        response = post(client, "/ask", ask_body("Who is the king \U0001f451?", as_of=AS_OF))
        assert response.status_code == 200, response.text


class TestAnswererEntryPoint:
    """The same checks without the API: the CLI and library callers get InvalidInput, not a crash."""

    @pytest.mark.parametrize("as_of", [date(9999, 12, 31), "0001-01-01", datetime(1, 1, 1, 12)])
    def test_as_of_off_the_range(self, answerer: Answerer, as_of: Any) -> None:
        with pytest.raises(InvalidInput, match="outside the supported range"):
            answerer.ask("Who died last week?", as_of=as_of)

    def test_lone_surrogates(self, answerer: Answerer) -> None:
        with pytest.raises(InvalidInput, match="question is not valid Unicode"):
            answerer.ask("Who \ud800?", as_of=AS_OF)
        with pytest.raises(InvalidInput, match=r"history\[0\].content"):
            answerer.ask("Who?", as_of=AS_OF, history=[{"role": "user", "content": "\ud800"}])
        with pytest.raises(InvalidInput, match=r"choices\[1\]"):
            list(answerer.ask_stream("Who?", as_of=AS_OF, choices=["a", "\udfff"]))

    def test_a_bool_is_not_a_top_k(self, answerer: Answerer) -> None:
        with pytest.raises(InvalidInput, match="top_k"):
            answerer.ask("Who is the king?", as_of=AS_OF, top_k=True)


# --- property: whatever the question, as_of and top_k, the answer is an Answer or InvalidInput ------

WORDS = ["Who", "what", "king", "power", "plant", "Spokane", "loan", "Whitfield", "the", "in", "of", "?"]
TIMES = ["last week", "this week", "in May", "last March", "yesterday", "on Monday", "recently", "in 2021"]
ANY_CHARACTER = st.characters(exclude_categories=())  # surrogates and controls included

valid_questions = st.lists(st.sampled_from(WORDS + TIMES), min_size=1, max_size=8).map(" ".join)
bad_questions = st.one_of(
    st.text(alphabet=" \t\n\x00", max_size=5),
    st.tuples(valid_questions, st.sampled_from(["\ud800", "\udfff", "\udbff"])).map("".join),
)
in_range_days = st.dates(min_value=AS_OF_MIN, max_value=AS_OF_MAX)
valid_as_of = st.one_of(st.none(), in_range_days, in_range_days.map(date.isoformat))
bad_as_of = st.one_of(
    st.dates(max_value=date(1899, 12, 31)),
    st.dates(min_value=date(2101, 1, 1)).map(date.isoformat),
    st.datetimes(min_value=datetime(2101, 1, 1)),
    st.text(alphabet=ANY_CHARACTER, max_size=12).filter(lambda s: not s[:1].isdigit()),
)
valid_top_k = st.one_of(st.none(), st.integers(1, 50))
bad_top_k = st.one_of(st.integers(max_value=0), st.integers(min_value=51), st.booleans(), st.just("5"))


def flagged(good: st.SearchStrategy, bad: st.SearchStrategy) -> st.SearchStrategy:
    """(value, is_valid) pairs."""
    return st.one_of(good.map(lambda v: (v, True)), bad.map(lambda v: (v, False)))


@settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    question=flagged(valid_questions, bad_questions),
    as_of=flagged(valid_as_of, bad_as_of),
    top_k=flagged(valid_top_k, bad_top_k),
)
def test_ask_answers_or_names_the_bad_input(
    answerer: Answerer, question: tuple[str, bool], as_of: tuple[Any, bool], top_k: tuple[Any, bool]
) -> None:
    bad = [name for name, (_, ok) in (("question", question), ("as_of", as_of), ("top_k", top_k)) if not ok]
    try:
        answer = answerer.ask(question[0], as_of=as_of[0], top_k=top_k[0])
    except InvalidInput as exc:
        assert bad, f"valid input refused: {exc.message}"
        assert any(name in exc.message for name in bad), exc.message
        return
    assert not bad, f"{bad} accepted"
    assert isinstance(answer, Answer)
    if as_of[0] is not None:
        assert answer.query.as_of == str(as_of[0])[:10]
