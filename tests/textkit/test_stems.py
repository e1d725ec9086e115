"""The one stemmer, with and without synonyms, and what is built on it."""

from __future__ import annotations

from textkit import content_stems, folded_stem, phrase_stem, search_terms, stem, text_stems, word_stems


class TestStem:
    def test_porter_stems_lower_cased_without_possessives_or_edge_marks(self) -> None:
        assert stem("Ferries") == stem("ferry") == "ferri"
        assert stem("harbour's") == stem("Harbour’s") == stem("harbours") == "harbour"
        assert stem("-walking.") == "walk"

    def test_synonyms_fold_only_when_asked(self) -> None:
        assert stem("purchased") == "purchas" and stem("bought") == "bought"
        assert folded_stem("purchased") == folded_stem("bought") == folded_stem("acquired") == "buy"
        assert folded_stem("UK") == folded_stem("British") != stem("British")
        assert folded_stem("harbour") == stem("harbour")  # a word without synonyms is its stem


class TestBuiltOnStems:
    def test_compounds_by_their_parts_too(self) -> None:
        assert word_stems("rebel-held") == ["rebel-held", "rebel", "held"]
        stems = text_stems("Rebel-held towns bought food", fold_synonyms=True)
        assert stems == set(["rebel-held", "rebel", "held", "town", "buy", "food"])

    def test_content_stems_leave_stop_words_and_single_letters_out(self) -> None:
        stems = content_stems("Who said the ferry sank in 2 hours, a U.K. report?")
        assert stems == set(["ferri", "sank", "2", "hour", "u.k", "report"])
        assert content_stems("He said it was new.") == set()

    def test_phrase_stems_fold_names_written_another_way(self) -> None:
        assert phrase_stem("great  Britain") == folded_stem("UK") == folded_stem("British")
        assert phrase_stem("Kingdom") is None

    def test_search_terms_drop_base_stop_words_and_single_characters(self) -> None:
        text = "The U.S.-made ferries of Port_Ellis ARE sailing, 2 more to Sète"
        assert search_terms(text) == ["made", "ferri", "port_elli", "sail", "more", "sète"]
