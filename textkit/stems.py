"""The one stemmer: Porter-2 (PyStemmer) over lower-cased words, cached; synonyms folded on request.

Usage:
    stem("Purchased")             # "purchas"
    folded_stem("Purchased")      # "buy": synonyms.txt folds it with "bought", "acquired"
    text_stems("Fans bought it", fold_synonyms=True)   # {"fan", "buy", "it"}
    content_stems("Who bought the team?")              # {"bought", "team"}: stop words dropped
    search_terms("The U.S. team won")                  # ["team", "won"]: what the BM25 index matches

`stem` and `folded_stem` are the two faces of one cached core; every other function takes
`fold_synonyms`. The answer stages fold synonyms ("died" meets "killed"); the reranker and the BM25
index do not (their weights were fitted on plain stems).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import lru_cache

import Stemmer

from textkit.wordlists import BASE_STOPWORDS, PHRASE_SYNONYMS, STOPWORDS, SYNONYMS
from textkit.words import words

# PyStemmer objects are not thread-safe (server threads answer concurrently): one per thread.
_local = threading.local()


def _stemmer() -> Stemmer.Stemmer:
    stemmer = getattr(_local, "stemmer", None)
    if stemmer is None:
        stemmer = _local.stemmer = Stemmer.Stemmer("english")
    return stemmer


@lru_cache(maxsize=500_000)
def stem(word: str) -> str:
    """The Porter-2 stem of `word`, lower-cased, without a possessive 's or edge marks (. ' -)."""
    word = word.lower().replace("\u2019", "'")
    if word.endswith("'s"):
        word = word[:-2]
    return str(_stemmer().stemWord(word.strip(".'-")))


@lru_cache(maxsize=200_000)
def folded_stem(word: str) -> str:
    """`stem(word)`, folded onto the stem its synonyms share (`data/synonyms.txt`)."""
    s = stem(word)
    return SYNONYMS.get(s, s)


def _stemmer_of(fold_synonyms: bool) -> Callable[[str], str]:
    return folded_stem if fold_synonyms else stem


def word_stems(word: str, *, fold_synonyms: bool = False) -> list[str]:
    """The stem of a word and, for a hyphenated compound, of each part ("militant-controlled")."""
    of = _stemmer_of(fold_synonyms)
    out = [of(word)]
    if "-" in word:
        out += [of(part) for part in word.split("-") if len(part) > 1]
    return out


def text_stems(text: str, *, fold_synonyms: bool = False) -> set[str]:
    """Every word stem of `text`, hyphenated compounds also by their parts."""
    of = _stemmer_of(fold_synonyms)
    # Distinct words first, stemmed through the cache without a Python call per word: this runs on
    # every retrieved sentence and on whole articles, for each question.
    found = set(words(text))
    out = set(map(of, found))
    if "-" in text:
        for w in found:
            if "-" in w:
                out.update(of(part) for part in w.split("-") if len(part) > 1)
    return out


def content_stems(text: str, *, fold_synonyms: bool = False) -> set[str]:
    """Stems of the words that carry meaning (`STOPWORDS` and single letters dropped)."""
    of = _stemmer_of(fold_synonyms)
    out: set[str] = set()
    for w in words(text):
        lw = w.lower()
        if lw in STOPWORDS or len(lw) < 2 and not lw.isdigit():
            continue
        s = of(lw)
        if s and s not in STOPWORDS:
            out.add(s)
    return out


def phrase_stem(text: str) -> str | None:
    """The one stem a multi-word name stands for ("Great Britain" -> "britain"), or None."""
    return PHRASE_SYNONYMS.get(" ".join(w.lower() for w in words(text)))


def search_terms(text: str) -> list[str]:
    """What the BM25 index matches, in order: the stems of the lower-cased search words
    (`words(text, search=True)`: "U.S.-led" -> "led"), base stop words dropped, synonyms not folded."""
    return [stem(w) for w in words(text.lower(), search=True) if w not in BASE_STOPWORDS]
