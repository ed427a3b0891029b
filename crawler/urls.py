"""Mapping between an outlet's real URLs and the replica's URLs.

The replica serves every outlet on one port, prefixed by the outlet's domain
(``https://menafn.com/1/x`` is ``http://127.0.0.1:PORT/menafn.com/1/x``). Spiders think in
real URLs (their patterns and start URLs are the outlet's own) and translate only at the edge,
so the same spider code crawls the outlet or the replica. Archived records keep the URL that
was really fetched: a replica capture is never passed off as the outlet's.
"""

from __future__ import annotations

import ipaddress
import os
import re
from urllib.parse import urlsplit, urlunsplit

REPLICA_ENV = "NEWSARCHIVE_REPLICA"

_DOMAIN_SEGMENT = re.compile(r"^[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z][a-z0-9-]+$", re.IGNORECASE)
#: Endings that make a first path segment a file at the replica's root, not an outlet domain.
_FILE_ENDINGS = frozenset(["txt", "xml", "html", "htm", "json", "js", "css", "png", "jpg", "jpeg", "gif", "ico", "svg", "gz", "php", "aspx"])


def replica_base(setting: str | None = None) -> str:
    """The replica base URL from the setting, else the environment; "" when crawling for real."""
    base = (setting or os.environ.get(REPLICA_ENV, "") or "").strip()
    if base and not base.startswith(("http://", "https://")):
        raise ValueError(f"{REPLICA_ENV} must be a URL such as http://127.0.0.1:8765, got {base!r}")
    return base.rstrip("/")


def to_replica(url: str, base: str) -> str:
    """Translate an outlet URL into the replica's URL space (identity when ``base`` is empty)."""
    if not base:
        return url
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    path = parts.path or "/"
    return f"{base}/{host}{path}" + (f"?{parts.query}" if parts.query else "")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def from_replica(url: str) -> str | None:
    """The outlet URL a replica URL stands for, or None when ``url`` is not a replica URL.

    A replica URL is a loopback URL whose first path segment is a domain name.
    """
    parts = urlsplit(url)
    if not _is_loopback(parts.hostname or ""):
        return None
    segments = parts.path.split("/", 2)
    if len(segments) < 2 or not _DOMAIN_SEGMENT.match(segments[1]):
        return None
    if segments[1].rsplit(".", 1)[1].lower() in _FILE_ENDINGS:
        return None
    rest = "/" + (segments[2] if len(segments) > 2 else "")
    return urlunsplit(("https", segments[1].lower(), rest, parts.query, ""))


def outlet_url(url: str) -> str:
    """The outlet's own URL for ``url``: the real URL behind a replica URL, else ``url`` itself."""
    return from_replica(url) or url
