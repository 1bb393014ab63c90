"""Custom domain names, their mappings, certificates and truststores: what the `apigateway`
(REST) and `apigatewayv2` control planes share and what the gateway serves by.

On AWS a custom domain name is one resource whichever API created it: `apigateway
GetDomainName` shows a domain created through `apigatewayv2` and the other way round, and one
domain can carry REST base path mappings and v2 API mappings side by side (a base path
mapping *is* an API mapping, seen through the v1 API). So Tollway stores each once:

| kind | parent | key | body |
|---|---|---|---|
| `DOMAIN_NAME_KIND` | "" | domain name | v2 `DomainName` (member names of the v2 model) |
| `API_MAPPING_KIND` | domain name | ApiMappingId | v2 `ApiMapping`: ApiId, ApiMappingKey, Stage |
| `TRUSTSTORE_KIND` | "" | domain name | `{"pem": ...}`: the mTLS truststore fetched from its URI |
| `CERTIFICATE_KIND` | "" | certificate ARN | an imported ACM certificate, its chain and key |

The v1 shapes (`DomainName` with `regionalCertificateArn`, `BasePathMapping` with
`basePath`/`restApiId`/`stage`) are views computed from these (`rest_domain`,
`base_path_mapping`). A mapping's `ApiMappingKey` "" is v1's base path `(none)`.

A control-plane write to any of these publishes `DOMAINS_CHANGED` on the change feed; the
gateway then recompiles its domain table and TLS contexts.
"""

from __future__ import annotations

from typing import Any, Final

DOMAIN_NAME_KIND: Final = "domainname"
API_MAPPING_KIND: Final = "apimapping"
TRUSTSTORE_KIND: Final = "truststore"
CERTIFICATE_KIND: Final = "acmcertificate"

NO_BASE_PATH: Final = "(none)"  # v1's name for the empty base path

# The hosted zone ids AWS reports for CloudFront (EDGE) domains; REGIONAL zones depend on the
# region and are not reported (UNCONFIRMED which; Route 53 aliases are not Tollway's concern).
CLOUDFRONT_ZONE: Final = "Z2FDTNDATAQYW2"


def configuration(domain: dict[str, Any]) -> dict[str, Any]:
    """The domain's endpoint configuration (AWS has at most one per domain)."""
    configurations = domain.get("DomainNameConfigurations") or [{}]
    return dict(configurations[0])


def certificate_arn(domain: dict[str, Any]) -> str:
    return str(configuration(domain).get("CertificateArn") or "")


def rest_domain(domain: dict[str, Any]) -> dict[str, Any]:
    """The v1 `DomainName` of a stored domain."""
    config = configuration(domain)
    edge = config.get("EndpointType") == "EDGE"
    out: dict[str, Any] = {
        "domainName": domain["DomainName"],
        "domainNameArn": domain.get("DomainNameArn"),
        "endpointConfiguration": {
            "types": [config.get("EndpointType", "REGIONAL")],
            "ipAddressType": config.get("IpAddressType", "ipv4"),
        },
        "domainNameStatus": config.get("DomainNameStatus", "AVAILABLE"),
        "securityPolicy": config.get("SecurityPolicy", "TLS_1_2"),
        "certificateUploadDate": config.get("CertificateUploadDate"),
        "tags": dict(domain.get("Tags") or {}),
        "routingMode": domain.get("RoutingMode"),
    }
    if edge:
        out["certificateArn"] = config.get("CertificateArn")
        out["certificateName"] = config.get("CertificateName")
        out["distributionDomainName"] = config.get("ApiGatewayDomainName")
        out["distributionHostedZoneId"] = CLOUDFRONT_ZONE
    else:
        out["regionalCertificateArn"] = config.get("CertificateArn")
        out["regionalCertificateName"] = config.get("CertificateName")
        out["regionalDomainName"] = config.get("ApiGatewayDomainName")
    mtls = domain.get("MutualTlsAuthentication")
    if mtls:
        out["mutualTlsAuthentication"] = {
            "truststoreUri": mtls.get("TruststoreUri"),
            "truststoreVersion": mtls.get("TruststoreVersion"),
            "truststoreWarnings": list(mtls.get("TruststoreWarnings") or []),
        }
    return {k: v for k, v in out.items() if v is not None}


def base_path_mapping(mapping: dict[str, Any]) -> dict[str, Any]:
    """The v1 `BasePathMapping` of a stored API mapping."""
    out = {"basePath": mapping.get("ApiMappingKey") or NO_BASE_PATH, "restApiId": mapping["ApiId"]}
    if mapping.get("Stage"):
        out["stage"] = mapping["Stage"]
    return out


def has_mtls(domain: dict[str, Any]) -> bool:
    return bool((domain.get("MutualTlsAuthentication") or {}).get("TruststoreUri"))


def serial_text(serial: int) -> str:
    """A certificate's serial number as AWS writes it (ACM's `Serial`, mTLS's `clientCert`
    `serialNumber`): colon-separated hex bytes (`0a:1b:...`)."""
    raw = serial.to_bytes((serial.bit_length() + 7) // 8 or 1, "big")
    return ":".join(f"{b:02x}" for b in raw)
