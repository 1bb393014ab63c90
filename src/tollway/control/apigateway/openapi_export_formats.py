"""How GetExport writes a REST API in each OpenAPI version: one small `Format` per version,
used by openapi_export so that the walk over resources and methods is written once.

Swagger 2.0 carries `host`, `basePath: /<stage>`, `consumes`/`produces`, body parameters and
`definitions`; OpenAPI 3.0.1 a server URL with a `basePath` variable, `requestBody`, response
`content` and `components`.
"""

from __future__ import annotations

from typing import Any, Protocol

from tollway.control.apigateway.openapi_common import ENDPOINT_CONFIGURATION, escape
from tollway.model.rest import Method


def format_for(export_type: str) -> Format:
    return _Swagger2() if export_type == "swagger" else _OpenApi3()


class Format(Protocol):
    """How one OpenAPI version writes what the exporter hands it."""

    def head(
        self, api: dict[str, Any], info: dict[str, Any], stage: str, region: str
    ) -> dict[str, Any]: ...

    def schema_ref(self, name: str) -> str: ...

    def parameter(self, name: str, location: str, required: bool) -> dict[str, Any]: ...

    def add_request(self, operation: dict[str, Any], method: Method) -> None: ...

    def response(
        self, status: str, headers: list[str], models: dict[str, str]
    ) -> dict[str, Any]: ...

    def add_responses(
        self, operation: dict[str, Any], responses: dict[str, Any], method: Method
    ) -> None: ...

    def place(
        self, doc: dict[str, Any], schemas: dict[str, Any], schemes: dict[str, Any]
    ) -> None: ...

    def place_endpoint_configuration(self, doc: dict[str, Any], config: dict[str, Any]) -> None: ...


def unique(values: list[str]) -> list[str]:
    """The values without repeats, in first-seen order."""
    return list(dict.fromkeys(values))


def integration_of(method: Method) -> dict[str, Any]:
    return dict(method.get("methodIntegration") or {})


class _Swagger2:
    """Swagger 2.0: host and basePath, consumes/produces, body parameters, definitions."""

    def head(
        self, api: dict[str, Any], info: dict[str, Any], stage: str, region: str
    ) -> dict[str, Any]:
        return {
            "swagger": "2.0",
            "info": {"version": info.pop("version"), **info},
            "host": f"{api['id']}.execute-api.{region}.amazonaws.com",
            "basePath": f"/{stage}",
            "schemes": ["https"],
        }

    def schema_ref(self, name: str) -> str:
        return f"#/definitions/{escape(name)}"

    def parameter(self, name: str, location: str, required: bool) -> dict[str, Any]:
        return {"name": name, "in": location, "required": required, "type": "string"}

    def add_request(self, operation: dict[str, Any], method: Method) -> None:
        models = method.get("requestModels") or {}
        templates = integration_of(method).get("requestTemplates") or {}
        consumes = unique(list(models) or list(templates))
        if consumes:
            operation["consumes"] = consumes
        if models:
            name = next(iter(models.values()))
            body = {
                "in": "body",
                "name": name,
                "required": True,
                "schema": {"$ref": self.schema_ref(name)},
            }
            operation.setdefault("parameters", []).append(body)

    def response(self, status: str, headers: list[str], models: dict[str, str]) -> dict[str, Any]:
        out: dict[str, Any] = {"description": f"{status} response"}
        if models:
            out["schema"] = {"$ref": self.schema_ref(next(iter(models.values())))}
        if headers:
            out["headers"] = {h: {"type": "string"} for h in headers}
        return out

    def add_responses(
        self, operation: dict[str, Any], responses: dict[str, Any], method: Method
    ) -> None:
        models = [ct for r in (method.get("methodResponses") or {}).values()
                  for ct in r.get("responseModels") or {}]  # fmt: skip
        integration_responses = integration_of(method).get("integrationResponses") or {}
        templates = [ct for r in integration_responses.values()
                     for ct in r.get("responseTemplates") or {}]  # fmt: skip
        produces = unique(models or templates)
        if produces:
            operation["produces"] = produces
        operation["responses"] = responses

    def place(self, doc: dict[str, Any], schemas: dict[str, Any], schemes: dict[str, Any]) -> None:
        if schemes:
            doc["securityDefinitions"] = schemes
        if schemas:
            doc["definitions"] = schemas

    def place_endpoint_configuration(self, doc: dict[str, Any], config: dict[str, Any]) -> None:
        doc[ENDPOINT_CONFIGURATION] = config


class _OpenApi3:
    """OpenAPI 3.0.1: a server with a basePath variable, requestBody, content, components."""

    def head(
        self, api: dict[str, Any], info: dict[str, Any], stage: str, region: str
    ) -> dict[str, Any]:
        url = f"https://{api['id']}.execute-api.{region}.amazonaws.com/{{basePath}}"
        return {
            "openapi": "3.0.1",
            "info": info,
            "servers": [{"url": url, "variables": {"basePath": {"default": stage}}}],
        }

    def schema_ref(self, name: str) -> str:
        return f"#/components/schemas/{escape(name)}"

    def parameter(self, name: str, location: str, required: bool) -> dict[str, Any]:
        out: dict[str, Any] = {"name": name, "in": location}
        if required:
            out["required"] = True
        out["schema"] = {"type": "string"}
        return out

    def add_request(self, operation: dict[str, Any], method: Method) -> None:
        models = method.get("requestModels") or {}
        if models:
            operation["requestBody"] = {
                "content": {
                    ct: {"schema": {"$ref": self.schema_ref(name)}} for ct, name in models.items()
                },
                "required": True,
            }

    def response(self, status: str, headers: list[str], models: dict[str, str]) -> dict[str, Any]:
        out: dict[str, Any] = {"description": f"{status} response"}
        if headers:
            out["headers"] = {h: {"schema": {"type": "string"}} for h in headers}
        if models:
            out["content"] = {ct: {"schema": {"$ref": self.schema_ref(name)}}
                              for ct, name in models.items()}  # fmt: skip
        return out

    def add_responses(
        self, operation: dict[str, Any], responses: dict[str, Any], method: Method
    ) -> None:
        if responses:
            operation["responses"] = responses

    def place(self, doc: dict[str, Any], schemas: dict[str, Any], schemes: dict[str, Any]) -> None:
        components: dict[str, Any] = {}
        if schemas:
            components["schemas"] = schemas
        if schemes:
            components["securitySchemes"] = schemes
        doc["components"] = components

    def place_endpoint_configuration(self, doc: dict[str, Any], config: dict[str, Any]) -> None:
        doc["servers"][0][ENDPOINT_CONFIGURATION] = config
