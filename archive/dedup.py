"""The persistent digest index of an output folder: ``indexes/digests.sqlite``.

Two questions are asked of it at every capture, so it must answer fast and survive runs:

* *Has this payload been archived already?* (``payloads``: first capture of each
  WARC-Payload-Digest).  Yes: the new capture becomes a ``revisit`` record
  (identical-payload-digest profile) instead of a second copy of the bytes.
* *What did we get for this URL last time?* (``captures``: latest full capture of each
  URL with its ETag / Last-Modified).  Used for conditional GET on recrawl, and to turn a
  ``304 Not Modified`` into a server-not-modified revisit that points at the payload.

SQLite rather than a text file because both are keyed look-ups that must stay fast after
many runs, several spiders of one process share the folder, and a crash mid-write must not
corrupt it (SQLite's journal).  It is an index, not the record of truth: every row can be
rebuilt from the WARC files (:func:`rebuild`).  So rows are kept in memory and written in
batches (every :data:`FLUSH_ROWS` rows or :data:`FLUSH_SECONDS`, and on close), each batch
one short transaction in WAL mode with ``synchronous=NORMAL``: a transaction per capture
cost more than compressing the page.  Look-ups see the unwritten rows too.  A crash loses
at most the last batch; those payloads are simply written in full again next time, and
``newsarchive archive index`` rebuilds the index exactly.  No write lock is held between
batches.  A row is only added after its record is on disk, so the index never points ahead
of the WARCs.  File names are final names (without ``.open``).

Spiders of one process share one connection (:meth:`DigestIndex.shared`): separate
connections to one file would make them wait on each other's locks.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, ClassVar

INDEX_NAME = "digests.sqlite"
FLUSH_ROWS = 2000
FLUSH_SECONDS = 5.0
#: Beside ``warc/``, not in it: tools that glob ``warc/*`` must find WARC files only.
INDEX_DIR = "indexes"


def index_path_for(warc_folder: Path | str) -> Path | None:
    """The digest index that describes a folder of WARCs, if there is one.

    ``OUTPUT/indexes/digests.sqlite`` for a crawl's ``OUTPUT/warc``; an index lying in the
    folder itself (WARCs and index copied elsewhere together) is accepted too.
    """
    folder = Path(warc_folder)
    for candidate in (folder / INDEX_NAME, folder.parent / INDEX_DIR / INDEX_NAME):
        if candidate.exists():
            return candidate
    return None

_SCHEMA = """
CREATE TABLE IF NOT EXISTS payloads (
    digest TEXT PRIMARY KEY,
    uri TEXT NOT NULL,
    date TEXT NOT NULL,
    record_id TEXT NOT NULL,
    file TEXT NOT NULL,
    offset INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS payloads_record_id ON payloads(record_id);
CREATE TABLE IF NOT EXISTS captures (
    uri TEXT PRIMARY KEY,
    date TEXT NOT NULL,
    record_id TEXT NOT NULL,
    file TEXT NOT NULL,
    offset INTEGER NOT NULL,
    digest TEXT NOT NULL,
    status INTEGER NOT NULL,
    etag TEXT,
    last_modified TEXT
);
"""


@dataclass(frozen=True, slots=True)
class Original:
    """Where a payload was first archived: what a revisit record refers to.

    ``record_id``/``file``/``offset`` always name a full ``response`` record (never a
    revisit), so resolving any revisit takes a single hop.
    """

    uri: str
    date: str
    record_id: str
    file: str
    offset: int
    digest: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Original:
        return cls(
            uri=str(data["uri"]), date=str(data["date"]), record_id=str(data["record_id"]),
            file=str(data["file"]), offset=int(data["offset"]), digest=str(data["digest"]),
        )


@dataclass(frozen=True, slots=True)
class Capture:
    """The latest full capture of a URL: its validators and where its payload lives."""

    original: Original
    status: int
    etag: str | None
    last_modified: str | None


class DigestIndex:
    """Thread-safe access to one ``digests.sqlite`` (the reactor reads, the writer thread writes)."""

    _shared: ClassVar[dict[Path, tuple[DigestIndex, int]]] = {}
    _shared_lock: ClassVar[threading.Lock] = threading.Lock()

    @classmethod
    def shared(cls, path: Path | str) -> DigestIndex:
        """The process-wide instance for ``path``; give it back with :meth:`release`."""
        key = Path(path).resolve()
        with cls._shared_lock:
            index, users = cls._shared.get(key, (None, 0))
            if index is None:
                index = cls(key)
            cls._shared[key] = (index, users + 1)
            return index

    def release(self) -> None:
        """Drop one user of a shared instance; the last one closes it."""
        key = self.path.resolve()
        with self._shared_lock:
            index, users = self._shared.get(key, (None, 0))
            if index is not self:
                self.close()
                return
            if users > 1:
                self._shared[key] = (self, users - 1)
                return
            del self._shared[key]
        self.close()

    def __init__(self, path: Path | str, *, readonly: bool = False) -> None:
        """Open (and create) the index; ``readonly`` for readers, which must not alter an archive."""
        self.path = Path(path)
        self._lock = threading.Lock()
        self._reader = None
        self._readonly = readonly
        self._new_payloads = {}
        self._new_by_id = {}
        self._new_captures = {}
        if readonly:
            self._db = sqlite3.connect(
                f"{self.path.resolve().as_uri()}?mode=ro", uri=True, timeout=30, check_same_thread=False
            )
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: autocommit, each statement is its own short transaction, so
        # another spider (or process) sharing the file is never locked out for long.
        self._db = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        self._new_payloads: dict[str, Original] = {}
        self._new_by_id: dict[str, Original] = {}
        self._new_captures: dict[str, tuple[Any, ...]] = {}
        self._last_flush = time.monotonic()
        # Conditional-GET look-ups come from the reactor thread for every request; a second
        # connection lets them read committed rows (earlier runs) without waiting for the
        # writer thread's transaction.
        self._reader: sqlite3.Connection | None = sqlite3.connect(
            self.path, timeout=30, isolation_level=None, check_same_thread=False
        )
        self._reader_lock = threading.Lock()

    # ------------------------------------------------------------------ look-ups

    def original(self, digest: str) -> Original | None:
        """The first archived capture of this payload digest, if any."""
        with self._lock:
            found = self._new_payloads.get(digest)
            if found is not None:
                return found
            row = self._db.execute(
                "SELECT uri, date, record_id, file, offset, digest FROM payloads WHERE digest = ?", (digest,)
            ).fetchone()
        return Original(*row) if row else None

    def by_record_id(self, record_id: str) -> Original | None:
        """The original response record with this WARC-Record-ID (resolving WARC-Refers-To)."""
        with self._lock:
            found = self._new_by_id.get(record_id)
            if found is not None:
                return found
            row = self._db.execute(
                "SELECT uri, date, record_id, file, offset, digest FROM payloads WHERE record_id = ?",
                (record_id,),
            ).fetchone()
        return Original(*row) if row else None

    def has_validators_under(self, prefix: str) -> bool:
        """Is there any capture with an ETag or Last-Modified whose URI starts with ``prefix``?

        One range query per host lets a crawl skip the per-request look-up entirely where
        there is nothing to revalidate (a first crawl, a site without validators).
        """
        db, lock = (self._reader, self._reader_lock) if self._reader is not None else (self._db, self._lock)
        with lock:
            row = db.execute(
                "SELECT 1 FROM captures WHERE uri >= ? AND uri < ? AND (etag IS NOT NULL OR last_modified IS NOT NULL) "
                "LIMIT 1",
                (prefix, prefix + "\U0010ffff"),
            ).fetchone()
        return row is not None

    def capture(self, uri: str) -> Capture | None:
        """The latest full capture of ``uri`` (validators for a conditional GET).

        Reads committed rows only (earlier runs, and this one up to a second ago): enough to
        revalidate, and never blocked by the writer thread.
        """
        db, lock = (self._reader, self._reader_lock) if self._reader is not None else (self._db, self._lock)
        with lock:
            row = db.execute(
                "SELECT c.uri, c.date, c.record_id, c.file, c.offset, c.digest, c.status, c.etag, "
                "c.last_modified FROM captures c WHERE c.uri = ?",
                (uri,),
            ).fetchone()
        if not row:
            return None
        return Capture(Original(*row[:6]), status=row[6], etag=row[7], last_modified=row[8])

    # ------------------------------------------------------------------ updates

    def add_original(self, original: Original) -> None:
        """Remember the first capture of a payload (later ones keep pointing to it)."""
        self.record(original=original)

    def set_capture(self, uri: str, original: Original, status: int, etag: str | None, last_modified: str | None) -> None:
        """Record ``uri``'s latest full capture; ``original`` is where its payload is stored."""
        self.record(capture=(uri, original, status, etag, last_modified))

    def record(
        self,
        *,
        original: Original | None = None,
        capture: tuple[str, Original, int, str | None, str | None] | None = None,
    ) -> None:
        """What one capture adds: a new payload, the URL's latest capture (written in batches)."""
        with self._lock:
            if original is not None and original.digest not in self._new_payloads:
                self._new_payloads[original.digest] = original
                self._new_by_id[original.record_id] = original
            if capture is not None:
                uri, where, status, etag, last_modified = capture
                self._new_captures[uri] = (uri, where.date, where.record_id, where.file, where.offset, where.digest,
                                           status, etag, last_modified)
            if (
                len(self._new_payloads) + len(self._new_captures) >= FLUSH_ROWS
                or time.monotonic() - self._last_flush >= FLUSH_SECONDS
            ):
                self._flush()

    def flush(self) -> None:
        """Write the rows kept in memory (other connections and processes see them from then on)."""
        with self._lock:
            self._flush()

    def close(self) -> None:
        with self._lock:
            if not self._readonly:
                self._flush()
            if self._reader is not None:
                self._reader.close()
                self._reader = None
            self._db.close()

    def _flush(self) -> None:
        self._last_flush = time.monotonic()
        if not (self._new_payloads or self._new_captures):
            return
        with self._db:
            self._db.execute("BEGIN")
            self._db.executemany(
                "INSERT OR IGNORE INTO payloads (digest, uri, date, record_id, file, offset) VALUES (?,?,?,?,?,?)",
                [(o.digest, o.uri, o.date, o.record_id, o.file, o.offset) for o in self._new_payloads.values()],
            )
            self._db.executemany(
                "INSERT OR REPLACE INTO captures (uri, date, record_id, file, offset, digest, status, etag, "
                "last_modified) VALUES (?,?,?,?,?,?,?,?,?)",
                list(self._new_captures.values()),
            )
        self._new_payloads.clear()
        self._new_by_id.clear()
        self._new_captures.clear()


def rebuild(index_path: Path | str, warc_files: Iterable[Path]) -> int:
    """Re-create the index from WARC files (after a crash, or for WARCs copied in); returns rows added.

    Files are read in name order, which is capture order for newsarchive's names, so the
    first capture of a payload stays the original and the last capture of a URL its latest.
    """
    from archive.reader import iter_records, stored_name  # local: the reader imports this module

    index_path = Path(index_path)
    index_path.unlink(missing_ok=True)
    for suffix in ("-wal", "-shm"):
        Path(str(index_path) + suffix).unlink(missing_ok=True)
    index = DigestIndex(index_path)
    added = 0
    try:
        for path in sorted(warc_files, key=lambda p: stored_name(p)):
            name = stored_name(path)
            for offset, record in iter_records(path):
                if record.rec_type not in ("response", "revisit") or record.http_headers is None:
                    continue
                headers = record.rec_headers
                digest = headers.get_header("WARC-Payload-Digest") or ""
                uri = headers.get_header("WARC-Target-URI") or ""
                status = int(record.http_headers.get_statuscode() or 0)
                if record.rec_type == "response":
                    original = Original(
                        uri=uri, date=headers.get_header("WARC-Date") or "",
                        record_id=headers.get_header("WARC-Record-ID") or "", file=name, offset=offset,
                        digest=digest,
                    )
                    truncated = headers.get_header("WARC-Truncated")
                    if record.payload_length and dedup_eligible(status, truncated):
                        index.add_original(original)
                        added += 1
                else:
                    found = index.by_record_id(headers.get_header("WARC-Refers-To") or "")
                    if found is None or status == 304:
                        continue
                    original = found
                if 200 <= status < 300 and not headers.get_header("WARC-Truncated"):
                    index.set_capture(
                        uri, original, status, record.http_headers.get_header("ETag"),
                        record.http_headers.get_header("Last-Modified"),
                    )
    finally:
        index.close()
    return added


def dedup_eligible(status: int, truncated: str | None) -> bool:
    """Which captures take part in deduplication: complete 2xx payloads.

    Error pages and redirects are small and their sameness says nothing worth saving; a
    truncated payload must never stand in for a complete one (nor the reverse).
    """
    return 200 <= status < 300 and status != 206 and not truncated
