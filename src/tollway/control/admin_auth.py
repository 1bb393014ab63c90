"""Admin API protection: control-plane calls signed with SigV4 by admin keys.

AWS counterpart: the authentication and IAM authorization AWS's own endpoints
(`apigateway.{region}.amazonaws.com`, `lambda.{region}.amazonaws.com`) run on every call.

When it is on (settings `admin_auth`: `auto` turns it on when the admin listener listens beyond
loopback; `on`; `off`):
- every call must be SigV4-signed (header or presigned form, tollway/auth/sigv4.py) for
  Tollway's region and the service's signing name: `apigateway` for apigateway and
  apigatewayv2, `lambda` for the Lambda API;
- the signing key must belong to an identity of the identities file that is an admin
  (`admin: true`: every call), or whose identity policies allow the call: IAM's action and
  resource for it, `apigateway:<HTTP method>` on `arn:aws:apigateway:<region>::<path>` (the
  path without apigatewayv2's `/v2` prefix), `lambda:<Operation>` on the function's ARN (or
  `*` when the call names no function);
- refusals are AWS's: 403 with `x-amzn-ErrorType` MissingAuthenticationTokenException,
  IncompleteSignatureException, InvalidSignatureException, UnrecognizedClientException,
  ExpiredTokenException, or AccessDeniedException (`User: <arn> is not authorized to perform:
  <action> on resource: <resource> because no identity-based policy allows the <action>
  action`), so SDKs raise the matching ClientError.

GetFunction's `Code.Location` is then a URL presigned with the caller's own key (as AWS
answers a presigned S3 URL), valid for 10 minutes; the health check stays open.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from botocore.auth import SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tollway.auth import sigv4
from tollway.auth.identities import Credential, IdentityStore
from tollway.control import errors
from tollway.dataplane.auth.outcome import Decision
from tollway.dataplane.auth.policy import Facts

CONTROL_SERVICES = ("apigateway", "lambda")  # the signing names the admin listener answers
PRESIGNED_SECONDS = 600
# Lambda operations whose IAM action is named otherwise
_LAMBDA_ACTIONS = {"Invoke": "InvokeFunction", "InvokeAsync": "InvokeAsync"}

_ERRORS: dict[type[sigv4.SignatureError], type[errors.ServiceError]] = {
    sigv4.MissingAuthentication: errors.MissingAuthenticationTokenException,
    sigv4.IncompleteSignature: errors.IncompleteSignatureException,
    sigv4.InvalidSignature: errors.InvalidSignatureException,
    sigv4.UnrecognizedClient: errors.UnrecognizedClientException,
    sigv4.ExpiredToken: errors.ExpiredTokenException,
}


@dataclass(frozen=True, slots=True)
class ControlRequest:
    """A control-plane request as SigV4 verification reads it."""

    method: str
    raw_path: str
    query_string: str
    headers: Sequence[tuple[str, str]]
    body: bytes
    source_ip: str = ""


class AdminAuth:
    def __init__(self, identities: IdentityStore, region: str, account_id: str) -> None:
        self.identities = identities
        self.region = region
        self.account_id = account_id

    def authenticate(
        self, request: ControlRequest, services: Collection[str] = CONTROL_SERVICES
    ) -> Credential:
        """The key that signed the request; a ServiceError (AWS's refusal) otherwise."""
        try:
            return sigv4.verify(
                request, self.identities.credential, region=self.region, services=services
            )
        except sigv4.SignatureError as error:
            raise _ERRORS[type(error)](error.message) from None

    def authorize(
        self,
        credential: Credential,
        request: ControlRequest,
        service: str,
        operation: str,
        labels: Mapping[str, str],
    ) -> None:
        """Refuses (AccessDeniedException) a caller that is no admin and whose policies do
        not allow the call."""
        principal = credential.principal
        if principal.admin:
            return
        if service == "lambda":
            action = f"lambda:{_LAMBDA_ACTIONS.get(operation, operation)}"
            resource = self._function_arn(labels.get("FunctionName"))
        else:
            action = f"apigateway:{request.method}"
            path = request.raw_path.removeprefix("/v2")
            resource = f"arn:aws:apigateway:{self.region}::{path}"
        decision = Decision.IMPLICIT
        if principal.policy is not None:
            facts = Facts(
                {
                    **credential.condition_keys(),
                    "aws:SourceIp": request.source_ip,
                    "aws:RequestedRegion": self.region,
                    "aws:CurrentTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                    "aws:EpochTime": str(int(time.time())),
                }
            )
            decision = principal.policy.evaluate(action, resource, facts=facts)
        if decision is Decision.ALLOW:
            return
        why = (
            "with an explicit deny in an identity-based policy"
            if decision is Decision.DENY
            else f"because no identity-based policy allows the {action} action"
        )
        raise errors.AccessDeniedException(
            f"User: {credential.arn} is not authorized to perform: {action} on resource: "
            f"{resource} {why}"
        )

    def _function_arn(self, name: str | None) -> str:
        if not name:
            return "*"
        if name.startswith("arn:"):
            return name
        return f"arn:aws:lambda:{self.region}:{self.account_id}:function:{name}"

    def presign(self, url: str, credential: Credential) -> str:
        """`url` presigned with the caller's key (service `lambda`), for downloads."""
        request = AWSRequest(method="GET", url=url)
        keys = Credentials(
            credential.access_key_id, credential.secret_access_key, credential.session_token
        )
        SigV4QueryAuth(keys, "lambda", self.region, expires=PRESIGNED_SECONDS).add_auth(request)
        return str(request.url)


def control_request(
    scope: Mapping[str, Any], path: str, headers: Sequence[tuple[str, str]], body: bytes
) -> ControlRequest:
    client = scope.get("client") or ("", 0)
    return ControlRequest(
        scope["method"], path, scope["query_string"].decode("latin-1"), headers, body, client[0]
    )
