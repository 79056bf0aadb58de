"""Fetching an http(s) image for a client without reaching the server's own network (SSRF).

Only used when the operator allows http(s) images. The host name is resolved once and every
address it resolves to is checked: loopback, private, link-local, unspecified, multicast,
reserved and other non-global ranges, and this machine's own addresses, are refused (one
internal address is enough to refuse the name). The connection then goes to the checked
address itself, with the original Host header and TLS server name, so a name that resolves
differently a moment later (DNS rebinding) cannot swap in another address. Redirects are
refused rather than followed: each hop would need the same checks, and image URLs rarely
need them. Every failure — refused, unresolvable, closed, 404, too large, not an image
server at all — raises the same message, so the answer tells nothing about what listens where.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from functools import lru_cache
from urllib.parse import urlsplit

FETCH_REFUSED = ("image URL not usable: the server fetches images only from public http(s) "
                 "addresses that answer directly with the image")

Resolver = Callable[[str, int], list[str]]
"""Host name and port → the IP addresses to consider (tests inject their own)."""
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class FetchRefused(ValueError):
    """The URL was not fetched; the message is always :data:`FETCH_REFUSED`."""

    def __init__(self) -> None:
        super().__init__(FETCH_REFUSED)


def system_resolve(host: str, port: int) -> list[str]:
    """Every address the system resolver gives for ``host`` (numeric forms such as 127.1,
    0x7f000001 or 2130706433 included, the way the socket library would read them)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


@lru_cache(maxsize=1)
def own_addresses() -> frozenset[str]:
    """This machine's addresses as its host name resolves them (a public one included)."""
    try:
        return frozenset(system_resolve(socket.gethostname(), 0))
    except OSError:
        return frozenset()


def refused_address(ip: Address) -> bool:
    """Whether ``ip`` is one the server must not connect to for a client."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    # is_global is False for loopback, private, link-local, unspecified, shared (100.64/10)
    # and reserved ranges; multicast can be "global" yet is never an image server.
    return (not ip.is_global or ip.is_multicast or ip.is_reserved or ip.is_loopback
            or str(ip) in own_addresses())


def checked_address(url: str, resolve: Resolver = system_resolve,
                    refuse: Callable[[Address], bool] = refused_address) -> tuple[str, Address]:
    """The host of ``url`` and the one address to connect to, or :class:`FetchRefused`."""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError:
        raise FetchRefused() from None
    if parts.scheme.lower() not in ("http", "https") or not host or parts.username is not None:
        raise FetchRefused()
    port = port or (443 if parts.scheme.lower() == "https" else 80)
    try:
        found = [ipaddress.ip_address(a.split("%", 1)[0]) for a in resolve(host, port)]
    except (OSError, ValueError, UnicodeError):
        raise FetchRefused() from None
    if not found or any(refuse(ip) for ip in found):
        raise FetchRefused()
    return host, found[0]


def fetch(url: str, max_bytes: int, *, resolve: Resolver = system_resolve,
          refuse: Callable[[Address], bool] = refused_address, timeout: float = 10.0) -> bytes:
    """The body of ``url`` (at most ``max_bytes``), fetched from its checked address."""
    import httpx  # only needed when http images are allowed

    host, ip = checked_address(url, resolve, refuse)
    parts = urlsplit(url)
    literal = f"[{ip}]" if ip.version == 6 else str(ip)
    netloc = f"{literal}:{parts.port}" if parts.port else literal
    direct = parts._replace(netloc=netloc).geturl()
    host_header = parts.netloc.rsplit("@", 1)[-1]
    chunks, total = [], 0
    try:
        with httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False) as client, \
                client.stream("GET", direct, headers={"Host": host_header},
                              extensions={"sni_hostname": host}) as resp:
            if resp.status_code != 200:
                raise FetchRefused()  # redirects included: never followed
            for chunk in resp.iter_bytes():
                total += len(chunk)
                if total > max_bytes:
                    raise FetchRefused()
                chunks.append(chunk)
    except (httpx.HTTPError, OSError, ValueError):
        raise FetchRefused() from None
    return b"".join(chunks)
