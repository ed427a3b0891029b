"""The crawl benchmark suite: ``make bench`` / ``python bench/suite.py [--pages 500]``.

What one crawl of a news site costs, with the whole newsarchive pipeline next to plain Scrapy and
wget. For each site size (default 5,000 then 50,000 articles) it writes a generated news site to a
temp folder (bench/sitegen.py: articles of 12-20 paragraphs with navigation, sidebars, comments,
inline script and style, ~60 KB each, compressing ~5x like real pages; section listings linking to
them), serves it with Debian's nginx (its own config and prefix, one worker, a free loopback port;
``--server python`` uses the threaded Python server instead), and crawls it once with each of:

* ``plain``: Scrapy and a spider that follows every link; nothing else (the reference);
* ``warc``:  the same plus WARC archiving (the project's extension and middlewares);
* ``full``:  ``scrapy crawl generic -a url=...`` with the project's settings: WARC, encoding,
  verdicts, extraction, ``articles.jsonl`` and text files, the run report;
* ``wget``:  ``wget --recursive --warc-file`` on the same site, for reference.

Every crawl runs in a fresh process with the same concurrency (16, the project's, no delay: the
server is local).
The table gives pages/s (wall time), CPU seconds per 1,000 pages of the crawler process and its
children (``wait4``, imports included) and of the server (from /proc), peak memory (the larger of
the crawler process's peak RSS and the sampled sum of its and its children's proportional set
sizes: the WARC writer runs in a child process) and the process's own, and each mode's
pages/s over plain's. The machine's load average is printed with each crawl: on a shared machine
wall-clock figures move with the load, CPU per page much less. ``bench/results.json`` gets the
figures (``pages``, ``*_pages_per_s``, ``full_over_plain``, ``peak_rss_mb_5k``/``_50k`` of the
full pipeline, and every crawl's details) so that one run can be compared with the next.

Targets (2 cores): full >= 0.75x plain pages/s; full peak RSS <= 250 MB at 50,000 pages and at
most 20% above the 5,000-page figure. A benchmark, not a test: it never fails on the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.sitegen import (  # noqa: E402
    NginxServer,
    cpu_seconds,
    file_page,
    start_python_server,
    write_news_site,
)

MODES = ("plain", "warc", "full", "wget")
RESULTS = ROOT / "bench" / "results.json"
TARGET_RATIO = 0.75
TARGET_RSS_MB = 250
TARGET_GROWTH = 0.20


def _run(argv: list[str], *, cwd: Path, env: dict[str, str] | None = None,
         timeout: float = 7200) -> tuple[str, str, float, Any]:
    """Run a command; stdout, stderr, wall seconds and its ``wait4`` rusage (it and its children)."""
    out_path, err_path = cwd / "stdout.txt", cwd / "stderr.txt"
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        started = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=out, stderr=err)
        deadline = started + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                proc.kill()
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.05)
        wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    stdout, stderr = out_path.read_text(errors="replace"), err_path.read_text(errors="replace")
    if proc.returncode != 0:
        raise SystemExit(f"{argv[0]} failed ({proc.returncode}):\n{stderr[-4000:]}")
    return stdout, stderr, wall, usage


def crawl_scrapy(mode: str, base: str, workdir: Path, settings: dict[str, Any],
                 profile: Path | None) -> dict[str, Any]:
    """One Scrapy crawl (bench/crawl_runner.py) in a fresh process."""
    output = workdir / "output"
    cfg = {"mode": mode, "base": base, "output": str(output), "settings": settings}
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for name in ("SCRAPY_SETTINGS_MODULE", "NEWSARCHIVE_REPLICA", "NEWSARCHIVE_OUTPUT"):
        env.pop(name, None)
    argv = [sys.executable, "-m", "bench.crawl_runner", json.dumps(cfg)]
    if profile is not None:
        py_spy = Path(sys.executable).with_name("py-spy")
        argv = [str(py_spy), "record", "--rate", "50", "--format", "raw", "--output", str(profile), "--", *argv]
    stdout, _stderr, wall, usage = _run(argv, cwd=workdir, env=env)
    # The runner's figures are its last JSON line (py-spy, when profiling, prints after it).
    result = json.loads([line for line in stdout.splitlines() if line.startswith("{")][-1])
    # Peak RSS: of the crawler process, or of it and its children together (sampled) when larger.
    result.update(pages=result["responses"], wall=wall, cpu=usage.ru_utime + usage.ru_stime,
                  peak_rss_mb=max(result["max_rss_kb"] / 1024, result["peak_total_rss_mb"]),
                  peak_rss_mb_process=result["max_rss_kb"] / 1024)
    return result


def crawl_wget(base: str, workdir: Path) -> dict[str, Any]:
    """``wget --recursive --warc-file`` of the whole site (one connection; files deleted after)."""
    argv = ["wget", "--recursive", "--level=inf", "--no-parent", "--no-verbose", "--delete-after",
            "--no-host-directories", f"--warc-file={workdir / 'wget'}", "--directory-prefix", str(workdir / "files"),
            base + "/"]
    _stdout, stderr, wall, usage = _run(argv, cwd=workdir)
    pages = sum(1 for line in stderr.splitlines() if " URL:" in line and "->" in line)
    warc = workdir / "wget.warc.gz"
    return {"pages": pages, "elapsed": wall, "wall": wall, "cpu": usage.ru_utime + usage.ru_stime,
            "crawl_cpu": usage.ru_utime + usage.ru_stime, "peak_rss_mb": usage.ru_maxrss / 1024,
            "warc_bytes": warc.stat().st_size if warc.exists() else 0}


def run_size(pages: int, modes: list[str], args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    site = tmp / f"site-{pages}"
    started = time.perf_counter()
    counts = write_news_site(site, pages)
    print(f"\n== {pages} articles: site of {counts['html_pages']} HTML pages, {counts['bytes'] / 1e6:.0f} MB, "
          f"written in {time.perf_counter() - started:.0f} s; server: {args.server}", flush=True)
    nginx = None
    if args.server == "nginx":
        nginx = NginxServer(site)
        base = nginx.start()
    else:
        import functools

        python_server, base = start_python_server(functools.partial(file_page, root=str(site)))
    results: dict[str, Any] = {"site": counts}
    try:
        for mode in modes:
            workdir = tmp / f"{mode}-{pages}"
            shutil.rmtree(workdir, ignore_errors=True)
            workdir.mkdir()
            server_pids = nginx.pids() if nginx else [python_server.pid]
            load = os.getloadavg()[0]
            server_cpu = cpu_seconds(server_pids)
            profile = Path(args.profile) / f"{mode}-{pages}.txt" if args.profile and mode != "wget" else None
            if mode == "wget":
                result = crawl_wget(base, workdir)
            else:
                result = crawl_scrapy(mode, base, workdir, json.loads(args.settings or "{}"), profile)
            result["server_cpu"] = cpu_seconds(server_pids) - server_cpu
            result["load_before"] = load
            result["load_after"] = os.getloadavg()[0]
            result["pages_per_s"] = result["pages"] / result["elapsed"]
            results[mode] = result
            extra = f", {result.get('articles', 0)} articles" if mode == "full" else ""
            print(f"  {mode:>5}: {result['pages']} pages in {result['elapsed']:.1f} s = {result['pages_per_s']:.0f} pages/s, "
                  f"CPU {result['cpu'] / result['pages'] * 1e3:.2f} s/1000 pages, peak RSS {result['peak_rss_mb']:.0f} MB, "
                  f"server CPU {result['server_cpu'] / result['pages'] * 1e3:.2f} s/1000{extra} "
                  f"(load {load:.2f} -> {result['load_after']:.2f})", flush=True)
            if not args.keep:
                shutil.rmtree(workdir, ignore_errors=True)
    finally:
        if nginx:
            nginx.stop()
        else:
            python_server.terminate()
            python_server.join(timeout=10)
        if not args.keep:
            shutil.rmtree(site, ignore_errors=True)
    return results


def _label(pages: int) -> str:
    return f"{pages // 1000}k" if pages % 1000 == 0 else str(pages)


def table(runs: dict[int, dict[str, Any]]) -> str:
    header = (f"{'pages':>7} {'mode':>5} {'fetched':>8} {'pages/s':>8} {'CPU s/1k':>9} {'crawl CPU s/1k':>14} "
              f"{'server CPU s/1k':>15} {'peak RSS MB':>11} {'of which process':>16} {'x plain':>8}")
    lines = [header, "-" * len(header)]
    for pages, results in runs.items():
        plain = results.get("plain")
        for mode in MODES:
            r = results.get(mode)
            if r is None:
                continue
            ratio = f"{r['pages_per_s'] / plain['pages_per_s']:.2f}" if plain else "-"
            lines.append(
                f"{pages:>7} {mode:>5} {r['pages']:>8} {r['pages_per_s']:>8.0f} {r['cpu'] / r['pages'] * 1e3:>9.2f} "
                f"{r['crawl_cpu'] / r['pages'] * 1e3:>14.2f} {r['server_cpu'] / r['pages'] * 1e3:>15.2f} "
                f"{r['peak_rss_mb']:>11.0f} {r.get('peak_rss_mb_process') or r['peak_rss_mb']:>16.0f} {ratio:>8}"
            )
    return "\n".join(lines)


def summary(runs: dict[int, dict[str, Any]]) -> dict[str, Any]:
    """results.json: the figures of the largest size crawled by plain and full at the top level (of the
    largest size at all when none was), every crawl under ``runs``."""
    compared = [pages for pages, results in runs.items() if "plain" in results and "full" in results]
    largest = max(compared or runs)
    top = runs[largest]
    out: dict[str, Any] = {"pages": largest, "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                           "cores": os.cpu_count()}
    for mode in MODES:
        if mode in top:
            out[f"{mode}_pages_per_s"] = round(top[mode]["pages_per_s"], 1)
            out[f"{mode}_cpu_s_per_1000"] = round(top[mode]["cpu"] / top[mode]["pages"] * 1e3, 2)
            out[f"{mode}_peak_rss_mb"] = round(top[mode]["peak_rss_mb"], 1)
    if "full" in top and "plain" in top:
        out["full_over_plain"] = round(top["full"]["pages_per_s"] / top["plain"]["pages_per_s"], 3)
        out["full_over_plain_cpu"] = round(
            (top["full"]["cpu"] / top["full"]["pages"]) / (top["plain"]["cpu"] / top["plain"]["pages"]), 2)
    for pages, results in runs.items():
        if "full" in results:
            # Process and children together (the WARC writer process); the crawler process alone.
            out[f"peak_rss_mb_{_label(pages)}"] = round(results["full"]["peak_rss_mb"], 1)
            out[f"peak_rss_mb_process_{_label(pages)}"] = round(results["full"]["peak_rss_mb_process"], 1)
    if "peak_rss_mb_5k" in out and "peak_rss_mb_50k" in out:
        out["rss_growth_5k_to_50k"] = round(out["peak_rss_mb_50k"] / out["peak_rss_mb_5k"] - 1, 3)
        out["rss_growth_process_5k_to_50k"] = round(
            out["peak_rss_mb_process_50k"] / out["peak_rss_mb_process_5k"] - 1, 3)
    out["runs"] = {str(pages): results for pages, results in runs.items()}
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, nargs="+", default=[5000, 50000],
                        help="site sizes in articles, each crawled by every mode (default: 5000 50000)")
    parser.add_argument("--modes", default=",".join(MODES), help=f"comma-separated, of {', '.join(MODES)}")
    parser.add_argument("--large-modes", default="",
                        help="modes for the sizes above the smallest (default: --modes); e.g. 'full' to measure "
                             "the 50,000-page memory without three more long crawls")
    parser.add_argument("--server", choices=("nginx", "python"), default="nginx")
    parser.add_argument("--settings", default="", help="JSON object of extra Scrapy settings for the Scrapy crawls")
    parser.add_argument("--profile", default="", metavar="DIR",
                        help="record each Scrapy crawl with py-spy (raw folded stacks) into DIR")
    parser.add_argument("--keep", action="store_true", help="keep the site and crawl outputs (printed folder)")
    parser.add_argument("--results", default=str(RESULTS), help="where to write the JSON (default bench/results.json)")
    parser.add_argument("--summarize", action="store_true",
                        help="crawl nothing: print the table and summary of the crawls in --results again")
    args = parser.parse_args()
    if args.summarize:
        earlier = json.loads(Path(args.results).read_text())
        return report({int(pages): results for pages, results in earlier["runs"].items()}, args.results)
    modes = [m for m in args.modes.split(",") if m]
    large_modes = [m for m in args.large_modes.split(",") if m] or modes
    unknown = (set(modes) | set(large_modes)) - set(MODES)
    if unknown:
        parser.error(f"unknown modes: {', '.join(sorted(unknown))}")
    if args.server == "nginx" and not shutil.which("nginx") and not Path("/usr/sbin/nginx").exists():
        parser.error("nginx is not installed (apt-get install nginx), or use --server python")
    if args.profile:
        Path(args.profile).mkdir(parents=True, exist_ok=True)

    runs: dict[int, dict[str, Any]] = {}
    tmp = Path(tempfile.mkdtemp(prefix="newsarchive-bench-"))
    try:
        for pages in args.pages:
            runs[pages] = run_size(pages, modes if pages == min(args.pages) else large_modes, args, tmp)
    finally:
        if args.keep:
            print(f"kept: {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return report(runs, args.results)


def report(runs: dict[int, dict[str, Any]], results: str) -> int:
    """Print the table and the targets; write the JSON."""
    print()
    print(table(runs))
    out = summary(runs)
    lines = []
    if "full_over_plain" in out:
        lines.append(f"full/plain pages/s: {out['full_over_plain']:.2f} (target >= {TARGET_RATIO}); "
                     f"CPU per page full/plain: {out['full_over_plain_cpu']:.1f}x")
    for key in sorted(k for k in out if k.startswith("peak_rss_mb_")):
        what = "crawler process alone" if "_process_" in key else "with its children"
        lines.append(f"full pipeline {key} ({what}): {out[key]:.0f} MB (target <= {TARGET_RSS_MB})")
    for key in ("rss_growth_5k_to_50k", "rss_growth_process_5k_to_50k"):
        if key in out:
            lines.append(f"{key}: {out[key]:+.0%} (target <= +{TARGET_GROWTH:.0%})")
    print("\n".join(lines))
    Path(results).write_text(json.dumps(out, indent=2) + "\n")
    print(f"wrote {results}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
