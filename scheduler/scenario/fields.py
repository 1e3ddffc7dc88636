"""Schema fields on the service's one boundary (`domain.text`, `domain.bounds`): every schema
reading input (scenario files, problem.json, the JSON API) takes its text, dates and bounded
numbers from here, so a limit never lives in two places."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from pydantic import AfterValidator, Field, StringConstraints

from scheduler.domain.bounds import Bound
from scheduler.domain.text import (
    ADDRESS_MAX,
    COMMENT_MAX,
    CONTACT_MAX,
    EMAIL_MAX,
    ID_MAX,
    LABEL_MAX,
    NAME_MAX,
    PHONE_MAX,
    check_date,
    check_text,
)

#: What `check_text` accepts, as a JSON-schema pattern: no NUL (a lone surrogate is not
#: Unicode text, so no JSON-schema string holds one). The check itself stays `check_text`.
TEXT_PATTERN = "^[^\\x00]*$"
#: A date of EARLIEST..LATEST (2000-2099), as a JSON-schema pattern.
DAY_PATTERN = "^20[0-9]{2}-[0-9]{2}-[0-9]{2}$"
_Valid = (AfterValidator(check_text), Field(json_schema_extra={"pattern": TEXT_PATTERN}))


#: An id: of a period, site, slot, doctor, organisation... (never empty).
Id = Annotated[str, StringConstraints(min_length=1, max_length=ID_MAX), *_Valid]
Name = Annotated[str, StringConstraints(max_length=NAME_MAX), *_Valid]
Label = Annotated[str, StringConstraints(max_length=LABEL_MAX), *_Valid]
Address = Annotated[str, StringConstraints(max_length=ADDRESS_MAX), *_Valid]
Contact = Annotated[str, StringConstraints(max_length=CONTACT_MAX), *_Valid]
Email = Annotated[str, StringConstraints(max_length=EMAIL_MAX), *_Valid]
Phone = Annotated[str, StringConstraints(max_length=PHONE_MAX), *_Valid]
Comment = Annotated[str, StringConstraints(max_length=COMMENT_MAX), *_Valid]
#: A date the service plans with (EARLIEST..LATEST).
Day = Annotated[date, AfterValidator(check_date),
                Field(json_schema_extra={"pattern": DAY_PATTERN})]


def within(bound: Bound, default: Any = ...) -> Any:
    """A pydantic `Field` accepting `bound.low` to `bound.high` (default: required)."""
    return Field(default, ge=bound.low, le=bound.high)
