"""The connections one fetch makes: a single deadline for all of it, and only to addresses that were checked.

httpx's timeouts apply to each socket operation, so a server that sends its
status line and headers a byte a second never trips them. Here every read,
write, connect and TLS handshake gets only the time left until the fetch's
deadline, whatever the stage. With an :class:`~rag.ingest.addresses.AddressPolicy`
each connection (redirects included: each hop opens one) resolves the name once,
checks every address, and connects to exactly those addresses.
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Iterable
from typing import Any

import certifi
import httpcore
import httpx

from rag.ingest.addresses import AddressPolicy


class _DeadlineStream(httpcore.NetworkStream):
    """A socket stream whose every operation ends by the fetch's deadline."""

    def __init__(self, inner: httpcore.NetworkStream, backend: DeadlineBackend) -> None:
        self._inner = inner
        self._backend = backend

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, self._backend.left(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, self._backend.left(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        left = self._backend.left(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._inner.start_tls(ssl_context, server_hostname, left), self._backend)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class DeadlineBackend(httpcore.SyncBackend):
    """Plain sockets, bounded by one deadline, connected only where ``policy`` allows (any address without one)."""

    def __init__(self, deadline: float, policy: AddressPolicy | None = None) -> None:
        self.deadline = deadline
        self.policy = policy

    def left(self, timeout: float | None, error: type[Exception]) -> float:
        """The time an operation may take: its own timeout, cut to what is left of the fetch's."""
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise error("the fetch's total time is up")
        return remaining if timeout is None else min(timeout, remaining)

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        addresses = [host] if self.policy is None else self._checked(host, port)
        failure: Exception | None = None
        for address in addresses:  # the checked addresses themselves: no second lookup to be answered otherwise
            try:
                stream = super().connect_tcp(
                    address, port, self.left(timeout, httpcore.ConnectTimeout), local_address, socket_options
                )
            except httpcore.ConnectError as exc:
                failure = exc
                continue
            return _DeadlineStream(stream, self)
        raise failure or httpcore.ConnectError(f"no address for {host}")

    def _checked(self, host: str, port: int) -> list[str]:
        assert self.policy is not None
        try:
            return self.policy.addresses(host, port)
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout(str(exc)) from None


class DeadlineTransport(httpx.HTTPTransport):
    """httpx's transport on :class:`DeadlineBackend`: proxies from the environment are not used (they would
    connect on the fetch's behalf, to addresses no policy checked)."""

    def __init__(self, backend: DeadlineBackend) -> None:
        super().__init__(trust_env=False, retries=0)
        context = ssl.create_default_context(cafile=certifi.where())
        self._pool = httpcore.ConnectionPool(ssl_context=context, network_backend=backend, retries=0)
