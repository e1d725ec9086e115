from __future__ import annotations

import socket

import pytest

import index.fetch as fetch_module
from index.fetch import FetchedPage, Fetcher, check_url_target, is_public_address
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
        """The first hop (our loopback server) is let through; its redirect to 169.254.169.254 is not."""
        checked: list[str] = []

        def first_hop_allowed(url: str, allow_private: bool = False) -> None:
            checked.append(url)
            check_url_target(url, allow_private=url.startswith(h1_server) or allow_private)

        monkeypatch.setattr(fetch_module, "check_url_target", first_hop_allowed)
        with pytest.raises(IngestError, match="169.254.169.254"):
            Fetcher(timeout_s=2).get(f"{h1_server}/h1_redirect_private")
        assert checked == [f"{h1_server}/h1_redirect_private", "http://169.254.169.254/latest/meta-data/"]
