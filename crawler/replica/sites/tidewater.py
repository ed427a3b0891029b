"""The Tidewater Post (tidewaterpost.example): a fictional English local paper with a friendly "not here" page.

What it reproduces, because phrase lists cannot catch it and only the crawl's per-host probe can:

* Stories live at ``/story/<id>/<slug>``, and the CMS routes by id. An id it does not know (a story taken
  down, a mistyped link, a made-up id) answers **200** with the site's own page in the site's own words
  ("This page has drifted off ... We searched the whole newsroom and came back empty-handed") followed by
  "Making waves today": the three latest stories with their opening paragraphs. No error phrase of any
  language, several paragraphs of real prose, the article's chrome: on its own it passes for an article.
* The sitemap still lists one removed story, which gets that page.
* Any other unknown path gets nginx's plain 404.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import partial
from typing import Any

from crawler.replica.model import GONE_VERDICT, Handler, ReplicaPage, Reply, Request, Site, SiteBuilder
from crawler.replica.render import FeedItem, attr, block, html_handler, parse_iso, text, urlset, xml_handler

DOMAIN = "tidewaterpost.example"
PREFIX = f"/{DOMAIN}"
SITEMAP = "/sitemap.xml"
NEWS = "/news/"
SERVER_HEADERS = (("Server", "nginx"), ("X-Frame-Options", "SAMEORIGIN"))
STORY_PATH = re.compile(r"^/story/\d+/")

NOT_HERE_TITLE = "This page has drifted off"
NOT_HERE_TEXT = (
    "We searched the whole newsroom and came back empty-handed. The address may be an old one, or the story "
    "was taken down since you saved it. While you are here, these are the stories readers in the bay are "
    "talking about today."
)


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
        return f"/story/{self.story_id}/{self.slug}"


STORIES: tuple[Story, ...] = (
    Story(
        41208,
        "ferry-operator-orders-two-electric-vessels",
        "Ferry operator orders two electric vessels for the bay crossing",
        "Business",
        "2025-06-12T08:30:00+01:00",
        ("Mara Linden",),
        (
            "The company that runs the ferry across the bay has ordered two battery-electric vessels to replace "
            "its diesel boats, which have been in service for more than thirty years.",
            "The new ferries will each carry up to 300 passengers and 40 cars and will recharge at both "
            "terminals during the ten minutes it takes to unload and load vehicles.",
            "The operator said the vessels would cut its fuel bill by about two thirds and remove the diesel "
            "fumes that residents near the terminals have complained about for years.",
            "The order, worth 38 million pounds, was placed with a yard on the north coast, which expects to "
            "deliver the first ferry in the spring of 2027 and the second six months later.",
            "Fares will not rise to pay for the boats, the company said, because part of the cost is covered by "
            "a government fund for cleaner coastal transport.",
        ),
    ),
    Story(
        41215,
        "council-approves-new-sea-defences-for-the-old-town",
        "Council approves new sea defences for the old town",
        "News",
        "2025-06-13T17:05:00+01:00",
        ("Owen Pryce",),
        (
            "Councillors have approved a scheme to raise the sea wall along the old town's waterfront by almost "
            "a metre, after three winters in which storm surges flooded cellars and shops.",
            "The work will start in October and is expected to take two years, with the promenade closed in "
            "sections so that the harbour and the lifeboat station stay open throughout.",
            "Engineers told the planning committee that the new wall had been designed for sea levels expected "
            "at the end of the century rather than for the storms of recent years.",
            "Traders welcomed the decision but asked for help with lost business while the promenade is closed, "
            "and the council agreed to waive parking charges in the town centre during the works.",
            "The scheme will cost 21 million pounds, most of it from the national flood defence budget.",
        ),
    ),
    Story(
        41221,
        "lighthouse-keepers-cottage-to-become-museum",
        "Lighthouse keepers' cottage to become a museum",
        "News",
        "2025-06-14T10:15:00+01:00",
        ("Mara Linden", "Jo Achebe"),
        (
            "The row of cottages where the lighthouse keepers and their families lived until the light was "
            "automated in 1989 will be turned into a museum, the heritage trust that owns them announced.",
            "The trust has collected logbooks, uniforms and photographs from former keepers and their children, "
            "several of whom still live in the town and have agreed to record their memories.",
            "One cottage will be furnished as it was in the 1950s, with the keepers' rota on the kitchen wall "
            "and the radio they used to report passing ships to the coastguard.",
            "The museum is due to open next summer. Entry will be free for children from schools in the district, "
            "and the trust is looking for volunteers to guide visitors.",
            "The lighthouse itself will stay closed to the public because the staircase does not meet modern "
            "safety standards.",
        ),
    ),
    Story(
        41230,
        "fish-market-extends-opening-hours",
        "Fish market extends opening hours to catch the evening trade",
        "Business",
        "2025-06-15T07:45:00+01:00",
        ("Jo Achebe",),
        (
            "The harbour fish market will stay open until seven in the evening on Fridays and Saturdays from "
            "next month, in an attempt to win back customers who cannot shop in the morning.",
            "Traders voted for the change after a survey found that most residents under forty had never bought "
            "fish at the market because it closed before they finished work.",
            "The market will add a stall selling cooked seafood and will let a local brewery open a small bar "
            "in the former ice store, subject to a licence from the council.",
            "Some older traders were sceptical, saying the boats land their catch at dawn and the fish is at its "
            "best in the morning, but agreed to try the new hours for a summer.",
            "The harbour board said it would review the trial in September.",
        ),
    ),
    Story(
        41236,
        "schools-join-beach-clean-after-storm",
        "Schools join beach clean after storm leaves shore strewn with plastic",
        "News",
        "2025-06-16T15:20:00+01:00",
        ("Owen Pryce",),
        (
            "More than six hundred pupils from eleven schools spent Monday afternoon clearing the beaches of "
            "plastic washed up by last week's storm.",
            "Volunteers filled more than four hundred bags with rope, bottles, fishing nets and packaging, some "
            "of it carried across the sea from other countries, according to the labels.",
            "The marine conservation group that organised the clean said the amount of plastic was the largest "
            "it had recorded on the bay's beaches in a single event.",
            "Teachers said the pupils would use the rubbish in science lessons to learn about ocean currents and "
            "how long different materials take to break down.",
            "The council said it would collect the bags on Tuesday morning and thanked the schools for their help.",
        ),
    ),
    Story(
        41242,
        "bay-regatta-returns-with-record-entries",
        "Bay regatta returns with a record number of entries",
        "News",
        "2025-06-17T19:00:00+01:00",
        ("Mara Linden",),
        (
            "The bay regatta will return next weekend with more boats than ever before, after organisers opened "
            "the races to rowing crews and paddleboarders for the first time.",
            "Around 180 boats have entered, compared with 110 last year, and the harbour master has asked "
            "spectators to watch from the promenade rather than from private boats.",
            "The main sailing race around the lighthouse and back starts at eleven on Saturday, with the rowing "
            "races on Sunday morning and a fireworks display over the harbour on Sunday evening.",
            "Road closures will be in place around the harbour from Friday night, and extra buses will run from "
            "the station on both days.",
            "The regatta raises money for the lifeboat station, which last year received more than twenty thousand "
            "pounds from the event.",
        ),
    ),
)

REMOVED = "/story/40917/harbour-ferry-timetable-changes"  # in the sitemap; its id is gone: the 200 page
HARD_404 = "/pages/advertise-with-us"  # any unknown path outside /story/ answers nginx's 404


# --- page chrome ----------------------------------------------------------------------------------------


def _head(title: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en-GB">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{text(title)}</title>\n"
        '<meta property="og:site_name" content="The Tidewater Post">\n'
        f'<link rel="stylesheet" href="{PREFIX}/static/tidewater.css">\n'
        "</head>\n"
    )


def _header() -> str:
    return (
        '<header class="masthead">\n'
        f'  <a class="brand" href="{PREFIX}/">The Tidewater Post</a>\n'
        f'  <nav><a href="{PREFIX}/">Home</a> <a href="{PREFIX}{NEWS}">News</a></nav>\n'
        "</header>\n"
    )


def _footer() -> str:
    return (
        '<footer class="colophon">\n'
        "  <p>The Tidewater Post, 3 Quay Street. Independent news for the bay since 1911.</p>\n"
        "</footer>\n</body>\n</html>\n"
    )


def _latest(count: int = 3) -> list[Story]:
    return sorted(STORIES, key=lambda s: parse_iso(s.published), reverse=True)[:count]


def _story_html(story: Story) -> str:
    byline = ", ".join(story.authors)
    others = "\n".join(
        f'    <li><a href="{attr(PREFIX + s.path)}">{text(s.title)}</a></li>'
        for s in _latest(4)
        if s is not story
    )
    return (
        _head(f"{story.title} | The Tidewater Post") + f"<body>\n{_header()}<main>\n"
        '  <article class="story">\n'
        f'    <span class="section-label">{text(story.section)}</span>\n'
        f'    <h1 class="story-title">{text(story.title)}</h1>\n'
        f'    <p class="byline">By {text(byline)} · <time datetime="{story.published}">'
        f"{parse_iso(story.published):%d %B %Y}</time></p>\n"
        f'    <div class="story-body">\n{block(story.paragraphs)}\n    </div>\n'
        "  </article>\n"
        f'  <aside class="more"><h2>More from the Post</h2>\n  <ul>\n{others}\n  </ul></aside>\n'
        "</main>\n" + _footer()
    )


def _listing_html(heading: str, stories: list[Story]) -> str:
    items = "\n".join(f'    <li><a href="{attr(PREFIX + s.path)}">{text(s.title)}</a></li>' for s in stories)
    return (
        _head(f"{heading} | The Tidewater Post")
        + f'<body>\n{_header()}<main>\n  <h1>{text(heading)}</h1>\n  <ul class="stories">\n{items}\n  </ul>\n'
        "</main>\n" + _footer()
    )


def _not_here_html() -> str:
    """The page every unknown story id gets: the site's own words, then the latest stories' openings."""
    picks = "\n".join(
        '    <div class="pick">\n'
        f'      <h3><a href="{attr(PREFIX + s.path)}">{text(s.title)}</a></h3>\n'
        f"      <p>{text(s.paragraphs[0])}</p>\n"
        "    </div>"
        for s in _latest()
    )
    return (
        _head(f"{NOT_HERE_TITLE} | The Tidewater Post") + f"<body>\n{_header()}<main>\n"
        '  <div class="adrift">\n'
        f"    <h1>{text(NOT_HERE_TITLE)}</h1>\n"
        f"    <p>{text(NOT_HERE_TEXT)}</p>\n"
        "  </div>\n"
        f'  <section class="making-waves"><h2>Making waves today</h2>\n{picks}\n  </section>\n'
        "</main>\n" + _footer()
    )


HARD_404_HTML = (
    "<html>\n<head><title>404 Not Found</title></head>\n<body>\n<center><h1>404 Not Found</h1></center>\n"
    "<hr><center>nginx</center>\n</body>\n</html>\n"
)


# --- site assembly --------------------------------------------------------------------------------------


def _page(path: str, kind: str, verdict: str | None, status: int, **fields: Any) -> ReplicaPage:
    fields.setdefault("served_charset_label", "utf-8")
    fields.setdefault("language", "en")
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
        )
        site.page(page, _html(page, _story_html(story)))
    home = _page("/", "listing", "listing", 200)
    site.page(home, _html(home, _listing_html("Latest from the bay", _latest(len(STORIES)))))
    news = _page(NEWS, "listing", "listing", 200, section="News")
    site.page(
        news, _html(news, _listing_html("News", [s for s in _latest(len(STORIES)) if s.section == "News"]))
    )

    removed = _page(
        REMOVED,
        "soft404",
        "soft404",
        200,
        notes="Removed story still in the sitemap: status 200 with the site's own 'drifted off' page and "
        "three story openings, no error phrase. Only the per-host probe tells it from an article.",
    )
    not_here = _html(removed, _not_here_html())
    site.page(removed, not_here)
    hard = _page(
        HARD_404,
        "error",
        GONE_VERDICT,
        404,
        listed=False,
        notes="nginx's 404: every unknown path outside /story/.",
    )
    hard_reply = Reply(404, HARD_404_HTML.encode("utf-8"), "text/html; charset=utf-8", SERVER_HEADERS)
    site.page(hard, lambda _: hard_reply)

    def unknown(request: Request) -> Reply:
        """The CMS routes by story id: an unknown id gets the 200 page, anything else nginx's 404."""
        return not_here(request) if STORY_PATH.match(request.path) else hard_reply

    sitemap = _page(SITEMAP, "sitemap", None, 200)
    items = [FeedItem(s.path, s.title, s.published) for s in STORIES]
    items.append(FeedItem(REMOVED, "Harbour ferry timetable changes", "2025-05-02T09:00:00+01:00"))
    site.page(
        sitemap, xml_handler(sitemap, partial(urlset, outlet=DOMAIN, items=items), headers=SERVER_HEADERS)
    )
    return site.build(not_found=unknown, robots=("Disallow: /search",), sitemaps=(SITEMAP,))


SITE = _build()
