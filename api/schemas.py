"""Pydantic models of the HTTP API: what each endpoint takes and returns.

They document the API (OpenAPI at /docs) and validate input at the edge; the answer itself is
built by `qa.service.Answerer` and only described here.

    >>> AskRequest.model_validate({"question": "Where did the drone strike take place?"}).mode
    'extractive'
"""

from __future__ import annotations

import datetime as dt
from collections import deque
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from newsqa.errors import InvalidInput, check_unicode
from newsqa.types import Filters
from qa.ingest_policy import MAX_ARTICLES_PER_REQUEST, MAX_URLS_PER_REQUEST
from qa.plan import MAX_TOP_K
from qa.question.timeparse import AS_OF_MAX, AS_OF_MIN, as_of_range_error

MAX_HISTORY_TURNS = 50
MAX_CHOICES = 20
MAX_ARTICLE_CHARS = 2_000_000


def check_iso_date(value: str | None) -> str | None:
    """Accept "YYYY-MM-DD" (or None); anything else is a validation error."""
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value).isoformat()
    except ValueError as exc:
        raise ValueError(f"{value!r} is not an ISO date (YYYY-MM-DD)") from exc


IsoDate = Annotated[str, AfterValidator(check_iso_date)]


def check_as_of(value: str | None) -> str | None:
    """An ISO date inside `qa.question.timeparse.AS_OF_MIN..AS_OF_MAX` (or None)."""
    if value is None:
        return None
    problem = as_of_range_error(dt.date.fromisoformat(value))
    if problem:
        raise ValueError(problem)
    return value


AsOfDate = Annotated[
    IsoDate,
    AfterValidator(check_as_of),
    Field(
        description=f"ISO date that relative times are read against, {AS_OF_MIN}..{AS_OF_MAX}.",
        json_schema_extra={"format": "date"},
    ),
]


def _check_unicode_tree(body: Any) -> None:
    """InvalidInput naming the first string (key or value, outer fields first) in a parsed JSON body
    that is not valid Unicode. Iterative: an extra field may nest as deep as the JSON parser allows."""
    pending: deque[tuple[Any, str]] = deque([(body, "")])
    while pending:
        value, path = pending.popleft()
        if isinstance(value, str):
            check_unicode(value, path or "body")
        elif isinstance(value, dict):
            for key, item in value.items():
                # A bad key is named by its escaped form: the message itself must be valid Unicode.
                name = str(key).encode("utf-8", "backslashreplace").decode("utf-8")
                pending += [
                    (key, f"a key in {path or 'the body'}"),
                    (item, f"{path}.{name}" if path else name),
                ]
        elif isinstance(value, list):
            pending += [(item, f"{path}.{i}") for i, item in enumerate(value)]


class RequestModel(BaseModel):
    """A request body: every string in it, keys and ignored extras included, must be valid Unicode.

    Pydantic's `str` already refuses a lone surrogate, but `Any` values (OpenAI content parts, extra
    parameters) let one through to the tokenizer; this check runs once over the raw body instead.
    """

    @model_validator(mode="before")
    @classmethod
    def _valid_unicode(cls, data: Any) -> Any:
        try:
            _check_unicode_tree(data)
        except InvalidInput as exc:
            raise ValueError(exc.message) from None
        return data


class ErrorBody(BaseModel):
    code: str = Field(description="Stable machine-readable name, e.g. `invalid_input`, `not_found`.")
    message: str


class ErrorResponse(BaseModel):
    """The one error shape every endpoint returns."""

    error: ErrorBody


class Message(BaseModel):
    role: Literal["user", "assistant", "system"]
    content: str = Field(max_length=100_000)


class FiltersIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sources: list[str] | None = Field(None, max_length=100, description="Outlets, e.g. `usatoday.com`.")
    published_from: IsoDate | None = Field(None, description="Inclusive ISO date.")
    published_to: IsoDate | None = Field(None, description="Inclusive ISO date.")

    def to_filters(self) -> Filters:
        return Filters(
            sources=self.sources, published_from=self.published_from, published_to=self.published_to
        )


class AskRequest(RequestModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(min_length=1, description="Limited to `max_question_chars` (400 above it).")
    history: list[Message] | None = Field(None, max_length=MAX_HISTORY_TURNS)
    # strict: a JSON integer, not "5" or true (lax pydantic would read them as 5 and 1).
    top_k: int | None = Field(None, ge=1, le=MAX_TOP_K, strict=True)
    filters: FiltersIn | None = None
    as_of: AsOfDate | None = None
    choices: list[str] | None = Field(None, max_length=MAX_CHOICES)
    mode: Literal["extractive", "generative"] = "extractive"
    debug: bool = Field(False, strict=True)


class CitationOut(BaseModel):
    n: int
    article_id: str
    title: str
    source: str
    url: str | None = None
    published: str | None = None
    quote: str = Field(description="Exactly `article.text[start:end]`.")
    start: int
    end: int
    score: float
    also_reported_by: list[str] = Field(default_factory=list)
    passage: str = Field(
        "",
        description="The passage the quote was read from (the retrieved chunk around it): "
        "`passage[start - passage_start : end - passage_start] == quote`.",
    )
    passage_start: int = Field(0, description="Where `passage` begins in `article.text`.")


class QueryOut(BaseModel):
    rewritten: str
    as_of: str
    filters: dict[str, Any] = Field(default_factory=dict)


class AnswerResponse(BaseModel):
    answer: str = Field(description="The short answer (a name, a date, a place) for programs.")
    answer_text: str = Field(
        description="The readable form: the direct answer (relative dates made absolute), then its "
        "supporting sentence quoted, with `[n]` citation markers."
    )
    confidence: float | None = Field(
        None, description="In [0, 1]: below the server's abstain threshold the answer is withheld."
    )
    abstained: bool
    citations: list[CitationOut]
    related: list[CitationOut]
    query: QueryOut
    timings_ms: dict[str, float] = Field(default_factory=dict)
    retrieved: list[dict[str, Any]] | None = None


class ArticleIn(BaseModel):
    """One article given as JSON; `text` is required, everything else is optional metadata."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=MAX_ARTICLE_CHARS)
    title: str | None = Field(None, max_length=1000)
    url: str | None = Field(None, max_length=4000)
    source: str | None = Field(None, max_length=200)
    published: IsoDate | None = None
    author: str | None = Field(None, max_length=500)
    id: str | None = Field(None, min_length=1, max_length=200, pattern=r"^[A-Za-z0-9._:-]+$")


class IngestRequest(RequestModel):
    """Either `articles` (JSON) or `urls` (pages or RSS/Atom feeds to fetch), or both."""

    model_config = ConfigDict(extra="forbid")

    articles: list[ArticleIn] = Field(default_factory=list, max_length=MAX_ARTICLES_PER_REQUEST)
    urls: list[str] = Field(default_factory=list, max_length=MAX_URLS_PER_REQUEST)

    @field_validator("urls")
    @classmethod
    def _http_urls(cls, urls: list[str]) -> list[str]:
        for url in urls:
            if not url.lower().startswith(("http://", "https://")) or len(url) > 4000:
                raise ValueError(f"{url[:200]!r} is not an http(s) URL")
        return urls


class IngestFailureOut(BaseModel):
    item: str
    error: str


class IngestResponse(BaseModel):
    added: int
    updated: int
    unchanged: int
    duplicates: int
    failed: list[IngestFailureOut]
    chunks: int
    seconds: float
    items: list[dict[str, Any]]
    # Items and failures past NEWSQA_INGEST_REPLY_MAX_ITEMS are counted here instead of listed.
    items_omitted: int = 0
    failed_omitted: int = 0


class ArticleOut(BaseModel):
    id: str
    title: str
    text: str
    source: str = ""
    url: str | None = None
    published: str | None = None
    author: str | None = None
    ingested_at: str | None = None
    content_hash: str = ""
    also_reported_by: list[dict[str, Any]] = Field(default_factory=list)


class ArticleListResponse(BaseModel):
    articles: list[dict[str, Any]]
    limit: int
    offset: int
    next_offset: int | None = Field(None, description="Offset of the next page; null on the last page.")


class DeleteResponse(BaseModel):
    deleted: str


class HealthResponse(BaseModel):
    status: str


# OpenAI-compatible chat completions.


class ChatMessage(BaseModel):
    role: Literal["system", "user", "assistant", "developer", "tool"]
    # A string, or OpenAI's list of content parts ({"type": "text", "text": ...}).
    content: str | list[dict[str, Any]] | None = None

    def text(self) -> str:
        if self.content is None:
            return ""
        if isinstance(self.content, str):
            return self.content
        return "".join(str(p.get("text", "")) for p in self.content if p.get("type") == "text")


class ChatCompletionRequest(RequestModel):
    """OpenAI's request; unknown OpenAI parameters (temperature, ...) are accepted and ignored."""

    model_config = ConfigDict(extra="allow")

    model: str = Field("newsqa", description="A model id listed at /v1/models; any other is 404.")
    messages: list[ChatMessage] = Field(min_length=1, max_length=MAX_HISTORY_TURNS + 10)
    stream: bool = Field(False, strict=True)
    n: int | None = Field(
        1, ge=1, le=1, strict=True, description="One answer per request: only 1 (or null) is accepted."
    )
    # NewsQA extensions, for clients that can send extra body fields.
    top_k: int | None = Field(None, ge=1, le=MAX_TOP_K, strict=True)
    filters: FiltersIn | None = None
    as_of: AsOfDate | None = None
    mode: Literal["extractive", "generative"] = "extractive"


class ChatChoiceMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str


class ChatChoice(BaseModel):
    index: int = 0
    message: ChatChoiceMessage
    finish_reason: str = "stop"


class ChatUsage(BaseModel):
    """Tokens counted as words and punctuation marks (regex `\\w+|[^\\w\\s]`), see api.openai_chat."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0


class ChatCompletionResponse(BaseModel):
    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[ChatChoice]
    usage: ChatUsage = Field(default_factory=ChatUsage)
    citations: list[CitationOut] = Field(description="NewsQA extension: the sources behind [n] markers.")
    abstained: bool = False
    answer: str = Field("", description="NewsQA extension: the short answer, as in /ask.")
    confidence: float | None = Field(None, description="NewsQA extension: as in /ask.")


class ModelCard(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int = 0
    owned_by: str = "newsqa"


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelCard]
