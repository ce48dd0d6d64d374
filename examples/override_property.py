"""The escape hatch: one property of one built resource, for what StackConfig does not
cover. Prefer a StackConfig field where there is one: an override is yours to keep
working as the stack changes."""

from planar_cfn import StackConfig, build_template

built = build_template(StackConfig.for_stage("prod"))

# A property the stack does not set: ECS moves tasks back into a zone that recovers.
built.override(built.service, "AvailabilityZoneRebalancing", "ENABLED")
# A nested one: start at most half as many new tasks again during a deployment.
built.override(built.service, "DeploymentConfiguration.MaximumPercent", 150)

resources = built.to_dict()["Resources"]
print(resources["Service"]["Properties"]["AvailabilityZoneRebalancing"])
print(resources["Service"]["Properties"]["DeploymentConfiguration"]["MaximumPercent"])

# A name the resource type does not have is refused, with the names it does have.
try:
    built.override(built.target_group, "HealthCheckPth", "/ready")
except ValueError as error:
    print("refused:", str(error).split(";")[0])
