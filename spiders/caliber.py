"""Caliber.Az (caliber.az): a Baku outlet in Russian (``/post/<slug>``), English (``/en/post/<slug>``)
and Azerbaijani (``/az/post/<slug>``).

What makes it hard (see ../shared/seeds/002 and crawler/replica/sites/caliber.py): the byline sits
*after* the body in ``.post_signature`` ("By Tamilla Hasanova", "Автор: ...", "Müəllif: ...") and a
naive scraper keeps it as the last paragraph; a view counter ("Просмотров: 179") sits next to the
date; a banner slot sits inside the body; the only date is the visible one, ``25 Июня 2025 17:24``
(Russian genitive month, capitalised) or ``25.06.2025 17:24``, in Baku time (UTC+4, no DST). The
outlet's own attribution "Caliber.Az reports" is part of the text and stays.
"""

from __future__ import annotations

import copy
import functools
import re

from lxml import etree

from crawler.htmltools import block_texts
from crawler.localdates import parse_local_date
from crawler.outlet import OutletSpider
from crawler.parsing import ArticleParser
from crawler.selectors import first_text_in, select

#: "By ", "Автор: ", "Müəllif: " in front of the names in ``.post_signature``.
SIGNATURE_PREFIX = re.compile(r"^\s*(?:by|author|автор|текст|müəllif)\s*:?\s+", re.IGNORECASE)
#: Between several names: commas and the word "and" in the three languages.
NAME_SEPARATORS = re.compile(r"\s*(?:,|\band\b|\bи\b|\bvə\b)\s*", re.IGNORECASE)
#: Inside ``.post_body`` but not the story: banner slots, embedded "read also" boxes, signatures.
BODY_FURNITURE = (
    ".post_banner, .banner, .adv, .ads, [class*='banner_'], ins.adsbygoogle, .read_also, .post_signature, "
    ".post_share, .post_views, script, style"
)


def names_of(signature: str | None) -> list[str] | None:
    """Author names from a signature line ("By A and B" -> ["A", "B"])."""
    if not signature:
        return None
    names = [n.strip(" .") for n in NAME_SEPARATORS.split(SIGNATURE_PREFIX.sub("", signature))]
    return [n for n in names if n] or None


class CaliberParserV1(ArticleParser):
    """The post layout of 2025: ``.post`` with ``.post_title``, ``.post_time``, ``.post_body``."""

    version = "v1"
    root = ".post .post_body"
    timezone = "Asia/Baku"

    @functools.cached_property
    def post(self) -> etree._Element | None:
        """The ``.post`` holding the body; every field is read inside it, not in the sidebars."""
        found = select(self.doc, ".post")
        return next((el for el in found if select(el, ".post_body")), None)

    def matches(self) -> bool:
        return self.post is not None

    def _text(self, css: str) -> str | None:
        return first_text_in(self.post, css) if self.post is not None else None

    def title(self) -> str | None:
        return self._text(".post_title, h1")

    def authors(self) -> list[str] | None:
        return names_of(self._text(".post_signature"))

    def published(self) -> str | None:
        return parse_local_date(self._text(".post_time"), self.timezone)

    def section(self) -> str | None:
        return self._text(".post_category")

    def paragraphs(self) -> list[str] | None:
        body = select(self.post, ".post_body") if self.post is not None else []
        if not body:
            return None
        # A copy, so that removing the furniture leaves the page (used for the verdict) intact.
        node = copy.deepcopy(body[0])
        for junk in select(node, BODY_FURNITURE):
            junk.drop_tree()
        return block_texts(node) or None


class CaliberSpider(OutletSpider):
    name = "caliber"
    domain = "caliber.az"
    home = "https://caliber.az/"
    sections = ("https://caliber.az/en/", "https://caliber.az/az/")
    sitemaps = ("https://caliber.az/sitemap.xml",)
    languages = ("ru", "en", "az")
    article_urls = re.compile(r"^/(?:en/|az/)?post/[^/?#]+/?$")
    listing_urls = re.compile(r"^/(?:en|az)/?$")
    parsers = (CaliberParserV1,)
    boilerplate = (
        re.compile(r"(?:Просмотров|Views|Baxış)\s*:?\s*\d+", re.IGNORECASE),  # view counter
        re.compile(r"(?:Поделиться|Share|Paylaş)\s*:?(?:\s*(?:Telegram|Facebook|X|WhatsApp))*", re.IGNORECASE),
        re.compile(r"©.{0,40}Caliber\.Az.*", re.IGNORECASE),  # footer line, when a fallback reads the page
    )
