"""Rendering JavaScript pages in Chromium, only when needed, and archiving what the browser loaded.

Two real crawls of the replica with Debian's Chromium (the slow part, so every browser test reads them):

* ``jsnews_crawl``: the JS outlet as declared (``render = "browser"``), with screenshots on. While it runs
  the browser process is killed once, so the crash path (record it, start a new browser, retry the open
  pages) is exercised in the same crawl as the stalled page's timeout.
* ``auto_crawl``: the same outlet crawled as if it declared nothing (``-a render=http``): only the pages
  whose plain HTML is an app shell may reach the browser.

The session's MENAFN crawl (tests/conftest.py) is the outlet with no render setting and no shells: it must
not start a browser at all. The rest are fast checks of the pieces on real pages and real records.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from scrapy.settings import Settings
from warcio.recordloader import ArcWarcRecord

from archive.reader import iter_records, read_record_at, read_response_at
from archive.writer import RecordPointer, WarcWriter
from crawler import settings as project_settings
from crawler.rendering import (
    DEFAULT_CHROMIUM_ARGS,
    BlockPolicy,
    app_shell_reasons,
    launch_options,
    stored_headers,
)
from crawler.replica.catalogue import CATALOGUE, pages_for
from crawler.replica.sites import jsnews
from crawler.urls import to_replica

from .conftest import BIN, ROOT, CrawlRun

JS_PAGES = pages_for(jsnews.DOMAIN)
ARTICLES = [p for p in JS_PAGES if p.kind == "article" and p.listed and p.path != jsnews.STALLED.path]
#: Pages whose served HTML is an app shell: every page of the app, home included.
SHELL_PATHS = {s.path for s in (*jsnews.STORIES, jsnews.STALLED)} | {"/"}
TIMEOUT = "6"  # seconds: the page budget, for the stalled page to use up (the replica default is 10)


# --- crawls ---------------------------------------------------------------------------------------


def _descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (from /proc), to find the browser a crawl launched."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = [], [pid]
    while frontier:
        children = [child for child, parent in parents.items() if parent in frontier]
        found += children
        frontier = children
    return found


def _browser_process(crawl_pid: int) -> int | None:
    """The Chromium browser process (renderers and helpers carry ``--type=``; crashpad has its own name)."""
    for pid in _descendants(crawl_pid):
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        # Chromium rewrites its children's command lines into one space-joined string.
        name = Path(argv[0].decode(errors="replace")).name
        if name in ("chromium", "chrome", "headless_shell") and b"--type=" not in b" ".join(argv):
            return pid
    return None


def _renderers(crawl_pid: int) -> list[int]:
    """Chromium renderer processes below the crawl: one per open page (site)."""
    found = []
    for pid in _descendants(crawl_pid):
        try:
            command_line = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if b"--type=renderer" in command_line:
            found.append(pid)
    return found


def run_crawl(spider: str, replica: str, output: Path, *extra: str, kill_browser_after: float | None = None) -> CrawlRun:
    """`scrapy crawl` as a user runs it; optionally kill its browser once it has run that long."""
    env = dict(os.environ, NEWSARCHIVE_REPLICA=replica, PYTHONUNBUFFERED="1")
    log_path = output.with_suffix(".log")
    command = [
        str(BIN / "scrapy"), "crawl", spider, "-s", f"NEWSARCHIVE_OUTPUT={output}", "-s", "LOG_LEVEL=INFO",
        "-s", f"NEWSARCHIVE_RENDER_TIMEOUT={TIMEOUT}", *extra,
    ]
    with log_path.open("w") as log:
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            if kill_browser_after is not None:
                # Once pages are open (a renderer process runs), let them work a moment, then kill.
                deadline = time.monotonic() + 60
                while not _renderers(proc.pid) and time.monotonic() < deadline:
                    time.sleep(0.05)
                time.sleep(kill_browser_after)
                browser = _browser_process(proc.pid)
                assert browser is not None, "the crawl has no browser to kill"
                os.kill(browser, signal.SIGKILL)
            proc.wait(timeout=300)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    return CrawlRun(output=output, returncode=proc.returncode, log=log_path.read_text())


@pytest.fixture(scope="module")
def jsnews_crawl(replica: str, tmp_path_factory: pytest.TempPathFactory) -> CrawlRun:
    # The stalled page holds the crawl for TIMEOUT seconds, so the browser is alive when it is killed.
    run = run_crawl(
        "jsnews", replica, tmp_path_factory.mktemp("render") / "jsnews",
        "-s", "NEWSARCHIVE_RENDER_SCREENSHOT=True", kill_browser_after=0.5,
    )
    assert run.returncode == 0, run.log[-5000:]
    return run


@pytest.fixture(scope="module")
def auto_crawl(replica: str, tmp_path_factory: pytest.TempPathFactory) -> CrawlRun:
    run = run_crawl("jsnews", replica, tmp_path_factory.mktemp("render") / "auto", "-a", "render=http")
    assert run.returncode == 0, run.log[-5000:]
    return run


@dataclass
class Record:
    type: str
    url: str
    headers: dict[str, str]
    http: dict[str, str]
    payload: bytes
    pointer: RecordPointer


def records(run: CrawlRun) -> list[Record]:
    out = []
    for path in run.warc_files:
        for offset, record in iter_records(path):
            out.append(_record(record, path, offset))
    return out


def _record(record: ArcWarcRecord, path: Path, offset: int) -> Record:
    headers = dict(record.rec_headers.headers)
    http = {k.lower(): v for k, v in record.http_headers.headers} if record.http_headers else {}
    payload = record.raw_stream.read()
    pointer = RecordPointer(path.name, offset, headers["WARC-Record-ID"], headers.get("WARC-Date", ""))
    return Record(record.rec_type, headers.get("WARC-Target-URI", ""), headers, http, payload, pointer)


def metadata(run: CrawlRun) -> Iterator[tuple[Record, dict[str, Any]]]:
    for record in records(run):
        if record.type == "metadata":
            yield record, json.loads(record.payload)


def stat(run: CrawlRun, name: str) -> int:
    """A counter from the Scrapy stats dump at the end of the log (0 when absent)."""
    marker = f"'{name}': "
    lines = [line for line in run.log.splitlines() if line.strip().startswith(marker)]
    return int(lines[-1].split(marker, 1)[1].rstrip(",}")) if lines else 0


# --- the JS outlet, rendered ------------------------------------------------------------------------


def test_js_articles_come_out_exactly_as_catalogued(jsnews_crawl: CrawlRun) -> None:
    found = {a["source_url"]: a for a in jsnews_crawl.articles}
    assert sorted(found) == sorted(page.real_url for page in ARTICLES)
    for page in ARTICLES:
        article = found[page.real_url]
        assert article["title"] == page.title
        assert article["text"].split("\n\n") == list(page.paragraphs)
        assert article["authors"] == list(page.authors)
        assert article["published"] == page.published
        assert article["section"] == page.section
        assert article["language"] == page.language
        assert article["render"] == "browser"
        server_rendered = page.path == jsnews.ARCHIVED.path
        assert article["extractor"] == f"outlet:jsnews/{'v0' if server_rendered else 'v1'}"


def test_warc_holds_the_api_json_and_the_rendered_dom(jsnews_crawl: CrawlRun) -> None:
    by_id = {r.headers["WARC-Record-ID"]: r for r in records(jsnews_crawl)}
    found = {a["source_url"]: a for a in jsnews_crawl.articles}
    for story in jsnews.STORIES:
        article = found[f"https://{jsnews.DOMAIN}{story.path}"]
        # The article points at the page's own response record: the shell, as the server sent it.
        page = by_id[article["warc"]["record_id"]]
        assert page.type == "response" and page.url == article["url"]
        assert b'<div id="root"></div>' in page.payload and story.title.encode() not in page.payload
        # The JSON the page fetched, archived as a response record of its own.
        api = [r for r in by_id.values() if r.type == "response" and r.url.endswith(story.api_path)]
        assert len(api) == 1, story.api_path
        assert api[0].http["content-type"] == "application/json; charset=utf-8"
        assert json.loads(api[0].payload)["paragraphs"] == list(story.paragraphs)
        # The rendered DOM, a resource record of the same capture, holding the text.
        dom = by_id[article["rendered_dom"]["record_id"]]
        assert dom.type == "resource" and dom.url == f"urn:rendered-dom:{article['url']}"
        assert dom.headers["WARC-Concurrent-To"] == page.headers["WARC-Record-ID"]
        assert dom.headers["Content-Type"] == "text/html; charset=utf-8"
        assert all(p.encode() in dom.payload for p in story.paragraphs)
        shots = [r for r in by_id.values() if r.url == f"urn:screenshot:{article['url']}"]
        assert len(shots) == 1 and shots[0].type == "resource"
        assert shots[0].headers["Content-Type"] == "image/png" and shots[0].payload.startswith(b"\x89PNG\r\n\x1a\n")
        assert shots[0].headers["WARC-Concurrent-To"] == page.headers["WARC-Record-ID"]


def test_render_log_lists_what_the_page_loaded_and_what_was_blocked(jsnews_crawl: CrawlRun) -> None:
    logs = {r.url: m for r, m in metadata(jsnews_crawl) if r.url.startswith("urn:rendered-dom:")}
    story = jsnews.STORIES[0]
    log = logs[f"urn:rendered-dom:{to_replica(f'https://{jsnews.DOMAIN}{story.path}', _replica(jsnews_crawl))}"]
    loaded = {(entry["resource_type"], entry["url"].rsplit("/jsnews.example", 1)[1]) for entry in log["network"]}
    assert {("document", story.path), ("script", jsnews.APP_JS), ("fetch", story.api_path)} <= loaded
    assert log["network_idle"] is True and log["render"] == "browser"
    # Images are blocked by default: the masthead is listed, never fetched, never archived.
    assert [(b["resource_type"], b["reason"]) for b in log["blocked"]] == [("image", "type:image")]
    assert not [r for r in records(jsnews_crawl) if r.url.endswith(jsnews.LOGO)]


def _replica(run: CrawlRun) -> str:
    url = run.articles[0]["url"]
    return url.split(f"/{jsnews.DOMAIN}/", 1)[0]


def test_a_page_that_never_finishes_loading_is_a_recorded_failure(jsnews_crawl: CrawlRun) -> None:
    stalled = to_replica(f"https://{jsnews.DOMAIN}{jsnews.STALLED.path}", _replica(jsnews_crawl))
    report = jsnews_crawl.report("jsnews")
    assert report["finish_reason"] == "finished"
    failures = [f for f in report["download_failures"] if f["url"] == stalled]
    assert len(failures) == 1 and f"did not finish loading within {TIMEOUT}s" in failures[0]["error"]
    assert f"https://{jsnews.DOMAIN}{jsnews.STALLED.path}" not in {a["source_url"] for a in jsnews_crawl.articles}
    failed = [m for r, m in metadata(jsnews_crawl) if r.url == stalled and m.get("role") == "render-failure"]
    assert [m["render_failure"]["kind"] for m in failed] == ["timeout"]
    assert failed[0]["network_idle"] is False
    # What the page did load before it stalled is archived: the shell and its script.
    assert {e["resource_type"] for e in failed[0]["network"]} == {"document", "script"}


def test_a_crashed_browser_is_recorded_and_started_again(jsnews_crawl: CrawlRun) -> None:
    assert stat(jsnews_crawl, "newsarchive/render/browser_crashes") == 1
    assert stat(jsnews_crawl, "playwright/browser_count") == 2
    crashes = [f for f in jsnews_crawl.report("jsnews")["download_failures"] if "browser crashed" in f["error"]]
    assert len(crashes) == 1
    crash_records = [m for _, m in metadata(jsnews_crawl) if m.get("role") == "browser-crash"]
    assert crash_records and all(m["render_failure"]["kind"] == "browser-crash" for m in crash_records)


def test_only_pages_go_to_the_browser_robots_and_sitemaps_do_not(jsnews_crawl: CrawlRun) -> None:
    replica = _replica(jsnews_crawl)
    plain = {r.url: r for r in records(jsnews_crawl) if r.type == "request"}
    for url in (f"{replica}/robots.txt", to_replica(f"https://{jsnews.DOMAIN}/sitemap.xml", replica)):
        assert "sec-ch-ua" not in plain[url].http  # Scrapy's own request, not Chromium's
    assert not [r for r in records(jsnews_crawl) if r.url.startswith("urn:rendered-dom:") and "sitemap" in r.url]


def test_rendered_crawl_warc_files_pass_warcio_check(jsnews_crawl: CrawlRun) -> None:
    assert jsnews_crawl.warc_files
    for path in jsnews_crawl.warc_files:
        proc = subprocess.run([str(BIN / "warcio"), "check", "-v", str(path)], capture_output=True, text=True)
        assert proc.returncode == 0, proc.stdout + proc.stderr


# --- automatic detection -------------------------------------------------------------------------------


def test_auto_detection_sends_the_shells_and_only_them_to_the_browser(auto_crawl: CrawlRun) -> None:
    replica = _replica(auto_crawl)
    shells = {to_replica(f"https://{jsnews.DOMAIN}{path}", replica) for path in SHELL_PATHS}
    everything = records(auto_crawl)
    # Every shell was first fetched plain, found to be a shell, and said so next to its record.
    notes = {r.url: m for r, m in metadata(auto_crawl) if m.get("app_shell") and m["render"] == "http"}
    assert set(notes) == shells
    assert all("framework-root:#root" in m["app_shell"] and m["rendered_again"] == "browser" for m in notes.values())
    # Only the shells were rendered (the stalled one failed, so it has no DOM).
    rendered = {r.url.removeprefix("urn:rendered-dom:") for r in everything if r.url.startswith("urn:rendered-dom:")}
    stalled = to_replica(f"https://{jsnews.DOMAIN}{jsnews.STALLED.path}", replica)
    assert rendered == shells - {stalled}
    assert stat(auto_crawl, "newsarchive/render/requests") == len(shells)
    articles = {a["source_url"]: a["render"] for a in auto_crawl.articles}
    assert articles == {
        page.real_url: "http" if page.path == jsnews.ARCHIVED.path else "browser" for page in ARTICLES
    }


def test_an_outlet_without_shells_never_starts_a_browser(menafn_crawl: CrawlRun) -> None:
    assert menafn_crawl.articles and {a["render"] for a in menafn_crawl.articles} == {"http"}
    assert "Starting download handler" not in menafn_crawl.log  # the Playwright driver never started
    assert "playwright/" not in menafn_crawl.log and "newsarchive/render/" not in menafn_crawl.log
    everything = records(menafn_crawl)
    assert not [r for r in everything if r.type == "resource"]
    requests = [r for r in everything if r.type == "request"]
    assert requests and not [r for r in requests if "sec-ch-ua" in r.http]
    assert {m.get("render") for _, m in metadata(menafn_crawl)} <= {"http", None}


# --- the pieces -------------------------------------------------------------------------------------------


def test_app_shell_detection_on_every_replica_page(replica: str) -> None:
    """Served bytes of every HTML page of every outlet: the JS app's pages are shells, nothing else is."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    checked = 0
    for page in CATALOGUE:
        if page.kind in ("feed", "sitemap", "redirect") or page.status == 429:
            continue
        try:
            with opener.open(replica + page.replica_path, timeout=10) as response:
                body = response.read()
        except urllib.error.HTTPError as error:
            body = error.read()
        reasons = app_shell_reasons(body.decode(page.body_encoding, "replace"))
        expected = page.outlet == jsnews.DOMAIN and page.path in SHELL_PATHS
        assert bool(reasons) == expected, (page.outlet, page.path, reasons)
        checked += 1
    assert checked > 30


def test_app_shell_signals() -> None:
    assert app_shell_reasons('<html><body><div id="__next"></div><script src="/_next/main.js"></script></body></html>') == [
        "framework-root:#__next", "script-bundles:1", "visible-words:0",
    ]
    assert app_shell_reasons("<html><body><app-root></app-root></body></html>") == [
        "framework-root:app-root", "visible-words:0",
    ]
    # A short error page with an analytics snippet has text: not a shell.
    assert app_shell_reasons(
        '<html><body><h1>Page not found</h1><p>Sorry, we could not find that page. Try the home page.</p>'
        '<script src="https://www.googletagmanager.com/gtag/js"></script></body></html>'
    ) == []
    # A bot challenge asks for JavaScript too, but has no app to run: not a shell.
    assert app_shell_reasons(
        "<html><body><noscript>Please enable JavaScript and cookies to continue</noscript>"
        "<h1>Checking your browser before accessing the site</h1></body></html>"
    ) == []
    # A server-rendered app (the root holds the article) is not a shell.
    words = " ".join(["word"] * 200)
    assert app_shell_reasons(f'<html><body><div id="root"><p>{words}</p></div><script src="/a.js"></script></body></html>') == []


def test_block_policy() -> None:
    policy = BlockPolicy.from_settings(Settings())
    page = "www.outlet.example"
    assert policy.reason("document", "https://www.google-analytics.com/", page) is None
    assert policy.reason("image", "https://www.outlet.example/logo.png", page) == "type:image"
    assert policy.reason("font", "https://fonts.example/a.woff2", page) == "type:font"
    assert policy.reason("script", "https://www.googletagmanager.com/gtm.js", page) == "tracker:googletagmanager.com"
    assert policy.reason("xhr", "https://static.chartbeat.com/ping", page) == "tracker:chartbeat.com"
    assert policy.reason("script", "https://cdn.outlet.example/app.js", page) is None
    assert policy.reason("fetch", "https://api.outlet.example/a.json", page) is None
    custom = BlockPolicy.from_settings(
        Settings({"NEWSARCHIVE_RENDER_BLOCK_TYPES": ["media"], "NEWSARCHIVE_RENDER_BLOCK_HOSTS": ["ads.example"]})
    )
    assert custom.reason("image", "https://www.outlet.example/logo.png", page) is None
    assert custom.reason("script", "https://x.ads.example/t.js", page) == "tracker:ads.example"


def test_launch_options_use_debians_chromium() -> None:
    settings = Settings()
    settings.setmodule(project_settings)
    options = launch_options(settings)
    assert options["executable_path"] == (os.environ.get("CHROMIUM") or "/usr/bin/chromium")
    assert options["args"] == list(DEFAULT_CHROMIUM_ARGS) and options["headless"] is True
    settings.set("PLAYWRIGHT_CHROMIUM_PATH", "/opt/chromium/chrome")
    settings.set("PLAYWRIGHT_LAUNCH_OPTIONS", {"slow_mo": 5})
    options = launch_options(settings)
    assert options["executable_path"] == "/opt/chromium/chrome" and options["slow_mo"] == 5
    assert Path(project_settings.PLAYWRIGHT_CHROMIUM_PATH).exists(), "the Makefile installs Debian's chromium"


def test_stored_headers_describe_the_decoded_body() -> None:
    body = b"x" * 10
    assert stored_headers([("Content-Type", "text/html"), ("Content-Length", "10")], body) == [
        ("Content-Type", "text/html"), ("Content-Length", "10"),
    ]
    assert stored_headers([("Content-Encoding", "gzip"), ("Content-Length", "4")], body) == [
        ("X-Archive-Orig-Content-Encoding", "gzip"), ("X-Archive-Orig-Content-Length", "4"), ("Content-Length", "10"),
    ]


def test_writer_resource_record(tmp_path: Path) -> None:
    with WarcWriter(tmp_path, warcinfo={"operator": "test"}) as writer:
        page = writer.write_exchange(
            url="http://example.com/", method="GET", request_headers=[], request_body=b"", protocol="HTTP/1.1",
            status=200, reason="", response_headers=[("Content-Type", "text/html")], body=b"<html></html>",
            ip_address=None, date=None,
        )
        dom = writer.write_resource(
            "urn:rendered-dom:http://example.com/", "text/html; charset=utf-8", b"<html><p>hi</p></html>",
            concurrent_to=page,
        )
    [path] = writer.files
    record, _ = read_record_at(path, dom.offset)
    assert record.rec_type == "resource"
    assert record.rec_headers.get_header("WARC-Concurrent-To") == page.record_id
    assert record.rec_headers.get_header("WARC-Target-URI") == "urn:rendered-dom:http://example.com/"
    assert record.rec_headers.get_header("WARC-Payload-Digest") == record.rec_headers.get_header("WARC-Block-Digest")
    assert read_response_at(path, page.offset).body == b"<html></html>"
    proc = subprocess.run([str(BIN / "warcio"), "check", "-v", str(path)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
