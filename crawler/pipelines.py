"""Item pipeline: the text outputs of a crawl.

``articles.jsonl`` gets one line per article, flushed at once, so a crawl killed at any moment
keeps every article it had finished. Each article also gets a plain-text file whose name is safe
whatever the URL looks like.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import unicodedata
from pathlib import Path
from typing import IO, Any
from urllib.parse import unquote, urlsplit

from itemadapter import ItemAdapter
from scrapy import Spider
from scrapy.crawler import Crawler

from crawler.items import ArticleItem

_UNSAFE = re.compile(r"[^\w.-]+", re.UNICODE)
MAX_NAME = 100


def safe_filename(url: str, *, max_length: int = MAX_NAME) -> str:
    """A file name for a URL's text: readable slug + hash; no separators, no dot-names, bounded.

    The hash of the whole URL makes names unique (query strings, case, long slugs that share a
    prefix); the slug only helps a person browsing the folder.
    """
    parts = urlsplit(url)
    slug = unquote(parts.path).strip("/").replace("/", "_") or parts.hostname or "page"
    slug = unicodedata.normalize("NFC", slug)
    slug = _UNSAFE.sub("-", slug).strip(".-_") or "page"
    digest = hashlib.sha1(url.encode("utf-8")).hexdigest()[:12]
    # Bound by bytes, not characters: file systems limit names to 255 bytes.
    budget = max_length - len(digest) - len(".txt") - 1
    while len(slug.encode("utf-8")) > budget:
        slug = slug[:-1]
    return f"{slug.rstrip('.-_') or 'page'}-{digest}.txt"


def render_text_file(article: dict[str, Any]) -> str:
    """Title, a metadata header, a blank line, then the body paragraphs separated by blank lines."""
    warc = article.get("warc") or {}
    header = [
        article.get("title") or "",
        "",
        f"URL: {article.get('source_url') or article.get('url')}",
        f"Fetched: {article.get('url')}",
        f"Outlet: {article.get('outlet') or ''}",
        f"Published: {article.get('published') or ''}",
        f"Authors: {', '.join(article.get('authors') or [])}",
        f"Section: {article.get('section') or ''}",
        f"Language: {article.get('language') or ''}",
        f"WARC: {warc.get('file', '')} offset {warc.get('offset', '')} {warc.get('record_id', '')}",
    ]
    return "\n".join(header) + "\n\n" + (article.get("text") or "") + "\n"


class ArticleOutputPipeline:
    """Writes ``articles.jsonl`` and ``text/<outlet>/<name>.txt`` under NEWSARCHIVE_OUTPUT."""

    def __init__(self, output: Path, articles_file: str = "articles.jsonl") -> None:
        self.output = output
        #: Relative to the output folder; a shared-frontier worker has its own (crawler.redis_frontier).
        self.articles_file = articles_file
        self.jsonl: IO[str] | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArticleOutputPipeline:
        settings = crawler.settings
        return cls(Path(settings.get("NEWSARCHIVE_OUTPUT", "output")),
                   settings.get("NEWSARCHIVE_ARTICLES_FILE") or "articles.jsonl")

    def open_spider(self, spider: Spider | None = None) -> None:
        path = self.output / self.articles_file
        path.parent.mkdir(parents=True, exist_ok=True)
        # Append: several crawls (and several outlets in one process) share one articles file.
        self.jsonl = open(path, "a", encoding="utf-8")  # noqa: SIM115

    def close_spider(self, spider: Spider | None = None) -> None:
        if self.jsonl is not None:
            self.jsonl.close()
            self.jsonl = None

    def process_item(self, item: Any, spider: Spider | None = None) -> Any:
        if not isinstance(item, ArticleItem):
            return item
        adapter = ItemAdapter(item)
        outlet = _UNSAFE.sub("-", adapter.get("outlet") or "generic")
        relative = Path("text") / outlet / safe_filename(adapter.get("source_url") or adapter["url"])
        adapter["text_file"] = relative.as_posix()
        target = self.output / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".tmp")
        tmp.write_text(render_text_file(adapter.asdict()), encoding="utf-8")
        os.replace(tmp, target)
        assert self.jsonl is not None, "pipeline used before open_spider"
        self.jsonl.write(json.dumps(adapter.asdict(), ensure_ascii=False, sort_keys=True) + "\n")
        self.jsonl.flush()
        return item
