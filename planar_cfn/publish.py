"""Publishing a stage template to AWS Service Catalog as a product version.

The template goes to S3 under its own SHA-256 and becomes a provisioning artifact
named from the package version and that hash, so publishing an unchanged template
finds its version and creates nothing. Every check that can refuse the publish
(credentials, bucket, product ownership, portfolio) runs before anything is written.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import re
import uuid
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any, TextIO

from botocore.exceptions import BotoCoreError, ClientError

from . import __version__
from .aws_session import AwsSetupError, client, make_session, s3_object_url
from .constraints import S3_BUCKET
from .render import Rendered

EXIT_OK, EXIT_REFUSED, EXIT_USAGE = 0, 1, 2
KEY_PREFIX = "planar-cfn"
PRODUCT_OWNER = "planar-cfn"
PRODUCT_TYPE = "CLOUD_FORMATION_TEMPLATE"

# Service Catalog's portfolio ids: "port-" and lowercase letters and digits, at
# most 100 characters in all (the API's limit on an id).
_PORTFOLIO_ID = re.compile(r"port-[a-z0-9]{1,95}")
PORTFOLIO_ID_ALLOWED = "port- and 1-95 lowercase letters or digits, such as port-abcdefghijklm"
# Service Catalog's limit on a product name (CreateProduct, Name).
PRODUCT_NAME_MAX_LENGTH = 8191
PRODUCT_NAME_ALLOWED = f"1-{PRODUCT_NAME_MAX_LENGTH} characters, not all blank"
# A refused value longer than this is shown cut, with its length.
_SHOWN_LENGTH = 40
_ACCESS_DENIED = {"AccessDenied", "AccessDeniedException", "403"}
_NOT_FOUND = {"404", "NotFound", "NoSuchBucket", "NoSuchKey"}
_BAD_CREDENTIALS = {
    "ExpiredToken",
    "ExpiredTokenException",
    "InvalidClientTokenId",
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "UnrecognizedClientException",
}


class PublishError(Exception):
    """Publishing stopped: exit 1 (AWS refused or did not answer) unless a subclass says 2."""

    exit_code = EXIT_REFUSED
    changes: tuple[str, ...] = ()  # what the run had done in AWS before this error


class PublishSetupError(PublishError):
    """Bad input or setup the person can fix before trying again: exit 2."""

    exit_code = EXIT_USAGE


class BucketNotFoundError(PublishSetupError):
    pass


class BucketRegionError(PublishSetupError):
    pass


class SharedProductError(PublishSetupError):
    pass


class AmbiguousProductError(PublishSetupError):
    pass


class PortfolioNotFoundError(PublishSetupError):
    pass


class CredentialsRejectedError(PublishSetupError):
    pass


class AccessDeniedError(PublishError):
    pass


class AwsRefusedError(PublishError):
    pass


# --- command line -------------------------------------------------------------------


def _bucket_name(value: str) -> str:
    if not S3_BUCKET.matches(value):
        raise argparse.ArgumentTypeError(f"{value!r} is not {S3_BUCKET.allowed}")
    return value


def _shown(value: str) -> str:
    if len(value) <= _SHOWN_LENGTH:
        return repr(value)
    return f"{value[:_SHOWN_LENGTH]!r}... ({len(value)} characters)"


def _product_name(value: str) -> str:
    if not value.strip() or len(value) > PRODUCT_NAME_MAX_LENGTH:
        raise argparse.ArgumentTypeError(
            f"{_shown(value)} is not a product name: {PRODUCT_NAME_ALLOWED}"
        )
    return value


def _portfolio_id(value: str) -> str:
    if not _PORTFOLIO_ID.fullmatch(value):
        raise argparse.ArgumentTypeError(
            f"{_shown(value)} is not a portfolio id: {PORTFOLIO_ID_ALLOWED}; "
            "`aws servicecatalog list-portfolios` lists them"
        )
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Publish flags; build.py shows them in --help."""
    group = parser.add_argument_group(
        "publish to AWS Service Catalog",
        "Upload the linted template to S3 and add it to a Service Catalog product as a "
        "new version (see docs/publishing.md).",
    )
    group.add_argument(
        "--publish",
        action="store_true",
        help="publish the stage's template as a Service Catalog product version",
    )
    group.add_argument(
        "--artifact-bucket",
        type=_bucket_name,
        metavar="BUCKET",
        help=f"S3 bucket, in the publishing region, for the template "
        f"(key {KEY_PREFIX}/STAGE/SHA256.json); required with --publish",
    )
    group.add_argument(
        "--product-name",
        type=_product_name,
        metavar="NAME",
        help="Service Catalog product to add the version to; created when missing "
        "(default: planar-STAGE)",
    )
    group.add_argument(
        "--portfolio-id",
        type=_portfolio_id,
        metavar="ID",
        help="also associate the product with this portfolio (port-...)",
    )
    group.add_argument(
        "--deactivate-old",
        action="store_true",
        help="mark every other version of the product inactive, so launches use this one",
    )


def requested(args: argparse.Namespace) -> bool:
    return bool(getattr(args, "publish", False))


# --- what is published --------------------------------------------------------------


@dataclass(frozen=True)
class Artifact:
    """One stage's template as it is uploaded: the bytes committed in templates/."""

    stage: str
    body: bytes
    description: str

    @classmethod
    def from_rendered(cls, rendered: Rendered) -> Artifact:
        description = json.loads(rendered.body).get("Description", "")
        return cls(rendered.stage, rendered.body.encode(), description)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.body).hexdigest()

    @property
    def key(self) -> str:
        return f"{KEY_PREFIX}/{self.stage}/{self.sha256}.json"

    @property
    def version_name(self) -> str:
        return f"{__version__}-{self.sha256[:8]}"

    @property
    def product_description(self) -> str:
        # The product outlives this version: keep the package version out of it.
        return re.sub(r"\s*\(planar-cfn [^)]*\)$", "", self.description) or self.description


@dataclass(frozen=True)
class Target:
    bucket: str
    product_name: str
    portfolio_id: str | None = None
    deactivate_old: bool = False


@dataclass(frozen=True)
class Clients:
    s3: Any
    servicecatalog: Any
    sts: Any
    region: str


@dataclass
class Outcome:
    product_id: str = ""
    version_id: str = ""
    version_name: str = ""
    template_url: str = ""
    changes: list[str] = field(default_factory=list)  # what this run did in AWS


# --- calls to AWS -------------------------------------------------------------------


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _refusal(error: ClientError, action: str, resource: str = "", hint: str = "") -> PublishError:
    """The named error for a refused call: which call, and what to do about it."""
    code, operation = _code(error), error.operation_name
    said = (error.response.get("Error", {}).get("Message") or code).rstrip(".")
    on = f" on {resource}" if resource else ""
    if code in _ACCESS_DENIED:
        return AccessDeniedError(
            f"AWS denied {operation}{on}: the publishing identity needs {action}{on} "
            f"(the policy is in docs/publishing.md). AWS said: {said}"
        )
    if code in _BAD_CREDENTIALS:
        return CredentialsRejectedError(
            f"AWS rejected the credentials on {operation} ({code}): refresh them "
            "(`aws sso login`, or new access keys) and publish again"
        )
    return AwsRefusedError(
        f"AWS refused {operation}{on} ({code}): {said}" + (f". {hint}" if hint else "")
    )


def _unreachable(error: BotoCoreError, action: str) -> PublishError:
    service = action.split(":")[0]
    return PublishError(f"no answer from AWS {service}: {error}; check the network and the region")


def _request(
    method: Callable[..., dict],
    action: str,
    resource: str = "",
    absent: Collection[str] = (),
    hint: str = "",
    **kwargs: Any,
) -> dict | None:
    """Call AWS; None when the error code is one of `absent`. `action` is the IAM
    action the call needs, named when AWS denies it."""
    try:
        return method(**kwargs)
    except ClientError as error:
        if _code(error) in absent:
            return None
        raise _refusal(error, action, resource, hint) from None
    except BotoCoreError as error:
        raise _unreachable(error, action) from None


def _all_pages(
    method_name: str,
    client: Any,
    action: str,
    key: str,
    page_size: int | None = None,
    **kwargs: Any,
) -> list:
    items: list = []
    config = {"PageSize": page_size} if page_size else {}
    try:
        for page in client.get_paginator(method_name).paginate(PaginationConfig=config, **kwargs):
            items += page.get(key, [])
    except ClientError as error:
        raise _refusal(error, action) from None
    except BotoCoreError as error:
        raise _unreachable(error, action) from None
    return items


def _bucket_region(location: str | None) -> str:
    # GetBucketLocation answers None for us-east-1 and the legacy "EU" for eu-west-1.
    if not location:
        return "us-east-1"
    return "eu-west-1" if location == "EU" else location


def _s3_arn(clients: Clients, path: str) -> str:
    return f"arn:{clients.s3.meta.partition}:s3:::{path}"


def check_bucket(clients: Clients, bucket: str) -> None:
    arn = _s3_arn(clients, bucket)
    found = _request(clients.s3.head_bucket, "s3:ListBucket", arn, absent=_NOT_FOUND, Bucket=bucket)
    if found is None:
        raise BucketNotFoundError(
            f"artifact bucket {bucket!r} does not exist: create it in {clients.region} "
            f"(`aws s3 mb s3://{bucket} --region {clients.region}`) or pass another "
            "--artifact-bucket"
        )
    location = _request(clients.s3.get_bucket_location, "s3:GetBucketLocation", arn, Bucket=bucket)
    region = _bucket_region(location.get("LocationConstraint"))
    if region != clients.region:
        raise BucketRegionError(
            f"artifact bucket {bucket!r} is in {region}, but the product is published in "
            f"{clients.region}: publish in {region} (--region {region} or AWS_REGION), or "
            f"use a bucket in {clients.region}"
        )


def upload(clients: Clients, bucket: str, artifact: Artifact) -> bool:
    """Put the template under its hash; False when it is already there."""
    resource = _s3_arn(clients, f"{bucket}/{artifact.key}")
    head = _request(
        clients.s3.head_object,
        "s3:GetObject",
        resource,
        absent=_NOT_FOUND,
        Bucket=bucket,
        Key=artifact.key,
    )
    if head is not None:
        return False
    _request(
        clients.s3.put_object,
        "s3:PutObject",
        resource,
        Bucket=bucket,
        Key=artifact.key,
        Body=artifact.body,
        ContentType="application/json",
        # S3 refuses the write when the bytes it got do not hash to the key's name.
        ChecksumSHA256=base64.b64encode(bytes.fromhex(artifact.sha256)).decode(),
    )
    return True


def _account_of(product: dict) -> str:
    arn = product.get("ProductARN", "")  # arn:aws:catalog:REGION:ACCOUNT:product/prod-...
    return arn.split(":")[4] if arn.count(":") >= 5 else ""


def find_product(clients: Clients, name: str, account: str) -> dict | None:
    """This account's product named `name`, or None. A product of that name shared
    from another account cannot take new versions here: that is an error."""
    # Every product, compared by exact name: a full-text search filter tokenises names
    # in ways the API does not document, and a product it missed would be duplicated.
    found = _all_pages(
        "search_products_as_admin",
        clients.servicecatalog,
        "servicecatalog:SearchProductsAsAdmin",
        "ProductViewDetails",
        page_size=100,
    )
    matches = [p for p in found if p["ProductViewSummary"]["Name"] == name]
    own = [p for p in matches if _account_of(p) in ("", account)]
    if len(own) > 1:
        ids = ", ".join(p["ProductViewSummary"]["ProductId"] for p in own)
        raise AmbiguousProductError(
            f"{len(own)} products are named {name!r} in account {account}, {clients.region} "
            f"({ids}): pass a --product-name that names one product, or remove the duplicates"
        )
    if own:
        return own[0]
    if matches:
        shared = matches[0]
        raise SharedProductError(
            f"product {name!r} ({shared['ProductViewSummary']['ProductId']}) is shared from "
            f"account {_account_of(shared)}, and versions can only be added in the account "
            f"that owns it: publish with that account's credentials, or pass a different "
            f"--product-name to create a product in account {account}"
        )
    return None


def check_portfolio(clients: Clients, portfolio_id: str, account: str) -> None:
    found = _request(
        clients.servicecatalog.describe_portfolio,
        "servicecatalog:DescribePortfolio",
        f"portfolio {portfolio_id}",
        absent={"ResourceNotFoundException"},
        Id=portfolio_id,
    )
    if found is None:
        raise PortfolioNotFoundError(
            f"portfolio {portfolio_id} does not exist in account {account}, {clients.region}: "
            "check --portfolio-id (`aws servicecatalog list-portfolios`) and the region"
        )


# --- the publish --------------------------------------------------------------------


def publish(
    artifact: Artifact, target: Target, clients: Clients, out: TextIO, token: str | None = None
) -> Outcome:
    """Check, upload, create the product or its new version, associate, deactivate.
    An error carries `changes`: what this run had already done in AWS."""
    outcome = Outcome(
        version_name=artifact.version_name,
        template_url=s3_object_url(target.bucket, artifact.key, clients.region),
    )
    try:
        _publish(artifact, target, clients, out, outcome, token or uuid.uuid4().hex)
    except PublishError as error:
        error.changes = tuple(outcome.changes)
        raise
    return outcome


def _publish(
    artifact: Artifact,
    target: Target,
    clients: Clients,
    out: TextIO,
    outcome: Outcome,
    token: str,
) -> None:
    sc = clients.servicecatalog
    account = _request(clients.sts.get_caller_identity, "sts:GetCallerIdentity")["Account"]
    check_bucket(clients, target.bucket)
    product = find_product(clients, target.product_name, account)
    if target.portfolio_id:
        check_portfolio(clients, target.portfolio_id, account)

    versions: list[dict] = []
    current = None
    if product is not None:
        outcome.product_id = product["ProductViewSummary"]["ProductId"]
        listed = _request(
            sc.list_provisioning_artifacts,
            "servicecatalog:ListProvisioningArtifacts",
            ProductId=outcome.product_id,
        )
        versions = listed.get("ProvisioningArtifactDetails", [])
        current = next((v for v in versions if v.get("Name") == artifact.version_name), None)

    if current is not None:
        outcome.version_id = current["Id"]
        print(
            f"unchanged: product {target.product_name} already has version "
            f"{artifact.version_name} ({current['Id']}) with this template; nothing created",
            file=out,
        )
    else:
        where = f"s3://{target.bucket}/{artifact.key}"
        if upload(clients, target.bucket, artifact):
            outcome.changes.append(f"uploaded {where}")
            print(f"uploaded {where}", file=out)
        else:
            print(f"already in S3: {where}", file=out)
        _create(artifact, target, clients, out, outcome, token, new_product=product is None)

    if target.portfolio_id:
        _associate(clients, outcome, target.portfolio_id, product is None, out)
    if current is not None and current.get("Active") is False:
        # Publishing this template again means it must be launchable, even if an
        # earlier --deactivate-old turned it off (a rollback to an older template).
        _set_active(clients, outcome, current, True, out)
    if target.deactivate_old:
        for old in versions:
            if old["Id"] != outcome.version_id and old.get("Active", True):
                _set_active(clients, outcome, old, False, out)


def _create(
    artifact: Artifact,
    target: Target,
    clients: Clients,
    out: TextIO,
    outcome: Outcome,
    token: str,
    new_product: bool,
) -> None:
    sc = clients.servicecatalog
    version = {
        "Name": artifact.version_name,
        "Description": f"{artifact.description}; template sha256 {artifact.sha256}",
        "Info": {"LoadTemplateFromURL": outcome.template_url},
        "Type": PRODUCT_TYPE,
        "DisableTemplateValidation": False,
    }
    hint = (
        f"Service Catalog reads {outcome.template_url} with the publishing identity's "
        "credentials: it needs s3:GetObject there (and kms:Decrypt for an SSE-KMS bucket)"
    )
    # Botocore retries a create with the same token, and Service Catalog answers a
    # repeated token with the first result: a retry cannot make a second product.
    if new_product:
        created = _request(
            sc.create_product,
            "servicecatalog:CreateProduct",
            hint=hint,
            Name=target.product_name,
            Owner=PRODUCT_OWNER,
            Description=artifact.product_description,
            ProductType=PRODUCT_TYPE,
            ProvisioningArtifactParameters=version,
            IdempotencyToken=token,
        )
        outcome.product_id = created["ProductViewDetail"]["ProductViewSummary"]["ProductId"]
        outcome.changes.append(f"created product {outcome.product_id}")
        print(f"created product {target.product_name} ({outcome.product_id})", file=out)
    else:
        created = _request(
            sc.create_provisioning_artifact,
            "servicecatalog:CreateProvisioningArtifact",
            f"product {outcome.product_id}",
            hint=hint,
            ProductId=outcome.product_id,
            Parameters=version,
            IdempotencyToken=token,
        )
    outcome.version_id = created["ProvisioningArtifactDetail"]["Id"]
    outcome.changes.append(f"created version {outcome.version_id}")
    print(f"created version {artifact.version_name} ({outcome.version_id})", file=out)


def _associate(
    clients: Clients, outcome: Outcome, portfolio_id: str, new_product: bool, out: TextIO
) -> None:
    sc = clients.servicecatalog
    if not new_product:
        portfolios = _all_pages(
            "list_portfolios_for_product",
            sc,
            "servicecatalog:ListPortfoliosForProduct",
            "PortfolioDetails",
            ProductId=outcome.product_id,
        )
        if any(p["Id"] == portfolio_id for p in portfolios):
            print(f"already in portfolio {portfolio_id}", file=out)
            return
    _request(
        sc.associate_product_with_portfolio,
        "servicecatalog:AssociateProductWithPortfolio",
        ProductId=outcome.product_id,
        PortfolioId=portfolio_id,
    )
    outcome.changes.append(f"associated {outcome.product_id} with {portfolio_id}")
    print(f"associated with portfolio {portfolio_id}", file=out)


def _set_active(
    clients: Clients, outcome: Outcome, version: dict, active: bool, out: TextIO
) -> None:
    _request(
        clients.servicecatalog.update_provisioning_artifact,
        "servicecatalog:UpdateProvisioningArtifact",
        f"product {outcome.product_id}",
        ProductId=outcome.product_id,
        ProvisioningArtifactId=version["Id"],
        Active=active,
    )
    done = "reactivated" if active else "deactivated"
    outcome.changes.append(f"{done} version {version['Id']}")
    print(f"{done} version {version.get('Name', '')} ({version['Id']})", file=out)


# --- build.py entry point -----------------------------------------------------------


def connect(profile: str | None, region: str | None) -> Clients:
    session = make_session(profile, region)
    return Clients(
        s3=client(session, "s3"),
        servicecatalog=client(session, "servicecatalog"),
        sts=client(session, "sts"),
        region=session.region_name,
    )


def run(args: argparse.Namespace, rendered: Rendered, out: TextIO, err: TextIO) -> int:
    artifact = Artifact.from_rendered(rendered)
    target = Target(
        bucket=args.artifact_bucket,
        product_name=args.product_name or f"planar-{rendered.stage}",
        portfolio_id=args.portfolio_id,
        deactivate_old=args.deactivate_old,
    )
    # --profile and --region belong to deploy's flags; read them only if it defines them.
    try:
        clients = connect(getattr(args, "profile", None), getattr(args, "region", None))
        outcome = publish(artifact, target, clients, out)
    except AwsSetupError as error:
        print(f"build.py: publish: {error}", file=err)
        print("build.py: publish: nothing was changed in AWS", file=err)
        return EXIT_USAGE
    except PublishError as error:
        print(f"build.py: publish: {error}", file=err)
        if error.changes:
            print(f"build.py: publish: done before the error: {'; '.join(error.changes)}", file=err)
        else:
            print("build.py: publish: nothing was changed in AWS", file=err)
        return error.exit_code
    print(f"product id:   {outcome.product_id}", file=out)
    print(f"version id:   {outcome.version_id}", file=out)
    print(f"version name: {outcome.version_name}", file=out)
    print(f"template URL: {outcome.template_url}", file=out)
    return EXIT_OK
