"""`python -m phoson.testing`: run a local Phoson server in the foreground until Ctrl-C."""

from __future__ import annotations

import argparse
import signal
import sys
import time
from types import FrameType

from ._server import LocalPhosonServer


def _non_negative(text: str) -> float:
    value = float(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be >= 0")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m phoson.testing",
        description="Run a local, in-memory Phoson Core API server (for tests and demos).",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port (default: any free port)")
    parser.add_argument("--api-key", default="pk_test", help="the accepted key (pk_test)")
    parser.add_argument(
        "--event-delay", type=_non_negative, default=0.0, help="seconds between stream events"
    )
    parser.add_argument(
        "--ping-interval", type=float, default=None, help="seconds between heartbeat pings"
    )
    parser.add_argument(
        "--request-log-size", type=int, default=1000, help="requests kept in stats (1000)"
    )
    parser.add_argument(
        "--idle-timeout", type=float, default=30.0, help="seconds before an idle connection closes"
    )
    parser.add_argument(
        "--max-body-size", type=int, default=16 * 1024 * 1024, help="bytes; larger bodies get 413"
    )
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    return parser


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if not 0 <= args.port <= 65535:
        _parser().error("--port must be between 0 and 65535")
    if args.ping_interval is not None and args.ping_interval <= 0:
        _parser().error("--ping-interval must be > 0")
    try:
        server = LocalPhosonServer(
            api_key=args.api_key,
            host=args.host,
            port=args.port,
            event_delay=args.event_delay,
            ping_interval=args.ping_interval,
            verbose=args.verbose,
            request_log_size=args.request_log_size,
            idle_timeout=args.idle_timeout,
            max_body_size=args.max_body_size,
        )
    except ValueError as exc:
        _parser().error(str(exc))
    try:
        server.start()
    except OSError as exc:
        print(f"error: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    # Stop cleanly on Ctrl-C and on `kill`, even when started with SIGINT ignored (`cmd &`).
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    print(f"Phoson local server on {server.url} (api key {server.api_key})")
    print(f"  export PHOSON_BASE_URL={server.url} PHOSON_API_KEY={server.api_key}")
    print("Press Ctrl-C to stop.", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    print("Stopped.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
