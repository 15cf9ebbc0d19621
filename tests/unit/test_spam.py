"""Spam heuristics for SMS, WhatsApp, Instagram and web chat (SPEC §3): real shoppers never land in Spam."""
from __future__ import annotations

import re
import time
import unicodedata

import pytest

from helpdesk import spam
from helpdesk.spam import THRESHOLD, Verdict, check

# (channel, text, media_count): messages as customers actually write them, typos and all.
LEGITIMATE: list[tuple[str, str, int]] = [
    # English
    ("sms", "where is my order #1042? tracking https://www.ups.com/track?num=1Z999AA10123456784", 0),
    ("sms", "hi!! i ordered the linen shirt last week and it still says label created 😩 can u check", 0),
    ("webchat", "Do you have the Aria dress in size M? https://shop.example.com/products/aria-dress", 0),
    ("whatsapp", "got my package today but the box was crushed and the mug is broken 😭 pics attached", 2),
    ("webchat", "Can I pay with a gift card? I have a $50 one from my birthday", 0),
    ("sms", "my package is on hold at customs, do I need to pay a fee? "
            "https://www.ups.com/track?loc=en_US&tracknum=1Z999AA10123456784", 0),
    ("sms", "Hi, I got a text saying my parcel is held and I need to pay a redelivery fee at "
            "usps-redelivery.top/track ... is this legit??", 0),
    ("whatsapp", "hey did u guys send me this?? 'Your parcel could not be delivered. Pay $1.99 redelivery fee "
                 "https://bit.ly/3pkgFee' seems sketchy", 0),
    ("webchat", "Hey, what's your return policy? The jeans don't fit", 0),
    ("sms", "WHERE IS MY ORDER?? I PAID $89 TWO WEEKS AGO AND STILL NOTHING", 0),
    ("instagram", "Thanks so much!! Love it ❤️❤️❤️❤️❤️", 0),
    ("webchat", "hello? anyone there??????????????????????????????????", 0),
    ("sms", "I need to change the shipping address on order 1042, I moved. new address is 12 Elm St Apt 4B", 0),
    ("webchat", "Is the 20% off code still working? WELCOME20 says invalid", 0),
    ("webchat", "can you send me the invoice to jane.doe@gmail.com? thx", 0),
    ("sms", "my card was charged twice for the same order 😡 please refund one", 0),
    ("instagram", "saw this on @sarahstyles story!! is the bag still available?", 0),
    ("instagram", "omg I love this 😍😍😍 how much??", 0),
    ("webchat", "Your site says verify your email but I never got the email. can you resend?", 0),
    ("sms", "The tracking link you sent (https://www.fedex.com/fedextrack/?trknbr=123456789012) says "
            "delivery exception, what does that mean?", 0),
    ("instagram", "I won a giveaway on your page last month but haven't received the prize yet 🥲", 0),
    ("instagram", "You guys have won me over, this is my third order lol", 0),
    ("webchat", "hey, the link in your email to track my order doesn't work, can you send it again?", 0),
    ("sms", "ok thank u", 0),
    ("whatsapp", "👍", 0),
    ("sms", "Can I call you? my number is (415) 555-0132, or my husband's 415-555-0199", 0),
    ("instagram", "Hi! I'm a content creator (20k followers), would you be open to a collab? "
                  "portfolio: https://linktr.ee/janedoe", 0),
    ("webchat", "Hello I want these: https://brand.com/p/a https://brand.com/p/b https://brand.com/p/c "
                "https://brand.com/p/d thanks!", 0),
    ("whatsapp", "Hi, I'm at the store on 5th ave and they don't have my size, can you hold one for me? Size 8", 0),
    ("webchat", "my account is locked after too many password tries, can you unlock it?", 0),
    ("sms", "Payment was approved but I didn't get a confirmation email. If you didn't get my order pls tell me", 0),
    ("sms", "pls cancel my order, bought the wrong size 🙏", 0),
    ("webchat", "Can you check https://bit.ly/3xYzAbc ? its the link my friend sent for your sale, doesnt open", 0),
    ("instagram", "is this legit?? someone dmed me 'Congratulations you've won a free iPhone, claim your "
                  "prize at prize-center.xyz' using your logo", 0),
    ("whatsapp", "", 3),
    ("instagram", "this came ripped", 1),
    ("sms", "STOP", 0),
    # Korean (and mixed)
    ("sms", "배송 언제 와요?? 주문번호 1042", 0),
    ("sms", "사이즈 교환하고 싶어요 ㅠㅠ", 0),
    ("webchat", "안녕하세요~ 어제 주문했는데 배송지 변경 가능할까요? 주소가 바뀌어서요", 0),
    ("instagram", "ㅋㅋㅋㅋㅋㅋㅋㅋㅋㅋㅋㅋㅋㅋㅋㅋㅋㅋㅋㅋㅋㅋㅋㅋㅋㅋㅋㅋㅋㅋㅋㅋ 넘 귀여워요 감사합니당", 0),
    ("sms", "택배 조회했는데 주소불일치로 반송된다고 떠요ㅠㅠ 주소 수정 가능한가요? "
            "https://www.cjlogistics.com/ko/tool/parcel/tracking?gnbInvcNo=123456789012", 0),
    ("instagram", "이벤트 당첨됐는데 상품 언제 보내주시나요?", 0),
    ("instagram", "이벤트 당첨됐다는데 링크 클릭해도 안 열려요 https://brand.co.kr/event/123", 0),
    ("webchat", "바카라 크리스탈 잔 재입고 언제 되나요?", 0),
    ("webchat", "토토로 인형 아직 있나요? 선물용인데 포장 가능할까요?", 0),
    ("webchat", "카드 슬롯 있는 폰케이스 있어요? 아이폰15요", 0),
    ("sms", "결제 완료됐는데 주문내역에 안 떠요 ㅠ 카드 승인 문자는 왔어요", 0),
    ("sms", "해외결제 승인 문자가 왔는데 제가 한 거 아니에요 ㅠㅠ 본인 아닐 시 신고하라는데 이거 스미싱인가요?", 0),
    ("sms", "[Web발신] 고객님 택배가 주소불일치로 보관중입니다 http://cj-kr.com/a 이거 보내신 거 맞아요?", 0),
    ("webchat", "회원가입 쿠폰 어디서 받아요? 신규가입인데 안 보여요", 0),
    ("webchat", "무료 쿠폰 지급 안 됐어요 확인 부탁드려요", 0),
    ("instagram", "리뷰 포인트 언제 들어와요? 사진 리뷰 썼어요 📸", 0),
    ("webchat", "상담원 연결해주세요!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!", 0),
    ("sms", "교환 신청했는데 회수 기사님이 안 오셨어요. 연락처 010-1234-5678 / 회사 02-345-6789 / 집 031-123-4567", 0),
    ("sms", "재배송 신청 어떻게 해요? 택배가 반송됐대요 😢", 0),
    ("webchat", "계정이 정지됐다고 뜨는데 왜 그런거죠? 로그인이 안돼요", 0),
    ("webchat", "네이버 스마트스토어에서 샀는데 여기로 문의하면 되나요? "
                "https://smartstore.naver.com/brand/products/123", 0),
    ("webchat", "혹시 대량 구매 할인 되나요? 회사 단체복으로 50벌 정도요", 0),
    ("sms", "배송완료라고 뜨는데 물건을 못 받았어요. 경비실에도 없어요 ㅜㅜ", 0),
    ("instagram", "안녕하세요 인스타 보고 연락드려요! 이 가방 블랙 색상 재고 있나요?", 0),
    ("sms", "환불해주세요 환불해주세요 환불해주세요 환불해주세요 환불해주세요", 0),
    ("webchat", "사이즈 교환하고 싶은데 택배비는 제가 부담하나요?", 0),
    ("whatsapp", "Hi 주문한 jacket 언제 shipping 되나요? order #1042", 0),
    ("webchat", "카톡 상담 가능한가요? 사진 보내드리고 싶어서요", 0),
    ("webchat", "오늘 마감 세일 아직 하나요? 장바구니에 담아놨는데 ㅎㅎ", 0),
    ("instagram", "해당 첨부 사진 보시면 실밥이 다 터져있어요", 1),
    ("sms", "왜 또 안 와요? 일주일 넘었는데요", 0),
    ("instagram", "혹시 선착순 이벤트 아직 진행중인가요?", 0),
    ("sms", "주문번호 20240512-0001234 입니다. 포장 박스가 찢어져서 왔어요", 0),
    ("webchat", "쿠팡에서도 팔던데 여기랑 가격이 달라요 https://www.coupang.com/vp/products/123456 "
                "https://link.coupang.com/a/bcDeF", 0),
    ("webchat", "적립금 당일 지급 되나요?", 0),
    ("instagram", "안녕하세요! 선물 포장 되나요? 🎁 메세지 카드도 같이 넣어주세요~", 0),
    ("sms", "ㅠㅠㅠㅠㅠㅠㅠㅠㅠ 제가 주소를 잘못 입력했어요 도로명 주소 오류라고 나오는데 어떡하죠", 0),
    ("sms", "고객센터 전화 연결이 안 돼서 여기 남겨요. 1588-1234로 계속 걸었는데 ㅠ", 0),
    ("sms", "배송 언제와요?????", 0),
    ("webchat", "안녕하세요 저희 매장에 납품 문의드립니다. 도매가 가능할까요? 사업자 있어요", 0),
    ("whatsapp", "사진처럼 단추가 떨어져서 왔어요 교환 되나요", 2),
    ("sms", "이 문자 진짜 님들이 보낸거에요? 당첨 축하드립니다 경품 수령하세요 han.gg/abc12 이렇게 왔어요", 0),
    ("instagram", "청첩장 답례품으로 30개 주문하고 싶은데 단체 할인 있나요?", 0),
    ("webchat", "결제하려는데 카드 승인이 계속 거절돼요 ㅠ 다른 카드로 해도 똑같아요", 0),
    ("webchat", "Hi, I got an email saying your account has been suspended?? I can't log in. Is this real?", 0),
    ("webchat", "Is the casino night party set back in stock? 🎰🎲", 0),
    ("instagram", "Hi! I'd love to be a brand ambassador for you guys, 15k followers on IG @minji.styles 💕", 0),
    ("webchat", "링크 클릭 후 결제했는데 주문이 안 들어갔어요 https://brand.com/checkout", 0),
    ("sms", "택배 보관중이라고 문자 왔는데 이거 뭐예요? 링크 눌러도 되나요? http://kr-post.top/a", 0),
    ("whatsapp", "Hello, my order 1042 not arrive yet. Please check, thank you 🙏", 0),
    ("whatsapp", "Hi, do you ship to Korea? 한국 배송 되나요? my IG is @jinny_k", 0),
    ("webchat", "Is this a scam? I received an email saying I won a $500 gift card from you, "
                "claim link was gift-claim.xyz", 0),
    ("sms", "지금 바로 확인 부탁드려요 급해요!! 내일 출국이라 ㅠㅠ", 0),
    ("instagram", "언니 이거 진짜 예뻐요 😍😍 사이즈 55면 S 맞나요?", 0),
    ("webchat", "포인트 첫 충전 이벤트 아직 하나요? 매 충전마다 적립되는 거죠?", 0),
    ("sms", "좀 더 빨리 보내주세요 ㅠ 이 번호로 연락 주세요 010-2222-3333", 0),
    ("sms", "택배 기사님이 주소 불명으로 반송 예정이래요 ㅠ 기사님 번호 010-1234-5678 인데 연락이 안돼요", 0),
    ("whatsapp", "the driver said my parcel was returned to sender, incomplete address?? his number 415-555-0100", 0),
    ("webchat", "Hi, I got an email saying your subscription is on hold, why??", 0),
    ("webchat", "Do you offer financing? like 0% interest for 12 months?", 0),
    ("webchat", "Can I get a refund to my gift card? I paid with a $100 Amazon gift card", 0),
    ("instagram", "Hey! I love your brand 💕 I'd love to collab, 50k followers. DM me or email me at "
                  "x.kim@gmail.com", 0),
]

# (channel, text, media_count, a reason that must be among those given, or None)
SPAM: list[tuple[str, str, int, str | None]] = [
    # English
    ("sms", "Congratulations! You've won a $1000 Walmart gift card. Claim now: http://bit.ly/3xWinNow", 0, "prize"),
    ("sms", "USPS: Your package is on hold due to an incomplete address. Please update here: "
            "https://usps-redelivery.top/track", 0, "parcel_smishing"),
    ("sms", "Your parcel could not be delivered. Pay the $1.99 redelivery fee to reschedule: "
            "https://tinyurl.com/pkg-fee", 0, "url_shortener"),
    ("webchat", "Dear customer, your account has been suspended due to unusual activity. Verify your account at "
                "http://secure-login-update.com", 0, "account_phish"),
    ("sms", "Apple ID: your account has been locked. Confirm your identity within 24h: "
            "https://appleid.apple-verify.support/login", 0, "lookalike_domain"),
    ("whatsapp", "Earn $500 daily from home!! Part-time job, simple tasks, like YouTube videos. "
                 "No experience needed. WhatsApp me +1 347 555 0147", 0, "job_scam"),
    ("whatsapp", "Double your bitcoin in 24 hours! Guaranteed returns, 300% ROI. Join our crypto trading platform: "
                 "https://btc-profit.xyz", 0, "crypto_investment"),
    ("sms", "Your loan of $5,000 has been pre-approved! No credit check. Apply now: "
            "https://fastcash-loans.click/apply", 0, "loan_offer"),
    ("instagram", "Hot singles in your area want to meet you tonight 🔥 https://date-now.xyz", 0, "adult"),
    ("sms", "WIN A FREE IPHONE 15!!! CLICK HERE TO CLAIM YOUR PRIZE NOW $$$ http://198.51.100.23/win", 0, "ip_url"),
    ("webchat", "Hi, we can get your website on the first page of Google! Our SEO services include backlinks, "
                "guest posts and more. Email seo.pro.team@gmail.com for a free audit.", 0, "marketing_pitch"),
    ("instagram", "Hey! Love your page 😍 Promote it on @viral_boost_official to gain 10k real followers 🚀 "
                  "DM @viral_boost_official", 0, "marketing_pitch"),
    ("instagram", "Your Instagram account will be deleted within 24 hours due to copyright infringement. "
                  "Appeal here: https://meta-appeal-center.com/form", 0, "account_phish"),
    ("whatsapp", "Hello dear, I am Mrs. Grace Williams, a widow dying of cancer. I want you to be the beneficiary "
                 "of my $4.5 million inheritance fund. Reply with your full name and address.", 0, "advance_fee"),
    ("webchat", "BEST DEALS ON SNEAKERS visit kicksdeal.shop\n" * 6, 0, "repeated_lines"),
    ("webchat", "check these out http://a1.xyz http://b2.top http://c3.click http://d4.icu http://e5.buzz "
                "http://f6.cfd", 0, "link_flood"),
    ("instagram", "cheap stuff here aa-deals.com bb-deals.com cc-deals.com dd-deals.com ee-deals.com "
                  "ff-deals.com", 0, "link_flood"),
    ("sms", "Get 50% OFF everything today at https://deals-now.click 🎉 Reply STOP to opt out. "
            "Msg & data rates may apply.", 0, "opt_out_footer"),
    ("sms", "Your payment of $749.99 to Amazon has been approved. If this was not you, call 1-888-555-0199 "
            "immediately to cancel.", 0, "payment_alert"),
    ("sms", "Congrats! Your number was selected in our monthly draw 🎁 Claim your reward: "
            "https://rewards-center.win", 0, None),
    ("instagram", "Get a FREE $100 Amazon gift card!! Limited time offer, act now 👉 https://cutt.ly/freegc", 0,
     "claim_now"),
    ("sms", "URGENT: Your Netflix subscription is on hold. Update your payment details: "
            "https://netflix-billing-update.com", 0, "account_phish"),
    ("whatsapp", "Hello, I am Jessica from the HR department of Amazon. We are hiring part-time workers, "
                 "earn $200-$800 per day. Interested? Add me on Telegram @jess_hr", 0, "call_to_action"),
    ("sms", "E-ZPass: You have an unpaid toll balance of $6.99. Pay within 24h to avoid late fees: "
            "https://ezpass-toll.vip/pay", 0, "impersonation"),
    ("instagram", "🔥" * 400 + " CHECK MY PROFILE", 0, "char_run"),
    ("instagram", "https://bit.ly/hotpix9 https://tinyurl.com/hotpix10", 1, "url_shortener"),
    ("webchat", "Ｃｌａｉｍ ｙｏｕｒ ｐｒｉｚｅ now!! You have been selected winner: "
                "ｗｗｗ．ｐｒｉｚｅ－ｈｕｂ．ｘｙｚ", 0, "prize"),
    # Korean
    ("sms", "[Web발신]\n[CJ대한통운] 고객님 택배가 주소불일치로 보관중입니다. 주소 확인: http://gg.gg/cj1234", 0,
     "carrier_stamp"),
    ("sms", "[국제발신] 우체국 국제우편 도로명 주소 불일치로 반송 예정. 주소 수정 바랍니다 ▶ epost-kr.xyz", 0,
     "parcel_smishing"),
    ("sms", "[Web발신] 해외결제 승인 987,000원 아마존 정상처리. 본인 아닐 시 고객센터 02-3456-7890 문의", 0,
     "payment_alert"),
    ("sms", "(광고) ★신규가입 첫충 20% 매충 10% 꽁머니 3만 지급★ 안전놀이터 ▶ toto-vip77.com "
            "무료거부 080-123-4567", 0, "gambling"),
    ("instagram", "카.지.노 첫 충 30% 이 벤 트 ☞ casino-kr.bet", 0, "gambling"),
    ("whatsapp", "바 카 라 사이트 추천 합니다 가입 코드 7777 텔레 @bacara77", 0, "gambling"),
    ("sms", "[Web발신]\n(광고) 정부지원 저금리 대환대출 승인 안내. 최대 5천만원 한도조회 가능 ☎ 1588-0000 "
            "무료거부 0808889999", 0, "ad_marker"),
    ("sms", "무직자 당일대출 가능합니다 신용등급 무관 카톡 상담 ㄱㄱ", 0, "loan_offer"),
    ("instagram", "★코인 리딩방 무료 입장★ 수익률 300% 보장 하루 100만원 수익 가능 오픈채팅 "
                  "https://open.kakao.com/o/gAbCdEf", 0, "crypto_investment"),
    ("sms", "주식 급등주 무료 추천 VIP방 초대 원금보장 수익보장 문의 010-9999-8888", 0, "crypto_investment"),
    ("whatsapp", "고수익 재택알바 모집 하루 2~3시간 일당 15만원 당일지급 카톡ID: job777", 0, "job_scam"),
    ("instagram", "리뷰알바 구합니다 건당 5000원 즉시 지급 쿠팡 리뷰만 쓰면 됩니다 👉 https://bit.ly/rvjob", 0,
     "job_scam"),
    ("sms", "축하드립니다! 고객님 이벤트 당첨되셨습니다 🎉 경품 수령하세요 ▶ han.gg/abc12", 0, "prize"),
    ("sms", "당 첨 축 하 드 립 니 다 ! 무료 상품권 지급 대상자 입니다 지금 바로 확인하세요 me2.kr/xYz", 0, "prize"),
    ("webchat", "고객님의 계정이 일시 정지되었습니다. 본인인증 후 이용 바랍니다 http://naver-secure-login.com", 0,
     "account_phish"),
    ("instagram", "조건만남 지역별 만남 주선 100% 실제 👉 site77.xyz", 0, "adult"),
    ("sms", "[Web발신]\n[국민건강보험] 건강검진 결과 통보서 확인 http://me2.kr/abcd", 0, "impersonation"),
    ("sms", "지금 가입하면 100% 당첨! 무료 쿠폰 받기 👉 https://event-gift.kr/go 오늘 마감", 0, "prize"),
    ("instagram", "인스타 팔로워 늘려드립니다 한국인 실제 팔로워 1000명 만원 문의 카톡 ID: insta_up", 0,
     "marketing_pitch"),
    ("webchat", "🎉대박 이벤트 지금 참여하세요 경품 팡팡🎉\n" * 6, 0, "repeated_lines"),
    ("webchat", "무료 체험 지금 신청 하세요 ~ " * 10, 0, "repeated_phrase"),
    ("sms", "급전 필요하신 분 연락주세요 010-1111-2222 010-3333-4444 010-5555-6666 010-7777-8888 010-9999-0000", 0,
     "phone_flood"),
    ("sms", "대출 승인 완료 되셨습니다 고객님 한도 3000만원 당일 입금 가능 ☎ 02-123-4567", 0, "loan_offer"),
    ("sms", "[Web발신]\n[SK텔레콤] 고객님 명의로 휴대폰 개통 완료. 본인 아닐시 신고 바랍니다 02-555-1234", 0,
     "payment_alert"),
    ("sms", "[Web발신] 모바일 청첩장이 도착했습니다 ♥ 확인하기 ▶ http://wedding-card.kro.kr", 0, "impersonation"),
    ("whatsapp", "ＦＲＥＥ 무료 쿠폰 지급!! CLICK ▶ bit.ly/x7Kq2 선착순 100명 오늘 마감", 0, "prize"),
    ("sms", "(광고) [무신사 아울렛] 전 품목 90% 세일 ▶ musinsa-sale.shop 무료수신거부 080-500-1234", 0,
     "opt_out_footer"),
    ("instagram", "당\u200b첨\u200b되셨습니다!! 상\u200b품\u200b권 수령하세요 ☞ vo.la/gift", 0, "prize"),
    ("whatsapp", "안녕하세요 ^^ 좋은 정보 공유드려요~ 비트코인 자동매매 프로그램 월 수익 500만원 가능 "
                 "상담 문의 010-1234-5678", 0, "crypto_investment"),
    ("instagram", "Hi dear 😊 I've been earning $3,000 weekly from crypto trading with my mentor Mrs. Sarah. "
                  "Message her @sarah_fx_trades", 0, "crypto_investment"),
]


def _verdict(channel: str, text: str, media: int) -> Verdict:
    return check(text, channel=channel, media_count=media)


def test_the_table_is_the_size_and_mix_the_brief_asks_for() -> None:
    def korean(text: str) -> bool:
        return any("가" <= c <= "힣" for c in text)

    assert len(LEGITIMATE) >= 60 and len(SPAM) >= 40
    assert sum(korean(t) for _, t, _ in LEGITIMATE) >= 0.4 * len(LEGITIMATE)  # roughly half Korean
    assert sum(korean(t) for _, t, _, _ in SPAM) >= 0.4 * len(SPAM)


@pytest.mark.parametrize(("channel", "text", "media"), LEGITIMATE)
def test_a_real_customer_message_is_never_spam(channel: str, text: str, media: int) -> None:
    verdict = _verdict(channel, text, media)
    assert not verdict.spam, verdict
    assert verdict.score < THRESHOLD


@pytest.mark.parametrize(("channel", "text", "media", "reason"), SPAM)
def test_spam_is_caught_with_the_signal_that_gives_it_away(
    channel: str, text: str, media: int, reason: str | None
) -> None:
    verdict = _verdict(channel, text, media)
    assert verdict.spam, verdict
    assert verdict.score >= THRESHOLD
    if reason is not None:
        assert reason in verdict.reasons, verdict


def test_reasons_name_every_signal_of_a_parcel_smishing_text() -> None:
    verdict = check("[Web발신]\n[CJ대한통운] 고객님 택배가 주소불일치로 보관중입니다. 주소 확인: http://gg.gg/cj1234",
                    channel="sms")
    assert set(verdict.reasons) == {"parcel_smishing", "carrier_stamp", "url_shortener", "salutation",
                                    "call_to_action"}


def test_a_gambling_ad_names_its_markers() -> None:
    ad = "(광고) ★신규가입 첫충 20% 매충 10% 꽁머니 3만 지급★ 안전놀이터 ▶ toto-vip77.com 무료거부 080-123-4567"
    verdict = check(ad, channel="sms")
    assert {"ad_marker", "gambling", "opt_out_footer", "arrow_to_link", "call_to_action"} <= set(verdict.reasons)


def test_spaced_and_dotted_korean_is_joined_back_but_not_across_real_words() -> None:
    assert "gambling_word" in check("카.지.노", channel="sms").reasons
    assert "gambling" in check("카 지노 사이트 추천", channel="sms").reasons
    assert "prize" in check("당 첨 되셨습니다", channel="sms").reasons
    assert "prize" in check("당 첨되셨습니다", channel="sms").reasons
    assert "prize" not in check("해당 첨부 파일 확인 부탁드려요", channel="sms").reasons


def test_full_width_text_is_read_like_ascii() -> None:
    plain = check("Claim your prize at prize-hub.xyz", channel="webchat")
    wide = check("Ｃｌａｉｍ ｙｏｕｒ ｐｒｉｚｅ ａｔ ｐｒｉｚｅ－ｈｕｂ．ｘｙｚ", channel="webchat")
    assert wide == plain
    assert {"prize", "suspicious_tld"} <= set(plain.reasons)


def test_obfuscated_link_dots_still_count_as_links() -> None:
    assert "url_shortener" in check("free coupon bit[.]ly/abc", channel="sms").reasons
    assert "url_shortener" in check("free coupon bit(.)ly/abc", channel="sms").reasons


def test_the_brands_own_links_and_carriers_are_not_suspicious() -> None:
    verdict = check("https://www.ups.com/track?num=1Z999AA10123456784", channel="sms")
    assert verdict.reasons == () and verdict.score == 0.0
    assert "mostly_link" in check("https://brand.com/p/1", channel="sms").reasons  # unknown, yet far from spam


def test_asking_whether_a_quoted_text_is_a_scam_outweighs_the_quoted_scam() -> None:
    quoted = "축하드립니다! 고객님 이벤트 당첨되셨습니다 🎉 경품 수령하세요 ▶ han.gg/abc12"
    assert check(quoted, channel="sms").spam
    asked = check(quoted + " 이거 스미싱인가요?", channel="sms")
    assert not asked.spam and "asks_about_scam" in asked.reasons


def test_a_customers_own_voice_pulls_the_score_down() -> None:
    base = check("your package is on hold, pay the customs fee", channel="sms")
    mine = check("my package is on hold, do i pay the customs fee", channel="sms")
    assert "customer_voice" in mine.reasons and mine.score < base.score


def test_web_sender_stamp_weighs_more_on_sms_than_where_it_was_pasted() -> None:
    on_sms = check("[Web발신] 안내 드립니다", channel="sms")
    pasted = check("[Web발신] 안내 드립니다", channel="instagram")
    assert on_sms.score > pasted.score > 0


def test_a_caption_that_is_only_a_foreign_link_weighs_more_under_a_picture() -> None:
    assert check("promo-site.com/x", channel="instagram", media_count=1).score > \
        check("promo-site.com/x", channel="instagram").score


def test_email_and_unknown_channels_are_refused() -> None:
    with pytest.raises(ValueError, match="SES"):
        check("hello", channel="email")
    with pytest.raises(ValueError):
        check("hello", channel="fax")
    with pytest.raises(ValueError):
        check("hello", channel="sms", media_count=-1)


def test_the_verdict_is_immutable() -> None:
    verdict = check("hello", channel="sms")
    with pytest.raises(AttributeError):
        verdict.spam = True  # type: ignore[misc]


def test_a_long_message_is_judged_on_its_opening_and_its_end() -> None:
    story = "I ordered the jacket in March and it arrived with a torn sleeve, so I sent it back. " * 40
    assert len(story) > 3000
    assert not check(story, channel="webchat").spam
    tail = "\nCongratulations! You've won a $1000 Walmart gift card. Claim now: http://bit.ly/3xWinNow"
    assert check(story + tail, channel="webchat").spam


def test_the_compiled_phrase_books_find_what_the_plain_patterns_find() -> None:
    """The phrase books multiply out, merge and re-anchor every pattern for speed; on every message of
    the table they must still report exactly the phrase lists that the plain patterns find."""
    books = {phrasing.reason: phrasing.patterns for phrasing in spam._PHRASINGS}
    plain = {reason: re.compile("|".join(patterns)) for reason, patterns in books.items()}
    voice = {"customer_voice": spam._CUSTOMER_VOICE, "asks_about_scam": spam._ASKS_ABOUT_SCAM}
    plain_voice = {name: re.compile("|".join(patterns)) for name, patterns in voice.items()}
    for text in [t for _, t, _ in LEGITIMATE] + [t for _, t, _, _ in SPAM]:
        norm = spam._normalise(unicodedata.normalize("NFKC", text))
        found = spam._SCAM_BOOK.find(norm)
        assert {r for r in books if r in found} == {r for r, rx in plain.items() if rx.search(norm)}, text
        present = spam._VOICE_BOOK.present(norm)
        assert {n for n in voice if n in present} == {n for n, rx in plain_voice.items() if rx.search(norm)}, text


def _cpu_seconds(calls: int, text: str) -> float:
    check(text, channel="webchat")  # warm up
    started = time.process_time()  # CPU time: other jobs on a shared machine do not count
    for _ in range(calls):
        check(text, channel="webchat")
    return time.process_time() - started


LONG_INPUTS = {
    "one_char": "a" * 5000,
    "scheme_repeats": "http://" * 715,
    "spaced_schemes": "http:// " * 625,
    "dotted_labels": "a." * 2500,
    "korean_spaced": "당 " * 2500,
    "digits": "1" * 5000,
    "mixed_realistic": ("배송 언제 와요?? 주문번호 1042 https://www.ups.com/track?num=1Z999 ㅋㅋㅋ where is my order "
                        "010-1234-5678 ") * 60,
    "pasted_log": "ERROR 2024-05-12 12:00:01 order=1042 status=failed retry=3\n" * 1000,
}


@pytest.mark.parametrize("name", sorted(LONG_INPUTS))
def test_long_messages_never_backtrack_catastrophically(name: str) -> None:
    text = LONG_INPUTS[name]
    elapsed = _cpu_seconds(100, text)
    assert elapsed < 1.0, f"100 checks of {len(text)} characters of {name} took {elapsed:.2f}s"


@pytest.mark.parametrize("name", ["one_char", "scheme_repeats"])
def test_a_thousand_checks_of_a_long_message_take_well_under_a_second(name: str) -> None:
    elapsed = _cpu_seconds(1000, LONG_INPUTS[name])
    assert elapsed < 1.0, f"1,000 checks of {name} took {elapsed:.2f}s"


def test_a_thousand_checks_of_a_thousand_character_message_take_well_under_a_second() -> None:
    text = (
        "안녕하세요 어제 주문했는데 배송 언제 와요?? 주문번호 1042 tracking https://www.ups.com/track?num=1Z999AA1 "
        "사이즈 교환도 하고 싶어요 ㅠㅠ Hi, also my card was charged twice 😡 can you check? "
    )
    elapsed = _cpu_seconds(1000, (text * 10)[:1000])
    assert elapsed < 1.0, f"1,000 checks of 1,000 characters took {elapsed:.2f}s"
