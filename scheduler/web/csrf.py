"""Anti-CSRF protection for every state-changing form, through `asgi-csrf` (Double Submit
Cookie, OWASP CSRF Prevention Cheat Sheet).

A page puts `csrf_field()` (the template global) in each POST form; the library sets a signed
`csrftoken` cookie and refuses a POST whose form field (or `x-csrftoken` header) does not
match it. Scripts calling the API with `Authorization: Bearer` carry no cookie to abuse and are
let through. A refusal is a French page (a JSON body under /api/).
"""

from __future__ import annotations

import secrets
from http.cookies import CookieError, SimpleCookie
from typing import Any
from urllib.parse import parse_qs

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
    """The `asgi-csrf` middleware, with the service's cookie settings and refusal page, and
    three guards of its own in front of it:

    - a state-changing request a browser marks as cross-site (`Sec-Fetch-Site: cross-site`,
      or an `Origin` that is not this host) is refused, cookies or not: a forged sign-in
      from another site carries no cookie for the library to check;
    - `/connexion` is checked even without cookies (login CSRF);
    - a multipart upload sent with cookies must carry the token as `x-csrftoken`, or (an
      HTML form) as `?csrftoken=` in its action (the library cannot read multipart bodies
      with today's python-multipart); a body the library cannot read gets 400 rather than
      its exception.
    """

    def __init__(self, app: ASGIApp, *, secret: str, secure: bool) -> None:
        self._protected = asgi_csrf(app, signing_secret=secret, cookie_secure=secure,
                                    always_protect=ALWAYS_PROTECT, send_csrf_failed=_refused)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE:
            await self._protected(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1")
                   for k, v in scope.get("headers", [])}
        if not headers.get("authorization", "").startswith("Bearer "):
            if _cross_site(headers):
                await _refused(scope, send, None)
                return
            kind = headers.get("content-type", "").split(";", 1)[0].strip().lower()
            if kind == "multipart/form-data" and "cookie" in headers:
                # An HTML form cannot send a header: its token may come in the action's query
                # (`?csrftoken=`), checked against the cookie all the same.
                token = headers.get("x-csrftoken") or _query_token(scope)
                if not _token_matches(headers, token):
                    await _refused(scope, send, None)
                    return
                if "x-csrftoken" not in headers:
                    scope = {**scope, "headers": [*scope.get("headers", []),
                                                  (b"x-csrftoken", token.encode("latin-1"))]}
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            started |= message["type"] == "http.response.start"
            await send(message)

        try:
            await self._protected(scope, receive, tracked)
        except (UnicodeDecodeError, ValueError, TypeError, IndexError, KeyError):
            if started:
                raise
            await send({"type": "http.response.start", "status": 400,
                        "headers": [(b"content-type", b"text/plain; charset=utf-8")]})
            await send({"type": "http.response.body", "body": b"Bad request: unreadable form"})


SAFE = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
#: Checked even when the request carries no cookie.
ALWAYS_PROTECT = frozenset({"/connexion"})


def _cross_site(headers: dict[str, str]) -> bool:
    """What the browser says of the request's origin: `Sec-Fetch-Site` when it sends it, else
    an `Origin` other than this host. (Pages sent with `no-referrer` make browsers send
    `Origin: null` even from this very site: that tells nothing.)"""
    fetch_site = headers.get("sec-fetch-site")
    if fetch_site is not None:
        return fetch_site == "cross-site"
    origin = headers.get("origin")
    if origin is None or origin == "null":
        return False
    return origin.split("://", 1)[-1] != headers.get("host", "")


def _query_token(scope: Scope) -> str:
    values = parse_qs(scope.get("query_string", b"").decode("latin-1")).get(FIELD, [])
    return values[0] if len(values) == 1 else ""


def _token_matches(headers: dict[str, str], sent: str) -> bool:
    cookies = SimpleCookie()
    try:
        cookies.load(headers.get("cookie", ""))
    except CookieError:
        return False
    cookie = cookies.get(FIELD)
    return cookie is not None and bool(sent) and sent.isascii() and \
        secrets.compare_digest(sent, cookie.value)
