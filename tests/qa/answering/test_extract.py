"""Extractive answering over the seed article (real spaCy, real store, real embedder)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from eval.metrics import contains_answer, exact_match
from newsqa.types import Article
from qa.answering.choices import ChoicePicker
from qa.answering.extract import CitationBuilder, SpanExtractor, without_credit
from qa.answering.sentences import Evidence, sentence_scores
from qa.question.answer_type import singular_forms
from qa.question.question import QuestionAnalyzer
from qa.question.rewrite import earlier_answers
from qa.text.nlp import split_sentences
from tests.qa.answering.helpers import passage_of

AS_OF = "2021-08-28"


class TestQuestionAnalyzer:
    @pytest.mark.parametrize(
        ("question", "kind", "label", "target"),
        [
            ("Which team did Sue Bird play for?", "which", "ORG", "team"),
            ("In which UK city is the conference taking place?", "which", "GPE", "city"),
            ("Which state's largest city is running short of drinking water?", "which", "GPE", "state"),
            ("Who is the spokesman for US Central Command?", "who", "PERSON", None),
            ("When did Kabul fall to the Taliban?", "when", "DATE", None),
            ("How many Taliban fighters died in the attacks?", "how_many", "CARDINAL", "Taliban"),
            ("What year did Internet Explorer debut?", "what", "DATE", "year"),
            ("Which of the following cities in the US had the largest rise?", "which", "GPE", "cities"),
            ("Which of these films won the most awards?", "which", "WORK_OF_ART", "films"),
        ],
    )
    def test_answer_type(
        self, spacy_parser, question: str, kind: str, label: str, target: str | None
    ) -> None:
        q = QuestionAnalyzer(spacy_parser).analyze(question)
        assert q.kind == kind
        assert label in q.labels
        if target is not None and kind != "how_many":
            assert q.target == target

    def test_names_weigh_more_than_plain_words(self, spacy_parser) -> None:
        q = QuestionAnalyzer(spacy_parser).analyze("Which team did Sue Bird play for?")
        assert q.weights["bird"] > q.weights["play"] > q.weights["team"]

    @pytest.mark.parametrize(
        ("question", "role", "of"),
        [
            ("Who is the spokesman of the Red Cross?", "spokesperson", {"red", "cross"}),
            ("What is the name of a driver who won the race?", "driver", set()),
            ("Who is the star guest on the show?", None, set()),  # no named body: not a role question
        ],
    )
    def test_role_questions(self, spacy_parser, question: str, role: str | None, of: set[str]) -> None:
        q = QuestionAnalyzer(spacy_parser).analyze(question)
        assert q.role == role
        assert set(q.role_of) == of

    def test_kind_of_and_part_of(self, spacy_parser) -> None:
        analyzer = QuestionAnalyzer(spacy_parser)
        q = analyzer.analyze("What kind of engine does the new jet use?")
        assert q.kind_of and q.phrase and q.target == "engine"
        q = analyzer.analyze("Which part of the stadium was closed?")
        assert set(q.part_of) == {"stadium"} and not q.phrase

    def test_copular_question_asks_for_the_noun(self, spacy_parser) -> None:
        q = QuestionAnalyzer(spacy_parser).analyze("What is the deadline for filing taxes?")
        assert q.copular and q.target == "deadline" and "DATE" in q.labels

    def test_how_many_of_them_counts_the_noun_after(self, spacy_parser) -> None:
        q = QuestionAnalyzer(spacy_parser).analyze("How many of them were children?")
        assert q.kind == "how_many" and q.target == "children"

    @pytest.mark.parametrize(
        ("clue", "target", "label"),
        [
            ("Billionaire Ada Lindqvist quietly bought this company for $12 billion.", "company", "ORG"),
            ("This tennis player announced her retirement in March.", "player", "PERSON"),
            (
                "Actor Sam Ortiz had the best reviews of his career with this 2019 film.",
                "film",
                "QUOTED",
            ),
        ],
    )
    def test_a_clue_without_a_wh_word_asks_for_its_this_noun(
        self, spacy_parser, clue: str, target: str, label: str
    ) -> None:
        q = QuestionAnalyzer(spacy_parser).analyze(clue)
        assert (q.kind, q.target) == ("which", target) and label in q.labels

    def test_this_week_points_at_no_thing(self, spacy_parser) -> None:
        q = QuestionAnalyzer(spacy_parser).analyze("This week the central bank raised rates again.")
        assert q.kind == "other" and q.target is None

    def test_what_is_his_age_asks_an_age_and_the_age_range_does_not(self, spacy_parser) -> None:
        analyzer = QuestionAnalyzer(spacy_parser)
        q = analyzer.analyze("What is his age?")
        assert q.asks_age and q.kind == "how_much" and "CARDINAL" in q.labels
        assert not analyzer.analyze("What is the age range?").asks_age

    @pytest.mark.parametrize(
        ("noun", "singular"), [("countries", "country"), ("businesses", "business"), ("teams", "team")]
    )
    def test_singular_forms(self, noun: str, singular: str) -> None:
        assert singular in singular_forms(noun) and singular_forms(noun)[0] == noun

    def test_which_of_the_following_alone_asks_no_type(self, spacy_parser) -> None:
        q = QuestionAnalyzer(spacy_parser).analyze("Which of the following was named word of the year?")
        assert q.target is None and not q.labels

    def test_a_hyphenated_modifier_does_not_hide_the_asked_noun(self, spacy_parser) -> None:
        analyzer = QuestionAnalyzer(spacy_parser)
        q = analyzer.analyze("Which well-known coffee chain pulled out of Norway?")
        assert q.target == "chain" and q.labels == {"ORG"}
        q = analyzer.analyze("Which Oscar-winning former film director retired this week?")
        assert q.target == "director" and q.labels == {"PERSON"}

    @pytest.mark.parametrize(
        ("question", "labels"),
        [
            (
                "Who is now the country's richest woman after Ada Lindqvist slipped to second place?",
                {"PERSON"},
            ),
            ("Who became the first woman to lead the agency?", {"PERSON"}),
            ("Which member of the Irish squad scored the late equaliser?", {"PERSON"}),
            ("Which NATO member threatened to veto Sweden's bid?", {"GPE", "LOC"}),  # members are countries
            ("Who bought the richest man's company?", {"PERSON", "ORG", "NORP"}),  # not "who is a man"
        ],
    )
    def test_a_human_noun_asks_for_a_person(self, spacy_parser, question: str, labels: set[str]) -> None:
        assert QuestionAnalyzer(spacy_parser).analyze(question).labels == labels

    def test_sentences_before_the_asking_one_count_half(self, spacy_parser) -> None:
        q = QuestionAnalyzer(spacy_parser).analyze(
            "Lena Marsh was released from a Peruvian prison camp. How long was Marsh detained?"
        )
        assert q.weights["prison"] == 0.75 and q.weights["peruvian"] == 1.5
        assert q.weights["marsh"] == 3.0 and q.weights["detain"] == 1.5  # asked again: full weight
        assert "peruvian" in q.names  # an article must still be about the names of the whole question

    def test_a_leading_clause_counts_half(self, spacy_parser) -> None:
        analyzer = QuestionAnalyzer(spacy_parser)
        q = analyzer.analyze("Following the attack on Omar Haddad, which author did Lena Marsh back?")
        assert q.weights["haddad"] == 1.5 and q.weights["marsh"] == 3.0
        # a relative clause after the asking wh-word is part of the question
        q = analyzer.analyze("How much has podcast host Deborah James, who died aged 40, raised?")
        assert q.weights["deborah"] == 3.0 and q.weights["rais"] == 1.5

    def test_a_relative_clause_inside_the_question_does_not_ask(self, spacy_parser) -> None:
        analyzer = QuestionAnalyzer(spacy_parser)
        q = analyzer.analyze("How much has podcast host Deborah James, who died aged 40, raised for charity?")
        assert q.kind == "how_much" and "MONEY" in q.labels
        q = analyzer.analyze(
            "Out of 50 cheese varieties, which was the most ordered in Canada, according to grocers?"
        )
        assert q.kind == "which" and "order" in q.verbs  # no wh-word before: this one asks

    def test_an_asking_sentence_without_words_of_its_own_leaves_the_weights(self, spacy_parser) -> None:
        q = QuestionAnalyzer(spacy_parser).analyze("A hiker found a rare fossil in a creek bed. What was it?")
        assert q.weights["fossil"] == 1.5

    def test_verbs_come_from_the_asking_clause(self, spacy_parser) -> None:
        q = QuestionAnalyzer(spacy_parser).analyze(
            "According to the officer who spoke, where did the crash occur?"
        )
        assert set(q.verbs) == {"occur"}

    def test_appended_context_counts_less(self, spacy_parser) -> None:
        q = QuestionAnalyzer(spacy_parser).analyze("How many were injured (train crash, Ohio)?")
        assert q.kind == "how_many"
        assert q.weights["ohio"] < 3.0 and q.weights["injur"] == 1.5
        assert "ohio" not in q.names

    def test_event_predicates_count_less_than_the_event_and_match_each_other(self, spacy_parser) -> None:
        q = QuestionAnalyzer(spacy_parser).analyze("Where did the flood take place?")
        assert q.weights["flood"] > q.weights["take"]
        assert "occur" in q.weights  # "the flood occurred in ..." supports it as much as "took place"

    def test_candidate_in_question_is_excluded(self, spacy_parser) -> None:
        q = QuestionAnalyzer(spacy_parser).analyze("Who did Lloyd J. Austin telephone?")
        assert q.contains("Lloyd J. Austin")
        assert not q.contains("Hulusi Akar")


class TestSentenceSplitting:
    def test_offsets_slice_the_text(self) -> None:
        text = "Capt. Bill Urban said it. The U.S. military struck on Saturday.\n\nOver 100 people died."
        spans = split_sentences(text)
        assert [text[s:e] for s, e in spans] == [
            "Capt. Bill Urban said it.",
            "The U.S. military struck on Saturday.",
            "Over 100 people died.",
        ]


class TestSeedExtraction:
    @pytest.mark.parametrize(
        ("question", "gold"),
        [
            ("Who is the spokesman for US Central Command that announced the strike?", "Bill Urban"),
            (
                "Who told a Friday afternoon briefing that militants were planning another attack in Kabul?",
                "Jen Psaki",
            ),
            ("In which Afghan province did the unmanned airstrike take place?", "Nangarhar"),
            ("When did Kabul fall to the Taliban?", "mid-August"),
            ("How many Taliban fighters died in the attacks?", "22"),
            ("How many American service members were killed in the airport attacks?", "13"),
        ],
    )
    def test_who_where_when_how_many(self, seed_answerer, question: str, gold: str) -> None:
        answer = seed_answerer.ask(question, as_of=AS_OF)
        assert not answer.abstained, answer.answer
        assert exact_match(answer.answer, [gold]) == 1.0, answer.answer
        assert answer.answer in answer.citations[0].quote

    def test_most_seed_questions_are_answered(self, seed_answerer, seed_questions) -> None:
        answerable = [q for q in seed_questions if q["answerable"]]
        right = sum(
            contains_answer(seed_answerer.ask(q["question"], as_of=q["asked_at"]).answer, q["answers"])
            for q in answerable
        )
        assert right / len(answerable) >= 0.7


class TestCitationIntegrity:
    def test_quotes_slice_the_stored_article(self, seed_answerer, seed_store, seed_questions) -> None:
        article_text = {}
        for q in seed_questions:
            answer = seed_answerer.ask(q["question"], as_of=q["asked_at"], choices=q.get("choices"))
            for c in answer.citations + answer.related:
                if c.article_id not in article_text:
                    article_text[c.article_id] = seed_store.get_article(c.article_id).text
                assert c.quote == article_text[c.article_id][c.start : c.end]
            if not answer.abstained:
                assert answer.citations, q["question"]
                assert answer.answer.lower() in answer.citations[0].quote.lower()
                assert [c.n for c in answer.citations] == list(range(1, len(answer.citations) + 1))

    def test_teaser_block_is_never_quoted(self, seed_answerer) -> None:
        answer = seed_answerer.ask("Why has Pakistan's stock market been bullish?", as_of=AS_OF)
        for c in answer.citations + answer.related:
            assert "stock market" not in c.quote


class TestChoices:
    @pytest.mark.parametrize(
        ("question", "choices", "gold"),
        [
            (
                "Which country is helping move US citizens out of Afghanistan?",
                ["Pakistan", "Qatar", "Uzbekistan"],
                "Qatar",
            ),
            ("How many Taliban fighters died in the attacks?", ["13", "22", "8", "35"], "22"),
            (
                "Which newspaper compared Biden's vow with warnings made after 9/11?",
                ["Washington Post", "New York Times", "Los Angeles Times"],
                "New York Times",
            ),
        ],
    )
    def test_best_supported_choice(self, seed_answerer, question: str, choices: list[str], gold: str) -> None:
        answer = seed_answerer.ask(question, as_of=AS_OF, choices=choices)
        assert not answer.abstained
        assert answer.answer == gold
        assert gold in answer.citations[0].quote

    def test_choice_named_in_question_gets_no_credit(self, seed_answerer) -> None:
        answer = seed_answerer.ask(
            "Which country did the Pentagon chief thank besides Qatar?",
            as_of=AS_OF,
            choices=["Qatar", "Turkey"],
        )
        assert answer.answer == "Turkey"

    def test_choice_named_otherwise_in_the_article(self, news_answerer) -> None:
        answer = news_answerer.ask(
            "During a visit to which country did the longest-reigning monarch die?",
            as_of="2022-09-10",
            choices=["France", "Great Britain", "Denmark"],
        )
        # The article says "the UK": only the folding of both names onto one stem finds it.
        assert answer.answer == "Great Britain"
        assert "the UK" in answer.citations[0].quote

    def test_debug_shows_each_option_and_the_pick_is_the_likeliest_with_evidence(self, seed_answerer) -> None:
        choices = ["Pakistan", "Qatar", "Uzbekistan"]
        answer = seed_answerer.ask(
            "Which country is helping move US citizens out of Afghanistan?",
            as_of=AS_OF,
            choices=choices,
            debug=True,
        )
        options = answer.assessment["options"]
        assert [o["option"] for o in options] == choices
        assert sum(o["probability"] for o in options) == pytest.approx(1.0, abs=1e-4)
        with_evidence = [o for o in options if o["evidence"]]
        assert max(with_evidence, key=lambda o: o["probability"])["option"] == answer.answer
        assert answer.confidence is not None and 0.0 < answer.confidence <= 1.0

    def test_a_pick_below_the_trained_threshold_is_withheld_with_its_evidence(
        self, seed_answerer, monkeypatch
    ) -> None:
        shipped = seed_answerer.chooser.model
        strict = replace(shipped, answered=replace(shipped.answered, threshold=1.0))
        monkeypatch.setattr(seed_answerer, "chooser", ChoicePicker(strict))
        answer = seed_answerer.ask(
            "Which country is helping move US citizens out of Afghanistan?",
            as_of=AS_OF,
            choices=["Pakistan", "Qatar", "Uzbekistan"],
            debug=True,
        )
        assert answer.abstained and not answer.citations
        assert any("Qatar" in c.quote for c in answer.related)

    def test_a_number_inside_a_longer_number_is_no_mention(self, spacy_parser) -> None:
        text = "About 40,000 runners crossed the Port Ashby bridge during the storm week, officials said."
        article = Article("a", "Port Ashby", text, source="x.com")
        question = QuestionAnalyzer(spacy_parser).analyze("How many runners crossed the Port Ashby bridge?")
        pick = ChoicePicker().pick(question, [passage_of(article, text, 0)], ["Over 400", "About 40,000"])
        assert [o["evidence"] for o in pick.options] == [False, True]
        assert pick.extraction.answer == "About 40,000"

    def test_a_count_followed_by_the_asked_noun_is_bound(self, spacy_parser) -> None:
        text = "Rescuers pulled 7 hikers and 12 dogs from the Port Ashby ravine on Sunday."
        article = Article("a", "Port Ashby rescue", text, source="x.com")
        question = QuestionAnalyzer(spacy_parser).analyze("How many hikers were pulled from the ravine?")
        pick = ChoicePicker().pick(question, [passage_of(article, text, 0)], ["12", "7"])
        assert [o["features"]["bound"] for o in pick.options] == [0.0, 1.0]
        assert pick.options[1]["probability"] > pick.options[0]["probability"]

    def test_no_supported_choice_abstains(self, seed_answerer) -> None:
        answer = seed_answerer.ask(
            "Which team won the World Cup?", as_of=AS_OF, choices=["Brazil", "Argentina", "Germany"]
        )
        assert answer.abstained


class TestAbstention:
    @pytest.mark.parametrize(
        "question",
        [
            "What does the New Energy Vehicle policy do?",
            "What does the New Energy Vehicle policy aim to ensure by 2030?",
            "What did the audit of polio funds at federal and provincial levels find?",
            "Which ally was dragged into unfounded conspiracies, harming Pakistan's foreign policy?",
        ],
    )
    def test_teaser_questions_abstain(self, seed_answerer, question: str) -> None:
        answer = seed_answerer.ask(question, as_of=AS_OF)
        assert answer.abstained
        assert answer.answer.startswith(("The indexed articles don't say", "Not found"))
        assert answer.citations == []


class TestReadingOn:
    def test_a_lower_sentence_names_what_the_best_ones_do_not(self, spacy_parser) -> None:
        text = (
            "Drought risk across Oregon's forests keeps growing, a new study of drought risk found. "
            "Rangers have been busy all summer. "
            "More than 60% of Oregon's forests are at risk of drought, the study says."
        )
        article = Article("a", "Drought", text, source="x.com")
        analysed = QuestionAnalyzer(spacy_parser).analyze(
            "What share of Oregon's forests is at risk of drought?"
        )
        passages = [passage_of(article, text, 0)]
        ranked = sentence_scores(analysed, passages)
        assert "60%" not in text[ranked[0].start : ranked[0].end]  # the best sentence names no share
        result = SpanExtractor(spacy_parser, max_sentences=1).extract(analysed, passages)
        assert result.span and result.answer == "More than 60%"


class TestLeadSentence:
    TEXT = (
        "(CNN) At least five hikers were hurt after a volcano erupted in southern Chile on Wednesday. "
        "Rescue teams searched the slopes through the night. Schools stayed closed. "
        "The eruption shook the country's biggest lake region, volcanologists said."
    )
    QUESTION = "Which country was rocked by a volcanic eruption this week?"

    def _answer(self, parser, chunk_n: int) -> str:
        article = Article("a", "Eruption", self.TEXT, source="cnn.com")
        passage = passage_of(article, self.TEXT, 0)
        passage = replace(passage, hit=replace(passage.hit, chunk=replace(passage.hit.chunk, n=chunk_n)))
        analysed = QuestionAnalyzer(parser).analyze(self.QUESTION)
        return SpanExtractor(parser, max_sentences=1).extract(analysed, [passage]).answer

    def test_the_opening_sentence_names_the_place_the_best_sentence_does_not(self, spacy_parser) -> None:
        assert self._answer(spacy_parser, chunk_n=0) == "Chile"

    def test_a_later_passage_has_no_opening_sentence_to_read(self, spacy_parser) -> None:
        assert self._answer(spacy_parser, chunk_n=1) != "Chile"


class TestOpeningSentences:
    def test_a_lead_already_read_takes_the_credit_of_the_sentence_it_opens(self, spacy_parser) -> None:
        lead = "New York (CNN Business) Brewster Coffee is launching a new loyalty app, the biggest change in its history."
        best = "Customers will see the new loyalty app in its roughly 9,000 US stores."
        text = f"{lead} Coffee lines had slowed down. {best}"
        article = Article("a", "App", text, source="cnn.com")
        analysed = QuestionAnalyzer(spacy_parser).analyze(
            "Which coffee chain introduced a new loyalty app in roughly 9,000 of its stores?"
        )
        result = SpanExtractor(spacy_parser, max_sentences=3).extract(
            analysed, [passage_of(article, text, 0)]
        )
        assert result.answer == "Brewster Coffee"
        # read on its own, the lead shares few words with the question; as the lead of the best sentence
        # ("its roughly 9,000 US stores") the answer is about as sure as that sentence
        assert result.confidence > 0.3

    def test_the_opening_of_a_lower_ranked_story_is_read(self, spacy_parser) -> None:
        later = "A volcanic eruption rocked the country this week, volcanologists said."
        opening = "(CNN) At least five hikers were hurt after a volcano erupted in southern Chile."
        a = Article("a", "Eruption", later, source="x.com")
        b = Article("b", "Eruption", opening + " Rescue teams searched the slopes.", source="cnn.com")
        pa = passage_of(a, later, 0)
        pa = replace(pa, hit=replace(pa.hit, chunk=replace(pa.hit.chunk, n=3)))  # deep in its story
        passages = [pa, passage_of(b, b.text, 1)]
        analysed = QuestionAnalyzer(spacy_parser).analyze("Which country was rocked by a volcanic eruption?")
        ranked = sentence_scores(analysed, passages)
        assert ranked[0].passage.article.id == "a"  # the one sentence read is the later passage's
        result = SpanExtractor(spacy_parser, max_sentences=1).extract(analysed, passages)
        assert result.answer == "Chile" and result.support[0].passage.article.id == "b"


class TestOneNameInTheSentence:
    def _extract(self, parser, question: str, text: str):
        article = Article("a", "Cereal", text, source="x.com")
        analysed = QuestionAnalyzer(parser).analyze(question)
        return SpanExtractor(parser).extract(analysed, [passage_of(article, text, 0)])

    def test_the_sentence_names_one_new_thing(self, spacy_parser) -> None:
        question = "After nearly 40 years, which well-known cereal is getting a new box design?"
        text = "New York (CNN Business) Oatsy is retiring its yellow cardboard boxes after nearly 40 years."
        result = self._extract(spacy_parser, question, text)  # no entity type answers "which cereal"
        assert result.span and result.answer == "Oatsy"  # not the dateline's New York or CNN
        assert result.support[0].passage.article.text[result.support[0].start : result.support[0].end] == text

    def test_two_new_names_leave_the_sentence(self, spacy_parser) -> None:
        question = "Which cereal is the cheapest to buy in bulk?"
        text = "Oatsy is the most expensive cereal to buy in bulk, while Granola Gold is the cheapest."
        result = self._extract(spacy_parser, question, text)
        assert not result.span and result.answer == text


class TestFullName:
    def _extract(self, parser, question: str, text: str, read: str):
        article = Article("a", "Obituary", text, source="x.com")
        analysed = QuestionAnalyzer(parser).analyze(question)
        return SpanExtractor(parser).extract(analysed, [passage_of(article, read, 0)])

    def test_a_surname_is_shown_as_the_article_first_writes_it(self, spacy_parser) -> None:
        first = "Marta Kowalczyk, the first president of the Baltic Union, has died at the age of 88."
        read = "Even though Kowalczyk won the 1995 Nobel Peace Prize, she was despised by many at home."
        result = self._extract(
            spacy_parser, "Which former president won the Nobel Peace Prize?", f"{first} {read}", read
        )
        assert result.answer == "Marta Kowalczyk"
        quotes = [e.passage.article.text[e.start : e.end] for e in result.support]
        assert read in quotes and first in quotes  # the full name is quoted too

    def test_words_the_question_already_says_are_not_added(self, spacy_parser) -> None:
        first = "Typhoon Rhea made landfall in Okinawa as a Category 3 storm on Tuesday."
        read = "Officials said the typhoon, Rhea, left a path of damage across southern Okinawa."
        result = self._extract(
            spacy_parser,
            "What was the Category 3 typhoon that left a path of damage in Okinawa called?",
            f"{first} {read}",
            read,
        )
        assert result.answer == "Rhea"


class TestWithoutCredit:
    @pytest.mark.parametrize(
        ("sentence", "answer"),
        [
            ("(CNN) Actress Nichelle Nichols has died at 89.", "Actress Nichelle Nichols has died at 89."),
            (
                "New York (CNN Business) Oatsy is retiring its yellow boxes.",
                "Oatsy is retiring its yellow boxes.",
            ),
            ("WILMINGTON, Del. – A man found a rare gold coin.", "A man found a rare gold coin."),
            ("KYIV, Ukraine — Russian forces shelled the city.", "Russian forces shelled the city."),
            (
                "US - China talks resumed on Monday in Geneva.",
                "US - China talks resumed on Monday in Geneva.",
            ),
            ("NATO – the alliance – met today in Brussels.", "NATO – the alliance – met today in Brussels."),
            ("(CNN) Too short.", "(CNN) Too short."),
        ],
    )
    def test_leading_dateline_or_wire_credit(self, sentence: str, answer: str) -> None:
        assert without_credit(sentence) == answer

    def test_the_sentence_answer_reads_without_it_the_quote_keeps_it(self, spacy_parser) -> None:
        text = "WASHINGTON – The river otter moved a step closer to extinction as scientists listed it."
        article = Article("a", "Otters", text, source="x.com")
        question = QuestionAnalyzer(spacy_parser).analyze("Why did scientists list the river otter?")
        result = SpanExtractor(spacy_parser).extract(question, [passage_of(article, text, 0)])
        assert not result.span and result.answer == text[len("WASHINGTON – ") :]
        assert (result.support[0].start, result.support[0].end) == (0, len(text))


class TestFollowUps:
    def test_an_earlier_answer_gives_way(self, spacy_parser) -> None:
        text = "The list of the best players ranked Lena Marsh and Omar Diaz at the top this year."
        article = Article("a", "Top players", text, source="x.com")
        question = QuestionAnalyzer(spacy_parser).analyze(
            "Who did the list of the best players rank at the top?"
        )
        answers = {}
        for earlier in ("lena marsh", "omar diaz"):
            asked = replace(
                question, earlier_answers=earlier_answers([{"question": "Q", "answer": earlier.title()}])
            )
            answers[earlier] = (
                SpanExtractor(spacy_parser).extract(asked, [passage_of(article, text, 0)]).answer
            )
        assert answers == {"lena marsh": "Omar Diaz", "omar diaz": "Lena Marsh"}

    def test_earlier_answers_from_either_history_form(self) -> None:
        chat = [{"role": "user", "content": "Who won?"}, {"role": "assistant", "content": "Lena Marsh"}]
        assert earlier_answers(chat) == {"lena marsh"}
        assert earlier_answers([{"question": "Who won?", "answer": "The Rams"}]) == {"rams"}
        assert earlier_answers(None) == frozenset()
        sentence = "Lena Marsh was ranked first by the players, ahead of Omar Diaz and Kai Brooks."
        assert earlier_answers([{"question": "Who won?", "answer": sentence}]) == frozenset()


class TestCitationBuilder:
    def test_identical_quotes_from_two_articles_collapse(self) -> None:
        text = "The storm hit Florida on Wednesday."
        a = Article("a", "Storm", text, source="cnn.com")
        b = Article("b", "Storm", text, source="usatoday.com", also_reported_by=[{"source": "apnews.com"}])
        pa, pb = passage_of(a, text, 0), passage_of(b, text, 1)
        cites = CitationBuilder().build([Evidence(pa, 0, len(text), 0.9), Evidence(pb, 0, len(text), 0.8)])
        assert len(cites) == 1
        assert cites[0].also_reported_by == ["usatoday.com", "apnews.com"]

    def test_reprints_are_listed(self) -> None:
        text = "Rates rose again."
        a = Article(
            "a", "Rates", text, source="cnn.com", also_reported_by=[{"id": "x", "source": "wral.com"}]
        )
        cites = CitationBuilder().build([Evidence(passage_of(a, text, 0), 0, len(text), 1.0)])
        assert cites[0].also_reported_by == ["wral.com"]
        assert cites[0].quote == text

    def test_a_quote_carries_the_chunk_it_was_read_from(self) -> None:
        text = "Crews cleared the road. The bridge reopened on Monday. Traffic was light. Shops reopened too."
        chunk = "The bridge reopened on Monday. Traffic was light."
        passage = passage_of(Article("a", "Bridge", text, source="x.com"), chunk, 0)
        start = text.index("The bridge")
        (inside,) = CitationBuilder().build([Evidence(passage, start, start + 30, 1.0)])
        assert (inside.passage, inside.passage_start) == (chunk, start)
        # a quote read on past the chunk (the next sentence) widens the passage to the whole quote
        (past,) = CitationBuilder().build([Evidence(passage, start, len(text), 1.0)])
        assert (past.passage, past.passage_start) == (text[start:], start)
        # a quote read elsewhere in the article (a name's first full mention) is its own passage
        (apart,) = CitationBuilder().build([Evidence(passage, 0, len("Crews cleared the road."), 1.0)])
        assert (apart.passage, apart.passage_start) == ("Crews cleared the road.", 0)
        for c in (inside, past, apart):
            assert c.passage[c.start - c.passage_start : c.end - c.passage_start] == c.quote
            assert c.to_dict()["passage"] == c.passage and c.to_dict()["passage_start"] == c.passage_start


class TestCitationPassages:
    @pytest.mark.parametrize(
        "question",
        [
            "Where was Norway's longest-reigning monarch when she died?",
            "Which team beat the Denver Falcons in the league semifinals?",
            "Why is Spokane without electricity?",
            "When will payments on state flood repair loans resume?",
            "Which orchestra opened the autumn season in Vienna?",  # no article says: related passages
        ],
    )
    def test_every_citation_holds_its_quote_inside_the_article_passage_it_carries(
        self, news_answerer, search_store, question: str
    ) -> None:
        answer = news_answerer.ask(question, as_of="2022-12-01")
        cited = answer.citations + answer.related
        assert cited, question
        for c in cited:
            article_text = search_store.get_article(c.article_id).text
            assert c.passage_start <= c.start <= c.end <= c.passage_start + len(c.passage)
            assert c.passage[c.start - c.passage_start : c.end - c.passage_start] == c.quote
            assert c.passage == article_text[c.passage_start : c.passage_start + len(c.passage)]
