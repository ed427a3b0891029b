"""HTML helpers shared by page analysis, outlet parsers and the generic extractor.

Hidden elements are removed before anything reads the page: outlets ship templates that are
invisible to readers (MENAFN carries a "403 Sorry!! Error!" block in front of real articles),
and neither the verdict nor the text may be taken from what a reader never sees.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections import OrderedDict

import lxml.html
from lxml import etree

from crawler.streaming import reveal_streamed_segments

_DISPLAY_NONE = re.compile(r"(?:^|;)\s*(?:display\s*:\s*none|visibility\s*:\s*hidden)", re.IGNORECASE)
_CSS_RULE = re.compile(r"([^{}]+)\{([^{}]*)\}")
_BRACES = re.compile(r"[{}]")
_SIMPLE_SELECTOR = re.compile(r"^\s*([.#])([A-Za-z0-9_-]+)\s*$")
_NON_CONTENT_TAGS = ("script", "style", "noscript", "template", "svg", "iframe", "object", "embed")
_BLOCK_TAGS = frozenset(
    ["p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "section", "article", "header", "footer", "aside", "blockquote", "pre", "table", "tr", "td", "th", "br", "hr", "figure", "figcaption", "nav", "main", "form", "dd", "dt", "dl", "address"]
)
_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u200b]+")


def parse_html(text: str) -> lxml.html.HtmlElement:
    """Parse a page's text; never raises on malformed markup (an empty document instead)."""
    if text.startswith("<?xml"):
        # lxml refuses str input that carries an encoding declaration.
        text = re.sub(r"^<\?xml[^>]*>", "", text)
    try:
        doc = lxml.html.document_fromstring(text or "<html></html>")
    except (etree.ParserError, ValueError):
        doc = lxml.html.document_fromstring("<html></html>")
    return doc


def _css_rules(css: str) -> list[tuple[str, str, bool]]:
    """(selectors, declarations, conditional) per style rule; rules nested in an at-rule are conditional."""
    css = re.sub(r"/\*.*?\*/", " ", css, flags=re.DOTALL)
    rules: list[tuple[str, str, bool]] = []
    open_blocks: list[str] = []
    start = 0
    # Only the braces matter: jumping from one to the next is ~20x faster than visiting every
    # character of the large inline stylesheets some outlets ship (it was most of strip_hidden).
    for brace in _BRACES.finditer(css):
        i = brace.start()
        if css[i] == "{":
            open_blocks.append(css[start:i].strip())
            start = i + 1
        else:
            if open_blocks:
                prelude = open_blocks.pop()
                if not prelude.startswith("@"):
                    conditional = any(p.startswith("@") for p in open_blocks)
                    rules.append((prelude, css[start:i], conditional))
            start = i + 1
    return rules


def _stylesheet_classes(doc: lxml.html.HtmlElement) -> tuple[set[str], set[str], set[str]]:
    """Classes and ids the page's own <style> rules always hide, and classes some rule shows.

    Responsive layouts hide one copy of the body per screen size (``d-none d-md-block`` and
    ``d-block d-md-none``): a reader sees one of them, so an element counts as hidden only when
    an unconditional rule hides it and none of its classes is shown by any rule.
    """
    hidden_classes: set[str] = set()
    hidden_ids: set[str] = set()
    shown_classes: set[str] = set()
    for style in doc.iter("style"):
        hidden, ids, shown = _style_classes(style.text or "")
        hidden_classes |= hidden
        hidden_ids |= ids
        shown_classes |= shown
    return hidden_classes, hidden_ids, shown_classes


#: Recent stylesheets' findings, by digest of the <style> text: a site ships the same inline
#: stylesheet (often tens of KB) on every page, and parsing it was a tenth of the page analysis.
_STYLE_CACHE: OrderedDict[bytes, tuple[frozenset[str], frozenset[str], frozenset[str]]] = OrderedDict()
_STYLE_CACHE_ENTRIES = 64
_STYLE_CACHE_LOCK = threading.Lock()


def _style_classes(css: str) -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """(always-hidden classes, always-hidden ids, shown classes) of one stylesheet, memoised."""
    if not css.strip():
        return frozenset(), frozenset(), frozenset()
    key = hashlib.blake2b(css.encode("utf-8", "surrogatepass"), digest_size=16).digest()
    with _STYLE_CACHE_LOCK:
        found = _STYLE_CACHE.get(key)
        if found is not None:
            _STYLE_CACHE.move_to_end(key)
            return found
    found = _parse_style_classes(css)
    with _STYLE_CACHE_LOCK:
        _STYLE_CACHE[key] = found
        if len(_STYLE_CACHE) > _STYLE_CACHE_ENTRIES:
            _STYLE_CACHE.popitem(last=False)
    return found


def _parse_style_classes(css: str) -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    hidden_classes: set[str] = set()
    hidden_ids: set[str] = set()
    shown_classes: set[str] = set()
    for selectors, body, conditional in _css_rules(css):
        lowered = body.lower()
        if "display" not in lowered and "visibility" not in lowered:
            continue  # neither hides nor shows: most rules of a large stylesheet
        declarations = body.replace("\n", " ")
        hides = bool(_DISPLAY_NONE.search(declarations))
        shows = not hides and re.search(r"display\s*:", declarations, re.IGNORECASE) is not None
        for selector in selectors.split(","):
            m = _SIMPLE_SELECTOR.match(selector)
            if not m:
                continue
            if shows and m.group(1) == ".":
                shown_classes.add(m.group(2))
            elif hides and not conditional:
                (hidden_classes if m.group(1) == "." else hidden_ids).add(m.group(2))
    return frozenset(hidden_classes), frozenset(hidden_ids), frozenset(shown_classes)


def _hidden_by_class(class_attr: str, hidden: set[str], shown: set[str]) -> bool:
    classes = set(class_attr.split())
    return bool(classes & hidden) and not classes & shown


def _is_json_ld(el: etree._Element) -> bool:
    return el.tag == "script" and el.get("type", "").strip().lower() == "application/ld+json"


def _keep_in_head(doc: lxml.html.HtmlElement, el: etree._Element) -> None:
    """Move a JSON-LD script to <head>, leaving its tail text where it was."""
    head = doc.find("head")
    if head is None:
        head = etree.Element("head")
        doc.insert(0, head)
    if el.getparent() is head:
        return
    tail, el.tail = el.tail, None
    parent = el.getparent()
    if parent is not None and tail:
        previous = el.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    head.append(el)


def strip_hidden(doc: lxml.html.HtmlElement) -> int:
    """Remove non-content and hidden elements in place; returns how many hidden elements went.

    Streamed segments (React/Next.js ``<div hidden id="S:1">`` completed by inline scripts) are
    first moved where a browser shows them (see :mod:`crawler.streaming`). JSON-LD scripts are
    data, not content: they are kept, moved into <head>, so that parsers and the JSON-LD fallback
    can read them after this step while body text never includes them.
    """
    reveal_streamed_segments(doc)
    hidden_classes, hidden_ids, shown_classes = _stylesheet_classes(doc)
    doomed = []
    for el in doc.iter(etree.Element):
        if _is_json_ld(el):
            continue
        if el.tag in _NON_CONTENT_TAGS:
            doomed.append(el)
            continue
        attrib = el.attrib
        if (
            "hidden" in attrib
            or attrib.get("aria-hidden", "").lower() == "true"
            or _DISPLAY_NONE.search(attrib.get("style", ""))
            or (hidden_ids and attrib.get("id") in hidden_ids)
            or (hidden_classes and _hidden_by_class(attrib.get("class", ""), hidden_classes, shown_classes))
        ):
            doomed.append(el)
    removed = 0
    for el in doomed:
        parent = el.getparent()
        if parent is None:
            continue
        if el.tag not in _NON_CONTENT_TAGS:
            removed += 1
        el.drop_tree()
    for el in [e for e in doc.iter("script") if _is_json_ld(e)]:
        _keep_in_head(doc, el)
    etree.strip_elements(doc, etree.Comment, with_tail=False)
    return removed


def normalise_space(text: str) -> str:
    """Collapse runs of spaces (not newlines) and trim."""
    return _SPACES.sub(" ", text).strip()


def block_texts(el: etree._Element) -> list[str]:
    """Visible text of ``el`` split at block boundaries, one string per non-empty block."""
    parts: list[str] = []

    def walk(node: etree._Element) -> None:
        if not isinstance(node.tag, str):
            if node.tail:
                parts.append(node.tail)
            return
        block = node.tag in _BLOCK_TAGS
        if block:
            parts.append("\n")
        if node.text:
            parts.append(node.text)
        for child in node:
            walk(child)
        if block:
            parts.append("\n")
        if node.tail:
            parts.append(node.tail)

    text_start = el.text or ""
    parts.append(text_start)
    for child in el:
        walk(child)
    lines = (normalise_space(line) for line in "".join(parts).split("\n"))
    return [line for line in lines if line]


def visible_text(el: etree._Element) -> str:
    """Visible text of ``el`` with one line per block."""
    return "\n".join(block_texts(el))


def meta_content(doc: lxml.html.HtmlElement, *names: str) -> str | None:
    """First non-empty <meta name|property=...> content among ``names``."""
    for name in names:
        for el in doc.xpath("//meta[@property=$n or @name=$n or @itemprop=$n]", n=name):
            content = normalise_space(el.get("content", ""))
            if content:
                return content
    return None


def link_density(el: etree._Element) -> float:
    """Share of visible text that sits inside links: high on listing pages, low in articles."""
    total = len(normalise_space(el.text_content() or ""))
    if not total:
        return 0.0
    linked = sum(len(normalise_space(a.text_content() or "")) for a in el.iter("a"))
    return min(1.0, linked / total)
