"""Browser protections and secret hygiene for every answer the service gives.

- Security headers on every response (OWASP Secure Headers Project): a Content-Security-Policy
  allowing only the service's own scripts, styles and images (no inline script), never framed
  (`frame-ancestors 'none'`, `X-Frame-Options: DENY`), `X-Content-Type-Options: nosniff`, a
  same-origin referrer (private pages say `no-referrer`, `web.private`), and HSTS behind https.
  The offline API docs (`web.docs`) also need inline styles and a blob worker.
- Secret links and tokens are redacted from every log line (`RedactSecrets`): the access log
  would otherwise keep every GP's personal link and feed URL in clear.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from scheduler.storage.tokens import SECRET_LENGTH

POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
          "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
          "form-action 'self'; frame-ancestors 'none'")
#: Swagger UI and ReDoc style their pages inline and run ReDoc's search in a blob worker.
DOCS_POLICY = POLICY.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'") + \
    "; worker-src 'self' blob:"
DOCS_PATHS = ("/docs", "/redoc")
HSTS = "max-age=31536000; includeSubDomains"


def _encoded(headers: dict[str, str]) -> list[tuple[bytes, bytes]]:
    return [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]


BASE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}


class SecurityHeaders:
    """Adds the security headers to every HTTP response that does not set them itself."""

    def __init__(self, app: ASGIApp, *, https: bool = False) -> None:
        self.app = app
        base = dict(BASE_HEADERS)
        if https:
            base["Strict-Transport-Security"] = HSTS
        self._pages = _encoded({**base, "Content-Security-Policy": POLICY})
        self._docs = _encoded({**base, "Content-Security-Policy": DOCS_POLICY})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        added = self._docs if scope["path"].startswith(DOCS_PATHS) else self._pages

        async def send_secure(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k for k, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in added if k not in present]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_secure)


#: A secret's shape anywhere in a line: 32 URL-safe characters between separators.
_SECRET = re.compile(rf"(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{{{SECRET_LENGTH}}}(?![A-Za-z0-9_-])")
#: The paths whose segment is a secret, whatever it looks like (a mistyped or cut link too).
_SECRET_SEGMENT = re.compile(
    r"(/g/|/c/|/feeds/doctor/|/feeds/all/|/feeds/site/[^/?#\s\"]+/)[^/?#\s\".]+")
#: An anti-CSRF token in a form's action (an upload's `?csrftoken=`).
_CSRF_QUERY = re.compile(r"(csrftoken=)[^&\s\"]+")
REDACTED = "[secret]"


def redact(text: str) -> str:
    """`text` with every secret-link segment and everything shaped like a token replaced."""
    text = _SECRET_SEGMENT.sub(lambda m: m.group(1) + REDACTED, text)
    text = _CSRF_QUERY.sub(lambda m: m.group(1) + REDACTED, text)
    return _SECRET.sub(REDACTED, text)


class RedactSecrets(logging.Filter):
    """Rewrites a log record's message and arguments without the secrets they hold."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_redact_arg(a) for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: _redact_arg(v) for k, v in record.args.items()}
        return True


def _redact_arg(value: Any) -> Any:
    return redact(value) if isinstance(value, str) else value


def install_log_redaction(names: tuple[str, ...] = ("uvicorn.access", "uvicorn.error",
                                                    "uvicorn", "scheduler")) -> None:
    """Put `RedactSecrets` on the service's loggers and on the handlers of the root logger."""
    for name in names:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactSecrets) for f in logger.filters):
            logger.addFilter(RedactSecrets())
