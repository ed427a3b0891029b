"""Rolling WARC/1.1 writer for newsarchive.

Records are serialised here rather than through ``warcio.WARCWriter`` for one reason: fidelity.
warcio percent-encodes any HTTP header value that is not ASCII and re-encodes header lines as
UTF-8, so a ``Set-Cookie`` or ``Location`` carrying raw Latin-1/UTF-8 bytes would be stored
differently from what the server sent.  We encode header values back to the exact bytes the
server sent (Latin-1 round trip of Scrapy's ``bytes``), compute both digests over what is
actually stored, and gzip each record as its own member so any record can be read by seeking
to its offset.  The output is verified with ``warcio check`` and read back with warcio's
``ArchiveIterator`` in the tests, so warcio stays the reference implementation for parsing.

File naming follows the IIPC convention ``PREFIX-TIMESTAMP-SERIAL-HOST.warc.gz``.  A file that
is still being written carries a ``.open`` suffix so that uploaders / indexers never pick up a
half-written file; it is renamed on :meth:`WarcWriter.close` or on rollover.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import logging
import re
import socket
import threading
import uuid
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import urldefrag, urlparse, urlunparse

from archive.dedup import DigestIndex, Original, dedup_eligible

if TYPE_CHECKING:
    from archive.cdxj import IndexSpool

try:
    # zlib-ng: the same deflate streams at the same level and size, ~35% less CPU than zlib
    # (measured on news pages); compression is most of what archiving costs.
    from zlib_ng import zlib_ng as _deflate
except ImportError:  # pragma: no cover - zlib-ng is a dependency; plain zlib gives the same format
    _deflate = zlib  # type: ignore[assignment]

logger = logging.getLogger(__name__)

WARC_VERSION = "WARC/1.1"
CONFORMS_TO = "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/"
OPEN_SUFFIX = ".open"
ORIG_HEADER_PREFIX = "X-Archive-Orig-"
#: WARC extension field (not "WARC-": that prefix is reserved for the standard) marking a
#: response whose body was produced by a browser rather than received from the server.
RENDERED_BY_HEADER = "X-Newsarchive-Rendered-By"

# Responses that never carry a body (RFC 9110 §6.4.1); adding a Content-Length to them would
# misdescribe the message, so the chunked fix-up leaves them alone.
_NO_BODY_STATUSES = frozenset({204, 304})

_HOST_UNSAFE = re.compile(r"[^A-Za-z0-9.\-]")
_MIME_SPLIT = re.compile(r"[;\s]")

#: WARC/1.1 revisit profiles (WARC 1.1 §6.7.2 and §6.7.3).
PROFILE_IDENTICAL = "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
PROFILE_NOT_MODIFIED = "http://netpreserve.org/warc/1.1/revisit/server-not-modified"
_CRLF = re.compile(r"[\r\n]+")


@dataclass(frozen=True, slots=True)
class RecordPointer:
    """Where a record lives: enough to seek straight to it and to cite it from an item.

    ``file`` is the *final* file name (no ``.open`` suffix, no directory) so that a pointer
    stored in an item stays valid after the file is closed and moved elsewhere.
    """

    file: str
    offset: int
    record_id: str
    date: str

    def as_dict(self) -> dict[str, Any]:
        """Plain dict for ``request.meta`` / item fields (must survive JSON and pickling).

        Spelled out rather than ``dataclasses.asdict`` (a recursive deep copy): it runs per page.
        """
        return {"file": self.file, "offset": self.offset, "record_id": self.record_id, "date": self.date}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RecordPointer:
        """Inverse of :meth:`as_dict`; tolerant of extra keys added by later components."""
        return cls(
            file=str(data["file"]),
            offset=int(data["offset"]),
            record_id=str(data["record_id"]),
            date=str(data["date"]),
        )


def warc_date(when: datetime | None = None) -> str:
    """WARC-Date with microseconds (WARC/1.1 §5.4 allows fractional seconds).

    Microseconds keep the request/response order of a fast crawl unambiguous; naive datetimes
    are taken to be UTC because that is what every other timestamp in the archive is.
    """
    when = datetime.now(UTC) if when is None else when
    when = when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def sha1_b32(*chunks: bytes) -> str:
    """``sha1:BASE32`` digest as written by Heritrix/warcio, so dedup tools can compare them."""
    digest = hashlib.sha1()
    for chunk in chunks:
        digest.update(chunk)
    return "sha1:" + _b32(digest.digest())


_B32_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
#: Two base32 digits per 10 bits: 16 look-ups per SHA-1 instead of 32.
_B32_PAIRS = [a + b for a in _B32_ALPHABET for b in _B32_ALPHABET]


def _b32(digest: bytes) -> str:
    """RFC 4648 base32 of a 20-byte SHA-1 (160 bits: exactly 32 digits, no padding).

    ``base64.b32encode`` is pure Python and costs more than hashing a page; this is the same
    encoding in one integer pass (checked against it in the tests).
    """
    if len(digest) != 20:
        return base64.b32encode(digest).decode("ascii")
    number = int.from_bytes(digest, "big")
    pairs = _B32_PAIRS
    return "".join([pairs[(number >> shift) & 1023] for shift in range(150, -1, -10)])


def _clean(value: str) -> str:
    """CR/LF would break the framing; most values have none, so skip the regex for them."""
    return _CRLF.sub(" ", value) if ("\r" in value or "\n" in value) else value


def _header_bytes(value: str) -> bytes:
    """Encode a header name/value back to the bytes the peer sent.

    Callers decode raw header bytes as Latin-1 (a lossless byte<->str mapping), so encoding
    Latin-1 restores them exactly.  A value containing characters outside Latin-1 can only
    come from Python code, not from the wire; UTF-8 is the least surprising encoding for it.
    CR/LF are replaced because they would break the message framing.
    """
    value = _clean(value)
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:
        return value.encode("utf-8")


def _headers_block(first_line: str, headers: Iterable[tuple[str, str]]) -> bytes:
    lines = [_header_bytes(first_line)]
    lines.extend(_header_bytes(name) + b": " + _header_bytes(value) for name, value in headers)
    return b"\r\n".join(lines) + b"\r\n\r\n"


def _has_header(headers: Iterable[tuple[str, str]], name: str) -> bool:
    lname = name.lower()
    return any(h.lower() == lname for h, _ in headers)


def request_target(url: str) -> str:
    """Origin-form request target exactly as Twisted builds it (path;params?query, no fragment)."""
    parts = urlparse(url)
    return urlunparse(("", "", parts.path, parts.params, parts.query, "")) or "/"


def host_header(url: str) -> str:
    """Host header value as Twisted's Agent computes it (port only when not the default)."""
    parts = urlparse(url)
    host = parts.hostname or ""
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    default_port = {"http": 80, "https": 443}.get(parts.scheme)
    if parts.port is not None and parts.port != default_port:
        return f"{host}:{parts.port}"
    return host


def fix_response_framing(
    headers: list[tuple[str, str]], body_length: int, *, status: int, method: str
) -> list[tuple[str, str]]:
    """Make the stored HTTP headers describe the stored (de-chunked) body.

    Scrapy hands us bodies with the transfer coding already removed.  Storing
    ``Transfer-Encoding: chunked`` next to a de-chunked body makes replay tools try to
    de-chunk it again and mangle it, so the header is kept under ``X-Archive-Orig-`` (the
    pywb/Browsertrix convention, which keeps the information) and a Content-Length matching
    the stored body is added.  A Content-Length the server sent alongside ``chunked`` is
    meaningless (RFC 9112 §6.3) and is preserved the same way if it disagrees.
    Responses that are neither chunked nor length-delimited are left untouched: their
    framing is "until the record ends", which WARC readers handle.
    """
    chunked = any(
        name.lower() == "transfer-encoding" and "chunked" in value.lower() for name, value in headers
    )
    if not chunked:
        return list(headers)
    fixed: list[tuple[str, str]] = []
    length_ok = False
    for name, value in headers:
        lname = name.lower()
        if lname == "transfer-encoding":
            fixed.append((ORIG_HEADER_PREFIX + name, value))
        elif lname == "content-length":
            if value.strip() == str(body_length) and not length_ok:
                fixed.append((name, value))
                length_ok = True
            else:
                fixed.append((ORIG_HEADER_PREFIX + name, value))
        else:
            fixed.append((name, value))
    body_allowed = method.upper() != "HEAD" and status not in _NO_BODY_STATUSES and status >= 200
    if not length_ok and body_allowed:
        fixed.append(("Content-Length", str(body_length)))
    return fixed


@dataclass(frozen=True, slots=True)
class IndexEntry:
    """What a CDXJ line needs about one response/revisit, collected as it is written.

    Kept raw (no SURT yet) so that writing costs nothing extra; :mod:`archive.cdxj` formats
    and sorts the lines when the crawl closes, exactly as ``cdxj-indexer`` would.
    """

    url: str
    date: str
    mime: str | None
    status: str
    digest: str
    length: int
    offset: int
    file: str
    method: str
    request_content_type: str | None
    request_body: bytes


@dataclass(frozen=True, slots=True)
class ExchangeResult:
    """What :meth:`WarcWriter.write_exchange_detailed` wrote.

    ``record_type`` is ``response`` or ``revisit``; ``original`` is where the payload's bytes
    are stored (the response itself, or the record a revisit refers to).
    """

    pointer: RecordPointer
    record_type: str
    profile: str | None
    payload_digest: str
    original: Original | None


class WarcWriter:
    """Append-only writer of rolling, gzip-per-record WARC/1.1 files.

    Files are opened lazily (on the first record) so that a crawl that fetches nothing, or a
    rollover right before close, never leaves a file holding only a warcinfo record.  Rollover
    is checked after each *logical* write (a request/response pair counts as one), so a
    request is never separated from its response.

    With a :class:`~archive.dedup.DigestIndex`, a complete 2xx payload already archived (in
    this run or an earlier one sharing the index) is written as a ``revisit`` record holding
    only the HTTP headers.  Every public method takes an internal lock, so the Scrapy
    extension may hand large writes to a worker thread while small ones stay inline.
    """

    def __init__(
        self,
        directory: Path,
        *,
        prefix: str = "newsarchive",
        max_size: int = 1_000_000_000,
        warcinfo: dict[str, str],
        compress: bool = True,
        compress_level: int = 6,
        dedup: DigestIndex | None = None,
        collect_index: bool = False,
    ) -> None:
        self.directory = Path(directory)
        self.compress_level = compress_level
        self.prefix = prefix
        self.max_size = max_size
        self.warcinfo = dict(warcinfo)
        self.compress = compress
        self.dedup = dedup
        self.hostname = socket.gethostname()
        self._host_tag = _HOST_UNSAFE.sub("_", self.hostname) or "localhost"
        self._serial = 0
        self._fh: IO[bytes] | None = None
        self._open_path: Path | None = None
        self._final_name: str | None = None
        self._warcinfo_id: str | None = None
        self._files: list[Path] = []
        self._lock = threading.RLock()
        self._collect_index = collect_index
        #: CDXJ lines of every response/revisit written (when ``collect_index``), spooled to disk
        #: beside the WARCs so a long crawl does not hold its whole index in memory.
        self.index: IndexSpool | None = None
        if collect_index:
            from archive.cdxj import IndexSpool  # archive.cdxj imports this module

            self.index = IndexSpool(self.directory)
        self.records = 0
        self.bytes_written = 0
        self.exchanges = 0
        self.revisits = 0

    # ------------------------------------------------------------------ properties

    @property
    def files(self) -> list[Path]:
        """Paths of files already closed (renamed to their final name), oldest first."""
        return list(self._files)

    @property
    def current_path(self) -> Path | None:
        """Path of the ``.open`` file being written, if any (readable: writes are unbuffered)."""
        return self._open_path

    @property
    def extension(self) -> str:
        return ".warc.gz" if self.compress else ".warc"

    # ------------------------------------------------------------------ public API

    def write_exchange(self, **kwargs: Any) -> RecordPointer:
        """Write a ``response`` (or ``revisit``) record and its ``request``; return its pointer.

        See :meth:`write_exchange_detailed` for the arguments.
        """
        return self.write_exchange_detailed(**kwargs).pointer

    def write_exchange_detailed(
        self,
        *,
        url: str,
        method: str,
        request_headers: list[tuple[str, str]],
        request_body: bytes,
        protocol: str,
        status: int,
        reason: str,
        response_headers: list[tuple[str, str]],
        body: bytes,
        ip_address: str | None,
        date: datetime | None,
        truncated: str | None = None,
        request_protocol: str | None = None,
        rendered_by: str | None = None,
        not_modified_of: Original | None = None,
    ) -> ExchangeResult:
        """Write one exchange; dedup decides between a ``response`` and a ``revisit`` record.

        ``body`` must be the body as transferred minus any transfer coding (Scrapy's
        ``response.body`` at ``response_downloaded``): content-encoding is kept so the stored
        payload is byte-identical to the server's.  ``reason`` may be empty: Scrapy does not
        keep the reason phrase, so the standard phrase for ``status`` is used instead.
        ``truncated`` becomes WARC-Truncated (e.g. "length", "disconnect") when the body is
        known to be incomplete, so readers do not mistake a cut-off page for the real one.
        ``request_protocol`` is the request line's version; by default HTTP/1.1 for any
        HTTP/1.x response (what Twisted sends) and the response's protocol otherwise.
        ``rendered_by`` (e.g. "playwright") marks a body that is a browser-rendered DOM, not
        wire bytes, in ``X-Newsarchive-Rendered-By`` so nobody mistakes it for a capture.
        ``not_modified_of``: the earlier capture a conditional request revalidated; a 304 to
        it is written as a server-not-modified revisit referring to that capture.
        """
        protocol = protocol or "HTTP/1.1"
        url = urldefrag(url).url  # fragments are never sent: the target is what was fetched
        when = warc_date(date)
        response_id = _new_id()
        request_id = _new_id()

        if not reason:
            try:
                reason = HTTPStatus(status).phrase
            except ValueError:
                reason = ""
        # An empty reason still needs the separating space (RFC 9112 §4 status-line grammar).
        status_line = f"{protocol} {status} {reason}"
        stored_headers = fix_response_framing(response_headers, len(body), status=status, method=method)
        response_head = _headers_block(status_line, stored_headers)
        payload_digest = sha1_b32(body)

        # Twisted adds Host (at the end) and Content-Length (first) itself, after Scrapy's
        # middlewares have run: restore them, in wire order, so the request record is the
        # request that was actually sent.
        req_headers = list(request_headers)
        if not _has_header(req_headers, "Host"):
            req_headers.append(("Host", host_header(url)))
        if request_body and not _has_header(req_headers, "Content-Length"):
            req_headers.insert(0, ("Content-Length", str(len(request_body))))
        if request_protocol is None:
            # Twisted always speaks HTTP/1.1, even when the server answers HTTP/1.0.
            request_protocol = "HTTP/1.1" if protocol.startswith("HTTP/1.") else protocol
        request_line = f"{method.upper()} {request_target(url)} {request_protocol}"
        request_head = _headers_block(request_line, req_headers)

        with self._lock:
            fh = self._ensure_open()
            assert self._final_name is not None
            common: list[tuple[str, str]] = [("WARC-Date", when), ("WARC-Target-URI", url)]
            if self._warcinfo_id:
                common.append(("WARC-Warcinfo-ID", self._warcinfo_id))

            refers: Original | None = None
            profile: str | None = None
            if not_modified_of is not None and status == 304:
                refers, profile = not_modified_of, PROFILE_NOT_MODIFIED
            elif self.dedup is not None and body and dedup_eligible(status, truncated) and not rendered_by:
                refers = self.dedup.original(payload_digest)
                profile = PROFILE_IDENTICAL if refers is not None else None

            if refers is None:
                record_type = "response"
                fields = [("WARC-Type", "response"), ("WARC-Record-ID", response_id), *common]
            else:
                record_type = "revisit"
                fields = [
                    ("WARC-Type", "revisit"),
                    ("WARC-Record-ID", response_id),
                    *common,
                    ("WARC-Profile", profile or ""),
                    ("WARC-Refers-To", refers.record_id),
                    ("WARC-Refers-To-Target-URI", refers.uri),
                    ("WARC-Refers-To-Date", refers.date),
                ]
            if ip_address:
                fields.append(("WARC-IP-Address", ip_address))
            if truncated:
                fields.append(("WARC-Truncated", truncated))
            if rendered_by:
                fields.append((RENDERED_BY_HEADER, rendered_by))
            if record_type == "response":
                response_record = self._encode_record(
                    fields, "application/http; msgtype=response", response_head, body, http=True
                )
            else:
                # WARC 1.1 §6.7: a revisit keeps the new response's headers; the payload is
                # omitted and WARC-Payload-Digest names the payload it stands for (for a 304,
                # the revalidated one).
                digest = refers.digest if refers is not None and profile == PROFILE_NOT_MODIFIED else payload_digest
                response_record = self._encode_record(
                    fields, "application/http; msgtype=response", response_head, b"",
                    http=False, payload_digest=digest or None,
                )
            request_fields = [
                ("WARC-Type", "request"),
                ("WARC-Record-ID", request_id),
                *common,
                ("WARC-Concurrent-To", response_id),
            ]
            if ip_address:
                request_fields.append(("WARC-IP-Address", ip_address))
            request_record = self._encode_record(
                request_fields, "application/http; msgtype=request", request_head, request_body, http=True
            )
            # Response first (the pointer's target), then its request, as warcio does.
            offset = self._append(fh, response_record, request_record)[0]
            self.exchanges += 1
            file_name = self._final_name
            pointer = RecordPointer(file=file_name, offset=offset, record_id=response_id, date=when)
            original = refers
            if record_type == "response":
                original = Original(url, when, response_id, file_name, offset, payload_digest)
            else:
                self.revisits += 1
            if self.dedup is not None:
                self._remember(record_type, original, status, truncated, body, rendered_by, stored_headers, url)
            if self.index is not None:
                self.index.add(
                    IndexEntry(
                        url=url, date=when,
                        mime="warc/revisit" if record_type == "revisit" else _mime(stored_headers),
                        status=str(status),
                        digest=original.digest if profile == PROFILE_NOT_MODIFIED and original else payload_digest,
                        length=len(response_record), offset=offset, file=file_name,
                        method=method.upper(),
                        request_content_type=_first_header(req_headers, "Content-Type"),
                        request_body=request_body if method.upper() in ("POST", "PUT") else b"",
                    )
                )
            self._maybe_rollover()
        return ExchangeResult(pointer, record_type, profile, payload_digest, original)

    def write_metadata(
        self, refers_to: RecordPointer | None, url: str, fields: Mapping[str, Any]
    ) -> RecordPointer:
        """Write a JSON ``metadata`` record about an archived response (verdicts, encodings...).

        JSON rather than ``application/warc-fields`` because the values are nested and typed;
        WARC-Refers-To ties it to the response even if rollover put it in another file.
        ``refers_to`` is None only for a download that produced no response (timeout, DNS,
        refused, size cap): the record then stands alone for its URL and carries the error.
        """
        block = json.dumps(fields, ensure_ascii=False, sort_keys=True, default=str).encode("utf-8")
        return self._write_derived("metadata", refers_to, url, "application/json", block)

    def write_conversion(self, refers_to: RecordPointer, url: str, text: str) -> RecordPointer:
        """Write the extracted plain text as a ``conversion`` record of the response."""
        return self._write_derived("conversion", refers_to, url, "text/plain; charset=utf-8", text.encode())

    def write_resource(
        self, url: str, content_type: str, block: bytes, *, concurrent_to: RecordPointer | None = None
    ) -> RecordPointer:
        """Write a ``resource`` record: content that no server sent as such (a rendered DOM, a screenshot).

        ``url`` is usually a URN naming what the block is (``urn:rendered-dom:<page>``), so replay
        tools never serve it in place of the page. WARC-Concurrent-To ties it to the response record of
        the same capture event (the page the browser rendered). Its payload is the whole block, so the
        payload digest is the block's (WARC 1.1 §5.9), which lets dedup and CDX tools compare resources.
        """
        return self._write_derived(
            "resource", None, url, content_type, block, concurrent_to=concurrent_to, payload_digest=sha1_b32(block)
        )

    def close(self) -> None:
        """Finish the current file (rename away ``.open``). Safe to call more than once."""
        with self._lock:
            if self._fh is None:
                return
            fh, open_path, final_name = self._fh, self._open_path, self._final_name
            self._fh = self._open_path = self._final_name = self._warcinfo_id = None
            fh.close()
            assert open_path is not None and final_name is not None
            final_path = open_path.with_name(final_name)
            open_path.rename(final_path)
            self._files.append(final_path)
        logger.info("Closed WARC file %s", final_path)

    def __enter__(self) -> WarcWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # ------------------------------------------------------------------ internals

    def _remember(
        self,
        record_type: str,
        original: Original | None,
        status: int,
        truncated: str | None,
        body: bytes,
        rendered_by: str | None,
        headers: list[tuple[str, str]],
        url: str,
    ) -> None:
        """Update the digest index after a write (never before: the index must not point ahead)."""
        assert self.dedup is not None
        if original is None:
            return
        eligible = bool(body) and dedup_eligible(status, truncated) and not rendered_by
        capture = None
        if 200 <= status < 300 and not truncated and not rendered_by:
            capture = (url, original, status, _first_header(headers, "ETag"), _first_header(headers, "Last-Modified"))
        if capture is not None or (record_type == "response" and eligible):
            self.dedup.record(original=original if record_type == "response" and eligible else None, capture=capture)

    def _write_derived(
        self,
        warc_type: str,
        refers_to: RecordPointer | None,
        url: str,
        content_type: str,
        block: bytes,
        *,
        concurrent_to: RecordPointer | None = None,
        payload_digest: str | None = None,
    ) -> RecordPointer:
        with self._lock:
            fh = self._ensure_open()
            assert self._final_name is not None
            record_id = _new_id()
            when = warc_date()
            fields = [
                ("WARC-Type", warc_type),
                ("WARC-Record-ID", record_id),
                ("WARC-Date", when),
                ("WARC-Target-URI", url),
            ]
            if refers_to is not None:
                fields.append(("WARC-Refers-To", refers_to.record_id))
            if concurrent_to is not None:
                fields.append(("WARC-Concurrent-To", concurrent_to.record_id))
            if self._warcinfo_id:
                fields.append(("WARC-Warcinfo-ID", self._warcinfo_id))
            record = self._encode_record(fields, content_type, b"", block, http=False, payload_digest=payload_digest)
            [offset] = self._append(fh, record)
            pointer = RecordPointer(file=self._final_name, offset=offset, record_id=record_id, date=when)
            self._maybe_rollover()
        return pointer

    def _ensure_open(self) -> IO[bytes]:
        if self._fh is not None:
            return self._fh
        self.directory.mkdir(parents=True, exist_ok=True)
        while True:
            stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S%f")
            name = f"{self.prefix}-{stamp}-{self._serial:05d}-{self._host_tag}{self.extension}"
            self._serial += 1
            final_path = self.directory / name
            open_path = final_path.with_name(name + OPEN_SUFFIX)
            if final_path.exists():
                continue
            try:
                # "x": never clobber a file another writer (or a previous run) owns.
                # Unbuffered: every record is written whole by _append, and after a failed
                # write no stale buffer may be flushed later behind the truncation.
                fh = open_path.open("xb", buffering=0)  # kept open until close()/rollover
            except FileExistsError:
                continue
            break
        self._fh, self._open_path, self._final_name = fh, open_path, name
        try:
            self._write_warcinfo(fh, name)
        except BaseException:
            # Never keep writing into a file that has no warcinfo record.
            self._fh = self._open_path = self._final_name = self._warcinfo_id = None
            fh.close()
            open_path.unlink(missing_ok=True)
            raise
        logger.info("Opened WARC file %s", open_path)
        return fh

    def _write_warcinfo(self, fh: IO[bytes], filename: str) -> None:
        software = self.warcinfo.get("software")
        if not software:
            # Imported only when needed: the writer process (archive.writerproc) gets the software
            # string from the extension and need not import the crawler package (and Scrapy).
            from crawler import __version__

            software = f"newsarchive/{__version__}"
        info: dict[str, str] = {
            "software": software,
            "hostname": self.hostname,
            "format": "WARC File Format 1.1",
            "conformsTo": CONFORMS_TO,
        }
        info.update(self.warcinfo)
        block = b"".join(
            _header_bytes(key) + b": " + _clean(value).encode("utf-8") + b"\r\n"
            for key, value in info.items()
        )
        self._warcinfo_id = _new_id()
        fields = [
            ("WARC-Type", "warcinfo"),
            ("WARC-Record-ID", self._warcinfo_id),
            ("WARC-Date", warc_date()),
            ("WARC-Filename", filename),
        ]
        self._append(fh, self._encode_record(fields, "application/warc-fields", b"", block, http=False))

    def _encode_record(
        self,
        fields: list[tuple[str, str]],
        content_type: str,
        head: bytes,
        payload: bytes,
        *,
        http: bool,
        payload_digest: str | None = None,
    ) -> bytes:
        """Serialise one record (compressed as its own gzip member when ``compress``).

        ``head`` is the HTTP status/request line plus headers (empty for non-HTTP records).
        The payload digest is only meaningful for HTTP records (it is what dedup compares),
        the block digest covers everything.  ``payload_digest`` is given for revisits, whose
        payload is not in the block but named by digest.
        """
        fields = list(fields)
        fields.append(("WARC-Block-Digest", sha1_b32(head, payload)))
        if http:
            fields.append(("WARC-Payload-Digest", sha1_b32(payload)))
        elif payload_digest:
            fields.append(("WARC-Payload-Digest", payload_digest))
        fields.append(("Content-Type", content_type))
        fields.append(("Content-Length", str(len(head) + len(payload))))
        warc_head = (
            WARC_VERSION
            + "\r\n"
            + "".join(f"{name}: {_clean(value)}\r\n" for name, value in fields)
            + "\r\n"
        ).encode("utf-8")
        record = b"".join((warc_head, head, payload, b"\r\n\r\n"))
        if not self.compress:
            return record
        # One call (one gzip member): copying the record once costs less than four compressor calls.
        return _deflate.compress(record, self.compress_level, wbits=16 + zlib.MAX_WBITS)

    def _append(self, fh: IO[bytes], *records: bytes) -> list[int]:
        """Append whole records and return their offsets; all of them or none.

        On a failed write (disk full...) the file is truncated back to where it was, so a
        half-written gzip member never corrupts the records that follow, and a request is
        never left without its response.  The file is unbuffered, so an ``.open`` file is
        always readable up to its last record.
        """
        start = fh.tell()
        offsets = []
        position = start
        for record in records:
            offsets.append(position)
            position += len(record)
        try:
            # One buffer, so a request/response pair normally reaches the file in one write(2)
            # and a kill between the two records is as unlikely as the kernel allows.
            view = memoryview(records[0] if len(records) == 1 else b"".join(records))
            while view:  # raw writes may be short
                written = fh.write(view)
                if not written:
                    raise OSError(f"could not write to {self._open_path}")
                view = view[written:]
        except BaseException:
            with contextlib.suppress(OSError):
                fh.truncate(start)
                fh.seek(start)
            raise
        self.records += len(records)
        self.bytes_written += position - start
        return offsets

    def _maybe_rollover(self) -> None:
        if self._fh is not None and self._fh.tell() > self.max_size:
            self.close()


def _new_id() -> str:
    return f"<urn:uuid:{uuid.uuid4()}>"


def _first_header(headers: Iterable[tuple[str, str]], name: str) -> str | None:
    lname = name.lower()
    return next((value for key, value in headers if key.lower() == lname), None)


def _mime(headers: Iterable[tuple[str, str]]) -> str | None:
    """The CDXJ ``mime`` field: the Content-Type up to the first ``;`` or space, as cdxj-indexer."""
    value = _first_header(headers, "Content-Type")
    if not value:
        return None
    return _MIME_SPLIT.split(value, maxsplit=1)[0].strip()
