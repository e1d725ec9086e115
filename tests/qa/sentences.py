"""Sentences shared by the tests of our spaCy components."""

# Uneven sentences for comparing our spaCy components with spaCy's: a long one with names, numbers,
# double spaces, a single word, an empty text.
SPACY_SENTENCES = [
    "Senator Clara Moreno welcomed Canadian Premier David Okafor to the state capitol in Denver on Thursday.",
    "The Lakeside Transit Authority raised the bus fare by 8% to $2.75, the first rise in 12 years.",
    "Coach Dana Pruitt resigned after 38 days in the job.",
    "Hello  there",
    "Paris",
    "",
]
