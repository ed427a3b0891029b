"""The imitated outlets, one module per site so each reads as a description of that site."""

from __future__ import annotations

from crawler.replica.model import Site
from crawler.replica.sites import caliber, haberportali, jsnews, menafn

SITES: tuple[Site, ...] = (menafn.SITE, caliber.SITE, haberportali.SITE, jsnews.SITE)

__all__ = ["SITES"]
