"""The shared cleaning layer: what every outlet's body text goes through.

Naive scrapers emit the body twice (desktop and mobile blocks), keep the title repeated at the
bottom, bylines and date lines inside the text, comment forms, share buttons and legal
disclaimers (see ../shared/seeds). Outlet parsers select the right container; this layer removes
what is left, and moves bylines into ``authors`` instead of dropping them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from crawler.htmltools import normalise_space
from crawler.textnorm import fold

#: Widget and furniture lines in the five languages; matched against the whole paragraph.
WIDGET_LINES = tuple(
    re.compile(p, re.IGNORECASE)
    for p in (
        r"comments?:?",
        r"no comments?\.?",
        r"leave a (comment|reply)\.?",
        r"(share|share this( article)?|tweet|print|e-?mail)( on \w+)?:?",
        r"related( (articles?|news|posts?))?:?",
        r"read (more|also):?.{0,120}",
        r"(sign up|subscribe)( to| for)? (our|the) newsletter.{0,80}",
        r"advertisement|reklam|реклама|إعلان",
        r"(yorum(lar)?|yorum yap|bir yorum yazın|yanıt bırakın)\.?:?",
        r"e-posta adresiniz yayınlanmayacak\..{0,120}",
        r"gerekli alanlar \* ile işaretlenmişlerdir\.?",
        r"(paylaş|paylas|ilgili haberler|ilgili haber|benzer haberler|etiketler):?",
        r"(комментарии|поделиться|читайте также|просмотров):?\s*\d*",
        r"(şərhlər|paylaş|oxşar xəbərlər|baxış(lar)?):?\s*\d*",
        r"(التعليقات|تعليقات|شارك|اقرأ أيضا|أخبار ذات صلة):?",
        r"#\w[\w-]*",
    )
)

#: Byline forms; group "name" is kept as an author.
BYLINES = tuple(
    re.compile(p, re.IGNORECASE)
    for p in (
        r"(?:by|written by|reporting by)\s+(?P<name>[^\d@]{3,60})",
        r"(?:автор|текст)\s*:?\s+(?P<name>[^\d@]{3,60})",
        r"(?:yazar|muhabir|haber)\s*:\s*(?P<name>[^\d@]{3,60})",
        r"(?:müəllif)\s*:?\s+(?P<name>[^\d@]{3,60})",
        r"(?:بقلم|كتب)\s*:?\s+(?P<name>[^\d@]{3,60})",
    )
)

_MONTH_WORDS = (
    r"jan\w*|feb\w*|mar\w*|apr\w*|may|jun\w*|jul\w*|aug\w*|sep\w*|oct\w*|nov\w*|dec\w*"
    r"|ocak|şubat|mart|nisan|mayıs|haziran|temmuz|ağustos|eylül|ekim|kasım|aralık"
    r"|январ\w*|феврал\w*|март\w*|апрел\w*|ма\w|июн\w*|июл\w*|август\w*|сентябр\w*|октябр\w*|ноябр\w*|декабр\w*"
    r"|yanvar|fevral|aprel|iyun|iyul|avqust|sentyabr|oktyabr|noyabr|dekabr"
)
#: Lines that are only a date and/or time (with an optional label such as "date" or "Updated").
DATE_LINE = re.compile(
    r"(?:(?:date|published|updated|posted|tarih|güncelleme|yayınlanma|дата|опубликовано|tarix)\s*:?\s*)?"
    r"(?:\d{1,4}[./-]\d{1,2}[./-]\d{1,4}|\d{1,2}\s+(?:" + _MONTH_WORDS + r")\.?,?\s+\d{4}"
    r"|(?:" + _MONTH_WORDS + r")\.?\s+\d{1,2},?\s+\d{4})"
    r"(?:,?\s*(?:-\s*)?\d{1,2}:\d{2}(?::\d{2})?\s*(?:[ap]\.?m\.?)?)?(?:\s*\d{3})?",
    re.IGNORECASE,
)


@dataclass
class Cleaned:
    paragraphs: list[str]
    authors: list[str] = field(default_factory=list)
    #: What was removed, as counts per kind ("duplicate", "widget", "byline", ...): for the record.
    removed: dict[str, int] = field(default_factory=dict)

    def _count(self, kind: str) -> None:
        self.removed[kind] = self.removed.get(kind, 0) + 1


def _full_match(patterns: Iterable[re.Pattern[str]], text: str) -> re.Match[str] | None:
    for pattern in patterns:
        m = pattern.fullmatch(text)
        if m:
            return m
    return None


def clean_paragraphs(
    paragraphs: Sequence[str],
    *,
    title: str | None = None,
    boilerplate: Sequence[re.Pattern[str]] = (),
    stop_at: Sequence[re.Pattern[str]] = (),
) -> Cleaned:
    """Clean a body: drop repeats, widgets, date lines, the repeated title; bylines become authors.

    ``boilerplate`` are an outlet's own patterns for whole paragraphs to drop (disclaimers, marker
    lines); ``stop_at`` are patterns of a paragraph where the article ends (a disclaimer heading),
    which is dropped with everything after it.
    """
    result = Cleaned(paragraphs=[])
    title_key = fold(title) if title else None
    seen: set[str] = set()
    for raw in paragraphs:
        text = normalise_space(raw)
        if not text:
            continue
        if any(p.match(text) for p in stop_at):
            result._count("stop")
            break
        if _full_match(boilerplate, text):
            result._count("boilerplate")
            continue
        if _full_match(WIDGET_LINES, text):
            result._count("widget")
            continue
        if DATE_LINE.fullmatch(text):
            result._count("date-line")
            continue
        byline = _full_match(BYLINES, text)
        if byline:
            name = normalise_space(byline.group("name")).strip(" .,;")
            if name and name not in result.authors:
                result.authors.append(name)
            result._count("byline")
            continue
        key = fold(text)
        if title_key and key == title_key:
            result._count("title-repeat")
            continue
        if key in seen:
            result._count("duplicate")
            continue
        seen.add(key)
        result.paragraphs.append(text)
    return result
