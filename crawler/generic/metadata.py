"""Title, authors and publication date from what a page says about itself, read with care.

Sources, in the order they are trusted (measured on the development part of the Fundus pages,
see bench/extract_quality.py; the order was chosen there and confirmed on the held-out part):

* **title**: ``og:title`` (the headline as the outlet shares it; the best single source, right
  on 78% of the development pages against 67% for JSON-LD ``headline`` and 66% for ``<h1>``),
  then JSON-LD ``headline``, then the first ``<h1>``, then ``<title>``. A trailing
  "| Site name" goes when it is one of the site's names (``og:site_name``, the host) or when
  another source's title ends exactly where it starts ("X | DW | 28.04.2023" when the ``<h1>`` is
  "X"); otherwise a title keeps its dashes;
* **authors**: JSON-LD ``author`` (people and organisations, ``@id`` references resolved through
  the page's ``@graph``), then citation meta tags ("Last, First"), then author meta tags, then
  the article's byline elements (itemprop=author, rel=author, "author"/"byline" classes). Every
  value is split into names ("A, B and C", "A und B, dpa") and stripped of prefixes ("By",
  "Von", "Autor"), initials in parentheses, dates, e-mail addresses and URLs;
* **date**: JSON-LD ``datePublished``, then the publication meta tags, then the first
  ``<time datetime>`` of the article; values in RFC 2822 or ``Fri Apr 28 19:20:36 CEST 2023``
  form are read too.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import Any

import lxml.html

from crawler.htmltools import normalise_space
from crawler.parsing import ARTICLE_TYPES, iso_datetime, json_ld_objects


@dataclass
class PageFacts:
    """What a page states about itself, read once: meta tags by name, JSON-LD objects.

    Meta tags are found by ``property`` or ``name``; ``itemprop`` ones (microdata, which also
    marks images and captions) only where a single value is asked for.
    """

    metas: dict[str, list[str]]
    ld_objects: list[dict[str, Any]]
    ld: dict[str, Any] | None
    graph: dict[str, dict[str, Any]]

    def meta(self, *names: str) -> str | None:
        """The first non-empty content among ``names`` (property, name or itemprop), in that order."""
        for name in names:
            values = self.metas.get(name) or self.metas.get("itemprop:" + name)
            if values:
                return values[0]
        return None

    def meta_all(self, *names: str) -> list[str]:
        """Every content of the first of ``names`` the page has (authors come one per tag)."""
        for name in names:
            values = self.metas.get(name)
            if values:
                return list(values)
        return []


_ARTICLE_KINDS = ARTICLE_TYPES | {"LiveBlogPosting", "OpinionNewsArticle", "ReviewNewsArticle",
                                  "BackgroundNewsArticle", "Report", "ScholarlyArticle", "TechArticle"}


def page_facts(doc: lxml.html.HtmlElement) -> PageFacts:
    metas: dict[str, list[str]] = {}
    for el in doc.iter("meta"):
        content = normalise_space(el.get("content") or "")
        if not content:
            continue
        for attribute, prefix in (("property", ""), ("name", ""), ("itemprop", "itemprop:")):
            name = el.get(attribute)
            if name:
                metas.setdefault(prefix + name, []).append(content)
    objects = json_ld_objects(doc)
    ld = None
    for obj in objects:
        kind = obj.get("@type")
        if (set(kind) if isinstance(kind, list) else {kind}) & _ARTICLE_KINDS:
            ld = obj
            break
    graph = {o["@id"]: o for o in objects if isinstance(o.get("@id"), str)}
    return PageFacts(metas, objects, ld, graph)


@dataclass
class Metadata:
    title: str | None
    authors: list[str]
    published: str | None
    section: str | None


def page_metadata(doc: lxml.html.HtmlElement, url: str | None = None) -> Metadata:
    """Title, authors, publication date and section of a page, from one reading of its metadata."""
    facts = page_facts(doc)
    section = facts.ld.get("articleSection") if facts.ld else None
    if isinstance(section, list):
        section = section[0] if section else None
    return Metadata(
        title=title_of(doc, facts, url),
        authors=authors_of(doc, facts),
        published=published_of(doc, facts),
        section=(normalise_space(section) if isinstance(section, str) else None) or facts.meta("article:section"),
    )


# --- title -----------------------------------------------------------------------------------
_SEPARATORS = (" | ", " - ", " – ", " — ", " :: ", " · ", " • ")


def _strip_suffix(value: str, site_names: Iterable[str], other_titles: Iterable[str]) -> str:
    """``value`` without a trailing "| Site name" ("| DW | 28.04.2023", "- Golem.de").

    A suffix goes when it is one of the site's names, or when another source's title ends exactly
    where the suffix starts; a title that merely contains " - " stays whole.
    """
    names = {normalise_space(n).casefold() for n in site_names if n}
    others = {normalise_space(o) for o in other_titles if o}
    for sep in _SEPARATORS:
        if sep not in value:
            continue
        head, tail = value.rsplit(sep, 1)
        if tail.strip().casefold() in names and head.strip():
            return head.strip()
        for i in range(len(value)):
            if value.startswith(sep, i) and value[:i].strip() in others:
                return value[:i].strip()
    return value


def _host_names(url: str | None) -> list[str]:
    if not url:
        return []
    host = re.sub(r"^https?://(www\.)?", "", url).split("/")[0].lower()
    return [host, host.split(".")[0]]


def title_of(doc: lxml.html.HtmlElement, facts: PageFacts, url: str | None = None) -> str | None:
    """The headline: og:title, JSON-LD, <h1>, <title>, in that order, each without a site suffix."""
    headline = facts.ld.get("headline") if facts.ld else None
    candidates = [
        facts.meta("og:title", "twitter:title") or "",
        normalise_space(html.unescape(headline)) if isinstance(headline, str) else "",
        next((t for el in doc.iter("h1") if (t := normalise_space(el.text_content()))), ""),
    ]
    title_el = doc.find(".//title")
    candidates.append(normalise_space(title_el.text_content()) if title_el is not None else "")
    site_names = [facts.meta("og:site_name") or "", *_host_names(url)]
    for i, value in enumerate(candidates):
        if value:
            return _strip_suffix(value, site_names, candidates[:i] + candidates[i + 1 :])
    return None


# --- authors ---------------------------------------------------------------------------------
_SPLIT = re.compile(r"\s*(?:\n|,|;|\s&\s|\band\b|\bund\b|\bog\b|\boch\b|\bet\b|\ben\b|\by\b|\bi\b|\bna\b)\s*",
                    re.IGNORECASE)
_PREFIX = re.compile(
    r"^(?:by|von|av|af|door|par|por|text|texte|autor(?:in)?|author|written by|reporting by|"
    r"mit|with|from|fra)\s*:?\s+",
    re.IGNORECASE,
)
_PREFIX_ALONE = re.compile(r"^(?:by|von|av|af|door|par|por|text|texte|autor(?:in)?|author|autoren|authors)$",
                           re.IGNORECASE)
_PARENTHESES = re.compile(r"\s*\([^)]{0,30}\)\s*")
_EMAIL = re.compile(r"\S+@\S+\.\w+")
_URL = re.compile(r"https?://|www\.")
_LETTER = re.compile(r"[^\W\d_]")
#: A date or a time printed beside the name in a byline.
_DATE_OR_TIME = re.compile(r"\d{1,4}[./-]\d{1,2}|\d{1,2}:\d{2}|^\d+$")


def split_names(value: str) -> list[str]:
    """Names in one author value: "A, B and C" is three people, "Dr. Max Kolter" one."""
    value = "\n".join(normalise_space(line) for line in html.unescape(value).splitlines()).strip()
    if not value or _URL.search(value) or _EMAIL.fullmatch(value) or not _LETTER.search(value):
        return []
    value = _PARENTHESES.sub(" ", value)
    names = []
    for part in _SPLIT.split(value):
        name = _PREFIX.sub("", part.strip(" .:;,|")).strip(" .:;,|")
        name = _PREFIX_ALONE.sub("", name)
        if (name and _LETTER.search(name) and not _EMAIL.search(name) and len(name) <= 80
                and not _DATE_OR_TIME.search(name)):
            names.append(name)
    return names


def _ld_people(ld: dict[str, Any] | None, graph: dict[str, dict[str, Any]]) -> list[str]:
    if not ld:
        return []
    value = ld.get("author") or ld.get("creator")
    items = list(value) if isinstance(value, list) else [value]  # a copy: nested lists are flattened into it
    names: list[str] = []
    for item in items:
        if isinstance(item, list):  # nested lists occur ([[{"@type": "Person", ...}]])
            items.extend(item)
            continue
        if isinstance(item, dict) and "name" not in item and isinstance(item.get("@id"), str):
            item = graph.get(item["@id"], item)
        name = item.get("name") if isinstance(item, dict) else item
        if isinstance(name, str):
            names.extend(split_names(name))
    return names


def _dedupe(names: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for name in names:
        key = name.casefold()
        if key not in seen:
            seen.add(key)
            out.append(name)
    return out


_LAST_FIRST = re.compile(r"([^\W\d][\w'’-]*(?: [^\W\d][\w'’-]*)?), ([^\W\d][\w'’.-]*(?: [^\W\d][\w'’.-]*)?)")
#: Byline elements: itemprop=author, rel=author, and class/id words of bylines in several languages.
_BYLINE_XPATH = (
    "//*[contains(@itemprop, 'author') or @rel='author' or "
    "re:test(concat(' ', @class, ' ', @id, ' '), '(author|byline|autor|forfatter|journalist)', 'i')]"
)
_BYLINE_MAX = 120
_MAX_DOM_NAMES = 4


def _scholarly(values: list[str]) -> list[str]:
    """Citation metadata writes "Last, First", one author per tag."""
    out = []
    for value in values:
        m = _LAST_FIRST.fullmatch(value)
        out.append(f"{m.group(2)} {m.group(1)}" if m else value)
    return out


def _byline_names(doc: lxml.html.HtmlElement) -> list[str]:
    """Names in the page's byline elements, the article's own first (a listing's bylines follow)."""
    scopes = doc.xpath("//article") or doc.xpath("//main") or [doc]
    for scope in scopes[:1]:
        names: list[str] = []
        for el in scope.xpath("." + _BYLINE_XPATH, namespaces={"re": "http://exslt.org/regular-expressions"}):
            if el.tag in ("meta", "link", "script", "style", "img"):
                continue
            text = normalise_space(el.text_content())
            if not text or len(text) > _BYLINE_MAX:
                continue
            names.extend(split_names(text))
            if names:
                break
        if names:
            return names[:_MAX_DOM_NAMES]
    return []


def authors_of(doc: lxml.html.HtmlElement, facts: PageFacts) -> list[str]:
    names = _ld_people(facts.ld, facts.graph)
    if not names:
        names = _scholarly(facts.meta_all("citation_author", "dc.creator", "DC.creator"))
    if not names:
        for value in facts.meta_all("author", "parsely-author", "article:author", "sailthru.author"):
            names.extend(split_names(value))
    if not names:
        names = _byline_names(doc)
    return _dedupe(n for n in names if not n.isdigit())


# --- date ------------------------------------------------------------------------------------
_TZ_ABBREVIATIONS = {"UTC": 0, "GMT": 0, "CET": 1, "CEST": 2, "EET": 2, "EEST": 3, "WET": 0, "WEST": 1,
                     "BST": 1, "EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "PST": -8, "PDT": -7}
_UNIX_DATE = re.compile(r"\w{3} (\w{3}) (\d{1,2}) (\d\d:\d\d:\d\d) ([A-Z]{3,4}) (\d{4})")


def parse_date(value: str | None) -> str | None:
    """ISO 8601 from the forms pages use: ISO (also "YYYY-MM-DD HH:MM"), RFC 2822, ``date(1)``."""
    if not value:
        return None
    value = value.strip()
    iso = iso_datetime(value.replace(" ", "T", 1) if re.match(r"\d{4}-\d\d-\d\d \d", value) else value)
    if iso:
        return iso
    m = re.match(r"(\d{4}-\d\d-\d\d)(?:[T ](\d\d:\d\d(?::\d\d)?))?", value)
    if m and not m.group(2):
        return m.group(1)
    unix = _UNIX_DATE.fullmatch(value)
    if unix and unix.group(4) in _TZ_ABBREVIATIONS:
        month, day, clock, zone, year = unix.groups()
        naive = datetime.strptime(f"{year} {month} {day} {clock}", "%Y %b %d %H:%M:%S")
        return naive.replace(tzinfo=timezone(timedelta(hours=_TZ_ABBREVIATIONS[zone]))).isoformat()
    try:
        return parsedate_to_datetime(value).isoformat()
    except (TypeError, ValueError, IndexError):
        pass
    if m:
        return iso_datetime(f"{m.group(1)}T{m.group(2)}") if m.group(2) else m.group(1)
    return None


_DATE_METAS = ("article:published_time", "og:published_time", "datePublished", "pubdate", "publishdate",
               "publish-date", "parsely-pub-date", "sailthru.date", "dc.date", "dc.date.issued", "date",
               "DC.date.issued", "citation_publication_date", "article.published")


def published_of(doc: lxml.html.HtmlElement, facts: PageFacts) -> str | None:
    if facts.ld:
        for key in ("datePublished", "dateCreated"):
            value = facts.ld.get(key)
            if isinstance(value, str) and (parsed := parse_date(value)):
                return parsed
    for name in _DATE_METAS:
        if parsed := parse_date(facts.meta(name)):
            return parsed
    for path in ("//article//time[@datetime]", "//main//time[@datetime]", "//time[@datetime]"):
        for el in doc.xpath(path):
            if parsed := parse_date(el.get("datetime")):
                return parsed
    return None
