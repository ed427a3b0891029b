"""End to end: a real `scrapy crawl caliber` of the replica over loopback, then its outputs.

Caliber.Az writes Russian at the root, English under /en/ and Azerbaijani under /az/; the byline
follows the body in ``.post_signature``, a banner sits inside the body, a view counter next to the
date, and the only date is the visible one in Baku time (see spiders/caliber.py).
"""

from __future__ import annotations

import re

import pytest

from crawler.page import analyse_page
from crawler.replica.catalogue import ReplicaPage, pages_for
from crawler.urls import to_replica
from spiders.caliber import CaliberSpider, names_of

from .conftest import CrawlRun
from .crawl_checks import (
    archived_urls,
    assert_articles_exact,
    assert_extract_reproduces,
    assert_nothing_else,
    fetch,
    listed_articles,
)

CALIBER = pages_for("caliber.az")
ARTICLES = listed_articles(CALIBER)
REJECTED = [p for p in CALIBER if p.expected_verdict in ("soft404", "error") and p.listed]
#: What a naive scraper keeps from a Caliber.Az page (seed 002 ends with the signature).
JUNK = re.compile(
    r"Просмотров|Views\b|Baxış|Реклама|Advertisement|Reklam\b|Поделиться|\bShare\b|Paylaş|Telegram|Facebook|"
    r"Читайте также|Read also|Həmçinin oxuyun|^By |Автор:|Müəllif:|©",
    re.MULTILINE,
)


def test_every_listed_post_is_extracted_exactly(caliber_crawl: CrawlRun) -> None:
    assert {p.language for p in ARTICLES} == {"ru", "en", "az"}, "the replica covers the three editions"
    assert_articles_exact(caliber_crawl, ARTICLES)


def test_nothing_but_the_listed_posts_and_none_twice(caliber_crawl: CrawlRun) -> None:
    assert_nothing_else(caliber_crawl, ARTICLES)


def test_signature_counter_banner_and_share_bar_stay_out_of_the_text(caliber_crawl: CrawlRun) -> None:
    for article in caliber_crawl.articles:
        assert not JUNK.search(article["text"]), (article["url"], JUNK.search(article["text"]))
        for name in article["authors"]:
            assert name not in article["text"], "a signature left in the body"
        assert article["extractor"] == "outlet:caliber/v1"


def test_dates_are_baku_time_and_the_attribution_stays(caliber_crawl: CrawlRun) -> None:
    for article in caliber_crawl.articles:
        assert article["published"].endswith("+04:00"), article["published"]
    english = [a for a in caliber_crawl.articles if a["language"] == "en"]
    assert any("Caliber.Az reports" in a["text"] for a in english), "the outlet's own attribution is text"


def test_removed_posts_are_archived_and_judged_soft404(caliber_crawl: CrawlRun, replica: str) -> None:
    assert REJECTED, "the sitemap still lists removed posts"
    archived = archived_urls(caliber_crawl)
    rejected = {r["url"]: r["verdict"] for r in caliber_crawl.report("caliber")["rejected"]}
    for page in REJECTED:
        fetched = to_replica(page.real_url, replica)
        assert fetched in archived
        assert rejected.get(fetched) == page.expected_verdict, (fetched, rejected.get(fetched))


def test_discovery_pages_are_archived_and_robots_obeyed(caliber_crawl: CrawlRun, replica: str) -> None:
    archived = archived_urls(caliber_crawl)
    for url in (CaliberSpider.home, *CaliberSpider.sections, *CaliberSpider.sitemaps):
        assert to_replica(url, replica) in archived, url
    assert not any("/caliber.az/search" in url for url in archived)


def test_extract_reproduces_the_crawl(caliber_crawl: CrawlRun) -> None:
    assert_extract_reproduces(caliber_crawl)


def test_signature_names() -> None:
    assert names_of("By Tamilla Hasanova") == ["Tamilla Hasanova"]
    assert names_of("Автор: Руслан Керимов и Анна Ли") == ["Руслан Керимов", "Анна Ли"]
    assert names_of("Müəllif: Aysel Quliyeva, Orxan Əliyev") == ["Aysel Quliyeva", "Orxan Əliyev"]
    assert names_of("") is None


@pytest.mark.parametrize("page", ARTICLES[:2], ids=lambda p: p.path)
def test_a_changed_layout_falls_back_and_is_recorded(replica: str, page: ReplicaPage) -> None:
    """If Caliber.Az renames ``.post``, v1 no longer matches: the fallbacks read the page and say so."""
    body, content_type = fetch(replica + page.replica_path)
    body = body.replace(b'class="post"', b'class="story-2027"')
    result = analyse_page(replica + page.replica_path, 200, body, content_type=content_type, outlet=CaliberSpider)
    assert result.verdict == "article"
    assert result.extractor == "generic"
    assert result.paragraphs == list(page.paragraphs), "the cleaning layer removes what the fallback keeps"
    assert result.title == page.title
