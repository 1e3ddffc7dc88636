"""The JSON API reads what the loader stored; unknown ids answer 404 with a fixed detail."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from fastapi.testclient import TestClient
from sqlmodel import Session

from scheduler.api import create_app
from scheduler.config.settings import Settings
from scheduler.domain.problem import Problem
from scheduler.domain.rota import Assignment, Rota, SolveStatus
from scheduler.storage.rotas import save_rota
from tests.support.web import sign_in

API = "/api/v1"


def test_health_reports_the_database_ok(client: TestClient) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_health_is_503_when_the_database_is_unreachable(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-directory" / "scheduler.db"
    with TestClient(create_app(Settings(database_url=f"sqlite:///{missing}"))) as client:
        response = client.get("/health")
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "unreachable"}


def test_openapi_docs_are_served(client: TestClient) -> None:
    sign_in(client)
    docs = client.get("/docs")
    assert docs.status_code == 200 and "/static-docs/swagger-ui-bundle.js" in docs.text
    assert client.get("/static-docs/swagger-ui-bundle.js").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    assert f"{API}/periods/{{period_id}}/slots" in paths


def test_periods_list_is_empty_before_any_load(client: TestClient) -> None:
    response = client.get(f"{API}/periods")
    assert response.status_code == 200
    assert response.json() == []


def test_periods_list_shows_the_loaded_period(client: TestClient, loaded_tiny: Problem) -> None:
    response = client.get(f"{API}/periods")
    assert response.status_code == 200
    [period] = response.json()
    assert period["id"] == loaded_tiny.period.id
    assert period["status"] == "collecting"
    assert "source_digest" not in period


def test_period_detail_lists_its_sites(client: TestClient, loaded_tiny: Problem) -> None:
    response = client.get(f"{API}/periods/{loaded_tiny.period.id}")
    assert response.status_code == 200
    body = response.json()
    assert (body["start"], body["end"]) == ("2026-07-06", "2026-07-12")
    assert [s["id"] for s in body["sites"]] == [s.id for s in loaded_tiny.sites]


def test_unknown_period_is_404_for_an_admin(client: TestClient) -> None:
    for path in ("", "/slots", "/doctors", "/availability", "/rotas"):
        response = client.get(f"{API}/periods/nope{path}")
        assert response.status_code == 404
        assert response.json() == {"detail": "Not found"}


def test_slots_are_listed_in_problem_order_with_aware_times(
    client: TestClient, loaded_tiny: Problem
) -> None:
    response = client.get(f"{API}/periods/{loaded_tiny.period.id}/slots")
    assert response.status_code == 200
    body = response.json()
    assert [s["id"] for s in body] == [s.id for s in loaded_tiny.slots]
    first = loaded_tiny.slots[0]
    assert datetime.fromisoformat(body[0]["start"]) == first.start
    assert body[0]["seats"] == first.seats


def test_slots_filtered_by_local_start_date(client: TestClient, loaded_tiny: Problem) -> None:
    response = client.get(
        f"{API}/periods/{loaded_tiny.period.id}/slots",
        params={"first": "2026-07-11", "last": "2026-07-12"},
    )
    assert response.status_code == 200
    weekend = [s.id for s in loaded_tiny.slots if s.start_date(loaded_tiny.tz).weekday() >= 5]
    assert [s["id"] for s in response.json()] == weekend


def test_slots_filtered_by_site(client: TestClient, loaded_tiny: Problem) -> None:
    response = client.get(f"{API}/periods/{loaded_tiny.period.id}/slots", params={"site": "chiv"})
    assert response.status_code == 200
    assert len(response.json()) == len(loaded_tiny.slots)


def test_slots_of_an_unknown_site_is_404(client: TestClient, loaded_tiny: Problem) -> None:
    response = client.get(f"{API}/periods/{loaded_tiny.period.id}/slots", params={"site": "x"})
    assert response.status_code == 404
    assert response.json() == {"detail": "Site not found"}


def test_slots_with_a_malformed_date_is_422(client: TestClient, loaded_tiny: Problem) -> None:
    response = client.get(
        f"{API}/periods/{loaded_tiny.period.id}/slots", params={"first": "11/07/2026"}
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "query.first"


def test_doctors_show_caps_and_dates_away_without_contact_details(
    client: TestClient, loaded_tiny: Problem
) -> None:
    response = client.get(f"{API}/periods/{loaded_tiny.period.id}/doctors")
    assert response.status_code == 200
    body = {d["id"]: d for d in response.json()}
    assert list(body) == [d.id for d in loaded_tiny.doctors]
    charlie = body["dr-charlie"]
    assert charlie["max_consecutive_days"] == 2
    assert charlie["away"] == [{"first": "2026-07-08", "last": "2026-07-09"}]
    assert not {"email", "phone", "rpps"} & set(charlie)


def test_availability_lists_every_answer(client: TestClient, loaded_tiny: Problem) -> None:
    response = client.get(f"{API}/periods/{loaded_tiny.period.id}/availability")
    assert response.status_code == 200
    got = {(a["doctor_id"], a["slot_id"], a["answer"]) for a in response.json()}
    assert got == {
        (d.id, slot, answer.value)
        for d in loaded_tiny.doctors
        for slot, answer in d.availability.items()
    }


def test_availability_of_one_doctor(client: TestClient, loaded_tiny: Problem) -> None:
    response = client.get(
        f"{API}/periods/{loaded_tiny.period.id}/availability", params={"doctor": "dr-echo"}
    )
    assert response.status_code == 200
    echo = loaded_tiny.doctor_by_id()["dr-echo"]
    assert {a["slot_id"]: a["answer"] for a in response.json()} == echo.availability


def test_availability_of_an_unknown_doctor_is_404(
    client: TestClient, loaded_tiny: Problem
) -> None:
    response = client.get(
        f"{API}/periods/{loaded_tiny.period.id}/availability", params={"doctor": "nope"}
    )
    assert response.status_code == 404
    assert response.json() == {"detail": "Doctor not found"}


def _saved_rota(session: Session, problem: Problem) -> int:
    rota = Rota(
        status=SolveStatus.OPTIMAL,
        assignments=[Assignment(doctor="dr-alpha", slot=problem.slots[0].id, pinned=True)],
    )
    version = save_rota(session, problem.period.id, problem, rota, note="first try")
    session.commit()
    assert version.id is not None
    return version.id


def test_rotas_of_a_period_list_its_versions(
    client: TestClient, session: Session, loaded_tiny: Problem
) -> None:
    version_id = _saved_rota(session, loaded_tiny)
    response = client.get(f"{API}/periods/{loaded_tiny.period.id}/rotas")
    assert response.status_code == 200
    [version] = response.json()
    assert (version["id"], version["number"], version["status"]) == (version_id, 1, "draft")
    assert version["statistics"]["metrics"]["covered_seats"] == 1


def test_rota_version_includes_its_assignments(
    client: TestClient, session: Session, loaded_tiny: Problem
) -> None:
    version_id = _saved_rota(session, loaded_tiny)
    response = client.get(f"{API}/rotas/{version_id}")
    assert response.status_code == 200
    body = response.json()
    assert body["note"] == "first try"
    assert body["assignments"] == [
        {"doctor_id": "dr-alpha", "slot_id": loaded_tiny.slots[0].id, "pinned": True}
    ]


def test_unknown_rota_version_is_404_for_an_admin(client: TestClient) -> None:
    response = client.get(f"{API}/rotas/999")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found"}


def test_lists_are_paged_and_the_pages_add_up_to_the_whole(
    client: TestClient, loaded_tiny: Problem
) -> None:
    base = f"{API}/periods/{loaded_tiny.period.id}"
    for path, key, whole in (
        ("/slots", "id", [s.id for s in loaded_tiny.slots]),
        ("/doctors", "id", [d.id for d in loaded_tiny.doctors]),
        ("/availability", None, None),
    ):
        everything = client.get(base + path)
        total = int(everything.headers["X-Total-Count"])
        assert total == len(everything.json()) > 3
        pages = [client.get(base + path, params={"limit": 3, "offset": offset})
                 for offset in range(0, total + 3, 3)]
        assert {int(p.headers["X-Total-Count"]) for p in pages} == {total}
        assert all(len(p.json()) <= 3 for p in pages) and pages[-1].json() == []
        joined = [row for p in pages for row in p.json()]
        assert joined == everything.json()
        if whole is not None:
            assert [row[key] for row in joined] == whole


def test_a_page_longer_than_1000_rows_is_refused(client: TestClient,
                                                  loaded_tiny: Problem) -> None:
    response = client.get(f"{API}/periods/{loaded_tiny.period.id}/slots",
                          params={"limit": 1001})
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "query.limit"
