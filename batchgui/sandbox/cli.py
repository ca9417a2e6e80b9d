"""`batchgui-sandbox serve`: run the sandbox standalone until interrupted.

Prints one JSON line `{"endpoint_url", "region", "access_key_id", "secret_access_key", "data_dir",
"isolation"}` on stdout (`isolation`: how jobs are isolated, `bwrap` or `none`) and writes the
same to DATA_DIR/connection.json (mode 0600), so
`AWS_ENDPOINT_URL=... aws batch describe-job-queues` and boto3 scripts work against it.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from pathlib import Path


def default_data_dir() -> Path:
    """The platform's per-user app-data folder."""
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
        return base / "batchgui" / "sandbox"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "batchgui" / "sandbox"
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "batchgui" / "sandbox"


def _non_negative(text: str) -> float:
    import math

    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not (math.isfinite(value) and value >= 0):
        raise argparse.ArgumentTypeError(f"{text!r} must be a number >= 0")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="batchgui-sandbox", description="The batchgui local AWS Batch sandbox."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve the sandbox API until interrupted")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=0, help="port (default 0: any free port)")
    serve.add_argument(
        "--data-dir", type=Path, default=None, help="state directory (default: app-data folder)"
    )
    serve.add_argument("--no-seed", action="store_true", help="don't create the demo resources")
    serve.add_argument(
        "--latency-ms",
        type=_non_negative,
        default=0.0,
        metavar="N",
        help="real-AWS mode: add N milliseconds to every answer (default 0)",
    )
    serve.add_argument(
        "--account-rate",
        type=_non_negative,
        default=0.0,
        metavar="R",
        help="real-AWS mode: answer Batch requests above R per second, over all callers, with "
        "TooManyRequestsException as AWS does (AWS: about 50; default 0: no limit)",
    )
    args = parser.parse_args(argv)

    from batchgui.sandbox import SandboxSettings, start_in_process

    data_dir = args.data_dir or default_data_dir()
    done = threading.Event()

    def on_signal(_signum: int, _frame: object) -> None:
        done.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    settings = SandboxSettings(latency_ms=args.latency_ms, account_rate=args.account_rate)
    sandbox = start_in_process(
        data_dir, host=args.host, port=args.port, seed=not args.no_seed, settings=settings
    )
    try:
        sys.stdout.write(json.dumps(sandbox.connection_info()) + "\n")
        sys.stdout.flush()
        while not done.wait(0.5):
            pass
    finally:
        sandbox.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
