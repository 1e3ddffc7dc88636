"""Private headers on everything reached by a secret link (and on the manager's period pages).

A GP's form and agenda, a coordinator's view and their JSON twins carry a secret in their
URL and personal data in their body: no cache may keep them (`no-store`), no search engine
index them (`noindex`), and no link followed from them may send their URL on
(`no-referrer`). One ASGI middleware adds the headers to every answer under the secret-link
prefixes (pages, redirects, errors and 404s alike), so a new route under them cannot forget.
Feed URLs are not pages: calendar apps revalidate them (`private, no-cache`, `web.feeds`).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

PRIVATE_HEADERS = {
    "Cache-Control": "no-store",
    "X-Robots-Tag": "noindex, nofollow",
    "Referrer-Policy": "no-referrer",
}
#: Paths reached with a secret: the GP's and coordinator's links, and their JSON twins (whose
#: bearer token is the link's secret); and the manager's period pages, which show doctors'
#: data and, once, new personal links (invitations).
PRIVATE_PREFIXES = ("/g/", "/c/", "/api/v1/answers", "/api/v1/coordinator", "/periodes/")

_ENCODED = [(name.lower().encode("latin-1"), value.encode("latin-1"))
            for name, value in PRIVATE_HEADERS.items()]
_REPLACED = {name for name, _ in _ENCODED}


class PrivateHeaders:
    """Sets `PRIVATE_HEADERS` (replacing any of the same name) on responses to private paths;
    other requests pass through untouched."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(PRIVATE_PREFIXES):
            await self.app(scope, receive, send)
            return

        async def send_private(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k not in _REPLACED]
                message = {**message, "headers": headers + _ENCODED}
            await send(message)

        await self.app(scope, receive, send_private)
