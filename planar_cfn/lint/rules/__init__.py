"""The stack's invariants as cfn-lint rules (E9101-E9106) and the deploy-time limits AWS
enforces that a template shows (E92xx): the build runs them with cfn-lint's own rules,
and a user's CI runs them with `cfn-lint --append-rules planar_cfn.lint.rules`.

cfn-lint loads a rule module by importing it and making one of every rule class in its
namespace, so each class is imported here. docs/linting.md lists them and why."""

from ..pack import pack_version
from .bedrock_scoped import BedrockStaysScoped
from .bucket_secure_transport import BucketsRefusePlainHttp
from .certificate_name import CertificateFirstNameFits
from .http_redirects import HttpOnlyRedirectsToHttps
from .https_tls13 import HttpsListenersKeepTls13
from .internet_facing_subnets import InternetFacingSubnetsHeldByRules
from .prod_deletion_protection import ProdDatabaseKeepsDeletionProtection
from .stateful_retain import StatefulResourcesKeepTheirData
from .subnet_count import TwoOrMoreSubnets

# The lint cache's key covers it: an edited rule re-lints every template.
PACK_VERSION = pack_version()

__all__ = [
    "PACK_VERSION",
    "BedrockStaysScoped",
    "BucketsRefusePlainHttp",
    "CertificateFirstNameFits",
    "HttpOnlyRedirectsToHttps",
    "HttpsListenersKeepTls13",
    "InternetFacingSubnetsHeldByRules",
    "ProdDatabaseKeepsDeletionProtection",
    "StatefulResourcesKeepTheirData",
    "TwoOrMoreSubnets",
]
