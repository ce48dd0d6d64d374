"""The documented import path of the options: `from planar_cfn.options import
DeployOptions, PublishOptions`. Defined in planar_cfn.inputs.options."""

from .inputs.options import DeployOptions, PublishOptions

__all__ = ["DeployOptions", "PublishOptions"]
