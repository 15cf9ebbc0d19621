"""The table definition, derived from the models: what the local stack creates and infra deploys."""
from __future__ import annotations

from typing import Any

from helpdesk.store.models import Item


def table_definition() -> dict[str, Any]:
    """CreateTable / AWS::DynamoDB::Table properties (without the name), from the pynamodb models."""
    schema = Item._get_schema()
    return {
        "AttributeDefinitions": sorted(schema["attribute_definitions"], key=lambda d: d["AttributeName"]),
        "KeySchema": schema["key_schema"],
        "GlobalSecondaryIndexes": [
            {"IndexName": g["index_name"], "KeySchema": g["key_schema"], "Projection": g["projection"]}
            for g in schema["global_secondary_indexes"]
        ],
        "BillingMode": Item.Meta.billing_mode,
        "StreamSpecification": {"StreamEnabled": True, "StreamViewType": Item.Meta.stream_view_type},
    }


def create_table(client: Any, table_name: str) -> None:
    """Create the table with a boto3 client (local stack, tests) and wait until it is active."""
    client.create_table(TableName=table_name, **table_definition())
    client.get_waiter("table_exists").wait(TableName=table_name, WaiterConfig={"Delay": 0.2, "MaxAttempts": 50})
