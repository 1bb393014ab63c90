"""GetTags, TagResource and UntagResource for v2 APIs, their stages and domain names.

Tags live on the tagged resource itself (Api.Tags, Stage.Tags, DomainName.Tags), addressed by
AWS's ARNs: `arn:aws:apigateway:{region}::/apis/{id}`, `.../apis/{id}/stages/{name}`,
`arn:aws:apigateway:{region}::/domainnames/{name}`. Tags do not change what a stage serves,
so tagging an API does not auto-deploy it.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from typing import Any

from tollway.control.apigateway.documents import commit
from tollway.control.apigatewayv2.documents import load_api, load_stage
from tollway.control.apigatewayv2.domains import load_domain
from tollway.control.errors import BadRequestException, NotSupportedByTollway
from tollway.control.operations import Call, OperationTable
from tollway.store import Record

ops = OperationTable("apigatewayv2")

_ARN = re.compile(
    r"^arn:aws[a-zA-Z-]*:apigateway:[^:]*::/(?:apis/(?P<api>[^/]+)(?:/stages/(?P<stage>[^/]+))?"
    r"|domainnames/(?P<domain>[^/]+))$"
)
MAX_TAGS = 50

Edit = Callable[[dict[str, str]], Any]


def _record(call: Call) -> tuple[Record, Callable[[dict[str, Any]], dict[str, Any]]]:
    """The record that holds the ARN's tags, and where in its body they are."""
    arn = call.params["ResourceArn"]
    match = _ARN.match(arn)
    if match is None:
        if arn.startswith("arn:"):
            raise NotSupportedByTollway(
                f"Tollway tags v2 APIs, their stages and domain names only, not {arn}"
            )
        raise BadRequestException(f"Invalid ARN. ARN is not well formed {arn}")
    if match.group("domain"):
        return load_domain(call, match.group("domain")), lambda body: body
    document = load_api(call, match.group("api"))
    if match.group("stage"):
        return load_stage(call, document.api_id, match.group("stage")), lambda body: body
    return document.record, lambda body: body["Api"]


def _edit(call: Call, edit: Edit) -> None:
    record, holder = _record(call)
    body = copy.deepcopy(record.body)
    tags = holder(body).setdefault("Tags", {})
    edit(tags)
    if len(tags) > MAX_TAGS:
        raise BadRequestException(f"A resource can have at most {MAX_TAGS} tags")
    commit(call, [Record(record.kind, record.key, body, record.parent, record.version)])


@ops("TagResource")
def tag_resource(call: Call) -> dict[str, Any]:
    tags = call.params.get("Tags") or {}
    _edit(call, lambda current: current.update(tags))
    return {}


@ops("UntagResource")
def untag_resource(call: Call) -> None:
    keys = call.params.get("TagKeys") or []
    _edit(call, lambda current: [current.pop(k, None) for k in keys])


@ops("GetTags")
def get_tags(call: Call) -> dict[str, Any]:
    record, holder = _record(call)
    return {"Tags": dict(holder(record.body).get("Tags") or {})}
