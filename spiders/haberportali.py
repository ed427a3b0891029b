"""Haber Portalı (haberportali.com.tr): a Turkish news portal on an ordinary WordPress theme.

It stands for the many Turkish portals behind seed 004 (../shared/seeds/004): a category tag
``#Dünya`` above the headline, tags and share buttons under the post, a related-posts box, the title
repeated under the post, a truncated "next post" teaser and the WordPress comment form ("Yorum
yapın", "E-posta adresiniz yayınlanmayacak. Gerekli alanlar * ile işaretlenmişlerdir"). None of it
is story text; the quoted uppercase subheadings inside the post (“MALİYETLER PAYLAŞILACAK”) are, and
stay in reading order. Dates are day first (``05.04.2025 14:30``) in Turkish time; only some posts
carry ``<time datetime>`` or ``article:published_time``.

Discovery is WordPress's own: the RSS feed (``/feed/``), the core sitemaps (``/wp-sitemap.xml``, an
index of ``/wp-sitemap-posts-post-N.xml``) and the category pages (``/kategori/<slug>/``).
"""

from __future__ import annotations

import copy
import functools
import re

from lxml import etree

from crawler.htmltools import block_texts
from crawler.localdates import parse_local_date
from crawler.outlet import OutletSpider
from crawler.parsing import ArticleParser, iso_datetime
from crawler.selectors import first_text_in, select, text_of

#: Inside ``.entry-content`` but not the story: WordPress plugins' share bars, related posts, ad slots.
CONTENT_FURNITURE = (
    ".sharedaddy, .sd-sharing-enabled, .jp-relatedposts, .related-posts, .yarpp-related, .code-block, "
    ".adsbygoogle, .wp-block-buttons, .post-tags, .tags-links, .entry-footer, .post-navigation, "
    "#respond, .comment-respond, script, style, form"
)
#: The post itself: WordPress marks it ``hentry``/``type-post`` whatever the theme.
POST = "article.hentry, article.type-post, article.post"


class HaberPortaliParserV1(ArticleParser):
    """The WordPress single-post layout: ``article.post`` with ``.entry-title`` and ``.entry-content``."""

    version = "v1"
    root = "article.hentry .entry-content, article.type-post .entry-content"
    timezone = "Europe/Istanbul"

    @functools.cached_property
    def post(self) -> etree._Element | None:
        """The post's ``<article>``; every field is read inside it, not in sidebars or teasers."""
        return next((el for el in select(self.doc, POST) if select(el, ".entry-content")), None)

    def matches(self) -> bool:
        return self.post is not None

    def _text(self, css: str) -> str | None:
        return first_text_in(self.post, css) if self.post is not None else None

    def title(self) -> str | None:
        return self._text("h1.entry-title, .entry-title")

    def authors(self) -> list[str] | None:
        if self.post is None:
            return None
        lines = [text_of(el) for el in select(self.post, ".entry-meta .author, .byline .author")]
        found = [name for line in lines for name in re.split(r"\s*,\s*", line) if name]
        return list(dict.fromkeys(found)) or None

    def published(self) -> str | None:
        if self.post is None:
            return None
        # The machine-readable form when the theme prints one; else the visible day-first date.
        for el in select(self.post, "time.entry-date.published, time.published"):
            machine = iso_datetime(el.get("datetime"), self.timezone)
            if machine:
                return machine
        return parse_local_date(self._text(".entry-meta .entry-date.published, .entry-meta .entry-date"), self.timezone)

    def section(self) -> str | None:
        tag = self._text(".cat-tags a[rel~='category'], .cat-links a[rel~='category']")
        return (tag.lstrip("#").strip() or None) if tag else None

    def paragraphs(self) -> list[str] | None:
        content = select(self.post, ".entry-content") if self.post is not None else []
        if not content:
            return None
        node = copy.deepcopy(content[0])  # leave the page intact for the verdict
        for junk in select(node, CONTENT_FURNITURE):
            junk.drop_tree()
        return block_texts(node) or None


class HaberPortaliSpider(OutletSpider):
    name = "haberportali"
    domain = "haberportali.com.tr"
    home = "https://haberportali.com.tr/"
    feeds = ("https://haberportali.com.tr/feed/",)
    sitemaps = ("https://haberportali.com.tr/wp-sitemap.xml",)
    languages = ("tr",)
    # Posts live at /<slug>/; WordPress's own paths (categories, tags, feeds, wp-*) are not posts.
    article_urls = re.compile(
        r"^/(?!(?:kategori|category|etiket|tag|yazar|author|page|feed|wp-[a-z-]+|comments|search)/)"
        r"[a-z0-9]+(?:-[a-z0-9]+)+/?$"
    )
    listing_urls = re.compile(r"^/(?:kategori|category)/[^/?#]+/(?:page/\d+/)?$")
    parsers = (HaberPortaliParserV1,)
    boilerplate = (
        re.compile(r"#\w[\w-]*"),  # the category tag "#Dünya", when a fallback reads the page
        re.compile(r"etiketler\s*:.*", re.IGNORECASE),
        re.compile(r"paylaş\s*:?(?:\s*(?:facebook|x|twitter|whatsapp|telegram))*", re.IGNORECASE),
    )
    stop_at = (
        re.compile(r"(?:yorum yapın|yorum yap|bir yorum yazın|yanıt bırakın|leave a (?:comment|reply))\s*$", re.IGNORECASE),
    )
