"""The scenario format as JSON Schema, published in `scenarios/scenario.schema.json`.

Generated from the pydantic models in `scenario.spec`, so the schema and the parser cannot drift;
a test checks that the committed file equals what this module generates. Editors (e.g. VS Code
with the YAML extension) use it to complete and check scenario files as they are typed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from scheduler.scenario.spec import Scenario

#: A URN: the project has no web address of its own to host the schema under.
SCHEMA_ID = "urn:ed-relief-scheduler:scenario.schema.json"
#: Where the schema is committed, relative to the repository root.
SCHEMA_PATH = Path("scenarios/scenario.schema.json")


def scenario_json_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of a scenario file."""
    schema = Scenario.model_json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "ED relief scenario",
        "description": (
            "One tension period of the ED relief rota: sites, slot templates, gap-model inputs "
            "or explicit seats, organisations, doctors with their availability and caps. "
            "See scenarios/README.md."
        ),
        **{k: v for k, v in schema.items() if k not in ("title", "description")},
    }


def render_schema() -> str:
    """The schema file's exact text: two-space indent, final newline."""
    return json.dumps(scenario_json_schema(), indent=2, ensure_ascii=False) + "\n"


def write_schema(path: Path = SCHEMA_PATH) -> Path:
    """Regenerate the committed schema file (after changing `scenario.spec`)."""
    path.write_text(render_schema(), encoding="utf-8")
    return path
