"""One worker vs two workers sharing the Redis frontier: ``make bench-redis`` / ``python bench/redis_workers.py``.

The generated site of bench/warc_overhead.py (N pages, default 5,000, each linking to ten others, written
to a folder and served by nginx, or by a Python server with ``--server python``: bench/sitegen.py) is
crawled from ``/p/0`` by a minimal link-following spider with the project's shared-frontier components
(crawler.redis_frontier's scheduler, leases and heartbeats; scrapy-redis's queue and duplicate filter),
against a redis-server started here on a free port, in two set-ups (``--archive``):

* ``frontier``: the shared frontier alone, which is what the speed-up measures;
* ``warc``: plus WARC archiving (extension, middlewares, payload dedup on Redis), whose writer
  process takes about half a core per worker of its own.

and, in each, with:

* ``1 worker``: one Scrapy process;
* ``2 workers``: two Scrapy processes started together, sharing the frontier.

Each crawl is timed inside the worker processes from ``process.start()`` to its return (interpreter
start-up and imports excluded), from the first start to the last end. Printed: pages/s of each mode
(best of the rounds), the speed-up (target >= 1.6x) and the cores one worker keeps busy: on a
2-core machine the server, Redis and the workers share two cores, so a worker that already keeps
1.4 cores busy alone cannot run more than 2 / 1.4 = 1.4x faster with a second one. This is a
benchmark, not a test: it never fails on the figure.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
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
from bench.sitegen import NGINX, free_port, serve_simple_site  # noqa: E402

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
        "NEWSARCHIVE_OUTPUT": cfg["output"],
        "REDIS_URL": cfg["redis"], "REDIS_KEY_PREFIX": cfg["prefix"], "NEWSARCHIVE_WORKER_ID": cfg["worker"],
        "REDIS_HEARTBEAT": 0.5,
        "ADDONS": {"crawler.redis_addon.RedisFrontierAddon": 0},
    }
    if cfg["archive"]:
        settings.update({
            "EXTENSIONS": {"crawler.archiving.WarcArchiveExtension": 100},
            "DOWNLOADER_MIDDLEWARES": {
                "crawler.archiving.ConditionalGetMiddleware": 595,
                "crawler.archiving.WarcPointerMiddleware": 950,
            },
            "SPIDER_MIDDLEWARES": {"crawler.archiving.WarcSpiderMiddleware": 25},
        })
    process = CrawlerProcess(settings=settings)
    crawler = process.create_crawler(BenchSpider)
    process.crawl(crawler)
    started, cpu_started = time.time(), time.process_time()
    process.start()
    ended, cpu = time.time(), time.process_time() - cpu_started
    stats = crawler.stats.get_stats()
    import resource
    children = resource.getrusage(resource.RUSAGE_CHILDREN)  # the WARC writer process
    print(json.dumps({"started": started, "ended": ended, "cpu": cpu + children.ru_utime + children.ru_stime,
                      "pages": stats.get("downloader/response_count", 0),
                      "reason": stats.get("finish_reason")}))
    """
)



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


def crawl(workers: int, base: str, redis_url: str, workdir: Path, round_: int, archive: bool) -> dict[str, Any]:
    output = workdir / f"output-{workers}-{round_}-{int(archive)}"
    shutil.rmtree(output, ignore_errors=True)
    script = workdir / "redis_bench_runner.py"
    script.write_text(RUNNER)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("SCRAPY_SETTINGS_MODULE", None)
    prefix = f"bench{workers}-{round_}-{int(archive)}"
    procs = [
        subprocess.Popen(
            [sys.executable, str(script), json.dumps({"base": base, "output": str(output), "redis": redis_url,
                                                       "prefix": prefix, "worker": f"w{i}", "archive": archive})],
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
    parser.add_argument("--archive", choices=("frontier", "warc", "both"), default="both",
                        help="workers with the shared frontier alone, with WARC archiving too, or both (default)")
    parser.add_argument("--server", choices=("nginx", "python"), default="nginx" if Path(NGINX).exists() else "python",
                        help="what serves the site (default: nginx when installed)")
    args = parser.parse_args()

    setups = {"frontier": [False], "warc": [True], "both": [False, True]}[args.archive]
    best: dict[tuple[bool, int], dict[str, Any]] = {}
    with serve_simple_site(args.pages, args.server) as base, tempfile.TemporaryDirectory(prefix="redis-bench-") as tmp:
        print(f"site of {args.pages} pages served by {args.server}; load average {os.getloadavg()[0]:.2f} "
              f"on {os.cpu_count()} cores", flush=True)
        redis_proc, redis_url = start_redis(Path(tmp))
        try:
            for round_ in range(1, args.rounds + 1):
                for archive in setups:
                    for workers in (1, 2):
                        result = crawl(workers, base, redis_url, Path(tmp), round_, archive)
                        label = "warc" if archive else "frontier"
                        print(f"round {round_} {label:>8} {workers} worker{'s' if workers > 1 else ' '}: "
                              f"{result['pages']} pages ({'+'.join(map(str, result['per_worker']))}) in "
                              f"{result['elapsed']:.2f} s = {result['pages_per_s']:.0f} pages/s, CPU "
                              f"{result['cpu'] / max(1, result['pages']) * 1e3:.2f} ms/page, "
                              f"{result['cpu'] / result['elapsed']:.2f} cores busy", flush=True)
                        if result["pages"] != args.pages:
                            print(f"  warning: expected {args.pages} pages", flush=True)
                        key = (archive, workers)
                        if key not in best or result["pages_per_s"] > best[key]["pages_per_s"]:
                            best[key] = result
        finally:
            redis_proc.terminate()
            redis_proc.wait(timeout=10)
    for archive in setups:
        one, two = best[(archive, 1)], best[(archive, 2)]
        cores = one["cpu"] / one["elapsed"]
        print(f"{'with WARC archiving' if archive else 'shared frontier alone'}: 1 worker {one['pages_per_s']:.0f} "
              f"pages/s ({cores:.2f} cores busy), 2 workers {two['pages_per_s']:.0f} pages/s: speed-up "
              f"{two['pages_per_s'] / one['pages_per_s']:.2f}x (target >= 1.6x; at most ~{(os.cpu_count() or 1) / cores:.2f}x "
              f"when one worker keeps {cores:.2f} of {os.cpu_count()} cores busy)")
    print(f"load average now {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
