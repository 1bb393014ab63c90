"""How control-plane operations are declared and what they receive.

An operation is a function `(call: Call) -> dict | None` (or a coroutine function), registered
under its AWS name in its service's `OperationTable`:

    ops = OperationTable("apigateway")

    @ops("GetRestApi")
    def get_rest_api(call: Call) -> dict[str, Any]: ...

`call.params` is the parsed, validated input keyed by botocore member names; the returned dict
is the output, keyed the same way. Raise `tollway.control.errors` exceptions for failures.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from tollway.settings import Settings
from tollway.state.changes import ChangeFeed
from tollway.store import ConfigStore

if TYPE_CHECKING:
    from tollway.auth.identities import Credential
    from tollway.control.admin_auth import AdminAuth
    from tollway.dataplane.auth.test_invoke import AuthorizerTester
    from tollway.dataplane.test_invoke import MethodTester
    from tollway.dataplane.usage_plans import RequestLimits
    from tollway.functions.registry import FunctionRegistry
    from tollway.state.response_cache import ResponseCache

Output = Mapping[str, Any] | None
Handler = Callable[["Call"], Output | Awaitable[Output]]
H = TypeVar("H", bound=Handler)


@dataclass
class ControlPlane:
    """What every operation may use. Built once, in the composition root."""

    store: ConfigStore
    settings: Settings
    changes: ChangeFeed
    functions: FunctionRegistry | None = None
    methods: MethodTester | None = None  # runs TestInvokeMethod on the data plane's stages
    # TestInvokeAuthorizer and FlushStageAuthorizersCache: the gateway's authorizers and cache
    authorizers: AuthorizerTester | None = None
    admin: AdminAuth | None = None  # when calls must be signed: presigns download URLs
    # GetUsage / UpdateUsage: the gateway's quota counters; GetAccount: its account throttle
    limits: RequestLimits | None = None
    # FlushStageCache and /_tollway/metrics: the gateway's stage cache
    response_cache: ResponseCache | None = None
    clock: Callable[[], float] = field(default=time.time)

    def now(self) -> int:
        return int(self.clock())


@dataclass
class Call:
    """One control-plane request."""

    plane: ControlPlane
    operation: str
    params: dict[str, Any]
    headers: Mapping[str, str]
    request_id: str
    caller: Credential | None = None  # who signed the call, when calls must be signed


class OperationTable:
    def __init__(self, service: str) -> None:
        self.service = service
        self.handlers: dict[str, Handler] = {}

    def __call__(self, name: str) -> Callable[[H], H]:
        def register(handler: H) -> H:
            if name in self.handlers:
                raise ValueError(f"{self.service} operation {name} registered twice")
            self.handlers[name] = handler
            return handler

        return register

    def merge(self, *tables: OperationTable) -> OperationTable:
        for table in tables:
            for name, handler in table.handlers.items():
                self(name)(handler)
        return self
