"""JS News (jsnews.example): an outlet whose pages exist only after JavaScript runs.

Every page the outlet serves today is an app shell (``<div id="root"></div>`` and ``/static/app.js``); the
script fetches ``/api/articles/<id>.json`` and builds the story in the browser. So the outlet is declared
``render = "browser"``: its HTML pages are loaded in Chromium (crawler.rendering) and the parsers read the
rendered DOM. Sitemaps and robots.txt stay plain HTTP. Older stories come from the previous CMS as
complete HTML; they are rendered too (same path for every page of the outlet) and read by the v0 parser.
"""

from __future__ import annotations

import re

from crawler.outlet import OutletSpider
from crawler.parsing import ArticleParser, first_text, iso_datetime, paragraphs_of

_BY = re.compile(r"^\s*by\s+", re.IGNORECASE)
_AND = re.compile(r"\s*(?:,|\band\b|&)\s*", re.IGNORECASE)


def _names(line: str | None) -> list[str] | None:
    """"By A and B" / "A, B" -> ["A", "B"]."""
    if not line:
        return None
    names = [n.strip() for n in _AND.split(_BY.sub("", line)) if n.strip()]
    return names or None


class JsnewsParserV1(ArticleParser):
    """The article app.js renders into ``#root``: ``article.story`` with headline, byline, time, body."""

    version = "v1"
    root = "#root article.story"

    def title(self) -> str | None:
        return first_text(self.sel, "article.story h1.headline, article.story h1")

    def authors(self) -> list[str] | None:
        return _names(first_text(self.sel, "article.story .byline"))

    def published(self) -> str | None:
        return iso_datetime(self.sel.css("article.story time::attr(datetime)").get())

    def section(self) -> str | None:
        return first_text(self.sel, "article.story .section")

    def paragraphs(self) -> list[str] | None:
        return paragraphs_of(self.sel, "article.story .story-body p") or None


class JsnewsParserV0(ArticleParser):
    """The previous CMS's server-rendered template: ``main.archive-story``."""

    version = "v0"
    root = "main.archive-story"

    def title(self) -> str | None:
        return first_text(self.sel, "main.archive-story h1")

    def authors(self) -> list[str] | None:
        return _names(first_text(self.sel, "main.archive-story .meta .author"))

    def published(self) -> str | None:
        return iso_datetime(self.sel.css("main.archive-story .meta time::attr(datetime)").get())

    def section(self) -> str | None:
        return first_text(self.sel, "main.archive-story .kicker")

    def paragraphs(self) -> list[str] | None:
        return paragraphs_of(self.sel, "main.archive-story .text p") or None


class JsnewsSpider(OutletSpider):
    name = "jsnews"
    domain = "jsnews.example"
    home = "https://jsnews.example/"
    sitemaps = ("https://jsnews.example/sitemap.xml",)
    languages = ("en",)
    article_urls = re.compile(r"^/news/\d+/[^/?]+")
    parsers = (JsnewsParserV1, JsnewsParserV0)
    render = "browser"
