"""NewsQA: question answering over news articles with verifiable citations.

`newsqa.types`, `newsqa.settings` and `newsqa.errors` are the shared kernel every room imports.
`newsqa.cli` and `newsqa.server` are the only modules that compose the rooms (index, qa, ui, eval).
"""

__version__ = "0.1.0"
