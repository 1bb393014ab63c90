"""What Tollway stores of API Gateway v2 APIs (HTTP and WebSocket), shared by the `apigatewayv2`
control plane (control/apigatewayv2) and the HTTP API data plane (dataplane/http_api).

Every stored object is kept in the shape of botocore's `apigatewayv2` model, keyed by its
member names (`ApiId`, `RouteKey`, `IntegrationUri`, ...): what a Get* operation returns is
what is stored, so the control plane reads and writes documents without translating, and the
data plane reads the same names.

Store layout (see `tollway.store`):

| kind | parent | key | body |
|---|---|---|---|
| `V2_API_KIND` | "" | ApiId | `ApiDefinition`: the API and all its parts, one document |
| `V2_DEPLOYMENT_KIND` | ApiId | DeploymentId | `DeploymentRecord`: the Deployment, a snapshot |
| `V2_STAGE_KIND` | ApiId | StageName | `Stage` (`$default` is a stage name like any other) |

One document per API, as for REST (`model.rest.RestApiDefinition`): an operation loads it,
changes it, and commits it guarded by the version it read, so racing writers get AWS's
ConflictException instead of losing each other's changes. A deployment copies the
definition, so a stage keeps serving what was deployed whatever changes after. After any
commit that changes what a stage serves (a deployment, a stage update, an auto-deploy, a
deletion) the control plane calls `ChangeFeed.api_changed(api_id)`; the data plane's
registry then reloads that API's stages (REST or v2 alike, found by the record kind).

Auto-deploy: a change to the API's definition creates a new deployment (`AutoDeployed`
true) for every stage with `AutoDeploy` true, in the same commit.

Ids are API Gateway's: 10 lowercase alphanumerics for API ids (`ids.api_id()`, unique across
REST and v2 APIs: the gateway finds an API by id alone), 7 for the parts (`ids.part_id()`:
routes, integrations, deployments, ... as AWS shows them, e.g. `a1b2c3d`).
"""

from __future__ import annotations

from typing import Any, Final, NotRequired, TypedDict

V2_API_KIND: Final = "v2api"
V2_DEPLOYMENT_KIND: Final = "v2deployment"
V2_STAGE_KIND: Final = "v2stage"

DEFAULT_STAGE: Final = "$default"
DEFAULT_ROUTE: Final = "$default"
HTTP: Final = "HTTP"
WEBSOCKET: Final = "WEBSOCKET"

# Each shape below is a dict keyed by botocore member names; only the members the data plane
# reads are listed, the control plane stores whatever the model allows.


class Api(TypedDict):
    ApiId: str
    Name: str
    ProtocolType: str  # HTTP | WEBSOCKET
    RouteSelectionExpression: str
    ApiEndpoint: NotRequired[str]
    CorsConfiguration: NotRequired[dict[str, Any]]
    DisableExecuteApiEndpoint: NotRequired[bool]
    ApiKeySelectionExpression: NotRequired[str]
    CreatedDate: NotRequired[Any]
    Tags: NotRequired[dict[str, str]]


class Route(TypedDict):
    RouteId: str
    RouteKey: str  # "GET /pets/{id}", "ANY /{proxy+}", "$default"
    Target: NotRequired[str]  # "integrations/{IntegrationId}"
    AuthorizationType: NotRequired[str]
    AuthorizerId: NotRequired[str]
    AuthorizationScopes: NotRequired[list[str]]
    ApiKeyRequired: NotRequired[bool]
    RequestParameters: NotRequired[dict[str, Any]]
    ApiGatewayManaged: NotRequired[bool]


class Integration(TypedDict):
    IntegrationId: str
    IntegrationType: str  # AWS_PROXY | HTTP_PROXY (HTTP APIs); AWS | HTTP | MOCK too (WebSocket)
    IntegrationUri: NotRequired[str]
    IntegrationMethod: NotRequired[str]
    IntegrationSubtype: NotRequired[str]
    PayloadFormatVersion: NotRequired[str]  # "1.0" | "2.0"
    TimeoutInMillis: NotRequired[int]
    RequestParameters: NotRequired[dict[str, str]]
    ResponseParameters: NotRequired[dict[str, dict[str, str]]]
    CredentialsArn: NotRequired[str]
    ConnectionType: NotRequired[str]
    TlsConfig: NotRequired[dict[str, Any]]
    # WebSocket non-proxy integrations
    RequestTemplates: NotRequired[dict[str, str]]
    TemplateSelectionExpression: NotRequired[str]
    PassthroughBehavior: NotRequired[str]
    ContentHandlingStrategy: NotRequired[str]
    IntegrationResponseSelectionExpression: NotRequired[str]


class ApiDefinition(TypedDict):
    """One v2 API and all its parts: the `V2_API_KIND` document and a deployment's snapshot."""

    Api: Api
    Routes: dict[str, Route]  # by RouteId
    Integrations: dict[str, Integration]  # by IntegrationId
    IntegrationResponses: dict[str, dict[str, dict[str, Any]]]  # IntegrationId -> by id
    RouteResponses: dict[str, dict[str, dict[str, Any]]]  # RouteId -> by RouteResponseId
    Models: dict[str, dict[str, Any]]  # by ModelId
    Authorizers: dict[str, dict[str, Any]]  # by AuthorizerId


class Stage(TypedDict):
    StageName: str
    DeploymentId: NotRequired[str]  # absent until the first deployment
    AutoDeploy: NotRequired[bool]
    StageVariables: NotRequired[dict[str, str]]
    DefaultRouteSettings: NotRequired[dict[str, Any]]
    RouteSettings: NotRequired[dict[str, dict[str, Any]]]
    AccessLogSettings: NotRequired[dict[str, Any]]
    Description: NotRequired[str]
    CreatedDate: NotRequired[Any]
    LastUpdatedDate: NotRequired[Any]
    Tags: NotRequired[dict[str, str]]
    ApiGatewayManaged: NotRequired[bool]


class Deployment(TypedDict):
    DeploymentId: str
    DeploymentStatus: str  # DEPLOYED
    AutoDeployed: bool
    CreatedDate: Any
    Description: NotRequired[str]


class DeploymentRecord(TypedDict):
    """A `V2_DEPLOYMENT_KIND` document."""

    Deployment: Deployment
    Definition: ApiDefinition


def empty_definition(api: Api) -> ApiDefinition:
    return {
        "Api": api,
        "Routes": {},
        "Integrations": {},
        "IntegrationResponses": {},
        "RouteResponses": {},
        "Models": {},
        "Authorizers": {},
    }


def integration_id_of(route: Route) -> str | None:
    """The integration a route targets (`Target` is `integrations/{id}`), if any."""
    target = route.get("Target", "")
    prefix = "integrations/"
    return target[len(prefix) :] if target.startswith(prefix) else None
