"""Binary payloads end to end: `binaryMediaTypes` and `contentHandling` on REST APIs built
with boto3 and by OpenAPI import, against a real loopback upstream and real functions
(spec §4.7, §2.1, §2.3).

The upstream answers `POST /echo` with the exact bytes it received, hex-encoded in JSON (so
the request side is asserted byte for byte whatever the response side does), and
`GET /payload/text` / `GET /payload/binary` with a text or a binary payload."""

from __future__ import annotations

import base64
import json
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import (
    Server,
    add_method,
    add_path,
    create_function,
    deploy,
    lambda_uri,
    new_api,
)

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe\x80"  # not UTF-8: any decoding mangles it
PNG_B64 = base64.b64encode(PNG)
TEXT_DATA = b"text side \x00\x01"
TEXT = base64.b64encode(TEXT_DATA)  # the upstream's text payload: valid base64
HANDLINGS = {"none": None, "tobinary": "CONVERT_TO_BINARY", "totext": "CONVERT_TO_TEXT"}


class _Upstream(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _send(self, content_type: str, body: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        answer = {"hex": body.hex(), "content_type": self.headers.get("Content-Type")}
        self._send("application/json", json.dumps(answer).encode())

    def do_GET(self) -> None:
        if self.path.endswith("/binary"):
            self._send("image/png", PNG)
        else:
            self._send("text/plain", TEXT)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def backend() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Upstream)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def binary_rest_api(apigw: Any, name: str, media_types: list[str] | None) -> tuple[str, str]:
    """A new API with `binaryMediaTypes` (None: without): (id, root resource id)."""
    api = apigw.create_rest_api(
        name=name, **({"binaryMediaTypes": media_types} if media_types else {})
    )
    return api["id"], api["rootResourceId"]


def root_method(
    apigw: Any, name: str, media_types: list[str] | None, verb: str, integration: dict[str, Any]
) -> tuple[str, str]:
    """A new API with `binaryMediaTypes` whose root method has `integration`: (id, root)."""
    api_id, root = binary_rest_api(apigw, name, media_types)
    add_method(apigw, api_id, root, verb, integration)
    return api_id, root


def http_method(
    apigw: Any,
    api_id: str,
    resource: str,
    verb: str,
    uri: str,
    *,
    request_handling: str | None = None,
    response_handling: str | None = None,
    **integration: Any,
) -> None:
    """An HTTP integration with one default 200 response that keeps the backend's
    Content-Type; contentHandling on either side when given."""
    fields: dict[str, Any] = {"type": "HTTP", "integrationHttpMethod": verb, "uri": uri}
    if request_handling:
        fields["contentHandling"] = request_handling
    add_method(apigw, api_id, resource, verb, {**fields, **integration})
    apigw.put_method_response(
        restApiId=api_id,
        resourceId=resource,
        httpMethod=verb,
        statusCode="200",
        responseParameters={"method.response.header.Content-Type": False},
    )
    response: dict[str, Any] = {
        "responseParameters": {
            "method.response.header.Content-Type": "integration.response.header.Content-Type"
        }
    }
    if response_handling:
        response["contentHandling"] = response_handling
    apigw.put_integration_response(
        restApiId=api_id, resourceId=resource, httpMethod=verb, statusCode="200", **response
    )


def binary_api(apigw: Any, backend: str, media_types: list[str] | None) -> str:
    """`POST /req/{handling}` to the echo and `GET /res/{handling}/{kind}` to the payloads,
    for every contentHandling (none, tobinary, totext)."""
    api_id, root = binary_rest_api(apigw, "binary", media_types)
    for name, handling in HANDLINGS.items():
        http_method(
            apigw,
            api_id,
            add_path(apigw, api_id, root, f"/req/{name}"),
            "POST",
            f"{backend}/echo",
            request_handling=handling,
        )
        http_method(
            apigw,
            api_id,
            add_path(apigw, api_id, root, f"/res/{name}/{{kind}}"),
            "GET",
            f"{backend}/payload/{{kind}}",
            response_handling=handling,
        )
    deploy(apigw, api_id)
    return api_id


@pytest.fixture(scope="module")
def apis(apigw: Any, backend: str) -> dict[str, str]:
    return {
        "undefined": binary_api(apigw, backend, None),
        "matching": binary_api(apigw, backend, ["image/png", "application/octet-stream"]),
    }


# The request matrix: (payload, Content-Type, binaryMediaTypes, contentHandling) -> the bytes
# the backend receives.
REQUEST_ROWS = [
    (b"plain text", "text/plain", "undefined", "none", b"plain text"),
    (TEXT, "text/plain", "undefined", "tobinary", TEXT_DATA),
    (b"plain text", "text/plain", "undefined", "totext", b"plain text"),
    (b"plain text", "text/plain", "matching", "none", b"plain text"),
    (TEXT, "text/plain", "matching", "tobinary", TEXT_DATA),
    (b"plain text", "text/plain", "matching", "totext", b"plain text"),
    (PNG, "image/png", "matching", "none", PNG),
    (PNG, "image/png", "matching", "tobinary", PNG),
    (PNG, "image/png", "matching", "totext", PNG_B64),
]


@pytest.mark.parametrize(("payload", "content_type", "api", "handling", "received"), REQUEST_ROWS)
def test_request_matrix(
    server: Server,
    apis: dict[str, str],
    http: httpx.Client,
    payload: bytes,
    content_type: str,
    api: str,
    handling: str,
    received: bytes,
) -> None:
    response = http.post(
        server.url(apis[api], "test", f"/req/{handling}"),
        content=payload,
        headers={"Content-Type": content_type, "Accept": "application/json"},
    )
    assert response.status_code == 200, response.text
    assert bytes.fromhex(response.json()["hex"]) == received


# The response matrix: (endpoint payload, Accept, binaryMediaTypes, contentHandling) -> the
# bytes the client receives. The text payload is base64 text, the binary one PNG bytes.
RESPONSE_ROWS = [
    ("text", "text/plain", "undefined", "none", TEXT),
    ("binary", "text/plain", "undefined", "none", PNG),  # (no binary types: passed as it is)
    ("text", "text/plain", "undefined", "tobinary", TEXT_DATA),
    ("text", "text/plain", "undefined", "totext", TEXT),
    ("text", "text/plain", "matching", "none", TEXT),
    ("text", "text/plain", "matching", "totext", TEXT),
    ("text", "text/plain", "matching", "tobinary", TEXT_DATA),
    ("text", "image/png", "matching", "none", TEXT_DATA),
    ("text", "image/png", "matching", "tobinary", TEXT_DATA),
    ("text", "image/png", "matching", "totext", TEXT),
    ("binary", "text/plain", "matching", "none", PNG_B64),
    ("binary", "text/plain", "matching", "totext", PNG_B64),
    ("binary", "text/plain", "matching", "tobinary", PNG),
    ("binary", "image/png", "matching", "none", PNG),
    ("binary", "image/png", "matching", "tobinary", PNG),
    ("binary", "image/png", "matching", "totext", PNG_B64),
]


@pytest.mark.parametrize(("kind", "accept", "api", "handling", "received"), RESPONSE_ROWS)
def test_response_matrix(
    server: Server,
    apis: dict[str, str],
    http: httpx.Client,
    kind: str,
    accept: str,
    api: str,
    handling: str,
    received: bytes,
) -> None:
    response = http.get(
        server.url(apis[api], "test", f"/res/{handling}/{kind}"),
        headers={"Accept": accept, "Accept-Encoding": "identity"},
    )
    assert response.status_code == 200, response.text
    assert response.content == received
    assert response.headers["Content-Type"] == ("image/png" if kind == "binary" else "text/plain")
    assert int(response.headers["Content-Length"]) == len(received)


@pytest.mark.parametrize(
    ("accept", "received"),
    [
        ("image/png, text/plain", PNG),
        ("text/plain, image/png", PNG_B64),
        ("text/html,image/png;q=0.9,*/*;q=0.8", PNG_B64),
        ("image/png;q=0.1, text/html", PNG),
    ],
)
def test_only_the_first_accept_type_counts(
    server: Server, apis: dict[str, str], http: httpx.Client, accept: str, received: bytes
) -> None:
    response = http.get(
        server.url(apis["matching"], "test", "/res/none/binary"), headers={"Accept": accept}
    )
    assert response.content == received


def test_a_request_payload_that_is_not_base64_is_a_500(
    server: Server, apis: dict[str, str], http: httpx.Client
) -> None:
    response = http.post(
        server.url(apis["matching"], "test", "/req/tobinary"),
        content=b"this is not base64!",
        headers={"Content-Type": "text/plain"},
    )
    assert response.status_code == 500
    assert response.json() == {"message": "Internal server error"}
    assert response.headers["x-amzn-ErrorType"] == "InternalServerErrorException"
    request_id = response.headers["x-amzn-RequestId"]
    lines = [line for line in server.log().splitlines() if request_id in line]
    assert any(
        "Unable to base64-decode the request payload for conversion to binary" in line
        for line in lines
    ), lines


def test_a_response_payload_that_is_not_base64_is_a_500(
    server: Server, apigw: Any, backend: str, http: httpx.Client
) -> None:
    api_id, root = new_api(apigw, "binary-bad-response")
    http_method(
        apigw, api_id, root, "POST", f"{backend}/echo", response_handling="CONVERT_TO_BINARY"
    )
    deploy(apigw, api_id)
    response = http.post(server.url(api_id, "test", "/"), content=b"x")
    assert response.status_code == 500
    assert response.json() == {"message": "Internal server error"}
    request_id = response.headers["x-amzn-RequestId"]
    assert any(
        request_id in line and "Unable to base64-decode the response payload" in line
        for line in server.log().splitlines()
    )


def test_the_all_types_wildcard(
    server: Server, apigw: Any, backend: str, http: httpx.Client
) -> None:
    """With `*/*` every payload is binary: any upload passes as it is and any Accept takes
    binary, so a CONVERT_TO_TEXT request is base64 whatever its type."""
    api_id = binary_api(apigw, backend, ["*/*"])
    upload = http.post(
        server.url(api_id, "test", "/req/totext"),
        content=PNG,
        headers={"Content-Type": "application/x-anything"},
    )
    assert bytes.fromhex(upload.json()["hex"]) == PNG_B64
    for accept in ("text/html", "application/json", "*/*"):
        response = http.get(
            server.url(api_id, "test", "/res/none/binary"), headers={"Accept": accept}
        )
        assert response.content == PNG
    # Text payloads are binary too under */*: returned as they are.
    text = http.get(server.url(api_id, "test", "/res/none/text"), headers={"Accept": "text/html"})
    assert text.content == TEXT


def test_http_proxy_passes_binary_bytes_exactly(
    server: Server, apigw: Any, backend: str, http: httpx.Client
) -> None:
    api_id, root = new_api(apigw, "binary-proxy")
    for path, verb, uri in (("/up", "POST", "/echo"), ("/down", "GET", "/payload/binary")):
        add_method(
            apigw,
            api_id,
            add_path(apigw, api_id, root, path),
            verb,
            {"type": "HTTP_PROXY", "integrationHttpMethod": verb, "uri": f"{backend}{uri}"},
        )
    apigw.update_rest_api(
        restApiId=api_id,
        patchOperations=[
            {"op": "add", "path": "/binaryMediaTypes/image~1png"},
            {"op": "replace", "path": "/minimumCompressionSize", "value": "0"},
        ],
    )
    deploy(apigw, api_id)
    upload = http.post(
        server.url(api_id, "test", "/up"), content=PNG, headers={"Content-Type": "image/png"}
    )
    assert bytes.fromhex(upload.json()["hex"]) == PNG
    # Compressed for a client that asks, and the same bytes once decoded.
    download = http.get(
        server.url(api_id, "test", "/down"),
        headers={"Accept": "image/png", "Accept-Encoding": "gzip"},
    )
    assert download.headers["Content-Encoding"] == "gzip"
    assert download.content == PNG


def test_mock_serves_an_image_from_its_template(
    server: Server, apigw: Any, http: httpx.Client
) -> None:
    mock = {"type": "MOCK", "requestTemplates": {"application/json": '{"statusCode": 200}'}}
    api_id, root = root_method(apigw, "binary-mock", ["image/*"], "GET", mock)
    apigw.put_method_response(restApiId=api_id, resourceId=root, httpMethod="GET", statusCode="200")
    apigw.put_integration_response(
        restApiId=api_id,
        resourceId=root,
        httpMethod="GET",
        statusCode="200",
        contentHandling="CONVERT_TO_BINARY",
        responseTemplates={"image/png": PNG_B64.decode()},
    )
    deploy(apigw, api_id)
    response = http.get(server.url(api_id, "test", "/"), headers={"Accept": "image/png"})
    assert response.status_code == 200
    assert response.content == PNG
    assert response.headers["Content-Type"] == "image/png"


def test_openapi_import_with_binary_media_types_and_content_handling(
    server: Server, apigw: Any, backend: str, http: httpx.Client
) -> None:
    def operation(uri: str, verb: str, **integration: Any) -> dict[str, Any]:
        return {
            "responses": {"200": {"description": "ok"}},
            "x-amazon-apigateway-integration": {
                "type": "http",
                "httpMethod": verb,
                "uri": uri,
                **integration,
            },
        }

    document = {
        "openapi": "3.0.1",
        "info": {"title": "binary-import", "version": "1"},
        "x-amazon-apigateway-binary-media-types": ["image/png", "application/pdf"],
        "paths": {
            "/upload": {
                "post": operation(
                    f"{backend}/echo",
                    "POST",
                    contentHandling="CONVERT_TO_TEXT",
                    responses={"default": {"statusCode": "200"}},
                )
            },
            "/image": {
                "get": operation(
                    f"{backend}/payload/text",
                    "GET",
                    responses={
                        "default": {"statusCode": "200", "contentHandling": "CONVERT_TO_BINARY"}
                    },
                )
            },
        },
    }
    api = apigw.import_rest_api(body=json.dumps(document).encode())
    assert api["binaryMediaTypes"] == ["image/png", "application/pdf"]
    deploy(apigw, api["id"])
    upload = http.post(
        server.url(api["id"], "test", "/upload"),
        content=PNG,
        headers={"Content-Type": "image/png"},
    )
    assert bytes.fromhex(upload.json()["hex"]) == PNG_B64
    image = http.get(server.url(api["id"], "test", "/image"), headers={"Accept": "text/plain"})
    assert image.content == TEXT_DATA


LAMBDA_SOURCE = """\
import base64
import json

IMAGE = base64.b64decode("IMAGE_B64")


def handler(event, context):
    if event["queryStringParameters"]:
        return {"statusCode": 200, "body": "not base64!", "isBase64Encoded": True}
    if event["httpMethod"] == "POST":
        return {
            "statusCode": 200,
            "body": json.dumps({"body": event["body"], "isBase64Encoded": event["isBase64Encoded"]}),
        }
    return {
        "statusCode": 200,
        "headers": {"Content-Type": "image/png"},
        "body": base64.b64encode(IMAGE).decode(),
        "isBase64Encoded": True,
    }
""".replace("IMAGE_B64", PNG_B64.decode())


@pytest.fixture(scope="module")
def lambda_api(apigw: Any, lam: Any) -> str:
    name = f"binary-{uuid.uuid4().hex[:8]}"
    create_function(lam, name, LAMBDA_SOURCE)
    proxy = {"type": "AWS_PROXY", "integrationHttpMethod": "POST", "uri": lambda_uri(name)}
    api_id, _ = root_method(apigw, "binary-lambda", ["image/*"], "ANY", proxy)
    deploy(apigw, api_id)
    return api_id


@pytest.mark.parametrize(
    ("accept", "received"),
    [
        ("image/png", PNG),
        ("image/webp,image/*,*/*;q=0.8", PNG),  # the first type matches image/*
        ("text/html,image/png", PNG_B64),  # only the first type counts
        ("application/json", PNG_B64),  # the response's own image/png does not count
    ],
)
def test_lambda_proxy_image_response(
    server: Server, lambda_api: str, http: httpx.Client, accept: str, received: bytes
) -> None:
    response = http.get(server.url(lambda_api, "test", "/"), headers={"Accept": accept})
    assert response.status_code == 200
    assert response.content == received
    assert response.headers["Content-Type"] == "image/png"


def test_lambda_proxy_body_that_is_not_base64_is_a_500(
    server: Server, lambda_api: str, http: httpx.Client
) -> None:
    url = server.url(lambda_api, "test", "/") + "?bad=1"
    response = http.get(url, headers={"Accept": "image/png"})
    assert response.status_code == 500
    assert response.json() == {"message": "Internal server error"}
    request_id = response.headers["x-amzn-RequestId"]
    assert any(
        request_id in line and "Unable to base64-decode the Lambda proxy response body" in line
        for line in server.log().splitlines()
    )
    # A client that does not take binary gets the text as the function returned it.
    assert http.get(url, headers={"Accept": "text/html"}).content == b"not base64!"


@pytest.mark.parametrize(
    ("content_type", "body", "is_base64"),
    [
        ("image/jpeg", PNG_B64.decode(), True),  # image/* matches
        ("text/plain", "plain text", False),
    ],
)
def test_lambda_proxy_binary_upload(
    server: Server,
    lambda_api: str,
    http: httpx.Client,
    content_type: str,
    body: str,
    is_base64: bool,
) -> None:
    payload = PNG if is_base64 else body.encode()
    response = http.post(
        server.url(lambda_api, "test", "/"),
        content=payload,
        headers={"Content-Type": content_type, "Accept": "application/json"},
    )
    assert response.status_code == 200
    assert response.json() == {"body": body, "isBase64Encoded": is_base64}


CUSTOM_SOURCE = """\
def handler(event, context):
    return {"received": event["data"]}
"""


def test_lambda_custom_integration_with_conversions(
    server: Server, apigw: Any, lam: Any, http: httpx.Client
) -> None:
    """A binary upload reaches the function as base64 through its template
    (CONVERT_TO_TEXT); the response template renders base64 that is decoded
    (CONVERT_TO_BINARY)."""
    name = f"binary-custom-{uuid.uuid4().hex[:8]}"
    create_function(lam, name, CUSTOM_SOURCE)
    integration = {
        "type": "AWS",
        "integrationHttpMethod": "POST",
        "uri": lambda_uri(name),
        "contentHandling": "CONVERT_TO_TEXT",
        "requestTemplates": {"image/png": '{"data": "$input.body"}'},
    }
    api_id, root = root_method(apigw, "binary-custom", ["image/png"], "POST", integration)
    apigw.put_method_response(
        restApiId=api_id, resourceId=root, httpMethod="POST", statusCode="200"
    )
    apigw.put_integration_response(
        restApiId=api_id,
        resourceId=root,
        httpMethod="POST",
        statusCode="200",
        contentHandling="CONVERT_TO_BINARY",
        responseTemplates={"image/png": "$input.path('$.received')"},
    )
    deploy(apigw, api_id)
    response = http.post(
        server.url(api_id, "test", "/"),
        content=PNG,
        headers={"Content-Type": "image/png", "Accept": "image/png"},
    )
    assert response.status_code == 200, response.text
    assert response.content == PNG
