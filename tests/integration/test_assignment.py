"""Round-robin assignment end to end: tickets come in through the signed SMS webhook, the table's
stream carries their events through the pipe onto the brand's real SQS queue (moto), and the
assignment Lambda gets them in Lambda's batches."""
from __future__ import annotations

import json
import os
import threading
from typing import Any

import pytest

from helpdesk.agents import fresh_since
from tests.conftest import Aws, Brand, customer_number
from tests.integration.agents import (
    PerThreadProcessor,
    add_agents,
    assignee_counts,
    batches,
    bodies,
    drain,
    failed_ids,
    invoke_assignment,
    new_customers,
    queue_arn,
    synthetic_record,
    text,
    ticket_id_of,
    ticket_records,
)
from tests.integration.edits import update_ticket


def _ticket(brand: Brand, ticket_id: str) -> Any:
    from helpdesk.store import tickets as ticket_store

    return ticket_store.get_ticket(brand.account_id, ticket_id)


def _turns(brand: Brand) -> int:
    from helpdesk.store import agents as agent_store

    return agent_store.roster(brand.account_id).turns


def _assign_all(records: list[dict[str, Any]]) -> None:
    for batch in batches(records):
        response = invoke_assignment(batch)
        assert response == {"batchItemFailures": []}


def _spread_is_fair(counts: dict[str | None, int], online: list[str], total: int) -> None:
    assert None not in counts, "a ticket stayed unassigned"
    assert set(counts) == set(online), counts
    assert sum(counts.values()) == total
    assert max(counts.values()) - min(counts.values()) <= 1, counts


def test_thirty_new_tickets_spread_evenly_over_online_agents(aws: Aws, brand: Brand) -> None:
    online, offline = add_agents(brand.account_id, online=4, offline=1)
    new_customers(brand, 30)
    records = ticket_records(drain(aws, brand.queue_url))
    assert len(records) == 30
    assert {b["type"] for b in bodies(records)} == {"ticket.created"}
    assert all(r["eventSource"] == "aws:sqs" and r["md5OfBody"] for r in records)

    _assign_all(records)

    counts = assignee_counts(brand.account_id)
    _spread_is_fair(counts, online, 30)
    assert sorted(counts.values()) == [7, 7, 8, 8]
    assert offline[0] not in counts
    assert _turns(brand) == 30


def test_concurrent_workers_stay_balanced_and_assign_each_ticket_once(
        aws: Aws, brand: Brand, monkeypatch: pytest.MonkeyPatch) -> None:
    from aws_lambda_powertools.utilities.batch import EventType

    from functions import assignment

    # Four threads play four Lambda instances, each with its own batch processor.
    monkeypatch.setattr(assignment, "processor", PerThreadProcessor(EventType.SQS))
    online, offline = add_agents(brand.account_id, online=4, offline=1)
    new_customers(brand, 26)
    records = ticket_records(drain(aws, brand.queue_url))
    assert len(records) == 26
    work = batches(records, 7)  # 7, 7, 7, 5: four batches for four instances
    assert len(work) == 4

    start = threading.Barrier(len(work))
    responses: list[dict[str, Any]] = []
    errors: list[BaseException] = []

    def worker(batch: list[dict[str, Any]]) -> None:
        try:
            start.wait()
            responses.append(invoke_assignment(batch))
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(b,)) for b in work]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    assert responses == [{"batchItemFailures": []}] * 4

    counts = assignee_counts(brand.account_id)
    _spread_is_fair(counts, online, 26)
    assert sorted(counts.values()) == [6, 6, 7, 7]
    assert offline[0] not in counts
    # Every assignment moves the cursor once: 26 turns means no ticket was assigned twice.
    assert _turns(brand) == 26


def test_no_agent_online_leaves_ticket_unassigned_until_a_redelivery_after_one_comes_online(
        aws: Aws, brand: Brand) -> None:
    from helpdesk.store import agents as agent_store

    _, (agent,) = add_agents(brand.account_id, online=0, offline=1)
    customer = customer_number()
    text(brand, customer)
    records = drain(aws, brand.queue_url)
    assert len(records) == 1

    response = invoke_assignment(records)
    assert response == {"batchItemFailures": []}
    assert _ticket(brand, ticket_id_of(brand, customer)).assignee_id is None

    agent_store.heartbeat(brand.account_id, agent, fresh_since())
    redelivered = dict(records[0], attributes={**records[0]["attributes"], "ApproximateReceiveCount": "2"})
    assert invoke_assignment([redelivered]) == {"batchItemFailures": []}
    assert _ticket(brand, ticket_id_of(brand, customer)).assignee_id == agent


def test_an_agent_coming_online_is_handed_the_waiting_unassigned_tickets(aws: Aws, brand: Brand) -> None:
    from helpdesk.agents import set_presence
    from helpdesk.auth import AgentIdentity

    _, (first, second) = add_agents(brand.account_id, online=0, offline=2)
    customers = new_customers(brand, 3)
    invoke_assignment(drain(aws, brand.queue_url))
    assert assignee_counts(brand.account_id) == {None: 3}

    # Going online through the agent API is a change of the agent item; the stream carries it to
    # the assignment Lambda, which hands out the backlog.
    set_presence(AgentIdentity(first, brand.account_id, ("support",)), {"status": "online"})
    records = drain(aws, brand.queue_url)
    assert [(b["type"], b["agent_id"]) for b in bodies(records)] == [("agent.online", first)]
    assert invoke_assignment(records) == {"batchItemFailures": []}
    assert assignee_counts(brand.account_id) == {first: 3}
    assert all(_ticket(brand, ticket_id_of(brand, c)).assignee_id == first for c in customers)

    # A heartbeat of an agent who is online already is no coming online: nothing goes to the queue.
    set_presence(AgentIdentity(first, brand.account_id, ("support",)), {"status": "online"})
    assert drain(aws, brand.queue_url) == []


def test_reopened_ticket_of_an_offline_assignee_goes_back_into_the_rotation(aws: Aws, brand: Brand) -> None:
    from helpdesk.store import agents as agent_store

    (first, second), _ = add_agents(brand.account_id, online=2)
    customer = customer_number()
    text(brand, customer, "my parcel is late")
    _assign_all(drain(aws, brand.queue_url))
    ticket_id = ticket_id_of(brand, customer)
    assert _ticket(brand, ticket_id).assignee_id == first

    agent_store.sign_off(brand.account_id, first)
    update_ticket(_ticket(brand, ticket_id), status="closed")
    text(brand, customer, "it still has not arrived")
    records = drain(aws, brand.queue_url)
    assert [(b["type"], b["ticket_id"]) for b in bodies(records)] == [("ticket.reopened", ticket_id)]

    _assign_all(records)
    ticket = _ticket(brand, ticket_id)
    assert ticket.status == "open"
    assert ticket.assignee_id == second
    from helpdesk.routing import reason_json

    reason = reason_json(ticket.assignment_reason)
    assert reason is not None and reason["kind"] == "round_robin" and reason["team_id"] is None
    assert reason["eligible"] == [{"id": second, "load": 0, "capacity": None}]


def test_reopened_ticket_of_an_online_assignee_keeps_the_assignee(aws: Aws, brand: Brand) -> None:
    (first, _second), _ = add_agents(brand.account_id, online=2)
    customer = customer_number()
    text(brand, customer, "my parcel is late")
    _assign_all(drain(aws, brand.queue_url))
    ticket_id = ticket_id_of(brand, customer)
    assert _ticket(brand, ticket_id).assignee_id == first
    turns = _turns(brand)

    update_ticket(_ticket(brand, ticket_id), status="closed")
    text(brand, customer, "one more question")
    records = drain(aws, brand.queue_url)
    assert [b["type"] for b in bodies(records)] == ["ticket.reopened"]

    _assign_all(records)
    assert _ticket(brand, ticket_id).assignee_id == first
    assert _turns(brand) == turns


def test_replayed_deliveries_and_redelivered_events_do_not_move_the_rotation(aws: Aws, brand: Brand) -> None:
    online, _ = add_agents(brand.account_id, online=3)
    drain(aws, brand.queue_url)  # the agents coming online
    first_customer = customer_number()
    sid = "SM" + "a" * 32
    text(brand, first_customer, sid=sid)
    text(brand, first_customer, sid=sid)  # Twilio redelivers: nothing new is written, nothing announced
    records = drain(aws, brand.queue_url)
    assert [b["type"] for b in bodies(records)] == ["ticket.created"]

    _assign_all(records)
    first_ticket = ticket_id_of(brand, first_customer)
    assert _ticket(brand, first_ticket).assignee_id == online[0]
    assert _turns(brand) == 1

    # SQS delivers the same message again, twice, once alone and once twice in one batch.
    _assign_all(records[:1])
    _assign_all([records[0], records[0]])
    assert _ticket(brand, first_ticket).assignee_id == online[0]
    assert _turns(brand) == 1

    second_customer = customer_number()
    text(brand, second_customer)
    _assign_all(drain(aws, brand.queue_url))
    assert _ticket(brand, ticket_id_of(brand, second_customer)).assignee_id == online[1]


def test_a_follow_up_message_sends_nothing_to_assignment(aws: Aws, brand: Brand) -> None:
    customer = customer_number()
    text(brand, customer, "first")
    assert [b["type"] for b in bodies(drain(aws, brand.queue_url))] == ["ticket.created"]
    text(brand, customer, "second")
    text(brand, customer, "third")
    assert drain(aws, brand.queue_url) == []


def test_a_ticket_assigned_by_hand_is_not_moved_by_a_late_or_redelivered_event(aws: Aws, brand: Brand) -> None:
    """An agent gives a new ticket to a colleague who is offline; the ticket's creation event,
    arriving late or delivered again, must leave it where the person put it."""
    (on,), (off,) = add_agents(brand.account_id, online=1, offline=1)
    drain(aws, brand.queue_url)
    customer = customer_number()
    text(brand, customer, "hello")
    records = drain(aws, brand.queue_url)
    ticket_id = ticket_id_of(brand, customer)

    update_ticket(_ticket(brand, ticket_id), assignee_id=off)
    _assign_all(records)
    _assign_all(records)
    ticket = _ticket(brand, ticket_id)
    assert (ticket.assignee_id, ticket.assignment_reason) == (off, "manual")
    assert _turns(brand) == 0

    # Reopened later, with the assignee still offline: now the rules apply again.
    update_ticket(_ticket(brand, ticket_id), status="closed")
    text(brand, customer, "are you there?")
    reopened = drain(aws, brand.queue_url)
    assert [b["type"] for b in bodies(reopened)] == ["ticket.reopened"]
    _assign_all(reopened)
    assert _ticket(brand, ticket_id).assignee_id == on

    # The reopen event delivered again after someone assigned the ticket by hand: left alone.
    update_ticket(_ticket(brand, ticket_id), assignee_id=off)
    _assign_all(reopened)
    assert _ticket(brand, ticket_id).assignee_id == off


def test_a_replayed_delivery_after_a_manual_assignment_changes_nothing(aws: Aws, brand: Brand) -> None:
    (on,), (off,) = add_agents(brand.account_id, online=1, offline=1)
    drain(aws, brand.queue_url)
    customer = customer_number()
    sid = "SM" + "b" * 32
    text(brand, customer, "first", sid=sid)
    _assign_all(drain(aws, brand.queue_url))
    ticket_id = ticket_id_of(brand, customer)
    assert _ticket(brand, ticket_id).assignee_id == on
    update_ticket(_ticket(brand, ticket_id), assignee_id=off)
    before = _ticket(brand, ticket_id)

    text(brand, customer, "first", sid=sid)  # Twilio delivers the first message once more
    _assign_all(drain(aws, brand.queue_url))
    after = _ticket(brand, ticket_id)
    assert (after.assignee_id, after.version, after.message_count) == (off, before.version, before.message_count)


def _last_heard(brand: Brand, agent_id: str, seconds_ago: float) -> None:
    """The agent's latest heartbeat, moved back in time (as if their console closed then)."""
    import datetime as dt

    moment = (dt.datetime.now(dt.UTC) - dt.timedelta(seconds=seconds_ago)).isoformat(timespec="milliseconds")
    aws_ddb = __import__("boto3").client("dynamodb")
    aws_ddb.update_item(TableName=os.environ["TABLE_NAME"],
                        Key={"pk": {"S": f"A#{brand.account_id}"}, "sk": {"S": f"AGENT#{agent_id}"}},
                        UpdateExpression="SET presence_at = :t",
                        ExpressionAttributeValues={":t": {"S": moment.replace("+00:00", "Z")}})


def test_an_agent_whose_heartbeats_stop_gets_no_new_tickets(aws: Aws, swept: Brand) -> None:
    brand = swept
    from helpdesk import sweep
    from helpdesk.agents import set_presence
    from helpdesk.auth import AgentIdentity
    from helpdesk.store import agents as agent_store

    (quiet, busy), _ = add_agents(brand.account_id, online=2)
    drain(aws, brand.queue_url)
    _last_heard(brand, quiet, 125)  # past the 2-minute presence lifetime
    _last_heard(brand, busy, 30)  # well within it (the test itself may take a while on a loaded machine)
    new_customers(brand, 3)
    _assign_all(drain(aws, brand.queue_url))
    assert assignee_counts(brand.account_id) == {busy: 3}

    # The sweep marks the silent agent offline; their next heartbeat is a coming online, which
    # hands them the waiting tickets and puts them back in the rotation.
    assert sweep.run()["agents_expired"] >= 1
    assert agent_store.get_agent(brand.account_id, quiet).online is False
    assert agent_store.get_agent(brand.account_id, busy).online is True
    new_customers(brand, 1)
    _assign_all(drain(aws, brand.queue_url))
    assert assignee_counts(brand.account_id) == {busy: 4}
    (waiting,) = new_customers(brand, 1)
    drain(aws, brand.queue_url)  # its creation event never reaches assignment: it waits in Unassigned
    set_presence(AgentIdentity(quiet, brand.account_id, ("support",)), {"status": "online"})
    records = drain(aws, brand.queue_url)
    assert [(b["type"], b["agent_id"]) for b in bodies(records)] == [("agent.online", quiet)]
    _assign_all(records)
    assert _ticket(brand, ticket_id_of(brand, waiting)).assignee_id in (quiet, busy)
    assert agent_store.roster(brand.account_id, fresh_since()).online_ids == sorted([quiet, busy])


def test_assignment_retries_through_a_transaction_conflict(aws: Aws, brand: Brand) -> None:
    """DynamoDB cancels the assigning transaction for a conflict (another writer on the rota): the
    worker reads again and assigns, once."""
    from infra.local import faults

    online, _ = add_agents(brand.account_id, online=2)
    drain(aws, brand.queue_url)
    text(brand, customer_number())
    records = drain(aws, brand.queue_url)
    fault = aws.server.faults.add("DynamoDB_20120810.TransactWriteItems", faults.transaction_conflict([1]),
                                  times=2, when=lambda request: len(request["TransactItems"]) == 3)
    try:
        _assign_all(records)
    finally:
        aws.server.faults.clear()
    assert fault.hits == 2
    assert assignee_counts(brand.account_id) == {online[0]: 1}
    assert _turns(brand) == 1


@pytest.mark.parametrize("bad_body", ["{not json", "ticket-that-does-not-exist"])
def test_partial_batch_failure_reports_only_the_bad_record(aws: Aws, brand: Brand, bad_body: str) -> None:
    online, _ = add_agents(brand.account_id, online=2)
    customers = new_customers(brand, 4)
    records = ticket_records(drain(aws, brand.queue_url))
    if bad_body == "ticket-that-does-not-exist":
        bad_body = json.dumps({"type": "ticket.created", "account_id": brand.account_id,
                               "ticket_id": "tdoesnotexist0000", "channel": "sms"})
    bad = synthetic_record(bad_body, queue_arn(aws, brand.queue_url))
    batch = records[:2] + [bad] + records[2:]

    response = invoke_assignment(batch)

    assert failed_ids(response) == [bad["messageId"]]
    for customer in customers:
        assert _ticket(brand, ticket_id_of(brand, customer)).assignee_id in online
    _spread_is_fair(assignee_counts(brand.account_id), online, 4)
