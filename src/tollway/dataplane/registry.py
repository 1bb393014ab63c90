"""The deployments the gateway serves: REST (API id, stage name) -> compiled stage, and HTTP
APIs' stages (API id -> `HttpApiStages`).

Loaded from the store at start; when the control plane reports that an API's stages or
deployments changed (`ChangeFeed.api_changed`), that API's stages are recompiled and swapped
in as a whole (one dict assignment), so a request sees either the old configuration or the
new one. The API's record kind says which it is: `restapi` or `V2_API_KIND`; a v2 API's
`ProtocolType` says HTTP or WebSocket (dataplane/websocket/compile.py, stage name -> stage).

A REST stage with a canary (spec §7.3) is compiled twice: the stage's deployment with its
variables, and the canary's deployment with the variables overlaid by its
stageVariableOverrides, marked `is_canary`. `lookup` picks the canary for its share of
requests, at random per request as AWS does: one `random()` call, only when there is a canary.
"""

from __future__ import annotations

import logging
from random import random
from typing import Any, cast

from tollway.dataplane.compile import compile_stage
from tollway.dataplane.compiled import CompiledStage
from tollway.dataplane.http_api import compile as http_compile
from tollway.dataplane.http_api.compiled import CompiledHttpStage, HttpApiStages
from tollway.dataplane.integrations import IntegrationServices
from tollway.dataplane.websocket import compile as ws_compile
from tollway.dataplane.websocket.compiled import CompiledWsStage
from tollway.model import http_api
from tollway.model.http_api import Stage as V2Stage
from tollway.model.rest import RestApiDefinition, Stage
from tollway.state.changes import DOMAINS_CHANGED
from tollway.store import ConfigStore

log = logging.getLogger("tollway.dataplane")


def _log_warnings(
    api_id: str, stage: str, deployment: str, warnings: list[str], old: Any, new: Any
) -> None:
    """A stage's warnings, logged when it is first loaded and when they change."""
    if old is None or old.deployment_id != new.deployment_id or old.warnings != new.warnings:
        for warning in warnings:
            log.warning("API %s stage %s (deployment %s): %s", api_id, stage, deployment, warning)


class DeploymentRegistry:
    def __init__(self, store: ConfigStore, services: IntegrationServices) -> None:
        self._store = store
        self._services = services
        self._apis: dict[str, dict[str, CompiledStage]] = {}
        self._http_apis: dict[str, HttpApiStages] = {}
        self._websocket_apis: dict[str, dict[str, CompiledWsStage]] = {}

    def lookup(self, api_id: str, stage_name: str) -> CompiledStage | None:
        """The stage that serves this request: with a canary, the canary for its share."""
        stages = self._apis.get(api_id)
        stage = stages.get(stage_name) if stages is not None else None
        if stage is not None and stage.canary is not None and random() < stage.canary_share:
            return stage.canary
        return stage

    def http_api(self, api_id: str) -> HttpApiStages | None:
        """The HTTP API with this id, if it is one."""
        return self._http_apis.get(api_id)

    def websocket_api(self, api_id: str) -> dict[str, CompiledWsStage] | None:
        """The WebSocket API with this id (its stages by name), if it is one."""
        return self._websocket_apis.get(api_id)

    def knows(self, api_id: str) -> bool:
        return api_id in self._apis or api_id in self._http_apis or api_id in self._websocket_apis

    def load_all(self) -> None:
        for record in self._store.list("restapi"):
            self.reload(record.key)
        for record in self._store.list(http_api.V2_API_KIND):
            self.reload(record.key)

    def reload(self, api_id: str) -> None:
        if api_id == DOMAINS_CHANGED:
            return  # the domain table's business (dataplane/domains.py)
        if self._store.get("restapi", api_id) is not None:
            self._reload_rest(api_id)
            return
        self._apis.pop(api_id, None)
        record = self._store.get(http_api.V2_API_KIND, api_id)
        if record is None:
            self._http_apis.pop(api_id, None)
            self._websocket_apis.pop(api_id, None)
            return
        definition = cast(http_api.ApiDefinition, record.body)
        if definition["Api"]["ProtocolType"] != http_api.HTTP:
            self._http_apis.pop(api_id, None)
            self._reload_websocket(api_id)
            return
        self._websocket_apis.pop(api_id, None)
        self._reload_http(api_id)

    def _v2_deployments(self, api_id: str) -> list[tuple[V2Stage, str, Any]]:
        """Each stage of a v2 API that has a deployment: (stage, deployment id, definition)."""
        found = []
        for record in self._store.list(http_api.V2_STAGE_KIND, api_id):
            stage = cast(http_api.Stage, record.body)
            deployment_id = stage.get("DeploymentId")
            if not deployment_id:
                continue  # a stage without a deployment serves nothing
            deployment = self._store.get(http_api.V2_DEPLOYMENT_KIND, deployment_id, api_id)
            if deployment is None:
                log.error(
                    "stage %s of API %s points at missing deployment %s",
                    record.key,
                    api_id,
                    deployment_id,
                )
                continue
            body = cast(http_api.DeploymentRecord, deployment.body)
            found.append((stage, deployment_id, body["Definition"]))
        return found

    def _reload_websocket(self, api_id: str) -> None:
        previous = self._websocket_apis.get(api_id, {})
        stages: dict[str, CompiledWsStage] = {}
        for stage, deployment_id, definition in self._v2_deployments(api_id):
            new = ws_compile.compile_stage(definition, deployment_id, stage, self._services)
            name = stage["StageName"]
            _log_warnings(api_id, name, deployment_id, new.warnings, previous.get(name), new)
            stages[name] = new
        self._websocket_apis[api_id] = stages

    def _reload_http(self, api_id: str) -> None:
        previous = self._http_apis.get(api_id)
        named: dict[str, CompiledHttpStage] = {}
        default: CompiledHttpStage | None = None
        for stage, deployment_id, definition in self._v2_deployments(api_id):
            name = stage["StageName"]
            new = http_compile.compile_stage(definition, deployment_id, stage, self._services)
            old = previous.stage(name) if previous is not None else None
            _log_warnings(api_id, name, deployment_id, new.warnings, old, new)
            if name == http_api.DEFAULT_STAGE:
                default = new
            else:
                named[name] = new
        self._http_apis[api_id] = HttpApiStages(api_id, named, default)

    def _reload_rest(self, api_id: str) -> None:
        compiled: dict[str, CompiledStage] = {}
        previous = self._apis.get(api_id, {})
        for record in self._store.list("stage", api_id):
            stage = cast(Stage, record.body)
            new = self._compile_rest(api_id, stage, stage["deploymentId"])
            if new is None:
                continue
            old = previous.get(record.key)
            _log_warnings(api_id, record.key, new.deployment_id, new.warnings, old, new)
            if stage.get("canarySettings"):
                self._compile_canary(api_id, stage, new, old)
            compiled[record.key] = new
        self._apis[api_id] = compiled

    def _compile_canary(
        self, api_id: str, stage: Stage, new: CompiledStage, old: CompiledStage | None
    ) -> None:
        settings = stage["canarySettings"]
        overrides = settings.get("stageVariableOverrides") or {}
        variables = {**stage.get("variables", {}), **overrides}
        canary_stage = cast(Stage, {**stage, "variables": variables})
        if not settings.get("useStageCache"):
            # Without useStageCache the canary's requests neither read nor fill the cache.
            canary_stage["cacheClusterEnabled"] = False
        canary = self._compile_rest(api_id, canary_stage, settings["deploymentId"])
        if canary is None:
            return
        canary.is_canary = True
        canary.use_stage_cache = bool(settings.get("useStageCache"))
        new.canary = canary
        new.canary_share = float(settings.get("percentTraffic", 0.0)) / 100
        old_canary = old.canary if old is not None else None
        label = f"{stage['stageName']} (canary)"
        _log_warnings(api_id, label, canary.deployment_id, canary.warnings, old_canary, canary)

    def _compile_rest(self, api_id: str, stage: Stage, deployment_id: str) -> CompiledStage | None:
        deployment = self._store.get("deployment", deployment_id, api_id)
        if deployment is None:
            log.error(
                "stage %s of API %s points at missing deployment %s",
                stage["stageName"],
                api_id,
                deployment_id,
            )
            return None
        body: dict[str, Any] = deployment.body
        return compile_stage(
            cast(RestApiDefinition, body["definition"]), deployment.key, stage, self._services
        )
