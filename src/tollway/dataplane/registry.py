"""The deployments the gateway serves: (API id, stage name) -> compiled stage.

Loaded from the store at start; when the control plane reports that an API's stages or
deployments changed, that API's stages are recompiled and swapped in as a whole (one dict
assignment), so a request sees either the old configuration or the new one.
"""

from __future__ import annotations

import logging
from typing import Any, cast

from tollway.dataplane.compile import compile_stage
from tollway.dataplane.compiled import CompiledStage
from tollway.dataplane.integrations import IntegrationServices
from tollway.model.rest import RestApiDefinition, Stage
from tollway.store import ConfigStore

log = logging.getLogger("tollway.dataplane")


class DeploymentRegistry:
    def __init__(self, store: ConfigStore, services: IntegrationServices) -> None:
        self._store = store
        self._services = services
        self._apis: dict[str, dict[str, CompiledStage]] = {}

    def lookup(self, api_id: str, stage_name: str) -> CompiledStage | None:
        stages = self._apis.get(api_id)
        return stages.get(stage_name) if stages is not None else None

    def knows(self, api_id: str) -> bool:
        return api_id in self._apis

    def stages(self) -> list[CompiledStage]:
        return [s for stages in self._apis.values() for s in stages.values()]

    def load_all(self) -> None:
        for record in self._store.list("restapi"):
            self.reload(record.key)

    def reload(self, api_id: str) -> None:
        if self._store.get("restapi", api_id) is None:
            self._apis.pop(api_id, None)
            return
        compiled: dict[str, CompiledStage] = {}
        previous = self._apis.get(api_id, {})
        for record in self._store.list("stage", api_id):
            stage = cast(Stage, record.body)
            deployment = self._store.get("deployment", stage["deploymentId"], api_id)
            if deployment is None:
                log.error(
                    "stage %s of API %s points at missing deployment %s",
                    stage["stageName"],
                    api_id,
                    stage["deploymentId"],
                )
                continue
            old = previous.get(record.key)
            body: dict[str, Any] = deployment.body
            compiled[record.key] = new = compile_stage(
                cast(RestApiDefinition, body["definition"]),
                deployment.key,
                stage,
                self._services,
            )
            if (
                old is None
                or old.deployment_id != new.deployment_id
                or old.warnings != new.warnings
            ):
                for warning in new.warnings:
                    log.warning(
                        "API %s stage %s (deployment %s): %s",
                        api_id,
                        record.key,
                        deployment.key,
                        warning,
                    )
        self._apis[api_id] = compiled
