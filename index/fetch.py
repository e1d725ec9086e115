"""HTTP fetching for URL and feed ingestion, guarded against SSRF and oversized or slow pages.

Every hop of a redirect chain is checked: its host is resolved and refused when any address is
private, loopback, link-local, multicast or reserved (unless `allow_private`). The hop then connects
to a checked address (the first that accepts), not to the name: a second lookup could answer
differently (DNS rebinding), so there is none. The request keeps the name in its Host header and as the TLS server
name, so virtual hosts and certificate checks work as for a request by name. Bodies are streamed and
cut off past `max_bytes`; `timeout_s` bounds the whole fetch, redirects included.

Usage:
    fetcher = Fetcher(allow_private=False, timeout_s=15.0)
    page = fetcher.get("https://example.com/story")   # FetchedPage, or raises IngestError
    html = page.body; text = page.text
    Fetcher(resolve=lambda host, port: ["203.0.113.7"])   # a resolver of your own (tests)
"""

from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.message import Message
from urllib.parse import urljoin, urlsplit

import httpx

from newsqa.errors import IngestError

_USER_AGENT = "NewsQA/0.1 (+article ingestion)"
_ACCEPT = (
    "text/html,application/xhtml+xml,application/rss+xml,application/atom+xml,application/xml;q=0.9,*/*;q=0.5"
)
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# (host, port) -> the addresses the host resolves to.
Resolver = Callable[[str, int], list[str]]


@dataclass
class FetchedPage:
    """A fetched response: `url` is the final URL after redirects."""

    url: str
    status: int
    content_type: str
    body: bytes

    @property
    def media_type(self) -> str:
        return self.content_type.split(";")[0].strip().lower()

    @property
    def charset(self) -> str | None:
        msg = Message()
        msg["content-type"] = self.content_type or "application/octet-stream"
        return msg.get_param("charset")  # type: ignore[return-value]

    @property
    def text(self) -> str:
        """The body decoded by its declared charset, else UTF-8, else Windows-1252."""
        for encoding in (self.charset, "utf-8"):
            if encoding:
                try:
                    return self.body.decode(encoding)
                except (LookupError, UnicodeDecodeError):
                    continue
        return self.body.decode("cp1252", errors="replace")


def is_public_address(address: str | IPAddress) -> bool:
    """True for a globally routable unicast address; IPv4-mapped IPv6 is judged as its IPv4."""
    ip = ipaddress.ip_address(address) if isinstance(address, str) else address
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast and not ip.is_reserved


def resolve_host(host: str, port: int) -> list[str]:
    """The addresses `host` resolves to for a TCP connection (the system resolver), scope ids dropped."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]).split("%")[0] for info in infos]


def check_url_target(url: str, allow_private: bool = False, resolve: Resolver = resolve_host) -> list[str]:
    """The addresses to connect to for `url`, in the resolver's order: its host resolved once, every
    address checked.

    Raise IngestError unless `url` is http(s) and (unless `allow_private`) its host resolves only to
    public addresses.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise IngestError(f"refusing to fetch {url}: only http and https URLs are supported")
    host = parts.hostname
    if not host:
        raise IngestError(f"refusing to fetch {url}: no host in URL")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        addresses = resolve(host, port)
    except (OSError, UnicodeError, ValueError) as exc:
        raise IngestError(f"cannot fetch {url}: cannot resolve host {host!r} ({exc})") from exc
    if not addresses:
        raise IngestError(f"cannot fetch {url}: host {host!r} has no address")
    for address in addresses:
        if not allow_private and not is_public_address(address):
            raise IngestError(
                f"refusing to fetch {url}: host {host!r} resolves to non-public address {address} "
                "(private, loopback, link-local, multicast or reserved; allow private URLs to permit)"
            )
    return list(dict.fromkeys(addresses))


def pinned_request(url: str, address: str) -> tuple[httpx.URL, dict[str, str], dict[str, str]]:
    """`url` aimed at `address`: the URL to send, its headers and extensions.

    The Host header stays the URL's host (and port); for https the TLS server name, which the
    certificate is verified against, stays the host name too (httpcore's `sni_hostname` extension).
    """
    original = httpx.URL(url)
    headers = {"Host": original.netloc.decode("ascii")}
    extensions: dict[str, str] = {}
    host = original.raw_host.decode("ascii")
    if original.scheme == "https" and not _is_ip_literal(original.host):
        extensions["sni_hostname"] = host
    return original.copy_with(host=address), headers, extensions


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


class Fetcher:
    """GET with manual, bounded redirects; each hop passes `check_url_target` before it is requested."""

    def __init__(
        self,
        allow_private: bool = False,
        timeout_s: float = 15.0,
        max_bytes: int = 10_000_000,
        max_redirects: int = 5,
        resolve: Resolver = resolve_host,
    ) -> None:
        if timeout_s <= 0:
            raise ValueError("timeout_s must be positive")
        if max_bytes < 1:
            raise ValueError("max_bytes must be positive")
        if max_redirects < 0:
            raise ValueError("max_redirects must be >= 0")
        self.allow_private = allow_private
        self.timeout_s = timeout_s
        self.max_bytes = max_bytes
        self.max_redirects = max_redirects
        self.resolve = resolve

    def get(self, url: str) -> FetchedPage:
        deadline = time.monotonic() + self.timeout_s
        current = url
        for _ in range(self.max_redirects + 1):
            addresses = check_url_target(current, self.allow_private, self.resolve)
            page_or_next = self._request_any(current, addresses, deadline)
            if isinstance(page_or_next, FetchedPage):
                return page_or_next
            current = page_or_next
        raise IngestError(f"cannot fetch {url}: more than {self.max_redirects} redirects")

    def _request_any(self, url: str, addresses: list[str], deadline: float) -> FetchedPage | str:
        """`_request` from the first checked address that takes the connection, as a connect by name
        would try each address (an unreachable IPv6 address before a working IPv4 one)."""
        for address in addresses[:-1]:
            try:
                return self._request(url, address, deadline)
            except httpx.ConnectError:
                continue
        try:
            return self._request(url, addresses[-1], deadline)
        except httpx.ConnectError as exc:
            raise IngestError(f"cannot fetch {url}: {_reason(exc)}") from exc

    def _request(self, url: str, address: str, deadline: float) -> FetchedPage | str:
        """The page at `url`, fetched from `address`, or the next URL when the response is a redirect."""
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise IngestError(f"cannot fetch {url}: timed out after {self.timeout_s:g}s")
        target, headers, extensions = pinned_request(url, address)
        # One client per hop: a pooled connection made for one host name must not serve another on the
        # same address. trust_env=False: an environment proxy would make the address check meaningless.
        client = httpx.Client(follow_redirects=False, trust_env=False, headers={"User-Agent": _USER_AGENT})
        try:
            with (
                client,
                client.stream(
                    "GET",
                    target,
                    headers={"Accept": _ACCEPT, **headers},
                    extensions=extensions,
                    timeout=remaining,
                ) as resp,
            ):
                if resp.is_redirect and "location" in resp.headers:
                    return urljoin(url, resp.headers["location"])
                if not 200 <= resp.status_code < 300:
                    raise IngestError(f"cannot fetch {url}: HTTP {resp.status_code}")
                declared = resp.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > self.max_bytes:
                    raise IngestError(f"cannot fetch {url}: too large ({declared} bytes > {self.max_bytes})")
                body = bytearray()
                for chunk in resp.iter_bytes():
                    body += chunk
                    if len(body) > self.max_bytes:
                        raise IngestError(f"cannot fetch {url}: too large (over {self.max_bytes} bytes)")
                    if time.monotonic() > deadline:
                        raise IngestError(f"cannot fetch {url}: timed out after {self.timeout_s:g}s")
                return FetchedPage(url, resp.status_code, resp.headers.get("content-type", ""), bytes(body))
        except httpx.TimeoutException as exc:
            raise IngestError(f"cannot fetch {url}: timed out after {self.timeout_s:g}s") from exc
        except httpx.ConnectError:
            raise  # the caller tries the next address
        except httpx.HTTPError as exc:
            raise IngestError(f"cannot fetch {url}: {_reason(exc)}") from exc


def _reason(exc: Exception) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
