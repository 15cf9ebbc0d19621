"""`make run`: the whole stack on this machine, with demo data (ARCHITECTURE §5).

moto serves DynamoDB (and its stream), SQS, SES and Cognito; the same table and queues the stack
deploys are created; a gateway on 127.0.0.1:8000 plays API Gateway; pumps play the two EventBridge Pipes
reading the table's stream (the ticket-events pipe, to its queue; the table-changes pipe, onto the
table-changes bus, whose rules send each change to the queues of the consumers that want it: the view
index, attribution, reports), and a poller each SQS event-source mapping (assignment's and each of those
consumers'). .local/stack.json says where everything is while it runs. Ctrl-C stops it all.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import signal
import sys
import threading
import uuid
from pathlib import Path
from typing import Any

from infra.local import cognito, demo
from infra.local.moto_server import MotoServer
from infra.local.pipe import MERGE_TEMPLATE, PIPE, TABLE_CHANGES_PIPE, bus_rules

ROOT = Path(__file__).resolve().parents[2]
REGION = "us-east-1"


def local_queue_name(logical_id: str) -> str:
    """The local name of a queue of the merge template: `TicketEventsQueue` is `helpdesk-ticket-events`, the
    name the placeholder ARN of the SQS event source reading it names (functions/*.py: QUEUE_ARN_PLACEHOLDER)."""
    stem = logical_id.removesuffix("Queue")
    return "helpdesk-" + re.sub(r"(?<!^)(?=[A-Z])", "-", stem).lower()


def pipe_target(pipe: str = PIPE) -> str:
    """The logical id of what the merge template's pipe targets (the ticket-events pipe: its queue)."""
    return str(json.loads(MERGE_TEMPLATE.read_text())["Resources"][pipe]["Properties"]["Target"]["Fn::GetAtt"][0])


def fed_queues() -> dict[str, str]:
    """The queues the stream's pipes feed, local name by logical id: the ticket-events pipe's target and each
    table-changes bus rule's."""
    return {queue: local_queue_name(queue) for queue in (pipe_target(), *(rule.queue for rule in bus_rules()))}


def _environment(endpoint: str) -> dict[str, str]:
    return {
        "AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_DEFAULT_REGION": REGION, "AWS_REGION": REGION, "TABLE_NAME": demo.TABLE_NAME,
        "TWILIO_AUTH_TOKEN": demo.SECRETS["twilio_auth_token"], "TWILIO_ACCOUNT_SID": demo.TWILIO_ACCOUNT_SID,
        "WHATSAPP_ACCESS_TOKEN": demo.SECRETS["whatsapp_access_token"],
        "INSTAGRAM_ACCESS_TOKEN": demo.SECRETS["instagram_access_token"],
        "META_GRAPH_VERSION": demo.META_GRAPH_VERSION,
        "META_APP_SECRET": demo.SECRETS["meta_app_secret"],
        "META_VERIFY_TOKEN": demo.SECRETS["meta_verify_token"],
        "MAILGUN_SIGNING_KEY": demo.SECRETS["mailgun_signing_key"],
        "WEBCHAT_SECRET": demo.SECRETS["webchat_secret"],
        "WEBCHAT_SESSION_KEY": demo.SECRETS["webchat_session_key"],
        "SUPPORT_EMAIL": demo.SUPPORT_EMAIL,
        "DEFAULT_ACCOUNT_ID": demo.ACCOUNT_ID,
        "POWERTOOLS_SERVICE_NAME": "helpdesk-local",
        "HELPDESK_METRICS": os.environ.get("HELPDESK_METRICS", "off"),
    }


class LocalStack:
    def __init__(self, host: str = "127.0.0.1", port: int = 8000, state_file: Path = ROOT / ".local" / "stack.json"):
        self.host, self.port, self.state_file = host, port, state_file
        self.moto: MotoServer | None = None
        self.http: Any = None
        self.mappings: list[Any] = []
        self.schedules: list[Any] = []
        self.pipes: list[Any] = []
        self.presence: Any = None
        self.standins: Any = None
        self.shopify: Any = None  # infra.local.shopify_standin.ShopifyStandIn
        self.recharge: Any = None  # infra.local.recharge_standin.RechargeStandIn
        # The deployed sweep runs every minute; locally a shorter period keeps demos brisk.
        self.sweep_seconds = float(os.environ.get("HELPDESK_SWEEP_SECONDS", "15"))
        self.info: dict[str, Any] = {}

    def start(self) -> dict[str, Any]:
        self.moto = MotoServer().start()
        os.environ.update(_environment(self.moto.url))
        for var in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
            os.environ.pop(var, None)
        from infra.local.standins import StandIns

        # The providers the stack sends through, up before anything (the demo data included) could
        # send: their base URLs are settings of the send clients. The webhooks they report delivery
        # to are the gateway's, whose address is known before it listens unless its port is 0.
        self.standins = StandIns(f"http://{self.host}:{self.port}", self.host).start()
        os.environ.update(self.standins.environment())
        from infra.local.recharge_standin import RechargeStandIn
        from infra.local.shopify_standin import ShopifyStandIn

        # The demo shop's Shopify Admin GraphQL and Recharge, for the order skill and the agents' order actions.
        self.shopify, self.recharge = ShopifyStandIn(self.host).start(), RechargeStandIn(self.host).start()
        os.environ.update({**self.shopify.environment(), **self.recharge.environment()})
        import boto3

        def client(service: str) -> Any:
            return boto3.client(service, endpoint_url=self.moto.url, region_name=REGION)  # type: ignore[union-attr]

        from helpdesk.store.schema import create_table

        create_table(client("dynamodb"), demo.TABLE_NAME)
        queues = self._queues(client("sqs"))
        from infra.local.pipe import EventBus, StreamPipe, stream_arn

        # Started before anything is written, from the stream's start: the demo data's own events
        # (tickets created, agents online) reach assignment, and its changes the bus's consumers (its
        # tickets the view index, its customers' SMS attribution), as they would once deployed. Each of
        # the two pipes reads the stream on its own, as the deployed ones do.
        stream = stream_arn(client("dynamodb"), demo.TABLE_NAME)
        self.pipes.append(StreamPipe(client("dynamodbstreams"), stream, client("sqs"),
                                     queues[local_queue_name(pipe_target())], pipe=PIPE).start())
        bus_sqs = client("sqs")

        def deliver(rule: Any, body: str) -> None:
            bus_sqs.send_message(QueueUrl=queues[local_queue_name(rule.queue)], MessageBody=body)

        bus = EventBus(deliver, region=REGION)
        self.pipes.append(StreamPipe(client("dynamodbstreams"), stream, None, None, pipe=TABLE_CHANGES_PIPE,
                                     sink=bus.put).start())
        client("ses").verify_email_identity(EmailAddress=demo.SUPPORT_EMAIL)
        client("s3").create_bucket(Bucket=demo.MAIL_BUCKET)
        os.environ.update({"MAIL_BUCKET": demo.MAIL_BUCKET, "SES_OBJECT_PREFIX": "inbound/"})
        # Where an SES receipt rule would have stored the message of events/email/ses-receipt.json.
        from infra.local import samples

        client("s3").put_object(Bucket=demo.MAIL_BUCKET, Key=f"inbound/{samples.SES_MESSAGE_ID}",
                                Body=samples.MIME.encode())
        pool = cognito.create_pool(client("cognito-idp"), self.moto.url, email_usernames=True)
        # The console signs in against moto's user pool (helpdesk.console.config tells the page where).
        os.environ.update({**cognito.auth_environment(pool), "COGNITO_ENDPOINT_URL": self.moto.url})
        tokens = self._seed(client("cognito-idp"), pool)
        self.presence = DemoConsole(client("cognito-idp"), pool, self).start()

        from app import app  # only now: the functions read their settings from the environment above
        from infra.local.gateway import Gateway, function_handlers, serve
        from infra.local.sqs_mapping import Schedule, SqsMapping

        self.http = serve(Gateway(app), self.host, self.port)
        self.port = self.http.server_address[1]
        self.standins.api_url = f"http://{self.host}:{self.port}"
        # Where the replies' links and Twilio's status callbacks point: this gateway.
        os.environ.update({"LINK_BASE_URL": self.standins.api_url, "WEBHOOK_BASE_URL": self.standins.api_url})
        threading.Thread(target=self.http.serve_forever, name="gateway", daemon=True).start()
        sqs = client("sqs")
        from chalice.app import ScheduledEventConfig, SQSEventConfig

        handlers = function_handlers(app)
        for source in app.event_sources:
            if isinstance(source, SQSEventConfig):
                url = self._queue_of(source, queues)
                arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
                mapping = SqsMapping(sqs, url, arn, source.name, handlers[source.name][1], source.batch_size)
                self.mappings.append(mapping.start())
            elif isinstance(source, ScheduledEventConfig):
                self.schedules.append(Schedule(source.name, handlers[source.name][1], self.sweep_seconds).start())
        self.info = self._describe(queues, tokens, pool)
        self.write_state()
        return self.info

    def _queues(self, sqs: Any) -> dict[str, str]:
        """Each queue the pipes feed (directly or through the bus's rules) with its dead-letter queue, by name."""
        queues: dict[str, str] = {}
        for name in fed_queues().values():
            dlq_name = name + "-dlq"
            dlq = sqs.create_queue(QueueName=dlq_name)["QueueUrl"]
            dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            queues[name] = sqs.create_queue(QueueName=name, Attributes={
                "VisibilityTimeout": "5",
                "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "5"}),
            })["QueueUrl"]
            queues[dlq_name] = dlq
        return queues

    @staticmethod
    def _queue_of(source: Any, queues: dict[str, str]) -> str:
        """The local queue an SQS event source reads: the one its (placeholder) ARN or name names."""
        name = str(source.queue or "") or str(source.queue_arn or "").rsplit(":", 1)[-1]
        if name not in fed_queues().values():
            raise RuntimeError(f"{source.name} reads queue {name!r}, which neither pipe of the local stack feeds "
                               f"({sorted(fed_queues().values())})")
        return queues[name]

    def _seed(self, idp: Any, pool: cognito.Pool) -> dict[str, str]:
        from helpdesk import clock, intake
        from helpdesk.conversation import Channel, InboundMessage
        from helpdesk.store import accounts, agents

        accounts.put_account(demo.ACCOUNT_ID, demo.ACCOUNT_NAME, help_text=demo.HELP_TEXT,
                             support_email=demo.SUPPORT_EMAIL, office_hours=demo.OFFICE_HOURS,
                             autoresponder=demo.AUTORESPONDER)
        accounts.add_channel_address(demo.ACCOUNT_ID, Channel.SMS, demo.SMS_NUMBER)
        accounts.add_channel_address(demo.ACCOUNT_ID, Channel.WHATSAPP, demo.WHATSAPP_PHONE_NUMBER_ID,
                                     display_address=demo.WHATSAPP_DISPLAY_NUMBER)
        accounts.add_channel_address(demo.ACCOUNT_ID, Channel.INSTAGRAM, demo.INSTAGRAM_ACCOUNT_ID)
        accounts.add_channel_address(demo.ACCOUNT_ID, Channel.EMAIL, demo.SUPPORT_EMAIL)
        accounts.add_channel_address(demo.ACCOUNT_ID, Channel.WEBCHAT, demo.ACCOUNT_ID)
        tokens: dict[str, str] = {}
        subs: dict[str, str] = {}
        for person in demo.AGENTS:
            user = cognito.add_user(idp, pool, person.email, person.email, person.role)
            tokens[person.role], subs[person.role] = user.token, user.sub
            if person.helpdesk:  # the analyst is a user of the pool, never invited to the helpdesk
                agents.put_agent(demo.ACCOUNT_ID, user.sub, name=person.name, role=person.role,
                                 email=person.email, online=person.online)
        from helpdesk.store import links

        links.put_links([links.NewLink(demo.LINK_CODE, demo.ACCOUNT_ID, demo.LINK_URL, clock.now_iso())])
        from helpdesk.store import views
        from helpdesk.store.models import Macro, account_pk

        owner = subs["owner"]  # the demo view, macro, policies and settings are the owner's
        from helpdesk import account_settings, kb
        from helpdesk.auth import AgentIdentity

        as_owner = AgentIdentity(owner, demo.ACCOUNT_ID, ("owner",))
        for policy in demo.POLICIES:
            kb.create(as_owner, dict(policy))
        account_settings.change(as_owner, {"skills": {"customer_hub_url": demo.CUSTOMER_HUB_URL}})
        views.put_view(demo.ACCOUNT_ID, demo.VIEW_ID, "Open SMS", {"channel": "sms", "status": "open"}, "newest",
                       owner, clock.now_iso())
        Macro(account_pk(demo.ACCOUNT_ID), f"MACRO#{demo.MACRO_ID}", macro_id=demo.MACRO_ID, name="Where is my order",
              body=demo.MACRO_BODY, created_by=owner, created_at=clock.now_iso(), updated_at=clock.now_iso()).save()
        for customer in demo.CUSTOMERS:
            accounts.put_customer(demo.ACCOUNT_ID, Channel.SMS, customer.phone, customer.name, customer.sms_consent)
            for text in customer.messages:
                sid = "SMdemo" + uuid.uuid4().hex
                intake.receive(InboundMessage(Channel.SMS, demo.SMS_NUMBER, customer.phone, sid, text,
                                              clock.now_iso(), contact_name=customer.name))
        return tokens

    def _describe(self, queues: dict[str, str], tokens: dict[str, str], pool: cognito.Pool) -> dict[str, Any]:
        assert self.moto is not None
        from infra.local.shopify_standin import demo_customers

        return {
            "api_url": f"http://{self.host}:{self.port}", "aws_endpoint_url": self.moto.url, "region": REGION,
            "table_name": demo.TABLE_NAME, **demo.SECRETS, "queues": queues, "account_id": demo.ACCOUNT_ID,
            "channels": {
                "sms": demo.SMS_NUMBER,
                "whatsapp": {"phone_number_id": demo.WHATSAPP_PHONE_NUMBER_ID,
                             "display_phone_number": demo.WHATSAPP_DISPLAY_NUMBER},
                "instagram": {"account_id": demo.INSTAGRAM_ACCOUNT_ID},
                "email": demo.SUPPORT_EMAIL,
            },
            "tokens": tokens,
            "console_url": f"http://{self.host}:{self.port}/console/",
            # Each demo user by role, to sign in to the console (the analyst is no agent: the console says so).
            "users": {person.role: {"email": person.email, "password": cognito.PASSWORD} for person in demo.AGENTS},
            "outbox_url": self.standins.url + "/outbox",
            "demo_customers": demo_customers(), "shopify_url": self.shopify.url, "recharge_url": self.recharge.url,
            "twilio_account_sid": demo.TWILIO_ACCOUNT_SID, "meta_graph_version": demo.META_GRAPH_VERSION,
            "mail_bucket": demo.MAIL_BUCKET,
            "cognito": {"user_pool_id": pool.pool_id, "client_id": pool.client_id, "jwks_url": pool.jwks_url},
            "pid": os.getpid(),
        }

    def write_state(self) -> None:
        self.state_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.info, indent=2))
        tmp.replace(self.state_file)

    def stop(self) -> None:
        """Stops what was started (after a failed start too), each part even if one before it fails:
        moto is a process of its own and must not outlive the stack."""
        steps: list[Any] = []
        if self.presence is not None:
            steps.append(self.presence.stop)
        # No new work, then the workers finish what they hold (they call the stand-ins: the order skill
        # Shopify and Twilio), then the stand-ins, while the gateway is still up for a delivery report in flight.
        steps += [pipe.stop for pipe in self.pipes]
        steps += [schedule.stop for schedule in self.schedules]
        steps += [mapping.stop for mapping in self.mappings]
        if self.standins is not None:
            steps.append(self.standins.stop)
        steps += [standin.stop for standin in (self.shopify, self.recharge) if standin is not None]
        if self.http is not None:
            steps += [self.http.shutdown, self.http.server_close]
        if self.moto is not None:
            steps.append(self.moto.stop)
        for step in steps:
            try:
                step()
            except Exception:  # the next part still stops
                import traceback

                traceback.print_exc()
        if self.state_file.exists() and json.loads(self.state_file.read_text() or "{}").get("pid") == os.getpid():
            self.state_file.unlink()


class DemoConsole:
    """What the demo agents' open consoles would do: a heartbeat for each demo agent who is online
    (so their presence does not expire while `make run` is up; one set offline stays offline), and
    fresh tokens in .local/stack.json before the old ones expire. Once a real console beats for an
    agent (their presence is not the one written here), that agent is left to it for good: closing
    the tab then ends their round robin after the expiry, as deployed."""

    HEARTBEAT_SECONDS = 30.0
    TOKEN_SECONDS = 30 * 60.0

    def __init__(self, idp: Any, pool: cognito.Pool, stack: LocalStack):
        self.idp, self.pool, self.stack = idp, pool, stack
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="demo-console", daemon=True)
        self.wrote: dict[str, str | None] = {}  # agent id -> the presence this wrote last
        self.released: set[str] = set()  # agents a real console beats for
        self.first = True

    def start(self) -> DemoConsole:
        if os.environ.get("HELPDESK_DEMO_HEARTBEAT", "on") != "off":
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)

    def beat(self) -> None:
        from helpdesk.agents import fresh_since
        from helpdesk.store import agents

        for agent in agents.roster(demo.ACCOUNT_ID).agents:
            if agent.agent_id in self.released or not (agent.email or "").endswith("@demo-store.example"):
                continue
            seen = self.wrote.get(agent.agent_id)
            if seen is not None and agent.presence_at != seen:
                self.released.add(agent.agent_id)  # someone else set their presence since: a console
                continue
            # Only those the demo starts online: one a console brings online later is that console's.
            if not agent.online or not (self.first or seen is not None):
                continue
            # The first beat: no console yet (a presence left to expire comes online as a change). Later
            # ones only if the presence is still as the demo left it: a console that switched the agent
            # offline after the roster was read keeps them offline.
            beaten = (agents.heartbeat(demo.ACCOUNT_ID, agent.agent_id, fresh_since()) if seen is None
                      else agents.keep_online(demo.ACCOUNT_ID, agent.agent_id, seen))
            if beaten is None:
                self.released.add(agent.agent_id)
                continue
            self.wrote[agent.agent_id] = beaten.presence_at
        self.first = False

    def refresh_tokens(self) -> None:
        tokens = {person.role: cognito.sign_in(self.idp, self.pool, person.email) for person in demo.AGENTS}
        self.stack.info["tokens"] = tokens
        self.stack.write_state()

    def _run(self) -> None:
        import time

        refreshed = time.monotonic()
        while not self._stop.wait(self.HEARTBEAT_SECONDS):
            try:
                self.beat()
                if time.monotonic() - refreshed >= self.TOKEN_SECONDS:
                    self.refresh_tokens()
                    refreshed = time.monotonic()
            except Exception:  # the next beat tries again
                import traceback

                traceback.print_exc()


def _banner(info: dict[str, Any]) -> str:
    api = info["api_url"]
    others = ", ".join(user["email"] for role, user in info["users"].items() if role != "owner")
    return f"""
Helpdesk local stack is up.
  Agent console           {info['console_url']}
                          sign in as {info['users']['owner']['email']} (or {others})
                          password {info['users']['owner']['password']}
  API (agents, webhooks)  {api}   OpenAPI: {api}/api/openapi.json
  AWS (moto)              {info['aws_endpoint_url']}  table {info['table_name']}
  State for tools         .local/stack.json
  Demo account            {info['account_id']}: SMS {info['channels']['sms']}, \
WhatsApp phone_number_id {info['channels']['whatsapp']['phone_number_id']}

Demo agent token (owner):
  {info['tokens']['owner']}

Try:
  TOKEN=$(python3 -c "import json; print(json.load(open('.local/stack.json'))['tokens']['owner'])")
  curl -s -H "Authorization: Bearer $TOKEN" '{api}/api/tickets?view=all'
  make invoke FN=sms_webhook EVENT=events/sms/inbound.json
Ctrl-C stops everything.
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default=os.environ.get("HELPDESK_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("HELPDESK_PORT", "8000")))
    parser.add_argument("--state-file", type=Path, default=ROOT / ".local" / "stack.json")
    args = parser.parse_args(argv)
    stack = LocalStack(args.host, args.port, args.state_file)
    stopped = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopped.set())
    try:
        info = stack.start()
        print(_banner(info), flush=True)
        # Waking now and then: Python runs a signal's handler in the main thread only, and a signal the
        # kernel hands to another of the stack's threads does not interrupt an untimed wait.
        while not stopped.wait(0.5):
            pass
    except OSError as error:
        print(f"cannot start the local stack: {error}", file=sys.stderr)
        return 1
    finally:
        print("stopping...", flush=True)
        stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

