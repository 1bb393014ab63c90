"""API keys: CreateApiKey, GetApiKey(s), UpdateApiKey, DeleteApiKey, ImportApiKeys
(spec §5.9, §16.1; AWS counterpart `/apikeys`).

Keys are account-wide, so each is its own store record (kind `apikey`), not part of a
RestApiDefinition. AWS's checks: a given value is 20..128 characters, a name at most 1024.
Choices where AWS is silent (UNCONFIRMED):
- generated values are 40 characters of [A-Za-z0-9] (the spec's best guess);
- two keys may not share a value (the data plane finds a key by its value): CreateApiKey
  refuses a duplicate with ConflictException, while ImportApiKeys overwrites the key with that
  value, as AWS documents for imports;
- `nameQuery` matches names that start with it.
The gateway enforces keys on methods with `apiKeyRequired` (dataplane/handlers/api_key.py);
every change is announced to it (`commit_keys`), so it takes effect without a deployment.
"""

from __future__ import annotations

import csv
import io
import secrets
import string
from collections.abc import Mapping
from typing import Any

from tollway.control.apigateway.documents import commit_keys, paginate
from tollway.control.apigateway.patch import PatchRule, apply_patches, to_bool
from tollway.control.errors import (
    BadRequestException,
    ConflictException,
    LimitExceededException,
    NotFoundException,
)
from tollway.control.operations import Call, OperationTable
from tollway.dataplane.usage_plans import API_KEY_KIND, PLAN_KEY_KIND, PLAN_KIND
from tollway.model import ids
from tollway.store import Delete, Record

ops = OperationTable("apigateway")

MAX_KEYS = 10_000
_KEY_ALPHABET = string.ascii_letters + string.digits
_MEMBERS = ("name", "description", "customerId", "enabled", "tags")


def load_key(call: Call, key_id: str) -> Record:
    record = call.plane.store.get(API_KEY_KIND, key_id)
    if record is None:
        raise NotFoundException("Invalid API Key identifier specified")
    return record


def key_output(key: Mapping[str, Any], *, include_value: bool) -> dict[str, Any]:
    out = dict(key)
    if not include_value:
        out.pop("value", None)
    return out


def check_key(key: Mapping[str, Any]) -> None:
    value = key["value"]
    if len(value) < 20:
        raise BadRequestException("API Key value should be at least 20 characters")
    if len(value) > 128:
        raise BadRequestException("API Key value exceeds maximum size of 128 characters")
    if len(key.get("name") or "") > 1024:
        raise BadRequestException("Invalid API Key name, can be at most 1024 characters.")


def _by_value(call: Call, value: str) -> Record | None:
    for record in call.plane.store.list(API_KEY_KIND):
        if record.body["value"] == value:
            return record
    return None


def _stage_keys(stage_keys: Any) -> list[str]:
    """CreateApiKey's `stageKeys` [{restApiId, stageName}] as AWS answers them: `api/stage`."""
    return [f"{s.get('restApiId', '')}/{s.get('stageName', '')}" for s in stage_keys or []]


def new_key(call: Call, fields: Mapping[str, Any]) -> dict[str, Any]:
    """A checked new key from CreateApiKey's members (or an imported CSV row)."""
    if len(call.plane.store.list(API_KEY_KIND)) >= MAX_KEYS:
        raise LimitExceededException("API Key limit exceeded")
    now = call.plane.now()
    value = fields.get("value") or "".join(secrets.choice(_KEY_ALPHABET) for _ in range(40))
    key: dict[str, Any] = {"id": ids.api_id(), "value": value, "enabled": False}
    for member in _MEMBERS:
        if fields.get(member) is not None:
            key[member] = fields[member]
    key.update(createdDate=now, lastUpdatedDate=now, stageKeys=_stage_keys(fields.get("stageKeys")))
    check_key(key)
    return key


@ops("CreateApiKey")
def create_api_key(call: Call) -> dict[str, Any]:
    key = new_key(call, call.params)
    if _by_value(call, key["value"]) is not None:
        raise ConflictException("API Key already exists")
    commit_keys(call, [Record(API_KEY_KIND, key["id"], key)])
    return key_output(key, include_value=True)


@ops("GetApiKey")
def get_api_key(call: Call) -> dict[str, Any]:
    key = load_key(call, call.params["apiKey"]).body
    return key_output(key, include_value=bool(call.params.get("includeValue")))


@ops("GetApiKeys")
def get_api_keys(call: Call) -> dict[str, Any]:
    name, customer = call.params.get("nameQuery"), call.params.get("customerId")
    include = bool(call.params.get("includeValues"))
    keys = [
        key_output(r.body, include_value=include)
        for r in call.plane.store.list(API_KEY_KIND)
        if (not name or (r.body.get("name") or "").startswith(name))
        and (not customer or r.body.get("customerId") == customer)
    ]
    return paginate(call, keys)


def _stages(target: dict[str, Any], operation: Mapping[str, Any]) -> bool:
    """`add`/`remove` `/stages` with the value `restApiId/stageName`."""
    op, path, value = operation.get("op"), operation.get("path"), operation.get("value")
    if path != "/stages" or op not in ("add", "remove") or not value:
        return False
    stage_keys = target.setdefault("stageKeys", [])
    if op == "add" and value not in stage_keys:
        stage_keys.append(value)
    elif op == "remove" and value in stage_keys:
        stage_keys.remove(value)
    return True


API_KEY_PATCH = [
    PatchRule.value("name"),
    PatchRule.value("description"),
    PatchRule.value("customerId"),
    PatchRule.value("enabled", to_bool),
]


@ops("UpdateApiKey")
def update_api_key(call: Call) -> dict[str, Any]:
    record = load_key(call, call.params["apiKey"])
    key = dict(record.body)
    apply_patches(key, call.params.get("patchOperations") or [], API_KEY_PATCH, fallback=_stages)
    key["lastUpdatedDate"] = call.plane.now()
    check_key(key)
    commit_keys(call, [Record(API_KEY_KIND, key["id"], key, version=record.version)])
    return key_output(key, include_value=False)


@ops("DeleteApiKey")
def delete_api_key(call: Call) -> None:
    key_id = load_key(call, call.params["apiKey"]).key
    # The key leaves every usage plan it was in.
    in_plans = [
        Delete(PLAN_KEY_KIND, r.key, r.parent)
        for r in call.plane.store.list(PLAN_KEY_KIND)
        if r.key == key_id
    ]
    commit_keys(call, [], [Delete(API_KEY_KIND, key_id), *in_plans])


def _rows(body: bytes) -> list[dict[str, str]]:
    """The CSV's rows keyed by lower-cased header (AWS: headers are case-insensitive, in any
    order; unknown columns ignored)."""
    try:
        reader = csv.reader(io.StringIO(body.decode("utf-8-sig")))
        rows = [row for row in reader if any(cell.strip() for cell in row)]
    except (UnicodeDecodeError, csv.Error):
        raise BadRequestException("Invalid API Key file: not a CSV file") from None
    if not rows:
        raise BadRequestException("Invalid API Key file: no header row")
    header = [h.strip().lower() for h in rows[0]]
    if "name" not in header or "key" not in header:
        raise BadRequestException("Invalid API Key file: the Name and Key columns are required")
    return [dict(zip(header, (c.strip() for c in row), strict=False)) for row in rows[1:]]


@ops("ImportApiKeys")
def import_api_keys(call: Call) -> dict[str, Any]:
    """ImportApiKeys (`POST /apikeys?mode=import&format=csv`): imported keys are enabled unless
    the Enabled column says otherwise; a row whose value an existing key has overwrites that
    key. UsagePlanIds (comma-separated, quoted) attach the key to those plans. A row that
    cannot be imported is a warning (`failOnWarnings` turns warnings into a refusal)."""
    from tollway.control.apigateway.usage_plans import plan_key_record

    if call.params.get("format") != "csv":
        raise BadRequestException("Invalid format specified. Only csv is supported")
    # Keys by value, read once: the rows' keys are committed together at the end.
    by_value = {r.body["value"]: r for r in call.plane.store.list(API_KEY_KIND)}
    puts: list[Record] = []
    out_ids: list[str] = []
    warnings: list[str] = []
    for line, row in enumerate(_rows(call.params["body"]), start=2):
        fields: dict[str, Any] = {"name": row.get("name"), "value": row.get("key")}
        if row.get("description"):
            fields["description"] = row["description"]
        fields["enabled"] = (row.get("enabled") or "true").lower() != "false"
        plans = [p.strip().strip("'\"") for p in (row.get("usageplanids") or "").split(",")]
        try:
            key = new_key(call, fields)
            existing = by_value.get(key["value"])
            if existing is not None:
                key["id"], key["createdDate"] = existing.key, existing.body["createdDate"]
            for plan in filter(None, plans):
                if call.plane.store.get(PLAN_KIND, plan) is None:
                    raise NotFoundException(f"Invalid Usage Plan ID specified: {plan}")
        except (BadRequestException, NotFoundException, LimitExceededException) as e:
            warnings.append(f"Line {line}: {e}")
            continue
        version = existing.version if existing is not None else 0
        puts.append(Record(API_KEY_KIND, key["id"], key, version=version))
        puts.extend(plan_key_record(call, plan, key["id"]) for plan in filter(None, plans))
        out_ids.append(key["id"])
    if warnings and call.params.get("failOnWarnings"):
        raise BadRequestException("; ".join(warnings))
    commit_keys(call, puts)
    out: dict[str, Any] = {"ids": out_ids}
    if warnings:
        out["warnings"] = warnings
    return out
