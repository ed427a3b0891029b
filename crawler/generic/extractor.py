"""The generic body extractor: text blocks, a small trained two-stage classifier, a tidy selection.

Why a classifier: news pages surround the article with the same kinds of furniture everywhere
(teasers, captions, share bars, newsletter boxes, consent placeholders), but every outlet names
and nests them differently. Logistic models over generic block features (see
:mod:`crawler.generic.features`) weigh those signals against each other better than hand-set
thresholds, and they are small enough to read: ``block_model.json`` holds one weight per named
feature and the furniture lexicon. ``bench/train_block_model.py`` trains them from the Fundus
pages in ../shared/data (never from the held-out countries) and says how.

Two models, one gate. The *fast* model reads only the page. When its decision is clear (little
text sits between "surely body" and "surely furniture") it is final; otherwise trafilatura is
asked too (its fast mode, no fallback extractors) and the *full* model, which also weighs
trafilatura's selection, decides. trafilatura costs about as much as everything else together,
and on most pages adds nothing the fast model did not know; on the doubtful ones it helps.
"""

from __future__ import annotations

import copy
import functools
import html
import json
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import lxml.html
import numpy as np
import trafilatura

from crawler.generic.blocks import Block, segment
from crawler.generic.features import (
    PageContext,
    TextIndex,
    candidates,
    is_title_repeat,
    page_context,
    stage1_features,
    stage1_names,
    stage2_features,
    stage2_names,
)
from crawler.htmltools import meta_content
from crawler.parsing import json_ld_article

logger = logging.getLogger(__name__)

MODEL_PATH = Path(__file__).with_name("block_model.json")

#: trafilatura keeps module-level caches; one extraction at a time is its documented safe use.
TRAFILATURA_LOCK = threading.Lock()


@dataclass
class Logistic:
    """One logistic layer: named features, one weight each."""

    features: list[str]
    weights: list[float]

    def probabilities(self, rows: Sequence[Sequence[float]]) -> list[float]:
        if not rows:
            return []
        z = np.asarray(rows, dtype=float) @ np.asarray(self.weights)
        return (1.0 / (1.0 + np.exp(-np.clip(z, -40.0, 40.0)))).tolist()

    def to_json(self) -> dict[str, Any]:
        return {"features": self.features, "weights": self.weights}

    @classmethod
    def from_json(cls, data: dict[str, Any], expected: list[str]) -> Logistic:
        layer = cls(list(data["features"]), [float(w) for w in data["weights"]])
        if layer.features != expected:
            raise ValueError("block model was trained on other features; retrain with bench/train_block_model.py")
        return layer


@dataclass
class Stages:
    """Stage 1 (each block alone), stage 2 (stage 1 around the block) and the keep threshold."""

    stage1: Logistic
    stage2: Logistic
    threshold: float
    trafilatura: bool

    def probabilities(self, blocks: Sequence[Block], page: PageContext, lexicon: dict[str, float]) -> list[float]:
        """One probability per block; link furniture (see :func:`candidates`) gets 0 unscored."""
        indices = candidates(blocks)
        first = [0.0] * len(blocks)
        for i, p in zip(indices, self.stage1.probabilities(
            stage1_features(blocks, page, lexicon, self.trafilatura, indices)), strict=True):
            first[i] = p
        final = [0.0] * len(blocks)
        for i, p in zip(indices, self.stage2.probabilities(stage2_features(blocks, first, indices)), strict=True):
            final[i] = p
        return final

    def to_json(self) -> dict[str, Any]:
        return {"stage1": self.stage1.to_json(), "stage2": self.stage2.to_json(), "threshold": self.threshold}

    @classmethod
    def from_json(cls, data: dict[str, Any], trafilatura: bool) -> Stages:
        return cls(
            Logistic.from_json(data["stage1"], stage1_names(trafilatura)),
            Logistic.from_json(data["stage2"], stage2_names()),
            float(data["threshold"]),
            trafilatura,
        )


@dataclass
class Gate:
    """When the fast model's choice is final: the share of text it is unsure about stays small.

    ``ambiguity`` is the words of blocks whose probability lies between ``low`` and ``high``,
    over the words it keeps.
    """

    low: float
    high: float
    max_ambiguity: float

    def ambiguity(self, blocks: Sequence[Block], probabilities: Sequence[float], threshold: float) -> float:
        unsure = kept = 0
        for block, p in zip(blocks, probabilities, strict=True):
            words = max(1, block.tokens)
            if self.low < p < self.high:
                unsure += words
            if p >= threshold:
                kept += words
        return unsure / max(1, kept)

    def to_json(self) -> dict[str, Any]:
        return {"low": self.low, "high": self.high, "max_ambiguity": self.max_ambiguity}


@dataclass
class BlockModel:
    fast: Stages
    full: Stages
    gate: Gate
    lexicon: dict[str, float]
    info: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"fast": self.fast.to_json(), "full": self.full.to_json(), "gate": self.gate.to_json(),
                "info": self.info, "lexicon": dict(sorted(self.lexicon.items()))}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BlockModel:
        return cls(
            Stages.from_json(data["fast"], trafilatura=False),
            Stages.from_json(data["full"], trafilatura=True),
            Gate(**data["gate"]),
            {str(k): float(v) for k, v in data["lexicon"].items()},
            data.get("info", {}),
        )


@functools.cache
def load_model(path: Path = MODEL_PATH) -> BlockModel:
    if path == MODEL_PATH and not path.exists():
        # Imported from a zipped egg (Scrapyd): the bundled model is a package resource, not a file.
        return BlockModel.from_json(json.loads(resources.files(__package__).joinpath(path.name).read_text(encoding="utf-8")))
    return BlockModel.from_json(json.loads(path.read_text(encoding="utf-8")))


def _ld_text(ld: dict[str, Any] | None, key: str) -> str | None:
    value = ld.get(key) if ld else None
    return html.unescape(value) if isinstance(value, str) and value.strip() else None


def trafilatura_text(doc: lxml.html.HtmlElement, url: str | None) -> str:
    """trafilatura's body text in its fast mode (no fallback extractors), on a copy of ``doc``."""
    with TRAFILATURA_LOCK:
        try:
            return trafilatura.extract(
                copy.deepcopy(doc), url=url, fast=True, include_comments=False, include_tables=True,
                deduplicate=False, with_metadata=False,
            ) or ""
        except Exception:  # trafilatura raises many kinds on odd markup; our own blocks still count
            logger.exception("trafilatura failed on %s", url)
            return ""


def prepare(doc: lxml.html.HtmlElement) -> tuple[list[Block], PageContext]:
    """Blocks of the page body and the page-level signals, for extraction and for training.

    ``doc`` must already have had its hidden elements removed (as :func:`crawler.page.analyse_page`
    does before any extractor runs). trafilatura's vote is not included: see :func:`ask_trafilatura`.
    """
    body = doc.find("body")
    blocks = segment(body if body is not None else doc)
    if not blocks:
        return [], page_context([], None, None)
    ld = json_ld_article(doc)
    # Headlines the page states: a block repeating one is the headline again, never body text.
    titles = [meta_content(doc, "og:title", "twitter:title") or "", _ld_text(ld, "headline") or ""]
    titles += [b.text for b in blocks if b.tag == "h1"]
    ctx = page_context(titles, meta_content(doc, "description", "og:description"), _ld_text(ld, "articleBody"))
    return blocks, ctx


def ask_trafilatura(doc: lxml.html.HtmlElement, url: str | None, page: PageContext) -> None:
    text = trafilatura_text(doc, url)
    page.trafilatura = TextIndex(text) if text.strip() else None


def chosen(blocks: Sequence[Block], probabilities: Sequence[float], threshold: float, page: PageContext) -> list[str]:
    """Texts of the blocks kept, in reading order, without repetitions of the headline.

    A headline repeated inside the selection would also make the shared cleaning layer take
    everything after it for a footer (its rule for themes that print the title under the story).
    """
    return [
        b.text for b, p in zip(blocks, probabilities, strict=True)
        if p >= threshold and not is_title_repeat(b.text, page)
    ]


@dataclass
class Selection:
    paragraphs: list[str]
    #: Whether trafilatura was asked (the fast model was unsure).
    asked_trafilatura: bool


def select(doc: lxml.html.HtmlElement, url: str | None = None, model: BlockModel | None = None) -> Selection:
    """The article's paragraphs (headings included), in reading order, and how they were chosen."""
    model = model or load_model()
    blocks, ctx = prepare(doc)
    if not blocks:
        return Selection([], False)
    fast = model.fast.probabilities(blocks, ctx, model.lexicon)
    if model.gate.ambiguity(blocks, fast, model.fast.threshold) <= model.gate.max_ambiguity:
        return Selection(chosen(blocks, fast, model.fast.threshold, ctx), False)
    ask_trafilatura(doc, url, ctx)
    full = model.full.probabilities(blocks, ctx, model.lexicon)
    return Selection(chosen(blocks, full, model.full.threshold, ctx), True)


def extract_paragraphs(doc: lxml.html.HtmlElement, url: str | None = None, model: BlockModel | None = None) -> list[str]:
    """The article's paragraphs (headings included), in reading order; [] when nothing qualifies."""
    return select(doc, url, model).paragraphs
