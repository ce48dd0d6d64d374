"""planar-cfn: the Planar application's AWS stack as CloudFormation."""

__version__ = "0.1.0"
