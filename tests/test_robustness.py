"""Robustness: one real ``scrapy crawl hostile`` of the replica's hostile site, over loopback, no mocks.

The Hostile Herald (crawler/replica/sites/hostile.py) serves six good stories among pages that never
finish, connections cut mid-body, 429/503 bursts with Retry-After, a gzip bomb, two 200 MB pages, binary
data as HTML, broken markup with invalid bytes, redirect loops, an endless calendar and a robots.txt that
forbids a section the home page links into. A crawler that archives for years meets all of it; the crawl
must finish in bounded time and memory, obey robots.txt and Retry-After, cap sizes (recording what it cut
as truncated in the WARC), lose no good story, leave a trace of every bad page, and never crash.

The crawl runs with the project's settings except DOWNLOAD_TIMEOUT (3 s instead of 60, so the stalls cost
seconds) and DOWNLOAD_MAXSIZE (8 MiB instead of 50, so the capped captures are quick to write and check):
the mechanisms are the same at any value. The crawl-trap bounds keep their defaults. The server's own
request log is the evidence for what the crawler asked and when.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from archive.reader import iter_records
from crawler.replica import ReplicaServer
from crawler.replica.model import LoggedRequest
from crawler.replica.sites import hostile
from crawler.urls import to_replica

from .conftest import BIN, ROOT, CrawlRun

PROFILES = ROOT / "crawler" / "replica" / "hostile.toml"
DOWNLOAD_TIMEOUT = 3
MAXSIZE = 8 * 1024 * 1024
#: Project defaults the assertions rely on (crawler/settings.py).
RETRY_TIMES = 2
RETRY_AFTER_TIMES = 3
REDIRECT_MAX_TIMES = 20
LISTINGS_PER_PATTERN = 50
#: Wall-clock bound of the whole crawl: the stalls alone cost 3 attempts x 3 s; the rest is seconds.
CRAWL_SECONDS = 90
#: Peak RSS of the crawl process. Scrapy and the extraction stack take ~150-250 MB; holding one 200 MB
#: page (or its copy) or inflating the bomb would pass 400 MB by far.
RSS_LIMIT_MB = 400
#: Tolerance of the Retry-After timing (monotonic clocks of one machine; the server logs on arrival).
CLOCK_SLACK = 0.05


def real(path: str) -> str:
    return f"https://{hostile.DOMAIN}{path}"


@dataclass
class HostileCrawl:
    run: CrawlRun
    seconds: float
    max_rss_mb: float
    requests: list[LoggedRequest]
    records: list[dict[str, Any]]

    def url(self, path: str) -> str:
        """The URL the crawler fetched for an outlet path."""
        return to_replica(real(path), self.run.replica)

    def hits(self, path: str) -> list[float]:
        """Arrival times of the GETs of one outlet path (exactly that path)."""
        target = f"/{hostile.DOMAIN}{path}"
        return [r.at for r in self.requests if r.method == "GET" and r.target == target]

    def responses(self, path: str) -> list[dict[str, Any]]:
        return [r for r in self.records if r["type"] == "response" and r["uri"] == self.url(path)]

    def failure(self, path: str) -> dict[str, Any]:
        """The metadata record of a download that produced nothing the spider could use."""
        found = [
            json.loads(r["content"]) for r in self.records
            if r["type"] == "metadata" and r["uri"] == self.url(path) and "WARC-Refers-To" not in r["headers"]
        ]
        assert len(found) == 1, (path, found)
        return found[0]

    @property
    def report(self) -> dict[str, Any]:
        return self.run.report("hostile")

    def report_failure(self, path: str) -> dict[str, Any]:
        found = [f for f in self.report["download_failures"] if f["url"] == self.url(path)]
        assert len(found) == 1, (path, self.report["download_failures"])
        return found[0]

    def rejected(self, path: str) -> dict[str, Any]:
        found = [r for r in self.report["rejected"] if r["url"] == self.url(path)]
        assert len(found) == 1, (path, self.report["rejected"])
        return found[0]


def _high_water_kb(pid: int) -> int:
    """VmHWM of one process (its own peak RSS since exec), 0 once it is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    match = re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)
    return int(match.group(1)) if match else 0


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _crawl(output: Path, replica: str) -> tuple[CrawlRun, float, float]:
    """``scrapy crawl hostile`` as a user runs it, with the peak RSS of its process tree.

    The peak is sampled from /proc (VmHWM of the crawl and of its children, e.g. a WARC writer process),
    not taken from wait4(): a child forked from a large pytest process inherits that process's high-water
    mark in ru_maxrss, which would measure the test runner rather than the crawl.
    """
    env = dict(os.environ, NEWSARCHIVE_REPLICA=replica, NEWSARCHIVE_PROFILES=str(PROFILES), PYTHONUNBUFFERED="1")
    log_path = output.with_suffix(".log")
    command = [
        str(BIN / "scrapy"), "crawl", "hostile", "-s", f"NEWSARCHIVE_OUTPUT={output}", "-s", "LOG_LEVEL=INFO",
        "-s", f"DOWNLOAD_TIMEOUT={DOWNLOAD_TIMEOUT}", "-s", f"DOWNLOAD_MAXSIZE={MAXSIZE}",
    ]
    started = time.monotonic()
    with log_path.open("w", encoding="utf-8") as log:
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        deadline = started + 4 * CRAWL_SECONDS
        peaks: dict[int, int] = {}
        while True:  # a bounded loop: a crawl that hangs is killed and fails the test, never hangs it
            for pid in (proc.pid, *_children(proc.pid)):
                peaks[pid] = max(peaks.get(pid, 0), _high_water_kb(pid))
            pid, status, _usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                proc.send_signal(signal.SIGKILL)
                pid, status, _usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.05)
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    seconds = time.monotonic() - started
    run = CrawlRun(output=output, returncode=proc.returncode, log=log_path.read_text(encoding="utf-8"),
                   replica=replica)
    return run, seconds, sum(peaks.values()) / 1024


def _records(files: list[Path]) -> list[dict[str, Any]]:
    records = []
    for path in files:
        for _offset, record in iter_records(path):
            # Responses: the payload as stored (content-encoding kept); other records: their block.
            content = record.raw_stream.read()
            records.append({
                "type": record.rec_type,
                "uri": record.rec_headers.get_header("WARC-Target-URI"),
                "headers": dict(record.rec_headers.headers),
                "status": record.http_headers.get_statuscode() if record.http_headers else None,
                "content": content,
            })
    return records


@pytest.fixture(scope="module")
def crawl(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostileCrawl]:
    output = tmp_path_factory.mktemp("hostile-crawl") / "out"
    with ReplicaServer(port=0, hostile=True) as server:
        run, seconds, rss = _crawl(output, server.base_url)
        requests = server.requests()
    yield HostileCrawl(run, seconds, rss, requests, _records(run.warc_files))


def test_the_crawl_finishes_in_bounded_time(crawl: HostileCrawl) -> None:
    assert crawl.run.returncode == 0, crawl.run.log[-5000:]
    assert crawl.seconds < CRAWL_SECONDS, crawl.seconds
    assert crawl.report["finish_reason"] == "finished"
    assert crawl.run.warc_files and not list((crawl.run.output / "warc").glob("*.open"))


def test_the_crawl_never_crashes(crawl: HostileCrawl) -> None:
    """No traceback, no exception in a callback; the only ERROR lines are Scrapy giving up retrying."""
    log = crawl.run.log
    assert "Traceback" not in log, log[log.find("Traceback") - 2000 :][:6000]
    gave_up = {crawl.url(p) for p in (hostile.STALL, hostile.TRICKLE, hostile.DROP)}
    for line in log.splitlines():
        if " ERROR: " in line:
            match = re.search(r"\[scrapy\.downloadermiddlewares\.retry\] ERROR: Gave up retrying <GET (\S+)>", line)
            assert match and match.group(1) in gave_up, line
    assert "'spider_exceptions" not in log


def test_memory_stays_bounded(crawl: HostileCrawl) -> None:
    assert crawl.max_rss_mb < RSS_LIMIT_MB, f"peak RSS {crawl.max_rss_mb:.0f} MB"


def test_no_good_story_is_lost(crawl: HostileCrawl) -> None:
    """Every well-behaved story (the rate-limited, unavailable and malformed ones included) is kept whole;
    nothing else passes for an article (the binary blob, the truncated pages, the loops)."""
    articles = {a["source_url"]: a for a in crawl.run.articles}
    assert set(articles) == {real(s.path) for s in hostile.STORIES}
    for story in hostile.STORIES:
        article = articles[real(story.path)]
        assert article["title"] == story.title
        assert article["text"].split("\n\n") == list(story.paragraphs), story.path
        assert article["authors"] == list(story.authors)
        assert article["published"] == story.published
        assert article["verdict"] == "article"


def test_robots_txt_is_obeyed(crawl: HostileCrawl) -> None:
    """Not one request into the disallowed section reaches the server; each link into it is reported."""
    assert crawl.hits("/") and [r for r in crawl.requests if r.target == "/robots.txt"]
    assert not [r.target for r in crawl.requests if r.target.startswith(f"/{hostile.DOMAIN}/private/")]
    for path in hostile.PRIVATE:
        assert crawl.report_failure(path)["error"] == "Forbidden by robots.txt"
        assert crawl.failure(path)["error"]["message"] == "Forbidden by robots.txt"
    assert [r for r in crawl.records if r["type"] == "response" and r["uri"].endswith("/robots.txt")]


def _gaps(times: list[float]) -> list[float]:
    return [later - earlier for earlier, later in itertools.pairwise(times)]


def test_retry_after_is_obeyed(crawl: HostileCrawl) -> None:
    """Each retry arrives no sooner than the Retry-After the previous refusal asked for."""
    limited = crawl.hits(hostile.RATE_LIMITED)
    assert len(limited) == hostile.RATE_LIMITED_REFUSALS + 1
    assert all(gap >= hostile.RETRY_AFTER_RATE_LIMITED - CLOCK_SLACK for gap in _gaps(limited)), _gaps(limited)
    unavailable = crawl.hits(hostile.UNAVAILABLE)
    assert len(unavailable) == 2 and _gaps(unavailable)[0] >= hostile.RETRY_AFTER_UNAVAILABLE - CLOCK_SLACK
    # A limit that never lifts: waited out RETRY_AFTER_TIMES times, then the 429 is judged and reported.
    forever = crawl.hits(hostile.ALWAYS_LIMITED)
    assert len(forever) == 1 + RETRY_AFTER_TIMES
    assert all(gap >= hostile.RETRY_AFTER_ALWAYS - CLOCK_SLACK for gap in _gaps(forever)), _gaps(forever)
    assert crawl.rejected(hostile.ALWAYS_LIMITED)["verdict"] == "blocked"
    # "Come back tomorrow" is longer than RETRY_AFTER_MAX: not waited for, asked once, reported.
    assert len(crawl.hits(hostile.COME_BACK_TOMORROW)) == 1
    assert crawl.rejected(hostile.COME_BACK_TOMORROW)["verdict"] == "error"
    assert crawl.report["retry_after_waits"] == hostile.RATE_LIMITED_REFUSALS + 1 + RETRY_AFTER_TIMES
    assert crawl.report["retry_after_gave_up"] == 2


@pytest.mark.parametrize("path", [hostile.HUGE, hostile.HUGE_CHUNKED])
def test_huge_pages_are_cut_at_the_cap_and_archived_as_truncated(crawl: HostileCrawl, path: str) -> None:
    """The first DOWNLOAD_MAXSIZE bytes are archived with WARC-Truncated: length, asked for once."""
    [record] = crawl.responses(path)
    assert record["headers"]["WARC-Truncated"] == "length"
    payload = record["content"]
    assert MAXSIZE <= len(payload) < MAXSIZE + 1024 * 1024
    assert payload.startswith(hostile.HUGE_HEAD) and hostile.HUGE_BLOCK in payload
    assert len(crawl.hits(path)) == 1  # a cut page is not retried: the next try would be cut alike
    assert "WARC-Truncated: length" in crawl.report_failure(path)["error"]
    assert crawl.failure(path)["error"]["type"] == "IgnoreRequest"
    assert crawl.report["truncated"] == 2


def test_gzip_bomb_is_archived_as_sent_and_not_inflated(crawl: HostileCrawl) -> None:
    """The capture holds the 4 MiB sent (complete, so not truncated); decoding stops at the cap."""
    [record] = crawl.responses(hostile.GZIP_BOMB)
    assert "WARC-Truncated" not in record["headers"]
    assert record["content"] == hostile.gzip_bomb()
    error = crawl.report_failure(hostile.GZIP_BOMB)["error"]
    assert "DOWNLOAD_MAXSIZE" in error and "decompression" in error
    assert crawl.failure(hostile.GZIP_BOMB)["role"] == "download-failure"
    assert len(crawl.hits(hostile.GZIP_BOMB)) == 1


@pytest.mark.parametrize(("path", "error_type"), [
    (hostile.STALL, "DownloadTimeoutError"),
    (hostile.TRICKLE, "DownloadTimeoutError"),
    (hostile.DROP, "ResponseDataLossError"),
])
def test_stalls_and_drops_are_retried_then_recorded(crawl: HostileCrawl, path: str, error_type: str) -> None:
    assert len(crawl.hits(path)) == 1 + RETRY_TIMES
    failure = crawl.failure(path)
    assert failure["error"]["type"] == error_type and failure["retry_times"] == RETRY_TIMES
    assert crawl.report_failure(path)["error_type"] == error_type
    assert not crawl.responses(path)


def test_binary_data_served_as_html_is_rejected(crawl: HostileCrawl) -> None:
    rejected = crawl.rejected(hostile.BINARY)
    assert rejected["verdict"] == "error" and "binary-body" in rejected["reasons"]
    [record] = crawl.responses(hostile.BINARY)
    assert record["content"] == hostile.binary_blob()  # archived byte for byte


def test_malformed_html_and_invalid_bytes_are_counted(crawl: HostileCrawl) -> None:
    """The story's text is whole (test_no_good_story_is_lost); its invalid bytes are counted, not hidden."""
    [article] = [a for a in crawl.run.articles if a["source_url"] == real(hostile.MALFORMED)]
    assert article["encoding"]["used"] == "utf-8" and article["encoding"]["undecodable_bytes"] > 0
    assert [u for u in crawl.report["undecodable"] if u["url"] == crawl.url(hostile.MALFORMED)]


def test_redirect_loops_end_and_are_reported(crawl: HostileCrawl) -> None:
    loop = crawl.rejected(hostile.LOOP_B)
    assert loop["verdict"] == "error" and loop["redirected_from"] == [crawl.url(hostile.LOOP_A)]
    assert len(crawl.hits(hostile.LOOP_A)) == 1 and len(crawl.hits(hostile.LOOP_B)) == 1
    assert crawl.report["redirect_loops"] == 1
    # The redirect that never lands: followed REDIRECT_MAX_TIMES times, then judged with its chain.
    steps = [r for r in crawl.requests if r.target.startswith(f"/{hostile.DOMAIN}{hostile.ENDLESS}")]
    assert len(steps) == REDIRECT_MAX_TIMES + 1
    last = crawl.rejected(f"{hostile.ENDLESS}-{REDIRECT_MAX_TIMES}")
    assert last["verdict"] == "error" and len(last["redirected_from"]) == REDIRECT_MAX_TIMES


def test_the_endless_calendar_is_bounded(crawl: HostileCrawl) -> None:
    """With the default bounds the calendar is walked a little, reported, and never takes the crawl over."""
    days = [r for r in crawl.requests if hostile.CALENDAR_DAY.match(r.target.removeprefix(f"/{hostile.DOMAIN}"))]
    months = [r for r in crawl.requests if hostile.CALENDAR_MONTH.match(r.target.removeprefix(f"/{hostile.DOMAIN}"))]
    assert 0 < len(days) <= LISTINGS_PER_PATTERN and 0 < len(months) <= LISTINGS_PER_PATTERN
    bounds = crawl.report["listing_links_not_followed"]
    assert bounds["pattern"] > 0 and "/calendar/#/#/#" in bounds["patterns_capped"]


def test_every_hostile_case_leaves_a_trace(crawl: HostileCrawl) -> None:
    """Each trap the home page links is in the WARC (a response or a failure record) and in the report."""
    archived = {r["uri"] for r in crawl.records if r["type"] in ("response", "metadata")}
    reported = {r["url"] for r in crawl.report["rejected"]} | {f["url"] for f in crawl.report["download_failures"]}
    for path, _label in hostile.TRAP_LINKS:
        assert crawl.url(path) in archived, path
        if path not in (hostile.CALENDAR, hostile.LOOP_A, hostile.ENDLESS):  # listing; reported as their chains
            assert crawl.url(path) in reported, path


def test_archive_tools_survive_the_hostile_archive(crawl: HostileCrawl) -> None:
    """``newsarchive extract`` reads the bomb's record without inflating it and agrees with the crawl."""
    proc = subprocess.Popen(
        [str(BIN / "newsarchive"), "extract", *map(str, crawl.run.warc_files)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 0, stderr[-3000:]
    records = {r["url"]: r for r in map(json.loads, stdout.splitlines())}
    assert {url for url, r in records.items() if r["verdict"] == "article"} == {a["url"] for a in crawl.run.articles}
    assert crawl.url(hostile.GZIP_BOMB) in records  # judged on its bytes as archived, never inflated
    assert crawl.url(hostile.HUGE) not in records  # truncated captures are not analysed, as in the crawl
