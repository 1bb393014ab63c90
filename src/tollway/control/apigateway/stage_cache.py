"""FlushStageCache: empties one stage's API cache (spec §8, §16.1).

AWS counterpart: `DELETE /restapis/{id}/stages/{stage}/cache/data`, 202, the console's "Flush
entire cache". The gateway's stage cache (`ControlPlane.response_cache`, the one its compiled
stages use) forgets the stage's entries at once; with Redis, every gateway process sharing it
does. A Redis that cannot be reached is a 503 ServiceUnavailableException, never a silent 202.
"""

from __future__ import annotations

from tollway.control.apigateway.documents import load_api
from tollway.control.apigateway.stages import load_stage
from tollway.control.errors import NotSupportedByTollway, ServiceUnavailableException
from tollway.control.operations import Call, OperationTable
from tollway.state.response_cache import CacheUnavailable

ops = OperationTable("apigateway")


@ops("FlushStageCache")
async def flush_stage_cache(call: Call) -> None:
    document = load_api(call)
    stage_name = call.params["stageName"]
    load_stage(call, document.api_id, stage_name)
    cache = call.plane.response_cache
    if cache is None:
        raise NotSupportedByTollway("This Tollway control plane runs without a data plane")
    try:
        await cache.flush(document.api_id, stage_name)
    except CacheUnavailable as e:
        raise ServiceUnavailableException(str(e)) from None
