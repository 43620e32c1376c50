"""``python -m pytest_flexchannels serve``: the fake as an HTTP server on loopback, for
subprocesses and clients in other languages. ``python -m pytest_flexchannels operations``: the
table of every operation the fake answers, read from its registry."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading

from .families import REGISTRY
from .flex.models import CHANNEL_TYPES, INTEGRATION_TYPES
from .mock import FlexChannelsMock
from .transports.server import FlexServer

# Where ``serve`` reads its control token from when --control-token is not given.
CONTROL_TOKEN_VARIABLE = "PYTEST_FLEXCHANNELS_CONTROL_TOKEN"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pytest_flexchannels")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser(
        "serve",
        help="serve the fake on loopback; prints one JSON line: url, account_sid, auth_token, "
        "flex_flow_sid, seed, control_token_required",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=0, help="port (default 0: any free port)")
    serve.add_argument("--seed", type=int, help="seed of generated SIDs and values")
    serve.add_argument("--account-sid", help="the default account's SID")
    serve.add_argument("--auth-token", help="the default account's auth token")
    serve.add_argument("--integration-type", choices=INTEGRATION_TYPES, default="task")
    serve.add_argument("--channel-type", choices=CHANNEL_TYPES, default="web")
    serve.add_argument(
        "--max-calls",
        type=int,
        default=10_000,
        help="recorded calls kept, the oldest dropped first (default 10000)",
    )
    serve.add_argument(
        "--max-webhooks",
        type=int,
        default=10_000,
        help="webhook delivery attempts kept, the oldest dropped first (default 10000)",
    )
    serve.add_argument("--threads", type=int, default=4, help="threads answering (default 4)")
    serve.add_argument(
        "--idle-timeout",
        type=int,
        default=60,
        help="seconds before an idle connection is closed (default 60)",
    )
    serve.add_argument(
        "--control-token",
        default=os.environ.get(CONTROL_TOKEN_VARIABLE) or None,
        help="a token every control request (/__flex/) must carry as Authorization: Bearer, for "
        f"a machine others use (default: ${CONTROL_TOKEN_VARIABLE}, which keeps it out of the "
        "process list; none when unset)",
    )
    serve.add_argument(
        "--cors-origin",
        action="append",
        dest="cors_origins",
        metavar="ORIGIN",
        help="also let pages on ORIGIN (https://app.test:3000, null, or * for any) call the Flex "
        "API; repeatable (default: loopback pages only)",
    )
    commands.add_parser(
        "operations", help="print the table of every operation the fake answers (Markdown)"
    )
    args = parser.parse_args(argv)
    if args.command == "operations":
        print(REGISTRY.table())
        return 0

    fake = FlexChannelsMock(
        seed=args.seed,
        account_sid=args.account_sid,
        auth_token=args.auth_token,
        integration_type=args.integration_type,
        channel_type=args.channel_type,
        max_calls=args.max_calls,
        max_webhooks=args.max_webhooks,
    )
    stop = threading.Event()
    for name in ("SIGINT", "SIGTERM"):  # Ctrl-C, or a test harness ending the process
        signal.signal(getattr(signal, name), lambda *_: stop.set())
    try:
        server = FlexServer(
            fake,
            args.host,
            args.port,
            threads=args.threads,
            idle_timeout=args.idle_timeout,
            cors_origins=args.cors_origins,
            control_token=args.control_token,
        )
    except ValueError as wrong:
        parser.error(str(wrong))
    with server:
        state = {
            "url": server.url,
            "account_sid": fake.account_sid,
            "auth_token": fake.auth_token,
            "flex_flow_sid": fake.flex_flow_sid,
            "seed": fake.seed,
            "control_token_required": args.control_token is not None,
        }
        print(json.dumps(state), flush=True)
        print(f"Flex Channels fake on {server.url} (Ctrl-C to stop)", file=sys.stderr, flush=True)
        stop.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
