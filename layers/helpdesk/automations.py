"""The SMS automations that work while nobody is online, run by the worker for each customer SMS
stored (the table's stream, never the webhook: the provider's request stays one write):

- the team notification email (setting `sms.notify_emails`), once per message;
- the autoresponder (setting `sms.autoresponder`), to customers who never gave SMS consent (one who
  texted STOP is never written to again), at most once per customer per day, never for spam; its
  text may name `{{organization_prefix}}` (the brand's name) and `{{email}}` (its support address).

Each is claimed by a conditional write before it is sent: a redelivered or replayed event finds the
claim and sends nothing. A crash between claim and send loses that one email or text, never doubles it.
"""
from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from helpdesk import account_settings, plans
from helpdesk.clock import now_iso
from helpdesk.conversation import Channel
from helpdesk.errors import HelpdeskError, Transient
from helpdesk.observability import count, logger
from helpdesk.store import accounts, outbox
from helpdesk.store import mail as mail_store
from helpdesk.store import tickets as ticket_store
from helpdesk.store.failures import applied
from helpdesk.store.keys import profile_pk
from helpdesk.store.models import Account, Message, Profile, Ticket
from helpdesk.ticket_events import InboundSms

VARIABLES = ("{{organization_prefix}}", "{{email}}")


def on_inbound_sms(event: InboundSms) -> None:
    account = accounts.get_account(event.account_id)
    config = account_settings.of(account)
    ticket = ticket_store.get_ticket(event.account_id, event.ticket_id)
    if ticket.spam or event.spam:
        return  # spam waits in the Spam view: nobody is told, nothing is answered
    if config["sms"]["notify_emails"]:
        notify_team(account, ticket, event, list(config["sms"]["notify_emails"]))
    auto = config["sms"]["autoresponder"]
    # The free plan has no autoresponders (SPEC §4): the setting waits for the paid plan.
    if auto.get("enabled") and (auto.get("text") or "").strip() and plans.allows(account, plans.AUTORESPONDERS):
        autorespond(account, ticket, str(auto["text"]))


def render(template: str, account: Account) -> str:
    prefix = account.name or ""
    return template.replace("{{organization_prefix}}", prefix).replace("{{email}}", account.support_email or "")


def notify_team(account: Account, ticket: Ticket, event: InboundSms, emails: list[str]) -> None:
    message = Message(ticket.pk, event.message_sk)
    if not applied(message, [Message.notified_at.set(now_iso())],
                   Message.pk.exists() & Message.notified_at.does_not_exist()):
        return  # told already (a redelivery), or the message is gone
    source = account.support_email
    if not source:
        logger.warning("no support email to send team notifications from", extra={"account_id": account.account_id})
        return
    who = ticket.contact_name or event.contact
    text = (f"{who} texted {account.name}:\n\n{event.body}\n\n"
            f"Ticket {ticket.ticket_id} ({ticket.status}); answer it in the helpdesk.")
    try:
        mail_store.send(source, emails, f"New SMS from {who}", text, automatic=True)
    except Transient:
        # Give the claim back so the redelivery (the worker fails the record) sends it.
        applied(message, [Message.notified_at.remove()], Message.pk.exists())
        raise
    except HelpdeskError as error:
        logger.warning("team notification not sent", extra={"account_id": account.account_id, "reason": error.reason})
        return
    count("sms_team_notified")


def autorespond(account: Account, ticket: Ticket, template: str) -> None:
    """Claim today's answer on the customer's profile, on condition they never gave or refused SMS
    consent and were not answered today; then send it from the number they wrote to."""
    from helpdesk import senders
    from helpdesk.providers.sending import SendRefused, Unconfirmed

    today = dt.datetime.now(dt.UTC).date().isoformat()
    profile_id = str(ticket.profile_id)
    profile = Profile(profile_pk(account.account_id, profile_id), "PROFILE")
    claimed = applied(profile, [
        Profile.type.set(Profile), Profile.account_id.set(account.account_id), Profile.profile_id.set(profile_id),
        Profile.created_at.set(Profile.created_at | now_iso()), Profile.phone.set(Profile.phone | ticket.contact),
        Profile.sms_autoreplied_on.set(today),
    ], Profile.consent_sms.does_not_exist() & (
        Profile.sms_autoreplied_on.does_not_exist() | (Profile.sms_autoreplied_on != today)))
    if not claimed:
        return
    text = render(template, account)
    try:
        sent = senders.sender(ticket)(text)
    except SendRefused as refused:
        logger.info("autoresponder refused", extra={"account_id": account.account_id, "reason": refused.reason})
        if refused.kind == "opted_out":
            accounts.revoke_consent(account.account_id, profile_id, Channel.SMS)
        return
    except Unconfirmed:
        logger.warning("autoresponder unconfirmed: Twilio may have sent it", extra={"account_id": account.account_id})
        return  # the claim stays: better none than two
    except Transient:
        applied(profile, [Profile.sms_autoreplied_on.remove()], Profile.sms_autoreplied_on == today)
        raise
    except HelpdeskError as error:  # misconfigured sender: logged, the message itself is stored
        logger.error("autoresponder not sent", extra={"account_id": account.account_id, "reason": error.reason})
        return
    _keep(ticket, text, sent.provider_id)
    count("sms_autoresponder_sent")


def _keep(ticket: Ticket, text: str, provider_id: str) -> None:
    """The autoresponse in the ticket's conversation, so agents see what the customer was told.
    Only the message is written: the ticket itself (its views, its version) does not move. Its
    Twilio id is claimed as a ref (outbox.record_sent) so the delivery reports of the StatusCallback
    it was sent with reach it, a report that came first included."""
    now = now_iso()
    message_id = "auto-" + secrets.token_hex(8)
    extra: dict[str, Any] = {"delivery": "queued", "delivery_rank": outbox.RANK["queued"]}
    message = Message(ticket.pk, f"M#{now}#{message_id}", message_id=message_id, ticket_id=ticket.ticket_id,
                      channel=ticket.channel, direction="outbound", body=text, created_at=now,
                      sender="autoresponder", automatic=True, extra=extra)
    message.save()
    outbox.record_sent(message, provider_id)
