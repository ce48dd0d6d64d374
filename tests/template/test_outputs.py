"""Stack outputs (planar_cfn/template/outputs.py): the outputs row of docs/stack.md's
components table ("What the stack holds"), asserted on the rendered templates: what
deploy pipelines read is there in every stage, each described."""

# The rows of docs/stack.md's components table these tests assert, and the tests
# that assert each (test_components.py checks the table against every file's rows).
COMPONENTS = {
    "outputs": ("test_outputs",),
}


def test_outputs(template):
    required = {
        "LoadBalancerDnsName",
        "LoadBalancerZoneId",
        "EcsClusterName",
        "EcsServiceName",
        "DatabaseEndpoint",
        "DatabaseReaderEndpoint",
        "BucketName",
        "BucketArn",
        "DatabaseSecretArn",
        "CustomSecretArn",
        "RegistrySecretArn",
        "CertificateArn",
        "DomainName",
        "Region",
        "ContainerImage",
        "ExecutionRoleArn",
        "TaskRoleArn",
        "TaskDefinitionFamily",
    }
    assert required <= set(template["Outputs"])
    assert template["Outputs"]["RegistrySecretArn"]["Condition"] == "UseRegistryCredentials"
    assert all(output.get("Description") for output in template["Outputs"].values())
