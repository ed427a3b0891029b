"""Reading the dates outlets print for people: day first, month names in several languages, local time.

Outlets in Turkey, Azerbaijan and Russia write ``05.04.2025 14:30`` (5 April, never 4 May) or
``25 Июня 2025 17:24`` (a Russian genitive month, capitalised) and mean their own wall-clock time
(Europe/Istanbul, Asia/Baku) without printing an offset. A machine-readable date is preferred when the
page has one; this module reads the visible one when it does not, and returns ISO 8601 with the offset
the outlet means, so that ``published`` can be compared across outlets.
"""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from crawler.textnorm import fold

# Month names by number, folded (crawler.textnorm.fold) so case, Turkish dotted/dotless i and
# typographic variants do not matter. Genitive and nominative forms both occur in Russian.
_MONTHS: dict[int, tuple[str, ...]] = {
    1: ("january", "jan", "ocak", "января", "январь", "yanvar"),
    2: ("february", "feb", "şubat", "subat", "февраля", "февраль", "fevral"),
    3: ("march", "mar", "mart", "марта", "март"),
    4: ("april", "apr", "nisan", "апреля", "апрель", "aprel"),
    5: ("may", "mayıs", "mayis", "мая", "май", "may"),
    6: ("june", "jun", "haziran", "июня", "июнь", "iyun"),
    7: ("july", "jul", "temmuz", "июля", "июль", "iyul"),
    8: ("august", "aug", "ağustos", "agustos", "августа", "август", "avqust"),
    9: ("september", "sep", "sept", "eylül", "eylul", "сентября", "сентябрь", "sentyabr"),
    10: ("october", "oct", "ekim", "октября", "октябрь", "oktyabr"),
    11: ("november", "nov", "kasım", "kasim", "ноября", "ноябрь", "noyabr"),
    12: ("december", "dec", "aralık", "aralik", "декабря", "декабрь", "dekabr"),
}
MONTHS: dict[str, int] = {fold(name): number for number, names in _MONTHS.items() for name in names}

_TIME = (
    r"(?:\D{0,12}?(?P<hour>\d{1,2})[:.](?P<minute>\d{2})(?::(?P<second>\d{2}))?"
    r"(?:\s*(?P<half>[ap])\.?m\b\.?)?)?"
)
#: ``05.04.2025``, ``05/04/2025``, ``5-4-2025`` (day first), with an optional time after it.
NUMERIC_DAY_FIRST = re.compile(
    r"(?<!\d)(?P<day>\d{1,2})[./-](?P<month>\d{1,2})[./-](?P<year>\d{4})(?!\d)" + _TIME, re.IGNORECASE
)
#: ``25 Июня 2025 17:24``, ``5 Nisan 2025, 14:30``, ``14 June 2025``.
NAMED_DAY_FIRST = re.compile(
    r"(?<!\d)(?P<day>\d{1,2})\.?\s+(?P<month>[^\W\d_]{3,12})\.?,?\s+(?P<year>\d{4})(?!\d)" + _TIME,
    re.IGNORECASE,
)
#: ``June 12, 2025 9:30 AM``: English month first; unambiguous, since the month is a word.
NAMED_MONTH_FIRST = re.compile(
    r"(?<![\w])(?P<month>[^\W\d_]{3,12})\.?\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<year>\d{4})(?!\d)" + _TIME,
    re.IGNORECASE,
)
#: ``2025-04-05 14:30`` (ISO-like, as some templates print it).
ISO_LIKE = re.compile(r"(?<!\d)(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})(?!\d)" + _TIME, re.IGNORECASE)


def _build(match: re.Match[str], month: int, timezone: str) -> str | None:
    try:
        day, year = int(match.group("day")), int(match.group("year"))
        if match.group("hour") is None:
            return datetime(year, month, day).date().isoformat()
        hour = int(match.group("hour"))
        if match.group("half"):  # 12-hour clock: 12:05 AM is 00:05, 12:05 PM is 12:05
            hour = hour % 12 + (12 if match.group("half").lower() == "p" else 0)
        moment = datetime(year, month, day, hour, int(match.group("minute")), int(match.group("second") or 0))
    except ValueError:  # 31.02.2025, 25:61: not a date after all
        return None
    return moment.replace(tzinfo=ZoneInfo(timezone)).isoformat()


def parse_local_date(text: str | None, timezone: str) -> str | None:
    """The first date in ``text`` as ISO 8601, in ``timezone`` when it carries a time.

    Numeric dates are read day first (``05.04.2025`` is 5 April), as every outlet this module
    serves writes them; a month written as a word may come first or second.

    A date without a time stays a date (``2025-04-05``): inventing midnight would claim a precision
    the page does not give. Returns None when nothing in the text is a valid date.
    """
    if not text:
        return None
    for pattern in (ISO_LIKE, NUMERIC_DAY_FIRST):
        m = pattern.search(text)
        if m:
            built = _build(m, int(m.group("month")), timezone)
            if built:
                return built
    for pattern in (NAMED_DAY_FIRST, NAMED_MONTH_FIRST):
        for m in pattern.finditer(text):
            month = MONTHS.get(fold(m.group("month")))
            if month:
                built = _build(m, month, timezone)
                if built:
                    return built
    return None
