"""Real saved pages from the shared test data, served at their real paths under their domains.

``<shared_data>/fundus-tr/`` holds gzip files of real Turkish article pages and a ``meta.info`` mapping each
file to its URL. The replica serves them at ``/<domain><path>`` (e.g. ``/www.aa.com.tr/tr/ekonomi/...``) so
the generic extractor and the spiders' follow-up logic can run on real publisher markup too. The pages are
publishers' HTML kept as test data only, so they are read from the shared folder at request time and never
copied into the repository; without the folder those paths answer 404.
"""

from __future__ import annotations

import gzip
import json
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from crawler.replica.model import Reply

FOLDER = "fundus-tr"
_META_CHARSET = re.compile(rb"""<meta[^>]+charset=["']?([A-Za-z0-9_-]+)""", re.IGNORECASE)


def default_shared_data() -> Path | None:
    """``<repo>/../shared/data``, resolved from this package's location, when it exists."""
    candidate = Path(__file__).resolve().parents[2].parent / "shared" / "data"
    return candidate if candidate.is_dir() else None


@dataclass(frozen=True)
class SharedPage:
    """One saved page: where the replica serves it and where its bytes are."""

    domain: str
    path: str  # decoded path under the domain
    url: str  # the real URL from meta.info
    file: Path


class SharedPages:
    """Index of the saved pages under one shared-data folder (empty when the folder is missing)."""

    def __init__(self, root: Path | None) -> None:
        self.root = root
        self.pages: dict[tuple[str, str], SharedPage] = {}
        meta = root / FOLDER / "meta.info" if root else None
        if meta is None or not meta.is_file():
            return
        for name, info in json.loads(meta.read_text(encoding="utf-8")).items():
            parts = urlsplit(info["url"])
            page = SharedPage(
                parts.netloc.lower(), unquote(parts.path) or "/", info["url"], meta.parent / name
            )
            self.pages[(page.domain, page.path)] = page

    @property
    def domains(self) -> frozenset[str]:
        return frozenset(domain for domain, _ in self.pages)

    def reply(self, domain: str, path: str) -> Reply | None:
        """The saved page at a decoded path (query ignored, as the publishers' servers do), or None."""
        page = self.pages.get((domain, path))
        if page is None or not page.file.is_file():
            return None
        body = gzip.decompress(page.file.read_bytes())
        found = _META_CHARSET.search(body[:4096])
        charset = found.group(1).decode("ascii").lower() if found else "utf-8"
        return Reply(200, body, f"text/html; charset={charset}")
