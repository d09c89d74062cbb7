"""What every peer script shares: `/healthz`, and serving on the port the bench gives it."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from aiohttp import web


async def healthz(_: web.Request) -> web.Response:
    return web.Response(text="ok")


def serve(
    make_app: Callable[[], web.Application], description: str | None, *, quiet: bool = False
) -> None:
    """Serve `make_app()` on 127.0.0.1 at `--port` (`quiet`: no access log)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    if quiet:
        web.run_app(make_app(), host="127.0.0.1", port=args.port, access_log=None, print=None)
    else:
        web.run_app(make_app(), host="127.0.0.1", port=args.port, print=None)
