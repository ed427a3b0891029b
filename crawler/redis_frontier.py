"""A shared frontier on Redis: scrapy-redis's scheduler and duplicate filter, made safe for workers that die.

Why scrapy-redis and not a home-made queue: it is what the Scrapy world runs for exactly this (a
priority queue in a sorted set, a duplicate filter in a set, requests serialised with Scrapy's own
``Request.to_dict``), and operators know its keys. What it lacks for an archive is what this module adds:

* **Leases.** scrapy-redis pops a request destructively (``ZRANGE`` + ``ZREMRANGEBYRANK``): a worker
  killed with requests in flight loses them, and the duplicate filter stops anyone else from asking
  again. Here a pop moves the request, in the same Lua script, into the worker's lease hash
  (``...:leases:<lease id>``); the lease is returned when the request's life is over: its callback's
  output has been processed (items written, new requests pushed: :class:`LeaseMiddleware`, the
  outermost spider middleware), its download failed for good (the ``download_failed`` signal), or a
  downloader middleware replaced it (a redirect, pushed in its place). Every worker heartbeats
  (``...:workers``, a sorted set scored by Redis's own clock, so machines need not agree on the time);
  a worker silent for ``REDIS_LEASE_TIMEOUT`` seconds is dead, and the first live worker to notice puts
  its leased requests back in the queue. A worker that stops early (``--max-pages``, SIGTERM) gives its
  leases back at once.
* **Crawl generations.** ``newsarchive run`` fetches the discovery pages every run, so the duplicate
  filter cannot live forever. The first worker to open a spider when no crawl of it is going starts a
  generation (``<prefix>:<spider>:crawl``); workers that start while it goes join it; the last one to
  leave a finished generation (empty queue, no leases, no other live worker) deletes its queue, filter
  and article set. A generation left unfinished (all its workers killed, or stopped by ``--max-pages``)
  is joined and finished by the next worker that starts, after the dead workers' leases have expired.
* **Seeds.** Every worker's ``OutletSpider.start()`` yields the outlet's seeds; the shared duplicate
  filter lets the first copy of each through and drops the others. Pushing them from every worker is
  deliberate: any worker may start a generation, and nobody has to be "the first".
* **Local requests.** A request that cannot be serialised (the probe of ``crawler.probe``, whose callback
  is a middleware's method, not the spider's) belongs to the worker that made it and stays in a local
  queue; so do retries of a leased request (the worker holds its lease already).
* **Probes.** Each worker judges pages with its own per-host evidence, so article requests are held for
  the host's probe when they are *popped* (still leased, so nothing is lost on a kill), not when they are
  made (they would sit in the memory of the worker that found them).

Enabled by :class:`crawler.redis_addon.RedisFrontierAddon` when ``REDIS_URL`` is set; without it nothing here is loaded.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from scrapy import Request, Spider, signals
from scrapy.exceptions import DontCloseSpider, NotConfigured
from scrapy.http import Response
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.queue import PriorityQueue
from scrapy_redis.scheduler import Scheduler
from twisted.python.failure import Failure
from w3lib.url import canonicalize_url

from crawler import signals as na_signals
from crawler.redis_addon import worker_id

if TYPE_CHECKING:
    from redis import Redis
    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings

logger = logging.getLogger(__name__)

#: Request meta: the lease field of the popped request this one is, or descends from (copied by
#: Scrapy's redirect and retry middlewares with the rest of meta).
LEASE_META = "newsarchive_lease"

# Pop the best request and lease it, atomically. KEYS: queue, leases. Returns {data, score, field}.
_POP = """
local items = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #items == 0 then return nil end
redis.call('ZREM', KEYS[1], items[1])
local field = redis.sha1hex(items[1])
redis.call('HSET', KEYS[2], field, items[2] .. '|' .. items[1])
return {items[1], items[2], field}
"""

# Put every lease of KEYS[2] back into the queue KEYS[1] and delete the lease hash.
_RETURN = """
local leases = redis.call('HGETALL', KEYS[2])
for i = 1, #leases, 2 do
  local value = leases[i + 1]
  local bar = string.find(value, '|', 1, true)
  redis.call('ZADD', KEYS[1], tonumber(string.sub(value, 1, bar - 1)), string.sub(value, bar + 1))
end
redis.call('DEL', KEYS[2])
return #leases / 2
"""

# Join (or start) the spider's crawl generation. KEYS: crawl pointer, ARGV: new id, lease id, now.
_JOIN = """
local crawl = redis.call('GET', KEYS[1])
if not crawl then
  crawl = ARGV[1]
  redis.call('SET', KEYS[1], crawl)
end
redis.call('ZADD', KEYS[1] .. ':' .. crawl .. ':workers', ARGV[3], ARGV[2])
return crawl
"""

# Reclaim the leases of workers silent since ARGV[1]. KEYS: workers, queue; ARGV[2]: lease key prefix.
_RECLAIM = """
local dead = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
local moved = 0
for _, worker in ipairs(dead) do
  local leases = redis.call('HGETALL', ARGV[2] .. worker)
  for i = 1, #leases, 2 do
    local value = leases[i + 1]
    local bar = string.find(value, '|', 1, true)
    redis.call('ZADD', KEYS[2], tonumber(string.sub(value, 1, bar - 1)), string.sub(value, bar + 1))
    moved = moved + 1
  end
  redis.call('DEL', ARGV[2] .. worker)
  redis.call('ZREM', KEYS[1], worker)
end
return {#dead, moved}
"""

# Leave the generation; the last worker out of a finished one deletes it. KEYS: crawl pointer, workers,
# queue; ARGV: crawl id, lease id, lease key prefix, stale-before time, keys to delete when finished...
_LEAVE = """
redis.call('ZREM', KEYS[2], ARGV[2])
redis.call('DEL', ARGV[3] .. ARGV[2])
local others = redis.call('ZRANGEBYSCORE', KEYS[2], '(' .. ARGV[4], '+inf')
if #others > 0 or redis.call('ZCARD', KEYS[3]) > 0 then return 0 end
local all = redis.call('ZRANGE', KEYS[2], 0, -1)
for _, worker in ipairs(all) do
  if redis.call('HLEN', ARGV[3] .. worker) > 0 then return 0 end
end
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
for i = 5, #ARGV do redis.call('DEL', ARGV[i]) end
redis.call('DEL', KEYS[2])
return 1
"""


def redis_client(settings: BaseSettings) -> Redis:
    """A client for ``REDIS_URL`` (scrapy-redis's connection defaults: timeouts, retry on timeout)."""
    from scrapy_redis.connection import get_redis_from_settings

    return get_redis_from_settings(settings)


class LeasedPriorityQueue(PriorityQueue):
    """scrapy-redis's priority queue whose ``pop`` leases what it pops (see the module docstring)."""

    def __init__(self, server: Redis, spider: Spider, key: str, leases_key: str, serializer: Any = None) -> None:
        super().__init__(server, spider, key, serializer=serializer)
        self.leases_key = leases_key
        self._pop = server.register_script(_POP)

    def pop_leased(self) -> tuple[Request, str] | None:
        found = self._pop(keys=[self.key, self.leases_key])
        if not found:
            return None
        data, _score, field = found
        return self._decode_request(data), field.decode() if isinstance(field, bytes) else str(field)

    def encode(self, request: Request) -> bytes:
        return self._encode_request(request)


class RedisFrontierScheduler(Scheduler):
    """scrapy-redis's Scheduler with leases, heartbeats, crawl generations and a local queue.

    Keys (``REDIS_KEY_PREFIX``, default ``newsarchive``)::

        <prefix>:<spider>:crawl                          id of the current generation
        <prefix>:<spider>:<crawl>:requests               the queue (sorted set, scrapy-redis format)
        <prefix>:<spider>:<crawl>:dupefilter             request fingerprints (scrapy-redis RFPDupeFilter)
        <prefix>:<spider>:<crawl>:workers                lease id -> last heartbeat (Redis time)
        <prefix>:<spider>:<crawl>:leases:<lease id>      lease field -> "score|request" in flight
        <prefix>:<spider>:<crawl>:articles               article URLs written (crawler.redis_articles)
    """

    def __init__(self, server: Redis, crawler: Crawler, **kwargs: Any) -> None:
        super().__init__(server, **kwargs)
        settings = crawler.settings
        self.crawler = crawler
        self.prefix = settings.get("REDIS_KEY_PREFIX") or "newsarchive"
        self.heartbeat_interval = settings.getfloat("REDIS_HEARTBEAT", 5.0)
        self.lease_timeout = settings.getfloat("REDIS_LEASE_TIMEOUT", 60.0)
        self.worker = worker_id(settings)
        #: Unique per scheduler: two processes given the same worker id never share leases.
        self.lease_id = f"{self.worker}:{uuid.uuid4().hex[:8]}"
        self.crawl_id = ""
        self.base = ""
        self.local: deque[Request] = deque()
        #: Lease field -> (method, canonical URL) of the popped request.
        self.leased: dict[str, tuple[str, str]] = {}
        #: Lease fields whose response is in the spider's callback right now.
        self.in_callback: set[str] = set()
        self._loop: Any = None
        self._others_at = 0.0
        self._others = False
        self._reclaimed_at = 0.0
        crawler.newsarchive_frontier = self  # type: ignore[attr-defined]
        crawler.signals.connect(self.download_failed, signal=na_signals.download_failed)
        crawler.signals.connect(self.spider_idle, signal=signals.spider_idle)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedisFrontierScheduler:
        settings = crawler.settings
        if not settings.get("REDIS_URL"):
            raise NotConfigured("REDIS_URL is not set")
        server = redis_client(settings)
        server.ping()  # fail at start, with the URL in the message, rather than at the first pop
        instance = cls(
            server, crawler, persist=True, idle_before_close=0,
            serializer=settings.get("SCHEDULER_SERIALIZER") or None,
        )
        instance.stats = crawler.stats
        return instance

    # --- keys -----------------------------------------------------------------------------------

    def key(self, name: str) -> str:
        return f"{self.base}:{name}"

    @property
    def leases_key(self) -> str:
        return self.key(f"leases:{self.lease_id}")

    # --- life cycle -----------------------------------------------------------------------------

    def open(self, spider: Spider) -> None:
        from twisted.internet.task import LoopingCall

        self.spider = spider
        pointer = f"{self.prefix}:{spider.name}:crawl"
        new_id = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + "-" + uuid.uuid4().hex[:6]
        crawl = self.server.register_script(_JOIN)(keys=[pointer], args=[new_id, self.lease_id, self._now()])
        self.crawl_id = crawl.decode() if isinstance(crawl, bytes) else str(crawl)
        self.base = f"{pointer}:{self.crawl_id}"
        self.queue = LeasedPriorityQueue(self.server, spider, self.key("requests"), self.leases_key, self.serializer)
        self.df = RFPDupeFilter(self.server, key=self.key("dupefilter"), debug=spider.settings.getbool("DUPEFILTER_DEBUG"))
        self._return = self.server.register_script(_RETURN)
        self._reclaim = self.server.register_script(_RECLAIM)
        self._leave = self.server.register_script(_LEAVE)
        joined = "started" if self.crawl_id == new_id else "joined"
        logger.info("Shared frontier: worker %s %s crawl %s of %s (%d requests queued)", self.lease_id, joined,
                    self.crawl_id, spider.name, len(self.queue))
        self.stats.set_value("newsarchive/frontier/crawl", self.crawl_id)
        self.stats.set_value("newsarchive/frontier/worker", self.worker)
        self._loop = LoopingCall(self.heartbeat)
        self._loop.start(self.heartbeat_interval, now=True)

    def close(self, reason: str) -> None:
        if self._loop is not None and self._loop.running:
            self._loop.stop()
        if reason == "finished":
            # The engine is idle: every lease left is a request whose end went unnoticed. Drop them.
            self.leased.clear()
        else:
            returned = self._return(keys=[self.key("requests"), self.leases_key])
            if returned:
                logger.info("Shared frontier: %d requests in flight returned to the queue (%s)", returned, reason)
                self.stats.set_value("newsarchive/frontier/returned", int(returned))
        stale = self._now() - self.lease_timeout
        ended = self._leave(
            keys=[f"{self.prefix}:{self.spider.name}:crawl", self.key("workers"), self.key("requests")],
            args=[self.crawl_id, self.lease_id, self.key("leases:"), stale,
                  self.key("requests"), self.key("dupefilter"), self.key("articles")],
        )
        if ended:
            logger.info("Shared frontier: crawl %s of %s is complete", self.crawl_id, self.spider.name)
        self.stats.set_value("newsarchive/frontier/crawl_complete", bool(ended))

    # --- the scheduler API ----------------------------------------------------------------------

    def enqueue_request(self, request: Request) -> bool:
        field = request.meta.get(LEASE_META)
        identity = (request.method, canonicalize_url(request.url))
        if field and self.leased.get(field) == identity:
            # A retry of a leased request, or one the probe held back: ours, and still leased.
            self.local.append(request)
            return True
        if field is not None:
            del request.meta[LEASE_META]  # copied from the request this one replaces: not its lease
        try:
            self.queue.encode(request)
        except Exception as exc:  # ValueError (callback not a spider method), pickling errors
            if not request.dont_filter and self.df.request_seen(request):
                self.df.log(request, self.spider)
                return False
            logger.debug("Kept in this worker (%s): %s", exc, request)
            self.stats.inc_value("newsarchive/frontier/local")
            self.local.append(request)
            return True
        # scrapy-redis's enqueue_request, less its deprecated ``spider=`` argument to the stats.
        queued = True
        if not request.dont_filter and self.df.request_seen(request):
            self.df.log(request, self.spider)
            queued = False
        else:
            self.stats.inc_value("scheduler/enqueued/redis")
            self.queue.push(request)
        if field and field in self.leased and field not in self.in_callback:
            # A downloader middleware replaced the leased request (a redirect): the new one is queued.
            self.release(field)
        return queued

    def next_request(self) -> Request | None:
        if self.local:
            return self.local.popleft()
        while True:
            popped = self.queue.pop_leased()
            if popped is None:
                return None
            request, field = popped
            request.meta[LEASE_META] = field
            self.leased[field] = (request.method, canonicalize_url(request.url))
            self.stats.inc_value("scheduler/dequeued/redis")
            outputs = self._probe_hold(request)
            if outputs:
                return outputs[0]
            # Held until the host's probe is answered (still leased); take the next one.

    def has_pending_requests(self) -> bool:
        if self.local or len(self.queue) > 0:
            return True
        return self._others_busy()

    def __len__(self) -> int:
        return len(self.local) + len(self.queue)

    # --- leases ---------------------------------------------------------------------------------

    def release(self, field: str | None) -> None:
        """The request leased as ``field`` is done with: forget it here and in Redis."""
        if not field or self.leased.pop(field, None) is None:
            return
        self.in_callback.discard(field)
        self.server.hdel(self.leases_key, field)

    def download_failed(self, request: Request | None, failure: Failure, spider: Spider) -> None:
        """A download failed for good (retries are over): its state is recorded, its lease is done."""
        if request is not None:
            self.release(request.meta.get(LEASE_META))

    def spider_idle(self, spider: Spider) -> None:
        """Idle here, so leases still held ended unnoticed; stay open while other workers may add work."""
        held = self._probe_held()
        for field in [f for f in self.leased if f not in held]:
            self.release(field)
        self._reclaim_dead(force=True)
        if len(self.queue) > 0 or self._others_busy(force=True):
            self.stats.inc_value("newsarchive/frontier/idle_waits")
            raise DontCloseSpider

    def heartbeat(self) -> None:
        """Tell the others this worker lives; reclaim dead workers' leases; wake an idle engine."""
        try:
            self.server.zadd(self.key("workers"), {self.lease_id: self._now()})
            self._reclaim_dead()
            # New requests from other workers, or an end to wait for: look now, not at the engine's 5 s beat.
            self._wake()
        except Exception:
            logger.exception("Shared frontier heartbeat failed")

    def _reclaim_dead(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._reclaimed_at < self.heartbeat_interval:
            return
        self._reclaimed_at = now
        dead, moved = self._reclaim(
            keys=[self.key("workers"), self.key("requests")],
            args=[self._now() - self.lease_timeout, self.key("leases:")],
        )
        if dead:
            logger.warning("Shared frontier: %d silent workers dropped, %d of their requests queued again", dead, moved)
            self.stats.inc_value("newsarchive/frontier/reclaimed", int(moved))

    def _others_busy(self, force: bool = False) -> bool:
        """Do other workers hold leases (their callbacks may add requests), or did any die with some?"""
        now = time.monotonic()
        if not force and now - self._others_at < 0.5:
            return self._others
        self._others_at = now
        workers = [w.decode() if isinstance(w, bytes) else str(w) for w in self.server.zrange(self.key("workers"), 0, -1)]
        pipe = self.server.pipeline(transaction=False)
        others = [w for w in workers if w != self.lease_id]
        for worker in others:
            pipe.hlen(self.key(f"leases:{worker}"))
        self._others = any(int(n) > 0 for n in pipe.execute()) if others else False
        return self._others

    def _now(self) -> float:
        seconds, micros = self.server.time()
        return seconds + micros / 1e6

    def _wake(self) -> None:
        """Ask the engine for requests now rather than at its next 5-second heartbeat."""
        slot = getattr(getattr(self.crawler, "engine", None), "_slot", None)
        nextcall = getattr(slot, "nextcall", None)
        if nextcall is not None:
            nextcall.schedule()

    # --- the probe (crawler.probe), at pop time ------------------------------------------------

    def _probe_middleware(self) -> Any:
        from crawler.probe import ProbeMiddleware

        spidermw = getattr(getattr(getattr(self.crawler, "engine", None), "scraper", None), "spidermw", None)
        for mw in getattr(spidermw, "middlewares", ()):
            if isinstance(mw, ProbeMiddleware):
                return mw
        return None

    def _probe_hold(self, request: Request) -> list[Request]:
        """Through ProbeMiddleware as if just made: the request, its host's probe, or nothing (held)."""
        mw = self._probe_middleware()
        if mw is None:
            return [request]
        outputs = mw.process_popped(request)
        return [o for o in outputs if isinstance(o, Request)]

    def _probe_held(self) -> set[str]:
        evidence = getattr(self.spider, "evidence", None)
        hosts = getattr(evidence, "hosts", {}) or {}
        return {r.meta.get(LEASE_META) for h in hosts.values() for r in getattr(h, "pending", ())} - {None}


class LeaseMiddleware:
    """Spider middleware (outermost, order 1): a response's lease ends when its callback's output has
    been processed: every item through the pipelines, every new request in the shared queue."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> LeaseMiddleware:
        return cls(crawler)

    def _frontier(self) -> RedisFrontierScheduler | None:
        return getattr(self.crawler, "newsarchive_frontier", None)

    def process_spider_input(self, response: Response) -> None:
        frontier = self._frontier()
        field = response.meta.get(LEASE_META) if response.request is not None else None
        if frontier is not None and field:
            frontier.in_callback.add(field)

    def _done(self, response: Response) -> None:
        frontier = self._frontier()
        if frontier is not None and response.request is not None:
            frontier.release(response.meta.get(LEASE_META))

    def process_spider_output(self, response: Response, result: Iterable[Any]) -> Iterator[Any]:
        try:
            yield from result
        finally:
            self._done(response)

    async def process_spider_output_async(self, response: Response, result: AsyncIterator[Any]) -> AsyncIterator[Any]:
        try:
            async for output in result:
                yield output
        finally:
            self._done(response)

    def process_spider_exception(self, response: Response, exception: Exception) -> None:
        self._done(response)
