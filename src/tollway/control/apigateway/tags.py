"""TagResource, UntagResource and GetTags for REST APIs and their stages.

Tags live on the tagged resource itself (RestApi.tags, Stage.tags), addressed by AWS's ARNs:
`arn:aws:apigateway:{region}::/restapis/{id}` and `.../restapis/{id}/stages/{name}`.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from tollway.control.apigateway.documents import STAGE_KIND, commit, load_api
from tollway.control.apigateway.stages import load_stage
from tollway.control.errors import BadRequestException, NotSupportedByTollway
from tollway.control.operations import Call, OperationTable
from tollway.store import Record

ops = OperationTable("apigateway")

_ARN = re.compile(
    r"^arn:aws[a-zA-Z-]*:apigateway:[^:]*::/restapis/(?P<api>[^/]+)(?:/stages/(?P<stage>[^/]+))?$"
)


def _locate(call: Call) -> tuple[str, str | None]:
    arn = call.params["resourceArn"]
    match = _ARN.match(arn)
    if match is None:
        if arn.startswith("arn:"):
            raise NotSupportedByTollway(f"Tollway tags REST APIs and their stages only, not {arn}")
        raise BadRequestException(f"Invalid ARN. ARN is not well formed {arn}")
    return match.group("api"), match.group("stage")


def _edit_tags(call: Call, edit: Any) -> None:
    api_id, stage_name = _locate(call)
    if stage_name is None:
        document = load_api(call, api_id)
        tags = dict(document.definition["api"].get("tags") or {})
        edit(tags)
        document.definition["api"]["tags"] = tags
        if not tags:
            del document.definition["api"]["tags"]
        document.save(call)
        return
    load_api(call, api_id)
    record = load_stage(call, api_id, stage_name)
    stage = copy.deepcopy(record.body)
    tags = dict(stage.get("tags") or {})
    edit(tags)
    stage["tags"] = tags
    if not tags:
        del stage["tags"]
    commit(call, [Record(STAGE_KIND, record.key, stage, record.parent, record.version)])


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
    api_id, stage_name = _locate(call)
    if stage_name is None:
        return {"tags": dict(load_api(call, api_id).definition["api"].get("tags") or {})}
    load_api(call, api_id)
    return {"tags": dict(load_stage(call, api_id, stage_name).body.get("tags") or {})}
