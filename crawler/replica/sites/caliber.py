"""Caliber.Az (caliber.az) as the replica serves it: a trilingual Baku outlet.

Russian lives at the root (``/post/<slug>``), English under ``/en/``, Azerbaijani under ``/az/``. Post pages
use the markup the spider will select on: ``.post``, ``.post_title``, ``.post_time``, ``.post_body``,
``.post_signature``. Problems reproduced from the seeds and the live site:

* ``.post_time`` is ``25 Июня 2025 17:24`` (Russian genitive month, capitalised) on Russian pages and
  ``25.06.2025 17:24`` elsewhere; it is Baku time, so the catalogue dates carry ``+04:00``. No page has
  machine-readable dates.
* The byline sits *after* the body in ``.post_signature`` ("By Nigar Mammadli", "Автор: ...") and must
  become ``authors``, not the last paragraph (seed 002 ends with it). A view counter ("Просмотров: 179")
  sits next to the date.
* "Caliber.Az reports" inside a paragraph is the outlet's own attribution and stays in the text.
* Soft 404s: removed posts answer 200 with "Страница не найдена" / "Səhifə tapılmadı"; the stale
  sitemap still lists them. Unknown paths answer the same template with a real 404.
* A banner slot ("Реклама" / "Advertisement" / "Reklam") sits inside ``.post_body`` after the third
  paragraph: a body selector alone keeps it.
* One Russian post is stored in windows-1251 but nginx labels it windows-1252 (its ``<meta charset>``
  says windows-1251): decoding by the header turns Cyrillic into Latin-1 mojibake.
* One Azerbaijani post is UTF-8 labelled ISO-8859-1 in header and ``<meta>`` (ə Ə exist in no
  single-byte code page, so only UTF-8 can be right): decoding by the label gives É\x99 for ə.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

from crawler.replica.model import GONE_VERDICT, Handler, ReplicaPage, Site, SiteBuilder
from crawler.replica.render import FeedItem, attr, block, html_handler, parse_iso, text, urlset, xml_handler

DOMAIN = "caliber.az"
PREFIX = f"/{DOMAIN}"
SITEMAP = "/sitemap.xml"
SERVER_HEADERS = (("Server", "nginx"), ("X-Frame-Options", "SAMEORIGIN"))

RU_MONTHS = (
    "Января",
    "Февраля",
    "Марта",
    "Апреля",
    "Мая",
    "Июня",
    "Июля",
    "Августа",
    "Сентября",
    "Октября",
    "Ноября",
    "Декабря",
)

# Per-language chrome: where the language lives, and the words around the post.
LANGUAGES: dict[str, dict[str, str]] = {
    "ru": {
        "root": "/",
        "views": "Просмотров",
        "by": "Автор: ",
        "also": "Читайте также",
        "share": "Поделиться",
        "not_found": "Страница не найдена",
        "not_found_text": "Запрашиваемая страница не существует или была удалена.",
        "home": "Главная",
        "latest": "Последние новости",
    },
    "en": {
        "root": "/en/",
        "views": "Views",
        "by": "By ",
        "also": "Read also",
        "share": "Share",
        "not_found": "Page not found",
        "not_found_text": "The page you requested does not exist or has been removed.",
        "home": "Home",
        "latest": "Latest news",
    },
    "az": {
        "root": "/az/",
        "views": "Baxış",
        "by": "Müəllif: ",
        "also": "Həmçinin oxuyun",
        "share": "Paylaş",
        "not_found": "Səhifə tapılmadı",
        "not_found_text": "Axtardığınız səhifə mövcud deyil və ya silinib.",
        "home": "Ana səhifə",
        "latest": "Son xəbərlər",
    },
}


@dataclass(frozen=True)
class Post:
    """One Caliber.Az post and how it is encoded on the wire."""

    language: str
    slug: str
    title: str
    category: str
    published: str  # ISO with +04:00 (Baku)
    views: int
    paragraphs: tuple[str, ...]
    authors: tuple[str, ...] = ()
    body_encoding: str = "utf-8"
    header_label: str = "UTF-8"
    meta_label: str = "utf-8"
    notes: str = ""

    @property
    def path(self) -> str:
        return f"{LANGUAGES[self.language]['root']}post/{self.slug}"

    @property
    def visible_time(self) -> str:
        moment = parse_iso(self.published)
        if self.language == "ru":
            return f"{moment.day} {RU_MONTHS[moment.month - 1]} {moment.year} {moment:%H:%M}"
        return f"{moment:%d.%m.%Y %H:%M}"


POSTS: tuple[Post, ...] = (
    Post(
        "en",
        "azerbaijan-and-georgia-agree-to-expand-rail-freight-link",
        "Azerbaijan and Georgia agree to expand rail freight link",
        "Economy",
        "2025-06-25T17:24:00+04:00",
        179,
        (
            "Azerbaijan and Georgia have agreed to increase the capacity of the rail line connecting the "
            "two countries, aiming to handle more container traffic moving between Central Asia and Europe.",
            "The agreement was signed in Baku by the heads of the two national railway companies, "
            "Caliber.Az reports, citing a joint statement.",
            "Under the plan, several sections of track will be modernised and new sidings built to allow "
            "longer freight trains to pass one another.",
            "The railway companies expect the upgrade to raise annual capacity by about a fifth once work "
            "is completed in 2027.",
            "Freight volumes along the corridor have grown steadily since 2022, as shippers look for "
            "routes that avoid longer sea journeys.",
            "The sides also discussed harmonising customs procedures at the border crossing to reduce the "
            "time trains spend waiting.",
        ),
        authors=("Nigar Mammadli",),
    ),
    Post(
        "en",
        "baku-hosts-regional-forum-on-green-energy-transit",
        "Baku hosts regional forum on green energy transit",
        "Energy",
        "2025-06-18T11:05:00+04:00",
        94,
        (
            "A regional forum on the transit of renewable electricity opened in Baku on Wednesday, "
            "bringing together energy officials, investors and engineers from more than fifteen countries.",
            "Participants discussed plans for undersea and overland cables that would carry wind and solar "
            "power from the Caspian region to consumers in Europe.",
            "Speakers said the projects would require common technical standards and long-term purchase "
            "agreements to attract private financing.",
            "“Connecting grids is as much about trust as it is about cables,” one of the organisers said "
            "in the opening session, Caliber.Az reports.",
            "The two-day programme also includes panels on energy storage and on training specialists for "
            "the new power plants.",
            "Organisers said they plan to hold the forum every year, alternating between the participating "
            "countries.",
        ),
        authors=("Farid Huseynov",),
    ),
    Post(
        "ru",
        "v-baku-otkrylsya-mezhdunarodnyy-dzhazovyy-festival",
        "В Баку открылся международный джазовый фестиваль",
        "Культура",
        "2025-06-20T19:30:00+04:00",
        312,
        (
            "В Баку в пятницу открылся международный джазовый фестиваль, который в этом году продлится "
            "шесть дней и соберёт музыкантов из двенадцати стран.",
            "Концерты пройдут на трёх площадках, в том числе под открытым небом на Приморском бульваре, "
            "сообщает Caliber.Az.",
            "Организаторы отмечают, что программа фестиваля сочетает классический джаз, фьюжн и "
            "эксперименты с национальным мугамом.",
            "«Мы хотим, чтобы джаз звучал там, где его не ожидают услышать», — сказал один из "
            "организаторов на пресс-конференции.",
            "Для студентов музыкальных школ предусмотрены бесплатные мастер-классы, а часть билетов на "
            "вечерние концерты будет продаваться по льготной цене.",
            "Завершится фестиваль совместным выступлением участников в Зелёном театре.",
        ),
        authors=("Руслан Керимов",),
        body_encoding="windows-1251",
        header_label="windows-1252",
        meta_label="windows-1251",
        notes="windows-1251 bytes; the header says windows-1252, the <meta charset> says windows-1251.",
    ),
    Post(
        "ru",
        "tsentrobank-sohranil-uchetnuyu-stavku",
        "Центробанк сохранил учетную ставку",
        "Экономика",
        "2025-06-12T16:00:00+04:00",
        205,
        (
            "Центральный банк сохранил учетную ставку на уровне 7,25 процента, сообщили в регуляторе по "
            "итогам заседания совета директоров.",
            "В банке пояснили, что годовая инфляция остается в пределах целевого коридора, а инфляционные "
            "ожидания населения стабилизировались.",
            "При этом регулятор отметил рост кредитования в потребительском сегменте и пообещал "
            "внимательно следить за этой тенденцией.",
            "Аналитики ожидали подобного решения, указывая на стабильный курс национальной валюты и "
            "умеренный рост цен на продовольствие.",
            "Следующее заседание по денежно-кредитной политике запланировано на июль.",
        ),
        notes="No signature: authors stay empty.",
    ),
    Post(
        "az",
        "xezer-sahilinde-yeni-park-istifadeye-verildi",
        "Xəzər sahilində yeni park istifadəyə verildi",
        "Cəmiyyət",
        "2025-06-15T10:10:00+04:00",
        95,
        (
            "Xəzər dənizi sahilində salınan yeni park bazar günü sakinlərin istifadəsinə verilib.",
            "Parkın ərazisində velosiped yolları, uşaq meydançaları və gəzinti üçün uzun sahil xiyabanı "
            "yaradılıb.",
            "Layihə çərçivəsində iki mindən çox ağac və kol əkilib, suvarma üçün isə təkrar emal olunmuş "
            "sudan istifadə edilir.",
            "Sakinlər parkın axşam saatlarında da açıq olmasından razı qaldıqlarını bildiriblər.",
            "Rəsmilərin sözlərinə görə, gələn il sahil boyunca daha iki yaşıllıq zonasının açılması "
            "planlaşdırılır.",
        ),
        authors=("Aysel Quliyeva",),
    ),
    Post(
        "az",
        "emirli-kendinde-yeni-mekteb-binasi-acildi",
        "Əmirli kəndində yeni məktəb binası açıldı",
        "Təhsil",
        "2025-06-10T12:40:00+04:00",
        148,
        (
            "Əmirli kəndində 480 şagird yerlik yeni məktəb binası istifadəyə verilib.",
            "Ərazidə əvvəllər fəaliyyət göstərən köhnə bina qəzalı vəziyyətdə olduğu üçün sökülmüşdü.",
            "Yeni binada kimya və fizika laboratoriyaları, kitabxana, idman zalı və yeməkxana yaradılıb.",
            "Təhsil şöbəsinin müdiri Əli Hüseynov bildirib ki, məktəbdə iki növbəli təhsilə son qoyulacaq.",
            "Valideynlər uşaqların artıq qonşu kəndə getmək məcburiyyətində qalmayacağını məmnunluqla qeyd ediblər.",
            "Rayonda bu il daha üç məktəbin əsaslı təmirinin başa çatdırılması nəzərdə tutulur.",
        ),
        authors=("Günay Həsənova",),
        header_label="ISO-8859-1",
        meta_label="ISO-8859-1",
        notes="UTF-8 bytes labelled ISO-8859-1 in header and <meta> (an old template): decoding by the label "
        "gives Æ\\x8f and É\\x99 for Ə and ə, which no single-byte code page has.",
    ),
)

SOFT404_RU = "/post/vystavka-sovremennogo-iskusstva-perenesena"
SOFT404_AZ = "/az/post/kohne-xeber-silinib"
HARD_404 = "/en/post/this-story-does-not-exist"
MISLABELLED = POSTS[2].path
AZ_LATIN1 = POSTS[5].path
DEAD_LINKS = {
    SOFT404_RU: ("Выставка современного искусства перенесена", "2025-05-30T12:00:00+04:00"),
    SOFT404_AZ: ("Köhnə xəbər", "2025-05-28T09:00:00+04:00"),
}


# --- page chrome ----------------------------------------------------------------------------------------


def _head(title: str, language: str, meta_label: str) -> str:
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{language}">\n<head>\n<meta charset="{meta_label}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1.0">\n'
        f"<title>{text(title)}</title>\n"
        '<meta property="og:site_name" content="Caliber.Az">\n'
        "<style>.post_info span{margin-right:12px}.post_views:before{content:'\\1F441 '}</style>\n"
        "</head>\n"
    )


def _header(language: str) -> str:
    labels = LANGUAGES[language]
    switch = " | ".join(
        f'<a class="{"active" if code == language else "lang"}" href="{PREFIX}{LANGUAGES[code]["root"]}">'
        f"{code.upper()}</a>"
        for code in ("ru", "en", "az")
    )
    return (
        '<header class="header">\n'
        f'  <a class="logo" href="{PREFIX}{labels["root"]}">Caliber.Az</a>\n'
        f'  <nav class="menu"><a href="{PREFIX}{labels["root"]}">{labels["home"]}</a></nav>\n'
        f'  <div class="lang_switch">{switch}</div>\n'
        "</header>\n"
    )


def _in_body_ad(language: str) -> str:
    """The banner slot the site places inside the post body, labelled in the page's language."""
    label = {"ru": "Реклама", "en": "Advertisement", "az": "Reklam"}[language]
    return (
        f'      <div class="post_banner"><span class="banner_label">{label}</span>'
        '<a href="https://ads.caliber.az/click?b=218" rel="nofollow"><img src="/caliber.az/banners/218.jpg" '
        'alt=""></a></div>'
    )


def _footer() -> str:
    return (
        '<footer class="footer">\n'
        "  <p>© 2025 Caliber.Az. При использовании материалов ссылка на Caliber.Az обязательна.</p>\n"
        '  <div class="counters"><span class="liveinternet">LI</span></div>\n'
        "</footer>\n</body>\n</html>\n"
    )


def _post_html(post: Post) -> str:
    labels = LANGUAGES[post.language]
    others = [p for p in POSTS if p.language == post.language and p is not post]
    also = "\n".join(f'    <li><a href="{attr(PREFIX + p.path)}">{text(p.title)}</a></li>' for p in others)
    signature = ""
    if post.authors:
        signature = f'    <div class="post_signature">{text(labels["by"] + ", ".join(post.authors))}</div>\n'
    return (
        _head(f"{post.title} | Caliber.Az", post.language, post.meta_label)
        + f'<body>\n{_header(post.language)}<main class="main">\n'
        '  <div class="post">\n'
        f'    <div class="post_category"><a href="{PREFIX}{labels["root"]}">{text(post.category)}</a></div>\n'
        f'    <h1 class="post_title">{text(post.title)}</h1>\n'
        f'    <div class="post_info"><span class="post_time">{post.visible_time}</span>'
        f'<span class="post_views">{labels["views"]}: {post.views}</span></div>\n'
        f'    <div class="post_body">\n{block(post.paragraphs[:3])}\n{_in_body_ad(post.language)}\n'
        f'{block(post.paragraphs[3:])}\n    </div>\n'
        f"{signature}"
        f'    <div class="post_share">{labels["share"]}: <a href="https://t.me/share/url?url=https%3A%2F%2F'
        f'caliber.az{attr(post.path)}">Telegram</a> <a href="https://www.facebook.com/sharer.php?u=https%3A%2F%2F'
        f'caliber.az{attr(post.path)}">Facebook</a></div>\n'
        "  </div>\n"
        f'  <div class="read_also"><h3>{labels["also"]}</h3>\n  <ul>\n{also}\n  </ul></div>\n'
        "</main>\n" + _footer()
    )


def _home_html(language: str) -> str:
    labels = LANGUAGES[language]
    posts = sorted(
        (p for p in POSTS if p.language == language), key=lambda p: parse_iso(p.published), reverse=True
    )
    items = "\n".join(
        f'    <div class="news_item"><a href="{attr(PREFIX + p.path)}">{text(p.title)}</a>'
        f'<span class="news_time">{p.visible_time}</span></div>'
        for p in posts
    )
    return (
        _head("Caliber.Az", language, "utf-8") + f'<body>\n{_header(language)}<main class="main">\n'
        f'  <h2 class="section_title">{labels["latest"]}</h2>\n  <div class="news_list">\n{items}\n  </div>\n'
        "</main>\n" + _footer()
    )


def _not_found_html(language: str) -> str:
    labels = LANGUAGES[language]
    return (
        _head(f"{labels['not_found']} | Caliber.Az", language, "utf-8")
        + f'<body>\n{_header(language)}<main class="main">\n'
        f'  <div class="page_404"><h1>{labels["not_found"]}</h1><p>{labels["not_found_text"]}</p>'
        f'<a href="{PREFIX}{labels["root"]}">{labels["home"]}</a></div>\n'
        "</main>\n" + _footer()
    )


# --- site assembly --------------------------------------------------------------------------------------


def _page(path: str, kind: str, verdict: str | None, status: int, **fields: Any) -> ReplicaPage:
    """A caliber.az catalogue page; nginx labels it "UTF-8" unless said otherwise."""
    fields.setdefault("served_charset_label", "UTF-8")
    return ReplicaPage(DOMAIN, path, kind, verdict, status, **fields)


def _html(page: ReplicaPage, markup: str) -> Handler:
    return html_handler(page, markup, headers=SERVER_HEADERS)


def _build() -> Site:
    site = SiteBuilder(DOMAIN)
    for post in POSTS:
        page = _page(
            post.path,
            "article",
            "article",
            200,
            title=post.title,
            paragraphs=post.paragraphs,
            authors=post.authors,
            published=post.published,
            section=post.category,
            language=post.language,
            served_charset_label=post.header_label,
            body_encoding=post.body_encoding,
            notes=post.notes,
        )
        site.page(page, _html(page, _post_html(post)))
    for language, labels in LANGUAGES.items():
        home = _page(labels["root"], "listing", "listing", 200, language=language)
        site.page(home, _html(home, _home_html(language)))

    for path, language in ((SOFT404_RU, "ru"), (SOFT404_AZ, "az")):
        soft = _page(
            path,
            "soft404",
            "soft404",
            200,
            language=language,
            notes="Removed post answering 200 with the not-found template; still in the sitemap.",
        )
        site.page(soft, _html(soft, _not_found_html(language)))
    hard = _page(
        HARD_404,
        "error",
        GONE_VERDICT,
        404,
        language="ru",
        listed=False,
        notes="The same template as the soft 404s, but with status 404; every unknown path gets it.",
    )
    not_found = _html(hard, _not_found_html("ru"))
    site.page(hard, not_found)

    items = [FeedItem(p.path, p.title, p.published) for p in POSTS]
    items += [FeedItem(path, title, published) for path, (title, published) in DEAD_LINKS.items()]
    sitemap = _page(SITEMAP, "sitemap", None, 200, served_charset_label="utf-8")
    site.page(
        sitemap, xml_handler(sitemap, partial(urlset, outlet=DOMAIN, items=items), headers=SERVER_HEADERS)
    )
    return site.build(
        not_found=not_found, robots=("Disallow: /search", "Disallow: /admin/"), sitemaps=(SITEMAP,)
    )


SITE = _build()
