"""The sweep: due work found on the due index of each account, each item done once; open tickets
whose customer has been silent for the account's auto-close period closed; and agents whose
heartbeats stopped marked offline."""
from __future__ import annotations

import datetime as dt
import os
from typing import Any

from helpdesk import account_settings
from helpdesk.agents import fresh_since
from helpdesk.clock import now_iso, parse_iso
from helpdesk.conversation import Status
from helpdesk.errors import BadRequest, HelpdeskError, Transient
from helpdesk.followup import followup_due
from helpdesk.observability import count, logger
from helpdesk.store import accounts
from helpdesk.store import agents as agent_store
from helpdesk.store import mail as mail_store
from helpdesk.store import tickets as ticket_store
from helpdesk.store.keys import idle_keys, index_actions, index_keys
from helpdesk.store.models import Account, Ticket


def run(now: str | None = None) -> dict[str, int]:
    now = now or now_iso()
    done = {"woken": 0, "followups": 0, "auto_closed": 0, "agents_expired": 0}
    for account in accounts.all_accounts():
        _expire_presence(account.account_id, now, done)
        for due in ticket_store.due_tickets(account.account_id, now):
            try:
                _do_due_work(due, account, now, done)
            except Exception:  # noqa: BLE001 - one bad item must not stop the others; it stays due
                logger.exception("sweep item failed", extra={"account_id": account.account_id,
                                                            "ticket_id": due.ticket_id})
        _auto_close(account, now, done)
    return done


def _do_due_work(due: Ticket, account: Any, now: str, done: dict[str, int]) -> None:
    """Act on the due index's copy of the ticket (the index projects it whole), conditioned on its
    version; only when the ticket moved on since (the index is eventually consistent) is it read
    again, consistently, and the work decided anew on the ticket as it is now."""
    ticket = due
    for attempt in range(2):
        if _due_work(ticket, account, now, done):
            return
        if attempt == 0:
            ticket = ticket_store.get_ticket(account.account_id, due.ticket_id)
    # Changed again meanwhile: still filed under its old due time, the next run sees it.


def _due_work(ticket: Ticket, account: Any, now: str, done: dict[str, int]) -> bool:
    """Wake, follow up, or re-file by the next due time (or take out); False when the ticket was not
    at the version it was given at."""
    woken = _wake(ticket, now, done)
    if woken is False:
        return False
    followed = _follow_up(ticket, account, now, done)
    if followed is False:
        return False
    if woken is None and followed is None:
        # Nothing done (a stale entry: woken by a customer's message, reopened, ...): re-file it.
        return ticket_store.change(ticket) is not None
    return True  # every write above re-filed it too


def _wake(ticket: Ticket, now: str, done: dict[str, int]) -> bool | None:
    """None when the ticket is not a snoozed one whose time has come; else whether it woke."""
    if ticket.status != Status.SNOOZED.value or not ticket.snooze_until or ticket.snooze_until > now:
        return None
    spam = bool(ticket.spam)
    # Back to open: the stream carries the change to assignment as a reopened ticket. Its customer's
    # silence counts from now (PROVIDERS.md, Chatwoot #10241: not closed for the snooze's length).
    actions = index_actions({
        **index_keys(ticket.account_id, ticket.ticket_id, Status.OPEN.value, ticket.assignee_id, spam, now),
        **idle_keys(ticket.account_id, ticket.ticket_id, Status.OPEN.value, spam, now)})
    if ticket_store.change(ticket, actions, status=Status.OPEN.value, snooze_until=None, updated_at=now) is None:
        return False
    count("ticket_woken")
    done["woken"] += 1
    return True


def _follow_up(ticket: Ticket, account: Any, now: str, done: dict[str, int]) -> bool | None:
    """None when no follow-up email is due; else whether this run claimed it (False: the ticket
    was not at the version given)."""
    due = followup_due(ticket_store.times_of(ticket))
    if due is None or due > now:
        return None
    reply_at = ticket.last_outbound_at
    # Claim first, send second: a crash between them loses one email rather than sending two.
    if ticket_store.change(ticket, followup_sent_for=reply_at) is None:
        return False
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
        return True
    count("webchat_followup_sent")
    done["followups"] += 1
    return True


def _auto_close(account: Account, now: str, done: dict[str, int]) -> None:
    """Close the account's open tickets whose customer has been silent for its `auto_close.after`
    (off by default: then nothing is read). Only due tickets are read, from the IDLE index, and
    each is closed by one conditional write without reading it: a customer's message that lands
    meanwhile moves the ticket in the index, and the close does not happen."""
    try:
        policy = account_settings.settings_json(account)["auto_close"]
        if not policy.get("enabled"):
            return
        period = dt.timedelta(seconds=account_settings.duration_seconds(policy.get("after"), "auto_close.after"))
    except BadRequest:
        logger.warning("auto-close setting unusable", extra={"account_id": account.account_id})
        return
    idle_before = (parse_iso(now) - period).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    try:
        for idle in ticket_store.idle_tickets(account.account_id, idle_before):
            try:
                if ticket_store.auto_close(idle, now):
                    count("ticket_auto_closed")
                    done["auto_closed"] += 1
            except Transient:  # one ticket's write failing must not stop the others; it stays due
                logger.exception("auto-close failed", extra={"account_id": account.account_id,
                                                             "ticket_id": idle.ticket_id})
    except Transient:  # the index could not be read: the next run closes what is due then
        logger.exception("auto-close sweep failed", extra={"account_id": account.account_id})


def _expire_presence(account_id: str, now: str, done: dict[str, int]) -> None:
    """Agents who stopped sending heartbeats get no tickets already (assignment checks freshness);
    marking them offline makes their next heartbeat a coming online, which hands them the backlog."""
    since = fresh_since(now)
    for agent in agent_store.roster(account_id, since).agents:
        if agent.online and (agent.presence_at or "") < since and agent_store.expire_presence(agent):
            logger.info("agent presence expired", extra={"account_id": account_id, "agent_id": agent.agent_id})
            done["agents_expired"] += 1
