"""schemathesis against the OpenAPI schema the app publishes, on SQLite and PostgreSQL: every
JSON route with generated valid and invalid requests (a bounded number per route and mode),
every answer checked against what the schema documents (status, content type, body,
headers), and no 5xx. Manager routes are called with an admin's API token, the GP and
coordinator routes with their personal links."""

from __future__ import annotations

import os
from dataclasses import dataclass

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import negative_data_rejection, positive_data_acceptance
from sqlalchemy import Engine
from sqlmodel import Session

from scheduler.access.accounts import create_account
from scheduler.access.credentials import issue_api_token
from scheduler.api import create_app
from scheduler.collection.coordinators import issue_coordinator_link
from scheduler.config.settings import Settings
from scheduler.domain.enums import Role
from tests.support.collection import BASE_URL, NOW, PERIOD, link_secret, load_period
from tests.support.web import LINK_API

#: Checks that cannot apply to a route, and why; every other check applies to every route
#: (documented statuses, bodies and headers, no 5xx, valid data accepted, invalid refused).
#: "Valid data accepted" cannot hold where a valid request is still refused (422) for what no
#: JSON schema can say.
BEYOND_THE_SCHEMA = {
    "PUT /api/v1/answers": "dates away run forward; the slots are the period's",
    "POST /api/v1/periods/{period_id}/invitations": "the doctors must exist",
    "POST /api/v1/organisations/{organisation_id}/coordinator-links":
        "send_email needs mail settings and the organisation's address",
    "POST /api/v1/roster/import": "the CSV's header and lines",
    "POST /api/v1/coordinator/resend": "the doctors must be members taking part",
}
#: "Invalid data refused" cannot hold for a multipart file that the route reads whatever it
#: holds: a file "of type number" is the text "12", which the preview reads and reports on.
READS_ANY_FILE = {"POST /api/v1/roster/preview"}
#: Generated requests per route, mode and database: enough to reach every field's edges in
#: the suite, which stays within its ten minutes; `FUZZ_EXAMPLES=400 pytest
#: tests/web/test_schema_fuzz.py` for a deeper run.
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "15"))
#: The routes and modes, read from the schema the app builds (no database needed for that).
#: Invalid requests only for routes that take input: the others have none to get wrong.
ROUTES = [
    pytest.param(operation.label, mode, id=f"{operation.label} {mode.value}")
    for operation in (result.ok() for result in schemathesis.openapi.from_dict(
        create_app(Settings(database_url="sqlite://")).openapi()).get_all_operations())
    for mode in schemathesis.GenerationMode
    if mode is schemathesis.GenerationMode.POSITIVE
    or operation.body or any(True for _ in operation.iter_parameters())
]


@dataclass(frozen=True)
class Fuzzed:
    app: FastAPI
    secrets: dict[str, str]


@pytest.fixture
def fuzzed(engine: Engine, session: Session) -> Fuzzed:
    load_period(session)
    admin = create_account(session, email="admin@test.invalid", password="a long password!",
                           role=Role.ADMIN, now=NOW)
    secrets = {
        "admin": issue_api_token(session, admin, now=NOW),
        "/api/v1/answers": link_secret(session, "dr-anne"),
        "/api/v1/coordinator": issue_coordinator_link(
            session, "cpts-val", now=NOW, base_url=BASE_URL, period_id=PERIOD).rsplit("/", 1)[1],
    }
    app = create_app(Settings(database_url=engine.url.render_as_string(hide_password=False),
                              unknown_link_rate="100000/minute", sign_in_rate="100000/minute"))
    return Fuzzed(app=app, secrets=secrets)


@pytest.mark.parametrize(("label", "mode"), ROUTES)
def test_every_answer_is_the_documented_one(fuzzed: Fuzzed, label: str,
                                            mode: schemathesis.GenerationMode) -> None:
    schema = schemathesis.openapi.from_asgi(
        "/openapi.json", fuzzed.app,
        headers={"Authorization": f"Bearer {fuzzed.secrets['admin']}"})
    operation = schema.find_operation_by_label(label)
    assert operation is not None
    owner = next((p for p in LINK_API if operation.path.startswith(p)), "admin")
    headers = {"Authorization": f"Bearer {fuzzed.secrets[owner]}"}

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    def call(case: schemathesis.Case) -> None:
        case.call_and_validate(headers=headers, excluded_checks=excluded)

    excluded = [check for check, exempt in ((positive_data_acceptance, BEYOND_THE_SCHEMA),
                                            (negative_data_rejection, READS_ANY_FILE))
                if label in exempt]

    call()
