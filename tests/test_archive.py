"""Tests of the WARC writer, reader and the Scrapy archiving extension.

The extension is exercised with real Scrapy crawls (in a subprocess, so each gets a fresh
reactor) over loopback against a small ``http.server`` started here; the output is checked
with ``warcio check`` and read back with warcio, the reference WARC implementation.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import os
import re
import subprocess
import sys
import textwrap
import threading
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import brotli
import pytest
from scrapy.http import Headers, HtmlResponse
from warcio.archiveiterator import ArchiveIterator

from archive.check import check_files
from archive.check import main as check_main
from archive.reader import (
    ArchivedResponse,
    decode_content,
    iter_records,
    iter_responses,
    read_record_at,
    read_response_at,
)
from archive.writer import RecordPointer, WarcWriter, fix_response_framing
from crawler.archiving import headers_as_list, rendered_by, truncation_reason

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
WARCIO = str(BIN / "warcio")
NAME_RE = re.compile(r"^newsarchive-\d{20}-\d{5}-[A-Za-z0-9._\-]+\.warc\.gz$")
DATE_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")

GZIP_HTML = "<html><head><title>Gzip</title></head><body><p>Compressed news ✓</p></body></html>".encode()
GZIP_WIRE = gzip.compress(GZIP_HTML, mtime=0)
CHUNKS = [b"<html><body><p>first chunk</p>", b"<p>second chunk</p>", b"</body></html>"]
ROBOTS = b"User-agent: *\nDisallow: /private\n"


# ---------------------------------------------------------------------------- local server


class Handler(BaseHTTPRequestHandler):
    """Serves the fixed site the crawl tests walk; HTTP/1.1 with keep-alive by default."""

    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # keep pytest output clean
        pass

    def _send(
        self,
        status: int,
        body: bytes,
        headers: list[tuple[str, str]] = (),  # type: ignore[assignment]
        reason: str | None = None,
    ) -> None:
        self.send_response(status, reason)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _html(self, body: str, status: int = 200, extra: list[tuple[str, str]] = ()) -> None:  # type: ignore[assignment]
        self._send(status, body.encode(), [("Content-Type", "text/html; charset=utf-8"), *extra])

    def do_GET(self) -> None:
        path = self.path
        if path == "/robots.txt":
            self._send(200, ROBOTS, [("Content-Type", "text/plain")])
        elif path == "/":
            self._html(
                "<html><body>"
                '<a href="/gzip.html">gzip</a> <a href="/cookies">cookies</a> '
                '<a href="/search?q=news&amp;page=2">search</a> <a href="/redirect">redirect</a> '
                '<a href="/missing">missing</a> <a href="/chunked">chunked</a> '
                '<a href="/http10">http10</a> <a href="/private/secret">private</a> '
                '<a href="/form">form</a> <a href="/dataloss">dataloss</a>'
                "</body></html>"
            )
        elif path == "/gzip.html":
            self._send(
                200, GZIP_WIRE, [("Content-Type", "text/html; charset=utf-8"), ("Content-Encoding", "gzip")]
            )
        elif path == "/cookies":
            self._html(
                '<html><body><a href="/after-cookies">next</a></body></html>',
                extra=[("Set-Cookie", "session=abc123; Path=/"), ("Set-Cookie", "lang=en; Path=/")],
            )
        elif path == "/after-cookies":
            self._html(f"<html><body>cookie header: {self.headers.get('Cookie')}</body></html>")
        elif path == "/search?q=news&page=2":
            self._html("<html><body>results</body></html>")
        elif path == "/redirect":
            self._send(302, b"moved", [("Location", "/target")])
        elif path == "/target":
            self._html("<html><body>target</body></html>")
        elif path == "/missing":
            # Non-standard reason phrase: Scrapy does not expose it (see test).
            self._send(404, b"nope", [("Content-Type", "text/plain")], reason="Nope Not Here")
        elif path == "/chunked":
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for chunk in CHUNKS:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            self.wfile.write(b"0\r\n\r\n")
        elif path == "/http10":
            # HTTP/1.0 response without Content-Length: delimited by closing the connection.
            self.protocol_version = "HTTP/1.0"
            self.close_connection = True
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(b"<html><body>old server</body></html>")
        elif path == "/dataloss":
            # Promise 100 bytes, send 10, hang up: Scrapy delivers it flagged "dataloss".
            self.close_connection = True
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", "100")
            self.end_headers()
            self.wfile.write(b"<html>cut ")
            self.wfile.flush()
        elif path == "/form":
            self._html(
                '<html><body><form method="post" action="/submit">'
                '<input name="q" value="hello world"></form></body></html>'
            )
        else:
            self._send(404, b"unknown", [("Content-Type", "text/plain")])

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        data = self.rfile.read(length)
        self._html(f"<html><body>posted {data.decode()}</body></html>")


@dataclass
class Site:
    base: str
    port: int


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    port = server.server_address[1]
    try:
        yield Site(base=f"http://127.0.0.1:{port}", port=port)
    finally:
        server.shutdown()
        server.server_close()


# ---------------------------------------------------------------------------- crawl runner

RUNNER = textwrap.dedent(
    """
    import json
    import sys

    import scrapy
    from scrapy.crawler import CrawlerProcess

    cfg = json.loads(sys.argv[1])


    class ArchiveTestSpider(scrapy.Spider):
        name = "archivetest"
        start_urls = [cfg["base"] + "/"]

        def parse(self, response):
            warc = response.meta["warc"]
            ext = self.crawler.newsarchive_warc
            metadata = ext.write_metadata(warc, response.url, {"verdict": "test", "status": response.status})
            conversion = ext.write_conversion(warc, response.url, response.text)
            yield {
                "url": response.url,
                "status": response.status,
                "warc": warc,
                "metadata": metadata,
                "conversion": conversion,
                "text": response.text,
            }
            for href in response.css("a::attr(href)").getall():
                yield response.follow(href, self.parse)
            if response.css("form"):
                yield scrapy.FormRequest(
                    response.urljoin("/submit"), formdata={"q": "hello world"}, callback=self.parse
                )


    process = CrawlerProcess(
        settings={
            "EXTENSIONS": {"crawler.archiving.WarcArchiveExtension": 500},
            "NEWSARCHIVE_OUTPUT": cfg["output"],
            "NEWSARCHIVE_OPERATOR": "test-operator",
            "WARC_MAX_SIZE": cfg["max_size"],
            "ROBOTSTXT_OBEY": True,
            "DOWNLOAD_FAIL_ON_DATALOSS": False,
            "USER_AGENT": "newsarchive-test/1.0",
            "FEEDS": {cfg["items"]: {"format": "jsonlines"}},
            "TELNETCONSOLE_ENABLED": False,
            "LOG_LEVEL": "INFO",
        }
    )
    crawler = process.create_crawler(ArchiveTestSpider)
    process.crawl(crawler)
    process.start()
    with open(cfg["stats"], "w") as fh:
        json.dump(crawler.stats.get_stats(), fh, default=str)
    """
)


@dataclass
class CrawlResult:
    output: Path
    warc_dir: Path
    files: list[Path]
    items: list[dict[str, Any]]
    stats: dict[str, Any]
    log: str


def run_crawl(site: Site, workdir: Path, *, max_size: int = 1_000_000_000) -> CrawlResult:
    workdir.mkdir(parents=True, exist_ok=True)
    script = workdir / "run_crawl.py"
    script.write_text(RUNNER)
    output = workdir / "output"
    cfg = {
        "base": site.base,
        "output": str(output),
        "max_size": max_size,
        "items": str(workdir / "items.jsonl"),
        "stats": str(workdir / "stats.json"),
    }
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("SCRAPY_SETTINGS_MODULE", None)
    # cwd=workdir: no scrapy.cfg there, so the project's settings module is not involved.
    proc = subprocess.run(
        [sys.executable, str(script), json.dumps(cfg)],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    stats = json.loads((workdir / "stats.json").read_text())
    # A crawler that fails to start (e.g. an extension import error) still exits 0.
    assert stats.get("finish_reason") == "finished", proc.stderr[-4000:]
    assert "Traceback" not in proc.stderr, proc.stderr[-4000:]
    items = [json.loads(line) for line in (workdir / "items.jsonl").read_text().splitlines() if line]
    warc_dir = output / "warc"
    return CrawlResult(
        output=output,
        warc_dir=warc_dir,
        files=sorted(warc_dir.iterdir()),
        items=items,
        stats=stats,
        log=proc.stderr,
    )


@pytest.fixture(scope="module")
def crawl(site: Site, tmp_path_factory: pytest.TempPathFactory) -> CrawlResult:
    return run_crawl(site, tmp_path_factory.mktemp("crawl"))


def warcio_check(path: Path) -> str:
    proc = subprocess.run([WARCIO, "check", "-v", str(path)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # -v lists every record; make sure digests were actually there to verify.
    assert "no digest to check" not in proc.stdout, proc.stdout
    assert "digest pass" in proc.stdout
    return proc.stdout


@dataclass
class Rec:
    file: Path
    offset: int
    type: str
    headers: dict[str, str]
    http: Any
    content: bytes


def all_records(files: list[Path]) -> list[Rec]:
    records = []
    for path in files:
        for offset, record in iter_records(path):
            records.append(
                Rec(
                    file=path,
                    offset=offset,
                    type=record.rec_type,
                    headers=dict(record.rec_headers.headers),
                    http=record.http_headers,
                    content=record.raw_stream.read(),
                )
            )
    return records


def responses_by_path(files: list[Path], base: str) -> dict[str, ArchivedResponse]:
    out: dict[str, ArchivedResponse] = {}
    for path in files:
        for resp in iter_responses(path):
            out[resp.url.removeprefix(base)] = resp
    return out


# ---------------------------------------------------------------------------- crawl tests


def test_crawl_files_are_closed_named_and_valid(crawl: CrawlResult) -> None:
    assert crawl.files, crawl.log[-3000:]
    assert not [p for p in crawl.files if p.name.endswith(".open")]
    for path in crawl.files:
        assert NAME_RE.match(path.name), path.name
        warcio_check(path)
    assert crawl.stats["newsarchive/warc/files"] == len(crawl.files)
    records = all_records(crawl.files)
    assert crawl.stats["newsarchive/warc/records"] == len(records)
    assert crawl.stats["newsarchive/warc/bytes"] == sum(p.stat().st_size for p in crawl.files)
    report = check_files(crawl.files)
    assert report.ok, report.problems
    assert (
        report.responses
        == crawl.stats["newsarchive/warc/responses"]
        == crawl.stats["downloader/response_count"]
    )


def test_crawl_warcinfo(crawl: CrawlResult) -> None:
    first_offset, first = next(iter_records(crawl.files[0]))
    assert first_offset == 0
    assert first.rec_type == "warcinfo"
    assert first.rec_headers.get_header("WARC-Filename") == crawl.files[0].name
    fields = dict(
        line.split(": ", 1) for line in first.raw_stream.read().decode().splitlines() if line.strip()
    )
    assert fields["outlet"] == "archivetest"
    assert fields["operator"] == "test-operator"
    assert fields["robots"] == "classic"
    assert fields["http-header-user-agent"] == "newsarchive-test/1.0"
    assert fields["software"].startswith("newsarchive/")
    assert re.fullmatch(r"[0-9a-f\-]{36}", fields["crawl-id"])
    assert fields["format"] == "WARC File Format 1.1"


def test_every_response_has_its_request(crawl: CrawlResult) -> None:
    records = all_records(crawl.files)
    responses = {r.headers["WARC-Record-ID"]: r for r in records if r.type == "response"}
    requests = [r for r in records if r.type == "request"]
    assert len(responses) == len(requests) >= 10
    linked = {}
    for req in requests:
        target = req.headers["WARC-Concurrent-To"]
        assert target in responses
        linked[target] = req
        resp = responses[target]
        assert req.headers["WARC-Target-URI"] == resp.headers["WARC-Target-URI"]
        assert req.headers["WARC-Date"] == resp.headers["WARC-Date"]
        assert DATE_RE.match(resp.headers["WARC-Date"])
        assert resp.headers["WARC-IP-Address"] == "127.0.0.1"
        assert req.http.get_header("User-Agent") == "newsarchive-test/1.0"
        assert req.http.get_header("Host").startswith("127.0.0.1:")
    assert set(linked) == set(responses)


def test_gzip_payload_is_exactly_what_the_server_sent(crawl: CrawlResult, site: Site) -> None:
    resp = responses_by_path(crawl.files, site.base)["/gzip.html"]
    assert resp.payload == GZIP_WIRE
    assert resp.header("Content-Encoding") == "gzip"
    assert int(resp.header("Content-Length") or -1) == len(resp.payload)
    assert resp.body == GZIP_HTML  # decoded, what a browser would parse
    assert resp.decode_error is None
    assert resp.protocol == "HTTP/1.1" and resp.status == 200 and resp.reason == "OK"
    digest = "sha1:" + base64.b32encode(hashlib.sha1(GZIP_WIRE).digest()).decode()
    _record, _ = read_record_at(crawl.warc_dir / resp.pointer.file, resp.pointer.offset)
    assert _record.rec_headers.get_header("WARC-Payload-Digest") == digest


def test_repeated_set_cookie_and_cookie_sent_back(crawl: CrawlResult, site: Site) -> None:
    responses = responses_by_path(crawl.files, site.base)
    cookies = responses["/cookies"].header_values("Set-Cookie")
    assert cookies == ["session=abc123; Path=/", "lang=en; Path=/"]
    # The request record is captured after the cookies middleware ran: it has the Cookie header.
    requests = [
        r
        for r in all_records(crawl.files)
        if r.type == "request" and r.headers["WARC-Target-URI"].endswith("/after-cookies")
    ]
    assert len(requests) == 1
    cookie_header = requests[0].http.get_header("Cookie")
    assert "session=abc123" in cookie_header and "lang=en" in cookie_header


def test_request_line_keeps_query(crawl: CrawlResult, site: Site) -> None:
    requests = [
        r
        for r in all_records(crawl.files)
        if r.type == "request" and "/search" in r.headers["WARC-Target-URI"]
    ]
    assert len(requests) == 1
    assert requests[0].headers["WARC-Target-URI"] == f"{site.base}/search?q=news&page=2"
    assert requests[0].http.protocol == "GET"
    assert requests[0].http.statusline == "/search?q=news&page=2 HTTP/1.1"


def test_post_request_body_archived(crawl: CrawlResult, site: Site) -> None:
    requests = [r for r in all_records(crawl.files) if r.type == "request" and r.http.protocol == "POST"]
    assert len(requests) == 1
    req = requests[0]
    assert req.headers["WARC-Target-URI"] == f"{site.base}/submit"
    assert req.content == b"q=hello+world"
    assert req.http.get_header("Content-Length") == str(len(req.content))
    assert req.http.get_header("Content-Type") == "application/x-www-form-urlencoded"


def test_redirect_404_and_robots_are_archived(crawl: CrawlResult, site: Site) -> None:
    responses = responses_by_path(crawl.files, site.base)
    robots = responses["/robots.txt"]
    assert robots.status == 200 and robots.body == ROBOTS
    redirect = responses["/redirect"]
    assert redirect.status == 302 and redirect.reason == "Found"
    assert redirect.header("Location") == "/target"
    assert responses["/target"].status == 200
    missing = responses["/missing"]
    assert missing.status == 404 and missing.body == b"nope"
    # The server said "Nope Not Here", but Scrapy/Twisted do not expose reason phrases, so the
    # standard phrase is what can be archived.
    assert missing.reason == "Not Found"
    # Disallowed by robots.txt: never fetched, so never archived.
    assert "/private/secret" not in responses
    # 404s are dropped by HttpErrorMiddleware and 302s consumed by RedirectMiddleware, so the
    # spider only saw the others; the archive has strictly more than the items.
    item_urls = {item["url"].removeprefix(site.base) for item in crawl.items}
    assert {"/redirect", "/missing", "/robots.txt"}.isdisjoint(item_urls)
    assert "/target" in item_urls


def test_chunked_response_stored_dechunked(crawl: CrawlResult, site: Site) -> None:
    resp = responses_by_path(crawl.files, site.base)["/chunked"]
    assert resp.payload == b"".join(CHUNKS)
    # Twisted consumes Transfer-Encoding (a connection header) and Scrapy never sees it, so
    # the stored response has neither Transfer-Encoding nor Content-Length: its body ends
    # where the record ends, which warcio (and replay tools built on it) read correctly.
    names = {name.lower() for name, _ in resp.headers}
    assert "transfer-encoding" not in names
    assert "content-length" not in names
    with (crawl.warc_dir / resp.pointer.file).open("rb") as fh:
        fh.seek(resp.pointer.offset)
        record = next(iter(ArchiveIterator(fh)))
        assert record.content_stream().read() == b"".join(CHUNKS)


def test_dataloss_response_marked_truncated(crawl: CrawlResult, site: Site) -> None:
    resp = responses_by_path(crawl.files, site.base)["/dataloss"]
    assert resp.payload == b"<html>cut "
    assert resp.header("Content-Length") == "100"  # what the server claimed, kept as sent
    record, _ = read_record_at(crawl.warc_dir / resp.pointer.file, resp.pointer.offset)
    assert record.rec_headers.get_header("WARC-Truncated") == "disconnect"
    complete = responses_by_path(crawl.files, site.base)["/gzip.html"]
    record, _ = read_record_at(crawl.warc_dir / complete.pointer.file, complete.pointer.offset)
    assert record.rec_headers.get_header("WARC-Truncated") is None
    assert complete.rendered_by is None


def test_http10_protocol_reported(crawl: CrawlResult, site: Site) -> None:
    resp = responses_by_path(crawl.files, site.base)["/http10"]
    assert resp.protocol == "HTTP/1.0"
    assert resp.body == b"<html><body>old server</body></html>"
    assert "content-length" not in {name.lower() for name, _ in resp.headers}  # stored as is
    # Twisted always sends HTTP/1.1 requests, whatever version the server answers with.
    [request] = [
        r
        for r in all_records(crawl.files)
        if r.type == "request" and r.headers["WARC-Target-URI"].endswith("/http10")
    ]
    assert request.http.statusline == "/http10 HTTP/1.1"


def test_pointers_in_meta_find_the_response(crawl: CrawlResult, site: Site) -> None:
    assert len(crawl.items) >= 8
    for item in crawl.items:
        warc = item["warc"]
        assert set(warc) == {"file", "offset", "record_id", "date"}
        resp = read_response_at(crawl.warc_dir / warc["file"], warc["offset"])
        assert resp.url == item["url"]
        assert resp.pointer == RecordPointer.from_dict(warc)
        assert resp.status == item["status"]
        assert resp.body.decode("utf-8") == item["text"]
    # The redirected request inherits the 302's meta; its own capture must overwrite it.
    target = next(item for item in crawl.items if item["url"].endswith("/target"))
    assert read_response_at(crawl.warc_dir / target["warc"]["file"], target["warc"]["offset"]).status == 200


def test_metadata_and_conversion_records_from_spider(crawl: CrawlResult) -> None:
    for item in crawl.items:
        record, content = read_record_at(
            crawl.warc_dir / item["metadata"]["file"], item["metadata"]["offset"]
        )
        assert record.rec_type == "metadata"
        assert record.rec_headers.get_header("WARC-Refers-To") == item["warc"]["record_id"]
        assert record.rec_headers.get_header("Content-Type") == "application/json"
        assert json.loads(content) == {"verdict": "test", "status": item["status"]}
        record, content = read_record_at(
            crawl.warc_dir / item["conversion"]["file"], item["conversion"]["offset"]
        )
        assert record.rec_type == "conversion"
        assert record.rec_headers.get_header("WARC-Refers-To") == item["warc"]["record_id"]
        assert record.rec_headers.get_header("Content-Type") == "text/plain; charset=utf-8"
        assert content.decode("utf-8") == item["text"]


def test_crawl_rollover_with_tiny_max_size(site: Site, tmp_path: Path, crawl: CrawlResult) -> None:
    small = run_crawl(site, tmp_path, max_size=1)
    assert not [p for p in small.files if p.name.endswith(".open")]
    # Every logical write (exchange, metadata, conversion) closes its file.
    records = all_records(small.files)
    exchanges = sum(1 for r in records if r.type == "response")
    described = sum(1 for r in records if r.type == "metadata")
    assert sum(1 for r in records if r.type == "conversion") == len(small.items)
    # One metadata record per response: the spider's for the pages it saw, the extension's
    # capture record for the others (robots.txt, the redirect, the 404, ...).
    assert described == exchanges > len(small.items)
    assert len(small.files) == exchanges + described + len(small.items)
    assert len(small.files) > 10
    serials = [int(p.name.split("-")[2]) for p in small.files]
    assert sorted(serials) == list(range(len(small.files)))
    for path in small.files:
        warcio_check(path)
        records = all_records([path])
        assert records[0].type == "warcinfo"
        # A request is never separated from its response.
        ids = {r.headers["WARC-Record-ID"] for r in records}
        for rec in records:
            if rec.type == "request":
                assert rec.headers["WARC-Concurrent-To"] in ids
    responses = responses_by_path(small.files, site.base)
    assert set(responses) == set(responses_by_path(crawl.files, site.base))
    for item in small.items:
        assert (
            read_response_at(small.warc_dir / item["warc"]["file"], item["warc"]["offset"]).url == item["url"]
        )


# ---------------------------------------------------------------------------- writer unit tests


def write_sample(writer: WarcWriter, **overrides: Any) -> RecordPointer:
    args: dict[str, Any] = {
        "url": "http://example.com/news;v=1?id=7&x=%C3%A9#frag",
        "method": "GET",
        "request_headers": [("User-Agent", "ua"), ("Accept-Encoding", "gzip")],
        "request_body": b"",
        "protocol": "HTTP/1.1",
        "status": 200,
        "reason": "",
        "response_headers": [("Content-Type", "text/html"), ("Content-Length", "5")],
        "body": b"hello",
        "ip_address": "192.0.2.1",
        "date": None,
    }
    args.update(overrides)
    return writer.write_exchange(**args)


def test_writer_open_file_naming_and_close(tmp_path: Path) -> None:
    writer = WarcWriter(tmp_path, prefix="newsarchive", warcinfo={"outlet": "x"})
    assert writer.current_path is None and not list(tmp_path.iterdir())  # lazily opened
    pointer = write_sample(writer)
    assert writer.current_path is not None
    assert writer.current_path.name == pointer.file + ".open"
    assert NAME_RE.match(pointer.file)
    assert writer.files == []
    # An .open file is readable while being written.
    [resp] = list(iter_responses(writer.current_path))
    assert resp.pointer == pointer
    assert read_response_at(writer.current_path, pointer.offset).body == b"hello"
    writer.close()
    writer.close()  # idempotent
    assert writer.files == [tmp_path / pointer.file]
    assert [p.name for p in tmp_path.iterdir()] == [pointer.file]
    warcio_check(tmp_path / pointer.file)
    assert DATE_RE.match(pointer.date)
    assert pointer.record_id.startswith("<urn:uuid:") and pointer.record_id.endswith(">")


def test_writer_records_http_faithfully(tmp_path: Path) -> None:
    with WarcWriter(tmp_path, warcinfo={}) as writer:
        raw_cookie = "n=caf\xe9"  # Latin-1 decoded raw byte 0xE9, as the extension passes it
        pointer = write_sample(
            writer,
            method="POST",
            request_body=b"a=1",
            status=404,
            response_headers=[("Set-Cookie", "a=1"), ("Set-Cookie", raw_cookie), ("Content-Length", "5")],
        )
        write_sample(writer, status=299, reason="")  # unknown status: empty reason phrase
        write_sample(writer, status=200, reason="Fine Thanks", protocol="HTTP/1.0")
    path = writer.files[0]
    raw = gzip.decompress(path.read_bytes())
    assert b"\r\nSet-Cookie: n=caf\xe9\r\n" in raw  # the exact byte, not %-encoded
    assert b"\r\n\r\nHTTP/1.1 404 Not Found\r\n" in raw
    assert b"\r\n\r\nHTTP/1.1 299 \r\n" in raw
    assert b"\r\n\r\nHTTP/1.0 200 Fine Thanks\r\n" in raw
    # Request line: path;params?query, no fragment; Host and Content-Length restored.
    # Twisted's wire order: Content-Length first, then the headers, Host (added by its Agent) last.
    assert b"POST /news;v=1?id=7&x=%C3%A9 HTTP/1.1\r\nContent-Length: 3\r\nUser-Agent: ua\r\n" in raw
    assert b"Accept-Encoding: gzip\r\nHost: example.com\r\n\r\na=1" in raw
    # The HTTP/1.0 response still has an HTTP/1.1 request (that is what Twisted sends).
    assert raw.count(b" HTTP/1.1\r\n") == 3 and b"HTTP/1.0 200 Fine Thanks" in raw
    assert b"WARC-IP-Address: 192.0.2.1\r\n" in raw
    warcio_check(path)
    resp = read_response_at(path, pointer.offset)
    assert resp.header_values("Set-Cookie") == ["a=1", "n=café"]
    records = all_records([path])
    assert [r.type for r in records] == ["warcinfo"] + ["response", "request"] * 3
    info_id = records[0].headers["WARC-Record-ID"]
    assert all(r.headers["WARC-Warcinfo-ID"] == info_id for r in records[1:])
    for rec in records[1:]:
        payload_digest = "sha1:" + base64.b32encode(hashlib.sha1(rec.content).digest()).decode()
        assert rec.headers["WARC-Payload-Digest"] == payload_digest


def test_writer_chunked_header_renamed_and_length_added(tmp_path: Path) -> None:
    body = b"<p>dechunked by the client</p>"
    with WarcWriter(tmp_path, warcinfo={}) as writer:
        pointer = write_sample(
            writer,
            response_headers=[("Content-Type", "text/html"), ("Transfer-Encoding", "chunked")],
            body=body,
        )
        no_length = write_sample(writer, response_headers=[("Content-Type", "text/html")], body=body)
    path = writer.files[0]
    warcio_check(path)
    resp = read_response_at(path, pointer.offset)
    assert resp.headers == [
        ("Content-Type", "text/html"),
        ("X-Archive-Orig-Transfer-Encoding", "chunked"),
        ("Content-Length", str(len(body))),
    ]
    assert resp.payload == resp.body == body
    # warcio's content_stream (what replay tools use) would try to de-chunk a body stored
    # next to "Transfer-Encoding: chunked"; with the header renamed it returns it untouched.
    with path.open("rb") as fh:
        fh.seek(pointer.offset)
        assert next(iter(ArchiveIterator(fh))).content_stream().read() == body
    # Neither chunked nor length-delimited: stored as is, no Content-Length invented.
    assert read_response_at(path, no_length.offset).headers == [("Content-Type", "text/html")]


def test_fix_response_framing_edge_cases() -> None:
    stale = [("Transfer-Encoding", "gzip, chunked"), ("Content-Length", "999")]
    assert fix_response_framing(stale, 10, status=200, method="GET") == [
        ("X-Archive-Orig-Transfer-Encoding", "gzip, chunked"),
        ("X-Archive-Orig-Content-Length", "999"),
        ("Content-Length", "10"),
    ]
    assert fix_response_framing([("Transfer-Encoding", "chunked")], 0, status=304, method="GET") == [
        ("X-Archive-Orig-Transfer-Encoding", "chunked")
    ]
    assert fix_response_framing([("Transfer-Encoding", "chunked")], 0, status=200, method="HEAD") == [
        ("X-Archive-Orig-Transfer-Encoding", "chunked")
    ]
    plain = [("Content-Length", "3")]
    assert fix_response_framing(plain, 3, status=200, method="GET") == plain


def test_writer_metadata_and_conversion(tmp_path: Path) -> None:
    with WarcWriter(tmp_path, warcinfo={}) as writer:
        pointer = write_sample(writer)
        meta = writer.write_metadata(pointer, "http://example.com/", {"verdict": "article", "n": [1, 2]})
        conv = writer.write_conversion(pointer, "http://example.com/", "Texte extrait — ü")
    path = writer.files[0]
    warcio_check(path)
    record, content = read_record_at(path, meta.offset)
    assert record.rec_type == "metadata"
    assert record.rec_headers.get_header("WARC-Refers-To") == pointer.record_id
    assert json.loads(content) == {"verdict": "article", "n": [1, 2]}
    record, content = read_record_at(path, conv.offset)
    assert record.rec_type == "conversion"
    assert record.rec_headers.get_header("Content-Type") == "text/plain; charset=utf-8"
    assert content.decode() == "Texte extrait — ü"
    with pytest.raises(ValueError, match="metadata"):
        read_response_at(path, meta.offset)


def test_writer_rollover(tmp_path: Path) -> None:
    writer = WarcWriter(tmp_path, max_size=2000, warcinfo={"outlet": "roll"})
    body = os.urandom(1500)  # incompressible, so each exchange overflows the limit
    pointers = [write_sample(writer, body=body, response_headers=[]) for _ in range(5)]
    writer.close()
    assert len(writer.files) == 5
    assert [p.file for p in pointers] == [f.name for f in writer.files]
    assert [int(p.name.split("-")[2]) for p in writer.files] == list(range(5))
    for pointer, path in zip(pointers, writer.files, strict=True):
        warcio_check(path)
        assert read_response_at(path, pointer.offset).payload == body
        assert next(iter_records(path))[1].rec_headers.get_header("WARC-Filename") == path.name
    assert writer.exchanges == 5
    assert writer.records == 5 * 3
    assert writer.bytes_written == sum(p.stat().st_size for p in writer.files)
    assert not list(tmp_path.glob("*.open"))


def test_uncompressed_warc_is_readable(tmp_path: Path) -> None:
    with WarcWriter(tmp_path, warcinfo={}, compress=False) as writer:
        first = write_sample(writer)
        second = write_sample(writer, body=b"world", url="http://example.com/2")
    path = writer.files[0]
    assert path.name.endswith(".warc") and path.read_bytes().startswith(b"WARC/1.1\r\n")
    warcio_check(path)
    # The fragment is not part of what was fetched, so not of WARC-Target-URI.
    assert [r.url for r in iter_responses(path)] == [
        "http://example.com/news;v=1?id=7&x=%C3%A9",
        "http://example.com/2",
    ]
    assert read_response_at(path, second.offset).body == b"world"
    assert read_response_at(path, first.offset).body == b"hello"


def test_decode_content_codings() -> None:
    html = b"<html>" + b"news " * 100 + b"</html>"
    cases = {
        "gzip": gzip.compress(html),
        "x-gzip": gzip.compress(html),
        "deflate": zlib.compress(html),
        "br": brotli.compress(html),
        "identity": html,
    }
    for coding, payload in cases.items():
        assert decode_content(payload, [("Content-Encoding", coding)]) == (html, None), coding
    raw_deflate = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    assert (
        decode_content(raw_deflate.compress(html) + raw_deflate.flush(), [("content-encoding", "deflate")])[0]
        == html
    )
    # Several codings are undone in reverse order of application.
    stacked = brotli.compress(gzip.compress(html))
    assert decode_content(stacked, [("Content-Encoding", "gzip, br")]) == (html, None)
    # Raw chunked payloads written by other tools are de-chunked for the body.
    chunked = b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
    assert decode_content(chunked, [("Transfer-Encoding", "chunked")]) == (b"hello world", None)
    assert decode_content(b"not chunked", [("Transfer-Encoding", "chunked")]) == (b"not chunked", None)
    # Garbage: fall back to the payload and say why.
    body, error = decode_content(b"not gzip at all", [("Content-Encoding", "gzip")])
    assert body == b"not gzip at all" and error and "error" in error.lower()
    body, error = decode_content(b"x", [("Content-Encoding", "compress")])
    assert body == b"x" and error and "compress" in error


def test_reader_reads_gzip_record_written_in_crawl_order(tmp_path: Path) -> None:
    """A response whose body is gzip-encoded is decoded by iter_responses, payload untouched."""
    with WarcWriter(tmp_path, warcinfo={}) as writer:
        write_sample(
            writer,
            response_headers=[("Content-Encoding", "gzip"), ("Content-Length", str(len(GZIP_WIRE)))],
            body=GZIP_WIRE,
        )
    [resp] = list(iter_responses(writer.files[0]))
    assert resp.payload == GZIP_WIRE
    assert resp.body == GZIP_HTML
    assert resp.ip_address == "192.0.2.1"
    assert resp.date.tzinfo is not None


def test_extension_helpers_on_real_scrapy_objects() -> None:
    headers = Headers()
    headers.appendlist("Set-Cookie", "a=1")
    headers.appendlist("Set-Cookie", b"b=caf\xe9")
    headers["Content-Type"] = "text/html"
    assert headers_as_list(headers) == [
        ("Set-Cookie", "a=1"),
        ("Set-Cookie", "b=caf\xe9"),
        ("Content-Type", "text/html"),
    ]
    plain = HtmlResponse("http://example.com/", body=b"x")
    assert truncation_reason(plain) is None and rendered_by(plain) is None
    lossy = HtmlResponse("http://example.com/", body=b"x", flags=["dataloss"])
    assert truncation_reason(lossy) == "disconnect"
    rendered = HtmlResponse("http://example.com/", body=b"x", flags=["playwright"])
    assert rendered_by(rendered) == "playwright"


def test_writer_marks_rendered_and_truncated(tmp_path: Path) -> None:
    with WarcWriter(tmp_path, warcinfo={}) as writer:
        pointer = write_sample(writer, rendered_by="playwright", truncated="length")
    path = writer.files[0]
    warcio_check(path)
    resp = read_response_at(path, pointer.offset)
    assert resp.rendered_by == "playwright"
    record, _ = read_record_at(path, pointer.offset)
    assert record.rec_headers.get_header("WARC-Truncated") == "length"


def test_check_finds_corruption_and_broken_links(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with WarcWriter(tmp_path / "good", warcinfo={}, compress=False) as writer:
        pointer = write_sample(
            writer, body=b"original body", response_headers=[("Content-Length", "13")]
        )
        writer.write_metadata(pointer, "http://example.com/", {"a": 1})
    good = writer.files[0]
    assert check_files([good]).ok
    assert check_main([str(good)]) == 0
    # Same length, different bytes: only the digests can tell.
    bad = tmp_path / "bad.warc"
    bad.write_bytes(good.read_bytes().replace(b"original body", b"ORIGINAL BODY"))
    report = check_files([bad])
    assert not report.ok
    assert any("digest" in message for _, message in report.problems), report.problems
    # A response whose request record is missing (cut the file where the request starts).
    request_offset = next(offset for offset, rec in iter_records(good) if rec.rec_type == "request")
    cut = tmp_path / "cut.warc"
    cut.write_bytes(good.read_bytes()[:request_offset])
    problems = [message for _, message in check_files([cut]).problems]
    assert problems == [f"response {pointer.record_id} has no request record"]
    # A metadata record pointing at nothing.
    with WarcWriter(tmp_path / "orphans", warcinfo={}) as writer:
        writer.write_metadata(RecordPointer("x.warc.gz", 0, "<urn:uuid:missing>", "d"), "http://e/", {})
    problems = [message for _, message in check_files(writer.files).problems]
    assert len(problems) == 1 and "refers to unknown record <urn:uuid:missing>" in problems[0]
    assert check_main([str(p) for p in writer.files]) == 1
    assert "problem" in capsys.readouterr().out


FSIZE_SCRIPT = textwrap.dedent(
    """
    import os, resource, signal, sys
    from pathlib import Path
    from archive.writer import WarcWriter

    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # get EFBIG instead of being killed
    resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, 20_000))
    writer = WarcWriter(Path(sys.argv[1]), warcinfo={}, compress=False)

    def write(body):
        return writer.write_exchange(
            url="http://example.com/", method="GET", request_headers=[], request_body=b"",
            protocol="HTTP/1.1", status=200, reason="", response_headers=[], body=body,
            ip_address=None, date=None,
        )

    write(b"small one")
    try:
        write(os.urandom(30_000))
    except OSError as exc:
        print("failed", exc.errno)
    write(b"small two")
    writer.close()
    """
)


def test_failed_write_leaves_file_consistent(tmp_path: Path) -> None:
    """A real EFBIG (RLIMIT_FSIZE) mid-record: the file is rolled back to the last whole record."""
    proc = subprocess.run(
        [sys.executable, "-c", FSIZE_SCRIPT, str(tmp_path)],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("failed 27"), proc.stdout  # EFBIG
    [path] = list(tmp_path.iterdir())
    assert check_files([path]).ok
    warcio_check(path)
    assert [r.payload for r in iter_responses(path)] == [b"small one", b"small two"]
