"""Which API and stage a request is for (spec §1.1, DESIGN "What a user sees").

- host-based, as on AWS: `Host: {api-id}.execute-api.{anything}`, path `/{stage}/{path}`;
- path-based, for clients that cannot set a Host:
  `/_aws/execute-api/{api-id}/{stage}/{path}`.

`path` is what resource matching and the Lambda event's `path` use: the part after the
stage, leading slashes collapsed (`/dev//x` is `/x`), trailing slash kept; `stage_path` is
`$context.path`, the stage segment and the path exactly as received.
"""

from __future__ import annotations

import re
from typing import NamedTuple

PATH_PREFIX = "/_aws/execute-api/"
_EXECUTE_API_HOST = re.compile(r"^([A-Za-z0-9]+)\.execute-api\.", re.ASCII)


class Endpoint(NamedTuple):  # a tuple: made once per request, cheaper than a frozen dataclass
    api_id: str
    stage_name: str
    path: str
    stage_path: str


def resolve(host: str, raw_path: str) -> Endpoint | None:
    if raw_path.startswith(PATH_PREFIX):
        api_id, _, rest = raw_path[len(PATH_PREFIX) :].partition("/")
        return _split_stage(api_id, "/" + rest) if api_id else None
    match = _EXECUTE_API_HOST.match(host)
    if match is None:
        return None
    return _split_stage(match.group(1).lower(), raw_path)


def _split_stage(api_id: str, path: str) -> Endpoint:
    stage, slash, rest = path[1:].partition("/")
    rest = slash + rest
    return Endpoint(
        api_id=api_id,
        stage_name=stage,
        path="/" + rest.lstrip("/"),
        stage_path=f"/{stage}{rest}",
    )
