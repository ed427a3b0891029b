"""What WARC archiving costs next to plain Scrapy: ``make bench-warc`` / ``python bench/warc_overhead.py``.

A generated site of N pages (default 5,000; each ~20 KB of HTML linking to ten others, so a
breadth-first crawl from ``/p/0`` reaches all of them) is written to a folder and served on
loopback by Debian's nginx (``--server python``: a threaded Python server in its own process,
which generates each page per request and so takes a good part of a core itself).  The same
minimal spider crawls it in fresh Scrapy processes, alternating:

* ``plain``: Scrapy alone, no pipelines and no newsarchive extension or middleware;
* ``warc``:  plus the WARC archiving components exactly as the project configures them
  (extension, pointer/conditional-GET/spider middlewares, deduplication index, CDXJ at close).

Each crawl is timed from ``process.start()`` to its return, so closing work (the CDXJ index)
counts.  CPU is reported for the crawl process and, separately, for its children (the WARC
writer process): on a 2-core machine the crawl, the writer and the server share two cores, so
the ratio also depends on what else runs (the load average is printed).  pages/s of each mode (best of the rounds) and their ratio are printed; the target is
ratio >= 0.9.  This is a benchmark, not a test: it never fails on the figure.
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
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# The site and its server are shared with bench/suite.py.
from bench.sitegen import NGINX, serve_simple_site  # noqa: E402

RUNNER = textwrap.dedent(
    """
    import json, sys, time
    import scrapy
    from scrapy.crawler import CrawlerProcess

    cfg = json.loads(sys.argv[1])

    class BenchSpider(scrapy.Spider):
        name = "bench"
        start_urls = [cfg["base"] + "/p/0"]

        def parse(self, response):
            for href in response.css("a::attr(href)").getall():
                yield response.follow(href, self.parse)

    settings = {
        "CONCURRENT_REQUESTS": 32, "CONCURRENT_REQUESTS_PER_DOMAIN": 32, "DOWNLOAD_DELAY": 0,
        "AUTOTHROTTLE_ENABLED": False, "ROBOTSTXT_OBEY": False, "TELNETCONSOLE_ENABLED": False,
        "LOG_LEVEL": "WARNING", "ITEM_PIPELINES": {}, "EXTENSIONS": {},
        "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
    }
    if cfg["mode"] == "warc":
        settings.update({
            "EXTENSIONS": {"crawler.archiving.WarcArchiveExtension": 100},
            "DOWNLOADER_MIDDLEWARES": {
                "crawler.archiving.ConditionalGetMiddleware": 595,
                "crawler.archiving.WarcPointerMiddleware": 950,
            },
            "SPIDER_MIDDLEWARES": {"crawler.archiving.WarcSpiderMiddleware": 25},
            "NEWSARCHIVE_OUTPUT": cfg["output"],
        })
        for name in ("WARC_GZIP_LEVEL", "WARC_THREAD_THRESHOLD"):
            if cfg.get(name) is not None:
                settings[name] = cfg[name]
        settings.update(cfg.get("settings") or {})
    process = CrawlerProcess(settings=settings)
    crawler = process.create_crawler(BenchSpider)
    process.crawl(crawler)
    started, cpu_started = time.perf_counter(), time.process_time()
    process.start()
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    stats = crawler.stats.get_stats()
    import resource
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(json.dumps({"elapsed": elapsed, "cpu": cpu, "child_cpu": children.ru_utime + children.ru_stime,
                      "pages": stats.get("downloader/response_count", 0),
                      "warc_bytes": stats.get("newsarchive/warc/bytes", 0)}))
    """
)


def crawl(mode: str, base: str, workdir: Path, overrides: dict[str, Any]) -> dict[str, float]:
    output = workdir / f"output-{mode}"
    shutil.rmtree(output, ignore_errors=True)
    script = workdir / "bench_runner.py"
    script.write_text(RUNNER)
    cfg = {"mode": mode, "base": base, "output": str(output), **overrides}
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("SCRAPY_SETTINGS_MODULE", None)
    proc = subprocess.run([sys.executable, str(script), json.dumps(cfg)], cwd=workdir, env=env,
                          capture_output=True, text=True, timeout=1800)
    if proc.returncode != 0:
        raise SystemExit(f"{mode} crawl failed:\n{proc.stderr[-4000:]}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["pages_per_s"] = result["pages"] / result["elapsed"]
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=5000)
    parser.add_argument("--server", choices=("nginx", "python"), default="nginx" if Path(NGINX).exists() else "python",
                        help="what serves the site (default: nginx when installed)")
    parser.add_argument("--rounds", type=int, default=2, help="plain/warc pairs, alternated (default 2)")
    parser.add_argument("--gzip-level", type=int, default=None, help="WARC_GZIP_LEVEL for the warc crawls")
    parser.add_argument("--thread-threshold", type=int, default=None,
                        help="WARC_THREAD_THRESHOLD for the warc crawls (default: the project's)")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=JSON",
                        help="another Scrapy setting for the warc crawls, value in JSON (repeatable)")
    args = parser.parse_args()

    extra_settings = {name: json.loads(value) for name, _, value in (item.partition("=") for item in args.set)}
    with serve_simple_site(args.pages, args.server) as base:
        print(f"site of {args.pages} pages served by {args.server} at {base}; load average "
              f"{os.getloadavg()[0]:.2f} on {os.cpu_count()} cores", flush=True)
        best = run_rounds(args, base, extra_settings)
    ratio = best["warc"]["pages_per_s"] / best["plain"]["pages_per_s"]
    cpu_ratio = (best["plain"]["cpu"] / best["plain"]["pages"]) / (best["warc"]["cpu"] / best["warc"]["pages"])
    print(f"plain Scrapy: {best['plain']['pages_per_s']:.0f} pages/s; with WARC writing: "
          f"{best['warc']['pages_per_s']:.0f} pages/s; ratio {ratio:.2f} (target >= 0.90); "
          f"crawl-process CPU per page ratio plain/warc {cpu_ratio:.2f}; load average now "
          f"{os.getloadavg()[0]:.2f}")
    return 0


def run_rounds(args: argparse.Namespace, base: str, extra_settings: dict[str, Any]) -> dict[str, dict[str, float]]:
    """Plain and WARC crawls alternated; the best (most pages/s) of each mode."""
    best: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="warc-bench-") as tmp:
        for round_ in range(1, args.rounds + 1):
            for mode in ("plain", "warc"):
                overrides = {"WARC_GZIP_LEVEL": args.gzip_level, "WARC_THREAD_THRESHOLD": args.thread_threshold,
                             "settings": extra_settings}
                result = crawl(mode, base, Path(tmp), overrides)
                extra = f", {result['warc_bytes'] / 1e6:.1f} MB of WARC" if mode == "warc" else ""
                writer = (f" + writer process {result['child_cpu'] / result['pages'] * 1e3:.2f} ms/page"
                          if mode == "warc" else "")
                print(f"round {round_} {mode:>5}: {result['pages']} pages in {result['elapsed']:.2f} s = "
                      f"{result['pages_per_s']:.0f} pages/s, CPU {result['cpu'] / result['pages'] * 1e3:.2f} ms/page"
                      f"{writer}{extra}", flush=True)
                if result["pages"] != args.pages:
                    print(f"  warning: expected {args.pages} pages", flush=True)
                if mode not in best or result["pages_per_s"] > best[mode]["pages_per_s"]:
                    best[mode] = result
    return best


if __name__ == "__main__":
    raise SystemExit(main())
