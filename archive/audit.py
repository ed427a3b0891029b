"""``newsarchive audit PATH``: is the archive intact, and does our article text match its bytes?

An auditor gets an output folder (or only its WARC files) long after the crawl.  This module
answers three questions from the files alone, and never stops at the first bad byte:

1. **Are the records intact?**  Every WARC file is read by our own streaming scanner rather than
   warcio's ``ArchiveIterator``: warcio raises on the first corrupt gzip member and cannot resume,
   and it reads a whole record to find its end.  The scanner inflates one gzip member at a time in
   bounded pieces (a 5 GB payload costs a few MB of memory), verifies WARC-Block-Digest and
   WARC-Payload-Digest as the bytes stream past, checks the framing (Content-Length, the CRLF CRLF
   after each record, HTTP Content-Length against the stored payload) and, on damage (a flipped
   byte, a file cut short, bytes that are not a record), reports the file and offset and resyncs
   at the next gzip member or ``WARC/`` header, so one bad record costs one finding.
2. **Does the record graph hold?**  What each record says about the others (request and response
   linked by WARC-Concurrent-To, metadata/conversion/revisit WARC-Refers-To, revisits carrying
   their original's payload digest, every newsarchive capture described by a metadata record and
   every article by a conversion record), what ``articles.jsonl`` points at (a record of that id,
   at that offset, for that URL) and what the CDXJ indexes point at.  These facts go into a
   temporary SQLite file, not into Python sets, so memory stays flat however many records there are.
3. **Does the text match?**  Each article (from ``articles.jsonl`` and from the archive's own
   conversion records, so a folder of bare WARCs is audited too) is extracted again from its
   archived response with the current code, through the same path as ``newsarchive extract``
   (``crawler.probe.replay_evidence`` and ``crawler.page.analyse_page``, outlet by
   ``crawler.outlets.outlet_for_url``), and any difference is reported with a short diff.

Files written by other tools (wget's ``--warc-file``, for instance) get the format checks; the
rules that are newsarchive's own (a warcinfo record first, metadata for every capture, request
and response in one file) apply only to files newsarchive wrote.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import json
import re
import sqlite3
import tempfile
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

from archive.writer import OPEN_SUFFIX

__all__ = [
    "AuditReport",
    "Finding",
    "HttpHead",
    "ScanProblem",
    "ScannedRecord",
    "audit",
    "read_record",
    "scan_file",
]

_CHUNK = 1 << 20
#: A WARC or HTTP header block larger than this is not a header block: stop looking.
_HEAD_LIMIT = 1 << 20
#: Blocks of warcinfo/metadata/conversion records are kept (their content is checked) up to this.
_KEEP_LIMIT = 8 << 20
#: The largest payload read back whole to re-extract its text (no news page comes close).
PAYLOAD_LIMIT = 64 << 20
_GZIP_MAGIC = b"\x1f\x8b\x08"
_WARC_MAGIC = b"WARC/"
#: newsarchive's file names (archive.writer): PREFIX-TIMESTAMP(20)-SERIAL(5)-HOST.warc[.gz].
_OUR_NAME = re.compile(r"^.+-\d{20}-\d{5}-[^/]+\.warc(?:\.gz)?$")
_WARC_SUFFIXES = (".warc", ".warc.gz", ".warc.open", ".warc.gz.open")
_NO_BODY = frozenset({204, 304})
_HTML_TYPES = ("text/html", "application/xhtml+xml")
#: Findings kept in full per kind; beyond this they are only counted (a damaged index can point
#: thousands of lines at nothing, and the report must stay readable and bounded).
MAX_FINDINGS_PER_KIND = 200


# =============================================================================== the scanner


@dataclass
class HttpHead:
    """The HTTP status or request line and headers at the start of a request/response block."""

    first_line: str
    headers: list[tuple[str, str]]

    @property
    def status(self) -> int | None:
        parts = self.first_line.split(" ", 2)
        if len(parts) >= 2 and parts[0].upper().startswith("HTTP/") and parts[1].isdigit():
            return int(parts[1])
        return None

    @property
    def method(self) -> str | None:
        parts = self.first_line.split(" ", 2)
        return parts[0].upper() if parts and not parts[0].upper().startswith("HTTP/") else None

    def header(self, name: str) -> str | None:
        lname = name.lower()
        return next((value for key, value in self.headers if key.lower() == lname), None)


@dataclass
class ScannedRecord:
    """One record as the scanner read it: headers, what the digests say, and what went wrong.

    ``offset`` is where the record starts in the file (for a gzip file, the start of its member);
    ``first_in_member`` is False only for the later records of a multi-record gzip member, which
    cannot be reached by seeking.  ``block`` holds small blocks (warcinfo, metadata, conversion);
    ``payload`` the HTTP payload, only when asked for (:func:`read_record`).
    """

    file: str
    offset: int
    first_in_member: bool
    version: str
    headers: list[tuple[str, str]]
    content_length: int
    block_length: int = 0
    complete: bool = False
    http: HttpHead | None = None
    payload_length: int = 0
    block_digest_ok: bool | None = None
    payload_digest_ok: bool | None = None
    computed_block_digest: str | None = None
    computed_payload_digest: str | None = None
    #: The payload digest matched only once the chunked transfer coding was removed.
    payload_digest_dechunked: bool = False
    block: bytes | None = None
    payload: bytes | None = None
    payload_overflow: bool = False
    problems: list[tuple[str, str]] = field(default_factory=list)

    def header(self, name: str) -> str | None:
        lname = name.lower()
        return next((value for key, value in self.headers if key.lower() == lname), None)

    def header_values(self, name: str) -> list[str]:
        lname = name.lower()
        return [value for key, value in self.headers if key.lower() == lname]

    @property
    def rec_type(self) -> str:
        return (self.header("WARC-Type") or "").strip().lower()

    @property
    def record_id(self) -> str:
        return (self.header("WARC-Record-ID") or "").strip()

    @property
    def target_uri(self) -> str:
        # WARC/1.0 writers such as wget put the URI in angle brackets.
        return (self.header("WARC-Target-URI") or "").strip().removeprefix("<").removesuffix(">")

    @property
    def date(self) -> str:
        return (self.header("WARC-Date") or "").strip()

    def describe(self) -> str:
        """``response <urn:uuid:...> for http://...``: how findings name a record."""
        what = f"{self.rec_type or 'untyped'} record {self.record_id or '(no WARC-Record-ID)'}"
        return f"{what} for {self.target_uri}" if self.target_uri else what


@dataclass
class ScanProblem:
    """Damage that is not one record's business: a corrupt gzip member, a cut file, stray bytes."""

    file: str
    offset: int
    kind: str
    message: str
    record_id: str | None = None
    url: str | None = None


class _Cut(Exception):
    """The file ends inside a gzip member."""


class _Corrupt(Exception):
    """The compressed data cannot be inflated (or fails gzip's CRC/length check)."""


class _Segment:
    """The decompressed bytes of one gzip member (or of a plain file from ``start``), read in pieces.

    Inflating with ``max_length`` keeps memory bounded even for a member that inflates to gigabytes
    (or a deliberate zip bomb).  ``end`` becomes known when the member's end is reached: it is where
    the next member starts.
    """

    def __init__(self, fh: IO[bytes], start: int, *, gz: bool) -> None:
        self.fh = fh
        self.start = start
        self.gz = gz
        self.pos = 0
        self.end: int | None = None
        self.failure: str | None = None
        self.problem: ScanProblem | None = None
        self._buf = bytearray()
        self._fed = 0
        self._tail = b""
        self._inflater = zlib.decompressobj(16 + zlib.MAX_WBITS) if gz else None
        self._done = False
        fh.seek(start)

    def _fill(self) -> bool:
        """Append decompressed bytes to the buffer; False once the segment has ended."""
        while not self._done:
            data = self._tail
            if not data:
                data = self.fh.read(_CHUNK)
                self._fed += len(data)
                if not data:
                    if self._inflater is not None:
                        raise _Cut()
                    self._done = True
                    self.end = self.start + self._fed
                    return False
            if self._inflater is None:
                self._buf += data
                return True
            try:
                out = self._inflater.decompress(data, _CHUNK)
            except zlib.error as exc:
                raise _Corrupt(str(exc)) from None
            self._tail = self._inflater.unconsumed_tail
            if self._inflater.eof:
                # What follows the member is in unused_data (after an output-limited call CPython
                # leaves the same bytes in unconsumed_tail too: they are not counted twice).
                self._done = True
                self.end = self.start + self._fed - len(self._inflater.unused_data)
            if out:
                self._buf += out
                return True
        return False

    def read(self, size: int) -> bytes:
        while len(self._buf) < size and self._fill():
            pass
        out = bytes(self._buf[:size])
        del self._buf[:size]
        self.pos += len(out)
        return out

    def peek(self, size: int) -> bytes:
        while len(self._buf) < size and self._fill():
            pass
        return bytes(self._buf[:size])

    def read_until(self, marker: bytes, limit: int) -> bytes | None:
        """Bytes up to and including ``marker``; None when it does not come within ``limit`` bytes."""
        searched = 0
        while True:
            found = self._buf.find(marker, max(0, searched - len(marker) + 1))
            if found >= 0:
                return self.read(found + len(marker))
            searched = len(self._buf)
            if searched >= limit or not self._fill():
                return None

    def skip_newlines(self) -> None:
        """Stray CR/LF between records (some writers add them) are not damage."""
        while True:
            head = self.peek(1)
            if head not in (b"\r", b"\n"):
                return
            self.read(1)

    def buffered(self) -> bytes:
        """Decompressed bytes read but not yet consumed (a header cut short, for a finding)."""
        return bytes(self._buf[:_HEAD_LIMIT])

    def at_eof(self) -> bool:
        """Whether the segment has no more bytes to read (the buffer may still hold some)."""
        return self._done or not self._fill()

    def fail(self, kind: str, problem: ScanProblem) -> None:
        self.failure = kind
        self.problem = problem

    def at_end(self) -> bool:
        return not self._buf and not self._fill()


class _Dechunker:
    """Hashes the de-chunked bytes of a raw ``Transfer-Encoding: chunked`` payload, streaming.

    Some writers store chunked bodies raw and digest the entity without the chunk framing; such a
    payload digest is right, just computed over different bytes, and must not be called damage.
    """

    def __init__(self, algorithm: str) -> None:
        self.hasher = hashlib.new(algorithm)
        self.ok = True
        self.done = False
        self._line = bytearray()
        self._remaining = 0
        self._state = "size"

    def feed(self, data: bytes) -> None:
        i = 0
        while i < len(data) and self.ok and not self.done:
            if self._state == "data":
                take = min(self._remaining, len(data) - i)
                self.hasher.update(data[i : i + take])
                i += take
                self._remaining -= take
                if not self._remaining:
                    self._state = "crlf"
                continue
            newline = data.find(b"\n", i)
            if newline < 0:
                self._line += data[i:]
                self.ok = len(self._line) < 1024
                return
            self._line += data[i:newline]
            i = newline + 1
            line = bytes(self._line).strip()
            self._line.clear()
            if self._state == "crlf":
                self.ok = not line
                self._state = "size"
                continue
            try:
                size = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                self.ok = False
                return
            if size == 0:
                self.done = True
            else:
                self._remaining = size
                self._state = "data"


def _digest_spec(value: str) -> tuple[str, bytes] | None:
    """``sha1:BASE32`` (or base16/base64, any hashlib algorithm) as (algorithm, digest bytes)."""
    algorithm, sep, encoded = value.strip().partition(":")
    algorithm = algorithm.strip().lower().replace("-", "")
    encoded = encoded.strip()
    if not sep or not encoded or algorithm not in hashlib.algorithms_available:
        return None
    size = hashlib.new(algorithm).digest_size
    decoders: list[Callable[[str], bytes]] = [
        lambda text: base64.b32decode(text.upper() + "=" * (-len(text) % 8)),
        bytes.fromhex,
        lambda text: base64.b64decode(text + "=" * (-len(text) % 4)),
    ]
    for decode in decoders:
        try:
            raw = decode(encoded)
        except (ValueError, binascii.Error):
            continue
        if len(raw) == size:
            return algorithm, raw
    return None


def _show_digest(algorithm: str, raw: bytes) -> str:
    return f"{algorithm}:{base64.b32encode(raw).decode('ascii')}"


def _parse_fields(block: bytes, encoding: str = "utf-8") -> list[tuple[str, str]]:
    """``Name: value`` lines, with folded continuation lines joined.

    WARC headers are UTF-8 (undecodable bytes become U+FFFD: they are reported, never crash the
    audit); HTTP headers are read as Latin-1, which keeps every byte.
    """
    fields: list[tuple[str, str]] = []
    for raw_line in re.split(rb"\r?\n", block):
        if not raw_line.strip():
            continue
        line = raw_line.decode(encoding, "replace")
        if line[:1] in (" ", "\t") and fields:
            name, value = fields[-1]
            fields[-1] = (name, f"{value} {line.strip()}")
            continue
        name, sep, value = line.partition(":")
        if sep:
            fields.append((name.strip(), value.strip()))
    return fields


def _parse_http(block: bytes) -> HttpHead:
    first, _, rest = block.partition(b"\n")
    return HttpHead(first.decode("latin-1").strip(), _parse_fields(rest, "latin-1"))


def is_warc_name(name: str) -> bool:
    return name.endswith(_WARC_SUFFIXES)


def stored_name(path: Path) -> str:
    """The name pointers use: the final name, also while the file is still ``.open``."""
    return path.name.removesuffix(OPEN_SUFFIX)


def scan_file(
    path: Path | str, *, start: int = 0, keep_payload: bool = False, limit: int | None = None
) -> Iterator[ScannedRecord | ScanProblem]:
    """Yield every record of a WARC file, and a :class:`ScanProblem` for each piece of damage.

    Never raises on bad content (only on an unreadable file); after damage it resumes at the next
    gzip member (or ``WARC/`` header of an uncompressed file) that really starts a record.
    ``limit`` stops after that many records (``read_record`` reads one).
    """
    path = Path(path)
    name = stored_name(path)
    size = path.stat().st_size
    count = 0
    with path.open("rb") as fh:
        fh.seek(start)
        head = fh.read(5)
        if not head:
            if start == 0:
                yield ScanProblem(name, 0, "structure", "the file is empty: no WARC record at all")
            return
        gz = head.startswith(b"\x1f\x8b")
        if not gz and not head.startswith(_WARC_MAGIC):
            resume = _next_start(fh, start + 1, size, gz=path.name.endswith((".gz", ".gz.open")))
            if resume is None:
                yield ScanProblem(name, start, "structure", f"not a WARC file: it starts with {head!r}")
                return
            gz = path.name.endswith((".gz", ".gz.open"))
            yield ScanProblem(
                name, start, "structure", f"{resume - start} bytes that are not a WARC record, up to offset {resume}"
            )
            start = resume
        position = start
        while position < size:
            if gz:
                fh.seek(position)
                if fh.read(3) != _GZIP_MAGIC:
                    resume = _next_start(fh, position + 1, size, gz=True)
                    where = f"up to the next record at offset {resume}" if resume is not None else "to the end of the file"
                    yield ScanProblem(
                        name, position, "structure",
                        f"{(resume or size) - position} bytes that are not a gzip member, {where}",
                    )
                    if resume is None:
                        return
                    position = resume
                    continue
            segment = _Segment(fh, position, gz=gz)
            for item in _records_in(segment, name, size, keep_payload):
                yield item
                count += 1
                if limit is not None and count >= limit:
                    return
            problem = segment.problem
            if problem is None and segment.end is not None:
                position = segment.end
                continue
            if problem is None:  # pragma: no cover - a segment ends either cleanly or with a problem
                return
            if segment.failure == "cut":
                yield problem
                return
            resume = _next_start(fh, problem.offset + 1, size, gz=gz)
            problem.message += (
                f"; reading resumes at the next record, at offset {resume}" if resume is not None
                else "; no record follows it"
            )
            yield problem
            if resume is None:
                return
            position = resume


def _records_in(segment: _Segment, name: str, size: int, keep_payload: bool) -> Iterator[ScannedRecord]:
    """The records of one gzip member (usually exactly one), or of an uncompressed file.

    Damage ends the segment: it is left in ``segment.problem`` for :func:`scan_file`, which adds
    where reading resumes.
    """
    index = 0
    current: ScannedRecord | None = None
    finished = False
    try:
        while True:
            segment.skip_newlines()
            if segment.at_end():
                return
            record_pos = segment.pos
            offset = segment.start if segment.gz else segment.start + record_pos
            head = segment.read_until(b"\r\n\r\n", _HEAD_LIMIT)
            if head is None and not segment.gz and segment.buffered().startswith(_WARC_MAGIC) and segment.at_eof():
                partial = _partial(segment.buffered(), name, offset)
                segment.fail("cut", ScanProblem(
                    name, offset, "truncated",
                    f"the file ends (at byte {size}) inside the header of {partial.describe()}; the file is truncated",
                    partial.record_id or None, partial.target_uri or None,
                ))
                return
            if head is None or not head.startswith(_WARC_MAGIC):
                where = f"byte {record_pos} of the gzip member at offset {offset}" if segment.gz else f"offset {offset}"
                found = (head or segment.peek(16))[:16]
                segment.fail("structure", ScanProblem(
                    name, offset, "structure", f"no WARC record header at {where} (found {found!r})"
                ))
                return
            first, _, rest = head.partition(b"\r\n")
            record = ScannedRecord(
                file=name, offset=offset, first_in_member=(index == 0 or not segment.gz),
                version=first.decode("latin-1").strip(), headers=_parse_fields(rest), content_length=-1,
            )
            declared = record.header("Content-Length")
            try:
                record.content_length = int((declared or "").strip())
                if record.content_length < 0:
                    raise ValueError
            except ValueError:
                segment.fail("structure", ScanProblem(
                    name, offset, "structure",
                    f"{record.describe()} has no usable Content-Length ({declared!r}): its end cannot be found",
                    record.record_id or None, record.target_uri or None,
                ))
                return
            current, finished = record, False
            _read_block(segment, record, keep_payload)
            if record.complete:
                trailer = segment.read(4)
                if trailer != b"\r\n\r\n":
                    record.problems.append(("structure", "the record is not followed by CRLF CRLF "
                                                         f"(found {trailer!r}): its Content-Length is wrong"))
            elif segment.gz:
                record.problems.append(("structure", f"its gzip member ends after {record.block_length} of the "
                                                     f"{record.content_length} block bytes Content-Length announces"))
            else:
                record.problems.append(("truncated", f"the file ends after {record.block_length} of the "
                                                     f"{record.content_length} block bytes (file size {size}): "
                                                     "the file is truncated"))
            finished = True
            yield record
            index += 1
            if not segment.gz and not record.complete:
                return
    except _Cut:
        incomplete = (
            f": {current.describe()} is incomplete ({current.block_length} of {current.content_length} block "
            "bytes readable)" if current is not None and not finished else ""
        )
        if current is None or finished:
            buffered = segment.buffered()
            if buffered.startswith(_WARC_MAGIC) and b"\r\n\r\n" not in buffered:
                current = _partial(buffered, name, segment.start)
                incomplete = f": even the header of {current.describe()} is incomplete"
                finished = False
        segment.fail("cut", ScanProblem(
            name, segment.start, "truncated",
            f"the file ends (at byte {size}) inside the gzip member starting here{incomplete}; the file is truncated",
            current.record_id if current is not None else None, current.target_uri if current is not None else None,
        ))
    except _Corrupt as exc:
        if current is None:
            detail = "nothing in it could be read"
        elif finished:
            detail = f"it holds {current.describe()}, whose stored bytes were altered"
        else:
            detail = (f"{current.describe()} could not be read past block byte {current.block_length} "
                      f"of {current.content_length}")
        segment.fail("corrupt", ScanProblem(
            name, segment.start, "gzip", f"corrupt gzip member ({exc}): {detail}",
            current.record_id if current is not None else None, current.target_uri if current is not None else None,
        ))


def _partial(head: bytes, name: str, offset: int) -> ScannedRecord:
    """What a header cut short still says about its record (its id and URL name it in a finding)."""
    first, _, rest = head.partition(b"\r\n")
    lines = rest.split(b"\r\n")
    complete_lines = b"\r\n".join(lines[:-1])  # the last line may be cut mid-value
    return ScannedRecord(name, offset, True, first.decode("latin-1").strip(), _parse_fields(complete_lines), -1)


def _read_block(segment: _Segment, record: ScannedRecord, keep_payload: bool) -> None:
    """Stream the record's block: digests, HTTP head, payload length; keep what is asked for."""
    rec_type = record.rec_type
    content_type = (record.header("Content-Type") or "").lower()
    is_http = content_type.startswith("application/http") and rec_type in ("request", "response", "revisit")
    block_spec = _spec_or_problem(record, "WARC-Block-Digest")
    payload_spec = _spec_or_problem(record, "WARC-Payload-Digest") if rec_type != "revisit" else None
    block_hash = hashlib.new(block_spec[0]) if block_spec else None
    payload_hash = hashlib.new(payload_spec[0]) if payload_spec else None
    keep_block = rec_type in ("warcinfo", "metadata", "conversion")
    kept = bytearray()
    payload = bytearray()
    dechunker: _Dechunker | None = None
    head_buf: bytearray | None = bytearray() if is_http else None

    def feed_payload(data: bytes) -> None:
        nonlocal dechunker
        record.payload_length += len(data)
        if payload_hash is not None:
            payload_hash.update(data)
        if dechunker is not None:
            dechunker.feed(data)
        if keep_payload and not record.payload_overflow:
            if len(payload) + len(data) > PAYLOAD_LIMIT:
                record.payload_overflow = True
                payload.clear()
            else:
                payload.extend(data)

    remaining = record.content_length
    while remaining:
        chunk = segment.read(min(remaining, _CHUNK))
        if not chunk:
            break
        remaining -= len(chunk)
        record.block_length += len(chunk)
        if block_hash is not None:
            block_hash.update(chunk)
        if keep_block and len(kept) < _KEEP_LIMIT:
            kept += chunk[: _KEEP_LIMIT - len(kept)]
        if head_buf is None:
            feed_payload(chunk)
            continue
        head_buf += chunk
        end = head_buf.find(b"\r\n\r\n")
        if end < 0:
            if len(head_buf) > _HEAD_LIMIT:
                record.problems.append(("structure", "no end of the HTTP header block in its first MB"))
                head_buf = None
            continue
        record.http = _parse_http(bytes(head_buf[:end]))
        rest = bytes(head_buf[end + 4 :])
        head_buf = None
        coding = (record.http.header("Transfer-Encoding") or "").lower()
        if payload_spec is not None and "chunked" in coding:
            dechunker = _Dechunker(payload_spec[0])
        if rest:
            feed_payload(rest)
    record.complete = remaining == 0
    if head_buf is not None and record.complete:
        # A header block ending the record without the empty line (revisits of some writers).
        if head_buf.strip():
            record.http = _parse_http(bytes(head_buf).rstrip(b"\r\n"))
        else:
            record.problems.append(("structure", "an HTTP record with an empty block"))
    if keep_block:
        record.block = bytes(kept)
    if keep_payload and not record.payload_overflow:
        record.payload = bytes(payload)
    if not record.complete:
        return
    if block_spec is not None and block_hash is not None:
        computed = block_hash.digest()
        record.block_digest_ok = computed == block_spec[1]
        record.computed_block_digest = _show_digest(block_spec[0], computed)
    if payload_spec is not None and payload_hash is not None and (record.http is not None or not is_http):
        computed = payload_hash.digest()
        record.payload_digest_ok = computed == payload_spec[1]
        record.computed_payload_digest = _show_digest(payload_spec[0], computed)
        if (
            not record.payload_digest_ok and dechunker is not None and dechunker.ok and dechunker.done
            and dechunker.hasher.digest() == payload_spec[1]
        ):
            record.payload_digest_ok = True
            record.payload_digest_dechunked = True


def _spec_or_problem(record: ScannedRecord, header: str) -> tuple[str, bytes] | None:
    value = record.header(header)
    if not value:
        return None
    spec = _digest_spec(value)
    if spec is None:
        record.problems.append(("digest", f"{header} {value!r} names no digest we can compute"))
    return spec


def _next_start(fh: IO[bytes], position: int, size: int, *, gz: bool) -> int | None:
    """The next offset at or after ``position`` where a record really starts (resync after damage).

    A gzip magic number can occur by chance inside compressed data, so a candidate only counts if
    it inflates to ``WARC/``; in a plain file a candidate is ``WARC/1.`` at the start of a line.
    """
    marker = _GZIP_MAGIC if gz else b"WARC/1."
    carry = b""
    base = position
    while base < size:
        fh.seek(base)
        chunk = fh.read(_CHUNK)
        if not chunk:
            return None
        data = carry + chunk
        origin = base - len(carry)
        search = 0
        while (found := data.find(marker, search)) >= 0:
            candidate = origin + found
            search = found + 1
            if candidate < position:
                continue
            if gz and _inflates_to_warc(fh, candidate):
                return candidate
            if not gz and (candidate == 0 or _preceded_by_newline(fh, candidate)):
                return candidate
        carry = data[-(len(marker) - 1) :]
        base += len(chunk)
    return None


def _inflates_to_warc(fh: IO[bytes], candidate: int) -> bool:
    fh.seek(candidate)
    try:
        out = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(fh.read(4096), 16)
    except zlib.error:
        return False
    return out.startswith(_WARC_MAGIC)


def _preceded_by_newline(fh: IO[bytes], candidate: int) -> bool:
    fh.seek(candidate - 1)
    return fh.read(1) == b"\n"


def read_record(path: Path | str, offset: int) -> ScannedRecord | ScanProblem:
    """The record starting at ``offset`` with its payload (the scanner's random access)."""
    for item in scan_file(path, start=offset, keep_payload=True, limit=1):
        if isinstance(item, ScannedRecord) and item.offset != offset:
            return ScanProblem(stored_name(Path(path)), offset, "structure", f"no record starts at offset {offset}")
        return item
    return ScanProblem(stored_name(Path(path)), offset, "structure", f"no record at offset {offset}")


def read_head(path: Path | str, offset: int) -> ScannedRecord | None:
    """Only the WARC header of the record at ``offset`` (cheap: the block is not inflated)."""
    path = Path(path)
    try:
        with path.open("rb") as fh:
            fh.seek(offset)
            gz = fh.read(2) == b"\x1f\x8b"
            segment = _Segment(fh, offset, gz=gz)
            head = segment.read_until(b"\r\n\r\n", _HEAD_LIMIT)
    except (OSError, _Cut, _Corrupt):
        return None
    if head is None or not head.startswith(_WARC_MAGIC):
        return None
    first, _, rest = head.partition(b"\r\n")
    return ScannedRecord(stored_name(path), offset, True, first.decode("latin-1").strip(), _parse_fields(rest), -1)


# =============================================================================== the audit


@dataclass
class Finding:
    """One thing wrong (``error``: the audit fails) or worth knowing (``warning``).

    ``kind``: ``gzip``, ``truncated``, ``structure``, ``digest``, ``length``, ``link``, ``article``,
    ``index``, ``text`` or ``file``.  ``file``/``offset`` locate it in a WARC file when it has a place.
    """

    severity: str
    kind: str
    message: str
    file: str | None = None
    offset: int | None = None
    record_id: str | None = None
    url: str | None = None
    diff: list[str] | None = None

    def as_dict(self) -> dict[str, Any]:
        return {key: value for key, value in asdict(self).items() if value is not None}

    def line(self) -> str:
        where = f"{self.file} @ {self.offset}" if self.file and self.offset is not None else (self.file or "-")
        text = f"{self.severity.upper():<7} {where}  [{self.kind}] {self.message}"
        if self.diff:
            text += "\n" + "\n".join(f"          {line}" for line in self.diff)
        return text


@dataclass
class AuditReport:
    """Counts of what was checked, and the findings (bounded per kind: see ``omitted``)."""

    paths: list[str]
    files: list[dict[str, Any]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    #: kind -> findings counted but not kept in full.
    omitted: dict[str, int] = field(default_factory=dict)
    errors: int = 0
    warnings: int = 0

    @property
    def ok(self) -> bool:
        return self.errors == 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "errors": self.errors,
            "warnings": self.warnings,
            "paths": self.paths,
            "counts": self.counts,
            "files": self.files,
            "findings": [f.as_dict() for f in self.findings],
            "omitted": self.omitted,
        }

    def text(self) -> str:
        c = self.counts
        lines = [
            f"newsarchive audit of {', '.join(self.paths)}",
            f"  {c.get('files', 0)} WARC files, {c.get('bytes', 0)} bytes, {c.get('records', 0)} records "
            f"({c.get('responses', 0)} responses, {c.get('revisits', 0)} revisits, {c.get('requests', 0)} requests, "
            f"{c.get('metadata', 0)} metadata, {c.get('conversions', 0)} conversions)",
            f"  digests verified: {c.get('block_digests', 0)} block, {c.get('payload_digests', 0)} payload",
            f"  articles.jsonl: {c.get('articles', 0)} articles; index lines checked: {c.get('index_lines', 0)}",
            f"  text re-extracted for {c.get('reextracted', 0)} archived responses: "
            f"{c.get('texts_identical', 0)} statements identical, {c.get('texts_differing', 0)} differing",
        ]
        if self.findings:
            lines.append("")
            lines.extend(f.line() for f in self.findings)
        for kind, count in sorted(self.omitted.items()):
            lines.append(f"... and {count} more [{kind}] findings")
        lines.append("")
        if self.ok:
            lines.append(f"OK: the archive is intact and every article text matches ({self.warnings} warnings)")
        else:
            lines.append(f"FAILED: {self.errors} errors, {self.warnings} warnings")
        return "\n".join(lines)


_SCHEMA = """
CREATE TABLE files (name TEXT PRIMARY KEY, path TEXT, ours INTEGER, records INTEGER DEFAULT 0, bytes INTEGER);
CREATE TABLE records (
    seq INTEGER PRIMARY KEY, file TEXT, offset INTEGER, seekable INTEGER, type TEXT, id TEXT,
    uri TEXT, date TEXT, status INTEGER, ctype TEXT, location TEXT, digest TEXT, profile TEXT, method TEXT,
    declared_len INTEGER, payload_len INTEGER, truncated TEXT, verdict TEXT, meta_error INTEGER, text_sha TEXT
);
CREATE INDEX records_id ON records(id);
CREATE INDEX records_pos ON records(file, offset);
CREATE TABLE links (seq INTEGER, kind TEXT, target TEXT);
CREATE INDEX links_target ON links(target);
CREATE INDEX links_seq ON links(seq);
CREATE TABLE described (id TEXT);
CREATE INDEX described_id ON described(id);
CREATE TABLE articles (
    line INTEGER, pos INTEGER, url TEXT, file TEXT, offset INTEGER, record_id TEXT, text_sha TEXT, text_file TEXT
);
CREATE INDEX articles_record ON articles(record_id);
CREATE INDEX articles_text_file ON articles(text_file, line);
"""


def _sha(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


class _Auditor:
    """One audit run: pass 1 scans the files into the database, then the checks query it."""

    def __init__(
        self, report: AuditReport, db: sqlite3.Connection, on_finding: Callable[[Finding], None] | None
    ) -> None:
        self.report = report
        self.db = db
        self.on_finding = on_finding
        self.kept: dict[str, int] = {}
        self.counts = report.counts
        self.paths: dict[str, Path] = {}

    # ----------------------------------------------------------------- bookkeeping

    def add(self, severity: str, kind: str, message: str, **where: Any) -> None:
        finding = Finding(severity, kind, message, **where)
        if severity == "error":
            self.report.errors += 1
        else:
            self.report.warnings += 1
        if self.kept.get(kind, 0) >= MAX_FINDINGS_PER_KIND:
            self.report.omitted[kind] = self.report.omitted.get(kind, 0) + 1
            return
        self.kept[kind] = self.kept.get(kind, 0) + 1
        self.report.findings.append(finding)
        if self.on_finding is not None:
            self.on_finding(finding)

    def count(self, name: str, n: int = 1) -> None:
        self.counts[name] = self.counts.get(name, 0) + n

    # ----------------------------------------------------------------- pass 1: the files

    def scan(self, path: Path) -> None:
        name = stored_name(path)
        if name in self.paths:
            self.add("error", "file", f"two files are named {name} ({self.paths[name]} and {path}): pointers "
                                      "cannot tell them apart; the second is not audited", file=name)
            return
        self.paths[name] = path
        size = path.stat().st_size
        self.count("files")
        self.count("bytes", size)
        if path.name.endswith(OPEN_SUFFIX):
            self.add("warning", "file", "still .open: being written, or left by a killed crawl "
                                        "(`newsarchive archive repair` closes it)", file=name)
        ours = bool(_OUR_NAME.match(name))
        self.db.execute("INSERT INTO files (name, path, ours, bytes) VALUES (?,?,?,?)", (name, str(path), int(ours), size))
        first = True
        try:
            for item in scan_file(path):
                if isinstance(item, ScanProblem):
                    self.add("error", item.kind, item.message, file=item.file, offset=item.offset,
                             record_id=item.record_id, url=item.url)
                    first = False
                    continue
                if first:
                    ours = self._first_record(item, name, ours)
                    first = False
                self._record(item, ours)
        except OSError as exc:
            self.add("error", "file", f"cannot be read: {exc}", file=name)

    def _first_record(self, record: ScannedRecord, name: str, ours: bool) -> bool:
        """The warcinfo record says who wrote the file; newsarchive's own rules apply to its files."""
        if record.rec_type == "warcinfo":
            info = dict(_parse_fields(record.block or b""))
            software = info.get("software", "")
            ours = software.lower().startswith("newsarchive/")
            self.db.execute("UPDATE files SET ours = ? WHERE name = ?", (int(ours), name))
        else:
            self.add("error" if ours else "warning", "structure",
                     f"the first record is {record.describe()}, not warcinfo: the file's origin is undocumented",
                     file=name, offset=record.offset)
        return ours

    def _record(self, record: ScannedRecord, ours: bool) -> None:
        where = {"file": record.file, "offset": record.offset, "record_id": record.record_id or None,
                 "url": record.target_uri or None}
        self.count("records")
        rec_type = record.rec_type
        for kind, message in record.problems:
            self.add("error", kind, f"{record.describe()}: {message}", **where)
        for required in ("WARC-Record-ID", "WARC-Type", "WARC-Date"):
            if not record.header(required):
                self.add("error", "structure", f"{record.describe()} has no {required}", **where)
        if not record.version.startswith(("WARC/1.0", "WARC/1.1")):
            self.add("warning", "structure", f"unknown WARC version {record.version!r}", **where)
        self._digests(record, ours, where)
        status = record.http.status if record.http is not None else None
        truncated = record.header("WARC-Truncated")
        if truncated and rec_type == "response":
            self.add("warning", "truncated", f"{record.describe()} was captured incomplete (WARC-Truncated: "
                                             f"{truncated})", **where)
        verdict = meta_error = text_sha = None
        if rec_type == "metadata" and record.block is not None:
            verdict, meta_error = self._metadata(record, ours, where)
        elif rec_type == "conversion" and record.block is not None and record.complete:
            text_sha = hashlib.sha1(record.block).hexdigest()
        http = record.http
        counter = {"response": "responses", "revisit": "revisits", "request": "requests", "metadata": "metadata",
                   "conversion": "conversions"}.get(rec_type)
        if counter:
            self.count(counter)
        cursor = self.db.execute(
            "INSERT INTO records (file, offset, seekable, type, id, uri, date, status, ctype, location, digest,"
            " profile, method, declared_len, payload_len, truncated, verdict, meta_error, text_sha)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                record.file, record.offset, int(record.first_in_member), rec_type, record.record_id,
                record.target_uri, record.date, status,
                http.header("Content-Type") if http else None, http.header("Location") if http else None,
                record.header("WARC-Payload-Digest"), record.header("WARC-Profile"),
                http.method if http else None, _int(http.header("Content-Length")) if http else None,
                record.payload_length if record.complete else None, truncated, verdict, meta_error, text_sha,
            ),
        )
        seq = cursor.lastrowid
        links = [("concurrent", target) for target in record.header_values("WARC-Concurrent-To")]
        links += [("refers", target) for target in record.header_values("WARC-Refers-To")]
        links += [("warcinfo", target) for target in record.header_values("WARC-Warcinfo-ID")]
        self.db.executemany(
            "INSERT INTO links (seq, kind, target) VALUES (?,?,?)", [(seq, kind, t.strip()) for kind, t in links]
        )

    def _digests(self, record: ScannedRecord, ours: bool, where: dict[str, Any]) -> None:
        if record.block_digest_ok is not None:
            self.count("block_digests")
        if record.payload_digest_ok is not None:
            self.count("payload_digests")
        if record.block_digest_ok is False:
            self.add("error", "digest", f"{record.describe()}: block digest mismatch: WARC-Block-Digest says "
                                        f"{record.header('WARC-Block-Digest')}, the stored block hashes to "
                                        f"{record.computed_block_digest}: the record was altered", **where)
        if record.payload_digest_ok is False:
            self.add("error", "digest", f"{record.describe()}: payload digest mismatch: WARC-Payload-Digest says "
                                        f"{record.header('WARC-Payload-Digest')}, the stored payload hashes to "
                                        f"{record.computed_payload_digest}: the payload was altered", **where)
        if record.payload_digest_dechunked:
            self.add("warning", "digest", f"{record.describe()}: WARC-Payload-Digest is the digest of the "
                                          "de-chunked payload (the stored payload keeps its chunked framing)", **where)
        if ours and record.complete and not record.header("WARC-Block-Digest"):
            self.add("error", "digest", f"{record.describe()} has no WARC-Block-Digest", **where)

    def _metadata(self, record: ScannedRecord, ours: bool, where: dict[str, Any]) -> tuple[str | None, int]:
        """newsarchive's metadata JSON: the verdict, a download failure, what else it describes."""
        if not (record.header("Content-Type") or "").startswith("application/json"):
            return None, 0
        try:
            fields = json.loads(record.block or b"")
        except ValueError as exc:
            if ours:
                self.add("error", "structure", f"{record.describe()}: its JSON does not parse ({exc})", **where)
            return None, 0
        if not isinstance(fields, dict):
            return None, 0
        # A rendered page's metadata lists the browser's own exchanges it stands for.
        described = [entry.get("record_id") for entry in fields.get("network") or [] if isinstance(entry, dict)]
        described.append(fields.get("page_response"))
        self.db.executemany("INSERT INTO described (id) VALUES (?)", [(i,) for i in described if isinstance(i, str)])
        verdict = fields.get("verdict")
        return (verdict if isinstance(verdict, str) else None), int(bool(fields.get("error")))

    # ----------------------------------------------------------------- the record graph

    def check_graph(self) -> None:
        db = self.db
        for (record_id, n, places) in db.execute(
            "SELECT id, COUNT(*), GROUP_CONCAT(file || ' @ ' || offset, ', ') FROM records WHERE id != ''"
            " GROUP BY id HAVING COUNT(*) > 1"
        ):
            self.add("error", "structure", f"WARC-Record-ID {record_id} is used by {n} records ({places})",
                     record_id=record_id)
        # Missing records, grouped: one finding per record that is referred to but not there.
        missing = db.execute(
            "SELECT l.target, COUNT(*) FROM links l LEFT JOIN records t ON t.id = l.target"
            " WHERE t.id IS NULL GROUP BY l.target ORDER BY MIN(l.seq)"
        )
        for target, n in missing:  # a cursor, not a list: memory stays flat however many there are
            referrers = db.execute(
                "SELECT r.type, r.id, r.file, r.offset, l.kind, r.uri FROM links l JOIN records r ON r.seq = l.seq"
                " WHERE l.target = ? ORDER BY r.seq LIMIT 4", (target,)
            ).fetchall()
            first = referrers[0]
            names = {"concurrent": "WARC-Concurrent-To", "refers": "WARC-Refers-To", "warcinfo": "WARC-Warcinfo-ID"}
            listed = "; ".join(f"{t} {i} at {f} @ {o} ({names[k]})" for t, i, f, o, k, _ in referrers)
            more = f"; and {n - len(referrers)} more" if n > len(referrers) else ""
            self.add("error", "link", f"record {target} is missing from the archive: {n} records refer to it "
                                      f"({listed}{more})", file=first[2], offset=first[3], record_id=target,
                     url=first[5] or None)
        # Revisits must stand for the payload they name.
        for file, offset, rid, uri, digest, profile, target, original_digest in db.execute(
            "SELECT r.file, r.offset, r.id, r.uri, r.digest, r.profile, l.target, t.digest FROM records r"
            " JOIN links l ON l.seq = r.seq AND l.kind = 'refers' JOIN records t ON t.id = l.target"
            " WHERE r.type = 'revisit'"
        ):
            if "identical-payload-digest" in (profile or "") and digest != original_digest:
                self.add("error", "link", f"revisit {rid} names payload {digest} but the record it refers to, {target}, "
                                          f"holds {original_digest}", file=file, offset=offset, record_id=rid, url=uri)
        for file, offset, rid, uri, ours in db.execute(
            "SELECT r.file, r.offset, r.id, r.uri, f.ours FROM records r JOIN files f ON f.name = r.file"
            " WHERE r.type = 'revisit' AND NOT EXISTS (SELECT 1 FROM links l WHERE l.seq = r.seq AND l.kind = 'refers')"
        ):
            self.add("error" if ours else "warning", "link", f"revisit {rid} has no WARC-Refers-To: the payload it "
                     "stands for can only be found by digest", file=file, offset=offset, record_id=rid, url=uri)
        self._pairs()
        self._described()

    def _pairs(self) -> None:
        """A response and its request name each other (WARC-Concurrent-To, in either direction)."""
        for file, offset, rid, uri, rtype, ours, same_file in self.db.execute(
            """
            SELECT r.file, r.offset, r.id, r.uri, r.type, f.ours,
              (SELECT COUNT(*) FROM links l JOIN records q ON q.seq = l.seq
                 WHERE l.kind = 'concurrent' AND l.target = r.id AND q.type = 'request' AND q.file = r.file)
              + (SELECT COUNT(*) FROM links l JOIN records q ON q.id = l.target
                 WHERE l.seq = r.seq AND l.kind = 'concurrent' AND q.type = 'request' AND q.file = r.file)
            FROM records r JOIN files f ON f.name = r.file
            WHERE r.type IN ('response', 'revisit') AND (r.uri LIKE 'http:%' OR r.uri LIKE 'https:%')
            """
        ):
            if same_file:
                continue
            elsewhere = self.db.execute(
                "SELECT q.file FROM links l JOIN records q ON q.seq = l.seq WHERE l.kind = 'concurrent'"
                " AND l.target = ? AND q.type = 'request' LIMIT 1", (rid,)
            ).fetchone()
            message = (f"{rtype} {rid} has its request in another file ({elsewhere[0]})" if elsewhere
                       else f"{rtype} {rid} has no request record")
            self.add("error" if ours else "warning", "link", message, file=file, offset=offset, record_id=rid, url=uri)
        # HTTP Content-Length against the stored payload (a HEAD response has no payload).
        for file, offset, rid, uri, declared, stored in self.db.execute(
            """
            SELECT r.file, r.offset, r.id, r.uri, r.declared_len, r.payload_len FROM records r
            WHERE r.type = 'response' AND r.truncated IS NULL AND r.declared_len IS NOT NULL
              AND r.payload_len IS NOT NULL AND r.declared_len != r.payload_len AND r.status >= 200
              AND r.status NOT IN (204, 304)
              AND NOT EXISTS (SELECT 1 FROM links l JOIN records q ON q.seq = l.seq WHERE l.kind = 'concurrent'
                              AND l.target = r.id AND q.method = 'HEAD')
            """
        ):
            self.add("error", "length", f"response {rid}: HTTP Content-Length is {declared} but {stored} payload bytes "
                                        "are stored", file=file, offset=offset, record_id=rid, url=uri)

    def _described(self) -> None:
        """newsarchive describes every capture in a metadata record, and every article in a conversion."""
        for file, offset, rid, uri, rtype in self.db.execute(
            """
            SELECT r.file, r.offset, r.id, r.uri, r.type FROM records r JOIN files f ON f.name = r.file
            WHERE f.ours AND r.type IN ('response', 'revisit')
              AND NOT EXISTS (SELECT 1 FROM links l JOIN records m ON m.seq = l.seq
                              WHERE l.kind = 'refers' AND l.target = r.id AND m.type = 'metadata')
              AND NOT EXISTS (SELECT 1 FROM described d WHERE d.id = r.id)
            """
        ):
            self.add("error", "link", f"{rtype} {rid} has no metadata record: its verdict is not in the archive",
                     file=file, offset=offset, record_id=rid, url=uri)
        for file, offset, rid, uri, target in self.db.execute(
            """
            SELECT m.file, m.offset, m.id, m.uri, l.target FROM records m JOIN files f ON f.name = m.file
            JOIN links l ON l.seq = m.seq AND l.kind = 'refers'
            WHERE f.ours AND m.type = 'metadata' AND m.verdict = 'article'
              AND NOT EXISTS (SELECT 1 FROM links c JOIN records r ON r.seq = c.seq
                              WHERE c.kind = 'refers' AND c.target = l.target AND r.type = 'conversion')
            """
        ):
            self.add("error", "link", f"the page {target} was judged an article (metadata {rid}) but no conversion "
                                      "record holds its text", file=file, offset=offset, record_id=target, url=uri)
        for file, offset, rid, uri in self.db.execute(
            """
            SELECT m.file, m.offset, m.id, m.uri FROM records m JOIN files f ON f.name = m.file
            WHERE f.ours AND m.type IN ('metadata', 'conversion') AND m.meta_error IS NOT 1
              AND NOT EXISTS (SELECT 1 FROM links l WHERE l.seq = m.seq AND l.kind = 'refers')
              AND NOT (m.type = 'metadata' AND m.uri LIKE 'urn:%')
            """
        ):
            self.add("error", "link", f"record {rid} has no WARC-Refers-To and reports no download error: "
                                      "it describes nothing", file=file, offset=offset, record_id=rid, url=uri)

    # ----------------------------------------------------------------- articles.jsonl

    def load_articles(self, path: Path) -> None:
        """Stream ``articles.jsonl`` into the database, checking each pointer as it goes."""
        base = path.parent
        with path.open("rb") as fh:
            position = 0
            for number, raw in enumerate(fh, start=1):
                start, position = position, position + len(raw)
                if not raw.strip():
                    continue
                where = f"articles.jsonl line {number}"
                try:
                    article = json.loads(raw)
                    warc = article["warc"]
                    url, text = str(article["url"]), str(article.get("text") or "")
                    pointer = (str(warc["file"]), int(warc["offset"]), str(warc["record_id"]))
                except (ValueError, KeyError, TypeError) as exc:
                    self.add("error", "article", f"{where}: not an article with a WARC pointer ({type(exc).__name__}: "
                                                 f"{exc})", file="articles.jsonl")
                    continue
                self.count("articles")
                text_file = article.get("text_file")
                self.db.execute(
                    "INSERT INTO articles (line, pos, url, file, offset, record_id, text_sha, text_file)"
                    " VALUES (?,?,?,?,?,?,?,?)",
                    (number, start, url, *pointer, _sha(text), str(base / text_file) if text_file else None),
                )

    def check_articles(self) -> None:
        db = self.db
        for line, url, file, offset, record_id in db.execute(
            "SELECT line, url, file, offset, record_id FROM articles ORDER BY line"
        ):
            where = {"file": file, "offset": offset, "record_id": record_id, "url": url}
            prefix = f"articles.jsonl line {line} ({url})"
            if file not in self.paths:
                self.add("error", "article", f"{prefix}: points to {file}, which is not among the audited WARC files",
                         **where)
                continue
            found = db.execute(
                "SELECT type, id, uri, seekable FROM records WHERE file = ? AND offset = ? ORDER BY seq LIMIT 1",
                (file, offset),
            ).fetchone()
            moved = db.execute(
                "SELECT file, offset FROM records WHERE id = ? AND type IN ('response', 'revisit') LIMIT 1",
                (record_id,),
            ).fetchone()
            hint = (f"; record {record_id} is at {moved[0]} @ {moved[1]}" if moved and tuple(moved) != (file, offset)
                    else f"; record {record_id} is nowhere in the archive" if not moved else "")
            if found is None:
                self.add("error", "article", f"{prefix}: no record starts at {file} @ {offset}{hint}", **where)
                continue
            rtype, rid, uri, _ = found
            if rid != record_id:
                self.add("error", "article", f"{prefix}: the record at {file} @ {offset} is {rtype} {rid}, not "
                                             f"{record_id}{hint}", **where)
            elif rtype not in ("response", "revisit"):
                self.add("error", "article", f"{prefix}: {record_id} is a {rtype} record, not a response", **where)
            elif uri != url:
                self.add("error", "article", f"{prefix}: the response's WARC-Target-URI is {uri}", **where)
        # Each text file holds the text of the last article written to it (a recrawl rewrites it).
        for text_file, line, pos in db.execute(
            "SELECT text_file, line, pos FROM articles a WHERE text_file IS NOT NULL AND line = "
            "(SELECT MAX(line) FROM articles b WHERE b.text_file = a.text_file)"
        ):
            article = self.article_line(pos)
            path = Path(text_file)
            try:
                content = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                self.add("error", "article", f"articles.jsonl line {line}: its text file {path.name} cannot be read "
                                             f"({exc})", url=article.get("url"))
                continue
            if not content.endswith("\n\n" + (article.get("text") or "") + "\n"):
                self.add("error", "article", f"articles.jsonl line {line}: the text file {path} does not hold the "
                                             "article's text", url=article.get("url"))

    def article_line(self, pos: int) -> dict[str, Any]:
        with self.articles_path.open("rb") as fh:
            fh.seek(pos)
            return json.loads(fh.readline())

    articles_path: Path

    # ----------------------------------------------------------------- CDXJ indexes

    def check_index(self, path: Path) -> None:
        """Every CDXJ line of an audited WARC file must point at a capture of its URL."""
        bad: dict[str, list[str]] = {}
        counts: dict[str, int] = {}
        with path.open("rb") as fh:
            for number, raw in enumerate(fh, start=1):
                parts = raw.split(b" ", 2)
                if len(parts) < 3 or not raw.strip() or raw.startswith((b"!", b" ")):
                    continue
                try:
                    fields = json.loads(parts[2])
                    file, offset, url = str(fields["filename"]), int(fields["offset"]), str(fields["url"])
                except (ValueError, KeyError, TypeError):
                    self.add("error", "index", f"{path.name} line {number}: not a CDXJ line", file=path.name)
                    continue
                if file not in self.paths:
                    continue
                self.count("index_lines")
                found = self.db.execute(
                    "SELECT type, uri FROM records WHERE file = ? AND offset = ? ORDER BY seq LIMIT 1", (file, offset)
                ).fetchone()
                problem = None
                if found is None:
                    problem = f"line {number} ({url}): no record starts at offset {offset}"
                elif found[0] not in ("response", "revisit") or found[1] != url:
                    problem = f"line {number} ({url}): offset {offset} holds the {found[0]} record for {found[1]}"
                if problem:
                    counts[file] = counts.get(file, 0) + 1
                    examples = bad.setdefault(file, [])
                    if len(examples) < 3:
                        examples.append(problem)
        for file, examples in bad.items():
            n = counts[file]
            self.add("error", "index", f"{path.name}: {n} lines point into {file} where their capture is not "
                                       f"({'; '.join(examples)}{'; ...' if n > len(examples) else ''})", file=file)


    # ----------------------------------------------------------------- pass 2: the text

    def reextract(self) -> None:
        """Extract every archived HTML page again, in archive order; compare the articles' texts.

        All HTML pages go through ``SiteEvidence`` in archive order (as ``newsarchive extract`` does):
        the verdicts depend on the per-host probe and templates the crawl learnt from earlier pages.
        What is compared is the extracted text whatever today's verdict, and a verdict that is no
        longer ``article`` is reported with it.
        """
        from crawler.outlets import outlet_for_url
        from crawler.probe import ArchivedExchange, replay_evidence

        db = self.db
        db.execute("CREATE TABLE targets (id TEXT PRIMARY KEY)")
        db.execute("INSERT OR IGNORE INTO targets SELECT record_id FROM articles")
        db.execute(
            "INSERT OR IGNORE INTO targets SELECT l.target FROM links l JOIN records r ON r.seq = l.seq"
            " WHERE r.type = 'conversion' AND l.kind = 'refers'"
        )
        if db.execute("SELECT COUNT(*) FROM targets").fetchone()[0] == 0:
            return
        evidence = replay_evidence(self._exchanges(ArchivedExchange), outlet_for_url)
        rows = db.execute(
            "SELECT r.seq, r.file, r.offset, r.seekable, r.type, r.id, r.uri, r.ctype, r.profile,"
            " EXISTS (SELECT 1 FROM targets t WHERE t.id = r.id) FROM records r"
            " WHERE r.type IN ('response', 'revisit') AND r.status IS NOT NULL ORDER BY r.seq"
        )
        for seq, file, offset, seekable, rtype, rid, uri, ctype, profile, is_target in rows:
            if not is_target and not _maybe_html(ctype) and not (rtype == "revisit" and ctype is None):
                continue
            loaded = self._load(seq, file, offset, seekable, rtype, rid, profile)
            if isinstance(loaded, str):
                if is_target:
                    self.add("error", "text", f"the article's capture cannot be extracted again: {loaded}",
                             file=file, offset=offset, record_id=rid, url=uri)
                continue
            status, content_type, body = loaded
            if not _html_like(content_type, body):
                if is_target:
                    self.add("error", "text", f"the article's capture is not an HTML page ({content_type})",
                             file=file, offset=offset, record_id=rid, url=uri)
                continue
            result = evidence.analyse(uri, status, body, content_type=content_type, outlet=outlet_for_url(uri))
            if is_target:
                self.count("reextracted")
                self._compare(result, file, offset, rid, uri)

    def _exchanges(self, make: Callable[..., Any]) -> Iterator[Any]:
        """(url, status, Location) of every capture in archive order, a 304 revisit as its original."""
        for uri, status, location, profile, original_status in self.db.execute(
            "SELECT r.uri, r.status, r.location, r.profile, (SELECT t.status FROM links l JOIN records t"
            " ON t.id = l.target WHERE l.seq = r.seq AND l.kind = 'refers' LIMIT 1) FROM records r"
            " WHERE r.type IN ('response', 'revisit') AND r.status IS NOT NULL ORDER BY r.seq"
        ):
            if "server-not-modified" in (profile or "") and original_status is not None:
                status = original_status
            yield make(uri, status, location)

    def _load(
        self, seq: int, file: str, offset: int, seekable: int, rtype: str, rid: str, profile: str | None
    ) -> tuple[int, str | None, bytes] | str:
        """(status, Content-Type, decoded body) of a capture, a revisit resolved; else why not."""
        from archive.reader import decode_content

        if not seekable:
            return "it sits inside a gzip member with other records and cannot be read on its own"
        record = read_record(self.paths[file], offset)
        if isinstance(record, ScanProblem):
            return record.message
        if not record.complete or record.http is None:
            return "the record is incomplete"
        http, payload = record.http, record.payload
        if rtype == "revisit":
            target = (record.header("WARC-Refers-To") or "").strip()
            found = self.db.execute(
                "SELECT file, offset, seekable FROM records WHERE id = ? AND type = 'response' LIMIT 1", (target,)
            ).fetchone()
            if found is None or not found[2]:
                return f"the record it revisits, {target or '(none named)'}, is not in the archive"
            original = read_record(self.paths[found[0]], found[1])
            if isinstance(original, ScanProblem) or not original.complete or original.http is None:
                return f"the record it revisits, {target}, is damaged"
            payload = original.payload
            if "server-not-modified" in (profile or ""):
                http = original.http
        if payload is None:
            return f"its payload is larger than {PAYLOAD_LIMIT} bytes"
        # A page the browser rendered was extracted from its DOM, archived as a resource record.
        dom = self.db.execute(
            "SELECT r.file, r.offset, r.seekable FROM links l JOIN records r ON r.seq = l.seq WHERE l.target = ?"
            " AND l.kind = 'concurrent' AND r.type = 'resource' AND r.uri LIKE 'urn:rendered-dom:%' LIMIT 1", (rid,)
        ).fetchone()
        content_type = http.header("Content-Type")
        if dom is not None and dom[2]:
            rendered = read_record(self.paths[dom[0]], dom[1])
            if isinstance(rendered, ScanProblem) or not rendered.complete or rendered.payload is None:
                return "its rendered DOM record is damaged"
            return http.status or 0, rendered.header("Content-Type"), rendered.payload
        body, _error = decode_content(payload, http.headers)
        return http.status or 0, content_type, body

    def _compare(self, result: Any, file: str, offset: int, rid: str, uri: str) -> None:
        from archive.diffing import page_text, text_diff

        current = page_text(result)
        current_sha = _sha(current)
        verdict = "" if result.is_article else (
            f"; the current code judges the page {result.verdict} ({', '.join(result.verdict_reasons)}), "
            "not an article"
        )
        statements: list[tuple[str, str, Callable[[], str]]] = []
        for line, pos, text_sha in self.db.execute(
            "SELECT line, pos, text_sha FROM articles WHERE record_id = ? ORDER BY line", (rid,)
        ).fetchall():
            statements.append((f"articles.jsonl line {line}", text_sha,
                               lambda pos=pos: str(self.article_line(pos).get("text") or "")))
        for cfile, coffset, cid, text_sha in self.db.execute(
            "SELECT r.file, r.offset, r.id, r.text_sha FROM links l JOIN records r ON r.seq = l.seq"
            " WHERE l.target = ? AND l.kind = 'refers' AND r.type = 'conversion' ORDER BY r.seq", (rid,)
        ).fetchall():
            if text_sha is None:
                continue  # damaged: already reported
            statements.append((f"conversion record {cid} ({cfile} @ {coffset})", text_sha,
                               lambda f=cfile, o=coffset: self._conversion_text(f, o)))
        for name, stored_sha, stored_text in statements:
            if stored_sha == current_sha and not verdict:
                self.count("texts_identical")
                continue
            self.count("texts_differing")
            stored = stored_text()
            diff = text_diff(stored, current, old_label=name, new_label="extracted now from the archived response",
                             max_lines=24)
            what = "its text differs from what the current code extracts" if diff else "its text is the same"
            self.add("error", "text", f"{name}: {what}{verdict}", file=file, offset=offset, record_id=rid, url=uri,
                     diff=diff or None)

    def _conversion_text(self, file: str, offset: int) -> str:
        record = read_record(self.paths[file], offset)
        if isinstance(record, ScanProblem) or record.payload is None:
            return ""
        return record.payload.decode("utf-8", "replace")


def _maybe_html(content_type: str | None) -> bool:
    """Could this capture be an HTML page? (Unknown types are sniffed once the body is read.)"""
    kind = (content_type or "").split(";")[0].strip().lower()
    return not kind or kind in _HTML_TYPES


def _html_like(content_type: str | None, body: bytes) -> bool:
    """The pages ``newsarchive extract`` analyses: HTML by type, or by its first bytes when untyped."""
    kind = (content_type or "").split(";")[0].strip().lower()
    if kind in _HTML_TYPES:
        return True
    if kind:
        return False
    return body[:512].lstrip().lower().startswith((b"<!doctype html", b"<html"))


# =============================================================================== entry point


@dataclass
class AuditInputs:
    """What one or more PATHs name: WARC files, the articles file, the CDXJ indexes."""

    warcs: list[Path]
    articles: Path | None
    indexes: list[Path]


def resolve_inputs(paths: Sequence[Path | str]) -> AuditInputs:
    """An output folder (``warc/``, ``articles.jsonl``, ``indexes/``), a folder of WARCs, or WARC files.

    Raises FileNotFoundError for a path that does not exist.
    """
    warcs: list[Path] = []
    articles: Path | None = None
    indexes: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise FileNotFoundError(f"no such file or folder: {path}")
        if path.is_dir():
            folder = path / "warc" if (path / "warc").is_dir() else path
            output = path if folder != path else (path.parent if path.name == "warc" else None)
            warcs.extend(p for p in sorted(folder.iterdir()) if p.is_file() and is_warc_name(p.name))
            if output is not None:
                if (output / "articles.jsonl").is_file():
                    articles = output / "articles.jsonl"
                if (output / "indexes").is_dir():
                    indexes.extend(sorted((output / "indexes").glob("*.cdxj")))
        else:
            warcs.append(path)
    return AuditInputs(warcs, articles, indexes)


def audit(
    paths: Sequence[Path | str],
    *,
    reextract: bool = True,
    on_finding: Callable[[Finding], None] | None = None,
) -> AuditReport:
    """Audit the archive the paths name (see :func:`resolve_inputs`); never raises on bad content.

    ``on_finding`` sees each finding as it is made (the text report streams them).
    """
    inputs = resolve_inputs(paths)
    report = AuditReport(paths=[str(p) for p in paths])
    for name in ("files", "bytes", "records", "responses", "revisits", "requests", "metadata", "conversions",
                 "block_digests", "payload_digests", "articles", "index_lines", "reextracted", "texts_identical",
                 "texts_differing"):
        report.counts[name] = 0
    with tempfile.TemporaryDirectory(prefix="newsarchive-audit-") as tmp:
        db = sqlite3.connect(Path(tmp) / "audit.sqlite")
        try:
            db.execute("PRAGMA journal_mode=OFF")
            db.execute("PRAGMA synchronous=OFF")
            db.executescript(_SCHEMA)
            auditor = _Auditor(report, db, on_finding)
            for path in inputs.warcs:
                auditor.scan(path)
            if not inputs.warcs:
                auditor.add("error", "file", "no WARC files found")
            auditor.check_graph()
            if inputs.articles is not None:
                auditor.articles_path = inputs.articles
                auditor.load_articles(inputs.articles)
                auditor.check_articles()
            for index in inputs.indexes:
                with contextlib.suppress(OSError):
                    auditor.check_index(index)
            if reextract:
                auditor.reextract()
        finally:
            db.close()
    report.files = [{"path": str(p), "name": stored_name(p)} for p in inputs.warcs]
    return report


def _int(value: str | None) -> int | None:
    try:
        return int((value or "").strip())
    except ValueError:
        return None
