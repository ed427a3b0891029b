"""The shared cleaning layer against every kind of junk the seeds show (../shared/seeds).

The inputs are modelled on the seeds: their junk lines verbatim ("403", "Sorry!!", "Legal
Disclaimer:", "CommentsNo comment", "By Tamilla Hasanova", "#Dünya", the Turkish comment form...),
around story paragraphs written for these tests. Each test also keeps text that merely looks like
junk (a sentence starting "By", an article quoting an error message), so removing too much fails
as surely as removing too little.
"""

from __future__ import annotations

import re

import pytest

from crawler.cleaning import byline_names, clean_paragraphs, is_error_template

TITLE = "NATO chief says membership was never part of peace talks"
STORY = [
    "(MENAFN) The alliance's secretary general said on Tuesday that membership had never been offered "
    "as part of any settlement, speaking during a visit to the capital.",
    "He added that the allies would keep supporting the country during and after a ceasefire, Caliber.Az "
    "reports, citing an interview with a national broadcaster.",
    "“UKRAINE WILL BE PART OF THE PROCESS UNDER ANY CIRCUMSTANCES”",
    "Asked about the timeline, he said the path remained irreversible but gave no date for accession.",
]


def cleaned(lines: list[str], **kwargs: object) -> list[str]:
    return clean_paragraphs(lines, title=TITLE, **kwargs).paragraphs  # type: ignore[arg-type]


def test_error_template_before_the_story_goes() -> None:
    """Seeds 000 and 001: MENAFN's hidden "403 / Sorry!! / Error! ..." template leaks into naive text."""
    lines = [
        "403",
        "Sorry!!",
        "Error! We're sorry, but the page you were looking for doesn't exist.",
        TITLE,
        *STORY,
    ]
    result = clean_paragraphs(lines, title=TITLE)
    assert result.paragraphs == STORY
    assert result.removed["error-template"] == 3


def test_error_phrases_inside_the_story_stay() -> None:
    """Only text *before* the story can be a template; an article about 404 pages keeps its quotes."""
    quoting = [
        STORY[0],
        "Sorry!!",
        "Error! We're sorry, but the page you were looking for doesn't exist.",
        "Web developers say the message “page not found” is still among the most common errors online, "
        "even on large news and shopping sites where pages move without redirects.",
    ]
    assert cleaned(quoting) == quoting
    assert not is_error_template(quoting[3])
    assert is_error_template("Sayfa bulunamadı") and is_error_template("Страница не найдена")


def test_doubled_body_is_kept_once_in_order() -> None:
    """Seeds 000 and 001: desktop and mobile blocks; the mobile copy may skip the lead."""
    lines = [*STORY, *STORY[1:]]
    result = clean_paragraphs(lines, title=TITLE)
    assert result.paragraphs == STORY
    assert result.removed["duplicate"] == len(STORY) - 1


def test_legal_disclaimer_and_everything_after_it_go() -> None:
    """Seed 000 breaks the disclaimer over several lines; the heading ends the article."""
    lines = [
        *STORY,
        "Legal Disclaimer:",
        "MENAFN provides the",
        "information “as is” without warranty of any kind. We do not accept",
        "any responsibility or liability for the accuracy, content, images,",
    ]
    assert cleaned(lines) == STORY
    assert cleaned([*STORY, "Yasal Uyarı", "Bu içerik bilgi amaçlıdır."]) == STORY
    mention = "The ministry's disclaimer, published on Monday, said the figures were provisional and could change."
    assert cleaned([*STORY, mention]) == [*STORY, mention]


@pytest.mark.parametrize(
    "widget",
    [
        "Comments",
        "No comment",
        "CommentsNo comment",
        "Leave a comment",
        "Yorum yapın",
        "E-posta adresiniz yayınlanmayacak. Gerekli alanlar * ile işaretlenmişlerdir",
        "Share",
        "Paylaş",
        "Просмотров: 179",
        "Baxış: 95",
        "Read also: Baku hosts regional forum on green energy transit",
        "Advertisement",
    ],
)
def test_comment_share_and_counter_widgets_go(widget: str) -> None:
    """Seeds 000, 001, 004 end with comment widgets; Caliber.Az prints a view counter."""
    assert cleaned([STORY[0], widget, STORY[1]]) == STORY[:2]


def test_bylines_become_authors() -> None:
    """Seed 002 ends with "By Tamilla Hasanova": a field, not the last paragraph."""
    result = clean_paragraphs([*STORY, "By Tamilla Hasanova"], title=TITLE)
    assert result.paragraphs == STORY
    assert result.authors == ["Tamilla Hasanova"]
    result = clean_paragraphs(["Автор: Руслан Керимов", *STORY, "By Sam Patel and Lee Chen"], title=TITLE)
    assert result.authors == ["Руслан Керимов", "Sam Patel", "Lee Chen"]
    assert result.paragraphs == STORY


def test_a_sentence_starting_with_by_is_text() -> None:
    sentence = "By the end of the year, the council will decide."
    result = clean_paragraphs([STORY[0], sentence], title=TITLE)
    assert result.paragraphs == [STORY[0], sentence]
    assert result.authors == []
    assert byline_names("AFP staff") is None
    assert byline_names("Ursula von der Leyen") == ["Ursula von der Leyen"]


@pytest.mark.parametrize(
    "line",
    [
        "date 2025-05-11",
        "date 2025-05-11 403",  # seed 001: the date line glued to the template's status code
        "3/18/2025 4:12:33 AM",
        "25 Июня 2025 17:24",
        "05.04.2025 14:30",
        "Published: June 3, 2025 4:05 PM",
    ],
)
def test_date_lines_go(line: str) -> None:
    assert cleaned([line, *STORY]) == STORY


def test_a_sentence_with_a_date_stays() -> None:
    sentence = "The agreement signed on 05.04.2025 enters into force next year."
    assert cleaned([STORY[0], sentence]) == [STORY[0], sentence]


@pytest.mark.parametrize("tag", ["#Dünya", "#Dünya #Ekonomi"])
def test_category_tags_go(tag: str) -> None:
    """Seed 004 starts with "#Dünya"."""
    assert cleaned([tag, TITLE, *STORY]) == STORY


def test_title_repeated_at_the_end_ends_the_article() -> None:
    """Seed 004: the title under the post, a truncated next-post teaser, then the comment form."""
    lines = [
        "#Dünya",
        TITLE,
        *STORY,
        TITLE,
        "Has Discord been unblocked, when will it",
        "By Tamilla Hasanova",
        "Leave a comment",
        "E-posta adresiniz yayınlanmayacak. Gerekli alanlar * ile işaretlenmişlerdir",
    ]
    result = clean_paragraphs(lines, title=TITLE)
    assert result.paragraphs == STORY
    assert result.authors == ["Tamilla Hasanova"], "a byline in the footer still names the author"


def test_uppercase_quoted_subheadings_and_attribution_stay() -> None:
    """Seed 004's subheadings and seed 002's "Caliber.Az reports" are the outlet's text."""
    result = cleaned(STORY)
    assert STORY[2] in result
    assert any("Caliber.Az reports" in p for p in result)


def test_stray_punctuation_goes() -> None:
    """Seed 003 ends with a lone "“`"."""
    assert cleaned([*STORY, "“`"]) == STORY


def test_outlet_patterns_and_counts() -> None:
    marker = re.compile(r"MENAFN\d{8}\d*ID\d+")
    stop = re.compile(r"Follow us on", re.IGNORECASE)
    result = clean_paragraphs(
        [*STORY, "MENAFN18032025000045017640ID1109512301", "Follow us on Telegram", "More text"],
        title=TITLE,
        boilerplate=[marker],
        stop_at=[stop],
    )
    assert result.paragraphs == STORY
    assert result.removed == {"boilerplate": 1, "stop": 1}
