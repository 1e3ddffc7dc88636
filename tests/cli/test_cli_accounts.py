"""`scheduler create-manager` and `scheduler api-token`, through the real command line."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, update

from scheduler.access.accounts import authenticate
from scheduler.models import Account
from scheduler.storage.db import make_engine
from tests.support.cli import TINY, errors, run
from tests.support.web import app_client

PASSWORD = "a password long enough\n"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    environment = {"DATABASE_URL": f"sqlite:///{tmp_path / 'accounts.db'}"}
    assert run("load", TINY, env=environment).returncode == 0
    return environment


def test_the_first_admin_is_created_with_a_password_from_stdin(env: dict[str, str]) -> None:
    done = run("create-manager", "Admin@Example.org", "--admin", "--password-stdin", env=env,
               stdin=PASSWORD)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "created admin admin@example.org (every site)"
    again = run("create-manager", "admin@example.org", "--admin", "--password-stdin", env=env,
                stdin=PASSWORD)
    assert again.returncode == 1 and "email: an account already uses" in again.stderr


@pytest.mark.parametrize(("args", "stdin", "message"), [
    (("--site", "chiv"), "short\n", "password: at least 12 characters"),
    (("--site", "nowhere"), PASSWORD, "site: unknown sites: nowhere"),
    ((), PASSWORD, "--site: a manager needs at least one site"),
])
def test_create_manager_refuses_bad_input_in_one_line(env: dict[str, str], args: tuple[str, ...],
                                                      stdin: str, message: str) -> None:
    done = run("create-manager", "cadre@chiv.test", *args, "--password-stdin", env=env,
               stdin=stdin)
    assert done.returncode == 1
    assert errors(done.stderr).startswith("error: ") and message in done.stderr
    assert "Traceback" not in done.stderr


def test_make_run_s_demo_admin_is_created_once_with_a_generated_password(
    env: dict[str, str]
) -> None:
    first = run("create-manager", "admin@example.org", "--admin", "--generate-password",
                "--if-no-account", env=env)
    assert first.returncode == 0 and "password (shown once): " in first.stdout
    second = run("create-manager", "admin@example.org", "--admin", "--generate-password",
                 "--if-no-account", env=env)
    assert "already has an account; nothing created" in second.stdout


def test_an_api_token_opens_the_api_until_it_is_revoked(env: dict[str, str], tmp_path: Path,
                                                       engine_for: Engine) -> None:
    run("create-manager", "cadre@chiv.test", "--site", "chiv", "--password-stdin", env=env,
        stdin=PASSWORD)
    issued = run("api-token", "cadre@chiv.test", "--expires", "30", "--label", "exports",
                 env=env)
    assert issued.returncode == 0, issued.stderr
    token = issued.stdout.strip()
    with app_client(engine_for) as client:
        assert _periods(client, token).status_code == 200
        listed = run("api-token", "cadre@chiv.test", "--list", env=env).stdout
        token_id, state = listed.split("\t")[:2]
        assert state == "live" and "exports" in listed and "last used 20" in listed
        assert token not in listed
        revoked = run("api-token", "cadre@chiv.test", "--revoke", token_id, env=env)
        assert revoked.returncode == 0
        assert _periods(client, token).status_code == 401
        assert "\trevoked\t" in run("api-token", "cadre@chiv.test", "--list", env=env).stdout


def test_api_token_for_an_unknown_account_is_one_error_line(env: dict[str, str]) -> None:
    done = run("api-token", "ghost@chiv.test", env=env)
    assert done.returncode == 1 and errors(done.stderr).strip() == "error: email: no account " \
        "'ghost@chiv.test'"


def _periods(client: TestClient, token: str) -> httpx.Response:
    return client.get("/api/v1/periods", headers={"Authorization": f"Bearer {token}"})


@pytest.fixture
def engine_for(env: dict[str, str]) -> Iterator[Engine]:
    engine = make_engine(env["DATABASE_URL"])
    yield engine
    engine.dispose()


def test_an_admin_unlocks_an_account_and_resets_its_password(env: dict[str, str],
                                                             engine_for: Engine) -> None:
    run("create-manager", "cadre@chiv.test", "--site", "chiv", "--password-stdin", env=env,
        stdin=PASSWORD)
    with Session(engine_for) as session:
        session.exec(update(Account).values(locked_until=datetime(2099, 1, 1, tzinfo=UTC),
                                            failed_sign_ins=3))
        session.commit()
    assert run("unlock-account", "cadre@chiv.test", env=env).stdout.strip() == \
        "unlocked cadre@chiv.test"
    reset = run("reset-password", "cadre@chiv.test", "--generate-password", env=env)
    assert reset.returncode == 0 and "session(s) ended" in reset.stdout
    new = reset.stdout.split("password (shown once): ", 1)[1].strip()
    with Session(engine_for) as session:
        account = authenticate(session, "cadre@chiv.test", new, now=datetime.now(UTC))
        assert account.locked_until is None and account.failed_sign_ins == 0
    assert run("unlock-account", "ghost@chiv.test", env=env).returncode == 1
