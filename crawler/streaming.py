"""Streamed server rendering (React 18 / Next.js): put the late segments where the reader sees them.

A streamed page first sends a skeleton with placeholders (``<template id="B:1">`` after a
``<!--$?-->`` comment, or ``<template id="P:6">``) and later, in the same HTML response, the real
content in ``<div hidden id="S:1">`` blocks followed by inline scripts ``$RC("B:1","S:1")``,
``$RR(...)`` or ``$RS("S:6","P:6")`` that move each segment into its placeholder. A browser shows
the moved content; a parser that drops ``hidden`` elements (as :func:`crawler.htmltools.strip_hidden`
must, for the hidden error templates of MENAFN) would drop the whole article instead. Anadolu
Ajansı's current layout puts its entire story in such segments.

:func:`reveal_streamed_segments` performs those moves on the parsed tree, as the inline scripts
would, before hidden elements are removed. Segments no script completes stay hidden, as in a
browser.
"""

from __future__ import annotations

import re

import lxml.html
from lxml import etree

#: ``$RC("B:1","S:1")`` / ``$RR("B:1","S:1",[...])`` complete a boundary; ``$RS("S:6","P:6")`` a segment.
_CALL = re.compile(r"\$R([CRS])\(\s*\"([^\"]+)\"\s*,\s*\"([^\"]+)\"")


def _add_text_before(parent: etree._Element, index: int, text: str) -> None:
    """Append ``text`` where it reads just before ``parent[index]``."""
    if index == 0:
        parent.text = (parent.text or "") + text
    else:
        previous = parent[index - 1]
        previous.tail = (previous.tail or "") + text


def _remove(node: etree._Element, *, keep_tail: bool) -> None:
    parent = node.getparent()
    if parent is None:
        return
    tail = node.tail if keep_tail else None
    index = parent.index(node)
    parent.remove(node)
    if tail:
        _add_text_before(parent, index, tail)


def _move_contents(source: etree._Element, parent: etree._Element, index: int) -> None:
    """Move ``source``'s text and children into ``parent`` at ``index``, in order."""
    if source.text:
        _add_text_before(parent, index, source.text)
        source.text = None
    for child in list(source):
        parent.insert(index, child)  # lxml moves the child's tail along with it
        index += 1


def _complete_segment(segment: etree._Element, placeholder: etree._Element) -> None:
    """``$RS``: the segment's content replaces the placeholder template."""
    parent = placeholder.getparent()
    if parent is None:
        return
    _remove(segment, keep_tail=True)
    _move_contents(segment, parent, parent.index(placeholder))
    _remove(placeholder, keep_tail=True)


def _complete_boundary(segment: etree._Element, placeholder: etree._Element) -> None:
    """``$RC``/``$RR``: drop the fallback from the placeholder to the matching ``<!--/$-->``, insert the segment."""
    parent = placeholder.getparent()
    if parent is None:
        return
    _remove(segment, keep_tail=True)
    depth = 0
    node: etree._Element | None = placeholder
    while node is not None:
        following = node.getnext()
        if isinstance(node, etree._Comment):
            data = (node.text or "").strip()
            if data == "/$":
                if depth == 0:
                    break
                depth -= 1
            elif data in ("$", "$?", "$!"):
                depth += 1
        _remove(node, keep_tail=False)  # the fallback's text goes with it, as in the DOM
        node = following
    index = parent.index(node) if node is not None else len(parent)
    _move_contents(segment, parent, index)


def reveal_streamed_segments(doc: lxml.html.HtmlElement) -> int:
    """Apply the page's streaming completions in script order; returns how many were applied."""
    calls: list[tuple[str, str, str]] = []
    for script in doc.iter("script"):
        source = script.text or ""
        if "$R" in source:
            calls.extend(_CALL.findall(source))
    if not calls:
        return 0
    by_id = {el.get("id"): el for el in doc.iter(etree.Element) if el.get("id")}
    applied = 0
    for kind, first, second in calls:
        segment_id, placeholder_id = (first, second) if kind == "S" else (second, first)
        segment, placeholder = by_id.get(segment_id), by_id.get(placeholder_id)
        if segment is None or placeholder is None or placeholder.tag != "template":
            continue
        if kind == "S":
            _complete_segment(segment, placeholder)
        else:
            _complete_boundary(segment, placeholder)
        applied += 1
    return applied
