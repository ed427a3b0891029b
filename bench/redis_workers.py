"""One worker vs two workers sharing the Redis frontier: ``make bench-redis`` / ``python bench/redis_workers.py``.

The generated site of bench/warc_overhead.py (N pages, default 5,000, each linking to ten others, served
by a threaded HTTP server in its own process: bench/sitegen.py) is crawled from ``/p/0`` by a minimal
link-following spider with the project's shared-frontier components (crawler.redis_frontier's scheduler,
leases and heartbeats; scrapy-redis's queue and duplicate filter) and its WARC archiving (extension,
middlewares, payload dedup on Redis), against a redis-server started here on a free port:

* ``1 worker``: one Scrapy process;
* ``2 workers``: two Scrapy processes started together, sharing the frontier.

Each crawl is timed inside the worker processes from ``process.start()`` to its return (interpreter
start-up and imports excluded), from the first start to the last end. Printed: pages/s of each mode
(best of the rounds) and the speed-up; the target is >= 1.6x. This is a benchmark, not a test: it never
fails on the figure. On a 2-core machine the site's server, Redis and the workers share the two cores.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# The page generator and server of bench/warc_overhead.py (shared through bench/sitegen.py).
from bench.sitegen import simple_site_server  # noqa: E402

RUNNER = textwrap.dedent(
    """
    import json, sys, time
    import scrapy
    from scrapy.crawler import CrawlerProcess

    cfg = json.loads(sys.argv[1])

    class BenchSpider(scrapy.Spider):
        name = "bench"

        async def start(self):
            # Filtered like any request (start_urls would be dont_filter): every worker pushes it, one fetches it.
            yield scrapy.Request(cfg["base"] + "/p/0", callback=self.parse)

        def parse(self, response):
            for href in response.css("a::attr(href)").getall():
                yield response.follow(href, self.parse)

    settings = {
        "CONCURRENT_REQUESTS": 32, "CONCURRENT_REQUESTS_PER_DOMAIN": 32, "DOWNLOAD_DELAY": 0,
        "AUTOTHROTTLE_ENABLED": False, "ROBOTSTXT_OBEY": False, "TELNETCONSOLE_ENABLED": False,
        "LOG_LEVEL": "WARNING", "ITEM_PIPELINES": {},
        "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
        "EXTENSIONS": {"crawler.archiving.WarcArchiveExtension": 100},
        "DOWNLOADER_MIDDLEWARES": {
            "crawler.archiving.ConditionalGetMiddleware": 595,
            "crawler.archiving.WarcPointerMiddleware": 950,
        },
        "SPIDER_MIDDLEWARES": {"crawler.archiving.WarcSpiderMiddleware": 25},
        "NEWSARCHIVE_OUTPUT": cfg["output"],
        "REDIS_URL": cfg["redis"], "REDIS_KEY_PREFIX": cfg["prefix"], "NEWSARCHIVE_WORKER_ID": cfg["worker"],
        "REDIS_HEARTBEAT": 0.5,
        "ADDONS": {"crawler.redis_addon.RedisFrontierAddon": 0},
    }
    process = CrawlerProcess(settings=settings)
    crawler = process.create_crawler(BenchSpider)
    process.crawl(crawler)
    started, cpu_started = time.time(), time.process_time()
    process.start()
    ended, cpu = time.time(), time.process_time() - cpu_started
    stats = crawler.stats.get_stats()
    print(json.dumps({"started": started, "ended": ended, "cpu": cpu,
                      "pages": stats.get("downloader/response_count", 0),
                      "reason": stats.get("finish_reason")}))
    """
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_redis(folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    import redis

    port = free_port()
    proc = subprocess.Popen(
        ["/usr/bin/redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", str(folder), "--save", "",
         "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    for _ in range(200):
        try:
            client.ping()
            return proc, url
        except redis.ConnectionError:
            time.sleep(0.05)
    proc.kill()
    raise SystemExit("redis-server did not start")


def crawl(workers: int, base: str, redis_url: str, workdir: Path, round_: int) -> dict[str, Any]:
    output = workdir / f"output-{workers}-{round_}"
    shutil.rmtree(output, ignore_errors=True)
    script = workdir / "redis_bench_runner.py"
    script.write_text(RUNNER)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("SCRAPY_SETTINGS_MODULE", None)
    prefix = f"bench{workers}-{round_}"
    procs = [
        subprocess.Popen(
            [sys.executable, str(script), json.dumps({"base": base, "output": str(output), "redis": redis_url,
                                                       "prefix": prefix, "worker": f"w{i}"})],
            cwd=workdir, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for i in range(1, workers + 1)
    ]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=1800)
        if proc.returncode != 0:
            raise SystemExit(f"worker failed:\n{err[-4000:]}")
        results.append(json.loads(out.strip().splitlines()[-1]))
    elapsed = max(r["ended"] for r in results) - min(r["started"] for r in results)
    pages = sum(r["pages"] for r in results)
    return {"elapsed": elapsed, "pages": pages, "pages_per_s": pages / elapsed,
            "per_worker": [r["pages"] for r in results], "cpu": sum(r["cpu"] for r in results)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=2, help="1-worker/2-worker pairs, alternated (default 2)")
    args = parser.parse_args()

    server, base = simple_site_server(args.pages)
    best: dict[int, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="redis-bench-") as tmp:
        redis_proc, redis_url = start_redis(Path(tmp))
        try:
            for round_ in range(1, args.rounds + 1):
                for workers in (1, 2):
                    result = crawl(workers, base, redis_url, Path(tmp), round_)
                    print(f"round {round_} {workers} worker{'s' if workers > 1 else ''}: {result['pages']} pages "
                          f"({'+'.join(map(str, result['per_worker']))}) in {result['elapsed']:.2f} s = "
                          f"{result['pages_per_s']:.0f} pages/s, CPU {result['cpu'] / max(1, result['pages']) * 1e3:.2f} "
                          "ms/page", flush=True)
                    if result["pages"] != args.pages:
                        print(f"  warning: expected {args.pages} pages", flush=True)
                    if workers not in best or result["pages_per_s"] > best[workers]["pages_per_s"]:
                        best[workers] = result
        finally:
            redis_proc.terminate()
            redis_proc.wait(timeout=10)
            server.terminate()
            server.join(timeout=10)
    speedup = best[2]["pages_per_s"] / best[1]["pages_per_s"]
    print(f"1 worker: {best[1]['pages_per_s']:.0f} pages/s; 2 workers sharing the Redis frontier: "
          f"{best[2]['pages_per_s']:.0f} pages/s; speed-up {speedup:.2f}x (target >= 1.6x) on {os.cpu_count()} cores")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
