from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from index.dedup import Deduplicator
from newsqa.errors import InvalidInput

# Two pairs of dev articles that are the same page captured twice (Jaccard 1.0).
KNOWN_DUPLICATES = {
    frozenset({"8b65aaf2386208cd", "90e4e50e6ea95843"}),
    frozenset({"3146dc21aac26a8b", "7f7860b9e56ffc28"}),
}
# Two different USA Today stories on Brittney Griner's release (Jaccard ~0.59).
SAME_EVENT_PAIR = ("9737b680b78fdbef", "c1e6b8c42a7f330b")


@pytest.fixture(scope="module")
def dedup() -> Deduplicator:
    return Deduplicator(threshold=0.8)


@pytest.fixture(scope="module")
def h1_dev(dev_articles: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {a["id"]: a for a in dev_articles}


def _reprint(text: str) -> str:
    """The same story as another outlet runs it: own dateline, a few edits, its own footer."""
    paragraphs = text.split("\n\n")
    paragraphs[0] = "WASHINGTON (Wire Service) — " + paragraphs[0]
    edited = "\n\n".join(paragraphs)
    for old, new in ((" said ", " says "), (" the ", " a "), ("percent", "%")):
        edited = edited.replace(old, new, 1)
    return edited + "\n\nCopyright 2022 Wire Service. This story was reprinted with permission."


class TestSignature:
    def test_deterministic_across_processes(self, dedup: Deduplicator) -> None:
        text = "Officials said the bridge will reopen on Monday after two years of repairs."
        code = f"from index.dedup import Deduplicator; print(Deduplicator().signature({text!r}))"
        other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        assert other.stdout.strip() == dedup.signature(text)

    def test_signatures_stored_by_earlier_versions_still_match(self) -> None:
        # Written by datasketch 2.0's MinHash(seed=1, scheme="affine32"), which earlier versions
        # used: stored signatures must keep comparing equal to freshly computed ones.
        assert (
            Deduplicator(num_perm=16, shingle=2).signature(
                "The Mayor said: the bridge, finally, reopens on Monday!"
            )
            == "GvSZHtHlfR5s7z0jnK9cCzNUWRD964sTuEOVFvEv9QbP6ScfBxq/LfR6HQQK9DkqsL2tURI8RR0Ko6EBt/qNEQ=="
        )
        assert Deduplicator().signature("short text").startswith("RwBIiGhD/C2Sp93G4/szuqfKI6NMrr+I8RSwYBGk")
        assert Deduplicator().signature("").startswith("z2XGoxDYV2lq8SF9+wwyTg/PKK+U8pRKmaOGP5mb")

    def test_case_and_punctuation_do_not_matter(self, dedup: Deduplicator) -> None:
        a = "The Mayor said: the bridge, finally, reopens on Monday!"
        b = "the mayor said the bridge finally reopens on monday"
        assert dedup.signature(a) == dedup.signature(b)
        assert dedup.similarity(dedup.signature(a), dedup.signature(b + " and more words follow here")) < 1

    def test_bad_signatures_are_rejected(self, dedup: Deduplicator) -> None:
        with pytest.raises(InvalidInput):
            dedup.find("not base64!!")
        with pytest.raises(InvalidInput, match="expected 128"):
            dedup.find(Deduplicator(num_perm=64).signature("some text here"))

    def test_invalid_config(self) -> None:
        with pytest.raises(ValueError):
            Deduplicator(threshold=0)
        with pytest.raises(ValueError):
            Deduplicator(shingle=0)


class TestFind:
    def test_reprint_with_other_headline_and_boilerplate_is_found(
        self, h1_dev: dict[str, dict[str, Any]]
    ) -> None:
        dedup = Deduplicator()
        original = h1_dev["0530eb72821c3d96"]
        dedup.add(original["id"], dedup.signature(original["text"]))
        dedup.add("other", dedup.signature(h1_dev["05b3abb47ae8770f"]["text"]))
        match = dedup.find(dedup.signature(_reprint(original["text"])))
        assert match is not None
        assert match[0] == original["id"]
        assert 0.8 <= match[1] < 1.0

    def test_same_event_different_stories_are_not_flagged(self, h1_dev: dict[str, dict[str, Any]]) -> None:
        dedup = Deduplicator()
        a, b = (h1_dev[i] for i in SAME_EVENT_PAIR)
        dedup.add(a["id"], dedup.signature(a["text"]))
        assert dedup.find(dedup.signature(b["text"])) is None
        assert 0.3 < dedup.similarity(dedup.signature(a["text"]), dedup.signature(b["text"])) < 0.8

    def test_only_true_duplicates_among_all_relevant_dev_articles(
        self, h1_dev: dict[str, dict[str, Any]], shared_dir: Path
    ) -> None:
        """Articles retrieved for the same questions overlap in topic; only real copies match."""
        questions = (shared_dir / "data" / "realtimeqa-2022" / "questions.jsonl").read_text(encoding="utf-8")
        ids = sorted({i for line in questions.splitlines() for i in json.loads(line)["relevant_article_ids"]})
        dedup = Deduplicator()
        sigs = {i: dedup.signature(h1_dev[i]["text"]) for i in ids}
        for i in ids:
            dedup.add(i, sigs[i])
        flagged = set()
        for i in ids:
            match = dedup.find(sigs[i], exclude_id=i)
            if match:
                flagged.add(frozenset({i, match[0]}))
        assert flagged == KNOWN_DUPLICATES

    def test_exclude_remove_and_replace(self, dedup: Deduplicator) -> None:
        dedup = Deduplicator()
        text = "The council voted on Tuesday to raise parking fees downtown starting in January next year."
        sig = dedup.signature(text)
        dedup.add("a", sig)
        assert dedup.find(sig) == ("a", 1.0)
        assert dedup.find(sig, exclude_id="a") is None
        dedup.add("a", dedup.signature("A completely different story about a zoo welcoming a baby giraffe."))
        assert len(dedup) == 1
        assert dedup.find(sig) is None
        dedup.remove("a")
        dedup.remove("a")  # removing twice is harmless
        assert "a" not in dedup

    def test_freed_rows_are_reused_and_never_matched(self) -> None:
        dedup = Deduplicator()
        texts = [
            f"Story number {i} tells of event {i} in town {i} on day {i} of the year." for i in range(100)
        ]
        sigs = [dedup.signature(t) for t in texts]
        for i, sig in enumerate(sigs):
            dedup.add(str(i), sig)
        for i in range(0, 100, 2):
            dedup.remove(str(i))
        assert dedup.find(sigs[4]) is None
        dedup.add("new", sigs[4])
        assert len(dedup) == 51
        assert dedup.find(sigs[4]) == ("new", 1.0)
        assert dedup.find(sigs[5]) == ("5", 1.0)

    def test_ties_go_to_the_smallest_id(self) -> None:
        dedup = Deduplicator()
        sig = dedup.signature("The same wire story, word for word, run by two outlets on the same day.")
        dedup.add("b", sig)
        dedup.add("a", sig)
        assert dedup.find(sig) == ("a", 1.0)
        assert dedup.find(sig, exclude_id="a") == ("b", 1.0)
