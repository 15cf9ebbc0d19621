"""The layer keeps botocore's models of the services the functions call, and only those (infra/build.py
BOTOCORE_SERVICES): a service the code calls that the list lacks would fail at its first call, deployed."""
from __future__ import annotations

import re
from pathlib import Path, PurePosixPath

from infra.build import BOTOCORE_SERVICES, layer_keeps

ROOT = Path(__file__).resolve().parents[2]
# Services called other than through a literal boto3.client("...") in our code: pynamodb's DynamoDB, Powertools
# Parameters' SSM (helpdesk/settings.py).
INDIRECT = {"dynamodb", "ssm"}


def called_services() -> set[str]:
    found = set(INDIRECT)
    for path in [*(ROOT / "layers" / "helpdesk").rglob("*.py"), *(ROOT / "functions").rglob("*.py")]:
        found |= set(re.findall(r"""(?:client|resource)\(\s*["']([a-z0-9-]+)["']""", path.read_text(encoding="utf-8")))
    return found


def test_every_service_the_code_calls_keeps_its_model() -> None:
    assert called_services() <= BOTOCORE_SERVICES
    assert {"s3", "ses", "cognito-idp", "bedrock-runtime"} <= called_services()  # the scan finds the literal clients


def test_only_other_services_models_are_pruned() -> None:
    assert layer_keeps(PurePosixPath("botocore/data/dynamodb/2012-08-10/service-2.json.gz"))
    assert layer_keeps(PurePosixPath("botocore/data/endpoints.json"))  # shared: stays
    assert layer_keeps(PurePosixPath("botocore/data/_retry.json"))
    assert not layer_keeps(PurePosixPath("botocore/data/ec2/2016-11-15/service-2.json.gz"))
    # The optional Bedrock tagger's client (helpdesk/autotag_bedrock.py), not Bedrock's control plane.
    assert layer_keeps(PurePosixPath("botocore/data/bedrock-runtime/2023-09-30/service-2.json.gz"))
    assert not layer_keeps(PurePosixPath("botocore/data/bedrock/2023-04-20/service-2.json.gz"))
    assert layer_keeps(PurePosixPath("boto3/data/ec2/2016-11-15/resources-1.json"))  # boto3's own are small
    assert layer_keeps(PurePosixPath("pynamodb/models.py"))
