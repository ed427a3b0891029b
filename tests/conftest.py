"""Shared fixtures: the replica on a free port, and real crawls of it in subprocesses."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from crawler.replica import ReplicaServer

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SHARED_DATA = ROOT.parent / "shared" / "data"

#: Tests that read the publishers' saved pages in ../shared/data, which are never committed. In a
#: user's clone the folder is absent and these tests skip; CI (.ci/run) requires the folder.
needs_shared_data = pytest.mark.skipif(
    not SHARED_DATA.is_dir(), reason="../shared/data (publishers' saved pages, not in the repository) is absent"
)


@pytest.fixture(scope="session")
def replica() -> Iterator[str]:
    with ReplicaServer(port=0) as server:
        yield server.base_url


@dataclass
class CrawlRun:
    output: Path
    returncode: int
    log: str
    #: Base URL of the replica this crawl fetched from.
    replica: str = ""

    @property
    def articles(self) -> list[dict]:
        path = self.output / "articles.jsonl"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]

    def report(self, spider: str) -> dict:
        return json.loads((self.output / "reports" / f"{spider}.json").read_text(encoding="utf-8"))

    @property
    def warc_files(self) -> list[Path]:
        return sorted((self.output / "warc").glob("*.warc.gz"))


def run_scrapy_crawl(spider: str, replica_url: str, output: Path, *extra: str) -> CrawlRun:
    """`scrapy crawl SPIDER` exactly as a user runs it, against the replica, in the repo root."""
    env = dict(os.environ, NEWSARCHIVE_REPLICA=replica_url, PYTHONUNBUFFERED="1")
    proc = subprocess.run(
        [str(BIN / "scrapy"), "crawl", spider, "-s", f"NEWSARCHIVE_OUTPUT={output}", "-s", "LOG_LEVEL=INFO", *extra],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )
    return CrawlRun(output=output, returncode=proc.returncode, log=proc.stdout + proc.stderr, replica=replica_url)


@pytest.fixture(scope="session")
def menafn_crawl(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CrawlRun]:
    """One MENAFN crawl on a replica of its own: the replica's rate limit and other per-instance
    state then meet this crawl first, whatever other tests did before."""
    output = tmp_path_factory.mktemp("menafn-crawl")
    with ReplicaServer(port=0) as server:
        # A Scrapy feed export alongside newsarchive's own outputs: articles are ordinary items.
        run = run_scrapy_crawl("menafn", server.base_url, output, "-O", str(output / "feed.csv"))
        assert run.returncode == 0, run.log[-5000:]
        yield run


@pytest.fixture(scope="session")
def caliber_crawl(replica: str, tmp_path_factory: pytest.TempPathFactory) -> CrawlRun:
    run = run_scrapy_crawl("caliber", replica, tmp_path_factory.mktemp("caliber-crawl"))
    assert run.returncode == 0, run.log[-5000:]
    return run


@pytest.fixture(scope="session")
def haberportali_crawl(replica: str, tmp_path_factory: pytest.TempPathFactory) -> CrawlRun:
    run = run_scrapy_crawl("haberportali", replica, tmp_path_factory.mktemp("haberportali-crawl"))
    assert run.returncode == 0, run.log[-5000:]
    return run
