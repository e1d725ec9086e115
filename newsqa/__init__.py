"""NewsQA: question answering over news articles with verifiable citations.

`newsqa.types`, `newsqa.settings` and `newsqa.errors` are the shared kernel every room imports.
Nothing here imports a room; `app/` (the CLI and the server assembly) composes them all.
"""

__version__ = "0.1.0"
