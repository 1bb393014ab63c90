"""DomainName and ApiMapping operations: custom domain names and which API stage each path of
one serves (`ApiMappingKey`, one or more segments: `orders/v2`).

The domain and its mappings are the ones `apigateway`'s DomainName and BasePathMapping
operations see (model/domains.py); an API mapping may name a REST API too, as on AWS.
Tollway creates no DNS; the `ApiGatewayDomainName` it reports is AWS's form. The gateway
serves the domain by its mappings (dataplane/domains.py) and, on its HTTPS listener, with the
ACM certificate its configuration names and its mTLS truststore.
"""

from __future__ import annotations

import copy
from typing import Any

from tollway.control import domain_records as records
from tollway.control.apigateway.stages import load_stage as load_rest_stage
from tollway.control.apigatewayv2.documents import (
    given,
    load_api,
    load_stage,
    paginate,
)
from tollway.control.errors import (
    BadRequestException,
    ConflictException,
    NotFoundException,
    NotSupportedByTollway,
)
from tollway.control.operations import Call, OperationTable
from tollway.model import ids
from tollway.model.domains import API_MAPPING_KIND, DOMAIN_NAME_KIND
from tollway.store import Delete, Record

ops = OperationTable("apigatewayv2")

DOMAIN_NOT_FOUND = "The domain name resource specified in the request was not found."
MAPPING_NOT_FOUND = "The api mapping resource specified in the request was not found."


def load_domain(call: Call, name: str | None = None) -> Record:
    record = records.find_domain(call, name or call.params["DomainName"])
    if record is None:
        raise NotFoundException(DOMAIN_NOT_FOUND)
    return record


def _configurations(
    call: Call, configurations: list[dict[str, Any]] | None
) -> list[dict[str, Any]]:
    region = call.plane.settings.region
    out = []
    for given_config in configurations or [{}]:
        config = {
            "ApiGatewayDomainName": records.regional_name(region),
            "DomainNameStatus": "AVAILABLE",
            "EndpointType": "REGIONAL",
            "IpAddressType": "ipv4",
            "SecurityPolicy": "TLS_1_2",
        }
        config.update(copy.deepcopy(given_config))
        if config["EndpointType"] != "REGIONAL":
            raise BadRequestException("HTTP and WebSocket APIs support only REGIONAL domains")
        out.append(config)
    return out


@ops("CreateDomainName")
async def create_domain_name(call: Call) -> dict[str, Any]:
    p = call.params
    name = p["DomainName"]
    if records.find_domain(call, name) is not None:
        raise ConflictException("The domain name resource already exists.")
    domain = {
        "ApiMappingSelectionExpression": "$request.basepath",
        "DomainName": name,
        "DomainNameArn": records.domain_name_arn(call.plane.settings.region, name),
        "DomainNameConfigurations": _configurations(call, p.get("DomainNameConfigurations")),
        "RoutingMode": p.get("RoutingMode") or "API_MAPPING_ONLY",
        "Tags": dict(p.get("Tags") or {}),
    }
    if domain["RoutingMode"] != "API_MAPPING_ONLY":
        raise NotSupportedByTollway("Tollway does not support routing rules on domain names yet")
    puts, _ = await records.truststore_records(call, name, domain, p.get("MutualTlsAuthentication"))
    records.save(call, [Record(DOMAIN_NAME_KIND, name, domain), *puts])
    return domain


@ops("GetDomainName")
def get_domain_name(call: Call) -> dict[str, Any]:
    return load_domain(call).body


@ops("GetDomainNames")
def get_domain_names(call: Call) -> dict[str, Any]:
    return paginate(call, [r.body for r in call.plane.store.list(DOMAIN_NAME_KIND)])


@ops("UpdateDomainName")
async def update_domain_name(call: Call) -> dict[str, Any]:
    record = load_domain(call)
    domain = records.copy_of(record)
    if call.params.get("DomainNameConfigurations") is not None:
        domain["DomainNameConfigurations"] = _configurations(
            call, call.params["DomainNameConfigurations"]
        )
    puts: list[Record] = []
    deletes: list[Delete] = []
    mtls = call.params.get("MutualTlsAuthentication")
    if mtls is not None:
        current = dict(domain.get("MutualTlsAuthentication") or {})
        current.pop("TruststoreWarnings", None)
        current.update(mtls)
        puts, deletes = await records.truststore_records(call, record.key, domain, current)
    domain_put = Record(DOMAIN_NAME_KIND, record.key, domain, version=record.version)
    records.save(call, [domain_put, *puts], deletes)
    return domain


@ops("DeleteDomainName")
def delete_domain_name(call: Call) -> None:
    record = load_domain(call)
    records.save(call, [], records.deletes_for(call, record.key))


# --- API mappings ---------------------------------------------------------------------------


def _check_mapping(call: Call, domain: str, mapping: dict[str, Any]) -> None:
    key = mapping.get("ApiMappingKey") or ""
    if key.endswith("/"):
        raise BadRequestException("API mapping key should not end with a '/'.")
    if call.plane.store.get("restapi", mapping["ApiId"]) is not None:
        try:  # a REST API's stage, as apigateway's CreateBasePathMapping checks it
            load_rest_stage(call, mapping["ApiId"], mapping["Stage"])
        except NotFoundException:
            raise NotFoundException("Invalid stage identifier specified") from None
    else:
        document = load_api(call, mapping["ApiId"])
        load_stage(call, document.api_id, mapping["Stage"])
    if records.key_in_use(call, domain, key, mapping["ApiMappingId"]):
        raise ConflictException(
            f"The API mapping key {key or '(none)'} is already in use on {domain}"
        )


def load_mapping(call: Call, domain: str) -> Record:
    record = call.plane.store.get(API_MAPPING_KIND, call.params["ApiMappingId"], domain)
    if record is None:
        raise NotFoundException(MAPPING_NOT_FOUND)
    return record


@ops("CreateApiMapping")
def create_api_mapping(call: Call) -> dict[str, Any]:
    domain = load_domain(call).key
    mapping: dict[str, Any] = {"ApiMappingId": ids.short_id(), "ApiMappingKey": ""}
    mapping.update(given(call, ("ApiId", "ApiMappingKey", "Stage")))
    _check_mapping(call, domain, mapping)
    records.save(call, [Record(API_MAPPING_KIND, mapping["ApiMappingId"], mapping, domain)])
    return mapping


@ops("GetApiMapping")
def get_api_mapping(call: Call) -> dict[str, Any]:
    return load_mapping(call, load_domain(call).key).body


@ops("GetApiMappings")
def get_api_mappings(call: Call) -> dict[str, Any]:
    domain = load_domain(call).key
    return paginate(call, [r.body for r in call.plane.store.list(API_MAPPING_KIND, domain)])


@ops("UpdateApiMapping")
def update_api_mapping(call: Call) -> dict[str, Any]:
    domain = load_domain(call).key
    record = load_mapping(call, domain)
    mapping = records.copy_of(record)
    mapping.update(given(call, ("ApiId", "ApiMappingKey", "Stage")))
    _check_mapping(call, domain, mapping)
    records.save(call, [Record(API_MAPPING_KIND, record.key, mapping, domain, record.version)])
    return mapping


@ops("DeleteApiMapping")
def delete_api_mapping(call: Call) -> None:
    domain = load_domain(call).key
    record = load_mapping(call, domain)
    records.save(call, [], [Delete(API_MAPPING_KIND, record.key, domain)])
