"""Decide what a fetched page *is*: an article, a listing, a soft 404, an error page or a block page.

Step 3 of ``crawler.page.analyse_page`` (see docs/DESIGN.md).  The crawler must not archive "Sayfa
bulunamadı" templates as articles, and must not throw away real articles because some words on the
page look like an error.  So no single signal decides a 2xx page; the verdict combines:

* HTTP status (the only signal that decides alone: 5xx, 404/410, other non-2xx, and the refusal
  statuses 401/402/403/407/429/451 unless a full article body came with them);
* redirects that land a removed article on the outlet's home or section root;
* multilingual phrases (``crawler/verdict_phrases/<lang>.txt``) found in the title, the headings
  and the visible text, weighed by *where* they occur and by how much real body text there is:
  a title that *is* "Page not found" is strong evidence, an article titled "Why '404 page not
  found' errors hurt publishers" with 600 words of body is an article;
* bot-challenge / captcha / consent-wall / paywall markers in the raw markup (only when the body is
  thin, since captcha widgets and consent scripts sit on ordinary article pages too);
* the outlet's URL classification (without an outlet, the URL's shape: "/", "/en/", "/tag/x"),
  link density, body length and paragraph structure;
* ``noindex``, which never decides but is recorded and counts as corroboration;
* what the crawl learnt about the site (``crawler.probe``), when the caller has it: the
  fingerprint of the site's answer to a URL that cannot exist (``PageSignals.probe``: a page that
  matches it is the site's "not there" page, however article-like it looks), and the blocks that
  repeat on most pages of the site (``PageSignals.template_blocks``: chrome and templates, set
  aside before the phrases are looked for, so that a hidden error template the HTML parser could
  not recognise as hidden does not count against every article of the site).

Reasons are short machine-readable strings; the vocabulary is:
``status:<code>``, ``title-phrase:<lang>``, ``h1-phrase:<lang>``, ``text-phrase:<lang>``,
``redirect-to-home``, ``thin-text``, ``short-text``, ``full-body``, ``phrase-outweighed``,
``noindex``, ``challenge:<vendor>``, ``captcha:<vendor>``, ``consent-wall``, ``paywall``,
``login-form``, ``url:listing``, ``url:article`` (the outlet's URL classification),
``url-shape:listing`` (guessed from the URL when there is no outlet), ``link-dense``,
``visible-body`` (an article whose text the extractor missed: thin extraction, much visible
paragraph text, a real headline, no phrase),
``probe-match:<similarity>`` (e.g. ``probe-match:0.97``: the page matches the site's answer to
the probe), ``template-stripped`` (error phrases were set aside because they sit in the site's
repeated template blocks).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from urllib.parse import unquote, urlsplit

import numpy as np

from crawler.textnorm import fold
from crawler.urls import outlet_url

__all__ = [
    "GONE_VERDICT",
    "PHRASE_KINDS",
    "VERDICTS",
    "PageFingerprint",
    "PageSignals",
    "Verdict",
    "block_key",
    "drop_template_messages",
    "fingerprint",
    "judge",
    "load_phrases",
    "parse_phrases",
    "probe_similarity",
    "simhash",
]

VERDICTS = ("article", "listing", "soft404", "error", "blocked")

# Phrase kinds in the data files; each maps to the verdict of the same name.  The order is the
# tie-break when two kinds match equally long phrases: "not there" is the most specific claim.
PHRASE_KINDS = ("soft404", "error", "blocked")

# --- thresholds (words are folded tokens; tuned so that Turkish/Arabic, which pack more meaning into
# fewer words than English, still clear them with ordinary news paragraphs) -----------------------
THIN_WORDS = 80  # below this the body cannot outweigh an error phrase
VERY_SHORT_WORDS = 25  # below this even an unclassified URL is not an article
SHORT_ARTICLE_PARAGRAPHS = 3  # a thin body at an article URL in at least this many paragraphs is a brief
LONG_PARAGRAPH_WORDS = 25  # an article paragraph, as opposed to a teaser or button text
ERROR_PARAGRAPH_MAX_WORDS = 40  # a paragraph this short containing a phrase is an error message ...
# ... unless it is a full sentence of prose that merely mentions the phrase: an article paragraph
# ("Citizens saw 'Aradığınız sayfa bulunamadı' when they tried to download documents ...") is
# long, and the phrase covers little of it; an error message is mostly the phrase.
PROSE_PHRASE_COVERAGE = 0.25
SHORT_MESSAGE_WORDS = 12  # a block shorter than this with a phrase is a message whatever the coverage
FULL_BODY_WORDS = 150
FULL_BODY_LONG_PARAGRAPHS = 2
STRONG_BODY_WORDS = 200  # needed to overrule a title/h1 that *is* an error phrase
STRONG_BODY_LONG_PARAGRAPHS = 3
# A thin extraction of a page that visibly holds this much paragraph text is the extractor's
# failure, not a removed story (measured: real articles whose text the extractor missed show 14-80
# such blocks; error pages, soft 404s and block pages at most two).
VISIBLE_BODY_BLOCKS = 4
VISIBLE_BODY_WORDS = 250
# ... or, on a page whose title and h1 agree, this many sentence-length blocks among the few blocks
# right below the headline (a brief: the evaluation set's holdout found one whose text was missed).
OPENING_BLOCKS = 2
OPENING_BLOCK_WORDS = 15
OPENING_WINDOW = 6
LINK_DENSE = 0.6  # page-wide share of text in links: listings; yet menus push real articles to ~0.66
MAX_MARKUP_SCAN = 65_536  # html_head is meant to be ~20 KB; never scan unbounded input
LEAD_CHARS = 600  # lead_text is the start of the visible text (crawler.page.analyse_page)

# Probe matching (see ``probe_similarity``).  Similarities are 1 - (differing simhash bits / 64),
# or the share of the page's main-text words in blocks the probe's page has too.  An article of the
# site compared with the site's "not there" page scores ~0.4-0.6 on its main text (its body is its
# own) and ~0.7-0.8 on the visible text (shared chrome and teasers), on the evaluation set and the
# replica; answers to two unknown URLs score 0.8-1.0 on the main text (a rotated teaser, an echoed
# slug).  Two unrelated 64-bit simhashes agree on half their bits, +/- 0.06.
PROBE_MATCH_SAME_TITLE = 0.75
PROBE_MATCH_OTHER_TITLE = 0.9
PROBE_MATCH_SAME_TITLE_TEXT = 0.9  # no main text on either side: the visible text decides alone
PROBE_MATCH_MIN_TEXT = 0.6
SIMHASH_BITS = 64

# Statuses that mean "you may not have this" rather than "it is not there".
_REFUSAL_STATUSES = frozenset({401, 402, 403, 407, 429, 451})
_GONE_STATUSES = frozenset({404, 410})
# A hard 404/410 means "the thing is not there", the same finding as a soft 404, so it gets that
# verdict (with reason "status:404"/"status:410" telling the two apart).
GONE_VERDICT = "soft404"

# Raw-markup markers (matched against lowercased html_head).  Challenge markers are specific to
# interstitial pages -- deliberately not the scripts some vendors inject into *every* page
# (Cloudflare's /cdn-cgi/challenge-platform/scripts/jsd/, Incapsula's _Incapsula_Resource,
# PerimeterX's client script), which would flag ordinary articles.
_CHALLENGE_MARKERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "cloudflare",
        (
            "_cf_chl_opt",
            "__cf_chl_",
            "cf-browser-verification",
            "cf-challenge",
            "cf-error-details",
            "challenge-platform/h/",
            "<title>just a moment...</title>",
            "<title>attention required! | cloudflare</title>",
        ),
    ),
    ("ddos-guard", ("check.ddos-guard.net", "<title>ddos-guard</title>", "ddos protection by ddos-guard")),
    ("sucuri", ("sucuri website firewall", "sucuri_cloudproxy_js", "cloudproxy@sucuri.net")),
    ("imperva", ("incapsula incident id", "request unsuccessful. incapsula")),
    ("akamai", ("errors.edgesuite.net",)),
    ("datadome", ("captcha-delivery.com",)),
    ("perimeterx", ("px-captcha",)),
    ("qrator", ("__qrator",)),
    ("generic", ("ddos protection by", "<title>checking your browser")),
)
_CAPTCHA_MARKERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("recaptcha", ("g-recaptcha", "google.com/recaptcha", "recaptcha.net/recaptcha")),
    ("hcaptcha", ("h-captcha", "hcaptcha.com")),
    ("turnstile", ("cf-turnstile", "challenges.cloudflare.com/turnstile")),
    ("yandex", ("smartcaptcha",)),
    ("generic", ('id="captcha"', 'name="captcha"', 'class="captcha')),
)
_CONSENT_MARKERS = (
    "consent.yahoo.com",
    "guce.yahoo.com",
    "consent.google.com",
    "consent.youtube.com",
    "cookiewall",
    "cookie-wall",
    "consent-wall",
    "consentwall",
    "contentpass",
)
_PAYWALL_MARKERS = (
    "paywall",
    "regwall",
    "subscriber-only",
    "subscribers-only",
    "premium-wall",
    "metered-wall",
)
_PASSWORD_INPUT = re.compile(r"<input\b[^>]*\btype\s*=\s*[\"']?password", re.IGNORECASE)

# Title separators between the headline and the site name ("Sayfa bulunamadı | Hürriyet").  Hyphen,
# slash and guillemets only count with spaces around them: they occur inside headlines too (Russian
# and Arabic quote with « »: "«Страница не найдена»: пользователи пожаловались ...").
_TITLE_SEPARATORS = re.compile(r"\s*(?:[|–—•·]|::)\s*|\s+[-/»«›‹]\s+")
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
_SECTION_LINE = re.compile(r"^\[([a-z0-9_]+)\]$")


@dataclass
class Verdict:
    """The judgement on one page: one of ``VERDICTS`` plus the reasons that led to it."""

    name: str
    reasons: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.name not in VERDICTS:
            raise ValueError(f"unknown verdict {self.name!r}; expected one of {VERDICTS}")

    @property
    def is_article(self) -> bool:
        """Whether the page should yield an article item (everything else is archived only)."""
        return self.name == "article"


@dataclass
class PageSignals:
    """What the page analyser knows about a response, in a form that does not depend on the parser.

    ``main_text`` and ``lead_text`` are expected with hidden elements already removed; ``judge``
    still copes when a hidden error template leaked into them (see the MENAFN note in ``judge``).
    ``html_head`` is the first ~20 KB of raw markup, searched for challenge/captcha/consent/paywall
    markers that never show up in extracted text.
    """

    url: str
    status: int
    redirect_urls: Sequence[str] = ()
    home_urls: Sequence[str] = ()
    title: str = ""
    headings: Sequence[str] = ()
    main_text: str = ""
    lead_text: str = ""
    noindex: bool = False
    url_kind: str | None = None
    html_head: str = ""
    link_density: float = 0.0
    paragraph_count: int = 0
    #: The whole visible text, one line per block (the lead is its start): what a reader sees,
    #: used for the page fingerprint and to drop template blocks from the lead.
    visible_text: str = ""
    #: The fingerprint of the site's answer to the crawl's probe URL (``crawler.probe``); None when
    #: nobody probed the site (``newsarchive extract`` of a single page, unit tests).
    probe: PageFingerprint | None = None
    #: ``block_key`` of the blocks that repeat on most pages of the site (``crawler.probe``).
    template_blocks: frozenset[str] = frozenset()


# --------------------------------------------------------------------------------------- phrases


@dataclass(frozen=True)
class _Phrase:
    key: str  # folded phrase
    tokens: tuple[str, ...]
    kind: str
    lang: str
    heading_only: bool  # "=" lines: count only as (part of) a whole title/h1 segment


def parse_phrases(text: str, source: str = "<phrases>") -> dict[str, list[str]]:
    """Parse one phrase file into kind -> folded phrases (heading-only phrases keep a leading "=").

    Malformed files raise ``ValueError`` naming ``source`` and the line: a typo in a section name
    would otherwise silently drop a whole kind of evidence for a language.
    """
    result: dict[str, list[str]] = {}
    kind: str | None = None
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        section = _SECTION_LINE.match(line)
        if section:
            kind = section.group(1)
            if kind not in PHRASE_KINDS:
                raise ValueError(f"{source}:{lineno}: unknown section [{kind}]; expected {PHRASE_KINDS}")
            result.setdefault(kind, [])
            continue
        if kind is None:
            raise ValueError(f"{source}:{lineno}: phrase before any [section]")
        heading_only = line.startswith("=")
        key = fold(line[1:] if heading_only else line)
        if not key:
            raise ValueError(f"{source}:{lineno}: phrase {line!r} folds to nothing")
        entry = f"={key}" if heading_only else key
        if entry not in result[kind]:
            result[kind].append(entry)
    return result


@cache
def _load_phrase_table() -> tuple[tuple[str, tuple[tuple[str, tuple[str, ...]], ...]], ...]:
    """Read every ``verdict_phrases/*.txt`` once; immutable so the cache cannot be corrupted."""
    folder = resources.files("crawler").joinpath("verdict_phrases")
    table = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".txt"):
            continue
        lang = entry.name[: -len(".txt")]
        kinds = parse_phrases(entry.read_text(encoding="utf-8"), source=entry.name)
        table.append((lang, tuple((kind, tuple(phrases)) for kind, phrases in kinds.items())))
    return tuple(table)


def load_phrases() -> dict[str, dict[str, list[str]]]:
    """Return lang -> kind -> folded phrases (heading-only ones prefixed with "=").

    The files are read once; each call returns a fresh copy so callers may modify it freely.
    """
    return {lang: {kind: list(phrases) for kind, phrases in kinds} for lang, kinds in _load_phrase_table()}


@cache
def _phrase_index() -> dict[str, tuple[_Phrase, ...]]:
    """First token -> phrases starting with it: matching cost grows with text length, not phrase count."""
    index: dict[str, list[_Phrase]] = {}
    for lang, kinds in _load_phrase_table():
        for kind, phrases in kinds:
            for entry in phrases:
                heading_only = entry.startswith("=")
                key = entry[1:] if heading_only else entry
                phrase = _Phrase(key, tuple(key.split()), kind, lang, heading_only)
                index.setdefault(phrase.tokens[0], []).append(phrase)
    return {token: tuple(phrases) for token, phrases in index.items()}


def _match(tokens: Sequence[str], *, heading: bool) -> list[tuple[int, _Phrase]]:
    """All (start, phrase) occurrences in a folded token list; whole-word by construction.

    Equivalent to ``crawler.textnorm.contains_phrase`` on the joined tokens, but one pass over the
    text instead of one search per phrase.  Heading-only phrases are considered only if ``heading``.
    """
    index = _phrase_index()
    found: list[tuple[int, _Phrase]] = []
    for start, token in enumerate(tokens):
        for phrase in index.get(token, ()):
            if phrase.heading_only and not heading:
                continue
            end = start + len(phrase.tokens)
            if end <= len(tokens) and tuple(tokens[start:end]) == phrase.tokens:
                found.append((start, phrase))
    return found


def _strongest(phrases: Iterable[_Phrase]) -> _Phrase | None:
    """The most specific phrase: longest, then by ``PHRASE_KINDS`` order."""
    return min(phrases, key=lambda p: (-len(p.tokens), PHRASE_KINDS.index(p.kind)), default=None)


# -------------------------------------------------------------------------------------- analysis


@dataclass
class _Headline:
    """Phrase evidence in one title or heading."""

    dominated_by: list[_Phrase]  # phrases making up a whole segment ("Page not found | Site")
    hits: list[_Phrase]  # free phrases anywhere in it
    token_count: int
    key: str = ""  # the folded whole
    segments: frozenset[str] = frozenset()  # the folded segments between title separators

    @property
    def clean(self) -> bool:
        """A real headline: several words, no error phrase at all."""
        return self.token_count >= 3 and not self.hits and not self.dominated_by


def _analyse_headline(raw: str) -> _Headline:
    dominated: list[_Phrase] = []
    segments: set[str] = set()
    for segment in _TITLE_SEPARATORS.split(raw):
        tokens = fold(segment).split()
        segments.add(" ".join(tokens))
        matches = _match(tokens, heading=True)
        covered: set[int] = set()
        for start, phrase in matches:
            covered.update(range(start, start + len(phrase.tokens)))
        # A segment *is* the phrase when phrases cover at least two thirds of its words:
        # "Oops! Sayfa bulunamadı" is, "Kayıp dağcı bulunamadı" or "Route 404" is not.
        if covered and len(covered) >= 2 * (len(tokens) - len(covered)):
            dominated.extend(phrase for _, phrase in matches)
    tokens = fold(raw).split()
    hits = [phrase for _, phrase in _match(tokens, heading=False)]
    segments.discard("")
    return _Headline(dominated, hits, len(tokens), " ".join(tokens), frozenset(segments))


@dataclass
class _Body:
    """Body statistics after setting aside short paragraphs that are error messages."""

    words: int
    long_paragraphs: int
    hits: list[_Phrase]  # phrases anywhere in main_text
    residual_hits: list[_Phrase]  # phrases inside the paragraphs that count as body
    message_hits: list[_Phrase] = field(default_factory=list)  # phrases in error-message paragraphs


def _is_message(tokens: Sequence[str], found: Sequence[tuple[int, _Phrase]]) -> bool:
    """Whether a block carrying phrases is an error message rather than prose that mentions one.

    A short block with a phrase is a message (or a leaked template line); a block of sentence
    length in which the phrases cover little is prose.
    """
    if not found or len(tokens) >= ERROR_PARAGRAPH_MAX_WORDS:
        return False
    if len(tokens) < SHORT_MESSAGE_WORDS:
        return True
    covered = {i for start, phrase in found for i in range(start, start + len(phrase.tokens))}
    return len(covered) >= PROSE_PHRASE_COVERAGE * len(tokens)


def _analyse_lead(lead_text: str) -> tuple[list[_Phrase], list[_Phrase]]:
    """(all phrases, phrases in message-like lines) of the lead, one block per line."""
    hits: list[_Phrase] = []
    messages: list[_Phrase] = []
    for line in lead_text.splitlines():
        tokens = fold(line).split()
        found = _match(tokens, heading=False)
        hits.extend(phrase for _, phrase in found)
        if _is_message(tokens, found):
            messages.extend(phrase for _, phrase in found)
    return hits, messages


def _analyse_body(main_text: str, paragraph_count: int) -> _Body:
    words = 0
    long_paragraphs = 0
    chunks = 0
    hits: list[_Phrase] = []
    residual: list[_Phrase] = []
    messages: list[_Phrase] = []
    paragraphs = _PARAGRAPH_BREAK.split(main_text)
    if len(paragraphs) == 1:
        # Text joined with single newlines (as naive extractors and leaked templates produce):
        # lines are the only paragraph structure there is.
        paragraphs = main_text.splitlines()
    for paragraph in paragraphs:
        tokens = fold(paragraph).split()
        if not tokens:
            continue
        matches = _match(tokens, heading=False)
        found = [phrase for _, phrase in matches]
        hits.extend(found)
        # A short paragraph carrying an error phrase is the error template itself (or a leaked
        # hidden block, as on MENAFN); it is not evidence of article content.
        if _is_message(tokens, matches):
            messages.extend(found)
            continue
        residual.extend(found)
        chunks += 1
        words += len(tokens)
        if len(tokens) >= LONG_PARAGRAPH_WORDS:
            long_paragraphs += 1
    # Extractors that lose paragraph breaks still report how many <p> they saw.
    if chunks == 1 and paragraph_count > 1 and words / paragraph_count >= LONG_PARAGRAPH_WORDS:
        long_paragraphs = paragraph_count
    return _Body(words, long_paragraphs, hits, residual, messages)


def _markers(html_head: str, vendors: tuple[tuple[str, tuple[str, ...]], ...]) -> str | None:
    for vendor, needles in vendors:
        if any(needle in html_head for needle in needles):
            return vendor
    return None


def _url_key(url: str) -> tuple[str, str]:
    """(site, path) for comparing URLs across scheme, "www.", trailing slash, query and fragment.

    Replica URLs (docs/DESIGN.md) are mapped to the outlet's real URL first, so a replica crawl
    compares equal to the outlet's configured home and section URLs.
    """
    parts = urlsplit(outlet_url(url.strip()))
    host = (parts.hostname or "").lower().removeprefix("www.")
    return host, "/".join(s for s in parts.path.lower().split("/") if s)


def _redirected_to_home(signals: PageSignals) -> bool:
    """A removed article is often 301'd to the front page or its section: that is a soft 404."""
    if not signals.redirect_urls:
        return False
    homes = {_url_key(u) for u in signals.home_urls}
    origin = _url_key(signals.redirect_urls[0])
    final = _url_key(signals.url)
    landed_home = final in homes or not final[1]
    origin_is_article = bool(origin[1]) and origin not in homes and origin != final
    return landed_home and origin_is_article


# Path segments that mark listing pages on sites the crawler has no outlet for (generic extraction).
_LISTING_SEGMENTS = frozenset(
    (
        "search",
        "tag",
        "tags",
        "topic",
        "topics",
        "category",
        "categories",
        "kategori",
        "section",
        "rubric",
        "rubrika",
        "archive",
        "arsiv",
        "arşiv",
        "author",
        "yazar",
    )
)
_PATH_WORD_SPLIT = re.compile(r"[-_+\s.]+")
_SCRIPT_EXTENSION = re.compile(r"\.(?:aspx?|php|jsp|cfm)$")
_PAGE_EXTENSION = re.compile(r"\.(?:s?html?|aspx?|php|jsp|cfm)$")
_DIGIT = re.compile(r"\d")
_QUERY_ID = re.compile(r"(?:^|&)[^=&]*=\d{3,}(?:&|$)")  # a parameter whose value is an id


def _url_shape(url: str) -> str | None:
    """ "home", "listing", "article" or None, guessed from the URL alone when no outlet classifies it.

    Only used to tell an index page from an article whose text failed to extract: the front page
    and language roots ("/", "/en/"), section paths of one or two short words ("/kategori/ekonomi/"),
    search/tag/archive paths and list scripts ("/news_list.aspx") are listings.  A last segment
    that is a slug of three or more words, under no search/tag/archive segment, is "article"
    (which only keeps a thin, link-dense page there from passing as a listing: a URL cannot prove
    that it *is* an article).  Anything else with a digit is left alone (None).
    """
    parts = urlsplit(outlet_url(url))
    segments = [unquote(seg).lower() for seg in parts.path.split("/") if seg]
    if not segments:
        return None if parts.query else "home"
    if _QUERY_ID.search(parts.query):
        return None  # "/story.php?id=20931": the id is in the query

    words = [_PATH_WORD_SPLIT.split(_PAGE_EXTENSION.sub("", seg)) for seg in segments]
    if len(words[-1]) >= 3 and not any(seg in _LISTING_SEGMENTS for seg in segments):
        return "article"  # "/news/harbour-reopens-today", "/en/police-search-for-missing-climber"
    if segments[-1] not in _LISTING_SEGMENTS and (_DIGIT.search(parts.path) or len(words[-1]) >= 3):
        return None  # ids and tagged slugs ("/news/1", "/tag/climate-change-news") are left alone
    if any(seg in _LISTING_SEGMENTS for seg in segments):
        return "listing"
    last = segments[-1]
    if _SCRIPT_EXTENSION.search(last) and _PATH_WORD_SPLIT.split(_SCRIPT_EXTENSION.sub("", last))[-1] in (
        "list",
        "index",
    ):
        return "listing"
    if _DIGIT.search(parts.path):
        return None  # dates ("/2025/05/13/") belong to articles as often as not
    if len(segments) <= 2 and all(len(seg) <= 2 for seg in words):
        return "listing"
    return None


def _dedupe(reasons: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(reasons))


@dataclass
class _Evidence:
    """Everything ``judge`` weighs, computed once."""

    title: _Headline
    headings: list[_Headline]
    lead_hits: list[_Phrase]
    lead_message_hits: list[_Phrase]
    body: _Body
    link_density: float
    markup: str
    templates_stripped: bool = False
    visible_lines: list[str] = field(default_factory=list)

    @property
    def headlines(self) -> list[_Headline]:
        return [self.title, *self.headings]

    @property
    def dominated(self) -> list[_Phrase]:
        return [p for h in self.headlines for p in h.dominated_by]

    @property
    def headline_hits(self) -> list[_Phrase]:
        return [p for h in self.headlines for p in h.hits]

    @property
    def text_hits(self) -> list[_Phrase]:
        return [*self.lead_hits, *self.body.hits]

    @property
    def message_hits(self) -> list[_Phrase]:
        """Phrases in blocks that are error messages, not prose mentioning them."""
        return [*self.lead_message_hits, *self.body.message_hits]

    @property
    def thin(self) -> bool:
        return self.body.words < THIN_WORDS

    @property
    def full_body(self) -> bool:
        # Link density is deliberately not part of this: it is measured over the whole page, and
        # menus plus related-article blocks push real article pages to 0.66 (fundus-dev pages).
        return self.body.words >= FULL_BODY_WORDS and self.body.long_paragraphs >= FULL_BODY_LONG_PARAGRAPHS

    @property
    def visible_body(self) -> bool:
        """An article a reader sees, however little of it the extractor kept.

        Either much paragraph-length text anywhere on the page, or a page that names itself (title
        and h1 agree on a real headline) with sentences right below that headline: a two-paragraph
        brief whose text the extractor missed (it kept the kicker, "Breaking").
        """
        long_blocks = _long_blocks(self.visible_lines)
        if len(long_blocks) >= VISIBLE_BODY_BLOCKS and sum(long_blocks) >= VISIBLE_BODY_WORDS:
            return True
        return self.names_itself and self.story_opening() >= OPENING_BLOCKS

    def story_opening(self) -> int:
        """Sentence-length blocks among the few visible blocks right after the page's own headline."""
        named = {h.key for h in self.headings if h.clean and h.key in self.title.segments}
        for index, line in enumerate(self.visible_lines):
            if block_key(line) in named:
                following = self.visible_lines[index + 1 : index + 1 + OPENING_WINDOW]
                return sum(1 for block in following if len(fold(block).split()) >= OPENING_BLOCK_WORDS)
        return 0

    @property
    def strong_body(self) -> bool:
        return (
            self.body.words >= STRONG_BODY_WORDS
            and self.body.long_paragraphs >= STRONG_BODY_LONG_PARAGRAPHS
            and not self.body.residual_hits
        )

    def body_outweighs_phrases(self) -> bool:
        """Whether the article body beats the phrase evidence.

        A headline that *is* an error phrase is only overruled by a strong, phrase-free body plus
        another headline that is a real one (a hidden "403 Sorry!! Error!" h1 next to the real
        <title>), or by an ordinary phrase-free body when title and h1 agree on a real headline
        (``names_itself``); incidental phrases are overruled by any full body (articles about 404
        errors).
        """
        if self.dominated:
            if (
                self.names_itself
                and not self.thin
                and self.body.long_paragraphs >= 2
                and not self.body.residual_hits
            ):
                return True
            return self.strong_body and any(h.clean for h in self.headlines)
        return self.full_body

    @property
    def names_itself(self) -> bool:
        """The <title> and a clean h1 / og:title carry the same real headline.

        That is what an article page does and a "not found" page does not (it either keeps the
        site's name in the title, or the story's name in the title and the error in the h1); so an
        error heading beside such a pair is a template that leaked past the hiding rules, and a
        body of ordinary length outweighs it.
        """
        return any(h.clean and h.key in self.title.segments for h in self.headings)

    def phrase_reasons(self) -> list[str]:
        reasons = [f"title-phrase:{p.lang}" for p in [*self.title.dominated_by, *self.title.hits]]
        reasons += [f"h1-phrase:{p.lang}" for h in self.headings for p in [*h.dominated_by, *h.hits]]
        reasons += [f"text-phrase:{p.lang}" for p in self.text_hits]
        return _dedupe(reasons)


def _gather(signals: PageSignals) -> _Evidence:
    text = _strip_templates(signals)
    lead_hits, lead_messages = _analyse_lead(text.lead)
    return _Evidence(
        title=_analyse_headline(signals.title),
        headings=[_analyse_headline(h) for h in text.headings if h and h.strip()],
        lead_hits=lead_hits,
        lead_message_hits=lead_messages,
        body=_analyse_body(text.main, text.paragraph_count),
        link_density=signals.link_density,
        markup=signals.html_head[:MAX_MARKUP_SCAN].lower(),
        templates_stripped=text.phrases_removed,
        visible_lines=text.visible_lines,
    )


def _marker_reasons(ev: _Evidence, final_url: str) -> list[str]:
    """Block-page markers found in the markup, strongest first."""
    reasons = []
    if vendor := _markers(ev.markup, _CHALLENGE_MARKERS):
        reasons.append(f"challenge:{vendor}")
    if vendor := _markers(ev.markup, _CAPTCHA_MARKERS):
        reasons.append(f"captcha:{vendor}")
    host = (urlsplit(final_url).hostname or "").lower()
    if host.startswith(("consent.", "guce.")) or any(m in ev.markup for m in _CONSENT_MARKERS):
        reasons.append("consent-wall")
    if any(m in ev.markup for m in _PAYWALL_MARKERS):
        reasons.append("paywall")
    if _PASSWORD_INPUT.search(ev.markup):
        reasons.append("login-form")
    return reasons


# ------------------------------------------------------------ fingerprints and template blocks


def block_key(text: str) -> str:
    """The key under which a block (a line of visible text, a paragraph, a heading) is compared.

    Folded, so that the same template block compares equal whatever its case, spacing or
    punctuation on one page or another.
    """
    return fold(text)


def simhash(text: str) -> int:
    """64-bit simhash of the folded text's word 3-shingles (words when there are fewer than 3).

    Near-identical texts get hashes that differ in few bits: a site's "not there" page that echoes
    the requested slug or rotates one teaser stays within a few bits of the probe's.  Each distinct
    shingle counts once.  0 for an empty text.
    """
    tokens = fold(text).split()
    if not tokens:
        return 0
    size = min(3, len(tokens))
    shingles = {" ".join(tokens[i : i + size]) for i in range(len(tokens) - size + 1)}
    # The shingles' 8-byte digests as an (n, 64) bit matrix, most significant bit first; the "1"s
    # are counted per column in numpy (the pure-Python column count was most of a page's verdict
    # time on soft-404 sites, where every page is fingerprinted).
    digests = b"".join(hashlib.blake2b(s.encode("utf-8"), digest_size=8).digest() for s in shingles)
    bits = np.unpackbits(np.frombuffer(digests, dtype=np.uint8).reshape(len(shingles), 8), axis=1)
    majority = np.packbits(bits.sum(axis=0) > len(shingles) / 2)
    return int.from_bytes(majority.tobytes(), "big")


def _hash_similarity(a: int, b: int, a_words: int, b_words: int) -> float:
    if not a_words or not b_words:
        return 1.0 if a_words == b_words else 0.0
    return 1.0 - (a ^ b).bit_count() / SIMHASH_BITS


@dataclass(frozen=True)
class PageFingerprint:
    """What identifies a page's answer regardless of the URL asked: the probe comparison's unit.

    ``url`` is the final (outlet) URL after redirects; ``text`` hashes the whole visible text,
    ``main`` the extracted main text (which, for a real article, is its own body).  ``blocks``
    holds a short hash of every visible block and main-text paragraph, ``main_blocks`` the (hash,
    word count) of each main-text paragraph: a page whose main text is made of the probe's
    blocks is the probe's page even when a rotating teaser moved its simhash.
    """

    status: int
    url: str
    redirected: bool
    title: str  # folded
    text: int
    text_words: int
    main: int
    main_words: int
    blocks: frozenset[int] = frozenset()
    main_blocks: tuple[tuple[int, int], ...] = ()

    def as_dict(self) -> dict[str, object]:
        """JSON-safe form (hashes as hex strings), for logs and reports."""
        return {
            "status": self.status,
            "url": self.url,
            "redirected": self.redirected,
            "title": self.title,
            "text": f"{self.text:016x}",
            "text_words": self.text_words,
            "main": f"{self.main:016x}",
            "main_words": self.main_words,
        }


def _block_hash(key: str) -> int:
    return int.from_bytes(hashlib.blake2b(key.encode("utf-8"), digest_size=8).digest(), "big")


def fingerprint(signals: PageSignals) -> PageFingerprint:
    """The page's fingerprint, from the same signals the verdict is computed from."""
    visible = signals.visible_text or signals.lead_text
    main_keys = [block_key(p) for p in _paragraphs(signals.main_text)]
    main_blocks = tuple((_block_hash(k), len(k.split())) for k in main_keys if k)
    blocks = {_block_hash(k) for k in map(block_key, visible.splitlines()) if k}
    blocks.update(h for h, _ in main_blocks)
    return PageFingerprint(
        status=signals.status,
        url=outlet_url(signals.url),
        redirected=bool(signals.redirect_urls),
        title=fold(signals.title),
        text=simhash(visible),
        text_words=len(visible.split()),
        main=simhash(signals.main_text),
        main_words=len(signals.main_text.split()),
        blocks=frozenset(blocks),
        main_blocks=main_blocks,
    )


def probe_similarity(page: PageFingerprint, probe: PageFingerprint) -> float | None:
    """How surely ``page`` is the site's answer to the probe (a URL that cannot exist); None: not.

    Same status, and then either both were redirected to the same place (the site sends unknown
    URLs to one landing page), or the page's main text is the probe's: near-identical by simhash
    (an echoed slug changes a few bits), or made of the probe's own blocks (a rotated teaser
    changes many bits but only one block).  It is the main text that keeps a short article out,
    whose page is mostly the same chrome and teasers as the probe's answer but whose body is its
    own; the visible text must be alike too.  A different title needs a closer match.  Without
    main text on either side, the whole visible text must be near-identical.  The landing page
    itself, fetched directly, is not a match.
    """
    if page.status != probe.status:
        return None
    if probe.redirected and page.url == probe.url:
        return 1.0 if page.redirected else None
    same_title = page.title == probe.title
    text = _hash_similarity(page.text, probe.text, page.text_words, probe.text_words)
    if not page.main_words and not probe.main_words:
        needed = PROBE_MATCH_SAME_TITLE_TEXT if same_title else PROBE_MATCH_OTHER_TITLE
        return text if text >= needed else None
    if text < PROBE_MATCH_MIN_TEXT:
        return None
    main = _hash_similarity(page.main, probe.main, page.main_words, probe.main_words)
    words = sum(n for _, n in page.main_blocks)
    shared = sum(n for h, n in page.main_blocks if h in probe.blocks)
    score = max(main, shared / words if words else 0.0)
    needed = PROBE_MATCH_SAME_TITLE if same_title else PROBE_MATCH_OTHER_TITLE
    return score if score >= needed else None


@dataclass
class _Stripped:
    """The page's text with the site's template blocks set aside."""

    headings: list[str]
    lead: str
    main: str
    paragraph_count: int
    phrases_removed: bool  # a removed block carried an error phrase
    #: The visible text's blocks, one per line, templates set aside.
    visible_lines: list[str] = field(default_factory=list)


def _long_blocks(lines: Iterable[str]) -> list[int]:
    counts = (len(fold(line).split()) for line in lines)
    return [n for n in counts if n >= LONG_PARAGRAPH_WORDS]


def drop_template_messages(paragraphs: Sequence[str], templates: frozenset[str]) -> list[str]:
    """The paragraphs without the site's template blocks that carry an error phrase.

    Such a block repeats on most pages of the site *and* says "not found" or "error": it is a
    template that leaked past the hiding rules (an error block hidden by an external stylesheet),
    never a paragraph of the article, so it is kept out of the text as well as out of the verdict.
    Template blocks without an error phrase stay: the article text is not cut by guesswork.
    """
    if not templates:
        return list(paragraphs)
    return [
        p for p in paragraphs if not (block_key(p) in templates and _match(fold(p).split(), heading=True))
    ]


def _paragraphs(main_text: str) -> list[str]:
    """Paragraphs as ``_analyse_body`` sees them: blank-line separated, else one per line."""
    paragraphs = _PARAGRAPH_BREAK.split(main_text)
    return main_text.splitlines() if len(paragraphs) == 1 else paragraphs


def _strip_templates(signals: PageSignals) -> _Stripped:
    templates = signals.template_blocks
    if not templates:
        return _Stripped(
            list(signals.headings),
            signals.lead_text,
            signals.main_text,
            signals.paragraph_count,
            False,
            signals.visible_text.splitlines(),
        )
    removed: list[str] = []

    def keep(block: str) -> bool:
        if block_key(block) in templates:
            removed.append(block)
            return False
        return True

    headings = [h for h in signals.headings if keep(h)]
    lines = [line for line in (signals.visible_text or signals.lead_text).splitlines() if keep(line)]
    lead = "\n".join(lines)[:LEAD_CHARS]
    paragraphs = _paragraphs(signals.main_text)
    kept = [p for p in paragraphs if keep(p)]
    dropped = sum(1 for p in paragraphs if p.strip()) - sum(1 for p in kept if p.strip())
    phrases_removed = any(_match(fold(block).split(), heading=True) for block in removed)
    return _Stripped(
        headings,
        lead,
        "\n\n".join(kept) if len(kept) != len(paragraphs) else signals.main_text,
        max(0, signals.paragraph_count - dropped),
        phrases_removed,
        lines if signals.visible_text else [],
    )


# ----------------------------------------------------------------------------------------- judge


def judge(signals: PageSignals) -> Verdict:
    """Classify a page; see the module docstring for the signals and their weights.

    Order matters and follows decreasing reliability: status, challenge interstitials, redirects to
    the home page, a match with the site's answer to the crawl's probe, phrase evidence weighed
    against the body, thin-body markers, listing signals, and finally body length (where a thin
    extraction of a page that visibly holds an article is the extractor's failure, not a removed
    story).  Phrases are looked for after the site's template blocks are set aside (when the crawl
    knows them: ``PageSignals.template_blocks``).  The MENAFN case -- a real article whose markup carries a hidden
    "403 Sorry!! Error! We're sorry, but the page you were looking for doesn't exist." block before
    the text -- is an article even when that block leaks into ``lead_text``, ``main_text`` (as a
    short paragraph) or a heading, because a full phrase-free body and a real headline outweigh it
    (an ordinary body suffices when title and h1 agree on the headline).
    """
    ev = _gather(signals)
    status = signals.status
    noindex = ["noindex"] if signals.noindex else []
    markers = _marker_reasons(ev, signals.url)

    def verdict(name: str, *reasons: str) -> Verdict:
        extra = noindex if name != "article" else []
        stripped = ["template-stripped"] if ev.templates_stripped else []
        return Verdict(name, _dedupe([*reasons, *stripped, *extra]))

    if status >= 500:
        return verdict("error", f"status:{status}", *ev.phrase_reasons())
    if status in _GONE_STATUSES:
        return verdict(GONE_VERDICT, f"status:{status}")
    if status in _REFUSAL_STATUSES:
        # Some outlets answer 403/451 yet send the full article (geo or bot rules applied late).
        if ev.body_outweighs_phrases() and not ev.body.residual_hits:
            return verdict("article", f"status:{status}", "full-body")
        return verdict("blocked", f"status:{status}", *markers, *ev.phrase_reasons())
    if not 200 <= status < 300:
        # 1xx/3xx reaching the analyser (unfollowed or looping redirects) and other 4xx: no content.
        return verdict("error", f"status:{status}")

    challenge = [m for m in markers if m.startswith("challenge:")]
    if challenge and not ev.full_body:
        return verdict("blocked", *challenge, *ev.phrase_reasons())

    if _redirected_to_home(signals):
        return verdict("soft404", "redirect-to-home")

    # Whether phrases win is decided by where they are; *which* kind of failure it is by the most
    # specific phrase anywhere ("Error" as the title, "the page you were looking for doesn't exist"
    # in the text: a soft 404).
    strongest = _strongest([*ev.dominated, *ev.headline_hits, *ev.text_hits])
    shape = _url_shape(signals.url) if signals.url_kind is None else None
    # A listing by the outlet's word or by its URL's shape (front page, section, tag, search): its
    # teasers may quote anything, and its main text is always thin and its links dense, so none of
    # that is evidence against it.  (A dead section whose title says so is still caught: a title
    # made of an error phrase decides before this matters.)
    listing_like = signals.url_kind == "listing" or shape in ("home", "listing")

    # (A page whose status differs from the probe's answer never matches it: checked before the
    # fingerprint, whose hashing of the whole page costs more than the rest of the verdict.)
    if signals.probe is not None and not listing_like and status == signals.probe.status:
        # The site's answer to a URL that cannot exist: whatever it looks like, it is not there
        # (or, when the site is down, the same error page for every URL: its phrases say which).
        similarity = probe_similarity(fingerprint(signals), signals.probe)
        if similarity is not None:
            # Which failure: what the headlines say, or a short message says; teasers on a long
            # page may quote anything.
            said = strongest is not None and (ev.dominated or ev.headline_hits or ev.thin)
            kind = strongest.kind if said and strongest is not None else "soft404"
            return verdict(kind, f"probe-match:{similarity:.2f}", *ev.phrase_reasons())

    outweighed = False
    if ev.dominated and strongest is not None:
        if ev.body_outweighs_phrases():
            outweighed = True
        else:
            thin = ["thin-text"] if ev.thin else []
            return verdict(strongest.kind, *ev.phrase_reasons(), *thin)
    elif strongest is not None:
        if ev.full_body:
            outweighed = True
        elif (
            ev.thin
            and not listing_like
            and (ev.headline_hits or ev.message_hits or not any(h.clean for h in ev.headlines))
        ):
            # (A listing's main text is always thin, and its teasers may quote anything, so there a
            # text phrase needs corroboration like on a middling page; and a phrase mentioned in a
            # sentence of prose only counts on a page without a real headline: a block notice
            # written in legal prose, not a brief that quotes one.)
            return verdict(strongest.kind, *ev.phrase_reasons(), "thin-text")
        elif ev.thin and not listing_like:
            outweighed = True
        else:
            # A middling body: one phrase is not enough, it needs corroboration.  Text hits that
            # merely repeat the headline's phrase (the h1 is part of the lead) do not count twice.
            headline_keys = {p.key for p in ev.headline_hits}
            corroboration = [
                bool(ev.headline_hits),
                any(p.key not in headline_keys for p in ev.message_hits),
                signals.noindex,
                ev.link_density >= LINK_DENSE and not listing_like,
            ]
            if sum(corroboration) >= 2:
                return verdict(strongest.kind, *ev.phrase_reasons())
            outweighed = True

    # The extractor kept little, but the page visibly holds an article: no phrase says otherwise
    # and a real headline names it.  Judged an article (reason "visible-body") so that the
    # extraction failure shows in the output instead of passing for a removed story.
    extraction_failed = (
        ev.thin and strongest is None and ev.visible_body and any(h.clean for h in ev.headlines)
    )

    if ev.thin and not listing_like and not extraction_failed:
        # Captcha widgets, consent scripts and paywall code sit on ordinary pages too, and listing
        # pages often extract to little text: markers only decide for a thin non-listing page.
        wall = [m for m in markers if m.startswith("captcha:") or m in ("consent-wall", "paywall")]
        if wall:
            login = ["login-form"] if "login-form" in markers else []
            return verdict("blocked", *wall, *login)

    dense = ["link-dense"] if ev.link_density >= LINK_DENSE else []
    if signals.url_kind == "listing":
        return verdict("listing", "url:listing", *dense)
    if signals.url_kind is None:
        # A front page is a listing however much teaser text it extracts to; a section-shaped path
        # only when the body is not a full article.
        if shape == "home" or (shape == "listing" and not ev.full_body):
            return verdict("listing", "url-shape:listing", *dense)
        # (A thin page at an article-shaped URL is a removed story's shell, however few links
        # its chrome holds against its text.)
        if dense and not ev.full_body and not (shape == "article" and ev.thin):
            return verdict("listing", *dense)

    if extraction_failed:
        return verdict("article", "visible-body")
    if ev.thin:
        # At an article URL, a body that is nearly nothing is a removed story's shell; a brief of
        # several paragraphs is a short article (60-80 words are common in Azerbaijani and Turkish
        # briefs, whose words carry more than English ones).
        if signals.url_kind == "article" and (
            ev.body.words < VERY_SHORT_WORDS or signals.paragraph_count < SHORT_ARTICLE_PARAGRAPHS
        ):
            return verdict("soft404", "thin-text", "url:article")
        if ev.body.words < VERY_SHORT_WORDS or signals.noindex:
            return verdict("soft404", "thin-text")
        return verdict("article", "short-text")

    reasons = ["full-body"] if ev.full_body else []
    if outweighed:
        reasons.append("phrase-outweighed")
    return verdict("article", *reasons)
