"""Deduplication, conditional GET, off-thread writes and download failures in real crawls.

A small site on loopback (served here, so a page can change between two runs) is crawled twice
into one output folder by a real Scrapy process with the project's settings (middlewares,
extension, report), then the WARCs are read back with warcio and checked with ``warcio check``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import socket
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from archive.check import check_files
from archive.dedup import rebuild
from archive.reader import iter_records, read_response_at
from archive.writer import PROFILE_IDENTICAL, PROFILE_NOT_MODIFIED, sha1_b32

ROOT = Path(__file__).resolve().parent.parent
WARCIO = str(Path(sys.executable).parent / "warcio")

SAME = b"<html><body><p>The same story, syndicated under two URLs.</p></body></html>"
LARGE = b"<html><body>" + b"".join(b"<p>paragraph %06d of a very long page</p>" % i for i in range(9000)) + b"</body></html>"
OVERSIZE = b"x" * 1_500_000
ETAG = '"v1-etag"'
LAST_MODIFIED = formatdate(1_700_000_000, usegmt=True)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    generation = 1  # the test bumps it between the two crawls
    refused_port = 0

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(self, status: int, body: bytes, headers: tuple[tuple[str, str], ...] = ()) -> None:
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if status != 304:
            self.wfile.write(body)

    def do_GET(self) -> None:
        html = (("Content-Type", "text/html; charset=utf-8"),)
        if self.path == "/":
            links = ["/same-a", "/same-b", "/changing", "/etag", "/lastmod", "/large", "/oversize", "/slow",
                     f"http://127.0.0.1:{self.refused_port}/refused"]
            body = "".join(f'<a href="{link}">{link}</a> ' for link in links)
            self._send(200, f"<html><body>{body}</body></html>".encode(), html)
        elif self.path in ("/same-a", "/same-b"):
            self._send(200, SAME, html)
        elif self.path == "/changing":
            self._send(200, f"<html><body>edition {self.generation}</body></html>".encode(), html)
        elif self.path == "/etag":
            if self.headers.get("If-None-Match") == ETAG:
                self._send(304, b"", (("ETag", ETAG),))
            else:
                self._send(200, b"<html><body>tagged story</body></html>", (*html, ("ETag", ETAG)))
        elif self.path == "/lastmod":
            if self.headers.get("If-Modified-Since") == LAST_MODIFIED:
                self._send(304, b"")
            else:
                self._send(200, b"<html><body>dated story</body></html>", (*html, ("Last-Modified", LAST_MODIFIED)))
        elif self.path == "/large":
            self._send(200, LARGE, html)
        elif self.path == "/oversize":
            self._send(200, OVERSIZE, (("Content-Type", "text/plain"),))
        elif self.path == "/slow":
            time.sleep(3)
            self._send(200, b"too late", html)
        else:
            self._send(404, b"not here", (("Content-Type", "text/plain"),))


class QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # the crawler hangs up on /oversize and /slow on purpose


RUNNER = textwrap.dedent(
    """
    import json, os, sys
    import scrapy
    from scrapy.crawler import CrawlerProcess
    from scrapy.utils.project import get_project_settings
    from crawler.outlet import OutletSpider

    cfg = json.loads(sys.argv[1])

    class DedupSpider(scrapy.Spider):
        name = "deduptest"
        start_urls = [cfg["base"] + "/"]
        on_error = OutletSpider.on_error  # sends crawler.signals.download_failed, as outlets do

        def parse(self, response):
            for href in response.css("a::attr(href)").getall():
                yield response.follow(href, self.parse_page, errback=self.on_error)

        def parse_page(self, response):
            import hashlib
            yield {"url": response.url, "status": response.status, "warc": response.meta["warc"],
                   "sha1": hashlib.sha1(response.body).hexdigest(), "flags": response.flags}

    os.environ["SCRAPY_SETTINGS_MODULE"] = "crawler.settings"
    settings = get_project_settings()
    settings.setdict({
        "NEWSARCHIVE_OUTPUT": cfg["output"], "FEEDS": {cfg["items"]: {"format": "jsonlines"}},
        "DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False, "RETRY_ENABLED": False,
        "DOWNLOAD_TIMEOUT": 1.5, "DOWNLOAD_MAXSIZE": 1_000_000, "DOWNLOAD_WARNSIZE": 0,
        # The thread writer in mixed mode (small bodies inline on the reactor thread, large ones on
        # the writer thread), so that WARC_WRITER = "thread" stays covered; the other archive
        # tests use the default writer process.
        "WARC_WRITER": "thread", "WARC_THREAD_THRESHOLD": 256 * 1024,
        "LOG_LEVEL": "INFO",
    }, priority="cmdline")
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(DedupSpider)
    process.crawl(crawler)
    process.start()
    with open(cfg["stats"], "w") as fh:
        json.dump(crawler.stats.get_stats(), fh, default=str)
    """
)


@dataclass
class Run:
    files: list[Path]
    items: dict[str, dict[str, Any]]
    stats: dict[str, Any]
    log: str


@dataclass
class Rec:
    file: Path
    offset: int
    type: str
    headers: dict[str, str]
    http: Any
    content: bytes


@dataclass
class TwoRuns:
    output: Path
    base: str
    refused: str
    first: Run
    second: Run

    def records(self, files: list[Path]) -> list[Rec]:
        out = []
        for path in files:
            for offset, record in iter_records(path):
                out.append(Rec(path, offset, record.rec_type, dict(record.rec_headers.headers),
                               record.http_headers, record.raw_stream.read()))
        return out

    def capture(self, files: list[Path], path: str) -> Rec:
        [rec] = [r for r in self.records(files)
                 if r.type in ("response", "revisit") and r.headers["WARC-Target-URI"] == self.base + path]
        return rec


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _crawl(base: str, workdir: Path, output: Path) -> Run:
    workdir.mkdir(parents=True, exist_ok=True)
    cfg = {"base": base, "output": str(output), "items": str(workdir / "items.jsonl"),
           "stats": str(workdir / "stats.json")}
    before = set((output / "warc").glob("*.warc.gz")) if (output / "warc").exists() else set()
    script = workdir / "run_dedup.py"  # a file, not -c: Scrapy inspects callbacks' source
    script.write_text(RUNNER)
    proc = subprocess.run(
        [sys.executable, str(script), json.dumps(cfg)], cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    stats = json.loads((workdir / "stats.json").read_text())
    assert stats.get("finish_reason") == "finished", proc.stderr[-4000:]
    # Tracebacks are expected (robots.txt of the refused host is logged with one); ours are not.
    for marker in ("Spider error", "crawler/archiving.py", "/archive/"):
        assert marker not in proc.stderr, proc.stderr[-6000:]
    assert "spider_exceptions/count" not in stats
    items = [json.loads(line) for line in (workdir / "items.jsonl").read_text().splitlines() if line]
    files = sorted(set((output / "warc").glob("*.warc.gz")) - before)
    return Run(files, {item["url"].removeprefix(base): item for item in items}, stats, proc.stderr)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TwoRuns]:
    Handler.refused_port = _closed_port()
    server = QuietServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    tmp = tmp_path_factory.mktemp("dedup")
    try:
        Handler.generation = 1
        first = _crawl(base, tmp / "run1", tmp / "output")
        Handler.generation = 2
        second = _crawl(base, tmp / "run2", tmp / "output")
        yield TwoRuns(tmp / "output", base, f"http://127.0.0.1:{Handler.refused_port}/refused", first, second)
    finally:
        server.shutdown()
        server.server_close()


def test_files_pass_warcio_and_graph_check(runs: TwoRuns) -> None:
    files = runs.first.files + runs.second.files
    assert runs.first.files and runs.second.files
    assert not list((runs.output / "warc").glob("*.open"))
    for path in files:
        proc = subprocess.run([WARCIO, "check", "-v", str(path)], capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert "digest present but not checked (revisit)" in proc.stdout  # warcio skips these...
    report = check_files(files, graph=True)  # ...so our check verifies their digests and targets
    assert report.ok, report.problems


def test_identical_payload_within_a_run_is_a_revisit(runs: TwoRuns) -> None:
    files = runs.first.files
    a, b = runs.capture(files, "/same-a"), runs.capture(files, "/same-b")
    original, revisit = (a, b) if a.type == "response" else (b, a)
    assert (original.type, revisit.type) == ("response", "revisit")
    assert original.content == SAME
    assert revisit.content == b""  # headers only: the payload is not stored twice
    assert revisit.headers["WARC-Profile"] == PROFILE_IDENTICAL
    assert revisit.headers["WARC-Refers-To"] == original.headers["WARC-Record-ID"]
    assert revisit.headers["WARC-Refers-To-Target-URI"] == original.headers["WARC-Target-URI"]
    assert revisit.headers["WARC-Refers-To-Date"] == original.headers["WARC-Date"]
    assert revisit.headers["WARC-Payload-Digest"] == original.headers["WARC-Payload-Digest"]
    assert revisit.http.get_statuscode() == "200" and revisit.http.get_header("Content-Length") == str(len(SAME))
    # The spider got the page all the same, and its pointer reads back as the payload.
    item = runs.first.items[revisit.headers["WARC-Target-URI"].removeprefix(runs.base)]
    assert item["warc"]["record_id"] == revisit.headers["WARC-Record-ID"]
    resolved = read_response_at(runs.output / "warc" / item["warc"]["file"], item["warc"]["offset"])
    assert resolved.body == SAME and resolved.revisit_profile == PROFILE_IDENTICAL
    assert resolved.revisit_of is not None and resolved.revisit_of.record_id == original.headers["WARC-Record-ID"]
    assert hashlib.sha1(resolved.body).hexdigest() == item["sha1"]


def test_second_run_writes_revisits_not_payloads(runs: TwoRuns) -> None:
    first = [r for r in runs.records(runs.first.files) if r.type == "response"]
    digests = {r.headers["WARC-Payload-Digest"]: r for r in first if 200 <= int(r.http.get_statuscode()) < 300}
    second = runs.records(runs.second.files)
    for rec in second:
        # A truncated capture (/oversize, cut at DOWNLOAD_MAXSIZE) is never deduplicated: its bytes are partial.
        if rec.type == "response" and rec.content and "WARC-Truncated" not in rec.headers:
            assert rec.headers["WARC-Payload-Digest"] not in digests, rec.headers["WARC-Target-URI"]
    for path in ("/", "/same-a", "/same-b", "/large"):
        rec = runs.capture(runs.second.files, path)
        assert rec.type == "revisit", path
        assert rec.headers["WARC-Profile"] == PROFILE_IDENTICAL
        original = digests[rec.headers["WARC-Payload-Digest"]]
        assert rec.headers["WARC-Refers-To"] == original.headers["WARC-Record-ID"]  # across runs
    assert runs.second.stats["newsarchive/warc/revisits"] >= 6


def test_changed_page_is_written_in_full(runs: TwoRuns) -> None:
    old = runs.capture(runs.first.files, "/changing")
    new = runs.capture(runs.second.files, "/changing")
    assert (old.type, new.type) == ("response", "response")
    assert old.content == b"<html><body>edition 1</body></html>"
    assert new.content == b"<html><body>edition 2</body></html>"


@pytest.mark.parametrize(("path", "header", "value"), [
    ("/etag", "If-None-Match", ETAG), ("/lastmod", "If-Modified-Since", LAST_MODIFIED),
])
def test_conditional_get_304_is_a_not_modified_revisit(runs: TwoRuns, path: str, header: str, value: str) -> None:
    first = runs.capture(runs.first.files, path)
    assert first.type == "response"
    [request1] = [r for r in runs.records(runs.first.files)
                  if r.type == "request" and r.headers["WARC-Concurrent-To"] == first.headers["WARC-Record-ID"]]
    assert request1.http.get_header(header) is None  # nothing to revalidate on the first run
    revisit = runs.capture(runs.second.files, path)
    assert revisit.type == "revisit" and revisit.http.get_statuscode() == "304"
    assert revisit.headers["WARC-Profile"] == PROFILE_NOT_MODIFIED
    assert revisit.headers["WARC-Refers-To"] == first.headers["WARC-Record-ID"]
    assert revisit.headers["WARC-Refers-To-Date"] == first.headers["WARC-Date"]
    # The request record is the conditional request really sent.
    [request2] = [r for r in runs.records(runs.second.files)
                  if r.type == "request" and r.headers["WARC-Concurrent-To"] == revisit.headers["WARC-Record-ID"]]
    assert request2.http.get_header(header) == value
    # The spider was given the archived page (200, same body), pointing at the revisit...
    item = runs.second.items[path]
    assert item["status"] == 200 and "revalidated" in item["flags"]
    assert item["sha1"] == runs.first.items[path]["sha1"]
    assert item["warc"]["record_id"] == revisit.headers["WARC-Record-ID"]
    # ...which the reader resolves to the payload of the first capture.
    resolved = read_response_at(runs.output / "warc" / item["warc"]["file"], item["warc"]["offset"])
    assert resolved.status == 200 and resolved.revisit_profile == PROFILE_NOT_MODIFIED
    assert hashlib.sha1(resolved.body).hexdigest() == item["sha1"]
    assert runs.second.stats["newsarchive/conditional_get/not_modified"] == 2


def test_large_body_written_off_the_reactor_thread(runs: TwoRuns) -> None:
    offthread = runs.first.stats["newsarchive/warc/offthread_writes"]
    assert 1 <= offthread < runs.first.stats["newsarchive/warc/responses"]
    item = runs.first.items["/large"]
    response = read_response_at(runs.output / "warc" / item["warc"]["file"], item["warc"]["offset"])
    assert response.payload == LARGE and response.pointer.record_id == item["warc"]["record_id"]
    # Capture order is kept: the large page's request record follows it immediately.
    records = runs.records(runs.first.files)
    index = next(i for i, r in enumerate(records) if r.headers.get("WARC-Record-ID") == item["warc"]["record_id"])
    assert records[index + 1].headers["WARC-Concurrent-To"] == item["warc"]["record_id"]


def test_download_failures_leave_metadata_records(runs: TwoRuns) -> None:
    failures = {}
    for rec in runs.records(runs.first.files):
        if rec.type == "metadata" and "WARC-Refers-To" not in rec.headers:
            failures[rec.headers["WARC-Target-URI"]] = json.loads(rec.content)
    assert set(failures) == {runs.base + "/oversize", runs.base + "/slow", runs.refused}
    assert all(f["role"] == "download-failure" and f["verdict"] is None for f in failures.values())
    assert failures[runs.refused]["error"]["type"] == "DownloadConnectionRefusedError"
    assert failures[runs.base + "/slow"]["error"]["type"] == "DownloadTimeoutError"
    # Cut at DOWNLOAD_MAXSIZE: its first bytes are archived as truncated (OversizeMiddleware), not analysed.
    assert failures[runs.base + "/oversize"]["error"]["type"] == "IgnoreRequest"
    assert "DOWNLOAD_MAXSIZE" in failures[runs.base + "/oversize"]["error"]["message"]
    oversize = runs.capture(runs.first.files, "/oversize")
    assert oversize.headers["WARC-Truncated"] == "length" and OVERSIZE.startswith(oversize.content)
    assert 1_000_000 <= len(oversize.content) < len(OVERSIZE)
    assert runs.first.stats["newsarchive/warc/failures"] == 3
    report = json.loads((runs.output / "reports" / "deduptest.json").read_text())
    assert {f["url"] for f in report["download_failures"]} == set(failures)


def test_every_response_has_one_metadata_record(runs: TwoRuns) -> None:
    for files in (runs.first.files, runs.second.files):
        records = runs.records(files)
        captures = {r.headers["WARC-Record-ID"]: r for r in records if r.type in ("response", "revisit")}
        described = [r.headers["WARC-Refers-To"] for r in records if r.type == "metadata" and "WARC-Refers-To" in r.headers]
        assert sorted(described) == sorted(captures)
        roles = {captures[r.headers["WARC-Refers-To"]].headers["WARC-Target-URI"].removeprefix(runs.base):
                 json.loads(r.content)["role"]
                 for r in records if r.type == "metadata" and "WARC-Refers-To" in r.headers}
        assert roles["/robots.txt"] == "robots"
        assert roles["/etag"] == "page"


def test_digest_index_rebuilt_from_the_warcs_matches_the_live_one(runs: TwoRuns, tmp_path: Path) -> None:
    live = runs.output / "indexes" / "digests.sqlite"
    rebuilt = tmp_path / "digests.sqlite"
    rebuild(rebuilt, runs.first.files + runs.second.files)

    def rows(path: Path) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        with sqlite3.connect(path) as db:
            return (sorted(db.execute("SELECT * FROM payloads")), sorted(db.execute("SELECT * FROM captures")))

    payloads, captures = rows(live)
    assert rows(rebuilt) == (payloads, captures)
    assert len(payloads) >= 6 and any(etag == ETAG for *_, etag, _ in captures)


def test_base32_digest_matches_the_standard_encoding() -> None:
    for size in (0, 1, 100, 10_000):
        data = os.urandom(size)
        expected = "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode()
        assert sha1_b32(data) == expected
        assert sha1_b32(data[: size // 2], data[size // 2 :]) == expected
