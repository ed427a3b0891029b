"""Structural check of newsarchive WARC files: ``python -m archive.check FILE...``.

``warcio check`` verifies digests only.  This adds the invariants newsarchive relies on:
every file starts with a warcinfo record, every response has a request that names it in
WARC-Concurrent-To (in the same file: the writer never splits a pair), and every
metadata/conversion record refers to a record id that exists somewhere in the checked set.
Digests are verified too (through warcio), so one command covers both.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed


@dataclass
class CheckReport:
    """Problems found, as ``(file name, message)``; empty means every file passed."""

    problems: list[tuple[str, str]] = field(default_factory=list)
    records: int = 0
    responses: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def check_files(paths: Iterable[Path | str]) -> CheckReport:
    report = CheckReport()
    ids: set[str] = set()
    references: list[tuple[str, str, str]] = []  # (file, record id, referred id)
    for path in map(Path, paths):
        name = path.name
        try:
            _check_one(path, report, ids, references)
        except (ArchiveLoadFailed, OSError, ValueError) as exc:
            report.problems.append((name, f"unreadable: {exc}"))
    for name, record_id, target in references:
        if target not in ids:
            report.problems.append((name, f"{record_id} refers to unknown record {target}"))
    return report


def _check_one(
    path: Path, report: CheckReport, ids: set[str], references: list[tuple[str, str, str]]
) -> None:
    name = path.name
    responses: set[str] = set()
    requested: set[str] = set()
    with path.open("rb") as fh:
        iterator = ArchiveIterator(fh, check_digests=True)
        for index, record in enumerate(iterator):
            offset = iterator.offset
            # Digests are verified as the raw (undecoded) block is read.
            while record.raw_stream.read(1 << 20):
                pass
            report.records += 1
            record_id = record.rec_headers.get_header("WARC-Record-ID") or ""
            ids.add(record_id)
            rec_type = record.rec_type
            if index == 0 and rec_type != "warcinfo":
                report.problems.append((name, f"first record is {rec_type!r}, not warcinfo"))
            if record.digest_checker.passed is False:
                for problem in record.digest_checker.problems:
                    report.problems.append((name, f"offset {offset}: {problem}"))
            if rec_type == "response":
                report.responses += 1
                responses.add(record_id)
            elif rec_type == "request":
                target = record.rec_headers.get_header("WARC-Concurrent-To")
                if not target:
                    report.problems.append((name, f"request {record_id} has no WARC-Concurrent-To"))
                else:
                    requested.add(target)
            elif rec_type in ("metadata", "conversion"):
                target = record.rec_headers.get_header("WARC-Refers-To")
                if not target:
                    report.problems.append((name, f"{rec_type} {record_id} has no WARC-Refers-To"))
                else:
                    references.append((name, record_id, target))
    for missing in sorted(responses - requested):
        report.problems.append((name, f"response {missing} has no request record"))
    for orphan in sorted(requested - responses):
        report.problems.append((name, f"request points to {orphan}, not a response in this file"))


def main(argv: Sequence[str] | None = None) -> int:
    paths = list(sys.argv[1:] if argv is None else argv)
    if not paths:
        print("usage: python -m archive.check FILE.warc.gz ...", file=sys.stderr)
        return 2
    report = check_files(paths)
    for name, message in report.problems:
        print(f"{name}: {message}")
    print(
        f"{len(paths)} file(s), {report.records} records, {report.responses} responses: "
        + ("OK" if report.ok else f"{len(report.problems)} problem(s)")
    )
    return 0 if report.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
