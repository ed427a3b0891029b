"""Item pipelines of a shared-frontier crawl: each article is written by one worker only.

The frontier's duplicate filter lets each URL be requested once, but a request whose worker died after
writing its article and before returning its lease is fetched again by another worker. The crawl's
article set in Redis (``<prefix>:<spider>:<crawl>:articles``, outlet URLs) closes that gap: the filter
(before ``ArticleOutputPipeline``) drops an article already written in this crawl, the commit (after
it) adds the URL once the line is in the worker's articles file. What is left (a kill between the two)
is at most one line, and ``newsarchive archive merge-index`` drops exact duplicates when it builds the
collection's ``articles.jsonl``.
"""

from __future__ import annotations

from typing import Any

from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem, NotConfigured

from crawler.items import ArticleItem


class _ArticleSet:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Any:
        if not crawler.settings.get("REDIS_URL"):
            raise NotConfigured("REDIS_URL is not set")
        return cls(crawler)

    def _target(self, item: Any) -> tuple[Any, str, str] | None:
        frontier = getattr(self.crawler, "newsarchive_frontier", None)
        if frontier is None or not isinstance(item, ArticleItem) or not frontier.base:
            return None
        return frontier.server, frontier.key("articles"), str(item.get("source_url") or item["url"])


class ArticleOnceFilter(_ArticleSet):
    """Before the outputs (order 750): an article another worker already wrote in this crawl is dropped."""

    def process_item(self, item: Any, spider: Spider | None = None) -> Any:
        target = self._target(item)
        if target is not None:
            server, key, url = target
            if server.sismember(key, url):
                self.crawler.stats.inc_value("newsarchive/frontier/duplicate_articles")
                raise DropItem(f"already written by a worker of this crawl: {url}", log_level="DEBUG")
        return item


class ArticleOnceCommit(_ArticleSet):
    """After the outputs (order 850): the line is on disk, so the crawl may count the article written."""

    def process_item(self, item: Any, spider: Spider | None = None) -> Any:
        target = self._target(item)
        if target is not None:
            server, key, url = target
            server.sadd(key, url)
        return item
