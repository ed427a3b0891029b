"""Cut a page into text blocks: the units the generic extractor keeps or drops.

A block is the text a reader sees as one unit: a paragraph, a heading, a list item, a caption,
the loose text of a ``<div>``. Inline markup (links, emphasis, spans) stays inside its block;
any other element starts a new one, custom elements included (``<my-teaser>`` wraps blocks far
more often than it wraps words).

The cut is one walk over the tree, and the same walk records what the features need to know
about a block's surroundings (its ancestors' class/id words, the enclosing <article>, <aside>,
<figure>..., its path of ancestors), because a second pass over lxml elements costs as much
as the first: on a large page, Python-level tree walks are most of the extractor's time.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from lxml import etree

#: Elements that flow inside a block of text rather than starting one.
INLINE_TAGS = frozenset([
    "a", "abbr", "acronym", "b", "bdi", "bdo", "big", "br", "cite", "code", "data", "del", "dfn", "em", "font",
    "i", "img", "input", "ins", "kbd", "label", "mark", "math", "nobr", "output", "q", "rp", "rt", "ruby", "s",
    "samp", "select", "small", "span", "strike", "strong", "sub", "sup", "textarea", "time", "tt", "u", "var",
    "wbr",
])
#: Elements whose content is never text a reader reads as the page.
SKIP_TAGS = frozenset([
    "script", "style", "noscript", "template", "svg", "iframe", "object", "embed", "canvas", "video", "audio",
    "source", "picture", "head", "title", "meta", "link", "button", "select", "option", "textarea", "input",
])

#: Class/id word groups. A word belongs to a group when it starts with one of the group's stems;
#: stems of three letters or fewer must be the whole word ("ad" is not "head").
KEYWORD_GROUPS: dict[str, tuple[str, ...]] = {
    "nav": ("nav", "menu", "breadcrumb", "dropdown", "sitemap", "toolbar", "skip", "pagination", "pager"),
    "header": ("header", "masthead", "topbar"),
    "footer": ("footer", "bottom", "colophon"),
    "sidebar": ("sidebar", "aside", "rail", "widget", "sidebox"),
    "related": ("related", "recommend", "popular", "trending", "most", "more", "also", "further", "similar",
                "suggest", "next", "prev", "teaser", "card", "feed", "stream", "promo", "outbrain", "taboola",
                "readmore", "weiterlesen", "mehr"),
    "list": ("list", "item", "items", "grid", "collection", "tiles", "tile"),
    "social": ("social", "share", "sharing", "follow", "facebook", "twitter", "whatsapp", "linkedin", "pinterest"),
    "subscribe": ("newsletter", "subscri", "signup", "register", "login", "paywall", "premium", "abo", "plus",
                  "offer", "donat", "support", "membership", "cta"),
    "comment": ("comment", "discussion", "reply", "disqus", "forum", "kommentar"),
    "media": ("caption", "credit", "copyright", "figcaption", "image", "img", "photo", "picture", "media",
              "gallery", "slider", "slideshow", "carousel", "video", "player", "audio", "podcast", "bild", "foto"),
    "meta": ("meta", "byline", "author", "date", "time", "published", "dateline", "tag", "tags", "topic",
             "keyword", "category", "kicker", "label", "source", "autor"),
    "ad": ("ad", "ads", "advert", "anzeige", "sponsor", "commercial", "banner", "dfp", "adb", "adslot", "werbung",
           "affiliate", "partner", "marketing"),
    "consent": ("cookie", "consent", "privacy", "gdpr", "embed", "external", "cmp"),
    "title": ("title", "headline", "heading", "hed"),
    "hidden": ("hidden", "hide", "sr", "visually", "offscreen", "invisible", "print", "noprint"),
    "article": ("article", "story", "post", "entry", "content", "body", "text", "main", "prose", "richtext", "rich",
                "paragraph", "copy", "detail", "reading", "markdown", "artikel", "beitrag", "single"),
    "lead": ("lead", "intro", "summary", "standfirst", "description", "abstract", "excerpt", "subtitle", "subline",
             "deck", "dek", "strapline", "vorspann", "ingress"),
    "box": ("box", "info", "infobox", "fact", "facts", "fakta", "note", "pullquote", "quote"),
}
GROUPS = tuple(KEYWORD_GROUPS)
GROUP_BIT = {group: 1 << i for i, group in enumerate(GROUPS)}

#: Enclosing elements that say what a block is.
ANCESTOR_TAGS = ("article", "main", "aside", "nav", "footer", "header", "figure", "form", "li", "table",
                 "blockquote", "section", "dl", "address")
ANCESTOR_BIT = {tag: 1 << i for i, tag in enumerate(ANCESTOR_TAGS)}

_SPACES = re.compile(r"\s+")
_TOKEN = re.compile(r"\w+")
_WORD_SPLIT = re.compile(r"[^a-z0-9]+")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")


def _group_pattern(stems: tuple[str, ...]) -> re.Pattern[str]:
    long = "|".join(re.escape(s) for s in stems if len(s) > 3)
    short = "|".join(re.escape(s) for s in stems if len(s) <= 3)
    parts = ([f"(?:{long})"] if long else []) + ([f"(?:{short})$"] if short else [])
    return re.compile("|".join(parts))


_GROUP_PATTERNS = tuple((GROUP_BIT[group], _group_pattern(stems)) for group, stems in KEYWORD_GROUPS.items())


@functools.lru_cache(maxsize=65536)
def attribute_groups(value: str) -> int:
    """Bit set of the keyword groups of a class/id/itemprop/role string (cached: sites repeat them)."""
    bits = 0
    for word in _WORD_SPLIT.split(_CAMEL.sub(" ", value).lower()):
        if word:
            for bit, pattern in _GROUP_PATTERNS:
                if not bits & bit and pattern.match(word):
                    bits |= bit
    return bits


@dataclass(eq=False, slots=True)
class Block:
    """One block of visible text, the element that holds it, and what encloses it."""

    element: etree._Element
    tag: str
    #: Serial numbers of the enclosing elements, outermost first, the block's own element last.
    path: tuple[int, ...]
    #: Keyword groups of the element itself, of it and its two parents, of any ancestor.
    own: int = 0
    near: int = 0
    far: int = 0
    #: Enclosing elements among ANCESTOR_TAGS, and whether an ancestor is itemprop=articleBody.
    enclosing: int = 0
    article_body: bool = False
    #: "tag.classes<parent tag.classes": blocks of one kind share it (a site's paragraphs do).
    signature: str = ""
    parts: list[str] = field(default_factory=list)
    link_chars: int = 0
    links: int = 0
    text: str = ""
    tokens: int = 0
    #: The text's words, lower-cased (\w+ runs).
    words: list[str] = field(default_factory=list)
    #: Position among the page's blocks, in reading order.
    index: int = 0

    @property
    def depth(self) -> int:
        return len(self.path)

    @property
    def link_density(self) -> float:
        return min(1.0, self.link_chars / len(self.text)) if self.text else 0.0


@dataclass(slots=True)
class _Frame:
    """What the walk knows about an element while it is inside it."""

    path: tuple[int, ...]
    own: int
    parent_own: int
    grand_own: int
    far: int
    enclosing: int
    article_body: bool
    label: str


@dataclass(slots=True)
class _Slot:
    """A block-level element whose block is created only when some text arrives (most never do)."""

    element: etree._Element
    tag: str
    frame: _Frame
    parent_label: str
    block: Block | None = None


class _Segmenter:
    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.serial = 0

    def frame(self, element: etree._Element, tag: str, parent: _Frame | None) -> _Frame:
        self.serial += 1
        get = element.get
        cls = get("class") or ""
        itemprop = get("itemprop") or ""
        attrs = f"{cls} {get('id') or ''} {itemprop} {get('role') or ''}"
        own = attribute_groups(attrs) if len(attrs) > 3 else 0
        label = f"{tag}.{cls}"
        body = itemprop.lower() == "articlebody"
        if parent is None:
            return _Frame((self.serial,), own, 0, 0, own, ANCESTOR_BIT.get(tag, 0), body, label)
        return _Frame(
            path=(*parent.path, self.serial),
            own=own,
            parent_own=parent.own,
            grand_own=parent.parent_own,
            far=parent.far | own,
            enclosing=parent.enclosing | ANCESTOR_BIT.get(tag, 0),
            article_body=parent.article_body or body,
            label=label,
        )

    def _block(self, slot: _Slot) -> Block:
        frame = slot.frame
        block = slot.block = Block(
            element=slot.element,
            tag=slot.tag,
            path=frame.path,
            own=frame.own,
            near=frame.own | frame.parent_own | frame.grand_own,
            far=frame.far,
            enclosing=frame.enclosing,
            article_body=frame.article_body,
            signature=f"{frame.label}<{slot.parent_label}",
        )
        self.blocks.append(block)
        return block

    def add(self, slot: _Slot, text: str | None, in_link: bool) -> None:
        if not text:
            return
        block = slot.block
        if block is None:
            if text.isspace():  # leading white space never opens a block
                return
            block = self._block(slot)
        block.parts.append(text)
        if in_link:
            block.link_chars += len(text.strip())

    def walk(self, element: etree._Element, slot: _Slot, in_link: bool) -> None:
        for child in element:
            tag = child.tag
            if not isinstance(tag, str):  # comments, processing instructions: only their tail counts
                self.add(slot, child.tail, in_link)
                continue
            tag = tag.lower()
            if tag in SKIP_TAGS:
                self.add(slot, child.tail, in_link)
                continue
            if tag in INLINE_TAGS:
                if tag == "br":
                    if slot.block is not None:
                        slot.block.parts.append("\n")
                else:
                    link = in_link or tag == "a"
                    self.add(slot, child.text, link)
                    self.walk(child, slot, link)
                    if tag == "a" and not in_link and slot.block is not None:
                        slot.block.links += 1
                self.add(slot, child.tail, in_link)
                continue
            frame = self.frame(child, tag, slot.frame)
            inner = _Slot(child, tag, frame, slot.frame.label)
            self.add(inner, child.text, False)
            self.walk(child, inner, False)
            # Text after a block element reads as a block of its own, in its place.
            if child.tail and not child.tail.isspace():
                slot = _Slot(element, slot.tag, slot.frame, "~")
                self.add(slot, child.tail, in_link)


def segment(root: etree._Element) -> list[Block]:
    """The non-empty text blocks under ``root`` in reading order."""
    seg = _Segmenter()
    tag = root.tag.lower() if isinstance(root.tag, str) else ""
    top = _Slot(root, tag, seg.frame(root, tag, None), "~")
    seg.add(top, root.text, False)
    seg.walk(root, top, False)
    blocks: list[Block] = []
    for block in seg.blocks:
        text = _SPACES.sub(" ", "".join(block.parts)).strip()
        if not text:
            continue
        block.text = text
        block.parts = []
        block.words = _TOKEN.findall(text.lower())
        block.tokens = len(block.words)
        block.link_chars = min(block.link_chars, len(text))
        block.index = len(blocks)
        blocks.append(block)
    return blocks
