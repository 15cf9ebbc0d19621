"""Fixtures of the agent-API tests: the moto user pool the API trusts, and the app's test client."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from tests.conftest import Aws
from tests.integration.agents import module_pool, use_pool

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def pool(aws: Aws, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The module's user pool, which the agent API verifies tokens against for this test."""
    yield from use_pool(module_pool(aws), monkeypatch)


@pytest.fixture
def api() -> Iterator[Any]:
    """The Chalice app's HTTP test client (each request runs the route as API Gateway would)."""
    from chalice.test import Client

    from app import app

    with Client(app, project_dir=str(ROOT)) as client:
        yield client.http


@pytest.fixture
def swept(brand: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The sweep walks every account of the table (the module's holds every test's of the module, and
    walking them all costs each test more the later it runs): here only this test's, read as the sweep
    reads it (the accounts index, settings included)."""
    from helpdesk.store import accounts

    every = accounts.all_accounts
    monkeypatch.setattr(accounts, "all_accounts",
                        lambda: [a for a in every() if a.account_id == brand.account_id])
    return brand


@pytest.fixture
def standins(brand: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Twilio and Meta as the local stack serves them (infra/local/standins.py), for this test's
    brand, reached by the real client code through the base-URL settings. Delivery reports off: the
    tests post them to the webhooks themselves, signed, in the order they need. The sender is the
    number the customer wrote to (no Messaging Service)."""
    from infra.local.standins import StandIns
    from tests.integration.agents import TWILIO_TOKEN

    stand = StandIns("http://127.0.0.1:9", whatsapp_phone_numbers=[brand.wa_phone_number_id],
                     instagram_accounts=[brand.instagram_id], account_sid="AC" + "7" * 32,
                     auth_token=TWILIO_TOKEN, whatsapp_token="wa-token", instagram_token="ig-token",
                     mail=False).start()
    stand.control(callbacks=False)
    monkeypatch.delenv("TWILIO_MESSAGING_SERVICE_SID", raising=False)
    for name, value in {**stand.environment(), "TWILIO_ACCOUNT_SID": "AC" + "7" * 32,
                        "WHATSAPP_ACCESS_TOKEN": "wa-token", "INSTAGRAM_ACCESS_TOKEN": "ig-token",
                        "META_GRAPH_VERSION": "v25.0", "LINK_BASE_URL": "https://hd.example",
                        "WEBHOOK_BASE_URL": "https://hooks.example"}.items():
        monkeypatch.setenv(name, value)
    try:
        yield stand
    finally:
        stand.stop()


@pytest.fixture
def commerce(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The demo shop's Shopify Admin GraphQL and Recharge as the local stack serves them
    (infra/local/shopify_standin.py, recharge_standin.py), each on its own server, its data fresh; the
    settings (`SHOPIFY_*`, `RECHARGE_*`) point the real clients at them. `.shopify`, `.recharge`."""
    from types import SimpleNamespace

    from infra.local.recharge_standin import RechargeStandIn
    from infra.local.shopify_standin import ShopifyStandIn

    shopify = ShopifyStandIn().start()
    try:
        recharge = RechargeStandIn().start()
    except BaseException:
        shopify.stop()
        raise
    try:
        for name, value in {**shopify.environment(), **recharge.environment()}.items():
            monkeypatch.setenv(name, value)
        for name in ("SHOPIFY_ACCESS_TOKEN_PARAM", "RECHARGE_ACCESS_TOKEN_PARAM"):
            monkeypatch.delenv(name, raising=False)
        yield SimpleNamespace(shopify=shopify, recharge=recharge)
    finally:
        shopify.stop()
        recharge.stop()


@pytest.fixture
def faults(aws: Aws, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The moto server's fault injector, emptied whatever the test does. botocore's backoff before it
    retries an injected throttle is not waited (`fault.hits` still counts every retry it makes): up to
    seconds per throttled request otherwise, spent on nothing the test judges."""
    import botocore.endpoint

    # botocore.endpoint uses its `time` for this sleep alone; the retry decision and its count are unchanged.
    monkeypatch.setattr(botocore.endpoint, "time", SimpleNamespace(sleep=lambda seconds: None))
    try:
        yield aws.server.faults
    finally:
        aws.server.faults.clear()

