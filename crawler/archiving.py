"""Scrapy extension that archives every HTTP exchange into rolling WARC files.

Capture happens at ``signals.response_downloaded`` because that signal fires straight after
the download handler returns, before any downloader middleware's ``process_response``: the
body is still content-encoded (HttpCompressionMiddleware has not run), and robots.txt
fetches, redirects and error statuses all pass through it even though later middlewares
consume or drop them.  That makes the WARC a record of what was fetched, not of what the
spider happened to look at.

What Scrapy's default HTTP/1.1 handler (Twisted) does *not* let us see, and so the archive
cannot contain: the server's reason phrase (the standard phrase is written instead), the
original header-name case (Scrapy title-cases names), the interleaving order of different
header names (values are grouped per name, first-seen order), and connection-level headers
(``Connection``, ``Keep-Alive``, ``Transfer-Encoding``), which Twisted consumes.  Scrapy
re-synthesises ``Content-Length`` from the framing when it was known.  So a chunked
response arrives as a de-chunked body with neither ``Transfer-Encoding`` nor
``Content-Length`` and is stored that way (its end is the record's end).

Responses from scrapy-playwright are browser-rendered DOMs, not wire bytes; they are archived
as response records marked ``X-Newsarchive-Rendered-By: playwright`` (see :func:`rendered_by`).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import scrapy
from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.http import Headers, Response
from scrapy.utils.httpobj import urlparse_cached

from archive.writer import RecordPointer, WarcWriter
from crawler import __version__
from crawler import signals as na_signals
from crawler.middlewares import compose_user_agent
from crawler.page import PageResult

logger = logging.getLogger(__name__)

#: data:, file:, s3:, ftp: responses also pass response_downloaded but are not HTTP exchanges.
ARCHIVED_SCHEMES = frozenset({"http", "https"})


def headers_as_list(headers: Headers) -> list[tuple[str, str]]:
    """Every (name, value) pair, repeated headers kept, as Latin-1 text.

    Latin-1 maps bytes 1:1 to code points, so the writer can restore the exact bytes.
    """
    pairs: list[tuple[str, str]] = []
    for name in headers:
        text_name = name.decode("latin-1") if isinstance(name, bytes) else str(name)
        for value in headers.getlist(name):
            text_value = value.decode("latin-1") if isinstance(value, bytes) else str(value)
            pairs.append((text_name, text_value))
    return pairs


def truncation_reason(response: Response) -> str | None:
    """WARC-Truncated value for responses Scrapy delivered incomplete, else None.

    ``dataloss``: the connection dropped before Content-Length was reached (only delivered
    when DOWNLOAD_FAIL_ON_DATALOSS is off); ``download_stopped``: a handler raised StopDownload.
    """
    flags = set(response.flags or ())
    if "dataloss" in flags:
        return "disconnect"
    if "download_stopped" in flags:
        return "unspecified"
    return None


def rendered_by(response: Response) -> str | None:
    """Name of the browser integration that produced the body, if any.

    scrapy-playwright returns the rendered DOM re-encoded as the body, with the browser's
    headers minus Content-Encoding: not what the server sent.  It is still archived (so
    ``newsarchive extract`` can reproduce what the parser saw) but marked as such.
    """
    return "playwright" if "playwright" in (response.flags or ()) else None


class WarcArchiveExtension:
    """Writes a request + response WARC record pair for every downloaded HTTP response.

    The instance is also published as ``crawler.newsarchive_warc`` so that spiders and
    pipelines can attach ``metadata``/``conversion`` records to a response they processed
    (``crawler.extensions`` is not a public lookup-by-class API).
    """

    def __init__(
        self,
        crawler: Crawler,
        *,
        output: Path,
        prefix: str,
        max_size: int,
        operator: str,
    ) -> None:
        self.crawler = crawler
        self.directory = output / "warc"
        self.prefix = prefix
        self.max_size = max_size
        self.operator = operator
        self.crawl_id = str(uuid.uuid4())
        self.writer: WarcWriter | None = None
        self.closed = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarcArchiveExtension:
        settings = crawler.settings
        ext = cls(
            crawler,
            output=Path(settings.get("NEWSARCHIVE_OUTPUT") or "output"),
            prefix=settings.get("WARC_PREFIX") or "newsarchive",
            max_size=settings.getint("WARC_MAX_SIZE", 1_000_000_000),
            operator=settings.get("NEWSARCHIVE_OPERATOR") or "",
        )
        # Bound methods, not lambdas: Scrapy keeps only weak references to receivers.
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(ext.response_downloaded, signal=signals.response_downloaded)
        crawler.signals.connect(ext.page_judged, signal=na_signals.page_judged)
        crawler.newsarchive_warc = ext  # type: ignore[attr-defined]
        return ext

    # ------------------------------------------------------------------ signal handlers

    def spider_opened(self, spider: Spider) -> None:
        """Create the writer now: the warcinfo record needs the spider's name and user agent."""
        settings = self.crawler.settings
        # USER_AGENT is empty by default in this project: ArchivistUserAgentMiddleware composes
        # it, so ask the same function rather than recording an empty string.
        user_agent = getattr(spider, "user_agent", None) or compose_user_agent(settings)
        warcinfo = {
            "crawl-id": self.crawl_id,
            "outlet": spider.name,
            "operator": self.operator,
            # "classic" is the WARC spec's (annex) value for obeying robots.txt.
            "robots": "classic" if settings.getbool("ROBOTSTXT_OBEY") else "ignore",
            "http-header-user-agent": str(user_agent),
            "software": f"newsarchive/{__version__} Scrapy/{scrapy.__version__}",
        }
        self.writer = WarcWriter(
            self.directory, prefix=self.prefix, max_size=self.max_size, warcinfo=warcinfo
        )
        logger.info("Archiving to %s (crawl id %s)", self.directory, self.crawl_id)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        """Close (rename) the last file; publish final counters before stats are dumped."""
        if self.writer is None:
            return
        self.closed = True
        self.writer.close()
        self._update_stats()
        self.crawler.stats.set_value("newsarchive/warc/files", len(self.writer.files))

    def response_downloaded(self, response: Response, request: Request, spider: Spider) -> None:
        """Archive the exchange and leave the response's pointer in ``request.meta["warc"]``.

        ``response.meta`` is ``request.meta``, so the spider callback reads the pointer from
        ``response.meta["warc"]``.  A redirect's pointer is overwritten when the redirected
        request's own response is archived.
        """
        if self.writer is None or urlparse_cached(response).scheme not in ARCHIVED_SCHEMES:
            return
        ip = getattr(response, "ip_address", None)
        try:
            pointer = self.writer.write_exchange(
                url=response.url,
                method=request.method,
                request_headers=headers_as_list(request.headers),
                request_body=request.body or b"",
                protocol=getattr(response, "protocol", None) or "HTTP/1.1",
                status=response.status,
                reason="",  # Scrapy drops the reason phrase; the writer uses the standard one
                response_headers=headers_as_list(response.headers),
                body=response.body,
                ip_address=str(ip) if ip is not None else None,
                date=datetime.now(UTC),
                truncated=truncation_reason(response),
                rendered_by=rendered_by(response),
            )
        except OSError:
            # Disk full / permissions: log loudly and count, but let the crawl continue so
            # that an operator can see the failure in stats rather than a silent stop.
            logger.exception("Could not archive %s", response.url)
            self.crawler.stats.inc_value("newsarchive/warc/errors")
            return
        request.meta["warc"] = pointer.as_dict()
        self._update_stats()

    def page_judged(self, result: PageResult, response: Response, spider: Spider) -> None:
        """Record the verdict and encoding decision next to the response; the text for articles.

        The archive alone then carries bytes, judgement and text together.
        """
        warc = response.meta.get("warc")
        if not warc or self.writer is None or self.closed:
            return
        fields = {
            "outlet": result.outlet,
            "verdict": result.verdict,
            "verdict_reasons": result.verdict_reasons,
            "encoding": result.encoding,
            "extractor": result.extractor,
            "render": response.meta.get("render", getattr(spider, "render", "http")),
        }
        try:
            self.write_metadata(warc, response.url, fields)
            if result.is_article:
                self.write_conversion(warc, response.url, result.text)
        except OSError:
            logger.exception("Could not archive the metadata of %s", response.url)
            self.crawler.stats.inc_value("newsarchive/warc/errors")

    # ------------------------------------------------------------------ API for later components

    def write_metadata(self, warc: Mapping[str, Any], url: str, fields: Mapping[str, Any]) -> dict[str, Any]:
        """Attach a JSON metadata record to the response ``warc`` (a ``meta["warc"]`` dict)."""
        pointer = self._require_writer().write_metadata(RecordPointer.from_dict(warc), url, fields)
        self._update_stats()
        return pointer.as_dict()

    def write_conversion(self, warc: Mapping[str, Any], url: str, text: str) -> dict[str, Any]:
        """Attach the extracted text as a conversion record to the response ``warc``."""
        pointer = self._require_writer().write_conversion(RecordPointer.from_dict(warc), url, text)
        self._update_stats()
        return pointer.as_dict()

    # ------------------------------------------------------------------ internals

    def _require_writer(self) -> WarcWriter:
        # After spider_closed a write would silently start a new file nobody closes.
        if self.writer is None or self.closed:
            raise RuntimeError("WARC writer is not open (spider not opened yet, or already closed)")
        return self.writer

    def _update_stats(self) -> None:
        assert self.writer is not None
        stats = self.crawler.stats
        stats.set_value("newsarchive/warc/records", self.writer.records)
        stats.set_value("newsarchive/warc/bytes", self.writer.bytes_written)
        stats.set_value("newsarchive/warc/responses", self.writer.exchanges)
