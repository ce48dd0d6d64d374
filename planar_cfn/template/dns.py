"""The application's domain: its ACM certificate and the Route 53 alias."""

from __future__ import annotations

from dataclasses import dataclass

from troposphere import AWSHelperFn, GetAtt, Ref, Template
from troposphere.certificatemanager import Certificate, DomainValidationOption
from troposphere.elasticloadbalancingv2 import LoadBalancer
from troposphere.route53 import AliasTarget, RecordSetType

from ..inputs.parameters import Params
from .naming import Naming


@dataclass(frozen=True)
class Domain:
    """Handles to the application's domain and its certificate."""

    # {app}-{stage}.{base domain}
    name: AWSHelperFn
    certificate: Certificate

    @property
    def certificate_arn(self) -> Ref:
        """The certificate's ARN."""
        return Ref(self.certificate)


def add_certificate(template: Template, naming: Naming, params: Params) -> Domain:
    """Add the ACM certificate of the base domain and the application's domain,
    validated through DNS in the hosted zone."""
    # ACM refuses a first name (Common Name) over 64 octets but takes subject
    # alternative names up to 253 (ACM API Reference, RequestCertificate): the base
    # domain, capped at 64 by its parameter, goes first and the application's own
    # domain, which an app name and a base domain can make longer, follows as a SAN.
    # Validated through DNS in the hosted zone: CloudFormation writes the validation
    # records itself when the zone is in this account.
    base = params["BaseDomainName"]
    certificate = template.add_resource(
        Certificate(
            "Certificate",
            DomainName=base,
            SubjectAlternativeNames=[naming.domain],
            ValidationMethod="DNS",
            DomainValidationOptions=[
                DomainValidationOption(DomainName=name, HostedZoneId=params["HostedZoneId"])
                for name in (base, naming.domain)
            ],
            Tags=naming.tags(naming.domain),
        )
    )
    return Domain(name=naming.domain, certificate=certificate)


def add_alias_record(
    template: Template, params: Params, domain: Domain, load_balancer: LoadBalancer
) -> RecordSetType:
    """Add the Route 53 alias (A) record of the application's domain to the load balancer."""
    return template.add_resource(
        RecordSetType(
            "DnsRecord",
            HostedZoneId=params["HostedZoneId"],
            Name=domain.name,
            Type="A",
            AliasTarget=AliasTarget(
                DNSName=GetAtt(load_balancer, "DNSName"),
                HostedZoneId=GetAtt(load_balancer, "CanonicalHostedZoneID"),
                EvaluateTargetHealth=True,
            ),
        )
    )
