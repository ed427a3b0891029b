"""``python -m crawler.replica --port 8080``: run the replica in the foreground (what the CLI will call)."""

from __future__ import annotations

import argparse
from pathlib import Path

from crawler.replica import serve


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m crawler.replica", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080, help="0 picks a free port")
    parser.add_argument(
        "--shared-data",
        type=Path,
        default=None,
        help="folder holding fundus-tr/ (default: <repo>/../shared/data when it exists)",
    )
    parser.add_argument(
        "--hostile", action="store_true",
        help="also serve hostile.example: stalls, drops, bombs, huge pages, loops, traps (crawler/replica/hostile.toml)",
    )
    args = parser.parse_args(argv)
    serve(args.host, args.port, args.shared_data, hostile=args.hostile)


if __name__ == "__main__":
    main()
