"""newsarchive's own signals, sent with ``crawler.signals.send_catch_log``.

Components that need to know about every judged page (run report, WARC metadata records) listen
to these instead of being called by the spider, so each stays testable alone.
"""

#: A page was analysed. Arguments: ``result`` (crawler.page.PageResult), ``response``, ``spider``.
page_judged = object()

#: A request failed below HTTP (DNS, refused, timeout, size cap). Arguments: ``request``,
#: ``failure``, ``spider``.
download_failed = object()
