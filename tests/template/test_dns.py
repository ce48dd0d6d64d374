"""The application's domain (planar_cfn/template/dns.py): the certificate and DNS
record rows of docs/stack.md's components table ("What the stack holds"), asserted
on the rendered templates.

GIVEN the template of a stage, WHEN a component is read from it, THEN it holds
the values that page gives (per stage where the stage matters)."""

from tests.cfn import evaluate, only, props
from tests.template.sample import SAMPLE

# The rows of docs/stack.md's components table these tests assert, and the tests
# that assert each (test_components.py checks the table against every file's rows).
COMPONENTS = {
    "certificate": ("test_certificate_validated_by_dns_in_the_zone",),
    "DNS record": ("test_route53_alias_to_the_load_balancer",),
}


def test_certificate_validated_by_dns_in_the_zone(template, stage):
    p = props(template, "Certificate")
    # The base domain (at most 64 characters) is the first name; the app's domain, which
    # may be longer than ACM's 64-octet limit on a first name, is a SAN (up to 253).
    assert evaluate(p["DomainName"], SAMPLE) == "example.com"
    assert evaluate(p["SubjectAlternativeNames"], SAMPLE) == [f"shop-{stage}.example.com"]
    assert p["ValidationMethod"] == "DNS"
    options = p["DomainValidationOptions"]
    assert [o["HostedZoneId"] for o in options] == [{"Ref": "HostedZoneId"}] * 2
    assert [evaluate(o["DomainName"], SAMPLE) for o in options] == [
        "example.com",
        f"shop-{stage}.example.com",
    ]


def test_route53_alias_to_the_load_balancer(template, stage):
    _, record = only(template, "AWS::Route53::RecordSet")
    p = record["Properties"]
    assert evaluate(p["Name"], SAMPLE) == f"shop-{stage}.example.com"
    assert p["Type"] == "A"
    assert p["AliasTarget"] == {
        "DNSName": {"Fn::GetAtt": ["LoadBalancer", "DNSName"]},
        "HostedZoneId": {"Fn::GetAtt": ["LoadBalancer", "CanonicalHostedZoneID"]},
        "EvaluateTargetHealth": True,
    }
