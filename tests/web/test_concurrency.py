"""Concurrency on SQLite and PostgreSQL, through real processes and real HTTP:
- 50 GPs saving at once (JSON and form, over a real uvicorn server) get no 5xx and lose no
  answer: each one's stored answer is the last one the server acknowledged;
- `scheduler plan` run four times at once on one period gives versions 1-4, none lost;
- doctors invited at once from many sessions get distinct, consecutive positions;
- a save that cannot get SQLite's write lock in time answers 503 "réessayez" and writes nothing.
"""

from __future__ import annotations

import html
import os
import re
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from scheduler import cli
from scheduler.api import create_app
from scheduler.collection.answers import stored_answers
from scheduler.collection.invitations import invite
from scheduler.config.settings import Settings
from scheduler.models import DoctorPeriod, DoctorRow, RotaVersion
from scheduler.storage.db import make_engine, migrate, writer
from scheduler.web.csrf import FIELD
from tests.support import REPO
from tests.support.browser import listening_socket, serving
from tests.support.cli import TINY
from tests.support.collection import (
    BASE_URL,
    NOW,
    PERIOD,
    link_secret,
    load_period,
    set_clock,
)
from tests.support.dump import dump
from tests.support.web import app_client, form_revision

CLIENTS = 50
SLOTS = ["chiv-20270705-2000", "chiv-20270706-2000", "chiv-20270710-1400",
         "chiv-20270711-0800", "chiv-20270714-2000"]


def _many_doctors(session: Session, count: int) -> list[str]:
    """The collection period loaded, and `count` more doctors on the roster, not yet taking
    part in it."""
    load_period(session)
    ids = [f"dr-{i:03d}" for i in range(count)]
    session.add_all(DoctorRow(id=d, name=f"Dr Charge {d}", email=f"{d}@example.org",
                              organisation_id="cpts-val") for d in ids)
    session.commit()
    return ids


@dataclass
class Gp:
    doctor_id: str
    secret: str
    acknowledged: dict[str, str] | None = None


def _answer(turn: int) -> dict[str, str]:
    """Alternate answers, so that every save changes rows."""
    return {slot: ("preferred" if (turn + i) % 3 == 0 else "available")
            for i, slot in enumerate(SLOTS[: 2 + turn % 4])}


def _gp_saves(base_url: str, gp: Gp, use_form: bool, start: threading.Barrier,
              statuses: list[int]) -> None:
    with httpx.Client(base_url=base_url, timeout=60) as client:
        page = client.get(f"/g/{gp.secret}")
        statuses.append(page.status_code)
        token = client.cookies.get("csrftoken") or ""
        revision = int(form_revision(page.text))
        start.wait()
        for turn in range(3):
            answer = _answer(turn + len(gp.doctor_id))
            if use_form:
                # Each save is based on the answers the last one stored: this GP's own saves
                # are the only ones, so its revision goes up by one each time (as the page
                # the save redirects to would show).
                fields = {"formulaire": "disponibilites", "action": "save",
                          "revision": str(revision), "csrftoken": token,
                          **{f"slot:{s}": a for s, a in answer.items()}}
                response = client.post(f"/g/{gp.secret}", data=fields,
                                       follow_redirects=False)
                ok = response.status_code == 303
                revision += ok
            else:
                response = client.put("/api/v1/answers", json={"availability": answer},
                                      headers={"Authorization": f"Bearer {gp.secret}"})
                ok = response.status_code == 200
            statuses.append(response.status_code)
            if ok:
                gp.acknowledged = answer


@pytest.fixture
def server(engine: Engine) -> Iterator[str]:
    app = create_app(Settings(database_url=engine.url.render_as_string(hide_password=False),
                              unknown_link_rate="100000/minute"))
    set_clock(app, NOW)
    listener, base_url = listening_socket()
    with serving(app, listener):
        yield base_url


def test_fifty_gps_saving_at_once_get_no_error_and_lose_nothing(
        server: str, engine: Engine, session: Session) -> None:
    doctors = _many_doctors(session, CLIENTS)
    issued = invite(session, PERIOD, doctors, now=NOW, base_url=BASE_URL)
    gps = [Gp(doctor_id=i.doctor_id, secret=i.url.rsplit("/", 1)[1]) for i in issued]
    start = threading.Barrier(len(gps))
    statuses: list[int] = []
    threads = [threading.Thread(target=_gp_saves, args=(server, gp, n % 2 == 0, start,
                                                        statuses))
               for n, gp in enumerate(gps)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    assert len(statuses) == 4 * CLIENTS
    assert sorted(set(statuses)) == [200, 303]
    session.expire_all()
    for gp in gps:
        stored = stored_answers(session, gp.doctor_id, PERIOD)
        assert stored is not None and gp.acknowledged is not None
        assert {k: v.value for k, v in stored.availability.items()} == gp.acknowledged
    session.commit()


def test_doctors_invited_at_once_get_distinct_consecutive_positions(
        engine: Engine, session: Session) -> None:
    doctors = _many_doctors(session, 24)
    before = len(session.exec(select(DoctorPeriod)).all())
    session.commit()
    start = threading.Barrier(8)
    failures: list[BaseException] = []

    def invite_some(batch: list[str]) -> None:
        try:
            with Session(writer(engine)) as own:  # as the web and the CLI write
                start.wait()
                invite(own, PERIOD, batch, now=NOW, base_url=BASE_URL)
        except BaseException as exc:  # reported below, in the test's thread
            failures.append(exc)

    threads = [threading.Thread(target=invite_some, args=(doctors[i::8],)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    positions = session.exec(select(DoctorPeriod.position)
                             .where(DoctorPeriod.period_id == PERIOD)).all()
    assert sorted(positions) == list(range(before + len(doctors)))


def test_plans_run_at_once_each_get_their_own_version(engine: Engine, configured: None
                                                     ) -> None:
    assert cli.main(["load", str(TINY)]) == 0
    env = {**os.environ,
           "SCHEDULER_DATABASE_URL": engine.url.render_as_string(hide_password=False)}
    plans = [subprocess.Popen([sys.executable, "-m", "scheduler", "plan", "tiny-2026-07",
                               "--time-limit", "2", "--seed", str(seed)],
                              cwd=REPO, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
             for seed in range(4)]
    outputs = [plan.communicate(timeout=180) for plan in plans]
    for plan, (_out, err) in zip(plans, outputs, strict=True):
        assert plan.returncode == 0, err
    saved = sorted(int(m) for out, _ in outputs
                   for m in re.findall(r"version (\d+)", out)[:1])
    assert saved == [1, 2, 3, 4]
    with Session(engine) as session:
        numbers = session.exec(select(RotaVersion.number)
                               .order_by(col(RotaVersion.number))).all()
    assert numbers == [1, 2, 3, 4]


def test_a_save_that_cannot_get_the_write_lock_answers_try_again(tmp_path: Path) -> None:
    """Another process holds SQLite's write lock longer than the busy timeout: the GP form
    answers a French 503 page saying nothing was saved, the JSON save a 503 body, both with
    Retry-After, and nothing is written."""
    path = tmp_path / "busy.db"
    migrate(f"sqlite:///{path}")
    engine = make_engine(f"sqlite:///{path}", busy_seconds=0.2)
    with Session(engine) as session:
        load_period(session)
        secret = link_secret(session, "dr-anne")
    answer = {"formulaire": "disponibilites", "action": "save", "revision": "1",
              f"slot:{SLOTS[0]}": "available"}
    with app_client(engine) as client:
        set_clock(client.app, NOW)  # type: ignore[arg-type]
        assert client.get(f"/g/{secret}").status_code == 200
        client.put("/api/v1/answers", json={}, headers={"Authorization": f"Bearer {secret}"})
        before = dump(engine)
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            form = client.post(f"/g/{secret}", follow_redirects=False,
                               data={**answer, FIELD: client.cookies.get(FIELD) or ""})
            api = client.put("/api/v1/answers", json={"availability": {SLOTS[0]: "available"}},
                             headers={"Authorization": f"Bearer {secret}"})
        finally:
            holder.execute("ROLLBACK")
            holder.close()
    assert (form.status_code, form.headers["retry-after"]) == (503, "2")
    assert "rien n'a été enregistré" in html.unescape(form.text) and "Réessayez" in form.text
    assert (api.status_code, api.headers["retry-after"]) == (503, "2")
    assert "try again" in api.json()["detail"]
    assert dump(engine) == before
    engine.dispose()
