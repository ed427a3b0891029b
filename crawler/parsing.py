"""The outlet parser contract: one class per markup version, one method per field.

As in Fundus, an outlet's parser is versioned like the outlet's markup: when the outlet changes
its layout, a new version is added and the old one kept for older pages and archived captures.
A parser that cannot read a field returns None; page analysis then falls back to JSON-LD, meta
tags and the generic extractor, and records which path produced the text.
"""

from __future__ import annotations

import copy
import json
import re
from datetime import datetime, timedelta, timezone
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

import lxml.html
from parsel import Selector

from crawler.htmltools import block_texts, meta_content, normalise_space


class ArticleParser:
    """Base class of outlet parsers. Subclasses set ``version`` and ``root`` and override fields."""

    #: Version label recorded in ``extractor`` (``outlet:<name>/<version>``).
    version: ClassVar[str] = "v1"
    #: CSS selector that is present only in the layout this version reads.
    root: ClassVar[str] = "body"
    #: Time zone the outlet writes local times in (used when a date carries no offset).
    timezone: ClassVar[str] = "UTC"

    def __init__(self, doc: lxml.html.HtmlElement, url: str) -> None:
        self.doc = doc
        self.url = url
        self.sel = Selector(root=doc, type="html")

    def matches(self) -> bool:
        return bool(self.sel.css(self.root))

    # --- fields: each returns None when this layout does not carry it ----------------------
    def title(self) -> str | None:
        return first_text(self.sel, "h1") or meta_content(self.doc, "og:title")

    def authors(self) -> list[str] | None:
        return None

    def published(self) -> str | None:
        return None

    def section(self) -> str | None:
        return None

    def paragraphs(self) -> list[str] | None:
        return None

    def language(self) -> str | None:
        lang = self.doc.get("lang") or ""
        return lang.split("-")[0].lower() or None

    # --- helpers --------------------------------------------------------------------------------
    def localise(self, naive: datetime) -> str:
        """ISO 8601 with the outlet's offset for a local wall-clock time."""
        return naive.replace(tzinfo=ZoneInfo(self.timezone)).isoformat()


def first_text(sel: Selector, css: str) -> str | None:
    """Visible text of the first element matching ``css``, whitespace-normalised."""
    for node in sel.css(css):
        text = normalise_space(" ".join(node.css("::text").getall()))
        if text:
            return text
    return None


def paragraphs_of(sel: Selector, css: str) -> list[str]:
    """Paragraph texts (block-split) of every element matching ``css``, in document order."""
    out: list[str] = []
    for node in sel.css(css):
        out.extend(block_texts(node.root))
    return out


def paragraphs_except(sel: Selector, css: str, drop: str) -> list[str]:
    """Paragraph texts of the first element matching ``css``, without its parts matching ``drop``.

    Portals put ads, image credits, share bars and related-story boxes *inside* the body
    container; selecting around them paragraph by paragraph breaks on the next template change,
    removing them from a copy of the container does not. The page itself is left untouched, so
    the fallbacks still see the whole document.
    """
    for node in sel.css(css):
        clone = copy.deepcopy(node.root)
        clone.tail = None
        for junk in Selector(root=clone, type="html").css(drop):
            if junk.root.getparent() is not None:
                junk.root.drop_tree()
        return block_texts(clone)
    return []


def json_ld_objects(doc: lxml.html.HtmlElement) -> list[dict[str, Any]]:
    """Every JSON-LD object of the page, @graph members flattened; broken JSON is skipped."""
    found: list[dict[str, Any]] = []
    for script in doc.xpath('//script[@type="application/ld+json"]'):
        try:
            data = json.loads(script.text or "")
        except ValueError:
            continue
        stack = data if isinstance(data, list) else [data]
        while stack:
            obj = stack.pop(0)
            if isinstance(obj, list):
                stack.extend(obj)
            elif isinstance(obj, dict):
                found.append(obj)
                if isinstance(obj.get("@graph"), list):
                    stack.extend(obj["@graph"])
    return found


ARTICLE_TYPES = frozenset({"NewsArticle", "Article", "ReportageNewsArticle", "BlogPosting", "AnalysisNewsArticle"})


def json_ld_article(doc: lxml.html.HtmlElement) -> dict[str, Any] | None:
    for obj in json_ld_objects(doc):
        kind = obj.get("@type")
        kinds = set(kind) if isinstance(kind, list) else {kind}
        if kinds & ARTICLE_TYPES:
            return obj
    return None


def iso_datetime(value: str | None, default_tz: str | None = None) -> str | None:
    """Normalise an ISO-like date string; date-only stays date-only, naive times get ``default_tz``."""
    if not value:
        return None
    value = value.strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return value
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None and default_tz:
        parsed = parsed.replace(tzinfo=ZoneInfo(default_tz))
    return parsed.isoformat()


def fixed_offset(hours: int) -> timezone:
    return timezone(timedelta(hours=hours))
