"""Captures of a URL across an archive, from its CDXJ indexes: ``captures``, ``show``, ``diff``, ``replay``.

The CDXJ files a crawl writes (``OUTPUT/indexes/*.cdxj``, see :mod:`archive.cdxj`) are sorted by
SURT key, the order pywb relies on.  :class:`SortedIndex` answers a look-up by binary search over
the file's bytes, reading a few dozen lines of an index of any size, so asking for one URL never
loads an index into memory (pywb's own ``CDXJ`` readers do the same).

A URL can be asked for as the outlet's URL (``https://menafn.com/1109.../Slug``) or as the URL
really fetched (a replica URL ``http://127.0.0.1:8765/menafn.com/1109.../Slug``): archived records
keep the fetched URL, so an outlet URL is looked up under every replica base the index holds
(found by skipping from host to host through the sorted keys, again by binary search) as well as
under its own key.

The verdict of a capture is not in the index (pywb's format has no place for it); it is in the
metadata record newsarchive writes shortly after the response, which :meth:`Captures.metadata`
finds by reading forward from the capture, a bounded number of records.
"""

from __future__ import annotations

import contextlib
import importlib
import ipaddress
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType, ModuleType
from typing import IO, Any
from urllib.parse import urlsplit

from archive.audit import ScannedRecord, ScanProblem, read_head, read_record, resolve_inputs, scan_file

#: Records read forward from a capture to find its metadata record before giving up.
METADATA_SEARCH_RECORDS = 400


class CaptureError(Exception):
    """A capture cannot be read (file missing or damaged, revisit unresolved): said in words."""


# =============================================================================== the index


class SortedIndex:
    """One sorted CDXJ file, searched by binary search over byte offsets.

    Lines are compared as bytes, which is the order ``LC_ALL=C sort`` (and :mod:`archive.cdxj`)
    writes.  ``lower_bound`` returns a byte position; the answer is the first line starting at or
    after it.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fh: IO[bytes] = path.open("rb")
        self.size = os.fstat(self._fh.fileno()).st_size
        self._bases: set[str] | None = None

    def close(self) -> None:
        self._fh.close()

    def _line_from(self, position: int) -> tuple[int, bytes] | None:
        """The first whole line that starts at or after ``position``."""
        fh = self._fh
        if position <= 0:
            fh.seek(0)
        else:
            fh.seek(position - 1)
            if fh.read(1) != b"\n":
                fh.readline()
        start = fh.tell()
        line = fh.readline()
        return (start, line) if line else None

    def lower_bound(self, key: bytes) -> int:
        low, high = 0, self.size
        while low < high:
            middle = (low + high) // 2
            found = self._line_from(middle)
            if found is None or found[1] >= key:
                high = middle
            else:
                low = found[0] + len(found[1])
        return low

    def lines_from(self, position: int) -> Iterator[bytes]:
        found = self._line_from(position)
        if found is None:
            return
        yield found[1]
        while line := self._fh.readline():
            yield line

    def lookup(self, key: str) -> Iterator[tuple[str, dict[str, Any]]]:
        """(timestamp, fields) of every line whose SURT key is exactly ``key``."""
        prefix = key.encode("utf-8") + b" "
        for line in self.lines_from(self.lower_bound(prefix)):
            if not line.startswith(prefix):
                return
            parsed = parse_line(line)
            if parsed is not None:
                yield parsed[1], parsed[2]

    def replica_bases(self) -> set[str]:
        """``scheme://host:port`` of every loopback host in the index (where replica captures live).

        One binary search per host: keys of a host share the prefix ``HOST)``, so the next host
        starts at the first line not below ``HOST)0`` (``0`` sorts after the ``/`` that follows).
        """
        if self._bases is not None:
            return self._bases
        bases: set[str] = set()
        position = 0
        while (found := self._line_from(position)) is not None:
            start, line = found
            key = line.split(b" ", 1)[0]
            host, paren, _ = key.partition(b")")
            parsed = parse_line(line)
            if parsed is not None:
                parts = urlsplit(parsed[2].get("url", ""))
                if _loopback(parts.hostname or ""):
                    bases.add(f"{parts.scheme}://{parts.netloc}")
            following = self.lower_bound(host + b")0" if paren else key + b"!")
            position = max(following, start + len(line))
        self._bases = bases
        return bases


def _cdxj() -> ModuleType:
    """:mod:`archive.cdxj`, imported without the pkg_resources warning cdxj-indexer's AMF support prints.

    The warning is about a third-party dependency's packaging, not about anything the user can act on,
    and it would land in the middle of ``show --raw`` diagnostics.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        import archive.cdxj

        with contextlib.suppress(ImportError):  # cdxj-indexer imports it on first use, noisily
            importlib.import_module("pyamf.adapters")
    return archive.cdxj


def parse_line(line: bytes) -> tuple[str, str, dict[str, Any]] | None:
    """(key, timestamp, fields) of a CDXJ line; None for headers and anything unparsable."""
    parts = line.rstrip(b"\r\n").split(b" ", 2)
    if len(parts) < 3:
        return None
    try:
        fields = json.loads(parts[2])
    except ValueError:
        return None
    if not isinstance(fields, dict):
        return None
    return parts[0].decode("utf-8", "replace"), parts[1].decode("ascii", "replace"), fields


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


# =============================================================================== captures


@dataclass(frozen=True)
class Capture:
    """One CDXJ line: a response or revisit record of a URL."""

    url: str
    timestamp: str
    status: str
    mime: str | None
    digest: str
    length: int
    offset: int
    filename: str

    @property
    def revisit(self) -> bool:
        return self.mime == "warc/revisit"

    @property
    def when(self) -> datetime:
        return datetime.strptime(self.timestamp.ljust(14, "0")[:14], "%Y%m%d%H%M%S").replace(tzinfo=UTC)

    @property
    def iso(self) -> str:
        return self.when.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class LoadedCapture:
    """A capture read back: its record (a revisit resolved to its original's payload).

    ``payload`` is exactly the stored entity (content-encoding kept), ``body`` what a browser parses.
    ``problems`` are integrity findings on the records read (digest mismatches), to be shown.
    """

    capture: Capture
    record: ScannedRecord
    original: ScannedRecord | None
    status: int
    headers: list[tuple[str, str]]
    payload: bytes
    body: bytes
    content_type: str | None
    problems: list[str] = field(default_factory=list)

    @property
    def status_line(self) -> str:
        http = self.record.http
        return http.first_line if http is not None else f"HTTP/1.1 {self.status}"


class Captures:
    """The captures of one archive (output folder, folder of WARCs, or WARC files), by URL.

    Without a CDXJ index (WARC files from elsewhere, a crawl killed before it closed) the WARCs
    are indexed with cdxj-indexer into a temporary file first; ``notes`` says so.
    """

    def __init__(self, paths: Sequence[Path | str]) -> None:
        inputs = resolve_inputs(paths)
        self.warcs = {p.name.removesuffix(".open"): p for p in inputs.warcs}
        self.articles = inputs.articles
        self.notes: list[str] = []
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        index_paths = list(inputs.indexes)
        if not index_paths and inputs.warcs:
            index_paths = [self._adhoc_index([p for p in inputs.warcs if not p.name.endswith(".open")])]
        self.indexes = [SortedIndex(p) for p in index_paths if p.exists()]

    def _adhoc_index(self, warcs: list[Path]) -> Path:
        self._tmp = tempfile.TemporaryDirectory(prefix="newsarchive-cdxj-")
        target = Path(self._tmp.name) / "adhoc.cdxj"
        try:
            _cdxj().index_files(warcs, target)
        except Exception as exc:  # cdxj-indexer stops at damage: say so, and carry on without
            self.notes.append(f"indexing the WARC files failed ({type(exc).__name__}: {exc})")
            target.write_text("")
        self.notes.append("no CDXJ index found: the WARC files were indexed for this command")
        return target

    def close(self) -> None:
        for index in self.indexes:
            index.close()
        if self._tmp is not None:
            self._tmp.cleanup()

    def __enter__(self) -> Captures:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # ----------------------------------------------------------------- look-up

    def keys_for(self, url: str) -> list[str]:
        """SURT keys under which ``url`` may be archived: itself, its outlet URL, its replica URLs."""
        from crawler.urls import outlet_url, to_replica

        url_key = _cdxj().url_key

        real = outlet_url(url)
        keys = {url_key(url), url_key(real)}
        for index in self.indexes:
            for base in index.replica_bases():
                keys.add(url_key(to_replica(real, base)))
        return sorted(keys)

    def of(self, url: str) -> list[Capture]:
        """Every capture of ``url``, oldest first (each record once, whichever index lists it)."""
        seen: set[tuple[str, int]] = set()
        found: list[Capture] = []
        for key in self.keys_for(url):
            for index in self.indexes:
                for timestamp, fields in index.lookup(key):
                    try:
                        capture = Capture(
                            url=str(fields["url"]), timestamp=timestamp, status=str(fields.get("status", "-")),
                            mime=fields.get("mime"), digest=str(fields.get("digest", "")),
                            length=int(fields.get("length", 0)), offset=int(fields["offset"]),
                            filename=str(fields["filename"]),
                        )
                    except (KeyError, ValueError, TypeError):
                        continue
                    if (capture.filename, capture.offset) not in seen:
                        seen.add((capture.filename, capture.offset))
                        found.append(capture)
        return sorted(found, key=lambda c: (c.timestamp, c.filename, c.offset))

    def nearest(self, url: str, at: str | None) -> tuple[Capture, list[Capture]]:
        """The capture of ``url`` nearest to ``at`` (the latest without it), and all of them."""
        captures = self.of(url)
        if not captures:
            raise CaptureError(f"no capture of {url} in the archive's indexes")
        if at is None:
            return captures[-1], captures
        moment = parse_time(at)
        return min(captures, key=lambda c: (abs((c.when - moment).total_seconds()), c.timestamp)), captures

    def warc_path(self, name: str) -> Path | None:
        path = self.warcs.get(name)
        if path is not None:
            return path
        for folder in {p.parent for p in self.warcs.values()}:
            for candidate in (folder / name, folder / f"{name}.open"):
                if candidate.exists():
                    return candidate
        return None

    # ----------------------------------------------------------------- reading

    def load(self, capture: Capture) -> LoadedCapture:
        """Read a capture's record (and a revisit's original) with the audit's own reader."""
        from archive.reader import RecordLocator, decode_content

        path = self.warc_path(capture.filename)
        if path is None:
            raise CaptureError(f"{capture.filename} (holding the capture of {capture.url}) is not in the archive")
        record = read_record(path, capture.offset)
        if isinstance(record, ScanProblem):
            raise CaptureError(f"{capture.filename} @ {capture.offset}: {record.message}")
        problems = _integrity(record)
        if record.http is None or not record.complete:
            raise CaptureError(f"{capture.filename} @ {capture.offset}: {record.describe()} is incomplete")
        http, original, payload = record.http, None, record.payload
        if record.rec_type == "revisit":
            target = (record.header("WARC-Refers-To") or "").strip()
            locator = RecordLocator(path.parent)
            try:
                place = locator.find(target) if target else None
            finally:
                locator.close()
            if place is None:
                raise CaptureError(f"revisit {record.record_id} refers to {target or '(nothing)'}, not in the archive")
            found = read_record(place[0], place[1])
            if isinstance(found, ScanProblem) or not found.complete or found.http is None:
                raise CaptureError(f"the record revisit {record.record_id} refers to ({target}) is damaged")
            original, payload = found, found.payload
            problems += _integrity(found)
            if "server-not-modified" in (record.header("WARC-Profile") or ""):
                http = found.http
        if payload is None:
            raise CaptureError(f"{capture.filename} @ {capture.offset}: the payload is too large to load")
        if record.rec_type not in ("response", "revisit"):
            raise CaptureError(f"{capture.filename} @ {capture.offset} is a {record.rec_type} record, not a capture")
        body, error = decode_content(payload, http.headers)
        if error:
            problems.append(f"the payload's Content-Encoding cannot be decoded ({error})")
        return LoadedCapture(
            capture=capture, record=record, original=original, status=http.status or 0, headers=http.headers,
            payload=payload, body=body, content_type=http.header("Content-Type"), problems=problems,
        )

    def metadata(self, capture: Capture) -> dict[str, Any] | None:
        """The JSON of the metadata record describing this capture (verdict, outlet...), if found.

        newsarchive writes it after the response, usually a few records later, possibly in the
        next file of the folder (rollover): those are read forward, a bounded number of records.
        """
        path = self.warc_path(capture.filename)
        if path is None:
            return None
        head = read_head(path, capture.offset)
        if head is None or not head.record_id:
            return None
        record_id = head.record_id
        budget = METADATA_SEARCH_RECORDS
        following = sorted(p for p in path.parent.iterdir() if p.name > path.name and p.name.endswith(
            (".warc.gz", ".warc", ".warc.gz.open", ".warc.open")))
        for candidate, start in [(path, capture.offset + max(capture.length, 1)), *((p, 0) for p in following[:1])]:
            for item in scan_file(candidate, start=start, limit=budget):
                if not isinstance(item, ScannedRecord):
                    continue
                budget -= 1
                if item.rec_type == "metadata" and (item.header("WARC-Refers-To") or "").strip() == record_id:
                    with contextlib.suppress(ValueError):
                        fields = json.loads(item.block or b"")
                        return fields if isinstance(fields, dict) else None
                    return None
            if budget <= 0:
                break
        return None


def _integrity(record: ScannedRecord) -> list[str]:
    problems = [f"{record.describe()}: {message}" for _, message in record.problems]
    if record.block_digest_ok is False:
        problems.append(f"{record.describe()}: WARC-Block-Digest does not match the stored bytes (altered)")
    if record.payload_digest_ok is False:
        problems.append(f"{record.describe()}: WARC-Payload-Digest does not match the stored payload (altered)")
    return problems


def parse_time(value: str) -> datetime:
    """A 14-digit timestamp or any prefix of it (``2025``, ``20250612``), or ISO 8601 (UTC if no offset)."""
    text = value.strip()
    if text.isdigit():
        if len(text) > 14 or len(text) < 4:
            raise ValueError(f"not a timestamp: {value!r} (use YYYYMMDDhhmmss or a prefix, or ISO 8601)")
        padded = text + "0101000000"[len(text) - 4 :] if len(text) < 14 else text
        return datetime.strptime(padded, "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"not a timestamp: {value!r} (use YYYYMMDDhhmmss or a prefix, or ISO 8601)") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


# =============================================================================== replay


@dataclass
class ReplayCollection:
    """A pywb collection made of symbolic links: the archive is served where it lies, never copied."""

    root: Path
    name: str
    warcs: list[Path]
    indexes: list[Path]
    skipped: list[str]
    #: ``articles.jsonl`` of the archive, if it came with one (to list where browsing can start).
    articles: Path | None = None


def build_collection(paths: Sequence[Path | str], root: Path, name: str = "news") -> ReplayCollection:
    """Lay out ``root/collections/NAME/{archive,indexes}`` for pywb over the archive's files.

    pywb finds records through CDXJ indexes: the crawl's own are linked; WARC files that no index
    covers (a crawl killed before it closed, WARCs from another tool) are indexed here.  ``.open``
    files are left out: they are still being written, or need ``newsarchive archive repair``.
    """
    inputs = resolve_inputs(paths)
    collection = root / "collections" / name
    (collection / "archive").mkdir(parents=True, exist_ok=True)
    (collection / "indexes").mkdir(exist_ok=True)
    warcs = [p for p in inputs.warcs if not p.name.endswith(".open")]
    skipped = [p.name for p in inputs.warcs if p.name.endswith(".open")]
    names: set[str] = set()
    for path in warcs:
        if path.name in names:
            skipped.append(f"{path} (a file of the same name is already served)")
            continue
        names.add(path.name)
        (collection / "archive" / path.name).symlink_to(path.resolve())
    covered: set[str] = set()
    linked: list[Path] = []
    for number, index in enumerate(inputs.indexes):
        with index.open("rb") as fh:
            for line in fh:
                parsed = parse_line(line)
                if parsed is not None and isinstance(parsed[2].get("filename"), str):
                    covered.add(parsed[2]["filename"])
        link = collection / "indexes" / f"{number:03d}-{index.name}"
        link.symlink_to(index.resolve())
        linked.append(link)
    missing = [p for p in warcs if p.name not in covered]
    if missing:
        try:
            linked.append(_cdxj().index_files(missing, collection / "indexes" / "unindexed.cdxj"))
        except Exception as exc:  # cdxj-indexer stops at a damaged file: serve the rest, say why
            skipped.append(f"{', '.join(p.name for p in missing)}: cannot be indexed ({type(exc).__name__}: {exc}); "
                           "`newsarchive audit` says where they are damaged")
    return ReplayCollection(root, name, warcs, linked, skipped, inputs.articles)


def find_wayback() -> Path | None:
    """pywb's ``wayback``: in the replay venv (``python -m archive.replayenv``), else beside us."""
    from archive.replayenv import replay_env

    for candidate in (replay_env() / "bin" / "wayback", Path(sys.executable).parent / "wayback"):
        if candidate.exists():
            return candidate
    found = shutil.which("wayback")
    return Path(found) if found else None


def free_port(host: str) -> int:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def article_urls(collection: ReplayCollection, base: str, limit: int = 10) -> list[tuple[str, str]]:
    """(replay URL, title) of the first archived articles: where to start browsing."""
    out: list[tuple[str, str]] = []
    if collection.articles is None:
        return out
    served = {p.name for p in collection.warcs}
    with collection.articles.open(encoding="utf-8") as fh:
        for line in fh:
            if len(out) >= limit:
                break
            with contextlib.suppress(ValueError, KeyError, TypeError):
                article = json.loads(line)
                warc = article["warc"]
                if warc["file"] in served:
                    stamp = "".join(ch for ch in warc["date"] if ch.isdigit())[:14]
                    out.append((f"{base}{stamp}/{article['url']}", str(article.get("title") or "")))
    return out


def serve(
    paths: Sequence[Path | str],
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    name: str = "news",
    announce: Callable[[str], None] = print,
    startup_timeout: float = 120.0,
) -> int:
    """Run pywb over the archive until interrupted (SIGINT/SIGTERM); returns an exit status.

    pywb runs in its own process (and its own venv): it runs on gevent, which monkey-patches the
    standard library on import, so it must never share a process with a crawler.
    """
    wayback = find_wayback()
    if wayback is None:
        announce("newsarchive replay: pywb is not installed; run `python -m archive.replayenv` "
                 "(make setup does) to install the [replay] extra into .venv/replay")
        return 2
    port = port or free_port(host)
    with tempfile.TemporaryDirectory(prefix="newsarchive-replay-") as tmp:
        root = Path(tmp)
        collection = build_collection(paths, root, name)
        if not collection.warcs:
            announce("newsarchive replay: no closed WARC files to serve")
            return 1
        for skipped in collection.skipped:
            announce(f"not served: {skipped}")
        (root / "config.yaml").write_text("framed_replay: true\n", encoding="utf-8")
        log = (root / "wayback.log").open("wb")
        process = subprocess.Popen(
            [str(wayback), "--bind", host, "--port", str(port)],
            cwd=root, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        stopping: list[int] = []

        def stop(signum: int, _frame: FrameType | None) -> None:
            stopping.append(signum)

        previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            netloc = f"[{host}]" if ":" in host else host
            base = f"http://{netloc}:{port}/{name}/"
            if not _wait_ready(base, process, startup_timeout, stopping):
                log.flush()
                tail = (root / "wayback.log").read_text(errors="replace")[-3000:]
                announce(f"newsarchive replay: pywb did not start:\n{tail}")
                return 1
            announce(f"replaying {len(collection.warcs)} WARC files with pywb at {base}")
            for url, title in article_urls(collection, base):
                announce(f"  {url}  {title}")
            announce("press Ctrl-C to stop")
            while not stopping and process.poll() is None:
                time.sleep(0.2)
            return 0 if stopping else 1
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            _stop(process)
            log.close()


def _wait_ready(base: str, process: subprocess.Popen[bytes], timeout: float, stopping: list[int]) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not stopping:
        if process.poll() is not None:
            return False
        with contextlib.suppress(OSError), urllib.request.urlopen(base, timeout=5) as response:
            if response.status == 200:
                return True
        time.sleep(0.25)
    return False


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Stop pywb and whatever it started (its own process group)."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


# =============================================================================== commands


def default_output() -> str:
    """The output folder commands read when given none: the crawl's default (NEWSARCHIVE_OUTPUT)."""
    return os.environ.get("NEWSARCHIVE_OUTPUT") or "output"


def verdict_label(metadata: dict[str, Any] | None) -> str:
    """``article``, ``soft404``...; a fetch nobody judged shows its role (``(robots)``); ``-``: unknown."""
    if not metadata:
        return "-"
    if metadata.get("verdict"):
        return str(metadata["verdict"])
    return f"({metadata['role']})" if metadata.get("role") else "-"


def run_captures(url: str, paths: Sequence[Path | str], *, as_json: bool, out: IO[str], err: IO[str]) -> int:
    """``newsarchive captures URL [PATH]``: one line per capture, oldest first."""
    with Captures(paths) as captures:
        for note in captures.notes:
            print(f"note: {note}", file=err)
        found = captures.of(url)
        if not found:
            print(f"newsarchive captures: no capture of {url} in {', '.join(map(str, paths))}", file=err)
            return 1
        for capture in found:
            metadata = captures.metadata(capture)
            if as_json:
                row = {
                    "url": capture.url, "time": capture.iso, "timestamp": capture.timestamp,
                    "status": capture.status, "verdict": (metadata or {}).get("verdict"),
                    "role": (metadata or {}).get("role"), "revisit": capture.revisit, "mime": capture.mime,
                    "digest": capture.digest, "file": capture.filename, "offset": capture.offset,
                    "length": capture.length,
                }
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
            else:
                kind = "revisit" if capture.revisit else "response"
                out.write(f"{capture.iso}  {capture.status:>3}  {verdict_label(metadata):<12} {kind:<8}  "
                          f"{capture.digest}  {capture.filename}  {capture.offset}  {capture.url}\n")
    return 0


def run_show(
    url: str, paths: Sequence[Path | str], *, at: str | None, raw: bool, out: IO[str], err: IO[str]
) -> int:
    """``newsarchive show URL [--at T] [--raw]``: headers and text of the capture nearest to T."""
    from archive.diffing import capture_text
    from crawler import __version__
    from crawler.urls import outlet_url

    with Captures(paths) as captures:
        for note in captures.notes:
            print(f"note: {note}", file=err)
        try:
            capture, every = captures.nearest(url, at)
            loaded = captures.load(capture)
        except (CaptureError, ValueError) as exc:
            print(f"newsarchive show: {exc}", file=err)
            return 1
        for problem in loaded.problems:
            print(f"WARNING: {problem}", file=err)
        if raw:
            out.flush()
            binary = getattr(out, "buffer", None)
            if binary is None:
                print("newsarchive show --raw: the output is not a byte stream", file=err)
                return 2
            binary.write(loaded.payload)
            binary.flush()
            return 0
        metadata = captures.metadata(capture)
        record = loaded.record
        lines = [f"URL         {capture.url}"]
        if outlet_url(capture.url) != capture.url:
            lines.append(f"outlet URL  {outlet_url(capture.url)}")
        number = every.index(capture) + 1
        lines.append(f"captured    {record.date}  (capture {number} of {len(every)}"
                     + (f"; nearest to {at})" if at else "; the latest)"))
        lines.append(f"record      {record.rec_type} {record.record_id}  {capture.filename} @ {capture.offset}")
        if loaded.original is not None:
            lines.append(f"revisit of  {loaded.original.record_id}  {loaded.original.file} @ {loaded.original.offset}"
                         f"  ({record.header('WARC-Profile') or 'no profile'})")
        lines.append(f"digest      {capture.digest}")
        if metadata:
            extra = ", ".join(f"{k} {metadata[k]}" for k in ("outlet", "extractor", "render") if metadata.get(k))
            lines.append(f"verdict     {verdict_label(metadata)}  (archived at capture time{'; ' + extra if extra else ''})")
        lines.append("")
        lines.append(loaded.status_line)
        lines.extend(f"{name}: {value}" for name, value in loaded.headers)
        lines.append("")
        text = capture_text(capture.url, loaded.status, loaded.body, content_type=loaded.content_type,
                            date=record.date)
        lines.append(f"--- text extracted now by newsarchive {__version__} ({text.verdict}, {text.extractor}) ---")
        if text.title:
            lines.append(text.title)
            lines.append("")
        lines.append("\n\n".join(text.paragraphs) if text.paragraphs else "(no text)")
        out.write("\n".join(lines) + "\n")
    return 0
