"""The "Add articles" tab's article list: search, open and delete indexed articles.

library = ArticleLibrary(store)
count, rows = library.search("drone")       # "2 of 200 articles match ...", [[published, outlet, title, id]]
library.open("7999bad3e4a4883b")             # Markdown: title, outlet, date, link, text
library.delete("7999bad3e4a4883b")           # "Deleted ..." (or why not)
"""

from __future__ import annotations

from html import escape
from typing import Any

from newsqa.protocols import ArticleStoreLike

ROWS_SHOWN = 100  # matches listed at once; the count line says how many more a search would narrow
HEADERS = ["published", "outlet", "title", "id"]


class ArticleLibrary:
    """Search, open and delete over a store's article list (no Gradio here: plain strings and rows)."""

    def __init__(self, store: ArticleStoreLike, *, rows_shown: int = ROWS_SHOWN) -> None:
        self.store = store
        self.rows_shown = rows_shown

    def search(self, query: str | None) -> tuple[str, list[list[str]]]:
        """Articles whose title, outlet, date or id contain every word of `query`, newest first."""
        words = (query or "").lower().split()
        articles = self.store.list_articles()
        matches = [a for a in articles if all(w in _haystack(a) for w in words)]
        rows = [[a.get("published") or "", a.get("source") or "", a.get("title") or "", a.get("id", "")]
                for a in matches[: self.rows_shown]]  # fmt: skip
        total = _count(len(articles), "article")
        if not words:
            count = total + (f", newest {len(rows)} shown" if len(rows) < len(articles) else "")
        else:
            count = f"{len(matches)} of {total} match “{escape(query or '')}”"
            if len(rows) < len(matches):
                count += f"; first {len(rows)} shown"
        return count + ". Select a row to open it.", rows

    def open(self, article_id: str | None) -> str:
        article = self.store.get_article(article_id) if article_id else None
        if article is None:
            return f"No article with id `{article_id}`." if article_id else ""
        title = escape(article.title or article.id)
        heading = f"[{title}]({article.url})" if article.url else title
        meta = " · ".join(
            escape(str(v)) for v in (article.source, article.published, article.author, article.id) if v
        )
        return f"### {heading}\n{meta}\n\n{escape(article.text)}"

    def delete(self, article_id: str | None) -> str:
        if not article_id:
            return "Open an article first (select its row), then delete it."
        article = self.store.get_article(article_id)
        if not self.store.delete_article(article_id):
            return f"No article with id `{article_id}`: it was already deleted."
        title = article.title if article is not None else article_id
        return f"Deleted “{escape(title)}” (`{article_id}`) and its passages."


def row_id(row: list[Any] | None) -> str | None:
    """The article id of a selected table row (the last column)."""
    return str(row[-1]) if row and row[-1] else None


def _haystack(article: dict[str, Any]) -> str:
    return " ".join(str(article.get(k) or "") for k in ("title", "source", "published", "id")).lower()


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")
