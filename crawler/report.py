"""The run report: what a crawl fetched, kept, rejected and repaired.

Written as ``reports/<spider>.json`` in the output folder when the spider closes. Rejected pages
are listed one by one (URL, status, verdict, reasons): a page kept out of the articles must be
findable, never silently skipped.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.http import Request, Response
from twisted.python.failure import Failure

from crawler import signals as na_signals
from crawler.page import PageResult


class RunReportExtension:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.output = Path(crawler.settings.get("NEWSARCHIVE_OUTPUT", "output"))
        self.started = datetime.now(UTC)
        self.verdicts: dict[str, int] = {}
        self.rejected: list[dict[str, Any]] = []
        self.repaired: list[dict[str, Any]] = []
        #: outlet -> repair (e.g. "remap:cp1252->cp1254", "ftfy:mojibake") -> pages repaired that way
        self.repair_counts: dict[str, dict[str, int]] = {}
        self.undecodable: list[dict[str, Any]] = []
        self.failures: list[dict[str, Any]] = []

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunReportExtension:
        ext = cls(crawler)
        # Bound methods: Scrapy keeps only weak references to signal handlers.
        crawler.signals.connect(ext.page_judged, signal=na_signals.page_judged)
        crawler.signals.connect(ext.download_failed, signal=na_signals.download_failed)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def page_judged(self, result: PageResult, response: Response, spider: Spider) -> None:
        self.verdicts[result.verdict] = self.verdicts.get(result.verdict, 0) + 1
        if result.verdict not in ("article", "listing"):
            self.rejected.append(
                {"url": result.url, "status": result.status, "verdict": result.verdict,
                 "reasons": result.verdict_reasons, "redirected_from": result.redirect_urls}
            )
        if result.encoding.get("repairs"):
            self.repaired.append({"url": result.url, "repairs": result.encoding["repairs"]})
            counts = self.repair_counts.setdefault(result.outlet or spider.name, {})
            for repair in result.encoding["repairs"]:
                counts[repair] = counts.get(repair, 0) + 1
        # Bytes the chosen codec could not decode are marked U+FFFD in the text; the report names the
        # pages and where, so nobody has to trust that a replacement character was in the source.
        if result.encoding.get("undecodable_bytes"):
            self.undecodable.append(
                {"url": result.url, "undecodable_bytes": result.encoding["undecodable_bytes"],
                 "undecodable_offsets": result.encoding.get("undecodable_offsets", [])}
            )

    def download_failed(self, request: Request | None, failure: Failure, spider: Spider) -> None:
        # Some failures carry no message (a connection dropped mid-body): the exception's name still says
        # what happened, and an empty "error" would not.
        error_type = failure.type.__name__ if failure.type else "Error"
        self.failures.append(
            {"url": request.url if request is not None else None,
             "error": failure.getErrorMessage() or error_type, "error_type": error_type}
        )

    def build(self, spider: Spider, reason: str) -> dict[str, Any]:
        stats = self.crawler.stats.get_stats() if self.crawler.stats else {}
        warc_dir = self.output / "warc"
        warc_files = (
            [{"file": p.name, "bytes": p.stat().st_size} for p in sorted(warc_dir.glob("*.warc.gz"))]
            if warc_dir.is_dir()
            else []
        )
        return {
            "spider": spider.name,
            "started": self.started.isoformat(timespec="seconds"),
            "finished": datetime.now(UTC).isoformat(timespec="seconds"),
            "finish_reason": reason,
            "pages_fetched": stats.get("downloader/response_count", 0),
            "articles_written": stats.get("item_scraped_count", 0),
            "verdicts": self.verdicts,
            "rejected": self.rejected,
            "encodings_repaired": self.repaired,
            "encoding_repairs": {
                outlet: dict(sorted(counts.items())) for outlet, counts in sorted(self.repair_counts.items())
            },
            "undecodable": self.undecodable,
            "download_failures": self.failures,
            "retry_after_waits": stats.get("newsarchive/retry_after/waits", 0),
            "retry_after_gave_up": stats.get("newsarchive/retry_after/gave_up", 0),
            # Bodies cut at DOWNLOAD_MAXSIZE (archived with WARC-Truncated: length; also listed above).
            "truncated": stats.get("newsarchive/truncated", 0),
            "redirect_loops": stats.get("newsarchive/redirect_loops", 0),
            # The crawl-trap bounds (crawler.outlet.OutletSpider.listing_request): listing links not walked.
            "listing_links_not_followed": {
                "depth": stats.get("newsarchive/listing_bound/depth", 0),
                "pattern": stats.get("newsarchive/listing_bound/pattern", 0),
                "patterns_capped": stats.get("newsarchive/listing_bound/patterns", []),
            },
            "warc_records": stats.get("newsarchive/warc/records", 0),
            "warc_files": warc_files,
        }

    def spider_closed(self, spider: Spider, reason: str) -> None:
        report = self.build(spider, reason)
        target = self.output / "reports" / f"{spider.name}.json"
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".tmp")
        tmp.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, target)
