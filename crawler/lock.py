"""The run lock of an output folder: one ``newsarchive run`` at a time, and a dead one never blocks.

Cron starts ``newsarchive run`` every hour whether or not the previous run has finished; two runs
writing one collection would interleave their state and fight over the WARC and text files. So a
run holds ``OUTPUT/run.lock`` from start to end.

The lock is an ``flock(2)`` on that file, not the file's existence: the kernel drops an flock when
its holder dies, however it dies (SIGKILL, OOM killer, power cut), so a dead run can never leave
the folder locked, and two processes can never both believe they hold it. The file's *content*
names the holder (pid, host, start time, run id), for the message the second run prints, and tells
the next run that the previous one did not end cleanly: a run that finishes empties the file, so
content found while the flock is free is a stale lock, whose holder is gone. The file itself is
never deleted: unlinking a lock file lets a third process lock a new inode while a second still
holds the old one.

The descriptor is opened close-on-exec (Python's default), so a browser or other child process
that outlives a killed run does not keep the lock.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import socket
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

LOCK_NAME = "run.lock"


@dataclass(frozen=True)
class LockHolder:
    """Who holds (or held) the lock: what the message to a second run names."""

    pid: int
    host: str
    started: str  # ISO 8601, UTC
    run_id: str

    def describe(self) -> str:
        where = "" if self.host == socket.gethostname() else f" on {self.host}"
        return f"pid {self.pid}{where}, run {self.run_id}, started {self.started}"

    def alive(self) -> bool | None:
        """Is the holder's process still running? None when it runs on another host (cannot tell)."""
        if self.host != socket.gethostname():
            return None
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True  # exists, owned by someone else
        return True

    @classmethod
    def parse(cls, text: str) -> LockHolder | None:
        """The holder written in a lock file; None for an empty or unreadable one."""
        try:
            data: Any = json.loads(text)
            return cls(int(data["pid"]), str(data["host"]), str(data["started"]), str(data["run_id"]))
        except (ValueError, KeyError, TypeError):
            return None


class LockHeld(Exception):
    """Another run holds the lock of this output folder."""

    def __init__(self, path: Path, holder: LockHolder | None) -> None:
        self.path = path
        self.holder = holder
        who = holder.describe() if holder else "holder unknown"
        super().__init__(f"another newsarchive run holds {path} ({who})")


class RunLock:
    """``flock``-based lock on ``OUTPUT/run.lock`` naming its holder.

    ``acquire`` either raises :class:`LockHeld` at once (never waits: a cron run that finds the
    previous one still going should step aside, not queue up behind it) or returns the stale
    holder it took over from (None when the previous run ended cleanly).
    """

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self, holder: LockHolder) -> LockHolder | None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise LockHeld(self.path, self.read_holder()) from None
            raise
        try:
            stale = LockHolder.parse(_read_all(fd))
            payload = json.dumps(asdict(holder), sort_keys=True).encode("utf-8") + b"\n"
            os.ftruncate(fd, 0)
            os.pwrite(fd, payload, 0)
            os.fsync(fd)
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        return stale

    def release(self) -> None:
        """Empty the file (a clean end), then drop the flock."""
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            os.ftruncate(fd, 0)
            os.fsync(fd)
        finally:
            os.close(fd)  # closing the last descriptor releases the flock

    def read_holder(self) -> LockHolder | None:
        """The holder named in the lock file (without locking it)."""
        try:
            return LockHolder.parse(self.path.read_text(encoding="utf-8"))
        except OSError:
            return None

    def __enter__(self) -> RunLock:
        return self

    def __exit__(self, *exc_info: object) -> None:
        with contextlib.suppress(OSError):
            self.release()


def _read_all(fd: int) -> str:
    chunks = []
    offset = 0
    while chunk := os.pread(fd, 65536, offset):
        chunks.append(chunk)
        offset += len(chunk)
    return b"".join(chunks).decode("utf-8", "replace")
