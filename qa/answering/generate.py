"""Optional generative mode: an OpenAI-compatible chat model writes the answer, every sentence checked.

Usage:
    llm = LLMClient("http://127.0.0.1:8080", "smollm2")
    ex = GenerativeAnswerer(llm).answer(question, passages)   # Extraction | None (None: fall back)

The model sees numbered passages and must cite them as [n]. A generated sentence survives only when
its names, numbers and most of its content words occur in the passages it cites; the others are
dropped. Markers are renumbered to the citations the answer ends up with.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import httpx

from newsqa.errors import Unavailable
from qa.answering.sentences import Evidence, Extraction, Passage
from qa.text.nlp import STOPWORDS, normalize_text, split_sentences, stem, words

_MARKER_RE = re.compile(r"\[(\d{1,2})\]")
_REPEATED_MARKER_RE = re.compile(r"(\[(\d+)\])(?:\s*\[\2\])+")  # "[1][1]" after renumbering
_SYSTEM = (
    "You answer questions about news using only the numbered passages given. Answer in one to three "
    "short sentences. End every sentence with the number of the passage that supports it, like [1]. "
    "If the passages do not contain the answer, say: Not found in the indexed articles."
)


class LLMClient:
    """A client for any OpenAI-compatible `/v1/chat/completions` endpoint (plain or SSE streaming)."""

    def __init__(self, base_url: str, model: str, api_key: str | None = None, timeout_s: float = 60) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ValueError(f"LLM base_url must be an http(s) URL, got {base_url!r}")
        if not model:
            raise ValueError("LLM model name is empty")
        if timeout_s <= 0:
            raise ValueError(f"timeout_s must be > 0, got {timeout_s}")
        root = base_url.rstrip("/")
        self.url = root + ("/chat/completions" if root.endswith("/v1") else "/v1/chat/completions")
        self.model = model
        self.headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.timeout_s = timeout_s

    def complete(self, messages: list[dict[str, str]], max_tokens: int = 256) -> str:
        body = {"model": self.model, "messages": messages, "max_tokens": max_tokens, "temperature": 0}
        try:
            resp = httpx.post(self.url, json=body, headers=self.headers, timeout=self.timeout_s)
            resp.raise_for_status()
            return str(resp.json()["choices"][0]["message"]["content"] or "")
        except (httpx.HTTPError, KeyError, IndexError, ValueError) as exc:
            raise Unavailable(f"LLM at {self.url} failed: {exc}") from exc

    def stream(self, messages: list[dict[str, str]], max_tokens: int = 256) -> Iterator[str]:
        body = {
            "model": self.model,
            "messages": messages,
            "max_tokens": max_tokens,
            "temperature": 0,
            "stream": True,
        }
        try:
            with httpx.stream(
                "POST", self.url, json=body, headers=self.headers, timeout=self.timeout_s
            ) as resp:
                resp.raise_for_status()
                for line in resp.iter_lines():
                    if not line.startswith("data:"):
                        continue
                    data = line[5:].strip()
                    if data == "[DONE]":
                        break
                    delta = json.loads(data)["choices"][0].get("delta", {}).get("content")
                    if delta:
                        yield delta
        except (httpx.HTTPError, KeyError, IndexError, ValueError) as exc:
            raise Unavailable(f"LLM at {self.url} failed: {exc}") from exc


class GenerativeAnswerer:
    """Prompts with numbered passages and keeps only the generated sentences their passages support."""

    def __init__(self, llm: LLMClient, min_word_support: float = 0.7) -> None:
        self.llm = llm
        self.min_word_support = min_word_support

    def messages(self, question: str, passages: list[Passage]) -> list[dict[str, str]]:
        numbered = "\n\n".join(
            f"[{i}] {p.article.title}\n{p.hit.chunk.text}" for i, p in enumerate(passages, 1)
        )
        return [
            {"role": "system", "content": _SYSTEM},
            {"role": "user", "content": f"Passages:\n\n{numbered}\n\nQuestion: {question}"},
        ]

    def answer(self, question: str, passages: list[Passage]) -> Extraction | None:
        if not passages:
            return None
        return self.verify(self.llm.complete(self.messages(question, passages)), passages)

    def stream(self, question: str, passages: list[Passage]) -> Iterator[tuple[str, object]]:
        """("token", text) while the model writes, then ("result", Extraction | None)."""
        pieces: list[str] = []
        for token in self.llm.stream(self.messages(question, passages)):
            pieces.append(token)
            yield "token", token
        yield "result", self.verify("".join(pieces), passages)

    def verify(self, text: str, passages: list[Passage]) -> Extraction | None:
        """Supported sentences with renumbered markers, or None when none survives."""
        kept: list[str] = []
        evidence: list[Evidence] = []
        number_of: dict[int, int] = {}  # passage marker -> citation number
        # Two passages (overlapping chunks of one story, or reprints) can yield the same quote, which
        # `CitationBuilder` cites once: their markers must share its number.
        number_of_quote: dict[str, int] = {}
        for s, e in split_sentences(text):
            sentence = text[s:e]
            cited = [int(n) for n in _MARKER_RE.findall(sentence) if 1 <= int(n) <= len(passages)]
            body = _MARKER_RE.sub("", sentence).strip()
            if not cited or not body or not self.supported(body, [passages[n - 1] for n in cited]):
                continue
            for n in dict.fromkeys(cited):
                if n in number_of:
                    continue
                quote = _best_sentence(body, passages[n - 1])
                key = normalize_text(quote.passage.article.text[quote.start : quote.end])
                if key not in number_of_quote:
                    number_of_quote[key] = len(evidence) + 1
                    evidence.append(quote)
                number_of[n] = number_of_quote[key]
            renumbered = _MARKER_RE.sub(lambda m: f"[{number_of.get(int(m.group(1)), 0)}]", sentence)
            kept.append(_REPEATED_MARKER_RE.sub(r"\1", renumbered).strip())
        kept = [k.replace(" [0]", "") for k in kept]
        if not kept:
            return None
        return Extraction(" ".join(kept), evidence, confidence=1.0)

    def supported(self, sentence: str, cited: list[Passage]) -> bool:
        """Names and numbers all occur in the cited passages; enough content words do too."""
        source = set().union(*({stem(w) for w in words(p.hit.chunk.text)} for p in cited))
        tokens = words(sentence)
        strict = [
            w for i, w in enumerate(tokens) if any(ch.isdigit() for ch in w) or (i > 0 and w[:1].isupper())
        ]
        if any(stem(w) not in source for w in strict):
            return False
        content = [stem(w) for w in tokens if w.lower() not in STOPWORDS]
        if not content:
            return False
        return sum(1 for s in content if s in source) / len(content) >= self.min_word_support


def _best_sentence(sentence: str, passage: Passage) -> Evidence:
    """The passage sentence sharing the most words with a generated sentence (the quote to cite)."""
    target = {stem(w) for w in words(sentence) if w.lower() not in STOPWORDS}
    best = max(
        range(len(passage.sentences)), key=lambda i: len(target & passage.sentence_stems[i]), default=None
    )
    if best is None:
        return Evidence(passage, passage.hit.chunk.start, passage.hit.chunk.end, passage.hit.score)
    s, e = passage.sentences[best]
    return Evidence(passage, s, e, passage.hit.score)
