"""The translated template deployed into moto's CloudFormation, its functions run with only their code on the path,
and every AWS call they make checked against the calling function's own role.

    check(endpoint, work_dir) -> (Deployment, Outcome): build, deploy, seed the demo brand, run every sample
    deploy(translated, parameters, endpoint, build_dir, work_dir) -> Deployment (physical names, function configs)
    run_function(deployment, logical_id, events, work_dir) -> answers and AWS calls (one subprocess per function)
    denials(deployment, logical_id, calls) -> the calls that function's role would deny

What moto cannot stand for is made around it: the agents' user pool and app client (moto's CloudFormation has no
Cognito) are made with boto3 and their Refs substituted; resource types moto's CloudFormation cannot create are left
out of what is deployed (DROPPED_TYPES). The roles' policies are taken from the template itself, resolved by
infra.checks.Values with the deployment's parameters and the stack's physical names, not from what moto stored.
"""
from __future__ import annotations

import fnmatch
import io
import json
import os
import re
import subprocess
import sys
import urllib.parse
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from infra.checks import PSEUDO_PARAMETERS, Values, as_list, get_att, of_type, statements

STACK = PSEUDO_PARAMETERS["AWS::StackName"]
REGION = PSEUDO_PARAMETERS["AWS::Region"]
ACCOUNT = PSEUDO_PARAMETERS["AWS::AccountId"]
ARTIFACTS = "helpdesk-deploy-artifacts"
# Resource types left out of the deployed copy. moto's CloudFormation cannot create a REST API from its Body
# (KeyError 'Name'), so the two APIs go, with their deployments, stages and the invoke permissions naming them;
# it has no Cognito (the pool and client are made with boto3, see deploy; the groups are not needed) and no
# EventBridge Pipes; it skips alarms, bucket policies and queue policies with a warning. Nothing a function calls
# is among them (the table-changes bus and its rules are deployed; the events a rule would deliver are made here).
DROPPED_TYPES = ("AWS::ApiGateway::RestApi", "AWS::ApiGateway::Deployment", "AWS::ApiGateway::Stage",
                 "AWS::Cognito::UserPool", "AWS::Cognito::UserPoolClient", "AWS::Cognito::UserPoolGroup",
                 "AWS::Pipes::Pipe", "AWS::CloudWatch::Alarm", "AWS::S3::BucketPolicy", "AWS::SQS::QueuePolicy")


@dataclass
class Deployment:
    endpoint: str
    translated: dict[str, Any]
    parameters: dict[str, Any]
    physical: dict[str, str]  # logical id -> Ref value
    arns: dict[str, str]  # logical id -> Arn
    app_dir: Path
    layer_dir: Path
    configs: dict[str, dict[str, Any]] = field(default_factory=dict)  # function logical id -> its configuration
    dropped: list[str] = field(default_factory=list)


def _client(endpoint: str, service: str) -> Any:
    import boto3

    return boto3.client(service, endpoint_url=endpoint, region_name=REGION, aws_access_key_id="testing",
                        aws_secret_access_key="testing")


def _zip_dir(path: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(path.rglob("*")):
            if file.is_file():
                archive.write(file, file.relative_to(path.parent).as_posix())
    return buffer.getvalue()


def references_any(value: Any, names: list[str]) -> list[str]:
    """Which of these logical ids a template value refers to (Ref, Fn::GetAtt or ${Name} in Fn::Sub)."""
    text = json.dumps(value)
    return [n for n in names if f'"Ref": "{n}"' in text or f'"{n}"' in text or "${" + n + "}" in text
            or "${" + n + "." in text]


def _substitute(value: Any, refs: dict[str, Any], atts: dict[tuple[str, str], Any]) -> Any:
    if isinstance(value, list):
        return [_substitute(v, refs, atts) for v in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1 and "Ref" in value and value["Ref"] in refs:
        return refs[value["Ref"]]
    att = get_att(value) if "Fn::GetAtt" in value else None
    if att is not None and att in atts:
        return atts[att]
    if len(value) == 1 and "Fn::Sub" in value:
        args = value["Fn::Sub"]
        text, variables = (args, {}) if isinstance(args, str) else (args[0], args[1])
        for name, ref in refs.items():
            text = text.replace("${" + name + "}", str(ref))
        for (name, attr), ref in atts.items():
            text = text.replace("${" + name + "." + attr + "}", str(ref))
        variables = _substitute(variables, refs, atts)
        return {"Fn::Sub": [text, variables] if variables else text}
    return {k: _substitute(v, refs, atts) for k, v in value.items()}


def deploy(translated: dict[str, Any], parameters: dict[str, str], endpoint: str, build_dir: Path,
           work_dir: Path) -> Deployment:
    """Upload the artifacts, make the user pool, create the stack; returns what the checks need."""
    from infra.local import cognito

    s3 = _client(endpoint, "s3")
    s3.create_bucket(Bucket=ARTIFACTS)
    s3.put_object(Bucket=ARTIFACTS, Key="deployment.zip", Body=(build_dir / "out" / "deployment.zip").read_bytes())
    s3.put_object(Bucket=ARTIFACTS, Key="layer.zip", Body=_zip_dir(build_dir / "layer" / "python"))
    app_dir = work_dir / "app"
    with zipfile.ZipFile(build_dir / "out" / "deployment.zip") as archive:
        archive.extractall(app_dir)

    pool = cognito.create_pool(_client(endpoint, "cognito-idp"), endpoint, name=f"{STACK}-agents")
    resources = translated["Resources"]
    [pool_id] = [n for n, _ in of_type(resources, "AWS::Cognito::UserPool")]
    [client_id] = [n for n, _ in of_type(resources, "AWS::Cognito::UserPoolClient")]
    pool_arn = f"arn:aws:cognito-idp:{REGION}:{ACCOUNT}:userpool/{pool.pool_id}"
    refs: dict[str, Any] = {pool_id: pool.pool_id, client_id: pool.client_id}
    atts = {(pool_id, "Arn"): pool_arn}
    # moto's CloudFormation resolves a Ref of an event bus to its model object, not its name (a rule on the bus
    # then fails to deploy): its Name attribute instead, what CloudFormation's Ref gives.
    refs.update((bus, {"Fn::GetAtt": [bus, "Name"]}) for bus, _ in of_type(resources, "AWS::Events::EventBus"))

    template = json.loads(json.dumps(translated))
    dropped = sorted(n for n, r in template["Resources"].items() if r["Type"] in DROPPED_TYPES)
    dropped += sorted(n for n, r in template["Resources"].items() if r["Type"] == "AWS::Lambda::Permission"
                      and any(references_any(r["Properties"].get("SourceArn"), dropped)))
    for name in dropped:
        if template["Resources"][name]["Type"] == "AWS::ApiGateway::RestApi":
            # Not deployed here, but its id is part of URLs the functions are told (the webhook
            # base URL the API gives Twilio for status callbacks and uses in shortened links).
            refs.setdefault(name, "a1b2c3d4e5")
        del template["Resources"][name]
    template.pop("Outputs", None)  # they name dropped resources
    for resource in template["Resources"].values():
        props = resource.get("Properties") or {}
        if resource["Type"] == "AWS::Lambda::Function":
            props["Code"] = {"S3Bucket": ARTIFACTS, "S3Key": "deployment.zip"}
        elif resource["Type"] == "AWS::Lambda::LayerVersion":
            props["Content"] = {"S3Bucket": ARTIFACTS, "S3Key": "layer.zip"}
        if "DependsOn" in resource:
            resource["DependsOn"] = [d for d in as_list(resource["DependsOn"]) if d not in dropped]
    template["Resources"] = _substitute(template["Resources"], refs, atts)

    cfn = _client(endpoint, "cloudformation")
    cfn.create_stack(StackName=STACK, TemplateBody=json.dumps(template),
                     Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
                     Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"])
    stack = cfn.describe_stacks(StackName=STACK)["Stacks"][0]
    if stack["StackStatus"] != "CREATE_COMPLETE":
        raise RuntimeError(f"stack {STACK}: {stack['StackStatus']} {stack.get('StackStatusReason', '')}")
    physical = dict(refs)
    for r in cfn.list_stack_resources(StackName=STACK)["StackResourceSummaries"]:
        physical[r["LogicalResourceId"]] = r["PhysicalResourceId"]
    arns = {pool_id: pool_arn}
    for name, r in template["Resources"].items():
        ref = physical.get(name, "")
        arns[name] = {"AWS::DynamoDB::Table": f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{ref}",
                      "AWS::S3::Bucket": f"arn:aws:s3:::{ref}",
                      "AWS::SQS::Queue": f"arn:aws:sqs:{REGION}:{ACCOUNT}:{ref.rsplit('/', 1)[-1]}",
                      "AWS::Lambda::Function": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{ref}",
                      "AWS::IAM::Role": f"arn:aws:iam::{ACCOUNT}:role/{ref}"}.get(r["Type"], ref)
    deployment = Deployment(endpoint, translated, dict(parameters), physical, arns, app_dir,
                            build_dir / "layer" / "python", dropped=dropped)
    lam = _client(endpoint, "lambda")
    for name, _ in of_type(resources, "AWS::Lambda::Function"):
        deployment.configs[name] = lam.get_function_configuration(FunctionName=physical[name])
    return deployment


# ------------------------------------------------------------------------------------------ the roles


def _physical_text(value: str, deployment: Deployment) -> str:
    def name(match: re.Match[str]) -> str:
        logical, _, attr = match.group(1).partition(".")
        if attr == "Arn":
            return deployment.arns.get(logical, match.group(0))
        return deployment.physical.get(logical, match.group(0))

    return re.sub(r"<([A-Za-z0-9]+(?:\.[A-Za-z]+)?)>", name, value)


def role_statements(deployment: Deployment, function: str) -> list[dict[str, Any]]:
    """The function's role's statements, resolved as CloudFormation would deploy them, with physical ARNs."""
    resources = deployment.translated["Resources"]
    role = get_att(resources[function]["Properties"]["Role"])
    if role is None:
        raise ValueError(f"{function}: its role is not a role of the template")
    values = Values(deployment.translated, deployment.parameters)
    resolved = values.resolve(resources[role[0]]["Properties"])
    return [{**s, "Action": as_list(s.get("Action")),
             "Resource": [_physical_text(str(r), deployment) for r in as_list(s.get("Resource"))]}
            for s in statements(resolved)]


def decide(policy: list[dict[str, Any]], action: str, resource: str) -> bool:
    """IAM's evaluation for one action on one resource: an explicit Deny wins, else some Allow, else denied."""
    def matches(statement: dict[str, Any]) -> bool:
        return any(fnmatch.fnmatchcase(action.lower(), a.lower()) for a in statement["Action"]) and \
            any(fnmatch.fnmatchcase(resource, r) for r in statement["Resource"])

    if any(s.get("Effect") == "Deny" and matches(s) for s in policy):
        return False
    return any(s.get("Effect") == "Allow" and matches(s) for s in policy)


_TRANSACT = {"Put": "PutItem", "Update": "UpdateItem", "ConditionCheck": "ConditionCheckItem",
             "Delete": "DeleteItem", "Get": "GetItem"}


def _table_arn(name: str, index: str | None = None) -> str:
    arn = name if name.startswith("arn:") else f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}"
    return f"{arn}/index/{index}" if index else arn


def required(service: str, operation: str, params: dict[str, Any]) -> list[list[tuple[str, str]]]:
    """The IAM authorisations one API call needs: a list of requirements, each met by any of its
    (action, resource) alternatives."""
    if service == "dynamodb":
        if operation in ("TransactWriteItems", "TransactGetItems"):
            return [[(f"dynamodb:{_TRANSACT[kind]}", _table_arn(op["TableName"]))]
                    for item in params.get("TransactItems", []) for kind, op in item.items()]
        if operation in ("BatchGetItem", "BatchWriteItem"):
            return [[(f"dynamodb:{operation}", _table_arn(t))] for t in params.get("RequestItems", {})]
        if operation in ("Query", "Scan"):
            return [[(f"dynamodb:{operation}", _table_arn(params["TableName"], params.get("IndexName")))]]
        return [[(f"dynamodb:{operation}", _table_arn(params.get("TableName", "*")))]]
    if service == "s3":
        return [[(f"s3:{operation}", f"arn:aws:s3:::{params.get('Bucket')}/{params.get('Key', '')}")]]
    if service == "ssm":
        name = str(params.get("Name", ""))
        return [[(f"ssm:{operation}", f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter{'' if name.startswith('/') else '/'}"
                                      f"{name}")]]
    if service in ("ses", "sesv2"):
        sender = str(params.get("Source") or params.get("FromEmailAddress") or "")
        if not sender and isinstance(params.get("RawMessage"), dict):
            raw = params["RawMessage"].get("Data", b"")
            found = re.search(rb"^From:.*?([^\s<>\"]+@[^\s<>\"]+)", raw if isinstance(raw, bytes) else raw.encode(),
                              re.M | re.I)
            sender = found.group(1).decode() if found else ""
        address = sender.split("<")[-1].rstrip(">").strip()
        identities = [address, address.rpartition("@")[2]]
        return [[(f"ses:{operation}", f"arn:aws:ses:{REGION}:{ACCOUNT}:identity/{i}") for i in identities if i]]
    if service == "cognito-idp":
        return [[(f"cognito-idp:{operation}", f"arn:aws:cognito-idp:{REGION}:{ACCOUNT}:userpool/"
                                             f"{params.get('UserPoolId', '')}")]]
    if service == "sqs":
        url = str(params.get("QueueUrl", ""))
        return [[(f"sqs:{operation}", f"arn:aws:sqs:{REGION}:{ACCOUNT}:{url.rsplit('/', 1)[-1]}")]]
    return [[(f"{service}:{operation}", "*")]]


def denials(deployment: Deployment, function: str, calls: list[dict[str, Any]]) -> list[str]:
    """Each call (service, operation, params) the function's role would deny, as one printable line naming
    what the role lacks (a transaction is denied if any of its items is)."""
    policy = role_statements(deployment, function)
    denied = []
    for call in calls:
        missing = [" or ".join(f"{a} on {r}" for a, r in alternatives)
                   for alternatives in required(call["service"], call["operation"], call["params"])
                   if not any(decide(policy, action, resource) for action, resource in alternatives)]
        if missing:
            denied.append(f"{function}: {call['service']}.{call['operation']} needs {'; '.join(missing)}")
    return denied


# ------------------------------------------------------------------------------ running the functions

# Runs in the function's own process: only the app zip and the layer's python dir are added to the path
# (python -I: no PYTHONPATH, no script dir, no current dir). A botocore hook records every call with its API
# parameters (before-parameter-build: before-call sees the serialised request instead).
_RUNNER = r"""
import json, sys
job = json.load(open(sys.argv[1]))
sys.path[:0] = [job["app_dir"], job["layer_dir"]]
calls = []
def record(params, model, event_name, **kwargs):
    service = model.service_model.signing_name
    calls.append({"service": service, "operation": model.name, "params": json.loads(json.dumps(params, default=text))})
def text(value):  # bytes (a raw mail, an object's body) as text, cut short; anything else as its repr
    return value[:8192].decode("utf-8", "replace") if isinstance(value, (bytes, bytearray)) else repr(value)
import botocore.session
_original = botocore.session.Session._register_builtin_handlers
def _register(self, events):
    _original(self, events)
    events.register("before-parameter-build.*.*", record)
botocore.session.Session._register_builtin_handlers = _register
class Context:
    function_name = job["function_name"]; memory_limit_in_mb = 1024; aws_request_id = "00000000-0000-0000-0000-0"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:" + job["function_name"]
    log_group_name = "/aws/lambda/" + job["function_name"]; log_stream_name = "stream"
    def get_remaining_time_in_millis(self): return 20000
module, _, attr = job["handler"].rpartition(".")
import importlib
handler = getattr(importlib.import_module(module), attr)
results = []
for event in job["events"]:
    start = len(calls)
    try:
        results.append({"result": handler(event, Context()), "calls": calls[start:]})
    except Exception as error:
        results.append({"error": f"{type(error).__name__}: {error}", "calls": calls[start:]})
json.dump(results, open(sys.argv[2], "w"), default=str)
"""


def run_function(deployment: Deployment, function: str, events: list[dict[str, Any]], work_dir: Path,
                 extra_env: dict[str, str] | None = None, timeout: float = 60) -> list[dict[str, Any]]:
    """Each event handed to the deployed function's handler, in one process; per event its `result` (or
    `error`) and the AWS `calls` it made."""
    config = deployment.configs[function]
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "LC_ALL", "HOME", "TMPDIR")}
    env.update((config.get("Environment") or {}).get("Variables") or {})
    env.update({"AWS_ENDPOINT_URL": deployment.endpoint, "AWS_REGION": REGION, "AWS_DEFAULT_REGION": REGION,
                "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                "AWS_LAMBDA_FUNCTION_NAME": config["FunctionName"], **(extra_env or {})})
    job = work_dir / f"{function}.job.json"
    out = work_dir / f"{function}.out.json"
    job.write_text(json.dumps({"app_dir": str(deployment.app_dir), "layer_dir": str(deployment.layer_dir),
                               "handler": config["Handler"], "function_name": config["FunctionName"],
                               "events": events}))
    done = subprocess.run([sys.executable, "-I", "-c", _RUNNER, str(job), str(out)], env=env, cwd=work_dir,
                          capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0 or not out.exists():
        raise RuntimeError(f"{function} exited {done.returncode}:\n{done.stderr[-4000:]}")
    results: list[dict[str, Any]] = json.loads(out.read_text())
    return results


# ------------------------------------------------------------------------------ demo data and events

# The function directories of events/ and the function each one's samples are for.
EVENT_FUNCTIONS = {"sms": "SmsWebhook", "whatsapp": "WhatsappWebhook", "instagram": "InstagramWebhook",
                   "email": "EmailWebhook", "webchat": "WebchatWebhook", "assignment": "Assignment",
                   "autoclose": "Autoclose", "api": "APIHandler", "links": "LinkRedirect"}
# What each event must answer (an API Gateway statusCode, else 200; the rest: no exception, no batch failures).
EXPECTED_STATUS = {"webchat/session-anonymous.json": 201, "(owner invites an agent)": 201,
                   "(reply on an email ticket)": 201, "(a view saved)": 201, "(a saved view deleted)": 204,
                   "(a macro deleted)": 204, "(profile events from the marketing system)": 202,
                   "links/click.json": 302}  # the demo data's link (the local stack's seeding)
SECRET_PARAMETERS = {"TwilioAuthTokenParameter": "twilio_auth_token", "MetaAppSecretParameter": "meta_app_secret",
                     "MetaVerifyTokenParameter": "meta_verify_token",
                     "MailgunSigningKeyParameter": "mailgun_signing_key",
                     "WebchatSecretParameter": "webchat_secret", "WebchatSessionKeyParameter": "webchat_session_key",
                     "WhatsappAccessTokenParameter": "whatsapp_access_token",
                     "InstagramAccessTokenParameter": "instagram_access_token",
                     "ShopifyAccessTokenParameter": "shopify_access_token"}

# The local stack's own seeding (its _seed uses nothing of the stack object), on the deployed table and pool.
_SEED = r"""
import json, sys
import boto3
from infra.local import cognito, stack
pool = cognito.Pool(**json.loads(sys.argv[1]))
idp = boto3.client("cognito-idp", endpoint_url=sys.argv[2])
print(json.dumps(stack.LocalStack._seed(None, idp, pool)))
"""


def seed(deployment: Deployment, work_dir: Path) -> dict[str, str]:
    """The demo brand (infra.local.demo) in the deployed table and pool, its secrets in SSM under the names the
    parameters give, the SES receipt sample's raw mail in the mail bucket; returns the demo agents' tokens."""
    from infra.local import demo, samples

    values = Values(deployment.translated, deployment.parameters)
    ssm = _client(deployment.endpoint, "ssm")
    for parameter, secret in SECRET_PARAMETERS.items():
        ssm.put_parameter(Name=values.parameters[parameter], Value=demo.SECRETS[secret], Type="SecureString")
    for identity in values.parameters["SesIdentity"]:
        _client(deployment.endpoint, "ses").verify_domain_identity(Domain=identity)
    bucket = deployment.physical["MailBucket"]
    _client(deployment.endpoint, "s3").put_object(
        Bucket=bucket, Key=f"{values.parameters['SesObjectPrefix']}{samples.SES_MESSAGE_ID}",
        Body=samples.MIME.encode())
    [pool] = [n for n, _ in of_type(deployment.translated["Resources"], "AWS::Cognito::UserPool")]
    [client] = [n for n, _ in of_type(deployment.translated["Resources"], "AWS::Cognito::UserPoolClient")]
    pool_id = deployment.physical[pool]
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "LC_ALL", "HOME", "TMPDIR")}
    env.update({"AWS_ENDPOINT_URL": deployment.endpoint, "AWS_REGION": REGION, "AWS_DEFAULT_REGION": REGION,
                "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "HELPDESK_METRICS": "off",
                "TABLE_NAME": deployment.physical["HelpdeskTable"], "COGNITO_USER_POOL_ID": pool_id,
                "PYTHONPATH": os.pathsep.join([str(Path(__file__).resolve().parents[1]),
                                               str(Path(__file__).resolve().parents[1] / "layers")])})
    done = subprocess.run([sys.executable, "-c", _SEED, json.dumps({
        "pool_id": pool_id, "client_id": deployment.physical[client], "jwks_url": jwks_url(deployment),
        "issuer": f"https://cognito-idp.{REGION}.amazonaws.com/{pool_id}"}), deployment.endpoint],
        env=env, cwd=work_dir, capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        raise RuntimeError(f"seeding failed:\n{done.stderr[-4000:]}")
    tokens: dict[str, str] = json.loads(done.stdout.strip().splitlines()[-1])
    return tokens


def jwks_url(deployment: Deployment) -> str:
    [pool] = [n for n, _ in of_type(deployment.translated["Resources"], "AWS::Cognito::UserPool")]
    return f"{deployment.endpoint}/{deployment.physical[pool]}/.well-known/jwks.json"


def sample_events(tokens: dict[str, str]) -> dict[str, list[tuple[str, dict[str, Any]]]]:
    """events/, by function (logical id), in a stable order, with tokens filled and Mailgun signed now."""
    from infra.local import demo
    from infra.local.invoke import fill_tokens, fill_webchat, resign_mailgun

    root = Path(__file__).resolve().parents[1] / "events"
    info = {"account_id": demo.ACCOUNT_ID, "webchat_session_key": demo.SECRETS["webchat_session_key"]}
    found: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for directory, function in EVENT_FUNCTIONS.items():
        for path in sorted((root / directory).glob("*.json")):
            event = json.loads(fill_webchat(fill_tokens(path.read_text(), tokens), info))
            event = resign_mailgun(event, demo.SECRETS["mailgun_signing_key"])
            found.setdefault(function, []).append((f"{directory}/{path.name}", event))
    return found


_ATTACHMENT_MIME = (
    "From: Jiwoo Kim <jiwoo.kim@example.com>\r\nTo: {to}\r\nSubject: Photo of the box\r\n"
    "Message-ID: <CAF7x3Qm9deploy0002@mail.example.com>\r\nDate: Thu, 26 Nov 2026 10:05:00 +0900\r\n"
    "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b1\r\n\r\n"
    "--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThe box arrived crushed, photo attached.\r\n"
    "--b1\r\nContent-Type: image/png\r\nContent-Disposition: attachment; filename=box.png\r\n"
    "Content-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n--b1--\r\n")


def _stream_record(event_name: str, image: dict[str, Any], sequence: int,
                   old: dict[str, Any] | None = None) -> dict[str, Any]:
    """A stream record of the demo table as a pipe reads it (NewImage, or OldImage for a REMOVE; a MODIFY's old
    image as given)."""
    from infra.local import demo

    stream = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{demo.TABLE_NAME}/stream/2026-11-26T00:00:00.000"
    images = {"OldImage" if event_name == "REMOVE" else "NewImage": image, **({"OldImage": old} if old else {})}
    return {"eventID": f"{sequence:032x}", "eventName": event_name, "eventVersion": "1.1",
            "eventSource": "aws:dynamodb", "awsRegion": REGION, "eventSourceARN": stream,
            "dynamodb": {"ApproximateCreationDateTime": 1795000000 + sequence,
                         "Keys": {"pk": image["pk"], "sk": image["sk"]}, **images,
                         "SequenceNumber": str(4421584500000000017450439100 + sequence),
                         "SizeBytes": len(json.dumps(images)), "StreamViewType": "NEW_AND_OLD_IMAGES"}}


def table_change(record: dict[str, Any], sequence: int) -> dict[str, Any]:
    """The event the table-changes pipe puts on its bus for a stream record (the source and detail-type its
    target parameters give, the record as its detail), which a rule of the bus sends to its queue as is."""
    from infra.local.pipe import bus_event_parameters

    parameters = bus_event_parameters()
    return {"version": "0", "id": f"6f1c2d3e-0000-4000-8000-{sequence:012d}", "detail-type": parameters["DetailType"],
            "source": parameters["Source"], "account": ACCOUNT, "time": "2026-11-26T01:00:00Z", "region": REGION,
            "resources": [], "detail": record}


def _sqs_event(queue: str, messages: list[dict[str, Any]]) -> dict[str, Any]:
    """What the SQS event source hands its function: one message per stream record (a bus rule's: each the
    event the pipe put on the bus)."""
    import hashlib

    bodies = [json.dumps(message, separators=(",", ":")) for message in messages]
    return {"Records": [{
        "messageId": f"00000000-0000-4000-8000-{n:012d}", "receiptHandle": f"AQEBview{n}",
        "body": body, "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1795000000000",
                                     "SenderId": "AIDAIENQZJOLO23YVJ4VO",
                                     "ApproximateFirstReceiveTimestamp": "1795000000001"},
        "messageAttributes": {}, "md5OfBody": hashlib.md5(body.encode()).hexdigest(), "eventSource": "aws:sqs",
        "eventSourceARN": f"arn:aws:sqs:{REGION}:{ACCOUNT}:{queue}", "awsRegion": REGION}
        for n, body in enumerate(bodies, 1)]}


def view_index_events() -> list[tuple[str, dict[str, Any]]]:
    """What the view-index rule would deliver: a view of open tickets saved (its build files the demo brand's
    tickets and records its progress), the SMS sample's ticket changed, the view deleted (its entries go)."""
    from helpdesk.conversation import Channel, customer_ticket_id
    from helpdesk.store import views
    from helpdesk.store.models import View, account_pk
    from infra.local import demo, samples

    created = "2026-11-26T01:00:00.000Z"
    view = View(account_pk(demo.ACCOUNT_ID), views.view_sk("v_deploycheck"), view_id="v_deploycheck",
                name="Open tickets", filters={"status": "open"}, sort="newest", generation=1, built=False,
                created_by="owner", created_at=created, updated_at=created).serialize()
    ticket = samples.ticket_created_record(customer_ticket_id(demo.ACCOUNT_ID, Channel.SMS, samples.CUSTOMER))
    records = [_stream_record("INSERT", view, 1), ticket, _stream_record("REMOVE", view, 2)]
    changes = [table_change(record, n) for n, record in enumerate(records, 1)]
    return [("(a view saved, a ticket changed, the view deleted)", _sqs_event("helpdesk-view-index", changes))]


def attribution_events() -> list[tuple[str, dict[str, Any]]]:
    """What the attribution rule would deliver: the SMS sample's inbound message stored (events/sms/inbound.json,
    as intake stores it)."""
    from helpdesk.conversation import Channel, customer_ticket_id
    from helpdesk.store.keys import ticket_pk
    from helpdesk.store.models import Message
    from infra.local import demo, samples

    params = dict(urllib.parse.parse_qsl(samples.samples()["sms/inbound.json"]["body"]))
    received = "2026-11-26T01:00:00.000Z"
    ticket_id = customer_ticket_id(demo.ACCOUNT_ID, Channel.SMS, params["From"])
    message = Message(ticket_pk(demo.ACCOUNT_ID, ticket_id), f"M#{received}#{params['MessageSid']}",
                      message_id=params["MessageSid"], ticket_id=ticket_id, channel="sms", direction="inbound",
                      body=params["Body"], created_at=received, sender=params["From"]).serialize()
    change = table_change(_stream_record("INSERT", message, 3), 3)
    return [("(a customer's SMS stored)", _sqs_event("helpdesk-attribution", [change]))]


def reports_events() -> list[tuple[str, dict[str, Any]]]:
    """What the reports rule would deliver: the SMS sample's ticket created, then closed."""
    from helpdesk.conversation import Channel, customer_ticket_id
    from helpdesk.store.keys import index_keys
    from helpdesk.store.models import Ticket
    from infra.local import demo, samples

    created = samples.ticket_created_record(customer_ticket_id(demo.ACCOUNT_ID, Channel.SMS, samples.CUSTOMER))
    opened = created["dynamodb"]["NewImage"]
    ticket = Ticket.from_raw_data(opened)
    ticket.status, ticket.updated_at, ticket.version = "closed", "2026-11-26T02:00:00.000Z", 2
    for key, value in index_keys(demo.ACCOUNT_ID, ticket.ticket_id, "closed", None, False, ticket.updated_at).items():
        setattr(ticket, key, value)
    records = [created, _stream_record("MODIFY", ticket.serialize(), 4, old=opened)]
    changes = [table_change(record, n) for n, record in enumerate(records, 4)]
    return [("(a ticket created and closed)", _sqs_event("helpdesk-reports", changes))]


SKILL_MESSAGE_ID = "m-deploy-skill-1"


def skill_chat(state: str = "unfulfilled") -> tuple[str, dict[str, Any]]:
    """A demo Shopify customer (by their latest order's state), signed in on the widget, asking to change their
    order: web chat's intake stores it, and the order skill (batch three) answers it."""
    from helpdesk import webchat
    from infra.local import demo, samples
    from infra.local.shopify_standin import demo_customers

    email = demo_customers()[state]["email"]
    session = webchat.Session(demo.ACCOUNT_ID, webchat._visitor_for(demo.ACCOUNT_ID, email), True, email=email,
                              session_id=samples.SESSION)
    event = json.loads((Path(__file__).resolve().parents[1] / "events" / "webchat" / "message.json").read_text())
    event["headers"]["Authorization"] = "Bearer " + webchat.issue(demo.SECRETS["webchat_session_key"], session)
    event["body"] = json.dumps({"type": "message", "message_id": SKILL_MESSAGE_ID,
                                "text": "Hi! Can I change the size on my order? It hasn't shipped yet"})
    return "(a signed-in customer asks to change their order)", event


def order_lookup_events(deployment: Deployment) -> list[tuple[str, dict[str, Any]]]:
    """What the order-lookup rule would deliver: the web-chat messages intake stored in the deployed table (the
    sample's, an anonymous visitor's, and skill_chat's), each as the stream record of its insert."""
    table = deployment.physical["HelpdeskTable"]
    items = _client(deployment.endpoint, "dynamodb").get_paginator("scan").paginate(
        TableName=table, FilterExpression="#t = :m AND channel = :c AND direction = :d",
        ExpressionAttributeNames={"#t": "type"},
        ExpressionAttributeValues={":m": {"S": "message"}, ":c": {"S": "webchat"}, ":d": {"S": "inbound"}})
    stored = sorted((item for page in items for item in page["Items"]), key=lambda item: item["sk"]["S"])
    changes = [table_change(_stream_record("INSERT", item, n), n) for n, item in enumerate(stored, 20)]
    return [("(customers' web-chat messages stored)", _sqs_event("helpdesk-order-lookup", changes))] if changes else []


def workspace_calls(owner: dict[str, str], tickets: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    """The workspace's reads and writes (ISSUE 9): saved views (write, page, delete), a macro deleted, the
    marketing system's profile events and a customer's events read, older messages paged."""
    from infra.local import demo, samples

    def call(name: str, method: str, path: str, body: Any = None, resource: str | None = None,
             path_params: dict[str, str] | None = None, query: dict[str, str] | None = None) -> tuple[str, Any]:
        return name, samples.gateway(method, path, json.dumps(body) if body is not None else None, owner,
                                     query=query, path_params=path_params, resource=resource)

    phone = demo.CUSTOMERS[0].phone
    calls = [
        call("(a view saved)", "POST", "/api/views", {"name": "Closed email", "filters": {
            "channel": "email", "status": "closed"}}),
        call("(a saved view paged)", "GET", "/api/tickets", query={"view": demo.VIEW_ID}),
        call("(a saved view deleted)", "DELETE", f"/api/views/{demo.VIEW_ID}", resource="/api/views/{view_id}",
             path_params={"view_id": demo.VIEW_ID}),
        call("(a macro deleted)", "DELETE", f"/api/macros/{demo.MACRO_ID}", resource="/api/macros/{macro_id}",
             path_params={"macro_id": demo.MACRO_ID}),
        call("(profile events from the marketing system)", "POST", "/api/profile-events", {
            "events": [{"id": "ev-deploy-1", "metric": "Placed Order", "time": "2026-11-26T01:00:00Z",
                        "properties": {"value": 42}, "profile": {"phone": phone}}],
            "profiles": [{"phone": phone, "segments": ["VIP"]}]})]
    for ticket in tickets[:1]:
        calls.append(call("(older messages of a ticket)", "GET", f"/api/tickets/{ticket['id']}/messages",
                          resource="/api/tickets/{ticket_id}/messages", path_params={"ticket_id": ticket["id"]}))
        if ticket.get("profile_id"):
            calls.append(call("(a customer's events)", "GET", f"/api/profiles/{ticket['profile_id']}/events",
                              resource="/api/profiles/{profile_id}/events",
                              path_params={"profile_id": ticket["profile_id"]}, query={"metric": "Placed Order"}))
    return calls


def further_events(answers: dict[str, Any], tokens: dict[str, str]) -> dict[str, list[tuple[str, dict[str, Any]]]]:
    """Calls the samples of events/ do not make, so that every grant is exercised: a mail with an attachment
    (S3 PutObject), an owner inviting an agent (Cognito), an agent's reply on an email ticket (SES), the records
    the table-changes bus's rules deliver (view_index_events, attribution_events, reports_events)."""
    from infra.local import demo, samples
    from infra.local.invoke import resign_mailgun

    mail = samples.mailgun_mime(_ATTACHMENT_MIME.format(to=demo.SUPPORT_EMAIL))
    token = dict(urllib.parse.parse_qsl(mail["body"]))["token"]
    mail = resign_mailgun({**mail, "body": mail["body"].replace(token, token[::-1])},  # a delivery of its own
                          demo.SECRETS["mailgun_signing_key"])
    owner = {"Authorization": f"Bearer {tokens['owner']}", "Content-Type": "application/json"}
    invite = samples.gateway("POST", "/api/agents", json.dumps({"email": "nina@demo-store.example",
                                                                "role": "support", "name": "Nina"}), owner)
    listed = answers.get("api/list-tickets.json") or {}
    items = json.loads(listed.get("body") or "{}").get("items", []) if isinstance(listed, dict) else []
    email_tickets = [t["id"] for t in items if t.get("channel") == "email"]
    found: dict[str, list[tuple[str, dict[str, Any]]]] = {
        "EmailWebhook": [("(mailgun mail with an attachment)", mail)], "WebchatWebhook": [skill_chat()],
        "APIHandler": [("(owner invites an agent)", invite)],
        "ViewIndex": view_index_events(), "Attribution": attribution_events(), "Reports": reports_events()}
    found["APIHandler"] += workspace_calls(owner, items)
    if email_tickets:
        path = f"/api/tickets/{email_tickets[0]}/messages"
        found["APIHandler"].append(("(reply on an email ticket)", samples.gateway(
            "POST", path, json.dumps({"body": "Sorry about that! A new one is on its way.", "type": "reply"}),
            owner, path_params={"ticket_id": email_tickets[0]}, resource="/api/tickets/{ticket_id}/messages")))
    return found


@dataclass
class Outcome:
    answers: dict[str, Any]  # event file -> the function's answer (or "error: ...")
    denied: list[str]
    calls: dict[str, list[dict[str, Any]]]  # function -> every AWS call it made (service, operation, params)

    @property
    def operations(self) -> list[str]:
        """`<function> <service>:<operation>` of every kind of call made."""
        return sorted({f"{f} {c['service']}:{c['operation']}" for f, calls in self.calls.items() for c in calls})


def run_samples(deployment: Deployment, tokens: dict[str, str], work_dir: Path,
                shopify_url: str | None = None) -> Outcome:
    """Every sample event through its deployed function; every call checked against that function's role."""
    answers: dict[str, Any] = {}
    denied: list[str] = []
    calls: dict[str, list[dict[str, Any]]] = {}
    # The pool's keys are on moto; Shopify is the local stand-in (check() serves it).
    shopify = {"SHOPIFY_API_URL": shopify_url} if shopify_url else {}
    extra = {"APIHandler": {"COGNITO_JWKS_URL": jwks_url(deployment), **shopify}, "OrderLookup": shopify}
    batches: list[Callable[[], dict[str, list[tuple[str, dict[str, Any]]]]]] = [
        lambda: sample_events(tokens), lambda: further_events(answers, tokens),
        lambda: {"OrderLookup": order_lookup_events(deployment)}]  # what the two before stored
    for batch in batches:
        for function, events in batch().items():
            results = run_function(deployment, function, [e for _, e in events], work_dir, extra.get(function))
            for (name, _), result in zip(events, results, strict=True):
                answers[name] = result.get("result", "error: " + str(result.get("error")))
                denied += denials(deployment, function, result["calls"])
                calls.setdefault(function, []).extend(result["calls"])
    return Outcome(answers, denied, calls)


def expected_failures(answers: dict[str, Any]) -> list[str]:
    """The samples whose answer is not what README says they answer."""
    wrong = []
    for name, answer in answers.items():
        if isinstance(answer, str) and answer.startswith("error: "):
            wrong.append(f"{name}: {answer}")
        elif isinstance(answer, dict) and "statusCode" in answer:
            if answer["statusCode"] != EXPECTED_STATUS.get(name, 200):
                wrong.append(f"{name}: {answer['statusCode']} {str(answer.get('body'))[:200]}")
        elif isinstance(answer, dict) and answer.get("batchItemFailures"):
            wrong.append(f"{name}: {answer}")
    return wrong


# The demo brand's, as deployed (its Shopify shop the local stand-in's).
PARAMETERS = {"SesIdentity": "demo-store.example", "DefaultAccountId": "demo", "ShopifyShop": "demo-store"}


def check(endpoint: str, work_dir: Path, parameters: dict[str, str] | None = None) -> tuple[Deployment, Outcome]:
    """The whole check on a moto server: build (the layer without third-party packages: those come from this
    interpreter's site-packages), deploy, seed, run every sample and the further events, check every call."""
    from infra import build
    from infra.local import demo
    from infra.local.shopify_standin import ShopifyStandIn

    build_dir = build.package(layer_deps=False, build_dir=work_dir / "build")
    translated = json.loads((build_dir / "translated.json").read_text())
    deployment = deploy(translated, dict(parameters or PARAMETERS), endpoint, build_dir, work_dir)
    tokens = seed(deployment, work_dir)
    shopify = ShopifyStandIn(access_token=demo.SECRETS["shopify_access_token"]).start()
    try:
        return deployment, run_samples(deployment, tokens, work_dir, shopify.url)
    finally:
        shopify.stop()


def count_denials() -> int:
    """`deployed_calls_denied` (make bench): on a moto server of its own, stopped before it returns."""
    import tempfile

    from infra.local.moto_server import MotoServer

    server = MotoServer().start()
    try:
        with tempfile.TemporaryDirectory() as scratch:
            return len(check(server.url, Path(scratch))[1].denied)
    finally:
        server.stop()
