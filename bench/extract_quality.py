"""Extraction quality benchmark: newsarchive's generic extractor against plain trafilatura.

``make bench-extract`` (or ``python -m bench.extract_quality``) measures, on the real pages of
``../shared/data/fundus-dev`` (212 articles from about 30 countries, Fundus test data):

* **ours**: a WARC of every page is written with :class:`archive.writer.WarcWriter` (the page's
  URL from ``meta.info``, status 200, ``Content-Type: text/html`` without a charset, so the
  encoding must be found in the bytes as in a real crawl) and ``newsarchive extract`` is run on
  it in a subprocess: the crawler's own code path, generic extraction since no outlet covers
  these hosts.
* **trafilatura**: plain ``trafilatura.extract`` with default settings for the body, and
  ``trafilatura.bare_extraction(with_metadata=True)`` for title, date and authors, on the page
  decoded the way Scrapy decodes it (``HtmlResponse.text``, i.e. w3lib's ``html_to_unicode``).

Metrics, per language and overall:

* body precision / recall / F1: the Zyte article-extraction-benchmark metric: tokens are ``\\w+``
  runs, 4-gram shingles of prediction and truth are compared as multisets, each page's TP/FP/FN
  are divided by their sum (so long pages weigh no more than short ones) and summed over pages;
  P, R and F1 come from those sums;
* title: exact match after whitespace normalisation;
* date: the publication day matches (a prediction with a time is read in the expected value's
  UTC offset, so 23:30-04:00 and 03:30Z of the next day are the same instant and the same day);
* authors: F1 of the sets of names (whitespace-normalised, case-folded), averaged over pages;
  a page without expected authors counts 1 when none are predicted and 0 otherwise;
* ms per page: wall time per page, measured in this process for both, page by page in turn so
  that both see the same machine load: ours is ``crawler.page.analyse_page`` on the page's bytes
  (decoding, hidden elements, verdict, language and metadata included); trafilatura's row is
  Scrapy's decoding plus ``extract`` plus ``bare_extraction``, the work the row needs. Each
  trafilatura call alone, and the subprocess's own wall time (start-up and WARC reading
  included), are printed below the table.

The body text the benchmark scores is what ``newsarchive extract`` printed; the run checks that
the in-process analysis gives the same text, so the timing is of the code that produced it.

Expected body = the Fundus ``summary`` (lead), then for each section its headline(s) and
paragraphs, in page order: what a reader reads as the article below the title. Pairing pages
with expected versions follows ../shared/data/README.md: a publisher's pages sorted by the date
in their names against its versions V1, V1_1, V2, ... in natural order; publishers whose counts
differ are skipped (and counted in the report).

Languages are not in the data: each page's language is detected (py3langid) from its expected
title and body, which is deterministic and needs no hand-made country table (Belgium, Canada,
India, South Africa publish in several languages).

Held-out split: countries whose SHA-1 first byte modulo 4 is 2 or 3 (52 pages from us, at, lu, ind,
gl, id, isl, ls, lt, mx, my, na, vn) were kept aside while the extractor was developed on the other
160, and the block model is trained on those 160 only (bench/train_block_model.py); ``--split``
prints either part alone. Figures on the development part are in-sample for the model.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from urllib.parse import urldefrag

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "fundus-dev"

_TOKEN = re.compile(r"\w+")
_SPACES = re.compile(r"\s+")
_VERSION_KEY = re.compile(r"\d+")
_PAGE_DATE = re.compile(r"_(\d{4})_(\d{2})_(\d{2})\.html\.gz$")
HELD_OUT_BUCKETS = frozenset({2, 3})


# --- data ------------------------------------------------------------------------------------
@dataclass
class Expected:
    title: str
    authors: list[str]
    published: str | None
    body: str


@dataclass
class Page:
    country: str
    publisher: str
    file: str
    url: str
    crawl_date: datetime
    html: bytes
    expected: Expected
    language: str = "?"

    @property
    def key(self) -> str:
        return f"{self.country}/{self.file}"

    @property
    def held_out(self) -> bool:
        return is_held_out(self.country)


def is_held_out(country: str) -> bool:
    """Whether a country belongs to the part of the set kept aside during development."""
    return hashlib.sha1(country.encode()).digest()[0] % 4 in HELD_OUT_BUCKETS


def expected_body(body: dict) -> str:
    """Summary, then each section's headlines and paragraphs, one block per line."""
    blocks = list(body.get("summary") or [])
    for section in body.get("sections") or []:
        blocks.extend(section.get("headline") or [])
        blocks.extend(section.get("paragraphs") or [])
    return "\n\n".join(b for b in blocks if b and b.strip())


def _version_order(name: str) -> tuple[int, ...]:
    return tuple(int(n) for n in _VERSION_KEY.findall(name))


def _page_date(name: str) -> tuple[int, ...]:
    m = _PAGE_DATE.search(name)
    return tuple(int(g) for g in m.groups()) if m else (0,)


@dataclass
class DataSet:
    pages: list[Page]
    skipped_publishers: list[str] = field(default_factory=list)
    skipped_pages: int = 0


def load_pages(root: Path = DEFAULT_DATA) -> DataSet:
    """Every page with its expected version, by the README's pairing rule."""
    from py3langid.langid import classify

    data = DataSet(pages=[])
    for country_dir in sorted(p for p in root.iterdir() if p.is_dir()):
        meta = json.loads((country_dir / "meta.info").read_text(encoding="utf-8"))
        for expected_file in sorted(country_dir.glob("*.json")):
            publisher = expected_file.stem
            versions = json.loads(expected_file.read_text(encoding="utf-8"))
            files = sorted(
                (p for p in country_dir.glob(f"{publisher}_*.html.gz") if _PAGE_DATE.search(p.name)),
                key=lambda p: _page_date(p.name),
            )
            names = sorted(versions, key=_version_order)
            if len(names) != len(files):
                data.skipped_publishers.append(f"{country_dir.name}/{publisher}")
                data.skipped_pages += len(files)
                continue
            for path, version in zip(files, names, strict=True):
                info = meta.get(path.name)
                if info is None:
                    data.skipped_pages += 1
                    continue
                value = versions[version]
                expected = Expected(
                    title=value.get("title") or "",
                    authors=list(value.get("authors") or []),
                    published=value.get("publishing_date"),
                    body=expected_body(value.get("body") or {}),
                )
                language = classify(f"{expected.title}\n{expected.body}")[0]
                data.pages.append(
                    Page(
                        country=country_dir.name,
                        publisher=publisher,
                        file=path.name,
                        url=info["url"],
                        crawl_date=datetime.fromisoformat(info["crawl_date"]),
                        html=gzip.decompress(path.read_bytes()),
                        expected=expected,
                        language=str(language),
                    )
                )
    return data


# --- metrics ---------------------------------------------------------------------------------
def _shingles(text: str, n: int = 4) -> Counter[tuple[str, ...]]:
    tokens = _TOKEN.findall(text or "")
    return Counter(tuple(tokens[i : i + n]) for i in range(max(1, len(tokens) - n + 1)) if tokens[i : i + n])


def shingle_counts(truth: str, prediction: str) -> tuple[float, float, float]:
    """Zyte's per-page TP/FP/FN over 4-gram shingles, as fractions of the page's total."""
    true_sh, pred_sh = _shingles(truth), _shingles(prediction)
    tp = sum((true_sh & pred_sh).values())
    fp = sum((pred_sh - true_sh).values())
    fn = sum((true_sh - pred_sh).values())
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def prf(counts: Iterable[tuple[float, float, float]]) -> tuple[float, float, float]:
    """Precision, recall and F1 from summed per-page fractions."""
    tp = fp = fn = 0.0
    for a, b, c in counts:
        tp, fp, fn = tp + a, fp + b, fn + c
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def normalise_title(value: str | None) -> str:
    return _SPACES.sub(" ", value or "").strip()


def title_match(expected: str, predicted: str | None) -> bool:
    return normalise_title(expected) == normalise_title(predicted)


def _parse_when(value: str) -> datetime | date | None:
    value = value.strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return date.fromisoformat(value)
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        m = re.match(r"\d{4}-\d{2}-\d{2}", value)
        return date.fromisoformat(m.group(0)) if m else None


def date_match(expected: str | None, predicted: str | None) -> bool:
    """Same publication day; with offsets on both sides, the prediction is read in the expected's."""
    if not expected or not predicted:
        return not expected and not predicted
    want, got = _parse_when(expected), _parse_when(predicted)
    if want is None or got is None:
        return False
    if isinstance(want, datetime) and isinstance(got, datetime) and want.tzinfo and got.tzinfo:
        return got.astimezone(want.tzinfo).date() == want.date()
    want_day = want.date() if isinstance(want, datetime) else want
    got_day = got.date() if isinstance(got, datetime) else got
    return want_day == got_day


def _author_key(name: str) -> str:
    return _SPACES.sub(" ", name).strip().casefold()


def authors_f1(expected: Sequence[str], predicted: Sequence[str]) -> float:
    want = {_author_key(a) for a in expected if a.strip()}
    got = {_author_key(a) for a in predicted if a.strip()}
    if not want and not got:
        return 1.0
    common = len(want & got)
    if not common:
        return 0.0
    precision, recall = common / len(got), common / len(want)
    return 2 * precision * recall / (precision + recall)


# --- predictions -----------------------------------------------------------------------------
@dataclass
class Prediction:
    title: str | None
    authors: list[str]
    published: str | None
    text: str
    seconds: float = 0.0
    #: Time of parts of the work, for the report (trafilatura: each call alone, decoding included).
    parts: dict[str, float] = field(default_factory=dict)


def decode_like_scrapy(page: Page) -> str:
    """The page's text as Scrapy gives it to a spider (``HtmlResponse.text``)."""
    from scrapy.http import HtmlResponse

    return HtmlResponse(page.url, body=page.html, headers={"Content-Type": "text/html"}).text


def trafilatura_prediction(page: Page) -> Prediction:
    """Plain trafilatura: default ``extract`` for the body, ``bare_extraction`` for metadata.

    Its time is the row's whole cost (decoding, both calls); each call alone is kept in
    ``parts`` so that the report can also compare with the cheapest trafilatura call.
    """
    import trafilatura

    start = time.perf_counter()
    text = decode_like_scrapy(page)
    decoded = time.perf_counter()
    body = trafilatura.extract(text, url=page.url) or ""
    extracted = time.perf_counter()
    meta = trafilatura.bare_extraction(text, url=page.url, with_metadata=True)
    done = time.perf_counter()
    authors = [a.strip() for a in ((meta.author if meta else None) or "").split(";") if a.strip()]
    prediction = Prediction(meta.title if meta else None, authors, meta.date if meta else None, body, done - start)
    prediction.parts = {
        "extract": (decoded - start) + (extracted - decoded),
        "bare_extraction": (decoded - start) + (done - extracted),
    }
    return prediction


def ours_prediction(page: Page) -> Prediction:
    """newsarchive's analysis of the page, in this process (for timing and for the tests)."""
    from crawler.outlets import outlet_for_url
    from crawler.page import analyse_page

    start = time.perf_counter()
    result = analyse_page(
        page.url, 200, page.html,
        content_type="text/html", outlet=outlet_for_url(page.url),
    )
    seconds = time.perf_counter() - start
    prediction = Prediction(result.title, list(result.authors), result.published, result.text, seconds)
    prediction.parts = {"extraction": _extraction_seconds(page)}
    return prediction


def _extraction_seconds(page: Page) -> float:
    """Time of the generic extraction alone (metadata and body) on the decoded, parsed, stripped page.

    analyse_page also decides the encoding, judges the verdict, detects the language and repairs
    text, which trafilatura does not do; this isolates the part that does what trafilatura does.
    """
    from crawler.encoding import decode_body
    from crawler.extraction import generic_fields, metadata_fallbacks
    from crawler.htmltools import parse_html, strip_hidden

    doc = parse_html(decode_body(page.html, "text/html")[0])
    strip_hidden(doc)
    start = time.perf_counter()
    metadata_fallbacks(doc, page.url)
    generic_fields(doc, page.url)
    return time.perf_counter() - start


def _record_prediction(record: dict) -> Prediction:
    return Prediction(record.get("title"), list(record.get("authors") or []), record.get("published"), record.get("text") or "")


# --- the WARC and the subprocess -------------------------------------------------------------
def write_warc(pages: Sequence[Page], directory: Path) -> list[Path]:
    """One response (and request) record per page, as a crawl would have archived it."""
    from archive.writer import WarcWriter

    writer = WarcWriter(directory, prefix="bench-extract", warcinfo={"description": "fundus-dev extraction benchmark"})
    with writer:
        for page in pages:
            writer.write_exchange(
                url=page.url,
                method="GET",
                request_headers=[("Accept", "text/html")],
                request_body=b"",
                protocol="HTTP/1.1",
                status=200,
                reason="OK",
                response_headers=[("Content-Type", "text/html"), ("Content-Length", str(len(page.html)))],
                body=page.html,
                ip_address=None,
                date=page.crawl_date,
            )
    return writer.files


def run_extract(warcs: Sequence[Path]) -> tuple[list[dict], float]:
    """``newsarchive extract`` on the WARC files: the records it prints, and its wall time."""
    exe = Path(sys.executable).parent / "newsarchive"
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "crawler"]
    start = time.perf_counter()
    proc = subprocess.run(
        [*command, "extract", *map(str, warcs)], cwd=ROOT, capture_output=True, text=True, check=False,
        env=dict(os.environ, PYTHONUNBUFFERED="1"),
    )
    seconds = time.perf_counter() - start
    if proc.returncode:
        raise SystemExit(f"newsarchive extract failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return [json.loads(line) for line in proc.stdout.splitlines() if line.strip()], seconds


# --- scoring ---------------------------------------------------------------------------------
@dataclass
class PageScore:
    page: Page
    counts: tuple[float, float, float]
    title: bool
    date: bool
    authors: float
    seconds: float
    parts: dict[str, float] = field(default_factory=dict)


def score(page: Page, prediction: Prediction) -> PageScore:
    exp = page.expected
    return PageScore(
        page=page,
        counts=shingle_counts(exp.body, prediction.text),
        title=title_match(exp.title, prediction.title),
        date=date_match(exp.published, prediction.published),
        authors=authors_f1(exp.authors, prediction.authors),
        seconds=prediction.seconds,
        parts=dict(prediction.parts),
    )


@dataclass
class Row:
    pages: int
    precision: float
    recall: float
    f1: float
    title: float
    date: float
    authors: float
    ms: float


def summarise(scores: Sequence[PageScore]) -> Row:
    precision, recall, f1 = prf(s.counts for s in scores)
    return Row(
        pages=len(scores),
        precision=precision,
        recall=recall,
        f1=f1,
        title=statistics.fmean(s.title for s in scores),
        date=statistics.fmean(s.date for s in scores),
        authors=statistics.fmean(s.authors for s in scores),
        ms=1000 * statistics.fmean(s.seconds for s in scores),
    )


def evaluate(pages: Sequence[Page], predict: Callable[[Page], Prediction]) -> list[PageScore]:
    return [score(page, predict(page)) for page in pages]


def format_table(groups: dict[str, tuple[list[PageScore], list[PageScore]]]) -> str:
    header = f"{'language':<10}{'pages':>6}  {'extractor':<12}{'P':>7}{'R':>7}{'F1':>7}{'title':>7}{'date':>7}{'authors':>8}{'ms/page':>9}"
    lines = [header, "-" * len(header)]
    for name, (ours, theirs) in groups.items():
        for label, scores in (("newsarchive", ours), ("trafilatura", theirs)):
            row = summarise(scores)
            lines.append(
                f"{name if label == 'newsarchive' else '':<10}{row.pages if label == 'newsarchive' else '':>6}  {label:<12}"
                f"{row.precision:>7.3f}{row.recall:>7.3f}{row.f1:>7.3f}{row.title:>7.3f}{row.date:>7.3f}"
                f"{row.authors:>8.3f}{row.ms:>9.1f}"
            )
    return "\n".join(lines)


def grouped(
    ours: Sequence[PageScore], theirs: Sequence[PageScore], overall: str = "overall"
) -> dict[str, tuple[list[PageScore], list[PageScore]]]:
    languages = Counter(s.page.language for s in ours)
    groups: dict[str, tuple[list[PageScore], list[PageScore]]] = {}
    for language, _count in sorted(languages.items(), key=lambda kv: (-kv[1], kv[0])):
        groups[language] = (
            [s for s in ours if s.page.language == language],
            [s for s in theirs if s.page.language == language],
        )
    groups[overall] = (list(ours), list(theirs))
    return groups


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="fundus-dev folder")
    parser.add_argument("--split", choices=("all", "dev", "heldout"), default="all")
    parser.add_argument("--pages", action="store_true", help="print per-page body F1 and metadata misses")
    parser.add_argument("--json", type=Path, help="write per-page scores here")
    args = parser.parse_args(argv)

    if not args.data.is_dir():
        print(f"bench-extract: {args.data} is absent (the publishers' pages are not in the repository)", file=sys.stderr)
        return 2
    data = load_pages(args.data)
    pages = data.pages
    if args.split != "all":
        pages = [p for p in pages if p.held_out == (args.split == "heldout")]
    print(
        f"{len(pages)} pages ({args.split}); {data.skipped_pages} skipped"
        + (f" (publishers with unequal page/version counts: {', '.join(data.skipped_publishers)})" if data.skipped_publishers else "")
    )

    with tempfile.TemporaryDirectory(prefix="bench-extract-") as tmp:
        warcs = write_warc(pages, Path(tmp))
        records, wall = run_extract(warcs)
    # The WARC target is the URL fetched, so fragments (``#omrss``) are not part of it.
    if len(records) != len(pages) or any(r["url"] != urldefrag(p.url).url for r, p in zip(records, pages, strict=False)):
        raise SystemExit(f"newsarchive extract returned {len(records)} records for {len(pages)} pages, or out of order")

    # Warm both paths up (imports, caches) so neither pays first-call costs in its timing.
    ours_prediction(pages[0])
    trafilatura_prediction(pages[0])
    ours: list[PageScore] = []
    theirs: list[PageScore] = []
    for page, record in zip(pages, records, strict=True):
        timed = ours_prediction(page)
        prediction = _record_prediction(record)
        prediction.seconds = timed.seconds
        prediction.parts = timed.parts
        if timed.text != prediction.text:
            print(f"warning: in-process text differs from `newsarchive extract` for {page.key}", file=sys.stderr)
        ours.append(score(page, prediction))
        theirs.append(score(page, trafilatura_prediction(page)))

    print()
    print(format_table(grouped(ours, theirs)))
    if args.split == "all":
        print()
        print(format_table({
            "dev": ([s for s in ours if not s.page.held_out], [s for s in theirs if not s.page.held_out]),
            "held-out": ([s for s in ours if s.page.held_out], [s for s in theirs if s.page.held_out]),
        }))
    print()
    ours_ms = 1000 * statistics.fmean(s.seconds for s in ours)
    extraction_ms = 1000 * statistics.fmean(s.parts["extraction"] for s in ours)
    print(
        f"newsarchive: {ours_ms:.1f} ms/page for the whole page analysis, of which {extraction_ms:.1f} ms "
        "the generic extraction itself (metadata and body; the rest: decoding, hidden elements, verdict, language)"
    )
    for call in ("extract", "bare_extraction"):
        ms = 1000 * statistics.fmean(s.parts[call] for s in theirs)
        print(f"trafilatura.{call} alone (with decoding): {ms:.1f} ms/page; newsarchive/that = {ours_ms / ms:.2f}")
    row_ms = 1000 * statistics.fmean(s.seconds for s in theirs)
    print(f"trafilatura row (decoding + extract + bare_extraction): {row_ms:.1f} ms/page; newsarchive/row = {ours_ms / row_ms:.2f}")
    print(
        f"`newsarchive extract` subprocess: {wall:.1f} s wall for {len(pages)} pages "
        f"({1000 * wall / len(pages):.1f} ms/page, start-up and WARC reading included)"
    )
    if args.pages:
        print()
        for a, b in zip(ours, theirs, strict=True):
            print(
                f"{a.page.key:<50} {a.page.language:<3} ours F1 {prf([a.counts])[2]:.3f} P {prf([a.counts])[0]:.3f}"
                f"  traf F1 {prf([b.counts])[2]:.3f}  title {'ok' if a.title else 'MISS'}/{'ok' if b.title else 'MISS'}"
                f"  date {'ok' if a.date else 'MISS'}/{'ok' if b.date else 'MISS'}  authors {a.authors:.2f}/{b.authors:.2f}"
            )
    if args.json:
        args.json.write_text(json.dumps([
            {"page": a.page.key, "language": a.page.language, "held_out": a.page.held_out,
             "ours": {"counts": a.counts, "title": a.title, "date": a.date, "authors": a.authors, "ms": 1000 * a.seconds},
             "trafilatura": {"counts": b.counts, "title": b.title, "date": b.date, "authors": b.authors, "ms": 1000 * b.seconds}}
            for a, b in zip(ours, theirs, strict=True)
        ], indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
