"""API keys and usage plans, enforced (spec §5.9, §6): keys accepted and refused with AWS's
bodies and headers, from the x-api-key header or a Lambda authorizer's usageIdentifierKey;
`$context.identity.apiKey(Id)` and the proxy event's identity; changes to keys and plans
without a redeployment; GetUsage / UpdateUsage from the gateway's counters; GetAccount."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import (
    ACCOUNT,
    REGION,
    Server,
    add_method,
    add_path,
    add_response,
    create_function,
    deploy,
    lambda_uri,
    new_api,
)

pytestmark = pytest.mark.e2e

FORBIDDEN = (403, {"message": "Forbidden"}, "ForbiddenException")
TEMPLATE = '{"key":"$context.identity.apiKey","id":"$context.identity.apiKeyId"}'

ECHO_EVENT = """\
import json


def handler(event, context):
    return {"statusCode": 200, "body": json.dumps(event["requestContext"]["identity"])}
"""

AUTHORIZER = """\
import os


def handler(event, context):
    token = event["authorizationToken"]
    return {
        "principalId": "user",
        "policyDocument": {"Version": "2012-10-17", "Statement": [{
            "Action": "execute-api:Invoke", "Effect": "Allow", "Resource": event["methodArn"]}]},
        "usageIdentifierKey": os.environ["KEY"] if token == "good" else "z" * 30,
    }
"""


@dataclass
class Keyed:
    server: Server
    apigw: Any
    api_id: str
    plan_id: str
    key_id: str
    value: str

    def get(self, http: httpx.Client, path: str, key: str | None = None,
            stage: str = "test") -> httpx.Response:  # fmt: skip
        headers = {"x-api-key": key} if key is not None else {}
        return http.get(self.server.url(self.api_id, stage, path), headers=headers)


def refusal(response: httpx.Response) -> tuple[int, Any, str | None]:
    return response.status_code, response.json(), response.headers.get("x-amzn-ErrorType")


def _key(apigw: Any, name: str, *, enabled: bool = True) -> tuple[str, str]:
    value = f"{name}-{uuid.uuid4().hex}"
    created = apigw.create_api_key(name=name, value=value, enabled=enabled)
    return created["id"], value


@pytest.fixture(scope="module")
def keyed(server: Server, apigw: Any, lam: Any) -> Iterator[Keyed]:
    suffix = uuid.uuid4().hex[:8]
    api_id, root = new_api(apigw, f"keys-{suffix}")
    pets = add_path(apigw, api_id, root, "/pets")
    add_method(apigw, api_id, pets, "GET",
               {"type": "MOCK", "requestTemplates": {"application/json": '{"statusCode": 200}'}},
               apiKeyRequired=True)  # fmt: skip
    add_response(apigw, api_id, pets, "GET", "200", templates={"application/json": TEMPLATE})
    open_ = add_path(apigw, api_id, root, "/open")
    add_method(apigw, api_id, open_, "GET",
               {"type": "MOCK", "requestTemplates": {"application/json": '{"statusCode": 200}'}})  # fmt: skip
    add_response(apigw, api_id, open_, "GET", "200", templates={"application/json": TEMPLATE})
    function = f"identity-{suffix}"
    create_function(lam, function, ECHO_EVENT)
    event = add_path(apigw, api_id, root, "/event")
    add_method(apigw, api_id, event, "GET",
               {"type": "AWS_PROXY", "integrationHttpMethod": "POST", "uri": lambda_uri(function)},
               apiKeyRequired=True)  # fmt: skip
    deploy(apigw, api_id, "test")
    deploy(apigw, api_id, "prod")
    plan = apigw.create_usage_plan(name=f"plan-{suffix}",
                                   apiStages=[{"apiId": api_id, "stage": "test"}])  # fmt: skip
    key_id, value = _key(apigw, f"key-{suffix}")
    apigw.create_usage_plan_key(usagePlanId=plan["id"], keyId=key_id, keyType="API_KEY")
    yield Keyed(server, apigw, api_id, plan["id"], key_id, value)


def test_a_key_in_a_plan_for_the_stage_is_accepted_in_any_header_case(
    keyed: Keyed, http: httpx.Client
) -> None:
    for header in ("x-api-key", "X-API-Key", "X-Api-KEY"):
        url = keyed.server.url(keyed.api_id, "test", "/pets")
        response = http.get(url, headers={header: keyed.value})
        assert response.status_code == 200
        assert response.json() == {"key": keyed.value, "id": keyed.key_id}


def test_missing_and_unknown_keys_are_forbidden(keyed: Keyed, http: httpx.Client) -> None:
    assert refusal(keyed.get(http, "/pets")) == FORBIDDEN
    assert refusal(keyed.get(http, "/pets", "not-a-key-of-this-account-at-all")) == FORBIDDEN
    assert refusal(keyed.get(http, "/pets", keyed.value.upper())) == FORBIDDEN  # values: exact


def test_a_method_without_api_key_required_ignores_keys(keyed: Keyed, http: httpx.Client) -> None:
    response = keyed.get(http, "/open", keyed.value)
    assert response.status_code == 200
    assert response.json() == {"key": "", "id": ""}


def test_a_key_in_no_plan_for_the_stage_is_forbidden(keyed: Keyed, http: httpx.Client) -> None:
    # The plan covers the test stage only.
    assert refusal(keyed.get(http, "/pets", keyed.value, stage="prod")) == FORBIDDEN
    lone_id, lone = _key(keyed.apigw, "lone")
    assert refusal(keyed.get(http, "/pets", lone)) == FORBIDDEN
    keyed.apigw.delete_api_key(apiKey=lone_id)


def test_keys_and_plans_change_without_a_redeployment(keyed: Keyed, http: httpx.Client) -> None:
    apigw = keyed.apigw
    key_id, value = _key(apigw, "later", enabled=False)
    apigw.create_usage_plan_key(usagePlanId=keyed.plan_id, keyId=key_id, keyType="API_KEY")
    assert refusal(keyed.get(http, "/pets", value)) == FORBIDDEN  # disabled
    apigw.update_api_key(apiKey=key_id,
                         patchOperations=[{"op": "replace", "path": "/enabled", "value": "true"}])  # fmt: skip
    assert keyed.get(http, "/pets", value).status_code == 200
    apigw.update_usage_plan(usagePlanId=keyed.plan_id, patchOperations=[
        {"op": "add", "path": "/apiStages", "value": f"{keyed.api_id}:prod"}])  # fmt: skip
    assert keyed.get(http, "/pets", value, stage="prod").status_code == 200
    apigw.delete_usage_plan_key(usagePlanId=keyed.plan_id, keyId=key_id)
    assert refusal(keyed.get(http, "/pets", value)) == FORBIDDEN
    apigw.delete_api_key(apiKey=key_id)


def test_the_proxy_event_identity_carries_the_key(keyed: Keyed, http: httpx.Client) -> None:
    response = keyed.get(http, "/event", keyed.value)
    assert response.status_code == 200
    identity = response.json()
    assert (identity["apiKey"], identity["apiKeyId"]) == (keyed.value, keyed.key_id)
    assert refusal(keyed.get(http, "/event")) == FORBIDDEN


def test_the_authorizer_key_source_uses_the_usage_identifier_key(
    server: Server, apigw: Any, lam: Any, http: httpx.Client
) -> None:
    suffix = uuid.uuid4().hex[:8]
    key_id, value = _key(apigw, f"auth-{suffix}")
    function = f"key-authorizer-{suffix}"
    create_function(lam, function, AUTHORIZER, environment={"KEY": value},
                    source_arn=f"arn:aws:execute-api:{REGION}:{ACCOUNT}:*/authorizers/*")  # fmt: skip
    api_id, root = new_api(apigw, f"authorizer-keys-{suffix}")
    apigw.update_rest_api(restApiId=api_id, patchOperations=[
        {"op": "replace", "path": "/apiKeySource", "value": "AUTHORIZER"}])  # fmt: skip
    authorizer = apigw.create_authorizer(
        restApiId=api_id, name="keys", type="TOKEN", authorizerUri=lambda_uri(function),
        identitySource="method.request.header.Authorization", authorizerResultTtlInSeconds=0,
    )["id"]  # fmt: skip
    apigw.put_method(restApiId=api_id, resourceId=root, httpMethod="GET",
                     authorizationType="CUSTOM", authorizerId=authorizer, apiKeyRequired=True)  # fmt: skip
    apigw.put_integration(restApiId=api_id, resourceId=root, httpMethod="GET", type="MOCK",
                          requestTemplates={"application/json": '{"statusCode": 200}'})  # fmt: skip
    add_response(apigw, api_id, root, "GET", "200", templates={"application/json": TEMPLATE})
    deploy(apigw, api_id, "test")
    plan = apigw.create_usage_plan(name=f"auth-plan-{suffix}",
                                   apiStages=[{"apiId": api_id, "stage": "test"}])  # fmt: skip
    apigw.create_usage_plan_key(usagePlanId=plan["id"], keyId=key_id, keyType="API_KEY")
    url = server.url(api_id, "test", "/")
    good = http.get(url, headers={"Authorization": "good"})
    assert good.status_code == 200
    assert good.json() == {"key": value, "id": key_id}
    # The header is not read with the AUTHORIZER source: the authorizer's key decides.
    other = http.get(url, headers={"Authorization": "other", "x-api-key": value})
    assert refusal(other) == FORBIDDEN


def test_get_usage_and_update_usage_answer_from_the_counters(
    keyed: Keyed, http: httpx.Client
) -> None:
    apigw = keyed.apigw
    plan = apigw.create_usage_plan(
        name="quota", apiStages=[{"apiId": keyed.api_id, "stage": "prod"}],
        quota={"limit": 5, "period": "DAY"},
    )  # fmt: skip
    key_id, value = _key(apigw, "counted")
    apigw.create_usage_plan_key(usagePlanId=plan["id"], keyId=key_id, keyType="API_KEY")
    today = datetime.datetime.now(datetime.UTC).date().isoformat()
    for _ in range(2):
        assert keyed.get(http, "/pets", value, stage="prod").status_code == 200
    usage = apigw.get_usage(usagePlanId=plan["id"], startDate=today, endDate=today)
    assert usage["usagePlanId"] == plan["id"]
    assert usage["items"] == {key_id: [[2, 3]]}
    updated = apigw.update_usage(usagePlanId=plan["id"], keyId=key_id,
                                 patchOperations=[{"op": "replace", "path": "/remaining",
                                                   "value": "1"}])  # fmt: skip
    assert updated["items"] == {key_id: [[2, 1]]}
    assert keyed.get(http, "/pets", value, stage="prod").status_code == 200
    exceeded = keyed.get(http, "/pets", value, stage="prod")
    assert refusal(exceeded) == (429, {"message": "Limit Exceeded"}, "LimitExceededException")
    usage = apigw.get_usage(usagePlanId=plan["id"], keyId=key_id, startDate=today, endDate=today)
    assert usage["items"] == {key_id: [[3, 0]]}


def test_get_account_reports_the_account_throttle(apigw: Any) -> None:
    account = apigw.get_account()
    assert account["throttleSettings"] == {"burstLimit": 5000, "rateLimit": 10000.0}
    assert account["features"] == ["UsagePlans"]
    assert account["apiKeyVersion"] == "4"


def test_keys_and_plans_are_tagged_by_their_arns(keyed: Keyed) -> None:
    apigw = keyed.apigw
    for arn in (f"arn:aws:apigateway:{REGION}::/apikeys/{keyed.key_id}",
                f"arn:aws:apigateway:{REGION}::/usageplans/{keyed.plan_id}"):  # fmt: skip
        apigw.tag_resource(resourceArn=arn, tags={"team": "a", "tier": "gold"})
        apigw.untag_resource(resourceArn=arn, tagKeys=["tier"])
        assert apigw.get_tags(resourceArn=arn)["tags"] == {"team": "a"}
    assert apigw.get_api_key(apiKey=keyed.key_id)["tags"] == {"team": "a"}
    assert apigw.get_usage_plan(usagePlanId=keyed.plan_id)["tags"] == {"team": "a"}
    missing = f"arn:aws:apigateway:{REGION}::/apikeys/nokey12345"
    with pytest.raises(apigw.exceptions.NotFoundException):
        apigw.get_tags(resourceArn=missing)
