"""Build the prod stack and read its template as a dict."""

from troposphere import GetAtt

from planar_cfn import StackConfig, build_template

built = build_template(StackConfig.for_stage("prod"))
template = built.to_dict()

print(template["Description"])
print(f"{len(template['Resources'])} resources, {len(template['Parameters'])} parameters")
print("database deletion policy:", template["Resources"]["DatabaseCluster"]["DeletionPolicy"])
# The handles are the template's own objects: reference them in resources you add.
print("task role ARN:", GetAtt(built.task_role, "Arn").to_dict())
