"""The copied Curtois files are the published bytes, and the best-known table is complete."""

from __future__ import annotations

import hashlib
import json
import re

import pytest

from tests.support import REPO

BENCHMARK = REPO / "benchmarks" / "curtois"
INSTANCES = [f"Instance{n}" for n in range(1, 25)]


def sha256_table() -> dict[str, tuple[int, str]]:
    """File name → (bytes, SHA-256) from the README's Files table."""
    readme = (BENCHMARK / "README.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| (Instance\d+\.txt) \| (\d+) \| ([0-9a-f]{64}) \|$", readme, re.M)
    return {name: (int(size), digest) for name, size, digest in rows}


def test_readme_lists_a_checksum_for_each_of_the_24_instances() -> None:
    assert sorted(sha256_table()) == sorted(f"{name}.txt" for name in INSTANCES)


@pytest.mark.parametrize("name", INSTANCES)
def test_copied_instance_is_byte_identical_to_the_published_checksum(name: str) -> None:
    data = (BENCHMARK / "instances" / f"{name}.txt").read_bytes()
    size, digest = sha256_table()[f"{name}.txt"]
    assert (len(data), hashlib.sha256(data).hexdigest()) == (size, digest)


def test_gitattributes_stops_git_from_converting_the_crlf_line_endings() -> None:
    lines = (BENCHMARK / "instances" / ".gitattributes").read_text(encoding="utf-8").splitlines()
    assert "*.txt binary" in lines


def test_best_known_table_has_every_instance_with_its_bound_not_above_its_best() -> None:
    table = json.loads((BENCHMARK / "best_known.json").read_text(encoding="utf-8"))
    assert list(table) == INSTANCES
    for entry in table.values():
        assert set(entry) == {"lower_bound", "best_known", "notes"}
        assert 0 < entry["lower_bound"] <= entry["best_known"]


def test_best_known_table_uses_the_website_values_for_the_disputed_instances() -> None:
    table = json.loads((BENCHMARK / "best_known.json").read_text(encoding="utf-8"))
    assert [(table[n]["lower_bound"], table[n]["best_known"]) for n in
            ("Instance1", "Instance15", "Instance22", "Instance23", "Instance24")] == [
        (607, 607), (3829, 3831), (30240, 30244), (16990, 17428), (26571, 42463)]
    assert all("[W]" in table[n]["notes"] and "[Y]" in table[n]["notes"]
               for n in ("Instance15", "Instance22", "Instance23", "Instance24"))
