"""The gateway's HTTPS listener: a certificate per custom domain name picked by SNI, and mutual
TLS on the domains that ask for it (spec §14.1).

AWS counterpart: the TLS endpoint of a custom domain name. Each domain whose certificate ARN
(`regionalCertificateArn` / `certificateArn` / `CertificateArn`) names a certificate imported
into Tollway's ACM (control/acm.py) gets its own `ssl.SSLContext`, chosen in the listener
context's `sni_callback`; names without one (an execute-api host, an IP address, a domain
whose ARN names no imported certificate, no SNI at all) are served the default certificate:
`--tls-cert`/`--tls-key` if given, else one Tollway generates at start (self-signed, CN
`tollway`). The minimum protocol is TLS 1.2 for the `TLS_1_2` security policy, TLS 1.0 for
`TLS_1_0` (as far as the local OpenSSL allows).

Mutual TLS: a domain with a truststore verifies client certificates against it at the
handshake. OpenSSL keeps the verify mode of the context a connection started with (an SNI
switch changes the certificate and the trust store, not whether a certificate is asked for),
so while any domain uses mTLS the listener asks every client for a certificate, optionally:
- on an mTLS domain, a certificate that does not verify (unknown CA, expired, bad signature)
  fails the handshake; no certificate gets 403 `{"message":"Forbidden"}` from the gateway
  (AWS: "fail the TLS handshake and deny the request with a 403", spec §14.1);
- on a domain without mTLS a client that sends a certificate anyway has it checked against
  every mTLS domain's truststore (the CAs Tollway knows): one they issued passes (and is not
  passed on), another fails the handshake. A known limitation, documented in
  docs/custom-domains.md.

The SNI name is kept on the connection when its domain's context took the handshake, so the
gateway can refuse a request whose Host names an mTLS domain the handshake was not verified
for.

Contexts are rebuilt from the store on `DOMAINS_CHANGED`; connections already open keep theirs.
"""

from __future__ import annotations

import datetime
import logging
import os
import ssl
import tempfile
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tollway.model.domains import (
    CERTIFICATE_KIND,
    DOMAIN_NAME_KIND,
    TRUSTSTORE_KIND,
    certificate_arn,
    configuration,
    has_mtls,
    serial_text,
)
from tollway.state.changes import DOMAINS_CHANGED
from tollway.store import ConfigStore

log = logging.getLogger("tollway.dataplane")

SNI_ATTRIBUTE = "tollway_sni"  # set on the connection's SSLObject by the SNI callback


def _load_chain(context: ssl.SSLContext, certificate: str, key: str) -> None:
    """`load_cert_chain` reads files only: the PEMs go through a private temporary directory."""
    with tempfile.TemporaryDirectory(prefix="tollway-tls-") as directory:
        cert_path, key_path = Path(directory, "cert.pem"), Path(directory, "key.pem")
        for path, text in ((cert_path, certificate), (key_path, key)):
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(text)
        context.load_cert_chain(cert_path, key_path)


def _self_signed() -> tuple[str, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "tollway")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode(), key_pem.decode()


def _server_context(security_policy: str = "TLS_1_2") -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = (
        ssl.TLSVersion.TLSv1 if security_policy == "TLS_1_0" else ssl.TLSVersion.TLSv1_2
    )
    return context


class TlsContexts:
    """The listener's SSLContext and the per-domain contexts its SNI callback picks."""

    def __init__(self, store: ConfigStore, cert_file: str = "", key_file: str = "") -> None:
        self._store = store
        self.context = _server_context()
        if cert_file:
            self.context.load_cert_chain(cert_file, key_file or None)
        else:
            _load_chain(self.context, *_self_signed())
        self.context.sni_callback = self._sni
        self._by_name: dict[str, ssl.SSLContext] = {}

    def changed(self, change: str) -> None:
        if change == DOMAINS_CHANGED:
            self.load()

    def load(self) -> None:
        by_name: dict[str, ssl.SSLContext] = {}
        domains = self._store.list(DOMAIN_NAME_KIND)
        # every CA an mTLS domain trusts: what names without mTLS check a certificate against
        known = "".join(r.body["pem"] for r in self._store.list(TRUSTSTORE_KIND))
        any_mtls = any(has_mtls(r.body) for r in domains)
        for record in domains:
            try:
                context = self._domain_context(record.key, record.body)
                if context is not None and any_mtls and known and not has_mtls(record.body):
                    context.load_verify_locations(cadata=known)
            except (ssl.SSLError, ValueError, KeyError) as e:
                log.warning("custom domain %s: its TLS context failed to load: %s", record.key, e)
                continue
            if context is not None:
                by_name[record.key.lower()] = context
        if any_mtls and known:
            self.context.load_verify_locations(cadata=known)
        # Asked for optionally: see the module docstring for why it is all or nothing.
        self.context.verify_mode = ssl.CERT_OPTIONAL if any_mtls else ssl.CERT_NONE
        self._by_name = by_name

    def _domain_context(self, name: str, domain: dict[str, Any]) -> ssl.SSLContext | None:
        arn = certificate_arn(domain)
        certificate = self._store.get(CERTIFICATE_KIND, arn) if arn else None
        mtls = has_mtls(domain)
        if certificate is None:
            if arn:
                log.warning(
                    "custom domain %s: its certificate %s is not one imported into Tollway "
                    "(aws acm import-certificate); the HTTPS listener serves it the default "
                    "certificate",
                    name,
                    arn,
                )
            if not mtls:
                return None
        context = _server_context(configuration(domain).get("SecurityPolicy", "TLS_1_2"))
        if certificate is not None:
            body = certificate.body
            chain = body["certificate"].rstrip("\n") + "\n" + (body.get("chain") or "")
            _load_chain(context, chain, body["privateKey"])
        else:
            _load_chain(context, *_self_signed())
        if mtls:
            truststore = self._store.get(TRUSTSTORE_KIND, name)
            if truststore is None:
                raise ValueError("its mutual TLS truststore is missing from the store")
            context.load_verify_locations(cadata=truststore.body["pem"])
        return context

    def _sni(self, connection: Any, server_name: str | None, _: ssl.SSLContext) -> None:
        name = (server_name or "").lower()
        context = self._by_name.get(name)
        if context is not None:
            # kept only when the name's own context (its truststore) took the handshake: an
            # mTLS domain whose context failed to load is then refused, never served
            setattr(connection, SNI_ATTRIBUTE, name)
            connection.context = context


def _when(moment: datetime.datetime) -> str:
    # AWS's format, `May 28 12:30:02 2019 GMT` (spec §14.1), is OpenSSL's, whose day is
    # space-padded (`Jan  3`); the padding is UNCONFIRMED for AWS
    return f"{moment:%b} {moment.day:2d} {moment:%H:%M:%S %Y} GMT"


def client_cert(der: bytes) -> dict[str, Any]:
    """`clientCert` as REST and HTTP APIs pass it on (spec §14.1). The DNs are RFC 4514
    strings (`CN=client,O=Example`; AWS's exact DN format is UNCONFIRMED)."""
    cert = x509.load_der_x509_certificate(der)
    return {
        "clientCertPem": cert.public_bytes(serialization.Encoding.PEM).decode(),
        "subjectDN": cert.subject.rfc4514_string(),
        "issuerDN": cert.issuer.rfc4514_string(),
        "serialNumber": serial_text(cert.serial_number),
        "validity": {
            "notBefore": _when(cert.not_valid_before_utc),
            "notAfter": _when(cert.not_valid_after_utc),
        },
    }


def connection_info(ssl_object: Any) -> dict[str, Any]:
    """What the gateway needs of a TLS connection, put into the ASGI scope's
    `extensions["tls"]` once per connection (http_protocol.py)."""
    der = ssl_object.getpeercert(binary_form=True)
    return {
        "server_name": getattr(ssl_object, SNI_ATTRIBUTE, None),
        "client_cert": client_cert(der) if der else None,
    }
