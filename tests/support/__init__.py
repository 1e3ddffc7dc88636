"""Helpers shared by the tests: factories, app client, published rotas, the rota verifier."""

from pathlib import Path

#: The repository root (scenarios/, benchmarks/, tests/).
REPO = Path(__file__).resolve().parents[2]
#: The test data folder.
DATA = REPO / "tests" / "data"
