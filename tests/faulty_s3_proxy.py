"""A real HTTP proxy on 127.0.0.1 in front of the moto S3 server that answers some requests with a 503
``ServiceUnavailable`` before they reach it: S3 with injected faults, deterministic.

The first attempt of every ``every``-th distinct request (method, path and query) fails; the retry of it goes
through. Clients must turn botocore's own retries off (``config_kwargs.retries.max_attempts=0``) so that the
recovery under test is ours.
"""

from __future__ import annotations

import http.client
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

_UNAVAILABLE = (
    b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>ServiceUnavailable</Code>'
    b"<Message>injected fault</Message></Error>"
)


class _Faults:
    def __init__(self, every: int) -> None:
        self.every = every
        self.seen: set[str] = set()
        self.failed = 0
        self.lock = threading.Lock()

    def should_fail(self, request: str) -> bool:
        with self.lock:
            if request in self.seen:
                return False
            self.seen.add(request)
            if len(self.seen) % self.every:
                return False
            self.failed += 1
            return True


@contextmanager
def faulty_s3_proxy(target: str, every: int = 3) -> Iterator[tuple[str, _Faults]]:
    """Serve a proxy to the S3 endpoint ``target``; yields its URL and the fault record (``failed`` counts)."""
    upstream = urlsplit(target)
    faults = _Faults(every)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def _forward(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            if faults.should_fail(f"{self.command} {self.path}"):
                self.close_connection = True  # a fresh connection per request: no stale keep-alive races
                self.send_response(503)
                self.send_header("Connection", "close")
                self.send_header("Content-Type", "application/xml")
                self.send_header("Content-Length", str(len(_UNAVAILABLE)))
                self.end_headers()
                self.wfile.write(_UNAVAILABLE)
                return
            connection = http.client.HTTPConnection(upstream.hostname or "127.0.0.1", upstream.port, timeout=60)
            try:
                headers = {name: value for name, value in self.headers.items() if name.lower() != "connection"}
                connection.request(self.command, self.path, body=body, headers=headers)
                response = connection.getresponse()
                payload = response.read()
                self.close_connection = True
                self.send_response(response.status)
                self.send_header("Connection", "close")
                skipped = {"transfer-encoding", "connection"}
                if self.command != "HEAD":
                    skipped.add("content-length")
                for name, value in response.getheaders():
                    if name.lower() not in skipped:
                        self.send_header(name, value)
                if self.command != "HEAD":
                    self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(payload)
            finally:
                connection.close()

        do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _forward  # noqa: N815

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", faults
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
