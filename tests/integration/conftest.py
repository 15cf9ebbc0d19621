"""Fixtures of the agent-API tests: the moto user pool the API trusts, and the app's test client."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Aws
from tests.integration.agents import session_pool, use_pool

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def pool(aws: Aws, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The session's user pool, which the agent API verifies tokens against for this test."""
    yield from use_pool(session_pool(aws), monkeypatch)


@pytest.fixture
def api() -> Iterator[Any]:
    """The Chalice app's HTTP test client (each request runs the route as API Gateway would)."""
    from chalice.test import Client

    from app import app

    with Client(app, project_dir=str(ROOT)) as client:
        yield client.http


@pytest.fixture
def swept(brand: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The sweep walks every account of the table (the session's holds every test's, and walking
    them all takes minutes late in a run): here only this test's, read as the sweep reads it (the
    accounts index, settings included)."""
    from helpdesk.store import accounts

    every = accounts.all_accounts
    monkeypatch.setattr(accounts, "all_accounts",
                        lambda: [a for a in every() if a.account_id == brand.account_id])
    return brand
