"""How candidates are preferred: a count bound to the asked noun, the place the text calls by the asked
noun, ages, the kind of place asked for, an amount for "how much"."""

from __future__ import annotations

import pytest

from tests.qa.answering.helpers import best_candidate, candidates_of


class TestCandidatePreference:
    def test_count_bound_to_the_asked_noun_wins(self, spacy_parser) -> None:
        best = best_candidate(
            spacy_parser,
            "How many firefighters were injured?",
            "About 2,000 residents were evacuated and 12 firefighters were injured.",
        )
        assert best == "12"

    def test_place_called_by_the_asked_noun_wins_over_its_country(self, spacy_parser) -> None:
        best = best_candidate(
            spacy_parser,
            "In which province did the earthquake strike?",
            "The earthquake struck the Sichuan province of China on Monday.",
        )
        assert best == "Sichuan"

    @pytest.mark.parametrize(
        ("question", "sentence", "gold"),
        [
            (
                "Which country did the minister thank?",
                "US officials said the minister thanked Canada for its help.",
                "Canada",
            ),
            (
                "In which state was the winning ticket sold?",
                "The winning US lottery ticket was sold in Illinois, officials said.",
                "Illinois",
            ),
            (
                "Which Japanese city did the typhoon hit?",
                "The typhoon hit Osaka, one of Japan's largest cities.",
                "Osaka",
            ),
        ],
    )
    def test_places_that_only_qualify_or_contain_lose(
        self, spacy_parser, question: str, sentence: str, gold: str
    ) -> None:
        assert best_candidate(spacy_parser, question, sentence) == gold

    def test_how_old_is_answered_by_an_age(self, spacy_parser) -> None:
        question = "The chihuahua regained his title of the world's oldest living dog. How old is he?"
        assert best_candidate(spacy_parser, question, "The 21-year-old chihuahua regained the title.") == "21"
        best = best_candidate(
            spacy_parser, question, "Four of his cats won records; the dog, aged 21, won too."
        )
        assert best == "21"

    @pytest.mark.parametrize(
        "sentence",
        [
            "President Joe Biden celebrates his 80th birthday, blowing out the candle on his cake.",
            "Two cakes were served to Joe Biden, 80, at the White House.",
        ],
    )
    def test_what_is_his_age_is_answered_by_a_birthday_or_an_apposition(
        self, spacy_parser, sentence: str
    ) -> None:
        question = "President Joe Biden celebrated a milestone birthday this week. What is his age?"
        assert best_candidate(spacy_parser, question, sentence) == "80"

    def test_which_country_is_answered_by_a_country(self, spacy_parser) -> None:
        question = "Which country was shaken by a 7.0-magnitude earthquake this week?"
        sentence = "The earthquake shook Bali before it hit Indonesia's main island, Java."
        assert best_candidate(spacy_parser, question, sentence) == "Indonesia"

    def test_which_european_nation_is_answered_by_a_european_country(self, spacy_parser) -> None:
        sentence = "The prime ministers of Sri Lanka and Italy stepped down within days of each other."
        question = "The prime minister of which European nation stepped down this week?"
        european = {c.text: c.pref for c in candidates_of(spacy_parser, question, sentence)}
        assert european["Italy"] > 2 * european["Sri Lanka"]
        question = "The prime minister of which nation stepped down this week?"
        anywhere = {c.text: c.pref for c in candidates_of(spacy_parser, question, sentence)}
        assert anywhere["Italy"] == anywhere["Sri Lanka"]

    def test_which_state_is_answered_by_a_state_even_inside_a_longer_name(self, spacy_parser) -> None:
        question = "In which state was the $1.3 billion Mega Millions lottery ticket purchased?"
        sentence = "One ticket bought in Des Plaines hit the top prize, according to the Illinois Lottery."
        assert best_candidate(spacy_parser, question, sentence) == "Illinois"
        # Another country's states are not US states: no US-state rule, no "Illinois" from a name.
        question = "In which Indian state was the lottery ticket purchased?"
        assert best_candidate(spacy_parser, question, sentence) != "Illinois"

    def test_how_much_prefers_an_amount_to_a_bare_count(self, spacy_parser) -> None:
        best = best_candidate(
            spacy_parser,
            "Borrowers could apply for up to how much debt forgiveness?",
            "As many as 43 million borrowers could apply for up to $20,000 in debt forgiveness.",
        )
        assert best == "up to $20,000"  # spaCy keeps "up to" in the MONEY entity
