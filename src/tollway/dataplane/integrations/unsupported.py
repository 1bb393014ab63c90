"""Integrations Tollway cannot run yet. Compiling one logs a warning naming it; invoking it
fails the request with API_CONFIGURATION_ERROR and says why in the log, never silently."""

from __future__ import annotations

from tollway.dataplane.errors import ApiConfigurationError


class UnsupportedIntegration:
    def __init__(self, reason: str, *, proxy: bool = False) -> None:
        self.reason = reason
        self.proxy = proxy

    async def invoke(self, ctx: object) -> None:  # any API type's context
        raise ApiConfigurationError(
            log=f"Tollway does not support this integration yet: {self.reason}"
        )
