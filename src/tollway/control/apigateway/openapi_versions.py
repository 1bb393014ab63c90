"""Where OpenAPI 2.0 and 3.0 keep the facts ImportRestApi needs: one small `Format` per
version, used by openapi_document's reader so that everything else is read once.

OpenAPI 2.0 keeps schemas in `definitions`, security schemes in `securityDefinitions`, the base
path in `basePath`, request bodies in `in: body` parameters and media types in
`consumes`/`produces`; OpenAPI 3.0 keeps them in `components`, `servers`, `requestBody` and
each response's `content`.

Choices where AWS's documentation is silent:
- OpenAPI 2.0 body and response schemas apply to every media type of the operation's
  `consumes` / `produces` (else the document's), `application/json` when none is declared.
- OpenAPI 3.0's base path is the first server's `basePath` variable, else the path of its URL
  (other server variables replaced by their defaults); the first server giving one wins.
- OpenAPI 3.0's `x-amazon-apigateway-endpoint-configuration` is read from the first server
  (where AWS writes it on export).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit

from tollway.control.apigateway.openapi_common import ENDPOINT_CONFIGURATION

if TYPE_CHECKING:
    from tollway.control.apigateway.openapi_document import DocumentReader, Schema


def format_for(version: int, tree: dict[str, Any]) -> Format:
    return _Swagger2(tree) if version == 2 else _OpenApi3(tree)


class Format(Protocol):
    """Where one OpenAPI version keeps what the reader needs."""

    schemas_at: str
    security_schemes_at: str

    def schemas(self) -> Any: ...

    def security_schemes(self) -> Any: ...

    def base_path(self, reader: DocumentReader) -> str: ...

    def server_extensions(self, reader: DocumentReader) -> dict[str, Any]: ...

    def request_body(
        self,
        reader: DocumentReader,
        op: dict[str, Any],
        body_param: dict[str, Any] | None,
        where: str,
    ) -> dict[str, Schema]: ...

    def response_models(
        self, reader: DocumentReader, op: dict[str, Any], response: dict[str, Any], where: str
    ) -> dict[str, Schema]: ...


class _Swagger2:
    """OpenAPI 2.0: definitions, securityDefinitions, basePath, body parameters, produces."""

    schemas_at = "definitions"
    security_schemes_at = "securityDefinitions"

    def __init__(self, tree: dict[str, Any]) -> None:
        self.tree = tree

    def schemas(self) -> Any:
        return self.tree.get("definitions")

    def security_schemes(self) -> Any:
        return self.tree.get("securityDefinitions")

    def base_path(self, reader: DocumentReader) -> str:
        return reader.text(self.tree.get("basePath"), "basePath") or ""

    def server_extensions(self, reader: DocumentReader) -> dict[str, Any]:
        return {}

    def request_body(
        self,
        reader: DocumentReader,
        op: dict[str, Any],
        body_param: dict[str, Any] | None,
        where: str,
    ) -> dict[str, Schema]:
        if body_param is None:
            return {}
        schema = reader.schema_use(body_param.get("schema"), f"{where}.parameters(in: body).schema")
        if schema is None:
            return {}
        types = reader.media_types(op.get("consumes"), self.tree.get("consumes"), where)
        return dict.fromkeys(types, schema)

    def response_models(
        self, reader: DocumentReader, op: dict[str, Any], response: dict[str, Any], where: str
    ) -> dict[str, Schema]:
        schema = reader.schema_use(response.get("schema"), f"{where}.schema")
        if schema is None:
            return {}
        types = reader.media_types(op.get("produces"), self.tree.get("produces"), where)
        return dict.fromkeys(types, schema)


class _OpenApi3:
    """OpenAPI 3.0: components, servers, requestBody, response content."""

    schemas_at = "components.schemas"
    security_schemes_at = "components.securitySchemes"

    def __init__(self, tree: dict[str, Any]) -> None:
        self.tree = tree
        components = tree.get("components")
        self.components = components if isinstance(components, dict) else {}

    def schemas(self) -> Any:
        return self.components.get("schemas")

    def security_schemes(self) -> Any:
        return self.components.get("securitySchemes")

    def _servers(self, reader: DocumentReader) -> list[dict[str, Any]]:
        servers = reader.list(self.tree.get("servers"), "servers")
        return [s for i, s in enumerate(servers) if reader.object(s, f"servers[{i}]") is not None]

    def base_path(self, reader: DocumentReader) -> str:
        for server in self._servers(reader):
            variables = server.get("variables")
            defaults = {
                name: str(v.get("default", ""))
                for name, v in (variables if isinstance(variables, dict) else {}).items()
                if isinstance(v, dict)
            }
            if "basePath" in defaults:
                return "/" + defaults["basePath"].strip("/")
            url = server.get("url")
            if isinstance(url, str):
                path = urlsplit(_substitute_variables(url, defaults)).path
                if path.strip("/"):
                    return path
        return ""

    def server_extensions(self, reader: DocumentReader) -> dict[str, Any]:
        servers = self._servers(reader)
        if servers and ENDPOINT_CONFIGURATION in servers[0]:
            return {ENDPOINT_CONFIGURATION: servers[0][ENDPOINT_CONFIGURATION]}
        return {}

    def request_body(
        self,
        reader: DocumentReader,
        op: dict[str, Any],
        body_param: dict[str, Any] | None,
        where: str,
    ) -> dict[str, Schema]:
        if "requestBody" not in op:
            return {}
        here = f"{where}.requestBody"
        body = reader.object(reader.resolve(op["requestBody"], here), here) or {}
        return self._content_models(reader, body, here)

    def response_models(
        self, reader: DocumentReader, op: dict[str, Any], response: dict[str, Any], where: str
    ) -> dict[str, Schema]:
        return self._content_models(reader, response, where)

    @staticmethod
    def _content_models(
        reader: DocumentReader, holder: dict[str, Any], where: str
    ) -> dict[str, Schema]:
        content = reader.object(holder.get("content", {}), f"{where}.content") or {}
        out = {}
        for media_type, raw in content.items():
            here = f"{where}.content.{media_type}"
            media = reader.object(raw, here) or {}
            schema = reader.schema_use(media.get("schema"), f"{here}.schema")
            if schema is not None:
                out[media_type] = schema
        return out


def _substitute_variables(url: str, defaults: dict[str, str]) -> str:
    return re.sub(r"\{([^}]*)\}", lambda m: defaults.get(m.group(1), m.group(0)), url)
