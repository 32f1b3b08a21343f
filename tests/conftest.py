"""Shared fixtures: the demo world, named personas, API tokens."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from tongban.catalog.actions import catalog_import
from tongban.catalog.catalog_file import parse_catalog_text
from tongban.catalog.store import clear_spec_cache
from tongban.core import workcalendar
from tongban.core.calendar_actions import seed_calendar_from_chinesecalendar
from tongban.core.demo import DEMO_PASSWORD, load_demo_data
from tongban.core.models import User
from tongban.stats.fold import fold_pending

from .stats_helpers import Scenario, import_stats_catalog, run_day_one, run_day_two

MINI_CATALOG = Path(__file__).parent / "data" / "mini-catalog.yaml"


@pytest.fixture(autouse=True)
def _fresh_spec_cache() -> Iterator[None]:
    """Published specs are cached per process; a rolled-back test must not leak into the next."""
    clear_spec_cache()
    yield
    clear_spec_cache()


@pytest.fixture
def mini_catalog(demo: None) -> None:
    """tests/data/mini-catalog.yaml imported and published (the newborn-mini bundle)."""
    catalog_import(parse_catalog_text(MINI_CATALOG.read_text(encoding="utf-8")), actor=None)


@pytest.fixture
def demo(db: None) -> None:
    """The demo regions, departments, accounts and the chinesecalendar-seeded calendar."""
    load_demo_data()


@pytest.fixture
def calendar(db: None) -> Iterator[None]:
    """2024–2026 from chinesecalendar; 2027 left uncovered on purpose (not yet published)."""
    workcalendar.invalidate_calendar_cache()
    seed_calendar_from_chinesecalendar(range(2024, 2027))
    yield
    workcalendar.invalidate_calendar_cache()


@pytest.fixture
def persona(demo: None) -> Callable[[str], User]:
    """Look up a demo account by username, e.g. persona("clerk")."""

    def get(username: str) -> User:
        return User.objects.get(username=username)

    return get


@pytest.fixture
def logged_in(client: Client, demo: None) -> Callable[[str], Client]:
    """A Django test client logged in through the real login form."""

    def login(username: str) -> Client:
        response = client.post(
            "/accounts/login/", {"username": username, "password": DEMO_PASSWORD}
        )
        assert response.status_code == 302, "demo login failed"
        return client

    return login


def post_json(client: Client, path: str, payload: Any, **headers: str) -> Any:
    return client.post(
        path, data=json.dumps(payload), content_type="application/json", headers=headers
    )


@pytest.fixture
def api_token(client: Client, demo: None) -> Callable[[str], str]:
    def issue(username: str) -> str:
        response = post_json(
            client, "/api/v1/auth/token", {"username": username, "password": DEMO_PASSWORD}
        )
        assert response.status_code == 200, response.content
        token: str = response.json()["token"]
        return token

    return issue


@pytest.fixture
def two_days(calendar: None, demo: None, persona: Callable[[str], User]) -> Scenario:
    """Two days at the service centre (tests/stats_helpers.py), folded into the rollups."""
    import_stats_catalog()
    scenario = Scenario()
    run_day_one(persona, scenario)
    run_day_two(persona, scenario)
    fold_pending()
    return scenario
