"""What a committed change of the table means (helpdesk.ticket_events), judged on stream records in
the DynamoDB Streams format, and the EventBridge Pipe's filter (infra/merge-template.json, matched by
moto's EventBridge pattern matcher as infra.local.pipe plays it) agreeing with it record by record:
the filter lets through exactly the records the classifier makes an event of. A record the filter
drops that the classifier would act on is an event lost for good."""
from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from helpdesk.errors import BadRequest
from helpdesk.store.models import Agent, Contact, Item, Message, MessageRef, Profile, Rota, Ticket
from helpdesk.store.stream import change_of
from helpdesk.ticket_events import CREATED, REOPENED, AgentOnline, InboundSms, TicketEvent, event_of
from infra.local.pipe import Filter, filter_patterns

ACCOUNT = "acct-unit"
NOW = "2026-03-02T10:00:00.000Z"
LATER = "2026-03-02T10:05:00.000Z"
STREAM_ARN = ("arn:aws:dynamodb:us-east-1:123456789012:table/helpdesk/stream/2026-03-02T00:00:00.000")


# --- records as DynamoDB Streams writes them ------------------------------------------------------------

def record(event_name: str, new: Item | None = None, old: Item | None = None) -> dict[str, Any]:
    """A stream record of a NEW_AND_OLD_IMAGES stream, as the pipe receives it."""
    item = new if new is not None else old
    assert item is not None
    images: dict[str, Any] = {
        "ApproximateCreationDateTime": 1772445600.0,
        "Keys": {"pk": {"S": item.pk}, "sk": {"S": item.sk}},
        "SequenceNumber": str(uuid.uuid4().int % 10**21), "SizeBytes": 321,
        "StreamViewType": "NEW_AND_OLD_IMAGES",
    }
    if new is not None:
        images["NewImage"] = new.serialize()
    if old is not None:
        images["OldImage"] = old.serialize()
    return {"eventID": uuid.uuid4().hex, "eventName": event_name, "eventVersion": "1.1",
            "eventSource": "aws:dynamodb", "awsRegion": "us-east-1", "dynamodb": images,
            "eventSourceARN": STREAM_ARN}


def ticket(status: str = "open", version: int = 1, channel: str = "sms", ticket_id: str = "t-1",
           **fields: Any) -> Ticket:
    values: dict[str, Any] = {
        "account_id": ACCOUNT, "ticket_id": ticket_id, "channel": channel, "contact": "+16505550100",
        "profile_id": "p-1", "status": status, "tags": [], "created_at": NOW, "updated_at": NOW,
        "last_inbound_at": NOW, "message_count": version, "version": version,
        "gsi1pk": f"A#{ACCOUNT}#ST#{status}", "gsi1sk": f"{NOW}#{ticket_id}",
        **({"snooze_until": LATER} if status == "snoozed" else {}), **fields}
    return Ticket(f"A#{ACCOUNT}#T#{ticket_id}", "TICKET", **values)


def agent(online: bool, presence_at: str = NOW, active: bool = True, agent_id: str = "ag-1") -> Agent:
    return Agent(f"A#{ACCOUNT}", f"AGENT#{agent_id}", agent_id=agent_id, account_id=ACCOUNT, name="Ana",
                 role="support", active=active, online=online, presence_at=presence_at, created_at=NOW)


def contact() -> Contact:
    return Contact(f"A#{ACCOUNT}#C#sms#+16505550100", "CONTACT", account_id=ACCOUNT, channel="sms",
                   address="+16505550100", profile_id="p-1", first_seen_at=NOW)


def profile(consent: str | None = None) -> Profile:
    return Profile(f"A#{ACCOUNT}#P#p-1", "PROFILE", account_id=ACCOUNT, profile_id="p-1",
                   phone="+16505550100", created_at=NOW, consent_sms=consent)


def message(direction: str = "inbound", channel: str = "sms") -> Message:
    return Message(f"A#{ACCOUNT}#T#t-1", f"M#{NOW}#SM1", message_id="SM1", ticket_id="t-1", channel=channel,
                   direction=direction, body="where is my order?", created_at=NOW, sender="+16505550100")


def message_ref() -> MessageRef:
    return MessageRef(f"A#{ACCOUNT}#REF#sms#SM1", "REF", ticket_id="t-1", message_sk=f"M#{NOW}#SM1",
                      event="created", created_at=NOW)


def rota(turns: int) -> Rota:
    return Rota(f"A#{ACCOUNT}", "AGENT~ROTA", last_agent_id="ag-1", turns=turns)


# --- every kind of record, with what the product means by it ---------------------------------------------

def _cases() -> list[tuple[str, dict[str, Any], Any]]:
    created = TicketEvent(CREATED, ACCOUNT, "t-1", 1, "sms")
    return [
        ("ticket INSERT", record("INSERT", ticket("open", 1)), created),
        ("web-chat ticket INSERT", record("INSERT", ticket("open", 1, "webchat", "t-w")),
         TicketEvent(CREATED, ACCOUNT, "t-w", 1, "webchat")),
        ("spam ticket INSERT", record("INSERT", ticket("open", 1, spam=True)), created),
        ("ticket MODIFY closed->open", record("MODIFY", ticket("open", 5, reopen_count=1), ticket("closed", 4)),
         TicketEvent(REOPENED, ACCOUNT, "t-1", 5, "sms")),
        ("ticket MODIFY snoozed->open", record("MODIFY", ticket("open", 7), ticket("snoozed", 6)),
         TicketEvent(REOPENED, ACCOUNT, "t-1", 7, "sms")),
        ("ticket MODIFY open->open (a follow-up message)",
         record("MODIFY", ticket("open", 3, updated_at=LATER), ticket("open", 2)), None),
        ("ticket MODIFY open->open (assigned)",
         record("MODIFY", ticket("open", 3, assignee_id="ag-1"), ticket("open", 2)), None),
        ("ticket MODIFY open->closed", record("MODIFY", ticket("closed", 3), ticket("open", 2)), None),
        ("ticket MODIFY open->snoozed", record("MODIFY", ticket("snoozed", 3), ticket("open", 2)), None),
        ("ticket MODIFY closed->closed (a message kept quietly)",
         record("MODIFY", ticket("closed", 5), ticket("closed", 4)), None),
        ("ticket MODIFY snoozed->closed", record("MODIFY", ticket("closed", 5), ticket("snoozed", 4)), None),
        ("ticket REMOVE", record("REMOVE", old=ticket("open", 2)), None),
        ("agent INSERT online", record("INSERT", agent(True)), AgentOnline(ACCOUNT, "ag-1")),
        ("agent INSERT offline", record("INSERT", agent(False)), None),
        ("agent MODIFY offline->online", record("MODIFY", agent(True, LATER), agent(False)),
         AgentOnline(ACCOUNT, "ag-1")),
        ("agent MODIFY online->online (heartbeat)", record("MODIFY", agent(True, LATER), agent(True)), None),
        ("agent MODIFY online->offline", record("MODIFY", agent(False, LATER), agent(True)), None),
        ("agent MODIFY offline->offline (renamed)", record("MODIFY", agent(False), agent(False)), None),
        ("agent REMOVE", record("REMOVE", old=agent(True)), None),
        ("contact INSERT", record("INSERT", contact()), None),
        ("profile INSERT", record("INSERT", profile()), None),
        ("profile MODIFY (consent)", record("MODIFY", profile("unsubscribed"), profile("subscribed")), None),
        ("inbound SMS message INSERT", record("INSERT", message()),
         InboundSms(ACCOUNT, "t-1", f"M#{NOW}#SM1", "+16505550100", "where is my order?")),
        ("inbound web-chat message INSERT", record("INSERT", message(channel="webchat")), None),
        ("inbound SMS message MODIFY (team notified)", record("MODIFY", message(), message()), None),
        ("outbound message INSERT", record("INSERT", message("outbound")), None),
        ("message ref INSERT", record("INSERT", message_ref()), None),
        ("rota MODIFY", record("MODIFY", rota(2), rota(1)), None),
        ("message REMOVE", record("REMOVE", old=message()), None),
    ]


CASES = _cases()


@pytest.fixture(scope="module")
def pipe_filter() -> Filter:
    return Filter(filter_patterns())


@pytest.mark.parametrize(("raw", "expected"), [(r, e) for _, r, e in CASES], ids=[n for n, _, _ in CASES])
def test_the_classifier_reads_each_record_as_the_product_means_it(raw: dict[str, Any], expected: Any) -> None:
    assert event_of(change_of(raw)) == expected


@pytest.mark.parametrize(("raw", "expected"), [(r, e) for _, r, e in CASES], ids=[n for n, _, _ in CASES])
def test_an_sqs_body_holding_the_record_reads_the_same(raw: dict[str, Any], expected: Any) -> None:
    """The assignment Lambda gets the record as the JSON text of an SQS message body."""
    assert event_of(change_of(json.dumps(raw, separators=(",", ":")))) == expected


@pytest.mark.parametrize("raw", [r for _, r, _ in CASES], ids=[n for n, _, _ in CASES])
def test_the_pipe_filter_lets_through_exactly_what_the_classifier_acts_on(pipe_filter: Filter,
                                                                          raw: dict[str, Any]) -> None:
    acts = event_of(change_of(raw)) is not None
    passes = pipe_filter.matches(raw)
    assert passes == acts, ("the pipe drops a record the classifier acts on: the event is lost" if acts
                            else "the pipe lets through a record the classifier ignores")


def test_the_cases_cover_events_of_every_kind_and_records_of_no_interest() -> None:
    """The agreement above means something only if both sides of it are exercised."""
    events = [e for _, _, e in CASES]
    assert {e.type for e in events if isinstance(e, TicketEvent)} == {CREATED, REOPENED}
    assert any(isinstance(e, AgentOnline) for e in events)
    assert any(isinstance(e, InboundSms) for e in events)
    assert sum(e is None for e in events) >= 15


def test_the_pipe_has_a_filter_and_it_is_not_match_everything(pipe_filter: Filter) -> None:
    patterns = filter_patterns()
    assert patterns, "the pipe has no FilterCriteria: every change of the table would reach assignment"
    assert not pipe_filter.matches(record("INSERT", message("outbound")))


def test_change_reads_both_images_into_models() -> None:
    change = change_of(record("MODIFY", ticket("open", 5), ticket("closed", 4)))
    assert change.event_name == "MODIFY"
    assert isinstance(change.new, Ticket) and isinstance(change.old, Ticket)
    assert (change.new.status, change.old.status, int(change.new.version)) == ("open", "closed", 5)
    inserted = change_of(record("INSERT", agent(True)))
    assert isinstance(inserted.new, Agent) and inserted.old is None
    removed = change_of(record("REMOVE", old=contact()))
    assert removed.new is None and isinstance(removed.old, Contact)


def test_an_item_of_no_model_is_no_event() -> None:
    raw = record("INSERT", contact())
    raw["dynamodb"]["NewImage"] = {"pk": {"S": f"A#{ACCOUNT}#X"}, "sk": {"S": "X"}, "note": {"S": "by hand"}}
    assert event_of(change_of(raw)) is None


# --- malformed records -------------------------------------------------------------------------------------

@pytest.mark.parametrize("body", [
    "not json {", "", "[]", "42", '"INSERT"', json.dumps({"dynamodb": {"NewImage": ticket().serialize()}}),
    json.dumps({"eventName": "INSERT"}), json.dumps({"eventName": "INSERT", "dynamodb": "NewImage"}),
    json.dumps({"eventName": "UPSERT", "dynamodb": {"NewImage": ticket().serialize()}}),
    json.dumps({"eventName": None, "dynamodb": {}}),
], ids=["not-json", "empty", "a-list", "a-number", "a-string", "no-eventName", "no-dynamodb",
        "dynamodb-not-an-object", "unknown-eventName", "null-eventName"])
def test_a_malformed_record_is_refused_as_bad_request(body: str) -> None:
    with pytest.raises(BadRequest):
        change_of(body)


@pytest.mark.parametrize("body", [{}, {"eventName": "MODIFY"}, {"dynamodb": {}},
                                  {"eventName": "REMOVE", "dynamodb": []}])
def test_a_malformed_record_given_as_an_object_is_refused_as_bad_request(body: dict[str, Any]) -> None:
    with pytest.raises(BadRequest):
        change_of(body)
