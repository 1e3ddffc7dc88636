"""Adjusting a rota by hand: pin an assignment, remove one, or put another doctor on a slot,
chosen among those who could take it, every rule checked before anything is saved.

A change never edits a stored version: it saves the adjusted rota as the period's next draft
version, and records the decision (a pin for the doctor put on, a removal for the one taken
off) so that generating again keeps it (`Problem.pinned`, `Problem.removed`). Candidates for
a slot are the doctors who offered it, are not on it, were not removed from it, and with whom
the rota keeps every hard rule (`RotaChecker`); they are ranked by fairness impact (the
doctor's hours before the shift: the fewer, the better the balance, as the sum of squared
loads grows by the shift's hours × (2 × hours + shift's hours)), then by preference.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, delete, func, select

from scheduler.domain.problem import Answer, Problem
from scheduler.domain.rota import Assignment, Rota, SolveStatus
from scheduler.domain.rules import Rule
from scheduler.engine.checker import RotaChecker
from scheduler.engine.explain import explain_uncovered
from scheduler.models import PinRow, RemovalRow, RotaVersion
from scheduler.storage.problems import problem_from_db
from scheduler.storage.rotas import rota_versions, save_rota, version_rota

#: Manager decisions the check leaves to themselves (they change with the adjustment).
DECISIONS = (Rule.PINNED, Rule.REMOVED)


class AdjustRefused(Exception):
    """The change would break a rule or names what is not there; the message is French."""


@dataclass(frozen=True)
class Candidate:
    doctor_id: str
    name: str
    preferred: bool
    hours: float
    shifts: int


def _pairs(session: Session, version: RotaVersion) -> list[tuple[str, str]]:
    return [(a.doctor, a.slot) for a in version_rota(session, version)]


def candidates(session: Session, version: RotaVersion, slot_id: str,
               replacing: str | None = None) -> list[Candidate]:
    """Who could take a seat of `slot_id` in `version` (in place of `replacing`, if given),
    best first. Raises `AdjustRefused` for a slot the period does not have."""
    problem = problem_from_db(session, version.period_id)
    if slot_id not in problem.slot_by_id():
        raise AdjustRefused("Ce créneau n'existe pas dans la période.")
    pairs = _pairs(session, version)
    if replacing is not None and (replacing, slot_id) not in pairs:
        raise AdjustRefused("Ce médecin n'est pas sur ce créneau dans cette version.")
    base = [p for p in pairs if p != (replacing, slot_id)]
    on_slot = {d for d, s in base if s == slot_id}
    removed = {(r.doctor, r.slot) for r in problem.removed}
    checker = RotaChecker(problem)
    already = _breaks(checker, base)
    loads = checker.loads(base)
    out = []
    for doctor in problem.doctors:
        if slot_id not in doctor.availability or doctor.id in on_slot or \
                (doctor.id, slot_id) in removed or doctor.id == replacing:
            continue
        if _breaks(checker, [*base, (doctor.id, slot_id)]) - already:
            continue  # a break the change would add (those already there are not its own)
        out.append(Candidate(
            doctor_id=doctor.id, name=doctor.name or doctor.id,
            preferred=doctor.availability[slot_id] is Answer.PREFERRED,
            hours=round(loads[doctor.id], 1),
            shifts=sum(1 for d, _s in base if d == doctor.id)))
    return sorted(out, key=lambda c: (c.hours, not c.preferred, c.name))


def _breaks(checker: RotaChecker, pairs: list[tuple[str, str]]
            ) -> set[tuple[Rule, str | None, tuple[str, ...]]]:
    """The hard-rule breaks of `pairs`, as (rule, doctor, slots)."""
    return {(v.rule, v.doctor, tuple(v.slots)) for v in checker.violations(pairs)
            if v.rule not in DECISIONS}


def latest_only(session: Session, version: RotaVersion) -> None:
    """Raise `AdjustRefused` unless `version` is the period's latest: decisions taken on an
    older version could contradict those taken since (a pin on a doctor removed later)."""
    latest = rota_versions(session, version.period_id)[-1]
    if latest.id != version.id:
        raise AdjustRefused(f"Seule la dernière version (version {latest.number}) se modifie : "
                            "les décisions prises depuis cette version-ci la contrediraient.")


def assign(session: Session, version: RotaVersion, slot_id: str, doctor_id: str,
           replacing: str | None = None) -> RotaVersion:
    """Put `doctor_id` on `slot_id` (in place of `replacing`), pin it, remove the replaced
    doctor from the slot, and save the result as the next draft version (flushed; the
    caller commits). Raises `AdjustRefused` when the doctor is not a candidate or the
    version is not the latest."""
    latest_only(session, version)
    allowed = {c.doctor_id for c in candidates(session, version, slot_id, replacing)}
    if doctor_id not in allowed:
        raise AdjustRefused("Ce médecin ne peut pas prendre ce créneau : il ne l'a pas "
                            "proposé, y est déjà, en a été retiré, ou une règle l'en empêche.")
    pairs = [p for p in _pairs(session, version) if p != (replacing, slot_id)]
    _decide(session, version.period_id, PinRow, doctor_id, slot_id)
    if replacing is not None:
        _undecide(session, version.period_id, PinRow, replacing, slot_id)
        _decide(session, version.period_id, RemovalRow, replacing, slot_id)
    who = f"à la place de {replacing}" if replacing else "sur une place vide"
    return _save(session, version, [*pairs, (doctor_id, slot_id)],
                 f"{doctor_id} mis sur {slot_id} {who} (version {version.number} modifiée)")


def remove(session: Session, version: RotaVersion, slot_id: str, doctor_id: str
           ) -> RotaVersion:
    """Take `doctor_id` off `slot_id`, record the removal (generating again will not put
    them back), and save the next draft version (flushed)."""
    latest_only(session, version)
    pairs = _pairs(session, version)
    if (doctor_id, slot_id) not in pairs:
        raise AdjustRefused("Ce médecin n'est pas sur ce créneau dans cette version.")
    checker = RotaChecker(problem_from_db(session, version.period_id))
    kept = [p for p in pairs if p != (doctor_id, slot_id)]
    if _breaks(checker, kept) - _breaks(checker, pairs):
        raise AdjustRefused("Retirer ce médecin enfreindrait une règle (un minimum d'heures, "
                            "de jours consécutifs ou de repos qu'il doit garder).")
    _undecide(session, version.period_id, PinRow, doctor_id, slot_id)
    _decide(session, version.period_id, RemovalRow, doctor_id, slot_id)
    return _save(session, version, kept,
                 f"{doctor_id} retiré de {slot_id} (version {version.number} modifiée)")


def pin(session: Session, version: RotaVersion, slot_id: str, doctor_id: str) -> None:
    """Keep `doctor_id` on `slot_id` whenever the period is generated again (flushed)."""
    latest_only(session, version)
    if (doctor_id, slot_id) not in _pairs(session, version):
        raise AdjustRefused("Ce médecin n'est pas sur ce créneau dans cette version.")
    if session.get(RemovalRow, (version.period_id, doctor_id, slot_id)) is not None:
        raise AdjustRefused("Ce médecin a été retiré de ce créneau : on ne peut plus l'y "
                            "épingler.")
    _decide(session, version.period_id, PinRow, doctor_id, slot_id)


def pinned(session: Session, period_id: str) -> set[tuple[str, str]]:
    return {(d, s) for d, s in session.exec(select(PinRow.doctor_id, PinRow.slot_id)
                                            .where(PinRow.period_id == period_id))}


def _decide(session: Session, period_id: str, table: type[PinRow] | type[RemovalRow],
            doctor_id: str, slot_id: str) -> None:
    if session.get(table, (period_id, doctor_id, slot_id)) is not None:
        return
    last = session.exec(select(func.max(table.position))
                        .where(table.period_id == period_id)).one()
    session.add(table(period_id=period_id, doctor_id=doctor_id, slot_id=slot_id,
                      position=(last if last is not None else -1) + 1))
    session.flush()


def _undecide(session: Session, period_id: str, table: type[PinRow] | type[RemovalRow],
              doctor_id: str, slot_id: str) -> None:
    session.exec(delete(table).where(
        col(table.period_id) == period_id, col(table.doctor_id) == doctor_id,
        col(table.slot_id) == slot_id))


def _save(session: Session, version: RotaVersion, pairs: list[tuple[str, str]],
          note: str) -> RotaVersion:
    problem: Problem = problem_from_db(session, version.period_id)
    pins = {(p.doctor, p.slot) for p in problem.pinned}
    assignments = [Assignment(doctor=d, slot=s, pinned=(d, s) in pins)
                   for d, s in sorted(set(pairs), key=lambda p: (p[1], p[0]))]
    rota = Rota(status=SolveStatus.FEASIBLE, assignments=assignments,
                uncovered=explain_uncovered(problem, assignments), seed=version.seed)
    return save_rota(session, version.period_id, problem, rota, note=note)
