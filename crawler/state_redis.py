"""The run state of :mod:`crawler.state` in Redis, for ``newsarchive run --redis``.

Workers sharing one frontier decide together which article URLs are due (new, retry, recheck) and
whether a fetched article changed, so they must read one state: a worker on another machine cannot
open this machine's ``state.sqlite``. :class:`RedisStateStore` keeps the same rows and answers the same
calls as :class:`crawler.state.StateStore` (same columns, same outcomes, same rules), in Redis::

    <prefix>:state:url:<outlet URL>    hash     the columns of the SQLite ``urls`` table (absent = NULL)
    <prefix>:state:urls                set      every URL (for counts and listings)
    <prefix>:state:redirects:<target>  set      URLs whose redirect waits for this target
    <prefix>:state:run-urls:<run id>   set      URLs last updated by a run (recovery after a kill)
    <prefix>:state:runs                hash     run id -> the run's row (JSON), with its worker

Races: a URL is fetched by one worker at a time (the frontier leases it), so a read-modify-write of one
URL's row (attempts + 1, versions + 1) has no competitor; every write is one pipelined round trip.
Runs are per worker: each ``newsarchive run`` process records its own run, and recovers only its own
interrupted runs (another worker's "running" run may well be running).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import fields
from typing import Any, ClassVar

from crawler.state import Fetch, RunRow, UrlState, stamp, text_digest

_COLUMNS = [f.name for f in fields(UrlState)]
_INTS = frozenset({"status", "attempts", "versions", "warc_offset"})


class RedisStateStore:
    """Same interface as :class:`crawler.state.StateStore`."""

    _shared: ClassVar[dict[tuple[str, str, str], tuple[RedisStateStore, int]]] = {}
    _shared_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, url: str, prefix: str = "newsarchive", worker: str = "") -> None:
        import redis

        self.url = url
        self.worker = worker
        self.server = redis.Redis.from_url(url, decode_responses=True, socket_timeout=30,
                                           socket_connect_timeout=30, retry_on_timeout=True)
        self.server.ping()
        self.p = f"{prefix}:state:"
        self._key: tuple[str, str, str] = (url, prefix, worker)

    @classmethod
    def shared(cls, url: str, prefix: str, worker: str) -> RedisStateStore:
        key = (url, prefix, worker)
        with cls._shared_lock:
            store, users = cls._shared.get(key, (None, 0))
            if store is None:
                store = cls(url, prefix, worker)
            cls._shared[key] = (store, users + 1)
            return store

    def release(self) -> None:
        with self._shared_lock:
            store, users = self._shared.get(self._key, (None, 0))
            if store is self and users > 1:
                self._shared[self._key] = (self, users - 1)
                return
            if store is self:
                del self._shared[self._key]
        self.close()

    def close(self) -> None:
        self.server.close()

    # --- runs ------------------------------------------------------------------------------------

    def begin_run(self, run_id: str, *, pid: int, host: str, started: str, outlets: Iterable[str],
                  articles_offset: int) -> None:
        row = {"run_id": run_id, "pid": pid, "host": host, "started": started, "finished": None,
               "status": "running", "outlets": ",".join(outlets), "articles_offset": articles_offset,
               "exit_code": None, "report": None, "note": None, "worker": self.worker}
        self.server.hset(self.p + "runs", run_id, json.dumps(row))

    def finish_run(self, run_id: str, *, status: str, exit_code: int | None, report: str | None,
                   note: str | None = None) -> None:
        raw = self.server.hget(self.p + "runs", run_id)
        if raw is None:
            return
        row = json.loads(raw)
        row.update(finished=stamp(), status=status, exit_code=exit_code, report=report)
        if note is not None:
            row["note"] = note
        self.server.hset(self.p + "runs", run_id, json.dumps(row))

    def runs(self, status: str | None = None) -> list[RunRow]:
        """This worker's runs (all workers' when the store has no worker id), oldest first."""
        rows = [json.loads(raw) for raw in self.server.hvals(self.p + "runs")]
        rows = [r for r in rows if (not status or r["status"] == status) and (not self.worker or r.get("worker") == self.worker)]
        rows.sort(key=lambda r: r["started"])
        return [RunRow(**{k: r.get(k) for k in RunRow.__dataclass_fields__}) for r in rows]

    # --- URL look-ups ----------------------------------------------------------------------------

    def _row(self, url: str) -> dict[str, Any] | None:
        raw = self.server.hgetall(self.p + "url:" + url)
        if not raw:
            return None
        return {name: (int(raw[name]) if name in _INTS else raw[name]) if name in raw else None for name in _COLUMNS}

    def get(self, url: str) -> UrlState | None:
        row = self._row(url)
        if row is None:
            return None
        row["attempts"] = row["attempts"] or 0
        row["versions"] = row["versions"] or 0
        return UrlState(**row)

    def due(self, url: str, cutoff: str, run_id: str | None = None) -> str:
        """As :meth:`crawler.state.StateStore.due`."""
        values = self.server.hmget(self.p + "url:" + url, ["url", "done_at", "attempts", "outcome", "run_id"])
        if values[0] is None:
            return "new"
        _, done_at, attempts, outcome, last_run = values
        if done_at is None:
            return "retry" if int(attempts or 0) or outcome in ("retry", "redirect", "lost") else "new"
        if run_id is not None and last_run == run_id and done_at > cutoff:
            return "this-run"
        return "recheck" if done_at <= cutoff else "fresh"

    def counts(self) -> dict[str, int]:
        result: dict[str, int] = {}
        for url in self.server.sscan_iter(self.p + "urls", count=500):
            kind, outcome = self.server.hmget(self.p + "url:" + url, ["kind", "outcome"])
            name = f"{kind}/{outcome}"
            result[name] = result.get(name, 0) + 1
        return result

    def urls(self, *, kind: str | None = None, run_id: str | None = None) -> list[UrlState]:
        source = self.p + (f"run-urls:{run_id}" if run_id else "urls")
        found = []
        for url in sorted(self.server.smembers(source)):
            row = self.get(url)
            if row is not None and (not kind or row.kind == kind) and (not run_id or row.run_id == run_id):
                found.append(row)
        return found

    # --- updates ---------------------------------------------------------------------------------

    def _upsert(self, url: str, fetch: Fetch, run_id: str, now: str, pipe: Any = None, **columns: Any) -> None:
        warc = fetch.warc or {}
        values: dict[str, Any] = {"url": url, "fetched_url": fetch.fetched_url, "outlet": fetch.outlet,
                                  "kind": fetch.kind, "last_fetch": now, "run_id": run_id}
        for name in ("status", "etag", "last_modified", "payload_digest", "verdict"):
            value = getattr(fetch, name)
            if value is not None:
                values[name] = value
        if warc.get("file"):
            values.update(warc_file=warc["file"], warc_offset=int(warc.get("offset", 0)),
                          warc_record_id=warc.get("record_id"))
        values.update(columns)
        own = pipe is None
        pipe = pipe if pipe is not None else self.server.pipeline(transaction=True)
        key = self.p + "url:" + url
        pipe.hsetnx(key, "first_seen", now)
        pipe.hsetnx(key, "attempts", 0)
        pipe.hsetnx(key, "versions", 0)
        present = {k: v for k, v in values.items() if v is not None}
        absent = [k for k, v in values.items() if v is None]
        pipe.hset(key, mapping=present)
        if absent:
            pipe.hdel(key, *absent)
        pipe.sadd(self.p + "urls", url)
        pipe.sadd(self.p + f"run-urls:{run_id}", url)
        if values.get("redirect_to"):
            pipe.sadd(self.p + "redirects:" + values["redirect_to"], url)
        if own:
            pipe.execute()

    def record_discovery(self, url: str, fetch: Fetch, run_id: str, *, error: str | None = None) -> None:
        self._upsert(url, fetch, run_id, stamp(), outcome="discovery", error=error)

    def record_fetch(self, url: str, fetch: Fetch, run_id: str) -> None:
        self._upsert(url, fetch, run_id, stamp())

    def record_outcome(self, url: str, fetch: Fetch, run_id: str, outcome: str, *, error: str | None = None) -> None:
        now = stamp()
        self._upsert(url, fetch, run_id, now, outcome=outcome, done_at=now, attempts=0, redirect_to=None, error=error)
        self._resolve_redirects(url, now, run_id)

    def record_failure(self, url: str, fetch: Fetch, run_id: str, *, error: str, max_attempts: int) -> str:
        now = stamp()
        attempts = int(self.server.hget(self.p + "url:" + url, "attempts") or 0) + 1
        gave_up = attempts >= max_attempts
        outcome = "gave-up" if gave_up else "retry"
        self._upsert(url, fetch, run_id, now, outcome=outcome, done_at=now if gave_up else None,
                     attempts=attempts, error=error)
        if gave_up:
            self._resolve_redirects(url, now, run_id)
        return outcome

    def record_redirect(self, url: str, fetch: Fetch, run_id: str, target: str) -> None:
        now = stamp()
        self._upsert(url, fetch, run_id, now, outcome="redirect", done_at=None, redirect_to=target, error=None)
        if self.server.hget(self.p + "url:" + target, "done_at") is not None:
            self._resolve_redirects(target, now, run_id)

    def resolve_redirects(self, target: str, run_id: str) -> None:
        self._resolve_redirects(target, stamp(), run_id)

    def _resolve_redirects(self, target: str, now: str, run_id: str) -> None:
        targets = [target]
        for _ in range(20):
            waiting: list[str] = []
            for t in targets:
                for url in self.server.smembers(self.p + "redirects:" + t):
                    redirect_to, done_at = self.server.hmget(self.p + "url:" + url, ["redirect_to", "done_at"])
                    if redirect_to == t and done_at is None:
                        waiting.append(url)
                    else:
                        self.server.srem(self.p + "redirects:" + t, url)
            if not waiting:
                return
            pipe = self.server.pipeline(transaction=True)
            for url in waiting:
                pipe.hset(self.p + "url:" + url, mapping={"done_at": now, "attempts": 0, "run_id": run_id})
                pipe.sadd(self.p + f"run-urls:{run_id}", url)
            pipe.execute()
            targets = waiting

    def article_unchanged(self, url: str, fetch: Fetch, run_id: str) -> None:
        now = stamp()
        self._upsert(url, fetch, run_id, now, outcome="article", done_at=now, attempts=0, redirect_to=None, error=None)
        self._resolve_redirects(url, now, run_id)

    def article_archived(self, url: str, fetch: Fetch, run_id: str, digest: str, *, when: str | None = None) -> str:
        now = when or stamp()
        previous, versions = self.server.hmget(self.p + "url:" + url, ["text_digest", "versions"])
        how = "changed" if previous is not None and previous != digest else "new"
        columns: dict[str, Any] = {
            "outcome": "article", "done_at": now, "attempts": 0, "redirect_to": None, "error": None,
            "text_digest": digest, "versions": int(versions or 0) + 1,
        }
        if how == "changed":
            columns["changed_at"] = now
        self._upsert(url, fetch, run_id, now, **columns)
        self._resolve_redirects(url, now, run_id)
        return how

    # --- after a killed run ----------------------------------------------------------------------

    def forget_lost(self, run_id: str, record_exists: Callable[[str, int], bool]) -> list[str]:
        lost = [row.url for row in self.urls(run_id=run_id)
                if row.warc_file is not None and not record_exists(row.warc_file, int(row.warc_offset or 0))]
        pipe = self.server.pipeline(transaction=True)
        for url in lost:
            key = self.p + "url:" + url
            pipe.hset(key, "outcome", "lost")
            pipe.hdel(key, "done_at", "text_digest", "warc_file", "warc_offset", "warc_record_id")
        pipe.execute()
        return lost

    def adopt_article(self, article: Mapping[str, Any], run_id: str) -> bool:
        from contextlib import suppress
        from datetime import datetime

        url = str(article.get("source_url") or article.get("url"))
        digest = text_digest(article.get("title"), article.get("text"))
        row = self.get(url)
        if row is not None and row.done_at is not None and row.text_digest == digest:
            return False
        fetch = Fetch(fetched_url=str(article.get("url")), outlet=str(article.get("outlet") or ""), kind="article",
                      status=article.get("status"), warc=article.get("warc"), verdict="article")
        when = None
        with suppress(TypeError, ValueError):
            when = stamp(datetime.fromisoformat(str(article.get("fetched_at"))))
        self.article_archived(url, fetch, run_id, digest, when=when)
        return True


def open_state(settings: Any, path: Any) -> Any:
    """The run state a crawl uses: Redis with a shared frontier (``REDIS_URL``), else ``state.sqlite``."""
    if settings.get("REDIS_URL"):
        from crawler.redis_addon import worker_id

        return RedisStateStore.shared(settings["REDIS_URL"], settings.get("REDIS_KEY_PREFIX") or "newsarchive",
                                      worker_id(settings))
    from crawler.state import StateStore

    return StateStore.shared(path)
