"""Habertürk (haberturk.com): a national Turkish news portal, stories at ``/<slug>-<numeric id>``.

The story layout (``Haberturk_2024_07_03``): ``article.news-tracker`` holds the headline block
``.featured`` (``h1``, the summary in an ``h2``, the source and ``Giriş: 03.07.2024 - 18:24``
day-first times), then the body ``.cms-container`` split into ``.page-break`` blocks whose
subheadings are ``h2.widget-title``. Machine-readable metadata: ``meta name=datePublished`` (with
offset), ``meta name=author`` and a JSON-LD NewsArticle whose ``headline`` is the headline of
record, with the site's SEO suffix ("... - Güncel haberler") that the ``h1`` drops.

Junk inside the body container: "REKLAM" ad slots (``.adv-news``), image boxes and empty credit
spans, an "ÖNERİLEN VİDEO" player; around it share buttons and two "ABONE OL" (Google News
subscription) links. "Fotoğraf, AA tarafından servis edilmiştir." at the end is the agency's
sentence about the photos, part of the story text as published.
"""

from __future__ import annotations

import html
import re

from crawler.dates import ISTANBUL, istanbul_iso, visible_date
from crawler.htmltools import meta_content, normalise_space
from crawler.outlet import OutletSpider
from crawler.parsing import ArticleParser, first_text, json_ld_article, paragraphs_except

_BODY_JUNK = ", ".join(
    (
        ".adv-news",
        ".ads-zone",
        ".widget-image",
        ".widget-video",
        ".widget-share",
        ".related-news",
        "figure",
        "img",
    )
)


class HaberturkParserV1(ArticleParser):
    """The 2024 story layout: ``article.news-tracker`` with ``.featured`` and ``.cms-container``."""

    version = "v1"
    root = "article.news-tracker .cms-container"
    timezone = ISTANBUL

    def _ld_text(self, key: str) -> str | None:
        value = (json_ld_article(self.doc) or {}).get(key)
        # Habertürk writes HTML entities into its JSON strings ("Türkiye&#039;de").
        return normalise_space(html.unescape(value)) if isinstance(value, str) and value.strip() else None

    def title(self) -> str | None:
        # The headline of record (JSON-LD, og:title, the breadcrumb) carries the " - Güncel haberler"
        # suffix that the h1 leaves out; the archive keeps the outlet's own full headline.
        return (
            self._ld_text("headline")
            or meta_content(self.doc, "og:title")
            or first_text(self.sel, "article.news-tracker .featured h1")
        )

    def authors(self) -> list[str] | None:
        author = meta_content(self.doc, "author")
        return [author] if author else None

    def published(self) -> str | None:
        machine = istanbul_iso(meta_content(self.doc, "datePublished", "article:published_time"))
        if machine:
            return machine
        return visible_date(self.sel)  # "Giriş: 03.07.2024 - 18:24", before "Güncelleme: ..."

    def section(self) -> str | None:
        crumbs = [normalise_space(t) for t in self.sel.css(".widget-breadcrumb a::text").getall()]
        return self._ld_text("articleSection") or (crumbs[1] if len(crumbs) > 1 else None)

    def paragraphs(self) -> list[str] | None:
        body = paragraphs_except(self.sel, "article.news-tracker .cms-container", _BODY_JUNK)
        if not body:
            return None
        summary = first_text(self.sel, "article.news-tracker .featured h1 + h2")
        return [summary, *body] if summary else body


class HaberturkSpider(OutletSpider):
    name = "haberturk"
    domain = "haberturk.com"
    home = "https://www.haberturk.com/"
    sections = ("https://www.haberturk.com/gundem",)
    sitemaps = ("https://www.haberturk.com/sitemap_google_news.xml",)
    languages = ("tr",)
    # /<slug>-<id> today; /<section>/haber/<id>-<slug> on older stories still linked from archives.
    article_urls = re.compile(
        r"^/(?:[a-z0-9]+(?:-[a-z0-9]+)*-\d{6,}|(?:[a-z-]+/)?haber/\d{6,}-[a-z0-9-]+)/?$"
    )
    listing_urls = re.compile(r"^/(?:gundem|ekonomi|dunya|spor|saglik|magazin|teknoloji|yasam)/?$")
    parsers = (HaberturkParserV1,)
    boilerplate = (re.compile(r"ÖNERİLEN VİDEO", re.IGNORECASE),)
