"""RouteResponse and IntegrationResponse operations: the same five operations on parts kept
under a parent part (`RouteResponses[RouteId]`, `IntegrationResponses[IntegrationId]`),
registered once per kind. Both matter to WebSocket APIs only; they are stored for both kinds
of API, as AWS's model allows, and a WebSocket API's are checked (websocket.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from tollway.control.apigatewayv2.documents import given, load_api, paginate, part_not_found
from tollway.control.operations import Call, OperationTable
from tollway.model import ids
from tollway.model.http_api import ApiDefinition


@dataclass(frozen=True)
class Children:
    kind: str  # "RouteResponse"
    bucket: str  # "RouteResponses", the ApiDefinition member
    parent_member: str  # "RouteId"
    check_parent: Callable[[ApiDefinition, str], Any]  # raises the parent's not-found
    members: tuple[str, ...]
    # AWS's checks of a child after create and update, given its siblings (itself included).
    check: Callable[[ApiDefinition, dict[str, Any], dict[str, dict[str, Any]]], None] = (
        lambda definition, child, siblings: None
    )

    @property
    def id_member(self) -> str:
        return f"{self.kind}Id"

    def of(self, call: Call, definition: ApiDefinition) -> dict[str, dict[str, Any]]:
        parent_id = call.params[self.parent_member]
        self.check_parent(definition, parent_id)
        buckets: dict[str, dict[str, Any]] = cast(dict[str, Any], definition)[self.bucket]
        return buckets.setdefault(parent_id, {})

    def get(self, call: Call, children: dict[str, dict[str, Any]]) -> dict[str, Any]:
        child = children.get(call.params[self.id_member])
        if child is None:
            raise part_not_found(self.kind, call.params[self.id_member])
        return child


def register(ops: OperationTable, spec: Children) -> None:
    """Create/Get/Get-list/Update/Delete{kind} operations."""

    @ops(f"Create{spec.kind}")
    def create(call: Call) -> dict[str, Any]:
        document = load_api(call)
        children = spec.of(call, document.definition)
        child = {spec.id_member: ids.part_id(), **given(call, spec.members)}
        children[child[spec.id_member]] = child
        spec.check(document.definition, child, children)
        document.save(call)
        return dict(child)

    @ops(f"Get{spec.kind}")
    def get(call: Call) -> dict[str, Any]:
        return dict(spec.get(call, spec.of(call, load_api(call).definition)))

    @ops(f"Get{spec.kind}s")
    def get_all(call: Call) -> dict[str, Any]:
        children = spec.of(call, load_api(call).definition)
        return paginate(call, [dict(c) for c in children.values()])

    @ops(f"Update{spec.kind}")
    def update(call: Call) -> dict[str, Any]:
        document = load_api(call)
        children = spec.of(call, document.definition)
        child = spec.get(call, children)
        child.update(given(call, spec.members))
        spec.check(document.definition, child, children)
        document.save(call)
        return dict(child)

    @ops(f"Delete{spec.kind}")
    def delete(call: Call) -> None:
        document = load_api(call)
        children = spec.of(call, document.definition)
        del children[spec.get(call, children)[spec.id_member]]
        if not children:
            buckets = cast(dict[str, Any], document.definition)[spec.bucket]
            del buckets[call.params[spec.parent_member]]
        document.save(call)
