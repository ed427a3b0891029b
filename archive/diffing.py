"""Text of archived captures, and what changed between two texts.

Stealth edits (a figure corrected, a sentence softened, a paragraph dropped after publication,
with no note and often no new Last-Modified) are a main reason people audit news archives.  A
changed page is therefore compared as a reader reads it: the extracted article text, paragraph by
paragraph (a unified diff whose "lines" are paragraphs, so a one-word edit does not hide inside a
re-wrapped HTML line), and inside a paragraph that was replaced by one other paragraph, word by
word (``[-old-]{+new+}``, as ``git diff --word-diff`` shows it).

The text always comes from :func:`crawler.page.analyse_page`, the code path of the crawl and of
``newsarchive extract``, so the archive is read today as the crawler read it.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from crawler.page import PageResult

#: Paragraph lines in a diff are cut to this many characters (the word diff shows the change).
LINE_WIDTH = 200
_WORDS = re.compile(r"\S+\s*|\s+")


@dataclass
class CaptureText:
    """What a reader saw in one capture: title and paragraphs, with the verdict of today's code."""

    url: str
    date: str
    status: int
    title: str | None
    paragraphs: list[str]
    verdict: str
    verdict_reasons: list[str]
    extractor: str

    @property
    def lines(self) -> list[str]:
        """The units a diff compares: the title (marked as such), then each paragraph."""
        head = [f"# {self.title}"] if self.title else []
        return head + self.paragraphs


def page_text(result: PageResult) -> str:
    """The extracted text of a page whatever its verdict (``PageResult.text`` is empty unless article).

    The audit compares this with the stored text, so a page that the current code no longer calls an
    article still shows what changed in its text, and the verdict is reported beside it.
    """
    if result.signals is not None:
        return result.signals.main_text
    return result.text


def capture_text(url: str, status: int, body: bytes, *, content_type: str | None, date: str = "") -> CaptureText:
    """Extract one archived page with the crawler's own code (outlet chosen by its URL).

    ``body`` is the payload with its Content-Encoding removed, as a browser (and the crawl) parses it.
    """
    from crawler.outlets import outlet_for_url
    from crawler.page import analyse_page

    result = analyse_page(url, status, body, content_type=content_type, outlet=outlet_for_url(url))
    text = page_text(result)
    return CaptureText(
        url=url,
        date=date,
        status=status,
        title=result.title,
        paragraphs=_paragraphs(text),
        verdict=result.verdict,
        verdict_reasons=list(result.verdict_reasons),
        extractor=result.extractor,
    )


def _cut(line: str, width: int) -> str:
    return line if len(line) <= width else line[: width - 1] + "…"


def word_diff(old: str, new: str) -> str:
    """One paragraph against its replacement, changes marked ``[-removed-]{+added+}``.

    Words carry their following whitespace, so a run of changed words reads as one phrase.
    """
    a, b = _WORDS.findall(old), _WORDS.findall(new)
    out: list[str] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            out.append("".join(a[i1:i2]))
            continue
        removed, added = "".join(a[i1:i2]), "".join(b[j1:j2])
        removed_words, added_words = removed.rstrip(), added.rstrip()
        if removed_words:
            out.append(f"[-{removed_words}-]")
        if added_words:
            out.append(f"{{+{added_words}+}}")
        out.append(added[len(added_words) :] or removed[len(removed_words) :])
    return "".join(out)


def paragraph_diff(
    old: Sequence[str],
    new: Sequence[str],
    *,
    old_label: str = "archived",
    new_label: str = "current",
    context: int = 1,
    width: int = LINE_WIDTH,
    words: bool = True,
    max_lines: int | None = None,
) -> list[str]:
    """A unified diff whose lines are paragraphs; empty when the texts are equal.

    With ``words``, each paragraph replaced by exactly one other is followed by a ``~`` line that
    marks the changed words, which is where a stealth edit shows.
    """
    old, new = list(old), list(new)
    if old == new:
        return []
    out = [f"--- {old_label}", f"+++ {new_label}"]
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for group in matcher.get_grouped_opcodes(context):
        first, last = group[0], group[-1]
        out.append(f"@@ -{_range(first[1], last[2])} +{_range(first[3], last[4])} @@ (paragraphs)")
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                out.extend(" " + _cut(p, width) for p in old[i1:i2])
                continue
            out.extend("-" + _cut(p, width) for p in old[i1:i2])
            out.extend("+" + _cut(p, width) for p in new[j1:j2])
            if words and tag == "replace" and i2 - i1 == 1 and j2 - j1 == 1:
                out.append("~ " + word_diff(old[i1], new[j1]))
    if max_lines is not None and len(out) > max_lines:
        hidden = len(out) - max_lines
        out = [*out[:max_lines], f"... ({hidden} more diff lines)"]
    return out


def text_diff(old: str, new: str, **kwargs: object) -> list[str]:
    """:func:`paragraph_diff` of two texts whose paragraphs are separated by blank lines."""
    return paragraph_diff(_paragraphs(old), _paragraphs(new), **kwargs)  # type: ignore[arg-type]


def _paragraphs(text: str) -> list[str]:
    return [p for p in text.split("\n\n") if p] if text else []


def _range(start: int, stop: int) -> str:
    """Unified-diff range of paragraph numbers (1-based), as ``diff -u`` writes line ranges."""
    length = stop - start
    if length == 1:
        return str(start + 1)
    return f"{start + 1 if length else start},{length}"


def run_diff(
    url: str, paths: Sequence[object], *, start: str | None, end: str | None, out: IO[str], err: IO[str]
) -> int:
    """``newsarchive diff URL [--from T1 --to T2]``: the text changes between two captures.

    Without times: the first capture against the last.  Exit status as ``diff(1)``: 0 when the
    texts are the same, 1 when they differ, 2 when the captures cannot be compared.
    """
    from archive.captures import CaptureError, Captures

    with Captures(paths) as captures:  # type: ignore[arg-type]
        for note in captures.notes:
            print(f"note: {note}", file=err)
        try:
            every = captures.of(url)
            if not every:
                raise CaptureError(f"no capture of {url} in the archive's indexes")
            first = captures.nearest(url, start)[0] if start else every[0]
            last = captures.nearest(url, end)[0] if end else every[-1]
            if first == last:
                print(f"only one capture to compare ({first.iso}, {len(every)} in all): nothing changed", file=err)
                return 0
            texts = []
            for capture in (first, last):
                loaded = captures.load(capture)
                for problem in loaded.problems:
                    print(f"WARNING: {problem}", file=err)
                texts.append(capture_text(capture.url, loaded.status, loaded.body,
                                          content_type=loaded.content_type, date=loaded.record.date))
        except (CaptureError, ValueError) as exc:
            print(f"newsarchive diff: {exc}", file=err)
            return 2
    old, new = texts
    labels = [f"{c.url}  {t.date or c.iso}  {c.filename} @ {c.offset}" for c, t in ((first, old), (last, new))]
    lines = paragraph_diff(old.lines, new.lines, old_label=labels[0], new_label=labels[1])
    if old.status != new.status or old.verdict != new.verdict:
        lines.insert(0, f"status {old.status} -> {new.status}; verdict (today's code) {old.verdict} -> {new.verdict}")
    if not lines:
        out.write(f"no change in the text between {first.iso} and {last.iso}\n")
        return 0
    out.write("\n".join(lines) + "\n")
    return 1
