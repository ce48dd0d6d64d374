"""The stage's tag options on the product: one value per key, created in the account
when missing, other values of those keys removed from the product and the portfolio."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ..aws.gateway import PUBLISHER, call, call_or_none, every_page
from ..errors import InputError
from ..template.naming import stack_tags
from .run import Run

__all__ = ["apply", "for_stage", "of_product"]

# What CreateTagOption and AssociateTagOptionWithResource answer for what is there.
_DUPLICATE = "DuplicateResourceException"


def for_stage(stage: str) -> dict[str, str]:
    """The tag options a stage's product carries: the stack's own tags (the same a
    deploy puts on the stack), but for app.name, a launch parameter (AppName) that the
    template's resources carry already."""
    tags = stack_tags(stage, "")
    del tags["app.name"]
    return tags


def _stale(option: Mapping[str, Any], wanted: Mapping[str, str]) -> bool:
    """A tag option of a key the stage sets, with another value."""
    key = str(option.get("Key"))
    return key in wanted and option.get("Value") != wanted[key]


def of_product(run: Run, product_id: str) -> list[dict[str, Any]]:
    """The tag options associated with the product (not those of its portfolios)."""
    described = call(
        run.sc.describe_product_as_admin,
        PUBLISHER,
        action="servicecatalog:DescribeProductAsAdmin",
        resource=f"product {product_id}",
        Id=product_id,
    )
    return list(described.get("TagOptions", []))


def apply(
    run: Run,
    portfolio_id: str,
    product_id: str,
    wanted: Mapping[str, str],
    on_product: Iterable[Mapping[str, Any]],
    on_portfolio: Iterable[Mapping[str, Any]],
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Give the product exactly one tag option per key of `wanted`: associate each
    KEY=VALUE it lacks (`on_product`: DescribeProductAsAdmin's TagOptions), creating
    the tag option when the account has none; then disassociate the other values of
    those keys from the product, and every value of those keys from the portfolio
    (`on_portfolio`: DescribePortfolio's TagOptions), where they would be offered
    beside the product's. The ones associated and the ones removed, as KEY=VALUE."""
    on_product, on_portfolio = list(on_product), list(on_portfolio)
    there = {(t.get("Key"), t.get("Value")) for t in on_product}
    added = []
    for key, value in wanted.items():
        if (key, value) in there:
            continue
        associated_now = call_or_none(
            run.sc.associate_tag_option_with_resource,
            PUBLISHER,
            absent={_DUPLICATE},  # associated meanwhile
            action="servicecatalog:AssociateTagOptionWithResource",
            resource=f"product {product_id}",
            ResourceId=product_id,
            TagOptionId=_tag_option_id(run, key, value),
        )
        if associated_now is None:
            continue
        run.did(f"associated tag option {key}={value} with {product_id}")
        run.say(f"tag option {key}={value}: associated with product {product_id}")
        added.append(f"{key}={value}")
    removed = []
    stale = [(product_id, "product", t) for t in on_product if _stale(t, wanted)]
    stale += [(portfolio_id, "portfolio", t) for t in on_portfolio if t.get("Key") in wanted]
    for resource_id, kind, option in stale:
        shown = f"{option.get('Key')}={option.get('Value')}"
        call_or_none(
            run.sc.disassociate_tag_option_from_resource,
            PUBLISHER,
            absent={"ResourceNotFoundException"},  # removed meanwhile
            action="servicecatalog:DisassociateTagOptionFromResource",
            resource=f"{kind} {resource_id}",
            ResourceId=resource_id,
            TagOptionId=option["Id"],
        )
        run.did(f"removed tag option {shown} from {resource_id}")
        run.say(f"tag option {shown}: removed from {kind} {resource_id}")
        removed.append(shown)
    if not added and not removed:
        run.say(f"tag options: unchanged ({len(wanted)} on product {product_id})")
    return tuple(added), tuple(removed)


def _tag_option_id(run: Run, key: str, value: str) -> str:
    """The id of the account's tag option KEY=VALUE, created when there is none."""
    for attempt in range(2):
        found = every_page(
            run.sc,
            "list_tag_options",
            PUBLISHER,
            action="servicecatalog:ListTagOptions",
            key="TagOptionDetails",
            Filters={"Key": key, "Value": value},
        )
        # The filters' matching is not documented as exact: compare.
        match = next((t for t in found if (t.get("Key"), t.get("Value")) == (key, value)), None)
        if match is not None:
            if match.get("Active") is False:
                raise InputError(
                    f"tag option {key}={value} ({match['Id']}) is inactive, and an "
                    "inactive tag option cannot be associated: activate it "
                    f"(`aws servicecatalog update-tag-option --id {match['Id']} --active`)"
                )
            return str(match["Id"])
        if attempt:
            break
        created = call_or_none(
            run.sc.create_tag_option,
            PUBLISHER,
            absent={_DUPLICATE},  # created meanwhile: list again
            action="servicecatalog:CreateTagOption",
            Key=key,
            Value=value,
        )
        if created is None:
            continue
        run.did(f"created tag option {key}={value}")
        return str(created["TagOptionDetail"]["Id"])
    raise InputError(f"tag option {key}={value} exists but could not be listed")
