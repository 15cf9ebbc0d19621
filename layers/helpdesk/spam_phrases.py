"""The phrases, hosts and TLDs the spam heuristics (helpdesk.spam) look for, English and Korean.

Plain data: helpdesk.spam compiles it on the first check. Patterns are Python regexes matched on
normalised text (NFKC, lower case, invisible characters dropped, spaced Hangul joined, one space per
run of blanks); a pattern may hold non-capturing groups only, since the phrase books name each phrase
with a group of their own.
"""
from __future__ import annotations

from typing import NotRequired, TypedDict

# --- links ---------------------------------------------------------------------------------------

# TLDs a bare domain (no scheme, no www.) is recognised by: the common ones and the ones spam favours.
# Kept short on purpose: "e.g.", "1.5kg" and "photo.jpg" must not look like links.
BARE_TLDS = (
    "com", "net", "org", "kr", "io", "me", "ly", "gg", "la", "gd", "at", "cc", "co", "info", "biz", "shop", "store",
    "site", "online", "app", "link", "xyz", "top", "click", "icu", "buzz", "live", "vip", "club", "fun", "win",
    "bet", "casino", "loan", "work", "cfd", "sbs", "rest", "cyou", "monster", "tk", "ml", "ga", "cf", "gq", "pw",
    "ws",
)
# Link shorteners: a link through one hides where it goes (url_shortener).
SHORTENERS = frozenset({
    "bit.ly", "bitly.com", "bitly.kr", "tinyurl.com", "t.co", "goo.gl", "ow.ly", "is.gd", "v.gd", "buff.ly",
    "rebrand.ly", "cutt.ly", "shorturl.at", "tiny.cc", "rb.gy", "t.ly", "s.id", "shorte.st", "adf.ly",
    "han.gg", "me2.kr", "gg.gg", "vo.la", "url.kr", "c11.kr", "zrr.kr", "muz.so", "lrl.kr", "ko.gl",
    "dokdo.in", "abit.ly", "hoy.kr", "myip.kr",
})
# Hosts a customer links to all the time (carriers' tracking, marketplaces, social networks and their
# own share-link domains). A link here never counts as something a spammer wants clicked.
KNOWN_HOSTS = frozenset({
    "ups.com", "fedex.com", "usps.com", "dhl.com", "dhl.de", "royalmail.com", "evri.com", "canadapost.ca",
    "auspost.com.au", "17track.net", "aftership.com", "parcelsapp.com", "cjlogistics.com", "epost.go.kr",
    "hanjin.com", "hanjin.co.kr", "lotteglogis.com", "ilogen.com", "kdexp.com", "cvsnet.co.kr",
    "coupang.com", "coupa.ng", "naver.com", "naver.me", "kakao.com", "kko.to", "daum.net", "11st.co.kr",
    "gmarket.co.kr", "auction.co.kr", "ssg.com", "musinsa.com", "29cm.co.kr", "kream.co.kr", "zigzag.kr",
    "amazon.com", "amzn.to", "a.co", "ebay.com", "etsy.com", "shopify.com", "myshopify.com", "shop.app",
    "google.com", "youtube.com", "youtu.be", "instagram.com", "instagr.am", "facebook.com", "fb.me",
    "whatsapp.com", "wa.me", "tiktok.com", "x.com", "twitter.com", "apple.com", "pinterest.com", "pin.it",
})
# Under a known host but used by spam to move the conversation somewhere unmoderated.
UNKNOWN_SUBHOSTS = frozenset({"open.kakao.com"})
# TLDs that make a link to an unknown host suspicious (suspicious_tld): cheap ones spam favours.
SUSPICIOUS_TLDS = frozenset({
    "xyz", "top", "click", "icu", "buzz", "cfd", "sbs", "rest", "cyou", "monster", "tk", "ml", "ga", "cf", "gq",
    "pw", "ws", "win", "bet", "casino", "loan", "work", "zip", "mov", "vip", "country", "kim", "quest", "lol",
})
# Brands phishing pretends to be; a host carrying one of these labels that is not the brand's own
# (lookalike_domain).
IMPERSONATED_BRANDS = (
    "usps", "ups", "fedex", "dhl", "paypal", "apple", "icloud", "amazon", "amzn", "netflix", "coupang", "naver",
    "kakao", "epost", "cj", "cjlogistics", "hanjin", "lotte", "royalmail", "evri", "hermes", "auspost", "canadapost",
    "dpd", "instagram", "meta", "facebook", "whatsapp", "shopify", "hometax", "nts", "police", "court",
)


# --- phrasing ------------------------------------------------------------------------------------

class Phrasing(TypedDict):
    """Phrases of one kind of scam: `weight` when one of `patterns` is present, plus `again` (0.3 when
    left out) when a second, different one is; with `also`, one of those must be present too."""

    weight: float
    patterns: tuple[str, ...]
    again: NotRequired[float]
    also: NotRequired[tuple[str, ...]]


# An amount in a currency scams quote, as in "$1,000", "£50", "usd 2.5k".
_MONEY = r"(?:\$|£|€|usd ?)\s?\d[\d,.]*k?"

# The kinds of scam, by the reason a verdict gives; in the order verdicts list their reasons.
PHRASINGS: dict[str, Phrasing] = {
    "prize": {"weight": 0.5, "patterns": (
        r"\byou(?:'ve| have)? (?:just )?(?:won|been selected|been chosen) (?:a|an|the|our|\$|£|€|\d|free|cash)",
        r"\b(?:lucky|grand prize|cash prize|selected) winners?\b",
        r"\bclaim (?:your|the|my) (?:free |cash )?(?:prize|reward|gift|bonus|winnings|cash|payout)",
        r"\b(?:free|complimentary) (?:iphone|ipad|macbook|gift ?card|vacation|cruise|airpods)",
        rf"{_MONEY} (?:walmart|amazon|target|costco|visa|apple|google play|steam|cash) gift ?card",
        r"당첨(?:되|됐|되셨|자|금|을\s*축하|\s*안내|\s*축하|\s*확인|\s*결과|\s*되셨)",
        r"경품\s*(?:수령|지급|당첨|증정|추첨)",
        r"무료\s*(?:쿠폰|경품|상품권|기프티콘)\s*(?:지급|증정|발송|받기|수령|드립니다|드려요)",
        r"100\s*%\s*(?:당첨|지급|증정)",
        r"전원\s*(?:증정|지급|당첨)",
    )},
    "claim_now": {"weight": 0.4, "patterns": (
        r"\bclaim (?:it |yours |them )?(?:now|today|here|immediately)\b",
        r"\b(?:click|tap|visit) (?:here|below|the link(?: below)?|this link)\b(?: now)? (?:to|and) "
        r"(?:claim|receive|get|collect|redeem|verify|confirm|update|unlock|activate|view|continue|start|apply)",
        r"\bact (?:now|fast|quickly)\b",
        r"\blimited[- ]time (?:offer|only|deal)\b",
        r"\b(?:offer |link )?expires? (?:today|tonight|in \d+ ?(?:hours?|hrs?|minutes?|mins?))\b",
        r"\bredeem (?:it |yours |your \w+ )?(?:now|here|today)\b",
        r"\b(?:call|contact)(?: \S+){0,2}? (?:immediately|right away|urgently|within \d+ ?(?:h|hours?|minutes?))\b",
        r"지금\s*(?:바로\s*)?(?:확인|신청|클릭|접속|수령|가입)\s*(?:하세요|하기|하시|바랍)",
        r"(?:아래|하단)\s*(?:링크|url|주소)\s*(?:클릭|접속|확인)\s*(?:하세요|하시|후|바랍)",
        r"링크\s*(?:클릭|접속)\s*(?:후|하여|해서|하시면|시|하세요|바랍)",
        r"바로\s*가기",
        r"(?:오늘|금일)\s*(?:마감|까지만)|마감\s*임박|기간\s*한정",
        r"수령\s*(?:하세요|하시기|바랍니다|하십시오)",
    )},
    "crypto_investment": {"weight": 0.7, "patterns": (
        r"\b(?:double|triple|10x|multiply) your (?:money|bitcoin|btc|crypto|investment|income|profits?|capital)\b",
        r"\bguaranteed (?:returns?|profits?|income|roi|payouts?)\b",
        r"\b(?:bitcoin|btc|cryptocurrency|crypto|forex|usdt|eth|binary) (?:investment|trading|mining|signals?|mentor|"
        r"expert|platform|opportunit\w*|account manager)\b",
        rf"\b(?:invest|investment of|deposit) {_MONEY}(?: and| to)? (?:get|earn|receive|make|withdraw)\b",
        r"\bpassive income\b",
        rf"\b(?:earn|make|making|earning|profit) {_MONEY}\+? (?:per|a|every|each|daily|weekly|in (?:a|one|\d+) )",
        r"\b\d{2,4} ?% (?:profit|returns?|roi)\b",
        r"\b(?:elon musk|tesla) (?:giveaway|bitcoin|crypto)\b",
        r"수익\s*보장|원금\s*보장",
        r"(?:코인|주식|선물|투자)\s*리딩|리딩\s*방",
        r"급등\s*(?:주|종목|코인)|세력\s*(?:주|매집)",
        r"(?:종목|코인)\s*추천\s*(?:방|받|해\s*드)",
        r"수익률\s*\d{2,4}\s*%",
        r"(?:하루|일|주|월)\s*(?:평균\s*)?\d+\s*(?:만|천만|억)\s*원?\s*(?:이상\s*)?(?:수익|보장|벌어)",
        r"(?:하루|일|주|월)\s*(?:평균\s*)?수익\s*\d+\s*(?:만|천만|억)|자동\s*매매\s*(?:프로그램|봇)",
        r"(?:무료|vip)\s*(?:리딩|종목\s*추천|주식\s*상담)|vip\s*방",
    )},
    "loan_offer": {"weight": 0.7, "patterns": (
        rf"\b(?:your )?loan (?:of {_MONEY} )?(?:has been |is |was )?(?:pre-?)?approved\b",
        r"\bpre-?approved (?:for (?:a |an )?(?:loan|credit|\$)|loan|personal loan)",
        r"\b(?:low|zero|0 ?%) interest (?:personal |business )?loans?\b",
        r"\bdebt (?:relief|consolidation|settlement)\b",
        r"\b(?:bad|no|poor) credit (?:ok|okay|welcome|no problem|check)\b",
        r"\binstant (?:cash|loan|approval)\b|\bcash advance\b",
        r"대출\s*(?:승인|가능|한도|상담|진행|실행|안내)",
        r"(?:초저|최저|저)\s*금리",
        r"(?:무직자|무서류|비대면|당일|정부\s*지원|서민|직장인|소상공인|사업자|신용|대환|전세|주택)\s*대출",
        r"햇살론|한도\s*조회|급전\s*(?:필요|대출|가능)",
        r"신용\s*(?:등급|점수)\s*(?:무관|상관\s*없)",
    )},
    "account_phish": {"weight": 0.6, "patterns": (
        r"\bverify your (?:account|identity|information|details|payment|card|apple id|login)\b",
        r"\byour (?:\w+ )?(?:account|apple id|paypal|card|subscription|membership|page|profile|mailbox)"
        r"(?: has been| is| was| will be)(?: temporarily)? (?:suspended|locked|disabled|limited|restricted|"
        r"deactivated|deleted|terminated|compromised|on hold)\b",
        r"\bunusual (?:sign[- ]?in|login|activity)\b",
        r"\bconfirm your (?:identity|account details|billing|payment details|card details)\b",
        r"\bupdate your (?:payment|billing|card|account) (?:info|information|details|method)\b",
        r"\b(?:copyright|trademark) (?:infringement|violation)\b",
        r"\bviolat\w* (?:our )?(?:community guidelines|terms of (?:use|service))\b",
        r"(?:계정|아이디|계좌|카드)\s*(?:이|가)?\s*(?:일시\s*)?(?:정지|잠금|차단|해지|동결|제한)\s*"
        r"(?:되었습니다|되었으니|될\s*예정|예정|처리\s*되었|조치)",
        r"본인\s*인증\s*(?:바랍|필요|요망|하세요|하시기|후\s*이용)",
        r"개인\s*정보\s*(?:유출|도용|갱신|업데이트)",
        r"보안\s*(?:승급|강화)|(?:공동|공인)\s*인증서\s*(?:만료|폐기)",
    )},
    "parcel_smishing": {"weight": 0.5, "patterns": (
        r"\b(?:package|parcel|shipment|delivery|item)\b(?: \S+){0,6}? (?:is |has been |was )?(?:on hold|held|"
        r"could not be delivered|couldn't be delivered|undeliverable|unable to be delivered|suspended|"
        r"returned to (?:the )?sender)\b",
        r"\b(?:incomplete|invalid|incorrect|unconfirmed|insufficient) (?:shipping |delivery |street )?address",
        r"\bredelivery (?:fee|charge|payment)\b",
        r"\b(?:pay|paying|settle) (?:a |the )?(?:small |redelivery |customs |shipping |delivery |outstanding )"
        r"?(?:fee|charge|duty|duties)\b",
        r"\breschedule your delivery\b",
        r"(?:도로명\s*)?주소\s*(?:지\s*)?(?:불일치|불명|미확인|오류|누락|미기재)",
        r"(?:반송|폐기)\s*(?:예정|처리\s*예정|될\s*예정)",
        r"(?:택배|소포|우편물|물품|화물)\s*(?:가|이)?\s*(?:보관\s*중|미수령|미배달|배송\s*불가|배송\s*보류|도착\s*보류)",
        r"(?:통관|관세)\s*(?:보류|미납|납부\s*(?:필요|요청|바랍))",
        r"재\s*배송\s*(?:비용|수수료)",
    )},
    "payment_alert": {"weight": 0.6, "patterns": (
        r"(?:휴대폰|유심|명의)\s*(?:로\s*)?(?:개통|변경)\s*(?:완료|되었|신청)",
        r"(?:해외|국외)\s*(?:결제|승인)|(?:정상|결제)\s*승인|승인\s*(?:완료|금액)",
        r"원(?<=\d원)\s*(?:결제|승인|출금)| 원(?<=\d 원)\s*(?:결제|승인|출금)",  # "987,000원 결제"
        r"\b(?:payment|purchase|transaction|charge)\b(?: \S+){0,4}? (?:has been |was |is )?(?:approved|processed|"
        r"authori[sz]ed|completed)\b",
    ), "again": 0.0, "also": (
        # A payment notice nobody asked for only becomes a scam with its hook: "not you? call this".
        r"본인\s*(?:이\s*)?(?:아닐|아닌|아니실|미사용)|미\s*사용\s*시|신고\s*(?:요망|바랍|하세요)",
        r"(?:취소|문의|신고)\s*:?\s*(?:0\d|1[5-9]\d\d)",
        r"\bif (?:this was not you|you did not|you didn't)|\bnot you\?|\bto cancel,? (?:call|click|visit|reply)",
    )},
    "impersonation": {"weight": 0.5, "patterns": (
        # Government, court, insurer and toll-road notices: the other big family of smishing.
        r"\b(?:unpaid|outstanding) tolls?\b|\btoll (?:violation|balance|services|payment)\b|\be-?zpass\b",
        r"\b(?:irs|hmrc|dmv) (?:notice|refund|payment|alert)\b|\btax refund\b|\bcourt (?:notice|summons|date)\b",
        r"\btraffic (?:violation|ticket|fine)\b|\bfinal notice\b",
        r"건강\s*보험\s*공단|건강\s*검진\s*(?:결과|통보|대상)|검찰청|경찰청|지방\s*검찰|국세청|과태료|범칙금",
        r"(?:교통|신호|속도|주정차)\s*위반|등기\s*(?:우편)?\s*(?:반송|미수령)|재난\s*지원금|정부\s*지원금",
        r"모바일\s*(?:청첩장|부고|초대장)|부고\s*(?:알림|안내)",
    )},
    "gambling": {"weight": 0.8, "patterns": (
        r"꽁\s*머니|안전\s*놀이터|먹튀\s*(?:검증|없는|보장|사이트)",
        r"(?:첫|매)\s*충\s*(?:전\s*)?\d+\s*%",  # "첫충 20%": a first top-up bonus, never a shop's coupon
        r"(?:토토|카지노|바카라|슬롯|홀덤)\s*(?:사이트|가입|추천|주소)|사설\s*토토|스포츠\s*토토",
        r"온라인\s*(?:카지노|바카라|슬롯|홀덤)|파워\s*볼|에볼루션\s*카지노",
        r"\b(?:online casino|casino bonus|free spins|sports ?betting|betting tips|sure odds|fixed matches)\b",
    )},
    "gambling_word": {"weight": 0.4, "again": 0.0, "patterns": (
        r"카지노|바카라|베팅|배팅|\bcasino\b|\bbetting\b|\bjackpot\b",
    )},
    "adult": {"weight": 0.8, "patterns": (
        r"\bhot (?:singles|girls|milfs?)\b|\b(?:lonely|horny|naughty) (?:wives|women|girls|singles|milfs?)\b",
        r"\b(?:adult|xxx|18\+) (?:content|videos?|dating|chat|cams?|site)\b|\bsex (?:chat|dating|videos?|cams?)\b",
        r"\bonlyfans\b|\bhookups?\b|\bcam ?girls?\b|\bsugar (?:daddy|mommy|baby)\b|\b(?:viagra|cialis)\b",
        r"조건\s*만남|출장\s*(?:안마|마사지|샵)|애인\s*대행|만남\s*(?:주선|어플|사이트)|섹파|폰팅|폰섹",
        r"성인\s*(?:방송|영상|채팅|사이트|화상)|19\s*금\s*(?:영상|방송|채팅|사이트)|화상\s*채팅",
        r"(?:무료|실시간)\s*야동|비아그라|시알리스|오피\s*(?:사이트|가격|후기)",
    )},
    "job_scam": {"weight": 0.6, "patterns": (
        r"\bpart[- ]time (?:job|work|position|opportunit)",
        r"\b(?:daily|weekly) (?:pay|salary|income|commission)\b",
        r"\bsimple (?:online )?tasks?\b",
        r"\b(?:like|liking|rate|rating|watch) (?:youtube |tiktok )?videos\b",
        r"\b(?:hr|recruiter|recruitment) (?:manager|team|department|agent|specialist)\b",
        r"\bearn (?:\$|£|€|usd ?)?\d[\d,]*\s?(?:-|to)\s?(?:\$|£|€)?\d[\d,]*\b",
        r"\bno experience (?:needed|required)\b",
        r"고수익\s*(?:알바|부업|보장)|(?:재택|단순|초보|주부|대학생)\s*(?:알바|부업)",
        r"(?:리뷰|좋아요|구매\s*대행|유튜브|쇼핑몰)\s*(?:알바|부업)",
        r"일당\s*\d+|(?:하루|일|시간당)\s*\d+\s*만\s*원?\s*(?:이상\s*)?(?:지급|보장|가능|수익)",
        r"(?:알바|부업|재택\s*근무)\s*(?:모집|구합니다|하실\s*분|가능하신\s*분)",
    )},
    "advance_fee": {"weight": 0.8, "patterns": (
        r"\bnext of kin\b|\bbeneficiary of\b|\binheritance (?:fund|claim)\b|\bunclaimed (?:funds?|inheritance)\b",
        r"\bdiplomatic (?:courier|agent)\b|\batm card\b|\bcompensation fund\b|\bwire transfer fee\b",
        r"\b\d{1,4}(?:\.\d{1,2})? million (?:us )?(?:dollars|usd|euros?|pounds)\b|\$\d+(?:\.\d+)? ?million\b",
    )},
    "marketing_pitch": {"weight": 0.6, "patterns": (
        r"\b(?:grow|boost|increase) your (?:instagram|followers|page|sales|traffic|engagement|audience|ranking)\b",
        r"\b(?:buy|get|gain) (?:\d+k? )?(?:real |more |active )?(?:instagram |tiktok )?(?:followers|likes)\b",
        r"\bpromote (?:it|your (?:page|account|store|shop|brand|products?)) (?:on|with|to|at)\b",
        r"\b(?:send|dm|message) (?:it |this |us |your (?:pic|photo|post|picture) )?(?:(?:to|on|at) )?@\w+",
        r"\b(?:seo|web design|website development|app development|digital marketing) (?:services?|expert|agency|"
        r"package|audit|team)\b",
        r"\b(?:first|1st|top) page (?:of|on|in) google\b|\bbacklinks?\b|\bguest posts?\b|\bwebsite traffic\b",
        r"(?:인스타|팔로워|좋아요)\s*(?:늘려|구매|판매|작업)|팔로워\s*늘리|팔로워\s*\d+\s*(?:명|k)",
        r"상위\s*노출|블로그\s*(?:마케팅|상위)|바이럴\s*마케팅|마케팅\s*대행|홈페이지\s*제작",
    )},
    "opt_out_footer": {"weight": 0.5, "patterns": (
        r"\b(?:reply|text|txt) stop (?:to (?:opt[- ]?out|unsubscribe|end|cancel|quit)|2 (?:end|quit|stop))",
        r"\bclick (?:the link |here )?(?:below )?to unsubscribe\b|\bto unsubscribe,? (?:click|reply|text|visit)",
        r"\bmsg (?:&|and) data rates may apply\b|\bstop ?2 ?end\b",
        r"(?:무료\s*)?(?:수신\s*)?거부\s*:?\s*080|무료\s*거부|무료\s*수신\s*거부",
    ), "again": 0.0},
    "ad_marker": {"weight": 0.5, "again": 0.0, "patterns": (r"[(\[<]\s*광고\s*[)\]>]",)},
}


# --- how a message addresses its reader, and where it sends them ---------------------------------

# [Web발신] / [국외발신]: Korean carriers stamp these on texts sent from bulk web-SMS services or abroad,
# which is where smishing comes from. On SMS it is the real stamp; elsewhere someone pasted a text.
CARRIER_STAMP = r"[(\[]\s*(?:web|국외|국제|해외)\s*발신\s*[)\]]"
# How a blast addresses a reader it does not know (salutation).
SALUTATION = (
    r"\bdear (?:valued )?(?:customer|user|member|client|subscriber|winner|beneficiary|sir|madam)\b",
    r"고객\s*님|회원\s*님",
)
# The same, at the very start of the message only: "Hello dear, I am Mrs. ...".
SALUTATION_OPENING = r"(?:hi|hello|hey) dear\b"
# An arrow pointing at a link or at where to act (arrow_to_link): "▶ bit.ly/x", "👉 카톡 상담".
ARROW_TO_LINK = r"[▶►▷☞👉➡→⇒➜➤⏩]\s*(?:https?://|www\.|[a-z0-9-]+\.[a-z]{2,}|바로|클릭|접속|상담|문의|카톡|텔레)"
# Ways to act on a scam besides a link: a phone number, an e-mail address, a chat app elsewhere.
OFF_PLATFORM = (
    r"텔레그램|텔레\s*(?:아이디|id|@)|카톡\s*(?:아이디|id|친추|상담|문의)|오픈\s*채팅",
    r"\btelegram\b|\bt\.me/|\bsignal app\b",
    r"@(?<=[\w.+-]@)[\w-]+\.[a-z]{2,}",  # an e-mail address
    r"@(?<![\w@]@)[a-z0-9_.]{3,}",  # an Instagram or Telegram handle to go and message
)
# Korean mobile and area-code numbers after their leading 0 or +82; North American ones after the 1.
_KR_NUMBER = r"(?:1[016789]|2|[3-6][1-5]|70|80)[ .-]?\d{3,4}[ .-]?\d{4}(?!\d)"
_US_NUMBER = r"[2-9]\d{2}\)?[ .-]\d{3}[ .-]\d{4}(?!\d)"
# Phone numbers, to count the distinct ones a message lists (phone_flood) or sends the reader to.
PHONE = (
    rf"\+82[ -]?{_KR_NUMBER}",
    rf"0(?<![\w+]0){_KR_NUMBER}",
    r"1(?<![\w+]1)[5-9]\d{2}[ .-]\d{4}(?!\d)",  # nationwide numbers: 1588-xxxx
    rf"\+1[ .-]?\(?{_US_NUMBER}",
    rf"1(?<![\w+]1)[ .-]?\(?{_US_NUMBER}",
    r"\((?<![\w+]\()[2-9]\d{2}\)[ .-]?\d{3}[ .-]\d{4}(?!\d)",
    r"[2-9](?<![\w+(][2-9])\d{2}[ .-]\d{3}[ .-]\d{4}(?!\d)",
)

# The customer's own voice: their order, what they bought, what happened to them. Spam talks to "you".
CUSTOMER_VOICE = (
    r"\b(?:my|our) (?:order|package|parcel|purchase|delivery|item|refund|size|return|exchange|tracking)\b",
    r"\bi (?:ordered|bought|purchased|paid|received|placed|returned|tried|can't|cannot|haven't|didn't)\b",
    r"\border (?:#|no\.? ?|number ?)\d",
    r"주문\s*(?:했|한|하려|번호|건)|(?:구매|결제|환불|교환|반품)\s*(?:했|한|하려|하고\s*싶|신청|요청|문의)",
    r"(?:샀|시켰|받았|왔|했|됐|봤|넣었|눌렀)\S{0,2}는데|저는|제가|송장\s*번호|운송장|기사\s*님",
    # Asking the shop, and crying about it: spam asks "필요하신가요?" and never writes ㅠㅠ.
    r"(?:되|있|하|왔|오|없)나요|(?:할|될|올|갈)까요|ㅠ|ㅜ",
    r"\b(?:can|could) (?:you|u) (?:please |pls |plz )?"
    r"(?:check|help|tell|send|confirm|cancel|change|update|refund|look)",
    r"\bwhen (?:will|does|do|is) (?:my|it|the|u|you)\b|\bhow (?:do|can) i\b",
)
# Someone quoting a text they received and asking whether it is real: that customer needs an answer.
ASKS_ABOUT_SCAM = (
    # In the customer's words only: spam itself says "Is this you in this video?", "you have received a
    # message" and "사기 아닙니다", so none of those may count.
    r"\bis (?:this|that|it) (?:legit|real|a scam|spam|fake|phishing|from you|from your company|really you)\b",
    r"\bdid (?:you|u) (?:guys )?(?:send|text)\b",
    r"\bi (?:just |also )?(?:got|received|keep getting|am getting) (?:this|a|an|these|some|weird|strange|suspicious)"
    r" (?:weird |strange |suspicious )?(?:texts?|messages?|sms|emails?)\b",
    r"\b(?:scam|phishing|fraud|fake)\s?\?",
    r"(?:이런|요런|이상한)\s*(?:문자|메시지|메세지|카톡|링크)",
    r"이(?<![가-힣]이)\s*(?:문자|메시지|메세지|링크)\s*(?:뭐|뭔|진짜|맞|보내|누가|스미싱|피싱)",
    r"(?:문자|메시지|메세지)\s*(?:가|를)?\s*(?:왔는데|받았는데|왔어요|받았어요|왔네요)",
    r"(?:보내신|보낸)\s*(?:거|건|것|게|문자)\s*(?:맞|인가|예요|에요)",
    r"(?:스미싱|피싱|사기|스팸)\s*(?:인가|인지|아닌가요|맞나|맞죠|같아요|같은데)",
)
# Money words a message shouting in capitals is about (caps_money), matched in any case.
MONEY_WORDS = r"[$£€₩]|\b(?:free|cash|win|winner|prize|bonus|money)\b"
