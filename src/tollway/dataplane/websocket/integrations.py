"""WebSocket integrations: Lambda proxy (AWS_PROXY) and MOCK; the others refused loudly.

AWS counterparts: "Set up WebSocket API integrations" and "Integration responses" (spec
§13.3, §13.4).
- AWS_PROXY: the function gets the event (events.py) through the Lambda host as the service
  principal, with the source ARN `arn:aws:execute-api:{region}:{account}:{api}/{stage}/{route
  key}`, within the integration's timeout (29 s by default). Its answer is
  `{"statusCode", "headers", "body"}`: `statusCode` decides `$connect` (a missing one is 200,
  UNCONFIRMED), `headers` go into the handshake (`Sec-WebSocket-Protocol`), `body` is what a
  two-way route sends back. A function error, a timeout or an answer that is not JSON fails the
  call (status 502); what Lambda refuses (no function, no permission, throttled) 500.
- MOCK: answers 200; a two-way route sends the integration response's template (the
  `$default` integration response; its template chosen by its TemplateSelectionExpression,
  else `$default`, else its only one), rendered with the message as `$input.body` and the
  WebSocket `$context` variables.
- HTTP, HTTP_PROXY and AWS (Lambda with templates) are not supported yet: the deployment logs
  a warning naming the feature, `$connect` through one is refused with 500, a message gets the
  `Internal server error` frame.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Protocol

import orjson

from tollway.dataplane.errors import GatewayError
from tollway.dataplane.integrations.lambda_proxy import (
    PRINCIPAL,
    FunctionInvoker,
    InvokeOutcome,
    lambda_refusals,
)
from tollway.dataplane.mapping.vtl import MappingTemplate, TemplateError, TemplateInput
from tollway.dataplane.websocket.selection import Selector, parse_message

log = logging.getLogger("tollway.dataplane")


class IntegrationFailed(Exception):
    """The integration could not answer; `status` refuses a `$connect`."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


@dataclass(slots=True)
class Outcome:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: str | None = None


class WsIntegration(Protocol):
    async def call(self, route_key: str, event: dict[str, Any]) -> Outcome:
        """Runs the integration for an event (events.py); raises IntegrationFailed."""


class LambdaProxy:
    def __init__(
        self, function_ref: str, timeout_ms: int, invoker: FunctionInvoker, arn_prefix: str
    ) -> None:
        self._function_ref = function_ref
        self._timeout = timeout_ms / 1000
        self._invoker = invoker
        self._arn_prefix = arn_prefix  # arn:aws:execute-api:{region}:{account}:{api}/{stage}/

    async def call(self, route_key: str, event: dict[str, Any]) -> Outcome:
        result = await self.invoke(route_key, orjson.dumps(event))
        payload = result.payload.decode("utf-8", "replace")
        if result.function_error:
            raise IntegrationFailed(502, "Lambda execution failed: " + payload[:1000])
        return parse_answer(payload)

    async def invoke(self, route_key: str, payload: bytes) -> InvokeOutcome:
        """The function's result for `payload`; raises IntegrationFailed when Lambda refuses
        the call (500) or it times out (504)."""
        try:
            with lambda_refusals():
                return await self._invoker.invoke_as_service(
                    self._function_ref,
                    payload,
                    principal=PRINCIPAL,
                    source_arn=self._arn_prefix + route_key,
                    time_limit=self._timeout,
                )
        except GatewayError as e:
            raise IntegrationFailed(500, str(e)) from None
        except TimeoutError:
            raise IntegrationFailed(504, "Execution failed due to a timeout error") from None


def parse_answer(payload: str) -> Outcome:
    """A function's answer (spec §13.4); raises IntegrationFailed (502) when unusable."""
    try:
        answer = orjson.loads(payload) if payload.strip() else None
    except orjson.JSONDecodeError:
        raise IntegrationFailed(502, "Malformed Lambda proxy response: " + payload[:200]) from None
    if not isinstance(answer, dict):
        # A bare value: nothing to decide with; sent back as it is on a two-way route.
        return Outcome(body=None if answer is None else payload)
    status = answer.get("statusCode", 200)
    try:
        status = int(status)
    except (TypeError, ValueError):
        raise IntegrationFailed(
            502, f"Malformed Lambda proxy response: statusCode {status!r}"
        ) from None
    headers = answer.get("headers")
    headers = {} if headers is None else headers
    if not isinstance(headers, dict):
        raise IntegrationFailed(502, "Malformed Lambda proxy response: headers")
    body = answer.get("body")
    if body is not None and not isinstance(body, str):
        body = orjson.dumps(body).decode()
    return Outcome(status, {str(k): str(v) for k, v in headers.items()}, body)


class Mock:
    def __init__(self, template: MappingTemplate | None, stage_variables: dict[str, str]) -> None:
        self._template = template
        self._stage_variables = stage_variables

    async def call(self, route_key: str, event: dict[str, Any]) -> Outcome:
        if self._template is None:
            return Outcome()
        body = event.get("body") or ""
        data = TemplateInput(body, {}, event["requestContext"], self._stage_variables)
        try:
            return Outcome(body=self._template.render(data))
        except TemplateError as e:
            raise IntegrationFailed(500, f"Mapping template failed: {e}") from None


class Unsupported:
    def __init__(self, feature: str) -> None:
        self.feature = feature

    async def call(self, route_key: str, event: dict[str, Any]) -> Outcome:
        raise IntegrationFailed(500, f"{self.feature} is not supported by Tollway yet")


def mock_template(
    integration_responses: dict[str, dict[str, Any]],
) -> MappingTemplate | None:
    """The template a MOCK integration's `$default` integration response sends (see above);
    raises TemplateError for one that does not compile."""
    response = next(
        (
            r
            for r in integration_responses.values()
            if r.get("IntegrationResponseKey") == "$default"
        ),
        None,
    )
    templates: dict[str, str] = (response or {}).get("ResponseTemplates") or {}
    if not templates:
        return None
    expression = (response or {}).get("TemplateSelectionExpression")
    key = Selector(expression).evaluate(None) if expression else "$default"
    text = templates.get(key, templates.get("$default"))
    if text is None and len(templates) == 1:
        text = next(iter(templates.values()))
    return MappingTemplate.compile(text) if text is not None else None


__all__ = ["IntegrationFailed", "LambdaProxy", "Mock", "Outcome", "Unsupported", "parse_message"]
