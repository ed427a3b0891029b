"""The ``newsarchive`` command (also ``python -m crawler``).

Subcommands: ``demo`` (replica + crawl + summary), ``replica`` (serve the replica alone),
``extract`` (re-run encoding, verdict and extraction offline on archived pages).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

DEMO_MARKER = ".newsarchive-demo"
WARC_SUFFIXES = (".warc", ".warc.gz", ".warc.open", ".warc.gz.open")


def _project_settings(**overrides: Any):
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
    from scrapy.utils.project import get_project_settings

    settings = get_project_settings()
    for name, value in overrides.items():
        settings.set(name, value, priority="cmdline")
    return settings


# --- replica ---------------------------------------------------------------------------------
def cmd_replica(args: argparse.Namespace) -> int:
    from crawler.replica import serve

    serve(args.host, args.port, Path(args.shared_data) if args.shared_data else None)
    return 0


# --- demo ------------------------------------------------------------------------------------
def _prepare_demo_output(output: Path) -> None:
    """Re-create the demo's output folder, but never delete a folder the demo did not make."""
    if output.exists() and any(output.iterdir()):
        if not (output / DEMO_MARKER).exists():
            raise SystemExit(
                f"newsarchive demo: {output} exists and holds files the demo did not write; "
                "choose another folder with --output"
            )
        shutil.rmtree(output)
    output.mkdir(parents=True, exist_ok=True)
    (output / DEMO_MARKER).write_text("written by `newsarchive demo`; the next demo replaces this folder\n")


def _human_size(size: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"


def summarise(output: Path) -> str:
    """The demo's closing summary, from the run reports and the files on disk."""
    lines = [f"newsarchive demo: output in {output.resolve()}", ""]
    header = f"{'outlet':<14}{'fetched':>9}{'articles':>10}{'rejected':>10}{'repaired':>10}{'failures':>10}"
    lines.append(header)
    totals = [0, 0, 0, 0, 0]
    verdict_totals: dict[str, int] = {}
    for path in sorted((output / "reports").glob("*.json")):
        report = json.loads(path.read_text(encoding="utf-8"))
        row = [
            report["pages_fetched"], report["articles_written"], len(report["rejected"]),
            len(report["encodings_repaired"]), len(report["download_failures"]),
        ]
        totals = [a + b for a, b in zip(totals, row, strict=True)]
        for rejected in report["rejected"]:
            verdict_totals[rejected["verdict"]] = verdict_totals.get(rejected["verdict"], 0) + 1
        lines.append(f"{report['spider']:<14}" + "".join(f"{v:>10}" if i else f"{v:>9}" for i, v in enumerate(row)))
    lines.append(f"{'total':<14}" + "".join(f"{v:>10}" if i else f"{v:>9}" for i, v in enumerate(totals)))
    if verdict_totals:
        lines.append("")
        lines.append("rejected by verdict: " + ", ".join(f"{k} {v}" for k, v in sorted(verdict_totals.items())))
    warcs = sorted((output / "warc").glob("*.warc.gz"))
    lines.append("")
    lines.append(f"WARC files ({len(warcs)}):")
    lines.extend(f"  {p.name}  {_human_size(p.stat().st_size)}" for p in warcs)
    articles = output / "articles.jsonl"
    count = sum(1 for _ in articles.open(encoding="utf-8")) if articles.exists() else 0
    lines.append("")
    lines.append(f"articles: {articles} ({count} lines); text files under {output / 'text'}")
    return "\n".join(lines)


def run_crawl(spider_names: Sequence[str], settings: Any) -> None:
    """Run outlet spiders in one Scrapy process and wait for all of them."""
    from scrapy.crawler import CrawlerProcess

    process = CrawlerProcess(settings)
    for name in spider_names:
        process.crawl(name)
    process.start()


def cmd_demo(args: argparse.Namespace) -> int:
    from crawler.outlets import outlet_spiders
    from crawler.replica import ReplicaServer

    output = Path(args.output)
    _prepare_demo_output(output)
    with ReplicaServer(port=args.port) as replica:
        print(f"replica serving on {replica.base_url}", flush=True)
        settings = _project_settings(
            REPLICA=replica.base_url, NEWSARCHIVE_OUTPUT=str(output), LOG_LEVEL=args.log_level
        )
        names = args.outlet or [cls.name for cls in outlet_spiders()]
        run_crawl(names, settings)
    print(summarise(output))
    return 0


# --- extract ---------------------------------------------------------------------------------
def _is_warc(path: Path) -> bool:
    return path.name.endswith(WARC_SUFFIXES)


def iter_extract(paths: Sequence[Path], url: str | None, outlet_name: str | None) -> Iterator[dict[str, Any]]:
    """One record per page: every HTML response of a WARC file, or one HTML file (with ``url``)."""
    from archive.reader import iter_responses
    from crawler.outlets import outlet_by_name, outlet_for_url
    from crawler.page import analyse_page

    fixed_outlet = outlet_by_name(outlet_name) if outlet_name else None
    for path in paths:
        if _is_warc(path):
            for archived in iter_responses(path):
                if not _html_like(archived.content_type, archived.body):
                    continue
                outlet = fixed_outlet or outlet_for_url(archived.url)
                result = analyse_page(
                    archived.url, archived.status, archived.body,
                    content_type=archived.content_type, outlet=outlet,
                )
                record = result.as_record()
                record["warc"] = {
                    "file": archived.pointer.file, "offset": archived.pointer.offset,
                    "record_id": archived.pointer.record_id, "date": archived.pointer.date,
                }
                yield record
        else:
            if not url:
                raise SystemExit(f"newsarchive extract: {path} is an HTML file; give its URL with --url")
            outlet = fixed_outlet or outlet_for_url(url)
            result = analyse_page(url, 200, path.read_bytes(), content_type=None, outlet=outlet)
            yield result.as_record()


def _html_like(content_type: str | None, body: bytes) -> bool:
    kind = (content_type or "").split(";")[0].strip().lower()
    if kind in ("text/html", "application/xhtml+xml"):
        return True
    if kind:
        return False
    head = body[:512].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html"))


def cmd_extract(args: argparse.Namespace) -> int:
    paths = [Path(p) for p in args.inputs]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        print(f"newsarchive extract: no such file: {', '.join(missing)}", file=sys.stderr)
        return 2
    if args.url and len(paths) != 1:
        print("newsarchive extract: --url goes with exactly one HTML file", file=sys.stderr)
        return 2
    out = sys.stdout
    for record in iter_extract(paths, args.url, args.outlet):
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
    out.flush()
    return 0


# --- entry point -----------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="newsarchive", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="serve the bundled replica, crawl it, print a summary")
    demo.add_argument("--output", default="output", help="output folder (default: ./output)")
    demo.add_argument("--port", type=int, default=0, help="replica port (default: any free port)")
    demo.add_argument("--outlet", action="append", help="crawl only this outlet (repeatable)")
    demo.add_argument("--log-level", default="WARNING", help="Scrapy log level (default: WARNING)")
    demo.set_defaults(func=cmd_demo)

    replica = sub.add_parser("replica", help="serve the replica of the outlets on localhost")
    replica.add_argument("--host", default="127.0.0.1")
    replica.add_argument("--port", type=int, default=8765)
    replica.add_argument("--shared-data", help="folder of real saved pages (default: ../shared/data if present)")
    replica.set_defaults(func=cmd_replica)

    extract = sub.add_parser("extract", help="re-run encoding, verdict and extraction on archived pages")
    extract.add_argument("inputs", nargs="+", metavar="INPUT", help="WARC files, or one HTML file with --url")
    extract.add_argument("--url", help="the URL an HTML file was fetched from")
    extract.add_argument("--outlet", help="force an outlet's parser instead of choosing by host")
    extract.set_defaults(func=cmd_extract)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)
