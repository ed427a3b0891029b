"""Scrapy settings for newsarchive.

Every newsarchive setting is listed here with its default and why it has it. Override any of them
with ``-s NAME=VALUE`` on the command line, in a spider's ``custom_settings``, or (for the few
marked so) with an environment variable.
"""

import os

from crawler import __version__

BOT_NAME = "newsarchive"
SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"

# --- newsarchive settings --------------------------------------------------------------------

#: Replica switch. Empty: crawl the real outlets. ``http://127.0.0.1:PORT``: crawl the bundled replica
#: served by ``newsarchive replica --port PORT`` with the same spider code. Env: NEWSARCHIVE_REPLICA.
REPLICA = os.environ.get("NEWSARCHIVE_REPLICA", "")

#: Output folder of a crawl: ``warc/``, ``articles.jsonl``, ``text/``, ``report.json``.
#: Env: NEWSARCHIVE_OUTPUT.
NEWSARCHIVE_OUTPUT = os.environ.get("NEWSARCHIVE_OUTPUT", "output")

#: Who runs the crawl (an e-mail or URL). It goes into the User-Agent and every warcinfo record, so
#: that a site owner can reach a person. Env: NEWSARCHIVE_OPERATOR.
NEWSARCHIVE_OPERATOR = os.environ.get("NEWSARCHIVE_OPERATOR", "")

#: WARC file name prefix and rollover size in bytes.
WARC_PREFIX = "newsarchive"
WARC_MAX_SIZE = 1_000_000_000
#: Identical payloads (same WARC-Payload-Digest, this run or an earlier one writing to the same
#: output folder) are written once; later captures become revisit records. Index:
#: ``OUTPUT/indexes/digests.sqlite``.
WARC_DEDUP = True
#: On a recrawl, ask with If-None-Match / If-Modified-Since from the previous capture; a 304 is
#: archived as a server-not-modified revisit and the spider gets the archived page.
WARC_CONDITIONAL_GET = True
#: Write ``OUTPUT/indexes/<crawl>.cdxj`` (pywb-compatible, sorted) when the spider closes.
WARC_CDXJ = True
#: Where records are serialised, digested, compressed and written: "process" (a child process,
#: archive/writerproc.py, so the crawl keeps its own core: 0.55x -> see README for the figure),
#: "thread" (a thread of the crawl process: it competes with Scrapy for the GIL) or "inline".
WARC_WRITER = "process"
#: With WARC_WRITER = "thread": bodies this large or larger are written by the writer thread,
#: smaller ones inline (0: all of them).
WARC_THREAD_THRESHOLD = 0
#: gzip level of the per-record members (zlib's 6, as warcio; 1 is ~3x faster, files ~25% larger).
WARC_GZIP_LEVEL = 6

#: Once per host and crawl, fetch a URL that cannot exist but looks like the host's article URLs,
#: and judge pages that look like its answer as soft 404s (crawler.probe). The probe is an ordinary,
#: archived, polite request; False turns it off.
NEWSARCHIVE_PROBE = True

#: How many listing pages a spider walks per section (pagination bound): listing links are followed at
#: most this many steps from the home page or a section. Articles are leaves (never followed further).
NEWSARCHIVE_MAX_LISTING_PAGES = 5
#: Crawl-trap bound: at most this many listing pages of one URL shape (numbers masked:
#: ``/calendar/#/#/#``) per crawl. Endless calendars and date archives make new URLs at every step and
#: can fan out faster than the depth bound stops them; 50 is far above a news section's pagination, and
#: articles (found by feeds, sitemaps and listings alike) are never counted. The run report lists the
#: links not walked (``listing_links_not_followed``) and names the capped patterns.
NEWSARCHIVE_MAX_LISTINGS_PER_PATTERN = 50

#: Longest Retry-After (seconds) honoured on 429/503; a longer one gives up on the URL and records it.
RETRY_AFTER_MAX = 120
#: How many times one URL is retried after 429/503 with Retry-After.
RETRY_AFTER_TIMES = 3

#: ``newsarchive run`` (crawler/run.py, crawler/state.py): an archived article is fetched again, with a
#: conditional GET, once its last capture is this many seconds old, to catch stealth edits (0: every run).
NEWSARCHIVE_RECHECK_AFTER = 7 * 86400
#: ``newsarchive run``: an article that failed (5xx, bot challenge, download error) is tried again in the
#: following runs, this many attempts in all; then it waits for its recheck age like any other URL.
NEWSARCHIVE_RETRY_FAILED = 3
#: ``newsarchive run`` logs to OUTPUT/logs/newsarchive.log, rotated at this size, keeping this many old files.
NEWSARCHIVE_LOG_MAX_BYTES = 10 * 1024 * 1024
NEWSARCHIVE_LOG_BACKUPS = 5

# --- shared frontier on Redis (crawler/redis_frontier.py; optional extra `[redis]`) ------------------

#: Empty: one process crawls alone, nothing below applies. ``redis://host:6379/0``: the scheduler queue,
#: the duplicate filter, payload dedup (revisits), the run state and the set of written articles live in
#: Redis (scrapy-redis), so any number of processes on any number of machines share one frontier.
#: Env: NEWSARCHIVE_REDIS_URL; ``newsarchive run --redis URL``.
REDIS_URL = os.environ.get("NEWSARCHIVE_REDIS_URL", "")
#: Prefix of every Redis key: several collections can share one Redis server with different prefixes.
REDIS_KEY_PREFIX = os.environ.get("NEWSARCHIVE_REDIS_PREFIX", "newsarchive")
#: This worker's name: in its WARC file names (``PREFIX-WORKER-...``), its articles file
#: (``workers/WORKER/articles.jsonl``) and its lock. Empty: ``<host>-<pid>``. Env: NEWSARCHIVE_WORKER_ID;
#: ``newsarchive run --worker ID``.
NEWSARCHIVE_WORKER_ID = os.environ.get("NEWSARCHIVE_WORKER_ID", "")
#: Seconds between a worker's heartbeats (it also reclaims dead workers' requests then).
REDIS_HEARTBEAT = 5.0
#: A worker silent this long is dead: the requests it had in flight go back to the queue. Longer than
#: any pause of a live worker (a slow render, a long GC), short enough not to stall the crawl's end.
REDIS_LEASE_TIMEOUT = 60.0
#: Articles file, relative to the output folder; a shared-frontier worker writes its own
#: (``workers/WORKER/articles.jsonl``) and ``newsarchive archive merge-index`` builds ``articles.jsonl``.
NEWSARCHIVE_ARTICLES_FILE = "articles.jsonl"

#: In replica mode the server is local, so the delays that protect remote servers are dropped
#: (AutoThrottle stays on). Set False to crawl the replica with the real politeness delays.
REPLICA_RELAX_POLITENESS = True

# --- politeness --------------------------------------------------------------------------------

#: Identifies the crawler and its operator. Leave empty to have newsarchive compose it from its
#: version and NEWSARCHIVE_OPERATOR; set it to override completely.
USER_AGENT = ""
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 0.5
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
#: Seconds a whole download may take (a server that sends its headers and then stalls, or trickles a byte
#: at a time, is cut here, retried RETRY_TIMES times, then recorded as a failure).
DOWNLOAD_TIMEOUT = 60
#: Pages larger than this are cut; 50 MB is far above any article. It caps the bytes on the wire and,
#: in HttpCompressionMiddleware, the decoded size too (a gzip bomb: a few MB inflating to gigabytes is
#: archived as sent and its decoding refused). Memory per download stays within about twice this.
DOWNLOAD_MAXSIZE = 50 * 1024 * 1024
#: A body cut at DOWNLOAD_MAXSIZE keeps its first DOWNLOAD_MAXSIZE bytes as a response record with
#: ``WARC-Truncated: length`` (crawler.middlewares.OversizeMiddleware), and is not analysed; False: Scrapy's
#: own behaviour (the download is cancelled, only a failure record remains).
WARC_KEEP_TRUNCATED = True
DOWNLOAD_WARNSIZE = 10 * 1024 * 1024
RETRY_ENABLED = True
RETRY_TIMES = 2
#: 429 and 503 are handled by RetryAfterMiddleware (it honours Retry-After); the rest by Scrapy.
RETRY_HTTP_CODES = [500, 502, 504, 522, 524, 408]
COOKIES_ENABLED = True
TELNETCONSOLE_ENABLED = False

#: Non-2xx pages reach the spider: they are judged (verdict) and counted, not silently dropped.
HTTPERROR_ALLOW_ALL = True

# --- rendering (crawler/rendering.py) ---------------------------------------------------------
# Pages of outlets with ``render = "browser"``, and app shells found on the plain path, are loaded in
# Chromium; nothing else ever starts a browser.

#: Debian's Chromium (Playwright's own browsers cannot be downloaded here). Env: CHROMIUM, as in the Makefile.
PLAYWRIGHT_CHROMIUM_PATH = os.environ.get("CHROMIUM") or "/usr/bin/chromium"
#: Launch flags: run as root without a sandbox, headless without a GPU, and never call Google's servers.
PLAYWRIGHT_CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--disable-quic", "--no-first-run",
]
PLAYWRIGHT_BROWSER_TYPE = "chromium"
#: Pages open at once in the crawl's one browser context; each costs tens of MB of renderer memory.
PLAYWRIGHT_MAX_PAGES_PER_CONTEXT = 4
#: A browser that crashed is launched again for the next page (and open pages are retried).
PLAYWRIGHT_RESTART_DISCONNECTED_BROWSER = True
#: Seconds a rendered page may take, navigation, scripts and API calls included; a page whose network
#: never goes quiet and that rendered nothing is a recorded failure. 10 s in replica mode.
NEWSARCHIVE_RENDER_TIMEOUT = 30
#: Send a plain page that turns out to be an app shell (empty framework root, script bundles, no
#: text) to the browser. Off: only outlets with ``render = "browser"`` are rendered.
NEWSARCHIVE_RENDER_AUTO = True
#: What a rendered page may not load: these resource types (they carry no text, and cost most of the
#: memory and bandwidth), and third-party tracker hosts: NEWSARCHIVE_RENDER_BLOCK_HOSTS, a list of hosts
#: (subdomains included), defaults to crawler.rendering.DEFAULT_BLOCKED_HOSTS (analytics, ad servers).
NEWSARCHIVE_RENDER_BLOCK_TYPES = ["image", "font", "media"]
#: Resource types of the page's network traffic archived as WARC request/response records.
NEWSARCHIVE_RENDER_ARCHIVE_TYPES = ["document", "xhr", "fetch", "script", "stylesheet"]
#: Also archive a full-page PNG screenshot of every rendered page (resource record urn:screenshot:URL).
NEWSARCHIVE_RENDER_SCREENSHOT = False

# --- components, in order ----------------------------------------------------------------------

DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.useragent.UserAgentMiddleware": None,
    "crawler.middlewares.ArchivistUserAgentMiddleware": 400,
    # Below Scrapy's RetryMiddleware (550) so a 429/503 is waited out before anything else sees it.
    "crawler.middlewares.RetryAfterMiddleware": 560,
    # Runs after HttpCompressionMiddleware (590) has decompressed the body, so it sees the raw
    # text bytes; it decides the encoding before the spider reads response.text.
    "crawler.middlewares.EncodingMiddleware": 580,
    # Between RedirectMiddleware (600) and HttpCompressionMiddleware (590): adds the validators of
    # the previous capture, and turns a 304 back into the archived page before decompression.
    "crawler.archiving.ConditionalGetMiddleware": 595,
    # First to see every response: waits for an off-thread WARC write so meta["warc"] is set.
    "crawler.archiving.WarcPointerMiddleware": 950,
    # Cuts bodies at DOWNLOAD_MAXSIZE keeping what came (archived as truncated), then drops them before
    # redirects, decompression and the spider see half a page.
    "crawler.middlewares.OversizeMiddleware": 900,
    # Sends meta["render"] == "browser" requests to Chromium and archives what the page loaded; next
    # to the handler, after ConditionalGetMiddleware (whose validators it removes: no 304 to render).
    "crawler.rendering.BrowserRenderMiddleware": 940,
}

#: scrapy-playwright's handler (lazily started, see crawler/rendering.py). Only requests with
#: meta["playwright"] use the browser; every other request goes to Scrapy's own HTTP/1.1 handler.
DOWNLOAD_HANDLERS = {
    "http": "crawler.rendering.BrowserDownloadHandler",
    "https": "crawler.rendering.BrowserDownloadHandler",
}

SPIDER_MIDDLEWARES = {
    # Tells the WARC extension when a callback is done, so unjudged pages get their metadata record.
    "crawler.archiving.WarcSpiderMiddleware": 25,
    # Holds a host's article requests until its probe is answered (crawler.probe). Close to the
    # engine, so the requests it holds back have been through every other spider middleware.
    "crawler.probe.ProbeMiddleware": 40,
}

EXTENSIONS = {
    # Captures every exchange at the response_downloaded signal, before decompression.
    "crawler.archiving.WarcArchiveExtension": 100,
    "crawler.report.RunReportExtension": 200,
}

ITEM_PIPELINES = {
    "crawler.pipelines.ArticleOutputPipeline": 800,
}

#: Switches to the shared frontier when REDIS_URL is set, after every other settings source; a no-op otherwise.
ADDONS = {
    "crawler.redis_addon.RedisFrontierAddon": 0,
}

# --- engine ------------------------------------------------------------------------------------

#: scrapy-playwright needs the asyncio reactor; set here so every outlet can opt into rendering.
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = os.environ.get("NEWSARCHIVE_LOG_LEVEL", "INFO")

NEWSARCHIVE_VERSION = __version__
