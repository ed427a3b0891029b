"""``repair`` on the ways a killed writer can leave a file, checked with ``warcio check``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from archive.check import check_files
from archive.reader import iter_records
from archive.repair import RepairError, repair
from archive.writer import WarcWriter

WARCIO = str(Path(sys.executable).parent / "warcio")


def _open_file(directory: Path, *, compress: bool = True, pages: int = 3) -> tuple[Path, list[int]]:
    """A writer killed (never closed) after ``pages`` exchanges: returns its .open file and record ends."""
    writer = WarcWriter(directory, warcinfo={"outlet": "repair"}, compress=compress)
    for i in range(pages):
        pointer = writer.write_exchange(
            url=f"http://example.com/{i}", method="GET", request_headers=[], request_body=b"", protocol="HTTP/1.1",
            status=200, reason="", response_headers=[("Content-Length", "11")], body=b"hello %05d" % i,
            ip_address=None, date=None,
        )
        writer.write_metadata(pointer, f"http://example.com/{i}", {"i": i})
    path = writer.current_path
    assert path is not None and path.name.endswith(".open")
    ends = [*(offset for offset, _ in iter_records(path)), path.stat().st_size][1:]
    return path, ends


def _warcio_ok(path: Path) -> bool:
    return subprocess.run([WARCIO, "check", str(path)], capture_output=True, timeout=60).returncode == 0


@pytest.mark.parametrize("compress", [True, False])
def test_cut_inside_a_record_goes_back_to_the_last_whole_one(tmp_path: Path, compress: bool) -> None:
    path, ends = _open_file(tmp_path, compress=compress)
    full = path.read_bytes()
    path.write_bytes(full[: (ends[-2] + ends[-1]) // 2])  # the last metadata record is half written
    result = repair(path)
    assert result.path == path.with_name(path.name.removesuffix(".open")) and not path.exists()
    assert result.path.read_bytes() == full[: ends[-2]]  # original bytes, untouched
    assert _warcio_ok(result.path) and check_files([result.path]).ok
    assert [r.rec_type for _, r in iter_records(result.path)][-1] == "request"


def test_response_without_its_request_is_dropped(tmp_path: Path) -> None:
    path, ends = _open_file(tmp_path)
    full = path.read_bytes()
    # Cut right after the last response record (before its request): a pair split by a kill.
    types = [r.rec_type for _, r in iter_records(path)]
    response_end = ends[len(types) - 3]  # ... response, request, metadata
    path.write_bytes(full[:response_end])
    assert not check_files([path]).ok  # warcio alone would accept it
    result = repair(path)
    assert check_files([result.path]).ok
    assert result.path.stat().st_size == ends[len(types) - 4]


def test_garbage_after_the_last_record_is_cut(tmp_path: Path) -> None:
    path, _ = _open_file(tmp_path)
    size = path.stat().st_size
    with path.open("ab") as fh:
        fh.write(b"\x1f\x8b\x08\x00garbage")
    result = repair(path)
    assert result.removed == 11 and result.kept == size and _warcio_ok(result.path)


def test_complete_open_file_is_just_renamed(tmp_path: Path) -> None:
    path, _ = _open_file(tmp_path)
    size = path.stat().st_size
    result = repair(path)
    assert (result.removed, result.kept, result.records) == (0, size, 1 + 3 * 3)


def test_file_without_a_whole_record(tmp_path: Path) -> None:
    path, ends = _open_file(tmp_path)
    path.write_bytes(path.read_bytes()[: ends[0] // 2])  # killed while writing its warcinfo
    result = repair(path)
    assert result.records == 0 and not path.exists()
    other = tmp_path / "notes.txt"
    other.write_bytes(b"not a warc at all")
    with pytest.raises(RepairError):
        repair(other)


def test_repair_command(tmp_path: Path) -> None:
    path, ends = _open_file(tmp_path)
    path.write_bytes(path.read_bytes()[: ends[-1] - 3])
    newsarchive = str(Path(sys.executable).parent / "newsarchive")
    proc = subprocess.run([newsarchive, "archive", "repair", str(path)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    final = path.with_name(path.name.removesuffix(".open"))
    assert f"{final}: 9 records kept" in proc.stdout and _warcio_ok(final)
    proc = subprocess.run([newsarchive, "archive", "repair", str(tmp_path / "missing.open")],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1 and "missing.open" in proc.stderr
