"""The structural checks of `python -m infra.build` (step 5): what cfn-lint cannot see in the packaged stack.

Each takes a template (SAM's template.json or the translated one) and returns its problems as printable
lines (none: it holds). The stack they hold the templates to:
- every webhook module is a function reachable through a REST API route, stage and invoke permission;
- the table is the models' table (helpdesk.store.schema) with point-in-time recovery;
- one role per function, inline and least-privilege; index grants cover every index of the table;
- every SQS mapping reports batch item failures from a queue of the stack with a DLQ and a long enough
  visibility timeout, and each consumer of the table's stream has one; every dead-letter queue (of a queue, a
  pipe or a rule's target) has an alarm;
- the stream's consumers (STREAM_CONSUMERS: assignment's ticket events, the view index's view changes,
  attribution's inbound SMS, the reports' ticket changes, the order skill's inbound web chat and SMS), each
  consuming a queue of its own: the table's stream has exactly two readers (DynamoDB Streams throttles more), both
  EventBridge Pipes with bounded retries and a DLQ. The ticket-events pipe feeds assignment's queue; the table-
  changes pipe puts what its filter keeps (the union of the rules' patterns, no more) on an event bus of the
  stack, where one rule per other consumer sends its records to that consumer's queue (with a DLQ and a retry
  policy; the queue and the DLQ let EventBridge send for that rule alone). Each pipe's role reads the stream and
  sends to its target and its DLQ, nothing else; no function sends to those queues or puts events on the bus (a
  change follows from a committed write);
- the agents' user pool: retained, email usernames, admin-created users only, no custom attributes (an
  agent's account and role are the helpdesk's Agent item, never a claim the user could write), a group
  per helpdesk role, app clients without a secret that may write `name` and nothing else; only the
  agent API's role calls cognito-idp, with the calls that manage agents' accounts, on that pool only;
- every function has the domain layer and finds the table (the API: the pool and its client) by reference;
- what deploying sets (resolved by `Values`, with the defaults or given parameter values): mail is sent as the
  SES identities the deployment lists (no default identity); one stage per REST API; the webhook API takes
  multipart bodies as binary and the rest as text, and throttles its stage (web chat lower); functions behind
  API Gateway time out before its 29 s; every function has reserved concurrency (an SQS mapping polls no more);
  every alarm notifies the stack's topic and every function's Errors are alarmed; buckets block public access
  and plain HTTP, raw mail expires (never the attachments); SES invokes the email function for this account's
  (named) receipt rule; optional settings are parameters, unset while empty; the table expires `expires_at`;
  Bedrock is called only by the functions the deployment names a tagging model for, on that model only
  (an inference profile: the profile, and its model in any Region only through that profile).
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterator
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
ASSIGNMENT_HANDLER = "functions.assignment."  # the consumer of the ticket-events queue
VIEW_INDEX_HANDLER = "functions.view_index."  # the consumer of the view-index queue
ATTRIBUTION_HANDLER = "functions.attribution."  # the consumer of the attribution queue
REPORTS_HANDLER = "functions.reports."  # the consumer of the reports queue
ORDER_LOOKUP_HANDLER = "functions.order_lookup."  # the consumer of the order-lookup queue (the order skill)
# The functions the table's stream feeds, by handler prefix: what they consume. Each has a queue of its own (their
# filters differ: none wakes for another's records). Assignment's ticket events come through a pipe of their own
# (PIPE_CONSUMER); every other consumer's (BUS_CONSUMERS) through the table-changes pipe, its bus and a rule each.
STREAM_CONSUMERS = {ASSIGNMENT_HANDLER: "ticket events", VIEW_INDEX_HANDLER: "view changes",
                    ATTRIBUTION_HANDLER: "inbound SMS", REPORTS_HANDLER: "ticket changes",
                    ORDER_LOOKUP_HANDLER: "inbound web chat and SMS"}
PIPE_CONSUMER = ASSIGNMENT_HANDLER
BUS_CONSUMERS = {prefix: what for prefix, what in STREAM_CONSUMERS.items() if prefix != PIPE_CONSUMER}
API_HANDLER = "functions.api.app"  # Chalice's one API function, the agent API (merge-template sets it)


def structural_problems(template: dict[str, Any], translated: dict[str, Any]) -> list[str]:
    return [*webhook_route_problems(translated), *table_problems(translated), *role_problems(translated),
            *index_grant_problems(translated), *queue_mapping_problems(translated),
            *dead_letter_alarm_problems(translated), *pipe_problems(translated), *bus_problems(translated),
            *queue_sender_problems(translated),
            *user_pool_problems(translated), *user_pool_grant_problems(translated), *layer_problems(translated),
            *environment_problems(template), *ses_identity_problems(translated), *stage_problems(translated),
            *webhook_api_problems(translated), *api_timeout_problems(translated), *concurrency_problems(translated),
            *alarm_problems(translated), *bucket_problems(translated), *ses_invoke_problems(translated),
            *optional_environment_problems(template), *handler_problems(translated),
            *bedrock_grant_problems(translated)]


# Each Lambda's handler is the module of its own code: one named `app.` imports app.py, which
# imports every function's module (the API Lambda's cold start would load the webhooks and the worker).
def handler_problems(translated: dict[str, Any]) -> list[str]:
    return [f"{function}: handler {handler!r} imports every function's code (point it at its own module)"
            for function, r in of_type(translated.get("Resources", {}), "AWS::Lambda::Function")
            if str(handler := r["Properties"].get("Handler", "")).startswith("app.")]


# ------------------------------------------------------------------------------------ webhook routes


def webhook_modules() -> list[str]:
    """The webhook Lambdas: one module each under functions/webhooks."""
    return sorted(p.stem for p in (ROOT / "functions" / "webhooks").glob("*.py") if p.stem != "__init__")


# Every webhook answers POST /webhooks/<module>; these answer more (ARCHITECTURE.md section 6).
EXTRA_WEBHOOK_ROUTES: dict[str, list[tuple[str, str]]] = {
    "whatsapp": [("/webhooks/whatsapp", "get")],
    "instagram": [("/webhooks/instagram", "get")],
    "webchat": [("/webchat/sessions", "post"), ("/webhooks/webchat/{conversation_id}/messages", "get")],
}


def expected_webhook_routes(module: str) -> list[tuple[str, str]]:
    return [(f"/webhooks/{module}", "post"), *EXTRA_WEBHOOK_ROUTES.get(module, [])]


def webhook_route_problems(translated: dict[str, Any], modules: list[str] | None = None) -> list[str]:
    """Each webhook function is reachable: a REST API with a stage whose body routes its path and method
    to an integration invoking that function, and a permission letting API Gateway invoke it."""
    resources = translated.get("Resources", {})
    problems = []
    for module in webhook_modules() if modules is None else modules:
        handler_prefix = f"functions.webhooks.{module}."
        functions = [name for name, r in of_type(resources, "AWS::Lambda::Function")
                     if str(r["Properties"].get("Handler", "")).startswith(handler_prefix)]
        if len(functions) != 1:
            problems.append(f"webhook {module}: expected one function with handler {handler_prefix}*, "
                            f"found {functions}")
            continue
        function = functions[0]
        for path, method in expected_webhook_routes(module):
            apis = [api for api, r in of_type(resources, "AWS::ApiGateway::RestApi")
                    if references(((r["Properties"].get("Body") or {}).get("paths") or {}).get(path, {})
                                   .get(method, {}).get("x-amazon-apigateway-integration", {}).get("uri"),
                                   function)]
            if not apis:
                problems.append(f"webhook {module}: no REST API routes {method.upper()} {path} to {function}")
                continue
            if not any(references(r["Properties"].get("RestApiId"), api)
                       for api in apis for _, r in of_type(resources, "AWS::ApiGateway::Stage")):
                problems.append(f"webhook {module}: REST API {apis} has no stage")
            if not any(references(r["Properties"].get("FunctionName"), function)
                       and r["Properties"].get("Principal") == "apigateway.amazonaws.com"
                       and any(references(r["Properties"].get("SourceArn"), api) for api in apis)
                       for _, r in of_type(resources, "AWS::Lambda::Permission")):
                problems.append(f"webhook {module}: API Gateway may not invoke {function}")
    return problems


# ----------------------------------------------------------------------------------------- the table


def cloudformation_table(props: dict[str, Any]) -> dict[str, Any]:
    """Table properties (CloudFormation's or CreateTable's shape) normalised for comparison."""
    stream = dict(props.get("StreamSpecification") or {})
    enabled = stream.pop("StreamEnabled", True)
    return {
        "AttributeDefinitions": sorted(props.get("AttributeDefinitions", []), key=lambda d: d["AttributeName"]),
        "KeySchema": props.get("KeySchema"),
        "GlobalSecondaryIndexes": sorted(props.get("GlobalSecondaryIndexes", []), key=lambda g: g["IndexName"]),
        "BillingMode": props.get("BillingMode", "PROVISIONED"),
        "StreamSpecification": stream if enabled else {},
    }


def table_problems(translated: dict[str, Any]) -> list[str]:
    """The deployed table is the models' table (helpdesk.store.schema.table_definition) with PITR on."""
    from helpdesk.store.schema import table_definition

    tables = list(of_type(translated.get("Resources", {}), "AWS::DynamoDB::Table"))
    if len(tables) != 1:
        return [f"expected one DynamoDB table, found {[name for name, _ in tables]}"]
    name, table = tables[0]
    props = table["Properties"]
    deployed, models = cloudformation_table(props), cloudformation_table(table_definition())
    problems = [f"table {name}: {key} differs from the models: deployed {deployed[key]!r}, models {models[key]!r}"
                for key in models if deployed[key] != models[key]]
    if not (props.get("PointInTimeRecoverySpecification") or {}).get("PointInTimeRecoveryEnabled"):
        problems.append(f"table {name}: point-in-time recovery is off")
    ttl = props.get("TimeToLiveSpecification")
    if ttl != {"AttributeName": TTL_ATTRIBUTE, "Enabled": True}:
        problems.append(f"table {name}: TimeToLiveSpecification {ttl!r}: items with {TTL_ATTRIBUTE} never expire")
    if not models_with_number(TTL_ATTRIBUTE):
        problems.append(f"table {name}: no model has a number attribute {TTL_ATTRIBUTE} (the TTL attribute)")
    return problems


# The attribute DynamoDB expires items on (epoch seconds): short-lived items (web-chat sessions, remembered
# provider signatures) set it. helpdesk.store.schema is CreateTable's shape, which has no TTL.
TTL_ATTRIBUTE = "expires_at"


def models_with_number(attribute: str) -> list[str]:
    """The models (subclasses of the table's Item) that have a NumberAttribute of that name."""
    from pynamodb.attributes import NumberAttribute

    from helpdesk.store.models import Item

    found, pending = [], list(Item.__subclasses__())
    while pending:
        model = pending.pop()
        pending += model.__subclasses__()
        if isinstance(model.get_attributes().get(attribute), NumberAttribute):
            found.append(model.__name__)
    return sorted(found)


# --------------------------------------------------------------------------------------------- roles


def role_problems(translated: dict[str, Any]) -> list[str]:
    """One role per function, each an explicit role of the template, no `*` action, no `*` resource
    except on the function's own log group (logs:... `:*` streams), no managed policies."""
    resources = translated.get("Resources", {})
    problems: list[str] = []
    owners: dict[str, list[str]] = {}
    for function, r in of_type(resources, "AWS::Lambda::Function"):
        role = r["Properties"].get("Role")
        if not (isinstance(role, dict) and isinstance(role.get("Fn::GetAtt"), list)
                and (resources.get(role["Fn::GetAtt"][0]) or {}).get("Type") == "AWS::IAM::Role"):
            problems.append(f"{function}: role {role!r} is not a role of this template")
            continue
        owners.setdefault(role["Fn::GetAtt"][0], []).append(function)
    for role_name, functions in owners.items():
        if len(functions) > 1:
            problems.append(f"role {role_name} is shared by {functions}")
        props = resources[role_name]["Properties"]
        if props.get("ManagedPolicyArns"):
            problems.append(f"role {role_name}: managed policies {props['ManagedPolicyArns']} (grant inline)")
        for statement in statements(props):
            problems += [f"role {role_name}: {p}" for p in _statement_problems(statement)]
    return problems


def _statement_problems(statement: dict[str, Any]) -> list[str]:
    if statement.get("Effect") != "Allow":
        return []
    if "NotAction" in statement or "NotResource" in statement:
        return [f"statement {statement.get('Sid')}: NotAction/NotResource"]
    actions = as_list(statement.get("Action"))
    problems = [f"statement {statement.get('Sid')}: wildcard action {a!r}" for a in actions
                if not isinstance(a, str) or "*" in a]
    for resource in as_list(statement.get("Resource")):
        text = json.dumps(resource)
        if resource == "*" or (isinstance(resource, str) and resource.endswith(":*") and "log-group" not in text):
            problems.append(f"statement {statement.get('Sid')}: {actions} on every resource ({resource!r})")
        elif "*" in text and not (all(str(a).startswith("logs:") for a in actions) and "log-group:" in text) \
                and not _s3_key_prefix(actions, text) and not _profile_routed_model(statement, actions, text):
            problems.append(f"statement {statement.get('Sid')}: wildcard resource {resource!r}")
    return problems


BEDROCK_INVOKE = "bedrock:InvokeModel"
PROFILE_CONDITION_KEY = "bedrock:InferenceProfileArn"


def _profile_routed_model(statement: dict[str, Any], actions: list[Any], text: str) -> bool:
    """InvokeModel on one foundation model in any Region, only through one named inference profile: a cross-Region
    profile routes each request to a Region of its own choosing, and the call is authorised against the model
    there (Bedrock's user guide: the foundation model "in each Region" the profile names), so the Region is the
    one wildcard; the condition keeps direct calls of the model out."""
    profile = ((statement.get("Condition") or {}).get("StringEquals") or {}).get(PROFILE_CONDITION_KEY)
    return actions == [BEDROCK_INVOKE] and text.count("*") == 1 and ":bedrock:*::foundation-model/" in text \
        and profile is not None and "*" not in json.dumps(profile) and ":inference-profile/" in json.dumps(profile)


def _s3_key_prefix(actions: list[Any], text: str) -> bool:
    """Object actions on a key prefix of one bucket (`<bucket arn>/<prefix>*`): S3 names objects by
    prefix, so this is the narrowest grant there is for objects the function names at run time."""
    return all(str(a) in ("s3:GetObject", "s3:PutObject") for a in actions) and \
        text.count("*") == 1 and text.rstrip('"}').endswith("*") and "Arn}/" in text


def index_grant_problems(translated: dict[str, Any]) -> list[str]:
    """A role that may Query an index of the table may Query all of them (no wildcard allowed): a new
    index must reach the roles, or its first Query in production is AccessDenied."""
    resources = translated.get("Resources", {})
    problems = []
    for table, r in of_type(resources, "AWS::DynamoDB::Table"):
        indexes = {g["IndexName"] for g in r["Properties"].get("GlobalSecondaryIndexes") or []}
        for role, role_resource in of_type(resources, "AWS::IAM::Role"):
            for statement in statements(role_resource["Properties"]):
                granted = {name for v in as_list(statement.get("Resource")) if (name := index_name(v, table))}
                if granted and granted != indexes:
                    problems.append(f"role {role}: statement {statement.get('Sid')} reaches indexes {sorted(granted)} "
                                    f"of {table}, which has {sorted(indexes)} (python -m infra.build --sync-models)")
    return problems


def index_name(resource: Any, table: str) -> str | None:
    sub = resource.get("Fn::Sub") if isinstance(resource, dict) else None
    prefix = "${" + table + ".Arn}/index/"
    return sub[len(prefix):] if isinstance(sub, str) and sub.startswith(prefix) else None


# -------------------------------------------------------------------------- queues and ticket events


def queue_mapping_problems(translated: dict[str, Any]) -> list[str]:
    """Every SQS mapping reports batch item failures and reads a queue of this stack that has a DLQ and a
    visibility timeout of at least 6x the function's timeout (AWS's advice for Lambda consumers); every
    consumer of the stream (STREAM_CONSUMERS) has one."""
    resources = translated.get("Resources", {})
    problems = []
    mappings = [(n, r) for n, r in of_type(resources, "AWS::Lambda::EventSourceMapping")
                if "sqs" in json.dumps(r["Properties"].get("EventSourceArn")).lower()
                or queue_of(resources, r) is not None]
    if not mappings:
        problems.append("no SQS event source mapping (the stream's consumers read their queues)")
    mapped = {ref_name(r["Properties"].get("FunctionName")) for _, r in mappings}
    problems += [f"{function}: no SQS event source mapping (it consumes {what} from its queue)"
                 for function, what in _stream_consumer_functions(resources) if function not in mapped]
    for name, mapping in mappings:
        props = mapping["Properties"]
        if props.get("FunctionResponseTypes") != ["ReportBatchItemFailures"]:
            problems.append(f"{name}: FunctionResponseTypes is {props.get('FunctionResponseTypes')!r}, "
                            "not ['ReportBatchItemFailures']")
        queue = queue_of(resources, mapping)
        if queue is None:
            problems.append(f"{name}: EventSourceArn {props.get('EventSourceArn')!r} is not a queue of this stack")
            continue
        queue_props = resources[queue].get("Properties") or {}
        redrive = queue_props.get("RedrivePolicy") or {}
        dlq = redrive.get("deadLetterTargetArn")
        if not (isinstance(dlq, dict) and (resources.get((dlq.get("Fn::GetAtt") or [None])[0]) or {}).get("Type")
                == "AWS::SQS::Queue") or not 1 <= int(redrive.get("maxReceiveCount") or 0) <= 10:
            problems.append(f"{queue}: no dead-letter queue redrive (RedrivePolicy {redrive!r})")
        function = (resources.get(ref_name(props.get("FunctionName")) or "") or {}).get("Properties") or {}
        timeout = int(function.get("Timeout") or 3)
        if int(queue_props.get("VisibilityTimeout") or 30) < 6 * timeout:
            problems.append(f"{queue}: VisibilityTimeout {queue_props.get('VisibilityTimeout')} < 6 x {timeout} s")
    return problems


def dead_letter_alarm_problems(translated: dict[str, Any]) -> list[str]:
    """Every dead-letter queue (a queue's redrive target, a pipe's or a rule target's DeadLetterConfig) has an
    alarm on its visible messages: what lands there was given up on, and nobody looks unless told."""
    resources = translated.get("Resources", {})
    dead_letters = {get_att((r["Properties"].get("RedrivePolicy") or {}).get("deadLetterTargetArn"))
                    for _, r in of_type(resources, "AWS::SQS::Queue")}
    dead_letters |= {get_att((_stream_parameters(r).get("DeadLetterConfig") or {}).get("Arn"))
                     for _, r in of_type(resources, "AWS::Pipes::Pipe")}
    dead_letters |= {get_att((target.get("DeadLetterConfig") or {}).get("Arn"))
                     for _, r in of_type(resources, "AWS::Events::Rule") for target in _targets(r)}
    watched = {get_att(d.get("Value")) for _, r in of_type(resources, "AWS::CloudWatch::Alarm")
               if r["Properties"].get("Namespace") == "AWS/SQS"
               and r["Properties"].get("MetricName") == "ApproximateNumberOfMessagesVisible"
               for d in r["Properties"].get("Dimensions") or [] if d.get("Name") == "QueueName"}
    return [f"{queue}: a dead-letter queue without an alarm on ApproximateNumberOfMessagesVisible"
            for queue, _ in sorted(a for a in dead_letters if a) if (queue, "QueueName") not in watched]


STREAM_READ = ("dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams")
# DynamoDB Streams throttles more than two simultaneous readers of a shard: the table's stream has exactly these
# two, the ticket-events pipe (assignment's) and the table-changes pipe, whose bus feeds every other consumer.
MAX_STREAM_READERS = 2


def consumed_queue(resources: dict[str, Any], handler_prefix: str) -> str | None:
    """The queue the SQS event source of the function with this handler prefix consumes."""
    for _, mapping in of_type(resources, "AWS::Lambda::EventSourceMapping"):
        function = (resources.get(ref_name(mapping["Properties"].get("FunctionName")) or "") or {}).get("Properties")
        queue = queue_of(resources, mapping)
        if queue and str((function or {}).get("Handler", "")).startswith(handler_prefix):
            return queue
    return None


def _stream_consumer_functions(resources: dict[str, Any]) -> list[tuple[str, str]]:
    """(function, what it consumes) of every function that is one of STREAM_CONSUMERS."""
    return [(function, what) for function, r in of_type(resources, "AWS::Lambda::Function")
            for prefix, what in STREAM_CONSUMERS.items() if str(r["Properties"].get("Handler", "")).startswith(prefix)]


def stream_queues(resources: dict[str, Any]) -> dict[str, str]:
    """The queue each stream consumer reads (by queue; the ones whose function or mapping exists)."""
    return {queue: prefix for prefix in STREAM_CONSUMERS if (queue := consumed_queue(resources, prefix))}


def stream_readers(resources: dict[str, Any], table: str) -> list[str]:
    """Every resource reading the table's stream: the pipes with it as their source, and any Lambda event-source
    mapping of it (a table has no other ARN such a source could name)."""
    return sorted([name for name, r in of_type(resources, "AWS::Pipes::Pipe")
                   if references(r["Properties"].get("Source"), table)] +
                  [name for name, r in of_type(resources, "AWS::Lambda::EventSourceMapping")
                   if references(r["Properties"].get("EventSourceArn"), table)])


def table_changes(resources: dict[str, Any]) -> tuple[str, str] | None:
    """(pipe, bus): the pipe of the table's stream whose target is an event bus of this stack (None unless
    exactly one)."""
    tables = [name for name, _ in of_type(resources, "AWS::DynamoDB::Table")]
    buses = {name for name, _ in of_type(resources, "AWS::Events::EventBus")}
    found = [(name, target[0]) for name, r in of_type(resources, "AWS::Pipes::Pipe")
             if len(tables) == 1 and get_att(r["Properties"].get("Source")) == (tables[0], "StreamArn")
             and (target := get_att(r["Properties"].get("Target"))) and target[1] == "Arn" and target[0] in buses]
    return found[0] if len(found) == 1 else None


def pipe_problems(translated: dict[str, Any]) -> list[str]:
    """The table's stream has exactly MAX_STREAM_READERS readers, both pipes that give up on a record after a
    bounded number of retries (-1, the default, retries until the record leaves the stream, blocking its shard)
    into a dead-letter queue of this stack, each running as a role that may read that stream and send to its
    target and its dead-letter queue, nothing else: the ticket-events pipe, into the queue assignment alone
    consumes; and the table-changes pipe, onto an event bus of this stack as events of a fixed source and
    detail-type. The table-changes pipe's filter keeps what the bus's rules want and no more: each rule's record
    patterns lie within its filters (no consumer misses a record) and each filter within some rule's pattern
    (nothing is sent that the bus drops). Every pipe of the stack is one of the two."""
    resources = translated.get("Resources", {})
    tables = [name for name, _ in of_type(resources, "AWS::DynamoDB::Table")]
    if len(tables) != 1:
        return [f"no pipes to check: expected one DynamoDB table, found {tables}"]
    table, stream = tables[0], (tables[0], "StreamArn")
    problems: list[str] = []
    readers = stream_readers(resources, table)
    if len(readers) != MAX_STREAM_READERS:
        problems.append(f"{table}'s stream is read by {readers}, not by {MAX_STREAM_READERS} (the ticket-events and "
                        "table-changes pipes): DynamoDB Streams throttles more than two readers of a shard; a new "
                        "consumer gets a rule on the table-changes bus")
    problems += [f"{name} reads {table}'s stream: only the two pipes may" for name in readers
                 if resources[name]["Type"] != "AWS::Pipes::Pipe"]
    from_stream = {name: r["Properties"] for name, r in of_type(resources, "AWS::Pipes::Pipe")
                   if get_att(r["Properties"].get("Source")) == stream}
    checked: set[str] = set()
    queue = consumed_queue(resources, PIPE_CONSUMER)
    if queue is None:
        problems.append(f"{STREAM_CONSUMERS[PIPE_CONSUMER]}: no pipe to check (the {_module(PIPE_CONSUMER)} "
                        "function consumes no queue of this stack)")
    else:
        pipes = [name for name, props in from_stream.items() if get_att(props.get("Target")) == (queue, "Arn")]
        if len(pipes) != 1:
            problems.append(f"expected one pipe from {table}'s stream to {queue} (the queue "
                            f"{_module(PIPE_CONSUMER)} consumes), found {pipes}")
        else:
            checked.add(pipes[0])
            problems += _one_pipe_problems(resources, pipes[0], stream, {("sqs:SendMessage", (queue, "Arn"))})
    found = table_changes(resources)
    if found is None:
        buses = sorted(name for name, _ in of_type(resources, "AWS::Events::EventBus"))
        problems.append(f"expected one pipe from {table}'s stream to an event bus of this stack (the table changes; "
                        f"buses {buses}), found {[n for n, p in from_stream.items() if n not in checked]}")
    else:
        pipe, bus = found
        checked.add(pipe)
        problems += _one_pipe_problems(resources, pipe, stream, {("events:PutEvents", (bus, "Arn"))})
        problems += _bus_event_problems(resources, pipe)
        problems += _filter_problems(resources, pipe, bus)
    problems += [f"pipe {name}: neither the ticket-events pipe nor the table-changes pipe (a stream consumer but "
                 "assignment gets a rule on the table-changes bus)"
                 for name, _ in of_type(resources, "AWS::Pipes::Pipe") if name not in checked]
    return problems


def _module(handler_prefix: str) -> str:
    return handler_prefix.rstrip(".").rsplit(".", 1)[-1]


def _one_pipe_problems(resources: dict[str, Any], pipe: str, stream: tuple[str, str],
                       target_grants: set[tuple[str, Any]]) -> list[str]:
    params = _stream_parameters(resources[pipe])
    problems = []
    retries = params.get("MaximumRetryAttempts", -1)
    if not isinstance(retries, int) or retries < 0:
        problems.append(f"pipe {pipe}: MaximumRetryAttempts is {retries!r}: a failing record is retried "
                        "until it leaves the stream (set a limit)")
    dlq = get_att((params.get("DeadLetterConfig") or {}).get("Arn"))
    if not dlq or dlq[1] != "Arn" or (resources.get(dlq[0]) or {}).get("Type") != "AWS::SQS::Queue":
        problems.append(f"pipe {pipe}: no dead-letter queue of this stack (DeadLetterConfig "
                        f"{params.get('DeadLetterConfig')!r})")
        dlq = None
    needed = {(action, stream) for action in STREAM_READ} | target_grants
    if dlq:
        needed.add(("sqs:SendMessage", (dlq[0], "Arn")))
    return problems + _pipe_role_problems(resources, pipe, needed)


def _pipe_role_problems(resources: dict[str, Any], pipe: str, needed: set[tuple[str, Any]]) -> list[str]:
    role = get_att(resources[pipe]["Properties"].get("RoleArn"))
    if not role or (resources.get(role[0]) or {}).get("Type") != "AWS::IAM::Role":
        return [f"pipe {pipe}: RoleArn {resources[pipe]['Properties'].get('RoleArn')!r} is not a role of this template"]
    name, props = role[0], resources[role[0]]["Properties"]
    problems = [f"role {name}: managed policies {props['ManagedPolicyArns']}"] if props.get("ManagedPolicyArns") else []
    trusted = _trusted_services(props)
    if trusted != {"pipes.amazonaws.com"}:
        problems.append(f"role {name}: trusted by {'more than services' if trusted is None else sorted(trusted)}, "
                        "not by EventBridge Pipes alone")
    granted: set[tuple[str, Any]] = set()
    for statement in statements(props):
        if statement.get("Effect") != "Allow":
            continue
        if "NotAction" in statement or "NotResource" in statement:
            problems.append(f"role {name}: statement {statement.get('Sid')}: NotAction/NotResource")
        granted |= {(str(action), get_att(resource) or json.dumps(resource, sort_keys=True))
                    for action in as_list(statement.get("Action")) for resource in as_list(statement.get("Resource"))}
    problems += [f"role {name}: allows {action} on {_label(resource)} (the pipe's role reads the stream and sends "
                 "to its target and its dead-letter queue, nothing else)"
                 for action, resource in sorted(granted - needed, key=str)]
    problems += [f"role {name}: lacks {action} on {_label(resource)}"
                 for action, resource in sorted(needed - granted, key=str)]
    return problems


def _trusted_services(role_props: dict[str, Any]) -> set[str] | None:
    """The services a role's trust policy lets assume it; None if it trusts anything but services."""
    services: set[str] = set()
    for statement in as_list((role_props.get("AssumeRolePolicyDocument") or {}).get("Statement")):
        principal = statement.get("Principal")
        if statement.get("Effect") != "Allow":
            continue
        if not isinstance(principal, dict) or set(principal) != {"Service"}:
            return None
        services |= {str(service) for service in as_list(principal["Service"])}
    return services


def _label(resource: Any) -> str:
    return ".".join(resource) if isinstance(resource, tuple) else str(resource)


def pipe_event_parameters(pipe: dict[str, Any]) -> dict[str, Any]:
    """The table-changes pipe's EventBridgeEventBusParameters: the source and detail-type of its events."""
    return ((pipe.get("Properties") or {}).get("TargetParameters") or {}).get("EventBridgeEventBusParameters") or {}


def _bus_event_problems(resources: dict[str, Any], pipe: str) -> list[str]:
    """The events are the pipe's own: a fixed source (no `aws.` one) and detail-type, which the rules match."""
    params = pipe_event_parameters(resources[pipe])
    return [f"pipe {pipe}: EventBridgeEventBusParameters.{key} is {params.get(key)!r}, not a fixed name of its own "
            "(the rules match it)" for key in ("Source", "DetailType")
            if not (isinstance(params.get(key), str) and params[key] and not params[key].startswith(("aws.", "$")))]


def event_pattern(rule: dict[str, Any]) -> dict[str, Any] | None:
    """A rule's EventPattern (CloudFormation takes it as an object or as its JSON); None if it has none."""
    pattern = rule["Properties"].get("EventPattern")
    if isinstance(pattern, str):
        try:
            pattern = json.loads(pattern)
        except ValueError:
            return None
    return pattern if isinstance(pattern, dict) and pattern else None


def _alternatives(pattern: dict[str, Any]) -> list[dict[str, Any]]:
    """A pattern with a `$or` as the patterns it stands for, each the rest of it and one alternative."""
    choices = pattern.get("$or")
    if not isinstance(choices, list):
        return [pattern]
    rest = {key: value for key, value in pattern.items() if key != "$or"}
    return [{**rest, **choice} for choice in choices if isinstance(choice, dict)]


def record_patterns(pattern: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The stream-record patterns of a rule on the table-changes bus: its `detail`, one per `$or` alternative."""
    return [record for event in _alternatives(pattern or {}) if isinstance(event.get("detail"), dict)
            for record in _alternatives(event["detail"])]


def covers(general: Any, specific: Any) -> bool:
    """Whether every record the specific pattern matches, the general one matches too: each field the general
    pattern names, the specific one names, with values among the general one's (matchers other than plain values
    only where both patterns have the very same). Sufficient, not necessary: False means "not shown"."""
    if isinstance(general, dict) and isinstance(specific, dict):
        return all(key in specific and covers(value, specific[key]) for key, value in general.items())
    if isinstance(general, list) and isinstance(specific, list):
        plain = (str, int, float, bool, type(None))
        if all(isinstance(v, plain) for v in general + specific):
            return set(specific) <= set(general)
        return sorted(map(json.dumps, specific)) == sorted(map(json.dumps, general))
    return False


def rules_on_bus(resources: dict[str, Any], bus: str) -> list[str]:
    """The rules on the bus (their EventBusName refers to it)."""
    return [name for name, r in of_type(resources, "AWS::Events::Rule")
            if references(r["Properties"].get("EventBusName"), bus)]


def _filter_problems(resources: dict[str, Any], pipe: str, bus: str) -> list[str]:
    filters: list[dict[str, Any]] = []
    problems: list[str] = []
    for entry in as_list((_pipe_source(resources[pipe]).get("FilterCriteria") or {}).get("Filters")):
        try:
            filters.append(json.loads(entry.get("Pattern")))
        except (AttributeError, TypeError, ValueError):
            problems.append(f"pipe {pipe}: filter {entry!r} is no JSON pattern")
    wanted = [(rule, record) for rule in rules_on_bus(resources, bus)
              for record in record_patterns(event_pattern(resources[rule]))]
    if not filters:
        return problems + [f"pipe {pipe}: no filter: it puts every change of the table on {bus}, where the rules drop "
                           "what none wants (filter on the union of the rules' record patterns)"]
    problems += [f"pipe {pipe}: its filters drop records rule {rule} wants ({json.dumps(record)}): that consumer "
                 "would never see them" for rule, record in wanted if not any(covers(f, record) for f in filters)]
    problems += [f"pipe {pipe}: filter {json.dumps(f)} keeps records no rule of {bus} wants (the bus drops them: "
                 "filter on the union of the rules' record patterns)"
                 for f in filters if not any(covers(record, f) for _, record in wanted)]
    return problems


def _pipe_source(pipe: dict[str, Any]) -> dict[str, Any]:
    return (pipe.get("Properties") or {}).get("SourceParameters") or {}


def _targets(rule: dict[str, Any]) -> list[dict[str, Any]]:
    return [t for t in as_list(rule["Properties"].get("Targets")) if isinstance(t, dict)]


EVENTBRIDGE = "events.amazonaws.com"
# EventBridge's bounds on a target's RetryPolicy (what it does without one is its default, not a choice).
RULE_RETRY_ATTEMPTS, RULE_EVENT_AGE_S = (0, 185), (60, 86400)


def bus_problems(translated: dict[str, Any]) -> list[str]:
    """The table-changes bus feeds every stream consumer but assignment, one rule each. Each rule on it is enabled,
    matches the pipe's source and stream-record patterns under `detail`, and has one target: a queue of this stack
    that exactly one function, a consumer of the bus (BUS_CONSUMERS), consumes, with a dead-letter queue of this
    stack and a RetryPolicy (maximum attempts and event age). The queue and that dead-letter queue each let
    EventBridge send to them for that rule alone (a queue policy: events.amazonaws.com, sqs:SendMessage, ArnEquals
    aws:SourceArn the rule's ARN), and nobody else. No queue is the target of two rules, and every function that
    consumes a queue of this stack, assignment aside, is fed by a rule on the bus."""
    resources = translated.get("Resources", {})
    found = table_changes(resources)
    pipe, bus = found if found else (None, None)
    source = pipe_event_parameters(resources[pipe]).get("Source") if pipe else None
    problems: list[str] = []
    fed: dict[str, list[str]] = {}
    for rule in rules_on_bus(resources, bus) if bus else []:
        problems += _rule_problems(resources, rule, source, fed)
    problems += [f"{queue} is the target of rules {rules}: one rule per consumer" for queue, rules in fed.items()
                 if len(rules) > 1]
    for _, mapping in of_type(resources, "AWS::Lambda::EventSourceMapping"):
        function = ref_name(mapping["Properties"].get("FunctionName")) or ""
        queue = queue_of(resources, mapping)
        handler = str(((resources.get(function) or {}).get("Properties") or {}).get("Handler", ""))
        if queue and queue not in fed and not handler.startswith(PIPE_CONSUMER):
            problems.append(f"{function}: consumes {queue}, which no rule of the table-changes bus "
                            f"{bus or '(none found)'} feeds (every stream consumer but {_module(PIPE_CONSUMER)} is "
                            "fed by a rule of its own)")
    return problems


def _rule_problems(resources: dict[str, Any], rule: str, source: Any, fed: dict[str, list[str]]) -> list[str]:
    """One rule of the table-changes bus (see bus_problems); notes the queue it feeds in `fed`."""
    props = resources[rule]["Properties"]
    problems = []
    if props.get("State", "ENABLED") != "ENABLED":
        problems.append(f"rule {rule}: State {props.get('State')!r}: its consumer gets nothing")
    pattern = event_pattern(resources[rule])
    if not all(event.get("source") == [source] for event in _alternatives(pattern or {})):
        problems.append(f"rule {rule}: its pattern's source is not [{source!r}] (the table-changes pipe's events)")
    if not record_patterns(pattern):
        problems.append(f"rule {rule}: its pattern has no stream-record pattern under detail")
    targets = _targets(resources[rule])
    if len(targets) != 1:
        return problems + [f"rule {rule}: {len(targets)} targets, not one (each consumer has a rule and queue of its "
                           "own)"]
    target = targets[0]
    queue = get_att(target.get("Arn"))
    if not queue or queue[1] != "Arn" or (resources.get(queue[0]) or {}).get("Type") != "AWS::SQS::Queue":
        return problems + [f"rule {rule}: target {target.get('Arn')!r} is not a queue of this stack"]
    fed.setdefault(queue[0], []).append(rule)
    problems += _rule_consumer_problems(resources, rule, queue[0])
    dlq = get_att((target.get("DeadLetterConfig") or {}).get("Arn"))
    if not dlq or dlq[1] != "Arn" or dlq[0] == queue[0] or \
            (resources.get(dlq[0]) or {}).get("Type") != "AWS::SQS::Queue":
        problems.append(f"rule {rule}: no dead-letter queue of this stack (DeadLetterConfig "
                        f"{target.get('DeadLetterConfig')!r}): what EventBridge cannot deliver is lost")
        dlq = None
    retry = target.get("RetryPolicy") or {}
    attempts, age = retry.get("MaximumRetryAttempts"), retry.get("MaximumEventAgeInSeconds")
    if not (isinstance(attempts, int) and RULE_RETRY_ATTEMPTS[0] <= attempts <= RULE_RETRY_ATTEMPTS[1]
            and isinstance(age, int) and RULE_EVENT_AGE_S[0] <= age <= RULE_EVENT_AGE_S[1]):
        problems.append(f"rule {rule}: RetryPolicy {retry!r} (set MaximumRetryAttempts {RULE_RETRY_ATTEMPTS} and "
                        f"MaximumEventAgeInSeconds {RULE_EVENT_AGE_S})")
    for receiver in (queue[0], dlq[0] if dlq else None):
        if receiver:
            problems += _queue_policy_problems(resources, receiver, rule)
    return problems


def _rule_consumer_problems(resources: dict[str, Any], rule: str, queue: str) -> list[str]:
    consumers = sorted(str(ref_name(m["Properties"].get("FunctionName"))) for _, m in
                       of_type(resources, "AWS::Lambda::EventSourceMapping") if queue_of(resources, m) == queue)
    if len(consumers) != 1:
        return [f"rule {rule}: its queue {queue} is consumed by {consumers}, not by exactly one function"]
    handler = str(((resources.get(consumers[0]) or {}).get("Properties") or {}).get("Handler", ""))
    if not any(handler.startswith(prefix) for prefix in BUS_CONSUMERS):
        return [f"rule {rule}: feeds {queue} to {consumers[0]} ({handler}), which is none of the bus's consumers "
                f"({sorted(map(_module, BUS_CONSUMERS))})"]
    return []


def _queue_policy_problems(resources: dict[str, Any], queue: str, rule: str) -> list[str]:
    """The queue's policies allow EventBridge to send to it for this rule, and nothing else."""
    problems: list[str] = []
    allowed = False
    for name, policy in of_type(resources, "AWS::SQS::QueuePolicy"):
        if not any(references(q, queue) for q in as_list(policy["Properties"].get("Queues"))):
            continue
        for statement in as_list((policy["Properties"].get("PolicyDocument") or {}).get("Statement")):
            if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
                continue
            condition = statement.get("Condition") or {}
            source = (condition.get("ArnEquals") or {}) if isinstance(condition, dict) else {}
            if statement.get("Principal") == {"Service": EVENTBRIDGE} \
                    and [str(a).lower() for a in as_list(statement.get("Action"))] == ["sqs:sendmessage"] \
                    and [get_att(r) for r in as_list(statement.get("Resource"))] == [(queue, "Arn")] \
                    and set(condition) == {"ArnEquals"} and set(source) == {"aws:SourceArn"} \
                    and get_att(source["aws:SourceArn"]) == (rule, "Arn") \
                    and not {"NotAction", "NotPrincipal", "NotResource"} & set(statement):
                allowed = True
            else:
                problems.append(f"{queue}: statement {statement.get('Sid')} of {name} allows more than EventBridge "
                                f"sending to it for rule {rule} (Principal {statement.get('Principal')!r}, Action "
                                f"{statement.get('Action')!r}, Condition {condition!r})")
    if not allowed:
        problems.append(f"{queue}: no queue policy lets EventBridge send to it for rule {rule} (Principal Service "
                        f"{EVENTBRIDGE}, sqs:SendMessage on the queue, ArnEquals aws:SourceArn the rule's Arn)")
    return problems


def queue_sender_problems(translated: dict[str, Any]) -> list[str]:
    """No function may send to a stream consumer's queue (ticket events, view changes, ...) nor put events on the
    table-changes bus: a change follows from a committed write (the stream, through a pipe), never from code that
    may die between storing and sending."""
    resources = translated.get("Resources", {})
    queues = stream_queues(resources)  # none found: queue_mapping_problems and pipe_problems say so
    buses = [name for name, _ in of_type(resources, "AWS::Events::EventBus")]
    problems = []
    for function, r in of_type(resources, "AWS::Lambda::Function"):
        role = get_att(r["Properties"].get("Role"))
        for statement in statements((resources.get(role[0] if role else "") or {}).get("Properties") or {}):
            if statement.get("Effect") != "Allow":
                continue
            actions = [str(a).lower() for a in as_list(statement.get("Action"))]
            targets = as_list(statement.get("Resource"))
            if any(fnmatchcase("sqs:sendmessage", a) for a in actions):
                reached = [queue for queue in queues if any(t == "*" or references(t, queue) for t in targets)]
                if reached:
                    what = " and ".join(STREAM_CONSUMERS[queues[queue]] for queue in reached)
                    problems.append(f"{function}: statement {statement.get('Sid')} of {role[0] if role else ''} may "
                                    f"send to {' and '.join(reached)} ({what} come from the table's stream, through "
                                    "a pipe)")
            if any(fnmatchcase("events:putevents", a) for a in actions):
                reached = [bus for bus in buses if any(t == "*" or references(t, bus) for t in targets)]
                if reached:
                    problems.append(f"{function}: statement {statement.get('Sid')} of {role[0] if role else ''} may "
                                    f"put events on {' and '.join(reached)} (table changes come from the table's "
                                    "stream, through the table-changes pipe)")
    return problems


# ----------------------------------------------------------------------------- the agents' user pool


# Attributes Cognito defines; any other Schema entry is a custom attribute (`custom:<name>`).
STANDARD_ATTRIBUTES = frozenset({
    "address", "birthdate", "email", "email_verified", "family_name", "gender", "given_name", "locale", "middle_name",
    "name", "nickname", "phone_number", "phone_number_verified", "picture", "preferred_username", "profile", "sub",
    "updated_at", "website", "zoneinfo"})
CLIENT_WRITABLE = frozenset({"name"})  # what a signed-in agent may change about themself
USER_POOL_ACTIONS = frozenset(f"cognito-idp:{action}" for action in (
    "AdminCreateUser", "AdminGetUser", "AdminAddUserToGroup", "AdminRemoveUserFromGroup", "AdminDisableUser",
    "AdminEnableUser", "AdminUserGlobalSignOut", "ListUsers"))


def user_pool_problems(translated: dict[str, Any]) -> list[str]:
    """The agents' user pool: retained (it holds people's accounts), email usernames, users created only
    by an admin (agents are invited through the API), no custom attributes, one group per helpdesk role
    (helpdesk.auth.HELPDESK_ROLES) and one for the integration role; its app clients have no secret and
    may write `name` only (no WriteAttributes means every attribute)."""
    from helpdesk.auth import HELPDESK_ROLES, INTEGRATION_ROLE

    resources = translated.get("Resources", {})
    pools = [name for name, _ in of_type(resources, "AWS::Cognito::UserPool")]
    if len(pools) != 1:
        return [f"expected one user pool (the agents'), found {pools}"]
    pool, props = pools[0], resources[pools[0]]["Properties"]
    problems = []
    if (resources[pool].get("DeletionPolicy"), resources[pool].get("UpdateReplacePolicy")) != ("Retain", "Retain"):
        problems.append(f"{pool}: DeletionPolicy and UpdateReplacePolicy must be Retain (it holds people's accounts)")
    if props.get("UsernameAttributes") != ["email"]:
        problems.append(f"{pool}: UsernameAttributes {props.get('UsernameAttributes')!r}, not ['email']")
    if (props.get("AdminCreateUserConfig") or {}).get("AllowAdminCreateUserOnly") is not True:
        problems.append(f"{pool}: anyone may sign up (AdminCreateUserConfig.AllowAdminCreateUserOnly is not true)")
    custom = [a.get("Name") for a in props.get("Schema") or [] if a.get("Name") not in STANDARD_ATTRIBUTES]
    if custom:
        problems.append(f"{pool}: custom attributes {custom} (the Agent item says who belongs where)")
    groups = sorted(str(g["Properties"].get("GroupName")) for _, g in of_type(resources, "AWS::Cognito::UserPoolGroup")
                    if ref_name(g["Properties"].get("UserPoolId")) == pool)
    roles = sorted((*HELPDESK_ROLES, INTEGRATION_ROLE))  # the integration is no agent, but a role of the pool
    if groups != roles:
        problems.append(f"{pool}: groups {groups}, not one per role {roles}")
    clients = [(name, c["Properties"]) for name, c in of_type(resources, "AWS::Cognito::UserPoolClient")
               if ref_name(c["Properties"].get("UserPoolId")) == pool]
    problems += [f"{pool}: no app client"] if not clients else []
    for name, client in clients:
        writable = client.get("WriteAttributes")
        if not isinstance(writable, list) or not set(writable) <= CLIENT_WRITABLE:
            problems.append(f"{name}: WriteAttributes {writable!r} let agents write more than "
                            f"{sorted(CLIENT_WRITABLE)}")
        if client.get("GenerateSecret"):
            problems.append(f"{name}: a client secret (the browser and CLI cannot keep one)")
    return problems


def user_pool_grant_problems(translated: dict[str, Any]) -> list[str]:
    """Only the agent API's role calls cognito-idp: exactly USER_POOL_ACTIONS, on the agents' pool only."""
    resources = translated.get("Resources", {})
    pools = [(name, "Arn") for name, _ in of_type(resources, "AWS::Cognito::UserPool")]
    api_roles = {role[0] for role in (get_att(r["Properties"].get("Role")) for _, r in
                                      of_type(resources, "AWS::Lambda::Function")
                                      if r["Properties"].get("Handler") == API_HANDLER) if role}
    problems: list[str] = []
    granted: set[str] = set()
    for role, r in of_type(resources, "AWS::IAM::Role"):
        for statement in statements(r["Properties"]):
            actions = [str(a) for a in as_list(statement.get("Action")) if str(a).lower().startswith("cognito-idp:")]
            if statement.get("Effect") != "Allow" or not actions:
                continue
            if role not in api_roles:
                problems.append(f"role {role}: statement {statement.get('Sid')} allows {actions} (only the agent "
                                "API manages agents' accounts)")
                continue
            granted.update(actions)
            targets = [get_att(resource) for resource in as_list(statement.get("Resource"))]
            if len(pools) != 1 or targets != pools:
                problems.append(f"role {role}: statement {statement.get('Sid')} allows {actions} on "
                                f"{statement.get('Resource')!r}, not on the agents' pool alone")
    if api_roles and granted != USER_POOL_ACTIONS:
        problems.append(f"roles {sorted(api_roles)}: cognito-idp actions {sorted(granted)}, "
                        f"not {sorted(USER_POOL_ACTIONS)}")
    return problems


# ----------------------------------------------------------------------------- layer and environment


def layer_problems(translated: dict[str, Any]) -> list[str]:
    """Every function uses the domain layer (the one layer version of this stack)."""
    resources = translated.get("Resources", {})
    layers = [name for name, _ in of_type(resources, "AWS::Lambda::LayerVersion")]
    if len(layers) != 1:
        return [f"expected one layer version (the domain layer), found {layers}"]
    return [f"{function}: Layers {r['Properties'].get('Layers')!r} lack the domain layer {layers[0]}"
            for function, r in of_type(resources, "AWS::Lambda::Function")
            if not any(references(layer, layers[0]) for layer in r["Properties"].get("Layers") or [])]


REQUIRED_ENVIRONMENT: dict[str, str | None] = {"TABLE_NAME": "AWS::DynamoDB::Table", "POWERTOOLS_SERVICE_NAME": None}
# What a function needs besides, by handler: the agent API verifies the tokens of this stack's pool and client.
HANDLER_ENVIRONMENT: dict[str, dict[str, str | None]] = {
    API_HANDLER: {"COGNITO_USER_POOL_ID": "AWS::Cognito::UserPool",
                  "COGNITO_APP_CLIENT_ID": "AWS::Cognito::UserPoolClient"},
}
RETIRED_ENVIRONMENT = ("ASSIGNMENT_QUEUE_URL",)  # no function sends ticket events any more


def environment_problems(template: dict[str, Any]) -> list[str]:
    """Every function finds the table (the API: the user pool and its client) through references, not
    names typed twice, and carries no variable of a retired design."""
    resources = template.get("Resources", {})
    problems = []
    for function, r in of_type(resources, "AWS::Serverless::Function"):
        variables = ((r["Properties"].get("Environment") or {}).get("Variables")) or {}
        required = {**REQUIRED_ENVIRONMENT, **HANDLER_ENVIRONMENT.get(str(r["Properties"].get("Handler")), {})}
        for variable, target_type in required.items():
            value = variables.get(variable)
            if value in (None, ""):
                problems.append(f"{function}: environment lacks {variable}")
            elif target_type and (resources.get(ref_name(value) or "") or {}).get("Type") != target_type:
                problems.append(f"{function}: {variable} is {value!r}, not a Ref to the {target_type}")
        problems += [f"{function}: environment still has {v}" for v in RETIRED_ENVIRONMENT if v in variables]
    return problems


# ------------------------------------------------------- the deployed stack: what deploying it sets


SES_IDENTITY_PARAMETER = "SesIdentity"
MAX_SES_IDENTITIES = 10  # the merge template grants up to this many (CloudFormation cannot map a list)


def ses_identity_problems(translated: dict[str, Any]) -> list[str]:
    """Mail is sent as the SES identities the deployment names: SesIdentity is a list without a default (a
    default nobody verified makes every send AccessDenied), and each role that may send may send as
    exactly the identities listed, for 1 to MAX_SES_IDENTITIES of them."""
    spec = (translated.get("Parameters") or {}).get(SES_IDENTITY_PARAMETER)
    if spec is None:
        return [f"no {SES_IDENTITY_PARAMETER} parameter (the SES identities mail is sent as)"]
    problems = []
    if spec.get("Type") != "CommaDelimitedList":
        problems.append(f"{SES_IDENTITY_PARAMETER}: type {spec.get('Type')!r}, not CommaDelimitedList (one identity "
                        "per brand)")
    if "Default" in spec:
        problems.append(f"{SES_IDENTITY_PARAMETER}: defaults to {spec['Default']!r}; a deployment that does not name "
                        "its verified identities would be denied every send")
    if problems:
        return problems
    for role, r in of_type(translated.get("Resources", {}), "AWS::IAM::Role"):
        for statement in statements(r["Properties"]):
            if statement.get("Effect") != "Allow" or not any(
                    str(action).lower().startswith("ses:send") for action in as_list(statement.get("Action"))):
                continue
            for count in (1, 2, MAX_SES_IDENTITIES):
                identities = [f"brand{n}.example" for n in range(1, count + 1)]
                listed = ",".join(identities)
                try:
                    granted = sorted(map(str, as_list(Values(translated, {SES_IDENTITY_PARAMETER: listed})
                                                      .resolve(statement.get("Resource")))))
                except (LookupError, ValueError) as error:
                    granted = [f"nothing ({error})"]
                if granted != sorted(identity_arn(i) for i in identities):
                    problems.append(f"role {role}: statement {statement.get('Sid')} may send as {granted} when "
                                    f"{SES_IDENTITY_PARAMETER} is {listed!r}, not as exactly those identities")
                    break
    return problems


def identity_arn(identity: str) -> str:
    return f"arn:aws:ses:{PSEUDO_PARAMETERS['AWS::Region']}:{PSEUDO_PARAMETERS['AWS::AccountId']}:identity/{identity}"


def stage_problems(translated: dict[str, Any]) -> list[str]:
    """Each REST API has the one stage the template declares. A deployment with a StageName makes another
    (SAM's stray `Stage` of a swagger 2.0 API without Globals.Api.OpenApiVersion), live and unthrottled."""
    resources = translated.get("Resources", {})
    problems = [f"{name}: deployment makes stage {r['Properties']['StageName']!r} besides the declared one "
                "(Globals.Api.OpenApiVersion stops SAM adding it)"
                for name, r in of_type(resources, "AWS::ApiGateway::Deployment") if r["Properties"].get("StageName")]
    for api, _ in of_type(resources, "AWS::ApiGateway::RestApi"):
        stages = [r["Properties"].get("StageName") for _, r in of_type(resources, "AWS::ApiGateway::Stage")
                  if ref_name(r["Properties"].get("RestApiId")) == api]
        if len(stages) != 1:
            problems.append(f"{api}: stages {stages}, not one")
    return problems


# Bodies API Gateway must pass as bytes (base64, isBase64Encoded): Mailgun's multipart forms carry binary
# attachments, which as text arrive corrupted. The JSON and url-encoded routes must stay text.
BINARY_BODIES = ("multipart/form-data",)
TEXT_BODIES = ("application/json", "application/x-www-form-urlencoded", "text/plain")
STAGE_WIDE = ("/*", "*")  # a stage's MethodSettings entry for every method


def webhook_apis(resources: dict[str, Any]) -> list[str]:
    return [api for api, r in of_type(resources, "AWS::ApiGateway::RestApi")
            if any(path.startswith("/webhooks/") for path in (r["Properties"].get("Body") or {}).get("paths") or {})]


def webhook_api_problems(translated: dict[str, Any]) -> list[str]:
    """The webhook API takes multipart bodies as binary and every other as text, and its stage throttles all
    routes, the anonymous web-chat routes lower (with the deployed defaults)."""
    resources = translated.get("Resources", {})
    values = Values(translated)
    apis = webhook_apis(resources)
    problems = [] if apis else ["no REST API routes /webhooks/*"]
    for api in apis:
        props = resources[api]["Properties"]
        binary = {str(t).replace("~1", "/") for t in as_list(props.get("BinaryMediaTypes"))}
        binary |= set(as_list((props.get("Body") or {}).get("x-amazon-apigateway-binary-media-types")))
        problems += [f"{api}: {body} is not a binary media type (its bodies arrive as text, binary parts corrupted)"
                     for body in BINARY_BODIES if body not in binary]
        problems += [f"{api}: binary media type {pattern!r} makes {body} bodies binary (they must stay text)"
                     for pattern in sorted(binary) for body in TEXT_BODIES if fnmatchcase(body, pattern)]
        stages = [r["Properties"] for _, r in of_type(resources, "AWS::ApiGateway::Stage")
                  if ref_name(r["Properties"].get("RestApiId")) == api]
        settings = {(s.get("ResourcePath"), str(s.get("HttpMethod")).upper()): s
                    for stage in stages for s in as_list(values.resolve(stage.get("MethodSettings")))}
        stage_wide = _throttle(settings.get(STAGE_WIDE))
        if stage_wide is None:
            problems.append(f"{api}: its stage does not throttle every route (MethodSettings {STAGE_WIDE} with "
                            "ThrottlingRateLimit and ThrottlingBurstLimit)")
            continue
        for path, method in expected_webhook_routes("webchat"):
            limits = _throttle(settings.get(("/" + path.replace("/", "~1"), method.upper())))
            if limits is None or not (limits[0] < stage_wide[0] and limits[1] < stage_wide[1]):
                problems.append(f"{api}: {method.upper()} {path} is not throttled below the stage's {stage_wide} "
                                f"(rate, burst): {limits}")
    return problems


def _throttle(setting: dict[str, Any] | None) -> tuple[float, float] | None:
    try:
        limits = (float(setting["ThrottlingRateLimit"]), float(setting["ThrottlingBurstLimit"]))  # type: ignore[index]
    except (KeyError, TypeError, ValueError):
        return None
    return limits if all(limit > 0 for limit in limits) else None


API_GATEWAY_TIMEOUT_S = 29  # its integration timeout: a function running longer answers nobody (the client had 504)


def api_timeout_problems(translated: dict[str, Any]) -> list[str]:
    """A function behind a REST API finishes before API Gateway gives up on it."""
    resources = translated.get("Resources", {})
    bodies = [r["Properties"].get("Body") for _, r in of_type(resources, "AWS::ApiGateway::RestApi")]
    return [f"{function}: Timeout {timeout} s behind API Gateway, which gives up after {API_GATEWAY_TIMEOUT_S} s "
            f"(at most {API_GATEWAY_TIMEOUT_S - 1})"
            for function, r in of_type(resources, "AWS::Lambda::Function")
            if any(references(body, function) for body in bodies)
            and (timeout := int(r["Properties"].get("Timeout") or 3)) >= API_GATEWAY_TIMEOUT_S]


def concurrency_problems(translated: dict[str, Any]) -> list[str]:
    """Every function has reserved concurrency (with the deployed defaults), so one flooded route cannot take
    what the others need; an SQS mapping never runs more copies than its function may (a throttled delivery
    counts as a receive, towards the dead-letter queue)."""
    resources = translated.get("Resources", {})
    values = Values(translated)
    reserved = {function: values.resolve(r["Properties"].get("ReservedConcurrentExecutions", NO_VALUE))
                for function, r in of_type(resources, "AWS::Lambda::Function")}
    problems = [f"{function}: no reserved concurrency" for function, value in reserved.items()
                if not (isinstance(value, (int, str)) and str(value).isdigit() and int(value) > 0)]
    for name, mapping in of_type(resources, "AWS::Lambda::EventSourceMapping"):
        limit = reserved.get(ref_name(mapping["Properties"].get("FunctionName")) or "", NO_VALUE)
        if limit is NO_VALUE or not str(limit).isdigit():
            continue
        maximum = values.resolve((mapping["Properties"].get("ScalingConfig") or {}).get("MaximumConcurrency", NO_VALUE))
        if maximum is NO_VALUE or not str(maximum).isdigit() or int(maximum) > int(limit):
            problems.append(f"{name}: ScalingConfig.MaximumConcurrency {maximum!r} may exceed its function's reserved "
                            f"concurrency {limit} (throttled deliveries end in the dead-letter queue)")
    return problems


def alarm_problems(translated: dict[str, Any]) -> list[str]:
    """Someone hears of failures: every alarm notifies an SNS topic of this stack, and every function has
    an alarm on its Errors."""
    resources = translated.get("Resources", {})
    topics = {name for name, _ in of_type(resources, "AWS::SNS::Topic")}
    alarms = list(of_type(resources, "AWS::CloudWatch::Alarm"))
    problems = [f"{alarm}: notifies nobody (no AlarmActions to an SNS topic of this stack)" for alarm, r in alarms
                if not any(ref_name(action) in topics for action in as_list(r["Properties"].get("AlarmActions")))]
    watched = {ref_name(d.get("Value")) for _, r in alarms
               if (r["Properties"].get("Namespace"), r["Properties"].get("MetricName")) == ("AWS/Lambda", "Errors")
               for d in r["Properties"].get("Dimensions") or [] if d.get("Name") == "FunctionName"}
    return problems + [f"{function}: no alarm on its Errors" for function, _ in
                       of_type(resources, "AWS::Lambda::Function") if function not in watched]


PUBLIC_ACCESS_BLOCK = ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets")


def bucket_problems(translated: dict[str, Any]) -> list[str]:
    """Buckets block public access and refuse plain HTTP; the raw mail SES stores (the SES_OBJECT_PREFIX of
    the function reading MAIL_BUCKET) expires, under a prefix that covers none of the kept attachments."""
    resources = translated.get("Resources", {})
    problems = []
    for bucket, r in of_type(resources, "AWS::S3::Bucket"):
        block = r["Properties"].get("PublicAccessBlockConfiguration") or {}
        problems += [f"{bucket}: public access not blocked ({key})" for key in PUBLIC_ACCESS_BLOCK
                     if block.get(key) is not True]
        if not _denies_plain_http(resources, bucket):
            problems.append(f"{bucket}: no bucket policy denies requests without TLS (aws:SecureTransport false) "
                            "on the bucket and its objects")
    values = Values(translated)
    for function, r in of_type(resources, "AWS::Lambda::Function"):
        variables = (r["Properties"].get("Environment") or {}).get("Variables") or {}
        bucket, prefix = ref_name(variables.get("MAIL_BUCKET")) or "", variables.get("SES_OBJECT_PREFIX")
        if bucket not in resources or prefix is None:
            continue
        rules = ((resources[bucket]["Properties"].get("LifecycleConfiguration") or {}).get("Rules")) or []
        if not any(rule.get("Status") == "Enabled" and rule.get("Prefix") == prefix and rule.get("ExpirationInDays")
                   for rule in rules):
            problems.append(f"{bucket}: raw mail ({function}'s SES_OBJECT_PREFIX {prefix!r}) never expires (no enabled "
                            "lifecycle rule with ExpirationInDays on that prefix)")
        raw = str(values.resolve(prefix))
        role = get_att(r["Properties"].get("Role"))
        kept = [key for statement in statements((resources.get(role[0] if role else "") or {}).get("Properties") or {})
                if "s3:PutObject" in as_list(statement.get("Action"))
                for key in (_object_prefix(resource, bucket) for resource in as_list(statement.get("Resource"))) if key]
        problems += [f"{bucket}: raw-mail prefix {raw!r} and the attachments' {key!r} overlap: expiring raw mail "
                     "would delete attachments" for key in kept if key.startswith(raw) or raw.startswith(key)]
    return problems


def _denies_plain_http(resources: dict[str, Any], bucket: str) -> bool:
    for _, policy in of_type(resources, "AWS::S3::BucketPolicy"):
        if ref_name(policy["Properties"].get("Bucket")) != bucket:
            continue
        for statement in as_list((policy["Properties"].get("PolicyDocument") or {}).get("Statement")):
            targets = as_list(statement.get("Resource"))
            if statement.get("Effect") == "Deny" and statement.get("Principal") in ("*", {"AWS": "*"}) \
                    and "s3:*" in as_list(statement.get("Action")) \
                    and str(((statement.get("Condition") or {}).get("Bool") or {}).get("aws:SecureTransport")).lower() \
                    == "false" and (bucket, "Arn") in map(get_att, targets) and _object_prefix_in(targets, bucket, ""):
                return True
    return False


def _object_prefix(resource: Any, bucket: str) -> str | None:
    """`<prefix>` of an object ARN `${<bucket>.Arn}/<prefix>*` (Fn::Sub); None for anything else."""
    sub = resource.get("Fn::Sub") if isinstance(resource, dict) else None
    head = "${" + bucket + ".Arn}/"
    return sub[len(head):-1] if isinstance(sub, str) and sub.startswith(head) and sub.endswith("*") else None


def _object_prefix_in(resources: list[Any], bucket: str, prefix: str) -> bool:
    return any(_object_prefix(resource, bucket) == prefix for resource in resources)


def ses_invoke_problems(translated: dict[str, Any]) -> list[str]:
    """SES may invoke a function for receipt rules of this account only (SourceAccount), and for the one
    rule the deployment names (SourceArn: a receipt rule ARN of this account and region, or AWS::NoValue
    while none is named)."""
    resources = translated.get("Resources", {})
    problems = []
    rule_prefix = "arn:aws:ses:{}:{}:receipt-rule-set/".format(PSEUDO_PARAMETERS["AWS::Region"],
                                                                PSEUDO_PARAMETERS["AWS::AccountId"])
    for name, r in of_type(resources, "AWS::Lambda::Permission"):
        props = r["Properties"]
        if props.get("Principal") != "ses.amazonaws.com":
            continue
        if props.get("SourceAccount") != {"Ref": "AWS::AccountId"}:
            problems.append(f"{name}: SES of any account may invoke it (SourceAccount {props.get('SourceAccount')!r})")
        arn = Values(translated).resolve(props.get("SourceArn")) if "SourceArn" in props else None
        if arn is None or (arn is not NO_VALUE and not (str(arn).startswith(rule_prefix)
                                                       and ":receipt-rule/" in str(arn))):
            problems.append(f"{name}: SourceArn {props.get('SourceArn')!r} names no receipt rule of this account")
    return problems


# Settings a deployment may leave unset (the code's default applies; an empty variable is not unset), by the
# handlers that read them.
OPTIONAL_ENVIRONMENT: dict[str, tuple[str, ...]] = {
    "functions.webhooks.webchat.": ("WEBCHAT_ALLOWED_ORIGIN", "DEFAULT_ACCOUNT_ID"),
    "functions.autoclose.": ("SUPPORT_EMAIL",),
    ASSIGNMENT_HANDLER: ("AUTOTAG_BEDROCK_MODEL_ID",),
    API_HANDLER: ("AUTOTAG_BEDROCK_MODEL_ID",),
}


def optional_environment_problems(template: dict[str, Any]) -> list[str]:
    """Each optional setting comes from a template parameter and is set only when that is not empty:
    Fn::If on a condition that holds exactly when the parameter is not empty, else AWS::NoValue."""
    problems = []
    for function, r in of_type(template.get("Resources", {}), "AWS::Serverless::Function"):
        variables = ((r["Properties"].get("Environment") or {}).get("Variables")) or {}
        for prefix, names in OPTIONAL_ENVIRONMENT.items():
            if not str(r["Properties"].get("Handler")).startswith(prefix):
                continue
            problems += [f"{function}: {variable} is {variables.get(variable)!r}, not a template parameter set only "
                         "when not empty (Fn::If [<it is not empty>, Ref <parameter>, AWS::NoValue])"
                         for variable in names if not _set_when_not_empty(template, variables.get(variable))]
    return problems


def _set_when_not_empty(template: dict[str, Any], value: Any) -> bool:
    branches = value.get("Fn::If") if isinstance(value, dict) and len(value) == 1 else None
    if not (isinstance(branches, list) and len(branches) == 3 and branches[2] == {"Ref": "AWS::NoValue"}):
        return False
    parameter = ref_name(branches[1])
    if parameter is None or parameter not in (template.get("Parameters") or {}):
        return False
    try:
        return not Values(template, {parameter: ""}).condition(branches[0]) and \
            Values(template, {parameter: "set"}).condition(branches[0])
    except (LookupError, ValueError):
        return False


BEDROCK_MODEL_PARAMETER = "AutotagBedrockModelId"
BEDROCK_MODEL_ENV = "AUTOTAG_BEDROCK_MODEL_ID"
# A model id and an inference profile id a deployment may name, and the model that profile routes to.
EXAMPLE_MODEL = "anthropic.claude-3-haiku-20240307-v1:0"
EXAMPLE_PROFILE = ("us.anthropic.claude-haiku-4-5-20251001-v1:0", "anthropic.claude-haiku-4-5-20251001-v1:0")


def bedrock_grant_problems(translated: dict[str, Any]) -> list[str]:
    """Bedrock is reached only by the functions the deployment names a model for (AUTOTAG_BEDROCK_MODEL_ID), and
    only that model: with AutotagBedrockModelId empty no role may call Bedrock; with a model id, exactly
    InvokeModel on that foundation model in the stack's Region; with an inference profile id, InvokeModel on
    that profile and on the model it routes to in any Region only through that profile."""
    resources = translated.get("Resources", {})
    if BEDROCK_MODEL_PARAMETER not in (translated.get("Parameters") or {}):
        return [f"no {BEDROCK_MODEL_PARAMETER} parameter (the auto-tagging model)"]
    region, account = PSEUDO_PARAMETERS["AWS::Region"], PSEUDO_PARAMETERS["AWS::AccountId"]
    profile_arn = f"arn:aws:bedrock:{region}:{account}:inference-profile/{EXAMPLE_PROFILE[0]}"
    expected: dict[str, list[tuple[str, str, Any]]] = {
        "": [],
        EXAMPLE_MODEL: [(BEDROCK_INVOKE, f"arn:aws:bedrock:{region}::foundation-model/{EXAMPLE_MODEL}", None)],
        EXAMPLE_PROFILE[0]: [(BEDROCK_INVOKE, profile_arn, None),
                             (BEDROCK_INVOKE, f"arn:aws:bedrock:*::foundation-model/{EXAMPLE_PROFILE[1]}",
                              {"StringEquals": {PROFILE_CONDITION_KEY: profile_arn}})]}
    problems = []
    for value, wanted in expected.items():
        values = Values(translated, {BEDROCK_MODEL_PARAMETER: value})
        for function, r in of_type(resources, "AWS::Lambda::Function"):
            role = get_att(r["Properties"].get("Role"))
            if role is None or role[0] not in resources:
                continue  # role_problems says so
            variables = values.resolve(((r["Properties"].get("Environment") or {}).get("Variables")) or {})
            configured = variables.get(BEDROCK_MODEL_ENV)
            if configured not in (None, value):
                problems.append(f"{function}: {BEDROCK_MODEL_ENV} is {configured!r} when {BEDROCK_MODEL_PARAMETER} "
                                f"is {value!r}")
            granted = sorted(((str(action), str(resource), statement.get("Condition"))
                              for statement in _resolved_statements(values, resources[role[0]])
                              if statement.get("Effect") == "Allow"
                              for action in as_list(statement.get("Action")) if str(action).startswith("bedrock:")
                              for resource in as_list(statement.get("Resource"))), key=repr)
            if granted != sorted(wanted if configured else [], key=repr):
                problems.append(f"role {role[0]} of {function} may call Bedrock as {granted} when "
                                f"{BEDROCK_MODEL_PARAMETER} is {value!r} ({BEDROCK_MODEL_ENV} "
                                f"{'set' if configured else 'unset'}), not as {wanted if configured else []}")
    return problems


def _resolved_statements(values: Values, role: dict[str, Any]) -> list[dict[str, Any]]:
    """The role's statements as deployed with `values` (a statement under a false Fn::If is gone)."""
    return [statement for policy in role["Properties"].get("Policies") or []
            for written in as_list((policy.get("PolicyDocument") or {}).get("Statement"))
            # Only Bedrock's: the others may need parameters without defaults (SesIdentity).
            if '"bedrock:' in json.dumps(written) for statement in as_list(values.resolve([written]))]


# ------------------------------------------------------------------------------------------- helpers


def of_type(resources: dict[str, Any], type_name: str) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, resource in resources.items():
        if isinstance(resource, dict) and resource.get("Type") == type_name:
            resource.setdefault("Properties", {})
            yield name, resource


def ref_name(value: Any) -> str | None:
    return value.get("Ref") if isinstance(value, dict) and isinstance(value.get("Ref"), str) else None


def references(value: Any, logical_id: str) -> bool:
    """Whether an intrinsic-laden value refers to a resource (Ref, Fn::GetAtt or ${...} in Fn::Sub)."""
    if isinstance(value, dict):
        if value.get("Ref") == logical_id:
            return True
        attr = value.get("Fn::GetAtt")
        if (isinstance(attr, list) and attr[:1] == [logical_id]) or (
                isinstance(attr, str) and attr.split(".")[0] == logical_id):
            return True
        sub = value.get("Fn::Sub")
        text = sub[0] if isinstance(sub, list) and sub else sub
        if isinstance(text, str) and ("${" + logical_id + "}" in text or "${" + logical_id + "." in text):
            return True
        return any(references(v, logical_id) for v in value.values())
    if isinstance(value, list):
        return any(references(v, logical_id) for v in value)
    return False


def get_att(value: Any) -> tuple[str, str] | None:
    """(logical id, attribute) of an Fn::GetAtt, in either of its forms; None for anything else."""
    attr = value.get("Fn::GetAtt") if isinstance(value, dict) and len(value) == 1 else None
    if isinstance(attr, str):
        attr = attr.split(".", 1)
    if isinstance(attr, list) and len(attr) == 2 and all(isinstance(a, str) for a in attr):
        return attr[0], attr[1]
    return None


def _stream_parameters(pipe: dict[str, Any]) -> dict[str, Any]:
    return ((pipe.get("Properties") or {}).get("SourceParameters") or {}).get("DynamoDBStreamParameters") or {}


def queue_of(resources: dict[str, Any], mapping: dict[str, Any]) -> str | None:
    source = mapping["Properties"].get("EventSourceArn")
    attr = source.get("Fn::GetAtt") if isinstance(source, dict) else None
    if isinstance(attr, str):
        attr = attr.split(".")
    if isinstance(attr, list) and (resources.get(attr[0]) or {}).get("Type") == "AWS::SQS::Queue":
        return str(attr[0])
    return None


def statements(role_props: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every statement of the role's inline policies, including each branch of one under Fn::If (a grant only
    some deployments have is held to the same rules)."""
    for policy in role_props.get("Policies") or []:
        for statement in as_list((policy.get("PolicyDocument") or {}).get("Statement")):
            branches = statement.get("Fn::If") if isinstance(statement, dict) and len(statement) == 1 else None
            if isinstance(branches, list) and len(branches) == 3:
                yield from (b for b in branches[1:] if isinstance(b, dict) and b != {"Ref": "AWS::NoValue"})
            else:
                yield statement


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [] if value is None else [value]


# ------------------------------------------------------------------ a template's values, as deployed


class _NoValue:
    def __repr__(self) -> str:
        return "AWS::NoValue"


NO_VALUE: Any = _NoValue()
# The pseudo parameters a deployment gives (an example account, this build's region).
PSEUDO_PARAMETERS = {"AWS::Region": "us-east-1", "AWS::AccountId": "123456789012", "AWS::Partition": "aws",
                     "AWS::StackName": "helpdesk", "AWS::URLSuffix": "amazonaws.com"}


class Values:
    """A template's intrinsic functions resolved as CloudFormation would on deploying it with these parameter
    values (the defaults for the rest): what a grant, a setting or a limit comes to, however it is written.
    Resources stay symbolic (`<Name>`, `<Name.Attr>`); AWS::NoValue drops the key or item holding it."""

    def __init__(self, template: dict[str, Any], parameters: dict[str, Any] | None = None):
        self.template = template
        declared = template.get("Parameters") or {}
        given = dict(parameters or {})
        if set(given) - set(declared):
            raise ValueError(f"no parameters {sorted(set(given) - set(declared))} in the template")
        self.parameters: dict[str, Any] = {}
        for name, spec in declared.items():
            value = given.get(name, spec.get("Default"))
            if value is not None:
                self.parameters[name] = str(value).split(",") if spec.get("Type") == "CommaDelimitedList" else value
        self._conditions: dict[str, bool] = {}

    def condition(self, name: str) -> bool:
        if name not in self._conditions:
            self._conditions[name] = self._holds((self.template.get("Conditions") or {})[name])
        return self._conditions[name]

    def _holds(self, expression: Any) -> bool:
        if not (isinstance(expression, dict) and len(expression) == 1):
            raise ValueError(f"not a condition: {expression!r}")
        [(function, args)] = expression.items()
        if function == "Fn::Equals":
            return _text(self.resolve(args[0])) == _text(self.resolve(args[1]))
        if function == "Fn::Not":
            return not self._holds(args[0])
        if function in ("Fn::And", "Fn::Or"):
            return (all if function == "Fn::And" else any)(self._holds(a) for a in args)
        if function == "Condition":
            return self.condition(args)
        raise ValueError(f"not a condition: {expression!r}")

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [item for item in map(self.resolve, value) if item is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            [(function, args)] = value.items()
            if function == "Ref":
                return self._ref(args)
            if function == "Fn::GetAtt":
                return "<{}.{}>".format(*(args.split(".", 1) if isinstance(args, str) else args))
            if function == "Fn::If":
                return self.resolve(args[1] if self.condition(args[0]) else args[2])
            if function == "Fn::Sub":
                return self._sub(*([args, {}] if isinstance(args, str) else args))
            if function == "Fn::Join":
                return str(args[0]).join(_text(item) for item in self.resolve(args[1]))
            if function == "Fn::Split":
                return _text(self.resolve(args[1])).split(args[0])
            if function == "Fn::Select":
                return self.resolve(args[1])[int(self.resolve(args[0]))]
        return {key: item for key, item in ((k, self.resolve(v)) for k, v in value.items()) if item is not NO_VALUE}

    def _ref(self, name: str) -> Any:
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in PSEUDO_PARAMETERS:
            return PSEUDO_PARAMETERS[name]
        if name in self.parameters:
            return self.parameters[name]
        if name in (self.template.get("Parameters") or {}):
            raise ValueError(f"parameter {name} has no value (and no default)")
        return f"<{name}>"

    def _sub(self, text: str, variables: dict[str, Any]) -> str:
        given = {name: self.resolve(value) for name, value in variables.items()}

        def value(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in given:
                return _text(given[name])
            if "." in name and name not in PSEUDO_PARAMETERS and name not in self.parameters:
                return "<" + name + ">"
            return _text(self._ref(name))

        return re.sub(r"\$\{([^}]*)\}", value, text)


def _text(value: Any) -> str:
    if isinstance(value, (list, dict)) or value is NO_VALUE:
        raise ValueError(f"{value!r} is not a string")
    return str(value)
