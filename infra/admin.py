"""Set up a deployed stack by hand: a brand's account, its channel addresses, and its first owner.

    python -m infra.admin --stack helpdesk account acme "Acme Store" --support-email support@acme.example
    python -m infra.admin --stack helpdesk address acme sms +14155550100
    python -m infra.admin --stack helpdesk agent acme olivia@acme.example --role owner --name Olivia
    python -m infra.admin --stack helpdesk agent acme marketing@acme.example --role integration --name Klaviyo

The table and the user pool come from the stack's outputs (`TableName`, `AgentsUserPoolId`), or from
`--table` and `--user-pool`. Every agent after the first is invited through `POST /api/agents`; this
is how the first owner comes to exist, by someone holding the brand's AWS credentials. It runs the
product's own code (helpdesk.store, helpdesk.store.users), so the items are those the API writes.
"""
from __future__ import annotations

import argparse
import os
import sys
from typing import Any

# `integration`: not an agent but a system of the brand (its marketing platform) with credentials of its
# own, which may only post profile events (and, with attribution, outbound messages).
ROLES = ("owner", "admin", "manager", "support", "integration")


def stack_outputs(stack: str) -> dict[str, str]:
    import boto3

    described = boto3.client("cloudformation").describe_stacks(StackName=stack)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs") or []}


def configure(args: argparse.Namespace) -> None:
    """Point the product's data access at the deployed table and pool."""
    outputs = stack_outputs(args.stack) if args.stack and not (args.table and args.user_pool) else {}
    table = args.table or outputs.get("TableName")
    pool = args.user_pool or outputs.get("AgentsUserPoolId")
    if not table:
        raise SystemExit("no table: give --stack or --table")
    os.environ["TABLE_NAME"] = table
    if pool:
        os.environ["COGNITO_USER_POOL_ID"] = pool


def add_account(args: argparse.Namespace) -> dict[str, Any]:
    from helpdesk.store import accounts

    account = accounts.put_account(args.account_id, args.name, plan=args.plan, support_email=args.support_email)
    return {"account_id": account.account_id, "name": account.name, "plan": account.plan}


def add_address(args: argparse.Namespace) -> dict[str, Any]:
    from helpdesk import plans
    from helpdesk.conversation import Channel
    from helpdesk.errors import Forbidden
    from helpdesk.store import accounts

    account = accounts.get_account(args.account_id, fresh=True)  # refused for an account that does not exist
    if not plans.allows_channel(account, args.channel):
        raise Forbidden(f"{args.channel} is not connected: channels other than web chat come with the "
                        f"{plans.HELPDESK} plan; this account is on the {plans.plan_of(account)} plan "
                        "(an owner or admin changes it with PATCH /api/settings)")
    accounts.add_channel_address(args.account_id, Channel(args.channel), args.address,
                                 display_address=args.display_address)
    return {"account_id": args.account_id, "channel": args.channel, "address": args.address}


def add_agent(args: argparse.Namespace) -> dict[str, Any]:
    from helpdesk import plans
    from helpdesk.auth import INTEGRATION_ROLE
    from helpdesk.store import accounts, users
    from helpdesk.store import agents as agent_store

    if not os.environ.get("COGNITO_USER_POOL_ID"):
        raise SystemExit("no user pool: give --stack or --user-pool")
    account = accounts.get_account(args.account_id, fresh=True)
    if args.role != INTEGRATION_ROLE and any(a.active is not False and a.role != INTEGRATION_ROLE
                                             for a in agent_store.roster(args.account_id).agents):
        plans.require(account, plans.MULTI_AGENT)  # the free plan is one agent (a system is none)
    email = args.email.strip().lower()
    sub, created = users.create_user(email, send_invitation=not args.no_email)
    agent = agent_store.put_agent(args.account_id, sub, name=args.name, email=email, role=args.role)
    users.set_group(email if created else users.username_of(sub), args.role)
    return {"agent_id": agent.agent_id, "account_id": args.account_id, "role": args.role,
            "user_created": created}


def file_idle(args: argparse.Namespace) -> dict[str, Any]:
    """Open tickets stored before auto-close existed are in no idle index: file each (its customer's
    silence counted from their last message), so the sweep can close it. Safe to run again."""
    from helpdesk.conversation import Status
    from helpdesk.store import tickets as ticket_store
    from helpdesk.store.failures import applied
    from helpdesk.store.keys import idle_keys, index_actions, version_is

    filed = skipped = 0
    for ticket in ticket_store.iter_all_tickets(args.account_id):
        if ticket.status != Status.OPEN.value or ticket.spam or ticket.gsi5pk:
            continue
        since = ticket.last_inbound_at or ticket.updated_at
        keys = idle_keys(ticket.account_id, ticket.ticket_id, ticket.status, bool(ticket.spam), since)
        # Only the index keys: the ticket's version stays, so no agent's edit in hand is refused.
        if applied(ticket, index_actions(keys), version_is(ticket.version)):
            filed += 1
        else:
            skipped += 1  # it changed meanwhile: that write filed it
    return {"account_id": args.account_id, "filed": filed, "changed_meanwhile": skipped}


def file_loads(args: argparse.Namespace) -> dict[str, Any]:
    """Open assigned tickets stored before agents' loads were indexed (gsi7) count for nobody's load, so
    round robin would hand their assignees more than their share: file each under its assignee. Safe
    to run again; a ticket written meanwhile was filed by that write."""
    from helpdesk.conversation import Status
    from helpdesk.store import tickets as ticket_store
    from helpdesk.store.failures import applied
    from helpdesk.store.keys import index_actions, load_pk, version_is

    filed = skipped = 0
    for ticket in ticket_store.iter_all_tickets(args.account_id):
        if ticket.status != Status.OPEN.value or ticket.spam or not ticket.assignee_id or ticket.gsi7pk:
            continue
        keys: dict[str, str | None] = {"gsi7pk": load_pk(ticket.account_id, ticket.assignee_id),
                                       "gsi7sk": ticket.ticket_id}
        if applied(ticket, index_actions(keys), version_is(ticket.version)):
            filed += 1
        else:
            skipped += 1
    return {"account_id": args.account_id, "filed": filed, "changed_meanwhile": skipped}


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m infra.admin", description=__doc__.split("\n\n")[0])
    p.add_argument("--stack", help="the CloudFormation stack whose outputs name the table and pool")
    p.add_argument("--table", help="the table name (instead of the stack's TableName output)")
    p.add_argument("--user-pool", help="the user pool id (instead of the stack's AgentsUserPoolId output)")
    commands = p.add_subparsers(dest="command", required=True)

    account = commands.add_parser("account", help="create or update a brand's account")
    account.add_argument("account_id")
    account.add_argument("name")
    account.add_argument("--support-email")
    account.add_argument("--plan", choices=["helpdesk", "inbox"], default="helpdesk",
                         help="inbox: the free plan (web chat, one agent); helpdesk: the paid plan")
    account.set_defaults(run=add_account)

    address = commands.add_parser("address", help="an inbound address of the account on a channel")
    address.add_argument("account_id")
    address.add_argument("channel", choices=["sms", "whatsapp", "instagram", "email", "webchat"])
    address.add_argument("address", help="E.164 number, WhatsApp phone_number_id, Instagram account id, "
                                         "mailbox, or the account id for web chat")
    address.add_argument("--display-address", help="WhatsApp: the number behind the phone_number_id")
    address.set_defaults(run=add_address)

    agent = commands.add_parser("agent", help="make a user of the pool an agent of the account")
    agent.add_argument("account_id")
    agent.add_argument("email")
    agent.add_argument("--role", choices=ROLES, default="owner")
    agent.add_argument("--name")
    agent.add_argument("--no-email", action="store_true", help="do not email a temporary password")
    agent.set_defaults(run=add_agent)

    idle = commands.add_parser("file-idle", help="file the account's open tickets for auto-close (once, "
                                                 "after upgrading from a version without it)")
    idle.add_argument("account_id")
    idle.set_defaults(run=file_idle)

    loads = commands.add_parser("file-loads", help="count the account's open assigned tickets in their assignees' "
                                                   "loads (once, after upgrading from a version without loads)")
    loads.add_argument("account_id")
    loads.set_defaults(run=file_loads)
    return p


def main(argv: list[str] | None = None) -> int:
    from helpdesk.errors import HelpdeskError

    args = parser().parse_args(argv)
    configure(args)
    try:
        result = args.run(args)
    except HelpdeskError as error:
        print(f"refused: {error.reason}", file=sys.stderr)
        return 1
    print(" ".join(f"{k}={v}" for k, v in result.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
