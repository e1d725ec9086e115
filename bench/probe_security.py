"""Issue #19's security probes, rerun as an attacker and an operator would: a table of probe -> ok.

Against a running server (loopback only; every loop is bounded in count and time):

    python -m bench.probe_security --base-url http://127.0.0.1:8000              # open server
    python -m bench.probe_security --base-url http://127.0.0.1:8000 --key k1     # with API keys

Or let it start `newsqa serve` itself, once per profile (no keys; keys `k1,k2`; a trusted proxy;
an untrusted one), each on a fresh copy of nothing but two articles it adds, with small limits so
that a few requests reach them, and run the profile's probes:

    python -m bench.probe_security --spawn --work /tmp/probe-security --markdown

Each row: the issue's finding (1-7, "new" for extra attacks), what it sent, what a safe server
answers, what came back, ok. The exit status is 1 when any row is not ok.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.http import free_port
from bench.security_probes import (
    ARTICLES,
    Prober,
    Row,
    probe_auth_limits,
    probe_concurrent_write,
    probe_input,
    probe_keys,
    probe_openai_shapes,
    probe_rate_limits,
    probe_routes,
    probe_slow_body,
    probe_ssrf,
    probe_stale_spool,
    probe_ui_events,
    probe_ui_ingest,
    probe_ui_login_per_client,
    probe_upload_budget,
    probe_write_limit,
)

# The small limits of the spawned servers: each is reached within a dozen requests.
SMALL_LIMITS = {
    "NEWSQA_RATE_LIMIT_PER_MINUTE": "6",
    "NEWSQA_READ_RATE_LIMIT_PER_MINUTE": "30",
    "NEWSQA_WRITE_RATE_LIMIT_PER_MINUTE": "20",
    "NEWSQA_AUTH_FAILURES_PER_MINUTE": "4",
    "NEWSQA_UI_LOGIN_FAILURES_PER_MINUTE": "4",
    "NEWSQA_BODY_READ_TIMEOUT_S": "3",
    "NEWSQA_INGEST_MAX_UNPACKED_BYTES": "5000000",
}


def run_open_profile(p: Prober, data_dir: Path | None, body_timeout_s: float) -> None:
    with p.client() as client:
        probe_ui_ingest(p, client)
        probe_upload_budget(p, client)
        probe_concurrent_write(p, client)
        probe_input(p, client)
        probe_openai_shapes(p, client)
        probe_routes(p, client)
        probe_ssrf(p, client)
    probe_slow_body(p, body_timeout_s)
    probe_stale_spool(p, data_dir)


# Server profiles for --spawn: (name, environment). Each list setting in another of its forms.
PROFILES: list[tuple[str, dict[str, str]]] = [
    # The open server keeps the default question and write limits: its probes send ~80 questions.
    ("open", {"NEWSQA_API_KEYS": "", "NEWSQA_CORS_ORIGINS": " https://a.example , https://b.example",
              "NEWSQA_RATE_LIMIT_PER_MINUTE": "120", "NEWSQA_WRITE_RATE_LIMIT_PER_MINUTE": "60"}),
    # Default question limit: its signed-in UI probes start Gradio events, which count as questions.
    ("keys k1,k2 (writes only)", {"NEWSQA_API_KEYS": "k1,k2", "NEWSQA_RATE_LIMIT_PER_MINUTE": "120"}),
    ("keys ['k1'], trusted proxy 127.0.0.1", {"NEWSQA_API_KEYS": '["k1"]', "NEWSQA_TRUSTED_PROXIES": "127.0.0.1",
                                              "NEWSQA_CORS_ORIGINS": '["https://a.example"]'}),
    ("key k1, trusted proxy 10.9.9.9 only", {"NEWSQA_API_KEYS": "k1", "NEWSQA_TRUSTED_PROXIES": "10.9.9.9/32"}),
]  # fmt: skip


def spawn(work: Path, name: str, env_extra: dict[str, str]) -> tuple[subprocess.Popen[bytes], str, Path]:
    data_dir = Path(tempfile.mkdtemp(prefix="data-", dir=work))  # a fresh index per profile
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSQA_")}
    env.update({"NEWSQA_DATA_DIR": str(data_dir), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
                "GRADIO_ANALYTICS_ENABLED": "False", "ANONYMIZED_TELEMETRY": "False", **SMALL_LIMITS, **env_extra})  # fmt: skip
    log = (work / f"server-{port}.log").open("wb")
    cmd = [sys.executable, "-m", "app.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{name}: newsqa serve exited with {proc.returncode}; see {log.name}")
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                return proc, base, data_dir
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    proc.terminate()
    raise RuntimeError(f"{name}: not ready within 180 s")


def run_spawned(work: Path) -> list[tuple[str, list[Row]]]:
    results = []
    for name, env_extra in PROFILES:
        proc, base, data_dir = spawn(work, name, env_extra)
        key = "k1" if env_extra.get("NEWSQA_API_KEYS") else None
        p = Prober(base, key=key)
        try:
            p.check(
                "2",
                f"starts with {', '.join(f'{k}={v!r}' for k, v in env_extra.items())}",
                "ready",
                "ready",
                True,
            )
            with p.client() as client:
                seeded = client.post("/articles", json={"articles": ARTICLES}, headers=p.auth())
                p.status("2", "write with the configured key", seeded, {200})
                origin = (env_extra.get("NEWSQA_CORS_ORIGINS") or "").strip(' ["]').split(",")[0].strip(' "')
                if origin:
                    pre = client.options(
                        "/ask", headers={"Origin": origin, "Access-Control-Request-Method": "POST"}
                    )
                    p.check("2", f"CORS preflight from {origin}", "allowed",
                            pre.headers.get("access-control-allow-origin", "none"),
                            pre.headers.get("access-control-allow-origin") == origin)  # fmt: skip
                    evil = client.options("/ask", headers={"Origin": "https://evil.example",
                                                           "Access-Control-Request-Method": "POST"})  # fmt: skip
                    p.check("2", "CORS preflight from evil.example", "not allowed",
                            evil.headers.get("access-control-allow-origin", "none"),
                            evil.headers.get("access-control-allow-origin") is None)  # fmt: skip
                if name == "open":
                    run_open_profile(p, data_dir, float(SMALL_LIMITS["NEWSQA_BODY_READ_TIMEOUT_S"]))
                elif name.startswith("keys k1,k2"):
                    probe_keys(p, client)
                    probe_ui_ingest_signed_in(p)
                    probe_auth_limits(p, client, xff=True)
                elif "127.0.0.1" in name:
                    probe_rate_limits(p, client, trusted=True)
                    probe_write_limit(p, client)
                    probe_ui_login_per_client(p, client)
                else:
                    probe_rate_limits(p, client, trusted=False)
                    probe_ui_events(p, client)
                    probe_auth_limits(p, client, xff=True)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
        results.append((name, p.rows))
    return results


def probe_ui_ingest_signed_in(p: Prober) -> None:
    """With keys on: a key holder signed in to the UI still cannot read server files."""
    with p.client() as client:
        login = client.post("/login", data={"username": "anyone", "password": p.key or ""})
        p.check("1", "UI login with a key", "200", str(login.status_code), login.status_code == 200)
        probe_ui_ingest(p, client)
    with p.client() as anonymous:  # writes-only mode: reads need no key
        listed = anonymous.get("/articles", params={"limit": 200}).json().get("articles", [])
        leaked = [a["id"] for a in listed if "passwd" in json.dumps(a) or "os-release" in json.dumps(a)]
        p.check(
            "1", "writes-only: anonymous read of server files", "none", f"{len(leaked)} found", not leaked
        )


def probe_cli_lock(work: Path) -> list[Row]:
    """Two `newsqa ingest` at once on one data dir: the second waits its turn, both succeed."""
    data_dir = work / "cli-data"
    src = work / "cli.jsonl"
    src.write_text("".join(json.dumps(a) + "\n" for a in ARTICLES))
    env = {**os.environ, "NEWSQA_DATA_DIR": str(data_dir), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    cmd = [sys.executable, "-m", "app.cli", "ingest", str(src)]
    procs = [subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)]
    outs = [proc.communicate(timeout=300) for proc in procs]
    codes = [proc.returncode for proc in procs]
    waited = any(b"waiting for the write lock" in err for _, err in outs)
    got = f"exit {codes}" + (", one waited" if waited else ", no wait seen")
    return [Row("7", "two concurrent `newsqa ingest`", "both exit 0", got, codes == [0, 0])]


def render(results: list[tuple[str, list[Row]]], markdown: bool) -> str:
    out = io.StringIO()
    for name, rows in results:
        if markdown:
            out.write(f"\n**{name}**\n\n| # | probe | expected | got | ok |\n|---|---|---|---|---|\n")
            for r in rows:
                cells = [r.finding, r.probe, r.expected, r.got, "ok" if r.ok else "**FAIL**"]
                out.write("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |\n")
        else:
            out.write(f"\n== {name}\n")
            for r in rows:
                out.write(
                    f"{'ok  ' if r.ok else 'FAIL'} [{r.finding:>3}] {r.probe[:60]:<60} {r.expected[:34]:<34} {r.got}\n"
                )
    total = sum(len(rows) for _, rows in results)
    failed = sum(not r.ok for _, rows in results for r in rows)
    out.write(f"\n{total} probes, {failed} not ok\n")
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--base-url", help="a running server (loopback), e.g. http://127.0.0.1:8000")
    parser.add_argument("--key", help="an API key of that server")
    parser.add_argument("--data-dir", type=Path, help="its data dir, to look for spool files left behind")
    parser.add_argument("--body-timeout-s", type=float, default=60.0, help="its NEWSQA_BODY_READ_TIMEOUT_S")
    parser.add_argument("--spawn", action="store_true", help="start newsqa serve per profile instead")
    parser.add_argument(
        "--work", type=Path, help="--spawn: folder for data dirs and logs (default: a temp dir)"
    )
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args(argv)
    if args.spawn:
        work = args.work or Path(tempfile.mkdtemp(prefix="probe-security-"))
        work.mkdir(parents=True, exist_ok=True)
        results = run_spawned(work)
        results.append(("command line", probe_cli_lock(work)))
    elif args.base_url:
        if httpx.URL(args.base_url).host not in ("127.0.0.1", "localhost", "::1"):
            parser.error("probes run against loopback only")
        p = Prober(args.base_url, key=args.key)
        run_open_profile(p, args.data_dir, args.body_timeout_s)
        results = [(args.base_url, p.rows)]
    else:
        parser.error("give --base-url or --spawn")
    print(render(results, args.markdown))
    return 1 if any(not r.ok for _, rows in results for r in rows) else 0


if __name__ == "__main__":
    raise SystemExit(main())
