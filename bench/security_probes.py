"""The probes of `bench.probe_security`: each sends one kind of attack to a server and records a row.

Usage:
    p = Prober("http://127.0.0.1:8000")
    with p.client() as client:
        probe_input(p, client)
    [row.ok for row in p.rows]
"""

from __future__ import annotations

import gzip
import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ARTICLES = [
    {"id": "probe-bridge", "title": "Harbor bridge reopens after repairs", "source": "example.org",
     "published": "2026-11-20", "url": "https://example.org/bridge",
     "text": "The Harbor Bridge in Port Alden reopened on Monday after six months of repairs. "
             "Engineers replaced the cables and the deck. Mayor Lena Ortiz cut the ribbon at noon."},
    {"id": "probe-library", "title": "Library opens night reading room", "source": "example.net",
     "published": "2026-11-25", "url": "https://example.net/library",
     "text": "The central library of Port Alden opened a night reading room on Friday. "
             "It stays open until two in the morning, said the head librarian, Omar Quist."},
]  # fmt: skip
QUESTION = "Who cut the ribbon at the Harbor Bridge?"


@dataclass
class Row:
    finding: str
    probe: str
    expected: str
    got: str
    ok: bool


@dataclass
class Prober:
    """Sends the probes of one server and collects the rows."""

    base_url: str
    key: str | None = None
    rows: list[Row] = field(default_factory=list)
    timeout_s: float = 60.0

    def client(self, **kw: Any) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, timeout=self.timeout_s, **kw)

    def auth(self, key: str | None = "__own__") -> dict[str, str]:
        key = self.key if key == "__own__" else key
        return {"Authorization": f"Bearer {key}"} if key else {}

    def check(self, finding: str, probe: str, expected: str, got: str, ok: bool) -> None:
        self.rows.append(Row(finding, probe, expected, got, ok))

    def status(self, finding: str, probe: str, response: httpx.Response, allowed: set[int]) -> None:
        """A row that is ok when the status is allowed and any error is in the API's shape."""
        shape = _error_shape_ok(response)
        leak = _leaks(response.text)
        got = (
            f"{response.status_code}"
            + ("" if shape else " (not error shape)")
            + (f" LEAK {leak}" if leak else "")
        )
        expected = "/".join(str(s) for s in sorted(allowed))
        self.check(finding, probe, expected, got, response.status_code in allowed and shape and not leak)


def _error_shape_ok(response: httpx.Response) -> bool:
    if response.status_code < 400:
        return True
    try:
        body = response.json()
    except ValueError:
        return False
    return isinstance(body, dict) and isinstance(body.get("error"), dict) and "code" in body["error"]


# Signs of a stack trace, a server path or a server file in a reply (the client's own path echoed is fine).
LEAK_MARKERS = ("Traceback", 'File "/', "uploads/upload-", "site-packages", "root:x:0:0", "NAME=")


def _leaks(text: str) -> str:
    return next((m for m in LEAK_MARKERS if m in text), "")


def _sse_events(text: str) -> list[str]:
    return [line[len("event: ") :] for line in text.splitlines() if line.startswith("event: ")]


def gradio_call(client: httpx.Client, api_name: str, data: list[Any]) -> tuple[int, str]:
    """POST /gradio_api/call/<api_name>, then read its event stream: (status of the POST, the stream)."""
    started = client.post(f"/gradio_api/call/{api_name}", json={"data": data})
    if started.status_code != 200:
        return started.status_code, started.text
    event_id = started.json()["event_id"]
    return 200, client.get(f"/gradio_api/call/{api_name}/{event_id}").text


# Finding 1: the chat UI must not read server files.
def probe_ui_ingest(p: Prober, client: httpx.Client) -> None:
    forged = {"path": "/etc/os-release", "meta": {"_type": "gradio.FileData"}, "orig_name": "os-release"}
    attempts = {
        "UI URL box: /etc/passwd": [None, "/etc/passwd"],
        "UI URL box: / (folder)": [None, "/"],
        "UI URL box: file:///etc/hostname": [None, "file:///etc/hostname"],
        "UI files: forged FileData /etc/os-release": [[forged], None],
        "UI files: plain string path": [["/etc/hostname"], None],
        "UI files: spool path ../../": [[{**forged, "path": "../../../../etc/hostname"}], None],
    }
    for probe, data in attempts.items():
        status, stream = gradio_call(client, "add_articles", data)
        events = _sse_events(stream)
        refused = status != 200 or "error" in events or "refused" in stream or "failed" in stream.lower()
        added = "added 1" in stream or "added 2" in stream
        got = f"{status} {','.join(events) or '-'}" + (" ADDED" if added else "")
        p.check("1", probe, "refused, nothing added", got, refused and not added)
    listed = client.get("/articles", params={"source": "local", "limit": 100}, headers=p.auth())
    local = [a for a in listed.json().get("articles", [])] if listed.status_code == 200 else []
    p.check("1", "GET /articles?source=local", "no local articles", f"{listed.status_code}, {len(local)} local",
            listed.status_code == 200 and not local)  # fmt: skip
    everything = client.get("/articles", params={"limit": 200}, headers=p.auth()).json().get("articles", [])
    read = [a["id"] for a in everything if "passwd" in json.dumps(a) or "os-release" in json.dumps(a)]
    p.check("1", "GET /articles: any server file", "none", f"{len(read)} found", not read)


# Finding 4: bounded upload work.
def probe_upload_budget(p: Prober, client: httpx.Client) -> None:
    line = json.dumps({"title": "Repeated line", "text": "word " * 200}) + "\n"
    bomb = gzip.compress((line * 20_000).encode(), compresslevel=9)  # ~20 MB unpacked, small packed
    r = client.post("/articles", files={"files": ("bomb.jsonl.gz", bomb)}, headers=p.auth())
    p.status("4", f"gzip bomb ({len(bomb) // 1000} kB -> 20 MB, 20k lines)", r, {413})
    many = [("files", (f"a{i}.txt", b"Title\n\nA short text about a town council meeting number %d." % i))
            for i in range(210)]  # fmt: skip
    r = client.post("/articles", files=many, headers=p.auth())
    p.status("4", "210 files in one upload", r, {400, 413, 422})
    lines = "".join(json.dumps({"title": f"t{i}", "text": ""}) + "\n" for i in range(600)).encode()
    r = client.post("/articles", files={"files": ("bad.jsonl", lines)}, headers=p.auth())
    size = len(r.content)
    body = r.json() if r.status_code == 200 else {}
    p.check("4", "600 bad lines: reply size", "< 64 kB, rest counted", f"{r.status_code}, {size} B, "
            f"failed_omitted={body.get('failed_omitted')}", r.status_code in (200, 413) and size < 65_536)  # fmt: skip


def probe_concurrent_write(p: Prober, client: httpx.Client) -> None:
    """Another client's write while one runs: it waits its turn (not index_busy at once)."""
    text = "".join(json.dumps({"title": f"Council note {i}", "text": f"The council met for session {i}. " * 20})
                   + "\n" for i in range(150)).encode()  # fmt: skip
    results: dict[str, httpx.Response] = {}

    def first() -> None:
        with p.client() as c:
            results["first"] = c.post("/articles", files={"files": ("notes.jsonl", text)}, headers=p.auth())

    worker = threading.Thread(target=first)
    worker.start()
    time.sleep(0.3)
    second = client.post("/articles", json={"articles": [{"title": "Second writer", "text": "A second "
                         "client writes while the first one runs."}]}, headers=p.auth())  # fmt: skip
    worker.join(timeout=120)
    firsts = results.get("first")
    p.check("4", "second client's write during an upload", "both 200 (waits its turn)",
            f"{firsts.status_code if firsts else 'none'} / {second.status_code}",
            firsts is not None and firsts.status_code == 200 and second.status_code == 200)  # fmt: skip


# Finding 5: bad dates and text are 4xx everywhere, streaming included.
def probe_input(p: Prober, client: httpx.Client) -> None:
    h = {"Content-Type": "application/json", **p.auth()}
    bodies = {
        "as_of 9999-12-31": {"question": QUESTION, "as_of": "9999-12-31"},
        "as_of 0001-01-01 + last week": {"question": "What happened last week?", "as_of": "0001-01-01"},
        "as_of 0001-01-01 + in May": {"question": "What opened in May?", "as_of": "0001-01-01"},
        "filters published_to 0000-01-01": {"question": QUESTION, "filters": {"published_to": "0000-01-01"}},
        'top_k "5"': {"question": QUESTION, "top_k": "5"},
        "top_k true": {"question": QUESTION, "top_k": True},
        "filters sources: [1, null]": {"question": QUESTION, "filters": {"sources": [1, None]}},
        "filters: a string": {"question": QUESTION, "filters": "x"},
        "history role 'tool'": {"question": QUESTION, "history": [{"role": "tool", "content": "x"}]},
        "history 10k turns": {"question": QUESTION, "history": [{"role": "user", "content": "hi"}] * 10_000},
    }
    for name, body in bodies.items():
        for route in ("/ask", "/ask/stream"):
            r = client.post(route, json=body, headers=p.auth())
            p.status("5" if "as_of" in name or "0000" in name else "7" if "top_k" in name else "new",
                     f"{route} {name}", r, {400, 413, 422})  # fmt: skip
    surrogate = '{"question": "Who cut the ribbon \\ud800?"}'
    for route in ("/ask", "/ask/stream"):
        p.status(
            "5",
            f"{route} lone surrogate \\ud800",
            client.post(route, content=surrogate, headers=h),
            {400, 422},
        )
    chat = '{"model": "newsqa", "stream": %s, "messages": [{"role": "user", "content": "Bridge \\ud800?"}]}'
    for stream in ("false", "true"):
        r = client.post("/v1/chat/completions", content=chat % stream, headers=h)
        p.status("5", f"chat stream={stream} lone surrogate", r, {400, 422})
    r = client.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": QUESTION}],
                    "as_of": "9999-12-31", "stream": True}, headers=p.auth())  # fmt: skip
    p.status("5", "chat stream as_of 9999-12-31", r, {400, 422})


# New: OpenAI messages of odd shapes, odd routes and headers.
def probe_openai_shapes(p: Prober, client: httpx.Client) -> None:
    shapes = {
        "content: image part only": [
            {"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}
        ],
        "content: text part with a number": [{"role": "user", "content": [{"type": "text", "text": 5}]}],
        "content: list of strings": [{"role": "user", "content": ["who", "cut"]}],
        "content: null": [{"role": "user", "content": None}],
        "last message from assistant": [{"role": "assistant", "content": QUESTION}],
        "only a system message": [{"role": "system", "content": QUESTION}],
        "role 'admin'": [{"role": "admin", "content": QUESTION}],
        "content: 200k chars": [{"role": "user", "content": "bridge " * 30_000}],
        "content: a dict": [{"role": "user", "content": {"text": QUESTION}}],
    }
    for name, messages in shapes.items():
        for stream in (False, True):
            r = client.post(
                "/v1/chat/completions", json={"messages": messages, "stream": stream}, headers=p.auth()
            )
            p.status("new", f"chat {name} stream={stream}", r, {200, 400, 404, 413, 422})
            if r.status_code == 200 and stream:
                p.check("new", f"chat {name}: stream ends cleanly", "[DONE], no error event",
                        "ok" if "[DONE]" in r.text and "internal" not in r.text else r.text[-120:],
                        "[DONE]" in r.text and "internal" not in r.text)  # fmt: skip


def probe_routes(p: Prober, client: httpx.Client) -> None:
    checks: list[tuple[str, Callable[[], httpx.Response], set[int]]] = [
        ("GET /nonexistent", lambda: client.get("/nonexistent"), {404}),
        ("PUT /articles", lambda: client.put("/articles", json={}), {405}),
        ("PATCH /ask", lambda: client.patch("/ask", json={}), {405}),
        ("TRACE /", lambda: client.request("TRACE", "/"), {404, 405}),
        ("GET /articles/..%2F..%2Fetc%2Fpasswd", lambda: client.get("/articles/..%2F..%2Fetc%2Fpasswd"), {404}),
        ("GET /gradio_api/file=/etc/passwd", lambda: client.get("/gradio_api/file=/etc/passwd"), {403, 404}),
        ("GET /file=/etc/passwd", lambda: client.get("/file=/etc/passwd"), {403, 404}),
        ("GET /gradio_api/file=../../etc/passwd", lambda: client.get("/gradio_api/file=../../../../etc/passwd"),
         {403, 404}),
        ("GET /articles?limit=-1", lambda: client.get("/articles", params={"limit": -1}, headers=p.auth()), {422}),
        ("GET /articles?limit=10**30", lambda: client.get("/articles", params={"limit": "1" + "0" * 30},
                                                          headers=p.auth()), {422}),
        ("GET /articles?published_from=9999-99-99",
         lambda: client.get("/articles", params={"published_from": "9999-99-99"}, headers=p.auth()), {400, 422}),
        ("POST /ask: JSON array body", lambda: client.post("/ask", json=[1], headers=p.auth()), {422}),
        ("POST /ask: text/plain body", lambda: client.post("/ask", content="hi", headers={
            "Content-Type": "text/plain", **p.auth()}), {415, 422}),
        ("POST /ask: 60-deep JSON", lambda: client.post("/ask", content='{"question":"q","x":' + "[" * 60 + "]" * 60
                                                         + "}", headers={"Content-Type": "application/json",
                                                                         **p.auth()}), {200, 422}),
        ("POST /articles: form field 'files' as text", lambda: client.post("/articles", files={"files": (None, "x")},
                                                                          headers=p.auth()), {400, 422}),
        ("GET /docs", lambda: client.get("/docs"), {200}),
        ("GET /openapi.json", lambda: client.get("/openapi.json"), {200}),
    ]  # fmt: skip
    for name, send, allowed in checks:
        p.status("new", name, send(), allowed)
    docs = client.get("/docs").text
    external = [u for u in ("cdn.jsdelivr", "unpkg.com", "fastapi.tiangolo") if u in docs]
    p.check("new", "/docs loads no outside assets", "none", ", ".join(external) or "none", not external)
    for size, allowed in ((8_000, {"200"}), (1_000_000, {"400", "431", "closed"})):
        got = raw_status(p.base_url, f"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: {'a' * size}\r\n\r\n")
        p.check("new", f"{size // 1000} kB header", " or ".join(sorted(allowed)), got, got in allowed)
    up = client.post("/articles", files={"files": ("../../../../tmp/evil\x00.jsonl", json.dumps(ARTICLES[0]).encode())},
                     headers=p.auth())  # fmt: skip
    p.status("new", "upload filename ../../tmp/evil\\0.jsonl", up, {200, 400})
    p.check(
        "new",
        "  ... nothing written to /tmp/evil*",
        "no file",
        "exists" if any(Path("/tmp").glob("evil*")) else "no file",
        not any(Path("/tmp").glob("evil*")),
    )
    items = up.json().get("items", []) if up.status_code == 200 else []
    shown = json.dumps(items) + json.dumps(up.json().get("failed", []) if up.status_code == 200 else [])
    p.check("7", "items[].item of an upload", "client name, no server path", shown[:80],
            "uploads" not in shown and "/tmp" not in shown)  # fmt: skip


def raw_status(base_url: str, request: str) -> str:
    """The status of a raw HTTP/1.1 request, or "closed" when the server stops reading."""
    url = httpx.URL(base_url)
    with socket.create_connection((url.host, url.port or 80), timeout=30) as sock:
        try:
            sock.sendall(request.encode())
            reply = sock.recv(4096).decode(errors="replace")
        except OSError:
            return "closed"
    return reply.split(" ", 2)[1] if reply.startswith("HTTP/") else "closed"


# Finding 6: POST /articles urls go through the fetcher's guard (the pinning itself: tests/index/test_fetch.py).
def probe_ssrf(p: Prober, client: httpx.Client) -> None:
    urls = ["http://127.0.0.1:1/x", "http://localhost:1/x", "http://[::1]/x", "http://2130706433/x",
            "http://0x7f.1/x", "http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/x"]  # fmt: skip
    r = client.post("/articles", json={"urls": urls}, headers=p.auth())
    body = r.json() if r.status_code == 200 else {}
    failed = body.get("failed", [])
    first = failed[0]["error"][:70] if failed else "-"
    p.check("6", f"POST /articles urls: {len(urls)} loopback/private/metadata", "all refused, 0 added",
            f"{r.status_code}, added {body.get('added')}, refused {len(failed)} ({first})",
            r.status_code == 200 and body.get("added") == 0 and len(body.get("failed", [])) == len(urls))  # fmt: skip


def probe_slow_body(p: Prober, timeout_s: float) -> None:
    """A body that never finishes: 408 (or closed) within the body-read timeout, not held forever."""
    host, port = httpx.URL(p.base_url).host, httpx.URL(p.base_url).port or 80
    with socket.create_connection((host, port), timeout=timeout_s + 10) as sock:
        auth = "".join(f"{k}: {v}\r\n" for k, v in p.auth().items())
        head = f"POST /articles HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n{auth}"
        sock.sendall((head + 'Content-Length: 1000\r\n\r\n{"articles": [').encode())
        started = time.monotonic()
        try:
            reply = sock.recv(4096).decode(errors="replace")
        except TimeoutError:
            reply = ""
        waited = time.monotonic() - started
    status = reply.split(" ", 2)[1] if reply.startswith("HTTP/") else "closed"
    p.check("7", "body that never finishes", f"408 within ~{timeout_s:.0f} s",
            f"{status} after {waited:.1f} s", status in ("408", "closed") and waited < timeout_s + 5)  # fmt: skip


def probe_stale_spool(p: Prober, data_dir: Path | None) -> None:
    if data_dir is None:
        return
    left = [f for f in (data_dir / "uploads").rglob("*") if f.is_file() and "ui" not in f.parts[-3:-1]]
    p.check("7", "spool files left after the probes", "none (API uploads)", f"{len(left)} files", not left)


# Finding 3 and the key handling: run against servers with keys.
def probe_keys(p: Prober, client: httpx.Client) -> None:
    r = client.post("/articles", json={"articles": [ARTICLES[0]]})
    p.status("2", "write without a key", r, {401})
    r = client.post("/articles", json={"articles": [ARTICLES[0]]}, headers=p.auth("k2-wrong"))
    p.status("2", "write with a wrong key", r, {401, 429})
    gr_status, _ = gradio_call(client, "add_articles", [None, "/etc/passwd"])
    r = client.post("/gradio_api/call/add_articles", json={"data": [None, "/etc/passwd"]})
    p.status("7", "Gradio call without signing in", r, {401})
    p.check("1", "UI add_articles without login", "401", str(gr_status), gr_status == 401)


def probe_auth_limits(p: Prober, client: httpx.Client, xff: bool) -> None:
    """Wrong keys and wrong UI logins reach 429 within a few tries, whatever X-Forwarded-For says."""
    statuses = []
    for i in range(8):
        headers = {**p.auth(f"wrong-{i}"), **({"X-Forwarded-For": f"203.0.113.{i}"} if xff else {})}
        statuses.append(client.post("/articles", json={"articles": []}, headers=headers).status_code)
    tag = " (random X-Forwarded-For)" if xff else ""
    p.check("3", f"8 wrong keys{tag}", "429 after a few", ",".join(map(str, statuses)), 429 in statuses)
    ok_key = client.post("/articles", json={"articles": [ARTICLES[1]]}, headers=p.auth()).status_code
    p.check(
        "3",
        "  ... then the right key from the same address",
        "429 (until refilled)",
        str(ok_key),
        ok_key == 429,
    )
    logins = []
    for i in range(8):
        headers = {"X-Forwarded-For": f"198.51.100.{i}"} if xff else {}
        logins.append(client.post("/login", data={"username": "u", "password": f"bad{i}"}, headers=headers))
    codes = [r.status_code for r in logins]
    shape = all(_error_shape_ok(r) for r in logins)
    p.check("3", f"8 wrong UI logins{tag}", "400s then 429, error shape", ",".join(map(str, codes)),
            429 in codes and shape)  # fmt: skip


def probe_rate_limits(p: Prober, client: httpx.Client, trusted: bool) -> None:
    """Questions per client: forged X-Forwarded-For from an untrusted peer changes nothing."""
    codes = []
    for i in range(10):
        headers = {"X-Forwarded-For": f"192.0.2.{i}"}
        codes.append(client.post("/ask", json={"question": QUESTION}, headers=headers).status_code)
    if trusted:
        p.check("3", "10 /ask, new X-Forwarded-For each, trusted proxy", "all 200 (one client each)",
                ",".join(map(str, codes)), all(c == 200 for c in codes))  # fmt: skip
        chained = []
        for i in range(10):
            headers = {"X-Forwarded-For": f"10.{i}.0.1, 192.0.2.200"}  # client-written entries first
            chained.append(client.post("/ask", json={"question": QUESTION}, headers=headers).status_code)
        p.check("3", "10 /ask, forged entries before the proxy's", "429 after the limit (one client)",
                ",".join(map(str, chained)), 429 in chained)  # fmt: skip
    else:
        p.check("3", "10 /ask, forged X-Forwarded-For, untrusted peer", "429 after the limit",
                ",".join(map(str, codes)), 429 in codes)  # fmt: skip
    reads = [client.get("/stats", headers={"X-Forwarded-For": f"192.0.2.{i}"}).status_code for i in range(40)]
    expect_429 = not trusted
    p.check("3", "40 GET /stats, forged X-Forwarded-For", "429 past 30/min" if expect_429 else "200 (new clients)",
            f"{reads.count(200)}x200, {reads.count(429)}x429", (429 in reads) == expect_429)  # fmt: skip


def probe_ui_events(p: Prober, client: httpx.Client) -> None:
    """After /ask is at its limit, the chat UI's Gradio API must not answer questions for free."""
    data = {"data": [QUESTION, [], [], "", "", "", "extractive"]}
    codes = [client.post(path, json=data).status_code for path in
             ("/gradio_api/call/respond", "/gradio_api/run/respond", "/gradio_api/queue/join")]  # fmt: skip
    p.check("new", "UI events after /ask hit its limit", "429 (one budget)", ",".join(map(str, codes)),
            all(c == 429 for c in codes))  # fmt: skip


def probe_ui_login_per_client(p: Prober, client: httpx.Client) -> None:
    """Behind a trusted proxy, one guesser's failed UI logins must not lock out other clients."""

    def login(address: str) -> int:
        form = {"username": "u", "password": "wrong"}
        return client.post("/login", data=form, headers={"X-Forwarded-For": address}).status_code

    guesser = [login("198.51.100.9") for _ in range(6)]
    other = login("198.51.100.10")
    p.check("new", "UI logins via proxy: guesser, then another client", "429 for the guesser, 400 for the other",
            f"{','.join(map(str, guesser))} / {other}", 429 in guesser and other == 400)  # fmt: skip


def probe_write_limit(p: Prober, client: httpx.Client) -> None:
    codes = [client.post("/articles", json={"articles": [ARTICLES[1]]}, headers=p.auth()).status_code
             for _ in range(25)]  # fmt: skip
    p.check("3", "25 writes in a minute (limit 20)", "429 past the limit",
            f"{codes.count(200)}x200, {codes.count(429)}x429", 429 in codes)  # fmt: skip
