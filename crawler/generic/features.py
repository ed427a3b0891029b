"""Features of text blocks: what the block classifier sees.

Two stages, both logistic (see :mod:`crawler.generic.extractor`):

**Stage 1** looks at each block alone, with generic signals, so that the model learns how news
pages are built rather than how particular outlets name their classes:

* the block: tag, length, share of text in links, sentence punctuation, digits;
* its surroundings: enclosing <article>/<main>/<aside>/<nav>/<footer>/<figure>/<li>..., and a
  fixed vocabulary of class/id words grouped by meaning ("related", "share", "caption",
  "article", "lead"...; :data:`crawler.generic.blocks.KEYWORD_GROUPS`), on the block's element,
  near it (two parents up) and anywhere above it;
* its place: inside the page's densest cluster of prose (the subtree with the most text in long,
  link-free paragraphs, net of the link-heavy text it also holds), before or after it, before
  the headline;
* agreement with what the page says about itself: the JSON-LD ``articleBody`` when there is one,
  the meta description (the lead is usually repeated there), the title (repeated headlines);
* its words, through a small learned lexicon of furniture vocabulary ("newsletter", "cookies",
  "abonnieren", "read more"...): each word's log-odds of appearing in article text rather than
  around it, counted once per publisher so that no site's topics get in (see the trainer);
* in the *full* model only, agreement with trafilatura's own selection (its fast mode): an
  independent vote, asked only when the cheap model is unsure (see the extractor).

**Stage 2** sees stage 1's probabilities around each block: the mean over the block's siblings,
over its parent's subtree, over all blocks with the same markup signature (a site writes every
paragraph of a story the same way, and every teaser the same other way), its neighbours, whether
it sits between confident blocks (list items and subheadings inside a story belong to it), and
how much of the story's weight lies before and after it (nothing after it: past the story's end,
where author boxes and teasers live). Articles are runs of paragraphs; stage 2 fills the gaps in
a run and drops islands.

Blocks that are nearly all link text (menus, tag lists, teaser links) are not classified at all
(:data:`LINK_LIMIT`); they still count as context.
"""

from __future__ import annotations

import functools
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from crawler.generic.blocks import ANCESTOR_TAGS, GROUPS, Block

_TOKEN = re.compile(r"\w+")
_SENTENCE_END = re.compile(r"[.!?…:;\"'“”»«)\]]$")
_DIGIT = re.compile(r"\d")
_LEX_WORD = re.compile(r"[^\W\d_]{3,}")
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_TAG_FEATURES = ("p", "h1", "h2", "h3", "h456", "li", "div", "figcaption", "blockquote", "td", "dd", "other")
_TAG_OF = {"h4": "h456", "h5": "h456", "h6": "h456", "th": "td", "caption": "td", "dt": "dd",
           "section": "div", "article": "div", "main": "div", "center": "div"}


@functools.lru_cache(maxsize=256)
def _tag_row(tag: str) -> tuple[float, ...]:
    name = _TAG_OF.get(tag, tag)
    if name not in _TAG_FEATURES:
        name = "other"
    return tuple(float(name == t) for t in _TAG_FEATURES)


@functools.lru_cache(maxsize=4096)
def _enclosing_row(bits: int) -> tuple[float, ...]:
    return tuple(float(bool(bits & (1 << i))) for i in range(len(ANCESTOR_TAGS)))


@functools.lru_cache(maxsize=65536)
def _group_row(own: int, near: int, far: int) -> tuple[float, ...]:
    n = len(GROUPS)
    return (
        tuple(float(bool(own & (1 << i))) for i in range(n))
        + tuple(float(bool(near & (1 << i))) for i in range(n))
        + tuple(float(bool(far & (1 << i))) for i in range(n))
    )


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.lower())


def _shingles(tokens: Sequence[str], n: int = 4) -> set[tuple[str, ...]]:
    return {tuple(tokens[i : i + n]) for i in range(max(1, len(tokens) - n + 1)) if tokens[i : i + n]}


class TextIndex:
    """A text to compare blocks with (JSON-LD body, trafilatura's output): its shingles and words."""

    def __init__(self, text: str) -> None:
        tokens = _tokens(text)
        self.shingles = _shingles(tokens)
        self.words = " " + " ".join(tokens) + " "

    def share(self, tokens: Sequence[str]) -> float:
        """Share of a block's 4-gram shingles found here (for blocks under four words: all or none)."""
        if len(tokens) < 4:
            return 1.0 if tokens and f" {' '.join(tokens)} " in self.words else 0.0
        grams = [tuple(tokens[i : i + 4]) for i in range(len(tokens) - 3)]
        return sum(1 for g in grams if g in self.shingles) / len(grams)


@dataclass
class PageContext:
    """Page-level signals shared by all blocks of a page."""

    title_keys: set[str]
    description_tokens: list[str]
    ld_body: TextIndex | None
    #: trafilatura's selection, when it was asked (the full model only).
    trafilatura: TextIndex | None = None


def page_context(title_candidates: Sequence[str], description: str | None, ld_body: str | None) -> PageContext:
    return PageContext(
        title_keys={key for t in title_candidates if (key := " ".join(_tokens(t)))},
        description_tokens=_tokens(description or ""),
        ld_body=TextIndex(ld_body) if ld_body and ld_body.strip() else None,
    )


def is_title_repeat(text: str, page: PageContext) -> bool:
    return " ".join(_tokens(text)) in page.title_keys


def _prose_score(block: Block) -> float:
    """How much a block looks like article prose (positive) or like navigation (negative)."""
    density = block.link_density
    if block.tag in _HEADINGS:
        return 0.0
    if density > 0.5:
        return -0.5 * block.tokens
    if block.tokens >= 12 and _SENTENCE_END.search(block.text):
        return block.tokens * (1 - density)
    if block.tag == "p" and block.tokens >= 6:
        return 0.5 * block.tokens * (1 - density)
    return -0.2 * block.tokens if density > 0.2 else 0.0


def _main_cluster(blocks: Sequence[Block], scores: Sequence[float]) -> tuple[int | None, int, float]:
    """(serial, depth, score) of the element whose subtree holds the most prose, net of link text."""
    totals: dict[int, float] = {}
    depth: dict[int, int] = {}
    for block, score in zip(blocks, scores, strict=True):
        if not score:
            continue
        for level, serial in enumerate(block.path):
            totals[serial] = totals.get(serial, 0.0) + score
            depth[serial] = level
    if not totals:
        return None, 0, 0.0
    best = max(totals.values())
    if best <= 0:
        return None, 0, 0.0
    # The deepest element within 10% of the best score: the container, not the whole page.
    container = max((s for s, v in totals.items() if v >= 0.9 * best), key=lambda s: depth[s])
    return container, depth[container], best


LEXICON_NAMES = ["lex_mean", "lex_min", "lex_max", "lex_known"]
TRAFILATURA_NAMES = ["traf_present", "traf_match"]


def stage1_names(trafilatura: bool) -> list[str]:
    """Stage-1 feature names; the trafilatura vote's two columns only in the model that asks it."""
    return _base_names() + LEXICON_NAMES + (TRAFILATURA_NAMES if trafilatura else [])


def _base_names() -> list[str]:
    names = ["bias", "log_tokens", "log_chars", "link_density", "links_per_token", "ends_sentence", "digit_share",
             "short", "very_short", "upper_start", "has_at", "has_copyright"]
    names += [f"tag_{t}" for t in _TAG_FEATURES]
    names += [f"in_{t}" for t in ANCESTOR_TAGS]
    names += ["in_article_body", "rel_depth"]
    names += [f"own_{g}" for g in GROUPS] + [f"near_{g}" for g in GROUPS] + [f"far_{g}" for g in GROUPS]
    names += ["in_cluster", "before_cluster", "after_cluster", "cluster_share", "rel_position",
              "before_h1", "after_h1_near", "duplicate", "title_repeat", "desc_overlap", "desc_lead",
              "ld_present", "ld_match", "ld_miss",
              "prev_prose", "next_prose", "prev_link_density", "next_link_density", "prev_p", "next_p",
              "siblings_p_share", "parent_link_density"]
    return names


def lexicon_words(text: str) -> set[str]:
    """The words the boilerplate lexicon knows about: lower-case, letters only, three or more."""
    return {w.lower() for w in _LEX_WORD.findall(text)}


def _lexicon_row(text: str, lexicon: dict[str, float]) -> list[float]:
    scores = [lexicon[w] for w in lexicon_words(text) if w in lexicon]
    if not scores:
        return [0.0, 0.0, 0.0, 0.0]
    return [sum(scores) / len(scores), min(scores), max(scores), 1.0]


#: Blocks with at least this share of their text in links are menus, tag lists and teaser links:
#: never classified (on the development pages they hold 58% of all blocks and 0.3% of the
#: article words), which halves the classifier's work. They still count as context.
LINK_LIMIT = 0.9


def candidates(blocks: Sequence[Block]) -> list[int]:
    """Indices of the blocks the classifier scores; the others are dropped as link furniture."""
    return [i for i, b in enumerate(blocks) if b.link_density < LINK_LIMIT]


def stage1_features(
    blocks: Sequence[Block], page: PageContext, lexicon: dict[str, float], trafilatura: bool,
    indices: Sequence[int],
) -> list[list[float]]:
    """Stage-1 feature rows of the blocks at ``indices``, in :func:`stage1_names` order."""
    n = len(blocks)
    scores = [_prose_score(b) for b in blocks]
    container, container_depth, best = _main_cluster(blocks, scores)
    total_prose = sum(s for s in scores if s > 0) or 1.0
    in_cluster = [container is not None and container in b.path for b in blocks]
    first = in_cluster.index(True) if any(in_cluster) else n
    last = n - 1 - in_cluster[::-1].index(True) if any(in_cluster) else -1
    h1_idx = next((i for i, b in enumerate(blocks) if b.tag == "h1"), None)
    texts = Counter(b.text for b in blocks)
    prose = [s > 0 for s in scores]
    description = set(page.description_tokens)
    description_head = " ".join(page.description_tokens)[:80]

    # Paragraphs come in runs: the share of <p> blocks and of link text among a parent's blocks.
    parent_stats: dict[int, list[float]] = {}
    for block in blocks:
        stat = parent_stats.setdefault(block.path[-2] if len(block.path) > 1 else 0, [0.0, 0.0, 0.0, 0.0])
        stat[0] += 1
        stat[1] += block.tag == "p"
        stat[2] += block.link_chars
        stat[3] += len(block.text)

    rows: list[list[float]] = []
    for i in indices:
        block = blocks[i]
        text = block.text
        tokens = block.words
        key = " ".join(tokens)
        density = block.link_density
        row = [1.0, math.log1p(block.tokens), math.log1p(len(text)), density, block.links / max(1, block.tokens),
               float(bool(_SENTENCE_END.search(text))), len(_DIGIT.findall(text)) / max(1, len(text)),
               float(block.tokens < 6), float(block.tokens < 3), float(text[:1].isupper()), float("@" in text),
               float("©" in text or "copyright" in text.lower())]
        row += _tag_row(block.tag)
        row += _enclosing_row(block.enclosing)
        row += [float(block.article_body), math.tanh((block.depth - container_depth) / 5) if container else 0.0]
        row += _group_row(block.own, block.near, block.far)
        desc_overlap = sum(1 for t in tokens if t in description) / len(tokens) if description and tokens else 0.0
        lead = float(bool(description) and len(tokens) >= 5 and key[:80] == description_head)
        if page.ld_body is not None:
            match = page.ld_body.share(tokens)
            ld = [1.0, match, float(match < 0.2)]
        else:
            ld = [0.0, 0.0, 0.0]
        prev_b = blocks[i - 1] if i > 0 else None
        next_b = blocks[i + 1] if i + 1 < n else None
        stat = parent_stats[block.path[-2] if len(block.path) > 1 else 0]
        row += [
            float(in_cluster[i]), float(i < first), float(i > last), best / total_prose if container else 0.0,
            i / max(1, n - 1),
            float(h1_idx is not None and i < h1_idx), float(h1_idx is not None and 0 < i - h1_idx <= 5),
            float(texts[text] > 1), float(key in page.title_keys), desc_overlap, lead,
            *ld,
            float(prose[i - 1]) if i > 0 else 0.0, float(prose[i + 1]) if i + 1 < n else 0.0,
            prev_b.link_density if prev_b else 0.0, next_b.link_density if next_b else 0.0,
            float(prev_b is not None and prev_b.tag == "p"), float(next_b is not None and next_b.tag == "p"),
            stat[1] / stat[0], min(1.0, stat[2] / stat[3]) if stat[3] else 0.0,
        ]
        row += _lexicon_row(text, lexicon)
        if trafilatura:
            row += [1.0, page.trafilatura.share(tokens)] if page.trafilatura is not None else [0.0, 0.0]
        rows.append(row)
    return rows


def _logit(p: float) -> float:
    p = min(max(p, 1e-4), 1 - 1e-4)
    return math.log(p / (1 - p))


def stage2_names() -> list[str]:
    return ["bias", "stage1", "siblings", "parent_subtree", "signature", "signature_share", "prev", "next",
            "prev3_max", "next3_max", "siblings_logit", "parent_subtree_logit", "signature_logit",
            "sandwich", "is_li", "is_heading", "is_p", "sandwich_li", "sandwich_heading",
            "mass_before", "mass_after", "mass_after_p"]


def stage2_features(blocks: Sequence[Block], stage1: Sequence[float], indices: Sequence[int]) -> list[list[float]]:
    """Stage-2 rows of the blocks at ``indices`` from the stage-1 probabilities around them.

    ``stage1`` has one probability per block, 0 for the blocks that were not classified.
    """
    n = len(blocks)
    weight = [max(1, b.tokens) for b in blocks]
    mass = [w * p for w, p in zip(weight, stage1, strict=True)]
    total = sum(mass) or 1e-9
    groups: dict[tuple[int, object], list[float]] = {}
    keys = []
    for i, block in enumerate(blocks):
        path = block.path
        own = (
            (0, path[-2] if len(path) > 1 else 0),
            (1, path[-3] if len(path) > 2 else 0),
            (2, block.signature),
        )
        keys.append(own)
        for key in own:
            acc = groups.setdefault(key, [0.0, 0.0])
            acc[0] += mass[i]
            acc[1] += weight[i]
    # Where the story's words lie: a block with none of them after it is past the story's end.
    cumulative = []
    running = 0.0
    for m in mass:
        cumulative.append(running)
        running += m
    rows = []
    for i in indices:
        mass_before = cumulative[i] / total
        mass_after = (total - cumulative[i] - mass[i]) / total
        means = []
        for key in keys[i]:
            acc = groups[key]
            rest_weight = acc[1] - weight[i]
            means.append((acc[0] - mass[i]) / rest_weight if rest_weight > 0 else stage1[i])
        signature_share = groups[keys[i][2]][0] / total
        before = max(stage1[max(0, i - 3) : i], default=0.0)
        after = max(stage1[i + 1 : i + 4], default=0.0)
        # A list item or a subheading between confident paragraphs belongs to the story.
        sandwich = min(before, after)
        tag = blocks[i].tag
        is_li, is_heading = float(tag == "li"), float(tag in _HEADINGS)
        rows.append([
            1.0, _logit(stage1[i]), *means, signature_share,
            stage1[i - 1] if i > 0 else 0.0, stage1[i + 1] if i + 1 < n else 0.0, before, after,
            *(_logit(m) for m in means),
            sandwich, is_li, is_heading, float(tag == "p"), sandwich * is_li, sandwich * is_heading,
            mass_before, mass_after, mass_after * float(tag == "p"),
        ])
    return rows
