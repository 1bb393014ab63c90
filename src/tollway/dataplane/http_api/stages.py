"""Stage selection for HTTP APIs (spec §1.1).

AWS counterpart: an HTTP API's invoke URL. The first path segment selects a named stage if
the API has one by that name (the routes then see the path after it); otherwise the
`$default` stage serves the whole path; otherwise 404 `{"message":"Not Found"}`. A stage
without a deployment serves nothing (it is not loaded). `$default` is never selected by a
`/$default/` segment: it is served at the root only.
"""

from __future__ import annotations

from typing import NamedTuple

from tollway.dataplane.endpoint import Endpoint
from tollway.dataplane.http_api.compiled import CompiledHttpStage, HttpApiStages


class Selected(NamedTuple):
    stage: CompiledHttpStage
    path: str  # what routes see: after a named stage's segment, or the whole path


def select_stage(api: HttpApiStages, endpoint: Endpoint) -> Selected | None:
    """`endpoint` as the REST endpoint split it (first segment as the stage name)."""
    named = api.named.get(endpoint.stage_name)
    if named is not None:
        return Selected(named, endpoint.path)
    if api.default is not None:
        return Selected(api.default, "/" + endpoint.stage_path.lstrip("/"))
    return None
