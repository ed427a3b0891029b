"""The shared frontier on Redis (crawler/redis_frontier.py): real workers, a real redis-server, the replica.

Workers are separate Scrapy processes (``scrapy crawl`` and ``newsarchive run``), as on separate machines;
the Redis server is Debian's ``redis-server`` on a free loopback port with its own data folder (``make
test`` installs it; without it these tests fail, they do not skip). Each test uses its own key prefix
and its own replica, so nothing it leaves in Redis or on the server meets another test.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from archive.check import check_files
from crawler.replica import ReplicaServer
from crawler.replica.catalogue import pages_for
from crawler.replica.sites import menafn

from .conftest import BIN, ROOT, run_scrapy_crawl

REDIS_SERVER = "/usr/bin/redis-server"
MENAFN_ARTICLES = {p.real_url for p in pages_for(menafn.DOMAIN) if p.expected_verdict == "article" and p.listed}
#: Short leases for the tests: a killed worker's requests are reclaimed after 3 s of silence.
FAST = ("-s", "REDIS_HEARTBEAT=0.5", "-s", "REDIS_LEASE_TIMEOUT=3")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real redis-server on 127.0.0.1, a free port, its own data folder; stopped after the session."""
    if not os.access(REDIS_SERVER, os.X_OK):
        pytest.fail(f"{REDIS_SERVER} is missing: install Debian's redis-server (make test does: make system-deps)")
    import redis

    data = tmp_path_factory.mktemp("redis-data")
    port = _free_port()
    proc = subprocess.Popen(
        [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(data), "--save", "",
         "--appendonly", "no", "--protected-mode", "yes"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    deadline = time.monotonic() + 20
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                out = proc.stdout.read() if proc.stdout else ""
                pytest.fail(f"redis-server did not start on port {port}: {out[-2000:]}")
            time.sleep(0.05)
    try:
        yield url
    finally:
        client.close()
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def worker(spider: str, replica: str, output: Path, redis_url: str, prefix: str, worker_id: str,
           *extra: str) -> subprocess.Popen[str]:
    """One worker: ``scrapy crawl`` with the shared frontier, in its own process."""
    env = dict(os.environ, NEWSARCHIVE_REPLICA=replica, PYTHONUNBUFFERED="1")
    env.pop("NEWSARCHIVE_OUTPUT", None)
    log = output.parent / f"{output.name}-{worker_id}.log"
    return subprocess.Popen(
        [str(BIN / "scrapy"), "crawl", spider, "-s", f"NEWSARCHIVE_OUTPUT={output}", "-s", f"REDIS_URL={redis_url}",
         "-s", f"REDIS_KEY_PREFIX={prefix}", "-s", f"NEWSARCHIVE_WORKER_ID={worker_id}", "-s", "LOG_LEVEL=INFO",
         "-s", f"LOG_FILE={log}", *FAST, *extra],
        cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True,
    )


def articles_of(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def worker_articles(output: Path) -> dict[str, list[dict]]:
    return {p.parent.name: articles_of(p) for p in sorted(output.glob("workers/*/articles.jsonl"))}


def merge(output: Path) -> str:
    proc = subprocess.run([str(BIN / "newsarchive"), "archive", "merge-index", str(output)], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def check_merged_collection(output: Path, expected: set[str]) -> None:
    """merge-index's outputs: one sorted CDXJ index naming existing files, one articles file without duplicates."""
    indexes = sorted((output / "indexes").glob("*.cdxj"))
    assert [p.name for p in indexes] == ["all.cdxj"]
    lines = indexes[0].read_text(encoding="utf-8").splitlines()
    assert lines and lines == sorted(lines) and len(lines) == len(set(lines))
    for line in lines:
        record = json.loads(line.split(" ", 2)[2])
        assert (output / "warc" / record["filename"]).is_file(), record
    warcs = sorted((output / "warc").glob("*.warc.gz"))
    assert {json.loads(line.split(" ", 2)[2])["filename"] for line in lines} == {p.name for p in warcs}
    for path in warcs:
        proc = subprocess.run([str(BIN / "warcio"), "check", "-v", str(path)], capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, proc.stdout + proc.stderr
    report = check_files(warcs)
    assert report.ok, report.problems
    merged = articles_of(output / "articles.jsonl")
    urls = [a["source_url"] for a in merged]
    assert len(urls) == len(set(urls)), "an article twice in the merged articles.jsonl"
    assert set(urls) == expected
    for article in merged:
        assert (output / "warc" / article["warc"]["file"]).is_file(), article["warc"]


def test_two_workers_crawl_what_one_process_crawls(redis_url: str, tmp_path: Path) -> None:
    with ReplicaServer(port=0) as alone:
        single = run_scrapy_crawl("menafn", alone.base_url, tmp_path / "single")
    assert single.returncode == 0, single.log[-3000:]
    expected = {a["source_url"] for a in single.articles}
    assert expected == MENAFN_ARTICLES

    output = tmp_path / "shared"
    with ReplicaServer(port=0) as server:
        # Two requests in flight per worker: neither takes the whole (small) frontier for itself.
        procs = [worker("menafn", server.base_url, output, redis_url, "two", w, "-s", "CONCURRENT_REQUESTS=2")
                 for w in ("w1", "w2")]
        for proc in procs:
            assert proc.wait(timeout=120) == 0
    by_worker = worker_articles(output)
    assert set(by_worker) == {"w1", "w2"}
    union = [a["source_url"] for articles in by_worker.values() for a in articles]
    assert len(union) == len(set(union)), "two workers wrote the same article"
    assert set(union) == expected
    assert not (output / "articles.jsonl").exists()
    names = [p.name for p in (output / "warc").glob("*.warc.gz")]
    assert names and all(n.startswith(("newsarchive-w1-", "newsarchive-w2-")) for n in names), names
    assert any(n.startswith("newsarchive-w1-") for n in names) and any(n.startswith("newsarchive-w2-") for n in names)
    # The generation ended with the last worker: nothing of its frontier is left in Redis.
    import redis

    client = redis.Redis.from_url(redis_url, decode_responses=True)
    assert not [k for k in client.keys("two:menafn:*")], client.keys("two:*")
    assert client.hlen("two:dedup:payloads") > 0  # the shared payload index (revisits across workers)

    summary = merge(output)
    assert "duplicates dropped" in summary
    check_merged_collection(output, expected)
    assert merge(output)  # merging again changes nothing
    check_merged_collection(output, expected)


def test_killed_worker_loses_nothing_and_duplicates_nothing(redis_url: str, tmp_path: Path) -> None:
    output = tmp_path / "killed"
    # Politeness delays kept (0.3 s a request, per worker) so the crawl lasts long enough to kill one halfway.
    slow = ("-s", "REPLICA_RELAX_POLITENESS=False", "-s", "DOWNLOAD_DELAY=0.3", "-s", "AUTOTHROTTLE_ENABLED=False",
            "-s", "CONCURRENT_REQUESTS=2")
    with ReplicaServer(port=0) as server:
        victim = worker("menafn", server.base_url, output, redis_url, "kill", "victim", *slow)
        survivor = worker("menafn", server.base_url, output, redis_url, "kill", "survivor", *slow)
        victim_articles = output / "workers" / "victim" / "articles.jsonl"
        deadline = time.monotonic() + 60
        while len(articles_of(victim_articles)) < 2:
            assert victim.poll() is None, "the victim finished before it could be killed"
            assert time.monotonic() < deadline, "the victim wrote no article in 60 s"
            time.sleep(0.05)
        victim.send_signal(signal.SIGKILL)
        assert victim.wait(timeout=10) == -signal.SIGKILL
        assert survivor.wait(timeout=120) == 0
    log = (tmp_path / "killed-survivor.log").read_text(encoding="utf-8")
    assert "silent workers dropped" in log, "the survivor did not reclaim the victim's requests"
    by_worker = worker_articles(output)
    union = [a["source_url"] for articles in by_worker.values() for a in articles]
    assert len(union) == len(set(union)), "an article was written by both workers"
    assert set(union) == MENAFN_ARTICLES, MENAFN_ARTICLES - set(union)

    # The victim's WARC file is still .open: repaired as after any kill, then the collection is merged.
    opened = sorted((output / "warc").glob("newsarchive-victim-*.open"))
    assert opened
    proc = subprocess.run([str(BIN / "newsarchive"), "archive", "repair", *map(str, opened)], capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    merge(output)
    check_merged_collection(output, MENAFN_ARTICLES)


def run_worker(output: Path, replica: str, redis_url: str, prefix: str, worker_id: str) -> subprocess.Popen[str]:
    env = dict(os.environ, NEWSARCHIVE_REPLICA=replica)
    env.pop("NEWSARCHIVE_OUTPUT", None)
    return subprocess.Popen(
        [str(BIN / "newsarchive"), "run", "--output", str(output), "--outlet", "menafn", "--redis", redis_url,
         "--worker", worker_id, "-s", f"REDIS_KEY_PREFIX={prefix}", "-s", "CONCURRENT_REQUESTS=2", *FAST],
        cwd=output.parent, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )


def test_newsarchive_run_workers_share_the_incremental_state(redis_url: str, tmp_path: Path) -> None:
    output = tmp_path / "collection"
    output.mkdir()
    with ReplicaServer(port=0) as server:
        procs = [run_worker(output, server.base_url, redis_url, "runs", w) for w in ("a", "b")]
        outs = [p.communicate(timeout=120)[0] for p in procs]
        assert [p.returncode for p in procs] == [0, 0], outs
        first = {w: articles_of(output / "workers" / w / "articles.jsonl") for w in ("a", "b")}
        union = [a["source_url"] for arts in first.values() for a in arts]
        assert len(union) == len(set(union)) and set(union) == MENAFN_ARTICLES
        # Each worker has its own lock; the run state is in Redis, not in state.sqlite.
        assert (output / "workers" / "a" / "run.lock").exists() and not (output / "state.sqlite").exists()

        # The next run (one worker, the other machine's articles included) fetches no archived article again.
        again = run_worker(output, server.base_url, redis_url, "runs", "b")
        out = again.communicate(timeout=120)[0]
        assert again.returncode == 0, out
    report = json.loads((output / "runs" / "latest.json").read_text(encoding="utf-8"))
    menafn_report = report["outlets"]["menafn"]
    assert menafn_report["new_articles"] == 0
    assert menafn_report["not_due"] >= len(MENAFN_ARTICLES)  # and the settled soft 404s, gone pages...
    assert set(menafn_report["due"]) <= {"retry"}  # only what failed (500, bot challenge) is asked again
    assert len(articles_of(output / "workers" / "b" / "articles.jsonl")) == len(first["b"])
    merge(output)
    check_merged_collection(output, MENAFN_ARTICLES)
