"""The structural checks of `python -m infra.build` (step 5): what cfn-lint cannot see in the packaged stack.

Each takes a template (SAM's template.json or the translated one) and returns its problems as printable
lines (none: it holds). The stack they hold the templates to:
- every webhook module is a function reachable through a REST API route, stage and invoke permission;
- the table is the models' table (helpdesk.store.schema) with point-in-time recovery;
- one role per function, inline and least-privilege; index grants cover every index of the table;
- every SQS mapping reports batch item failures from a queue of the stack with a DLQ and a long enough
  visibility timeout; every dead-letter queue (of a queue or of the pipe) has an alarm;
- ticket events: the table's stream feeds, through one EventBridge Pipe with bounded retries and a DLQ,
  the queue the assignment function consumes; the pipe's role reads that stream and sends to those two
  queues, nothing else; no function sends to that queue (an event follows from a committed write only);
- the agents' user pool: retained, email usernames, admin-created users only, no custom attributes (an
  agent's account and role are the helpdesk's Agent item, never a claim the user could write), a group
  per helpdesk role, app clients without a secret that may write `name` and nothing else; only the
  agent API's role calls cognito-idp, with the calls that manage agents' accounts, on that pool only;
- every function has the domain layer and finds the table (the API: the pool and its client) by reference.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
ASSIGNMENT_HANDLER = "functions.assignment."  # the consumer of the ticket-events queue
API_HANDLER = "app.app"  # Chalice's one API function: the agent API


def structural_problems(template: dict[str, Any], translated: dict[str, Any]) -> list[str]:
    return [*webhook_route_problems(translated), *table_problems(translated), *role_problems(translated),
            *index_grant_problems(translated), *queue_mapping_problems(translated),
            *dead_letter_alarm_problems(translated), *pipe_problems(translated), *queue_sender_problems(translated),
            *user_pool_problems(translated), *user_pool_grant_problems(translated), *layer_problems(translated),
            *environment_problems(template)]


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
    return problems


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
                and not _s3_key_prefix(actions, text):
            problems.append(f"statement {statement.get('Sid')}: wildcard resource {resource!r}")
    return problems


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
    visibility timeout of at least 6x the function's timeout (AWS's advice for Lambda consumers)."""
    resources = translated.get("Resources", {})
    problems = []
    mappings = [(n, r) for n, r in of_type(resources, "AWS::Lambda::EventSourceMapping")
                if "sqs" in json.dumps(r["Properties"].get("EventSourceArn")).lower()
                or queue_of(resources, r) is not None]
    if not mappings:
        problems.append("no SQS event source mapping (the assignment function reads the ticket events queue)")
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
    """Every dead-letter queue (a queue's redrive target, a pipe's DeadLetterConfig) has an alarm on its
    visible messages: what lands there was given up on, and nobody looks unless told."""
    resources = translated.get("Resources", {})
    dead_letters = {get_att((r["Properties"].get("RedrivePolicy") or {}).get("deadLetterTargetArn"))
                    for _, r in of_type(resources, "AWS::SQS::Queue")}
    dead_letters |= {get_att((_stream_parameters(r).get("DeadLetterConfig") or {}).get("Arn"))
                     for _, r in of_type(resources, "AWS::Pipes::Pipe")}
    watched = {get_att(d.get("Value")) for _, r in of_type(resources, "AWS::CloudWatch::Alarm")
               if r["Properties"].get("Namespace") == "AWS/SQS"
               and r["Properties"].get("MetricName") == "ApproximateNumberOfMessagesVisible"
               for d in r["Properties"].get("Dimensions") or [] if d.get("Name") == "QueueName"}
    return [f"{queue}: a dead-letter queue without an alarm on ApproximateNumberOfMessagesVisible"
            for queue, _ in sorted(a for a in dead_letters if a) if (queue, "QueueName") not in watched]


STREAM_READ = ("dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams")


def ticket_events_queue(resources: dict[str, Any]) -> str | None:
    """The queue the assignment function's SQS event source consumes."""
    for _, mapping in of_type(resources, "AWS::Lambda::EventSourceMapping"):
        function = (resources.get(ref_name(mapping["Properties"].get("FunctionName")) or "") or {}).get("Properties")
        queue = queue_of(resources, mapping)
        if queue and str((function or {}).get("Handler", "")).startswith(ASSIGNMENT_HANDLER):
            return queue
    return None


def pipe_problems(translated: dict[str, Any]) -> list[str]:
    """Ticket events come from the table's stream: one pipe reads it into the queue that assignment
    consumes, gives up on a record after a bounded number of retries (-1, the default, retries until the
    record leaves the stream, blocking its shard) into a dead-letter queue of this stack, and runs as a
    role that may read that stream and send to those two queues, nothing else."""
    resources = translated.get("Resources", {})
    queue = ticket_events_queue(resources)
    tables = [name for name, _ in of_type(resources, "AWS::DynamoDB::Table")]
    if queue is None or len(tables) != 1:
        return [f"ticket events: no pipe to check (the assignment function consumes queue {queue}; tables {tables})"]
    stream = (tables[0], "StreamArn")
    pipes = [name for name, r in of_type(resources, "AWS::Pipes::Pipe") if get_att(r["Properties"].get("Source"))
             == stream and get_att(r["Properties"].get("Target")) == (queue, "Arn")]
    if len(pipes) != 1:
        return [f"expected one pipe from {tables[0]}'s stream to {queue} (the queue assignment consumes), "
                f"found {pipes}"]
    params = _stream_parameters(resources[pipes[0]])
    problems = []
    retries = params.get("MaximumRetryAttempts", -1)
    if not isinstance(retries, int) or retries < 0:
        problems.append(f"pipe {pipes[0]}: MaximumRetryAttempts is {retries!r}: a failing record is retried "
                        "until it leaves the stream (set a limit)")
    dlq = get_att((params.get("DeadLetterConfig") or {}).get("Arn"))
    if not dlq or dlq[1] != "Arn" or (resources.get(dlq[0]) or {}).get("Type") != "AWS::SQS::Queue":
        problems.append(f"pipe {pipes[0]}: no dead-letter queue of this stack (DeadLetterConfig "
                        f"{params.get('DeadLetterConfig')!r})")
        dlq = None
    needed = {(action, stream) for action in STREAM_READ}
    needed |= {("sqs:SendMessage", (q, "Arn")) for q in (queue, dlq[0] if dlq else None) if q}
    return problems + _pipe_role_problems(resources, pipes[0], needed)


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
                 "to its queues, nothing else)" for action, resource in sorted(granted - needed, key=str)]
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


def queue_sender_problems(translated: dict[str, Any]) -> list[str]:
    """No function may send to the ticket-events queue: an event follows from a committed write (the
    stream, through the pipe), never from code that may die between storing and sending."""
    resources = translated.get("Resources", {})
    queue = ticket_events_queue(resources)
    if queue is None:
        return []  # queue_mapping_problems and pipe_problems say so
    problems = []
    for function, r in of_type(resources, "AWS::Lambda::Function"):
        role = get_att(r["Properties"].get("Role"))
        for statement in statements((resources.get(role[0] if role else "") or {}).get("Properties") or {}):
            sends = any(fnmatchcase("sqs:sendmessage", str(a).lower()) for a in as_list(statement.get("Action")))
            if statement.get("Effect") == "Allow" and sends and any(
                    resource == "*" or references(resource, queue) for resource in as_list(statement.get("Resource"))):
                problems.append(f"{function}: statement {statement.get('Sid')} of {role[0] if role else ''} may send "
                                f"to {queue} (ticket events come from the table's stream, through the pipe)")
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
    (helpdesk.auth.HELPDESK_ROLES); its app clients have no secret and may write `name` only (no
    WriteAttributes means every attribute)."""
    from helpdesk.auth import HELPDESK_ROLES

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
    if groups != sorted(HELPDESK_ROLES):
        problems.append(f"{pool}: groups {groups}, not one per helpdesk role {sorted(HELPDESK_ROLES)}")
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
    for policy in role_props.get("Policies") or []:
        yield from as_list((policy.get("PolicyDocument") or {}).get("Statement"))


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [] if value is None else [value]
