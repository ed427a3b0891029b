"""The Daily Example (dailynews.example): a plain English news site for the generic spider.

No newsarchive module is written for it: it is crawled through an outlet *profile* (crawler/profiles.toml)
and, in the tests, by URL alone (``scrapy crawl generic -a url=...``). So it is deliberately ordinary: a home
page, two section pages, an RSS feed, a sitemap and three stories at ``/YYYY/MM/DD/<slug>/``. Each story
gives its date a different way, as sites do: JSON-LD ``NewsArticle``, an ``article:published_time`` meta
tag, or only the visible ``June 3, 2025 4:05 PM`` (New York time). Inside the story body sit a newsletter
box and share tools, after it a "Related" list: furniture a profile's ``exclude`` selectors remove.

The first story can be *stealth-edited*: once ``/dailynews.example/_control/stealth-edit`` has been requested
on a server, that server serves the story with its last paragraph changed (same URL, same Last-Modified, a
new ETag), as outlets quietly edit published stories. ``tests/test_audit.py`` crawls before and after and
diffs the two captures; no crawl finds the control URL (nothing links to it).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

from crawler.replica.model import GONE_VERDICT, Handler, ReplicaPage, Reply, Request, Site, SiteBuilder
from crawler.replica.render import (
    FeedItem,
    attr,
    block,
    html_handler,
    parse_iso,
    plain_reply,
    rss,
    text,
    urlset,
    xml_handler,
)

DOMAIN = "dailynews.example"
PREFIX = f"/{DOMAIN}"
FEED = "/rss.xml"
SITEMAP = "/sitemap.xml"
SECTIONS = {"local": "Local", "business": "Business"}
SERVER_HEADERS = (("Server", "nginx"),)


@dataclass(frozen=True)
class Story:
    date_path: str  # "2025/06/12"
    slug: str
    title: str
    section: str  # key of SECTIONS
    published: str  # ISO with the New York offset
    authors: tuple[str, ...]
    paragraphs: tuple[str, ...]
    date_source: str  # "json-ld", "meta" or "visible"

    @property
    def path(self) -> str:
        return f"/{self.date_path}/{self.slug}/"

    @property
    def visible_date(self) -> str:
        moment = parse_iso(self.published)
        hour = moment.hour % 12 or 12
        return f"{moment:%B} {moment.day}, {moment.year} {hour}:{moment:%M} {'AM' if moment.hour < 12 else 'PM'}"


STORIES: tuple[Story, ...] = (
    Story(
        "2025/06/12",
        "harbour-ferry-service-resumes-after-pier-repairs",
        "Harbour ferry service resumes after pier repairs",
        "local",
        "2025-06-12T09:30:00-04:00",
        ("Jane Roe",),
        (
            "The harbour ferry resumed its regular timetable on Thursday morning after six weeks of repairs "
            "to the main pier, which was damaged by a barge during a storm in late April.",
            "City engineers replaced four of the pier's timber piles and reinforced the landing platform "
            "with steel beams, work that finished two days ahead of schedule.",
            "Commuters who had been taking a replacement bus around the bay said the crossing cut their "
            "journey to work by more than half an hour.",
            "The ferry operator said it would run extra evening sailings for the first two weeks to clear "
            "the backlog of season-ticket holders waiting for refunds.",
            "A second phase of repairs, to the waiting room and ticket office, is planned for the autumn "
            "and will not interrupt the service.",
        ),
        "json-ld",
    ),
    Story(
        "2025/06/05",
        "local-bakery-chain-opens-its-first-employee-owned-store",
        "Local bakery chain opens its first employee-owned store",
        "business",
        "2025-06-05T14:00:00-04:00",
        ("Sam Patel", "Lee Chen"),
        (
            "A family bakery chain with eleven shops in the county has turned its newest store into a "
            "cooperative owned by the people who work there.",
            "The twenty employees bought the store with a loan from a community credit union and will "
            "share its profits in proportion to the hours they work.",
            "The founders said they hoped to convert the other shops gradually over the next five years if "
            "the first cooperative proves successful.",
            "Business advisers said employee ownership has become more common among small firms whose "
            "owners are nearing retirement and have no successor in the family.",
            "The new store sells the chain's usual bread and pastries and has added a lunch counter run by "
            "two of the new co-owners.",
        ),
        "meta",
    ),
    Story(
        "2025/05/20",
        "council-votes-to-extend-library-opening-hours",
        "Council votes to extend library opening hours",
        "local",
        "2025-05-20T16:05:00-04:00",
        ("Maria Gomez",),
        (
            "The city council voted on Tuesday to keep the three branch libraries open until nine in the "
            "evening on weekdays, two hours later than at present.",
            "The change will cost about 180,000 dollars a year, mostly for additional staff, and will be "
            "paid from a fund set aside for community services.",
            "Library users had collected more than four thousand signatures asking for longer hours, "
            "saying the current closing time ruled out visits after work.",
            "Two council members voted against the measure, arguing that the money would be better spent "
            "on repairing the roof of the central library.",
            "The longer hours will take effect at the start of the school year in September.",
        ),
        "visible",
    ),
)
HARD_404 = "/2025/01/01/this-story-was-never-written/"
#: The stealth edit of the first story: the control URL (under the outlet) and the paragraph it rewrites.
STEALTH_EDIT_PATH = "/_control/stealth-edit"
STEALTH_EDIT_KEY = f"{DOMAIN}{STEALTH_EDIT_PATH}"
STEALTH_EDIT = (
    4,
    "A second phase of repairs, to the waiting room and ticket office, has been postponed until next spring "
    "and will close the waiting room for a month.",
)


def _head(title: str, extra: str = "") -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{text(title)} – The Daily Example</title>\n"
        f'<link rel="alternate" type="application/rss+xml" title="The Daily Example" href="{PREFIX}{FEED}">\n'
        f"{extra}</head>\n"
    )


def _header() -> str:
    links = " ".join(f'<a href="{PREFIX}/{key}/">{label}</a>' for key, label in SECTIONS.items())
    return (
        f'<body>\n<header class="masthead"><a class="brand" href="{PREFIX}/">The Daily Example</a>\n'
        f'  <nav class="sections">{links}</nav></header>\n'
    )


def _footer() -> str:
    return '<footer class="site-footer"><p>© 2025 The Daily Example. All rights reserved.</p></footer>\n</body>\n</html>\n'


def _structured(story: Story) -> str:
    if story.date_source == "json-ld":
        data = {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": story.title,
            "datePublished": story.published,
            "author": [{"@type": "Person", "name": name} for name in story.authors],
        }
        return f'<script type="application/ld+json">{json.dumps(data, ensure_ascii=False)}</script>\n'
    if story.date_source == "meta":
        return f'<meta property="article:published_time" content="{story.published}">\n'
    return ""


def _story_html(story: Story) -> str:
    authors = " and ".join(f'<span class="author">{text(name)}</span>' for name in story.authors)
    time_attr = "" if story.date_source == "visible" else f' datetime="{story.published}"'
    related = "\n".join(
        f'    <li><a href="{attr(PREFIX + other.path)}">{text(other.title)}</a></li>'
        for other in STORIES
        if other is not story
    )
    return (
        _head(story.title, _structured(story))
        + _header()
        + '<main>\n<article class="story">\n'
        f'  <p class="kicker"><a href="{PREFIX}/{story.section}/">{SECTIONS[story.section]}</a></p>\n'
        f'  <h1 class="headline">{text(story.title)}</h1>\n'
        f'  <p class="byline">By {authors}</p>\n'
        f'  <time class="published"{time_attr}>{story.visible_date}</time>\n'
        '  <div class="story-body">\n'
        f"{block(story.paragraphs[:2])}\n"
        '    <aside class="newsletter-signup"><p>Sign up for our morning newsletter and get the day’s local '
        "news in your inbox.</p></aside>\n"
        f"{block(story.paragraphs[2:])}\n"
        '    <div class="share-tools">Share: <a href="https://www.facebook.com/sharer.php">Facebook</a> '
        '<a href="https://x.com/intent/post">X</a> <a href="mailto:?subject=news">Email</a></div>\n'
        "  </div>\n</article>\n"
        f'<section class="related"><h2>Related</h2>\n  <ul>\n{related}\n  </ul>\n</section>\n'
        "</main>\n" + _footer()
    )


def _listing_html(title: str, stories: list[Story]) -> str:
    items = "\n".join(
        f'  <li class="teaser"><a href="{attr(PREFIX + s.path)}">{text(s.title)}</a> '
        f'<span class="date">{s.visible_date}</span></li>'
        for s in sorted(stories, key=lambda s: parse_iso(s.published), reverse=True)
    )
    return _head(title) + _header() + f"<main>\n<h1>{text(title)}</h1>\n<ul>\n{items}\n</ul>\n</main>\n" + _footer()


def _not_found_html() -> str:
    return (
        _head("Page not found")
        + _header()
        + "<main>\n<h1>Page not found</h1>\n<p>Sorry, we couldn’t find that page.</p>\n</main>\n"
        + _footer()
    )


def _page(path: str, kind: str, verdict: str | None, status: int, **fields: Any) -> ReplicaPage:
    fields.setdefault("served_charset_label", "utf-8")
    return ReplicaPage(DOMAIN, path, kind, verdict, status, **fields)


def _html(page: ReplicaPage, markup: str) -> Handler:
    return html_handler(page, markup, headers=SERVER_HEADERS)


def _stealth_edited(page: ReplicaPage, story: Story) -> Handler:
    """The story as first published until the control URL is hit on this server, then as edited."""
    index, edited_text = STEALTH_EDIT
    edited_story = replace(story, paragraphs=(*story.paragraphs[:index], edited_text, *story.paragraphs[index + 1 :]))
    original, edited = _html(page, _story_html(story)), _html(page, _story_html(edited_story))
    return lambda request: edited(request) if request.state.seen(STEALTH_EDIT_KEY) else original(request)


def _stealth_edit_control(request: Request) -> Reply:
    request.state.first_visit(STEALTH_EDIT_KEY)
    return plain_reply(200, "stealth edit applied")


def _build() -> Site:
    site = SiteBuilder(DOMAIN)
    for story in STORIES:
        edited = story is STORIES[0]
        page = _page(
            story.path,
            "article",
            "article",
            200,
            title=story.title,
            paragraphs=story.paragraphs,
            authors=story.authors,
            published=story.published,
            section=SECTIONS[story.section],
            language="en",
            notes=(f"Stealth-edited (paragraph {STEALTH_EDIT[0] + 1}) once {PREFIX}{STEALTH_EDIT_PATH} is hit. "
                   if edited else "") + f"Date only from {story.date_source}.",
        )
        site.page(page, _stealth_edited(page, story) if edited else _html(page, _story_html(story)))
    home = _page("/", "listing", "listing", 200, language="en")
    site.page(home, _html(home, _listing_html("Latest news", list(STORIES))))
    for key, label in SECTIONS.items():
        section = _page(f"/{key}/", "listing", "listing", 200, language="en", section=label)
        site.page(section, _html(section, _listing_html(label, [s for s in STORIES if s.section == key])))
    hard = _page(HARD_404, "error", GONE_VERDICT, 404, language="en", listed=False)
    not_found = _html(hard, _not_found_html())
    site.page(hard, not_found)
    site.route(STEALTH_EDIT_PATH, _stealth_edit_control)

    items = [
        FeedItem(s.path, s.title, s.published, s.paragraphs[0], s.authors, SECTIONS[s.section]) for s in STORIES
    ]
    feed = _page(FEED, "feed", None, 200)
    build_feed = partial(
        rss, outlet=DOMAIN, title="The Daily Example", home="/", description="Local news", language="en", items=items
    )
    site.page(feed, xml_handler(feed, build_feed, headers=SERVER_HEADERS))
    sitemap = _page(SITEMAP, "sitemap", None, 200)
    site.page(sitemap, xml_handler(sitemap, partial(urlset, outlet=DOMAIN, items=items), headers=SERVER_HEADERS))
    return site.build(not_found=not_found, robots=("Disallow: /search",), sitemaps=(SITEMAP,))


SITE = _build()
