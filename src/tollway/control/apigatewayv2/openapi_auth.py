"""ImportApi / ExportApi: authorizers (security schemes with `x-amazon-apigateway-authorizer`)
and route authorization (`security`, `x-amazon-apigateway-auth`), in both directions.

A security scheme with `x-amazon-apigateway-authorizer` of type `jwt` becomes a JWT authorizer
(`jwtConfiguration` {issuer, audience}, `identitySource`), of type `request` a Lambda REQUEST
authorizer (`authorizerUri`, `authorizerPayloadFormatVersion`, `enableSimpleResponses`,
`identitySource`, `authorizerResultTtlInSeconds`, `authorizerCredentials`), named after the
scheme and checked as CreateAuthorizer checks it. A scheme whose
`x-amazon-apigateway-authtype` begins with `aws` (`awsSigv4`) means IAM.

An operation's `security` names one scheme (its list the JWT scopes): the route gets
AuthorizationType JWT or CUSTOM and the authorizer, or AWS_IAM; `x-amazon-apigateway-auth`
`{type: AWS_IAM}` also means IAM. AWS refuses more than one security requirement per
operation (spec §15.1); so does Tollway. Without `security`, the document's root `security`
applies; `security: []` means none.

Lambda (REQUEST) authorizers are enforced by the gateway (dataplane/auth/lambda_http.py);
`authorizerResultTtlInSeconds` left out is 0, as with CreateAuthorizer
(lambda_authorizers.py). Choices where AWS's documentation is silent:
- A jwt authorizer without `identitySource` reads `$request.header.Authorization`.
- Schemes without an authorizer (and not IAM) are ignored with a warning; an operation that
  names one gets no authorization, with a warning.
- `identitySource` may be a comma-separated string (as REST writes it) or a list.
- ExportApi writes a JWT authorizer as an `oauth2` scheme with no flows and a REQUEST
  authorizer as an `apiKey` scheme on its first identity source's header (or query
  parameter), as AWS's exports show; IAM routes carry `x-amazon-apigateway-auth`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from tollway.control.apigateway.openapi_common import AUTH, AUTHORIZER, AUTHTYPE, describe
from tollway.control.apigateway.openapi_document import Operation
from tollway.control.apigatewayv2.parts import check_authorizer
from tollway.control.errors import ServiceError
from tollway.model import ids
from tollway.model.http_api import ApiDefinition

if TYPE_CHECKING:
    from tollway.control.apigatewayv2.openapi_import import Import

IAM = "AWS_IAM"
_REQUEST_FIELDS = {
    "authorizerUri": "AuthorizerUri",
    "authorizerPayloadFormatVersion": "AuthorizerPayloadFormatVersion",
    "enableSimpleResponses": "EnableSimpleResponses",
    "authorizerResultTtlInSeconds": "AuthorizerResultTtlInSeconds",
    "authorizerCredentials": "AuthorizerCredentialsArn",
}


def import_authorizers(work: Import) -> dict[str, str]:
    """Scheme name -> AuthorizerId (or `AWS_IAM`) for the schemes routes may name."""
    out: dict[str, str] = {}
    for name, scheme in work.doc.security_schemes.items():
        if str(scheme.get(AUTHTYPE, "")).lower().startswith("aws"):
            out[name] = IAM
        elif AUTHORIZER in scheme:
            authorizer = _authorizer(work, name, scheme[AUTHORIZER])
            if authorizer is not None:
                work.definition["Authorizers"][authorizer["AuthorizerId"]] = authorizer
                out[name] = authorizer["AuthorizerId"]
        else:
            work.warnings.append(
                f"Security scheme '{name}' is ignored: HTTP APIs authorize with JWT or Lambda "
                f"authorizers ({AUTHORIZER}) or IAM."
            )
    return out


def _authorizer(work: Import, name: str, raw: Any) -> dict[str, Any] | None:
    failure = f"Unable to create authorizer '{name}'"
    if not isinstance(raw, dict):
        work.errors.append(f"{failure}: {AUTHORIZER} must be an object, found {describe(raw)}")
        return None
    kind = str(raw.get("type", "")).upper()
    authorizer: dict[str, Any] = {"AuthorizerId": ids.part_id(), "Name": name}
    if kind == "JWT":
        config = raw.get("jwtConfiguration") or {}
        authorizer["AuthorizerType"] = "JWT"
        authorizer["JwtConfiguration"] = {
            k.capitalize(): v for k, v in config.items() if k in ("issuer", "audience")
        }
    elif kind == "REQUEST":
        authorizer["AuthorizerType"] = "REQUEST"
        for key, member in _REQUEST_FIELDS.items():
            if raw.get(key) is not None:
                authorizer[member] = raw[key]
        version = authorizer.get("AuthorizerPayloadFormatVersion")
        if isinstance(version, float):
            authorizer["AuthorizerPayloadFormatVersion"] = str(version)
    else:
        work.warnings.append(
            f"Security scheme '{name}' is ignored: authorizer type {raw.get('type')} is not "
            "supported for HTTP APIs (jwt or request)."
        )
        return None
    source = raw.get("identitySource")
    if source is None and kind == "JWT":
        source = "$request.header.Authorization"  # what a bearer token comes in
    if isinstance(source, str):
        source = [s.strip() for s in source.split(",") if s.strip()]
    if source is not None:
        authorizer["IdentitySource"] = source
    try:
        check_authorizer(True, authorizer)
    except ServiceError as e:
        work.errors.append(f"{failure}: {e.message}")
        return None
    return authorizer


def route_authorization(
    work: Import, op: Operation, authorizers: dict[str, str], fields: dict[str, Any], failure: str
) -> bool:
    """Sets the route's authorization members from the operation; False when refused."""
    security = op.security if op.security is not None else work.doc.security
    auth = op.extensions.get(AUTH)
    iam = isinstance(auth, dict) and str(auth.get("type", "")).upper() == IAM
    names = [
        (name, scopes) for requirement in security or [] for name, scopes in requirement.items()
    ]
    if len(names) + iam > 1:
        work.errors.append(
            f"{failure}: an operation can have only one of IAM authorization, a Lambda "
            "authorizer or a JWT authorizer; multiple security requirements are not supported"
        )
        return False
    if iam:
        fields["AuthorizationType"] = IAM
    for name, scopes in names:
        target = authorizers.get(name)
        if target is None:
            work.warnings.append(f"Security requirement '{name}' of {op.label} is ignored: no "
                                 "authorizer or IAM scheme has that name.")  # fmt: skip
        elif target == IAM:
            fields["AuthorizationType"] = IAM
        else:
            kind = work.definition["Authorizers"][target]["AuthorizerType"]
            fields["AuthorizationType"] = "JWT" if kind == "JWT" else "CUSTOM"
            fields["AuthorizerId"] = target
            if scopes:
                fields["AuthorizationScopes"] = scopes
    return True


# --- export ---------------------------------------------------------------------------------


def export_route_security(
    definition: ApiDefinition, route: dict[str, Any], out: dict[str, Any]
) -> None:
    """Writes the route's authorization onto its operation `out`."""
    kind = route.get("AuthorizationType", "NONE")
    authorizer = definition["Authorizers"].get(route.get("AuthorizerId") or "")
    if kind == IAM:
        out[AUTH] = {"type": IAM}
    elif authorizer is not None:
        out["security"] = [{authorizer["Name"]: list(route.get("AuthorizationScopes") or [])}]


def export_schemes(definition: ApiDefinition, extensions: bool) -> dict[str, Any]:
    schemes: dict[str, Any] = {}
    for authorizer in definition["Authorizers"].values():
        sources = list(authorizer.get("IdentitySource") or [])
        extension: dict[str, Any] = {"identitySource": ",".join(sources)}
        if authorizer.get("AuthorizerType") == "JWT":
            scheme: dict[str, Any] = {"type": "oauth2", "flows": {}}
            config = authorizer.get("JwtConfiguration") or {}
            extension["jwtConfiguration"] = {k.lower(): v for k, v in config.items()}
            extension["type"] = "jwt"
        else:
            first = sources[0] if sources else "$request.header.Authorization"
            where, _, header = first.removeprefix("$request.").partition(".")
            location = "query" if where == "querystring" else "header"
            scheme = {"type": "apiKey", "name": header or "Authorization", "in": location}
            for key, member in _REQUEST_FIELDS.items():
                if authorizer.get(member) is not None:
                    extension[key] = authorizer[member]
            extension["type"] = "request"
        if extensions:
            scheme[AUTHORIZER] = extension
        schemes[cast(str, authorizer["Name"])] = scheme
    return schemes
