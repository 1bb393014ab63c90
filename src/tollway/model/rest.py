"""REST API (API Gateway v1) definitions as Tollway stores them.

A REST API's whole editable definition is one document, `RestApiDefinition`: the RestApi
itself, its resource tree (each resource carrying its methods, each method its integration and
responses), models, request validators, customised gateway responses, and the OpenAPI
extensions Tollway keeps without acting on them. Control-plane operations load it, change it
and write it back in one transaction; CreateDeployment copies it, frozen, into a Deployment.

The nested shapes use the member names of botocore's `apigateway` model (`httpMethod`,
`methodIntegration`, `integrationResponses`, ...), so the wire protocol can serialise them as
they are. Two choices differ from the wire shapes and keep derived state out of the store:
- a Resource does not store its `path`; `resource_path()` derives it from the parent chain, so
  renaming a resource cannot leave stale paths in its subtree;
- timestamps are stored as integer epoch seconds (the `apigateway` wire format).

No I/O here.
"""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict


class RestApi(TypedDict):
    id: str
    name: str
    createdDate: int
    rootResourceId: str
    apiKeySource: str
    endpointConfiguration: dict[str, Any]
    disableExecuteApiEndpoint: bool
    description: NotRequired[str]
    version: NotRequired[str]
    binaryMediaTypes: NotRequired[list[str]]
    minimumCompressionSize: NotRequired[int]
    policy: NotRequired[str]
    tags: NotRequired[dict[str, str]]
    warnings: NotRequired[list[str]]


class IntegrationResponse(TypedDict):
    statusCode: str
    selectionPattern: NotRequired[str]
    responseParameters: NotRequired[dict[str, str]]
    responseTemplates: NotRequired[dict[str, str | None]]
    contentHandling: NotRequired[str]


class Integration(TypedDict):
    type: str
    passthroughBehavior: str
    timeoutInMillis: int
    cacheNamespace: str
    cacheKeyParameters: list[str]
    connectionType: NotRequired[str]
    httpMethod: NotRequired[str]
    uri: NotRequired[str]
    connectionId: NotRequired[str]
    credentials: NotRequired[str]
    requestParameters: NotRequired[dict[str, str]]
    requestTemplates: NotRequired[dict[str, str | None]]
    contentHandling: NotRequired[str]
    tlsConfig: NotRequired[dict[str, Any]]
    integrationResponses: NotRequired[dict[str, IntegrationResponse]]


class MethodResponse(TypedDict):
    statusCode: str
    responseParameters: NotRequired[dict[str, bool]]
    responseModels: NotRequired[dict[str, str]]


class Method(TypedDict):
    httpMethod: str
    authorizationType: str
    apiKeyRequired: bool
    authorizerId: NotRequired[str]
    requestValidatorId: NotRequired[str]
    operationName: NotRequired[str]
    requestParameters: NotRequired[dict[str, bool]]
    requestModels: NotRequired[dict[str, str]]
    methodResponses: NotRequired[dict[str, MethodResponse]]
    methodIntegration: NotRequired[Integration]
    authorizationScopes: NotRequired[list[str]]


class Resource(TypedDict):
    id: str
    parentId: NotRequired[str]  # absent on the root resource
    pathPart: NotRequired[str]  # absent on the root resource
    resourceMethods: NotRequired[dict[str, Method]]


class Model(TypedDict):
    id: str
    name: str
    contentType: str
    schema: NotRequired[str]
    description: NotRequired[str]


class RequestValidator(TypedDict):
    id: str
    name: str
    validateRequestBody: bool
    validateRequestParameters: bool


class GatewayResponse(TypedDict):
    """A customised gateway response (PutGatewayResponse). Defaults live in gateway_responses."""

    responseType: str
    statusCode: NotRequired[str]
    responseParameters: NotRequired[dict[str, str]]
    responseTemplates: NotRequired[dict[str, str]]


class Authorizer(TypedDict):
    """A REST authorizer (CreateAuthorizer): a Lambda TOKEN/REQUEST authorizer or a Cognito
    user pool authorizer. `authorizerResultTtlInSeconds` is always stored (AWS's default 300)."""

    id: str
    name: str
    type: str  # TOKEN | REQUEST | COGNITO_USER_POOLS
    authorizerResultTtlInSeconds: int
    providerARNs: NotRequired[list[str]]
    authType: NotRequired[str]
    authorizerUri: NotRequired[str]
    authorizerCredentials: NotRequired[str]
    identitySource: NotRequired[str]
    identityValidationExpression: NotRequired[str]


class RestApiDefinition(TypedDict):
    """Everything a deployment of a REST API freezes. Stored as one document per API."""

    api: RestApi
    resources: dict[str, Resource]
    models: dict[str, Model]
    requestValidators: dict[str, RequestValidator]
    gatewayResponses: dict[str, GatewayResponse]
    # by id; absent in documents stored before authorizers existed: read with
    # `.get("authorizers", {})`
    authorizers: NotRequired[dict[str, Authorizer]]
    # OpenAPI root-level x-amazon-apigateway-* extensions Tollway keeps but does not act on
    # yet (reported as import warnings), re-emitted on export.
    extensions: dict[str, Any]


class Deployment(TypedDict):
    id: str
    createdDate: int
    apiSummary: dict[str, dict[str, dict[str, Any]]]
    description: NotRequired[str]


class DeploymentRecord(TypedDict):
    """A Deployment and the frozen definition it serves."""

    deployment: Deployment
    definition: RestApiDefinition


class Stage(TypedDict):
    stageName: str
    deploymentId: str
    createdDate: int
    lastUpdatedDate: int
    cacheClusterEnabled: bool
    cacheClusterStatus: str
    methodSettings: dict[str, dict[str, Any]]
    tracingEnabled: bool
    variables: NotRequired[dict[str, str]]
    description: NotRequired[str]
    cacheClusterSize: NotRequired[str]
    clientCertificateId: NotRequired[str]
    documentationVersion: NotRequired[str]
    accessLogSettings: NotRequired[dict[str, str]]
    canarySettings: NotRequired[dict[str, Any]]
    webAclArn: NotRequired[str]
    tags: NotRequired[dict[str, str]]


def plain_stage(
    stage_name: str, deployment_id: str, variables: dict[str, str] | None = None
) -> Stage:
    """A stage with only its variables set: no cache, tracing or method settings."""
    return {
        "stageName": stage_name,
        "deploymentId": deployment_id,
        "createdDate": 0,
        "lastUpdatedDate": 0,
        "cacheClusterEnabled": False,
        "cacheClusterStatus": "NOT_AVAILABLE",
        "methodSettings": {},
        "tracingEnabled": False,
        "variables": dict(variables or {}),
    }


HTTP_METHODS = ("GET", "PUT", "POST", "DELETE", "PATCH", "OPTIONS", "HEAD", "ANY")
"""PutMethod's accepted verbs, in the order AWS lists them in its error message."""

INTEGRATION_TYPES = ("HTTP", "AWS", "MOCK", "HTTP_PROXY", "AWS_PROXY")

DEFAULT_TIMEOUT_MILLIS = 29_000
MIN_TIMEOUT_MILLIS = 50


def resource_path(resources: dict[str, Resource], resource_id: str) -> str:
    """The full path of a resource (`/pets/{petId}`), derived from its parent chain."""
    parts: list[str] = []
    current = resources[resource_id]
    while "parentId" in current:
        parts.append(current["pathPart"])
        current = resources[current["parentId"]]
    return "/" + "/".join(reversed(parts))


def root_resource(definition: RestApiDefinition) -> Resource:
    return definition["resources"][definition["api"]["rootResourceId"]]


def children_of(resources: dict[str, Resource], parent_id: str) -> list[Resource]:
    return [r for r in resources.values() if r.get("parentId") == parent_id]


def is_greedy(path_part: str) -> bool:
    return path_part.startswith("{") and path_part.endswith("+}")


def is_variable(path_part: str) -> bool:
    return path_part.startswith("{") and path_part.endswith("}")
