"""Questions that end in a blank ("...denied an affair with who?", "He was known as:"): the answer is
the words that follow the question's last words in a sentence read.

Usage:
    found = cloze_answer(question.text, ranked[:CLOZE_SENTENCES])   # (sentence, start, end) or None
"""

from __future__ import annotations

import re

from qa.answering.sentences import Sentence
from qa.text.nlp import STOPWORDS, stem
from textkit import word_matches, words

# "...denied an affair with who?", "...convictions for what charge?", "...was trying to:": the answer
# follows the question's last words.
_CLOZE_END = re.compile(
    r"\b(?:(?:what|which)(?:\s+[a-z]+)?|who|whom|where|when|how (?:many|much))\s*\?\s*$|:\s*$", re.I
)
_LINKING = frozenset(
    {"with", "as", "to", "since", "in", "of", "for", "by", "from", "on", "at", "about", "against"}
    | {"into", "than", "like"}
)
_SPAN_STOP = re.compile(r"[,;:!?()\[\]—–]|\.(?=\s|$)|\s[-–]\s")
_ASKS_SUBJECT = re.compile(
    r"\s*(?:this|these)\s+(?!(?:past\s+)?(?:week|weekend|month|year|summer|fall|autumn|winter|spring)\b)",
    re.I,
)
# Words that end the blank's filler: what follows them adds circumstances ("212 feet on its north side").
_FILLER_ENDS = frozenset(
    ["on", "by", "at", "in", "after", "before", "during", "since", "from", "when", "while", "which", "who"]
    + ["that", "because", "and", "but"]
)
CLOZE_SENTENCES = 3
_CLOZE_MAX_WORDS = 8


def _cloze_context(question: str) -> list[str] | None:
    """Stems of the words the answer should follow: the last word before the blank, and the one before
    it when that last word only links ("affair with", "known as"); None for other questions."""
    m = _CLOZE_END.search(question.strip())
    if m is None or _ASKS_SUBJECT.match(question):  # "This fashion house drew backlash ...:" asks who
        return None
    before = words(question[: m.start()])
    if not before:
        return None
    n = 2 if before[-1].lower() in _LINKING and len(before) > 1 else 1
    if before[-n].lower() in STOPWORDS and before[-n].lower() not in _LINKING:
        return None
    return [stem(w) for w in before[-n:]]


def cloze_answer(question: str, sentences: list[Sentence]) -> tuple[Sentence, int, int] | None:
    """(sentence, start, end) of the words right after the question's context in the best sentence
    that has it, up to the next punctuation."""
    context = _cloze_context(question)
    if not context:
        return None
    for s in sentences:
        text = s.passage.article.text
        tokens = list(word_matches(text, s.start, s.end))
        stems = [stem(t.group()) for t in tokens]
        for i in range(len(tokens) - len(context)):
            if stems[i : i + len(context)] != context:
                continue
            start = tokens[i + len(context)].start()
            stop = _SPAN_STOP.search(text, start, s.end)
            end = min(stop.start() if stop else s.end, s.end)
            words_after = [t for t in tokens[i + len(context) :] if t.end() <= end][:_CLOZE_MAX_WORDS]
            cut = next(
                (k for k, t in enumerate(words_after) if k and t.group().lower() in _FILLER_ENDS), None
            )
            words_after = words_after[:cut]
            if not words_after:
                continue
            end = words_after[-1].end()
            piece = text[start:end]
            opened = piece.find("“") if "”" not in piece else -1
            if opened < 0 and piece.count('"') % 2:
                opened = piece.find('"')
            if opened >= 0:  # the quotation runs on past the span: quote the words inside it only
                start += opened + 1
            return s, start, end
    return None
