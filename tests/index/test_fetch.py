from __future__ import annotations

import contextlib
import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

import index.fetch as fetch_module
from index.fetch import FetchedPage, Fetcher, check_url_target, is_public_address, pinned_request
from newsqa.errors import IngestError


@pytest.fixture(scope="module")
def local_fetcher() -> Fetcher:
    return Fetcher(allow_private=True, timeout_s=5)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class TestFetchedPage:
    def test_text_decodes_by_declared_charset(self) -> None:
        page = FetchedPage("http://x/", 200, "text/html; charset=ISO-8859-1", "café".encode("latin-1"))
        assert page.charset == "ISO-8859-1"
        assert page.media_type == "text/html"
        assert page.text == "café"

    def test_text_falls_back_to_utf8_then_cp1252(self) -> None:
        assert FetchedPage("u", 200, "text/plain", "naïve".encode()).text == "naïve"
        assert FetchedPage("u", 200, "", "naïve".encode("cp1252")).text == "naïve"


class TestFetcher:
    def test_gets_a_page(self, local_fetcher: Fetcher, h1_server: str) -> None:
        page = local_fetcher.get(f"{h1_server}/h1_site/story-one.html")
        assert page.status == 200
        assert page.media_type == "text/html"
        assert "Harbor Street bridge reopened" in page.text

    def test_follows_redirects_to_the_final_url(self, local_fetcher: Fetcher, h1_server: str) -> None:
        page = local_fetcher.get(f"{h1_server}/h1_redirect")
        assert page.url == f"{h1_server}/h1_site/story-one.html"

    def test_redirect_loop_is_bounded(self, h1_server: str) -> None:
        with pytest.raises(IngestError, match="more than 2 redirects"):
            Fetcher(allow_private=True, max_redirects=2).get(f"{h1_server}/h1_redirect_loop")

    def test_http_error_names_url_and_status(self, local_fetcher: Fetcher, h1_server: str) -> None:
        url = f"{h1_server}/h1_site/missing.html"
        with pytest.raises(IngestError, match="HTTP 404") as err:
            local_fetcher.get(url)
        assert url in err.value.message

    def test_size_cap(self, h1_server: str) -> None:
        with pytest.raises(IngestError, match="too large"):
            Fetcher(allow_private=True, max_bytes=1000).get(f"{h1_server}/h1_big")

    def test_time_cap(self, h1_server: str) -> None:
        with pytest.raises(IngestError, match="timed out"):
            Fetcher(allow_private=True, timeout_s=0.5).get(f"{h1_server}/h1_slow")

    def test_unreachable_port(self, local_fetcher: Fetcher) -> None:
        with pytest.raises(IngestError, match="cannot fetch"):
            local_fetcher.get(f"http://127.0.0.1:{_closed_port()}/story")

    def test_only_http_schemes(self, local_fetcher: Fetcher) -> None:
        with pytest.raises(IngestError, match="only http and https"):
            local_fetcher.get("file:///etc/passwd")

    def test_invalid_config(self) -> None:
        with pytest.raises(ValueError):
            Fetcher(timeout_s=0)
        with pytest.raises(ValueError):
            Fetcher(max_redirects=-1)


class TestSsrfGuard:
    @pytest.mark.parametrize(
        "url",
        [
            "http://127.0.0.1/",
            "http://10.0.0.1/internal",
            "http://169.254.169.254/latest/meta-data/",
            "http://[::1]:8080/",
            "http://localhost/",
            "http://0.0.0.0/",
        ],
    )
    def test_private_targets_are_refused_without_connecting(self, url: str) -> None:
        with pytest.raises(IngestError, match="non-public address"):
            Fetcher(timeout_s=2).get(url)

    def test_local_server_refused_unless_allowed(self, h1_server: str) -> None:
        with pytest.raises(IngestError, match="refusing to fetch"):
            Fetcher().get(f"{h1_server}/h1_site/story-one.html")

    @pytest.mark.parametrize(
        ("address", "public"),
        [
            ("8.8.8.8", True),
            ("2001:4860:4860::8888", True),
            ("192.168.1.5", False),
            ("172.16.0.1", False),
            ("100.64.0.1", False),  # carrier-grade NAT
            ("224.0.0.1", False),
            ("240.0.0.1", False),
            ("fe80::1", False),
            ("fc00::1", False),
            ("::ffff:127.0.0.1", False),
        ],
    )
    def test_address_classification(self, address: str, public: bool) -> None:
        assert is_public_address(address) is public

    def test_every_redirect_hop_is_checked(self, h1_server: str, monkeypatch: pytest.MonkeyPatch) -> None:
        """The first hop (our loopback server, let through) is fetched; its redirect to 169.254.169.254 is not."""
        monkeypatch.setattr(fetch_module, "is_public_address", lambda address: str(address) == "127.0.0.1")
        resolver = RecordingResolver({})
        with pytest.raises(IngestError, match="169.254.169.254"):
            Fetcher(timeout_s=2, resolve=resolver).get(f"{h1_server}/h1_redirect_private")
        assert [host for host, _ in resolver.calls] == ["127.0.0.1", "169.254.169.254"]


class RecordingResolver:
    """Answers a host with its next answer (the last one repeats) and records every lookup.

    A host it has no answers for resolves as itself (an IP literal).
    """

    def __init__(self, answers: dict[str, list[list[str]]]) -> None:
        self.answers = answers
        self.calls: list[tuple[str, int]] = []

    def __call__(self, host: str, port: int) -> list[str]:
        self.calls.append((host, port))
        queue = self.answers.get(host)
        if queue is None:
            return [host]
        return queue.pop(0) if len(queue) > 1 else queue[0]


def _port(base_url: str) -> int:
    return int(base_url.rsplit(":", 1)[1])


class TestDnsRebinding:
    """A name that resolves to a public address for the check and to a private one afterwards.

    Our loopback server plays the public host: `is_public_address` is narrowed to 127.0.0.1, so
    127.0.0.2 (loopback too, where nothing listens) is the private address a rebinding answer gives.
    """

    @pytest.fixture(autouse=True)
    def loopback_is_public(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(fetch_module, "is_public_address", lambda address: str(address) == "127.0.0.1")

    def test_connects_to_the_checked_address_and_never_looks_up_again(self, h1_server: str) -> None:
        port = _port(h1_server)
        resolver = RecordingResolver({"rebind.example": [["127.0.0.1"], ["127.0.0.2"]]})
        page = Fetcher(timeout_s=5, resolve=resolver).get(f"http://rebind.example:{port}/h1_echo_host")
        assert resolver.calls == [("rebind.example", port)]
        assert page.text == f"rebind.example:{port}"  # the Host header kept the name
        assert page.url == f"http://rebind.example:{port}/h1_echo_host"

    def test_checked_addresses_are_tried_in_order(
        self, h1_server: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """As a connect by name would: nothing listens on 127.0.0.2, so the second checked address serves."""
        monkeypatch.setattr(
            fetch_module, "is_public_address", lambda address: str(address).startswith("127.0.0.")
        )
        port = _port(h1_server)
        resolver = RecordingResolver({"two.example": [["127.0.0.2", "127.0.0.1"], ["10.0.0.1"]]})
        page = Fetcher(timeout_s=5, resolve=resolver).get(f"http://two.example:{port}/h1_echo_host")
        assert page.text == f"two.example:{port}"
        assert resolver.calls == [("two.example", port)]

    def test_a_private_answer_at_the_check_is_refused(self, h1_server: str) -> None:
        port = _port(h1_server)
        resolver = RecordingResolver({"rebind.example": [["127.0.0.2"], ["127.0.0.1"]]})
        with pytest.raises(IngestError, match="non-public address 127.0.0.2"):
            Fetcher(timeout_s=5, resolve=resolver).get(f"http://rebind.example:{port}/h1_echo_host")
        assert len(resolver.calls) == 1

    def test_every_redirect_hop_is_pinned(self, h1_server: str) -> None:
        port = _port(h1_server)
        second = f"http://second.example:{port}/h1_echo_host"
        rebinding = {name: [["127.0.0.1"], ["127.0.0.2"]] for name in ("first.example", "second.example")}
        resolver = RecordingResolver(rebinding)
        page = Fetcher(timeout_s=5, resolve=resolver).get(
            f"http://first.example:{port}/h1_redirect_to?{second}"
        )
        assert resolver.calls == [("first.example", port), ("second.example", port)]
        assert page.text == f"second.example:{port}"
        assert page.url == second

    def test_a_redirect_hop_resolving_to_a_private_address_is_refused(self, h1_server: str) -> None:
        port = _port(h1_server)
        inside = f"http://inside.example:{port}/h1_echo_host"
        resolver = RecordingResolver({"first.example": [["127.0.0.1"]], "inside.example": [["127.0.0.2"]]})
        with pytest.raises(IngestError, match="'inside.example' resolves to non-public address 127.0.0.2"):
            Fetcher(timeout_s=5, resolve=resolver).get(f"http://first.example:{port}/h1_redirect_to?{inside}")

    def test_any_private_address_among_the_answers_is_refused(self) -> None:
        resolver = RecordingResolver({"mixed.example": [["127.0.0.1", "10.1.2.3"]]})
        with pytest.raises(IngestError, match="non-public address 10.1.2.3"):
            check_url_target("https://mixed.example/story", resolve=resolver)


class TestPinnedRequest:
    def test_https_keeps_the_name_for_host_header_and_tls(self) -> None:
        target, headers, extensions = pinned_request("https://news.example/story?id=3", "203.0.113.7")
        assert str(target) == "https://203.0.113.7/story?id=3"
        assert headers == {"Host": "news.example"}
        assert extensions == {"sni_hostname": "news.example"}

    def test_ipv6_address_and_explicit_port(self) -> None:
        target, headers, extensions = pinned_request("http://news.example:8080/a", "2001:db8::7")
        assert str(target) == "http://[2001:db8::7]:8080/a"
        assert headers == {"Host": "news.example:8080"}
        assert extensions == {}

    def test_international_name_goes_out_as_punycode(self) -> None:
        _, headers, extensions = pinned_request("https://bücher.example/", "203.0.113.7")
        assert headers == {"Host": "xn--bcher-kva.example"}
        assert extensions == {"sni_hostname": "xn--bcher-kva.example"}


@pytest.fixture
def tls_server_names(tmp_path: Path) -> Iterator[tuple[int, list[str]]]:
    """(port, names): a loopback TLS server with a self-signed certificate that records the server
    name (SNI) of each handshake; clients refuse its certificate, which ends each connection."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=tls.example"]
        + ["-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    names: list[str] = []
    context.sni_callback = lambda _sock, name, _ctx: names.append(name)
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(10)

    def serve_one() -> None:
        with contextlib.suppress(OSError), listener.accept()[0] as conn:
            conn.settimeout(10)
            with contextlib.suppress(OSError), context.wrap_socket(conn, server_side=True):
                pass

    thread = threading.Thread(target=serve_one, daemon=True)
    thread.start()
    yield listener.getsockname()[1], names
    thread.join(timeout=10)
    listener.close()


def test_tls_server_name_is_the_host_name_not_the_pinned_address(
    tls_server_names: tuple[int, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The connection goes to 127.0.0.1, the handshake names tls.example, and the certificate is checked."""
    port, names = tls_server_names
    monkeypatch.setattr(fetch_module, "is_public_address", lambda address: str(address) == "127.0.0.1")
    resolver = RecordingResolver({"tls.example": [["127.0.0.1"], ["127.0.0.2"]]})
    with pytest.raises(IngestError, match="CERTIFICATE_VERIFY_FAILED"):
        Fetcher(timeout_s=5, resolve=resolver).get(f"https://tls.example:{port}/story")
    assert names == ["tls.example"]
    assert resolver.calls == [("tls.example", port)]
