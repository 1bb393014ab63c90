"""Loading and saving v2 API definitions, deployments and auto-deploy, AWS's not-found errors
and `NextToken`/`MaxResults` paging.

An operation loads the API's `ApiDefinition` (model.http_api), changes it in memory and saves
it back in one store commit guarded by the version it read. Saving a changed definition is
also where auto-deploy happens (AWS: "every change to the API triggers a new deployment" on
stages with `AutoDeploy`): the same commit writes a new deployment, a frozen copy of the new
definition, for each such stage and repoints the stage, then the data plane is told.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from tollway.control.apigateway.documents import commit
from tollway.control.errors import BadRequestException, NotFoundException
from tollway.control.operations import Call
from tollway.model import ids
from tollway.model.http_api import (
    V2_API_KIND,
    V2_DEPLOYMENT_KIND,
    V2_STAGE_KIND,
    Api,
    ApiDefinition,
    Deployment,
    DeploymentRecord,
    Stage,
)
from tollway.store import Delete, Record

DEFAULT_PAGE = 25
MAX_PAGE = 500
# What AWS writes on deployments and stages that auto-deploy made (observed in GetDeployment
# and GetStage output).
AUTO_DEPLOY_DESCRIPTION = "Automatic deployment triggered by changes to the Api configuration"
NO_ROUTES = "Unable to deploy API because no routes exist in this API"


def deployed_message(deployment_id: str) -> str:
    return f"Successfully deployed stage with deployment ID '{deployment_id}'"


def given(call: Call, members: Sequence[str]) -> dict[str, Any]:
    """The members of `members` the request sets (a Create's fields, an Update's changes)."""
    return {k: copy.deepcopy(call.params[k]) for k in members if call.params.get(k) is not None}


def api_not_found(call: Call, api_id: str) -> NotFoundException:
    return NotFoundException(
        f"Invalid API identifier specified {call.plane.settings.account_id}:{api_id}"
    )


def part_not_found(kind: str, part_id: str) -> NotFoundException:
    """`Invalid Route identifier specified abc1234` and the like for the parts of an API."""
    return NotFoundException(f"Invalid {kind} identifier specified {part_id}")


def stage_not_found() -> NotFoundException:
    return NotFoundException("Invalid stage identifier specified")


@dataclass
class ApiDocument:
    record: Record
    definition: ApiDefinition

    @property
    def api_id(self) -> str:
        return self.definition["Api"]["ApiId"]

    @property
    def api(self) -> Api:
        return self.definition["Api"]

    @property
    def is_http(self) -> bool:
        return self.definition["Api"]["ProtocolType"] == "HTTP"

    def save(
        self,
        call: Call,
        *,
        deploy: bool = True,
        extra: Sequence[Record] = (),
        deletes: Sequence[Delete] = (),
    ) -> None:
        """Commits the definition; with `deploy`, auto-deploys it to the stages that ask for it
        in the same commit and tells the data plane."""
        put = Record(
            V2_API_KIND,
            self.record.key,
            cast(dict[str, Any], self.definition),
            version=self.record.version,
        )
        puts = [put, *extra]
        stages: list[Record] = []
        if deploy:
            stages = [
                r
                for r in call.plane.store.list(V2_STAGE_KIND, self.api_id)
                if r.body.get("AutoDeploy")
            ]
            puts.extend(deploy_puts(call, self.api_id, self.definition, stages, auto=True))
        commit(call, puts, deletes)
        if stages or any(r.kind == V2_STAGE_KIND for r in extra):
            call.plane.changes.api_changed(self.api_id)


def load_api(call: Call, api_id: str | None = None) -> ApiDocument:
    api_id = api_id or call.params["ApiId"]
    record = call.plane.store.get(V2_API_KIND, api_id)
    if record is None:
        raise api_not_found(call, api_id)
    # Operations mutate the loaded document; give them their own copy of the body.
    return ApiDocument(record, cast(ApiDefinition, copy.deepcopy(record.body)))


def new_deployment(
    call: Call, api_id: str, definition: ApiDefinition, *, auto: bool, description: str | None
) -> Record:
    deployment: Deployment = {
        "DeploymentId": ids.part_id(),
        "DeploymentStatus": "DEPLOYED",
        "AutoDeployed": auto,
        "CreatedDate": call.plane.now(),
    }
    if description is not None:
        deployment["Description"] = description
    body: DeploymentRecord = {"Deployment": deployment, "Definition": copy.deepcopy(definition)}
    return Record(
        V2_DEPLOYMENT_KIND, deployment["DeploymentId"], cast(dict[str, Any], body), api_id
    )


def point_stage(call: Call, stage: dict[str, Any], deployment_id: str) -> None:
    stage["DeploymentId"] = deployment_id
    stage["LastUpdatedDate"] = call.plane.now()
    if stage.get("AutoDeploy"):
        stage["LastDeploymentStatusMessage"] = deployed_message(deployment_id)


def deploy_puts(
    call: Call,
    api_id: str,
    definition: ApiDefinition,
    stages: Iterable[Record],
    *,
    auto: bool,
) -> list[Record]:
    """One new deployment per stage (as AWS gives each auto-deploying stage its own), and the
    stages repointed, each guarded by the version it was read at. An API without routes
    cannot be deployed: the stage keeps what it had and says why."""
    puts: list[Record] = []
    for record in stages:
        stage = copy.deepcopy(record.body)
        if not definition["Routes"]:
            stage["LastDeploymentStatusMessage"] = NO_ROUTES
        else:
            deployment = new_deployment(
                call,
                api_id,
                definition,
                auto=auto,
                description=AUTO_DEPLOY_DESCRIPTION if auto else None,
            )
            puts.append(deployment)
            point_stage(call, stage, deployment.key)
        puts.append(Record(V2_STAGE_KIND, record.key, stage, api_id, record.version))
    return puts


def load_stage(call: Call, api_id: str, stage_name: str) -> Record:
    record = call.plane.store.get(V2_STAGE_KIND, stage_name, api_id)
    if record is None:
        raise stage_not_found()
    return record


def stage_output(stage: Stage | dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(cast(dict[str, Any], stage))


def paginate(call: Call, items: Sequence[Any]) -> dict[str, Any]:
    """`MaxResults`/`NextToken` paging; the token is an opaque offset. AWS does not document
    a default page size for apigatewayv2; Tollway uses apigateway's (25, at most 500)."""
    raw_limit = call.params.get("MaxResults")
    try:
        limit = int(raw_limit) if raw_limit not in (None, "") else DEFAULT_PAGE
    except ValueError:
        raise BadRequestException(f"Invalid maxResults {raw_limit}: must be a number") from None
    if not 1 <= limit <= MAX_PAGE:
        raise BadRequestException(f"Invalid maxResults {limit}: must be between 1 and {MAX_PAGE}")
    start = 0
    token = call.params.get("NextToken")
    if token:
        try:
            start = int(token)
        except ValueError:
            raise BadRequestException("Invalid nextToken provided") from None
    out: dict[str, Any] = {"Items": list(items[start : start + limit])}
    if start + limit < len(items):
        out["NextToken"] = str(start + limit)
    return out
