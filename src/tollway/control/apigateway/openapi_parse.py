"""Reading the body of ImportRestApi / PutRestApi: bytes to a plain JSON-like document.

The body is an OpenAPI 2.0 (Swagger) or 3.0 document, JSON or YAML (spec §15.1). AWS answers
a body it cannot read with `Unable to build importer with provided input.` or `Invalid OpenAPI
input.` (400); Tollway appends what is wrong and where (line and column, or the document path)
so the user can fix it.

Choices where AWS's documentation is silent:
- A body whose first non-blank character is `{` is read as JSON (its errors are then reported
  with JSON's line and column); anything else as YAML with the safe loader.
- YAML timestamps are kept as the text written (`version: 2016-03-31` stays a string), and
  mapping keys become strings (`200:` is the response `"200"`, as AWS accepts, see LocalStack's
  AWS-validated `test_import_with_integer_http_status_code`).
- `Unable to build importer ...` is used when no importer applies (empty body, a root that is
  not a mapping, neither `swagger: "2.0"` nor `openapi: 3.0.x`); `Invalid OpenAPI input.` when
  the text cannot be parsed or its structure is broken.
- AWS variables (`${AWS::Region}`, `${AWS::AccountId}`, `${AWS::Partition}`, spec §15.1) are
  substituted in OpenAPI 3.0 documents only, as AWS documents them for OpenAPI 3.0; the
  partition follows the region (`aws-cn` for `cn-*`, `aws-us-gov` for `us-gov-*`, else `aws`).
"""

from __future__ import annotations

import json
import re
from typing import Any

import yaml

from tollway.control.apigateway.openapi_common import describe
from tollway.control.errors import BadRequestException

INVALID_INPUT = "Invalid OpenAPI input."
NO_IMPORTER = "Unable to build importer with provided input."

_OAS3 = re.compile(r"^3\.0(?:\.\d+)?$")
_AWS_VARIABLE = re.compile(r"\$\{AWS::(AccountId|Partition|Region)\}")


class _Loader(yaml.SafeLoader):
    """The safe loader without implicit timestamps: dates stay the text the user wrote."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def parse_document(body: bytes) -> dict[str, Any]:
    """The document as dicts, lists, strings, numbers, booleans and None; keys are strings."""
    text = _decode(body)
    if not text.strip():
        raise BadRequestException(f"{NO_IMPORTER} The request body is empty.")
    tree = _load_json(text) if text.lstrip().startswith("{") else _load_yaml(text)
    try:
        document = _plain(tree)
    except RecursionError:
        raise BadRequestException(
            f"{INVALID_INPUT} The document nests too deeply or refers to itself (a YAML alias "
            "inside its own anchor)."
        ) from None
    if not isinstance(document, dict):
        raise BadRequestException(
            f"{NO_IMPORTER} The document's root must be an object, found {describe(document)}."
        )
    return document


def openapi_version(document: dict[str, Any]) -> int:
    """2 for `swagger: "2.0"`, 3 for `openapi: 3.0.x`; anything else is refused."""
    swagger, openapi = document.get("swagger"), document.get("openapi")
    if swagger is not None:
        if _version_text(swagger) == "2.0":
            return 2
        found = f"swagger: {_version_text(swagger)}"
    elif openapi is not None:
        if _OAS3.match(_version_text(openapi)):
            return 3
        found = f"openapi: {_version_text(openapi)}"
    else:
        found = "neither a swagger nor an openapi field"
    raise BadRequestException(
        f"{NO_IMPORTER} The document declares {found}; API Gateway imports OpenAPI 2.0 "
        '(swagger: "2.0") and OpenAPI 3.0 (openapi: 3.0.x) documents.'
    )


def substitute_aws_variables(document: Any, *, region: str, account_id: str) -> Any:
    """A copy of `document` with `${AWS::Region|AccountId|Partition}` replaced in every string."""
    values = {"Region": region, "AccountId": account_id, "Partition": partition_of(region)}

    def substitute(value: Any) -> Any:
        if isinstance(value, str):
            return _AWS_VARIABLE.sub(lambda m: values[m.group(1)], value)
        if isinstance(value, dict):
            return {key: substitute(item) for key, item in value.items()}
        if isinstance(value, list):
            return [substitute(item) for item in value]
        return value

    return substitute(document)


def partition_of(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def _decode(body: bytes) -> str:
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise BadRequestException(
            f"{INVALID_INPUT} The document is not UTF-8 text: byte {e.start} cannot be decoded."
        ) from None


def _load_json(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise BadRequestException(
            f"{INVALID_INPUT} The document is not valid JSON: {e.msg} at line {e.lineno}, "
            f"column {e.colno}."
        ) from None


def _load_yaml(text: str) -> Any:
    try:
        return yaml.load(text, Loader=_Loader)  # _Loader is a SafeLoader
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        context = f" ({e.context})" if e.context else ""
        raise BadRequestException(
            f"{INVALID_INPUT} The document is not valid YAML: {e.problem}{context}{where}."
        ) from None
    except yaml.YAMLError as e:
        raise BadRequestException(f"{INVALID_INPUT} The document is not valid YAML: {e}.") from None


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {_key(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)  # e.g. YAML binary (!!binary) or set values


def _key(key: Any) -> str:
    if isinstance(key, bool) or key is None:
        return json.dumps(key)
    return str(key)


def _version_text(value: Any) -> str:
    # YAML reads `openapi: 3.0` as a number; compare the text the user meant.
    return value if isinstance(value, str) else json.dumps(value)
