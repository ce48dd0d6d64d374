"""Publishing a stage template to AWS Service Catalog as a product version.

The template goes to S3 under its own SHA-256 and becomes a provisioning artifact
named from the package version and that hash, so publishing an unchanged template
finds its version and creates nothing. Every check that can refuse the publish
(credentials, bucket, product ownership, portfolio) runs before anything is written.
"""

from __future__ import annotations

import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO

from ..aws.clock import Clock
from ..aws.gateway import PUBLISHER, Aws, Clients, aws_errors, call, s3_object_url
from ..inputs.options import PublishOptions
from ..template.render import Rendered
from . import old_versions, portfolio, product, sharing, upload
from .run import Run

__all__ = ["PublishOptions", "PublishResult", "publish"]


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
    shares: tuple[sharing.Share, ...] = ()
    principals: tuple[str, ...] = ()
    tag_options: tuple[str, ...] = ()
    deprecated: tuple[str, ...] = ()
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
    Errors are raised from planar_cfn.errors: InputError (exit 2; the catalog modules'
    BucketNotFoundError, SharedProductError, PortfolioNotFoundError and the others are
    kinds of it), AwsError (exit 1), Interrupted on Ctrl-C (exit 130). Each carries
    `done`: what this run had already done in AWS (publishing again is safe: it finds
    what was done and does the rest).
    """
    artifact = upload.Artifact.from_rendered(rendered)
    done: list[str] = []
    with aws_errors(PUBLISHER, done):
        clients = connect(options.profile, options.region)
        url = s3_object_url(options.artifact_bucket, artifact.key, clients.region)
        clock = clock or Clock(sleep=time.sleep, monotonic=time.monotonic)
        run = Run(clients, out or sys.stdout, clock, done)
        result = _publish(run, artifact, options, url, token or uuid.uuid4().hex)
    return result


def _publish(
    run: Run, artifact: upload.Artifact, options: PublishOptions, url: str, token: str
) -> PublishResult:
    sts = run.clients.client("sts")
    account = call(sts.get_caller_identity, PUBLISHER, action="sts:GetCallerIdentity")["Account"]
    upload.check_bucket(run, options.artifact_bucket, account)
    name = options.product_for(artifact.stage)
    found = product.find(run, name, account)
    product_id = None if found is None else str(found["ProductViewSummary"]["ProductId"])
    checked = None
    if options.portfolio_id:
        checked = portfolio.check(run, options.portfolio_id, options, product_id, account)

    versions = [] if product_id is None else product.versions(run, product_id)
    current = next((v for v in versions if v.get("Name") == artifact.version_name), None)
    if current is not None and product_id is not None:
        version_id = str(current["Id"])
        run.say(
            f"unchanged: product {name} already has version "
            f"{artifact.version_name} ({version_id}) with this template; nothing created"
        )
    else:
        upload.upload(run, options.artifact_bucket, artifact, account)
        product_id, version_id = product.create(run, artifact, name, url, token, product_id)

    changes = portfolio.Changes()
    if checked is not None:
        changes = portfolio.apply(run, checked, options, artifact.stage, product_id, found is None)
    deprecated = old_versions.retire(
        run,
        product_id,
        current,
        [v for v in versions if v["Id"] != version_id],
        deactivate=options.deactivate_old,
        deprecate=options.deprecate_old,
    )
    if changes.failed is not None:
        raise changes.failed
    return PublishResult(
        product_id,
        version_id,
        artifact.version_name,
        url,
        tuple(run.done),
        launch_constraint=changes.launch_constraint,
        shares=changes.shares,
        principals=changes.principals,
        tag_options=changes.tag_options,
        deprecated=deprecated,
        removed_tag_options=changes.removed_tag_options,
    )
