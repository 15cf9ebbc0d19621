"""Assignment: new and reopened tickets routed to a team (helpdesk/routing.py), then spread over its online
members by open load, equal loads in round-robin order (everyone, when no rule matched).

Driven by ticket events from the table's stream. Every decision is taken on the ticket as it is now
and written on condition that it is still so (its version): a redelivered event, or one that an
agent's own decision overtook, changes nothing.
"""
from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass
from typing import Any

from helpdesk import routing
from helpdesk.agents import fresh_since
from helpdesk.clock import now_iso
from helpdesk.conversation import Channel, Status
from helpdesk.errors import Transient
from helpdesk.observability import count, logger
from helpdesk.store import agents as agent_store
from helpdesk.store import outbox
from helpdesk.store import routing as routing_store
from helpdesk.store import tickets as ticket_store
from helpdesk.store.inbound import TicketStore
from helpdesk.store.keys import ticket_pk
from helpdesk.store.models import Message, Ticket
from helpdesk.ticket_events import CREATED, REOPENED, UNASSIGNED, AgentOnline, TicketEvent

MAX_ATTEMPTS = 12


def next_agent(online_ids: list[str], last_agent_id: str | None) -> str:
    """The online agent after `last_agent_id` in id order, wrapping around: a true rotation even
    while agents come and go."""
    for agent_id in online_ids:
        if last_agent_id is None or agent_id > last_agent_id:
            return agent_id
    return online_ids[0]


def needs_agent(ticket: Ticket, event: TicketEvent, roster: agent_store.Roster) -> bool:
    """What the rules say: an open ticket nobody has goes to the next agent; so does a new or
    reopened one whose assignee is not available, unless its assignee was set after the event (by
    a person, or by the rotation for a later event): that decision stands. (A reopened ticket whose
    assignee is online stays theirs: it goes back to the previous assignee.)"""
    if ticket.status != Status.OPEN.value or ticket.spam:
        return False
    if not ticket.assignee_id:
        return True
    if event.type not in (CREATED, REOPENED) or int(ticket.assigned_version or 0) > event.version:
        return False
    return not roster.is_online(ticket.assignee_id)


@dataclass(frozen=True)
class Choice:
    """Whom a ticket goes to (None: nobody can take it now), from which rotation, and why."""

    agent_id: str | None
    route: routing.Route
    rota: str
    reason: dict[str, Any]


def choose(ticket: Ticket, event: TicketEvent, roster: agent_store.Roster) -> Choice:
    """The team (routing rules; a reopened ticket keeps its team), then, among its online members who have
    room (an agent's `capacity`), the one with the fewest open tickets; equal loads go round the team's
    rotation from its cursor. Loads are read for the eligible agents only (one COUNT Query each)."""
    route = _route(ticket, event)
    team = route.team_members
    online = [a for a in roster.online_ids if team is None or a in team]
    rota = agent_store.rota_sk(route.route.team_id)
    last, _, _ = roster.cursor(rota)
    loads = {a: agent_store.open_load(ticket.account_id, a) for a in online}
    capacity = {a: _capacity(roster.agent(a)) for a in online}
    room = [a for a in online if capacity[a] is None or loads[a] < int(capacity[a] or 0)]
    reason: dict[str, Any] = {"kind": "round_robin", "rule": route.route.rule, "team_id": route.route.team_id,
                              "eligible": [{"id": a, "load": loads[a], "capacity": capacity[a]} for a in online]}
    if not room:
        return Choice(None, route.route, rota, {**reason, "kind": "waiting",
                                                "why": "no agent online" if not online else "everyone is at capacity"})
    fewest = min(loads[a] for a in room)
    agent_id = next_agent(sorted(a for a in room if loads[a] == fewest), last)
    return Choice(agent_id, route.route, rota, {**reason, "load": loads[agent_id], "capacity": capacity[agent_id]})


def _capacity(agent: Any) -> int | None:
    return int(agent.capacity) if agent is not None and agent.capacity is not None else None


@dataclass(frozen=True)
class Routed:
    route: routing.Route
    team_members: frozenset[str] | None  # None: everyone


def _route(ticket: Ticket, event: TicketEvent) -> Routed:
    """Where routing sends the ticket: one Query of the account's teams and rules; the facts a rule needs
    (the profile's segments, the message's language, the office hours) are read only when some rule asks."""
    found = routing_store.routing_of(ticket.account_id)
    if ticket.team_id and ticket.team_id in found.teams and event.type != CREATED:
        return Routed(routing.Route(None, ticket.team_id, ticket.priority),
                      _members(found.teams[ticket.team_id].members))
    rules = routing.parsed_rules(found.rules)
    if not rules:
        return Routed(routing.Route(None, None), None)
    wanted = {key for rule in rules for key in (rule.get("if") or {})}
    facts = routing.Facts(channel=ticket.channel, tags=tuple(str(t) for t in ticket.tags or ()),
                          segments=_segments(ticket) if "segments_any" in wanted else (),
                          language=_language(ticket) if "language" in wanted else "en",
                          office_open=_office_open(ticket.account_id) if "office_hours" in wanted else True)
    chosen = routing.route(rules, facts, found.teams)
    chosen_team = found.teams.get(chosen.team_id) if chosen.team_id else None
    return Routed(chosen, _members(chosen_team.members) if chosen_team else None)


def _members(members: Any) -> frozenset[str]:
    return frozenset(str(m) for m in members or ())


def _segments(ticket: Ticket) -> tuple[str, ...]:
    from helpdesk.store import accounts

    profile = accounts.get_profile(ticket.account_id, ticket.profile_id) if ticket.profile_id else None
    return tuple(str(s) for s in profile.segments or ()) if profile else ()


def _language(ticket: Ticket) -> str:
    return routing.language_of(_latest_inbound(ticket.account_id, ticket.ticket_id, ticket.last_inbound_at) or "")


# The customer's latest message, read once per event handled: the tagger and a routing rule on the
# language both want it (handle() empties this before each event).
_inbound_read: dict[tuple[str, str, str | None], str | None] = {}


def _latest_inbound(account_id: str, ticket_id: str, last_inbound_at: str | None) -> str | None:
    """The body of the customer's latest message still there (not deleted); None when there is none.
    Keyed by the ticket's last inbound time as well: a message arriving meanwhile is read anew."""
    key = (account_id, ticket_id, last_inbound_at)
    if key not in _inbound_read:
        inbound = [m for m in ticket_store.latest_messages(account_id, ticket_id, 5)
                   if m.direction == "inbound" and not m.deleted]
        _inbound_read[key] = (inbound[-1].body or "") if inbound else None
    return _inbound_read[key]


def _office_open(account_id: str) -> bool:
    import datetime as dt

    from helpdesk import office_hours
    from helpdesk.store import accounts

    account = accounts.get_account(account_id)
    hours = account.office_hours.as_dict() if account.office_hours else None
    return office_hours.is_open(hours, dt.datetime.now(dt.UTC))


def handle(event: TicketEvent) -> str | None:
    """Autorespond to a new ticket, then assign it if it needs an agent; returns the agent id, or
    None. Idempotent: a redelivered event changes nothing more."""
    _inbound_read.clear()
    if event.type in (CREATED, REOPENED):
        # Counted here, from the stream, as every channel's tickets are (a redelivered event counts
        # again: metrics are at-least-once).
        count(event.type.replace(".", "_"))
    # The ticket is read once and handed from step to step as each step leaves it (a step's own write
    # returns it as written): read again only after a conflict.
    ticket: Ticket | None = None
    if event.type == CREATED:
        ticket = link_customer(event)
        autorespond(event)
    if event.type in (CREATED, REOPENED, UNASSIGNED):
        # Before routing, whose rules may ask for tags; a waiting ticket handed out to an agent who came
        # online may be reached before its own event (tagging the same message again changes nothing).
        ticket = autotag(event, ticket)
    for attempt in range(MAX_ATTEMPTS):
        if ticket is None or attempt:
            ticket = ticket_store.get_ticket(event.account_id, event.ticket_id)
        roster = agent_store.roster(event.account_id, fresh_since())
        if not needs_agent(ticket, event, roster):
            return None
        choice = choose(ticket, event, roster)
        if choice.agent_id is None:
            if _file_route(ticket, choice):
                logger.info("ticket waits for an agent", extra={"account_id": event.account_id,
                                                                "ticket_id": event.ticket_id, **choice.reason})
                return None
            continue
        outcome = agent_store.assign_next(ticket, choice.agent_id, roster, rota=choice.rota,
                                          reason=json.dumps(choice.reason, separators=(",", ":")),
                                          team_id=choice.route.team_id, priority=choice.route.priority)
        if outcome.assigned:
            logger.info("ticket assigned", extra={"account_id": event.account_id, "ticket_id": event.ticket_id,
                                                  "agent_id": choice.agent_id, "team_id": choice.route.team_id,
                                                  "rule": choice.route.rule})
            count("ticket_assigned")
            return choice.agent_id
        time.sleep(random.uniform(0, 0.005 * 2 ** min(attempt, 6)))
    raise Transient("assignment kept conflicting")


def _file_route(ticket: Ticket, choice: Choice) -> bool:
    """A ticket nobody can take yet keeps the team (and priority) routing chose, so it waits in that team's
    queue; False when the ticket changed meanwhile."""
    wanted = {"team_id": choice.route.team_id, "priority": choice.route.priority or ticket.priority}
    if all(getattr(ticket, k) == v for k, v in wanted.items()):
        return True
    return ticket_store.change(ticket, team_id=wanted["team_id"], priority=wanted["priority"]) is not None


def autotag(event: TicketEvent, ticket: Ticket | None = None) -> Ticket:
    """Tag a new or reopened ticket from the customer's latest message (helpdesk/tagging.py); the ticket as
    it then is (`ticket`: as just read, else read here). Idempotent: a redelivered event finds the tags
    there and writes nothing."""
    from helpdesk import tagging
    from helpdesk.store import accounts

    account = accounts.get_account(event.account_id)
    # What the classifier found in a message, kept across this loop's attempts: a retry after a conflicting
    # write re-reads the ticket, not the classifier (with Bedrock, a paid call that may take seconds).
    found: dict[str, list[tuple[str, float]]] = {}
    for _ in range(MAX_ATTEMPTS):
        ticket = ticket or ticket_store.get_ticket(event.account_id, event.ticket_id)
        if ticket.spam:
            return ticket
        latest = _latest_inbound(event.account_id, event.ticket_id, ticket.last_inbound_at)
        if latest is None:
            return ticket
        before = list(ticket.tags or [])
        body = latest
        if body not in found:
            found[body] = tagging.suggested(body, account)
        fields = tagging.ai_fields(ticket, found[body])
        if not fields:
            return ticket
        if (changed := ticket_store.change(ticket, **fields)) is not None:
            count("autotag_tagged")
            logger.info("ticket tagged", extra={"account_id": event.account_id, "ticket_id": event.ticket_id,
                                                "tags": [t for t in fields["tags"] if t not in before]})
            return changed
        ticket = None  # written meanwhile: read it again
    raise Transient("the ticket kept changing while it was tagged")


def link_customer(event: TicketEvent) -> Ticket | None:
    """An SMS or WhatsApp ticket is created by the webhook without its contact and profile (the
    lightest write, on the path the provider waits on): they are made here, idempotently, and the
    ticket points at the contact's profile should the contact already have another one. The ticket as
    it then is; None for another channel (nothing read)."""
    if event.channel not in (Channel.SMS.value, Channel.WHATSAPP.value):
        return None
    ticket = ticket_store.get_ticket(event.account_id, event.ticket_id)
    profile_id = TicketStore.link_customer(ticket)
    for _ in range(MAX_ATTEMPTS):
        if ticket.profile_id == profile_id:
            return ticket
        if (changed := ticket_store.change(ticket, profile_id=profile_id)) is not None:
            return changed
        ticket = ticket_store.get_ticket(event.account_id, event.ticket_id)
    raise Transient("ticket kept changing while linking its customer")


def autorespond(event: TicketEvent) -> bool:
    """The account's web-chat autoresponder by availability (office hours), once per ticket."""
    import datetime as dt

    from helpdesk import office_hours, plans
    from helpdesk.store import accounts

    if event.channel and event.channel != "webchat":
        return False
    account = accounts.get_account(event.account_id)
    if not plans.allows(account, plans.AUTORESPONDERS):
        return False  # the free plan: the texts wait, as set, for the paid plan
    ticket = ticket_store.get_ticket(event.account_id, event.ticket_id)
    settings = (account.autoresponder.as_dict() if account.autoresponder else {}).get(ticket.channel) or {}
    hours = account.office_hours.as_dict() if account.office_hours else None
    text = settings.get("open" if office_hours.is_open(hours, dt.datetime.now(dt.UTC)) else "closed")
    if ticket.channel != "webchat" or not text or ticket.status != Status.OPEN.value or ticket.spam:
        return False  # (closed or marked spam before the event came: nobody is waiting for an answer)
    now = now_iso()
    message_id = f"auto-{ticket.ticket_id}"
    message = Message(ticket_pk(event.account_id, ticket.ticket_id), f"M#{now}#{message_id}",
                      message_id=message_id, ticket_id=ticket.ticket_id, channel=ticket.channel,
                      direction="outbound", body=str(text), created_at=now, sender="autoresponder",
                      automatic=True, extra={"delivery": "sent"})
    # The ref `auto-<ticket>` is claimed with the message: a redelivered event cannot answer twice.
    for _ in range(5):
        # Not an agent's reply: it moves no `last_outbound_at`, so it never earns a follow-up email.
        outcome = outbox.store_reply(ticket, message, [message_id], {})
        if outcome == "stored":
            count("autoresponse_sent")
            return True
        if outcome == "duplicate":
            return False
        ticket = ticket_store.get_ticket(event.account_id, event.ticket_id)
    raise Transient("autoresponder kept conflicting")


def hand_out_backlog(account_id: str, page: int = 100, pages: int = 50) -> int:
    """An agent came online: give the waiting unassigned tickets out, oldest first, page by page
    while there are agents online to take them."""
    assigned = 0
    for _ in range(pages):
        waiting = ticket_store.unassigned_tickets(account_id, page)
        given = sum(1 for t in waiting
                    if handle(TicketEvent(UNASSIGNED, account_id, t.ticket_id, int(t.version or 0), t.channel)))
        assigned += given
        if len(waiting) < page or given == 0:
            break
    return assigned


def on_event(event: TicketEvent | AgentOnline) -> None:
    if isinstance(event, AgentOnline):
        hand_out_backlog(event.account_id)
    else:
        handle(event)
