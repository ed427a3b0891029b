"""Measure the page verdicts on the labelled evaluation set (``newsarchive eval-verdicts``).

The set lives in ``tests/verdict_eval/``: HTML pages under ``pages/`` and ``labels.csv`` with one
row per page (``file``, ``url``, ``status``, ``language``, ``expected`` verdict, ``case``: the kind
of case, ``role``: ``page``, or ``probe`` for a host's answer to the crawl's probe URL, which
is context and not scored).  Every page goes through ``crawler.probe.SiteEvidence.analyse``,
i.e. ``crawler.page.analyse_page`` with what a crawl knows about the page's host, exactly as the
spider and ``newsarchive extract`` call it: pages of one host in file order, the host's probe
first.  ``--alone`` judges every page on its own instead (no probe, no template memory), which
shows what the crawl-level evidence adds.

The measured class is "rejected" (``soft404`` + ``error`` + ``blocked``): precision is the share
of rejected verdicts that were right, recall the share of rejected pages that were caught.  An
article wrongly rejected is lost from the archive's text; a rejected page passed as an article
poisons it.  The targets of issue 4 are ``TARGET_PRECISION`` and ``TARGET_RECALL`` overall and no
lost article on the hidden-template and about-404 cases (``PROTECTED_CASES``).
"""

from __future__ import annotations

import csv
import gzip
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from crawler.outlets import outlet_for_url
from crawler.probe import SiteEvidence, host_of

REJECTED = frozenset({"soft404", "error", "blocked"})
TARGET_PRECISION = 0.99
TARGET_RECALL = 0.95
#: Cases on which no article may be lost at all.
PROTECTED_CASES = ("article-hidden-template", "article-about-404")
LANGUAGES = ("en", "tr", "az", "ru", "ar")


def default_data_dir() -> Path:
    """``tests/verdict_eval`` of the source tree this package runs from."""
    return Path(__file__).resolve().parent.parent / "tests" / "verdict_eval"


@dataclass(frozen=True)
class LabelledPage:
    file: str
    url: str
    status: int
    language: str
    expected: str
    case: str
    role: str = "page"


@dataclass(frozen=True)
class Judged:
    page: LabelledPage
    verdict: str
    reasons: tuple[str, ...]

    @property
    def correct(self) -> bool:
        return self.verdict == self.page.expected


@dataclass(frozen=True)
class Score:
    """Rejected-class counts and rates over a group of pages."""

    pages: int
    true_positives: int
    false_positives: int
    false_negatives: int
    exact: int

    @property
    def precision(self) -> float:
        predicted = self.true_positives + self.false_positives
        return self.true_positives / predicted if predicted else 1.0

    @property
    def recall(self) -> float:
        actual = self.true_positives + self.false_negatives
        return self.true_positives / actual if actual else 1.0

    @property
    def accuracy(self) -> float:
        return self.exact / self.pages if self.pages else 1.0


def load_labels(folder: Path) -> list[LabelledPage]:
    """The rows of ``labels.csv``; a bad row raises ``ValueError`` naming its line."""
    pages = []
    with (folder / "labels.csv").open(encoding="utf-8", newline="") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            try:
                page = LabelledPage(
                    file=row["file"],
                    url=row["url"],
                    status=int(row["status"]),
                    language=row["language"],
                    expected=row["expected"],
                    case=row["case"],
                    role=row.get("role") or "page",
                )
            except (KeyError, TypeError, ValueError) as error:
                raise ValueError(f"labels.csv:{line}: {error}") from error
            if page.role not in ("page", "probe"):
                raise ValueError(f"labels.csv:{line}: unknown role {page.role!r}")
            pages.append(page)
    return pages


def judge_set(folder: Path, *, alone: bool = False) -> list[Judged]:
    """Judge every page of the set; probes are analysed (as context) but not returned."""
    labels = load_labels(folder)
    evidence = SiteEvidence()
    if not alone:
        for page in labels:
            if page.role == "probe":
                evidence.expect_probe(page.url, page.url, ())
    judged = []
    # Pages of one host in file order with the probe first, as a crawl meets them.
    order = sorted(range(len(labels)), key=lambda i: (host_of(labels[i].url), labels[i].role != "probe", i))
    for index in order:
        page = labels[index]
        body = (folder / page.file).read_bytes()
        outlet = outlet_for_url(page.url)
        content_type = "text/html; charset=utf-8"
        if alone:
            result = SiteEvidence().analyse(
                page.url, page.status, body, content_type=content_type, outlet=outlet
            )
        else:
            result = evidence.analyse(page.url, page.status, body, content_type=content_type, outlet=outlet)
        if page.role == "page":
            judged.append(Judged(page, result.verdict, tuple(result.verdict_reasons)))
    judged.sort(key=lambda j: labels.index(j.page))
    return judged


def score(judged: Iterable[Judged]) -> Score:
    tp = fp = fn = exact = total = 0
    for item in judged:
        total += 1
        actual = item.page.expected in REJECTED
        predicted = item.verdict in REJECTED
        tp += actual and predicted
        fp += predicted and not actual
        fn += actual and not predicted
        exact += item.correct
    return Score(total, tp, fp, fn, exact)


def lost_articles(judged: Iterable[Judged], cases: Sequence[str] = PROTECTED_CASES) -> list[Judged]:
    """Articles of the protected cases that did not come out as articles."""
    return [
        j for j in judged if j.page.case in cases and j.page.expected == "article" and j.verdict != "article"
    ]


def meets_targets(judged: Sequence[Judged]) -> bool:
    overall = score(judged)
    return (
        overall.precision >= TARGET_PRECISION
        and overall.recall >= TARGET_RECALL
        and not lost_articles(judged)
    )


def report(judged: Sequence[Judged], *, title: str = "") -> str:
    """The table ``newsarchive eval-verdicts`` prints, and the pages it got wrong."""
    lines = [title] if title else []
    lines.append(f"{'language':<10}{'pages':>7}{'rejected':>10}{'precision':>11}{'recall':>8}{'exact':>8}")
    groups = [(lang, [j for j in judged if j.page.language == lang]) for lang in LANGUAGES]
    groups += [
        (lang, [j for j in judged if j.page.language == lang])
        for lang in sorted({j.page.language for j in judged} - set(LANGUAGES))
    ]
    groups.append(("overall", list(judged)))
    for name, members in groups:
        if not members:
            continue
        s = score(members)
        lines.append(
            f"{name:<10}{s.pages:>7}{s.true_positives + s.false_negatives:>10}"
            f"{s.precision:>11.3f}{s.recall:>8.3f}{s.accuracy:>8.3f}"
        )
    overall = score(judged)
    lines.append(
        f"rejected = soft404+error+blocked; overall: {overall.true_positives} caught, "
        f"{overall.false_negatives} missed, {overall.false_positives} articles/listings wrongly rejected"
    )
    lost = lost_articles(judged)
    protected = [j for j in judged if j.page.case in PROTECTED_CASES]
    lines.append(
        f"hidden-template and about-404 articles: {len(protected) - len(lost)}/{len(protected)} kept"
    )
    wrong = [j for j in judged if not j.correct]
    if wrong:
        lines.append("")
        lines.append("misjudged (file: expected -> verdict [reasons]):")
        lines += [
            f"  {j.page.file}: {j.page.expected} -> {j.verdict} [{', '.join(j.reasons)}]" for j in wrong
        ]
    verdict = "met" if meets_targets(judged) else "NOT met"
    lines.append("")
    lines.append(
        f"targets (precision >= {TARGET_PRECISION}, recall >= {TARGET_RECALL}, no protected article lost): {verdict}"
    )
    return "\n".join(lines)


# --------------------------------------------------------------------------- real publisher pages

#: Folders of ``../shared/data`` holding real article pages (gzip HTML + ``meta.info``).
REAL_FOLDERS = ("fundus-tr", "fundus-dev/*")


def default_shared_data() -> Path | None:
    """``../shared/data`` beside the source tree, when present (publishers' pages, never committed)."""
    candidate = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
    return candidate if candidate.is_dir() else None


def real_article_pages(shared: Path, *, every: int = 1) -> list[tuple[str, Path]]:
    """(url, file) of the real article pages in the shared data, every ``every``-th in sorted order."""
    found: list[tuple[str, Path]] = []
    for pattern in REAL_FOLDERS:
        for meta in sorted(shared.glob(f"{pattern}/meta.info")):
            for name, info in sorted(json.loads(meta.read_text(encoding="utf-8")).items()):
                path = meta.parent / name
                if path.is_file():
                    found.append((info["url"], path))
    return found[::every]


def judge_real(pages: Sequence[tuple[str, Path]]) -> list[tuple[str, str, tuple[str, ...]]]:
    """(url, verdict, reasons) of real article pages, each judged alone as ``newsarchive extract`` would."""
    out = []
    for url, path in pages:
        body = gzip.decompress(path.read_bytes())
        result = SiteEvidence().analyse(url, 200, body, content_type=None, outlet=outlet_for_url(url))
        out.append((url, result.verdict, tuple(result.verdict_reasons)))
    return out


def command(data: Path | None, *, alone: bool, check: bool, real: bool, shared: Path | None) -> int:
    """``newsarchive eval-verdicts``: print the figures; with ``check``, exit 1 when a target is missed."""
    folder = data or default_data_dir()
    judged = judge_set(folder, alone=alone)
    how = "each page alone" if alone else "with the crawl's per-host evidence (probe, template memory)"
    print(report(judged, title=f"verdict evaluation: {folder} ({len(judged)} pages, {how})"))
    ok = meets_targets(judged)
    if real:
        shared = shared or default_shared_data()
        if shared is None:
            print("\nreal publisher pages: ../shared/data is absent; nothing measured")
        else:
            results = judge_real(real_article_pages(shared))
            lost = [r for r in results if r[1] != "article"]
            print(
                f"\nreal publisher article pages ({shared}): {len(results) - len(lost)}/{len(results)} judged article"
            )
            for url, verdict, reasons in lost:
                print(f"  {url}: {verdict} [{', '.join(reasons)}]")
    return 0 if ok or not check else 1
