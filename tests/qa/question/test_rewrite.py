"""Follow-up rewriting with the real spaCy model, over questions about the seed article."""

from __future__ import annotations

import pytest

from qa.question.history import clean_turn_text
from qa.question.rewrite import QueryRewriter, earlier_answers


@pytest.fixture(scope="module")
def rewriter(spacy_parser) -> QueryRewriter:
    return QueryRewriter(spacy_parser)


def _history(question: str, answer: str) -> list[dict]:
    return [{"role": "user", "content": question}, {"role": "assistant", "content": answer}]


class TestQueryRewriter:
    def test_no_history_keeps_the_question(self, rewriter: QueryRewriter) -> None:
        assert (
            rewriter.rewrite("Who carried out the drone strike?", None) == "Who carried out the drone strike?"
        )

    def test_stand_alone_follow_up_is_unchanged(self, rewriter: QueryRewriter) -> None:
        history = _history("Who carried out the drone strike?", "The US military")
        assert rewriter.rewrite("Who won the game?", history) == "Who won the game?"

    def test_he_becomes_the_person_answered(self, rewriter: QueryRewriter) -> None:
        history = _history("Who is the spokesperson for the US Central Command?", "Bill Urban")
        out = rewriter.rewrite("In which province did he say the airstrike occurred?", history)
        assert out.startswith("In which province did Bill Urban say the airstrike occurred")

    def test_he_continues_the_subject_of_who_did_x(self, rewriter: QueryRewriter) -> None:
        history = _history("Who did Lloyd J. Austin telephone before the drone attack?", "Hulusi Akar")
        assert rewriter.rewrite("Who did he thank?", history).startswith("Who did Lloyd J. Austin thank")

    def test_he_is_the_answer_when_the_question_named_nobody(self, rewriter: QueryRewriter) -> None:
        history = _history("Who chairs the city's transit board?", "Maria Gomez")
        assert rewriter.rewrite("When was he appointed?", history).startswith(
            "When was Maria Gomez appointed"
        )

    def test_its_is_the_organisation_answered(self, rewriter: QueryRewriter) -> None:
        history = _history("Which company recalled the frozen pizzas?", "Brantley")
        out = rewriter.rewrite("Where is its largest plant?", history)
        assert out.startswith("Where is Brantley's largest plant")

    def test_they_keeps_the_question_and_appends_the_answer(self, rewriter: QueryRewriter) -> None:
        history = _history("Who was evacuated from the island?", "Tourists and hotel staff")
        out = rewriter.rewrite("Where were they taken?", history)
        assert out.startswith("Where were they taken (")
        assert "Tourists and hotel staff" in out and "island" in out

    def test_she_and_her(self, rewriter: QueryRewriter) -> None:
        history = _history("Who is the White House Press Secretary?", "Jen Psaki")
        out = rewriter.rewrite("What did she say about the threat?", history)
        assert "Jen Psaki say about the threat" in out

    def test_ellipsis_takes_the_previous_topic(self, rewriter: QueryRewriter) -> None:
        history = [
            {"question": "Who carried out the drone strike in Nangarhar?", "answer": "The US military"}
        ]
        out = rewriter.rewrite("And how many were killed?", history)
        assert out.startswith("How many were killed")
        assert "drone strike" in out and "Nangarhar" in out

    def test_of_them_keeps_the_counted_thing(self, rewriter: QueryRewriter) -> None:
        history = _history("How many people were killed in the attacks at the Kabul airport?", "Over 100")
        out = rewriter.rewrite("And how many of them were US service members?", history)
        assert out.startswith("How many of them were US service members")
        assert "Kabul" in out and "Over 100" in out  # the counted group comes from the previous answer

    def test_what_about_swaps_the_subject(self, rewriter: QueryRewriter) -> None:
        history = [{"question": "How many US service members were killed in the attacks?", "answer": "13"}]
        assert rewriter.rewrite("What about Taliban fighters?", history) == (
            "How many Taliban fighters were killed in the attacks?"
        )

    def test_a_pronoun_the_last_turn_cannot_resolve_looks_one_turn_back(
        self, rewriter: QueryRewriter
    ) -> None:
        history = _history("Which horse won the Kentucky Derby?", "Rich Strike") + _history(
            "How long was the race?", "1.25 miles"
        )
        assert rewriter.rewrite("Who is his trainer?", history).startswith("Who is Rich Strike's trainer")

    def test_last_turn_wins(self, rewriter: QueryRewriter) -> None:
        history = _history("Who is the White House Press Secretary?", "Jen Psaki") + _history(
            "Who is the spokesperson for the US Central Command?", "Bill Urban"
        )
        assert "Bill Urban" in rewriter.rewrite("What did he say?", history)


class TestConversationReferences:
    """ "that"/"it" as the event asked about, "there" as the place answered, "then" as the time."""

    def test_that_happening_is_the_previous_event(self, rewriter: QueryRewriter) -> None:
        history = _history("Where did the bridge collapse happen?", "Duluth")
        out = rewriter.rewrite("When did that happen?", history)
        assert out.startswith("When did the bridge collapse happen")

    def test_that_before_a_noun_stays(self, rewriter: QueryRewriter) -> None:
        history = _history("Who proposed the city budget?", "Mayor Ellen Park")
        assert "that vote" in rewriter.rewrite("When is that vote?", history)

    def test_it_without_a_named_thing_is_the_previous_event(self, rewriter: QueryRewriter) -> None:
        history = _history("What caused the warehouse fire?", "faulty wiring")
        assert rewriter.rewrite("Who investigated it?", history).startswith(
            "Who investigated the warehouse fire"
        )

    def test_it_is_the_place_answered(self, rewriter: QueryRewriter) -> None:
        history = _history("Which city hosted the climate summit?", "Geneva")
        assert rewriter.rewrite("Which country is it in?", history).startswith("Which country is Geneva in")

    def test_there_is_the_place_answered(self, rewriter: QueryRewriter) -> None:
        history = _history("Where did the protesters gather?", "city hall")
        out = rewriter.rewrite("How many police officers were waiting there?", history)
        assert out.startswith("How many police officers were waiting in the city hall")
        out = rewriter.rewrite("Which mayor went there?", history)
        assert out.startswith("Which mayor went to the city hall")

    @pytest.mark.parametrize(
        "follow_up", ["Were there any injuries?", "Is there a replacement plan?", "There were delays, why?"]
    )
    def test_existential_there_stays(self, rewriter: QueryRewriter, follow_up: str) -> None:
        history = _history("Which state did the hurricane hit first?", "Florida")
        out = rewriter.rewrite(follow_up, history)
        assert out.lower().startswith(follow_up.lower().rstrip("?")) and "in Florida" not in out

    def test_then_is_the_time_answered(self, rewriter: QueryRewriter) -> None:
        history = _history("When did the paper mill close?", "March 2019")
        assert rewriter.rewrite("Who owned the mill then?", history).startswith(
            "Who owned the mill in March 2019"
        )

    def test_then_is_the_date_the_question_named(self, rewriter: QueryRewriter) -> None:
        history = _history("Which park did the council open in 1998?", "Riverside Park")
        assert "in 1998" in rewriter.rewrite("Who was the mayor then?", history)

    def test_then_opening_a_question_is_not_a_time(self, rewriter: QueryRewriter) -> None:
        history = _history("When did the paper mill close?", "March 2019")
        out = rewriter.rewrite("Then who bought the land?", history)
        assert out.startswith("Who bought the land") and "March 2019" not in out


class TestPersonReferences:
    def test_he_stays_the_person_asked_about_after_a_place_answer(self, rewriter: QueryRewriter) -> None:
        history = _history("Where did Governor Amy Lowe travel last week?", "Lisbon")
        out = rewriter.rewrite("Whom did she meet there?", history)
        assert out.startswith("Whom did Amy Lowe meet in Lisbon")

    def test_he_is_not_the_company_answered(self, rewriter: QueryRewriter) -> None:
        history = _history("Which company does Tom Reyes run?", "Acme Foods")
        assert rewriter.rewrite("Where was he born?", history).startswith("Where was Tom Reyes born")

    def test_a_company_asked_with_adjectives_is_no_person(self, rewriter: QueryRewriter) -> None:
        history = _history("Which small software company does Tom Reyes own?", "Brightline")
        assert rewriter.rewrite("Where does he live?", history).startswith("Where does Tom Reyes live")

    def test_who_has_done_x_asks_for_the_person_answered(self, rewriter: QueryRewriter) -> None:
        history = _history("Who has coached Maya Ortiz since 2019?", "Daniel Brooks")
        assert rewriter.rewrite("Where was he born?", history).startswith("Where was Daniel Brooks born")

    def test_a_possessive_name_loses_its_s(self, rewriter: QueryRewriter) -> None:
        history = _history("Which team ended Kara Lin's season?", "Portland")
        out = rewriter.rewrite("How old is she?", history)
        assert out.startswith("How old is Kara Lin") and "Lin's" not in out


class TestConversationTopic:
    def test_follow_up_naming_nothing_keeps_the_topic(self, rewriter: QueryRewriter) -> None:
        history = _history("Why did the ferry sink near the harbour?", "engine failure")
        out = rewriter.rewrite("Were any passengers rescued?", history)
        assert out.startswith("Were any passengers rescued") and "ferry" in out

    def test_topic_holds_over_several_turns(self, rewriter: QueryRewriter) -> None:
        history = _history("Why did the ferry sink near the harbour?", "engine failure") + _history(
            "When did that happen?", "Tuesday"
        )
        out = rewriter.rewrite("How many crew members survived?", history)
        assert "ferry" in out

    def test_a_new_definite_thing_is_a_new_topic(self, rewriter: QueryRewriter) -> None:
        history = _history("Why did the ferry sink near the harbour?", "engine failure")
        assert rewriter.rewrite("Who won the chess final?", history) == "Who won the chess final?"


class TestHistoryCleaning:
    _READABLE = (
        "Duluth: \u201cThe old bridge gave way over the river in Duluth,\u201d the sheriff said. [1]\n\n"
        "Sources:\n[1] Bridge gives way \u2014 example.com, 2022-05-04"
    )

    def test_readable_answer_keeps_the_short_answer(self) -> None:
        assert clean_turn_text(self._READABLE, answer=True) == "Duluth"

    def test_markers_and_source_lists_go(self) -> None:
        text = "The sheriff closed the road [1][2] and asked drivers to wait [3].\nSources: [1] a, [2] b"
        assert clean_turn_text(text) == "The sheriff closed the road and asked drivers to wait."

    def test_a_not_found_notice_is_no_answer(self) -> None:
        assert clean_turn_text("Not found in the indexed articles.", answer=True) == ""

    def test_ui_text_never_reaches_the_query(self, rewriter: QueryRewriter) -> None:
        readable = "Tourists: \u201cThey left by boat,\u201d she said. [1]\n\nSources:\n[1] Isle \u2014 x.com"
        history = _history("Who was moved off the island [2]?", readable)
        out = rewriter.rewrite("Where were they taken?", history)
        assert "[" not in out and "Sources" not in out and "boat" not in out
        assert "Tourists" in out and "island" in out

    def test_earlier_answers_are_the_short_ones(self) -> None:
        history = _history("Where did the bridge collapse happen?", self._READABLE)
        assert earlier_answers(history) == frozenset({"duluth"})
