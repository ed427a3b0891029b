"""The generic spider and outlet profiles, the ``since`` bound, and the date helpers they share.

Real crawls of the replica's plain site (dailynews.example) by profile and by URL alone, and of
MENAFN's news sitemaps through a profile written by the test (as a user would write one), run side
by side in subprocesses to keep the module fast.
"""

from __future__ import annotations

import json
import os
import subprocess
import tomllib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import pytest

from crawler.extraction import detect_language
from crawler.localdates import parse_local_date
from crawler.outlets import outlet_for_url, outlet_spiders
from crawler.profiles import PROFILES_ENV, ProfileError, load_profiles, parse_profile
from crawler.replica import ReplicaServer
from crawler.replica.catalogue import CATALOGUE, ReplicaPage, pages_for
from crawler.since import SinceError, before, news_publication_dates, parse_since, source_day
from crawler.urls import to_replica
from spiders.generic import guess_url_kind

from .conftest import BIN, ROOT, SHARED_DATA, CrawlRun, needs_shared_data, run_scrapy_crawl
from .crawl_checks import (
    archived_urls,
    assert_articles_exact,
    assert_extract_reproduces,
    assert_nothing_else,
    extract_records,
    listed_articles,
)

DAILY = pages_for("dailynews.example")
DAILY_ARTICLES = listed_articles(DAILY)
MENAFN = pages_for("menafn.com")
SINCE = "2025-06-01"
FUNDUS_TR = SHARED_DATA / "fundus-tr"
MENAFN_SINCE = "2025-05-13"
#: Profiles a user would write in a file of their own (NEWSARCHIVE_PROFILES), one discovery source each.
USER_PROFILES = """
[dn_feed]
domain = "dailynews.example"
feeds = ["https://dailynews.example/rss.xml"]
article_urls = '^/\\d{4}/\\d{2}/\\d{2}/[a-z0-9-]+/$'

[dn_sitemap]
domain = "dailynews.example"
sitemaps = ["https://dailynews.example/sitemap.xml"]
article_urls = '^/\\d{4}/\\d{2}/\\d{2}/[a-z0-9-]+/$'

[menafn_news]
domain = "menafn.com"
sitemaps = ["https://menafn.com/sitemap.xml"]
article_urls = '^/(?:arabic/)?\\d{6,}/[^/?]+'
languages = ["en", "ar"]
"""
JUNK = ("Sign up for our morning newsletter", "Share:", "Related", "All rights reserved")


@pytest.fixture(scope="module")
def private_replica() -> Iterator[str]:
    # MENAFN's rate-limited page lets only the first visit of a server through: a crawl of MENAFN here
    # must not spend the session replica's first visit, which test_crawl_menafn relies on.
    with ReplicaServer(port=0) as server:
        yield server.base_url


@pytest.fixture(scope="module")
def runs(replica: str, private_replica: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, CrawlRun]:
    """Every crawl of this module, started together."""
    profiles = tmp_path_factory.mktemp("profiles") / "mine.toml"
    profiles.write_text(USER_PROFILES, encoding="utf-8")
    os.environ[PROFILES_ENV] = str(profiles)  # read by the crawl subprocesses (inherit the environment)
    jobs = {
        "profile": ("dailynews", replica, ()),
        "generic-profile": ("generic", replica, ("-a", "profile=dailynews")),
        "url": ("generic", replica, ("-a", "url=https://dailynews.example/", "-a", "languages=en")),
        "url-known": ("generic", replica, ("-a", "url=https://dailynews.example/local/")),
        "since-feed": ("dn_feed", replica, ("-a", f"since={SINCE}")),
        "since-sitemap": ("dn_sitemap", replica, ("-a", f"since={SINCE}")),
        "since-news": ("menafn_news", private_replica, ("-a", f"since={MENAFN_SINCE}")),
        "no-site": ("generic", replica, ()),
        "bad-since": ("dailynews", replica, ("-a", "since=last week")),
    }
    try:
        with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
            started = {
                key: pool.submit(run_scrapy_crawl, spider, base, tmp_path_factory.mktemp(key), *extra)
                for key, (spider, base, extra) in jobs.items()
            }
            return {key: future.result() for key, future in started.items()}
    finally:
        del os.environ[PROFILES_ENV]


# --- crawling by profile -----------------------------------------------------------------------------
@pytest.mark.parametrize("key", ["profile", "generic-profile"])
def test_profile_crawl_is_exact(runs: dict[str, CrawlRun], key: str) -> None:
    run = runs[key]
    assert run.returncode == 0, run.log[-3000:]
    assert_articles_exact(run, DAILY_ARTICLES)
    assert_nothing_else(run, DAILY_ARTICLES)
    for article in run.articles:
        assert article["outlet"] == "dailynews"
        assert article["extractor"] == "outlet:dailynews/v1"
        assert not any(junk in article["text"] for junk in JUNK)


def test_profile_dates_each_way_a_site_gives_them(runs: dict[str, CrawlRun]) -> None:
    """JSON-LD, a meta tag, or only "June 3, 2025 4:05 PM" read with the profile's format and zone."""
    notes = {p.real_url: p.notes for p in DAILY_ARTICLES}
    assert {n.split()[-1] for n in notes.values()} == {"json-ld.", "meta.", "visible."}
    found = {a["source_url"]: a["published"] for a in runs["profile"].articles}
    assert found == {p.real_url: p.published for p in DAILY_ARTICLES}


def test_extract_finds_the_profile_by_host(runs: dict[str, CrawlRun]) -> None:
    assert outlet_for_url("https://dailynews.example/2025/06/12/x/").name == "dailynews"
    assert_extract_reproduces(runs["profile"])


# --- crawling by URL alone ---------------------------------------------------------------------------
def test_url_crawl_finds_exactly_the_articles(runs: dict[str, CrawlRun], replica: str) -> None:
    run = runs["url"]
    assert run.returncode == 0, run.log[-3000:]
    assert_nothing_else(run, DAILY_ARTICLES)
    by_url = {a["source_url"]: a for a in run.articles}
    for page in DAILY_ARTICLES:
        article = by_url[page.real_url]
        assert article["outlet"] == "generic"
        assert article["title"] == page.title
        assert article["language"] == "en"
        paragraphs = article["text"].split("\n\n")
        assert all(p in paragraphs for p in page.paragraphs), page.real_url
        assert not any(junk in article["text"] for junk in JUNK)
    # The home page's feed link was followed (autodiscovery), and /sitemap.xml was tried.
    archived = archived_urls(run)
    assert to_replica("https://dailynews.example/rss.xml", replica) in archived
    assert to_replica("https://dailynews.example/sitemap.xml", replica) in archived


def test_url_crawl_text_is_reproduced_by_extract(runs: dict[str, CrawlRun]) -> None:
    run = runs["url"]
    again = {r["url"]: r for r in extract_records(run) if r["verdict"] == "article"}
    for article in run.articles:
        assert again[article["url"]]["text"] == article["text"]
        assert again[article["url"]]["title"] == article["title"]


def test_a_url_of_a_known_outlet_uses_that_outlet(runs: dict[str, CrawlRun]) -> None:
    run = runs["url-known"]
    assert run.returncode == 0, run.log[-3000:]
    assert {a["outlet"] for a in run.articles} == {"dailynews"}
    assert_articles_exact(run, DAILY_ARTICLES)


def test_generic_needs_a_site(runs: dict[str, CrawlRun]) -> None:
    run = runs["no-site"]
    assert run.returncode != 0
    assert "the generic spider needs a site" in run.log and "-a url=" in run.log


# --- the since bound ---------------------------------------------------------------------------------
@pytest.mark.parametrize("key", ["since-feed", "since-sitemap"])
def test_since_skips_older_feed_and_sitemap_entries(runs: dict[str, CrawlRun], replica: str, key: str) -> None:
    run = runs[key]
    assert run.returncode == 0, run.log[-3000:]
    since = date.fromisoformat(SINCE)
    newer = {p.real_url for p in DAILY_ARTICLES if date.fromisoformat(p.published[:10]) >= since}
    older = {p.real_url for p in DAILY_ARTICLES} - newer
    assert newer and older
    archived = archived_urls(run)
    assert {a["source_url"] for a in run.articles} == newer
    for url in older:
        assert to_replica(url, replica) not in archived, f"{url} is older than since and was fetched"


def test_since_reads_news_sitemaps_and_skips_stale_sub_sitemaps(runs: dict[str, CrawlRun], private_replica: str) -> None:
    run = runs["since-news"]
    assert run.returncode == 0, run.log[-3000:]
    since = date.fromisoformat(MENAFN_SINCE)
    archived = archived_urls(run)
    dated = [p for p in MENAFN if p.published and p.kind == "article" and p.listed]
    newer = [p for p in dated if date.fromisoformat(p.published[:10]) >= since]
    older = [p for p in dated if date.fromisoformat(p.published[:10]) < since]
    assert newer and older
    for page in newer:
        assert to_replica(page.real_url, private_replica) in archived, page.real_url
    for page in older:
        assert to_replica(page.real_url, private_replica) not in archived, page.real_url
    # The Arabic news sitemap was last changed before `since`: not even fetched.
    assert to_replica("https://menafn.com/sitemaps/news_ar.xml", private_replica) not in archived


def test_since_must_be_a_date(runs: dict[str, CrawlRun]) -> None:
    run = runs["bad-since"]
    assert run.returncode != 0
    assert "since='last week' is not a date" in run.log


def test_since_helpers() -> None:
    assert parse_since("") is None and parse_since(None) is None
    assert parse_since("2025-06-01") == date(2025, 6, 1)
    with pytest.raises(SinceError):
        parse_since("01.06.2025")
    assert source_day("Wed, 25 Jun 2025 23:30:00 +0400") == date(2025, 6, 25)
    assert source_day("2025-06-25T23:30:00-04:00") == date(2025, 6, 25)
    assert source_day("not a date") is None
    since = date(2025, 6, 1)
    assert before(since, "2025-05-31")
    assert not before(since, "2025-06-01T00:10:00+04:00")
    assert not before(since, None, "")  # no date: requested
    assert not before(None, "1999-01-01")  # no bound
    assert before(since, "garbage", "2025-01-01"), "the first readable date counts"
    body = (
        b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        b'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"><url><loc>https://a.example/1</loc>'
        b"<news:news><news:publication_date>2025-05-02</news:publication_date></news:news></url></urlset>"
    )
    assert news_publication_dates(body) == {"https://a.example/1": "2025-05-02"}
    assert news_publication_dates(b"<urlset><url><loc>x</loc></url></urlset>") == {}


# --- profiles ----------------------------------------------------------------------------------------
def test_profiles_become_outlet_spiders_for_list_demo_and_extract() -> None:
    names = [cls.name for cls in outlet_spiders()]
    assert {"caliber", "haberportali", "dailynews"} <= set(names)
    assert "generic" not in names, "the demo crawls profiles, never the bare generic spider"
    listed = subprocess.run([str(BIN / "scrapy"), "list"], cwd=ROOT, capture_output=True, text=True, check=True)
    assert {"caliber", "haberportali", "generic", "dailynews"} <= set(listed.stdout.split())


def test_bundled_profiles_load_cleanly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(PROFILES_ENV, raising=False)
    errors: dict[str, str] = {}
    profiles = load_profiles(errors)
    assert errors == {}
    assert profiles["dailynews"].selectors is not None


BASE = {"domain": "example.org", "home": "https://example.org/"}


@pytest.mark.parametrize(
    ("name", "raw", "message"),
    [
        ("ok_name", {"home": "https://example.org/"}, "domain is required"),
        ("ok_name", {"domain": "example.org"}, "at least one of home, sections, feeds, sitemaps"),
        ("ok_name", {**BASE, "feed": ["https://example.org/rss"]}, "unknown key(s) ['feed']"),
        ("ok_name", {**BASE, "article_urls": "^/news/(\\d+"}, "article_urls is not a valid regular expression"),
        ("ok_name", {**BASE, "sitemaps": ["https://other.org/sitemap.xml"]}, "must be an http(s) URL on example.org"),
        ("ok_name", {**BASE, "timezone": "Europe/Atlantis"}, "not an IANA time zone"),
        ("ok_name", {**BASE, "languages": ["english"]}, "ISO 639-1"),
        ("ok_name", {**BASE, "selectors": {"body": "div..story"}}, "selectors.body is not a valid CSS selector"),
        ("ok_name", {**BASE, "selectors": {"text": ".story"}}, "unknown selectors key(s) ['text']"),
        ("generic", BASE, "not 'generic'"),
        ("Bad Name", BASE, "lowercase letters"),
    ],
)
def test_profile_errors_name_the_problem(name: str, raw: dict, message: str) -> None:
    with pytest.raises(ProfileError) as caught:
        parse_profile(name, raw, "mine.toml")
    assert message in str(caught.value)
    assert str(caught.value).startswith(f"mine.toml [{name}]")


def test_a_broken_profile_file_skips_only_what_is_broken(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    good = tmp_path / "good.toml"
    good.write_text('[good_one]\ndomain = "good.example"\nhome = "https://good.example/"\n[bad_one]\nhome = "x"\n')
    broken = tmp_path / "broken.toml"
    broken.write_text("[oops\n")
    monkeypatch.setenv(PROFILES_ENV, os.pathsep.join([str(good), str(broken), str(tmp_path / "missing.toml")]))
    errors: dict[str, str] = {}
    profiles = load_profiles(errors)
    assert "good_one" in profiles and "dailynews" in profiles
    assert "bad_one" not in profiles and "domain is required" in errors["bad_one"]
    assert "not valid TOML" in errors[str(broken)]
    assert "cannot read" in errors[str(tmp_path / "missing.toml")]
    with pytest.raises(ProfileError):
        load_profiles()


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("https://example.org/", "listing"),
        ("https://example.org/world/", "listing"),
        ("https://example.org/en/business/", "listing"),
        ("https://example.org/2025/06/12/harbour-ferry-service-resumes/", "article"),
        ("https://example.org/news/1234567", "article"),
        ("https://example.org/politics/minister-resigns-over-budget.html", "article"),
        ("https://example.org/tag/harbour-ferry-service/", None),
        ("https://example.org/about/", None),
        ("https://example.org/images/harbour-ferry-at-dawn.jpg", None),
        ("https://example.org/a/b/c/", None),
    ],
)
def test_url_shapes_of_sites_without_patterns(url: str, kind: str | None) -> None:
    assert guess_url_kind(url) == kind


@pytest.mark.parametrize(
    ("text", "zone", "expected"),
    [
        ("25 Июня 2025 17:24", "Asia/Baku", "2025-06-25T17:24:00+04:00"),
        ("25.06.2025 17:24", "Asia/Baku", "2025-06-25T17:24:00+04:00"),
        ("05.04.2025 14:30", "Europe/Istanbul", "2025-04-05T14:30:00+03:00"),  # 5 April, never 4 May
        ("5 Nisan 2025, 14:30", "Europe/Istanbul", "2025-04-05T14:30:00+03:00"),
        ("Yayınlanma: 05.04.2025", "Europe/Istanbul", "2025-04-05"),  # no time: the date only
        ("June 3, 2025 4:05 PM", "America/New_York", "2025-06-03T16:05:00-04:00"),
        ("December 1, 2025 12:05 AM", "America/New_York", "2025-12-01T00:05:00-05:00"),
        ("15 iyun 2025 10:10", "Asia/Baku", "2025-06-15T10:10:00+04:00"),
        ("31.02.2025", "UTC", None),
        ("Просмотров: 179", "UTC", None),
    ],
)
def test_local_dates(text: str, zone: str, expected: str | None) -> None:
    assert parse_local_date(text, zone) == expected


def test_the_readme_profile_example_is_a_valid_profile() -> None:
    """The README documents adding an outlet by profile: its example must load as written."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("```toml\n", 1)[1].split("```", 1)[0]
    (name, raw), = tomllib.loads(block).items()
    profile = parse_profile(name, raw, "README.md")
    assert profile.selectors is not None and profile.article_urls is not None
    assert profile.article_urls.search("/2025/06/harbour-ferry-resumes/")


# --- language ----------------------------------------------------------------------------------------
TURKIC = [p for p in CATALOGUE if p.kind == "article" and p.language in ("tr", "az")]


@pytest.mark.parametrize("page", TURKIC, ids=lambda p: f"{p.outlet}{p.path}")
def test_turkish_and_azerbaijani_are_told_apart(page: ReplicaPage) -> None:
    """Whole articles and each paragraph, restricted to the pair as an outlet writing both would be."""
    assert {p.language for p in TURKIC} == {"tr", "az"}
    assert detect_language("\n\n".join(page.paragraphs), ("az", "tr")) == page.language
    paragraphs = [p for p in page.paragraphs if len(p) >= 40]
    right = sum(detect_language(p, ("az", "tr")) == page.language for p in paragraphs)
    assert right >= 0.9 * len(paragraphs), f"{right}/{len(paragraphs)} paragraphs"


def test_the_script_settles_the_language_before_the_model() -> None:
    assert detect_language("Центральный банк сохранил учетную ставку на прежнем уровне.", ("az", "en", "ru")) == "ru"
    assert detect_language("وقال المسؤولون إن المشروع سيكتمل العام المقبل في موعده.", ("en", "ar")) == "ar"
    # Among languages sharing a script the model decides.
    assert detect_language("Parkın ərazisində velosiped yolları və uşaq meydançaları yaradılıb.", ("az", "en", "ru")) == "az"


@needs_shared_data
def test_fundus_turkish_pages_are_turkish_not_azerbaijani() -> None:
    for expected in sorted(FUNDUS_TR.glob("*.json")):
        for version, values in json.loads(expected.read_text(encoding="utf-8")).items():
            body = values["body"]
            paragraphs = body["summary"] + [p for s in body["sections"] for p in s["headline"] + s["paragraphs"]]
            assert detect_language("\n\n".join(paragraphs), ("az", "tr")) == "tr", (expected.name, version)


def test_profiles_that_clash_or_break_are_skipped_loudly(tmp_path: Path) -> None:
    """A profile may not take a spider module's name, and a broken one must not stop the others."""
    mine = tmp_path / "mine.toml"
    mine.write_text('[menafn]\ndomain = "menafn.com"\nhome = "https://menafn.com/"\n[broken]\nhome = "x"\n')
    env = dict(os.environ, **{PROFILES_ENV: str(mine)})
    listed = subprocess.run([str(BIN / "scrapy"), "list"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert listed.returncode == 0, listed.stderr
    names = listed.stdout.split()
    assert names.count("menafn") == 1 and "broken" not in names and "dailynews" in names
    assert "spiders/menafn.py already defines the 'menafn' outlet" in listed.stderr
    assert "[broken]: domain is required" in listed.stderr
