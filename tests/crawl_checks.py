"""Checks every outlet crawl test makes: the catalogue's articles found exactly, nothing else, and
``newsarchive extract`` reproducing the crawl from its WARC files.

The catalogue (crawler/replica/catalogue.py) is the truth; these helpers only compare, so a failure
names the page and the field that differ.
"""

from __future__ import annotations

import json
import subprocess
import urllib.request
from collections.abc import Iterable, Sequence
from typing import Any

from archive.reader import iter_responses
from crawler.replica.catalogue import ReplicaPage

from .conftest import BIN, CrawlRun

#: Fields an article record must carry exactly as the catalogue says.
EXACT_FIELDS = ("title", "published", "language", "section")
#: Fields ``newsarchive extract`` must give exactly as the crawl wrote them.
REPRODUCED_FIELDS = (
    "title", "text", "authors", "published", "section", "language", "outlet", "encoding", "extractor", "verdict",
)


def by_source(run: CrawlRun) -> dict[str, dict[str, Any]]:
    return {a["source_url"]: a for a in run.articles}


def listed_articles(pages: Iterable[ReplicaPage]) -> list[ReplicaPage]:
    """Catalogue pages that discovery must find and that are articles."""
    return [p for p in pages if p.expected_verdict == "article" and p.listed]


def assert_articles_exact(run: CrawlRun, pages: Sequence[ReplicaPage]) -> None:
    """Every listed article was written once, with the catalogue's text and metadata."""
    found = by_source(run)
    assert pages, "the catalogue lists articles for this outlet"
    for page in pages:
        assert page.real_url in found, f"missing article {page.real_url}"
        article = found[page.real_url]
        assert article["text"].split("\n\n") == list(page.paragraphs), page.real_url
        for name in EXACT_FIELDS:
            assert article[name] == getattr(page, name), (page.real_url, name, article[name])
        assert article["authors"] == list(page.authors), page.real_url
        assert article["verdict"] == "article"
        assert article["word_count"] == len(article["text"].split())


def assert_nothing_else(run: CrawlRun, pages: Sequence[ReplicaPage]) -> None:
    """No article record that the catalogue does not list as one, and none twice."""
    urls = [a["source_url"] for a in run.articles]
    assert len(urls) == len(set(urls)), "an article written twice"
    assert set(urls) == {p.real_url for p in pages}


def archived_urls(run: CrawlRun) -> set[str]:
    return {r.url for f in run.warc_files for r in iter_responses(f)}


def extract_records(run: CrawlRun) -> list[dict[str, Any]]:
    """``newsarchive extract`` on the crawl's WARC files, as a user runs it."""
    proc = subprocess.run(
        [str(BIN / "newsarchive"), "extract", *map(str, run.warc_files)],
        capture_output=True, text=True, check=True, timeout=300,
    )
    return [json.loads(line) for line in proc.stdout.splitlines()]


def assert_extract_reproduces(run: CrawlRun, fields: Sequence[str] = REPRODUCED_FIELDS) -> None:
    """Re-extracting the archive gives the crawl's articles, field for field."""
    extracted = {r["url"]: r for r in extract_records(run) if r["verdict"] == "article"}
    assert set(extracted) == {a["url"] for a in run.articles}
    for article in run.articles:
        again = extracted[article["url"]]
        for name in fields:
            assert again[name] == article[name], (article["url"], name)
        assert again["warc"]["record_id"] == article["warc"]["record_id"]


#: No proxies: a developer's http_proxy must not sit between a test and the loopback replica.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def fetch(url: str) -> tuple[bytes, str | None]:
    """Body and Content-Type of a replica page, fetched directly (no crawl)."""
    with _OPENER.open(url, timeout=10) as response:
        return response.read(), response.headers["Content-Type"]
