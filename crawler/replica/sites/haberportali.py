"""Haber Portalı (haberportali.com.tr): a fictional Turkish news portal running an ordinary WordPress theme.

It imitates the page behind seed 004 and the legacy-charset habits of older Turkish WordPress installs:

* A category tag ``#Dünya`` above the ``h1`` (seed 004 starts with it), related-post links, the title
  repeated under the post, a truncated "next post" teaser and the WordPress comment form ("Yorum yapın ...
  E-posta adresiniz yayınlanmayacak. Gerekli alanlar * ile işaretlenmişlerdir").
* In-body subheadings (uppercase, in quotes, ``<h3>``) are the outlet's text, so the catalogue keeps them as
  entries of ``paragraphs`` in reading order.
* Dates are day first, ``05.04.2025 14:30``, Turkish time (+03:00); only one post also has machine-readable
  ``article:published_time`` and ``<time datetime>``.
* Encodings: one post is windows-1254 bytes labelled ISO-8859-1 in both header and ``<meta>`` (the blog's
  charset setting is wrong, so ı İ ş ğ arrive as ý Ý þ ð), one the same labelled windows-1252, one is
  ISO-8859-9 labelled correctly, one UTF-8, and one correctly labelled UTF-8 page whose *text* is already
  garbled (moved from the old windows-1254 site through a latin1 database connection: "Ýstanbul Boðazý").
* A removed post answers 200 with "Sayfa bulunamadı" (soft 404), linked only from a related-posts box.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import partial
from typing import Any

from crawler.replica.model import GONE_VERDICT, Handler, ReplicaPage, Site, SiteBuilder
from crawler.replica.render import (
    FeedItem,
    attr,
    html_handler,
    parse_iso,
    rss,
    sitemap_index,
    text,
    urlset,
    xml_handler,
)

DOMAIN = "haberportali.com.tr"
PREFIX = f"/{DOMAIN}"
FEED = "/feed/"
SITEMAP = "/wp-sitemap.xml"
POSTS_SITEMAP = "/wp-sitemap-posts-post-1.xml"
SERVER_HEADERS = (
    ("Server", "Apache"),
    ("X-Powered-By", "PHP/7.4.33"),
    ("Link", f'<{PREFIX}/wp-json/>; rel="https://api.w.org/"'),
)
CATEGORIES = {"dunya": "Dünya", "ekonomi": "Ekonomi", "gundem": "Gündem"}


@dataclass(frozen=True)
class Post:
    """One WordPress post; ``headings`` are indexes of ``paragraphs`` the theme renders as subheadings."""

    post_id: int
    slug: str
    title: str
    category: str  # key of CATEGORIES
    published: str  # ISO, +03:00
    paragraphs: tuple[str, ...]
    headings: frozenset[int] = frozenset()
    authors: tuple[str, ...] = ()
    charset: str = "UTF-8"  # what header and <meta> say
    body_encoding: str = "utf-8"
    machine_date: bool = False
    tags: tuple[str, ...] = ()
    related: tuple[str, ...] = ()  # paths
    notes: str = ""
    text_mojibake: tuple[str, str] | None = None  # garbled by the CMS: see ReplicaPage.text_mojibake

    @property
    def path(self) -> str:
        return f"/{self.slug}/"

    @property
    def visible_date(self) -> str:
        return f"{parse_iso(self.published):%d.%m.%Y %H:%M}"


SOFT404 = "/yazarkasa-kampanyasi-sona-erdi/"
HARD_404 = "/bu-haber-artik-yok/"

POSTS: tuple[Post, ...] = (
    Post(
        4812,
        "denizcilik-toplantisi-gemiler-icin-yeni-emisyon-siniri-yolda",
        "Denizcilik toplantısı: Gemiler için yeni emisyon sınırı yolda",
        "dunya",
        "2025-04-05T14:30:00+03:00",
        (
            "Uluslararası denizcilik toplantısında konuşan üst düzey bir yetkili, ticari gemiler için yeni "
            "emisyon sınırlarının önümüzdeki yıl yürürlüğe girmesinin beklendiğini söyledi.",
            "Yetkili, üç gün süren toplantının ardından gazetecilerin sorularını yanıtladı.",
            "“KURALLAR TÜM GEMİLER İÇİN GEÇERLİ OLACAK”",
            "Yeni düzenlemenin küçük ve büyük tüm gemileri kapsayıp kapsamayacağı sorusuna yetkili, "
            "“Kurallar bayrağı ne olursa olsun tüm gemiler için geçerli olacak. Geçiş süreci için "
            "limanlara ve armatörlere zaman tanıyacağız.” yanıtını verdi.",
            "“MALİYETLER PAYLAŞILACAK”",
            "Navlun fiyatlarının artıp artmayacağına ilişkin soru üzerine yetkili, “Kısa vadede bazı "
            "maliyet artışları olabilir, ancak yakıt verimliliği yüksek gemiler uzun vadede tasarruf "
            "sağlayacak.” dedi.",
            "Toplantıya katılan çevre kuruluşları ise sınırların daha iddialı olması gerektiğini savundu.",
        ),
        headings=frozenset({2, 4}),
        authors=("Ayşe Demir",),
        machine_date=True,
        tags=("denizcilik", "emisyon"),
        related=("/kis-turizminde-erken-rezervasyon-donemi-basladi/", SOFT404),
    ),
    Post(
        4830,
        "kis-turizminde-erken-rezervasyon-donemi-basladi",
        "Kış turizminde erken rezervasyon dönemi başladı",
        "ekonomi",
        "2025-10-14T09:15:00+03:00",
        (
            "Kış sezonu için erken rezervasyon dönemi başladı; kayak merkezlerindeki otellerin ilk ayda "
            "doluluk oranının yüzde altmışı aşması bekleniyor.",
            "Sektör temsilcileri, geçen yıl yoğun kar yağışının sezonu uzattığını ve bu yıl yabancı turist "
            "sayısında da artış beklendiğini söyledi.",
            "Uludağ, Erciyes ve Palandöken’deki işletmeler, Ekim sonuna kadar yapılan rezervasyonlarda "
            "yüzde otuza varan indirim uyguluyor.",
            "Bir otel işletmecisi, “Ailelerin tatil planını erken yapması hem onlar hem de bizim için "
            "işleri kolaylaştırıyor. İşçi alımını da buna göre planlıyoruz.” diye konuştu.",
            "İstanbul ve İzmir’den kalkan özel kayak otobüsü seferlerinin de Aralık ayının ilk haftasında "
            "başlaması planlanıyor.",
            "Uzmanlar, ısınan kışlar nedeniyle yapay kar sistemlerine yapılan yatırımların önümüzdeki "
            "yıllarda artacağını öngörüyor.",
        ),
        authors=("Mehmet Yıldız",),
        charset="ISO-8859-1",
        body_encoding="windows-1254",
        tags=("turizm", "kış"),
        related=("/baskentte-toplu-tasimada-akilli-kart-sistemi-yenileniyor/",),
        notes="windows-1254 bytes labelled ISO-8859-1 in header and <meta>: ı İ ş ğ decode as ý Ý þ ð.",
    ),
    Post(
        4851,
        "baskentte-toplu-tasimada-akilli-kart-sistemi-yenileniyor",
        "Başkentte toplu taşımada akıllı kart sistemi yenileniyor",
        "gundem",
        "2025-03-22T08:45:00+03:00",
        (
            "Başkentte toplu taşımada kullanılan akıllı kart sistemi yenileniyor. Yeni sistemle yolcular "
            "otobüs, metro ve teleferikte banka kartı ya da cep telefonuyla ödeme yapabilecek.",
            "Belediyeden yapılan açıklamada, geçiş sürecinin üç ay süreceği ve bu süre boyunca eski "
            "kartların da geçerli olacağı belirtildi.",
            "Öğrenci, öğretmen ve 65 yaş üstü yolcuların indirimli kartları ise yeni sisteme otomatik "
            "olarak aktarılacak.",
            "Açıklamada, durak ve istasyonlardaki kart dolum makinelerinin de değiştirileceği, eski "
            "makinelerin geri dönüşüme gönderileceği kaydedildi.",
            "Ulaşım uzmanları, temassız ödemenin yolculuk sürelerini kısaltacağını, ancak yaşlı yolcular "
            "için bilgilendirme kampanyası yapılması gerektiğini vurguladı.",
            "Yeni sistemin ilk aşaması Nisan ayında metro hatlarında devreye alınacak.",
        ),
        charset="ISO-8859-9",
        body_encoding="iso-8859-9",
        tags=("ulaşım",),
        related=("/denizcilik-toplantisi-gemiler-icin-yeni-emisyon-siniri-yolda/",),
        notes="ISO-8859-9, labelled correctly (no curly quotes: the charset has none).",
    ),
    Post(
        4866,
        "izmirde-siddetli-yagis-okullar-bir-gun-tatil-edildi",
        "İzmir’de şiddetli yağış: Okullar bir gün tatil edildi",
        "gundem",
        "2025-09-03T07:20:00+03:00",
        (
            "İzmir’de gece saatlerinde başlayan şiddetli yağış, kentin birçok ilçesinde su baskınlarına yol "
            "açtı.",
            "Valilik, öğrencilerin güvenliği için okulların bir gün süreyle tatil edildiğini duyurdu.",
            "Bayraklı ve Karşıyaka’da bazı sokaklar göle dönerken, itfaiye ekipleri sabaha kadar çalıştı.",
            "Meteoroloji Genel Müdürlüğü, yağışların Çarşamba akşamına kadar aralıklarla süreceğini açıkladı.",
            "Vatandaşlara, dere yataklarından ve alt geçitlerden uzak durmaları çağrısında bulunuldu.",
            "Kısa sürede 120 milimetreyi aşan yağış, son on yılın en yüksek değerlerinden biri olarak "
            "kaydedildi.",
        ),
        authors=("Selin Aksoy",),
        charset="windows-1252",
        body_encoding="windows-1254",
        tags=("hava durumu",),
        related=("/baskentte-toplu-tasimada-akilli-kart-sistemi-yenileniyor/",),
        notes="windows-1254 bytes labelled windows-1252 in header and <meta>: ı İ ş ğ decode as ý Ý þ ð.",
    ),
    Post(
        4873,
        "bogazda-sis-nedeniyle-gemi-gecisleri-durduruldu",
        "Boğaz’da sis nedeniyle gemi geçişleri durduruldu",
        "gundem",
        "2025-02-11T10:05:00+03:00",
        (
            "İstanbul Boğazı’nda sabah saatlerinde etkili olan yoğun sis nedeniyle gemi geçişleri çift yönlü "
            "olarak askıya alındı.",
            "Kıyı Emniyeti Genel Müdürlüğü, görüş mesafesinin yer yer 200 metrenin altına düştüğünü bildirdi.",
            "Şehir hatları vapurlarının bazı seferleri iptal edilirken, Üsküdar ve Beşiktaş iskelelerinde "
            "yoğunluk yaşandı.",
            "“BEKLEYEN GEMİ SAYISI 40’I AŞTI”",
            "Yetkililer, Boğaz’ın her iki girişinde geçiş için bekleyen gemi sayısının 40’ı aştığını açıkladı.",
            "Sisin öğle saatlerinde dağılmasıyla birlikte trafiğin kademeli olarak normale dönmesi bekleniyor.",
        ),
        headings=frozenset({3}),
        authors=("Burak Şahin",),
        tags=("İstanbul", "deniz trafiği"),
        related=("/denizcilik-toplantisi-gemiler-icin-yeni-emisyon-siniri-yolda/",),
        notes="Moved from the portal's old windows-1254 site through a latin1 database connection: the post "
        "text is cp1254 read as cp1252 (Ýstanbul Boðazý), stored and served as correctly labelled UTF-8.",
        text_mojibake=("windows-1254", "windows-1252"),
    ),
)

BY_PATH = {post.path: post for post in POSTS}
MISLABELLED = POSTS[1].path
LATIN5 = POSTS[2].path
MISLABELLED_1252 = POSTS[3].path
TEXT_MOJIBAKE = POSTS[4].path


# --- page chrome ----------------------------------------------------------------------------------------


def _head(title: str, charset: str, extra: str = "") -> str:
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="tr">\n<head>\n<meta charset="{charset}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{text(title)} - Haber Portalı</title>\n"
        f'<link rel="alternate" type="application/rss+xml" title="Haber Portalı &raquo; Beslemesi" '
        f'href="{PREFIX}{FEED}">\n'
        f'<link rel="https://api.w.org/" href="{PREFIX}/wp-json/">\n{extra}'
        '<script>window._wpemojiSettings={"baseUrl":"https:\\/\\/s.w.org\\/images\\/core\\/emoji\\/15.0.3'
        '\\/72x72\\/","ext":".png"};</script>\n'
        '<style id="wp-emoji-styles-inline-css">img.emoji{display:inline!important;border:none!important}</style>\n'
        "</head>\n"
    )


def _header() -> str:
    links = "".join(
        f'<li class="menu-item"><a href="{PREFIX}/kategori/{key}/">{label}</a></li>'
        for key, label in CATEGORIES.items()
    )
    latest = POSTS[1]
    return (
        '<header id="masthead" class="site-header">\n'
        f'  <p class="site-title"><a href="{PREFIX}/" rel="home">Haber Portalı</a></p>\n'
        f'  <nav id="site-navigation" class="main-navigation"><ul id="primary-menu" class="menu">{links}</ul></nav>\n'
        f'  <div class="breaking-news"><span>Son Dakika:</span> <a href="{attr(PREFIX + latest.path)}">'
        f"{text(latest.title)}</a></div>\n"
        "</header>\n"
    )


def _sidebar() -> str:
    items = "".join(f'<li><a href="{attr(PREFIX + p.path)}">{text(p.title)}</a></li>' for p in POSTS)
    return f'<aside id="secondary" class="widget-area"><h2 class="widget-title">Çok Okunanlar</h2><ul>{items}</ul></aside>\n'


def _footer() -> str:
    return (
        '<footer id="colophon" class="site-footer"><div class="site-info">© 2025 Haber Portalı. '
        "Tüm hakları saklıdır. | WordPress ile güçlendirilmiştir.</div></footer>\n"
        "<script>/* wp-embed */</script>\n</body>\n</html>\n"
    )


def _content(post: Post) -> str:
    lines = []
    for index, paragraph in enumerate(post.paragraphs):
        tag = "h3" if index in post.headings else "p"
        lines.append(f"<{tag}>{text(paragraph)}</{tag}>")
    return "\n".join(lines)


def _post_html(post: Post) -> str:
    label = CATEGORIES[post.category]
    extra = ""
    date = f'<span class="entry-date published">{post.visible_date}</span>'
    if post.machine_date:
        extra = (
            '<meta property="og:type" content="article">\n'
            f'<meta property="article:published_time" content="{post.published}">\n'
        )
        date = f'<time class="entry-date published" datetime="{post.published}">{post.visible_date}</time>'
    byline = ""
    if post.authors:
        byline = f' <span class="byline">Yazar: <span class="author vcard">{text(", ".join(post.authors))}</span></span>'
    tags = " ".join(f'<span class="tag">{text(tag)}</span>' for tag in post.tags)
    related = "\n".join(
        f'    <li><a href="{attr(PREFIX + path)}">'
        f"{text(BY_PATH[path].title if path in BY_PATH else 'Yazarkasa kampanyası sona erdi')}</a></li>"
        for path in post.related
    )
    index = next(i for i, p in enumerate(POSTS) if p.post_id == post.post_id)  # ``post`` may be a garbled copy
    following = POSTS[(index + 1) % len(POSTS)]
    teaser = following.title[: max(20, len(following.title) - 12)].rsplit(" ", 1)[0]
    classes = (
        f"post-{post.post_id} post type-post status-publish format-standard hentry category-{post.category}"
    )
    return (
        _head(post.title, post.charset, extra)
        + f'<body class="post-template-default single single-post postid-{post.post_id} single-format-standard">\n'
        + _header()
        + '<main id="main" class="site-main">\n'
        f'<article id="post-{post.post_id}" class="{classes}">\n'
        f'  <div class="cat-tags"><a href="{PREFIX}/kategori/{post.category}/" rel="category tag">#{label}</a></div>\n'
        f'  <h1 class="entry-title">{text(post.title)}</h1>\n'
        f'  <div class="entry-meta">{date}{byline}</div>\n'
        f'  <div class="entry-content">\n{_content(post)}\n  </div>\n'
        f'  <footer class="entry-footer"><span class="tags-links">Etiketler: {tags}</span>\n'
        '  <div class="share">Paylaş: <a href="https://www.facebook.com/sharer/sharer.php">Facebook</a> '
        '<a href="https://x.com/intent/post">X</a> <a href="https://wa.me/">WhatsApp</a></div></footer>\n'
        "</article>\n"
        f'<section class="related-posts"><h3 class="related-title">İlgili Haberler</h3>\n  <ul>\n{related}\n  </ul>\n'
        "</section>\n"
        f'<div class="post-bottom"><h2 class="post-bottom-title">{text(post.title)}</h2></div>\n'
        f'<nav class="post-navigation"><div class="nav-next"><a href="{attr(PREFIX + following.path)}" rel="next">'
        f"{text(teaser)}</a></div></nav>\n"
        '<div id="respond" class="comment-respond">\n'
        '  <h3 id="reply-title" class="comment-reply-title">Yorum yapın</h3>\n'
        f'  <form action="{PREFIX}/wp-comments-post.php" method="post" id="commentform" class="comment-form">\n'
        '    <p class="comment-notes"><span id="email-notes">E-posta adresiniz yayınlanmayacak.</span> '
        '<span class="required-field-message">Gerekli alanlar <span class="required">*</span> ile '
        "işaretlenmişlerdir</span></p>\n"
        '    <p class="comment-form-comment"><label for="comment">Yorum <span class="required">*</span></label>'
        '<textarea id="comment" name="comment" cols="45" rows="8" required></textarea></p>\n'
        '    <p class="comment-form-author"><label for="author">Ad <span class="required">*</span></label>'
        '<input id="author" name="author" type="text" required></p>\n'
        '    <p class="form-submit"><input name="submit" type="submit" id="submit" class="submit" '
        'value="Yorum gönder"></p>\n'
        "  </form>\n</div>\n"
        "</main>\n" + _sidebar() + _footer()
    )


def _listing_html(title: str, posts: list[Post]) -> str:
    items = "\n".join(
        f'  <article class="post type-post"><h2 class="entry-title"><a href="{attr(PREFIX + p.path)}">'
        f'{text(p.title)}</a></h2><span class="entry-date">{p.visible_date}</span>'
        f'<div class="entry-summary"><p>{text(p.paragraphs[0])}</p></div></article>'
        for p in sorted(posts, key=lambda p: parse_iso(p.published), reverse=True)
    )
    return (
        _head(title, "UTF-8")
        + '<body class="home blog">\n'
        + _header()
        + f'<main id="main" class="site-main">\n<h1 class="page-title">{text(title)}</h1>\n{items}\n</main>\n'
        + _sidebar()
        + _footer()
    )


def _not_found_html(heading: str, message: str) -> str:
    return (
        _head(heading, "UTF-8")
        + '<body class="error404">\n'
        + _header()
        + '<main id="main" class="site-main"><section class="error-404 not-found">\n'
        f'  <header class="page-header"><h1 class="page-title">{text(heading)}</h1></header>\n'
        f'  <div class="page-content"><p>{text(message)}</p>\n'
        f'  <form role="search" method="get" class="search-form" action="{PREFIX}/"><input type="search" '
        'name="s" placeholder="Ara …"></form></div>\n'
        "</section></main>\n" + _sidebar() + _footer()
    )


# --- site assembly --------------------------------------------------------------------------------------


def _page(path: str, kind: str, verdict: str | None, status: int, **fields: Any) -> ReplicaPage:
    """A haberportali.com.tr catalogue page; WordPress labels everything "UTF-8" unless said otherwise."""
    fields.setdefault("served_charset_label", "UTF-8")
    fields.setdefault("language", "tr")
    return ReplicaPage(DOMAIN, path, kind, verdict, status, **fields)


def _html(page: ReplicaPage, markup: str, extra: tuple[tuple[str, str], ...] = ()) -> Handler:
    return html_handler(page, markup, headers=SERVER_HEADERS + extra)


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
            section=CATEGORIES[post.category],
            served_charset_label=post.charset,
            body_encoding=post.body_encoding,
            notes=post.notes,
            text_mojibake=post.text_mojibake,
        )
        shown = replace(
            post,
            title=page.as_served(post.title),
            paragraphs=tuple(page.as_served(p) for p in post.paragraphs),
            authors=tuple(page.as_served(a) for a in post.authors),
        )
        shortlink = (("Link", f"<{PREFIX}/?p={post.post_id}>; rel=shortlink"),)
        site.page(page, _html(page, _post_html(shown), shortlink))

    home = _page("/", "listing", "listing", 200)
    site.page(home, _html(home, _listing_html("Son Haberler", list(POSTS))))
    for key, label in CATEGORIES.items():
        category = _page(f"/kategori/{key}/", "listing", "listing", 200, section=label)
        posts = [p for p in POSTS if p.category == key]
        site.page(category, _html(category, _listing_html(f"Kategori: {label}", posts)))

    soft = _page(
        SOFT404,
        "soft404",
        "soft404",
        200,
        listed=False,
        notes="Removed post answering 200; linked only from a related-posts box.",
    )
    site.page(
        soft,
        _html(soft, _not_found_html("Sayfa bulunamadı", "Aradığınız haber yayından kaldırılmış olabilir.")),
    )
    hard = _page(
        HARD_404, "error", GONE_VERDICT, 404, listed=False, notes="Every unknown path answers this page."
    )
    not_found = _html(
        hard,
        _not_found_html("Hay aksi! Bu sayfa bulunamıyor.", "Görünüşe göre bu konumda hiçbir şey bulunamadı."),
    )
    site.page(hard, not_found)

    items = [
        FeedItem(p.path, p.title, p.published, p.paragraphs[0], p.authors, CATEGORIES[p.category])
        for p in POSTS
    ]
    feed = _page(FEED, "feed", None, 200, language=None)
    build_feed = partial(
        rss,
        outlet=DOMAIN,
        title="Haber Portalı",
        home="/",
        description="Son dakika haberleri",
        language="tr",
        items=items,
    )
    site.page(feed, xml_handler(feed, build_feed, headers=SERVER_HEADERS))

    # WordPress core sitemaps: an index, one page of posts, each with WordPress's XSL stylesheet line.
    index = _page(SITEMAP, "sitemap", None, 200, language=None)
    newest = max(POSTS, key=lambda p: parse_iso(p.published)).published
    build_index = partial(
        sitemap_index,
        outlet=DOMAIN,
        sitemaps=[(POSTS_SITEMAP, newest)],
        preamble=f'<?xml-stylesheet type="text/xsl" href="{PREFIX}/wp-sitemap-index.xsl" ?>\n',
    )
    site.page(index, xml_handler(index, build_index, headers=SERVER_HEADERS))
    posts_sitemap = _page(POSTS_SITEMAP, "sitemap", None, 200, language=None)
    build_posts = partial(
        urlset,
        outlet=DOMAIN,
        items=items,
        preamble=f'<?xml-stylesheet type="text/xsl" href="{PREFIX}/wp-sitemap.xsl" ?>\n',
    )
    site.page(posts_sitemap, xml_handler(posts_sitemap, build_posts, headers=SERVER_HEADERS))
    return site.build(
        not_found=not_found,
        robots=("Disallow: /wp-admin/", "Allow: /wp-admin/admin-ajax.php"),
        sitemaps=(SITEMAP,),
    )


SITE = _build()
