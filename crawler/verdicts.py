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
* ``noindex``, which never decides but is recorded and counts as corroboration.

Reasons are short machine-readable strings; the vocabulary is:
``status:<code>``, ``title-phrase:<lang>``, ``h1-phrase:<lang>``, ``text-phrase:<lang>``,
``redirect-to-home``, ``thin-text``, ``short-text``, ``full-body``, ``phrase-outweighed``,
``noindex``, ``challenge:<vendor>``, ``captcha:<vendor>``, ``consent-wall``, ``paywall``,
``login-form``, ``url:listing``, ``url:article`` (the outlet's URL classification),
``url-shape:listing`` (guessed from the URL when there is no outlet), ``link-dense``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from urllib.parse import unquote, urlsplit

from crawler.textnorm import fold
from crawler.urls import outlet_url

__all__ = [
    "GONE_VERDICT",
    "PHRASE_KINDS",
    "VERDICTS",
    "PageSignals",
    "Verdict",
    "judge",
    "load_phrases",
    "parse_phrases",
]

VERDICTS = ("article", "listing", "soft404", "error", "blocked")

# Phrase kinds in the data files; each maps to the verdict of the same name.  The order is the
# tie-break when two kinds match equally long phrases: "not there" is the most specific claim.
PHRASE_KINDS = ("soft404", "error", "blocked")

# --- thresholds (words are folded tokens; tuned so that Turkish/Arabic, which pack more meaning into
# fewer words than English, still clear them with ordinary news paragraphs) -----------------------
THIN_WORDS = 80  # below this the body cannot outweigh an error phrase
VERY_SHORT_WORDS = 25  # below this even an unclassified URL is not an article
LONG_PARAGRAPH_WORDS = 25  # an article paragraph, as opposed to a teaser or button text
ERROR_PARAGRAPH_MAX_WORDS = 40  # a paragraph this short containing a phrase is an error message
FULL_BODY_WORDS = 150
FULL_BODY_LONG_PARAGRAPHS = 2
STRONG_BODY_WORDS = 200  # needed to overrule a title/h1 that *is* an error phrase
STRONG_BODY_LONG_PARAGRAPHS = 3
LINK_DENSE = 0.6  # page-wide share of text in links: listings; yet menus push real articles to ~0.66
MAX_MARKUP_SCAN = 65_536  # html_head is meant to be ~20 KB; never scan unbounded input

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
# slash and colon only count with spaces around them: they occur inside headlines too.
_TITLE_SEPARATORS = re.compile(r"\s*(?:[|–—»«•·]|::)\s*|\s+[-/]\s+")
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

    @property
    def clean(self) -> bool:
        """A real headline: several words, no error phrase at all."""
        return self.token_count >= 3 and not self.hits and not self.dominated_by


def _analyse_headline(raw: str) -> _Headline:
    dominated: list[_Phrase] = []
    for segment in _TITLE_SEPARATORS.split(raw):
        tokens = fold(segment).split()
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
    return _Headline(dominated, hits, len(tokens))


@dataclass
class _Body:
    """Body statistics after setting aside short paragraphs that are error messages."""

    words: int
    long_paragraphs: int
    hits: list[_Phrase]  # phrases anywhere in main_text
    residual_hits: list[_Phrase]  # phrases inside the paragraphs that count as body


def _analyse_body(main_text: str, paragraph_count: int) -> _Body:
    words = 0
    long_paragraphs = 0
    chunks = 0
    hits: list[_Phrase] = []
    residual: list[_Phrase] = []
    paragraphs = _PARAGRAPH_BREAK.split(main_text)
    if len(paragraphs) == 1:
        # Text joined with single newlines (as naive extractors and leaked templates produce):
        # lines are the only paragraph structure there is.
        paragraphs = main_text.splitlines()
    for paragraph in paragraphs:
        tokens = fold(paragraph).split()
        if not tokens:
            continue
        found = [phrase for _, phrase in _match(tokens, heading=False)]
        hits.extend(found)
        # A short paragraph carrying an error phrase is the error template itself (or a leaked
        # hidden block, as on MENAFN); it is not evidence of article content.
        if found and len(tokens) < ERROR_PARAGRAPH_MAX_WORDS:
            continue
        residual.extend(found)
        chunks += 1
        words += len(tokens)
        if len(tokens) >= LONG_PARAGRAPH_WORDS:
            long_paragraphs += 1
    # Extractors that lose paragraph breaks still report how many <p> they saw.
    if chunks == 1 and paragraph_count > 1 and words / paragraph_count >= LONG_PARAGRAPH_WORDS:
        long_paragraphs = paragraph_count
    return _Body(words, long_paragraphs, hits, residual)


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


def _url_shape(url: str) -> str | None:
    """ "home", "listing" or None, guessed from the URL alone when no outlet classifies it.

    Only used to tell an index page from an article whose text failed to extract: the front page
    and language roots ("/", "/en/"), section paths of one or two short words ("/kategori/ekonomi/"),
    search/tag/archive paths and list scripts ("/news_list.aspx") are listings.  Anything with a
    slug of three or more words or any digit is left alone (None): a URL cannot prove that it *is*
    an article, and a slug may contain any word ("police-search-for-missing-climber").
    """
    parts = urlsplit(outlet_url(url))
    segments = [unquote(seg).lower() for seg in parts.path.split("/") if seg]
    if not segments:
        return None if parts.query else "home"
    words = [_PATH_WORD_SPLIT.split(_PAGE_EXTENSION.sub("", seg)) for seg in segments]
    if segments[-1] not in _LISTING_SEGMENTS and (_DIGIT.search(parts.path) or len(words[-1]) >= 3):
        return None  # ids and slugs ("/news/1", "/news/harbour-reopens-today") belong to articles
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
    body: _Body
    link_density: float
    markup: str

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
    def thin(self) -> bool:
        return self.body.words < THIN_WORDS

    @property
    def full_body(self) -> bool:
        # Link density is deliberately not part of this: it is measured over the whole page, and
        # menus plus related-article blocks push real article pages to 0.66 (fundus-dev pages).
        return self.body.words >= FULL_BODY_WORDS and self.body.long_paragraphs >= FULL_BODY_LONG_PARAGRAPHS

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
        <title>); incidental phrases are overruled by any full body (articles about 404 errors).
        """
        if self.dominated:
            return self.strong_body and any(h.clean for h in self.headlines)
        return self.full_body

    def phrase_reasons(self) -> list[str]:
        reasons = [f"title-phrase:{p.lang}" for p in [*self.title.dominated_by, *self.title.hits]]
        reasons += [f"h1-phrase:{p.lang}" for h in self.headings for p in [*h.dominated_by, *h.hits]]
        reasons += [f"text-phrase:{p.lang}" for p in self.text_hits]
        return _dedupe(reasons)


def _gather(signals: PageSignals) -> _Evidence:
    return _Evidence(
        title=_analyse_headline(signals.title),
        headings=[_analyse_headline(h) for h in signals.headings if h and h.strip()],
        lead_hits=[p for _, p in _match(fold(signals.lead_text).split(), heading=False)],
        body=_analyse_body(signals.main_text, signals.paragraph_count),
        link_density=signals.link_density,
        markup=signals.html_head[:MAX_MARKUP_SCAN].lower(),
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


# ----------------------------------------------------------------------------------------- judge


def judge(signals: PageSignals) -> Verdict:
    """Classify a page; see the module docstring for the signals and their weights.

    Order matters and follows decreasing reliability: status, challenge interstitials, redirects to
    the home page, phrase evidence weighed against the body, thin-body markers, listing signals,
    and finally body length.  The MENAFN case -- a real article whose markup carries a hidden
    "403 Sorry!! Error! We're sorry, but the page you were looking for doesn't exist." block before
    the text -- is an article even when that block leaks into ``lead_text``, ``main_text`` (as a
    short paragraph) or a heading, because a full phrase-free body and a real headline outweigh it.
    """
    ev = _gather(signals)
    status = signals.status
    noindex = ["noindex"] if signals.noindex else []
    markers = _marker_reasons(ev, signals.url)

    def verdict(name: str, *reasons: str) -> Verdict:
        extra = noindex if name != "article" else []
        return Verdict(name, _dedupe([*reasons, *extra]))

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

    outweighed = False
    # Whether phrases win is decided by where they are; *which* kind of failure it is by the most
    # specific phrase anywhere ("Error" as the title, "the page you were looking for doesn't exist"
    # in the text: a soft 404).
    strongest = _strongest([*ev.dominated, *ev.headline_hits, *ev.text_hits])
    if ev.dominated and strongest is not None:
        if ev.body_outweighs_phrases():
            outweighed = True
        else:
            thin = ["thin-text"] if ev.thin else []
            return verdict(strongest.kind, *ev.phrase_reasons(), *thin)
    elif strongest is not None:
        if ev.full_body:
            outweighed = True
        elif ev.thin and signals.url_kind != "listing":
            # (A listing's main text is always thin, and its teasers may quote anything, so there a
            # text phrase needs corroboration like on a middling page.)
            return verdict(strongest.kind, *ev.phrase_reasons(), "thin-text")
        else:
            # A middling body: one phrase is not enough, it needs corroboration.  Text hits that
            # merely repeat the headline's phrase (the h1 is part of the lead) do not count twice.
            headline_keys = {p.key for p in ev.headline_hits}
            corroboration = [
                bool(ev.headline_hits),
                any(p.key not in headline_keys for p in ev.text_hits),
                signals.noindex,
                ev.link_density >= LINK_DENSE,
            ]
            if sum(corroboration) >= 2:
                return verdict(strongest.kind, *ev.phrase_reasons())
            outweighed = True

    if ev.thin and signals.url_kind != "listing":
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
        shape = _url_shape(signals.url)
        # A front page is a listing however much teaser text it extracts to; a section-shaped path
        # only when the body is not a full article.
        if shape == "home" or (shape == "listing" and not ev.full_body):
            return verdict("listing", "url-shape:listing", *dense)
        if dense and not ev.full_body:
            return verdict("listing", *dense)

    if ev.thin:
        if signals.url_kind == "article":
            return verdict("soft404", "thin-text", "url:article")
        if ev.body.words < VERY_SHORT_WORDS or signals.noindex:
            return verdict("soft404", "thin-text")
        return verdict("article", "short-text")

    reasons = ["full-body"] if ev.full_body else []
    if outweighed:
        reasons.append("phrase-outweighed")
    return verdict("article", *reasons)
