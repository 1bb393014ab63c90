"""Loading and saving REST API definitions, and AWS's not-found errors for their parts.

An operation loads the API's document, changes it in memory and saves it back; the save is
one store commit guarded by the version the document was read at, so two writers racing on
the same API cannot lose each other's changes (the loser gets AWS's ConflictException).
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from tollway.control.errors import (
    CONCURRENT_MODIFICATION,
    BadRequestException,
    ConflictException,
    NotFoundException,
)
from tollway.control.operations import Call
from tollway.model.rest import (
    Integration,
    IntegrationResponse,
    Method,
    MethodResponse,
    Resource,
    RestApiDefinition,
    resource_path,
)
from tollway.store import ConcurrentModification, Delete, Record

API_KIND = "restapi"
DEPLOYMENT_KIND = "deployment"
STAGE_KIND = "stage"

DEFAULT_PAGE = 25
MAX_PAGE = 500


@dataclass
class ApiDocument:
    record: Record
    definition: RestApiDefinition

    @property
    def api_id(self) -> str:
        return self.definition["api"]["id"]

    def save(
        self, call: Call, *, extra: Sequence[Record] = (), deletes: Sequence[Delete] = ()
    ) -> None:
        put = Record(
            API_KIND,
            self.record.key,
            cast(dict[str, Any], self.definition),
            version=self.record.version,
        )
        commit(call, [put, *extra], deletes)


def commit(call: Call, puts: Sequence[Record], deletes: Sequence[Delete] = ()) -> None:
    try:
        call.plane.store.commit(puts, deletes)
    except ConcurrentModification:
        raise ConflictException(CONCURRENT_MODIFICATION) from None


def commit_keys(call: Call, puts: Sequence[Record], deletes: Sequence[Delete] = ()) -> None:
    """Commits API keys, usage plans or plan keys, and tells the data plane: they take effect
    without a deployment (dataplane/usage_plans.py)."""
    commit(call, puts, deletes)
    call.plane.changes.keys_changed()


def api_not_found(call: Call, api_id: str) -> NotFoundException:
    return NotFoundException(
        f"Invalid API identifier specified {call.plane.settings.account_id}:{api_id}"
    )


def load_api(call: Call, api_id: str | None = None) -> ApiDocument:
    api_id = api_id or call.params["restApiId"]
    record = call.plane.store.get(API_KIND, api_id)
    if record is None:
        raise api_not_found(call, api_id)
    # Operations mutate the loaded document; give them their own copy of the body.
    return ApiDocument(record, cast(RestApiDefinition, copy.deepcopy(record.body)))


def get_resource(definition: RestApiDefinition, resource_id: str) -> Resource:
    resource = definition["resources"].get(resource_id)
    if resource is None:
        raise NotFoundException("Invalid Resource identifier specified")
    return resource


def get_method(resource: Resource, http_method: str) -> Method:
    method = resource.get("resourceMethods", {}).get(http_method)
    if method is None:
        raise NotFoundException("Invalid Method identifier specified")
    return method


def get_integration(method: Method) -> Integration:
    integration = method.get("methodIntegration")
    if integration is None:
        raise NotFoundException("Invalid Integration identifier specified")
    return integration


def get_method_response(method: Method, status_code: str) -> MethodResponse:
    response = method.get("methodResponses", {}).get(status_code)
    if response is None:
        raise NotFoundException("Invalid Response status code specified")
    return response


def get_integration_response(integration: Integration, status_code: str) -> IntegrationResponse:
    response = integration.get("integrationResponses", {}).get(status_code)
    if response is None:
        raise NotFoundException("Invalid Response status code specified")
    return response


def locate_method(call: Call, document: ApiDocument) -> tuple[Resource, Method]:
    resource = get_resource(document.definition, call.params["resourceId"])
    return resource, get_method(resource, call.params["httpMethod"])


def resource_output(
    definition: RestApiDefinition, resource: Resource, *, embed_methods: bool = False
) -> dict[str, Any]:
    """A Resource as AWS returns it: with its derived `path`; methods summarised unless
    `embed=methods` was asked for."""
    out: dict[str, Any] = {"id": resource["id"]}
    if "parentId" in resource:
        out["parentId"] = resource["parentId"]
        out["pathPart"] = resource["pathPart"]
    out["path"] = resource_path(definition["resources"], resource["id"])
    methods = resource.get("resourceMethods") or {}
    if methods:
        out["resourceMethods"] = (
            copy.deepcopy(methods) if embed_methods else {verb: {} for verb in methods}
        )
    return out


def paginate(call: Call, items: Sequence[Any]) -> dict[str, Any]:
    """AWS's `position`/`limit` paging over a list (position is an opaque offset token)."""
    limit = call.params.get("limit") or DEFAULT_PAGE
    if not 1 <= limit <= MAX_PAGE:
        raise BadRequestException(f"Invalid limit {limit}: must be between 1 and {MAX_PAGE}")
    start = 0
    position = call.params.get("position")
    if position:
        try:
            start = int(position)
        except ValueError:
            raise BadRequestException("Invalid position parameter") from None
    page = list(items[start : start + limit])
    out: dict[str, Any] = {"items": page}
    if start + limit < len(items):
        out["position"] = str(start + limit)
    return out
