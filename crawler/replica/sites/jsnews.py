"""JS News (jsnews.example): a fictional outlet whose pages only exist after JavaScript runs.

Every HTML page is the same app shell (``<div id="root"></div>`` plus ``/static/app.js``); the bundle reads
the story id from the address, fetches ``/api/articles/<id>.json`` and renders headline, byline and
paragraphs. The plain HTTP body therefore holds no article text at all: the page exists so that the
rendering path (Playwright) is exercised and so that "empty shell" is never mistaken for a soft 404 or for
an article. The catalogue records what the *rendered* page shows.

Two pages are not like the others. ``STALLED`` is a shell whose API call never answers (a hung upstream):
the page never finishes loading, and a crawler has to give up on it, say so, and go on. ``ARCHIVED`` is
a story from the outlet's previous, server-rendered CMS: plain HTML with the text in it, which needs no
browser (automatic app-shell detection must leave it on the plain HTTP path).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from functools import partial
from importlib.resources import files
from typing import Any

from crawler.replica.model import GONE_VERDICT, Handler, ReplicaPage, Reply, Site, SiteBuilder
from crawler.replica.render import (
    FeedItem,
    attr,
    html_handler,
    parse_iso,
    text,
    urlset,
    validators,
    xml_handler,
)

DOMAIN = "jsnews.example"
PREFIX = f"/{DOMAIN}"
SITEMAP = "/sitemap.xml"
APP_JS = "/static/app.js"
LOGO = "/static/logo.png"
#: A 1x1 PNG: the masthead image every shell shows (a crawler's browser should not even fetch it).
LOGO_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000b49444154789c6360000200000500017a5eab3f0000000049454e44ae426082"
)
LATEST_API = "/api/latest.json"
SERVER_HEADERS = (("Server", "nginx"), ("X-Content-Type-Options", "nosniff"))
NEEDS_JS = "JavaScript-rendered: the HTTP body is an app shell; the text comes from the JSON API."


@dataclass(frozen=True)
class Story:
    story_id: int
    slug: str
    title: str
    section: str
    published: str
    authors: tuple[str, ...]
    paragraphs: tuple[str, ...]

    @property
    def path(self) -> str:
        return f"/news/{self.story_id}/{self.slug}"

    @property
    def api_path(self) -> str:
        return f"/api/articles/{self.story_id}.json"


STORIES: tuple[Story, ...] = (
    Story(
        2001,
        "city-library-launches-night-reading-program",
        "City Library Launches Night Reading Program",
        "Culture",
        "2025-05-08T19:00:00-04:00",
        ("Dana Whitfield",),
        (
            "The central city library will stay open until midnight on Fridays starting next month, part "
            "of a pilot program aimed at students and shift workers who cannot visit during the day.",
            "The library's director said the late hours will be staffed by volunteers and two full-time "
            "librarians, with the reading rooms and computer lab open throughout.",
            "The program will run for six months before the city council decides whether to make it "
            "permanent.",
            "A survey last year found that nearly a third of residents who do not use the library said "
            "opening hours were the main obstacle.",
            "Cafés near the library have offered discounts to late-night readers during the pilot period.",
            "The library also plans a series of evening talks by local authors, the first of which is "
            "scheduled for the opening night.",
        ),
    ),
    Story(
        2002,
        "researchers-map-coral-recovery-along-northern-reef",
        "Researchers Map Coral Recovery Along Northern Reef",
        "Science",
        "2025-05-14T08:30:00-04:00",
        ("Miguel Ortega", "Priya Natarajan"),
        (
            "Marine scientists have completed the most detailed survey yet of coral recovery along the "
            "northern reef, finding that several sites have regained much of the cover lost during a "
            "bleaching event three years ago.",
            "The team used underwater drones and divers to photograph more than 200 plots, then combined "
            "the images into three-dimensional maps.",
            "Recovery was fastest in deeper, cooler water and in areas where fishing is restricted, the "
            "researchers reported.",
            "Shallow reef flats showed little improvement, and some sites lost additional coral during a "
            "storm last autumn.",
            "The scientists warned that the gains could be reversed if ocean temperatures rise again this "
            "summer.",
            "Their maps will be published online so that local dive operators and schools can follow "
            "changes at individual sites.",
        ),
    ),
)

#: The shell whose API call hangs; catalogued as the article it would be, had the API answered.
STALLED = Story(
    2003,
    "live-council-debates-harbour-budget",
    "Live: Council Debates the Harbour Budget",
    "Politics",
    "2025-05-15T18:00:00-04:00",
    ("Newsroom Staff",),
    (
        "City councillors began debating the harbour authority's budget on Thursday evening, with a vote "
        "expected before midnight.",
        "The proposal would raise mooring fees for the first time in nine years to pay for dredging the "
        "inner channel.",
        "Fishing cooperatives have asked the council to exempt working boats from the increase.",
        "Several councillors said they would support the budget only if the dredging contract is put out "
        "to public tender.",
        "This live page is updated as the debate goes on.",
    ),
)
#: How long the stalled API call holds its connection before answering 504, as a gateway finally would:
#: far beyond any crawler's page timeout.
STALL_SECONDS = 300

#: A story from the previous CMS, served as complete HTML.
ARCHIVED = Story(
    1998,
    "harbour-ferry-timetable-changes-for-summer",
    "Harbour Ferry Timetable Changes for Summer",
    "Local",
    "2025-04-28T09:15:00-04:00",
    ("Alan Reyes",),
    (
        "The harbour ferry will run every twenty minutes instead of every half hour from the first of June, "
        "the transit authority announced on Monday.",
        "The last crossing of the evening moves from ten o'clock to half past eleven on Fridays and "
        "Saturdays.",
        "Two of the older boats will be replaced by a leased vessel while they are refitted.",
        "Season tickets bought before the change remain valid and will not be repriced.",
        "The authority said the summer timetable will be reviewed in September.",
    ),
)

HARD_404 = "/news/9999/story-that-does-not-exist"
APP_SOURCE = files("crawler.replica.sites").joinpath("jsnews_app.js").read_bytes()


def _shell(canonical: str) -> str:
    """The same empty document for every page; only the canonical link differs."""
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        "<title>JS News</title>\n"
        f'<link rel="canonical" href="{attr(PREFIX + canonical)}">\n'
        f'<script src="{PREFIX}{APP_JS}" defer></script>\n'
        "</head>\n<body>\n"
        f'<header><img class="masthead" src="{PREFIX}{LOGO}" alt="JS News" width="1" height="1"></header>\n'
        "<noscript>You need to enable JavaScript to run this app.</noscript>\n"
        '<div id="root"></div>\n'
        "</body>\n</html>\n"
    )


def _archived_html(story: Story) -> str:
    """The previous CMS's article template: everything in the HTML, no script at all."""
    paragraphs = "\n".join(f"<p>{text(p)}</p>" for p in story.paragraphs)
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{text(story.title)} | JS News archive</title>\n"
        f'<link rel="canonical" href="{attr(PREFIX + story.path)}">\n'
        "</head>\n<body>\n"
        f'<header class="site"><a href="{PREFIX}/">JS News</a></header>\n'
        '<main class="archive-story">\n'
        f'<p class="kicker">{text(story.section)}</p>\n<h1>{text(story.title)}</h1>\n'
        f'<p class="meta">By <span class="author">{text(", ".join(story.authors))}</span> · '
        f'<time datetime="{attr(story.published)}">{text(story.published[:10])}</time></p>\n'
        f'<div class="text">\n{paragraphs}\n</div>\n'
        "</main>\n<footer>© JS News</footer>\n</body>\n</html>\n"
    )


def _stalled_api(_request: object) -> Reply:
    """Hold the connection like a hung upstream, then answer the way a gateway gives up (504)."""
    time.sleep(STALL_SECONDS)
    return Reply(504, b"upstream timed out\n", "text/plain; charset=utf-8", SERVER_HEADERS)


def _not_found_html() -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>404 Not Found</title>\n'
        "</head>\n<body>\n<h1>404 Not Found</h1>\n<p>The requested URL was not found on this server.</p>\n"
        "<hr><address>nginx</address>\n</body>\n</html>\n"
    )


def story_json(story: Story) -> dict[str, Any]:
    """The API document for a story, as app.js consumes it."""
    return {
        "id": story.story_id,
        "slug": story.slug,
        "path": story.path,
        "title": story.title,
        "section": story.section,
        "language": "en",
        "published": story.published,
        "authors": list(story.authors),
        "paragraphs": list(story.paragraphs),
    }


def _json_reply(document: object, *, modified: str | None = None) -> Reply:
    body = json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8")
    headers = (*SERVER_HEADERS, ("Access-Control-Allow-Origin", "*"), *validators(body, modified))
    return Reply(200, body, "application/json; charset=utf-8", headers)


def _page(path: str, kind: str, verdict: str | None, status: int, **fields: Any) -> ReplicaPage:
    """A jsnews.example catalogue page, all UTF-8."""
    fields.setdefault("served_charset_label", "utf-8")
    return ReplicaPage(DOMAIN, path, kind, verdict, status, **fields)


def _html(page: ReplicaPage, markup: str) -> Handler:
    return html_handler(page, markup, headers=SERVER_HEADERS)


def _build() -> Site:
    site = SiteBuilder(DOMAIN)
    for story in STORIES:
        page = _page(
            story.path,
            "article",
            "article",
            200,
            title=story.title,
            paragraphs=story.paragraphs,
            authors=story.authors,
            published=story.published,
            section=story.section,
            language="en",
            notes=NEEDS_JS,
        )
        site.page(page, _html(page, _shell(story.path)))
        api = _json_reply(story_json(story), modified=story.published)
        site.route(story.api_path, lambda _, api=api: api)

    stalled = _page(
        STALLED.path,
        "article",
        "article",
        200,
        title=STALLED.title,
        paragraphs=STALLED.paragraphs,
        authors=STALLED.authors,
        published=STALLED.published,
        section=STALLED.section,
        language="en",
        notes=NEEDS_JS + f" Its API call never answers (held {STALL_SECONDS} s, then 504): the page never "
        "finishes loading, and the crawler must time out, record the failure and go on.",
    )
    site.page(stalled, _html(stalled, _shell(STALLED.path)))
    site.route(STALLED.api_path, _stalled_api)
    archived = _page(
        ARCHIVED.path,
        "article",
        "article",
        200,
        title=ARCHIVED.title,
        paragraphs=ARCHIVED.paragraphs,
        authors=ARCHIVED.authors,
        published=ARCHIVED.published,
        section=ARCHIVED.section,
        language="en",
        notes="Server-rendered by the previous CMS: the text is in the HTML and no browser is needed.",
    )
    site.page(archived, _html(archived, _archived_html(ARCHIVED)))

    home = _page("/", "listing", "listing", 200, language="en", notes=NEEDS_JS)
    site.page(home, _html(home, _shell("/")))
    newest = sorted(STORIES, key=lambda s: parse_iso(s.published), reverse=True)
    latest = _json_reply(
        {"articles": [{"path": s.path, "title": s.title, "published": s.published} for s in newest]}
    )
    site.route(LATEST_API, lambda _: latest)
    script = Reply(
        200, APP_SOURCE, "text/javascript; charset=utf-8", SERVER_HEADERS + validators(APP_SOURCE, None)
    )
    site.route(APP_JS, lambda _: script)
    logo = Reply(200, LOGO_PNG, "image/png", SERVER_HEADERS + validators(LOGO_PNG, None))
    site.route(LOGO, lambda _: logo)

    hard = _page(
        HARD_404,
        "error",
        GONE_VERDICT,
        404,
        language="en",
        listed=False,
        notes="Plain nginx 404; every unknown path answers it.",
    )
    not_found = _html(hard, _not_found_html())
    site.page(hard, not_found)

    items = [FeedItem(s.path, s.title, s.published) for s in (*STORIES, STALLED, ARCHIVED)]
    sitemap = _page(SITEMAP, "sitemap", None, 200)
    site.page(
        sitemap, xml_handler(sitemap, partial(urlset, outlet=DOMAIN, items=items), headers=SERVER_HEADERS)
    )
    return site.build(not_found=not_found, robots=("Disallow: /account/",), sitemaps=(SITEMAP,))


SITE = _build()
