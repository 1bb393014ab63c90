"""What the `apigateway` and `apigatewayv2` domain name operations share: the one stored
domain (model/domains.py), its mTLS truststore, its mappings' checks, and the change
notification the gateway recompiles its domain table on.

Choices where AWS's behaviour is not known (UNCONFIRMED):
- a certificate ARN that names no certificate imported into Tollway's ACM is accepted (tools
  create domains with placeholder ARNs); the HTTPS listener then serves its default
  certificate for that name and logs a warning naming the domain and the ARN;
- a mapping key / base path is checked per domain across both APIs: a REST base path mapping
  and a v2 API mapping cannot share a key.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from tollway.control.apigateway.documents import commit
from tollway.control.errors import BadRequestException
from tollway.control.operations import Call
from tollway.control.truststores import check_truststore, fetch_truststore
from tollway.model import ids
from tollway.model.domains import API_MAPPING_KIND, DOMAIN_NAME_KIND, TRUSTSTORE_KIND
from tollway.state.changes import DOMAINS_CHANGED
from tollway.store import Delete, Record


def domain_name_arn(region: str, name: str) -> str:
    return f"arn:aws:apigateway:{region}::/domainnames/{name}"


def regional_name(region: str) -> str:
    return f"d-{ids.api_id()}.execute-api.{region}.amazonaws.com"


def find_domain(call: Call, name: str) -> Record | None:
    return call.plane.store.get(DOMAIN_NAME_KIND, name)


def save(call: Call, puts: Sequence[Record], deletes: Sequence[Delete] = ()) -> None:
    """Commits domain records and tells the gateway its domain table changed."""
    commit(call, puts, deletes)
    call.plane.changes.api_changed(DOMAINS_CHANGED)


async def truststore_records(
    call: Call, name: str, domain: dict[str, Any], mtls: dict[str, Any] | None
) -> tuple[list[Record], list[Delete]]:
    """Sets (or, with no URI, clears) the domain's `MutualTlsAuthentication` from
    `mtls` (v2 member names), fetching and checking the truststore; the records to commit."""
    uri = (mtls or {}).get("TruststoreUri") or ""
    if not uri:
        domain.pop("MutualTlsAuthentication", None)
        stored = call.plane.store.get(TRUSTSTORE_KIND, name)
        return [], [Delete(TRUSTSTORE_KIND, name)] if stored else []
    config = (domain.get("DomainNameConfigurations") or [{}])[0]
    if config.get("SecurityPolicy", "TLS_1_2") != "TLS_1_2":
        raise BadRequestException("Mutual TLS authentication requires a security policy of TLS_1_2")
    if config.get("EndpointType", "REGIONAL") != "REGIONAL":
        raise BadRequestException("Mutual TLS authentication is only supported on REGIONAL domains")
    version = (mtls or {}).get("TruststoreVersion") or None
    pem, warnings = check_truststore(await fetch_truststore(call.plane.settings, uri, version))
    out: dict[str, Any] = {"TruststoreUri": uri}
    if version:
        out["TruststoreVersion"] = version
    if warnings:
        out["TruststoreWarnings"] = warnings
    domain["MutualTlsAuthentication"] = out
    previous = call.plane.store.get(TRUSTSTORE_KIND, name)
    body = {"pem": pem, "uri": uri, "version": version}
    return [Record(TRUSTSTORE_KIND, name, body, version=previous.version if previous else 0)], []


def deletes_for(call: Call, name: str) -> list[Delete]:
    """Everything stored for a domain: itself, its mappings, its truststore."""
    out = [Delete(DOMAIN_NAME_KIND, name)]
    out += [
        Delete(API_MAPPING_KIND, m.key, name) for m in call.plane.store.list(API_MAPPING_KIND, name)
    ]
    if call.plane.store.get(TRUSTSTORE_KIND, name) is not None:
        out.append(Delete(TRUSTSTORE_KIND, name))
    return out


def key_in_use(call: Call, domain: str, key: str, mapping_id: str) -> bool:
    return any(
        other.key != mapping_id and (other.body.get("ApiMappingKey") or "") == key
        for other in call.plane.store.list(API_MAPPING_KIND, domain)
    )


def copy_of(record: Record) -> dict[str, Any]:
    return copy.deepcopy(record.body)
