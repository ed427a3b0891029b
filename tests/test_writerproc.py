"""The WARC writer process (archive/writerproc.py): order, answers, failures, a dying child.

Real child processes and real files; the crawl-level behaviour (a crawl whose writer dies stops
with a recorded reason instead of fetching pages nobody archives) runs a real Scrapy crawl.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from archive.check import check_files
from archive.reader import iter_records
from archive.writer import ExchangeResult, RecordPointer
from archive.writerproc import RemoteWarcWriter, WriterProcessError

WARCIO = str(Path(sys.executable).parent / "warcio")


def _exchange(i: int, body: bytes | None = None) -> dict[str, Any]:
    body = body if body is not None else (b"<html><body>page %05d</body></html>" % i) * 40
    return {
        "url": f"http://example.com/p/{i}?q=1", "method": "GET", "request_headers": [("Accept", "*/*")],
        "request_body": b"", "protocol": "HTTP/1.1", "status": 200, "reason": "",
        "response_headers": [("Content-Type", "text/html"), ("Content-Length", str(len(body)))],
        "body": body, "ip_address": "127.0.0.1", "date": None,
    }


def _remote(directory: Path, **kwargs: Any) -> RemoteWarcWriter:
    return RemoteWarcWriter(
        writer_kwargs={"directory": directory, "warcinfo": {"outlet": "writerproc", "software": "test"},
                       "collect_index": True},
        dedup={"kind": "sqlite", "path": str(directory / "digests.sqlite")},
        **kwargs,
    )


def test_records_keep_submission_order_and_files_are_valid(tmp_path: Path) -> None:
    results: list[ExchangeResult] = []
    writer = _remote(tmp_path / "warc")
    for i in range(150):
        writer.submit("write_exchange_detailed", (), _exchange(i), on_result=results.append)
    # A synchronous call returns after everything queued before it.
    pointer = writer.write_metadata(None, "http://example.com/failed", {"error": "timeout"})
    assert isinstance(pointer, RecordPointer)
    assert len(results) == 150, "every exchange answered before the synchronous call returned"
    for result in results:  # fire-and-forget, written before close returns
        writer.submit("write_metadata", (result.pointer, "http://example.com/", {"i": 1}))
    summary = writer.close(cdxj_path=tmp_path / "index.cdxj")
    assert [r.pointer.offset for r in results] == sorted(r.pointer.offset for r in results)
    assert summary.exchanges == 150 and len(summary.files) == 1 and not summary.files[0].name.endswith(".open")
    assert summary.cdxj == str(tmp_path / "index.cdxj")
    lines = (tmp_path / "index.cdxj").read_text().splitlines()
    assert len(lines) == 150 and lines == sorted(lines)
    assert check_files(summary.files).ok
    assert subprocess.run([WARCIO, "check", str(summary.files[0])], capture_output=True).returncode == 0
    types = [record.rec_type for _, record in iter_records(summary.files[0])]
    assert types[:3] == ["warcinfo", "response", "request"] and types.count("metadata") == 151


def test_identical_payloads_become_revisits_in_the_child(tmp_path: Path) -> None:
    writer = _remote(tmp_path / "warc")
    first = writer.write_exchange_detailed(**_exchange(1, b"same body" * 100))
    second = writer.write_exchange_detailed(**{**_exchange(2, b"same body" * 100)})
    writer.close()
    assert (first.record_type, second.record_type) == ("response", "revisit")
    assert second.original.record_id == first.pointer.record_id


def test_a_failing_fire_and_forget_call_is_reported_not_lost(tmp_path: Path) -> None:
    failures: list[tuple[str, BaseException]] = []
    done = threading.Event()

    def on_failure(method: str, exc: BaseException) -> None:
        failures.append((method, exc))
        done.set()

    writer = _remote(tmp_path / "warc", on_failure=on_failure)
    # A resource block must be bytes: a str is a programming error in the caller.
    writer.submit("write_resource", ("urn:test", "text/plain", "not bytes"))
    writer.flush()
    assert done.wait(30)
    assert failures[0][0] == "write_resource" and isinstance(failures[0][1], TypeError)
    # The writer goes on after a failed call.
    assert writer.write_exchange_detailed(**_exchange(1)).record_type == "response"
    writer.close()


def test_unknown_method_is_refused(tmp_path: Path) -> None:
    writer = _remote(tmp_path / "warc")
    with pytest.raises(WriterProcessError, match="unknown writer method"):
        writer.call("rename_everything")
    writer.close()


def test_a_killed_child_fails_waiting_calls_and_refuses_new_ones(tmp_path: Path) -> None:
    exits: list[int | None] = []
    errors: list[BaseException] = []
    writer = _remote(tmp_path / "warc", on_exit=exits.append)
    writer.write_exchange_detailed(**_exchange(1))
    open_file = next((tmp_path / "warc").glob("*.open"))
    writer._proc.kill()
    writer._proc.wait()
    deadline = time.monotonic() + 30
    while writer.alive and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not writer.alive and exits and exits[0] is not None and exits[0] < 0
    with pytest.raises(WriterProcessError, match="stopped"):
        writer.submit("write_exchange_detailed", (), _exchange(2), on_error=errors.append)
    with pytest.raises(WriterProcessError):
        writer.close()
    assert open_file.exists(), "a killed writer leaves its .open file for `archive repair`"


def test_child_exits_when_the_parent_dies_and_leaves_the_open_file(tmp_path: Path) -> None:
    script = textwrap.dedent(
        f"""
        import json, os, sys
        from pathlib import Path
        from archive.writerproc import RemoteWarcWriter
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        from test_writerproc import _exchange, _remote
        writer = _remote(Path({str(tmp_path / "warc")!r}))
        writer.write_exchange_detailed(**_exchange(1))
        print(json.dumps({{"child": writer._proc.pid}}), flush=True)
        os._exit(9)  # no close: as a SIGKILL would leave it
        """
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert proc.returncode == 9, proc.stderr
    child = json.loads(proc.stdout.strip().splitlines()[-1])["child"]
    deadline = time.monotonic() + 30
    while Path(f"/proc/{child}").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not Path(f"/proc/{child}").exists(), "the writer process outlived its parent"
    [open_file] = (tmp_path / "warc").glob("*.open")
    assert [r.rec_type for _, r in iter_records(open_file)] == ["warcinfo", "response", "request"]


CRAWL = textwrap.dedent(
    """
    import json, sys
    import scrapy
    from scrapy.crawler import CrawlerProcess

    cfg = json.loads(sys.argv[1])

    class Victim(scrapy.Spider):
        name = "victim"
        start_urls = [cfg["base"] + "/p/0"]
        seen = 0

        def parse(self, response):
            Victim.seen += 1
            if Victim.seen == 3:
                self.crawler.newsarchive_warc.writer._proc.kill()
            for i in range(10):
                yield response.follow(f"/p/{Victim.seen * 10 + i}", self.parse)

    process = CrawlerProcess(settings={
        "EXTENSIONS": {"crawler.archiving.WarcArchiveExtension": 100},
        "DOWNLOADER_MIDDLEWARES": {"crawler.archiving.WarcPointerMiddleware": 950},
        "NEWSARCHIVE_OUTPUT": cfg["output"], "ROBOTSTXT_OBEY": False, "LOG_LEVEL": "INFO",
        "CONCURRENT_REQUESTS": 2, "TELNETCONSOLE_ENABLED": False, "CLOSESPIDER_PAGECOUNT": 500,
    })
    crawler = process.create_crawler(Victim)
    process.crawl(crawler)
    process.start()
    print(json.dumps(crawler.stats.get_stats(), default=str))
    """
)


def test_a_crawl_whose_writer_dies_stops_with_a_reason(tmp_path: Path) -> None:
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            body = f"<html><body>{self.path}</body></html>".encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        cfg = {"base": f"http://127.0.0.1:{server.server_address[1]}", "output": str(tmp_path / "out")}
        script = tmp_path / "crawl.py"  # a file: Scrapy reads callbacks' source (not possible with -c)
        script.write_text(CRAWL)
        proc = subprocess.run([sys.executable, str(script), json.dumps(cfg)], capture_output=True, text=True,
                              timeout=120, env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    finally:
        server.shutdown()
        server.server_close()
    assert proc.returncode == 0, proc.stderr[-3000:]
    stats = json.loads(proc.stdout.strip().splitlines()[-1])
    assert stats["finish_reason"] == "warc_writer_failed", stats
    assert "The WARC writer process exited unexpectedly" in proc.stderr
    assert stats["downloader/response_count"] < 100, "the crawl went on without an archive"
    assert list((tmp_path / "out" / "warc").glob("*.open")), "what was written stays, for `archive repair`"


def test_index_spool_sorts_across_chunks_like_a_whole_sort(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The CDXJ of a long crawl is sorted in chunks merged from disk: same lines as one in-memory sort."""
    from archive import cdxj
    from archive.writer import IndexEntry

    monkeypatch.setattr(cdxj, "SORT_CHUNK_LINES", 7)
    spool = cdxj.IndexSpool(tmp_path / "warc")
    entries = [
        IndexEntry(url=f"http://example.com/{(i * 37) % 101}?a={i}", date=f"2026-11-23T04:{i % 60:02d}:00.000000Z",
                   mime="text/html", status="200", digest=f"sha1:{i:032d}", length=100 + i, offset=1000 * i,
                   file="x.warc.gz", method="GET", request_content_type=None, request_body=b"")
        for i in range(100)
    ]
    for entry in entries:
        spool.add(entry)
    assert len(spool) == 100 and list((tmp_path / "warc").iterdir()) == [], "the spool is an anonymous file"
    path = spool.write_sorted(tmp_path / "index.cdxj")
    spool.close()
    assert path.read_text().splitlines() == sorted(cdxj.cdxj_line(e) for e in entries)
    assert not list(tmp_path.glob("*.tmp"))
