"""Least-privilege access to Bedrock's OpenAI-compatible Mantle endpoint
(bedrock-mantle.{region}.api.aws), in place of the AWS managed policy
AmazonBedrockMantleInferenceAccess (docs/security.md, Bedrock Mantle).

The managed policy allows bedrock-mantle:Get*, List* and CreateInference on every
project of every account and region (arn:aws:bedrock-mantle:*:*:project/*), and
CallWithBearerToken on `*`. Inference needs less: CreateInference and GetProject on
this account's projects in the stack's region, and CallWithBearerToken for a client
that authenticates with a short-term bearer token made from the role's credentials
(the OpenAI SDKs do). Listing projects and reading tags are left out.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from awacs import bedrock_mantle
from awacs.aws import Allow, Statement
from troposphere import Sub

# A Mantle project id as the Bedrock API Reference writes it (projectId:
# proj_{letters and digits}, or default, the project a request without one uses).
PROJECT_ID = re.compile(r"proj_[A-Za-z0-9]+|default")
PROJECT_ID_ALLOWED = "proj_ followed by letters and digits, or default"
# The project resource type (Service Authorization Reference, bedrock-mantle):
# arn:${Partition}:bedrock-mantle:${Region}:${Account}:project/${ProjectId}.
PROJECT_ARN = "arn:${AWS::Partition}:bedrock-mantle:${AWS::Region}:${AWS::AccountId}:project/"


def mantle_statements(
    project_ids: Sequence[str] = (), *, bearer_token: bool = True
) -> list[Statement]:
    """The task-role statements for inference through Bedrock Mantle.

    `project_ids` narrows inference to those projects (each `proj_...` or `default`);
    empty allows every project of the stack's account in its region. `bearer_token`
    adds bedrock-mantle:CallWithBearerToken, which has no resource to scope (the
    managed policy grants it on `*` too); leave it out for a client that signs its
    requests with SigV4. A bad id raises ValueError naming it and what is allowed."""
    if isinstance(project_ids, str):
        raise TypeError(f"project_ids = {project_ids!r}: must be a tuple or list of ids")
    for project in project_ids:
        if not isinstance(project, str) or not PROJECT_ID.fullmatch(project):
            raise ValueError(f"project_ids: {project!r} must be {PROJECT_ID_ALLOWED}")
    resources = [Sub(PROJECT_ARN + project) for project in dict.fromkeys(project_ids or ("*",))]
    statements = [
        Statement(
            Sid="MantleInference",
            Effect=Allow,
            Action=[bedrock_mantle.CreateInference, bedrock_mantle.GetProject],
            Resource=resources,
        )
    ]
    if bearer_token:
        statements.append(
            Statement(
                Sid="MantleBearerToken",
                Effect=Allow,
                Action=[bedrock_mantle.CallWithBearerToken],
                Resource=["*"],
            )
        )
    return statements
