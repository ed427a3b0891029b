"""Tests for crawler.encoding: every body is built here from known text, so the right answer is exact.

Mislabelled pages are made the way servers make them: encode the real text with the page's real
code page and serve it with another label (or none).  A decision is correct only if it gives back
the original text *and* re-encoding that text with ``used`` gives back the body byte for byte.
"""

from __future__ import annotations

import codecs
import html as html_escape
import json
import re
from concurrent.futures import ThreadPoolExecutor

import ftfy
import ftfy.bad_codecs  # registers ftfy's "sloppy-windows-125x" codecs used to garble)
import pytest

from crawler.encoding import EncodingDecision, decode_body, normalise_codec, repair_fields, repair_text
from crawler.outlet import OutletSpider
from crawler.page import analyse_page
from crawler.parsing import ArticleParser, first_text, paragraphs_of

# --------------------------------------------------------------------------------------------
# Text in the outlets' languages
# --------------------------------------------------------------------------------------------

TURKISH = (
    "İstanbul Boğazı'nda bugün sabah saatlerinde yoğun sis nedeniyle gemi trafiği askıya alındı. "
    "Şişli, Üsküdar ve Beşiktaş'ta vapur seferleri iptal edildi; “Boğaz’da görüş mesafesi "
    "50 metreye düştü” açıklaması yapıldı — yolcular ıslak iskelelerde bekledi."
)
# ə/Ə are not in cp1254, so legacy (pre-UTF-8) Azerbaijani pages wrote ä/Ä in their place.
AZERBAIJANI_LEGACY = (
    "Azärbaycan Respublikasının Prezidenti İlham Äliyev bu gün Bakıda keçirilän beynälxalq "
    "forumda çıxış edib. Görüşdä iqtisadi ämäkdaşlıq mäsälälari müzakirä olunub."
)
AZERBAIJANI = (
    "Azərbaycan Respublikasının Prezidenti İlham Əliyev bu gün Bakıda keçirilən beynəlxalq "
    "forumda çıxış edib. Görüşdə iqtisadi əməkdaşlıq məsələləri müzakirə olunub."
)
RUSSIAN = (
    "Страница не найдена. Президент России сегодня провёл совещание с членами правительства, "
    "на котором обсуждались вопросы экономики и социальной политики. «Ёлки» — это не шутка…"
)
ARABIC = (
    "قال وزير الخارجية اليوم إن المحادثات بين البلدين ستستأنف الأسبوع المقبل في العاصمة، "
    "مؤكداً أهمية التعاون الاقتصادي والأمني في المنطقة."
)
ENGLISH = (
    "The minister said “we will not back down” — a phrase he repeated twice… "
    "Critics called it ‘reckless’ at a £2m cost."
)
GERMAN = (
    "Die Bundesregierung hat über die Förderung der Straßenbahn in München beraten; Bürger äußerten Kritik."
)
FRENCH = (
    "Le président a annoncé mercredi une réforme très attendue : « l’été sera décisif », "
    "a-t-il déclaré à Noël."
)
ICELANDIC = "Það er gott að vera á Íslandi. Þjóðin býr við góð lífskjör og ýmsar náttúruperlur eru í boði."

# (language code, text, the legacy code page a correctly-labelled old page would use)
CLEAN_TEXTS = [
    ("tr", TURKISH, "cp1254"),
    ("az", AZERBAIJANI, None),  # ə has no single-byte code page on the web
    ("ru", RUSSIAN, "cp1251"),
    ("ar", ARABIC, "cp1256"),
    ("en", ENGLISH, "cp1252"),
    ("de", GERMAN, "cp1252"),
    ("fr", FRENCH, "cp1252"),
    ("is", ICELANDIC, "cp1252"),
]


def page(text: str, head: str = "") -> str:
    return f"<!DOCTYPE html>\n<html><head>{head}<title>t</title></head><body><p>{text}</p></body></html>\n"


def assert_lossless(text: str, expected: str, body: bytes, decision: EncodingDecision) -> None:
    assert text == expected
    assert decision.undecodable_bytes == 0
    assert decision.undecodable_offsets == []
    assert text.encode(decision.used) == body


# --------------------------------------------------------------------------------------------
# decode_body: mislabelled legacy pages
# --------------------------------------------------------------------------------------------

MISLABELLED = [
    # id, text, real code page, Content-Type, languages, expected repairs
    ("tr-1252-hint", TURKISH, "cp1254", "text/html; charset=windows-1252", ["tr"], ["remap:cp1252->cp1254"]),
    ("tr-1252-nohint", TURKISH, "cp1254", "text/html; charset=windows-1252", [], ["remap:cp1252->cp1254"]),
    ("tr-latin1", TURKISH, "cp1254", "text/html; charset=ISO-8859-1", ["tr"], ["remap:iso8859-1->cp1254"]),
    ("tr-unlabelled", TURKISH, "cp1254", "text/html", ["tr"], ["remap:none->cp1254"]),
    ("tr-no-header", TURKISH, "cp1254", None, [], ["remap:none->cp1254"]),
    ("tr-utf8-label", TURKISH, "cp1254", "text/html; charset=utf-8", ["tr"], ["remap:utf-8->cp1254"]),
    ("az-1252", AZERBAIJANI_LEGACY, "cp1254", "text/html; charset=cp1252", ["az"], ["remap:cp1252->cp1254"]),
    ("az-latin1", AZERBAIJANI_LEGACY, "cp1254", "text/html; charset=latin1", [], ["remap:iso8859-1->cp1254"]),
    ("ru-1252", RUSSIAN, "cp1251", "text/html; charset=windows-1252", ["ru"], ["remap:cp1252->cp1251"]),
    ("ru-1252-nohint", RUSSIAN, "cp1251", "text/html; charset=windows-1252", [], ["remap:cp1252->cp1251"]),
    ("ru-unlabelled", RUSSIAN, "cp1251", None, ["ru"], ["remap:none->cp1251"]),
    ("ru-unlabelled-nohint", RUSSIAN, "cp1251", None, [], ["remap:none->cp1251"]),
    ("ru-latin1", RUSSIAN, "cp1251", "text/html; charset=iso-8859-1", [], ["remap:iso8859-1->cp1251"]),
    ("ar-1252", ARABIC, "cp1256", "text/html; charset=windows-1252", ["ar"], ["remap:cp1252->cp1256"]),
    ("ar-latin1-nohint", ARABIC, "cp1256", "text/html; charset=iso-8859-1", [], ["remap:iso8859-1->cp1256"]),
    ("ar-unlabelled", ARABIC, "cp1256", None, ["ar"], ["remap:none->cp1256"]),
    ("ar-ascii", ARABIC, "cp1256", "text/html; charset=us-ascii", ["ar"], ["remap:ascii->cp1256"]),
]


@pytest.mark.parametrize(
    ("text", "real", "content_type", "languages", "repairs"),
    [case[1:] for case in MISLABELLED],
    ids=[case[0] for case in MISLABELLED],
)
def test_mislabelled_single_byte_page_round_trips(
    text: str, real: str, content_type: str | None, languages: list[str], repairs: list[str]
) -> None:
    html = page(text)
    body = html.encode(real)
    decoded, decision = decode_body(body, content_type, languages=languages)
    assert_lossless(decoded, html, body, decision)
    assert decision.used == real
    assert decision.repairs == repairs
    assert decision.repaired


def test_turkish_mislabel_decided_without_language_hint_or_label() -> None:
    """The tell-tale letters alone (no hint, no label) must be enough for a real Turkish article."""
    html = page(TURKISH * 3)
    body = html.encode("cp1254")
    text, decision = decode_body(body, None)
    assert_lossless(text, html, body, decision)
    assert decision.used == "cp1254"
    assert decision.detected in {"cp1254", "iso8859-9"}


def test_header_default_latin1_loses_to_authors_meta() -> None:
    """Apache's default "ISO-8859-1" header versus the author's windows-1254 <meta>."""
    html = page(TURKISH, head='<meta http-equiv="Content-Type" content="text/html; charset=windows-1254">')
    body = html.encode("cp1254")
    text, decision = decode_body(body, "text/html; charset=ISO-8859-1", languages=["tr"])
    assert_lossless(text, html, body, decision)
    assert (decision.declared_header, decision.declared_meta) == ("iso8859-1", "cp1254")
    assert decision.used == "cp1254"
    assert decision.repairs == ["label:iso8859-1->cp1254"]


def test_specific_label_refuted_by_bytes_falls_back_to_detection() -> None:
    html = page(RUSSIAN)
    body = html.encode("cp1251")
    text, decision = decode_body(body, "text/html; charset=shift_jis", languages=["ru"])
    assert_lossless(text, html, body, decision)
    assert decision.used == "cp1251"
    assert decision.repairs == ["remap:shift_jis->cp1251"]


# --------------------------------------------------------------------------------------------
# decode_body: UTF-8 and BOMs
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content_type", "declared"),
    [
        ("text/html; charset=iso-8859-1", "iso8859-1"),
        ("text/html; charset=windows-1254", "cp1254"),
        ("text/html; charset=windows-1251", "cp1251"),
        ('text/html; charset="us-ascii"', "ascii"),
    ],
)
@pytest.mark.parametrize(
    ("lang", "text"), [("tr", TURKISH), ("az", AZERBAIJANI), ("ru", RUSSIAN), ("ar", ARABIC)]
)
def test_valid_utf8_wins_over_any_label(content_type: str, declared: str, lang: str, text: str) -> None:
    html = page(text)
    body = html.encode("utf-8")
    decoded, decision = decode_body(body, content_type, languages=[lang])
    assert_lossless(decoded, html, body, decision)
    assert decision.used == "utf-8"
    assert decision.declared_header == declared
    assert decision.repairs == [f"label:{declared}->utf-8"]
    assert decision.detected is None  # the detector is not run when UTF-8 decides


def test_utf8_meta_label_overridden_by_header_is_recorded() -> None:
    html = page(TURKISH, head='<meta charset="utf-8">')
    body = html.encode("utf-8")
    text, decision = decode_body(body, "text/html; charset=windows-1252")
    assert_lossless(text, html, body, decision)
    assert decision.declared_meta == "utf-8"
    assert decision.repairs == ["label:cp1252->utf-8"]


def test_utf8_bom_overrides_label_and_is_not_part_of_text() -> None:
    html = page(RUSSIAN)
    body = b"\xef\xbb\xbf" + html.encode("utf-8")
    text, decision = decode_body(body, "text/html; charset=iso-8859-1")
    assert_lossless(text, html, body, decision)
    assert decision.used == "utf-8-sig"
    assert decision.repairs == ["label:iso8859-1->utf-8-sig"]
    assert body.decode(decision.used) == text


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_bom(codec: str) -> None:
    html = page(ARABIC, head='<meta charset="utf-16">')
    bom = b"\xff\xfe" if codec == "utf-16-le" else b"\xfe\xff"
    body = bom + html.encode(codec)
    text, decision = decode_body(body, "text/html")
    assert text == html
    assert decision.used == "utf-16"
    assert decision.declared_meta == "utf-16"  # read from the decoded head
    assert decision.repairs == []
    assert decision.undecodable_bytes == 0
    assert body.decode(decision.used) == text


def test_utf16_header_without_bom() -> None:
    html = page(ENGLISH)
    body = html.encode("utf-16-le")
    text, decision = decode_body(body, "text/html; charset=UTF-16LE")
    assert text == html
    assert decision.used == "utf-16-le"
    assert text.encode(decision.used) == body


# --------------------------------------------------------------------------------------------
# decode_body: labels inside the document
# --------------------------------------------------------------------------------------------


def test_meta_charset_only() -> None:
    html = page(TURKISH, head='<meta charset="windows-1254">')
    body = html.encode("cp1254")
    text, decision = decode_body(body, "text/html", languages=["tr"])
    assert_lossless(text, html, body, decision)
    assert decision.declared_header is None
    assert decision.declared_meta == "cp1254"
    assert decision.used == "cp1254"
    assert decision.repairs == []
    assert not decision.repaired


def test_meta_http_equiv_after_other_tags() -> None:
    head = '<meta name="viewport" content="width=device-width">' + "<!-- padding -->" * 50
    head += "<META HTTP-EQUIV='Content-Type' CONTENT='text/html; charset=Windows-1251'>"
    html = page(RUSSIAN, head=head)
    body = html.encode("cp1251")
    text, decision = decode_body(body, None)
    assert_lossless(text, html, body, decision)
    assert decision.declared_meta == "cp1251"
    assert decision.used == "cp1251"
    assert decision.repairs == []


@pytest.mark.parametrize(
    ("xml_label", "real", "declared", "used"),
    [
        ("windows-1251", "cp1251", "cp1251", "cp1251"),
        ("ISO-8859-9", "cp1254", "iso8859-9", "cp1254"),  # HTML decodes iso-8859-9 as windows-1254
        ("windows-1256", "cp1256", "cp1256", "cp1256"),
    ],
)
def test_xml_declaration(xml_label: str, real: str, declared: str, used: str) -> None:
    text_by_codec = {"cp1251": RUSSIAN, "cp1254": TURKISH, "cp1256": ARABIC}
    xml = (
        f'<?xml version="1.0" encoding="{xml_label}"?>\n<rss version="2.0"><channel>'
        f"<item><title>{text_by_codec[real]}</title></item></channel></rss>\n"
    )
    body = xml.encode(real)
    text, decision = decode_body(body, "application/rss+xml")
    assert_lossless(text, xml, body, decision)
    assert decision.declared_header is None
    assert decision.declared_meta == declared
    assert decision.used == used
    assert decision.repairs == []


def test_unknown_label_is_not_trusted() -> None:
    html = page(RUSSIAN)
    body = html.encode("cp1251")
    text, decision = decode_body(body, "text/html; charset=x-made-up-charset", languages=["ru"])
    assert_lossless(text, html, body, decision)
    assert decision.declared_header is None
    assert decision.used == "cp1251"


# --------------------------------------------------------------------------------------------
# decode_body: undecodable bytes are marked and counted, never hidden
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("content_type", ["text/html; charset=utf-8", None, "text/html; charset=iso-8859-1"])
def test_one_stray_byte_in_utf8_page(content_type: str | None) -> None:
    html = page(TURKISH)
    good = html.encode("utf-8")
    cut = good.index("Şişli".encode()) - 1
    body = good[:cut] + b"\xff" + good[cut:]
    text, decision = decode_body(body, content_type, languages=["tr"])
    assert decision.used == "utf-8"
    assert decision.undecodable_bytes == 1
    assert decision.undecodable_offsets == [cut]
    marker_at = len(good[:cut].decode("utf-8"))
    assert text == html[:marker_at] + "\ufffd" + html[marker_at:]
    assert text.count("\ufffd") == decision.undecodable_bytes


def test_truncated_sequences_count_each_byte() -> None:
    """A lost continuation byte leaves a lead byte (1 undecodable); a 3-byte dash cut to 2 leaves 2."""
    html = page(TURKISH + " " + RUSSIAN)
    good = html.encode("utf-8")
    s_pos = good.index("ş".encode())  # c5 9f, in the Turkish part
    dash_pos = good.index("—".encode(), good.index("Ёлки".encode()))  # e2 80 94, in the Russian part
    assert s_pos < dash_pos
    body = good[: s_pos + 1] + good[s_pos + 2 : dash_pos + 2] + good[dash_pos + 3 :]
    text, decision = decode_body(body, "text/html; charset=utf-8")
    assert decision.used == "utf-8"
    assert decision.undecodable_bytes == 3
    # the dash moved one byte left when the 0x9f of "ş" was dropped
    assert decision.undecodable_offsets == [s_pos, dash_pos - 1, dash_pos]
    assert text.count("\ufffd") == 3
    assert "Страница не найдена" in text


def test_offsets_are_capped_at_twenty_but_count_is_not() -> None:
    chunk = page(RUSSIAN * 4).encode("utf-8")
    body = b"".join(chunk + b"\x80" for _ in range(25))
    text, decision = decode_body(body, "text/html; charset=utf-8")
    assert decision.used == "utf-8"
    assert decision.undecodable_bytes == 25
    assert decision.undecodable_offsets == [len(chunk) * (i + 1) + i for i in range(20)]
    assert text.count("\ufffd") == 25


def test_hole_in_code_page_is_marked() -> None:
    """0x98 is undefined in windows-1251: a correctly labelled page with one is kept, marked."""
    html = page(RUSSIAN)
    good = html.encode("cp1251")
    pos = good.index("Президент".encode("cp1251"))
    body = good[:pos] + b"\x98" + good[pos:]
    text, decision = decode_body(body, "text/html; charset=windows-1251", languages=["ru"])
    assert decision.used == "cp1251"
    assert decision.undecodable_bytes == 1
    assert decision.undecodable_offsets == [pos]
    assert text.replace("\ufffd", "", 1) == html


def test_mostly_legacy_page_with_a_few_valid_utf8_pairs_stays_legacy() -> None:
    """In cp1254, "Ç" + "»" is a valid UTF-8 pair (c7 bb); one accident must not flip the page."""
    html = page(TURKISH + " ÇÇ»")
    body = html.encode("cp1254")
    text, decision = decode_body(body, "text/html; charset=utf-8", languages=["tr"])
    assert_lossless(text, html, body, decision)
    assert decision.used == "cp1254"


def test_counts_do_not_leak_between_concurrent_calls() -> None:
    clean = page(RUSSIAN * 20).encode("utf-8")
    dirty = clean[:100] + b"\xff" + clean[100:]

    def run(body: bytes) -> tuple[int, list[int]]:
        decision = decode_body(body, "text/html; charset=utf-8")[1]
        return decision.undecodable_bytes, decision.undecodable_offsets

    bodies = [clean, dirty] * 50
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(run, bodies))
    assert results == [(0, []), (1, [100])] * 50


def test_large_legacy_body_is_decoded_whole_beyond_the_detector_window() -> None:
    html = page("\n".join([TURKISH] * 600))
    body = html.encode("cp1254")
    assert len(body) > 2 * 64 * 1024
    text, decision = decode_body(body, "text/html; charset=iso-8859-1", languages=["tr"])
    assert_lossless(text, html, body, decision)
    assert decision.used == "cp1254"


# --------------------------------------------------------------------------------------------
# decode_body: pure ASCII and correctly labelled pages
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content_type", "used"),
    [
        ("text/html; charset=windows-1254", "cp1254"),
        ("text/html; charset=ISO-8859-1", "iso8859-1"),
        ("text/html; charset=utf-8", "utf-8"),
        ("text/html; charset=utf-16", "utf-8"),  # not ASCII-compatible
        ("text/html", "utf-8"),
        (None, "utf-8"),
    ],
)
def test_pure_ascii(content_type: str | None, used: str) -> None:
    html = page("Plain ASCII news: nothing to see here.")
    body = html.encode("ascii")
    text, decision = decode_body(body, content_type, languages=["tr"])
    assert_lossless(text, html, body, decision)
    assert decision.used == used
    assert decision.repairs == []
    assert decision.detected is None


@pytest.mark.parametrize(("lang", "text", "legacy"), CLEAN_TEXTS, ids=[c[0] for c in CLEAN_TEXTS])
def test_correctly_labelled_pages_pass_unchanged(lang: str, text: str, legacy: str | None) -> None:
    labels = [("utf-8", "utf-8")] + ([(legacy, legacy)] if legacy else [])
    for label, codec in labels:
        for languages in ([lang], []):
            html = page(text, head=f'<meta charset="{label}">')
            body = html.encode(codec)
            decoded, decision = decode_body(body, f"text/html; charset={label}", languages=languages)
            assert_lossless(decoded, html, body, decision)
            assert decision.used == codec
            assert decision.repairs == []
            assert not decision.repaired
            # and extraction-level repair leaves it alone too
            assert repair_text(text, languages=languages) == (text, [])


def test_western_legacy_pages_are_never_remapped_even_unlabelled() -> None:
    for text in (ICELANDIC, GERMAN, FRENCH, ENGLISH):
        html = page(text)
        body = html.encode("cp1252")
        for content_type in (None, "text/html; charset=iso-8859-1"):
            decoded, decision = decode_body(body, content_type)
            assert_lossless(decoded, html, body, decision)
            assert decision.used == "cp1252"  # the HTML reading of iso-8859-1
            assert decision.repairs == []


def test_icelandic_page_on_turkish_outlet_stays_cp1252() -> None:
    html = page(ICELANDIC)
    body = html.encode("cp1252")
    text, decision = decode_body(body, "text/html; charset=windows-1252", languages=["tr"])
    assert_lossless(text, html, body, decision)
    assert decision.used == "cp1252"


def test_decision_as_dict_is_json_ready_with_exact_keys() -> None:
    body = page(TURKISH).encode("cp1254")
    decision = decode_body(body, b"text/html; charset=windows-1252", languages=["tr"])[1]
    data = decision.as_dict()
    assert list(data) == [
        "declared_header",
        "declared_meta",
        "detected",
        "used",
        "repairs",
        "undecodable_bytes",
        "undecodable_offsets",
    ]
    assert json.loads(json.dumps(data)) == data
    assert data["declared_header"] == "cp1252"
    data["repairs"].append("x")
    assert decision.repairs == ["remap:cp1252->cp1254"]


# --------------------------------------------------------------------------------------------
# normalise_codec
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "codec"),
    [
        ("ISO-8859-9", "iso8859-9"),
        ("latin5", "iso8859-9"),
        ("windows-1254", "cp1254"),
        ("Windows-1251", "cp1251"),
        ("x-cp1251", "cp1251"),
        (" 'UTF8' ", "utf-8"),
        ('"utf-8"', "utf-8"),
        ("unicode-1-1-utf-8", "utf-8"),
        ("latin-1", "iso8859-1"),
        ("us-ascii", "ascii"),
        ("ks_c_5601-1987", "euc_kr"),
        ("windows-874", "cp874"),
        ("x-mac-cyrillic", "mac-cyrillic"),
        ("utf-16le", "utf-16-le"),
        ("koi8-r", "koi8-r"),
        ("no-such-charset", None),
        ("base64", None),  # a bytes-to-bytes codec, not a charset
        ("rot13", None),
        ("utf-7", None),
        ("unicode_escape", None),
        ("", None),
        (None, None),
    ],
)
def test_normalise_codec(label: str | None, codec: str | None) -> None:
    assert normalise_codec(label) == codec


# --------------------------------------------------------------------------------------------
# repair_text
# --------------------------------------------------------------------------------------------

REMAP_CASES = [
    ("Ýstanbul Boðazý", ["tr"], "İstanbul Boğazı", "cp1254"),
    ("Ýstanbul Boðazý", [], "İstanbul Boğazı", "cp1254"),
    ("Ñòðàíèöà íå íàéäåíà", ["ru"], "Страница не найдена", "cp1251"),
    ("Ñòðàíèöà íå íàéäåíà", [], "Страница не найдена", "cp1251"),
    (TURKISH.encode("cp1254").decode("cp1252"), ["tr"], TURKISH, "cp1254"),
    (TURKISH.encode("cp1254").decode("cp1252"), [], TURKISH, "cp1254"),
    (AZERBAIJANI_LEGACY.encode("cp1254").decode("cp1252"), ["az"], AZERBAIJANI_LEGACY, "cp1254"),
    (RUSSIAN.encode("cp1251").decode("cp1252"), ["ru"], RUSSIAN, "cp1251"),
    (RUSSIAN.encode("cp1251").decode("cp1252"), ["tr"], RUSSIAN, "cp1251"),
    (ARABIC.encode("cp1256").decode("cp1252"), ["ar"], ARABIC, "cp1256"),
    (ARABIC.encode("cp1256").decode("cp1252"), [], ARABIC, "cp1256"),
]


@pytest.mark.parametrize(("garbled", "languages", "expected", "codec"), REMAP_CASES)
def test_repair_text_remaps_legacy_code_pages(
    garbled: str, languages: list[str], expected: str, codec: str
) -> None:
    assert garbled != expected
    assert repair_text(garbled, languages=languages) == (expected, [f"remap:cp1252->{codec}"])


@pytest.mark.parametrize("languages", [[], ["tr"], ["az"], ["ru"], ["ar"], ["en"], ["tr", "en"]])
@pytest.mark.parametrize(("lang", "text", "legacy"), CLEAN_TEXTS, ids=[c[0] for c in CLEAN_TEXTS])
def test_repair_text_leaves_correct_text_alone(
    lang: str, text: str, legacy: str | None, languages: list[str]
) -> None:
    assert repair_text(text, languages=languages) == (text, [])


@pytest.mark.parametrize(
    "text",
    [
        "Björk Guðmundsdóttir",
        "Þjóðin býr við góð lífskjör",
        "Déjà vu, señor, ça coûte 5 € – “¿qué?”",
        "ﬁnancial ＡＢＣ news &amp; more",  # ligature, full width, entity: all kept
        "line one\r\nline two\u2028three",
        "Øresund, Ålesund, Æsir",
    ],
)
def test_repair_text_leaves_western_and_styled_text_alone(text: str) -> None:
    for languages in ([], ["tr"], ["az"], ["en"]):
        assert repair_text(text, languages=languages) == (text, [])


@pytest.mark.parametrize("text", ["Þetta það þarf", "Ýmir", "Þórður"])
def test_ambiguous_icelandic_needs_a_turkic_hint_to_be_remapped(text: str) -> None:
    """Only ð/þ/ý and no acute vowels: cp1254 mojibake or Icelandic?  Without a tr/az hint the
    evidence is not overwhelming (no dotless-ı candidate, or too few letters), so leave it."""
    for languages in ([], ["en"], ["ru"], ["ar"]):
        assert repair_text(text, languages=languages) == (text, [])


def test_repair_text_does_not_mistake_emoji_mojibake_for_turkish() -> None:
    """Here "ð" is the lead byte of a UTF-8 emoji, not a Turkish ğ."""
    garbled = "😀 Harika".encode().decode("cp1252")
    assert garbled.startswith("ð")
    assert repair_text(garbled, languages=["tr"]) == ("😀 Harika", ["ftfy:mojibake"])
    # Only the emoji is mojibake ("gün" is intact), so the whole text is not valid UTF-8 bytes.
    mixed = garbled.replace("Harika", "Harika gün")
    assert repair_text(mixed, languages=["tr"]) == ("😀 Harika gün", ["ftfy:decode_inconsistent_utf8"])


def test_repair_text_leaves_utf8_mojibake_full_of_eth_to_ftfy() -> None:
    """UTF-8 Cyrillic а-п read as cp1252 is "Ð" + symbol: Turkish tell-tales, but it is ftfy's case."""
    garbled = "Байкал".encode().decode("cp1252")
    assert garbled.count("Ð") == 6
    for languages in (["tr"], ["az"], ["ru"], []):
        assert repair_text(garbled, languages=languages) == ("Байкал", ["ftfy:mojibake"])


# ftfy's classic in-the-wild cases (from its README/docs) plus our languages' UTF-8 text read as
# Windows-1252 the way sloppy decoders do (ftfy's own "sloppy-windows-1252" codec reproduces that).
FTFY_CASES = [
    ("âœ” No problems", "✔ No problems", ["ftfy:mojibake"]),
    ("Ãºnico", "único", ["ftfy:mojibake"]),
    ("voilÃ le travail", "voilà le travail", ["ftfy:mojibake", "ftfy:restore_byte_a0"]),
    ("TÃ¼rkiye", "Türkiye", ["ftfy:mojibake"]),
    ("Ä°stanbul BoÄŸazÄ±", "İstanbul Boğazı", ["ftfy:mojibake"]),
    ("Ä°lham Æ\x8fliyev", "İlham Əliyev", ["ftfy:mojibake"]),
    ("Ã‰liyev", "Éliyev", ["ftfy:mojibake"]),
    *[
        (text.encode("utf-8").decode("sloppy-windows-1252"), text, ["ftfy:mojibake"])
        for text in ("Президент России провёл совещание", "العربية لغة رسمية", "Azərbaycan Respublikası")
    ],
]


@pytest.mark.parametrize(("garbled", "expected", "repairs"), FTFY_CASES)
def test_repair_text_fixes_mojibake_like_plain_ftfy(garbled: str, expected: str, repairs: list[str]) -> None:
    assert garbled != expected
    for languages in ([], ["tr", "az", "ru", "ar", "en"]):
        fixed, steps = repair_text(garbled, languages=languages)
        assert fixed == expected
        assert fixed == ftfy.fix_text(garbled)
        assert steps == repairs


@pytest.mark.parametrize(
    ("garbled", "expected", "plain_ftfy"),
    [
        ("â€œquotedâ€\x9d", "“quoted”", '"quoted"'),
        ("â€œ", "“", '"'),
        (
            "The Mona Lisa doesnÃ¢â‚¬â„¢t have eyebrows.",
            "The Mona Lisa doesn’t have eyebrows.",
            "The Mona Lisa doesn't have eyebrows.",
        ),
    ],
)
def test_repair_text_fixes_quote_mojibake_but_keeps_curly_quotes(
    garbled: str, expected: str, plain_ftfy: str
) -> None:
    assert ftfy.fix_text(garbled) == plain_ftfy  # plain ftfy also uncurls; we must not
    assert repair_text(garbled) == (expected, ["ftfy:mojibake"])


def test_repair_text_line_by_line_matches_ftfy_fix_text() -> None:
    text = "BaÅŸlÄ±k\nÐ¡Ñ‚Ñ€Ð°Ð½Ð¸Ñ†Ð°\nplain line\nâ€œquoteâ€\x9d\n"
    fixed, repairs = repair_text(text)
    assert fixed == "Başlık\nСтраница\nplain line\n“quote”\n"
    assert fixed == ftfy.fix_text(text, uncurl_quotes=False)
    assert repairs == ["ftfy:mojibake"]


def test_repair_text_reports_each_distinct_ftfy_step_once() -> None:
    text = "TÃ¼rkiye\nCafe\u0301\nzero\ufeffwidth\nTÃ¼rkiye again"
    fixed, repairs = repair_text(text)
    assert fixed == "Türkiye\nCafé\nzerowidth\nTürkiye again"
    assert repairs == ["ftfy:mojibake", "ftfy:nfc", "ftfy:remove_control_chars"]


def test_remap_then_ftfy_in_one_text_is_not_attempted_when_letters_are_real() -> None:
    """Real ı next to "Ã¼" means the text is not cp1252 mojibake: only ftfy may act."""
    fixed, repairs = repair_text("Bakı TÃ¼rkiye", languages=["az"])
    assert (fixed, repairs) == ("Bakı Türkiye", ["ftfy:decode_inconsistent_utf8"])


# --------------------------------------------------------------------------------------------
# repair_fields: one page's fields weighed together
# --------------------------------------------------------------------------------------------


def test_page_with_real_turkish_letters_keeps_a_quoted_icelandic_name() -> None:
    """Alone, "Þingvellir ..." on a Turkish outlet reads as a remap candidate; on a page that shows
    real ı ş elsewhere the page's decoding is proven right, so the name stays as written."""
    fields = ["Toplantı başladı", "Þingvellir and Eyjafjallajökull erupted in 2010."]
    assert repair_fields(fields, languages=["tr"]) == (fields, [])


def test_short_field_is_remapped_with_its_garbled_page() -> None:
    """"Ayþe Demir" alone says little; with a title full of ý þ ð it is plainly the same mislabel."""
    garbled = [t.encode("cp1254").decode("cp1252") for t in ("Kış turizmi başladı", "Ayşe Demir")]
    fixed, repairs = repair_fields([*garbled, None, "Gündem"], languages=["tr"])
    assert fixed == ["Kış turizmi başladı", "Ayşe Demir", None, "Gündem"]
    assert repairs == ["remap:cp1252->cp1254"]


def test_page_with_real_letters_remaps_a_garbled_field_only_on_strong_evidence() -> None:
    """A correct title (from another CMS field) above a garbled body: the body paragraph is Turkish
    on its own evidence; a garbled two-letter author is not, and is left as served."""
    body = TURKISH.encode("cp1254").decode("cp1252")
    fixed, repairs = repair_fields(["İstanbul Boğazı", body, "Ayþe Demir"], languages=["tr"])
    assert fixed == ["İstanbul Boğazı", TURKISH, "Ayþe Demir"]
    assert repairs == ["remap:cp1252->cp1254"]


@pytest.mark.parametrize("text", ["Nový rychlý a levný vlak", "Dobrý den, milý pane Nový.", "Mýtny systém je nový."])
def test_czech_and_slovak_y_acute_is_not_turkish_dotless_i(text: str) -> None:
    """ý is Turkish ı read as cp1252, but also plain Czech/Slovak: without ş/ğ (þ/ð) it proves nothing."""
    for languages in ([], ["cs"], ["sk"], ["en"], ["ru"], ["ar"]):
        assert repair_text(text, languages=languages) == (text, [])
        assert repair_fields(["Příliš žluťoučký kůň", text], languages=languages)[1] == []


# --------------------------------------------------------------------------------------------
# Mojibake as found in the wild: our layer must fix it exactly as ftfy alone does
# --------------------------------------------------------------------------------------------
# ftfy (6.3) installs no test data, so these are our own, one per mechanism and per language of
# the outlets, built the way the damage happens (UTF-8 bytes decoded with the wrong code page, once
# or several times) or typed as seen on pages.  The property: whatever the outlet's languages, our
# remap layer stays out of the way and the result is exactly ftfy's, with our configuration.

CONSERVATIVE_FTFY = {
    "unescape_html": False,
    "uncurl_quotes": False,
    "fix_character_width": False,
    "fix_latin_ligatures": False,
    "fix_line_breaks": False,
    "normalization": "NFC",
}
OUTLET_HINTS = ([], ["tr"], ["az"], ["ru"], ["ar"], ["en"], ["ru", "en", "az"])


def garble(text: str, read: str, written: str = "utf-8", times: int = 1) -> str:
    """``text`` written as ``written`` bytes and read back as ``read``, ``times`` over."""
    for _ in range(times):
        text = text.encode(written).decode(read)
    return text


WILD = [
    # (what happened, garbled, fixed)
    ("Turkish UTF-8 read as windows-1252", garble("Hükümet yeni vergi paketini açıkladı", "sloppy-windows-1252"), "Hükümet yeni vergi paketini açıkladı"),
    ("Turkish capital dotted I alone", "Ä°zmir", "İzmir"),
    ("Turkish headline, UTF-8 read as windows-1254", garble("Şırnak’ta kar yağışı: 45 köy yolu ulaşıma kapandı", "sloppy-windows-1254"), "Şırnak’ta kar yağışı: 45 köy yolu ulaşıma kapandı"),
    ("Azerbaijani schwa, UTF-8 read as latin-1", garble("Azərbaycan Respublikası", "latin-1"), "Azərbaycan Respublikası"),
    ("Azerbaijani capital schwa, UTF-8 read as windows-1252", garble("Əliyev və Ərdoğan", "sloppy-windows-1252"), "Əliyev və Ərdoğan"),
    ("Russian UTF-8 read as windows-1251", garble("Президент подписал указ о поддержке семей", "windows-1251"), "Президент подписал указ о поддержке семей"),
    ("Russian UTF-8 read as windows-1252", garble("Министерство финансов России", "sloppy-windows-1252"), "Министерство финансов России"),
    ("Ukrainian UTF-8 read as windows-1251", garble("Київ, Україна", "windows-1251"), "Київ, Україна"),
    ("Arabic UTF-8 read as windows-1252", garble("وزارة الخارجية", "sloppy-windows-1252"), "وزارة الخارجية"),
    ("Arabic UTF-8 read as latin-1", garble("الأمم المتحدة", "latin-1"), "الأمم المتحدة"),
    ("French UTF-8 read as windows-1252", "HÃ´tel de ville, Ã©tÃ© 2025", "Hôtel de ville, été 2025"),
    ("Spanish capitals", "DOS AÃ‘OS DESPUÃ‰S", "DOS AÑOS DESPUÉS"),
    ("German capitals", garble("GRÖSSTE STRAßE MÜNCHENS", "sloppy-windows-1252"), "GRÖSSTE STRAßE MÜNCHENS"),
    ("Portuguese", garble("A informação sobre a eleição", "sloppy-windows-1252"), "A informação sobre a eleição"),
    ("Polish UTF-8 read as windows-1250", garble("Zażółć gęślą jaźń", "sloppy-windows-1250"), "Zażółć gęślą jaźń"),
    ("Czech UTF-8 read as ISO-8859-2", garble("Příliš žluťoučký kůň", "iso-8859-2"), "Příliš žluťoučký kůň"),
    ("Greek UTF-8 read as windows-1253", garble("Αθήνα, Ελλάδα", "sloppy-windows-1253"), "Αθήνα, Ελλάδα"),
    ("French UTF-8 read as MacRoman", garble("Café crème à emporter", "mac-roman"), "Café crème à emporter"),
    ("Russian UTF-8 read as cp437", garble("Правительство", "cp437"), "Правительство"),
    ("Curly quotes and apostrophe", garble("“It’s over,” she said.", "sloppy-windows-1252"), "“It’s over,” she said."),
    ("Dashes, ellipsis, euro", garble("Prices – up 5 % … €20 more", "sloppy-windows-1252"), "Prices – up 5 % … €20 more"),
    ("Closing quote with the undefined 0x9D", "â€œquotedâ€\x9d", "“quoted”"),
    ("Non-breaking space after à", "Ã\xa0 la carte", "à la carte"),
    ("Double encoding (UTF-8 read as windows-1252 twice)", garble("Türkiye’nin İhracatı", "sloppy-windows-1252", times=2), "Türkiye’nin İhracatı"),
    ("Triple encoding", garble("doesn’t", "sloppy-windows-1252", times=3), "doesn’t"),
    ("Emoji", garble("Harika 😀", "sloppy-windows-1252"), "Harika 😀"),
    ("Flag and heart", garble("Türkiye 🇹🇷 ❤", "sloppy-windows-1252"), "Türkiye 🇹🇷 ❤"),
    ("Checkmark", garble("✔ Tamam", "sloppy-windows-1252"), "✔ Tamam"),
    ("Windows-1252 quotes decoded as latin-1 (C1 controls)", "\x93Merhaba\x94 dedi", "“Merhaba” dedi"),
    ("Mixed: one real ü beside mojibake", "Bakı TÃ¼rkiye", "Bakı Türkiye"),
    ("Byte order mark inside text", "\ufeffBaşlık", "Başlık"),
    ("Decomposed accents", "Cafe\u0301 İstanbul", "Café İstanbul"),
]


@pytest.mark.parametrize(("garbled", "expected"), [c[1:] for c in WILD], ids=[c[0] for c in WILD])
def test_wild_mojibake_is_fixed_exactly_as_ftfy_fixes_it(garbled: str, expected: str) -> None:
    assert garbled != expected
    assert ftfy.fix_text(garbled, **CONSERVATIVE_FTFY) == expected
    for languages in OUTLET_HINTS:
        fixed, repairs = repair_text(garbled, languages=languages)
        assert fixed == expected, languages
        assert repairs and all(r.startswith("ftfy:") for r in repairs), (languages, repairs)


@pytest.mark.parametrize(("garbled", "expected"), [c[1:] for c in WILD], ids=[c[0] for c in WILD])
def test_wild_mojibake_on_a_page_with_correct_fields(garbled: str, expected: str) -> None:
    """The same damage in one paragraph of an otherwise correct page: only that paragraph changes."""
    for languages in OUTLET_HINTS:
        fixed, repairs = repair_fields([TURKISH, garbled, RUSSIAN, None, ARABIC], languages=languages)
        assert fixed == [TURKISH, expected, RUSSIAN, None, ARABIC]
        assert repairs and all(r.startswith("ftfy:") for r in repairs)


# --------------------------------------------------------------------------------------------
# Clean pages in many languages through the whole analyse_page path: nothing is "repaired"
# --------------------------------------------------------------------------------------------

CLEAN_PAGES = [
    ("tr", "İstanbul'da şiddetli yağış hayatı olumsuz etkiledi", (
        "İstanbul'da sabah saatlerinde başlayan sağanak yağış, özellikle Şişli, Beşiktaş ve Üsküdar'da trafiği durma noktasına getirdi.",
        "Meteoroloji Genel Müdürlüğü, yağışın akşam saatlerine kadar aralıklarla süreceğini ve rüzgârın yer yer fırtınaya dönüşebileceğini açıkladı.",
        "Valilik, vatandaşları \"zorunlu olmadıkça yola çıkmamaları\" konusunda uyardı; İETT bazı seferlerini iptal etti.",
    ), ("cp1254", "iso-8859-9")),
    ("az", "Əliyev Bakıda beynəlxalq enerji forumunda çıxış edib", (
        "Azərbaycan Respublikasının Prezidenti İlham Əliyev Bakıda keçirilən beynəlxalq enerji forumunda çıxış edib.",
        "Görüşdə iqtisadi əməkdaşlıq, bərpa olunan enerji mənbələri və Xəzər dənizi vasitəsilə ixrac məsələləri müzakirə olunub.",
        "Forumda otuzdan çox ölkənin nümayəndələri iştirak edib, növbəti görüşün gələn il Şuşada keçirilməsi planlaşdırılır.",
    ), ()),
    ("ru", "В Москве прошло совещание по вопросам экономики", (
        "Президент России сегодня провёл совещание с членами правительства, на котором обсуждались вопросы экономики и социальной политики.",
        "«Мы должны обеспечить рост доходов граждан», — заявил он, добавив, что решения будут приняты до конца года.",
        "По данным Росстата, инфляция в сентябре замедлилась до 6,1 %, а безработица осталась на историческом минимуме № 1.",
    ), ("cp1251",)),
    ("uk", "У Києві відкрили новий міст через Дніпро", (
        "У Києві в п’ятницю відкрили новий міст через Дніпро, будівництво якого тривало понад п’ять років.",
        "Міський голова зазначив, що міст з’єднає лівий і правий береги та зменшить затори у годину пік.",
        "Рух громадського транспорту мостом розпочнеться з понеділка, а велосипедні доріжки запрацюють у ґрудні.",
    ), ("cp1251",)),
    ("kk", "Астанада жаңа ғылыми орталық ашылды", (
        "Астанада жаңа ғылыми-зерттеу орталығы ашылды, онда жүзден астам жас ғалым жұмыс істейді.",
        "Орталықта қазақ тілі мен өңірлік тарихқа арналған зертханалар, кітапхана және оқу залдары бар.",
        "Ұйымдастырушылардың айтуынша, үш жыл ішінде мұнда халықаралық жобалар жүзеге асырылады.",
    ), ()),
    ("ar", "وزير الخارجية: المحادثات ستستأنف الأسبوع المقبل", (
        "قال وزير الخارجية اليوم إن المحادثات بين البلدين ستستأنف الأسبوع المقبل في العاصمة، مؤكداً أهمية التعاون الاقتصادي والأمني.",
        "وأضاف في مؤتمر صحفي: «نأمل أن نصل إلى اتفاق نهائي قبل نهاية العام»؛ فهل تنجح المساعي هذه المرة؟",
        "وكانت الجولة السابقة قد انتهت دون نتائج ملموسة بعد خلافات حول آليات التنفيذ والجدول الزمني.",
    ), ("cp1256",)),
    ("fa", "بارش برف در تهران مدارس را تعطیل کرد", (
        "بارش برف سنگین در تهران باعث شد مدارس ابتدایی روز شنبه تعطیل شوند و رفت‌وآمد در بزرگراه‌ها کند شود.",
        "سازمان هواشناسی پیش‌بینی کرده است که بارش‌ها تا پایان هفته ادامه پیدا کند و دما کاهش یابد.",
        "شهرداری از شهروندان خواست از خودروهای شخصی کمتر استفاده کنند و با زنجیر چرخ حرکت کنند.",
    ), ()),
    ("he", "בירושלים נפתח מוזיאון חדש לתולדות העיר", (
        "בירושלים נפתח השבוע מוזיאון חדש המציג את תולדות העיר מימי קדם ועד ימינו.",
        "במוזיאון מוצגים יותר מאלפיים פריטים, רבים מהם לראשונה בפני הקהל הרחב.",
        "הכניסה לתלמידים ולגמלאים תהיה חינם בחודש הראשון, כך נמסר מהנהלת המוזיאון.",
    ), ("cp1255",)),
    ("el", "Νέα γραμμή μετρό εγκαινιάστηκε στην Αθήνα", (
        "Η νέα γραμμή του μετρό εγκαινιάστηκε σήμερα στην Αθήνα, συνδέοντας το κέντρο με τα βόρεια προάστια.",
        "Ο υπουργός Μεταφορών δήλωσε ότι η γραμμή θα εξυπηρετεί περισσότερους από εκατό χιλιάδες επιβάτες την ημέρα.",
        "Τα δρομολόγια θα ξεκινούν στις πέντε και μισή το πρωί και θα ολοκληρώνονται μετά τα μεσάνυχτα.",
    ), ("cp1253", "iso-8859-7")),
    ("en", "Minister says “we will not back down” on £2m plan", (
        "The minister said “we will not back down” — a phrase he repeated twice… critics called the £2m plan ‘reckless’.",
        "The scheme, worth €2.3bn over five years, was approved by 312 votes to 289 after a debate that lasted past midnight.",
        "© 2025 Reuters. Temperatures reached 31 °C in the capital, the highest for September since records began.",
    ), ("cp1252",)),
    ("de", "Bundesregierung berät über Straßenbahn in München", (
        "Die Bundesregierung hat über die Förderung der Straßenbahn in München beraten; Bürger äußerten Kritik.",
        "„Wir brauchen mehr Geld für den öffentlichen Nahverkehr“, sagte die Oberbürgermeisterin am Dienstag.",
        "Die Kosten für die neue Linie werden auf 480 Millionen Euro geschätzt, die Bauzeit auf sechs Jahre.",
    ), ("cp1252",)),
    ("fr", "Le président annonce une réforme très attendue", (
        "Le président a annoncé mercredi une réforme très attendue : « l’été sera décisif », a-t-il déclaré à Noël.",
        "Les syndicats, réunis à l’hôtel de ville, ont salué un « premier pas » mais réclament davantage de garanties.",
        "Selon l’Insee, le pouvoir d’achat des ménages a progressé de 0,8 % au troisième trimestre, grâce à la baisse des prix de l’énergie.",
    ), ("cp1252",)),
    ("es", "¿Qué pasará con el precio de la vivienda en España?", (
        "El precio de la vivienda en España subió un 8 % en el último año, según los datos publicados el miércoles.",
        "«Los jóvenes no pueden acceder a un piso», lamentó la ministra, que anunció nuevas ayudas para el alquiler.",
        "¡La demanda no baja! Los expertos prevén que la tendencia continúe durante el próximo año en Madrid y Málaga.",
    ), ("cp1252", "iso-8859-1")),
    ("pt", "SÃO PAULO: AVIAÇÃO CIVIL REGISTRA ALTA", (
        "SÃO PAULO — A aviação civil brasileira registrou alta de 12 % no número de passageiros no primeiro semestre.",
        "Segundo a Anac, a recuperação foi puxada pelas rotas regionais e pela redução no preço das passagens.",
        "As companhias aéreas esperam manter o crescimento com a inauguração de novas ligações para o Nordeste em março.",
    ), ("cp1252",)),
    ("is", "Þjóðin býr við góð lífskjör", (
        "Það er gott að vera á Íslandi. Þjóðin býr við góð lífskjör og ýmsar náttúruperlur eru í boði.",
        "Ferðamönnum hefur fjölgað mikið á síðustu árum og hótelum í Reykjavík hefur fjölgað að sama skapi.",
        "Veðurstofan spáir því að það verði bjart og kalt um allt land um helgina.",
    ), ("cp1252", "iso-8859-1")),
    ("sv", "Nytt tåg mellan Göteborg och Malmö", (
        "Ett nytt snabbtåg mellan Göteborg och Malmö börjar gå i december, meddelade trafikverket på måndagen.",
        "Restiden kortas med nästan en halvtimme och biljetterna släpps redan i nästa vecka.",
        "Kritiker menar att satsningen sker på bekostnad av underhållet av äldre banor i Norrland.",
    ), ("cp1252", "iso-8859-1")),
    ("pl", "Zażółć gęślą jaźń: nowy most w Łodzi", (
        "W Łodzi otwarto nowy most nad torami kolejowymi, który połączy dwie części miasta.",
        "Prezydent miasta podkreśliła, że inwestycja kosztowała ponad 120 mln zł i była współfinansowana ze środków unijnych.",
        "Kierowcy muszą się jednak liczyć z utrudnieniami, ponieważ prace wykończeniowe potrwają do końca października.",
    ), ("cp1250", "iso-8859-2")),
    ("cs", "Nový rychlý vlak spojí Prahu s Brnem", (
        "Nový rychlý vlak spojí Prahu s Brnem za méně než dvě hodiny, oznámily České dráhy.",
        "Dobrý den, milý pane Nový.",
        "Příliš žluťoučký kůň úpěl ďábelské ódy, napsal jeden z cestujících na sociální síti po první jízdě.",
    ), ("cp1250", "iso-8859-2")),
    ("ro", "Românii și-au ales președintele", (
        "Românii și-au ales duminică președintele, într-un scrutin cu o prezență de peste 60 % la urne.",
        "Noul șef al statului a promis că va sprijini reformele din justiție și va continua integrarea în zona euro.",
        "Ședința de învestire are loc săptămâna viitoare la Parlamentul din București.",
    ), ("iso-8859-16",)),
    ("hu", "Árvíztűrő tükörfúrógép a Dunán", (
        "Az árvízvédelmi gyakorlaton új szivattyúkat próbáltak ki a Duna budapesti szakaszán.",
        "A katasztrófavédelem szerint a rendszer óránként több ezer köbméter vizet képes átemelni.",
        "Őszre további húsz település kap hasonló felszerelést a kormány döntése alapján.",
    ), ("cp1250", "iso-8859-2")),
    ("vi", "Hà Nội mở thêm tuyến xe buýt điện", (
        "Hà Nội vừa đưa vào hoạt động thêm ba tuyến xe buýt điện nối trung tâm với các khu đô thị mới.",
        "Theo Sở Giao thông, mỗi ngày các tuyến này có thể phục vụ khoảng mười nghìn lượt hành khách.",
        "Thành phố đặt mục tiêu đến năm 2030 toàn bộ xe buýt sử dụng năng lượng sạch.",
    ), ()),
]


#: HTML decodes these labels with their Windows superset (the Encoding Standard).
HTML_READING = {"iso8859-1": "cp1252", "iso8859-9": "cp1254"}


class CleanParser(ArticleParser):
    """A plain article layout: the page's own parser path, without any outlet's quirks."""

    version = "v1"
    root = "article.story"

    def title(self) -> str | None:
        return first_text(self.sel, "article.story h1")

    def paragraphs(self) -> list[str] | None:
        return paragraphs_of(self.sel, "article.story .body p")


def clean_outlet(languages: list[str]) -> type[OutletSpider]:
    """An outlet declaring ``languages`` (the hint decode_body and repair_fields get)."""
    attributes = {
        "name": "cleantest",
        "domain": "news.example",
        "home": "https://news.example/",
        "languages": tuple(languages),
        "article_urls": re.compile(r"^/news/\d+/"),
        "parsers": (CleanParser,),
    }
    return type("CleanOutlet", (OutletSpider,), attributes)


def clean_page(lang: str, title: str, paragraphs: tuple[str, ...], label: str) -> str:
    body = "\n".join(f"<p>{html_escape.escape(p, quote=False)}</p>" for p in paragraphs)
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="{label}">'
        f"<title>{html_escape.escape(title, quote=False)}</title></head>\n"
        f'<body><nav><a href="/">Home</a></nav>\n<article class="story"><h1>{html_escape.escape(title, quote=False)}</h1>\n'
        f'<div class="body">{body}</div></article>\n<footer>news.example</footer></body></html>\n'
    )


def test_clean_corpus_covers_the_outlets_languages_and_their_code_pages() -> None:
    by_language = {lang: encodings for lang, _, _, encodings in CLEAN_PAGES}
    assert {"tr", "az", "ru", "ar", "en"} <= set(by_language)
    assert {"cp1254", "iso-8859-9"} <= set(by_language["tr"])
    assert "cp1251" in by_language["ru"] and "cp1256" in by_language["ar"]
    for _lang, title, paragraphs, encodings in CLEAN_PAGES:
        for encoding in encodings:
            for piece in (title, *paragraphs):
                piece.encode(encoding)  # strict: the page really is in that code page


@pytest.mark.parametrize(
    ("lang", "title", "paragraphs", "encodings"), CLEAN_PAGES, ids=[c[0] for c in CLEAN_PAGES]
)
def test_clean_page_passes_analyse_page_unchanged(
    lang: str, title: str, paragraphs: tuple[str, ...], encodings: tuple[str, ...]
) -> None:
    for encoding in ("utf-8", *encodings):
        body = clean_page(lang, title, paragraphs, encoding).encode(encoding)
        used = HTML_READING.get(codecs.lookup(encoding).name, codecs.lookup(encoding).name)
        for languages in ([lang], *OUTLET_HINTS):
            result = analyse_page(
                "https://news.example/news/1/story",
                200,
                body,
                content_type=f"text/html; charset={encoding}",
                outlet=clean_outlet(languages),
            )
            where = (encoding, languages)
            assert result.verdict == "article", where
            assert result.title == title, where
            assert result.paragraphs == list(paragraphs), where
            assert result.encoding["used"] == used, where
            assert result.encoding["repairs"] == [], where
            assert result.encoding["undecodable_bytes"] == 0, where


@pytest.mark.parametrize(
    ("lang", "title", "paragraphs", "encodings"), CLEAN_PAGES, ids=[c[0] for c in CLEAN_PAGES]
)
def test_clean_page_through_the_generic_extractor_is_not_repaired(
    lang: str, title: str, paragraphs: tuple[str, ...], encodings: tuple[str, ...]
) -> None:
    """No outlet (``newsarchive extract`` on an unknown host): trafilatura extracts, nothing is repaired.

    The text itself is trafilatura's business (it drops the Persian zero-width non-joiner, for one);
    here only the encoding layer is judged.
    """
    for encoding in ("utf-8", *encodings):
        body = clean_page(lang, title, paragraphs, encoding).encode(encoding)
        result = analyse_page(
            "https://news.example/news/1/story", 200, body, content_type=f"text/html; charset={encoding}"
        )
        assert result.title == title, encoding
        assert result.encoding["repairs"] == [], encoding
        assert result.encoding["undecodable_bytes"] == 0, encoding


# --------------------------------------------------------------------------------------------
# The detector: an independent witness, and the scripts no outlet hints at
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("meta", ["iso-8859-1", "windows-1252", "koi8-r"])
def test_detector_is_not_told_the_declared_label(meta: str) -> None:
    """chardet 7 echoes any <meta charset> that decodes the bytes; the decision must record what the
    bytes say, so the declarations are hidden from it."""
    html = page(TURKISH * 2, head=f'<meta charset="{meta}">')
    decision = decode_body(html.encode("cp1254"), None)[1]
    assert decision.declared_meta == normalise_codec(meta)
    assert decision.detected in {"cp1254", "iso8859-9"}


@pytest.mark.parametrize(("lang", "encoding"), [("el", "cp1253"), ("el", "iso-8859-7"), ("he", "cp1255")])
def test_unlabelled_greek_and_hebrew_are_not_taken_for_cyrillic(lang: str, encoding: str) -> None:
    """Their letters read as cp1252 are runs of À-ÿ like Cyrillic; only the detector can tell."""
    _, title, paragraphs, _ = next(c for c in CLEAN_PAGES if c[0] == lang)
    for text in (title, " ".join(paragraphs)):
        html = page(text)
        decoded, decision = decode_body(html.encode(encoding), None)
        assert decoded == html
        assert decision.undecodable_bytes == 0


def test_refuted_label_falls_back_to_the_detected_code_page_itself() -> None:
    """ISO-8859-2 detected must decode as ISO-8859-2: windows-1250 (chardet's "superset") is not one."""
    _, _, paragraphs, _ = next(c for c in CLEAN_PAGES if c[0] == "pl")
    html = page(" ".join(paragraphs))
    body = html.encode("iso-8859-2")
    text, decision = decode_body(body, "text/html; charset=shift_jis")
    assert_lossless(text, html, body, decision)
    assert decision.used == "iso8859-2"


@pytest.mark.parametrize(
    "text",
    [ARABIC, "كيف حالك؟", "قال الوزير: «نعم»؛ هل يتغير شيء؟", TURKISH, RUSSIAN, AZERBAIJANI],
    ids=["ar", "ar-question", "ar-punctuation", "tr", "ru", "az"],
)
def test_utf8_read_as_windows_1256_is_undone(text: str) -> None:
    """Arabic sites' commonest mojibake ("ط§ظ„ط¹ط±ط¨ظٹط©"), which ftfy does not attempt."""
    garbled = text.encode("utf-8").decode("cp1256")
    assert ftfy.fix_text(garbled, **CONSERVATIVE_FTFY) != text  # ftfy alone cannot restore it
    for languages in OUTLET_HINTS:
        assert repair_text(garbled, languages=languages) == (text, ["remap:cp1256->utf-8"])
        fixed, repairs = repair_fields([ARABIC, garbled], languages=languages)
        assert (fixed, repairs) == ([ARABIC, text], ["remap:cp1256->utf-8"])
