"""NTV (ntv.com.tr): the Doğuş group's news channel site, including its Spor&Skor section.

Two layouts are in the archive and both must read:

* **v1**, the server-rendered layout until 2025 (``NTVTR_2024_04_30``, URLs
  ``/<section>/<slug>,<22-character id>``): ``h1.category-detail-title``, the summary in
  ``h2.category-detail-sub-title``, ``30.04.2024 - 16:48`` in ``.news-info``, and the whole body as
  *one* ``<p>`` in ``.category-detail-content`` whose paragraphs are separated by ``<br><br>`` and
  whose subheadings are ``<strong>`` runs; a related-story box ("Haberi Görüntüle") sits inside
  the content container.
* **v2**, the Next.js layout of 2025 (``NTVTR_2025_11_10``, URLs ``/<section>/<slug>-<numeric id>``):
  ``.info-text-card`` holds the ``h1`` and the summary ``h2``; the body is ``div.ck-content`` with
  ``<p><strong>`` subheadings and ``<p>&nbsp;</p>`` spacers; after it an app-download box ("NTV
  uygulamasını indirin, gelişmelerden haberdar olun"), tag links and Taboola.

Both carry ``meta name=articleAuthor`` (the agency or "ntv.com.tr") and ``meta name=datePublished``
with the +03:00 offset.
"""

from __future__ import annotations

import re

from crawler.dates import ISTANBUL, istanbul_iso, visible_date
from crawler.htmltools import meta_content, normalise_space
from crawler.outlet import OutletSpider
from crawler.parsing import ArticleParser, first_text, json_ld_article, paragraphs_except

_BODY_JUNK = ", ".join(
    (
        ".detail-related-news",
        ".img-wrapper",
        ".social",
        "[class*=dyg-]",  # ad slots
        ".taboola-class-check",
        "figure",
        "picture",
        "img",
    )
)


class _NtvParser(ArticleParser):
    """What both NTV layouts share: the meta tags of record."""

    timezone = ISTANBUL

    def authors(self) -> list[str] | None:
        author = meta_content(self.doc, "articleAuthor")
        return [author] if author else None

    def machine_published(self) -> str | None:
        return istanbul_iso(meta_content(self.doc, "datePublished", "article:published_time"))

    def section(self) -> str | None:
        section = (json_ld_article(self.doc) or {}).get("articleSection")
        return normalise_space(section) if isinstance(section, str) and section.strip() else None

    def with_summary(self, summary_css: str, body: list[str]) -> list[str] | None:
        if not body:
            return None
        summary = first_text(self.sel, summary_css)
        return [summary, *body] if summary else body


class NtvParserV2(_NtvParser):
    """The Next.js layout of 2025: ``.info-text-card`` headline block, ``div.ck-content`` body."""

    version = "v2"
    root = "div.ck-content"

    def title(self) -> str | None:
        return first_text(self.sel, ".info-text-card h1") or first_text(self.sel, "h1")

    def published(self) -> str | None:
        return self.machine_published() or visible_date(self.sel)

    def paragraphs(self) -> list[str] | None:
        body = paragraphs_except(self.sel, "div.ck-content", _BODY_JUNK)
        return self.with_summary(".ck-content-area .info-text-card h2, .info-text-card h2", body)


class NtvParserV1(_NtvParser):
    """The server-rendered layout until 2025: ``.category-detail-*`` blocks, ``<br>``-separated body."""

    version = "v1"
    root = "#contentBodyArea.category-detail-content"

    def title(self) -> str | None:
        return first_text(self.sel, "h1.category-detail-title") or first_text(self.sel, "h1")

    def authors(self) -> list[str] | None:
        found = super().authors()
        if found:
            return found
        # "Haberler - Anadolu Ajansı" in the info line: the source after the home link.
        line = first_text(self.sel, ".news-info-text p:not(.news-info-text--left)")
        source = re.sub(r"^Haberler\s*-\s*", "", line or "").strip()
        return [source] if source else None

    def published(self) -> str | None:
        return self.machine_published() or visible_date(self.sel)

    def section(self) -> str | None:
        return super().section() or self.sel.css(".category-detail-left::attr(data-categoryName)").get()

    def paragraphs(self) -> list[str] | None:
        body = paragraphs_except(self.sel, "#contentBodyArea .category-detail-content-inner", _BODY_JUNK)
        return self.with_summary("h2.category-detail-sub-title", body)


class NtvSpider(OutletSpider):
    name = "ntv"
    domain = "ntv.com.tr"
    home = "https://www.ntv.com.tr/"
    feeds = ("https://www.ntv.com.tr/gundem.rss",)
    sitemaps = ("https://www.ntv.com.tr/sitemaps/news-sitemap.xml",)
    languages = ("tr",)
    # v1: /<section>/<slug>,<22-character id>; v2: /<section>/<slug>-<numeric id>.
    article_urls = re.compile(r"^/[a-z0-9-]+/[a-z0-9-]+(?:,[A-Za-z0-9_-]{16,}|-\d{6,})/?$")
    listing_urls = re.compile(
        r"^/(?:gundem|turkiye|dunya|ekonomi|spor|sporskor|teknoloji|saglik|yasam|egitim|sanat|otomobil)/?$"
    )
    parsers = (NtvParserV2, NtvParserV1)
    boilerplate = (
        re.compile(r"NTV uygulamasını indirin,? gelişmelerden haberdar olun\.?", re.IGNORECASE),
        re.compile(r"Haberi Görüntüle", re.IGNORECASE),
    )
