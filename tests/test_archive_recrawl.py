"""The archive of real `scrapy crawl menafn` runs, judged by the tools archivists use.

Two crawls of the replica into one output folder (the second revalidates and deduplicates),
then: ``warcio check`` and the record graph; CDXJ equal to cdxj-indexer's; pywb (in its own
venv, in a subprocess) replaying archived articles byte for byte as the replica served them;
``wacz validate`` on the packed run; ``newsarchive extract`` through revisits.  And a crawl
killed with SIGKILL, whose closed files are valid and whose ``.open`` file ``repair`` closes.
"""

from __future__ import annotations

import contextlib
import gzip
import http.client
import json
import os
import signal
import socket
import subprocess
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from archive.cdxj import index_files, merge_indexes
from archive.check import check_files
from archive.reader import RevisitUnresolved, iter_records, read_response_at
from archive.replayenv import ensure_replay_env
from archive.writer import PROFILE_IDENTICAL, PROFILE_NOT_MODIFIED
from crawler.page import analyse_page
from crawler.replica.catalogue import pages_for
from crawler.replica.sites.menafn import GZIPPED
from crawler.urls import to_replica
from spiders.menafn import MenafnSpider

from .conftest import BIN, ROOT, CrawlRun, run_scrapy_crawl

WARCIO = str(BIN / "warcio")
ARTICLES = [p for p in pages_for("menafn.com") if p.expected_verdict == "article" and p.listed]


@dataclass
class Recrawl:
    output: Path
    first: CrawlRun
    second: CrawlRun
    first_files: list[Path]
    second_files: list[Path]
    first_articles: list[dict]
    second_articles: list[dict]


@pytest.fixture(scope="module")
def recrawl(replica: str, tmp_path_factory: pytest.TempPathFactory) -> Recrawl:
    output = tmp_path_factory.mktemp("recrawl")
    first = run_scrapy_crawl("menafn", replica, output)
    assert first.returncode == 0, first.log[-5000:]
    first_files = first.warc_files
    first_articles = first.articles
    second = run_scrapy_crawl("menafn", replica, output)
    assert second.returncode == 0, second.log[-5000:]
    second_files = sorted(set(second.warc_files) - set(first_files))
    return Recrawl(output, first, second, first_files, second_files, first_articles,
                   second.articles[len(first_articles):])


def _records(files: list[Path]) -> list[tuple[Path, int, str, dict, object, bytes]]:
    out = []
    for path in files:
        for offset, record in iter_records(path):
            out.append((path, offset, record.rec_type, dict(record.rec_headers.headers), record.http_headers,
                        record.raw_stream.read()))
    return out


# ------------------------------------------------------------------------------ the files


def test_every_file_passes_warcio_check_and_the_record_graph(recrawl: Recrawl) -> None:
    files = recrawl.first_files + recrawl.second_files
    assert recrawl.first_files and recrawl.second_files
    assert not list((recrawl.output / "warc").glob("*.open"))
    for path in files:
        proc = subprocess.run([WARCIO, "check", "-v", str(path)], capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert "digest pass" in proc.stdout
    # Every response/revisit: its request, one metadata record, and for articles a conversion
    # record; HTTP Content-Length equal to the stored payload; revisits' targets and digests.
    report = check_files(files, graph=True)
    assert report.ok, report.problems
    # The same through the command line, as an operator runs it.
    proc = subprocess.run([str(BIN / "newsarchive"), "archive", "check", "--graph", str(recrawl.output / "warc")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and proc.stdout.strip().endswith("OK"), proc.stdout + proc.stderr


def test_discovery_responses_have_capture_metadata(recrawl: Recrawl) -> None:
    records = _records(recrawl.first_files)
    targets = {h["WARC-Record-ID"]: h["WARC-Target-URI"] for _, _, t, h, _, _ in records if t in ("response", "revisit")}
    roles: dict[str, set[str]] = {}
    verdicts: dict[str, set[object]] = {}
    for _, _, rec_type, headers, _, content in records:
        if rec_type == "metadata" and "WARC-Refers-To" in headers:
            fields = json.loads(content)
            path = urlsplit(targets[headers["WARC-Refers-To"]]).path
            roles.setdefault(fields["role"], set()).add(path)
            verdicts.setdefault(fields["role"], set()).add(fields["verdict"])
    assert "/robots.txt" in roles["robots"]
    assert {"/menafn.com/rss/menafn_politics.xml", "/menafn.com/rss/menafn_arabic.xml"} <= roles["feed"]
    assert "/menafn.com/sitemap.xml" in roles["sitemap"]
    assert roles["redirect"]  # 301/302 answers the spider followed itself
    assert verdicts["robots"] == verdicts["feed"] == verdicts["sitemap"] == verdicts["redirect"] == {None}
    assert verdicts["listing"] == {"listing"}
    assert "article" in verdicts["article"]


def test_second_crawl_revalidates_and_writes_no_duplicate_payloads(recrawl: Recrawl) -> None:
    first = _records(recrawl.first_files)
    by_id = {h["WARC-Record-ID"]: (h, http) for _, _, t, h, http, _ in first if t == "response"}
    first_digests = {h["WARC-Payload-Digest"] for h, http in by_id.values() if http.get_statuscode().startswith("2")}
    second = _records(recrawl.second_files)
    requests = {h["WARC-Concurrent-To"]: msg for _, _, t, h, msg, _ in second if t == "request"}
    not_modified = identical = 0
    for _, _, rec_type, headers, msg, content in second:
        if rec_type == "response" and content and msg.get_statuscode().startswith("2"):
            assert headers["WARC-Payload-Digest"] not in first_digests, headers["WARC-Target-URI"]
        if rec_type != "revisit":
            continue
        assert content == b""
        original, original_http = by_id[headers["WARC-Refers-To"]]  # always a crawl-1 response
        assert headers["WARC-Refers-To-Date"] == original["WARC-Date"]
        if headers["WARC-Profile"] == PROFILE_NOT_MODIFIED:
            not_modified += 1
            assert msg.get_statuscode() == "304"
            assert headers["WARC-Refers-To-Target-URI"] == headers["WARC-Target-URI"]
            # Revalidated with the ETag of the first capture.
            etag = requests[headers["WARC-Record-ID"]].get_header("If-None-Match")
            assert etag and etag == original_http.get_header("ETag")
        else:
            identical += 1
            assert headers["WARC-Profile"] == PROFILE_IDENTICAL
            assert headers["WARC-Payload-Digest"] == original["WARC-Payload-Digest"]
    # Every article page carries an ETag in the replica, so every one came back 304.
    assert not_modified == len(recrawl.second_articles) == len(recrawl.first_articles) == len(ARTICLES)
    assert identical >= 5  # feeds, sitemaps, listings: no validators, same bytes
    assert recrawl.second.report("menafn")["warc_records"] < recrawl.first.report("menafn")["warc_records"] + 1
    sizes = [sum(p.stat().st_size for p in files) for files in (recrawl.first_files, recrawl.second_files)]
    assert sizes[1] < 0.75 * sizes[0]


def test_recrawled_articles_point_at_revisits_that_resolve(recrawl: Recrawl) -> None:
    first = {a["source_url"]: a for a in recrawl.first_articles}
    for article in recrawl.second_articles:
        before = first[article["source_url"]]
        assert article["text"] == before["text"] and article["title"] == before["title"]
        warc = article["warc"]
        resolved = read_response_at(recrawl.output / "warc" / warc["file"], warc["offset"])
        assert resolved.revisit_profile == PROFILE_NOT_MODIFIED
        assert resolved.pointer.record_id == warc["record_id"] and resolved.status == 200
        assert resolved.revisit_of is not None and resolved.revisit_of.record_id == before["warc"]["record_id"]
        result = analyse_page(resolved.url, resolved.status, resolved.body, content_type=resolved.content_type,
                              outlet=MenafnSpider)
        assert result.text == article["text"]


def test_extract_resolves_revisits(recrawl: Recrawl) -> None:
    files = [str(p) for p in recrawl.first_files + recrawl.second_files]
    proc = subprocess.run([str(BIN / "newsarchive"), "extract", *files], capture_output=True, text=True,
                          timeout=300, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    records = [json.loads(line) for line in proc.stdout.splitlines()]
    by_record = {r["warc"]["record_id"]: r for r in records}
    for article in recrawl.first_articles + recrawl.second_articles:
        extracted = by_record[article["warc"]["record_id"]]
        assert extracted["verdict"] == "article"
        assert extracted["text"] == article["text"]


def test_revisit_without_its_original_is_reported_not_fatal(recrawl: Recrawl, tmp_path: Path) -> None:
    alone = tmp_path / "alone"
    alone.mkdir()
    copies = [alone / p.name for p in recrawl.second_files]
    for src, dst in zip(recrawl.second_files, copies, strict=True):
        dst.write_bytes(src.read_bytes())  # crawl 2's WARCs without crawl 1's nor the index
    article = recrawl.second_articles[0]
    with pytest.raises(RevisitUnresolved, match="not found"):
        read_response_at(alone / article["warc"]["file"], article["warc"]["offset"])
    proc = subprocess.run([str(BIN / "newsarchive"), "extract", *map(str, copies)], capture_output=True,
                          text=True, timeout=300, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Skipping revisit" in proc.stderr
    extracted = {json.loads(line)["warc"]["record_id"] for line in proc.stdout.splitlines()}
    assert article["warc"]["record_id"] not in extracted


def test_cdxj_index_equals_cdxj_indexer(recrawl: Recrawl, tmp_path: Path) -> None:
    ours = sorted((recrawl.output / "indexes").glob("*.cdxj"))
    assert len(ours) == 2  # one per crawl
    for path in ours:
        lines = path.read_text().splitlines()
        assert lines == sorted(lines) and lines
    reference = index_files(recrawl.first_files + recrawl.second_files, tmp_path / "reference.cdxj")
    assert merge_indexes(ours) == reference.read_text().splitlines(keepends=True)
    assert any('"mime": "warc/revisit"' in line for line in merge_indexes(ours))


# ------------------------------------------------------------------------------ pywb


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    """Raw HTTP GET: http.client never decodes Content-Encoding, so bytes are compared as sent."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


@pytest.fixture(scope="module")
def pywb(recrawl: Recrawl, tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """``wayback`` over a collection of the crawl's WARCs and *our* CDXJ indexes; always stopped."""
    bin_dir = ensure_replay_env()
    root = tmp_path_factory.mktemp("pywb")
    collection = root / "collections" / "news"
    (collection / "archive").mkdir(parents=True)
    (collection / "indexes").mkdir()
    for path in recrawl.first_files + recrawl.second_files:
        (collection / "archive" / path.name).symlink_to(path)
    (collection / "indexes" / "index.cdxj").write_text(
        "".join(merge_indexes(sorted((recrawl.output / "indexes").glob("*.cdxj"))))
    )
    port = _free_port()
    proc = subprocess.Popen(
        [str(bin_dir / "wayback"), "--bind", "127.0.0.1", "--port", str(port)],
        cwd=root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else "pywb exited"
            try:
                if _get(port, "/news/")[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "pywb did not start"
            time.sleep(0.2)
        yield port
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        if proc.stdout:
            proc.stdout.close()


def _capture(files: list[Path], url: str, rec_type: str = "response") -> tuple[dict, object]:
    """The WARC headers of the capture of ``url`` and the HTTP headers of its request."""
    records = _records(files)
    [headers] = [h for _, _, t, h, _, _ in records if t == rec_type and h["WARC-Target-URI"] == url]
    [request] = [http for _, _, t, h, http, _ in records
                 if t == "request" and h["WARC-Concurrent-To"] == headers["WARC-Record-ID"]]
    return headers, request


def _timestamp(warc_date: str) -> str:
    return "".join(ch for ch in warc_date if ch.isdigit())[:14]


@pytest.mark.parametrize("which", ["gzip", "identity"])
def test_pywb_raw_replay_is_what_the_replica_sent(recrawl: Recrawl, pywb: int, replica: str, which: str) -> None:
    path = GZIPPED if which == "gzip" else next(p.path for p in ARTICLES if p.path != GZIPPED)
    url = to_replica(f"https://menafn.com{path}", replica)
    headers, request = _capture(recrawl.first_files, url)
    accept = request.get_header("Accept-Encoding")
    assert accept and "gzip" in accept  # what Scrapy asked for
    # Ask the replica again, exactly as the crawler did, and keep the bytes as sent.
    origin = urlsplit(replica)
    status, served_headers, served = _get(origin.port or 80, urlsplit(url).path, {"Accept-Encoding": accept})
    assert status == 200
    assert (served_headers.get("content-encoding") == "gzip") == (which == "gzip")
    if which == "gzip":
        assert gzip.decompress(served).startswith(b"<!DOCTYPE") or b"<html" in gzip.decompress(served)[:200]
    status, replay_headers, replayed = _get(
        pywb, f"/news/{_timestamp(headers['WARC-Date'])}id_/{url}", {"Accept-Encoding": accept}
    )
    assert status == 200
    assert replayed == served
    assert replay_headers.get("content-encoding") == served_headers.get("content-encoding")


def test_pywb_replays_an_identical_payload_revisit(recrawl: Recrawl, pywb: int, replica: str) -> None:
    url = to_replica("https://menafn.com/rss/menafn_politics.xml", replica)
    original, _ = _capture(recrawl.first_files, url)
    revisit, request = _capture(recrawl.second_files, url, "revisit")
    assert revisit["WARC-Profile"] == PROFILE_IDENTICAL
    accept = {"Accept-Encoding": request.get_header("Accept-Encoding") or "identity"}
    _, _, first = _get(pywb, f"/news/{_timestamp(original['WARC-Date'])}id_/{url}", accept)
    status, _, second = _get(pywb, f"/news/{_timestamp(revisit['WARC-Date'])}id_/{url}", accept)
    assert status == 200 and second == first and b"<rss" in first


# ------------------------------------------------------------------------------ WACZ


def test_wacz_of_the_run_validates(recrawl: Recrawl, tmp_path: Path) -> None:
    target = tmp_path / "run.wacz"
    proc = subprocess.run([str(BIN / "newsarchive"), "archive", "wacz", str(recrawl.output), "-o", str(target)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    proc = subprocess.run([str(BIN / "wacz"), "validate", "-f", str(target)], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Validation succeeded" in proc.stdout
    with zipfile.ZipFile(target) as zf:
        names = set(zf.namelist())
        assert {f"archive/{p.name}" for p in recrawl.first_files + recrawl.second_files} <= names
        assert all(zf.getinfo(n).compress_type == zipfile.ZIP_STORED for n in names if n.startswith("archive/"))
        pages = [json.loads(line) for line in zf.read("pages/pages.jsonl").decode().splitlines()]
        index = zf.read("indexes/index.cdx").decode().splitlines()
    assert pages[0]["format"] == "json-pages-1.0"
    articles = recrawl.first_articles + recrawl.second_articles
    assert [(p["url"], p["ts"]) for p in pages[1:]] == [(a["url"], a["warc"]["date"]) for a in articles]
    assert all(p["title"] and p["text"] for p in pages[1:])
    assert index == sorted(index) and len(index) == len(merge_indexes((recrawl.output / "indexes").glob("*.cdxj")))


# ------------------------------------------------------------------------------ SIGKILL and repair


def _largest_open(warc_dir: Path) -> int:
    """Size of the biggest ``.open`` file (0 if none); files may be renamed while we look."""
    sizes = [0]
    for path in warc_dir.glob("*.open") if warc_dir.exists() else ():
        with contextlib.suppress(FileNotFoundError):
            sizes.append(path.stat().st_size)
    return max(sizes)


def test_sigkill_mid_crawl_then_repair(replica: str, tmp_path: Path) -> None:
    output = tmp_path / "killed"
    env = dict(os.environ, NEWSARCHIVE_REPLICA=replica, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        [str(BIN / "scrapy"), "crawl", "menafn", "-s", f"NEWSARCHIVE_OUTPUT={output}",
         # Slow and small: files roll over every few exchanges while the crawl goes on.
         "-s", "DOWNLOAD_DELAY=0.1", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1",
         "-s", "WARC_MAX_SIZE=6000", "-s", "LOG_LEVEL=WARNING"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    warc_dir = output / "warc"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            closed = list(warc_dir.glob("*.warc.gz")) if warc_dir.exists() else []
            # An .open file with its warcinfo record and more being written.
            if len(closed) >= 2 and _largest_open(warc_dir) > 600:
                break
            time.sleep(0.02)
        assert proc.poll() is None, "the crawl finished before it could be killed"
        proc.send_signal(signal.SIGKILL)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL
    closed = sorted(warc_dir.glob("*.warc.gz"))
    [open_file] = list(warc_dir.glob("*.open"))
    assert len(closed) >= 2
    for path in closed:
        check = subprocess.run([WARCIO, "check", str(path)], capture_output=True, text=True, timeout=60)
        assert check.returncode == 0, check.stdout + check.stderr
    # A few bytes of a record that never finished, as a kill inside write(2) leaves them.
    with open_file.open("ab") as fh:
        fh.write(gzip.compress(b"WARC/1.1\r\nWARC-Type: response\r\nContent-Length: 9999\r\n\r\n<html>")[:40])
    assert subprocess.run([WARCIO, "check", str(open_file)], capture_output=True, timeout=60).returncode != 0
    repaired = subprocess.run([str(BIN / "newsarchive"), "archive", "repair", str(open_file)],
                              capture_output=True, text=True, timeout=60)
    assert repaired.returncode == 0, repaired.stderr
    final = open_file.with_name(open_file.name.removesuffix(".open"))
    assert final.exists() and not open_file.exists()
    assert "40 bytes cut" in repaired.stdout
    check = subprocess.run([WARCIO, "check", "-v", str(final)], capture_output=True, text=True, timeout=60)
    assert check.returncode == 0 and "digest pass" in check.stdout, check.stdout + check.stderr
    report = check_files(sorted(warc_dir.glob("*.warc.gz")))
    assert report.ok, report.problems
    # The indexes were never written (the crawl did not close): rebuild them from the WARCs.
    rebuilt = subprocess.run([str(BIN / "newsarchive"), "archive", "index", str(output)],
                             capture_output=True, text=True, timeout=120)
    assert rebuilt.returncode == 0, rebuilt.stderr
    lines = (output / "indexes" / "all.cdxj").read_text().splitlines()
    assert len(lines) == report.responses and lines == sorted(lines)
