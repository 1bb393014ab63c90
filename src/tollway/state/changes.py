"""Change notifications from the control plane to the data plane.

When a stage or deployment of an API changes (CreateDeployment, UpdateStage, DeleteRestApi,
...) the control plane publishes the API's id; the data plane's deployment registry reloads
that API's stages from the store and compiles what changed. `LocalChangeFeed` delivers within
the process; a Redis feed (for clusters) will publish the same ids to every node.

API keys, usage plans and their keys are account-wide and take effect without a deployment:
their changes are announced with `keys_changed()` (the data plane's key index reloads).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Protocol

log = logging.getLogger(__name__)

Listener = Callable[[str], None]


class ChangeFeed(Protocol):
    def subscribe(self, listener: Listener) -> None: ...

    def api_changed(self, api_id: str) -> None: ...

    def subscribe_keys(self, listener: Callable[[], None]) -> None: ...

    def keys_changed(self) -> None: ...


class LocalChangeFeed:
    def __init__(self) -> None:
        self._listeners: list[Listener] = []
        self._key_listeners: list[Callable[[], None]] = []

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def api_changed(self, api_id: str) -> None:
        for listener in self._listeners:
            try:
                listener(api_id)
            except Exception:
                # A listener's failure must not fail the control-plane write that already
                # committed; the listener logs what it could not load.
                log.exception("change listener failed for API %s", api_id)

    def subscribe_keys(self, listener: Callable[[], None]) -> None:
        self._key_listeners.append(listener)

    def keys_changed(self) -> None:
        for listener in self._key_listeners:
            try:
                listener()
            except Exception:
                log.exception("change listener failed for API keys and usage plans")


# Published (as an "API id") when a custom domain name, one of its mappings, an imported
# certificate or a truststore changed: the gateway recompiles its domain table and TLS
# contexts. `$` keeps it apart from real API ids ([a-z0-9]{10}).
DOMAINS_CHANGED = "$domains"
