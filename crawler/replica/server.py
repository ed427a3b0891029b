"""The replica's HTTP side: one port, every outlet under its domain as the first path segment.

Routing and page content live in the site modules; this module adds what any real web server does on top:
``/robots.txt`` for all outlets, HEAD, gzip on request, conditional GET by ETag, keep-alive, and silence
(no per-request log on stderr unless ``NEWSARCHIVE_REPLICA_LOG=1``, so test and demo output stays readable).
Every request is remembered in ``ReplicaState`` (``ReplicaServer.requests()``), so a test can prove what a
crawler asked for and when. Streamed replies (``Reply.stream``) carry the hostile site's misbehaviour:
bodies generated while sent, stalls, connections cut mid-body. That site (``sites/hostile.py``) is only
served in hostile mode (``ReplicaServer(hostile=True)``, ``python -m crawler.replica --hostile``), so the
demo and the outlet tests never meet it.
"""

from __future__ import annotations

import contextlib
import gzip
import os
import select
import socket
import sys
import threading
import time
import traceback
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from crawler.replica.model import LoggedRequest, ReplicaState, Reply, Request, Site
from crawler.replica.render import attr, plain_reply, text
from crawler.replica.shared import SharedPages, default_shared_data
from crawler.replica.sites import SITES
from crawler.replica.sites import hostile as hostile_site
from crawler.replica.sites.turkish_wires import discovery_reply

LOG_ENV = "NEWSARCHIVE_REPLICA_LOG"


def _logging_enabled() -> bool:
    return os.environ.get(LOG_ENV) == "1"


class Replica:
    """Everything one server instance answers, independent of the socket plumbing (easy to reason about)."""

    def __init__(self, shared_data: Path | None = None, sites: tuple[Site, ...] = SITES) -> None:
        self.sites = {site.domain: site for site in sites}
        self.shared = SharedPages(shared_data)
        self.state = ReplicaState()

    def dispatch(self, method: str, target: str, headers: Message, fallback_host: str) -> Reply:
        """Answer a request target (origin-form or absolute-form) the way the imitated outlet would."""
        parts = urlsplit(target)
        base_url = f"http://{headers.get('Host') or fallback_host}"
        path = parts.path or "/"
        if path == "/robots.txt":
            return self._robots(base_url)
        if path == "/":
            return self._index()
        domain, _, rest = path[1:].partition("/")
        domain = unquote(domain).lower()
        rest = unquote("/" + rest)
        site = self.sites.get(domain)
        if site is not None:
            request = Request(method, rest, parts.query, base_url, self.state)
            return site.handler_for(rest, parts.query)(request)
        shared = self.shared.reply(domain, rest)
        if shared is not None:
            return shared
        # Home, sections, feeds and sitemaps of the outlets whose articles are saved pages.
        discovery = discovery_reply(domain, rest, base_url, self.shared)
        if discovery is not None:
            return discovery
        return plain_reply(404, "404 Not Found")

    def robots_txt(self, base_url: str) -> str:
        """All outlets' rules in one ``User-agent: *`` group, each path prefixed with its outlet's domain."""
        lines = [
            "# newsarchive replica: the robots rules of every outlet, prefixed with its domain",
            "",
            "User-agent: *",
        ]
        sitemaps = []
        for site in self.sites.values():
            lines.append(f"# {site.domain}")
            for rule in site.robots:
                field, _, value = rule.partition(":")
                lines.append(f"{field}: /{site.domain}{value.strip()}")
            sitemaps += [f"Sitemap: {base_url}/{site.domain}{path}" for path in site.sitemaps]
        return "\n".join([*lines, "", *sitemaps, ""])

    def _robots(self, base_url: str) -> Reply:
        return Reply(200, self.robots_txt(base_url).encode("utf-8"), "text/plain; charset=utf-8")

    def _index(self) -> Reply:
        """A plain index of the outlets, for people opening the replica in a browser during ``make demo``."""
        outlets = sorted(self.sites) + sorted(self.shared.domains)
        items = "".join(f'<li><a href="/{attr(d)}/">{text(d)}</a></li>' for d in outlets)
        body = (
            '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>newsarchive replica</title></head>'
            f"<body><h1>newsarchive replica</h1><ul>{items}</ul></body></html>\n"
        )
        return Reply(200, body.encode("utf-8"), "text/html; charset=utf-8")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like the servers being imitated
    server_version = "newsarchive-replica"
    sys_version = ""
    server: _HTTPServer

    def do_GET(self) -> None:
        self._answer(head=False)

    def do_HEAD(self) -> None:
        self._answer(head=True)

    def log_message(self, format: str, *args: Any) -> None:
        if _logging_enabled():
            super().log_message(format, *args)

    def _answer(self, *, head: bool) -> None:
        host, port = self.server.server_address[:2]
        self.server.replica.state.log_request(self.command, self.path)
        try:
            reply = self.server.replica.dispatch(self.command, self.path, self.headers, f"{host}:{port}")
        except Exception:
            # A bug in a page builder: say so loudly once rather than hang the client.
            traceback.print_exc(file=sys.stderr)
            reply = plain_reply(500, "replica internal error")
        if reply.stream is not None:
            self._stream(reply, head=head)
            return
        headers = list(reply.headers)
        body = reply.body
        if reply.gzip_if_accepted:
            headers.append(("Vary", "Accept-Encoding"))
            if _accepts_gzip(self.headers.get("Accept-Encoding", "")):
                # Deterministic bytes (mtime=0) and a distinct validator for the distinct representation.
                body = gzip.compress(body, mtime=0)
                headers.append(("Content-Encoding", "gzip"))
                headers = [(n, v[:-1] + '-gzip"' if n == "ETag" else v) for n, v in headers]
        etag = next((v for n, v in headers if n == "ETag"), None)
        status = reply.status
        if status == 200 and etag and _matches(self.headers.get("If-None-Match", ""), etag):
            status, body = 304, b""
        self.send_response_only(status)
        names = {name.lower() for name, _ in headers}
        if "server" not in names:
            self.send_header("Server", self.version_string())
        self.send_header("Date", self.date_time_string())
        if reply.content_type and status != 304:
            self.send_header("Content-Type", reply.content_type)
        for name, value in headers:
            self.send_header(name, value)
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head and status != 304:
            self.wfile.write(body)
        self.log_request(status, len(body))

    def _stream(self, reply: Reply, *, head: bool) -> None:
        """Send a streamed reply: headers, then whatever ``reply.stream`` writes, stalls or cuts.

        Without a declared length the body is chunked and ends properly when the stream returns; a stream
        that aborts, or a client that hangs up, ends the connection instead (never an exception: hanging up
        on a 200 MB page is exactly what a crawler with a size cap should do).
        """
        chunked = reply.length is None
        self.send_response_only(reply.status)
        if "server" not in {name.lower() for name, _ in reply.headers}:
            self.send_header("Server", self.version_string())
        self.send_header("Date", self.date_time_string())
        if reply.content_type:
            self.send_header("Content-Type", reply.content_type)
        for name, value in reply.headers:
            self.send_header(name, value)
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(reply.length))
        self.end_headers()
        if head:
            return
        stream = _SocketStream(self, chunked=chunked)
        assert reply.stream is not None
        try:
            reply.stream(stream)
            if chunked:
                self.wfile.write(b"0\r\n\r\n")
        except (_StreamAborted, OSError):
            self.close_connection = True
        self.log_request(reply.status, stream.sent)


class _StreamAborted(Exception):
    """Raised by :meth:`_SocketStream.abort` to unwind the page's stream function."""


class _SocketStream:
    """:class:`crawler.replica.model.Stream` over one connection of the handler."""

    def __init__(self, handler: _Handler, *, chunked: bool) -> None:
        self.handler = handler
        self.chunked = chunked
        self.sent = 0

    def write(self, data: bytes) -> None:
        if not data:
            return
        frame = b"%x\r\n%s\r\n" % (len(data), data) if self.chunked else data
        self.handler.wfile.write(frame)
        self.sent += len(data)

    def stall(self, seconds: float) -> None:
        """Wait in short slices, so a stalled page never outlives its client or the server."""
        connection = self.handler.connection
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0 and not self.handler.server.stopping.is_set():
            readable, _, _ = select.select([connection], [], [], min(left, 0.2))
            if readable:
                # The client either hung up (EOF) or sent something while we owe it a body: done either way.
                return

    def abort(self) -> None:
        self.handler.close_connection = True
        with contextlib.suppress(OSError):
            self.handler.connection.shutdown(socket.SHUT_RDWR)
        raise _StreamAborted


def _accepts_gzip(accept_encoding: str) -> bool:
    for item in accept_encoding.split(","):
        coding, _, params = item.strip().partition(";")
        if coding.strip().lower() in ("gzip", "x-gzip", "*"):
            return params.replace(" ", "") not in ("q=0", "q=0.0", "q=0.00", "q=0.000")
    return False


def _matches(if_none_match: str, etag: str) -> bool:
    tags = [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]
    return "*" in tags or etag.removeprefix("W/") in tags


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, address: tuple[str, int], replica: Replica) -> None:
        self.replica = replica
        #: Set when the server stops: stalled pages give up at once instead of holding their threads.
        self.stopping = threading.Event()
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that hang up mid-response (crawlers cancelling, tests closing) are normal, not news.
        if _logging_enabled():
            super().handle_error(request, client_address)


def make_server(host: str, port: int, shared_data: Path | None, *, hostile: bool = False) -> _HTTPServer:
    """Bind (port 0 picks a free port) without serving yet; ``hostile`` adds the hostile site."""
    sites = (*SITES, hostile_site.SITE) if hostile else SITES
    return _HTTPServer((host, port), Replica(shared_data, sites))


def _base_url(server: _HTTPServer) -> str:
    host, port = server.server_address[:2]
    return f"http://{host}:{port}"


class ReplicaServer:
    """The replica in a background thread, for tests and for the demo driver.

    ``shared_data`` defaults to ``<repo>/../shared/data`` when that folder exists. ``hostile`` also serves
    the hostile site (crawler/replica/sites/hostile.py: stalls, bombs, traps) for the robustness tests.
    """

    def __init__(
        self, host: str = "127.0.0.1", port: int = 0, *, shared_data: Path | None = None, hostile: bool = False
    ) -> None:
        self.host = host
        self.port = port
        self.hostile = hostile
        self.shared_data = shared_data if shared_data is not None else default_shared_data()
        self.base_url = ""
        self._server: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> str:
        """Bind and serve in a daemon thread; return the base URL ("http://127.0.0.1:PORT")."""
        if self._server is None:
            self._server = make_server(self.host, self.port, self.shared_data, hostile=self.hostile)
            self.base_url = _base_url(self._server)
            self._thread = threading.Thread(
                target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, name="replica", daemon=True
            )
            self._thread.start()
        return self.base_url

    def requests(self) -> list[LoggedRequest]:
        """Every request this server received so far, in arrival order (empty before start)."""
        return self._server.replica.state.requests() if self._server is not None else []

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> ReplicaServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def serve(host: str, port: int, shared_data: Path | None = None, *, hostile: bool = False) -> None:
    """Serve in the foreground until interrupted (``newsarchive replica --port``)."""
    server = make_server(host, port, shared_data if shared_data is not None else default_shared_data(), hostile=hostile)
    print(f"replica serving on {_base_url(server)}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
