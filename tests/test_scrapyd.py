"""Scrapyd, the Scrapy world's job service: the project deployed as an egg to a real ``scrapyd`` on 127.0.0.1
(its own port and folder), an outlet crawl scheduled through its HTTP API against the replica, and the
outputs a ``scrapy crawl`` writes.

The egg is built by ``scrapyd-deploy`` (scrapyd-client) from the project's own ``scrapy.cfg`` ``[deploy]``
target, ``setup.py`` and ``pyproject.toml``, in a copy of the project (building leaves ``build/`` and
``*.egg-info`` behind, which the work tree must not collect). Scrapyd imports the project from the zipped
egg, so the test also proves the package data (verdict phrases, profiles, the block model) is read from it:
the profile spider ``dailynews`` exists only if the bundled profiles were read from the egg.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from scrapy.settings import Settings
from scrapy.spiderloader import get_spider_loader

from archive.check import check_files
from crawler.replica import ReplicaServer
from crawler.replica.catalogue import pages_for

from .conftest import BIN, ROOT, CrawlRun

PROJECT_FILES = ("crawler", "spiders", "archive", "pyproject.toml", "README.md", "scrapy.cfg", "setup.py")
MENAFN_ARTICLES = {p.real_url for p in pages_for("menafn.com") if p.expected_verdict == "article" and p.listed}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _api(base: str, endpoint: str, data: list[tuple[str, str]] | None = None) -> dict:
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    with urllib.request.urlopen(f"{base}/{endpoint}", data=body, timeout=30) as answer:
        return json.loads(answer.read())


@pytest.fixture(scope="module")
def scrapyd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A Scrapyd of our own: free port, its own folder for eggs, logs and job database."""
    home = tmp_path_factory.mktemp("scrapyd")
    port = _free_port()
    (home / "scrapyd.conf").write_text(
        f"[scrapyd]\nbind_address = 127.0.0.1\nhttp_port = {port}\neggs_dir = {home}/eggs\n"
        f"logs_dir = {home}/logs\ndbs_dir = {home}/dbs\nitems_dir =\nmax_proc = 1\npoll_interval = 0.2\n"
    )
    log = (home / "scrapyd.out").open("w")
    proc = subprocess.Popen([str(BIN / "scrapyd")], cwd=home, stdout=log, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert proc.poll() is None, (home / "scrapyd.out").read_text()
            try:
                if _api(base, "daemonstatus.json")["status"] == "ok":
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "scrapyd did not start"
            time.sleep(0.1)
        yield base, home
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        log.close()


def test_outlet_crawl_scheduled_through_scrapyd(scrapyd: tuple[str, Path], tmp_path: Path,
                                                menafn_crawl: CrawlRun) -> None:
    base, home = scrapyd
    project = tmp_path / "project"
    project.mkdir()
    for name in PROJECT_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, project / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, project / name)
    # The project's own [deploy] target, with the URL of this test's Scrapyd laid over it from the user's
    # configuration (scrapyd-deploy reads ~/.config/scrapy.cfg before the project's scrapy.cfg).
    config = tmp_path / "config"
    config.mkdir()
    (config / "scrapy.cfg").write_text(f"[deploy:here]\nurl = {base}/\n")
    deploy = subprocess.run(
        [str(BIN / "scrapyd-deploy"), "here", "--version", "r1"], cwd=project,
        env=dict(os.environ, XDG_CONFIG_HOME=str(config)), capture_output=True, text=True, timeout=180,
    )
    assert deploy.returncode == 0, deploy.stdout + deploy.stderr
    answer = json.loads(deploy.stdout)
    assert answer["status"] == "ok" and answer["project"] == "newsarchive" and answer["version"] == "r1"
    spiders = _api(base, "listspiders.json?project=newsarchive")["spiders"]
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    expected = get_spider_loader(settings).list()  # what `scrapy list` prints in the work tree
    assert sorted(spiders) == sorted(expected), "the egg holds every spider, profile spiders too"
    assert sorted(list(home.joinpath("eggs", "newsarchive").iterdir()))[0].name.startswith("r1")

    output = tmp_path / "output"
    with ReplicaServer(port=0) as replica:
        job = _api(base, "schedule.json", [
            ("project", "newsarchive"), ("spider", "menafn"),
            ("setting", f"NEWSARCHIVE_OUTPUT={output}"), ("setting", f"REPLICA={replica.base_url}"),
        ])
        assert job["status"] == "ok"
        deadline = time.monotonic() + 180
        while True:
            jobs = _api(base, "listjobs.json?project=newsarchive")
            finished = [j for j in jobs["finished"] if j["id"] == job["jobid"]]
            if finished:
                break
            assert time.monotonic() < deadline, jobs
            time.sleep(0.3)
    log = (home / "logs" / "newsarchive" / "menafn" / f"{job['jobid']}.log").read_text()
    assert "'finish_reason': 'finished'" in log and "Traceback" not in log and "Outlet profile skipped" not in log

    # The outputs of `scrapy crawl menafn` (conftest's menafn_crawl), written by the Scrapyd job.
    lines = [json.loads(line) for line in (output / "articles.jsonl").read_text(encoding="utf-8").splitlines()]
    assert {a["source_url"] for a in lines} == MENAFN_ARTICLES
    expected = {a["source_url"]: a for a in menafn_crawl.articles}
    for article in lines:
        reference = expected[article["source_url"]]
        for field in ("title", "text", "authors", "published", "language", "encoding", "extractor", "verdict"):
            assert article[field] == reference[field], (article["source_url"], field)
        assert (output / article["text_file"]).read_text(encoding="utf-8").endswith(article["text"] + "\n")
    report = json.loads((output / "reports" / "menafn.json").read_text(encoding="utf-8"))
    assert report["finish_reason"] == "finished" and report["articles_written"] == len(MENAFN_ARTICLES)
    warcs = sorted((output / "warc").glob("*.warc.gz"))
    assert warcs and not list((output / "warc").glob("*.open"))
    check = check_files(warcs, graph=True)
    assert check.ok, check.problems
    assert list((output / "indexes").glob("*-menafn.cdxj")) and (output / "indexes" / "digests.sqlite").exists()
