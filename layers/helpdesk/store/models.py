"""The single table: one pynamodb model per entity, told apart by the `type` discriminator.

Every key begins with the account (`A#<account>`), so no query can cross brands. Partition keys are
per entity instance (ticket, contact, profile), not per account, so one busy brand spreads over
many partitions. The access patterns are listed in README.md ("Data model").
"""
from __future__ import annotations

import os
from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    DiscriminatorAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, IncludeProjection, KeysOnlyProjection
from pynamodb.models import Model


def _region() -> str:
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"


class _Index(GlobalSecondaryIndex):
    """Base of the three overloaded indexes; each names its own key attributes."""


class Gsi1(_Index):
    """Tickets by status (`A#a#ST#<status>` / `A#a#SPAM`), newest first; also inbound address -> account;
    a customer's marketing events of one metric (`A#a#P#<profile>#EV#<metric>`), newest first."""

    class Meta:
        index_name = "gsi1"
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


class Gsi2(_Index):
    """Tickets by assignee and status (`A#a#AS#<agent or ->#<status>`), newest first."""

    class Meta:
        index_name = "gsi2"
        projection = AllProjection()

    gsi2pk = UnicodeAttribute(hash_key=True)
    gsi2sk = UnicodeAttribute(range_key=True)


class Gsi3(_Index):
    """Every ticket of an account that is not spam (`A#a#ALL`), newest first; every marketing event of
    a customer (`A#a#P#<profile>#EV`), newest first."""

    class Meta:
        index_name = "gsi3"
        projection = AllProjection()

    gsi3pk = UnicodeAttribute(hash_key=True)
    gsi3sk = UnicodeAttribute(range_key=True)


class Gsi4(_Index):
    """Work due at a time (`A#a#DUE`, sorted by `<due_at>#<kind>#<ticket>`): snooze wake-ups and
    web-chat follow-up emails, found by the scheduled sweep with one Query per account."""

    class Meta:
        index_name = "gsi4"
        projection = AllProjection()

    gsi4pk = UnicodeAttribute(hash_key=True)
    gsi4sk = UnicodeAttribute(range_key=True)


class Gsi5(GlobalSecondaryIndex):
    """Open tickets by the start of their customer's silence (`A#a#IDLE`, sorted by
    `<idle_since>#<ticket>`): the auto-close sweep reads `<= now - period` and so only tickets that
    are due. Sparse (open, not spam) and INCLUDE-projected with what the close writes needs, so a
    write that changes neither those nor the keys costs the index nothing."""

    class Meta:
        index_name = "gsi5"
        projection = IncludeProjection(["type", "ticket_id", "account_id", "assignee_id", "status"])

    gsi5pk = UnicodeAttribute(hash_key=True)
    gsi5sk = UnicodeAttribute(range_key=True)


class Gsi6(GlobalSecondaryIndex):
    """Tickets by their customer's profile (`A#a#P#<profile>#T`, sorted by `<created_at>#<ticket>`):
    the ticket screen counts a profile's tickets with one Query (Select=COUNT). Sparse (tickets only)
    and KEYS_ONLY: filed when the ticket is created, moved only if its profile changes, so the many
    writes of a ticket's life cost the index nothing."""

    class Meta:
        index_name = "gsi6"
        projection = KeysOnlyProjection()

    gsi6pk = UnicodeAttribute(hash_key=True)
    gsi6sk = UnicodeAttribute(range_key=True)


class Gsi7(GlobalSecondaryIndex):
    """Each agent's open tickets (`A#a#LOAD#<agent>`, by ticket id): assignment counts an agent's load with
    one Query (Select=COUNT). Sparse (open, assigned, not spam) and KEYS_ONLY, so a count reads ~100 bytes
    per ticket rather than the whole ticket My inbox (gsi2) would, and the index is written only when a
    ticket's assignee or open status changes (helpdesk/store/keys.py `index_keys` files it)."""

    class Meta:
        index_name = "gsi7"
        projection = KeysOnlyProjection()

    gsi7pk = UnicodeAttribute(hash_key=True)
    gsi7sk = UnicodeAttribute(range_key=True)


class Item(Model):
    """Base of every entity: generic keys, the discriminator and the index attributes."""

    class Meta:
        table_name = os.environ.get("TABLE_NAME", "helpdesk")
        region = _region()
        billing_mode = "PAY_PER_REQUEST"
        stream_view_type = "NEW_AND_OLD_IMAGES"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    type = DiscriminatorAttribute()
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    gsi2pk = UnicodeAttribute(null=True)
    gsi2sk = UnicodeAttribute(null=True)
    gsi3pk = UnicodeAttribute(null=True)
    gsi3sk = UnicodeAttribute(null=True)
    gsi4pk = UnicodeAttribute(null=True)
    gsi4sk = UnicodeAttribute(null=True)
    gsi5pk = UnicodeAttribute(null=True)
    gsi5sk = UnicodeAttribute(null=True)
    gsi6pk = UnicodeAttribute(null=True)
    gsi6sk = UnicodeAttribute(null=True)
    gsi7pk = UnicodeAttribute(null=True)
    gsi7sk = UnicodeAttribute(null=True)

    gsi1 = Gsi1()
    gsi2 = Gsi2()
    gsi3 = Gsi3()
    gsi4 = Gsi4()
    gsi5 = Gsi5()
    gsi6 = Gsi6()
    gsi7 = Gsi7()


def plain_map(value: Any) -> dict[str, Any]:
    """A MapAttribute's value (or a dict, or nothing) as a plain dict: what reading an item's map gives."""
    if hasattr(value, "as_dict"):
        return dict(value.as_dict())
    return dict(value) if isinstance(value, dict) else {}


def account_pk(account_id: str) -> str:
    return f"A#{account_id}"


class Account(Item, discriminator="account"):
    """A brand. pk=`A#<account>`, sk=`ACCOUNT`; gsi1pk=`ACCOUNTS` lists the brands of the deployment
    for the scheduled sweep (its one way in that does not start from an account)."""

    account_id = UnicodeAttribute()
    name = UnicodeAttribute()
    plan = UnicodeAttribute(default="helpdesk")  # "inbox" (free) or "helpdesk" (paid)
    help_text = UnicodeAttribute(null=True)
    support_email = UnicodeAttribute(null=True)  # web chat follow-ups and email replies come from it
    # The account's own web-chat identity secret; without it, the deployment's WEBCHAT_SECRET.
    webchat_secret = UnicodeAttribute(null=True)
    # Office hours: {"timezone": "Asia/Seoul", "weekly": {"mon": [["09:00", "18:00"]], ...},
    # "holidays": ["2026-12-25"]}; autoresponder: {"webchat": {"open": "...", "closed": "..."}}
    office_hours: MapAttribute[str, Any] = MapAttribute(null=True)
    autoresponder: MapAttribute[str, Any] = MapAttribute(null=True)
    # GET/PATCH /api/settings (helpdesk/account_settings.py): auto-close, SMS, unread badge,
    # attribution; `settings_version` goes up with each change (concurrent changes both land).
    settings: MapAttribute[str, Any] = MapAttribute(null=True)
    settings_version = NumberAttribute(null=True)


class ChannelAddress(Item, discriminator="channel_address"):
    """One of a brand's inbound addresses. pk=`A#<account>`, sk=`CHANNEL#<channel>#<address>`;
    gsi1pk=`ADDR#<channel>#<address>` finds the account of an inbound message (the one key that
    cannot start with the account: it is how a message finds its account)."""

    account_id = UnicodeAttribute()
    channel = UnicodeAttribute()
    address = UnicodeAttribute()
    display_address = UnicodeAttribute(null=True)  # WhatsApp: the number behind phone_number_id


class Agent(Item, discriminator="agent"):
    """A helpdesk user of one account. pk=`A#<account>`, sk=`AGENT#<agent id = Cognito sub>`. Made
    (with its Membership) when an owner or admin invites the user: the account and role of every
    request come from here, never from the token."""

    agent_id = UnicodeAttribute()
    account_id = UnicodeAttribute(null=True)
    name = UnicodeAttribute(null=True)
    email = UnicodeAttribute(null=True)
    role = UnicodeAttribute(null=True)
    active = BooleanAttribute(default=True)  # deactivated: no access, no tickets
    online = BooleanAttribute(default=False)
    presence_at = UnicodeAttribute(null=True)  # the latest heartbeat; online expires without one
    invited_by = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute(null=True)
    # At most this many open tickets from the rotation (None: no limit); a person may still give more.
    capacity = NumberAttribute(null=True)


class Membership(Item, discriminator="membership"):
    """Which account a user of the pool belongs to. pk=`USER#<sub>`, sk=`MEMBERSHIP`: the one way in
    that cannot start with the account (like an inbound address), read with one consistent GetItem.
    Put in one transaction with the Agent item, on condition that neither exists: two brands inviting
    one person at once cannot both have them."""

    account_id = UnicodeAttribute()
    created_at = UnicodeAttribute(null=True)


class WebchatSession(Item, discriminator="webchat_session"):
    """The conversations one widget session started. pk=`A#<account>#WCS#<session id>`, sk=`SESSION`;
    gone (TTL `expires_at`) a day after the session's token expired."""

    started = UnicodeSetAttribute(null=True)
    expires_at = NumberAttribute(null=True)


class SignatureToken(Item, discriminator="signature_token"):
    """A provider signature seen (Mailgun's token). pk=`MAILGUN#<token>`, sk=`TOKEN`: the digest of
    the body it signed, kept while the signature is fresh (TTL `expires_at`), so a captured
    signature cannot carry another body."""

    digest = UnicodeAttribute()
    expires_at = NumberAttribute(null=True)


class Rota(Item, discriminator="rota"):
    """A round-robin cursor of an account: everyone's (sk=`AGENT~ROTA`) or a team's (`AGENT~ROTA#<team>`).
    pk=`A#<account>`; the sort keys follow every `AGENT#` item, so one Query reads the agents and every
    cursor together. Each assignment moves its cursor on condition of `turns`: decisions of one rotation
    are taken one at a time."""

    last_agent_id = UnicodeAttribute(null=True)
    turns = NumberAttribute(default=0)


class Contact(Item, discriminator="contact"):
    """A customer's address on a channel. pk=`A#<account>#C#<channel>#<address>`, sk=`CONTACT`."""

    account_id = UnicodeAttribute()
    channel = UnicodeAttribute()
    address = UnicodeAttribute()
    profile_id = UnicodeAttribute()
    name = UnicodeAttribute(null=True)
    first_seen_at = UnicodeAttribute(null=True)
    # Instagram: which of the customer's tickets is current (a new one after each close).
    generation = NumberAttribute(null=True)
    # Web chat: the visitor's newest conversation, where a message to a long-closed one continues.
    latest_conversation = UnicodeAttribute(null=True)


class Profile(Item, discriminator="profile"):
    """A customer. pk=`A#<account>#P#<profile>`, sk=`PROFILE`. Consent is per channel:
    `subscribed`, `unsubscribed` or absent (never asked)."""

    account_id = UnicodeAttribute()
    profile_id = UnicodeAttribute()
    name = UnicodeAttribute(null=True)
    email = UnicodeAttribute(null=True)
    phone = UnicodeAttribute(null=True)
    consent_sms = UnicodeAttribute(null=True)
    consent_whatsapp = UnicodeAttribute(null=True)
    consent_email = UnicodeAttribute(null=True)
    consent_updated_at = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute(null=True)
    # The day (UTC, YYYY-MM-DD) the SMS autoresponder last answered this customer: once a day at most.
    sms_autoreplied_on = UnicodeAttribute(null=True)
    # From the marketing system (POST /api/profile-events): its segments, and its predictive analytics
    # {lifetime_value, order_count, churn_risk, expected_next_order_date}, each as it last sent them.
    segments = ListAttribute(of=UnicodeAttribute, null=True)
    predictive: MapAttribute[str, Any] = MapAttribute(null=True)
    marketing_updated_at = UnicodeAttribute(null=True)


class Ticket(Item, discriminator="ticket"):
    """A ticket. pk=`A#<account>#T#<ticket>`, sk=`TICKET`; its messages share the partition.
    Views: gsi1 (status), gsi2 (assignee + status), gsi3 (all but spam), sorted by `<updated_at>#<id>`."""

    account_id = UnicodeAttribute()
    ticket_id = UnicodeAttribute()
    channel = UnicodeAttribute()
    contact = UnicodeAttribute()
    profile_id = UnicodeAttribute(null=True)
    status = UnicodeAttribute()
    assignee_id = UnicodeAttribute(null=True)
    tags = ListAttribute(of=UnicodeAttribute, default=list)
    spam = BooleanAttribute(default=False)
    snooze_until = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    last_inbound_at = UnicodeAttribute(null=True)
    message_count = NumberAttribute(default=0)
    reopen_count = NumberAttribute(default=0)
    subject = UnicodeAttribute(null=True)  # email
    preview = UnicodeAttribute(null=True)  # the first message's first line, for ticket lists (set once)
    conversation_id = UnicodeAttribute(null=True)  # web chat
    last_outbound_at = UnicodeAttribute(null=True)  # the latest agent reply
    # Web chat: the customer's presence and reading, for the one follow-up email.
    customer_email = UnicodeAttribute(null=True)
    contact_name = UnicodeAttribute(null=True)  # the name the channel gave (until the contact holds it)
    authenticated = BooleanAttribute(null=True)
    customer_online = BooleanAttribute(null=True)
    customer_read_at = UnicodeAttribute(null=True)
    followup_sent_for = UnicodeAttribute(null=True)
    # Bumped by every write of the ticket (intake, agents, assignment, the sweep): an agent's
    # `If-Match`, and the condition of every read-then-write change.
    version = NumberAttribute(null=True)
    # Why the ticket has its assignee: JSON (helpdesk/routing.py `reason_json`: kind, rule, team, the agent's
    # load, who else was eligible); older tickets hold a bare `round_robin` / `manual`.
    assignment_reason = UnicodeAttribute(null=True)
    team_id = UnicodeAttribute(null=True)  # the team a routing rule sent it to
    # Each tag's source (ai with its confidence, rule, agent) as JSON, and the tags an agent removed, which
    # the auto-tagger never adds again (helpdesk/tagging.py).
    tag_sources = UnicodeAttribute(null=True)
    tags_rejected = ListAttribute(of=UnicodeAttribute, null=True)
    priority = UnicodeAttribute(null=True)  # low / normal / high / urgent, set by a routing rule
    # The version the ticket had once its assignee was last set: an event older than that must not
    # move the ticket (a person, or the rotation, decided after it).
    assigned_version = NumberAttribute(null=True)
    # Our address the customer wrote to (SMS number, WhatsApp phone number id or Twilio number,
    # Instagram account): replies go out from it.
    channel_address = UnicodeAttribute(null=True)
    auto_closed = BooleanAttribute(null=True)  # closed by the sweep for the customer's silence
    # What the order skill did with the ticket (the reports' deflection and resolution): `answered` once it
    # answered the customer itself, `handed_off` once it handed the ticket to a person.
    skill_outcome = UnicodeAttribute(null=True)
    skill_outcome_at = UnicodeAttribute(null=True)
    # When the customer wrote their latest message, as the provider says (Meta's timestamp; else
    # its arrival): the customer-service windows of WhatsApp and Instagram run from it.
    customer_wrote_at = UnicodeAttribute(null=True)
    # Agent id -> when they last opened the ticket: unread for them while the customer's latest
    # message is newer. Written only when it changes (opening a read ticket writes nothing).
    read_by: MapAttribute[str, Any] = MapAttribute(null=True)
    # The campaign or flow the ticket's first attributed SMS answered: {kind, source_id, message_id}
    # (helpdesk/attribution.py). Written without a version bump: nobody edits it.
    attribution: MapAttribute[str, Any] = MapAttribute(null=True)
    # The first reply by a person (not a note, not an automatic message), and who wrote it: set with
    # that reply, in its transaction, only if not set yet (helpdesk/store/outbox.py). The reports'
    # first response time (docs/metrics.md) runs from `created_at` to it.
    first_response_at = UnicodeAttribute(null=True)
    first_responder_id = UnicodeAttribute(null=True)


class Team(Item, discriminator="team"):
    """A team of agents. pk=`A#<account>`, sk=`ROUTING#TEAM#<team id>`: one Query of `ROUTING#` reads every
    team and the rules together (assignment's one read of the routing)."""

    team_id = UnicodeAttribute()
    name = UnicodeAttribute()
    members = ListAttribute(of=UnicodeAttribute, default=list)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()


class RoutingRules(Item, discriminator="routing_rules"):
    """The account's routing rules, in order (first match wins), as one JSON document. pk=`A#<account>`,
    sk=`ROUTING#RULES`; replaced whole, on condition of `version`."""

    rules = UnicodeAttribute(default="[]")
    version = NumberAttribute(default=0)
    updated_at = UnicodeAttribute(null=True)
    updated_by = UnicodeAttribute(null=True)


class Message(Item, discriminator="message"):
    """A message of a ticket. pk=`A#<account>#T#<ticket>`, sk=`M#<created_at>#<message id>`."""

    message_id = UnicodeAttribute()
    ticket_id = UnicodeAttribute()
    channel = UnicodeAttribute()
    direction = UnicodeAttribute()  # inbound / outbound / note
    body = UnicodeAttribute(default="")
    deleted = BooleanAttribute(default=False)
    automatic = BooleanAttribute(default=False)
    created_at = UnicodeAttribute()
    sender = UnicodeAttribute(null=True)
    media = ListAttribute(of=MapAttribute, default=list)
    # provider extras: reply context, provider timestamp, ...
    extra: MapAttribute[str, Any] = MapAttribute(default=dict)
    story: MapAttribute[str, Any] = MapAttribute(null=True)  # Instagram story reply or mention: {id, url}
    # The team-notification email of an inbound SMS was claimed (sent once, whatever redelivers).
    notified_at = UnicodeAttribute(null=True)
    # An inbound SMS: the campaign or flow message it answered, {kind, source_id, message_id}, or {}
    # for none; absent until the attribution worker has decided (helpdesk/attribution.py).
    attribution: MapAttribute[str, Any] = MapAttribute(null=True)


class Link(Item, discriminator="link"):
    """A shortened link of an outbound SMS. pk=`L#<code>`, sk=`LINK`: the one way in is the code in
    the URL (like an inbound address, it cannot start with the account). `clicks` counts every
    redirect; the message (and campaign or flow, when known) it was in say whose click it was."""

    account_id = UnicodeAttribute()
    url = UnicodeAttribute()
    ticket_id = UnicodeAttribute(null=True)
    message_id = UnicodeAttribute(null=True)
    source_kind = UnicodeAttribute(null=True)  # campaign / flow
    source_id = UnicodeAttribute(null=True)
    clicks = NumberAttribute(default=0)
    created_at = UnicodeAttribute(null=True)
    last_click_at = UnicodeAttribute(null=True)


class MessageRef(Item, discriminator="message_ref"):
    """The provider's message id, claimed once. pk=`A#<account>#REF#<channel>#<provider id>`,
    sk=`REF`. Its conditional put is what makes intake exactly once; it also remembers where the
    message went and which ticket event it caused, so a replay can re-send that event."""

    ticket_id = UnicodeAttribute(null=True)
    message_sk = UnicodeAttribute(null=True)
    event = UnicodeAttribute()  # created / reopened / message / keyword / outbound / status
    created_at = UnicodeAttribute()
    # Our sent message's provider id: a delivery status that came before the send was recorded,
    # kept a day (TTL `expires_at`) unless the record of the send claims the ref meanwhile.
    delivery = UnicodeAttribute(null=True)
    expires_at = NumberAttribute(null=True)


class Macro(Item, discriminator="macro"):
    """A pre-written reply of an account. pk=`A#<account>`, sk=`MACRO#<id>`: one Query of the
    account's partition lists them."""

    macro_id = UnicodeAttribute()
    name = UnicodeAttribute()
    body = UnicodeAttribute()
    created_by = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute(null=True)
    updated_at = UnicodeAttribute(null=True)


class View(Item, discriminator="view"):
    """A custom view saved from filters. pk=`A#<account>`, sk=`VIEW#<id>`: one Query of the
    account's partition lists them (the index worker reads them so too). Its tickets are kept as
    ViewEntry items by the view-index worker from the table's stream; `generation` goes up when the
    filters change (a new set of entries is built; the old one is deleted), `built` says whether the
    entries of the current generation hold every matching ticket yet."""

    view_id = UnicodeAttribute()
    name = UnicodeAttribute()
    filters: MapAttribute[str, Any] = MapAttribute(default=dict)
    sort = UnicodeAttribute(default="newest")  # newest / oldest updated first
    generation = NumberAttribute(default=1)
    built = BooleanAttribute(default=False)
    # Where the build goes on from: the last ticket key read (JSON), written with each step.
    build_cursor = UnicodeAttribute(null=True)
    retired_generation = NumberAttribute(null=True)  # entries of it are still to delete
    created_by = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute(null=True)
    updated_at = UnicodeAttribute(null=True)


class ViewEntry(Item, discriminator="view_entry"):
    """A ticket in a custom view: pk=`A#<account>#V#<view>#<generation>`, sk=`T#<ticket>`, one per
    ticket and view. While the ticket matches, gsi1 files it by `<updated_at>#<ticket>` under the
    same partition and `ticket` holds the ticket as stored (so a page of the view reads only its own
    entries); once it no longer matches, the keys and the copy go and the entry stays a day as a
    tombstone, so an older copy arriving late (the build racing the stream) cannot bring it back.
    `ticket_version` orders the writes."""

    ticket_id = UnicodeAttribute()
    ticket_version = NumberAttribute(default=0)
    ticket = UnicodeAttribute(null=True)  # the Ticket item as DynamoDB JSON
    status = UnicodeAttribute(null=True)  # the ticket's, for a page of the view filtered by status
    expires_at = NumberAttribute(null=True)


class ProfileEvent(Item, discriminator="profile_event"):
    """A customer's event from the marketing system (an order placed, an email opened).
    pk=`A#<account>#EV#<event id>`, sk=`EVENT`: keyed by the event's own id, so its conditional put
    stores a replay never twice. Listed newest first through gsi3 (`A#a#P#<profile>#EV`, every metric)
    and gsi1 (`A#a#P#<profile>#EV#<metric>`, one metric: reading it reads no other metric's events),
    both sorted by `<occurred_at>#<event id>`. Gone (TTL `expires_at`) some 400 days after it came."""

    event_id = UnicodeAttribute()
    profile_id = UnicodeAttribute()
    metric = UnicodeAttribute()
    occurred_at = UnicodeAttribute()
    properties = UnicodeAttribute(default="{}")  # JSON, as the marketing system sent it
    received_at = UnicodeAttribute(null=True)
    expires_at = NumberAttribute(null=True)


class OutboundMessage(Item, discriminator="outbound_message"):
    """A campaign or flow message the marketing system sent one customer (POST /api/outbound-messages).
    pk=`A#<account>#OB#<channel>#<to>`, sk=`<received_at>#<message id>`: the customer's latest message
    before a reply is one Query, newest first, limit 1. `replied_by` claims it for the first reply of
    its run (a conditional update): later replies in a row find it claimed and are attributed to
    nothing. Kept 30 days (TTL `expires_at`), past any attribution window."""

    channel = UnicodeAttribute()
    to = UnicodeAttribute()
    kind = UnicodeAttribute()  # campaign / flow
    source_id = UnicodeAttribute()
    message_id = UnicodeAttribute()
    received_at = UnicodeAttribute()
    replied_by = UnicodeAttribute(null=True)  # the inbound message attributed to it
    created_at = UnicodeAttribute(null=True)
    expires_at = NumberAttribute(null=True)


class SourceStats(Item, discriminator="source_stats"):
    """What a campaign or flow caused: pk=`A#<account>#SRC#<kind>#<source id>`, sk=`STATS`; `replies`
    (attributed SMS replies) and `clicks` (on shortened links in replies of tickets it caused), each
    one ADD."""

    kind = UnicodeAttribute()
    source_id = UnicodeAttribute()
    replies = NumberAttribute(default=0)
    clicks = NumberAttribute(default=0)


class ReportCounts(Item, discriminator="report_counts"):
    """One day of one value of a ticket-report dimension (helpdesk/reports.py, docs/metrics.md).
    pk=`A#<account>#RPT#<dimension>` (day, channel, agent, tag), sk=`<YYYY-MM-DD>#<value>` (the day in
    the account's time zone; the day dimension's one value is `all`): a report is one Query of the
    dimension's partition, sk between its first and last day. Every change is an ADD, by the reports
    worker, in the transaction that puts the event's ReportMark. Besides the counters, log-spaced
    histogram buckets as top-level numbers named `<histogram>_<bucket>` (frc, frb: first response,
    calendar and business hours; rsc, rsb: resolution), which no model declares (DynamoDB ADDs only
    to top-level attributes): they are read raw (helpdesk/store/reports.py)."""

    dimension = UnicodeAttribute(null=True)
    day = UnicodeAttribute(null=True)
    value = UnicodeAttribute(null=True)
    created = NumberAttribute(null=True)
    reopened = NumberAttribute(null=True)
    closed = NumberAttribute(null=True)
    auto_closed = NumberAttribute(null=True)


class ReportMark(Item, discriminator="report_mark"):
    """A ticket event counted in the reports: pk=`A#<account>#RPTMARK#<ticket>`, sk=`<event>#<ticket
    version>` (`created` alone: a ticket is created once). Put on condition that it does not exist, in
    the transaction that adds the event to the ReportCounts: a redelivered or replayed stream record
    finds it and adds nothing. Kept 35 days (TTL `expires_at`), longer than any record is redelivered."""

    expires_at = NumberAttribute(null=True)


class KbArticle(Item, discriminator="kb_article"):
    """A knowledge-base article of an account: the brand's own words on a policy (order edit window,
    cancellation, returns, product exceptions), which the order skill quotes. pk=`A#<account>`,
    sk=`KB#<id>`: one Query of the account's partition reads them all (helpdesk/store/kb.py).
    `version` goes up with each change of the article."""

    article_id = UnicodeAttribute()
    title = UnicodeAttribute()
    body = UnicodeAttribute()
    locale = UnicodeAttribute(default="en")  # en / ko
    tags = ListAttribute(of=UnicodeAttribute, default=list)
    version = NumberAttribute(default=1)
    created_by = UnicodeAttribute(null=True)
    updated_by = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute(null=True)
    updated_at = UnicodeAttribute(null=True)


class KbState(Item, discriminator="kb_state"):
    """The knowledge base of an account as a whole: pk=`A#<account>`, sk=`KB~STATE` (after every
    `KB#` item). Written in the transaction of every article write: `article_count` (at most
    helpdesk.kb.MAX_ARTICLES, the condition of a new article) and `version` (up by one with each
    write), which tells a container whether the search index it keeps is still the account's."""

    article_count = NumberAttribute(default=0)
    version = NumberAttribute(default=0)


class SkillDecision(Item, discriminator="skill_decision"):
    """A skill's decision on one customer message (helpdesk/skills/live.py). pk=`A#<account>#T#<ticket>`
    (the ticket's partition; its messages' Queries read `M#` only), sk=`SKILL#<message id>`. Put, on
    condition it does not exist, before the skill decides: a redelivered message finds it and is answered
    once (a failed decision deletes it again, so the retry decides). Then holds what was decided."""

    skill = UnicodeAttribute()
    message_id = UnicodeAttribute()
    claimed_at = UnicodeAttribute()
    decided_at = UnicodeAttribute(null=True)
    intent = UnicodeAttribute(null=True)
    action = UnicodeAttribute(null=True)
    order_name = UnicodeAttribute(null=True)
    order_state = UnicodeAttribute(null=True)
    handed_off = BooleanAttribute(null=True)
    answer_id = UnicodeAttribute(null=True)  # the automatic message that answered, when one was stored
