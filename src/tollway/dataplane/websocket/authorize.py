"""`$connect` authorization with a Lambda REQUEST authorizer (spec §5.10).

AWS counterpart: "Controlling access to WebSocket APIs with AWS Lambda REQUEST authorizers".
Only `$connect` is authorized; the answer holds for the whole connection. Identity sources
`route.request.header.X` and `route.request.querystring.Y` (also `stageVariables.Z` and
`context.Z`) must all be present and non-empty, else 401 without calling the function. The
function (lambda_core.py: source ARN `{api}/authorizers/{id}`, 10 s, errors mapped) gets the
event of events.py; its IAM-policy answer is evaluated against
`arn:aws:execute-api:{region}:{account}:{api}/{stage}/$connect`: Allow connects, anything else
403 `{"message":"Forbidden"}` (HTTP APIs' body; AWS's WebSocket body is UNCONFIRMED); a
function error `Unauthorized` 401 `{"message":"Unauthorized"}`; an unusable answer 500. The
allowed answer's `principalId` and context are the events' `requestContext.authorizer`.

AWS_IAM (`ConnectIam`): the handshake's SigV4 signature (an `Authorization` header or a
presigned URL's query, service `execute-api`) is verified as for HTTP API routes
(dataplane/auth/iam.py) and the caller's policies evaluated for `execute-api:Invoke` on the
`$connect` ARN; an unsigned or badly signed handshake, or one the policies do not allow, is
refused with 403 `{"message":"Forbidden"}` (HTTP APIs' answer; AWS's WebSocket body is
UNCONFIRMED). The caller's identity (`accessKey`, `accountId`, `caller`, `user`, `userArn`)
joins `requestContext.identity` of the connection's events.

Not here yet (said by a deployment warning): result caching (`AuthorizerResultTtlInSeconds`
is ignored, every connection calls the function).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from tollway.dataplane.auth.iam import build_iam
from tollway.dataplane.auth.lambda_core import (
    AuthorizerFunction,
    authorizer_source_arn,
    parse_policy_answer,
)
from tollway.dataplane.auth.outcome import AuthorizerResult, CallerIdentity, Decision
from tollway.dataplane.context import Request
from tollway.dataplane.errors import GatewayError, Unauthorized
from tollway.dataplane.integrations import substitute_stage_variables
from tollway.dataplane.websocket.events import Connection, authorizer_event
from tollway.model.arns import lambda_function_of

if TYPE_CHECKING:
    from tollway.dataplane.integrations import IntegrationServices

Getter = Callable[[Connection], str | None]


class Refused(Exception):
    """The upgrade is refused with `status` (401, 403 or 500)."""

    def __init__(self, status: int, message: str, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.message = message


def identity_getter(source: str) -> Getter | None:
    source = source.strip()
    for prefix, kind in (
        ("route.request.header.", "header"),
        ("route.request.querystring.", "query"),
        ("stageVariables.", "stage"),
        ("context.", "context"),
    ):
        if source.startswith(prefix):
            name = source[len(prefix) :]
            if kind == "header":
                return lambda c: c.header(name)
            if kind == "query":
                return lambda c: next((v for k, v in reversed(c.query()) if k == name), None)
            if kind == "stage":
                return lambda c: c.stage_variables.get(name)
            return lambda c: c.context.get(name)
    return None


class ConnectAuthorizer:
    def __init__(self, function: AuthorizerFunction, sources: tuple[Getter, ...]) -> None:
        self._function = function
        self._sources = sources

    async def authorize(self, conn: Connection, context: dict[str, Any], method_arn: str) -> None:
        """Sets `conn.authorizer`/`conn.context` when allowed; raises Refused otherwise."""
        for get in self._sources:
            if not get(conn):
                raise Refused(401, "Unauthorized", "an identity source is missing or empty")
        try:
            invocation = await self._function.call(authorizer_event(conn, context, method_arn))
            answer = parse_policy_answer(invocation.answer)
        except Unauthorized as e:
            raise Refused(401, "Unauthorized", str(e)) from None
        except GatewayError as e:
            raise Refused(500, "Internal server error", str(e)) from None
        if answer.decide(method_arn) is not Decision.ALLOW:
            # v2's body, as HTTP APIs answer a Deny (the WebSocket body is UNCONFIRMED)
            raise Refused(403, "Forbidden", "the authorizer's policy does not allow $connect")
        values = answer.context_strings()
        conn.authorizer = {**values, "principalId": answer.principal_id}
        conn.context = conn.authorizer
        conn.usage_identifier_key = answer.usage_identifier_key


class _IamContext:
    """What IAM authorization reads and fills (auth/iam.py `IamContext`)."""

    __slots__ = ("request", "identity", "authorizer", "method_arn")

    def __init__(self, request: Request, method_arn: str) -> None:
        self.request = request
        self.method_arn = method_arn
        self.identity: CallerIdentity | None = None
        self.authorizer: AuthorizerResult | None = None


class ConnectIam:
    def __init__(self, services: IntegrationServices, warnings: list[str]) -> None:
        self._iam = build_iam(services, _method_arn, warnings, http_api=True)

    async def authorize(self, conn: Connection, request: Request, method_arn: str) -> None:
        """Fills `conn.identity`; raises Refused (403) when the caller may not connect."""
        ctx = _IamContext(request, method_arn)
        try:
            decision = await self._iam.authorize(ctx)
        except GatewayError as e:
            raise Refused(403, "Forbidden", str(e)) from None
        if decision is not Decision.ALLOW:
            raise Refused(403, "Forbidden", str(self._iam.denied(ctx, decision)))
        identity = ctx.identity
        assert identity is not None
        conn.identity = {
            "accessKey": identity.access_key,
            "accountId": identity.account_id,
            "caller": identity.caller,
            "user": identity.user,
            "userArn": identity.user_arn,
        }


def _method_arn(ctx: _IamContext) -> str:
    return ctx.method_arn


def build_authorizer(
    api_id: str,
    stage_name: str,
    authorizer: dict[str, Any],
    variables: dict[str, str],
    services: IntegrationServices,
    warnings: list[str],
) -> ConnectAuthorizer:
    name = f"authorizer {authorizer.get('Name', authorizer['AuthorizerId'])}"
    sources = []
    for source in authorizer.get("IdentitySource") or []:
        get = identity_getter(source)
        if get is None:
            warnings.append(f"{name}: identity source {source} is not supported on WebSocket "
                            "APIs (connections are refused with 401)")  # fmt: skip
            get = _missing
        sources.append(get)
    if int(authorizer.get("AuthorizerResultTtlInSeconds") or 0) > 0:
        warnings.append(f"{name}: authorizer result caching is not supported on WebSocket "
                        "APIs yet; every connection calls the function")  # fmt: skip
    uri = substitute_stage_variables(authorizer.get("AuthorizerUri", ""), variables)
    function = AuthorizerFunction(
        lambda_function_of(uri) or uri,
        services.functions,
        authorizer_source_arn(
            services.region, services.account_id, api_id, authorizer["AuthorizerId"]
        ),
    )
    return ConnectAuthorizer(function, tuple(sources))


def _missing(conn: Connection) -> None:
    return None
