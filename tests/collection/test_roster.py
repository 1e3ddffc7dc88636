"""Roster import: UTF-8 and French-spreadsheet CSV files, previewed line by line, committed
all or nothing, and re-imported without duplicates (on SQLite and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from scheduler.cli.main import main
from scheduler.collection.roster import import_roster, preview_roster
from scheduler.config.settings import get_settings
from scheduler.domain.errors import InputError
from scheduler.domain.problem import Problem
from scheduler.domain.rpps import make_rpps
from scheduler.models import DoctorRow
from tests.support.cli import errors
from tests.support.collection import load_period

API = "/api/v1"
RPPS_1, RPPS_2, RPPS_3 = make_rpps("2000000001"), make_rpps("2000000002"), make_rpps("2000000003")
ANNE_RPPS = make_rpps("1000000100")  # Dr Anne Martin, already stored by the scenario

UTF8 = (
    "name,email,phone,rpps,organisation\n"
    f"Dr Hélène Lefèvre,helene.lefevre@example.org,06 12 34 56 78,{RPPS_1},cpts-val\n"
    f"Dr Éric Noël,eric.noel@example.org,,{RPPS_2},\n"
)
# What LibreOffice or Excel writes for a French user: Windows-1252, semicolons, French headers.
FRENCH = (
    "Nom;Prénom;Courriel;Téléphone;N° RPPS;Structure\r\n"
    f"Lefèvre;Hélène;Helene.Lefevre@example.org;0612345678;{RPPS_1};CPTS du Val (fictive)\r\n"
    f"Noël;Éric;eric.noel@example.org;;{RPPS_2};\r\n"
).encode("cp1252")


@pytest.fixture
def period(session: Session) -> Problem:
    return load_period(session)


def doctors(session: Session) -> list[tuple[str, str, str | None, str | None, str | None]]:
    session.expire_all()
    rows = session.exec(select(DoctorRow).order_by(DoctorRow.id)).all()  # type: ignore[arg-type]
    return [(d.id, d.name, d.email, d.rpps, d.organisation_id) for d in rows]


def test_utf8_roster_creates_the_doctors(session: Session, period: Problem) -> None:
    result = import_roster(session, UTF8.encode(), organisation_id="sami-94")
    assert (result.encoding, result.delimiter, result.count("create")) == ("utf-8", ",", 2)
    stored = {d[0]: d for d in doctors(session)}
    assert stored["dr-helene-lefevre"] == ("dr-helene-lefevre", "Dr Hélène Lefèvre",
                                          "helene.lefevre@example.org", RPPS_1, "cpts-val")
    assert stored["dr-eric-noel"][4] == "sami-94"  # the default for a line without one


def test_french_spreadsheet_export_is_read_with_its_accents(session: Session,
                                                            period: Problem) -> None:
    result = import_roster(session, FRENCH, organisation_id="sami-94")
    assert (result.encoding, result.delimiter) == ("cp1252", ";")
    names = {d[1] for d in doctors(session)}
    assert {"Hélène Lefèvre", "Éric Noël"} <= names
    helene = next(d for d in doctors(session) if d[3] == RPPS_1)
    assert (helene[2], helene[4]) == ("helene.lefevre@example.org", "cpts-val")


def test_utf8_with_a_byte_order_mark_is_read(session: Session, period: Problem) -> None:
    preview = preview_roster(session, b"\xef\xbb\xbf" + UTF8.encode())
    assert preview.ok and preview.encoding == "utf-8-sig"
    assert preview.lines[0].name == "Dr Hélène Lefèvre"


def test_preview_writes_nothing(session: Session, period: Problem) -> None:
    before = doctors(session)
    preview = preview_roster(session, UTF8.encode())
    assert preview.ok and [line.action for line in preview.lines] == ["create", "create"]
    assert doctors(session) == before


def test_reimport_updates_doctors_matched_by_rpps_or_email_without_duplicates(
    session: Session, period: Problem
) -> None:
    import_roster(session, UTF8.encode())
    count = len(doctors(session))
    changed = (
        "name,email,phone,rpps\n"
        f"Dr Hélène Lefèvre-Dupont,helene.dupont@example.org,0733445566,{RPPS_1}\n"  # by RPPS
        "Dr Éric Noël-Petit,ERIC.NOEL@example.org,,\n"  # by email, any case
        f"Dr Anne Martin,anne.martin@example.org,,{ANNE_RPPS}\n"  # unchanged
    )
    result = import_roster(session, changed.encode())
    assert [line.action for line in result.lines] == ["update", "update", "unchanged"]
    assert len(doctors(session)) == count
    helene = session.get(DoctorRow, "dr-helene-lefevre")
    assert helene is not None
    assert (helene.name, helene.email, helene.phone) == (
        "Dr Hélène Lefèvre-Dupont", "helene.dupont@example.org", "+33733445566")
    eric = session.get(DoctorRow, "dr-eric-noel")
    assert eric is not None and (eric.name, eric.rpps) == ("Dr Éric Noël-Petit", RPPS_2)


def test_missing_column_is_refused_naming_it(session: Session, period: Problem) -> None:
    before = doctors(session)
    with pytest.raises(InputError) as caught:
        import_roster(session, b"name,phone\nDr X,0600000000\n", source="membres.csv")
    assert [(p.source, p.field) for p in caught.value.problems] == [
        ("membres.csv", "email"), ("membres.csv", "rpps")]
    assert doctors(session) == before


def test_bad_rpps_names_the_line_and_the_column(session: Session, period: Problem) -> None:
    bad = UTF8.replace(RPPS_2, RPPS_2[:-1] + str((int(RPPS_2[-1]) + 1) % 10))
    preview = preview_roster(session, bad.encode(), source="membres.csv")
    assert [(p.field, p.message.split(" (")[0]) for p in preview.problems] == [
        ("line 3, rpps", f"invalid RPPS number '{bad.splitlines()[2].split(',')[3]}'")]
    assert preview.lines[0].problems == [] and preview.lines[1].action is None


def test_one_bad_line_rejects_the_whole_import(session: Session, period: Problem) -> None:
    before = doctors(session)
    bad = UTF8 + "Dr Sans Adresse,,,\n"
    with pytest.raises(InputError) as caught:
        import_roster(session, bad.encode())
    assert [p.field for p in caught.value.problems] == ["line 4, email"]
    assert doctors(session) == before


@pytest.mark.parametrize(("line", "field"), [
    (f"Dr Bis,other@example.org,,{RPPS_1}", "line 4, rpps"),
    ("Dr Bis,HELENE.lefevre@example.org,,", "line 4, email"),
])
def test_duplicate_line_is_refused(session: Session, period: Problem, line: str,
                                   field: str) -> None:
    preview = preview_roster(session, (UTF8 + line + "\n").encode())
    assert [p.field for p in preview.problems] == [field]
    assert "duplicate of line 2" in preview.problems[0].message


def test_rpps_and_email_of_two_stored_doctors_conflict(session: Session,
                                                       period: Problem) -> None:
    line = f"name,email,rpps\nDr Mélange,bruno.petit@example.org,{ANNE_RPPS}\n"
    preview = preview_roster(session, line.encode())
    assert [p.field for p in preview.problems] == ["line 2, email"]
    assert "dr-bruno" in preview.problems[0].message


def test_unknown_organisation_is_refused(session: Session, period: Problem) -> None:
    preview = preview_roster(session, UTF8.replace("cpts-val", "cpts-inconnue").encode())
    assert [p.field for p in preview.problems] == ["line 2, organisation"]


def test_new_doctor_ids_never_collide(session: Session, period: Problem) -> None:
    roster = ("name,email,rpps\nDr Anne Martin,autre.anne@example.org,\n"
              "Anne Martin,anne.m3@example.org,\n")
    result = import_roster(session, roster.encode())
    assert [line.doctor_id for line in result.lines] == ["dr-anne-martin", "dr-anne-martin-2"]


# API and CLI -------------------------------------------------------------------------------

def test_api_preview_lists_every_line_with_its_problems(client: TestClient,
                                                        period: Problem) -> None:
    bad = UTF8.replace("helene.lefevre@example.org", "pas-une-adresse")
    response = client.post(f"{API}/roster/preview", files={"file": ("m.csv", bad.encode())},
                           data={"organisation_id": "sami-94"})
    assert response.status_code == 200
    body = response.json()
    assert body["ok"] is False and [line["line"] for line in body["lines"]] == [2, 3]
    assert body["lines"][0]["problems"] == [
        {"field": "line 2, email", "message": "invalid email address 'pas-une-adresse'"}]
    assert body["lines"][1]["action"] == "create"


def test_api_import_commits_then_reimport_changes_nothing(client: TestClient,
                                                           period: Problem) -> None:
    first = client.post(f"{API}/roster/import", files={"file": ("m.csv", FRENCH)})
    assert first.status_code == 200 and first.json()["created"] == 2
    again = client.post(f"{API}/roster/import", files={"file": ("m.csv", FRENCH)})
    assert again.status_code == 200
    assert (again.json()["created"], again.json()["unchanged"]) == (0, 2)


def test_api_import_with_a_bad_line_is_422_and_writes_nothing(
    client: TestClient, session: Session, period: Problem
) -> None:
    before = doctors(session)
    response = client.post(f"{API}/roster/import",
                           files={"file": ("m.csv", (UTF8 + "Dr X,x@example.org,,123\n").encode())})
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "line 4, rpps"
    assert doctors(session) == before


def test_cli_previews_then_commits_a_roster(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    roster = tmp_path / "membres.csv"
    content = ("Nom;Prénom;Courriel;Portable;RPPS\r\n"
               f"Lefèvre;Hélène;h@example.org;0612345678;{RPPS_1}\r\n")
    roster.write_bytes(content.encode("cp1252"))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    get_settings.cache_clear()
    try:
        assert main(["import-roster", str(roster)]) == 0
        assert "would import (use --commit to write): 1 create" in capsys.readouterr().out
        assert main(["import-roster", str(roster), "--commit"]) == 0
        assert "imported: 1 create, 0 update, 0 unchanged (cp1252, ';')" in\
            capsys.readouterr().out
        roster.write_bytes(content.replace("0612345678", "06-12").encode("cp1252"))
        assert main(["import-roster", str(roster), "--commit"]) == 1
        assert errors(capsys.readouterr().err).startswith(
            f"error: {roster}: line 2, phone: invalid phone number '06-12'")
    finally:
        get_settings.cache_clear()


def _roster(lines: int, start: int) -> bytes:
    rows = ["name,email,rpps"] + [
        f"Dr Lin {i},lin.{i}@example.org,{make_rpps(f'{3000000000 + i}')}"
        for i in range(start, start + lines)]
    return "\n".join(rows).encode()


def _statements(session: Session, data: bytes) -> int:
    """The SELECT statements a preview of `data` sends."""
    from sqlalchemy import event

    sent: list[str] = []

    def count(*args: object) -> None:
        sent.append(str(args[2]))

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", count)
    try:
        preview = preview_roster(session, data)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert preview.ok, preview.problems
    return sum(statement.startswith("SELECT") for statement in sent)


def test_roster_import_sends_the_same_statements_however_many_doctors_are_stored(
        session: Session, period: Problem) -> None:
    """Issue 11: an import took 2.2 s with 100 doctors stored and 19.7 s with 20,000 (one query
    per line and field). Its lookups are now bulk: the statements sent depend on neither the
    doctors stored nor, below a chunk, the lines read."""
    few = _statements(session, _roster(200, 0))
    import_roster(session, _roster(3000, 10_000))  # 3,000 more doctors stored
    assert _statements(session, _roster(200, 0)) == few
    assert _statements(session, _roster(400, 0)) == few


def test_a_managers_roster_changes_only_the_doctors_they_reach(session: Session,
                                                               period: Problem) -> None:
    """`within` (a manager's reach) bounds the stored doctors a line may change: a new doctor
    and an unchanged one pass; a change to a doctor outside is refused, in English and French,
    and nothing is written."""
    anne = f"Dr Anne Martin,anne.martin@example.org,,{ANNE_RPPS},\n"
    roster = "name,email,phone,rpps,organisation\n" + anne + \
        f"Dr Éric Noël,eric.noel@example.org,,{RPPS_2},\n"
    assert preview_roster(session, roster.encode(), within=frozenset()).ok
    renamed = roster.replace("Dr Anne Martin", "Dr Anne Martin-Durand").encode()
    before = doctors(session)
    with pytest.raises(InputError) as refused:
        import_roster(session, renamed, within=frozenset({"dr-bruno"}))
    [problem] = refused.value.problems
    assert problem.field == "line 2, email"
    assert "belongs to a doctor of other sites' periods only" in problem.message
    assert problem.french == ("courriel : ce courriel ou ce RPPS est celui d'un médecin d'autres "
                              "sites : seul un administrateur peut modifier sa fiche")
    assert "Anne" not in problem.french and "dr-anne" not in problem.message  # nothing told
    # Nor when the email is one doctor's and the RPPS another's (both outside).
    mixed = f"name,email,rpps\nDr X,anne.martin@example.org,{make_rpps('1000000200')}\n"
    [mixed_problem] = preview_roster(session, mixed.encode(), within=frozenset()).problems
    assert "Anne" not in mixed_problem.french and "Bruno" not in mixed_problem.french
    assert doctors(session) == before
    assert import_roster(session, renamed, within=frozenset({"dr-anne"})).count("update") == 1
