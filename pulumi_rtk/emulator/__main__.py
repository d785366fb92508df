"""``rtk-emulator`` / ``python -m pulumi_rtk.emulator``: run the emulator until signalled."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from .app import DEFAULT_TOKEN, Emulator
from .faults import Fault


def _fault(spec: str) -> Fault:
    try:
        return Fault.from_spec(spec)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rtk-emulator",
        description="Local emulator of the Cloudflare RealtimeKit API: recordings, meetings, "
        "webhooks (signed deliveries to loopback receivers only), with participants and "
        "sessions driven through the admin API at /__emulator. See docs/emulator.md.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to bind")
    parser.add_argument("--port", type=int, default=8787, help="port (0 picks a free one)")
    parser.add_argument(
        "--token",
        default=os.environ.get("RTK_EMULATOR_TOKEN", DEFAULT_TOKEN),
        help="accepted bearer token (default: $RTK_EMULATOR_TOKEN, else %(default)r)",
    )
    parser.add_argument("--data-dir", help="persist state to DIR/state.json")
    parser.add_argument("--clock-speed", type=float, default=1.0, help="virtual s per real s")
    parser.add_argument("--invoke-delay", type=float, default=2.0, help="INVOKED→RECORDING (s)")
    parser.add_argument("--upload-delay", type=float, default=5.0, help="UPLOADING→UPLOADED (s)")
    parser.add_argument(
        "--empty-meeting-timeout",
        type=float,
        default=60.0,
        metavar="S",
        help="virtual s a meeting may stay empty before its recordings stop with "
        "ALL_PEERS_LEFT (default %(default)s, as documented; 0 never stops them)",
    )
    parser.add_argument(
        "--latency-ms",
        type=float,
        default=0.0,
        metavar="MS",
        help="delay before answering each public API request (not admin calls)",
    )
    parser.add_argument(
        "--webhook-key",
        metavar="FILE",
        help="PEM RSA private key that signs webhook deliveries (default: generated)",
    )
    parser.add_argument(
        "--webhook-attempts", type=int, default=4, help="attempts per webhook delivery"
    )
    parser.add_argument(
        "--webhook-backoff",
        type=float,
        default=0.5,
        metavar="S",
        help="real s before the first retry, doubling after each (default %(default)s)",
    )
    parser.add_argument(
        "--webhook-timeout", type=float, default=5.0, metavar="S", help="timeout of one attempt"
    )
    parser.add_argument(
        "--fault",
        action="append",
        type=_fault,
        default=[],
        metavar="SPEC",
        help="e.g. 'method=POST,path=/recordings$,kind=status,count=2,status=503' (repeatable)",
    )
    parser.add_argument("--verbose", action="store_true", help="log each request to stderr")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Serve until SIGTERM/SIGINT, then save state and exit 0."""
    args = _parser().parse_args(argv)
    try:
        key = Path(args.webhook_key).read_text(encoding="utf-8") if args.webhook_key else None
        emulator = Emulator(
            token=args.token,
            data_dir=args.data_dir,
            clock_speed=args.clock_speed,
            invoke_delay=args.invoke_delay,
            upload_delay=args.upload_delay,
            empty_meeting_timeout=args.empty_meeting_timeout or None,
            latency=args.latency_ms / 1000,
            host=args.host,
            port=args.port,
            faults=args.fault,
            webhook_key=key,
            webhook_attempts=args.webhook_attempts,
            webhook_backoff=args.webhook_backoff,
            webhook_timeout=args.webhook_timeout,
            verbose=args.verbose,
        ).start()
    except (OSError, ValueError) as exc:
        print(f"rtk-emulator: {exc}", file=sys.stderr)
        return 2
    stop = threading.Event()

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    print(f"rtk-emulator listening on {emulator.base_url}", flush=True)
    while not stop.wait(0.5):
        pass
    emulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
