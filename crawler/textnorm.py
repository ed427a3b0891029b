"""Matching keys for multilingual phrase detection.

The verdict logic (``crawler.verdicts``) has to recognise phrases such as "Sayfa bulunamadı",
"Страница не найдена" or "الصفحة غير موجودة" however a page happens to spell them: upper or lower case,
with or without Arabic vowel marks, with a decorative tatweel, with presentation-form glyphs, with
typographic quotes.  ``fold`` turns any text into a *matching key* -- not into something to show a
reader -- and ``contains_phrase`` compares keys with word-boundary semantics.

Choices, and why:

* Turkish/Azerbaijani ``İ I ı i`` all become ``i`` *before* case folding.  Python's generic rules
  are wrong for these languages ("İ".lower() is "i" + COMBINING DOT ABOVE, and "I".lower() is "i"
  where Turkish wants "ı").  Because a page may be typed on a keyboard without Turkish letters, the
  only robust key merges all four; the rare collision (Turkish "ılık" vs "ilik") is harmless for
  phrase matching.
* NFKC first, so full-width forms, ligatures and Arabic presentation forms (U+FB50-U+FEFF, common
  in old CMS output) become ordinary letters.
* ``casefold`` rather than ``lower`` (handles ß and similar).
* The only Latin diacritic removed is COMBINING DOT ABOVE (left over from İ in decomposed text).
  Turkish/Azerbaijani ş ç ğ ö ü ə are distinct letters and are kept: stripping them would merge
  unrelated words.  Russian ё is folded to е because Russian text writes ё optionally; й is kept.
* Arabic: harakat U+064B-U+0652, superscript alef U+0670, the Quranic annotation marks and tatweel
  U+0640 are removed; alef forms أ إ آ ٱ become ا; alef maqsura ى becomes ي; Persian ی/ک become
  ي/ك.  Ta marbuta ة is folded to ه: both spellings occur for the same word ("صفحة"/"صفحه") in
  informal and older web text, and no phrase we match is distinguished only by it.  Hamza seats on
  waw/ya (ؤ ئ) are kept, as they are spelling-relevant.  Arabic-Indic and Extended Arabic-Indic
  digits become ASCII digits so "٤٠٤" matches "404".
* Punctuation, symbols, control characters and every kind of space become a single space; invisible
  format characters (soft hyphen, zero-width joiners, bidi marks, BOM) are deleted, because CMSes
  sprinkle them inside words.  Apostrophes therefore split words ("doesn't" -> "doesn t"); phrases
  are folded the same way, so they still match.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

__all__ = ["contains_phrase", "fold"]

# Applied after NFKC and before casefold: the Turkish dotted/dotless i family.
_TURKISH_I = str.maketrans({"İ": "i", "I": "i", "ı": "i"})

# Combining marks removed in the decomposed (NFD) form.  Kept deliberately small: see module docs.
_DROP_MARKS: frozenset[int] = frozenset(
    (
        0x0307,  # COMBINING DOT ABOVE (from İ, and from "i̇" produced by naive lowercasing)
        *range(0x0610, 0x061B),  # Arabic honorific/Quranic signs
        *range(0x064B, 0x0653),  # Arabic harakat: fathatan .. sukun
        *range(0x0656, 0x0660),  # further Arabic vowel signs (not the hamza/madda marks 0653-0655)
        0x0670,  # ARABIC LETTER SUPERSCRIPT ALEF
        *range(0x06D6, 0x06DD),  # Quranic annotation signs
        *range(0x06DF, 0x06E5),
        *range(0x06E7, 0x06E9),
        *range(0x06EA, 0x06EE),
        0x0640,  # ARABIC TATWEEL (a letter-stretching filler, category Lm)
    )
)

# Applied to the recomposed (NFC) text: letter-level equivalences.
_LETTER_MAP: dict[int, str] = {
    ord("ё"): "е",
    ord("أ"): "ا",
    ord("إ"): "ا",
    ord("آ"): "ا",
    ord("ٱ"): "ا",
    ord("ى"): "ي",
    ord("ی"): "ي",
    ord("ک"): "ك",
    ord("ة"): "ه",
}
_LETTER_MAP.update({0x0660 + d: str(d) for d in range(10)})  # Arabic-Indic digits
_LETTER_MAP.update({0x06F0 + d: str(d) for d in range(10)})  # Extended Arabic-Indic digits


class _CharClassMap(dict[int, str | None]):
    """Lazy ``str.translate`` table: marks to drop, separators to space, everything else unchanged.

    Computing ``unicodedata.category`` once per distinct code point and memoising it keeps folding of
    long article bodies fast (``str.translate`` only calls ``__missing__`` on a cache miss).
    """

    def __missing__(self, codepoint: int) -> str | None:
        if codepoint in _DROP_MARKS:
            value: str | None = None
        else:
            category = unicodedata.category(chr(codepoint))
            if category == "Cf":
                value = None
            elif category[0] in "PSZ" or category == "Cc":
                value = " "
            else:
                value = chr(codepoint)
        self[codepoint] = value
        return value


_CHAR_CLASSES = _CharClassMap()
_SPACES = re.compile(r"\s+")


#: Texts up to this long are folded through a small LRU cache. The verdict folds the same blocks
#: several times per page (body analysis, template stripping, template learning, fingerprint) and
#: a site's chrome (menus, footers, sidebars) on every page; the bounds keep the cache to a few MB.
FOLD_CACHE_MAX_CHARS = 1024
FOLD_CACHE_ENTRIES = 2048


def fold(text: str) -> str:
    """Return the matching key of ``text``: case-, script-variant- and punctuation-insensitive.

    The result is lowercase words separated by single spaces, with no leading/trailing space, so
    two spellings of the same phrase fold to the same string and ``contains_phrase`` can rely on
    spaces being the only word boundaries.
    """
    if not text:
        return ""
    if len(text) <= FOLD_CACHE_MAX_CHARS:
        return _fold_cached(text)
    return _fold(text)


def _fold(text: str) -> str:
    key = unicodedata.normalize("NFKC", text).translate(_TURKISH_I).casefold()
    key = unicodedata.normalize("NFD", key).translate(_CHAR_CLASSES)
    key = unicodedata.normalize("NFC", key).translate(_LETTER_MAP)
    return _SPACES.sub(" ", key).strip()


_fold_cached = lru_cache(maxsize=FOLD_CACHE_ENTRIES)(_fold)


def contains_phrase(haystack_folded: str, phrase_folded: str) -> bool:
    """Whether the folded phrase occurs in the folded haystack as whole words.

    Both arguments must already be ``fold`` output; folding is not repeated here because callers
    match hundreds of phrases against one haystack.  Word boundaries matter: "404" must not match
    inside "14045", and "hata" must not match inside "hatalı".  An empty phrase never matches.
    """
    if not phrase_folded or not haystack_folded:
        return False
    return f" {phrase_folded} " in f" {haystack_folded} "
