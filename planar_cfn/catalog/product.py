"""The product and its versions: this account's product of the name (never one shared
from another account), its provisioning artifacts, and the new product or version
made from the uploaded template."""

from __future__ import annotations

from typing import Any

from ..aws.gateway import PUBLISHER, call, every_page
from ..errors import InputError
from .run import Run
from .upload import Artifact

__all__ = [
    "PRODUCT_OWNER",
    "PRODUCT_TYPE",
    "AmbiguousProductError",
    "SharedProductError",
    "create",
    "find",
    "versions",
]

PRODUCT_OWNER = "planar-cfn"
PRODUCT_TYPE = "CLOUD_FORMATION_TEMPLATE"


class SharedProductError(InputError):
    """The product of that name is shared from another account: only its owner adds versions."""


class AmbiguousProductError(InputError):
    """Several products of this account have the name."""


def _account_of(product: dict[str, Any]) -> str:
    arn = str(product.get("ProductARN", ""))  # arn:aws:catalog:REGION:ACCOUNT:product/prod-...
    return arn.split(":")[4] if arn.count(":") >= 5 else ""


def find(run: Run, name: str, account: str) -> dict[str, Any] | None:
    """This account's product of the name, or None. A product of that name shared
    from another account cannot take new versions here: that is an error."""
    # Every product, compared by exact name: a full-text search filter tokenises names
    # in ways the API does not document, and a product it missed would be duplicated.
    found = every_page(
        run.sc,
        "search_products_as_admin",
        PUBLISHER,
        action="servicecatalog:SearchProductsAsAdmin",
        key="ProductViewDetails",
        page_size=100,
    )
    matches = [p for p in found if p["ProductViewSummary"]["Name"] == name]
    own = [p for p in matches if _account_of(p) in ("", account)]
    if len(own) > 1:
        ids = ", ".join(p["ProductViewSummary"]["ProductId"] for p in own)
        raise AmbiguousProductError(
            f"{len(own)} products are named {name!r} in account {account}, "
            f"{run.clients.region} ({ids}): pass a --product-name that names one product, "
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


def versions(run: Run, product_id: str) -> list[dict[str, Any]]:
    """The product's versions (provisioning artifacts)."""
    listed = call(
        run.sc.list_provisioning_artifacts,
        PUBLISHER,
        action="servicecatalog:ListProvisioningArtifacts",
        ProductId=product_id,
    )
    return list(listed.get("ProvisioningArtifactDetails", []))


def create(
    run: Run, artifact: Artifact, name: str, url: str, token: str, product_id: str | None
) -> tuple[str, str]:
    """The template at `url` as a new version of the product, or as a new product when
    `product_id` is None: the product's id and the version's."""
    version = {
        "Name": artifact.version_name,
        "Description": f"{artifact.description}; template sha256 {artifact.sha256}",
        "Info": {"LoadTemplateFromURL": url},
        "Type": PRODUCT_TYPE,
        "DisableTemplateValidation": False,
    }
    hint = (
        f"Service Catalog reads {url} with the publishing identity's "
        "credentials: it needs s3:GetObject there (and kms:Decrypt for an SSE-KMS bucket)"
    )
    # Botocore retries a create with the same token, and Service Catalog answers a
    # repeated token with the first result: a retry cannot make a second product.
    if product_id is None:
        created = call(
            run.sc.create_product,
            PUBLISHER,
            action="servicecatalog:CreateProduct",
            hint=hint,
            Name=name,
            Owner=PRODUCT_OWNER,
            Description=artifact.product_description,
            ProductType=PRODUCT_TYPE,
            ProvisioningArtifactParameters=version,
            IdempotencyToken=token,
        )
        product_id = str(created["ProductViewDetail"]["ProductViewSummary"]["ProductId"])
        run.did(f"created product {product_id}")
        run.say(f"created product {name} ({product_id})")
    else:
        created = call(
            run.sc.create_provisioning_artifact,
            PUBLISHER,
            action="servicecatalog:CreateProvisioningArtifact",
            resource=f"product {product_id}",
            hint=hint,
            ProductId=product_id,
            Parameters=version,
            IdempotencyToken=token,
        )
    version_id = str(created["ProvisioningArtifactDetail"]["Id"])
    run.did(f"created version {version_id}")
    run.say(f"created version {artifact.version_name} ({version_id})")
    return product_id, version_id
