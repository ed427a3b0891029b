"""Pack a crawl's output folder into a WACZ 1.1.1 file (``newsarchive archive wacz OUTPUT``).

A WACZ is a ZIP that ReplayWeb.page and pywb open directly: the WARCs (stored, not deflated,
so a reader can seek into them), one CDXJ index, ``pages/pages.jsonl`` and a
``datapackage.json`` listing every file with its SHA-256.  We write it ourselves with
:mod:`zipfile` rather than ``wacz create`` because our pages are the *articles* (URL,
capture time, title and extracted text from ``articles.jsonl``), not pages guessed from HTML,
and the index already exists (``indexes/*.cdxj``, written as each crawl closed); ``wacz
validate`` is what checks the result, in the tests.
"""

from __future__ import annotations

import hashlib
import json
import logging
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from archive.cdxj import INDEX_DIR, index_files, merge_indexes
from archive.writer import OPEN_SUFFIX
from crawler import __version__

logger = logging.getLogger(__name__)

WACZ_VERSION = "1.1.1"
PAGES_HEADER = {"format": "json-pages-1.0", "id": "pages", "title": "Articles", "hasText": True}


def pack(output: Path | str, target: Path | str | None = None, *, title: str | None = None) -> Path:
    """Write ``target`` (default ``OUTPUT/<folder name>.wacz``) from a crawl output folder.

    Only closed WARC files go in: an ``.open`` file is still being written or needs
    ``newsarchive archive repair`` first, and is reported and left out.
    """
    output = Path(output)
    warc_dir = output / "warc"
    warcs = sorted(p for p in warc_dir.glob("*.warc*") if p.name.endswith((".warc", ".warc.gz")))
    skipped = sorted(p.name for p in warc_dir.glob(f"*{OPEN_SUFFIX}"))
    for name in skipped:
        logger.warning("Leaving out %s: still open (repair it with `newsarchive archive repair`)", name)
    if not warcs:
        raise FileNotFoundError(f"no closed WARC files in {warc_dir}")
    target = Path(target) if target is not None else output / f"{output.resolve().name}.wacz"
    names = {p.name for p in warcs}

    index_lines = _index_lines(output, warcs)
    pages = list(_pages(output / "articles.jsonl", names))

    tmp = target.with_name(target.name + ".tmp")
    resources: list[dict[str, Any]] = []
    with zipfile.ZipFile(tmp, "w", allowZip64=True) as zf:
        for path in warcs:
            arcname = f"archive/{path.name}"
            zf.write(path, arcname, compress_type=zipfile.ZIP_STORED)
            resources.append(_resource(arcname, *_file_digest(path)))
        index_bytes = "".join(index_lines).encode("utf-8")
        zf.writestr(zipfile.ZipInfo("indexes/index.cdx", _zip_now()), index_bytes, zipfile.ZIP_DEFLATED)
        resources.append(_resource("indexes/index.cdx", *_bytes_digest(index_bytes)))
        pages_bytes = "".join(
            json.dumps(line, ensure_ascii=False) + "\n" for line in [PAGES_HEADER, *pages]
        ).encode("utf-8")
        zf.writestr(zipfile.ZipInfo("pages/pages.jsonl", _zip_now()), pages_bytes, zipfile.ZIP_DEFLATED)
        resources.append(_resource("pages/pages.jsonl", *_bytes_digest(pages_bytes)))
        package: dict[str, Any] = {
            "profile": "data-package",
            "resources": resources,
            "title": title or f"newsarchive crawl {output.resolve().name}",
            "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "wacz_version": WACZ_VERSION,
            "software": f"newsarchive/{__version__}",
        }
        if pages:
            package["mainPageURL"] = pages[0]["url"]
            package["mainPageDate"] = pages[0]["ts"]
        package_bytes = json.dumps(package, indent=2).encode("utf-8")
        zf.writestr(zipfile.ZipInfo("datapackage.json", _zip_now()), package_bytes, zipfile.ZIP_DEFLATED)
        digest = {"path": "datapackage.json", "hash": "sha256:" + hashlib.sha256(package_bytes).hexdigest()}
        zf.writestr(
            zipfile.ZipInfo("datapackage-digest.json", _zip_now()),
            json.dumps(digest, indent=2).encode("utf-8"),
            zipfile.ZIP_DEFLATED,
        )
    tmp.replace(target)
    return target


def _index_lines(output: Path, warcs: list[Path]) -> list[str]:
    """The crawls' CDXJ lines for these files; files no index covers are indexed now."""
    names = {p.name for p in warcs}
    lines = [
        line for line in merge_indexes(sorted((output / INDEX_DIR).glob("*.cdxj")))
        if _filename(line) in names
    ]
    covered = {_filename(line) for line in lines}
    missing = [p for p in warcs if p.name not in covered]
    if missing:
        # Crawls killed before closing wrote no index; files holding only metadata have no
        # lines either (indexing them finds nothing, cheaply).
        extra = output / INDEX_DIR / ".wacz-extra.cdxj.tmp-index"
        try:
            index_files(missing, extra)
            lines = sorted(lines + merge_indexes([extra]))
        finally:
            extra.unlink(missing_ok=True)
    return lines


def _filename(line: str) -> str | None:
    try:
        return json.loads(line.split(" ", 2)[2]).get("filename")
    except (IndexError, ValueError):
        return None


def _pages(articles: Path, names: set[str]) -> Iterator[dict[str, Any]]:
    """One page per archived article: fetched URL, capture time, title, text."""
    if not articles.exists():
        return
    seen: set[str] = set()
    with articles.open(encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            article = json.loads(line)
            warc = article.get("warc") or {}
            if warc.get("file") not in names or warc.get("record_id") in seen:
                continue
            seen.add(warc["record_id"])
            page = {
                "id": warc["record_id"].removeprefix("<urn:uuid:").removesuffix(">"),
                "url": article["url"],
                "ts": warc["date"],
                "title": article.get("title") or article["url"],
                "text": article.get("text") or "",
            }
            yield page


def _resource(path: str, size: int, digest: str) -> dict[str, Any]:
    return {"name": Path(path).name.lower(), "path": path, "hash": digest, "bytes": size}


def _file_digest(path: Path) -> tuple[int, str]:
    sha = hashlib.sha256()
    size = 0
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            sha.update(chunk)
            size += len(chunk)
    return size, "sha256:" + sha.hexdigest()


def _bytes_digest(data: bytes) -> tuple[int, str]:
    return len(data), "sha256:" + hashlib.sha256(data).hexdigest()


def _zip_now() -> tuple[int, int, int, int, int, int]:
    now = datetime.now(UTC)
    return (now.year, now.month, now.day, now.hour, now.minute, now.second)
