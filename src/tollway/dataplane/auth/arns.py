"""The execute-api ARN a request is authorized against (spec §5.2).

`arn:aws:execute-api:{region}:{account}:{api-id}/{stage}/{VERB}/{path}`: the verb the client
sent (not the method's `ANY`), the path as it was routed (after the stage, percent-encoding
kept, without the leading slash; the root resource gives a trailing `/`). HTTP APIs' `$default`
stage is `$default` in the ARN. Policies' `Resource` patterns are matched against it.
HTTP APIs route on the path as sent (an empty segment is a segment), so their ARN keeps it.

The path is the one the router matched, segment for segment: empty segments are dropped as
the router drops them (`//admin/` serves `/admin`, so its ARN ends `GET/admin`). Were the raw
path used, `//admin` would reach the `/admin` method with an ARN a Deny on `.../GET/admin`
does not match.
"""

from __future__ import annotations

from tollway.dataplane.context import RestContext
from tollway.dataplane.http_api.context import HttpContext


def routed_path(path: str) -> str:
    """The path's non-empty segments, as the router sees them, without the leading slash."""
    if "//" not in path and not path.endswith("/"):
        return path[1:]
    return "/".join(segment for segment in path.split("/") if segment)


def rest_method_arn(ctx: RestContext) -> str:
    stage = ctx.stage
    return (
        f"arn:aws:execute-api:{stage.region}:{stage.account_id}:{stage.api_id}/"
        f"{stage.stage_name}/{ctx.request.method}/{routed_path(ctx.request.path)}"
    )


def http_route_arn(ctx: HttpContext) -> str:
    stage = ctx.stage
    return (
        f"arn:aws:execute-api:{stage.region}:{stage.account_id}:{stage.api_id}/"
        f"{stage.stage_name}/{ctx.request.method}/{ctx.request.path[1:]}"
    )
