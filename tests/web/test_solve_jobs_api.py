"""The solve-job API on SQLite and PostgreSQL: request (202, Location), one per period (409
naming the running job), follow (JSON, list, server-sent events), cancel, and the options'
bounds. Jobs run in this process here (`tests/planning/test_workers.py`: worker processes)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from scheduler.domain.enums import JobState
from scheduler.planning.runner import RunContext, run_job
from tests.support.collection import PERIOD, load_period
from tests.support.web import account_token, app_client

JOBS = f"/api/v1/periods/{PERIOD}/solve-jobs"


@pytest.fixture
def api(engine: Engine, session: Session) -> Iterator[TestClient]:
    load_period(session)
    with app_client(engine, api_token=account_token(engine)) as client:
        yield client


def _run(engine: Engine, job_id: int) -> JobState | None:
    return run_job(RunContext(engine=engine, worker="test:1",
                              hand_over=lambda _s, _j: None), job_id)


def test_a_job_is_queued_then_followed_to_its_rota_version(api: TestClient,
                                                           engine: Engine) -> None:
    created = api.post(JOBS, json={"time_limit_seconds": 2, "seed": 3})
    assert created.status_code == 202, created.text
    job = created.json()
    assert created.headers["location"] == job["url"] == f"/api/v1/solve-jobs/{job['id']}"
    assert (job["state"], job["period_id"], job["time_limit_seconds"], job["seed"],
            job["requested_by"], job["rota_version"]) == (
        "queued", PERIOD, 2.0, 3, "admin@test.invalid", None)
    assert _run(engine, job["id"]) is JobState.DONE
    done = api.get(job["url"]).json()
    assert (done["state"], done["rota_version"], done["attempts"]) == ("done", 1, 1)
    assert done["progress"]["stage"] == "preferences" and done["finished_at"] is not None
    assert "saved draft rota version 1" in done["log"][-1]
    listed = api.get(JOBS)
    assert listed.headers["x-total-count"] == "1"
    assert [j["id"] for j in listed.json()] == [job["id"]]


def test_server_defaults_apply_to_an_empty_request(api: TestClient) -> None:
    job = api.post(JOBS).json()
    assert (job["time_limit_seconds"], job["seed"]) == (60.0, 0)


def test_a_second_job_on_the_period_answers_409_with_the_first(api: TestClient) -> None:
    first = api.post(JOBS, json={}).json()
    busy = api.post(JOBS, json={})
    assert busy.status_code == 409
    assert busy.json()["job_id"] == first["id"] and busy.json()["url"] == first["url"]
    assert api.get(JOBS).headers["x-total-count"] == "1"


def test_cancelling_a_queued_job_ends_it_and_frees_the_period(api: TestClient,
                                                              engine: Engine) -> None:
    job = api.post(JOBS, json={}).json()
    cancelled = api.post(f"{job['url']}/cancel")
    assert cancelled.status_code == 202 and cancelled.json()["state"] == "cancelled"
    assert "cancelled by admin@test.invalid before it started" in cancelled.json()["log"][-1]
    assert _run(engine, job["id"]) is None
    assert api.post(f"{job['url']}/cancel").status_code == 409
    assert api.post(JOBS, json={}).status_code == 202


def test_events_stream_the_job_then_end(api: TestClient, engine: Engine) -> None:
    job = api.post(JOBS, json={"time_limit_seconds": 2}).json()
    _run(engine, job["id"])
    with api.stream("GET", f"{job['url']}/events") as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        text = "".join(response.iter_text())
    events = [block.split("\n") for block in text.strip().split("\n\n")]
    assert [e[0] for e in events] == ["event: progress", "event: end"]
    assert json.loads(events[0][1].removeprefix("data: "))["rota_version"] == 1
    assert json.loads(events[1][1].removeprefix("data: ")) == {"state": "done"}


@pytest.mark.parametrize(("body", "field"), [
    ({"time_limit_seconds": 0}, "body.time_limit_seconds"),
    ({"time_limit_seconds": 3601}, "body.time_limit_seconds"),
    ({"seed": -1}, "body.seed"),
    ({"seed": 2**31}, "body.seed"),
    ({"workers": 2}, "body.workers"),
])
def test_options_out_of_bounds_are_refused_naming_the_field(api: TestClient, body: object,
                                                            field: str) -> None:
    response = api.post(JOBS, json=body)
    assert response.status_code == 422
    assert [p["field"] for p in response.json()["detail"]] == [field]
    assert api.get(JOBS).headers["x-total-count"] == "0"
