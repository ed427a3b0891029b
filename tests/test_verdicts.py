"""Verdicts over five languages: soft 404s, errors, blocks, listings and articles that look like errors.

The table builds ``PageSignals`` the way ``crawler.page.analyse_page`` does (title, visible h1s,
cleaned paragraphs joined by blank lines, the first 600 characters of visible text) and asserts the
verdict and the reasons that must explain it.  The phrase-data tests guard the data files
themselves, since a typo there silently removes evidence for a whole language.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import pytest

from crawler.textnorm import contains_phrase, fold
from crawler.verdicts import PHRASE_KINDS, VERDICTS, PageSignals, Verdict, judge, load_phrases, parse_phrases

# --------------------------------------------------------------------------------- page material

PARAGRAPHS = {
    "en": (
        "The port authority said on Tuesday that cargo volumes rose by twelve percent in the first "
        "quarter, driven by strong demand for grain and fertiliser shipments. Officials expect the "
        "growth to continue through the summer as new berths come into service and waiting times fall.",
        "Analysts cautioned that the figures partly reflect a weak comparison period last year, when "
        "storms closed the harbour for almost two weeks. They added that rising fuel costs and a "
        "shortage of qualified crane operators could limit how quickly the port can expand capacity.",
        "The city council has approved a plan to widen the access road to the terminals and to build a "
        "rail link that would take thousands of trucks off local streets. Residents welcomed the project "
        "but asked for stricter limits on night-time noise and better monitoring of air quality.",
    ),
    "tr": (
        "İstanbul Büyükşehir Belediyesi, kentteki toplu taşıma ağını genişletmek için yeni bir metro "
        "hattının yapımına önümüzdeki ay başlanacağını açıkladı. Projenin toplam maliyetinin on iki "
        "milyar lirayı bulması ve hattın iki yıl içinde tamamlanması bekleniyor. Yetkililer, yeni hattın "
        "günde yaklaşık dört yüz bin yolcuya hizmet vereceğini söyledi.",
        "Ulaştırma uzmanları, metro yatırımlarının trafik yoğunluğunu azaltmada önemli bir rol "
        "oynadığını ancak otobüs ve deniz yolu bağlantılarının da aynı hızla güçlendirilmesi gerektiğini "
        "vurguladı. Uzmanlara göre Anadolu yakasındaki ilçelerde aktarma noktalarının yetersizliği, "
        "yolculuk süresini uzatan başlıca etkenlerden biri olmaya devam ediyor.",
        "Çalışmalar sırasında bazı caddelerin geçici olarak trafiğe kapatılacağı, sürücülerin alternatif "
        "güzergahları kullanmaları gerektiği belirtildi. Belediye, inşaat süresince mahalle sakinlerinin "
        "şikayetlerini değerlendirmek için bir danışma hattı kuracağını ve çalışma takvimini internet "
        "sitesinden düzenli olarak paylaşacağını duyurdu.",
    ),
    "az": (
        "Nazirlər Kabineti paytaxtda yeni nəqliyyat layihələrinin həyata keçirilməsi ilə bağlı qərar "
        "qəbul edib. Qərara əsasən, növbəti iki il ərzində Bakıda üç yeni metro stansiyasının tikintisi "
        "başa çatdırılacaq və mövcud avtobus marşrutları yenidən təşkil olunacaq. Layihənin ümumi dəyəri "
        "təxminən bir milyard manat qiymətləndirilir.",
        "Nəqliyyat ekspertləri bildiriblər ki, yeni stansiyaların istifadəyə verilməsi şəhərin mərkəzi "
        "hissəsində tıxacları xeyli azalda bilər. Onların sözlərinə görə, eyni zamanda piyada "
        "keçidlərinin və velosiped yollarının genişləndirilməsi də vacibdir, çünki sakinlərin böyük "
        "hissəsi gündəlik olaraq qısa məsafələrə səfər edir.",
        "Tikinti işləri zamanı bəzi küçələrdə hərəkətin müvəqqəti məhdudlaşdırılacağı gözlənilir. Bakı "
        "Nəqliyyat Agentliyi sürücüləri alternativ yollardan istifadə etməyə çağırıb və işlərin qrafiki "
        "barədə məlumatın mütəmadi olaraq rəsmi internet saytında və sosial şəbəkə hesablarında dərc "
        "olunacağını açıqlayıb.",
    ),
    "ru": (
        "Правительство Москвы объявило о начале строительства новой линии метро, которая свяжет "
        "несколько спальных районов на юго-востоке города с центром. По словам представителей "
        "департамента транспорта, работы планируется завершить в течение трёх лет, а общая стоимость "
        "проекта превысит двести миллиардов рублей.",
        "Эксперты в области городского транспорта отмечают, что новые станции помогут существенно "
        "разгрузить автомобильные дороги в часы пик. Вместе с тем они подчёркивают, что без развития "
        "наземного транспорта и удобных пересадочных узлов эффект от строительства окажется значительно "
        "меньше ожидаемого, особенно для жителей отдалённых районов.",
        "На время строительства движение по ряду улиц будет частично ограничено. В мэрии посоветовали "
        "водителям заранее планировать маршруты и пообещали регулярно публиковать график работ на "
        "официальном сайте, а также открыть горячую линию для жителей, которые хотят сообщить о "
        "проблемах, связанных со стройкой.",
    ),
    "ar": (
        "أعلنت وزارة النقل عن بدء تنفيذ مشروع جديد لتوسيع شبكة المترو في العاصمة، يهدف إلى ربط الأحياء "
        "السكنية الجديدة بوسط المدينة خلال السنوات الثلاث المقبلة. وقال المتحدث باسم الوزارة إن التكلفة "
        "الإجمالية للمشروع تتجاوز ملياري دولار، وإن العمل سيبدأ في الربع الأول من العام المقبل.",
        "ويرى خبراء النقل أن المحطات الجديدة ستسهم في تخفيف الازدحام المروري في ساعات الذروة، لكنهم "
        "يؤكدون أن نجاح المشروع يعتمد أيضا على تطوير شبكة الحافلات وإنشاء مواقف للسيارات قرب المحطات، "
        "حتى يتمكن سكان الضواحي البعيدة من الوصول إليها بسهولة ويسر.",
        "وأوضحت الوزارة أن حركة المرور ستخضع لقيود مؤقتة في عدد من الشوارع الرئيسية أثناء أعمال الحفر، "
        "داعية السائقين إلى استخدام الطرق البديلة، ومشيرة إلى أنها ستنشر جدول الأعمال بانتظام على موقعها "
        "الرسمي وحساباتها في وسائل التواصل الاجتماعي.",
    ),
}

# An article *about* errors: long paragraphs that quote the very phrases error pages use.
ERRORS_ARTICLE = (
    "Every newsroom has seen it: a reader follows an old link and lands on a page that says 404 page "
    "not found. Search engines notice these dead ends too, and sites with thousands of broken links "
    "can lose traffic that took years to build, according to a new study of regional publishers.",
    "The study found that one in five links to articles older than three years ended on a page not "
    "found message, often because stories were moved during redesigns without redirects. Editors said "
    "the problem is rarely a priority until a large archive migration goes wrong.",
    "Some publishers now audit their archives every month and redirect removed stories to updated "
    "coverage instead of showing an error. Others keep a tombstone page explaining that the article "
    "was withdrawn, which experts say is more honest than claiming the page you were looking for "
    "doesn't exist.",
)

MENAFN_TEMPLATE = "403\nSorry!!\nError! We're sorry, but the page you were looking for doesn't exist."
MENAFN_TITLE = "NATO chief rules out membership pledge in Ukraine peace deal"

TEASERS = "\n\n".join(
    f"Headline number {i} about the day's events" for i in range(1, 13)
)  # a section page: many short link texts

ARTICLE_URL = "https://news.example.com/world/2025/05/13/port-cargo-volumes-rise-12345"
HOME = "https://news.example.com/"
SECTIONS = ("https://news.example.com/world/", "https://news.example.com/economy/")

CLOUDFLARE_HEAD = (
    '<!DOCTYPE html><html lang="en-US"><head><title>Just a moment...</title>'
    '<meta name="robots" content="noindex,nofollow"><script>window._cf_chl_opt={cvId: "3",'
    ' cZone: "news.example.com", cType: "managed"};</script></head>'
)
DDOS_GUARD_HEAD = (
    "<html><head><title>DDoS-Guard</title></head><body>"
    '<script src="https://check.ddos-guard.net/check.js"></script>'
)


def body(lang: str, n: int) -> str:
    """``n`` article paragraphs in ``lang`` joined like the extractor joins them."""
    paragraphs = PARAGRAPHS[lang]
    return "\n\n".join(paragraphs[i % len(paragraphs)] for i in range(n))


def page(
    *,
    title: str = "",
    h1: str | None = None,
    main: str = "",
    lead: str | None = None,
    url: str = ARTICLE_URL,
    status: int = 200,
    **kwargs: Any,
) -> PageSignals:
    """Signals for a page whose h1 repeats the headline and whose lead is the visible text start."""
    headings = [h1] if h1 else []
    if lead is None:
        lead = " ".join(filter(None, [h1 or title, main]))[:600]
    return PageSignals(
        url=url,
        status=status,
        home_urls=(HOME, *SECTIONS),
        title=title,
        headings=headings,
        main_text=main,
        lead_text=lead,
        paragraph_count=len([p for p in main.split("\n\n") if p.strip()]),
        **kwargs,
    )


def article(lang: str, title: str, n: int = 5, **kwargs: Any) -> PageSignals:
    return page(title=f"{title} | Example News", h1=title, main=body(lang, n), url_kind="article", **kwargs)


# ------------------------------------------------------------------------------------ the table

CASES = [
    # --- ordinary articles, one per language -------------------------------------------------------
    pytest.param(
        article("en", "Port cargo volumes rise 12% on grain demand"),
        "article",
        ["full-body"],
        id="en-article",
    ),
    pytest.param(
        article("tr", "İstanbul'a yeni metro hattı geliyor"), "article", ["full-body"], id="tr-article"
    ),
    pytest.param(
        article("az", "Bakıda üç yeni metro stansiyası tikiləcək"), "article", ["full-body"], id="az-article"
    ),
    pytest.param(
        article("ru", "В Москве начнут строить новую линию метро"), "article", ["full-body"], id="ru-article"
    ),
    pytest.param(
        article("ar", "وزارة النقل تعلن توسيع شبكة المترو في العاصمة"),
        "article",
        ["full-body"],
        id="ar-article",
    ),
    # --- articles whose headline merely contains an error-like word ---------------------------------
    pytest.param(
        page(
            title="Why '404 page not found' errors hurt publishers",
            h1="Why '404 page not found' errors hurt publishers",
            main="\n\n".join([*ERRORS_ARTICLE, body("en", 8)]),
            url_kind="article",
        ),
        "article",
        ["full-body", "phrase-outweighed"],
        id="en-article-about-404-errors",
    ),
    pytest.param(
        article("en", "Route 404 reopens after repairs"), "article", ["full-body"], id="en-route-404"
    ),
    pytest.param(
        article("tr", "Kayıp dağcı üç gündür bulunamadı"), "article", ["full-body"], id="tr-news-bulunamadi"
    ),
    pytest.param(
        article("tr", "Evde bakım hizmeti genişliyor"), "article", ["full-body"], id="tr-news-bakim"
    ),
    pytest.param(
        article("ru", "Почему на портале Госуслуг ведутся технические работы"),
        "article",
        ["full-body", "phrase-outweighed"],
        id="ru-news-technical-works",
    ),
    pytest.param(
        article("ar", "وزارة الكهرباء تعلن أعمال صيانة في محطات العاصمة"),
        "article",
        ["full-body"],
        id="ar-news-maintenance",
    ),
    pytest.param(
        page(
            title="Court hears how access denied to journalists",
            main=body("en", 2) + "\n\nThe judge "
            "said access denied to the press gallery on Monday would be reviewed.",
            url_kind="article",
        ),
        "article",
        [],
        id="en-modest-article-one-phrase",
    ),
    pytest.param(
        article("en", "Port cargo volumes rise 12% on grain demand", noindex=True),
        "article",
        ["full-body"],
        id="en-noindex-alone",
    ),
    # --- the MENAFN hidden-template trap ------------------------------------------------------------
    pytest.param(article("en", MENAFN_TITLE, n=6), "article", ["full-body"], id="menafn-template-stripped"),
    pytest.param(
        article(
            "en", MENAFN_TITLE, n=6, lead=f"{MENAFN_TEMPLATE} {MENAFN_TITLE} {PARAGRAPHS['en'][0]}"[:600]
        ),
        "article",
        ["full-body", "phrase-outweighed"],
        id="menafn-template-in-lead",
    ),
    pytest.param(
        page(
            title=f"{MENAFN_TITLE} | MENAFN.COM",
            main="\n".join([MENAFN_TEMPLATE, MENAFN_TITLE, *PARAGRAPHS["en"], *PARAGRAPHS["en"]]),
            lead=f"{MENAFN_TEMPLATE} {MENAFN_TITLE}",
            url_kind="article",
        ),
        "article",
        ["full-body", "phrase-outweighed"],
        id="menafn-template-in-main-single-newlines",
    ),
    pytest.param(
        replace(article("en", MENAFN_TITLE, n=6), headings=["403 Sorry!! Error!", MENAFN_TITLE]),
        "article",
        ["full-body", "phrase-outweighed"],
        id="menafn-template-h1-leaked",
    ),
    pytest.param(
        page(
            title=f"{MENAFN_TITLE} | MENAFN.COM",
            h1="403 Sorry!! Error!",
            main="\n".join([MENAFN_TEMPLATE, *PARAGRAPHS["en"], *PARAGRAPHS["en"]]),
            url_kind="article",
        ),
        "article",
        ["full-body", "phrase-outweighed"],
        id="menafn-template-in-h1-and-main",
    ),
    pytest.param(
        page(title="MENAFN - Error", h1="Sorry!!", main="", lead=MENAFN_TEMPLATE, url_kind="article"),
        "soft404",
        ["title-phrase:en", "text-phrase:en"],
        id="menafn-really-gone",
    ),
    # --- soft 404s: hard statuses and redirects -----------------------------------------------------
    pytest.param(page(title="Not Found", status=404), "soft404", ["status:404"], id="status-404"),
    pytest.param(
        article("tr", "Silinen haber", status=410), "soft404", ["status:410"], id="status-410-with-text"
    ),
    pytest.param(
        page(
            title="Example News",
            main=TEASERS,
            url=HOME,
            redirect_urls=[ARTICLE_URL],
            link_density=0.8,
            url_kind="listing",
        ),
        "soft404",
        ["redirect-to-home"],
        id="redirect-to-home",
    ),
    pytest.param(
        page(
            title="World", main=TEASERS, url="https://www.news.example.com/world", redirect_urls=[ARTICLE_URL]
        ),
        "soft404",
        ["redirect-to-home"],
        id="redirect-to-section",
    ),
    pytest.param(
        article(
            "en",
            "Port cargo volumes rise 12% on grain demand",
            redirect_urls=["http://news.example.com/world/2025/05/13/port-cargo-volumes-rise-12345"],
        ),
        "article",
        ["full-body"],
        id="redirect-http-to-https-same-article",
    ),
    pytest.param(
        page(
            title="MENAFN",
            main=TEASERS,
            url="http://127.0.0.1:8765/menafn.com/",
            redirect_urls=["http://127.0.0.1:8765/menafn.com/1109123456/Some-Slug"],
        ),
        "soft404",
        ["redirect-to-home"],
        id="replica-redirect-to-home",
    ),
    # --- soft 404s by phrase, per language ----------------------------------------------------------
    pytest.param(
        page(title="Page Not Found | Example News", h1="Page not found", url_kind="article"),
        "soft404",
        ["title-phrase:en", "h1-phrase:en", "thin-text"],
        id="en-title-page-not-found",
    ),
    pytest.param(
        page(title="404", main="Go back to the home page."),
        "soft404",
        ["title-phrase:en"],
        id="en-title-bare-404",
    ),
    pytest.param(
        page(
            title="Example News",
            main="Sorry, the page you are looking for does not exist. Try the search box above.",
            url_kind="article",
        ),
        "soft404",
        ["text-phrase:en", "thin-text"],
        id="en-text-phrase-generic-title",
    ),
    pytest.param(
        page(title="SAYFA BULUNAMADI - Hürriyet", h1="SAYFA BULUNAMADI"),
        "soft404",
        ["title-phrase:tr", "h1-phrase:tr"],
        id="tr-uppercase-title",
    ),
    pytest.param(page(title="Sayfa Bulunamadi | Haber"), "soft404", ["title-phrase:tr"], id="tr-ascii-title"),
    pytest.param(
        page(
            title="Hürriyet - Son dakika haberler",
            main="Aradığınız sayfa bulunamadı. Ana sayfaya dönmek için tıklayın.",
        ),
        "soft404",
        ["text-phrase:tr", "thin-text"],
        id="tr-text-aradiginiz-sayfa",
    ),
    pytest.param(
        page(title="Sabah", h1="Üzgünüz! Haber bulunamadı", url_kind="article"),
        "soft404",
        ["h1-phrase:tr"],
        id="tr-h1-haber-bulunamadi",
    ),
    pytest.param(page(title="Səhifə tapılmadı - Report.az"), "soft404", ["title-phrase:az"], id="az-title"),
    pytest.param(page(title="SEHIFE TAPILMADI"), "soft404", ["title-phrase:az"], id="az-title-ascii-upper"),
    pytest.param(
        page(title="Caliber.Az", main="Təəssüf ki, axtardığınız səhifə mövcud deyil.", url_kind="article"),
        "soft404",
        ["text-phrase:az"],
        id="az-text-mövcud-deyil",
    ),
    pytest.param(
        page(title="Страница не найдена — РИА Новости"), "soft404", ["title-phrase:ru"], id="ru-title"
    ),
    pytest.param(page(title="Ошибка 404"), "soft404", ["title-phrase:ru"], id="ru-title-error-404"),
    pytest.param(
        page(
            title="Новости", main="К сожалению, запрашиваемая страница не существует. Вернуться на главную."
        ),
        "soft404",
        ["text-phrase:ru"],
        id="ru-text-zaprashivaemaya",
    ),
    pytest.param(
        page(title="الصَّفْحَةُ غَيْرُ مَوْجُودَةٍ | الجزيرة"), "soft404", ["title-phrase:ar"], id="ar-title-harakat"
    ),
    pytest.param(
        page(
            title="العربية",
            h1="عـــذراً",
            main="عذراً، الصفحة المطلوبة غير موجودة. يمكنك العودة إلى الصفحة الرئيسية.",
        ),
        "soft404",
        ["h1-phrase:ar", "text-phrase:ar"],
        id="ar-tatweel-h1-and-text",
    ),
    pytest.param(
        page(title="خطأ ٤٠٤ - الصفحة غير موجودة"),
        "soft404",
        ["title-phrase:ar"],
        id="ar-title-arabic-indic-digits",
    ),
    # --- errors ------------------------------------------------------------------------------------
    pytest.param(
        page(title="Internal Server Error", status=500),
        "error",
        ["status:500", "title-phrase:en"],
        id="status-500",
    ),
    pytest.param(
        page(title="Sunucu hatası", status=502),
        "error",
        ["status:502", "title-phrase:tr"],
        id="tr-status-502",
    ),
    pytest.param(article("ru", "Новости", status=503), "error", ["status:503"], id="status-503-with-body"),
    pytest.param(page(title="Bad Request", status=400), "error", ["status:400"], id="status-400"),
    pytest.param(
        page(title="Down for maintenance", main="We'll be back soon. Thanks for your patience."),
        "error",
        ["title-phrase:en", "thin-text"],
        id="en-maintenance-200",
    ),
    pytest.param(
        page(title="Sitemiz bakımda", main="Kısa süre içinde tekrar yayında olacağız."),
        "error",
        ["title-phrase:tr"],
        id="tr-maintenance-200",
    ),
    pytest.param(
        page(title="Hata oluştu! | Milliyet", url_kind="article"),
        "error",
        ["title-phrase:tr"],
        id="tr-title-hata-olustu",
    ),
    pytest.param(
        page(title="Report.az", main="Saytda texniki işlər aparılır. Tezliklə qayıdacağıq."),
        "error",
        ["text-phrase:az"],
        id="az-maintenance-text",
    ),
    pytest.param(page(title="Ошибка сервера"), "error", ["title-phrase:ru"], id="ru-server-error-200"),
    pytest.param(
        page(title="Известия", main="На сайте ведутся технические работы. Приносим извинения за неудобства."),
        "error",
        ["text-phrase:ru"],
        id="ru-maintenance-text",
    ),
    pytest.param(page(title="خطأ في الخادم"), "error", ["title-phrase:ar"], id="ar-server-error-200"),
    pytest.param(
        page(title="الموقع تحت الصيانة", main="نعتذر عن الإزعاج، سنعود قريبا."),
        "error",
        ["title-phrase:ar"],
        id="ar-maintenance-200",
    ),
    # --- blocked -----------------------------------------------------------------------------------
    pytest.param(
        page(
            title="Just a moment...",
            lead="Checking if the site connection is secure",
            status=403,
            html_head=CLOUDFLARE_HEAD,
        ),
        "blocked",
        ["status:403", "challenge:cloudflare"],
        id="cloudflare-403",
    ),
    pytest.param(
        page(
            title="Just a moment...",
            main="Enable JavaScript and cookies to continue",
            html_head=CLOUDFLARE_HEAD,
        ),
        "blocked",
        ["challenge:cloudflare"],
        id="cloudflare-200",
    ),
    pytest.param(
        page(title="DDoS-Guard", html_head=DDOS_GUARD_HEAD),
        "blocked",
        ["challenge:ddos-guard"],
        id="ru-ddos-guard",
    ),
    pytest.param(
        page(
            title="Security check",
            main="Please complete the check below.",
            html_head='<form><div class="g-recaptcha" data-sitekey="x"></div></form>',
            url_kind="article",
        ),
        "blocked",
        ["captcha:recaptcha"],
        id="recaptcha-wall",
    ),
    pytest.param(
        article(
            "en",
            "Port cargo volumes rise 12% on grain demand",
            html_head='<div class="g-recaptcha"></div><input type="password">',
        ),
        "article",
        ["full-body"],
        id="article-with-comment-captcha",
    ),
    pytest.param(
        page(title="Güvenlik kontrolü", main="Lütfen robot olmadığınızı doğrulayın."),
        "blocked",
        ["text-phrase:tr", "thin-text"],
        id="tr-captcha-phrase",
    ),
    pytest.param(
        page(
            title="Yahoo is part of the Yahoo family of brands",
            url="https://consent.yahoo.com/v2/collectConsent?sessionId=3",
            redirect_urls=[ARTICLE_URL],
        ),
        "blocked",
        ["consent-wall"],
        id="consent-host",
    ),
    pytest.param(
        page(
            title="Example News",
            main="We use cookies. Accept all to read on.",
            html_head='<div id="cookiewall">',
            url_kind="article",
        ),
        "blocked",
        ["consent-wall"],
        id="consent-wall-markup",
    ),
    pytest.param(
        page(
            title="Budget talks stall | Example",
            main="Ministers failed to agree on the budget late on Monday.",
            html_head='<section class="paywall"><form><input type="password" name="pw"></form>',
            url_kind="article",
        ),
        "blocked",
        ["paywall", "login-form"],
        id="paywall-teaser",
    ),
    pytest.param(
        page(title="Бюджет", main="Министры не договорились. Материал доступен только подписчикам."),
        "blocked",
        ["text-phrase:ru"],
        id="ru-paywall-phrase",
    ),
    pytest.param(page(title="Erişim engellendi"), "blocked", ["title-phrase:tr"], id="tr-access-denied-200"),
    pytest.param(
        page(title="تم رفض الوصول", status=403), "blocked", ["status:403", "title-phrase:ar"], id="ar-403"
    ),
    pytest.param(page(title="Too Many Requests", status=429), "blocked", ["status:429"], id="status-429"),
    pytest.param(
        page(title="Sign in", status=401, html_head='<input type="password">'),
        "blocked",
        ["status:401", "login-form"],
        id="status-401-login",
    ),
    pytest.param(
        article("az", "Bakıda üç yeni metro stansiyası tikiləcək", status=403),
        "article",
        ["status:403", "full-body"],
        id="az-403-full-article",
    ),
    pytest.param(
        article("en", MENAFN_TITLE, n=6, status=451, lead=MENAFN_TEMPLATE),
        "article",
        ["status:451", "full-body"],
        id="451-full-article-template-lead",
    ),
    pytest.param(
        replace(
            article("en", MENAFN_TITLE, n=6, status=451), main_text=f"{MENAFN_TEMPLATE}\n\n{body('en', 6)}"
        ),
        "article",
        ["status:451", "full-body"],
        id="451-full-article-template-in-main",
    ),
    # --- listings ----------------------------------------------------------------------------------
    pytest.param(
        page(
            title="World | Example News", main=TEASERS, url=SECTIONS[0], url_kind="listing", link_density=0.8
        ),
        "listing",
        ["url:listing", "link-dense"],
        id="en-listing-url-kind",
    ),
    pytest.param(
        page(
            title="Gündem Haberleri",
            main="",
            url="https://www.hurriyet.com.tr/gundem/",
            url_kind="listing",
            html_head='<div class="paywall-banner">',
        ),
        "listing",
        ["url:listing"],
        id="tr-listing-thin-with-paywall-script",
    ),
    pytest.param(
        page(title="Последние новости", main=TEASERS, link_density=0.85),
        "listing",
        ["link-dense"],
        id="ru-link-dense-unknown-kind",
    ),
    pytest.param(
        page(
            title="Technology News | MENAFN.COM",
            h1="Technology",
            url="https://menafn.com/qn_news_list.aspx?src=technology&page=1",
            url_kind="listing",
            lead="Technology Why Websites Still Show '404 Page Not Found' Errors (MENAFN) Almost every user has "
            "seen a blank page with the words 'Sorry, the page you were looking for doesn't exist'.",
            link_density=0.34,
        ),
        "listing",
        ["url:listing"],
        id="en-listing-teaser-quotes-error-phrase",
    ),
    pytest.param(
        page(
            title="Son Haberler - Haber Portalı",
            h1="Son Haberler",
            main=TEASERS,
            url="https://haberportali.com/",
        ),
        "listing",
        ["url-shape:listing"],
        id="tr-unknown-outlet-home",
    ),
    pytest.param(
        page(
            title="Kategori: Ekonomi",
            main="",
            url="https://haberportali.com/kategori/ekonomi/",
            link_density=0.5,
        ),
        "listing",
        ["url-shape:listing"],
        id="tr-unknown-outlet-category",
    ),
    pytest.param(
        page(title="Caliber.Az", url="http://127.0.0.1:8765/caliber.az/az/", link_density=0.45),
        "listing",
        ["url-shape:listing"],
        id="az-unknown-outlet-language-root-replica",
    ),
    pytest.param(
        page(
            title="Search | Example",
            h1="Search results: water",
            url="https://news.example.com/search?q=water",
        ),
        "listing",
        ["url-shape:listing"],
        id="en-unknown-outlet-search",
    ),
    pytest.param(
        page(
            title="Harbour reopens | Example",
            main="\n\n".join(
                f"Paragraph {i} of a story about the harbour, with enough words to count." for i in range(7)
            ),
            url="https://example.org/news/1",
        ),
        "article",
        [],
        id="en-unknown-outlet-numeric-id-is-not-a-section",
    ),
    pytest.param(
        page(
            title="Police search for missing climber",
            main="",
            url="https://news.example.com/en/police-search-for-missing-climber",
        ),
        "soft404",
        ["thin-text"],
        id="en-slug-with-listing-word-is-not-a-listing",
    ),
    # --- thin pages without phrases ----------------------------------------------------------------
    pytest.param(
        page(title="Example News", h1="", main="", url_kind="article"),
        "soft404",
        ["thin-text", "url:article"],
        id="empty-article-url",
    ),
    pytest.param(
        page(
            title="Xəzər sahilində yeni park istifadəyə verildi",
            main="\n\n".join(
                (
                    "Xəzər dənizi sahilində salınan yeni park bazar günü sakinlərin istifadəsinə verilib.",
                    "Parkın ərazisində velosiped yolları və uşaq meydançaları yaradılıb.",
                    "Layihə çərçivəsində iki mindən çox ağac əkilib.",
                    "Sakinlər parkın axşam saatlarında da açıq olmasından razı qaldıqlarını bildiriblər.",
                )
            ),
            url_kind="article",
        ),
        "article",
        ["short-text"],
        id="short-brief-in-paragraphs-at-article-url",
    ),
    pytest.param(
        page(title="Example News", main=PARAGRAPHS["en"][0], url_kind="article"),
        "soft404",
        ["thin-text", "url:article"],
        id="one-teaser-paragraph-at-article-url",
    ),
    pytest.param(
        page(title="Example News", main="Share this story."), "soft404", ["thin-text"], id="empty-unknown-url"
    ),
    pytest.param(
        page(title="Quake hits coast", main=PARAGRAPHS["en"][0]),
        "article",
        ["short-text"],
        id="short-brief-unknown-url",
    ),
    pytest.param(
        page(title="Quake hits coast", main=PARAGRAPHS["en"][0], noindex=True),
        "soft404",
        ["thin-text", "noindex"],
        id="short-noindex-unknown-url",
    ),
    pytest.param(
        page(
            title="Example News",
            main=body("en", 2),
            lead="Page not found.\n" + PARAGRAPHS["en"][0],  # one line per block, as in visible text
            noindex=True,
        ),
        "soft404",
        ["text-phrase:en", "noindex"],
        id="modest-text-phrase-with-noindex",
    ),
]

# --- prose, headlines and URL shapes (measured on tests/verdict_eval) ------------------------------

GOSUSLUGI = (
    "Пользователи портала госуслуг в последние дни жалуются на то, что при попытке открыть некоторые "
    "разделы видят сообщение «Страница не найдена» и код ошибки 404.",
    "В Минцифры объяснили, что сбой связан с переносом части сервисов на новую платформу. Старые ссылки "
    "на разделы с заявлениями не были перенаправлены на новые адреса.",
    "Специалисты отмечают, что подобные ошибки снижают доверие к цифровым сервисам и мешают поисковым "
    "системам индексировать государственные сайты.",
    "В министерстве пообещали восстановить все ссылки до конца недели и рекомендовали заходить в нужные "
    "разделы через главную страницу портала.",
)
EDEVLET = (
    "Vatandaşlar, son günlerde e-Devlet üzerinden bazı belgeleri almaya çalışırken ekranda 404 hatası ile "
    "karşılaştıklarını ve 'Aradığınız sayfa bulunamadı' uyarısı aldıklarını sosyal medyada paylaştı.",
    "Yetkililer, sorunun bir kurumun sistem güncellemesi sırasında bağlantı adreslerinin değiştirilmesinden "
    "kaynaklandığını, eski bağlantıların yeni adreslere yönlendirilmediğini belirtti.",
    "Bilişim uzmanları, bu tür hataların yalnızca kullanıcıları değil arama motorlarını da etkilediğini, "
    "sayfa bulunamadı mesajı veren bağlantıların sitelerin görünürlüğünü düşürdüğünü hatırlattı.",
    "Yetkililer, eksik yönlendirmelerin hafta sonuna kadar tamamlanacağını ve belgelere erişimde yaşanan "
    "sorunun kalıcı olarak giderileceğini açıkladı. Vatandaşlardan çağrı merkezine başvurmaları istendi.",
)
SHORT_ARTICLE = (  # ~130 words: an ordinary local story, below FULL_BODY_WORDS
    "Fishermen in the bay face further cuts to their cod quotas next year after scientists advised that "
    "stocks in the northern grounds had failed to recover as quickly as expected.",
    "The reductions, of around fifteen percent, were agreed at talks that ended late on Friday. Industry "
    "leaders said the decision would force some smaller boats out of business altogether.",
    "Scientists said warmer water had pushed some species further north and that the remaining stocks "
    "needed several years of lower catches to rebuild to a sustainable level.",
    "The regional government promised a support package for affected crews, including money to adapt "
    "boats and training for younger fishermen who want to move into aquaculture.",
)
LEAKED_TEMPLATE = "403\nSorry!!\nError! We're sorry, but the page you were looking for doesn't exist."
CHROME = "\n".join(["Home", "Local", "Business", "Sport", "Weather", "Contact us"])

CASES += [
    pytest.param(
        page(
            title="«Страница не найдена»: пользователи госуслуг пожаловались на ошибку 404 — Ведомости",
            h1="«Страница не найдена»: пользователи госуслуг пожаловались на ошибку 404",
            main="\n\n".join(GOSUSLUGI),
            url_kind="article",
        ),
        "article",
        ["phrase-outweighed"],
        id="ru-guillemets-quote-a-phrase-in-the-headline",
    ),
    pytest.param(
        page(
            title="e-Devlet'te 404 hatası şikayeti | Haber",
            h1="e-Devlet'te 404 hatası şikayeti",
            main="\n\n".join(EDEVLET),
            url_kind="article",
        ),
        "article",
        [],
        id="tr-prose-mentions-phrases-in-a-middling-body",
    ),
    pytest.param(
        replace(
            article("en", "Fishing fleet faces new quota cuts", n=0),
            headings=["403", "Fishing fleet faces new quota cuts"],
            main_text="\n\n".join(SHORT_ARTICLE),
            paragraph_count=4,
            lead_text=f"{LEAKED_TEMPLATE}\nFishing fleet faces new quota cuts\n{SHORT_ARTICLE[0]}",
        ),
        "article",
        ["phrase-outweighed"],
        id="title-and-h1-agree-beside-a-leaked-403-heading",
    ),
    pytest.param(
        page(
            title="Minister resigns over expenses | Northline",
            h1="This story is no longer available",
            main="This article has been removed. Read our latest coverage below.",
            url_kind="article",
        ),
        "soft404",
        ["h1-phrase:en"],
        id="removed-story-keeps-its-title",
    ),
    pytest.param(
        page(
            title="Erişim Engeli",
            main="Bu internet sitesi hakkında, İstanbul Sulh Ceza Hakimliği'nin 12/06/2025 tarihli kararı ile "
            "5651 sayılı kanun kapsamında erişim engellenmiştir.",
        ),
        "blocked",
        ["title-phrase:tr", "text-phrase:tr"],
        id="tr-block-notice-in-legal-prose",
    ),
    pytest.param(
        page(
            title="Citizens report broken links on e-government portal",
            h1="Citizens report broken links on e-government portal",
            main="Users of the portal said on Monday that several services showed a page not found message "
            "instead of the application form they were looking for this week.",
        ),
        "article",
        ["short-text"],
        id="brief-mentions-a-phrase-in-prose",
    ),
    pytest.param(
        page(
            title="Outages — latest news",
            h1="Outages",
            main="",
            lead="Outages\nPage not found: why government links break\nBank app down for second day",
            url="https://northline.example/tag/outages",
            link_density=0.7,
        ),
        "listing",
        ["url-shape:listing"],
        id="tag-page-teaser-quotes-a-phrase",
    ),
    pytest.param(
        page(
            title="Search — Northline",
            h1="We couldn't match that address",
            main="No stories matched your search.",
            url="https://northline.example/economy/chip-subsidy-row-deepens-c11b20",
            link_density=0.8,
        ),
        "soft404",
        ["thin-text"],
        id="thin-link-dense-page-at-an-article-shaped-url",
    ),
    pytest.param(
        page(
            title="Harvest festival returns to the market square",
            main=PARAGRAPHS["en"][0],
            url="https://valleygazette.example/story.php?id=20931",
        ),
        "article",
        ["short-text"],
        id="query-id-is-not-a-section",
    ),
    pytest.param(
        page(
            title="Why the port is growing | Example News",
            h1="Why the port is growing",
            main="World",
            visible_text="\n".join([CHROME, "Why the port is growing", *PARAGRAPHS["en"], *PARAGRAPHS["en"]]),
        ),
        "article",
        ["visible-body"],
        id="extractor-missed-a-visible-article",
    ),
    pytest.param(
        page(
            title="Bridge closed after lorry crash — Northline",
            h1="Bridge closed after lorry crash",
            main="Breaking",
            visible_text="\n".join(
                [
                    CHROME,
                    "Breaking",
                    "Bridge closed after lorry crash",
                    "The northbound carriageway of the river bridge is closed after a lorry overturned shortly "
                    "before seven this morning, police said.",
                    "Drivers are advised to avoid the area. Nobody was seriously hurt, according to the "
                    "ambulance service.",
                    "Most read",
                ]
            ),
        ),
        "article",
        ["visible-body"],
        id="brief-whose-text-the-extractor-missed",
    ),
    pytest.param(
        page(
            title="Example News",
            main="World",
            visible_text="\n".join([CHROME, *PARAGRAPHS["en"], *PARAGRAPHS["en"]]),
        ),
        "soft404",
        ["thin-text"],
        id="visible-text-without-a-headline-is-no-article",
    ),
    pytest.param(
        replace(
            article("en", "Library extends opening hours", n=0),
            headings=["403", "Library extends opening hours"],
            main_text="The town library will stay open until eight on Tuesdays and Thursdays from next week.",
            paragraph_count=1,
            visible_text=f"{CHROME}\n{LEAKED_TEMPLATE}\nLibrary extends opening hours\nThe town library will "
            "stay open until eight on Tuesdays and Thursdays from next week.",
            template_blocks=frozenset(
                fold(line) for line in [*CHROME.splitlines(), *LEAKED_TEMPLATE.splitlines()]
            ),
        ),
        "soft404",
        ["template-stripped", "thin-text", "url:article"],
        id="template-stripped-then-judged-on-what-remains",
    ),
]

REASON = re.compile(
    r"^(status:\d{3}|(title|h1|text)-phrase:[a-z]{2}|redirect-to-home|thin-text|short-text|full-body|"
    r"phrase-outweighed|noindex|(challenge|captcha):[a-z-]+|consent-wall|paywall|login-form|"
    r"url:(listing|article)|url-shape:listing|link-dense|visible-body|template-stripped|"
    r"probe-match:[01]\.\d\d)$"
)


@pytest.mark.parametrize(("signals", "expected", "reasons"), CASES)
def test_judge(signals: PageSignals, expected: str, reasons: list[str]) -> None:
    verdict = judge(signals)
    assert verdict.name == expected, verdict
    assert set(reasons) <= set(verdict.reasons), verdict
    assert verdict.is_article == (expected == "article")
    assert all(REASON.match(r) for r in verdict.reasons), verdict.reasons
    assert len(verdict.reasons) == len(set(verdict.reasons))


def test_table_covers_languages_and_verdicts() -> None:
    expected = {case.values[1] for case in CASES}
    assert expected == set(VERDICTS)
    assert len(CASES) >= 40
    ids = " ".join(case.id for case in CASES)
    for lang in PARAGRAPHS:
        assert f"{lang}-" in ids


def test_noindex_is_recorded_but_never_decides() -> None:
    full = article("ru", "В Москве начнут строить новую линию метро")
    assert judge(replace(full, noindex=True)) == judge(full)
    gone = page(title="Страница не найдена")
    assert judge(replace(gone, noindex=True)).reasons == [*judge(gone).reasons, "noindex"]


def test_article_body_is_what_outweighs_a_title_phrase() -> None:
    """The same "404" headline is an article with 600 words and a soft 404 without them."""
    about = page(title="Why '404 page not found' errors hurt publishers", main="\n\n".join(ERRORS_ARTICLE))
    assert judge(replace(about, main_text="\n\n".join([*ERRORS_ARTICLE, body("en", 8)]))).name == "article"
    assert judge(replace(about, main_text="", lead_text="")).name == "soft404"


def test_verdict_rejects_unknown_names() -> None:
    with pytest.raises(ValueError, match="unknown verdict"):
        Verdict("removed")
    assert Verdict("article").is_article
    assert not Verdict("listing", ["url:listing"]).is_article


# ----------------------------------------------------------------------------------------- fold


@pytest.mark.parametrize(
    "variant", ["İSTANBUL", "istanbul", "ISTANBUL", "ıstanbul", "İstanbul", "i̇stanbul", "İstanbul".lower()]
)
def test_fold_turkish_i_variants(variant: str) -> None:
    assert fold(variant) == "istanbul"


def test_fold_keeps_turkish_and_azerbaijani_letters() -> None:
    assert fold("ŞİŞLİ ÇĞÖÜ Əli") == "şişli çğöü əli"
    assert fold("İletişim") == fold("ILETIŞIM") == "iletişim"
    assert fold("SAYFA BULUNAMADI") == fold("sayfa bulunamadı")


@pytest.mark.parametrize(
    "variant",
    [
        "الصفحة غير موجودة",
        "الصَّفْحَةُ غَيْرُ مَوْجُودَةٍ",  # harakat
        "الصفحـــة غيـــر موجـــودة",  # tatweel
        "الصفحه غير موجوده",  # ta marbuta written as ha
        "\ufe8d\ufedf\ufebb\ufed4\ufea4\ufe94 غير موجودة",  # presentation forms
    ],
)
def test_fold_arabic_variants(variant: str) -> None:
    assert fold(variant) == "الصفحه غير موجوده"


def test_fold_arabic_letters_and_digits() -> None:
    assert fold("أحمد إبراهيم آمن ٱلله") == fold("احمد ابراهيم امن الله")
    assert fold("مستشفى") == fold("مستشفي")
    assert fold("خطأ ٤٠٤") == "خطا 404"
    assert fold("۴۰۴") == "404"
    assert fold("مؤتمر") != fold("موتمر")  # hamza on waw is spelling, not decoration


def test_fold_punctuation_spaces_and_cyrillic() -> None:
    assert fold("  We’re sorry —\tthe page\u00a0doesn't exist!!  ") == "we re sorry the page doesn t exist"
    assert fold("Ещё ЁЛКА, Йошкар-Ола") == "еще елка йошкар ола"
    assert fold("soft\u00adhyphen zero\u200bwidth") == "softhyphen zerowidth"
    assert fold("ＰＡＧＥ ＮＯＴ ＦＯＵＮＤ") == "page not found"
    assert fold("") == ""


@pytest.mark.parametrize(
    "text", ["Aradığınız SAYFA bulunamadı!", "الصَّفْحَةُ — غَيْرُ", "Страница НЕ найдена", "İ̇ı"]
)
def test_fold_is_idempotent(text: str) -> None:
    assert fold(fold(text)) == fold(text)


def test_contains_phrase_word_boundaries() -> None:
    haystack = fold("Hata 404: aradığınız sayfa bulunamadı. Kod 14045.")
    assert contains_phrase(haystack, fold("Sayfa Bulunamadı"))
    assert contains_phrase(haystack, "404")
    assert contains_phrase(haystack, "14045")
    assert not contains_phrase(haystack, "4045")
    assert not contains_phrase(haystack, "sayfa bulun")
    assert not contains_phrase(fold("hatalı giriş"), "hata")
    assert not contains_phrase(haystack, "")
    assert not contains_phrase("", "404")


# ---------------------------------------------------------------------------------- phrase data


def test_phrase_files_cover_every_language_and_kind() -> None:
    phrases = load_phrases()
    assert set(phrases) == {"en", "tr", "az", "ru", "ar"}
    for lang, kinds in phrases.items():
        assert set(kinds) == set(PHRASE_KINDS), lang
        for kind, entries in kinds.items():
            assert len(entries) >= 10, (lang, kind)
            assert all(e and e.removeprefix("=") == fold(e.removeprefix("=")) for e in entries), (lang, kind)


def test_no_phrase_has_two_kinds() -> None:
    seen: dict[str, tuple[str, str]] = {}
    for lang, kinds in load_phrases().items():
        for kind, entries in kinds.items():
            for entry in entries:
                key = entry.removeprefix("=")
                assert seen.setdefault(key, (lang, kind))[1] == kind, (key, seen[key], (lang, kind))


@pytest.mark.parametrize(
    ("lang", "kind", "phrase"),
    [
        ("en", "soft404", "the page you were looking for doesn't exist"),
        ("en", "soft404", "=404"),
        ("tr", "soft404", "Aradığınız sayfa bulunamadı"),
        ("az", "soft404", "Səhifə tapılmadı"),
        ("az", "soft404", "Axtardığınız səhifə mövcud deyil"),
        ("ru", "soft404", "Запрашиваемая страница не существует"),
        ("ar", "soft404", "الصفحة المطلوبة غير موجودة"),
        ("ar", "soft404", "=عذرا"),
        ("tr", "error", "Sunucu hatası"),
        ("ru", "error", "Ошибка сервера"),
        ("ar", "error", "خطأ في الخادم"),
        ("tr", "error", "=bakım"),
        ("ru", "error", "техническое обслуживание"),
        ("ar", "error", "=صيانة"),
        ("az", "error", "texniki işlər aparılır"),
        ("ru", "blocked", "Доступ запрещён"),
    ],
)
def test_required_phrases_present(lang: str, kind: str, phrase: str) -> None:
    prefix = "=" if phrase.startswith("=") else ""
    assert prefix + fold(phrase.removeprefix("=")) in load_phrases()[lang][kind]


def test_every_phrase_as_a_title_gives_its_kind() -> None:
    """Each phrase alone as the title of an empty page yields its own kind: the data is consistent."""
    for lang, kinds in load_phrases().items():
        for kind, entries in kinds.items():
            for entry in entries:
                verdict = judge(PageSignals(url=ARTICLE_URL, status=200, title=entry.removeprefix("=")))
                assert verdict.name == kind, (lang, entry, verdict)
                assert f"title-phrase:{lang}" in verdict.reasons, (lang, entry, verdict)


def test_heading_only_phrases_never_match_body_text() -> None:
    signals = page(title="Example News", main=PARAGRAPHS["en"][0] + " Oops, 403 and error. Bakım. صيانة")
    verdict = judge(signals)
    assert verdict.name == "article" and verdict.reasons == ["short-text"]


def test_load_phrases_returns_independent_copies() -> None:
    first = load_phrases()
    first["en"]["soft404"].clear()
    assert load_phrases()["en"]["soft404"]


def test_parse_phrases_format_and_errors() -> None:
    parsed = parse_phrases(
        "# comment\n\n[soft404]\nPage NOT found\n=404\npage not found\n[error]\nSunucu Hatası\n"
    )
    assert parsed == {"soft404": ["page not found", "=404"], "error": ["sunucu hatasi"]}
    with pytest.raises(ValueError, match=r"x\.txt:2: unknown section \[gone\]"):
        parse_phrases("# c\n[gone]\nfoo\n", source="x.txt")
    with pytest.raises(ValueError, match="before any"):
        parse_phrases("page not found\n")
    with pytest.raises(ValueError, match="folds to nothing"):
        parse_phrases("[error]\n!!!\n")
