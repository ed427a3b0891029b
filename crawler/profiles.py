"""Outlet profiles: adding a simple outlet with a few lines of data instead of a spider module.

A profile (``crawler/profiles.toml``, or a file of your own named by ``NEWSARCHIVE_PROFILES``) gives
what a spider module declares: the domain, where to discover articles (home, sections, RSS/Atom
feeds, sitemaps), which URLs are articles, the languages, the local time zone, and optionally CSS
selectors for the title, body, date, authors and section. ``spiders/generic.py`` turns each profile
into an outlet spider (``scrapy crawl NAME`` or ``scrapy crawl generic -a profile=NAME``), and
``newsarchive extract`` finds it by host like any outlet, so the archive reproduces its text.

Without selectors a profile still works: JSON-LD, meta tags and trafilatura extract the page, and
the shared cleaning layer removes what they leave. Selectors make the text exact.

Profiles are checked when loaded (unknown keys, regexes, selectors, time zones, URLs off the
domain), and every problem names the file and the profile, because a typo in a data file should
not surface as an empty crawl.
"""

from __future__ import annotations

import copy
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cssselect import SelectorError

from crawler.htmltools import block_texts
from crawler.localdates import parse_local_date
from crawler.parsing import ArticleParser, iso_datetime
from crawler.selectors import compiled, first_text_in, select, text_of

#: Environment variable naming extra profile files (separated like PATH).
PROFILES_ENV = "NEWSARCHIVE_PROFILES"
BUNDLED = "profiles.toml"
NAME = re.compile(r"[a-z][a-z0-9_]{1,39}")
#: Names a profile may not take: the generic spider's own.
RESERVED = frozenset({"generic"})

_TOP_KEYS = frozenset(
    {
        "domain", "home", "sections", "feeds", "sitemaps", "languages", "timezone", "article_urls",
        "listing_urls", "boilerplate", "stop_at", "selectors",
    }
)
_SELECTOR_KEYS = frozenset(
    {"version", "root", "title", "body", "exclude", "published", "date_formats", "authors", "section"}
)


class ProfileError(ValueError):
    """A profile file or entry that cannot be used; the message names the file, profile and key."""


@dataclass(frozen=True)
class Selectors:
    """CSS selectors of one markup version; any field left out falls back to the generic path."""

    version: str = "v1"
    #: Present only in this layout (the parser is used only when it matches); default: ``body``.
    root: str | None = None
    title: str | None = None
    #: Container(s) of the story text; their blocks become paragraphs.
    body: str | None = None
    #: Furniture inside the body (newsletter boxes, share bars, ad slots): removed before reading.
    exclude: tuple[str, ...] = ()
    #: Element with the date: its ``datetime``/``content`` attribute, else its text.
    published: str | None = None
    #: ``strptime`` formats for the date text; without them day-first and month-name dates are read.
    date_formats: tuple[str, ...] = ()
    #: Every match is one author (or a comma-separated list); a leading "By" is dropped.
    authors: str | None = None
    section: str | None = None


@dataclass(frozen=True)
class OutletProfile:
    name: str
    domain: str
    home: str = ""
    sections: tuple[str, ...] = ()
    feeds: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    timezone: str = "UTC"
    #: Matched against the URL path (and ``?query``); None: guessed from the URL's shape.
    article_urls: re.Pattern[str] | None = None
    listing_urls: re.Pattern[str] | None = None
    boilerplate: tuple[re.Pattern[str], ...] = ()
    stop_at: tuple[re.Pattern[str], ...] = ()
    selectors: Selectors | None = None
    source: str = "<profile>"


# --- loading -------------------------------------------------------------------------------------
def _fail(where: str, message: str) -> ProfileError:
    return ProfileError(f"{where}: {message}")


def _strings(where: str, key: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise _fail(where, f"{key} must be a string or a list of non-empty strings, not {value!r}")
    return tuple(v.strip() for v in value)


def _regex(where: str, key: str, value: str, flags: int = 0) -> re.Pattern[str]:
    try:
        return re.compile(value, flags)
    except re.error as exc:
        raise _fail(where, f"{key} is not a valid regular expression ({exc}): {value!r}") from None


def _css(where: str, key: str, value: str) -> str:
    try:
        compiled(value)
    except SelectorError as exc:
        raise _fail(where, f"selectors.{key} is not a valid CSS selector ({exc}): {value!r}") from None
    return value


def _on_domain(where: str, key: str, url: str, domain: str) -> str:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not (host == domain or host.endswith("." + domain)):
        raise _fail(where, f"{key} must be an http(s) URL on {domain}: {url!r}")
    return url


def _selectors(where: str, raw: Any) -> Selectors:
    if not isinstance(raw, dict):
        raise _fail(where, "selectors must be a table")
    unknown = set(raw) - _SELECTOR_KEYS
    if unknown:
        raise _fail(where, f"unknown selectors key(s) {sorted(unknown)}; known: {sorted(_SELECTOR_KEYS)}")
    values: dict[str, Any] = {}
    for key in ("root", "title", "body", "published", "authors", "section"):
        if key in raw:
            (value,) = _strings(where, f"selectors.{key}", raw[key])
            values[key] = _css(where, key, value)
    if "exclude" in raw:
        values["exclude"] = tuple(_css(where, "exclude", v) for v in _strings(where, "selectors.exclude", raw["exclude"]))
    if "date_formats" in raw:
        values["date_formats"] = _strings(where, "selectors.date_formats", raw["date_formats"])
    if "version" in raw:
        (values["version"],) = _strings(where, "selectors.version", raw["version"])
    return Selectors(**values)


def parse_profile(
    name: str, raw: Mapping[str, Any], source: str = "<profile>", *, check_name: bool = True
) -> OutletProfile:
    """One validated profile from its table; raises ProfileError naming ``source`` and ``name``."""
    where = f"{source} [{name}]"
    if check_name and (not NAME.fullmatch(name) or name in RESERVED):
        raise _fail(where, "a profile name is 2-40 lowercase letters, digits or _, starting with a letter, not 'generic'")
    if not isinstance(raw, Mapping):
        raise _fail(where, "a profile must be a table")
    unknown = set(raw) - _TOP_KEYS
    if unknown:
        raise _fail(where, f"unknown key(s) {sorted(unknown)}; known: {sorted(_TOP_KEYS)}")
    if not isinstance(raw.get("domain"), str) or not raw["domain"].strip():
        raise _fail(where, "domain is required (e.g. domain = \"example.org\")")
    domain = raw["domain"].strip().lower().removeprefix("www.")
    values: dict[str, Any] = {"name": name, "domain": domain, "source": source}
    if "home" in raw:
        (home,) = _strings(where, "home", raw["home"])
        values["home"] = _on_domain(where, "home", home, domain)
    for key in ("sections", "feeds", "sitemaps"):
        if key in raw:
            values[key] = tuple(_on_domain(where, key, u, domain) for u in _strings(where, key, raw[key]))
    if not (values.get("home") or values.get("sections") or values.get("feeds") or values.get("sitemaps")):
        raise _fail(where, "give at least one of home, sections, feeds, sitemaps: where articles are found")
    if "languages" in raw:
        languages = _strings(where, "languages", raw["languages"])
        bad = [code for code in languages if not re.fullmatch(r"[a-z]{2}", code)]
        if bad:
            raise _fail(where, f"languages are ISO 639-1 codes such as \"en\", not {bad}")
        values["languages"] = languages
    if "timezone" in raw:
        (zone,) = _strings(where, "timezone", raw["timezone"])
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise _fail(where, f"timezone {zone!r} is not an IANA time zone such as \"Europe/Istanbul\"") from None
        values["timezone"] = zone
    for key in ("article_urls", "listing_urls"):
        if key in raw:
            (pattern,) = _strings(where, key, raw[key])
            values[key] = _regex(where, key, pattern)
    for key in ("boilerplate", "stop_at"):
        if key in raw:
            values[key] = tuple(_regex(where, key, p, re.IGNORECASE) for p in _strings(where, key, raw[key]))
    if "selectors" in raw:
        values["selectors"] = _selectors(where, raw["selectors"])
    return OutletProfile(**values)


def profile_files() -> list[Path | Traversable]:
    """The bundled profile file, then each file named in ``NEWSARCHIVE_PROFILES``.

    The bundled one stays a package resource, not a Path: Scrapyd imports the project from a zipped egg.
    """
    bundled = resources.files("crawler").joinpath(BUNDLED)
    extra = [Path(entry).expanduser() for entry in os.environ.get(PROFILES_ENV, "").split(os.pathsep) if entry]
    return [bundled, *extra]


def load_profiles(errors: dict[str, str] | None = None) -> dict[str, OutletProfile]:
    """Every usable profile by name; a later file's profile replaces an earlier one of the same name.

    With ``errors``, a broken file or profile is recorded there (key: the profile's name, or the
    file's path) and skipped, so that one typo does not stop every other outlet; without it, the
    first problem raises ProfileError.
    """
    profiles: dict[str, OutletProfile] = {}
    for path in profile_files():
        try:
            try:
                text = path.read_text(encoding="utf-8")
            except OSError as exc:
                raise ProfileError(f"{path}: cannot read this profile file ({exc.strerror})") from None
            try:
                data = tomllib.loads(text)
            except tomllib.TOMLDecodeError as exc:
                raise ProfileError(f"{path}: not valid TOML ({exc})") from None
        except ProfileError as exc:
            if errors is None:
                raise
            errors[str(path)] = str(exc)
            continue
        for name, raw in data.items():
            try:
                profiles[name] = parse_profile(name, raw, str(path))
            except ProfileError as exc:
                if errors is None:
                    raise
                errors[name] = str(exc)
    return profiles


def profile_for_url(url: str, *, name: str = "generic", **overrides: Any) -> OutletProfile:
    """An ad-hoc profile for ``scrapy crawl generic -a url=URL``: the URL's site, URL shapes guessed."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not host:
        raise ProfileError(f"url={url!r}: give an http(s) URL, e.g. url=https://example.org/")
    domain = host.removeprefix("www.")
    raw: dict[str, Any] = {"domain": domain, "home": url}
    raw.update({k: v for k, v in overrides.items() if v})
    if "sitemaps" not in raw:
        raw["sitemaps"] = [f"{parts.scheme}://{parts.netloc}/sitemap.xml"]
    return parse_profile(name, raw, source="command line", check_name=False)


# --- parsing with a profile's selectors ------------------------------------------------------------
_BY = re.compile(r"^\s*(?:by|von|par|por|yazar|muhabir|автор|müəllif)\s*:?\s+", re.IGNORECASE)
_AND = re.compile(r"\s*(?:,|&|\band\b|\bve\b|\bи\b|\bvə\b)\s*", re.IGNORECASE)


class ProfileParser(ArticleParser):
    """Reads a page with a profile's selectors; subclassed per profile by :func:`parser_for`."""

    spec: ClassVar[Selectors] = Selectors()

    def matches(self) -> bool:
        return bool(select(self.doc, self.root))

    def title(self) -> str | None:
        return first_text_in(self.doc, self.spec.title) if self.spec.title else None

    def authors(self) -> list[str] | None:
        if not self.spec.authors:
            return None
        found: list[str] = []
        for node in select(self.doc, self.spec.authors):
            for name in _AND.split(_BY.sub("", text_of(node))):
                name = name.strip(" .")
                if name and name not in found:
                    found.append(name)
        return found or None

    def published(self) -> str | None:
        if not self.spec.published:
            return None
        for node in select(self.doc, self.spec.published):
            machine = node.get("datetime") or node.get("content")
            value = iso_datetime(machine, self.timezone) if machine else None
            if value:
                return value
            visible = text_of(node)
            value = self._from_formats(visible) or parse_local_date(visible, self.timezone)
            if value:
                return value
        return None

    def _from_formats(self, visible: str) -> str | None:
        for fmt in self.spec.date_formats:
            try:
                moment = datetime.strptime(visible, fmt)
            except ValueError:
                continue
            if not any(code in fmt for code in ("%H", "%I", "%M")):
                return moment.date().isoformat()
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=ZoneInfo(self.timezone))
            return moment.isoformat()
        return None

    def section(self) -> str | None:
        text = first_text_in(self.doc, self.spec.section) if self.spec.section else None
        return (text.lstrip("#").strip() or None) if text else None

    def paragraphs(self) -> list[str] | None:
        if not self.spec.body:
            return None
        out: list[str] = []
        for root in select(self.doc, self.spec.body):
            if self.spec.exclude:
                root = copy.deepcopy(root)  # the page itself stays whole for the verdict
                for css in self.spec.exclude:
                    for junk in select(root, css):
                        junk.drop_tree()
            out.extend(block_texts(root))
        return out or None


def parser_for(profile: OutletProfile) -> type[ProfileParser] | None:
    """The parser class of a profile with selectors (None without: the generic path reads it)."""
    spec = profile.selectors
    if spec is None:
        return None
    attrs = {
        "spec": spec,
        "version": spec.version,
        "root": spec.root or spec.body or "body",
        "timezone": profile.timezone,
        "__module__": __name__,
        "__doc__": f"Selectors of the {profile.name} profile ({profile.source}).",
    }
    return type(f"{profile.name.title().replace('_', '')}ProfileParser", (ProfileParser,), attrs)

