"""CDXJ indexes of newsarchive WARCs, in the format pywb and cdxj-indexer use.

One index per crawl (``OUTPUT/indexes/<crawl>.cdxj``), written when the spider closes from
entries the writer collected while writing, so closing a crawl never re-reads its WARCs.
Lines are formatted exactly as ``cdxj-indexer --post-append`` formats response and revisit
records (SURT key, 14-digit timestamp, JSON with url, mime, status, digest, length, offset,
filename, and method/requestBody for POST and PUT), and sorted the way ``LC_ALL=C sort`` does,
which is what pywb's binary search expects.  The tests compare them line for line with
cdxj-indexer's own output.  Request, metadata and conversion records are not indexed: an
index is for replay, and they would only be candidates that pywb has to skip.

:func:`index_files` is the slow path (cdxj-indexer itself over the files) for WARCs written
without an index, e.g. a crawl killed before it could close.
"""

from __future__ import annotations

import heapq
import io
import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import IO

import surt
from warcio.timeutils import iso_date_to_timestamp

from archive.dedup import INDEX_DIR
from archive.writer import IndexEntry

__all__ = ["INDEX_DIR", "IndexSpool", "cdxj_line", "index_files", "merge_indexes", "url_key", "write_index"]

#: Lines sorted in memory at a time when an IndexSpool is sorted (about 10 MB of lines): a crawl of
#: any size closes in bounded memory, its runs merged from disk.
SORT_CHUNK_LINES = 25_000


def cdxj_line(entry: IndexEntry) -> str:
    """One CDXJ line (without newline) for a response/revisit the writer wrote."""
    url = entry.url
    key_url = url
    extra: dict[str, str] = {}
    if entry.method in ("POST", "PUT"):
        # cdxj-indexer's --post-append: the form data joins the key so that different POSTs
        # to one URL replay separately.
        from cdxj_indexer.postquery import append_method_query  # pulls pyamf: only for POSTs

        body = entry.request_body
        query, append = append_method_query(
            entry.method, entry.request_content_type, str(len(body)), io.BytesIO(body), url
        )
        key_url = url + append
        extra = {"requestBody": query, "method": entry.method}
    fields: dict[str, str] = {"url": url}
    if entry.mime is not None:
        fields["mime"] = entry.mime
    fields["status"] = entry.status
    fields["digest"] = entry.digest
    fields["length"] = str(entry.length)
    fields["offset"] = str(entry.offset)
    fields["filename"] = entry.file
    fields.update(extra)
    return f"{url_key(key_url)} {iso_date_to_timestamp(entry.date)} {json.dumps(fields)}"


def url_key(url: str) -> str:
    """SURT form of a URL, as cdxj-indexer computes it (the raw URL if SURT fails)."""
    try:
        return surt.surt(url)
    except Exception:  # cdxj-indexer does the same for URLs surt cannot parse
        return url


def write_index(path: Path, entries: Iterable[IndexEntry]) -> Path:
    """Write a sorted CDXJ file atomically (temp file + rename): a reader never sees half."""
    lines = sorted(cdxj_line(entry) + "\n" for entry in entries)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        fh.writelines(lines)
    os.replace(tmp, path)
    return path


class IndexSpool:
    """CDXJ lines of a crawl kept on disk while it runs, sorted into the index when it closes.

    Keeping every record's index entry in memory until the crawl closes grew the writer by about
    0.8 KB per page (40 MB at 50,000 pages) and sorted them all at once at the end.  Here each
    line is formatted as its record is written, appended to an anonymous temporary file beside
    the WARCs (unlinked at once: nothing for tools globbing the folder to find, nothing left after
    a crash), and sorted at close in chunks of :data:`SORT_CHUNK_LINES`, merged from disk.
    """

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory
        self._file: IO[str] | None = None
        self.count = 0

    def __len__(self) -> int:
        return self.count

    def add(self, entry: IndexEntry) -> None:
        if self._file is None:
            if self.directory is not None:
                self.directory.mkdir(parents=True, exist_ok=True)
            # Open for the crawl's whole life (closed by close()), so no context manager.
            self._file = tempfile.TemporaryFile("w+", encoding="utf-8", dir=self.directory)  # noqa: SIM115
        self._file.write(cdxj_line(entry) + "\n")
        self.count += 1

    def write_sorted(self, path: Path) -> Path:
        """Write the sorted index to ``path`` atomically (temp file + rename)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        runs: list[IO[str]] = []
        try:
            with tmp.open("w", encoding="utf-8") as out:
                if self._file is not None:
                    self._file.flush()
                    self._file.seek(0)
                    while chunk := _read_lines(self._file, SORT_CHUNK_LINES):
                        chunk.sort()
                        # Kept open until the merge below has read it (closed in finally).
                        run = tempfile.TemporaryFile("w+", encoding="utf-8", dir=self.directory)  # noqa: SIM115
                        run.writelines(chunk)
                        run.seek(0)
                        runs.append(run)
                    self._file.seek(0, os.SEEK_END)
                out.writelines(runs[0] if len(runs) == 1 else heapq.merge(*runs))
            os.replace(tmp, path)
        finally:
            for run in runs:
                run.close()
            tmp.unlink(missing_ok=True)
        return path

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def _read_lines(fh: IO[str], count: int) -> list[str]:
    lines = []
    for line in fh:
        lines.append(line)
        if len(lines) >= count:
            break
    return lines


def index_files(warc_files: Iterable[Path], output: Path) -> Path:
    """Index WARC files with cdxj-indexer itself (post-append, responses and revisits, sorted)."""
    from cdxj_indexer.main import CDXJIndexer  # imported here: crawls never need it

    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(output.name + ".tmp")
    CDXJIndexer(
        output=str(tmp),
        inputs=[str(p) for p in warc_files],
        post_append=True,
        sort=True,
        records="response,revisit",
    ).process_all()
    os.replace(tmp, output)
    return output


def merge_indexes(paths: Iterable[Path]) -> list[str]:
    """All lines of several CDXJ files, sorted together (for one collection or a WACZ)."""
    lines: list[str] = []
    for path in paths:
        with path.open(encoding="utf-8") as fh:
            lines.extend(line if line.endswith("\n") else line + "\n" for line in fh if line.strip())
    lines.sort()
    return lines
