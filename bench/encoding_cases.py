"""Which detector should weigh in on legacy pages: ``python bench/encoding_cases.py``.

Issue 5 asked to measure chardet against charset-normalizer on our own cases before choosing (chardet
7 had been seen to get Turkish windows-1254 right where charset-normalizer said windows-1250).  The
set: every legacy-encoded body of the test corpus (``tests/test_encoding.py``: clean pages in 21
languages in each code page their text fits, the outlets' long texts), the replica's legacy
articles as served, and the same texts cut to a headline (short pages are where detectors fail).

A guess counts as right when decoding the body with it gives exactly the true text, so windows-1254
for an ISO-8859-9 page is right and windows-1252 for a Turkish page is wrong whatever the name.
Also shown: newsarchive's own ``decode_body`` on the same bodies served without a label, without and
with the outlet's language, and the time per call.  This is a measurement, never a test.
"""

from __future__ import annotations

import statistics
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import chardet  # noqa: E402
import charset_normalizer  # noqa: E402

from crawler.encoding import _detect, _without_declarations, decode_body  # noqa: E402
from crawler.replica import ReplicaServer  # noqa: E402
from crawler.replica.catalogue import CATALOGUE  # noqa: E402
from tests.test_encoding import (  # noqa: E402
    ARABIC,
    AZERBAIJANI_LEGACY,
    CLEAN_PAGES,
    RUSSIAN,
    TURKISH,
    clean_page,
    page,
)


@dataclass
class Case:
    name: str
    language: str
    encoding: str
    body: bytes

    @property
    def truth(self) -> str:
        return self.body.decode(self.encoding)


def cases() -> list[Case]:
    found: list[Case] = []
    for lang, title, paragraphs, encodings in CLEAN_PAGES:
        for encoding in encodings:
            found.append(Case(f"corpus {lang}", lang, encoding, clean_page(lang, title, paragraphs, encoding).encode(encoding)))
            headline = page(title).encode(encoding)
            found.append(Case(f"headline {lang}", lang, encoding, headline))
    for lang, text, encoding in (
        ("tr", TURKISH, "cp1254"),
        ("az", AZERBAIJANI_LEGACY, "cp1254"),
        ("ru", RUSSIAN, "cp1251"),
        ("ar", ARABIC, "cp1256"),
    ):
        found.append(Case(f"long {lang}", lang, encoding, page(text).encode(encoding)))
    with ReplicaServer(port=0) as server:
        for item in CATALOGUE:
            if item.kind == "article" and item.body_encoding.lower() not in ("utf-8", "utf8"):
                with urllib.request.urlopen(server.base_url + item.replica_path, timeout=10) as answer:
                    body = answer.read()
                found.append(Case(f"replica {item.outlet}", item.language or "", item.body_encoding, body))
    return found


def right(case: Case, guess: str | None) -> bool:
    if not guess:
        return False
    try:
        return case.body.decode(guess, errors="replace") == case.truth
    except LookupError:
        return False


def chardet_default(body: bytes) -> str | None:
    return chardet.detect(body)["encoding"]


def chardet_ours(body: bytes) -> str | None:
    """chardet as newsarchive calls it (declarations blanked, web-era encodings only)."""
    return _detect(body)[0]


def charset_normalizer_best(body: bytes) -> str | None:
    best = charset_normalizer.from_bytes(body).best()
    return best.encoding if best else None


def charset_normalizer_blind(body: bytes) -> str | None:
    """charset-normalizer on the same declaration-blanked bytes chardet* gets."""
    return charset_normalizer_best(_without_declarations(body))


def chardet_blind(body: bytes) -> str | None:
    """chardet with default arguments on the declaration-blanked bytes."""
    return chardet_default(_without_declarations(body))


def ours_unlabelled(case: Case) -> str:
    """decode_body with no label anywhere (header absent, in-document declarations blanked)."""
    return decode_body(_without_declarations(case.body), "text/html")[1].used


def ours_with_language(case: Case) -> str:
    """The same, told the outlet's language as a spider does."""
    return decode_body(_without_declarations(case.body), "text/html", languages=[case.language])[1].used


def timed(function: Callable[[bytes], object], bodies: list[bytes]) -> float:
    """Median milliseconds per call."""
    times = []
    for body in bodies:
        start = time.perf_counter()
        function(body)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    all_cases = cases()
    columns: list[tuple[str, Callable[[Case], str | None]]] = [
        ("chardet", lambda c: chardet_default(c.body)),
        ("cn", lambda c: charset_normalizer_best(c.body)),
        ("chardet-blind", lambda c: chardet_blind(c.body)),
        ("cn-blind", lambda c: charset_normalizer_blind(c.body)),
        ("chardet*", lambda c: chardet_ours(c.body)),
        ("ours", ours_unlabelled),
        ("ours+lang", ours_with_language),
    ]
    totals = dict.fromkeys((name for name, _ in columns), 0)
    print(f"{'case':<28}{'truth':<13}" + "".join(f"{name:<15}" for name, _ in columns))
    for case in all_cases:
        cells = []
        for name, guess_of in columns:
            guess = guess_of(case)
            ok = right(case, guess)
            totals[name] += ok
            cells.append(f"{('' if ok else '✗ ') + str(guess):<15}")
        print(f"{case.name:<28}{case.encoding:<13}" + "".join(cells))
    print()
    print(f"{'right':<41}" + "".join(f"{f'{totals[name]}/{len(all_cases)}':<15}" for name, _ in columns))
    bodies = [c.body for c in all_cases]
    print()
    print("median ms per call: "
          f"chardet-blind {timed(chardet_blind, bodies):.2f}, chardet* {timed(chardet_ours, bodies):.2f}, "
          f"cn-blind {timed(charset_normalizer_blind, bodies):.2f}, "
          f"decode_body {timed(lambda b: decode_body(b, 'text/html'), bodies):.2f}")
    print("chardet, cn: the body as served (both echo a <meta charset> that decodes the bytes, true or not);")
    print("-blind: the same with declarations blanked; chardet* = as crawler.encoding calls it (blind,")
    print("MODERN_WEB | LEGACY_ISO); ours: decode_body with no label at all, without/with the language")


if __name__ == "__main__":
    main()
