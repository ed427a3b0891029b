"""Compiled CSS selectors for outlet parsers: the same selectors, a fraction of the cost.

``parsel``'s ``sel.css(...)`` wraps every match in a Selector and walks the whole page per call;
on a small news page a handful of such calls cost more than trafilatura's whole extraction. These
helpers compile a selector once (lxml's CSSSelector, an XPath underneath) and read text straight
from the elements, so an outlet parser stays as readable and costs far less.
"""

from __future__ import annotations

import functools

from lxml import etree
from lxml.cssselect import CSSSelector

from crawler.htmltools import normalise_space


@functools.lru_cache(maxsize=512)
def compiled(css: str) -> CSSSelector:
    """The compiled form of a CSS selector (cached: parsers use a few fixed selectors).

    HTML rules (as parsel's): case-insensitive names and attribute values where HTML says so.
    Raises ``cssselect.SelectorError`` on a selector that is not valid CSS, or uses a pseudo-element
    such as ``::text`` (select elements; text is read by the helpers).
    """
    return CSSSelector(css, translator="html")


def select(root: etree._Element, css: str) -> list[etree._Element]:
    """Elements under ``root`` (itself included) matching ``css``, in document order."""
    return compiled(css)(root)


def text_of(el: etree._Element) -> str:
    """Visible text of an element, whitespace-normalised (text nodes joined by a space)."""
    return normalise_space(" ".join(t for t in el.itertext() if t))


def first_text_in(root: etree._Element, css: str) -> str | None:
    """Text of the first element matching ``css`` that has any."""
    for el in select(root, css):
        text = text_of(el)
        if text:
            return text
    return None
