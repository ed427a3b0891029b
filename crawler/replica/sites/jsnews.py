"""JS News (jsnews.example): a fictional outlet whose pages only exist after JavaScript runs.

Every HTML page is the same app shell (``<div id="root"></div>`` plus ``/static/app.js``); the bundle reads
the story id from the address, fetches ``/api/articles/<id>.json`` and renders headline, byline and
paragraphs. The plain HTTP body therefore holds no article text at all: the page exists so that the
rendering path (Playwright) is exercised and so that "empty shell" is never mistaken for a soft 404 or for
an article. The catalogue records what the *rendered* page shows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import partial
from importlib.resources import files
from typing import Any

from crawler.replica.model import GONE_VERDICT, Handler, ReplicaPage, Reply, Site, SiteBuilder
from crawler.replica.render import FeedItem, attr, html_handler, parse_iso, urlset, validators, xml_handler

DOMAIN = "jsnews.example"
PREFIX = f"/{DOMAIN}"
SITEMAP = "/sitemap.xml"
APP_JS = "/static/app.js"
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
        "<noscript>You need to enable JavaScript to run this app.</noscript>\n"
        '<div id="root"></div>\n'
        "</body>\n</html>\n"
    )


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

    items = [FeedItem(s.path, s.title, s.published) for s in STORIES]
    sitemap = _page(SITEMAP, "sitemap", None, 200)
    site.page(
        sitemap, xml_handler(sitemap, partial(urlset, outlet=DOMAIN, items=items), headers=SERVER_HEADERS)
    )
    return site.build(not_found=not_found, robots=("Disallow: /account/",), sitemaps=(SITEMAP,))


SITE = _build()
