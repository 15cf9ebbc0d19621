"""Build and validate the deployable stack: `python -m infra.build [--no-layer-deps] [--build-dir DIR]`.

1. stage      build/stage: app.py, chalice.json (+ .chalice/config.json), functions/ as vendor/functions/
              (vendor lands at the zip root, so `functions.webhooks.sms.handler` resolves) and an EMPTY
              requirements.txt: every dependency ships in the layer, none in the function zips.
2. layer      build/layer/python: the third-party packages of requirements.txt for the Lambda platform
              (unless --no-layer-deps) and layers/helpdesk, all compiled to bytecode, and layers/console
              (the agent console's static files, which the API serves).
3. package    `chalice package --merge-template infra/merge-template.json --stage dev build/out`,
              then build/template.json: the SAM template, with paths relative to build/.
4. translate  build/translated.json: the SAM transform done offline (what CloudFormation deploys).
5. validate   cfn-lint on both templates, plus the structural checks cfn-lint cannot make (infra/checks.py:
              webhook routes reachable, table == models, one least-privilege role per function, index grants
              cover every index, partial batch failures and a DLQ on every SQS mapping, an alarm on every DLQ,
              the table's stream read by exactly two pipes (bounded retries, a DLQ, a role that reads the stream
              and sends to its target and DLQ only): the ticket-events pipe -> the queue assignment alone
              consumes; the table-changes pipe (its filter the union of the rules' patterns) -> the table-changes
              bus -> a rule per other stream consumer (view index, attribution, reports, order lookup) -> the
              queue it alone consumes (a DLQ and a retry policy; queue policies let that rule alone send), no function
              sending to those queues or putting events on the bus, the agents' user pool (no custom
              attributes, clients that write `name` only, cognito-idp for the API's role only), the domain layer
              on every function, and what deploying sets: the SES identities, one stage per API, binary
              multipart, throttling, timeouts under API Gateway's, reserved concurrency, alarms to the alarm
              topic, the mail bucket's expiry and TLS, the SES invoke permission, optional settings, the table's
              TTL). Any problem: exit 1.
`--sync-models` first rewrites the merge template's table (and the roles' index ARNs) from the models,
for when the table check reports drift.

infra/merge-template.json, deep-merged over Chalice's output (objects merge, lists and scalars replace):
- Chalice emits plain-string placeholders the merge replaces: each function's Role (chalice.json's
  per-function `iam_role_arn`, with `manage_iam_role: false`) becomes Fn::GetAtt of its own role, and the
  queue ARNs of the SQS workers (functions/assignment.py, view_index.py, attribution.py, reports.py,
  order_lookup.py) become the stack's queues, with ReportBatchItemFailures.
- Webhooks get their routes from Api events on their own WebhookApi (stage v1): an event on Chalice's
  RestAPI would translate cleanly and add no path.
- Functions are named `<stack>-<function>` and their log groups are named statically, so each function
  can depend on its log group (it exists before the first invocation) and each role writes only to its own.
  This also repairs Chalice's ApiHandlerLogGroup, whose name refers to a nonexistent `${ApiHandler}`.
- There is no IAM action `dynamodb:TransactWriteItems`: a transaction is authorised item by item (PutItem,
  UpdateItem, ConditionCheckItem). The table's StreamSpecification has no StreamEnabled (a CreateTable
  field that CloudFormation rejects); `table_properties` maps one form onto the other.
- Ticket events: no function sends any. The TicketEventsPipe (EventBridge Pipes) reads the table's stream,
  keeps the changes its FilterCriteria match (infra/local/pipe.py reads those patterns from this file) and
  sends them to TicketEventsQueue; what it gives up on lands in TicketEventsPipeDeadLetterQueue (alarmed).
  DynamoDB Streams throttles more than two readers per shard, so every other consumer shares a second pipe:
  TableChangesPipe keeps what any of them wants (the union of their rules' record patterns; a pipe takes at
  most 5 filters, so a pattern within another is not repeated) and puts each change on TableChangesBus
  (`<stack>-table-changes`) as an event of source `helpdesk.table`, detail-type `table change`, the stream
  record as its detail; its failures land in TableChangesPipeDeadLetterQueue (alarmed). One rule per
  consumer matches its records under `detail` and sends the event to that consumer's queue: ViewIndexRule
  (every change of a ticket or a view) -> ViewIndexQueue, AttributionRule (each inbound SMS inserted) ->
  AttributionQueue, ReportsRule (every change of a ticket) -> ReportsQueue, OrderLookupRule (each inbound
  web-chat or SMS message inserted) -> OrderLookupQueue; what a rule cannot deliver
  lands in its own dead-letter queue (<Rule>DeadLetterQueue, alarmed). Queue policies let EventBridge send
  to each queue and rule DLQ for its rule alone. The workers read the event's detail
  (helpdesk.store.stream.changes_in).
- The stack creates the agents' user pool (AgentsUserPool, retained on deletion and replacement, a group
  per role) and its app client (AgentsAppClient); outputs AgentsUserPoolId and AgentsAppClientId.
- SesIdentity (required, comma-separated) becomes one identity ARN per entry in the roles that send mail:
  CloudFormation cannot map a list, so the template grants entries 1..checks.MAX_SES_IDENTITIES, each past the
  first under a condition that it was given. Globals.Api.OpenApiVersion keeps SAM from adding a `Stage` stage
  to Chalice's swagger 2.0 API. Optional settings (SupportEmail, WebchatAllowedOrigin, DefaultAccountId,
  AlarmEmail, the SES receipt rule) are parameters whose empty default leaves them unset (AWS::NoValue).

Deploy: `sam deploy --template-file build/template.json --stack-name helpdesk --capabilities CAPABILITY_IAM
--resolve-s3 --parameter-overrides SesIdentity=<verified domain>[,<another>...]` (uploads the zip and the layer,
then runs the same transform; every other parameter has a default).
"""
from __future__ import annotations

import argparse
import compileall
import contextlib
import copy
import json
import logging
import os
import py_compile
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any

from infra.checks import ROOT, as_list, index_name, of_type, statements, structural_problems

MERGE_TEMPLATE = ROOT / "infra" / "merge-template.json"
BUILD_DIR = ROOT / "build"
CHALICE_STAGE = "dev"
REGION = "us-east-1"
LAYER_URI = "build/layer"  # the merge template's ContentUri of the domain layer: this build's layer dir
LAMBDA_PYTHON = (3, 11)
_LAMBDA_VERSION = ".".join(map(str, LAMBDA_PYTHON))
LAMBDA_PLATFORM = "manylinux2014_x86_64"  # python3.11 runs on Amazon Linux 2 (glibc 2.26)
S3_PLACEHOLDER = "s3://helpdesk-artifacts-placeholder"


class BuildError(RuntimeError):
    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


# --------------------------------------------------------------------------------------------- build


def stage(build_dir: Path) -> Path:
    """What Chalice packages: it only looks at app.py, chalicelib/, vendor/ and requirements.txt."""
    stage_dir = _fresh(build_dir / "stage")
    shutil.copy2(ROOT / "app.py", stage_dir / "app.py")
    config = (ROOT / "chalice.json").read_text()
    (stage_dir / "chalice.json").write_text(config)
    (stage_dir / ".chalice").mkdir()
    (stage_dir / ".chalice" / "config.json").write_text(config)
    shutil.copytree(ROOT / "functions", stage_dir / "vendor" / "functions",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    (stage_dir / "requirements.txt").write_text("")  # dependencies go to the layer
    return stage_dir


def build_layer(build_dir: Path, deps: bool = True) -> Path:
    """build/layer/python: importable as /opt/python on Lambda, so `import helpdesk` works."""
    layer_python = _fresh(build_dir / "layer") / "python"
    layer_python.mkdir()
    if deps:
        _run([sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile",
              "--target", str(layer_python), "--platform", LAMBDA_PLATFORM, "--only-binary=:all:",
              "--python-version", _LAMBDA_VERSION, "--implementation", "cp",
              "-r", str(ROOT / "requirements.txt"), "-c", str(ROOT / "constraints.txt")], "pip install")
        shutil.rmtree(layer_python / "bin", ignore_errors=True)  # console scripts: useless in a layer
        for service in (layer_python / "botocore" / "data").iterdir():
            if service.is_dir() and not layer_keeps(service.relative_to(layer_python) / "service-2.json"):
                shutil.rmtree(service)
    shutil.copytree(ROOT / "layers" / "helpdesk", layer_python / "helpdesk",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    # The agent console's files, beside the package that serves them (helpdesk.console.ROOT).
    shutil.copytree(ROOT / "layers" / "console", layer_python / "console")
    # Ship bytecode: a Lambda zip has no .pyc and /opt is read-only, so without this every cold start
    # compiles boto3, pynamodb, powertools and helpdesk from source (2-3x the import time).
    # unchecked-hash .pyc files are used without comparing the source's mtime, which the zip and its
    # extraction do not preserve reliably; the artifact is immutable, so they cannot go stale.
    _require_lambda_python()
    ok = compileall.compile_dir(str(layer_python), quiet=1, workers=0, stripdir=str(layer_python),
                                prependdir="/opt/python",
                                invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
    if not ok:
        raise BuildError(["compileall failed on the layer"])
    return layer_python.parent


# botocore carries the API models of every AWS service, 28 MB of a ~60 MB layer (Lambda's limit of 250 MB unzipped
# is shared by the function and all its layers). The functions call these services only (boto3 clients, pynamodb's
# DynamoDB, Powertools Parameters' SSM); tests/unit/test_layer.py keeps the list and the code agreeing.
BOTOCORE_SERVICES = frozenset({"dynamodb", "s3", "ses", "cognito-idp", "ssm", "sqs", "sts", "bedrock-runtime"})


def layer_keeps(relative: Path | PurePosixPath) -> bool:
    """Whether a file of the installed packages (its path relative to the layer's python/) goes in the layer:
    all but the models of botocore's other services (botocore/data/<service>/...; the shared files directly in
    botocore/data, endpoints and partitions, stay)."""
    parts = relative.parts
    return not (len(parts) >= 4 and parts[:2] == ("botocore", "data") and parts[2] not in BOTOCORE_SERVICES)


def chalice_package(stage_dir: Path, out_dir: Path) -> dict[str, Any]:
    """`chalice package` with the merge template; returns the merged SAM template (out/sam.json)."""
    if out_dir.exists():
        shutil.rmtree(out_dir)
    env = {k: v for k, v in os.environ.items() if k not in ("AWS_PROFILE", "AWS_SESSION_TOKEN")}
    env.update({  # chalice needs a region, never credentials or the network
        "AWS_DEFAULT_REGION": REGION, "AWS_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "offline", "AWS_SECRET_ACCESS_KEY": "offline",
        "PYTHONPATH": os.pathsep.join([str(stage_dir / "vendor"), str(ROOT / "layers")]),
    })
    _run([sys.executable, "-c", "import sys; from chalice.cli import main; sys.exit(main())",
          "package", "--merge-template", str(MERGE_TEMPLATE), "--stage", CHALICE_STAGE, str(out_dir)],
         "chalice package", cwd=stage_dir, env=env)
    return json.loads((out_dir / "sam.json").read_text())


def add_bytecode(zip_path: Path, runtime_root: str = "/var/task") -> None:
    """Add unchecked-hash .pyc files next to every module of a function zip (see build_layer)."""
    _require_lambda_python()
    rebuilt = zip_path.with_suffix(".tmp")
    with tempfile.TemporaryDirectory() as scratch, zipfile.ZipFile(zip_path) as src, \
            zipfile.ZipFile(rebuilt, "w", zipfile.ZIP_DEFLATED) as dst:
        names = set(src.namelist())
        for info in src.infolist():
            data = src.read(info)
            dst.writestr(info, data)
            if not info.filename.endswith(".py"):
                continue
            module = Path(info.filename)
            pyc = (module.parent / "__pycache__" / f"{module.stem}.{sys.implementation.cache_tag}.pyc").as_posix()
            if pyc in names:
                continue
            source = Path(scratch) / info.filename
            source.parent.mkdir(parents=True, exist_ok=True)
            source.write_bytes(data)
            compiled = Path(str(source) + "c")
            py_compile.compile(str(source), cfile=str(compiled), dfile=f"{runtime_root}/{module}", doraise=True,
                               invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
            entry = zipfile.ZipInfo(pyc, date_time=info.date_time)
            entry.external_attr = info.external_attr
            dst.writestr(entry, compiled.read_bytes(), zipfile.ZIP_DEFLATED)
    rebuilt.replace(zip_path)


def deployable_template(sam: dict[str, Any], build_dir: Path, out_dir: Path) -> dict[str, Any]:
    """The SAM template with its local artifact paths relative to build/, where it is written."""
    template = copy.deepcopy(sam)
    for resource in template.get("Resources", {}).values():
        props = resource.get("Properties") or {}
        code = props.get("CodeUri")
        if resource.get("Type") == "AWS::Serverless::Function" and isinstance(code, str) and "://" not in code:
            props["CodeUri"] = os.path.relpath(out_dir / code, build_dir)
        if resource.get("Type") == "AWS::Serverless::LayerVersion" and props.get("ContentUri") == LAYER_URI:
            props["ContentUri"] = os.path.relpath(build_dir / "layer", build_dir)
    return template


class _OfflineManagedPolicies:
    """Stands in for samtranslator's ManagedPolicyLoader, which lists policies through IAM: the bundled
    map of AWS managed policies instead (the stack names none; its roles are explicit)."""

    def load(self) -> dict[str, str]:
        from samtranslator.internal.managed_policies import get_bundled_managed_policy_map

        return dict(get_bundled_managed_policy_map("aws") or {})


def translate(template: dict[str, Any]) -> dict[str, Any]:
    """The SAM transform, offline. Local artifact paths become S3 placeholders, as `sam deploy` uploads
    them before CloudFormation runs the same transform."""
    from samtranslator.translator.transform import transform

    fragment = copy.deepcopy(template)
    for name, resource in fragment.get("Resources", {}).items():
        props = resource.get("Properties") or {}
        for key in ("CodeUri", "ContentUri"):
            if isinstance(props.get(key), str) and not props[key].startswith("s3://"):
                props[key] = f"{S3_PLACEHOLDER}/{name}.zip"
    logging.getLogger("samtranslator").setLevel(logging.ERROR)  # not its notes on feature toggles
    with _environment(AWS_DEFAULT_REGION=REGION):  # the translator takes the region from a boto3 session
        return transform(fragment, {}, _OfflineManagedPolicies())  # type: ignore[arg-type]


def package(layer_deps: bool = True, build_dir: Path = BUILD_DIR) -> Path:
    """Steps 1-4; returns the build dir holding template.json and translated.json (not yet validated)."""
    build_dir = Path(build_dir).resolve()
    build_dir.mkdir(parents=True, exist_ok=True)
    stage_dir = stage(build_dir)
    build_layer(build_dir, deps=layer_deps)
    out_dir = build_dir / "out"
    sam = chalice_package(stage_dir, out_dir)
    add_bytecode(out_dir / "deployment.zip")
    template = deployable_template(sam, build_dir, out_dir)
    _write_json(build_dir / "template.json", template)
    _write_json(build_dir / "translated.json", translate(template))
    return build_dir


def validate(build_dir: Path = BUILD_DIR) -> list[str]:
    """Step 5: every problem found, as printable lines (empty: deployable)."""
    problems = [f"{name}: {error}" for name in ("template.json", "translated.json")
                for error in lint(build_dir / name)]
    template = json.loads((build_dir / "template.json").read_text())
    translated = json.loads((build_dir / "translated.json").read_text())
    return problems + structural_problems(template, translated)


def build(layer_deps: bool = True, build_dir: Path = BUILD_DIR) -> Path:
    """Package and validate; raises BuildError listing every problem. Returns the build dir."""
    build_dir = package(layer_deps, build_dir)
    problems = validate(build_dir)
    if problems:
        raise BuildError(problems)
    return build_dir


# --------------------------------------------------- validation (structural checks: infra/checks.py)


def lint(path: Path) -> list[str]:
    """cfn-lint errors and warnings of a template file (cfn-lint's CLI fails on both)."""
    from cfnlint.api import ManualArgs, lint_file

    return [str(match) for match in lint_file(Path(path), config=ManualArgs(regions=[REGION]))]


def table_properties(definition: dict[str, Any]) -> dict[str, Any]:
    """`table_definition()` (CreateTable's shape) as AWS::DynamoDB::Table properties. The one difference:
    CloudFormation has no StreamEnabled (it rejects it); a StreamSpecification enables the stream."""
    props: dict[str, Any] = {key: copy.deepcopy(definition[key]) for key in
             ("BillingMode", "KeySchema", "AttributeDefinitions", "GlobalSecondaryIndexes") if key in definition}
    stream = dict(definition.get("StreamSpecification") or {})
    if stream.pop("StreamEnabled", True) and stream:
        props["StreamSpecification"] = stream
    return props


def sync_models(merge_template: Path = MERGE_TEMPLATE) -> bool:
    """Rewrite the merge template's table and its roles' index grants from the models; True if it changed.
    The merge template stays readable and reviewable; this keeps it equal to the models in one step."""
    from helpdesk.store.schema import table_definition

    text = merge_template.read_text()
    template = json.loads(text)
    resources = template["Resources"]
    [table] = [name for name, _ in of_type(resources, "AWS::DynamoDB::Table")]
    definition = table_definition()
    resources[table]["Properties"].update(table_properties(definition))
    indexes = [{"Fn::Sub": "${" + table + ".Arn}/index/" + g["IndexName"]}
               for g in definition.get("GlobalSecondaryIndexes", [])]
    for _, role in of_type(resources, "AWS::IAM::Role"):
        for statement in statements(role["Properties"]):
            current = as_list(statement.get("Resource"))
            if any(index_name(v, table) for v in current):
                statement["Resource"] = [v for v in current if not index_name(v, table)] + indexes
    synced = json.dumps(template, indent=2) + "\n"
    if synced != text:
        merge_template.write_text(synced)
    return synced != text


def _require_lambda_python() -> None:
    if sys.version_info[:2] != LAMBDA_PYTHON:
        raise BuildError([f"bytecode for the python{_LAMBDA_VERSION} runtime must be compiled by that "
                          f"Python, not {sys.version.split()[0]}"])


def _fresh(path: Path) -> Path:
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    return path


def _run(command: list[str], what: str, **kwargs: Any) -> None:
    result = subprocess.run(command, capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        raise BuildError([f"{what} failed (exit {result.returncode}):", *(result.stdout + result.stderr).splitlines()])


def _write_json(path: Path, data: dict[str, Any]) -> None:
    path.write_text(json.dumps(data, indent=2, sort_keys=False) + "\n")


@contextlib.contextmanager
def _environment(**values: str) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update({k: v for k, v in values.items() if not os.environ.get(k)})
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.build", description=__doc__.splitlines()[0])
    parser.add_argument("--no-layer-deps", action="store_true",
                        help="skip pip: the layer holds only layers/helpdesk (fast; not deployable)")
    parser.add_argument("--build-dir", type=Path, default=BUILD_DIR)
    parser.add_argument("--sync-models", action="store_true",
                        help="first rewrite infra/merge-template.json's table and index grants from the models")
    args = parser.parse_args(argv)
    started = time.monotonic()
    if args.sync_models and sync_models():
        print(f"updated {MERGE_TEMPLATE.relative_to(ROOT)} from the models; review and commit it")
    try:
        build_dir = build(layer_deps=not args.no_layer_deps, build_dir=args.build_dir)
    except BuildError as error:
        print("build failed:", *error.problems, sep="\n  ", file=sys.stderr)
        return 1
    print(f"built in {time.monotonic() - started:.1f} s; cfn-lint and structural checks pass:\n"
          f"  {build_dir / 'template.json'}  (SAM; deploy with `sam deploy --template-file ...`)\n"
          f"  {build_dir / 'translated.json'}  (after the SAM transform)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
