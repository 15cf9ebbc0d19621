"""The sweep: due work found on the due index of each account, each item re-read and done once;
and agents whose heartbeats stopped are marked offline."""
from __future__ import annotations

import os
from typing import Any

from helpdesk.agents import fresh_since
from helpdesk.clock import now_iso
from helpdesk.conversation import Status
from helpdesk.errors import BadRequest, HelpdeskError, Transient
from helpdesk.followup import followup_due
from helpdesk.observability import count, logger
from helpdesk.store import accounts
from helpdesk.store import agents as agent_store
from helpdesk.store import mail as mail_store
from helpdesk.store import tickets as ticket_store
from helpdesk.store.keys import index_actions, index_keys
from helpdesk.store.models import Ticket


def run(now: str | None = None) -> dict[str, int]:
    now = now or now_iso()
    done = {"woken": 0, "followups": 0, "agents_expired": 0}
    for account in accounts.all_accounts():
        _expire_presence(account.account_id, now, done)
        for due in ticket_store.due_tickets(account.account_id, now):
            try:
                # The index is eventually consistent: act on the ticket as it is now.
                ticket = ticket_store.get_ticket(account.account_id, due.ticket_id)
                _wake(ticket, now, done)
                _follow_up(ticket, account, now, done)
                ticket_store.change(ticket)  # re-file it by its next due time, or take it out
            except Exception:  # noqa: BLE001 - one bad item must not stop the others; it stays due
                logger.exception("sweep item failed", extra={"account_id": account.account_id,
                                                            "ticket_id": due.ticket_id})
    return done


def _wake(ticket: Ticket, now: str, done: dict[str, int]) -> None:
    if ticket.status != Status.SNOOZED.value or not ticket.snooze_until or ticket.snooze_until > now:
        return
    actions = index_actions(index_keys(
        ticket.account_id, ticket.ticket_id, Status.OPEN.value, ticket.assignee_id, bool(ticket.spam), now))
    # Back to open: the stream carries the change to assignment as a reopened ticket.
    if ticket_store.change(ticket, actions, status=Status.OPEN.value, snooze_until=None, updated_at=now) is None:
        return  # changed meanwhile: the next run sees it again
    count("ticket_woken")
    done["woken"] += 1


def _follow_up(ticket: Ticket, account: Any, now: str, done: dict[str, int]) -> None:
    due = followup_due(ticket_store.times_of(ticket))
    if due is None or due > now:
        return
    reply_at = ticket.last_outbound_at
    # Claim first, send second: a crash between them loses one email rather than sending two.
    if ticket_store.change(ticket, followup_sent_for=reply_at) is None:
        return
    source = account.support_email or os.environ.get("SUPPORT_EMAIL")
    unread = [m for m in ticket_store.latest_messages(ticket.account_id, ticket.ticket_id, 50)
              if m.direction == "outbound" and m.created_at > (ticket.customer_read_at or "")]
    text = "\n\n".join(m.body for m in unread) or "You have a new reply."
    try:
        if not source:
            raise BadRequest("no support email address configured")
        mail_store.send(source, str(ticket.customer_email), f"New reply from {account.name}",
                        f"{text}\n\nReply in the chat on our site, or answer this email.")
    except Transient:
        ticket_store.change(ticket, followup_sent_for=None)  # give it back to the next run
        raise
    except HelpdeskError as error:
        # Permanent (no sender configured, address rejected): given up, or it would come back every
        # minute and crowd out the rest of the due work.
        logger.warning("follow-up email given up", extra={"account_id": ticket.account_id,
                                                          "ticket_id": ticket.ticket_id, "reason": error.reason})
        return
    count("webchat_followup_sent")
    done["followups"] += 1


def _expire_presence(account_id: str, now: str, done: dict[str, int]) -> None:
    """Agents who stopped sending heartbeats get no tickets already (assignment checks freshness);
    marking them offline makes their next heartbeat a coming online, which hands them the backlog."""
    since = fresh_since(now)
    for agent in agent_store.roster(account_id, since).agents:
        if agent.online and (agent.presence_at or "") < since and agent_store.expire_presence(agent):
            logger.info("agent presence expired", extra={"account_id": account_id, "agent_id": agent.agent_id})
            done["agents_expired"] += 1
