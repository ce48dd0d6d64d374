"""The documented import path of publishing: `from planar_cfn.publish import publish`.
Defined in planar_cfn.catalog.publish."""

from .catalog.publish import PublishResult, publish

__all__ = ["PublishResult", "publish"]
