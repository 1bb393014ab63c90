"""A scripted Lambda host for authorizer tests: the HTTP API tests' FakeFunctions, answering
what a script makes of each event."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
from tests.unit.dataplane.http_api.conftest import FakeFunctions, Outcome


@dataclass
class ScriptedFunctions(FakeFunctions):
    """`script` maps the event to what the function returns; `error` makes every call a
    function error with that errorMessage; `raw` a payload that is not JSON. `calls` record
    each call, its `payload` the event as sent."""

    script: Callable[[dict[str, Any]], Any] = lambda event: None
    error: str | None = None
    raw: bytes | None = None

    async def invoke_as_service(self, function_ref: str, payload: bytes, **how: Any) -> Outcome:
        if self.raw is not None:
            self.answer = self.raw
        elif self.error is not None:
            body = {"errorMessage": self.error, "errorType": "Exception", "stackTrace": []}
            self.answer, self.function_error = orjson.dumps(body), "Unhandled"
        else:
            self.answer = orjson.dumps(self.script(orjson.loads(payload)))
        return await super().invoke_as_service(function_ref, payload, **how)

    def events(self) -> list[dict[str, Any]]:
        return [orjson.loads(call["payload"]) for call in self.calls]


def allow(resource: str = "*", effect: str = "Allow", **extra: Any) -> dict[str, Any]:
    """An IAM-policy answer with one statement."""
    return {
        "principalId": "user-1",
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": resource}],
        },
        **extra,
    }
