"""pywb in its own virtualenv: ``python -m archive.replayenv`` (run by ``make setup``).

pywb is not installed into the crawler's environment, for two reasons:

* pywb requires ``brotlipy``, which installs a ``brotli`` *package* that shadows Google's
  ``brotli`` module.  Scrapy's HttpCompressionMiddleware then fails on every ``br``-encoded
  response (brotlipy's Decompressor has no ``process()``), i.e. on most real news sites.
* pywb runs on gevent, which monkey-patches the standard library; it must never be imported
  into a Twisted crawler process anyway.

So the ``replay`` extra's requirements are installed into ``<venv>/replay`` (a venv nested in
the crawler's, removed with it) and pywb's ``wb-manager`` / ``wayback`` are run from there as
separate processes.
"""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import PackageNotFoundError, requires
from pathlib import Path

DEFAULT_SPEC = "pywb>=2.8"


def replay_requirements() -> list[str]:
    """The ``replay`` extra of the installed newsarchive package (one source of truth)."""
    try:
        declared = requires("newsarchive") or []
    except PackageNotFoundError:
        declared = []
    specs = [req.split(";")[0].strip() for req in declared if 'extra == "replay"' in req]
    return specs or [DEFAULT_SPEC]


def replay_env(prefix: Path | str | None = None) -> Path:
    """Where the replay venv lives: ``<current venv>/replay``."""
    return Path(prefix or sys.prefix) / "replay"


def ensure_replay_env(prefix: Path | str | None = None) -> Path:
    """Create the venv and install pywb if ``wayback`` is not there yet; return its ``bin``."""
    env = replay_env(prefix)
    bin_dir = env / "bin"
    if (bin_dir / "wayback").exists() and (bin_dir / "wb-manager").exists():
        return bin_dir
    for command in (
        [sys.executable, "-m", "venv", str(env)],
        [str(bin_dir / "python"), "-m", "pip", "install", "--quiet", *replay_requirements()],
    ):
        proc = subprocess.run(command, capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed:\n{proc.stdout}{proc.stderr}")
    return bin_dir


if __name__ == "__main__":
    print(ensure_replay_env())
