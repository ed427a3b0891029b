"""An auditor's commands on real crawls: ``audit``, ``captures``, ``show``, ``diff``, and WARCs from wget.

Two real ``scrapy crawl dailynews`` runs into one output folder, against a replica of our own whose
first story is stealth-edited in between (``crawler/replica/sites/dailynews.py``): the second run
revalidates the unchanged stories (304, server-not-modified revisits) and captures the edited one
in full.  Then copies of the folder are damaged the ways archives get damaged (a flipped byte, a
record cut out, a file cut short) and the audit must name each precisely.  Replay in a real browser
is in ``tests/test_replay.py``.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import http.client
import json
import shutil
import subprocess
import sys
import urllib.request
import uuid
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from archive.audit import ScannedRecord, scan_file
from archive.writer import sha1_b32
from crawler.replica import ReplicaServer
from crawler.replica.sites import dailynews
from crawler.replica.sites.menafn import GZIPPED
from crawler.urls import to_replica

from .conftest import BIN, ROOT, CrawlRun, run_scrapy_crawl

NEWSARCHIVE = str(BIN / "newsarchive")
EDITED = dailynews.STORIES[0]
UNCHANGED = dailynews.STORIES[1]
EDITED_URL = f"https://{dailynews.DOMAIN}{EDITED.path}"
UNCHANGED_URL = f"https://{dailynews.DOMAIN}{UNCHANGED.path}"


@dataclass
class TwoCrawls:
    output: Path
    replica: str
    first: CrawlRun
    second: CrawlRun


@pytest.fixture(scope="module")
def crawls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TwoCrawls]:
    """Crawl, stealth-edit the first story on this server, crawl again into the same folder."""
    output = tmp_path_factory.mktemp("audit-crawls")
    with ReplicaServer(port=0) as server:
        first = run_scrapy_crawl("dailynews", server.base_url, output)
        assert first.returncode == 0, first.log[-5000:]
        with urllib.request.urlopen(server.base_url + f"/{dailynews.DOMAIN}{dailynews.STEALTH_EDIT_PATH}") as reply:
            assert reply.status == 200
        second = run_scrapy_crawl("dailynews", server.base_url, output)
        assert second.returncode == 0, second.log[-5000:]
        yield TwoCrawls(output, server.base_url, first, second)


def newsarchive(*args: str, binary: bool = False) -> subprocess.CompletedProcess:
    return subprocess.run([NEWSARCHIVE, *args], cwd=ROOT, capture_output=True, text=not binary, timeout=300)


def audit_json(*paths: Path) -> tuple[int, dict]:
    proc = newsarchive("audit", "--json", *map(str, paths))
    assert not proc.stderr.strip(), proc.stderr  # never a traceback
    return proc.returncode, json.loads(proc.stdout)


def errors(report: dict, kind: str | None = None) -> list[dict]:
    return [f for f in report["findings"] if f["severity"] == "error" and kind in (None, f["kind"])]


def records(path: Path) -> list[ScannedRecord]:
    return [r for r in scan_file(path) if isinstance(r, ScannedRecord)]


def capture_record(crawls: TwoCrawls, run: int, url: str) -> tuple[Path, ScannedRecord, ScannedRecord]:
    """The (file, response-or-revisit, request) of ``url`` in crawl ``run`` (0 or 1)."""
    files = sorted((crawls.output / "warc").glob("*.warc.gz"))
    assert len(files) == 2
    path = files[run]
    found = records(path)
    fetched = to_replica(url, crawls.replica)
    [capture] = [r for r in found if r.rec_type in ("response", "revisit") and r.target_uri == fetched]
    [request] = [r for r in found if r.rec_type == "request" and r.header("WARC-Concurrent-To") == capture.record_id]
    return path, capture, request


def member_end(data: bytes, offset: int) -> int:
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    inflater.decompress(data[offset:])
    return len(data) - len(inflater.unused_data)


def damaged_copy(crawls: TwoCrawls, tmp_path: Path) -> Path:
    target = tmp_path / "output"
    shutil.copytree(crawls.output, target)
    return target


# ------------------------------------------------------------------------------------------------ audit


def test_audit_of_two_crawls_passes(crawls: TwoCrawls) -> None:
    code, report = audit_json(crawls.output)
    assert code == 0, [f for f in report["findings"] if f["severity"] == "error"]
    assert report["ok"] and report["errors"] == 0
    counts = report["counts"]
    assert counts["files"] == 2
    assert counts["revisits"] >= 3  # the unchanged stories, revalidated
    assert counts["block_digests"] == counts["records"]
    assert counts["payload_digests"] == counts["responses"] + counts["requests"]
    articles = crawls.second.articles
    assert counts["articles"] == len(articles) == 6
    # Six captures hold an article (three per crawl), each stated twice: articles.jsonl and a conversion record.
    assert counts["reextracted"] == 6
    assert counts["texts_identical"] == 12 and counts["texts_differing"] == 0
    text = newsarchive("audit", str(crawls.output))
    assert text.returncode == 0 and "OK: the archive is intact" in text.stdout


def test_flipped_payload_byte_is_reported_with_a_diff(crawls: TwoCrawls, tmp_path: Path) -> None:
    """A byte of an article's payload altered, the gzip member rewritten so it still inflates."""
    output = damaged_copy(crawls, tmp_path)
    path, capture, _ = capture_record(crawls, 0, EDITED_URL)
    path = output / "warc" / path.name
    data = path.read_bytes()
    end = member_end(data, capture.offset)
    record = bytearray(gzip.decompress(data[capture.offset : end]))
    at = record.index(b"damaged by a barge")
    record[at] ^= 0x20  # "damaged" -> "Damaged"
    member = gzip.compress(bytes(record), compresslevel=6)
    path.write_bytes(data[: capture.offset] + member + data[end:])
    shift = len(member) - (end - capture.offset)

    code, report = audit_json(output)
    assert code == 1 and not report["ok"]
    digests = errors(report, "digest")
    assert {(f["file"], f["offset"], f["record_id"]) for f in digests} == {(path.name, capture.offset, capture.record_id)}
    assert any("payload digest mismatch" in f["message"] for f in digests)
    assert any("block digest mismatch" in f["message"] for f in digests)
    texts = errors(report, "text")
    assert {f["record_id"] for f in texts} == {capture.record_id}
    assert len(texts) == 2  # articles.jsonl and the conversion record both disagree with the bytes now
    diff = "\n".join(texts[0]["diff"])
    assert "[-damaged-]{+Damaged+}" in diff
    # Nothing else is wrong.  The rewritten member may be a byte or two longer or shorter than the
    # original: then, and only then, the pointers to records after it in that file are off by that much.
    others = [f for f in errors(report) if f["kind"] not in ("digest", "text")]
    for finding in others:
        assert shift != 0 and finding["kind"] in ("article", "index") and finding["file"] == path.name, finding
        assert finding["kind"] == "index" or finding["offset"] > capture.offset, finding


def test_flipped_byte_in_compressed_data_is_reported_and_the_audit_goes_on(crawls: TwoCrawls, tmp_path: Path) -> None:
    output = damaged_copy(crawls, tmp_path)
    path, capture, _ = capture_record(crawls, 0, EDITED_URL)
    path = output / "warc" / path.name
    data = bytearray(path.read_bytes())
    end = member_end(bytes(data), capture.offset)
    data[(capture.offset + end) // 2] ^= 0xFF
    path.write_bytes(bytes(data))

    code, report = audit_json(output)
    assert code == 1
    [gzip_error] = errors(report, "gzip")
    assert (gzip_error["file"], gzip_error["offset"]) == (path.name, capture.offset)
    assert "corrupt gzip member" in gzip_error["message"]
    # The audit went on: every other record was read and every other article checked.
    clean_code, clean = audit_json(crawls.output)
    assert clean_code == 0
    lost = 0 if "whose stored bytes were altered" in gzip_error["message"] else 1
    assert report["counts"]["records"] == clean["counts"]["records"] - lost
    assert report["counts"]["texts_identical"] >= clean["counts"]["texts_identical"] - 2


def test_deleted_record_is_reported(crawls: TwoCrawls, tmp_path: Path) -> None:
    output = damaged_copy(crawls, tmp_path)
    path, capture, request = capture_record(crawls, 0, EDITED_URL)
    path = output / "warc" / path.name
    data = path.read_bytes()
    path.write_bytes(data[: capture.offset] + data[member_end(data, capture.offset) :])

    code, report = audit_json(output)
    assert code == 1
    missing = [f for f in errors(report, "link") if f["record_id"] == capture.record_id]
    assert len(missing) == 1 and "is missing from the archive" in missing[0]["message"]
    assert request.record_id in missing[0]["message"]  # its request still names it
    pointers = errors(report, "article")
    [lost] = [f for f in pointers if f["record_id"] == capture.record_id]
    assert (lost["file"], lost["offset"]) == (path.name, capture.offset)
    assert f"is request {request.record_id}" in lost["message"]  # what now sits at that offset
    assert "is nowhere in the archive" in lost["message"]
    # Articles stored after it in that file moved up: their pointers are off by the deleted record.
    for moved in pointers:
        assert moved is lost or (moved["file"] == path.name and moved["offset"] > capture.offset
                                 and "is at" in moved["message"])
    # The crawl's CDXJ index points at the deleted record's offset too.
    assert any(f["file"] == path.name for f in errors(report, "index"))


def test_truncated_file_is_reported(crawls: TwoCrawls, tmp_path: Path) -> None:
    output = damaged_copy(crawls, tmp_path)
    path, capture, _ = capture_record(crawls, 1, EDITED_URL)
    path = output / "warc" / path.name
    data = path.read_bytes()
    cut = capture.offset + (member_end(data, capture.offset) - capture.offset) // 2
    path.write_bytes(data[:cut])

    code, report = audit_json(output)
    assert code == 1
    [truncated] = [f for f in errors(report, "truncated")]
    assert (truncated["file"], truncated["offset"]) == (path.name, capture.offset)
    assert f"at byte {cut}" in truncated["message"] and "truncated" in truncated["message"]
    # The first crawl's file is untouched and fully checked.
    first = sorted((output / "warc").glob("*.warc.gz"))[0]
    assert not [f for f in errors(report) if f.get("file") == first.name]


def test_audit_memory_stays_flat_on_a_huge_payload(tmp_path: Path) -> None:
    """A 256 MB payload is streamed: the audit's peak memory barely moves (and its digests are checked)."""
    peaks = {}
    for name, megabytes in (("small", 1), ("huge", 256)):
        path = tmp_path / f"{name}.warc.gz"
        write_big_warc(path, megabytes << 20)
        probe = (
            "import resource, sys\n"
            "from crawler.cli import main\n"
            "code = main(['audit', '--json', sys.argv[1]])\n"
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"
            "sys.exit(code)\n"
        )
        proc = subprocess.run([sys.executable, "-c", probe, str(path)], cwd=ROOT, capture_output=True, text=True,
                              timeout=300)
        report = json.loads(proc.stdout)
        assert proc.returncode == 0, report["findings"]
        assert report["counts"]["payload_digests"] == 2  # the payload's digest was verified, not skipped
        peaks[name] = int(proc.stderr.strip().splitlines()[-1])  # KB
    assert peaks["huge"] - peaks["small"] < 64 * 1024, peaks


def write_big_warc(path: Path, size: int) -> None:
    """warcinfo, request and a response of ``size`` payload bytes, written (and digested) in pieces."""
    piece = bytes(range(256)) * 4096
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: %d\r\n\r\n" % size
    block, payload = hashlib.sha1(head), hashlib.sha1()
    for _ in range(size // len(piece)):
        block.update(piece)
        payload.update(piece)
    response_id, request_id = f"<urn:uuid:{uuid.uuid4()}>", f"<urn:uuid:{uuid.uuid4()}>"
    request = b"GET /big HTTP/1.1\r\nHost: example.com\r\n\r\n"

    def fields(**values: str) -> bytes:
        return ("WARC/1.1\r\n" + "".join(f"{k.replace('_', '-')}: {v}\r\n" for k, v in values.items()) + "\r\n").encode()

    def member(*parts: bytes) -> bytes:
        compressor = zlib.compressobj(1, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
        return b"".join([*(compressor.compress(p) for p in parts), compressor.flush()])

    info = b"software: test-writer/1.0\r\n"
    date = "2025-06-12T10:00:00Z"
    with path.open("wb") as fh:
        fh.write(member(fields(WARC_Type="warcinfo", WARC_Record_ID=f"<urn:uuid:{uuid.uuid4()}>", WARC_Date=date,
                               Content_Type="application/warc-fields", WARC_Block_Digest=sha1_b32(info),
                               Content_Length=str(len(info))), info, b"\r\n\r\n"))
        compressor = zlib.compressobj(1, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
        fh.write(compressor.compress(fields(
            WARC_Type="response", WARC_Record_ID=response_id, WARC_Date=date, WARC_Target_URI="http://example.com/big",
            WARC_Block_Digest=_sha1(block), WARC_Payload_Digest=_sha1(payload),
            Content_Type="application/http; msgtype=response",
            Content_Length=str(len(head) + size),
        ) + head))
        for _ in range(size // len(piece)):
            fh.write(compressor.compress(piece))
        fh.write(compressor.compress(b"\r\n\r\n") + compressor.flush())
        fh.write(member(fields(
            WARC_Type="request", WARC_Record_ID=request_id, WARC_Date=date, WARC_Target_URI="http://example.com/big",
            WARC_Concurrent_To=response_id, WARC_Block_Digest=sha1_b32(request), WARC_Payload_Digest=sha1_b32(b""),
            Content_Type="application/http; msgtype=request", Content_Length=str(len(request)),
        ), request, b"\r\n\r\n"))


def _sha1(digest: hashlib._Hash) -> str:
    return "sha1:" + base64.b32encode(digest.digest()).decode("ascii")


# ------------------------------------------------------------------------------------------------ captures


@pytest.mark.parametrize("asked", ["outlet", "fetched"])
def test_captures_lists_both_crawls(crawls: TwoCrawls, asked: str) -> None:
    url = EDITED_URL if asked == "outlet" else to_replica(EDITED_URL, crawls.replica)
    proc = newsarchive("captures", url, str(crawls.output), "--json")
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [r["url"] for r in rows] == [to_replica(EDITED_URL, crawls.replica)] * 2
    assert [r["status"] for r in rows] == ["200", "200"]
    assert [r["verdict"] for r in rows] == ["article", "article"]
    assert rows[0]["digest"] != rows[1]["digest"]  # the edit: a new payload, not a revisit
    for row in rows:
        _, capture, _ = capture_record(crawls, rows.index(row), EDITED_URL)
        assert (row["file"], row["offset"]) == (capture.file, capture.offset)
        assert row["digest"] == capture.header("WARC-Payload-Digest")
    unchanged = [json.loads(line) for line in newsarchive("captures", UNCHANGED_URL, str(crawls.output),
                                                            "--json").stdout.splitlines()]
    assert [(r["status"], r["revisit"], r["verdict"]) for r in unchanged] == [("200", False, "article"),
                                                                             ("304", True, "article")]
    assert unchanged[0]["digest"] == unchanged[1]["digest"]
    text = newsarchive("captures", url, str(crawls.output))
    assert text.returncode == 0 and len(text.stdout.splitlines()) == 2 and "article" in text.stdout
    assert newsarchive("captures", "https://dailynews.example/never/", str(crawls.output)).returncode == 1


# ------------------------------------------------------------------------------------------------ show


def served(base: str, url: str, request: ScannedRecord) -> bytes:
    """The replica's bytes for ``url`` asked exactly as the crawler asked (same Accept-Encoding)."""
    assert request.http is not None
    accept = request.http.header("Accept-Encoding") or "identity"
    port = urlsplit(base).port
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", urlsplit(to_replica(url, base)).path, headers={"Accept-Encoding": accept})
        response = conn.getresponse()
        assert response.status == 200
        return response.read()  # http.client never decodes Content-Encoding
    finally:
        conn.close()


@pytest.mark.parametrize("run", [0, 1], ids=["response", "not-modified-revisit"])
def test_show_raw_is_what_the_replica_served(crawls: TwoCrawls, run: int) -> None:
    _, capture, request = capture_record(crawls, run, UNCHANGED_URL)
    assert capture.rec_type == ("response", "revisit")[run]
    stamp = "".join(ch for ch in capture.date if ch.isdigit())[:14]
    proc = newsarchive("show", UNCHANGED_URL, str(crawls.output), "--at", stamp, "--raw", binary=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == served(crawls.replica, UNCHANGED_URL, request)


def test_show_raw_of_each_version_of_the_edited_story(crawls: TwoCrawls) -> None:
    _, before, request = capture_record(crawls, 0, EDITED_URL)
    _, after, _ = capture_record(crawls, 1, EDITED_URL)
    shown = []
    for capture in (before, after):
        stamp = capture.date  # ISO 8601 is accepted as well as 14 digits
        proc = newsarchive("show", to_replica(EDITED_URL, crawls.replica), str(crawls.output), "--at", stamp, "--raw",
                           binary=True)
        assert proc.returncode == 0, proc.stderr
        shown.append(proc.stdout)
    assert shown[1] == served(crawls.replica, EDITED_URL, request)  # this server is edited now
    with ReplicaServer(port=0) as fresh:  # a new server serves the story as first published
        assert shown[0] == served(fresh.base_url, EDITED_URL, request)
    assert shown[0] != shown[1]


def test_show_prints_headers_and_text(crawls: TwoCrawls) -> None:
    proc = newsarchive("show", EDITED_URL, str(crawls.output))
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "HTTP/1.1 200 OK" in out and "Etag:" in out
    assert "verdict     article" in out
    assert EDITED.title in out
    assert dailynews.STEALTH_EDIT[1] in out  # the latest capture: the edited story
    first = newsarchive("show", EDITED_URL, str(crawls.output), "--at", "2000")
    assert EDITED.paragraphs[4] in first.stdout and dailynews.STEALTH_EDIT[1] not in first.stdout
    missing = newsarchive("show", "https://dailynews.example/never/", str(crawls.output))
    assert missing.returncode == 1 and "no capture" in missing.stderr and "Traceback" not in missing.stderr


# ------------------------------------------------------------------------------------------------ diff


def test_diff_shows_the_stealth_edit(crawls: TwoCrawls) -> None:
    proc = newsarchive("diff", EDITED_URL, str(crawls.output))
    assert proc.returncode == 1, proc.stderr  # as diff(1): 1 when the texts differ
    lines = proc.stdout.splitlines()
    assert "-" + EDITED.paragraphs[4] in lines
    assert "+" + dailynews.STEALTH_EDIT[1] in lines
    assert any(line.startswith("~ ") and "[-is planned for the autumn-]{+has been postponed until next spring+}" in line
               for line in lines)
    changed = [line for line in lines if line[:1] in "+-" and not line.startswith(("---", "+++"))]
    assert len(changed) == 2  # one paragraph replaced, nothing else
    unchanged = newsarchive("diff", UNCHANGED_URL, str(crawls.output))
    assert unchanged.returncode == 0 and "no change" in unchanged.stdout
    _, before, _ = capture_record(crawls, 0, EDITED_URL)
    same = newsarchive("diff", EDITED_URL, str(crawls.output), "--from", before.date, "--to", before.date)
    assert same.returncode == 0 and "only one capture" in same.stderr


# ------------------------------------------------------------------------------------------------ wget


@pytest.mark.parametrize("compression", ["gzip", "none"])
def test_wget_warc_is_read_and_audited(tmp_path: Path, compression: str) -> None:
    """Debian's wget writes WARC/1.0 (URIs in angle brackets, its log as resource records)."""
    article = f"https://menafn.com{GZIPPED}"
    with ReplicaServer(port=0) as server:
        urls = [f"{server.base_url}/robots.txt", to_replica(EDITED_URL, server.base_url),
                to_replica(article, server.base_url), to_replica("https://dailynews.example/2025/01/01/nope/",
                                                                   server.base_url)]
        options = ["--no-warc-compression"] if compression == "none" else []
        proc = subprocess.run(
            ["wget", "-q", "--tries=1", "--header=Accept-Encoding: gzip", f"--warc-file={tmp_path / 'wget'}",
             *options, "-O", "/dev/null", *urls],
            cwd=tmp_path, capture_output=True, text=True, timeout=120,
        )
        assert proc.returncode in (0, 8), proc.stderr  # 8: the 404, as asked
        warc = tmp_path / ("wget.warc.gz" if compression == "gzip" else "wget.warc")
        assert warc.exists()

        code, report = audit_json(warc)
        assert code == 0 and report["errors"] == 0, report["findings"]
        assert report["counts"]["responses"] == 4 and report["counts"]["requests"] == 4
        # wget digests every block and each response's payload (not a request's): all of them verified.
        assert report["counts"]["block_digests"] == report["counts"]["records"]
        assert report["counts"]["payload_digests"] == 4

        # The archive's own captures: indexed on the fly, found by outlet URL, bytes as served.
        listing = newsarchive("captures", article, str(warc), "--json")
        assert listing.returncode == 0, listing.stderr
        [row] = [json.loads(line) for line in listing.stdout.splitlines()]
        assert row["status"] == "200" and row["verdict"] is None  # wget writes no verdicts
        raw = newsarchive("show", article, str(warc), "--raw", binary=True)
        assert raw.returncode == 0, raw.stderr
        conn = http.client.HTTPConnection("127.0.0.1", urlsplit(server.base_url).port, timeout=30)
        conn.request("GET", urlsplit(to_replica(article, server.base_url)).path, headers={"Accept-Encoding": "gzip"})
        response = conn.getresponse()
        assert response.getheader("Content-Encoding") == "gzip"
        assert raw.stdout == response.read()
        assert b"Traceback" not in raw.stderr and b"Warning" not in raw.stderr, raw.stderr
        conn.close()

    # Cut short in the middle of the gzipped article's response: found, with its offset.
    [capture] = [r for r in records(warc) if r.rec_type == "response" and r.target_uri.endswith(GZIPPED)]
    data = warc.read_bytes()
    cut = capture.offset + 200
    warc.write_bytes(data[:cut])
    code, report = audit_json(warc)
    assert code == 1
    [truncated] = errors(report, "truncated")
    assert (truncated["file"], truncated["offset"]) == (warc.name, capture.offset)
    assert truncated["record_id"] == capture.record_id and f"{cut}" in truncated["message"]
