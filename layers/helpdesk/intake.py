"""The intake service: one inbound message stored exactly once in the ticket the rules choose.
Retries, replays and racing deliveries all end the same way. Ticket events for assignment follow
from the committed write through the table's stream (the webhook sends nothing else).

Each channel has a plan: which ticket to try first, and where to go when the table says otherwise.
Every try is one conditional transaction; a failed try's cancellation reasons carry the ticket as
it is, which `conversation.decide` turns into the next try. Ticket ids of new tickets are derived
from what every racing delivery knows alike, so racers meet on one conditional put.
"""
from __future__ import annotations

import random
import time
from dataclasses import dataclass, replace

from helpdesk import keywords, plans, spam
from helpdesk.conversation import (
    PER_CUSTOMER_CHANNELS,
    Action,
    Channel,
    CurrentTicket,
    InboundMessage,
    customer_ticket_id,
    decide,
    derived_ticket_id,
    next_conversation_id,
)
from helpdesk.errors import BadRequest, Transient, UnknownAddress
from helpdesk.observability import count, logger
from helpdesk.store import accounts
from helpdesk.store.inbound import (
    Contended,
    Duplicate,
    Mismatch,
    NewTicket,
    Outcome,
    PointerMoved,
    Stored,
    TicketStore,
)
from helpdesk.store.keys import sender_scoped

MAX_ATTEMPTS = 10


@dataclass(frozen=True)
class Ingested:
    ticket_id: str | None
    event: str  # created / reopened / message / stored / keyword / dropped
    duplicate: bool = False
    conversation_id: str | None = None
    reply: str | None = None  # what to answer the sender inline (SMS HELP: the account's help text)


@dataclass(frozen=True)
class Try:
    """One write to attempt: which ticket, how, and what a new ticket would start with."""

    action: Action
    ticket_id: str
    current: CurrentTicket | None = None
    new: NewTicket | None = None


class Plan:
    """Per-customer channels (SMS, WhatsApp): one ticket per customer, reopened by every message.

    The first try assumes the ticket is open (a follow-up, nine messages in ten: the lightest write
    there is). When it does not exist yet, the next try puts the ticket alone; the customer's contact
    and profile follow from the stream (`assignment.link_customer`), off the webhook's path.

    Measured and not done: one upsert (SET ... if_not_exists) serving first messages and follow-ups
    alike costs a new ticket one request instead of two, but it needs some twenty update actions,
    and moto's update-expression handling grows faster than linearly with them: every follow-up
    took 1.5-2x the floor's time (`make bench`, ingest_vs_floor_ratio 1.9-2.4), against 1.1x now."""

    links_customer_later = True

    def __init__(self, store: TicketStore, account_id: str, msg: InboundMessage):
        self.store, self.account_id, self.msg = store, account_id, msg

    def first(self) -> Try:
        tid = customer_ticket_id(self.account_id, self.msg.channel, self.msg.contact)
        return Try(Action.JOIN, tid, new=NewTicket(tid))

    def next(self, tried: Try, current: CurrentTicket | None) -> Try:
        decision = decide(self.msg.channel, self.msg.contact, current, automatic=self.msg.automatic)
        if decision.action is Action.OPEN_NEW:
            assert tried.new is not None
            return Try(Action.OPEN_NEW, tried.new.ticket_id, new=tried.new)
        return Try(decision.action, tried.ticket_id, current=current, new=tried.new)

    def open(self, attempt: Try) -> Outcome:
        assert attempt.new is not None
        return self.store.open(self.account_id, attempt.new, self.msg,
                               with_customer=not self.links_customer_later)


class InstagramPlan(Plan):
    """A new ticket per DM while none is open; once closed, the next message opens the next one.
    The contact item counts the customer's tickets (`generation`), so the current one is derived."""

    links_customer_later = False

    def first(self) -> Try:
        self.contact = self.store.contact(self.account_id, Channel.INSTAGRAM, self.msg.contact)
        generation = int(self.contact.generation or 0) if self.contact else 0
        return Try(Action.JOIN, self._tid(generation), new=NewTicket(self._tid(generation), generation=generation))

    def _tid(self, generation: int) -> str:
        return derived_ticket_id(self.account_id, "instagram", self.msg.contact, str(generation))

    def next(self, tried: Try, current: CurrentTicket | None) -> Try:
        assert tried.new is not None and tried.new.generation is not None
        decision = decide(Channel.INSTAGRAM, self.msg.contact, current)
        if decision.action is not Action.OPEN_NEW:
            return Try(decision.action, tried.ticket_id, current=current, new=tried.new)
        if current is None:  # the current generation's ticket does not exist yet
            return Try(Action.OPEN_NEW, tried.ticket_id, new=tried.new)
        following = tried.new.generation + 1
        return Try(Action.OPEN_NEW, self._tid(following),
                   new=NewTicket(self._tid(following), generation=tried.new.generation, bump=1))

    def open(self, attempt: Try) -> Outcome:
        assert attempt.new is not None
        return self.store.open(self.account_id, attempt.new, self.msg, contact=self.contact)


class WebchatPlan(Plan):
    """Every conversation is its own ticket; a message to a closed one starts the next conversation."""

    links_customer_later = False

    looked_up = False  # the visitor's newest conversation was read already

    def first(self) -> Try:
        conversation = self.msg.conversation_id
        if not conversation:
            raise BadRequest("a web-chat message needs its conversation")
        attempt = self._join(conversation)
        if self.msg.extra.get("new_conversation") == "true":
            return replace(attempt, action=Action.OPEN_NEW)  # nothing to join yet: skip the try
        return attempt

    def _join(self, conversation: str) -> Try:
        tid = derived_ticket_id(self.account_id, "webchat", self.msg.contact, conversation)
        return Try(Action.JOIN, tid, new=NewTicket(tid, conversation_id=conversation))

    def next(self, tried: Try, current: CurrentTicket | None) -> Try:
        assert tried.new is not None and tried.new.conversation_id is not None
        decision = decide(Channel.WEBCHAT, self.msg.contact, current)
        if decision.action is not Action.OPEN_NEW:
            return Try(decision.action, tried.ticket_id, current=current, new=tried.new)
        if current is None:
            return Try(Action.OPEN_NEW, tried.ticket_id, new=tried.new)
        if not self.looked_up:
            # A closed conversation: rather than walk the chain of every conversation closed since
            # (a try each), one read of the visitor's newest conversation jumps to its end.
            self.looked_up = True
            contact = self.store.contact(self.account_id, Channel.WEBCHAT, self.msg.contact)
            latest = contact.latest_conversation if contact else None
            if latest and latest != tried.new.conversation_id:
                return self._join(str(latest))
        # The next conversation is almost always new: open it; a racer that opened it first makes
        # this a Mismatch carrying it, and the message joins it then.
        return replace(self._join(next_conversation_id(tried.new.conversation_id)), action=Action.OPEN_NEW)


class EmailPlan(Plan):
    """Every thread is a ticket; a reply (by Message-ID or our plus-addressed reply token) from the
    ticket's own customer joins it and reopens it however old; automatic mail wakes nothing."""

    links_customer_later = False

    def first(self) -> Try:
        msg = self.msg
        if msg.extra.get("dmarc_verdict") == "FAIL":
            # The From cannot be trusted (its domain's DMARC says this mail is not theirs): it never
            # joins a ticket of that address, by thread or by reply token; it starts its own.
            tid = derived_ticket_id(self.account_id, "email", msg.contact, "unverified:" + msg.provider_message_id)
            return Try(Action.OPEN_NEW, tid, new=NewTicket(tid, subject=msg.subject))
        ids = list(msg.thread_ids)
        # Our own Message-IDs as they are; the customer's own earlier mails scoped by their sender.
        keys = [k for i in ids for k in (i, sender_scoped(msg.contact, i))]
        refs = self.store.refs(self.account_id, Channel.EMAIL, keys) if keys else {}
        known = next((refs[k].ticket_id for k in keys if k in refs and refs[k].ticket_id), None)
        root = msg.thread_ids[-1] if msg.thread_ids else msg.provider_message_id
        # A new thread's ticket is derived from its root and its sender: everyone replying to one
        # newsletter gets a ticket of their own.
        tid = derived_ticket_id(self.account_id, "email", msg.contact, root)
        new = NewTicket(tid, subject=msg.subject)
        target = known or msg.thread_token
        if target:
            return Try(Action.STORE_ONLY if msg.automatic else Action.JOIN, target, new=new)
        return Try(Action.OPEN_NEW, tid, new=new)

    def next(self, tried: Try, current: CurrentTicket | None) -> Try:
        assert tried.new is not None
        decision = decide(Channel.EMAIL, self.msg.contact, current, automatic=self.msg.automatic)
        if decision.action is Action.OPEN_NEW or current is None:
            return Try(Action.OPEN_NEW, tried.new.ticket_id, new=tried.new)
        return Try(decision.action, tried.ticket_id, current=current, new=tried.new)


PLANS: dict[Channel, type[Plan]] = {
    Channel.SMS: Plan, Channel.WHATSAPP: Plan, Channel.INSTAGRAM: InstagramPlan,
    Channel.WEBCHAT: WebchatPlan, Channel.EMAIL: EmailPlan,
}


def _write(plan: Plan, attempt: Try) -> Outcome:
    msg = plan.msg
    if attempt.action is Action.OPEN_NEW:
        return plan.open(attempt)
    return plan.store.append(plan.account_id, attempt.ticket_id, msg, current=attempt.current,
                             wake=attempt.action is Action.REOPEN,
                             quiet=attempt.action is Action.STORE_ONLY or msg.direction != "inbound")


def _screened(account_id: str, msg: InboundMessage) -> InboundMessage:
    """SMS, WhatsApp, Instagram and web chat get the spam heuristics (email comes with SES's
    verdicts): a new ticket from spam starts in the Spam view, unassigned, and is never answered.

    Spam filtering is a paid feature (SPEC §4), and the plan is on the Account, which this path
    does not otherwise read (the address lookup gives the account id only; one transaction per
    message is the target). So the heuristics, which cost no request, run first, and the plan is
    read only for a message they call spam: a rare one, and then from the per-container account
    cache. A free-plan account's message is stored as any other."""
    if msg.direction != "inbound" or msg.spam or msg.channel.value not in spam.CHANNELS:
        return msg
    verdict = spam.check(msg.body, channel=msg.channel.value, media_count=len(msg.media))
    if not verdict.spam:
        return msg
    if not plans.allows(accounts.get_account(account_id), plans.SPAM_FILTERING):
        count("spam_not_screened")
        return msg
    count("spam_detected")
    return replace(msg, spam=True, extra={**msg.extra, "spam": ",".join(verdict.reasons) or "heuristics"})


def ingest(account_id: str, msg: InboundMessage, store: TicketStore | None = None) -> Ingested:
    """Store `msg` once. Safe to call again with the same message: a replay writes nothing."""
    msg = _screened(account_id, msg)
    plan = PLANS[msg.channel](store or TicketStore(), account_id, msg)
    attempt = plan.first()
    for round_ in range(MAX_ATTEMPTS):
        outcome = _write(plan, attempt)
        if isinstance(outcome, Stored):
            return _announce(account_id, attempt, outcome.event, msg, duplicate=False)
        if isinstance(outcome, Duplicate):
            # Stored already, and its ticket event went out with the write that stored it.
            return _announce(account_id, replace(attempt, ticket_id=outcome.ticket_id or attempt.ticket_id),
                             outcome.event, msg, duplicate=True)
        if isinstance(outcome, Mismatch):
            if msg.direction != "inbound":
                # The brand's own echoed message: kept on the customer's ticket as it is (also a
                # closed one), never reopening it and never starting one. Without a ticket it
                # overtook its customer's message (or the brand wrote first): kept where that
                # message's ticket will be.
                if outcome.current is None:
                    parked = plan.store.park(account_id, attempt.ticket_id, msg)
                    if isinstance(parked, Contended):
                        time.sleep(random.uniform(0, 0.01 * 2 ** round_))
                        continue
                    return _announce(account_id, attempt, "stored", msg, duplicate=isinstance(parked, Duplicate))
                attempt = Try(Action.STORE_ONLY, outcome.current.ticket_id, current=outcome.current, new=attempt.new)
                continue
            attempt = plan.next(attempt, outcome.current)
            continue
        if isinstance(outcome, PointerMoved):
            attempt = plan.first()
            continue
        assert isinstance(outcome, Contended)
        time.sleep(random.uniform(0, 0.01 * 2 ** round_))
    raise Transient("ticket kept changing; retry the delivery")


def _announce(account_id: str, attempt: Try, event: str, msg: InboundMessage, *, duplicate: bool) -> Ingested:
    ticket_id = attempt.ticket_id
    logger.info("message stored", extra={"account_id": account_id, "ticket_id": ticket_id,
                                         "channel": msg.channel.value, "event": event,
                                         "direction": msg.direction, "duplicate": duplicate})
    conversation = attempt.new.conversation_id if attempt.new else None
    return Ingested(ticket_id, event, duplicate, conversation)


def handle_keyword(account_id: str, msg: InboundMessage, keyword: keywords.Keyword) -> Ingested:
    """A compliance keyword changes consent; it never becomes a ticket message."""
    if keyword is keywords.Keyword.HELP:
        logger.info("help keyword", extra={"account_id": account_id, "channel": msg.channel.value})
        return Ingested(None, "keyword", reply=accounts.get_account(account_id).help_text or None)
    consent = "unsubscribed" if keyword is keywords.Keyword.OPT_OUT else "subscribed"
    first = accounts.set_consent(account_id, msg.channel, msg.contact, msg.provider_message_id, consent,
                                 msg.contact_name)
    logger.info("consent keyword", extra={"account_id": account_id, "channel": msg.channel.value,
                                          "consent": consent, "duplicate": not first})
    if first:
        count(f"consent_{consent}")
    return Ingested(None, "keyword", duplicate=not first)


def receive(msg: InboundMessage) -> Ingested:
    """Entry point of the webhooks: find the account, then keyword or ticket message."""
    address = accounts.channel_address(msg.channel, msg.account_address)
    # Only text the customer typed can be a keyword: a tapped button titled "Stop" is an answer.
    typed = not msg.media and msg.extra.get("type", "text") == "text" and "ButtonText" not in msg.extra
    keyword = keywords.classify(msg.body) if msg.channel in PER_CUSTOMER_CHANNELS and typed else None
    if keyword is not None:
        return handle_keyword(address.account_id, msg, keyword)
    return ingest(address.account_id, msg)


def known_addresses(channel: Channel, addresses: set[str]) -> dict[str, str]:
    """The batch's addresses that belong to an account, with the account. Messages to the others
    are left out (logged), the rest taken; a batch to no account at all is UnknownAddress (404), so
    a misconfigured number or page shows at once."""
    owners: dict[str, str] = {}
    for address in sorted(addresses):
        try:
            owners[address] = accounts.channel_address(channel, address).account_id
        except UnknownAddress:
            continue
    if addresses and not owners:
        raise UnknownAddress(f"no account receives {channel.value} at these addresses")
    return owners


def log_skipped(kind: str, skipped: int) -> None:
    if skipped:
        logger.warning("notification elements left out", extra={"channel": kind, "skipped": skipped})
