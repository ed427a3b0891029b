"""End to end: a real `scrapy crawl haberportali` of the replica, the WordPress portal of seed 004.

The post page carries a "#Dünya" category tag, tags and share buttons, a related-posts box, the
title repeated under the post, a next-post teaser and the Turkish comment form; the quoted
uppercase subheadings inside the post are text. Discovery is the feed, the WordPress core
sitemaps and the category pages.
"""

from __future__ import annotations

import re

import pytest

from crawler.page import analyse_page
from crawler.replica.catalogue import ReplicaPage, pages_for
from crawler.urls import to_replica
from spiders.haberportali import HaberPortaliSpider

from .conftest import CrawlRun
from .crawl_checks import (
    archived_urls,
    assert_articles_exact,
    assert_extract_reproduces,
    assert_nothing_else,
    fetch,
    listed_articles,
)

PORTAL = pages_for("haberportali.com.tr")
ARTICLES = listed_articles(PORTAL)
UNLISTED = [p for p in PORTAL if not p.listed]
#: Seed 004's junk and the WordPress furniture around the post.
JUNK = re.compile(
    r"#\w|Etiketler|Paylaş|Facebook|WhatsApp|İlgili Haberler|Çok Okunanlar|Son Dakika|Yorum|E-posta adresiniz|"
    r"Gerekli alanlar|işaretlenmişlerdir|Yazar:|Haber Portalı|WordPress"
)


def test_every_listed_post_is_extracted_exactly(haberportali_crawl: CrawlRun) -> None:
    assert_articles_exact(haberportali_crawl, ARTICLES)


def test_nothing_but_the_listed_posts_and_none_twice(haberportali_crawl: CrawlRun) -> None:
    assert_nothing_else(haberportali_crawl, ARTICLES)


def test_none_of_the_seed_junk(haberportali_crawl: CrawlRun) -> None:
    for article in haberportali_crawl.articles:
        text = article["text"]
        assert not JUNK.search(text), (article["url"], JUNK.search(text))
        assert article["title"] not in text, "the title repeated under the post"
        # The next-post teaser is a truncated title of another post.
        others = [a["title"] for a in haberportali_crawl.articles if a is not article]
        assert not any(p in title for p in text.split("\n\n") for title in others)


def test_uppercase_quoted_subheadings_stay_in_reading_order(haberportali_crawl: CrawlRun) -> None:
    headed = [p for p in ARTICLES if any(re.fullmatch(r"“[^a-zçğıöşü]+”", para) for para in p.paragraphs)]
    assert headed, "the replica has posts with subheadings"
    found = {a["source_url"]: a for a in haberportali_crawl.articles}
    for page in headed:
        paragraphs = found[page.real_url]["text"].split("\n\n")
        headings = [p for p in page.paragraphs if re.fullmatch(r"“[^a-zçğıöşü]+”", p)]
        assert [p for p in paragraphs if p in headings] == headings


def test_day_first_dates_in_istanbul_time(haberportali_crawl: CrawlRun) -> None:
    for article in haberportali_crawl.articles:
        assert article["published"].endswith("+03:00"), article["published"]
        assert article["language"] == "tr"


def test_discovery_uses_feed_sitemaps_and_categories(haberportali_crawl: CrawlRun, replica: str) -> None:
    archived = archived_urls(haberportali_crawl)
    for url in (*HaberPortaliSpider.feeds, *HaberPortaliSpider.sitemaps, HaberPortaliSpider.home):
        assert to_replica(url, replica) in archived, url
    assert to_replica("https://haberportali.com.tr/wp-sitemap-posts-post-1.xml", replica) in archived
    categories = [p for p in PORTAL if p.path.startswith("/kategori/")]
    assert categories
    for page in categories:
        assert to_replica(page.real_url, replica) in archived, page.path
    assert not any("/wp-admin/" in url or "/wp-json/" in url or "?p=" in url for url in archived)


def test_unlisted_removed_and_missing_posts_are_never_articles(haberportali_crawl: CrawlRun) -> None:
    assert UNLISTED
    written = {a["source_url"] for a in haberportali_crawl.articles}
    assert not written & {p.real_url for p in UNLISTED}


def test_extract_reproduces_the_crawl(haberportali_crawl: CrawlRun) -> None:
    assert_extract_reproduces(haberportali_crawl)


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("/denizcilik-toplantisi-gemiler-icin-yeni-emisyon-siniri-yolda/", "article"),
        ("/kategori/dunya/", "listing"),
        ("/kategori/dunya/page/2/", "listing"),
        ("/", "listing"),
        ("/feed/", None),
        ("/wp-sitemap-posts-post-1.xml", None),
        ("/etiket/kis-turizmi/", None),
        ("/wp-json/wp/v2/posts/", None),
        ("/hakkimizda/", None),  # a page of one word is not a post
    ],
)
def test_url_recognition(path: str, kind: str | None) -> None:
    assert HaberPortaliSpider.url_kind(f"https://haberportali.com.tr{path}") == kind


@pytest.mark.parametrize("page", ARTICLES[:2], ids=lambda p: p.path)
def test_a_changed_layout_falls_back_and_is_recorded(replica: str, page: ReplicaPage) -> None:
    """A theme change that renames ``.entry-content``: the fallbacks read the page, cleaning does the rest."""
    body, content_type = fetch(replica + page.replica_path)
    body = body.replace(b"entry-content", b"story-text")
    result = analyse_page(replica + page.replica_path, 200, body, content_type=content_type, outlet=HaberPortaliSpider)
    assert result.verdict == "article"
    assert result.extractor == "generic"
    assert result.paragraphs == list(page.paragraphs)
    assert result.title == page.title
