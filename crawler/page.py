"""Page analysis: one code path from raw bytes to verdict and clean article fields.

The crawler's spiders and ``newsarchive extract`` (which reads archived WARC records) both call
:func:`analyse_page`, so an auditor can reproduce from the archive exactly the text the crawl
produced.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from crawler.cleaning import clean_paragraphs
from crawler.encoding import decode_body, repair_text
from crawler.extraction import Extracted, detect_language, metadata_fallbacks, trafilatura_fields
from crawler.htmltools import link_density, meta_content, parse_html, strip_hidden, visible_text
from crawler.urls import outlet_url
from crawler.verdicts import PageSignals, Verdict, judge

if TYPE_CHECKING:
    import lxml.html

    from crawler.outlet import OutletSpider

_HTML_TYPES = ("text/html", "application/xhtml+xml", "text/plain", "application/xml", "text/xml")


@dataclass
class PageResult:
    url: str
    source_url: str
    outlet: str | None
    status: int
    verdict: str
    verdict_reasons: list[str]
    title: str | None = None
    authors: list[str] = field(default_factory=list)
    published: str | None = None
    section: str | None = None
    language: str | None = None
    paragraphs: list[str] = field(default_factory=list)
    encoding: dict[str, Any] = field(default_factory=dict)
    extractor: str = "none"
    #: URLs redirected from, oldest first (a removed article's URL when it redirects home).
    redirect_urls: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n\n".join(self.paragraphs)

    @property
    def is_article(self) -> bool:
        return self.verdict == "article"

    def as_record(self) -> dict[str, Any]:
        """The JSON object ``newsarchive extract`` prints (and the base of the article item)."""
        record = asdict(self)
        record.pop("paragraphs")
        record["text"] = self.text
        record["word_count"] = len(self.text.split())
        return record


def _outlet_fields(doc: lxml.html.HtmlElement, url: str, outlet: type[OutletSpider] | None) -> Extracted:
    """Fields from the first outlet parser version that recognises the layout."""
    if outlet is None:
        return Extracted()
    for parser_cls in outlet.parsers:
        parser = parser_cls(doc, url)
        if not parser.matches():
            continue
        paragraphs = parser.paragraphs()
        return Extracted(
            title=parser.title(),
            authors=parser.authors() or [],
            published=parser.published(),
            section=parser.section(),
            paragraphs=paragraphs or [],
            extractor=f"outlet:{outlet.name}/{parser_cls.version}" if paragraphs else "none",
        )
    return Extracted()


def _merge(primary: Extracted, *fallbacks: Extracted) -> Extracted:
    """Field by field: the first source that has a value wins; the text keeps its source's label."""
    merged = Extracted(**asdict(primary))
    for fb in fallbacks:
        merged.title = merged.title or fb.title
        merged.authors = merged.authors or fb.authors
        merged.published = merged.published or fb.published
        merged.section = merged.section or fb.section
        if not merged.paragraphs and fb.paragraphs:
            merged.paragraphs = fb.paragraphs
            merged.extractor = fb.extractor
    return merged


def _looks_like_html(body: bytes, content_type: str | None) -> bool:
    if content_type and content_type.split(";")[0].strip().lower() in _HTML_TYPES:
        return True
    head = body[:1024].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html", b"<?xml")) or b"<body" in head


def analyse_page(
    url: str,
    status: int,
    body: bytes,
    *,
    content_type: str | None = None,
    outlet: type[OutletSpider] | None = None,
    redirect_urls: Sequence[str] = (),
) -> PageResult:
    """Decode, judge and extract one page. Never raises on bad input: odd pages get a verdict."""
    source_url = outlet_url(url)
    outlet_name = outlet.name if outlet else None
    languages = tuple(outlet.languages) if outlet else ()
    if not _looks_like_html(body, content_type):
        kind = (content_type or "unknown").split(";")[0].strip()
        return PageResult(
            url=url, source_url=source_url, outlet=outlet_name, status=status,
            verdict="error", verdict_reasons=[f"status:{status}", f"not-html:{kind}"],
            redirect_urls=list(redirect_urls),
        )
    text, decision = decode_body(body, content_type, languages=languages)
    doc = parse_html(text)
    robots = (meta_content(doc, "robots") or "").lower()
    strip_hidden(doc)

    url_kind = outlet.url_kind(source_url) if outlet else None
    fields = _merge(_outlet_fields(doc, source_url, outlet), metadata_fallbacks(doc))
    # A listing the outlet itself names as such has no article body to look for.
    if not fields.paragraphs and url_kind != "listing":
        fields = _merge(fields, trafilatura_fields(doc, source_url))

    cleaned = clean_paragraphs(
        fields.paragraphs,
        title=fields.title,
        boilerplate=outlet.boilerplate if outlet else (),
        stop_at=outlet.stop_at if outlet else (),
    )
    authors = list(fields.authors)
    authors += [a for a in cleaned.authors if a not in authors]

    repairs = list(decision.repairs)

    def repaired(value: str | None) -> str | None:
        if not value:
            return value
        fixed, steps = repair_text(value, languages=languages)
        repairs.extend(s for s in steps if s not in repairs)
        return fixed

    title = repaired(fields.title)
    paragraphs = [p for p in (repaired(p) for p in cleaned.paragraphs) if p]
    authors = [a for a in (repaired(a) for a in authors) if a]
    body_el = doc.body if doc.find("body") is not None else doc
    page_text = visible_text(body_el)
    main_text = "\n\n".join(paragraphs)
    language = (
        detect_language(main_text or page_text, languages)
        or (doc.get("lang") or "").split("-")[0].lower()
        or None
    )

    home_urls: list[str] = []
    if outlet is not None:
        home_urls = [outlet.home, *outlet.sections]
    headings = [h.text_content().strip() for h in doc.iter("h1")]
    og_title = meta_content(doc, "og:title")
    if og_title:
        headings.append(og_title)
    title_el = doc.find(".//title")
    signals = PageSignals(
        url=source_url,
        status=status,
        redirect_urls=[outlet_url(u) for u in redirect_urls],
        home_urls=home_urls,
        title=(title_el.text_content().strip() if title_el is not None else "") or (title or ""),
        headings=[h for h in headings if h],
        main_text=main_text,
        lead_text=page_text[:600],
        noindex="noindex" in robots,
        url_kind=url_kind,
        html_head=text[:20000],
        link_density=link_density(body_el),
        paragraph_count=len(paragraphs),
    )
    verdict: Verdict = judge(signals)

    encoding = decision.as_dict()
    encoding["repairs"] = repairs
    return PageResult(
        url=url,
        source_url=source_url,
        outlet=outlet_name,
        status=status,
        verdict=verdict.name,
        verdict_reasons=list(verdict.reasons),
        title=title,
        authors=authors,
        published=fields.published,
        section=fields.section,
        language=language,
        paragraphs=paragraphs if verdict.is_article else [],
        encoding=encoding,
        extractor=fields.extractor,
        redirect_urls=list(redirect_urls),
    )


