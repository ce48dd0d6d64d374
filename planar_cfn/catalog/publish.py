"""Publishing a stage template to AWS Service Catalog as a product version.

The template goes to S3 under its own SHA-256 and becomes a provisioning artifact
named from the package version and that hash, so publishing an unchanged template
finds its version and creates nothing. Every check that can refuse the publish
(credentials, bucket, product ownership, portfolio) runs before anything is written.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TextIO

from .._version import __version__
from ..aws.clock import Clock
from ..aws.gateway import (
    PUBLISHER,
    Aws,
    Clients,
    aws_errors,
    call,
    call_or_none,
    every_page,
    s3_object_url,
)
from ..errors import InputError
from ..inputs.options import ARTIFACT_KEY_PREFIX, PublishOptions
from ..template.render import Rendered
from .portfolio import PortfolioSetup, Share, ShareFailedError, tag_options

__all__ = [
    "KEY_PREFIX",
    "AmbiguousProductError",
    "Artifact",
    "BucketNotFoundError",
    "BucketRegionError",
    "PortfolioNotFoundError",
    "PublishOptions",
    "PublishResult",
    "Share",
    "SharedProductError",
    "publish",
]

KEY_PREFIX = ARTIFACT_KEY_PREFIX
PRODUCT_OWNER = "planar-cfn"
PRODUCT_TYPE = "CLOUD_FORMATION_TEMPLATE"
_NOT_FOUND = {"404", "NotFound", "NoSuchBucket", "NoSuchKey"}


class BucketNotFoundError(InputError):
    """The artifact bucket does not exist."""


class BucketRegionError(InputError):
    """The artifact bucket is in another region than the one published to."""


class SharedProductError(InputError):
    """The product of that name is shared from another account: only its owner adds versions."""


class AmbiguousProductError(InputError):
    """Several products of this account have the name."""


class PortfolioNotFoundError(InputError):
    """The portfolio does not exist in this account and region."""


@dataclass(frozen=True)
class Artifact:
    """One stage's template as it is uploaded: the bytes committed in templates/."""

    stage: str
    body: bytes
    description: str

    @classmethod
    def from_rendered(cls, rendered: Rendered) -> Artifact:
        """The rendered template, as published."""
        description = json.loads(rendered.body).get("Description", "")
        return cls(rendered.stage, rendered.body.encode(), description)

    @property
    def sha256(self) -> str:
        """The hash of the template's bytes."""
        return hashlib.sha256(self.body).hexdigest()

    @property
    def key(self) -> str:
        """Where in the bucket the template goes."""
        return f"{KEY_PREFIX}/{self.stage}/{self.sha256}.json"

    @property
    def version_name(self) -> str:
        """The version's name: the package version and the short hash."""
        return f"{__version__}-{self.sha256[:8]}"

    @property
    def product_description(self) -> str:
        """The template's description without the package version: the product outlives
        this version."""
        return re.sub(r"\s*\(planar-cfn [^)]*\)$", "", self.description) or self.description


@dataclass(frozen=True)
class PublishResult:
    """The product and version published (or found unchanged), the template's URL, and
    what this run did in AWS, in order (nothing when the template was already there).

    With a portfolio: `launch_constraint` is "created", "replaced" or "unchanged" ("" when
    no --launch-role was given); `shares` each share's status; `principals` and
    `tag_options` (KEY=VALUE) those this run associated with the product, and
    `removed_tag_options` the other values of those keys it removed from the product
    and the portfolio; `deprecated` the ids of the versions this run marked
    DEPRECATED."""

    product_id: str
    version_id: str
    version_name: str
    template_url: str
    done: tuple[str, ...]
    launch_constraint: str = ""
    shares: tuple[Share, ...] = ()
    principals: tuple[str, ...] = ()
    tag_options: tuple[str, ...] = ()
    deprecated: tuple[str, ...] = ()
    removed_tag_options: tuple[str, ...] = ()


@dataclass
class _Outcome:
    product_id: str = ""
    version_id: str = ""
    done: list[str] = field(default_factory=list)
    launch_constraint: str = ""
    shares: tuple[Share, ...] = ()
    principals: tuple[str, ...] = ()
    tag_options: tuple[str, ...] = ()
    deprecated: list[str] = field(default_factory=list)
    removed_tag_options: tuple[str, ...] = ()


def publish(
    rendered: Rendered,
    options: PublishOptions,
    *,
    out: TextIO | None = None,
    connect: Callable[[str | None, str | None], Clients] = Aws.connect,
    token: str | None = None,
    clock: Clock | None = None,
) -> PublishResult:
    """Publish `rendered` (the stage's template) as `options` say, as build.py does:
    check the credentials, bucket, product and portfolio, upload, create the product or
    its new version, associate; then the product's tag options, the launch constraint,
    principals and shares; deactivate or deprecate the other versions (also when a share
    failed: its ShareFailedError is raised after); saying each step
    on `out` (default: the process's). `token` makes the create idempotent (default: a
    new one); `clock` paces the wait for a share to the organization or an OU.

    It does not lint: lint the template first (planar_cfn.lint.lint), as build.py does.
    Errors are raised from planar_cfn.errors: InputError (exit 2; this module's
    BucketNotFoundError and the others are kinds of it), AwsError (exit 1), Interrupted
    on Ctrl-C (exit 130). Each carries `done`: what this run had already done in AWS
    (publishing again is safe: it finds what was done and does the rest).
    """
    artifact = Artifact.from_rendered(rendered)
    outcome = _Outcome()
    with aws_errors(PUBLISHER, outcome.done):
        clients = connect(options.profile, options.region)
        url = s3_object_url(options.artifact_bucket, artifact.key, clients.region)
        clock = clock or Clock(sleep=time.sleep, monotonic=time.monotonic)
        run = _Publishing(artifact, options, clients, out or sys.stdout, outcome, url, clock)
        run.publish(token or uuid.uuid4().hex)
    return PublishResult(
        outcome.product_id,
        outcome.version_id,
        artifact.version_name,
        url,
        tuple(outcome.done),
        launch_constraint=outcome.launch_constraint,
        shares=outcome.shares,
        principals=outcome.principals,
        tag_options=outcome.tag_options,
        deprecated=tuple(outcome.deprecated),
        removed_tag_options=outcome.removed_tag_options,
    )


def _bucket_region(location: str | None) -> str:
    # GetBucketLocation answers None for us-east-1 and the legacy "EU" for eu-west-1.
    if not location:
        return "us-east-1"
    return "eu-west-1" if location == "EU" else location


def _account_of(product: dict[str, Any]) -> str:
    arn = str(product.get("ProductARN", ""))  # arn:aws:catalog:REGION:ACCOUNT:product/prod-...
    return arn.split(":")[4] if arn.count(":") >= 5 else ""


@dataclass
class _Publishing:
    """One publish, step by step; each call names the IAM action it needs."""

    artifact: Artifact
    options: PublishOptions
    clients: Clients
    out: TextIO
    outcome: _Outcome
    template_url: str
    clock: Clock

    @property
    def bucket(self) -> str:
        return self.options.artifact_bucket

    @property
    def product_name(self) -> str:
        return self.options.product_for(self.artifact.stage)

    def _say(self, line: str) -> None:
        print(line, file=self.out)

    def _s3_arn(self, path: str) -> str:
        return f"arn:{self.clients.client('s3').meta.partition}:s3:::{path}"

    def _did(self, change: str) -> None:
        self.outcome.done.append(change)

    def publish(self, token: str) -> None:
        sc = self.clients.client("servicecatalog")
        sts = self.clients.client("sts")
        account = call(sts.get_caller_identity, PUBLISHER, action="sts:GetCallerIdentity")[
            "Account"
        ]
        self.check_bucket()
        product = self.find_product(account)
        options, portfolio = self.options, self.options.portfolio_id
        setup = constraint = None
        portfolio_tags: list[dict[str, Any]] = []
        principals_there: set[str] = set()
        if portfolio:
            portfolio_tags = self.check_portfolio(portfolio, account).get("TagOptions", [])
            setup = PortfolioSetup(self.clients, portfolio, self._say, self._did, self.clock)
            # Every refusal before anything is written.
            if product is not None and options.launch_role:
                product_id = product["ProductViewSummary"]["ProductId"]
                constraint = setup.launch_constraint(product_id)
                setup.check_launch_role(
                    constraint, options.launch_role, options.replace_launch_role
                )
            setup.check_organizations_access(options.share_with)
            if options.principals:
                principals_there = setup.check_principals(options.principals)

        versions: list[dict[str, Any]] = []
        current = None
        if product is not None:
            self.outcome.product_id = product["ProductViewSummary"]["ProductId"]
            listed = call(
                sc.list_provisioning_artifacts,
                PUBLISHER,
                action="servicecatalog:ListProvisioningArtifacts",
                ProductId=self.outcome.product_id,
            )
            versions = listed.get("ProvisioningArtifactDetails", [])
            name = self.artifact.version_name
            current = next((v for v in versions if v.get("Name") == name), None)

        if current is not None:
            self.outcome.version_id = current["Id"]
            self._say(
                f"unchanged: product {self.product_name} already has version "
                f"{self.artifact.version_name} ({current['Id']}) with this template; nothing created"
            )
        else:
            where = f"s3://{self.bucket}/{self.artifact.key}"
            if self.upload():
                self._did(f"uploaded {where}")
                self._say(f"uploaded {where}")
            else:
                self._say(f"already in S3: {where}")
            self.create(token, new_product=product is None)

        failed: ShareFailedError | None = None
        if portfolio and setup is not None:  # the one implies the other
            self.associate(portfolio, new_product=product is None)
            outcome = self.outcome
            outcome.tag_options, outcome.removed_tag_options = setup.apply_tag_options(
                outcome.product_id,
                tag_options(self.artifact.stage),
                [] if product is None else self.product_tag_options(),
                portfolio_tags,
            )
            if options.launch_role:
                outcome.launch_constraint = setup.set_launch_role(
                    outcome.product_id, constraint, options.launch_role
                )
            if options.principals:
                outcome.principals = setup.associate_principals(
                    options.principals, principals_there
                )
            if options.share_with:
                try:
                    outcome.shares = setup.share(options.share_with)
                except ShareFailedError as error:
                    # The version is made: retire the others as asked, then report.
                    failed, outcome.shares = error, error.shares
        self.retire_others(current, versions)
        if failed is not None:
            raise failed

    def product_tag_options(self) -> list[dict[str, Any]]:
        """The tag options associated with the product (not those of its portfolios)."""
        product_id = self.outcome.product_id
        described = call(
            self.clients.client("servicecatalog").describe_product_as_admin,
            PUBLISHER,
            action="servicecatalog:DescribeProductAsAdmin",
            resource=f"product {product_id}",
            Id=product_id,
        )
        return list(described.get("TagOptions", []))

    def retire_others(self, current: dict[str, Any] | None, versions: list[dict[str, Any]]) -> None:
        """Make this version launchable and the default, and deactivate or deprecate
        the others as asked."""
        if current is not None:
            # Publishing this template again means it must be launchable and the
            # default, even if an earlier --deactivate-old or --deprecate-old retired it
            # (a rollback to an older template).
            self.update_version(
                current,
                active=True if current.get("Active") is False else None,
                guidance="DEFAULT" if current.get("Guidance") == "DEPRECATED" else None,
            )
        deactivate, deprecate = self.options.deactivate_old, self.options.deprecate_old
        changed = 0
        for old in versions:
            if old["Id"] == self.outcome.version_id:
                continue
            changed += self.update_version(
                old,
                active=False if deactivate and old.get("Active", True) else None,
                guidance="DEPRECATED"
                if deprecate and old.get("Guidance", "DEFAULT") != "DEPRECATED"
                else None,
            )
        if (deactivate or deprecate) and not changed:
            asked = " or ".join(
                word
                for word, flag in (("deactivate", deactivate), ("deprecate", deprecate))
                if flag
            )
            self._say(f"unchanged: no other version to {asked}")

    def check_bucket(self) -> None:
        s3, bucket = self.clients.client("s3"), self.bucket
        arn = self._s3_arn(bucket)
        found = call_or_none(
            s3.head_bucket,
            PUBLISHER,
            absent=_NOT_FOUND,
            action="s3:ListBucket",
            resource=arn,
            Bucket=bucket,
        )
        region = self.clients.region
        if found is None:
            raise BucketNotFoundError(
                f"artifact bucket {bucket!r} does not exist: create it in {region} "
                f"(`aws s3 mb s3://{bucket} --region {region}`) or pass another "
                "--artifact-bucket"
            )
        location = call(
            s3.get_bucket_location,
            PUBLISHER,
            action="s3:GetBucketLocation",
            resource=arn,
            Bucket=bucket,
        )
        where = _bucket_region(location.get("LocationConstraint"))
        if where != region:
            raise BucketRegionError(
                f"artifact bucket {bucket!r} is in {where}, but the product is published in "
                f"{region}: publish in {where} (--region {where} or AWS_REGION), or "
                f"use a bucket in {region}"
            )

    def upload(self) -> bool:
        """Put the template under its hash; False when it is already there."""
        s3, key = self.clients.client("s3"), self.artifact.key
        resource = self._s3_arn(f"{self.bucket}/{key}")
        head = call_or_none(
            s3.head_object,
            PUBLISHER,
            absent=_NOT_FOUND,
            action="s3:GetObject",
            resource=resource,
            Bucket=self.bucket,
            Key=key,
        )
        if head is not None:
            return False
        call(
            s3.put_object,
            PUBLISHER,
            action="s3:PutObject",
            resource=resource,
            Bucket=self.bucket,
            Key=key,
            Body=self.artifact.body,
            ContentType="application/json",
            # S3 refuses the write when the bytes it got do not hash to the key's name.
            ChecksumSHA256=base64.b64encode(bytes.fromhex(self.artifact.sha256)).decode(),
        )
        return True

    def find_product(self, account: str) -> dict[str, Any] | None:
        """This account's product of the name, or None. A product of that name shared
        from another account cannot take new versions here: that is an error."""
        # Every product, compared by exact name: a full-text search filter tokenises names
        # in ways the API does not document, and a product it missed would be duplicated.
        found = every_page(
            self.clients.client("servicecatalog"),
            "search_products_as_admin",
            PUBLISHER,
            action="servicecatalog:SearchProductsAsAdmin",
            key="ProductViewDetails",
            page_size=100,
        )
        name = self.product_name
        matches = [p for p in found if p["ProductViewSummary"]["Name"] == name]
        own = [p for p in matches if _account_of(p) in ("", account)]
        if len(own) > 1:
            ids = ", ".join(p["ProductViewSummary"]["ProductId"] for p in own)
            raise AmbiguousProductError(
                f"{len(own)} products are named {name!r} in account {account}, "
                f"{self.clients.region} ({ids}): pass a --product-name that names one product, "
                "or remove the duplicates"
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

    def check_portfolio(self, portfolio_id: str, account: str) -> dict[str, Any]:
        found = call_or_none(
            self.clients.client("servicecatalog").describe_portfolio,
            PUBLISHER,
            absent={"ResourceNotFoundException"},
            action="servicecatalog:DescribePortfolio",
            resource=f"portfolio {portfolio_id}",
            Id=portfolio_id,
        )
        if found is None:
            raise PortfolioNotFoundError(
                f"portfolio {portfolio_id} does not exist in account {account}, "
                f"{self.clients.region}: check --portfolio-id "
                "(`aws servicecatalog list-portfolios`) and the region"
            )
        return found

    def create(self, token: str, new_product: bool) -> None:
        sc, artifact, outcome = self.clients.client("servicecatalog"), self.artifact, self.outcome
        version = {
            "Name": artifact.version_name,
            "Description": f"{artifact.description}; template sha256 {artifact.sha256}",
            "Info": {"LoadTemplateFromURL": self.template_url},
            "Type": PRODUCT_TYPE,
            "DisableTemplateValidation": False,
        }
        hint = (
            f"Service Catalog reads {self.template_url} with the publishing identity's "
            "credentials: it needs s3:GetObject there (and kms:Decrypt for an SSE-KMS bucket)"
        )
        # Botocore retries a create with the same token, and Service Catalog answers a
        # repeated token with the first result: a retry cannot make a second product.
        if new_product:
            created = call(
                sc.create_product,
                PUBLISHER,
                action="servicecatalog:CreateProduct",
                hint=hint,
                Name=self.product_name,
                Owner=PRODUCT_OWNER,
                Description=artifact.product_description,
                ProductType=PRODUCT_TYPE,
                ProvisioningArtifactParameters=version,
                IdempotencyToken=token,
            )
            outcome.product_id = created["ProductViewDetail"]["ProductViewSummary"]["ProductId"]
            self._did(f"created product {outcome.product_id}")
            self._say(f"created product {self.product_name} ({outcome.product_id})")
        else:
            created = call(
                sc.create_provisioning_artifact,
                PUBLISHER,
                action="servicecatalog:CreateProvisioningArtifact",
                resource=f"product {outcome.product_id}",
                hint=hint,
                ProductId=outcome.product_id,
                Parameters=version,
                IdempotencyToken=token,
            )
        outcome.version_id = created["ProvisioningArtifactDetail"]["Id"]
        self._did(f"created version {outcome.version_id}")
        self._say(f"created version {artifact.version_name} ({outcome.version_id})")

    def associate(self, portfolio_id: str, new_product: bool) -> None:
        sc, product_id = self.clients.client("servicecatalog"), self.outcome.product_id
        if not new_product:
            portfolios = every_page(
                sc,
                "list_portfolios_for_product",
                PUBLISHER,
                action="servicecatalog:ListPortfoliosForProduct",
                key="PortfolioDetails",
                ProductId=product_id,
            )
            if any(p["Id"] == portfolio_id for p in portfolios):
                self._say(f"already in portfolio {portfolio_id}")
                return
        call(
            sc.associate_product_with_portfolio,
            PUBLISHER,
            action="servicecatalog:AssociateProductWithPortfolio",
            ProductId=product_id,
            PortfolioId=portfolio_id,
        )
        self._did(f"associated {product_id} with {portfolio_id}")
        self._say(f"associated with portfolio {portfolio_id}")

    def update_version(
        self, version: dict[str, Any], *, active: bool | None, guidance: str | None
    ) -> bool:
        """Set the version's Active and Guidance where given, in one call; False when
        neither is."""
        change: dict[str, Any] = {}
        words = []
        if active is not None:
            change["Active"] = active
            words.append("reactivated" if active else "deactivated")
        if guidance is not None:
            change["Guidance"] = guidance
            words.append("deprecated" if guidance == "DEPRECATED" else "made default")
        if not change:
            return False
        product_id = self.outcome.product_id
        call(
            self.clients.client("servicecatalog").update_provisioning_artifact,
            PUBLISHER,
            action="servicecatalog:UpdateProvisioningArtifact",
            resource=f"product {product_id}",
            ProductId=product_id,
            ProvisioningArtifactId=version["Id"],
            **change,
        )
        if guidance == "DEPRECATED":
            self.outcome.deprecated.append(version["Id"])
        done = " and ".join(words)
        self._did(f"{done} version {version['Id']}")
        self._say(f"{done} version {version.get('Name', '')} ({version['Id']})")
        return True
