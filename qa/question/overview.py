"""Questions about several stories: "What happened with X this week?", "What is the latest on X?"
(a dated timeline) and "Who is X?" (a profile), told apart by the question's form.

Usage:
    detector = OverviewDetector.load()                  # the rules of qa/question/data/overview_phrases.txt
    detector.detect("What is the latest on the Jackson water crisis?")
    # Overview(kind="timeline", topic="the Jackson water crisis")
    detector.detect("Who is Gautam Adani?")             # Overview(kind="profile", topic="Gautam Adani")
    detector.detect("Who is the spokesperson for the agency?")   # None: a role, not a name
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from qa.text.furniture import read_rules

OVERVIEW_PHRASES = Path(__file__).with_name("data") / "overview_phrases.txt"
_KINDS = ("timeline", "profile", "profile-name", "time")
# Lower-case words a name may hold ("Bank of America", "Leonardo da Vinci", "the Dalai Lama").
_NAME_PARTICLES = frozenset(
    ("of", "de", "da", "del", "der", "van", "von", "bin", "al", "la", "le", "the", "and", "&", "y")
)
_NAME_WORD = re.compile(r"^(?:[A-Z0-9][\w.'’&-]*|[IVX]+)$")


@dataclass(frozen=True)
class Overview:
    """A question about several stories: `kind` "timeline" or "profile", `topic` what it is about."""

    kind: Literal["timeline", "profile"]
    topic: str


def looks_like_name(text: str) -> bool:
    """ "Gautam Adani", "the Dalai Lama", "Bank of America": capitalised words and name particles."""
    tokens = text.split()
    if not tokens or not any(_NAME_WORD.match(t) for t in tokens):
        return False
    return all(_NAME_WORD.match(t) or t.lower() in _NAME_PARTICLES for t in tokens)


class OverviewDetector:
    """Reads a question's form against `(kind, regex)` rules; the first rule that matches decides."""

    def __init__(self, rules: list[tuple[str, str]]) -> None:
        for kind, pattern in rules:
            if kind not in _KINDS:
                raise ValueError(f"overview rule kind {kind!r} is not one of {', '.join(_KINDS)}")
            if kind != "time" and "(?P<topic>" not in pattern:
                raise ValueError(f"overview rule {pattern!r} has no (?P<topic>...) group")
        self._asks = [(kind, re.compile(p, re.IGNORECASE)) for kind, p in rules if kind != "time"]
        self._times = [re.compile(p, re.IGNORECASE) for kind, p in rules if kind == "time"]

    @classmethod
    def load(cls, path: Path = OVERVIEW_PHRASES) -> OverviewDetector:
        rules = []
        for line in read_rules(path):
            kind, _, pattern = line.partition("\t")
            rules.append((kind.strip(), pattern.strip()))
        return cls(rules)

    def detect(self, question: str) -> Overview | None:
        """The overview `question` asks for, or None for any other question."""
        text = " ".join(question.split()).rstrip("?!. ").strip()
        for kind, pattern in self._asks:
            m = pattern.match(text)
            if m is None:
                continue
            topic = self._without_time(m.group("topic").strip(" ,"))
            if not topic:
                continue
            if kind == "profile-name":
                if not looks_like_name(topic):
                    continue
                kind = "profile"
            return Overview(kind=kind, topic=topic)  # type: ignore[arg-type]
        return None

    def _without_time(self, topic: str) -> str:
        for pattern in self._times:
            topic = pattern.sub("", topic).strip(" ,")
        return topic
