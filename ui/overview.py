"""What an empty chat shows: what is indexed, and example questions drawn from it (no LLM).

overview_markdown(store.stats())     # "**200** articles from **9** outlets, published 2022-01-03 to ..."
example_questions(store.list_articles(limit=40), lead_of, count=4)
    # ['What is the latest on Queen Elizabeth?', ...]: subjects named in titles or lead sentences
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from typing import Any

# The named subject of a headline: a run of capitalised words (initials, acronyms, "Jr." included).
CAPITALISED_RUN = re.compile(r"(?:[A-Z][\w'’.&-]*)(?:\s+(?:of\s+|de\s+)?[A-Z][\w'’.&-]*)*")
# A headline whose words are mostly capitalised is in title case: its capitals name nothing.
TITLE_CASE_SHARE = 0.8
MAX_SUBJECT_WORDS = 4
SHORT_WORD = 3  # an opening "The", "Why", "How" is taken as the clause's first word, not a name's
CALENDAR = {
    n for n in [*calendar.month_name, *calendar.month_abbr, *calendar.day_name, *calendar.day_abbr] if n
}
OUTLETS_NAMED = 5
QUESTION_TEMPLATE = "What is the latest on {subject}?"


def overview_markdown(stats: dict[str, Any]) -> str:
    """A line on what is indexed, or how to add articles when nothing is."""
    count = stats.get("articles") or 0
    if not count:
        return "**Nothing is indexed yet.** Add articles in the *Add articles* tab, then ask about them."
    outlets = {o: n for o, n in (stats.get("sources") or {}).items() if o}
    top = sorted(outlets, key=lambda o: (-outlets[o], o))[:OUTLETS_NAMED]
    named = ", ".join(f"{o} ({outlets[o]})" for o in top) + (" …" if len(outlets) > len(top) else "")
    span = ""
    if stats.get("published_min"):
        span = f", published {stats['published_min']} to {stats.get('published_max')}"
    plural = "s" if count != 1 else ""
    return (
        f"**{count}** article{plural} from **{len(outlets)}** outlet{'s' if len(outlets) != 1 else ''}{span}."
        + (f"\n\nOutlets: {named}" if named else "")
        + "\n\nAsk about them below, or try one of these:"
    )


def example_questions(
    articles: list[dict[str, Any]], lead_of: Callable[[str], str | None], *, count: int
) -> list[str]:
    """Up to `count` questions on distinct subjects, one per article, outlets taken in turn.

    The subject is the best capitalised run in the title, else in the lead sentence that
    `lead_of(article_id)` returns (a title-case headline's capitals name nothing).
    """
    questions: list[str] = []
    seen: set[str] = set()
    for article in _outlets_in_turn(articles):
        subject = _subject(article.get("title") or "")
        if subject is None:
            subject = _subject(_first_sentence(lead_of(article["id"]) or ""))
        if subject is None or subject.lower() in seen:
            continue
        seen.add(subject.lower())
        questions.append(QUESTION_TEMPLATE.format(subject=subject))
        if len(questions) == count:
            break
    return questions


def _outlets_in_turn(articles: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The articles reordered so consecutive ones come from different outlets where possible."""
    by_outlet: dict[str, list[dict[str, Any]]] = {}
    for article in articles:
        by_outlet.setdefault(article.get("source") or "", []).append(article)
    queues = list(by_outlet.values())
    ordered: list[dict[str, Any]] = []
    while any(queues):
        for queue in queues:
            if queue:
                ordered.append(queue.pop(0))
    return ordered


def _is_title_case(title: str) -> bool:
    words = [w for w in re.findall(r"[A-Za-z][\w'’-]*", title) if len(w) > 3]
    return bool(words) and sum(w[0].isupper() for w in words) / len(words) >= TITLE_CASE_SHARE


def _first_sentence(text: str) -> str:
    text = re.sub(r"^.{0,60}?\s[—–-]{1,2}\s", "", text.strip())  # a dateline: "KABUL (AP) — "
    match = re.match(r".+?[.!?](?=\s|$)", text, flags=re.S)
    return (match.group(0) if match else text)[:300]


def _subject(sentence: str) -> str | None:
    """The best capitalised run of a headline or sentence, cut to MAX_SUBJECT_WORDS words.

    Runs inside a clause beat runs that open one (an opening capital names nothing by itself, so
    an opening run needs two words, and loses its first when that is short or the run is long);
    longer runs beat shorter; dates are no subject.
    """
    if _is_title_case(sentence) and len(sentence.split()) > MAX_SUBJECT_WORDS:
        return None
    sentence = re.split(r"\s[|–—]\s|\s-\s", sentence)[0]  # "... | The Week UK"
    best: tuple[int, int, str] | None = None
    for clause in re.split(r"[:;?!]\s|\.\s", sentence):
        for match in CAPITALISED_RUN.finditer(clause):
            words = re.sub(r"['’]s$", "", match.group(0).rstrip(".,'’-")).split()
            opening = not clause[: match.start()].strip()
            if opening and len(words) > 1 and (len(words) > 2 or len(words[0]) <= SHORT_WORD):
                words = words[1:]  # "Why Nadia Rahimi", "The US": the opening capital is the clause's
            run = " ".join(words)
            if len(run) < 4 or (opening and len(words) < 2) or any(w.strip(".") in CALENDAR for w in words):
                continue
            key = (not opening, len(words), run)
            if best is None or key[:2] > best[:2]:
                best = key
    return " ".join(best[2].split()[:MAX_SUBJECT_WORDS]) if best else None
