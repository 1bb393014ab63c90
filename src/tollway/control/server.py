"""The admin listener: AWS's control-plane endpoints (`apigateway`, `lambda`) over ASGI.

Every request is authenticated when admin calls must be signed (admin_auth.py), routed by
the service models (protocol.Router), parsed and validated
(protocol.parse_request), handed to the registered operation, and its output or error written
back as AWS writes it. An operation that exists in AWS's model but not in Tollway answers
501 NotImplementedException naming it, so a client learns at once what is missing.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs

import orjson

from tollway.asgi import read_body, send_response
from tollway.control.admin_auth import AdminAuth, control_request
from tollway.control.errors import NotSupportedByTollway, RequestTooLargeException, ServiceError
from tollway.control.operations import Call, ControlPlane, OperationTable
from tollway.control.protocol import (
    Router,
    Service,
    WireResponse,
    parse_request,
    serialize_error,
    serialize_response,
)
from tollway.functions.registry import LAYER_KIND
from tollway.model import ids
from tollway.observability import cache_metrics
from tollway.state.limits import SettableClock

log = logging.getLogger("tollway.control")

# Lambda accepts 50 MB zipped code in a request (about 67 MB once base64-encoded).
MAX_REQUEST_BYTES = 70 * 1024 * 1024

Scope = dict[str, Any]


def _zip_download(data: bytes | None) -> WireResponse:
    if data is None:
        return WireResponse(
            404, [("Content-Type", "application/json")], b'{"message":"no such package"}'
        )
    return WireResponse(200, [("Content-Type", "application/zip")], data)


class ControlServer:
    def __init__(
        self, plane: ControlPlane, tables: list[OperationTable], admin: AdminAuth | None = None
    ) -> None:
        self.plane = plane
        self.admin = admin  # None: calls need no signature (admin_auth.py)
        self.services = {t.service: Service.load(t.service) for t in tables}
        self.handlers = {t.service: t.handlers for t in tables}
        self.router = Router(list(self.services.values()))
        self.ready = False

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        request_id = ids.request_id()
        raw_path = scope.get("raw_path") or scope["path"].encode()
        path = raw_path.decode("latin-1")
        if path == "/_tollway/health":
            status = 200 if self.ready else 503
            body = b'{"status":"ok"}' if self.ready else b'{"status":"starting"}'
            await _send(
                send, WireResponse(status, [("Content-Type", "application/json")], body), request_id
            )
            return
        if path == "/_tollway/clock" and self.plane.settings.limits_clock == "on":
            await _send(send, await self._clock(scope, receive, path), request_id)
            return
        if path.startswith(("/_tollway/functions/", "/_tollway/layers/")):
            await _send(send, self._download(scope, path), request_id)
            return
        if path == "/_tollway/metrics":
            await _send(send, self._metrics(scope, path), request_id)
            return
        response = await self._handle(scope, receive, path, request_id)
        await _send(send, response, request_id)

    def _download(self, scope: Scope, path: str) -> WireResponse:
        """A function's package or a layer's content (the URLs GetFunction and
        GetLayerVersion answer); signed like any call when admin calls must be."""
        refused = self._refused(scope, path, "lambda")
        if refused is not None:
            return refused
        parts = path.split("/")
        if path.startswith("/_tollway/functions/") and path.endswith("/code"):
            query = parse_qs(scope["query_string"].decode("latin-1"))
            version = (query.get("Qualifier") or ["$LATEST"])[0]
            return self._function_code(parts[3], version)
        if path.startswith("/_tollway/layers/") and path.endswith("/content") and len(parts) == 6:
            return self._layer_content(parts[3], parts[4])
        return _zip_download(None)

    async def _clock(self, scope: Scope, receive: Any, path: str) -> WireResponse:
        """The testing aid of `--limits-clock on`: POST `{"now": EPOCH}` or `{"advance":
        SECONDS}` moves the clock throttling and quotas see; GET (or POST `{}`) reads it.
        Signed like any call when admin calls must be."""
        body = await read_body(receive, 4096) or b""
        refused = self._refused(scope, path, "apigateway", body)
        if refused is not None:
            return refused
        limits = self.plane.limits
        clock = limits.limits.clock if limits is not None else None
        if not isinstance(clock, SettableClock):
            return _json(500, {"message": "the limits clock is not settable"})
        try:
            change = orjson.loads(body) if scope["method"] == "POST" and body else {}
            if "now" in change:
                clock.set(float(change["now"]))
            if "advance" in change:
                clock.advance(float(change["advance"]))
        except (orjson.JSONDecodeError, TypeError, ValueError, AttributeError):
            return _json(400, {"message": 'expected {"now": EPOCH} or {"advance": SECONDS}'})
        return _json(200, {"now": clock()})

    def _metrics(self, scope: Scope, path: str) -> WireResponse:
        """The stage cache's hit and miss counts (observability/cache_metrics.py); signed
        like any call when admin calls must be."""
        refused = self._refused(scope, path, "apigateway")
        if refused is not None:
            return refused
        body = cache_metrics.render(self.plane.response_cache)
        return WireResponse(200, [("Content-Type", cache_metrics.CONTENT_TYPE)], body)

    def _refused(
        self, scope: Scope, path: str, service: str, body: bytes = b""
    ) -> WireResponse | None:
        """The error for a call that must be signed (as `service`) and is not, or None."""
        if self.admin is None:
            return None
        try:
            request = control_request(scope, path, _header_list(scope["headers"]), body)
            self.admin.authenticate(request, (service,))
        except ServiceError as error:
            return serialize_error(None, error)
        return None

    def _function_code(self, name: str, version: str) -> WireResponse:
        """The download behind GetFunction's `Code.Location`."""
        functions = self.plane.functions
        return _zip_download(functions.package(name, version) if functions else None)

    def _layer_content(self, name: str, version: str) -> WireResponse:
        """The download behind GetLayerVersion's `Content.Location`."""
        record = self.plane.store.get(LAYER_KIND, name)
        entry = (record.body.get("versions") or {}).get(version) if record else None
        return _zip_download(self.plane.store.get_blob(entry["blob"]) if entry else None)

    async def _handle(self, scope: Scope, receive: Any, path: str, request_id: str) -> WireResponse:
        service = None
        try:
            body = await read_body(receive, MAX_REQUEST_BYTES)
            if body is None:
                raise RequestTooLargeException(
                    f"Request must be smaller than {MAX_REQUEST_BYTES} bytes for this operation"
                )
            query = parse_qs(scope["query_string"].decode("latin-1"), keep_blank_values=True)
            headers = _headers(scope["headers"])
            caller = None
            signed = control_request(scope, path, _header_list(scope["headers"]), body)
            try:
                target = headers.get("x-amz-target")
                route, labels = (
                    self.router.match_target(target)
                    if target and scope["method"] == "POST"
                    else self.router.match(scope["method"], path, query)
                )
            except ServiceError:
                if self.admin is not None:  # an unsigned caller learns nothing of the API
                    self.admin.authenticate(signed)
                raise
            service = self.services[route.service]
            if self.admin is not None:
                caller = self.admin.authenticate(signed, (service.model.signing_name,))
                self.admin.authorize(caller, signed, route.service, route.operation.name, labels)
            handler = self.handlers[route.service].get(route.operation.name)
            if handler is None:
                raise NotSupportedByTollway(
                    f"Tollway does not support the {route.service} operation "
                    f"{route.operation.name} yet"
                )
            params = parse_request(service, route, labels, query, headers, body)
            call = Call(self.plane, route.operation.name, params, headers, request_id, caller)
            output = handler(call)
            if inspect.isawaitable(output):
                output = await output
            return serialize_response(route, output)
        except ServiceError as error:
            return serialize_error(service, error)
        except Exception:
            log.exception(
                "control-plane request %s failed: %s %s", request_id, scope["method"], path
            )
            return serialize_error(
                service,
                ServiceError(
                    f"Tollway failed to process this request (request id {request_id}); "
                    "the server log has the details"
                ),
            )


def _json(status: int, body: dict[str, Any]) -> WireResponse:
    return WireResponse(status, [("Content-Type", "application/json")], orjson.dumps(body))


def _header_list(raw: list[tuple[bytes, bytes]]) -> list[tuple[str, str]]:
    return [(name.decode("latin-1"), value.decode("latin-1")) for name, value in raw]


def _headers(raw: list[tuple[bytes, bytes]]) -> Mapping[str, str]:
    headers: dict[str, str] = {}
    for name, value in raw:
        key = name.decode("latin-1").lower()
        text = value.decode("latin-1")
        headers[key] = f"{headers[key]},{text}" if key in headers else text
    return headers


async def _send(send: Any, response: WireResponse, request_id: str) -> None:
    headers = [*response.headers, ("x-amzn-RequestId", request_id)]
    await send_response(send, response.status, headers, response.body)
