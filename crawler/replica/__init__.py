"""A local web server that imitates the news outlets newsarchive crawls, for tests and ``make demo``.

One port serves every outlet under its domain as the first path segment: the real
``https://menafn.com/1109123456/Some-Slug`` is ``http://127.0.0.1:PORT/menafn.com/1109123456/Some-Slug``.
What each page should yield is in ``crawler.replica.catalogue.CATALOGUE``.

    with ReplicaServer() as replica:
        fetch(replica.base_url + "/menafn.com/")
"""

from __future__ import annotations

from crawler.replica.server import ReplicaServer, serve

__all__ = ["ReplicaServer", "serve"]
