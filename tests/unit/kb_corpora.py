"""Two brands' policy articles, written as brands write them (an English apparel shop, a Korean one),
for the knowledge-base search tests (unit) and the API's (integration)."""
from __future__ import annotations

from helpdesk.kb_search import Article

ENGLISH = [
    Article("en-edit", "Changing or editing your order", """
Need to change something? You can edit your order within 1 hour of placing it.

Within that hour you can change the size, colour or quantity of an item, swap an item for another of the same \
price, update your shipping address, or remove an item. Go to My Account > Orders, open the order and tap \
"Edit order". Changes are saved straight away and you'll get an updated confirmation email.

After the first hour your order is sent to our warehouse for packing and can no longer be edited. If something \
isn't right when it arrives, you can exchange it for free (see Returns & Exchanges).
""", tags=("orders", "order edits")),
    Article("en-cancel", "Order cancellation policy", """
You can cancel your order free of charge within 2 hours of placing it.

To cancel, open the order in My Account > Orders and tap "Cancel order", or reply to your confirmation email \
with the word CANCEL. We refund the full amount, including shipping, to your original payment method; refunds \
usually show within 5–7 business days.

Once the 2 hours have passed we start picking your items and the order cannot be cancelled. You can still \
return it for a refund once it arrives, under our Returns policy.

Pre-orders can be cancelled at any time before they ship. Personalised items cannot be cancelled once \
production has started.
""", tags=("orders", "cancellations")),
    Article("en-returns", "Returns & exchanges", """
We accept returns and exchanges within 30 days of delivery. Items must be unworn and unwashed, with the \
original tags attached.

Start a return from the Returns Centre with your order number and email. Exchanges for a different size or \
colour are free; for returns we deduct a $5 return shipping fee from your refund unless the item is faulty.

Final-sale, personalised items and gift cards cannot be returned.
""", tags=("returns", "exchanges")),
    Article("en-refunds", "When will I get my refund?", """
We process refunds within 3 business days of your return reaching our warehouse. You'll get an email when \
the refund is issued.

Your bank may take a further 5–10 business days to show the money back on your statement. Refunds go to the \
original payment method; orders paid with a gift card are refunded as store credit.
""", tags=("refunds", "payments")),
    Article("en-shipping", "Shipping times and costs", """
Orders placed before 2pm (ET) on a business day ship the same day. Standard shipping takes 3–5 business days \
and costs $6, free on orders over $75. Express shipping takes 1–2 business days and costs $15.

We ship from our warehouse in New Jersey with UPS and USPS.
""", tags=("shipping", "delivery")),
    Article("en-international", "International shipping, duties and customs", """
We ship to Canada, the UK, the EU, Australia, Japan and South Korea. International delivery takes 7–14 \
business days.

Duties and import taxes are not included in our prices and are collected by the carrier on delivery. Customs \
delays are outside our control.
""", tags=("shipping", "international")),
    Article("en-tracking", "Tracking your package", """
As soon as your parcel leaves our warehouse we email you a tracking link and a tracking number. You can also \
find them in My Account > Orders.

Tracking can take up to 24 hours to update after the shipping label is created. If your tracking hasn't moved \
for 5 days, contact us and we'll open a trace with the carrier.
""", tags=("shipping", "tracking")),
    Article("en-personalised", "Personalised and monogrammed items", """
Monogrammed and personalised pieces are made to order just for you, so they are final.

Personalised items cannot be edited, cancelled, returned or exchanged once production has started (usually \
within 1 hour of ordering). Please check spelling carefully before you pay. If your item arrives damaged or \
with our mistake in the engraving, we'll remake it free of charge.
""", tags=("personalisation", "monogram")),
    Article("en-preorders", "Pre-orders", """
Pre-order items show an expected ship date on the product page. We charge you when you place the pre-order.

You can cancel a pre-order at any time before it ships for a full refund. If a pre-order contains in-stock \
items too, the whole order ships together when the pre-order item arrives.
""", tags=("pre-order",)),
    Article("en-final-sale", "Final sale items", """
Items marked Final Sale, and anything bought at 50% off or more, cannot be returned or exchanged. This is shown \
on the product page and in your cart.

Final sale items that arrive faulty are still covered: contact us within 7 days.
""", tags=("sale", "returns")),
    Article("en-giftcards", "Gift cards", """
Digital gift cards are emailed instantly and never expire. Gift cards cannot be refunded or exchanged for \
cash. Lost your code? Contact us with the purchaser's email and we will resend it.
""", tags=("gift cards",)),
    Article("en-size-guide", "Size guide and fit", """
Our tops run true to size; jeans run small, so we suggest going one size up. Measure your chest, waist and hips \
and compare them with the size chart on each product page.

Between sizes? Choose the larger one: exchanges for a different size are free.
""", tags=("sizing", "fit")),
    Article("en-damaged", "Damaged, faulty or wrong items", """
Sorry if your order arrived damaged or you received the wrong item. Contact us within 7 days of delivery with \
your order number and a photo of the problem.

We send a replacement at no cost, or a full refund if the item is out of stock. You don't need to send the \
faulty item back unless we ask.
""", tags=("damaged", "wrong item")),
    Article("en-subscription", "Sock club subscription: skip, pause or cancel", """
Your Sock Club box renews on the 1st of every month. You can skip a month, pause for up to 3 months or cancel \
your subscription from My Account > Subscriptions any time before the 25th of the month before.

Changes made after the 25th apply from the following box.
""", tags=("subscription",)),
    Article("en-payments", "Payment methods", """
We accept Visa, Mastercard, American Express, PayPal, Apple Pay, Shop Pay and Klarna. Klarna lets you pay in \
4 interest-free instalments.

Your card is charged when you place your order; pre-orders are charged at checkout too.
""", tags=("payments",)),
    Article("en-add-items", "Adding items to an order you've placed", """
We're not able to add items to an existing order once it has been placed. Please place a new order for the \
extra items; orders placed within 1 hour of each other to the same address are packed together and you only \
pay shipping once.
""", tags=("orders",)),
]

KOREAN = [
    Article("ko-edit", "주문 변경 안내", """
주문 후 1시간 이내에는 주문을 직접 변경하실 수 있습니다.

마이페이지 > 주문내역에서 해당 주문을 선택한 뒤 '주문 변경'을 눌러 사이즈, 색상, 수량, 배송지를 변경해 주세요. \
같은 가격의 다른 상품으로 교체하거나 일부 상품을 삭제하는 것도 가능합니다.

1시간이 지나면 출고 준비가 시작되어 주문 변경이 어렵습니다. 상품을 받으신 후 교환으로 진행해 주세요.
""", locale="ko", tags=("주문", "주문변경")),
    Article("ko-cancel", "주문 취소 정책", """
결제 완료 후 2시간 이내에는 마이페이지 > 주문내역에서 직접 주문을 취소하실 수 있으며, 배송비를 포함한 전액이 \
환불됩니다. 카드 결제는 카드사 사정에 따라 영업일 기준 3~5일 후 취소 내역이 확인됩니다.

출고 준비가 시작된 주문은 취소가 불가하며, 상품을 받으신 뒤 반품으로 진행해 주세요.

예약 주문 상품은 출고 전까지 언제든 취소할 수 있습니다. 각인 등 맞춤 제작 상품은 제작이 시작되면 취소할 수 없습니다.
""", locale="ko", tags=("주문", "취소")),
    Article("ko-returns", "반품 및 교환 안내", """
상품 수령 후 7일 이내에 반품 및 교환 신청이 가능합니다. 착용하거나 세탁한 상품, 택을 제거한 상품은 반품·교환이 \
불가합니다.

마이페이지 > 주문내역에서 '반품/교환 신청'을 눌러 주시면 택배 기사님이 방문 수거합니다. 단순 변심에 의한 반품은 \
왕복 배송비 6,000원이 환불 금액에서 차감되며, 사이즈 교환은 1회 무료입니다.
""", locale="ko", tags=("반품", "교환")),
    Article("ko-refunds", "환불 처리 기간", """
반품 상품이 물류센터에 도착하여 검수가 완료되면 영업일 기준 3일 이내에 환불해 드립니다.

신용카드 결제는 카드사에 따라 환불 확인까지 3~7일이 더 걸릴 수 있으며, 무통장 입금 주문은 등록하신 환불 계좌로 \
입금됩니다. 적립금으로 결제한 금액은 적립금으로 돌려드립니다.
""", locale="ko", tags=("환불",)),
    Article("ko-shipping", "배송 기간 및 배송비", """
평일 오후 2시 이전 결제 완료 건은 당일 출고되며, 출고 후 1~3일 이내에 받아보실 수 있습니다.

배송비는 3,000원이며 5만원 이상 구매 시 무료배송입니다. 주말과 공휴일에는 출고되지 않습니다.
""", locale="ko", tags=("배송",)),
    Article("ko-islands", "제주 및 도서산간 지역 배송", """
제주도와 도서산간 지역은 기본 배송비 외에 추가 배송비 3,000원(제주) 또는 5,000원(도서산간)이 부과됩니다.

기상 상황에 따라 배송이 2~3일 더 걸릴 수 있습니다.
""", locale="ko", tags=("배송", "제주")),
    Article("ko-tracking", "배송 조회 방법", """
상품이 출고되면 카카오 알림톡과 문자로 송장번호를 보내드립니다. 마이페이지 > 주문내역에서도 배송 조회가 가능합니다.

송장 등록 후 택배사 시스템에 반영되기까지 최대 하루가 걸릴 수 있습니다.
""", locale="ko", tags=("배송조회", "송장")),
    Article("ko-custom", "맞춤 제작(각인) 상품 안내", """
이니셜 각인 등 맞춤 제작 상품은 고객님만을 위해 제작되는 상품입니다.

제작이 시작된 후(주문 후 약 1시간)에는 주문 변경, 취소, 반품, 교환이 모두 불가합니다. 결제 전에 각인 문구를 꼭 \
확인해 주세요. 당사 실수로 각인이 잘못된 경우 무료로 다시 제작해 드립니다.
""", locale="ko", tags=("맞춤제작", "각인")),
    Article("ko-preorder", "예약 주문 상품 안내", """
예약 주문 상품은 상품 페이지에 입고 예정일이 표시되며, 주문 시 결제가 진행됩니다.

예약 주문 상품과 일반 상품을 함께 주문하시면 예약 상품 입고 후 한꺼번에 출고됩니다. 출고 전까지는 언제든 취소하실 수 \
있습니다.
""", locale="ko", tags=("예약주문",)),
    Article("ko-sale", "세일 상품 교환 및 반품", """
30% 이상 할인된 세일 상품과 아울렛 상품은 교환 및 반품이 불가합니다. 상품 페이지와 장바구니에 표시되어 있으니 구매 \
전에 확인해 주세요.

단, 불량이나 오배송의 경우 세일 상품도 수령 후 7일 이내 교환 또는 환불해 드립니다.
""", locale="ko", tags=("세일",)),
    Article("ko-defects", "불량 및 오배송 상품", """
받으신 상품이 불량이거나 주문하신 것과 다른 상품이 왔다면 수령 후 7일 이내에 사진과 함께 1:1 문의로 알려 주세요.

확인 후 새 상품으로 재발송해 드리며, 재고가 없는 경우 전액 환불해 드립니다. 이때 왕복 배송비는 저희가 부담합니다.
""", locale="ko", tags=("불량", "오배송")),
    Article("ko-size", "사이즈 가이드", """
모든 상품은 실측 사이즈를 상품 페이지에 표기하고 있습니다. 평소 입으시는 옷을 바닥에 펼쳐 놓고 가슴단면, 총장을 재어 \
비교해 보세요.

니트류는 세탁 후 약간 줄어들 수 있으니 한 치수 크게 선택하시는 것을 추천드립니다.
""", locale="ko", tags=("사이즈",)),
    Article("ko-points", "적립금 및 쿠폰 사용", """
구매 확정 시 결제 금액의 2%가 적립금으로 지급되며, 5,000원 이상부터 현금처럼 사용하실 수 있습니다.

쿠폰은 주문서 작성 단계에서 적용할 수 있으며, 한 주문에 한 장만 사용 가능합니다. 적립금의 유효기간은 1년입니다.
""", locale="ko", tags=("적립금", "쿠폰")),
    Article("ko-payments", "결제 수단 안내", """
신용카드, 카카오페이, 네이버페이, 토스페이, 무통장 입금으로 결제하실 수 있습니다.

무통장 입금은 주문 후 24시간 이내에 입금하지 않으시면 자동으로 주문이 취소됩니다.
""", locale="ko", tags=("결제",)),
    Article("ko-add-items", "기존 주문에 상품 추가", """
결제가 완료된 주문에는 상품을 추가할 수 없습니다. 추가로 원하시는 상품은 새로 주문해 주세요.

같은 날 같은 배송지로 주문하신 건은 합포장되며, 추가 주문 건의 배송비는 고객센터로 문의해 주시면 환불해 드립니다.
""", locale="ko", tags=("주문",)),
    Article("ko-account", "회원 탈퇴 및 개인정보", """
회원 탈퇴는 마이페이지 > 회원정보 수정 하단의 '회원 탈퇴'에서 하실 수 있습니다. 탈퇴 시 적립금과 쿠폰은 모두 \
소멸되며 복구되지 않습니다.

진행 중인 주문이 있으면 탈퇴가 제한됩니다.
""", locale="ko", tags=("회원",)),
]
