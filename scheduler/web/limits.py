"""Rate limits, through the `limits` library: sign-in attempts per client address, and
unknown secret links per client address.

Guessing a secret link (192 random bits) is hopeless, but nobody should get to try thousands:
each 404 under a secret-link path (and each 401 to a bearer token) counts against the caller's
address, and past `unknown_link_rate` every secret-link request from it gets 429 until the
window passes. Live links that keep working (a calendar app polling its feed) count nothing.
Counters live in `rate_limit_storage` (memory for one process; Redis when several share them).
"""

from __future__ import annotations

from limits import RateLimitItem, parse, storage, strategies
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from scheduler.config.settings import Settings

#: Paths with a secret in them (or behind a bearer token).
SECRET_PATHS = ("/g/", "/c/", "/feeds/", "/api/")


class Limiter:
    """The service's rate limits (one per app)."""

    def __init__(self, settings: Settings) -> None:
        self._storage = storage.storage_from_string(settings.rate_limit_storage)
        self._window = strategies.FixedWindowRateLimiter(self._storage)
        self.sign_in: RateLimitItem = parse(settings.sign_in_rate)
        self.unknown_link: RateLimitItem = parse(settings.unknown_link_rate)

    def sign_in_allowed(self, client: str) -> bool:
        """Count one sign-in attempt; False once the address has tried too often."""
        return self._window.hit(self.sign_in, "sign-in", client)

    def links_allowed(self, client: str) -> bool:
        """Whether the address may still try secret links (counts nothing)."""
        return self._window.test(self.unknown_link, "unknown-link", client)

    def count_unknown_link(self, client: str) -> None:
        self._window.hit(self.unknown_link, "unknown-link", client)

    def reset(self) -> None:
        self._storage.reset()


def client_address(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


class LinkGuard:
    """Middleware: 429 for an address that tried too many unknown secret links."""

    def __init__(self, app: ASGIApp, *, limiter: Limiter) -> None:
        self.app, self.limiter = app, limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(SECRET_PATHS):
            await self.app(scope, receive, send)
            return
        client = client_address(scope)
        if not self.limiter.links_allowed(client):
            await _too_many(send, json=scope["path"].startswith("/api/"))
            return
        with_bearer = any(k == b"authorization" for k, _ in scope.get("headers", []))

        async def counting(message: Message) -> None:
            if message["type"] == "http.response.start":
                status = message["status"]
                if (status == 404 and not scope["path"].startswith("/api/")) or \
                        (status == 401 and with_bearer):
                    self.limiter.count_unknown_link(client)
            await send(message)

        await self.app(scope, receive, counting)


async def _too_many(send: Send, *, json: bool) -> None:
    if json:
        body, kind = b'{"detail":"Too many invalid credentials: try again in a minute"}', \
            b"application/json"
    else:
        body = "Trop de liens non valides depuis cette adresse : réessayez dans une minute." \
            .encode()
        kind = b"text/plain; charset=utf-8"
    await send({"type": "http.response.start", "status": 429,
                "headers": [(b"content-type", kind), (b"retry-after", b"60"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
