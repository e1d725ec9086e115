"""Errors that carry their HTTP status, so the API maps them without a lookup table."""

from __future__ import annotations


class NewsQAError(Exception):
    """Base error. `code` is a stable machine name, `status` the HTTP status it maps to."""

    code = "error"
    status = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(NewsQAError):
    code = "invalid_input"
    status = 400


class LLMNotConfigured(InvalidInput):
    """Generative mode was asked for, but no LLM is configured (NEWSQA_LLM_URL / NEWSQA_LLM_MODEL)."""

    code = "llm_not_configured"


class NotFound(NewsQAError):
    code = "not_found"
    status = 404


class TooLarge(NewsQAError):
    code = "too_large"
    status = 413


class Unavailable(NewsQAError):
    code = "unavailable"
    status = 503


class IngestError(NewsQAError):
    """One item could not be ingested; the batch goes on without it."""

    code = "ingest_failed"
    status = 422


class IndexBusy(NewsQAError):
    """Another process holds the write lock on this data dir; `retry_after_s` (when set) is the
    wait a client should allow before trying again (the API sends it as Retry-After)."""

    code = "index_busy"
    status = 503

    def __init__(self, message: str, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class LimitExceeded(TooLarge):
    """A request asks for more work than a configured limit allows (unpacked bytes, lines,
    articles): the whole request is refused and nothing of it is written."""


def check_unicode(text: str, name: str) -> str:
    """`text` as it is, or InvalidInput naming `name` when it is not valid Unicode: a lone surrogate
    (JSON's "\\ud800" escape carries one) cannot be encoded, tokenised or stored.

    >>> check_unicode("caf\\u00e9", "question")
    'café'
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        code = ord(text[exc.start])
        raise InvalidInput(
            f"{name} is not valid Unicode text: a lone surrogate U+{code:04X} at character {exc.start}"
        ) from None
    return text
