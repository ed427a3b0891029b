"""The per-host probe and the template memory (crawler.probe), from probe URLs to real crawls of the replica.

The crawl tests run ``scrapy crawl tidewater`` against the replica over loopback: The Tidewater Post answers
unknown story ids with status 200 and a friendly page no phrase list knows, padded with story openings, so
that only the probe tells its removed story from an article.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from archive.reader import iter_records, iter_responses
from crawler.page import PageResult, analyse_page
from crawler.probe import (
    PROBE_SLUG,
    TEMPLATE_MIN_PAGES,
    ArchivedExchange,
    SiteEvidence,
    TemplateMemory,
    default_probe_url,
    replay_evidence,
)
from crawler.replica.catalogue import pages_for
from crawler.replica.model import ReplicaState, Request
from crawler.replica.sites import tidewater
from crawler.urls import to_replica
from crawler.verdicts import PageFingerprint, fingerprint, judge, probe_similarity, simhash
from spiders.menafn import MenafnSpider
from spiders.tidewater import TidewaterSpider

from .conftest import BIN, ROOT, CrawlRun, run_scrapy_crawl

TIDEWATER = pages_for(tidewater.DOMAIN)
ARTICLES = [p for p in TIDEWATER if p.expected_verdict == "article"]
REMOVED = f"https://{tidewater.DOMAIN}{tidewater.REMOVED}"
PROBE = f"https://{tidewater.DOMAIN}/story/49999/{PROBE_SLUG}"


# --- probe URLs --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("article", "probe"),
    [
        # MENAFN routes by the ten-digit id; an id past 32 bits would make ASP.NET fail differently.
        (
            "https://menafn.com/1109512301/Regional-Ministers-Agree-on-Cross-Border-Water-Sharing-Framework",
            "https://menafn.com/1999999999/newsarchive-probe",
        ),
        (
            "https://menafn.com/arabic/1109600124/%D8%A3%D9%85%D8%B7%D8%A7%D8%B1-%D8%BA%D8%B2%D9%8A%D8%B1%D8%A9",
            "https://menafn.com/arabic/1999999999/newsarchive-probe",
        ),
        # The id inside the slug, as Turkish portals print it.
        (
            "https://www.example.com.tr/gundem/yeni-metro-hatti-acildi-42578123",
            "https://www.example.com.tr/gundem/newsarchive-probe-49999999",
        ),
        # Dates in the path are left alone: only the id changes.
        (
            "https://news.example.com/world/2025/05/13/port-cargo-volumes-rise-12345",
            "https://news.example.com/world/2025/05/13/newsarchive-probe-19999",
        ),
        (
            "https://valleygazette.example/story.php?id=20931",
            "https://valleygazette.example/story.php?id=29999",
        ),
        ("https://news.example.com/news/42578123", "https://news.example.com/news/49999999"),
        # No id: the slug is what the site routes by.
        (
            "https://caliber.az/en/post/azerbaijan-and-georgia-agree",
            "https://caliber.az/en/post/newsarchive-probe",
        ),
        (
            "https://haberportali.com.tr/yazarkasa-kampanyasi-sona-erdi/",
            "https://haberportali.com.tr/newsarchive-probe/",
        ),
        ("https://tidewaterpost.example/story/41208/ferry-operator-orders-two-electric-vessels", PROBE),
    ],
)
def test_default_probe_url_changes_the_id_and_the_slug(article: str, probe: str) -> None:
    assert default_probe_url(article) == probe
    assert default_probe_url(article) == default_probe_url(article), "deterministic: replays find it again"


def test_probe_url_edge_cases() -> None:
    assert default_probe_url("https://example.com/") is None
    # An id that is already the leading digit and nines gets eights instead: never the article's own id.
    assert (
        default_probe_url("https://example.com/news/9999/x-y")
        == "https://example.com/news/9888/newsarchive-probe"
    )
    assert TidewaterSpider.probe_url(ARTICLES[0].real_url) == PROBE
    assert MenafnSpider.owns(MenafnSpider.probe_url("https://menafn.com/1109512318/Central-Bank") or "")


# --- fingerprints and matching -----------------------------------------------------------------------------


def _served(path: str) -> bytes:
    """The bytes the replica serves for a Tidewater path (its route, without HTTP)."""
    request = Request("GET", path, "", "http://127.0.0.1:1", ReplicaState())
    return tidewater.SITE.handler_for(path, "")(request).body


def _analysed(path: str, **kwargs: object) -> PageResult:
    url = f"https://{tidewater.DOMAIN}{path}"
    return analyse_page(
        url, 200, _served(path), content_type="text/html; charset=utf-8", outlet=TidewaterSpider, **kwargs
    )


def test_simhash_is_stable_and_near_for_near_texts() -> None:
    text = " ".join(p for page in ARTICLES for p in page.paragraphs)
    assert simhash(text) == simhash(text.upper()) != 0
    assert simhash("") == 0
    edited = text.replace("ferry", "boat", 1)
    assert (simhash(text) ^ simhash(edited)).bit_count() <= 6
    other = " ".join(ARTICLES[1].paragraphs)
    assert (simhash(" ".join(ARTICLES[0].paragraphs)) ^ simhash(other)).bit_count() >= 16


def test_the_removed_story_matches_the_probe_and_articles_do_not() -> None:
    probe = fingerprint(_analysed("/story/49999/newsarchive-probe").signals)  # type: ignore[arg-type]
    removed = _analysed(tidewater.REMOVED)
    assert removed.verdict == "article", "alone, the friendly page passes for an article"
    assert probe_similarity(fingerprint(removed.signals), probe) == 1.0  # type: ignore[arg-type]
    with_probe = _analysed(tidewater.REMOVED, probe=probe)
    assert with_probe.verdict == "soft404" and with_probe.verdict_reasons == ["probe-match:1.00"]
    for page in ARTICLES:
        result = _analysed(page.path, probe=probe)
        assert probe_similarity(fingerprint(result.signals), probe) is None, page.path  # type: ignore[arg-type]
        assert result.verdict == "article", page.path
    home = _analysed("/", probe=probe)
    assert home.verdict == "listing"


def test_a_rotated_teaser_or_an_echoed_slug_still_matches() -> None:
    removed = _analysed(tidewater.REMOVED).signals
    assert removed is not None
    probe = fingerprint(removed)
    paragraphs = removed.main_text.split("\n\n")
    rotated = replace(removed, main_text="\n\n".join([*paragraphs[:-1], ARTICLES[0].paragraphs[1]]))
    assert (probe_similarity(fingerprint(rotated), probe) or 0) >= 0.75
    echoed = replace(removed, title=removed.title + " (harbour-ferry-timetable-changes)")
    assert probe_similarity(fingerprint(echoed), probe) is not None


def test_status_and_redirect_landing_rules() -> None:
    base = PageFingerprint(200, "https://x.example/", True, "x", 1, 10, 1, 10)
    assert probe_similarity(replace(base, status=404), base) is None
    # Both redirected to one landing page: the site's way of saying "not here".
    assert probe_similarity(replace(base, text=999, main=999), base) == 1.0
    # The landing page itself, asked directly, is the home page, not a soft 404.
    assert probe_similarity(replace(base, redirected=False, text=999, main=999), base) is None
    # Nothing extracted on either side: the whole visible text decides, strictly.
    empty = PageFingerprint(200, "https://x.example/a", False, "x", simhash("a b c d e f"), 6, 0, 0)
    assert probe_similarity(empty, replace(empty, url="https://x.example/b")) == 1.0
    assert probe_similarity(replace(empty, text=simhash("other words on another page")), empty) is None


def test_judge_takes_the_failure_kind_from_the_page_when_the_probe_matches() -> None:
    """When the site is down, the probe gets the same maintenance page as every URL: still an error."""
    result = analyse_page(
        "https://x.example/news/1234/a-story",
        200,
        b"<html><head><title>Down for maintenance</title></head><body><h1>Down for maintenance</h1>"
        b"<p>We'll be back soon.</p></body></html>",
        content_type="text/html",
    )
    assert result.signals is not None
    again = judge(replace(result.signals, probe=fingerprint(result.signals)))
    assert again.name == "error" and "probe-match:1.00" in again.reasons


# --- template memory ------------------------------------------------------------------------------------------

LEAK = "<div class=\"tpl\"><h1>403</h1><h2>Sorry!!</h2><p>Error! We're sorry, but the page you were looking for doesn't exist.</p></div>"
CHROME = '<header><a href="/">Bay Times</a> <a href="/local">Local</a> <a href="/sport">Sport</a></header>'


def _bay_html(paragraphs: list[str], title: str) -> bytes:
    """A page of a site whose error template (LEAK) is hidden by an external stylesheet, i.e. not at all."""
    return (
        f'<html><head><title>{title} | Bay Times</title><link rel="stylesheet" href="/bay.css"></head>'
        f"<body>{CHROME}{LEAK}<main><h1>{title}</h1>{''.join(f'<p>{p}</p>' for p in paragraphs)}</main>"
        "<footer>Bay Times Online. Independent local journalism since 1998.</footer></body></html>"
    ).encode()


def _bay(index: int, paragraphs: list[str], title: str, **kwargs: object) -> PageResult:
    url = f"https://baytimes.example/local/story-number-{index}-{1000 + index}"
    return analyse_page(url, 200, _bay_html(paragraphs, title), content_type="text/html", **kwargs)


def _story(index: int) -> list[str]:
    return [
        f"Story {index} opens with a long paragraph about the harbour, the council and the people of the bay, "
        f"written so that it counts as a real paragraph of news prose for the judge, number {index}.",
        f"The second paragraph of story {index} adds quotes from residents, figures from the council's report "
        f"and the reaction of traders along the promenade, who had waited months for a decision {index}.",
        f"A third paragraph of story {index} explains what happens next, when the work starts, how long it will "
        f"take and who pays for it, as local papers do at the end of such reports {index}.",
    ]


def test_template_memory_learns_repeated_blocks_only() -> None:
    memory = TemplateMemory()
    for index in range(1, TEMPLATE_MIN_PAGES):
        assert memory.learn(_bay(index, _story(index), f"Headline number {index} for the bay"))
        assert memory.blocks() == frozenset(), "no template before enough pages"
    memory.learn(_bay(TEMPLATE_MIN_PAGES, _story(TEMPLATE_MIN_PAGES), "Another headline for the bay"))
    blocks = memory.blocks()
    assert (
        "403" in blocks
        and "sorry" in blocks
        and "error we re sorry but the page you were looking for doesn t exist" in blocks
    )
    assert not any("story 1 opens" in b for b in blocks), "article paragraphs are never template"


def test_template_memory_counts_a_document_once_and_ignores_thin_pages() -> None:
    memory = TemplateMemory()
    for _ in range(2 * TEMPLATE_MIN_PAGES):
        memory.learn(_bay(1, _story(1), "The same story under many addresses"))
    assert memory.pages == 1 and memory.blocks() == frozenset()
    maintenance = analyse_page(
        "https://baytimes.example/local/x-y-z-1",
        200,
        b"<html><head><title>Down for maintenance</title></head><body><h1>Down for maintenance</h1></body></html>",
        content_type="text/html",
    )
    assert not memory.learn(maintenance)


def test_templates_change_the_verdict_never_the_text() -> None:
    """A brief behind a leaked template: a soft 404 alone, an article once the site's template is known."""
    evidence = SiteEvidence()
    for index in range(1, TEMPLATE_MIN_PAGES + 1):
        result = evidence.analyse(
            f"https://baytimes.example/local/story-number-{index}-{1000 + index}",
            200,
            _bay_html(_story(index), f"Headline number {index} for the bay"),
            content_type="text/html",
        )
        assert result.verdict == "article", "title and h1 agree: the leaked 403 heading does not sink them"
    brief = [
        "The library will stay open until eight on Tuesdays and Thursdays from next week, staff said today.",
        "It will also open on Sunday afternoons during the school holidays.",
    ]
    alone = _bay(99, brief, "Library extends opening hours")
    assert alone.verdict == "soft404"
    templates = evidence.host("https://baytimes.example/").templates.blocks()
    known = _bay(99, brief, "Library extends opening hours", templates=templates)
    assert known.verdict == "article" and "template-stripped" in known.verdict_reasons
    assert known.paragraphs == brief, "the text written out is the page's, templates or not"


# --- replaying an archive ------------------------------------------------------------------------------------


def test_replay_finds_the_probe_and_its_landing() -> None:
    def outlet_for(url: str) -> type[TidewaterSpider] | None:
        return TidewaterSpider if TidewaterSpider.owns(url) else None

    article = ARTICLES[0].real_url
    landing = f"https://{tidewater.DOMAIN}/not-here"
    exchanges = [
        ArchivedExchange(f"https://{tidewater.DOMAIN}/", 200),
        ArchivedExchange(PROBE, 302, "/not-here"),
        ArchivedExchange(landing, 200),
        ArchivedExchange(article, 200),
    ]
    host = replay_evidence(exchanges, outlet_for).host(PROBE)
    assert (host.probe_url, host.probe_landing, host.probe_chain) == (PROBE, landing, [PROBE])
    # A crawl that never probed (NEWSARCHIVE_PROBE=False) has nothing to replay.
    assert replay_evidence(exchanges[:1] + exchanges[3:], outlet_for).host(PROBE).probe_url is None


# --- real crawls of the replica ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tidewater_crawl(replica: str, tmp_path_factory: pytest.TempPathFactory) -> CrawlRun:
    run = run_scrapy_crawl("tidewater", replica, tmp_path_factory.mktemp("tidewater"))
    assert run.returncode == 0, run.log[-5000:]
    return run


def _verdicts(run: CrawlRun) -> dict[str, dict]:
    return {r["url"]: r for r in run.report("tidewater")["rejected"]}


def test_probe_catches_the_removed_story_and_keeps_every_article(
    tidewater_crawl: CrawlRun, replica: str
) -> None:
    found = {a["source_url"]: a for a in tidewater_crawl.articles}
    assert set(found) == {p.real_url for p in ARTICLES}
    for page in ARTICLES:
        article = found[page.real_url]
        assert article["text"].split("\n\n") == list(page.paragraphs)
        assert article["title"] == page.title and article["authors"] == list(page.authors)
        assert article["published"] == page.published
    rejected = _verdicts(tidewater_crawl)
    removed = rejected[to_replica(REMOVED, replica)]
    assert removed["verdict"] == "soft404" and removed["reasons"][0].startswith("probe-match:")


def test_probe_is_archived_once_after_robots_txt(tidewater_crawl: CrawlRun, replica: str) -> None:
    records = [r for f in tidewater_crawl.warc_files for _, r in iter_records(f)]
    requests = [r.rec_headers.get_header("WARC-Target-URI") for r in records if r.rec_type == "request"]
    probe = to_replica(PROBE, replica)
    assert requests.count(probe) == 1, "one probe per host and crawl"
    assert requests.index(f"{replica}/robots.txt") < requests.index(probe)
    first_article = min(requests.index(p.real_url.replace("https://", f"{replica}/")) for p in ARTICLES)
    assert requests.index(probe) < first_article, "articles wait for the probe"
    request = next(
        r for r in records if r.rec_type == "request" and r.rec_headers.get_header("WARC-Target-URI") == probe
    )
    assert request.http_headers.get_header("User-Agent").startswith("newsarchive/")
    answer = _verdicts(tidewater_crawl)[probe]
    assert answer["status"] == 200 and answer["verdict"] == "soft404"


def test_without_the_probe_the_removed_story_passes_for_an_article(replica: str, tmp_path: Path) -> None:
    run = run_scrapy_crawl("tidewater", replica, tmp_path, "-s", "NEWSARCHIVE_PROBE=False")
    assert run.returncode == 0, run.log[-3000:]
    assert REMOVED in {a["source_url"] for a in run.articles}
    archived = {r.url for f in run.warc_files for r in iter_responses(f)}
    assert not any(PROBE_SLUG in url for url in archived)


def test_extract_replays_the_probe_from_the_archive(tidewater_crawl: CrawlRun) -> None:
    proc = subprocess.run(
        [str(BIN / "newsarchive"), "extract", *map(str, tidewater_crawl.warc_files)],
        capture_output=True,
        text=True,
        check=True,
    )
    extracted = {r["url"]: r for r in map(json.loads, proc.stdout.splitlines())}
    for url, rejected in _verdicts(tidewater_crawl).items():
        assert extracted[url]["verdict"] == rejected["verdict"], url
        assert extracted[url]["verdict_reasons"] == rejected["reasons"], url
    assert {u for u, r in extracted.items() if r["verdict"] == "article"} == {
        a["url"] for a in tidewater_crawl.articles
    }


def test_menafn_probe_gets_the_404_template(menafn_crawl: CrawlRun) -> None:
    """MENAFN answers unknown ids with its 404 template: the probe is archived and changes nothing else."""
    probe = to_replica("https://menafn.com/1999999999/newsarchive-probe", menafn_crawl.replica)
    rejected = {r["url"]: r for r in menafn_crawl.report("menafn")["rejected"]}
    assert rejected[probe]["status"] == 404 and rejected[probe]["verdict"] == "soft404"
    assert not any(r["reasons"][0].startswith("probe-match") for r in rejected.values() if r["reasons"])


SPIDER_WITH_DISALLOWED_PROBE = '''
from spiders.tidewater import TidewaterSpider


class DisallowedProbe(TidewaterSpider):
    """Tidewater with a probe URL that robots.txt disallows (Disallow: /search)."""

    name = "tidewater-robots"

    @classmethod
    def probe_url(cls, article_url):
        return "https://tidewaterpost.example/search/newsarchive-probe"
'''


def test_a_probe_robots_txt_disallows_is_never_sent(replica: str, tmp_path: Path) -> None:
    """Probes are ordinary requests: robots.txt applies, and the articles waiting for it still go."""
    (tmp_path / "probe_robots_spider.py").write_text(SPIDER_WITH_DISALLOWED_PROBE, encoding="utf-8")
    env_path = f"{tmp_path}:{ROOT}"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "scrapy",
            "crawl",
            "tidewater-robots",
            "-s",
            "SPIDER_MODULES=probe_robots_spider",
            "-s",
            f"NEWSARCHIVE_OUTPUT={tmp_path / 'out'}",
            "-s",
            f"REPLICA={replica}",
            "-s",
            "LOG_LEVEL=INFO",
        ],
        cwd=ROOT,
        env={"PYTHONPATH": env_path, "PATH": str(BIN), "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    run = CrawlRun(tmp_path / "out", proc.returncode, proc.stdout + proc.stderr)
    archived = {r.url for f in run.warc_files for r in iter_responses(f)}
    assert not any("/search/" in url for url in archived)
    assert "Probe of tidewaterpost.example not sent" in run.log
    assert {p.real_url for p in ARTICLES} <= {a["source_url"] for a in run.articles}
