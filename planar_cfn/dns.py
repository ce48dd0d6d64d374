"""The application's domain: its ACM certificate and the Route 53 alias."""

from __future__ import annotations

from dataclasses import dataclass

from troposphere import AWSHelperFn, GetAtt, Ref, Template
from troposphere.certificatemanager import Certificate, DomainValidationOption
from troposphere.route53 import AliasTarget, RecordSetType

from .naming import Naming
from .parameters import Params


@dataclass(frozen=True)
class Domain:
    name: AWSHelperFn
    certificate_arn: Ref


def add_certificate(template: Template, naming: Naming, params: Params) -> Domain:
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
    return Domain(name=naming.domain, certificate_arn=Ref(certificate))


def add_alias_record(template: Template, params: Params, domain: Domain, load_balancer) -> None:
    template.add_resource(
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
