"""Language detection: how well py3langid tells Turkish from Azerbaijani on our test pages.

``make bench-language`` (or ``python bench/language_detection.py``) runs
``crawler.extraction.detect_language`` (py3langid) on:

* every article of the replica whose language is Turkish or Azerbaijani, on the text the crawl
  extracts (``crawler.page.analyse_page`` with the outlet);
* the real pages of ``../shared/data/fundus-tr`` (Turkish), likewise;

and reports the accuracy three ways: restricted to ``{tr, az}`` (what an outlet writing both would
declare), unrestricted (all of py3langid's 97 languages, what a site without a profile gets), and
per paragraph restricted to ``{tr, az}`` (short texts are where the two are hardest to tell apart).
The other replica articles (English, Russian, Arabic) are checked restricted to their outlet's
languages, as the crawl detects them, and unrestricted.
"""

from __future__ import annotations

import gzip
import json
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crawler.extraction import detect_language  # noqa: E402
from crawler.outlets import outlet_for_url  # noqa: E402
from crawler.page import analyse_page  # noqa: E402
from crawler.replica import ReplicaServer  # noqa: E402
from crawler.replica.catalogue import CATALOGUE  # noqa: E402

FUNDUS_TR = ROOT.parent / "shared" / "data" / "fundus-tr"
BROWSER_ONLY = {"jsnews.example"}
TURKIC = ("az", "tr")
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass
class Text:
    source: str
    language: str
    outlet_languages: tuple[str, ...]
    paragraphs: list[str]

    @property
    def text(self) -> str:
        return "\n\n".join(self.paragraphs)


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


def replica_texts() -> list[Text]:
    texts = []
    with ReplicaServer(port=0, shared_data=None) as server:
        for page in CATALOGUE:
            if page.kind != "article" or page.outlet in BROWSER_ONLY or not page.language:
                continue
            url = server.base_url + page.replica_path
            body, content_type = _fetch(url)
            outlet = outlet_for_url(url)
            result = analyse_page(url, 200, body, content_type=content_type, outlet=outlet)
            languages = tuple(outlet.languages) if outlet else ()
            texts.append(Text(f"replica {page.outlet}{page.path}", page.language, languages, result.paragraphs))
    return texts


def fundus_texts() -> list[Text]:
    meta = FUNDUS_TR / "meta.info"
    if not meta.is_file():
        return []
    texts = []
    for name, info in sorted(json.loads(meta.read_text(encoding="utf-8")).items()):
        body = gzip.decompress((FUNDUS_TR / name).read_bytes())
        outlet = outlet_for_url(info["url"])
        result = analyse_page(info["url"], 200, body, outlet=outlet)
        languages = tuple(outlet.languages) if outlet else ()
        texts.append(Text(f"fundus-tr {name}", "tr", languages, result.paragraphs))
    return texts


def _score(pairs: list[tuple[str, str | None]]) -> str:
    right = sum(1 for truth, guess in pairs if truth == guess)
    wrong = Counter(f"{truth}->{guess}" for truth, guess in pairs if truth != guess)
    detail = f"  errors: {dict(wrong)}" if wrong else ""
    return f"{right}/{len(pairs)} = {right / len(pairs):.1%}{detail}" if pairs else "no pages"


def main() -> int:
    texts = replica_texts() + fundus_texts()
    turkic = [t for t in texts if t.language in TURKIC]
    others = [t for t in texts if t.language not in TURKIC]
    print("language detection (py3langid via crawler.extraction.detect_language)")
    print(f"pages: {len(turkic)} Turkish/Azerbaijani "
          f"({Counter(t.language for t in turkic)}), {len(others)} others; "
          f"fundus-tr {'included' if any(t.source.startswith('fundus') for t in texts) else 'absent'}")
    print()
    print("Turkish vs Azerbaijani, whole articles")
    print("  restricted to {az, tr}:   " + _score([(t.language, detect_language(t.text, TURKIC)) for t in turkic]))
    print("  unrestricted (97 langs):  " + _score([(t.language, detect_language(t.text, ())) for t in turkic]))
    paragraphs = [(t.language, p) for t in turkic for p in t.paragraphs if len(p) >= 20]
    print(f"Turkish vs Azerbaijani, single paragraphs ({len(paragraphs)})")
    print("  restricted to {az, tr}:   " + _score([(lang, detect_language(p, TURKIC)) for lang, p in paragraphs]))
    print("  unrestricted (97 langs):  " + _score([(lang, detect_language(p, ())) for lang, p in paragraphs]))
    print("All articles, as the crawl detects (restricted to the outlet's languages)")
    print("  " + _score([(t.language, detect_language(t.text, t.outlet_languages)) for t in texts]))
    for t in texts:
        guess = detect_language(t.text, t.outlet_languages)
        if guess != t.language:
            print(f"    wrong: {t.source}: {t.language} -> {guess}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
