"""Repair a WARC file left ``.open`` by a crawl that died (SIGKILL, power loss, OOM).

The writer appends whole records with unbuffered writes, so everything before the last record
is intact; what can be wrong is the end: a record cut short, or a response whose request never
made it.  :func:`repair` keeps the longest prefix made of complete records (each gzip member
inflates to its end and holds exactly one record of the declared Content-Length), drops a
trailing response/revisit without its request (the writer never separates a pair), truncates
the file there and renames it to its final name, so readers that skip ``.open`` files pick
it up.  Nothing is rewritten: the kept bytes are the original bytes.
"""

from __future__ import annotations

import os
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from archive.writer import OPEN_SUFFIX

_CONTENT_LENGTH = re.compile(rb"^content-length:[ \t]*(\d+)[ \t]*\r?$", re.IGNORECASE | re.MULTILINE)
_READ_SIZE = 1 << 20


@dataclass(frozen=True)
class RepairResult:
    """``path`` is the repaired file (final name); ``removed`` the bytes cut from the end.

    ``records == 0``: the file held no complete record (not even its warcinfo) and was deleted.
    """

    path: Path
    records: int
    kept: int
    removed: int


@dataclass(frozen=True)
class _Record:
    start: int
    end: int
    warc_type: bytes
    record_id: bytes
    concurrent_to: bytes | None


class RepairError(Exception):
    """The file cannot be repaired (no complete record at all, or not a WARC)."""


def repair(path: Path | str, *, rename: bool = True) -> RepairResult:
    """Cut ``path`` back to its last complete record and (if ``rename``) drop ``.open``."""
    path = Path(path)
    size = path.stat().st_size
    records = list(_complete_records(path))
    # A response/revisit is written just before its request; if the request is missing the
    # pair was cut, and the response goes too.
    if records and records[-1].warc_type in (b"response", b"revisit"):
        records.pop()
    if not records:
        if path.name.endswith(OPEN_SUFFIX) and (size == 0 or _starts_like_warc(path)):
            # Killed between creating the file and finishing its warcinfo record: nothing
            # in it was ever a record, so there is nothing to close.
            path.unlink()
            return RepairResult(path=path, records=0, kept=0, removed=size)
        raise RepairError(f"{path}: no complete WARC record; nothing to keep")
    if records[0].warc_type != b"warcinfo":
        raise RepairError(f"{path}: does not start with a warcinfo record; not a newsarchive WARC")
    kept = records[-1].end
    if kept < size:
        with path.open("r+b") as fh:
            fh.truncate(kept)
            fh.flush()
            os.fsync(fh.fileno())
    final = path
    if rename and path.name.endswith(OPEN_SUFFIX):
        final = path.with_name(path.name.removesuffix(OPEN_SUFFIX))
        if final.exists():
            raise RepairError(f"{final} already exists; not overwriting it")
        path.rename(final)
    return RepairResult(path=final, records=len(records), kept=kept, removed=size - kept)


def _starts_like_warc(path: Path) -> bool:
    """Does the file begin like one of ours (a gzip member, or WARC/ for uncompressed)?"""
    with path.open("rb") as fh:
        head = fh.read(5)
    return head.startswith((b"\x1f\x8b", b"WARC/"))


def _complete_records(path: Path) -> Iterator[_Record]:
    """Complete records from the start of the file, stopping at the first incomplete one."""
    with path.open("rb") as fh:
        magic = fh.read(2)
        fh.seek(0)
        if magic == b"\x1f\x8b":
            yield from _gzip_records(fh)
        else:
            yield from _plain_records(fh)


def _gzip_records(fh: object) -> Iterator[_Record]:
    """One gzip member per record: inflate members one by one, tracking exact byte offsets."""
    read = fh.read  # type: ignore[attr-defined]
    position = 0  # file offset of the current member's start
    pending = b""
    while True:
        if not pending:
            pending = read(_READ_SIZE)
            if not pending:
                return
        if not pending.startswith(b"\x1f\x8b"):
            return  # garbage where a member should start
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        out: list[bytes] = []
        consumed = 0
        data = pending
        try:
            while True:
                out.append(inflater.decompress(data))
                if inflater.eof:
                    consumed += len(data) - len(inflater.unused_data)
                    pending = inflater.unused_data
                    break
                consumed += len(data)
                data = read(_READ_SIZE)
                if not data:
                    return  # member never ends: cut off here
        except zlib.error:
            return
        parsed = _parse_record(b"".join(out))
        if parsed is None:
            return
        warc_type, record_id, concurrent_to = parsed
        yield _Record(position, position + consumed, warc_type, record_id, concurrent_to)
        position += consumed


def _plain_records(fh: object) -> Iterator[_Record]:
    """Uncompressed WARC: records follow each other, sized by their Content-Length."""
    data = fh.read()  # type: ignore[attr-defined]
    position = 0
    while position < len(data):
        head_end = data.find(b"\r\n\r\n", position)
        if head_end < 0:
            return
        head = data[position : head_end + 4]
        match = _CONTENT_LENGTH.search(head)
        if not head.startswith(b"WARC/") or match is None:
            return
        end = head_end + 4 + int(match.group(1)) + 4
        if end > len(data) or data[end - 4 : end] != b"\r\n\r\n":
            return
        parsed = _parse_record(data[position:end])
        if parsed is None:
            return
        yield _Record(position, end, *parsed)
        position = end


def _parse_record(raw: bytes) -> tuple[bytes, bytes, bytes | None] | None:
    """(type, id, concurrent-to) if ``raw`` is exactly one whole WARC record, else None."""
    if not raw.startswith(b"WARC/"):
        return None
    head_end = raw.find(b"\r\n\r\n")
    if head_end < 0:
        return None
    fields: dict[bytes, bytes] = {}
    for line in raw[:head_end].split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        fields[name.strip().lower()] = value.strip()
    try:
        length = int(fields.get(b"content-length", b""))
    except ValueError:
        return None
    if len(raw) != head_end + 4 + length + 4 or not raw.endswith(b"\r\n\r\n"):
        return None
    warc_type = fields.get(b"warc-type")
    record_id = fields.get(b"warc-record-id")
    if not warc_type or not record_id:
        return None
    return warc_type, record_id, fields.get(b"warc-concurrent-to")
