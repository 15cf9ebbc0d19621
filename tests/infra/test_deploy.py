"""The translated template deployed into moto's CloudFormation and run handler by handler, every AWS call checked
against the calling function's own role (infra/deploy_check.py).

The stack is built (`infra.build.package`, the layer without third-party packages: each function's process
takes those from this interpreter's site-packages, the same pinned versions), its artifacts uploaded to moto's
S3, and the stack created with SesIdentity=demo-store.example and DefaultAccountId=demo. Each function then runs
in a process of its own (`python -I`) with only the unzipped app zip and the layer's python dir added to its
path, the environment get_function_configuration gives (plus the moto endpoint, and for the agent API the pool's
keys on moto), its secrets read from SSM where the template's parameters name them. The events: every sample of
events/ (SMS, WhatsApp, Instagram, Mailgun and SES receipt email, web chat, the assignment queue, the sweep, the
agent API), then a Mailgun mail with an attachment (S3 PutObject), an owner inviting an agent (Cognito), a
reply on an email ticket (SES), and what the table-changes bus's rules deliver, each stream record as the event
the pipe put on the bus: the view index's (a view saved, a ticket changed, the view deleted:
deploy_check.view_index_events), attribution's (the SMS sample's message stored) and the reports' (a ticket
created and closed).

Left out of what is deployed (deploy_check.DROPPED_TYPES): AWS::ApiGateway::RestApi (moto's CloudFormation
cannot create one from its Body), with AWS::ApiGateway::Deployment, AWS::ApiGateway::Stage and the
AWS::Lambda::Permission resources naming the APIs; AWS::Cognito::UserPool and AWS::Cognito::UserPoolClient (made
with boto3, their Refs and Arn substituted) and AWS::Cognito::UserPoolGroup (not used by any function);
AWS::Pipes::Pipe (no moto support: the assignment sample and the bus consumers' events are what the pipes and
the rules would send);
AWS::CloudWatch::Alarm, AWS::S3::BucketPolicy and AWS::SQS::QueuePolicy (moto skips them). API Gateway itself is
not in the path: the samples are the proxy events it would send.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from infra import deploy_check


@pytest.fixture(scope="module")
def deployed(aws: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[
        tuple[deploy_check.Deployment, deploy_check.Outcome]]:
    work_dir: Path = tmp_path_factory.mktemp("deploy")
    yield deploy_check.check(aws.endpoint, work_dir)


def test_every_function_answers_as_readme_says(deployed: tuple[deploy_check.Deployment, deploy_check.Outcome]) -> None:
    deployment, outcome = deployed
    samples = {name for events in deploy_check.sample_events({}).values() for name, _ in events}
    assert len(samples) >= 20 and samples <= set(outcome.answers), "a sample of events/ was not run"
    assert set(outcome.calls) == set(deployment.configs), "every deployed function ran"
    assert [f for f, calls in outcome.calls.items() if not calls] == [], "every deployed function called AWS"
    assert deploy_check.expected_failures(outcome.answers) == []


@pytest.mark.parametrize("function, rule, events", [
    ("ViewIndex", "ViewIndexRule", deploy_check.view_index_events), ("Attribution", "AttributionRule",
                                                                     deploy_check.attribution_events),
    ("Reports", "ReportsRule", deploy_check.reports_events)])
def test_the_bus_consumers_get_events_their_rule_delivers(function: str, rule: str, events: Any) -> None:
    """No deployment needed: each message the check hands a bus consumer is the table-changes pipe's event of a
    stream record, one its rule matches (judged as infra.local.pipe judges the rules)."""
    import json

    from infra.local.pipe import Filter, bus_rules

    [pattern] = [r.pattern for r in bus_rules() if r.name == rule]
    [(_, event)] = events()
    bodies = [json.loads(record["body"]) for record in event["Records"]]
    assert bodies and all(Filter([pattern]).matches(body) for body in bodies), function
    assert all(body["detail"]["eventSource"] == "aws:dynamodb" for body in bodies)


def test_no_call_is_denied_by_the_callers_role(deployed: tuple[deploy_check.Deployment, deploy_check.Outcome]) -> None:
    _, outcome = deployed
    assert outcome.denied == []
    # every kind of grant was exercised
    made = " ".join(outcome.operations)
    for operation in ("ssm:GetParameter", "dynamodb:TransactWriteItems", "dynamodb:Query", "s3:GetObject",
                      "s3:PutObject", "ses:SendRawEmail", "cognito-idp:AdminCreateUser"):
        assert operation in made, operation
    # each of the view index's table grants (a build files tickets and records its progress; a deleted
    # view's entries go in a batch)
    for operation in ("dynamodb:Query", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:BatchWriteItem"):
        assert f"ViewIndex {operation}" in outcome.operations, operation
    # the workspace's: a view or macro deleted, the marketing system's customers looked up in one batch
    for operation in ("dynamodb:DeleteItem", "dynamodb:BatchGetItem", "dynamodb:PutItem"):
        assert f"APIHandler {operation}" in outcome.operations, operation
    assert {"(a saved view paged)", "(older messages of a ticket)", "(a customer's events)"} <= set(outcome.answers)
    # the order skill: its Shopify token from SSM, its decision claimed and recorded, its answer and note stored
    # (transactions) on the signed-in customer's ticket
    assert "(customers' web-chat messages stored)" in outcome.answers
    for operation in ("ssm:GetParameter", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:TransactWriteItems"):
        assert f"OrderLookup {operation}" in outcome.operations, operation


def test_the_check_denies_what_a_role_does_not_grant(
        deployed: tuple[deploy_check.Deployment, deploy_check.Outcome]) -> None:
    deployment, outcome = deployed
    # mail sent as the demo brand under a deployment that lists another identity (README: SesIdentity)
    elsewhere = dataclasses.replace(deployment, parameters={**deployment.parameters, "SesIdentity": "example.com"})
    sends = [c for c in outcome.calls["APIHandler"] if c["service"] == "ses"]
    assert sends and deploy_check.denials(elsewhere, "APIHandler", sends)
    # another function's secret; a transaction item on another table; the API's calls made by the SMS webhook
    secret = {"service": "ssm", "operation": "GetParameter", "params": {"Name": "/helpdesk/mailgun-signing-key"}}
    transaction = {"service": "dynamodb", "operation": "TransactWriteItems", "params": {"TransactItems": [
        {"Put": {"TableName": deployment.physical["HelpdeskTable"], "Item": {}}},
        {"Delete": {"TableName": "another-table", "Key": {}}}]}}
    lines = deploy_check.denials(deployment, "SmsWebhook", [secret, transaction])
    assert len(lines) == 2 and "mailgun-signing-key" in lines[0]
    assert "dynamodb:DeleteItem on arn:aws:dynamodb:us-east-1:123456789012:table/another-table" in lines[1]
    assert "PutItem" not in lines[1]  # the item on its own table is granted
    assert deploy_check.denials(deployment, "SmsWebhook", outcome.calls["APIHandler"])
    # an explicit Deny wins over an Allow
    policy = [{"Effect": "Allow", "Action": ["s3:*"], "Resource": ["*"]},
              {"Effect": "Deny", "Action": ["s3:PutObject"], "Resource": ["arn:aws:s3:::b/*"]}]
    assert not deploy_check.decide(policy, "s3:PutObject", "arn:aws:s3:::b/k")
    assert deploy_check.decide(policy, "s3:GetObject", "arn:aws:s3:::b/k")


def test_the_deployed_api_serves_the_console_from_its_layer(
        deployed: tuple[deploy_check.Deployment, deploy_check.Outcome]) -> None:
    """The page, its modules and its configuration, from the built layer through the deployed API
    handler, configured by the stack's own user pool (nothing baked into the files)."""
    import json

    deployment, outcome = deployed
    page, module, config = (outcome.answers[f"api/console-{name}.json"] for name in ("page", "module", "config"))
    assert page["statusCode"] == 200 and 'src="js/main.js"' in page["body"]
    assert module["statusCode"] == 200 and "import" in module["body"]
    settings = json.loads(config["body"])
    api_env = deployment.configs["APIHandler"]["Environment"]["Variables"]
    assert settings["cognito"]["user_pool_id"] == api_env["COGNITO_USER_POOL_ID"]
    assert settings["cognito"]["client_id"] == api_env["COGNITO_APP_CLIENT_ID"]
    assert settings["cognito"]["endpoint"] == "https://cognito-idp.us-east-1.amazonaws.com/"
