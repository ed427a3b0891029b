"""Downloader middlewares: who we say we are, waiting out rate limits, and the text encoding.

Order (see DOWNLOADER_MIDDLEWARES in settings): responses pass OversizeMiddleware (900), then
HttpCompressionMiddleware (590), then EncodingMiddleware (580), then RetryAfterMiddleware (560), then
Scrapy's RetryMiddleware (550). The WARC capture happens before all of them, at the response_downloaded
signal.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING

from scrapy import signals
from scrapy.exceptions import IgnoreRequest, StopDownload
from scrapy.http import Headers, Request, Response, TextResponse, XmlResponse
from scrapy.utils.defer import sleep

from crawler import __version__
from crawler.encoding import decode_body

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings

logger = logging.getLogger(__name__)

#: request.meta key OversizeMiddleware sets to "length" when it cut the body at the size cap; the WARC
#: capture (crawler.archiving.truncation_reason) turns it into ``WARC-Truncated: length``.
TRUNCATED_META = "newsarchive_truncated"
_CAP_META = "_newsarchive_size_cap"
_RECEIVED_META = "_newsarchive_received"


def compose_user_agent(settings: BaseSettings) -> str:
    """The User-Agent: the explicit USER_AGENT setting, else one that names newsarchive and its operator."""
    explicit = settings.get("USER_AGENT") or ""
    # Priority 0 is Scrapy's own default ("Scrapy/x.y"), which names neither us nor the operator.
    if explicit and (settings.getpriority("USER_AGENT") or 0) > 0:
        return explicit
    operator = settings.get("NEWSARCHIVE_OPERATOR") or "operator not configured"
    return f"newsarchive/{__version__} (news archiving crawler; contact: {operator})"


class ArchivistUserAgentMiddleware:
    """Sets the User-Agent on every request that does not carry one."""

    def __init__(self, user_agent: str) -> None:
        self.user_agent = user_agent

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchivistUserAgentMiddleware:
        return cls(compose_user_agent(crawler.settings))

    def process_request(self, request: Request) -> None:
        request.headers.setdefault(b"User-Agent", self.user_agent)


def retry_after_seconds(value: bytes | str | None, now: datetime | None = None) -> float | None:
    """Parse a Retry-After header (delta-seconds or HTTP-date); None when absent or unreadable."""
    if value is None:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if not text:
        return None
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class RetryAfterMiddleware:
    """Honours Retry-After on 429 and 503: waits as long as the server asks, then retries.

    Scrapy's RetryMiddleware retries at once, which is exactly what a rate-limited server does not
    want. Waits longer than RETRY_AFTER_MAX, or more than RETRY_AFTER_TIMES retries, give up: the
    response then reaches the spider, is judged ``blocked`` and counted, and the exchange is in the WARC.
    """

    codes = (429, 503)

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.max_wait = crawler.settings.getfloat("RETRY_AFTER_MAX", 120)
        self.max_times = crawler.settings.getint("RETRY_AFTER_TIMES", 3)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RetryAfterMiddleware:
        return cls(crawler)

    async def process_response(self, request: Request, response: Response) -> Request | Response:
        if response.status not in self.codes or request.meta.get("dont_retry"):
            return response
        stats = self.crawler.stats
        times = request.meta.get("retry_after_times", 0)
        delay = retry_after_seconds(response.headers.get(b"Retry-After"))
        if delay is None:
            delay = 5.0 * (times + 1)
        if times >= self.max_times or delay > self.max_wait:
            logger.warning(
                "Giving up on %s after %d waits (status %d, Retry-After %.0fs)",
                request.url, times, response.status, delay,
            )
            if stats:
                stats.inc_value("newsarchive/retry_after/gave_up")
            return response
        logger.info("Status %d on %s: waiting %.1fs as Retry-After asks", response.status, request.url, delay)
        if stats:
            stats.inc_value("newsarchive/retry_after/waits")
        await sleep(delay)
        retry = request.replace(dont_filter=True)
        retry.meta["retry_after_times"] = times + 1
        return retry


class EncodingMiddleware:
    """Decides each text response's encoding from its raw bytes and re-labels the response.

    Scrapy would otherwise trust a wrong label, or fall back to decoding with replacement characters;
    both lose text before anyone can repair it. The decision is kept in ``meta["encoding"]`` for
    the WARC metadata and the run report.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> EncodingMiddleware:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        if not isinstance(response, TextResponse) or not response.body:
            return response
        if isinstance(response, XmlResponse) and response.body.lstrip()[:5] == b"<?xml":
            # XML declares its own encoding and parsers honour it; feeds and sitemaps stay as they are.
            return response
        content_type = response.headers.get(b"Content-Type", b"").decode("latin-1") or None
        languages = getattr(self.crawler.spider, "languages", ())
        _text, decision = decode_body(response.body, content_type, languages=languages)
        request.meta["encoding"] = decision.as_dict()
        if self.crawler.stats and decision.repaired:
            self.crawler.stats.inc_value("newsarchive/encoding/repaired")
        return response.replace(encoding=decision.used)


class OversizeMiddleware:
    """Keeps the first DOWNLOAD_MAXSIZE bytes of an oversized body, archived as truncated, instead of nothing.

    Scrapy's own cap cancels the download and throws the bytes away: of a 200 MB page (or one that
    declares 200 MB) the archive would keep no more than an error message. Like Heritrix, newsarchive
    stops reading at the cap and archives what came as a response record with ``WARC-Truncated: length``
    (the capture happens at ``response_downloaded``); the page is then not analysed (half a page is no
    article, and judging one costs time and memory), but handed to the errback as ``IgnoreRequest``, so the
    run report and a metadata record name it. A body that *declares* more than the cap is read up to the
    cap too, for the same reason. ``WARC_KEEP_TRUNCATED = False`` restores Scrapy's behaviour.

    Compressed bodies are capped twice: here on the wire, and by HttpCompressionMiddleware on the decoded
    size (a gzip bomb: small on the wire, gigabytes inflated; its capture is complete, its decoding refused).
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.maxsize = crawler.settings.getint("DOWNLOAD_MAXSIZE")
        self.enabled = crawler.settings.getbool("WARC_KEEP_TRUNCATED", True)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> OversizeMiddleware:
        middleware = cls(crawler)
        if middleware.enabled:
            # Bound methods: Scrapy keeps only weak references to signal handlers.
            crawler.signals.connect(middleware.headers_received, signal=signals.headers_received)
            crawler.signals.connect(middleware.bytes_received, signal=signals.bytes_received)
        return middleware

    def headers_received(self, headers: Headers, body_length: object, request: Request, spider: object) -> None:
        """Start counting this download; take over the cap from Scrapy when the declared length exceeds it."""
        meta = request.meta
        # A retry copies meta: the cap decided for the first attempt holds for the next ones.
        cap = meta.get(_CAP_META) or meta.get("download_maxsize", self.maxsize)
        meta[_RECEIVED_META] = 0
        meta.pop(TRUNCATED_META, None)
        if not cap:
            meta.pop(_CAP_META, None)
            return
        meta[_CAP_META] = cap
        if isinstance(body_length, int) and body_length > cap:
            meta["download_maxsize"] = 0  # Scrapy would abort before the first byte; we cut at the cap

    def bytes_received(self, data: bytes, request: Request, spider: object) -> None:
        meta = request.meta
        cap = meta.get(_CAP_META)
        if not cap:
            return
        received = meta[_RECEIVED_META] = meta.get(_RECEIVED_META, 0) + len(data)
        if received >= cap:
            meta[TRUNCATED_META] = "length"
            raise StopDownload(fail=False)

    def process_response(self, request: Request, response: Response) -> Response:
        meta = request.meta
        cap = meta.get(_CAP_META)
        if cap and meta.get("download_maxsize") == 0:
            meta["download_maxsize"] = cap  # HttpCompressionMiddleware caps the decoded size with it
        if meta.get(TRUNCATED_META) != "length" or "download_stopped" not in (response.flags or ()):
            return response
        if self.crawler.stats:
            self.crawler.stats.inc_value("newsarchive/truncated")
        message = (
            f"Truncated at {len(response.body)} bytes, the DOWNLOAD_MAXSIZE cap ({cap} B): archived with "
            "WARC-Truncated: length, not analysed"
        )
        logger.warning("%s: %s", response.url, message)
        raise IgnoreRequest(message)
