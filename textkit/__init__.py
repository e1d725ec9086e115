"""The text kernel: sentences, words, stems and stop words, shared by `index/` and `qa/`.

Usage:
    from textkit import split_sentences, words, stem, folded_stem, STOPWORDS
    spans = split_sentences(article_text)     # [(start, end), ...]
    words("AT&T's U.S. unit")                 # ["AT&T's", "U.S", "unit"]
    stem("purchased"), folded_stem("purchased")   # "purchas", "buy"

It imports no other room: every room may use it. Word lists are data files in `textkit/data/`.
"""

from textkit.sentences import split_sentences
from textkit.stems import (
    content_stems,
    folded_stem,
    phrase_stem,
    search_terms,
    stem,
    text_stems,
    word_stems,
)
from textkit.wordlists import BASE_STOPWORDS, QUESTION_STOPWORDS, STOPWORDS
from textkit.words import word_matches, words

# What the functions above return, as a number: raise it with any change to what they return for a
# text (rules, patterns, word lists). The lexical index keeps tokens and terms made with them, and
# rebuilds itself from Chroma when its stamp differs. 1: the copies before this kernel.
VERSION = 2

__all__ = [
    "VERSION",
    "BASE_STOPWORDS",
    "QUESTION_STOPWORDS",
    "STOPWORDS",
    "content_stems",
    "folded_stem",
    "phrase_stem",
    "search_terms",
    "split_sentences",
    "stem",
    "text_stems",
    "word_stems",
    "word_matches",
    "words",
]
