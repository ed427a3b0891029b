"""The generic extractor and field fallbacks: JSON-LD and meta tags, then the block classifier.

Used for outlets without a parser of their own, and field by field for outlet parsers that
cannot read a field (their markup changed). Every result says which path produced it:
``generic`` for the body chosen by :mod:`crawler.generic` (text blocks scored by a small trained
model that also weighs JSON-LD ``articleBody`` and, when unsure, trafilatura's own selection),
``jsonld`` when only the page's JSON-LD article body could be used.

Measured on 212 real pages from about 30 countries (``make bench-extract``), this path beats plain
trafilatura on body text, title, date and authors, also on the countries its model never saw.
"""

from __future__ import annotations

import copy
import functools
import html
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import lxml.html

from crawler.generic.extractor import extract_paragraphs
from crawler.generic.metadata import page_metadata
from crawler.htmltools import normalise_space
from crawler.parsing import json_ld_article

logger = logging.getLogger(__name__)
# trafilatura warns "discarding data" for every listing page it declines; our verdict records that.
logging.getLogger("trafilatura").setLevel(logging.ERROR)


@dataclass
class Extracted:
    title: str | None = None
    authors: list[str] = field(default_factory=list)
    published: str | None = None
    section: str | None = None
    paragraphs: list[str] = field(default_factory=list)
    #: Which path produced the text: "generic", "jsonld" or "none" (outlet parsers: "outlet:NAME/VERSION").
    extractor: str = "none"


def metadata_fallbacks(doc: lxml.html.HtmlElement, url: str | None = None) -> Extracted:
    """Title, authors, date and section from JSON-LD and meta tags, the outlet-independent metadata.

    See :mod:`crawler.generic.metadata` for the order in which sources are trusted and why.
    """
    meta = page_metadata(doc, url)
    return Extracted(title=meta.title, authors=meta.authors, published=meta.published, section=meta.section)


def generic_fields(doc: lxml.html.HtmlElement, url: str | None) -> Extracted:
    """The article body by the generic extractor; the JSON-LD body when the blocks give nothing.

    ``doc`` must have had its hidden elements removed. Metadata is left to
    :func:`metadata_fallbacks`, which page analysis merges in first.
    """
    paragraphs = extract_paragraphs(doc, url)
    if paragraphs:
        return Extracted(paragraphs=paragraphs, extractor="generic")
    ld = json_ld_article(doc)
    body = ld.get("articleBody") if ld else None
    if isinstance(body, str) and len(body) > 200:
        lines = [normalise_space(line) for line in html.unescape(body).split("\n")]
        return Extracted(paragraphs=[line for line in lines if line], extractor="jsonld")
    return Extracted()


#: How much of a text language detection reads (see detect_language).
LANGUAGE_SAMPLE_CHARS = 1500


@functools.cache
def _full_identifier():
    """py3langid's model, loaded once: ~75 MB resident (its automaton and probability table)."""
    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_modelpath(MODEL_DIR / MODEL_FILE, norm_probs=True)


@functools.cache
def _identifier(languages: tuple[str, ...]):
    """The identifier restricted to ``languages`` (all of them for ``()``).

    A restricted one is a shallow copy of the full one: ``set_languages`` replaces the copy's class
    table with a few columns and shares the rest, so a crawl of outlets with different language
    sets holds the model once instead of once per set.
    """
    full = _full_identifier()
    if not languages:
        return full
    ident = copy.copy(full)
    ident.set_languages(list(languages))
    return ident


def detect_language(text: str, candidates: Sequence[str] = ()) -> str | None:
    """ISO 639-1 code of ``text``; restricted to the outlet's languages when it has several.

    Restricting matters for Turkish vs Azerbaijani, which share most of their alphabet; an outlet
    with a single language needs no detection at all.
    """
    if len(candidates) == 1:
        return candidates[0]
    # 1,500 characters decide as well as more: on the 217 real pages of ../shared/data (fundus-dev
    # and fundus-tr, tr/az restricted and not) 1,000, 1,500 and 3,000 gave the same language every
    # time, and py3langid walks its automaton byte by byte in Python, so the sample's length is
    # its cost (3,000 characters were a tenth of a page's analysis in bench/suite.py).
    sample = text[:LANGUAGE_SAMPLE_CHARS]
    if len(sample.strip()) < 20:
        return None
    if candidates:
        # The script narrows the choice at no cost: a Cyrillic text on a Russian/English/Azerbaijani
        # outlet is Russian; the model is needed only among languages sharing the script.
        script = _main_script(sample)
        same = [c for c in candidates if SCRIPTS.get(c, "latin") == script]
        if len(same) == 1:
            return same[0]
        candidates = same or candidates
    lang, _probability = _identifier(tuple(sorted(candidates))).classify(sample)
    return str(lang)


#: Writing systems of the languages outlets declare; anything not listed here is Latin-script.
SCRIPTS: dict[str, str] = {
    **dict.fromkeys(("ru", "uk", "be", "bg", "sr", "mk", "kk", "ky", "tg", "mn"), "cyrillic"),
    **dict.fromkeys(("ar", "fa", "ur", "ps", "ku"), "arabic"),
    **dict.fromkeys(("el",), "greek"),
    **dict.fromkeys(("he", "yi"), "hebrew"),
    **dict.fromkeys(("zh", "ja", "ko", "th", "hi", "ka", "hy"), "other"),
}


def _main_script(text: str) -> str:
    """The script of most letters in ``text``: "latin", "cyrillic", "arabic", "greek", "hebrew", "other"."""
    counts = {"latin": 0, "cyrillic": 0, "arabic": 0, "greek": 0, "hebrew": 0, "other": 0}
    for char in text:
        if not char.isalpha():
            continue
        code = ord(char)
        if code < 0x250 or 0x1E00 <= code < 0x1F00:
            counts["latin"] += 1
        elif 0x400 <= code < 0x530:
            counts["cyrillic"] += 1
        elif 0x600 <= code < 0x800 or 0xFB50 <= code < 0xFE00 or 0xFE70 <= code < 0xFF00:
            counts["arabic"] += 1
        elif 0x370 <= code < 0x400:
            counts["greek"] += 1
        elif 0x590 <= code < 0x600:
            counts["hebrew"] += 1
        else:
            counts["other"] += 1
    return max(counts, key=counts.__getitem__)
