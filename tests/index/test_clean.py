from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from index.clean import (
    BAD,
    GOOD,
    BoilerplateCleaner,
    decode_text,
    normalize_whitespace,
    split_markdown,
    split_plain_title,
)
from newsqa.errors import IngestError

SEED_FIRST = "The US military has said that it carried out a drone strike"
SEED_LAST = "creating new opportunities for cooperation between the two sides."

# Site chrome around real dev-set articles: each capture is (prefix, suffix, in-body junk lines).
DAWN_TEASERS = """

Opinion

Editorial

Grain crisis
Updated 12 Jul, 2022

Grain crisis

The government must act before the wheat shortage worsens.
Power tariffs
11 Jul, 2022

Power tariffs

ANOTHER increase in electricity prices has been announced, adding to the ...
Monsoon warnings
Updated 10 Jul, 2022

Monsoon warnings

Cities remain unprepared for the floods that arrive every summer."""

NAV_AND_COOKIES = """Skip to main content
Home
World
Politics
Business
Sport
Sign in
Subscribe
We use cookies to give you the best experience on our website. By continuing to browse, you agree to our use of cookies.
Accept all

"""

SHARE_RELATED_FOOTER = """

Share this article
Facebook
Twitter
Email

Related stories

Why the Fed keeps raising rates
Economists expect another increase as inflation stays high.

Five takeaways from the midterm elections
Voters split tickets in several key states, surprising both parties.

© 2022 Example Media Group. All rights reserved.
Privacy Policy | Terms of Use | Contact Us"""

MOST_POPULAR_NEWSLETTER = """

Most Popular

1. Stocks slide as oil prices jump
2. What to watch on TV this weekend
3. Storm knocks out power to thousands

Sign up for our morning newsletter
Get the day's top stories delivered to your inbox.
Subscribe now

Published 3 hours ago"""

CAPTURES = {
    "dawn-teasers": ("0530eb72821c3d96", "", DAWN_TEASERS),
    "nav-cookies-share-related-footer": ("05b3abb47ae8770f", NAV_AND_COOKIES, SHARE_RELATED_FOOTER),
    "ads-most-popular-newsletter": ("059139d2d87f84f7", "Menu\nSearch\nLog in\n\n", MOST_POPULAR_NEWSLETTER),
    "live-blog-short-lines": (
        "000a59fcd3ac0dfd",
        NAV_AND_COOKIES,
        SHARE_RELATED_FOOTER + MOST_POPULAR_NEWSLETTER,
    ),
}


@pytest.fixture(scope="module")
def cleaner() -> BoilerplateCleaner:
    return BoilerplateCleaner()


@pytest.fixture(scope="module")
def h1_dev_by_id(dev_articles: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {a["id"]: a for a in dev_articles}


def _with_ads(body: str) -> str:
    """Ad labels between paragraphs, as page captures have them."""
    paragraphs = body.split("\n\n")
    for at in (len(paragraphs) * 2 // 3, len(paragraphs) // 3):
        paragraphs.insert(at, "Advertisement")
    return "\n\n".join(paragraphs)


class TestNormalizeWhitespace:
    def test_line_endings_trailing_spaces_and_blank_runs(self) -> None:
        raw = "  Title line  \r\n\r\n\r\n\r\nBody one.\t \rBody two.\n\n\n"
        assert normalize_whitespace(raw) == "Title line\n\nBody one.\nBody two."

    def test_text_inside_lines_is_untouched(self) -> None:
        raw = "A  double  space and a\u00a0no-break space stay."
        assert normalize_whitespace(raw) == raw


class TestSeedCapture:
    def test_keeps_whole_body_and_drops_teasers(self, cleaner: BoilerplateCleaner, h1_seed_text: str) -> None:
        out = cleaner.clean(h1_seed_text)
        assert out.startswith(SEED_FIRST)
        assert out.endswith(SEED_LAST)
        for junk in (
            "Opinion",
            "Editorial",
            "Bullish stock market",
            "Updated 23 Nov, 2024",
            "Kurram",
            "2030",
        ):
            assert junk not in out
        # The body itself is byte-for-byte what the capture had.
        body = normalize_whitespace(h1_seed_text)
        assert out == body[: body.index(SEED_LAST) + len(SEED_LAST)]

    def test_one_line_quote_and_subheading_stay(self, cleaner: BoilerplateCleaner, h1_seed_text: str) -> None:
        out = cleaner.clean(h1_seed_text)
        assert "“We will not forgive. We will not forget. We will hunt you down and make you pay,”" in out
        assert "\n\nTaliban-US cooperation\n\n" in out

    def test_teaser_lines_are_classified_as_boilerplate(
        self, cleaner: BoilerplateCleaner, h1_seed_text: str
    ) -> None:
        kinds = {b.text: b.kind for b in cleaner.classify(normalize_whitespace(h1_seed_text))}
        assert kinds["Updated 23 Nov, 2024"] == BAD
        assert kinds["Lacunae in our counterterrorism efforts need to be plugged quickly."] == BAD
        assert (
            kinds[
                "They agreed to stay closely engaged with respect to any future arrangements at the airport."
            ]
            == GOOD
        )


class TestSyntheticCaptures:
    @pytest.mark.parametrize("name", sorted(CAPTURES))
    def test_body_kept_exactly_and_chrome_removed(
        self, name: str, cleaner: BoilerplateCleaner, h1_dev_by_id: dict[str, dict[str, Any]]
    ) -> None:
        article_id, prefix, suffix = CAPTURES[name]
        body = normalize_whitespace(h1_dev_by_id[article_id]["text"])
        capture = prefix + _with_ads(body) + suffix
        assert cleaner.clean(capture) == body

    def test_short_paragraph_mid_body_never_splits_it(self, cleaner: BoilerplateCleaner) -> None:
        prose = "The committee met on Tuesday to discuss the budget, and members said the talks went well. "
        parts = [prose * 3, "Read more", "Why?", prose * 3, "Updated 5 Jan, 2022", prose * 2]
        body = "\n\n".join(p.strip() for p in parts)
        out = cleaner.clean(body + SHARE_RELATED_FOOTER)
        assert out == body

    def test_text_without_prose_is_left_alone(self, cleaner: BoilerplateCleaner) -> None:
        raw = "Home\nWorld\nScores: 3-1, 2-2\n"
        assert cleaner.clean(raw) == normalize_whitespace(raw)


class TestDevSetPreserved:
    def test_no_gold_answer_is_cut_from_any_dev_article(
        self, cleaner: BoilerplateCleaner, h1_dev_by_id: dict[str, dict[str, Any]], shared_dir: Path
    ) -> None:
        """Cleaning already-clean articles must not remove any text a question is answered from."""
        questions = shared_dir / "data" / "realtimeqa-2022" / "questions.jsonl"
        lost, changed = [], 0
        cleaned: dict[str, str] = {}
        for aid, article in h1_dev_by_id.items():
            cleaned[aid] = cleaner.clean(article["text"])
            changed += cleaned[aid] != normalize_whitespace(article["text"])
        for line in questions.read_text(encoding="utf-8").splitlines():
            q = json.loads(line)
            for aid in q.get("relevant_article_ids", []):
                for answer in q["answers"]:
                    if (
                        answer.lower() in h1_dev_by_id[aid]["text"].lower()
                        and answer.lower() not in cleaned[aid].lower()
                    ):
                        lost.append((q["id"], aid, answer))
        assert lost == []
        assert changed < 0.1 * len(h1_dev_by_id)  # most dev articles are clean already


class TestTextHelpers:
    def test_decode_text_rejects_binary_and_falls_back_from_utf8(self) -> None:
        with pytest.raises(IngestError, match="binary"):
            decode_text(b"\x89PNG\r\n\x1a\n" + bytes(200))
        assert decode_text("café".encode("cp1252")) == "café"
        assert decode_text("\ufeffcafé".encode()) == "café"

    def test_plain_title_needs_a_short_first_line_and_a_blank_line(self) -> None:
        assert split_plain_title("Harbor bridge reopens\n\nThe bridge opened.") == (
            "Harbor bridge reopens",
            "The bridge opened.",
        )
        assert split_plain_title("The bridge opened today.\n\nMore text.")[0] is None

    def test_markdown_front_matter_heading_and_links(self) -> None:
        md = (
            "---\ntitle: Front title\ndate: 2022-07-06\n---\n# Heading\n\nSee **the [report](http://x)** now."
        )
        title, body, meta = split_markdown(md)
        assert title == "Front title"
        assert meta["date"] == "2022-07-06"
        assert body.strip() == "See the report now."
