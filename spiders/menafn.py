"""MENAFN (menafn.com): English and Arabic editions.

What makes MENAFN hard (see ../shared/seeds/000 and 001): every story page carries the site's
error template ("403 Sorry!! Error! We're sorry, but the page you were looking for doesn't exist.")
in front of the story, hidden only by CSS; the body is printed twice (desktop and mobile blocks);
a ``MENAFN<ddmmyyyy><provider>ID<story id>`` marker line, a legal disclaimer, share buttons and a
comments widget follow it. Dates are month first (``3/18/2025 4:12:33 AM``, UTC) or a bare
``date 2025-05-11`` line.
"""

from __future__ import annotations

import re
from datetime import datetime

from crawler.outlet import OutletSpider
from crawler.parsing import ArticleParser, first_text, paragraphs_of

MONTH_FIRST = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AP]M)", re.IGNORECASE)
DATE_LINE = re.compile(r"date\s+(\d{4}-\d{2}-\d{2})", re.IGNORECASE)


class MenafnParserV1(ArticleParser):
    """The story layout of 2025: ``article.story`` with desktop and mobile body blocks."""

    version = "v1"
    root = "article.story"
    timezone = "UTC"

    def title(self) -> str | None:
        return first_text(self.sel, "article.story h1.story-title, article.story h1")

    def authors(self) -> list[str] | None:
        line = first_text(self.sel, "article.story .story-author")
        if not line:
            return None
        names = re.sub(r"^(author|by|الكاتب|بقلم)\s*:?\s*", "", line, flags=re.IGNORECASE)
        return [n.strip() for n in names.split(",") if n.strip()]

    def published(self) -> str | None:
        visible = first_text(self.sel, ".story-meta-top .story-date, .story-date") or ""
        m = MONTH_FIRST.search(visible)
        if m:
            month, day, year, hour, minute, second, half = m.groups()
            hour24 = int(hour) % 12 + (12 if half.upper() == "PM" else 0)
            return self.localise(datetime(int(year), int(month), int(day), hour24, int(minute), int(second or 0)))
        m = DATE_LINE.search(visible)
        return m.group(1) if m else None

    def section(self) -> str | None:
        crumbs = self.sel.css("article.story .breadcrumb li a::text").getall()
        return crumbs[1].strip() if len(crumbs) > 1 else None

    def paragraphs(self) -> list[str] | None:
        # The desktop block is the complete one (the mobile copy sometimes skips the lead).
        for css in ("#desktop-story p", ".story-body p", "#mobile-story p", ".story-body-mobile p"):
            found = [p for p in paragraphs_of(self.sel, css) if p]
            if found:
                return found
        return None


class MenafnSpider(OutletSpider):
    name = "menafn"
    domain = "menafn.com"
    home = "https://menafn.com/"
    sections = ("https://menafn.com/arabic/",)
    feeds = ("https://menafn.com/rss/menafn_politics.xml", "https://menafn.com/rss/menafn_arabic.xml")
    sitemaps = ("https://menafn.com/sitemap.xml",)
    languages = ("en", "ar")
    article_urls = re.compile(r"^/(?:arabic/)?\d{6,}/[^/?]+")
    listing_urls = re.compile(r"^/(?:qn_news_list\.aspx\?|arabic/?$)")
    parsers = (MenafnParserV1,)
    boilerplate = (
        re.compile(r"MENAFN\d{8}\d*ID\d+"),  # tracking marker line after the body
    )
    stop_at = (
        re.compile(r"(legal disclaimer|إخلاء المسؤولية)", re.IGNORECASE),
    )
