"""Turkish dates as Turkish portals print them: day first, Turkish month names, Istanbul time.

Turkish pages write ``05.04.2025`` for 5 April 2025 (never month first), ``03.07.2024 - 18:24``,
``10.11.2025 17:59`` or ``20 Nisan 2026``, in Europe/Istanbul wall-clock time, and their
machine-readable dates are sometimes naive too (AA's JSON-LD says ``2026-04-20T14:09:42.493``).
Reading them month first or as UTC silently shifts the date (the Fundus expected value for the
older AA page says 4 May for a page of 5 April). The Turkish outlets (``spiders/aa.py``,
``haberturk.py``, ``ntv.py``) read every date through these two functions, so the rule lives in
one place; the day-first parsing itself is :mod:`crawler.localdates`, shared with the other
outlets that print local dates.
"""

from __future__ import annotations

from parsel import Selector

from crawler.htmltools import normalise_space
from crawler.localdates import parse_local_date
from crawler.parsing import iso_datetime

ISTANBUL = "Europe/Istanbul"


def parse_turkish_date(text: str | None) -> str | None:
    """The first day-first date in visible text: ISO 8601 with Istanbul's offset, or the bare day.

    A line without a time (AA's ``05.04.2025 - Güncelleme : 05.04.2025``) gives the date alone,
    since inventing midnight would claim a precision the page does not have.
    """
    return parse_local_date(text, ISTANBUL)


def istanbul_iso(value: str | None) -> str | None:
    """A machine-readable date as ISO 8601; a naive time is Istanbul time, not UTC."""
    return iso_datetime(value, default_tz=ISTANBUL)


#: Where Turkish story pages print their date: a span shortly after the headline (AA's "20 Nisan 2026",
#: Habertürk's "Giriş: 03.07.2024 - 18:24", NTV's "30.04.2024 - 16:48").
AFTER_HEADLINE = "//h1[1]/following::span[position() <= 15]"


def visible_date(sel: Selector, xpath: str = AFTER_HEADLINE) -> str | None:
    """The first element among ``xpath`` whose text is or holds a Turkish date, read day first.

    The fallback when a page has no machine-readable date: the byline, source and summary spans
    around the date hold none, so the first date found is the publication (the update time comes
    after it on every layout seen).
    """
    for node in sel.xpath(xpath):
        found = parse_turkish_date(normalise_space(node.xpath("string()").get() or ""))
        if found:
            return found
    return None
