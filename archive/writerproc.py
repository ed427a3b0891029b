"""A :class:`~archive.writer.WarcWriter` in a child process, driven over a pipe.

Why a process and not a thread: digesting and compressing a page release the GIL, but
everything around them (record headers, identifiers, the digest index, JSON) does not.  A
writer *thread* therefore competes with Scrapy's reactor thread for the GIL several times per
record, and each time it waits up to the interpreter's switch interval while the reactor is
busy: measured on a 5,000-page crawl, the writer thread spent two thirds of its time waiting
for the GIL, and the crawl itself ran at 0.55x plain Scrapy's pages/s.  In a process of its
own the writer runs on the other core and the reactor only pickles the exchange into a pipe.

The protocol is deliberately small.  The parent sends ``(seq, method, args, kwargs, reply)``
tuples; the child calls that :class:`WarcWriter` method and, when ``reply`` is set (or the
call failed), answers ``(seq, ok, result)``.  Calls are executed in the order sent, so records
keep capture order and a metadata record never lands before the response it refers to.
``close`` answers with a :class:`WriterSummary` (files, CDXJ material, counters).

The child ignores SIGINT and SIGTERM: a Ctrl-C or a service stop reaches the whole process
group, and the parent must be the one that decides to finish (Scrapy's graceful shutdown
still sends the last records).  If the parent dies, the child sees end-of-file and exits
without renaming its ``.open`` file, exactly as a killed single-process crawl would leave it,
so ``newsarchive archive repair`` and ``newsarchive run``'s resume treat both alike.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import pickle
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

#: Seconds the parent waits for the child to start (import, open the digest index).
START_TIMEOUT = 60.0
#: Pipe capacity asked of Linux (F_SETPIPE_SZ): room for a burst of pages before the reactor
#: has to wait for the writer (back-pressure, so memory stays bounded).  Unprivileged processes
#: may get up to /proc/sys/fs/pipe-max-size (1 MiB by default).
PIPE_SIZE = 1 << 20
_F_SETPIPE_SZ = getattr(fcntl, "F_SETPIPE_SZ", 1031)

#: A batch of calls is sent when it holds this many calls or body bytes (else at the end of the
#: reactor turn): big enough to amortise pickling and write(2), small enough to keep latency low.
MAX_BATCH = 64
MAX_BATCH_BYTES = 512 * 1024
#: Methods of WarcWriter the parent may call (anything else is refused by the child).
METHODS = frozenset({"write_exchange_detailed", "write_metadata", "write_conversion", "write_resource", "close"})


class WriterProcessError(OSError):
    """The writer process is gone or refused a call: the archive can take no more records.

    An OSError so the extension handles it like a full disk: logged, counted, never silent.
    """


@dataclass
class WriterSummary:
    """What the parent needs from the child's writer once it is closed."""

    files: list[Path] = field(default_factory=list)
    #: The CDXJ index the child wrote at close (close(cdxj_path=...)), or why it could not.
    cdxj: str | None = None
    cdxj_error: str | None = None
    records: int = 0
    bytes_written: int = 0
    exchanges: int = 0
    revisits: int = 0


def open_digest_index(spec: dict[str, Any] | None) -> Any:
    """Open the deduplication index described by ``spec`` (in the child, where it is written)."""
    if not spec:
        return None
    if spec["kind"] == "sqlite":
        from archive.dedup import DigestIndex

        return DigestIndex.shared(spec["path"])
    if spec["kind"] == "redis":
        from archive.dedup_redis import RedisDigestIndex

        return RedisDigestIndex.shared(spec["url"], spec["prefix"], spec.get("path"))
    raise ValueError(f"unknown digest index kind {spec['kind']!r}")


class RemoteWarcWriter:
    """Parent side: the same writing methods as WarcWriter, executed by a child process.

    Method calls (``write_metadata(...)``) wait for the child's answer; :meth:`submit` queues
    a call and delivers its result later through ``deliver`` (the reactor's ``callFromThread``)
    to ``on_result(value)`` or ``on_error(exception)``.  Fire-and-forget calls (no callbacks)
    that fail are reported to ``on_failure`` once the child answers.
    """

    def __init__(
        self,
        *,
        writer_kwargs: dict[str, Any],
        dedup: dict[str, Any] | None,
        deliver: Callable[..., Any] | None = None,
        schedule_flush: Callable[[Callable[[], Any]], Any] | None = None,
        on_failure: Callable[[str, BaseException], Any] | None = None,
        on_exit: Callable[[int | None], Any] | None = None,
    ) -> None:
        self._deliver = deliver or (lambda fn, *args: fn(*args))
        self._schedule_flush = schedule_flush
        self._on_failure = on_failure
        self._on_exit = on_exit
        self._lock = threading.Lock()
        #: Serialises sends, and is never taken by the reader thread: holding _lock while blocked
        #: on a full pipe would stop the reader, and so the child, for good.
        self._send_lock = threading.Lock()
        self._outbox: list[tuple[Any, ...]] = []
        self._outbox_bytes = 0
        self._seq = 0
        #: seq -> (method, on_result, on_error) of calls awaiting an answer or reporting failures.
        self._waiting: dict[int, tuple[str, Callable[[Any], Any] | None, Callable[[BaseException], Any] | None]] = {}
        self._dead: BaseException | None = None
        self.summary: WriterSummary | None = None

        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        for fd in (to_child_w, from_child_w):
            with contextlib.suppress(OSError):
                fcntl.fcntl(fd, _F_SETPIPE_SZ, PIPE_SIZE)
        env = dict(os.environ)
        # The child must import the same code as this process (an egg under Scrapyd, a checkout).
        env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
        try:
            self._proc = subprocess.Popen(
                [sys.executable, "-m", "archive.writerproc", str(to_child_r), str(from_child_w)],
                pass_fds=(to_child_r, from_child_w), env=env, stdin=subprocess.DEVNULL,
            )
        finally:
            os.close(to_child_r)
            os.close(from_child_w)
        self._send_conn = Connection(to_child_w, readable=False)
        self._recv_conn = Connection(from_child_r, writable=False)
        self._send_conn.send({"writer": writer_kwargs, "dedup": dedup})
        if not self._recv_conn.poll(START_TIMEOUT):
            self._proc.kill()
            raise WriterProcessError(f"the WARC writer process did not start within {START_TIMEOUT:.0f} s")
        try:
            ready = self._recv_conn.recv()
        except EOFError:
            code = self._proc.wait()
            raise WriterProcessError(f"the WARC writer process exited at start (code {code})") from None
        if ready[1] is not True:
            self._proc.wait()
            raise WriterProcessError(f"the WARC writer process could not start: {ready[2]!r}")
        self._reader = threading.Thread(target=self._read_answers, name="warc-writer-answers", daemon=True)
        self._reader.start()

    # ------------------------------------------------------------------ WarcWriter's API

    def write_exchange_detailed(self, **kwargs: Any) -> Any:
        return self.call("write_exchange_detailed", **kwargs)

    def write_metadata(self, *args: Any) -> Any:
        return self.call("write_metadata", *args)

    def write_conversion(self, *args: Any) -> Any:
        return self.call("write_conversion", *args)

    def write_resource(self, *args: Any, **kwargs: Any) -> Any:
        return self.call("write_resource", *args, **kwargs)

    def close(self, cdxj_path: Path | None = None) -> WriterSummary:
        """Write everything queued, close the file, stop the child; idempotent.

        With ``cdxj_path`` the child also writes the sorted CDXJ index of what it wrote, so the
        index entries never travel back through the pipe.
        """
        if self.summary is not None:
            return self.summary
        try:
            summary = self.call("close", cdxj_path)
        finally:
            self._stop()
        self.summary = summary
        return summary

    # For code written against WarcWriter: available once closed.
    @property
    def files(self) -> list[Path]:
        return list(self.summary.files) if self.summary else []

    @property
    def records(self) -> int:
        return self.summary.records if self.summary else 0

    @property
    def bytes_written(self) -> int:
        return self.summary.bytes_written if self.summary else 0

    @property
    def exchanges(self) -> int:
        return self.summary.exchanges if self.summary else 0

    # ------------------------------------------------------------------ calls

    @property
    def alive(self) -> bool:
        return self._dead is None

    def submit(
        self,
        method: str,
        args: tuple[Any, ...] = (),
        kwargs: dict[str, Any] | None = None,
        on_result: Callable[[Any], Any] | None = None,
        on_error: Callable[[BaseException], Any] | None = None,
    ) -> None:
        """Queue a call; its answer (if callbacks are given) is delivered on the reactor thread.

        Calls are sent in batches (one pickle, one write(2) per reactor turn, see
        ``schedule_flush``) because a message per record cost the crawl more than the record.
        Sending blocks only when the pipe is full: the back-pressure that keeps a slow disk
        from turning into unbounded memory.
        """
        reply = on_result is not None or on_error is not None
        kwargs = kwargs or {}
        with self._lock:
            if self._dead is not None:
                raise WriterProcessError(f"the WARC writer process has stopped: {self._dead}")
            self._seq += 1
            seq = self._seq
            if reply:  # fire-and-forget calls are answered only when they fail
                self._waiting[seq] = (method, on_result, on_error)
            self._outbox.append((seq, method, args, kwargs, reply))
            body = kwargs.get("body")
            self._outbox_bytes += len(body) if isinstance(body, bytes) else 256
            first = len(self._outbox) == 1
            full = len(self._outbox) >= MAX_BATCH or self._outbox_bytes >= MAX_BATCH_BYTES
        if full or self._schedule_flush is None:
            self.flush()
        elif first:
            self._schedule_flush(self._flush_scheduled)

    def flush(self) -> None:
        """Send every queued call now (in order)."""
        with self._send_lock:
            with self._lock:
                batch, self._outbox, self._outbox_bytes = self._outbox, [], 0
            if not batch:
                return
            try:
                self._send_conn.send(batch)
            except (OSError, ValueError) as exc:
                self._fail_all(WriterProcessError(f"the WARC writer process has stopped: {exc}"))
                raise WriterProcessError(f"the WARC writer process has stopped: {exc}") from exc

    def _flush_scheduled(self) -> None:
        # Nobody is there to catch the error: _fail_all has already told every waiting call.
        with contextlib.suppress(WriterProcessError):
            self.flush()

    def call(self, method: str, /, *args: Any, **kwargs: Any) -> Any:
        """Queue a call and wait for its answer (every earlier call is done by then)."""
        done = threading.Event()
        box: list[Any] = []

        def answer(value: Any) -> None:
            box.append(value)
            done.set()

        with self._lock:
            if self._dead is not None:
                raise WriterProcessError(f"the WARC writer process has stopped: {self._dead}")
            self._seq += 1
            seq = self._seq
            # Answered on the reader thread itself: this caller may be the reactor thread.
            self._waiting[seq] = (method, _Direct(answer), _Direct(answer))  # type: ignore[arg-type]
            self._outbox.append((seq, method, args, kwargs, True))
        self.flush()
        done.wait()
        if isinstance(box[0], BaseException):
            raise box[0]
        return box[0]

    # ------------------------------------------------------------------ reader thread

    def _read_answers(self) -> None:
        while True:
            try:
                answers = self._recv_conn.recv()
            except (EOFError, OSError):
                break
            except Exception as exc:  # an answer that cannot be unpickled
                self._fail_all(WriterProcessError(f"unreadable answer from the WARC writer process: {exc!r}"))
                break
            later: list[tuple[Callable[..., Any], tuple[Any, ...]]] = []
            for seq, ok, value, answered_method in answers:
                with self._lock:
                    method, on_result, on_error = self._waiting.pop(seq, (answered_method, None, None))
                target = on_result if ok else on_error
                if target is not None:
                    if isinstance(target, _Direct):
                        target.fn(value)
                    else:
                        later.append((target, (value,)))
                elif not ok and self._on_failure is not None:
                    later.append((self._on_failure, (str(method), value)))
            if later:
                # One wake-up of the reactor per batch of answers, not one per record.
                self._deliver(_run_all, later)
        code = self._proc.poll()
        if code is None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                code = self._proc.wait(timeout=5)
        clean = self.summary is not None or (code == 0 and not self._waiting)
        self._fail_all(WriterProcessError(f"the WARC writer process exited (code {code})"))
        if not clean and self._on_exit is not None:
            self._deliver(self._on_exit, code)

    def _fail_all(self, exc: WriterProcessError) -> None:
        with self._lock:
            if self._dead is None:
                self._dead = exc
            waiting, self._waiting = self._waiting, {}
        later: list[tuple[Callable[..., Any], tuple[Any, ...]]] = []
        for method, _on_result, on_error in waiting.values():
            if isinstance(on_error, _Direct):
                on_error.fn(exc)
            elif on_error is not None:
                later.append((on_error, (exc,)))
            elif self._on_failure is not None:
                later.append((self._on_failure, (str(method), exc)))
        if later:
            self._deliver(_run_all, later)

    def _stop(self) -> None:
        with contextlib.suppress(OSError):
            self._send_conn.close()
        try:
            self._proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        if threading.current_thread() is not self._reader:
            self._reader.join(timeout=30)
        with contextlib.suppress(OSError):
            self._recv_conn.close()



def _run_all(calls: list[tuple[Callable[..., Any], tuple[Any, ...]]]) -> None:
    for fn, args in calls:
        try:
            fn(*args)
        except Exception:  # one failing callback must not keep the others' answers back
            logger.exception("Handling a WARC writer answer failed")


class _Direct:
    """Marks a callback to run on the reader thread itself (a caller blocked in :meth:`call`)."""

    __slots__ = ("fn",)

    def __init__(self, fn: Callable[[Any], Any]) -> None:
        self.fn = fn


# ---------------------------------------------------------------------- the child


def serve(inbound: Connection, outbound: Connection) -> int:
    """The child's loop: build the writer from the first message, then execute batches of calls in order."""
    from archive.writer import WarcWriter

    config = inbound.recv()
    try:
        index = open_digest_index(config.get("dedup"))
        writer = WarcWriter(**config["writer"], dedup=index)
    except BaseException as exc:
        outbound.send((0, False, repr(exc), "start"))
        return 1
    outbound.send((0, True, "ready", "start"))
    while True:
        try:
            batch = inbound.recv()
        except EOFError:
            # The parent is gone without closing us: leave everything as a killed crawl would.
            return 2
        answers: list[tuple[Any, ...]] = []
        closed = False
        for seq, method, args, kwargs, reply in batch:
            if method not in METHODS:
                answers.append((seq, False, WriterProcessError(f"unknown writer method {method!r}"), str(method)))
                continue
            try:
                if method == "close":
                    result: Any = _close(writer, index, *args)
                    closed = True
                else:
                    result = getattr(writer, method)(*args, **kwargs)
            except BaseException as exc:
                answers.append((seq, False, _picklable(exc), method))
                continue
            if reply:
                answers.append((seq, True, result, method))
        if answers:
            _send_answers(outbound, answers)
        if closed:
            return 0


def _close(writer: Any, index: Any, cdxj_path: Path | None = None) -> WriterSummary:
    writer.close()
    if index is not None:
        index.release()
    summary = WriterSummary(
        files=writer.files, records=writer.records, bytes_written=writer.bytes_written,
        exchanges=writer.exchanges, revisits=writer.revisits,
    )
    if writer.index is not None and len(writer.index) and cdxj_path is not None:
        try:
            writer.index.write_sorted(Path(cdxj_path))
            summary.cdxj = str(cdxj_path)
        except OSError as exc:
            summary.cdxj_error = f"{cdxj_path}: {exc}"
    if writer.index is not None:
        writer.index.close()
    return summary


def _picklable(exc: BaseException) -> BaseException:
    try:
        pickle.dumps(exc)
    except Exception:
        return WriterProcessError(f"{type(exc).__name__}: {exc}")
    return exc


def _send_answers(conn: Connection, answers: list[tuple[Any, ...]]) -> None:
    try:
        conn.send(answers)
    except (pickle.PicklingError, TypeError, AttributeError):
        # Find the culprit rather than lose every answer of the batch.
        safe = []
        for seq, ok, value, method in answers:
            try:
                pickle.dumps(value)
            except Exception as exc:
                ok, value = False, WriterProcessError(f"unpicklable answer {value!r}: {exc!r}")
            safe.append((seq, ok, value, method))
        conn.send(safe)


def main(argv: list[str]) -> int:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    inbound = Connection(int(argv[0]), writable=False)
    outbound = Connection(int(argv[1]), readable=False)
    return serve(inbound, outbound)


if __name__ == "__main__":
    # Run through the imported module, not ``__main__``: the answers pickle our classes
    # (WriterSummary, WriterProcessError) by module name, and the parent knows them as
    # ``archive.writerproc``.
    from archive import writerproc

    raise SystemExit(writerproc.main(sys.argv[1:]))
