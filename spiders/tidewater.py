"""The Tidewater Post (tidewaterpost.example): a fictional English local paper, served by the replica only.

What makes it hard (crawler/replica/sites/tidewater.py): an unknown story id answers 200 with the site's
own "This page has drifted off" page in words no phrase list knows, padded with the openings of the latest
stories until it reads like an article. The per-host probe (crawler.probe) is what tells it apart: the
default ``probe_url`` asks for ``/story/49999/newsarchive-probe`` and every page that looks like the
answer is a soft 404. Stories are ``/story/<id>/<slug>`` with a ``<time datetime>`` and a byline.
"""

from __future__ import annotations

import re

from crawler.outlet import OutletSpider
from crawler.parsing import ArticleParser, first_text, iso_datetime, paragraphs_of


class TidewaterParserV1(ArticleParser):
    """The story layout: ``article.story`` with ``h1.story-title``, ``.byline`` and ``.story-body``."""

    version = "v1"
    root = "article.story"
    timezone = "Europe/London"

    def title(self) -> str | None:
        return first_text(self.sel, "article.story h1.story-title")

    def authors(self) -> list[str] | None:
        line = first_text(self.sel, "article.story .byline")
        if not line:
            return None
        names = re.sub(r"^by\s+", "", line.split("·")[0].strip(), flags=re.IGNORECASE)
        return [n.strip() for n in names.split(",") if n.strip()] or None

    def published(self) -> str | None:
        return iso_datetime(self.sel.css("article.story time::attr(datetime)").get())

    def section(self) -> str | None:
        return first_text(self.sel, "article.story .section-label")

    def paragraphs(self) -> list[str] | None:
        return paragraphs_of(self.sel, "article.story .story-body p") or None


class TidewaterSpider(OutletSpider):
    name = "tidewater"
    domain = "tidewaterpost.example"
    home = "https://tidewaterpost.example/"
    sections = ("https://tidewaterpost.example/news/",)
    sitemaps = ("https://tidewaterpost.example/sitemap.xml",)
    languages = ("en",)
    article_urls = re.compile(r"^/story/\d+/[^/?]+")
    parsers = (TidewaterParserV1,)
