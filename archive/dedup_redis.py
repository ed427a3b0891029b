"""The digest index of :mod:`archive.dedup` on Redis, for workers sharing one frontier.

Workers on several machines archive one collection; a payload one of them archived must become a
``revisit`` when another meets it, and a page one of them captured must be revalidated by whichever
worker fetches it next. So the two questions of :class:`archive.dedup.DigestIndex` (first capture of a
payload digest; latest capture of a URL with its validators) are answered from Redis::

    <prefix>:dedup:payloads     hash   digest -> Original (JSON); HSETNX: the first capture stays the original
    <prefix>:dedup:records      hash   record id -> Original (JSON); revisits resolve in one hop
    <prefix>:dedup:captures     hash   URL -> latest full capture (JSON: Original, status, ETag, Last-Modified)
    <prefix>:dedup:validators   set    origins with at least one ETag or Last-Modified

Every row is also written to the worker's local ``indexes/digests.sqlite`` (when given), so the
archive tools reading an output folder (``extract``, ``show``, the reader's revisit resolution) work as
they do after a single-process crawl. Redis is written at once (a row per capture costs one round trip,
far less than compressing the page): another worker must see a payload as soon as it is on disk. As
for SQLite, a row is only added after its record is written, so the index never points ahead of the
WARCs. The local SQLite file can be rebuilt from the WARCs (``newsarchive archive index``); the Redis
keys hold what every worker wrote and are kept for as long as the collection is crawled.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlsplit

from archive.dedup import Capture, DigestIndex, Original


class RedisDigestIndex:
    """Same interface as :class:`archive.dedup.DigestIndex`; thread-safe (the writer thread records)."""

    _shared: ClassVar[dict[tuple[str, str, str], tuple[RedisDigestIndex, int]]] = {}
    _shared_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, url: str, prefix: str = "newsarchive", local: Path | str | None = None) -> None:
        import redis

        self.url = url
        self.prefix = prefix
        self.server = redis.Redis.from_url(url, socket_timeout=30, socket_connect_timeout=30, retry_on_timeout=True)
        self.local = DigestIndex.shared(local) if local is not None else None
        self._key = f"{prefix}:dedup:"
        self._shared_key: tuple[str, str, str] | None = None

    @classmethod
    def shared(cls, url: str, prefix: str, local: Path | str | None) -> RedisDigestIndex:
        """One instance per process for these (spiders of one ``newsarchive run``); give it back with release."""
        key = (url, prefix, str(Path(local).resolve()) if local is not None else "")
        with cls._shared_lock:
            index, users = cls._shared.get(key, (None, 0))
            if index is None:
                index = cls(url, prefix, local)
                index._shared_key = key
            cls._shared[key] = (index, users + 1)
            return index

    def release(self) -> None:
        key = self._shared_key
        with self._shared_lock:
            index, users = self._shared.get(key, (None, 0)) if key else (None, 0)
            if index is self and users > 1:
                self._shared[key] = (self, users - 1)  # type: ignore[index]
                return
            if index is self:
                del self._shared[key]  # type: ignore[arg-type]
        self.close()

    # ------------------------------------------------------------------ look-ups

    def original(self, digest: str) -> Original | None:
        raw = self.server.hget(self._key + "payloads", digest)
        return Original.from_dict(json.loads(raw)) if raw else None

    def by_record_id(self, record_id: str) -> Original | None:
        raw = self.server.hget(self._key + "records", record_id)
        return Original.from_dict(json.loads(raw)) if raw else None

    def has_validators_under(self, prefix: str) -> bool:
        parts = urlsplit(prefix)
        return bool(self.server.sismember(self._key + "validators", f"{parts.scheme}://{parts.netloc}/"))

    def capture(self, uri: str) -> Capture | None:
        raw = self.server.hget(self._key + "captures", uri)
        if not raw:
            return None
        data: dict[str, Any] = json.loads(raw)
        return Capture(Original.from_dict(data["original"]), status=int(data["status"]), etag=data.get("etag"),
                       last_modified=data.get("last_modified"))

    # ------------------------------------------------------------------ updates

    def add_original(self, original: Original) -> None:
        self.record(original=original)

    def set_capture(self, uri: str, original: Original, status: int, etag: str | None, last_modified: str | None) -> None:
        self.record(capture=(uri, original, status, etag, last_modified))

    def record(
        self,
        *,
        original: Original | None = None,
        capture: tuple[str, Original, int, str | None, str | None] | None = None,
    ) -> None:
        pipe = self.server.pipeline(transaction=False)
        if original is not None:
            body = json.dumps(original.as_dict())
            pipe.hsetnx(self._key + "payloads", original.digest, body)
            pipe.hsetnx(self._key + "records", original.record_id, body)
        if capture is not None:
            uri, where, status, etag, last_modified = capture
            pipe.hset(self._key + "captures", uri, json.dumps(
                {"original": where.as_dict(), "status": status, "etag": etag, "last_modified": last_modified}))
            if etag or last_modified:
                parts = urlsplit(uri)
                pipe.sadd(self._key + "validators", f"{parts.scheme}://{parts.netloc}/")
        pipe.execute()
        if self.local is not None:
            self.local.record(original=original, capture=capture)

    def flush(self) -> None:
        if self.local is not None:
            self.local.flush()

    def close(self) -> None:
        if self.local is not None:
            self.local.release()
            self.local = None
        self.server.close()
