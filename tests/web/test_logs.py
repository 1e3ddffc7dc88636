"""No secret link or token reaches the logs: a full journey through the real `scheduler serve`
(access log on), then every line it wrote is searched for every secret handed out."""

from __future__ import annotations

import logging
import os
import queue
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from scheduler.access.accounts import create_account
from scheduler.access.credentials import issue_api_token
from scheduler.collection.coordinators import issue_coordinator_link
from scheduler.collection.invitations import invite
from scheduler.domain.enums import Role
from scheduler.web.security import REDACTED, RedactSecrets, redact
from tests.support import REPO
from tests.support.collection import PERIOD, load_period

PASSWORD = "a long journey password"


def test_redact_replaces_anything_shaped_like_a_secret() -> None:
    secret = "AbCdEfGhIjKlMnOpQrStUvWxYz012-_9"
    line = f'127.0.0.1:5 - "GET /feeds/doctor/{secret}.ics HTTP/1.1" 200'
    assert redact(line) == f'127.0.0.1:5 - "GET /feeds/doctor/{REDACTED}.ics HTTP/1.1" 200'
    # A cut or mistyped link is still a link: its segment goes too.
    assert redact(f"GET /g/{secret[:20]}x/agenda") == f"GET /g/{REDACTED}/agenda"
    assert redact("/feeds/site/chiv/abc.ics 404") == f"/feeds/site/chiv/{REDACTED}.ics 404"
    assert redact("/api/v1/periods/chiv-20260711-2000") == "/api/v1/periods/chiv-20260711-2000"


def test_the_filter_rewrites_a_records_arguments() -> None:
    secret = "x" * 32
    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1,
                               '%s - "%s %s HTTP/%s" %d',
                               ("127.0.0.1:1", "GET", f"/g/{secret}", "1.1", 200), None)
    RedactSecrets().filter(record)
    assert secret not in record.getMessage()


@pytest.fixture
def served(engine: Engine, tmp_path: Path) -> Iterator[tuple[str, list[str]]]:
    """`scheduler serve` on a free loopback port, its output collected line by line."""
    env = {**os.environ, "SCHEDULER_DATABASE_URL": engine.url.render_as_string(
        hide_password=False), "PYTHONUNBUFFERED": "1"}
    server = subprocess.Popen([sys.executable, "-m", "scheduler", "serve", "--host",
                               "127.0.0.1", "--port", "0"], cwd=REPO, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    ready: queue.Queue[str] = queue.Queue()

    def collect() -> None:
        assert server.stdout is not None
        for line in server.stdout:
            lines.append(line)
            if "Uvicorn running on " in line:
                ready.put(line.split("Uvicorn running on ", 1)[1].split()[0])

    reader = threading.Thread(target=collect, daemon=True)
    reader.start()
    try:
        yield ready.get(timeout=30), lines
    finally:
        server.terminate()
        server.wait(timeout=10)
        reader.join(timeout=10)


@pytest.mark.parametrize("backend", ["sqlite"])
def test_no_secret_appears_in_any_log_line_of_a_full_journey(
    served: tuple[str, list[str]], session: Session
) -> None:
    base, lines = served
    now = datetime.now(UTC)
    load_period(session, period_id=PERIOD)
    account = create_account(session, email="cadre@journey.test", password=PASSWORD,
                             role=Role.MANAGER, sites=["chiv"], now=now)
    api_token = issue_api_token(session, account, now=now)
    [anne] = invite(session, PERIOD, ["dr-anne"], now=now, base_url=base)
    coordinator = issue_coordinator_link(session, "cpts-val", now=now, base_url=base,
                                         period_id=PERIOD)
    secrets = {anne.url.rsplit("/", 1)[1], coordinator.rsplit("/", 1)[1], api_token}
    with httpx.Client(base_url=base, timeout=20) as browser:
        link = anne.url.removeprefix(base)
        assert browser.get(link).status_code == 200
        saved = browser.post(link, data={"formulaire": "disponibilites", "action": "save",
                                         "revision": "0",
                                         "csrftoken": browser.cookies["csrftoken"]})
        assert saved.status_code == 303
        agenda = browser.get(f"{link}/agenda").text
        feed = re.search(r'value="https?://[^"]+/feeds/doctor/([^"]+)\.ics"', agenda)
        assert feed is not None
        secrets.add(feed.group(1))
        assert browser.get(f"/feeds/doctor/{feed.group(1)}.ics").status_code == 200
        assert browser.get(coordinator.removeprefix(base)).status_code == 200
        assert browser.get(f"/g/{'q' * 32}").status_code == 404
        assert browser.get("/api/v1/answers", headers={
            "Authorization": f"Bearer {anne.url.rsplit('/', 1)[1]}"}).status_code == 200
        invited = browser.post(f"/api/v1/periods/{PERIOD}/invitations",
                               headers={"Authorization": f"Bearer {api_token}"},
                               json={"doctor_ids": ["dr-chloe"]})
        assert invited.status_code == 201
        secrets.add(invited.json()[0]["url"].rsplit("/", 1)[1])
        browser.get("/")
        signed = browser.post("/connexion", data={"email": "cadre@journey.test",
                                                  "mot_de_passe": PASSWORD,
                                                  "csrftoken": browser.cookies["csrftoken"]},
                              follow_redirects=True)
        assert signed.status_code == 200 and "Périodes de tension" in signed.text
        secrets.add(browser.cookies["scheduler_session"])
    logged = "".join(lines)
    assert REDACTED in logged, logged  # the journey was logged...
    leaked = sorted(s for s in secrets if s in logged)
    assert leaked == [], logged  # ...without a single secret
