"""Which of a customer's orders a message is about (pure): the one it names (`#1042`, "order 1042",
"order no. 1042", "주문번호 1042", "1042번 주문"), else the one whose products it names ("the blue dress
order"), else the most recent.

A number is an order reference only when the text says so: a `#` right before it (and not a door, gate,
apartment or PIN code's: "door code #1042", "apt #1042"), or the word order / 주문 (number, no., 번호)
right before it, or 번 주문 right after it. A bare number never is: a door code, a zip code, a phone
number and a price all look like one. Nor is a number that runs on into a longer figure (415-555-0134,
1,042.50, 10:42), is stuck to a word ("현관#1042"), or is followed by a currency or a unit ("order 300
pieces", "1042원"), nor "order" used as a verb ("I want to order 300").

A reference that matches none of the customer's orders is kept (`Pick.unmatched`): the skill says it
cannot find that order rather than answering about another one.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, Literal, Protocol, TypeVar


class Line(Protocol):
    @property
    def name(self) -> str: ...


class Order(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def lines(self) -> Sequence[Line]: ...


How = Literal["named", "product", "latest", "none"]
OrderT = TypeVar("OrderT", bound=Order)


@dataclass(frozen=True)
class Pick(Generic[OrderT]):
    order: OrderT | None
    how: How
    unmatched: str | None = None  # the order number the customer named, when none of theirs has it


# A figure that goes on (415-555-0134, 1,042.50, 10:42) is no order number; neither is one in a currency
# or a unit.
_END = r"(?!\d)(?![.,:/-]\d)"
_UNIT_AFTER = re.compile(r"\s*(?:원|달러|개|장|벌|켤레|%|\$|€|£|(?:won|krw|usd|eur|dollars?|bucks|pcs|pieces?|units?"
                         r"|items?|times|boxes|packs?|percent|pts|points)\b)")
_HASH = re.compile(rf"(?<![\w#&])#\s?(\d{{3,9}}){_END}")
_ORDER_WORD = re.compile(
    rf"(?<![\w])(?:order|ord)(?:\s*(?:number|num|no|nr|id))?\.?\s*(?:(?:is|was|=|:|#)\s*)*(\d{{3,9}}){_END}")
_ORDER_WORD_KO = re.compile(
    rf"(?:주문|오더)\s*(?:번호|넘버|no\.?)?\s*(?:(?:는|은|이|가|:|#|=)\s*)*(\d{{3,9}}){_END}")
_NUMBER_FIRST_KO = re.compile(r"(?<![\d.,:/-])(\d{3,9})\s*번\s*(?:주문|오더)")

# Words that make the `#` after them some other code: "door code #1042", "apt #1042", "PIN #1234".
_NOT_ORDER = frozenset("""
code codes door gate pin pins password passcode passwort apt apartment unit suite ste room rm floor fl building
bldg box po lot house zip postal postcode buzzer intercom lock keypad access entry ext extension tel phone
mobile cell fax account acct card ticket case ref invoice tracking
""".split())
_NOT_ORDER_KO = ("현관", "공동현관", "비번", "비밀번호", "출입", "호수", "우편번호", "도어", "건물", "아파트", "동호수",
                 "전화", "핸드폰", "휴대폰", "연락처", "카드", "계좌", "송장", "운송장")
# "order" as a verb: "I want to order 300", "we'll order 1042 more".
_VERB_BEFORE = frozenset("to will ll would wanna gonna please pls plz i we they you".split())
_WORDS = re.compile(r"[^\W\d_]+")


def _normal(text: str) -> str:
    """NFKC (full-width digits and ＃ become plain ones), case-folded."""
    return unicodedata.normalize("NFKC", text).casefold()


def _words_before(text: str, at: int, n: int) -> list[str]:
    return _WORDS.findall(text[max(0, at - 60):at])[-n:]


def _blocked(words: list[str]) -> bool:
    return any(w in _NOT_ORDER or w.startswith(_NOT_ORDER_KO) for w in words)


def _unit_follows(text: str, end: int) -> bool:
    return _UNIT_AFTER.match(text, end) is not None


def references(text: str) -> list[str]:
    """The order numbers the text names, in the order it names them (digits only, each once)."""
    normal = _normal(text)
    found: list[tuple[int, str]] = []
    for match in _HASH.finditer(normal):
        if not _blocked(_words_before(normal, match.start(), 2)) and not _unit_follows(normal, match.end()):
            found.append((match.start(), match.group(1)))
    for match in _ORDER_WORD.finditer(normal):
        before = _words_before(normal, match.start(), 1)
        if not (before and before[0] in _VERB_BEFORE) and not _unit_follows(normal, match.end()):
            found.append((match.start(1), match.group(1)))
    for pattern in (_ORDER_WORD_KO, _NUMBER_FIRST_KO):
        for match in pattern.finditer(normal):
            if not _unit_follows(normal, match.end(1)):
                found.append((match.start(1), match.group(1)))
    out: list[str] = []
    for _, number in sorted(found):
        if number not in out:
            out.append(number)
    return out


def order_number(name: str) -> int | None:
    """The number in an order's name (`#1042`, `SHOP-1042`), or None when it has none."""
    digits = re.sub(r"\D", "", name)
    return int(digits) if digits else None


# --- by the products the message names ----------------------------------------------------------------

_LATIN = re.compile(r"[a-z]{3,}")
_HANGUL = re.compile(r"[가-힣]{2,}")
# Words of any shopper's message about any order: they say nothing about which order it is.
_GENERIC = frozenset("""
order orders ordered purchase purchased item items product products thing things stuff package parcel delivery
shipping ship shipped size sizes color colour colors colours change changed changing cancel cancelled canceled
return returned exchange refund swap edit update address quantity qty want wanted need needs please pls plz
the and for with from this that these those one ones two three your our mine can could would should will just
also still yet not but recent last latest new first second other another pack set pair pairs total price
instead actually really thanks thank hello hey how what where when which why who got get buy bought was were
are have has had did does you she her him his they them its all any some more less bigger smaller larger
small medium large there here into onto about today yesterday week tomorrow asap now soon time day days
""".split())
_GENERIC_KO = frozenset("주문 상품 제품 배송 사이즈 색상 컬러 변경 취소 교환 반품 환불 수량 주소".split())


def _stem(word: str) -> str:
    if len(word) > 4 and word.endswith(("sses", "xes", "zes", "ches", "shes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def _latin_words(text: str) -> set[str]:
    return {_stem(w) for w in _LATIN.findall(text)} - _GENERIC


def _product_words(order: Order) -> tuple[set[str], set[str]]:
    names = " ".join(_normal(line.name) for line in order.lines)
    return _latin_words(names), set(_HANGUL.findall(names)) - _GENERIC_KO


def by_products(text: str, orders: Sequence[OrderT]) -> OrderT | None:
    """The one order whose line items share the most product words with the text (at least one), or
    None when none does or two share as many. Korean words are matched inside the text's words, which
    carry their particles ("원피스를")."""
    normal = _normal(text)
    said = _latin_words(normal)
    scores = []
    for order in orders:
        latin, hangul = _product_words(order)
        scores.append(len(said & latin) + sum(1 for word in hangul if word in normal))
    best = max(scores, default=0)
    if best == 0 or scores.count(best) > 1:
        return None
    return orders[scores.index(best)]


def pick(text: str, orders: Sequence[OrderT]) -> Pick[OrderT]:
    """The order the customer means, of theirs (most recent first)."""
    named = references(text)
    for number in named:
        for order in orders:
            if order_number(order.name) == int(number):
                return Pick(order, "named")
    if named:
        return Pick(None, "named", unmatched=named[0])
    if not orders:
        return Pick(None, "none")
    product = by_products(text, orders)
    if product is not None:
        return Pick(product, "product")
    return Pick(orders[0], "latest")
