"""The web side of the service's one boundary (`domain.text`): a request whose path or query
string holds a NUL, invalid UTF-8 or a lone surrogate is refused before any route reads it
(400, naming `path` or `query`); a body over `MAX_BODY_BYTES` is refused before it is read
(413); and a database too busy to write answers 503 "try again" (French on pages) rather than
failing.
"""

from __future__ import annotations

from urllib.parse import unquote_to_bytes

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from scheduler.web.templating import page

#: The largest request body: a roster of 2 MB with its envelope; a GP form is far smaller.
MAX_BODY_BYTES = 3_000_000


def _bad(raw: bytes) -> bool:
    try:
        text = unquote_to_bytes(raw).decode("utf-8")
    except UnicodeDecodeError:
        return True
    return "\x00" in text


class CleanRequests:
    """Refuses, with 400, a path or query string that is not clean text."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            where = "path" if _bad(scope.get("raw_path") or scope["path"].encode()) else \
                "query" if _bad(scope.get("query_string", b"")) else None
            if where is not None:
                body = (b'{"detail":[{"field":"' + where.encode() +
                        b'","message":"contains a NUL character or invalid UTF-8"}]}')
                await send({"type": "http.response.start", "status": 400,
                            "headers": [(b"content-type", b"application/json"),
                                        (b"content-length", str(len(body)).encode())]})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)


class _TooLarge(Exception):
    pass


class BodyLimit:
    """Refuses, with 413, a request body over `limit` bytes, before anything reads it whole
    (its Content-Length), or as soon as a body without one grows past it."""

    def __init__(self, app: ASGIApp, *, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length" and (not value.isdigit() or int(value) > self.limit):
                await _too_large(send)
                return
        received = 0
        started = False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.limit:
                raise _TooLarge
            return message

        async def tracked(message: Message) -> None:
            nonlocal started
            started |= message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, tracked)
        except _TooLarge:
            if started:
                raise
            await _too_large(send)


async def _too_large(send: Send) -> None:
    body = b'{"detail":"Request body too large"}'
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def _busy(exc: OperationalError | PoolTimeout) -> bool:
    if isinstance(exc, PoolTimeout):
        return True
    text = str(exc.orig).lower()
    return "database is locked" in text or "could not obtain lock" in text or \
        "deadlock detected" in text


async def _database_busy(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, OperationalError | PoolTimeout)
    if not _busy(exc):
        raise exc
    headers = {"Retry-After": "2"}
    if request.url.path.startswith("/api/"):
        return JSONResponse({"detail": "The database is busy: try again in a moment"},
                            status_code=503, headers=headers)
    response = page(request, "error.html", status_code=503, title="Service occupé",
                    message="Le service est très sollicité en ce moment : rien n'a été "
                            "enregistré. Réessayez dans quelques secondes.")
    response.headers.update(headers)
    return response


def install_busy_handler(app: FastAPI) -> None:
    """A write the database cannot take now, or a request that waited too long for a
    connection, answers 503 "try again"."""
    app.add_exception_handler(OperationalError, _database_busy)
    app.add_exception_handler(PoolTimeout, _database_busy)
