"""Rosters as spreadsheets export them, each rebuilt from a public report of the same failure
in another product (issue 14), on SQLite and PostgreSQL: an Excel `sep=` first line,
"Unicode text" (UTF-16 with a byte-order mark, tab-separated), title and empty rows above the
header, an organisation written with a typographic apostrophe, phone cells in three formats
(one with its leading 0 dropped). Each imports with its right value, or the message says what
to change; line numbers are the ones the spreadsheet shows."""

from __future__ import annotations

import codecs

import pytest
from sqlmodel import Session, select

from scheduler.collection.roster import import_roster, preview_roster
from scheduler.domain.enums import OrganisationKind
from scheduler.domain.errors import InputError
from scheduler.domain.phone import PhoneError, shown, to_e164
from scheduler.domain.problem import Problem
from scheduler.domain.rpps import make_rpps
from scheduler.models import DoctorRow, Organisation
from tests.support.collection import load_period

RPPS = [make_rpps(f"30000000{i:02d}") for i in range(1, 5)]
HEADER = ["Nom", "Prénom", "Courriel", "Téléphone", "N° RPPS", "Structure"]
LINES = [["Lefèvre", "Hélène", "helene@example.org", "611223344", RPPS[0], "CPTS du Val (fictive)"],
         ["Noël", "Éric", "eric@example.org", "+33 6 11 22 33 45", RPPS[1], ""],
         ["Ndiaye", "Aïssatou", "aissatou@example.org", "06.11.22.33.46", RPPS[2], ""]]


@pytest.fixture
def period(session: Session) -> Problem:
    problem = load_period(session)
    session.add(Organisation(id="cpts-est", name="CPTS de l'Est du Val-de-Marne",
                             kind=OrganisationKind.CPTS))
    session.commit()
    return problem


def _csv(rows: list[list[str]], delimiter: str = ";") -> str:
    return "".join(delimiter.join(row) + "\r\n" for row in rows)


def _stored(session: Session) -> dict[str, tuple[str | None, str | None]]:
    session.expire_all()
    return {d.email or "": (d.phone, d.organisation_id)
            for d in session.exec(select(DoctorRow)) if d.rpps in RPPS}


def test_an_excel_sep_line_then_the_header_in_windows_1252(session: Session,
                                                           period: Problem) -> None:
    data = ("sep=;\r\n" + _csv([HEADER, *LINES])).encode("cp1252")
    done = import_roster(session, data)
    assert (done.encoding, done.delimiter, done.count("create")) == ("cp1252", ";", 3)
    # Excel hides the sep= line: the header is its row 1, the first doctor row 2.
    assert [line.line for line in done.lines] == [2, 3, 4]
    assert _stored(session)["helene@example.org"] == ("+33611223344", "cpts-val")


def test_excel_unicode_text_utf16_with_a_bom_and_tabs(session: Session, period: Problem) -> None:
    data = codecs.BOM_UTF16_LE + _csv([HEADER, *LINES], "\t").encode("utf-16-le")
    done = import_roster(session, data)
    assert (done.encoding, done.delimiter, done.count("create")) == ("utf-16", "\t", 3)
    assert _stored(session)["aissatou@example.org"] == ("+33611223346", None)


def test_title_and_empty_rows_above_the_header(session: Session, period: Problem) -> None:
    rows = [["Membres CPTS de l'Est — mise à jour du 3 novembre 2026", "", "", "", "", ""],
            ["", "", "", "", "", ""], HEADER, *LINES,
            ["Martin", "Paul", "pas-une-adresse", "", RPPS[3], ""]]
    preview = preview_roster(session, _csv(rows).encode("cp1252"))
    assert [line.line for line in preview.lines] == [4, 5, 6, 7]
    [problem] = preview.problems
    assert problem.field == "line 7, email"  # the row the spreadsheet shows
    assert problem.french == "courriel : adresse de courriel non valide « pas-une-adresse »"


@pytest.mark.parametrize("written", ["CPTS de l’Est du Val-de-Marne",
                                     "  cpts de l’est du val-de-marne ",
                                     "CPTS DE L`EST DU VAL DE MARNE", "cpts-est"])
def test_an_organisation_matches_whatever_its_apostrophe_case_accents_or_spaces(
        session: Session, period: Problem, written: str) -> None:
    line = [*LINES[0][:5], written]
    done = import_roster(session, _csv([HEADER, line]).encode("utf-8"))
    assert done.lines[0].organisation_id == "cpts-est"


def test_phones_are_stored_in_e164_and_shown_in_the_french_national_format(
        session: Session, period: Problem) -> None:
    import_roster(session, _csv([HEADER, *LINES]).encode("utf-8"))
    phones = {email: phone for email, (phone, _org) in _stored(session).items()}
    assert phones == {"helene@example.org": "+33611223344",  # the lost leading 0 restored
                      "eric@example.org": "+33611223345",
                      "aissatou@example.org": "+33611223346"}
    assert shown("+33611223344") == "06 11 22 33 44"
    assert shown("+442079460958") == "+44 20 7946 0958"


@pytest.mark.parametrize("cell", ["12345", "06 11 22 33", "abc", "6112233445"])
def test_a_phone_no_numbering_plan_knows_is_named(session: Session, period: Problem,
                                                  cell: str) -> None:
    line = [*LINES[0][:3], cell, *LINES[0][4:]]
    with pytest.raises(InputError) as refused:
        import_roster(session, _csv([HEADER, line]).encode("utf-8"))
    [problem] = refused.value.problems
    assert (problem.field, problem.french) == (
        "line 2, phone", f"téléphone : numéro de téléphone non valide « {cell} »")
    with pytest.raises(PhoneError):
        to_e164(cell)


def test_no_header_says_how_the_file_was_read_and_what_is_expected(session: Session,
                                                                    period: Problem) -> None:
    data = codecs.BOM_UTF16_LE + _csv([["a", "b"], ["1", "2"]], "\t").encode("utf-16-le")
    [problem] = preview_roster(session, data).problems
    assert problem.french.startswith(
        "aucune ligne d'en-tête parmi les 15 premières lignes (fichier lu en UTF-16, "
        "séparateur tabulation) ; colonnes attendues : nom (nom, name, nom complet, ")
    assert "RPPS (RPPS, N° RPPS, N. RPPS, No RPPS, numéro RPPS" in problem.french


def test_a_missing_column_names_the_header_line_found_and_the_spellings(
        session: Session, period: Problem) -> None:
    rows = [["Liste des médecins"], ["Nom", "Mail"], ["Lefèvre", "h@example.org"]]
    [problem] = preview_roster(session, _csv(rows, ",").encode("utf-8")).problems
    assert problem.message == ("missing column 'rpps' (header line 2, read as utf-8, "
                               "comma-separated; accepted spellings: RPPS, N° RPPS, N. RPPS, "
                               "No RPPS, numéro RPPS, numéro de RPPS, identifiant RPPS)")


def test_a_two_level_header_is_read_from_its_lower_line(session: Session,
                                                        period: Problem) -> None:
    rows = [["Médecin", "", "Contact", "", "Structure"], HEADER, *LINES]
    done = preview_roster(session, _csv(rows).encode("utf-8"))
    assert done.ok and [line.line for line in done.lines] == [3, 4, 5]


def test_a_cell_holding_a_line_break_shifts_no_row_number(session: Session,
                                                          period: Problem) -> None:
    quoted = [*LINES[0][:5], '"CPTS du Val (fictive)\nsecteur nord"']
    rows = [HEADER, quoted, [*LINES[1][:2], "pas-une-adresse", *LINES[1][3:]]]
    preview = preview_roster(session, _csv(rows).encode("utf-8"))
    assert [line.line for line in preview.lines] == [2, 3]  # rows, not physical lines
    assert any(p.field == "line 3, email" for p in preview.problems)


@pytest.mark.parametrize(("cell", "e164", "shown_as"), [
    ("0692 12 34 56", "+262692123456", "0692 12 34 56"),  # La Réunion
    ("0690 12 34 56", "+590690123456", "0690 12 34 56"),  # Guadeloupe
    ("0594 12 34 56", "+594594123456", "0594 12 34 56"),  # Guyane
])
def test_overseas_french_numbers_are_read_and_shown_nationally(cell: str, e164: str,
                                                               shown_as: str) -> None:
    assert to_e164(cell) == e164 and shown(e164) == shown_as


def test_a_phone_stored_as_typed_before_is_the_same_number_on_re_import(
        session: Session, period: Problem) -> None:
    import_roster(session, _csv([HEADER, LINES[0]]).encode("utf-8"))
    doctor = session.exec(select(DoctorRow).where(DoctorRow.rpps == RPPS[0])).one()
    doctor.phone = "06 11 22 33 44"  # as phones were stored before E.164
    session.add(doctor)
    session.commit()
    again = preview_roster(session, _csv([HEADER, LINES[0]]).encode("utf-8"))
    assert [line.action for line in again.lines] == ["unchanged"]
