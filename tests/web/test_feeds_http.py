"""Feeds over real HTTP: content type, identical bytes, ETag/Last-Modified and 304, HEAD, 405,
the same bare 404 for every bad token, site feeds public or private, rotation; feeds read by
ical.js and libical at the instants the database holds; and one run on a real uvicorn."""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from scheduler.domain.enums import TokenKind
from scheduler.domain.problem import Problem
from scheduler.storage import tokens
from tests.support.feed_clients import icaljs, libical, run_client  # noqa: F401  (fixtures)
from tests.support.published import (
    NIGHT,
    SUMMER,
    T0,
    WINTER,
    db_instants,
    load_seasons,
    publish_at,
    save_version,
    slot_of_uid,
    vevents,
)
from tests.support.web import app_client

ROTA = [("dr-alpha", SUMMER), ("dr-alpha", NIGHT), ("dr-bravo", NIGHT), ("dr-alpha", WINTER),
        ("dr-charlie", WINTER)]
NOW = datetime.now(UTC)

# For behaviour that lives in the HTTP layer alone; what touches the database runs on both.
sqlite_only = pytest.mark.parametrize("backend", ["sqlite"])


@pytest.fixture
def seasons(session: Session, tiny_data: dict[str, Any]) -> Problem:
    problem = load_seasons(session, tiny_data)
    save_version(session, problem, ROTA)
    publish_at(session, T0)
    return problem


def issue(session: Session, kind: TokenKind, doctor_id: str | None = None,
          site_id: str | None = None) -> str:
    secret = tokens.issue(session, kind, now=NOW, doctor_id=doctor_id, site_id=site_id)
    session.commit()
    return secret


@pytest.fixture
def alpha_url(session: Session, seasons: Problem) -> str:
    return f"/feeds/doctor/{issue(session, TokenKind.FEED, doctor_id='dr-alpha')}.ics"


def test_doctor_feed_is_utf8_text_calendar_with_strong_validators(
    client: TestClient, alpha_url: str
) -> None:
    response = client.get(alpha_url)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    assert response.headers["etag"].startswith('"') and not response.headers["etag"].startswith(
        "W/")
    assert response.headers["last-modified"] == format_datetime(T0, usegmt=True)
    assert "no-cache" in response.headers["cache-control"]
    assert response.content.startswith(b"BEGIN:VCALENDAR\r\n")


def test_nothing_changed_gives_the_same_bytes_and_etag_on_every_request(
    client: TestClient, alpha_url: str
) -> None:
    first, second = client.get(alpha_url), client.get(alpha_url)
    assert first.content == second.content
    assert first.headers["etag"] == second.headers["etag"]


def test_feed_events_are_at_the_instants_the_database_holds(
    client: TestClient, session: Session, alpha_url: str
) -> None:
    events = vevents(client.get(alpha_url).content)
    slots = slot_of_uid(session)
    found = sorted((slots[str(e["UID"])], e.decoded("DTSTART").astimezone(UTC),
                    e.decoded("DTEND").astimezone(UTC)) for e in events)
    assert found == sorted(db_instants(session, [SUMMER, NIGHT, WINTER]))


def test_if_none_match_with_the_current_etag_gives_304_without_body(
    client: TestClient, alpha_url: str
) -> None:
    etag = client.get(alpha_url).headers["etag"]
    response = client.get(alpha_url, headers={"If-None-Match": etag})
    assert response.status_code == 304
    assert response.content == b""
    assert response.headers["etag"] == etag


@sqlite_only
def test_if_none_match_listing_a_weak_form_of_the_etag_gives_304(
    client: TestClient, alpha_url: str
) -> None:
    etag = client.get(alpha_url).headers["etag"]
    response = client.get(alpha_url, headers={"If-None-Match": f'"old", W/{etag}'})
    assert response.status_code == 304


def test_if_modified_since_the_last_modified_date_gives_304(
    client: TestClient, alpha_url: str
) -> None:
    last_modified = client.get(alpha_url).headers["last-modified"]
    response = client.get(alpha_url, headers={"If-Modified-Since": last_modified})
    assert response.status_code == 304
    assert response.content == b""


@sqlite_only
def test_if_modified_since_an_earlier_date_gives_the_body(
    client: TestClient, alpha_url: str
) -> None:
    earlier = format_datetime(T0 - timedelta(seconds=1), usegmt=True)
    response = client.get(alpha_url, headers={"If-Modified-Since": earlier})
    assert response.status_code == 200 and response.content


@sqlite_only
def test_stale_etag_wins_over_a_current_if_modified_since(
    client: TestClient, alpha_url: str
) -> None:
    last_modified = client.get(alpha_url).headers["last-modified"]
    response = client.get(alpha_url, headers={"If-None-Match": '"stale"',
                                              "If-Modified-Since": last_modified})
    assert response.status_code == 200


@sqlite_only
def test_invalid_if_modified_since_is_ignored(client: TestClient, alpha_url: str) -> None:
    response = client.get(alpha_url, headers={"If-Modified-Since": "yesterday"})
    assert response.status_code == 200


def test_after_a_change_the_old_validators_get_the_new_body(
    client: TestClient, session: Session, seasons: Problem, alpha_url: str
) -> None:
    old = client.get(alpha_url)
    save_version(session, seasons, [p for p in ROTA if p != ("dr-alpha", NIGHT)])
    publish_at(session, T0 + timedelta(days=1))
    by_etag = client.get(alpha_url, headers={"If-None-Match": old.headers["etag"]})
    by_date = client.get(alpha_url, headers={"If-Modified-Since": old.headers["last-modified"]})
    assert by_etag.status_code == by_date.status_code == 200
    assert by_etag.content == by_date.content != old.content
    assert len(vevents(by_etag.content)) == 2  # the night is gone


@sqlite_only
def test_head_gives_the_headers_of_get_without_a_body(client: TestClient, alpha_url: str) -> None:
    got, head = client.get(alpha_url), client.head(alpha_url)
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["etag"] == got.headers["etag"]
    assert head.headers["content-length"] == str(len(got.content))


@sqlite_only
def test_methods_other_than_get_and_head_give_405(client: TestClient, alpha_url: str) -> None:
    for method in ("POST", "PUT", "PATCH", "DELETE", "OPTIONS"):
        response = client.request(method, alpha_url)
        assert response.status_code == 405, method
        assert set(response.headers["allow"].replace(" ", "").split(",")) == {"GET", "HEAD"}


def test_unknown_malformed_revoked_and_wrong_kind_tokens_get_the_same_bare_404(
    client: TestClient, session: Session, seasons: Problem
) -> None:
    revoked = issue(session, TokenKind.FEED, doctor_id="dr-bravo")
    tokens.revoke_all(session, TokenKind.FEED, now=NOW, doctor_id="dr-bravo")
    session.commit()
    personal_link = issue(session, TokenKind.DOCTOR_LINK, doctor_id="dr-alpha")
    bad = {"unknown": "x" * 32, "malformed": "not-a-token", "revoked": revoked,
           "another kind": personal_link}
    answers = {name: client.get(f"/feeds/doctor/{secret}.ics") for name, secret in bad.items()}
    assert {name: r.status_code for name, r in answers.items()} == dict.fromkeys(bad, 404)
    assert len({(r.content, r.headers["content-type"]) for r in answers.values()}) == 1


def test_rotating_kills_the_old_feed_url(
    client: TestClient, session: Session, alpha_url: str
) -> None:
    new = tokens.rotate(session, TokenKind.FEED, now=NOW, doctor_id="dr-alpha")
    session.commit()
    assert client.get(alpha_url).status_code == 404
    assert client.get(f"/feeds/doctor/{new}.ics").status_code == 200


def test_doctor_with_a_feed_link_but_nothing_published_gets_a_stable_empty_calendar(
    client: TestClient, session: Session, seasons: Problem
) -> None:
    url = f"/feeds/doctor/{issue(session, TokenKind.FEED, doctor_id='dr-echo')}.ics"
    first, second = client.get(url), client.get(url)
    assert first.status_code == 200 and vevents(first.content) == []
    assert first.content == second.content


def test_private_site_feed_without_a_token_gives_404(
    client: TestClient, seasons: Problem
) -> None:
    assert client.get("/feeds/site/chiv.ics").status_code == 404


def test_private_site_feed_with_its_token_names_the_doctors_on_duty(
    client: TestClient, session: Session, seasons: Problem
) -> None:
    secret = issue(session, TokenKind.SITE_FEED, site_id="chiv")
    response = client.get(f"/feeds/site/chiv/{secret}.ics")
    assert response.status_code == 200
    summaries = sorted(str(e["SUMMARY"]) for e in vevents(response.content))
    assert len(summaries) == 3
    assert any("Dr Bruno Bravo" in s for s in summaries)
    assert client.get(f"/feeds/site/chic/{secret}.ics").status_code == 404


@pytest.fixture
def public_client(engine: Engine) -> Iterator[TestClient]:
    with app_client(engine, site_feeds_public=True) as test_client:
        yield test_client


def test_public_site_feed_is_served_without_a_token_and_304s_like_the_others(
    public_client: TestClient, seasons: Problem
) -> None:
    response = public_client.get("/feeds/site/chic.ics")
    assert response.status_code == 200
    assert "public" in response.headers["cache-control"]
    assert len(vevents(response.content)) == 2
    again = public_client.get("/feeds/site/chic.ics",
                              headers={"If-None-Match": response.headers["etag"]})
    assert again.status_code == 304
    assert public_client.get("/feeds/site/nowhere.ics").status_code == 404


def test_manager_feed_holds_every_published_shift(
    client: TestClient, session: Session, seasons: Problem
) -> None:
    secret = issue(session, TokenKind.MANAGER_FEED)
    response = client.get(f"/feeds/all/{secret}.ics")
    assert response.status_code == 200
    slots = slot_of_uid(session)
    assert sorted(slots[str(e["UID"])] for e in vevents(response.content)) == sorted(
        s for _, s in ROTA)


# --- independent parsers, on the bytes HTTP serves -------------------------------------------

@pytest.mark.parametrize("parser", ["icaljs", "libical"])
def test_independent_parsers_read_served_feeds_at_the_database_instants(
    parser: str, request: pytest.FixtureRequest, client: TestClient, session: Session,
    seasons: Problem,
) -> None:
    command: list[str] = request.getfixturevalue(parser)
    slots = slot_of_uid(session)
    manager = issue(session, TokenKind.MANAGER_FEED)
    feeds = {
        "dr-alpha": (f"/feeds/doctor/{issue(session, TokenKind.FEED, doctor_id='dr-alpha')}.ics",
                     [SUMMER, NIGHT, WINTER]),
        "all": (f"/feeds/all/{manager}.ics", [s for _, s in ROTA]),
    }
    for name, (url, expected) in feeds.items():
        parsed = run_client(command, client.get(url).content)
        found = sorted(
            (slots[e["uid"]], datetime.fromisoformat(e["start"].replace("Z", "+00:00")),
             datetime.fromisoformat(e["end"].replace("Z", "+00:00")))
            for e in parsed["events"]
        )
        assert found == sorted(db_instants(session, expected)), name


# --- a real server -------------------------------------------------------------------------

@pytest.fixture
def live_server(engine: Engine) -> Iterator[str]:
    """uvicorn on 127.0.0.1 (a free port), on the test database; stopped after the test."""
    env = {**os.environ, "SCHEDULER_DATABASE_URL": engine.url.render_as_string(
        hide_password=False)}
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "scheduler.api:create_app",
         "--host", "127.0.0.1", "--port", "0", "--no-access-log"],
        env=env, stderr=subprocess.PIPE, text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=_forward, args=(server, lines), daemon=True).start()
    try:
        yield _wait_for_address(lines)
    finally:
        server.terminate()
        server.wait(timeout=10)


def _forward(server: subprocess.Popen[str], lines: queue.Queue[str]) -> None:
    assert server.stderr is not None
    for line in server.stderr:
        lines.put(line)


def _wait_for_address(lines: queue.Queue[str]) -> str:
    """The server's base URL, from the line uvicorn logs once it listens."""
    seen: list[str] = []
    while True:
        try:
            line = lines.get(timeout=20)
        except queue.Empty:
            pytest.fail(f"uvicorn did not start: {''.join(seen)}")
        seen.append(line)
        if "Uvicorn running on " in line:
            return line.split("Uvicorn running on ", 1)[1].split()[0]


@sqlite_only
def test_real_server_serves_the_feed_its_304_and_head(
    live_server: str, session: Session, seasons: Problem
) -> None:
    secret = issue(session, TokenKind.FEED, doctor_id="dr-alpha")
    with httpx.Client(base_url=live_server, timeout=10) as http:
        full = http.get(f"/feeds/doctor/{secret}.ics")
        assert full.status_code == 200
        assert full.headers["content-type"] == "text/calendar; charset=utf-8"
        assert int(full.headers["content-length"]) == len(full.content)
        cached = http.get(f"/feeds/doctor/{secret}.ics",
                          headers={"If-None-Match": full.headers["etag"]})
        assert cached.status_code == 304 and cached.content == b""
        head = http.head(f"/feeds/doctor/{secret}.ics")
        assert head.status_code == 200 and head.content == b""
        assert head.headers["content-length"] == full.headers["content-length"]
        assert http.delete(f"/feeds/doctor/{secret}.ics").status_code == 405
        assert http.get(f"/feeds/doctor/{'x' * 32}.ics").status_code == 404
    assert len(vevents(full.content)) == 3
