"""API keys, usage plans, usage plan keys and usage through the real control plane with boto3
(spec §5.9, §6.1, §6.2, §16.1, §16.5): every operation and AWS's errors."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from tests.e2e.conftest import aws_error, deploy, mock_method, new_api, shape, status_of

VALUE = "k" * 30


@pytest.fixture(scope="module")
def stage(apigw: Any) -> tuple[str, str]:
    """A deployed REST API: (api id, stage name)."""
    api_id, root = new_api(apigw, "keys")
    mock_method(apigw, api_id, root, "GET", "{}")
    deploy(apigw, api_id, "dev")
    return api_id, "dev"


def unique(prefix: str) -> str:
    import secrets

    return f"{prefix}{secrets.token_hex(12)}"


# --- API keys ---------------------------------------------------------------------------------


def test_create_generates_a_value_and_defaults(apigw: Any) -> None:
    created = apigw.create_api_key(name="gen")
    assert status_of(created) == 201
    key = shape(created)
    assert len(key["value"]) == 40 and key["value"].isalnum()
    assert key["enabled"] is False  # AWS's default
    assert key["stageKeys"] == []
    assert {"id", "name", "createdDate", "lastUpdatedDate"} <= set(key)
    fetched = shape(apigw.get_api_key(apiKey=key["id"]))
    assert "value" not in fetched
    assert shape(apigw.get_api_key(apiKey=key["id"], includeValue=True))["value"] == key["value"]


def test_create_with_everything(apigw: Any, stage: tuple[str, str]) -> None:
    api_id, name = stage
    value = unique("v")
    key = shape(
        apigw.create_api_key(
            name="full", description="d", enabled=True, value=value, customerId="cust-1",
            stageKeys=[{"restApiId": api_id, "stageName": name}], tags={"team": "a"},
        )
    )  # fmt: skip
    assert key["value"] == value
    assert key["enabled"] is True
    assert key["customerId"] == "cust-1"
    assert key["description"] == "d"
    assert key["stageKeys"] == [f"{api_id}/{name}"]
    assert key["tags"] == {"team": "a"}


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"value": "short"}, "API Key value should be at least 20 characters"),
        ({"value": "x" * 129}, "API Key value exceeds maximum size of 128 characters"),
        ({"name": "n" * 1025}, "Invalid API Key name, can be at most 1024 characters."),
    ],
)
def test_create_refusals(apigw: Any, fields: dict[str, Any], message: str) -> None:
    assert aws_error(apigw.create_api_key, **fields) == (400, "BadRequestException", message)


def test_duplicate_value_conflicts(apigw: Any) -> None:
    value = unique("dup")
    apigw.create_api_key(name="one", value=value)
    assert aws_error(apigw.create_api_key, name="two", value=value) == (
        409, "ConflictException", "API Key already exists",
    )  # fmt: skip


def test_unknown_key(apigw: Any) -> None:
    expected = (404, "NotFoundException", "Invalid API Key identifier specified")
    assert aws_error(apigw.get_api_key, apiKey="nope") == expected
    assert aws_error(apigw.delete_api_key, apiKey="nope") == expected
    assert aws_error(apigw.update_api_key, apiKey="nope", patchOperations=[]) == expected


def test_list_filters_and_pages(apigw: Any) -> None:
    prefix = unique("list")
    made = [
        apigw.create_api_key(name=f"{prefix}-{i}", customerId=f"c{i % 2}")["id"] for i in range(3)
    ]
    listed = apigw.get_api_keys(nameQuery=prefix)["items"]
    assert [k["id"] for k in listed] == made
    assert all("value" not in k for k in listed)
    with_values = apigw.get_api_keys(nameQuery=prefix, includeValues=True)["items"]
    assert all(len(k["value"]) == 40 for k in with_values)
    by_customer = apigw.get_api_keys(nameQuery=prefix, customerId="c1")["items"]
    assert [k["id"] for k in by_customer] == [made[1]]
    first = apigw.get_api_keys(nameQuery=prefix, limit=2)
    assert [k["id"] for k in first["items"]] == made[:2]
    rest = apigw.get_api_keys(nameQuery=prefix, limit=2, position=first["position"])
    assert [k["id"] for k in rest["items"]] == made[2:] and "position" not in rest


def test_update(apigw: Any, stage: tuple[str, str]) -> None:
    api_id, name = stage
    key_id = apigw.create_api_key(name="before")["id"]
    updated = shape(
        apigw.update_api_key(
            apiKey=key_id,
            patchOperations=[
                {"op": "replace", "path": "/name", "value": "after"},
                {"op": "replace", "path": "/description", "value": "desc"},
                {"op": "replace", "path": "/enabled", "value": "true"},
                {"op": "replace", "path": "/customerId", "value": "cx"},
                {"op": "add", "path": "/stages", "value": f"{api_id}/{name}"},
            ],
        )
    )
    assert (updated["name"], updated["description"], updated["enabled"]) == ("after", "desc", True)
    assert updated["customerId"] == "cx"
    assert updated["stageKeys"] == [f"{api_id}/{name}"]
    assert "value" not in updated
    removed = apigw.update_api_key(
        apiKey=key_id,
        patchOperations=[{"op": "remove", "path": "/stages", "value": f"{api_id}/{name}"}],
    )
    assert removed["stageKeys"] == []
    assert aws_error(
        apigw.update_api_key, apiKey=key_id, patchOperations=[{"op": "replace", "path": "/value", "value": "x"}]
    ) == (400, "BadRequestException", "Invalid patch path /value")  # fmt: skip


def test_delete_removes_key_from_plans(apigw: Any, stage: tuple[str, str]) -> None:
    key_id = apigw.create_api_key(name="gone")["id"]
    plan_id = apigw.create_usage_plan(name="p")["id"]
    apigw.create_usage_plan_key(usagePlanId=plan_id, keyId=key_id, keyType="API_KEY")
    assert status_of(apigw.delete_api_key(apiKey=key_id)) == 202
    assert aws_error(apigw.get_api_key, apiKey=key_id)[0] == 404
    assert apigw.get_usage_plan_keys(usagePlanId=plan_id)["items"] == []


def test_import_csv(apigw: Any) -> None:
    plan_id = apigw.create_usage_plan(name="imp")["id"]
    first, second = unique("imported"), unique("other")
    body = (
        "Name,key,description,Enabled,usageplanIds,ignored\n"
        f"First,{first},An imported key,TRUE,{plan_id},x\n"
        f"Second,{second},,false,,\n"
    )
    answer = apigw.import_api_keys(body=body.encode(), format="csv")
    assert status_of(answer) == 201
    assert len(answer["ids"]) == 2 and "warnings" not in answer
    one = apigw.get_api_key(apiKey=answer["ids"][0], includeValue=True)
    assert (one["name"], one["value"], one["enabled"]) == ("First", first, True)
    assert one["description"] == "An imported key"
    assert apigw.get_api_key(apiKey=answer["ids"][1])["enabled"] is False
    plan_keys = apigw.get_usage_plan_keys(usagePlanId=plan_id)["items"]
    assert [k["id"] for k in plan_keys] == [answer["ids"][0]]
    # The same value again overwrites the key it names.
    again = apigw.import_api_keys(body=f"key,name\n{first},Renamed\n".encode(), format="csv")
    assert again["ids"] == [answer["ids"][0]]
    assert apigw.get_api_key(apiKey=answer["ids"][0])["name"] == "Renamed"


def test_import_warnings(apigw: Any) -> None:
    good = unique("good")
    body = f"name,key\nShort,tooshort\nGood,{good}\n".encode()
    answer = apigw.import_api_keys(body=body, format="csv")
    assert len(answer["ids"]) == 1
    assert answer["warnings"] == ["Line 2: API Key value should be at least 20 characters"]
    status, code, message = aws_error(
        apigw.import_api_keys, body=b"name,key\nShort,tooshort\n", format="csv", failOnWarnings=True
    )  # fmt: skip
    assert (status, code) == (400, "BadRequestException")
    assert message == "Line 2: API Key value should be at least 20 characters"
    assert aws_error(apigw.import_api_keys, body=b"name,description\nx,y\n", format="csv") == (
        400, "BadRequestException", "Invalid API Key file: the Name and Key columns are required",
    )  # fmt: skip


# --- usage plans ------------------------------------------------------------------------------


def test_usage_plan_crud(apigw: Any, stage: tuple[str, str]) -> None:
    api_id, name = stage
    created = apigw.create_usage_plan(
        name="gold", description="g",
        apiStages=[{"apiId": api_id, "stage": name, "throttle": {"/pets/GET": {"burstLimit": 5, "rateLimit": 2.5}}}],
        throttle={"burstLimit": 10, "rateLimit": 20.0},
        quota={"limit": 1000, "offset": 10, "period": "MONTH"},
        tags={"tier": "gold"},
    )  # fmt: skip
    assert status_of(created) == 201
    plan = shape(created)
    assert plan["apiStages"] == [
        {
            "apiId": api_id,
            "stage": name,
            "throttle": {"/pets/GET": {"burstLimit": 5, "rateLimit": 2.5}},
        }
    ]
    assert plan["throttle"] == {"burstLimit": 10, "rateLimit": 20.0}
    assert plan["quota"] == {"limit": 1000, "offset": 10, "period": "MONTH"}
    assert shape(apigw.get_usage_plan(usagePlanId=plan["id"])) == plan
    assert plan["id"] in [p["id"] for p in apigw.get_usage_plans(limit=500)["items"]]
    assert status_of(apigw.delete_usage_plan(usagePlanId=plan["id"])) == 202
    assert aws_error(apigw.get_usage_plan, usagePlanId=plan["id"]) == (
        404, "NotFoundException", "Invalid Usage Plan ID specified",
    )  # fmt: skip


def test_usage_plan_unknown_stage(apigw: Any, stage: tuple[str, str]) -> None:
    api_id, _ = stage
    status, code, message = aws_error(
        apigw.create_usage_plan, name="bad", apiStages=[{"apiId": api_id, "stage": "fakestagename"}]
    )
    assert (status, code) == (404, "NotFoundException")
    assert message.startswith(
        f"Invalid API Stage {{api: {api_id}, stage: fakestagename}} specified for usageplan "
    )
    status, code, message = aws_error(
        apigw.create_usage_plan, name="bad", apiStages=[{"apiId": api_id + "b", "stage": "dev"}]
    )
    assert (status, code) == (404, "NotFoundException")
    assert message.startswith(f"Invalid API Stage {{api: {api_id}b, stage: dev}}")


def test_usage_plan_bad_quota_period(apigw: Any) -> None:
    # CreateUsagePlan's enum is checked by the request model, as AWS does.
    assert aws_error(apigw.create_usage_plan, name="q", quota={"limit": 1, "period": "YEAR"}) == (
        400, "ValidationException",
        "1 validation error detected: Value 'YEAR' at 'createUsagePlanInput.quota.period' failed "
        "to satisfy constraint: Member must satisfy enum value set: [DAY, WEEK, MONTH]",
    )  # fmt: skip
    plan_id = apigw.create_usage_plan(name="q")["id"]
    assert aws_error(
        apigw.update_usage_plan, usagePlanId=plan_id,
        patchOperations=[{"op": "replace", "path": "/quota/period", "value": "YEAR"}],
    ) == (
        400, "BadRequestException", "Invalid quota period specified: YEAR. Valid values are DAY, WEEK, MONTH",
    )  # fmt: skip


def test_usage_plan_checks(apigw: Any, stage: tuple[str, str]) -> None:
    api_id, name = stage
    assert aws_error(apigw.create_usage_plan, name=" ") == (
        400, "BadRequestException", "Usage Plan name must be non-empty",
    )  # fmt: skip
    twice = [{"apiId": api_id, "stage": name}] * 2
    assert aws_error(apigw.create_usage_plan, name="twice", apiStages=twice) == (
        400, "BadRequestException", "Duplicate API Stage specified in the usage plan",
    )  # fmt: skip
    plan_id = apigw.create_usage_plan(name="typed")["id"]
    key_id = apigw.create_api_key(name="typed")["id"]
    assert aws_error(
        apigw.create_usage_plan_key, usagePlanId=plan_id, keyId=key_id, keyType="COGNITO"
    ) == (400, "BadRequestException", "Invalid key type specified. Valid values are API_KEY")


def test_update_usage_plan(apigw: Any, stage: tuple[str, str]) -> None:
    api_id, name = stage
    plan_id = apigw.create_usage_plan(name="silver")["id"]
    updated = apigw.update_usage_plan(
        usagePlanId=plan_id,
        patchOperations=[
            {"op": "replace", "path": "/name", "value": "bronze"},
            {"op": "replace", "path": "/description", "value": "cheaper"},
            {"op": "add", "path": "/apiStages", "value": f"{api_id}:{name}"},
            {"op": "replace", "path": "/throttle/rateLimit", "value": "7.5"},
            {"op": "replace", "path": "/throttle/burstLimit", "value": "3"},
            {"op": "replace", "path": "/quota/limit", "value": "50"},
            {"op": "replace", "path": "/quota/period", "value": "WEEK"},
            {"op": "replace", "path": f"/apiStages/{api_id}:{name}/throttle/~1pets/GET/rateLimit", "value": "1"},
        ],
    )  # fmt: skip
    assert (updated["name"], updated["description"]) == ("bronze", "cheaper")
    assert updated["throttle"] == {"rateLimit": 7.5, "burstLimit": 3}
    assert updated["quota"] == {"limit": 50, "period": "WEEK"}
    assert updated["apiStages"] == [
        {"apiId": api_id, "stage": name, "throttle": {"/pets/GET": {"rateLimit": 1.0}}}
    ]
    cleared = apigw.update_usage_plan(
        usagePlanId=plan_id,
        patchOperations=[
            {"op": "remove", "path": "/throttle"},
            {"op": "remove", "path": "/quota"},
            {"op": "remove", "path": "/apiStages", "value": f"{api_id}:{name}"},
        ],
    )
    assert "throttle" not in cleared and "quota" not in cleared and cleared["apiStages"] == []
    status, code, message = aws_error(
        apigw.update_usage_plan, usagePlanId=plan_id,
        patchOperations=[{"op": "add", "path": "/apiStages", "value": f"{api_id}:nostage"}],
    )  # fmt: skip
    assert (status, code) == (404, "NotFoundException")
    assert (
        message
        == f"Invalid API Stage {{api: {api_id}, stage: nostage}} specified for usageplan {plan_id}"
    )


# --- usage plan keys and usage ------------------------------------------------------------------


def test_usage_plan_keys(apigw: Any, stage: tuple[str, str]) -> None:
    api_id, name = stage
    key = apigw.create_api_key(name="member", enabled=True)
    plan_id = apigw.create_usage_plan(name="k", apiStages=[{"apiId": api_id, "stage": name}])["id"]
    created = apigw.create_usage_plan_key(usagePlanId=plan_id, keyId=key["id"], keyType="API_KEY")
    assert status_of(created) == 201
    expected = {"id": key["id"], "type": "API_KEY", "value": key["value"], "name": "member"}
    assert shape(created) == expected
    assert shape(apigw.get_usage_plan_key(usagePlanId=plan_id, keyId=key["id"])) == expected
    assert apigw.get_usage_plan_keys(usagePlanId=plan_id)["items"] == [expected]
    assert [p["id"] for p in apigw.get_usage_plans(keyId=key["id"])["items"]] == [plan_id]
    assert aws_error(
        apigw.create_usage_plan_key, usagePlanId=plan_id, keyId=key["id"], keyType="API_KEY"
    ) == (409, "ConflictException", f"Usage Plan {plan_id} already contains API Key {key['id']}")
    other = apigw.create_usage_plan(name="k2", apiStages=[{"apiId": api_id, "stage": name}])["id"]
    assert aws_error(
        apigw.create_usage_plan_key, usagePlanId=other, keyId=key["id"], keyType="API_KEY"
    ) == (
        409, "ConflictException",
        f"Usage Plan {other} cannot be added because API Key {key['id']} cannot reference "
        f"multiple Usage Plans with the same API Stage: {api_id}:{name}",
    )  # fmt: skip
    assert status_of(apigw.delete_usage_plan_key(usagePlanId=plan_id, keyId=key["id"])) == 202
    assert aws_error(apigw.get_usage_plan_key, usagePlanId=plan_id, keyId=key["id"]) == (
        404, "NotFoundException", "Invalid Usage Plan Key identifier specified",
    )  # fmt: skip
    assert aws_error(
        apigw.create_usage_plan_key, usagePlanId=plan_id, keyId="nokey", keyType="API_KEY"
    ) == (404, "NotFoundException", "Invalid API Key identifier specified")
    assert aws_error(
        apigw.create_usage_plan_key, usagePlanId="noplan", keyId=key["id"], keyType="API_KEY"
    ) == (404, "NotFoundException", "Invalid Usage Plan ID specified")


def test_get_and_update_usage(apigw: Any) -> None:
    key_id = apigw.create_api_key(name="usage")["id"]
    plan_id = apigw.create_usage_plan(name="u", quota={"limit": 10, "period": "DAY"})["id"]
    apigw.create_usage_plan_key(usagePlanId=plan_id, keyId=key_id, keyType="API_KEY")
    usage = shape(
        apigw.get_usage(usagePlanId=plan_id, startDate="2026-01-01", endDate="2026-01-03")
    )
    assert usage == {
        "usagePlanId": plan_id,
        "startDate": "2026-01-01",
        "endDate": "2026-01-03",
        "items": {key_id: [[0, 10], [0, 10], [0, 10]]},  # nothing used (test_usage_plans.py)
    }
    assert aws_error(apigw.get_usage, usagePlanId=plan_id, startDate="nope", endDate="2026-01-03") == (
        400, "BadRequestException", "Invalid startDate specified: nope",
    )  # fmt: skip
    updated = shape(
        apigw.update_usage(
            usagePlanId=plan_id, keyId=key_id,
            patchOperations=[{"op": "replace", "path": "/remaining", "value": "5"}],
        )
    )  # fmt: skip
    today = datetime.datetime.now(datetime.UTC).date().isoformat()
    assert updated == {
        "usagePlanId": plan_id, "startDate": today, "endDate": today, "items": {key_id: [[0, 5]]},
    }  # fmt: skip
    assert aws_error(
        apigw.update_usage, usagePlanId=plan_id, keyId=key_id,
        patchOperations=[{"op": "replace", "path": "/used", "value": "5"}],
    ) == (400, "BadRequestException", "Invalid patch path /used")  # fmt: skip
    assert aws_error(
        apigw.update_usage, usagePlanId=plan_id, keyId=key_id,
        patchOperations=[{"op": "replace", "path": "/remaining", "value": "-1"}],
    ) == (400, "BadRequestException", "Invalid remaining value -1")  # fmt: skip
    assert aws_error(
        apigw.get_usage, usagePlanId=plan_id, startDate="2026-01-03", endDate="2026-01-01"
    ) == (400, "BadRequestException", "The start date must be before the end date")
    unlimited = apigw.create_usage_plan(name="no quota")["id"]
    apigw.create_usage_plan_key(usagePlanId=unlimited, keyId=key_id, keyType="API_KEY")
    assert aws_error(
        apigw.update_usage, usagePlanId=unlimited, keyId=key_id,
        patchOperations=[{"op": "replace", "path": "/remaining", "value": "5"}],
    ) == (400, "BadRequestException", f"Usage Plan {unlimited} has no quota to update")  # fmt: skip
