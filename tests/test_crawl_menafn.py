"""End to end: a real `scrapy crawl menafn` against the replica over loopback, then the outputs."""

from __future__ import annotations

import csv
import json
import re
import subprocess
from pathlib import Path

import pytest

from archive.reader import iter_responses, read_response_at
from crawler.replica.catalogue import pages_for
from crawler.urls import to_replica

from .conftest import BIN, ROOT, CrawlRun

MENAFN = pages_for("menafn.com")
ARTICLES = [p for p in MENAFN if p.expected_verdict == "article" and p.listed]
REJECTED = [p for p in MENAFN if p.expected_verdict in ("soft404", "error", "blocked") and p.listed]
JUNK = re.compile(
    r"Sorry!!|We're sorry, but the page|Legal Disclaimer|provides the information|No comment|"
    r"MENAFN\d{8}|Advertisement|إخلاء المسؤولية|لا يوجد تعليق"
)


def _by_source(run: CrawlRun) -> dict[str, dict]:
    return {a["source_url"]: a for a in run.articles}


def test_scrapy_list_names_the_spider() -> None:
    out = subprocess.run([str(BIN / "scrapy"), "list"], cwd=ROOT, capture_output=True, text=True, check=True)
    assert "menafn" in out.stdout.split()


def test_every_listed_article_is_extracted_exactly(menafn_crawl: CrawlRun) -> None:
    found = _by_source(menafn_crawl)
    assert ARTICLES, "the replica lists MENAFN articles"
    for page in ARTICLES:
        real = f"https://menafn.com{page.path}"
        assert real in found, f"missing article {real}"
        article = found[real]
        assert article["title"] == page.title
        assert article["text"].split("\n\n") == list(page.paragraphs), real
        assert article["language"] == page.language
        assert article["published"] == page.published, real
        assert article["verdict"] == "article"
        if page.authors:
            assert article["authors"] == list(page.authors)


def test_no_article_twice_and_no_junk(menafn_crawl: CrawlRun) -> None:
    urls = [a["source_url"] for a in menafn_crawl.articles]
    assert len(urls) == len(set(urls))
    for article in menafn_crawl.articles:
        assert not JUNK.search(article["text"]), article["url"]
        paragraphs = article["text"].split("\n\n")
        assert len(paragraphs) == len(set(paragraphs)), "a paragraph repeated"


def test_rejected_pages_are_archived_but_not_articles(menafn_crawl: CrawlRun) -> None:
    replica = menafn_crawl.replica
    assert REJECTED
    article_urls = {a["source_url"] for a in menafn_crawl.articles}
    archived = {r.url for f in menafn_crawl.warc_files for r in iter_responses(f)}
    report = menafn_crawl.report("menafn")
    rejected = {r["url"]: r for r in report["rejected"]}
    for page in REJECTED:
        real = f"https://menafn.com{page.path}"
        fetched = to_replica(real, replica)
        assert real not in article_urls, f"{real} passed off as an article"
        assert fetched in archived, f"{fetched} not archived"
        assert fetched in rejected, f"{fetched} not in the report"
        assert rejected[fetched]["verdict"] == page.expected_verdict, (fetched, rejected[fetched])


def test_robots_and_discovery_are_archived(menafn_crawl: CrawlRun) -> None:
    replica = menafn_crawl.replica
    archived = {r.url for f in menafn_crawl.warc_files for r in iter_responses(f)}
    assert f"{replica}/robots.txt" in archived
    assert to_replica("https://menafn.com/sitemap.xml", replica) in archived
    assert to_replica("https://menafn.com/rss/menafn_politics.xml", replica) in archived
    # robots.txt disallows the search page: it is never fetched.
    assert not any("/menafn.com/search" in url for url in archived)


def test_warc_files_pass_warcio_check(menafn_crawl: CrawlRun) -> None:
    assert menafn_crawl.warc_files
    for path in menafn_crawl.warc_files:
        proc = subprocess.run([str(BIN / "warcio"), "check", "-v", str(path)], capture_output=True, text=True)
        assert proc.returncode == 0, proc.stdout + proc.stderr
    assert not list((menafn_crawl.output / "warc").glob("*.open"))


def test_warc_pointer_leads_to_the_response(menafn_crawl: CrawlRun) -> None:
    for article in menafn_crawl.articles:
        pointer = article["warc"]
        archived = read_response_at(menafn_crawl.output / "warc" / pointer["file"], pointer["offset"])
        assert archived.url == article["url"]
        assert archived.pointer.record_id == pointer["record_id"]
        assert archived.status == 200


def test_text_files(menafn_crawl: CrawlRun) -> None:
    for article in menafn_crawl.articles:
        path = menafn_crawl.output / article["text_file"]
        content = path.read_text(encoding="utf-8")
        assert content.startswith(article["title"] + "\n\n")
        assert content.endswith("\n\n" + article["text"] + "\n")
        assert Path(article["text_file"]).parent == Path("text/menafn")


def test_rate_limit_was_waited_out(menafn_crawl: CrawlRun) -> None:
    rate_limited = [p for p in ARTICLES if "429" in p.notes or "Retry-After" in p.notes]
    assert rate_limited, "the replica has a rate-limited article"
    report = menafn_crawl.report("menafn")
    assert report["retry_after_waits"] >= 1
    found = _by_source(menafn_crawl)
    for page in rate_limited:
        assert f"https://menafn.com{page.path}" in found


def test_extract_reproduces_the_crawl(menafn_crawl: CrawlRun) -> None:
    proc = subprocess.run(
        [str(BIN / "newsarchive"), "extract", *map(str, menafn_crawl.warc_files)],
        capture_output=True, text=True, check=True,
    )
    extracted = {}
    for line in proc.stdout.splitlines():
        record = json.loads(line)
        if record["verdict"] == "article":
            extracted[record["url"]] = record
    assert set(extracted) == {a["url"] for a in menafn_crawl.articles}
    for article in menafn_crawl.articles:
        again = extracted[article["url"]]
        for field in ("title", "text", "authors", "published", "language", "outlet", "encoding", "extractor"):
            assert again[field] == article[field], field
        assert again["warc"]["record_id"] == article["warc"]["record_id"]


@pytest.mark.parametrize("field", ["declared_header", "used", "repairs", "undecodable_bytes"])
def test_articles_carry_the_encoding_decision(menafn_crawl: CrawlRun, field: str) -> None:
    for article in menafn_crawl.articles:
        assert field in article["encoding"]


def test_feed_export_holds_the_same_articles(menafn_crawl: CrawlRun) -> None:
    with (menafn_crawl.output / "feed.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert sorted(r["url"] for r in rows) == sorted(a["url"] for a in menafn_crawl.articles)
    assert {r["title"] for r in rows} == {a["title"] for a in menafn_crawl.articles}
