"""Publishing against AWS stand-ins: S3 and STS from moto, Service Catalog through
botocore's Stubber (moto has no provisioning artifacts), which checks every request
against the real service model. The `aws` fixture is every test module's (conftest.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from planar_cfn.deploy.engine import Runtime

REGION = "us-east-1"
BUCKET = "planar-artifacts"


@dataclass
class Clients:
    """aws_gateway.Clients made beforehand: moto's S3 and STS, a stubbed Service Catalog."""

    region: str
    made: dict[str, Any]

    def client(self, service: str) -> Any:
        return self.made[service]


@dataclass
class Aws:
    clients: Clients
    catalog: Stubber  # Service Catalog
    s3: Any  # the moto-backed S3 client, to look at what was uploaded

    def connect(self, profile: str | None, region: str | None) -> Clients:
        return self.clients

    def runtime(self) -> Runtime:
        return Runtime(connect=self.connect)


@pytest.fixture
def aws(aws_env):
    with mock_aws():
        session = boto3.Session(region_name=REGION)
        s3 = session.client("s3")
        s3.create_bucket(Bucket=BUCKET)
        catalog = session.client("servicecatalog")
        with Stubber(catalog) as stub:
            made = {"s3": s3, "servicecatalog": catalog, "sts": session.client("sts")}
            yield Aws(Clients(REGION, made), stub, s3)
            stub.assert_no_pending_responses()
