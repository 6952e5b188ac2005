"""Which network addresses a fetch may reach: everything for the command line, public ones for a page served to others.

A page served beyond loopback fetches links for whoever can reach it, so a link
must not reach inside the server's own network: not by naming a private
address, not through a redirect, not by a name that resolves to a public
address when checked and a private one when connected to (DNS rebinding).
:class:`AddressPolicy` resolves a name once; the connection
(:mod:`rag.ingest.transport`) is made to the very addresses it checked.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from rag.errors import InputError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]

LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})


class AddressRefused(InputError):
    """A connection the policy does not allow (the message names the host, not the URL)."""


def is_loopback(host: str) -> bool:
    """Whether a host name or address to serve on is this machine only."""
    h = host.strip().strip("[]").lower()
    if h in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(h).is_loopback
    except ValueError:
        return False


def is_public(ip: IPAddress) -> bool:
    """Globally routable (``ipaddress`` ``is_global``: not private, loopback, link-local, 100.64/10, 198.18/15 …)."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    return ip.is_global and not ip.is_multicast


def system_resolver(timeout: float) -> Resolver:
    """The system's resolver, bounded in time (``getaddrinfo`` itself has no timeout)."""

    def resolve(host: str, port: int) -> list[str]:
        found: list[str] = []
        failure: list[BaseException] = []

        def work() -> None:
            try:
                infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
                found.extend(dict.fromkeys(str(info[4][0]) for info in infos))
            except (OSError, UnicodeError) as exc:
                failure.append(exc)

        worker = threading.Thread(target=work, name="rag-resolve", daemon=True)
        worker.start()
        worker.join(timeout)
        if worker.is_alive():
            raise TimeoutError(f"resolving {host} took longer than {timeout:g} s")
        if failure or not found:
            raise InputError(f"cannot resolve {host}")
        return found

    return resolve


@dataclass
class AddressPolicy:
    """Resolve a name once and say which of its addresses may be connected to.

    ``resolve`` and ``allowed`` are injectable: tests mark a loopback address as
    "public" to run real servers on 127.0.0.x.
    """

    resolve: Resolver = field(default_factory=lambda: system_resolver(10.0))
    allowed: Callable[[IPAddress], bool] = is_public

    def addresses(self, host: str, port: int) -> list[str]:
        """The addresses to connect to for ``host``; an :class:`InputError` if any of them is not allowed."""
        name = host.strip("[]")
        try:
            found = [str(ipaddress.ip_address(name))]
        except ValueError:
            found = self.resolve(name, port)
        for text in found:
            ip = ipaddress.ip_address(text.split("%", 1)[0])  # an IPv6 scope id ("fe80::1%eth0") is not part of it
            if not self.allowed(ip):
                where = name if name == text else f"{name} ({text})"
                raise AddressRefused(
                    f"{where} is a local address, not a public one; this page fetches public addresses only"
                )
        return found


def check_public(url: str, policy: AddressPolicy | None = None) -> None:
    """Refuse a URL whose host is not public (a quick check before work; the connection checks again)."""
    parts = urlsplit(url.strip())
    if not parts.hostname:
        raise InputError(f"{url}: not an http(s) address")
    port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
    try:
        (policy or AddressPolicy()).addresses(parts.hostname, port)
    except InputError as exc:
        raise InputError(f"{url}: {exc}") from None
    except TimeoutError as exc:
        raise InputError(f"{url}: {exc}") from None
