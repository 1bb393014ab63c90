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

`decide` evaluates a policy for a request's ARN and for the other readings of its path
(`path_readings`: percent-decoded, dot segments resolved): the routed path of
`/public/..%2Fadmin` is `public/..%2Fadmin`, which `.../GET/public/*` matches, while a
backend that decodes and resolves it reads `/admin`. So a path with `%` or dot segments is
allowed only when every reading is allowed, and denied when any is denied. AWS matches the
routed path alone (as Tollway does for canonical paths); Tollway is stricter so that no
spelling of a path reaches, through an Allow on another resource, a backend that would read
it as a resource the policy does not allow (docs/security.md). Every policy a request is
authorized by goes through it: a Lambda authorizer's answer, IAM identity policies, the
resource policy.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable
from urllib.parse import unquote

from tollway.dataplane.auth.outcome import Decision
from tollway.dataplane.context import RestContext
from tollway.dataplane.http_api.context import HttpContext

# What the method ARN (routed_path: empty segments dropped) does not already make canonical
_NON_CANONICAL = re.compile(r"%|/\.{1,2}(?:/|$)")


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


def path_readings(path: str) -> set[str]:
    """Other ways a backend may read `path`: percent-decoded (until it no longer changes),
    dot segments resolved, slashes collapsed, without a trailing slash."""
    found = set()
    decoded = path
    for _ in range(3):  # a double-encoded `%252F` is decoded twice; more is not plausible
        decoded, previous = unquote(decoded), decoded
        if decoded == previous:
            break
        found.add(decoded)
    for candidate in (path, *found):
        canonical = posixpath.normpath(candidate) if candidate != "/" else "/"
        canonical = "/" + canonical.lstrip("/") if canonical != "." else "/"
        found.add(canonical)
        found.add(candidate.rstrip("/") or "/")
    found.discard(path)
    return found


def decide(evaluate: Callable[[str], Decision], arn: str, path: str) -> Decision:
    """`evaluate`'s decision for `arn`, the ARN of a request for `path` (the request's path
    after the stage, with its leading slash), narrowed by the path's other readings: any
    reading denied denies; an Allow stands only when every reading is allowed (else the
    implicit deny). A canonical path (no `%`, no dot segment) is evaluated once."""
    decision = evaluate(arn)
    if decision is Decision.DENY or not _NON_CANONICAL.search(path):
        return decision
    api, stage, verb, _ = arn.split("/", 3)  # neither ids nor stage names have a slash
    prefix = f"{api}/{stage}/{verb}/"
    allowed = decision is Decision.ALLOW
    for reading in path_readings(path):
        other = evaluate(prefix + reading[1:])
        if other is Decision.DENY:
            return Decision.DENY
        allowed = allowed and other is Decision.ALLOW
    return decision if allowed or decision is not Decision.ALLOW else Decision.IMPLICIT
