"""The ``-a since=YYYY-MM-DD`` bound on discovery: what feeds and sitemaps say is older is not fetched.

A feed item's ``pubDate`` (or Atom ``published``/``updated``), a sitemap entry's
``news:publication_date`` or ``lastmod`` tell when a page appeared or last changed; a page whose date
falls before ``since`` is not requested, which keeps a daily crawl of a ten-year sitemap cheap. A page
without a date is requested: a missing date proves nothing, and a missed article is worse than an
extra request. Dates are compared as calendar days in the offset the source gives (an article the
outlet dates 2025-06-01 00:30 +04:00 belongs to 1 June, as its readers saw it).
"""

from __future__ import annotations

from datetime import date, datetime
from email.utils import parsedate_to_datetime

from lxml import etree

from crawler.parsing import iso_datetime


class SinceError(ValueError):
    """``since`` is not a date; raised when the spider starts, before anything is fetched."""


def parse_since(value: str | date | None) -> date | None:
    """``YYYY-MM-DD`` (or a date) to a date; empty means no bound."""
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise SinceError(f"since={value!r} is not a date; write it as YYYY-MM-DD, e.g. since=2025-06-01") from None


def source_day(value: str | None) -> date | None:
    """The calendar day of a feed or sitemap date (RFC 822 or W3C/ISO 8601); None if unreadable."""
    if not value:
        return None
    value = value.strip()
    iso = iso_datetime(value)
    if iso:
        return date.fromisoformat(iso[:10])
    try:
        return parsedate_to_datetime(value).date()
    except (TypeError, ValueError, IndexError):
        pass
    try:  # "2025-06-25T17:24+04:00" without seconds, and other near-ISO forms
        return datetime.fromisoformat(value.replace("Z", "+00:00")).date()
    except ValueError:
        return None


def before(since: date | None, *values: str | None) -> bool:
    """True when ``since`` is set and the first readable date of ``values`` is earlier than it."""
    if since is None:
        return False
    for value in values:
        day = source_day(value)
        if day is not None:
            return day < since
    return False


def news_publication_dates(body: bytes) -> dict[str, str]:
    """``loc`` -> ``news:publication_date`` of a Google News sitemap (Scrapy's parser drops nested tags)."""
    if b"publication_date" not in body:
        return {}
    try:
        root = etree.fromstring(body, parser=etree.XMLParser(recover=True, resolve_entities=False, huge_tree=True))
    except etree.XMLSyntaxError:
        return {}
    if root is None:
        return {}
    found: dict[str, str] = {}
    for url in root.iterchildren("{*}url"):
        loc = url.findtext("{*}loc")
        published = url.findtext("{*}news/{*}publication_date")
        if loc and published:
            found[loc.strip()] = published.strip()
    return found
