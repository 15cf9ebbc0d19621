"""`events_lost_under_faults` of `make bench`: tickets never assigned or assigned twice when 1,000
messages go through webhook -> table -> stream -> pipe -> queue -> assignment Lambda while 10% of
the pipe's sends fail once, 10% of the queue's deliveries fail once in the worker, and the worker
dies in the middle of 10% of its batches (nothing of such a batch is acknowledged).

The run: 250 customers write in (250 new tickets), write again, agents close 100 of the tickets, one
agent signs off, everyone writes twice more (the 100 closed tickets reopen; those of the agent who
left go back into the rotation). Every ticket must end with an available assignee, and the rota's
turn count must be exactly the assignments the rules call for: one per new ticket and one per
reopened ticket whose assignee had left. Anything else is an event lost or acted on twice.
"""
from __future__ import annotations

import json
import os
import random
import time
from typing import Any

ACCOUNT = "bench-faults"
NUMBER = "+14155550177"
CUSTOMERS, CLOSED, AGENTS = 250, 100, 5
FAIL_RATE = 0.10


class Crash(BaseException):
    """The worker's process dying mid-batch: not an error the batch processor can report."""


class FlakySqs:
    """SQS as the pipe sees it: each message's first send fails, for FAIL_RATE of the messages."""

    def __init__(self, real: Any, chance: random.Random):
        self.real, self.chance, self.seen = real, chance, set[str]()
        self.failed = 0

    def send_message(self, **kwargs: Any) -> Any:
        from botocore.exceptions import ClientError

        body = kwargs["MessageBody"]
        if body not in self.seen:
            self.seen.add(body)
            if self.chance.random() < FAIL_RATE:
                self.failed += 1
                raise ClientError({"Error": {"Code": "ServiceUnavailable", "Message": "try again"}}, "SendMessage")
        return self.real.send_message(**kwargs)


class Worker:
    """The assignment Lambda behind its SQS event-source mapping, failing as the figure says."""

    def __init__(self, sqs: Any, queue_url: str, chance: random.Random):
        self.sqs, self.queue_url, self.chance = sqs, queue_url, chance
        self.failed_once: set[str] = set()
        self.handled: set[str] = set()
        self.records = self.crashes = self.record_failures = 0

    def _handler(self, crash_at: int | None) -> Any:
        from functions.assignment import record_handler

        done = [0]

        def handle(record: Any) -> None:
            if crash_at is not None and done[0] == crash_at:
                raise Crash()
            done[0] += 1
            body = record.body
            if body not in self.failed_once and self.chance.random() < FAIL_RATE:
                self.failed_once.add(body)
                self.record_failures += 1
                raise RuntimeError("delivery failed once")
            self.records += 1
            self.handled.add(body)
            record_handler(record)

        return handle

    def poll(self) -> int:
        from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
        from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

        got = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0,
                                       AttributeNames=["All"]).get("Messages", [])
        if not got:
            return 0
        event = {"Records": [{"messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"],
                              "attributes": m.get("Attributes", {}), "messageAttributes": {},
                              "md5OfBody": m["MD5OfBody"], "eventSource": "aws:sqs",
                              "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:bench-faults",
                              "awsRegion": "us-east-1"} for m in got]}
        crash_at = self.chance.randrange(len(got)) if self.chance.random() < FAIL_RATE else None
        try:
            result = process_partial_response(event=event, record_handler=self._handler(crash_at),
                                              processor=BatchProcessor(event_type=EventType.SQS))
        except Crash:
            self.crashes += 1
            return len(got)  # nothing acknowledged: the whole batch comes back
        except BatchProcessingError:
            # Every record of the batch failed: Powertools fails the invocation, and Lambda puts the
            # whole batch back, as after a crash.
            return len(got)
        failed = {f["itemIdentifier"] for f in result.get("batchItemFailures", [])}
        done = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(got)
                if m["MessageId"] not in failed]
        if done:
            self.sqs.delete_message_batch(QueueUrl=self.queue_url, Entries=done)
        return len(got)


def _ours(record: dict[str, Any]) -> bool:
    image = record["dynamodb"].get("NewImage") or record["dynamodb"].get("OldImage") or {}
    pk = str(image.get("pk", {}).get("S", ""))
    return pk == f"A#{ACCOUNT}" or pk.startswith(f"A#{ACCOUNT}#")


def _queue_empty(sqs: Any, url: str) -> bool:
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=[
        "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
    return all(int(v) == 0 for v in attrs.values())


def _settle(pipe: Any, worker: Worker, sqs: Any, url: str, deadline: float = 300.0) -> None:
    """Pump the pipe (retrying its failed sends, as the pipe does) and run the worker until nothing
    is left in flight."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        try:
            pipe.pump()
            pumped = True
        except Exception:  # noqa: BLE001 - a failed send: the pipe tries that batch again
            pumped = False
        # The worker runs meanwhile, as the queue's consumer does while the pipe retries.
        while worker.poll():
            pass
        if pumped:
            if _queue_empty(sqs, url):
                return
            time.sleep(0.2)  # a crashed batch is invisible until its visibility timeout ends
    raise RuntimeError("the queue did not drain")


def _sms(frm: str, body: str) -> None:
    from functions.webhooks.sms import handler
    from tests.bench.bench import TWILIO_TOKEN
    from tests.providers import sms_event, sms_params

    answer = handler(sms_event(TWILIO_TOKEN, sms_params(frm, NUMBER, body)), None)
    if answer["statusCode"] != 200:
        raise RuntimeError(f"webhook answered {answer['statusCode']}")


def measure(server: Any) -> dict[str, float | int]:
    import boto3

    from helpdesk.agents import fresh_since
    from helpdesk.clock import now_iso
    from helpdesk.conversation import Channel, customer_ticket_id
    from helpdesk.store import accounts, agents
    from helpdesk.store import tickets as ticket_store
    from infra.local.pipe import StreamPipe, stream_arn
    from tests.bench.bench import TABLE, log

    os.environ["AGENT_PRESENCE_SECONDS"] = "3600"  # the run outlasts a heartbeat; presence is not under test
    chance = random.Random(20261202)
    client = {name: boto3.client(name, endpoint_url=server.url, region_name="us-east-1")
              for name in ("sqs", "dynamodb", "dynamodbstreams")}
    sqs = client["sqs"]
    dlq = sqs.create_queue(QueueName="bench-faults-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    url = sqs.create_queue(QueueName="bench-faults", Attributes={"VisibilityTimeout": "1", "RedrivePolicy": json.dumps(
        {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "10"})})["QueueUrl"]
    pipe = StreamPipe(client["dynamodbstreams"], stream_arn(client["dynamodb"], TABLE), FlakySqs(sqs, chance),
                      lambda record: url if _ours(record) else None, start_at="LATEST")
    pipe.pump()  # positions the pipe at the stream's end: earlier benchmarks' records are not ours
    worker = Worker(sqs, url, chance)

    accounts.put_account(ACCOUNT, "Bench Faults")
    accounts.add_channel_address(ACCOUNT, Channel.SMS, NUMBER)
    staff = sorted(f"agent-{i:02d}" for i in range(AGENTS))
    for agent_id in staff:
        agents.put_agent(ACCOUNT, agent_id, name=agent_id, role="support", online=True)
    _settle(pipe, worker, sqs, url)  # the agents coming online (nothing waits for them yet)
    customers = [f"+1650700{i:04d}" for i in range(CUSTOMERS)]
    started = time.perf_counter()
    for round_ in range(2):
        for number in customers:
            _sms(number, f"message {round_}")
        _settle(pipe, worker, sqs, url)
    tickets = {c: customer_ticket_id(ACCOUNT, Channel.SMS, c) for c in customers}
    for number in customers[:CLOSED]:
        ticket = ticket_store.get_ticket(ACCOUNT, tickets[number])
        assert ticket_store.edit_ticket(ticket, {"status": "closed"}, now_iso()) is not None
    leaving = staff[0]
    agents.sign_off(ACCOUNT, leaving)
    back_to_rotation = sum(1 for c in customers[:CLOSED]
                           if ticket_store.get_ticket(ACCOUNT, tickets[c]).assignee_id == leaving)
    for round_ in range(2, 4):
        for number in customers:
            _sms(number, f"message {round_}")
        _settle(pipe, worker, sqs, url)
    elapsed = time.perf_counter() - started

    roster = agents.roster(ACCOUNT, fresh_since())
    final = [ticket_store.get_ticket(ACCOUNT, tickets[c]) for c in customers]
    # Lost: a ticket nobody has, or a reopened one left with the agent who went away. (A ticket that
    # never closed keeps its assignee, present or not: the rules move only new and reopened ones.)
    reopened = {tickets[c] for c in customers[:CLOSED]}
    unassigned = sum(1 for t in final if not t.assignee_id
                     or (t.ticket_id in reopened and not roster.is_online(t.assignee_id)))
    expected_turns = CUSTOMERS + back_to_rotation
    extra_turns = abs(roster.turns - expected_turns)
    dead = int(sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["ApproximateNumberOfMessages"])
               ["Attributes"]["ApproximateNumberOfMessages"])
    log(f"faults: {CUSTOMERS * 4} messages in {elapsed:.1f} s; pipe sends failed once {pipe.sqs.failed}, "
        f"worker records failed once {worker.record_failures}, batches killed {worker.crashes}, "
        f"records handled {worker.records}; turns {roster.turns} (expected {expected_turns}), "
        f"tickets unassigned or reopened without an available assignee {unassigned}, dead-lettered {dead}")
    os.environ.pop("AGENT_PRESENCE_SECONDS", None)
    return {"events_lost_under_faults": unassigned + extra_turns + dead,
            "events_redelivered_under_faults": worker.records - len(worker.handled),
            "tickets_under_faults": CUSTOMERS, "assignments_under_faults": roster.turns}
