"""``python -m localaws serve --port P --state-file F --timing fast|realistic [--time-scale X]``.

Started by ``lakegate local up`` as a detached subprocess. The token the CLI checks in the
health answer comes from ``--token`` or the environment variable ``LOCALAWS_TOKEN`` (so it does
not show in ``ps``); without either a random one is made.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m localaws")
    sub = parser.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("serve", help="run the local AWS endpoint")
    s.add_argument("--port", type=int, default=0, help="TCP port on 127.0.0.1 (0: a free one)")
    s.add_argument("--state-file", type=Path, default=None,
                   help="write endpoint/pid/port/token here once listening")
    s.add_argument("--timing", choices=("fast", "realistic"), default="fast")
    s.add_argument("--time-scale", type=float, default=1.0,
                   help="multiply every duration by this factor (e.g. 0.1)")
    s.add_argument("--token", default=None, help=argparse.SUPPRESS)
    s.add_argument("--exit-with-pid", type=int, default=None,
                   help="shut down when this process exits (used by test fixtures)")
    s.add_argument("--from-snapshot", type=Path, default=None,
                   help="start with the state saved by POST /_lakegate/snapshot (localaws.snapshot)")
    s.add_argument("--log-level", default="INFO")
    args = parser.parse_args(argv)
    logging.basicConfig(level=getattr(logging, args.log_level.upper(), logging.INFO),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.time_scale <= 0:
        parser.error("--time-scale must be > 0")
    if not 0 <= args.port < 65536:
        parser.error("--port must be between 0 and 65535")
    from localaws.server import serve

    serve(port=args.port, timing=args.timing, time_scale=args.time_scale,
          state_file=args.state_file, token=args.token or os.environ.get("LOCALAWS_TOKEN"),
          exit_with_pid=args.exit_with_pid, from_snapshot=args.from_snapshot)
    return 0


if __name__ == "__main__":
    sys.exit(main())
