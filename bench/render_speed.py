"""Rendering speed and memory: ``make bench-render`` / ``python bench/render_speed.py``.

200 JavaScript pages (``--pages``) in the JS outlet's layout (an app shell running the replica's own
``app.js``, which fetches ``/api/articles/<id>.json`` and builds the story) are served on loopback by a
threaded HTTP server in its own process, listed in the outlet's sitemap. The real ``jsnews`` spider crawls
them with ``scrapy crawl`` exactly as a user runs it (replica switch pointed at the bench server), so every
page goes through Chromium, the network capture, the WARC records and the extraction.

Printed: rendered pages per second (Scrapy's elapsed time, and wall time of the whole process including
start-up), and peak memory of the crawl's whole process tree (Scrapy, the Playwright driver, Chromium and
its renderers), sampled every 100 ms from /proc as the sum of RSS (what the issue asks; it counts pages
shared between Chromium processes several times) and the sum of PSS (shared pages split between their
users: closer to what the machine really spends). Every article is checked against the generated story.

``--plain`` crawls the same stories served as finished HTML (``-a render=http``: the browser must stay
off), once with newsarchive's download handler and once with Scrapy's own, to show what enabling the
rendering handler costs a crawl that renders nothing. This is a benchmark, not a test: it never fails on
a figure, only on wrong output.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crawler.replica.sites.jsnews import APP_JS, APP_SOURCE, DOMAIN, LOGO, LOGO_PNG, Story, story_json  # noqa: E402

PREFIX = f"/{DOMAIN}"
WORDS = [
    "council", "harbour", "budget", "ferry", "library", "reef", "survey", "school", "transit", "market", "vote",
    "season", "contract", "port", "report", "minister", "tender", "river", "bridge", "festival", "museum",
    "weather", "election", "hospital", "district",
]


def story(number: int) -> Story:
    """Story ``number``: deterministic, six paragraphs of 40-60 words that differ per story."""
    paragraphs = []
    for i in range(6):
        words = [WORDS[(number * 7 + i * 13 + k * k) % len(WORDS)] for k in range(40 + (number + i) % 20)]
        paragraphs.append(f"Paragraph {i + 1} of story {number}: " + " ".join(words) + ".")
    return Story(
        10_000 + number, f"bench-story-{number}", f"Bench Story Number {number}", "Bench",
        f"2025-05-{1 + number % 28:02d}T10:00:00+00:00", ("Bench Writer",), tuple(paragraphs),
    )


def shell(path: str) -> str:
    """The app shell, as the replica's jsnews pages serve it."""
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>JS News</title>\n'
        f'<link rel="canonical" href="{PREFIX}{path}">\n<script src="{PREFIX}{APP_JS}" defer></script>\n'
        f'</head>\n<body>\n<header><img src="{PREFIX}{LOGO}" alt="JS News"></header>\n'
        "<noscript>You need to enable JavaScript to run this app.</noscript>\n"
        '<div id="root"></div>\n</body>\n</html>\n'
    )


def static(item: Story) -> str:
    """The same story as finished HTML (the outlet's previous CMS layout, parser v0)."""
    paragraphs = "\n".join(f"<p>{escape(p)}</p>" for p in item.paragraphs)
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{escape(item.title)}</title>\n</head>\n<body>\n<main class=\"archive-story\">\n"
        f'<p class="kicker">{item.section}</p>\n<h1>{escape(item.title)}</h1>\n'
        f'<p class="meta">By <span class="author">{item.authors[0]}</span> '
        f'<time datetime="{item.published}">{item.published[:10]}</time></p>\n'
        f'<div class="text">\n{paragraphs}\n</div>\n</main>\n</body>\n</html>\n'
    )


def home(latest: list[Story]) -> str:
    """A finished home page (plain mode): the latest stories as links."""
    links = "".join(f'<li><a href="{PREFIX}{s.path}">{escape(s.title)}</a></li>' for s in latest)
    return f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>JS News</title></head><body><ul>{links}</ul></body></html>\n'


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    stories: ClassVar[dict[str, Story]] = {}
    by_id: ClassVar[dict[str, Story]] = {}
    mode = "js"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        base = f"http://{self.headers.get('Host')}"
        body, kind, status = b"not found", "text/plain", 404
        if path == "/robots.txt":
            body, kind, status = f"User-agent: *\nAllow: /\n\nSitemap: {base}{PREFIX}/sitemap.xml\n".encode(), "text/plain", 200
        elif path == f"{PREFIX}/sitemap.xml":
            locs = "".join(f"<url><loc>{base}{PREFIX}{p}</loc></url>" for p in self.stories)
            body = f'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{locs}</urlset>'.encode()
            kind, status = "application/xml", 200
        elif path in (f"{PREFIX}/", f"{PREFIX}"):
            markup = shell("/") if self.mode == "js" else home(list(self.stories.values())[:20])
            body, kind, status = markup.encode(), "text/html; charset=utf-8", 200
        elif path.removeprefix(PREFIX) in self.stories:
            item = self.stories[path.removeprefix(PREFIX)]
            markup = shell(item.path) if self.mode == "js" else static(item)
            body, kind, status = markup.encode(), "text/html; charset=utf-8", 200
        elif path == f"{PREFIX}{APP_JS}":
            body, kind, status = APP_SOURCE, "text/javascript; charset=utf-8", 200
        elif path == f"{PREFIX}{LOGO}":
            body, kind, status = LOGO_PNG, "image/png", 200
        elif path == f"{PREFIX}/api/latest.json":
            latest = [{"path": s.path, "title": s.title, "published": s.published} for s in list(self.stories.values())[:20]]
            body, kind, status = json.dumps({"articles": latest}).encode(), "application/json; charset=utf-8", 200
        elif path.startswith(f"{PREFIX}/api/articles/") and path.removeprefix(f"{PREFIX}/api/articles/") in self.by_id:
            item = self.by_id[path.removeprefix(f"{PREFIX}/api/articles/")]
            body, kind, status = json.dumps(story_json(item)).encode(), "application/json; charset=utf-8", 200
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def _serve(port_queue: Any, pages: int, mode: str) -> None:
    items = [story(n) for n in range(pages)]
    _Handler.stories = {s.path: s for s in items}
    _Handler.by_id = {f"{s.story_id}.json": s for s in items}
    _Handler.mode = mode
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    port_queue.put(server.server_address[1])
    server.serve_forever()


# --- memory of a process tree ----------------------------------------------------------------------


def _tree(root: int) -> list[int]:
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    found, frontier = [root], [root]
    while frontier:
        frontier = [pid for pid, parent in parents.items() if parent in frontier]
        found += frontier
    return found


def _kib(path: Path, key: str) -> int:
    try:
        for line in path.read_text().splitlines():
            if line.startswith(key):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


@dataclass
class MemorySampler:
    """Samples the crawl's process tree every ``interval`` seconds in a thread; keeps the peaks."""

    root: int
    interval: float = 0.1
    peak_rss_kib: int = 0
    peak_pss_kib: int = 0
    peak_processes: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        while not self._stop.is_set():
            pids = _tree(self.root)
            rss = sum(_kib(Path(f"/proc/{pid}/status"), "VmRSS:") for pid in pids)
            pss = sum(_kib(Path(f"/proc/{pid}/smaps_rollup"), "Pss:") for pid in pids)
            self.peak_rss_kib = max(self.peak_rss_kib, rss)
            self.peak_pss_kib = max(self.peak_pss_kib, pss)
            self.peak_processes = max(self.peak_processes, len(pids))
            self._stop.wait(self.interval)

    def stop(self) -> None:
        self._stop.set()


# --- one crawl ----------------------------------------------------------------------------------------


@dataclass
class Result:
    label: str
    wall: float
    elapsed: float
    stats: dict[str, Any]
    articles: list[dict[str, Any]]
    memory: MemorySampler
    #: CPU seconds (user + system) of the whole process tree: less sensitive to a busy machine than time.
    cpu: float


def crawl(label: str, base: str, work: Path, *extra: str) -> Result:
    output = work / label
    env = dict(os.environ, NEWSARCHIVE_REPLICA=base, PYTHONUNBUFFERED="1")
    command = [
        str(ROOT / ".venv" / "bin" / "scrapy"), "crawl", "jsnews", "-s", f"NEWSARCHIVE_OUTPUT={output}",
        "-s", "LOG_LEVEL=INFO", "-s", "NEWSARCHIVE_RENDER_TIMEOUT=30", *extra,
    ]
    log_path = work / f"{label}.log"
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    with log_path.open("w") as log:
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        sampler = MemorySampler(proc.pid)
        thread = threading.Thread(target=sampler.run, daemon=True)
        thread.start()
        returncode = proc.wait()
        sampler.stop()
        thread.join()
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    text = log_path.read_text()
    if returncode != 0:
        raise SystemExit(f"{label}: scrapy exited {returncode}; see {log_path}\n{text[-3000:]}")
    stats = _stats(text)
    articles_path = output / "articles.jsonl"
    articles = [json.loads(line) for line in articles_path.read_text().splitlines()] if articles_path.exists() else []
    return Result(label, wall, float(stats.get("elapsed_time_seconds", wall)), stats, articles, sampler, cpu)


def _stats(log: str) -> dict[str, Any]:
    """The numeric counters of Scrapy's final stats dump."""
    stats: dict[str, Any] = {}
    for line in log.splitlines():
        line = line.strip().rstrip(",}").lstrip("{")
        if line.startswith("'") and "': " in line:
            key, _, value = line.partition("': ")
            try:
                stats[key.strip("'")] = float(value) if "." in value else int(value)
            except ValueError:
                continue
    return stats


def check(result: Result, pages: int, render: str) -> None:
    """Every generated story came out, exactly, by the expected path."""
    expected = {f"https://{DOMAIN}{s.path}": s for s in (story(n) for n in range(pages))}
    found = {a["source_url"]: a for a in result.articles}
    missing = sorted(set(expected) - set(found))
    if missing:
        raise SystemExit(f"{result.label}: {len(missing)} articles missing, e.g. {missing[:3]}")
    for url, item in expected.items():
        article = found[url]
        if article["text"].split("\n\n") != list(item.paragraphs) or article["render"] != render:
            raise SystemExit(f"{result.label}: wrong article {url}: render={article['render']}")


def _serve_in_process(pages: int, mode: str) -> tuple[multiprocessing.Process, str]:
    queue: Any = multiprocessing.Queue()
    server = multiprocessing.Process(target=_serve, args=(queue, pages, mode), daemon=True)
    server.start()
    return server, f"http://127.0.0.1:{queue.get(timeout=30)}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=200, help="JS pages to render (default 200)")
    parser.add_argument("--max-pages", type=int, default=None, help="PLAYWRIGHT_MAX_PAGES_PER_CONTEXT (default: the project's)")
    parser.add_argument("--plain", action="store_true", help="also time a plain-HTTP crawl with and without the handler")
    parser.add_argument("--rounds", type=int, default=3, help="plain-HTTP rounds per handler, alternating (best counts)")
    parser.add_argument("--chromium-args", help="PLAYWRIGHT_CHROMIUM_ARGS to try instead of the project's (comma-separated)")
    parser.add_argument("--keep", action="store_true", help="keep the crawl outputs and logs")
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="newsarchive-bench-render-"))
    extra = ["-s", f"PLAYWRIGHT_MAX_PAGES_PER_CONTEXT={args.max_pages}"] if args.max_pages else []
    if args.chromium_args:
        extra += ["-s", f"PLAYWRIGHT_CHROMIUM_ARGS={args.chromium_args}"]
    try:
        server, base = _serve_in_process(args.pages, "js")
        try:
            rendered = crawl("rendered", base, work, *extra)
        finally:
            server.terminate()
            server.join()
        check(rendered, args.pages, "browser")
        pages = int(rendered.stats.get("newsarchive/render/pages", 0))
        print(f"newsarchive render benchmark: {args.pages} JS pages (+ the home page), "
              f"{os.cpu_count()} CPUs, pages open at once: {args.max_pages or 'project default'}")
        print(f"  rendered pages          {pages} ({len(rendered.articles)} articles, all exact)")
        print(f"  rendered pages/s        {pages / rendered.elapsed:.1f}  (Scrapy elapsed {rendered.elapsed:.1f} s)")
        print(f"  incl. start-up          {pages / rendered.wall:.1f}  (process wall time {rendered.wall:.1f} s)")
        print(f"  CPU per rendered page   {rendered.cpu / pages * 1000:.0f} ms  "
              f"(user + system, whole process tree; load average now {os.getloadavg()[0]:.1f})")
        print(f"  peak memory, sum RSS    {rendered.memory.peak_rss_kib / 1024:.0f} MiB  "
              f"(Scrapy + Playwright driver + Chromium, {rendered.memory.peak_processes} processes at most)")
        print(f"  peak memory, sum PSS    {rendered.memory.peak_pss_kib / 1024:.0f} MiB  (shared pages counted once)")
        print(f"  WARC                    {rendered.stats.get('newsarchive/warc/records', 0)} records, "
              f"{rendered.stats.get('newsarchive/warc/bytes', 0) / 1e6:.1f} MB; "
              f"{rendered.stats.get('newsarchive/render/captured_responses', 0)} browser responses captured, "
              f"{rendered.stats.get('newsarchive/render/blocked_requests', 0)} requests blocked")

        if args.plain:
            scrapy_handler = (
                'DOWNLOAD_HANDLERS={"http": "scrapy.core.downloader.handlers.http11.HTTP11DownloadHandler", '
                '"https": "scrapy.core.downloader.handlers.http11.HTTP11DownloadHandler"}'
            )
            modes = {"Scrapy's handler": ["-s", scrapy_handler], "newsarchive's handler": []}
            best: dict[str, Result] = {}
            server, base = _serve_in_process(args.pages, "static")
            try:
                for round_ in range(args.rounds):
                    for name, settings in modes.items():
                        label = f"plain-{'scrapy' if settings else 'newsarchive'}-{round_}"
                        result = crawl(label, base, work, "-a", "render=http", *settings)
                        check(result, args.pages, "http")
                        if "Starting download handler" in (work / f"{label}.log").read_text():
                            raise SystemExit(f"{label}: a plain crawl started the Playwright driver")
                        if name not in best or result.elapsed < best[name].elapsed:
                            best[name] = result
            finally:
                server.terminate()
                server.join()
            print(f"plain HTTP, the same {args.pages} stories as finished HTML, best of {args.rounds} "
                  "(the browser never started):")
            for name, result in best.items():
                print(f"  {name:<22} {args.pages / result.elapsed:6.1f} pages/s  "
                      f"{result.cpu / args.pages * 1000:5.1f} ms CPU/page  "
                      f"peak sum RSS {result.memory.peak_rss_kib / 1024:.0f} MiB")
    finally:
        if args.keep:
            print(f"outputs and logs kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
