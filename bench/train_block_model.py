"""Train the generic extractor's block classifier (``crawler/generic/block_model.json``).

Usage::

    .venv/bin/python -m bench.train_block_model            # cross-validate, then train and write the model
    .venv/bin/python -m bench.train_block_model --cv-only  # only report cross-validated figures

Data: the Fundus pages of ../shared/data/fundus-dev (never copied into the repository), minus the
held-out countries of :func:`bench.extract_quality.is_held_out`, which are only ever used to
confirm the result. Each page goes through the crawler's own steps (``decode_body``,
``parse_html``, ``strip_hidden``) and is cut into blocks by :mod:`crawler.generic.blocks`.

Labels: a block is positive when at least half of its 4-gram shingles (for blocks under four
words: its whole word sequence) occur in the page's expected body (summary, section headlines,
paragraphs), the same shingles the benchmark scores.

Model: two L2-regularised logistic regressions fitted by Newton's method in numpy (see
crawler/generic/features.py for the two stages). Each block is weighted by its share of the
page's words, as the benchmark weighs every page equally whatever its length; negatives are
up-weighted so that the model errs towards dropping a doubtful block (junk in the text hurts
readers more than a lost sentence). Stage 2 is trained on out-of-fold stage-1 probabilities, so it
learns from the same kind of input it gets on unseen pages. Folds are grouped by publisher (pages
of one publisher never sit on both sides). The threshold is chosen on the cross-validated,
cleaned text (crawler.cleaning runs after the extractor in the crawl) as the highest F1 whose
precision is at least ``--min-precision``.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bench.extract_quality import DEFAULT_DATA, Page, load_pages, prf, shingle_counts
from crawler.cleaning import clean_paragraphs
from crawler.encoding import decode_body
from crawler.generic.blocks import Block
from crawler.generic.extractor import MODEL_PATH, BlockModel, Logistic, chosen, prepare
from crawler.generic.features import PageContext, stage1_features, stage1_names, stage2_features, stage2_names
from crawler.htmltools import parse_html, strip_hidden

_TOKEN = re.compile(r"\w+")
FOLDS = 5


@dataclass
class Example:
    page: Page
    blocks: list[Block]
    x: np.ndarray
    y: np.ndarray
    w: np.ndarray
    title: str | None
    context: PageContext


def _shingles(tokens: Sequence[str], n: int = 4) -> dict[tuple[str, ...], int]:
    out: dict[tuple[str, ...], int] = {}
    for i in range(max(1, len(tokens) - n + 1)):
        key = tuple(tokens[i : i + n])
        if key:
            out[key] = out.get(key, 0) + 1
    return out


def labels(truth: str, blocks: Sequence[Block]) -> list[float]:
    """Share of each block's shingles found in the expected body (see the module docstring)."""
    truth_tokens = _TOKEN.findall(truth)
    truth_shingles = _shingles(truth_tokens)
    truth_key = " " + " ".join(truth_tokens) + " "
    out = []
    for block in blocks:
        tokens = _TOKEN.findall(block.text)
        if len(tokens) >= 4:
            shingles = _shingles(tokens)
            found = sum(min(c, truth_shingles.get(k, 0)) for k, c in shingles.items())
            out.append(found / sum(shingles.values()))
        else:
            out.append(1.0 if tokens and f" {' '.join(tokens)} " in truth_key else 0.0)
    return out


def example(page: Page) -> Example:
    """A page as the crawl sees it (decoded, parsed, hidden elements removed), cut into labelled blocks."""
    text, _decision = decode_body(page.html, "text/html")
    doc = parse_html(text)
    strip_hidden(doc)
    blocks, ctx = prepare(doc, page.url)
    rows = stage1_features(blocks, ctx) if blocks else []
    y = np.array([1.0 if v >= 0.5 else 0.0 for v in labels(page.expected.body, blocks)])
    tokens = np.array([max(1, b.tokens) for b in blocks], dtype=float)
    w = tokens / tokens.sum() if len(blocks) else tokens
    title = next((b.text for b in blocks if b.tag == "h1"), None)
    for block in blocks:  # the features are computed; the trees can go
        block.element = None  # type: ignore[assignment]
    x = np.array(rows, dtype=float).reshape(len(blocks), len(stage1_names()))
    ctx.ld_body = ctx.trafilatura = None  # used up by the features; keeps the cache small
    return Example(page, blocks, x, y, w, title, ctx)


def fit_logistic(x: np.ndarray, y: np.ndarray, w: np.ndarray, l2: float, iterations: int = 30) -> np.ndarray:
    """Weighted L2 logistic regression by Newton's method (the bias, column 0, is not penalised)."""
    beta = np.zeros(x.shape[1])
    penalty = np.full(x.shape[1], l2)
    penalty[0] = 0.0
    for _ in range(iterations):
        z = np.clip(x @ beta, -40, 40)
        p = 1.0 / (1.0 + np.exp(-z))
        grad = x.T @ (w * (p - y)) + penalty * beta
        hess = (x * (w * p * (1 - p))[:, None]).T @ x + np.diag(penalty) + 1e-9 * np.eye(x.shape[1])
        step = np.linalg.solve(hess, grad)
        beta -= step
        if np.abs(step).max() < 1e-7:
            break
    return beta


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -40, 40)))


def _stack(xs: Sequence[np.ndarray], examples: Sequence[Example], negative_weight: float):
    keep = [i for i, e in enumerate(examples) if len(e.blocks)]
    x = np.vstack([xs[i] for i in keep])
    y = np.concatenate([examples[i].y for i in keep])
    w = np.concatenate([examples[i].w for i in keep])
    return x, y, w * np.where(y > 0, 1.0, negative_weight)


def stage2_matrix(example: Example, stage1: np.ndarray) -> np.ndarray:
    rows = stage2_features(example.blocks, [float(p) for p in stage1])
    return np.array(rows, dtype=float).reshape(len(example.blocks), len(stage2_names()))


@dataclass
class Fitted:
    stage1: np.ndarray
    stage2: np.ndarray


def fit(examples: Sequence[Example], l2: tuple[float, float], negative_weight: float) -> Fitted:
    """Both stages; stage 2 learns from stage-1 probabilities of models that did not see the page."""
    beta1 = fit_logistic(*_stack([e.x for e in examples], examples, negative_weight), l2[0])
    inner = out_of_fold_stage1(examples, l2[0], negative_weight)
    x2 = [stage2_matrix(e, p) for e, p in zip(examples, inner, strict=True)]
    beta2 = fit_logistic(*_stack(x2, examples, negative_weight), l2[1])
    return Fitted(beta1, beta2)


def _folds(examples: Sequence[Example]) -> list[int]:
    publishers = sorted({e.page.publisher for e in examples})
    fold_of = {pub: i % FOLDS for i, pub in enumerate(publishers)}
    return [fold_of[e.page.publisher] for e in examples]


def out_of_fold_stage1(examples: Sequence[Example], l2: float, negative_weight: float) -> list[np.ndarray]:
    folds = _folds(examples)
    out: list[np.ndarray] = [np.zeros(0)] * len(examples)
    for fold in range(FOLDS):
        train = [e for e, f in zip(examples, folds, strict=True) if f != fold]
        beta = fit_logistic(*_stack([e.x for e in train], train, negative_weight), l2)
        for i, (e, f) in enumerate(zip(examples, folds, strict=True)):
            if f == fold:
                out[i] = _sigmoid(e.x @ beta) if len(e.blocks) else np.zeros(0)
    return out


def predict(fitted: Fitted, example: Example) -> np.ndarray:
    if not example.blocks:
        return np.zeros(0)
    first = _sigmoid(example.x @ fitted.stage1)
    return _sigmoid(stage2_matrix(example, first) @ fitted.stage2)


def cross_validate(examples: Sequence[Example], l2: tuple[float, float], negative_weight: float) -> list[np.ndarray]:
    """Out-of-fold final probabilities, folds grouped by publisher."""
    folds = _folds(examples)
    out: list[np.ndarray] = [np.zeros(0)] * len(examples)
    for fold in range(FOLDS):
        train = [e for e, f in zip(examples, folds, strict=True) if f != fold]
        fitted = fit(train, l2, negative_weight)
        for i, (e, f) in enumerate(zip(examples, folds, strict=True)):
            if f == fold:
                out[i] = predict(fitted, e)
    return out


def page_text(example: Example, probabilities: np.ndarray, threshold: float) -> str:
    """The text the crawl would keep: selected blocks through the shared cleaning layer."""
    kept = chosen(example.blocks, [float(p) for p in probabilities], threshold, example.context)
    return "\n\n".join(clean_paragraphs(kept, title=example.title).paragraphs)


def scores_at(examples: Sequence[Example], probabilities: Sequence[np.ndarray], threshold: float) -> tuple[float, float, float]:
    return prf(
        shingle_counts(e.page.expected.body, page_text(e, p, threshold))
        for e, p in zip(examples, probabilities, strict=True)
    )


def choose_threshold(
    examples: Sequence[Example], probabilities: Sequence[np.ndarray], min_precision: float
) -> tuple[float, tuple[float, float, float]]:
    best: tuple[float, tuple[float, float, float]] | None = None
    fallback: tuple[float, tuple[float, float, float]] | None = None
    for threshold in np.arange(0.2, 0.81, 0.025):
        result = scores_at(examples, probabilities, float(threshold))
        if fallback is None or result[2] > fallback[1][2]:
            fallback = (float(threshold), result)
        if result[0] >= min_precision and (best is None or result[2] > best[1][2]):
            best = (float(threshold), result)
    chosen = best or fallback
    assert chosen is not None
    return chosen


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--out", type=Path, default=MODEL_PATH)
    parser.add_argument("--l2", type=float, nargs=2, default=(0.1, 0.01), metavar=("STAGE1", "STAGE2"))
    parser.add_argument("--negative-weight", type=float, default=1.5)
    parser.add_argument("--min-precision", type=float, default=0.97)
    parser.add_argument("--cv-only", action="store_true")
    args = parser.parse_args(argv)

    if not args.data.is_dir():
        print(f"train_block_model: {args.data} is absent", file=sys.stderr)
        return 2
    pages = [p for p in load_pages(args.data).pages if not p.held_out]
    examples = [example(p) for p in pages]
    l2 = (args.l2[0], args.l2[1])
    probabilities = cross_validate(examples, l2, args.negative_weight)
    threshold, (precision, recall, f1) = choose_threshold(examples, probabilities, args.min_precision)
    print(f"{len(examples)} development pages, {sum(len(e.blocks) for e in examples)} blocks")
    print(f"cross-validated (by publisher): threshold {threshold:.3f}  P {precision:.3f}  R {recall:.3f}  F1 {f1:.3f}")
    if args.cv_only:
        return 0
    fitted = fit(examples, l2, args.negative_weight)
    model = BlockModel(
        stage1=Logistic(stage1_names(), [round(float(b), 6) for b in fitted.stage1]),
        stage2=Logistic(stage2_names(), [round(float(b), 6) for b in fitted.stage2]),
        threshold=round(threshold, 3),
        info={
            "trained_on": f"{len(examples)} pages of ../shared/data/fundus-dev outside the held-out countries",
            "trainer": "bench/train_block_model.py",
            "l2": list(l2),
            "negative_weight": args.negative_weight,
            "cv": {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4)},
        },
    )
    args.out.write_text(json.dumps(model.to_json(), indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
