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

Responses from scrapy-playwright are browser-rendered DOMs, not wire bytes.  Pages rendered by
``crawler.rendering`` are archived there (``ARCHIVED_BY_META``): the browser's own network exchanges,
and the DOM as a ``resource`` record.  Any other scrapy-playwright response is archived here as a
response record marked ``X-Newsarchive-Rendered-By: playwright`` (see :func:`rendered_by`).
"""

from __future__ import annotations

import functools
import json
import logging
import queue
import threading
import uuid
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urldefrag, urlsplit

import scrapy
from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.http import Headers, Response
from scrapy.http.request import NO_CALLBACK
from scrapy.responsetypes import responsetypes
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred
from twisted.python.failure import Failure

from archive.dedup import INDEX_DIR, INDEX_NAME, Capture, DigestIndex, Original
from archive.reader import read_response_at
from archive.writer import OPEN_SUFFIX, PROFILE_NOT_MODIFIED, ExchangeResult, RecordPointer, WarcWriter
from archive.writerproc import RemoteWarcWriter
from crawler import __version__
from crawler import signals as na_signals
from crawler.middlewares import TRUNCATED_META, compose_user_agent

if TYPE_CHECKING:  # the analysis stack (lxml, trafilatura, numpy) is not needed to archive
    from crawler.page import PageResult

logger = logging.getLogger(__name__)

#: data:, file:, s3:, ftp: responses also pass response_downloaded but are not HTTP exchanges.
ARCHIVED_SCHEMES = frozenset({"http", "https"})
#: Bodies at least this large are written by the writer thread (WARC_THREAD_THRESHOLD; 0: all).
DEFAULT_THREAD_THRESHOLD = 0
#: Where WARC records are serialised, digested and compressed (WARC_WRITER): "process" (a child
#: process, archive.writerproc: the crawl keeps its core), "thread" (a thread of this process)
#: or "inline" (in the reactor thread; simplest, slowest).
WRITER_MODES = ("process", "thread", "inline")
#: request.meta keys: the capture a conditional request revalidates; an off-thread write.
PREVIOUS_META = "warc_previous"
PENDING_META = "_warc_pending"
#: request.meta key set by a component that archives the exchange itself (the browser renderer writes
#: what the browser received); response_downloaded then leaves the response alone.
ARCHIVED_BY_META = "warc_archived_by"
#: Settings recorded in every warcinfo record: they decide what was fetched and how.
RECORDED_SETTINGS = (
    "ROBOTSTXT_OBEY", "DOWNLOAD_DELAY", "CONCURRENT_REQUESTS", "CONCURRENT_REQUESTS_PER_DOMAIN",
    "AUTOTHROTTLE_ENABLED", "DOWNLOAD_TIMEOUT", "DOWNLOAD_MAXSIZE", "RETRY_TIMES", "REDIRECT_MAX_TIMES",
    "COOKIES_ENABLED", "REPLICA", "WARC_DEDUP", "WARC_CONDITIONAL_GET", "WARC_MAX_SIZE", "WARC_GZIP_LEVEL",
)


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


def truncation_reason(response: Response, meta: Mapping[str, Any] | None = None) -> str | None:
    """WARC-Truncated value for responses Scrapy delivered incomplete, else None.

    ``dataloss``: the connection dropped before Content-Length was reached (only delivered
    when DOWNLOAD_FAIL_ON_DATALOSS is off); ``download_stopped``: a handler raised StopDownload,
    which is ``length`` when it was OversizeMiddleware cutting the body at DOWNLOAD_MAXSIZE (``meta``
    is the request's).
    """
    flags = set(response.flags or ())
    if "dataloss" in flags:
        return "disconnect"
    if "download_stopped" in flags:
        return "length" if meta is not None and meta.get(TRUNCATED_META) == "length" else "unspecified"
    return None


def rendered_by(response: Response) -> str | None:
    """Name of the browser integration that produced the body, if any.

    scrapy-playwright returns the rendered DOM re-encoded as the body, with the browser's
    headers minus Content-Encoding: not what the server sent.  It is still archived (so
    ``newsarchive extract`` can reproduce what the parser saw) but marked as such.
    """
    return "playwright" if "playwright" in (response.flags or ()) else None


@dataclass(slots=True)
class _Pending:
    """A response archived but not yet described by a metadata record."""

    warc: dict[str, Any]
    url: str
    status: int
    role: str
    render: str


def capture_role(request: Request, status: int) -> str:
    """What a fetch was for, from how it was requested: goes into its metadata record.

    robots.txt is fetched by Scrapy's RobotsTxtMiddleware with ``NO_CALLBACK``; redirects are
    answered by status; for the rest the callback's name says it (``parse_feed``...).
    """
    if request.callback is NO_CALLBACK or urlparse_cached(request).path.endswith("/robots.txt"):
        return "robots"
    if 300 <= status < 400 and status != 304:
        return "redirect"
    name = getattr(request.callback, "__name__", "") or "parse"
    for role in ("feed", "sitemap", "listing", "article"):
        if role in name:
            return role
    return "page"


class WarcArchiveExtension:
    """Writes a request + response WARC record pair for every downloaded HTTP response.

    The instance is also published as ``crawler.newsarchive_warc`` so that spiders and
    pipelines can attach ``metadata``/``conversion`` records to a response they processed
    (``crawler.extensions`` is not a public lookup-by-class API).

    Every response gets exactly one metadata record: the verdict when the page is judged
    (``page_judged``) or the spider writes one itself, otherwise a capture record (verdict
    null, with the fetch's role: robots, redirect, feed, sitemap...) written as soon as Scrapy
    is done with the response (see :meth:`_flush_pending`).  A download that produced no
    response (``download_failed``) leaves a metadata record with the error.

    Records are digested, compressed and written by a child process (``WARC_WRITER =
    "process"``, :mod:`archive.writerproc`), so compression (most of archiving's cost) runs on
    the other core instead of inside the crawl, and a 50 MB page does not freeze the reactor;
    :class:`WarcPointerMiddleware` holds each response back until its record is written and
    its pointer known.  Calls reach the child in the order made, so records keep capture order.
    Without that middleware each exchange is a synchronous call (the pointer is needed at once).
    ``WARC_WRITER = "thread"`` does the same in a thread for bodies of
    ``WARC_THREAD_THRESHOLD`` bytes or more (it competes with the reactor for the GIL: slower),
    ``"inline"`` everything on the reactor thread.
    """

    def __init__(
        self,
        crawler: Crawler,
        *,
        output: Path,
        prefix: str,
        max_size: int,
        operator: str,
        dedup: bool = True,
        cdxj: bool = True,
        thread_threshold: int = DEFAULT_THREAD_THRESHOLD,
        gzip_level: int = 6,
        writer_mode: str = "process",
    ) -> None:
        if writer_mode not in WRITER_MODES:
            raise ValueError(f"WARC_WRITER must be one of {', '.join(WRITER_MODES)}, not {writer_mode!r}")
        self.crawler = crawler
        self.output = output
        self.directory = output / "warc"
        self.prefix = prefix
        self.max_size = max_size
        self.operator = operator
        self.dedup_enabled = dedup
        self.cdxj_enabled = cdxj
        self.thread_threshold = thread_threshold
        self.gzip_level = gzip_level
        self.writer_mode = writer_mode
        self.crawl_id = str(uuid.uuid4())
        self.writer: WarcWriter | RemoteWarcWriter | None = None
        self.index: DigestIndex | None = None
        self.index_path: Path | None = None
        self.closed = False
        #: Set by WarcPointerMiddleware: only then may exchanges be written off-thread.
        self.pointer_middleware = False
        self._thread: WriterThread | None = None
        self._pending: dict[str, _Pending] = {}
        self._started = datetime.now(UTC)
        self._offthread = 0
        self._hosts_with_validators: dict[str, bool] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarcArchiveExtension:
        settings = crawler.settings
        ext = cls(
            crawler,
            output=Path(settings.get("NEWSARCHIVE_OUTPUT") or "output"),
            prefix=settings.get("WARC_PREFIX") or "newsarchive",
            max_size=settings.getint("WARC_MAX_SIZE", 1_000_000_000),
            operator=settings.get("NEWSARCHIVE_OPERATOR") or "",
            dedup=settings.getbool("WARC_DEDUP", True),
            cdxj=settings.getbool("WARC_CDXJ", True),
            thread_threshold=settings.getint("WARC_THREAD_THRESHOLD", DEFAULT_THREAD_THRESHOLD),
            gzip_level=settings.getint("WARC_GZIP_LEVEL", 6),
            writer_mode=(settings.get("WARC_WRITER") or "process").lower(),
        )
        # Bound methods, not lambdas: Scrapy keeps only weak references to receivers.
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(ext.response_downloaded, signal=signals.response_downloaded)
        crawler.signals.connect(ext.response_received, signal=signals.response_received)
        crawler.signals.connect(ext.request_scheduled, signal=signals.request_scheduled)
        crawler.signals.connect(ext.page_judged, signal=na_signals.page_judged)
        crawler.signals.connect(ext.download_failed, signal=na_signals.download_failed)
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
            # What shapes the capture, so that a reader of the archive can judge it.
            "scrapy-settings": json.dumps(
                {name: settings.get(name) for name in RECORDED_SETTINGS}, sort_keys=True, default=str
            ),
            "deduplication": "identical-payload-digest" if self.dedup_enabled else "none",
        }
        if self.dedup_enabled:
            self.index_path = self.output / INDEX_DIR / INDEX_NAME
            dedup_spec: dict[str, Any] | None = {"kind": "sqlite", "path": str(self.index_path)}
            if settings.get("REDIS_URL"):
                dedup_spec = {"kind": "redis", "url": settings["REDIS_URL"], "path": str(self.index_path),
                              "prefix": settings.get("REDIS_KEY_PREFIX") or "newsarchive"}
                # Shared frontier: dedup and revalidation across workers (archive.dedup_redis), the local
                # index kept too for the tools that read this folder.
                from archive.dedup_redis import RedisDigestIndex

                self.index = RedisDigestIndex.shared(  # type: ignore[assignment]
                    settings["REDIS_URL"], settings.get("REDIS_KEY_PREFIX") or "newsarchive", self.index_path)
            else:
                # Shared: several spiders of one process (newsarchive demo) write to one folder.
                self.index = DigestIndex.shared(self.index_path)
        else:
            dedup_spec = None
        if self.writer_mode == "process":
            from twisted.internet import reactor

            # The child writes the records and the digest index; self.index stays here for the
            # conditional-GET look-ups of earlier runs (read-only use).
            self.writer = RemoteWarcWriter(
                writer_kwargs={
                    "directory": self.directory, "prefix": self.prefix, "max_size": self.max_size,
                    "warcinfo": warcinfo, "collect_index": self.cdxj_enabled, "compress_level": self.gzip_level,
                },
                dedup=dedup_spec,
                deliver=reactor.callFromThread,  # type: ignore[attr-defined]
                schedule_flush=functools.partial(reactor.callLater, 0),  # type: ignore[attr-defined]
                on_failure=self._write_failed,
                on_exit=self._writer_exited,
            )
        else:
            self.writer = WarcWriter(
                self.directory, prefix=self.prefix, max_size=self.max_size, warcinfo=warcinfo,
                dedup=self.index, collect_index=self.cdxj_enabled, compress_level=self.gzip_level,
            )
        logger.info("Archiving to %s (crawl id %s)", self.directory, self.crawl_id)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        """Finish queued writes, describe what is left, close the file, write the CDXJ index."""
        if self.writer is None or self.closed:
            return
        if self._thread is not None:
            self._thread.close()  # every queued write is on disk after this
            self._thread = None
        for record_id in list(self._pending):
            self._flush_pending(record_id)
        self.closed = True
        stamp = self._started.strftime("%Y%m%d%H%M%S%f")
        path = self.output / INDEX_DIR / f"{self.prefix}-{stamp}-{spider.name}.cdxj"
        try:
            if isinstance(self.writer, RemoteWarcWriter):
                # The child writes the CDXJ itself: its entries need not cross the pipe.
                summary = self.writer.close(cdxj_path=path if self.cdxj_enabled else None)
                if summary.cdxj:
                    self.crawler.stats.set_value("newsarchive/warc/cdxj", summary.cdxj)
                if summary.cdxj_error:
                    logger.error("Could not write the CDXJ index %s", summary.cdxj_error)
                    self.crawler.stats.inc_value("newsarchive/warc/errors")
            else:
                self.writer.close()
        except OSError:
            # The writer process died: what it wrote is on disk (an .open file for `archive repair`).
            logger.exception("Could not close the WARC writer")
            self.crawler.stats.inc_value("newsarchive/warc/errors")
        index = getattr(self.writer, "index", None)  # the in-process writer's spool (thread/inline)
        if self.cdxj_enabled and index is not None and len(index):
            try:
                index.write_sorted(path)
                self.crawler.stats.set_value("newsarchive/warc/cdxj", str(path))
            except OSError:
                logger.exception("Could not write the CDXJ index %s", path)
                self.crawler.stats.inc_value("newsarchive/warc/errors")
        if index is not None:
            index.close()
        if self.index is not None:
            self.index.release()
        self._update_stats()
        self.crawler.stats.set_value("newsarchive/warc/files", len(self.writer.files))

    def response_downloaded(self, response: Response, request: Request, spider: Spider) -> None:
        """Archive the exchange and leave the response's pointer in ``request.meta["warc"]``.

        ``response.meta`` is ``request.meta``, so the spider callback reads the pointer from
        ``response.meta["warc"]``.  A redirect's pointer is overwritten when the redirected
        request's own response is archived.  A large body is handed to the writer thread and
        the pointer set by :class:`WarcPointerMiddleware` once written.
        """
        if self.writer is None or self.closed or urlparse_cached(response).scheme not in ARCHIVED_SCHEMES:
            return
        if request.meta.get(ARCHIVED_BY_META):
            return
        request.meta.pop("warc", None)  # a redirect or retry inherits the previous response's
        ip = getattr(response, "ip_address", None)
        previous = request.meta.get(PREVIOUS_META)
        not_modified_of = None
        if response.status == 304 and previous and previous.get("uri") == urldefrag(response.url).url:
            not_modified_of = Original.from_dict(previous)
        kwargs: dict[str, Any] = {
            "url": response.url,
            "method": request.method,
            "request_headers": headers_as_list(request.headers),
            "request_body": request.body or b"",
            "protocol": getattr(response, "protocol", None) or "HTTP/1.1",
            "status": response.status,
            "reason": "",  # Scrapy drops the reason phrase; the writer uses the standard one
            "response_headers": headers_as_list(response.headers),
            "body": response.body,
            "ip_address": str(ip) if ip is not None else None,
            "date": datetime.now(UTC),
            "truncated": truncation_reason(response, request.meta),
            "rendered_by": rendered_by(response),
            "not_modified_of": not_modified_of,
        }
        writer = self.writer
        if isinstance(writer, RemoteWarcWriter) and self.pointer_middleware:
            deferred_result: Deferred[ExchangeResult] = Deferred()
            try:
                writer.submit("write_exchange_detailed", (), kwargs, deferred_result.callback,
                              functools.partial(_errback, deferred_result))
            except OSError:
                logger.exception("Could not archive %s", response.url)
                self.crawler.stats.inc_value("newsarchive/warc/errors")
                return
            request.meta[PENDING_META] = deferred_result
            self._offthread += 1
            return
        offthread = (
            self.writer_mode == "thread" and self.pointer_middleware
            and (len(response.body) >= self.thread_threshold or self._busy())
        )
        if offthread:
            deferred: Deferred[ExchangeResult] = Deferred()
            request.meta[PENDING_META] = deferred
            self._writer_thread().submit(writer.write_exchange_detailed, kwargs, deferred)
            self._offthread += 1
            return
        try:
            result = writer.write_exchange_detailed(**kwargs)
        except OSError:
            # Disk full / permissions: log loudly and count, but let the crawl continue so
            # that an operator can see the failure in stats rather than a silent stop.
            logger.exception("Could not archive %s", response.url)
            self.crawler.stats.inc_value("newsarchive/warc/errors")
            return
        self.exchange_written(request, response, result)

    def exchange_written(self, request: Request, response: Response, result: ExchangeResult) -> None:
        """Reactor-thread bookkeeping once an exchange is on disk: pointer, pending metadata."""
        warc = result.pointer.as_dict()
        request.meta["warc"] = warc
        self._pending[result.pointer.record_id] = _Pending(
            warc=warc, url=response.url, status=response.status,
            role=capture_role(request, response.status),
            render=str(request.meta.get("render") or getattr(self.crawler.spider, "render", "http")),
        )
        if result.record_type == "revisit":
            self.crawler.stats.inc_value("newsarchive/warc/revisits")
            if result.profile == PROFILE_NOT_MODIFIED:
                self.crawler.stats.inc_value("newsarchive/warc/revisits/not_modified")

    def response_received(self, response: Response, request: Request, spider: Spider) -> None:
        """robots.txt (``NO_CALLBACK``) never reaches a callback: describe it now."""
        if request.callback is NO_CALLBACK:
            self._flush_warc(request.meta.get("warc"))

    def request_scheduled(self, request: Request, spider: Spider) -> None:
        """A request carrying a pointer was made from a response by a middleware (redirect, retry).

        RedirectMiddleware and RetryMiddleware copy ``meta``; the response they consumed
        never reaches the spider, so this is the moment to describe it.
        """
        self._flush_warc(request.meta.get("warc"))

    def callback_finished(self, response: Response) -> None:
        """Called by WarcSpiderMiddleware when the spider is done with a response."""
        self._flush_warc(response.meta.get("warc"))

    def page_judged(self, result: PageResult, response: Response, spider: Spider) -> None:
        """Record the verdict and encoding decision next to the response; the text for articles.

        The archive alone then carries bytes, judgement and text together.
        """
        warc = response.meta.get("warc")
        if not warc or self.writer is None or self.closed:
            return
        pending = self._pending.pop(warc["record_id"], None)
        fields = {
            "outlet": result.outlet,
            "verdict": result.verdict,
            "verdict_reasons": result.verdict_reasons,
            "encoding": result.encoding,
            "extractor": result.extractor,
            "render": response.meta.get("render", getattr(spider, "render", "http")),
            "role": pending.role if pending else capture_role(response.request or Request(response.url), response.status),
            "status": response.status,
        }
        pointer = RecordPointer.from_dict(warc)
        self._write(self._writer_or_none().write_metadata, pointer, response.url, fields)
        if result.is_article:
            self._write(self._writer_or_none().write_conversion, pointer, response.url, result.text)

    def download_failed(self, request: Request | None, failure: Failure, spider: Spider) -> None:
        """A download that produced no response still leaves a trace: a metadata record.

        It has no WARC-Refers-To (there is no response to refer to); its WARC-Target-URI is
        the URL and its JSON says what went wrong.  Retries happen before this (Scrapy's
        RetryMiddleware), so one record stands for the final failure.
        """
        if request is None or self.writer is None or self.closed:
            return
        if urlparse_cached(request).scheme not in ARCHIVED_SCHEMES:
            return
        fields = {
            "outlet": spider.name,
            "verdict": None,
            "role": "download-failure",
            "method": request.method,
            "retry_times": request.meta.get("retry_times", 0),
            "error": {"type": failure.type.__name__ if failure.type else "Error",
                      "message": failure.getErrorMessage()},
        }
        self.crawler.stats.inc_value("newsarchive/warc/failures")
        self._write(self._writer_or_none().write_metadata, None, urldefrag(request.url).url, fields)

    # ------------------------------------------------------------------ API for later components

    def write_metadata(
        self, warc: Mapping[str, Any] | None, url: str, fields: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Attach a JSON metadata record to the record ``warc`` (a ``meta["warc"]`` dict).

        It replaces the capture record the extension would otherwise write for that response.
        ``warc`` None writes a record that stands alone for ``url`` (a failure with no response).
        """
        writer = self._require_writer()
        if warc is None:
            return self._call(writer.write_metadata, None, url, fields).as_dict()
        self._pending.pop(str(warc.get("record_id")), None)
        pointer = self._call(writer.write_metadata, RecordPointer.from_dict(warc), url, fields)
        return pointer.as_dict()

    def write_exchange(self, **kwargs: Any) -> dict[str, Any]:
        """Write an exchange captured outside Scrapy's downloader (the browser's network traffic).

        Takes :meth:`WarcWriter.write_exchange_detailed`'s arguments; dedup applies as to any capture.
        """
        writer = self._require_writer()
        result: ExchangeResult = self._call(functools.partial(writer.write_exchange_detailed, **kwargs))
        if result.record_type == "revisit":
            self.crawler.stats.inc_value("newsarchive/warc/revisits")
        warc = result.pointer.as_dict()
        # Like every response, it gets a metadata record: the caller's (write_metadata), or
        # the capture record written when the spider closes.
        self._pending[result.pointer.record_id] = _Pending(
            warc=warc, url=str(kwargs.get("url", "")), status=int(kwargs.get("status", 0)), role="browser",
            render="browser",
        )
        return warc

    def write_resource(
        self, url: str, content_type: str, block: bytes, *, concurrent_to: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """Write a ``resource`` record (rendered DOM, screenshot), WARC-Concurrent-To a response."""
        writer = self._require_writer()
        related = RecordPointer.from_dict(concurrent_to) if concurrent_to else None
        pointer = self._call(functools.partial(writer.write_resource, concurrent_to=related), url, content_type, block)
        return pointer.as_dict()

    def write_conversion(self, warc: Mapping[str, Any], url: str, text: str) -> dict[str, Any]:
        """Attach the extracted text as a conversion record to the response ``warc``."""
        writer = self._require_writer()
        pointer = self._call(writer.write_conversion, RecordPointer.from_dict(warc), url, text)
        return pointer.as_dict()

    def previous_capture(self, url: str) -> Capture | None:
        """The latest full capture of ``url`` in earlier runs into this output folder (conditional GET).

        Whether a host has anything to revalidate is asked once per host and run, so a first
        crawl (or a site that sends no validators) pays no per-request look-up.
        """
        if self.index is None or self.closed:
            return None
        url = urldefrag(url).url
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}/"
        known = self._hosts_with_validators.get(origin)
        if known is None:
            known = self._hosts_with_validators[origin] = self.index.has_validators_under(origin)
        return self.index.capture(url) if known else None

    def warc_path(self, name: str) -> Path:
        """Path of an archived file by its final name (or its ``.open`` twin while written)."""
        path = self.directory / name
        return path if path.exists() else path.with_name(name + OPEN_SUFFIX)

    # ------------------------------------------------------------------ internals

    def _flush_warc(self, warc: Mapping[str, Any] | None) -> None:
        if warc:
            self._flush_pending(str(warc.get("record_id")))

    def _flush_pending(self, record_id: str) -> None:
        """Write the capture metadata record of a response nobody judged."""
        pending = self._pending.pop(record_id, None)
        if pending is None or self.writer is None or self.closed:
            return
        spider = self.crawler.spider
        fields = {
            "outlet": getattr(spider, "name", None),
            "verdict": None,
            "verdict_reasons": [],
            "role": pending.role,
            "status": pending.status,
            "render": pending.render,
        }
        self._write(self.writer.write_metadata, RecordPointer.from_dict(pending.warc), pending.url, fields)

    def _write_failed(self, method: str, exc: BaseException) -> None:
        """A queued write failed in the writer process (disk full...): loud, counted, crawl goes on."""
        logger.error("WARC write (%s) failed: %s", method, exc)
        self.crawler.stats.inc_value("newsarchive/warc/errors")

    def _writer_exited(self, code: int | None) -> None:
        """The writer process died: stop the crawl rather than fetch pages nobody archives."""
        if self.closed:
            return
        logger.critical("The WARC writer process exited unexpectedly (code %s): closing the crawl", code)
        self.crawler.stats.set_value("newsarchive/warc/writer_exit_code", code)
        engine = self.crawler.engine
        if engine is not None and getattr(engine, "spider", None) is not None:
            from scrapy.utils.defer import deferred_from_coro

            deferred_from_coro(engine.close_spider_async(reason="warc_writer_failed"))

    def _writer_or_none(self) -> WarcWriter | RemoteWarcWriter:
        assert self.writer is not None
        return self.writer

    def _writer_thread(self) -> WriterThread:
        if self._thread is None:
            self._thread = WriterThread()
        return self._thread

    def _busy(self) -> bool:
        """Writes are queued: a new one must queue too, or records would leave capture order."""
        return self._thread is not None and self._thread.pending > 0

    def _write(self, fn: Callable[..., Any], *args: Any) -> None:
        """Fire-and-forget write (metadata, conversion): queued if the writer thread runs, else inline."""
        if isinstance(self.writer, RemoteWarcWriter):
            try:
                self.writer.submit(fn.__name__, args)
            except OSError:
                logger.exception("Could not write a WARC record for %s", args[1] if len(args) > 1 else "?")
                self.crawler.stats.inc_value("newsarchive/warc/errors")
            return
        if self._thread is not None:
            assert self._thread is not None
            self._thread.submit(fn, {}, None, args)
            return
        try:
            fn(*args)
        except OSError:
            logger.exception("Could not write a WARC record for %s", args[1] if len(args) > 1 else "?")
            self.crawler.stats.inc_value("newsarchive/warc/errors")

    def _call(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Write and return the pointer (public API): waits if writes are queued."""
        if self._busy():
            assert self._thread is not None
            return self._thread.call(fn, *args)
        return fn(*args)

    def _require_writer(self) -> WarcWriter | RemoteWarcWriter:
        # After spider_closed a write would silently start a new file nobody closes.
        if self.writer is None or self.closed:
            raise RuntimeError("WARC writer is not open (spider not opened yet, or already closed)")
        return self.writer

    def _update_stats(self) -> None:
        """Counters are published when the spider closes (per-write updates cost more than they tell)."""
        assert self.writer is not None
        stats = self.crawler.stats
        if self._offthread:
            stats.set_value("newsarchive/warc/offthread_writes", self._offthread)
        stats.set_value("newsarchive/warc/records", self.writer.records)
        stats.set_value("newsarchive/warc/bytes", self.writer.bytes_written)
        stats.set_value("newsarchive/warc/responses", self.writer.exchanges)


def _errback(deferred: Deferred[Any], exc: BaseException) -> None:
    deferred.errback(Failure(exc))


class WarcPointerMiddleware:
    """Downloader middleware: holds a response until its off-thread WARC write is done.

    It must be the first to see responses (order above every other downloader middleware,
    e.g. 950) so that nothing downstream, redirects and retries included, runs before
    ``request.meta["warc"]`` points at the record.  Small bodies are written inline at
    ``response_downloaded`` and pass straight through.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        ext = getattr(crawler, "newsarchive_warc", None)
        if ext is not None:
            ext.pointer_middleware = True

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarcPointerMiddleware:
        return cls(crawler)

    async def process_response(self, request: Request, response: Response) -> Response:
        deferred = request.meta.pop(PENDING_META, None)
        if deferred is None:
            return response
        ext: WarcArchiveExtension = self.crawler.newsarchive_warc  # type: ignore[attr-defined]
        try:
            result = await maybe_deferred_to_future(deferred)
        except OSError:
            logger.exception("Could not archive %s", response.url)
            self.crawler.stats.inc_value("newsarchive/warc/errors")
            return response
        ext.exchange_written(request, response, result)
        return response


class WriterThread:
    """One thread that performs WARC writes in submission order.

    Lighter than a ThreadPoolExecutor per write (no Future objects, no lock: ``submitted`` is
    only written by the reactor thread and ``completed`` only by this one): a crawl submits two
    or three writes per page.  An exchange's result is handed back to the reactor thread by
    firing its Deferred with ``callFromThread``; metadata writes return nothing.
    """

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self.submitted = 0
        self.completed = 0
        self._thread = threading.Thread(target=self._run, name="warc-writer", daemon=True)
        self._thread.start()

    @property
    def pending(self) -> int:
        return self.submitted - self.completed

    def submit(
        self, fn: Callable[..., Any], kwargs: dict[str, Any], deferred: Deferred[Any] | None, args: tuple[Any, ...] = ()
    ) -> None:
        self.submitted += 1
        self._queue.put((fn, args, kwargs, deferred, None))

    def call(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Queue a write and wait for its result (blocks the caller until the queue drains)."""
        done = threading.Event()
        box: list[Any] = []
        self.submitted += 1
        self._queue.put((fn, args, {}, None, (done, box)))
        done.wait()
        if isinstance(box[0], BaseException):
            raise box[0]
        return box[0]

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join()

    def _run(self) -> None:
        from twisted.internet import reactor

        while (job := self._queue.get()) is not None:
            fn, args, kwargs, deferred, waiter = job
            try:
                result: Any = fn(*args, **kwargs)
            except BaseException as exc:
                result = exc
                if deferred is None and waiter is None:
                    logger.error("WARC write failed on the writer thread: %r", exc)
            self.completed += 1
            if deferred is not None:
                fire = deferred.errback if isinstance(result, BaseException) else deferred.callback
                value = Failure(result) if isinstance(result, BaseException) else result
                reactor.callFromThread(fire, value)  # type: ignore[attr-defined]
            if waiter is not None:
                waiter[1].append(result)
                waiter[0].set()


class WarcSpiderMiddleware:
    """Spider middleware: tells the extension when the spider is done with a response.

    Feeds, sitemaps and other pages whose callback does not judge them then get their
    capture metadata record at once rather than when the crawl closes.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarcSpiderMiddleware:
        return cls(crawler)

    def _done(self, response: Response) -> None:
        ext = getattr(self.crawler, "newsarchive_warc", None)
        if ext is not None:
            ext.callback_finished(response)

    def process_spider_output(self, response: Response, result: Iterable[Any]) -> Iterator[Any]:
        try:
            yield from result
        finally:
            self._done(response)

    async def process_spider_output_async(self, response: Response, result: AsyncIterator[Any]) -> AsyncIterator[Any]:
        try:
            async for item in result:
                yield item
        finally:
            self._done(response)

    def process_spider_exception(self, response: Response, exception: Exception) -> None:
        self._done(response)


class ConditionalGetMiddleware:
    """Downloader middleware: revalidate what an earlier run captured; replay 304s from the archive.

    process_request adds ``If-None-Match`` / ``If-Modified-Since`` from the URL's latest full
    capture in this output folder (``indexes/digests.sqlite``).  A ``304 Not Modified`` is
    archived by the extension as a server-not-modified revisit; here it is replaced by the
    archived response (status, headers refreshed by the 304's, payload), so the spider
    extracts the article again and its ``warc`` pointer names the revisit record, which
    ``archive.reader.read_response_at`` resolves to the payload.

    Order 595: after RedirectMiddleware (600) and before HttpCompressionMiddleware (590) on
    the way back, so the replayed payload is decompressed like a fresh one.
    """

    #: Headers of a 304 that must not replace the stored response's (RFC 9111 §3.2).
    KEEP_STORED = frozenset({b"content-length", b"content-encoding", b"transfer-encoding", b"content-type"})

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.enabled = crawler.settings.getbool("WARC_CONDITIONAL_GET", True)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ConditionalGetMiddleware:
        return cls(crawler)

    def _ext(self) -> WarcArchiveExtension | None:
        return getattr(self.crawler, "newsarchive_warc", None)

    def process_request(self, request: Request) -> None:
        previous = request.meta.get(PREVIOUS_META)
        if previous:
            if previous.get("uri") == urldefrag(request.url).url:
                return  # a retry of our own conditional request: headers and meta still hold
            # A redirect copied another URL's validators: they do not apply here.
            del request.meta[PREVIOUS_META]
            for name in (b"If-None-Match", b"If-Modified-Since"):
                request.headers.pop(name, None)
        ext = self._ext()
        if (
            not self.enabled or ext is None or request.method != "GET"
            or request.meta.get("dont_revalidate")
            or b"If-None-Match" in request.headers or b"If-Modified-Since" in request.headers
        ):
            return
        capture = ext.previous_capture(request.url)
        if capture is None or not (capture.etag or capture.last_modified):
            return
        if capture.etag:
            request.headers[b"If-None-Match"] = capture.etag
        if capture.last_modified:
            request.headers[b"If-Modified-Since"] = capture.last_modified
        request.meta[PREVIOUS_META] = capture.original.as_dict()
        self.crawler.stats.inc_value("newsarchive/conditional_get/sent")

    def process_response(self, request: Request, response: Response) -> Response:
        previous = request.meta.get(PREVIOUS_META)
        ext = self._ext()
        if response.status != 304 or not previous or ext is None:
            return response
        original = Original.from_dict(previous)
        try:
            stored = read_response_at(ext.warc_path(original.file), original.offset, resolve=False)
        except (OSError, ValueError) as exc:
            logger.warning("304 for %s but its capture %s is unreadable: %s", request.url, original.record_id, exc)
            return response
        headers = Headers()
        for name, value in stored.headers:
            headers.appendlist(name.encode("latin-1"), value.encode("latin-1"))
        for name, values in response.headers.items():
            if name.lower() not in self.KEEP_STORED:
                headers.setlist(name, values)
        cls = responsetypes.from_args(headers=headers, url=response.url, body=stored.payload)
        self.crawler.stats.inc_value("newsarchive/conditional_get/not_modified")
        return cls(
            url=response.url, status=stored.status, headers=headers, body=stored.payload,
            flags=[*response.flags, "revalidated"], request=request,
            ip_address=response.ip_address, protocol=response.protocol,
        )
