"""The article item: one per page judged ``article``.

Ordinary Scrapy items, so feed exports (``scrapy crawl menafn -O articles.csv``) work as well as
newsarchive's own outputs. The fields are the article schema documented in the README.
"""

from __future__ import annotations

import scrapy


class ArticleItem(scrapy.Item):
    #: URL fetched (the WARC-Target-URI of the response record).
    url = scrapy.Field()
    #: The outlet's own URL for the page (differs from ``url`` only when crawling the replica).
    source_url = scrapy.Field()
    outlet = scrapy.Field()
    title = scrapy.Field()
    authors = scrapy.Field()
    #: ISO 8601, with the offset when the page gives a time, else the date only.
    published = scrapy.Field()
    section = scrapy.Field()
    #: ISO 639-1.
    language = scrapy.Field()
    #: Body paragraphs joined by a blank line.
    text = scrapy.Field()
    word_count = scrapy.Field()
    verdict = scrapy.Field()
    verdict_reasons = scrapy.Field()
    #: The encoding decision: declared_header, declared_meta, detected, used, repairs, undecodable_bytes.
    encoding = scrapy.Field()
    #: Which path produced the text, e.g. ``outlet:menafn/v1``, ``jsonld`` or ``generic``.
    extractor = scrapy.Field()
    #: ``http`` (plain download) or ``browser`` (rendered by Playwright).
    render = scrapy.Field()
    status = scrapy.Field()
    fetched_at = scrapy.Field()
    #: Pointer to the response record: {"file", "offset", "record_id", "date"}.
    warc = scrapy.Field()
    #: Rendered pages only: pointer to the ``resource`` record of the DOM the text was read from.
    rendered_dom = scrapy.Field()
    #: Path of the plain-text file, relative to the output folder (set by ArticleOutputPipeline).
    text_file = scrapy.Field()
