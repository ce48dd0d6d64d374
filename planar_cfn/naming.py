"""Resource names and tags.

Every name is `{prefix}-{stage}-{app_name}` as in the Terraform module. The
longest, `rds-monitoring-role-staging-{app}` (IAM, 64 characters) and
`planar-staging-{app}-{8}` (S3, 63), cap the app name at 36 characters.
"""

from __future__ import annotations

from dataclasses import dataclass

from troposphere import Ref, Select, Split, StackId, Sub, Tags

# Tag values the original module wrote on every resource (SPEC, tags).
FRAMEWORK_VERSION = "0.17"
APP_VERSION = "0.0.1"


@dataclass(frozen=True)
class Naming:
    stage: str

    def name(self, prefix: str, suffix: str = "") -> Sub:
        return Sub(f"{prefix}-{self.stage}-${{AppName}}{suffix}")

    @property
    def domain(self) -> Sub:
        return Sub(f"${{AppName}}-{self.stage}.${{BaseDomainName}}")

    @property
    def bucket_name(self) -> Sub:
        # No random provider in CloudFormation: the first 8 hex digits of the
        # stack's UUID are stable for the stack's life and unique enough per account.
        return Sub(
            f"planar-{self.stage}-${{AppName}}-${{Suffix}}",
            Suffix=Select(0, Split("-", Select(2, Split("/", StackId)))),
        )

    def tags(self, name: Sub | None = None) -> Tags:
        tags = {
            "framework": "planar",
            "framework.version": FRAMEWORK_VERSION,
            "stage": self.stage,
            "app.name": Ref("AppName"),
            "app.version": APP_VERSION,
            "vendor_name": "CoPlane",
            "vendor_contact": "support@coplane.com",
        }
        if name is not None:
            tags["Name"] = name
        return Tags(**tags)

    def stack_tags(self, app_name: str) -> dict[str, str]:
        """The same tags as plain strings, for the stack itself."""
        return {
            tag["Key"]: (app_name if tag["Key"] == "app.name" else tag["Value"])
            for tag in self.tags().to_dict()
        }
