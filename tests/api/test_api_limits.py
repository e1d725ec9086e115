"""Rate limits on reads, writes and failed key checks, and whose address they count (api.application, in-process).

The same behaviour through a real `newsqa serve` process: tests/app/test_serve_env.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.application import create_app
from api.security import FailedAuthLimiter, RateLimitExceeded
from newsqa.settings import Settings
from tests.api.api_fakes import fake_services

ARTICLE = {"articles": [{"text": "Rain fell in Lahore on Tuesday, the city's weather office said."}]}


def client_from(tmp_path: Path, peer: str = "198.51.100.20", **settings: Any) -> TestClient:
    """A client whose requests come from `peer` (the socket address the server sees)."""
    app = create_app(Settings(data_dir=tmp_path / "data", **settings), services=fake_services(tmp_path))
    return TestClient(app, raise_server_exceptions=False, client=(peer, 40000))


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


class TestReadAndWriteLimits:
    def test_writes_share_one_bucket_and_get_429(self, tmp_path: Path) -> None:
        client = client_from(tmp_path, write_rate_limit_per_minute=2)
        assert client.post("/articles", json=ARTICLE).status_code == 200
        assert client.delete("/articles/drone1").status_code == 200
        refused = client.post("/articles", files=[("files", ("a.txt", b"Some news.", "text/plain"))])
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
        assert refused.json()["error"]["code"] == "rate_limited"
        # Questions and reads are counted apart from writes.
        assert client.post("/ask", json={"question": "drone?"}).status_code == 200
        assert client.get("/articles").status_code == 200

    @pytest.mark.parametrize("path", ["/articles", "/articles/drone1", "/stats", "/v1/models"])
    def test_reads_get_429(self, tmp_path: Path, path: str) -> None:
        client = client_from(tmp_path, read_rate_limit_per_minute=2)
        assert [client.get(path).status_code for _ in range(3)] == [200, 200, 429]
        assert client.get("/healthz").status_code == 200  # probes are never limited

    def test_each_key_has_its_own_write_bucket(self, tmp_path: Path) -> None:
        client = client_from(tmp_path, api_keys=["a", "b"], write_rate_limit_per_minute=1)
        assert client.post("/articles", json=ARTICLE, headers=bearer("a")).status_code == 200
        assert client.post("/articles", json=ARTICLE, headers=bearer("a")).status_code == 429
        assert client.post("/articles", json=ARTICLE, headers=bearer("b")).status_code == 200

    def test_zero_turns_a_limit_off(self, tmp_path: Path) -> None:
        client = client_from(tmp_path, read_rate_limit_per_minute=0)
        assert all(client.get("/stats").status_code == 200 for _ in range(50))


class TestFailedKeys:
    def test_wrong_and_missing_keys_end_in_429_even_for_the_right_key(self, tmp_path: Path) -> None:
        client = client_from(tmp_path, api_keys=["right"], auth_failures_per_minute=3)
        assert client.delete("/articles/drone1").status_code == 401
        for guess in ("guess1", "guess2"):
            assert client.delete("/articles/drone1", headers=bearer(guess)).status_code == 401
        blocked = client.delete("/articles/drone1", headers=bearer("right"))
        assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) >= 1
        # Another client is not blocked.
        other = client_from(tmp_path, peer="198.51.100.21", api_keys=["right"])
        assert other.delete("/articles/drone1", headers=bearer("right")).status_code == 200

    def test_reads_that_need_no_key_are_not_blocked(self, tmp_path: Path) -> None:
        client = client_from(tmp_path, api_keys=["right"], auth_failures_per_minute=1)
        assert client.post("/articles", json=ARTICLE, headers=bearer("nope")).status_code == 401
        assert client.post("/articles", json=ARTICLE, headers=bearer("right")).status_code == 429
        assert client.post("/ask", json={"question": "drone?"}).status_code == 200

    def test_reads_that_need_a_key_count_too(self, tmp_path: Path) -> None:
        client = client_from(
            tmp_path, api_keys=["right"], require_key_for_reads=True, auth_failures_per_minute=2
        )
        statuses = [client.get("/articles", headers=bearer("nope")).status_code for _ in range(3)]
        assert statuses == [401, 401, 429]

    def test_limiter_refills_and_is_per_client(self) -> None:
        now = [0.0]
        failures = FailedAuthLimiter(per_minute=2, clock=lambda: now[0])
        failures.record("a")
        failures.check("a")  # one failure left
        failures.record("a")
        with pytest.raises(RateLimitExceeded) as exc:
            failures.check("a")
        assert exc.value.headers == {"Retry-After": "30"}
        failures.check("b")
        now[0] = 30.0
        failures.check("a")


class TestTrustedProxies:
    def test_forwarded_for_from_an_untrusted_peer_is_ignored(self, tmp_path: Path) -> None:
        client = client_from(tmp_path, rate_limit_per_minute=2)
        statuses = [
            client.post(
                "/ask", json={"question": "drone?"}, headers={"X-Forwarded-For": f"203.0.113.{n}"}
            ).status_code
            for n in range(3)
        ]
        assert statuses == [200, 200, 429]

    def test_forwarded_for_from_a_trusted_proxy_names_the_client(self, tmp_path: Path) -> None:
        client = client_from(tmp_path, trusted_proxies=["198.51.100.0/24"], rate_limit_per_minute=1)

        def ask(forwarded_for: str) -> int:
            headers = {"X-Forwarded-For": forwarded_for}
            return client.post("/ask", json={"question": "drone?"}, headers=headers).status_code

        assert [ask("203.0.113.1"), ask("203.0.113.2"), ask("203.0.113.1")] == [200, 200, 429]
        # A client's own forged entry before the proxy's: the address the proxy saw counts.
        assert ask("192.0.2.99, 203.0.113.1") == 429

    def test_trusted_proxy_clients_get_their_own_failure_buckets(self, tmp_path: Path) -> None:
        client = client_from(
            tmp_path, trusted_proxies=["198.51.100.20"], api_keys=["right"], auth_failures_per_minute=1
        )

        def delete(forwarded_for: str, key: str) -> int:
            headers = {"X-Forwarded-For": forwarded_for, **bearer(key)}
            return client.delete("/articles/drone1", headers=headers).status_code

        assert [delete("203.0.113.5", "nope"), delete("203.0.113.5", "right")] == [401, 429]
        assert delete("203.0.113.6", "right") == 200
