"""Tests for crawler.encoding: every body is built here from known text, so the right answer is exact.

Mislabelled pages are made the way servers make them: encode the real text with the page's real
code page and serve it with another label (or none).  A decision is correct only if it gives back
the original text *and* re-encoding that text with ``used`` gives back the body byte for byte.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import ftfy
import pytest

from crawler.encoding import EncodingDecision, decode_body, normalise_codec, repair_text

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
