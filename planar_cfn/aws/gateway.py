"""The one way to AWS. Sessions and clients are made here, as the AWS CLI finds them
(environment, shared config and credentials files, a profile, a region), each client
with botocore's adaptive retry mode for throttling and transient errors. And every AWS
error is translated here, once, into planar_cfn.errors: deploy, publish, the look-ups
and the account checks all speak of AWS the same way."""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import quote, urlparse

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    CredentialRetrievalError,
    HTTPClientError,
    NoCredentialsError,
    PartialCredentialsError,
    ProfileNotFound,
    SSOError,
    TokenRetrievalError,
)
from botocore.exceptions import ConnectionError as NoConnection
from botocore.parsers import ResponseParserError

from .. import errors
from .._version import __version__

if TYPE_CHECKING:
    import boto3

__all__ = [
    "AWS_FAILURES",
    "DEPLOYER",
    "PUBLISHER",
    "RETRIES",
    "Aws",
    "Caller",
    "Clients",
    "aws_errors",
    "call",
    "call_or_none",
    "error_code",
    "error_message",
    "every_page",
    "make_session",
    "note_answers",
    "rejects_credentials",
    "s3_object_url",
    "translate",
    "why",
]

# Throttling and transient errors: retried with client-side rate limiting.
RETRIES = {"max_attempts": 10, "mode": "adaptive"}
_ACCESS_DENIED = frozenset({"AccessDenied", "AccessDeniedException", "403"})
# Codes with which AWS rejects the credentials themselves, whatever the call.
_BAD_CREDENTIALS = frozenset(
    {
        "ExpiredToken",
        "ExpiredTokenException",
        "InvalidClientTokenId",
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
        "UnrecognizedClientException",
    }
)
# Credentials that could not be loaded or refreshed: an SSO session or a credential
# process that expired, keys given by halves.
_CREDENTIALS_UNUSABLE = (
    NoCredentialsError,
    PartialCredentialsError,
    CredentialRetrievalError,
    TokenRetrievalError,
    SSOError,
)
_REFRESH = "refresh them (`aws sso login`, or new access keys)"
# Every way a call fails short of a Ctrl-C: AWS refused it, it never reached AWS, or its
# answer could not be read (botocore's ResponseParserError is no BotoCoreError).
AWS_FAILURES = (ClientError, BotoCoreError, ResponseParserError)


@dataclass(frozen=True)
class Caller:
    """Who calls AWS, as an error names them, and where their IAM policy is written."""

    identity: str
    policy: str
    again: str  # what to do once it is fixed


DEPLOYER = Caller("the deploying identity", "docs/deploying.md", "deploy again")
PUBLISHER = Caller("the publishing identity", "docs/publishing.md", "publish again")


class Clients(Protocol):
    """A region and its clients: an Aws, or in tests a set of stubbed clients."""

    region: str

    def client(self, service: str) -> Any:
        """The client of `service` (boto3's name for it: "cloudformation", "s3"...)."""
        ...


def make_session(profile: str | None = None, region: str | None = None) -> boto3.Session:
    """A session as the AWS CLI would make it; refused, before any call, without a
    profile of that name, a region or credentials."""
    # boto3 takes 0.2 s to import: only commands that talk to AWS pay for it.
    import boto3

    try:
        session = boto3.Session(profile_name=profile or None, region_name=region or None)
    except ProfileNotFound:
        raise errors.InputError(
            f"--profile {profile!r}: no such profile in the AWS config or credentials "
            "files; run `aws configure list-profiles` to see the profiles there"
        ) from None
    # Both checks run, so a new machine learns everything it lacks in one go.
    problems = []
    if not session.region_name:
        problems.append(
            "no AWS region: pass --region, set AWS_REGION or AWS_DEFAULT_REGION, "
            "set region in the stage file, or give the profile a region"
        )
    credentials = session.get_credentials()
    if credentials is None:
        problems.append(
            "no AWS credentials found: pass --profile, set AWS_PROFILE, or set "
            "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (`aws configure` writes a profile)"
        )
    if problems:
        raise (errors.InputError if credentials else errors.CredentialsError)("\n".join(problems))
    return session


class Aws:
    """One session's clients, each made on first use with retries and planar-cfn's
    user agent."""

    def __init__(self, session: boto3.Session) -> None:
        self.session = session
        self.region: str = session.region_name
        self._clients: dict[str, Any] = {}

    @classmethod
    def connect(cls, profile: str | None, region: str | None) -> Aws:
        """The session for this profile and region (None: the AWS CLI's choice)."""
        return cls(make_session(profile, region))

    def client(self, service: str) -> Any:
        """The client of `service`, made once."""
        if service not in self._clients:
            from botocore.config import Config

            config = Config(retries=RETRIES, user_agent_extra=f"planar-cfn/{__version__}")
            self._clients[service] = self.session.client(service, config=config)
            note_answers(self._clients[service])
        return self._clients[service]


@dataclass(frozen=True)
class Answer:
    """What came back to a call whose answer could not be read."""

    operation: str
    status: int | None
    content_type: str


def note_answers(client: Any) -> None:
    """Have an answer `client` cannot read name its call, HTTP status and content type:
    botocore's ResponseParserError carries only the parser's complaint."""
    seen = threading.local()  # the answer being parsed, per thread

    def before_parse(response_dict: Mapping[str, Any], **_: Any) -> None:
        seen.status = response_dict.get("status_code")
        seen.content_type = (response_dict.get("headers") or {}).get("content-type", "")

    def after_error(exception: BaseException, event_name: str, **_: Any) -> None:
        if isinstance(exception, ResponseParserError):
            operation = event_name.rsplit(".", 1)[-1]
            status, kind = getattr(seen, "status", None), getattr(seen, "content_type", "")
            exception.answer = Answer(operation, status, kind)

    events = client.meta.events
    events.register("before-parse.*.*", before_parse, unique_id="planar-cfn-answer")
    events.register("after-call-error.*.*", after_error, unique_id="planar-cfn-unread")


# --- reading AWS's errors -------------------------------------------------------------


def error_code(error: ClientError) -> str:
    """AWS's error code, such as "AccessDenied"; HEAD requests have only a status."""
    return str(error.response.get("Error", {}).get("Code", ""))


def error_message(error: ClientError) -> str:
    """AWS's own words, or "" when it gave none."""
    return str(error.response.get("Error", {}).get("Message", ""))


def why(error: BaseException) -> str:
    """A short reason to put in parentheses: "Code: Message" for AWS's refusals."""
    if isinstance(error, ClientError):
        return f"{error_code(error)}: {error_message(error)}"
    if isinstance(error, KeyboardInterrupt):
        return "interrupted"
    if isinstance(error, ResponseParserError):
        return _unreadable(error)
    return str(error)


def _unreadable(error: ResponseParserError) -> str:
    """ "the answer to Operation could not be read (HTTP 502, text/html: the parser's
    complaint)", without the body that botocore's message ends with."""
    answer: Answer | None = getattr(error, "answer", None)
    complaint = str(error).split(":\n", 1)[0].replace(". Further retries may succeed", "")
    got = [f"HTTP {answer.status}"] if answer and answer.status else []
    got += [answer.content_type] if answer and answer.content_type else []
    to = f"AWS's answer to {answer.operation}" if answer else "an answer from AWS"
    return f"{to} could not be read ({', '.join([*got, complaint])})"


def rejects_credentials(error: BaseException) -> bool:
    """Whether AWS rejected the credentials, or they could not be loaded at all."""
    if isinstance(error, ClientError):
        return error_code(error) in _BAD_CREDENTIALS
    return isinstance(error, _CREDENTIALS_UNUSABLE)


def _service(error: BotoCoreError, action: str) -> str:
    """The service a call was for: the IAM action's prefix, else the endpoint's host."""
    if action:
        return action.split(":")[0]
    host = urlparse(str(error.kwargs.get("endpoint_url", ""))).hostname or ""
    return host.split(".")[0]


def translate(
    error: ClientError | BotoCoreError | ResponseParserError,
    caller: Caller,
    *,
    action: str = "",
    resource: str = "",
    hint: str = "",
    done: Sequence[str] = (),
    denied_hint: str = "",
) -> errors.PlanarError:
    """The named error for a failed call. `action` is the IAM action the call needs,
    named when AWS denies it (with `denied_hint`, what else the call needs); `resource`
    what it was called on; `hint` what to check when AWS refuses it; `done` what the
    run had changed before."""
    on = f" on {resource}" if resource else ""
    if isinstance(error, ClientError):
        code, operation = error_code(error), error.operation_name
        said = (error_message(error) or code).rstrip(".")
        if code in _BAD_CREDENTIALS:
            return errors.CredentialsError(
                f"AWS rejected the credentials on {operation} ({code}): {_REFRESH} "
                f"and {caller.again}",
                done=done,
            )
        if code in _ACCESS_DENIED:
            needs = (
                f"{action}{on} (the policy is in {caller.policy})"
                if action
                else f"the permissions in {caller.policy}"
            )
            return errors.AccessDenied(
                f"AWS denied {operation}{on}: {caller.identity} needs {needs}"
                + (f"; {denied_hint}" if denied_hint else "")
                + f". AWS said: {said}",
                done=done,
            )
        return errors.AwsRefused(
            f"AWS refused {operation}{on} ({code}): {said}" + (f". {hint}" if hint else ""),
            done=done,
        )
    if isinstance(error, ResponseParserError):
        return errors.Unreadable(
            f"{_unreadable(error)}{on}: a proxy or load balancer between here and AWS may "
            "have answered in its place; check the network and any proxy (HTTPS_PROXY)",
            done=done,
        )
    if isinstance(error, _CREDENTIALS_UNUSABLE):
        return errors.CredentialsError(
            f"the AWS credentials could not be used ({error}): {_REFRESH} and {caller.again}",
            done=done,
        )
    service = _service(error, action)
    if isinstance(error, NoConnection | HTTPClientError):
        return errors.Unreachable(
            f"no answer from AWS {service}: {error}; check the network and the region", done=done
        )
    return errors.AwsError(f"the call to AWS {service} failed{on}: {error}", done=done)


@contextmanager
def aws_errors(caller: Caller, done: Sequence[str] = ()) -> Iterator[None]:
    """Inside, an AWS error leaves as its named error and Ctrl-C as Interrupted, each
    carrying `done` (read when it happens, so a list the run appends to will do)."""
    try:
        yield
    except errors.PlanarError as error:
        if not error.done:
            error.done = tuple(done)
        raise
    except AWS_FAILURES as error:
        raise translate(error, caller, done=done) from error
    except errors.Interrupted:
        raise
    except KeyboardInterrupt:
        raise errors.Interrupted(done) from None


def call(
    method: Callable[..., Any],
    caller: Caller,
    *,
    action: str,
    resource: str = "",
    hint: str = "",
    denied_hint: str = "",
    **kwargs: Any,
) -> dict[str, Any]:
    """method(**kwargs), its errors translated; `action` is the IAM action it needs
    (`denied_hint`: what else it needs, said when AWS denies it)."""
    try:
        return dict(method(**kwargs))
    except AWS_FAILURES as error:
        raise translate(
            error,
            caller,
            action=action,
            resource=resource,
            hint=hint,
            denied_hint=denied_hint,
        ) from error


def call_or_none(
    method: Callable[..., Any],
    caller: Caller,
    *,
    absent: Collection[str],
    action: str,
    resource: str = "",
    **kwargs: Any,
) -> dict[str, Any] | None:
    """Like call, but None when AWS answers with an error code in `absent` (not found)."""
    try:
        return dict(method(**kwargs))
    except ClientError as error:
        if error_code(error) in absent:
            return None
        raise translate(error, caller, action=action, resource=resource) from error
    except (BotoCoreError, ResponseParserError) as error:
        raise translate(error, caller, action=action, resource=resource) from error


def every_page(
    client: Any,
    method_name: str,
    caller: Caller,
    *,
    action: str,
    key: str,
    page_size: int | None = None,
    **kwargs: Any,
) -> list[dict[str, Any]]:
    """The `key` items of every page, its errors translated."""
    config = {"PageSize": page_size} if page_size else {}
    try:
        pages = client.get_paginator(method_name).paginate(PaginationConfig=config, **kwargs)
        return [item for page in pages for item in page.get(key, [])]
    except AWS_FAILURES as error:
        raise translate(error, caller, action=action) from error


def s3_object_url(bucket: str, key: str, region: str) -> str:
    """The regional HTTPS URL CloudFormation and Service Catalog read a template from."""
    suffix = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    if "." in bucket:  # a dotted name breaks the TLS certificate of the virtual host
        return f"https://s3.{region}.{suffix}/{bucket}/{quote(key)}"
    return f"https://{bucket}.s3.{region}.{suffix}/{quote(key)}"
