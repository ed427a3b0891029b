"""Discovery pages for Anadolu Ajansı, Habertürk and NTV, whose articles the replica serves from shared data.

The articles of these three outlets are real saved pages (``../shared/data/fundus-tr``, served by
:mod:`crawler.replica.shared` at their real paths); they are publishers' HTML and never enter the
repository. What a crawl needs around them, the outlet's home page, section pages, RSS feed or news
sitemap at the URLs the spiders start from (``spiders/aa.py``, ``haberturk.py``, ``ntv.py``), is
built here per request from whatever saved pages of that domain are present: with the shared folder
the discovery pages list exactly those pages, without it they list nothing (the crawl tests of these
outlets need the shared data and say so).

These pages are minimal on purpose: they are not imitations of the outlets' markup (the saved pages
are the real thing), only the way in. They are not catalogue pages (:mod:`crawler.replica.catalogue`
describes the synthetic outlets' pages with their expected text; the expected values of these
articles live next to the saved pages).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlsplit

from crawler.replica.model import ReplicaState, Reply, Request
from crawler.replica.render import FeedItem, attr, news_urlset, rss, text
from crawler.replica.shared import FOLDER, SharedPage, SharedPages


@dataclass(frozen=True)
class WireOutlet:
    """One outlet served from saved pages: where its discovery pages live (real paths, as the spider asks)."""

    domain: str  # the host of the saved pages' URLs, e.g. "www.aa.com.tr"
    name: str
    home: str
    #: Section listing path -> label; a section lists the saved pages under its path.
    sections: Mapping[str, str] = field(default_factory=dict)
    feeds: tuple[str, ...] = ()  # RSS 2.0, queries ignored (AA selects its feed by ?cat=)
    news_sitemaps: tuple[str, ...] = ()


OUTLETS: dict[str, WireOutlet] = {
    outlet.domain: outlet
    for outlet in (
        WireOutlet(
            "www.aa.com.tr",
            "Anadolu Ajansı",
            "/tr",
            sections={"/tr/gundem": "Gündem", "/tr/ekonomi": "Ekonomi"},
            feeds=("/tr/rss/default",),
        ),
        WireOutlet(
            "www.haberturk.com",
            "Habertürk",
            "/",
            sections={"/gundem": "Gündem"},
            news_sitemaps=("/sitemap_google_news.xml",),
        ),
        WireOutlet(
            "www.ntv.com.tr",
            "NTV",
            "/",
            feeds=("/gundem.rss",),
            news_sitemaps=("/sitemaps/news-sitemap.xml",),
        ),
    )
}

_HTML = "text/html; charset=utf-8"


def _crawl_dates(shared: SharedPages) -> dict[str, str]:
    """Saved page URL -> its capture time (ISO, UTC), the closest thing to a publication date we may state."""
    meta = shared.root / FOLDER / "meta.info" if shared.root else None
    if meta is None or not meta.is_file():
        return {}
    dates = {}
    for info in json.loads(meta.read_text(encoding="utf-8")).values():
        try:
            moment = datetime.fromisoformat(info["crawl_date"]).replace(microsecond=0, tzinfo=UTC)
        except (KeyError, ValueError):
            continue
        dates[info["url"]] = moment.isoformat()
    return dates


def _items(pages: list[SharedPage], shared: SharedPages) -> list[FeedItem]:
    """Feed entries for saved pages; the title is the URL's slug, as the page itself is not opened here."""
    dates = _crawl_dates(shared)
    items = []
    for page in pages:
        path = urlsplit(page.url).path
        words = [segment for segment in path.split("/") if segment and not segment.isdigit()]
        slug = words[-1] if words else page.domain
        title = slug.split(",")[0].replace("-", " ").capitalize()  # NTV's ",<id>" is not part of the slug
        items.append(FeedItem(path, title, dates.get(page.url, "2000-01-01T00:00:00+00:00")))
    return items


def _listing(outlet: WireOutlet, heading: str, items: list[FeedItem]) -> str:
    links = "\n".join(
        f'    <li><a href="{attr(f"/{outlet.domain}{item.path}")}">{text(item.title)}</a></li>'
        for item in items
    )
    nav = " | ".join(
        f'<a href="{attr(f"/{outlet.domain}{path}")}">{text(label)}</a>'
        for path, label in outlet.sections.items()
    )
    return (
        '<!DOCTYPE html>\n<html lang="tr"><head><meta charset="utf-8">'
        f"<title>{text(heading)} - {text(outlet.name)}</title></head>\n<body>\n"
        f'<header><a href="{attr(f"/{outlet.domain}{outlet.home}")}">{text(outlet.name)}</a> <nav>{nav}</nav></header>\n'
        f"<main>\n  <h1>{text(heading)}</h1>\n  <ul>\n{links}\n  </ul>\n</main>\n</body></html>\n"
    )


def discovery_reply(domain: str, path: str, base_url: str, shared: SharedPages) -> Reply | None:
    """The home, section, feed or news sitemap page of a saved-page outlet at ``path``, or None."""
    outlet = OUTLETS.get(domain)
    if outlet is None:
        return None
    pages = sorted(
        (p for p in shared.pages.values() if p.domain == domain and p.file.is_file()), key=lambda p: p.url
    )
    request = Request("GET", path, "", base_url, ReplicaState())
    normalised = path.rstrip("/") or "/"
    if normalised == (outlet.home.rstrip("/") or "/"):
        return Reply(200, _listing(outlet, "Son dakika haberleri", _items(pages, shared)).encode(), _HTML)
    if normalised in outlet.sections:
        under = [p for p in pages if p.path.startswith(normalised + "/")]
        return Reply(
            200, _listing(outlet, outlet.sections[normalised], _items(under, shared)).encode(), _HTML
        )
    if path in outlet.feeds:
        document = rss(
            request,
            domain,
            title=outlet.name,
            home=outlet.home,
            description=f"{outlet.name} son dakika haberleri",
            language="tr",
            items=_items(pages, shared),
        )
        return Reply(200, document.encode("utf-8"), "application/rss+xml; charset=utf-8")
    if path in outlet.news_sitemaps:
        document = news_urlset(request, domain, _items(pages, shared), publication=outlet.name, language="tr")
        return Reply(200, document.encode("utf-8"), "application/xml; charset=utf-8")
    return None
