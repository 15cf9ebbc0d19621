"""Finding the links of an outbound SMS and rewriting them (helpdesk.links), with the network blocked:
the cases that store nothing must not even try."""
from __future__ import annotations

import re

import pytest

from helpdesk import links, settings

BASE = "https://hooks.acme.example/v1"
SHORT = re.compile(re.escape(BASE) + r"/l/([A-Za-z0-9_-]{8})")


def urls(text: str) -> list[str]:
    return [found.url for found in links.find_links(text)]


def written(text: str) -> list[str]:
    return [text[found.start:found.end] for found in links.find_links(text)]


@pytest.mark.parametrize("text, expected", [
    ("Track it: https://shop.example/track/1001.", "https://shop.example/track/1001"),
    ("https://shop.example/a, https://shop.example/b", "https://shop.example/a"),
    ("(see https://shop.example/faq)", "https://shop.example/faq"),
    ("Order now at https://shop.example/sale!", "https://shop.example/sale"),
    ("Did you see https://shop.example/new?", "https://shop.example/new"),
    ("Link: https://shop.example/x; thanks", "https://shop.example/x"),
    ("Open https://shop.example/x: it is there", "https://shop.example/x"),
    ("'https://shop.example/quoted'", "https://shop.example/quoted"),
    ('"https://shop.example/dq"', "https://shop.example/dq"),
    ("<https://shop.example/angle>", "https://shop.example/angle"),
    ("Wow https://shop.example/x...", "https://shop.example/x"),
    ("[https://shop.example/md]", "https://shop.example/md"),
])
def test_punctuation_after_a_link_is_not_part_of_it(text: str, expected: str) -> None:
    assert urls(text)[0] == expected


def test_parentheses_and_query_strings_the_link_itself_holds_are_kept() -> None:
    assert urls("See (https://en.wikipedia.org/wiki/Foo_(bar)).") == ["https://en.wikipedia.org/wiki/Foo_(bar)"]
    assert urls("Pay at https://shop.example/pay?o=1001&t=a-b_c~d%20e#top now") == [
        "https://shop.example/pay?o=1001&t=a-b_c~d%20e#top"]
    assert urls("https://shop.example/?next=https://other.example/x") == [
        "https://shop.example/?next=https://other.example/x"]  # one link, not two


@pytest.mark.parametrize("text, expected", [
    ("주문 확인: https://shop.example/orders/1001에서 확인하세요.", "https://shop.example/orders/1001"),
    ("배송 조회는 https://shop.example/track을 눌러 주세요", "https://shop.example/track"),
    ("링크https://shop.example/kr입니다", "https://shop.example/kr"),
    ("https://shop.example/sale！지금", "https://shop.example/sale"),
    ("자세히: https://shop.example/a。", "https://shop.example/a"),
    ("(https://shop.example/b)로 오세요", "https://shop.example/b"),
    ("www.shop.example/kr/이벤트", "https://www.shop.example/kr/"),  # raw Hangul ends it, as phones do
    ("https://shop.example/%EC%84%9C%EC%9A%B8에서", "https://shop.example/%EC%84%9C%EC%9A%B8"),
])
def test_korean_text_around_a_link_is_not_part_of_it(text: str, expected: str) -> None:
    assert urls(text) == [expected]


def test_every_link_is_found_in_order_duplicates_included() -> None:
    text = "A https://a.example/1 B http://b.example C https://a.example/1 D www.c.example"
    assert urls(text) == ["https://a.example/1", "http://b.example", "https://a.example/1", "https://www.c.example"]
    assert written(text) == ["https://a.example/1", "http://b.example", "https://a.example/1", "www.c.example"]


def test_www_links_become_absolute_https_urls() -> None:
    assert urls("Visit www.shop.example/sale.") == ["https://www.shop.example/sale"]
    assert urls("Visit WWW.Shop.Example") == ["https://WWW.Shop.Example"]
    assert urls("HTTPS://SHOP.EXAMPLE/Path") == ["https://SHOP.EXAMPLE/Path"]  # the scheme lower, the rest as is


@pytest.mark.parametrize("text", [
    "no links here at all",
    "awww.shop.example is cute",
    "write to help@www.shop.example",
    "https:// alone",
    "www. alone",
    "www.localhost",
    "https://shop.example:99999/x",
    "https://-bad-.example/x",
    "ftp://shop.example/file",
    "shop.example/without-scheme",
    "https://한국.example/idn",
    "http://[not-an-ip]/x",
])
def test_what_is_not_a_link(text: str) -> None:
    assert urls(text) == []


def test_hosts_that_are_addresses_are_links() -> None:
    assert urls("http://127.0.0.1:8000/l/abc and http://[::1]:8080/x") == [
        "http://127.0.0.1:8000/l/abc", "http://[::1]:8080/x"]


def test_a_text_without_links_comes_back_as_is_and_stores_nothing() -> None:
    text = "주문하신 상품이 발송되었습니다. Thanks!"
    assert links.shorten(text, account_id="acme", base_url=BASE, message_id="out-1") == text  # no request: blocked
    assert links.shortened(text, account_id="acme", base_url=BASE, message_id="out-1") == (text, [])


def test_links_already_short_are_left_alone_and_store_nothing() -> None:
    text = f"Here: {BASE}/l/AbCdEfGh, again HTTPS://HOOKS.ACME.EXAMPLE/v1/l/ZzZzZzZz."
    assert links.shorten(text, account_id="acme", base_url=BASE + "/", message_id="out-1") == text
    # a link elsewhere on the same host is not ours
    out, items = links.shortened("https://hooks.acme.example/other", account_id="acme", base_url=BASE,
                                 message_id="out-1")
    assert [i.url for i in items] == ["https://hooks.acme.example/other"]


def test_each_distinct_link_gets_one_code_and_the_text_keeps_everything_else() -> None:
    text = "안녕하세요! 주문: https://shop.example/o/1에서, 반품 (www.shop.example/returns). 다시: https://shop.example/o/1!"
    out, items = links.shortened(text, account_id="acme", base_url=BASE, ticket_id="t-1", message_id="out-1",
                                 source_kind="campaign", source_id="c-9")
    codes = SHORT.findall(out)
    assert len(codes) == 3 and codes[0] == codes[2] != codes[1]
    assert SHORT.sub("<link>", out) == "안녕하세요! 주문: <link>에서, 반품 (<link>). 다시: <link>!"
    assert [(i.pk, i.url) for i in items] == [(f"L#{codes[0]}", "https://shop.example/o/1"),
                                             (f"L#{codes[1]}", "https://www.shop.example/returns")]
    first = items[0]
    assert (first.sk, first.account_id, first.ticket_id, first.message_id, first.source_kind, first.source_id,
            first.clicks) == ("LINK", "acme", "t-1", "out-1", "campaign", "c-9", 0)


def test_codes_follow_the_message_so_a_retried_send_makes_the_same_ones() -> None:
    text = "https://shop.example/a https://shop.example/b"
    once = links.shortened(text, account_id="acme", base_url=BASE, message_id="out-1")[0]
    assert links.shortened(text, account_id="acme", base_url=BASE, message_id="out-1")[0] == once
    assert links.shortened(text, account_id="acme", base_url=BASE, message_id="out-2")[0] != once
    assert links.shortened(text, account_id="other", base_url=BASE, message_id="out-1")[0] != once
    # without a message id every call draws new codes
    assert links.shortened(text, account_id="acme", base_url=BASE)[0] != links.shortened(
        text, account_id="acme", base_url=BASE)[0]


def test_derived_codes_are_eight_url_safe_characters_that_move_with_each_attempt() -> None:
    codes = {links.derived_code("acme", "out-1", "https://shop.example/a", attempt) for attempt in range(50)}
    assert len(codes) == 50
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{8}", code) for code in codes)
    assert links.derived_code("acme", "out-1", "https://shop.example/a") == links.derived_code(
        "acme", "out-1", "https://shop.example/a", 0)


def test_links_too_long_for_a_location_header_stay_as_written() -> None:
    long_url = "https://shop.example/" + "a" * links.MAX_URL_CHARS
    text = f"{long_url} and https://shop.example/short"
    out, items = links.shortened(text, account_id="acme", base_url=BASE, message_id="out-1")
    assert [i.url for i in items] == ["https://shop.example/short"]
    assert out.startswith(long_url + " and " + BASE + "/l/")


def test_at_most_one_requests_worth_of_links_is_shortened() -> None:
    text = " ".join(f"https://shop.example/p/{n}" for n in range(links.MAX_LINKS + 5))
    out, items = links.shortened(text, account_id="acme", base_url=BASE, message_id="out-1")
    assert len(items) == links.MAX_LINKS
    assert out.endswith(" ".join(f"https://shop.example/p/{n}" for n in range(links.MAX_LINKS, links.MAX_LINKS + 5)))


def test_the_base_url_comes_from_link_base_url_else_the_public_webhook_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LINK_BASE_URL", raising=False)
    monkeypatch.delenv("PUBLIC_WEBHOOK_BASE_URL", raising=False)
    monkeypatch.delenv("WEBHOOK_BASE_URL", raising=False)
    with pytest.raises(settings.ConfigurationError, match="LINK_BASE_URL"):
        links.base_url()
    monkeypatch.setenv("PUBLIC_WEBHOOK_BASE_URL", "https://hooks.acme.example/")
    assert links.base_url() == "https://hooks.acme.example"
    monkeypatch.setenv("LINK_BASE_URL", "https://acme.link")
    assert links.base_url() == "https://acme.link"
