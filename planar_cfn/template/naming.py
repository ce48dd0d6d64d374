"""Resource names and tags.

Every name is `{prefix}-{stage}-{app_name}` as in the Terraform module. The
longest, `rds-monitoring-role-staging-{app}` and `bucket-emptier-role-staging-{app}`
(IAM, 64 characters) and
`planar-staging-{app}-{8}` (S3, 63), cap the app name at 36 characters, and a stage
name at staging's 7 (stages.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from troposphere import AWSHelperFn, Select, Split, StackId, Sub, Tags

# Tag values the original module wrote on every resource (docs/stack.md, Naming and tags).
FRAMEWORK = "planar"
FRAMEWORK_VERSION = "0.17"
VENDOR_NAME = "CoPlane"
VENDOR_CONTACT = "support@coplane.com"
# The seven tags every taggable resource carries (docs/stack.md, Naming and tags), and the Name tag that
# named resources carry as well: extra tags may not take these keys.
COMMON_TAG_KEYS = (
    "framework",
    "framework.version",
    "stage",
    "app.name",
    "app.version",
    "vendor_name",
    "vendor_contact",
)
NAME_TAG = "Name"


def _common_tags(stage: str, app_name: object, app_version: object) -> dict[str, object]:
    return {
        "framework": FRAMEWORK,
        "framework.version": FRAMEWORK_VERSION,
        "stage": stage,
        "app.name": app_name,
        "app.version": app_version,
        "vendor_name": VENDOR_NAME,
        "vendor_contact": VENDOR_CONTACT,
    }


@dataclass(frozen=True)
class Naming:
    """Names and tags of one stage's resources.

    `app_name` and `app_version` are the template's references to the AppName and
    ContainerImageTag parameters; `extra_tags` are a caller's own tags, added to the
    common ones on every taggable resource.
    """

    stage: str
    app_name: AWSHelperFn
    # The image tag the service runs: the application's version (docs/stack.md, Components).
    app_version: AWSHelperFn
    extra_tags: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def name(self, prefix: str, suffix: str = "") -> Sub:
        """`{prefix}-{stage}-{app name}{suffix}`, resolved when the stack is created."""
        return Sub(f"{prefix}-{self.stage}-${{AppName}}{suffix}")

    @property
    def domain(self) -> Sub:
        """The application's domain, `{app name}-{stage}.{base domain}`."""
        return Sub(f"${{AppName}}-{self.stage}.${{BaseDomainName}}")

    @property
    def bucket_name(self) -> Sub:
        """`planar-{stage}-{app name}-{8 hex digits of the stack id}`."""
        # No random provider in CloudFormation: the first 8 hex digits of the
        # stack's UUID are stable for the stack's life and unique enough per account.
        return Sub(
            f"planar-{self.stage}-${{AppName}}-${{Suffix}}",
            Suffix=Select(0, Split("-", Select(2, Split("/", StackId)))),
        )

    def tags(self, name: Sub | None = None, *, versioned: bool = True) -> Tags:
        """The common tags, the extra tags and, when given, a Name tag. `versioned`
        False leaves app.version out, for a resource an image-only update must not
        touch."""
        tags = {
            **_common_tags(self.stage, self.app_name, self.app_version),
            **self.extra_tags,
        }
        if not versioned:
            del tags["app.version"]
        if name is not None:
            tags[NAME_TAG] = name
        return Tags(**tags)


def stack_tags(stage: str, app_name: str) -> dict[str, str]:
    """The stack's own tags, as plain strings, sorted by key.

    The same as the resources' common tags but for app.version: an image-only update
    (`--image-tag`) sends no tags, so a stack tag would keep the first image's tag;
    the resources carry the running image's tag through the ContainerImageTag
    parameter instead."""
    tags = _common_tags(stage, app_name, None)
    del tags["app.version"]
    return {key: str(value) for key, value in sorted(tags.items())}
