"""The imitated outlets, one module per site so each reads as a description of that site."""

from __future__ import annotations

from crawler.replica.model import Site
from crawler.replica.sites import caliber, dailynews, haberportali, jsnews, menafn, tidewater

SITES: tuple[Site, ...] = (
    menafn.SITE, caliber.SITE, haberportali.SITE, jsnews.SITE, dailynews.SITE, tidewater.SITE
)

__all__ = ["SITES"]
