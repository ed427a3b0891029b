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

#: How many listing pages a spider walks per section (pagination bound).
NEWSARCHIVE_MAX_LISTING_PAGES = 5

#: Longest Retry-After (seconds) honoured on 429/503; a longer one gives up on the URL and records it.
RETRY_AFTER_MAX = 120
#: How many times one URL is retried after 429/503 with Retry-After.
RETRY_AFTER_TIMES = 3

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
DOWNLOAD_TIMEOUT = 60
#: Pages larger than this are cut (Scrapy cancels the download); 50 MB is far above any article.
DOWNLOAD_MAXSIZE = 50 * 1024 * 1024
DOWNLOAD_WARNSIZE = 10 * 1024 * 1024
RETRY_ENABLED = True
RETRY_TIMES = 2
#: 429 and 503 are handled by RetryAfterMiddleware (it honours Retry-After); the rest by Scrapy.
RETRY_HTTP_CODES = [500, 502, 504, 522, 524, 408]
COOKIES_ENABLED = True
TELNETCONSOLE_ENABLED = False

#: Non-2xx pages reach the spider: they are judged (verdict) and counted, not silently dropped.
HTTPERROR_ALLOW_ALL = True

# --- components, in order ----------------------------------------------------------------------

DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.useragent.UserAgentMiddleware": None,
    "crawler.middlewares.ArchivistUserAgentMiddleware": 400,
    # Below Scrapy's RetryMiddleware (550) so a 429/503 is waited out before anything else sees it.
    "crawler.middlewares.RetryAfterMiddleware": 560,
    # Runs after HttpCompressionMiddleware (590) has decompressed the body, so it sees the raw
    # text bytes; it decides the encoding before the spider reads response.text.
    "crawler.middlewares.EncodingMiddleware": 580,
}

EXTENSIONS = {
    # Captures every exchange at the response_downloaded signal, before decompression.
    "crawler.archiving.WarcArchiveExtension": 100,
    "crawler.report.RunReportExtension": 200,
}

ITEM_PIPELINES = {
    "crawler.pipelines.ArticleOutputPipeline": 800,
}

# --- engine ------------------------------------------------------------------------------------

#: scrapy-playwright needs the asyncio reactor; set here so every outlet can opt into rendering.
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = os.environ.get("NEWSARCHIVE_LOG_LEVEL", "INFO")

NEWSARCHIVE_VERSION = __version__
