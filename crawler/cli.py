"""The ``newsarchive`` command (also ``python -m crawler``).

Subcommands: ``demo`` (replica + crawl + summary), ``replica`` (serve the replica alone),
``extract`` (re-run encoding, verdict and extraction offline on archived pages), ``archive``
(``repair``, ``check``, ``index``, ``wacz``: tools for the WARC files of an output folder),
``eval-verdicts`` (precision and recall of the page verdicts on the labelled evaluation set),
``audit``, ``captures``, ``show``, ``diff``, ``replay`` (an auditor's view of an archive), ``run`` (the
scheduled, incremental job: crawler/run.py).
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

    serve(args.host, args.port, Path(args.shared_data) if args.shared_data else None, hostile=args.hostile)
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
    from crawler.probe import ArchivedExchange, replay_evidence

    fixed_outlet = outlet_by_name(outlet_name) if outlet_name else None
    # Pass one finds the crawl's per-host probes in the archive (crawler.probe), so that pages are
    # judged with what the crawl knew about their site, as the crawl judged them.
    evidence = replay_evidence(
        (
            ArchivedExchange(archived.url, archived.status, archived.header("Location"))
            for path in paths
            if _is_warc(path)
            for archived in iter_responses(path, revisits=True, locator=_locator(path), skip_unresolved=True)
        ),
        lambda page_url: fixed_outlet or outlet_for_url(page_url),
    )
    for path in paths:
        if _is_warc(path):
            # Revisits (deduplicated or 304 captures of a recrawl) are resolved to the payload
            # they stand for, from the other WARCs of the same output folder.
            for archived in iter_responses(path, revisits=True, locator=_locator(path), skip_unresolved=True):
                # A body cut at the size cap was never analysed by the crawl (crawler.middlewares.OversizeMiddleware).
                if archived.truncated == "length" or not _html_like(archived.content_type, archived.body):
                    continue
                outlet = fixed_outlet or outlet_for_url(archived.url)
                result = evidence.analyse(
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


_LOCATORS: dict[Path, Any] = {}


def _locator(path: Path) -> Any:  # archive.reader.RecordLocator, imported lazily
    """One RecordLocator per folder, so resolving many revisits scans a folder at most once."""
    from archive.reader import RecordLocator

    folder = path.resolve().parent
    if folder not in _LOCATORS:
        _LOCATORS[folder] = RecordLocator(folder)
    return _LOCATORS[folder]


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


# --- eval-verdicts ---------------------------------------------------------------------------
def cmd_eval_verdicts(args: argparse.Namespace) -> int:
    from crawler.verdict_eval import command

    return command(
        Path(args.data) if args.data else None, alone=args.alone, check=args.check, real=args.real,
        shared=Path(args.shared_data) if args.shared_data else None,
    )


# --- archive ---------------------------------------------------------------------------------
def cmd_archive_repair(args: argparse.Namespace) -> int:
    """Cut ``.open`` files left by a killed crawl back to their last complete record and close them."""
    from archive.repair import RepairError, repair

    status = 0
    for name in args.files:
        try:
            result = repair(Path(name))
        except (RepairError, OSError) as exc:
            print(f"newsarchive archive repair: {exc}", file=sys.stderr)
            status = 1
            continue
        if result.records == 0:
            print(f"{result.path}: removed, it held no complete record ({result.removed} bytes)")
        else:
            print(f"{result.path}: {result.records} records kept, {result.removed} bytes cut")
    return status


def cmd_archive_check(args: argparse.Namespace) -> int:
    """Digests, record graph and framing of WARC files (``python -m archive.check`` as a subcommand)."""
    from archive.check import main as check_main

    paths = _warc_inputs(args.inputs)
    return check_main([*(["--graph"] if args.graph else []), *map(str, paths)])


def cmd_archive_index(args: argparse.Namespace) -> int:
    """Rebuild an output folder's digest index and CDXJ index from its WARCs (e.g. after a crash)."""
    from archive.cdxj import INDEX_DIR, index_files
    from archive.dedup import INDEX_NAME, rebuild

    output = Path(args.output)
    warcs = [p for p in sorted((output / "warc").iterdir()) if p.name.endswith((".warc", ".warc.gz"))]
    if not warcs:
        print(f"newsarchive archive index: no closed WARC files in {output / 'warc'}", file=sys.stderr)
        return 1
    added = rebuild(output / INDEX_DIR / INDEX_NAME, warcs)
    target = index_files(warcs, output / INDEX_DIR / "all.cdxj")
    for other in (output / INDEX_DIR).glob("*.cdxj"):
        if other != target:
            other.unlink()  # superseded: all.cdxj covers every file
    print(f"{target}: {len(warcs)} WARC files; {added} payloads in {output / INDEX_DIR / INDEX_NAME}")
    return 0


def cmd_archive_merge_index(args: argparse.Namespace) -> int:
    """One CDXJ index and one articles file for a collection written by several workers (archive/merge.py)."""
    from archive.merge import merge_collection

    output = Path(args.output)
    if not output.is_dir():
        print(f"newsarchive archive merge-index: no such folder: {output}", file=sys.stderr)
        return 1
    print(merge_collection(output).summary())
    return 0


def cmd_archive_wacz(args: argparse.Namespace) -> int:
    """Pack an output folder into a WACZ (WARCs, CDXJ index, pages.jsonl of the articles)."""
    from archive.wacz import pack

    try:
        target = pack(Path(args.output), Path(args.to) if args.to else None, title=args.title)
    except FileNotFoundError as exc:
        print(f"newsarchive archive wacz: {exc}", file=sys.stderr)
        return 1
    print(target)
    return 0


def _warc_inputs(inputs: Sequence[str]) -> list[Path]:
    paths: list[Path] = []
    for name in inputs:
        path = Path(name)
        if path.is_dir():
            paths.extend(p for p in sorted(path.iterdir()) if _is_warc(p))
        else:
            paths.append(path)
    return paths


def _add_archive_commands(sub: Any) -> None:  # argparse._SubParsersAction
    archive = sub.add_parser("archive", help="WARC tools: repair, check, index, merge-index, wacz")
    commands = archive.add_subparsers(dest="archive_command", required=True)

    repair = commands.add_parser("repair", help="close a .open WARC left by a killed crawl")
    repair.add_argument("files", nargs="+", metavar="FILE.open")
    repair.set_defaults(func=cmd_archive_repair)

    check = commands.add_parser("check", help="verify digests, record graph and framing")
    check.add_argument("inputs", nargs="+", metavar="WARC_OR_DIR")
    check.add_argument("--graph", action="store_true", help="also require metadata (and conversion) records")
    check.set_defaults(func=cmd_archive_check)

    index = commands.add_parser("index", help="rebuild the digest and CDXJ indexes of an output folder")
    index.add_argument("output", metavar="OUTPUT")
    index.set_defaults(func=cmd_archive_index)

    merge = commands.add_parser(
        "merge-index", help="one CDXJ index (indexes/all.cdxj) and one articles.jsonl for a collection of workers")
    merge.add_argument("output", metavar="OUTPUT")
    merge.set_defaults(func=cmd_archive_merge_index)

    wacz = commands.add_parser("wacz", help="pack an output folder into a WACZ file")
    wacz.add_argument("output", metavar="OUTPUT")
    wacz.add_argument("-o", "--to", help="WACZ file to write (default: OUTPUT/<name>.wacz)")
    wacz.add_argument("--title", help="collection title")
    wacz.set_defaults(func=cmd_archive_wacz)


# --- audit, captures, show, diff, replay (archive/audit.py, archive/captures.py, archive/diffing.py) -----
def cmd_audit(args: argparse.Namespace) -> int:
    """Verify the archive (records, links, article pointers, text); exit 0 only when all holds."""
    from archive.audit import audit

    try:
        report = audit(args.paths, reextract=not args.no_text)
    except FileNotFoundError as exc:
        print(f"newsarchive audit: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(report.as_dict(), ensure_ascii=False, indent=2) if args.json else report.text())
    return 0 if report.ok else 1


def _archive_paths(args: argparse.Namespace) -> list[str] | None:
    from archive.captures import default_output

    paths = args.paths or [default_output()]
    missing = [p for p in paths if not Path(p).exists()]
    if missing:
        print(f"newsarchive {args.command}: no such file or folder: {', '.join(missing)}", file=sys.stderr)
        return None
    return paths


def cmd_captures(args: argparse.Namespace) -> int:
    from archive.captures import run_captures

    paths = _archive_paths(args)
    return 2 if paths is None else run_captures(args.url, paths, as_json=args.json, out=sys.stdout, err=sys.stderr)


def cmd_show(args: argparse.Namespace) -> int:
    from archive.captures import run_show

    paths = _archive_paths(args)
    return 2 if paths is None else run_show(args.url, paths, at=args.at, raw=args.raw, out=sys.stdout, err=sys.stderr)


def cmd_diff(args: argparse.Namespace) -> int:
    from archive.diffing import run_diff

    paths = _archive_paths(args)
    if paths is None:
        return 2
    return run_diff(args.url, paths, start=args.start, end=args.end, out=sys.stdout, err=sys.stderr)


def cmd_replay(args: argparse.Namespace) -> int:
    from archive.captures import serve

    paths = _archive_paths(args)
    if paths is None:
        return 2
    return serve(paths, host=args.host, port=args.port, name=args.collection, announce=lambda m: print(m, flush=True))


def _add_audit_commands(sub: Any) -> None:  # argparse._SubParsersAction
    where = "output folder, folder of WARC files, or WARC files (default: ./output or $NEWSARCHIVE_OUTPUT)"
    audit = sub.add_parser("audit", help="verify an archive: records, digests, links, article pointers and text")
    audit.add_argument("paths", nargs="+", metavar="PATH", help="output folder, folder of WARC files, or WARC files")
    audit.add_argument("--json", action="store_true", help="the report as JSON")
    audit.add_argument("--no-text", action="store_true", help="skip re-extracting the articles' text")
    audit.set_defaults(func=cmd_audit)

    captures = sub.add_parser("captures", help="every capture of a URL, from the CDXJ indexes")
    captures.add_argument("url", help="the outlet's URL or the URL fetched (a replica URL)")
    captures.add_argument("paths", nargs="*", metavar="PATH", help=where)
    captures.add_argument("--json", action="store_true", help="JSON Lines")
    captures.set_defaults(func=cmd_captures)

    show = sub.add_parser("show", help="headers and extracted text of the capture of a URL nearest to a time")
    show.add_argument("url", help="the outlet's URL or the URL fetched (a replica URL)")
    show.add_argument("paths", nargs="*", metavar="PATH", help=where)
    show.add_argument("--at", metavar="TIMESTAMP", help="YYYYMMDDhhmmss (or a prefix) or ISO 8601; default: latest")
    show.add_argument("--raw", action="store_true", help="write the exact archived payload bytes to stdout")
    show.set_defaults(func=cmd_show)

    diff = sub.add_parser("diff", help="text changes of a URL between two captures (exit 1 when it changed)")
    diff.add_argument("url", help="the outlet's URL or the URL fetched (a replica URL)")
    diff.add_argument("paths", nargs="*", metavar="PATH", help=where)
    diff.add_argument("--from", dest="start", metavar="T1", help="capture nearest to T1 (default: the first)")
    diff.add_argument("--to", dest="end", metavar="T2", help="capture nearest to T2 (default: the last)")
    diff.set_defaults(func=cmd_diff)

    replay = sub.add_parser("replay", help="browse the archive with pywb (the [replay] extra), in a subprocess")
    replay.add_argument("paths", nargs="*", metavar="PATH", help=where)
    replay.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    replay.add_argument("--port", type=int, default=8080, help="port (default: 8080; 0: any free port)")
    replay.add_argument("--collection", default="news", help="pywb collection name (default: news)")
    replay.set_defaults(func=cmd_replay)


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
    replica.add_argument(
        "--hostile", action="store_true",
        help="also serve hostile.example: stalls, drops, bombs, huge pages, loops, traps "
             "(crawl it with NEWSARCHIVE_PROFILES=crawler/replica/hostile.toml scrapy crawl hostile)",
    )
    replica.set_defaults(func=cmd_replica)

    extract = sub.add_parser("extract", help="re-run encoding, verdict and extraction on archived pages")
    extract.add_argument("inputs", nargs="+", metavar="INPUT", help="WARC files, or one HTML file with --url")
    extract.add_argument("--url", help="the URL an HTML file was fetched from")
    extract.add_argument("--outlet", help="force an outlet's parser instead of choosing by host")
    extract.set_defaults(func=cmd_extract)

    evaluate = sub.add_parser("eval-verdicts", help="precision and recall of the page verdicts, per language")
    evaluate.add_argument("--data", help="evaluation set folder (default: tests/verdict_eval)")
    evaluate.add_argument("--alone", action="store_true", help="judge each page alone (no probe, no templates)")
    evaluate.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    evaluate.add_argument("--real", action="store_true", help="also judge the real article pages of ../shared/data")
    evaluate.add_argument("--shared-data", help="folder of real saved pages (default: ../shared/data)")
    evaluate.set_defaults(func=cmd_eval_verdicts)

    _add_archive_commands(sub)
    _add_audit_commands(sub)
    from crawler.run import add_run_command  # the scheduled job (cron, systemd): crawler/run.py

    add_run_command(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)
