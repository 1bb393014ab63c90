"""TagResource, UntagResource and GetTags for REST APIs and their stages.

Tags live on the tagged resource itself (RestApi.tags, Stage.tags, ApiKey.tags,
UsagePlan.tags), addressed by AWS's ARNs: `arn:aws:apigateway:{region}::/restapis/{id}`,
`.../restapis/{id}/stages/{name}`, `...::/apikeys/{id}` and `...::/usageplans/{id}`.
"""

from __future__ import annotations

import copy
import re
from typing import Any, cast

from tollway.control.apigateway.documents import commit, load_api
from tollway.control.apigateway.stages import load_stage
from tollway.control.errors import BadRequestException, NotSupportedByTollway
from tollway.control.operations import Call, OperationTable
from tollway.store import Record

ops = OperationTable("apigateway")

_ARN = re.compile(
    r"^arn:aws[a-zA-Z-]*:apigateway:[^:]*::/restapis/(?P<api>[^/]+)(?:/stages/(?P<stage>[^/]+))?$"
)


# API keys and usage plans: account-wide records of their own (api_keys.py, usage_plans.py).
_ACCOUNT_ARN = re.compile(
    r"^arn:aws[a-zA-Z-]*:apigateway:[^:]*::/(?P<kind>apikeys|usageplans)/(?P<id>[^/]+)$"
)


def _account_record(call: Call) -> Record | None:
    """The API key or usage plan an ARN names; None for other ARNs."""
    from tollway.control.apigateway.api_keys import load_key
    from tollway.control.apigateway.usage_plans import load_plan

    match = _ACCOUNT_ARN.match(call.params["resourceArn"])
    if match is None:
        return None
    load = load_key if match.group("kind") == "apikeys" else load_plan
    return load(call, match.group("id"))


def _locate(call: Call) -> tuple[str, str | None]:
    arn = call.params["resourceArn"]
    match = _ARN.match(arn)
    if match is None:
        if arn.startswith("arn:"):
            raise NotSupportedByTollway(f"Tollway tags REST APIs and their stages only, not {arn}")
        raise BadRequestException(f"Invalid ARN. ARN is not well formed {arn}")
    return match.group("api"), match.group("stage")


def _retag(owner: dict[str, Any], edit: Any) -> None:
    tags = dict(owner.get("tags") or {})
    edit(tags)
    owner["tags"] = tags
    if not tags:
        del owner["tags"]


def _edit_tags(call: Call, edit: Any) -> None:
    record = _account_record(call)
    if record is None:
        api_id, stage_name = _locate(call)
        if stage_name is None:
            document = load_api(call, api_id)
            _retag(cast(dict[str, Any], document.definition["api"]), edit)
            document.save(call)
            return
        load_api(call, api_id)
        record = load_stage(call, api_id, stage_name)
    body = copy.deepcopy(record.body)
    _retag(body, edit)
    commit(call, [Record(record.kind, record.key, body, record.parent, record.version)])


@ops("TagResource")
def tag_resource(call: Call) -> None:
    tags = call.params.get("tags") or {}
    if len(tags) > 50:
        raise BadRequestException("A resource can have at most 50 tags")
    _edit_tags(call, lambda current: current.update(tags))


@ops("UntagResource")
def untag_resource(call: Call) -> None:
    keys = call.params.get("tagKeys") or []
    _edit_tags(call, lambda current: [current.pop(k, None) for k in keys])


@ops("GetTags")
def get_tags(call: Call) -> dict[str, Any]:
    record = _account_record(call)
    if record is not None:
        return {"tags": dict(record.body.get("tags") or {})}
    api_id, stage_name = _locate(call)
    if stage_name is None:
        return {"tags": dict(load_api(call, api_id).definition["api"].get("tags") or {})}
    load_api(call, api_id)
    return {"tags": dict(load_stage(call, api_id, stage_name).body.get("tags") or {})}
