"""RemoteInvoker against a real Invoke API endpoint on loopback, through the real pooled client.

The endpoint is a tiny HTTP/1.1 server that records each request and answers as the test
scripts it: like Lambda (with its headers and service errors) or like the Runtime Interface
Emulator (no headers at all; errors in the body or as a bare 502).
"""

from __future__ import annotations

import asyncio
import base64
import datetime
import json
import re
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tollway.dataplane.integrations.upstream_httptools import HttpToolsUpstream
from tollway.functions.errors import RemoteInvokeError
from tollway.functions.host import InvokeResult
from tollway.functions.remote import RemoteInvoker, RemoteTarget

FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:my-fn"
LAMBDA_HEADERS = [("X-Amz-Executed-Version", "$LATEST"), ("x-amzn-RequestId", "r-1")]
Reply = tuple[int, list[tuple[str, str]], bytes]


@dataclass
class Seen:
    """One request as it arrived on the wire."""

    method: str
    target: str
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        values = [v for k, v in self.headers if k.lower() == name.lower()]
        assert len(values) <= 1, f"{name} sent {len(values)} times"
        return values[0] if values else None


class InvokeApi:
    """A scripted Invoke API endpoint. `answer` returning None never answers (a hung function)."""

    def __init__(self, answer: Callable[[Seen], Reply | None]) -> None:
        self.answer = answer
        self.seen: list[Seen] = []
        self.connections = 0
        self.server: asyncio.Server | None = None
        self.writers: list[asyncio.StreamWriter] = []

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self.writers.append(writer)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                request_line, *lines = head.decode("latin-1").split("\r\n")[:-2]
                method, target, _ = request_line.split(" ")
                headers = [(k, v.strip()) for k, _, v in (line.partition(":") for line in lines)]
                length = next((int(v) for k, v in headers if k.lower() == "content-length"), 0)
                seen = Seen(method, target, headers, await reader.readexactly(length))
                self.seen.append(seen)
                reply = self.answer(seen)
                if reply is None:
                    await asyncio.Event().wait()  # until the test's teardown closes it
                    return
                status, reply_headers, body = reply
                lines = [f"HTTP/1.1 {status} X", f"Content-Length: {len(body)}"]
                lines += [f"{k}: {v}" for k, v in reply_headers]
                writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    @property
    def endpoint(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"


Serve = Callable[[Callable[[Seen], Reply | None]], Awaitable[InvokeApi]]


@pytest.fixture
async def client() -> AsyncIterator[HttpToolsUpstream]:
    upstream = HttpToolsUpstream()
    yield upstream
    await upstream.close()


@pytest.fixture
async def serve() -> AsyncIterator[Serve]:
    apis: list[InvokeApi] = []

    async def start(answer: Callable[[Seen], Reply | None]) -> InvokeApi:
        api = InvokeApi(answer)
        api.server = await asyncio.start_server(api.handle, "127.0.0.1", 0)
        apis.append(api)
        return api

    yield start
    for api in apis:
        assert api.server is not None
        api.server.close()
        for writer in api.writers:
            writer.close()
        await api.server.wait_closed()
    await asyncio.sleep(0)  # let the handlers see their connections close


async def _invoke(
    client: HttpToolsUpstream, target: RemoteTarget, payload: bytes = b'{"a":1}', **kwargs: object
) -> InvokeResult:
    return await RemoteInvoker(client).invoke(target, payload, timeout=2, **kwargs)  # type: ignore[arg-type]


# --- Answers like Lambda's -------------------------------------------------------------------


async def test_success_sends_the_invoke_request_and_returns_the_payload(
    client: HttpToolsUpstream, serve: Serve
) -> None:
    api = await serve(lambda seen: (200, [*LAMBDA_HEADERS], b'{"echo":' + seen.body + b"}"))
    target = RemoteTarget(api.endpoint, "my-fn")

    result = await _invoke(client, target)

    assert result == InvokeResult(b'{"echo":{"a":1}}', None, "", "$LATEST")
    [seen] = api.seen
    assert (seen.method, seen.target) == ("POST", "/2015-03-31/functions/my-fn/invocations")
    assert seen.body == b'{"a":1}'
    assert seen.header("Host") == api.endpoint.removeprefix("http://")
    assert seen.header("Content-Type") == "application/json"
    assert seen.header("X-Amz-Invocation-Type") == "RequestResponse"
    assert seen.header("X-Amz-Log-Type") == "Tail"
    assert seen.header("Authorization") is None  # no credentials: unsigned


async def test_function_error_log_tail_and_executed_version(
    client: HttpToolsUpstream, serve: Serve
) -> None:
    log = "START RequestId: r-1 Version: 3\nboom\nEND RequestId: r-1\n"
    error = b'{"errorMessage":"boom","errorType":"ValueError","stackTrace":[]}'
    api = await serve(
        lambda seen: (
            200,
            [
                ("X-Amz-Executed-Version", "3"),
                ("X-Amz-Function-Error", "Unhandled"),
                ("X-Amz-Log-Result", base64.b64encode(log.encode()).decode()),
            ],
            error,
        )
    )

    result = await _invoke(client, RemoteTarget(api.endpoint, "my-fn", qualifier="live"))

    assert result == InvokeResult(error, "Unhandled", log, "3")


async def test_an_arn_and_qualifier_are_escaped_into_path_and_query(
    client: HttpToolsUpstream, serve: Serve
) -> None:
    api = await serve(lambda seen: (200, [*LAMBDA_HEADERS], b"null"))

    await _invoke(client, RemoteTarget(api.endpoint, FUNCTION_ARN, qualifier="$LATEST"))
    await _invoke(client, RemoteTarget(api.endpoint + "/", "my-fn", qualifier="live"))

    assert [seen.target for seen in api.seen] == [
        "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Amy-fn"
        "/invocations?Qualifier=%24LATEST",
        "/2015-03-31/functions/my-fn/invocations?Qualifier=live",
    ]
    assert api.connections == 1  # the pooled client kept the connection alive


async def test_event_invocations_ask_for_no_log(client: HttpToolsUpstream, serve: Serve) -> None:
    api = await serve(lambda seen: (202, [("x-amzn-RequestId", "r-1")], b""))

    result = await _invoke(client, RemoteTarget(api.endpoint, "my-fn"), invocation_type="Event")

    assert result == InvokeResult(b"", None, "", "$LATEST")
    assert api.seen[0].header("X-Amz-Invocation-Type") == "Event"
    assert api.seen[0].header("X-Amz-Log-Type") is None  # Tail applies to synchronous calls only


async def test_resource_not_found_is_a_remote_invoke_error(
    client: HttpToolsUpstream, serve: Serve
) -> None:
    message = f"Function not found: {FUNCTION_ARN}"
    api = await serve(
        lambda seen: (
            404,
            [
                ("x-amzn-ErrorType", "ResourceNotFoundException:http://internal.amazon.com/"),
                ("Content-Type", "application/json"),
            ],
            json.dumps({"Type": "User", "message": message}).encode(),
        )
    )

    with pytest.raises(RemoteInvokeError) as caught:
        await _invoke(client, RemoteTarget(api.endpoint, FUNCTION_ARN))

    error = caught.value
    assert (error.status, error.error_type, error.message) == (
        404,
        "ResourceNotFoundException",
        message,
    )


@pytest.mark.parametrize(
    ("headers", "body"),
    [
        (
            [("x-amzn-ErrorType", "TooManyRequestsException")],
            b'{"Reason":"x","message":"Rate Exceeded."}',
        ),
        ([], b'{"Type":"User","message":"Rate Exceeded."}'),  # a body without the header
    ],
    ids=["with-type-header", "body-only"],
)
async def test_throttling_keeps_its_type(
    client: HttpToolsUpstream, serve: Serve, headers: list[tuple[str, str]], body: bytes
) -> None:
    api = await serve(lambda seen: (429, headers, body))

    with pytest.raises(RemoteInvokeError) as caught:
        await _invoke(client, RemoteTarget(api.endpoint, "my-fn"))

    error = caught.value
    assert (error.status, error.error_type, error.message) == (
        429,
        "TooManyRequestsException",
        "Rate Exceeded.",
    )


async def test_other_non_lambda_failures_are_service_exceptions(
    client: HttpToolsUpstream, serve: Serve
) -> None:
    api = await serve(lambda seen: (502, [("Content-Type", "text/html")], b"<h1>Bad Gateway</h1>"))

    with pytest.raises(RemoteInvokeError) as caught:
        await _invoke(client, RemoteTarget(api.endpoint, "my-fn"))

    error = caught.value
    assert (error.status, error.error_type) == (502, "ServiceException")
    assert error.message == f"{api.endpoint} answered HTTP 502: <h1>Bad Gateway</h1>"


# --- Answers like the Runtime Interface Emulator's ---------------------------------------------
# It drops every header (cmd/aws-lambda-rie/util.go's ResponseWriterProxy); Go sniffs text/plain.

RIE_HEADERS = [("Content-Type", "text/plain; charset=utf-8")]


async def test_rie_handler_exception_is_a_function_error(
    client: HttpToolsUpstream, serve: Serve
) -> None:
    error = (
        b'{"errorMessage": "boom", "errorType": "Exception", "requestId": "x", "stackTrace": ['
        b'"  File \\"/var/task/app.py\\", line 2, in handler\\n"]}'
    )
    api = await serve(lambda seen: (200, RIE_HEADERS, error))

    result = await _invoke(client, RemoteTarget(api.endpoint, "function"))

    assert result == InvokeResult(error, "Unhandled", "", "$LATEST")


async def test_rie_success_with_an_ordinary_object(client: HttpToolsUpstream, serve: Serve) -> None:
    body = b'{"statusCode": 200, "body": "{\\"errorType\\": \\"in a string\\"}"}'
    api = await serve(lambda seen: (200, RIE_HEADERS, body))

    result = await _invoke(client, RemoteTarget(api.endpoint, "function"))

    assert result == InvokeResult(body, None, "", "$LATEST")


async def test_lambda_is_trusted_when_an_error_shaped_result_has_no_error_header(
    client: HttpToolsUpstream, serve: Serve
) -> None:
    # A function may return such an object; Lambda (which sends the executed version) says
    # whether it failed, so only an endpoint that does not is second-guessed.
    body = b'{"errorType": "NotReally", "errorMessage": "a result"}'
    api = await serve(lambda seen: (200, [*LAMBDA_HEADERS], body))

    result = await _invoke(client, RemoteTarget(api.endpoint, "my-fn"))

    assert result == InvokeResult(body, None, "", "$LATEST")


async def test_rie_timeout_becomes_lambdas_timeout_error(
    client: HttpToolsUpstream, serve: Serve
) -> None:
    api = await serve(lambda seen: (200, RIE_HEADERS, b"Task timed out after 3.00 seconds"))

    result = await _invoke(client, RemoteTarget(api.endpoint, "function"), request_id="req-7")

    assert result.function_error == "Unhandled"
    assert json.loads(result.payload) == {
        "errorType": "Sandbox.Timedout",
        "errorMessage": "RequestId: req-7 Error: Task timed out after 3.00 seconds",
    }


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            b"",
            {
                "errorType": "Runtime.ExitError",
                "errorMessage": "RequestId: req-8 Error: Runtime exited without providing a reason",
            },
        ),
        (
            b'{"errorType":"Runtime.ImportModuleError","errorMessage":"No module named \'app\'"}',
            {"errorType": "Runtime.ImportModuleError", "errorMessage": "No module named 'app'"},
        ),
    ],
    ids=["crash-empty-body", "init-error-body"],
)
async def test_rie_502_for_a_failed_runtime_is_a_function_error(
    client: HttpToolsUpstream, serve: Serve, body: bytes, expected: dict[str, str]
) -> None:
    api = await serve(lambda seen: (502, RIE_HEADERS, body))

    result = await _invoke(client, RemoteTarget(api.endpoint, "function"), request_id="req-8")

    assert result.function_error == "Unhandled"
    assert json.loads(result.payload) == expected


# --- Endpoints that do not answer --------------------------------------------------------------


async def test_an_unreachable_endpoint_is_a_502_naming_it(client: HttpToolsUpstream) -> None:
    with socket.socket() as free:  # a port nothing listens on once this socket is closed
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    endpoint = f"http://127.0.0.1:{port}"

    with pytest.raises(RemoteInvokeError) as caught:
        await _invoke(client, RemoteTarget(endpoint, "my-fn"))

    error = caught.value
    assert (error.status, error.error_type) == (502, "ServiceException")
    assert error.message.startswith(f"{endpoint} gave no answer to the invocation of my-fn: ")
    assert "Connect call failed" in error.message or "refused" in error.message


async def test_an_endpoint_that_does_not_answer_in_time(
    client: HttpToolsUpstream, serve: Serve
) -> None:
    api = await serve(lambda seen: None)
    loop = asyncio.get_running_loop()
    started = loop.time()

    with pytest.raises(RemoteInvokeError) as caught:
        await RemoteInvoker(client).invoke(RemoteTarget(api.endpoint, "my-fn"), b"{}", timeout=0.2)

    assert 0.2 <= loop.time() - started < 1
    error = caught.value
    assert (error.status, error.error_type) == (502, "ServiceException")
    assert error.message == (
        f"{api.endpoint} did not answer the invocation of my-fn within 0.2 seconds"
    )


# --- SigV4 ---------------------------------------------------------------------------------------

_AUTHORIZATION = re.compile(
    r"AWS4-HMAC-SHA256 Credential=(?P<credential>[^,]+), "
    r"SignedHeaders=(?P<signed>[^,]+), Signature=(?P<signature>[0-9a-f]{64})"
)


def _signature_matches(seen: Seen, endpoint: str, secret: str, token: str | None) -> bool:
    """Verify the request as Lambda would: recompute the signature from what arrived on the
    wire (method, path, query, the signed headers' values, body) with the caller's secret."""
    match = _AUTHORIZATION.fullmatch(seen.header("Authorization") or "")
    assert match, seen.header("Authorization")
    access_key, _date, region, service, _ = match["credential"].split("/")
    signed = {name: seen.header(name) for name in match["signed"].split(";")}
    request = AWSRequest(
        method=seen.method, url=endpoint + seen.target, data=seen.body, headers=signed
    )
    request.context["timestamp"] = seen.header("X-Amz-Date")
    signer = SigV4Auth(Credentials(access_key, secret, token), service, region)
    canonical = signer.canonical_request(request)
    expected = signer.signature(signer.string_to_sign(request, canonical), request)
    return bool(expected == match["signature"])


@pytest.mark.parametrize("token", [None, "SESSION-TOKEN"], ids=["keys", "session"])
async def test_sigv4_signature_verifies_against_the_request_received(
    client: HttpToolsUpstream, serve: Serve, token: str | None
) -> None:
    api = await serve(lambda seen: (200, [*LAMBDA_HEADERS], b'"ok"'))
    target = RemoteTarget(
        api.endpoint, FUNCTION_ARN, qualifier="7", region="eu-west-1",
        credentials=("AKID", "SECRET", token),
    )  # fmt: skip

    assert (await _invoke(client, target)).payload == b'"ok"'

    [seen] = api.seen
    authorization = seen.header("Authorization") or ""
    today = datetime.datetime.now(datetime.UTC).strftime("%Y%m%d")
    assert f"Credential=AKID/{today}/eu-west-1/lambda/aws4_request," in authorization
    signed = _AUTHORIZATION.fullmatch(authorization)["signed"].split(";")  # type: ignore[index]
    assert {"host", "x-amz-date", "content-type", "x-amz-invocation-type"} <= set(signed)
    assert seen.header("X-Amz-Security-Token") == token
    assert ("x-amz-security-token" in signed) is (token is not None)
    assert _signature_matches(seen, api.endpoint, "SECRET", token)
    assert not _signature_matches(seen, api.endpoint, "WRONG-SECRET", token)


# --- The target ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "endpoint", ["lambda.us-east-1.amazonaws.com", "ftp://h", "http://", "http://h:x", "http://h?q"]
)
def test_unusable_endpoints_are_refused_up_front(endpoint: str) -> None:
    with pytest.raises(ValueError, match="Invalid Lambda endpoint"):
        RemoteTarget(endpoint, "my-fn")


def test_the_target_hides_its_secret_and_knows_its_host() -> None:
    target = RemoteTarget(
        "https://lambda.us-east-1.amazonaws.com", "f", credentials=("A", "S", None)
    )
    assert "S3CR3T" not in repr(target) and "credentials" not in repr(target)
    assert target.host == "lambda.us-east-1.amazonaws.com"
    assert RemoteTarget("http://[::1]:9000", "f").host == "[::1]:9000"


async def test_unknown_invocation_types_are_refused(client: HttpToolsUpstream) -> None:
    with pytest.raises(ValueError, match="Unknown invocation type"):
        await _invoke(client, RemoteTarget("http://127.0.0.1:1", "f"), invocation_type="Sync")
