"""The package shows the architecture: layers import only the layers below them, the engine
and the domain stay pure, and modules stay small enough to read."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.support import REPO

PACKAGE = REPO / "scheduler"

#: Bottom to top. A module may import from its own layer and the layers before it.
LAYERS: tuple[frozenset[str], ...] = (
    frozenset({"__init__", "domain", "config"}),
    frozenset({"engine", "solver"}),
    frozenset({"scenario"}),
    frozenset({"models", "storage"}),
    frozenset({"collection", "access"}),
    frozenset({"publication"}),
    frozenset({"planning"}),
    frozenset({"web", "api"}),
    frozenset({"cli", "__main__"}),
)
#: Imports that would make the engine or the domain do I/O.
IMPURE = ("sqlalchemy", "sqlmodel", "fastapi", "starlette", "httpx", "alembic", "uvicorn",
          "scheduler.models", "scheduler.storage", "scheduler.config")
MAX_LINES = 400


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def part(path: Path) -> str:
    """The top-level part of the package a module belongs to: `engine`, `solver`, ..."""
    relative = path.relative_to(PACKAGE)
    return relative.parts[0].removesuffix(".py")


def layer_of(name: str) -> int:
    for index, parts in enumerate(LAYERS):
        if name in parts:
            return index
    raise AssertionError(f"scheduler/{name} is in no layer: add it to LAYERS")


def imported(path: Path) -> list[str]:
    """Every module name `path` imports (absolute imports only; the code uses no others)."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}: relative import"
            out.append(node.module or "")
            out += [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            out += [a.name for a in node.names]
    return out


def scheduler_part(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "scheduler" or len(parts) < 2:
        return None
    candidate = PACKAGE / parts[1]
    return parts[1] if candidate.is_dir() or candidate.with_suffix(".py").exists() else None


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(REPO)))
def test_module_imports_only_its_layer_and_those_below(path: Path) -> None:
    own = layer_of(part(path))
    upward = sorted({
        module for module in imported(path)
        if (target := scheduler_part(module)) is not None and layer_of(target) > own
    })
    assert upward == [], f"{path.relative_to(REPO)} imports a higher layer: {upward}"


def test_every_part_of_the_package_has_a_layer() -> None:
    for path in modules():
        layer_of(part(path))


@pytest.mark.parametrize("path", [p for p in modules() if part(p) in {"domain", "engine",
                                                                        "solver"}],
                         ids=lambda p: str(p.relative_to(REPO)))
def test_engine_and_domain_do_no_io(path: Path) -> None:
    names = imported(path)
    impure = sorted({n for n in names if n.startswith(IMPURE)})
    assert impure == [], f"{path.relative_to(REPO)} imports {impure}"
    calls = [node for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
             if isinstance(node, ast.Call) and getattr(node.func, "id", "") in {"print", "open"}]
    assert calls == [], f"{path.relative_to(REPO)} prints or opens files"


def test_the_pure_icalendar_renderer_imports_only_the_domain() -> None:
    for path in sorted((PACKAGE / "publication" / "ical").glob("*.py")):
        ours = {m for m in imported(path) if m.startswith("scheduler.")}
        outside = sorted(m for m in ours if not m.startswith(("scheduler.domain",
                                                              "scheduler.publication.ical")))
        assert outside == [], f"{path.relative_to(REPO)} imports {outside}"


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(REPO)))
def test_module_is_short_or_says_why_not(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    lines = text.count("\n")
    if lines > MAX_LINES:
        docstring = ast.get_docstring(ast.parse(text)) or ""
        assert "Long on purpose:" in docstring, (
            f"{path.relative_to(REPO)} has {lines} lines: split it along a seam, or say in its "
            "docstring why not ('Long on purpose: ...')")


def test_benchmarks_are_not_shipped_in_the_package() -> None:
    assert not (PACKAGE / "curtois").exists()
    assert not list(PACKAGE.glob("bench*.py"))
    for path in modules():
        assert not any(m.startswith("benchmarks") for m in imported(path)), path


def test_only_the_three_named_modules_sit_beside_the_packages() -> None:
    loose = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert loose == ["__init__.py", "__main__.py", "api.py", "models.py", "solver.py"]


def test_no_two_classes_share_a_name() -> None:
    # One name, one thing: a table is `SlotRow`, the domain's slot is `Slot`.
    seen: dict[str, list[str]] = {}
    for path in modules():
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.ClassDef):
                seen.setdefault(node.name, []).append(str(path.relative_to(REPO)))
    assert {name: where for name, where in seen.items() if len(where) > 1} == {}
