"""End to end for issue 5: every charset case of the replica, served with its wrong label over real HTTP,
crawled by the real outlet spider (`scrapy crawl` in a subprocess), must come out as the outlet's true text,
and the archive, ``articles.jsonl``, ``newsarchive extract`` and the run report must all record how.

Everything expected is derived from the catalogue (``served_charset_label``, ``body_encoding``,
``text_mojibake`` and the true paragraphs) and from the archived bytes, never from the code under test.
"""

from __future__ import annotations

import codecs
import json
import re
import subprocess
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from archive.reader import iter_records, read_response_at
from crawler.outlets import outlet_for_url
from crawler.replica.catalogue import CATALOGUE, ReplicaPage

from .conftest import BIN, CrawlRun, run_scrapy_crawl

# --------------------------------------------------------------------------------------------
# The cases, from the catalogue
# --------------------------------------------------------------------------------------------

#: Labels HTML decodes with a Windows superset (the Encoding Standard): a page labelled ISO-8859-9
#: is read as windows-1254, so that is the codec a correct decision reports as used.
HTML_READING = {"ascii": "cp1252", "iso8859-1": "cp1252", "iso8859-9": "cp1254"}
_META_RE = re.compile(rb"""<meta[^>]*\bcharset=["']?([A-Za-z0-9_-]+)""", re.IGNORECASE)


def codec(label: str) -> str:
    return codecs.lookup(label).name


def html_codec(label: str) -> str:
    return HTML_READING.get(codec(label), codec(label))


def is_encoding_case(page: ReplicaPage) -> bool:
    """A page whose label lies, whose bytes are a legacy code page, or whose text the CMS garbled."""
    label = page.served_charset_label or "utf-8"
    return html_codec(label) != html_codec(page.body_encoding) or codec(page.body_encoding) != "utf-8" or (
        page.text_mojibake is not None
    )


ARTICLES = [p for p in CATALOGUE if p.kind == "article" and p.listed]
CASES = [p for p in ARTICLES if is_encoding_case(p)]
OUTLETS = sorted({p.outlet for p in CASES})
CLEAN = [p for p in ARTICLES if p.outlet in OUTLETS and not is_encoding_case(p)]


def spider_for(page: ReplicaPage) -> str:
    spider = outlet_for_url(page.real_url)
    assert spider is not None, f"no outlet spider for {page.outlet}: the case cannot be crawled"
    return spider.name


def expected_text_repair(page: ReplicaPage) -> str | None:
    """UTF-8 read as a code page is ftfy's to fix; one code page read as another is our remap's."""
    if page.text_mojibake is None:
        return None
    written, read = page.text_mojibake
    return "ftfy:mojibake" if codec(written) == "utf-8" else f"remap:{codec(read)}->{codec(written)}"


def meta_label(body: bytes) -> str | None:
    found = _META_RE.search(body[:4096])
    return codec(found.group(1).decode("ascii")) if found else None


def expected_decode_repair(page: ReplicaPage, body: bytes) -> str | None:
    """``label:`` when another declared label (or valid UTF-8) explains the bytes, else ``remap:``."""
    header = codec(page.served_charset_label or "utf-8")
    used = html_codec(page.body_encoding)
    if HTML_READING.get(header, header) == used:
        return None
    meta = meta_label(body)
    kind = "label" if used == "utf-8" or (meta and HTML_READING.get(meta, meta) == used) else "remap"
    return f"{kind}:{header}->{used}"


# --------------------------------------------------------------------------------------------
# Crawls: one real `scrapy crawl` per outlet, shared with other modules' fixtures when they exist
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def crawls(request: pytest.FixtureRequest, replica: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, CrawlRun]:
    """outlet domain -> finished crawl; missing crawls run side by side to keep the suite fast."""
    names = {outlet: spider_for(next(p for p in CASES if p.outlet == outlet)) for outlet in OUTLETS}
    runs: dict[str, CrawlRun] = {}
    for outlet, name in names.items():
        try:
            runs[outlet] = request.getfixturevalue(f"{name}_crawl")
        except pytest.FixtureLookupError:
            continue
    missing = [outlet for outlet in OUTLETS if outlet not in runs]
    with ThreadPoolExecutor(max_workers=len(missing) or 1) as pool:
        started = {
            outlet: pool.submit(run_scrapy_crawl, names[outlet], replica, tmp_path_factory.mktemp(names[outlet]))
            for outlet in missing
        }
        for outlet, future in started.items():
            runs[outlet] = future.result()
    for outlet, run in runs.items():
        assert run.returncode == 0, (outlet, run.log[-5000:])
    return runs


def article_of(crawls: dict[str, CrawlRun], page: ReplicaPage) -> dict[str, Any]:
    found = [a for a in crawls[page.outlet].articles if a["source_url"] == page.real_url]
    assert len(found) == 1, f"{page.real_url}: {len(found)} article records"
    return found[0]


def archived_body(run: CrawlRun, article: dict[str, Any]) -> bytes:
    pointer = article["warc"]
    return read_response_at(run.output / "warc" / pointer["file"], pointer["offset"]).body


def metadata_records(run: CrawlRun) -> dict[str, dict[str, Any]]:
    """WARC-Refers-To (the response's record id) -> the JSON of its metadata record."""
    found: dict[str, dict[str, Any]] = {}
    for path in run.warc_files:
        for _offset, record in iter_records(path):
            if record.rec_type == "metadata":
                refers = record.rec_headers.get_header("WARC-Refers-To")
                found[refers] = json.loads(record.content_stream().read())
    return found


# --------------------------------------------------------------------------------------------
# The catalogue holds every case of the issue
# --------------------------------------------------------------------------------------------


def test_every_case_of_the_issue_is_served() -> None:
    def served(label: str, body: str, language: str | None = None) -> list[ReplicaPage]:
        return [
            p for p in CASES
            if codec(p.served_charset_label or "utf-8") == codec(label) and codec(p.body_encoding) == codec(body)
            and (language is None or p.language == language)
        ]

    assert served("windows-1252", "windows-1254", "tr"), "Turkish cp1254 labelled windows-1252"
    assert served("iso-8859-1", "windows-1254", "tr"), "Turkish cp1254 labelled ISO-8859-1"
    assert served("iso-8859-9", "iso-8859-9", "tr"), "Turkish ISO-8859-9"
    assert served("windows-1252", "windows-1251", "ru"), "Russian cp1251 labelled windows-1252"
    assert served("windows-1252", "utf-8"), "UTF-8 labelled windows-1252"
    assert served("iso-8859-1", "utf-8", "az"), "Azerbaijani UTF-8 labelled ISO-8859-1"
    assert [p for p in CASES if p.language == "ar" and codec(p.body_encoding) == "cp1256" and is_encoding_case(p)]
    garbled = {(p.language, codec(p.text_mojibake[0]), codec(p.text_mojibake[1])) for p in CASES if p.text_mojibake}
    assert any(w == "utf-8" and r == "cp1252" for _, w, r in garbled), "UTF-8 text with UTF-8 mojibake"
    assert ("tr", "cp1254", "cp1252") in garbled, "UTF-8 text with cp1254-as-cp1252 mojibake"
    # The letters the issue names are really in the cases' true text.
    text_of = {lang: " ".join(" ".join((p.title, *p.paragraphs)) for p in CASES if p.language == lang)
               for lang in ("tr", "az", "ru", "ar")}
    assert set("ıİşğ") <= set(text_of["tr"])
    assert set("əƏ") <= set(text_of["az"])
    assert re.search(r"[а-яё]{4}", text_of["ru"]) and re.search(r"[\u0621-\u064a]{4}", text_of["ar"])
    # The garbled pages really show garbled text.
    for page in CASES:
        if page.text_mojibake:
            assert all(page.as_served(p) != p for p in page.paragraphs if not p.isascii())


# --------------------------------------------------------------------------------------------
# The crawl gives back the true text and records the decision
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("page", CASES, ids=lambda p: p.outlet + p.path)
def test_extracted_text_is_the_true_text(crawls: dict[str, CrawlRun], page: ReplicaPage) -> None:
    article = article_of(crawls, page)
    assert article["text"].split("\n\n") == list(page.paragraphs)
    assert article["title"] == page.title
    assert article["authors"] == list(page.authors)
    assert article["section"] == page.section
    assert "\ufffd" not in article["text"] + article["title"]


@pytest.mark.parametrize("page", CASES, ids=lambda p: p.outlet + p.path)
def test_encoding_decision_is_recorded(crawls: dict[str, CrawlRun], page: ReplicaPage) -> None:
    run = crawls[page.outlet]
    article = article_of(crawls, page)
    encoding = article["encoding"]
    body = archived_body(run, article)
    used = html_codec(page.body_encoding)
    assert set(encoding) == {
        "declared_header", "declared_meta", "detected", "used", "repairs", "undecodable_bytes", "undecodable_offsets"
    }
    assert encoding["declared_header"] == codec(page.served_charset_label or "utf-8")
    assert encoding["declared_meta"] == meta_label(body)
    assert encoding["used"] == used
    if used == "utf-8":
        assert encoding["detected"] is None  # valid UTF-8 decides before the detector runs
    expected = [r for r in (expected_decode_repair(page, body), expected_text_repair(page)) if r]
    assert encoding["repairs"] == expected
    assert (encoding["undecodable_bytes"], encoding["undecodable_offsets"]) == (0, [])
    # Lossless: the archived bytes are exactly the decoding with ``used``, nothing replaced.
    assert body.decode(used).encode(used) == body


def test_correct_pages_of_the_same_outlets_are_not_repaired(crawls: dict[str, CrawlRun]) -> None:
    assert CLEAN
    for page in CLEAN:
        encoding = article_of(crawls, page)["encoding"]
        assert encoding["repairs"] == [], page.real_url
        assert encoding["undecodable_bytes"] == 0, page.real_url


def test_warc_metadata_records_carry_each_pages_encoding(crawls: dict[str, CrawlRun]) -> None:
    for outlet, run in crawls.items():
        metadata = metadata_records(run)
        articles = [a for a in run.articles if a["source_url"].startswith(f"https://{outlet}/")]
        assert articles
        for article in articles:
            record = metadata[article["warc"]["record_id"]]
            assert record["encoding"] == article["encoding"], article["url"]
            assert record["verdict"] == "article"


def test_extract_reproduces_text_and_encoding_from_the_archive(crawls: dict[str, CrawlRun]) -> None:
    warcs = [str(path) for outlet in OUTLETS for path in crawls[outlet].warc_files]
    proc = subprocess.run(
        [str(BIN / "newsarchive"), "extract", *warcs], capture_output=True, text=True, check=True
    )
    records = {}
    for line in proc.stdout.splitlines():
        record = json.loads(line)
        records[record["warc"]["record_id"]] = record
    for page in CASES:
        article = article_of(crawls, page)
        again = records[article["warc"]["record_id"]]
        assert again["encoding"] == article["encoding"]
        assert again["text"] == article["text"] and again["title"] == article["title"]


def test_run_report_counts_repairs_per_outlet(crawls: dict[str, CrawlRun]) -> None:
    for outlet, run in crawls.items():
        spider = spider_for(next(p for p in CASES if p.outlet == outlet))
        report = run.report(spider)
        # Recount from the archive: one metadata record per judged page, whatever its verdict (feeds,
        # sitemaps, robots.txt and redirects get metadata records too, with no verdict and no encoding).
        judged = [m for m in metadata_records(run).values() if m.get("outlet") == spider and m.get("verdict")]
        assert len(judged) == sum(report["verdicts"].values())
        recount = Counter(repair for m in judged for repair in m["encoding"]["repairs"])
        assert report["encoding_repairs"].get(spider, {}) == dict(recount)
        for page in (p for p in CASES if p.outlet == outlet):
            for repair in article_of(crawls, page)["encoding"]["repairs"]:
                assert report["encoding_repairs"][spider][repair] >= 1
        repaired_urls = {r["url"] for r in report["encodings_repaired"]}
        assert {a["url"] for a in run.articles if a["encoding"]["repairs"]} <= repaired_urls
        assert report["undecodable"] == []


# --------------------------------------------------------------------------------------------
# Undecodable bytes are counted, with offsets, never silently replaced
# --------------------------------------------------------------------------------------------


def test_stray_bytes_are_counted_with_offsets_by_extract(crawls: dict[str, CrawlRun], tmp_path: Path) -> None:
    """A saved copy of the Azerbaijani page (UTF-8 labelled ISO-8859-1) with a stray 0xFF and a UTF-8
    sequence cut in half ("ə" is C9 99; a CMS that truncates by bytes leaves C9) in its head."""
    page = next(p for p in CASES if p.language == "az")
    body = archived_body(crawls[page.outlet], article_of(crawls, page))
    cut = body.index(b"</head>")
    damage = b"<!-- \xff \xc9 -->\n"
    damaged = body[:cut] + damage + body[cut:]
    saved = tmp_path / "page.html"
    saved.write_bytes(damaged)
    proc = subprocess.run(
        [str(BIN / "newsarchive"), "extract", str(saved), "--url", page.real_url],
        capture_output=True, text=True, check=True,
    )
    (record,) = [json.loads(line) for line in proc.stdout.splitlines()]
    encoding = record["encoding"]
    stray = [cut + damage.index(b"\xff"), cut + damage.index(b"\xc9")]
    assert damaged[stray[0]] == 0xFF and damaged[stray[1]] == 0xC9
    assert encoding["used"] == "utf-8"
    assert encoding["undecodable_bytes"] == 2
    assert encoding["undecodable_offsets"] == stray
    assert record["text"].split("\n\n") == list(page.paragraphs)
