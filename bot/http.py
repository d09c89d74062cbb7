"""Small pieces shared by the HTTP endpoints."""

from __future__ import annotations

from aiohttp import web

READ_CHUNK = 64 * 1024


class BodyTooLarge(Exception):
    """The request body is over the endpoint's limit (answer 413)."""


async def read_capped(request: web.Request, limit: int) -> bytes:
    """The whole body, but never more than `limit` bytes of it (Content-Length may lie or be
    absent with chunked encoding)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = await request.content.read(READ_CHUNK)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
