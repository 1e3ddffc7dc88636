"""Calendar feeds over HTTP: the bytes stored at publication, with ETag and Last-Modified.

Calendar apps poll; most polls find nothing new and get a 304 without a body, so this path
is kept short: one indexed query (see `publication.lookup`), no session, no thread hop on SQLite
(the query takes microseconds in-process; a network database is queried from the thread
pool so the event loop never waits on it). Every feed URL answers GET and HEAD only
(anything else: 405). A token that is unknown, malformed, revoked or of another kind, and a
site feed set to private reached without one, all get the same bare 404.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import TypeVar

from fastapi import APIRouter, Request, Response
from sqlalchemy import Engine
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from scheduler.domain.enums import FeedKind, TokenKind
from scheduler.publication.documents import FeedDocument, FeedKey, unpublished_feed
from scheduler.publication.lookup import FeedLookup, TokenFeed, feed_lookup
from scheduler.web.deps import NowDep, SettingsDep

# Calendar URLs, not JSON API: left out of OpenAPI (one GET+HEAD route per URL keeps 405's
# Allow header right, but would give OpenAPI one operation id twice).
router = APIRouter(prefix="/feeds", tags=["feeds"], include_in_schema=False)

MEDIA_TYPE = "text/calendar; charset=utf-8"
METHODS = ["GET", "HEAD"]
_T = TypeVar("_T")


@router.api_route("/doctor/{token}.ics", methods=METHODS)
async def doctor_feed(token: str, request: Request, now: NowDep) -> Response:
    """A doctor's private feed: their published shifts of every period."""
    return await _token_feed(request, now, TokenKind.FEED, token, FeedKind.DOCTOR)


@router.api_route("/site/{site_id}/{token}.ics", methods=METHODS)
async def private_site_feed(site_id: str, token: str, request: Request, now: NowDep
                            ) -> Response:
    """A site's feed through its secret link: every published shift there, naming the doctor."""
    return await _token_feed(request, now, TokenKind.SITE_FEED, token, FeedKind.SITE, site_id)


@router.api_route("/site/{site_id}.ics", methods=METHODS)
async def public_site_feed(site_id: str, request: Request, settings: SettingsDep) -> Response:
    """A site's feed without a token, when site feeds are set to public."""
    if not settings.site_feeds_public:
        return not_found()
    return await _stored_feed(request, FeedKind.SITE, site_id, private=False)


@router.api_route("/all/{token}.ics", methods=METHODS)
async def all_shifts_feed(token: str, request: Request, now: NowDep) -> Response:
    """The managers' feed: every published shift of every site."""
    return await _token_feed(request, now, TokenKind.MANAGER_FEED, token, FeedKind.ALL)


async def _token_feed(request: Request, now: datetime, kind: TokenKind, secret: str,
                      feed: FeedKind, site_id: str | None = None) -> Response:
    lookup = _lookup(request)
    found = await _query(lookup, lookup.by_token, kind, feed, secret, now)
    if found is None or (site_id is not None and found.subject != site_id):
        return not_found()
    if found.etag is None or found.changed_at is None:
        return await _unpublished(request, feed, found)
    validators = FeedDocument(body=b"", etag=found.etag, changed_at=found.changed_at)
    if not_modified(request, validators):
        # The common poll: answered from the validators, the body is never read.
        return Response(status_code=304, headers=_headers(validators, private=True))
    return await _stored_feed(request, feed, found.subject, private=True)


async def _stored_feed(request: Request, feed: FeedKind, subject: str, *, private: bool
                       ) -> Response:
    lookup = _lookup(request)
    stored = await _query(lookup, lookup.stored, feed, subject, with_body=True)
    if stored is None or stored.body is None:
        return not_found()
    document = FeedDocument(body=stored.body, etag=stored.etag, changed_at=stored.changed_at)
    return feed_response(request, document, private=private)


async def _unpublished(request: Request, feed: FeedKind, found: TokenFeed) -> Response:
    # Rare (subscribed before any publication): the ordinary session and renderer will do.
    def render() -> FeedDocument:
        with Session(_engine(request)) as session:
            key = FeedKey(kind=feed, subject=found.subject)
            return unpublished_feed(session, key, since=found.token_created_at)

    return feed_response(request, await run_in_threadpool(render), private=True)


def _engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def _lookup(request: Request) -> FeedLookup:
    return feed_lookup(request.app.state)


async def _query(lookup: FeedLookup, call: Callable[..., _T], *args: object,
                 **kwargs: object) -> _T:
    if lookup.inline:
        return call(*args, **kwargs)
    return await run_in_threadpool(call, *args, **kwargs)


def not_found() -> Response:
    return Response(status_code=404, content="Not Found", media_type="text/plain")


def feed_response(request: Request, document: FeedDocument, *, private: bool) -> Response:
    """200 with the body (none for HEAD), or 304 when the client's copy is current."""
    headers = _headers(document, private=private)
    if not_modified(request, document):
        return Response(status_code=304, headers=headers)
    headers["Content-Length"] = str(len(document.body))
    body = b"" if request.method == "HEAD" else document.body
    return Response(content=body, media_type=MEDIA_TYPE, headers=headers)


def _headers(document: FeedDocument, *, private: bool) -> dict[str, str]:
    return {
        "ETag": document.etag,
        "Last-Modified": format_datetime(document.changed_at, usegmt=True),
        # Clients may keep it but must ask again (cheaply, with its validators) each time.
        "Cache-Control": f"{'private' if private else 'public'}, no-cache",
    }


def not_modified(request: Request, document: FeedDocument) -> bool:
    """RFC 9110 §13.1: If-None-Match when present, otherwise If-Modified-Since."""
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:
        return _etag_matches(if_none_match, document.etag)
    if_modified_since = request.headers.get("if-modified-since")
    if if_modified_since is None:
        return False
    try:
        since = parsedate_to_datetime(if_modified_since)
    except (TypeError, ValueError):
        return False  # an invalid date is ignored, as the RFC says
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    return document.changed_at <= since


def _etag_matches(header: str, etag: str) -> bool:
    # If-None-Match uses the weak comparison: W/"x" matches "x".
    candidates = [c.strip() for c in header.split(",")]
    return any(c == "*" or c.removeprefix("W/") == etag for c in candidates)

