"""Rendering pages in a browser, only when needed, and archiving what the browser really loaded.

Most outlets send their articles as HTML and never need a browser. Some send an *app shell* (an empty
``<div id="root"></div>`` plus a script bundle) and build the article from a JSON API in the browser. For
those, and only those, the page is loaded in Chromium through scrapy-playwright:

* **When** (:func:`app_shell_reasons`, :func:`page_meta`): an outlet that declares ``render = "browser"``
  has its HTML pages rendered; any other outlet's page is fetched over plain HTTP and, if the body looks
  like an app shell (no article text, but script bundles or an empty framework root), fetched again in the
  browser. Everything else (robots.txt, feeds, sitemaps, normal pages) never touches the browser.
* **How** (:class:`BrowserDownloadHandler`): scrapy-playwright's handler with Debian's Chromium. The
  Playwright driver and the browser start on the first request that needs them, so a crawl that renders
  nothing pays nothing; plain requests go to Scrapy's own HTTP/1.1 handler exactly as without rendering.
  One browser per crawl, one reused context, a bounded number of open pages, one page timeout, and a
  browser that dies is started again by the next request.
* **What is archived** (:class:`PageCapture`, :class:`BrowserRenderMiddleware`): every response the page
  loaded that matters for its content (the document, XHR/fetch, scripts and stylesheets by default) as a
  WARC request/response pair of the bytes the browser received; the rendered DOM as a ``resource`` record
  ``urn:rendered-dom:<url>`` and, when enabled, a full-page screenshot ``urn:screenshot:<url>``
  (image/png), both ``WARC-Concurrent-To`` the page's response record; and a ``metadata`` record saying
  what was loaded, blocked or failed. The rendered DOM never poses as a server response.
* **Failures** (timeout, crashed page, crashed browser) are written as WARC metadata, reach the spider's
  errback (so the run report lists them), and the crawl goes on.

What the browser does not tell us, and the archive therefore cannot hold: the HTTP version (records say
HTTP/1.1), the server's header order (Chromium reports headers sorted by name) and the content-coded bytes
(Chromium hands over the decoded body; the server's ``Content-Encoding`` and ``Content-Length`` are kept
as ``X-Archive-Orig-*`` and a length matching the stored body is added). Subresource requests are made by
the page, as a reader's browser makes them, so robots.txt is applied to the page, not to its scripts and
API calls.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from lxml import etree
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page, Route
from playwright.async_api import Request as PlaywrightRequest
from playwright.async_api import TimeoutError as PlaywrightTimeoutError
from scrapy.http import Request, Response, TextResponse
from scrapy_playwright.handler import ScrapyPlaywrightDownloadHandler
from scrapy_playwright.page import PageMethod
from twisted.python.failure import Failure

from archive.writer import ORIG_HEADER_PREFIX
from crawler import signals as na_signals
from crawler.archiving import ARCHIVED_BY_META, PREVIOUS_META, capture_role
from crawler.htmltools import parse_html

if TYPE_CHECKING:
    from playwright.async_api import Browser
    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings

logger = logging.getLogger(__name__)

#: Request meta: "http" or "browser", the download path a page takes (and the article's ``render``).
RENDER_META = "render"
#: Request meta: why a page fetched over HTTP was sent to the browser (app-shell signals).
RENDER_REASONS_META = "render_reasons"
#: Request meta: the :class:`PageCapture` of a browser request.
CAPTURE_META = "newsarchive_capture"
#: Request meta: pointer to the rendered-DOM resource record (next to ``meta["warc"]``).
RENDERED_DOM_META = "rendered_dom"
#: scrapy-playwright context every rendered page opens in (one per crawl, reused).
CONTEXT_NAME = "newsarchive"

#: Launch flags that make Debian's Chromium work as root, headless, without reaching Google's servers.
DEFAULT_CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
)

#: Well-known third-party analytics and advertising hosts (and their subdomains). They never carry
#: article content, they slow every page down, and they would track the archive's visits.
DEFAULT_BLOCKED_HOSTS = (
    "google-analytics.com", "googletagmanager.com", "googletagservices.com", "doubleclick.net",
    "googlesyndication.com", "googleadservices.com", "adservice.google.com", "facebook.net",
    "connect.facebook.com", "scorecardresearch.com", "chartbeat.com", "chartbeat.net", "quantserve.com",
    "hotjar.com", "nr-data.net", "criteo.com", "criteo.net", "taboola.com", "outbrain.com",
    "amazon-adsystem.com", "adnxs.com", "pubmatic.com", "rubiconproject.com", "mc.yandex.ru",
    "bat.bing.com", "clarity.ms", "segment.io", "mixpanel.com", "analytics.tiktok.com", "ads-twitter.com",
    "snap.licdn.com", "gemius.pl", "xiti.com", "cxense.com", "parsely.com", "permutive.com",
)

# --- when a page needs the browser --------------------------------------------------------------

#: Words of visible body text below which a page carries no article (a short news item has 100+).
SHELL_MAX_WORDS = 40
#: With nothing but script bundles to go on, the page must be all but empty to count as a shell.
SHELL_MAX_WORDS_SCRIPT_ONLY = 8
#: Elements that single-page-app frameworks mount into; empty in an app shell's HTML.
_FRAMEWORK_ROOTS = (
    "//*[@id='root' or @id='app' or @id='__next' or @id='__nuxt' or @id='___gatsby' or @id='svelte'"
    " or @id='q-app' or @id='ember-application' or @data-reactroot or @ng-version or @ng-app"
    " or @data-v-app] | //app-root"
)
_NOSCRIPT_JS = re.compile(r"\bjavascript\b|\bjs\b", re.IGNORECASE)
#: Elements whose text no reader sees.
_NON_TEXT = ("script", "style", "noscript", "template", "svg")


def page_meta(render: str) -> dict[str, Any]:
    """Request meta for an outlet's HTML page: ``render = "browser"`` outlets load it in Chromium.

    A browser page is never revalidated with If-None-Match: a 304 would leave the browser nothing
    to render.
    """
    return {RENDER_META: "browser", "dont_revalidate": True} if render == "browser" else {}


def app_shell_reasons(html: str) -> list[str]:
    """Why ``html`` looks like an app shell (empty when it does not).

    A shell carries no article text and is built by JavaScript: an empty framework root
    (``<div id="root"></div>``, ``#__next``, ``<app-root>``...) on a page with fewer than
    :data:`SHELL_MAX_WORDS` visible words, or script bundles on a page that shows next to nothing.
    A ``<noscript>`` asking for JavaScript is noted but never enough alone: bot challenges say the
    same, and short error pages with an analytics snippet stay on the plain path too. Runs on every
    plain HTML page, so it only parses (C speed) and drops non-text elements, nothing more.
    """
    doc = parse_html(html)
    bundles = sum(
        1 for s in doc.iter("script") if s.get("src") and s.get("type", "").lower() != "application/ld+json"
    )
    noscript_js = any(_NOSCRIPT_JS.search(n.text_content() or "") for n in doc.iter("noscript"))
    etree.strip_elements(doc, *_NON_TEXT, with_tail=False)
    body = doc.find("body")
    words = len((body if body is not None else doc).text_content().split())
    reasons: list[str] = []
    if words < SHELL_MAX_WORDS:
        empty_roots = [
            el for el in doc.xpath(_FRAMEWORK_ROOTS) if isinstance(el.tag, str) and not el.text_content().strip()
        ]
        reasons += [f"framework-root:{_describe(el)}" for el in empty_roots[:1]]
    if bundles and words < SHELL_MAX_WORDS_SCRIPT_ONLY:
        reasons.append(f"script-bundles:{bundles}")
    if reasons:
        if noscript_js:
            reasons.append("noscript-asks-for-javascript")
        reasons.append(f"visible-words:{words}")
    return reasons


def _describe(el: Any) -> str:
    if el.get("id"):
        return f"#{el.get('id')}"
    return str(el.tag)


def response_app_shell_reasons(response: Response) -> list[str]:
    """:func:`app_shell_reasons` of a plain-HTTP 200 HTML response; empty for anything else."""
    if response.status != 200 or not isinstance(response, TextResponse) or "playwright" in (response.flags or ()):
        return []
    content_type = response.headers.get(b"Content-Type", b"").decode("latin-1").lower()
    if content_type and "html" not in content_type:
        return []
    return app_shell_reasons(response.text)


def rerender_request(response: Response, reasons: Sequence[str], keep: Iterable[str] = ()) -> Request:
    """The same request again, for the browser (the duplicate filter has already seen its URL)."""
    request = response.request
    assert request is not None
    meta = {key: request.meta[key] for key in ("dont_redirect", *keep) if key in request.meta}
    meta.update(page_meta("browser"))
    meta[RENDER_REASONS_META] = list(reasons)
    return request.replace(meta=meta, dont_filter=True)


def note_app_shell(crawler: Crawler, response: Response, reasons: Sequence[str]) -> None:
    """Say next to the plain response's record that it was an app shell, rendered again in the browser."""
    crawler.stats.inc_value("newsarchive/render/app_shells")
    warc = response.meta.get("warc")
    archive = getattr(crawler, "newsarchive_warc", None)
    if not warc or archive is None or archive.closed:
        return
    spider = getattr(crawler, "spider", None)
    fields = {
        "outlet": getattr(spider, "name", None),
        "verdict": None,
        "verdict_reasons": [],
        "role": capture_role(response.request or Request(response.url), response.status),
        "status": response.status,
        "render": "http",
        "app_shell": list(reasons),
        "rendered_again": "browser",
    }
    try:
        archive.write_metadata(warc, response.url, fields)
    except OSError:
        logger.exception("Could not archive the app-shell note of %s", response.url)


def render_timeout(settings: BaseSettings) -> float:
    """The page budget in seconds: navigation, scripts and API calls all have to fit in it."""
    return max(settings.getfloat("NEWSARCHIVE_RENDER_TIMEOUT", 30.0), 0.5)


def launch_options(settings: BaseSettings) -> dict[str, Any]:
    """Chromium launch options: Debian's binary, the flags it needs here; PLAYWRIGHT_LAUNCH_OPTIONS wins."""
    options: dict[str, Any] = {
        "executable_path": settings.get("PLAYWRIGHT_CHROMIUM_PATH") or "/usr/bin/chromium",
        "headless": True,
        "args": list(settings.getlist("PLAYWRIGHT_CHROMIUM_ARGS", list(DEFAULT_CHROMIUM_ARGS))),
        # Launching is not rendering: a loaded machine can take seconds to start Chromium.
        "timeout": max(render_timeout(settings), 30.0) * 1000,
    }
    options.update(settings.getdict("PLAYWRIGHT_LAUNCH_OPTIONS") or {})
    return options


# --- the download handler ---------------------------------------------------------------------


class _QuietPageClose(logging.Filter):
    """scrapy-playwright logs every failed page with a traceback at WARNING; the failure is reported
    (once, with its reason) by :class:`BrowserRenderMiddleware`, so its copy is demoted to DEBUG."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno == logging.WARNING and str(record.msg).startswith("Closing page due to failed request"):
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
            record.exc_info, record.exc_text = None, None
        return True


_PAGE_CLOSE_FILTER = _QuietPageClose()


class BrowserCrashed(RuntimeError):
    """The browser process went away while the crawl was running."""


#: How many browsers a page may be tried in when the browser crashes under it.
BROWSER_ATTEMPTS = 3


class BrowserDownloadHandler(ScrapyPlaywrightDownloadHandler):
    """scrapy-playwright's handler, started lazily, configured from newsarchive settings, crash-proof.

    scrapy-playwright starts its Node.js driver (0.5 s, ~120 MB) when the engine starts, even if no
    request ever asks for a browser; here that happens on the first ``meta["playwright"]`` request, so
    plain crawls are as fast and as small as without the handler. Requests without that key go straight
    to Scrapy's HTTP/1.1 handler (the parent class), so their WARC capture is unchanged.

    When the browser dies, Playwright does not always fail the calls that were waiting on it (a page
    being created can wait forever), and scrapy-playwright's own clean-up waits on the dead contexts.
    So a browser that disconnects without being asked to is handled here: the crash is recorded (log,
    stats, WARC metadata, run report), the dead browser's contexts are dropped so that the next page
    launches a new browser, and the pages that were open are cancelled and retried there
    (:data:`BROWSER_ATTEMPTS` in all). A watchdog bounds every browser download, whatever hangs.

    This leans on scrapy-playwright internals (``_launch``, ``_maybe_launch_browser``, ``browser``,
    ``context_wrappers``, ``config``), hence the version range in pyproject.toml; tests/test_render.py
    goes through each of these paths with a real browser.
    """

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.crawler = crawler
        # Scrapy makes one handler per scheme (http, https); the first one made owns the crawl's browser
        # and the others hand it their browser requests, so an outlet mixing schemes runs one browser.
        owner = getattr(crawler, "_newsarchive_browser_handler", None)
        if owner is None:
            crawler._newsarchive_browser_handler = self  # type: ignore[attr-defined]
        self._owner: BrowserDownloadHandler = owner or self
        logging.getLogger("scrapy-playwright").addFilter(_PAGE_CLOSE_FILTER)  # a set: added once
        self.config.launch_options = launch_options(crawler.settings)
        if self.config.navigation_timeout_ms is None:
            self.config.navigation_timeout_ms = render_timeout(crawler.settings) * 1000
        #: Navigation, settling and screenshot each get at most the page budget; the rest is slack
        #: for waiting for a page slot, for the driver, and for one retry after a crash.
        self._watchdog = 3 * render_timeout(crawler.settings) + 30
        self._driver_started = False
        self._driver_lock = asyncio.Lock()
        self._closing = False
        self._launches = 0
        #: Browsers so far; part of the context name, so a dead browser's late events never touch
        #: the context of the next one (scrapy-playwright keys contexts by name).
        self._generation = 0
        self._in_flight: dict[int, tuple[Request, asyncio.Future[Response]]] = {}
        self._crashed: set[int] = set()

    async def _maybe_launch_in_thread(self) -> None:
        """Connected to engine_started by the parent: the driver now starts on first use instead."""

    def _engine_started(self) -> None:  # type: ignore[override]
        """The pre-2.14 Scrapy twin of :meth:`_maybe_launch_in_thread`."""

    async def download_request(self, request: Request) -> Response:  # type: ignore[override]
        if not request.meta.get("playwright"):
            return await super().download_request(request)
        if self._owner is not self:
            return await self._owner.download_request(request)
        async with self._driver_lock:
            if not self._driver_started:
                await self._maybe_future_from_coro(self._launch())
                self._driver_started = True
        deadline = time.monotonic() + self._watchdog
        for attempt in range(1, BROWSER_ATTEMPTS + 1):
            request.meta["playwright_context"] = f"{CONTEXT_NAME}-{self._generation}"
            task = asyncio.ensure_future(super().download_request(request))
            self._in_flight[id(request)] = (request, task)
            try:
                done, _ = await asyncio.wait({task}, timeout=max(deadline - time.monotonic(), 0.1))
            except BaseException:  # the download itself was cancelled (crawl shutting down)
                task.cancel()
                raise
            finally:
                self._in_flight.pop(id(request), None)
            if not done:
                task.cancel()
                capture = request.meta.get(CAPTURE_META)
                if capture is not None:
                    await capture.close_page()
                raise RenderTimeout(f"the browser did not answer within {self._watchdog:g}s")
            if task.cancelled() and id(request) in self._crashed:
                self._crashed.discard(id(request))
                if attempt < BROWSER_ATTEMPTS:
                    logger.info("Rendering %s again after the browser crash", request.url)
                    continue
                raise BrowserCrashed(f"the browser crashed {attempt} times while rendering {request.url}")
            response = task.result()
            capture = request.meta.get(CAPTURE_META)
            server_seconds = capture.server_seconds() if capture is not None else None
            if server_seconds is not None:
                request.meta["render_seconds"] = request.meta.get("download_latency")
                request.meta["download_latency"] = server_seconds  # read by AutoThrottle next
            return response
        raise AssertionError("unreachable")  # pragma: no cover

    async def _maybe_launch_browser(self) -> None:
        # A dead browser is forgotten by scrapy-playwright's disconnect callback; let it run first.
        for _ in range(100):
            if not hasattr(self, "browser") or self.browser.is_connected():
                break
            await asyncio.sleep(0.05)
        had_browser = hasattr(self, "browser")
        await super()._maybe_launch_browser()
        if had_browser or not hasattr(self, "browser"):
            return
        self._launches += 1
        if self._launches > 1:
            logger.warning("Browser started again (launch %d) after a crash", self._launches)
            self.stats.inc_value("newsarchive/render/browser_restarts")
        browser = self.browser
        browser.on("disconnected", lambda _browser: self._browser_lost(browser))

    def _browser_lost(self, browser: Browser) -> None:
        """A disconnect we did not ask for: record it, drop the dead contexts, retry the open pages."""
        if self._closing:
            return
        self._generation += 1
        # Dropped before scrapy-playwright's callback runs, so it does not wait on closing them.
        for name in [n for n in self.context_wrappers if n.startswith(f"{CONTEXT_NAME}-")]:
            self.context_wrappers.pop(name, None)
        pages = [request.url for request, _ in self._in_flight.values()]
        for key, (_, task) in list(self._in_flight.items()):
            self._crashed.add(key)
            task.cancel()
        logger.error("The browser crashed while rendering %d page(s): %s", len(pages), ", ".join(pages) or "-")
        self.stats.inc_value("newsarchive/render/browser_crashes")
        error = BrowserCrashed(
            "browser crashed"
            + (f" while rendering {', '.join(pages)}" if pages else "")
            + "; a new browser is started and those pages are rendered again"
        )
        archive = getattr(self.crawler, "newsarchive_warc", None)
        if archive is not None and not archive.closed and archive.writer is not None:
            fields = {"render": "browser", "role": "browser-crash",
                      "render_failure": {"kind": "browser-crash", "error": str(error)}}
            for url in pages or ["urn:newsarchive:browser"]:
                try:
                    archive.write_metadata(None, url, fields)
                except OSError:
                    logger.exception("Could not archive the browser crash")
        # request=None: the report lists the crash; the WARC extension leaves it to the record above.
        self.crawler.signals.send_catch_log(
            signal=na_signals.download_failed, request=None, failure=Failure(error),
            spider=getattr(self.crawler, "spider", None),
        )

    async def close(self) -> None:  # type: ignore[override]
        self._closing = True
        await super().close()


# --- one page in the browser --------------------------------------------------------------------


@dataclass
class BlockPolicy:
    """Which requests a rendered page may not make: resource types and third-party tracker hosts."""

    resource_types: frozenset[str]
    hosts: tuple[str, ...]

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> BlockPolicy:
        types = settings.getlist("NEWSARCHIVE_RENDER_BLOCK_TYPES", ["image", "font", "media"])
        hosts = settings.getlist("NEWSARCHIVE_RENDER_BLOCK_HOSTS", list(DEFAULT_BLOCKED_HOSTS))
        return cls(frozenset(t.lower() for t in types), tuple(h.lower().strip(".") for h in hosts if h))

    def reason(self, resource_type: str, url: str, page_host: str) -> str | None:
        """Why the page may not load ``url`` (None: it may). The page's own document is never blocked."""
        if resource_type == "document":
            return None
        if resource_type in self.resource_types:
            return f"type:{resource_type}"
        host = (urlsplit(url).hostname or "").lower()
        if host and host != page_host and _site(host) != _site(page_host):
            for blocked in self.hosts:
                if host == blocked or host.endswith("." + blocked):
                    return f"tracker:{blocked}"
        return None


def _site(host: str) -> str:
    """Rough registrable domain (last two labels): enough to tell a tracker from the outlet's CDN."""
    return ".".join(host.split(".")[-2:])


@dataclass
class CapturedExchange:
    """One request/response the page made, with the bytes as the browser received them."""

    url: str
    method: str
    resource_type: str
    main_document: bool
    request_headers: list[tuple[str, str]]
    request_body: bytes
    status: int
    reason: str
    response_headers: list[tuple[str, str]]
    body: bytes
    body_error: str | None
    ip_address: str | None
    date: datetime
    #: Seconds from sending the request to the end of the response, as the browser timed it.
    latency: float | None = None


@dataclass
class PageCapture:
    """Everything one rendered page loads: set up on the page, drained before the page closes.

    The page init callback (:meth:`attach`) installs request blocking and collects every finished
    response of the archived types as soon as it finishes (its body is only readable while the page is
    open). :meth:`settle` runs after navigation: it waits for the network to go quiet within the page
    budget, and fails the page if it never does and nothing was rendered.
    """

    url: str
    policy: BlockPolicy
    archive_types: frozenset[str]
    timeout: float
    screenshot: bool
    exchanges: list[CapturedExchange] = field(default_factory=list)
    blocked: list[dict[str, str]] = field(default_factory=list)
    failed: list[dict[str, str]] = field(default_factory=list)
    screenshot_png: bytes | None = None
    network_idle: bool | None = None
    attempts: int = 0
    started: float = 0.0
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)
    _page_host: str = ""
    _page: Page | None = None

    async def attach(self, page: Page, request: Request) -> None:
        """scrapy-playwright's page init callback: runs before navigation, after its own routing."""
        self.attempts += 1
        for task in list(self._tasks):  # reads from an earlier attempt's page (a browser that died)
            task.cancel()
        self.exchanges.clear()
        self.blocked.clear()
        self.failed.clear()
        self.started = time.monotonic()
        self._page = page
        self._page_host = (urlsplit(request.url).hostname or "").lower()
        # Registered after scrapy-playwright's route, so it runs first; fallback() hands a request
        # that may go on to scrapy-playwright's handler (user agent, headers).
        await page.route("**/*", self._route)
        page.on("requestfinished", self._finished)
        page.on("requestfailed", self._failed)

    async def _route(self, route: Route, request: PlaywrightRequest) -> None:
        reason = self.policy.reason(request.resource_type, request.url, self._page_host)
        with contextlib.suppress(PlaywrightError):  # the page may be closing (timeout, crash)
            if reason is None:
                await route.fallback()
                return
            self.blocked.append({"url": request.url, "resource_type": request.resource_type, "reason": reason})
            await route.abort("blockedbyclient")

    def _finished(self, request: PlaywrightRequest) -> None:
        if request.resource_type not in self.archive_types:
            return
        task = asyncio.ensure_future(self._collect(request))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _failed(self, request: PlaywrightRequest) -> None:
        failure = request.failure or "failed"
        if "ERR_BLOCKED_BY_CLIENT" in failure:
            return  # ours: already listed in ``blocked``
        self.failed.append({"url": request.url, "resource_type": request.resource_type, "error": failure})

    async def _collect(self, request: PlaywrightRequest) -> None:
        try:
            response = await request.response()
            if response is None:
                return
            body, body_error = b"", None
            if not 300 <= response.status < 400:
                try:
                    body = await response.body()
                except PlaywrightError as exc:
                    body_error = exc.message
            request_headers = [(h["name"], h["value"]) for h in await request.headers_array()]
            response_headers = [(h["name"], h["value"]) for h in await response.headers_array()]
            address = await response.server_addr()
            frame = request.frame if request.is_navigation_request() else None
        except PlaywrightError as exc:  # the page closed under us (timeout, crash)
            self.failed.append({"url": request.url, "resource_type": request.resource_type, "error": exc.message})
            return
        timing = request.timing
        latency = None
        if timing.get("requestStart", -1) >= 0 and timing.get("responseEnd", -1) >= timing["requestStart"]:
            latency = (timing["responseEnd"] - timing["requestStart"]) / 1000
        self.exchanges.append(
            CapturedExchange(
                url=request.url,
                method=request.method,
                resource_type=request.resource_type,
                main_document=frame is not None and frame.parent_frame is None,
                request_headers=[(n, v) for n, v in request_headers if not n.startswith(":")],
                request_body=request.post_data_buffer or b"",
                status=response.status,
                reason=response.status_text,
                response_headers=[(n, v) for n, v in response_headers if not n.startswith(":")],
                body=body,
                body_error=body_error,
                ip_address=address["ipAddress"] if address else None,
                date=datetime.now(UTC),
                latency=latency,
            )
        )

    async def close_page(self) -> None:
        """Close the page after a watchdog timeout (scrapy-playwright gives its slot back on close)."""
        if self._page is not None and not self._page.is_closed():
            with contextlib.suppress(PlaywrightError):
                await self._page.close()

    async def drain(self, timeout: float) -> None:
        """Wait (bounded) for the responses still being read."""
        pending = [t for t in self._tasks if not t.done()]
        if pending:
            await asyncio.wait(pending, timeout=max(timeout, 0.1))

    def release(self) -> None:
        """Drop the bodies and the page once archived: the request (and this) lives on in the callback."""
        self.exchanges.clear()
        self.screenshot_png = None
        self._page = None

    def server_seconds(self) -> float | None:
        """Time the page's own site spent answering it: its requests' latencies to that host, summed.

        What AutoThrottle should see as the page's download latency. scrapy-playwright reports the
        whole render (scripts, idle wait, screenshot), which is our time, not the server's, and would
        make AutoThrottle space pages out by a second or more for no politeness gain.
        """
        times = [
            e.latency for e in self.exchanges
            if e.latency is not None and (urlsplit(e.url).hostname or "").lower() == self._page_host
        ]
        return sum(times) if times else None

    def remaining(self) -> float:
        return self.timeout - (time.monotonic() - self.started)

    async def settle(self, page: Page) -> None:
        """Page method run after navigation: wait until the page stops loading, within the budget.

        "Loaded" is Playwright's ``networkidle`` (no request for 500 ms), so API calls started by
        scripts are waited for. A page whose network never goes quiet is still kept when it rendered
        content (a live ticker polling forever); one that is still an empty shell has failed.
        """
        try:
            await page.wait_for_load_state("networkidle", timeout=max(self.remaining(), 0.1) * 1000)
            self.network_idle = True
        except PlaywrightTimeoutError:
            self.network_idle = False
        await self.drain(min(5.0, max(self.remaining(), 1.0)))
        if not self.network_idle:
            reasons = app_shell_reasons(await page.content())
            if reasons:
                raise RenderTimeout(
                    f"page did not finish loading within {self.timeout:g}s: the network never went idle "
                    f"and nothing was rendered ({', '.join(reasons)})"
                )
        if self.screenshot:
            self.screenshot_png = await page.screenshot(
                full_page=True, type="png", timeout=max(self.remaining(), 5.0) * 1000
            )


class RenderTimeout(PlaywrightTimeoutError):
    """A rendered page did not finish loading within NEWSARCHIVE_RENDER_TIMEOUT."""


def failure_kind(exception: BaseException) -> str:
    """``timeout``, ``page-crash``, ``browser-crash`` or ``error``: what went wrong in the browser."""
    message = str(exception).lower()
    if isinstance(exception, BrowserCrashed):
        return "browser-crash"
    if isinstance(exception, PlaywrightTimeoutError):
        return "timeout"
    if "crash" in message:
        return "page-crash"
    if "browser has been closed" in message or "target page, context or browser has been closed" in message:
        return "browser-crash"
    return "error"


def stored_headers(headers: Sequence[tuple[str, str]], body: bytes) -> list[tuple[str, str]]:
    """Response headers that describe the stored body: Chromium hands it over content-decoded.

    The server's Content-Encoding and Content-Length are kept under ``X-Archive-Orig-`` (the
    pywb/Browsertrix convention) and a Content-Length of the stored body is added, so no replay
    tool tries to gunzip plain bytes.
    """
    encoded = any(
        n.lower() == "content-encoding" and v.strip().lower() not in ("", "identity") for n, v in headers
    )
    length_ok = any(n.lower() == "content-length" and v.strip() == str(len(body)) for n, v in headers)
    if not encoded and (length_ok or not any(n.lower() == "content-length" for n, _ in headers)):
        return list(headers)
    out = [
        (ORIG_HEADER_PREFIX + n, v) if n.lower() in ("content-encoding", "content-length") else (n, v)
        for n, v in headers
    ]
    out.append(("Content-Length", str(len(body))))
    return out


# --- the middleware that sends pages to the browser and archives what it loaded ----------------


class BrowserRenderMiddleware:
    """Downloader middleware: ``meta["render"] == "browser"`` requests are rendered and archived.

    ``process_request`` turns such a request into a scrapy-playwright request (context, page budget,
    blocking, capture); ``process_response`` writes what the page loaded to the WARC and points
    ``meta["warc"]`` at the page's own response record, so the verdict/text records and the article
    refer to it; ``process_exception`` records a failed render and lets the failure reach the errback.
    Its order (940) puts it next to the download handler, after ConditionalGetMiddleware (595), whose
    validators it removes again from browser requests.

    Records of one rendered page: a request/response pair per captured exchange (the page's document
    first); ``resource`` records of the DOM and the screenshot, WARC-Concurrent-To the document's
    response; and one ``metadata`` record referring to the DOM record that lists what the page loaded,
    what was blocked and what failed. The document's response gets its verdict record from the spider
    like any page, so every record keeps one description.
    """

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.timeout = render_timeout(settings)
        self.policy = BlockPolicy.from_settings(settings)
        self.archive_types = frozenset(
            t.lower()
            for t in settings.getlist(
                "NEWSARCHIVE_RENDER_ARCHIVE_TYPES", ["document", "xhr", "fetch", "script", "stylesheet"]
            )
        )
        self.screenshot = settings.getbool("NEWSARCHIVE_RENDER_SCREENSHOT", False)
        self.context_kwargs: dict[str, Any] = {
            # A service worker would answer the page's requests where page events cannot see them.
            "service_workers": "block",
            "viewport": {"width": 1280, "height": 900},
        }

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BrowserRenderMiddleware:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        if request.meta.get(RENDER_META) != "browser":
            return
        # Validators from an earlier capture would get a 304, and a browser cannot render a 304.
        request.meta.pop(PREVIOUS_META, None)
        for name in (b"If-None-Match", b"If-Modified-Since"):
            request.headers.pop(name, None)
        capture = PageCapture(
            url=request.url,
            policy=self.policy,
            archive_types=self.archive_types,
            timeout=self.timeout,
            screenshot=self.screenshot,
        )
        request.meta.update(
            {
                "playwright": True,
                "playwright_context": CONTEXT_NAME,
                "playwright_context_kwargs": self.context_kwargs,
                "playwright_include_page": False,
                "playwright_page_init_callback": capture.attach,
                "playwright_page_goto_kwargs": {"wait_until": "load", "timeout": self.timeout * 1000},
                "playwright_page_methods": [PageMethod(capture.settle)],
                CAPTURE_META: capture,
                ARCHIVED_BY_META: __name__,
            }
        )
        self.crawler.stats.inc_value("newsarchive/render/requests")

    def process_response(self, request: Request, response: Response) -> Response:
        capture: PageCapture | None = request.meta.get(CAPTURE_META)
        if capture is None or "playwright" not in (response.flags or ()):
            return response
        stats = self.crawler.stats
        stats.inc_value("newsarchive/render/pages")
        stats.inc_value("newsarchive/render/captured_responses", len(capture.exchanges))
        stats.inc_value("newsarchive/render/blocked_requests", len(capture.blocked))
        request.meta.pop("warc", None)  # a retried request may carry an earlier response's pointer
        archive = self._archive()
        if archive is not None:
            try:
                self._archive_page(archive, capture, request, response)
            except OSError:
                logger.exception("Could not archive the rendered page %s", response.url)
                stats.inc_value("newsarchive/warc/errors")
        capture.release()
        request.meta[RENDER_META] = "browser"
        return response

    async def process_exception(self, request: Request, exception: Exception) -> None:
        capture: PageCapture | None = request.meta.get(CAPTURE_META)
        if capture is None:
            return
        await capture.drain(1.0)
        kind = failure_kind(exception)
        text = str(exception).strip()
        message = text.splitlines()[0] if text else type(exception).__name__
        logger.warning("Rendering %s failed (%s): %s", request.url, kind, message)
        self.crawler.stats.inc_value(f"newsarchive/render/failures/{kind}")
        archive = self._archive()
        if archive is None:
            capture.release()
            return
        try:
            document, network = self._write_exchanges(archive, capture, request.url)
            fields = self._render_fields(capture, network)
            fields.update(
                outlet=getattr(self.crawler.spider, "name", None),
                verdict=None,
                role="render-failure",
                render_failure={"kind": kind, "error": message, "attempts": capture.attempts},
            )
            archive.write_metadata(document, request.url, fields)
        except OSError:
            logger.exception("Could not archive the render failure of %s", request.url)
            self.crawler.stats.inc_value("newsarchive/warc/errors")
        finally:
            capture.release()

    # -- archiving --------------------------------------------------------------------------------

    def _archive(self) -> Any:
        archive = getattr(self.crawler, "newsarchive_warc", None)
        return None if archive is None or archive.closed or archive.writer is None else archive

    def _archive_page(self, archive: Any, capture: PageCapture, request: Request, response: Response) -> None:
        document, network = self._write_exchanges(archive, capture, response.url)
        if document is None:
            logger.warning("No document response captured for %s; the rendered DOM stands for it", response.url)
        encoding = getattr(response, "encoding", None) or "utf-8"
        dom = archive.write_resource(
            f"urn:rendered-dom:{response.url}", f"text/html; charset={encoding}", response.body,
            concurrent_to=document,
        )
        fields = self._render_fields(capture, network)
        fields["page_response"] = document["record_id"] if document else None
        if capture.screenshot_png:
            shot = archive.write_resource(
                f"urn:screenshot:{response.url}", "image/png", capture.screenshot_png, concurrent_to=document
            )
            fields["screenshot"] = shot["record_id"]
        if request.meta.get(RENDER_REASONS_META):
            fields["app_shell"] = request.meta[RENDER_REASONS_META]
        archive.write_metadata(dom, f"urn:rendered-dom:{response.url}", fields)
        request.meta["warc"] = document or dom
        request.meta[RENDERED_DOM_META] = dom

    def _write_exchanges(
        self, archive: Any, capture: PageCapture, page_url: str
    ) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
        """Write the captured exchanges, the page's own document first; return its pointer and a log."""
        document = _page_document(capture.exchanges, page_url)
        ordered = sorted(capture.exchanges, key=lambda e: (e is not document, e.date))
        document_pointer: dict[str, Any] | None = None
        network: list[dict[str, Any]] = []
        for exchange in ordered:
            pointer = archive.write_exchange(
                url=exchange.url,
                method=exchange.method,
                request_headers=exchange.request_headers,
                request_body=exchange.request_body,
                protocol="HTTP/1.1",
                status=exchange.status,
                reason=exchange.reason,
                response_headers=stored_headers(exchange.response_headers, exchange.body),
                body=exchange.body,
                ip_address=exchange.ip_address,
                date=exchange.date,
                truncated="unspecified" if exchange.body_error else None,
            )
            entry: dict[str, Any] = {
                "url": exchange.url, "resource_type": exchange.resource_type, "status": exchange.status,
                "record_id": pointer["record_id"],
            }
            if exchange.body_error:
                entry["body_error"] = exchange.body_error
            if exchange is document:
                document_pointer = pointer
            network.append(entry)
        return document_pointer, network

    def _render_fields(self, capture: PageCapture, network: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "render": "browser",
            "network": network,
            "blocked": capture.blocked,
            "failed_requests": capture.failed,
            "network_idle": capture.network_idle,
            "seconds": round(time.monotonic() - capture.started, 3) if capture.started else None,
            "attempts": capture.attempts,
        }


def _page_document(exchanges: Sequence[CapturedExchange], page_url: str) -> CapturedExchange | None:
    """The page's own response: the main frame's final (non-redirect) document, by preference at the page URL."""
    documents = [e for e in exchanges if e.main_document]
    final = [e for e in documents if not 300 <= e.status < 400]
    for candidates in ([e for e in final if e.url == page_url], final, documents):
        if candidates:
            return candidates[-1]
    return None
