"""``newsarchive archive merge-index OUTPUT``: one CDXJ index and one articles file for a collection.

Workers sharing a frontier (crawler.redis_frontier) each write their own WARC files
(``warc/PREFIX-WORKER-...``), their own CDXJ index per crawl (``indexes/PREFIX-WORKER-...cdxj``) and their
own articles file (``workers/WORKER/articles.jsonl``), so that no two processes, on one machine or over
a shared folder, ever append to the same file. Readers want one of each: pywb and ``captures`` one
sorted index, ``audit`` and the people using the archive one ``articles.jsonl``. This builds them:

* ``indexes/all.cdxj``: every line of every CDXJ index of the folder, plus the closed WARC files no
  index covers (a worker killed before its spider closed never wrote its index), sorted and without
  duplicate lines; the indexes it covers are removed (as ``newsarchive archive index`` does), so
  tools reading ``indexes/*.cdxj`` see each capture once.
* ``articles.jsonl``: the lines of ``articles.jsonl`` and of every ``workers/*/articles.jsonl``, an
  article version once (same outlet URL and same title and text: a worker killed between writing
  its line and recording it in Redis may have had it written twice), in capture order. Merging again
  later is safe: the merged file is one of the inputs, and duplicates are dropped.

Files still ``.open`` are left alone (a worker is writing them, or was killed: ``newsarchive archive
repair`` them once it is dead, then merge again).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from archive.cdxj import INDEX_DIR, index_files, merge_indexes

MERGED_INDEX = "all.cdxj"
ARTICLES = "articles.jsonl"


@dataclass
class MergeResult:
    index: Path
    index_lines: int
    indexes_merged: list[str] = field(default_factory=list)
    warcs_indexed: list[str] = field(default_factory=list)
    articles: Path | None = None
    article_lines: int = 0
    duplicates_dropped: int = 0
    broken_lines: int = 0
    articles_sources: list[str] = field(default_factory=list)
    open_files: list[str] = field(default_factory=list)

    def summary(self) -> str:
        lines = [
            f"{self.index}: {self.index_lines} lines from {len(self.indexes_merged)} indexes"
            f" and {len(self.warcs_indexed)} WARC files indexed now",
            f"{self.articles}: {self.article_lines} articles from {len(self.articles_sources)} files"
            f" ({self.duplicates_dropped} duplicates dropped, {self.broken_lines} unreadable lines skipped)",
        ]
        if self.open_files:
            lines.append(f"still open (not indexed): {', '.join(self.open_files)}")
        return "\n".join(lines)


def _text_key(article: dict[str, Any]) -> tuple[str, str, str]:
    from crawler.state import text_digest  # the same notion of "the same version" as the run state

    url = str(article.get("source_url") or article.get("url") or "")
    return url, text_digest(article.get("title"), article.get("text")), str(article.get("outlet") or "")


def merge_collection(output: Path) -> MergeResult:
    """Build ``indexes/all.cdxj`` and ``articles.jsonl`` of the collection in ``output``."""
    output = Path(output)
    warc_dir = output / "warc"
    index_dir = output / INDEX_DIR
    index_dir.mkdir(parents=True, exist_ok=True)
    target = index_dir / MERGED_INDEX

    # --- CDXJ ---------------------------------------------------------------------------------
    indexes = sorted(p for p in index_dir.glob("*.cdxj"))
    covered: set[str] = set()
    for path in indexes:
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                parts = line.split(" ", 2)
                if len(parts) == 3:
                    try:
                        covered.add(json.loads(parts[2])["filename"])
                    except (ValueError, KeyError):
                        continue
    closed = sorted(p for p in warc_dir.glob("*.warc.gz")) if warc_dir.is_dir() else []
    uncovered = [p for p in closed if p.name not in covered]
    extra: list[Path] = []
    if uncovered:
        extra.append(index_files(uncovered, index_dir / f".{MERGED_INDEX}.uncovered"))
    lines = list(dict.fromkeys(merge_indexes([*indexes, *extra])))  # sorted; identical lines once
    tmp = target.with_name(target.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        fh.writelines(lines)
    os.replace(tmp, target)
    for path in [*indexes, *extra]:
        if path != target:
            path.unlink(missing_ok=True)  # superseded: all.cdxj holds every line
    result = MergeResult(
        index=target, index_lines=len(lines), indexes_merged=[p.name for p in indexes if p != target],
        warcs_indexed=[p.name for p in uncovered],
        open_files=sorted(p.name for p in warc_dir.glob("*.open")) if warc_dir.is_dir() else [],
    )

    # --- articles -----------------------------------------------------------------------------
    sources = [p for p in [output / ARTICLES, *sorted(output.glob("workers/*/" + ARTICLES))] if p.is_file()]
    seen: set[tuple[str, str, str]] = set()
    articles: list[tuple[str, str, str]] = []
    for path in sources:
        with path.open(encoding="utf-8") as fh:
            for raw in fh:
                if not raw.strip():
                    continue
                try:
                    article = json.loads(raw)
                except ValueError:
                    result.broken_lines += 1  # a line half-written by a killed worker
                    continue
                key = _text_key(article)
                if key in seen:
                    result.duplicates_dropped += 1
                    continue
                seen.add(key)
                articles.append((str(article.get("fetched_at") or ""), key[0], raw if raw.endswith("\n") else raw + "\n"))
    articles.sort(key=lambda a: (a[0], a[1]))
    merged = output / ARTICLES
    tmp = merged.with_name(merged.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        fh.writelines(line for _, _, line in articles)
    os.replace(tmp, merged)
    result.articles = merged
    result.article_lines = len(articles)
    result.articles_sources = [str(p.relative_to(output)) for p in sources]
    return result
