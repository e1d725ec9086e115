"""Sentences shared by the tests of our spaCy components."""

# Uneven sentences for comparing our spaCy components with spaCy's: a long one with names, numbers,
# double spaces, a single word, an empty text.
SPACY_SENTENCES = [
    "President Joe Biden welcomed French President Emmanuel Macron to the White House on Thursday.",
    "The Bank of England raised its interest rate to 3%, the highest level in 14 years.",
    "Liz Truss resigned after 45 days in office.",
    "Hello  there",
    "Paris",
    "",
]
