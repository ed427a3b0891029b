"""Types shared by the replica's catalogue, its site descriptions and its HTTP server.

They live apart from ``catalogue.py`` so that the site modules can build ``ReplicaPage`` objects without
importing the catalogue that imports them (no import cycle). ``catalogue.py`` re-exports ``ReplicaPage``,
which is where the rest of the project should import it from.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import parse_qsl, unquote

PAGE_KINDS = frozenset({"article", "listing", "soft404", "error", "blocked", "redirect", "feed", "sitemap"})
VERDICTS = frozenset({"article", "listing", "soft404", "error", "blocked"})
# The project's rule (crawler/verdicts.py): a hard 404/410 says "the thing is not there", the same finding as
# a soft 404, so such pages are catalogued as kind "error" (what they are) with this expected verdict.
GONE_VERDICT = "soft404"


@dataclass(frozen=True)
class ReplicaPage:
    """One URL of the replica and what newsarchive is expected to make of it.

    This is the truth the tests and benchmarks compare against, so it describes the page as its outlet
    intends it (clean paragraphs once, authors without "By", the date with the offset the site means), not
    as it is served (junk blocks, duplicated bodies, wrong charset labels).
    """

    outlet: str
    path: str
    kind: str
    expected_verdict: str | None
    status: int
    title: str = ""
    paragraphs: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()
    published: str | None = None
    section: str | None = None
    language: str | None = None
    served_charset_label: str | None = None
    body_encoding: str = "utf-8"
    listed: bool = True
    notes: str = ""
    #: Text the outlet's CMS garbled before writing the page, as (codec it was written in, codec it was read
    #: back with): ("utf-8", "windows-1252") shows "Türkiye" as "TÃ¼rkiye". The fields above keep the true
    #: text, which is what newsarchive must recover; :meth:`as_served` gives what the page shows.
    text_mojibake: tuple[str, str] | None = None

    def __post_init__(self) -> None:
        # A typo in a kind or verdict would silently make a page drop out of every test that filters on it.
        if self.kind not in PAGE_KINDS:
            raise ValueError(f"unknown kind {self.kind!r} for {self.outlet}{self.path}")
        if self.expected_verdict is not None and self.expected_verdict not in VERDICTS:
            raise ValueError(f"unknown verdict {self.expected_verdict!r} for {self.outlet}{self.path}")
        if not self.path.startswith("/"):
            raise ValueError(f"path must start with '/': {self.path!r}")

    @property
    def replica_path(self) -> str:
        """The path on the replica: the outlet's domain as first segment, then the real path."""
        return f"/{self.outlet}{self.path}"

    @property
    def real_url(self) -> str:
        """The URL this page imitates on the live web."""
        return f"https://{self.outlet}{self.path}"

    def as_served(self, value: str) -> str:
        """A piece of this page's true text (title, paragraph, author) as the served page shows it."""
        if self.text_mojibake is None:
            return value
        written, read = self.text_mojibake
        return mojibake(value, written, read)


def mojibake(value: str, written: str, read: str) -> str:
    """``value`` stored as ``written`` bytes and read back as the single-byte code page ``read``.

    A byte ``read`` leaves undefined becomes the code point of the same number, as browsers and sloppy
    decoders do (windows-1252 0x9D gives U+009D): that is how "”" turns into "â€\\x9d" on real pages.
    """
    out = []
    for byte in value.encode(written):
        try:
            out.append(bytes((byte,)).decode(read))
        except UnicodeDecodeError:
            out.append(chr(byte))
    return "".join(out)


class Stream(Protocol):
    """The socket side of a streamed reply, as the server hands it to :attr:`Reply.stream`.

    Hostile pages (crawler/replica/sites/hostile.py) need what a fixed body cannot express: bytes produced
    while they are sent (a 200 MB page never held in memory), a body that stops arriving, a connection cut
    before the declared length.
    """

    def write(self, data: bytes) -> None:
        """Send body bytes (one chunk when the reply is chunked); raises OSError once the client is gone."""

    def stall(self, seconds: float) -> None:
        """Send nothing for up to ``seconds``; returns early when the client hangs up or the server stops."""

    def abort(self) -> None:
        """Close the connection now, mid-body: the client sees the body end early. Does not return."""


@dataclass(frozen=True)
class Reply:
    """What a route answers, before the server applies transfer details (gzip, HEAD, 304)."""

    status: int
    body: bytes = b""
    content_type: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    gzip_if_accepted: bool = False
    #: A streamed body instead of ``body``: called after the headers are sent. ``length`` is the
    #: Content-Length declared for it (None: chunked transfer coding, ended when ``stream`` returns).
    stream: Callable[[Stream], None] | None = None
    length: int | None = None


@dataclass(frozen=True)
class LoggedRequest:
    """One request as the server received it: the tests' proof of what a crawler asked for, and when."""

    at: float  # time.monotonic() on arrival
    method: str
    target: str  # the request target as sent (path and query, percent-encoded)


class ReplicaState:
    """Mutable state of one server instance.

    Only behaviour that real sites show over time lives here (a rate limiter that lets the second try
    through, a story edited after publication once a control URL is hit), so two servers started side by
    side never influence each other.
    """

    #: Requests remembered by :meth:`log_request` (the oldest are forgotten: a replica may serve for days).
    LOG_SIZE = 100_000

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seen: set[str] = set()
        self._visits: dict[str, int] = {}
        self._log: deque[LoggedRequest] = deque(maxlen=self.LOG_SIZE)

    def visit(self, key: str) -> int:
        """Count a visit to ``key`` and return how many there were, this one included (thread-safe).

        For behaviour that changes with repetition: a rate limiter refusing the first N tries.
        """
        with self._lock:
            count = self._visits[key] = self._visits.get(key, 0) + 1
            return count

    def log_request(self, method: str, target: str) -> None:
        """Remember a request on arrival (the server calls this before answering)."""
        entry = LoggedRequest(time.monotonic(), method, target)
        with self._lock:
            self._log.append(entry)

    def requests(self) -> list[LoggedRequest]:
        """Every request remembered so far, in arrival order: robots.txt and Retry-After checks read it."""
        with self._lock:
            return list(self._log)

    def first_visit(self, key: str) -> bool:
        """True the first time ``key`` is asked for on this server, False afterwards (thread-safe)."""
        with self._lock:
            if key in self._seen:
                return False
            self._seen.add(key)
            return True

    def seen(self, key: str) -> bool:
        """Whether ``key`` was asked for on this server already, without counting this as a visit."""
        with self._lock:
            return key in self._seen


@dataclass(frozen=True)
class Request:
    """The parts of an HTTP request that a site route may look at."""

    method: str
    path: str  # path under the outlet, percent-decoded, starting with "/"
    query: str
    base_url: str  # "http://host:port" as the client addressed the server (Host header)
    state: ReplicaState

    def absolute(self, replica_path: str) -> str:
        """Absolute URL for a replica path, for feeds, sitemaps and Location headers."""
        return self.base_url + replica_path


Handler = Callable[[Request], Reply]
Normaliser = Callable[[str, str], str | None]


def route_key(path: str, query: str = "") -> str:
    """Key under which a route is stored: decoded path, plus the query when there is one."""
    path = unquote(path)
    return f"{path}?{query}" if query else path


@dataclass(frozen=True)
class Site:
    """One imitated outlet: its catalogue pages, its routes and its robots rules."""

    domain: str
    pages: tuple[ReplicaPage, ...]
    routes: Mapping[str, Handler]
    not_found: Handler
    robots: tuple[str, ...] = ()  # rules for "User-agent: *", paths as on the real site ("Disallow: /search")
    sitemaps: tuple[str, ...] = ()  # real paths of sitemaps announced in robots.txt
    normalise: Normaliser | None = None  # canonical route key for parameterised URLs, or None

    def handler_for(self, path: str, query: str) -> Handler:
        """Find the route for a decoded path and raw query, falling back like a real site would.

        Exact match first; then the site's own normalisation (parameter order, default page numbers);
        then the path without its query, since real sites ignore unknown parameters such as utm_*.
        """
        query = "&".join(f"{k}={v}" for k, v in parse_qsl(query, keep_blank_values=True)) if query else ""
        for key in (route_key(path, query), self._normalised(path, query), route_key(path)):
            if key is not None and key in self.routes:
                return self.routes[key]
        return self.not_found

    def _normalised(self, path: str, query: str) -> str | None:
        return self.normalise(path, query) if self.normalise else None


@dataclass
class SiteBuilder:
    """Collects pages and routes side by side so that every catalogue page is guaranteed a route."""

    domain: str
    pages: list[ReplicaPage] = field(default_factory=list)
    routes: dict[str, Handler] = field(default_factory=dict)

    def page(self, page: ReplicaPage, handler: Handler) -> ReplicaPage:
        """Register a catalogue page and the handler that serves it."""
        if page.outlet != self.domain:
            raise ValueError(f"{page.outlet} page registered on {self.domain}")
        path, _, query = page.path.partition("?")
        self.route(route_key(path, query), handler)
        self.pages.append(page)
        return page

    def route(self, key: str, handler: Handler) -> None:
        """Register a route that is not a catalogue page (scripts, JSON APIs, aliases)."""
        if key in self.routes:
            raise ValueError(f"duplicate route {self.domain}{key}")
        self.routes[key] = handler

    def build(
        self,
        *,
        not_found: Handler,
        robots: tuple[str, ...] = (),
        sitemaps: tuple[str, ...] = (),
        normalise: Normaliser | None = None,
    ) -> Site:
        return Site(
            domain=self.domain,
            pages=tuple(self.pages),
            routes=dict(self.routes),
            not_found=not_found,
            robots=robots,
            sitemaps=sitemaps,
            normalise=normalise,
        )
