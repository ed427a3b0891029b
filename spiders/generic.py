"""The generic spider: any other site, by outlet profile or by URL alone, with no new code.

* ``scrapy crawl generic -a profile=NAME`` (or simply ``scrapy crawl NAME``) crawls an outlet
  described in a profile file (``crawler/profiles.toml``, plus the files named by
  ``NEWSARCHIVE_PROFILES``; see crawler/profiles.py). Every profile becomes an outlet spider class
  here, so ``scrapy list``, ``newsarchive demo`` and ``newsarchive extract`` know it like any outlet.
* ``scrapy crawl generic -a url=https://example.org/`` crawls a site nothing is known about: the
  page's feeds (``<link rel="alternate">``) and ``/sitemap.xml`` are read, links whose URL looks like
  an article (a slug of three or more words, a long number) are fetched, and each page's verdict
  decides what is an article. Optional ``-a article_urls=REGEX``, ``-a feeds=URL,URL``,
  ``-a sitemaps=URL,URL`` and ``-a languages=en,tr`` sharpen it. A URL of a known outlet (a spider
  module or a profile) is crawled with that outlet.

Ad-hoc crawls are re-extracted by ``newsarchive extract`` with the generic extractor (the archive
does not record the command line); their text is the same, since no selectors were involved.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import unquote, urlsplit

from scrapy.http import Request, Response

from crawler.outlet import OutletSpider
from crawler.profiles import OutletProfile, ProfileError, load_profiles, parser_for, profile_for_url
from crawler.urls import outlet_url

logger = logging.getLogger(__name__)

NEVER = re.compile(r"$^")
#: Path segments of pages that are never articles on sites nothing is known about.
_NOT_ARTICLE_SEGMENTS = frozenset(
    {
        "tag", "tags", "category", "categories", "kategori", "etiket", "author", "authors", "yazar",
        "page", "search", "feed", "rss", "login", "account", "subscribe", "about", "contact",
        "privacy", "terms", "wp-admin", "wp-content", "wp-json", "static", "assets", "media", "cdn-cgi",
    }
)
_FILE = re.compile(r"\.(?:jpe?g|png|gif|webp|svg|ico|css|js|json|xml|rss|pdf|zip|mp[34]|txt)$", re.IGNORECASE)
_WORDS = re.compile(r"[-_+.\s]+")
_PAGE_SUFFIX = re.compile(r"\.(?:s?html?|php|aspx?|jsp)$", re.IGNORECASE)


def guess_url_kind(url: str) -> str | None:
    """"article", "listing" or None from a URL's shape, for sites without an article pattern.

    Articles have a slug of three or more words or an id of four or more digits in their last
    segment ("/2025/06/12/harbour-ferry-resumes/", "/news/123456"); one or two short segments
    ("/world/", "/en/business/") are sections. The verdict still judges every fetched page.
    """
    parts = urlsplit(outlet_url(url))
    segments = [unquote(s).lower() for s in parts.path.split("/") if s]
    if not segments:
        return "listing"
    if _FILE.search(segments[-1]) or any(s in _NOT_ARTICLE_SEGMENTS for s in segments):
        return None
    last = _PAGE_SUFFIX.sub("", segments[-1])
    if len([w for w in _WORDS.split(last) if w]) >= 3 or re.search(r"\d{4,}", last):
        return "article"
    if len(segments) <= 2 and all(len([w for w in _WORDS.split(s) if w]) <= 2 for s in segments):
        return "listing"
    return None


class GenericSpider(OutletSpider):
    """Profile and ad-hoc spiders; ``scrapy crawl generic`` picks one from its arguments."""

    name = "generic"
    #: The profile this class was made from (None on ``generic`` itself, which only dispatches).
    outlet_profile: ClassVar[OutletProfile | None] = None
    #: Guess article and listing URLs from their shape (the profile gives no pattern).
    guess_urls: ClassVar[bool] = False
    #: Follow the feeds a home page announces (ad-hoc crawls, where no feed is configured).
    autodiscover: ClassVar[bool] = False

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> OutletSpider:
        if cls.outlet_profile is None:
            target = spider_for_arguments(kwargs)
            return target.from_crawler(crawler, *args, **kwargs)
        return super().from_crawler(crawler, *args, **kwargs)

    @classmethod
    def url_kind(cls, url: str) -> str | None:
        kind = super().url_kind(url)
        if kind is None and cls.guess_urls:
            return guess_url_kind(url)
        return kind

    def parse_listing(self, response: Response, page: int = 1) -> Iterator[Request]:
        yield from super().parse_listing(response, page)
        if not self.autodiscover or page != 1 or response.status >= 400 or not hasattr(response, "css"):
            return
        alternates = response.css(
            "link[rel~='alternate'][type*='rss']::attr(href), link[rel~='alternate'][type*='atom']::attr(href)"
        ).getall()
        for href in alternates:
            url = response.urljoin(href.strip())
            if self.owns(url):
                yield Request(url, callback=self.parse_feed, errback=self.on_error)


def _split(value: Any) -> list[str]:
    return [v.strip() for v in str(value or "").split(",") if v.strip()]


def profile_spider(profile: OutletProfile, *, ad_hoc: bool = False) -> type[GenericSpider]:
    """An outlet spider class for a profile: the declarations a spider module would write."""
    parser = parser_for(profile)
    attrs: dict[str, Any] = {
        "name": profile.name,
        "domain": profile.domain,
        "home": profile.home,
        "sections": profile.sections,
        "feeds": profile.feeds,
        "sitemaps": profile.sitemaps,
        "languages": profile.languages,
        "article_urls": profile.article_urls or NEVER,
        "listing_urls": profile.listing_urls,
        "parsers": (parser,) if parser else (),
        "boilerplate": profile.boilerplate,
        "stop_at": profile.stop_at,
        "outlet_profile": profile,
        "guess_urls": profile.article_urls is None,
        "autodiscover": ad_hoc and not profile.feeds,
        "__module__": __name__,
        "__doc__": f"Outlet spider of the {profile.name!r} profile ({profile.source}).",
    }
    class_name = "".join(part.title() for part in re.split(r"[^a-z0-9]+", profile.name)) + "Spider"
    return type(class_name, (GenericSpider,), attrs)


#: Profile problems found at import (broken profiles are skipped, so other outlets still crawl).
PROFILE_ERRORS: dict[str, str] = {}
#: Spider modules name their spider after themselves: a profile may not take such a name.
_MODULE_NAMES = frozenset(path.stem for path in Path(__file__).parent.glob("*.py")) - {"__init__", "generic"}


def _usable(profiles: dict[str, OutletProfile]) -> dict[str, OutletProfile]:
    usable = {}
    for name, profile in profiles.items():
        if name in _MODULE_NAMES:
            PROFILE_ERRORS[name] = f"{profile.source} [{name}]: spiders/{name}.py already defines the {name!r} outlet"
        else:
            usable[name] = profile
    return usable


PROFILE_SPIDERS: dict[str, type[GenericSpider]] = {
    name: profile_spider(profile) for name, profile in _usable(load_profiles(PROFILE_ERRORS)).items()
}
for _message in PROFILE_ERRORS.values():
    logger.error("Outlet profile skipped: %s", _message)
# Module attributes, so that Scrapy's spider loader (and crawler.outlets) find them like written classes.
globals().update({cls.__name__: cls for cls in PROFILE_SPIDERS.values()})


def spider_for_arguments(kwargs: dict[str, Any]) -> type[GenericSpider]:
    """The spider class ``scrapy crawl generic -a ...`` means; consumes the arguments it reads.

    Raises ProfileError with what to write instead when the arguments do not name a site.
    """
    name = kwargs.pop("profile", None)
    url = kwargs.pop("url", None)
    options = {key: kwargs.pop(key) for key in ("article_urls", "feeds", "sitemaps", "languages") if key in kwargs}
    if name:
        if name in PROFILE_SPIDERS:
            return PROFILE_SPIDERS[name]
        if name in PROFILE_ERRORS:
            raise ProfileError(f"profile {name!r} cannot be used: {PROFILE_ERRORS[name]}")
        known = ", ".join(sorted(PROFILE_SPIDERS)) or "none"
        raise ProfileError(f"no outlet profile named {name!r}; known profiles: {known}")
    if not url:
        raise ProfileError(
            "the generic spider needs a site: scrapy crawl generic -a url=https://example.org/ "
            "or -a profile=NAME (profiles: " + (", ".join(sorted(PROFILE_SPIDERS)) or "none") + ")"
        )
    if not options:
        from crawler.outlets import outlet_for_url  # at run time: crawler.outlets imports this module

        known = outlet_for_url(url)
        if known is not None:
            logger.info("%s belongs to the %r outlet; crawling with it", url, known.name)
            return known  # type: ignore[return-value]
    profile = profile_for_url(
        url,
        article_urls=options.get("article_urls"),
        feeds=_split(options.get("feeds")),
        sitemaps=_split(options.get("sitemaps")),
        languages=_split(options.get("languages")),
    )
    return profile_spider(profile, ad_hoc=True)
