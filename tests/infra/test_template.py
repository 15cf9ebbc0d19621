"""The deployable stack, as `make package` builds it (without pip: the layer then holds only helpdesk).

Built once per module into a temporary directory. Each check runs on the real templates and must find
nothing; each also runs on a deliberately broken copy and must find the break, so none passes vacuously.
"""
from __future__ import annotations

import copy
import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from helpdesk.store.schema import table_definition
from infra import build, checks

Template = dict[str, Any]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build.package(layer_deps=False, build_dir=tmp_path_factory.mktemp("infra-build"))


@pytest.fixture(scope="module")
def template(built: Path) -> Template:
    return json.loads((built / "template.json").read_text())


@pytest.fixture(scope="module")
def translated(built: Path) -> Template:
    return json.loads((built / "translated.json").read_text())


def resources_of(template: Template, type_name: str) -> dict[str, Any]:
    return {name: r for name, r in template["Resources"].items() if r["Type"] == type_name}


# ------------------------------------------------------------------------------------- (a) cfn-lint


@pytest.mark.parametrize("name", ["template.json", "translated.json"])
def test_cfn_lint_passes(built: Path, name: str) -> None:
    assert build.lint(built / name) == []


def test_cfn_lint_reports_an_invalid_template(built: Path, translated: Template) -> None:
    broken = copy.deepcopy(translated)
    # CreateTable's StreamEnabled is no CloudFormation property: copying table_definition() verbatim fails.
    broken["Resources"]["HelpdeskTable"]["Properties"]["StreamSpecification"]["StreamEnabled"] = True
    path = built / "broken.json"
    path.write_text(json.dumps(broken, indent=1))
    assert any("E3002" in error and "StreamEnabled" in error for error in build.lint(path))


# ---------------------------------------------------------------------- (b) webhooks have routes


def test_every_webhook_module_is_a_function_with_a_reachable_route(translated: Template) -> None:
    assert {"sms", "whatsapp"} <= set(checks.webhook_modules())
    assert checks.webhook_route_problems(translated) == []
    bodies = {name: r["Properties"]["Body"]["paths"]
              for name, r in resources_of(translated, "AWS::ApiGateway::RestApi").items()}
    sms_uri = bodies["WebhookApi"]["/webhooks/sms"]["post"]["x-amazon-apigateway-integration"]["uri"]
    assert "${SmsWebhook.Arn}" in sms_uri["Fn::Sub"]
    assert set(bodies["WebhookApi"]["/webhooks/whatsapp"]) == {"get", "post"}


def test_routes_on_chalices_own_api_are_reported_missing(template: Template) -> None:
    """The trap: an Api event whose RestApiId is Chalice's RestAPI translates cleanly and adds no path."""
    wrong = copy.deepcopy(template)
    wrong["Resources"]["SmsWebhook"]["Properties"]["Events"]["SmsPost"]["Properties"]["RestApiId"] = {
        "Ref": "RestAPI"}
    problems = checks.webhook_route_problems(build.translate(wrong))
    assert problems and all("webhook sms" in p for p in problems)


def _route_to_api_handler(t: Template) -> None:
    integration = t["Resources"]["WebhookApi"]["Properties"]["Body"]["paths"]["/webhooks/sms"]["post"][
        "x-amazon-apigateway-integration"]
    integration["uri"]["Fn::Sub"] = integration["uri"]["Fn::Sub"].replace("SmsWebhook", "APIHandler")


def _drop_whatsapp_get(t: Template) -> None:
    del t["Resources"]["WebhookApi"]["Properties"]["Body"]["paths"]["/webhooks/whatsapp"]["get"]


def _drop_invoke_permissions(t: Template) -> None:
    for name in [n for n, r in t["Resources"].items() if r["Type"] == "AWS::Lambda::Permission"]:
        del t["Resources"][name]


@pytest.mark.parametrize("break_it, expected", [
    (_route_to_api_handler, "no REST API routes POST /webhooks/sms to SmsWebhook"),
    (_drop_whatsapp_get, "no REST API routes GET /webhooks/whatsapp"),
    (_drop_invoke_permissions, "API Gateway may not invoke SmsWebhook"),
])
def test_route_check_finds_breaks(translated: Template, break_it: Callable[[Template], None], expected: str) -> None:
    broken = copy.deepcopy(translated)
    break_it(broken)
    assert any(expected in p for p in checks.webhook_route_problems(broken))


def test_a_new_webhook_module_without_a_function_is_reported(translated: Template) -> None:
    problems = checks.webhook_route_problems(translated, modules=["sms", "telegram"])
    assert problems == ["webhook telegram: expected one function with handler functions.webhooks.telegram.*, found []"]


# ----------------------------------------------------------------------------- (c) table = models


def test_deployed_table_is_the_models_table(translated: Template) -> None:
    [props] = [r["Properties"] for r in resources_of(translated, "AWS::DynamoDB::Table").values()]
    models = table_definition()
    key = "AttributeName"
    assert sorted(props["AttributeDefinitions"], key=lambda d: d[key]) == sorted(
        models["AttributeDefinitions"], key=lambda d: d[key])
    assert props["KeySchema"] == models["KeySchema"]
    assert sorted(props["GlobalSecondaryIndexes"], key=lambda g: g["IndexName"]) == sorted(
        models["GlobalSecondaryIndexes"], key=lambda g: g["IndexName"])
    assert props["BillingMode"] == models["BillingMode"]
    assert models["StreamSpecification"]["StreamEnabled"] is True
    assert props["StreamSpecification"] == {"StreamViewType": models["StreamSpecification"]["StreamViewType"]}
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert checks.table_problems(translated) == []


def _table(t: Template) -> dict[str, Any]:
    return t["Resources"]["HelpdeskTable"]["Properties"]


@pytest.mark.parametrize("break_it, expected", [
    (lambda t: _table(t)["GlobalSecondaryIndexes"].pop(), "GlobalSecondaryIndexes differs"),
    (lambda t: _table(t)["AttributeDefinitions"][0].update(AttributeType="N"), "AttributeDefinitions differs"),
    (lambda t: _table(t)["KeySchema"].reverse(), "KeySchema differs"),
    (lambda t: _table(t).update(BillingMode="PROVISIONED"), "BillingMode differs"),
    (lambda t: _table(t).update(StreamSpecification={"StreamViewType": "KEYS_ONLY"}), "StreamSpecification differs"),
    (lambda t: _table(t).pop("StreamSpecification"), "StreamSpecification differs"),
    (lambda t: _table(t).pop("PointInTimeRecoverySpecification"), "point-in-time recovery is off"),
    (lambda t: _table(t).pop("TimeToLiveSpecification"), "items with expires_at never expire"),
    (lambda t: _table(t).update(TimeToLiveSpecification={"AttributeName": "ttl", "Enabled": True}),
     "items with expires_at never expire"),
])
def test_table_check_finds_drift(translated: Template, break_it: Callable[[Template], Any], expected: str) -> None:
    broken = copy.deepcopy(translated)
    break_it(broken)
    assert any(expected in p for p in checks.table_problems(broken))


# ------------------------------------------------------------------------------ (d) one role each


def test_each_function_has_its_own_least_privilege_role(translated: Template) -> None:
    functions = resources_of(translated, "AWS::Lambda::Function")
    roles = {name: f["Properties"]["Role"]["Fn::GetAtt"][0] for name, f in functions.items()}
    assert {"SmsWebhook", "WhatsappWebhook", "Assignment", "APIHandler", "ViewIndex", "Attribution", "Reports"} <= set(
        functions)
    assert len(set(roles.values())) == len(functions)
    for role in roles.values():
        assert translated["Resources"][role]["Type"] == "AWS::IAM::Role"
        for statement in checks.statements(translated["Resources"][role]["Properties"]):  # Fn::If's branches too
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            assert not any("*" in a for a in actions), (role, statement)
            if any(a.startswith("dynamodb:") for a in actions):
                assert "*" not in json.dumps(statement["Resource"]), (role, statement)
    assert checks.role_problems(translated) == []


def _statements(t: Template, role: str) -> list[dict[str, Any]]:
    return t["Resources"][role]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]


META_SECRETS = {"MetaAppSecretParameter", "MetaVerifyTokenParameter"}
SECRETS_OF_WEBHOOK = {"sms": {"TwilioAuthTokenParameter"}, "whatsapp": META_SECRETS, "instagram": META_SECRETS,
                      "webchat": {"WebchatSecretParameter", "WebchatSessionKeyParameter"},
                      "email": {"MailgunSigningKeyParameter"}}
# The functions that send to customers hold the senders' credentials: the agent API (replies on
# every channel) and the worker (the SMS autoresponder, through Twilio).
SENDING_SECRETS = {"APIHandler": {"TwilioAuthTokenParameter", "WhatsappAccessTokenParameter",
                                  "InstagramAccessTokenParameter", "ShopifyAccessTokenParameter",
                                  "RechargeAccessTokenParameter"},
                   "Assignment": {"TwilioAuthTokenParameter"},
                   "OrderLookup": {"TwilioAuthTokenParameter", "WhatsappAccessTokenParameter",
                                   "ShopifyAccessTokenParameter"}}


def _unless_unset(value: Any) -> Any:
    """A value given only under a condition (`Fn::If` [condition, value, AWS::NoValue]): the value."""
    if isinstance(value, dict) and "Fn::If" in value:
        _, given, _ = value["Fn::If"]
        return given
    return value


def test_secrets_reach_only_the_functions_that_use_them(template: Template) -> None:
    """A function's *_PARAM variables name exactly the SSM parameters its role may read: the provider
    secrets of its own webhook, the senders' credentials where it sends, none for the others."""
    for name, function in resources_of(template, "AWS::Serverless::Function").items():
        variables = function["Properties"]["Environment"]["Variables"]
        named = {_unless_unset(v)["Ref"] for k, v in variables.items() if k.endswith("_PARAM")}
        role = function["Properties"]["Role"]["Fn::GetAtt"][0]
        readable = {resource["Fn::Sub"].rsplit("${", 1)[1].rstrip("}")
                    for statement in checks.statements(template["Resources"][role]["Properties"])
                    if statement["Action"] == ["ssm:GetParameter"]
                    for resource in map(_unless_unset, statement["Resource"])}
        module = function["Properties"]["Handler"].rsplit(".", 1)[0]
        expected = SECRETS_OF_WEBHOOK[module.rsplit(".", 1)[1]] if module.startswith("functions.webhooks.") \
            else SENDING_SECRETS.get(name, set())
        assert named == readable == expected, name


def _share_role(t: Template) -> None:
    t["Resources"]["Assignment"]["Properties"]["Role"] = {"Fn::GetAtt": ["APIHandlerRole", "Arn"]}


@pytest.mark.parametrize("break_it, expected", [
    (_share_role, "is shared by"),
    (lambda t: t["Resources"]["Assignment"]["Properties"].update(Role="arn:aws:iam::1:role/x"),
     "is not a role of this template"),
    (lambda t: _statements(t, "SmsWebhookRole").append({"Sid": "Wide", "Effect": "Allow", "Action": "dynamodb:*",
                                                        "Resource": {"Fn::GetAtt": ["HelpdeskTable", "Arn"]}}),
     "wildcard action 'dynamodb:*'"),
    (lambda t: _statements(t, "AssignmentRole").append(
        {"Sid": "Any", "Effect": "Allow", "Action": ["dynamodb:GetItem"], "Resource": "*"}), "on every resource"),
    (lambda t: _statements(t, "APIHandlerRole").append(
        {"Sid": "AnyIndex", "Effect": "Allow", "Action": ["dynamodb:Query"],
         "Resource": {"Fn::Sub": "${HelpdeskTable.Arn}/index/*"}}), "wildcard resource"),
    (lambda t: t["Resources"]["AssignmentRole"]["Properties"].update(
        ManagedPolicyArns=["arn:aws:iam::aws:policy/AdministratorAccess"]), "managed policies"),
])
def test_role_check_finds_excess(translated: Template, break_it: Callable[[Template], Any], expected: str) -> None:
    broken = copy.deepcopy(translated)
    break_it(broken)
    assert any(expected in p for p in checks.role_problems(broken))


def test_index_grants_follow_the_tables_indexes(translated: Template) -> None:
    assert checks.index_grant_problems(translated) == []
    broken = copy.deepcopy(translated)
    table = _table(broken)
    table["GlobalSecondaryIndexes"].append({**table["GlobalSecondaryIndexes"][0], "IndexName": "gsi9"})
    problems = checks.index_grant_problems(broken)
    assert problems and all("gsi9" in p and "--sync-models" in p for p in problems)


def test_sync_models_rewrites_a_drifted_merge_template(tmp_path: Path) -> None:
    merge = tmp_path / "merge-template.json"
    template = json.loads(build.MERGE_TEMPLATE.read_text())
    template["Resources"]["HelpdeskTable"]["Properties"]["GlobalSecondaryIndexes"].pop()
    for statement in _statements(template, "SmsWebhookRole"):
        if isinstance(statement["Resource"], list):
            statement["Resource"].pop()
    merge.write_text(json.dumps(template))
    assert build.sync_models(merge) is True
    synced = json.loads(merge.read_text())
    props = synced["Resources"]["HelpdeskTable"]["Properties"]
    assert checks.cloudformation_table(props) == checks.cloudformation_table(table_definition())
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert checks.index_grant_problems(synced) == []
    assert build.sync_models(merge) is False


# ------------------------------------------------------------------- (e) SQS mapping and its DLQ


def test_assignment_reports_batch_item_failures_from_a_queue_with_a_dlq(translated: Template) -> None:
    resources = translated["Resources"]
    [mapping] = [r["Properties"] for r in resources_of(translated, "AWS::Lambda::EventSourceMapping").values()
                 if r["Properties"]["FunctionName"] == {"Ref": "Assignment"}]
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    queue = mapping["EventSourceArn"]["Fn::GetAtt"][0]
    assert mapping["EventSourceArn"] == {"Fn::GetAtt": [queue, "Arn"]}
    assert resources[queue]["Type"] == "AWS::SQS::Queue"
    redrive = resources[queue]["Properties"]["RedrivePolicy"]
    assert redrive["maxReceiveCount"] == 5
    assert resources[redrive["deadLetterTargetArn"]["Fn::GetAtt"][0]]["Type"] == "AWS::SQS::Queue"
    assert resources[queue]["Properties"]["VisibilityTimeout"] >= 6 * resources["Assignment"]["Properties"]["Timeout"]
    assert checks.queue_mapping_problems(translated) == []


@pytest.mark.parametrize("function, module", [("ViewIndex", "view_index"), ("Attribution", "attribution"),
                                              ("Reports", "reports")])
def test_each_bus_consumer_reads_its_own_queue_with_partial_batch_failures(translated: Template, function: str,
                                                                            module: str) -> None:
    resources = translated["Resources"]
    mapping = resources[f"{function}{function}SqsEventSource"]["Properties"]
    assert mapping["FunctionName"] == {"Ref": function} and mapping["BatchSize"] == 10
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["EventSourceArn"] == {"Fn::GetAtt": [f"{function}Queue", "Arn"]}
    props = resources[function]["Properties"]
    assert props["Handler"] == f"functions.{module}.handler"
    assert (props["Timeout"], props["MemorySize"]) == (60, 256)
    assert _values(translated).resolve(props["FunctionName"]) == "helpdesk-" + module.replace("_", "-")
    queue = resources[f"{function}Queue"]["Properties"]
    assert queue["VisibilityTimeout"] >= 6 * props["Timeout"]
    assert queue["RedrivePolicy"] == {"deadLetterTargetArn": {"Fn::GetAtt": [f"{function}DeadLetterQueue", "Arn"]},
                                      "maxReceiveCount": 5}
    assert translated["Outputs"][f"{function}QueueUrl"]["Value"] == {"Ref": f"{function}Queue"}


def _mapping(t: Template) -> dict[str, Any]:
    return t["Resources"]["AssignmentAssignmentSqsEventSource"]["Properties"]


def _view_mapping(t: Template) -> dict[str, Any]:
    return t["Resources"]["ViewIndexViewIndexSqsEventSource"]["Properties"]


def _reports_mapping(t: Template) -> dict[str, Any]:
    return t["Resources"]["ReportsReportsSqsEventSource"]["Properties"]


def _drop_every_mapping(t: Template) -> None:
    for name in [n for n, r in t["Resources"].items() if r["Type"] == "AWS::Lambda::EventSourceMapping"]:
        del t["Resources"][name]


@pytest.mark.parametrize("break_it, expected", [
    (lambda t: _mapping(t).pop("FunctionResponseTypes"), "not ['ReportBatchItemFailures']"),
    (lambda t: _mapping(t).update(EventSourceArn="arn:aws:sqs:us-east-1:000000000000:helpdesk-ticket-events"),
     "is not a queue of this stack"),
    (lambda t: t["Resources"]["TicketEventsQueue"]["Properties"].pop("RedrivePolicy"), "no dead-letter queue"),
    (lambda t: t["Resources"]["TicketEventsQueue"]["Properties"].update(VisibilityTimeout=30), "VisibilityTimeout"),
    (lambda t: t["Resources"].pop("AssignmentAssignmentSqsEventSource"), "Assignment: no SQS event source mapping"),
    (lambda t: t["Resources"].pop("ViewIndexViewIndexSqsEventSource"), "ViewIndex: no SQS event source mapping"),
    (lambda t: t["Resources"].pop("AttributionAttributionSqsEventSource"),
     "Attribution: no SQS event source mapping (it consumes inbound SMS from its queue)"),
    (_drop_every_mapping, "no SQS event source mapping (the stream's consumers read their queues)"),
    (lambda t: _view_mapping(t).pop("FunctionResponseTypes"),
     "ViewIndexViewIndexSqsEventSource: FunctionResponseTypes is None"),
    (lambda t: t["Resources"]["ViewIndexQueue"]["Properties"].update(VisibilityTimeout=300),
     "ViewIndexQueue: VisibilityTimeout 300 < 6 x 60 s"),
    (lambda t: t["Resources"]["ViewIndexQueue"]["Properties"]["RedrivePolicy"].update(maxReceiveCount=0),
     "ViewIndexQueue: no dead-letter queue"),
])
def test_mapping_check_finds_breaks(translated: Template, break_it: Callable[[Template], Any], expected: str) -> None:
    broken = copy.deepcopy(translated)
    break_it(broken)
    assert any(expected in p for p in checks.queue_mapping_problems(broken))


# ------------------------------------------------------------------------ (f) the domain layer


def test_every_function_uses_the_domain_layer(template: Template, translated: Template) -> None:
    assert resources_of(template, "AWS::Serverless::LayerVersion")["HelpdeskLayer"]["Properties"][
        "CompatibleRuntimes"] == ["python3.11"]
    [layer] = resources_of(translated, "AWS::Lambda::LayerVersion")
    for name, function in resources_of(translated, "AWS::Lambda::Function").items():
        assert {"Ref": layer} in function["Properties"]["Layers"], name
    assert checks.layer_problems(translated) == []


def test_layer_check_finds_a_function_without_it(translated: Template) -> None:
    broken = copy.deepcopy(translated)
    broken["Resources"]["APIHandler"]["Properties"]["Layers"] = []
    [layer] = resources_of(translated, "AWS::Lambda::LayerVersion")
    assert checks.layer_problems(broken) == [f"APIHandler: Layers [] lack the domain layer {layer}"]


# ------------------------------------------------- (g) ticket events: the table's stream -> pipe -> queue


def _pipe(t: Template) -> dict[str, Any]:
    return t["Resources"]["TicketEventsPipe"]["Properties"]


def _stream_params(t: Template) -> dict[str, Any]:
    return _pipe(t)["SourceParameters"]["DynamoDBStreamParameters"]


def _pipe_role(t: Template) -> dict[str, Any]:
    return t["Resources"]["TicketEventsPipeRole"]["Properties"]


def test_ticket_events_come_from_the_tables_stream_through_the_pipe(translated: Template) -> None:
    resources = translated["Resources"]
    pipe = _pipe(translated)
    assert pipe["Source"] == {"Fn::GetAtt": ["HelpdeskTable", "StreamArn"]}
    assert pipe["Target"] == _mapping(translated)["EventSourceArn"] == {"Fn::GetAtt": ["TicketEventsQueue", "Arn"]}
    assert pipe["RoleArn"] == {"Fn::GetAtt": ["TicketEventsPipeRole", "Arn"]}
    params = _stream_params(translated)
    assert 0 <= params["MaximumRetryAttempts"] <= 10000
    dlq = params["DeadLetterConfig"]["Arn"]["Fn::GetAtt"][0]
    assert resources[dlq]["Type"] == "AWS::SQS::Queue" and dlq != "TicketEventsQueue"
    # Tickets created, reopened; agents online (two patterns); a customer's SMS stored.
    assert len(pipe["SourceParameters"]["FilterCriteria"]["Filters"]) == 5
    [trust] = _pipe_role(translated)["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "pipes.amazonaws.com"} and trust["Action"] == "sts:AssumeRole"
    assert set(trust["Condition"]["StringEquals"]) == {"aws:SourceAccount", "aws:SourceArn"}
    assert trust["Condition"]["StringEquals"]["aws:SourceArn"]["Fn::Sub"].endswith(":pipe/" + pipe["Name"]["Fn::Sub"])
    assert checks.pipe_problems(translated) == []
    assert checks.queue_sender_problems(translated) == []
    assert checks.dead_letter_alarm_problems(translated) == []


def _changes_pipe(t: Template) -> dict[str, Any]:
    return t["Resources"]["TableChangesPipe"]["Properties"]


def _filters(t: Template) -> list[dict[str, Any]]:
    return _changes_pipe(t)["SourceParameters"]["FilterCriteria"]["Filters"]


def _rule(t: Template, name: str = "ViewIndexRule") -> dict[str, Any]:
    return t["Resources"][name]["Properties"]


def _granted(t: Template, role: str) -> set[tuple[str, str]]:
    """(action, resource as JSON) of every Allow of the role."""
    return {(action, json.dumps(resource, sort_keys=True)) for s in _statements(t, role) if s["Effect"] == "Allow"
            for action in checks.as_list(s["Action"]) for resource in checks.as_list(s["Resource"])}


def _arn(name: str, attribute: str = "Arn") -> str:
    return json.dumps({"Fn::GetAtt": [name, attribute]}, sort_keys=True)


TICKET_OR_VIEW = [
    {"eventName": ["INSERT", "MODIFY"], "dynamodb": {"NewImage": {"type": {"S": ["ticket", "view"]}}}},
    {"eventName": ["REMOVE"], "dynamodb": {"OldImage": {"type": {"S": ["ticket", "view"]}}}}]
INBOUND_SMS = {"eventName": ["INSERT"], "dynamodb": {"NewImage": {
    "type": {"S": ["message"]}, "channel": {"S": ["sms"]}, "direction": {"S": ["inbound"]}}}}
TICKET = [{"eventName": ["INSERT", "MODIFY"], "dynamodb": {"NewImage": {"type": {"S": ["ticket"]}}}},
          {"eventName": ["REMOVE"], "dynamodb": {"OldImage": {"type": {"S": ["ticket"]}}}}]
INBOUND_FOR_THE_SKILL = {"eventName": ["INSERT"], "dynamodb": {"NewImage": {
    "type": {"S": ["message"]}, "channel": {"S": ["webchat", "sms", "whatsapp", "email"]},
    "direction": {"S": ["inbound"]}}}}
# Each rule of the table-changes bus: its queue and the stream records it wants (under the event's detail).
RULES = {"ViewIndexRule": ("ViewIndexQueue", {"$or": TICKET_OR_VIEW}),
         "AttributionRule": ("AttributionQueue", INBOUND_SMS), "ReportsRule": ("ReportsQueue", {"$or": TICKET}),
         "OrderLookupRule": ("OrderLookupQueue", INBOUND_FOR_THE_SKILL)}


def test_the_other_consumers_get_the_same_stream_through_one_pipe_onto_a_bus(translated: Template) -> None:
    from infra.local.pipe import filter_patterns

    resources = translated["Resources"]
    pipe = _changes_pipe(translated)
    stream = {"Fn::GetAtt": ["HelpdeskTable", "StreamArn"]}
    assert sorted(name for name, r in resources_of(translated, "AWS::Pipes::Pipe").items()
                  if r["Properties"]["Source"] == stream) == ["TableChangesPipe", "TicketEventsPipe"]
    assert pipe["Source"] == stream and pipe["Target"] == {"Fn::GetAtt": ["TableChangesBus", "Arn"]}
    assert pipe["TargetParameters"] == {"EventBridgeEventBusParameters": {"Source": "helpdesk.table",
                                                                          "DetailType": "table change"}}
    assert _values(translated).resolve(pipe["Name"]) == "helpdesk-table-changes"
    assert _values(translated).resolve(resources["TableChangesBus"]["Properties"]["Name"]) == "helpdesk-table-changes"
    params = pipe["SourceParameters"]["DynamoDBStreamParameters"]
    assert 0 <= params["MaximumRetryAttempts"] <= 10000
    assert params["DeadLetterConfig"]["Arn"] == {"Fn::GetAtt": ["TableChangesPipeDeadLetterQueue", "Arn"]}
    # the union of the rules' record patterns (the reports rule's lie within the view index's, attribution's
    # within the order skill's), at most 5
    patterns = [json.loads(f["Pattern"]) for f in _filters(translated)]
    assert patterns == [*TICKET_OR_VIEW, INBOUND_FOR_THE_SKILL]
    assert filter_patterns(pipe="TableChangesPipe") == patterns  # what the local stack and the tests play
    [trust] = translated["Resources"]["TableChangesPipeRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "pipes.amazonaws.com"}
    assert trust["Condition"]["StringEquals"]["aws:SourceArn"]["Fn::Sub"].endswith(":pipe/" + pipe["Name"]["Fn::Sub"])
    assert _granted(translated, "TableChangesPipeRole") == {
        *((a, _arn("HelpdeskTable", "StreamArn")) for a in checks.STREAM_READ),
        ("events:PutEvents", _arn("TableChangesBus")), ("sqs:SendMessage", _arn("TableChangesPipeDeadLetterQueue"))}
    assert checks.pipe_problems(translated) == []
    assert checks.bus_problems(translated) == []


@pytest.mark.parametrize("rule", sorted(RULES))
def test_each_consumer_has_a_rule_sending_its_records_to_its_own_queue(translated: Template, rule: str) -> None:
    queue, detail = RULES[rule]
    props = _rule(translated, rule)
    assert props["EventBusName"] == {"Ref": "TableChangesBus"} and props["State"] == "ENABLED"
    assert props["EventPattern"] == {"source": ["helpdesk.table"], "detail": detail}
    dlq = f"{rule}DeadLetterQueue"
    assert props["Targets"] == [{"Id": queue, "Arn": {"Fn::GetAtt": [queue, "Arn"]},
                                 "DeadLetterConfig": {"Arn": {"Fn::GetAtt": [dlq, "Arn"]}},
                                 "RetryPolicy": {"MaximumRetryAttempts": 185, "MaximumEventAgeInSeconds": 86400}}]
    for receiver in (queue, dlq):  # EventBridge may send to each, for this rule only
        [policy] = [r["Properties"] for r in resources_of(translated, "AWS::SQS::QueuePolicy").values()
                    if r["Properties"]["Queues"] == [{"Ref": receiver}]]
        [statement] = policy["PolicyDocument"]["Statement"]
        assert (statement["Effect"], statement["Principal"], statement["Action"]) == (
            "Allow", {"Service": "events.amazonaws.com"}, "sqs:SendMessage")
        assert statement["Resource"] == {"Fn::GetAtt": [receiver, "Arn"]}
        assert statement["Condition"] == {"ArnEquals": {"aws:SourceArn": {"Fn::GetAtt": [rule, "Arn"]}}}
    assert f"{dlq.removesuffix('Queue')}Alarm" in translated["Resources"]


def test_the_view_index_role_grants_what_the_worker_calls_and_nothing_more(translated: Template) -> None:
    granted = _granted(translated, "ViewIndexRole")
    table = json.dumps(TABLE, sort_keys=True)
    indexes = {json.dumps({"Fn::Sub": "${HelpdeskTable.Arn}/index/" + g["IndexName"]}) for g in
               _table(translated)["GlobalSecondaryIndexes"]}
    queue = json.dumps({"Fn::GetAtt": ["ViewIndexQueue", "Arn"]})
    assert {(a, r) for a, r in granted if a.startswith("dynamodb:")} == {
        ("dynamodb:PutItem", table), ("dynamodb:UpdateItem", table), ("dynamodb:BatchWriteItem", table),
        ("dynamodb:Query", table), *(("dynamodb:Query", index) for index in indexes)}
    assert {(a, r) for a, r in granted if a.startswith("sqs:")} == {(a, queue) for a in (
        "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ChangeMessageVisibility")}
    assert {a for a, _ in granted} - {a for a, _ in granted if a.startswith(("dynamodb:", "sqs:"))} == {
        "logs:CreateLogStream", "logs:PutLogEvents"}


# What each worker's code calls (helpdesk/attribution.py: the account, the customer's latest outbound
# message, one transaction of updates; helpdesk/reports.py: the account, one transaction of a mark put
# and aggregate updates), and not one action more.
WORKER_TABLE_ACTIONS = {
    "Attribution": {"dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:Query"},
    "Reports": {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"},
}


@pytest.mark.parametrize("function", sorted(WORKER_TABLE_ACTIONS))
def test_the_attribution_and_reports_roles_grant_what_their_domain_code_calls(translated: Template,
                                                                              function: str) -> None:
    """Table items only (no index), their own queue and log group, no more."""
    granted = _granted(translated, f"{function}Role")
    table = json.dumps(TABLE, sort_keys=True)
    assert {(a, r) for a, r in granted if a.startswith("dynamodb:")} == {
        (a, table) for a in WORKER_TABLE_ACTIONS[function]}
    assert {(a, r) for a, r in granted if a.startswith("sqs:")} == {(a, _arn(f"{function}Queue")) for a in (
        "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ChangeMessageVisibility")}
    logs = {r for a, r in granted if a.startswith("logs:")}
    assert len(logs) == 1 and f"-{function.lower()}:*" in logs.pop()
    assert {a for a, _ in granted if not a.startswith(("dynamodb:", "sqs:", "logs:"))} == set()


def _pipe_statement(t: Template, sid: str, role: str = "TicketEventsPipeRole") -> dict[str, Any]:
    return next(s for s in t["Resources"][role]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
                if s["Sid"] == sid)


def _allow(t: Template, role: str, action: str, resource: Any) -> None:
    _statements(t, role).append({"Sid": "Extra", "Effect": "Allow", "Action": [action], "Resource": resource})


QUEUE, TABLE = {"Fn::GetAtt": ["TicketEventsQueue", "Arn"]}, {"Fn::GetAtt": ["HelpdeskTable", "Arn"]}


def _add_view_index_pipe(t: Template) -> None:
    """A pipe of its own for the view index again (the design before the bus): a third reader of the stream."""
    pipe = copy.deepcopy(t["Resources"]["TicketEventsPipe"])
    pipe["Properties"]["Target"] = {"Fn::GetAtt": ["ViewIndexQueue", "Arn"]}
    t["Resources"]["ViewIndexPipe"] = pipe


def _add_stream_mapping(t: Template) -> None:
    t["Resources"]["StreamMapping"] = {"Type": "AWS::Lambda::EventSourceMapping", "Properties": {
        "EventSourceArn": {"Fn::GetAtt": ["HelpdeskTable", "StreamArn"]}, "FunctionName": {"Ref": "Reports"},
        "StartingPosition": "LATEST"}}
NO_PIPE = "expected one pipe from HelpdeskTable's stream to TicketEventsQueue (the queue assignment consumes)"


@pytest.mark.parametrize("break_it, expected", [
    (lambda t: _pipe(t).update(Source=TABLE), NO_PIPE),
    (lambda t: _pipe(t).update(Target={"Fn::GetAtt": ["TicketEventsDeadLetterQueue", "Arn"]}), NO_PIPE),
    (lambda t: t["Resources"].pop("TicketEventsPipe"), NO_PIPE),
    (lambda t: _mapping(t).update(EventSourceArn={"Fn::GetAtt": ["TicketEventsPipeDeadLetterQueue", "Arn"]}),
     "expected one pipe from HelpdeskTable's stream to TicketEventsPipeDeadLetterQueue"),
    (lambda t: _stream_params(t).update(MaximumRetryAttempts=-1), "MaximumRetryAttempts is -1"),
    (lambda t: _stream_params(t).pop("MaximumRetryAttempts"), "MaximumRetryAttempts is -1"),
    (lambda t: _stream_params(t).pop("DeadLetterConfig"), "no dead-letter queue of this stack"),
    (lambda t: _stream_params(t).update(DeadLetterConfig={"Arn": "arn:aws:sqs:us-east-1:000000000000:elsewhere"}),
     "no dead-letter queue of this stack"),
    (lambda t: _pipe(t).update(RoleArn={"Fn::GetAtt": ["APIHandlerRole", "Arn"]}),
     "role APIHandlerRole: trusted by ['lambda.amazonaws.com'], not by EventBridge Pipes alone"),
    (lambda t: _pipe_role(t)["AssumeRolePolicyDocument"]["Statement"][0].update(Principal={"AWS": "*"}),
     "trusted by more than services, not by EventBridge Pipes alone"),
    (lambda t: _pipe_role(t).update(ManagedPolicyArns=["arn:aws:iam::aws:policy/AmazonSQSFullAccess"]),
     "managed policies"),
    (lambda t: _allow(t, "TicketEventsPipeRole", "dynamodb:GetItem", TABLE),
     "role TicketEventsPipeRole: allows dynamodb:GetItem on HelpdeskTable.Arn"),
    (lambda t: _pipe_statement(t, "ReadTheStream").update(Resource="*"),
     "role TicketEventsPipeRole: allows dynamodb:GetRecords on \"*\""),
    (lambda t: _allow(t, "TicketEventsPipeRole", "sqs:SendMessage", {"Fn::GetAtt": ["TicketEventsDeadLetterQueue",
                                                                                   "Arn"]}),
     "role TicketEventsPipeRole: allows sqs:SendMessage on TicketEventsDeadLetterQueue.Arn"),
    (lambda t: _pipe_statement(t, "SendTicketEvents").update(Resource=[QUEUE]),
     "role TicketEventsPipeRole: lacks sqs:SendMessage on TicketEventsPipeDeadLetterQueue.Arn"),
    (lambda t: _pipe_statement(t, "ReadTheStream")["Action"].remove("dynamodb:GetRecords"),
     "role TicketEventsPipeRole: lacks dynamodb:GetRecords on HelpdeskTable.StreamArn"),
    # the table-changes pipe, held to the same, and to its bus
    (lambda t: _changes_pipe(t)["SourceParameters"]["DynamoDBStreamParameters"].pop("MaximumRetryAttempts"),
     "pipe TableChangesPipe: MaximumRetryAttempts is -1"),
    (lambda t: _changes_pipe(t)["SourceParameters"]["DynamoDBStreamParameters"].pop("DeadLetterConfig"),
     "pipe TableChangesPipe: no dead-letter queue of this stack"),
    (lambda t: _pipe_statement(t, "PutTableChanges", "TableChangesPipeRole").update(Resource="*"),
     'role TableChangesPipeRole: allows events:PutEvents on "*"'),
    (lambda t: _pipe_statement(t, "PutTableChanges", "TableChangesPipeRole").update(Resource="*"),
     "role TableChangesPipeRole: lacks events:PutEvents on TableChangesBus.Arn"),
    (lambda t: _allow(t, "TableChangesPipeRole", "sqs:SendMessage", {"Fn::GetAtt": ["ViewIndexQueue", "Arn"]}),
     "role TableChangesPipeRole: allows sqs:SendMessage on ViewIndexQueue.Arn"),
    (lambda t: _changes_pipe(t).update(RoleArn={"Fn::GetAtt": ["TicketEventsPipeRole", "Arn"]}),
     "role TicketEventsPipeRole: lacks events:PutEvents on TableChangesBus.Arn"),
    (lambda t: _changes_pipe(t)["TargetParameters"]["EventBridgeEventBusParameters"].pop("Source"),
     "pipe TableChangesPipe: EventBridgeEventBusParameters.Source is None"),
    (lambda t: _changes_pipe(t)["TargetParameters"]["EventBridgeEventBusParameters"].update(DetailType="$.eventName"),
     "pipe TableChangesPipe: EventBridgeEventBusParameters.DetailType is '$.eventName'"),
    # its filter: the union of the rules' record patterns, no less and no more
    (lambda t: _filters(t).pop(), "pipe TableChangesPipe: its filters drop records rule AttributionRule wants"),
    (lambda t: _filters(t)[0].update(Pattern=json.dumps(TICKET[0])),
     "pipe TableChangesPipe: its filters drop records rule ViewIndexRule wants"),
    (lambda t: _filters(t).append({"Pattern": json.dumps(
        {"eventName": ["INSERT"], "dynamodb": {"NewImage": {"type": {"S": ["agent"]}}}})}),
     "keeps records no rule of TableChangesBus wants"),
    (lambda t: _filters(t)[2].update(Pattern=json.dumps({"eventName": ["INSERT"], "dynamodb": {"NewImage": {
        "type": {"S": ["message"]}}}})), "keeps records no rule of TableChangesBus wants"),
    (lambda t: _changes_pipe(t)["SourceParameters"].pop("FilterCriteria"), "pipe TableChangesPipe: no filter"),
    (lambda t: t["Resources"].pop("TableChangesPipe"),
     "expected one pipe from HelpdeskTable's stream to an event bus of this stack"),
    (lambda t: _changes_pipe(t).update(Target={"Fn::GetAtt": ["ViewIndexQueue", "Arn"]}),
     "pipe TableChangesPipe: neither the ticket-events pipe nor the table-changes pipe"),
    # DynamoDB Streams throttles more than two readers of a shard
    (lambda t: t["Resources"].pop("TableChangesPipe"),
     "HelpdeskTable's stream is read by ['TicketEventsPipe'], not by 2"),
    (_add_view_index_pipe, "HelpdeskTable's stream is read by ['TableChangesPipe', 'TicketEventsPipe', "
                           "'ViewIndexPipe'], not by 2"),
    (_add_view_index_pipe, "pipe ViewIndexPipe: neither the ticket-events pipe nor the table-changes pipe"),
    (_add_stream_mapping, "StreamMapping reads HelpdeskTable's stream: only the two pipes may"),
    (lambda t: t["Resources"]["Assignment"]["Properties"].update(Handler="functions.other.handler"),
     "ticket events: no pipe to check (the assignment function consumes no queue of this stack)"),
])
def test_pipe_check_finds_breaks(translated: Template, break_it: Callable[[Template], Any], expected: str) -> None:
    broken = copy.deepcopy(translated)
    break_it(broken)
    assert any(expected in p for p in checks.pipe_problems(broken)), checks.pipe_problems(broken)


def _target(t: Template, rule: str = "ViewIndexRule") -> dict[str, Any]:
    return _rule(t, rule)["Targets"][0]


def _queue_grant(t: Template, policy: str = "ViewIndexQueuePolicy") -> dict[str, Any]:
    return t["Resources"][policy]["Properties"]["PolicyDocument"]["Statement"][0]


NO_POLICY = "ViewIndexQueue: no queue policy lets EventBridge send to it for rule ViewIndexRule"


@pytest.mark.parametrize("break_it, expected", [
    (lambda t: _rule(t).update(State="DISABLED"), "rule ViewIndexRule: State 'DISABLED'"),
    (lambda t: _rule(t)["EventPattern"].update(source=["aws.dynamodb"]),
     "rule ViewIndexRule: its pattern's source is not ['helpdesk.table']"),
    (lambda t: _rule(t, "ReportsRule")["EventPattern"].pop("source"), "rule ReportsRule: its pattern's source is not"),
    (lambda t: _rule(t)["EventPattern"].pop("detail"),
     "rule ViewIndexRule: its pattern has no stream-record pattern under detail"),
    (lambda t: _rule(t)["Targets"].append({**_target(t), "Id": "Again"}), "rule ViewIndexRule: 2 targets, not one"),
    (lambda t: _target(t).update(Arn="arn:aws:sqs:us-east-1:123456789012:elsewhere"),
     "rule ViewIndexRule: target 'arn:aws:sqs:us-east-1:123456789012:elsewhere' is not a queue of this stack"),
    (lambda t: _target(t).pop("DeadLetterConfig"), "rule ViewIndexRule: no dead-letter queue of this stack"),
    (lambda t: _target(t).update(DeadLetterConfig={"Arn": {"Fn::GetAtt": ["ViewIndexQueue", "Arn"]}}),
     "rule ViewIndexRule: no dead-letter queue of this stack"),
    (lambda t: _target(t).pop("RetryPolicy"), "rule ViewIndexRule: RetryPolicy {}"),
    (lambda t: _target(t)["RetryPolicy"].update(MaximumRetryAttempts=500), "rule ViewIndexRule: RetryPolicy"),
    # only EventBridge, for this rule, may send to its queue and its dead-letter queue
    (lambda t: t["Resources"].pop("ViewIndexQueuePolicy"), NO_POLICY),
    (lambda t: t["Resources"].pop("ReportsRuleDeadLetterQueuePolicy"),
     "ReportsRuleDeadLetterQueue: no queue policy lets EventBridge send to it for rule ReportsRule"),
    (lambda t: _queue_grant(t)["Condition"]["ArnEquals"].update({"aws:SourceArn": {"Fn::GetAtt": ["ReportsRule",
                                                                                                   "Arn"]}}),
     NO_POLICY),
    (lambda t: _queue_grant(t).pop("Condition"), "ViewIndexQueue: statement ViewChangesFromItsRule of "
                                                 "ViewIndexQueuePolicy allows more than EventBridge sending to it"),
    (lambda t: _queue_grant(t).update(Principal="*"), "ViewIndexQueue: statement ViewChangesFromItsRule"),
    (lambda t: _queue_grant(t).update(Action=["sqs:SendMessage", "sqs:ReceiveMessage"]),
     "ViewIndexQueue: statement ViewChangesFromItsRule"),
    # every consumer but assignment has a rule of its own, feeding a queue only it consumes
    (lambda t: t["Resources"].pop("AttributionRule"),
     "Attribution: consumes AttributionQueue, which no rule of the table-changes bus TableChangesBus feeds"),
    (lambda t: _rule(t).update(EventBusName="default"),
     "ViewIndex: consumes ViewIndexQueue, which no rule of the table-changes bus TableChangesBus feeds"),
    (lambda t: _target(t, "ReportsRule").update(Arn={"Fn::GetAtt": ["ViewIndexQueue", "Arn"]}),
     "ViewIndexQueue is the target of rules"),
    (lambda t: _reports_mapping(t).update(EventSourceArn={"Fn::GetAtt": ["AttributionQueue", "Arn"]}),
     "rule AttributionRule: its queue AttributionQueue is consumed by ['Attribution', 'Reports']"),
    # one queue for assignment and the view index: assignment would wake for every change of every ticket
    (lambda t: _view_mapping(t).update(EventSourceArn=QUEUE),
     "rule ViewIndexRule: its queue ViewIndexQueue is consumed by [], not by exactly one function"),
    (lambda t: _view_mapping(t).update(EventSourceArn=QUEUE),
     "ViewIndex: consumes TicketEventsQueue, which no rule of the table-changes bus TableChangesBus feeds"),
    (lambda t: _target(t).update(Arn=QUEUE), "rule ViewIndexRule: feeds TicketEventsQueue to Assignment "
                                             "(functions.assignment.handler), which is none of the bus's consumers"),
    (lambda t: t["Resources"].pop("TableChangesPipe"),
     "ViewIndex: consumes ViewIndexQueue, which no rule of the table-changes bus (none found) feeds"),
])
def test_bus_check_finds_breaks(translated: Template, break_it: Callable[[Template], Any], expected: str) -> None:
    broken = copy.deepcopy(translated)
    break_it(broken)
    assert any(expected in p for p in checks.bus_problems(broken)), checks.bus_problems(broken)


@pytest.mark.parametrize("role, action, resource, expected", [
    ("SmsWebhookRole", "sqs:SendMessage", QUEUE,
     "SmsWebhook: statement Extra of SmsWebhookRole may send to TicketEventsQueue"),
    ("APIHandlerRole", "sqs:SendMessage", {"Fn::Sub": "${TicketEventsQueue.Arn}"}, "APIHandler: statement Extra"),
    ("AutocloseRole", "sqs:Send*", "*", "Autoclose: statement Extra of AutocloseRole may send to TicketEventsQueue"),
    ("AssignmentRole", "sqs:SendMessage", {"Fn::GetAtt": ["ViewIndexQueue", "Arn"]},
     "Assignment: statement Extra of AssignmentRole may send to ViewIndexQueue (view changes come from"),
    ("AttributionRole", "sqs:SendMessage", {"Fn::GetAtt": ["ReportsQueue", "Arn"]},
     "Attribution: statement Extra of AttributionRole may send to ReportsQueue (ticket changes come from"),
    ("APIHandlerRole", "events:PutEvents", {"Fn::GetAtt": ["TableChangesBus", "Arn"]},
     "APIHandler: statement Extra of APIHandlerRole may put events on TableChangesBus (table changes come from"),
    ("ReportsRole", "events:*", "*", "Reports: statement Extra of ReportsRole may put events on TableChangesBus"),
])
def test_queue_sender_check_finds_a_function_sending_ticket_events(
        translated: Template, role: str, action: str, resource: Any, expected: str) -> None:
    broken = copy.deepcopy(translated)
    _allow(broken, role, action, resource)
    problems = checks.queue_sender_problems(broken)
    assert len(problems) == 1 and expected in problems[0]


def test_no_function_role_may_send_to_any_queue(translated: Template) -> None:
    for name, function in resources_of(translated, "AWS::Lambda::Function").items():
        role = function["Properties"]["Role"]["Fn::GetAtt"][0]
        actions = {a for s in checks.statements(translated["Resources"][role]["Properties"]) for a in s["Action"]}
        assert not any(a.startswith("sqs:Send") for a in actions), name


@pytest.mark.parametrize("alarm, queue", [
    ("TicketEventsPipeDeadLetterAlarm", "TicketEventsPipeDeadLetterQueue"),
    ("TicketEventsDeadLetterAlarm", "TicketEventsDeadLetterQueue"),
    ("TableChangesPipeDeadLetterAlarm", "TableChangesPipeDeadLetterQueue"),
    ("ViewIndexDeadLetterAlarm", "ViewIndexDeadLetterQueue"),
    ("ViewIndexRuleDeadLetterAlarm", "ViewIndexRuleDeadLetterQueue"),
    ("AttributionDeadLetterAlarm", "AttributionDeadLetterQueue"),
    ("AttributionRuleDeadLetterAlarm", "AttributionRuleDeadLetterQueue"),
    ("ReportsDeadLetterAlarm", "ReportsDeadLetterQueue"),
    ("ReportsRuleDeadLetterAlarm", "ReportsRuleDeadLetterQueue"),
])
def test_dead_letter_alarm_check_finds_an_unwatched_dlq(translated: Template, alarm: str, queue: str) -> None:
    assert translated["Resources"][alarm]["Properties"]["Dimensions"] == [
        {"Name": "QueueName", "Value": {"Fn::GetAtt": [queue, "QueueName"]}}]
    broken = copy.deepcopy(translated)
    del broken["Resources"][alarm]
    assert checks.dead_letter_alarm_problems(broken) == [
        f"{queue}: a dead-letter queue without an alarm on ApproximateNumberOfMessagesVisible"]


# ------------------------------------------------------------------------- (h) the agents' user pool


def _pool(t: Template) -> dict[str, Any]:
    return t["Resources"]["AgentsUserPool"]["Properties"]


def _client(t: Template) -> dict[str, Any]:
    return t["Resources"]["AgentsAppClient"]["Properties"]


USER_POOL_ACTIONS = {"cognito-idp:" + a for a in (
    "AdminCreateUser", "AdminGetUser", "AdminAddUserToGroup", "AdminRemoveUserFromGroup", "AdminDisableUser",
    "AdminEnableUser", "AdminUserGlobalSignOut", "ListUsers")}


def test_the_stack_creates_the_agents_user_pool(template: Template, translated: Template) -> None:
    from helpdesk.auth import HELPDESK_ROLES, INTEGRATION_ROLE

    assert not {"CognitoUserPoolId", "CognitoAppClientId"} & set(template["Parameters"])
    # deployable with one override: the SES identities mail is sent as (no default nobody verified)
    assert [name for name, p in template["Parameters"].items() if "Default" not in p] == ["SesIdentity"]
    pool = translated["Resources"]["AgentsUserPool"]
    assert (pool["DeletionPolicy"], pool["UpdateReplacePolicy"]) == ("Retain", "Retain")
    assert pool["Properties"]["UsernameAttributes"] == ["email"]
    assert pool["Properties"]["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    assert pool["Properties"]["Policies"]["PasswordPolicy"]["MinimumLength"] >= 12
    assert "Schema" not in pool["Properties"]
    groups = resources_of(translated, "AWS::Cognito::UserPoolGroup").values()
    assert sorted(g["Properties"]["GroupName"] for g in groups) == sorted((*HELPDESK_ROLES, INTEGRATION_ROLE))
    assert all(g["Properties"]["UserPoolId"] == {"Ref": "AgentsUserPool"} for g in groups)
    client = _client(translated)
    assert client["UserPoolId"] == {"Ref": "AgentsUserPool"} and client["GenerateSecret"] is False
    # USER_PASSWORD_AUTH: the console's sign-in (the password travels over TLS to Cognito only); no admin flow.
    assert client["ExplicitAuthFlows"] == ["ALLOW_USER_SRP_AUTH", "ALLOW_USER_PASSWORD_AUTH",
                                           "ALLOW_REFRESH_TOKEN_AUTH"]
    assert (client["ReadAttributes"], client["WriteAttributes"]) == (["email", "email_verified", "name"], ["name"])
    assert (client["AccessTokenValidity"], client["IdTokenValidity"], client["RefreshTokenValidity"]) == (1, 1, 30)
    assert client["TokenValidityUnits"] == {"AccessToken": "hours", "IdToken": "hours", "RefreshToken": "days"}
    assert client["PreventUserExistenceErrors"] == "ENABLED"
    assert translated["Outputs"]["AgentsUserPoolId"]["Value"] == {"Ref": "AgentsUserPool"}
    assert translated["Outputs"]["AgentsAppClientId"]["Value"] == {"Ref": "AgentsAppClient"}
    assert checks.user_pool_problems(translated) == []


def test_only_the_api_role_manages_agents_and_only_in_the_pool(translated: Template) -> None:
    grants = {role: [s for s in checks.statements(translated["Resources"][role]["Properties"])
                     if any(a.startswith("cognito-idp:") for a in s["Action"])]
              for role in resources_of(translated, "AWS::IAM::Role")}
    assert {role for role, statements in grants.items() if statements} == {"APIHandlerRole"}
    [statement] = grants["APIHandlerRole"]
    assert set(statement["Action"]) == USER_POOL_ACTIONS
    assert statement["Resource"] == {"Fn::GetAtt": ["AgentsUserPool", "Arn"]}
    assert checks.user_pool_grant_problems(translated) == []


@pytest.mark.parametrize("break_it, expected", [
    (lambda t: _client(t)["WriteAttributes"].append("custom:account_id"), "AgentsAppClient: WriteAttributes"),
    (lambda t: _client(t)["WriteAttributes"].append("email"), "AgentsAppClient: WriteAttributes"),
    (lambda t: _client(t).pop("WriteAttributes"), "AgentsAppClient: WriteAttributes None"),
    (lambda t: _pool(t).update(Schema=[{"Name": "account_id", "AttributeDataType": "String", "Mutable": True}]),
     "AgentsUserPool: custom attributes ['account_id']"),
    (lambda t: _pool(t).update(Schema=[{"Name": "custom:account_id", "AttributeDataType": "String"}]),
     "AgentsUserPool: custom attributes ['custom:account_id']"),
    (lambda t: _pool(t)["AdminCreateUserConfig"].update(AllowAdminCreateUserOnly=False), "anyone may sign up"),
    (lambda t: _pool(t).pop("UsernameAttributes"), "UsernameAttributes None"),
    (lambda t: t["Resources"]["AgentsUserPool"].update(DeletionPolicy="Delete"), "must be Retain"),
    (lambda t: t["Resources"]["AgentsUserPool"].pop("UpdateReplacePolicy"), "must be Retain"),
    (lambda t: t["Resources"].pop("AgentsSupportGroup"), "not one per role"),
    (lambda t: _client(t).update(GenerateSecret=True), "AgentsAppClient: a client secret"),
    (lambda t: t["Resources"].pop("AgentsAppClient"), "AgentsUserPool: no app client"),
])
def test_user_pool_check_finds_breaks(translated: Template, break_it: Callable[[Template], Any], expected: str) -> None:
    broken = copy.deepcopy(translated)
    break_it(broken)
    assert any(expected in p for p in checks.user_pool_problems(broken)), checks.user_pool_problems(broken)


def test_standard_attributes_in_the_schema_are_not_custom(translated: Template) -> None:
    standard = copy.deepcopy(translated)
    _pool(standard)["Schema"] = [{"Name": "email", "AttributeDataType": "String", "Required": True}]
    assert checks.user_pool_problems(standard) == []


def _api_grant(t: Template) -> dict[str, Any]:
    return next(s for s in _statements(t, "APIHandlerRole") if s["Sid"] == "ManageAgentAccounts")


POOL_ARN = {"Fn::GetAtt": ["AgentsUserPool", "Arn"]}


@pytest.mark.parametrize("break_it, expected", [
    (lambda t: _allow(t, "AssignmentRole", "cognito-idp:AdminGetUser", POOL_ARN),
     "role AssignmentRole: statement Extra allows ['cognito-idp:AdminGetUser'] (only the agent API"),
    (lambda t: _allow(t, "TicketEventsPipeRole", "cognito-idp:ListUsers", POOL_ARN), "role TicketEventsPipeRole"),
    (lambda t: _api_grant(t).update(Resource="*"), "not on the agents' pool alone"),
    (lambda t: _api_grant(t).update(Resource=[POOL_ARN, "arn:aws:cognito-idp:us-east-1:000000000000:userpool/x"]),
     "not on the agents' pool alone"),
    (lambda t: _api_grant(t)["Action"].append("cognito-idp:AdminDeleteUser"), "cognito-idp actions"),
    (lambda t: _api_grant(t)["Action"].remove("cognito-idp:ListUsers"), "cognito-idp actions"),
])
def test_user_pool_grant_check_finds_breaks(translated: Template, break_it: Callable[[Template], Any],
                                            expected: str) -> None:
    broken = copy.deepcopy(translated)
    break_it(broken)
    assert any(expected in p for p in checks.user_pool_grant_problems(broken)), checks.user_pool_grant_problems(broken)


# ------------------------------------------------------------------------------ the artifacts


def _variables(t: Template, function: str) -> dict[str, Any]:
    return t["Resources"][function]["Properties"]["Environment"]["Variables"]


def test_functions_find_table_and_user_pool_by_reference(template: Template) -> None:
    assert checks.environment_problems(template) == []
    assert {"COGNITO_USER_POOL_ID": {"Ref": "AgentsUserPool"}, "COGNITO_APP_CLIENT_ID": {"Ref": "AgentsAppClient"}
            }.items() <= _variables(template, "APIHandler").items()
    assert not any("ASSIGNMENT_QUEUE_URL" in _variables(template, name)
                   for name in resources_of(template, "AWS::Serverless::Function"))


@pytest.mark.parametrize("break_it, expected", [
    (lambda t: _variables(t, "Assignment").update(TABLE_NAME="helpdesk"),
     "Assignment: TABLE_NAME is 'helpdesk', not a Ref to the AWS::DynamoDB::Table"),
    (lambda t: _variables(t, "APIHandler").update(COGNITO_USER_POOL_ID="us-east-1_abc"),
     "APIHandler: COGNITO_USER_POOL_ID is 'us-east-1_abc', not a Ref to the AWS::Cognito::UserPool"),
    (lambda t: _variables(t, "APIHandler").pop("COGNITO_APP_CLIENT_ID"),
     "APIHandler: environment lacks COGNITO_APP_CLIENT_ID"),
    (lambda t: _variables(t, "SmsWebhook").update(ASSIGNMENT_QUEUE_URL={"Ref": "TicketEventsQueue"}),
     "SmsWebhook: environment still has ASSIGNMENT_QUEUE_URL"),
])
def test_environment_check_finds_breaks(template: Template, break_it: Callable[[Template], Any], expected: str) -> None:
    broken = copy.deepcopy(template)
    break_it(broken)
    assert checks.environment_problems(broken) == [expected]


def test_the_function_zip_holds_every_handler_and_no_dependencies(built: Path, template: Template) -> None:
    names = set(zipfile.ZipFile(built / "out" / "deployment.zip").namelist())
    for function in resources_of(template, "AWS::Serverless::Function").values():
        module = function["Properties"]["Handler"].rsplit(".", 1)[0]  # functions.webhooks.sms, app
        package, _, stem = module.rpartition(".")
        pyc = "/".join(filter(None, [package.replace(".", "/"), "__pycache__", f"{stem}.cpython-311.pyc"]))
        assert {module.replace(".", "/") + ".py", pyc} <= names, module
    top_level = {n.split("/")[0] for n in names}
    assert top_level <= {"app.py", "__pycache__", "chalice", "functions"}, top_level  # deps live in the layer


def test_the_layer_holds_helpdesk_with_bytecode(built: Path) -> None:
    helpdesk = built / "layer" / "python" / "helpdesk"
    assert (helpdesk / "store" / "schema.py").is_file()
    assert (helpdesk / "store" / "__pycache__" / "schema.cpython-311.pyc").is_file()


def test_the_local_stack_names_each_queue_as_its_workers_placeholder(translated: Template) -> None:
    """`make run` makes each queue the pipes feed (the ticket-events pipe's, each bus rule's) under
    local_queue_name, and polls it for the SQS worker whose placeholder queue ARN names it: the two must agree,
    or the stack refuses to start (a worker of no local queue)."""
    import importlib

    from infra.local.stack import fed_queues, local_queue_name

    fed = fed_queues()
    mapped = {}
    for mapping in resources_of(translated, "AWS::Lambda::EventSourceMapping").values():
        function = translated["Resources"][mapping["Properties"]["FunctionName"]["Ref"]]["Properties"]
        placeholder = importlib.import_module(function["Handler"].rsplit(".", 1)[0]).QUEUE_ARN_PLACEHOLDER
        mapped[mapping["Properties"]["EventSourceArn"]["Fn::GetAtt"][0]] = placeholder.rsplit(":", 1)[1]
    assert fed == mapped
    assert local_queue_name("TicketEventsQueue") == "helpdesk-ticket-events"


# ------------------------------------------------- (i) the deployed stack works as README says (issue 7)


def _values(t: Template, **parameters: Any) -> checks.Values:
    return checks.Values(t, parameters)


def test_values_resolve_intrinsics_as_cloudformation_does() -> None:
    t: Template = {"Parameters": {"Names": {"Type": "CommaDelimitedList"}, "Empty": {"Type": "String", "Default": ""}},
                   "Conditions": {"HasEmpty": {"Fn::Not": [{"Fn::Equals": [{"Ref": "Empty"}, ""]}]}}}
    values = _values(t, Names="a,b")
    assert values.resolve({"Fn::Sub": ["x/${N}/${AWS::Region}/${Res.Arn}/${!Literal}",
                                       {"N": {"Fn::Select": [1, {"Ref": "Names"}]}}]}) == \
        "x/b/us-east-1/<Res.Arn>/${Literal}"
    assert values.resolve({"Fn::Split": [",", {"Fn::Join": [",", [{"Fn::Join": [",", {"Ref": "Names"}]}, ",,"]]}]}) \
        == ["a", "b", "", "", ""]
    assert values.resolve({"K": {"Fn::If": ["HasEmpty", 1, {"Ref": "AWS::NoValue"}]}, "L": [{"Ref": "AWS::NoValue"}]}) \
        == {"L": []}
    with pytest.raises(ValueError, match="Names has no value"):
        _values(t).resolve({"Ref": "Names"})


# SesIdentity: required, a list; each identity listed may be sent as (AccessDenied otherwise, on every reply)


def _send_mail(t: Template, role: str) -> dict[str, Any]:
    return next(s for s in _statements(t, role) if s["Sid"] == "SendMail")


def test_mail_is_sent_as_the_ses_identities_the_deployment_names(template: Template, translated: Template) -> None:
    spec = template["Parameters"]["SesIdentity"]
    assert spec["Type"] == "CommaDelimitedList" and "Default" not in spec
    arn = "arn:aws:ses:us-east-1:123456789012:identity/"
    for role in ("APIHandlerRole", "AutocloseRole"):
        resource = _send_mail(translated, role)["Resource"]
        assert _values(translated, SesIdentity="acme.example").resolve(resource) == [arn + "acme.example"]
        assert _values(translated, SesIdentity="acme.example,support@other.example").resolve(resource) == [
            arn + "acme.example", arn + "support@other.example"]
        many = [f"brand{n}.example" for n in range(checks.MAX_SES_IDENTITIES)]
        assert _values(translated, SesIdentity=",".join(many)).resolve(resource) == [arn + i for i in many]
        with pytest.raises(ValueError, match="SesIdentity has no value"):
            _values(translated).resolve(resource)
    assert checks.ses_identity_problems(translated) == []


@pytest.mark.parametrize("break_it, expected", [
    (lambda t: t["Parameters"]["SesIdentity"].update(Default="example.com"), "SesIdentity: defaults to 'example.com'"),
    (lambda t: t["Parameters"]["SesIdentity"].update(Type="String"), "not CommaDelimitedList"),
    (lambda t: _send_mail(t, "AutocloseRole").update(Resource={"Fn::Sub": "arn:${AWS::Partition}:ses:${AWS::Region}:"
                                                                         "${AWS::AccountId}:identity/example.com"}),
     "role AutocloseRole: statement SendMail may send as ['arn:aws:ses:us-east-1:123456789012:identity/example.com']"),
    (lambda t: _send_mail(t, "APIHandlerRole")["Resource"].pop(), "when SesIdentity is 'brand1.example,brand2.example"),
    (lambda t: _send_mail(t, "APIHandlerRole").update(Resource=_send_mail(t, "APIHandlerRole")["Resource"][:1]),
     "role APIHandlerRole: statement SendMail may send as ['arn:aws:ses:us-east-1:123456789012:identity/brand1"),
])
def test_ses_identity_check_finds_breaks(translated: Template, break_it: Callable[[Template], Any],
                                         expected: str) -> None:
    broken = copy.deepcopy(translated)
    break_it(broken)
    assert any(expected in p for p in checks.ses_identity_problems(broken)), checks.ses_identity_problems(broken)


# The webhook API: multipart bodies binary (Mailgun's attachments intact), JSON and forms text; one stage


def test_the_webhook_api_takes_multipart_bodies_as_binary_and_the_rest_as_text(translated: Template) -> None:
    api = translated["Resources"]["WebhookApi"]["Properties"]
    assert api["Body"]["x-amazon-apigateway-binary-media-types"] == ["multipart/form-data"]
    assert api["BinaryMediaTypes"] == ["multipart~1form-data"]  # CloudFormation's escaped form
    assert checks.webhook_api_problems(translated) == []


def test_only_the_declared_stages_exist(translated: Template) -> None:
    stages = {(r["Properties"]["RestApiId"]["Ref"], r["Properties"]["StageName"])
              for r in resources_of(translated, "AWS::ApiGateway::Stage").values()}
    assert stages == {("WebhookApi", "v1"), ("RestAPI", "v1")}
    assert not any("StageName" in r["Properties"]
                   for r in resources_of(translated, "AWS::ApiGateway::Deployment").values())
    assert checks.stage_problems(translated) == []


def test_without_openapi_version_sam_adds_a_stray_stage(template: Template) -> None:
    without = copy.deepcopy(template)
    del without["Globals"]["Api"]["OpenApiVersion"]
    problems = checks.stage_problems(build.translate(without))
    assert len(problems) == 1 and "deployment makes stage 'Stage' besides the declared one" in problems[0]


def _api(t: Template) -> dict[str, Any]:
    return t["Resources"]["WebhookApi"]["Properties"]


def _method_settings(t: Template) -> list[dict[str, Any]]:
    return t["Resources"]["WebhookApiv1Stage"]["Properties"]["MethodSettings"]


def _drop_binary_types(t: Template) -> None:
    _api(t).pop("BinaryMediaTypes")
    _api(t)["Body"].pop("x-amazon-apigateway-binary-media-types")


def _webchat_as_fast_as_the_rest(t: Template) -> None:
    for setting in _method_settings(t)[1:]:
        setting.update(ThrottlingRateLimit={"Ref": "WebhookThrottleRateLimit"})


@pytest.mark.parametrize("break_it, expected", [
    (_drop_binary_types, "WebhookApi: multipart/form-data is not a binary media type"),
    (lambda t: _api(t)["BinaryMediaTypes"].append("*~1*"), "binary media type '*/*' makes application/json bodies"),
    (lambda t: _api(t)["Body"]["x-amazon-apigateway-binary-media-types"].append("application/*"),
     "binary media type 'application/*' makes application/x-www-form-urlencoded bodies binary"),
    (lambda t: _method_settings(t).pop(0), "its stage does not throttle every route"),
    (lambda t: _method_settings(t).pop(1), "POST /webchat/sessions is not throttled below the stage's (100.0, 200.0)"),
    (_webchat_as_fast_as_the_rest, "GET /webhooks/webchat/{conversation_id}/messages is not throttled below"),
])
def test_webhook_api_check_finds_breaks(translated: Template, break_it: Callable[[Template], Any],
                                        expected: str) -> None:
    broken = copy.deepcopy(translated)
    break_it(broken)
    assert any(expected in p for p in checks.webhook_api_problems(broken)), checks.webhook_api_problems(broken)


def test_the_webhook_stage_throttles_every_route_and_web_chat_lower(translated: Template) -> None:
    limits = {(s["ResourcePath"], s["HttpMethod"]): (s["ThrottlingRateLimit"], s["ThrottlingBurstLimit"])
              for s in _values(translated).resolve(_method_settings(translated))}
    assert limits == {("/*", "*"): (100, 200), ("/~1webchat~1sessions", "POST"): (20, 40),
                      ("/~1webhooks~1webchat", "POST"): (20, 40),
                      ("/~1webhooks~1webchat~1{conversation_id}~1messages", "GET"): (20, 40)}


def test_functions_behind_api_gateway_finish_before_it_gives_up(translated: Template) -> None:
    assert translated["Resources"]["EmailWebhook"]["Properties"]["Timeout"] <= 28
    assert checks.api_timeout_problems(translated) == []
    broken = copy.deepcopy(translated)
    broken["Resources"]["APIHandler"]["Properties"]["Timeout"] = 29
    assert checks.api_timeout_problems(broken) == [
        "APIHandler: Timeout 29 s behind API Gateway, which gives up after 29 s (at most 28)"]


# Reserved concurrency: one flooded route cannot starve the others


def test_every_function_has_reserved_concurrency(translated: Template) -> None:
    functions = resources_of(translated, "AWS::Lambda::Function")
    reserved = {name: _values(translated).resolve(f["Properties"]["ReservedConcurrentExecutions"])
                for name, f in functions.items()}
    assert reserved == {"SmsWebhook": 20, "WhatsappWebhook": 20, "InstagramWebhook": 20, "EmailWebhook": 20,
                        "WebchatWebhook": 20, "APIHandler": 20, "Assignment": 5, "Autoclose": 2, "LinkRedirect": 20,
                        "ViewIndex": 5, "Attribution": 5, "Reports": 5, "OrderLookup": 5}
    assert _values(translated).resolve(_mapping(translated)["ScalingConfig"]) == {"MaximumConcurrency": 5}
    assert _values(translated).resolve(_view_mapping(translated)["ScalingConfig"]) == {"MaximumConcurrency": 5}
    assert _values(translated).resolve(_reports_mapping(translated)["ScalingConfig"]) == {"MaximumConcurrency": 5}
    none = _values(translated, WebhookReservedConcurrency=0, ApiReservedConcurrency=0, AssignmentReservedConcurrency=0,
                   AutocloseReservedConcurrency=0, ViewIndexReservedConcurrency=0, AttributionReservedConcurrency=0,
                   ReportsReservedConcurrency=0, OrderLookupReservedConcurrency=0)  # a quota with no room: none
    assert not any("ReservedConcurrentExecutions" in none.resolve(f["Properties"]) for f in functions.values())
    assert none.resolve(_mapping(translated)["ScalingConfig"]) == {}
    assert checks.concurrency_problems(translated) == []


@pytest.mark.parametrize("break_it, expected", [
    (lambda t: t["Resources"]["SmsWebhook"]["Properties"].pop("ReservedConcurrentExecutions"),
     "SmsWebhook: no reserved concurrency"),
    (lambda t: t["Parameters"]["ApiReservedConcurrency"].update(Default=0), "APIHandler: no reserved concurrency"),
    (lambda t: _mapping(t).pop("ScalingConfig"),
     "AssignmentAssignmentSqsEventSource: ScalingConfig.MaximumConcurrency"),
    (lambda t: _mapping(t).update(ScalingConfig={"MaximumConcurrency": 50}), "may exceed its function's reserved"),
    (lambda t: _view_mapping(t).pop("ScalingConfig"), "ViewIndexViewIndexSqsEventSource: ScalingConfig"),
    (lambda t: t["Resources"]["ViewIndex"]["Properties"].pop("ReservedConcurrentExecutions"),
     "ViewIndex: no reserved concurrency"),
    (lambda t: t["Resources"]["AttributionAttributionSqsEventSource"]["Properties"].pop("ScalingConfig"),
     "AttributionAttributionSqsEventSource: ScalingConfig"),
    (lambda t: t["Parameters"]["ReportsReservedConcurrency"].update(Default=0), "Reports: no reserved concurrency"),
])
def test_concurrency_check_finds_breaks(translated: Template, break_it: Callable[[Template], Any],
                                        expected: str) -> None:
    broken = copy.deepcopy(translated)
    break_it(broken)
    assert any(expected in p for p in checks.concurrency_problems(broken)), checks.concurrency_problems(broken)


# Alarms: dead letters and function errors reach a topic (and, if given, a person)


def test_alarms_notify_the_alarm_topic(template: Template, translated: Template) -> None:
    alarms = resources_of(translated, "AWS::CloudWatch::Alarm")
    assert all(a["Properties"]["AlarmActions"] == [{"Ref": "AlarmTopic"}] for a in alarms.values())
    assert {"TicketEventsDeadLetterAlarm", "TicketEventsPipeDeadLetterAlarm", "ViewIndexDeadLetterAlarm",
            "TableChangesPipeDeadLetterAlarm", "ViewIndexRuleDeadLetterAlarm", "AttributionDeadLetterAlarm",
            "AttributionRuleDeadLetterAlarm", "ReportsDeadLetterAlarm", "ReportsRuleDeadLetterAlarm"} <= set(alarms)
    errors = {a["Properties"]["Dimensions"][0]["Value"]["Ref"] for a in alarms.values()
              if a["Properties"]["MetricName"] == "Errors"}
    assert errors == set(resources_of(translated, "AWS::Lambda::Function"))
    subscription = translated["Resources"]["AlarmEmailSubscription"]
    assert subscription["Condition"] == "HasAlarmEmail" and subscription["Properties"]["Protocol"] == "email"
    assert subscription["Properties"]["Endpoint"] == {"Ref": "AlarmEmail"}
    assert not _values(translated).condition("HasAlarmEmail")
    assert _values(translated, AlarmEmail="oncall@acme.example").condition("HasAlarmEmail")
    assert checks.alarm_problems(translated) == []


@pytest.mark.parametrize("break_it, expected", [
    (lambda t: t["Resources"]["TicketEventsPipeDeadLetterAlarm"]["Properties"].pop("AlarmActions"),
     "TicketEventsPipeDeadLetterAlarm: notifies nobody"),
    (lambda t: t["Resources"]["TicketEventsDeadLetterAlarm"]["Properties"].update(AlarmActions=["arn:aws:sns:x"]),
     "TicketEventsDeadLetterAlarm: notifies nobody"),
    (lambda t: t["Resources"].pop("AssignmentErrorsAlarm"), "Assignment: no alarm on its Errors"),
])
def test_alarm_check_finds_breaks(translated: Template, break_it: Callable[[Template], Any], expected: str) -> None:
    broken = copy.deepcopy(translated)
    break_it(broken)
    problems = checks.alarm_problems(broken)
    assert len(problems) == 1 and problems[0].startswith(expected), problems


# The mail bucket: raw mail expires, attachments stay; TLS only; no public access


def _bucket(t: Template) -> dict[str, Any]:
    return t["Resources"]["MailBucket"]["Properties"]


def _bucket_policy(t: Template) -> list[dict[str, Any]]:
    return t["Resources"]["MailBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]


def test_the_mail_bucket_expires_raw_mail_and_refuses_plain_http(translated: Template) -> None:
    [rule] = _values(translated).resolve(_bucket(translated)["LifecycleConfiguration"]["Rules"])
    assert (rule["Status"], rule["Prefix"], rule["ExpirationInDays"]) == ("Enabled", "inbound/", 30)
    assert _values(translated, SesObjectPrefix="mail/", RawMailRetentionDays=7).resolve(
        _bucket(translated)["LifecycleConfiguration"]["Rules"])[0]["Prefix"] == "mail/"
    [deny] = [s for s in _bucket_policy(translated) if s["Effect"] == "Deny"]
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} and deny["Principal"] == "*"
    assert _values(translated).resolve(deny["Resource"]) == ["<MailBucket.Arn>", "<MailBucket.Arn>/*"]
    assert all(_bucket(translated)["PublicAccessBlockConfiguration"].values())
    assert checks.bucket_problems(translated) == []


def test_the_raw_mail_prefix_cannot_be_one_that_covers_the_attachments(template: Template) -> None:
    import re

    pattern = template["Parameters"]["SesObjectPrefix"]["AllowedPattern"]
    assert re.fullmatch(pattern, "inbound/") and re.fullmatch(pattern, "mail/ses/")
    assert not any(re.fullmatch(pattern, prefix) for prefix in ("", "a", "attach", "inbound"))


@pytest.mark.parametrize("break_it, expected", [
    (lambda t: _bucket(t).pop("LifecycleConfiguration"), "MailBucket: raw mail (EmailWebhook's SES_OBJECT_PREFIX"),
    (lambda t: _bucket(t)["LifecycleConfiguration"]["Rules"][0].update(Prefix=""), "never expires"),
    (lambda t: _bucket(t)["LifecycleConfiguration"]["Rules"][0].update(Status="Disabled"), "never expires"),
    (lambda t: t["Parameters"]["SesObjectPrefix"].update(Default=""),
     "MailBucket: raw-mail prefix '' and the attachments' 'attachments/' overlap"),
    (lambda t: _bucket_policy(t).pop(), "MailBucket: no bucket policy denies requests without TLS"),
    (lambda t: _bucket_policy(t)[-1].update(Resource={"Fn::GetAtt": ["MailBucket", "Arn"]}), "without TLS"),
    (lambda t: _bucket(t)["PublicAccessBlockConfiguration"].update(BlockPublicPolicy=False),
     "MailBucket: public access not blocked (BlockPublicPolicy)"),
])
def test_bucket_check_finds_breaks(translated: Template, break_it: Callable[[Template], Any], expected: str) -> None:
    broken = copy.deepcopy(translated)
    break_it(broken)
    assert any(expected in p for p in checks.bucket_problems(broken)), checks.bucket_problems(broken)


# SES invokes the email function for this account's receipt rule only


def _ses_permission(t: Template) -> dict[str, Any]:
    return t["Resources"]["EmailWebhookSesPermission"]["Properties"]


def test_ses_may_invoke_the_email_function_for_the_named_receipt_rule_only(translated: Template) -> None:
    assert _ses_permission(translated)["SourceAccount"] == {"Ref": "AWS::AccountId"}
    assert "SourceArn" not in _values(translated).resolve(_ses_permission(translated))  # no rule named: this account
    named = _values(translated, SesReceiptRuleSet="inbound", SesReceiptRule="to-helpdesk")
    assert named.resolve(_ses_permission(translated))["SourceArn"] == (
        "arn:aws:ses:us-east-1:123456789012:receipt-rule-set/inbound:receipt-rule/to-helpdesk")
    assert "SourceArn" not in _values(translated, SesReceiptRule="to-helpdesk").resolve(_ses_permission(translated))
    assert checks.ses_invoke_problems(translated) == []


@pytest.mark.parametrize("break_it, expected", [
    (lambda t: _ses_permission(t).pop("SourceArn"), "EmailWebhookSesPermission: SourceArn None names no receipt rule"),
    (lambda t: _ses_permission(t).update(SourceArn="arn:aws:ses:us-east-1:999999999999:receipt-rule-set/x"),
     "names no receipt rule of this account"),
    (lambda t: _ses_permission(t).pop("SourceAccount"), "EmailWebhookSesPermission: SES of any account may invoke it"),
])
def test_ses_invoke_check_finds_breaks(translated: Template, break_it: Callable[[Template], Any],
                                       expected: str) -> None:
    broken = copy.deepcopy(translated)
    break_it(broken)
    assert any(expected in p for p in checks.ses_invoke_problems(broken)), checks.ses_invoke_problems(broken)


# Optional settings: parameters, unset (the code's default) while empty


OPTIONAL_SETTINGS = {"SUPPORT_EMAIL": ("Autoclose", "SupportEmail", "help@acme.example"),
                     "WEBCHAT_ALLOWED_ORIGIN": ("WebchatWebhook", "WebchatAllowedOrigin", "https://shop.acme.example"),
                     "DEFAULT_ACCOUNT_ID": ("WebchatWebhook", "DefaultAccountId", "acme")}


@pytest.mark.parametrize("variable", sorted(OPTIONAL_SETTINGS))
def test_optional_settings_are_set_from_parameters_only_when_given(template: Template, variable: str) -> None:
    import re

    function, parameter, value = OPTIONAL_SETTINGS[variable]
    assert re.fullmatch(template["Parameters"][parameter]["AllowedPattern"], value)
    assert template["Parameters"][parameter]["Default"] == ""
    carriers = {name for name, f in resources_of(template, "AWS::Serverless::Function").items()
                if variable in f["Properties"]["Environment"]["Variables"]}
    assert carriers == {function}
    assert variable not in _values(template).resolve(_variables(template, function))
    assert _values(template, **{parameter: value}).resolve(_variables(template, function))[variable] == value
    assert checks.optional_environment_problems(template) == []


@pytest.mark.parametrize("break_it, expected", [
    (lambda t: _variables(t, "Autoclose").update(SUPPORT_EMAIL={"Ref": "SupportEmail"}), "Autoclose: SUPPORT_EMAIL is"),
    (lambda t: _variables(t, "WebchatWebhook").pop("WEBCHAT_ALLOWED_ORIGIN"), "WebchatWebhook: WEBCHAT_ALLOWED_ORIGIN"),
    (lambda t: _variables(t, "WebchatWebhook")["DEFAULT_ACCOUNT_ID"]["Fn::If"].__setitem__(0, "HasSupportEmail"),
     "WebchatWebhook: DEFAULT_ACCOUNT_ID is"),
])
def test_optional_environment_check_finds_breaks(template: Template, break_it: Callable[[Template], Any],
                                                 expected: str) -> None:
    broken = copy.deepcopy(template)
    break_it(broken)
    problems = checks.optional_environment_problems(broken)
    assert len(problems) == 1 and expected in problems[0], problems


# The table expires short-lived items (web-chat sessions, remembered signature tokens)


def test_the_table_expires_items_on_expires_at(translated: Template) -> None:
    assert _table(translated)["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert "WebchatSession" in checks.models_with_number("expires_at")


# Auto-tagging through Bedrock (issue 12): off unless a model is named; then the worker and the agent API may
# invoke that model, and only it


BEDROCK_FUNCTIONS = {"Assignment", "APIHandler"}  # autotag in the worker, POST /api/tags/preview in the API
HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
PROFILE, PROFILE_MODEL = "us.anthropic.claude-haiku-4-5-20251001-v1:0", "anthropic.claude-haiku-4-5-20251001-v1:0"
PROFILE_ARN = f"arn:aws:bedrock:us-east-1:123456789012:inference-profile/{PROFILE}"


def _bedrock_grants(t: Template, role: str, model_id: str) -> list[tuple[Any, Any, Any]]:
    """(action, resource, condition) of each Bedrock grant of the role as deployed with that AutotagBedrockModelId."""
    values = _values(t, AutotagBedrockModelId=model_id)
    return sorted(((action, resource, statement.get("Condition"))
                   for policy in t["Resources"][role]["Properties"]["Policies"]
                   for written in policy["PolicyDocument"]["Statement"] if '"bedrock:' in json.dumps(written)
                   for statement in values.resolve([written])
                   for action in checks.as_list(statement["Action"]) if action.startswith("bedrock:")
                   for resource in checks.as_list(statement["Resource"])), key=repr)


def test_the_bedrock_model_is_a_parameter_unset_by_default(template: Template) -> None:
    import re

    spec = template["Parameters"]["AutotagBedrockModelId"]
    assert spec["Type"] == "String" and spec["Default"] == ""
    for good in ("", HAIKU, PROFILE, "global.anthropic.claude-haiku-4-5-20251001-v1:0",
                 "apac.anthropic.claude-3-haiku-20240307-v1:0", "us-gov.anthropic.claude-3-haiku-20240307-v1:0"):
        assert re.fullmatch(spec["AllowedPattern"], good), good
    for bad in ("amazon.nova-micro-v1:0", f"arn:aws:bedrock:us-east-1::foundation-model/{HAIKU}", "*",
                "us.anthropic.*", "anthropic.claude.3.haiku", " anthropic.claude-3-haiku-20240307-v1:0"):
        assert not re.fullmatch(spec["AllowedPattern"], bad), bad
    functions = resources_of(template, "AWS::Serverless::Function")
    for model_id in (HAIKU, PROFILE):
        configured = {name for name, f in functions.items()
                      if _values(template, AutotagBedrockModelId=model_id).resolve(
                          f["Properties"]["Environment"]["Variables"]).get("AUTOTAG_BEDROCK_MODEL_ID") == model_id}
        assert configured == BEDROCK_FUNCTIONS
    assert not any("AUTOTAG_BEDROCK_MODEL_ID" in _values(template).resolve(f["Properties"]["Environment"]["Variables"])
                   for f in functions.values())
    assert checks.optional_environment_problems(template) == []


def test_only_the_tagging_functions_may_invoke_the_named_model(translated: Template) -> None:
    roles = {name: f["Properties"]["Role"]["Fn::GetAtt"][0]
             for name, f in resources_of(translated, "AWS::Lambda::Function").items()}
    for function in BEDROCK_FUNCTIONS:
        role = roles[function]
        assert _bedrock_grants(translated, role, "") == []
        assert _bedrock_grants(translated, role, HAIKU) == [
            ("bedrock:InvokeModel", f"arn:aws:bedrock:us-east-1::foundation-model/{HAIKU}", None)]
        # An inference profile: the profile, and the model it routes to in whichever Region it picks, only through
        # that profile (Bedrock user guide, geographic cross-Region inference: IAM policy requirements).
        assert _bedrock_grants(translated, role, PROFILE) == sorted([
            ("bedrock:InvokeModel", PROFILE_ARN, None),
            ("bedrock:InvokeModel", f"arn:aws:bedrock:*::foundation-model/{PROFILE_MODEL}",
             {"StringEquals": {"bedrock:InferenceProfileArn": PROFILE_ARN}})], key=repr)
    for function, role in roles.items():
        if function not in BEDROCK_FUNCTIONS:
            assert not any(str(a).startswith("bedrock:") for s in checks.statements(translated["Resources"][role]
                                                                                      ["Properties"])
                           for a in checks.as_list(s.get("Action"))), function
    assert checks.bedrock_grant_problems(translated) == []
    assert checks.role_problems(translated) == []


def _bedrock_statement(t: Template, role: str, sid: str) -> dict[str, Any]:
    [statement] = [s for s in checks.statements(t["Resources"][role]["Properties"]) if s.get("Sid") == sid]
    return statement


def _unconditional_bedrock(t: Template) -> None:
    statements = _statements(t, "AssignmentRole")
    statements[:] = [s["Fn::If"][1] if "Fn::If" in s else s for s in statements]  # granted whatever is deployed


@pytest.mark.parametrize("break_it, expected", [
    (lambda t: _bedrock_statement(t, "AssignmentRole", "AutotagBedrockModel").update(
        Resource=[{"Fn::Sub": "arn:${AWS::Partition}:bedrock:${AWS::Region}::foundation-model/*"}]),
     "role AssignmentRole of Assignment may call Bedrock as"),
    (lambda t: _bedrock_statement(t, "APIHandlerRole", "AutotagBedrockProfileModels").pop("Condition"),
     "role APIHandlerRole of APIHandler may call Bedrock as"),
    (_unconditional_bedrock, "when AutotagBedrockModelId is '' (AUTOTAG_BEDROCK_MODEL_ID unset)"),
    (lambda t: _variables(t, "APIHandler").pop("AUTOTAG_BEDROCK_MODEL_ID"),
     "role APIHandlerRole of APIHandler may call Bedrock as"),
    (lambda t: _statements(t, "SmsWebhookRole").append(
        {"Sid": "Model", "Effect": "Allow", "Action": ["bedrock:InvokeModel"],
         "Resource": {"Fn::Sub": f"arn:${{AWS::Partition}}:bedrock:${{AWS::Region}}::foundation-model/{HAIKU}"}}),
     "role SmsWebhookRole of SmsWebhook may call Bedrock as"),
    (lambda t: t["Parameters"].pop("AutotagBedrockModelId"), "no AutotagBedrockModelId parameter"),
])
def test_bedrock_grant_check_finds_breaks(translated: Template, break_it: Callable[[Template], Any],
                                          expected: str) -> None:
    broken = copy.deepcopy(translated)
    break_it(broken)
    problems = checks.bedrock_grant_problems(broken)
    assert any(expected in p for p in problems), problems


@pytest.mark.parametrize("break_it", [
    lambda t: _bedrock_statement(t, "APIHandlerRole", "AutotagBedrockProfileModels").pop("Condition"),
    lambda t: _bedrock_statement(t, "APIHandlerRole", "AutotagBedrockProfileModels")["Condition"]["StringEquals"]
    .update({"bedrock:InferenceProfileArn": {"Fn::Sub": "arn:${AWS::Partition}:bedrock:*:*:inference-profile/*"}}),
    lambda t: _bedrock_statement(t, "APIHandlerRole", "AutotagBedrockProfileModels")["Action"].append(
        "bedrock:InvokeModelWithResponseStream"),
    lambda t: _bedrock_statement(t, "AssignmentRole", "AutotagBedrockProfileModels").update(
        Resource=[{"Fn::Sub": "arn:${AWS::Partition}:bedrock:*::foundation-model/anthropic.*"}]),
], ids=["no-condition", "any-profile", "more-actions", "any-model"])
def test_a_region_wildcard_is_least_privilege_only_fenced_by_the_profile(translated: Template,
                                                                        break_it: Callable[[Template], Any]) -> None:
    broken = copy.deepcopy(translated)
    break_it(broken)
    assert any("AutotagBedrockProfileModels: wildcard resource" in p for p in checks.role_problems(broken)), \
        checks.role_problems(broken)
