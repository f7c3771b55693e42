"""Refuse private, loopback and link-local addresses for URLs a stranger gives us (``rsiwatch submit``).

A submitted URL must not make rsiwatch read the operator's router, a cloud metadata service or a local
admin page.  The host name is resolved and *every* address checked; the connection then goes to an
address that was checked (no second lookup a rebinding DNS server could answer differently), and the
same check runs for each redirect hop, because it runs where the client connects.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from crawler.errors import FetchError

Resolver = Callable[[str, int], list[str]]


class AddressRefused(FetchError):
    """The URL's host is (or resolves to) an address we do not fetch from."""


def forbidden_reason(address: str) -> str | None:
    """Why an IP address is off limits (``"loopback"``, ``"private"``...), None when it is public."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    for name, flag in (
        ("loopback", ip.is_loopback), ("link-local", ip.is_link_local), ("private", ip.is_private),
        ("multicast", ip.is_multicast), ("reserved", ip.is_reserved), ("unspecified", ip.is_unspecified),
    ):
        if flag:
            return name
    return None


def is_private_host(host: str) -> bool:
    """Whether a URL's host, as written, names a private address (the rule above) or localhost; a name
    is not resolved here (the ``AddressGuard`` does that where it connects)."""
    host = host.lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return forbidden_reason(host.strip("[]")) is not None
    except ValueError:
        return False


def system_resolver(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchError(f"{host}: cannot resolve the host name: {exc}") from None
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


@dataclass
class AddressGuard:
    """``check(host, port)`` -> the addresses that may be connected to; raises ``AddressRefused``."""

    allow_private: bool = False
    resolver: Resolver = system_resolver
    allowed: frozenset[str] = field(default_factory=frozenset)  # exact addresses let through (tests)

    def check(self, host: str, port: int) -> list[str]:
        host = host.strip("[]").rstrip(".")
        try:
            addresses = [str(ipaddress.ip_address(host.split("%", 1)[0]))]
        except ValueError:
            addresses = self.resolver(host, port)
        if not addresses:
            raise FetchError(f"{host}: the host name has no address")
        if self.allow_private:
            return addresses
        for address in addresses:
            reason = forbidden_reason(address)
            if reason and address not in self.allowed:
                shown = host if host == address else f"{host} ({address})"
                raise AddressRefused(
                    f"{shown}: refused, a {reason} address (set http.allow_private_addresses: true to allow it)"
                )
        return addresses

    def check_url(self, url: str) -> list[str]:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise FetchError(f"{url}: not an http(s) URL")
        return self.check(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))
