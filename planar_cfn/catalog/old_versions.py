"""The product's other versions once this one is published: this one launchable and
the default again, the others deactivated or deprecated as asked (one
UpdateProvisioningArtifact per version)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..aws.gateway import PUBLISHER, call
from .run import Run

__all__ = ["retire"]


def retire(
    run: Run,
    product_id: str,
    current: dict[str, Any] | None,
    others: Iterable[dict[str, Any]],
    *,
    deactivate: bool,
    deprecate: bool,
) -> tuple[str, ...]:
    """Make `current` (the version found with this template, if any) launchable and
    the default, and deactivate or deprecate `others` as asked: the ids deprecated."""
    if current is not None:
        # Publishing this template again means it must be launchable and the
        # default, even if an earlier --deactivate-old or --deprecate-old retired it
        # (a rollback to an older template).
        _update(
            run,
            product_id,
            current,
            active=True if current.get("Active") is False else None,
            guidance="DEFAULT" if current.get("Guidance") == "DEPRECATED" else None,
        )
    changed, deprecated = 0, []
    for old in others:
        guidance = (
            "DEPRECATED" if deprecate and old.get("Guidance", "DEFAULT") != "DEPRECATED" else None
        )
        changed += _update(
            run,
            product_id,
            old,
            active=False if deactivate and old.get("Active", True) else None,
            guidance=guidance,
        )
        if guidance:
            deprecated.append(old["Id"])
    if (deactivate or deprecate) and not changed:
        asked = " or ".join(
            word for word, flag in (("deactivate", deactivate), ("deprecate", deprecate)) if flag
        )
        run.say(f"unchanged: no other version to {asked}")
    return tuple(deprecated)


def _update(
    run: Run, product_id: str, version: dict[str, Any], *, active: bool | None, guidance: str | None
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
    call(
        run.sc.update_provisioning_artifact,
        PUBLISHER,
        action="servicecatalog:UpdateProvisioningArtifact",
        resource=f"product {product_id}",
        ProductId=product_id,
        ProvisioningArtifactId=version["Id"],
        **change,
    )
    done = " and ".join(words)
    run.did(f"{done} version {version['Id']}")
    run.say(f"{done} version {version.get('Name', '')} ({version['Id']})")
    return True
