"""Anti-CSRF protection for every state-changing form, through `asgi-csrf` (Double Submit
Cookie, OWASP CSRF Prevention Cheat Sheet).

A page puts `csrf_field()` (the template global) in each POST form; the library sets a signed
`csrftoken` cookie and refuses a POST whose form field (or `x-csrftoken` header) does not
match it. Scripts calling the API with `Authorization: Bearer` carry no cookie to abuse and are
let through. A refusal is a French page (a JSON body under /api/).
"""

from __future__ import annotations

from typing import Any

from asgi_csrf import asgi_csrf
from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: The form field (and cookie) the library reads.
FIELD = "csrftoken"
_PAGE = """<!doctype html>
<html lang="fr"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Formulaire expiré — Délestage des urgences</title>
<link rel="stylesheet" href="/static/style.css"></head>
<body><header class="site-header"><p class="brand">Délestage des urgences</p></header>
<main id="contenu"><h1>Formulaire expiré</h1>
<p class="notice warn">Ce formulaire a expiré ou ne vient pas de ce site : rien n'a été
enregistré. Revenez à la page, rechargez-la, puis recommencez.</p></main></body></html>
""".encode()


async def _refused(scope: Scope, send: Send, _reason: Any) -> None:
    if scope["path"].startswith("/api/"):
        body, kind = b'{"detail":"CSRF token missing or wrong"}', b"application/json"
    else:
        body, kind = _PAGE, b"text/html; charset=utf-8"
    await send({"type": "http.response.start", "status": 403,
                "headers": [(b"content-type", kind), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


class Csrf:
    """The `asgi-csrf` middleware, with the service's cookie settings and refusal page.

    A form body that is not UTF-8 gets 400 rather than the library's exception.
    """

    def __init__(self, app: ASGIApp, *, secret: str, secure: bool) -> None:
        self._protected = asgi_csrf(app, signing_secret=secret, cookie_secure=secure,
                                    send_csrf_failed=_refused)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            started |= message["type"] == "http.response.start"
            await send(message)

        try:
            await self._protected(scope, receive, tracked)
        except UnicodeDecodeError:
            if started:
                raise
            await send({"type": "http.response.start", "status": 400,
                        "headers": [(b"content-type", b"text/plain; charset=utf-8")]})
            await send({"type": "http.response.body", "body": b"Bad request: not UTF-8"})
