"""The article endpoints: add (JSON, uploads, URLs), list, get, delete.

POST /articles takes `application/json` ({"articles": [...]} and/or {"urls": [...]}) or
`multipart/form-data` with one or more `files`. Uploads are written under the data dir's
`uploads/` folder with generated names, parsed by the loaders, and removed afterwards.
URLs go through the Ingestor's fetcher (SSRF guard, redirect/size/time limits). Uploads and URLs
share one budget per request (api.limits.WriteLimits: unpacked bytes, lines, articles): past it the
request is refused whole with 413 before anything is written; the reply lists a bounded number
of items.
"""

from __future__ import annotations

import shutil
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from pydantic import AfterValidator, ValidationError
from starlette.datastructures import UploadFile

from api.deps import GuardsDep, Services, ServicesDep, read_rate_limit, write_rate_limit
from api.limits import WriteLimits, WriteLimitsDep
from api.schemas import (
    ArticleListResponse,
    ArticleOut,
    DeleteResponse,
    IngestRequest,
    IngestResponse,
    check_iso_date,
)
from api.security import UploadSpool
from newsqa.errors import IngestError, InvalidInput, NotFound, TooLarge
from newsqa.types import Article, IngestFailure, IngestSummary
from qa.ingest_policy import MAX_ARTICLES_PER_REQUEST, IngestPolicy, show_client_names

router = APIRouter(tags=["articles"])

ArticleId = Annotated[str, PathParam(min_length=1, max_length=200)]
DateQuery = Annotated[str | None, AfterValidator(check_iso_date)]
UPLOAD_CHUNK_BYTES = 1 << 20

INGEST_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/IngestRequest"}},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "files": {"type": "array", "items": {"type": "string", "format": "binary"}}
                    },
                    "required": ["files"],
                }
            },
        },
    }
}


@router.post(
    "/articles",
    response_model=IngestResponse,
    dependencies=[Depends(write_rate_limit)],
    openapi_extra=INGEST_BODY,
)
async def add_articles(
    request: Request, services: ServicesDep, guards: GuardsDep, limits: WriteLimitsDep
) -> dict[str, Any]:
    """Index articles given as JSON, uploaded files, or URLs (pages or feeds); returns the ingest summary."""
    content_type = request.headers.get("content-type", "").lower()
    if content_type.startswith("multipart/form-data"):
        summary = await _ingest_uploads(request, services, guards.max_upload_bytes, limits)
        return limits.reply(summary)
    if not content_type.startswith("application/json"):
        raise InvalidInput(
            "send application/json ({'articles': [...]} or {'urls': [...]}) or multipart files"
        )
    try:
        body = IngestRequest.model_validate_json(await request.body())
    except ValidationError as exc:
        raise RequestValidationError(_body_errors(exc)) from exc
    if not body.articles and not body.urls:
        raise InvalidInput("nothing to ingest: give 'articles' or 'urls'")
    return limits.reply(await run_in_threadpool(_ingest_json, services, body, limits))


def _body_errors(exc: ValidationError) -> list[dict[str, Any]]:
    errors = exc.errors(include_url=False, include_input=False, include_context=False)
    return [{**e, "loc": ("body", *e["loc"])} for e in errors]


def _ingest_json(services: Services, body: IngestRequest, limits: WriteLimits) -> IngestSummary:
    # URLs first: one past the request's limits is refused before the given articles are written.
    fetched = (
        IngestPolicy.http_api().ingest(services.ingestor, list(body.urls), limits=limits.ingest)
        if body.urls
        else None
    )
    summary = IngestSummary()
    if body.articles:
        entries: list[Article | IngestFailure] = []
        for i, given in enumerate(body.articles):
            try:
                entries.append(
                    services.make_article(given.text, **given.model_dump(exclude={"text"}, exclude_none=True))
                )
            except IngestError as exc:  # one unusable article is reported; the others go in
                entries.append(
                    IngestFailure(item=given.id or given.title or f"articles[{i}]", error=exc.message)
                )
        summary = services.ingestor.ingest_articles(entries)
    return summary if fetched is None else _merge(summary, fetched)


def _merge(a: IngestSummary, b: IngestSummary) -> IngestSummary:
    return IngestSummary(
        added=a.added + b.added,
        updated=a.updated + b.updated,
        unchanged=a.unchanged + b.unchanged,
        duplicates=a.duplicates + b.duplicates,
        failed=[*a.failed, *b.failed],
        chunks=a.chunks + b.chunks,
        seconds=a.seconds + b.seconds,
        items=[*a.items, *b.items],
    )


async def _ingest_uploads(
    request: Request, services: Services, max_upload_bytes: int, limits: WriteLimits
) -> IngestSummary:
    spool = UploadSpool(services.upload_dir)
    form = await request.form(max_files=MAX_ARTICLES_PER_REQUEST, max_fields=10)
    folder = spool.new_folder()
    try:
        paths = []
        client_names: dict[str, str] = {}
        total = 0
        for upload in form.getlist("files"):
            if not isinstance(upload, UploadFile):
                raise InvalidInput("'files' must be uploaded files, not text fields")
            path = spool.path_for(folder, upload.filename)
            with path.open("xb") as out:
                while chunk := await upload.read(UPLOAD_CHUNK_BYTES):
                    total += len(chunk)
                    if total > max_upload_bytes:
                        raise TooLarge(f"uploaded files exceed the limit of {max_upload_bytes} bytes")
                    out.write(chunk)
            paths.append(str(path))
            client_names[str(path)] = UploadSpool.display_name(upload.filename)
        if not paths:
            raise InvalidInput("no files uploaded: send them in the multipart field 'files'")
        policy = IngestPolicy.http_api(folder)
        summary = await run_in_threadpool(
            lambda: policy.ingest(services.ingestor, paths, limits=limits.ingest)
        )
        show_client_names(summary, client_names)  # the client's names, not paths on this server
    finally:
        await form.close()
        shutil.rmtree(folder, ignore_errors=True)
    return summary


@router.get("/articles", response_model=ArticleListResponse, dependencies=[Depends(read_rate_limit)])
def list_articles(
    services: ServicesDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    source: Annotated[list[str] | None, Query(description="Outlet; repeat for several.")] = None,
    published_from: Annotated[DateQuery, Query(description="Inclusive ISO date.")] = None,
    published_to: Annotated[DateQuery, Query(description="Inclusive ISO date.")] = None,
) -> dict[str, Any]:
    """Article metadata, newest first as the store orders them, one page at a time."""
    articles = services.store.list_articles(
        sources=source or None,
        published_from=published_from,
        published_to=published_to,
        limit=limit,
        offset=offset,
    )
    return {
        "articles": articles,
        "limit": limit,
        "offset": offset,
        "next_offset": offset + limit if len(articles) == limit else None,
    }


@router.get("/articles/{article_id}", response_model=ArticleOut, dependencies=[Depends(read_rate_limit)])
def get_article(article_id: ArticleId, services: ServicesDep) -> dict[str, Any]:
    """One article: its full text (the text citation offsets point into) and metadata."""
    article = services.store.get_article(article_id)
    if article is None:
        raise NotFound(f"no article with id {article_id!r}")
    return article.to_dict()


@router.delete(
    "/articles/{article_id}", response_model=DeleteResponse, dependencies=[Depends(write_rate_limit)]
)
def delete_article(article_id: ArticleId, services: ServicesDep) -> dict[str, str]:
    """Remove an article and its chunks from the index."""
    if not services.store.delete_article(article_id):
        raise NotFound(f"no article with id {article_id!r}")
    return {"deleted": article_id}
