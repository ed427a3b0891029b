"""Page analysis: one code path from raw bytes to verdict and clean article fields.

The crawler's spiders and ``newsarchive extract`` (which reads archived WARC records) both call
:func:`analyse_page`, so an auditor can reproduce from the archive exactly the text the crawl
produced.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Any

from crawler.cleaning import clean_paragraphs
from crawler.encoding import decode_body, repair_fields
from crawler.extraction import Extracted, detect_language, generic_fields, metadata_fallbacks
from crawler.htmltools import link_density, meta_content, parse_html, strip_hidden, visible_text
from crawler.urls import outlet_url
from crawler.verdicts import PageFingerprint, PageSignals, Verdict, drop_template_messages, judge

if TYPE_CHECKING:
    import lxml.html

    from crawler.outlet import OutletSpider

_HTML_TYPES = ("text/html", "application/xhtml+xml", "text/plain", "application/xml", "text/xml")
#: Leading bytes of binary formats servers mislabel as HTML (images, archives, PDFs, compressed bodies
#: stored without their Content-Encoding header, or whose decoding was refused as a bomb).
_BINARY_MAGIC = (
    b"\x1f\x8b", b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"%PDF", b"PK\x03\x04", b"RIFF", b"\x28\xb5\x2f\xfd",
    b"7z\xbc\xaf", b"BZh", b"\x00\x00\x00",
)
#: C0 control bytes text never holds (tab, LF, FF, CR and ESC are text's own).
_CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 12, 13, 27))
#: Share of control bytes in the first 64 KiB above which a body is binary: random bytes have ~11%,
#: real HTML none (a stray NUL or two in a comment stays far below).
_BINARY_CONTROL_SHARE = 0.02
_UNICODE_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")


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
    #: The evidence the verdict was computed from (not serialised): what the crawl learns about a
    #: site from its pages (crawler.probe: the probe's fingerprint, template blocks) comes from here.
    signals: PageSignals | None = field(default=None, repr=False, compare=False)

    @property
    def text(self) -> str:
        return "\n\n".join(self.paragraphs)

    @property
    def is_article(self) -> bool:
        return self.verdict == "article"

    def as_record(self) -> dict[str, Any]:
        """The JSON object ``newsarchive extract`` prints (and the base of the article item)."""
        record = asdict(replace(self, signals=None))
        record.pop("signals")
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
    # Templates often print a comment before the doctype ("<!-- Layout Default -->\n<!DOCTYPE html>").
    return head.startswith((b"<!doctype html", b"<html", b"<?xml")) or any(
        tag in head for tag in (b"<body", b"<!doctype html", b"<html")
    )


def _looks_binary(body: bytes) -> bool:
    """True for bytes that are no text in any encoding: binary data served as ``text/html``.

    Decoding them anyway yields thousands of replacement characters or a code page's worth of symbols, and
    a paragraph of that noise is long enough to pass for an article; so they are judged before decoding.
    UTF-16/32 pages (which are full of NULs) announce themselves with a BOM and are left alone.
    """
    if body.startswith(_UNICODE_BOMS):
        return False
    if body.startswith(_BINARY_MAGIC):
        return True
    sample = body[:65536]
    if not sample:
        return False
    controls = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
    return controls > max(16, _BINARY_CONTROL_SHARE * len(sample))


def analyse_page(
    url: str,
    status: int,
    body: bytes,
    *,
    content_type: str | None = None,
    outlet: type[OutletSpider] | None = None,
    redirect_urls: Sequence[str] = (),
    probe: PageFingerprint | None = None,
    templates: frozenset[str] = frozenset(),
) -> PageResult:
    """Decode, judge and extract one page. Never raises on bad input: odd pages get a verdict.

    ``probe`` and ``templates`` are what the crawl learnt about the site (``crawler.probe``); a
    single page analysed alone has neither, and is judged on its own evidence.
    """
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
    # Only where the body would count: any other status decides the verdict by itself (crawler.verdicts).
    if 200 <= status < 300 and _looks_binary(body):
        return PageResult(
            url=url, source_url=source_url, outlet=outlet_name, status=status,
            verdict="error", verdict_reasons=[f"status:{status}", "binary-body"],
            redirect_urls=list(redirect_urls),
        )
    text, decision = decode_body(body, content_type, languages=languages)
    doc = parse_html(text)
    robots = (meta_content(doc, "robots") or "").lower()
    strip_hidden(doc)

    url_kind = outlet.url_kind(source_url) if outlet else None
    fields = _outlet_fields(doc, source_url, outlet)
    # JSON-LD and meta tags only fill what the parser left empty: not read when it left nothing.
    if not (fields.title and fields.authors and fields.published and fields.section and fields.paragraphs):
        fields = _merge(fields, metadata_fallbacks(doc, source_url))
    # A listing the outlet itself names as such has no article body to look for.
    if not fields.paragraphs and url_kind != "listing":
        fields = _merge(fields, generic_fields(doc, source_url))

    cleaned = clean_paragraphs(
        fields.paragraphs,
        title=fields.title,
        boilerplate=outlet.boilerplate if outlet else (),
        stop_at=outlet.stop_at if outlet else (),
        authors=fields.authors,
    )
    authors = list(fields.authors)
    authors += [a for a in cleaned.authors if a not in authors]

    # All text fields in one call: a mislabel garbles a page as a whole, so the evidence is weighed
    # over the whole page (the section name is garbled along with the rest).
    texts = [fields.title, fields.section, *cleaned.paragraphs, *authors]
    fixed, text_repairs = repair_fields(texts, languages=languages)
    repairs = list(dict.fromkeys([*decision.repairs, *text_repairs]))
    title, section = fixed[0], fixed[1]
    paragraphs = [p for p in fixed[2 : 2 + len(cleaned.paragraphs)] if p]
    authors = [a for a in fixed[2 + len(cleaned.paragraphs) :] if a]
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
        visible_text=page_text,
        probe=probe,
        template_blocks=templates,
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
        section=section,
        language=language,
        paragraphs=drop_template_messages(paragraphs, templates) if verdict.is_article else [],
        encoding=encoding,
        extractor=fields.extractor,
        redirect_urls=list(redirect_urls),
        signals=signals,
    )


