"""Round-robin assignment end to end: tickets come in through the signed SMS webhook, their events
go onto the brand's real SQS queue (moto), and the assignment Lambda gets them in Lambda's batches."""
from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest

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
    lighter_moto,
    new_customers,
    queue_arn,
    synthetic_record,
    text,
    ticket_id_of,
)


@pytest.fixture(autouse=True)
def _lighter_moto(aws: Aws) -> Iterator[None]:
    with lighter_moto(aws):
        yield


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
    records = drain(aws, brand.queue_url)
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
    records = drain(aws, brand.queue_url)
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
    assert "batchItemFailures" in response
    assert _ticket(brand, ticket_id_of(brand, customer)).assignee_id is None

    agent_store.set_presence(brand.account_id, agent, True)
    redelivered = dict(records[0], attributes={**records[0]["attributes"], "ApproximateReceiveCount": "2"})
    assert invoke_assignment([redelivered]) == {"batchItemFailures": []}
    assert _ticket(brand, ticket_id_of(brand, customer)).assignee_id == agent


def test_an_agent_coming_online_is_handed_the_waiting_unassigned_tickets(aws: Aws, brand: Brand) -> None:
    from helpdesk.auth import AgentIdentity
    from helpdesk.workspace import set_presence

    _, (first, second) = add_agents(brand.account_id, online=0, offline=2)
    customers = new_customers(brand, 3)
    invoke_assignment(drain(aws, brand.queue_url))
    assert assignee_counts(brand.account_id) == {None: 3}

    # Going online through the agent API queues agent.online; the assignment Lambda hands out the backlog.
    set_presence(AgentIdentity(first, brand.account_id, ("support",)), {"status": "online"})
    records = drain(aws, brand.queue_url)
    assert [b["type"] for b in bodies(records)] == ["agent.online"]
    assert invoke_assignment(records) == {"batchItemFailures": []}
    assert assignee_counts(brand.account_id) == {first: 3}
    assert all(_ticket(brand, ticket_id_of(brand, c)).assignee_id == first for c in customers)


def test_reopened_ticket_of_an_offline_assignee_goes_back_into_the_rotation(aws: Aws, brand: Brand) -> None:
    from helpdesk.store import agents as agent_store
    from helpdesk.store import tickets as ticket_store

    (first, second), _ = add_agents(brand.account_id, online=2)
    customer = customer_number()
    text(brand, customer, "my parcel is late")
    _assign_all(drain(aws, brand.queue_url))
    ticket_id = ticket_id_of(brand, customer)
    assert _ticket(brand, ticket_id).assignee_id == first

    agent_store.set_presence(brand.account_id, first, False)
    ticket_store.update_ticket(_ticket(brand, ticket_id), status="closed")
    text(brand, customer, "it still has not arrived")
    records = drain(aws, brand.queue_url)
    assert [(b["type"], b["ticket_id"]) for b in bodies(records)] == [("ticket.reopened", ticket_id)]

    _assign_all(records)
    ticket = _ticket(brand, ticket_id)
    assert ticket.status == "open"
    assert ticket.assignee_id == second


def test_reopened_ticket_of_an_online_assignee_keeps_the_assignee(aws: Aws, brand: Brand) -> None:
    from helpdesk.store import tickets as ticket_store

    (first, _second), _ = add_agents(brand.account_id, online=2)
    customer = customer_number()
    text(brand, customer, "my parcel is late")
    _assign_all(drain(aws, brand.queue_url))
    ticket_id = ticket_id_of(brand, customer)
    assert _ticket(brand, ticket_id).assignee_id == first
    turns = _turns(brand)

    ticket_store.update_ticket(_ticket(brand, ticket_id), status="closed")
    text(brand, customer, "one more question")
    records = drain(aws, brand.queue_url)
    assert [b["type"] for b in bodies(records)] == ["ticket.reopened"]

    _assign_all(records)
    assert _ticket(brand, ticket_id).assignee_id == first
    assert _turns(brand) == turns


def test_replayed_events_do_not_move_the_rotation(aws: Aws, brand: Brand) -> None:
    online, _ = add_agents(brand.account_id, online=3)
    first_customer = customer_number()
    sid = "SM" + "a" * 32
    text(brand, first_customer, sid=sid)
    text(brand, first_customer, sid=sid)  # Twilio redelivers: intake sends the event again
    records = drain(aws, brand.queue_url)
    assert [b["type"] for b in bodies(records)] == ["ticket.created", "ticket.created"]

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


@pytest.mark.parametrize("bad_body", ["{not json", "ticket-that-does-not-exist"])
def test_partial_batch_failure_reports_only_the_bad_record(aws: Aws, brand: Brand, bad_body: str) -> None:
    online, _ = add_agents(brand.account_id, online=2)
    customers = new_customers(brand, 4)
    records = drain(aws, brand.queue_url)
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
