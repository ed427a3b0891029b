"""``newsarchive run``, the cron job: real runs of the command against replicas of our own over loopback.

Each test starts its own ReplicaServer, so what it changes on the server (publishing a story, a stealth
edit, the rate limiter's first visit) is its own. Runs are the installed ``newsarchive`` command in a
subprocess, as cron starts it: stdout is not a terminal (except in the progress test, which gives it a
pseudo-terminal), and the lock, the SIGKILL and the stale lock are real processes.
"""

from __future__ import annotations

import json
import os
import pty
import re
import select
import shlex
import signal
import socket
import sqlite3
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from archive.cdxj import merge_indexes
from archive.check import check_files
from archive.reader import iter_records, read_response_at
from archive.writer import PROFILE_NOT_MODIFIED
from crawler import cli
from crawler.replica import ReplicaServer
from crawler.replica.catalogue import pages_for
from crawler.replica.sites import dailynews, menafn
from crawler.run import EXIT_CONFIG, EXIT_LOCKED, EXIT_OK, EXIT_OUTLETS_FAILED, LOG_DIR, LOG_NAME
from crawler.urls import outlet_url
from spiders.menafn import MenafnSpider

from .conftest import BIN, ROOT

NEWSARCHIVE = str(BIN / "newsarchive")
MENAFN_ARTICLES = {p.real_url for p in pages_for(menafn.DOMAIN) if p.expected_verdict == "article" and p.listed}
DAILY_ARTICLES = {p.real_url for p in pages_for(dailynews.DOMAIN) if p.expected_verdict == "article" and p.listed}
LATE_URL = menafn.LATE_PAGE.real_url
#: MENAFN article URLs that fail on purpose (500, bot challenge): a run retries them in the next runs.
RETRIED = {f"https://{menafn.DOMAIN}{menafn.SERVER_ERROR}", f"https://{menafn.DOMAIN}{menafn.BLOCKED}"}
DEPLOY = ROOT / "deploy"


def run(output: Path, replica: str, *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    """``newsarchive run`` as cron runs it: no terminal, the replica switch in the environment."""
    env = dict(os.environ, NEWSARCHIVE_REPLICA=replica)
    env.pop("NEWSARCHIVE_OUTPUT", None)
    return subprocess.run(
        [NEWSARCHIVE, "run", "--output", str(output), *args], env=env, cwd=output.parent,
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout,
    )


def spawn(output: Path, replica: str, *args: str) -> subprocess.Popen[str]:
    env = dict(os.environ, NEWSARCHIVE_REPLICA=replica)
    return subprocess.Popen(
        [NEWSARCHIVE, "run", "--output", str(output), *args], env=env, cwd=output.parent,
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def latest_report(output: Path) -> dict:
    return json.loads((output / "runs" / "latest.json").read_text(encoding="utf-8"))


def articles(output: Path) -> list[dict]:
    path = output / "articles.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


def warc_files(output: Path) -> set[Path]:
    return set((output / "warc").glob("*.warc.gz"))


def captures(files: set[Path]) -> list[tuple[str, str, str | None]]:
    """(record type, target URI, revisit profile) of every response and revisit in ``files``."""
    found = []
    for path in sorted(files):
        for _, record in iter_records(path):
            if record.rec_type in ("response", "revisit"):
                headers = record.rec_headers
                found.append((record.rec_type, headers.get_header("WARC-Target-URI"), headers.get_header("WARC-Profile")))
    return found


def publish_late_story(replica: str) -> None:
    with urllib.request.urlopen(f"{replica}/{menafn.DOMAIN}{menafn.PUBLISH_PATH}", timeout=10) as answer:
        assert answer.status == 200


@pytest.fixture
def replica() -> Iterator[str]:
    with ReplicaServer(port=0) as server:
        yield server.base_url


def assert_quiet(proc: subprocess.CompletedProcess[str]) -> None:
    """All well: exit 0 and not a byte on stdout or stderr (cron mails any output)."""
    assert proc.returncode == EXIT_OK, proc.stdout + proc.stderr
    assert proc.stdout == "" and proc.stderr == "", proc.stdout + proc.stderr


# ------------------------------------------------------------------------------ incremental runs


def test_second_run_fetches_only_discovery_pages_retries_and_the_new_article(replica: str, tmp_path: Path) -> None:
    output = tmp_path / "collection"
    first = run(output, replica, "--outlet", "menafn")
    assert_quiet(first)
    first_articles = articles(output)
    assert {a["source_url"] for a in first_articles} == MENAFN_ARTICLES
    first_files = warc_files(output)
    report = latest_report(output)
    menafn_report = report["outlets"]["menafn"]
    assert report["status"] == "ok" and report["exit_code"] == 0 and not report["problems"]
    assert set(menafn_report["new"]) == MENAFN_ARTICLES and menafn_report["new_articles"] == len(MENAFN_ARTICLES)
    assert menafn_report["verdicts"]["article"] == len(MENAFN_ARTICLES)
    assert {e["url"] for e in menafn_report["errors"]["retry_later"]} == RETRIED
    assert menafn_report["warc"]["bytes"] > 0 and menafn_report["duration_s"] > 0
    # Settled article URLs: the articles, and the soft 404s, gone pages and redirects among the feeds' links.
    settled = {url for (url,) in sqlite3.connect(output / "state.sqlite").execute(
        "SELECT url FROM urls WHERE kind = 'article' AND done_at IS NOT NULL")}
    assert settled > MENAFN_ARTICLES and not settled & RETRIED

    publish_late_story(replica)
    second = run(output, replica, "--outlet", "menafn")
    assert_quiet(second)
    fetched = {outlet_url(uri) for _, uri, _ in captures(warc_files(output) - first_files)}
    assert LATE_URL in fetched
    assert not fetched & MENAFN_ARTICLES, "an article archived by the first run was fetched again"
    probes = {MenafnSpider.probe_url(url) for url in (LATE_URL, *RETRIED)}
    for url in fetched:
        discovery = url.endswith("/robots.txt") or MenafnSpider.url_kind(url) != "article"
        assert discovery or url == LATE_URL or url in RETRIED or url in probes, f"second run fetched {url}"
    # Every discovery page of the first run was fetched again.
    first_discovery = {outlet_url(u) for _, u, _ in captures(first_files) if MenafnSpider.url_kind(outlet_url(u)) != "article"}
    assert first_discovery <= fetched

    report = latest_report(output)
    menafn_report = report["outlets"]["menafn"]
    assert menafn_report["new"] == [LATE_URL] and menafn_report["changed_articles"] == 0
    assert menafn_report["due"] == {"new": 1, "retry": 2}
    assert menafn_report["not_due"] == len(settled)
    added = articles(output)[len(first_articles):]
    assert [a["source_url"] for a in added] == [LATE_URL]
    assert added[0]["title"] == menafn.LATE_PAGE.title
    assert added[0]["text"].split("\n\n") == list(menafn.LATE_PAGE.paragraphs)

    # The report, as JSON and as text, in the dated layout; the log names the run.
    run_dir = output / "runs" / report["started"][:4] / report["started"][5:7] / report["started"][8:10] / report["run_id"]
    assert json.loads((run_dir / "report.json").read_text()) == report
    text = (run_dir / "report.txt").read_text()
    assert report["run_id"] in text and "menafn" in text and "retry next run" in text
    assert report["run_id"] in (output / LOG_DIR / LOG_NAME).read_text()
    # The state store: WAL mode, the new article done, the failures counted.
    db = sqlite3.connect(output / "state.sqlite")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    outcome, attempts, versions = db.execute(
        "SELECT outcome, attempts, versions FROM urls WHERE url = ?", (LATE_URL,)).fetchone()
    assert (outcome, attempts, versions) == ("article", 0, 1)
    assert {row[0] for row in db.execute("SELECT attempts FROM urls WHERE url IN (?, ?)", tuple(RETRIED))} == {2}
    assert [row[0] for row in db.execute("SELECT status FROM runs ORDER BY started")] == ["ok", "ok"]
    assert not (output / "run.lock").read_text(), "a finished run leaves the lock file empty"


def test_changed_article_is_archived_again_and_flagged(replica: str, tmp_path: Path) -> None:
    output = tmp_path / "collection"
    assert_quiet(run(output, replica, "--outlet", "dailynews"))
    first_count = len(articles(output))
    assert {a["source_url"] for a in articles(output)} == DAILY_ARTICLES
    first_files = warc_files(output)
    with urllib.request.urlopen(f"{replica}/{dailynews.DOMAIN}{dailynews.STEALTH_EDIT_PATH}", timeout=10):
        pass
    edited = f"https://{dailynews.DOMAIN}{dailynews.STORIES[0].path}"

    assert_quiet(run(output, replica, "--outlet", "dailynews", "--recheck-after", "0"))
    report = latest_report(output)["outlets"]["dailynews"]
    assert report["changed_articles"] == 1 and [c["url"] for c in report["changed"]] == [edited], report
    assert report["unchanged_articles"] == len(DAILY_ARTICLES) - 1 and report["new_articles"] == 0, report
    assert report["due"] == {"recheck": len(DAILY_ARTICLES)}, report
    # In the archive: the edited story in full, the others as server-not-modified revisits.
    second = {outlet_url(uri): (kind, profile) for kind, uri, profile in captures(warc_files(output) - first_files)}
    assert second[edited] == ("response", None)
    for url in DAILY_ARTICLES - {edited}:
        assert second[url] == ("revisit", PROFILE_NOT_MODIFIED), url
    assert report["warc"]["not_modified"] >= len(DAILY_ARTICLES) - 1
    # Only the changed article is written again, with its new text.
    added = articles(output)[first_count:]
    assert [a["source_url"] for a in added] == [edited]
    assert dailynews.STEALTH_EDIT[1] in added[0]["text"].split("\n\n")
    assert dailynews.STEALTH_EDIT[1] in (output / added[0]["text_file"]).read_text(encoding="utf-8")
    assert f"changed: {edited}" in (output / "runs" / "latest.txt").read_text()
    row = sqlite3.connect(output / "state.sqlite").execute(
        "SELECT versions, changed_at IS NOT NULL FROM urls WHERE url = ?", (edited,)).fetchone()
    assert row == (2, 1)

    # What a kill between writing an article's line and recording it leaves behind, made by hand: the run
    # still "running", the line there but not its state row, and half of a next line.
    second_run = latest_report(output)["run_id"]
    db = sqlite3.connect(output / "state.sqlite")
    with db:
        db.execute("DELETE FROM urls WHERE url = ?", (edited,))
        db.execute("UPDATE runs SET status = 'running' WHERE run_id = ?", (second_run,))
    db.close()
    half = '{"url": "https://dailynews.example/2025/06/'
    with (output / "articles.jsonl").open("a", encoding="utf-8") as fh:
        fh.write(half)
    # The next run repairs that (saying so), and with the default recheck age (7 days) nothing archived is
    # due: no article is requested at all, the adopted one included.
    third = run(output, replica, "--outlet", "dailynews")
    assert third.returncode == EXIT_OK and f"interrupted runs recovered: {second_run}" in third.stdout, third.stdout
    report = latest_report(output)
    recovery = report["recovery"]
    assert recovery["interrupted_runs"] == [second_run] and recovery["adopted_articles"] == 1, (recovery, third.stdout)
    assert recovery["articles_trimmed_bytes"] == len(half)
    outlet = report["outlets"]["dailynews"]
    assert outlet["articles_fetched"] == 0 and outlet["not_due"] == len(DAILY_ARTICLES) and outlet["due"] == {}, outlet
    assert len(articles(output)) == first_count + 1
    assert (output / "articles.jsonl").read_bytes().endswith(b"}\n")


# ------------------------------------------------------------------------------ lock


class Blackhole:
    """A server that accepts connections and never answers: a run against it waits, holding its lock."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.connections: list[socket.socket] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while not self.stop.is_set():
            try:
                self.connections.append(self.sock.accept()[0])
            except TimeoutError:
                continue
            except OSError:
                return

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=5)
        for conn in self.connections:
            conn.close()
        self.sock.close()


def _wait_for_holder(lock: Path, pid: int, proc: subprocess.Popen[str], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        if lock.exists() and f'"pid": {pid}' in lock.read_text():
            return
        time.sleep(0.05)
    raise AssertionError("the first run never took the lock")


def test_concurrent_start_is_refused_and_a_dead_runs_lock_is_taken_over(replica: str, tmp_path: Path) -> None:
    output = tmp_path / "collection"
    hole = Blackhole()
    first = spawn(output, hole.url, "--outlet", "dailynews")
    try:
        _wait_for_holder(output / "run.lock", first.pid, first)
        started = time.monotonic()
        second = run(output, replica, "--outlet", "dailynews", timeout=60)
        assert second.returncode == EXIT_LOCKED, second.stdout + second.stderr
        assert time.monotonic() - started < 30
        assert "another run is in progress" in second.stderr and f"pid {first.pid}" in second.stderr
        assert second.stdout == ""
        assert first.poll() is None, "the refused run must not disturb the running one"
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait(timeout=10)
        hole.close()
    assert first.returncode == -signal.SIGKILL
    assert f'"pid": {first.pid}' in (output / "run.lock").read_text(), "a killed run leaves its name in the lock"

    third = run(output, replica, "--outlet", "dailynews")
    assert third.returncode == EXIT_OK, third.stdout + third.stderr
    # Something was wrong (the previous run died): the summary says so on stdout, for cron to mail.
    assert f"pid {first.pid}" in third.stdout and "did not end cleanly" in third.stdout
    report = latest_report(output)
    assert report["recovery"]["stale_lock"]["pid"] == first.pid
    assert report["recovery"]["stale_lock"]["process_alive"] is False
    assert len(report["recovery"]["interrupted_runs"]) == 1
    assert {a["source_url"] for a in articles(output)} == DAILY_ARTICLES
    statuses = [row[0] for row in sqlite3.connect(output / "state.sqlite").execute("SELECT status FROM runs ORDER BY started")]
    assert statuses == ["interrupted", "ok"]
    assert "Stale lock taken over" in (output / LOG_DIR / LOG_NAME).read_text()


# ------------------------------------------------------------------------------ SIGKILL and resume


def test_sigkill_then_resume_loses_nothing_and_duplicates_nothing(replica: str, tmp_path: Path) -> None:
    killed = tmp_path / "killed"
    # Slow (one request at a time, 0.2 s apart) so the kill lands in the middle of the articles.
    slow = ["-s", "DOWNLOAD_DELAY=0.2", "-s", "RANDOMIZE_DOWNLOAD_DELAY=False", "-s", "AUTOTHROTTLE_ENABLED=False",
            "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1"]
    proc = spawn(killed, replica, "--outlet", "menafn", *slow)
    # The uninterrupted run to compare with, meanwhile (its log rotated at 3 kB, keeping two old files).
    clean = tmp_path / "clean"
    reference = spawn(clean, replica, "--outlet", "menafn", "-s", "NEWSARCHIVE_LOG_MAX_BYTES=3000",
                      "-s", "NEWSARCHIVE_LOG_BACKUPS=2")
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and proc.poll() is None and len(articles(killed)) < 4:
            time.sleep(0.02)
        assert proc.poll() is None, "the run finished before it could be killed"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
    before = articles(killed)
    assert 4 <= len(before) < len(MENAFN_ARTICLES)
    open_files = list((killed / "warc").glob("*.open"))
    assert open_files, "the killed run was writing a WARC file"
    files_before = warc_files(killed) | {p.with_name(p.name.removesuffix(".open")) for p in open_files}

    resumed = run(killed, replica, "--outlet", "menafn")
    assert resumed.returncode == EXIT_OK, resumed.stdout + resumed.stderr
    assert "did not end cleanly" in resumed.stdout
    recovery = latest_report(killed)["recovery"]
    assert [f["file"] for f in recovery["repaired_files"]] == [p.name.removesuffix(".open") for p in open_files]
    assert len(recovery["interrupted_runs"]) == 1 and recovery["cdxj"]

    # Nothing the killed run archived was fetched again...
    refetched = {outlet_url(uri) for _, uri, _ in captures(warc_files(killed) - files_before)}
    assert not refetched & {a["source_url"] for a in before}
    # ...and the collection holds exactly what an uninterrupted run gets, each article once.
    out, err = reference.communicate(timeout=180)
    assert reference.returncode == EXIT_OK and out == "" and err == "", out + err
    after = [a["source_url"] for a in articles(killed)]
    assert len(after) == len(set(after))
    assert set(after) == {a["source_url"] for a in articles(clean)} == MENAFN_ARTICLES
    for article in articles(killed):
        archived = read_response_at(killed / "warc" / article["warc"]["file"], article["warc"]["offset"])
        assert archived.url == article["url"] and archived.status == 200
    assert not list((killed / "warc").glob("*.open"))
    check = check_files(sorted(warc_files(killed)))
    assert check.ok, check.problems
    indexed = {json.loads(line.split(" ", 2)[2])["filename"] for line in merge_indexes((killed / "indexes").glob("*.cdxj"))}
    assert indexed == {p.name for p in warc_files(killed)}, "every WARC file, the killed run's too, is indexed"
    # The reference run's log (some 9 kB) was rotated at 3 kB, keeping two old files.
    logs = sorted(p.name for p in (clean / LOG_DIR).iterdir())
    assert logs == [LOG_NAME, f"{LOG_NAME}.1", f"{LOG_NAME}.2"]
    assert all(p.stat().st_size <= 3000 for p in (clean / LOG_DIR).iterdir())


# ------------------------------------------------------------------------------ what a person sees


def test_progress_only_on_a_terminal(replica: str, tmp_path: Path) -> None:
    output = tmp_path / "collection"
    master, slave = pty.openpty()
    env = dict(os.environ, NEWSARCHIVE_REPLICA=replica, COLUMNS="120", TERM="xterm")
    proc = subprocess.Popen([NEWSARCHIVE, "run", "--output", str(output), "--outlet", "dailynews"], env=env,
                            stdin=subprocess.DEVNULL, stdout=slave, stderr=subprocess.PIPE)
    os.close(slave)
    screen = b""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            screen += chunk
        elif proc.poll() is not None:
            break
    os.close(master)
    proc.wait(timeout=30)
    assert proc.returncode == EXIT_OK, screen.decode(errors="replace")
    text = screen.decode("utf-8", "replace")
    assert "\x1b[" in text, "a live display redraws itself"
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text)
    assert re.search(r"outlet\s*┃\s*state\s*┃\s*pages", plain)
    assert re.search(r"dailynews\s*│\s*done\s*│", plain)
    # In a terminal the report follows the display even when all went well.
    assert "newsarchive run" in plain and "OK (exit 0)" in plain


def test_failed_outlet_exit_code_and_summary_on_stdout(tmp_path: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as sock:
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}"
    # Nothing listens there any more: every request is refused.
    proc = run(tmp_path / "collection", closed, "--outlet", "dailynews", "-s", "RETRY_ENABLED=False")
    assert proc.returncode == EXIT_OUTLETS_FAILED, proc.stdout + proc.stderr
    assert "FAILED (exit 3)" in proc.stdout
    assert "outlet dailynews failed: no discovery page could be fetched" in proc.stdout
    assert len(proc.stdout.splitlines()) < 40, "the summary is concise"
    report = latest_report(tmp_path / "collection")
    assert report["status"] == "failed" and report["totals"]["failed_outlets"] == ["dailynews"]
    assert report["outlets"]["dailynews"]["errors"]["download_failures"] >= 1


def test_configuration_errors_stop_before_anything_is_done(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    # The real command line once, in a subprocess.
    proc = run(tmp_path / "out", "", "--outlet", "nosuch")
    assert proc.returncode == EXIT_CONFIG
    assert "configuration error: unknown outlet 'nosuch'" in proc.stderr and "menafn" in proc.stderr
    assert not (tmp_path / "out" / "run.lock").exists()
    # The other checks through the same entry point, in process.
    monkeypatch.delenv("NEWSARCHIVE_REPLICA", raising=False)
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    for argv, message in [
        (["--since", "yesterday"], "is not a date"),
        (["--max-pages", "0"], "--max-pages must be at least 1"),
        (["--recheck-after", "soon"], "is not a duration"),
        (["--retry-failed", "0"], "--retry-failed must be at least 1"),
        (["-s", "NOEQUALS"], "write NAME=VALUE"),
        (["-s", "LOG_LEVEL=LOUD"], "is not a log level"),
        (["--output", str(a_file / "sub")], "cannot create the output folder"),
    ]:
        code = cli.main(["run", "--output", str(tmp_path / "out"), *argv] if "--output" not in argv else ["run", *argv])
        err = capsys.readouterr().err
        assert code == EXIT_CONFIG and message in err, (argv, err)
    monkeypatch.setenv("NEWSARCHIVE_REPLICA", "ftp://127.0.0.1:1")
    assert cli.main(["run", "--output", str(tmp_path / "out")]) == EXIT_CONFIG
    assert "NEWSARCHIVE_REPLICA must be a URL" in capsys.readouterr().err


# ------------------------------------------------------------------------------ cron and systemd


def _run_args(command: str) -> list[str]:
    """The arguments after ``newsarchive`` in a command line, checked by the real parser."""
    words = shlex.split(command)
    index = next(i for i, word in enumerate(words) if word.endswith("/newsarchive"))
    args = cli.build_parser().parse_args(words[index + 1:])
    assert args.command == "run"
    return words[index + 1:]


def test_crontab_line_is_valid_and_matches_the_readme() -> None:
    entries = [line for line in (DEPLOY / "crontab").read_text().splitlines() if line.strip() and not line.startswith("#")]
    jobs = [line for line in entries if not re.match(r"^[A-Z_]+=", line)]
    assert len(jobs) == 1
    fields = jobs[0].split(None, 5)
    limits = [(0, 59), (0, 23), (1, 31), (1, 12), (0, 7)]
    for value, (low, high) in zip(fields[:5], limits, strict=True):
        for part in value.split(","):
            base, _, step = part.partition("/")
            assert not step or step.isdigit()
            if base != "*":
                bounds = [int(n) for n in base.split("-")]
                assert all(low <= n <= high for n in bounds), jobs[0]
    _run_args(fields[5])
    assert jobs[0] in (ROOT / "README.md").read_text(), "the README shows the crontab line of deploy/crontab"


def _unit(path: Path) -> dict[str, dict[str, list[str]]]:
    """A systemd unit file parsed by its own rules: [Section] headers, Key=Value lines, # and ; comments."""
    sections: dict[str, dict[str, list[str]]] = {}
    current = None
    for number, line in enumerate(path.read_text().splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", ";")):
            continue
        if stripped.startswith("["):
            assert stripped.endswith("]"), f"{path.name}:{number}: {line}"
            current = sections.setdefault(stripped[1:-1], {})
            continue
        key, sep, value = stripped.partition("=")
        assert sep and current is not None and re.fullmatch(r"[A-Za-z]+", key.strip()), f"{path.name}:{number}: {line}"
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


def test_systemd_units_are_valid(tmp_path: Path) -> None:
    service, timer = _unit(DEPLOY / "newsarchive.service"), _unit(DEPLOY / "newsarchive.timer")
    assert service["Service"]["Type"] == ["oneshot"]
    [exec_start] = service["Service"]["ExecStart"]
    _run_args(exec_start)
    assert str(EXIT_LOCKED) in service["Service"]["SuccessExitStatus"][0].split()
    assert timer["Timer"]["OnCalendar"] and timer["Install"]["WantedBy"] == ["timers.target"]
    readme = (ROOT / "README.md").read_text()
    assert "deploy/newsarchive.service" in readme and "deploy/newsarchive.timer" in readme
    analyze = subprocess.run(["which", "systemd-analyze"], capture_output=True, text=True)
    if analyze.returncode == 0:
        # systemd's own verifier, on copies whose paths exist here (it checks that ExecStart is executable).
        install = exec_start.split()[0].removesuffix("/.venv/bin/newsarchive")
        for name in ("newsarchive.service", "newsarchive.timer"):
            text = (DEPLOY / name).read_text().replace(install, str(ROOT))
            (tmp_path / name).write_text(text)
        proc = subprocess.run(["systemd-analyze", "verify", str(tmp_path / "newsarchive.service"),
                               str(tmp_path / "newsarchive.timer")], capture_output=True, text=True, timeout=60)
        # Problems it can live with are printed, not failed on ("ignoring"): accept no output at all.
        assert proc.returncode == 0 and not proc.stdout.strip() and not proc.stderr.strip(), proc.stdout + proc.stderr
        for calendar in timer["Timer"]["OnCalendar"]:
            assert subprocess.run(["systemd-analyze", "calendar", calendar], capture_output=True).returncode == 0
