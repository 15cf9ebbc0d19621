"""The figures of an agent's SMS reply (`make bench`): AWS requests per reply to a consented customer
(the provider's own HTTP call is not an AWS request and is not counted), and provider calls per
reply when the same request is replayed three times and sent twice at once."""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

ACCOUNT = "bench-replies"
OUR_NUMBER = "+14155550188"
CUSTOMER = "+16502000088"
ACCOUNT_SID = "AC" + "8" * 32


def measure(requests: Any, twilio_token: str, sms_event: Any) -> dict[str, float | int]:
    """`requests` is the bench's RequestLog; `sms_event(frm, to, body)` a signed inbound SMS event."""
    from functions.webhooks.sms import handler
    from helpdesk import replies
    from helpdesk.auth import AgentIdentity
    from helpdesk.conversation import Channel, customer_ticket_id
    from helpdesk.store import accounts
    from infra.local.standins import StandIns

    accounts.put_account(ACCOUNT, "Bench Replies")
    accounts.add_channel_address(ACCOUNT, Channel.SMS, OUR_NUMBER)
    accounts.put_customer(ACCOUNT, Channel.SMS, CUSTOMER, "Bench Customer", "subscribed")
    assert handler(sms_event(CUSTOMER, OUR_NUMBER, "Where is my order?"), None)["statusCode"] == 200
    ticket_id = customer_ticket_id(ACCOUNT, Channel.SMS, CUSTOMER)
    stand = StandIns("http://127.0.0.1:9", account_sid=ACCOUNT_SID, auth_token=twilio_token, mail=False,
                     sms_number=OUR_NUMBER).start()
    saved = {k: os.environ.get(k) for k in ("TWILIO_API_URL", "TWILIO_ACCOUNT_SID", "WEBHOOK_BASE_URL")}
    os.environ.update({"TWILIO_API_URL": stand.url, "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
                       "WEBHOOK_BASE_URL": "https://hooks.bench.example"})
    try:
        stand.control(callbacks=False)
        who = AgentIdentity("bench-agent", ACCOUNT, ("support",))

        def reply(body: str, key: str | None = None) -> Any:
            return replies.post(who, ticket_id, {"type": "reply", "body": body}, idempotency_key=key)

        reply("warming up: clients, the account's settings")
        calls = requests.around(lambda: reply("Your order ships today."))
        sends_before = len(stand.outbox())
        with ThreadPoolExecutor(max_workers=2) as pool:
            list(pool.map(lambda _: reply("One reply, clicked twice", key="bench-click"), range(2)))
        for _ in range(3):
            reply("One reply, clicked twice", key="bench-click")
        provider_calls = len(stand.outbox()) - sends_before
    finally:
        stand.stop()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    aws = [c for c in calls if c[0] in ("dynamodb", "sqs")]
    return {"aws_calls_per_agent_reply": len(aws), "provider_calls_per_reply": provider_calls,
            "_calls": calls}
