"""Train the generic extractor's block classifier (``crawler/generic/block_model.json``).

Usage::

    .venv/bin/python -m bench.train_block_model            # cross-validate, then train and write the model
    .venv/bin/python -m bench.train_block_model --cv-only  # only report cross-validated figures

It takes about two minutes on two cores (most of it is parsing the pages and running trafilatura
once per page); the model it writes is a few tens of kilobytes of JSON.

Data: the Fundus pages of ../shared/data/fundus-dev (never copied into the repository), minus the
held-out countries of :func:`bench.extract_quality.is_held_out`, which are only ever used to
confirm the result. Each page goes through the crawler's own steps (``decode_body``,
``parse_html``, ``strip_hidden``) and is cut into blocks by :mod:`crawler.generic.blocks`.

Labels: a block is positive when at least half of its 4-gram shingles occur in the page's
expected body (summary, section headlines, paragraphs), the same shingles the benchmark scores;
a block under four words is positive only when it is one of the expected lines itself (a
section headline), not merely a word that occurs somewhere in the story ("News", a city name).

Lexicon: for every word (letters only, three or more), the log-odds of appearing in positive
rather than negative blocks, counting each publisher at most once per side, kept when at least
``--lexicon-publishers`` publishers use it and the odds are far from even: furniture vocabulary
("newsletter", "cookies", "abonnieren") generalises across sites, a site's topics do not pass the
publisher count.

Model: two L2-regularised logistic regressions fitted by Newton's method in numpy (see
crawler/generic/features.py for the two stages), twice: a *fast* model without trafilatura's vote
and a *full* one with it; the gate between them (how much doubtful text the fast model may leave
before trafilatura is asked) is chosen on cross-validation as the cheapest gate whose F1 is within
``--gate-tolerance`` (0.002) of always asking: trafilatura costs about as much as the rest of the
page analysis. Each block is weighted by its share of the
page's words, as the benchmark weighs every page equally whatever its length; negatives are
up-weighted so that the model errs towards dropping a doubtful block (junk in the text hurts
readers more than a lost sentence). Stage 2 is trained on out-of-fold stage-1 probabilities, so it
learns from the same kind of input it gets on unseen pages. Folds are grouped by publisher (pages
of one publisher never sit on both sides). The threshold is chosen on the cross-validated,
cleaned text (crawler.cleaning runs after the extractor in the crawl): the most precise one
whose F1 is within ``--tolerance`` of the best.
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
from crawler.generic.extractor import (
    MODEL_PATH,
    BlockModel,
    Gate,
    Logistic,
    Stages,
    ask_trafilatura,
    chosen,
    prepare,
)
from crawler.generic.features import (
    LEXICON_NAMES,
    PageContext,
    candidates,
    lexicon_words,
    stage1_features,
    stage1_names,
    stage2_features,
    stage2_names,
)
from crawler.htmltools import parse_html, strip_hidden

_TOKEN = re.compile(r"\w+")
FOLDS = 5
#: Probability bands a block counts as doubtful in (the gate tries each).
GATE_BANDS = ((0.15, 0.85), (0.2, 0.8), (0.3, 0.7))
_BASE = len(stage1_names(False)) - len(LEXICON_NAMES)


@dataclass
class Example:
    """A page's blocks; the arrays cover the classified blocks only (``indices``)."""

    page: Page
    blocks: list[Block]
    indices: list[int]
    base: np.ndarray  # stage-1 columns before the lexicon's
    traf: np.ndarray  # trafilatura's two columns
    words: list[set[str]]
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
    """1 for blocks of the expected body, 0 for the rest (see the module docstring)."""
    truth_shingles = _shingles(_TOKEN.findall(truth))
    lines = {" ".join(_TOKEN.findall(line)) for line in truth.split("\n\n")}
    out = []
    for block in blocks:
        tokens = _TOKEN.findall(block.text)
        if len(tokens) >= 4:
            shingles = _shingles(tokens)
            found = sum(min(c, truth_shingles.get(k, 0)) for k, c in shingles.items())
            out.append(1.0 if found / sum(shingles.values()) >= 0.5 else 0.0)
        else:
            out.append(1.0 if tokens and " ".join(tokens) in lines else 0.0)
    return out


def example(page: Page) -> Example:
    """A page as the crawl sees it (decoded, parsed, hidden elements removed), cut into labelled blocks."""
    text, _decision = decode_body(page.html, "text/html")
    doc = parse_html(text)
    strip_hidden(doc)
    blocks, ctx = prepare(doc)
    indices = candidates(blocks)
    n = len(indices)
    if indices:
        ask_trafilatura(doc, page.url, ctx)
        full = np.array(stage1_features(blocks, ctx, {}, True, indices), dtype=float)
    else:
        full = np.zeros((0, len(stage1_names(True))))
    kept = [blocks[i] for i in indices]
    tokens = np.array([max(1, b.tokens) for b in kept], dtype=float)
    title = next((b.text for b in blocks if b.tag == "h1"), None)
    words = [lexicon_words(b.text) for b in kept]
    for block in blocks:  # the features are computed; the trees can go
        block.element = None  # type: ignore[assignment]
    ctx.ld_body = ctx.trafilatura = None  # used up by the features; keeps the examples small
    # Weights: each block's share of the page's words, over all its blocks (link furniture included),
    # as the benchmark weighs the whole page.
    page_words = sum(max(1, b.tokens) for b in blocks) or 1
    return Example(
        page, blocks, indices, full[:, :_BASE].reshape(n, _BASE), full[:, -2:].reshape(n, 2), words,
        np.array(labels(page.expected.body, kept)), tokens / page_words, title, ctx,
    )


def build_lexicon(examples: Sequence[Example], min_publishers: int, min_odds: float = 0.5) -> dict[str, float]:
    positive: dict[str, set[str]] = {}
    negative: dict[str, set[str]] = {}
    for e in examples:
        for words, y in zip(e.words, e.y, strict=True):
            side = positive if y > 0 else negative
            for word in words:
                side.setdefault(word, set()).add(e.page.publisher)
    lexicon = {}
    for word in positive.keys() | negative.keys():
        pos, neg = len(positive.get(word, ())), len(negative.get(word, ()))
        if pos + neg < min_publishers:
            continue
        odds = float(np.log((pos + 1) / (neg + 1)))
        if abs(odds) >= min_odds:
            lexicon[word] = round(odds, 3)
    return lexicon


def lexicon_columns(e: Example, lexicon: dict[str, float]) -> np.ndarray:
    rows = np.zeros((len(e.indices), len(LEXICON_NAMES)))
    for i, words in enumerate(e.words):
        scores = [lexicon[w] for w in words if w in lexicon]
        if scores:
            rows[i] = [sum(scores) / len(scores), min(scores), max(scores), 1.0]
    return rows


def stage1_matrix(e: Example, lexicon: dict[str, float], trafilatura: bool) -> np.ndarray:
    parts = [e.base, lexicon_columns(e, lexicon)] + ([e.traf] if trafilatura else [])
    return np.hstack(parts)


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
    keep = [i for i, e in enumerate(examples) if e.indices]
    x = np.vstack([xs[i] for i in keep])
    y = np.concatenate([examples[i].y for i in keep])
    w = np.concatenate([examples[i].w for i in keep])
    return x, y, w * np.where(y > 0, 1.0, negative_weight)


def _spread(e: Example, values: np.ndarray) -> list[float]:
    """Probabilities of the classified blocks spread over all blocks (0 for link furniture)."""
    full = [0.0] * len(e.blocks)
    for i, v in zip(e.indices, values, strict=True):
        full[i] = float(v)
    return full


def stage2_matrix(e: Example, stage1: np.ndarray) -> np.ndarray:
    rows = stage2_features(e.blocks, _spread(e, stage1), e.indices)
    return np.array(rows, dtype=float).reshape(len(e.indices), len(stage2_names()))


def _folds(examples: Sequence[Example]) -> list[int]:
    publishers = sorted({e.page.publisher for e in examples})
    fold_of = {pub: i % FOLDS for i, pub in enumerate(publishers)}
    return [fold_of[e.page.publisher] for e in examples]


@dataclass
class Settings:
    l2: tuple[float, float]
    negative_weight: float
    lexicon_publishers: int


@dataclass
class Fitted:
    lexicon: dict[str, float]
    fast: tuple[np.ndarray, np.ndarray]
    full: tuple[np.ndarray, np.ndarray]


def _fit_stages(examples: Sequence[Example], lexicon: dict[str, float], trafilatura: bool, s: Settings):
    """Both stages; stage 2 learns from stage-1 probabilities of models that did not see the page."""
    x1 = [stage1_matrix(e, lexicon, trafilatura) for e in examples]
    beta1 = fit_logistic(*_stack(x1, examples, s.negative_weight), s.l2[0])
    folds = _folds(examples)
    inner: list[np.ndarray] = [np.zeros(0)] * len(examples)
    for fold in range(FOLDS):
        train = [i for i, f in enumerate(folds) if f != fold]
        beta = fit_logistic(*_stack([x1[i] for i in train], [examples[i] for i in train], s.negative_weight), s.l2[0])
        for i, f in enumerate(folds):
            if f == fold:
                inner[i] = _sigmoid(x1[i] @ beta) if len(examples[i].indices) else np.zeros(0)
    x2 = [stage2_matrix(e, p) for e, p in zip(examples, inner, strict=True)]
    beta2 = fit_logistic(*_stack(x2, examples, s.negative_weight), s.l2[1])
    return beta1, beta2


def fit(examples: Sequence[Example], s: Settings) -> Fitted:
    lexicon = build_lexicon(examples, s.lexicon_publishers)
    return Fitted(lexicon, _fit_stages(examples, lexicon, False, s), _fit_stages(examples, lexicon, True, s))


def predict(fitted: Fitted, e: Example, trafilatura: bool) -> np.ndarray:
    """One probability per block of the page (0 for link furniture)."""
    if not e.indices:
        return np.zeros(len(e.blocks))
    beta1, beta2 = fitted.full if trafilatura else fitted.fast
    first = _sigmoid(stage1_matrix(e, fitted.lexicon, trafilatura) @ beta1)
    return np.array(_spread(e, _sigmoid(stage2_matrix(e, first) @ beta2)))


def cross_validate(examples: Sequence[Example], s: Settings) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Out-of-fold probabilities of the fast and the full model, folds grouped by publisher."""
    folds = _folds(examples)
    fast: list[np.ndarray] = [np.zeros(0)] * len(examples)
    full: list[np.ndarray] = [np.zeros(0)] * len(examples)
    for fold in range(FOLDS):
        fitted = fit([e for e, f in zip(examples, folds, strict=True) if f != fold], s)
        for i, (e, f) in enumerate(zip(examples, folds, strict=True)):
            if f == fold:
                fast[i], full[i] = predict(fitted, e, False), predict(fitted, e, True)
    return fast, full


def page_text(e: Example, probabilities: np.ndarray, threshold: float) -> str:
    """The text the crawl would keep: selected blocks through the shared cleaning layer."""
    kept = chosen(e.blocks, [float(p) for p in probabilities], threshold, e.context)
    return "\n\n".join(clean_paragraphs(kept, title=e.title).paragraphs)


def _counts(examples: Sequence[Example], probabilities: Sequence[np.ndarray], threshold: float):
    return [shingle_counts(e.page.expected.body, page_text(e, p, threshold)) for e, p in zip(examples, probabilities, strict=True)]


def choose_threshold(
    examples: Sequence[Example], probabilities: Sequence[np.ndarray], tolerance: float
) -> tuple[float, tuple[float, float, float]]:
    """The most precise threshold whose F1 is within ``tolerance`` of the best F1.

    F1 is flat over a wide range of thresholds; within that range, junk in the text hurts
    readers more than a lost sentence, so the stricter end is taken.
    """
    results = [(float(t), prf(_counts(examples, probabilities, float(t)))) for t in np.arange(0.2, 0.81, 0.025)]
    best = max(r[2] for _t, r in results)
    return max(((t, r) for t, r in results if r[2] >= best - tolerance), key=lambda tr: (tr[1][0], tr[0]))


def choose_gate(
    examples: Sequence[Example], fast: Sequence[np.ndarray], full: Sequence[np.ndarray], t_fast: float, t_full: float,
    tolerance: float,
) -> tuple[Gate, float, tuple[float, float, float]]:
    """The cheapest gate (fewest trafilatura calls) within ``tolerance`` F1 of always asking trafilatura."""
    counts_fast = _counts(examples, fast, t_fast)
    counts_full = _counts(examples, full, t_full)
    always = prf(counts_full)
    options = []
    for low, high in GATE_BANDS:
        probe = Gate(low, high, 0.0)
        ambiguity = [probe.ambiguity(e.blocks, [float(x) for x in p], t_fast) for e, p in zip(examples, fast, strict=True)]
        for limit in (0.0, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 1.0, 1e9):
            counts = [cf if a <= limit else cu for a, cf, cu in zip(ambiguity, counts_fast, counts_full, strict=True)]
            share = sum(a > limit for a in ambiguity) / len(examples)
            options.append((Gate(low, high, limit), share, prf(counts)))
    good = [o for o in options if o[2][2] >= always[2] - tolerance]
    return min(good, key=lambda o: (o[1], -o[2][2])) if good else max(options, key=lambda o: o[2][2])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--out", type=Path, default=MODEL_PATH)
    parser.add_argument("--l2", type=float, nargs=2, default=(0.1, 0.1), metavar=("STAGE1", "STAGE2"))
    parser.add_argument("--negative-weight", type=float, default=1.0)
    parser.add_argument("--lexicon-publishers", type=int, default=5)
    parser.add_argument("--tolerance", type=float, default=0.001, help="F1 given up for precision (threshold choice)")
    parser.add_argument("--gate-tolerance", type=float, default=0.002, help="F1 given up for speed (trafilatura calls)")
    parser.add_argument("--cv-only", action="store_true")
    args = parser.parse_args(argv)

    if not args.data.is_dir():
        print(f"train_block_model: {args.data} is absent", file=sys.stderr)
        return 2
    pages = [p for p in load_pages(args.data).pages if not p.held_out]
    examples = [example(p) for p in pages]
    settings = Settings((args.l2[0], args.l2[1]), args.negative_weight, args.lexicon_publishers)
    fast, full = cross_validate(examples, settings)
    t_fast, r_fast = choose_threshold(examples, fast, args.tolerance)
    t_full, r_full = choose_threshold(examples, full, args.tolerance)
    gate, share, r_gated = choose_gate(examples, fast, full, t_fast, t_full, args.gate_tolerance)
    print(
        f"{len(examples)} development pages, {sum(len(e.blocks) for e in examples)} blocks "
        f"({sum(len(e.indices) for e in examples)} classified); cross-validated by publisher:"
    )
    for name, threshold, (p, r, f) in (("fast", t_fast, r_fast), ("full", t_full, r_full)):
        print(f"  {name:<6} threshold {threshold:.3f}  P {p:.4f}  R {r:.4f}  F1 {f:.4f}")
    p, r, f = r_gated
    print(
        f"  gated  doubtful {gate.low}-{gate.high}, ambiguity <= {gate.max_ambiguity}  P {p:.4f}  R {r:.4f}  F1 {f:.4f}"
        f"  (trafilatura on {share:.0%} of pages)"
    )
    if args.cv_only:
        return 0
    fitted = fit(examples, settings)

    def stages(betas: tuple[np.ndarray, np.ndarray], threshold: float, trafilatura: bool) -> Stages:
        return Stages(
            Logistic(stage1_names(trafilatura), [round(float(b), 5) for b in betas[0]]),
            Logistic(stage2_names(), [round(float(b), 5) for b in betas[1]]),
            round(threshold, 3),
            trafilatura,
        )

    model = BlockModel(
        fast=stages(fitted.fast, t_fast, False),
        full=stages(fitted.full, t_full, True),
        gate=gate,
        lexicon=fitted.lexicon,
        info={
            "trained_on": f"{len(examples)} pages of ../shared/data/fundus-dev outside the held-out countries",
            "trainer": "bench/train_block_model.py",
            "l2": list(settings.l2),
            "negative_weight": settings.negative_weight,
            "lexicon_publishers": settings.lexicon_publishers,
            "cv": {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4),
                   "trafilatura_share": round(share, 3)},
        },
    )
    args.out.write_text(json.dumps(model.to_json(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {args.out} ({len(fitted.lexicon)} lexicon words)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
