"""A real HTTP server on 127.0.0.1 for the URL tests: article pages, PDFs and every way a fetch can fail."""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import ClassVar

from support import free_port

BODY = (
    "Councillors have approved a 350 million pound expansion of Aberdeen South Harbour, ending a planning "
    "dispute that began in early 2022. The decision was taken by nine votes to four on Tuesday evening."
)
MORE = (
    "The harbour board said the project would create around 600 construction jobs and a further 150 permanent "
    "posts once the new quay opens. Opponents argued that dredging would damage a protected sandbank."
)


def page(headline: str = "Harbour expansion approved", extra: str = MORE) -> bytes:
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>{headline} | Harbour Herald</title>
<meta property="og:site_name" content="Harbour Herald">
<meta property="article:published_time" content="2024-03-05T14:05:00Z">
</head><body>
<nav><a href="/">Home</a> <a href="/news">News</a> <a href="/sport">Sport</a></nav>
<main><article><h1>{headline}</h1><p class="byline">By Alan Reid</p>
<p>{BODY}</p><p>{extra}</p></article>
<aside class="related"><h2>Most read</h2><ul><li><a href="/x">Storm warning issued</a></li></ul></aside></main>
<footer>&copy; 2024 Harbour Herald. All rights reserved.</footer></body></html>""".encode()


class Handler(http.server.BaseHTTPRequestHandler):
    """Routes for every case; ``pages`` may be changed by a test (a page that is updated)."""

    pages: ClassVar[dict[str, tuple[str, bytes]]] = {}
    redirect_to: ClassVar[str] = "/article.html"  # where /elsewhere points (a test sets another server's URL)
    hits: ClassVar[list[tuple[str, str]]] = []  # (address served on, path) of every request

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass

    def _send(self, status: int, ctype: str, body: bytes, length: int | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        self.end_headers()
        self.wfile.write(body)

    def _slow_headers(self) -> None:
        """The status line and headers a byte every 0.1 s: about 10 s before the body could start."""
        head = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nX-Padding: " + b"x" * 60 + b"\r\n\r\n"
        for byte in head:
            try:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
            except OSError:
                return  # the client gave up, as it should
            time.sleep(0.1)
        self.wfile.write(page())

    def do_GET(self) -> None:
        path = self.path
        self.hits.append((str(self.server.server_address[0]), path))
        if path in self.pages:
            ctype, body = self.pages[path]
            self._send(200, ctype, body)
        elif path == "/missing":
            self._send(404, "text/html", b"<html><body>Not here</body></html>")
        elif path == "/broken":
            self._send(500, "text/html", b"<html><body>Oops</body></html>")
        elif path == "/slow":
            time.sleep(3)
            self._send(200, "text/html", page())
        elif path == "/slow-headers":
            self.close_connection = True
            self._slow_headers()
        elif path == "/elsewhere":
            self.send_response(302)
            self.send_header("Location", self.redirect_to)
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif path == "/image.png":
            self._send(200, "image/png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)
        elif path == "/huge":  # declares more than the cap
            self._send(200, "text/html", b"<html>", length=50_000_000)
        elif path == "/stream-huge":  # no length declared, then too much
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            for _ in range(300):
                self.wfile.write(b"<p>" + b"x" * 8192 + b"</p>")
        elif path == "/empty":
            self._send(200, "text/html", b"")
        elif path in ("/redirect", "/loop"):
            self.send_response(302)
            self.send_header("Location", "/article.html" if path == "/redirect" else "/loop")
            self.send_header("Content-Length", "0")
            self.end_headers()
        else:
            self._send(404, "text/plain", b"no route")


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client that hung up on /slow or /stream-huge, as intended


@contextmanager
def serve(pages: dict[str, tuple[str, bytes]] | None = None, host: str = "127.0.0.1") -> Iterator[str]:
    """Serve ``pages`` (path -> (content type, body); None: keep the current ones) and the fixed failure routes
    on ``host`` (any 127.0.0.x); yields the base URL."""
    if pages is not None:
        Handler.pages = dict(pages)
    httpd = Server((host, free_port()), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
