"""WebSocket Lambda proxy events and the `$connect` authorizer event (spec §13.4, §5.10).

AWS counterpart: "Input format of a Lambda function for WebSocket APIs" (the events
aws-lambda-go's `APIGatewayWebsocketProxyRequest` models). Per event type:
- CONNECT: `headers`, `multiValueHeaders`, `queryStringParameters`,
  `multiValueQueryStringParameters` (null without a query), `requestContext`,
  `isBase64Encoded`;
- MESSAGE: `requestContext`, `body`, `isBase64Encoded` (no headers);
- DISCONNECT: `headers`, `multiValueHeaders`, `requestContext` (with `disconnectStatusCode`
  and `disconnectReason`), `isBase64Encoded`.
`requestContext`: `routeKey`, `eventType`, `messageId` (MESSAGE only), `extendedRequestId`,
`requestId` (the same value), `requestTime` (CLF), `requestTimeEpoch` (ms), `messageDirection`
(`IN`), `stage`, `connectedAt` (ms), `identity` {`sourceIp`, `userAgent`}, `domainName`,
`connectionId`, `apiId`, and `authorizer` when a Lambda authorizer allowed the connection.

`domainName` is the host the client connected to, as on AWS. Connected through the path-based
form (`/_aws/execute-api/{api-id}/{stage}`) it is `{host}/_aws/execute-api/{api-id}`, so a
handler's `f"http://{domainName}/{stage}"` is a management endpoint that reaches Tollway
(docs/websocket.md); a Tollway choice, AWS has no path-based form.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from tollway.dataplane.context import clf_time
from tollway.model import ids


@dataclass(slots=True)
class Connection:
    """What the events of one connection share, fixed at the handshake."""

    connection_id: str
    api_id: str
    stage: str
    domain_name: str
    source_ip: str
    user_agent: str | None
    connected_at: float  # epoch seconds
    headers: list[tuple[str, str]]  # the handshake's, client casing
    query_string: str
    stage_variables: dict[str, str]
    authorizer: dict[str, Any] | None = None  # requestContext.authorizer
    context: dict[str, str] = field(default_factory=dict)  # `$context.authorizer.*` as text
    identity: dict[str, Any] = field(default_factory=dict)  # an IAM caller's identity fields
    usage_identifier_key: str | None = None  # the Lambda authorizer's (API keys: metering.py)

    def header(self, name: str) -> str | None:
        lower = name.lower()
        return next((v for k, v in reversed(self.headers) if k.lower() == lower), None)

    def query(self) -> list[tuple[str, str]]:
        return parse_qsl(self.query_string, keep_blank_values=True)


def request_context(
    conn: Connection, route_key: str, event_type: str, now: float | None = None
) -> dict[str, Any]:
    now = time.time() if now is None else now
    request_id = ids.extended_request_id()
    context: dict[str, Any] = {
        "routeKey": route_key,
        "eventType": event_type,
        "extendedRequestId": request_id,
        "requestTime": clf_time(now),
        "messageDirection": "IN",
        "stage": conn.stage,
        "connectedAt": int(conn.connected_at * 1000),
        "requestTimeEpoch": int(now * 1000),
        "identity": {**conn.identity, "sourceIp": conn.source_ip, "userAgent": conn.user_agent},
        "requestId": request_id,
        "domainName": conn.domain_name,
        "connectionId": conn.connection_id,
        "apiId": conn.api_id,
    }
    if event_type == "MESSAGE":
        context["messageId"] = ids.extended_request_id()
    if conn.authorizer is not None:
        context["authorizer"] = conn.authorizer
    return context


def _headers(conn: Connection) -> dict[str, Any]:
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for name, value in conn.headers:
        single[name] = value
        multi.setdefault(name, []).append(value)
    return {"headers": single, "multiValueHeaders": multi}


def _query(conn: Connection) -> dict[str, Any]:
    pairs = conn.query()
    if not pairs:
        return {"queryStringParameters": None, "multiValueQueryStringParameters": None}
    multi: dict[str, list[str]] = {}
    for name, value in pairs:
        multi.setdefault(name, []).append(value)
    return {
        "queryStringParameters": {k: v[-1] for k, v in multi.items()},
        "multiValueQueryStringParameters": multi,
    }


def connect_event(conn: Connection, context: dict[str, Any]) -> dict[str, Any]:
    return {
        **_headers(conn),
        **_query(conn),
        "requestContext": context,
        "isBase64Encoded": False,
    }


def message_event(context: dict[str, Any], body: str) -> dict[str, Any]:
    return {"requestContext": context, "body": body, "isBase64Encoded": False}


def disconnect_event(
    conn: Connection, context: dict[str, Any], code: int, reason: str
) -> dict[str, Any]:
    context["disconnectStatusCode"] = code
    context["disconnectReason"] = reason
    return {**_headers(conn), "requestContext": context, "isBase64Encoded": False}


def authorizer_event(conn: Connection, context: dict[str, Any], method_arn: str) -> dict[str, Any]:
    """A REQUEST authorizer's input on `$connect` (spec §5.10): no path parameters."""
    return {
        "type": "REQUEST",
        "methodArn": method_arn,
        **_headers(conn),
        **_query(conn),
        "stageVariables": conn.stage_variables or None,
        "requestContext": context,
    }
