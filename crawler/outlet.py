"""The base of every outlet spider: discovery, URL recognition, page analysis, items.

An outlet module (``spiders/<outlet>.py``) declares, like a Fundus publisher: its domain, its
sources (home, sections, feeds, sitemaps), which URLs are articles and which are listings, the
languages it writes, and its versioned parsers. This class does the rest, so the same discovery
and judging rules hold for every outlet.

Spiders think in the outlet's real URLs; with the replica switch (setting ``REPLICA`` or
``NEWSARCHIVE_REPLICA``) every request is translated into the replica's URL space at the edge.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.parse import urlsplit

import scrapy
from lxml import etree
from scrapy.http import Request, Response
from scrapy.settings import BaseSettings
from scrapy.utils.sitemap import Sitemap
from twisted.python.failure import Failure

from crawler import signals as na_signals
from crawler.items import ArticleItem
from crawler.page import PageResult
from crawler.parsing import ArticleParser
from crawler.probe import SiteEvidence, default_probe_url
from crawler.since import before, news_publication_dates, parse_since
from crawler.urls import outlet_url, replica_base, to_replica

logger = logging.getLogger(__name__)

#: Settings relaxed in replica mode: they protect remote servers, and the replica is local.
REPLICA_POLITENESS = {
    "DOWNLOAD_DELAY": 0,
    "AUTOTHROTTLE_START_DELAY": 0.05,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
}


#: In replica mode a rendered page that has not loaded in this many seconds never will (the server is local).
REPLICA_RENDER_TIMEOUT = 10

#: Request meta key of the redirect chain the spider followed itself (Scrapy's own is "redirect_urls").
REDIRECTS_META = "newsarchive_redirects"
#: Scheduler priority of article requests, above listings' 0: articles are leaves (they yield no
#: requests), so fetching them before walking on keeps Scrapy's in-memory frontier to what the
#: listings fetched so far announced, instead of every article of the site (~1 KB each; 50 MB at
#: 50,000 articles, bench/suite.py).
ARTICLE_PRIORITY = 10

_DIGITS = re.compile(r"\d+")


def listing_shape(url: str) -> str:
    """A listing URL with its numbers masked: ``/calendar/2026/11/23`` is ``/calendar/#/#/#``.

    Crawl traps (calendars, date archives, session ids, ever-growing page numbers) make new URLs that
    differ only in numbers; NEWSARCHIVE_MAX_LISTINGS_PER_PATTERN bounds how many of one shape a crawl walks.
    """
    parts = urlsplit(outlet_url(url))
    return _DIGITS.sub("#", parts.path + (f"?{parts.query}" if parts.query else ""))


class OutletSpider(scrapy.Spider):
    """Base class of outlet spiders; subclasses only declare the outlet."""

    #: The outlet's registered domain; URLs on it or its subdomains belong to the outlet.
    domain: ClassVar[str] = ""
    #: Home page (real URL). A removed article redirecting here is a soft-404.
    home: ClassVar[str] = ""
    sections: ClassVar[Sequence[str]] = ()
    feeds: ClassVar[Sequence[str]] = ()
    sitemaps: ClassVar[Sequence[str]] = ()
    #: ISO 639-1 codes the outlet publishes in (guides encoding repair and language detection).
    languages: ClassVar[Sequence[str]] = ()
    #: Matched against the real URL's path (with ``?query``): which links are articles.
    article_urls: ClassVar[re.Pattern[str]] = re.compile(r"$^")
    #: Which links are listing pages worth walking (sections, pagination); None: only ``sections``.
    listing_urls: ClassVar[re.Pattern[str] | None] = None
    #: Parser versions, newest first: the first whose layout matches reads the page.
    parsers: ClassVar[Sequence[type[ArticleParser]]] = ()
    #: Whole paragraphs that are the outlet's boilerplate (disclaimers, marker lines).
    boilerplate: ClassVar[Sequence[re.Pattern[str]]] = ()
    #: A paragraph where the article ends; it and everything after it are dropped.
    stop_at: ClassVar[Sequence[re.Pattern[str]]] = ()
    #: "http", or "browser": the outlet's HTML pages are rendered in Chromium (crawler.rendering).
    #: With "http", a page that turns out to be an app shell is still rendered (NEWSARCHIVE_RENDER_AUTO).
    render: ClassVar[str] = "http"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.replica = ""
        self.allowed_domains = [self.domain]
        #: Per-host probe and template memory of this crawl (crawler.probe); every page is judged with it.
        self.evidence = SiteEvidence()
        #: Listing pages requested, per URL shape (listing_shape), and listing links not followed (URL ->
        #: "depth" or "pattern", the bound that stopped it): the crawl-trap bounds and their trace.
        self._listings_requested: set[str] = set()
        self._listing_shapes: dict[str, int] = {}
        self._listings_cut: dict[str, str] = {}
        # ``-a since=YYYY-MM-DD``: feed and sitemap entries dated earlier are not requested.
        self.since = parse_since(getattr(self, "since", None))

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> OutletSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.replica = replica_base(crawler.settings.get("REPLICA"))
        if spider.replica:
            spider.allowed_domains = [urlsplit(spider.replica).hostname or "127.0.0.1"]
        spider.max_listing_pages = crawler.settings.getint("NEWSARCHIVE_MAX_LISTING_PAGES", 5)
        spider.max_listings_per_pattern = crawler.settings.getint("NEWSARCHIVE_MAX_LISTINGS_PER_PATTERN", 50)
        spider.max_redirects = crawler.settings.getint("REDIRECT_MAX_TIMES", 20)
        spider.auto_render = crawler.settings.getbool("NEWSARCHIVE_RENDER_AUTO", True)
        return spider

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        super().update_settings(settings)
        if replica_base(settings.get("REPLICA")) and settings.getbool("REPLICA_RELAX_POLITENESS", True):
            for name, value in REPLICA_POLITENESS.items():
                settings.set(name, value, priority="spider")
        if replica_base(settings.get("REPLICA")):
            settings.set("NEWSARCHIVE_RENDER_TIMEOUT", REPLICA_RENDER_TIMEOUT, priority="spider")

    # --- URL recognition (real URL space) -----------------------------------------------------
    @classmethod
    def owns(cls, url: str) -> bool:
        host = (urlsplit(outlet_url(url)).hostname or "").lower()
        return host == cls.domain or host.endswith("." + cls.domain)

    @classmethod
    def url_kind(cls, url: str) -> str | None:
        """"article", "listing" or None, from the outlet's URL patterns."""
        parts = urlsplit(outlet_url(url))
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        if cls.article_urls.search(path):
            return "article"
        if cls.listing_urls is not None and cls.listing_urls.search(path):
            return "listing"
        if path in ("", "/") or any(outlet_url(url) == s for s in (cls.home, *cls.sections)):
            return "listing"
        return None

    def fetch_url(self, url: str) -> str:
        """The URL to request for an outlet URL: itself, or its replica twin."""
        return to_replica(url, self.replica)

    @classmethod
    def probe_url(cls, article_url: str) -> str | None:
        """A URL of this outlet that cannot exist but looks like ``article_url`` (real URL space).

        Fetched once per host and crawl (crawler.probe); the default changes the article id and
        the slug.  Override when the outlet's ids are not digits in the path or query; return
        None to never probe.  Must be deterministic: ``newsarchive extract`` finds the archived
        probe again by recomputing it.
        """
        return default_probe_url(article_url)

    # --- discovery ---------------------------------------------------------------------------
    async def start(self) -> AsyncIterator[Request]:
        for url in self.feeds:
            yield Request(self.fetch_url(url), callback=self.parse_feed, errback=self.on_error)
        for url in self.sitemaps:
            yield Request(self.fetch_url(url), callback=self.parse_sitemap, errback=self.on_error)
        for url in (self.home, *self.sections):
            if url:
                yield Request(
                    self.fetch_url(url), callback=self.parse_listing, errback=self.on_error,
                    cb_kwargs={"page": 1}, meta=self.page_meta(),
                )

    def article_request(self, url: str, redirect_urls: Sequence[str] = ()) -> Request:
        # Redirects of article URLs are followed by the spider itself (see follow_redirect), so
        # that a removed article redirecting home is judged, not dropped by the duplicate filter.
        meta = {"dont_redirect": True, REDIRECTS_META: list(redirect_urls), **self.page_meta()}
        return Request(url, callback=self.parse_article, errback=self.on_error, meta=meta, priority=ARTICLE_PRIORITY)

    # --- rendering (crawler.rendering; imported on use: it pulls in Playwright, which only a
    # crawl needs, not ``newsarchive extract``) -------------------------------------------------
    def page_meta(self) -> dict[str, Any]:
        """Request meta of an HTML page (home, section, article): which download path it takes."""
        from crawler.rendering import page_meta

        return page_meta(self.render)

    def render_again(self, response: Response) -> Request | None:
        """The request again, for the browser, when a plain-HTTP page is an app shell; else None."""
        if not self.auto_render or response.meta.get("render") == "browser":
            return None
        from crawler.rendering import note_app_shell, rerender_request, response_app_shell_reasons

        reasons = response_app_shell_reasons(response)
        if not reasons:
            return None
        logger.info("App shell at %s (%s): rendering it in the browser", response.url, ", ".join(reasons))
        note_app_shell(self.crawler, response, reasons)
        return rerender_request(response, reasons, keep=(REDIRECTS_META,))

    def _discovery_failed(self, response: Response, what: str) -> bool:
        if response.status < 400:
            return False
        logger.warning("%s %s answered %d; nothing discovered from it", what, response.url, response.status)
        self.crawler.stats.inc_value(f"newsarchive/discovery_errors/{what}")
        return True

    def parse_feed(self, response: Response) -> Iterator[Request]:
        """RSS 2.0 and Atom: every item link that is an article of this outlet."""
        if self._discovery_failed(response, "feed"):
            return
        try:
            root = etree.fromstring(response.body, parser=etree.XMLParser(recover=True, resolve_entities=False))
        except etree.XMLSyntaxError:
            root = None
        if root is None:
            logger.warning("Feed %s is not XML; nothing discovered from it", response.url)
            self.crawler.stats.inc_value("newsarchive/discovery_errors/feed")
            return
        for item in root.xpath("//item | //*[local-name()='entry']"):
            dates = [item.findtext(f"{{*}}{tag}") for tag in ("pubDate", "published", "date", "updated")]
            if before(self.since, *dates):
                self.crawler.stats.inc_value("newsarchive/since_skipped")
                continue
            for link in item.xpath("link/text() | *[local-name()='link']/@href"):
                url = response.urljoin(str(link).strip())
                if self.owns(url) and self.url_kind(url) == "article":
                    yield self.article_request(url)

    def parse_sitemap(self, response: Response) -> Iterator[Request]:
        """Sitemap indexes are followed; URL sets give article requests."""
        if self._discovery_failed(response, "sitemap"):
            return
        try:
            sitemap = Sitemap(response.body)
        except (etree.XMLSyntaxError, ValueError):
            logger.warning("Sitemap %s is not XML; nothing discovered from it", response.url)
            self.crawler.stats.inc_value("newsarchive/discovery_errors/sitemap")
            return
        news_dates = news_publication_dates(response.body) if self.since else {}
        for entry in sitemap:
            loc = response.urljoin(entry.get("loc", "").strip())
            # A sub-sitemap last changed before ``since`` only lists older pages.
            if before(self.since, news_dates.get(entry.get("loc", "").strip()), entry.get("lastmod")):
                self.crawler.stats.inc_value("newsarchive/since_skipped")
                continue
            if sitemap.type == "sitemapindex":
                yield Request(loc, callback=self.parse_sitemap, errback=self.on_error)
            elif self.owns(loc) and self.url_kind(loc) == "article":
                yield self.article_request(loc)

    def parse_listing(self, response: Response, page: int = 1) -> Iterator[Request]:
        """Home and section pages: follow article links, and listing links up to the page bound."""
        again = self.render_again(response)
        if again is not None:
            yield again
            return
        self.judge(response)
        if response.status >= 400 or not hasattr(response, "css"):
            return
        for href in response.css("a::attr(href)").getall():
            url = response.urljoin(href.strip())
            if not url.startswith(("http://", "https://")) or not self.owns(url):
                continue
            kind = self.url_kind(url)
            if kind == "article":
                yield self.article_request(url)
            elif kind == "listing":
                request = self.listing_request(url, page + 1)
                if request is not None:
                    yield request

    def listing_request(self, url: str, page: int) -> Request | None:
        """A listing link worth walking, within the crawl-trap bounds; None (counted) when out of bounds.

        Two bounds, so that no site can keep a crawl walking forever: ``page`` (links followed from the
        home or a section) stays within NEWSARCHIVE_MAX_LISTING_PAGES, and at most
        NEWSARCHIVE_MAX_LISTINGS_PER_PATTERN listing pages of one URL shape are requested: an endless
        calendar or date archive links new dates at every step, and a high fan-out trap breeds pages
        faster than any depth bound stops them. Articles are leaves (their links are never followed), so
        neither bound can cost an article a feed, a sitemap or a first-page listing names. Links not
        followed are counted (run report: ``listing_links_not_followed``) and each capped pattern named.
        """
        if url in self._listings_requested:
            return None  # asked for already: the scheduler's duplicate filter would drop it anyway
        stats = self.crawler.stats
        shape = listing_shape(url)
        if page > self.max_listing_pages:
            reason = "depth"
        elif self._listing_shapes.get(shape, 0) >= self.max_listings_per_pattern:
            reason = "pattern"
        else:
            self._listing_shapes[shape] = self._listing_shapes.get(shape, 0) + 1
            self._listings_requested.add(url)
            cut = self._listings_cut.pop(url, None)
            if cut is not None:  # stopped on a longer path before, reached on a shorter one now
                stats.inc_value(f"newsarchive/listing_bound/{cut}", -1)
            return Request(
                url, callback=self.parse_listing, errback=self.on_error, cb_kwargs={"page": page},
                meta=self.page_meta(),
            )
        if url not in self._listings_cut:
            self._listings_cut[url] = reason
            stats.inc_value(f"newsarchive/listing_bound/{reason}")
            if reason == "pattern":
                capped = stats.get_value("newsarchive/listing_bound/patterns") or []
                if shape not in capped:
                    logger.warning(
                        "Listing pattern %s reached its bound (%d pages, NEWSARCHIVE_MAX_LISTINGS_PER_PATTERN): "
                        "a crawl trap or a very long archive; further pages like %s are not walked",
                        shape, self.max_listings_per_pattern, url,
                    )
                    stats.set_value("newsarchive/listing_bound/patterns", [*capped, shape])
        return None

    # --- articles ------------------------------------------------------------------------------
    def judge(self, response: Response) -> PageResult:
        """Analyse a page and tell the listeners (run report, WARC metadata)."""
        content_type = response.headers.get(b"Content-Type", b"").decode("latin-1") or None
        result = self.evidence.analyse(
            response.url,
            response.status,
            response.body,
            content_type=content_type,
            outlet=type(self),
            redirect_urls=response.meta.get(REDIRECTS_META) or response.meta.get("redirect_urls", ()),
        )
        self.crawler.stats.inc_value(f"newsarchive/verdict/{result.verdict}")
        self.crawler.signals.send_catch_log(
            signal=na_signals.page_judged, result=result, response=response, spider=self
        )
        return result

    def follow_redirect(self, response: Response) -> Iterator[Request]:
        """Follow an article's redirect: to another article normally, elsewhere always.

        A removed article often redirects to the home page or a section, which the crawl has
        already fetched; that target is fetched again (dont_filter) so the page is judged with
        its redirect chain (``redirect-to-home``) instead of vanishing as a duplicate.
        """
        location = response.headers.get(b"Location", b"").decode("latin-1").strip()
        chain = [*response.meta.get(REDIRECTS_META, ()), response.url]
        if not location or len(chain) > self.max_redirects:
            logger.warning("Redirect without target or too long a chain (%d) at %s", len(chain), response.url)
            self.crawler.stats.inc_value("newsarchive/redirect_failures")
            self.judge(response)
            return
        target = response.urljoin(location)
        if target in chain:
            # The duplicate filter would drop the request silently; judging the page puts the loop, with
            # its chain, in the run report and the WARC metadata.
            logger.warning("Redirect loop at %s: %s is already in its chain of %d", response.url, target, len(chain))
            self.crawler.stats.inc_value("newsarchive/redirect_loops")
            self.judge(response)
            return
        if not self.owns(target):
            logger.warning("Article %s redirects off the outlet to %s; not followed", response.url, target)
            self.crawler.stats.inc_value("newsarchive/redirect_offsite")
            self.judge(response)
            return
        request = self.article_request(target, redirect_urls=chain)
        if self.url_kind(target) != "article":
            request = request.replace(dont_filter=True)
        yield request

    def parse_article(self, response: Response) -> Iterator[ArticleItem | Request]:
        if 300 <= response.status < 400 and response.status != 304:
            yield from self.follow_redirect(response)
            return
        again = self.render_again(response)
        if again is not None:
            yield again
            return
        result = self.judge(response)
        if not result.is_article:
            logger.info("Not an article (%s: %s): %s", result.verdict, ",".join(result.verdict_reasons), response.url)
            return
        record = result.as_record()
        item = ArticleItem(
            **{k: record[k] for k in ArticleItem.fields if k in record},
            render=response.meta.get("render", self.render),
            fetched_at=response.meta.get("warc", {}).get("date")
            or datetime.now(UTC).isoformat(timespec="seconds"),
            warc=response.meta.get("warc"),
        )
        if response.meta.get("rendered_dom"):
            item["rendered_dom"] = response.meta["rendered_dom"]
        yield item

    def on_error(self, failure: Failure) -> None:
        """A download failed below HTTP: log it, count it, tell the report. The crawl goes on."""
        request = getattr(failure, "request", None)
        url = request.url if request is not None else "?"
        logger.warning("Download failed for %s: %s", url, failure.getErrorMessage())
        self.crawler.stats.inc_value("newsarchive/download_failures")
        self.crawler.signals.send_catch_log(
            signal=na_signals.download_failed, request=request, failure=failure, spider=self
        )
