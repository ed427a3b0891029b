"""The run state of an output folder (``OUTPUT/state.sqlite``) and the Scrapy components that keep it.

``newsarchive run`` is meant to run from cron for years against the same collection, so each run must
know what earlier runs did: which URLs exist, when each was last fetched, what it answered (status,
ETag / Last-Modified, WARC payload digest, for articles the digest of the extracted text), and whether
its outcome is final. From that, a run decides per article URL:

* **new** (never seen) or **retry** (an earlier attempt failed: 5xx, bot challenge, download error,
  fewer than ``NEWSARCHIVE_RETRY_FAILED`` times in a row): fetched;
* **recheck** (archived more than ``NEWSARCHIVE_RECHECK_AFTER`` seconds before this run started, to
  catch stealth edits): fetched, with a conditional GET;
* **fresh**: not requested at all.

Discovery pages (home, sections, feeds, sitemaps) are always fetched; they are recorded too.

Conditional GET itself is *not* done here: :class:`crawler.archiving.ConditionalGetMiddleware` adds
``If-None-Match`` / ``If-Modified-Since`` from the digest index of the archive (``indexes/digests.sqlite``),
which is the one place validators are read from, and turns a 304 into a revisit record. This store only
decides *whether* to ask, and judges what comes back: an article whose extracted text is unchanged is
not written to ``articles.jsonl`` again (its capture is a revisit in the WARC), one whose text changed is
written again and flagged (``changed_at``, ``versions``) for the run report.

Why a second SQLite file rather than tables in ``digests.sqlite``: that index is rebuildable from the
WARCs alone (``newsarchive archive index`` deletes and recreates it) and answers archive questions
(payloads, latest capture per fetched URL); this store records crawl decisions (outcomes, failed attempts,
redirects waiting for their target), keyed by the outlet's own URL, that no WARC holds.

Crash safety (a run may be SIGKILLed at any point): WAL mode, one short transaction per event, and an
article is marked done only after its line is in ``articles.jsonl`` (``ArticleCommitPipeline`` runs after
``ArticleOutputPipeline``). What a killed run leaves half done is repaired by ``crawler.run`` before the
next crawl (see :meth:`StateStore.forget_lost` and :meth:`StateStore.adopt_article`).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import sqlite3
import threading
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urljoin

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem, IgnoreRequest, NotConfigured
from scrapy.http import Request, Response
from twisted.python.failure import Failure

from crawler import signals as na_signals
from crawler.items import ArticleItem
from crawler.page import PageResult
from crawler.urls import outlet_url

logger = logging.getLogger(__name__)

STATE_NAME = "state.sqlite"
SCHEMA_VERSION = "1"

#: Request meta: how the run filter classified an article request ("new", "retry", "recheck").
DUE_META = "newsarchive_due"
#: Request meta: WARC payload digest and validators of the response as downloaded (before a 304 is replayed).
FETCH_META = "newsarchive_fetch"

#: Outcomes that are final until the recheck age has passed.
DONE_OUTCOMES = frozenset({"article", "not-article", "redirect", "ignored", "gave-up"})
#: Verdicts that say "try again later" rather than "this is what the page is".
RETRY_VERDICTS = frozenset({"error", "blocked"})

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS urls (
    url TEXT PRIMARY KEY,            -- the outlet's own URL (the real URL behind a replica URL)
    fetched_url TEXT NOT NULL,       -- what was requested (differs on the replica)
    outlet TEXT NOT NULL,
    kind TEXT NOT NULL,              -- article, or the discovery role: robots, feed, sitemap, listing, probe, page
    first_seen TEXT NOT NULL,
    last_fetch TEXT,                 -- last response or failure, ISO 8601 UTC
    status INTEGER,
    etag TEXT,
    last_modified TEXT,
    payload_digest TEXT,             -- WARC-Payload-Digest of the last full capture (sha1:BASE32)
    text_digest TEXT,                -- articles: sha1 of title and text as last archived
    verdict TEXT,
    outcome TEXT,                    -- article, not-article, redirect, ignored, gave-up (final); retry, pending
    done_at TEXT,                    -- when the outcome became final; NULL: fetch again next run
    attempts INTEGER NOT NULL DEFAULT 0,   -- failed attempts in a row
    versions INTEGER NOT NULL DEFAULT 0,   -- versions of the article archived so far
    changed_at TEXT,                 -- last time its text was found changed
    redirect_to TEXT,                -- a redirect's target (outlet URL), until the target is done
    error TEXT,
    warc_file TEXT,
    warc_offset INTEGER,
    warc_record_id TEXT,
    run_id TEXT                      -- run of the last update
);
CREATE INDEX IF NOT EXISTS urls_redirect_to ON urls(redirect_to) WHERE redirect_to IS NOT NULL;
CREATE INDEX IF NOT EXISTS urls_run ON urls(run_id);
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    pid INTEGER NOT NULL,
    host TEXT NOT NULL,
    started TEXT NOT NULL,
    finished TEXT,
    status TEXT NOT NULL,            -- running, ok, failed, interrupted
    outlets TEXT NOT NULL,
    articles_offset INTEGER NOT NULL,   -- size of articles.jsonl when the run started
    exit_code INTEGER,
    report TEXT,
    note TEXT
);
"""


def stamp(moment: datetime | None = None) -> str:
    """ISO 8601 UTC with microseconds: fixed width, so the store compares times as strings."""
    return (moment or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="microseconds")


def text_digest(title: str | None, text: str | None) -> str:
    """What "the article changed" means: its title or body text, not the page's bytes (ads, clocks)."""
    return "sha1:" + hashlib.sha1(f"{title or ''}\n\n{text or ''}".encode()).hexdigest()


@dataclass(frozen=True)
class UrlState:
    url: str
    fetched_url: str
    outlet: str
    kind: str
    first_seen: str
    last_fetch: str | None
    status: int | None
    etag: str | None
    last_modified: str | None
    payload_digest: str | None
    text_digest: str | None
    verdict: str | None
    outcome: str | None
    done_at: str | None
    attempts: int
    versions: int
    changed_at: str | None
    redirect_to: str | None
    error: str | None
    warc_file: str | None
    warc_offset: int | None
    warc_record_id: str | None
    run_id: str | None


@dataclass(frozen=True)
class RunRow:
    run_id: str
    pid: int
    host: str
    started: str
    finished: str | None
    status: str
    outlets: str
    articles_offset: int
    exit_code: int | None
    report: str | None
    note: str | None


@dataclass(frozen=True)
class Fetch:
    """What one response told about its URL (the columns every update writes)."""

    fetched_url: str
    outlet: str
    kind: str
    status: int | None = None
    etag: str | None = None
    last_modified: str | None = None
    payload_digest: str | None = None
    warc: Mapping[str, Any] | None = None
    verdict: str | None = None


class StateStore:
    """``OUTPUT/state.sqlite``: URL states and runs. Used from one thread (the reactor's) at a time."""

    _shared: ClassVar[dict[Path, tuple[StateStore, int]]] = {}
    _shared_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Autocommit: every statement is its own transaction unless one is opened explicitly, so a
        # SIGKILL loses at most the event being recorded. check_same_thread=False: the run command
        # opens it before the reactor starts in the same (main) thread, but tests read it elsewhere.
        self._db = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        # NORMAL: durable against a killed process (the WAL is in the OS's hands), fsync only at
        # checkpoints; a power cut may lose the last events, which then are simply done again.
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        self._db.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('schema', ?)", (SCHEMA_VERSION,))

    # --- process-wide sharing (several spiders of one run, one connection) ------------------------

    @classmethod
    def shared(cls, path: Path | str) -> StateStore:
        key = Path(path).resolve()
        with cls._shared_lock:
            store, users = cls._shared.get(key, (None, 0))
            if store is None:
                store = cls(key)
            cls._shared[key] = (store, users + 1)
            return store

    def release(self) -> None:
        key = self.path.resolve()
        with self._shared_lock:
            store, users = self._shared.get(key, (None, 0))
            if store is not self:
                self.close()
                return
            if users > 1:
                self._shared[key] = (self, users - 1)
                return
            del self._shared[key]
        self.close()

    def close(self) -> None:
        self._db.close()

    # --- runs ------------------------------------------------------------------------------------

    def begin_run(self, run_id: str, *, pid: int, host: str, started: str, outlets: Iterable[str],
                  articles_offset: int) -> None:
        self._db.execute(
            "INSERT INTO runs (run_id, pid, host, started, status, outlets, articles_offset) "
            "VALUES (?,?,?,?, 'running', ?, ?)",
            (run_id, pid, host, started, ",".join(outlets), articles_offset),
        )

    def finish_run(self, run_id: str, *, status: str, exit_code: int | None, report: str | None,
                   note: str | None = None) -> None:
        self._db.execute(
            "UPDATE runs SET finished = ?, status = ?, exit_code = ?, report = ?, note = COALESCE(?, note) "
            "WHERE run_id = ?",
            (stamp(), status, exit_code, report, note, run_id),
        )

    def runs(self, status: str | None = None) -> list[RunRow]:
        query = "SELECT * FROM runs" + (" WHERE status = ?" if status else "") + " ORDER BY started"
        rows = self._db.execute(query, (status,) if status else ()).fetchall()
        return [RunRow(*row) for row in rows]

    # --- URL look-ups ----------------------------------------------------------------------------

    def get(self, url: str) -> UrlState | None:
        row = self._db.execute("SELECT * FROM urls WHERE url = ?", (url,)).fetchone()
        return UrlState(*row) if row else None

    def due(self, url: str, cutoff: str, run_id: str | None = None) -> str:
        """"new", "retry", "recheck", "fresh" (done, not due yet) or "this-run" (done by ``run_id``).

        ``cutoff``: an article done at or before it is due for a recheck.
        """
        row = self._db.execute("SELECT done_at, attempts, outcome, run_id FROM urls WHERE url = ?", (url,)).fetchone()
        if row is None:
            return "new"
        done_at, attempts, outcome, last_run = row
        if done_at is None:
            return "retry" if attempts or outcome in ("retry", "redirect", "lost") else "new"
        if run_id is not None and last_run == run_id and done_at > cutoff:
            return "this-run"
        return "recheck" if done_at <= cutoff else "fresh"

    def counts(self) -> dict[str, int]:
        """URLs per kind and outcome (for the report's footer and for tests)."""
        rows = self._db.execute("SELECT kind, outcome, COUNT(*) FROM urls GROUP BY kind, outcome").fetchall()
        return {f"{kind}/{outcome}": n for kind, outcome, n in rows}

    def urls(self, *, kind: str | None = None, run_id: str | None = None) -> list[UrlState]:
        where, args = [], []
        if kind:
            where.append("kind = ?")
            args.append(kind)
        if run_id:
            where.append("run_id = ?")
            args.append(run_id)
        query = "SELECT * FROM urls" + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY url"
        return [UrlState(*row) for row in self._db.execute(query, args).fetchall()]

    # --- updates ---------------------------------------------------------------------------------

    def _upsert(self, url: str, fetch: Fetch, run_id: str, now: str, **columns: Any) -> None:
        """Insert or update ``url`` with what ``fetch`` saw plus ``columns`` (one statement)."""
        warc = fetch.warc or {}
        values: dict[str, Any] = {
            "fetched_url": fetch.fetched_url, "outlet": fetch.outlet, "kind": fetch.kind, "last_fetch": now,
            "run_id": run_id,
        }
        # A 304 replay, or a failure, carries no new validators or digest: keep the stored ones.
        for name in ("status", "etag", "last_modified", "payload_digest", "verdict"):
            value = getattr(fetch, name)
            if value is not None:
                values[name] = value
        if warc.get("file"):
            values.update(warc_file=warc["file"], warc_offset=int(warc.get("offset", 0)),
                          warc_record_id=warc.get("record_id"))
        values.update(columns)
        names = list(values)
        insert = ["url", "first_seen", *names]
        updates = ", ".join(f"{name} = excluded.{name}" for name in names)
        self._db.execute(
            f"INSERT INTO urls ({', '.join(insert)}) VALUES ({', '.join('?' * len(insert))}) "
            f"ON CONFLICT(url) DO UPDATE SET {updates}",
            (url, now, *values.values()),
        )

    def record_discovery(self, url: str, fetch: Fetch, run_id: str, *, error: str | None = None) -> None:
        """A discovery page (or robots.txt, a probe) was fetched: always fetched again, never "done"."""
        self._upsert(url, fetch, run_id, stamp(), outcome="discovery", error=error)

    def record_fetch(self, url: str, fetch: Fetch, run_id: str) -> None:
        """What a response said (status, validators, digest), leaving its outcome to be settled."""
        self._upsert(url, fetch, run_id, stamp())

    def record_outcome(self, url: str, fetch: Fetch, run_id: str, outcome: str, *, error: str | None = None) -> None:
        """A final outcome for an article URL that is not an archived article (soft 404, ignored...)."""
        now = stamp()
        with self._transaction():
            self._upsert(url, fetch, run_id, now, outcome=outcome, done_at=now, attempts=0, redirect_to=None,
                         error=error)
            self._resolve_redirects(url, now, run_id)

    def record_failure(self, url: str, fetch: Fetch, run_id: str, *, error: str, max_attempts: int) -> str:
        """A failed attempt (5xx, challenge, download error): retried next run, until ``max_attempts``.

        Returns the outcome: "retry", or "gave-up" once the attempts are used up (then the URL waits
        for its recheck age like any other, so a permanently broken link is not hammered every hour).
        """
        now = stamp()
        row = self._db.execute("SELECT attempts FROM urls WHERE url = ?", (url,)).fetchone()
        attempts = (row[0] if row else 0) + 1
        gave_up = attempts >= max_attempts
        outcome = "gave-up" if gave_up else "retry"
        with self._transaction():
            self._upsert(url, fetch, run_id, now, outcome=outcome, done_at=now if gave_up else None,
                         attempts=attempts, error=error)
            if gave_up:
                self._resolve_redirects(url, now, run_id)
        return outcome

    def record_redirect(self, url: str, fetch: Fetch, run_id: str, target: str) -> None:
        """An article URL redirected: done when its target is (now, if the target already is)."""
        now = stamp()
        with self._transaction():
            self._upsert(url, fetch, run_id, now, outcome="redirect", done_at=None, redirect_to=target, error=None)
            done = self._db.execute("SELECT done_at FROM urls WHERE url = ?", (target,)).fetchone()
            if done and done[0] is not None:
                self._resolve_redirects(target, now, run_id)

    def resolve_redirects(self, target: str, run_id: str) -> None:
        """``target`` needs no fetch (already done): the redirects waiting for it are done too."""
        with self._transaction():
            self._resolve_redirects(target, stamp(), run_id)

    def _resolve_redirects(self, target: str, now: str, run_id: str) -> None:
        # Chains (A -> B -> C): resolving C resolves B, then A; bounded like REDIRECT_MAX_TIMES.
        targets = [target]
        for _ in range(20):
            marks = ",".join("?" * len(targets))
            rows = self._db.execute(
                f"SELECT url FROM urls WHERE redirect_to IN ({marks}) AND done_at IS NULL", targets
            ).fetchall()
            if not rows:
                return
            targets = [row[0] for row in rows]
            marks = ",".join("?" * len(targets))
            self._db.execute(
                f"UPDATE urls SET done_at = ?, attempts = 0, run_id = ? WHERE url IN ({marks})", (now, run_id, *targets)
            )

    def article_unchanged(self, url: str, fetch: Fetch, run_id: str) -> None:
        """A recheck found the same text: nothing new to write; the capture is a revisit."""
        now = stamp()
        with self._transaction():
            self._upsert(url, fetch, run_id, now, outcome="article", done_at=now, attempts=0, redirect_to=None,
                         error=None)
            self._resolve_redirects(url, now, run_id)

    def article_archived(self, url: str, fetch: Fetch, run_id: str, digest: str, *, when: str | None = None) -> str:
        """An article version was written to articles.jsonl; returns "new" or "changed"."""
        now = when or stamp()
        row = self._db.execute("SELECT text_digest, versions FROM urls WHERE url = ?", (url,)).fetchone()
        previous, versions = (row[0], row[1]) if row else (None, 0)
        how = "changed" if previous is not None and previous != digest else "new"
        columns: dict[str, Any] = {
            "outcome": "article", "done_at": now, "attempts": 0, "redirect_to": None, "error": None,
            "text_digest": digest, "versions": versions + 1,
        }
        if how == "changed":
            columns["changed_at"] = now
        with self._transaction():
            self._upsert(url, fetch, run_id, now, **columns)
            self._resolve_redirects(url, now, run_id)
        return how

    # --- after a killed run ----------------------------------------------------------------------

    def forget_lost(self, run_id: str, record_exists: Callable[[str, int], bool]) -> list[str]:
        """URLs recorded by ``run_id`` whose WARC record did not survive the kill: fetched again.

        Their text digest goes too, so the refetched article counts as new and is written to
        articles.jsonl (its line, written after the WARC record, cannot exist either).
        """
        lost = [
            url for url, file, offset in self._db.execute(
                "SELECT url, warc_file, warc_offset FROM urls WHERE run_id = ? AND warc_file IS NOT NULL", (run_id,)
            ).fetchall()
            if not record_exists(file, int(offset or 0))
        ]
        with self._transaction():
            for url in lost:
                self._db.execute(
                    "UPDATE urls SET done_at = NULL, outcome = 'lost', text_digest = NULL, warc_file = NULL, "
                    "warc_offset = NULL, warc_record_id = NULL WHERE url = ?",
                    (url,),
                )
        return lost

    def adopt_article(self, article: Mapping[str, Any], run_id: str) -> bool:
        """An article line of a killed run that the store missed (killed between the two writes).

        Marks it done with the line's text digest, so the next run neither refetches it nor writes it
        twice. Returns whether anything changed.
        """
        url = str(article.get("source_url") or article.get("url"))
        digest = text_digest(article.get("title"), article.get("text"))
        row = self.get(url)
        if row is not None and row.done_at is not None and row.text_digest == digest:
            return False
        fetch = Fetch(
            fetched_url=str(article.get("url")), outlet=str(article.get("outlet") or ""), kind="article",
            status=article.get("status"), warc=article.get("warc"), verdict="article",
        )
        when = None
        with contextlib.suppress(TypeError, ValueError):
            when = stamp(datetime.fromisoformat(str(article.get("fetched_at"))))  # the store's own format
        self.article_archived(url, fetch, run_id, digest, when=when)
        return True

    # --- internals -------------------------------------------------------------------------------

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db)


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT (ROLLBACK on error) on an autocommit connection."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, *rest: object) -> None:
        self.db.execute("ROLLBACK" if exc_type else "COMMIT")


# ======================================================================================= Scrapy side


def is_article_request(request: Request | None) -> bool:
    """Requests an outlet spider sends to ``parse_article`` (probes and discovery are not)."""
    if request is None or request.meta.get("newsarchive_probe"):
        return False
    return getattr(request.callback, "__name__", "") == "parse_article"


@dataclass
class RunCounters:
    """What one outlet's crawl did to the state, for the run report."""

    new: list[str] = field(default_factory=list)
    changed: list[dict[str, Any]] = field(default_factory=list)
    unchanged: int = 0
    #: Archived article URLs found again and not requested (a set: feeds, sitemaps and listings repeat them).
    not_due_urls: set[str] = field(default_factory=set)
    #: Article URLs let through, by why: new, retry, recheck.
    due: dict[str, set[str]] = field(default_factory=dict)
    articles_fetched: int = 0
    discovery_ok: int = 0
    discovery_failed: int = 0
    retry_later: list[dict[str, Any]] = field(default_factory=list)
    gave_up: list[dict[str, Any]] = field(default_factory=list)


class RunStateExtension:
    """Keeps ``state.sqlite`` up to date while a spider of a ``newsarchive run`` crawls.

    Enabled by ``NEWSARCHIVE_STATE`` (set by ``newsarchive run``; a plain ``scrapy crawl`` does not
    use it). Published as ``crawler.newsarchive_run`` for the filter middleware, the pipelines and
    the run report.
    """

    def __init__(self, crawler: Crawler, store: StateStore, run_id: str, *, recheck_after: float,
                 retry_failed: int, run_started: datetime) -> None:
        self.crawler = crawler
        self.store = store
        self.run_id = run_id
        self.recheck_after = recheck_after
        self.retry_failed = max(1, retry_failed)
        #: Articles archived before this instant are due for a recheck. Fixed at the run's start, so an
        #: article done during this run is never due again in it (even with a recheck age of 0).
        self.cutoff = stamp(run_started - timedelta(seconds=recheck_after))
        self.counters = RunCounters()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunStateExtension:
        settings = crawler.settings
        path = settings.get("NEWSARCHIVE_STATE")
        if not path:
            raise NotConfigured("NEWSARCHIVE_STATE is not set (only `newsarchive run` keeps a run state)")
        started = settings.get("NEWSARCHIVE_RUN_STARTED")
        from crawler.state_redis import open_state  # Redis with a shared frontier (REDIS_URL), else SQLite

        ext = cls(
            crawler, open_state(settings, path), settings.get("NEWSARCHIVE_RUN_ID") or "adhoc",
            recheck_after=settings.getfloat("NEWSARCHIVE_RECHECK_AFTER", 7 * 86400),
            retry_failed=settings.getint("NEWSARCHIVE_RETRY_FAILED", 3),
            run_started=datetime.fromisoformat(started) if started else datetime.now(UTC),
        )
        crawler.newsarchive_run = ext  # type: ignore[attr-defined]
        crawler.signals.connect(ext.response_downloaded, signal=signals.response_downloaded)
        crawler.signals.connect(ext.response_received, signal=signals.response_received)
        crawler.signals.connect(ext.page_judged, signal=na_signals.page_judged)
        crawler.signals.connect(ext.download_failed, signal=na_signals.download_failed)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    # --- what a response says about its URL --------------------------------------------------------

    def response_downloaded(self, response: Response, request: Request, spider: Spider) -> None:
        """Digest and validators of the bytes as transferred (the WARC payload), before a 304 is replayed."""
        from archive.writer import sha1_b32

        headers = response.headers
        fetched: dict[str, Any] = {"status": response.status}
        if response.status != 304:
            fetched["payload_digest"] = sha1_b32(response.body)
        for name, key in ((b"ETag", "etag"), (b"Last-Modified", "last_modified")):
            value = headers.get(name)
            if value:
                fetched[key] = value.decode("latin-1")
        request.meta[FETCH_META] = fetched

    def fetch_of(self, response: Response, *, kind: str, verdict: str | None = None) -> Fetch:
        meta = response.meta if response.request is not None else {}
        fetched = meta.get(FETCH_META) or {}
        return Fetch(
            fetched_url=response.url, outlet=self.crawler.spider.name if self.crawler.spider else "", kind=kind,
            status=response.status, etag=fetched.get("etag"), last_modified=fetched.get("last_modified"),
            payload_digest=fetched.get("payload_digest"), warc=meta.get("warc"), verdict=verdict,
        )

    def response_received(self, response: Response, request: Request, spider: Spider) -> None:
        """Discovery pages, robots.txt and probes: recorded as fetched (they are never skipped)."""
        if is_article_request(request):
            self.counters.articles_fetched += 1
            return
        from crawler.archiving import capture_role

        kind = "probe" if request.meta.get("newsarchive_probe") else capture_role(request, response.status)
        if kind not in ("robots", "probe"):
            if response.status < 400:
                self.counters.discovery_ok += 1
            else:
                self.counters.discovery_failed += 1
        self.store.record_discovery(outlet_url(response.url), self.fetch_of(response, kind=kind), self.run_id)

    def page_judged(self, result: PageResult, response: Response, spider: Spider) -> None:
        """Final outcomes of article requests that did not yield an article (those go through the pipelines)."""
        request = response.request
        if not is_article_request(request):
            return
        url = outlet_url(response.url)
        if result.is_article:
            # Validators and digests are known only here (the item does not carry the response);
            # the outcome is settled by the pipelines, once the article is written.
            if spider.url_kind(url) == "article":
                self.store.record_fetch(url, self.fetch_of(response, kind="article", verdict="article"), self.run_id)
            return
        if spider.url_kind(url) != "article":
            # A removed article redirected home (or to a section): the target is a discovery page,
            # fetched anyway; what was waiting for it (the redirect) is settled.
            self.store.resolve_redirects(url, self.run_id)
            return
        fetch = self.fetch_of(response, kind="article", verdict=result.verdict)
        if result.verdict in RETRY_VERDICTS or response.status == 429:
            self._failure(url, fetch, f"{response.status} {result.verdict}: {', '.join(result.verdict_reasons)}")
        else:
            self.store.record_outcome(url, fetch, self.run_id, "not-article")

    def download_failed(self, request: Request | None, failure: Failure, spider: Spider) -> None:
        if request is None:
            return
        error = failure.getErrorMessage() or (failure.type.__name__ if failure.type else "error")
        url = outlet_url(request.url)
        if not is_article_request(request):
            from crawler.archiving import capture_role

            probe = bool(request.meta.get("newsarchive_probe"))
            if not probe:
                self.counters.discovery_failed += 1
            kind = "probe" if probe else capture_role(request, 0)
            fetch = Fetch(fetched_url=request.url, outlet=spider.name, kind=kind)
            self.store.record_discovery(url, fetch, self.run_id, error=error)
            return
        fetch = Fetch(fetched_url=request.url, outlet=spider.name, kind="article")
        if failure.check(IgnoreRequest):
            # Forbidden by robots.txt, or dropped on purpose by a middleware: asking again changes nothing.
            self.store.record_outcome(url, fetch, self.run_id, "ignored", error=error)
            return
        self._failure(url, fetch, error)

    def _failure(self, url: str, fetch: Fetch, error: str) -> None:
        outcome = self.store.record_failure(url, fetch, self.run_id, error=error, max_attempts=self.retry_failed)
        entry = {"url": url, "error": error}
        (self.counters.gave_up if outcome == "gave-up" else self.counters.retry_later).append(entry)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        stats = self.crawler.stats
        counters = self.counters
        for name, value in (
            ("new_articles", len(counters.new)), ("changed_articles", len(counters.changed)),
            ("unchanged_articles", counters.unchanged), ("not_due", len(counters.not_due_urls)),
            ("discovery_ok", counters.discovery_ok), ("discovery_failed", counters.discovery_failed),
        ):
            stats.set_value(f"newsarchive/run/{name}", value)
        self.store.release()


class IncrementalMiddleware:
    """Spider middleware: lets through only the article requests that are new or due.

    Placed above ProbeMiddleware (40), so a request it drops is never held for a probe, and a host
    with nothing new is not probed at all. Discovery requests always pass.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> IncrementalMiddleware:
        if not crawler.settings.get("NEWSARCHIVE_STATE"):
            raise NotConfigured("NEWSARCHIVE_STATE is not set")
        return cls(crawler)

    def _ext(self) -> RunStateExtension | None:
        return getattr(self.crawler, "newsarchive_run", None)

    def process_spider_output(self, response: Response, result: Iterable[Any]) -> Iterator[Any]:
        self._redirected(response)
        for output in result:
            if self._keep(output):
                yield output

    async def process_spider_output_async(self, response: Response, result: AsyncIterator[Any]) -> AsyncIterator[Any]:
        self._redirected(response)
        async for output in result:
            if self._keep(output):
                yield output

    def _redirected(self, response: Response) -> None:
        """An article answered with a redirect that the spider follows itself: wait for the target."""
        ext = self._ext()
        request = response.request
        if ext is None or not is_article_request(request) or not (300 <= response.status < 400) or response.status == 304:
            return
        location = response.headers.get(b"Location", b"").decode("latin-1").strip()
        if not location:
            return
        target = outlet_url(urljoin(response.url, location))
        ext.store.record_redirect(outlet_url(response.url), ext.fetch_of(response, kind="article"), ext.run_id, target)

    def _keep(self, output: Any) -> bool:
        ext = self._ext()
        spider = self.crawler.spider
        if ext is None or not isinstance(output, Request) or not is_article_request(output):
            return True
        url = outlet_url(output.url)
        if spider is None or spider.url_kind(url) != "article":
            return True
        due = ext.store.due(url, ext.cutoff, ext.run_id)
        if due == "this-run":
            return True  # found again (feed and sitemap both list it): Scrapy's duplicate filter drops it
        if due == "fresh":
            ext.counters.not_due_urls.add(url)
            ext.store.resolve_redirects(url, ext.run_id)
            return False
        output.meta.setdefault(DUE_META, due)
        ext.counters.due.setdefault(due, set()).add(url)
        return True


class ArticleVersionPipeline:
    """Before the outputs (order 700): an article whose text did not change is not written again."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArticleVersionPipeline:
        if not crawler.settings.get("NEWSARCHIVE_STATE"):
            raise NotConfigured("NEWSARCHIVE_STATE is not set")
        return cls(crawler)

    def process_item(self, item: Any, spider: Spider | None = None) -> Any:
        ext: RunStateExtension | None = getattr(self.crawler, "newsarchive_run", None)
        if ext is None or not isinstance(item, ArticleItem):
            return item
        url = item.get("source_url") or item["url"]
        row = ext.store.get(url)
        if row is not None and row.text_digest == text_digest(item.get("title"), item.get("text")):
            ext.store.article_unchanged(url, _item_fetch(item, ext), ext.run_id)
            ext.counters.unchanged += 1
            raise DropItem(f"unchanged since {row.done_at}: {url}", log_level="DEBUG")
        return item


class ArticleCommitPipeline:
    """After the outputs (order 900): the article is in articles.jsonl, so the state may call it done."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArticleCommitPipeline:
        if not crawler.settings.get("NEWSARCHIVE_STATE"):
            raise NotConfigured("NEWSARCHIVE_STATE is not set")
        return cls(crawler)

    def process_item(self, item: Any, spider: Spider | None = None) -> Any:
        ext: RunStateExtension | None = getattr(self.crawler, "newsarchive_run", None)
        if ext is None or not isinstance(item, ArticleItem):
            return item
        url = item.get("source_url") or item["url"]
        previous = ext.store.get(url)
        digest = text_digest(item.get("title"), item.get("text"))
        how = ext.store.article_archived(url, _item_fetch(item, ext), ext.run_id, digest)
        if how == "changed":
            logger.info("Article changed since %s: %s", previous.done_at if previous else "?", url)
            ext.counters.changed.append({
                "url": url, "fetched": item["url"], "previous_capture": previous.done_at if previous else None,
                "warc": item.get("warc"), "text_file": item.get("text_file"),
            })
        else:
            ext.counters.new.append(url)
        return item


def _item_fetch(item: ArticleItem, ext: RunStateExtension) -> Fetch:
    """The fetch behind an article item; its validators and digest were recorded at ``page_judged``."""
    return Fetch(
        fetched_url=item["url"], outlet=item.get("outlet") or "", kind="article", status=item.get("status"),
        warc=item.get("warc"), verdict="article",
    )
