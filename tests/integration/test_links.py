"""Short links against moto: what `shorten` stores (and in how many requests), and what the redirect
Lambda answers and counts. Items are read back with plain boto3, not the product's data access."""
from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import botocore.client
import pytest
from boto3.dynamodb.types import TypeDeserializer

from functions import links as redirect
from helpdesk import links
from helpdesk.store import links as store
from infra.local import samples
from tests.conftest import Aws, Brand

BASE = "https://hooks.acme.example/v1"
SHORT = re.compile(re.escape(BASE) + r"/l/([A-Za-z0-9_-]{8})")


@contextmanager
def aws_calls() -> Iterator[list[str]]:
    """Every AWS request made inside the block, as `service:Operation` (the real call still goes out)."""
    calls: list[str] = []
    original = botocore.client.BaseClient._make_api_call

    def record(client: Any, operation: str, params: dict[str, Any]) -> Any:
        calls.append(f"{client.meta.service_model.service_name}:{operation}")
        return original(client, operation, params)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(botocore.client.BaseClient, "_make_api_call", record)
        yield calls


def stored_item(aws: Aws, code: str) -> dict[str, Any] | None:
    key = {"pk": {"S": f"L#{code}"}, "sk": {"S": "LINK"}}
    item = aws.client("dynamodb").get_item(TableName=aws.table_name, Key=key, ConsistentRead=True).get("Item")
    return {k: TypeDeserializer().deserialize(v) for k, v in item.items()} if item else None


def stored(aws: Aws, code: str) -> dict[str, Any]:
    item = stored_item(aws, code)
    assert item is not None, f"no link stored under {code}"
    return item


def click(code: str | None) -> dict[str, Any]:
    event = samples.gateway("GET", f"/l/{code}", None, {"User-Agent": "Mozilla/5.0 (iPhone)"},
                            path_params={"code": code} if code is not None else None, resource="/l/{code}")
    return redirect.handler(event, None)


def header(response: dict[str, Any], name: str) -> str:
    return {k.lower(): v for k, v in response["headers"].items()}.get(name.lower(), "")


def shorten(brand: Brand, text: str, **kwargs: Any) -> str:
    return links.shorten(text, account_id=brand.account_id, base_url=BASE, **kwargs)


def test_shorten_stores_one_item_per_distinct_link_in_one_request(aws: Aws, brand: Brand) -> None:
    text = "주문: https://shop.example/o/1001에서 확인, 반품 www.shop.example/returns. 다시 https://shop.example/o/1001!"
    with aws_calls() as calls:
        out = shorten(brand, text, ticket_id="t-1", message_id="out-abc", source_kind="campaign", source_id="c-7")
    assert calls == ["dynamodb:TransactWriteItems"]
    codes = SHORT.findall(out)
    assert len(codes) == 3 and codes[0] == codes[2] != codes[1]
    assert SHORT.sub("<link>", out) == "주문: <link>에서 확인, 반품 <link>. 다시 <link>!"
    first, second = stored(aws, codes[0]), stored(aws, codes[1])
    assert {k: first[k] for k in ("type", "account_id", "url", "ticket_id", "message_id", "source_kind", "source_id",
                                  "clicks")} == {
        "type": "link", "account_id": brand.account_id, "url": "https://shop.example/o/1001", "ticket_id": "t-1",
        "message_id": "out-abc", "source_kind": "campaign", "source_id": "c-7", "clicks": 0}
    assert second["url"] == "https://www.shop.example/returns"
    assert first["created_at"].endswith("Z")


@pytest.mark.parametrize("count", [1, 30, links.MAX_LINKS])
def test_one_request_whatever_the_number_of_links(aws: Aws, brand: Brand, count: int) -> None:
    text = "\n".join(f"{n}. https://shop.example/p/{n}" for n in range(count))
    with aws_calls() as calls:
        out = shorten(brand, text, message_id=f"out-many-{count}")
    assert calls == ["dynamodb:TransactWriteItems"]
    codes = SHORT.findall(out)
    assert len(set(codes)) == count
    assert all(stored_item(aws, code) is not None for code in codes[:: max(1, count // 10)])


def test_the_redirect_leads_to_the_exact_original_and_counts_every_click(aws: Aws, brand: Brand) -> None:
    original = "https://shop.example/pay?o=1001&t=a%20b&utm_source=sms#top"
    [code] = SHORT.findall(shorten(brand, f"결제는 {original}에서", message_id="out-pay"))

    with aws_calls() as calls:
        first = click(code)
    assert calls == ["dynamodb:UpdateItem"]  # the count and the URL in one request
    assert first["statusCode"] == 302
    assert header(first, "Location") == original
    assert header(first, "Cache-Control") == "no-store"
    assert stored(aws, code)["clicks"] == 1

    second = click(code)
    assert (second["statusCode"], header(second, "Location")) == (302, original)
    item = stored(aws, code)
    assert item["clicks"] == 2 and item["last_click_at"].endswith("Z")
    assert item["url"] == original and item["message_id"] == "out-pay"


def test_a_www_link_redirects_to_its_https_url(aws: Aws, brand: Brand) -> None:
    [code] = SHORT.findall(shorten(brand, "See www.shop.example/sale (today only)"))
    assert header(click(code), "Location") == "https://www.shop.example/sale"


def test_an_unknown_code_is_404_and_creates_nothing(aws: Aws, brand: Brand) -> None:
    with aws_calls() as calls:
        answer = click("Zz9_-Zz9")
    assert calls == ["dynamodb:UpdateItem"]
    assert answer["statusCode"] == 404
    assert "not found" in answer["body"].lower()
    assert header(answer, "Content-Type").startswith("text/html")
    assert header(answer, "Cache-Control") == "no-store" and header(answer, "Location") == ""
    assert stored_item(aws, "Zz9_-Zz9") is None  # the conditional update did not make an item of it


@pytest.mark.parametrize("code", [None, "", "short", "toolong123", "../../x1", "AbCd%2Fg", "AbC.EfGh", "AbCdEfG#",
                                  "ÀbCdEfGh", "AbCdEfGh\n"])
def test_a_malformed_code_is_404_without_a_request(aws: Aws, brand: Brand, code: str | None) -> None:
    with aws_calls() as calls:
        answer = click(code)
    assert answer["statusCode"] == 404
    assert calls == []


def test_a_retried_send_writes_the_same_codes_again_and_keeps_the_clicks(aws: Aws, brand: Brand) -> None:
    text = "https://shop.example/a 그리고 https://shop.example/b"
    first = shorten(brand, text, ticket_id="t-2", message_id="out-retry")
    [code_a, _] = SHORT.findall(first)
    click(code_a)
    with aws_calls() as calls:
        again = shorten(brand, text, ticket_id="t-2", message_id="out-retry")
    assert again == first
    assert calls == ["dynamodb:TransactWriteItems"]  # refused (all there already): nothing more to do
    assert stored(aws, code_a)["clicks"] == 1


def test_a_code_another_link_holds_is_never_overwritten(aws: Aws, brand: Brand) -> None:
    url = "https://shop.example/mine"
    held = links.derived_code(brand.account_id, "out-clash", url)
    assert store.put_links([store.NewLink(held, "other-account", "https://elsewhere.example/theirs",
                                          "2026-01-01T00:00:00.000Z")]) == []

    out = shorten(brand, f"go {url}", message_id="out-clash")
    [code] = SHORT.findall(out)
    assert code == links.derived_code(brand.account_id, "out-clash", url, attempt=1)
    assert stored(aws, held)["url"] == "https://elsewhere.example/theirs"
    assert header(click(code), "Location") == url
    # a retry of that send finds the clash again and lands on the same second code
    assert shorten(brand, f"go {url}", message_id="out-clash") == out


def test_without_a_message_id_each_call_stores_codes_of_its_own(aws: Aws, brand: Brand) -> None:
    text = "https://shop.example/flow"
    [one] = SHORT.findall(shorten(brand, text, source_kind="flow", source_id="f-1"))
    [two] = SHORT.findall(shorten(brand, text, source_kind="flow", source_id="f-1"))
    assert one != two
    first, second = stored(aws, one), stored(aws, two)
    assert first["source_kind"] == second["source_kind"] == "flow" and "message_id" not in first


def test_a_conflicting_writer_is_waited_out(aws: Aws, brand: Brand) -> None:
    from infra.local import faults

    fault = aws.server.faults.add("DynamoDB_20120810.TransactWriteItems", faults.transaction_conflict(),
                                  when=lambda request: "L#" in str(request))
    try:
        out = shorten(brand, "https://shop.example/busy", message_id="out-busy")
    finally:
        aws.server.faults.clear()
    assert fault.hits == 1
    [code] = SHORT.findall(out)
    assert stored(aws, code)["url"] == "https://shop.example/busy"


def test_the_local_gateway_serves_the_redirect_from_the_merge_template(aws: Aws, brand: Brand) -> None:
    from app import app
    from infra.local.gateway import Gateway

    [code] = SHORT.findall(shorten(brand, "https://shop.example/local", message_id="out-local"))
    status, headers, _ = Gateway(app).handle("GET", f"/l/{code}", {"Host": "127.0.0.1:8000"}, b"")
    assert (status, headers.get("Location"), headers.get("Cache-Control")) == (
        302, "https://shop.example/local", "no-store")
    assert Gateway(app).handle("POST", f"/l/{code}", {"Host": "127.0.0.1:8000"}, b"")[0] == 405
