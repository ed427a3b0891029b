"""Decide a page's text encoding from the raw body bytes, and repair mislabelled text.

Why this module exists: the outlets we archive (Turkish, Azerbaijani, Russian, Arabic, English)
often send the wrong ``charset`` label, and Scrapy's fallback decodes with ``errors="replace"``,
which silently destroys bytes.  Here every decision is recorded in an :class:`EncodingDecision`
so that the archived text can always be traced back to the exact bytes in the WARC record.

Invariants relied on by callers:

* ``body.decode(decision.used, <marking handler>) == text``: the text returned by
  :func:`decode_body` is a plain decoding of the whole body with ``used``; nothing is
  rewritten at the byte level.  Bytes that ``used`` cannot decode become one ``U+FFFD`` each and
  are counted, so ``text.count("\\ufffd")`` agrees with ``undecodable_bytes`` (plus any U+FFFD
  that was genuinely present in the source).
* When ``undecodable_bytes == 0`` the decoding is lossless: ``text.encode(used) == body`` for
  UTF-8 (``utf-8-sig`` when the body has a BOM) and for the single-byte code pages.  UTF-16
  bodies with a BOM report ``used="utf-16"``, for which ``body.decode(used) == text`` holds.
* Text-level fixes (our code-page remaps, ftfy) happen only in :func:`repair_fields` (and
  :func:`repair_text` for one piece), which run on extracted fields, never on the archived decoding.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Sequence
from contextvars import ContextVar
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Any

import chardet
import ftfy
from chardet.enums import EncodingEra

__all__ = [
    "EncodingDecision",
    "decode_body",
    "normalise_codec",
    "repair_fields",
    "repair_text",
]

#: How many undecodable byte offsets we keep; the count itself is unbounded.
MAX_OFFSETS = 20
#: Detector and statistics look at this prefix only: enough evidence, bounded cost per page.
SAMPLE_BYTES = 64 * 1024
#: Where ``<meta charset>`` and the XML declaration are looked for (HTML says 1024; pages lie).
PRESCAN_BYTES = 4096

_MARK = "\ufffd"
_ERROR_HANDLER = "newsarchive.mark-undecodable"

# --------------------------------------------------------------------------------------------
# Codec names
# --------------------------------------------------------------------------------------------

# WHATWG labels that Python's codec registry does not know.  Only labels seen on real sites or
# listed by the Encoding Standard; anything else stays "unknown" (None) rather than guessed.
_LABEL_ALIASES: dict[str, str] = {
    "unicode-1-1-utf-8": "utf-8",
    "unicode11utf8": "utf-8",
    "unicode20utf8": "utf-8",
    "x-unicode20utf8": "utf-8",
    "iso88592": "iso8859-2",
    "csisolatin9": "iso8859-15",
    "iso-8859-6-e": "iso8859-6",
    "iso-8859-6-i": "iso8859-6",
    "csiso88596e": "iso8859-6",
    "csiso88596i": "iso8859-6",
    "iso-8859-8-e": "iso8859-8",
    "iso-8859-8-i": "iso8859-8",
    "csiso88598e": "iso8859-8",
    "csiso88598i": "iso8859-8",
    "logical": "iso8859-8",
    "visual": "iso8859-8",
    "sun_eu_greek": "iso8859-7",
    "koi": "koi8-r",
    "koi8": "koi8-r",
    "koi8-ru": "koi8-u",
    "csmacintosh": "mac-roman",
    "mac": "mac-roman",
    "x-mac-roman": "mac-roman",
    "x-mac-cyrillic": "mac-cyrillic",
    "x-mac-ukrainian": "mac-cyrillic",
    "dos-874": "cp874",
    "windows-874": "cp874",
    "csgb2312": "gbk",
    "gb_2312": "gbk",
    "gb_2312-80": "gbk",
    "x-gbk": "gbk",
    "cn-big5": "big5hkscs",
    "x-x-big5": "big5hkscs",
    "cseucpkdfmtjapanese": "euc_jp",
    "x-euc-jp": "euc_jp",
    "windows-31j": "cp932",
    "x-sjis": "cp932",
    "cseuckr": "cp949",
    "csksc56011987": "cp949",
    "iso-ir-149": "cp949",
    "ks_c_5601-1989": "cp949",
    "ksc_5601": "cp949",
    "windows-949": "cp949",
    "unicodefffe": "utf-16-be",
    "csunicode": "utf-16-le",
    "iso-10646-ucs-2": "utf-16-le",
    "ucs-2": "utf-16-le",
    "unicode": "utf-16-le",
    "unicodefeff": "utf-16-le",
}
_X_CP_RE = re.compile(r"x-cp(125[0-8])")

# Codecs Python knows but that must never decode a web page: they are not charsets (idna,
# punycode, escapes), always fail ("undefined"), or are an XSS vector browsers refuse (utf-7).
_REFUSED_CODECS = frozenset(
    {"undefined", "unicode-escape", "raw-unicode-escape", "idna", "punycode", "utf-7", "mbcs", "oem"}
)

# HTML decodes these labels with a superset, mostly because the "real" charset maps 0x80-0x9F to
# useless C1 controls while every browser (and therefore every author) uses the Windows page.
_HTML_SUPERSET = {
    "ascii": "cp1252",
    "iso8859-1": "cp1252",
    "iso8859-9": "cp1254",
    "iso8859-11": "cp874",
    "tis-620": "cp874",
}
# Multi-byte labels whose Windows/extended superset we try only when the label itself fails:
# those tables differ in a few code points, so the label wins whenever it decodes cleanly.
_FALLBACK_SUPERSET = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "euc_kr": "cp949",
    "shift_jis": "cp932",
    "big5": "big5hkscs",
}

_UTF8_FAMILY = frozenset({"utf-8", "utf-8-sig"})
_WIDE_UNICODE = frozenset({"utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be"})

# Labels that are so often a server default rather than an author's choice that byte evidence
# may override them (after the HTML superset mapping, iso-8859-1/us-ascii become cp1252).
_REMAPPABLE = frozenset({"cp1252", "iso8859-15"})

_CYRILLIC_CODECS = frozenset({"cp1251", "koi8-r", "koi8-u", "iso8859-5", "mac-cyrillic", "cp866"})
_ARABIC_CODECS = frozenset({"cp1256", "iso8859-6", "cp720", "cp864"})
# Other scripts that turn into words of À-ÿ when read as cp1252; only the detector can name them
# (no outlet of ours hints at Greek or Hebrew), and without it such a page would be taken for Cyrillic.
_OTHER_SCRIPT_CODECS = frozenset({"cp1253", "iso8859-7", "cp1255", "iso8859-8"})
_TURKISH_CODECS = frozenset({"cp1254", "iso8859-9"})

# What a language hint implies for a legacy page that has non-Latin byte runs.
_LANGUAGE_SCRIPT_CODEC = {"ru": "cp1251", "ar": "cp1256"}
_TURKIC_LANGUAGES = frozenset({"tr", "az"})


def normalise_codec(name: str | None) -> str | None:
    """Map a charset label to Python's canonical codec name, or None when it cannot be trusted.

    The canonical form is ``codecs.lookup(label).name`` so that every module compares names the
    same way ("windows-1254" and "cp1254" are one codec).  The label itself is kept (iso-8859-1
    stays "iso8859-1"): it records what was *declared*; the HTML superset used for decoding is
    applied by :func:`decode_body`, not here.
    """
    if not name:
        return None
    label = name.strip().strip("\"'").strip().lower()
    if not label:
        return None
    label = _LABEL_ALIASES.get(label, label)
    match = _X_CP_RE.fullmatch(label)
    if match:
        label = "cp" + match.group(1)
    return _lookup_text_codec(label)


@lru_cache(maxsize=512)
def _lookup_text_codec(label: str) -> str | None:
    try:
        info = codecs.lookup(label)
    except (LookupError, ValueError):
        return None
    # bytes-to-bytes codecs (base64, zlib, rot13...) are registered too; a label must not pick one.
    if not getattr(info, "_is_text_encoding", True):
        return None
    if info.name.replace("_", "-") in _REFUSED_CODECS:
        return None
    return info.name


@lru_cache(maxsize=256)
def _ascii_compatible(codec: str) -> bool:
    """True when ASCII bytes mean ASCII characters in ``codec`` (so a pure-ASCII body may keep it)."""
    probe = bytes(range(0x20, 0x7F)) + b"\t\n\r"
    try:
        return probe.decode(codec) == probe.decode("ascii") and probe.decode("ascii").encode(codec) == probe
    except (UnicodeError, LookupError):
        return False


def _html_codec(codec: str | None) -> str | None:
    """The codec HTML actually decodes a label with."""
    if codec is None:
        return None
    return _HTML_SUPERSET.get(codec, codec)


# --------------------------------------------------------------------------------------------
# Counting, marking decoder
# --------------------------------------------------------------------------------------------


class _Tally:
    """Undecodable bytes seen by one decode call (context-local, so threads/tasks don't mix)."""

    __slots__ = ("base", "count", "offsets")

    def __init__(self, base: int) -> None:
        self.base = base
        self.count = 0
        self.offsets: list[int] = []


_CURRENT_TALLY: ContextVar[_Tally | None] = ContextVar("newsarchive_encoding_tally", default=None)


def _mark_undecodable(exc: UnicodeError) -> tuple[str, int]:
    """Codec error handler: one U+FFFD per bad byte, and remember how many and where.

    A registered handler lets the C codecs do the work and call back only on errors, which keeps
    the common case as fast as a plain ``bytes.decode``.
    """
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    width = exc.end - exc.start
    tally = _CURRENT_TALLY.get()
    if tally is not None:
        tally.count += width
        room = MAX_OFFSETS - len(tally.offsets)
        if room > 0:
            first = tally.base + exc.start
            tally.offsets.extend(range(first, first + min(room, width)))
    return _MARK * width, exc.end


codecs.register_error(_ERROR_HANDLER, _mark_undecodable)


def _decode_marked(data: bytes, codec: str, base: int = 0) -> tuple[str, int, list[int]]:
    """Decode everything, marking (not hiding) bytes ``codec`` cannot decode.

    ``base`` is added to the offsets, for callers that decode a slice (e.g. after a BOM).
    """
    tally = _Tally(base)
    token = _CURRENT_TALLY.set(tally)
    try:
        text = codecs.decode(data, codec, _ERROR_HANDLER)
    finally:
        _CURRENT_TALLY.reset(token)
    return text, tally.count, tally.offsets


def _error_count(data: bytes, codec: str) -> int:
    """How many bytes of ``data`` ``codec`` cannot decode (for comparing candidates)."""
    try:
        data.decode(codec)
    except UnicodeDecodeError:
        return _decode_marked(data, codec)[1]
    except LookupError:
        return len(data)
    return 0


def _non_ascii_chars(text: str) -> int:
    return len(text) - len(text.encode("ascii", "ignore"))


# --------------------------------------------------------------------------------------------
# Declared labels
# --------------------------------------------------------------------------------------------

_HEADER_CHARSET_RE = re.compile(r"""charset\s*=\s*["']?\s*([^\s"';,]+)""", re.IGNORECASE)
_META_CHARSET_RE = re.compile(
    r"""<meta\b[^>]*?\bcharset\s*=\s*["']?\s*([^\s"'/;>]+)""", re.IGNORECASE | re.DOTALL
)
_XML_DECL_RE = re.compile(r"""^\s*<\?xml\b[^>]*?\bencoding\s*=\s*["']\s*([^"'\s]+)""", re.IGNORECASE)
_XML_TYPE_RE = re.compile(r"[/+]xml\b", re.IGNORECASE)


def _header_label(content_type: str | None) -> str | None:
    if content_type is None:
        return None
    match = _HEADER_CHARSET_RE.search(content_type)
    return normalise_codec(match.group(1)) if match else None


def _prescan_label(head: str, xml_first: bool) -> str | None:
    """Charset from ``<meta>`` or the XML declaration in the document head."""
    meta = _META_CHARSET_RE.search(head)
    xml = _XML_DECL_RE.search(head)
    ordered = (xml, meta) if xml_first else (meta, xml)
    for match in ordered:
        if match:
            codec = normalise_codec(match.group(1))
            if codec is not None:
                return codec
    return None


# --------------------------------------------------------------------------------------------
# Byte statistics for single-byte mislabels
# --------------------------------------------------------------------------------------------

# cp1254 differs from cp1252 in letters only at these six bytes: Ğ İ Ş ğ ı ş read as Ð Ý Þ ð ý þ.
# 0xF0 followed by 0x80-0xBF is a UTF-8 lead byte (emoji mojibake "ðŸ"), not a Turkish ğ.
_TURKISH_TELLTALES = b"\xd0\xdd\xde\xf0\xfd\xfe"
_UTF8_FOUR_BYTE_LEAD_RE = re.compile(rb"\xf0[\x80-\xbf]")
# Western letters that Turkish/Azerbaijani almost never use but Icelandic, Spanish, French,
# Portuguese, Nordic text is full of (acute vowels, æ ø å ñ ß, grave vowels, tilde vowels).
_WESTERN_ONLY = (
    b"\xc0\xc1\xc3\xc5\xc6\xc8\xc9\xcd\xd1\xd2\xd3\xd5\xd8\xd9\xda\xdf"
    b"\xe0\xe1\xe3\xe5\xe6\xe8\xe9\xed\xf1\xf2\xf3\xf5\xf8\xf9\xfa"
)
# In a cp1252 reading, Cyrillic (cp1251/koi8) and Arabic (cp1256) text turns into words made
# only of À-ÿ (plus ¨ ¸ for Ё ё).  Latin-script text has isolated accented letters instead.
_HIGH_RUN_RE = re.compile(rb"[\xc0-\xff\xa8\xb8]{3,}")
_HIGH_LETTERS = bytes(range(0xC0, 0x100)) + b"\xa8\xb8"
_NON_ASCII = bytes(range(0x80, 0x100))


def _count_bytes(data: bytes, members: bytes) -> int:
    return len(data) - len(data.translate(None, members))


def _arabic_share(data: bytes) -> float:
    """Share of the high-byte runs that cp1256 turns into Arabic letters/marks."""
    runs = b"".join(_HIGH_RUN_RE.findall(data))
    if not runs:
        return 0.0
    text = runs.decode("cp1256", "replace")
    arabic = sum(1 for ch in text if "\u0600" <= ch <= "\u06ff")
    return arabic / len(text)


def _guess_mislabelled(data: bytes, languages: Sequence[str], detected: str | None) -> str | None:
    """Which Windows code page a body read as cp1252 really is, or None if cp1252 is fine.

    Works on bytes so the same evidence serves :func:`decode_body` (raw body) and
    :func:`repair_text` (text re-encoded as cp1252).  Western European text stays cp1252: a
    remap needs either a language hint / detector vote, or evidence that no Latin-script text
    could produce.
    """
    letters = _count_bytes(data, _HIGH_LETTERS)
    if letters == 0:
        return None
    langs = _language_codes(languages)

    # Non-Latin script: words made entirely of high bytes.
    run_bytes = sum(len(run) for run in _HIGH_RUN_RE.findall(data))
    hinted_script = [_LANGUAGE_SCRIPT_CODEC[lang] for lang in sorted(langs) if lang in _LANGUAGE_SCRIPT_CODEC]
    detected_script = detected if detected in _CYRILLIC_CODECS | _ARABIC_CODECS else None
    supported = bool(hinted_script or detected_script)
    if run_bytes * 2 >= letters and (
        (supported and run_bytes >= 3) or (run_bytes * 5 >= letters * 4 and run_bytes >= 8)
    ):
        agrees = not hinted_script or _same_script(detected_script, hinted_script)
        if detected_script is not None and agrees:
            return detected_script
        if len(hinted_script) == 1:
            return hinted_script[0]
        if not hinted_script and detected in _OTHER_SCRIPT_CODECS:
            return detected
        return "cp1256" if _arabic_share(data) >= 0.85 else "cp1251"

    # Turkish/Azerbaijani: ı ş ğ İ Ş Ğ read as ý þ ð Ý Þ Ð.
    telltales = _count_bytes(data, _TURKISH_TELLTALES) - len(_UTF8_FOUR_BYTE_LEAD_RE.findall(data))
    if telltales == 0:
        return None
    western = _count_bytes(data, _WESTERN_ONLY)
    if langs & _TURKIC_LANGUAGES:
        strong = western * 4 <= telltales
    elif detected in _TURKISH_CODECS:
        strong = telltales >= 2 and western * 4 <= telltales
    else:
        # No outside support: demand Turkish-looking text.  Dotless ı (read as ý) is Turkish's
        # most frequent special letter and rare in Icelandic, whose ð/þ alone could fool us; ş/ğ
        # (read as þ/ð) must show up too, because Czech and Slovak write ý and nothing else of ours
        # ("Nový rychlý a levný vlak" is not "Novı rychlı a levnı").
        dotless = data.count(b"\xfd") + data.count(b"\xdd")
        strong = (
            telltales >= 3
            and dotless >= 1
            and telltales > dotless
            and telltales * 2 >= letters
            and western * 10 <= telltales
        )
    return "cp1254" if strong else None


def _language_codes(languages: Sequence[str]) -> set[str]:
    """ISO 639-1 codes; tolerates "tr-TR" and a bare string passed where a sequence was meant."""
    if isinstance(languages, str):
        languages = (languages,)
    return {lang.strip().lower()[:2] for lang in languages if lang}


def _same_script(codec: str | None, hinted: list[str]) -> bool:
    if codec is None:
        return False
    group = _CYRILLIC_CODECS if codec in _CYRILLIC_CODECS else _ARABIC_CODECS
    return any(h in group for h in hinted)


# --------------------------------------------------------------------------------------------
# Detector
# --------------------------------------------------------------------------------------------

# Web-era encodings only: DOS/Mac/EBCDIC guesses on a web page are noise that would need undoing.
_DETECT_ERA = EncodingEra.MODERN_WEB | EncodingEra.LEGACY_ISO


# A charset declaration inside the document: the label value is blanked before detection.
_DECLARATION_RE = re.compile(rb"""(\b(?:charset|encoding)\s*=\s*["']?\s*)([A-Za-z0-9._:-]+)""", re.IGNORECASE)


def _without_declarations(sample: bytes) -> bytes:
    """The sample with ``<meta charset>`` / XML-declaration labels blanked (same length).

    chardet 7 (like charset-normalizer) returns a declared charset with confidence 0.95 whenever it
    decodes the bytes, whether or not it is true: a Turkish windows-1254 page whose ``<meta>`` says
    ISO-8859-1 comes back as ISO-8859-1.  The labels are weighed on their own in
    :func:`_decide_legacy`; the detector must be a second, independent witness.
    """
    head = _DECLARATION_RE.sub(lambda m: m.group(1) + b"-" * len(m.group(2)), sample[:PRESCAN_BYTES])
    return head + sample[PRESCAN_BYTES:]


def _detect(sample: bytes) -> tuple[str | None, float]:
    """chardet's guess and confidence for a legacy body, blind to its declared labels.

    chardet rather than charset-normalizer because it was measured on our cases
    (``bench/encoding_cases.py``): with declarations hidden from both, chardet named a code page
    that decodes the body exactly in 56 of 59 legacy bodies, charset-normalizer in 35, calling
    Turkish windows-1254 and most Western pages windows-1250.
    """
    result = chardet.detect(
        _without_declarations(sample),
        max_bytes=SAMPLE_BYTES,
        encoding_era=_DETECT_ERA,
        compat_names=False,
    )
    return normalise_codec(result.get("encoding")), float(result.get("confidence") or 0.0)


def _is_multibyte(codec: str) -> bool:
    """CJK-style codecs: the only legacy detections we let override the cp1252 default."""
    if codec in _UTF8_FAMILY or codec in _WIDE_UNICODE:
        return False
    try:
        "\u4e00".encode(codec)
    except UnicodeError:
        return False
    return True


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


@dataclass
class EncodingDecision:
    """How a body was decoded and why; stored next to the WARC pointer for every page."""

    declared_header: str | None
    declared_meta: str | None
    detected: str | None
    used: str
    repairs: list[str] = field(default_factory=list)
    undecodable_bytes: int = 0
    undecodable_offsets: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready copy (lists copied, so callers can't mutate the decision through it)."""
        return asdict(self)

    @property
    def repaired(self) -> bool:
        """Whether a declared label was overridden or a repair applied (pages worth a QA look)."""
        return bool(self.repairs)


_BOMS: tuple[tuple[bytes, str, str], ...] = (
    # (bom, codec that decodes the rest, codec name reported as used)
    (codecs.BOM_UTF8, "utf-8", "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "utf-16"),
)


def decode_body(
    body: bytes, content_type: str | bytes | None = None, *, languages: Sequence[str] = ()
) -> tuple[str, EncodingDecision]:
    """Decode a response body without losing a byte, overriding charset labels that lie.

    Order of evidence: BOM, then "valid UTF-8 is UTF-8", then the declared labels weighed against
    byte statistics, the chardet guess and the outlet's languages.  chardet runs only when the
    body is neither ASCII nor (mostly) UTF-8, since it is the expensive step.
    """
    body = bytes(body)
    if isinstance(content_type, bytes | bytearray):  # Scrapy header values are bytes
        content_type = bytes(content_type).decode("latin-1")
    header = _header_label(content_type)
    xml_first = bool(content_type and _XML_TYPE_RE.search(content_type))

    # 1. Byte order mark: decisive whatever the labels say (HTML does the same).
    for bom, codec, reported in _BOMS:
        if body.startswith(bom):
            text, bad, offsets = _decode_marked(body[len(bom) :], codec, base=len(bom))
            meta = _prescan_label(text[:PRESCAN_BYTES], xml_first)
            decision = EncodingDecision(header, meta, None, reported, [], bad, offsets)
            declared = header or meta
            if declared is not None and _family(declared) != _family(reported):
                decision.repairs.append(f"label:{declared}->{reported}")
            return text, decision

    head = body[:PRESCAN_BYTES].decode("latin-1")
    meta = _prescan_label(head, xml_first)
    # HTML: a <meta> claiming UTF-16/32 can't be right (it was read as ASCII), it means UTF-8.
    if meta in _WIDE_UNICODE:
        meta = "utf-8"
    declared = header or meta

    # 2. A server that says UTF-16 without a BOM (rare, but ASCII-looking NULs would fool step 4).
    if header in _WIDE_UNICODE and body.count(0) * 5 >= len(body) > 0:
        wide = "utf-16-le" if header == "utf-16" else header
        try:
            return body.decode(wide), EncodingDecision(header, meta, None, wide)
        except UnicodeDecodeError:
            pass

    # 3. Pure ASCII: any ASCII-compatible label decodes it identically; nothing to repair.
    if body.isascii():
        used = next((c for c in (header, meta) if c and _ascii_compatible(c)), "utf-8")
        text, bad, offsets = _decode_marked(body, used)
        return text, EncodingDecision(header, meta, None, used, [], bad, offsets)

    # 4. Valid UTF-8 with non-ASCII content is UTF-8, whatever the label says.
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return text, _utf8_decision(header, meta, declared, 0, [])

    # 5. Overwhelmingly valid UTF-8 with a few stray bytes: still UTF-8, strays marked and counted.
    # Estimated with C-speed "replace" first (one U+FFFD per invalid run): a legacy page has an
    # error at nearly every non-ASCII byte, and a Python callback per error would dominate.
    loose = body.decode("utf-8", "replace")
    bad = loose.count(_MARK) - body.count(_MARK.encode())
    valid = _non_ascii_chars(loose) - loose.count(_MARK)
    utf8_declared = any(c in _UTF8_FAMILY for c in (header, meta))
    if valid >= 1 and ((valid >= 3 and bad * 10 <= valid) or (utf8_declared and bad <= valid)):
        text, bad, offsets = _decode_marked(body, "utf-8")
        return text, _utf8_decision(header, meta, declared, bad, offsets)

    # 6. Legacy code pages.
    sample = body[:SAMPLE_BYTES]
    detected, confidence = _detect(sample)
    used, repairs = _decide_legacy(sample, header, meta, detected, confidence, languages)
    text, bad, offsets = _decode_marked(body, used)
    return text, EncodingDecision(header, meta, detected, used, repairs, bad, offsets)


def _family(codec: str) -> str:
    """Codecs that decode a page the same way for our purposes (label vs. its superset)."""
    if codec in _UTF8_FAMILY:
        return "utf-8"
    if codec in _WIDE_UNICODE:
        return "utf-16"
    return _HTML_SUPERSET.get(codec) or _FALLBACK_SUPERSET.get(codec) or codec


def _utf8_decision(
    header: str | None, meta: str | None, declared: str | None, bad: int, offsets: list[int]
) -> EncodingDecision:
    repairs = [f"label:{declared}->utf-8"] if declared is not None and declared not in _UTF8_FAMILY else []
    return EncodingDecision(header, meta, None, "utf-8", repairs, bad, offsets)


def _decide_legacy(
    sample: bytes,
    header: str | None,
    meta: str | None,
    detected: str | None,
    confidence: float,
    languages: Sequence[str],
) -> tuple[str, list[str]]:
    """Pick a non-UTF-8 codec for a body that is not (mostly) UTF-8; returns (codec, repairs).

    Repairs say ``label:<declared>-><codec>`` when another declared label won, and
    ``remap:<declared or none>-><codec>`` when byte evidence overrode the labels (or, for an
    unlabelled page, the HTML default cp1252).
    """
    declared = header or meta  # what a browser would obey
    # A UTF-8/UTF-16 label has just been refuted by the bytes; it only matters for the record.
    usable = [c for c in (header, meta) if c is not None and _family(c) not in ("utf-8", "utf-16")]
    primary = usable[0] if usable else None
    # Classic Turkish-site failure: the web server adds "charset=ISO-8859-1" by default while the
    # author's <meta> says windows-1254.  When the header is such a default and the meta names
    # another code page that decodes the bytes cleanly, the meta is the author's real intent.
    if (
        primary is not None
        and primary == header
        and _html_codec(header) in _REMAPPABLE
        and meta in usable
        and _html_codec(meta) not in _REMAPPABLE
        and _error_count(sample, _html_codec(meta) or "cp1252") == 0
    ):
        primary = meta

    base = _html_codec(primary)
    choice = _choose_legacy(sample, base, detected, confidence, languages)

    if declared is None:
        return choice, ([] if choice == "cp1252" else [f"remap:none->{choice}"])
    if _family(choice) == _family(declared):
        return choice, []
    if any(_family(choice) == _family(label) for label in usable):
        return choice, [f"label:{declared}->{choice}"]
    return choice, [f"remap:{declared}->{choice}"]


def _choose_legacy(
    sample: bytes, base: str | None, detected: str | None, confidence: float, languages: Sequence[str]
) -> str:
    if base is None or base in _REMAPPABLE:
        guess = _guess_mislabelled(sample, languages, detected)
        if guess is not None and _error_count(sample, guess) <= _error_count(sample, base or "cp1252"):
            return guess
        if base is not None:
            return base
        # Unlabelled (or only refuted labels): cp1252 is the HTML default for our locales,
        # unless a confident multi-byte detection explains bytes that cp1252 cannot.
        reading = _detected_reading(detected)
        if (
            reading is not None
            and confidence >= 0.5
            and _is_multibyte(reading)
            and _error_count(sample, reading) == 0
            and _error_count(sample, "cp1252") > 0
        ):
            return reading
        return "cp1252"

    # A specific, non-default label: trust it unless the bytes refute it.  A stray byte or two
    # (a hole in the code page, a pasted character) is not a refutation: any single-byte page
    # without holes would "decode" them, so fewer errors alone proves nothing.
    errors = _error_count(sample, base)
    if errors < 3 or errors * 50 < _count_bytes(sample, _NON_ASCII):
        return base
    guess = _guess_mislabelled(sample, languages, detected)
    candidates = [base, _FALLBACK_SUPERSET.get(base), guess, _detected_reading(detected)]
    # Fewest undecodable bytes wins; on a tie the earlier (label-derived) candidate does.
    scored = [(_error_count(sample, c), i, c) for i, c in enumerate(candidates) if c is not None]
    return min(scored)[2]


def _detected_reading(detected: str | None) -> str | None:
    """The codec a detection is decoded with: its HTML reading, or its superset for CJK labels.

    The detector reports what it recognised (ISO-8859-9, GB2312); decoding uses what browsers use.
    chardet's own ``prefer_superset`` is not used because it also maps ISO-8859-2 and ISO-8859-16 to
    windows-1250, which decodes ą ś ź (and ș ț) differently: lossy, not a superset.
    """
    if detected is None:
        return None
    reading = _html_codec(detected) or detected
    return _FALLBACK_SUPERSET.get(reading, reading)


def _dedupe(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


# --------------------------------------------------------------------------------------------
# Text repair
# --------------------------------------------------------------------------------------------

# Conservative ftfy: fix mojibake and junk controls, but never restyle correct text (quotes,
# full-width forms, ligatures, line breaks) and never unescape entities (extracted text may
# legitimately contain "&amp;" written out).
_FTFY_CONFIG = ftfy.TextFixerConfig(
    unescape_html=False,
    uncurl_quotes=False,
    fix_character_width=False,
    fix_latin_ligatures=False,
    fix_line_breaks=False,
    normalization="NFC",
    explain=True,
)


def repair_text(text: str, *, languages: Sequence[str] = ()) -> tuple[str, list[str]]:
    """Repair one piece of mislabelled text; returns (text, repairs).  Correct text is returned as is.

    The piece is treated as a whole page; see :func:`repair_fields` for the layers and why the
    fields of one page should be repaired together.
    """
    fixed, repairs = repair_fields([text], languages=languages)
    return fixed[0] or "", repairs


def repair_fields(
    values: Sequence[str | None], *, languages: Sequence[str] = ()
) -> tuple[list[str | None], list[str]]:
    """Repair the extracted fields of one page (title, paragraphs, authors...) together.

    Returns the fields in the same order (empty ones untouched) and the distinct repairs applied.
    Two layers: our own lossless remap for legacy code pages shown as cp1252 (ftfy does not attempt
    single-byte-to-single-byte mixups), then ftfy for UTF-8 mojibake, field by field.

    Why together: a wrong code page garbles a whole page (or a whole CMS record) the same way, so
    the remap evidence is weighed over every field at once.  A short field alone ("Ayþe Demir")
    says little, while a page that shows real ı ş ğ anywhere proves that its decoding is right:
    then a field is remapped only on evidence that needs no language hint, and one Icelandic "Þ"
    quoted on a Turkish outlet stays as written.
    """
    out: list[str | None] = list(values)
    present = [i for i, value in enumerate(values) if value]
    repairs: list[str] = []
    page_codec, decided = _page_remap_codec([values[i] or "" for i in present], languages)
    for i in present:
        text = values[i] or ""
        codec = page_codec if decided else _field_remap_codec(text)
        if codec is not None:
            remapped = text.encode("cp1252").decode(codec)
            if remapped != text:
                text = remapped
                repairs.append(f"remap:cp1252->{codec}")
        undone = _utf8_shown_as_cp1256(text)
        if undone is not None:
            text = undone
            repairs.append("remap:cp1256->utf-8")
        text, ftfy_steps = _ftfy_fix(text)
        repairs.extend(ftfy_steps)
        out[i] = text
    return out, _dedupe(repairs)


def _page_remap_codec(texts: Sequence[str], languages: Sequence[str]) -> tuple[str | None, bool]:
    """(codec, decided) for a whole page's fields read as cp1252.

    ``decided`` is False only when the fields hold letters cp1252 cannot encode: the page's own
    decoding is then shown to be right, and each field must prove a remap by itself.
    """
    joined = "\n".join(texts)
    if joined.isascii():
        return None, True
    try:
        raw = joined.encode("cp1252")
    except UnicodeEncodeError:
        return None, False
    if _looks_like_utf8(raw):
        return None, True  # UTF-8 read as cp1252: ftfy's case
    codec = _guess_mislabelled(raw, languages, None)
    if codec is None:
        return None, True
    try:
        for text in texts:
            text.encode("cp1252").decode(codec)
    except UnicodeDecodeError:
        return None, True  # a byte the target page lacks: the evidence was wrong, keep the text
    return codec, True


def _field_remap_codec(text: str) -> str | None:
    """Remap for one field of a page that also shows real non-cp1252 letters: no hint may help."""
    if text.isascii():
        return None
    codec, _decided = _page_remap_codec([text], ())
    return codec


_ARABIC_LETTER_RE = re.compile("[\u0600-\u06ff]")


def _utf8_shown_as_cp1256(text: str) -> str | None:
    """What the text was, if it is UTF-8 bytes shown as windows-1256; else None.

    Arabic sites' commonest mojibake, "ط§ظ„ط¹ط±ط¨ظٹط©" for "العربية", is one ftfy does not know
    (its code pages are Latin, Cyrillic, Greek and DOS ones).  The test is ftfy's own: the whole
    text must encode in windows-1256 and the bytes must be valid UTF-8 with non-ASCII in them,
    which real windows-1256 text practically never is (an Arabic letter is a UTF-8 lead byte, and
    it is followed by another letter, never by a continuation byte).  The text must show Arabic
    letters too: windows-1256 shares € “ â œ ... with windows-1252, and "â€œ" is ftfy's to fix
    and to name.
    """
    if text.isascii() or not _ARABIC_LETTER_RE.search(text):
        return None
    try:
        fixed = text.encode("cp1256").decode("utf-8")
    except UnicodeError:
        return None
    return fixed if fixed != text else None


def _looks_like_utf8(raw: bytes) -> bool:
    """More valid UTF-8 sequences than stray bytes: UTF-8 mojibake, not a legacy code page.

    A legacy page read as cp1252 forms a valid UTF-8 pair only by accident ("Ç»"), whereas UTF-8
    mojibake stays valid UTF-8 except where a real Latin-1 letter sits next to it.
    """
    loose = raw.decode("utf-8", "replace")
    bad = loose.count(_MARK)
    valid = _non_ascii_chars(loose) - bad
    return valid >= max(1, bad)


def _ftfy_fix(text: str) -> tuple[str, list[str]]:
    """ftfy, line by line like ``ftfy.fix_text``, keeping its explanations as repair names."""
    out: list[str] = []
    steps: list[str] = []
    pos = 0
    limit = _FTFY_CONFIG.max_decode_length
    while pos < len(text):
        end = text.find("\n", pos) + 1 or len(text)
        end = min(end, pos + limit)
        fixed, explanation = ftfy.fix_and_explain(text[pos:end], _FTFY_CONFIG)
        out.append(fixed)
        for step in explanation or ():
            steps.append(_ftfy_step_name(step.action, step.parameter))
        pos = end
    return "".join(out), _dedupe(steps)


def _ftfy_step_name(action: str, parameter: str) -> str:
    if action in ("encode", "decode"):
        return "ftfy:mojibake"
    if action == "normalize":
        return f"ftfy:{parameter.lower()}"
    return f"ftfy:{parameter}"
