"""The Hostile Herald (hostile.example): a fictional outlet whose server does everything a server should not.

Served only in the replica's hostile mode (``ReplicaServer(hostile=True)``, ``python -m crawler.replica
--hostile``) and crawled with the profile in ``crawler/replica/hostile.toml``
(``NEWSARCHIVE_PROFILES=crawler/replica/hostile.toml scrapy crawl hostile``): the demo and the outlet tests
never meet it, ``tests/test_robustness.py`` does. A crawler that archives for years meets all of this
sooner or later, and must come out of it with every good article and a trace of every bad page.

Next to six well-behaved stories (home, section, feed and sitemap link them), every other link on the home
page looks like an article and is a trap:

* **never finishes**: ``STALL`` sends its headers and 1 KB of a 40 KB body, then nothing; ``TRICKLE``
  sends a few bytes every half second, forever. Only the crawler's own timeout ends them.
* **drops the connection**: ``DROP`` declares 60,000 bytes, sends 20,000 and closes.
* **429 and 503 with Retry-After**: ``RATE_LIMITED`` answers 429 (Retry-After: 2) twice, then the story;
  ``UNAVAILABLE`` 503 (Retry-After: 1) once, then the story. ``ALWAYS_LIMITED`` answers 429 (Retry-After: 1)
  forever; ``COME_BACK_TOMORROW`` 503 with Retry-After: 86400.
* **a gzip bomb**: ``GZIP_BOMB`` is 4 MiB on the wire, ``Content-Encoding: gzip``, 4 GiB inflated.
* **200 MB pages**, generated while sent, never held in memory: ``HUGE`` declares its Content-Length,
  ``HUGE_CHUNKED`` is chunked with no length.
* **binary data as text/html**: ``BINARY``, 256 KiB of (seeded) random bytes labelled UTF-8 HTML.
* **malformed HTML and invalid bytes**: ``MALFORMED`` is a good story in broken markup (unclosed and
  stray tags, NUL bytes, invalid UTF-8 in the sidebar, 3,000 nested ``<div>``, an unterminated
  ``<script>``): its text must still come out whole.
* **redirect loops**: ``LOOP_A`` and ``LOOP_B`` redirect to each other; ``ENDLESS`` redirects to
  ``ENDLESS-1``, which redirects to ``-2``, and so on without end.
* **an infinite calendar**: ``/calendar/2026/11/23`` links the day before and after and its month, each
  month links its days and the months around it: new dates forever.
* **robots.txt disallows** ``/private/``, and the home page links two article-looking URLs into it.
"""

from __future__ import annotations

import functools
import gzip
import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import partial
from typing import Any

from crawler.replica.model import Handler, ReplicaPage, Reply, Request, Site, SiteBuilder, Stream
from crawler.replica.render import (
    FeedItem,
    attr,
    block,
    html_handler,
    html_reply,
    plain_reply,
    rss,
    text,
    urlset,
    xml_handler,
)

DOMAIN = "hostile.example"
PREFIX = f"/{DOMAIN}"
FEED = "/rss.xml"
SITEMAP = "/sitemap.xml"
NEWS = "/news/"
SERVER_HEADERS = (("Server", "nginx"),)
HTML = "text/html; charset=utf-8"

# --- the hostile pages (paths under the outlet) ----------------------------------------------------------
RATE_LIMITED = "/news/7101/council-budget-vote-delayed-again"
UNAVAILABLE = "/news/7102/night-trains-return-to-the-coast-line"
MALFORMED = "/news/7103/library-reopens-after-flood-repairs"
STALL = "/news/7201/the-story-that-never-finishes-loading"
TRICKLE = "/news/7202/the-story-that-arrives-one-byte-at-a-time"
DROP = "/news/7203/the-story-cut-off-in-the-middle"
ALWAYS_LIMITED = "/news/7204/the-story-behind-a-rate-limit-forever"
COME_BACK_TOMORROW = "/news/7205/the-story-that-says-come-back-tomorrow"
GZIP_BOMB = "/news/7206/the-story-that-inflates-to-four-gigabytes"
HUGE = "/news/7207/the-two-hundred-megabyte-story"
HUGE_CHUNKED = "/news/7208/the-two-hundred-megabyte-story-in-chunks"
BINARY = "/news/7209/the-story-that-is-really-a-binary-file"
LOOP_A = "/news/7210/redirect-loop-first-half"
LOOP_B = "/news/7211/redirect-loop-second-half"
ENDLESS = "/news/7212/the-redirect-that-never-lands"
PRIVATE = ("/private/7301/embargoed-budget-figures-leak", "/private/7302/draft-story-not-for-crawlers")
CALENDAR_START = date(2026, 11, 23)
CALENDAR = f"/calendar/{CALENDAR_START:%Y/%m/%d}"

ROBOTS = ("Disallow: /private/",)
RETRY_AFTER_RATE_LIMITED = 2  # seconds, answered to the first RATE_LIMITED_REFUSALS requests
RATE_LIMITED_REFUSALS = 2
RETRY_AFTER_UNAVAILABLE = 1
RETRY_AFTER_ALWAYS = 1
RETRY_AFTER_TOMORROW = 86400
STALL_DECLARED = 40_000
STALL_SENT = 1_000
DROP_DECLARED = 60_000
DROP_SENT = 20_000
#: How long a stalled or trickling page holds on when nobody hangs up: far beyond any sane timeout.
STALL_SECONDS = 300.0
HUGE_SIZE = 200 * 1024 * 1024
BOMB_MEMBER_INFLATED = 64 * 1024 * 1024
BOMB_MEMBERS = 64  # 64 x 64 MiB = 4 GiB inflated
BINARY_SIZE = 256 * 1024
ENDLESS_STEP = re.compile(r"^/news/7212/the-redirect-that-never-lands-(\d+)$")
CALENDAR_DAY = re.compile(r"^/calendar/(\d{4})/(\d{2})/(\d{2})$")
CALENDAR_MONTH = re.compile(r"^/calendar/(\d{4})/(\d{2})/$")


@dataclass(frozen=True)
class Story:
    path: str
    title: str
    published: str
    authors: tuple[str, ...]
    paragraphs: tuple[str, ...]


def _story(path: str, title: str, published: str, author: str, *paragraphs: str) -> Story:
    return Story(path, title, published, (author,), paragraphs)


#: The well-behaved stories: every one must end up in articles.jsonl with exactly this text.
STORIES: tuple[Story, ...] = (
    _story(
        "/news/7001/harbour-authority-approves-new-breakwater",
        "Harbour authority approves new breakwater",
        "2026-11-20T09:00:00+00:00",
        "Ada Quill",
        "The harbour authority has approved a new breakwater to protect the inner basin from winter storms, "
        "after two seasons in which moored boats were damaged by waves coming over the old wall.",
        "The structure will be built from granite blocks quarried inland and is expected to take eighteen "
        "months, with the harbour kept open to fishing boats throughout the work.",
        "Skippers welcomed the decision but asked that the construction barges keep clear of the channel "
        "during the early morning hours, when most of the fleet goes out.",
    ),
    _story(
        "/news/7002/school-choir-wins-regional-competition",
        "School choir wins regional competition",
        "2026-11-20T15:30:00+00:00",
        "Ben Okafor",
        "The choir of the town's secondary school won the regional competition on Saturday, beating eleven "
        "other schools with a programme of folk songs arranged by its music teacher.",
        "The forty singers had rehearsed twice a week since September and raised the money for the coach "
        "to the competition by singing carols outside the railway station last winter.",
        "They will represent the region at the national final in the spring, the first time a school from "
        "the town has reached it in more than twenty years.",
    ),
    _story(
        "/news/7003/market-square-to-go-car-free-on-saturdays",
        "Market square to go car-free on Saturdays",
        "2026-11-21T10:15:00+00:00",
        "Ada Quill",
        "Cars will be banned from the market square on Saturdays from the new year, the council decided, "
        "after a summer trial in which traders reported more customers and fewer complaints.",
        "Delivery vans will still be allowed in before nine in the morning, and blue badge holders will "
        "keep their parking spaces on the east side of the square.",
        "The council said it would review the scheme after six months and publish the footfall figures "
        "collected by the traders' association.",
    ),
    _story(
        RATE_LIMITED,
        "Council budget vote delayed again",
        "2026-11-21T18:00:00+00:00",
        "Ben Okafor",
        "The vote on next year's council budget has been postponed for a second time, after the finance "
        "committee asked for more time to study the cost of the new waste collection contract.",
        "Opposition councillors said the delay left community groups that depend on council grants unable "
        "to plan for the spring, and called for an emergency meeting before the end of the month.",
        "The council leader said a balanced budget would be presented in December and that no grant would "
        "be cut without a full public consultation.",
    ),
    _story(
        UNAVAILABLE,
        "Night trains return to the coast line",
        "2026-11-22T07:45:00+00:00",
        "Ada Quill",
        "Night trains will run on the coast line again from next month, five years after the service was "
        "withdrawn, the rail operator announced on Monday.",
        "Two trains a night will leave the city after midnight on Fridays and Saturdays, calling at every "
        "station along the coast, a change campaigners had demanded for years.",
        "The operator said the service would be reviewed after a year and kept if each train carried at "
        "least sixty passengers on average.",
    ),
    _story(
        MALFORMED,
        "Library reopens after flood repairs",
        "2026-11-22T12:00:00+00:00",
        "Ben Okafor",
        "The town library reopened on Tuesday, eight months after a burst water main flooded its ground "
        "floor and ruined more than four thousand books — about €90,000 worth, its director said.",
        "Volunteers spent the summer drying and sorting what could be saved, and publishers donated new "
        "copies of most of the children’s books that were lost.",
        "The reading room now has new shelving raised above the floor, the café by the entrance has "
        "reopened, and the local history collection has moved to the first floor, out of reach of any future "
        "flood.",
    ),
)
STORY_PATHS = frozenset(s.path for s in STORIES)


# --- page chrome ------------------------------------------------------------------------------------------


def _head(title: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{text(title)}</title>\n"
        f'<link rel="alternate" type="application/rss+xml" href="{PREFIX}{FEED}">\n</head>\n'
    )


def _header() -> str:
    return (
        f'<header><a class="brand" href="{PREFIX}/">The Hostile Herald</a>\n'
        f'<nav><a href="{PREFIX}/">Home</a> <a href="{PREFIX}{NEWS}">News</a> '
        f'<a href="{PREFIX}{CALENDAR}">What\'s on</a></nav></header>\n'
    )


FOOTER = '<footer><p>The Hostile Herald. Every page a lesson.</p></footer>\n</body>\n</html>\n'


def _story_html(story: Story) -> str:
    return (
        _head(f"{story.title} | The Hostile Herald") + f"<body>\n{_header()}<main>\n"
        '<article class="story">\n'
        f'  <h1 class="headline">{text(story.title)}</h1>\n'
        f'  <p class="byline">By <span class="author">{text(story.authors[0])}</span></p>\n'
        f'  <time class="published" datetime="{story.published}">{story.published[:10]}</time>\n'
        f'  <div class="story-body">\n{block(story.paragraphs, indent="    ")}\n  </div>\n'
        "</article>\n</main>\n" + FOOTER
    )


def _malformed_html(story: Story) -> bytes:
    """The story in markup no validator would pass, with bytes no codec decodes, around an intact text.

    Everything broken sits where a real CMS breaks it: the chrome (stray closers, a NUL in a comment, an
    unquoted attribute), the sidebar (a widget's invalid UTF-8), the end of the page (nesting deeper than
    libxml2 allows, a script never closed). The paragraphs themselves lack their ``</p>``, as old CMSes
    write them.
    """
    paragraphs = "\n".join(f"    <p>{text(p)}" for p in story.paragraphs)
    nested = "<div class=nest>" * 3000 + "deep" + "</div>" * 10
    head = (
        '<!DOCTYPE html>\n<html lang=en>\n<head>\n<meta charset="utf-8">\n'
        f"<title>{text(story.title)} | The Hostile Herald</title>\n</head>\n"
        "</div></span></td>\n<body>\n<!-- build \x00 marker -->\n" + _header() + "<main>\n"
        '<article class="story">\n'
        f'  <h1 class="headline">{text(story.title)}</h1>\n'
        f'  <p class="byline">By <span class="author">{text(story.authors[0])}</span>\n'
        f'  <time class="published" datetime="{story.published}">{story.published[:10]}</time>\n'
        f'  <div class="story-body">\n{paragraphs}\n  </div>\n'
        "</article>\n<aside class=widget><h2>M\u00e9t\u00e9o</h2><p>\u201cBright spells\u201d, 12\u00b0C \u2014 "
    )
    tail = (
        "</p></aside>\n<table><tr><td>unclosed cell<tr><td>another\n</main>\n"
        f"{nested}\n<script>var tracker = 'never closed\n"
    )
    invalid = b"\xff\xfe wind \xe2\x82 \xc0\xaf"  # a stray pair, a cut sequence, an overlong one
    return head.encode("utf-8") + invalid + tail.encode("utf-8")


def _listing_html(heading: str, links: list[tuple[str, str]]) -> str:
    items = "\n".join(f'  <li><a href="{attr(PREFIX + path)}">{text(label)}</a></li>' for path, label in links)
    return (
        _head(f"{heading} | The Hostile Herald")
        + f'<body>\n{_header()}<main>\n<h1>{text(heading)}</h1>\n<ul class="stories">\n{items}\n</ul>\n</main>\n'
        + FOOTER
    )


#: What the home page links besides the good stories: every trap, each looking like a story.
TRAP_LINKS: tuple[tuple[str, str], ...] = (
    (STALL, "The story that never finishes loading"),
    (TRICKLE, "The story that arrives one byte at a time"),
    (DROP, "The story cut off in the middle"),
    (ALWAYS_LIMITED, "The story behind a rate limit forever"),
    (COME_BACK_TOMORROW, "The story that says come back tomorrow"),
    (GZIP_BOMB, "The story that inflates to four gigabytes"),
    (HUGE, "The two hundred megabyte story"),
    (HUGE_CHUNKED, "The two hundred megabyte story, in chunks"),
    (BINARY, "The story that is really a binary file"),
    (LOOP_A, "Redirect loop, first half"),
    (ENDLESS, "The redirect that never lands"),
    (PRIVATE[0], "Embargoed budget figures leak"),
    (PRIVATE[1], "Draft story, not for crawlers"),
    (CALENDAR, "What's on today"),
)


# --- hostile behaviour ------------------------------------------------------------------------------------


def _stall(_: Request) -> Reply:
    def stream(out: Stream) -> None:
        out.write(b"<!DOCTYPE html>\n<html><head><title>Loading</title></head><body>".ljust(STALL_SENT, b" "))
        out.stall(STALL_SECONDS)
        out.abort()

    return Reply(200, content_type=HTML, headers=SERVER_HEADERS, stream=stream, length=STALL_DECLARED)


def _trickle(_: Request) -> Reply:
    def stream(out: Stream) -> None:
        out.write(b"<!DOCTYPE html>\n<html><head><title>Slow</title></head><body><p>")
        for _ in range(int(STALL_SECONDS * 2)):
            out.write(b"z")
            out.stall(0.5)
        out.abort()

    return Reply(200, content_type=HTML, headers=SERVER_HEADERS, stream=stream)


def _drop(_: Request) -> Reply:
    def stream(out: Stream) -> None:
        start = _story_html(STORIES[0]).encode("utf-8")
        out.write((start * (DROP_SENT // len(start) + 1))[:DROP_SENT])
        out.abort()

    return Reply(200, content_type=HTML, headers=SERVER_HEADERS, stream=stream, length=DROP_DECLARED)


def _refusal(status: int, seconds: int) -> Reply:
    message = "Too Many Requests" if status == 429 else "Service Unavailable"
    return plain_reply(status, message, headers=(*SERVER_HEADERS, ("Retry-After", str(seconds))))


def _refuse_first(path: str, refusals: int, status: int, seconds: int, then: Handler) -> Handler:
    """The story after ``refusals`` refusals: the second or third try of a polite crawler gets through."""
    return lambda request: _refusal(status, seconds) if request.state.visit(path) <= refusals else then(request)


@functools.cache
def gzip_bomb() -> bytes:
    """4 GiB of zeros in 64 gzip members of 64 MiB each (~4 MiB on the wire), built once on first use.

    Concatenated members are one valid gzip stream (RFC 1952), decoded whole by browsers, zlib users and
    Scrapy alike, and building 64 copies of one member costs a fraction of compressing 4 GiB.
    """
    return gzip.compress(bytes(BOMB_MEMBER_INFLATED), compresslevel=9, mtime=0) * BOMB_MEMBERS


def _bomb(_: Request) -> Reply:
    headers = (*SERVER_HEADERS, ("Content-Encoding", "gzip"))
    return Reply(200, gzip_bomb(), HTML, headers)


HUGE_BLOCK = (
    b"<p>This paragraph repeats until the page weighs two hundred megabytes: no archive needs all of it, "
    b"and no crawler should try to hold it.</p>\n"
) * 400
HUGE_HEAD = _head("The two hundred megabyte story").encode("utf-8") + b'<body><article class="story">\n'
HUGE_TAIL = b"</article></body></html>\n"


def huge_blocks() -> int:
    """Blocks of HUGE_BLOCK in the 200 MB page (so its declared length is exact)."""
    return (HUGE_SIZE - len(HUGE_HEAD) - len(HUGE_TAIL)) // len(HUGE_BLOCK)


HUGE_LENGTH = len(HUGE_HEAD) + huge_blocks() * len(HUGE_BLOCK) + len(HUGE_TAIL)


def _huge(*, declared: bool) -> Handler:
    def stream(out: Stream) -> None:
        out.write(HUGE_HEAD)
        for _ in range(huge_blocks()):
            out.write(HUGE_BLOCK)  # a client that stops reading makes this raise: the server ends quietly
        out.write(HUGE_TAIL)

    length = HUGE_LENGTH if declared else None
    return lambda _: Reply(200, content_type=HTML, headers=SERVER_HEADERS, stream=stream, length=length)


@functools.cache
def binary_blob() -> bytes:
    """Random bytes, the same on every run (a seeded generator): a JPEG or a zip mislabelled as HTML."""
    return random.Random(7209).randbytes(BINARY_SIZE)


def _binary(_: Request) -> Reply:
    return Reply(200, binary_blob(), HTML, SERVER_HEADERS)


def _redirect(request: Request, target: str, status: int = 301) -> Reply:
    location = request.absolute(PREFIX + target)
    return Reply(status, b"", HTML, (*SERVER_HEADERS, ("Location", location)))


# --- the calendar -----------------------------------------------------------------------------------------


def _month_path(day: date) -> str:
    return f"/calendar/{day:%Y/%m}/"


def _calendar_day(day: date) -> Reply:
    links = [
        (f"/calendar/{day - timedelta(days=1):%Y/%m/%d}", "Previous day"),
        (f"/calendar/{day + timedelta(days=1):%Y/%m/%d}", "Next day"),
        (_month_path(day), f"All of {day:%B %Y}"),
    ]
    return Reply(200, _listing_html(f"What's on, {day:%d %B %Y}", links).encode("utf-8"), HTML, SERVER_HEADERS)


def _calendar_month(year: int, month: int) -> Reply:
    first = date(year, month, 1)
    following = (first + timedelta(days=32)).replace(day=1)
    previous = (first - timedelta(days=1)).replace(day=1)
    days = [first + timedelta(days=n) for n in range((following - first).days)]
    links = [(f"/calendar/{d:%Y/%m/%d}", f"{d:%d %B}") for d in days]
    links += [(_month_path(previous), "Previous month"), (_month_path(following), "Next month")]
    return Reply(200, _listing_html(f"What's on in {first:%B %Y}", links).encode("utf-8"), HTML, SERVER_HEADERS)


NOT_FOUND = plain_reply(404, "404 Not Found", headers=SERVER_HEADERS)


def _unknown(request: Request) -> Reply:
    """Generated URLs: the endless redirect's next step and every date of the calendar; else a plain 404."""
    if step := ENDLESS_STEP.match(request.path):
        return _redirect(request, f"{ENDLESS}-{int(step.group(1)) + 1}", 302)
    try:
        if day := CALENDAR_DAY.match(request.path):
            return _calendar_day(date(*map(int, day.groups())))
        if month := CALENDAR_MONTH.match(request.path):
            return _calendar_month(int(month.group(1)), int(month.group(2)))
    except ValueError:  # 2026/02/31: no such day
        pass
    return NOT_FOUND


# --- site assembly ----------------------------------------------------------------------------------------


def _page(path: str, kind: str, verdict: str | None, status: int = 200, **fields: Any) -> ReplicaPage:
    fields.setdefault("served_charset_label", "utf-8")
    fields.setdefault("language", "en")
    return ReplicaPage(DOMAIN, path, kind, verdict, status, **fields)


def _story_page(story: Story, notes: str = "") -> ReplicaPage:
    return _page(
        story.path, "article", "article", title=story.title, paragraphs=story.paragraphs,
        authors=story.authors, published=story.published, notes=notes,
    )


def _build() -> Site:
    site = SiteBuilder(DOMAIN)
    special: dict[str, Callable[[ReplicaPage, Handler], Handler]] = {
        RATE_LIMITED: lambda page, h: _refuse_first(
            page.path, RATE_LIMITED_REFUSALS, 429, RETRY_AFTER_RATE_LIMITED, h
        ),
        UNAVAILABLE: lambda page, h: _refuse_first(page.path, 1, 503, RETRY_AFTER_UNAVAILABLE, h),
    }
    notes = {
        RATE_LIMITED: f"429 with Retry-After: {RETRY_AFTER_RATE_LIMITED} to the first {RATE_LIMITED_REFUSALS} "
        "requests, then the story",
        UNAVAILABLE: f"503 with Retry-After: {RETRY_AFTER_UNAVAILABLE} to the first request, then the story",
        MALFORMED: "broken markup, NUL bytes, invalid UTF-8 in the sidebar, 3,000 nested divs, an unclosed script",
    }
    for story in STORIES:
        page = _story_page(story, notes.get(story.path, ""))
        if story.path == MALFORMED:
            body = _malformed_html(story)
            handler: Handler = lambda _, body=body: Reply(200, body, HTML, SERVER_HEADERS)  # noqa: E731
        else:
            handler = html_handler(page, _story_html(story), headers=SERVER_HEADERS)
        wrap = special.get(story.path)
        site.page(page, wrap(page, handler) if wrap else handler)

    good_links = [(s.path, s.title) for s in STORIES]
    home = _page("/", "listing", "listing")
    site.page(home, html_handler(home, _listing_html("The Hostile Herald", [*good_links, *TRAP_LINKS]),
                                 headers=SERVER_HEADERS))
    news = _page(NEWS, "listing", "listing")
    site.page(news, html_handler(news, _listing_html("News", good_links), headers=SERVER_HEADERS))

    traps: list[tuple[str, str, Handler]] = [
        (STALL, "headers and 1 KB of a declared 40 KB, then silence", _stall),
        (TRICKLE, "chunked, one byte every half second, forever", _trickle),
        (DROP, f"Content-Length {DROP_DECLARED}, {DROP_SENT} bytes sent, then the connection closes", _drop),
        (ALWAYS_LIMITED, f"429 with Retry-After: {RETRY_AFTER_ALWAYS}, forever",
         lambda _: _refusal(429, RETRY_AFTER_ALWAYS)),
        (COME_BACK_TOMORROW, f"503 with Retry-After: {RETRY_AFTER_TOMORROW}",
         lambda _: _refusal(503, RETRY_AFTER_TOMORROW)),
        (GZIP_BOMB, "Content-Encoding: gzip, ~4 MiB on the wire, 4 GiB inflated", _bomb),
        (HUGE, f"Content-Length {HUGE_LENGTH}, streamed while generated", _huge(declared=True)),
        (HUGE_CHUNKED, "200 MB chunked, no length, streamed while generated", _huge(declared=False)),
        (BINARY, f"{BINARY_SIZE} random bytes as text/html; charset=utf-8", _binary),
        (LOOP_A, "301 to its twin, which 301s back", lambda r: _redirect(r, LOOP_B)),
        (LOOP_B, "301 to its twin, which 301s back", lambda r: _redirect(r, LOOP_A)),
        (ENDLESS, "302 to -1, which 302s to -2, and so on forever", lambda r: _redirect(r, f"{ENDLESS}-1", 302)),
    ]
    for path, note, handler in traps:
        site.page(_page(path, "error", None, listed=False, notes=note), handler)
    for path in PRIVATE:
        story = STORIES[0]
        private = _page(path, "article", None, listed=False, notes="disallowed by robots.txt: must never be fetched")
        site.page(private, lambda _, p=private, s=story: html_reply(p, _story_html(s), headers=SERVER_HEADERS))

    feed = _page(FEED, "feed", None)
    items = [FeedItem(s.path, s.title, s.published) for s in STORIES]
    site.page(feed, xml_handler(feed, partial(
        rss, outlet=DOMAIN, title="The Hostile Herald", home="/", description="News, served badly",
        language="en", items=items,
    )))
    sitemap = _page(SITEMAP, "sitemap", None)
    site.page(sitemap, xml_handler(sitemap, partial(urlset, outlet=DOMAIN, items=items)))
    return site.build(not_found=_unknown, robots=ROBOTS, sitemaps=(SITEMAP,))


SITE = _build()
