"""Building blocks the site modules share: replies with the right headers, dates, feeds and sitemaps.

Site modules describe *what* an outlet serves; this module knows *how* HTTP and the XML formats want it
written, so every outlet gets the same correct headers (exact Content-Type, stable validators) for free.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from html import escape
from xml.sax.saxutils import escape as xml_escape

from crawler.replica.model import Handler, ReplicaPage, Reply, Request

MEDIA_TYPES = {"feed": "application/rss+xml", "sitemap": "application/xml"}


def text(value: str) -> str:
    """Escape text for an HTML text node, leaving quotes as the outlets write them."""
    return escape(value, quote=False)


def attr(value: str) -> str:
    """Escape text for a double-quoted HTML attribute."""
    return escape(value, quote=True)


def parse_iso(value: str) -> datetime:
    """Parse the catalogue's ISO dates; a date without time means midnight UTC (HTTP needs an instant)."""
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def http_date(value: str) -> str:
    """RFC 9110 date (always GMT), for Last-Modified."""
    return format_datetime(parse_iso(value).astimezone(UTC), usegmt=True)


def rfc822_date(value: str) -> str:
    """RSS pubDate keeps the outlet's own offset, as real feeds do."""
    return format_datetime(parse_iso(value))


def content_type(page: ReplicaPage) -> str:
    """The exact Content-Type header for a catalogue page: media type by kind, charset label as catalogued."""
    media = MEDIA_TYPES.get(page.kind, "text/html")
    return f"{media}; charset={page.served_charset_label}" if page.served_charset_label else media


def validators(body: bytes, modified: str | None) -> tuple[tuple[str, str], ...]:
    """ETag from the body and Last-Modified from the page's date: stable across requests and instances."""
    headers = [("ETag", f'"{hashlib.sha1(body).hexdigest()[:20]}"')]
    if modified:
        headers.append(("Last-Modified", http_date(modified)))
    return tuple(headers)


def html_reply(
    page: ReplicaPage,
    markup: str,
    *,
    headers: Iterable[tuple[str, str]] = (),
    gzip_if_accepted: bool = False,
) -> Reply:
    """Encode a page's markup the way the catalogue says the outlet really encodes it.

    Characters the encoding lacks become character references, as a CMS writing into a legacy charset does;
    the catalogue's paragraphs are checked by the tests to be fully encodable, so they never take that path.
    """
    body = markup.encode(page.body_encoding, errors="xmlcharrefreplace")
    all_headers = list(headers)
    if page.kind == "article":
        all_headers.extend(validators(body, page.published))
    return Reply(page.status, body, content_type(page), tuple(all_headers), gzip_if_accepted)


def html_handler(
    page: ReplicaPage,
    markup: str,
    *,
    headers: Iterable[tuple[str, str]] = (),
    gzip_if_accepted: bool = False,
) -> Handler:
    """A route for a page whose bytes never change: encoded once, answered as is on every request."""
    reply = html_reply(page, markup, headers=headers, gzip_if_accepted=gzip_if_accepted)
    return lambda _: reply


def xml_handler(
    page: ReplicaPage, build: Callable[[Request], str], *, headers: Iterable[tuple[str, str]] = ()
) -> Handler:
    """A route for a feed or sitemap, rebuilt per request because its URLs carry the request's Host."""
    fixed = tuple(headers)
    return lambda request: xml_reply(page, build(request), headers=fixed)


def xml_reply(page: ReplicaPage, document: str, *, headers: Iterable[tuple[str, str]] = ()) -> Reply:
    """Feeds and sitemaps: always UTF-8 with an XML declaration, as every generator in the wild writes."""
    return Reply(page.status, document.encode(page.body_encoding), content_type(page), tuple(headers))


def redirect_reply(page: ReplicaPage, request: Request, target: str, *, markup: str = "") -> Reply:
    """A 301/302 with an absolute Location on the replica (``target`` is a path under the outlet)."""
    location = request.absolute(f"/{page.outlet}{target}")
    body = markup or (
        "<html><head><title>Object moved</title></head><body>\n"
        f'<h2>Object moved to <a href="{attr(location)}">here</a>.</h2>\n</body></html>\n'
    )
    return Reply(page.status, body.encode("utf-8"), content_type(page), (("Location", location),))


def plain_reply(status: int, message: str, *, headers: Iterable[tuple[str, str]] = ()) -> Reply:
    """Minimal HTML answer for things no outlet owns (unknown domains, the replica's own index)."""
    body = (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>'
        f"{text(message)}</title></head><body><h1>{text(message)}</h1></body></html>\n"
    )
    return Reply(status, body.encode("utf-8"), "text/html; charset=utf-8", tuple(headers))


def block(paragraphs: Sequence[str], *, indent: str = "      ", links: dict[str, str] | None = None) -> str:
    """Paragraphs as <p> elements; a phrase in ``links`` becomes an inline link without changing the text."""
    lines = []
    for paragraph in paragraphs:
        markup = text(paragraph)
        for phrase, href in (links or {}).items():
            escaped = text(phrase)
            if escaped in markup:
                markup = markup.replace(escaped, f'<a href="{attr(href)}">{escaped}</a>', 1)
        lines.append(f"{indent}<p>{markup}</p>")
    return "\n".join(lines)


# --- feeds and sitemaps -------------------------------------------------------------------------------


@dataclass(frozen=True)
class FeedItem:
    """One entry of an RSS feed or a sitemap; ``path`` is the real path under the outlet."""

    path: str
    title: str
    published: str
    summary: str = ""
    authors: tuple[str, ...] = ()
    category: str = ""


def rss(
    request: Request,
    outlet: str,
    *,
    title: str,
    home: str,
    description: str,
    language: str,
    items: Sequence[FeedItem],
) -> str:
    """RSS 2.0 with absolute links built from the request's Host, newest first as feeds list them."""
    entries = []
    for item in sorted(items, key=lambda i: parse_iso(i.published), reverse=True):
        url = xml_escape(request.absolute(f"/{outlet}{item.path}"))
        extra = "".join(f"\n      <dc:creator><![CDATA[{a}]]></dc:creator>" for a in item.authors)
        if item.category:
            extra += f"\n      <category><![CDATA[{item.category}]]></category>"
        entries.append(
            "    <item>\n"
            f"      <title>{xml_escape(item.title)}</title>\n"
            f"      <link>{url}</link>\n"
            f'      <guid isPermaLink="true">{url}</guid>\n'
            f"      <pubDate>{rfc822_date(item.published)}</pubDate>{extra}\n"
            f"      <description>{xml_escape(item.summary)}</description>\n"
            "    </item>"
        )
    body = "\n".join(entries)
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:atom="http://www.w3.org/2005/Atom">\n'
        "  <channel>\n"
        f"    <title>{xml_escape(title)}</title>\n"
        f"    <link>{xml_escape(request.absolute(f'/{outlet}{home}'))}</link>\n"
        f"    <description>{xml_escape(description)}</description>\n"
        f"    <language>{language}</language>\n"
        f"{body}\n"
        "  </channel>\n"
        "</rss>\n"
    )


def sitemap_index(
    request: Request, outlet: str, sitemaps: Sequence[tuple[str, str]], *, preamble: str = ""
) -> str:
    """A sitemap index; ``sitemaps`` are (real path, lastmod ISO) pairs."""
    entries = "\n".join(
        f"  <sitemap>\n    <loc>{xml_escape(request.absolute(f'/{outlet}{path}'))}</loc>\n"
        f"    <lastmod>{lastmod}</lastmod>\n  </sitemap>"
        for path, lastmod in sitemaps
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n{preamble}'
        '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        f"{entries}\n</sitemapindex>\n"
    )


def urlset(request: Request, outlet: str, items: Sequence[FeedItem], *, preamble: str = "") -> str:
    """A plain sitemap of URLs with lastmod."""
    entries = "\n".join(
        f"  <url>\n    <loc>{xml_escape(request.absolute(f'/{outlet}{item.path}'))}</loc>\n"
        f"    <lastmod>{item.published}</lastmod>\n  </url>"
        for item in items
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n{preamble}'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        f"{entries}\n</urlset>\n"
    )


def news_urlset(
    request: Request, outlet: str, items: Sequence[FeedItem], *, publication: str, language: str
) -> str:
    """A Google News sitemap, the format news outlets publish for their last two days of stories."""
    entries = "\n".join(
        "  <url>\n"
        f"    <loc>{xml_escape(request.absolute(f'/{outlet}{item.path}'))}</loc>\n"
        "    <news:news>\n"
        "      <news:publication>\n"
        f"        <news:name>{xml_escape(publication)}</news:name>\n"
        f"        <news:language>{language}</news:language>\n"
        "      </news:publication>\n"
        f"      <news:publication_date>{item.published}</news:publication_date>\n"
        f"      <news:title>{xml_escape(item.title)}</news:title>\n"
        "    </news:news>\n"
        "  </url>"
        for item in items
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">\n'
        f"{entries}\n</urlset>\n"
    )
