"""The switches for what the stack can add around the application: a private ECR
repository for its image, and the task role's access to Bedrock's OpenAI-compatible
Mantle endpoint. Both default to off, so a stack that does not ask builds as before."""

from __future__ import annotations

from .parameter_spec import CONTAINER, SECURITY, ParameterSpec

SPECS: tuple[ParameterSpec, ...] = (
    ParameterSpec(
        "EcrRepository",
        "ecr_repository",
        CONTAINER,
        "ECR repository",
        "true: the stack creates a private ECR repository, planar-app-{stage}-{app} (scanned "
        "on push, tags immutable, old images expired), and the tasks run ContainerImageTag "
        "from it without registry credentials: leave ContainerRegistryUrl, "
        "ContainerImageName and the registry credentials empty, and push the image before "
        "the tasks start. false: the image comes from ContainerRegistryUrl.",
        default="false",
        allowed=("true", "false"),
    ),
    ParameterSpec(
        "BedrockMantle",
        "bedrock_mantle",
        SECURITY,
        "Bedrock Mantle access",
        "true: the task role may run inference through Bedrock's OpenAI-compatible Mantle "
        "endpoint (bedrock-mantle:CreateInference and GetProject on this account's projects "
        "in this region, and CallWithBearerToken); false: no Mantle access. Only for an "
        "application that calls Mantle.",
        default="false",
        allowed=("true", "false"),
    ),
)
