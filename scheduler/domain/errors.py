"""Bad-input errors: every problem names the source, the field and what is wrong."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pydantic import ValidationError


@dataclass(frozen=True)
class InputProblem:
    """One thing wrong with an input: where (source, field) and what."""

    source: str
    field: str
    message: str
    #: The same problem in French, for the pages, where the producer words it ("" if not).
    french: str = ""

    def __str__(self) -> str:
        where = f"{self.source}: " if self.source else ""
        field = f"{self.field}: " if self.field else ""
        return f"{where}{field}{self.message}"


class InputError(Exception):
    """Raised with every problem found in one input; nothing has been written."""

    def __init__(self, problems: Sequence[InputProblem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    @classmethod
    def single(cls, source: str, field: str, message: str) -> InputError:
        return cls([InputProblem(source, field, message)])

    @classmethod
    def from_validation(cls, exc: ValidationError, source: str) -> InputError:
        """One problem per pydantic error, with its field path and a plain message."""
        return cls([
            InputProblem(source, field_path(e["loc"]), e["msg"].removeprefix("Value error, "))
            for e in exc.errors()
        ])

    def with_source(self, source: str) -> InputError:
        """The same problems, attributed to `source` (e.g. the file they came from)."""
        return InputError([InputProblem(source, p.field, p.message) for p in self.problems])


def field_path(loc: Iterable[str | int]) -> str:
    """Render a pydantic location as `doctors[3].rpps`."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out
