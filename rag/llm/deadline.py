"""A total time limit on a streamed answer (or any request read as a stream), whatever the server does meanwhile.

An HTTP client's timeout restarts with every byte: a server that accepts the
connection and sends keep-alives (or SSE comments) but no token would hold a
request forever, and retries multiply the limit. Here the stream is read in a
helper thread and the caller waits on a queue against one deadline that
covers connecting, retries, the first token and every token after it.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator
from typing import TypeVar

from rag.errors import BackendError

_END = object()
T = TypeVar("T")


def within(stream: Iterator[T], seconds: float, expired: Callable[[], BackendError]) -> Iterator[T]:
    """Yield ``stream``'s items until it ends or ``seconds`` pass; then raise ``expired()``.

    Exceptions raised by ``stream`` reach the caller unchanged. On expiry the
    helper thread is abandoned (it is a daemon, and its connection is closed
    when ``stream`` is closed or garbage-collected).
    """
    items: queue.Queue[object] = queue.Queue()
    stop = threading.Event()

    def pump() -> None:
        try:
            for item in stream:
                if stop.is_set():
                    break
                items.put(item)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
            items.put(exc)
        finally:
            items.put(_END)

    threading.Thread(target=pump, name="llm-stream", daemon=True).start()
    deadline = time.monotonic() + seconds
    try:
        while True:
            try:
                item = items.get(timeout=max(deadline - time.monotonic(), 0))
            except queue.Empty:
                raise expired() from None
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            yield item  # type: ignore[misc]
    finally:
        stop.set()
