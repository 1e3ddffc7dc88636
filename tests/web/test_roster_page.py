"""Importing a roster from the browser, on SQLite and PostgreSQL: an admin sees what each line
would do (and every problem beside its line, in French) before anything is written; the
confirmed import writes all lines; a bad line, an altered or unreadable upload, or a
manager's line changing a doctor of other sites changes nothing."""

from __future__ import annotations

import base64
import html
import re
import zlib
from collections.abc import Iterator
from datetime import date

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from scheduler.domain.enums import Role
from scheduler.domain.rpps import make_rpps
from scheduler.models import DoctorPeriod, DoctorRow, PeriodSite, SiteRow, TensionPeriod
from scheduler.web.csrf import FIELD
from tests.support.collection import PERIOD, load_period
from tests.support.dump import dump
from tests.support.web import signed_in

PAGE = f"/periodes/{PERIOD}/annuaire"
RPPS_1, RPPS_2 = make_rpps("2000000001"), make_rpps("2000000002")
RPPS_3 = make_rpps("2000000003")
GOOD = (
    "Nom;Prénom;Courriel;Téléphone;N° RPPS;Structure\r\n"
    f"Lefèvre;Hélène;helene.lefevre@example.org;0612345678;{RPPS_1};CPTS du Val (fictive)\r\n"
    f"Noël;Éric;eric.noel@example.org;;{RPPS_2};\r\n"
).encode("cp1252")
BAD = (
    "Nom;Courriel;RPPS\r\n"
    f"Lefèvre;helene.lefevre@example.org;{RPPS_1}\r\n"
    "Noël;pas-une-adresse;12345\r\n"
).encode("cp1252")


@pytest.fixture
def admin(engine: Engine, session: Session) -> Iterator[TestClient]:
    load_period(session)
    yield from signed_in(engine, session, Role.ADMIN)


def _upload(client: TestClient, data: bytes, structure: str = "") -> httpx.Response:
    token = client.cookies.get(FIELD) or ""
    return client.post(f"{PAGE}?csrftoken={token}", data={"structure": structure},
                       files={"fichier": ("membres.csv", data, "text/csv")})


def _confirm(client: TestClient, preview: httpx.Response) -> httpx.Response:
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"',
                             preview.text))
    return client.post(f"{PAGE}/importer", data={**fields, FIELD: client.cookies.get(FIELD) or ""},
                       follow_redirects=False)


def _emails(engine: Engine) -> set[str | None]:
    with Session(engine) as session:
        return {d.email for d in session.exec(select(DoctorRow))}


def test_the_preview_shows_each_line_then_the_confirmed_import_writes_them(
        admin: TestClient, engine: Engine) -> None:
    page = admin.get(f"/periodes/{PERIOD}/invitations")
    assert f'href="{PAGE}"' in page.text  # an admin finds the import from the invitations
    before = dump(engine)
    preview = _upload(admin, GOOD, structure="sami-94")
    text = html.unescape(preview.text)
    assert preview.status_code == 200
    assert "Lu en Windows-1252, séparateur point-virgule : 2 lignes — 2 nouveaux" in text
    assert re.search(r"<th scope=\"row\">2</th><td>Hélène Lefèvre</td>", text)
    assert "Importer ces 2 lignes" in text
    assert dump(engine) == before  # a preview writes nothing
    done = _confirm(admin, preview)
    assert (done.status_code, done.headers["location"]) == (
        303, f"/periodes/{PERIOD}/invitations?importes=2")
    with Session(engine) as session:
        noel = session.exec(select(DoctorRow).where(
            DoctorRow.email == "eric.noel@example.org")).one()
        assert (noel.name, noel.rpps, noel.organisation_id) == ("Éric Noël", RPPS_2, "sami-94")
    invitations = html.unescape(admin.get(done.headers["location"]).text)
    assert "Annuaire importé : 2 lignes" in invitations
    assert "Éric Noël" in invitations  # among the doctors to invite


def test_a_bad_line_is_named_in_french_beside_its_line_and_nothing_is_written(
        admin: TestClient, engine: Engine) -> None:
    before = dump(engine)
    preview = _upload(admin, BAD)
    text = html.unescape(preview.text)
    assert preview.status_code == 422
    assert "L'import est refusé : rien n'a été enregistré" in text
    assert "1 ligne à corriger" in text
    row = text[text.index('<th scope="row">3</th>'):]
    row = row[:row.index("</tr>")]
    assert "courriel : adresse de courriel non valide « pas-une-adresse »" in row
    assert "RPPS : numéro RPPS non valide « 12345 »" in row
    assert "Importer ces" not in text  # no way to import it
    assert dump(engine) == before


def test_a_missing_column_lists_the_accepted_headers(admin: TestClient) -> None:
    text = html.unescape(_upload(admin, b"Nom;Courriel\nLefevre;h@example.org\n").text)
    assert "colonne « RPPS » introuvable dans la ligne d'en-tête 1" in text
    assert "intitulés acceptés : RPPS, N° RPPS, N. RPPS" in text


def test_the_confirmed_file_is_checked_again_in_full(admin: TestClient, engine: Engine) -> None:
    """The file travels back with the confirmation: altered on the way, it is checked as a new
    upload would be, refused with its lines named, and nothing is written."""
    preview = _upload(admin, GOOD, structure="sami-94")
    packed = base64.urlsafe_b64encode(zlib.compress(BAD)).decode()
    sent = re.search(r'name="contenu" value="([^"]*)"', preview.text)
    assert sent is not None
    before = dump(engine)
    answer = _confirm(admin, httpx.Response(200, text=preview.text.replace(sent[1], packed)))
    assert answer.status_code == 422
    assert "adresse de courriel non valide « pas-une-adresse »" in html.unescape(answer.text)
    assert dump(engine) == before


@pytest.mark.parametrize("content", ["", "pas du base64 !", base64.urlsafe_b64encode(
    b"not zlib").decode(), base64.urlsafe_b64encode(zlib.compress(b"x" * 3_000_000)).decode(),
    # Cut short on the way: decompressing it gives part of the file, never imported.
    base64.urlsafe_b64encode(zlib.compress(GOOD * 50)[:200]).decode()])
def test_an_unreadable_or_oversized_confirmation_is_refused(admin: TestClient, engine: Engine,
                                                            content: str) -> None:
    before = dump(engine)
    answer = admin.post(f"{PAGE}/importer", data={"contenu": content,
                                                  FIELD: admin.cookies.get(FIELD) or ""})
    assert answer.status_code == 422
    assert "chargez le fichier à nouveau" in html.unescape(answer.text)
    assert dump(engine) == before


def test_an_upload_without_a_file_or_empty_names_the_field(admin: TestClient) -> None:
    answer = _upload(admin, b"")
    assert answer.status_code == 422
    assert "Fichier : choisissez un fichier CSV non vide." in html.unescape(answer.text)


@pytest.fixture
def manager(engine: Engine, session: Session) -> Iterator[TestClient]:
    load_period(session)
    yield from signed_in(engine, session, Role.MANAGER)


def test_a_manager_imports_new_doctors_but_not_changes_to_others(
        manager: TestClient, engine: Engine) -> None:
    """A manager's lines may create doctors and change those of their sites' periods only."""
    client = manager
    assert f'href="{PAGE}"' in client.get(f"/periodes/{PERIOD}/invitations").text
    with Session(engine) as other:  # Dr Zoé takes part in another site's period only
        other.add(SiteRow(id="autre", name="Autre site"))
        other.add(TensionPeriod(id="ailleurs", name="Ailleurs", start=date(2027, 1, 4),
                                end=date(2027, 1, 10)))
        other.add(DoctorRow(id="dr-zoe", name="Dr Zoé Roux", email="zoe@example.org",
                            rpps=RPPS_3))
        other.commit()
        other.add(PeriodSite(period_id="ailleurs", site_id="autre", position=0))
        other.add(DoctorPeriod(doctor_id="dr-zoe", period_id="ailleurs", position=0))
        other.commit()
    renamed = GOOD + f"Roux-Martin;Zoé;zoe@example.org;;{RPPS_3};\r\n".encode("cp1252")
    before = dump(engine)
    answer = _upload(client, renamed)
    assert answer.status_code == 422
    assert "celui d'un médecin d'autres sites" in html.unescape(answer.text)
    assert dump(engine) == before
    done = _confirm(client, _upload(client, GOOD))
    assert done.status_code == 303
    assert "eric.noel@example.org" in _emails(engine)
