"""Request validation of WebSocket messages against the route's models (spec §13.2).

AWS counterpart: "Request validation for WebSocket APIs". A route with a
ModelSelectionExpression validates each message before its integration runs, proxy or not:
the expression's value names one of the route's RequestModels, else the `$default` one; no
model at all fails the message, as a message that is not JSON or breaks the schema (JSON
Schema draft 4, compiled once per deployment by the REST machinery, validation.py). A failing
message is not sent to the backend; the client gets the "Bad request body" gateway response
as an error frame, `{"message": "Invalid request body", "connectionId":..., "requestId":...}`
(the REST response's message in the frame AWS uses for its other WebSocket errors:
UNCONFIRMED). The failure's details are logged, as AWS writes them to CloudWatch.

`$connect` and `$disconnect` carry no message body: models there are named in a warning and
not applied. DisableSchemaValidation concerns the control plane's checks of models at
deployment on AWS, not messages, so it changes nothing here.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import fastjsonschema

from tollway.dataplane.validation import BodySchema, ModelError, Models, explain
from tollway.dataplane.websocket.selection import Selector

log = logging.getLogger("tollway.dataplane")
DEFAULT = "$default"


@dataclass(frozen=True, slots=True)
class MessageValidator:
    selector: Selector
    schemas: dict[str, BodySchema]  # by RequestModels key
    stage_variables: Mapping[str, str]

    def failure(self, is_json: bool, body: Any, context: Mapping[str, Any]) -> str | None:
        """Why a message fails validation; None when it passes."""
        key = self.selector.evaluate(body if is_json else None, context, self.stage_variables)
        schema = self.schemas.get(key) or self.schemas.get(DEFAULT)
        if schema is None:
            return f"no request model for {key!r} and no $default model"
        if not is_json:
            return "the message is not JSON"
        try:
            schema.check(body)
        except fastjsonschema.JsonSchemaException as e:
            failures = explain(schema.explain.iter_errors(body)) or [str(e)]
            return f"Request body does not match model {schema.model}: [{', '.join(failures)}]"
        return None


def compile_validator(
    api_id: str,
    route: Mapping[str, Any],
    models: Mapping[str, Mapping[str, Any]],
    stage_variables: Mapping[str, str],
) -> MessageValidator | None:
    """The route's validator (None without a ModelSelectionExpression); raises ModelError or
    SelectionError for what cannot be compiled."""
    expression = route.get("ModelSelectionExpression")
    if not expression:
        return None
    by_name = Models(
        api_id, {m.get("Name", ""): {"schema": m.get("Schema")} for m in models.values()}
    )
    schemas: dict[str, BodySchema] = {}
    for key, name in (route.get("RequestModels") or {}).items():
        schemas[key] = by_name.body(name)
    return MessageValidator(Selector(expression), schemas, stage_variables)


__all__ = ["MessageValidator", "ModelError", "compile_validator"]
