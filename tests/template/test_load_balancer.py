"""The Application Load Balancer (planar_cfn/template/load_balancer.py): the load
balancer, listeners and target group rows of docs/stack.md's components table
("What the stack holds"), asserted on the rendered templates.

GIVEN the template of a stage, WHEN a component is read from it, THEN it holds
the values that page gives (per stage where the stage matters)."""

from tests.cfn import evaluate, props, tags
from tests.template.sample import SAMPLE

# The rows of docs/stack.md's components table these tests assert, and the tests
# that assert each (test_components.py checks the table against every file's rows).
COMPONENTS = {
    "load balancer": ("test_load_balancer",),
    "listeners": (
        "test_https_listener_forwards_with_certificate_and_tls13",
        "test_http_listener_redirects_to_https",
    ),
    "target group": ("test_target_group",),
}


def test_load_balancer(template, stage):
    p = props(template, "LoadBalancer")
    assert p["Type"] == "application"
    assert p["Scheme"] == {"Fn::If": ["AlbIsInternal", "internal", "internet-facing"]}
    public = {"Fn::Split": [",", {"Ref": "AlbSubnets"}]}
    assert p["Subnets"] == {"Fn::If": ["HasAlbSubnets", public, {"Ref": "Subnets"}]}
    protection = {
        "Key": "deletion_protection.enabled",
        "Value": "true" if stage == "prod" else "false",
    }
    assert protection in p["LoadBalancerAttributes"]
    assert (
        evaluate(tags(template["Resources"]["LoadBalancer"])["Name"], SAMPLE) == f"plb-{stage}-shop"
    )


def test_https_listener_forwards_with_certificate_and_tls13(template):
    p = props(template, "HttpsListener")
    assert (p["Port"], p["Protocol"]) == (443, "HTTPS")
    assert p["Certificates"] == [{"CertificateArn": {"Ref": "Certificate"}}]
    assert p["SslPolicy"].startswith("ELBSecurityPolicy-TLS13-")
    assert p["DefaultActions"] == [{"Type": "forward", "TargetGroupArn": {"Ref": "TargetGroup"}}]


# The edge's response headers (docs/security.md): HSTS for a year, and no Server header.
def test_https_listener_sends_hsts_and_no_server_header(template):
    attributes = {
        a["Key"]: a["Value"] for a in props(template, "HttpsListener")["ListenerAttributes"]
    }
    assert attributes == {
        "routing.http.response.strict_transport_security.header_value": (
            "max-age=31536000; includeSubDomains"
        ),
        "routing.http.response.server.enabled": "false",
    }


def test_http_listener_redirects_to_https(template):
    p = props(template, "HttpRedirectListener")
    assert (p["Port"], p["Protocol"]) == (80, "HTTP")
    (action,) = p["DefaultActions"]
    assert action["Type"] == "redirect"
    assert action["RedirectConfig"]["Protocol"] == "HTTPS"
    assert action["RedirectConfig"]["Port"] == "443"
    assert action["RedirectConfig"]["StatusCode"] == "HTTP_301"


def test_target_group(template, stage):
    p = props(template, "TargetGroup")
    expected = {
        "TargetType": "ip",
        "Port": 8000,
        "Protocol": "HTTP",
        "HealthCheckPath": "/planar/v1/health",
        "HealthCheckIntervalSeconds": 30,
        "HealthCheckTimeoutSeconds": 5,
        "HealthyThresholdCount": 2,
        "UnhealthyThresholdCount": 10,
        "Matcher": {"HttpCode": "200-499"},
        "HealthCheckPort": "traffic-port",
    }
    assert {k: p[k] for k in expected} == expected
    assert (
        evaluate(tags(template["Resources"]["TargetGroup"])["Name"], SAMPLE) == f"ptg-{stage}-shop"
    )
    # Named after the load balancer's id: a replaced load balancer brings a new target group.
    alb_arn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/plb-x/50dc6c495c0c9188"
    name = evaluate(p["Name"], {"LoadBalancer": alb_arn})
    assert name == f"ptg-{stage}-50dc6c495c0c9188"
    assert len(name) <= 32
