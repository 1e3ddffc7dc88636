"""Secret links to the site and all-shifts feeds, issued from the command line and served."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from scheduler.api import create_app
from scheduler.config.settings import Settings
from tests.support.cli import TINY, run


def test_all_shifts_and_site_feed_links_serve_the_published_rota(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'feeds.db'}"
    env = {"DATABASE_URL": url}
    for args in (("load", TINY), ("plan", "tiny-2026-07", "--time-limit", "2"),
                 ("publish", "tiny-2026-07", "--out", tmp_path / "out")):
        result = run(*args, env=env)
        assert result.returncode == 0, result.stderr
    everything = run("feed-link", "--all", env=env)
    site = run("feed-link", "--site", "chiv", env=env)
    assert everything.returncode == 0 and site.returncode == 0, everything.stderr + site.stderr
    all_url, all_webcal = everything.stdout.split()
    assert all_webcal.startswith("webcal://") and all_url.endswith(".ics")
    with TestClient(create_app(Settings(database_url=url))) as client:
        for link in (all_url, site.stdout.split()[0]):
            response = client.get("/" + link.split("/", 3)[3])
            assert response.status_code == 200
            assert response.headers["content-type"] == "text/calendar; charset=utf-8"
            assert b"BEGIN:VEVENT" in response.content
        rotated = run("feed-link", "--all", "--rotate", env=env)
        assert client.get("/" + all_url.split("/", 3)[3]).status_code == 404
        assert client.get("/" + rotated.stdout.split()[0].split("/", 3)[3]).status_code == 200


def test_feed_link_for_an_unknown_site_names_the_field(tmp_path: Path) -> None:
    result = run("feed-link", "--site", "nowhere",
                 env={"DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"})
    assert result.returncode == 1 and "site: unknown site 'nowhere'" in result.stderr
