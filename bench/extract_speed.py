"""Extraction speed: newsarchive's page analysis against plain ``trafilatura.extract``, per article.

``make bench-extract-speed`` (or ``python bench/extract_speed.py``) times, on the same bytes:

* **ours**: ``crawler.page.analyse_page`` with the page's outlet (chosen by host, as ``newsarchive
  extract`` does): decoding with encoding repair, hidden-element removal, the outlet's parser (or
  the JSON-LD/trafilatura fallbacks), the cleaning layer, language detection and the verdict;
* **trafilatura**: ``trafilatura.extract(body, url=url)`` with its defaults (decoding included).

Pages: every server-rendered article of the replica (each outlet's catalogue; JS News is left out,
its HTTP body being an app shell) and the real pages of ``../shared/data/fundus-tr`` when present.
Each page is analysed once untimed (warm-up: models and caches load), then ``--rounds`` times by
each extractor in alternation, so both see the same machine state; a page's figure is the median of
its rounds, so that stalls of a busy machine do not decide it. The target is ours <= 1.0x
trafilatura's time.
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import trafilatura  # noqa: E402

from crawler.outlets import outlet_for_url  # noqa: E402
from crawler.page import analyse_page  # noqa: E402
from crawler.replica import ReplicaServer  # noqa: E402
from crawler.replica.catalogue import CATALOGUE  # noqa: E402

FUNDUS_TR = ROOT.parent / "shared" / "data" / "fundus-tr"
BROWSER_ONLY = {"jsnews.example"}  # app shells: the text exists only after JavaScript runs
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass
class Sample:
    group: str
    url: str
    body: bytes
    content_type: str | None
    ours: list[float] = field(default_factory=list)
    theirs: list[float] = field(default_factory=list)
    extractor: str = ""


def _fetch(url: str) -> tuple[bytes, str | None]:
    for _attempt in range(3):
        try:
            with _OPENER.open(url, timeout=10) as response:
                return response.read(), response.headers.get("Content-Type")
        except urllib.error.HTTPError as error:
            if error.code != 429:
                raise
            time.sleep(float(error.headers.get("Retry-After", "1")))
    raise RuntimeError(f"{url} kept answering 429")


def replica_samples() -> list[Sample]:
    samples = []
    with ReplicaServer(port=0, shared_data=None) as server:
        for page in CATALOGUE:
            if page.kind != "article" or page.outlet in BROWSER_ONLY:
                continue
            url = server.base_url + page.replica_path
            body, content_type = _fetch(url)
            samples.append(Sample(f"replica {page.outlet}", url, body, content_type))
    return samples


def fundus_samples() -> list[Sample]:
    meta = FUNDUS_TR / "meta.info"
    if not meta.is_file():
        return []
    samples = []
    for name, info in sorted(json.loads(meta.read_text(encoding="utf-8")).items()):
        body = gzip.decompress((FUNDUS_TR / name).read_bytes())
        samples.append(Sample("fundus-tr " + name.split("_")[0], info["url"], body, None))
    return samples


def _timed(function: Callable[[], object]) -> float:
    start = time.perf_counter()
    function()
    return (time.perf_counter() - start) * 1000


def run(samples: list[Sample], rounds: int) -> None:
    for sample in samples:
        outlet = outlet_for_url(sample.url)

        def ours(s: Sample = sample, o: object = outlet) -> object:
            return analyse_page(s.url, 200, s.body, content_type=s.content_type, outlet=o)  # type: ignore[arg-type]

        def theirs(s: Sample = sample) -> object:
            return trafilatura.extract(s.body, url=s.url)

        sample.extractor = ours().extractor  # type: ignore[attr-defined]
        theirs()
        for _ in range(rounds):
            sample.ours.append(_timed(ours))
            sample.theirs.append(_timed(theirs))


def report(samples: list[Sample], rounds: int) -> str:
    lines = [
        f"extraction speed, ms per article (each page's median of {rounds} rounds, averaged over the pages)",
        "",
        f"{'pages':<34}{'n':>3}{'ours':>9}{'trafilatura':>13}{'ratio':>8}   extractor",
    ]
    groups: dict[str, list[Sample]] = {}
    for sample in samples:
        groups.setdefault(sample.group, []).append(sample)

    def row(label: str, members: list[Sample], note: str = "") -> str:
        # Medians: a busy machine's stalls hit single rounds; they must not decide the figure.
        ours = statistics.fmean(statistics.median(s.ours) for s in members)
        theirs = statistics.fmean(statistics.median(s.theirs) for s in members)
        return f"{label:<34}{len(members):>3}{ours:>9.2f}{theirs:>13.2f}{ours / theirs:>7.2f}x   {note}"

    for group, members in groups.items():
        extractors = ",".join(sorted({s.extractor for s in members}))
        lines.append(row(group, members, extractors))
    lines.append("")
    replica = [s for s in samples if s.group.startswith("replica")]
    fundus = [s for s in samples if s.group.startswith("fundus")]
    if replica:
        lines.append(row("all replica articles", replica))
    if fundus:
        lines.append(row("all fundus-tr pages", fundus))
    else:
        lines.append(f"(fundus-tr pages not found at {FUNDUS_TR})")
    lines.append(row("all pages", samples))
    medians = [statistics.median(s.ours) / statistics.median(s.theirs) for s in samples]
    lines.append(f"{'':<34}{'':>3}   per-page ratio: median {statistics.median(medians):.2f}x, "
                 f"worst {max(medians):.2f}x")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20, help="timed repetitions per page (default 20)")
    args = parser.parse_args(argv)
    samples = replica_samples() + fundus_samples()
    run(samples, args.rounds)
    print(report(samples, args.rounds))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
