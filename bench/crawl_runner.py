"""One benchmark crawl in a fresh process: ``python -m bench.crawl_runner '<json config>'``.

``bench/suite.py`` starts one of these per crawl, so that every mode pays its own imports and
starts from an empty heap (peak RSS is the process's own), and reads the last stdout line: a JSON
object with the crawl's wall time (from ``process.start()`` to its return, closing work included),
its CPU time, and Scrapy's stats.

Modes (same concurrency settings for all; no politeness delay, no AutoThrottle: the server is local):

* ``plain``: a minimal spider following every ``<a href>``; no pipeline, no newsarchive component;
* ``warc``: the same spider plus the WARC archiving components as the project configures them;
* ``full``: ``scrapy crawl generic -a url=BASE/`` with the project's settings: WARC, encoding,
  verdicts, extraction, the text outputs, the run report: what a crawl of a real site does.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import scrapy
from scrapy.crawler import CrawlerProcess
from scrapy.http import Response

#: Same for every mode: what differs between them is only what runs per page. 16 requests at a time is
#: the project's CONCURRENT_REQUESTS (per domain too: the site is one host, and there is no politeness
#: delay to honour on loopback). 32 gave the same pages/s in every mode (each is CPU-bound on this
#: machine) and 20 MB more peak memory in the full pipeline: downloads waiting for the analysis.
COMMON = {
    "CONCURRENT_REQUESTS": 16,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
    "DOWNLOAD_DELAY": 0,
    "AUTOTHROTTLE_ENABLED": False,
    "TELNETCONSOLE_ENABLED": False,
    "LOG_LEVEL": "WARNING",
    "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
}


class PlainSpider(scrapy.Spider):
    """Follows every link of every page: the least a crawler of the site can do."""

    name = "bench"

    def __init__(self, base: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.start_urls = [base + "/"]

    def parse(self, response: Response) -> Iterator[scrapy.Request]:
        for href in response.css("a::attr(href)").getall():
            yield response.follow(href, self.parse)


def _descendants(pid: int) -> list[int]:
    try:
        children = [int(c) for c in open(f"/proc/{pid}/task/{pid}/children").read().split()]  # noqa: SIM115
    except OSError:
        return []
    return children + [d for c in children for d in _descendants(c)]


def _rss_mb(pids: list[int]) -> float:
    """Memory of ``pids`` together: the sum of their proportional set sizes (shared library pages
    split between the processes, not counted once per process), else of their RSS."""
    page = os.sysconf("SC_PAGE_SIZE")
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/smaps_rollup") as rollup:
                total += next(int(line.split()[1]) * 1024 for line in rollup if line.startswith("Pss:"))
        except (OSError, StopIteration, ValueError):
            try:
                total += int(open(f"/proc/{pid}/statm").read().split()[1]) * page  # noqa: SIM115
            except (OSError, IndexError, ValueError):
                continue
    return total / (1024 * 1024)


def _rss_sampler(samples: list[tuple[float, float]], peak: list[float], stop: threading.Event, started: float) -> None:
    """Resident set size of this process plus its children (the WARC writer process, a browser),
    every half second: whether memory grows with the crawl, and the peak of the sum (wait4's
    ru_maxrss only knows the largest single process)."""
    me = os.getpid()
    tick = 0
    while not stop.wait(0.5):
        rss = _rss_mb([me, *_descendants(me)])
        peak[0] = max(peak[0], rss)
        tick += 1
        if tick % 2 == 0:
            samples.append((round(time.perf_counter() - started, 1), round(rss, 1)))


def main() -> None:
    cfg = json.loads(sys.argv[1])
    mode, base, output = cfg["mode"], cfg["base"], cfg["output"]
    if mode == "full":
        os.environ["SCRAPY_SETTINGS_MODULE"] = "crawler.settings"
        from scrapy.utils.project import get_project_settings

        settings = get_project_settings()
        settings.setdict({**COMMON, "NEWSARCHIVE_OUTPUT": output, **cfg.get("settings", {})}, priority="cmdline")
        process = CrawlerProcess(settings=settings)
        crawler = process.create_crawler("generic")
        process.crawl(crawler, url=base + "/")
    else:
        plain: dict[str, Any] = {**COMMON, "ROBOTSTXT_OBEY": False, "ITEM_PIPELINES": {}, "EXTENSIONS": {}}
        if mode == "warc":
            plain.update({
                "EXTENSIONS": {"crawler.archiving.WarcArchiveExtension": 100},
                "DOWNLOADER_MIDDLEWARES": {
                    "crawler.archiving.ConditionalGetMiddleware": 595,
                    "crawler.archiving.WarcPointerMiddleware": 950,
                },
                "SPIDER_MIDDLEWARES": {"crawler.archiving.WarcSpiderMiddleware": 25},
                "NEWSARCHIVE_OUTPUT": output,
            })
        plain.update(cfg.get("settings", {}))
        process = CrawlerProcess(settings=plain)
        crawler = process.create_crawler(PlainSpider)
        process.crawl(crawler, base=base)
    samples: list[tuple[float, float]] = []
    peak = [0.0]
    stop = threading.Event()
    started, cpu_started = time.perf_counter(), time.process_time()
    threading.Thread(target=_rss_sampler, args=(samples, peak, stop, started), daemon=True).start()
    process.start()
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    stop.set()
    stats = crawler.stats.get_stats() if crawler.stats else {}
    print(json.dumps({
        "elapsed": elapsed,
        "crawl_cpu": cpu,
        "responses": stats.get("downloader/response_count", 0),
        "status_200": stats.get("downloader/response_status_count/200", 0),
        "items": stats.get("item_scraped_count", 0),
        "articles": stats.get("newsarchive/verdict/article", 0),
        "warc_bytes": stats.get("newsarchive/warc/bytes", 0),
        "max_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "peak_total_rss_mb": round(peak[0], 1),
        "rss_mb_samples": samples[:: max(1, len(samples) // 40)],
    }))


if __name__ == "__main__":
    main()
