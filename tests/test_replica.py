"""The replica over real HTTP: every catalogue page is served as the catalogue says, junk and all.

The spiders' end-to-end tests trust the catalogue as ground truth; these tests make sure the server really
serves that truth (statuses, exact Content-Type, bytes in the catalogued encoding, duplicated and hidden
blocks, feeds that list exactly the listed pages) so a spider failure always means a spider bug.
"""

from __future__ import annotations

import codecs
import gzip
import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
import urllib.robotparser
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import Message
from email.utils import parsedate_to_datetime
from pathlib import Path

import lxml.html
import pytest

from crawler.replica import ReplicaServer
from crawler.replica.catalogue import CATALOGUE, OUTLETS, ReplicaPage, pages_for
from crawler.replica.model import GONE_VERDICT
from crawler.replica.render import parse_iso
from crawler.replica.server import LOG_ENV
from crawler.replica.shared import FOLDER
from crawler.replica.sites import caliber, dailynews, haberportali, jsnews, menafn, tidewater

from .conftest import ROOT, SHARED_DATA, needs_shared_data

HTML_KINDS = {"article", "listing", "soft404", "error", "blocked", "redirect"}
DISCOVERY_KINDS = {"listing", "feed", "sitemap"}


@dataclass
class Fetched:
    status: int
    headers: Message
    body: bytes


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """Redirects are what some tests look at, so they are returned, not followed."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


# No proxies: a developer's http_proxy must not sit between the test and loopback.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirects())


def fetch(url: str, *, method: str = "GET", headers: dict[str, str] | None = None) -> Fetched:
    request = urllib.request.Request(url, method=method, headers=headers or {})
    try:
        with _OPENER.open(request, timeout=10) as response:
            return Fetched(response.status, response.headers, response.read())
    except urllib.error.HTTPError as error:
        with error:
            return Fetched(error.code, error.headers, error.read())


def fetch_politely(url: str) -> Fetched:
    """Like a crawler: a 429 is waited out once, for as long as Retry-After asks."""
    answer = fetch(url)
    if answer.status == 429:
        time.sleep(float(answer.headers["Retry-After"]))
        answer = fetch(url)
    return answer


def decoded(page: ReplicaPage, body: bytes) -> str:
    return body.decode(page.body_encoding)


def block_texts(markup: str, tags: tuple[str, ...] = ("p", "h1", "h2", "h3", "h4")) -> list[str]:
    """Whitespace-normalised text of every block element, in document order."""
    document = lxml.html.fromstring(markup)
    return [" ".join(element.text_content().split()) for element in document.iter(*tags)]


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    # Our own instance: the rate limiter is per server, and the crawl tests' session replica must keep its 429.
    with ReplicaServer() as server:
        yield server.base_url


def url_of(base: str, page: ReplicaPage) -> str:
    return base + page.replica_path


ARTICLES = [p for p in CATALOGUE if p.kind == "article"]
SERVER_RENDERED = [p for p in ARTICLES if p.outlet != jsnews.DOMAIN]


# --- the catalogue itself --------------------------------------------------------------------------------


def test_catalogue_is_consistent() -> None:
    keys = [(p.outlet, p.path) for p in CATALOGUE]
    assert len(keys) == len(set(keys)), "a page is catalogued twice"
    assert set(OUTLETS) == {
        menafn.DOMAIN, caliber.DOMAIN, haberportali.DOMAIN, jsnews.DOMAIN, dailynews.DOMAIN, tidewater.DOMAIN
    }
    for page in CATALOGUE:
        assert (page.kind == "redirect") == (300 <= page.status < 400)
        if page.kind in ("feed", "sitemap", "redirect"):
            assert page.expected_verdict is None
        elif page.kind == "error" and page.status in (404, 410):
            assert page.expected_verdict == GONE_VERDICT
        else:
            assert page.expected_verdict == page.kind
        if page.kind == "error":
            assert page.status >= 400
        if page.kind == "article":
            assert page.title and len(page.paragraphs) >= 5 and page.published and page.language
            parse_iso(page.published)
    assert pages_for("menafn.com") and pages_for("nowhere.example") == []


def test_menafn_has_every_page_the_spider_is_built_against() -> None:
    pages = pages_for(menafn.DOMAIN)
    english = [p for p in pages if p.kind == "article" and p.language == "en"]
    arabic = [p for p in pages if p.kind == "article" and p.language == "ar"]
    assert len(english) >= 6 and len(arabic) >= 3
    assert all(re.fullmatch(r"/\d{10}/[\w-]+", p.path) for p in english)
    assert all(re.fullmatch(r"/arabic/\d{10}/[\w%-]+", p.path) for p in arabic)
    statuses = {(p.kind, p.status) for p in pages}
    for expected in [
        ("soft404", 200),
        ("error", 404),
        ("error", 410),
        ("error", 500),
        ("blocked", 403),
        ("redirect", 301),
        ("redirect", 302),
    ]:
        assert expected in statuses
    assert {p.language for p in pages if p.kind == "soft404"} == {"en", "ar"}
    assert max(int(p.path.rsplit("=", 1)[1]) for p in pages if "src=politics" in p.path) >= 2
    about_404 = next(p for p in pages if p.path == menafn.ABOUT_404)
    assert "404" in about_404.title and about_404.expected_verdict == "article"
    assert all(p.paragraphs[0].startswith("(MENAFN)") for p in english + arabic)


def test_article_text_fits_the_encoding_it_is_served_in() -> None:
    for page in ARTICLES:
        for piece in (page.title, *page.paragraphs, *page.authors):
            piece.encode(page.body_encoding)  # strict: no character-reference fallback inside the body


# --- HTTP behaviour of every page ----------------------------------------------------------------------


@pytest.mark.parametrize("page", CATALOGUE, ids=lambda p: p.outlet + p.path)
def test_page_answers_its_status_and_content_type(base: str, page: ReplicaPage) -> None:
    answer = fetch_politely(url_of(base, page))
    assert answer.status == page.status
    media = {"feed": "application/rss+xml", "sitemap": "application/xml"}.get(page.kind, "text/html")
    assert answer.headers["Content-Type"] == f"{media}; charset={page.served_charset_label}"
    assert int(answer.headers["Content-Length"]) == len(answer.body)
    if page.kind == "article":
        assert answer.headers["ETag"] and answer.headers["Last-Modified"]


@pytest.mark.parametrize("page", SERVER_RENDERED, ids=lambda p: p.outlet + p.path)
def test_article_contains_every_paragraph_and_its_title(base: str, page: ReplicaPage) -> None:
    markup = decoded(page, fetch_politely(url_of(base, page)).body)
    blocks = block_texts(markup)
    for paragraph in page.paragraphs:
        assert page.as_served(paragraph) in blocks, paragraph
    assert page.as_served(page.title) in block_texts(markup, ("h1",))


@pytest.mark.parametrize(
    "page", [p for p in SERVER_RENDERED if p.outlet == menafn.DOMAIN], ids=lambda p: p.path
)
def test_menafn_article_carries_the_seed_problems(base: str, page: ReplicaPage) -> None:
    markup = decoded(page, fetch_politely(url_of(base, page)).body)
    blocks = block_texts(markup)
    # The body twice (the mobile copy may skip the lead), each paragraph once per copy.
    for paragraph in page.paragraphs[1:]:
        assert blocks.count(page.as_served(paragraph)) == 2, paragraph
    # The error template comes first, hidden one of three ways.
    template = markup.index('<div class="error-template')
    assert template < markup.index('<h1 class="story-title">')
    assert "We're sorry, but the page you were looking for doesn't exist." in markup[template:]
    assert _hiding(markup) in {"style", "attribute", "css-class"}
    assert re.search(r"date \d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}/\d{4} \d{1,2}:\d{2}:\d{2} [AP]M", markup)
    assert re.search(r"MENAFN\d{8}\d{12}ID\d{10}", markup)
    day_first = re.search(r"MENAFN(\d{2})(\d{2})(\d{4})", markup)
    assert day_first is not None
    published = parse_iso(page.published or "")
    assert (int(day_first[1]), int(day_first[2]), int(day_first[3])) == (
        published.day,
        published.month,
        published.year,
    )
    if page.language == "ar":
        assert 'dir="rtl"' in markup and "لا يوجد تعليق" in markup
    else:
        assert "Legal Disclaimer:" in markup and "No comment" in markup and "Comments" in markup
    assert "Share" in markup or "شارك" in markup
    assert 'class="related"' in markup


def _hiding(markup: str) -> str:
    """How the page hides its error template; "" when it does not."""
    opening = re.search(r'<div class="error-template[^>]*>', markup)
    assert opening is not None
    return {
        '<div class="error-template" style="display:none">': "style",
        '<div class="error-template" hidden>': "attribute",
        '<div class="error-template err-hide">': "css-class" if ".err-hide{display:none" in markup else "",
    }.get(opening[0], "")


def test_menafn_hides_the_error_template_three_ways(base: str) -> None:
    ways = {
        _hiding(decoded(page, fetch_politely(url_of(base, page)).body))
        for page in SERVER_RENDERED
        if page.outlet == menafn.DOMAIN
    }
    assert ways == {"style", "attribute", "css-class"}


def test_soft_404s_show_their_message_with_status_200(base: str) -> None:
    messages = {
        (menafn.DOMAIN, "en"): "We're sorry, but the page you were looking for doesn't exist.",
        (menafn.DOMAIN, "ar"): "الصفحة غير موجودة",
        (caliber.DOMAIN, "ru"): "Страница не найдена",
        (caliber.DOMAIN, "az"): "Səhifə tapılmadı",
        (haberportali.DOMAIN, "tr"): "Sayfa bulunamadı",
        (tidewater.DOMAIN, "en"): "We searched the whole newsroom and came back empty-handed.",  # no known phrase
    }
    soft = [p for p in CATALOGUE if p.kind == "soft404"]
    assert {(p.outlet, p.language) for p in soft} == set(messages)
    for page in soft:
        answer = fetch(url_of(base, page))
        assert answer.status == 200
        assert messages[(page.outlet, page.language)] in answer.body.decode(page.body_encoding)


def test_caliber_post_markup(base: str) -> None:
    for page in (p for p in SERVER_RENDERED if p.outlet == caliber.DOMAIN):
        document = lxml.html.fromstring(decoded(page, fetch(url_of(base, page)).body))
        assert document.cssselect(".post .post_title")[0].text_content() == page.title
        assert re.fullmatch(
            r"\d{1,2} [А-Я][а-я]+ \d{4} \d{2}:\d{2}|\d{2}\.\d{2}\.\d{4} \d{2}:\d{2}",
            document.cssselect(".post_time")[0].text_content(),
        )
        assert re.search(
            r"(Просмотров|Views|Baxış): \d+", document.cssselect(".post_views")[0].text_content()
        )
        body = [" ".join(p.text_content().split()) for p in document.cssselect(".post_body p")]
        assert body == list(page.paragraphs)
        signature = document.cssselect(".post_signature")
        if page.authors:
            assert signature[0].text_content().endswith(page.authors[0])
        else:
            assert not signature
    russian = next(p for p in pages_for(caliber.DOMAIN) if p.path == caliber.MISLABELLED)
    assert "Июня 2025" in decoded(russian, fetch(url_of(base, russian)).body)


def test_turkish_portal_markup(base: str) -> None:
    for page in (p for p in SERVER_RENDERED if p.outlet == haberportali.DOMAIN):
        markup = decoded(page, fetch(url_of(base, page)).body)
        document = lxml.html.fromstring(markup)
        assert document.cssselect(".cat-tags a")[0].text_content() == f"#{page.section}"
        assert [" ".join(e.text_content().split()) for e in document.cssselect(".entry-content > *")] == [
            page.as_served(p) for p in page.paragraphs
        ]
        assert block_texts(markup).count(page.as_served(page.title)) == 2, "title repeated under the post"
        assert re.search(
            r"\d{2}\.\d{2}\.\d{4} \d{2}:\d{2}", document.cssselect(".entry-meta")[0].text_content()
        )
        notes = " ".join(document.cssselect(".comment-notes")[0].text_content().split())
        assert notes == "E-posta adresiniz yayınlanmayacak. Gerekli alanlar * ile işaretlenmişlerdir"
    dunya = next(p for p in pages_for(haberportali.DOMAIN) if p.section == "Dünya" and p.kind == "article")
    assert "#Dünya" in fetch(url_of(base, dunya)).body.decode("utf-8")


# --- encodings -------------------------------------------------------------------------------------------


def _codec(label: str) -> str:
    return codecs.lookup(label).name


MISLABELLED = [
    p
    for p in CATALOGUE
    if p.served_charset_label and _codec(p.served_charset_label) != _codec(p.body_encoding)
]


def test_the_required_charset_cases_exist() -> None:
    cases = {(p.outlet, p.served_charset_label, p.body_encoding) for p in MISLABELLED}
    assert cases == {
        (menafn.DOMAIN, "windows-1252", "utf-8"),
        (menafn.DOMAIN, "iso-8859-1", "windows-1256"),
        (caliber.DOMAIN, "windows-1252", "windows-1251"),
        (caliber.DOMAIN, "ISO-8859-1", "utf-8"),
        (haberportali.DOMAIN, "ISO-8859-1", "windows-1254"),
        (haberportali.DOMAIN, "windows-1252", "windows-1254"),
    }
    garbled = {(p.outlet, p.text_mojibake) for p in CATALOGUE if p.text_mojibake}
    assert garbled == {
        (menafn.DOMAIN, ("utf-8", "windows-1252")),
        (haberportali.DOMAIN, ("windows-1254", "windows-1252")),
    }
    latin5 = next(p for p in CATALOGUE if p.path == haberportali.LATIN5)
    assert (latin5.served_charset_label, latin5.body_encoding) == ("ISO-8859-9", "iso-8859-9")


@pytest.mark.parametrize("page", MISLABELLED, ids=lambda p: p.outlet + p.path)
def test_mislabelled_bytes_are_in_the_real_encoding(base: str, page: ReplicaPage) -> None:
    answer = fetch(url_of(base, page))
    assert (
        page.served_charset_label and f"charset={page.served_charset_label}" in answer.headers["Content-Type"]
    )
    right = answer.body.decode(page.body_encoding)
    wrong = answer.body.decode(page.served_charset_label, errors="replace")
    assert all(paragraph in block_texts(right) for paragraph in page.paragraphs)
    assert not all(paragraph in wrong for paragraph in page.paragraphs), "the label would decode it correctly"


def test_specific_mojibake_each_mislabel_produces(base: str) -> None:
    cafe = fetch(base + f"/{menafn.DOMAIN}{menafn.MISLABELLED}").body
    assert "Café".encode() in cafe and "“".encode() in cafe and b"<meta charset" not in cafe
    assert "CafÃ©" in cafe.decode("windows-1252", errors="replace")
    festival = fetch(base + f"/{caliber.DOMAIN}{caliber.MISLABELLED}").body
    assert "Баку".encode("windows-1251") in festival and b'<meta charset="windows-1251">' in festival
    winter = fetch(base + f"/{haberportali.DOMAIN}{haberportali.MISLABELLED}").body
    assert "Kış".encode("windows-1254") in winter and b'<meta charset="ISO-8859-1">' in winter
    assert "Kýþ" in winter.decode("iso-8859-1")
    latin5 = fetch(base + f"/{haberportali.DOMAIN}{haberportali.LATIN5}").body
    assert "Başkentte".encode("iso-8859-9") in latin5


# --- special behaviour -----------------------------------------------------------------------------------


def test_rate_limited_article_answers_429_then_the_article() -> None:
    page = next(p for p in CATALOGUE if p.path == menafn.RATE_LIMITED)
    with ReplicaServer() as server:
        first = fetch(url_of(server.base_url, page))
        assert first.status == 429
        assert first.headers["Retry-After"] == "1"
        second = fetch(url_of(server.base_url, page))
        assert second.status == 200
        assert page.paragraphs[-1] in block_texts(decoded(page, second.body))
    with ReplicaServer() as fresh:
        assert fetch(url_of(fresh.base_url, page)).status == 429, "the limiter belongs to the instance"


def test_gzip_page_is_compressed_only_when_asked(base: str) -> None:
    page = next(p for p in CATALOGUE if p.path == menafn.GZIPPED)
    plain = fetch(url_of(base, page))
    assert plain.headers["Content-Encoding"] is None
    packed = fetch(url_of(base, page), headers={"Accept-Encoding": "gzip, deflate"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert packed.body[:2] == b"\x1f\x8b"
    assert gzip.decompress(packed.body) == plain.body
    assert "Accept-Encoding" in packed.headers["Vary"]
    assert packed.headers["ETag"] != plain.headers["ETag"]
    other = next(p for p in SERVER_RENDERED if p.path != menafn.GZIPPED)
    assert fetch(url_of(base, other), headers={"Accept-Encoding": "gzip"}).headers["Content-Encoding"] is None


def test_redirects_point_at_their_targets(base: str) -> None:
    removed = fetch(f"{base}/{menafn.DOMAIN}{menafn.REMOVED}")
    assert removed.status == 301 and removed.headers["Location"] == f"{base}/{menafn.DOMAIN}/"
    moved = fetch(f"{base}/{menafn.DOMAIN}{menafn.MOVED_FROM}")
    assert moved.status == 302 and moved.headers["Location"] == f"{base}/{menafn.DOMAIN}{menafn.MOVED_TO}"
    target = next(p for p in CATALOGUE if p.outlet == menafn.DOMAIN and p.path == menafn.MOVED_TO)
    assert target.kind == "article" and fetch(moved.headers["Location"]).status == 200


def test_home_sets_two_cookies(base: str) -> None:
    cookies = fetch(f"{base}/{menafn.DOMAIN}/").headers.get_all("Set-Cookie")
    assert cookies is not None and len(cookies) == 2
    assert all("path=/menafn.com" in cookie for cookie in cookies)


def test_head_matches_get_without_a_body(base: str) -> None:
    page = next(p for p in SERVER_RENDERED if p.outlet == caliber.DOMAIN)
    get, head = fetch(url_of(base, page)), fetch(url_of(base, page), method="HEAD")
    assert head.status == 200 and head.body == b""
    for name in ("Content-Type", "Content-Length", "ETag", "Last-Modified"):
        assert head.headers[name] == get.headers[name]


def test_validators_are_stable_and_honoured(base: str) -> None:
    page = next(p for p in SERVER_RENDERED if p.path == menafn.ABOUT_404)
    first, again = fetch(url_of(base, page)), fetch(url_of(base, page))
    with ReplicaServer() as other:
        elsewhere = fetch(url_of(other.base_url, page))
    etags = {first.headers["ETag"], again.headers["ETag"], elsewhere.headers["ETag"]}
    assert len(etags) == 1
    assert parsedate_to_datetime(first.headers["Last-Modified"]) == parse_iso(page.published or "")
    unchanged = fetch(url_of(base, page), headers={"If-None-Match": first.headers["ETag"]})
    assert unchanged.status == 304 and unchanged.body == b""


def test_unknown_paths_get_their_outlets_404_page(base: str) -> None:
    for outlet in OUTLETS:
        hard = next(p for p in pages_for(outlet) if p.status == 404)
        expected = fetch(url_of(base, hard))
        answer = fetch(f"{base}/{outlet}/no/such/page-{outlet}")
        assert answer.status == 404
        assert answer.body == expected.body
    assert fetch(f"{base}/unknown.example/anything").status == 404
    assert fetch(f"{base}/{menafn.DOMAIN}/qn_news_list.aspx?src=politics&page=99").status == 404


def test_tolerant_routing_like_a_real_site(base: str) -> None:
    listing = fetch(f"{base}/{menafn.DOMAIN}/qn_news_list.aspx?page=2&src=politics")
    assert listing.body == fetch(f"{base}/{menafn.DOMAIN}/qn_news_list.aspx?src=politics&page=2").body
    page = next(p for p in SERVER_RENDERED if p.outlet == menafn.DOMAIN and p.path != menafn.RATE_LIMITED)
    tracked = fetch(url_of(base, page) + "?utm_source=rss")
    assert tracked.status == 200 and tracked.body == fetch(url_of(base, page)).body
    arabic = next(p for p in SERVER_RENDERED if "%D8" in p.path)
    assert "%D8" in arabic.path and fetch(url_of(base, arabic)).status == 200


# --- discovery -------------------------------------------------------------------------------------------


def _xml_urls(body: bytes) -> tuple[set[str], set[str]]:
    """(page URLs, sitemap URLs) an RSS feed, urlset or sitemap index lists."""
    root = ET.fromstring(body)
    name = root.tag.rsplit("}", 1)[-1]
    if name == "rss":
        return {item.findtext("link") or "" for item in root.iter("item")}, set()
    locs = {(loc.text or "").strip() for loc in root.iter() if loc.tag.rsplit("}", 1)[-1] == "loc"}
    return (set(), locs) if name == "sitemapindex" else (locs, set())


@pytest.mark.parametrize("outlet", OUTLETS)
def test_feeds_and_sitemaps_list_exactly_the_listed_pages(base: str, outlet: str) -> None:
    pages = pages_for(outlet)
    listed_urls: set[str] = set()
    indexed: set[str] = set()  # sitemaps named by a sitemap index
    leaves: set[str] = set()  # sitemaps that list pages
    for page in (p for p in pages if p.kind in ("feed", "sitemap")):
        urls, sitemaps = _xml_urls(fetch(url_of(base, page)).body)
        listed_urls |= urls
        indexed |= sitemaps
        if page.kind == "sitemap" and not sitemaps:
            leaves.add(url_of(base, page))
    expected = {url_of(base, p) for p in pages if p.listed and p.kind not in DISCOVERY_KINDS}
    assert listed_urls == expected
    assert all(url.startswith(f"{base}/{outlet}/") for url in listed_urls | indexed)
    if indexed:
        assert indexed == leaves
    unlisted = [p for p in pages if not p.listed and p.kind == "article"]
    for page in unlisted:  # reachable some other way, or it would not be worth cataloguing
        assert any(
            page.replica_path in fetch(url_of(base, p)).body.decode(p.body_encoding, "replace")
            for p in pages
            if p.kind == "article" and p.listed
        )


def test_menafn_sections_paginate_and_link_their_stories(base: str) -> None:
    sections = [p for p in pages_for(menafn.DOMAIN) if "qn_news_list.aspx?src=politics" in p.path]
    linked: set[str] = set()
    for page in sections:
        document = lxml.html.fromstring(fetch(url_of(base, page)).body)
        linked |= {a.get("href") for a in document.cssselect(".news-item a")}
        if not page.path.endswith(f"page={len(sections)}"):
            assert document.cssselect('a[rel="next"]')
    politics = {
        f"/{menafn.DOMAIN}{p.path}"
        for p in pages_for(menafn.DOMAIN)
        if p.kind == "article" and p.section == "Politics"
    }
    assert linked == politics


def test_robots_txt_holds_every_outlets_prefixed_rules(base: str) -> None:
    answer = fetch(f"{base}/robots.txt")
    assert answer.headers["Content-Type"] == "text/plain; charset=utf-8"
    robots = answer.body.decode()
    for rule in (
        "Disallow: /menafn.com/search",
        "Disallow: /caliber.az/search",
        "Disallow: /haberportali.com.tr/wp-admin/",
        "Disallow: /jsnews.example/account/",
    ):
        assert rule in robots.splitlines()
    for sitemap in (
        "/menafn.com/sitemap.xml",
        "/caliber.az/sitemap.xml",
        "/haberportali.com.tr/wp-sitemap.xml",
        "/jsnews.example/sitemap.xml",
    ):
        assert f"Sitemap: {base}{sitemap}" in robots.splitlines()
    parser = urllib.robotparser.RobotFileParser()
    parser.parse(robots.splitlines())
    assert not parser.can_fetch("newsarchive", f"{base}/menafn.com/search?q=water")
    for page in (p for p in CATALOGUE if p.kind == "article"):
        assert parser.can_fetch("newsarchive", url_of(base, page))


# --- the JavaScript outlet -------------------------------------------------------------------------------


@pytest.mark.parametrize("story", jsnews.STORIES, ids=lambda s: s.slug)
def test_js_outlet_serves_a_shell_and_the_text_only_as_json(base: str, story: jsnews.Story) -> None:
    shell = fetch(f"{base}/{jsnews.DOMAIN}{story.path}").body.decode()
    assert '<div id="root"></div>' in shell and f'src="/{jsnews.DOMAIN}/static/app.js"' in shell
    assert story.title not in shell
    assert not any(paragraph[:40] in shell for paragraph in story.paragraphs)
    api = fetch(f"{base}/{jsnews.DOMAIN}{story.api_path}")
    assert api.headers["Content-Type"] == "application/json; charset=utf-8"
    document = json.loads(api.body)
    page = next(p for p in CATALOGUE if p.outlet == jsnews.DOMAIN and p.path == story.path)
    assert document["paragraphs"] == list(page.paragraphs) and document["title"] == page.title
    assert document["authors"] == list(page.authors) and document["published"] == page.published
    script = fetch(f"{base}/{jsnews.DOMAIN}/static/app.js")
    assert script.status == 200 and script.headers["Content-Type"].startswith("text/javascript")
    assert b"api/" in script.body and b"document.currentScript" in script.body
    latest = json.loads(fetch(f"{base}/{jsnews.DOMAIN}/api/latest.json").body)
    assert story.path in {item["path"] for item in latest["articles"]}


# --- real saved pages ------------------------------------------------------------------------------------


@needs_shared_data
def test_shared_pages_are_served_at_their_real_paths() -> None:
    meta = json.loads((SHARED_DATA / FOLDER / "meta.info").read_text(encoding="utf-8"))
    with ReplicaServer(shared_data=SHARED_DATA) as server:
        for name, info in meta.items():
            url = info["url"]
            answer = fetch(server.base_url + "/" + url.split("://", 1)[1])
            assert answer.status == 200, url
            assert answer.body == gzip.decompress((SHARED_DATA / FOLDER / name).read_bytes())
            assert answer.headers["Content-Type"] == "text/html; charset=utf-8"


def test_shared_pages_are_read_from_the_folder_and_absent_without_it(tmp_path: Path) -> None:
    folder = tmp_path / FOLDER
    folder.mkdir()
    page = '<html><head><meta charset="iso-8859-9"></head><body><p>Haber</p></body></html>'.encode(
        "iso-8859-9"
    )
    (folder / "Ornek_2025_01_01.html.gz").write_bytes(gzip.compress(page))
    url = "https://www.ornek.com.tr/gundem/haber-basligi,abc-123"
    (folder / "meta.info").write_text(
        json.dumps({"Ornek_2025_01_01.html.gz": {"url": url, "crawl_date": "x"}})
    )
    with ReplicaServer(shared_data=tmp_path) as server:
        answer = fetch(f"{server.base_url}/www.ornek.com.tr/gundem/haber-basligi,abc-123")
        assert answer.body == page and answer.headers["Content-Type"] == "text/html; charset=iso-8859-9"
        (folder / "Ornek_2025_01_01.html.gz").write_bytes(gzip.compress(page.replace(b"Haber", b"Yeni")))
        assert b"Yeni" in fetch(f"{server.base_url}/www.ornek.com.tr/gundem/haber-basligi,abc-123").body
    with ReplicaServer(shared_data=tmp_path / "missing") as server:
        assert fetch(f"{server.base_url}/www.ornek.com.tr/gundem/haber-basligi,abc-123").status == 404


# --- running it ------------------------------------------------------------------------------------------


def test_quiet_unless_asked(capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(LOG_ENV, raising=False)
    with ReplicaServer() as server:
        capfd.readouterr()
        fetch(f"{server.base_url}/{menafn.DOMAIN}/")
        fetch(f"{server.base_url}/{menafn.DOMAIN}/missing")
        assert capfd.readouterr().err == ""
        monkeypatch.setenv(LOG_ENV, "1")
        fetch(f"{server.base_url}/{menafn.DOMAIN}/")
        # The server thread may write its log line just after the client has the response.
        err = ""
        deadline = time.monotonic() + 5
        while f"/{menafn.DOMAIN}/" not in err and time.monotonic() < deadline:
            time.sleep(0.05)
            err += capfd.readouterr().err
        assert f"/{menafn.DOMAIN}/" in err


def test_module_entry_point_prints_its_address_and_serves() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "crawler.replica", "--port", "0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        match = re.fullmatch(r"replica serving on (http://127\.0\.0\.1:\d+)", line)
        assert match, line
        assert fetch(f"{match[1]}/robots.txt").status == 200
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_js_outlet_renders_its_article_in_a_browser() -> None:
    """The shell really becomes the catalogued article once app.js runs (Debian's chromium, see Makefile)."""
    from playwright.sync_api import sync_playwright

    chromium = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    story = jsnews.STORIES[-1]
    with ReplicaServer() as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        try:
            tab = browser.new_page()
            tab.goto(f"{server.base_url}/{jsnews.DOMAIN}{story.path}")
            tab.wait_for_selector("article.story .story-body p", timeout=15_000)
            assert tab.inner_text("h1") == story.title
            rendered = tab.eval_on_selector_all(".story-body p", "nodes => nodes.map(n => n.textContent)")
            assert rendered == list(story.paragraphs)
            assert tab.inner_text(".byline") == "By " + " and ".join(story.authors)
        finally:
            browser.close()
