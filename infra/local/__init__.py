"""The local stack: moto for AWS, a gateway that plays API Gateway, the SQS mapping, demo data."""
