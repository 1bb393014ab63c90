"""ImportApi / ReimportApi: an operation's `x-amazon-apigateway-integration` as the members of
CreateIntegration, and back (ExportApi).

Field types are read with the REST importer's readers (apigateway.openapi_integrations:
`type: aws_proxy` stored upper case, `timeoutInMillis` as a number, ...); the members are then
checked by integrations.build_integration as CreateIntegration checks them.

HTTP APIs take `aws_proxy` (Lambda, or an AWS service with `integrationSubtype`) and
`http_proxy` integrations only; AWS reports other types (aws, http, mock) as a warning, and
the operation's route is created without the integration. REST-only fields
(`passthroughBehavior`, `requestTemplates`, `responses`, `contentHandling`, cache keys) are
ignored and reported as import information; unknown fields as warnings.

Choices where AWS's documentation is silent:
- Without `payloadFormatVersion`, CreateIntegration's default for HTTP APIs applies (1.0).
  AWS documents the field as required for HTTP APIs; Tollway accepts its absence.
- `payloadFormatVersion` written as a number (`1.0`, as in AWS's own example) is read as text.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from tollway.control.apigateway.openapi_common import INTEGRATION, describe
from tollway.control.apigateway.openapi_integrations import FIELD_READERS
from tollway.control.apigateway.openapi_parts import string_map
from tollway.control.apigatewayv2.rules import HTTP_API_TYPES

if TYPE_CHECKING:
    from tollway.control.apigatewayv2.openapi_import import Import

# OpenAPI field -> CreateIntegration member, in the order ExportApi writes them (AWS's order).
MEMBERS = {
    "responseParameters": "ResponseParameters",
    "requestParameters": "RequestParameters",
    "payloadFormatVersion": "PayloadFormatVersion",
    "integrationSubtype": "IntegrationSubtype",
    "type": "IntegrationType",
    "credentials": "CredentialsArn",
    "httpMethod": "IntegrationMethod",
    "uri": "IntegrationUri",
    "connectionType": "ConnectionType",
    "connectionId": "ConnectionId",
    "timeoutInMillis": "TimeoutInMillis",
    "tlsConfig": "TlsConfig",
}
_REST_ONLY = ("passthroughBehavior", "requestTemplates", "responses", "contentHandling",
              "cacheKeyParameters", "cacheNamespace")  # fmt: skip


def integration_fields(work: Import, raw: Any, label: str, failure: str) -> dict[str, Any] | None:
    """CreateIntegration's members for the extension, or None when the integration is left
    out (a warning in `work.warnings`) or refused (an error in `work.errors`)."""
    if not isinstance(raw, dict):
        work.errors.append(f"{failure}: {INTEGRATION} must be an object, found {describe(raw)}")
        return None
    fields: dict[str, Any] = {}
    problems: list[str] = []
    place = f"of {INTEGRATION} of {label}"
    for key, value in raw.items():
        if value is None:
            continue
        if key in _REST_ONLY:
            work.info.append(f"{key} in {INTEGRATION} of {label} is ignored: HTTP APIs do not "
                             "support it.")  # fmt: skip
        elif key not in MEMBERS:
            work.warnings.append(f"Unknown field '{key}' in {INTEGRATION} of {label} is ignored.")
        else:
            converted = _read(key, value, place, work.warnings)
            if converted is None:
                problems.append(f"{key} must be {_EXPECTED.get(key, 'a string')}, found "
                                f"{describe(value)}")  # fmt: skip
            else:
                fields[MEMBERS[key]] = converted
    work.errors.extend(f"{failure}: {problem}" for problem in problems)
    if problems:
        return None
    kind = fields.get("IntegrationType")
    if kind not in HTTP_API_TYPES:
        work.warnings.append(
            f"The integration of {label} (type {str(raw.get('type')).lower()}) is ignored: "
            "HTTP APIs support only Lambda proxy (aws_proxy) and HTTP proxy (http_proxy) "
            "integrations."
        )
        return None
    return fields


_EXPECTED = {"timeoutInMillis": "a number", "tlsConfig": "an object",
             "requestParameters": "an object", "responseParameters": "an object"}  # fmt: skip


def _read(key: str, value: Any, place: str, warnings: list[str]) -> Any:
    if key == "payloadFormatVersion":
        ok = isinstance(value, str) or (isinstance(value, float) and not isinstance(value, bool))
        return str(value) if ok else None
    if key == "integrationSubtype":
        return value if isinstance(value, str) else None
    if key == "requestParameters":
        return string_map(value, key, place, warnings)
    if key == "responseParameters":
        if not isinstance(value, dict):
            return None
        maps = {str(status): string_map(m, key, place, warnings) for status, m in value.items()}
        return {status: m for status, m in maps.items() if m is not None}
    if key == "tlsConfig":
        name = value.get("serverNameToVerify") if isinstance(value, dict) else None
        return {"ServerNameToVerify": name} if isinstance(name, str) else None
    read, _ = FIELD_READERS[key]
    return read(value)


def export_integration(integration: Mapping[str, Any]) -> dict[str, Any]:
    """The extension as ExportApi writes it: AWS's field order, enum values in lower case."""
    out: dict[str, Any] = {}
    for key, member in MEMBERS.items():
        value = integration.get(member)
        if value is None or value == {}:
            continue
        if key == "type":
            value = str(value).lower()
        elif key == "tlsConfig":
            value = {"serverNameToVerify": value.get("ServerNameToVerify")}
        out[key] = value
    return out
