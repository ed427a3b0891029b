"""The replica's catalogue: every page it serves on purpose, with what newsarchive should make of it.

Tests, benchmarks and ``make demo`` compare crawl results against ``CATALOGUE``. The pages themselves are
described in the per-outlet modules under ``crawler.replica.sites``; this module only gathers them.
"""

from __future__ import annotations

from crawler.replica.model import ReplicaPage
from crawler.replica.sites import SITES

CATALOGUE: tuple[ReplicaPage, ...] = tuple(page for site in SITES for page in site.pages)
OUTLETS: tuple[str, ...] = tuple(site.domain for site in SITES)


def pages_for(outlet: str) -> list[ReplicaPage]:
    """Catalogue pages of one outlet (its domain, e.g. "menafn.com"), in the order the site module lists them."""
    return [page for page in CATALOGUE if page.outlet == outlet]


__all__ = ["CATALOGUE", "OUTLETS", "ReplicaPage", "pages_for"]
