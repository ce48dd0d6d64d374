"""The assembled stack (planar_cfn/template/stack.py): the handles build_template gives
are the template's own resources, and its parameters are looked up by name."""

import pytest

from planar_cfn import StackConfig, build_template


def test_the_handles_are_the_templates_resources():
    built = build_template(StackConfig.for_stage("prod"))
    resources = built.template.resources
    for handle, logical_id in {
        "task_role": "TaskRole",
        "execution_role": "ExecutionRole",
        "task_definition": "TaskDefinition",
        "ecs_cluster": "Cluster",
        "service": "Service",
        "log_group": "ServiceLogGroup",
        "load_balancer": "LoadBalancer",
        "target_group": "TargetGroup",
        "https_listener": "HttpsListener",
        "http_listener": "HttpRedirectListener",
        "certificate": "Certificate",
        "bucket": "AppBucket",
        "database_cluster": "DatabaseCluster",
        "database_writer": "DatabaseWriter",
        "alb_security_group": "LoadBalancerSecurityGroup",
        "service_security_group": "TaskSecurityGroup",
        "database_security_group": "DatabaseSecurityGroup",
    }.items():
        assert getattr(built, handle) is resources[logical_id], handle
    assert built.secrets.custom is resources["CustomSecret"]
    assert built.secrets.registry is resources["RegistryCredentialsSecret"]
    assert built.encryption.key is resources["EncryptionKey"]
    assert built.scaling.target is resources["ServiceScalableTarget"]
    assert built.scaling.cpu_policy is resources["ServiceCpuScalingPolicy"]
    assert built.scaling.requests_policy is resources["ServiceRequestsScalingPolicy"]
    assert built.app_container is resources["TaskDefinition"].ContainerDefinitions[0]
    assert built.parameters["AppName"].to_dict() == {"Ref": "AppName"}
    with pytest.raises(
        KeyError, match="no parameter 'AppNam'; the parameters: AppName, AppEnvironment"
    ):
        built.parameters["AppNam"]
