"""MENAFN (menafn.com) as the replica serves it.

What the real site does and the replica reproduces, because each item broke a naive scraper (see the seeds):

* Every story page carries the site's generic error template *before* the story, hidden only by CSS:
  ``403 / Sorry!! / Error! We're sorry, but the page you were looking for doesn't exist.`` The replica hides
  it three ways (inline ``display:none``, the ``hidden`` attribute, a class hidden by a ``<style>`` rule), so
  an extractor must really evaluate hiding rather than match one attribute.
* The body is printed twice, a desktop block and a mobile block (Bootstrap ``d-md-none``); on some pages
  the mobile copy skips the lead paragraph, exactly as in seeds 000 and 001.
* The first paragraph starts with ``(MENAFN)``. That prefix is the outlet's own dateline, so it is part of the
  expected text (kept in ``paragraphs``).
* Dates come as ``date 2025-05-11`` or month first ``3/18/2025 4:12:33 AM``. MENAFN prints UTC; the
  ``MENAFN18032025...`` marker after the body encodes the same day day-first, which is how an ambiguous
  ``4/3/2025`` is settled. Some pages add JSON-LD or ``article:published_time``; some rely on the visible date.
* After the body: the marker line, the "Legal Disclaimer" block, share buttons, a "Comments / No comment"
  widget and related links; around it nav and footer.

The special pages (soft 404s, hard errors, a bot challenge, redirects, a rate limit, a mislabelled charset,
gzip) are listed in ``SPECIAL_PAGES`` below with the reason each exists. Two more encoding cases are stories
(see their ``notes``): an Arabic one in windows-1256 served as ISO-8859-1 (``ARABIC_LEGACY``), and a provider
release whose text the CMS double-encoded (``TEXT_MOJIBAKE``: TÃ¼rkiye, â€œ on a correctly labelled page).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import UTC
from functools import partial
from typing import Any
from urllib.parse import parse_qsl, quote

from crawler.replica.model import GONE_VERDICT, Handler, ReplicaPage, Reply, Request, Site, SiteBuilder
from crawler.replica.render import (
    FeedItem,
    attr,
    block,
    html_handler,
    news_urlset,
    parse_iso,
    plain_reply,
    redirect_reply,
    rss,
    sitemap_index,
    text,
    xml_handler,
)

DOMAIN = "menafn.com"
PREFIX = f"/{DOMAIN}"

HOME = "/"
ARABIC_HOME = "/arabic/"
SEARCH = "/search?q=water"
POLITICS_FEED = "/rss/menafn_politics.xml"
ARABIC_FEED = "/rss/menafn_arabic.xml"
SITEMAP = "/sitemap.xml"
SITEMAP_EN = "/sitemaps/news_en.xml"
SITEMAP_AR = "/sitemaps/news_ar.xml"

# IIS in front of ASP.NET, as on the live site; the spider never needs these, the archive keeps them.
SERVER_HEADERS = (("Server", "Microsoft-IIS/10.0"), ("X-Powered-By", "ASP.NET"), ("Cache-Control", "private"))

ERROR_TEMPLATE_TEXT = "Error! We're sorry, but the page you were looking for doesn't exist."
DISCLAIMER = (
    "MENAFN provides the information “as is” without warranty of any kind. We do not accept any "
    "responsibility or liability for the accuracy, content, images, videos, licenses, completeness, "
    "legality, or reliability of the information contained in this article. If you have any complaints or "
    "copyright issues related to this article, kindly contact the provider above."
)
DISCLAIMER_AR = (
    "تقدم MENAFN المعلومات “كما هي” دون أي ضمان من أي نوع. ولا نتحمل أي مسؤولية عن دقة المعلومات الواردة "
    "في هذا المقال أو محتواها أو صورها أو اكتمالها أو قانونيتها أو موثوقيتها. إذا كانت لديك أي شكوى أو "
    "مسألة تتعلق بحقوق النشر، يرجى التواصل مع المزود أعلاه."
)

# Section key -> (label, stories per listing page). Culture has stories but no listing of its own.
SECTIONS = {"politics": ("Politics", 2), "business": ("Business", 3), "technology": ("Technology", 5)}
SECTION_KEYS = {label: key for key, (label, _) in SECTIONS.items()}


@dataclass(frozen=True)
class Story:
    """One MENAFN story and the template variations its page is served with."""

    story_id: str
    slug: str
    title: str
    section: str
    published: str  # ISO; the catalogue's ``published`` (date only for "date-line" pages)
    paragraphs: tuple[str, ...]
    date_style: str = "month-first"  # "month-first" (3/18/2025 4:12:33 AM) or "date-line" (date 2025-05-11)
    structured_date: str = "none"  # "json-ld", "meta" or "none" (visible date and marker only)
    hide: str = "style"  # how the error template is hidden: "style", "attribute" or "css-class"
    mobile: str = "all"  # what the mobile block repeats: "all" or "skip-lead"
    authors: tuple[str, ...] = ()
    language: str = "en"
    provider: str = "000045017640"
    related: tuple[str, ...] = ()  # story ids
    links: tuple[tuple[str, str], ...] = ()  # (phrase, href): inline links inside the body text
    listed: bool = True
    notes: str = ""
    charset_label: str = "utf-8"  # the Content-Type charset; any other label also drops <meta charset>
    body_encoding: str = "utf-8"  # the bytes really served
    text_mojibake: tuple[str, str] | None = None  # garbled by the CMS: see ReplicaPage.text_mojibake

    @property
    def path(self) -> str:
        if self.language == "ar":
            return f"/arabic/{self.story_id}/{quote(self.slug)}"
        return f"/{self.story_id}/{self.slug}"

    @property
    def marker(self) -> str:
        """MENAFN's tracking line: day-first date of publication, provider code, story id."""
        moment = parse_iso(self.published)
        return f"MENAFN{moment:%d%m%Y}{self.provider}ID{self.story_id}"

    @property
    def visible_date(self) -> str:
        moment = parse_iso(self.published).astimezone(UTC)
        if self.date_style == "date-line":
            return f"date {moment:%Y-%m-%d}"
        hour = moment.hour % 12 or 12
        return f"{moment.month}/{moment.day}/{moment.year} {hour}:{moment:%M:%S} {'AM' if moment.hour < 12 else 'PM'}"


STORIES: tuple[Story, ...] = (
    Story(
        "1109512301",
        "Regional-Ministers-Agree-on-Cross-Border-Water-Sharing-Framework",
        "Regional Ministers Agree on Cross-Border Water Sharing Framework",
        "Politics",
        "2025-03-18T04:12:33+00:00",
        (
            "(MENAFN) Water ministers from four neighbouring countries have agreed on a framework for "
            "sharing the flow of two rivers that cross their borders, ending nearly a decade of stalled "
            "negotiations, according to a joint statement released on Monday.",
            "The framework sets minimum seasonal releases from upstream dams and creates a joint "
            "commission that will meet every quarter to review rainfall data and reservoir levels.",
            "Officials said the agreement does not settle older disputes over historical water rights, "
            "which will be discussed separately in a technical committee due to report within eighteen "
            "months.",
            "“This is the first time we have numbers on paper that every side has signed,” one delegate "
            "told reporters after the closing session, describing the talks as difficult but constructive.",
            "Farmers’ associations in the downstream provinces welcomed the deal, saying that "
            "unpredictable releases during the summer months had cost them a large share of their cotton "
            "and wheat harvests.",
            "Environmental groups were more cautious, arguing that the minimum flows are set too low to "
            "protect wetlands near the river mouth and calling for an independent monitoring body.",
            "The framework must still be ratified by the parliaments of all four countries before it "
            "enters into force, a process the ministers said they hope to complete before the end of the "
            "year.",
        ),
        structured_date="json-ld",
        hide="style",
        mobile="skip-lead",
        related=("1109512367", "1109512525", "1109512512"),
    ),
    Story(
        "1109512318",
        "Central-Bank-Holds-Key-Interest-Rate-Steady-Amid-Cooling-Inflation",
        "Central Bank Holds Key Interest Rate Steady Amid Cooling Inflation",
        "Business",
        "2025-05-11",
        (
            "(MENAFN) The central bank left its benchmark interest rate unchanged at 5.25 percent on "
            "Sunday, pointing to a steady slowdown in consumer prices and a more stable exchange rate over "
            "the past three months.",
            "Annual inflation eased to 3.1 percent in April from 3.6 percent in March, helped by lower "
            "food and transport costs, according to figures published by the national statistics office "
            "last week.",
            "In its statement, the bank's monetary policy committee said it would keep policy “data "
            "dependent” and was prepared to act if price pressures returned.",
            "Economists had widely expected the decision. Most of the analysts surveyed by local media "
            "before the meeting forecast no change until at least the third quarter.",
            "Business groups have urged the bank to begin cutting rates, arguing that borrowing costs "
            "remain a burden for small manufacturers and construction firms.",
            "The committee is scheduled to meet again in July, when it will also publish updated forecasts "
            "for growth and inflation.",
        ),
        date_style="date-line",
        hide="attribute",
        mobile="all",
        related=("1109512342", "1109512490"),
        links=(("national statistics office", f"{PREFIX}/qn_news_list.aspx?src=business&page=1"),),
    ),
    Story(
        "1109512342",
        "Port-Authority-Reports-Record-Container-Volumes-in-First-Quarter",
        "Port Authority Reports Record Container Volumes in First Quarter",
        "Business",
        "2025-04-09T10:47:05+00:00",
        (
            "(MENAFN) The country's main port handled a record 1.42 million twenty-foot equivalent units "
            "in the first three months of the year, up 11 percent from the same period last year, the port "
            "authority said on Wednesday.",
            "Transshipment cargo accounted for most of the increase, as shipping lines rerouted services "
            "and used the port as a regional hub for smaller feeder vessels.",
            "The authority said average waiting times for ships at anchor fell to under a day after two "
            "new quay cranes entered service in February.",
            "Import volumes of consumer goods also rose, while exports of building materials were broadly "
            "flat compared with the first quarter of last year.",
            "Port officials said a third berth at the eastern terminal is on schedule to open next spring "
            "and will add capacity for about 600,000 containers a year.",
            "Logistics companies warned, however, that congestion on the access roads around the port is "
            "becoming a bottleneck and called for faster work on a planned rail link.",
        ),
        structured_date="meta",
        hide="css-class",
        mobile="skip-lead",
        related=("1109512458", "1109512490"),
    ),
    Story(
        "1109512367",
        "Parliament-Debates-New-Rules-for-Election-Campaign-Spending",
        "Parliament Debates New Rules for Election Campaign Spending",
        "Politics",
        "2025-05-06",
        (
            "(MENAFN) Lawmakers began debating a draft law on Tuesday that would cap how much candidates "
            "and parties can spend on election campaigns and require them to publish their donors online "
            "within thirty days.",
            "The bill, submitted by a cross-party committee, would also ban anonymous donations above a "
            "small threshold and oblige broadcasters to report the price they charge for political "
            "advertising.",
            "Supporters said the measures would make elections fairer for independent candidates, who "
            "often struggle to match the budgets of established parties.",
            "Several opposition members objected to the proposed spending cap, saying it was set so low "
            "that it would favour incumbents who already enjoy media attention.",
            "The electoral commission, which would enforce the new rules, asked parliament for additional "
            "staff and a dedicated budget to audit campaign accounts.",
            "A first vote on the bill is expected next week, with a final reading planned before the "
            "summer recess.",
        ),
        date_style="date-line",
        hide="style",
        mobile="all",
        authors=("Sara Haddad",),
        related=("1109512525", "1109512301"),
    ),
    Story(
        "1109512389",
        "Solar-Farm-Project-Breaks-Ground-in-Desert-Region",
        "Solar Farm Project Breaks Ground in Desert Region",
        "Business",
        "2025-04-03T05:58:12+00:00",
        (
            "(MENAFN) Work has started on a 500-megawatt solar farm in the southern desert region, one of "
            "the largest renewable energy projects in the country, the energy ministry said.",
            "The plant will cover an area of about ten square kilometres and is expected to supply "
            "electricity to around 180,000 homes once it is fully operational in 2027.",
            "The project is being developed by a consortium of local and foreign investors under a 25-year "
            "power purchase agreement with the state utility.",
            "Engineers plan to use robots to clean the panels at night, reducing the amount of water "
            "needed in an area where sandstorms are frequent.",
            "The ministry said the project will create about 1,200 jobs during construction and around 100 "
            "permanent positions afterwards.",
            "The government aims to generate a third of the country's electricity from renewable sources "
            "by the end of the decade.",
        ),
        hide="style",
        mobile="all",
        related=("1109512476", "1109512342"),
        notes="Only date source is the visible month-first 4/3/2025 (3 April); the marker MENAFN03042025 confirms.",
    ),
    Story(
        "1109512404",
        "Why-Websites-Still-Show-404-Page-Not-Found-Errors",
        "Why Websites Still Show ‘404 Page Not Found’ Errors, and What Site Owners Can Do",
        "Technology",
        "2025-04-30T16:20:00+00:00",
        (
            "(MENAFN) Almost every internet user has seen it: a blank page with the words “404 Page Not "
            "Found” or “Sorry, the page you were looking for doesn't exist.” Web developers say the "
            "message is still one of the most common errors online, even on large news and shopping sites.",
            "The number comes from the status codes that web servers send with every page. A code of 200 "
            "means the request succeeded, while 404 tells the browser that nothing exists at that address.",
            "Pages usually disappear because they were moved or deleted without a redirect, or because "
            "another site linked to an address with a typing mistake.",
            "A subtler problem is the so-called soft 404, in which a server shows an error message to "
            "readers but reports a normal 200 code to search engines, which may then keep the empty page "
            "in their results.",
            "Specialists recommend that site owners return a real 404 or 410 code for missing pages, add "
            "permanent redirects when content moves, and regularly check their own links for errors.",
            "A helpful error page can also keep visitors on the site by offering a search box and links to "
            "popular sections instead of a dead end.",
            "Archivists add that broken links are a major reason why preserving web pages matters: studies "
            "of news sites have found that a large share of links in older articles no longer work.",
        ),
        structured_date="json-ld",
        hide="attribute",
        mobile="all",
        related=("1109512458",),
        links=(("soft 404", "https://en.wikipedia.org/wiki/HTTP_404#Soft_404_errors"),),
        notes="A real article about 404 errors: its words must not make it a soft 404.",
    ),
    Story(
        "1109512433",
        "Caf-Owners-in-the-Old-Quarter-Embrace-Digital-Payments",
        "Café Owners in the Old Quarter Embrace Digital Payments",
        "Business",
        "2025-04-14",
        (
            "(MENAFN) Café owners in the city’s old quarter say most of their customers now pay by card or "
            "phone, a shift that was almost unthinkable five years ago when cash was the rule in the "
            "narrow lanes around the spice market.",
            "“Tourists ask for contactless first, and now my regulars do too,” said the owner of a small "
            "café near the clock tower, who has served coffee and pastries there for nineteen years.",
            "A survey by the local chamber of commerce found that 68 percent of small food businesses in "
            "the district accepted digital payments last year, up from 21 percent in 2020.",
            "Owners cited lower transaction fees and a government rebate on card terminals as the main "
            "reasons for the change.",
            "Some older residents still prefer cash, and several cafés keep a “cash only” corner for "
            "customers who do not use banking apps.",
            "The municipality plans to offer free Wi-Fi in the quarter’s main squares next year, which "
            "business owners hope will make payments faster during busy evenings.",
        ),
        date_style="date-line",
        hide="style",
        mobile="skip-lead",
        related=("1109512318",),
        notes="UTF-8 bytes served as 'charset=windows-1252' and no <meta charset>: decoding by the label "
        "gives mojibake (CafÃ©, â€œ).",
        charset_label="windows-1252",
    ),
    Story(
        "1109512458",
        "Airline-Adds-Direct-Routes-to-Three-Central-Asian-Capitals",
        "Airline Adds Direct Routes to Three Central Asian Capitals",
        "Business",
        "2025-05-02T09:15:27+00:00",
        (
            "(MENAFN) The national airline will launch direct flights to three Central Asian capitals from "
            "June, expanding its network as demand for business and leisure travel to the region grows.",
            "The new routes will operate three times a week using narrow-body aircraft, with connections "
            "to the carrier's existing services in Europe and South Asia.",
            "The airline said bookings for the first month were already strong, particularly among traders "
            "and students travelling between the regions.",
            "Tourism officials in the destination countries welcomed the announcement, saying direct links "
            "could shorten journey times by several hours compared with routes via larger hubs.",
            "The carrier has added eleven destinations in the past two years and plans to take delivery of "
            "four new aircraft before the end of the year.",
            "Fares for the launch period start at a promotional price that includes one checked bag, the "
            "airline said in a statement.",
        ),
        structured_date="meta",
        hide="css-class",
        mobile="all",
        related=("1109512342", "1109512404"),
        notes="Sent with Content-Encoding: gzip when the request accepts gzip.",
    ),
    Story(
        "1109512476",
        "Desalination-Plant-Expansion-Set-to-Double-Output",
        "Desalination Plant Expansion Set to Double Output",
        "Politics",
        "2025-04-22T13:05:41+00:00",
        (
            "(MENAFN) The government has approved a plan to expand the coastal desalination plant that "
            "supplies the capital, a project officials say will double its daily output of drinking water "
            "by 2028.",
            "The expansion will add two reverse-osmosis units and a solar array that is expected to cover "
            "about a third of the plant's electricity needs during the day.",
            "The utility said demand for water in the capital has grown by roughly four percent a year, "
            "driven by new housing districts and hotter summers.",
            "Construction is due to start in the autumn after the tender for the main contract closes in "
            "August.",
            "Environmental engineers said the plant's new outfall pipes will spread the brine discharge "
            "over a wider area to reduce its impact on marine life near the shore.",
            "The project will be financed through a mix of public funds and a loan from a regional "
            "development bank, according to the finance ministry.",
        ),
        structured_date="json-ld",
        hide="style",
        mobile="skip-lead",
        related=("1109512301", "1109512389"),
        notes="Final URL of a 302 from its first address (MOVED_FROM).",
    ),
    Story(
        "1109512490",
        "Textile-Exporters-Seek-New-Markets-as-Freight-Costs-Ease",
        "Textile Exporters Seek New Markets as Freight Costs Ease",
        "Business",
        "2025-05-15",
        (
            "(MENAFN) Textile exporters are turning to new markets in Africa and Latin America as freight "
            "rates fall from last year's highs, industry representatives said at a trade fair on Thursday.",
            "The exporters' association said shipments outside the country's traditional European "
            "customers rose by 14 percent in the first four months of the year.",
            "Lower container prices have made longer routes profitable again for mid-sized companies that "
            "produce cotton fabrics and ready-made garments.",
            "Manufacturers also reported rising orders for recycled fabrics, which some buyers now require "
            "as part of their sustainability targets.",
            "However, energy costs and a shortage of skilled machine operators continue to weigh on the "
            "sector, according to the association's quarterly survey.",
            "The association plans to lead trade missions to four new countries before the end of the "
            "year, with support from the export promotion agency.",
        ),
        date_style="date-line",
        hide="style",
        mobile="skip-lead",
        related=("1109512342", "1109512318"),
        notes="The first request per server instance answers 429 with Retry-After: 1, later ones the article.",
    ),
    Story(
        "1109512512",
        "Museum-Reopens-After-Three-Year-Restoration",
        "Museum Reopens After Three-Year Restoration",
        "Culture",
        "2025-05-18",
        (
            "(MENAFN) The national history museum reopened its doors on Saturday after a three-year "
            "restoration that repaired its century-old roof and rebuilt the galleries around a new "
            "chronological route.",
            "Visitors queued from early morning to see the reopened halls, which display more than 4,000 "
            "objects, a quarter of them shown to the public for the first time.",
            "Conservators restored painted ceilings in the main hall that had been damaged by leaks, using "
            "photographs from the 1930s to match the original colours.",
            "The museum has also added ramps and lifts, making all floors accessible to wheelchair users "
            "for the first time since the building opened.",
            "Entry will be free for students and residents over 65, and the museum will stay open until 9 "
            "pm on Thursdays.",
            "Curators said the next phase will focus on digitising the archive so that researchers can "
            "consult documents online.",
        ),
        date_style="date-line",
        hide="attribute",
        mobile="all",
        related=("1109512301",),
        listed=False,
        notes="Not in any feed, sitemap or section: reachable only through related-article links.",
    ),
    Story(
        "1109512525",
        "Municipal-Councils-Gain-New-Powers-Under-Decentralisation-Law",
        "Municipal Councils Gain New Powers Under Decentralisation Law",
        "Politics",
        "2025-05-20T07:30:00+00:00",
        (
            "(MENAFN) Municipal councils will be able to set local fees, approve building permits and "
            "manage primary school maintenance under a decentralisation law that came into force on "
            "Tuesday.",
            "The law transfers about a tenth of the national infrastructure budget to municipalities, "
            "distributed according to population and a formula that favours rural districts.",
            "Mayors have long complained that they are held responsible for potholes and water cuts while "
            "every decision has to be approved in the capital.",
            "The interior ministry said it will train council staff in procurement and financial reporting "
            "over the coming months before the first transfers are made in September.",
            "Critics warned that smaller councils lack the technical staff to manage large projects and "
            "asked for a review of the law after two years.",
            "Local elections are due next spring, and several parties have already said they will campaign "
            "on how they plan to use the new powers.",
        ),
        structured_date="json-ld",
        hide="attribute",
        mobile="skip-lead",
        related=("1109512367", "1109512547"),
    ),
    Story(
        "1109512547",
        "Foreign-Ministers-Call-for-Renewed-Talks-on-Shipping-Lane-Security",
        "Foreign Ministers Call for Renewed Talks on Shipping Lane Security",
        "Politics",
        "2025-05-27",
        (
            "(MENAFN) Foreign ministers from coastal states in the region called on Monday for a new "
            "round of talks on protecting commercial shipping lanes, after a series of incidents involving "
            "cargo vessels in recent weeks.",
            "In a joint communique issued after a one-day meeting, the ministers proposed a shared "
            "information centre that would track suspicious activity and coordinate responses between "
            "national coast guards.",
            "They also asked shipping companies to report incidents more quickly, noting that some attacks "
            "had only become known days after they took place.",
            "Insurance premiums for vessels crossing the area have risen sharply this year, adding to "
            "freight costs for importers and exporters.",
            "Officials said a technical working group will meet next month to draft the rules for the "
            "information centre, including how data will be shared.",
            "The ministers agreed to meet again in the autumn to review progress.",
        ),
        date_style="date-line",
        hide="css-class",
        mobile="all",
        related=("1109512301", "1109512525"),
    ),
    Story(
        "1109512561",
        "Trkiye-and-Gulf-States-Sign-12-Billion-Logistics-Corridor-Deal",
        "Türkiye and Gulf States Sign €1.2 Billion Logistics Corridor Deal",
        "Business",
        "2025-04-17T07:45:00+00:00",
        (
            "(MENAFN) Türkiye and three Gulf states have signed an agreement to build a logistics corridor "
            "linking the port of Mersin with rail terminals in İskenderun and Gaziantep, officials said on "
            "Thursday.",
            "The €1.2 billion project, financed by a consortium of regional banks, is meant to cut transit "
            "times for containers travelling between the Gulf and Europe by up to four days.",
            "“This corridor turns Türkiye’s southern coast into a gateway for Gulf trade,” the transport "
            "minister said at the signing ceremony in İstanbul.",
            "Under the deal, customs checks will move to a single inspection point – a change that exporters "
            "have requested for years – and freight trains will run on a fixed daily timetable.",
            "Logistics companies welcomed the plan but warned that the rail link to Gaziantep needs a second "
            "track before volumes can double…",
            "Construction of the first terminal is due to begin in September, with the corridor expected to "
            "open in stages from 2027.",
        ),
        structured_date="json-ld",
        hide="attribute",
        mobile="skip-lead",
        related=("1109512342", "1109512458"),
        notes="A provider's release double-encoded by the CMS: UTF-8 text read back as windows-1252 and "
        "stored again as UTF-8, so the page (correctly labelled UTF-8) shows TÃ¼rkiye, â€œ…â€\\x9d, â‚¬.",
        text_mojibake=("utf-8", "windows-1252"),
    ),
    # Arabic stories: same template, right to left, Arabic chrome around the body.
    Story(
        "1109600101",
        "استقرار-أسعار-النفط-مع-ترقب-بيانات-المخزونات",
        "استقرار أسعار النفط مع ترقب الأسواق لبيانات المخزونات",
        "اقتصاد",
        "2025-05-12T08:40:00+00:00",
        (
            "(MENAFN) استقرت أسعار النفط في تعاملات يوم الاثنين، في وقت يترقب فيه المستثمرون صدور بيانات "
            "المخزونات الأسبوعية لمعرفة اتجاه الطلب خلال الأشهر المقبلة.",
            "وتراجع خام برنت بنسبة طفيفة في بداية الجلسة قبل أن يعوض خسائره، بينما تحرك الخام الأمريكي في "
            "نطاق ضيق.",
            "ويرى محللون أن الأسواق تتوازن بين المخاوف من تباطؤ النمو الاقتصادي والتوقعات بارتفاع استهلاك "
            "الوقود خلال موسم الصيف.",
            "وأشار تقرير صادر عن إحدى شركات الوساطة إلى أن المخزونات التجارية انخفضت للأسبوع الثالث على "
            "التوالي، وهو ما يدعم الأسعار على المدى القصير.",
            "في المقابل، قال متعاملون إن زيادة الإنتاج في عدد من الدول المنتجة قد تحد من أي ارتفاع كبير في "
            "الأسعار.",
            "ومن المتوقع أن تتضح الصورة أكثر بعد صدور بيانات التضخم الأمريكية في وقت لاحق من الأسبوع.",
        ),
        structured_date="json-ld",
        hide="style",
        mobile="skip-lead",
        language="ar",
        provider="000045017167",
        related=("1109600124", "1109600150"),
        notes="Arabic slug: the path is percent-encoded UTF-8.",
    ),
    Story(
        "1109600124",
        "Book-Fair-Draws-Record-Visitors",
        "معرض الكتاب يستقطب عدداً قياسياً من الزوار",
        "ثقافة",
        "2025-05-04",
        (
            "(MENAFN) اختتم معرض الكتاب الدولي دورته هذا العام بعدد قياسي من الزوار تجاوز نصف مليون زائر "
            "على مدى عشرة أيام، وفق ما أعلنته اللجنة المنظمة.",
            "وشارك في المعرض أكثر من ثمانمئة دار نشر من ثلاثين دولة، عرضت عناوين في الأدب والتاريخ والعلوم "
            "وكتب الأطفال.",
            "وشهدت أجنحة كتب الأطفال إقبالاً كبيراً، إذ نظمت ورش للقراءة والرسم يومياً بمشاركة مدارس من "
            "مختلف المحافظات.",
            "وقال ناشرون إن المبيعات ارتفعت مقارنة بالعام الماضي، خصوصاً في الروايات المترجمة والكتب الرقمية.",
            "كما تضمن البرنامج الثقافي ندوات حول مستقبل النشر وحقوق المؤلفين في العصر الرقمي.",
            "وأعلنت اللجنة المنظمة أن الدورة المقبلة ستقام في موعدها المعتاد في فصل الربيع.",
        ),
        date_style="date-line",
        hide="attribute",
        mobile="all",
        language="ar",
        provider="000045017167",
        related=("1109600101",),
    ),
    Story(
        "1109600150",
        "Heavy-Rainfall-Raises-Dam-Reservoir-Levels",
        "أمطار غزيرة ترفع منسوب المياه في السدود",
        "محليات",
        "2025-03-27T18:22:10+00:00",
        (
            "(MENAFN) أعلنت وزارة الزراعة أن الأمطار الغزيرة التي هطلت خلال الأسبوعين الماضيين رفعت منسوب "
            "المياه في السدود الرئيسية إلى أعلى مستوى منذ خمس سنوات.",
            "وبلغت نسبة امتلاء السدود نحو سبعين في المئة، مقارنة بأقل من أربعين في المئة في الفترة نفسها "
            "من العام الماضي.",
            "وقال مسؤولون إن هذه الكميات ستساعد على تأمين مياه الري للموسم الزراعي الصيفي وتخفيف الضغط على "
            "المياه الجوفية.",
            "في المقابل، تسببت الأمطار في إغلاق عدد من الطرق الريفية مؤقتاً، وعملت فرق الدفاع المدني على "
            "فتحها خلال ساعات.",
            "ودعت الأرصاد الجوية المواطنين إلى توخي الحذر مع توقع هطول أمطار متفرقة حتى نهاية الأسبوع.",
        ),
        hide="css-class",
        mobile="skip-lead",
        language="ar",
        provider="000045017167",
        related=("1109600124",),
    ),
    Story(
        "1109600177",
        "Gold-Prices-Hit-New-Record-High",
        "ارتفاع أسعار الذهب إلى مستوى قياسي جديد",
        "اقتصاد",
        "2025-05-07T09:10:00+00:00",
        (
            "(MENAFN) ارتفعت أسعار الذهب في تعاملات يوم الأربعاء إلى مستوى قياسي جديد، مدعومة بتراجع الدولار "
            "وزيادة الطلب على الملاذات الآمنة.",
            "وقال متعاملون في أسواق الخليج إن الإقبال على شراء السبائك والمشغولات الذهبية ازداد خلال الأسبوع "
            "الماضي رغم ارتفاع الأسعار.",
            "ويرى محللون أن البنوك المركزية تواصل شراء الذهب لتنويع احتياطياتها، وهو ما يدعم الأسعار على "
            "المدى المتوسط.",
            "في المقابل، حذّر خبراء من أن أي ارتفاع مفاجئ في أسعار الفائدة قد يدفع المستثمرين إلى جني الأرباح؟",
            "وسجلت أسعار الفضة والبلاتين أيضاً مكاسب ملحوظة، في حين استقرت أسعار النحاس.",
            "ومن المنتظر أن تصدر بيانات الوظائف الأمريكية يوم الجمعة، وهي بيانات يتابعها المستثمرون عن كثب.",
        ),
        hide="attribute",
        mobile="all",
        language="ar",
        provider="000045017167",
        related=("1109600101",),
        notes="A legacy Arabic story in windows-1256 bytes, served as 'charset=iso-8859-1' (the IIS default) "
        "without <meta charset>: decoding by the label gives ÇÑÊÝÇÚ for ارتفاع.",
        charset_label="iso-8859-1",
        body_encoding="windows-1256",
    ),
)

BY_ID = {story.story_id: story for story in STORIES}

# Special pages: paths (under the domain) and what each one is for.
SOFT404_EN = (
    "/1109512999/Ministers-Meet-to-Discuss-Trade-Corridor"  # 200 + visible error text, linked from RSS
)
SOFT404_AR = (
    "/arabic/1109600199/Ministry-Announces-New-Bus-Routes"  # 200 + الصفحة غير موجودة, linked from RSS
)
HARD_404 = "/1109000000/Story-That-Never-Existed"  # 404, the page every unknown path gets
GONE = "/1109400001/Withdrawn-Press-Release-on-Bond-Issue"  # 410, still in the sitemap
SERVER_ERROR = "/1109400002/Stock-Market-Closes-Higher-on-Bank-Shares"  # 500 ASP.NET error page, in sitemap
BLOCKED = "/1109400003/Exclusive-Interview-with-Trade-Envoy"  # 403 bot challenge, linked from RSS
REMOVED = "/1109400004/Gulf-Trade-Expo-Postponed"  # 301 to the home page, in sitemap
MOVED_FROM = "/1109512470/Desalination-Plant-Expansion-Planned"  # 302 to MOVED_TO, linked from RSS
MOVED_TO = BY_ID["1109512476"].path
RATE_LIMITED = BY_ID["1109512490"].path
MISLABELLED = BY_ID["1109512433"].path
GZIPPED = BY_ID["1109512458"].path
TEXT_MOJIBAKE = BY_ID["1109512561"].path
ARABIC_LEGACY = BY_ID["1109600177"].path
ABOUT_404 = BY_ID["1109512404"].path

# Dead or moved links still carried by feeds and sitemaps: path -> (title, date) as the feed shows them.
DEAD_LINKS = {
    SOFT404_EN: ("Ministers Meet to Discuss Trade Corridor", "2025-05-21T06:10:00+00:00"),
    SOFT404_AR: ("الوزارة تعلن عن خطوط حافلات جديدة", "2025-05-09T11:00:00+00:00"),
    GONE: ("Withdrawn Press Release on Bond Issue", "2025-03-30T12:00:00+00:00"),
    SERVER_ERROR: ("Stock Market Closes Higher on Bank Shares", "2025-05-19T14:45:00+00:00"),
    BLOCKED: ("Exclusive Interview with Trade Envoy", "2025-05-23T09:30:00+00:00"),
    REMOVED: ("Gulf Trade Expo Postponed", "2025-03-25T08:00:00+00:00"),
    MOVED_FROM: ("Desalination Plant Expansion Planned", "2025-04-22T13:05:41+00:00"),
}

POLITICS_FEED_PATHS = (
    *(s.path for s in STORIES if s.section == "Politics" and s.path != MOVED_TO),
    MOVED_FROM,
    SOFT404_EN,
    BLOCKED,
)
ARABIC_FEED_PATHS = (*(s.path for s in STORIES if s.language == "ar"), SOFT404_AR)
SITEMAP_EN_PATHS = (
    *(s.path for s in STORIES if s.language == "en" and s.listed),
    GONE,
    SERVER_ERROR,
    REMOVED,
)
SITEMAP_AR_PATHS = tuple(s.path for s in STORIES if s.language == "ar")

# A story published between two crawls (`newsarchive run` is incremental: its second run must fetch it and
# no old story). It is not a catalogue page, so that the catalogue keeps listing exactly what the feeds and
# sitemaps list on a server where nothing was published: it answers 404 until PUBLISH_PATH is requested on a
# server, then is served as an article and listed first in the English news sitemap. LATE_PAGE (listed=False)
# is what a crawl must extract from it.
PUBLISH_PATH = "/_control/publish"
PUBLISH_KEY = f"{DOMAIN}{PUBLISH_PATH}"
LATE_STORY = Story(
    "1109512600",
    "Airport-Opens-Second-Runway-to-Cut-Delays",
    "Airport Opens Second Runway to Cut Delays",
    "Business",
    "2025-05-28T06:15:00+00:00",
    (
        "(MENAFN) The main international airport opened its second runway on Wednesday, a project the "
        "aviation authority says will cut average departure delays by a third.",
        "The new runway can handle wide-body aircraft and raises the airport's capacity to about 60 "
        "movements an hour, up from 38.",
        "Airlines had complained for years about holding patterns during the evening peak, when most "
        "long-haul flights leave for Europe and Asia.",
        "The authority said noise barriers were built along two nearby villages and that night flights on "
        "the new runway will be limited.",
        "A third terminal, planned for 2028, is still waiting for financing.",
    ),
    structured_date="json-ld",
    hide="style",
    mobile="all",
    related=("1109512342",),
    listed=False,
    notes=f"Published once {PREFIX}{PUBLISH_PATH} is requested on a server (404 before); then first in "
    f"{PREFIX}{SITEMAP_EN}. Not a catalogue page: see LATE_PAGE.",
)


# --- page chrome ----------------------------------------------------------------------------------------


def _listing_href(section: str, page: int) -> str:
    return f"{PREFIX}/qn_news_list.aspx?src={section}&page={page}"


def _head(title: str, *, language: str, extra: str = "", style: str = "", meta_charset: bool = True) -> str:
    direction = "rtl" if language == "ar" else "ltr"
    charset = '<meta charset="utf-8">\n' if meta_charset else ""
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{language}" dir="{direction}">\n<head>\n{charset}'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{text(title)}</title>\n"
        f'<link rel="alternate" type="application/rss+xml" title="MENAFN Politics" href="{PREFIX}{POLITICS_FEED}">\n'
        f"{extra}"
        "<style>\nbody{font-family:Arial,Helvetica,sans-serif;margin:0}.d-none{display:none}"
        ".d-block{display:block}@media (min-width:768px){.d-md-block{display:block}.d-md-none{display:none}}\n"
        f"{style}</style>\n"
        "<script>window.googletag=window.googletag||{cmd:[]};var menafnAds={slot:'story-top'};</script>\n"
        "</head>\n"
    )


def _header(language: str) -> str:
    arabic = language == "ar"
    home, search = ("الرئيسية", "بحث") if arabic else ("Home", "Search")
    items = [f'<li><a href="{PREFIX}/">{home}</a></li>']
    items += [
        f'<li><a href="{attr(_listing_href(key, 1))}">{label}</a></li>'
        for key, (label, _) in SECTIONS.items()
    ]
    items.append(f'<li><a href="{PREFIX}{ARABIC_HOME}">العربية</a></li>')
    nav = "\n    ".join(items)
    return (
        '<header class="site-header">\n'
        f'  <div class="top-bar"><a class="logo" href="{PREFIX}/">MENAFN</a>\n'
        f'    <form class="search" action="{PREFIX}/search" method="get">'
        f'<input type="text" name="q" placeholder="{search}"><button type="submit">{search}</button></form>\n'
        "  </div>\n"
        f'  <nav class="main-nav"><ul>\n    {nav}\n  </ul></nav>\n'
        "</header>\n"
    )


def _footer() -> str:
    return (
        '<footer class="site-footer">\n'
        f'  <ul><li><a href="{PREFIX}{POLITICS_FEED}">RSS</a></li>'
        f'<li><a href="{PREFIX}{SITEMAP}">Sitemap</a></li></ul>\n'
        "  <p>© 2025 MENAFN. All Rights Reserved.</p>\n"
        "</footer>\n"
        "<script>googletag.cmd.push(function(){/* display slots */});</script>\n"
        "</body>\n</html>\n"
    )


def _error_template(hide: str) -> str:
    opening = {
        "style": '<div class="error-template" style="display:none">',
        "attribute": '<div class="error-template" hidden>',
        "css-class": '<div class="error-template err-hide">',
    }[hide]
    return (
        f"  {opening}\n"
        "    <h1>403</h1>\n"
        "    <h2>Sorry!!</h2>\n"
        f'    <div class="error-details">{text(ERROR_TEMPLATE_TEXT)}</div>\n'
        "  </div>\n"
    )


def _structured_date(story: Story) -> str:
    canonical = f"{PREFIX}{story.path}"
    if story.structured_date == "meta":
        return (
            f'<meta property="article:published_time" content="{story.published}">\n'
            f'<meta property="article:section" content="{attr(story.section)}">\n'
        )
    if story.structured_date == "json-ld":
        data: dict[str, object] = {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": story.title,
            "datePublished": story.published,
            "dateModified": story.published,
            "articleSection": story.section,
            "inLanguage": story.language,
            "mainEntityOfPage": canonical,
            "publisher": {"@type": "Organization", "name": "MENAFN"},
        }
        if story.authors:
            data["author"] = [{"@type": "Person", "name": name} for name in story.authors]
        payload = json.dumps(data, ensure_ascii=False).replace("</", "<\\/")
        return f'<script type="application/ld+json">{payload}</script>\n'
    return ""


def _article_html(story: Story, *, meta_charset: bool = True) -> str:
    arabic = story.language == "ar"
    canonical = f"{PREFIX}{story.path}"
    description = story.paragraphs[0][:157].rsplit(" ", 1)[0] + "..."
    head_extra = (
        f'<meta name="description" content="{attr(description)}">\n'
        '<meta property="og:site_name" content="MENAFN">\n<meta property="og:type" content="article">\n'
        f'<meta property="og:title" content="{attr(story.title)}">\n'
        f'<link rel="canonical" href="{attr(canonical)}">\n{_structured_date(story)}'
    )
    style = ".err-hide{display:none!important}\n" if story.hide == "css-class" else ""
    section_key = SECTION_KEYS.get(story.section)
    section_href = (
        _listing_href(section_key, 1) if section_key else f"{PREFIX}{ARABIC_HOME if arabic else '/'}"
    )
    home = "الرئيسية" if arabic else "Home"
    author = ""
    if story.authors:
        author = f'    <div class="story-author">Author: {text(", ".join(story.authors))}</div>\n'
    mobile = story.paragraphs[1:] if story.mobile == "skip-lead" else story.paragraphs
    if arabic:
        disclaimer = f"<strong>إخلاء المسؤولية القانونية:</strong><br>\n    {text(DISCLAIMER_AR)}"
        comments, no_comment, share, related_title = "التعليقات", "لا يوجد تعليق", "شارك", "مقالات ذات صلة"
    else:
        # Wrapped like the live page's source, which is why seed 000 shows the disclaimer in broken lines.
        wrapped = text(DISCLAIMER).replace("the information", "the\n    information", 1)
        disclaimer = f"<strong>Legal Disclaimer:</strong><br>\n    {wrapped}"
        comments, no_comment, share, related_title = "Comments", "No comment", "Share", "Related Articles"
    real = quote(f"https://{DOMAIN}{story.path}", safe="")
    related = "\n".join(
        f'    <li><a href="{attr(PREFIX + BY_ID[rid].path)}">{text(BY_ID[rid].title)}</a></li>'
        for rid in story.related
    )
    return (
        _head(
            f"{story.title} | MENAFN.COM",
            language=story.language,
            extra=head_extra,
            style=style,
            meta_charset=meta_charset,
        )
        + f'<body class="story-page">\n{_header(story.language)}<div class="container">\n'
        f'  <div class="story-meta-top"><span class="story-date">{story.visible_date}</span></div>\n'
        + _error_template(story.hide)
        + '  <article class="story">\n'
        f'    <ol class="breadcrumb"><li><a href="{PREFIX}/">{home}</a></li>'
        f'<li><a href="{attr(section_href)}">{text(story.section)}</a></li></ol>\n'
        f'    <h1 class="story-title">{text(story.title)}</h1>\n'
        f"{author}"
        '    <div class="ad-slot" id="div-gpt-ad-story-top"><span class="ad-label">Advertisement</span></div>\n'
        '    <div class="story-body d-none d-md-block" id="desktop-story">\n'
        f"{block(story.paragraphs, links=dict(story.links))}\n"
        f'      <p class="story-marker">{story.marker}</p>\n'
        "    </div>\n"
        '    <div class="story-body-mobile d-block d-md-none" id="mobile-story">\n'
        f"{block(mobile, links=dict(story.links))}\n"
        "    </div>\n"
        f'    <div class="legal-disclaimer">{disclaimer}</div>\n'
        f'    <div class="share-buttons"><span>{share}</span>\n'
        f'      <a href="https://www.facebook.com/sharer/sharer.php?u={real}">Facebook</a>\n'
        f'      <a href="https://twitter.com/intent/tweet?url={real}">X</a>\n'
        f'      <a href="https://www.linkedin.com/sharing/share-offsite/?url={real}">LinkedIn</a>\n'
        f'      <a href="{PREFIX}/qn_print.aspx?storyid={story.story_id}" rel="nofollow">Print</a>\n'
        "    </div>\n"
        f'    <div class="comments-box"><h4>{comments}</h4><div class="no-comment">{no_comment}</div></div>\n'
        "  </article>\n"
        f'  <aside class="related"><h3>{related_title}</h3>\n  <ul>\n{related}\n  </ul></aside>\n'
        "</div>\n" + _footer()
    )


def _teaser(story: Story) -> str:
    lead = story.paragraphs[0]
    return lead if len(lead) <= 140 else lead[:140].rsplit(" ", 1)[0] + "..."


def _story_list(stories: list[Story]) -> str:
    return "\n".join(
        '    <div class="news-item">\n'
        f'      <a href="{attr(PREFIX + s.path)}"><h3>{text(s.title)}</h3></a>\n'
        f'      <span class="date">{s.visible_date}</span>\n'
        f'      <p class="teaser">{text(_teaser(s))}</p>\n'
        "    </div>"
        for s in stories
    )


def _newest_first(stories: list[Story]) -> list[Story]:
    return sorted(stories, key=lambda s: parse_iso(s.published), reverse=True)


def _listing_html(
    title: str, heading: str, stories: list[Story], *, language: str = "en", pager: str = ""
) -> str:
    return (
        _head(title, language=language)
        + f'<body class="list-page">\n{_header(language)}<div class="container">\n'
        f'  <h1 class="list-title">{text(heading)}</h1>\n'
        f'  <div class="news-list">\n{_story_list(stories)}\n  </div>\n{pager}'
        "</div>\n" + _footer()
    )


def _pager(section: str, page: int, pages: int) -> str:
    links = [
        f'<li class="{"active" if n == page else "page"}"><a href="{attr(_listing_href(section, n))}">{n}</a></li>'
        for n in range(1, pages + 1)
    ]
    if page < pages:
        links.append(f'<li><a rel="next" href="{attr(_listing_href(section, page + 1))}">Next »</a></li>')
    return f'  <ul class="pagination">{"".join(links)}</ul>\n'


def _error_page(title: str, heading: str, message: str, *, subheading: str = "", language: str = "en") -> str:
    """The site's visible error template (the same markup that every story page carries hidden)."""
    go_home = "العودة إلى الصفحة الرئيسية" if language == "ar" else "Take Me Home"
    second = f"    <h2>{text(subheading)}</h2>\n" if subheading else ""
    return (
        _head(title, language=language)
        + f'<body class="error-page">\n{_header(language)}<div class="container">\n'
        '  <div class="error-template">\n'
        f"    <h1>{text(heading)}</h1>\n{second}"
        f'    <div class="error-details">{text(message)}</div>\n'
        f'    <a class="btn" href="{PREFIX}/">{go_home}</a>\n'
        "  </div>\n</div>\n" + _footer()
    )


SERVER_ERROR_HTML = """<!DOCTYPE html>
<html>
<head>
<title>Runtime Error</title>
<meta name="viewport" content="width=device-width">
<style>body{font-family:Verdana;font-weight:normal;font-size:.7em;color:black}H1{font-size:18pt;color:red}</style>
</head>
<body bgcolor="white">
<span><h1>Server Error in '/' Application.<hr width="100%" size="1" color="silver"></h1>
<h2><i>Runtime Error</i></h2></span>
<p><b>Description:</b> An application error occurred on the server. The current custom error settings for this
application prevent the details of the error from being viewed remotely.</p>
<p><b>Details:</b> To enable the details of this error message to be viewable on remote machines, set the
customErrors mode attribute in the application's web.config file to "Off".</p>
</body>
</html>
"""

CHALLENGE_HTML = """<!DOCTYPE html>
<html lang="en-US">
<head>
<title>Just a moment...</title>
<meta http-equiv="Content-Type" content="text/html; charset=UTF-8">
<meta name="robots" content="noindex,nofollow">
<meta name="viewport" content="width=device-width,initial-scale=1">
<style>*{box-sizing:border-box;margin:0;padding:0}html{line-height:1.15}body{display:flex;flex-direction:column}</style>
</head>
<body>
<div class="main-wrapper" role="main">
<div class="main-content">
<h1 class="zone-name-title h1">menafn.com</h1>
<h2 class="h2" id="challenge-running">Checking if the site connection is secure</h2>
<noscript><div class="h2"><span id="challenge-error-text">Enable JavaScript and cookies to continue</span></div></noscript>
<div id="challenge-body-text" class="core-msg spacer">menafn.com needs to review the security of your connection
before proceeding.</div>
</div>
</div>
<script>(function(){window._cf_chl_opt={cvId:'3',cZone:'menafn.com',cType:'managed',cRay:'8f2a61c0de4b7a19'};}());</script>
<div class="footer" role="contentinfo"><div class="footer-inner">
<div class="ray-id">Ray ID: <code>8f2a61c0de4b7a19</code></div>
<div class="text-center" id="footer-text">Performance &amp; security by Cloudflare</div>
</div></div>
</body>
</html>
"""


# --- site assembly --------------------------------------------------------------------------------------


def _page(path: str, kind: str, verdict: str | None, status: int, **fields: Any) -> ReplicaPage:
    """A menafn.com catalogue page; the live site labels everything UTF-8 unless said otherwise."""
    fields.setdefault("served_charset_label", "utf-8")
    return ReplicaPage(DOMAIN, path, kind, verdict, status, **fields)


def _html(page: ReplicaPage, markup: str, *, extra: tuple[tuple[str, str], ...] = ()) -> Handler:
    return html_handler(page, markup, headers=SERVER_HEADERS + extra, gzip_if_accepted=page.path == GZIPPED)


def _rate_limited(page: ReplicaPage, markup: str) -> Handler:
    """429 with Retry-After on this server's first request for the page, the page itself afterwards."""
    article = _html(page, markup)
    busy = _error_page("Too Many Requests | MENAFN", "429", "Too many requests. Please try again shortly.")
    refusal = Reply(
        429, busy.encode("utf-8"), "text/html; charset=utf-8", (*SERVER_HEADERS, ("Retry-After", "1"))
    )

    def handle(request: Request) -> Reply:
        return refusal if request.state.first_visit(page.replica_path) else article(request)

    return handle


def _feed_items(paths: tuple[str, ...]) -> list[FeedItem]:
    by_path = {s.path: s for s in STORIES}
    items = []
    for path in paths:
        story = by_path.get(path)
        if story:
            items.append(FeedItem(path, story.title, story.published, _teaser(story), category=story.section))
        else:
            title, published = DEAD_LINKS[path]
            items.append(FeedItem(path, title, published, title))
    return items


def _normalise(path: str, query: str) -> str | None:
    """MENAFN's list pages take their parameters in any order, and page 1 may be left out."""
    if path != "/qn_news_list.aspx":
        return None
    params = dict(parse_qsl(query))
    return f"{path}?src={params.get('src', '')}&page={params.get('page', '1')}"


def _add_stories(site: SiteBuilder) -> None:
    for story in STORIES:
        mislabelled = story.charset_label != "utf-8"
        page = _page(
            story.path,
            "article",
            "article",
            200,
            title=story.title,
            paragraphs=story.paragraphs,
            authors=story.authors,
            published=story.published,
            section=story.section,
            language=story.language,
            served_charset_label=story.charset_label,
            body_encoding=story.body_encoding,
            listed=story.listed,
            notes=story.notes,
            text_mojibake=story.text_mojibake,
        )
        shown = replace(
            story,
            title=page.as_served(story.title),
            paragraphs=tuple(page.as_served(p) for p in story.paragraphs),
            authors=tuple(page.as_served(a) for a in story.authors),
        )
        markup = _article_html(shown, meta_charset=not mislabelled)
        site.page(page, _rate_limited(page, markup) if story.path == RATE_LIMITED else _html(page, markup))


def _add_listings(site: SiteBuilder) -> None:
    english = [s for s in STORIES if s.language == "en" and s.listed]
    arabic = [s for s in STORIES if s.language == "ar"]

    # Home, with the two cookies the live site sets on a first visit.
    home = _page(HOME, "listing", "listing", 200, language="en", notes="Sets two cookies.")
    session = "ASP.NET_SessionId=q2v4w1c5mzd0n3k2xj1r0p4e; path=/menafn.com; HttpOnly; SameSite=Lax"
    region = "menafn_region=GCC; expires=Fri, 31 Dec 2027 23:59:59 GMT; path=/menafn.com"
    latest = _listing_html(
        "MENAFN - Middle East North Africa Financial Network", "Latest News", _newest_first(english)[:8]
    )
    site.page(home, _html(home, latest, extra=(("Set-Cookie", session), ("Set-Cookie", region))))
    arabic_home = _page(ARABIC_HOME, "listing", "listing", 200, language="ar")
    markup = _listing_html("MENAFN العربية", "آخر الأخبار", _newest_first(arabic), language="ar")
    site.page(arabic_home, _html(arabic_home, markup))

    for key, (label, per_page) in SECTIONS.items():
        stories = _newest_first([s for s in english if s.section == label])
        pages = (len(stories) + per_page - 1) // per_page
        for number in range(1, pages + 1):
            chunk = stories[(number - 1) * per_page : number * per_page]
            page = _page(
                _listing_href(key, number).removeprefix(PREFIX),
                "listing",
                "listing",
                200,
                language="en",
                section=label,
            )
            markup = _listing_html(
                f"{label} News | MENAFN.COM", label, chunk, pager=_pager(key, number, pages)
            )
            site.page(page, _html(page, markup))

    # Search results: disallowed by robots.txt, so a polite crawler never asks for it.
    search = _page(
        SEARCH,
        "listing",
        "listing",
        200,
        language="en",
        listed=False,
        notes="Disallowed by robots.txt; any query answers this page.",
    )
    water = [s for s in english if "water" in " ".join(s.paragraphs).lower()]
    search_handler = _html(search, _listing_html("Search | MENAFN.COM", "Search results: water", water))
    site.page(search, search_handler)
    site.route("/search", search_handler)


def _add_failures(site: SiteBuilder) -> Handler:
    """Soft 404s, real errors, the bot challenge and the redirects; returns the hard-404 handler."""
    soft_en = _page(
        SOFT404_EN,
        "soft404",
        "soft404",
        200,
        language="en",
        notes="Status 200 with the error template visible; linked from the politics RSS feed.",
    )
    site.page(
        soft_en, _html(soft_en, _error_page("MENAFN.COM", "403", ERROR_TEMPLATE_TEXT, subheading="Sorry!!"))
    )
    soft_ar = _page(
        SOFT404_AR,
        "soft404",
        "soft404",
        200,
        language="ar",
        notes="Status 200, Arabic 'page not found'; linked from the Arabic RSS feed.",
    )
    message = "عذراً، الصفحة التي تبحث عنها غير موجودة أو ربما تم نقلها."
    site.page(
        soft_ar, _html(soft_ar, _error_page("MENAFN العربية", "الصفحة غير موجودة", message, language="ar"))
    )

    hard = _page(
        HARD_404,
        "error",
        GONE_VERDICT,
        404,
        language="en",
        listed=False,
        notes="The page every unknown path under menafn.com answers.",
    )
    not_found = _html(
        hard,
        _error_page(
            "404 - Page Not Found | MENAFN.COM", "404", ERROR_TEMPLATE_TEXT, subheading="Page Not Found"
        ),
    )
    site.page(hard, not_found)
    gone = _page(
        GONE, "error", GONE_VERDICT, 410, language="en", notes="Withdrawn story, still in the sitemap."
    )
    removed_text = "This story has been removed at the request of its provider."
    site.page(
        gone, _html(gone, _error_page("Story removed | MENAFN.COM", "410", removed_text, subheading="Gone"))
    )
    broken = _page(SERVER_ERROR, "error", "error", 500, notes="ASP.NET runtime error page.")
    site.page(broken, _html(broken, SERVER_ERROR_HTML))

    blocked = _page(
        BLOCKED,
        "blocked",
        "blocked",
        403,
        language="en",
        notes="Bot challenge (Cloudflare style) instead of the story; linked from the politics feed.",
    )
    cloudflare = (
        ("Server", "cloudflare"),
        ("cf-mitigated", "challenge"),
        ("Cache-Control", "private, max-age=0, no-store, no-cache, must-revalidate"),
    )
    site.page(blocked, html_handler(blocked, CHALLENGE_HTML, headers=cloudflare))

    removed = _page(REMOVED, "redirect", None, 301, notes="Removed story: 301 to the home page.")
    site.page(removed, lambda request: redirect_reply(removed, request, HOME))
    moved = _page(MOVED_FROM, "redirect", None, 302, notes=f"302 to {MOVED_TO} (a real article).")
    site.page(moved, lambda request: redirect_reply(moved, request, MOVED_TO))
    return not_found


def _add_discovery(site: SiteBuilder) -> None:
    """RSS feeds and a sitemap index of two Google News sitemaps, all carrying dead links too."""
    for path, title, language, paths in (
        (POLITICS_FEED, "MENAFN - Politics", "en", POLITICS_FEED_PATHS),
        (ARABIC_FEED, "MENAFN - العربية", "ar", ARABIC_FEED_PATHS),
    ):
        feed = _page(path, "feed", None, 200)
        build = partial(
            rss,
            outlet=DOMAIN,
            title=title,
            home=HOME,
            description="MENAFN news feed",
            language=language,
            items=_feed_items(paths),
        )
        site.page(feed, xml_handler(feed, build, headers=SERVER_HEADERS))

    index = _page(SITEMAP, "sitemap", None, 200, notes="Sitemap index of two Google News sitemaps.")
    leaves = [(SITEMAP_EN, "2025-05-27"), (SITEMAP_AR, "2025-05-12")]
    site.page(
        index,
        xml_handler(index, partial(sitemap_index, outlet=DOMAIN, sitemaps=leaves), headers=SERVER_HEADERS),
    )
    for path, language, paths in ((SITEMAP_EN, "en", SITEMAP_EN_PATHS), (SITEMAP_AR, "ar", SITEMAP_AR_PATHS)):
        sitemap = _page(path, "sitemap", None, 200)
        build = partial(
            news_urlset, outlet=DOMAIN, items=_feed_items(paths), publication="MENAFN", language=language
        )
        if path == SITEMAP_EN:
            late = FeedItem(LATE_STORY.path, LATE_STORY.title, LATE_STORY.published, _teaser(LATE_STORY))
            build = _until_published(build, partial(build.func, **{**build.keywords, "items": [late, *build.keywords["items"]]}))
        site.page(sitemap, xml_handler(sitemap, build, headers=SERVER_HEADERS))


def _until_published(before: Any, after: Any) -> Any:
    """``before`` on a server where LATE_STORY is not published yet, ``after`` once it is."""
    return lambda request: after(request) if request.state.seen(PUBLISH_KEY) else before(request)


def _add_late_story(site: SiteBuilder, not_found: Handler) -> None:
    """LATE_STORY's route (404 until published) and the control URL that publishes it."""
    article = _html(LATE_PAGE, _article_html(LATE_STORY))
    site.route(LATE_STORY.path, _until_published(not_found, article))

    def publish(request: Request) -> Reply:
        request.state.first_visit(PUBLISH_KEY)
        return plain_reply(200, "published")

    site.route(PUBLISH_PATH, publish)


def _build() -> Site:
    site = SiteBuilder(DOMAIN)
    _add_stories(site)
    _add_listings(site)
    not_found = _add_failures(site)
    _add_discovery(site)
    _add_late_story(site, not_found)
    return site.build(
        not_found=not_found,
        robots=("Disallow: /search", "Disallow: /qn_print.aspx"),
        sitemaps=(SITEMAP,),
        normalise=_normalise,
    )


LATE_PAGE = _page(
    LATE_STORY.path, "article", "article", 200, title=LATE_STORY.title, paragraphs=LATE_STORY.paragraphs,
    published=LATE_STORY.published, section=LATE_STORY.section, language="en", listed=False, notes=LATE_STORY.notes,
)
SITE = _build()
