"""DomainName and BasePathMapping operations of the `apigateway` service (spec §16.1; AWS
counterparts `/domainnames`, `/domainnames/{name}/basepathmappings`).

The v1 view of the one stored domain (model/domains.py): a domain created here is the one
`apigatewayv2 GetDomainName` shows, and a base path mapping is an API mapping whose key is one
segment (`(none)` is the empty key). Errors are AWS's: "Invalid domain name identifier
specified" (404), "Base path already exists for this domain name" (409), "Invalid base path
mapping identifier specified" (404), "Invalid REST API identifier specified" and "Invalid
stage identifier specified" (400). UNCONFIRMED, chosen: "The domain name you provided already
exists." (409) for a second CreateDomainName; a base path with a `/` is refused (multi-level
mappings are created with `apigatewayv2 create-api-mapping`, as AWS documents); a mapping
without `stage` makes callers name the stage after the base path, as AWS documents.
"""

from __future__ import annotations

from typing import Any

from tollway.control.apigateway.documents import API_KIND, paginate
from tollway.control.apigateway.patch import must_be_one_of
from tollway.control.domain_records import (
    copy_of,
    deletes_for,
    domain_name_arn,
    find_domain,
    key_in_use,
    regional_name,
    save,
    truststore_records,
)
from tollway.control.errors import (
    BadRequestException,
    ConflictException,
    NotFoundException,
    NotSupportedByTollway,
)
from tollway.control.operations import Call, OperationTable
from tollway.model import ids
from tollway.model.domains import (
    API_MAPPING_KIND,
    DOMAIN_NAME_KIND,
    NO_BASE_PATH,
    base_path_mapping,
    rest_domain,
)
from tollway.store import Delete, Record

ops = OperationTable("apigateway")

DOMAIN_NOT_FOUND = "Invalid domain name identifier specified"
MAPPING_NOT_FOUND = "Invalid base path mapping identifier specified"
_CLOUDFRONT = "cloudfront.net"
_DOMAIN_PATCH_PATHS = [
    "/certificateName",
    "/certificateArn",
    "/regionalCertificateName",
    "/regionalCertificateArn",
    "/securityPolicy",
    "/endpointConfiguration/types/0",
    "/mutualTlsAuthentication/truststoreUri",
    "/mutualTlsAuthentication/truststoreVersion",
]


def _load(call: Call) -> Record:
    record = find_domain(call, call.params["domainName"])
    if record is None:
        raise NotFoundException(DOMAIN_NOT_FOUND)
    return record


@ops("CreateDomainName")
async def create_domain_name(call: Call) -> dict[str, Any]:
    p = call.params
    name = p["domainName"]
    if find_domain(call, name) is not None:
        raise ConflictException("The domain name you provided already exists.")
    if p.get("certificateBody") or p.get("certificatePrivateKey"):
        raise NotSupportedByTollway(
            "Tollway does not take certificate bodies on CreateDomainName (a deprecated form): "
            "import the certificate with `aws acm import-certificate` and give its ARN"
        )
    types = (p.get("endpointConfiguration") or {}).get("types") or ["EDGE"]
    if len(types) != 1 or types[0] == "PRIVATE":
        raise NotSupportedByTollway(
            "Tollway supports EDGE and REGIONAL custom domain names, not private ones"
        )
    edge = types[0] == "EDGE"
    region = call.plane.settings.region
    arn = p.get("certificateArn") if edge else p.get("regionalCertificateArn")
    if not arn:
        member = "certificateArn" if edge else "regionalCertificateArn"
        raise BadRequestException(f"A certificate is required: give {member}")
    config: dict[str, Any] = {
        "ApiGatewayDomainName": f"d{ids.api_id()}.{_CLOUDFRONT}" if edge else regional_name(region),
        "CertificateArn": arn,
        "DomainNameStatus": "AVAILABLE",
        "EndpointType": types[0],
        "IpAddressType": (p.get("endpointConfiguration") or {}).get("ipAddressType") or "ipv4",
        "SecurityPolicy": p.get("securityPolicy") or "TLS_1_2",
        "CertificateUploadDate": call.plane.now(),
    }
    certificate_name = p.get("certificateName") if edge else p.get("regionalCertificateName")
    if certificate_name:
        config["CertificateName"] = certificate_name
    domain: dict[str, Any] = {
        "ApiMappingSelectionExpression": "$request.basepath",
        "DomainName": name,
        "DomainNameArn": domain_name_arn(region, name),
        "DomainNameConfigurations": [config],
        "RoutingMode": p.get("routingMode") or "API_MAPPING_ONLY",
        "Tags": dict(p.get("tags") or {}),
    }
    if domain["RoutingMode"] != "API_MAPPING_ONLY":
        raise NotSupportedByTollway("Tollway does not support routing rules on domain names yet")
    mtls = p.get("mutualTlsAuthentication") or {}
    given = {
        "TruststoreUri": mtls.get("truststoreUri"),
        "TruststoreVersion": mtls.get("truststoreVersion"),
    }
    puts, _ = await truststore_records(call, name, domain, given)
    save(call, [Record(DOMAIN_NAME_KIND, name, domain), *puts])
    return rest_domain(domain)


@ops("GetDomainName")
def get_domain_name(call: Call) -> dict[str, Any]:
    return rest_domain(_load(call).body)


@ops("GetDomainNames")
def get_domain_names(call: Call) -> dict[str, Any]:
    return paginate(call, [rest_domain(r.body) for r in call.plane.store.list(DOMAIN_NAME_KIND)])


@ops("UpdateDomainName")
async def update_domain_name(call: Call) -> dict[str, Any]:
    record = _load(call)
    domain = copy_of(record)
    config = domain["DomainNameConfigurations"][0]
    mtls = dict(domain.get("MutualTlsAuthentication") or {})
    mtls.pop("TruststoreWarnings", None)
    mtls_changed = False
    invalid = must_be_one_of(_DOMAIN_PATCH_PATHS)
    for operation in call.params.get("patchOperations") or []:
        op, path, value = operation.get("op"), operation.get("path") or "", operation.get("value")
        if op != "replace" or path not in _DOMAIN_PATCH_PATHS:
            raise invalid(str(op), path)
        member = path.rsplit("/", 1)[-1]
        if path.startswith("/mutualTlsAuthentication/"):
            mtls["TruststoreUri" if member == "truststoreUri" else "TruststoreVersion"] = value
            mtls_changed = True
        elif member in ("certificateArn", "regionalCertificateArn"):
            config["CertificateArn"] = value
            config["CertificateUploadDate"] = call.plane.now()
        elif member in ("certificateName", "regionalCertificateName"):
            config["CertificateName"] = value
        elif member == "securityPolicy":
            if value not in ("TLS_1_0", "TLS_1_2"):
                raise BadRequestException(f"Invalid security policy: {value}")
            config["SecurityPolicy"] = value
        else:  # the endpoint type
            if value not in ("EDGE", "REGIONAL"):
                raise NotSupportedByTollway(f"Tollway does not support {value} custom domains")
            config["EndpointType"] = value
    puts: list[Record] = []
    deletes: list[Delete] = []
    if mtls_changed:
        puts, deletes = await truststore_records(call, record.key, domain, mtls)
    put = Record(DOMAIN_NAME_KIND, record.key, domain, version=record.version)
    save(call, [put, *puts], deletes)
    return rest_domain(domain)


@ops("DeleteDomainName")
def delete_domain_name(call: Call) -> None:
    save(call, [], deletes_for(call, _load(call).key))


# --- base path mappings ---------------------------------------------------------------------


def _key(base_path: str | None) -> str:
    """The stored mapping key of a v1 base path."""
    return "" if base_path in (None, "", NO_BASE_PATH) else str(base_path)


def _mapping(call: Call, domain: str) -> Record:
    key = _key(call.params["basePath"])
    for record in call.plane.store.list(API_MAPPING_KIND, domain):
        if (record.body.get("ApiMappingKey") or "") == key:
            return record
    raise NotFoundException(MAPPING_NOT_FOUND)


def _check(call: Call, domain: str, mapping: dict[str, Any]) -> None:
    key = mapping["ApiMappingKey"]
    if "/" in key:
        raise BadRequestException(
            f"Invalid base path {key}: a base path mapping is one path segment; create "
            "multi-level mappings with apigatewayv2 CreateApiMapping"
        )
    api_id = mapping["ApiId"]
    if call.plane.store.get(API_KIND, api_id) is None:
        raise BadRequestException("Invalid REST API identifier specified")
    stage = mapping.get("Stage")
    if stage and call.plane.store.get("stage", stage, api_id) is None:
        raise BadRequestException("Invalid stage identifier specified")
    if key_in_use(call, domain, key, mapping["ApiMappingId"]):
        raise ConflictException("Base path already exists for this domain name")


@ops("CreateBasePathMapping")
def create_base_path_mapping(call: Call) -> dict[str, Any]:
    domain = _load(call).key
    p = call.params
    mapping = {
        "ApiMappingId": ids.short_id(),
        "ApiMappingKey": _key(p.get("basePath")),
        "ApiId": p["restApiId"],
    }
    if p.get("stage"):
        mapping["Stage"] = p["stage"]
    _check(call, domain, mapping)
    save(call, [Record(API_MAPPING_KIND, mapping["ApiMappingId"], mapping, domain)])
    return base_path_mapping(mapping)


@ops("GetBasePathMapping")
def get_base_path_mapping(call: Call) -> dict[str, Any]:
    return base_path_mapping(_mapping(call, _load(call).key).body)


@ops("GetBasePathMappings")
def get_base_path_mappings(call: Call) -> dict[str, Any]:
    domain = _load(call).key
    mappings = call.plane.store.list(API_MAPPING_KIND, domain)
    return paginate(call, [base_path_mapping(m.body) for m in mappings])


@ops("UpdateBasePathMapping")
def update_base_path_mapping(call: Call) -> dict[str, Any]:
    domain = _load(call).key
    record = _mapping(call, domain)
    mapping = copy_of(record)
    paths = ["/basePath", "/restapiId", "/stage"]
    invalid = must_be_one_of(paths)
    for operation in call.params.get("patchOperations") or []:
        op, path, value = operation.get("op"), operation.get("path") or "", operation.get("value")
        if path == "/restApiId":
            path = "/restapiId"  # both spellings are seen in AWS's own examples
        if op != "replace" or path not in paths:
            raise invalid(str(op), path)
        if path == "/basePath":
            mapping["ApiMappingKey"] = _key(value)
        elif path == "/restapiId":
            mapping["ApiId"] = value
        elif value:
            mapping["Stage"] = value
        else:
            mapping.pop("Stage", None)
    _check(call, domain, mapping)
    save(call, [Record(API_MAPPING_KIND, record.key, mapping, domain, record.version)])
    return base_path_mapping(mapping)


@ops("DeleteBasePathMapping")
def delete_base_path_mapping(call: Call) -> None:
    domain = _load(call).key
    record = _mapping(call, domain)
    save(call, [], [Delete(API_MAPPING_KIND, record.key, domain)])
