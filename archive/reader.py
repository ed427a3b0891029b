"""Read newsarchive (and other) WARC files back into plain Python objects.

Parsing is delegated to warcio's ``ArchiveIterator`` so that what we read is what any other
WARC tool would read.  The one thing we do ourselves is payload handling: warcio's
``content_stream()`` silently strips transfer- *and* content-encoding, but re-extraction
needs both the exact stored bytes (``payload``: digests, replay, re-archiving) and what a
browser would parse (``body``), so both are exposed explicitly.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from warcio.archiveiterator import ArchiveIterator
from warcio.recordloader import ArcWarcRecord

from archive.dedup import DigestIndex, index_path_for
from archive.writer import OPEN_SUFFIX, RENDERED_BY_HEADER, RecordPointer

WARC_NAME_SUFFIXES = (".warc", ".warc.gz", ".warc.open", ".warc.gz.open")

logger = logging.getLogger(__name__)

try:  # optional, as in Scrapy: "br" is only decodable when a brotli binding is installed
    import brotli
except ImportError:  # pragma: no cover - depends on the environment
    brotli = None

try:
    import zstandard
except ImportError:  # pragma: no cover - depends on the environment
    zstandard = None


@dataclass(slots=True)
class ArchivedResponse:
    """One archived HTTP response.

    ``payload`` is the entity exactly as stored in the WARC (content-encoding kept);
    ``body`` has the content-encoding removed.  When decoding fails (corrupt gzip, unknown
    coding) ``body`` falls back to ``payload`` and ``decode_error`` says why, instead of
    raising, because one damaged response must not stop a re-extraction run.
    """

    url: str
    date: datetime
    status: int
    reason: str
    protocol: str
    headers: list[tuple[str, str]]
    payload: bytes
    body: bytes
    content_type: str | None
    pointer: RecordPointer
    ip_address: str | None
    decode_error: str | None = None
    #: Set (e.g. "playwright") when the body is a rendered DOM, not the bytes the server sent.
    rendered_by: str | None = None
    #: For a resolved ``revisit`` record: the response record whose payload it stands for.
    revisit_of: RecordPointer | None = None
    #: The revisit's WARC-Profile (identical-payload-digest or server-not-modified), if any.
    revisit_profile: str | None = None
    #: WARC-Truncated ("length": cut at the crawl's size cap, "disconnect"...): the payload is incomplete.
    truncated: str | None = None

    def header(self, name: str) -> str | None:
        """First value of a header (case-insensitive), or None."""
        values = self.header_values(name)
        return values[0] if values else None

    def header_values(self, name: str) -> list[str]:
        """Every value of a header, in stored order (e.g. several Set-Cookie)."""
        lname = name.lower()
        return [value for key, value in self.headers if key.lower() == lname]


def stored_name(path: Path | str) -> str:
    """File name a pointer uses: the final name, even while the file is still ``.open``."""
    return Path(path).name.removesuffix(OPEN_SUFFIX)


def iter_records(path: Path | str) -> Iterator[tuple[int, ArcWarcRecord]]:
    """Yield ``(offset, record)`` for every record of a WARC (gzip-per-record or plain).

    The record's content must be consumed before advancing; warcio skips whatever is left.
    The offset is read from ``ArchiveIterator.offset`` (the start of the record being
    yielded) rather than ``get_record_offset()``, because the latter reads the record to its
    end and would leave the caller an exhausted stream.
    """
    with Path(path).open("rb") as fh:
        iterator = ArchiveIterator(fh)
        for record in iterator:
            yield iterator.offset, record


def iter_responses(
    path: Path | str,
    *,
    revisits: bool = False,
    locator: RecordLocator | None = None,
    skip_unresolved: bool = False,
) -> Iterator[ArchivedResponse]:
    """Yield every ``response`` record of a WARC file as an :class:`ArchivedResponse`.

    With ``revisits=True`` ``revisit`` records are yielded too, resolved to the payload they
    stand for (looked up in the file's folder, see :class:`RecordLocator`); a revisit whose
    original cannot be found raises :class:`RevisitUnresolved`, or with ``skip_unresolved``
    is logged and skipped (one WARC copied without its originals must not stop a re-extraction).
    """
    path = Path(path)
    name = stored_name(path)
    for offset, record in iter_records(path):
        if record.http_headers is None:
            continue
        if record.rec_type == "response":
            yield _to_response(record, name, offset)
        elif revisits and record.rec_type == "revisit":
            locator = locator or RecordLocator(path.parent)
            try:
                resolved = _resolve_revisit(record, name, offset, locator)
            except RevisitUnresolved as exc:
                if not skip_unresolved:
                    raise
                logger.warning("Skipping revisit: %s", exc)
                continue
            yield resolved


def read_response_at(
    path: Path | str, offset: int, *, resolve: bool = True, locator: RecordLocator | None = None
) -> ArchivedResponse:
    """Read the single response record starting at ``offset`` (a :class:`RecordPointer`'s).

    Seeking only works because every record is its own gzip member (or the file is
    uncompressed); raises ValueError if the record there is not an HTTP response.
    A ``revisit`` record is resolved (``resolve=True``) to the original payload by following
    WARC-Refers-To within the file's folder, so an article whose pointer names a revisit
    still reads back as the bytes it was extracted from.
    """
    path = Path(path)
    with path.open("rb") as fh:
        fh.seek(offset)
        record = next(iter(ArchiveIterator(fh)), None)
        if record is None:
            raise ValueError(f"no record at offset {offset} of {path}")
        if record.rec_type == "revisit" and resolve and record.http_headers is not None:
            return _resolve_revisit(record, stored_name(path), offset, locator or RecordLocator(path.parent))
        if record.rec_type != "response" or record.http_headers is None:
            raise ValueError(f"record at offset {offset} of {path} is a {record.rec_type!r}, not a response")
        return _to_response(record, stored_name(path), offset)


class RevisitUnresolved(LookupError):
    """The record a revisit refers to is not in the folder (WARCs moved apart, or pruned)."""


class RecordLocator:
    """Finds records by WARC-Record-ID in one folder of WARC files.

    First the folder's digest index (``digests.sqlite``, written during the crawl, one
    look-up), then, for WARCs without one (copied from elsewhere), a single scan of the
    folder's files whose result is kept, so resolving many revisits costs one pass.
    """

    def __init__(self, folder: Path | str) -> None:
        self.folder = Path(folder)
        self._scanned: dict[str, tuple[Path, int]] | None = None
        self._index: DigestIndex | None = None

    def find(self, record_id: str) -> tuple[Path, int] | None:
        """``(path, offset)`` of the record, or None."""
        if self._index is None:
            index_path = index_path_for(self.folder)
            if index_path is not None:
                self._index = DigestIndex(index_path, readonly=True)
        if self._index is not None:
            original = self._index.by_record_id(record_id)
            if original is not None:
                path = self._existing(original.file)
                if path is not None:
                    return path, original.offset
        if self._scanned is None:
            self._scanned = {}
            for path in sorted(self.folder.iterdir()):
                if not path.name.endswith(WARC_NAME_SUFFIXES):
                    continue
                try:
                    for offset, record in iter_records(path):
                        if record.rec_type == "response":
                            rid = record.rec_headers.get_header("WARC-Record-ID") or ""
                            self._scanned.setdefault(rid, (path, offset))
                except Exception:  # a damaged file must not hide the others' records
                    continue
        return self._scanned.get(record_id)

    def close(self) -> None:
        if self._index is not None:
            self._index.close()
            self._index = None

    def _existing(self, name: str) -> Path | None:
        for candidate in (self.folder / name, self.folder / (name + OPEN_SUFFIX)):
            if candidate.exists():
                return candidate
        return None


def _resolve_revisit(record: ArcWarcRecord, file_name: str, offset: int, locator: RecordLocator) -> ArchivedResponse:
    """A revisit as the response it stands for.

    identical-payload-digest: this capture's own status and headers, the original's payload.
    server-not-modified: the revalidated response (status, headers, payload) as first
    captured, since a 304 has neither a payload nor the full headers.
    """
    headers = record.rec_headers
    target = headers.get_header("WARC-Refers-To") or ""
    profile = headers.get_header("WARC-Profile") or ""
    found = locator.find(target) if target else None
    if found is None:
        raise RevisitUnresolved(
            f"revisit {headers.get_header('WARC-Record-ID')} at offset {offset} of {file_name} refers to "
            f"{target or '(nothing)'} ({headers.get_header('WARC-Refers-To-Target-URI')}), not found in "
            f"{locator.folder}"
        )
    original = read_response_at(found[0], found[1], resolve=False)
    revisit = _to_response(record, file_name, offset)  # its payload is empty: only headers
    if "server-not-modified" in profile:
        status, reason, protocol, http_headers = original.status, original.reason, original.protocol, original.headers
    else:
        status, reason, protocol, http_headers = revisit.status, revisit.reason, revisit.protocol, revisit.headers
    body, error = decode_content(original.payload, http_headers)
    content_type = next((v for k, v in http_headers if k.lower() == "content-type"), None)
    return ArchivedResponse(
        url=revisit.url,
        date=revisit.date,
        status=status,
        reason=reason,
        protocol=protocol,
        headers=http_headers,
        payload=original.payload,
        body=body,
        content_type=content_type,
        pointer=revisit.pointer,
        ip_address=revisit.ip_address,
        decode_error=error,
        rendered_by=original.rendered_by,
        revisit_of=original.pointer,
        revisit_profile=profile or None,
    )


def read_record_at(path: Path | str, offset: int) -> tuple[ArcWarcRecord, bytes]:
    """Read any record at ``offset``; returns the record and its raw content (metadata etc.)."""
    with Path(path).open("rb") as fh:
        fh.seek(offset)
        record = next(iter(ArchiveIterator(fh)), None)
        if record is None:
            raise ValueError(f"no record at offset {offset} of {path}")
        return record, record.raw_stream.read()


def parse_warc_date(value: str) -> datetime:
    """Parse WARC-Date with or without fractional seconds (WARC/1.0 and 1.1)."""
    text = value.strip().removesuffix("Z")
    fmt = "%Y-%m-%dT%H:%M:%S.%f" if "." in text else "%Y-%m-%dT%H:%M:%S"
    return datetime.strptime(text, fmt).replace(tzinfo=UTC)


#: Largest body decoded from a Content-Encoding, in bytes: above the crawler's DOWNLOAD_MAXSIZE default
#: (50 MiB), so what the crawl decoded is decoded again, while a decompression bomb (a few MB archived as
#: sent, gigabytes inflated) stops here instead of taking every archive tool's memory with it.
MAX_DECODED_SIZE = 64 * 1024 * 1024
_PIECE = 1024 * 1024


class DecodedTooLarge(ValueError):
    """A content-coding inflates beyond MAX_DECODED_SIZE."""


def decode_content(
    payload: bytes, headers: list[tuple[str, str]], *, max_size: int = MAX_DECODED_SIZE
) -> tuple[bytes, str | None]:
    """Remove transfer coding left in the payload, then content-coding(s), like a browser.

    Returns ``(body, error)``; on failure ``body`` is ``payload`` unchanged, and so it is when decoding
    would exceed ``max_size`` (``DecodedTooLarge``: a gzip bomb). Transfer
    coding is only present in WARCs written by other tools that stored chunked bodies raw;
    ours store them de-chunked with the header renamed, so that header is never seen here.
    """
    lower = [(name.lower(), value) for name, value in headers]
    body = payload
    if any(name == "transfer-encoding" and "chunked" in value.lower() for name, value in lower):
        dechunked = _dechunk(body)
        if dechunked is not None:  # some tools store the header but a de-chunked body
            body = dechunked
    codings = [
        token.strip().lower()
        for name, value in lower
        if name == "content-encoding"
        for token in value.split(",")
        if token.strip()
    ]
    try:
        for coding in reversed(codings):  # codings are listed in the order they were applied
            body = _decode_one(body, coding, max_size)
    except Exception as exc:  # zlib.error, brotli.error, ...: all mean "not decodable"
        return payload, f"{type(exc).__name__}: {exc}"
    return body, None


def _decode_one(data: bytes, coding: str, max_size: int = MAX_DECODED_SIZE) -> bytes:
    if coding in ("identity", ""):
        return data
    if coding in ("gzip", "x-gzip"):
        return _gunzip(data, max_size)
    if coding == "deflate":
        # "deflate" is zlib-wrapped per RFC 9110 but many servers send raw deflate.
        try:
            return _inflate(zlib.decompressobj(), data, max_size)
        except zlib.error:
            return _inflate(zlib.decompressobj(-zlib.MAX_WBITS), data, max_size)
    if coding == "br" and brotli is not None:
        decompressor = brotli.Decompressor()
        out = [decompressor.process(data, output_buffer_limit=_PIECE)]
        size = len(out[0])
        while not decompressor.is_finished() and (piece := decompressor.process(b"", output_buffer_limit=_PIECE)):
            size += len(piece)
            _check_size(size, max_size)
            out.append(piece)
        return b"".join(out)
    if coding == "zstd" and zstandard is not None:
        with zstandard.ZstdDecompressor().stream_reader(data, read_across_frames=True) as reader:
            body = reader.read(max_size + 1)
        _check_size(len(body), max_size)
        return body
    raise ValueError(f"unsupported content-encoding {coding!r}")


def _check_size(size: int, max_size: int) -> None:
    if max_size and size > max_size:
        raise DecodedTooLarge(f"decoded body exceeds {max_size} bytes (a decompression bomb?); left encoded")


def _inflate(decomp: Any, data: bytes, max_size: int, produced: int = 0) -> bytes:
    """Decompress ``data`` with a zlib decompressor, a piece at a time, never past ``max_size`` in all."""
    out: list[bytes] = []
    piece = decomp.decompress(data, _PIECE)
    while True:
        produced += len(piece)
        _check_size(produced, max_size)
        out.append(piece)
        if decomp.eof or not decomp.unconsumed_tail:
            return b"".join(out)
        piece = decomp.decompress(decomp.unconsumed_tail, _PIECE)


def _gunzip(data: bytes, max_size: int = MAX_DECODED_SIZE) -> bytes:
    """Decompress every gzip member and ignore trailing garbage, as browsers do."""
    out: list[bytes] = []
    produced = 0
    while data:
        decomp = zlib.decompressobj(16 + zlib.MAX_WBITS)
        out.append(_inflate(decomp, data, max_size, produced))
        produced += len(out[-1])
        if not decomp.eof:
            if not out[-1] and len(out) == 1:
                raise zlib.error("truncated gzip stream")
            break  # truncated: keep what decoded, like a browser would render it
        data = decomp.unused_data
        if not data.startswith(b"\x1f\x8b"):
            break
    return b"".join(out)


def _dechunk(data: bytes) -> bytes | None:
    """Decode HTTP/1.1 chunked framing; None if ``data`` is not validly chunked."""
    out: list[bytes] = []
    pos = 0
    while True:
        end = data.find(b"\r\n", pos)
        if end < 0:
            return None
        size_text = data[pos:end].split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            return None
        pos = end + 2
        if size == 0:
            return b"".join(out)
        if pos + size > len(data):
            return None
        out.append(data[pos : pos + size])
        pos += size
        if data[pos : pos + 2] != b"\r\n":
            return None
        pos += 2


def _to_response(record: ArcWarcRecord, file_name: str, offset: int) -> ArchivedResponse:
    rec_headers = record.rec_headers
    http = record.http_headers
    payload = record.raw_stream.read()
    headers = [(str(name), str(value)) for name, value in http.headers]
    status_text = http.get_statuscode()
    try:
        status = int(status_text)
    except ValueError:
        status = 0
    reason = http.statusline.split(" ", 1)[1] if " " in http.statusline else ""
    body, error = decode_content(payload, headers)
    date_text = rec_headers.get_header("WARC-Date") or ""
    return ArchivedResponse(
        url=rec_headers.get_header("WARC-Target-URI") or "",
        date=parse_warc_date(date_text),
        status=status,
        reason=reason,
        protocol=http.protocol,
        headers=headers,
        payload=payload,
        body=body,
        content_type=http.get_header("Content-Type"),
        pointer=RecordPointer(
            file=file_name,
            offset=offset,
            record_id=rec_headers.get_header("WARC-Record-ID") or "",
            date=date_text,
        ),
        ip_address=rec_headers.get_header("WARC-IP-Address"),
        decode_error=error,
        rendered_by=rec_headers.get_header(RENDERED_BY_HEADER),
        truncated=rec_headers.get_header("WARC-Truncated"),
    )
