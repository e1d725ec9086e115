"""Deterministic stand-ins for the Answerer, Ingestor and store, for fast API and UI plumbing tests.

The fake answerer cites the first sentence of the first stored article sharing a word (5+ letters)
with the question, and abstains otherwise; it never loads a model.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from newsqa.errors import InvalidInput
from newsqa.types import (
    Answer,
    AnswerEvent,
    Article,
    Citation,
    Filters,
    IngestFailure,
    IngestLimits,
    IngestSummary,
    QueryInfo,
    StreamEvent,
    TokenEvent,
)

SENTENCE = re.compile(r"[^.!?]+[.!?]")


def fake_article(
    text: str,
    *,
    title: str | None = None,
    url: str | None = None,
    source: str | None = None,
    published: str | None = None,
    author: str | None = None,
    id: str | None = None,
) -> Article:
    article_id = id or hashlib.sha1(text.encode()).hexdigest()[:16]
    return Article(
        id=article_id,
        title=title or text[:40],
        text=text,
        source=source or "",
        url=url,
        published=published,
        author=author,
        content_hash=hashlib.sha1(text.encode()).hexdigest(),
    )


class FakeStore:
    def __init__(self, articles: list[Article] | None = None) -> None:
        self.articles: dict[str, Article] = {a.id: a for a in articles or []}
        self.fail_stats = False

    def get_article(self, article_id: str) -> Article | None:
        return self.articles.get(article_id)

    def list_articles(
        self,
        sources: list[str] | None = None,
        published_from: str | None = None,
        published_to: str | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        rows = [a for a in self.articles.values() if not sources or a.source in sources]
        rows = [a for a in rows if not published_from or (a.published or "") >= published_from]
        rows = [a for a in rows if not published_to or (a.published or "9999") <= published_to]
        rows.sort(key=lambda a: a.published or "", reverse=True)
        end = None if limit is None else offset + limit
        return [{k: v for k, v in a.to_dict().items() if k != "text"} for a in rows[offset:end]]

    def delete_article(self, article_id: str) -> bool:
        return self.articles.pop(article_id, None) is not None

    def stats(self) -> dict[str, Any]:
        if self.fail_stats:
            raise ConnectionError("store down")
        return {
            "articles": len(self.articles),
            "chunks": len(self.articles) * 2,
            "sources": {
                s: sum(a.source == s for a in self.articles.values())
                for s in sorted({a.source for a in self.articles.values()})
            },
        }


class FakeIngestor:
    def __init__(self, store: FakeStore) -> None:
        self.store = store
        self.ingested_paths: list[str] = []
        self.path_texts: dict[str, str] = {}
        self.limits: IngestLimits | None = None

    def ingest_articles(self, articles: list[Article]) -> IngestSummary:
        summary = IngestSummary()
        for article in articles:
            status = "unchanged" if article.id in self.store.articles else "added"
            self.store.articles[article.id] = article
            summary.added += status == "added"
            summary.unchanged += status == "unchanged"
            summary.items.append({"id": article.id, "title": article.title, "status": status})
        return summary

    def ingest(self, items: list[str], *, limits: IngestLimits | None = None) -> IngestSummary:
        summary = IngestSummary()
        self.limits = limits
        for item in items:
            self.ingested_paths.append(item)
            if item.startswith(("http://", "https://")):
                summary.failed.append(IngestFailure(item=item, error="fetching is disabled in the fake"))
                continue
            text = Path(item).read_text(encoding="utf-8", errors="replace")
            self.path_texts[item] = text
            part = self.ingest_articles([fake_article(text, title=Path(item).stem)])
            summary.added += part.added
            summary.unchanged += part.unchanged
            summary.items += part.items
        return summary


class FakeAnswerer:
    def __init__(self, store: FakeStore) -> None:
        self.store = store
        self.calls: list[dict[str, Any]] = []

    def ask(
        self,
        question: str,
        *,
        history: list[dict[str, str]] | None = None,
        as_of: str | None = None,
        filters: Filters | None = None,
        choices: list[str] | None = None,
        top_k: int | None = None,
        mode: str = "extractive",
        debug: bool = False,
    ) -> Answer:
        self.calls.append(
            {
                "question": question,
                "history": history,
                "as_of": as_of,
                "filters": filters,
                "choices": choices,
                "top_k": top_k,
                "mode": mode,
                "debug": debug,
            }
        )
        if "invalid!" in question:
            raise InvalidInput("the fake refuses this question")
        if "crash!" in question:
            raise RuntimeError("secret internal detail")
        query = QueryInfo(
            rewritten=question, as_of=as_of or "2024-01-01", filters=filters.to_dict() if filters else {}
        )
        keywords = {w.lower() for w in re.findall(r"\w{5,}", question)}
        for article in self.store.articles.values():
            for match in SENTENCE.finditer(article.text):
                sentence_words = {w.lower() for w in re.findall(r"\w{5,}", match.group())}
                if keywords & sentence_words:
                    start = match.start() + len(match.group()) - len(match.group().lstrip())
                    citation = Citation(
                        n=1,
                        article_id=article.id,
                        title=article.title,
                        source=article.source,
                        url=article.url,
                        published=article.published,
                        quote=article.text[start : match.end()],
                        start=start,
                        end=match.end(),
                        score=0.9,
                        passage=article.text,  # the fake reads whole articles as its passages
                        passage_start=0,
                    )
                    return Answer(
                        answer=citation.quote,
                        abstained=False,
                        citations=[citation],
                        related=[],
                        query=query,
                        timings_ms={"total": 1.0},
                    )
        return Answer(
            answer="Not found in the indexed articles.", abstained=True, citations=[], related=[], query=query
        )

    def ask_stream(self, question: str, **kwargs: Any) -> Iterator[StreamEvent]:
        answer = self.ask(question, **kwargs)
        for word in re.findall(r"\S+\s*", answer.answer):
            yield TokenEvent(word)
        yield AnswerEvent(answer)


DRONE_TEXT = (
    "The US military said it carried out a drone strike on Saturday. "
    "The unmanned airstrike occurred in the Nangarhar province of Afghanistan, Captain Urban said. "
    "Initial indications are that we killed the target."
)


def fake_services(tmp_path: Path, *, llm_enabled: bool = False) -> Any:
    """A `api.deps.Services` over one small article."""
    from api.deps import Services

    store = FakeStore(
        [
            fake_article(
                DRONE_TEXT,
                title="US drone strike",
                source="dawn.com",
                url="https://www.dawn.com/news/1",
                published="2021-08-28",
                id="drone1",
            )
        ]
    )
    return Services(
        answerer=FakeAnswerer(store),
        ingestor=FakeIngestor(store),
        store=store,
        make_article=fake_article,
        upload_dir=tmp_path / "data" / "uploads",
        llm_enabled=llm_enabled,
    )


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiveServer:
    """A real uvicorn server for `app` on 127.0.0.1 and a free port, in a thread.

    with LiveServer(app) as base_url:
        httpx.get(base_url + "/healthz")
    """

    def __init__(self, app: Any, *, start_timeout_s: float = 60.0) -> None:
        import uvicorn

        self.port = free_port()
        self.server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        )
        self.start_timeout_s = start_timeout_s
        self.thread: Any = None

    def __enter__(self) -> str:
        import threading
        import time

        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + self.start_timeout_s
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.05)
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
