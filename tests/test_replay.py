"""Replay in a real browser: ``newsarchive replay`` (pywb, in its own process) rendered by headless Chromium.

The crawl's replica is stealth-edited after the crawl and kept running, so the live page and the
archived one differ: the browser must show the archived text (pywb serves the WARC, never the live
site).  A screenshot of the rendered replay is kept in ``test-artifacts/`` (gitignored).
"""

from __future__ import annotations

import socket
import subprocess
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect, sync_playwright

from crawler.replica import ReplicaServer
from crawler.replica.sites import dailynews

from .conftest import BIN, ROOT, run_scrapy_crawl

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--disable-quic", "--no-first-run",
]
ARTIFACTS = ROOT / "test-artifacts"
STORY = dailynews.STORIES[0]


@pytest.fixture(scope="module")
def archived(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A crawl of the replica, whose first story is then edited on the (still running) server."""
    output = tmp_path_factory.mktemp("replay-crawl")
    with ReplicaServer(port=0) as server:
        run = run_scrapy_crawl("dailynews", server.base_url, output)
        assert run.returncode == 0, run.log[-5000:]
        with urllib.request.urlopen(server.base_url + f"/{dailynews.DOMAIN}{dailynews.STEALTH_EDIT_PATH}") as reply:
            assert reply.status == 200
        live = urllib.request.urlopen(server.base_url + f"/{dailynews.DOMAIN}{STORY.path}").read().decode()
        assert dailynews.STEALTH_EDIT[1] in live and STORY.paragraphs[4] not in live
        yield output


def test_archived_article_replays_in_chromium(archived: Path) -> None:
    proc = subprocess.Popen(
        [str(BIN / "newsarchive"), "replay", str(archived), "--port", "0"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )
    announced: list[str] = []
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            announced.append(line)
            if line.startswith("press Ctrl-C"):
                break
        assert announced and announced[-1].startswith("press Ctrl-C"), "".join(announced)
        [url] = [line.split()[0] for line in announced if STORY.path in line]
        port = urlsplit(url).port
        assert urlsplit(url).hostname == "127.0.0.1"

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                page.goto(url, wait_until="load", timeout=60_000)
                frame = page.frame_locator("#replay_iframe")  # pywb's framed replay
                expect(frame.locator("h1")).to_have_text(STORY.title, timeout=30_000)
                paragraphs = frame.locator("article .story-body > p")
                expect(paragraphs.first).to_have_text(STORY.paragraphs[0])
                # The archived story, not the live one (edited since the crawl).
                expect(paragraphs.last).to_have_text(STORY.paragraphs[4])
                expect(frame.locator("body")).not_to_contain_text(dailynews.STEALTH_EDIT[1])
                page.wait_for_function(f"document.title.includes({STORY.title!r})", timeout=30_000)
                ARTIFACTS.mkdir(exist_ok=True)
                shot = ARTIFACTS / "replay-dailynews-article.png"
                page.screenshot(path=str(shot), full_page=True)
                assert shot.stat().st_size > 10_000
            finally:
                browser.close()
    finally:
        proc.terminate()  # SIGTERM to newsarchive, which stops pywb's process group
        code = proc.wait(timeout=30)
        if proc.stdout is not None:
            proc.stdout.close()
    assert code == 0
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=2):
        pass  # pywb is gone with it


def test_replay_without_warc_files_says_so(tmp_path: Path) -> None:
    proc = subprocess.run([str(BIN / "newsarchive"), "replay", str(tmp_path), "--port", "0"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1 and "no closed WARC files" in proc.stdout
