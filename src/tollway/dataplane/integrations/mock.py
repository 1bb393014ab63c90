"""MOCK integration: no backend; the request template decides the status (spec §3.4).

The integration request template must render JSON with an integer `statusCode`
(`{"statusCode": 200}`), which selects the integration response. CDK's CORS preflight renders
the non-JSON `{statusCode: 200}`, which AWS accepts, so the parse is lenient. Without a request
template the default integration response is used.
"""

from __future__ import annotations

import re

import orjson

from tollway.dataplane.context import Response, RestContext
from tollway.dataplane.errors import ApiConfigurationError

_LENIENT_STATUS = re.compile(r"""["']?statusCode["']?\s*:\s*["']?(\d+)""")
UNPARSABLE = (
    "Execution failed due to configuration error: Unable to parse statusCode. "
    "It should be an integer that is defined in the request template."
)


def parse_status_code(rendered: bytes) -> int:
    try:
        document = orjson.loads(rendered)
    except orjson.JSONDecodeError:
        document = None
    if isinstance(document, dict) and "statusCode" in document:
        value = document["statusCode"]
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and value.isdigit():
            return int(value)
        raise ApiConfigurationError(log=UNPARSABLE)
    match = _LENIENT_STATUS.search(rendered.decode("utf-8", "replace"))
    if match is None:
        raise ApiConfigurationError(log=UNPARSABLE)
    return int(match.group(1))


class MockIntegration:
    proxy = False

    async def invoke(self, ctx: RestContext) -> None:
        if ctx.template_applied:
            status = parse_status_code(ctx.integration_body)
            ctx.selection_value = str(status)
        else:
            status, ctx.selection_value = 200, None
        ctx.integration_status = status
        ctx.endpoint_response = Response(status)
