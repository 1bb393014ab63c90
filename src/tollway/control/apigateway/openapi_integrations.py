"""ImportRestApi / PutRestApi: an operation's `x-amazon-apigateway-integration` as
PutIntegration and PutIntegrationResponse would store it.

Field types are checked first (a wrong type is reported, not passed on), enum values written
in lowercase in OpenAPI (`type: aws_proxy`, `passthroughBehavior: when_no_match`) are stored
uppercase, then `rules.new_integration` / `rules.new_integration_response` apply AWS's checks
and defaults. Problems are reported as `Unable to put integration on 'GET' for resource at path
'/pets': <message>`; string maps with entries of another type lose those entries with AWS's
warning (`Invalid format for 'requestParameters'. Expected type string for property ...`).

Choices where AWS's documentation is silent:
- `responses` keys become selection patterns (`default`: none). Integration responses are keyed
  by status code, so when two keys give the same status the later one is kept and a warning
  says so. A response without `statusCode` is refused.
- Fields that only HTTP APIs use (`payloadFormatVersion`, `integrationSubtype`) are ignored
  silently; other unknown fields are ignored with a warning.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tollway.control.apigateway import rules
from tollway.control.apigateway.openapi_common import INTEGRATION, describe
from tollway.control.apigateway.openapi_document import Operation
from tollway.control.apigateway.openapi_parts import ImportContext, status_text
from tollway.control.errors import ServiceError
from tollway.model.rest import Integration, IntegrationResponse

_HTTP_API_FIELDS = ("payloadFormatVersion", "integrationSubtype")
_RESPONSE_FIELDS = ("statusCode", "responseParameters", "responseTemplates", "contentHandling")


def build_integration(ctx: ImportContext, op: Operation, resource_id: str) -> Integration | None:
    """The method's integration, or None when it is refused (reported in `ctx.errors`)."""
    return _IntegrationBuilder(ctx, op, resource_id).build(op.extensions[INTEGRATION])


class _IntegrationBuilder:
    def __init__(self, ctx: ImportContext, op: Operation, resource_id: str) -> None:
        self.ctx = ctx
        self.op = op
        self.resource_id = resource_id
        self.on = f"'{op.verb}' for resource at path '{op.path}'"

    def build(self, raw: Any) -> Integration | None:
        failure = f"Unable to put integration on {self.on}"
        if not isinstance(raw, dict):
            self.ctx.errors.append(f"{failure}: {INTEGRATION} must be an object, found "
                                   f"{describe(raw)}")  # fmt: skip
            return None
        problems: list[str] = []
        fields = self._integration_fields(raw, problems)
        fields["integrationResponses"] = self._integration_responses(raw.get("responses"))
        self.ctx.errors.extend(f"{failure}: {problem}" for problem in problems)
        if problems:
            return None
        try:
            return rules.new_integration(self.resource_id, fields)
        except ServiceError as e:
            self.ctx.errors.append(f"{failure}: {e.message}")
            return None

    def _integration_fields(self, raw: dict[str, Any], problems: list[str]) -> dict[str, Any]:
        place = f"of resource '{self.op.path}' and method '{self.op.verb}'"
        fields: dict[str, Any] = {}
        for key, value in raw.items():
            if value is None or key == "responses" or key in _HTTP_API_FIELDS:
                continue
            if key in ("requestParameters", "requestTemplates"):
                nulls = key == "requestTemplates"
                fields[key] = self.ctx.string_map(value, key, place, nulls=nulls)
            elif key in FIELD_READERS:
                read, expected = FIELD_READERS[key]
                converted = read(value)
                if converted is None:
                    problems.append(f"{key} must be {expected}, found {describe(value)}")
                else:
                    fields[key] = converted
            else:
                self.ctx.warnings.append(
                    f"Unknown field '{key}' in {INTEGRATION} of {self.op.label} is ignored."
                )
        return fields

    def _integration_responses(self, raw: Any) -> dict[str, IntegrationResponse]:
        failure = f"Unable to put integration response on {self.on}"
        if raw is None:
            return {}
        if not isinstance(raw, dict):
            self.ctx.errors.append(f"{failure}: responses must be an object, found "
                                   f"{describe(raw)}")  # fmt: skip
            return {}
        out: dict[str, IntegrationResponse] = {}
        patterns: dict[str, str] = {}
        for pattern, config in raw.items():
            response = self._integration_response(pattern, config, failure)
            if response is None:
                continue
            status = response["statusCode"]
            if status in out:
                self.ctx.warnings.append(
                    f"Integration responses '{patterns[status]}' and '{pattern}' of "
                    f"{self.op.label} both map to status code {status}; API Gateway keeps one "
                    f"integration response per status code, so '{pattern}' replaces "
                    f"'{patterns[status]}'."
                )
            out[status], patterns[status] = response, pattern
        return out

    def _integration_response(
        self, pattern: str, config: Any, failure: str
    ) -> IntegrationResponse | None:
        if not isinstance(config, dict):
            self.ctx.errors.append(f"{failure}: the response '{pattern}' must be an object, "
                                   f"found {describe(config)}")  # fmt: skip
            return None
        if config.get("statusCode") is None:
            self.ctx.errors.append(f"{failure}: the response '{pattern}' has no statusCode")
            return None
        place = (f"of integration response '{pattern}' of resource '{self.op.path}' and "
                 f"method '{self.op.verb}'")  # fmt: skip
        for key in config:
            if key not in _RESPONSE_FIELDS:
                self.ctx.warnings.append(f"Unknown field '{key}' in the integration response "
                                         f"'{pattern}' of {self.op.label} is ignored.")  # fmt: skip
        content_handling = config.get("contentHandling")
        try:
            return rules.new_integration_response(
                status_text(config["statusCode"]),
                selection_pattern=None if pattern == "default" else pattern,
                response_parameters=self.ctx.string_map(
                    config.get("responseParameters"), "responseParameters", place
                ),
                response_templates=self.ctx.string_map(
                    config.get("responseTemplates"), "responseTemplates", place, nulls=True
                ),
                content_handling=_uppercase(content_handling),
            )
        except ServiceError as e:
            self.ctx.errors.append(f"{failure}: {e.message}")
            return None


def _uppercase(value: Any) -> str | None:
    # OpenAPI writes enum values in lowercase (`type: aws_proxy`); API Gateway stores them upper.
    return value.upper() if isinstance(value, str) else None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _millis(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return int(value) if isinstance(value, str) and value.isdigit() else None


def _strings(value: Any) -> list[str] | None:
    ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
    return value if ok else None


def _object(value: Any) -> dict[str, Any] | None:
    return value if isinstance(value, dict) else None


FIELD_READERS: dict[str, tuple[Callable[[Any], Any], str]] = {
    "type": (_uppercase, "a string"),
    "httpMethod": (_uppercase, "a string"),
    "passthroughBehavior": (_uppercase, "a string"),
    "contentHandling": (_uppercase, "a string"),
    "connectionType": (_uppercase, "a string"),
    "uri": (_text, "a string"),
    "connectionId": (_text, "a string"),
    "credentials": (_text, "a string"),
    "cacheNamespace": (_text, "a string"),
    "timeoutInMillis": (_millis, "a number"),
    "cacheKeyParameters": (_strings, "a list of strings"),
    "tlsConfig": (_object, "an object"),
}
"""Readers of the x-amazon-apigateway-integration fields (None: the value has the wrong type)."""
