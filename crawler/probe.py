"""What a crawl learns about a site beyond one page: the per-host probe and the template memory.

A page alone cannot always say whether it is an article.  Some sites answer an unknown story id
with status 200 and a friendly page in their own words ("Lost at sea? The link you followed leads
nowhere ... here is what our newsroom is reading today") that no phrase list knows, padded with
teasers until it looks like an article.  And an error template hidden by a stylesheet the HTML
parser never sees (an external CSS file) shows up as text on every article of the site.  The crawl
can know both, because it sees many pages of one site:

* **The probe.**  Once per host and crawl, before the first article of the host is fetched, the
  spider asks for a URL that cannot exist but looks like the host's article URLs
  (``OutletSpider.probe_url``: the article id changed, not only the slug, since news sites route
  by id).  The answer's fingerprint (status, final URL, title, simhashes of the visible and the
  main text: ``crawler.verdicts.PageFingerprint``) travels with every later page of the host to
  ``crawler.verdicts.judge``; pages that match it are the site's "not there" page
  (``probe-match:0.97``).  The probe is an ordinary Scrapy request: robots.txt, delays and
  AutoThrottle apply, and the WARC extension archives it like every other exchange.  Article
  requests of a host wait (``ProbeMiddleware``) until its probe is answered or has failed, so
  that every article is judged with it.
* **The template memory.**  Blocks of visible text (lines, paragraphs, headings) that repeat on
  most accepted pages of a host are the site's chrome or templates; they are set aside before the
  error phrases are looked for (``PageSignals.template_blocks``).  Only pages with content teach
  it: judged articles, and any page whose main text is more than thin (whatever its verdict: a
  leaked template may well have got the site's first articles rejected).  An outage that serves
  the same short maintenance page everywhere teaches nothing.  A page counts once however many
  URLs serve it, and a block needs at least ``TEMPLATE_MIN_PAGES`` pages and half of the host's
  pages.  The memory only changes what is *judged*: the article text
  that is written out is never cut by it.

``SiteEvidence`` holds both per host.  The spider judges every page through it, and
``newsarchive extract`` replays a crawl's WARC files through it (``replay_evidence`` finds the
archived probes again: ``probe_url`` is deterministic), so the archive alone reproduces the
crawl's verdicts.
"""

from __future__ import annotations

import hashlib
import logging
import math
import re
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from scrapy import signals
from scrapy.exceptions import DontCloseSpider, IgnoreRequest
from scrapy.http import Request, Response
from twisted.python.failure import Failure

from crawler.page import PageResult, analyse_page
from crawler.urls import outlet_url
from crawler.verdicts import THIN_WORDS, PageFingerprint, block_key, fingerprint

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

    from crawler.outlet import OutletSpider

logger = logging.getLogger(__name__)

__all__ = [
    "PROBE_META",
    "PROBE_SLUG",
    "HostEvidence",
    "ProbeMiddleware",
    "SiteEvidence",
    "TemplateMemory",
    "default_probe_url",
    "replay_evidence",
]

#: Request meta key marking a probe request; its value is the host the probe is for.
PROBE_META = "newsarchive_probe"
#: The slug a probe URL carries instead of the article's: tells a site's operator what it is.
PROBE_SLUG = "newsarchive-probe"

# Template memory thresholds.  A block must repeat on at least this many distinct accepted pages,
# and on at least this share of them, before it counts as the site's template.
TEMPLATE_MIN_PAGES = 5
TEMPLATE_SHARE = 0.5
#: Distinct blocks remembered per host; beyond it, blocks seen on one page only are forgotten.
TEMPLATE_MAX_BLOCKS = 20_000
#: A site's template is known long before this many pages; learning stops there (memory, time).
TEMPLATE_LEARN_PAGES = 2_000


# ------------------------------------------------------------------------------------ probe URLs

_ID_RUN = re.compile(r"\d{4,}")
_YEAR = re.compile(r"(?:19|20)\d\d")
_SLUG_TOKEN_SPLIT = re.compile(r"[-_]+")
_EXTENSION = re.compile(r"\.[A-Za-z]{2,5}$")


def _unused_id(digits: str) -> str:
    """An id of the same length and leading digit, far beyond any the site has published.

    Same length, because sites validate id formats (and an id past 32 bits can make an ASP.NET
    page fail with a 500 instead of answering "not found"); leading digit kept and the rest
    nines, because news ids grow with time and this one lies years ahead.
    """
    candidate = digits[0] + "9" * (len(digits) - 1)
    return candidate if candidate != digits else digits[0] + "8" * (len(digits) - 1)


def _is_slug(segment: str) -> bool:
    stem = _EXTENSION.sub("", segment)
    words = [t for t in _SLUG_TOKEN_SPLIT.split(stem) if t and not t.isdigit()]
    return len(words) >= 2


def _probe_slug(segment: str) -> str:
    """The segment with its words replaced by ``PROBE_SLUG``, keeping digits runs and extension."""
    extension = _EXTENSION.search(segment)
    stem = segment[: extension.start()] if extension else segment
    out: list[str] = []
    for token in _SLUG_TOKEN_SPLIT.split(stem):
        if token.isdigit():
            out.append(token)
        elif PROBE_SLUG not in out:
            out.append(PROBE_SLUG)
    return "-".join(out) + (extension.group() if extension else "")


def default_probe_url(article_url: str) -> str | None:
    """A URL shaped like ``article_url`` that cannot exist on the site; None when none can be made.

    The article id (the last run of four or more digits in the path that is not a year segment,
    else an all-digit query value) becomes ``_unused_id``; a hyphenated slug in the last two path
    segments becomes ``PROBE_SLUG``; without an id, the last path segment does.  Deterministic, so
    that a replay of the archive finds the probe again.  Outlets with other URL schemes override
    ``OutletSpider.probe_url``.
    """
    parts = urlsplit(article_url)
    segments = parts.path.split("/")
    query = parts.query
    id_found = False
    for i in reversed(range(len(segments))):
        segment = segments[i]
        if _YEAR.fullmatch(segment):
            continue
        runs = list(_ID_RUN.finditer(segment))
        if runs:
            run = runs[-1]
            segments[i] = segment[: run.start()] + _unused_id(run.group()) + segment[run.end() :]
            id_found = True
            break
    if not id_found and query:
        pairs = parse_qsl(query, keep_blank_values=True)
        for index, (key, value) in enumerate(pairs):
            if value.isdigit() and len(value) >= 3:
                pairs[index] = (key, _unused_id(value))
                query = urlencode(pairs)
                id_found = True
                break
    filled = [i for i, s in enumerate(segments) if s]
    if not filled:
        return None
    slugs = [i for i in filled[-2:] if _is_slug(segments[i])]
    if slugs:
        segments[slugs[-1]] = _probe_slug(segments[slugs[-1]])
    elif not id_found:
        segments[filled[-1]] = _probe_slug(segments[filled[-1]])
    probe = urlunsplit((parts.scheme, parts.netloc, "/".join(segments), query, ""))
    return None if probe == article_url else probe


# ------------------------------------------------------------------------------ template memory


class TemplateMemory:
    """Counts, per block, on how many distinct accepted pages of one host it appeared."""

    def __init__(self) -> None:
        self.pages = 0
        self._counts: Counter[str] = Counter()
        self._documents: set[bytes] = set()
        self._cache: tuple[int, frozenset[str]] = (-1, frozenset())
        #: The blocks at or above the current threshold, kept up to date by ``learn``: recounting
        #: every remembered block after each learnt page was a tenth of the page analysis.
        self._found: set[str] = set()

    def learn(self, result: PageResult) -> bool:
        """Count the blocks of a page with content; returns whether the page was counted."""
        signals = result.signals
        if signals is None or self.pages >= TEMPLATE_LEARN_PAGES:
            return False
        if result.verdict != "article" and len(signals.main_text.split()) < THIN_WORDS:
            return False
        # The same document under several URLs (tracking parameters, AMP, print) counts once:
        # otherwise its own paragraphs would soon "repeat on most pages".
        document = hashlib.blake2b(
            (signals.main_text or signals.visible_text).encode("utf-8"), digest_size=16
        ).digest()
        if document in self._documents:
            return False
        self._documents.add(document)
        blocks = {block_key(line) for line in signals.visible_text.splitlines()}
        blocks |= {block_key(p) for p in signals.main_text.split("\n\n")}
        blocks |= {block_key(h) for h in signals.headings}
        blocks.discard("")
        self.pages += 1
        self._counts.update(blocks)
        if len(self._counts) > TEMPLATE_MAX_BLOCKS:
            for key in [k for k, n in self._counts.items() if n == 1]:
                del self._counts[key]
        # Only this page's blocks changed counts, and the threshold only rises: new members are
        # among them, and members that fell below are among the current ones.
        needed = self._needed()
        counts = self._counts
        self._found = {k for k in self._found if counts[k] >= needed}
        self._found.update(k for k in blocks if counts[k] >= needed)
        return True

    def _needed(self) -> int:
        return max(TEMPLATE_MIN_PAGES, math.ceil(TEMPLATE_SHARE * self.pages))

    def blocks(self) -> frozenset[str]:
        """The blocks that count as template now (recomputed only when a page was learnt)."""
        if self._cache[0] == self.pages:
            return self._cache[1]
        found = frozenset(self._found) if self.pages else frozenset()
        self._cache = (self.pages, found)
        return found


# -------------------------------------------------------------------------------- site evidence

NEW, PENDING, DONE = "new", "pending", "done"


@dataclass
class HostEvidence:
    """What is known about one host: its probe (and the requests waiting for it), its templates."""

    name: str
    probe_state: str = NEW
    #: The outlet URL asked as the probe.
    probe_url: str | None = None
    #: The fingerprint of the answer; None until answered, and when the probe failed or hit a page
    #: that exists (the site redirected it to a real article).
    probe: PageFingerprint | None = None
    #: Replay only: the URL the archived probe finally landed on, and the redirects before it.
    probe_landing: str | None = None
    probe_chain: list[str] = field(default_factory=list)
    pending: list[Request] = field(default_factory=list)
    templates: TemplateMemory = field(default_factory=TemplateMemory)


def host_of(url: str) -> str:
    """The host a URL belongs to, in the outlet's URL space (replica URLs map to their outlet)."""
    return (urlsplit(outlet_url(url)).hostname or "").lower()


class SiteEvidence:
    """Per-host evidence for one crawl, or for one replay of a crawl's archive."""

    def __init__(self) -> None:
        self.hosts: dict[str, HostEvidence] = {}

    def host(self, url: str) -> HostEvidence:
        name = host_of(url)
        if name not in self.hosts:
            self.hosts[name] = HostEvidence(name)
        return self.hosts[name]

    def analyse(
        self,
        url: str,
        status: int,
        body: bytes,
        *,
        content_type: str | None = None,
        outlet: type[OutletSpider] | None = None,
        redirect_urls: Sequence[str] = (),
    ) -> PageResult:
        """``crawler.page.analyse_page`` with what is known about the page's host, then learn from it.

        The answer to the host's probe is recognised here (by the URL asked, or in a replay by the
        URL it landed on): its fingerprint is taken first, then it is judged against itself like
        any later page, so the archive records it as the soft 404 it is.
        """
        host = self.host(url)
        real = outlet_url(url)
        chain = [outlet_url(u) for u in redirect_urls]
        if host.probe_landing is not None and real == host.probe_landing and not chain:
            chain = list(host.probe_chain)
        origin = chain[0] if chain else real
        answering = (
            host.probe is None
            and host.probe_state != DONE
            and host.probe_url is not None
            and not 300 <= status < 400
            and (origin == host.probe_url or real == host.probe_landing)
        )
        if answering:
            host.probe_state = DONE
            host.probe = self._probe_fingerprint(host, url, status, body, content_type, outlet, chain)
        result = analyse_page(
            url,
            status,
            body,
            content_type=content_type,
            outlet=outlet,
            redirect_urls=redirect_urls or chain,
            probe=host.probe,
            templates=host.templates.blocks(),
        )
        if not answering:
            host.templates.learn(result)
        return result

    @staticmethod
    def _probe_fingerprint(
        host: HostEvidence,
        url: str,
        status: int,
        body: bytes,
        content_type: str | None,
        outlet: type[OutletSpider] | None,
        chain: list[str],
    ) -> PageFingerprint | None:
        real = outlet_url(url)
        if chain and outlet is not None and real != host.probe_url and outlet.url_kind(real) == "article":
            # Redirected to another article URL: the made-up id exists after all (the site sent us
            # to its canonical address).  That page is not the site's "not there" answer.
            logger.info(
                "Probe %s of %s landed on an article (%s); no probe fingerprint",
                host.probe_url,
                host.name,
                real,
            )
            return None
        alone = analyse_page(url, status, body, content_type=content_type, outlet=outlet, redirect_urls=chain)
        return fingerprint(alone.signals) if alone.signals is not None else None

    # --- replay of an archive ---------------------------------------------------------------------
    def expect_probe(self, probe_url: str, landing: str, chain: Sequence[str]) -> None:
        """Replay: ``probe_url`` was the host's probe and its answer is the response for ``landing``."""
        host = self.host(probe_url)
        host.probe_url = outlet_url(probe_url)
        host.probe_landing = outlet_url(landing)
        host.probe_chain = [outlet_url(u) for u in chain]
        host.probe_state = PENDING


@dataclass(frozen=True)
class ArchivedExchange:
    """The little ``replay_evidence`` needs of an archived response."""

    url: str
    status: int
    location: str | None = None


def replay_evidence(
    exchanges: Iterable[ArchivedExchange],
    outlet_for: Callable[[str], type[OutletSpider] | None],
    *,
    max_redirects: int = 20,
) -> SiteEvidence:
    """Pass one over a crawl's archive: which responses were the crawl's probes.

    For every archived article URL the outlet's ``probe_url`` is computed; one that was fetched
    too is the probe of its host (the first such, in archive order), and its redirects are
    followed through the archive to the answer the spider saw.
    """
    fetched: dict[str, ArchivedExchange] = {}
    for exchange in exchanges:
        fetched.setdefault(outlet_url(exchange.url), exchange)
    evidence = SiteEvidence()
    for real in fetched:
        outlet = outlet_for(real)
        if outlet is None or outlet.url_kind(real) != "article":
            continue
        candidate = outlet.probe_url(real)
        if not candidate or candidate not in fetched or evidence.host(candidate).probe_url is not None:
            continue
        chain: list[str] = []
        landing = candidate
        while (
            300 <= fetched[landing].status < 400 and fetched[landing].location and len(chain) < max_redirects
        ):
            target = outlet_url(urljoin(fetched[landing].url, fetched[landing].location or ""))
            if target not in fetched:
                break
            chain.append(landing)
            landing = target
        evidence.expect_probe(candidate, landing, chain)
    return evidence


# ----------------------------------------------------------------------------- the middleware


class ProbeMiddleware:
    """Spider middleware: the first article request of a host sends the host's probe ahead.

    Article requests of a host (by the spider's URL classification) wait here until the probe is
    answered or has failed, then go to the scheduler; requests of hosts already probed pass
    straight through.  Setting ``NEWSARCHIVE_PROBE = False`` turns probing off.  Should a probe
    vanish without an answer or an error (a middleware dropping it silently), the waiting
    requests are released when the spider would otherwise go idle, so nothing is ever lost.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.enabled = crawler.settings.getbool("NEWSARCHIVE_PROBE", True)
        crawler.signals.connect(self.spider_idle, signal=signals.spider_idle)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ProbeMiddleware:
        return cls(crawler)

    def process_spider_output(self, response: Response, result: Iterable[Any]) -> Iterator[Any]:
        for output in result:
            yield from self._process(output)

    def process_popped(self, request: Request) -> list[Any]:
        """With a shared frontier (crawler.redis_frontier) requests are held when a worker pops them,
        not when they are made: each worker judges with its own probe, and a popped request is leased,
        so a held one survives the worker's death. Returns what ``_process`` would yield."""
        return self._process(request, popped=True)

    async def process_spider_output_async(
        self, response: Response, result: AsyncIterator[Any]
    ) -> AsyncIterator[Any]:
        async for output in result:
            for processed in self._process(output):
                yield processed

    def _evidence(self) -> SiteEvidence | None:
        evidence = getattr(self.crawler.spider, "evidence", None)
        return evidence if self.enabled and isinstance(evidence, SiteEvidence) else None

    def _process(self, output: Any, *, popped: bool = False) -> list[Any]:
        evidence = self._evidence()
        spider = self.crawler.spider
        if evidence is None or not isinstance(output, Request) or PROBE_META in output.meta:
            return [output]
        if not popped and getattr(self.crawler, "newsarchive_frontier", None) is not None:
            return [output]  # shared frontier: held at pop time instead (process_popped)
        real = outlet_url(output.url)
        if not spider.owns(real) or spider.url_kind(real) != "article":
            return [output]
        host = evidence.host(real)
        if host.probe_state == DONE:
            return [output]
        if host.probe_state == PENDING:
            host.pending.append(output)
            return []
        probe_url = spider.probe_url(real)
        if not probe_url or outlet_url(probe_url) == real:
            logger.info("No probe URL can be made from %s; %s is not probed", real, host.name)
            host.probe_state = DONE
            self.crawler.stats.inc_value("newsarchive/probe/unprobed")
            return [output]
        host.probe_state = PENDING
        host.pending.append(output)
        host.probe_url = outlet_url(probe_url)
        logger.info("Probing %s with %s (made from %s)", host.name, host.probe_url, real)
        self.crawler.stats.inc_value("newsarchive/probe/requests")
        probe = Request(
            spider.fetch_url(host.probe_url),
            callback=self._answered,
            errback=self._failed,
            dont_filter=True,  # never dropped as a duplicate: its answer is awaited
            priority=output.priority + 1,
            meta={PROBE_META: host.name},
        )
        return [probe]

    def _answered(self, response: Response) -> None:
        """The probe's answer: judged like any page (archived, reported), which records its fingerprint."""
        evidence = self._evidence()
        host = evidence.hosts.get(response.meta[PROBE_META]) if evidence else None
        if evidence is None or host is None:
            return
        try:
            self.crawler.stats.inc_value(f"newsarchive/probe/status/{response.status}")
            self.crawler.spider.judge(response)
            if host.probe is not None:
                logger.info("Probe of %s answered %d: %s", host.name, response.status, host.probe.as_dict())
        finally:
            self._finish(host, "answered")

    def _failed(self, failure: Failure) -> None:
        request = getattr(failure, "request", None)
        evidence = self._evidence()
        host = evidence.hosts.get(request.meta.get(PROBE_META, "")) if evidence and request else None
        if host is None:
            return
        if failure.check(IgnoreRequest):
            logger.info("Probe of %s not sent (%s)", host.name, failure.getErrorMessage() or "ignored")
        else:
            self.crawler.spider.on_error(failure)
        self._finish(host, "failed")

    def _finish(self, host: HostEvidence, how: str) -> None:
        """The probe is over (whatever its outcome): the waiting requests go to the scheduler."""
        host.probe_state = DONE
        self.crawler.stats.inc_value(f"newsarchive/probe/{how}")
        waiting, host.pending = host.pending, []
        for request in waiting:
            self.crawler.engine.crawl(request)

    def spider_idle(self) -> None:
        evidence = self._evidence()
        if evidence is None:
            return
        stuck = [h for h in evidence.hosts.values() if h.pending]
        for host in stuck:
            logger.warning("Probe of %s never answered; releasing %d requests", host.name, len(host.pending))
            self._finish(host, "lost")
        if stuck:
            raise DontCloseSpider
