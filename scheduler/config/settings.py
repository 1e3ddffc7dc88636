"""The one configuration object; nothing else reads the environment."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

#: The secret key of a development machine: public, so refused in production.
DEVELOPMENT_SECRET_KEY = "development-only-secret-key-do-not-use-in-production"


def default_data_dir() -> Path:
    """The source checkout this package runs from (the folder with its pyproject.toml), else
    the user's data folder (`$XDG_DATA_HOME/scheduler`, by default ~/.local/share/scheduler)."""
    checkout = Path(__file__).resolve().parents[2]
    if (checkout / "pyproject.toml").is_file():
        return checkout
    home = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(home) / "scheduler"


class Settings(BaseSettings):
    #: A `.env` file is read from the source checkout (or the user's data folder), never from
    #: the working directory: the same settings whatever folder a command runs from.
    model_config = SettingsConfigDict(env_prefix="SCHEDULER_",
                                      env_file=default_data_dir() / ".env", extra="ignore")

    #: Where the service keeps its files wherever a command runs from: the embedded SQLite
    #: database, the published feeds the CLI writes, the CLI's what-if solves. Default: the
    #: source checkout the package runs from, else `$XDG_DATA_HOME/scheduler`.
    data_dir: Path = Field(default_factory=lambda: default_data_dir())
    #: SQLAlchemy URL, from DATABASE_URL (or SCHEDULER_DATABASE_URL); default: the SQLite file
    #: `scheduler.db` in `data_dir`.
    database_url: str = Field(
        "", validation_alias=AliasChoices("SCHEDULER_DATABASE_URL", "DATABASE_URL"),
    )
    host: str = "127.0.0.1"
    port: int = 8000
    #: Public base URL of links sent away (invitations, feeds); default: http://host:port.
    base_url: str = ""
    #: Scenario loaded by `make run` when the database is empty.
    demo_scenario: Path = Path("scenarios/chiv-summer-2026.yaml")
    #: The published feeds `scheduler publish` writes (default `data_dir`/calendars).
    calendars_dir: Path = Path()
    #: Where `scheduler solve` writes a what-if rota (default `data_dir`/solves): never the
    #: published feeds' folder.
    solves_dir: Path = Path()
    #: Shown on every page and feed event: whom a GP calls about the rota.
    ed_contact: str = "Secrétariat des urgences du CHIV — delestage.urgences@example.org"

    #: CP-SAT: parallel workers (default: the machine's cores) and default time limit.
    solver_workers: int = max(1, os.cpu_count() or 1)
    solver_time_limit_seconds: float = 60.0
    solver_seed: int = 0
    #: A running solve job whose worker wrote no heartbeat for this long lost its worker: it
    #: is queued again once, then marked interrupted (heartbeats come every second).
    job_stale_seconds: float = Field(30.0, ge=3, le=3600)

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
    #: At most this many invitation emails a second.
    smtp_messages_per_second: float = Field(10.0, gt=0, le=1000)

    #: "production" refuses to start with the default secret key.
    environment: Literal["development", "production"] = "development"
    #: Signs the anti-CSRF cookies; any long random text (`python -c "import secrets;
    #: print(secrets.token_urlsafe(48))"`). The default only suits a developer's machine.
    secret_key: SecretStr = SecretStr(DEVELOPMENT_SECRET_KEY)
    #: How long a manager stays signed in.
    session_hours: float = Field(12.0, gt=0, le=24 * 30)
    #: Where rate-limit counters live (`limits` storage URI): memory:// for one server
    #: process, redis://127.0.0.1:6379 when several share them.
    rate_limit_storage: str = "memory://"
    #: Sign-in attempts per client address, and unknown secret links per client address.
    sign_in_rate: str = "10/minute"
    unknown_link_rate: str = "30/minute"

    @model_validator(mode="after")
    def _derived(self) -> Settings:
        """Fill what derives from `data_dir`, `host` and `port` when not set."""
        self.data_dir = self.data_dir.expanduser().resolve()
        if not self.database_url:
            self.database_url = f"sqlite:///{self.data_dir / 'scheduler.db'}"
        if self.calendars_dir == Path():
            self.calendars_dir = self.data_dir / "calendars"
        if self.solves_dir == Path():
            self.solves_dir = self.data_dir / "solves"
        if not self.base_url:
            # Bound to every interface, the server is still reached on this machine as
            # 127.0.0.1; a public name is SCHEDULER_BASE_URL's (production requires https).
            host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host
            self.base_url = f"http://{f'[{host}]' if ':' in host else host}:{self.port}"
        return self

    @property
    def https(self) -> bool:
        """Served behind https (cookies then go Secure, and HSTS is sent)."""
        return self.base_url.startswith("https://")

    def check_for_production(self) -> None:
        """Raise RuntimeError when production runs with the development secret key, a short
        one, or links that are not https."""
        if self.environment != "production":
            return
        key = self.secret_key.get_secret_value()
        if key == DEVELOPMENT_SECRET_KEY or len(key) < 32:
            raise RuntimeError("SCHEDULER_SECRET_KEY must be set in production to a random "
                               "value of 32 characters or more; refusing to start")
        if not self.https:
            raise RuntimeError("SCHEDULER_BASE_URL must be an https:// address in production "
                               "(secret links travel in it); refusing to start")


@lru_cache
def get_settings() -> Settings:
    return Settings()
