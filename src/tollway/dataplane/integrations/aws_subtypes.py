"""HTTP API first-class AWS service integrations: `AWS_PROXY` with an `IntegrationSubtype`
(spec §3.5), e.g. `SQS-SendMessage`, `EventBridge-PutEvents`, `StepFunctions-StartExecution`.

The integration's `RequestParameters` name the action's parameters (`QueueUrl`,
`MessageBody`, ...), each a static value or a mapping expression the HTTP API data plane
evaluates per request (`$request.body.message`, `$context.requestId`, ...). Here:

- `SUBTYPES` is spec §3.5's table, which CreateIntegration/UpdateIntegration check
  integrations against (control/apigatewayv2/rules.py): a known subtype, its required
  parameters present, no parameter it does not take.
- `SubtypeCall` is compiled once per deployment (the service's botocore model, endpoint and
  signing) and turns one request's evaluated values into the service call: the parameters
  become members of the action's input, converted to their model types (an integer, a list
  from a JSON array or a comma-separated value, a JSON object, base64 for a blob such as
  Kinesis's `Data`), sent in the service's protocol (AWS JSON with `X-Amz-Target` for SQS,
  EventBridge, Kinesis and Step Functions; REST for AppConfig), SigV4-signed like the REST
  AWS integrations (`aws_service`), to AWS or the endpoint configured for the service.
  `Region` picks the region; `StartSyncExecution` goes to Step Functions' `sync-` endpoint.

The service's answer (status, body, content type) is what the client gets, as on AWS. Tollway
signs with its own credentials: the integration's `CredentialsArn` (required by AWS) is not
assumed (there is no STS), as for REST's `credentials`.
"""

from __future__ import annotations

import base64
import datetime
import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, Final
from urllib.parse import quote

import botocore.session
from botocore.model import OperationModel, Shape

from tollway.dataplane.integrations.aws_service import AwsServices, sign_request
from tollway.dataplane.integrations.aws_target import (
    Endpoint,
    ServiceUri,
    TargetError,
    resolve_endpoint,
    service_model,
)


@dataclass(frozen=True, slots=True)
class Subtype:
    service: str  # the endpoint prefix (aws_target's naming): sqs, events, kinesis, states
    operation: str  # the botocore operation
    required: tuple[str, ...]
    optional: tuple[str, ...]
    entry: str | None = None  # EventBridge: the parameters make one member of this list


_SQS_SEND_OPTIONAL = (
    "DelaySeconds",
    "MessageAttributes",
    "MessageDeduplicationId",
    "MessageGroupId",
    "MessageSystemAttributes",
)
SUBTYPES: Final[Mapping[str, Subtype]] = {
    "EventBridge-PutEvents": Subtype(
        "events",
        "PutEvents",
        ("Detail", "DetailType", "Source"),
        ("Time", "EventBusName", "Resources", "TraceHeader"),
        entry="Entries",
    ),
    "SQS-SendMessage": Subtype(
        "sqs", "SendMessage", ("QueueUrl", "MessageBody"), _SQS_SEND_OPTIONAL
    ),
    "SQS-ReceiveMessage": Subtype(
        "sqs",
        "ReceiveMessage",
        ("QueueUrl",),
        (
            "AttributeNames",
            "MaxNumberOfMessages",
            "MessageAttributeNames",
            "ReceiveRequestAttemptId",
            "VisibilityTimeout",
            "WaitTimeSeconds",
        ),
    ),
    "SQS-DeleteMessage": Subtype("sqs", "DeleteMessage", ("ReceiptHandle", "QueueUrl"), ()),
    "SQS-PurgeQueue": Subtype("sqs", "PurgeQueue", ("QueueUrl",), ()),
    "AppConfig-GetConfiguration": Subtype(
        "appconfig",
        "GetConfiguration",
        ("Application", "Environment", "Configuration", "ClientId"),
        ("ClientConfigurationVersion",),
    ),
    "Kinesis-PutRecord": Subtype(
        "kinesis",
        "PutRecord",
        ("StreamName", "Data", "PartitionKey"),
        ("SequenceNumberForOrdering", "ExplicitHashKey"),
    ),
    "StepFunctions-StartExecution": Subtype(
        "states", "StartExecution", ("StateMachineArn",), ("Name", "Input")
    ),
    "StepFunctions-StartSyncExecution": Subtype(
        "states", "StartSyncExecution", ("StateMachineArn",), ("Name", "Input", "TraceHeader")
    ),
    "StepFunctions-StopExecution": Subtype(
        "states", "StopExecution", ("ExecutionArn",), ("Cause", "Error")
    ),
}
REGION: Final = "Region"  # every subtype takes it: the region of the service called


class SubtypeError(ValueError):
    """A request value a subtype's service cannot take, or an endpoint Tollway cannot reach."""


@cache
def _operation(service: str, operation: str) -> OperationModel:
    model_name = {"states": "stepfunctions"}.get(service, service)
    return botocore.session.get_session().get_service_model(model_name).operation_model(operation)


@dataclass(frozen=True, slots=True)
class PreparedCall:
    method: str
    url: str
    headers: list[tuple[str, str]]  # signed
    body: bytes


class SubtypeCall:
    """One subtype integration, compiled: per request, `prepare(values)` builds the signed
    service request from the evaluated `RequestParameters`."""

    def __init__(self, subtype: str, *, services: AwsServices, default_region: str) -> None:
        self.subtype = subtype
        self._spec = SUBTYPES[subtype]
        self._services = services
        self._default_region = default_region
        self._model = service_model(self._spec.service)
        self._operation = _operation(self._spec.service, self._spec.operation)
        input_shape = self._operation.input_shape
        assert input_shape is not None
        self._input = input_shape
        self._members = self._member_shapes()
        self._endpoints: dict[str, Endpoint] = {}
        self.endpoint_for(default_region)  # an endpoint problem shows at deployment

    def _member_shapes(self) -> dict[str, tuple[str, Shape]]:
        """Parameter name -> (member name, shape), matched case-insensitively (Step Functions'
        members are `stateMachineArn`, ...)."""
        container = self._input
        if self._spec.entry is not None:
            container = container.members[self._spec.entry].member
        by_lower = {name.lower(): (name, shape) for name, shape in container.members.items()}
        return {
            name: by_lower[name.lower()]
            for name in (*self._spec.required, *self._spec.optional)
            if name.lower() in by_lower
        }

    def endpoint_for(self, region: str) -> Endpoint:
        endpoint = self._endpoints.get(region)
        if endpoint is None:
            uri = ServiceUri(region, self._spec.service, "", self._spec.operation, (), "/")
            try:
                endpoint = resolve_endpoint(uri, self._services.endpoints)
            except TargetError as e:
                raise SubtypeError(str(e)) from None
            if self._spec.operation == "StartSyncExecution" and endpoint.base_url.endswith(
                ".amazonaws.com"
            ):
                host = "sync-" + endpoint.host
                endpoint = Endpoint(
                    f"https://{host}", host, "", endpoint.signing_name, endpoint.signing_region
                )
            self._endpoints[region] = endpoint
        return endpoint

    def input_document(self, values: Mapping[str, str]) -> dict[str, Any]:
        """The action's input members from the evaluated parameters (absent ones left out)."""
        document: dict[str, Any] = {}
        for name, value in values.items():
            if name == REGION or value is None:
                continue
            member = self._members.get(name)
            if member is None:
                continue
            member_name, shape = member
            document[member_name] = _convert(name, value, shape)
        if self._spec.entry is not None:
            return {self._spec.entry: [document]}
        return document

    def prepare(self, values: Mapping[str, str], *, user_agent: str) -> PreparedCall:
        region = values.get(REGION) or self._default_region
        endpoint = self.endpoint_for(region)
        document = self.input_document(values)
        headers = {"Host": endpoint.host, "User-Agent": user_agent}
        if self._model.protocol in ("json", "query"):
            method, url = "POST", endpoint.base_url + endpoint.path_prefix + "/"
            body = json.dumps(document, separators=(",", ":")).encode()
            headers["Content-Type"] = f"application/x-amz-json-{self._model.json_version or '1.0'}"
            headers["X-Amz-Target"] = f"{self._model.target_prefix}.{self._spec.operation}"
        else:  # rest-json (AppConfig): members go to the path and the query string
            method, url, body = self._rest_request(endpoint, document)
        signed = sign_request(
            self._services.credentials, endpoint, method, url, headers, body or None
        )
        return PreparedCall(method, url, signed, body)

    def _rest_request(self, endpoint: Endpoint, document: dict[str, Any]) -> tuple[str, str, bytes]:
        http = self._operation.http
        path = http["requestUri"]
        query = []
        for name, shape in self._input.members.items():
            if name not in document:
                continue
            where = shape.serialization.get("location")
            wire = shape.serialization.get("name", name)
            text = str(document[name])
            if where == "uri":
                path = path.replace("{" + wire + "}", quote(text, safe=""))
            elif where == "querystring":
                query.append(f"{quote(wire, safe='')}={quote(text, safe='')}")
        url = endpoint.base_url + endpoint.path_prefix + path
        if query:
            url += "?" + "&".join(query)
        return http["method"], url, b""


def _convert(name: str, value: str, shape: Shape) -> Any:
    """A parameter's text as its model type, as an SDK would send it."""
    kind = shape.type_name
    try:
        if kind in ("integer", "long"):
            return int(value)
        if kind == "boolean":
            return value.strip().lower() == "true"
        if kind == "blob":
            return base64.b64encode(value.encode()).decode("ascii")
        if kind == "list":
            stripped = value.strip()
            if stripped.startswith("["):
                return list(json.loads(stripped))
            return [item.strip() for item in value.split(",") if item.strip()]
        if kind in ("structure", "map"):
            loaded = json.loads(value)
            if not isinstance(loaded, dict):
                raise ValueError("not a JSON object")
            return loaded
        if kind == "timestamp":
            if value.replace(".", "", 1).isdigit():
                return float(value)
            return datetime.datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError as e:
        raise SubtypeError(f"{name}: {value!r} is not a valid {kind} ({e})") from None
    return value
