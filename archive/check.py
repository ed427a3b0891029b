"""Structural check of newsarchive WARC files: ``python -m archive.check [--graph] FILE...``.

``warcio check`` verifies digests only, and skips revisit records entirely.  This adds the
invariants newsarchive relies on: every file starts with a warcinfo record, every response
or revisit has a request that names it in WARC-Concurrent-To (in the same file: the writer
never splits a pair), an HTTP Content-Length agrees with the stored payload unless the record
says it is truncated, every metadata/conversion record refers to a record id that exists
somewhere in the checked set (a metadata record without WARC-Refers-To must carry an
``error``: it is the trace of a download that produced no response), and every revisit's
block digest is right and its WARC-Refers-To names a response with the same payload digest.
With ``graph=True`` (``--graph``) every response and revisit must also have its metadata
record, and every page judged ``article`` its conversion record.
Digests are verified too (through warcio), so one command covers both.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from archive.writer import sha1_b32

#: Statuses whose responses never carry a payload (RFC 9110 §6.4.1).
_NO_BODY = frozenset({204, 304})


@dataclass
class CheckReport:
    """Problems found, as ``(file name, message)``; empty means every file passed."""

    problems: list[tuple[str, str]] = field(default_factory=list)
    records: int = 0
    responses: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class _Graph:
    """What the whole checked set holds, for the checks that cross records and files."""

    ids: set[str] = field(default_factory=set)
    #: record id -> payload digest of every response record.
    response_digests: dict[str, str] = field(default_factory=dict)
    #: (file, record id, referred id) of metadata/conversion/revisit records.
    references: list[tuple[str, str, str]] = field(default_factory=list)
    #: (file, revisit id, referred id, payload digest, profile).
    revisits: list[tuple[str, str, str, str, str]] = field(default_factory=list)
    #: (file, id) of every response and revisit.
    captures: list[tuple[str, str]] = field(default_factory=list)
    described: set[str] = field(default_factory=set)
    articles: list[tuple[str, str]] = field(default_factory=list)
    converted: set[str] = field(default_factory=set)


def check_files(paths: Iterable[Path | str], *, graph: bool = False) -> CheckReport:
    report = CheckReport()
    state = _Graph()
    for path in map(Path, paths):
        name = path.name
        try:
            _check_one(path, report, state)
        except (ArchiveLoadFailed, OSError, ValueError) as exc:
            report.problems.append((name, f"unreadable: {exc}"))
    for name, record_id, target in state.references:
        if target not in state.ids:
            report.problems.append((name, f"{record_id} refers to unknown record {target}"))
    for name, record_id, target, digest, profile in state.revisits:
        original = state.response_digests.get(target)
        if original is None:
            continue  # already reported as an unknown record
        if "identical-payload-digest" in profile and original != digest:
            report.problems.append((name, f"revisit {record_id} has digest {digest}, its original {original}"))
    if graph:
        for name, record_id in state.captures:
            if record_id not in state.described:
                report.problems.append((name, f"{record_id} has no metadata record"))
        for name, record_id in state.articles:
            if record_id not in state.converted:
                report.problems.append((name, f"article {record_id} has no conversion record"))
    return report


def _check_one(path: Path, report: CheckReport, state: _Graph) -> None:
    name = path.name
    responses: set[str] = set()
    requested: set[str] = set()
    with path.open("rb") as fh:
        iterator = ArchiveIterator(fh, check_digests=True)
        for index, record in enumerate(iterator):
            offset = iterator.offset
            rec_type = record.rec_type
            # Digests are verified as the raw (undecoded) block is read.  Small blocks are kept
            # (metadata JSON); for the rest only the length matters.
            length = 0
            content = b""
            while chunk := record.raw_stream.read(1 << 20):
                length += len(chunk)
                if rec_type == "metadata" and len(content) < (1 << 22):
                    content += chunk
            report.records += 1
            headers = record.rec_headers
            record_id = headers.get_header("WARC-Record-ID") or ""
            state.ids.add(record_id)
            if index == 0 and rec_type != "warcinfo":
                report.problems.append((name, f"first record is {rec_type!r}, not warcinfo"))
            if record.digest_checker.passed is False:
                for problem in record.digest_checker.problems:
                    report.problems.append((name, f"offset {offset}: {problem}"))
            if rec_type in ("response", "revisit"):
                report.responses += 1
                responses.add(record_id)
                state.captures.append((name, record_id))
            if rec_type == "response":
                state.response_digests[record_id] = headers.get_header("WARC-Payload-Digest") or ""
                problem = _length_problem(record, length)
                if problem:
                    report.problems.append((name, f"offset {offset}: {problem}"))
            elif rec_type == "revisit":
                _check_revisit(path, offset, record, report, state)
            elif rec_type == "request":
                target = record.rec_headers.get_header("WARC-Concurrent-To")
                if not target:
                    report.problems.append((name, f"request {record_id} has no WARC-Concurrent-To"))
                else:
                    requested.add(target)
            elif rec_type in ("metadata", "conversion"):
                target = headers.get_header("WARC-Refers-To")
                fields = _json(content) if rec_type == "metadata" else None
                if not target:
                    if not (isinstance(fields, dict) and fields.get("error")):
                        report.problems.append((name, f"{rec_type} {record_id} has no WARC-Refers-To"))
                    continue
                state.references.append((name, record_id, target))
                if rec_type == "conversion":
                    state.converted.add(target)
                else:
                    state.described.add(target)
                    if isinstance(fields, dict) and fields.get("verdict") == "article":
                        state.articles.append((name, target))
    for missing in sorted(responses - requested):
        report.problems.append((name, f"response {missing} has no request record"))
    for orphan in sorted(requested - responses):
        report.problems.append((name, f"request points to {orphan}, not a response in this file"))


def _length_problem(record: Any, payload_length: int) -> str | None:
    """A response whose HTTP Content-Length disagrees with what is stored (and says nothing)."""
    if record.rec_headers.get_header("WARC-Truncated") or record.http_headers is None:
        return None
    declared = record.http_headers.get_header("Content-Length")
    status = int(record.http_headers.get_statuscode() or 0)
    if declared is None or status in _NO_BODY or status < 200:
        return None
    try:
        expected = int(declared.strip())
    except ValueError:
        return f"unreadable HTTP Content-Length {declared!r}"
    if expected != payload_length:
        return f"HTTP Content-Length {expected} but {payload_length} payload bytes stored"
    return None


def _check_revisit(path: Path, offset: int, record: Any, report: CheckReport, state: _Graph) -> None:
    """What warcio skips for revisits: the block digest, and where WARC-Refers-To leads."""
    headers = record.rec_headers
    name = path.name
    record_id = headers.get_header("WARC-Record-ID") or ""
    profile = headers.get_header("WARC-Profile") or ""
    target = headers.get_header("WARC-Refers-To")
    if not profile:
        report.problems.append((name, f"revisit {record_id} has no WARC-Profile"))
    for field_name in ("WARC-Refers-To-Target-URI", "WARC-Refers-To-Date"):
        if not headers.get_header(field_name):
            report.problems.append((name, f"revisit {record_id} has no {field_name}"))
    if target:
        state.references.append((name, record_id, target))
        state.revisits.append((name, record_id, target, headers.get_header("WARC-Payload-Digest") or "", profile))
    block_digest = headers.get_header("WARC-Block-Digest")
    if block_digest and block_digest.startswith("sha1:"):
        with path.open("rb") as fh:
            fh.seek(offset)
            raw = next(iter(ArchiveIterator(fh, no_record_parse=True)))
            if sha1_b32(raw.raw_stream.read()) != block_digest:
                report.problems.append((name, f"offset {offset}: revisit block digest failed: {block_digest}"))


def _json(content: bytes) -> Any:
    try:
        return json.loads(content)
    except ValueError:
        return None


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    graph = "--graph" in args
    paths = [a for a in args if a != "--graph"]
    if not paths:
        print("usage: python -m archive.check [--graph] FILE.warc.gz ...", file=sys.stderr)
        return 2
    report = check_files(paths, graph=graph)
    for name, message in report.problems:
        print(f"{name}: {message}")
    print(
        f"{len(paths)} file(s), {report.records} records, {report.responses} responses: "
        + ("OK" if report.ok else f"{len(report.problems)} problem(s)")
    )
    return 0 if report.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
