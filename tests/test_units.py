"""Unit tests of the small stages: URL mapping, file names, Retry-After, cleaning, text files."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from scrapy.settings import Settings

from crawler.cleaning import clean_paragraphs
from crawler.htmltools import block_texts, parse_html, strip_hidden
from crawler.middlewares import compose_user_agent, retry_after_seconds
from crawler.pipelines import render_text_file, safe_filename
from crawler.urls import from_replica, outlet_url, replica_base, to_replica


def test_replica_url_round_trip() -> None:
    real = "https://menafn.com/1109512345/NATO-Comments?x=1"
    replica = to_replica(real, "http://127.0.0.1:8765")
    assert replica == "http://127.0.0.1:8765/menafn.com/1109512345/NATO-Comments?x=1"
    assert from_replica(replica) == real
    assert outlet_url(real) == real
    assert to_replica(real, "") == real


def test_from_replica_rejects_non_replica_urls() -> None:
    assert from_replica("https://menafn.com/menafn.com/x") is None
    assert from_replica("http://127.0.0.1:8765/robots.txt") is None
    assert from_replica("http://localhost:1/caliber.az/en/post/x") == "https://caliber.az/en/post/x"


def test_replica_base_validates(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSARCHIVE_REPLICA", "http://127.0.0.1:9/")
    assert replica_base() == "http://127.0.0.1:9"
    assert replica_base("http://127.0.0.1:7") == "http://127.0.0.1:7"
    with pytest.raises(ValueError, match="must be a URL"):
        replica_base("127.0.0.1:9")


@pytest.mark.parametrize(
    "url",
    [
        "https://menafn.com/1109512345/NATO-Comments",
        "https://x.com/../../etc/passwd",
        "https://x.com/" + "ş" * 300,
        "https://x.com/a/b/c?d=../../e",
        "https://x.com/",
        "https://x.com/....",
        "https://x.com/con\x00nul<>:|?*",
    ],
)
def test_safe_filename_is_safe(url: str) -> None:
    name = safe_filename(url)
    assert "/" not in name and "\\" not in name and "\x00" not in name
    assert not name.startswith(".")
    assert len(name.encode("utf-8")) <= 100
    assert re.fullmatch(r"[\w.-]+-[0-9a-f]{12}\.txt", name)


def test_safe_filename_is_unique_for_similar_urls() -> None:
    names = {safe_filename(f"https://x.com/{'a' * 200}?page={i}") for i in range(50)}
    assert len(names) == 50
    assert safe_filename("https://x.com/A") != safe_filename("https://x.com/a")


def test_retry_after_parsing() -> None:
    assert retry_after_seconds(b"7") == 7.0
    now = datetime(2025, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert retry_after_seconds("Wed, 01 Jan 2025 12:00:30 GMT", now=now) == 30.0
    assert retry_after_seconds("Wed, 01 Jan 2025 11:00:00 GMT", now=now) == 0.0
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds(None) is None


def test_user_agent_names_operator() -> None:
    ua = compose_user_agent(Settings({"NEWSARCHIVE_OPERATOR": "archive@example.org"}))
    assert ua.startswith("newsarchive/") and "archive@example.org" in ua
    assert compose_user_agent(Settings({"USER_AGENT": "custom/1"})) == "custom/1"


def test_cleaning_removes_seed_junk_and_keeps_body_once() -> None:
    body = [
        "#Dünya",
        "date 2025-05-11",
        "First paragraph of the story, long enough to be a real paragraph.",
        "Second paragraph with a quote: “We never agreed,” he said.",
        "First paragraph of the story, long enough to be a real paragraph.",
        "Second paragraph with a quote: “We never agreed,” he said.",
        "NATO Secretary General Rutte: no promise",
        "By Tamilla Hasanova",
        "Leave a comment",
        "E-posta adresiniz yayınlanmayacak. Gerekli alanlar * ile işaretlenmişlerdir",
        "3/18/2025 4:12:33 AM",
    ]
    cleaned = clean_paragraphs(body, title="NATO Secretary General Rutte: No promise")
    assert cleaned.paragraphs == [
        "First paragraph of the story, long enough to be a real paragraph.",
        "Second paragraph with a quote: “We never agreed,” he said.",
    ]
    assert cleaned.authors == ["Tamilla Hasanova"]
    assert cleaned.removed["duplicate"] == 2


def test_cleaning_stop_pattern_drops_the_tail() -> None:
    cleaned = clean_paragraphs(
        ["Body one.", "Legal Disclaimer:", "MENAFN provides the information “as is”."],
        stop_at=[re.compile(r"legal disclaimer", re.IGNORECASE)],
    )
    assert cleaned.paragraphs == ["Body one."]


def test_strip_hidden_removes_what_readers_do_not_see() -> None:
    doc = parse_html(
        "<html><head><style>.tpl, #x { display : none }</style></head><body>"
        "<div class='tpl a'>403 Sorry!!</div><div id=x>gone</div><div hidden>h</div>"
        "<div aria-hidden=true>a</div><div style='color:red;display:none'>s</div>"
        "<h1>Title</h1><p>Visible <b>text</b></p><script>x()</script><!-- c --></body></html>"
    )
    assert strip_hidden(doc) == 5
    assert block_texts(doc.body) == ["Title", "Visible text"]


def test_text_file_layout() -> None:
    text = render_text_file(
        {"title": "T", "url": "http://r/menafn.com/1", "source_url": "https://menafn.com/1", "outlet": "menafn",
         "authors": ["A", "B"], "text": "P1\n\nP2", "warc": {"file": "f.warc.gz", "offset": 5, "record_id": "<u>"}}
    )
    head, body = text.split("\n\n", 1)
    assert head == "T"
    assert "URL: https://menafn.com/1" in body and "Authors: A, B" in body and "f.warc.gz offset 5" in body
    assert body.endswith("\n\nP1\n\nP2\n")
