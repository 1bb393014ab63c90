"""The `@connections` API on the gateway listener (spec §13.5, §16.3).

AWS counterpart: the API Gateway Management API (`apigatewaymanagementapi`), served on the
WebSocket API's own endpoint: `POST|GET|DELETE /{stage}/@connections/{connectionId}`, so
boto3's `apigatewaymanagementapi` client with `endpoint_url` = the stage URL works (host-based
`http://{api-id}.execute-api.localhost:PORT/{stage}`, or path-based
`http://HOST:PORT/_aws/execute-api/{api-id}/{stage}`). Connection ids arrive URL-encoded
(`=` as `%3D`).

- PostToConnection: the body is sent to the client as one message; 200 with an empty body.
  Over 128 KB (131,072 bytes, the model's limit): 413 PayloadTooLargeException with
  `{"message":"Message too long"}` (the model gives the member; the wording is Tollway's).
- GetConnection: 200 `{"connectedAt", "identity": {"sourceIp", "userAgent"}, "lastActiveAt"}`,
  ISO-8601 timestamps (`__timestampIso8601`), `lastActiveAt` the client's last message.
- DeleteConnection: closes the connection (close code 1000, UNCONFIRMED); 204.
- A connection that is not open (never was, closed, or of another API): 410 GoneException
  with an empty body and `x-amzn-ErrorType: GoneException` — SDKs report AWS's 410 with no
  message (aws-sdk-java "GoneException: null", aws-sdk-php "Unable to parse error information
  from response", GitHub aws/aws-sdk-java#2200, georgeboot/laravel-echo-api-gateway#9).
- A connection another gateway process holds (`--state redis://...`) when that process or
  Redis cannot be reached: 503 ServiceUnavailableException `{"message":"Service Unavailable"}`
  (Tollway's; AWS models no 5xx for this API, SDKs retry a 503).
- Another method: 405 MethodNotAllowedException `{"message":"Method Not Allowed"}`; no id, or
  more path after it: 404 NotFoundException `{"message":"Not Found"}` (both Tollway's).

IAM (`execute-api:ManageConnections`) is checked before this, when the gateway has
identities (management_iam.py). Not here yet: LimitExceededException is never returned, and
the calls do not count against the account throttle (AWS counts "WebSocket callback APIs").
"""

from __future__ import annotations

import time
from urllib.parse import unquote

import orjson

from tollway.dataplane.context import Response
from tollway.model import ids
from tollway.state.connections import ConnectionRegistry, RegistryUnavailable

PREFIX = "/@connections/"
MAX_DATA_BYTES = 131_072
_TOO_LONG = b'{"message":"Message too long"}'  # the wording is UNCONFIRMED
_UNAVAILABLE = b'{"message":"Service Unavailable"}'  # Tollway's (no AWS counterpart)


def is_management(path: str) -> bool:
    return path.startswith(PREFIX)


def _iso(epoch: float) -> str:
    return (
        time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch)) + f".{int(epoch * 1000) % 1000:03d}Z"
    )


def json_response(status: int, body: bytes = b"", error: str | None = None) -> Response:
    headers = [("Content-Type", "application/json"), ("x-amzn-RequestId", ids.request_id())]
    if error is not None:
        headers.append(("x-amzn-ErrorType", error))
    return Response(status, headers, body)


def _gone() -> Response:
    return json_response(410, b"", "GoneException")


async def manage(
    registry: ConnectionRegistry, api_id: str, method: str, path: str, body: bytes | None
) -> Response:
    """Answers one `@connections` call; `path` is `/@connections/{id}` (after the stage)."""
    try:
        return await _manage(registry, api_id, method, path, body)
    except RegistryUnavailable:
        # Another gateway process holds the connection, or may, and cannot be asked (Redis
        # outage, or that process does not answer): Tollway's choice, retried by the SDKs.
        return json_response(503, _UNAVAILABLE, "ServiceUnavailableException")


async def _manage(
    registry: ConnectionRegistry, api_id: str, method: str, path: str, body: bytes | None
) -> Response:
    connection_id = unquote(path[len(PREFIX) :])
    if not connection_id or "/" in connection_id:
        return json_response(
            404, b'{"message":"Not Found"}', "NotFoundException"
        )  # no such operation
    info = await registry.info(connection_id)
    if info is None or info.api_id != api_id:
        return _gone()
    if method == "POST":
        if body is None or len(body) > MAX_DATA_BYTES:
            return json_response(413, _TOO_LONG, "PayloadTooLargeException")
        return json_response(200) if await registry.post(connection_id, body) else _gone()
    if method == "GET":
        answer = {
            "connectedAt": _iso(info.connected_at),
            "identity": {"sourceIp": info.source_ip, "userAgent": info.user_agent},
            "lastActiveAt": _iso(info.last_active_at),
        }
        return json_response(200, orjson.dumps(answer))
    if method == "DELETE":
        return json_response(204) if await registry.close(connection_id, 1000, "") else _gone()
    return json_response(
        405, b'{"message":"Method Not Allowed"}', "MethodNotAllowedException"
    )  # the API has no other operations
