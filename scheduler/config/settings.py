"""The one configuration object; nothing else reads the environment."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SCHEDULER_", env_file=".env", extra="ignore")

    #: SQLAlchemy URL, from DATABASE_URL (or SCHEDULER_DATABASE_URL).
    database_url: str = Field(
        "sqlite:///./scheduler.db",
        validation_alias=AliasChoices("SCHEDULER_DATABASE_URL", "DATABASE_URL"),
    )
    host: str = "127.0.0.1"
    port: int = 8000
    #: Public base URL used in links (invitations, feeds).
    base_url: str = "http://127.0.0.1:8000"
    #: Scenario loaded by `make run` when the database is empty.
    demo_scenario: Path = Path("scenarios/chiv-summer-2026.yaml")
    calendars_dir: Path = Path("calendars")
    #: Shown on every page and feed event: whom a GP calls about the rota.
    ed_contact: str = "Secrétariat des urgences du CHIV — delestage.urgences@example.org"

    #: CP-SAT: parallel workers (default: the machine's cores) and default time limit.
    solver_workers: int = max(1, os.cpu_count() or 1)
    solver_time_limit_seconds: float = 60.0
    solver_seed: int = 0

    #: Site feeds: readable by anyone who knows the site id (True), or only through a secret
    #: site-feed link (False: they name the doctors on duty).
    site_feeds_public: bool = False

    #: Outgoing mail (invitations). No host: emails are not sent, links are shown instead.
    smtp_host: str | None = None
    smtp_port: int = 25
    #: "none" (plain, e.g. a local relay), "starttls" (usually port 587) or "ssl" (port 465).
    smtp_security: Literal["none", "starttls", "ssl"] = "none"
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_sender: str = "Urgences du CHIV <delestage.urgences@example.org>"
    smtp_timeout_seconds: float = 20.0


@lru_cache
def get_settings() -> Settings:
    return Settings()
