"""Finding outlet spiders: by name (``scrapy crawl``) and by URL (``newsarchive extract``)."""

from __future__ import annotations

import functools

from scrapy.utils.misc import walk_modules_iter
from scrapy.utils.spider import iter_spider_classes

from crawler.outlet import OutletSpider
from crawler.urls import outlet_url


@functools.cache
def outlet_spiders() -> tuple[type[OutletSpider], ...]:
    """Every outlet spider in the ``spiders`` package, by name."""
    found: dict[str, type[OutletSpider]] = {}
    for module in walk_modules_iter("spiders"):
        for cls in iter_spider_classes(module):
            if issubclass(cls, OutletSpider) and cls.domain:
                found[cls.name] = cls
    return tuple(found[name] for name in sorted(found))


def outlet_for_url(url: str) -> type[OutletSpider] | None:
    """The outlet spider owning ``url`` (a real or a replica URL); None for unknown hosts."""
    real = outlet_url(url)
    matches = [cls for cls in outlet_spiders() if cls.owns(real)]
    # The most specific domain wins (an outlet on a subdomain of another).
    return max(matches, key=lambda cls: len(cls.domain), default=None)


def outlet_by_name(name: str) -> type[OutletSpider]:
    for cls in outlet_spiders():
        if cls.name == name:
            return cls
    known = ", ".join(cls.name for cls in outlet_spiders())
    raise KeyError(f"unknown outlet {name!r}; known outlets: {known}")
