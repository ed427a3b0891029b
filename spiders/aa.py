"""Anadolu Ajansı (aa.com.tr): Turkey's state news agency, Turkish edition (``/tr/``).

Two layouts are in the archive and both must read:

* **v1**, the server-rendered layout used until early 2026 (``AnadoluAjansi_2025_04_05``): the
  headline block ``.detay-spot-category`` (``h1`` title, ``h4`` summary, the reporter's name and a
  ``.tarih`` date line ``05.04.2025 - Güncelleme : 05.04.2025``, day first, no time), the body in
  ``.detay-icerik`` starting with the dateline city in an ``h6``. No machine-readable date: the
  visible one is the only source, and reading it month first gives 4 May (the Fundus expected
  value has that error).
* **v2**, the Next.js layout of 2026 (``AnadoluAjansi_2026_04_20``): a JSON-LD ``NewsArticle``
  with the headline, reporter, section and a naive Istanbul ``datePublished`` (read first; the
  visible headline, byline and "20 Nisan 2026" stand in without it); the story itself is streamed
  in hidden segments (see :mod:`crawler.streaming`) into a ``main div.prose`` container.

Junk both layouts carry inside or right after the body: the subscription notice "Anadolu Ajansı
web sitesinde, AA Haber Akış Sistemi (HAS) üzerinden abonelere sunulan haberler, özetlenerek
yayımlanmaktadır. Abonelik için lütfen iletişime geçiniz.", "İlgili konular" tag links, share
buttons ("Bu haberi paylaşın", "Haberi Paylaş"), photo credits ("Fotoğraf : Didem Mente/AA").
"""

from __future__ import annotations

import re
from functools import cached_property
from typing import Any

from crawler.dates import ISTANBUL, istanbul_iso, parse_turkish_date, visible_date
from crawler.htmltools import normalise_space
from crawler.outlet import OutletSpider
from crawler.parsing import ArticleParser, first_text, json_ld_article, paragraphs_except

#: Inside the body containers: what is not the story.
_BODY_JUNK = ", ".join(
    (
        ".detay-foto-editor",  # v1 subscription notice
        ".detay-paylas",  # v1 tags and share buttons
        ".social-left",
        "figure",  # v2 photos with "Fotoğraf : ..." credits
        "img",
        ".content-media-slider",
    )
)


def ld_names(value: object) -> list[str]:
    """Names from a JSON-LD ``author`` (a Person, an Organization, a string or a list of them)."""
    items = value if isinstance(value, list) else [value]
    names: list[str] = []
    for item in items:
        name = item.get("name") if isinstance(item, dict) else item
        if isinstance(name, str) and normalise_space(name) and normalise_space(name) not in names:
            names.append(normalise_space(name))
    return names


class AnadoluAjansiParserV2(ArticleParser):
    """The Next.js layout of 2026, with a JSON-LD NewsArticle and a streamed ``div.prose`` body."""

    version = "v2"
    # The story container of the Next.js layout; the JSON-LD is read when present, not required.
    root = "main div.prose p"
    timezone = ISTANBUL

    @cached_property
    def ld(self) -> dict[str, Any]:
        return json_ld_article(self.doc) or {}

    def title(self) -> str | None:
        headline = self.ld.get("headline")
        if isinstance(headline, str) and normalise_space(headline):
            return normalise_space(headline)
        return first_text(self.sel, "h1")

    def authors(self) -> list[str] | None:
        names = ld_names(self.ld.get("author"))
        if names:
            return [n for n in names if n != "Anadolu Ajansı"] or names
        byline = first_text(self.sel, "main span.caustenMedium.text-base")
        return [byline] if byline else None

    def published(self) -> str | None:
        value = self.ld.get("datePublished")
        if isinstance(value, str):
            return istanbul_iso(value)
        # The visible line ("20 Nisan 2026") carries the day only.
        return visible_date(self.sel)

    def section(self) -> str | None:
        section = self.ld.get("articleSection")
        return normalise_space(section) if isinstance(section, str) else None

    def summary(self) -> str | None:
        """The standfirst printed under the headline (JSON-LD repeats it as ``description``)."""
        shown = first_text(self.sel, "h1 + span")
        if shown:
            return shown
        description = self.ld.get("description")
        return normalise_space(description) if isinstance(description, str) else None

    def paragraphs(self) -> list[str] | None:
        body = paragraphs_except(self.sel, "main div.prose", _BODY_JUNK)
        if not body:
            return None
        summary = self.summary()
        return [summary, *body] if summary else body


class AnadoluAjansiParserV1(ArticleParser):
    """The server-rendered layout used until early 2026: ``.detay-spot-category`` and ``.detay-icerik``."""

    version = "v1"
    root = "div.detay-icerik"
    timezone = ISTANBUL

    def title(self) -> str | None:
        return first_text(self.sel, ".detay-spot-category h1") or first_text(self.sel, "h1")

    def authors(self) -> list[str] | None:
        # "Sehernur Karsu &nbsp;|" in front of the date line; several reporters are comma-separated.
        for text in self.sel.css(".detay-spot-category .row span:not(.tarih)::text").getall():
            line = normalise_space(text).strip(" |")
            if line:
                return [name.strip() for name in re.split(r",| ve ", line) if name.strip()]
        return None

    def published(self) -> str | None:
        return parse_turkish_date(first_text(self.sel, ".detay-spot-category .tarih"))

    def section(self) -> str | None:
        return first_text(self.sel, ".detay-news-category a")

    def paragraphs(self) -> list[str] | None:
        body = paragraphs_except(self.sel, "div.detay-icerik", _BODY_JUNK)
        if not body:
            return None
        summary = first_text(self.sel, ".detay-spot-category h4")
        return [summary, *body] if summary else body


class AnadoluAjansiSpider(OutletSpider):
    name = "aa"
    domain = "aa.com.tr"
    home = "https://www.aa.com.tr/tr"
    sections = ("https://www.aa.com.tr/tr/gundem", "https://www.aa.com.tr/tr/ekonomi")
    feeds = ("https://www.aa.com.tr/tr/rss/default?cat=guncel",)
    languages = ("tr",)
    # /tr/<section>/<slug>/<numeric id>; the English and other editions are other outlets' business.
    article_urls = re.compile(r"^/tr/[a-z0-9-]+/[a-z0-9-]+/\d{5,}/?$")
    listing_urls = re.compile(
        r"^/tr/(?:gundem|dunya|ekonomi|politika|spor|kultur|saglik|bilim-teknoloji|yasam|analiz)/?$"
    )
    parsers = (AnadoluAjansiParserV2, AnadoluAjansiParserV1)
    boilerplate = (
        re.compile(
            r"Anadolu Ajansı web sitesinde, AA Haber Akış Sistemi \(HAS\) üzerinden abonelere sunulan "
            r"haberler, özetlenerek yayımlanmaktadır\..*"
        ),
        re.compile(r"Abonelik (?:için lütfen iletişime geçiniz\.|İşlemleri)", re.IGNORECASE),
    )
