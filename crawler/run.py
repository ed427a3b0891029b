"""``newsarchive run``: the job cron (or a systemd timer) starts every hour, for years.

It must be boring: fetch what is new or changed, never run twice at once, survive being killed, say
nothing when all is well and something short when not, and leave a report.

One run = every chosen outlet (all of ``crawler.outlets.outlet_spiders()`` by default, the demo's set)
crawled in one Scrapy process into one **collection** (``--output``, default ``./output``)::

    OUTPUT/
      warc/PREFIX-YYYYMMDDhhmmssffffff-NNNNN-HOST.warc.gz   the archive: dated file names, all runs
      articles.jsonl, text/, indexes/, reports/             as for `scrapy crawl` (indexes/digests.sqlite:
                                                            payload dedup + validators for conditional GET)
      state.sqlite                                          the run state (crawler.state): URLs, outcomes
      runs/YYYY/MM/DD/<run-id>/report.json, report.txt      the run report, JSON and for people
      runs/latest.json, runs/latest.txt                     the last run's report (for monitoring)
      logs/newsarchive.log (.1 ... .N)                      the log of every run, rotated by size
      run.lock                                              held while a run is going (crawler.lock)

Why one collection with dated WARC names rather than a folder per run: revisit records, conditional
GET and every archive tool (``extract``, ``audit``, ``captures``, ``diff``, ``archive wacz``, pywb) work
on one output folder; a folder per run would make every run's first capture a full copy again and
spread one URL's history over many folders. The date is in each WARC file's name and record, and each
run's report sits in a dated folder.

Incremental (crawler.state): discovery pages are fetched every run; an article only when new, when an
earlier attempt failed (``--retry-failed`` runs in a row), or when its last capture is older than
``--recheck-after`` (then with a conditional GET through the archive's ConditionalGetMiddleware). A
changed article is archived and written again and flagged in the report; an unchanged one is a revisit
record and is not written to ``articles.jsonl`` again.

Resumable: after a SIGKILL (or a crash or power cut) the next run finds the lock's stale content or the
run still marked ``running`` in the state, cuts the killed run's ``.open`` WARC files back to their last
complete record (``archive.repair``), indexes them (CDXJ), trims a half-written line of
``articles.jsonl``, and reconciles the state with what really reached the disk. Then it crawls as
usual: the discovery pages again, the articles the killed run had not finished. Scrapy's JOBDIR is not
used: its disk queue loses the requests that were in flight at a kill (they are popped from the queue
and already in the duplicate filter), which is exactly what must not be lost here.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import logging.handlers
import os
import re
import socket
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crawler.lock import LOCK_NAME, LockHeld, LockHolder, RunLock

if TYPE_CHECKING:  # imported lazily at run time: `newsarchive --help` must not pay for Scrapy
    from scrapy.crawler import Crawler
    from scrapy.settings import Settings

    from crawler.state import StateStore

logger = logging.getLogger(__name__)

# --- exit codes (documented in the README and in `newsarchive run --help`) -----------------------
EXIT_OK = 0
#: An unexpected error in newsarchive itself; the traceback is in the log.
EXIT_INTERNAL = 1
#: argparse's own code for a malformed command line.
EXIT_USAGE = 2
#: The run went through but at least one outlet failed (see the summary on stdout and the report).
EXIT_OUTLETS_FAILED = 3
#: Another run holds the output folder's lock (sysexits EX_TEMPFAIL: try again later).
EXIT_LOCKED = 75
#: Bad options, settings or environment: nothing was crawled (sysexits EX_CONFIG).
EXIT_CONFIG = 78

EXIT_CODES_HELP = f"""\
exit codes:
  {EXIT_OK}   all outlets crawled
  {EXIT_INTERNAL}   internal error (traceback in OUTPUT/logs/newsarchive.log)
  {EXIT_USAGE}   malformed command line
  {EXIT_OUTLETS_FAILED}   some outlets failed (summary on stdout, details in the run report)
  {EXIT_LOCKED}  another run is going on in this output folder (lock held); nothing done
  {EXIT_CONFIG}  configuration error (unknown outlet, bad date, bad NEWSARCHIVE_REPLICA...); nothing done
"""

#: Spider finish reasons that are a complete (or deliberately bounded) crawl.
OK_FINISH_REASONS = frozenset({"finished", "closespider_pagecount", "closespider_itemcount", "closespider_timeout"})

STATE_NAME = "state.sqlite"
RUNS_DIR = "runs"
LOG_DIR = "logs"
LOG_NAME = "newsarchive.log"
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*$", re.IGNORECASE)
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_WARC_STAMP = re.compile(r"-(\d{20})-\d{5}-")


class ConfigError(Exception):
    """The run cannot start as configured; the message says what to change."""


# ============================================================================= command line


def add_run_command(sub: Any) -> None:  # argparse._SubParsersAction
    """The ``run`` subcommand (called from crawler.cli.build_parser)."""
    run = sub.add_parser(
        "run",
        help="the scheduled job: crawl the outlets incrementally into one collection (cron, systemd)",
        description=(
            "Crawl the outlets (all by default) into one collection: discovery pages every run, articles "
            "when new, failed before, or due for a recheck. Quiet when all is well: a summary on stdout "
            "only when something is wrong; the log is OUTPUT/logs/newsarchive.log, the report "
            "OUTPUT/runs/YYYY/MM/DD/RUN/report.{json,txt}. Honours NEWSARCHIVE_REPLICA."
        ),
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument("--outlet", action="append", metavar="NAME", help="crawl only this outlet (repeatable)")
    run.add_argument("--output", metavar="DIR", help="collection folder (default: $NEWSARCHIVE_OUTPUT or ./output)")
    run.add_argument("--since", metavar="YYYY-MM-DD", help="skip feed and sitemap entries dated before this day")
    run.add_argument("--max-pages", type=int, metavar="N", help="stop each outlet after N responses (next run goes on)")
    run.add_argument("--recheck-after", metavar="AGE",
                     help="refetch archived articles older than AGE to catch edits: 0, 3600, 90m, 12h, 7d, 2w "
                          "(default: NEWSARCHIVE_RECHECK_AFTER, 7d)")
    run.add_argument("--retry-failed", type=int, metavar="N",
                     help="retry failed articles (5xx, challenge, download error) in up to N runs (default: 3)")
    run.add_argument("--redis", metavar="URL",
                     help="share one frontier with other workers through Redis, e.g. redis://host:6379/0 "
                          "(default: REDIS_URL / $NEWSARCHIVE_REDIS_URL; needs the [redis] extra)")
    run.add_argument("--worker", metavar="ID",
                     help="with --redis: this worker's name, in its WARC file names, articles file and lock "
                          "(default: $NEWSARCHIVE_WORKER_ID, else HOST-PID)")
    run.add_argument("-s", "--set", action="append", default=[], metavar="NAME=VALUE", dest="settings",
                     help="Scrapy setting, as for `scrapy crawl -s` (repeatable)")
    progress = run.add_mutually_exclusive_group()
    progress.add_argument("--progress", dest="progress", action="store_true", default=None,
                          help="live progress per outlet (default: only when stdout is a terminal)")
    progress.add_argument("--no-progress", dest="progress", action="store_false")
    run.set_defaults(func=command)


def parse_duration(text: str) -> float:
    """``0``, ``3600``, ``90s``, ``30m``, ``12h``, ``7d``, ``2w`` to seconds."""
    match = _DURATION.match(str(text))
    if not match:
        raise ConfigError(f"{text!r} is not a duration; write e.g. 0, 3600, 90m, 12h, 7d or 2w")
    return float(match.group(1)) * _UNITS[match.group(2).lower()]


@dataclass
class Plan:
    """A validated run configuration."""

    output: Path
    outlets: list[str]
    since: str | None
    max_pages: int | None
    recheck_after: float
    retry_failed: int
    replica: str
    settings: Settings
    progress: bool
    #: Shared frontier (``--redis``): this worker's id; None when the run crawls alone.
    worker: str | None = None

    @property
    def lock_path(self) -> Path:
        """One run at a time per folder; with a shared frontier, one per worker of the folder."""
        return (self.output / "workers" / self.worker / LOCK_NAME) if self.worker else self.output / LOCK_NAME

    @property
    def articles_path(self) -> Path:
        from crawler.redis_addon import worker_articles_file

        return self.output / (worker_articles_file(self.worker) if self.worker else "articles.jsonl")


def plan_run(args: argparse.Namespace) -> Plan:
    """Check everything that can be checked before taking the lock; ConfigError says what is wrong."""
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
    from scrapy.utils.project import get_project_settings

    from crawler.since import SinceError, parse_since
    from crawler.urls import replica_base

    settings = get_project_settings()
    for entry in args.settings:
        name, sep, value = entry.partition("=")
        if not sep or not name.strip():
            raise ConfigError(f"-s {entry!r}: write NAME=VALUE")
        settings.set(name.strip(), value, priority="cmdline")
    if getattr(args, "redis", None):
        settings.set("REDIS_URL", args.redis, priority="cmdline")
    if getattr(args, "worker", None):
        settings.set("NEWSARCHIVE_WORKER_ID", args.worker, priority="cmdline")
    worker = _redis_worker(settings)

    try:
        replica = replica_base(settings.get("REPLICA"))
    except ValueError as exc:
        raise ConfigError(str(exc)) from None

    from crawler.outlets import outlet_spiders

    known = [cls.name for cls in outlet_spiders() if cls.name != "generic"]
    outlets = list(dict.fromkeys(args.outlet or known))
    unknown = [name for name in outlets if name not in known]
    if unknown:
        from spiders.generic import PROFILE_ERRORS

        why = "; ".join(PROFILE_ERRORS[n] for n in unknown if n in PROFILE_ERRORS)
        raise ConfigError(
            f"unknown outlet {', '.join(map(repr, unknown))}; known outlets: {', '.join(known)}"
            + (f" (profile problem: {why})" if why else "")
        )

    try:
        since = parse_since(args.since)
    except SinceError as exc:
        raise ConfigError(str(exc)) from None

    if args.max_pages is not None and args.max_pages < 1:
        raise ConfigError(f"--max-pages must be at least 1, got {args.max_pages}")
    recheck = (
        parse_duration(args.recheck_after) if args.recheck_after is not None
        else _setting_seconds(settings, "NEWSARCHIVE_RECHECK_AFTER", 7 * 86400)
    )
    retry_failed = args.retry_failed if args.retry_failed is not None else settings.getint("NEWSARCHIVE_RETRY_FAILED", 3)
    if retry_failed < 1:
        raise ConfigError(f"--retry-failed must be at least 1, got {retry_failed}")
    if not isinstance(logging.getLevelName(str(settings.get("LOG_LEVEL")).upper()), int):
        raise ConfigError(f"LOG_LEVEL={settings.get('LOG_LEVEL')!r} is not a log level (DEBUG, INFO, WARNING, ERROR)")

    output = Path(args.output or os.environ.get("NEWSARCHIVE_OUTPUT") or "output").expanduser()
    try:
        output.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"cannot create the output folder {output}: {exc.strerror}") from None
    if not output.is_dir() or not os.access(output, os.W_OK | os.X_OK):
        raise ConfigError(f"the output folder {output} is not a writable folder")

    progress = sys.stdout.isatty() if args.progress is None else bool(args.progress)
    return Plan(
        output=output.resolve(), outlets=outlets, since=since.isoformat() if since else None,
        max_pages=args.max_pages, recheck_after=recheck, retry_failed=retry_failed, replica=replica,
        settings=settings, progress=progress, worker=worker,
    )


def _redis_worker(settings: Settings) -> str | None:
    """With REDIS_URL: check that Redis answers and fix this worker's id for the whole run."""
    url = settings.get("REDIS_URL")
    if not url:
        return None
    from crawler.redis_addon import worker_id

    try:
        import redis
        import scrapy_redis  # noqa: F401
    except ImportError:
        raise ConfigError("--redis needs scrapy-redis: pip install 'newsarchive[redis]'") from None
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=10, socket_timeout=10)
        client.ping()
        client.close()
    except (redis.RedisError, ValueError) as exc:
        raise ConfigError(f"Redis at {url} does not answer: {exc}") from None
    worker = worker_id(settings)
    settings.set("NEWSARCHIVE_WORKER_ID", worker, priority="cmdline")
    return worker


def _setting_seconds(settings: Settings, name: str, default: float) -> float:
    value = settings.get(name, default)
    return parse_duration(str(value)) if isinstance(value, str) else float(value)


def command(args: argparse.Namespace) -> int:
    """Entry point of ``newsarchive run``; returns the exit code."""
    try:
        plan = plan_run(args)
    except ConfigError as exc:
        print(f"newsarchive run: configuration error: {exc}", file=sys.stderr)
        return EXIT_CONFIG

    started = datetime.now(UTC)
    run_id = f"{started:%Y%m%dT%H%M%SZ}-{os.getpid()}"
    plan.lock_path.parent.mkdir(parents=True, exist_ok=True)
    lock = RunLock(plan.lock_path)
    holder = LockHolder(pid=os.getpid(), host=socket.gethostname(), started=started.isoformat(timespec="seconds"),
                        run_id=run_id)
    try:
        stale = lock.acquire(holder)
    except LockHeld as exc:
        who = exc.holder.describe() if exc.holder else "holder unknown"
        print(
            f"newsarchive run: another run is in progress in {plan.output} ({who}); "
            f"not starting (exit {EXIT_LOCKED}). Lock file: {exc.path}",
            file=sys.stderr,
        )
        return EXIT_LOCKED
    except OSError as exc:
        print(f"newsarchive run: configuration error: cannot lock {lock.path}: {exc.strerror}", file=sys.stderr)
        return EXIT_CONFIG
    try:
        return Run(plan, run_id, started, stale).execute()
    finally:
        lock.release()


# ============================================================================= the run


@dataclass
class Recovery:
    """What the run repaired after a previous run that did not end cleanly."""

    stale_lock: dict[str, Any] | None = None
    interrupted_runs: list[str] = field(default_factory=list)
    repaired_files: list[dict[str, Any]] = field(default_factory=list)
    indexed_files: list[str] = field(default_factory=list)
    cdxj: str | None = None
    articles_trimmed_bytes: int = 0
    lost_urls: list[str] = field(default_factory=list)
    adopted_articles: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "stale_lock": self.stale_lock, "interrupted_runs": self.interrupted_runs,
            "repaired_files": self.repaired_files, "indexed_files": self.indexed_files, "cdxj": self.cdxj,
            "articles_trimmed_bytes": self.articles_trimmed_bytes, "lost_urls": self.lost_urls,
            "adopted_articles": self.adopted_articles,
        }


class Run:
    """One run, once the lock is held: log, recover, crawl, report; always leaves the run recorded."""

    def __init__(self, plan: Plan, run_id: str, started: datetime, stale: LockHolder | None) -> None:
        self.plan = plan
        self.run_id = run_id
        self.started = started
        self.stale = stale
        self.output = plan.output

    def execute(self) -> int:
        handler = setup_logging(self.output, self.plan.settings)
        from crawler.state_redis import open_state

        # Redis with a shared frontier (every worker reads one state), else OUTPUT/state.sqlite.
        store: StateStore = open_state(self.plan.settings, self.output / STATE_NAME)
        status, code, report_path = "failed", EXIT_INTERNAL, None
        try:
            logger.info(
                "newsarchive run %s: outlets %s into %s%s", self.run_id, ",".join(self.plan.outlets), self.output,
                f" (replica {self.plan.replica})" if self.plan.replica else "",
            )
            articles = self.plan.articles_path
            prefix = f"{self.plan.settings.get('WARC_PREFIX') or 'newsarchive'}-{self.plan.worker}" if self.plan.worker else None
            recovery = recover(self.output, store, self.stale, articles=articles, warc_prefix=prefix)
            store.begin_run(
                self.run_id, pid=os.getpid(), host=socket.gethostname(), started=self.started.isoformat(),
                outlets=self.plan.outlets, articles_offset=articles.stat().st_size if articles.exists() else 0,
            )
            outcomes = crawl(self.plan, self.run_id, self.started)
            report = build_report(self.plan, self.run_id, self.started, outcomes, recovery)
            code = report["exit_code"]
            status = report["status"]
            report_path = write_report(self.output, self.started, self.run_id, report)
            logger.info("Run %s %s (exit %d); report %s", self.run_id, status, code, report_path)
            text = report_text(report)
            if self.plan.progress or report["problems"]:
                # Under cron only a run with problems prints (and so mails) anything.
                print(text, flush=True)
            return code
        except Exception as exc:
            logger.exception("newsarchive run %s failed", self.run_id)
            print(f"newsarchive run {self.run_id}: internal error: {exc!r}; see "
                  f"{self.output / LOG_DIR / LOG_NAME}", flush=True)
            return EXIT_INTERNAL
        finally:
            with contextlib.suppress(Exception):
                store.finish_run(self.run_id, status=status, exit_code=code,
                                 report=str(report_path) if report_path else None)
            store.release()
            logging.getLogger().removeHandler(handler)
            handler.close()


def setup_logging(output: Path, settings: Settings) -> logging.Handler:
    """Everything (Scrapy, Twisted, warnings) to OUTPUT/logs/newsarchive.log, rotated by size; nothing to
    the terminal, so cron mails only the summary."""
    folder = output / LOG_DIR
    folder.mkdir(parents=True, exist_ok=True)
    handler = logging.handlers.RotatingFileHandler(
        folder / LOG_NAME, maxBytes=settings.getint("NEWSARCHIVE_LOG_MAX_BYTES", 10 * 1024 * 1024),
        backupCount=settings.getint("NEWSARCHIVE_LOG_BACKUPS", 5), encoding="utf-8",
    )
    handler.setFormatter(logging.Formatter(
        "%(asctime)s [%(process)d] [%(name)s] %(levelname)s: %(message)s",
        datefmt=settings.get("LOG_DATEFORMAT") or "%Y-%m-%d %H:%M:%S",
    ))
    level = logging.getLevelName(str(settings.get("LOG_LEVEL") or "INFO").upper())
    handler.setLevel(level)
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(level)
    logging.captureWarnings(True)
    return handler


# ============================================================================= recovery


def warc_stamp(name: str) -> str | None:
    """The 20-digit UTC creation stamp in a newsarchive WARC file name (None for other names)."""
    match = _WARC_STAMP.search(name)
    return match.group(1) if match else None


def recover(output: Path, store: StateStore, stale: LockHolder | None, *, articles: Path | None = None,
            warc_prefix: str | None = None) -> Recovery:
    """Make the collection whole again after a run that was killed; a no-op after a clean run.

    With a shared frontier, ``articles`` is the worker's own articles file and ``warc_prefix`` its WARC
    name prefix: the other workers' files in the folder are theirs (and may be being written).
    """
    articles = articles or output / "articles.jsonl"

    def own(name: str) -> bool:
        return warc_prefix is None or name.startswith(f"{warc_prefix}-")

    from archive.cdxj import INDEX_DIR, index_files
    from archive.repair import RepairError, repair

    recovery = Recovery()
    interrupted = store.runs(status="running")
    if stale is not None:
        alive = stale.alive()
        recovery.stale_lock = {"pid": stale.pid, "host": stale.host, "started": stale.started,
                               "run_id": stale.run_id, "process_alive": alive}
        logger.warning(
            "Stale lock taken over: the run %s (pid %d, started %s) ended without releasing it%s",
            stale.run_id, stale.pid, stale.started,
            "" if alive is False else " (a process with that pid exists, but it does not hold the lock)",
        )
    if not interrupted and stale is None:
        return recovery
    starts = [datetime.fromisoformat(run.started) for run in interrupted]
    if stale is not None:
        with contextlib.suppress(ValueError):
            starts.append(datetime.fromisoformat(stale.started))
    since = min(starts).astimezone(UTC).strftime("%Y%m%d%H%M%S%f") if starts else "0" * 20
    # The WARC names carry microseconds, the lock's start time only seconds: compare by second.
    since = since[:14] + "000000"
    warc_dir = output / "warc"

    for path in sorted(warc_dir.glob("*.open")) if warc_dir.is_dir() else ():
        stamp_ = warc_stamp(path.name)
        if stamp_ is None or stamp_ < since or not own(path.name):
            continue  # not written by the interrupted run: leave it to its owner
        try:
            result = repair(path)
        except (RepairError, OSError) as exc:
            logger.error("Could not repair %s: %s", path, exc)
            recovery.repaired_files.append({"file": path.name, "error": str(exc)})
            continue
        logger.warning("Repaired %s: %d records kept, %d bytes cut", result.path.name, result.records, result.removed)
        recovery.repaired_files.append({"file": result.path.name if result.records else path.name,
                                        "records": result.records, "bytes_cut": result.removed})

    # CDXJ is written when a spider closes; a killed crawl's files have none: index them now.
    index_dir = output / INDEX_DIR
    covered = _indexed_files(index_dir, since)
    pending = [
        p for p in sorted(warc_dir.glob("*.warc.gz")) if warc_dir.is_dir()
        and (warc_stamp(p.name) or "") >= since and p.name not in covered and own(p.name)
    ]
    if pending:
        target = index_dir / f"recovered-{since[:14]}-{len(pending)}files{'-' + warc_prefix if warc_prefix else ''}.cdxj"
        index_files(pending, target)
        recovery.indexed_files = [p.name for p in pending]
        recovery.cdxj = str(target.relative_to(output))
        logger.warning("Indexed %d WARC files of the interrupted run into %s", len(pending), target)

    recovery.articles_trimmed_bytes = trim_partial_line(articles)

    def record_exists(name: str, offset: int) -> bool:
        path = warc_dir / name
        return path.exists() and offset < path.stat().st_size

    for run in interrupted:
        lost = store.forget_lost(run.run_id, record_exists)
        recovery.lost_urls.extend(lost)
        recovery.adopted_articles += adopt_articles(articles, run.articles_offset, store,
                                                    run.run_id, record_exists)
        store.finish_run(run.run_id, status="interrupted", exit_code=None, report=None,
                         note=f"found interrupted by run started after it; recovered at {datetime.now(UTC).isoformat()}")
        recovery.interrupted_runs.append(run.run_id)
    if recovery.lost_urls:
        logger.warning("%d URLs of the interrupted run lost their WARC record; they are fetched again",
                       len(recovery.lost_urls))
    return recovery


def _indexed_files(index_dir: Path, since: str) -> set[str]:
    """WARC file names already in a CDXJ index written since ``since`` (older indexes are older files)."""
    names: set[str] = set()
    if not index_dir.is_dir():
        return names
    threshold = datetime.strptime(since[:14], "%Y%m%d%H%M%S").replace(tzinfo=UTC).timestamp()
    for path in index_dir.glob("*.cdxj"):
        if path.stat().st_mtime < threshold:
            continue
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                with contextlib.suppress(ValueError, IndexError):
                    names.add(json.loads(line.split(" ", 2)[2])["filename"])
    return names


def trim_partial_line(path: Path) -> int:
    """Cut a half-written last line (a kill inside write(2)); returns the bytes cut."""
    if not path.exists():
        return 0
    size = path.stat().st_size
    if size == 0:
        return 0
    with path.open("rb+") as fh:
        fh.seek(max(0, size - 1))
        if fh.read(1) == b"\n":
            return 0
        # Find the last newline, reading backwards in blocks.
        end = size
        keep = 0
        while end > 0:
            start = max(0, end - 65536)
            fh.seek(start)
            block = fh.read(end - start)
            index = block.rfind(b"\n")
            if index >= 0:
                keep = start + index + 1
                break
            end = start
        fh.truncate(keep)
        fh.flush()
        os.fsync(fh.fileno())
    logger.warning("Cut a half-written line from %s (%d bytes)", path, size - keep)
    return size - keep


def adopt_articles(path: Path, offset: int, store: StateStore, run_id: str,
                   record_exists: Callable[[str, int], bool]) -> int:
    """Article lines the killed run wrote that its state had not recorded yet."""
    if not path.exists():
        return 0
    adopted = 0
    with path.open("rb") as fh:
        fh.seek(offset)
        for raw in fh:
            try:
                article = json.loads(raw)
            except ValueError:
                continue
            warc = article.get("warc") or {}
            if warc.get("file") and not record_exists(warc["file"], int(warc.get("offset", 0))):
                continue
            if store.adopt_article(article, run_id):
                adopted += 1
    if adopted:
        logger.warning("%d articles written by the interrupted run were not in its state; recorded now", adopted)
    return adopted


# ============================================================================= the crawl


@dataclass
class OutletOutcome:
    name: str
    crawler: Crawler | None = None
    startup_error: str | None = None


def crawl_settings(plan: Plan, run_id: str, started: datetime) -> Settings:
    """The project settings plus what makes a crawl part of a run (state components, bounds)."""
    settings = plan.settings.copy()
    overrides: dict[str, Any] = {
        "NEWSARCHIVE_OUTPUT": str(plan.output),
        "NEWSARCHIVE_STATE": str(plan.output / STATE_NAME),
        "NEWSARCHIVE_RUN_ID": run_id,
        "NEWSARCHIVE_RUN_STARTED": started.isoformat(),
        "NEWSARCHIVE_RECHECK_AFTER": plan.recheck_after,
        "NEWSARCHIVE_RETRY_FAILED": plan.retry_failed,
        # Our handler (setup_logging) is the only one: nothing on the terminal.
        "LOG_INSTALL_ROOT_HANDLER": False,
    }
    if plan.max_pages:
        overrides["CLOSESPIDER_PAGECOUNT"] = plan.max_pages
    for name, value in overrides.items():
        # The folder, the state and the bounds are the run's own (they were resolved from -s already).
        settings.set(name, value, priority="cmdline")
    for name, component, order in (
        # Above ProbeMiddleware (40): a request it drops is never held for a probe.
        ("SPIDER_MIDDLEWARES", "crawler.state.IncrementalMiddleware", 50),
        ("EXTENSIONS", "crawler.state.RunStateExtension", 150),
        # Around ArticleOutputPipeline (800): unchanged articles stop before it, done is recorded after it.
        ("ITEM_PIPELINES", "crawler.state.ArticleVersionPipeline", 700),
        ("ITEM_PIPELINES", "crawler.state.ArticleCommitPipeline", 900),
    ):
        components = dict(settings.getdict(name))
        components[component] = order
        settings.set(name, components, priority=settings.getpriority(name) or "project")
    return settings


def crawl(plan: Plan, run_id: str, started: datetime) -> list[OutletOutcome]:
    """Every outlet in one Scrapy process; returns when all are done."""
    from scrapy.crawler import CrawlerProcess

    from crawler.outlets import outlet_by_name

    settings = crawl_settings(plan, run_id, started)
    process = CrawlerProcess(settings)
    outcomes: list[OutletOutcome] = []
    for name in plan.outlets:
        outcome = OutletOutcome(name)
        outcomes.append(outcome)
        try:
            outcome.crawler = process.create_crawler(outlet_by_name(name))
            deferred = process.crawl(outcome.crawler, **({"since": plan.since} if plan.since else {}))
        except Exception as exc:
            logger.exception("Outlet %s could not be started", name)
            outcome.startup_error = f"{type(exc).__name__}: {exc}"
            continue

        def failed(failure: Any, outcome: OutletOutcome = outcome) -> None:
            logger.error("Outlet %s failed: %s", outcome.name, failure.getTraceback())
            outcome.startup_error = f"{failure.type.__name__ if failure.type else 'Error'}: {failure.getErrorMessage()}"

        deferred.addErrback(failed)

    display = None
    if plan.progress:
        from twisted.internet import reactor

        display = LiveProgress(outcomes, started)
        reactor.callWhenRunning(display.start)  # type: ignore[attr-defined]
    try:
        process.start()
    finally:
        if display is not None:
            display.stop()
    return outcomes


class LiveProgress:
    """Per-outlet progress in the terminal (rich), refreshed from the crawlers' stats twice a second."""

    def __init__(self, outcomes: Sequence[OutletOutcome], started: datetime) -> None:
        self.outcomes = outcomes
        self.started = started
        self.live: Any = None
        self.loop: Any = None

    def start(self) -> None:
        from rich.console import Console
        from rich.live import Live
        from twisted.internet.task import LoopingCall

        self.live = Live(self.render(), console=Console(file=sys.stdout), refresh_per_second=4, transient=False)
        self.live.start()
        self.loop = LoopingCall(self.refresh)
        self.loop.start(0.5, now=False)

    def refresh(self) -> None:
        if self.live is not None:
            self.live.update(self.render())

    def stop(self) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        if self.live is not None:
            self.live.update(self.render())
            self.live.stop()
            self.live.console.line()
            self.live = None

    def render(self) -> Any:
        from rich.table import Table

        table = Table(title=f"newsarchive run  {datetime.now(UTC) - self.started}".split(".")[0], title_justify="left")
        for column in ("outlet", "state", "pages", "new", "changed", "unchanged", "skipped", "errors"):
            table.add_column(column, justify="left" if column in ("outlet", "state") else "right")
        for outcome in self.outcomes:
            crawler = outcome.crawler
            stats = crawler.stats.get_stats() if crawler is not None and crawler.stats else {}
            counters = getattr(getattr(crawler, "newsarchive_run", None), "counters", None)
            if outcome.startup_error:
                state = "failed"
            elif "finish_reason" in stats:
                state = "done" if stats["finish_reason"] in OK_FINISH_REASONS else str(stats["finish_reason"])
            elif stats.get("start_time"):
                state = "crawling"
            else:
                state = "waiting"
            errors = sum(stats.get(f"newsarchive/{key}", 0) for key in ERROR_STATS)
            table.add_row(
                outcome.name, state, str(stats.get("downloader/response_count", 0)),
                str(len(counters.new) if counters else 0), str(len(counters.changed) if counters else 0),
                str(counters.unchanged if counters else 0), str(len(counters.not_due_urls) if counters else 0), str(errors),
            )
        return table


#: What the progress display counts as errors: the same things as the report's error column.
ERROR_STATS = ("download_failures", "verdict/error", "verdict/blocked", "warc/errors")


def _http_errors(stats: Mapping[str, Any]) -> int:
    prefix = "downloader/response_status_count/"
    return sum(v for k, v in stats.items() if k.startswith(prefix) and k[len(prefix):].isdigit()
               and int(k[len(prefix):]) >= 500)


# ============================================================================= the report


def outlet_report(outcome: OutletOutcome, output: Path, started: datetime) -> dict[str, Any]:
    """One outlet's part of the run report, and why it failed if it did."""
    crawler = outcome.crawler
    stats: dict[str, Any] = dict(crawler.stats.get_stats()) if crawler is not None and crawler.stats else {}
    ext = getattr(crawler, "newsarchive_run", None)
    counters = ext.counters if ext is not None else None
    spider_report: dict[str, Any] = {}
    path = output / "reports" / f"{outcome.name}.json"
    with contextlib.suppress(OSError, ValueError):
        candidate = json.loads(path.read_text(encoding="utf-8"))
        if candidate.get("started") and datetime.fromisoformat(candidate["started"]) >= started.replace(microsecond=0):
            spider_report = candidate  # this run's, not a stale one of an earlier run
    start, finish = stats.get("start_time"), stats.get("finish_time")
    duration = (finish - start).total_seconds() if start and finish else None
    verdicts = {k.rsplit("/", 1)[1]: v for k, v in sorted(stats.items()) if k.startswith("newsarchive/verdict/")}
    reason = stats.get("finish_reason")
    spider_exceptions = stats.get("spider_exceptions/count", 0)
    warc_errors = stats.get("newsarchive/warc/errors", 0)
    failures: list[str] = []
    if outcome.startup_error:
        failures.append(f"did not run: {outcome.startup_error}")
    elif reason is None:
        failures.append("did not finish")
    elif reason == "shutdown":
        failures.append("interrupted (shutdown signal)")
    elif reason not in OK_FINISH_REASONS:
        failures.append(f"finished with reason {reason!r}")
    # With a shared frontier another worker may well have fetched every discovery page.
    shared = bool(stats.get("newsarchive/frontier/crawl"))
    if counters is not None and reason in OK_FINISH_REASONS and counters.discovery_ok == 0 and not shared:
        failures.append(f"no discovery page could be fetched ({counters.discovery_failed} failed)")
    if spider_exceptions:
        failures.append(f"{spider_exceptions} exceptions in the spider")
    if warc_errors:
        failures.append(f"{warc_errors} WARC write errors")
    download_failures = spider_report.get("download_failures") or []
    rejected_errors = [r for r in spider_report.get("rejected", []) if r.get("verdict") in ("error", "blocked")]
    return {
        "status": "failed" if failures else "ok",
        "failures": failures,
        "finish_reason": reason,
        "duration_s": round(duration, 3) if duration is not None else None,
        "pages_fetched": stats.get("downloader/response_count", 0),
        "discovery_pages": (counters.discovery_ok + counters.discovery_failed) if counters else 0,
        "articles_fetched": counters.articles_fetched if counters else 0,
        "new_articles": len(counters.new) if counters else 0,
        "changed_articles": len(counters.changed) if counters else 0,
        "unchanged_articles": counters.unchanged if counters else 0,
        "not_due": len(counters.not_due_urls) if counters else 0,
        "due": {why: len(urls) for why, urls in sorted(counters.due.items())} if counters else {},
        "new": list(counters.new) if counters else [],
        "changed": list(counters.changed) if counters else [],
        "verdicts": verdicts,
        "encoding_repairs": spider_report.get("encoding_repairs", {}).get(outcome.name, {}),
        "undecodable": spider_report.get("undecodable", []),
        "errors": {
            "download_failures": len(download_failures),
            "http_5xx": _http_errors(stats),
            "error_or_blocked_pages": len(rejected_errors),
            "spider_exceptions": spider_exceptions,
            "warc_write_errors": warc_errors,
            "log_errors": stats.get("log_count/ERROR", 0),
            "retry_later": list(counters.retry_later) if counters else [],
            "gave_up": list(counters.gave_up) if counters else [],
            "download_failure_list": download_failures,
        },
        "warc": {
            "bytes": stats.get("newsarchive/warc/bytes", 0),
            "records": stats.get("newsarchive/warc/records", 0),
            "responses": stats.get("newsarchive/warc/responses", 0),
            "revisits": stats.get("newsarchive/warc/revisits", 0),
            "not_modified": stats.get("newsarchive/warc/revisits/not_modified", 0),
            "files": stats.get("newsarchive/warc/files", 0),
            "cdxj": stats.get("newsarchive/warc/cdxj"),
        },
    }


def build_report(plan: Plan, run_id: str, started: datetime, outcomes: Sequence[OutletOutcome],
                 recovery: Recovery) -> dict[str, Any]:
    finished = datetime.now(UTC)
    outlets = {o.name: outlet_report(o, plan.output, started) for o in outcomes}
    failed = [name for name, r in outlets.items() if r["status"] != "ok"]
    problems = [f"outlet {name} failed: {'; '.join(outlets[name]['failures'])}" for name in failed]
    if recovery.stale_lock:
        lock = recovery.stale_lock
        problems.append(
            f"the previous run (pid {lock['pid']}, run {lock['run_id']}, started {lock['started']}) did not end "
            "cleanly; its lock was taken over and its files repaired"
        )
    elif recovery.interrupted_runs:
        problems.append(f"interrupted runs recovered: {', '.join(recovery.interrupted_runs)}")
    code = EXIT_OUTLETS_FAILED if failed else EXIT_OK
    sums = ("pages_fetched", "new_articles", "changed_articles", "unchanged_articles", "not_due", "articles_fetched")
    return {
        "run_id": run_id,
        "status": "failed" if failed else "ok",
        "exit_code": code,
        "started": started.isoformat(timespec="seconds"),
        "finished": finished.isoformat(timespec="seconds"),
        "duration_s": round((finished - started).total_seconds(), 3),
        "output": str(plan.output),
        "replica": plan.replica or None,
        "options": {
            "outlets": plan.outlets, "since": plan.since, "max_pages": plan.max_pages,
            "recheck_after_s": plan.recheck_after, "retry_failed": plan.retry_failed,
        },
        "problems": problems,
        "recovery": recovery.as_dict(),
        "totals": {
            **{name: sum(r[name] for r in outlets.values()) for name in sums},
            "warc_bytes": sum(r["warc"]["bytes"] for r in outlets.values()),
            "errors": sum(_error_count(r) for r in outlets.values()),
            "failed_outlets": failed,
        },
        "outlets": outlets,
    }


def _error_count(outlet: Mapping[str, Any]) -> int:
    errors = outlet["errors"]
    return (errors["download_failures"] + errors["error_or_blocked_pages"] + errors["spider_exceptions"]
            + errors["warc_write_errors"])


def write_report(output: Path, started: datetime, run_id: str, report: Mapping[str, Any]) -> Path:
    """``runs/YYYY/MM/DD/<run-id>/report.{json,txt}`` and ``runs/latest.{json,txt}``, each written atomically."""
    folder = output / RUNS_DIR / f"{started:%Y}" / f"{started:%m}" / f"{started:%d}" / run_id
    folder.mkdir(parents=True, exist_ok=True)
    body = json.dumps(report, ensure_ascii=False, indent=2, default=str) + "\n"
    text = report_text(report) + "\n"
    for target, content in ((folder / "report.json", body), (folder / "report.txt", text),
                            (output / RUNS_DIR / "latest.json", body), (output / RUNS_DIR / "latest.txt", text)):
        tmp = target.with_name(target.name + ".tmp")
        tmp.write_text(content, encoding="utf-8")
        os.replace(tmp, target)
    return folder / "report.json"


def _size(value: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"


def report_text(report: Mapping[str, Any]) -> str:
    """The report for people: what cron mails when something is wrong."""
    lines = [
        f"newsarchive run {report['run_id']}: {report['status'].upper()} (exit {report['exit_code']}), "
        f"{report['duration_s']:.1f} s, output {report['output']}",
    ]
    lines += [f"  problem: {p}" for p in report["problems"]]
    lines.append("")
    header = ("outlet", "status", "pages", "new", "changed", "unchanged", "not due", "errors", "WARC", "time")
    rows = []
    for name, r in report["outlets"].items():
        rows.append((
            name, r["status"], str(r["pages_fetched"]), str(r["new_articles"]), str(r["changed_articles"]),
            str(r["unchanged_articles"]), str(r["not_due"]), str(_error_count(r)), _size(r["warc"]["bytes"]),
            f"{r['duration_s']:.1f} s" if r["duration_s"] is not None else "-",
        ))
    totals = report["totals"]
    rows.append(("total", "", str(totals["pages_fetched"]), str(totals["new_articles"]),
                 str(totals["changed_articles"]), str(totals["unchanged_articles"]), str(totals["not_due"]),
                 str(totals["errors"]), _size(totals["warc_bytes"]), ""))
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        lines.append("  ".join(cell.ljust(w) if i < 2 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths, strict=True))))
    for name, r in report["outlets"].items():
        details = []
        details += [f"    failed: {f}" for f in r["failures"]]
        details += [f"    changed: {c['url']} (previous capture {c['previous_capture']})" for c in r["changed"]]
        if r["verdicts"]:
            details.append("    verdicts: " + ", ".join(f"{k} {v}" for k, v in r["verdicts"].items()))
        if r["encoding_repairs"]:
            details.append("    encoding repairs: " + ", ".join(f"{k} {v}" for k, v in r["encoding_repairs"].items()))
        details += [f"    retry next run: {e['url']} ({e['error']})" for e in r["errors"]["retry_later"]]
        details += [f"    gave up: {e['url']} ({e['error']})" for e in r["errors"]["gave_up"]]
        details += [f"    download failed: {e['url']} ({e['error']})" for e in r["errors"]["download_failure_list"]
                    if e.get("url") not in {x["url"] for x in r["errors"]["retry_later"] + r["errors"]["gave_up"]}]
        if details:
            lines.append("")
            lines.append(f"  {name}:")
            lines.extend(details)
    recovery = report["recovery"]
    if recovery["interrupted_runs"] or recovery["stale_lock"]:
        lines.append("")
        lines.append(
            f"  recovered: {len(recovery['repaired_files'])} WARC files repaired, "
            f"{len(recovery['indexed_files'])} indexed, {recovery['articles_trimmed_bytes']} bytes of a "
            f"half-written article line cut, {len(recovery['lost_urls'])} URLs to fetch again, "
            f"{recovery['adopted_articles']} articles adopted"
        )
    return "\n".join(lines)


def main(argv: Iterable[str] | None = None) -> int:
    """``python -m crawler.run`` (the same as ``newsarchive run``)."""
    parser = argparse.ArgumentParser(prog="newsarchive")
    add_run_command(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["run", *(argv if argv is not None else sys.argv[1:])])
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
