"""The version-neutral view of an OpenAPI document that ImportRestApi / PutRestApi build from.

OpenAPI 2.0 and 3.0 keep the same facts in different places (`definitions` or
`components.schemas`, an `in: body` parameter or `requestBody`, `produces` or response
`content`, `basePath` or `servers`). `read_document` reads either version into one
`ApiDocument`, through a small per-version `Format`, so the importer has a single path.

Reading never stops at the first problem: structural problems are collected in
`ApiDocument.problems` (worded `Invalid OpenAPI input. ... at <where>`) and what the importer
will ignore in `ApiDocument.notes` (import warnings), so the user sees all of them at once.

Choices where AWS's documentation is silent:
- Operation and path-item parameters are merged, the operation's winning for the same name
  and location (OpenAPI's rule). Path parameters are always required.
- A `default` response, or a range such as `5XX`, is ignored with a warning: a method response
  needs a status code.
- A schema given as `$ref` to a named schema is a reference to that model; any other schema is
  inline (the importer makes a model of it).
- `x-amazon-apigateway-endpoint-configuration` at the root wins over one on the OpenAPI 3.0
  server (see openapi_versions).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from tollway.control.apigateway.openapi_common import (
    INTEGRATION,
    OPERATION_KEYS,
    PREFIX,
    describe,
    local_schema_name,
)
from tollway.control.apigateway.openapi_parse import INVALID_INPUT
from tollway.control.apigateway.openapi_versions import Format, format_for
from tollway.control.errors import BadRequestException

_LOCATIONS = {"path": "path", "query": "querystring", "header": "header"}
_STATUS_RANGE = re.compile(r"^[1-5]XX$", re.IGNORECASE)
_MISSING = object()


@dataclass(frozen=True)
class ModelRef:
    """A schema given as `$ref` to a named schema: it becomes a reference to that model."""

    name: str


Schema = ModelRef | dict[str, Any]
"""A model reference, or an inline schema."""

SecurityRequirements = list[dict[str, list[str]]]


@dataclass(frozen=True)
class Parameter:
    location: str  # path | querystring | header: the method request parameter location
    name: str
    required: bool


@dataclass
class Response:
    status: str
    headers: list[str]
    models: dict[str, Schema]  # content type -> schema


@dataclass
class Operation:
    path: str  # the resource path, base path applied
    verb: str  # GET, ..., ANY
    operation_id: str | None
    parameters: list[Parameter]
    body: dict[str, Schema]
    responses: list[Response]
    security: SecurityRequirements | None  # None: the operation does not say
    extensions: dict[str, Any]  # its x-amazon-apigateway-* fields

    @property
    def label(self) -> str:
        return f"{self.verb} {self.path}"


@dataclass
class ApiDocument:
    version: int
    title: str | None = None
    description: str | None = None
    api_version: str | None = None
    paths: list[str] = field(default_factory=list)  # resource paths, in document order
    operations: list[Operation] = field(default_factory=list)
    schemas: dict[str, Any] = field(default_factory=dict)
    security_schemes: dict[str, dict[str, Any]] = field(default_factory=dict)
    security: SecurityRequirements | None = None
    extensions: dict[str, Any] = field(default_factory=dict)  # root x-amazon-apigateway-*
    tags: Any = None  # the root `tags`, as written (HTTP APIs make API tags of them)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def read_document(tree: dict[str, Any], version: int, *, base_path_mode: str) -> ApiDocument:
    """`base_path_mode` is the ImportRestApi `basepath` parameter: ignore, prepend or split."""
    return DocumentReader(tree, format_for(version, tree), ApiDocument(version)).read(
        base_path_mode
    )


class DocumentReader:
    """Reads the parts every OpenAPI version shares; its `Format` reads the rest."""

    def __init__(self, tree: dict[str, Any], fmt: Format, document: ApiDocument) -> None:
        self.tree = tree
        self.fmt = fmt
        self.doc = document

    # --- the document ---------------------------------------------------------------------

    def read(self, base_path_mode: str) -> ApiDocument:
        doc = self.doc
        info = self.object(self.tree.get("info", {}), "info") or {}
        doc.title = self.text(info.get("title"), "info.title")
        doc.description = self.text(info.get("description"), "info.description")
        doc.api_version = self.text(info.get("version"), "info.version")
        doc.schemas = self.object(self.fmt.schemas() or {}, self.fmt.schemas_at) or {}
        doc.tags = self.tree.get("tags")
        doc.security_schemes = self._security_schemes()
        if "security" in self.tree:
            doc.security = self.security(self.tree["security"], "security")
        doc.extensions = self.fmt.server_extensions(self) | {
            k: v for k, v in self.tree.items() if k.startswith(PREFIX)
        }
        prefix = _prefix(self.fmt.base_path(self), base_path_mode)
        paths = self.tree.get("paths")
        if not isinstance(paths, dict):
            raise BadRequestException(
                f"{INVALID_INPUT} The document has no 'paths' object (found "
                f"{describe(paths)}); OpenAPI requires one, even if empty (paths: {{}})."
            )
        for raw_path, item in paths.items():
            if not raw_path.startswith("x-"):
                self._path_item(raw_path, item, prefix)
        return doc

    def _security_schemes(self) -> dict[str, dict[str, Any]]:
        where = self.fmt.security_schemes_at
        schemes = self.object(self.fmt.security_schemes() or {}, where) or {}
        out = {}
        for name, raw in schemes.items():
            scheme = self.object(self.resolve(raw, f"{where}.{name}"), f"{where}.{name}")
            if scheme is not None:
                out[name] = scheme
        return out

    # --- paths and operations -------------------------------------------------------------

    def _path_item(self, raw_path: str, raw_item: Any, prefix: str) -> None:
        where = f"paths.{raw_path}"
        if not raw_path.startswith("/"):
            self.problem(f"{INVALID_INPUT} The path '{raw_path}' at paths does not begin with '/'.")
            return
        path = prefix + (raw_path.rstrip("/") or ("" if prefix else "/"))
        self.doc.paths.append(path)
        item = self.object(self.resolve(raw_item, where), where)
        if item is None:
            return
        for key, value in item.items():
            verb = OPERATION_KEYS.get(key)
            if verb is not None:
                self._operation(path, verb, item, value, f"{where}.{key}")

    def _operation(self, path: str, verb: str, item: dict[str, Any], raw: Any, where: str) -> None:
        op = self.object(raw, where)
        if op is None:
            return
        label = f"{verb} {path}"
        parameters, body_param = self._parameters(
            [(item.get("parameters"), f"{where.rsplit('.', 1)[0]}.parameters"),
             (op.get("parameters"), f"{where}.parameters")],
            label,
        )  # fmt: skip
        extensions = {k: v for k, v in op.items() if k.startswith(PREFIX)}
        if INTEGRATION in extensions:
            extensions[INTEGRATION] = self.resolve(
                extensions[INTEGRATION], f"{where}.{INTEGRATION}"
            )
        self.doc.operations.append(
            Operation(
                path=path,
                verb=verb,
                operation_id=self.text(op.get("operationId"), f"{where}.operationId"),
                parameters=parameters,
                body=self.fmt.request_body(self, op, body_param, where),
                responses=self._responses(op, where, label),
                security=self.security(op["security"], f"{where}.security")
                if "security" in op
                else None,
                extensions=extensions,
            )
        )

    def _parameters(
        self, sources: list[tuple[Any, str]], label: str
    ) -> tuple[list[Parameter], dict[str, Any] | None]:
        found: dict[tuple[str, str], Parameter] = {}
        body = None
        for raw_list, where in sources:
            for i, raw in enumerate(self.list(raw_list, where)):
                here = f"{where}[{i}]"
                param = self.object(self.resolve(raw, here), here)
                if param is None:
                    continue
                name, location = param.get("name"), param.get("in")
                if not isinstance(name, str) or not name or not isinstance(location, str):
                    self.problem(
                        f"{INVALID_INPUT} The parameter at {here} needs a name and an 'in'."
                    )
                elif location == "body":
                    body = param
                elif location in _LOCATIONS:
                    required = location == "path" or param.get("required") is True
                    found[(location, name)] = Parameter(_LOCATIONS[location], name, required)
                else:
                    self.note(
                        f"Parameter '{name}' (in: {location}) of {label} is ignored: API Gateway "
                        "maps only path, query and header parameters."
                    )
        return list(found.values()), body

    def _responses(self, op: dict[str, Any], where: str, label: str) -> list[Response]:
        out = []
        for key, raw in (self.object(op.get("responses", {}), f"{where}.responses") or {}).items():
            here = f"{where}.responses.{key}"
            if key.startswith("x-"):
                continue
            if key == "default" or _STATUS_RANGE.match(key):
                self.note(
                    f"Response '{key}' of {label} is ignored: a method response needs a "
                    "three-digit status code."
                )
                continue
            response = self.object(self.resolve(raw, here), here)
            if response is None:
                continue
            headers = self.object(response.get("headers", {}), f"{here}.headers") or {}
            models = self.fmt.response_models(self, op, response, here)
            out.append(Response(key, [h for h in headers if not h.startswith("x-")], models))
        return out

    # --- shared readers (also used by the formats) ----------------------------------------

    def security(self, raw: Any, where: str) -> SecurityRequirements:
        out = []
        for i, raw_requirement in enumerate(self.list(raw, where)):
            requirement = self.object(raw_requirement, f"{where}[{i}]")
            if requirement is None:
                continue
            entry = {}
            for name, scopes in requirement.items():
                scope_list = self.list(scopes, f"{where}[{i}].{name}")
                entry[name] = [s for s in scope_list if isinstance(s, str)]
            out.append(entry)
        return out

    def schema_use(self, raw: Any, where: str) -> Schema | None:
        if raw is None:
            return None
        schema = self.object(raw, where)
        if not schema:
            return None
        ref = schema.get("$ref")
        if isinstance(ref, str):
            # OpenAPI ignores siblings of $ref; a ref elsewhere than a named schema keeps its
            # text as the name, so the importer reports it as a model it cannot find.
            return ModelRef(local_schema_name(ref) or ref)
        return schema

    def media_types(self, operation_level: Any, root_level: Any, where: str) -> list[str]:
        for raw, at in ((operation_level, where), (root_level, "the document root")):
            if raw is not None:
                types = [t for t in self.list(raw, at) if isinstance(t, str)]
                if types:
                    return types
        return ["application/json"]

    def resolve(self, value: Any, where: str) -> Any:
        """Follows `$ref`s inside the document; reports one that leads nowhere (None)."""
        for _ in range(32):
            if not (isinstance(value, dict) and isinstance(value.get("$ref"), str)):
                return value
            ref = value["$ref"]
            value = self._pointer(ref)
            if value is _MISSING:
                self.problem(
                    f"{INVALID_INPUT} The $ref '{ref}' at {where} does not resolve: Tollway "
                    "follows references to places inside the document ('#/...')."
                )
                return None
        self.problem(f"{INVALID_INPUT} The $ref chain at {where} loops.")
        return None

    def _pointer(self, ref: str) -> Any:
        if not ref.startswith("#/"):
            return _MISSING
        node: Any = self.tree
        for token in ref[2:].split("/"):
            token = token.replace("~1", "/").replace("~0", "~")
            if isinstance(node, dict) and token in node:
                node = node[token]
            elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
                node = node[int(token)]
            else:
                return _MISSING
        return node

    def object(self, value: Any, where: str) -> dict[str, Any] | None:
        if isinstance(value, dict):
            return value
        if value is not None:
            self.problem(f"{INVALID_INPUT} Expected an object at {where}, found {describe(value)}.")
        return None

    def list(self, value: Any, where: str) -> list[Any]:
        if isinstance(value, list):
            return value
        if value is not None:
            self.problem(f"{INVALID_INPUT} Expected a list at {where}, found {describe(value)}.")
        return []

    def text(self, value: Any, where: str) -> str | None:
        if value is None or isinstance(value, str):
            return value
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)  # YAML reads `version: 1.0` as a number
        self.problem(f"{INVALID_INPUT} Expected a string at {where}, found {describe(value)}.")
        return None

    def problem(self, message: str) -> None:
        self.doc.problems.append(message)

    def note(self, message: str) -> None:
        self.doc.notes.append(message)


def _prefix(base_path: str, mode: str) -> str:
    """The resource path prefix the `basepath` mode makes of the base path (spec §15.1)."""
    parts = [p for p in base_path.split("/") if p]
    if mode == "split":
        parts = parts[1:]
    elif mode != "prepend":
        parts = []
    return "/" + "/".join(parts) if parts else ""
