"""The service's enumerations, shared by every layer (tables store their values as strings).

Solver-facing ones live with their types: `Answer` in `problem`, `SolveStatus` in `rota`,
`Rule` in `rules`.
"""

from __future__ import annotations

from enum import StrEnum


class PeriodStatus(StrEnum):
    """Where a tension period stands."""

    DRAFT = "draft"
    COLLECTING = "collecting"  # invitations out, GPs answering
    PLANNING = "planning"  # deadline passed, manager builds the rota
    PUBLISHED = "published"
    CLOSED = "closed"


class OrganisationKind(StrEnum):
    """The channel a GP is recruited through (DESIGN, "The situation")."""

    CPTS = "cpts"
    SAMI = "sami"
    URPS = "urps"
    ORDRE = "ordre"
    INDEPENDENT = "independent"


class RotaStatus(StrEnum):
    """A stored rota version: a draft, the published one, or a formerly published one."""

    DRAFT = "draft"
    PUBLISHED = "published"
    SUPERSEDED = "superseded"  # was published; a newer version replaced it


class TokenKind(StrEnum):
    """What a secret link opens."""

    DOCTOR_LINK = "doctor_link"  # the GP's personal link: form, shifts, subscription page
    FEED = "feed"  # the doctor's private calendar feed URL
    COORDINATOR = "coordinator"  # a CPTS/SAMI coordinator's read-only view
    SITE_FEED = "site_feed"  # a site feed set to private
    MANAGER_FEED = "manager_feed"  # the all-shifts feed
    SESSION = "session"  # a signed-in manager's browser session (the cookie)
    API_TOKEN = "api_token"  # a manager's bearer token for scripts


class Role(StrEnum):
    """What a signed-in account may do (DESIGN, "Who may see and do what")."""

    ADMIN = "admin"  # accounts and sites, and everything a manager may, on every site
    MANAGER = "manager"  # the periods of the sites they are given


class FeedKind(StrEnum):
    """Which calendar feed."""

    DOCTOR = "doctor"  # one doctor's shifts, every period
    SITE = "site"  # every shift at one site, naming the doctors
    ALL = "all"  # every shift of every site, for the managers


class Audience(StrEnum):
    """Who reads a feed event: the doctor themself, or a team viewing many doctors' shifts."""

    DOCTOR = "doctor"  # summary names the site
    TEAM = "team"  # site and all-shifts feeds: summary also names the doctor


class JobState(StrEnum):
    """Where a solve job stands (`scheduler.planning`)."""

    QUEUED = "queued"  # waiting for a worker
    RUNNING = "running"  # a worker is solving; its heartbeat is fresh
    DONE = "done"  # a draft rota version was saved
    FAILED = "failed"  # no rota: contradictory hard data, or an error (see `error`)
    CANCELLED = "cancelled"  # stopped by a manager; nothing kept
    INTERRUPTED = "interrupted"  # its worker died on the last attempt; nothing kept

    @property
    def finished(self) -> bool:
        return self not in (JobState.QUEUED, JobState.RUNNING)
