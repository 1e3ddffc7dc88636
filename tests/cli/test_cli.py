"""End to end through the real command line (a subprocess per command)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tests.support.cli import BAD, CHIV, TINY, errors, run
from tests.support.rota_verifier import verify


def test_validate_accepts_a_good_scenario() -> None:
    result = run("validate", TINY)
    assert result.returncode == 0, result.stderr
    assert "ok" in result.stdout


@pytest.mark.parametrize(
    ("name", "field"),
    [
        ("missing-field.yaml", "doctors[0].name: Field required"),
        ("invalid-rpps.yaml", "doctors[0].rpps: invalid RPPS"),
        ("invalid-yaml.yaml", "invalid YAML"),
        ("invalid-json.json", "invalid JSON"),
        ("unknown-doctor.yaml", "pinned[0].doctor: unknown doctor"),
        ("unknown-site.yaml", "slot_templates[0].site: unknown site"),
        ("wrong-type.yaml", "slot_templates[0].seats"),
        ("end-before-start.yaml", "period: end 2026-07-01 is before start"),
        ("duplicate-slots.yaml", "duplicate"),
    ],
)
def test_validate_names_file_and_field_and_exits_1(name: str, field: str) -> None:
    result = run("validate", BAD / name)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert lines and all(line.startswith(f"error: {BAD / name}: ") for line in lines)
    assert field in result.stderr
    assert "Traceback" not in result.stderr


def test_solve_writes_problem_rota_and_feeds(tmp_path: Path) -> None:
    result = run("solve", TINY, "--out", tmp_path, "--time-limit", "5", "--quiet")
    assert result.returncode == 0, result.stderr
    problem = json.loads((tmp_path / "problem.json").read_text())
    rota = json.loads((tmp_path / "rota.json").read_text())
    assert verify(problem, rota) == []
    feeds = sorted(p.name for p in tmp_path.glob("*.ics"))
    assert feeds == sorted([f"doctor-{d['id']}.ics" for d in problem["doctors"]]
                           + [f"site-{s['id']}.ics" for s in problem["sites"]])
    assert "seats:" in result.stdout and "covered" in result.stdout


def test_solving_the_exported_problem_gives_the_same_rota(tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    assert run("solve", TINY, "--out", first, "--time-limit", "5", "--seed", "7").returncode == 0
    result = run("solve", first / "problem.json", "--out", second, "--time-limit", "5",
                 "--seed", "7")
    assert result.returncode == 0, result.stderr
    a = json.loads((first / "rota.json").read_text())
    b = json.loads((second / "rota.json").read_text())
    assert a["assignments"] == b["assignments"] and a["uncovered"] == b["uncovered"]
    assert (first / "problem.json").read_text() == (second / "problem.json").read_text()
    # Tiny's stages are all proven, nothing the clock could cut: the solve says so.
    assert b["metrics"]["reproducible"] is True
    assert "the same input and seed 7 give this rota again" in result.stdout
    fast = run("solve", TINY, "--out", tmp_path / "fast", "--time-limit", "5", "--fast")
    assert fast.returncode == 0, fast.stderr
    assert "not reproducible: several workers" in fast.stdout


@pytest.mark.parametrize("name", ["missing-field.yaml", "invalid-rpps.yaml", "invalid-json.json"])
def test_solve_on_bad_input_writes_nothing(tmp_path: Path, name: str) -> None:
    out = tmp_path / "out"
    result = run("solve", BAD / name, "--out", out)
    assert result.returncode == 1
    assert not out.exists()


def test_solve_on_a_bad_problem_json_names_the_field(tmp_path: Path) -> None:
    assert run("solve", TINY, "--out", tmp_path, "--time-limit", "2", "--quiet").returncode == 0
    original = (tmp_path / "problem.json").read_text()
    for breakage, message in [
        (lambda p: p["slots"][0].update(end=p["slots"][0]["start"]), "slots[0]: end "),
        (lambda p: p["slots"][1].pop("seats"), "slots[1].seats: Field required"),
        (lambda p: p["doctors"][0]["availability"].update({"nowhere": "available"}),
         "doctors[0].availability.nowhere: unknown slot"),
        (lambda p: p["pinned"].append({"doctor": "ghost", "slot": p["slots"][0]["id"]}),
         "pinned[0].doctor: unknown doctor 'ghost'"),
    ]:
        problem = json.loads(original)
        breakage(problem)
        bad = tmp_path / "bad-problem.json"
        bad.write_text(json.dumps(problem))
        out = tmp_path / "out"
        result = run("solve", bad, "--out", out)
        assert result.returncode == 1 and not out.exists()
        assert f"error: {bad}: {message}" in result.stderr


def test_check_reports_a_tampered_rota(tmp_path: Path) -> None:
    assert run("solve", TINY, "--out", tmp_path, "--time-limit", "2", "--quiet").returncode == 0
    assert run("check", tmp_path / "problem.json", tmp_path / "rota.json").returncode == 0
    rota = json.loads((tmp_path / "rota.json").read_text())
    problem = json.loads((tmp_path / "problem.json").read_text())
    stranger = next(d["id"] for d in problem["doctors"]
                    if rota["assignments"][0]["slot"] not in d["availability"])
    rota["assignments"][0]["doctor"] = stranger
    (tmp_path / "rota.json").write_text(json.dumps(rota))
    result = run("check", tmp_path / "problem.json", tmp_path / "rota.json")
    assert result.returncode == 1
    assert "violation: availability" in result.stdout


@pytest.mark.slow
def test_chiv_summer_scenario_solves_within_a_minute_and_respects_every_rule(
    tmp_path: Path,
) -> None:
    result = run("solve", CHIV, "--out", tmp_path, "--time-limit", "20", "--quiet")
    assert result.returncode == 0, result.stderr
    problem = json.loads((tmp_path / "problem.json").read_text())
    rota = json.loads((tmp_path / "rota.json").read_text())
    assert verify(problem, rota) == []
    metrics = rota["metrics"]
    assert metrics["solve_seconds"] < 60
    assert metrics["justified_complaints"] == 0 and metrics["hard_rule_violations"] == 0
    assert 0 < metrics["uncovered_seats"] < metrics["total_seats"] / 4
    assert all(u["reason"] for u in rota["uncovered"])


def test_load_is_idempotent_and_a_conflict_changes_nothing(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}"}
    first = run("load", TINY, env=env)
    assert first.returncode == 0, first.stderr
    again = run("load", TINY, env=env)
    assert again.returncode == 0 and "nothing changed" in again.stdout
    changed = tmp_path / "tiny-changed.yaml"
    changed.write_text(TINY.read_text().replace("Dr Anne Alpha", "Dr Anne Autre"))
    conflict = run("load", changed, env=env)
    assert conflict.returncode == 1
    assert errors(conflict.stderr).startswith(f"error: {changed}: ")


def test_plan_saves_a_draft_rota_of_a_loaded_period_once(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'plan.db'}"}
    assert run("load", TINY, env=env).returncode == 0
    first = run("plan", "tiny-2026-07", "--time-limit", "3", "--if-none", env=env)
    assert first.returncode == 0, first.stderr
    assert "saved draft rota version 1" in first.stdout
    again = run("plan", "tiny-2026-07", "--if-none", env=env)
    assert "already has a rota" in again.stdout
    unknown = run("plan", "no-such-period", env=env)
    assert unknown.returncode == 1 and "period: unknown period" in unknown.stderr


def test_replan_after_a_withdrawal_reports_the_changes(tmp_path: Path) -> None:
    first = tmp_path / "first"
    assert run("solve", TINY, "--out", first, "--time-limit", "3", "--quiet").returncode == 0
    rota = json.loads((first / "rota.json").read_text())
    gone = rota["assignments"][0]["doctor"]
    theirs = {a["slot"] for a in rota["assignments"] if a["doctor"] == gone}
    problem = json.loads((first / "problem.json").read_text())
    for d in problem["doctors"]:
        if d["id"] == gone:
            d["availability"] = {}
    changed = tmp_path / "withdrawn.json"
    changed.write_text(json.dumps(problem))
    second = tmp_path / "second"
    result = run("solve", changed, "--published", first / "rota.json", "--out", second,
                 "--time-limit", "3", "--quiet")
    assert result.returncode == 0, result.stderr
    replanned = json.loads((second / "rota.json").read_text())
    changes = replanned["changes"]
    touched = {m["slot"] for m in changes["moved"]} | {r["slot"] for r in changes["removed"]}
    assert touched == theirs
    assert changes["kept"] == len(rota["assignments"]) - len(theirs)
    assert verify(json.loads((second / "problem.json").read_text()), replanned) == []


def test_database_path_end_to_end_replans_from_the_published_rota(tmp_path: Path) -> None:
    """load → plan → publish → a doctor withdraws → plan → export → check, as a manager would."""
    database = tmp_path / "managed.db"
    env = {"DATABASE_URL": f"sqlite:///{database}"}
    period = "tiny-2026-07"
    for args in (("load", TINY), ("plan", period, "--time-limit", "3"),
                 ("publish", period, "--out", tmp_path / "feeds"),
                 ("export", period, "--out", tmp_path / "published")):
        result = run(*args, env=env)
        assert result.returncode == 0, (args, result.stderr)
    published = json.loads((tmp_path / "published" / "rota.json").read_text())["assignments"]
    gone = published[0]["doctor"]
    with sqlite3.connect(database) as connection:
        connection.execute("DELETE FROM availability WHERE doctor_id = ?", (gone,))
    replanned = run("plan", period, "--time-limit", "3", env=env)
    assert replanned.returncode == 0, replanned.stderr
    theirs = sum(a["doctor"] == gone for a in published)
    assert f"{len(published) - theirs} kept" in replanned.stdout
    out = tmp_path / "replanned"
    assert run("export", period, "--out", out, env=env).returncode == 0
    checked = run("check", out / "problem.json", out / "rota.json")
    assert checked.returncode == 0, checked.stdout
    assert "0 hard-rule violations" in checked.stdout
