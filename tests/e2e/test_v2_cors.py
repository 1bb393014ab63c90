"""HTTP API CORS end to end (spec §9.2): boto3 `apigatewayv2` sets the API's
CorsConfiguration, httpx sends preflight and simple requests to the gateway, in front of a
real loopback upstream that returns CORS headers of its own (which the gateway drops)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Server, serve_http

pytestmark = pytest.mark.e2e

ORIGIN = "https://app.example.com"
CONFIG: dict[str, Any] = {
    "AllowOrigins": [ORIGIN, "http://localhost:4000"],
    "AllowMethods": ["GET", "POST"],
    "AllowHeaders": ["content-type", "x-custom"],
    "ExposeHeaders": ["x-upstream", "x-total"],
    "MaxAge": 300,
    "AllowCredentials": True,
}


class _CorsBackend(BaseHTTPRequestHandler):
    """Answers every request with its method and CORS headers of its own."""

    protocol_version = "HTTP/1.1"

    def _answer(self) -> None:
        payload = json.dumps({"method": self.command, "path": self.path}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("X-Upstream", "cors-backend")
        self.send_header("Access-Control-Allow-Origin", "https://backend.example")
        self.send_header("Access-Control-Allow-Methods", "DELETE")
        self.send_header("Access-Control-Expose-Headers", "x-backend")
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_OPTIONS = do_DELETE = _answer

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def backend() -> Iterator[str]:
    yield from serve_http(_CorsBackend)


@pytest.fixture(scope="module")
def v2(server: Server) -> Any:
    return server.client("apigatewayv2")


def cors_api(v2: Any, backend: str, cors: dict[str, Any] | None, *route_keys: str) -> str:
    """An HTTP API with routes to the backend (HTTP_PROXY), served by an auto-deployed stage
    `dev`; returns the API id."""
    fields: dict[str, Any] = {"Name": "cors", "ProtocolType": "HTTP"}
    if cors is not None:
        fields["CorsConfiguration"] = cors
    api_id = str(v2.create_api(**fields)["ApiId"])
    integration_id = v2.create_integration(
        ApiId=api_id,
        IntegrationType="HTTP_PROXY",
        IntegrationMethod="ANY",
        IntegrationUri=backend,
        PayloadFormatVersion="1.0",
    )["IntegrationId"]
    for key in route_keys:
        v2.create_route(ApiId=api_id, RouteKey=key, Target=f"integrations/{integration_id}")
    v2.create_stage(ApiId=api_id, StageName="dev", AutoDeploy=True)
    return api_id


def cors_headers(response: httpx.Response) -> dict[str, str]:
    return {
        k.lower(): v
        for k, v in response.headers.items()
        if k.lower().startswith("access-control-") or k.lower() == "vary"
    }


def preflight(
    http: httpx.Client, url: str, origin: str = ORIGIN, method: str = "POST", **more: str
) -> httpx.Response:
    headers = {"Origin": origin, "Access-Control-Request-Method": method}
    headers.update({k.replace("_", "-"): v for k, v in more.items()})
    return http.options(url, headers=headers)


@pytest.fixture(scope="module")
def api(v2: Any, backend: str) -> str:
    return cors_api(v2, backend, CONFIG, "GET /items", "POST /items", "OPTIONS /own")


def test_preflight_without_an_options_route_is_answered_by_the_gateway(
    server: Server, api: str, http: httpx.Client
) -> None:
    response = preflight(
        http, server.url(api, "dev", "/items"), Access_Control_Request_Headers="Content-Type"
    )
    assert response.status_code == 204
    assert response.content == b""
    assert cors_headers(response) == {
        "access-control-allow-origin": ORIGIN,
        "vary": "Origin",
        "access-control-allow-methods": "GET,POST",
        "access-control-allow-headers": "content-type,x-custom",
        "access-control-max-age": "300",
        "access-control-allow-credentials": "true",
    }
    assert response.headers["apigw-requestid"]
    assert "X-Upstream" not in response.headers  # the backend was not called


def test_preflight_for_a_path_without_any_route(
    server: Server, api: str, http: httpx.Client
) -> None:
    response = preflight(http, server.url(api, "dev", "/nowhere"), method="GET")
    assert response.status_code == 204
    assert cors_headers(response)["access-control-allow-origin"] == ORIGIN


@pytest.mark.parametrize(
    ("origin", "method", "more"),
    [
        ("https://evil.example", "POST", {}),  # origin not allowed
        (ORIGIN, "DELETE", {}),  # method not allowed
        (ORIGIN, "POST", {"Access_Control_Request_Headers": "x-custom,x-other"}),  # a header
    ],
)
def test_disallowed_preflight_gets_204_without_cors_headers(
    server: Server, api: str, http: httpx.Client, origin: str, method: str, more: dict[str, str]
) -> None:
    response = preflight(http, server.url(api, "dev", "/items"), origin, method, **more)
    assert response.status_code == 204
    assert cors_headers(response) == {}
    assert response.headers["apigw-requestid"]


def test_options_without_origin_is_answered_without_cors_headers(
    server: Server, api: str, http: httpx.Client
) -> None:
    response = http.options(server.url(api, "dev", "/items"))
    assert response.status_code == 204
    assert cors_headers(response) == {}


def test_options_route_gets_the_preflight_with_cors_headers_added(
    server: Server, api: str, http: httpx.Client
) -> None:
    response = preflight(http, server.url(api, "dev", "/own"), method="GET")
    assert response.status_code == 200
    assert response.json()["method"] == "OPTIONS"
    assert cors_headers(response) == {
        "access-control-allow-origin": ORIGIN,
        "vary": "Origin",
        "access-control-allow-credentials": "true",
        "access-control-expose-headers": "x-upstream,x-total",
    }


def test_simple_request_with_allowed_origin_gets_configured_headers_only(
    server: Server, api: str, http: httpx.Client
) -> None:
    response = http.get(server.url(api, "dev", "/items"), headers={"Origin": ORIGIN})
    assert response.status_code == 200
    assert response.headers["X-Upstream"] == "cors-backend"
    # the backend's CORS headers are dropped, the configured ones sent
    assert cors_headers(response) == {
        "access-control-allow-origin": ORIGIN,
        "vary": "Origin",
        "access-control-allow-credentials": "true",
        "access-control-expose-headers": "x-upstream,x-total",
    }


@pytest.mark.parametrize("headers", [{}, {"Origin": "https://evil.example"}])
def test_simple_request_without_allowed_origin_gets_no_cors_headers(
    server: Server, api: str, http: httpx.Client, headers: dict[str, str]
) -> None:
    response = http.post(server.url(api, "dev", "/items"), headers=headers)
    assert response.status_code == 200
    assert response.json()["method"] == "POST"
    assert cors_headers(response) == {}


def test_wildcard_origin_without_credentials(
    v2: Any, server: Server, backend: str, http: httpx.Client
) -> None:
    api_id = cors_api(v2, backend, {"AllowOrigins": ["*"], "AllowMethods": ["*"]}, "GET /items")
    answer = preflight(http, server.url(api_id, "dev", "/items"), "https://any.example", "PUT")
    assert answer.status_code == 204
    assert cors_headers(answer) == {
        "access-control-allow-origin": "*",
        "access-control-allow-methods": "*",
        "access-control-allow-headers": "",
    }
    simple = http.get(server.url(api_id, "dev", "/items"), headers={"Origin": "https://x.test"})
    assert cors_headers(simple) == {"access-control-allow-origin": "*"}


def test_scheme_wildcard_origin(v2: Any, server: Server, backend: str, http: httpx.Client) -> None:
    api_id = cors_api(
        v2, backend, {"AllowOrigins": ["https://*"], "AllowMethods": ["GET"]}, "GET /items"
    )
    url = server.url(api_id, "dev", "/items")
    allowed = preflight(http, url, "https://localhost:4000", "GET")
    assert cors_headers(allowed)["access-control-allow-origin"] == "https://localhost:4000"
    refused = preflight(http, url, "http://localhost:4000", "GET")
    assert cors_headers(refused) == {}


def test_without_cors_configuration_options_is_routed_and_backend_headers_pass(
    v2: Any, server: Server, backend: str, http: httpx.Client
) -> None:
    api_id = cors_api(v2, backend, None, "GET /items")
    answer = preflight(http, server.url(api_id, "dev", "/items"), method="GET")
    assert answer.status_code == 404
    assert answer.json() == {"message": "Not Found"}
    simple = http.get(server.url(api_id, "dev", "/items"), headers={"Origin": ORIGIN})
    assert simple.headers["Access-Control-Allow-Origin"] == "https://backend.example"


def test_cors_changes_take_effect_with_the_next_deployment(
    v2: Any, server: Server, backend: str, http: httpx.Client
) -> None:
    api_id = cors_api(v2, backend, None, "GET /items")
    url = server.url(api_id, "dev", "/items")
    assert preflight(http, url, method="GET").status_code == 404
    v2.update_api(
        ApiId=api_id, CorsConfiguration={"AllowOrigins": [ORIGIN], "AllowMethods": ["GET"]}
    )
    # the stage auto-deploys: the new configuration is served
    answer = preflight(http, url, method="GET")
    assert answer.status_code == 204
    assert cors_headers(answer)["access-control-allow-origin"] == ORIGIN
    v2.delete_cors_configuration(ApiId=api_id)
    assert preflight(http, url, method="GET").status_code == 404
