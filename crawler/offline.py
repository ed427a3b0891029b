"""Keep the crawler from fetching third-party data at run time.

Scrapy's cookie middleware asks tldextract for the public suffix list, and tldextract downloads
the live list from GitHub at first use. An archiving crawler must not contact hosts its operator
did not ask for (and the tests run without internet): use the snapshot bundled with tldextract.
"""

from __future__ import annotations


def use_bundled_public_suffix_list() -> None:
    try:
        from scrapy.downloadermiddlewares import cookies
        from tldextract import TLDExtract
    except ImportError:  # Scrapy without tldextract: nothing to keep offline
        return
    if hasattr(cookies, "_split_domain"):
        cookies._split_domain = TLDExtract(suffix_list_urls=(), include_psl_private_domains=True)
