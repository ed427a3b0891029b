"""The generic body extractor: text blocks, a small trained two-stage classifier, a tidy selection.

Why a classifier: news pages surround the article with the same kinds of furniture everywhere
(teasers, captions, share bars, newsletter boxes, consent placeholders), but every outlet names
and nests them differently. Logistic models over generic block features (see
:mod:`crawler.generic.features`) weigh those signals against each other better than hand-set
thresholds, and they are small enough to read: ``block_model.json`` holds one weight per named
feature. ``bench/train_block_model.py`` trains them from the Fundus pages in ../shared/data
(never from the held-out countries) and says how.

Why trafilatura inside: its fast mode (no readability/jusText fallbacks) is one of the votes,
stage 1 learns when to trust it and when not (captions, consent placeholders, teasers it keeps;
leads it drops). It runs on a copy of the tree, as it prunes what it is given.
"""

from __future__ import annotations

import copy
import functools
import html
import json
import logging
import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import lxml.html
import trafilatura

from crawler.generic.blocks import Block, segment
from crawler.generic.features import (
    PageContext,
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
        weights = self.weights
        out = []
        for row in rows:
            z = sum(w * x for w, x in zip(weights, row, strict=True))
            out.append(1.0 / (1.0 + math.exp(-max(-40.0, min(40.0, z)))))
        return out

    def to_json(self) -> dict[str, Any]:
        return {"features": self.features, "weights": self.weights}

    @classmethod
    def from_json(cls, data: dict[str, Any], expected: list[str]) -> Logistic:
        layer = cls(list(data["features"]), [float(w) for w in data["weights"]])
        if layer.features != expected:
            raise ValueError("block model was trained on other features; retrain with bench/train_block_model.py")
        return layer


@dataclass
class BlockModel:
    stage1: Logistic
    stage2: Logistic
    threshold: float
    info: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"stage1": self.stage1.to_json(), "stage2": self.stage2.to_json(), "threshold": self.threshold,
                "info": self.info}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BlockModel:
        return cls(
            Logistic.from_json(data["stage1"], stage1_names()),
            Logistic.from_json(data["stage2"], stage2_names()),
            float(data["threshold"]),
            data.get("info", {}),
        )

    def probabilities(self, blocks: Sequence[Block], page: PageContext) -> list[float]:
        first = self.stage1.probabilities(stage1_features(blocks, page))
        return self.stage2.probabilities(stage2_features(blocks, first))


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


def prepare(doc: lxml.html.HtmlElement, url: str | None = None) -> tuple[list[Block], PageContext]:
    """Blocks of the page body and the page-level signals, for extraction and for training.

    ``doc`` must already have had its hidden elements removed (as :func:`crawler.page.analyse_page`
    does before any extractor runs).
    """
    body = doc.find("body")
    blocks = segment(body if body is not None else doc)
    if not blocks:
        return [], page_context([], None, None, None)
    ld = json_ld_article(doc)
    # Headlines the page states: a block repeating one is the headline again, never body text.
    titles = [meta_content(doc, "og:title", "twitter:title") or "", _ld_text(ld, "headline") or ""]
    titles += [b.text for b in blocks if b.tag == "h1"]
    ctx = page_context(
        titles, meta_content(doc, "description", "og:description"), _ld_text(ld, "articleBody"),
        trafilatura_text(doc, url),
    )
    return blocks, ctx


def chosen(blocks: Sequence[Block], probabilities: Sequence[float], threshold: float, page: PageContext) -> list[str]:
    """Texts of the blocks kept, in reading order, without repetitions of the headline.

    A headline repeated inside the selection would also make the shared cleaning layer take
    everything after it for a footer (its rule for themes that print the title under the story).
    """
    return [
        b.text for b, p in zip(blocks, probabilities, strict=True)
        if p >= threshold and not is_title_repeat(b.text, page)
    ]


def extract_paragraphs(doc: lxml.html.HtmlElement, url: str | None = None, model: BlockModel | None = None) -> list[str]:
    """The article's paragraphs (headings included), in reading order; [] when nothing qualifies."""
    model = model or load_model()
    blocks, ctx = prepare(doc, url)
    if not blocks:
        return []
    return chosen(blocks, model.probabilities(blocks, ctx), model.threshold, ctx)
