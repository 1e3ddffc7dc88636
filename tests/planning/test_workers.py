"""Solve jobs through real processes, on SQLite (the embedded queue) and PostgreSQL
(procrastinate): the web server (uvicorn, two processes) over real HTTP and `scheduler worker`
subprocesses.

One journey per database: two workers; a job whose worker is killed with SIGKILL mid-solve
is seen stale, queued again and finished by another worker (one version saved); a second
request on a busy period answers 409; a running job cancelled stops within seconds and saves
nothing; eight jobs for eight periods all finish, each run once; workers stop on SIGTERM.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from sqlalchemy import Engine

from benchmarks.feeds import start_server
from scheduler import cli
from tests.support import REPO
from tests.support.cli import CHIV, TINY
from tests.support.web import account_token

TINY_PERIODS = [f"tiny-{i}" for i in range(8)]
KILLED, CANCELLED = "chiv-killed", "chiv-cancelled"
#: Heartbeats come every second; a worker silent this long is taken for dead.
STALE_SECONDS = "5"


def _load(source: Path, period_id: str, folder: Path) -> None:
    data = yaml.safe_load(source.read_text(encoding="utf-8"))
    data["period"]["id"] = period_id
    path = folder / f"{period_id}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert cli.main(["load", str(path)]) == 0


@dataclass
class Deployment:
    engine: Engine
    api: httpx.Client
    folder: Path
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start_worker(self) -> subprocess.Popen[bytes]:
        env = {**os.environ, "SCHEDULER_DATABASE_URL":
               self.engine.url.render_as_string(hide_password=False),
               "SCHEDULER_JOB_STALE_SECONDS": STALE_SECONDS}
        log = (self.folder / f"worker-{len(self.workers)}.log").open("wb")
        worker = subprocess.Popen([sys.executable, "-m", "scheduler", "worker"], cwd=REPO,
                                  env=env, stdout=log, stderr=subprocess.STDOUT)
        self.workers.append(worker)
        return worker

    def request(self, period: str, time_limit: float) -> httpx.Response:
        return self.api.post(f"/api/v1/periods/{period}/solve-jobs",
                             json={"time_limit_seconds": time_limit})

    def job(self, job_id: int) -> dict[str, Any]:
        response = self.api.get(f"/api/v1/solve-jobs/{job_id}")
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def wait(self, job_id: int, until: str, seconds: float = 120) -> dict[str, Any]:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            job = self.job(job_id)
            if until == "progress" and job["state"] == "running" and job["progress"]:
                return job
            if job["state"] == until:
                return job
            time.sleep(0.2)
        raise AssertionError(f"job {job_id} never {until}: {self.job(job_id)}\n{self.logs()}")

    def versions(self, period: str) -> int:
        return len(self.api.get(f"/api/v1/periods/{period}/rotas").json())

    def logs(self) -> str:
        return "\n".join(p.read_text(errors="replace")[-2000:]
                         for p in sorted(self.folder.glob("worker-*.log")))


@pytest.fixture
def deployment(engine: Engine, tmp_path: Path, configured: None,
               monkeypatch: pytest.MonkeyPatch) -> Iterator[Deployment]:
    for period in TINY_PERIODS:
        _load(TINY, period, tmp_path)
    for period in (KILLED, CANCELLED):
        _load(CHIV, period, tmp_path)
    token = account_token(engine)
    # The web tier as deployed: `uvicorn` with two processes, sharing nothing but the
    # database (a job requested through one is followed and cancelled through the other).
    monkeypatch.setenv("SCHEDULER_JOB_STALE_SECONDS", STALE_SECONDS)
    server, host, port = start_server(engine.url.render_as_string(hide_password=False),
                                      factory="scheduler.api:create_app", workers=2)
    try:
        with httpx.Client(base_url=f"http://{host}:{port}", timeout=30,
                          headers={"Authorization": f"Bearer {token}"}) as api:
            deployment = Deployment(engine=engine, api=api, folder=tmp_path)
            try:
                yield deployment
            finally:
                for worker in deployment.workers:
                    if worker.poll() is None:
                        worker.kill()
                        worker.wait()
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_jobs_survive_a_killed_worker_are_cancelled_and_each_run_once(
        deployment: Deployment) -> None:
    d = deployment
    first, _second = d.start_worker(), d.start_worker()

    # A worker killed mid-solve: its job is taken for lost, queued again, finished elsewhere.
    killed = d.request(KILLED, time_limit=6).json()
    running = d.wait(killed["id"], "progress")
    pid = int(running["worker"].rsplit(":", 1)[1])
    victim = next(w for w in d.workers if w.pid == pid)
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait()
    replacement = d.start_worker()

    # A running job cancelled: stops within seconds, saves nothing; its period was busy.
    cancelled = d.request(CANCELLED, time_limit=120).json()
    busy = d.request(CANCELLED, time_limit=5)
    assert busy.status_code == 409 and busy.json()["job_id"] == cancelled["id"]
    d.wait(cancelled["id"], "progress")
    assert d.api.post(f"{cancelled['url']}/cancel").status_code == 202
    asked = time.monotonic()
    ended = d.wait(cancelled["id"], "cancelled", seconds=30)
    assert time.monotonic() - asked < 30 and "nothing was saved" in ended["log"][-1]

    # Eight periods, eight jobs.
    tiny = [d.request(p, time_limit=1) for p in TINY_PERIODS]
    assert [r.status_code for r in tiny] == [202] * 8
    for response, period in zip(tiny, TINY_PERIODS, strict=True):
        job = d.wait(response.json()["id"], "done")
        started = [line for line in job["log"] if " started on " in line]
        assert (job["attempts"], len(started), job["rota_version"]) == (1, 1, 1), job
        assert d.versions(period) == 1

    again = d.wait(killed["id"], "done")
    assert again["attempts"] == 2, again
    assert any("stopped answering; nothing was saved; queued again" in line
               for line in again["log"]), again["log"]
    assert d.versions(KILLED) == 1 and d.versions(CANCELLED) == 0

    # Workers stop on SIGTERM, idle ones at once.
    for worker in (w for w in d.workers if w.poll() is None):
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=30) == 0, d.logs()
    assert [w.returncode for w in d.workers if w is not victim] == [0, 0]
    assert first in d.workers and replacement in d.workers
