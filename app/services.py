"""The objects behind the API and the UI, built once: one embedder and one store, shared.

Usage:
    services = build_services(Settings())
    app = create_app(settings, services=services)
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from api.deps import AnswererLike, Services
from newsqa.settings import Settings

log = logging.getLogger(__name__)


def build_services(settings: Settings) -> Services:
    """Load the model and open the store once; the Answerer and the Ingestor share both."""
    from index.loaders import make_article
    from index.pipeline import build_embedder, build_ingestor, build_store

    embedder = build_embedder(settings)
    store = build_store(settings, embedder)
    # Uploads through the API are small: no second copy of the model in a child process.
    ingestor = build_ingestor(settings, embedder=embedder, store=store, encoder_process=False)
    answerer = _shared_answerer(settings, embedder, store)
    log.info(
        "services ready: store %s", f"server {settings.chroma_url}" if settings.chroma_url else "embedded"
    )
    return Services(
        answerer=answerer,
        ingestor=ingestor,
        store=store,
        make_article=make_article,
        upload_dir=Path(settings.data_dir) / "uploads",
        llm_enabled=bool(settings.llm_url and settings.llm_model),
    )


def _shared_answerer(settings: Settings, embedder: Any, store: Any) -> AnswererLike:
    """`qa.build.build_answerer` on the given embedder and store.

    A second store object would keep its own view of the articles and miss what the Ingestor
    writes, so the Answerer must read through the same one.
    """
    from qa.build import build_answerer

    return build_answerer(settings, embedder=embedder, store=store)
