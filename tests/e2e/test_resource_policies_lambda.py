"""A resource policy with REST Lambda (TOKEN) authorizers, end to end (spec §5.4; AWS's flow
"Lambda authorizer and resource policy"): the policy's explicit Deny refuses before the
authorizer is called; otherwise the authorizer's policy and the resource policy combine by
Table A (an Allow from either is enough, a Deny from either refuses). The authorizer function
is test_lambda_authorizers.py's: it records every event, so each test shows whether it ran;
its token's first word says what it answers (`allow`, `deny`, `elsewhere`: an Allow for
another method only, `unauthorized`)."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import (
    ACCOUNT,
    REGION,
    Server,
    add_path,
    add_response,
    create_function,
    deploy,
    lambda_uri,
)
from tests.e2e.test_lambda_authorizers import (
    AUTHORIZER_SOURCE,
    EXPLICIT_DENY,
    NOT_AUTHORIZED,
    UNAUTHORIZED,
)

POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Deny", "Principal": "*", "Action": "execute-api:Invoke",
         "Resource": "execute-api:/*",
         "Condition": {"IpAddress": {"aws:SourceIp": "127.0.0.2/32"}}},
        {"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke",
         "Resource": "execute-api:/*/GET/open"},
    ],
}  # fmt: skip


@dataclass
class Api:
    server: Server
    api_id: str
    record: Path

    def get(self, path: str, token: str, source: str = "127.0.0.1") -> httpx.Response:
        transport = httpx.HTTPTransport(local_address=source)
        with httpx.Client(transport=transport, timeout=30) as client:
            url = self.server.url(self.api_id, "test", path)
            return client.get(url, headers={"Authorization": token})

    def called_with(self, token: str) -> bool:
        lines = self.record.read_text().splitlines() if self.record.exists() else []
        return any(json.loads(line).get("authorizationToken") == token for line in lines)


@pytest.fixture(scope="module")
def api(server: Server, apigw: Any, lam: Any, tmp_path_factory: pytest.TempPathFactory) -> Api:
    """`GET /open` (the policy allows it) and `GET /closed` (the policy is silent), both
    behind a TOKEN authorizer; the policy denies 127.0.0.2 everything."""
    suffix = uuid.uuid4().hex[:8]
    record = tmp_path_factory.mktemp("policy-authorizer") / "events.jsonl"
    function = f"policy-authorizer-{suffix}"
    create_function(lam, function, AUTHORIZER_SOURCE, environment={"RECORD": str(record)},
                    source_arn=f"arn:aws:execute-api:{REGION}:{ACCOUNT}:*/authorizers/*")  # fmt: skip
    created = apigw.create_rest_api(name=f"policy-lambda-{suffix}", policy=json.dumps(POLICY))
    api_id = created["id"]
    authorizer = apigw.create_authorizer(
        restApiId=api_id, name="tok", type="TOKEN", authorizerUri=lambda_uri(function),
        identitySource="method.request.header.Authorization",
    )["id"]  # fmt: skip
    for path in ("/open", "/closed"):
        resource = add_path(apigw, api_id, created["rootResourceId"], path)
        apigw.put_method(restApiId=api_id, resourceId=resource, httpMethod="GET",
                         authorizationType="CUSTOM", authorizerId=authorizer)  # fmt: skip
        apigw.put_integration(restApiId=api_id, resourceId=resource, httpMethod="GET",
                              type="MOCK",
                              requestTemplates={"application/json": '{"statusCode": 200}'})  # fmt: skip
        add_response(apigw, api_id, resource, "GET", "200",
                     templates={"application/json": '{"principal":"$context.authorizer.principalId"}'})  # fmt: skip
    deploy(apigw, api_id, "test")
    return Api(server, api_id, record)


def fresh(kind: str) -> str:
    return f"{kind}-{uuid.uuid4().hex[:12]}"


def outcome(response: httpx.Response) -> tuple[int, Any, str | None]:
    return response.status_code, response.json(), response.headers.get("x-amzn-ErrorType")


def test_the_policys_deny_refuses_before_the_authorizer_runs(api: Api) -> None:
    token = fresh("allow")
    arn = f"arn:aws:execute-api:{REGION}:********{ACCOUNT[-4:]}:{api.api_id}/test/GET/open"
    assert outcome(api.get("/open", token, source="127.0.0.2")) == (
        403,
        {"Message": "User: anonymous is not authorized to perform: execute-api:Invoke on "
                    f"resource: {arn} with an explicit deny in a resource-based policy"},
        "AccessDeniedException",
    )  # fmt: skip
    assert not api.called_with(token)


@pytest.mark.parametrize(
    ("path", "kind", "expected"),
    [  # Table A: (authorizer, resource policy)
        ("/closed", "allow", 200),  # Allow, neither: allowed
        ("/open", "allow", 200),  # Allow, Allow
        ("/open", "elsewhere", 200),  # neither, Allow: allowed
        ("/closed", "elsewhere", NOT_AUTHORIZED),  # neither, neither: the authorizer's refusal
        ("/open", "deny", EXPLICIT_DENY),  # Deny, Allow: explicit deny
    ],
)
def test_table_a(api: Api, path: str, kind: str, expected: Any) -> None:
    token = fresh(kind)
    response = api.get(path, token)
    if expected == 200:
        assert (response.status_code, response.json()) == (200, {"principal": f"user-{token}"})
    else:
        assert outcome(response) == expected
    assert api.called_with(token)


def test_the_authorizers_own_refusal_stays(api: Api) -> None:
    assert outcome(api.get("/open", fresh("unauthorized"))) == UNAUTHORIZED
