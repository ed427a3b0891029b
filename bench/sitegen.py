"""Generated benchmark sites and the servers that serve them (shared by the benchmarks in bench/).

Two kinds of site:

* :func:`simple_page`: ``bench/warc_overhead.py``'s synthetic pages (~20 KB of text, ten child
  links each), generated on request by :func:`start_python_server`;
* :func:`write_news_site`: a news site written to a folder (``bench/suite.py``): a home page,
  section listings, and N article pages shaped like real ones (navigation, sidebars, comments, inline
  script and style, JSON-LD, 12-20 paragraphs of varied text), served from disk by nginx
  (:class:`NginxServer`) or, for comparison, by the Python server.

The text is drawn from a Zipf-weighted vocabulary of a few thousand made-up words, so pages compress
like real HTML (4-6x), not like a repeated sentence (30x): compression is most of archiving's cost,
so a benchmark with over-compressible pages would flatter the WARC writer.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import json
import multiprocessing
import os
import random
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

PARAGRAPH = (
    "Regional markets closed higher on Tuesday as investors weighed the outlook for energy prices, "
    "shipping costs and the central bank's next decision, analysts said in notes to clients. "
)

#: Words the simple pages are drawn from: enough variety that pages compress like real HTML
#: (4-5x), not like a repeated sentence (30x), since compression is most of archiving's cost.
VOCABULARY = sorted(set(PARAGRAPH.replace(",", "").replace(".", "").split())) + [
    f"{stem}{suffix}" for stem in ("market", "trade", "port", "bank", "energy", "policy", "export", "minister",
                                   "growth", "contract", "pipeline", "tariff", "bond", "index", "region")
    for suffix in ("", "s", "ing", "ed", "er", "al", "ity", "ment", "ist", "ward")
]


def simple_page(number: int, pages: int) -> bytes:
    """Page ``number``: a title, ~20 KB of text that differs per page, links to its ten children."""
    rng = random.Random(number)
    children = [child for child in range(number * 10 + 1, number * 10 + 11) if child < pages]
    links = "".join(f'<li><a href="/p/{child}">Story {child}</a></li>' for child in children)
    paragraphs = "".join(
        "<p>" + " ".join(rng.choices(VOCABULARY, k=50)) + f" ({number}.{i})</p>\n" for i in range(55)
    )
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>Story {number}</title></head>"
        f"<body><h1>Story {number}</h1><article>{paragraphs}</article><ul>{links}</ul></body></html>"
    ).encode()


def simple_site_page(path: str, pages: int) -> bytes | None:
    """The simple site's page at ``path`` (``/p/N``), None when there is none."""
    try:
        number = int(path.removeprefix("/p/"))
    except ValueError:
        return None
    return simple_page(number, pages) if 0 <= number < pages else None


def file_page(path: str, root: str) -> bytes | None:
    """A page of a site written to ``root`` (what nginx serves, with the same ``try_files`` rule)."""
    relative = path.split("?", 1)[0].lstrip("/")
    base = Path(root)
    for candidate in (base / relative, base / relative / "index.html"):
        if candidate.is_file() and base in candidate.resolve().parents:
            return candidate.read_bytes()
    return None


# --- the Python server ------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    page: Callable[[str], bytes | None] = staticmethod(lambda path: None)

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        body = type(self).page(self.path)
        status = 200
        if body is None:
            body, status = b"not found", 404
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def _serve(port_queue: Any, page: Callable[[str], bytes | None]) -> None:
    _Handler.page = staticmethod(page)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    port_queue.put(server.server_address[1])
    server.serve_forever()


def start_python_server(page: Callable[[str], bytes | None]) -> tuple[multiprocessing.Process, str]:
    """A threaded HTTP server in its own process (so it does not compete for the crawler's GIL).

    ``page`` maps a request path to the body (None: 404); it must pickle (a module-level function or
    a ``functools.partial`` of one). Returns the process (terminate it) and the base URL.
    """
    queue: Any = multiprocessing.Queue()
    server = multiprocessing.Process(target=_serve, args=(queue, page), daemon=True)
    server.start()
    return server, f"http://127.0.0.1:{queue.get(timeout=30)}"


def simple_site_server(pages: int) -> tuple[multiprocessing.Process, str]:
    """``bench/warc_overhead.py``'s site of ``pages`` simple pages, from ``/p/0``."""
    return start_python_server(functools.partial(simple_site_page, pages=pages))


# --- nginx ---------------------------------------------------------------------------------------

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"

_NGINX_CONF = """\
{user}worker_processes 1;
daemon off;
master_process on;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 100000;
    client_body_temp_path {prefix}/tmp;
    proxy_temp_path {prefix}/tmp;
    fastcgi_temp_path {prefix}/tmp;
    uwsgi_temp_path {prefix}/tmp;
    scgi_temp_path {prefix}/tmp;
    types {{ }}
    default_type "text/html; charset=utf-8";
    server {{
        listen 127.0.0.1:{port};
        root {root};
        location / {{ try_files $uri $uri/index.html =404; }}
    }}
}}
"""


def free_port() -> int:
    """A loopback port nothing listens on now (there is a small race; nginx reports it if lost)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class NginxServer:
    """Debian's nginx as a subprocess: its own prefix and config in a temp folder, one worker, loopback.

    One worker process, so the server takes at most one of the machine's cores and the crawler keeps
    the other; access logging is off (it would cost the server disk writes per request).
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.prefix = Path(tempfile.mkdtemp(prefix="bench-nginx-"))
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> str:
        (self.prefix / "tmp").mkdir()
        conf = self.prefix / "nginx.conf"
        # Started as root, nginx's worker would drop to "nobody", who cannot read our 0700 temp folders.
        user = "user root;\n" if os.geteuid() == 0 else ""
        conf.write_text(_NGINX_CONF.format(user=user, prefix=self.prefix, port=self.port, root=self.root))
        self.process = subprocess.Popen(
            [NGINX, "-p", str(self.prefix), "-c", str(conf), "-e", str(self.prefix / "error.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"nginx exited: {self.process.stderr.read().decode(errors='replace')}")  # type: ignore[union-attr]
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self.base
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("nginx did not start listening within 15 s")

    def pids(self) -> list[int]:
        """The master and its worker(s), whose CPU time the benchmark reads from /proc."""
        if self.process is None:
            return []
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        try:
            kids = [int(pid) for pid in children.read_text().split()]
        except OSError:
            kids = []
        return [self.process.pid, *kids]

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.prefix, ignore_errors=True)


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds of live processes (from /proc), for the server's share of a crawl."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks
    return total



@contextlib.contextmanager
def serve_simple_site(pages: int, server: str) -> Iterator[str]:
    """The simple site of ``pages`` pages served by ``server`` ("nginx": written to a temp folder first;
    "python": generated per request); yields its base URL and stops the server and deletes the folder after.
    """
    site = Path(tempfile.mkdtemp(prefix="bench-simple-site-"))
    nginx: NginxServer | None = None
    python_server: multiprocessing.Process | None = None
    try:
        if server == "nginx":
            (site / "p").mkdir()
            for number in range(pages):
                (site / "p" / str(number)).write_bytes(simple_page(number, pages))
            nginx = NginxServer(site)
            base = nginx.start()
        else:
            python_server, base = simple_site_server(pages)
        yield base
    finally:
        if nginx is not None:
            nginx.stop()
        if python_server is not None:
            python_server.terminate()
            python_server.join(timeout=10)
        shutil.rmtree(site, ignore_errors=True)


# --- the news site ------------------------------------------------------------------------------

#: 32 sections, the first eight with sub-menus in the navigation. A big outlet has this many; it also keeps
#: each section's pagination under the crawl-trap bound (NEWSARCHIVE_MAX_LISTINGS_PER_PATTERN, 50 listing
#: pages of one URL shape) up to 64,000 articles, so that the generic spider can reach every article.
SECTIONS = (
    "world", "business", "politics", "technology", "science", "culture", "sport", "health",
    "europe", "asia", "africa", "americas", "middle-east", "economy", "markets", "energy", "climate",
    "education", "television", "travel", "food", "books", "film", "music", "style", "opinion", "investigations",
    "obituaries", "weather", "local", "video", "podcasts",
)
MENU_SECTIONS = 8
#: Articles per listing page (a section's listing pages all link to each other: the crawl depth stays 3).
PER_LISTING = 40
FOOTER_PAGES = {"about": "About us", "contact": "Contact", "privacy": "Privacy policy"}

_SYLLABLES = (  # split in _vocabulary
    "ba be bi bo bu ca ce ci co cu da de di do du fa fe fi fo ga ge gi go ha he hi ho ka ke ki ko la le li lo lu "
    "ma me mi mo mu na ne ni no nu pa pe pi po pu ra re ri ro ru sa se si so su ta te ti to tu va ve vi vo "
    "an en in on ar er ir or al el il ol as es is os at et it ot str tr pr gr nd nt st ch sh th"
)
_COMMON = (
    "the of and to in a is that for on was with he it as at by said from his be have has but are not "
    "this were they which had their will its been would who more after also new one year two people "
    "government minister president market city police week first last told percent million company"
)


@functools.cache
def _vocabulary() -> tuple[list[str], list[float]]:
    """~4,000 made-up words after ~70 common ones, with Zipf weights: text that reads (to a compressor) as prose."""
    rng = random.Random(12)
    syllables = _SYLLABLES.split()
    words: list[str] = _COMMON.split()
    seen = set(words)
    while len(words) < 4000:
        word = "".join(rng.choices(syllables, k=rng.choice((1, 2, 2, 3, 3, 4))))
        if word not in seen and len(word) > 1:
            seen.add(word)
            words.append(word)
    weights = [1.0 / (rank + 2.7) for rank in range(len(words))]
    return words, list(itertools.accumulate(weights))


def _sentence(rng: random.Random, low: int = 8, high: int = 26) -> str:
    words, cumulative = _vocabulary()
    picked = rng.choices(words, cum_weights=cumulative, k=rng.randint(low, high))
    if rng.random() < 0.3:
        picked.insert(rng.randrange(len(picked)), str(rng.randint(2, 9999)))
    if rng.random() < 0.2:
        picked[rng.randrange(len(picked))] += ","
    text = " ".join(picked)
    return text[0].upper() + text[1:] + rng.choice(".....?!")


def _paragraph(rng: random.Random, sentences: tuple[int, int] = (2, 5)) -> str:
    return " ".join(_sentence(rng) for _ in range(rng.randint(*sentences)))


def _title(rng: random.Random) -> str:
    return _sentence(rng, 6, 11).rstrip(".?!")


def _slug(title: str, number: int) -> str:
    words = [w.strip(",").lower() for w in title.split()[:6]]
    return "-".join(w for w in words if w.isalnum()) + f"-{number:06d}"


@dataclass(frozen=True)
class ArticleRef:
    number: int
    section: str
    title: str
    path: str


def _articles(pages: int) -> list[ArticleRef]:
    refs = []
    for number in range(pages):
        rng = random.Random(f"title-{number}")
        title = _title(rng)
        section = SECTIONS[number % len(SECTIONS)]
        refs.append(ArticleRef(number, section, title, f"/{section}/{_slug(title, number)}"))
    return refs


_STYLE = "<style>" + " ".join(
    f".c{i}{{margin:{i % 7}px {i % 5}px;padding:{i % 3}px;color:#{(i * 2654435761) % 0xFFFFFF:06x};"
    f"font-size:{12 + i % 9}px;line-height:1.{i % 9}}}" for i in range(400)
) + "</style>"
_SCRIPT = (
    "<script>window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push(arguments)}"
    + "".join(f"var cfg{i}={{slot:'ad-{i}',sizes:[[300,250],[728,90]],lazy:{str(i % 2 == 0).lower()}}};"
              for i in range(160))
    + "</script>"
)


_SPRITE = '<svg xmlns="http://www.w3.org/2000/svg" style="display:none">' + "".join(
    f'<symbol id="icon-{i}" viewBox="0 0 24 24"><path d="M{i % 12} {i % 7}h{4 + i % 9}v{3 + i % 5}H{i % 4}z'
    f'M12 {i % 10}l{i % 6} {i % 8}-{i % 5} {i % 3}z"/></symbol>' for i in range(40)
) + "</svg>"


def _nav() -> str:
    items = "".join(
        f'<li class="menu-item has-children"><a class="menu-link" href="/{s}/">{s.title()}</a>'
        '<ul class="sub-menu">'
        + "".join(f'<li class="menu-item"><a class="menu-link" href="#{s}-{t}">{t.title()}</a></li>'
                  for t in ("latest", "analysis", "opinion", "video", "photos", "live", "explainers", "data"))
        + "</ul></li>"
        for s in SECTIONS[:MENU_SECTIONS]
    ) + "".join(f'<li class="menu-item"><a class="menu-link" href="/{s}/">{s.title()}</a></li>'
                for s in SECTIONS[MENU_SECTIONS:])
    return (
        '<header class="site-header"><a class="logo" href="/">The Daily Bench</a>'
        f'<nav class="main-nav"><ul><li><a href="/">Home</a></li>{items}</ul></nav>'
        '<form class="search" action="/search"><input name="q" placeholder="Search"></form></header>'
    )


def _footer() -> str:
    links = "".join(f'<li><a href="/{slug}/">{label}</a></li>' for slug, label in FOOTER_PAGES.items())
    return (
        f'<footer class="site-footer"><ul>{links}</ul>'
        "<p>© 2025 The Daily Bench. All rights reserved. Reproduction without permission is prohibited.</p>"
        "</footer>"
    )


def _link_list(refs: list[ArticleRef], css: str, heading: str) -> str:
    items = "".join(f'<li><a href="{r.path}">{r.title}</a></li>' for r in refs)
    return f'<section class="{css}"><h3>{heading}</h3><ul>{items}</ul></section>'


def _page(title: str, head_extra: str, body: str) -> bytes:
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{title} | The Daily Bench</title>"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"{head_extra}{_STYLE}{_SCRIPT}</head>\n<body>{_SPRITE}{_nav()}\n{body}\n{_footer()}"
        "<script>(function(){var s=document.createElement('script');s.async=true;"
        "s.src='https://analytics.example.net/t.js';document.head.appendChild(s)})();</script>"
        "</body></html>\n"
    ).encode()


def article_page(ref: ArticleRef, refs: list[ArticleRef]) -> bytes:
    """An article: byline, date, 12-20 paragraphs, a related box, a sidebar, a comment thread."""
    rng = random.Random(ref.number)
    author = f"{_title(rng).split()[0].title()} {_title(rng).split()[-1].title()}"
    day = 1 + ref.number % 28
    published = f"2025-{1 + ref.number % 12:02d}-{day:02d}T{ref.number % 24:02d}:{ref.number % 60:02d}:00+00:00"
    paragraphs = "\n".join(f"<p>{_paragraph(rng)}</p>" for _ in range(rng.randint(12, 20)))
    related = _link_list(rng.sample(refs, min(4, len(refs))), "related", "Related stories")
    most_read = _link_list(rng.sample(refs, min(6, len(refs))), "most-read", "Most read")
    comments = "".join(
        f'<li class="comment"><span class="who">{_title(rng).split()[0].title()}</span> '
        f'<time>{rng.randint(1, 59)} minutes ago</time><p>{_paragraph(rng, (1, 3))}</p>'
        f'<a class="reply" href="#reply">Reply</a></li>'
        for _ in range(rng.randint(3, 8))
    )
    jsonld = json.dumps({
        "@context": "https://schema.org", "@type": "NewsArticle", "headline": ref.title,
        "datePublished": published, "author": {"@type": "Person", "name": author},
        "articleSection": ref.section.title(),
    })
    head = (
        f'<meta property="og:title" content="{ref.title}"><meta property="og:type" content="article">'
        f'<meta property="article:published_time" content="{published}">'
        f'<meta name="author" content="{author}">'
        f'<script type="application/ld+json">{jsonld}</script>'
    )
    body = (
        '<div class="layout"><main>'
        f'<article class="story"><h1>{ref.title}</h1>'
        f'<div class="byline">By <a href="#author">{author}</a> · <time datetime="{published}">{published[:10]}</time>'
        f' · <a href="/{ref.section}/">{ref.section.title()}</a></div>'
        f'<div class="share"><a href="#share-fb">Share</a> <a href="#share-x">Post</a> <a href="#mail">Email</a></div>'
        f'<figure><figcaption>{_sentence(rng)}</figcaption></figure>'
        f'<div class="article-body">\n{paragraphs}\n</div></article>'
        f'<div class="newsletter"><p>Get the morning briefing in your inbox.</p><a href="#signup">Sign up</a></div>'
        f'{related}'
        f'<section class="comments"><h3>Comments</h3><ul>{comments}</ul></section>'
        f'</main><aside class="sidebar">{most_read}<div class="ad c7">Advertisement</div></aside></div>'
    )
    return _page(ref.title, head, body)


def listing_page(section: str, page: int, pages: int, refs: list[ArticleRef]) -> bytes:
    """A section listing: teasers of its articles, and links to all of the section's listing pages."""
    rng = random.Random(f"{section}-{page}")
    teasers = "".join(
        f'<li class="teaser"><h2><a href="{r.path}">{r.title}</a></h2><p>{_sentence(rng)}</p></li>' for r in refs
    )
    pager = "".join(
        f'<a href="/{section}/{n}">{n}</a> ' if n > 1 else f'<a href="/{section}/">1</a> ' for n in range(1, pages + 1)
    )
    body = f'<main><h1>{section.title()}</h1><ul class="teasers">{teasers}</ul><nav class="pager">{pager}</nav></main>'
    return _page(f"{section.title()} — page {page}", "", body)


def write_news_site(root: Path, pages: int) -> dict[str, int]:
    """Write the site of ``pages`` articles under ``root``; returns counts (articles, listings, bytes).

    Paths: ``/`` (home), ``/<section>/`` and ``/<section>/<n>`` (listings), ``/<section>/<slug>-<id>``
    (articles: a slug of several words, which the generic spider recognises as an article URL), and
    three footer pages. Files have no extension; the server types everything text/html.
    """
    refs = _articles(pages)
    root.mkdir(parents=True, exist_ok=True)
    total = listings = 0
    by_section: dict[str, list[ArticleRef]] = {s: [] for s in SECTIONS}
    for ref in refs:
        by_section[ref.section].append(ref)
    for section, members in by_section.items():
        (root / section).mkdir(exist_ok=True)
        chunks = [members[i : i + PER_LISTING] for i in range(0, len(members), PER_LISTING)] or [[]]
        for n, chunk in enumerate(chunks, start=1):
            body = listing_page(section, n, len(chunks), chunk)
            target = root / section / ("index.html" if n == 1 else str(n))
            target.write_bytes(body)
            total += len(body)
            listings += 1
    for ref in refs:
        body = article_page(ref, refs)
        (root / ref.path.lstrip("/")).write_bytes(body)
        total += len(body)
    latest = _link_list(refs[-30:][::-1], "latest", "Latest")
    home = _page("Home", "", f"<main><h1>The Daily Bench</h1>{latest}</main>")
    (root / "index.html").write_bytes(home)
    for slug, label in FOOTER_PAGES.items():
        (root / slug).mkdir(exist_ok=True)
        (root / slug / "index.html").write_bytes(_page(label, "", f"<main><h1>{label}</h1><p>{label}.</p></main>"))
    return {"articles": pages, "listings": listings, "html_pages": pages + listings + 1 + len(FOOTER_PAGES),
            "bytes": total}
