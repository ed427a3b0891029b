"""The shared cleaning layer: what every outlet's body text goes through.

Naive scrapers emit the body twice (desktop and mobile blocks), keep the title repeated at the
bottom, bylines and date lines inside the text, comment forms, share buttons and legal
disclaimers (see ../shared/seeds). Outlet parsers select the right container; this layer removes
what is left, and moves bylines into ``authors`` instead of dropping them.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from crawler.htmltools import normalise_space
from crawler.textnorm import contains_phrase, fold
from crawler.verdicts import load_phrases

#: Widget and furniture lines in the five languages; matched against the whole paragraph.
WIDGET_LINES = tuple(
    re.compile(p, re.IGNORECASE)
    for p in (
        r"comments?:?",
        r"comments?\s*:?\s*no comments?( yet)?\.?",  # "CommentsNo comment": a widget's two labels glued
        r"no comments?\.?",
        r"leave a (comment|reply)\.?",
        r"(share|share this( article)?|tweet|print|e-?mail)( on \w+)?:?",
        r"related( (articles?|news|posts?))?:?",
        r"read (more|also):?.{0,120}",
        r"(sign up|subscribe)( to| for)? (our|the) newsletter.{0,80}",
        r"advertisement|reklam|реклама|إعلان",
        r"(yorum(lar)?|yorum yap(ın)?|yorum gönder|bir yorum yazın|yanıt bırakın)\.?:?",
        r"e-posta adresiniz yayınlanmayacak\..{0,120}",
        r"gerekli alanlar \* ile işaretlenmişlerdir\.?",
        r"(paylaş|paylas|ilgili haberler|ilgili haber|benzer haberler|etiketler):?",
        # Turkish portals (AA, Habertürk, NTV): share bars, tag and related boxes, subscription links.
        r"(bu )?haberi paylaş(ın)?:?|linki kopyala|haberi görüntüle|önerilen video|tümünü gör|ilgili konular:?",
        r"abone ol(un)?|abonelik (işlemleri|için lütfen iletişime geçiniz\.?)",
        # Photo credits under pictures ("Fotoğraf : Didem Mente/AA", "(Photo: AFP)"): a label, a colon,
        # no sentence. A credit written as a sentence ("Fotoğraf, AA tarafından servis edilmiştir.") stays.
        r"\(?(photo|photograph|image|foto|fotoğraf|görsel)( credit)?\s*:\s*[^.!?]{1,80}\)?",
        r"(комментарии|поделиться|читайте также|просмотров):?\s*\d*",
        r"(şərhlər|paylaş|oxşar xəbərlər|baxış(lar)?):?\s*\d*",
        r"(التعليقات|تعليقات|شارك|اقرأ أيضا|أخبار ذات صلة):?",
        r"#\w[\w-]*(\s*#\w[\w-]*)*",  # category tags ("#Dünya")
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
_DATE_PART = (
    r"(?:(?:date|published|updated|posted|tarih|giriş|son güncelleme|güncelleme|yayınlanma|дата|опубликовано|tarix)"
    r"\s*:?\s*)?"
    r"(?:\d{1,4}[./-]\d{1,2}[./-]\d{1,4}|\d{1,2}\s+(?:" + _MONTH_WORDS + r")\.?,?\s+\d{4}"
    r"|(?:" + _MONTH_WORDS + r")\.?\s+\d{1,2},?\s+\d{4})"
    r"(?:,?\s*(?:-\s*)?\d{1,2}:\d{2}(?::\d{2})?\s*(?:[ap]\.?m\.?)?)?(?:\s*\d{3})?"
)
#: Lines that are only dates and/or times, each with an optional label such as "date" or "Updated";
#: Turkish portals print both on one line ("20 Nisan 2026•Güncelleme: 20 Nisan 2026").
DATE_LINE = re.compile(_DATE_PART + r"(?:\s*[•·|,-]?\s*" + _DATE_PART + r")*", re.IGNORECASE)


#: Headings after which an article is over: the disclaimer blocks outlets append (seed 000).
DISCLAIMER_HEADINGS = re.compile(
    r"(?:legal )?disclaimer|yasal uyarı|sorumluluk reddi|отказ от ответственности|إخلاء المسؤولية"
    r"|hüquqi xəbərdarlıq",
    re.IGNORECASE,
)
#: A bare HTTP error status or exclamation, as error templates print them ("403", "Sorry!!").
_TEMPLATE_LINE = re.compile(r"[45]\d\d|(?:sorry|oops|whoops|error)\s*[!.]*", re.IGNORECASE)
#: An error-template paragraph is short; a paragraph quoting such a phrase in a story is not.
TEMPLATE_MAX_WORDS = 16
_LETTER_OR_DIGIT = re.compile(r"[^\W_]")


@functools.cache
def _template_phrases() -> tuple[frozenset[str], tuple[str, ...]]:
    """(whole-paragraph keys, contained phrases) among the verdicts' soft404 and error phrases."""
    whole: set[str] = set()
    contained: list[str] = []
    for kinds in load_phrases().values():
        for kind in ("soft404", "error"):
            for phrase in kinds.get(kind, ()):
                if phrase.startswith("="):
                    whole.add(phrase[1:])
                else:
                    contained.append(phrase)
    return frozenset(whole), tuple(contained)


def is_error_template(text: str) -> bool:
    """Whether a short paragraph is error-template text ("403", "Sorry!!", "... doesn't exist.").

    Outlets such as MENAFN print their error template in front of every story (seeds 000, 001);
    it is only trusted as such before the story starts, which is how clean_paragraphs uses it.
    """
    if _TEMPLATE_LINE.fullmatch(text.strip()):
        return True
    key = fold(text)
    if not key or len(key.split()) > TEMPLATE_MAX_WORDS:
        return False
    whole, contained = _template_phrases()
    return key in whole or any(contains_phrase(key, phrase) for phrase in contained)


_NAME_SEPARATORS = re.compile(r"\s*(?:,|&|\band\b|\bve\b|\bи\b|\bvə\b|\bو\b)\s*", re.IGNORECASE)
#: Lowercase words that occur inside names ("Ursula von der Leyen", "Abdullah bin Zayed").
_NAME_PARTICLES = frozenset(
    {"de", "da", "di", "del", "della", "der", "den", "van", "von", "la", "le", "du", "bin", "ibn", "bint", "al", "el", "oğlu"}
)
#: Sentence punctuation a name never has (a sentence also has lowercase words, checked apart).
_SENTENCE_MARK = re.compile(r"[!?;:]")
MAX_NAME_WORDS = 5


def byline_names(value: str) -> list[str] | None:
    """The names in what follows "By"/"Автор:"/"Yazar:", or None when it is a sentence, not names.

    "By the end of the year, the council will decide." starts like a byline and is text; a byline's
    names are a few capitalised words (particles such as "von" or "bin" aside). Scripts without case
    (Arabic) are accepted on length alone.
    """
    names = [n.strip(" .,;") for n in _NAME_SEPARATORS.split(normalise_space(value))]
    names = [n for n in names if n]
    if not names:
        return None
    for name in names:
        words = name.split()
        if len(words) > MAX_NAME_WORDS or _SENTENCE_MARK.search(name):
            return None
        for word in words:
            first = word.lstrip("'’\"(")[:1]
            if first.isalpha() and first.islower() and word.lower() not in _NAME_PARTICLES:
                return None
    return names


#: All widget lines as one pattern: one match attempt per paragraph instead of one per pattern.
_WIDGET_ANY = re.compile("|".join(f"(?:{p.pattern})" for p in WIDGET_LINES), re.IGNORECASE)
#: Longest paragraph compared with the page's author names (a bare byline is a short line).
MAX_NAME_LINE = 120
_NON_WORD = re.compile(r"[\W_]+")


def _key(text: str) -> str:
    """Comparison key for repeats and the repeated title: case and punctuation do not count.

    Cheaper than crawler.textnorm.fold (which also unifies scripts' spelling variants for phrase
    matching); two copies of one paragraph, or a title and its repetition, come from the same
    template and differ at most in case, spacing and punctuation.
    """
    return _NON_WORD.sub(" ", text.casefold()).strip()


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
    authors: Sequence[str] = (),
) -> Cleaned:
    """Clean a body: drop repeats, widgets, date lines, the repeated title; bylines become authors.

    ``boilerplate`` are an outlet's own patterns for whole paragraphs to drop (disclaimers, marker
    lines); ``stop_at`` are patterns of a paragraph where the article ends (a disclaimer heading),
    which is dropped with everything after it. ``authors`` already known from the page's metadata
    are dropped when a paragraph is nothing but one of their names (a bare byline, as generic
    extractors pick up from AA's current layout).
    """
    result = Cleaned(paragraphs=[])
    title_key = _key(title) if title else None
    author_keys = {fold(a) for a in authors if a}
    seen: set[str] = set()
    # After the title repeated under the story only bylines count (they still name the authors).
    in_footer = False
    for raw in paragraphs:
        text = normalise_space(raw)
        if not text:
            continue
        if any(p.match(text) for p in stop_at) or DISCLAIMER_HEADINGS.fullmatch(text.rstrip(" :.")):
            result._count("stop")
            break
        if not _LETTER_OR_DIGIT.search(text):  # stray punctuation ("“`" at the end of seed 003)
            result._count("punctuation")
            continue
        if not result.paragraphs and is_error_template(text):
            result._count("error-template")
            continue
        if _full_match(boilerplate, text):
            result._count("boilerplate")
            continue
        if _WIDGET_ANY.fullmatch(text):
            result._count("widget")
            continue
        if DATE_LINE.fullmatch(text):
            result._count("date-line")
            continue
        byline = _full_match(BYLINES, text)
        names = byline_names(byline.group("name")) if byline else None
        if names:
            result.authors.extend(n for n in names if n not in result.authors)
            result._count("byline")
            continue
        key = _key(text)
        if author_keys and len(text) <= MAX_NAME_LINE and fold(text) in author_keys:
            result._count("byline")
            continue
        if title_key and key == title_key:
            result._count("title-repeat")
            # Under the story, the title repeated starts the theme's footer (next-post teaser,
            # comment form: seed 004); above it, it is the headline itself.
            in_footer = in_footer or bool(result.paragraphs)
            continue
        if in_footer:
            result._count("footer")
            continue
        if key in seen:
            result._count("duplicate")
            continue
        seen.add(key)
        result.paragraphs.append(text)
    return result
