"""The switch to the shared frontier (crawler.redis_frontier): a Scrapy add-on and the worker's name.

Kept apart from crawler.redis_frontier so that the project settings can list the add-on while
scrapy-redis (the optional ``[redis]`` extra) is not installed: without ``REDIS_URL`` nothing is imported.
"""

from __future__ import annotations

import os
import re
import socket
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scrapy.settings import BaseSettings

_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")
_PROCESS_WORKER = ""


def safe_worker_id(text: str) -> str:
    """A worker id usable in file names and Redis keys."""
    return _UNSAFE.sub("-", text).strip("-.") or "worker"


def worker_id(settings: BaseSettings) -> str:
    """``NEWSARCHIVE_WORKER_ID`` (setting or environment), else ``<host>-<pid>`` of this process.

    The default is unique per live process on a machine and per machine (the host name), which is all
    the file names and leases need; a stable id (``--worker``) keeps one articles file per worker.
    """
    global _PROCESS_WORKER
    chosen = settings.get("NEWSARCHIVE_WORKER_ID") or os.environ.get("NEWSARCHIVE_WORKER_ID") or ""
    if chosen:
        return safe_worker_id(str(chosen))
    if not _PROCESS_WORKER:
        _PROCESS_WORKER = safe_worker_id(f"{socket.gethostname().split('.')[0]}-{os.getpid()}")
    return _PROCESS_WORKER


def worker_articles_file(worker: str) -> str:
    """A worker's own articles file, relative to the output folder (``merge-index`` merges them)."""
    return f"workers/{worker}/articles.jsonl"


class RedisFrontierAddon:
    """Scrapy add-on (``ADDONS``): switches a crawl to the shared frontier when ``REDIS_URL`` is set.

    An add-on runs after every settings source (project, spider, ``-s``), so one flag decides, and
    without ``REDIS_URL`` not one setting changes.
    """

    def update_settings(self, settings: BaseSettings) -> None:
        if not settings.get("REDIS_URL"):
            return
        try:
            import scrapy_redis  # noqa: F401
        except ImportError:
            raise RuntimeError(
                "REDIS_URL is set but scrapy-redis is not installed: pip install 'newsarchive[redis]'"
            ) from None
        worker = worker_id(settings)
        settings.set("NEWSARCHIVE_WORKER_ID", worker, priority=max(settings.getpriority("NEWSARCHIVE_WORKER_ID") or 0, 15))
        settings.set("SCHEDULER", "crawler.redis_frontier.RedisFrontierScheduler", priority="addon")
        settings.set("SCHEDULER_PERSIST", True, priority="addon")  # generations are ours to end
        prefix = str(settings.get("WARC_PREFIX") or "newsarchive")
        if not prefix.endswith(f"-{worker}"):
            settings.set("WARC_PREFIX", f"{prefix}-{worker}", priority=max(settings.getpriority("WARC_PREFIX") or 0, 30))
        if settings.get("NEWSARCHIVE_ARTICLES_FILE", "articles.jsonl") == "articles.jsonl":
            # Same priority as the default it replaces (project settings outrank add-ons).
            settings.set("NEWSARCHIVE_ARTICLES_FILE", worker_articles_file(worker),
                         priority=settings.getpriority("NEWSARCHIVE_ARTICLES_FILE") or "addon")
        for name, component, order in (
            # Closest to the engine: sees the end of a callback's output after every other middleware.
            ("SPIDER_MIDDLEWARES", "crawler.redis_frontier.LeaseMiddleware", 1),
            # Around ArticleOutputPipeline (800): an article another worker wrote is not written again.
            ("ITEM_PIPELINES", "crawler.redis_articles.ArticleOnceFilter", 750),
            ("ITEM_PIPELINES", "crawler.redis_articles.ArticleOnceCommit", 850),
        ):
            components = dict(settings.getdict(name))
            components[component] = order
            settings.set(name, components, priority=max(settings.getpriority(name) or 0, 30))
