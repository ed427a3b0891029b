"""The generic extractor and field fallbacks: JSON-LD, meta tags, then trafilatura.

Used for outlets without a parser of their own, and field by field for outlet parsers that
cannot read a field (their markup changed). Every result says which path produced it.
"""

from __future__ import annotations

import copy
import functools
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

import lxml.html
import trafilatura

from crawler.htmltools import meta_content, normalise_space
from crawler.parsing import iso_datetime, json_ld_article

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
    #: Which path produced the text: "jsonld", "trafilatura" or "none".
    extractor: str = "none"


def _names(value: object) -> list[str]:
    """Author names from a JSON-LD author value (string, Person, list of either)."""
    items = value if isinstance(value, list) else [value]
    names: list[str] = []
    for item in items:
        name = item.get("name") if isinstance(item, dict) else item
        if isinstance(name, str):
            name = normalise_space(name)
            if name and name not in names:
                names.append(name)
    return names


def metadata_fallbacks(doc: lxml.html.HtmlElement) -> Extracted:
    """Fields from JSON-LD NewsArticle and meta tags, the outlet-independent metadata."""
    out = Extracted()
    ld = json_ld_article(doc)
    if ld:
        headline = ld.get("headline")
        out.title = normalise_space(headline) if isinstance(headline, str) else None
        out.authors = _names(ld.get("author"))
        published = ld.get("datePublished")
        out.published = iso_datetime(published) if isinstance(published, str) else None
        section = ld.get("articleSection")
        if isinstance(section, list):
            section = section[0] if section else None
        out.section = normalise_space(section) if isinstance(section, str) else None
        body = ld.get("articleBody")
        if isinstance(body, str) and len(body) > 200:
            out.paragraphs = [normalise_space(p) for p in body.split("\n") if normalise_space(p)]
            out.extractor = "jsonld"
    out.title = out.title or meta_content(doc, "og:title", "twitter:title")
    if not out.authors:
        author = meta_content(doc, "author", "article:author")
        if author and not author.startswith("http"):
            out.authors = [author]
    out.published = out.published or iso_datetime(
        meta_content(doc, "article:published_time", "datePublished", "pubdate")
    )
    out.section = out.section or meta_content(doc, "article:section")
    return out


# trafilatura keeps module-level caches; one extraction at a time is its documented safe use.
_TRAFILATURA_LOCK = threading.Lock()


def trafilatura_fields(doc: lxml.html.HtmlElement, url: str) -> Extracted:
    """Body and metadata by trafilatura, on a copy (it prunes the tree it is given)."""
    with _TRAFILATURA_LOCK:
        try:
            result = trafilatura.bare_extraction(
                copy.deepcopy(doc),
                url=url,
                with_metadata=True,
                favor_precision=True,
                include_comments=False,
                include_tables=True,
                deduplicate=False,
                as_dict=True,
            )
        except Exception:  # trafilatura raises many kinds on odd markup; the page is still judged
            logger.exception("trafilatura failed on %s", url)
            result = None
    if not result:
        return Extracted()
    text = result.get("text") or ""
    authors = [normalise_space(a) for a in (result.get("author") or "").split(";") if normalise_space(a)]
    categories = result.get("categories") or []
    return Extracted(
        title=result.get("title"),
        authors=authors,
        published=iso_datetime(result.get("date")),
        section=categories[0] if categories else None,
        paragraphs=[normalise_space(line) for line in text.split("\n") if normalise_space(line)],
        extractor="trafilatura" if text else "none",
    )


@functools.cache
def _identifier(languages: tuple[str, ...]):
    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

    ident = LanguageIdentifier.from_modelpath(MODEL_DIR / MODEL_FILE, norm_probs=True)
    if languages:
        ident.set_languages(list(languages))
    return ident


def detect_language(text: str, candidates: Sequence[str] = ()) -> str | None:
    """ISO 639-1 code of ``text``; restricted to the outlet's languages when it has several.

    Restricting matters for Turkish vs Azerbaijani, which share most of their alphabet; an outlet
    with a single language needs no detection at all.
    """
    if len(candidates) == 1:
        return candidates[0]
    sample = text[:3000]
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
