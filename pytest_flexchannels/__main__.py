"""``python -m pytest_flexchannels serve``: the fake as an HTTP server on loopback, for
subprocesses and clients in other languages."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import threading

from .mock import FlexChannelsMock
from .models import CHANNEL_TYPES, INTEGRATION_TYPES
from .transports.server import FlexServer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pytest_flexchannels")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser(
        "serve",
        help="serve the fake on loopback; prints one JSON line: url, account_sid, auth_token, "
        "flex_flow_sid, seed",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=0, help="port (default 0: any free port)")
    serve.add_argument("--seed", type=int, help="seed of generated SIDs and values")
    serve.add_argument("--account-sid", help="the default account's SID")
    serve.add_argument("--auth-token", help="the default account's auth token")
    serve.add_argument("--integration-type", choices=INTEGRATION_TYPES, default="task")
    serve.add_argument("--channel-type", choices=CHANNEL_TYPES, default="web")
    args = parser.parse_args(argv)

    fake = FlexChannelsMock(
        seed=args.seed,
        account_sid=args.account_sid,
        auth_token=args.auth_token,
        integration_type=args.integration_type,
        channel_type=args.channel_type,
    )
    with FlexServer(fake, args.host, args.port) as server:
        state = {
            "url": server.url,
            "account_sid": fake.account_sid,
            "auth_token": fake.auth_token,
            "flex_flow_sid": fake.flex_flow_sid,
            "seed": fake.seed,
        }
        print(json.dumps(state), flush=True)
        print(f"Flex Channels fake on {server.url} (Ctrl-C to stop)", file=sys.stderr, flush=True)
        with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C or SIGINT: a clean stop
            threading.Event().wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
