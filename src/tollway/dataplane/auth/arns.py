"""The execute-api ARN a request is authorized against (spec §5.2).

`arn:aws:execute-api:{region}:{account}:{api-id}/{stage}/{VERB}/{path}`: the verb the client
sent (not the method's `ANY`), the path as it was routed (after the stage, percent-encoding
kept, without the leading slash; the root resource gives a trailing `/`). HTTP APIs' `$default`
stage is `$default` in the ARN. Policies' `Resource` patterns are matched against it.

Repeated and trailing slashes are left out of the path: routing ignores them (spec §1.4:
`/secret/` and `/secret//` run `/secret`), so the ARN must too, or a policy denying
`GET/secret` would not deny `GET /secret/`. (AWS's ARN for such paths is not recorded;
Tollway errs on the side of the policy.)
"""

from __future__ import annotations

from tollway.dataplane.context import RestContext
from tollway.dataplane.http_api.context import HttpContext


def rest_method_arn(ctx: RestContext) -> str:
    stage = ctx.stage
    return (
        f"arn:aws:execute-api:{stage.region}:{stage.account_id}:{stage.api_id}/"
        f"{stage.stage_name}/{ctx.request.method}/{resource_path(ctx.request.path)}"
    )


def http_route_arn(ctx: HttpContext) -> str:
    stage = ctx.stage
    return (
        f"arn:aws:execute-api:{stage.region}:{stage.account_id}:{stage.api_id}/"
        f"{stage.stage_name}/{ctx.request.method}/{resource_path(ctx.request.path)}"
    )


def resource_path(path: str) -> str:
    """The ARN's path: `path` without its leading, repeated and trailing slashes."""
    if "//" in path or (path.endswith("/") and len(path) > 1):
        return "/".join(part for part in path.split("/") if part)
    return path[1:]
