"""A scripted Lambda host for authorizer tests: answers what the test says, records calls."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson


@dataclass
class Outcome:
    payload: bytes
    function_error: str | None = None


@dataclass
class ScriptedFunctions:
    """`answer` maps the event to what the function returns (or raises: Lambda refusals);
    `error` makes it a function error with that errorMessage."""

    answer: Callable[[dict[str, Any]], Any] = lambda event: None
    error: str | None = None
    raw: bytes | None = None  # a payload that is not JSON
    calls: list[dict[str, Any]] = field(default_factory=list)

    async def invoke_as_service(
        self,
        function_ref: str,
        payload: bytes,
        *,
        principal: str,
        source_arn: str,
        time_limit: float | None = None,
    ) -> Outcome:
        event = orjson.loads(payload)
        self.calls.append(
            {
                "function": function_ref,
                "event": event,
                "principal": principal,
                "source_arn": source_arn,
                "time_limit": time_limit,
            }
        )
        if self.raw is not None:
            return Outcome(self.raw)
        if self.error is not None:
            body = {"errorMessage": self.error, "errorType": "Exception", "stackTrace": []}
            return Outcome(orjson.dumps(body), "Unhandled")
        return Outcome(orjson.dumps(self.answer(event)))

    def invoke_event_as_service(
        self, function_ref: str, payload: bytes, *, principal: str, source_arn: str
    ) -> str:
        raise AssertionError("authorizers are invoked synchronously")


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
